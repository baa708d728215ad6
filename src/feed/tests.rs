use super::redact::scrub;
use super::*;

/// The daemon shares one fetcher between tasks and spawns fetches.
#[test]
fn fetcher_is_shareable_and_fetch_future_is_send() {
    fn shareable<T: Send + Sync>(_: &T) {}
    fn sendable<F: std::future::Future + Send>(_: F) {}
    let dir = std::env::temp_dir().join("rapport-unused-cache");
    let f = FeedFetcher::new(dir, FetchLimits::default()).unwrap();
    shareable(&f);
    let src = CalendarSource {
        name: "x".into(),
        location: FeedLocation::Url("http://127.0.0.1:9/x.ics".into()),
        refresh: Duration::from_secs(60),
        username: None,
        password_command: None,
    };
    // Only built, never polled: nothing is fetched or written.
    sendable(f.fetch(&src));
}

#[test]
fn webcal_is_fetched_as_https() {
    assert_eq!(
        request_url("webcal://p12-caldav.icloud.com/published/2/abc"),
        "https://p12-caldav.icloud.com/published/2/abc"
    );
    assert_eq!(request_url("WEBCALS://h/x.ics"), "https://h/x.ics");
    assert_eq!(request_url("http://h/x.ics"), "http://h/x.ics");
    // The config does the same, so the fetcher never sees webcal:// from it.
    assert_eq!(
        crate::feed::normalize_url("webcal://example.com/cal.ics").unwrap(),
        FeedLocation::Url("https://example.com/cal.ics".into())
    );
}

#[test]
fn links_are_shown_as_scheme_and_host_only() {
    let cases = [
        (
            "https://calendar.google.com/calendar/ical/jane.doe%40gmail.com/private-0123456789abcdef0123456789abcdef/basic.ics",
            "https://calendar.google.com/…",
        ),
        (
            "webcal://p42-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2",
            "webcal://p42-caldav.icloud.com/…",
        ),
        (
            "https://cloud.example.com/remote.php/dav/public-calendars/KawfLgSTTxHdLyPq?export",
            "https://cloud.example.com/…",
        ),
        (
            "https://user:hunter2@example.com:8443/cal.ics#frag",
            "https://example.com:8443/…",
        ),
        ("https://example.com/team/calendar.ics", "https://example.com/…"),
        ("https://example.com/?token=x", "https://example.com/…"),
        ("https://example.com/", "https://example.com"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("/home/me/calendars/work.ics", "/home/me/calendars/work.ics"),
    ];
    for (url, shown) in cases {
        assert_eq!(redact_url(url), shown, "{url}");
    }
    assert_eq!(
        full_url_for_display("https://jane:hunter2@dav.example.com/cal/x.ics?k=v"),
        "https://jane:…@dav.example.com/cal/x.ics?k=v"
    );
}

#[test]
fn scrub_removes_secret_parts_from_library_text() {
    let url = "https://u:pw1234@h.example/private-abcdef0123456789/basic.ics?token=s3cr3t";
    let text = format!("error for {url} (token=s3cr3t, private-abcdef0123456789)");
    let clean = scrub(&text, url);
    for secret in ["pw1234", "s3cr3t", "private-abcdef0123456789"] {
        assert!(!clean.contains(secret), "{clean}");
    }
}

#[test]
fn retry_after_seconds_and_dates() {
    let now = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Fri, 27 Nov 2026 10:05:00 GMT", now),
        Some(Duration::from_secs(300))
    );
    assert_eq!(
        parse_retry_after("Fri, 27 Nov 2026 09:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("99999999", now), Some(MAX_RETRY_AFTER));
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn a_complete_calendar_ends_with_end_vcalendar() {
    assert!(ends_calendar(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\r\n"));
    assert!(ends_calendar(b"BEGIN:VCALENDAR\nend:vcalendar"));
    assert!(!ends_calendar(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMM"));
    assert!(!ends_calendar(b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\n"));
    assert!(!ends_calendar(b""));
    assert!(!ends_calendar(b"  \r\n"));
}

#[test]
fn sniff_tells_calendars_from_pages() {
    assert!(sniff_calendar(b"\xEF\xBB\xBF\r\nBEGIN:VCALENDAR\r\n", None).is_ok());
    assert!(sniff_calendar(b"BEGIN:VCALENDAR", Some("text/html")).is_ok());
    let html = sniff_calendar(b"<!DOCTYPE html><html><body>Sign in</body></html>", None);
    assert!(html.unwrap_err().contains("HTML"));
    assert!(
        sniff_calendar(b"Sign in please", Some("text/html; charset=utf-8"))
            .unwrap_err()
            .contains("HTML")
    );
    assert!(sniff_calendar(b"{\"error\":1}", None)
        .unwrap_err()
        .contains("JSON"));
    assert!(sniff_calendar(b"   ", None).unwrap_err().contains("empty"));
}
