//! Fixes for the hardening findings (recur, people, engine), each checked on the input the
//! fuzzers kept in `tests/data/fuzz-regressions/<target>/` and on its neighbours.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use rapport::calendar::recur::{self, Limits, RRule};
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar, ExpandOptions, ParsedCalendar, MAX_INSTANCES_PER_SERIES};
use rapport::people::parse_person;

use crate::common::data_dir;

fn kept_input(target: &str, name: &str) -> Vec<u8> {
    let file: PathBuf = data_dir().join("fuzz-regressions").join(target).join(name);
    std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_time(NaiveTime::MIN)
        .and_utc()
}

fn naive(s: &str) -> NaiveDateTime {
    NaiveDate::parse_from_str(s, "%Y%m%d")
        .unwrap()
        .and_time(NaiveTime::MIN)
}

fn opts() -> ExpandOptions {
    ExpandOptions {
        floating: Zone::utc(),
        me_emails: Vec::new(),
    }
}

fn calendar(body: &str) -> ParsedCalendar {
    parse_calendar(
        "fixes",
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n").as_bytes(),
    )
}

// ---------------------------------------------------------------------------------------------
// 1. recur: non-ASCII in BYDAY.

#[test]
fn byday_with_non_ascii_is_an_error_naming_the_item() {
    let kept = kept_input("rrule", "byday_non_ascii");
    let kept = String::from_utf8_lossy(&kept);
    let rule = kept.lines().next().unwrap();
    assert!(
        !rule.is_ascii(),
        "the kept input still carries its character"
    );
    let err = RRule::parse(rule).unwrap_err().to_string();
    assert!(err.contains("BYDAY"), "{err}");
    for bad in [
        "FREQ=WEEKLY;BYDAY=2M\u{fffd}",
        "FREQ=WEEKLY;BYDAY=\u{fffd}",
        "FREQ=WEEKLY;BYDAY=é",
        "FREQ=WEEKLY;BYDAY=MOé",
        "FREQ=WEEKLY;BYDAY=1é",
        "FREQ=MONTHLY;BYDAY=+1\u{1F600}MO",
        "FREQ=MONTHLY;BYDAY=🛫🛫",
    ] {
        assert!(RRule::parse(bad).is_err(), "{bad}");
    }
    // Non-ASCII around the weekday is still text to trim or a bad ordinal, never a weekday.
    let ok = RRule::parse("FREQ=MONTHLY;BYDAY=-1SU,+2MO").unwrap();
    assert_eq!(ok.by_day.len(), 2);
    assert_eq!((ok.by_day[0].n, ok.by_day[1].n), (-1, 2));
}

#[test]
fn feed_with_non_ascii_byday_skips_that_part_with_a_warning() {
    let data = kept_input("ics", "rrule_byday_non_ascii");
    let cal = parse_calendar("fixes", &data);
    let w = cal
        .warnings
        .iter()
        .find(|w| w.message.contains("BYDAY"))
        .unwrap_or_else(|| panic!("no BYDAY warning: {:?}", cal.warnings));
    assert_eq!(w.line, Some(10), "{w:?}");
    assert_eq!(w.uid.as_deref(), Some("111"));
    // Issue 15: the unreadable part is skipped and the rest of the rule kept (BYDAY then
    // comes from DTSTART, a Monday): every other Monday until 1 August.
    assert!(w.message.contains("skipped"), "{}", w.message);
    let starts: Vec<String> = cal
        .occurrences(at(2024, 6, 1), at(2024, 9, 1), &opts())
        .iter()
        .map(|o| o.start_date().to_string())
        .collect();
    assert_eq!(starts, ["2024-07-01", "2024-07-15", "2024-07-29"]);
    crate::hardening_checks::ics(&data);
}

