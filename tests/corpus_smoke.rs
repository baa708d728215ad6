//! Every calendar under `../shared/corpus` (`.ics`, the extension-less fuzz
//! files and `date_exclude.txt`) goes through the engine over a wide window
//! without a panic or a hang. What the engine drops is printed per file with
//! the reason (its warnings).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use rapport::engine::{parse_calendar, ExpandOptions};
use rapport::tz::Zone;

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

#[test]
fn every_corpus_calendar_goes_through_the_engine() {
    let root = common::corpus_dir();
    let mut files = Vec::new();
    calendar_files(&root, &mut files);
    assert!(
        files.len() > 200,
        "corpus not found under {}",
        root.display()
    );
    let mut with_warnings = 0;
    let mut empty = Vec::new();
    let mut total_occurrences = 0;
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
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
