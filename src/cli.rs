//! The command line: clap definitions and the single place that maps errors to
//! exit codes (as ripgrep's main does). Subcommands call into the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

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
    /// More log output (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show upcoming meetings.
    Agenda(AgendaArgs),
    /// List everyone in the people folder: name, org, last met, open follow-ups.
    People(PeopleArgs),
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
}

#[derive(Debug, Args)]
pub struct PeopleArgs {
    /// Print JSON: {"dir", "people": [...], "errors": [...]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Everything in one person's note.
    Show {
        /// An email, name, alias or an unambiguous part of one.
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Create a note from the template (never overwrites).
    Add {
        /// "Full Name"
        name: String,
        /// Repeatable.
        #[arg(long = "email", value_name = "ADDRESS")]
        emails: Vec<String>,
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        role: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// An email, name, alias or an unambiguous part of one.
    pub name: String,
}

/// Dates: YYYY-MM-DD, today, tomorrow, yesterday, a weekday name, +3d, +2w.
#[derive(Debug, Args)]
pub struct NoteArgs {
    pub name: String,
    pub text: String,
    /// The entry's date (default: today).
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    pub name: String,
    pub text: String,
    /// Ask from this day on (default: today).
    #[arg(long)]
    pub after: Option<String>,
}

#[derive(Debug, Args)]
pub struct OweArgs {
    pub name: String,
    pub text: String,
    /// Promised by this day (without it the task is tagged #owe).
    #[arg(long)]
    pub due: Option<String>,
}

#[derive(Debug, Args)]
pub struct DoneArgs {
    pub name: String,
    /// The follow-up's number (as `person show` lists them) or part of its text.
    pub task: String,
}

#[derive(Debug, Args)]
pub struct AgendaArgs {
    /// Start of the window: an RFC 3339 instant, or a date (local midnight). Default: now.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the window (exclusive). Default: 7 days after --from.
    #[arg(long)]
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
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(cli, &paths, &mut out) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("rapport: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs a parsed command line with the given file locations, writing the
/// command's output to `out`. Tests call this in-process.
pub fn run(
    cli: Cli,
    paths: &crate::config::Paths,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    use crate::people::commands::{self as people, EditRequest};
    let today = || chrono::Local::now().date_naive();
    let edit = |name: &str, request, out: &mut dyn std::io::Write| {
        let (dir, _me) = people_settings(paths)?;
        people::edit(&dir, name, request, today(), out)
    };
    match cli.command {
        Command::Agenda(args) => crate::agenda::run(&args, paths, out),
        Command::People(args) => people::list(&people_settings(paths)?.0, args.json, out),
        Command::Person(PersonCommand::Show { name, json }) => {
            people::show(&people_settings(paths)?.0, &name, json, today(), out)
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
            people::add(&people_settings(paths)?.0, &new, out)
        }
        Command::Edit(args) => {
            let (dir, _me) = people_settings(paths)?;
            let var = |name| std::env::var(name).ok();
            let editor = people::editor_argv(var("VISUAL").as_deref(), var("EDITOR").as_deref())?;
            people::edit_in_editor(&dir, &args.name, &editor, out)
        }
        Command::Note(a) => edit(
            &a.name,
            EditRequest::Note {
                text: a.text,
                date: a.date,
            },
            out,
        ),
        Command::Ask(a) => edit(
            &a.name,
            EditRequest::Ask {
                text: a.text,
                after: a.after,
            },
            out,
        ),
        Command::Owe(a) => edit(
            &a.name,
            EditRequest::Owe {
                text: a.text,
                due: a.due,
            },
            out,
        ),
        Command::Done(a) => edit(&a.name, EditRequest::Done { task: a.task }, out),
    }
}

/// The people folder and `[me]` from the config file.
///
/// Interim: reads just `[people] dir` and `[me]` from the TOML until the
/// full `config::load` (branch `feed`) is merged; then this becomes
/// `config::load(paths)` and uses `config.people.dir` / `config.me`.
/// A missing config file means the defaults (`people/` under the data dir).
pub fn people_settings(
    paths: &crate::config::Paths,
) -> anyhow::Result<(PathBuf, crate::config::Me)> {
    use anyhow::Context;
    let file = &paths.config_file;
    let default_dir = paths.data_dir.join("people");
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((default_dir, crate::config::Me::default()))
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", file.display()))?;
    let bad = |key: &str, want: &str| anyhow::anyhow!("{}: {key} should be {want}", file.display());
    let dir = match doc.get("people").and_then(|p| p.get("dir")) {
        None => default_dir,
        Some(toml::Value::String(d)) => {
            let expanded = match d.strip_prefix("~/") {
                Some(rest) => directories::BaseDirs::new()
                    .map(|b| b.home_dir().join(rest))
                    .unwrap_or_else(|| PathBuf::from(d)),
                None => PathBuf::from(d),
            };
            // Relative to the config file's folder, not the working directory.
            match file.parent() {
                Some(parent) if expanded.is_relative() => parent.join(expanded),
                _ => expanded,
            }
        }
        Some(_) => return Err(bad("[people] dir", "a path in quotes")),
    };
    let mut me = crate::config::Me::default();
    if let Some(m) = doc.get("me") {
        me.name = match m.get("name") {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad("[me] name", "text in quotes")),
        };
        for key in ["email", "emails"] {
            match m.get(key) {
                None => {}
                Some(toml::Value::String(s)) => me.emails.push(s.to_lowercase()),
                Some(toml::Value::Array(list)) => {
                    for v in list {
                        match v.as_str() {
                            Some(s) => me.emails.push(s.to_lowercase()),
                            None => return Err(bad(&format!("[me] {key}"), "a list of addresses")),
                        }
                    }
                }
                Some(_) => return Err(bad(&format!("[me] {key}"), "an address or a list")),
            }
        }
    }
    Ok((dir, me))
}
