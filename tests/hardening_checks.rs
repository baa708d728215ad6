//! The invariants the fuzz targets check, shared by `fuzz/fuzz_targets/*.rs` (which include
//! this file by path) and by the regression test in `tests/hardening.rs`, which replays every
//! input kept in `tests/data/fuzz-regressions/<target>/` through the same function. Each
//! function takes raw fuzz bytes and panics when an invariant breaks; it must never be slow
//! (the fuzzer reports a hang), allocate without bound (it reports an out-of-memory) or panic
//! inside rapport (a crash).
//!
//! Kept free of test-only dependencies so the fuzz crate can compile it as is.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use rapport::calendar::ics::{self, TimeValue};
use rapport::calendar::recur::{self, Limits, RRule, Until};
use rapport::calendar::tz::{self, Zone, ZoneResolver};
use rapport::calendar::{self, ExpandOptions};
use rapport::people::edit::{self, Edit};
use rapport::people::parse_person;

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid constant date")
        .and_utc()
}

/// Windows every calendar is asked for: an ordinary one, and the two ends of the
/// representable calendar (year 1 and year 9999), where date arithmetic overflows.
pub fn ics_windows() -> [(DateTime<Utc>, DateTime<Utc>); 3] {
    [
        (utc(2025, 1, 1), utc(2025, 3, 1)),
        (utc(1, 1, 1), utc(1, 2, 1)),
        (utc(9999, 11, 1), utc(9999, 12, 31)),
    ]
}

/// ICS reader and engine: bytes -> occurrences. Every occurrence overlaps the window, the list
/// is sorted by start, an end never precedes its start, and asking for the two halves of a
/// window finds the same occurrences as asking for the whole window.
pub fn ics(data: &[u8]) {
    let cal = calendar::parse_calendar("fuzz", data);
    let opts = ExpandOptions {
        floating: Zone::utc(),
        me_emails: vec!["me@example.com".into()],
    };
    for (from, to) in ics_windows() {
        let all = cal.occurrences(from, to, &opts);
        check_occurrences(&all, from, to);
        let mid = from + (to - from) / 2;
        let first = cal.occurrences(from, mid, &opts);
        let second = cal.occurrences(mid, to, &opts);
        check_occurrences(&first, from, mid);
        check_occurrences(&second, mid, to);
        // A series cut at the engine's per-window cap is incomplete by design, and where it is
        // cut depends on the window (a weekly event lasting 1,000 years overlaps any window
        // 52,000 times); only uncapped results must split cleanly.
        if [&all, &first, &second].iter().all(|o| !capped(o)) {
            let whole: BTreeSet<_> = all.iter().map(|o| o.key()).collect();
            let halves: BTreeSet<_> = first.iter().chain(&second).map(|o| o.key()).collect();
            assert_eq!(
                whole, halves,
                "splitting [{from}, {to}) at {mid} changed the result"
            );
        }
    }
}

fn capped(occ: &[rapport::calendar::model::Occurrence]) -> bool {
    let mut per_uid: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for o in occ {
        *per_uid.entry(o.uid.as_str()).or_default() += 1;
    }
    per_uid
        .values()
        .any(|&n| n >= calendar::MAX_INSTANCES_PER_SERIES)
}

fn check_occurrences(
    occ: &[rapport::calendar::model::Occurrence],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) {
    for o in occ {
        assert!(
            o.overlaps(from, to),
            "{} {}..{} outside [{from}, {to})",
            o.uid,
            o.start,
            o.end
        );
        assert!(o.end >= o.start, "{} ends before it starts", o.uid);
    }
    for w in occ.windows(2) {
        assert!(
            w[0].start <= w[1].start,
            "not sorted: {} then {}",
            w[0].start,
            w[1].start
        );
    }
}

