//! `rapport agenda`: the occurrences of a window, as text for a terminal or
//! as one JSON array.
//!
//! The core is pure: [`parse_bound`], [`window`] and [`render_text`] (and
//! the JSON of [`super::agenda_json`]) take data (and the local zone) and
//! return data; [`run`] does the I/O (config, the calendars through
//! [`super::meetings::fetch_and_parse`], writing to `out`).

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::bail;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::agenda_json::{IsMe, JsonArray};
use super::meetings::{collect, fetch_and_parse, report_cut_series, Calendars};
use super::AgendaArgs;
use crate::calendar::model::{Attendee, Occurrence, PartStat};
use crate::calendar::tz::Zone;
use crate::calendar::{ExpandOptions, Expansion};
use crate::config::{self, Config, ConfigError, Paths};
use crate::util::dates::{parse_date, DATE_FORMS};
use crate::util::text;

/// Parses `--from`/`--to`: an RFC 3339 instant, or any date of
/// [`crate::util::dates`] (`2026-12-01`, `tomorrow`, `friday`, `+3d`)
/// meaning local midnight in `local` (days counted from `now` there).
pub fn parse_bound(text: &str, now: DateTime<Utc>, local: &Zone) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    let today = now.with_timezone(&local.offset_at(now)).date_naive();
    if let Ok(d) = parse_date(t, today) {
        return Ok(local.to_utc(d.and_time(chrono::NaiveTime::MIN)));
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "`{t}` is neither a date ({DATE_FORMS}) nor an RFC 3339 time \
                 (2026-12-01T09:00:00+01:00)"
            )
        })
}

/// The window `[from, to)` from the command line: `--from` defaults to now,
/// `--to` to 7 days after `--from`.
pub fn window(
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
    local: &Zone,
) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let week = Duration::days(7);
    let from_t = from
        .map(|f| parse_bound(f, now, local))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to_t = to
        .map(|t| parse_bound(t, now, local))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let (f, t) = match (from_t, to_t) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, f + week),
        (None, Some(t)) => (now, t),
        (None, None) => (now, now + week),
    };
    if t <= f {
        bail!("--to ({t}) must be after --from ({f}); for one day write e.g. --from 2026-12-01 --to 2026-12-02");
    }
    Ok((f, t))
}

/// How many attendee names a text line shows before "+N more".
const NAMES_SHOWN: usize = 6;

/// How an attendee is named in the text view: the matched person's name from
/// their note (people matching), else what the calendar says.
pub type AttendeeLabel<'a> = &'a dyn Fn(&Attendee) -> Option<String>;

/// The [`AttendeeLabel`] that uses the calendar's name, else the address.
pub fn calendar_label(a: &Attendee) -> Option<String> {
    a.name.clone().or_else(|| a.email.clone())
}

