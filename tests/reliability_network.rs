//! Reliability, point 3 (the parts without the daemon): network faults that
//! tests/feed.rs does not cover yet, against real local servers.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rapport::feed::{FeedError, FeedFetcher, FetchStatus};

use crate::common::http::{Reply, TestServer, SECRETS, SECRET_PATH};
use crate::common::{feed_limits as limits, url_source as source};

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport tests//EN\r\n\
BEGIN:VEVENT\r\nUID:a@test\r\nDTSTAMP:20261127T090000Z\r\nDTSTART:20261201T140000Z\r\n\
DTEND:20261201T150000Z\r\nSUMMARY:Marketing sync\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn fetcher(cache: &Path) -> FeedFetcher {
    FeedFetcher::new(cache.to_path_buf(), limits()).expect("client builds")
}

fn assert_no_secret(err: &FeedError) {
    let shown = format!("{err} / {err:?}");
    for s in SECRETS {
        assert!(!shown.contains(s), "secret `{s}` leaked in: {shown}");
    }
}

#[test]
fn http_503_with_retry_after_keeps_the_cached_copy_and_says_when_to_retry() {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![
            Reply::calendar(ICS),
            Reply::status(503).header("Retry-After", "300").body("busy"),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path());
    let src = source(server.url(&format!("{SECRET_PATH}?key=QUERYSECRET42")));
    let first = f.fetch_blocking(&src).unwrap();
    assert_eq!(first.status, FetchStatus::Fresh);
    let second = f.fetch_blocking(&src).unwrap();
    let Some(err) = second.error() else {
        panic!(
            "expected the cached copy after a 503, got {:?}",
            second.status
        )
    };
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(300)));
    assert_eq!(second.body.as_slice(), ICS.as_bytes());
    assert_no_secret(err);
}

#[test]
fn content_length_shorter_than_the_body_is_never_taken_as_the_whole_calendar() {
    // The server says 40 bytes and sends the whole calendar: the client reads
    // 40 bytes, which are not a complete calendar.
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![Reply::calendar(ICS).header("Content-Length", "40")],
    );
    let cache = tempfile::tempdir().unwrap();
    match fetcher(cache.path()).fetch_blocking(&source(server.url(SECRET_PATH))) {
        Err(e) => assert_no_secret(&e),
        Ok(got) => {
            // If the 40 bytes are accepted, they are the 40 bytes: nothing
            // from beyond the declared length leaks into the body, and the
            // engine finds no event in the cut calendar.
            assert_eq!(got.body.len(), 40, "{:?}", got.status);
            let cal = rapport::calendar::parse_calendar("work", &got.body);
            assert_eq!(cal.event_count, 0);
        }
    }
}

// --- TLS -------------------------------------------------------------------------------------

/// `openssl s_server` with a fresh self-signed certificate for 127.0.0.1;
/// killed on drop.
struct TlsServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn tls_server(subject_alt_name: &str) -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-subj", "/CN=rapport test"])
        .args(["-addext", &format!("subjectAltName={subject_alt_name}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success(), "openssl req failed");
    // A port that was free a moment ago (s_server cannot report its own).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        // A bound for a broken openssl, not a timing assertion.
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    TlsServer {
        child,
        port,
        _dir: dir,
    }
}

#[test]
fn self_signed_certificate_is_a_tls_error_never_skipped() {
    if !openssl_available() {
        eprintln!("SKIP self_signed_certificate_is_a_tls_error_never_skipped: no `openssl` on PATH to make a certificate");
        return;
    }
    let server = tls_server("IP:127.0.0.1");
    let cache = tempfile::tempdir().unwrap();
    for scheme in ["https", "webcal"] {
        let url = format!(
            "{scheme}://127.0.0.1:{}{SECRET_PATH}?key=QUERYSECRET42",
            server.port
        );
        let err = fetcher(cache.path())
            .fetch_blocking(&source(url))
            .expect_err("an untrusted certificate must fail");
        assert!(matches!(err, FeedError::Tls { .. }), "{scheme}: {err:?}");
        let text = err.to_string();
        assert!(
            text.to_lowercase().contains("certificate"),
            "says why: {text}"
        );
        assert_no_secret(&err);
    }
}

#[test]
fn certificate_for_another_host_is_a_tls_error() {
    if !openssl_available() {
        eprintln!("SKIP certificate_for_another_host_is_a_tls_error: no `openssl` on PATH to make a certificate");
        return;
    }
    let server = tls_server("DNS:calendar.example.org");
    let cache = tempfile::tempdir().unwrap();
    let url = format!("https://127.0.0.1:{}{SECRET_PATH}", server.port);
    let err = fetcher(cache.path())
        .fetch_blocking(&source(url))
        .expect_err("a certificate for another name must fail");
    assert!(matches!(err, FeedError::Tls { .. }), "{err:?}");
    assert_no_secret(&err);
}

#[test]
fn content_length_shorter_than_the_body_keeps_the_cached_copy() {
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![
            Reply::calendar(ICS),
            Reply::calendar(ICS).header("Content-Length", "40"),
        ],
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fetcher(cache.path());
    let src = source(server.url(SECRET_PATH));
    assert_eq!(f.fetch_blocking(&src).unwrap().status, FetchStatus::Fresh);
    match f.fetch_blocking(&src) {
        Err(e) => panic!("the cached copy should be used: {e}"),
        Ok(got) => {
            assert!(
                got.error().is_some(),
                "a cut body is not fresh: {:?}",
                got.status
            );
            assert_eq!(got.body.as_slice(), ICS.as_bytes());
        }
    }
}
