//! Reliability, point 6 (injection): text from a stranger's invitation is
//! only ever shown as plain, shortened text, and only http(s) links become
//! "Join".

use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, Timelike, Utc};
use rapport::brief::{self, BriefSettings, Now, Rotation};
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar, ExpandOptions};
use rapport::daemon::notify::{self, Capabilities};

use crate::common::ics::stamp;

/// The next whole hour plus one: inside the default agenda window and the
/// next meeting for `brief`.
fn soon() -> DateTime<Utc> {
    let now = Utc::now();
    now.with_minute(0)
        .unwrap()
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap()
        + Duration::hours(2)
}

/// Markup, `&`, ESC sequences (colour, OSC title, clear screen), other C0/C1
/// controls, bidi overrides and shell metacharacters.
const HOSTILE: &str = "<b>Bold</b> & <a href='https://evil.example'>x</a> \x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \x1b[2J \x08\x7f\u{9b}31m \u{202E}txet desrever\u{202C} \u{2066}iso\u{2069} $(touch PWNED1) `touch PWNED2` ; touch PWNED3 | cat && echo";

fn hostile_ics(start: DateTime<Utc>) -> String {
    let long = "A".repeat(10_000);
    let end = start + Duration::minutes(30);
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n");
    s += &format!(
        "BEGIN:VEVENT\r\nUID:hostile-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{}\r\nLOCATION:{}\r\nDESCRIPTION:{}\\n{}\r\nORGANIZER;CN=\"{}\":mailto:org@example.org\r\nATTENDEE;CN=\"{}\":mailto:me@example.org\r\nATTENDEE;CN=\"{}\":mailto:a@example.org\r\nEND:VEVENT\r\n",
        stamp(start),
        stamp(end),
        ics_text(HOSTILE),
        ics_text(&format!("Room {HOSTILE}")),
        ics_text(HOSTILE),
        long,
        HOSTILE.replace('"', "'"),
        HOSTILE.replace('"', "'"),
        HOSTILE.replace('"', "'"),
    );
    s += &format!(
        "BEGIN:VEVENT\r\nUID:hostile-2\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{long}\r\nLOCATION:{long}\r\nEND:VEVENT\r\n",
        stamp(start + Duration::hours(1)),
        stamp(end + Duration::hours(1)),
    );
    s += "END:VCALENDAR\r\n";
    s
}

/// RFC 5545 TEXT escaping (the hostile bytes stay as they are).
fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
}

/// No C0 control but newline, no DEL, no C1 control (U+0080..U+009F:
/// 0x9B is CSI on some terminals): no escape sequence can reach a terminal.
fn assert_no_controls(what: &str, text: &str) {
    assert_none(what, text, |c| c.is_control() && c != '\n');
}

/// No bidi override, embedding or isolate (text that reads backwards).
fn assert_no_bidi(what: &str, text: &str) {
    assert_none(
        what,
        text,
        |c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'),
    );
}

fn assert_shortened(what: &str, text: &str) {
    assert!(
        !text.contains(&"A".repeat(1000)),
        "{what}: a 10,000-character title is shown whole"
    );
}

fn assert_terminal_safe(what: &str, text: &str) {
    assert_no_controls(what, text);
    assert_no_bidi(what, text);
    assert_shortened(what, text);
}

fn assert_none(what: &str, text: &str, bad: impl Fn(char) -> bool) {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| bad(c)) {
        let context: String = text[i..].chars().take(40).collect();
        panic!(
            "{what}: character U+{:04X} at byte {i}: {context:?}",
            c as u32
        );
    }
}

fn run_cli(dir: &Path, args: &[&str]) -> std::process::Output {
    crate::common::bin::run_in(dir, args, &[("TZ", "UTC")])
}

fn no_shell_ran(dir: &Path) {
    for f in ["PWNED1", "PWNED2", "PWNED3"] {
        assert!(
            !dir.join(f).exists(),
            "{f} was created: text reached a shell"
        );
    }
}

