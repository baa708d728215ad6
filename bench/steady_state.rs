//! The daemon's steady state (issue 5), measured in-process with the library's feed and
//! engine API, against a real HTTP server on 127.0.0.1 serving a generated feed:
//!
//! 1. first refresh: 200, parse, keep the occurrences of the next days, drop the parse;
//! 2. unchanged feed, server honours ETag: 304 (`FetchStatus::NotModified`), no parse;
//! 3. unchanged feed, server ignores validators: 200 with the same bytes, which the fetcher
//!    recognises by the digest kept in its cache (also `NotModified`), no parse;
//! 4. changed feed: 200, parse and expand again (compared by bench.py with the one-shot run).
//!
//! Prints one JSON object on stdout (medians in seconds, RSS in KiB) for bench/bench.py, and a
//! readable summary on stderr. Usage: `steady_state FEED.ics [DAYS] [ROUNDS]`.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use rapport::calendar::model::Occurrence;
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar_shared, ExpandOptions};
use rapport::feed::{CalendarSource, FeedLocation};
use rapport::feed::{FeedFetcher, FetchLimits, FetchStatus};

/// What the test server answers: the current body and whether it honours If-None-Match.
struct Served {
    body: Arc<Vec<u8>>,
    etag: String,
    honour_etag: bool,
}

fn serve(listener: TcpListener, served: Arc<Mutex<Served>>) {
    for stream in listener.incoming().flatten() {
        let served = Arc::clone(&served);
        std::thread::spawn(move || {
            // A failed exchange only fails that refresh, which the measurement reports.
            let _ = answer(stream, &served);
        });
    }
}

fn answer(stream: TcpStream, served: &Mutex<Served>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(value.trim().to_string());
            }
        }
    }
    let (body, etag, not_modified) = {
        let s = served.lock().unwrap_or_else(|e| e.into_inner());
        let hit = s.honour_etag && if_none_match.as_deref() == Some(s.etag.as_str());
        (Arc::clone(&s.body), s.etag.clone(), hit)
    };
    let mut out = stream;
    if not_modified {
        write!(
            out,
            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
        )?;
    } else {
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: text/calendar; charset=utf-8\r\nETag: {etag}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        out.write_all(&body)?;
    }
    out.flush()
}

/// What the daemon keeps between refreshes: the occurrences of the next days, not the body
/// or the parse.
struct Kept {
    occurrences: Vec<Occurrence>,
}