/// Time-zone evaluator. The first line of the input is a TZID, the rest is the body of a
/// VTIMEZONE that defines it (STANDARD/DAYLIGHT blocks). The TZID goes through every
/// TZID/TZ/offset parser; the calendar made of the VTIMEZONE and a daily 02:30 event in that
/// zone is expanded over DST-rich windows. Offsets stay under a day; a fixed or IANA zone maps
/// a wall time back to the same or an earlier instant (folds take the first), never later.
pub fn tz(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (tzid, body) = text.split_once('\n').unwrap_or((&text, ""));
    let tzid = tzid.trim_end_matches('\r');
    let _ = tz::guess_iana(tzid);
    let _ = tz::parse_tz_env(tzid);
    let _ = tz::parse_utc_offset(tzid);
    let resolver = ZoneResolver::new(Vec::new());
    let zone = resolver.resolve(tzid, &Zone::utc()).zone;
    for t in [
        utc(2025, 3, 30),
        utc(2025, 10, 26),
        utc(1, 1, 2),
        utc(9999, 12, 30),
    ] {
        for h in [0, 1, 2, 3] {
            let t = t + Duration::hours(h);
            let off = zone.offset_at(t).local_minus_utc();
            assert!(off.abs() < 24 * 3600, "offset {off} for {tzid:?}");
            let back = zone.to_utc(zone.to_local(t));
            assert!(back <= t, "{tzid:?}: {t} -> {} -> {back}", zone.to_local(t));
        }
    }
    // A TZID cannot hold a line break or start with a quote, which would be another syntax.
    let param = tzid.replace(['"', '\r', '\n', ':', ';'], "_");
    let cal = format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:{param}\r\n{body}\r\nEND:VTIMEZONE\r\n\
         BEGIN:VEVENT\r\nUID:tz-fuzz\r\nDTSTART;TZID={param}:20200101T023000\r\n\
         DTEND;TZID={param}:20200101T033000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let parsed = calendar::parse_calendar("fuzz", cal.as_bytes());
    let opts = ExpandOptions {
        floating: Zone::utc(),
        me_emails: Vec::new(),
    };
    for (from, to) in [
        (utc(2025, 3, 20), utc(2025, 4, 5)),
        (utc(2025, 10, 20), utc(2025, 11, 5)),
    ] {
        let occ = parsed.occurrences(from, to, &opts);
        check_occurrences(&occ, from, to);
        assert!(
            occ.len() <= 17,
            "{} daily occurrences in 16 days",
            occ.len()
        );
        for o in &occ {
            assert!(o.start.offset().local_minus_utc().abs() < 24 * 3600);
        }
    }
}

