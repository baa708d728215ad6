//! Instance counts against libical's `test-data/recur.txt`: 57 VEVENT snippets with RRULE (some
//! with EXRULE or EXDATE) and `X-EXPECT-NUMEVENTS`. The set is the one RFC 5545 3.8.5.3 defines:
//! DTSTART, plus the RRULE starts, minus EXRULE starts and EXDATEs; DTSTART counts as the first
//! occurrence for COUNT even when the rule does not generate it (RFC 5545 3.3.10). TZIDs do not matter for a
//! count, so times are read as floating.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime};
use rapport::calendar::recur::{expand, expand_all_day, Limits, RRule};

fn corpus_file() -> std::path::PathBuf {
    let rel = crate::common::corpus_dir().join("libical/recur.txt");
    if rel.exists() {
        return rel;
    }
    std::path::PathBuf::from("/work/shared/corpus/libical/recur.txt")
}

fn parse_time(v: &str) -> (NaiveDateTime, bool) {
    let v = v.trim().trim_end_matches('Z');
    if v.len() == 8 {
        let d = NaiveDate::parse_from_str(v, "%Y%m%d").expect("DATE");
        (d.and_hms_opt(0, 0, 0).unwrap(), true)
    } else {
        let t = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").expect("DATE-TIME");
        (t, false)
    }
}

fn starts(rule: &str, dtstart: NaiveDateTime, all_day: bool) -> Vec<NaiveDateTime> {
    let mut rule = RRule::parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
    if !rule.matches_start(dtstart) {
        rule.count = rule.count.map(|c| c.saturating_sub(1));
    }
    let far = NaiveDate::from_ymd_opt(3000, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let limits = Limits::default();
    let e = if all_day {
        expand_all_day(&rule, dtstart.date(), None, dtstart, far, &limits)
    } else {
        expand(&rule, dtstart, None, dtstart, far, &limits)
    };
    assert!(!e.budget_exhausted);
    e.starts
}

#[test]
fn libical_recur_txt_counts() {
    let text = std::fs::read_to_string(corpus_file()).expect("read recur.txt");
    let unfolded = format!("\n{text}")
        .replace("\r\n", "\n")
        .replace("\n ", "")
        .replace("\n\t", "");
    let mut total = 0;
    let mut failures = Vec::new();
    // Blocks are BEGIN:VEVENT..END:VEVENT; the file also holds events commented out with `;`.
    let blocks = unfolded
        .split("\nBEGIN:VEVENT\n")
        .skip(1)
        .map(|b| b.split("\nEND:VEVENT").next().unwrap_or(b));
    for block in blocks {
        let (mut dtstart, mut expect, mut rrules, mut exrules, mut exdates) =
            (None, None, Vec::new(), Vec::new(), Vec::new());
        let mut description = String::new();
        for line in block.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            match key.split(';').next().unwrap_or(key).trim() {
                "DTSTART" => dtstart = Some(parse_time(value)),
                "RRULE" => rrules.push(value.to_string()),
                "EXRULE" => exrules.push(value.to_string()),
                "EXDATE" => exdates.extend(value.split(',').map(|v| parse_time(v).0)),
                "X-EXPECT-NUMEVENTS" => expect = value.trim().parse::<usize>().ok(),
                "DESCRIPTION" => description = value.to_string(),
                _ => {}
            }
        }
        let (Some((start, all_day)), Some(expect)) = (dtstart, expect) else {
            panic!("no DTSTART or X-EXPECT-NUMEVENTS in {block}");
        };
        total += 1;
        let mut set: BTreeSet<NaiveDateTime> = BTreeSet::from([start]);
        for r in &rrules {
            set.extend(starts(r, start, all_day));
        }
        for r in &exrules {
            for t in starts(r, start, all_day) {
                set.remove(&t);
            }
        }
        for t in &exdates {
            set.remove(t);
        }
        if set.len() != expect {
            failures.push(format!(
                "{description}: RRULE {rrules:?} from {start}: {} != expected {expect}",
                set.len()
            ));
        }
    }
    println!(
        "recur counts: {} of {total} as libical expects",
        total - failures.len()
    );
    assert_eq!(total, 57);
    // The one difference is explained in recur_libical_differences.md.
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert!(
        failures[0].contains("UNTIL=19971224T000000Z"),
        "{failures:#?}"
    );
}
