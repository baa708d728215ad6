//! `rapport brief`: the full brief of the next meeting from a real config, a
//! local .ics and a people folder, all in a temporary folder.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::Value;

use crate::common::home::calendar_entry;
use crate::common::ics::vcalendar;
use crate::common::Home;

/// A calendar relative to now: a solo focus block in 1 h (skipped by "next"),
/// the marketing sync in 2 h, a budget review tomorrow, a cancelled meeting
/// in 30 min.
fn calendar(now: DateTime<Utc>) -> String {
    let base = now.duration_trunc(Duration::minutes(1)).unwrap();
    let event = |uid: &str, summary: &str, start: DateTime<Utc>, extra: &str| {
        crate::common::ics::event(uid, summary, start, start + Duration::minutes(30), extra)
    };
    let me = "ATTENDEE;CN=Frank Visser;PARTSTAT=ACCEPTED:mailto:frank@acme.example\r\n";
    let mut ics = event(
        "cancelled@test",
        "Cancelled sync",
        base + Duration::minutes(30),
        &format!("STATUS:CANCELLED\r\n{me}ATTENDEE;CN=Tom de Vries:mailto:tom@acme.example\r\n"),
    );
    ics += &event("focus@test", "Focus time", base + Duration::hours(1), me);
    ics += &event(
        "sync@test",
        "Marketing sync",
        base + Duration::hours(2),
        &format!(
            "LOCATION:Room 4.2\r\nORGANIZER;CN=\"Bakker, Yvonne\":mailto:YVONNE.BAKKER@acme.example\r\n\
             {me}ATTENDEE;CN=\"Bakker, Yvonne\":mailto:yvonne.bakker@acme.example\r\n\
             ATTENDEE;CN=Alex Smith:mailto:alex@partner.example\r\n\
             ATTENDEE;CUTYPE=ROOM;CN=Room 4.2:mailto:room42@acme.example\r\n"
        ),
    );
    ics += &event(
        "budget@test",
        "Budget review",
        base + Duration::days(1),
        &format!("{me}ATTENDEE;CN=Tom de Vries:mailto:tom@acme.example\r\n"),
    );
    vcalendar(&ics)
}

const YVONNE: &str = "---
name: Yvonne Bakker
emails: [yvonne.bakker@acme.example]
org: Acme, Marketing
role: Head of Marketing
prefers: phone
---
Plays competitive tennis.

## Interests
- Tennis, club LTC Amstelpark
- Lost her father in 2025 #private

## Follow-ups
- [ ] Send her the response numbers of the October mailing 📅 2020-01-06
- [ ] Ask about the spring campaign 🛫 2099-01-01

## Log
- 2020-01-02 Kick-off: wants better segmentation.
";

const TOM: &str = "---
name: Tom de Vries
emails: [tom@acme.example]
---
## Family
- Took his kids to Artis
";

/// The calendar (a file), Yvonne's and Tom's notes, and a config; I am Frank.
fn setup() -> Home {
    let home = Home::new();
    let ics = home.file("work.ics", calendar(Utc::now()));
    home.note("yvonne-bakker.md", YVONNE);
    home.note("tom-de-vries.md", TOM);
    let rest = format!(
        "pitch = \"I keep the mailing platform running.\"\n\n{}",
        calendar_entry("Work", &ics.display().to_string())
    );
    home.write_config(&home.config_text("Frank Visser", "frank@acme.example", &rest));
    home
}

#[test]
fn brief_of_the_next_meeting_with_people() {
    let home = setup();
    let run = home.rapport(&["brief"]);
    assert!(run.success(), "{:?}\n{}", run.error, run.stdout);
    let md = &run.stdout;
    // Not the cancelled meeting, not the solo focus block.
    assert!(md.starts_with("# Marketing sync\n"), "{md}");
    assert!(
        md.contains("(in 2 h)") || md.contains("(in 1 h 59 min)"),
        "{md}"
    );
    assert!(md.contains("· Room 4.2"));
    // Organizer and attendee with different case are one person, in
    // "Last, First" form; me and the room are left out.
    assert_eq!(md.matches("## Yvonne Bakker").count(), 1, "{md}");
    assert!(!md.contains("Frank Visser <"));
    assert!(!md.contains("room42"));
    assert!(md.contains("Head of Marketing · Acme, Marketing · prefers phone"));
    assert!(md.contains("- You owe: Send her the response numbers of the October mailing (**"));
    assert!(md.contains("days overdue**)"));
    // The question for 2099 is not due yet.
    assert!(!md.contains("spring campaign"));
    assert!(md.contains("- Tennis, club LTC Amstelpark (Interests)"));
    assert!(md.contains("**Only if they raise it**\n\n- Lost her father in 2025 (Interests)"));
    assert!(md.contains("**Last time** (Thu 2 Jan 2020): Kick-off: wants better segmentation."));
    assert!(md.contains("## New to you"));
    assert!(md.contains("`rapport person add \"Alex Smith\" --email alex@partner.example`"));
    assert!(md.contains("## Your pitch\n\n> I keep the mailing platform running."));
    // Looking never changes the daemon's state.
    assert!(!home.paths.state_dir.exists());

    // "next" is the default spelled out.
    let next = home.rapport(&["brief", "next"]);
    assert_eq!(next.stdout, run.stdout);
}

