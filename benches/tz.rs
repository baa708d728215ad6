//! Time-zone micro-benchmarks: resolving TZIDs (IANA, wrong case, Windows, vendor
//! prefix, a custom name defined by the file's VTIMEZONE), cold and memoised, and
//! converting wall times with tzdata and with a VTIMEZONE transition table.

use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rapport::calendar::tz::{
    CustomZone, Observance, ObservanceKind, VTimezone, Zone, ZoneResolver,
};

const TZIDS: [(&str, &str); 5] = [
    ("iana", "Europe/Amsterdam"),
    ("iana_wrong_case", "europe/amsterdam"),
    ("windows", "W. Europe Standard Time"),
    (
        "vendor_prefix",
        "/freeassociation.sourceforge.net/Tzfile/Europe/Amsterdam",
    ),
    (
        "custom_vtimezone",
        "(UTC+01:00) Amsterdam, Berlijn, Bern, Rome, Stockholm, Wenen",
    ),
];

fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .expect("valid date")
}

/// The Outlook-style VTIMEZONE of gen_ics.py's `windows` feeds, under a custom TZID.
fn outlook_vtimezone(tzid: &str) -> VTimezone {
    let obs = |kind, h, from, to, month| Observance {
        kind,
        dtstart: wall(1601, 1, 1, h, 0),
        offset_from: from,
        offset_to: to,
        rrule: Some(format!("FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH={month}")),
        rdates: Vec::new(),
        name: None,
    };
    VTimezone {
        tzid: tzid.to_string(),
        observances: vec![
            obs(ObservanceKind::Standard, 3, 7200, 3600, 10),
            obs(ObservanceKind::Daylight, 2, 3600, 7200, 3),
        ],
    }
}

fn resolve(c: &mut Criterion) {
    let mut g = c.benchmark_group("tz_resolve");
    for (label, tzid) in TZIDS {
        // Cold: a new resolver per call, as for the first event of a feed that names the zone.
        g.bench_with_input(BenchmarkId::new("cold", label), &tzid, |b, tzid| {
            b.iter(|| {
                let r = ZoneResolver::new(vec![outlook_vtimezone(TZIDS[4].1)]);
                r.resolve(black_box(tzid), &Zone::Utc).zone
            })
        });
        // Memoised: every later event of the feed.
        let r = ZoneResolver::new(vec![outlook_vtimezone(TZIDS[4].1)]);
        r.resolve(tzid, &Zone::Utc);
        g.bench_with_input(BenchmarkId::new("memoised", label), &tzid, |b, tzid| {
            b.iter(|| r.resolve(black_box(tzid), &Zone::Utc).zone)
        });
    }
    g.finish();
}

fn convert(c: &mut Criterion) {
    let mut warnings = Vec::new();
    let custom = CustomZone::from_vtimezone(&outlook_vtimezone("custom"), &mut warnings)
        .expect("the Outlook VTIMEZONE is usable");
    let zones = [
        ("iana", Zone::Iana(chrono_tz::Europe::Amsterdam)),
        ("vtimezone", Zone::Custom(Arc::new(custom))),
    ];
    // A fortnight of quarter hours around the benchmark window, DST change included.
    let walls: Vec<NaiveDateTime> = (0..1344)
        .map(|i| wall(2026, 10, 20, 0, 0) + chrono::Duration::minutes(15 * i))
        .collect();
    let instants: Vec<DateTime<Utc>> = walls.iter().map(|w| w.and_utc()).collect();
    let mut g = c.benchmark_group("tz_convert_1344");
    for (label, zone) in &zones {
        g.bench_with_input(BenchmarkId::new("to_utc", label), zone, |b, z| {
            b.iter(|| walls.iter().map(|w| z.to_utc(black_box(*w))).max())
        });
        g.bench_with_input(BenchmarkId::new("offset_at", label), zone, |b, z| {
            b.iter(|| {
                instants
                    .iter()
                    .map(|t| z.offset_at(black_box(*t)).local_minus_utc())
                    .sum::<i32>()
            })
        });
    }
    g.finish();
    c.bench_function("tz_custom_zone_from_vtimezone", |b| {
        let vtz = outlook_vtimezone("custom");
        b.iter(|| CustomZone::from_vtimezone(black_box(&vtz), &mut Vec::new()))
    });
}

criterion_group!(benches, resolve, convert);
criterion_main!(benches);
