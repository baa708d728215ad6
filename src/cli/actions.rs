//! The command-line equivalents of the notification actions: `rapport join`,
//! `rapport snooze` and `rapport met` ("Nothing new"). "Open brief" is
//! `rapport brief`, "Add note" is `rapport note` / `rapport edit`.
//!
//! Snooze goes through the daemon, which owns `state.json`: the command
//! queues a request ([`crate::daemon::requests`]) that the daemon applies
//! like the Snooze button.

use std::process::ExitCode;

use chrono::{DateTime, Duration, Local, Utc};

use super::meetings::{query_of, Meetings, NEXT_DAYS, SEARCH_DAYS};
use super::status::TIME_FORMAT;
use crate::calendar::model::Occurrence;
use crate::calendar::tz::local_zone;
use crate::config::{Config, Paths};
use crate::daemon::open::{is_http_url, Opener};
use crate::daemon::requests::{queue_snooze, SnoozeRequest};
use crate::daemon::state::daemon_running;
use crate::people;
use crate::util::text::one_line;

/// `rapport met` looks this far back for the last meeting, and for one
/// matching a text.
const MET_LAST_DAYS: i64 = 7;
const MET_SEARCH_DAYS: i64 = 30;

/// The config these commands read: one with calendars.
fn config_with_calendars(paths: &Paths) -> anyhow::Result<Config> {
    let config = crate::config::load(paths)?;
    if config.calendars.is_empty() {
        anyhow::bail!(
            "{}: no [[calendar]] configured; add one (see `rapport init`)",
            paths.config_file.display()
        );
    }
    Ok(config)
}

fn not_found(
    out: &mut dyn std::io::Write,
    query: Option<&str>,
    what: &str,
) -> anyhow::Result<ExitCode> {
    match query {
        None => writeln!(out, "No {what}. `rapport agenda` lists everything.")?,
        Some(q) => writeln!(out, "No meeting mentions \"{q}\" ({what}).")?,
    }
    Ok(ExitCode::from(1))
}