#[test]
fn agenda_terminal_output_is_plain_shortened_text() {
    let dir = tempfile::tempdir().unwrap();
    let ics = dir.path().join("hostile.ics");
    fs::write(&ics, hostile_ics(soon())).unwrap();
    let out = run_cli(dir.path(), &["agenda", "--ics", ics.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Bold"), "the event is listed: {stdout}");
    assert_terminal_safe("agenda stdout", &stdout);
    assert_terminal_safe("agenda stderr", &String::from_utf8_lossy(&out.stderr));
    no_shell_ran(dir.path());
}

fn brief_outputs() -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let ics = dir.path().join("hostile.ics");
    fs::write(&ics, hostile_ics(soon())).unwrap();
    let mut outs = Vec::new();
    for query in ["next", "AAAA"] {
        let out = run_cli(
            dir.path(),
            &["brief", query, "--ics", ics.to_str().unwrap()],
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        assert!(!stdout.trim().is_empty());
        outs.push((format!("brief {query} stdout"), stdout));
        outs.push((format!("brief {query} stderr"), stderr));
    }
    no_shell_ran(dir.path());
    outs
}

#[test]
fn brief_terminal_output_has_no_escape_sequences() {
    for (what, text) in brief_outputs() {
        assert_no_controls(&what, &text);
    }
}

#[test]
fn brief_terminal_output_is_shortened() {
    for (what, text) in brief_outputs() {
        assert_shortened(&what, &text);
    }
}

#[test]
fn brief_terminal_output_has_no_bidi_overrides() {
    for (what, text) in brief_outputs() {
        assert_no_bidi(&what, &text);
    }
}

#[test]
fn notification_summary_and_body_are_plain_shortened_text() {
    let start = soon();
    let cal = parse_calendar("hostile", hostile_ics(start).as_bytes());
    let opts = ExpandOptions {
        floating: Zone::utc(),
        me_emails: vec!["me@example.org".into()],
    };
    let occs = cal.occurrences(
        start - Duration::hours(1),
        start + Duration::hours(3),
        &opts,
    );
    assert_eq!(occs.len(), 2, "{:?}", cal.warnings);
    let now = Now::new(start - Duration::minutes(10), Zone::utc());
    for occ in &occs {
        let (b, _) = brief::compose(
            occ,
            &[],
            &BriefSettings::default(),
            &Rotation::default(),
            &now,
        );
        let text = brief::notification(&b, &BriefSettings::default(), &now);
        let n = notify::Notification {
            summary: text.summary,
            body: text.body,
            replaces_id: 0,
            actions: vec![notify::Action::new("default", "Open brief")],
            urgency: Default::default(),
            expiry: Default::default(),
        };
        for markup in [false, true] {
            let caps = Capabilities {
                actions: true,
                body: true,
                body_markup: markup,
                raw: Vec::new(),
            };
            let r = notify::render(&n, &caps);
            assert!(!r.summary.contains('\n'), "summary is one line");
            assert_terminal_safe("summary", &r.summary);
            assert_terminal_safe("body", &r.body);
            assert!(r.summary.chars().count() <= notify::MAX_SUMMARY_CHARS);
            assert!(r.body.chars().count() <= notify::MAX_BODY_CHARS + 50);
            if markup {
                // Every `<`/`&` from the event is escaped: no tag survives.
                assert!(
                    !r.body.contains("<b>") && !r.body.contains("<a "),
                    "{}",
                    r.body
                );
                assert!(!r.body.contains("& "), "{}", r.body);
            }
            for label in r.actions.iter().skip(1).step_by(2) {
                assert_terminal_safe("action label", label);
            }
        }
    }
}

fn conference_of(props: &str) -> Option<String> {
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261201T090000Z\r\nDTEND:20261201T100000Z\r\nSUMMARY:Call\r\n{props}END:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    let cal = parse_calendar("c", ics.as_bytes());
    let from = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let occs = cal.occurrences(
        from,
        from + Duration::days(1),
        &ExpandOptions {
            floating: Zone::utc(),
            me_emails: Vec::new(),
        },
    );
    assert_eq!(occs.len(), 1);
    occs[0].conference_url.clone()
}

#[test]
fn only_http_and_https_links_become_the_conference_url() {
    let hostile = [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)//https://meet.google.com/abc-defg-hij",
        "file:///etc/passwd",
        "file://localhost/home/ada/.ssh/id_rsa",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "ftp://zoom.us/j/123",
        "smb://evil.example/share",
        "ms-msdt:/id PCWDiagnostic",
    ];
    for link in hostile {
        for prop in [
            "URL",
            "LOCATION",
            "DESCRIPTION",
            "X-GOOGLE-CONFERENCE",
            "X-MICROSOFT-SKYPETEAMSMEETINGURL",
        ] {
            let got = conference_of(&format!("{prop}:{}\r\n", ics_text(link)));
            assert!(
                got.as_deref()
                    .is_none_or(|u| u.starts_with("https://") || u.starts_with("http://")),
                "{prop}:{link} became {got:?}"
            );
            // A smuggled https inside a javascript: link must not be the
            // javascript: URL itself.
            if let Some(u) = &got {
                assert!(!u.to_ascii_lowercase().contains("javascript"), "{u}");
            }
        }
    }
    // The check can fail: a real link is found in each place.
    for prop in ["URL", "LOCATION", "DESCRIPTION", "X-GOOGLE-CONFERENCE"] {
        let got = conference_of(&format!("{prop}:https://meet.google.com/abc-defg-hij\r\n"));
        assert_eq!(
            got.as_deref(),
            Some("https://meet.google.com/abc-defg-hij"),
            "{prop}"
        );
    }
}

/// A feed whose broken events carry hostile UIDs and names, so that they are
/// quoted in warnings.
fn hostile_warnings_ics() -> String {
    let uid = HOSTILE.replace([';', ','], " ");
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nX-WR-CALNAME:{cal}\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:not-a-date{esc}\r\nSUMMARY:{title}\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:{uid}-2\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID={esc}[2J/Nowhere:20261201T090000\r\nSUMMARY:{title}\r\nRRULE:FREQ={esc}]0;x\u{7}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        cal = ics_text(HOSTILE),
        esc = '\u{1b}',
        title = ics_text(HOSTILE),
    )
}