#[test]
fn timezone_with_non_ascii_byday_does_not_stop_the_feed() {
    let data = kept_input("tz", "observance_byday_non_ascii");
    let text = String::from_utf8_lossy(&data);
    let (tzid, body) = text.split_once('\n').unwrap();
    let cal = calendar(&format!(
        "BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n{body}\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:tz\r\n\
         DTSTART;TZID={tzid}:20200101T093000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
    ));
    let occ = cal.occurrences(at(2025, 3, 1), at(2025, 3, 8), &opts());
    assert_eq!(occ.len(), 7, "{:?}", cal.warnings);
    crate::hardening_checks::tz(&data);
}

// ---------------------------------------------------------------------------------------------
// 2. recur: sub-daily FREQ on a DATE DTSTART.

#[test]
fn all_day_rule_below_daily_yields_nothing_and_daily_still_midnights() {
    let kept = kept_input("rrule", "all_day_hourly_not_midnight");
    let kept = String::from_utf8_lossy(&kept);
    let lines: Vec<&str> = kept.lines().collect();
    let limits = Limits::default();
    let (dtstart, from, to) = (naive(lines[1]), naive(lines[2]), naive(lines[3]));
    for freq in ["SECONDLY", "MINUTELY", lines[0].trim_start_matches("FREQ=")] {
        let rule = RRule::parse(&format!("FREQ={freq}")).unwrap();
        assert!(!rule.fits_all_day());
        let exp = recur::expand_all_day(&rule, dtstart.date(), None, from, to, &limits);
        assert!(exp.starts.is_empty(), "{freq}: {:?}", exp.starts);
        assert!(!exp.budget_exhausted);
    }
    let daily = RRule::parse("FREQ=DAILY;BYHOUR=5").unwrap();
    let exp = recur::expand_all_day(&daily, dtstart.date(), None, from, to, &limits);
    assert_eq!(exp.starts, [naive("20200101"), naive("20200102")]);
    crate::hardening_checks::rrule_all_day_midnights(kept.as_bytes());
}

#[test]
fn all_day_event_with_hourly_rule_is_listed_once_with_a_warning() {
    let cal = calendar(
        "BEGIN:VEVENT\r\nUID:day\r\nDTSTART;VALUE=DATE:20250303\r\nRRULE:FREQ=HOURLY\r\n\
         END:VEVENT\r\n",
    );
    let occ = cal.occurrences(at(2025, 3, 1), at(2025, 3, 10), &opts());
    assert_eq!(occ.len(), 1, "{occ:?}");
    assert!(occ[0].all_day);
    assert_eq!(occ[0].start.hour(), 0);
    let w = cal
        .warnings
        .iter()
        .find(|w| w.message.contains("FREQ=DAILY"))
        .unwrap_or_else(|| panic!("no warning: {:?}", cal.warnings));
    assert_eq!((w.line, w.uid.as_deref()), (Some(3), Some("day")));
    // A timed DTSTART keeps its hourly series.
    let timed = calendar(
        "BEGIN:VEVENT\r\nUID:t\r\nDTSTART:20250303T000000Z\r\nRRULE:FREQ=HOURLY;COUNT=5\r\n\
         END:VEVENT\r\n",
    );
    assert_eq!(
        timed
            .occurrences(at(2025, 3, 1), at(2025, 3, 10), &opts())
            .len(),
        5
    );
    assert!(timed.warnings.is_empty(), "{:?}", timed.warnings);
}

// ---------------------------------------------------------------------------------------------
// 3. people: a name is never empty.

#[test]
fn empty_heading_falls_back_to_the_file_name() {
    let kept = String::from_utf8_lossy(&kept_input("notes_parse", "empty_heading")).into_owned();
    let p = parse_person(Path::new("people/ada-lovelace.md"), &kept).unwrap();
    assert_eq!(p.name, "ada-lovelace");
    crate::hardening_checks::notes_name_never_empty(kept.as_bytes());
}