#[test]
fn brief_of_a_meeting_found_by_title_or_attendee() {
    let home = setup();
    let by_title = home.rapport(&["brief", "budget", "REVIEW"]);
    assert!(by_title.success(), "{:?}", by_title.error);
    assert!(by_title.stdout.starts_with("# Budget review\n"));
    assert!(by_title.stdout.contains("## Tom de Vries"));
    assert!(by_title
        .stdout
        .contains("- Took his kids to Artis (Family)"));
    // No one new and no pitch: no such sections.
    assert!(!by_title.stdout.contains("## Your pitch"));

    // By an attendee's address: the first meeting that has them.
    let by_email = home.rapport(&["brief", "alex@partner"]);
    assert!(by_email.stdout.starts_with("# Marketing sync\n"));

    let none = home.rapport(&["brief", "no such meeting"]);
    assert_eq!(none.code, std::process::ExitCode::from(1));
    assert!(none.stdout.contains("mentions \"no such meeting\""));
}

#[test]
fn brief_json() {
    let home = setup();
    let run = home.rapport(&["brief", "--json"]);
    assert!(run.success(), "{:?}", run.error);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["meeting"]["title"], "Marketing sync");
    assert_eq!(v["meeting"]["uid"], "sync@test");
    assert_eq!(v["meeting"]["location"], "Room 4.2");
    let people = v["people"].as_array().unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0]["path"], "yvonne-bakker.md");
    assert_eq!(people[0]["follow_ups"][0]["kind"], "owe");
    assert_eq!(people[0]["follow_ups"][0]["overdue"], true);
    assert_eq!(
        people[0]["private_points"][0]["text"],
        "Lost her father in 2025"
    );
    assert_eq!(v["unknown"][0]["email"], "alex@partner.example");
    assert_eq!(v["pitch"], "I keep the mailing platform running.");
}

#[test]
fn brief_with_ics_and_no_config() {
    let home = Home::new();
    let ics = home.file("cal.ics", calendar(Utc::now()));
    let run = home.rapport(&["brief", "--ics", ics.to_str().unwrap()]);
    assert!(run.success(), "{:?}", run.error);
    // Without [me], Frank is just another attendee, so the focus block is
    // a meeting with someone in it.
    assert!(run.stdout.starts_with("# Focus time\n"), "{}", run.stdout);
    assert!(run.stdout.contains("rapport person add \"Frank Visser\""));
}

#[test]
fn brief_without_a_config_says_what_to_do() {
    let home = Home::new();
    let run = home.rapport(&["brief"]);
    let error = run.error.expect("fails");
    assert!(error.contains("rapport init"), "{error}");
}

