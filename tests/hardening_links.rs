//! Issue 10, point 5: a calendar link is shown as its scheme and host only,
//! in every output, log line, state file and cache file. Which part of a
//! link is its secret cannot be guessed, so the test uses link shapes that a
//! guess misses (a share token without digits, a run of digits, a query, a
//! user and password, a fragment) and greps everything the real binary
//! writes for each secret part, at the most verbose log level.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::bin::{meeting_with_tom_in, BinHome};
use crate::common::http::{Reply, TestServer};

/// (link path after the host, its secret parts, how the server answers).
const LINKS: &[(&str, &[&str], u16)] = &[
    (
        "/remote.php/dav/public-calendars/KawfLgSTTxHdLyPq?export",
        &["KawfLgSTTxHdLyPq", "public-calendars", "remote.php"],
        200,
    ),
    (
        "/calfeeds/QxZwTrPmKsLbNvJhGfDc/basic.ics",
        &["QxZwTrPmKsLbNvJhGfDc", "calfeeds"],
        200,
    ),
    (
        "/ical/98127364501928374655/basic.ics",
        &["98127364501928374655", "/ical/"],
        404,
    ),
    (
        "/export.ics?token=QueryTokenNoDigits&user=marjolein",
        &["QueryTokenNoDigits", "marjolein", "export.ics"],
        503,
    ),
    (
        "/calendar.ics#key=FragmentSecretWord",
        &["FragmentSecretWord", "#key"],
        200,
    ),
    (
        "/calendar/ical/jane.doe%40gmail.com/private-0123456789abcdef/basic.ics",
        &["jane.doe", "private-0123456789abcdef", "gmail"],
        401,
    ),
    ("/s/AbCdEfGh", &["AbCdEfGh"], 200),
];

/// Credentials in a link: user and password are secrets too.
const USERINFO: (&str, &[&str]) = ("wouter:ZebraHorseBattery", &["wouter", "ZebraHorseBattery"]);

fn all_secrets() -> Vec<&'static str> {
    LINKS
        .iter()
        .flat_map(|(_, secrets, _)| secrets.iter().copied())
        .chain(USERINFO.1.iter().copied())
        .collect()
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in all_secrets() {
        assert!(
            !text.contains(secret),
            "{what} shows `{secret}` of a calendar link:\n{text}"
        );
    }
}

/// Every file under `dir`, as text.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                out.push((
                    path.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    out
}

#[test]
fn calendar_links_show_only_scheme_and_host_in_every_output_log_and_file() {
    let server = TestServer::start();
    let body = meeting_with_tom_in("links-1", "Roadmap", 60);
    for (path, _, status) in LINKS {
        let route = path.split(['?', '#']).next().unwrap();
        let reply = match status {
            200 => Reply::calendar(body.clone()),
            503 => Reply::status(503).header("Retry-After", "120"),
            other => Reply::status(*other),
        };
        server.route(route, vec![reply]);
    }
    server.route("/dav/wouter/cal/", vec![Reply::calendar(body.clone())]);
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let home = BinHome::new();
    std::fs::create_dir_all(home.people_dir()).unwrap();
    std::fs::write(
        home.people_dir().join("tom.md"),
        "---\nname: Tom de Vries\nemail: tom@example.org\n---\n",
    )
    .unwrap();
    let mut calendars = String::new();
    let mut add = |n: usize, url: String| {
        calendars.push_str(&format!(
            "[[calendar]]\nname = \"cal{n}\"\nurl = {url:?}\nrefresh = \"1m\"\n\n"
        ));
    };
    for (i, (path, _, _)) in LINKS.iter().enumerate() {
        add(i, server.url(path));
    }
    // The same shapes on a port nobody listens on: connection errors.
    for (i, (path, _, _)) in LINKS.iter().enumerate() {
        add(100 + i, format!("http://127.0.0.1:{refused}{path}"));
    }
    add(
        200,
        format!(
            "http://{}@127.0.0.1:{}/dav/wouter/cal/",
            USERINFO.0,
            server.port()
        ),
    );
    home.write_config(&home.config_with(&calendars));

    let trace = |args: &[&str]| {
        let mut c = home.command(args);
        c.env("RUST_LOG", "trace");
        let out = crate::common::bin::wait_output(c.spawn().unwrap(), Duration::from_secs(60));
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    for args in [
        &["agenda"][..],
        &["agenda", "--json"],
        &["agenda", "-vv"],
        &["brief"],
        &["brief", "--json"],
        &["check"],
        &["snooze"],
        &["join", "--print"],
        &["met"],
    ] {
        let text = trace(args);
        assert!(
            text.contains("127.0.0.1"),
            "{args:?} names the host:\n{text}"
        );
        assert_no_secret(&format!("`rapport {}`", args.join(" ")), &text);
    }

    // The daemon: its log at trace level, then its state and cache files.
    let mut daemon = home.start_daemon(&[("RUST_LOG", "trace")]);
    let start = Instant::now();
    let feeds = 2 * LINKS.len() + 1;
    loop {
        let state = rapport::daemon::state::State::load_read_only(&home.state_dir()).ok();
        let known = state.map_or(0, |s| {
            s.feeds
                .values()
                .filter(|f| f.last_attempt.is_some())
                .count()
        });
        if known == feeds {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{known} of {feeds} feeds in the state:\n{}",
            daemon.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon.terminate();
    let log = daemon.log_text();
    assert!(
        log.contains("HTTP 503") && log.contains("127.0.0.1"),
        "{log}"
    );
    assert_no_secret("the daemon's log", &log);
    let status = trace(&["status"]);
    assert!(status.contains("HTTP 404"), "{status}");
    assert_no_secret("`rapport status`", &status);
    let mut files = files_under(&home.state_dir());
    files.extend(files_under(&home.cache_dir()));
    let caches = files.iter().filter(|(p, _)| p.ends_with(".feed")).count();
    assert!(caches >= 4, "{files:?}");
    for (path, text) in &files {
        assert_no_secret(path, text);
    }

    // Only when asked: `check -v` shows the links (a password stays hidden).
    let verbose = trace(&["check", "-v"]);
    assert!(verbose.contains("KawfLgSTTxHdLyPq"), "{verbose}");
    assert!(verbose.contains("wouter:…@127.0.0.1"), "{verbose}");
    assert!(!verbose.contains("ZebraHorseBattery"), "{verbose}");
}
