//! Bounded work (issue 6 point 2): feeds of hostile shape cost bounded work and say what they
//! dropped. Each test asserts the result (a capped count, a warning), never a duration.

use chrono::{DateTime, NaiveDate, Utc};
use rapport::calendar::model::Occurrence;
use rapport::calendar::recur::{self, Limits, RRule};
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar, ExpandOptions, ParsedCalendar};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
}

fn opts() -> ExpandOptions {
    ExpandOptions {
        floating: Zone::utc(),
        me_emails: vec!["me@example.com".into()],
    }
}

fn calendar(body: &str) -> ParsedCalendar {
    parse_calendar(
        "hostile",
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n").as_bytes(),
    )
}

fn event(uid: &str, extra: &str) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20250110T090000Z\r\nDTEND:20250110T100000Z\r\n\
         SUMMARY:{uid}\r\n{extra}END:VEVENT\r\n"
    )
}

fn occurrences(cal: &ParsedCalendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
    cal.occurrences(from, to, &opts())
}

fn uids(occ: &[Occurrence]) -> Vec<&str> {
    occ.iter().map(|o| o.uid.as_str()).collect()
}

fn warned(cal: &ParsedCalendar, needle: &str) -> bool {
    cal.warnings.iter().any(|w| w.message.contains(needle))
}

#[test]
fn ten_megabyte_line_is_one_value_and_the_feed_still_reads() {
    let huge = "x".repeat(10 << 20);
    let body = format!(
        "{}{}",
        event("huge", &format!("DESCRIPTION:{huge}\r\n")),
        event("after", "")
    );
    let cal = calendar(&body);
    let occ = occurrences(&cal, at(2025, 1, 1), at(2025, 2, 1));
    assert_eq!(uids(&occ), ["after", "huge"]);
    let huge_occ = occ.iter().find(|o| o.uid == "huge").unwrap();
    assert_eq!(
        huge_occ.description.as_deref().map(str::len),
        Some(10 << 20)
    );
    // A 10 MB line that is not a property at all (no colon) is skipped, not fatal.
    let junk = calendar(&format!("{huge}\r\n{}", event("kept", "")));
    assert_eq!(
        uids(&occurrences(&junk, at(2025, 1, 1), at(2025, 2, 1))),
        ["kept"]
    );
}

#[test]
fn a_million_attendees_are_read_once_per_occurrence() {
    let mut extra = String::with_capacity(1_000_000 * 40);
    for i in 0..1_000_000 {
        extra.push_str(&format!("ATTENDEE;CN=P{i}:mailto:p{i}@example.com\r\n"));
    }
    extra.push_str("ATTENDEE;PARTSTAT=DECLINED:mailto:me@example.com\r\n");
    let cal = calendar(&event("crowd", &extra));
    let occ = occurrences(&cal, at(2025, 1, 1), at(2025, 2, 1));
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0].attendees.len(), 1_000_001);
    assert!(
        occ[0].is_declined(),
        "my own PARTSTAT found among a million"
    );
}

#[test]
fn endless_nesting_is_closed_at_the_end_with_a_warning() {
    // 100,000 nested unknown components, never closed, then an event that is never closed.
    let mut body = "BEGIN:X-DEEP\r\n".repeat(100_000);
    body.push_str(&event("inside", ""));
    let cal = calendar(&body);
    assert!(occurrences(&cal, at(2025, 1, 1), at(2025, 2, 1)).len() <= 1);
    // BEGIN:VEVENT without END:VEVENT (a truncated download): dropped, with a warning.
    let truncated = parse_calendar(
        "hostile",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:cut\r\nDTSTART:20250110T090000Z\r\n",
    );
    assert!(warned(&truncated, "not closed"), "{:?}", truncated.warnings);
    // END without BEGIN: ignored with a warning, the next event still read.
    let stray = calendar(&format!("END:VEVENT\r\nEND:VTODO\r\n{}", event("next", "")));
    assert!(warned(&stray, "without BEGIN"), "{:?}", stray.warnings);
    assert_eq!(
        uids(&occurrences(&stray, at(2025, 1, 1), at(2025, 2, 1))),
        ["next"]
    );
    // 100,000 alternating BEGIN:VEVENT lines inside each other.
    let nested = calendar(&"BEGIN:VEVENT\r\nBEGIN:VALARM\r\n".repeat(100_000));
    assert!(occurrences(&nested, at(2025, 1, 1), at(2025, 2, 1)).is_empty());
    assert!(!nested.warnings.is_empty());
}