/// The brief's last contact is the one `people` shows: a calendar meeting
/// newer than the Log entry wins, but never the meeting briefed (here in
/// progress) or one after it.
#[test]
fn brief_last_contact_counts_the_calendars_meetings_before_it() {
    let home = Home::new();
    let now = Utc::now().duration_trunc(Duration::minutes(1)).unwrap();
    let with_ana = |uid: &str, title: &str, start: DateTime<Utc>| {
        crate::common::ics::event(
            uid,
            title,
            start,
            start + Duration::minutes(30),
            "ORGANIZER;CN=Frank Visser:mailto:frank@acme.example\r\n\
             ATTENDEE;CN=Ana Lima;PARTSTAT=ACCEPTED:mailto:ana@acme.example\r\n",
        )
    };
    let ics = vcalendar(
        &[
            with_ana("budget@test", "Budget review", now - Duration::days(21)),
            // Started 10 minutes ago: still "next", and not contact yet.
            with_ana("coffee@test", "Coffee", now - Duration::minutes(10)),
            // Begun after it: later than the meeting briefed, not before it.
            with_ana("chat@test", "Hallway chat", now - Duration::minutes(5)),
            with_ana("planning@test", "Planning", now + Duration::days(3)),
        ]
        .concat(),
    );
    let ics = home.file("work.ics", ics);
    let log_day = (now - Duration::days(61)).date_naive();
    home.note(
        "ana.md",
        &format!(
            "---\nname: Ana Lima\nemails: [ana@acme.example]\n---\n## Log\n- {log_day} Lunch\n"
        ),
    );
    home.write_config(&home.config_text(
        "Frank Visser",
        "frank@acme.example",
        &calendar_entry("Work", &ics.display().to_string()),
    ));
    // `people` counts the chat (begun is met); the coffee's brief does not.
    let people = home.rapport(&["people"]);
    assert!(
        people.stdout.contains("today, Hallway chat"),
        "{}",
        people.stdout
    );

    let run = home.rapport(&["brief"]);
    assert!(run.success(), "{:?}", run.error);
    assert!(run.stdout.starts_with("# Coffee\n"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("**Last contact**: 3 weeks ago, Budget review\n"),
        "{}",
        run.stdout
    );
    let json = home.rapport(&["brief", "--json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let last = &v["people"][0]["last_contact"];
    assert_eq!(last["source"], "meeting", "{last}");
    assert_eq!(last["text"], "Budget review");
    assert_eq!(
        last["date"],
        (now - Duration::days(21)).date_naive().to_string()
    );

    // The brief of a later meeting: what has begun by now is before it.
    let later = home.rapport(&["brief", "Planning", "--json"]);
    let v: Value = serde_json::from_str(&later.stdout).unwrap();
    assert_eq!(v["meeting"]["title"], "Planning");
    assert_eq!(v["people"][0]["last_contact"]["text"], "Hallway chat");
    assert_eq!(
        v["people"][0]["last_contact"]["said"],
        "today, Hallway chat"
    );
}

/// The brief reads only the series that name the people in the meeting:
/// still found when the address is folded across lines in upper case, when
/// someone is named only by name ("Last, First", folded), and when only one
/// override of a series names them.
#[test]
fn brief_last_contact_finds_folded_addresses_names_and_overrides() {
    let home = Home::new();
    let now = Utc::now().duration_trunc(Duration::minutes(1)).unwrap();
    let stamp = crate::common::ics::stamp;
    let event = |uid: &str, title: &str, start: DateTime<Utc>, lines: &str| {
        crate::common::ics::event(uid, title, start, start + Duration::minutes(30), lines)
    };
    let frank = "ORGANIZER;CN=Frank Visser:mailto:frank@acme.example\r\n";
    let weekly_start = now - Duration::days(28);
    let moved = weekly_start + Duration::days(14);
    let ics = vcalendar(
        &[
            event(
                "next@test",
                "Planning",
                now + Duration::hours(1),
                &format!(
                    "{frank}ATTENDEE;CN=Ana Lima:mailto:ana.lima@acme.example\r\n\
                     ATTENDEE;CN=\"Stone, Bob\":mailto:bob@home.example\r\n\
                     ATTENDEE;CN=Cleo:mailto:cleo@acme.example\r\n"
                ),
            ),
            event(
                "folded@test",
                "Folded one",
                now - Duration::days(3),
                &format!(
                    "{frank}ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=A. Lima:MAILTO:ANA.LI\r\n \
                     MA@ACME.EXAMPLE\r\n"
                ),
            ),
            event(
                "name@test",
                "By name",
                now - Duration::days(5),
                &format!(
                    "{frank}ATTENDEE;PARTSTAT=ACCEPTED;CN=\"Stone,\r\n  Bob\":mailto:b.stone@else\r\n \
                     where.example\r\n"
                ),
            ),
            event(
                "weekly@test",
                "Weekly",
                weekly_start,
                &format!("RRULE:FREQ=WEEKLY;COUNT=4\r\n{frank}ATTENDEE:mailto:carl@acme.example\r\n"),
            ),
            format!(
                "BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20260101T000000Z\r\n\
                 RECURRENCE-ID:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:Weekly with Cleo\r\n\
                 {frank}ATTENDEE;CN=Cleo:mailto:cl\r\n eo@acme.example\r\nEND:VEVENT\r\n",
                stamp(moved),
                stamp(moved),
                stamp(moved + Duration::minutes(30)),
            ),
            // Newer, but with none of them.
            event(
                "other@test",
                "Someone else",
                now - Duration::days(1),
                &format!("{frank}ATTENDEE:mailto:carl@acme.example\r\n"),
            ),
        ]
        .concat(),
    );
    let ics = home.file("work.ics", ics);
    home.note(
        "ana.md",
        "---\nname: Ana Lima\nemails: [ana.lima@acme.example]\n---\n",
    );
    // No address: Bob is matched by name.
    home.note("bob.md", "---\nname: Bob Stone\n---\n");
    home.note(
        "cleo.md",
        "---\nname: Cleo Park\nemails: [cleo@acme.example]\n---\n",
    );
    home.write_config(&home.config_text(
        "Frank Visser",
        "frank@acme.example",
        &calendar_entry("Work", &ics.display().to_string()),
    ));
    let run = home.rapport(&["brief"]);
    assert!(run.success(), "{:?}", run.error);
    assert!(run.stdout.starts_with("# Planning\n"), "{}", run.stdout);
    for said in [
        "**Last contact**: 3 days ago, Folded one\n",
        "**Last contact**: 5 days ago, By name\n",
        "**Last contact**: 2 weeks ago, Weekly with Cleo\n",
    ] {
        assert!(run.stdout.contains(said), "{said}\n{}", run.stdout);
    }
    let json = home.rapport(&["brief", "--json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let texts: Vec<&Value> = (0..3)
        .map(|i| &v["people"][i]["last_contact"]["text"])
        .collect();
    assert_eq!(texts, ["Folded one", "By name", "Weekly with Cleo"], "{v}");
    // `people` (everyone read) says the same.
    let people = home.rapport(&["people"]);
    for said in [
        "3 days ago, Folded one",
        "5 days ago, By name",
        "2 weeks ago, Weekly with Cleo",
    ] {
        assert!(people.stdout.contains(said), "{said}\n{}", people.stdout);
    }
}
