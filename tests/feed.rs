//! Feed fetching against a real HTTP server on 127.0.0.1 (tests/common/http.rs).

use std::path::Path;
use std::time::Duration;

use rapport::feed::{CalendarSource, FeedLocation};
use rapport::feed::{FeedError, FeedFetcher, FetchLimits, FetchStatus};

use crate::common::http::{base64, Reply, TestServer};
use crate::common::{feed_limits as limits, url_source as source};

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport tests//EN\r\n\
BEGIN:VEVENT\r\nUID:a@test\r\nDTSTAMP:20261127T090000Z\r\nDTSTART:20261201T140000Z\r\n\
DTEND:20261201T150000Z\r\nSUMMARY:Marketing sync\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// A secret-shaped path like Google's private address, plus a query token.
const SECRET_PATH: &str =
    "/calendar/ical/jane.doe%40example.com/private-0123456789abcdef0123456789abcdef/basic.ics";
const SECRET_QUERY: &str = "?key=QUERYSECRET42";
const SECRETS: &[&str] = &[
    "private-0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef",
    "jane.doe",
    "QUERYSECRET42",
    "s3cret-pw",
];

fn fetcher(cache: &Path, limits: FetchLimits) -> FeedFetcher {
    FeedFetcher::new(cache.to_path_buf(), limits).expect("client builds")
}

/// Neither the error's Display nor its Debug may hold a secret part of the URL.
fn assert_no_secret(err: &FeedError) {
    let shown = format!("{err} / {err:?}");
    for s in SECRETS {
        assert!(!shown.contains(s), "secret `{s}` leaked in: {shown}");
    }
}

fn secret_url(server: &TestServer) -> String {
    server.url(&format!("{SECRET_PATH}{SECRET_QUERY}"))
}

fn cached_error(status: &FetchStatus) -> &FeedError {
    match status {
        FetchStatus::CachedAfterError(e) => e,
        other => panic!("expected CachedAfterError, got {other:?}"),
    }
}

