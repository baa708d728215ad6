//! `rapport check`: is the setup able to do its job? It reads the config,
//! fetches and parses every calendar, reads the people folder and asks the
//! notification server who it is and what it can do, then prints one line per
//! finding, marked ok / warning / error.
//!
//! The findings are plain data built by small pure functions (one per part),
//! so each part is tested without the others; only [`run`] does I/O. Errors
//! make the exit code 1; warnings are worth reading but do not stop rapport.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::calendar::{self, ExpandOptions};
use crate::config::{self, Config, ConfigError, Paths};
use crate::daemon::notify::{Capabilities, DbusNotifier, Notifier, NotifyError, ServerInfo};
use crate::feed::{
    CalendarSource, FeedError, FeedFetcher, FeedLocation, FetchLimits, FetchStatus, Fetched,
};
use crate::people::matching::normalize_email;
use crate::people::People;
use crate::util::text;

/// How far ahead occurrences are counted.
pub const HORIZON: chrono::Duration = chrono::Duration::days(7);
/// How long one line of `rapport check` output may be (long enough for any
/// path or message of ours; a feed's 10,000-character value is cut).
const LINE_CHARS: usize = 400;

/// How much of a feed's UID a warning quotes.
const UID_CHARS: usize = 80;

/// Feed warnings shown per calendar; the rest are counted (a broken export
/// can have thousands, and the first ones show the pattern).
pub const MAX_FEED_WARNINGS: usize = 20;
/// A notification server that has not answered by then counts as broken.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warning,
    Error,
}

impl Level {
    fn label(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub text: String,
}

impl Finding {
    fn ok(text: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            text: text.into(),
        }
    }
    fn warning(text: impl Into<String>) -> Finding {
        Finding {
            level: Level::Warning,
            text: text.into(),
        }
    }
    fn error(text: impl Into<String>) -> Finding {
        Finding {
            level: Level::Error,
            text: text.into(),
        }
    }
}

/// One part of the setup (the config, one calendar, ...) and its findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub sections: Vec<Section>,
}

impl Report {
    pub fn count(&self, level: Level) -> usize {
        self.sections
            .iter()
            .flat_map(|s| &s.findings)
            .filter(|f| f.level == level)
            .count()
    }

    /// 1 when anything is an error, else 0.
    pub fn exit_code(&self) -> ExitCode {
        if self.count(Level::Error) > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }

    /// The text `rapport check` prints: a title per section, then one line
    /// per finding with its level in a fixed-width column; multi-line texts
    /// are indented under their first line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for section in &self.sections {
            let _ = writeln!(out, "{}", text::line(&section.title, LINE_CHARS));
            for f in &section.findings {
                // Findings quote feeds (UIDs, values): nothing in them may
                // reach the terminal as a control sequence.
                for (i, line) in text::clean(&f.text, true).lines().enumerate() {
                    let line = text::line(line, LINE_CHARS);
                    let label = if i == 0 { f.level.label() } else { "" };
                    let _ = writeln!(out, "  {label:<8} {line}");
                }
            }
        }
        let (errors, warnings) = (self.count(Level::Error), self.count(Level::Warning));
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let _ = if errors == 0 && warnings == 0 {
            writeln!(out, "All good.")
        } else {
            writeln!(
                out,
                "{}, {}.",
                plural(errors, "error"),
                plural(warnings, "warning")
            )
        };
        out
    }
}

/// Which session bus to ask for the notification server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    /// `DBUS_SESSION_BUS_ADDRESS`, as the daemon uses.
    Session,
    /// A given D-Bus address (tests use private buses).
    Address(String),
}

#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub now: DateTime<Utc>,
    /// Show each calendar's whole link (`check -v`): links are shown as
    /// scheme and host everywhere else, since any part of one may be its
    /// secret. Only a password in it stays hidden.
    pub show_links: bool,
    pub bus: Bus,
    pub limits: FetchLimits,
}

impl CheckOptions {
    pub fn new(now: DateTime<Utc>) -> CheckOptions {
        CheckOptions {
            now,
            show_links: false,
            bus: Bus::Session,
            limits: FetchLimits::default(),
        }
    }
}

/// `rapport check`: gathers the report, prints it, returns the exit code.
pub fn run(
    paths: &Paths,
    options: &CheckOptions,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    let report = gather(paths, options);
    out.write_all(report.render().as_bytes())?;
    Ok(report.exit_code())
}

/// Checks everything and returns the findings (all I/O happens here).
pub fn gather(paths: &Paths, options: &CheckOptions) -> Report {
    let mut report = Report::default();
    let config = config::load(paths);
    report
        .sections
        .push(config_section(&paths.config_file, &config));
    match &config {
        Ok(config) => {
            report
                .sections
                .extend(calendar_sections(config, paths, options));
            let people = crate::people::load(&config.people.dir);
            report.sections.push(people_section(&people));
        }
        Err(_) => report.sections.push(Section {
            title: "Calendars and people".into(),
            findings: vec![Finding::warning(
                "not checked: they are read from the config file, fix it first",
            )],
        }),
    }
    report
        .sections
        .push(notification_section(&probe_notifications(&options.bus)));
    report
}

