//! The command-line equivalents of the notification actions: `rapport join`,
//! `rapport snooze` and `rapport met` ("Nothing new"). "Open brief" is
//! `rapport brief`, "Add note" is `rapport note` / `rapport edit`.
//!
//! Snooze goes through the daemon, which owns `state.json`: the CLI drops a
//! request file into `<state dir>/requests/` (written atomically, so the
//! daemon never reads half a file) and the daemon takes it on its next wake,
//! at most a minute later ([`crate::schedule::MAX_SLEEP`]), removes it and
//! applies it like the Snooze button.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, Local, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::model::Occurrence;
use crate::config::{Config, Paths};
use crate::people::matching::Matcher;
use crate::people::{self, People};
use crate::util::text::one_line;

/// `rapport met` looks this far back for the last meeting, and for one
/// matching a text.
const MET_LAST_DAYS: i64 = 7;
const MET_SEARCH_DAYS: i64 = 30;
/// How far ahead `join` and `snooze` look (as `rapport brief`).
const NEXT_DAYS: i64 = 7;
const SEARCH_DAYS: i64 = 30;
/// The daemon writes its state at least every 10 minutes; a `last_run`
/// older than this means it is not running.
const ALIVE_WITHIN: Duration = Duration::minutes(11);

/// A snooze asked for on the command line, for the daemon to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnoozeRequest {
    pub calendar: String,
    pub uid: String,
    /// The occurrence's start.
    pub start: DateTime<Utc>,
    /// The delay counts from here, not from the pickup, so a late pickup
    /// does not stretch it.
    pub requested_at: DateTime<Utc>,
    pub snooze_for_s: i64,
}

impl SnoozeRequest {
    /// When the prep should show again (the daemon caps it at the start).
    pub fn until(&self) -> DateTime<Utc> {
        self.requested_at + Duration::seconds(self.snooze_for_s)
    }
}

/// Where request files go.
pub fn requests_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("requests")
}

const REQUEST_PREFIX: &str = "snooze-";
const REQUEST_SUFFIX: &str = ".json";

/// Writes a request file atomically (temporary file, then rename; the
/// temporary name starts with a dot and is never read).
pub fn queue_snooze(state_dir: &Path, request: &SnoozeRequest) -> anyhow::Result<PathBuf> {
    let dir = requests_dir(state_dir);
    crate::util::fs::create_private_dir(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let path = dir.join(format!(
        "{REQUEST_PREFIX}{nanos}-{}{REQUEST_SUFFIX}",
        std::process::id()
    ));
    let body = serde_json::to_vec_pretty(request)?;
    crate::util::fs::atomic_write(&path, &body)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Takes every complete request file out of the folder, oldest first: each
/// is read and removed. Unreadable ones are removed too and reported as
/// errors (naming the file), so a bad file is not retried every minute.
pub fn take_requests(state_dir: &Path) -> Vec<Result<SnoozeRequest, String>> {
    let dir = requests_dir(state_dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(REQUEST_PREFIX) && n.ends_with(REQUEST_SUFFIX))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let read = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()));
            let _ = std::fs::remove_file(&path);
            read.map_err(|e| format!("{}: {e}; request dropped", path.display()))
        })
        .collect()
}

/// An http(s) link, the only kind Join opens.
pub fn is_http_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The daemon counts as running when its state was written recently.
pub fn daemon_alive(state: Option<&crate::state::State>, now: DateTime<Utc>) -> bool {
    state
        .and_then(|s| s.last_run)
        .is_some_and(|t| now - t <= ALIVE_WITHIN && t <= now + Duration::minutes(1))
}

// ---------------------------------------------------------------------------
// The commands

/// The calendars, people and matcher the commands work on.
struct Meetings {
    config: Config,
    occurrences: Vec<Occurrence>,
    people: People,
    matcher: Matcher,
}

impl Meetings {
    fn load(
        paths: &Paths,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        out_err: &mut dyn FnMut(String),
    ) -> anyhow::Result<Meetings> {
        let config = crate::config::load(paths)?;
        if config.calendars.is_empty() {
            anyhow::bail!(
                "{}: no [[calendar]] configured; add one (see `rapport init`)",
                paths.config_file.display()
            );
        }
        let fetcher = crate::feed::FeedFetcher::new(paths.cache_dir.clone(), Default::default())?;
        let mut calendars = Vec::new();
        for (source, fetched) in config
            .calendars
            .iter()
            .zip(fetcher.fetch_all_blocking(&config.calendars)?)
        {
            match fetched {
                Ok(f) => {
                    if let Some(e) = f.error() {
                        out_err(format!("{e} (using the copy from {})", f.fetched_at));
                    }
                    calendars.push(crate::calendar::parse_calendar_shared(&source.name, f.body));
                }
                Err(e) => out_err(e.to_string()),
            }
        }
        if calendars.is_empty() {
            anyhow::bail!("no calendar could be read (see above)");
        }
        let opts = crate::calendar::ExpandOptions {
            floating: crate::calendar::tz::local_zone(),
            me_emails: config.me.emails.clone(),
        };
        let expansion = crate::agenda::collect(&calendars, from, to, &opts, false);
        crate::agenda::report_cut_series(&expansion.warnings);
        let occurrences = expansion.occurrences;
        let people = crate::people::load(&config.people.dir);
        for e in &people.errors {
            out_err(format!("{}: {e}", config.people.dir.display()));
        }
        let matcher = Matcher::new(&people, &config.me);
        Ok(Meetings {
            config,
            occurrences,
            people,
            matcher,
        })
    }

