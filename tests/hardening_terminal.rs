//! Issue 10, point 6: text from notes, feeds and file names never reaches
//! the terminal raw. A note and an invitation full of control sequences
//! (clear screen, colours, an OSC 52 clipboard write, a title change, C1
//! controls, bidi overrides and isolates), a note file whose name holds an
//! escape, and every command that prints, through the real binary: stdout,
//! stderr and the daemon's log hold no control character but the line break.

use std::time::Duration;

use chrono::{Duration as ChronoDuration, Local, Utc};

use crate::common::bin::{wait_output, BinHome};
use crate::common::ics::stamp;

/// Clear screen and red, an OSC 52 clipboard write, a window title change,
/// C1 CSI and OSC, a right-to-left override, an isolate and a direction mark.
const HOSTILE: &str = "\u{1b}[2J\u{1b}[31m\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}]0;pwned\u{7}\u{9b}31m\u{9d}0;x\u{9c}\u{202e}gpj.exe\u{2066}x\u{2069}\u{200f}\u{8}";

fn raw_controls(text: &str) -> Vec<String> {
    text.chars()
        .filter(|c| (c.is_control() && *c != '\n') || rapport::util::text::is_bidi_control(*c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

/// An invitation with hostile text everywhere, with Eve.
fn event(uid: &str, title: &str, start: chrono::DateTime<Utc>) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}{HOSTILE}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\n\
         SUMMARY:{title}{HOSTILE}\r\nLOCATION:Room{HOSTILE}\r\nDESCRIPTION:Agenda{HOSTILE}\r\n\
         URL:https://meet.example.org/abc{HOSTILE}\r\n\
         ORGANIZER;CN=Me Myself:mailto:me@example.org\r\n\
         ATTENDEE;CN=Eve{HOSTILE};PARTSTAT=ACCEPTED:mailto:eve@example.org\r\n\
         ATTENDEE;CN=Stranger{HOSTILE};PARTSTAT=ACCEPTED:mailto:stranger@example.org\r\n\
         END:VEVENT\r\n",
        stamp(start),
        stamp(start + ChronoDuration::minutes(30))
    )
}

fn note(name: &str, email: &str) -> String {
    let today = Local::now().date_naive();
    format!(
        "---\nemail: {email}\n---\n# {name}{HOSTILE}\n\nLikes{HOSTILE} sailing.\n\n\
         ## Talk about\n- Boat{HOSTILE}\n  - nested{HOSTILE}\n- Kids #private{HOSTILE}\n\n\
         ## Follow-ups\n- [ ] Send{HOSTILE} the report 📅 {today}\n- [ ] Ask{HOSTILE} about it 🛫 {today}\n\n\
         ## Log\n- 2026-11-02 Lunch{HOSTILE}\n"
    )
}

