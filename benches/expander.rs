//! Expander micro-benchmarks: single RRULEs (the shapes gen_ics.py writes, started
//! up to two years before the window) and the whole engine over the 10k feed for
//! windows of 1 day to 1 year (the feed is parsed once, outside the measurement).

mod common;

use std::hint::black_box;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rapport::calendar::recur::{expand, Limits, RRule};
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar, ExpandOptions};

fn wall(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, 0, 0))
        .expect("valid date")
}

const RULES: [(&str, &str); 6] = [
    ("weekly_3days", "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
    (
        "weekly_interval2",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU",
    ),
    ("daily_weekdays", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
    ("monthly_nth_weekday", "FREQ=MONTHLY;BYDAY=2TH"),
    ("monthly_last_weekday", "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR"),
    ("count_80_daily", "FREQ=DAILY;COUNT=80"),
];

fn rules(c: &mut Criterion) {
    // Open-ended series that started 700 days before a 14-day window: the common worst case.
    let dtstart = wall(2024, 12, 27, 9);
    let (from, to) = (wall(2026, 11, 27, 0), wall(2026, 12, 11, 0));
    let limits = Limits::default();
    let mut g = c.benchmark_group("recur_expand_14d");
    for (label, text) in RULES {
        let rule = RRule::parse(text).expect("benchmark rule parses");
        g.bench_with_input(BenchmarkId::from_parameter(label), &rule, |b, r| {
            b.iter(|| {
                expand(black_box(r), dtstart, None, from, to, &limits)
                    .starts
                    .len()
            })
        });
    }
    g.finish();
    c.bench_function("recur_parse", |b| {
        b.iter(|| {
            RRule::parse(black_box(
                "FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR;UNTIL=20271231T225959Z",
            ))
        })
    });
}

fn engine(c: &mut Criterion) {
    let data = common::iana_feed(10000);
    let cal = parse_calendar("bench", &data);
    let opts = ExpandOptions {
        floating: Zone::Utc,
        me_emails: vec!["ops@example.com".to_string()],
    };
    let from: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap();
    let mut g = c.benchmark_group("engine_occurrences_10k");
    g.sample_size(20);
    for days in [1, 14, 90, 365] {
        let to = from + chrono::Duration::days(days);
        g.bench_with_input(BenchmarkId::new("days", days), &to, |b, to| {
            b.iter(|| cal.occurrences(from, *to, black_box(&opts)).len())
        });
    }
    g.finish();
}

criterion_group!(benches, rules, engine);
criterion_main!(benches);