/// The config file: read or not, what it says in short, and its warnings.
pub fn config_section(path: &Path, config: &Result<Config, ConfigError>) -> Section {
    let mut findings = Vec::new();
    match config {
        Ok(c) => {
            let leads: Vec<String> = c
                .notify
                .lead
                .iter()
                .map(|d| crate::util::duration::format_duration(*d))
                .collect();
            let debrief = match c.notify.debrief {
                Some(d) => format!(
                    "debrief {} after",
                    crate::util::duration::format_duration(d)
                ),
                None => "no debrief".into(),
            };
            findings.push(Finding::ok(format!(
                "read: {} calendar{}, people in {}, prep {} before, {debrief}",
                c.calendars.len(),
                if c.calendars.len() == 1 { "" } else { "s" },
                c.people.dir.display(),
                leads.join(" and "),
            )));
            if c.me.emails.is_empty() {
                findings.push(Finding::warning(
                    "`me.emails` is empty: rapport cannot tell which attendee is you, so \
                     meetings you declined are still announced; add your addresses under [me]",
                ));
            }
            if c.calendars.is_empty() {
                findings.push(Finding::warning(
                    "no calendars: add a [[calendar]] block with a url or a path",
                ));
            }
            findings.extend(c.warnings.iter().map(Finding::warning));
        }
        Err(ConfigError::Invalid { path, problems }) => {
            findings.extend(problems.iter().map(|p| {
                Finding::error(format!(
                    "{}:{}:{}: `{}`: {}",
                    path.display(),
                    p.line,
                    p.column,
                    p.key,
                    p.message
                ))
            }));
        }
        Err(e) => findings.push(Finding::error(e.to_string())),
    }
    Section {
        title: format!("Config  {}", path.display()),
        findings,
    }
}

fn calendar_sections(config: &Config, paths: &Paths, options: &CheckOptions) -> Vec<Section> {
    if config.calendars.is_empty() {
        return Vec::new();
    }
    let fetched = FeedFetcher::new(paths.cache_dir.clone(), options.limits)
        .and_then(|f| f.fetch_all_blocking(&config.calendars));
    let expand = ExpandOptions {
        floating: crate::calendar::tz::local_zone(),
        me_emails: config.me.emails.clone(),
    };
    match fetched {
        Ok(results) => config
            .calendars
            .iter()
            .zip(results)
            .map(|(source, result)| {
                let mut section = calendar_section(source, &result, options.now, &expand);
                if let (true, FeedLocation::Url(url)) = (options.show_links, &source.location) {
                    let link = crate::feed::full_url_for_display(url);
                    let shown = format!("link (shown because of -v): {link}");
                    section.findings.insert(0, Finding::ok(shown));
                }
                section
            })
            .collect(),
        Err(e) => vec![Section {
            title: "Calendars".into(),
            findings: vec![Finding::error(e.to_string())],
        }],
    }
}

/// One calendar: how it was read, how many meetings in the next week, and
/// the problems found in it. Its location is shown redacted.
pub fn calendar_section(
    source: &CalendarSource,
    result: &Result<Fetched, FeedError>,
    now: DateTime<Utc>,
    expand: &ExpandOptions,
) -> Section {
    let title = format!("Calendar \"{}\"  {}", source.name, source.location);
    let mut findings = Vec::new();
    let fetched = match result {
        Ok(f) => f,
        Err(e) => {
            findings.push(Finding::error(e.to_string()));
            return Section { title, findings };
        }
    };
    let how = match &fetched.status {
        FetchStatus::Fresh => "read".to_string(),
        FetchStatus::NotModified => "unchanged since the last fetch".to_string(),
        FetchStatus::CachedAfterError(e) => {
            findings.push(Finding::error(format!(
                "{e}; using the copy cached {}",
                fetched.fetched_at.format("%Y-%m-%d %H:%M UTC")
            )));
            "cached copy".to_string()
        }
    };
    let parsed = calendar::parse_calendar(&source.name, &fetched.body);
    let calendar::Expansion {
        occurrences,
        warnings: cut,
    } = parsed.expand(now, now + HORIZON, expand);
    let cancelled = occurrences.iter().filter(|o| o.is_cancelled()).count();
    let live = occurrences.len() - cancelled;
    let mut summary = format!(
        "{how}: {}, {} event{}, {live} occurrence{} in the next 7 days",
        human_bytes(fetched.body.len()),
        parsed.event_count,
        if parsed.event_count == 1 { "" } else { "s" },
        if live == 1 { "" } else { "s" },
    );
    if cancelled > 0 {
        let _ = write!(summary, " (and {cancelled} cancelled)");
    }
    findings.push(Finding::ok(summary));
    if parsed.event_count == 0 {
        findings.push(Finding::warning(
            "the calendar has no events; check that this is the calendar you meant \
             (some servers return an empty calendar for a wrong link)",
        ));
    }
    // Series cut short in the next days come first: meetings may be missing.
    let all: Vec<&crate::calendar::model::Warning> = cut.iter().chain(&parsed.warnings).collect();
    for w in all.iter().take(MAX_FEED_WARNINGS) {
        let mut text = String::new();
        if let Some(line) = w.line {
            let _ = write!(text, "line {line}, ");
        }
        if let Some(uid) = &w.uid {
            let _ = write!(text, "UID {}: ", text::line(uid, UID_CHARS));
        } else if !text.is_empty() {
            text.truncate(text.len() - 2);
            text.push_str(": ");
        }
        text.push_str(&w.message);
        findings.push(Finding::warning(text));
    }
    if all.len() > MAX_FEED_WARNINGS {
        findings.push(Finding::warning(format!(
            "and {} more warnings like these",
            all.len() - MAX_FEED_WARNINGS
        )));
    }
    Section { title, findings }
}