#[test]
fn every_empty_name_falls_back() {
    let path = Path::new("grace-hopper.md");
    for text in [
        "#",
        "#   \n",
        "# #\n",
        "---\nname: \"\"\n---\n# \n",
        "---\nname: \"   \"\n---\n",
        "---\nname: ''\n---\nSome words.\n",
        "\u{feff}# \t\r\nBody\r\n",
    ] {
        let p = parse_person(path, text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        assert_eq!(p.name, "grace-hopper", "{text:?}");
    }
    // An empty heading does not hide a real one further down.
    let p = parse_person(path, "# \n# Grace Hopper\n").unwrap();
    assert_eq!(p.name, "Grace Hopper");
    // A file name that is only blanks: the path is the name.
    let p = parse_person(Path::new("team/ .md"), "# \n").unwrap();
    assert_eq!(p.name, "team/ .md");
}

// ---------------------------------------------------------------------------------------------
// 4. engine: the per-series cap keeps what overlaps the window.

const SECONDLY: &str = "BEGIN:VEVENT\r\nUID:tick\r\nDTSTART:20250110T090000Z\r\n\
    RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n";

#[test]
fn secondly_rule_fills_the_asked_window() {
    let cal = calendar(SECONDLY);
    let hour = cal.occurrences(at(2025, 3, 1), at(2025, 3, 1) + Duration::hours(1), &opts());
    assert_eq!(hour.len(), 3600);
    assert_eq!(hour[0].start_utc(), at(2025, 3, 1));
    assert_eq!(
        hour[3599].start_utc(),
        at(2025, 3, 1) + Duration::seconds(3599)
    );
    let month = cal.occurrences(at(2025, 3, 1), at(2025, 4, 1), &opts());
    assert_eq!(month.len(), MAX_INSTANCES_PER_SERIES);
    assert_eq!(month[0].start_utc(), at(2025, 3, 1));
    assert!(month.windows(2).all(|w| w[0].start < w[1].start));
}

#[test]
fn cap_counts_only_instances_in_the_window_for_long_events() {
    // Each instance lasts 2 hours, so 10 seconds overlap the instances started in the 2 hours
    // before them: all are counted and listed, none of the margin's are.
    let cal = calendar(
        "BEGIN:VEVENT\r\nUID:long\r\nDTSTART:20250110T090000Z\r\nDURATION:PT2H\r\n\
         RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n",
    );
    let from = at(2025, 3, 1);
    let occ = cal.occurrences(from, from + Duration::seconds(10), &opts());
    assert_eq!(occ.len(), 7199 + 10);
    assert_eq!(
        occ[0].start_utc(),
        from - Duration::hours(2) + Duration::seconds(1)
    );
}

// ---------------------------------------------------------------------------------------------
// 5. engine: the widest windows.

#[test]
fn windows_at_the_ends_of_time_do_not_panic() {
    let cal = calendar(
        "BEGIN:VEVENT\r\nUID:last\r\nDTSTART:99991231T230000Z\r\nDURATION:PT30M\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:first\r\nDTSTART;TZID=Pacific/Kiritimati:00010101T000000\r\n\
         RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:future\r\nDTSTART:20250101T090000Z\r\nRRULE:FREQ=DAILY\r\n\
         END:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:future\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20250105T090000Z\r\n\
         DTSTART:99991230T090000Z\r\nEND:VEVENT\r\n",
    );
    let all = cal.occurrences(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, &opts());
    assert!(all.iter().any(|o| o.uid == "last"));
    assert!(all.iter().any(|o| o.uid == "first"));
    let end = NaiveDate::MAX.and_hms_opt(23, 59, 59).unwrap().and_utc();
    let edge = cal.occurrences(at(9999, 12, 30), end, &opts());
    assert!(edge.iter().any(|o| o.uid == "last"));
    let start = NaiveDate::MIN.and_time(NaiveTime::MIN).and_utc();
    let _ = cal.occurrences(start, at(1, 1, 2), &opts());
}