/// The meeting `join` and `snooze` act on: the next one with people, or
/// the next whose title or people match the words. `Err` carries the exit
/// code once "not found" has been said.
fn next_meeting(
    paths: &Paths,
    words: &[String],
    now: DateTime<Utc>,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Result<Occurrence, ExitCode>> {
    let query = query_of(words, "next");
    let days = if query.is_some() {
        SEARCH_DAYS
    } else {
        NEXT_DAYS
    };
    let m = Meetings::load(
        paths,
        config_with_calendars(paths)?,
        now - Duration::days(1),
        now + Duration::days(days),
        &local_zone(),
    )?;
    match m.next(query.as_deref(), now) {
        Some(occ) => Ok(Ok(occ.clone())),
        None => not_found(
            out,
            query.as_deref(),
            &format!("meeting in the next {days} days"),
        )
        .map(Err),
    }
}

/// `rapport join [next | TEXT] [--print]`.
pub fn join(
    paths: &Paths,
    words: &[String],
    print: bool,
    opener: &dyn Opener,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let occ = match next_meeting(paths, words, now, out)? {
        Ok(occ) => occ,
        Err(said) => return Ok(said),
    };
    let url = match occ.conference_url.as_deref() {
        Some(u) if is_http_url(u) => u.trim(),
        Some(u) => anyhow::bail!(
            "\"{}\" ({}): its conference link {u:?} is not http(s); not opened",
            one_line(&occ.summary),
            occ.calendar
        ),
        None => anyhow::bail!(
            "\"{}\" at {} has no conference link",
            one_line(&occ.summary),
            occ.start.with_timezone(&Local).format(TIME_FORMAT)
        ),
    };
    if print {
        writeln!(out, "{url}")?;
    } else {
        opener
            .open(url)
            .map_err(|e| anyhow::anyhow!("cannot run xdg-open {url}: {e}"))?;
        writeln!(out, "Opening {url} ({})", one_line(&occ.summary))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `rapport snooze [next | TEXT] [--for 5m]`.
pub fn snooze(
    paths: &Paths,
    words: &[String],
    snooze_for: Option<&str>,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let delay = match snooze_for {
        None => crate::daemon::SNOOZE_FOR,
        Some(text) => crate::util::duration::parse_duration(text)
            .and_then(|d| Duration::from_std(d).map_err(|e| e.to_string()))
            .map_err(|e| anyhow::anyhow!("--for {text:?}: {e}"))?,
    };
    if delay <= Duration::zero() {
        anyhow::bail!("--for must be longer than zero, e.g. --for 5m");
    }
    let occ = match next_meeting(paths, words, now, out)? {
        Ok(occ) => occ,
        Err(said) => return Ok(said),
    };
    if occ.start_utc() <= now {
        writeln!(
            out,
            "\"{}\" has started: not snoozed.",
            one_line(&occ.summary)
        )?;
        return Ok(ExitCode::from(1));
    }
    // The daemon keeps only the next days' meetings: a request for a later
    // one would be dropped, so it is refused here instead of promised.
    if !crate::daemon::keeps_meeting_at(occ.start_utc(), now) {
        let lead = config_with_calendars(paths)?
            .notify
            .lead
            .iter()
            .max()
            .map(|d| {
                crate::daemon::schedule::human_duration(Duration::seconds(d.as_secs() as i64))
            });
        let when = match lead {
            Some(lead) => {
                format!("Its prep shows {lead} before the start as usual; snooze it then.")
            }
            None => "No prep notification is configured ([notify] lead).".into(),
        };
        writeln!(
            out,
            "\"{}\" starts {}, beyond the {} days the daemon plans ahead: not snoozed. {when}",
            one_line(&occ.summary),
            occ.start.with_timezone(&Local).format(TIME_FORMAT),
            crate::daemon::LOOK_AHEAD.num_days(),
        )?;
        return Ok(ExitCode::from(1));
    }
    let request = SnoozeRequest {
        calendar: occ.calendar.clone(),
        uid: occ.uid.clone(),
        start: occ.start_utc(),
        requested_at: now,
        snooze_for_s: delay.num_seconds(),
    };
    queue_snooze(&paths.state_dir, &request)?;
    let at = request.until().min(occ.start_utc());
    writeln!(
        out,
        "Snoozed \"{}\": its prep shows again at {}.",
        one_line(&occ.summary),
        at.with_timezone(&Local).format("%H:%M")
    )?;
    let state = crate::daemon::state::State::load_read_only(&paths.state_dir).ok();
    if !daemon_running(&paths.state_dir, state.as_ref(), now) {
        writeln!(
            out,
            "The daemon does not seem to be running: the request is queued for when it \
             starts (`rapport run`, or `systemctl --user start rapport`)."
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `rapport met [last | TEXT] [--date D]`.
pub fn met(
    paths: &Paths,
    words: &[String],
    date: Option<&str>,
    force: bool,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    // A mistyped date is said before the calendars are read.
    let date = date
        .map(|text| {
            crate::util::dates::parse_date(text, Local::now().date_naive())
                .map_err(|e| anyhow::anyhow!("--date {text:?}: {e}"))
        })
        .transpose()?;
    let query = query_of(words, "last");
    let days = if query.is_some() {
        MET_SEARCH_DAYS
    } else {
        MET_LAST_DAYS
    };
    let m = Meetings::load(
        paths,
        config_with_calendars(paths)?,
        now - Duration::days(days),
        now,
        &local_zone(),
    )?;
    let Some(occ) = m.last(query.as_deref(), now) else {
        return not_found(
            out,
            query.as_deref(),
            &format!("meeting with people in the last {days} days"),
        );
    };
    let date = match date {
        Some(date) => date,
        None => occ.start.with_timezone(&Local).date_naive(),
    };
    let writer = people::writer::NoteWriter::new(&paths.state_dir, "met").force(force);
    let written = people::edit::log_met(&writer, &m.people, &m.matcher, occ, date)?;
    if written.is_empty() {
        writeln!(
            out,
            "\"{}\": nobody in it has a note; add them with `rapport person add`.",
            one_line(&occ.summary)
        )?;
        return Ok(ExitCode::from(1));
    }
    for path in &written {
        writeln!(
            out,
            "{}: - {date} Met at {}",
            path.display(),
            one_line(&occ.summary)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
