//! `rapport status`: the daemon's view, read from `state.json` (never
//! written: the daemon owns it).

use chrono::{DateTime, Duration, Local, Utc};

use crate::config::Paths;
use crate::daemon::schedule;
use crate::daemon::state::{daemon_running, Due, State};
use crate::util::text::{self, one_line};

/// How status, join and snooze show an instant: "Tue 8 Dec 14:00", the day
/// without a leading zero, as the brief and the agenda write it.
pub const TIME_FORMAT: &str = "%a %-d %b %H:%M";

/// Prints each feed's last refresh and error and the next notifications,
/// from the state file.
pub fn run(
    paths: &Paths,
    now: DateTime<Utc>,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<bool> {
    let path = State::path(&paths.state_dir);
    if !path.exists() {
        let running = daemon_running(&paths.state_dir, None, now);
        if running {
            writeln!(
                out,
                "Daemon: running, starting up (no state written yet in {})",
                path.display()
            )?;
            return Ok(true);
        }
        writeln!(
            out,
            "Daemon: not running, and no state yet ({}): start it with `rapport run` \
             (or `rapport service install` for the background service).",
            path.display()
        )?;
        return Ok(false);
    }
    let state = State::load_read_only(&paths.state_dir)?;
    let running = daemon_running(&paths.state_dir, Some(&state), now);
    let local = |t: DateTime<Utc>| t.with_timezone(&Local).format(TIME_FORMAT).to_string();
    let ago = |t: DateTime<Utc>| {
        let d = now - t;
        if d < Duration::zero() {
            format!("in {}", schedule::human_duration(-d))
        } else {
            format!("{} ago", schedule::human_duration(d))
        }
    };
    let last = match state.last_run {
        Some(t) => format!("{} ({})", local(t), ago(t)),
        None => "never".into(),
    };
    if running {
        writeln!(out, "Daemon: running (state written {last})")?;
    } else {
        writeln!(
            out,
            "Daemon: NOT running (last ran {last}); start it with \
             `systemctl --user start rapport` or `rapport run`"
        )?;
    }
    writeln!(out, "\nCalendars:")?;
    let mut healthy = running;
    if state.feeds.is_empty() {
        writeln!(out, "  (none refreshed yet)")?;
    }
    for (name, f) in &state.feeds {
        let refreshed = f
            .last_refresh
            .map(|t| format!("refreshed {} ({})", local(t), ago(t)))
            .unwrap_or_else(|| "never refreshed".into());
        writeln!(out, "  {}: {refreshed}", text::line(name, text::NAME_CHARS))?;
        if f.warnings > 0 {
            writeln!(
                out,
                "    {} warning{} in the feed (`rapport check` lists them)",
                f.warnings,
                if f.warnings == 1 { "" } else { "s" }
            )?;
        }
        if let Some(err) = &f.last_error {
            healthy = false;
            let at = f
                .last_attempt
                .map(|t| format!(" at {}", local(t)))
                .unwrap_or_default();
            writeln!(out, "    error{at}: {}", text::line(err, text::TITLE_CHARS))?;
            let failed = match f.failures {
                0 | 1 => String::new(),
                n => format!("failed {n} times in a row; "),
            };
            match f.next_attempt {
                Some(next) => writeln!(
                    out,
                    "    {failed}next attempt {} ({})",
                    local(next),
                    ago(next)
                )?,
                None if !failed.is_empty() => {
                    writeln!(out, "    {}", failed.trim_end_matches("; "))?
                }
                None => {}
            }
        }
    }
    // The daemon plans only the meetings of its window: say how far that is.
    writeln!(
        out,
        "\nNext notifications (the daemon looks {} days ahead; `rapport agenda` shows further):",
        crate::daemon::LOOK_AHEAD.num_days()
    )?;
    let upcoming: Vec<&Due> = state
        .upcoming
        .iter()
        .filter(|d| d.due >= now - Duration::minutes(1))
        .collect();
    if upcoming.is_empty() {
        writeln!(
            out,
            "  (none: no meeting with people in the next {} days)",
            crate::daemon::LOOK_AHEAD.num_days()
        )?;
    }
    for d in upcoming.iter().take(10) {
        writeln!(
            out,
            "  {}  {:<7}  {} (starts {}, {})",
            local(d.due),
            d.kind.to_string(),
            // The title was copied from the feed: plain and shortened.
            text::line(&one_line(&d.summary), text::TITLE_CHARS),
            d.start.with_timezone(&Local).format("%H:%M"),
            text::line(&d.calendar, text::NAME_CHARS)
        )?;
    }
    if let Ok(config) = crate::config::load(paths) {
        let zone = crate::calendar::tz::local_zone();
        writeln!(
            out,
            "\n{}",
            next_digest_line(&config.digest, &state, &crate::brief::Now::new(now, zone))
        )?;
    }
    Ok(healthy)
}

/// "Next digest: Tue 8 Dec 08:30" (days as everywhere else), or why there is none.
fn next_digest_line(
    settings: &crate::brief::digest::DigestSettings,
    state: &State,
    now: &crate::brief::Now,
) -> String {
    use crate::brief::digest::{next_digest, DigestTime};
    // As the daemon: a snooze shows the digest again on the day it was
    // shown only (one past midnight is dropped), and not when it is off.
    let snoozed = state.digest.snoozed_until.filter(|t| {
        *t > now.utc && settings.enabled && state.digest.day == Some(now.zone.to_local(*t).date())
    });
    let local = |t: DateTime<Utc>| now.local(&t).format("%a %-d %b %H:%M").to_string();
    match (next_digest(settings, state.digest.day, now), snoozed) {
        (_, Some(t)) => format!("Next digest: {} (snoozed)", local(t)),
        (DigestTime::At(t), None) => format!("Next digest: {}", local(t)),
        (DigestTime::Now(_), None) => "Next digest: now (when the daemon next looks)".into(),
        (DigestTime::Never, None) => "Next digest: none ([digest] is off or has no days)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::schedule::Kind;
    use crate::daemon::state::Outcome;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 4, h, m, 0).unwrap()
    }

    #[test]
    fn the_next_digest_and_its_snooze_the_same_day_only() {
        let mut settings = crate::brief::digest::DigestSettings {
            days: chrono::WeekdaySet::ALL,
            ..Default::default()
        };
        let line = |settings: &crate::brief::digest::DigestSettings, state: &State, at| {
            let now = crate::brief::Now::new(at, crate::calendar::tz::Zone::Utc);
            next_digest_line(settings, state, &now)
        };
        let mut state = State::default();
        // Monday 4 January 2027, 07:00 UTC.
        assert_eq!(
            line(&settings, &state, t(7, 0)),
            "Next digest: Mon 4 Jan 08:30"
        );
        assert_eq!(
            line(&settings, &state, t(9, 0)),
            "Next digest: now (when the daemon next looks)"
        );
        state.digest.day = Some(t(9, 0).date_naive());
        assert_eq!(
            line(&settings, &state, t(9, 0)),
            "Next digest: Tue 5 Jan 08:30"
        );
        state.digest.snoozed_until = Some(t(10, 0));
        assert_eq!(
            line(&settings, &state, t(9, 0)),
            "Next digest: Mon 4 Jan 10:00 (snoozed)"
        );
        // Snoozed at 23:30 to 00:30: dropped at midnight, so tomorrow's.
        state.digest.snoozed_until = Some(t(23, 30) + chrono::Duration::hours(1));
        assert_eq!(
            line(&settings, &state, t(23, 30)),
            "Next digest: Tue 5 Jan 08:30"
        );
        state.digest.snoozed_until = Some(t(10, 0));
        settings.enabled = false;
        assert_eq!(
            line(&settings, &state, t(9, 0)),
            "Next digest: none ([digest] is off or has no days)"
        );
    }

    #[test]
    fn status_shows_feeds_errors_and_next_notifications() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let mut out = Vec::new();
        assert!(!run(&paths, t(9, 0), &mut out).unwrap());
        assert!(String::from_utf8_lossy(&out).contains("rapport run"));

        let mut state = State {
            last_run: Some(t(9, 0)),
            ..State::default()
        };
        state.record_feed_success("work", t(8, 45));
        state.record_next_attempt("work", t(9, 0), 0);
        state.record_feed_error("home", t(8, 50), "http://example.org/h.ics: HTTP 503");
        state.record_next_attempt("home", t(9, 10), 3);
        state.upcoming.push(Due {
            due: t(9, 50),
            kind: Kind::Prep,
            calendar: "work".into(),
            summary: "Marketing\nsync".into(),
            start: t(10, 0),
        });
        state.record(
            schedule::SentKey {
                calendar: "work".into(),
                uid: "x".into(),
                start: t(8, 0),
                kind: Kind::Prep,
                lead_s: 600,
            },
            t(7, 50),
            Outcome::Sent,
        );
        state.save(&paths.state_dir).unwrap();
        let mut out = Vec::new();
        let healthy = run(&paths, t(9, 1), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!healthy, "a feed has an error");
        assert!(text.contains("(1 min ago)"), "{text}");
        assert!(text.contains("work: refreshed"), "{text}");
        assert!(text.contains("home: never refreshed"), "{text}");
        assert!(text.contains("HTTP 503"), "{text}");
        let next = format!(
            "failed 3 times in a row; next attempt {} (in 9 min)",
            t(9, 10).with_timezone(&Local).format(TIME_FORMAT)
        );
        assert!(text.contains(&next), "{text}");
        // A healthy feed's next refresh is not news.
        assert_eq!(text.matches("next attempt").count(), 1, "{text}");
        assert!(
            text.contains("prep") && text.contains("Marketing sync"),
            "{text}"
        );
    }

    #[test]
    fn status_does_not_touch_a_corrupt_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        std::fs::create_dir_all(&paths.state_dir).unwrap();
        std::fs::write(State::path(&paths.state_dir), "{trunc").unwrap();
        let err = run(&paths, t(9, 0), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("state.json"), "{err}");
        assert_eq!(
            std::fs::read_to_string(State::path(&paths.state_dir)).unwrap(),
            "{trunc"
        );
    }
}