    fn has_people(&self, o: &Occurrence) -> bool {
        let matched = self.matcher.match_attendees(&o.attendees_with_organizer());
        !crate::brief::attendance(&matched, &self.people).is_empty()
    }

    /// The next meeting, or the next one matching `query`, as `rapport brief`
    /// finds it.
    fn next(&self, query: Option<&str>, now: DateTime<Utc>) -> Option<&Occurrence> {
        crate::brief::find_meeting(
            &self.occurrences,
            query,
            &self.config.notify,
            |o| self.has_people(o),
            now,
        )
    }

    /// The most recent meeting that has started (or the most recent one
    /// matching `query`), with the same filters as [`Meetings::next`].
    fn last(&self, query: Option<&str>, now: DateTime<Utc>) -> Option<&Occurrence> {
        let mut started: Vec<Occurrence> = self
            .occurrences
            .iter()
            .filter(|o| o.start_utc() <= now)
            .cloned()
            .collect();
        started.sort_by_key(|o| std::cmp::Reverse(o.start_utc()));
        // find_meeting takes the first fitting one that is not over "at
        // `now`": seen from before the earliest of them, none is over, so it
        // returns the latest fitting one.
        let before_all = started.last()?.start_utc() - Duration::days(1);
        let found = crate::brief::find_meeting(
            &started,
            query,
            &self.config.notify,
            |o| self.has_people(o),
            before_all,
        )?;
        self.occurrences
            .iter()
            .find(|o| o.calendar == found.calendar && o.uid == found.uid && o.start == found.start)
    }
}

/// Empty or the command's keyword (`next`, `last`) means no query.
fn query_of(words: &[String], keyword: &str) -> Option<String> {
    match words.join(" ").trim() {
        "" => None,
        q if q == keyword => None,
        q => Some(q.to_owned()),
    }
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

fn eprint(line: String) {
    crate::util::text::eprint(&line);
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
        now - Duration::days(1),
        now + Duration::days(days),
        &mut eprint,
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
    opener: &dyn crate::daemon::Opener,
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
            occ.start.with_timezone(&Local).format("%a %d %b %H:%M")
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
    let state = crate::state::State::load_read_only(&paths.state_dir).ok();
    if !daemon_alive(state.as_ref(), now) {
        writeln!(
            out,
            "The daemon does not seem to be running (no state written in the last {} min): \
             the request is queued for when it starts (`rapport run`, or \
             `systemctl --user start rapport`).",
            ALIVE_WITHIN.num_minutes()
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
    let query = query_of(words, "last");
    let days = if query.is_some() {
        MET_SEARCH_DAYS
    } else {
        MET_LAST_DAYS
    };
    let m = Meetings::load(paths, now - Duration::days(days), now, &mut eprint)?;
    let Some(occ) = m.last(query.as_deref(), now) else {
        return not_found(
            out,
            query.as_deref(),
            &format!("meeting with people in the last {days} days"),
        );
    };
    let date = match date {
        Some(text) => crate::dates::parse_date(text, Local::now().date_naive())
            .map_err(|e| anyhow::anyhow!("--date {text:?}: {e}"))?,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(minute: u32) -> SnoozeRequest {
        use chrono::TimeZone;
        SnoozeRequest {
            calendar: "Work".into(),
            uid: format!("u{minute}@test"),
            start: Utc.with_ymd_and_hms(2026, 11, 27, 10, minute, 0).unwrap(),
            requested_at: Utc.with_ymd_and_hms(2026, 11, 27, 9, 50, 0).unwrap(),
            snooze_for_s: 300,
        }
    }

    #[test]
    fn requests_are_taken_once_in_order_and_bad_ones_dropped() {
        let dir = tempfile::tempdir().unwrap();
        assert!(take_requests(dir.path()).is_empty());
        queue_snooze(dir.path(), &request(1)).unwrap();
        queue_snooze(dir.path(), &request(2)).unwrap();
        let reqs = requests_dir(dir.path());
        // A half-written temporary file and foreign files are left alone.
        std::fs::write(reqs.join(".snooze-x.json.rapport-1-0.tmp"), b"{").unwrap();
        std::fs::write(reqs.join("README"), b"x").unwrap();
        std::fs::write(reqs.join("snooze-zzz.json"), b"not json").unwrap();
        let taken = take_requests(dir.path());
        assert_eq!(taken.len(), 3);
        assert_eq!(taken[0].as_ref().unwrap(), &request(1));
        assert_eq!(taken[1].as_ref().unwrap(), &request(2));
        assert!(taken[2].as_ref().unwrap_err().contains("snooze-zzz.json"));
        assert!(take_requests(dir.path()).is_empty());
        let mut left: Vec<String> = std::fs::read_dir(&reqs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".snooze-x.json.rapport-1-0.tmp", "README"]);
        assert_eq!(
            request(1).until(),
            request(1).requested_at + Duration::minutes(5)
        );
    }

    #[test]
    fn alive_means_a_recent_last_run() {
        let now = Utc::now();
        let mut s = crate::state::State::default();
        assert!(!daemon_alive(None, now));
        assert!(!daemon_alive(Some(&s), now));
        s.last_run = Some(now - Duration::minutes(3));
        assert!(daemon_alive(Some(&s), now));
        s.last_run = Some(now - Duration::minutes(30));
        assert!(!daemon_alive(Some(&s), now));
    }

    #[test]
    fn only_http_links_join() {
        assert!(is_http_url("https://meet.example/x"));
        assert!(is_http_url(" HTTP://a"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("file:///etc/passwd"));
    }
}
