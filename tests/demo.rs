//! `rapport demo`: its calendar, notes and config, checked with the real
//! engine, people parser and matcher; and whole runs with short lead times,
//! against a private dunst and against no notification server at all.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rapport::calendar::model::PartStat;
use rapport::calendar::{self, ExpandOptions};
use rapport::cli::demo::{self, Bus, DemoOptions, Timing};
use rapport::people::matching::{Match, Matcher};

use crate::common;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 58, 30).unwrap()
}

fn expand() -> ExpandOptions {
    ExpandOptions {
        me_emails: vec![demo::ME.to_string()],
        ..ExpandOptions::new(rapport::calendar::tz::local_zone())
    }
}

#[test]
fn demo_calendar_puts_the_meetings_at_their_offsets() {
    let timing = Timing::default();
    let text = demo::calendar(now(), &timing);
    let parsed = calendar::parse_calendar("Demo", text.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.event_count, 2);
    let occs = parsed.occurrences(now(), now() + Duration::hours(2), &expand());
    assert_eq!(occs.len(), 2, "{occs:#?}");

    let kickoff = &occs[0];
    assert_eq!(kickoff.summary, demo::MEETING);
    assert_eq!(kickoff.start_utc(), now() + Duration::seconds(90));
    assert_eq!(kickoff.end_utc(), now() + Duration::seconds(115));
    assert_eq!(kickoff.my_status, Some(PartStat::Accepted));
    let emails: Vec<&str> = kickoff
        .attendees
        .iter()
        .filter_map(|a| a.email.as_deref())
        .collect();
    assert_eq!(
        emails,
        [
            demo::ME,
            "tom.visser@acme.example",
            "yvonne.bakker@acme.example",
            "pieter.deboer@acme.example",
            "sanne.mulder@acme.example"
        ]
    );
    assert_eq!(kickoff.attendees[1].name.as_deref(), Some("Tom Visser"));
    assert!(kickoff.location.is_some());

    let focus = &occs[1];
    assert_eq!(focus.summary, demo::FOCUS);
    assert_eq!(focus.start_utc(), kickoff.end_utc());
    assert!(focus.attendees.is_empty() && focus.organizer.is_none());

    assert_eq!(timing.prep_due(now()), now() + Duration::seconds(15));
    // Sent a moment after it is due, the prep still names the minutes.
    let sent = rapport::brief::Now::new(
        timing.prep_due(now()) + Duration::milliseconds(300),
        expand().floating,
    );
    let meeting = rapport::brief::Meeting {
        title: kickoff.summary.clone(),
        calendar: kickoff.calendar.clone(),
        uid: kickoff.uid.clone(),
        start: kickoff.start,
        end: kickoff.end,
        all_day: false,
        location: kickoff.location.clone(),
        conference_url: None,
    };
    // 75 s before the start, to the nearest minute (issue 12, item 10).
    assert_eq!(rapport::brief::relative_when(&meeting, &sent), "in 1 min");
    assert_eq!(timing.debrief_due(now()), now() + Duration::seconds(120));
}

#[test]
fn demo_timing_is_generated_from_the_given_offsets() {
    let timing = Timing {
        start_in: Duration::seconds(7),
        lead: Duration::seconds(4),
        length: Duration::seconds(3),
        debrief_after: Duration::seconds(1),
    };
    let text = demo::calendar(now(), &timing);
    let parsed = calendar::parse_calendar("Demo", text.as_bytes());
    let occs = parsed.occurrences(now(), now() + Duration::hours(1), &expand());
    assert_eq!(occs[0].start_utc(), now() + Duration::seconds(7));
    assert_eq!(occs[0].end_utc(), now() + Duration::seconds(10));
    let config = rapport::config::from_str(
        &demo::config_text(&timing),
        std::path::Path::new("/d/c.toml"),
    )
    .expect("the demo config parses");
    assert_eq!(config.notify.lead, [std::time::Duration::from_secs(4)]);
    assert_eq!(
        config.notify.debrief,
        Some(std::time::Duration::from_secs(1))
    );
    assert!(config.notify.only_with_people);
    assert_eq!(config.me.emails, [demo::ME]);
    assert_eq!(config.calendars.len(), 1);
    assert_eq!(config.people.dir, std::path::Path::new("/d/people"));
}

