//! `rapport join`, `rapport snooze` and `rapport met`: the command-line
//! equivalents of the notification actions, on a real config, a local .ics
//! and a people folder in a temporary folder.

use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::common::home::calendar_entry;
use crate::common::ics::vcalendar;
use crate::common::Home;

/// A sync that started an hour ago (Yvonne as organizer and attendee, Tom),
/// a design review 3 h ago (Tom), a planning in 2 h with a Meet link, and a
/// call in 3 h whose "link" is javascript:.
fn calendar(now: DateTime<Utc>) -> String {
    let base = now.duration_trunc(Duration::minutes(1)).unwrap();
    let event = |uid: &str, summary: &str, start: DateTime<Utc>, extra: &str| {
        crate::common::ics::event(uid, summary, start, start + Duration::minutes(30), extra)
    };
    let me = "ATTENDEE;CN=Frank Visser;PARTSTAT=ACCEPTED:mailto:frank@acme.example\r\n";
    let tom = "ATTENDEE;CN=Tom de Vries:mailto:tom@acme.example\r\n";
    let mut ics = event(
        "review@test",
        "Design review",
        base - Duration::hours(3),
        &format!("{me}{tom}"),
    );
    ics += &event(
        "sync@test",
        "Marketing sync",
        base - Duration::hours(1),
        &format!(
            "ORGANIZER;CN=\"Bakker, Yvonne\":mailto:YVONNE.BAKKER@acme.example\r\n\
             {me}ATTENDEE;CN=\"Bakker, Yvonne\":mailto:yvonne.bakker@acme.example\r\n{tom}\
             ATTENDEE;CN=Alex Smith:mailto:alex@partner.example\r\n"
        ),
    );
    ics += &event(
        "planning@test",
        "Planning",
        base + Duration::hours(2),
        &format!("X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij\r\n{me}{tom}"),
    );
    ics += &event(
        "call@test",
        "Vendor call",
        base + Duration::hours(3),
        &format!("X-GOOGLE-CONFERENCE:javascript:alert(1)\r\nURL:javascript:alert(2)\r\n{me}{tom}"),
    );
    vcalendar(&ics)
}

const YVONNE: &str = "---
name: Yvonne Bakker
emails: [yvonne.bakker@acme.example]
---
Plays tennis.

## Log
- 2020-01-02 Kick-off: wants better segmentation.

## Notes
Keep this   spacing.
";

const TOM: &str = "---
name: Tom de Vries
emails: [tom@acme.example]
---
## Log
- 2020-01-03 Coffee.
";

/// The calendar (a file), Yvonne's and Tom's notes, and a config; I am Frank.
fn setup() -> Home {
    let home = Home::new();
    let ics = home.file("work.ics", calendar(Utc::now()));
    home.note("yvonne-bakker.md", YVONNE);
    home.note("tom-de-vries.md", TOM);
    let calendars = calendar_entry("Work", &ics.display().to_string());
    home.write_config(&home.config_text("Frank Visser", "frank@acme.example", &calendars));
    home
}

/// `after` is `before` with exactly `line` inserted after the line `anchor`.
fn assert_inserted(before: &str, after: &str, anchor: &str, line: &str) {
    let expected = before.replacen(&format!("{anchor}\n"), &format!("{anchor}\n{line}\n"), 1);
    assert_eq!(after, expected);
}

