//! Secrets and injection (issue 6 point 6): calendar links never show their tokens, and text
//! from a stranger's invitation reaches the desktop only as plain, shortened text.

use chrono::NaiveDate;
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar, ExpandOptions};
use rapport::daemon::notify::{render, Capabilities, Notification};
use rapport::feed::redact_url;

/// Secret calendar links in the shapes the big providers hand out, with the secret part of each.
const SECRET_LINKS: &[(&str, &[&str])] = &[
    (
        "https://calendar.google.com/calendar/ical/jane.doe%40gmail.com/private-0123456789abcdef0123456789abcdef/basic.ics",
        &["private-0123456789abcdef", "jane.doe"],
    ),
    (
        "https://outlook.office365.com/owa/calendar/4f1c2d3e5a6b7c8d9e0f@contoso.com/a1b2c3d4e5f60718293a4b5c6d7e8f90123456789/calendar.ics",
        &["4f1c2d3e5a6b7c8d9e0f", "a1b2c3d4e5f60718293a4b5c6d7e8f9"],
    ),
    (
        "webcal://p42-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Nqk3Vb9sYz0LQx7pQxXq2bM",
        &["MTIzNDU2Nzg5MDEyMzQ1Nqk3Vb9sYz0LQx7pQxXq2bM"],
    ),
    (
        "https://cloud.example.org/remote.php/dav/public-calendars/kP3xT9wQzR7mN2vL?export",
        &["kP3xT9wQzR7mN2vL"],
    ),
    (
        "https://calendar.example.com/feed.ics?token=s3cr3t-t0k3n&user=jane",
        &["s3cr3t-t0k3n", "jane"],
    ),
    (
        "https://jane:hunter2@dav.example.com/cal/personal.ics",
        &["hunter2", "jane:"],
    ),
    ("https://example.com/cal.ics#key=abcdef123456", &["abcdef123456"]),
];

#[test]
fn secret_links_of_every_provider_shape_are_redacted() {
    for (url, secrets) in SECRET_LINKS {
        let shown = redact_url(url);
        for secret in *secrets {
            assert!(!shown.contains(secret), "{shown} still shows {secret}");
        }
        // The host stays, so the user can tell which feed it is.
        let host = url
            .split("://")
            .nth(1)
            .unwrap()
            .split(['/', '?', '#'])
            .next()
            .unwrap();
        let host = host.rsplit('@').next().unwrap();
        assert!(shown.contains(host), "{shown} lost the host {host}");
    }
}

fn hostile_calendar() -> Vec<u8> {
    let long = "A".repeat(10_000);
    format!(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:hostile\r\nDTSTART:20250110T090000Z\r\n\
         DTEND:20250110T100000Z\r\n\
         SUMMARY:<b>Board</b> & <a href=\"http://evil.example\">click</a>\\n$(rm -rf ~)`id`\u{202e}gpj.exe\u{7}{long}\r\n\
         LOCATION:file:///etc/passwd\r\n\
         DESCRIPTION:Join: javascript:alert(1) or smb://evil.example/share or \
         https://meet.google.com/abc-defg-hij\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

#[test]
fn invitation_text_reaches_the_notification_as_plain_shortened_text() {
    let cal = parse_calendar("work", &hostile_calendar());
    let opts = ExpandOptions {
        floating: Zone::utc(),
        me_emails: Vec::new(),
    };
    let day = |d: u32| {
        NaiveDate::from_ymd_opt(2025, 1, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    };
    let occ = cal.occurrences(day(10), day(11), &opts);
    assert_eq!(occ.len(), 1);
    let o = &occ[0];
    // Only an http(s) link becomes the meeting link ("Join"); never file:, javascript:, smb:.
    assert_eq!(
        o.conference_url.as_deref(),
        Some("https://meet.google.com/abc-defg-hij")
    );
    let markup =
        Capabilities::from_list(vec!["body".into(), "body-markup".into(), "actions".into()]);
    let plain = Capabilities::from_list(vec!["body".into()]);
    let n = Notification {
        summary: o.summary.clone(),
        body: format!("{}\n{}", o.summary, o.location.clone().unwrap_or_default()),
        ..Notification::default()
    };
    for caps in [&markup, &plain] {
        let r = render(&n, caps);
        for text in [&r.summary, &r.body] {
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "control character in {text:?}"
            );
            assert!(!text.contains('\u{202e}'), "bidi override in {text:?}");
            assert!(
                text.chars().count() < 2_000,
                "not shortened: {} chars",
                text.chars().count()
            );
        }
        assert!(
            !r.summary.contains('\n'),
            "summary is one line: {:?}",
            r.summary
        );
        assert!(r.summary.ends_with('…'), "{:?}", r.summary);
        if caps.body_markup {
            // The body is markup to this server: every < > & from the invitation is escaped.
            assert!(
                !r.body.contains("<b>") && !r.body.contains("<a "),
                "{:?}",
                r.body
            );
            assert!(
                r.body.contains("&lt;b&gt;") && r.body.contains("&amp;"),
                "{:?}",
                r.body
            );
        } else {
            assert!(
                r.body.contains("<b>Board</b> & "),
                "plain text stays as written"
            );
        }
        // Nothing the invitation wrote becomes an action.
        assert!(r.actions.is_empty());
    }
}
