//! Between meetings from the command line (issue 13): `rapport due`,
//! `rapport due snooze`, `rapport today`, with a real calendar file and
//! real notes; days given with `--on` so nothing depends on the clock.

use chrono::{DateTime, Duration, Utc};

use crate::common::home::{calendar_entry, Home};
use crate::common::ics::{event, vcalendar};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn meeting(uid: &str, title: &str, start: &str, who: &[&str]) -> String {
    let start = at(start);
    let mut extra = String::from("ORGANIZER;CN=Me:mailto:me@x.example\r\n");
    for w in who {
        extra.push_str(&format!(
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:{w}@x.example\r\n"
        ));
    }
    event(uid, title, start, start + Duration::minutes(30), &extra)
}

/// Ana (every 2w, a Log entry on 1 Nov, prefers phone, a promise due 30
/// Nov) is due; Bob (every month, met on 20 Nov) is not; Cara (#team, 1w by
/// default) waits for Thursday's meeting; Dan (every week, never met) is
/// due with no contact; Eve has no cadence.
fn home() -> Home {
    let home = Home::new();
    let cal = vcalendar(
        &[
            meeting("b1", "Budget review", "2026-11-20T11:00:00Z", &["bob"]),
            meeting("c0", "Team sync", "2026-11-10T11:00:00Z", &["cara"]),
            meeting("c1", "Planning", "2026-12-03T11:00:00Z", &["cara"]),
            meeting("e1", "Coffee", "2026-12-01T13:00:00Z", &["eve"]),
        ]
        .concat(),
    );
    let cal_path = home.file("cal.ics", cal);
    home.write_config(&home.config_text(
        "Me",
        "me@x.example",
        &format!(
            "{}[people.cadence]\n\"#team\" = \"1w\"\n",
            calendar_entry("work", cal_path.to_str().unwrap())
        ),
    ));
    home.note(
        "ana.md",
        "---\nname: Ana\nemails: [ana@x.example]\ncadence: 2w\nprefers: phone\nbirthday: 1985-12-03\n---\n\
         ## Follow-ups\n- [ ] Send the numbers 📅 2026-11-30\n- [ ] Ask about the trip 🛫 2026-12-01\n\
         ## Log\n- 2026-11-01 Lunch\n",
    );
    home.note(
        "bob.md",
        "---\nname: Bob\nemails: [bob@x.example]\ncadence: 1m\n---\n",
    );
    home.note(
        "cara.md",
        "---\nname: Cara\nemails: [cara@x.example]\ntags: [team]\n---\n",
    );
    home.note(
        "dan.md",
        "---\nname: Dan\nemails: [dan@x.example]\ncadence: 1w\n---\n",
    );
    home.note("eve.md", "---\nname: Eve\nemails: [eve@x.example]\n---\n");
    home
}