#[test]
fn met_logs_the_last_meeting_for_everyone_matched_once() {
    let home = setup();
    let people = home.people_dir();
    let run = home.rapport(&["met", "last"]);
    assert!(run.success(), "{:?}\n{}", run.error, run.stdout);
    // The meeting's day (local), as the default date.
    let day = (Utc::now().duration_trunc(Duration::minutes(1)).unwrap() - Duration::hours(1))
        .with_timezone(&chrono::Local)
        .date_naive();
    let line = format!("- {day} Met at Marketing sync");
    let yvonne = std::fs::read_to_string(people.join("yvonne-bakker.md")).unwrap();
    // Organizer and attendee under two spellings: one line.
    assert_inserted(
        YVONNE,
        &yvonne,
        "- 2020-01-02 Kick-off: wants better segmentation.",
        &line,
    );
    let tom = std::fs::read_to_string(people.join("tom-de-vries.md")).unwrap();
    assert_inserted(TOM, &tom, "- 2020-01-03 Coffee.", &line);
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);

    // By title, with a date: the older review, Tom only.
    let run = home.rapport(&["met", "design", "--date", "2026-11-20"]);
    assert!(run.success(), "{:?}", run.error);
    let tom2 = std::fs::read_to_string(people.join("tom-de-vries.md")).unwrap();
    assert_inserted(&tom, &tom2, &line, "- 2026-11-20 Met at Design review");
    assert_eq!(
        std::fs::read_to_string(people.join("yvonne-bakker.md")).unwrap(),
        yvonne
    );

    // A meeting that has not started is not "met".
    let run = home.rapport(&["met", "planning"]);
    assert_eq!(run.code, std::process::ExitCode::from(1));
    assert!(run.stdout.contains("No meeting mentions \"planning\""));
    let bad = home.rapport(&["met", "--date", "someday"]);
    assert!(bad.error.unwrap().contains("--date"));
}

#[test]
fn join_print_prints_only_http_links() {
    let home = setup();
    let run = home.rapport(&["join", "--print"]);
    assert!(run.success(), "{:?}", run.error);
    assert_eq!(run.stdout, "https://meet.google.com/abc-defg-hij\n");
    let by_title = home.rapport(&["join", "next", "--print"]);
    assert_eq!(by_title.stdout, run.stdout);
    let by_title = home.rapport(&["join", "planning", "--print"]);
    assert_eq!(by_title.stdout, run.stdout);

    let js = home.rapport(&["join", "vendor", "--print"]);
    let error = js.error.expect("refused");
    assert!(
        error.contains("Vendor call") && error.contains("no conference link"),
        "{error}"
    );
    assert!(!js.stdout.contains("javascript"));
}

#[test]
fn snooze_queues_a_request_for_the_daemon() {
    let home = setup();
    let state_dir = home.paths.state_dir.clone();
    let run = home.rapport(&["snooze", "planning", "--for", "3m"]);
    assert!(run.success(), "{:?}", run.error);
    assert!(
        run.stdout.starts_with("Snoozed \"Planning\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("does not seem to be running"));
    let taken = rapport::daemon::requests::take_requests(&state_dir);
    assert_eq!(taken.len(), 1);
    let r = taken[0].as_ref().unwrap();
    assert_eq!(
        (r.calendar.as_str(), r.uid.as_str()),
        ("Work", "planning@test")
    );
    assert_eq!(r.snooze_for_s, 180);
    let start = Utc::now().duration_trunc(Duration::minutes(1)).unwrap() + Duration::hours(2);
    assert!((r.start - start).num_minutes().abs() <= 1);
    // Taken once: the daemon removes it.
    assert!(rapport::daemon::requests::take_requests(&state_dir).is_empty());

    // With a daemon that wrote its state a moment ago: no warning.
    let state = rapport::daemon::state::State {
        last_run: Some(Utc::now()),
        ..Default::default()
    };
    state.save(&state_dir).unwrap();
    let run = home.rapport(&["snooze"]);
    assert!(run.success(), "{:?}", run.error);
    assert!(run.stdout.starts_with("Snoozed \"Planning\""));
    assert!(!run.stdout.contains("not seem to be running"));

    // A zero delay is refused, and nothing is queued.
    std::fs::remove_dir_all(rapport::daemon::requests::requests_dir(&state_dir)).unwrap();
    let bad = home.rapport(&["snooze", "--for", "0s"]);
    assert!(bad.error.is_some());
    assert!(!rapport::daemon::requests::requests_dir(&state_dir).exists());
}