#[test]
fn demo_people_match_the_demo_attendees() {
    let dir = tempfile::tempdir().unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    for (name, text) in demo::people_files(today) {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let people = rapport::people::load(dir.path());
    assert!(people.errors.is_empty(), "{:?}", people.errors);
    assert_eq!(people.people.len(), 3);
    let config = rapport::config::from_str(
        &demo::config_text(&Timing::default()),
        &dir.path().join("c"),
    )
    .unwrap();
    let matcher = Matcher::new(&people, &config.me);

    let text = demo::calendar(now(), &Timing::default());
    let parsed = calendar::parse_calendar("Demo", text.as_bytes());
    let kickoff = &parsed.occurrences(now(), now() + Duration::hours(1), &expand())[0];
    let matched: Vec<(Option<&str>, Match)> = matcher
        .match_attendees(&kickoff.attendees)
        .into_iter()
        .map(|m| {
            let name = match &m.matched {
                Match::Person(i) => Some(people.people[*i].name.as_str()),
                _ => None,
            };
            (name, m.matched)
        })
        .collect();
    let names: Vec<Option<&str>> = matched.iter().map(|m| m.0).collect();
    assert_eq!(
        names,
        [
            None,
            Some("Tom Visser"),
            Some("Yvonne Bakker"),
            Some("Pieter de Boer"),
            None
        ]
    );
    assert_eq!(matched[0].1, Match::Me);
    assert_eq!(matched[4].1, Match::Unknown);

    // What the notes are for: the zoo trip and the tournament are things to
    // ask today; Tom is owed an estimate, Pieter a review that is overdue.
    let tom = &people
        .people
        .iter()
        .find(|p| p.name == "Tom Visser")
        .unwrap();
    let yvonne = &people
        .people
        .iter()
        .find(|p| p.name == "Yvonne Bakker")
        .unwrap();
    let pieter = &people
        .people
        .iter()
        .find(|p| p.name == "Pieter de Boer")
        .unwrap();
    let asks = |p: &rapport::people::Person| {
        p.follow_ups
            .iter()
            .filter(|f| f.kind == rapport::people::FollowUpKind::Ask && f.is_active(today))
            .map(|f| f.text.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        asks(tom).iter().any(|t| t.contains("Artis")),
        "{:?}",
        tom.follow_ups
    );
    assert!(
        asks(yvonne).iter().any(|t| t.contains("tennis")),
        "{:?}",
        yvonne.follow_ups
    );
    assert!(tom
        .follow_ups
        .iter()
        .any(|f| f.kind == rapport::people::FollowUpKind::Owe && !f.is_overdue(today)));
    assert!(pieter.follow_ups.iter().any(|f| f.is_overdue(today)));
    assert!(tom.last_met().is_some() && yvonne.last_met().is_some());
}

/// A demo that takes seconds: prep 3 s in, meeting from 5 s to 7 s, debrief at 8 s.
fn quick() -> Timing {
    Timing {
        start_in: Duration::seconds(5),
        lead: Duration::seconds(2),
        length: Duration::seconds(2),
        debrief_after: Duration::seconds(1),
    }
}

fn assert_prep_then_debrief(out: &str) {
    let prep = out
        .find("Prep notification")
        .unwrap_or_else(|| panic!("no prep in:\n{out}"));
    let debrief = out
        .find("Debrief")
        .unwrap_or_else(|| panic!("no debrief in:\n{out}"));
    assert!(prep < debrief, "{out}");
    assert_eq!(out.matches("Prep notification").count(), 1, "{out}");
    assert_eq!(out.matches("] Debrief").count(), 1, "{out}");
    let prep_text = &out[prep..debrief];
    for who in ["Tom", "Yvonne", "Pieter"] {
        assert!(
            prep_text.contains(who),
            "{who} missing from the prep:\n{prep_text}"
        );
    }
    assert!(prep_text.contains(demo::MEETING), "{prep_text}");
    // What the notes say to ask, and the attendee nobody has a note about.
    for what in ["Artis", "tennis", "Sanne Mulder"] {
        assert!(
            prep_text.contains(what),
            "{what} missing from the prep:\n{prep_text}"
        );
    }
    // The focus block is named in the introduction only, never notified.
    assert_eq!(out.matches(demo::FOCUS).count(), 1, "{out}");
    assert!(out.contains("That was the demo"), "{out}");
}

#[test]
fn demo_without_a_notification_server_prints_the_briefs() {
    let mut out = Vec::new();
    let options = DemoOptions {
        timing: quick(),
        bus: Bus::Address("unix:path=/nonexistent/rapport-demo-bus".into()),
    };
    let code = demo::run(&options, &mut out).expect("the demo runs");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{out}");
    assert!(out.contains("No notification server"), "{out}");
    assert!(out.contains("(printed here only)"), "{out}");
    // No buttons to offer, and no `rapport ...` commands either: they would
    // act on the user's own config, not on the demo's.
    assert!(!out.contains("actions:"), "{out}");
    assert!(!out.contains("rapport brief"), "{out}");
    assert_prep_then_debrief(&out);
    // The folder is gone.
    let folder = out
        .lines()
        .next()
        .and_then(|l| l.rsplit(" in ").next())
        .unwrap();
    assert!(!std::path::Path::new(folder).exists(), "{folder}");
}

#[test]
fn demo_shows_real_notifications_on_dunst() {
    let Some(_) = common::notify_stack("demo_shows_real_notifications_on_dunst") else {
        return;
    };
    let dunst = common::PrivateDunst::start();
    let mut out = Vec::new();
    let options = DemoOptions {
        timing: quick(),
        bus: Bus::Address(dunst.bus.address.clone()),
    };
    let code = demo::run(&options, &mut out).expect("the demo runs");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{out}");
    assert!(out.contains("Notifications go to dunst"), "{out}");
    assert!(out.contains("(also on your screen)"), "{out}");
    assert!(out.contains("actions: Open brief · Snooze"), "{out}");
    assert_prep_then_debrief(&out);
    let history = dunst.close_all_and_history();
    let ours: Vec<_> = history.iter().filter(|h| h.appname == "rapport").collect();
    // The debrief replaces the prep (one notification per meeting).
    assert!(!ours.is_empty(), "{history:#?}");
    let bodies: String = ours
        .iter()
        .map(|h| format!("{}\n{}\n", h.summary, h.body))
        .collect();
    assert!(bodies.contains("Tom"), "{bodies}");
    assert!(
        !history.iter().any(|h| h.summary.contains("Focus")),
        "{history:#?}"
    );
}
