//! Between meetings: `rapport due [--on DATE] [--json]`, `rapport due snooze
//! NAME SPAN` and `rapport today [--on DATE] [--json]`.
//!
//! [`History`] is the one loader: the configured calendars read once over
//! `[people] history` (and a month ahead, for the next meeting with each
//! person), each occurrence streamed into [`CalendarContacts`] as the engine
//! yields it, and the chosen day's meetings kept for the digest. `people`
//! and `person show` use it too, for each person's last contact.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::dates::parse_date;
use super::meetings::fetch_and_parse;
use crate::brief::digest::{self, meetings_on};
use crate::brief::Now;
use crate::calendar::model::Occurrence;
use crate::calendar::tz::{local_zone, Zone};
use crate::calendar::ExpandOptions;
use crate::config::{self, Config, ConfigError, Paths};
use crate::daemon::state::State;
use crate::people::cadence::{due_list, snooze_until, DueList, MEETING_SOON};
use crate::people::contact::CalendarContacts;
use crate::people::edit::{edit_file, Edit};
use crate::people::matching::Matcher;
use crate::people::period::Period;
use crate::people::writer::NoteWriter;
use crate::people::{self, People};
use crate::util::text::one_line;

/// How far ahead the calendars are read for each person's next meeting
/// (`next_meeting` in `due --json`).
pub const AHEAD: Duration = Duration::days(31);

/// The people notes with what a year of calendars says about them.
pub struct History {
    pub config: Config,
    pub people: People,
    pub matcher: Matcher,
    pub contacts: CalendarContacts,
    pub now: Now,
    /// The occurrences touching the chosen day (for the digest's meetings).
    pub day: Vec<Occurrence>,
    /// Calendars that could not be read (said on stderr).
    pub failures: usize,
}

/// The instant a day is looked at: now for today, else its local midnight
/// (a morning's view: that day's meetings have not happened yet).
pub fn instant_of(day: Option<NaiveDate>, zone: &Zone, now: DateTime<Utc>) -> DateTime<Utc> {
    match day {
        Some(d) if d != zone.to_local(now).date() => zone.to_utc(d.and_time(NaiveTime::MIN)),
        _ => now,
    }
}

/// `--on DATE` as `note` and `ask` read dates (relative to today).
pub fn day_arg(on: Option<&str>, today: NaiveDate) -> anyhow::Result<Option<NaiveDate>> {
    on.map(|t| parse_date(t, today).context("--on")).transpose()
}

/// The config, or the defaults with the people folder under the data dir
/// when there is no config file (notes work without calendars).
fn config_or_default(paths: &Paths) -> anyhow::Result<Config> {
    match config::load(paths) {
        Ok(c) => Ok(c),
        Err(ConfigError::NotFound { .. }) => {
            let mut c = Config::for_sources(Vec::new())?;
            c.people.dir = paths.data_dir.join("people");
            Ok(c)
        }
        Err(e) => Err(e.into()),
    }
}

impl History {
    /// Reads the notes and the calendars as of `day` (default today).
    pub fn load(
        paths: &Paths,
        day: Option<NaiveDate>,
        now: DateTime<Utc>,
        zone: Zone,
    ) -> anyhow::Result<History> {
        let config = config_or_default(paths)?;
        let now = Now::new(instant_of(day, &zone, now), zone);
        let people = people::load(&config.people.dir);
        for e in people.errors.iter().cloned().chain(people.warnings()) {
            crate::util::text::eprint(&format!("{}: {e}", config.people.dir.display()));
        }
        let matcher = Matcher::new(&people, &config.me);
        let mut contacts = CalendarContacts::new(
            people.people.len(),
            &config.people.contact,
            now.utc,
            &now.zone,
        );
        let today = now.today();
        let mut kept = Vec::new();
        let mut failures = 0;
        // No calendar could be read (offline, no cache yet): the notes still
        // say a lot; the command says so and exits with 1.
        let calendars = match config.calendars.is_empty() {
            true => None,
            false => match fetch_and_parse(paths, &config.calendars) {
                Ok(c) => Some(c),
                Err(e) => {
                    crate::util::text::eprint(&format!(
                        "{e:#}; last contact and meetings from the notes only"
                    ));
                    failures = config.calendars.len();
                    None
                }
            },
        };
        if let Some(calendars) = calendars {
            failures = calendars.failures;
            let opts = ExpandOptions {
                floating: now.zone.clone(),
                me_emails: config.me.emails.clone(),
            };
            let to = now.utc + AHEAD.max(MEETING_SOON);
            super::meetings::read_contacts(
                &calendars.parsed,
                &mut contacts,
                to,
                &opts,
                &matcher,
                today,
                &mut |o| kept.push(o),
            );
        }
        Ok(History {
            config,
            people,
            matcher,
            contacts,
            now,
            day: kept,
            failures,
        })
    }

    /// [`History::load`] for `--on DATE` (default today) in the local zone.
    pub fn load_on(paths: &Paths, on: Option<&str>, now: DateTime<Utc>) -> anyhow::Result<History> {
        let zone = local_zone();
        let day = day_arg(on, zone.to_local(now).date())?;
        History::load(paths, day, now, zone)
    }

    pub fn due(&self) -> DueList {
        due_list(&self.people, &self.contacts, &self.config.people.cadence)
    }

