//! The command line: clap definitions and the single place that maps errors to
//! exit codes (as ripgrep's main does). Subcommands call into the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub mod actions;
pub mod agenda;
pub mod agenda_json;
pub mod between;
pub mod brief;
pub mod check;
pub mod dates;
pub mod demo;
pub mod import;
pub mod meetings;
pub mod people;
pub mod setup;
pub mod status;
pub mod suggest;

#[derive(Debug, Parser)]
#[command(
    name = "rapport",
    version,
    about = "Meeting prep from your calendar and your notes about people"
)]
pub struct Cli {
    /// Configuration file (default: $RAPPORT_CONFIG, else ~/.config/rapport/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More detail on stderr: -v (what rapport does, feed warnings), -vv (debug). RUST_LOG
    /// overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Try rapport in two minutes on example meetings and people (nothing of yours is read).
    Demo,
    /// Write a commented config and a people folder with an example person (never overwrites).
    Init,
    /// Show upcoming meetings.
    Agenda(AgendaArgs),
    /// List everyone in the people folder: name, org, last met, open follow-ups; `people
    /// suggest` and `people adopt`: notes for the people you meet from your calendars.
    People(PeopleArgs),
    /// Import people from an address book: vCard 2.1/3.0/4.0 (.vcf) or Google Contacts CSV.
    /// New people get a note; known ones only gain missing front-matter keys.
    Import(ImportArgs),
    /// Show or add one person.
    #[command(subcommand)]
    Person(PersonCommand),
    /// Open a person's note in $VISUAL / $EDITOR.
    Edit(NameArg),
    /// Add a dated entry to a person's Log.
    Note(NoteArgs),
    /// Add something to ask them next time (shown from --after on).
    Ask(AskArgs),
    /// Add something you promised them.
    Owe(OweArgs),
    /// Tick an open follow-up (by its number in `person show`, or part of its text).
    Done(DoneArgs),
    /// Show or restore the versions of a note that rapport kept before it changed the note.
    Undo(UndoArgs),
    /// Check the setup: config, each calendar, the people folder, the notification server
    /// (`-v`: also each calendar's whole link, which is otherwise shown as its host only).
    Check,
    /// Print the full brief of the next meeting, or of the next one matching TEXT.
    Brief(BriefArgs),
    /// Open the conference link of the next meeting, or of the next one matching TEXT.
    Join(JoinArgs),
    /// Ask the daemon to show a meeting's prep notification again later (never after the start).
    Snooze(SnoozeArgs),
    /// "Nothing new": log `Met at <meeting>` for everyone you have a note about in the last meeting.
    Met(MetArgs),
    /// Manage the systemd user service.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Run the daemon: notifications before and after meetings (the systemd service runs this).
    Run,
    /// Show the daemon's view: whether it runs, each calendar's last refresh and error, the next
    /// notifications and the next digest.
    Status,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    ///
    /// bash: `rapport completions bash > ~/.local/share/bash-completion/completions/rapport`;
    /// zsh: `rapport completions zsh > ~/.zfunc/_rapport` (with `fpath+=~/.zfunc` before
    /// `compinit`); fish: `rapport completions fish > ~/.config/fish/completions/rapport.fish`.
    Completions {
        /// The shell to write the script for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout: `rapport man > ~/.local/share/man/man1/rapport.1`.
    Man,
    /// Who is due for keeping in touch (their `cadence` ran out), most overdue first;
    /// `due snooze NAME 2w` silences one person for a while.
    Due(DueArgs),
    /// The morning digest: promises due, things to ask, dates, who to get in touch with, and the
    /// day's meetings.
    Today(TodayArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DueArgs {
    #[command(subcommand)]
    pub command: Option<DueCommand>,
    #[arg(long, value_name = "DATE", allow_hyphen_values = true, long_help = date_help("The day to look at (default: today)."))]
    pub on: Option<String>,
    /// Print JSON: {"date", "due": [...], "meeting_soon": [...], "snoozed": [...]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DueCommand {
    /// Not due before SPAN from today: writes `snooze_until: DATE` into the note's front matter.
    Snooze {
        /// An email, name, alias or an unambiguous part of one.
        name: String,
        /// How long: 10d, 3w, 2m (months), 1y.
        span: String,
        #[command(flatten)]
        force: ForceArg,
    },
}

#[derive(Debug, Args)]
pub struct TodayArgs {
    #[arg(long, value_name = "DATE", allow_hyphen_values = true, long_help = date_help("The day to show (default: today)."))]
    pub on: Option<String>,
    /// Print JSON: {"date", "meetings", "owe", "ask", "dates", "due"}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BriefArgs {
    /// `next` (the default), or text to find in a meeting's title, attendee names or addresses.
    #[arg(value_name = "next | TEXT")]
    pub query: Vec<String>,
    /// Read this calendar (file, http(s):// or webcal:// URL) instead of the configured ones. Repeatable.
    #[arg(long = "ics", value_name = "PATH_OR_URL")]
    pub ics: Vec<String>,
    /// Print the brief as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// `next` (the default), or text to find in a meeting's title, attendee names or addresses.
    #[arg(value_name = "next | TEXT")]
    pub query: Vec<String>,
    /// Print the link instead of opening it.
    #[arg(long)]
    pub print: bool,
}

#[derive(Debug, Args)]
pub struct SnoozeArgs {
    /// `next` (the default), or text to find in a meeting's title, attendee names or addresses.
    #[arg(value_name = "next | TEXT")]
    pub query: Vec<String>,
    /// How long: 90s, 5m, 1h (default 5m; never past the start).
    #[arg(long = "for", value_name = "DURATION")]
    pub snooze_for: Option<String>,
}

#[derive(Debug, Args)]
pub struct MetArgs {
    /// `last` (the default: the most recent meeting that has started), or text
    /// to find in a meeting's title, attendee names or addresses.
    #[arg(value_name = "last | TEXT")]
    pub query: Vec<String>,
    /// The Log entry's date (default: the meeting's day).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true, long_help = date_help("The Log entry's date (default: the meeting's day)."))]
    pub date: Option<String>,
    #[command(flatten)]
    pub force: ForceArg,
}

/// The `--help` of a date option: `what`, then the accepted forms
/// ([`crate::util::dates::DATE_FORMS`]), the same for every date option.
pub fn date_help(what: &str) -> String {
    format!("{what}\n\nA date: {}.", crate::util::dates::DATE_FORMS)
}

/// For the commands that change a note.
#[derive(Debug, Args)]
pub struct ForceArg {
    /// Change the note even if it became empty or lost its front matter since rapport last
    /// wrote it (rapport refuses that by default; `rapport undo NAME` has the earlier version).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// An email, name, alias or the file name (also of a note that is broken or gone).
    pub name: String,
    /// The version to put back, as `--list` numbers them (default: the newest one that differs
    /// from the note now, i.e. the note before rapport's last change).
    #[arg(value_name = "N", conflicts_with_all = ["list", "show"])]
    pub version: Option<usize>,
    /// List the versions rapport kept of the note, newest first.
    #[arg(long)]
    pub list: bool,
    /// Print version N instead of restoring it.
    #[arg(long, value_name = "N", conflicts_with = "list")]
    pub show: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Write the systemd user unit with the path of this binary and print how to enable it.
    Install {
        /// Folder to write rapport.service into (default: ~/.config/systemd/user).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct PeopleArgs {
    /// Print JSON: {"dir", "people": [...], "errors": [...]}.
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<PeopleCommand>,
}

#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// People you met (or will meet in the next 30 days) who have no note yet, best first:
    /// one-to-ones, often and recently weigh most. Rooms, lists, no-reply addresses, you,
    /// meetings above `[people] large_meeting`, cancelled and declined ones are left out.
    Suggest(SuggestArgs),
    /// Create a note from the template (name, emails, org) for chosen suggestions; never
    /// overwrites a file.
    Adopt(AdoptArgs),
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// How far back: 12m (months), 2y, 6w, 30d, or a date (2026-01-01).
    #[arg(long, default_value = "12m", value_name = "PERIOD")]
    pub since: String,
    /// Show at most N suggestions (0: all).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// Print JSON: [{"name", "emails", "meetings", "first", "last", "last_title", "org"}], best
    /// first.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// Suggestions to adopt, each by an email address or (part of) the name that `people
    /// suggest` shows.
    #[arg(
        value_name = "NAME|EMAIL",
        required_unless_present = "top",
        conflicts_with = "top"
    )]
    pub who: Vec<String>,
    /// Adopt the best N suggestions.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// How far back to look for suggestions (as for `people suggest`).
    #[arg(long, default_value = "12m", value_name = "PERIOD")]
    pub since: String,
    /// Print the notes that would be created; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON: {"created": [{"name", "person", "emails"}], "not_adopted": [{"query", "reason"}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The address book: a .vcf file (one or many cards) or a Google Contacts CSV export.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print what would be created, filled and skipped; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON: {"created": [{"name", "person", "emails"}], "updated": [{"person", "fields"}],
    /// "unchanged": N, "skipped": [{"card", "reason"}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Everything in one person's note.
    Show {
        /// An email, name, alias or an unambiguous part of one.
        name: String,
        /// Print the note as JSON (with the file's path).
        #[arg(long)]
        json: bool,
    },
    /// Create a note from the template (never overwrites).
    Add {
        /// Their full name, as calendars show it ("Yvonne Bakker").
        name: String,
        /// An email address calendars invite them with. Repeatable.
        #[arg(long = "email", value_name = "ADDRESS")]
        emails: Vec<String>,
        /// Their organisation (front matter `org:`).
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
        /// Their role or job title (front matter `role:`).
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// An email, name, alias or an unambiguous part of one.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    /// Who: an email, name, alias or an unambiguous part of one.
    pub name: String,
    /// The entry, one line ("Budget review: wants monthly figures").
    pub text: String,
    /// The entry's date (default: today).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true, long_help = date_help("The entry's date (default: today)."))]
    pub date: Option<String>,
    #[command(flatten)]
    pub force: ForceArg,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// Who: an email, name, alias or an unambiguous part of one.
    pub name: String,
    /// What to ask them, one line.
    pub text: String,
    /// Ask from this day on (default: today).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true, long_help = date_help("Ask from this day on (default: today)."))]
    pub after: Option<String>,
    #[command(flatten)]
    pub force: ForceArg,
}

#[derive(Debug, Args)]
pub struct OweArgs {
    /// Who: an email, name, alias or an unambiguous part of one.
    pub name: String,
    /// What you promised them, one line.
    pub text: String,
    /// Promised by this day (without it the task is tagged #owe).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true, long_help = date_help("Promised by this day (without it the task is tagged #owe)."))]
    pub due: Option<String>,
    #[command(flatten)]
    pub force: ForceArg,
}

#[derive(Debug, Args)]
pub struct DoneArgs {
    /// Who: an email, name, alias or an unambiguous part of one.
    pub name: String,
    /// The follow-up's number (as `person show` lists them) or part of its text.
    pub task: String,
    #[command(flatten)]
    pub force: ForceArg,
}

#[derive(Debug, Args)]
pub struct AgendaArgs {
    /// Start of the window: a date (local midnight) or an RFC 3339 time. Default: now.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true, long_help = date_help(
        "Start of the window: a date (its local midnight) or an RFC 3339 time \
         (2026-12-01T09:00:00+01:00). Default: now."
    ))]
    pub from: Option<String>,
    /// End of the window (exclusive): a date or an RFC 3339 time. Default: 7 days after --from.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true, long_help = date_help(
        "End of the window, exclusive: a date (its local midnight; `--from today --to \
         tomorrow` is today) or an RFC 3339 time. Default: 7 days after --from."
    ))]
    pub to: Option<String>,
    /// Read this calendar (file, http(s):// or webcal:// URL) instead of the configured ones. Repeatable.
    #[arg(long = "ics", value_name = "PATH_OR_URL")]
    pub ics: Vec<String>,
    /// Also list cancelled occurrences.
    #[arg(long)]
    pub include_cancelled: bool,
    /// Print one JSON array instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Entry point of the binary: parse, run, map the result to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = crate::config::Paths::from_env(cli.config.clone());
    // `run` and `demo` set up their own logging; `check` reports config and
    // feed warnings in its own output. Every other command shows warnings
    // (a config others can read, a broken note, feed problems) on stderr.
    let streams = matches!(cli.command, Command::Run | Command::Demo | Command::Check);
    if !streams {
        init_cli_logging(cli.verbose);
    }
    // Buffered for the one-shot commands: stdout is line-buffered, and `agenda --json` prints a
    // line per key (a 10k-event feed's agenda made 270k write calls, a third of its run time; see
    // BENCHMARKS.md). `run`, `demo` and `check` report progress as it happens.
    let stdout = std::io::stdout();
    let capacity = if streams { 0 } else { 1 << 16 };
    let mut out = std::io::BufWriter::with_capacity(capacity, stdout.lock());
    let result = run(cli, &paths, &mut out);
    let flushed = std::io::Write::flush(&mut out);
    match result.and_then(|code| flushed.map(|()| code).map_err(Into::into)) {
        Ok(code) => code,
        // `rapport people | head`: the reader has all it wanted. Like ripgrep,
        // end quietly and successfully (the command's work is done; only the
        // rest of its output had nowhere to go).
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // Errors quote notes and feeds too.
            crate::util::text::eprint(&format!("{err:#}"));
            ExitCode::from(2)
        }
    }
}