/// The people folder: how many notes, the files that could not be read, and
/// addresses that appear in more than one note (an attendee with such an
/// address matches nobody).
pub fn people_section(people: &People) -> Section {
    let dir = &people.dir;
    let mut findings = Vec::new();
    if !dir.exists() {
        findings.push(Finding::warning(
            "the folder does not exist yet; `rapport init` creates it with an example, \
             `rapport person add NAME` adds someone",
        ));
    } else if people.people.is_empty() && people.errors.is_empty() {
        findings.push(Finding::warning(
            "no notes yet; `rapport person add NAME --email ADDRESS` adds someone",
        ));
    } else {
        findings.push(Finding::ok(format!(
            "{} {} read",
            people.people.len(),
            if people.people.len() == 1 {
                "person"
            } else {
                "people"
            }
        )));
    }
    for e in &people.errors {
        let mut text = dir.join(&e.path).display().to_string();
        if let Some(line) = e.line {
            let _ = write!(text, ":{line}");
        }
        let _ = write!(text, ": {}", e.message);
        findings.push(Finding::error(text));
    }
    for w in people.warnings() {
        let mut text = dir.join(&w.path).display().to_string();
        if let Some(line) = w.line {
            let _ = write!(text, ":{line}");
        }
        let _ = write!(text, ": {}", w.message);
        findings.push(Finding::warning(text));
    }
    let mut by_email: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, person) in people.people.iter().enumerate() {
        for email in &person.emails {
            let entry = by_email.entry(normalize_email(email)).or_default();
            if !entry.contains(&i) {
                entry.push(i);
            }
        }
    }
    for (email, owners) in by_email.iter().filter(|(_, o)| o.len() > 1) {
        let names: Vec<String> = owners
            .iter()
            .map(|&i| {
                let p = &people.people[i];
                format!("{} ({})", p.name, dir.join(&p.path).display())
            })
            .collect();
        findings.push(Finding::error(format!(
            "{email} is in {} notes: {}; an attendee with this address matches nobody, \
             so keep it in one note",
            owners.len(),
            names.join(" and ")
        )));
    }
    Section {
        title: format!("People  {}", dir.display()),
        findings,
    }
}

/// Asks the notification server for its name and capabilities.
pub fn probe_notifications(bus: &Bus) -> Result<(ServerInfo, Capabilities), NotifyError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| NotifyError::Server(format!("cannot start the I/O runtime: {e}")))?;
    runtime.block_on(async {
        let notifier = match bus {
            Bus::Session => DbusNotifier::session(),
            Bus::Address(a) => DbusNotifier::at_address(a),
        };
        let probe = async {
            let info = notifier.server_information().await?;
            let caps = notifier.capabilities().await?;
            Ok((info, caps))
        };
        let result = tokio::time::timeout(NOTIFY_TIMEOUT, probe)
            .await
            .unwrap_or_else(|_| {
                Err(NotifyError::Server(format!(
                    "no answer within {}s",
                    NOTIFY_TIMEOUT.as_secs()
                )))
            });
        // Dropped inside the runtime: its listener task belongs here.
        drop(notifier);
        result
    })
}

/// The notification server: who it is and whether it can show actions and
/// formatted text. No server is an error: the daemon would have nobody to
/// show its notifications.
pub fn notification_section(probe: &Result<(ServerInfo, Capabilities), NotifyError>) -> Section {
    let mut findings = Vec::new();
    match probe {
        Ok((info, caps)) => {
            findings.push(Finding::ok(format!(
                "server: {} {} by {} (spec {})",
                info.name, info.version, info.vendor, info.spec_version
            )));
            findings.push(Finding::ok(format!(
                "capabilities: {}",
                if caps.raw.is_empty() {
                    "none listed".to_string()
                } else {
                    caps.raw.join(", ")
                }
            )));
            if !caps.actions {
                findings.push(Finding::warning(
                    "no actions (buttons): notifications end with the command to run instead \
                     of \"Open brief\", \"Snooze\" and \"Join\"",
                ));
            }
            if !caps.body {
                findings.push(Finding::warning(
                    "the server shows no body text: only the summary line of each \
                     notification is visible; `rapport brief` prints the rest",
                ));
            } else if !caps.body_markup {
                findings.push(Finding::ok("plain-text bodies (no markup)"));
            }
        }
        Err(e) => findings.push(Finding::error(e.to_string())),
    }
    Section {
        title: "Notifications".into(),
        findings,
    }
}

fn human_bytes(n: usize) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}