#[test]
fn due_lists_the_most_overdue_first_with_the_issues_json() {
    let home = home();
    let out = home.rapport(&["due", "--on", "2026-12-01", "--json"]);
    assert!(out.success(), "{:?}", out.error);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["date"], "2026-12-01");
    let due = v["due"].as_array().unwrap();
    let names: Vec<&str> = due.iter().map(|e| e["name"].as_str().unwrap()).collect();
    // Dan: never in touch: due, after everyone with a real last contact
    // (how overdue he is is not known).
    assert_eq!(names, ["Ana", "Dan"], "{}", out.stdout);
    let ana = &due[0];
    assert_eq!(ana["person"], "ana.md");
    assert_eq!(ana["cadence_days"], 14);
    assert_eq!(ana["last_contact"], "2026-11-01");
    assert_eq!(ana["last_contact_source"], "log");
    assert_eq!(ana["overdue_days"], 16);
    assert_eq!(ana["next_meeting"], serde_json::Value::Null);
    let dan = &due[1];
    assert_eq!(dan["last_contact"], serde_json::Value::Null);
    assert_eq!(dan["last_contact_source"], serde_json::Value::Null);
    assert_eq!(dan["overdue_days"], 0);
    assert_eq!(v["meeting_soon"][0]["name"], "Cara");
    assert_eq!(v["meeting_soon"][0]["title"], "Planning");

    // Bob, a month after the Budget review: due, last contact the meeting.
    let out = home.rapport(&["due", "--on", "2026-12-21", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let bob = v["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Bob")
        .expect(&out.stdout);
    assert_eq!(bob["last_contact"], "2026-11-20");
    assert_eq!(bob["last_contact_source"], "meeting");
    assert_eq!(bob["overdue_days"], 1);

    let text = home.rapport(&["due", "--on", "2026-12-01"]);
    assert!(text.success());
    assert!(
        text.stdout.contains(
            "Ana (every 2w): 16 days overdue; last 4 weeks ago, log; prefers phone; 2 open follow-ups"
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("  Dan (every 1w): no contact yet\n"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("358"), "{}", text.stdout);
    // The same with a history of 10 days: no count that depends on it.
    let config = std::fs::read_to_string(&home.paths.config_file).unwrap();
    home.write_config(&config.replacen("\n\n[me]", "\nhistory = \"10d\"\n\n[me]", 1));
    let short = home.rapport(&["due", "--on", "2026-12-01"]);
    assert!(short.success(), "{:?}", short.error);
    assert!(
        short.stdout.contains("  Dan (every 1w): no contact yet\n"),
        "{}",
        short.stdout
    );
    home.write_config(&config);
    assert!(text.stdout.contains("Meeting soon"), "{}", text.stdout);
    assert!(!text.stdout.contains("Eve"), "{}", text.stdout);
    let bad = home.rapport(&["due", "--on", "someday"]);
    assert!(bad.error.unwrap().contains("--on"));
}

#[test]
fn due_snooze_writes_snooze_until_losslessly_and_silences_the_person() {
    let home = home();
    let path = home.people_dir().join("ana.md");
    let before = std::fs::read_to_string(&path).unwrap();
    let out = home.rapport(&["due", "snooze", "Ana", "2w"]);
    assert!(out.success(), "{:?}", out.error);
    let today = chrono::Local::now().date_naive();
    let until = today + chrono::Days::new(14);
    let after = std::fs::read_to_string(&path).unwrap();
    // Only one line added, before the closing ---.
    let expected = before.replacen(
        "birthday: 1985-12-03\n---\n",
        &format!("birthday: 1985-12-03\nsnooze_until: {until}\n---\n"),
        1,
    );
    assert_eq!(after, expected);
    assert!(
        out.stdout.contains(&format!("not due before {until}")),
        "{}",
        out.stdout
    );
    // Again: the value is replaced, not added twice.
    let out = home.rapport(&["due", "snooze", "Ana", "1m"]);
    assert!(out.success(), "{:?}", out.error);
    let until = today.checked_add_months(chrono::Months::new(1)).unwrap();
    let again = std::fs::read_to_string(&path).unwrap();
    assert_eq!(again.matches("snooze_until").count(), 1);
    assert!(again.contains(&format!("snooze_until: {until}\n")));
    let v: serde_json::Value = serde_json::from_str(
        &home
            .rapport(&["due", "--on", &today.to_string(), "--json"])
            .stdout,
    )
    .unwrap();
    assert!(v["due"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["name"] != "Ana"));
    assert_eq!(v["snoozed"][0]["name"], "Ana");
    // The text says so too, rather than leaving her out silently.
    let text = home.rapport(&["due", "--on", &today.to_string()]);
    assert!(
        text.stdout.contains(&format!(
            "\nSnoozed:\n  Ana until {}\n",
            until.format("%a %-d %b")
        )),
        "{}",
        text.stdout
    );
    // The version before is kept for rapport undo.
    let undo = home.rapport(&["undo", "Ana"]);
    assert!(undo.success(), "{:?}", undo.error);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);

    // A note without front matter gets one; CRLF stays CRLF.
    home.note("finn.md", "# Finn\r\n\r\nLikes chess.\r\n");
    let out = home.rapport(&["due", "snooze", "Finn", "10d"]);
    assert!(out.success(), "{:?}", out.error);
    let finn = std::fs::read_to_string(home.people_dir().join("finn.md")).unwrap();
    let until = today + chrono::Days::new(10);
    assert_eq!(
        finn,
        format!("---\r\nsnooze_until: {until}\r\n---\r\n# Finn\r\n\r\nLikes chess.\r\n")
    );
    let bad = home.rapport(&["due", "snooze", "Ana", "soon"]);
    assert!(bad.error.unwrap().contains("3w"));

    // A front matter written as a flow mapping: said which file, why and
    // what to do, instead of a raw YAML error; the file stays as it was.
    let flow = "---\n{name: Gus, emails: [gus@x.example]}\n---\nLikes chess.\n";
    let gus = home.note("gus.md", flow);
    let out = home.rapport(&["due", "snooze", "Gus", "1w"]);
    let error = out.error.expect("refused");
    let until = today + chrono::Days::new(7);
    for part in [
        gus.display().to_string(),
        "flow mapping".into(),
        "block-style".into(),
        format!("`snooze_until: {until}`"),
        "`key: value` lines".into(),
    ] {
        assert!(error.contains(&part), "{part}: {error}");
    }
    assert!(!error.contains("did not find expected"), "{error}");
    assert_eq!(std::fs::read_to_string(&gus).unwrap(), flow);
}

#[test]
fn today_prints_the_digest_and_its_json() {
    let home = home();
    let out = home.rapport(&["today", "--on", "2026-12-01", "--json"]);
    assert!(out.success(), "{:?}", out.error);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for key in ["date", "meetings", "owe", "ask", "dates", "due"] {
        assert!(v.get(key).is_some(), "{key}: {}", out.stdout);
    }
    assert_eq!(v["date"], "2026-12-01");
    assert_eq!(v["meetings"][0]["title"], "Coffee");
    assert_eq!(v["meetings"][0]["people"][0]["name"], "Eve");
    assert_eq!(v["owe"][0]["text"], "Send the numbers");
    assert_eq!(v["ask"][0]["text"], "Ask about the trip");
    let date = &v["dates"][0];
    assert_eq!(date["person"], "ana.md");
    assert_eq!(date["name"], "Ana");
    assert_eq!(date["what"], "birthday");
    assert_eq!(date["date"], "2026-12-03");
    assert_eq!(date["in_days"], 2);
    assert_eq!(v["due"].as_array().unwrap().len(), 2);

    let text = home.rapport(&["today", "--on", "2026-12-01"]);
    assert!(text.success(), "{:?}", text.error);
    // One blank line after the title, not two.
    assert!(
        text.stdout.starts_with("# Tue 1 Dec 2026\n\n## You owe\n"),
        "{}",
        text.stdout
    );
    for part in [
        "## You owe",
        "Ana: Send the numbers",
        "## To ask",
        "## Dates",
        "Ana: birthday Thu, turns 41",
        "## Keep in touch",
        "## Meetings",
        "Coffee: Eve",
    ] {
        assert!(text.stdout.contains(part), "{part}: {}", text.stdout);
    }
}

/// `rapport today` shows the questions the daemon's next digest shows: new
/// since the last digest it actually sent (read from its state), not since
/// the schedule's previous digest day.
#[test]
fn today_shows_questions_since_the_last_digest_sent() {
    let home = home();
    let asks = |home: &Home| {
        let out = home.rapport(&["today", "--on", "2026-12-02", "--json"]);
        assert!(out.success(), "{:?}", out.error);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        v["ask"].as_array().unwrap().len()
    };
    // No daemon yet: the schedule (Tuesday's digest had Tuesday's question).
    assert_eq!(asks(&home), 0);
    // The daemon sent Monday's digest and was off on Tuesday.
    std::fs::create_dir_all(&home.paths.state_dir).unwrap();
    std::fs::write(
        home.paths.state_dir.join("state.json"),
        r#"{"version": 1, "digest": {"day": "2026-11-30"}}"#,
    )
    .unwrap();
    assert_eq!(asks(&home), 1);
    // It sent Tuesday's: Wednesday's has it no more.
    std::fs::write(
        home.paths.state_dir.join("state.json"),
        r#"{"version": 1, "digest": {"day": "2026-12-01", "previous": "2026-11-30"}}"#,
    )
    .unwrap();
    assert_eq!(asks(&home), 0);
}

/// `people` and `person show` (and their JSON) say each person's last
/// contact with its source, read from the calendar and the note.
#[test]
fn people_and_person_show_say_the_last_contact_and_its_source() {
    let home = Home::new();
    let now = Utc::now();
    let past = (now - Duration::days(3))
        .format("%Y-%m-%dT12:00:00Z")
        .to_string();
    let soon = (now + Duration::days(10))
        .format("%Y-%m-%dT12:00:00Z")
        .to_string();
    let cal = vcalendar(
        &[
            meeting("b1", "Budget review", &past, &["bob"]),
            meeting("b2", "Roadmap", &soon, &["bob"]),
        ]
        .concat(),
    );
    let cal_path = home.file("cal.ics", cal);
    home.write_config(&home.config_text(
        "Me",
        "me@x.example",
        &calendar_entry("work", cal_path.to_str().unwrap()),
    ));
    home.note(
        "bob.md",
        "---\nname: Bob\nemails: [bob@x.example]\ncadence: 1m\n---\n## Log\n- 2026-01-05 Lunch\n",
    );
    home.note("cy.md", "---\nname: Cy\nemails: [cy@x.example]\n---\n");
    let out = home.rapport(&["people"]);
    assert!(out.success(), "{:?}", out.error);
    let bob = out.stdout.lines().find(|l| l.starts_with("Bob")).unwrap();
    assert!(bob.contains("3 days ago, Budget review"), "{}", out.stdout);
    assert!(bob.contains("due in "), "{}", out.stdout);
    let cy = out.stdout.lines().find(|l| l.starts_with("Cy")).unwrap();
    assert!(cy.contains("never"), "{}", out.stdout);

    let json = home.rapport(&["people", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let bob = &v["people"][0];
    assert_eq!(bob["last_contact"]["source"], "meeting");
    assert_eq!(bob["last_contact"]["text"], "Budget review");
    assert_eq!(bob["next_meeting"]["title"], "Roadmap");
    assert_eq!(bob["keep_in_touch"]["cadence"], "1m");

    let show = home.rapport(&["person", "show", "Bob"]);
    assert!(show.success(), "{:?}", show.error);
    assert!(
        show.stdout
            .contains("Last contact: 3 days ago, Budget review"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("Next meeting: "), "{}", show.stdout);
    assert!(
        show.stdout.contains("Keep in touch: every 1m, due in"),
        "{}",
        show.stdout
    );
    let show = home.rapport(&["person", "show", "Bob", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(v["last_contact"]["source"], "meeting");
}

/// The day the daemon's state records for the digest (null: none).
fn recorded_digest_day(home: &crate::common::bin::BinHome) -> serde_json::Value {
    let state = std::fs::read_to_string(home.state_dir().join("state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    state["digest"]["day"].clone()
}

fn assert_sent_no_digest(daemon: &crate::common::bin::Daemon) {
    let log = daemon.log_text();
    assert!(!log.contains("sent the digest"), "{log}");
}

/// A home for the real binary on `bus` whose digest is due now (this
/// minute, in the daemon's TZ=UTC, until 23:59) with one promise due today:
/// the home, the promise's unique text, and now.
fn digest_home(bus: String) -> (crate::common::bin::BinHome, String, DateTime<Utc>) {
    let mut now = Utc::now();
    // `at` is a minute of the day: not across midnight in the middle of the test.
    if now.format("%H:%M").to_string() == "23:59" {
        std::thread::sleep(std::time::Duration::from_secs(61));
        now = Utc::now();
    }
    let promise = crate::common::unique("digest promise").replace('#', "n");
    let mut home = crate::common::bin::BinHome::new();
    home.bus = bus;
    std::fs::create_dir_all(home.people_dir()).unwrap();
    std::fs::write(
        home.people_dir().join("ana.md"),
        format!(
            "---\nname: Ana\nemails: [ana@example.org]\n---\n## Follow-ups\n- [ ] {promise} 📅 {}\n",
            now.date_naive()
        ),
    )
    .unwrap();
    std::fs::write(home.path("cal.ics"), vcalendar("")).unwrap();
    home.write_config(&home.config_with(&format!(
        "[[calendar]]\nname = \"work\"\npath = {:?}\n\n[digest]\nat = \"{}\"\nuntil = \"23:59\"\ndays = \"daily\"\n",
        home.path("cal.ics").display().to_string(),
        now.format("%H:%M")
    )));
    (home, promise, now)
}

/// The digest in the real notification server (dunst on the private bus
/// scripts/test.sh starts), from the real `rapport run`: at the configured
/// time (this minute, in the daemon's TZ=UTC) it appears once; after a
/// restart the same day, and after a kill -9, it does not appear again.
#[test]
fn the_daemon_sends_the_digest_once_and_not_again_after_a_restart() {
    use crate::common::{dunst_close_all, dunst_history, dunst_lock, notify_stack};
    let Some(bus) = notify_stack("the_daemon_sends_the_digest_once_and_not_again_after_a_restart")
    else {
        return;
    };
    let (home, promise, now) = digest_home(bus);
    let _lock = dunst_lock();
    let shown = || {
        dunst_close_all();
        std::thread::sleep(std::time::Duration::from_millis(200));
        dunst_history()
            .into_iter()
            .filter(|h| h.body.contains(&promise))
            .collect::<Vec<_>>()
    };
    let mut daemon = home.start_daemon(&[]);
    daemon.wait_log("sent the digest for", std::time::Duration::from_secs(20));
    let first = shown();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].summary, "Today: 1 promise due");
    assert!(first[0]
        .body
        .contains(&format!("you owe Ana: {promise} (due today)")));
    daemon.terminate();
    assert_eq!(recorded_digest_day(&home), now.date_naive().to_string());

    // A restart the same day: the day is recorded, nothing is sent.
    let mut again = home.start_daemon(&[]);
    again.wait_log("rapport daemon started", std::time::Duration::from_secs(20));
    std::thread::sleep(std::time::Duration::from_secs(2));
    again.kill9();
    let mut third = home.start_daemon(&[]);
    third.wait_log("rapport daemon started", std::time::Duration::from_secs(20));
    std::thread::sleep(std::time::Duration::from_secs(2));
    third.terminate();
    assert_sent_no_digest(&again);
    assert_sent_no_digest(&third);
    assert_eq!(shown().len(), 1);
    // `status` says when the next one comes.
    let status = home.run(&["status"]);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("Next digest: "), "{status}");
}

/// A digest no server showed (a real private bus without a notification
/// server: the send certainly failed) is not recorded as sent: once dunst
/// runs on that bus, the next start sends it, once.
#[test]
fn a_digest_no_server_showed_is_sent_once_a_server_runs() {
    use crate::common::{notify_stack, EmptyBus, PrivateDunst};
    if notify_stack("a_digest_no_server_showed_is_sent_once_a_server_runs").is_none() {
        return;
    }
    let bus = EmptyBus::start();
    let (home, promise, now) = digest_home(bus.address.clone());
    let debug = [("RUST_LOG", "rapport=debug")];
    let mut daemon = home.start_daemon(&debug);
    daemon.wait_log(
        "composed the digest for",
        std::time::Duration::from_secs(20),
    );
    // The failed send has come back (no server answers at once) when the
    // state is saved with the day unrecorded.
    std::thread::sleep(std::time::Duration::from_secs(1));
    daemon.terminate();
    assert_sent_no_digest(&daemon);
    assert!(recorded_digest_day(&home).is_null());

    let dunst = PrivateDunst::start_on(bus);
    let mut again = home.start_daemon(&debug);
    again.wait_log("sent the digest for", std::time::Duration::from_secs(20));
    std::thread::sleep(std::time::Duration::from_secs(1));
    again.terminate();
    let shown: Vec<_> = dunst
        .close_all_and_history()
        .into_iter()
        .filter(|h| h.body.contains(&promise))
        .collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(recorded_digest_day(&home), now.date_naive().to_string());
}

/// The digest's buttons, in-process with the recording notifier: "Open
/// digest" writes the full digest as Markdown and opens it; "Snooze" records
/// the snooze in the state, and `status` says it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_buttons_open_the_markdown_and_snooze_it() {
    use crate::common::daemon::{wait_for, InProcess};
    use rapport::daemon::notify::{Capabilities, Event, RecordingNotifier};
    use std::sync::Arc;
    let home = Home::new();
    let zone = rapport::calendar::tz::local_zone();
    let mut local = zone.to_local(Utc::now());
    if local.format("%H:%M").to_string() == "23:59" {
        tokio::time::sleep(std::time::Duration::from_secs(61)).await;
        local = zone.to_local(Utc::now());
    }
    home.note(
        "ana.md",
        &format!(
            "---\nname: Ana\nemails: [ana@x.example]\n---\n## Follow-ups\n- [ ] Send the numbers 📅 {}\n",
            local.date()
        ),
    );
    home.write_config(&home.config_text(
        "Me",
        "me@x.example",
        &format!(
            "[digest]\nat = \"{}\"\nuntil = \"23:59\"\ndays = \"daily\"\n",
            local.format("%H:%M")
        ),
    ));
    let fake = Arc::new(RecordingNotifier::new(Capabilities::from_list(vec![
        "body".to_string(),
        "actions".to_string(),
    ])));
    let daemon = InProcess::start(&home.paths, fake.clone());
    let shown = || fake.shown().first().cloned();
    let digest = wait_for("the digest", std::time::Duration::from_secs(30), shown).await;
    assert_eq!(digest.notification.summary, "Today: 1 promise due");
    let keys: Vec<&str> = digest
        .notification
        .actions
        .iter()
        .map(|a| a.key.as_str())
        .collect();
    assert_eq!(keys, ["default", "snooze"]);
    fake.emit(Event::ActionInvoked {
        id: digest.id,
        action: "default".into(),
    });
    let opened = || daemon.opened.opened().first().cloned();
    let path = wait_for("Open digest", std::time::Duration::from_secs(10), opened).await;
    assert!(
        path.ends_with(&format!("digest-{}.md", local.date())),
        "{path}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("## You owe"), "{text}");
    assert!(text.contains("Ana: Send the numbers (due today)"), "{text}");
    fake.emit(Event::ActionInvoked {
        id: digest.id,
        action: "snooze".into(),
    });
    let state_file = home.paths.state_dir.join("state.json");
    let snoozed = || {
        let text = std::fs::read_to_string(&state_file).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v["digest"]["snoozed_until"].as_str().map(str::to_string)
    };
    let until = wait_for("the snooze", std::time::Duration::from_secs(10), snoozed).await;
    let until = DateTime::parse_from_rfc3339(&until).unwrap();
    let left = until.with_timezone(&Utc) - Utc::now();
    assert!(
        left > Duration::minutes(59) && left <= Duration::hours(1),
        "{left}"
    );
    daemon.stop().await;
    assert_eq!(fake.shown().len(), 1);
    let status = home.rapport(&["status"]);
    assert!(status.stdout.contains("(snoozed)"), "{}", status.stdout);
}