/// Whether `err` is a write to a closed pipe somewhere in its chain.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Logging for one-shot commands: `rapport`'s own events at WARN and above
/// (`-v` info, `-vv` debug; RUST_LOG overrides) on stderr, each as one plain
/// `rapport: warning: ...` line. Does nothing if a subscriber is installed.
pub fn init_cli_logging(verbose: u8) {
    let default = match verbose {
        0 => "rapport=warn",
        1 => "rapport=info",
        _ => "rapport=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(PlainFormat)
        .try_init();
}

/// `rapport: warning: message`, with control and bidi characters removed:
/// messages quote config values and feed text.
struct PlainFormat;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for PlainFormat
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warning",
            tracing::Level::INFO => "info",
            tracing::Level::DEBUG => "debug",
            tracing::Level::TRACE => "trace",
        };
        let mut message = String::new();
        ctx.field_format().format_fields(
            tracing_subscriber::fmt::format::Writer::new(&mut message),
            event,
        )?;
        let message = crate::util::text::clean(&message, true);
        writeln!(writer, "rapport: {level}: {}", message.trim_end())
    }
}

/// Runs a parsed command line with the given file locations, writing the
/// command's output to `out`. Tests call this in-process.
///
/// Text output goes through [`crate::util::text::TerminalWriter`]: notes, feeds
/// and file names are written by others, and no control sequence of theirs
/// reaches the terminal, whichever command prints them. JSON is exact and
/// escaped, so it is written as it is.
pub fn run(
    cli: Cli,
    paths: &crate::config::Paths,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    if cli.command.prints_json() {
        return run_command(cli, paths, out);
    }
    let mut clean = crate::util::text::TerminalWriter::new(out);
    let result = run_command(cli, paths, &mut clean);
    std::io::Write::flush(&mut clean)?;
    result
}

