//! `rapport agenda` shows attendees as the people in your notes.

use serde_json::Value;

use crate::common::home::calendar_entry;
use crate::common::{json_array, Home};

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

/// Yvonne's note, the calendar (a file) and a config; I am Frank.
fn setup() -> (Home, String) {
    let home = Home::new();
    home.note_from_data("yvonne-bakker.md");
    let ics = home.file("cal.ics", FEED).display().to_string();
    home.write_config(&home.config_text(
        "Frank",
        "frank@example.com",
        &calendar_entry("Work", &ics),
    ));
    (home, ics)
}

#[test]
fn agenda_json_names_the_matched_note_per_attendee() {
    let (home, _) = setup();
    let out = home.rapport(&[
        "agenda",
        "--from",
        "2026-11-30",
        "--to",
        "2026-12-02",
        "--json",
    ]);
    let items = json_array(&out);
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
    let (home, ics) = setup();
    // --ics replaces the calendars but the people folder and [me] still come from the config.
    let out = home.rapport(&[
        "agenda",
        "--ics",
        &ics,
        "--from",
        "2026-11-30",
        "--to",
        "2026-12-02",
    ]);
    assert!(out.success(), "{:?}", out.error);
    assert!(out.stdout.contains("Marketing sync"), "{}", out.stdout);
    assert!(out.stdout.contains("Yvonne Bakker"), "{}", out.stdout);
    assert!(!out.stdout.contains("Bakker, Yvonne"), "{}", out.stdout);
    assert!(out.stdout.contains("Someone New"), "{}", out.stdout);
}
