//! Every calendar under `../shared/corpus` (`.ics`, the extension-less fuzz
//! files and `date_exclude.txt`) goes through the engine over a wide window
//! without a panic or a hang. What the engine drops is printed per file with
//! the reason (its warnings).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar, ExpandOptions};

use crate::common;

fn calendar_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            calendar_files(&p, out);
            continue;
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let is_calendar = name.ends_with(".ics")
            || name == "date_exclude.txt"
            || (!name.contains('.') && !name.starts_with("LICENSE"));
        if is_calendar {
            out.push(p);
        }
    }
}

struct FileResult {
    events: usize,
    occurrences: usize,
    warnings: Vec<String>,
}

fn run_file(path: PathBuf) -> FileResult {
    let bytes = std::fs::read(&path).expect("readable corpus file");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let cal = parse_calendar(&name, &bytes);
    let opts = ExpandOptions {
        floating: Zone::utc(),
        me_emails: vec!["me@example.org".into()],
    };
    let from: DateTime<Utc> = "1990-01-01T00:00:00Z".parse().expect("date");
    let to: DateTime<Utc> = "2035-01-01T00:00:00Z".parse().expect("date");
    let occurrences = cal.occurrences(from, to, &opts).len();
    FileResult {
        events: cal.event_count,
        occurrences,
        warnings: cal.warnings.iter().map(|w| w.to_string()).collect(),
    }
}

/// Every calendar file of the corpus, with its path relative to the corpus folder.
fn corpus_calendars() -> Vec<(String, PathBuf)> {
    let root = common::corpus_dir();
    let mut files = Vec::new();
    calendar_files(&root, &mut files);
    assert!(
        files.len() > 200,
        "corpus not found under {}",
        root.display()
    );
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
            (rel, p)
        })
        .collect()
}

#[test]
fn every_corpus_calendar_goes_through_the_engine() {
    let files = corpus_calendars();
    let mut with_warnings = 0;
    let mut empty = Vec::new();
    let mut total_occurrences = 0;
    for (rel, path) in &files {
        // A hang fails the test instead of blocking it forever.
        let (tx, rx) = mpsc::channel();
        let p = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(run_file(p));
        });
        let r = match rx.recv_timeout(StdDuration::from_secs(120)) {
            Ok(r) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("{rel}: no result after 120 s"),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{rel}: the engine panicked"),
        };
        total_occurrences += r.occurrences;
        if r.events == 0 {
            empty.push(rel.clone());
        }
        if !r.warnings.is_empty() {
            with_warnings += 1;
            println!(
                "{rel}: {} events kept, {} occurrences; dropped or adjusted:",
                r.events, r.occurrences
            );
            for w in &r.warnings {
                println!("    {w}");
            }
        }
    }
    println!(
        "corpus smoke: {} files, {total_occurrences} occurrences 1990-2035, {with_warnings} with warnings, {} without any VEVENT kept: {empty:?}",
        files.len(),
        empty.len()
    );
}

// --- Calendar truth (issue 15): a meeting never depends on the viewer's zone -----------------

/// The viewer zones of the property, chosen for their odd offsets: a half hour (Kolkata), a
/// half hour with DST (St. John's), and the earliest clock on Earth (Kiritimati, UTC+14); and
/// the zones most senders of the corpus write from (Berlin, New York), where a value read on
/// the viewer's clock happens to hit what it was written for and elsewhere misses.
const VIEWERS: [&str; 6] = [
    "UTC",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "Europe/Berlin",
    "America/New_York",
];

/// An offset no real zone has: in a run with this viewer zone, an occurrence that carries it
/// is shown on the viewer's clock, i.e. it is floating (or all-day).
fn probe_zone() -> Zone {
    Zone::Fixed(chrono::FixedOffset::east_opt(7 * 3600 + 13 * 60).expect("offset"))
}

fn viewer(name: &str) -> Zone {
    match name {
        "UTC" => Zone::utc(),
        n => Zone::Iana(n.parse().expect("IANA zone")),
    }
}

/// What must not change with the viewer: for a zoned occurrence its UTC start and UTC length
/// (and its recurrence id, an instant); for a floating or all-day one its wall-clock start and
/// wall-clock length.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seen {
    Zoned {
        uid: String,
        recurrence_id: Option<String>,
        start: DateTime<Utc>,
        length: i64,
    },
    Floating {
        uid: String,
        start: chrono::NaiveDateTime,
        length: i64,
    },
}

struct Run {
    seen: Vec<Seen>,
    /// UIDs of the series the engine cut short in this window (their floating tails may
    /// differ by the viewer's offset, which is what a cut means).
    cut: std::collections::BTreeSet<String>,
}

