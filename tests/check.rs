//! `rapport check`: a real config file, a local file feed, feeds from a real
//! HTTP server on 127.0.0.1, a people folder with a broken note and a shared
//! address, and the notification server (real dunst under scripts/test.sh,
//! and no server at all).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::ExitCode;

use chrono::{Duration, Utc};
use rapport::cli::check::{self, Bus, CheckOptions, Level};
use rapport::config::Paths;

use crate::common::http::{Reply, TestServer};
use crate::common::ics::vcalendar;
use crate::common::{self, rapport};

/// Two meetings in the next week (one cancelled), one in three weeks, and a
/// VEVENT without DTSTART at line 26 that the engine drops with a warning.
fn calendar() -> String {
    let now = Utc::now();
    let event = |uid: &str, start: chrono::DateTime<Utc>, extra: &str| {
        let title = format!("Meeting {uid}");
        crate::common::ics::event(uid, &title, start, start + Duration::hours(1), extra)
    };
    vcalendar(&format!(
        "{}{}{}BEGIN:VEVENT\r\nUID:no-start\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n",
        event("soon", now + Duration::days(1), ""),
        event("gone", now + Duration::days(2), "STATUS:CANCELLED\r\n"),
        event("later", now + Duration::days(21), ""),
    ))
}

const TOM: &str =
    "---\nname: Tom de Vries\nemail: tom@marketing.example\n---\n- Kids love the zoo\n";
const PIETER: &str = "---\nname: Pieter Jansen\nemail: pieter@acme.example\n---\n";
const PIETER_AGAIN: &str =
    "---\nname: Piet Jansen\nemails: [PIETER@acme.example, piet@home.example]\n---\n";
const BROKEN: &str = "---\nname: Half Done\nemail: half@acme.example\n";

struct Setup {
    root: tempfile::TempDir,
}

impl Setup {
    fn new(config: &str, mode: u32) -> Setup {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        std::fs::create_dir_all(paths.config_file.parent().unwrap()).unwrap();
        std::fs::write(&paths.config_file, config).unwrap();
        std::fs::set_permissions(&paths.config_file, std::fs::Permissions::from_mode(mode))
            .unwrap();
        Setup { root }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn line_with<'a>(out: &'a str, level: &str, needle: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(level) && l.contains(needle))
        .unwrap_or_else(|| panic!("no `{level}` line with `{needle}` in:\n{out}"))
}

#[test]
fn check_reports_every_calendar_and_the_people_folder() {
    let server = TestServer::start();
    server.route("/private/cal.ics", vec![Reply::calendar(calendar())]);
    server.route("/gone.ics", vec![Reply::status(404)]);
    let config = format!(
        "[me]\nemails = [\"frank@acme.example\"]\n\n\
         [[calendar]]\nname = \"Local\"\npath = \"../cal/local.ics\"\n\n\
         [[calendar]]\nname = \"Work\"\nurl = \"{}\"\n\n\
         [[calendar]]\nname = \"Old\"\nurl = \"{}\"\n\n\
         [people]\ndir = \"../people\"\n",
        server.url("/private/cal.ics?token=s3cr3t-t0ken"),
        server.url("/gone.ics"),
    );
    // 0644 and a tokened link: the config warns that others can read it.
    let s = Setup::new(&config, 0o644);
    s.write("cal/local.ics", &calendar());
    s.write("people/tom.md", TOM);
    s.write("people/pieter.md", PIETER);
    s.write("people/piet.md", PIETER_AGAIN);
    s.write("people/half.md", BROKEN);

    let got = rapport(s.path(), &["check"]);
    assert!(got.error.is_none(), "{:?}", got.error);
    let out = &got.stdout;
    assert_eq!(got.code, ExitCode::from(1), "{out}");
    assert!(!out.contains("s3cr3t"), "the link's token leaked:\n{out}");

    line_with(out, "ok", "read: 3 calendars");
    line_with(out, "warning", "other users can read it");

    // The file feed and the HTTP feed: counted, warned about with line and UID.
    for name in ["\"Local\"", "\"Work\""] {
        let section: String = out
            .split(&format!("Calendar {name}"))
            .nth(1)
            .unwrap_or_else(|| panic!("no section for {name}:\n{out}"))
            .lines()
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .collect::<Vec<_>>()
            .join("\n");
        line_with(
            &section,
            "ok",
            "3 events, 1 occurrence in the next 7 days (and 1 cancelled)",
        );
        line_with(&section, "warning", "UID no-start: VEVENT without DTSTART");
        line_with(&section, "warning", "line 26,");
    }
    assert!(
        out.contains("Calendar \"Work\"  http://127.0.0.1:"),
        "{out}"
    );
    // The third feed answers 404: an error naming the feed and the status.
    let old = line_with(out, "error", "404");
    assert!(old.contains("Old"), "{old}");

    line_with(out, "ok", "3 people read");
    let broken = line_with(out, "error", "half.md:1:");
    assert!(broken.contains("closing `---`"), "{broken}");
    let dup = line_with(out, "error", "pieter@acme.example is in 2 notes");
    assert!(
        dup.contains("Pieter Jansen") && dup.contains("Piet Jansen"),
        "{dup}"
    );
    assert!(!out.contains("tom@marketing.example is in"), "{out}");
    assert!(out.contains("\nNotifications\n"), "{out}");
    assert!(out.trim_end().ends_with("warnings."), "{out}");
}