impl Command {
    fn prints_json(&self) -> bool {
        match self {
            Command::Agenda(a) => a.json,
            Command::People(p) => match &p.command {
                None => p.json,
                Some(PeopleCommand::Suggest(s)) => s.json,
                Some(PeopleCommand::Adopt(a)) => a.json,
            },
            Command::Import(i) => i.json,
            Command::Person(PersonCommand::Show { json, .. }) => *json,
            Command::Brief(b) => b.json,
            // Exact bytes for a shell or for man.
            Command::Completions { .. } | Command::Man => true,
            Command::Due(d) => d.json && d.command.is_none(),
            Command::Today(t) => t.json,
            _ => false,
        }
    }
}

fn run_command(
    cli: Cli,
    paths: &crate::config::Paths,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    use people::{change, people_folder, today, EditRequest};
    let writer = |command: &str| crate::people::writer::NoteWriter::new(&paths.state_dir, command);
    // Temporary files of a rapport killed mid-write are removed by the next
    // command (the people folder's by the next read of it).
    for dir in [
        paths.state_dir.clone(),
        crate::daemon::requests::requests_dir(&paths.state_dir),
        paths.cache_dir.join("feeds"),
    ] {
        crate::util::fs::sweep_stale_temps(&dir);
    }
    // A config file the user named must exist, whatever the command (only
    // `init` creates it; `demo`, `completions` and `man` read none).
    if !matches!(
        cli.command,
        Command::Init | Command::Demo | Command::Completions { .. } | Command::Man
    ) {
        paths.check_named_config()?;
    }
    match cli.command {
        Command::Agenda(args) => agenda::run(&args, paths, out),
        Command::Demo => {
            if cli.verbose > 0 {
                crate::daemon::init_logging(cli.verbose);
            }
            demo::run(&demo::DemoOptions::default(), out)
        }
        Command::Check => check::run(
            paths,
            &check::CheckOptions {
                show_links: cli.verbose > 0,
                ..check::CheckOptions::new(chrono::Utc::now())
            },
            out,
        ),
        Command::People(PeopleArgs {
            command: None,
            json,
        }) => {
            let history = between::History::load_on(paths, None, chrono::Utc::now())?;
            people::list(&history, json, out)
        }
        Command::People(PeopleArgs {
            command: Some(PeopleCommand::Suggest(a)),
            ..
        }) => suggest::suggest(paths, &a.since, a.limit, a.json, out),
        Command::People(PeopleArgs {
            command: Some(PeopleCommand::Adopt(a)),
            ..
        }) => {
            let pick = match a.top {
                Some(n) => crate::people::suggest::Pick::Top(n),
                None => crate::people::suggest::Pick::Chosen(a.who),
            };
            let request = suggest::AdoptRequest {
                pick,
                since: &a.since,
                dry_run: a.dry_run,
                json: a.json,
            };
            suggest::adopt(paths, &request, out)
        }
        Command::Import(a) => import::run(paths, &a.file, a.dry_run, a.json, out),
        Command::Person(PersonCommand::Show { name, json }) => {
            let history = between::History::load_on(paths, None, chrono::Utc::now())?;
            people::show(&history, &name, json, out)
        }
        Command::Person(PersonCommand::Add {
            name,
            emails,
            org,
            role,
        }) => {
            let new = crate::people::store::NewPerson {
                name,
                emails,
                org,
                role,
            };
            people::add(&people_folder(paths)?, &writer("add"), &new, out)
        }
        Command::Edit(args) => {
            let dir = people_folder(paths)?;
            let var = |name| std::env::var(name).ok();
            let editor = people::editor_argv(var("VISUAL").as_deref(), var("EDITOR").as_deref())?;
            people::edit_in_editor(&dir, &writer("edit"), &args.name, &editor, out)
        }
        Command::Note(a) => change(
            paths,
            &a.name,
            a.force.force,
            EditRequest::Note {
                text: a.text,
                date: a.date,
            },
            out,
        ),
        Command::Ask(a) => change(
            paths,
            &a.name,
            a.force.force,
            EditRequest::Ask {
                text: a.text,
                after: a.after,
            },
            out,
        ),
        Command::Owe(a) => change(
            paths,
            &a.name,
            a.force.force,
            EditRequest::Owe {
                text: a.text,
                due: a.due,
            },
            out,
        ),
        Command::Done(a) => change(
            paths,
            &a.name,
            a.force.force,
            EditRequest::Done { task: a.task },
            out,
        ),
        Command::Undo(a) => {
            let request = match (a.list, a.show, a.version) {
                (true, _, _) => people::UndoRequest::List,
                (_, Some(n), _) => people::UndoRequest::Show(n),
                (_, None, n) => people::UndoRequest::Restore(n),
            };
            let dir = people_folder(paths)?;
            people::undo(&dir, &writer("undo"), &a.name, request, out)
        }
        Command::Brief(args) => brief::run(&args, paths, out),
        Command::Join(a) => actions::join(paths, &a.query, a.print, &crate::daemon::XdgOpen, out),
        Command::Snooze(a) => actions::snooze(paths, &a.query, a.snooze_for.as_deref(), out),
        Command::Met(a) => actions::met(paths, &a.query, a.date.as_deref(), a.force.force, out),
        Command::Init => {
            let ok = setup::init(paths, today(), out)?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Service(ServiceCommand::Install { dir }) => {
            setup::install_service_command(paths, dir, cli.config.as_deref(), out)
        }
        Command::Run => {
            crate::daemon::init_logging(cli.verbose);
            crate::daemon::run_blocking(paths.clone())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Due(DueArgs {
            command: Some(DueCommand::Snooze { name, span, force }),
            ..
        }) => between::snooze(paths, &name, &span, force.force, today(), out),
        Command::Due(args) => between::due(
            paths,
            args.on.as_deref(),
            args.json,
            chrono::Utc::now(),
            out,
        ),
        Command::Today(args) => between::today(
            paths,
            args.on.as_deref(),
            args.json,
            chrono::Utc::now(),
            out,
        ),
        Command::Status => Ok(if status::run(paths, chrono::Utc::now(), out)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "rapport", out);
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command).render(out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
