//! Parses one feed and lists the occurrences that START in a window, one
//! `UTCSTART UID [CANCELLED]` a line (the format of
//! `../shared/bench/gen_ics.py --occ-out`), with timings on stderr.
//!
//! `cargo run --release --example window -- FEED.ics [FROM TO]`
//! (default window: 2026-11-27T00:00Z to 2026-12-11T00:00Z, the benchmark's).
use std::io::Write;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rapport::calendar::{parse_calendar_shared, ExpandOptions};

/// CPU time of this process (the machine may be shared; wall time lies).
fn cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn bytes_again(path: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: window FEED.ics [FROM TO]")?;
    let bound = |i: usize, default: &str| -> Result<DateTime<Utc>, chrono::ParseError> {
        Ok(DateTime::parse_from_rfc3339(args.get(i).map_or(default, String::as_str))?.to_utc())
    };
    let from = bound(2, "2026-11-27T00:00:00Z")?;
    let to = bound(3, "2026-12-11T00:00:00Z")?;
    let t0 = Instant::now();
    let bytes = std::fs::read(path)?;
    let t1 = Instant::now();
    let cal = parse_calendar_shared(path, std::sync::Arc::new(bytes));
    let t2 = Instant::now();
    let opts = ExpandOptions::new(rapport::calendar::tz::local_zone());
    let occs = cal.occurrences(from, to, &opts);
    let t3 = Instant::now();
    // REPEAT=N: time N more expansions of the same window (steady state).
    let repeat: u32 = std::env::var("REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if repeat > 0 {
        let (t, c) = (Instant::now(), cpu());
        for _ in 0..repeat {
            std::hint::black_box(cal.occurrences(from, to, &opts));
        }
        eprintln!(
            "expand, mean of {repeat}: {:?} wall, {:?} cpu",
            t.elapsed() / repeat,
            (cpu() - c) / repeat
        );
        let (t, c) = (Instant::now(), cpu());
        for _ in 0..repeat {
            std::hint::black_box(parse_calendar_shared(
                path,
                std::sync::Arc::new(bytes_again(path)?),
            ));
        }
        eprintln!(
            "read + parse, mean of {repeat}: {:?} wall, {:?} cpu",
            t.elapsed() / repeat,
            (cpu() - c) / repeat
        );
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut listed = 0;
    for o in occs.iter().filter(|o| o.start_utc() >= from) {
        let mark = if o.is_cancelled() { " CANCELLED" } else { "" };
        writeln!(
            out,
            "{} {}{mark}",
            o.start_utc().format("%Y%m%dT%H%M%SZ"),
            o.uid
        )?;
        listed += 1;
    }
    out.flush()?;
    eprintln!(
        "{} events, {} warnings, {listed} occurrences; read {:?}, parse {:?}, expand {:?}",
        cal.event_count,
        cal.warnings.len(),
        t1 - t0,
        t2 - t1,
        t3 - t2
    );
    Ok(())
}