/// FNV-1a over 8-byte words, seeded with the length: a fraction of the fetch's own cost and
/// no extra dependency. Only the server could craft a collision, and it controls the feed anyway.
fn expand(body: &Arc<Vec<u8>>, days: i64, opts: &ExpandOptions) -> Vec<Occurrence> {
    // Shared, not copied: what the daemon does with a fetched body.
    let cal = parse_calendar_shared("bench", Arc::clone(body));
    let from = Utc::now();
    cal.occurrences(from, from + chrono::Duration::days(days), opts)
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let feed = args
        .get(1)
        .ok_or_else(|| anyhow::anyhow!("usage: steady_state FEED.ics [DAYS] [ROUNDS]"))?;
    let days: i64 = args.get(2).map_or(Ok(3), |s| s.parse())?;
    let rounds: usize = args.get(3).map_or(Ok(5), |s| s.parse())?;
    let body = Arc::new(
        std::fs::read(feed).map_err(|e| anyhow::anyhow!("read {feed}: {e}; run bench/run.sh"))?,
    );
    let mut changed = body.as_ref().clone();
    // One more character in the first SUMMARY: a real edit, same size class.
    let at = changed
        .windows(8)
        .position(|w| w == b"SUMMARY:")
        .ok_or_else(|| anyhow::anyhow!("{feed} has no SUMMARY"))?;
    changed.insert(at + 8, b'*');
    let changed = Arc::new(changed);

    let served = Arc::new(Mutex::new(Served {
        body: Arc::clone(&body),
        etag: "\"v1\"".into(),
        honour_etag: true,
    }));
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/team.ics", listener.local_addr()?);
    std::thread::spawn({
        let served = Arc::clone(&served);
        move || serve(listener, served)
    });

    let cache = tempfile::tempdir()?;
    let fetcher = FeedFetcher::new(
        PathBuf::from(cache.path()),
        FetchLimits {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(60),
            max_body_bytes: 200 * 1024 * 1024,
        },
    )?;
    let source = CalendarSource {
        name: "bench".into(),
        location: FeedLocation::Url(url),
        refresh: Duration::from_secs(900),
        username: None,
        password_command: None,
    };
    let opts = ExpandOptions {
        floating: Zone::Utc,
        me_emails: Vec::new(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rss_start = rss_kib();

    // 1. first refresh
    let t = Instant::now();
    let first = rt.block_on(fetcher.fetch(&source))?;
    let mut kept = Kept {
        occurrences: expand(&first.body, days, &opts),
    };
    drop(first);
    let first_s = t.elapsed().as_secs_f64();
    let rss_after_first = rss_kib();

    // 2. 304
    let mut t304 = Vec::new();
    let mut parses_304 = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let f = rt.block_on(fetcher.fetch(&source))?;
        // As the daemon: the fetcher says whether the body changed.
        if !matches!(f.status, FetchStatus::NotModified) {
            kept.occurrences = expand(&f.body, days, &opts);
            parses_304 += 1;
        }
        let not_modified = matches!(f.status, FetchStatus::NotModified);
        t304.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(
            not_modified,
            "expected a 304 (NotModified) for an unchanged feed"
        );
    }

    // 3. 200 with the same bytes
    served.lock().unwrap_or_else(|e| e.into_inner()).honour_etag = false;
    let mut tsame = Vec::new();
    let mut parses_same = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let f = rt.block_on(fetcher.fetch(&source))?;
        if !matches!(f.status, FetchStatus::NotModified) {
            kept.occurrences = expand(&f.body, days, &opts);
            parses_same += 1;
        }
        tsame.push(t.elapsed().as_secs_f64());
    }

    // 4. changed feed (alternating between two versions, so every round is a real change)
    let mut tchanged = Vec::new();
    let mut parses_changed = 0;
    for i in 0..rounds {
        {
            let mut s = served.lock().unwrap_or_else(|e| e.into_inner());
            s.body = Arc::clone(if i % 2 == 0 { &changed } else { &body });
            s.etag = format!("\"v{}\"", i + 2);
        }
        let t = Instant::now();
        let f = rt.block_on(fetcher.fetch(&source))?;
        if !matches!(f.status, FetchStatus::NotModified) {
            kept = Kept {
                occurrences: expand(&f.body, days, &opts),
            };
            parses_changed += 1;
        }
        tchanged.push(t.elapsed().as_secs_f64());
    }
    let rss_end = rss_kib();
    // What of that the allocator holds but does not use (freed bodies of earlier refreshes):
    // a daemon can give it back with malloc_trim after a refresh.
    // SAFETY: malloc_trim only releases free memory of glibc's heap; no pointer is touched.
    unsafe {
        libc::malloc_trim(0);
    }
    let rss_trimmed = rss_kib();

    let report = serde_json::json!({
        "feed": feed,
        "bytes": body.len(),
        "days_kept": days,
        "occurrences_kept": kept.occurrences.len(),
        "rounds": rounds,
        "first_refresh_s": first_s,
        "not_modified_s": median(t304),
        "not_modified_parses": parses_304,
        "same_bytes_s": median(tsame),
        "same_bytes_parses": parses_same,
        "changed_s": median(tchanged),
        "changed_parses": parses_changed,
        "rss_start_kib": rss_start,
        "rss_after_first_kib": rss_after_first,
        "rss_end_kib": rss_end,
        "rss_end_trimmed_kib": rss_trimmed,
        // The test server's two versions of the feed live in this process too.
        "rss_server_copies_kib": (body.len() + changed.len()) / 1024,
    });
    eprintln!("{report:#}");
    println!("{report}");
    Ok(())
}