#[test]
fn ok_200_is_fresh_and_cached_under_a_hashed_name() {
    let server = TestServer::start();
    server.route(SECRET_PATH, vec![Reply::calendar(ICS)]);
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let got = f.fetch_blocking(&source(secret_url(&server))).unwrap();
    assert_eq!(got.status, FetchStatus::Fresh);
    assert_eq!(got.body.as_slice(), ICS.as_bytes());
    let files: Vec<_> = std::fs::read_dir(cache.path().join("feeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with(".feed") && name.len() == 64 + 5, "{name}");
    let stored = std::fs::read(&files[0]).unwrap();
    let stored = String::from_utf8_lossy(&stored);
    for s in SECRETS {
        assert!(!stored.contains(s), "cache file holds `{s}`");
    }
    let req = &server.requests()[0];
    assert_eq!(req.method, "GET");
    assert!(req.header("If-None-Match").is_none());
}

#[test]
fn etag_304_returns_cached_body_as_not_modified() {
    let server = TestServer::start();
    server.route(
        "/cal.ics",
        vec![
            Reply::calendar(ICS).header("ETag", "\"v1\""),
            Reply::status(304).header("ETag", "\"v1\""),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let src = source(server.url("/cal.ics"));
    assert_eq!(f.fetch_blocking(&src).unwrap().status, FetchStatus::Fresh);
    let second = f.fetch_blocking(&src).unwrap();
    assert_eq!(second.status, FetchStatus::NotModified);
    assert_eq!(second.body.as_slice(), ICS.as_bytes());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("If-None-Match"), Some("\"v1\""));
}

/// What the daemon reads when its window moves: the last good body, from
/// disk, with no request; nothing for a file source or an unknown URL.
#[test]
fn cached_body_is_the_last_good_copy_without_a_request() {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![Reply::calendar(ICS), Reply::status(503).body("busy")],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let src = source(secret_url(&server));
    assert_eq!(f.cached_body(&src), None);
    assert_eq!(f.fetch_blocking(&src).unwrap().status, FetchStatus::Fresh);
    assert!(f.fetch_blocking(&src).unwrap().error().is_some());
    assert_eq!(server.requests().len(), 2);
    assert_eq!(f.cached_body(&src).as_deref(), Some(ICS.as_bytes()));
    assert_eq!(server.requests().len(), 2, "no request for the cached body");
    assert_eq!(f.cached_body(&source(server.url("/other.ics"))), None);
    let file = CalendarSource {
        location: FeedLocation::Path(cache.path().join("work.ics")),
        ..source(String::new())
    };
    assert_eq!(f.cached_body(&file), None);
}

#[test]
fn last_modified_304_returns_cached_body_as_not_modified() {
    let lm = "Wed, 25 Nov 2026 08:00:00 GMT";
    let server = TestServer::start();
    server.route(
        "/cal.ics",
        vec![
            Reply::calendar(ICS).header("Last-Modified", lm),
            Reply::status(304),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let src = source(server.url("/cal.ics"));
    assert_eq!(
        fetcher(cache.path(), limits())
            .fetch_blocking(&src)
            .unwrap()
            .status,
        FetchStatus::Fresh
    );
    // A new fetcher (a restart) still sends the validator from the disk cache.
    let second = fetcher(cache.path(), limits())
        .fetch_blocking(&src)
        .unwrap();
    assert_eq!(second.status, FetchStatus::NotModified);
    assert_eq!(second.body.as_slice(), ICS.as_bytes());
    assert_eq!(server.requests()[1].header("If-Modified-Since"), Some(lm));
    assert!(server.requests()[1].header("If-None-Match").is_none());
}

fn cached_copy_survives(status: u16) {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![Reply::calendar(ICS), Reply::status(status).body("oops")],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let src = source(secret_url(&server));
    let first = f.fetch_blocking(&src).unwrap();
    let second = f.fetch_blocking(&src).unwrap();
    let err = cached_error(&second.status);
    assert_eq!(second.error(), Some(err));
    assert_eq!(first.error(), None);
    assert_eq!(err.http_status(), Some(status));
    assert_eq!(second.body.as_slice(), ICS.as_bytes());
    // The cached copy carries the time it was fetched, not the failure's.
    assert_eq!(second.fetched_at, first.fetched_at);
    assert_no_secret(err);
}

#[test]
fn http_404_keeps_the_cached_copy() {
    cached_copy_survives(404);
}

#[test]
fn http_500_keeps_the_cached_copy() {
    cached_copy_survives(500);
}

#[test]
fn http_401_without_cache_is_an_error_that_says_what_to_check() {
    let server = TestServer::start();
    server.route(SECRET_PATH, vec![Reply::status(401)]);
    let cache = tempfile::tempdir().unwrap();
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&source(secret_url(&server)))
        .unwrap_err();
    assert_eq!(err.http_status(), Some(401));
    assert!(err.to_string().contains("password_command"), "{err}");
    assert_no_secret(&err);
}

#[test]
fn server_that_never_answers_times_out() {
    let server = TestServer::start();
    server.route(SECRET_PATH, vec![Reply::status(200).never_answer()]);
    let cache = tempfile::tempdir().unwrap();
    let short = FetchLimits {
        total_timeout: Duration::from_millis(500),
        ..limits()
    };
    let err = fetcher(cache.path(), short)
        .fetch_blocking(&source(secret_url(&server)))
        .unwrap_err();
    assert!(matches!(err, FeedError::Timeout { .. }), "{err:?}");
    assert_no_secret(&err);
}

#[test]
fn trickling_server_times_out_and_keeps_cache() {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![
            Reply::calendar(ICS),
            Reply::calendar(ICS).trickle(Duration::from_millis(100)),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let short = FetchLimits {
        total_timeout: Duration::from_millis(700),
        ..limits()
    };
    let src = source(secret_url(&server));
    // The first, normal fetch gets the default time so a busy machine cannot fail it.
    fetcher(cache.path(), limits())
        .fetch_blocking(&src)
        .unwrap();
    let got = fetcher(cache.path(), short).fetch_blocking(&src).unwrap();
    let err = cached_error(&got.status);
    assert!(matches!(err, FeedError::Timeout { .. }), "{err:?}");
    assert_eq!(got.body.as_slice(), ICS.as_bytes());
    assert_no_secret(err);
}

#[test]
fn body_over_the_cap_is_refused() {
    let server = TestServer::start();
    let big = format!("{ICS}{}", "X".repeat(5000));
    server.route(SECRET_PATH, vec![Reply::calendar(big)]);
    let cache = tempfile::tempdir().unwrap();
    let tiny = FetchLimits {
        max_body_bytes: 1000,
        ..limits()
    };
    let err = fetcher(cache.path(), tiny)
        .fetch_blocking(&source(secret_url(&server)))
        .unwrap_err();
    assert!(
        matches!(err, FeedError::TooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert_no_secret(&err);
}

#[test]
fn gzip_bomb_is_stopped_at_the_cap_on_the_decompressed_stream() {
    let server = TestServer::start();
    // 20 MB of the same line compresses to a few kB.
    let mut bomb = String::from("BEGIN:VCALENDAR\r\n");
    while bomb.len() < 20 * 1024 * 1024 {
        bomb.push_str(
            "X-PAD:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
    }
    server.route("/bomb.ics", vec![Reply::calendar(bomb).gzip()]);
    let cache = tempfile::tempdir().unwrap();
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&source(server.url("/bomb.ics")))
        .unwrap_err();
    assert!(matches!(err, FeedError::TooLarge { .. }), "{err:?}");
}

#[test]
fn html_page_instead_of_a_calendar_is_an_error_that_says_so() {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![Reply::status(200)
            .header("Content-Type", "text/html; charset=utf-8")
            .body("<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>")],
    );
    let cache = tempfile::tempdir().unwrap();
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&source(secret_url(&server)))
        .unwrap_err();
    assert!(matches!(err, FeedError::NotCalendar { .. }), "{err:?}");
    assert!(err.to_string().contains("HTML page"), "{err}");
    assert_no_secret(&err);
}

#[test]
fn gzip_body_is_decompressed() {
    let server = TestServer::start();
    server.route("/cal.ics", vec![Reply::calendar(ICS).gzip()]);
    let cache = tempfile::tempdir().unwrap();
    let got = fetcher(cache.path(), limits())
        .fetch_blocking(&source(server.url("/cal.ics")))
        .unwrap();
    assert_eq!(got.body.as_slice(), ICS.as_bytes());
    let accept = server.requests()[0]
        .header("Accept-Encoding")
        .unwrap_or("")
        .to_string();
    assert!(accept.contains("gzip"), "{accept}");
}

#[test]
fn redirect_is_followed() {
    let server = TestServer::start();
    server.route(
        "/old.ics",
        vec![Reply::status(302).header("Location", &server.url("/new.ics"))],
    );
    server.route("/new.ics", vec![Reply::calendar(ICS)]);
    let cache = tempfile::tempdir().unwrap();
    let got = fetcher(cache.path(), limits())
        .fetch_blocking(&source(server.url("/old.ics")))
        .unwrap();
    assert_eq!(got.body.as_slice(), ICS.as_bytes());
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/old.ics", "/new.ics"]);
}

#[test]
fn redirect_loop_301_is_an_error() {
    let server = TestServer::start();
    server.route(
        "/a.ics",
        vec![Reply::status(301).header("Location", &server.url("/b.ics"))],
    );
    server.route(
        "/b.ics",
        vec![Reply::status(301).header("Location", &server.url("/a.ics"))],
    );
    let cache = tempfile::tempdir().unwrap();
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&source(server.url("/a.ics")))
        .unwrap_err();
    assert!(matches!(err, FeedError::Redirect { .. }), "{err:?}");
    assert!(err.to_string().contains("loop"), "{err}");
    assert!(server.requests().len() <= 3);
}

#[test]
fn basic_auth_uses_the_first_line_of_password_command() {
    let server = TestServer::start();
    server.route(SECRET_PATH, vec![Reply::calendar(ICS)]);
    let cache = tempfile::tempdir().unwrap();
    let mut src = source(secret_url(&server));
    src.username = Some("ada".into());
    // Run directly, not by a shell; only the first output line is the password.
    src.password_command = Some(vec![
        "printf".into(),
        "%s\\nsecond line\\n".into(),
        "s3cret-pw".into(),
    ]);
    let got = fetcher(cache.path(), limits())
        .fetch_blocking(&src)
        .unwrap();
    assert_eq!(got.status, FetchStatus::Fresh);
    let auth = server.requests()[0]
        .header("Authorization")
        .unwrap()
        .to_string();
    assert_eq!(auth, format!("Basic {}", base64(b"ada:s3cret-pw")));
}

#[test]
fn failing_password_command_is_reported_without_its_output() {
    let cache = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    server.route(SECRET_PATH, vec![Reply::calendar(ICS)]);
    let mut src = source(secret_url(&server));
    src.username = Some("ada".into());
    src.password_command = Some(vec!["false".into()]);
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&src)
        .unwrap_err();
    assert!(matches!(err, FeedError::PasswordCommand { .. }), "{err:?}");
    assert!(err.to_string().contains("`false` failed"), "{err}");
    // Nothing was sent without the password.
    assert!(server.requests().is_empty());
    src.password_command = Some(vec!["/nonexistent/rapport-pass".into()]);
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&src)
        .unwrap_err();
    assert!(err.to_string().contains("could not be run"), "{err}");
}

#[test]
fn connection_refused_is_an_error_and_a_restart_uses_the_cache() {
    let server = TestServer::start();
    server.route(SECRET_PATH, vec![Reply::calendar(ICS)]);
    let cache = tempfile::tempdir().unwrap();
    let url = secret_url(&server);
    fetcher(cache.path(), limits())
        .fetch_blocking(&source(url.clone()))
        .unwrap();
    let port = server.port();
    drop(server);
    // Wait until nothing listens on the port (binding it proves it is free).
    for _ in 0..100 {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = fetcher(cache.path(), limits())
        .fetch_blocking(&source(url))
        .unwrap();
    let err = cached_error(&got.status);
    assert!(matches!(err, FeedError::Connect { .. }), "{err:?}");
    assert_eq!(got.body.as_slice(), ICS.as_bytes());
    assert_no_secret(err);
}

#[test]
fn connection_refused_without_cache_is_an_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cache = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}{SECRET_PATH}{SECRET_QUERY}");
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&source(url))
        .unwrap_err();
    assert!(matches!(err, FeedError::Connect { .. }), "{err:?}");
    assert_no_secret(&err);
}

