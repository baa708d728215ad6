//! `rapport agenda` shows attendees as the people in your notes.

use std::fs;

use serde_json::Value;

use crate::common;

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport tests//EN\r\n\
BEGIN:VEVENT\r\nUID:sync-1@example.com\r\nDTSTAMP:20261101T000000Z\r\n\
DTSTART;TZID=Europe/Amsterdam:20261201T100000\r\nDTEND;TZID=Europe/Amsterdam:20261201T103000\r\n\
SUMMARY:Marketing sync\r\n\
ORGANIZER;CN=Frank:mailto:frank@example.com\r\n\
ATTENDEE;CN=Frank;PARTSTAT=ACCEPTED:mailto:frank@example.com\r\n\
ATTENDEE;CN=\"Bakker, Yvonne\";PARTSTAT=ACCEPTED:mailto:Y.Bakker+cal@GMAIL.com\r\n\
ATTENDEE;CN=Someone New:mailto:new@example.com\r\n\
ATTENDEE;CUTYPE=ROOM;CN=Room 4.2:mailto:room42@example.com\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";

fn setup() -> (tempfile::TempDir, String, String) {
    let root = tempfile::tempdir().unwrap();
    let people = root.path().join("people");
    fs::create_dir_all(&people).unwrap();
    fs::copy(
        common::data_dir().join("people/yvonne-bakker.md"),
        people.join("yvonne-bakker.md"),
    )
    .unwrap();
    let ics = root.path().join("cal.ics");
    fs::write(&ics, FEED).unwrap();
    let config = root.path().join("config.toml");
    fs::write(
        &config,
        format!(
            "[me]\nname = \"Frank\"\nemails = [\"frank@example.com\"]\n\n[people]\ndir = \"{}\"\n\n[[calendar]]\nname = \"Work\"\npath = \"{}\"\n",
            people.display(),
            ics.display()
        ),
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    let ics = ics.to_string_lossy().into_owned();
    (root, config, ics)
}

#[test]
fn agenda_json_names_the_matched_note_per_attendee() {
    let (root, config, _) = setup();
    let out = common::rapport(
        root.path(),
        &[
            "--config",
            &config,
            "agenda",
            "--from",
            "2026-11-30",
            "--to",
            "2026-12-02",
            "--json",
        ],
    );
    assert!(out.success(), "{:?}", out.error);
    let items: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(items.len(), 1);
    let by_email = |email: &str| {
        items[0]["attendees"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"] == email)
            .cloned()
            .unwrap_or_else(|| panic!("no attendee {email}"))
    };
    assert_eq!(
        by_email("y.bakker+cal@gmail.com")["person"],
        "yvonne-bakker.md"
    );
    assert_eq!(by_email("new@example.com")["person"], Value::Null);
    assert_eq!(by_email("frank@example.com")["person"], Value::Null);
    assert_eq!(items[0]["my_status"], "accepted");
}

#[test]
fn agenda_text_shows_matched_people_by_their_note_name() {
    let (root, config, ics) = setup();
    // --ics replaces the calendars but the people folder and [me] still come from the config.
    let out = common::rapport(
        root.path(),
        &[
            "--config",
            &config,
            "agenda",
            "--ics",
            &ics,
            "--from",
            "2026-11-30",
            "--to",
            "2026-12-02",
        ],
    );
    assert!(out.success(), "{:?}", out.error);
    assert!(out.stdout.contains("Marketing sync"), "{}", out.stdout);
    assert!(out.stdout.contains("Yvonne Bakker"), "{}", out.stdout);
    assert!(!out.stdout.contains("Bakker, Yvonne"), "{}", out.stdout);
    assert!(out.stdout.contains("Someone New"), "{}", out.stdout);
}