    /// The digest of the chosen day; things to ask are new after
    /// `asks_after` ([`digest::asks_after`]).
    pub fn digest(&self, asks_after: NaiveDate) -> digest::Digest {
        let day = meetings_on(
            &self.day,
            &self.matcher,
            self.now.today(),
            &self.now,
            self.config.notify.include_all_day,
        );
        digest::compose(
            &self.people,
            &day,
            &self.due(),
            &self.config.digest,
            asks_after,
            &self.now,
        )
    }

    fn code(&self) -> ExitCode {
        if self.failures > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// `rapport due [--on DATE] [--json]`.
pub fn due(
    paths: &Paths,
    on: Option<&str>,
    json: bool,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let history = History::load_on(paths, on, now)?;
    let list = history.due();
    if json {
        serde_json::to_writer_pretty(&mut *out, &list)?;
        writeln!(out)?;
        return Ok(history.code());
    }
    let today = list.date;
    if list.due.is_empty() {
        writeln!(out, "Nobody is due for keeping in touch on {today}.")?;
        let any_cadence = history.people.people.iter().any(|p| {
            crate::people::cadence::cadence_of(p, &history.config.people.cadence).is_some()
        });
        if !any_cadence {
            writeln!(
                out,
                "Nobody has a cadence yet: add `cadence: 3w` to a note's front matter, or \
                 defaults by tag under [people.cadence] in the config."
            )?;
        }
    } else {
        writeln!(out, "Due for keeping in touch on {today}:")?;
        for e in &list.due {
            let overdue = match e.overdue_days {
                0 => "due today".to_string(),
                1 => "1 day overdue".to_string(),
                n => format!("{n} days overdue"),
            };
            // The digest's words: "last 4 weeks ago, log"; without any
            // contact no day count (it would be made up).
            let said = match (e.last_contact, &e.last_contact_text, e.last_contact_source) {
                (Some(date), Some(text), Some(source)) => format!(
                    "{overdue}; last {}",
                    crate::people::contact::LastContact { date, source, text }.describe(today)
                ),
                _ => "no contact yet".into(),
            };
            let mut line = format!("  {} (every {}): {said}", one_line(&e.name), e.cadence);
            if let Some(channel) = e.channel {
                line.push_str(&format!("; prefers {}", digest::channel_words(channel)));
            }
            if e.open_follow_ups > 0 {
                line.push_str(&format!(
                    "; {} open follow-up{}",
                    e.open_follow_ups,
                    if e.open_follow_ups == 1 { "" } else { "s" }
                ));
            }
            if let Some(next) = e.next_meeting {
                line.push_str(&format!("; next meeting {}", next.format("%a %-d %b")));
            }
            writeln!(out, "{line}")?;
        }
    }
    if !list.meeting_soon.is_empty() {
        writeln!(out, "\nMeeting soon (not due until then):")?;
        for w in &list.meeting_soon {
            let when = w
                .next_meeting
                .map(|t| t.format("%a %-d %b %H:%M").to_string())
                .unwrap_or_default();
            let title = w.title.as_deref().map(one_line).unwrap_or_default();
            writeln!(out, "  {}: {when} {title}", one_line(&w.name))?;
        }
    }
    if !list.snoozed.is_empty() {
        writeln!(out, "\nSnoozed:")?;
        for w in &list.snoozed {
            if let Some(until) = w.until {
                writeln!(
                    out,
                    "  {} until {}",
                    one_line(&w.name),
                    until.format("%a %-d %b")
                )?;
            }
        }
    }
    Ok(history.code())
}

/// `rapport due snooze NAME SPAN`: `snooze_until: DATE` (today + SPAN) in
/// the note's front matter, through the [`NoteWriter`] (locked, versioned,
/// lossless).
pub fn snooze(
    paths: &Paths,
    name: &str,
    span: &str,
    force: bool,
    today: NaiveDate,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let span = Period::parse(span).map_err(|e| anyhow::anyhow!("{e}"))?;
    let until = snooze_until(today, span)
        .ok_or_else(|| anyhow::anyhow!("{span} after {today} is beyond the calendar"))?;
    let dir = super::people::people_folder(paths)?;
    let people = people::load(&dir);
    let index = super::people::find_or_explain(&people, name)?;
    let p = &people.people[index];
    let writer = NoteWriter::new(&paths.state_dir, "due snooze").force(force);
    let applied = edit_file(&writer, &people.file_of(p), &Edit::SnoozeUntil { until })?;
    writeln!(
        out,
        "{} ({}): not due before {until}; line {}: {}",
        p.name,
        p.path.display(),
        applied.line,
        applied.line_text
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `rapport today [--on DATE] [--json]`: the digest and the day's meetings.
pub fn today(
    paths: &Paths,
    on: Option<&str>,
    json: bool,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let history = History::load_on(paths, on, now)?;
    // The same questions as the daemon's digest: new since the last digest
    // it sent (its state is only read; without it, the schedule says).
    let sent = State::load_read_only(&paths.state_dir)
        .map(|s| s.digest.sent())
        .unwrap_or_default();
    let asks_after = digest::asks_after(
        history.now.today(),
        history.now.zone.to_local(now).date(),
        sent,
        history.config.digest.days,
    );
    let digest = history.digest(asks_after);
    if json {
        serde_json::to_writer_pretty(&mut *out, &digest)?;
        writeln!(out)?;
    } else {
        // Shown as of the real now: "Today" only for today.
        let real = Now::new(now, history.now.zone.clone());
        out.write_all(digest::markdown(&digest, &real).as_bytes())?;
    }
    Ok(history.code())
}