#[test]
fn thousands_of_vtimezones_resolve_each_event_in_its_own_zone() {
    let mut body = String::new();
    for i in 0..3000 {
        // Zone i is UTC+(i mod 12) hours, with a yearly DST rule so each needs expanding.
        let h = i % 12;
        body.push_str(&format!(
            "BEGIN:VTIMEZONE\r\nTZID:Zone {i}\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n\
             RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+{:02}00\r\n\
             TZOFFSETTO:+{h:02}00\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\n\
             RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+{h:02}00\r\n\
             TZOFFSETTO:+{:02}00\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n",
            h + 1,
            h + 1
        ));
    }
    for i in [0, 7, 2999] {
        body.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTART;TZID=Zone {i}:20250110T120000\r\nEND:VEVENT\r\n"
        ));
    }
    let cal = calendar(&body);
    let occ = occurrences(&cal, at(2025, 1, 9), at(2025, 1, 12));
    assert_eq!(occ.len(), 3);
    for o in &occ {
        let i: i32 = o.uid[1..].parse().unwrap();
        assert_eq!(
            o.start.offset().local_minus_utc(),
            (i % 12) * 3600,
            "{}",
            o.uid
        );
        assert_eq!(o.start.format("%H:%M").to_string(), "12:00");
    }
}

const SECONDLY: &str = "BEGIN:VEVENT\r\nUID:tick\r\nDTSTART:20250110T090000Z\r\n\
    RRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n";

#[test]
fn secondly_rule_without_end_is_capped_by_the_expansion_budget() {
    let cal = calendar(SECONDLY);
    // A month of seconds (2.6 million) is cut at the per-series cap.
    let month = occurrences(&cal, at(2025, 3, 1), at(2025, 4, 1));
    assert!(month.len() <= rapport::calendar::MAX_INSTANCES_PER_SERIES);
    // A year of seconds (31.5 million) is cut by the expander's budget first.
    let rule = RRule::parse("FREQ=SECONDLY").unwrap();
    let limits = Limits::default();
    let exp = recur::expand(
        &rule,
        at(2025, 1, 1).naive_utc(),
        None,
        at(2025, 1, 1).naive_utc(),
        at(2026, 1, 1).naive_utc(),
        &limits,
    );
    assert!(exp.budget_exhausted);
    assert!(exp.starts.len() as u64 <= limits.max_iterations);
    assert!(!exp.starts.is_empty());
}

/// Found by the test above: the engine widens the window by a day before expanding and then
/// keeps the first `MAX_INSTANCES_PER_SERIES` (20,000) candidates, which for FREQ=SECONDLY all
/// lie in that day before the window: the asked hour gets none of its 3,600 instances (and
/// a month gets none of its own either). The cap should keep what overlaps the window.
#[test]
fn secondly_rule_fills_the_window_not_the_margin() {
    let cal = calendar(SECONDLY);
    let hour = occurrences(
        &cal,
        at(2025, 3, 1),
        at(2025, 3, 1) + chrono::Duration::hours(1),
    );
    assert_eq!(hour.len(), 3600);
    let month = occurrences(&cal, at(2025, 3, 1), at(2025, 4, 1));
    assert_eq!(month.len(), rapport::calendar::MAX_INSTANCES_PER_SERIES);
    assert_eq!(month[0].start_utc(), at(2025, 3, 1));
}