fn who(o: &Occurrence, label_of: AttendeeLabel<'_>, is_me: IsMe<'_>) -> Option<String> {
    // The one rule: the organizer counts, you never do.
    let people: Vec<String> = super::agenda_json::people_of(o, is_me)
        .iter()
        .map(|a| {
            let label = label_of(a)
                .map(|l| text::line(&l, text::NAME_CHARS))
                .unwrap_or_else(|| "?".into());
            match a.partstat.as_deref() {
                Some("declined") => format!("{label} (declined)"),
                Some("tentative") => format!("{label} (maybe)"),
                _ => label,
            }
        })
        .collect();
    if people.is_empty() {
        return None;
    }
    let mut s = people
        .iter()
        .take(NAMES_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if people.len() > NAMES_SHOWN {
        let _ = write!(s, " +{} more", people.len() - NAMES_SHOWN);
    }
    Some(s)
}

/// Text for a terminal: one block per local day, times in `local`.
pub fn render_text(
    occurrences: &[Occurrence],
    from: DateTime<Utc>,
    local: &Zone,
    label_of: AttendeeLabel<'_>,
    is_me: IsMe<'_>,
) -> String {
    if occurrences.is_empty() {
        return "No meetings in this window.\n".into();
    }
    let several_calendars = occurrences
        .windows(2)
        .any(|w| w[0].calendar != w[1].calendar);
    let local_time = |t: DateTime<Utc>| t.with_timezone(&local.offset_at(t));
    let mut out = String::new();
    let mut current_day: Option<NaiveDate> = None;
    for o in occurrences {
        // An event that began before the window is listed on the window's first day.
        let shown_start = if o.all_day {
            o.start_date().max(local_time(from).date_naive())
        } else {
            local_time(o.start_utc().max(from)).date_naive()
        };
        if current_day != Some(shown_start) {
            if current_day.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", shown_start.format("%a %-d %b %Y"));
            current_day = Some(shown_start);
        }
        let when = if o.all_day {
            let days = (o.end.date_naive() - o.start_date()).num_days();
            if days > 1 {
                format!("all day ({days} days)")
            } else {
                "all day".to_string()
            }
        } else {
            let s = local_time(o.start_utc());
            let e = local_time(o.end_utc());
            if e.date_naive() != s.date_naive() {
                format!("{}-{}", s.format("%H:%M"), e.format("%a %H:%M"))
            } else if e > s && e.format("%H:%M").to_string() == s.format("%H:%M").to_string() {
                // Shorter than its minute (the demo's): the seconds, as the
                // brief shows them, rather than "14:04-14:04".
                format!("{}-{}", s.format("%H:%M:%S"), e.format("%H:%M:%S"))
            } else {
                format!("{}-{}", s.format("%H:%M"), e.format("%H:%M"))
            }
        };
        let mut marks = String::new();
        if o.is_cancelled() {
            marks.push_str(" [cancelled]");
        }
        if o.is_declined() {
            marks.push_str(" [declined]");
        } else if o.my_status == Some(PartStat::Tentative) {
            marks.push_str(" [tentative]");
        }
        // Event text comes from strangers: shown plain and shortened.
        let title = text::line(&o.summary, text::TITLE_CHARS);
        let title = if title.is_empty() {
            "(no title)".to_string()
        } else {
            title
        };
        let _ = writeln!(out, "  {when:<16} {title}{marks}");
        let indent = " ".repeat(19);
        if let Some(l) = &o.location {
            let l = text::line(
                &l.replace("\r\n", "\n").replace('\n', ", "),
                text::TITLE_CHARS,
            );
            let _ = writeln!(out, "{indent}at {l}");
        }
        if let Some(u) = &o.conference_url {
            let _ = writeln!(out, "{indent}join {}", text::line(u, text::TITLE_CHARS));
        }
        if let Some(w) = who(o, label_of, is_me) {
            let _ = writeln!(out, "{indent}with {w}");
        }
        if several_calendars {
            let _ = writeln!(
                out,
                "{indent}({})",
                text::line(&o.calendar, text::NAME_CHARS)
            );
        }
    }
    out
}

/// The configuration for this run: `--ics` replaces the configured calendars
/// (no config file needed; `[me]` is still taken from one if it exists).
fn agenda_config(args: &AgendaArgs, paths: &Paths) -> anyhow::Result<Config> {
    if args.ics.is_empty() {
        return Ok(config::load(paths)?);
    }
    config::check_ics_files(&args.ics)?;
    let mut cfg = Config::for_sources(args.ics.clone())?;
    cfg.people.dir = paths.data_dir.join("people");
    match config::load(paths) {
        Ok(file) => {
            cfg.me = file.me;
            cfg.people = file.people;
        }
        Err(ConfigError::NotFound { .. }) => {}
        // A broken config must not stop a look at a calendar file.
        Err(e) => tracing::warn!("{e}; `[me]` not used"),
    }
    Ok(cfg)
}

/// `rapport agenda`.
pub fn run(
    args: &AgendaArgs,
    paths: &Paths,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    let local = crate::calendar::tz::local_zone();
    let (from, to) = window(args.from.as_deref(), args.to.as_deref(), Utc::now(), &local)?;
    let cfg = agenda_config(args, paths)?;
    if cfg.calendars.is_empty() {
        bail!(
            "{}: no [[calendar]] entries; add one (name, url or path) or pass --ics PATH_OR_URL",
            paths.config_file.display()
        );
    }
    let Calendars {
        parsed: calendars,
        failures,
    } = fetch_and_parse(paths, &cfg.calendars)?;
    let opts = ExpandOptions {
        floating: local.clone(),
        me_emails: cfg.me.emails.clone(),
    };
    // Attendees are shown as the people in your notes; a broken note is
    // reported (rapport people lists them) but never hides the agenda.
    let people = crate::people::load(&cfg.people.dir);
    for e in people.errors.iter().cloned().chain(people.warnings()) {
        tracing::warn!("{e}");
    }
    let matcher = crate::people::matching::Matcher::new(&people, &cfg.me);
    // Asked once per distinct attendee: a year of a feed names the same few
    // hundred people in every occurrence, and a match by name costs a
    // Unicode normalisation (the year's `--json` took 1.8 s instead of 0.7 s).
    let memo = std::cell::RefCell::new(crate::people::matching::MatchMemo::default());
    let person = |a: &Attendee| {
        let path = memo
            .borrow_mut()
            .match_one(&matcher, a)
            .person_json(&people);
        Some(("person", path))
    };
    let is_me = |a: &Attendee| {
        matches!(
            memo.borrow_mut().match_one(&matcher, a),
            crate::people::matching::Match::Me
        )
    };
    if args.json && calendars.len() == 1 {
        // One calendar comes out of the engine in agenda order: each
        // occurrence is written as it is made and dropped (a `Value` tree of
        // the whole array took more memory than the feed; BENCHMARKS.md).
        let mut json = JsonArray::new();
        let mut failed = None;
        let cut = calendars[0].for_each_occurrence(from, to, &opts, &mut |o| {
            if failed.is_some() || (!args.include_cancelled && o.is_cancelled()) {
                return;
            }
            if let Err(e) = json.push(&o, &person, &is_me, &mut *out) {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        json.finish(&mut *out)?;
        report_cut_series(&cut);
        return Ok(exit_code(failures));
    }
    let Expansion {
        occurrences: occs,
        warnings: cut,
    } = collect(&calendars, from, to, &opts, args.include_cancelled);
    report_cut_series(&cut);
    if args.json {
        let mut json = JsonArray::new();
        for o in &occs {
            json.push(o, &person, &is_me, &mut *out)?;
        }
        json.finish(&mut *out)?;
    } else {
        let label = |a: &Attendee| {
            let mut memo = memo.borrow_mut();
            let found = memo.match_one(&matcher, a);
            found.display_name(&people, a).map(str::to_string)
        };
        out.write_all(render_text(&occs, from, &local, &label, &is_me).as_bytes())?;
    }
    Ok(exit_code(failures))
}

/// 1 when some calendar could not be read (the others were shown).
fn exit_code(failures: usize) -> ExitCode {
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Zone {
        Zone::Iana(chrono_tz::Europe::Berlin)
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn bounds_are_dates_at_local_midnight_or_rfc3339() {
        let now = t("2026-11-27T10:00:00Z"); // a Friday
        assert_eq!(
            parse_bound("2026-12-01", now, &berlin()),
            Ok(t("2026-11-30T23:00:00Z"))
        );
        assert_eq!(
            parse_bound("2026-12-01T09:00:00-05:00", now, &berlin()),
            Ok(t("2026-12-01T14:00:00Z"))
        );
        // The date words of every other date option.
        assert_eq!(
            parse_bound("tomorrow", now, &berlin()),
            Ok(t("2026-11-27T23:00:00Z"))
        );
        assert_eq!(
            parse_bound("Monday", now, &berlin()),
            Ok(t("2026-11-29T23:00:00Z"))
        );
        assert_eq!(
            parse_bound("+1w", now, &berlin()),
            Ok(t("2026-12-03T23:00:00Z"))
        );
        // "today" is Berlin's day, not UTC's: 23:30 UTC is already Saturday there.
        assert_eq!(
            parse_bound("today", t("2026-11-27T23:30:00Z"), &berlin()),
            Ok(t("2026-11-27T23:00:00Z"))
        );
        let e = parse_bound("next week", now, &berlin()).unwrap_err();
        assert!(e.contains("RFC 3339") && e.contains("tomorrow"), "{e}");
    }

    #[test]
    fn window_defaults() {
        let now = t("2026-11-27T10:00:00Z");
        let z = berlin();
        assert_eq!(
            window(None, None, now, &z).unwrap(),
            (now, t("2026-12-04T10:00:00Z"))
        );
        assert_eq!(
            window(Some("2026-12-01"), None, now, &z).unwrap(),
            (t("2026-11-30T23:00:00Z"), t("2026-12-07T23:00:00Z"))
        );
        assert_eq!(
            window(None, Some("2026-11-29"), now, &z).unwrap(),
            (now, t("2026-11-28T23:00:00Z"))
        );
        assert!(window(None, Some("2026-11-20"), now, &z).is_err());
    }
}