#[test]
fn feed_warnings_in_check_are_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let ics = dir.path().join("hostile.ics");
    fs::write(&ics, hostile_warnings_ics()).unwrap();
    let config = dir.path().join("config.toml");
    fs::write(
        &config,
        format!(
            "[[calendar]]\nname = \"Work\"\npath = {:?}\n",
            ics.display().to_string()
        ),
    )
    .unwrap();
    // (`agenda` sends feed warnings to tracing only, which it does not show.)
    {
        let args = ["--config", config.to_str().unwrap(), "check"];
        let out = run_cli(dir.path(), &args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("warning") || text.contains("line"),
            "{args:?}: warnings shown: {text}"
        );
        assert_no_controls(&format!("{args:?}"), &text);
        assert_no_bidi(&format!("{args:?}"), &text);
    }
    no_shell_ran(dir.path());
}

#[test]
fn status_output_is_plain_shortened_text() {
    use rapport::daemon::schedule::Kind;
    use rapport::daemon::state::{Due, State};
    let root = tempfile::tempdir().unwrap();
    let paths = rapport::config::Paths::under(root.path());
    let now = Utc::now();
    let mut state = State {
        last_run: Some(now),
        ..State::default()
    };
    for (i, summary) in [HOSTILE.to_string(), "A".repeat(10_000)]
        .into_iter()
        .enumerate()
    {
        state.upcoming.push(Due {
            due: now + Duration::minutes(10 + i as i64),
            kind: Kind::Prep,
            calendar: "work".into(),
            summary,
            start: now + Duration::minutes(20 + i as i64),
        });
    }
    state.record_feed_error("work", now, "HTTP 503");
    state.save(&paths.state_dir).unwrap();
    let mut out = Vec::new();
    rapport::cli::status::run(&paths, now, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Bold"), "the meeting is listed: {text}");
    assert_terminal_safe("status", &text);
}