#[test]
fn check_names_file_line_and_key_of_a_bad_config_and_skips_the_rest() {
    let s = Setup::new("[notify]\nlead = [\"10m\"]\ndebrief = \"soon\"\n", 0o600);
    let got = rapport(s.path(), &["check"]);
    assert_eq!(got.code, ExitCode::from(1), "{}", got.stdout);
    let config_file = Paths::under(s.path()).config_file;
    let err = line_with(&got.stdout, "error", "`notify.debrief`");
    assert!(
        err.contains(&format!("{}:3:", config_file.display())),
        "{err}"
    );
    line_with(&got.stdout, "warning", "not checked");
}

#[test]
fn check_without_a_config_says_how_to_make_one() {
    let root = tempfile::tempdir().unwrap();
    let got = rapport(root.path(), &["check"]);
    assert_eq!(got.code, ExitCode::from(1));
    line_with(&got.stdout, "error", "rapport init");
}

#[test]
fn check_warns_about_an_empty_calendar_a_missing_people_folder_and_no_me() {
    let s = Setup::new(
        "[[calendar]]\nname = \"Empty\"\npath = \"empty.ics\"\n[people]\ndir = \"nobody\"\n",
        0o600,
    );
    s.write(
        "config/empty.ics",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
    );
    let report = check::gather(
        &Paths::under(s.path()),
        &CheckOptions {
            bus: Bus::Address("unix:path=/nonexistent/rapport-check-bus".into()),
            ..CheckOptions::new(Utc::now())
        },
    );
    let text = report.render();
    line_with(&text, "warning", "`me.emails` is empty");
    line_with(&text, "ok", "0 events, 0 occurrences");
    line_with(&text, "warning", "the calendar has no events");
    line_with(&text, "warning", "the folder does not exist yet");
    // Warnings alone do not fail; the missing bus does.
    assert_eq!(report.count(Level::Error), 1, "{text}");
    line_with(&text, "error", "D-Bus session bus");
}

#[test]
fn check_reports_a_missing_session_bus() {
    let probe = check::probe_notifications(&Bus::Address(
        "unix:path=/nonexistent/rapport-check-bus".into(),
    ));
    let section = check::notification_section(&probe);
    assert_eq!(section.findings.len(), 1);
    assert_eq!(section.findings[0].level, Level::Error);
    assert!(
        section.findings[0]
            .text
            .contains("DBUS_SESSION_BUS_ADDRESS"),
        "{:?}",
        section.findings
    );
}

#[test]
fn check_reports_a_bus_without_notification_server() {
    let Some(_) = common::notify_stack("check_reports_a_bus_without_notification_server") else {
        return;
    };
    let bus = common::EmptyBus::start();
    let section = check::notification_section(&check::probe_notifications(&Bus::Address(
        bus.address.clone(),
    )));
    assert_eq!(section.findings[0].level, Level::Error);
    assert!(
        section.findings[0]
            .text
            .contains("no notification server is running"),
        "{:?}",
        section.findings
    );
}

#[test]
fn check_names_dunst_and_its_capabilities() {
    let Some(address) = common::notify_stack("check_names_dunst_and_its_capabilities") else {
        return;
    };
    let (info, caps) =
        check::probe_notifications(&Bus::Address(address.clone())).expect("dunst answers");
    assert_eq!(info.name, "dunst");
    assert!(caps.actions && caps.body_markup, "{caps:?}");
    let section = check::notification_section(&Ok((info, caps)));
    let text: Vec<String> = section.findings.iter().map(|f| f.text.clone()).collect();
    assert!(
        section.findings.iter().all(|f| f.level == Level::Ok),
        "{text:?}"
    );
    assert!(text[0].starts_with("server: dunst "), "{text:?}");
    assert!(
        text[1].contains("actions") && text[1].contains("body-markup"),
        "{text:?}"
    );

    // With a working setup the whole check passes (the CLI reads the same
    // session bus the daemon would).
    let s = Setup::new(
        "[me]\nemails = [\"frank@acme.example\"]\n\
         [[calendar]]\nname = \"Local\"\npath = \"local.ics\"\n[people]\ndir = \"people\"\n",
        0o600,
    );
    s.write(
        "config/local.ics",
        &calendar().replace(
            "BEGIN:VEVENT\r\nUID:no-start\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n",
            "",
        ),
    );
    s.write("config/people/tom.md", TOM);
    let got = rapport(s.path(), &["check"]);
    assert_eq!(got.code, ExitCode::SUCCESS, "{}", got.stdout);
    assert!(got.stdout.ends_with("All good.\n"), "{}", got.stdout);
}