fn expand_in(
    cal: &rapport::calendar::ParsedCalendar,
    zone: Zone,
    floating_uids: Option<&std::collections::BTreeSet<String>>,
) -> (Run, std::collections::BTreeSet<String>) {
    let opts = ExpandOptions {
        floating: zone.clone(),
        me_emails: vec![],
    };
    let from: DateTime<Utc> = "1990-01-01T00:00:00Z".parse().expect("date");
    let to: DateTime<Utc> = "2035-01-01T00:00:00Z".parse().expect("date");
    // Floating occurrences move with the viewer by up to 14 hours, so near the window's edges
    // they may fall in or out; they are compared only well inside it.
    let inner_from = (from + chrono::Duration::days(2)).naive_utc();
    let inner_to = (to - chrono::Duration::days(2)).naive_utc();
    let expansion = cal.expand(from, to, &opts);
    let mut floating_here = std::collections::BTreeSet::new();
    let mut seen = Vec::new();
    for o in &expansion.occurrences {
        let on_viewer_clock = *o.start.offset() == zone.offset_at(o.start_utc());
        if o.all_day || on_viewer_clock {
            floating_here.insert(o.uid.clone());
        }
        let floating = match floating_uids {
            Some(f) => f.contains(&o.uid),
            None => continue,
        };
        if floating {
            let start = o.start.naive_local();
            if start < inner_from || start >= inner_to {
                continue;
            }
            seen.push(Seen::Floating {
                uid: o.uid.clone(),
                start,
                length: (o.end.naive_local() - start).num_seconds(),
            });
        } else {
            seen.push(Seen::Zoned {
                uid: o.uid.clone(),
                recurrence_id: o.recurrence_id.map(|r| format!("{r:?}")),
                start: o.start_utc(),
                length: (o.end_utc() - o.start_utc()).num_seconds(),
            });
        }
    }
    seen.sort();
    let cut = expansion
        .warnings
        .iter()
        .filter_map(|w| w.uid.clone())
        .collect();
    (Run { seen, cut }, floating_here)
}

/// Issue 15: over every calendar of the shared corpus, the occurrences of zoned events (their
/// UTC starts, lengths and recurrence ids) are the same whatever the viewer's zone; floating
/// and all-day ones keep their wall-clock start, length and count. The viewer's zone is the
/// engine's `ExpandOptions::floating`, injected, so this runs in-process for four zones.
#[test]
fn occurrences_do_not_depend_on_the_viewers_zone() {
    let files = corpus_calendars();
    let mut failures = Vec::new();
    let (mut events, mut compared, mut zoned, mut floating_compared) = (0, 0, 0, 0);
    for (rel, path) in &files {
        let bytes = std::fs::read(path).expect("readable corpus file");
        let cal = parse_calendar(rel, &bytes);
        events += cal.event_count;
        // Which series are floating: those shown on the probe zone's clock.
        let (_, floating_uids) = expand_in(&cal, probe_zone(), None);
        let runs: Vec<(&str, Run)> = VIEWERS
            .iter()
            .map(|v| (*v, expand_in(&cal, viewer(v), Some(&floating_uids)).0))
            .collect();
        let cut: std::collections::BTreeSet<&String> =
            runs.iter().flat_map(|(_, r)| r.cut.iter()).collect();
        let keep = |s: &&Seen| match s {
            Seen::Floating { uid, .. } => !cut.contains(uid),
            Seen::Zoned { .. } => true,
        };
        let (base_name, base) = &runs[0];
        let base: Vec<&Seen> = base.seen.iter().filter(keep).collect();
        for (name, run) in &runs[1..] {
            let other: Vec<&Seen> = run.seen.iter().filter(keep).collect();
            if other != base {
                let a: std::collections::BTreeSet<&&Seen> = base.iter().collect();
                let b: std::collections::BTreeSet<&&Seen> = other.iter().collect();
                let only_base: Vec<_> = a.difference(&b).take(2).collect();
                let only_other: Vec<_> = b.difference(&a).take(2).collect();
                failures.push(format!(
                    "{rel}: {base_name} {} vs {name} {}; only in {base_name}: {only_base:?}; only in {name}: {only_other:?}",
                    base.len(),
                    other.len()
                ));
            }
        }
        compared += base.len() * runs.len();
        zoned += base
            .iter()
            .filter(|s| matches!(s, Seen::Zoned { .. }))
            .count()
            * runs.len();
        floating_compared += base
            .iter()
            .filter(|s| matches!(s, Seen::Floating { .. }))
            .count()
            * runs.len();
    }
    println!(
        "zone invariance: {} files, {events} events, {compared} occurrences compared over {} viewer zones ({zoned} zoned, {floating_compared} floating or all-day), {} files differ",
        files.len(),
        VIEWERS.len(),
        failures.len()
    );
    for f in &failures {
        println!("  {f}");
    }
    assert!(
        failures.is_empty(),
        "{} files depend on the viewer's zone",
        failures.len()
    );
}