#[test]
fn no_printing_command_lets_a_control_sequence_through() {
    let home = BinHome::new();
    std::fs::create_dir_all(home.people_dir()).unwrap();
    std::fs::write(
        home.people_dir().join("eve.md"),
        note("Eve Evil", "eve@example.org"),
    )
    .unwrap();
    std::fs::write(
        home.people_dir().join("twin.md"),
        note("Eve Twin", "twin@example.org"),
    )
    .unwrap();
    // A file name with an escape in it, and a broken note (listed as an error).
    std::fs::write(
        home.people_dir().join(format!("odd{HOSTILE}.md")),
        "# Odd One\n",
    )
    .unwrap();
    std::fs::write(
        home.people_dir().join(format!("broken{HOSTILE}.md")),
        "---\nname: [unclosed\n---\n",
    )
    .unwrap();
    // Someone to keep in touch with, never met, with a date today: `due`
    // and `today` print them.
    let today = Local::now().date_naive();
    std::fs::write(
        home.people_dir().join("dan.md"),
        format!(
            "---\nemail: dan@example.org\ncadence: 1w\ndates: [{{date: {today}, what: exam}}]\n---\n\
             # Dan{HOSTILE}\n\n## Follow-ups\n- [ ] Call{HOSTILE} back 📅 {today}\n"
        ),
    )
    .unwrap();
    // An address book card full of controls for `import`.
    std::fs::write(
        home.path("book.vcf"),
        format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Vic{HOSTILE}\r\nEMAIL:vic@example.org\r\n\
             ORG:Org{HOSTILE}\r\nTITLE:Boss{HOSTILE}\r\nEND:VCARD\r\n"
        ),
    )
    .unwrap();
    let book = home.path("book.vcf").display().to_string();
    let now = Utc::now();
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{}{}END:VCALENDAR\r\n",
        event("soon", "Sync", now + ChronoDuration::minutes(30)),
        event("started", "Retro", now - ChronoDuration::minutes(10)),
    );
    std::fs::write(home.path("cal.ics"), ics).unwrap();
    // TOML strings cannot hold raw controls: its escapes make them.
    let escaped: String = HOSTILE
        .chars()
        .map(|c| format!("\\u{:04X}", c as u32))
        .collect();
    home.write_config(&home.config_with(&format!(
        "[[calendar]]\nname = \"work{escaped}\"\npath = {:?}\n",
        home.path("cal.ics").display().to_string()
    )));

    let commands: Vec<Vec<&str>> = vec![
        vec!["people"],
        vec!["person", "show", "eve@example.org"],
        vec!["person", "show", "Ev"],
        vec!["person", "show", "nobody-at-all"],
        vec!["agenda"],
        vec!["agenda", "-vv"],
        vec!["brief"],
        vec!["brief", "Sync"],
        vec!["brief", "Retro"],
        vec!["check"],
        vec!["check", "-v"],
        vec!["join", "--print"],
        vec!["snooze", "Sync"],
        vec!["met", "Retro"],
        vec!["note", "eve@example.org", "Had coffee"],
        vec!["owe", "eve@example.org", "The slides"],
        vec!["ask", "eve@example.org", "About the boat"],
        vec!["done", "eve@example.org", "1"],
        vec!["done", "eve@example.org", "no such task"],
        vec!["person", "add", "Zed", "--email", "eve@example.org"],
        vec!["edit", "Eve"],
        vec!["undo", "eve@example.org", "--list"],
        vec!["undo", "eve@example.org", "--show", "1"],
        vec!["due"],
        vec!["today"],
        vec!["people", "suggest"],
        vec!["people", "adopt", "--top", "1", "--dry-run"],
        vec!["import", &book, "--dry-run"],
        vec!["import", &book],
        vec!["people"],
    ];
    let mut daemon = home.start_daemon(&[]);
    daemon.wait_log("rapport daemon started", Duration::from_secs(20));
    for args in &commands {
        let mut c = home.command(args);
        c.env("EDITOR", "true");
        let out = wait_output(c.spawn().unwrap(), Duration::from_secs(60));
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            let found = raw_controls(&text);
            assert!(
                found.is_empty(),
                "`rapport {}` {stream} has {found:?}:\n{text:?}",
                args.join(" ")
            );
        }
        // The text itself is still there, only its controls went.
        let shows = |args: &[&str], stream: &[u8], what: &str| {
            let text = String::from_utf8_lossy(stream);
            assert!(text.contains(what), "`rapport {}`: {text}", args.join(" "));
        };
        match args[..] {
            ["people"] => shows(args, &out.stdout, "Eve Evil[2J[31m]52;c;ZXZpbA==]0;pwned"),
            ["person", "show", "Ev"] => shows(args, &out.stderr, "Eve Twin[2J"),
            ["met", "Retro"] => shows(args, &out.stdout, "Met at Retro[2J"),
            ["due"] => shows(args, &out.stdout, "Dan[2J"),
            ["today"] => shows(args, &out.stdout, "Call[2J"),
            ["people", "suggest"] => shows(args, &out.stdout, "Stranger[2J"),
            ["import", _, "--dry-run"] => shows(args, &out.stdout, "Vic [2J"),
            _ => {}
        }
    }
    // The daemon took the snooze request and logged it with the title.
    daemon.wait_log("snoozed Sync", Duration::from_secs(20));
    let out = home.run(&["status"]);
    assert!(raw_controls(&String::from_utf8_lossy(&out.stdout)).is_empty());
    daemon.terminate();
    let log = daemon.log_text();
    let found = raw_controls(&log);
    assert!(found.is_empty(), "the daemon's log has {found:?}:\n{log:?}");
}