#[test]
fn close_mid_body_is_truncated_and_keeps_cache() {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![Reply::calendar(ICS), Reply::calendar(ICS).close_after(40)],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let src = source(secret_url(&server));
    f.fetch_blocking(&src).unwrap();
    let got = f.fetch_blocking(&src).unwrap();
    let err = cached_error(&got.status);
    assert!(matches!(err, FeedError::Truncated { .. }), "{err:?}");
    assert_eq!(got.body.as_slice(), ICS.as_bytes());
    assert_no_secret(err);
}

#[test]
fn retry_after_on_429_and_503_is_exposed() {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![
            Reply::status(429).header("Retry-After", "120"),
            Reply::status(503).header("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let src = source(secret_url(&server));
    let err = f.fetch_blocking(&src).unwrap_err();
    assert_eq!(err.http_status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.to_string().contains("wait 2m"), "{err}");
    assert_no_secret(&err);
    let err = f.fetch_blocking(&src).unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    // A date far away is capped at a day.
    assert_eq!(err.retry_after(), Some(rapport::feed::MAX_RETRY_AFTER));
}

#[test]
fn webcal_url_is_fetched_with_tls() {
    // The plain-HTTP test server cannot answer a TLS handshake: a TLS error
    // proves that webcal:// was requested as https://.
    let server = TestServer::start();
    server.route("/cal.ics", vec![Reply::calendar(ICS)]);
    let cache = tempfile::tempdir().unwrap();
    let url = format!("webcal://127.0.0.1:{}/cal.ics", server.port());
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&source(url))
        .unwrap_err();
    assert!(matches!(err, FeedError::Tls { .. }), "{err:?}");
}

#[test]
fn unresolvable_host_is_an_error() {
    let cache = tempfile::tempdir().unwrap();
    let short = FetchLimits {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(3),
        ..limits()
    };
    // RFC 6761: `.invalid` never resolves.
    let url = format!("http://rapport-test.invalid{SECRET_PATH}{SECRET_QUERY}");
    let err = fetcher(cache.path(), short)
        .fetch_blocking(&source(url))
        .unwrap_err();
    assert!(
        matches!(
            err,
            FeedError::Dns { .. } | FeedError::Connect { .. } | FeedError::Timeout { .. }
        ),
        "{err:?}"
    );
    assert_no_secret(&err);
}

#[test]
fn local_file_is_read_and_html_file_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ics = dir.path().join("work.ics");
    std::fs::write(&ics, ICS).unwrap();
    let f = fetcher(&dir.path().join("cache"), limits());
    let mut src = source(String::new());
    src.location = FeedLocation::Path(ics);
    let got = f.fetch_blocking(&src).unwrap();
    assert_eq!(got.status, FetchStatus::Fresh);
    assert_eq!(got.body.as_slice(), ICS.as_bytes());

    let html = dir.path().join("page.ics");
    std::fs::write(&html, "<!doctype html><html></html>").unwrap();
    src.location = FeedLocation::Path(html.clone());
    let err = f.fetch_blocking(&src).unwrap_err();
    assert!(err.to_string().contains("HTML page"), "{err}");

    src.location = FeedLocation::Path(dir.path().join("missing.ics"));
    let err = f.fetch_blocking(&src).unwrap_err();
    assert!(matches!(err, FeedError::File { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.ics"), "{err}");
}

#[tokio::test]
async fn async_fetch_works_and_blocking_refuses_inside_a_runtime() {
    let server = TestServer::start();
    server.route("/cal.ics", vec![Reply::calendar(ICS)]);
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let src = source(server.url("/cal.ics"));
    let got = f.fetch(&src).await.unwrap();
    assert_eq!(got.body.as_slice(), ICS.as_bytes());
    let err = f.fetch_blocking(&src).unwrap_err();
    assert!(matches!(err, FeedError::Setup { .. }), "{err:?}");
}

#[test]
fn fetch_all_blocking_keeps_order() {
    let server = TestServer::start();
    server.route("/one.ics", vec![Reply::calendar(ICS)]);
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let mut missing = source(server.url("/missing.ics"));
    missing.name = "missing".into();
    let results = f
        .fetch_all_blocking(&[source(server.url("/one.ics")), missing])
        .unwrap();
    assert!(results[0].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().http_status(), Some(404));
    assert_eq!(results[1].as_ref().unwrap_err().feed(), "missing");
}

/// Prints each error's text once (run with --nocapture to review wording).
#[test]
fn error_texts_are_readable() {
    let server = TestServer::start();
    server.route("/cal.ics", vec![Reply::calendar(ICS).close_after(10)]);
    let cache = tempfile::tempdir().unwrap();
    let short = FetchLimits {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(3),
        ..limits()
    };
    let f = fetcher(cache.path(), short);
    for url in [
        server.url("/cal.ics"),
        format!("webcal://127.0.0.1:{}/cal.ics", server.port()),
        format!("http://rapport-test.invalid{SECRET_PATH}{SECRET_QUERY}"),
    ] {
        let err = f.fetch_blocking(&source(url)).unwrap_err();
        eprintln!("{err}");
        assert_no_secret(&err);
    }
}

#[test]
fn content_length_longer_than_the_body_is_truncated() {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![Reply::calendar(ICS).header("Content-Length", "99999")],
    );
    let cache = tempfile::tempdir().unwrap();
    let err = fetcher(cache.path(), limits())
        .fetch_blocking(&source(secret_url(&server)))
        .unwrap_err();
    assert!(matches!(err, FeedError::Truncated { .. }), "{err:?}");
    assert_no_secret(&err);
}

#[test]
fn damaged_cache_file_is_ignored_not_trusted() {
    let server = TestServer::start();
    server.route(
        "/cal.ics",
        vec![
            Reply::calendar(ICS).header("ETag", "\"v1\""),
            Reply::status(500),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let src = source(server.url("/cal.ics"));
    f.fetch_blocking(&src).unwrap();
    let file = std::fs::read_dir(cache.path().join("feeds"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // Cut the body short: the stored length no longer matches.
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 10]).unwrap();
    let err = f.fetch_blocking(&src).unwrap_err();
    assert_eq!(err.http_status(), Some(500));
    // No validator from the damaged file was sent.
    assert!(server.requests()[1].header("If-None-Match").is_none());
}

/// The default cap lets a 90 MB Exchange export through and stops a 1 GB body before reading it:
/// a file by its size, a server by its Content-Length.
#[test]
fn default_cap_reads_a_ninety_megabyte_export_and_refuses_a_gigabyte_unread() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), FetchLimits::default());
    let file_source = |path: &Path| CalendarSource {
        location: FeedLocation::Path(path.to_path_buf()),
        ..source(String::new())
    };
    // 100 MB: a calendar padded with one long X- property.
    let big = dir.path().join("big.ics");
    let pad = "X".repeat(100_000_000);
    std::fs::write(
        &big,
        format!(
            "BEGIN:VCALENDAR\r\nX-PAD:{pad}\r\n{}",
            &ICS["BEGIN:VCALENDAR\r\n".len()..]
        ),
    )
    .unwrap();
    drop(pad);
    let got = f.fetch_blocking(&file_source(&big)).unwrap();
    assert!(got.body.len() > 100_000_000);
    drop(got);
    // 1 GB, sparse: refused from its size, without reading it.
    let huge = dir.path().join("huge.ics");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let err = f.fetch_blocking(&file_source(&huge)).unwrap_err();
    assert!(err.to_string().contains("larger than 256 MB"), "{err}");
    // A server announcing 1 GB.
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![Reply::calendar(ICS).header("Content-Length", "1073741824")],
    );
    let err = f.fetch_blocking(&source(secret_url(&server))).unwrap_err();
    assert!(matches!(err, FeedError::TooLarge { .. }), "{err:?}");
    assert_no_secret(&err);
}