/// A parsed RRULE fuzz input: line 1 the rule, line 2 DTSTART, lines 3 and 4 the window
/// (any missing or unreadable line takes a default).
pub struct RRuleInput {
    pub rule: String,
    pub dtstart: NaiveDateTime,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

fn when(line: Option<&str>, default: NaiveDateTime) -> NaiveDateTime {
    line.and_then(ics::parse_time_value)
        .map(|v| v.naive())
        .unwrap_or(default)
}

pub fn rrule_input(data: &[u8]) -> RRuleInput {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let rule = lines.next().unwrap_or("").to_string();
    let dtstart = when(
        lines.next(),
        NaiveDate::from_ymd_opt(2020, 1, 6)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("valid"),
    );
    let from = when(lines.next(), dtstart);
    let to = when(lines.next(), from + Duration::days(800));
    RRuleInput {
        rule,
        dtstart,
        from,
        to,
    }
}

/// RRULE expander: starts ascend strictly, lie in the window, never precede DTSTART, respect
/// COUNT and UNTIL and the BYxxx filters, and (when the budget was enough) the two halves of the
/// window give exactly the whole.
pub fn rrule(data: &[u8]) {
    let input = rrule_input(data);
    let Ok(rule) = RRule::parse(&input.rule) else {
        return;
    };
    let _ = rule.matches_start(input.dtstart);
    let limits = Limits {
        max_iterations: 50_000,
    };
    let RRuleInput {
        dtstart, from, to, ..
    } = input;
    let all = recur::expand(&rule, dtstart, None, from, to, &limits);
    check_starts(&rule, dtstart, from, to, &all.starts);
    if from < to {
        let mid = from + (to - from) / 2;
        let a = recur::expand(&rule, dtstart, None, from, mid, &limits);
        let b = recur::expand(&rule, dtstart, None, mid, to, &limits);
        if !all.budget_exhausted && !a.budget_exhausted && !b.budget_exhausted {
            let halves: Vec<_> = a.starts.iter().chain(&b.starts).copied().collect();
            assert_eq!(
                all.starts, halves,
                "splitting the window at {mid} changed the result"
            );
        }
    }
    let day = recur::expand_all_day(&rule, dtstart.date(), None, from, to, &limits);
    // Sub-daily frequencies on a DATE are an open finding (see `rrule_all_day_midnights`);
    // skipped here so the fuzzer can get past it.
    if rule.freq >= recur::Frequency::Daily {
        for s in &day.starts {
            assert_eq!(
                s.time(),
                chrono::NaiveTime::MIN,
                "all-day start {s} is not a midnight"
            );
        }
    }
    for w in day.starts.windows(2) {
        assert!(
            w[0] < w[1],
            "all-day starts not ascending: {} {}",
            w[0],
            w[1]
        );
    }
}

/// `expand_all_day` promises midnights for every frequency.
pub fn rrule_all_day_midnights(data: &[u8]) {
    let input = rrule_input(data);
    let Ok(rule) = RRule::parse(&input.rule) else {
        return;
    };
    let limits = Limits {
        max_iterations: 50_000,
    };
    let day = recur::expand_all_day(
        &rule,
        input.dtstart.date(),
        None,
        input.from,
        input.to,
        &limits,
    );
    for s in &day.starts {
        assert_eq!(
            s.time(),
            chrono::NaiveTime::MIN,
            "all-day start {s} is not a midnight"
        );
    }
}

fn check_starts(
    rule: &RRule,
    dtstart: NaiveDateTime,
    from: NaiveDateTime,
    to: NaiveDateTime,
    starts: &[NaiveDateTime],
) {
    if let Some(n) = rule.count {
        assert!(starts.len() as u64 <= u64::from(n), "more than COUNT={n}");
    }
    let until = rule.until.map(|u: Until| u.as_wall_clock());
    for w in starts.windows(2) {
        assert!(
            w[0] < w[1],
            "starts not strictly ascending: {} {}",
            w[0],
            w[1]
        );
    }
    for &s in starts {
        assert!(from <= s && s < to, "{s} outside [{from}, {to})");
        assert!(s >= dtstart, "{s} before DTSTART {dtstart}");
        if let Some(u) = until {
            assert!(s <= u, "{s} after UNTIL {u}");
        }
        let month = s.month();
        assert!(
            rule.by_month.is_empty() || rule.by_month.contains(&month),
            "{s}: BYMONTH"
        );
        assert!(
            rule.by_hour.is_empty() || rule.by_hour.contains(&s.hour()),
            "{s}: BYHOUR"
        );
        assert!(
            rule.by_minute.is_empty() || rule.by_minute.contains(&s.minute()),
            "{s}: BYMINUTE"
        );
        // BYSECOND=60 (a leap second) has no NaiveDateTime of its own.
        assert!(
            rule.by_second.is_empty()
                || rule.by_second.contains(&60)
                || rule.by_second.contains(&s.second()),
            "{s}: BYSECOND"
        );
        assert!(
            rule.by_day.is_empty() || rule.by_day.iter().any(|d| d.weekday == s.weekday()),
            "{s}: BYDAY"
        );
        if !rule.by_month_day.is_empty() {
            let last = last_day_of_month(s.date());
            let d = s.day() as i32;
            assert!(
                rule.by_month_day
                    .iter()
                    .any(|&m| m == d || m < 0 && last as i32 + 1 + m == d),
                "{s}: BYMONTHDAY"
            );
        }
    }
}

fn last_day_of_month(d: NaiveDate) -> u32 {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|n| n.pred_opt())
        .map_or(31, |p| p.day())
}

/// Notes parser: any text parses or fails with a line inside the file, and the same text
/// always gives the same result.
pub fn notes_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("fuzz.md");
    let first = parse_person(path, &text);
    match &first {
        // An empty name (`# ` alone) is an open finding: see `notes_name_never_empty`.
        Ok(_) => {}
        Err(e) => {
            let lines = text.lines().count().max(1);
            if let Some(l) = e.line {
                assert!(l >= 1 && l <= lines + 1, "error line {l} of {lines}");
            }
        }
    }
    assert_eq!(
        first,
        parse_person(path, &text),
        "parsing is not deterministic"
    );
}