#[test]
fn count_of_two_billion_counts_only_what_the_window_needs() {
    let cal = calendar(&event("forever", "RRULE:FREQ=DAILY;COUNT=2147483647\r\n"));
    let occ = occurrences(&cal, at(2030, 6, 1), at(2030, 6, 8));
    assert_eq!(occ.len(), 7);
    let rule = RRule::parse("FREQ=WEEKLY;COUNT=2147483647").unwrap();
    assert_eq!(rule.count, Some(2_147_483_647));
    // Beyond i32: read as no count? It must not wrap into a small one.
    if let Ok(r) = RRule::parse("FREQ=DAILY;COUNT=99999999999") {
        assert!(r.count.is_none_or(|c| c > 1_000_000), "{:?}", r.count);
    }
}

#[test]
fn bysetpos_and_byweekno_extremes() {
    let window = |rule: &str, from: DateTime<Utc>, to: DateTime<Utc>| {
        let cal = calendar(&format!(
            "BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20200106T090000Z\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
        ));
        occurrences(&cal, from, to)
            .iter()
            .map(|o| o.start.format("%Y-%m-%d").to_string())
            .collect::<Vec<_>>()
    };
    // Week 53 exists only in long ISO years: 2020 and 2026 between 2020 and 2031.
    assert_eq!(
        window(
            "FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH",
            at(2020, 1, 7),
            at(2032, 1, 1)
        ),
        ["2020-12-31", "2026-12-31"]
    );
    // Week -53 is week 1 of those years, which starts in December.
    assert_eq!(
        window(
            "FREQ=YEARLY;BYWEEKNO=-53;BYDAY=MO",
            at(2020, 1, 7),
            at(2032, 1, 1)
        ),
        ["2025-12-29", "2031-12-29"]
    );
    // BYSETPOS beyond the set size selects nothing; ±1 the first and last weekday.
    assert!(window(
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=366,-366",
        at(2020, 1, 7),
        at(2021, 1, 1)
    )
    .is_empty());
    assert_eq!(
        window(
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1",
            at(2020, 2, 1),
            at(2020, 3, 1)
        ),
        ["2020-02-03", "2020-02-28"]
    );
    // BYYEARDAY=366 only in leap years.
    assert_eq!(
        window("FREQ=YEARLY;BYYEARDAY=366", at(2020, 1, 7), at(2025, 1, 1)),
        ["2020-12-31", "2024-12-31"]
    );
}

const FIRST: &str = "BEGIN:VEVENT\r\nUID:first\r\nDTSTART:00010101T000000Z\r\n\
    DTEND:00010101T010000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n";
const EDGES: &str = "BEGIN:VEVENT\r\nUID:last\r\nDTSTART:99991231T220000Z\r\nDURATION:PT3H\r\n\
    END:VEVENT\r\nBEGIN:VEVENT\r\nUID:yearly\r\nDTSTART;TZID=Pacific/Kiritimati:99981231T230000\r\n\
    RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=-1\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:backwards\r\nDTSTART;TZID=Etc/GMT+12:00010101T000000\r\n\
    DURATION:-P1D\r\nEND:VEVENT\r\n";

fn cal_bytes_without_first() -> Vec<u8> {
    format!("BEGIN:VCALENDAR\r\n{EDGES}END:VCALENDAR\r\n").into_bytes()
}

#[test]
fn years_one_and_9999_do_not_overflow() {
    let cal = calendar(&format!("{FIRST}{EDGES}"));
    let start = occurrences(&cal, at(1, 1, 1), at(1, 1, 10));
    assert_eq!(start.iter().filter(|o| o.uid == "first").count(), 9);
    let year_end = at(9999, 12, 31) + chrono::Duration::seconds(86_399);
    let end = occurrences(&cal, at(9999, 12, 30), year_end);
    assert!(end.iter().any(|o| o.uid == "last"), "{:?}", uids(&end));
    assert!(end.iter().any(|o| o.uid == "yearly"), "{:?}", uids(&end));
    // Asked right up to 9999-12-31T23:59:59: the last event runs past the end of the year.
    let last = occurrences(
        &cal,
        at(9999, 12, 31) + chrono::Duration::hours(23),
        year_end,
    );
    assert_eq!(uids(&last), ["last"]);
}