/// A server that ignores validators sends the whole feed every time: the same bytes come back
/// as `NotModified` (no parse in the daemon) and the cached copy is not rewritten; changed
/// bytes are `Fresh` again.
#[test]
fn same_bytes_without_validators_are_not_modified_and_not_rewritten() {
    use std::os::unix::fs::MetadataExt;
    let server = TestServer::start();
    let changed = ICS.replace("Marketing sync", "Marketing sync (moved)");
    server.route(
        "/cal.ics",
        vec![
            Reply::calendar(ICS),
            Reply::calendar(ICS),
            Reply::calendar(changed.clone()),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path(), limits());
    let src = source(server.url("/cal.ics"));
    let cache_file = || {
        let files: Vec<_> = walk(cache.path());
        assert_eq!(files.len(), 1, "{files:?}");
        let m = std::fs::metadata(&files[0]).unwrap();
        (m.ino(), m.mtime_nsec(), m.len())
    };
    let first = f.fetch_blocking(&src).unwrap();
    assert_eq!(first.status, FetchStatus::Fresh);
    let written = cache_file();
    let second = f.fetch_blocking(&src).unwrap();
    assert_eq!(second.status, FetchStatus::NotModified);
    assert_eq!(second.body.as_slice(), ICS.as_bytes());
    assert_eq!(
        cache_file(),
        written,
        "the same bytes are not written again"
    );
    let third = f.fetch_blocking(&src).unwrap();
    assert_eq!(third.status, FetchStatus::Fresh);
    assert_eq!(third.body.as_slice(), changed.as_bytes());
    assert_ne!(cache_file(), written);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