/// Every person has a name: front matter, else the first `# ` heading, else the file name.
pub fn notes_name_never_empty(data: &[u8]) {
    if let Ok(p) = parse_person(Path::new("fuzz.md"), &String::from_utf8_lossy(data)) {
        assert!(!p.name.trim().is_empty(), "a person without a name");
    }
}

pub const EDIT_TEXT: &str = "Fuzzed item 7d3f";

/// The edit a notes-editor input asks for: the input length picks the kind, so every text is
/// tried with each kind across the corpus.
pub fn notes_edit_for(text: &str) -> Edit {
    let date = NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid");
    match text.len() % 5 {
        0 => Edit::Note {
            date,
            text: EDIT_TEXT.into(),
        },
        1 => Edit::Ask {
            text: EDIT_TEXT.into(),
            after: date,
        },
        2 => Edit::Owe {
            text: EDIT_TEXT.into(),
            due: Some(date),
        },
        3 => Edit::Owe {
            text: EDIT_TEXT.into(),
            due: None,
        },
        _ => Edit::Done {
            selector: "1".into(),
            today: date,
        },
    }
}

/// Notes editor: parse, edit, re-parse. The added (or ticked) line is where the editor says; every
/// original line is still there, in order, byte for byte (only whole lines are added: the item
/// and at most a heading and blank lines); when the editor's own read-back check would let the
/// edit be written, the re-read note has the new item and nothing else changed.
pub fn notes_edit(data: &[u8]) {
    let original = String::from_utf8_lossy(data);
    let path = Path::new("fuzz.md");
    let edit = notes_edit_for(&original);
    let Ok(applied) = edit::apply(&original, &edit) else {
        return;
    };
    // A byte-order mark belongs to the file, not to its first line: the editor keeps it first
    // even when it inserts a section above line 1.
    let bom = |t: &str| t.starts_with('\u{feff}');
    assert_eq!(
        bom(&original),
        bom(&applied.text),
        "byte-order mark added or lost"
    );
    let old_lines: Vec<&str> = split_lines(original.trim_start_matches('\u{feff}'));
    let new_lines: Vec<&str> = split_lines(applied.text.trim_start_matches('\u{feff}'));
    assert!(
        applied.line >= 1 && applied.line <= new_lines.len(),
        "line {}",
        applied.line
    );
    assert_eq!(
        strip_eol(new_lines[applied.line - 1]),
        applied.line_text,
        "the reported line is not the edited one"
    );
    match &edit {
        Edit::Done { .. } => {
            assert_eq!(
                old_lines.len(),
                new_lines.len(),
                "ticking changed the line count"
            );
            let changed: Vec<usize> = (0..old_lines.len())
                .filter(|&i| old_lines[i] != new_lines[i])
                .collect();
            assert_eq!(
                changed,
                vec![applied.line - 1],
                "ticking changed other lines"
            );
        }
        _ => {
            assert!(applied.line_text.contains(EDIT_TEXT));
            // Every original line survives in order; a last line without a newline may gain one.
            let mut j = 0;
            for (i, old) in old_lines.iter().enumerate() {
                let last = i + 1 == old_lines.len();
                // A last line without "\n" may gain one (after a lone "\r" too).
                let same = |new: &str| {
                    new == *old
                        || last
                            && new.starts_with(*old)
                            && new[old.len()..].chars().all(|c| c == '\r' || c == '\n')
                };
                while j < new_lines.len() && !same(new_lines[j]) {
                    j += 1;
                }
                assert!(j < new_lines.len(), "original line {} lost: {old:?}", i + 1);
                j += 1;
            }
            let added = new_lines.len() - old_lines.len();
            assert!((1..=4).contains(&added), "{added} lines added");
        }
    }
    // `edit_file` writes only what reads back with the change (one more entry, one fewer open
    // task, same name and emails) and refuses the rest; an edit it would refuse is safe. What
    // it would write must have changed nothing but the edited item.
    let Ok(before) = parse_person(path, &original) else {
        return;
    };
    let Ok(after) = parse_person(path, &applied.text) else {
        return;
    };
    let would_write = match &edit {
        Edit::Note { .. } => after.log.len() == before.log.len() + 1,
        Edit::Ask { .. } | Edit::Owe { .. } => {
            after.follow_ups.len() == before.follow_ups.len() + 1
        }
        Edit::Done { .. } => after.follow_ups.len() + 1 == before.follow_ups.len(),
        Edit::SnoozeUntil { until } => after.snooze_until == Some(*until),
    } && before.name == after.name
        && before.emails == after.emails;
    if !would_write {
        return;
    }
    assert_eq!(before.name, after.name);
    assert_eq!(before.emails, after.emails);
    assert_eq!(before.aliases, after.aliases);
    assert_eq!(before.org, after.org);
    assert_eq!(before.role, after.role);
    assert_eq!(before.summary, after.summary);
    // Line numbers move when lines are inserted above; compare what the items say.
    let topics = |p: &rapport::people::Person| {
        p.topics
            .iter()
            .map(|t| {
                let items: Vec<_> = t
                    .items
                    .iter()
                    .map(|i| (i.text.clone(), i.private, i.nested))
                    .collect();
                (t.heading.clone(), items)
            })
            .collect::<Vec<_>>()
    };
    let follow_ups = |p: &rapport::people::Person| {
        p.follow_ups
            .iter()
            .map(|f| (f.text.clone(), f.kind, f.start, f.scheduled, f.due))
            .collect::<Vec<_>>()
    };
    let log = |p: &rapport::people::Person| {
        p.log
            .iter()
            .map(|l| (l.date, l.text.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(topics(&before), topics(&after), "topics changed");
    let (fb, fa) = (follow_ups(&before), follow_ups(&after));
    let (lb, la) = (log(&before), log(&after));
    match &edit {
        Edit::Note { .. } => {
            assert_eq!(fb, fa, "follow-ups changed");
            assert_eq!(la.len(), lb.len() + 1, "no new log entry");
            assert!(la.iter().any(|l| l.1.contains(EDIT_TEXT)));
        }
        Edit::Ask { .. } | Edit::Owe { .. } => {
            assert_eq!(lb, la, "log changed");
            assert_eq!(fa.len(), fb.len() + 1, "no new follow-up");
            assert!(fa.iter().any(|f| f.0.contains(EDIT_TEXT)));
            // The others are unchanged and in the same order.
            let others: Vec<_> = fa
                .iter()
                .filter(|f| !f.0.contains(EDIT_TEXT))
                .cloned()
                .collect();
            let before_others: Vec<_> = fb
                .iter()
                .filter(|f| !f.0.contains(EDIT_TEXT))
                .cloned()
                .collect();
            assert_eq!(before_others, others, "other follow-ups changed");
        }
        Edit::Done { .. } => {
            assert_eq!(lb, la, "log changed");
            assert_eq!(fa.len() + 1, fb.len(), "not ticked");
            assert_eq!(&fb[1..], &fa[..], "ticked another follow-up than number 1");
        }
        Edit::SnoozeUntil { .. } => {
            assert_eq!(lb, la, "log changed");
            assert_eq!(fb, fa, "follow-ups changed");
        }
    }
}

/// Lines with their endings, so CRLF and a missing final newline are compared exactly.
fn split_lines(s: &str) -> Vec<&str> {
    s.split_inclusive('\n').collect()
}

/// A line without its ending: `\n`, `\r\n`, or (the last line only, as the notes scanner
/// reads it) a lone `\r`.
fn strip_eol(l: &str) -> &str {
    let l = l.strip_suffix('\n').unwrap_or(l);
    l.strip_suffix('\r').unwrap_or(l)
}

/// Replays a kept input through its target's check.
pub fn run(target: &str, data: &[u8]) {
    match target {
        "ics" => ics(data),
        "tz" => tz(data),
        "rrule" => rrule(data),
        "notes_parse" => notes_parse(data),
        "notes_edit" => notes_edit(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

// TimeValue is part of the API the RRULE input format relies on.
const _: fn(&TimeValue) -> NaiveDateTime = TimeValue::naive;