/// Found while writing the tests above (fixed in the engine since, d75a5ed): a window ending
/// within a day of chrono's largest date panicked on wall-clock arithmetic.
#[test]
fn the_widest_window_does_not_panic() {
    let cal = parse_calendar("hostile", &cal_bytes_without_first());
    let all = cal.occurrences(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, &opts());
    assert!(all.iter().any(|o| o.uid == "last"), "{:?}", uids(&all));
    assert!(all.iter().any(|o| o.uid == "backwards"), "{:?}", uids(&all));
    let end = NaiveDate::MAX.and_hms_opt(23, 59, 59).unwrap().and_utc();
    let cal = calendar(&format!("{FIRST}{EDGES}"));
    assert!(cal
        .occurrences(at(9999, 12, 30), end, &opts())
        .iter()
        .any(|o| o.uid == "last"));
}

/// A list cut short (the per-series cap, or the expander's step budget) is said, not silent:
/// the engine returns a warning naming the series, `agenda` prints it on stderr and `check`
/// lists it first.
#[test]
fn a_series_cut_short_is_a_warning_in_agenda_and_check() {
    let cal = calendar(SECONDLY);
    let month = cal.expand(at(2025, 3, 1), at(2025, 4, 1), &opts());
    assert_eq!(
        month.occurrences.len(),
        rapport::calendar::MAX_INSTANCES_PER_SERIES
    );
    assert_eq!(month.warnings.len(), 1, "{:?}", month.warnings);
    let w = &month.warnings[0];
    assert_eq!(w.uid.as_deref(), Some("tick"));
    assert_eq!(w.line, Some(3), "the BEGIN:VEVENT line");
    assert!(w.message.contains("only the first 20000"), "{w}");
    // A complete list has no such warning.
    let hour = cal.expand(
        at(2025, 3, 1),
        at(2025, 3, 1) + chrono::Duration::hours(1),
        &opts(),
    );
    assert_eq!(hour.occurrences.len(), 3600);
    assert!(hour.warnings.is_empty(), "{:?}", hour.warnings);
    // A COUNT that must be counted from 1990 minute by minute runs out of steps.
    let counted = calendar(
        "BEGIN:VEVENT\r\nUID:counted\r\nDTSTART:19900101T000000Z\r\n\
         RRULE:FREQ=MINUTELY;COUNT=2000000000\r\nEND:VEVENT\r\n",
    );
    let day = counted.expand(at(2025, 3, 1), at(2025, 3, 2), &opts());
    assert!(
        day.warnings
            .iter()
            .any(|w| w.uid.as_deref() == Some("counted") && w.message.contains("steps")),
        "{:?}",
        day.warnings
    );

    // Through the binary: `agenda` says it on stderr, the listing still comes.
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("tick.ics");
    std::fs::write(
        &feed,
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{SECONDLY}END:VCALENDAR\r\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["agenda", "--ics", feed.to_str().unwrap()])
        .args([
            "--from",
            "2025-03-01T00:00:00Z",
            "--to",
            "2025-03-08T00:00:00Z",
        ])
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env_remove("RAPPORT_CONFIG")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("UID tick") && stderr.contains("only the first 20000"),
        "{stderr}"
    );
    assert!(!out.stdout.is_empty());

    // `check` (next 7 days from now: the rule never ends, so the cap is hit).
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[calendar]]\nname = \"Ticks\"\npath = \"{}\"\n",
            feed.display()
        ),
    )
    .unwrap();
    let got = crate::common::rapport(dir.path(), &["--config", config.to_str().unwrap(), "check"]);
    assert!(
        got.stdout.contains("UID tick: more than 20000 instances"),
        "{}",
        got.stdout
    );
}
