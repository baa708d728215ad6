use super::*;
use chrono_tz::Europe::Amsterdam;
use chrono_tz::Tz;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Local (Amsterdam) wall-clock time.
fn at(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> DateTime<Tz> {
    Amsterdam
        .with_ymd_and_hms(y, m, day, h, min, s)
        .single()
        .unwrap()
}

/// The meeting: Tuesday 1 December 2026, 10:00–10:30 in Amsterdam.
fn meeting() -> Occurrence {
    Occurrence {
        calendar: "work".into(),
        uid: "sync-1".into(),
        recurrence_id: None,
        summary: "Marketing sync".into(),
        description: None,
        location: Some("Room 4.2".into()),
        conference_url: None,
        start: at(2026, 12, 1, 10, 0, 0).fixed_offset(),
        end: at(2026, 12, 1, 10, 30, 0).fixed_offset(),
        all_day: false,
        tz: Some("Europe/Amsterdam".into()),
        status: None,
        transparent: false,
        organizer: None,
        attendees: vec![],
        my_status: None,
        sequence: 0,
    }
}

/// A moment on the Amsterdam wall clock.
fn now_at(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> Now {
    Now::new(
        at(y, m, day, h, min, s).with_timezone(&Utc),
        Zone::Iana(Amsterdam),
    )
}

/// Ten minutes before the meeting.
fn now() -> Now {
    now_at(2026, 12, 1, 9, 50, 0)
}

fn point(heading: &str, text: &str) -> PointFact {
    PointFact {
        heading: heading.into(),
        text: text.into(),
        private: false,
    }
}

fn task(kind: FollowUpKind, text: &str) -> FollowUpFact {
    FollowUpFact {
        text: text.into(),
        kind,
        start: None,
        due: None,
        private: false,
    }
}

fn yvonne() -> PersonFacts {
    PersonFacts {
        key: "yvonne-bakker.md".into(),
        name: "Yvonne Bakker".into(),
        role: Some("Head of Marketing".into()),
        org: Some("Acme, Marketing".into()),
        prefers: Some("phone".into()),
        pitch: false,
        summary: Some("Plays competitive tennis; club tournaments most weekends.".into()),
        points: vec![
            point("Family", "Married to Joost; kids Sam (8) and Lotte (5)"),
            point("Interests", "Tennis, club LTC Amstelpark"),
            point("Interests", "Italian cooking"),
            PointFact {
                heading: "Interests".into(),
                text: "Lost her father in 2025 #private".into(),
                private: true,
            },
        ],
        follow_ups: vec![
            FollowUpFact {
                start: Some(d(2026, 12, 6)),
                ..task(FollowUpKind::Ask, "Ask how the club tournament went")
            },
            FollowUpFact {
                due: Some(d(2026, 12, 1)),
                ..task(
                    FollowUpKind::Owe,
                    "Send her the response numbers of the October mailing",
                )
            },
        ],
        log: vec![
            (d(2026, 11, 10), "Kick-off".into()),
            (
                d(2026, 11, 24),
                "Marketing sync: tournament next weekend".into(),
            ),
            (d(2026, 11, 17), "Coffee".into()),
        ],
        ..PersonFacts::default()
    }
}

fn tom() -> PersonFacts {
    PersonFacts {
        key: "tom-de-vries.md".into(),
        name: "Tom de Vries".into(),
        role: Some("Campaign manager".into()),
        points: vec![point("Family", "Took his kids to Artis last weekend")],
        ..PersonFacts::default()
    }
}

fn unknown(name: Option<&str>, email: Option<&str>) -> Attendance {
    Attendance::Unknown {
        name: name.map(Into::into),
        email: email.map(Into::into),
    }
}

fn settings() -> BriefSettings {
    BriefSettings {
        prompts_per_person: 3,
        discreet: false,
        pitch: Some("I build the data platform that feeds your campaigns.".into()),
    }
}

fn brief_of(attendance: &[Attendance]) -> Brief {
    compose(
        &meeting(),
        attendance,
        &settings(),
        &Rotation::default(),
        &now(),
    )
    .0
}

fn texts(p: &PersonBrief) -> Vec<&str> {
    p.talking_points.iter().map(|t| t.text.as_str()).collect()
}

// --- follow-ups -------------------------------------------------------------

#[test]
fn due_states_read_like_a_person_would_say_them() {
    let today = d(2026, 11, 27); // a Friday
    assert_eq!(due_state(d(2026, 11, 27), today), "due today");
    assert_eq!(due_state(d(2026, 11, 28), today), "due tomorrow");
    assert_eq!(due_state(d(2026, 12, 1), today), "due Tue 1 Dec");
    assert_eq!(due_state(d(2026, 11, 26), today), "1 day overdue");
    assert_eq!(due_state(d(2026, 11, 24), today), "3 days overdue");
    assert_eq!(due_state(d(2027, 1, 5), today), "due Tue 5 Jan 2027");
}

#[test]
fn due_state_is_relative_to_now_not_to_the_meeting() {
    // Two days before the meeting, a promise due on the meeting day is not
    // "due today" yet.
    let early = now_at(2026, 11, 29, 9, 0, 0);
    let (brief, _) = compose(
        &meeting(),
        &[Attendance::Known(yvonne())],
        &settings(),
        &Rotation::default(),
        &early,
    );
    let owe = &brief.people[0].follow_ups[0];
    assert_eq!(owe.kind, FollowUpKind::Owe);
    assert_eq!(owe.due_state.as_deref(), Some("due Tue 1 Dec"));
    assert!(!owe.overdue);

    let late = now_at(2026, 12, 4, 9, 0, 0);
    let mut occ = meeting();
    occ.start = at(2026, 12, 4, 10, 0, 0).fixed_offset();
    occ.end = at(2026, 12, 4, 10, 30, 0).fixed_offset();
    let (brief, _) = compose(
        &occ,
        &[Attendance::Known(yvonne())],
        &settings(),
        &Rotation::default(),
        &late,
    );
    let owe = &brief.people[0].follow_ups[0];
    assert_eq!(owe.due_state.as_deref(), Some("3 days overdue"));
    assert!(owe.overdue);
}

#[test]
fn asks_wait_for_their_start_day_measured_at_the_meeting_day() {
    // Meeting on 1 Dec: the "ask after 6 Dec" is hidden.
    let brief = brief_of(&[Attendance::Known(yvonne())]);
    let shown: Vec<&str> = brief.people[0]
        .follow_ups
        .iter()
        .map(|f| f.text.as_str())
        .collect();
    assert_eq!(
        shown,
        ["Send her the response numbers of the October mailing"]
    );

    // The same question for a meeting on Monday 7 Dec, briefed on Friday 4 Dec:
    // its start day has come by the meeting, so it shows.
    let mut occ = meeting();
    occ.start = at(2026, 12, 7, 10, 0, 0).fixed_offset();
    occ.end = at(2026, 12, 7, 10, 30, 0).fixed_offset();
    let (brief, _) = compose(
        &occ,
        &[Attendance::Known(yvonne())],
        &settings(),
        &Rotation::default(),
        &now_at(2026, 12, 4, 17, 0, 0),
    );
    let kinds: Vec<FollowUpKind> = brief.people[0].follow_ups.iter().map(|f| f.kind).collect();
    // The overdue promise first, then the question.
    assert_eq!(kinds, [FollowUpKind::Owe, FollowUpKind::Ask]);
    assert_eq!(
        brief.people[0].follow_ups[0].due_state.as_deref(),
        Some("3 days overdue")
    );

    // Start day exactly the meeting day counts.
    let mut p = yvonne();
    p.follow_ups[0].start = Some(d(2026, 12, 1));
    let brief = brief_of(&[Attendance::Known(p)]);
    assert_eq!(brief.people[0].follow_ups.len(), 2);
}

#[test]
fn meeting_day_is_the_local_day_not_the_utc_day() {
    // 00:30 in Amsterdam on 6 Dec is still 5 Dec in UTC: the ask after 6 Dec
    // belongs to this meeting.
    let mut occ = meeting();
    occ.start = at(2026, 12, 6, 0, 30, 0).fixed_offset();
    occ.end = at(2026, 12, 6, 1, 0, 0).fixed_offset();
    let (brief, _) = compose(
        &occ,
        &[Attendance::Known(yvonne())],
        &settings(),
        &Rotation::default(),
        &now_at(2026, 12, 6, 0, 20, 0),
    );
    assert!(brief.people[0]
        .follow_ups
        .iter()
        .any(|f| f.kind == FollowUpKind::Ask));
}

#[test]
fn follow_ups_are_ordered_by_how_pressing_they_are() {
    let mut p = PersonFacts {
        key: "p.md".into(),
        name: "P".into(),
        ..PersonFacts::default()
    };
    p.follow_ups = vec![
        task(FollowUpKind::Plain, "plain"),
        FollowUpFact {
            due: Some(d(2026, 12, 20)),
            ..task(FollowUpKind::Owe, "later promise")
        },
        task(FollowUpKind::Ask, "question"),
        FollowUpFact {
            due: Some(d(2026, 11, 30)),
            ..task(FollowUpKind::Owe, "overdue promise")
        },
        FollowUpFact {
            due: Some(d(2026, 11, 20)),
            ..task(FollowUpKind::Owe, "very overdue promise")
        },
    ];
    let brief = brief_of(&[Attendance::Known(p)]);
    let order: Vec<&str> = brief.people[0]
        .follow_ups
        .iter()
        .map(|f| f.text.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "very overdue promise",
            "overdue promise",
            "question",
            "later promise",
            "plain"
        ]
    );
}

// --- talking points and rotation --------------------------------------------

fn five_points() -> PersonFacts {
    PersonFacts {
        key: "pieter.md".into(),
        name: "Pieter Jansen".into(),
        points: (1..=5)
            .map(|i| point("Talk about", &format!("point {i}")))
            .collect(),
        ..PersonFacts::default()
    }
}

/// Another meeting (a later occurrence of the series, say).
fn nth(i: i64) -> Occurrence {
    let mut occ = meeting();
    occ.recurrence_id = Some(crate::calendar::model::RecurrenceId::DateTime(
        occ.start_utc() + Duration::days(7 * i),
    ));
    occ
}

#[test]
fn rotation_over_three_briefs_does_not_repeat_while_others_are_left() {
    let people = [Attendance::Known(five_points())];
    let s = settings();
    let (b1, m1) = compose(&nth(1), &people, &s, &Rotation::default(), &now());
    let (b2, m2) = compose(&nth(2), &people, &s, &m1, &now());
    let (b3, m3) = compose(&nth(3), &people, &s, &m2, &now());
    assert_eq!(texts(&b1.people[0]), ["point 1", "point 2", "point 3"]);
    // 4 and 5 were never shown; one of the last three has to come back, the
    // first one written.
    assert_eq!(texts(&b2.people[0]), ["point 1", "point 4", "point 5"]);
    // 2 and 3 are now the least recently shown; of the rest, all shown last
    // time, the one shown least often.
    assert_eq!(texts(&b3.people[0]), ["point 2", "point 3", "point 4"]);
    let (b4, _) = compose(&nth(4), &people, &s, &m3, &now());
    assert_eq!(texts(&b4.people[0]), ["point 1", "point 2", "point 5"]);
    assert_eq!(b1.people[0].more_talking_points, 2);
    assert_eq!(m3.people["pieter.md"].round, 3);
}

#[test]
fn briefs_for_the_same_meeting_show_the_same_points() {
    let people = [Attendance::Known(five_points())];
    let s = settings();
    let (first, m1) = compose(&nth(1), &people, &s, &Rotation::default(), &now());
    // The 2-minute reminder, a snooze, "Open brief": same points, memory kept.
    let (again, m2) = compose(&nth(1), &people, &s, &m1, &now());
    assert_eq!(texts(&again.people[0]), texts(&first.people[0]));
    assert_eq!(m2, m1);
    // Even after an edit that keeps those points.
    let mut edited = five_points();
    edited.points.insert(0, point("Talk about", "point 0"));
    let (edited_brief, _) = compose(&nth(1), &[Attendance::Known(edited)], &s, &m1, &now());
    assert_eq!(texts(&edited_brief.people[0]), texts(&first.people[0]));
    // The next meeting moves on.
    let (next, m3) = compose(&nth(2), &people, &s, &m2, &now());
    assert_eq!(texts(&next.people[0]), ["point 1", "point 4", "point 5"]);
    assert_eq!(m3.people["pieter.md"].round, 2);
    assert!(m3.people["pieter.md"]
        .meeting
        .as_deref()
        .unwrap()
        .starts_with("work/sync-1/"));
}

#[test]
fn rotation_with_enough_points_never_repeats_consecutively() {
    let mut p = five_points();
    p.points.push(point("Talk about", "point 6"));
    let people = [Attendance::Known(p)];
    let s = settings();
    let mut memory = Rotation::default();
    let mut previous: Vec<String> = Vec::new();
    for i in 0..6 {
        let (b, m) = compose(&nth(i), &people, &s, &memory, &now());
        let shown: Vec<String> = texts(&b.people[0]).iter().map(|t| t.to_string()).collect();
        assert_eq!(shown.len(), 3);
        assert!(
            shown.iter().all(|t| !previous.contains(t)),
            "{shown:?} repeats {previous:?}"
        );
        previous = shown;
        memory = m;
    }
}

#[test]
fn compose_is_pure_and_memory_only_changes_for_people_in_the_meeting() {
    let people = [Attendance::Known(five_points())];
    let mut memory = Rotation::default();
    memory.people.insert(
        "someone-else.md".into(),
        PersonRotation {
            round: 7,
            shown: [("x".to_owned(), Shown { round: 7, times: 2 })].into(),
            ..PersonRotation::default()
        },
    );
    let a = compose(&meeting(), &people, &settings(), &memory, &now());
    let b = compose(&meeting(), &people, &settings(), &memory, &now());
    assert_eq!(a, b);
    assert_eq!(
        a.1.people["someone-else.md"],
        memory.people["someone-else.md"]
    );
    assert_eq!(a.1.people["pieter.md"].shown.len(), 3);
}

#[test]
fn memory_forgets_points_that_left_the_note_and_survives_json() {
    let s = settings();
    let (_, m1) = compose(
        &meeting(),
        &[Attendance::Known(five_points())],
        &s,
        &Rotation::default(),
        &now(),
    );
    let mut edited = five_points();
    edited.points.remove(0); // "point 1" deleted from the note
    let (b2, m2) = compose(&nth(2), &[Attendance::Known(edited)], &s, &m1, &now());
    assert!(!m2.people["pieter.md"].shown.contains_key("point 1"));
    assert_eq!(texts(&b2.people[0]), ["point 2", "point 4", "point 5"]);
    let json = serde_json::to_string(&m2).unwrap();
    let back: Rotation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m2);
    // An older state file without the field still loads.
    assert_eq!(
        serde_json::from_str::<Rotation>("{}").unwrap(),
        Rotation::default()
    );
}

#[test]
fn prompts_per_person_limits_points_and_zero_shows_none() {
    let mut s = settings();
    s.prompts_per_person = 1;
    let (b, _) = compose(
        &meeting(),
        &[Attendance::Known(five_points())],
        &s,
        &Rotation::default(),
        &now(),
    );
    assert_eq!(texts(&b.people[0]), ["point 1"]);
    s.prompts_per_person = 0;
    let (b, m) = compose(
        &meeting(),
        &[Attendance::Known(five_points())],
        &s,
        &Rotation::default(),
        &now(),
    );
    assert!(b.people[0].talking_points.is_empty());
    assert_eq!(b.people[0].more_talking_points, 5);
    assert!(m.people.is_empty());
}

// --- private items ----------------------------------------------------------

#[test]
fn private_items_only_in_the_full_brief_marked() {
    let occ = meeting();
    let mut p = yvonne();
    // Even when it is the only point, it is never rotated into a notification.
    p.points.retain(|pt| pt.private);
    let (brief, memory) = compose(
        &occ,
        &[Attendance::Known(p)],
        &settings(),
        &Rotation::default(),
        &now(),
    );
    assert!(brief.people[0].talking_points.is_empty());
    assert_eq!(brief.people[0].private_points.len(), 1);
    assert_eq!(
        brief.people[0].private_points[0].text,
        "Lost her father in 2025"
    );
    assert!(memory.people.is_empty());

    let note = notification(&brief, &settings(), &now());
    assert!(!note.body.contains("father"), "{}", note.body);
    assert!(!note.summary.contains("father"));

    let md = markdown(&brief, &now());
    let marker = md.find("**Only if they raise it**").expect(&md);
    let item = md.find("- Lost her father in 2025 (Interests)").expect(&md);
    assert!(marker < item);
    assert!(!md.contains("#private"));
}

// --- notification -----------------------------------------------------------

#[test]
fn notification_summary_time_place_and_follow_ups_before_talking_points() {
    let brief = brief_of(&[Attendance::Known(tom()), Attendance::Known(yvonne())]);
    let note = notification(&brief, &settings(), &now());
    assert_eq!(note.summary, "Marketing sync in 10 min");
    let lines: Vec<&str> = note.body.lines().collect();
    assert_eq!(lines[0], "10:00–10:30 · Room 4.2");
    // Yvonne has something due today, so she comes first despite the
    // calendar order.
    assert_eq!(
        lines[1],
        "Yvonne Bakker (prefers phone): you owe: Send her the response numbers of the… (due today)"
    );
    assert!(
        lines[2].starts_with("  talk: Married to Joost"),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[3],
        "Tom de Vries: talk: Took his kids to Artis last weekend"
    );
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l.chars().count() <= MAX_LINE_CHARS));
}

#[test]
fn relative_times() {
    let meeting = brief_of(&[]).meeting;
    let cases = [
        (now_at(2026, 12, 1, 9, 50, 0), "in 10 min"),
        // A few seconds late still reads as the lead time.
        (now_at(2026, 12, 1, 9, 50, 20), "in 10 min"),
        // A 1-minute lead: due at 9:59:00, sent a moment later.
        (now_at(2026, 12, 1, 9, 59, 0), "in 1 min"),
        (now_at(2026, 12, 1, 9, 59, 1), "in 1 min"),
        (now_at(2026, 12, 1, 9, 59, 29), "in 1 min"),
        (now_at(2026, 12, 1, 9, 59, 31), "now"),
        (now_at(2026, 12, 1, 9, 59, 30), "now"),
        (now_at(2026, 12, 1, 10, 0, 0), "now"),
        (now_at(2026, 12, 1, 10, 2, 10), "started 2 min ago"),
        (now_at(2026, 12, 1, 8, 30, 0), "in 1 h 30 min"),
        (now_at(2026, 12, 1, 9, 0, 0), "in 1 h"),
        (now_at(2026, 11, 29, 9, 0, 0), "in 2 days"),
        (now_at(2026, 12, 1, 10, 45, 0), "ended 15 min ago"),
    ];
    for (t, want) in cases {
        assert_eq!(relative_when(&meeting, &t), want, "at {}", t.utc);
    }
    let brief = brief_of(&[]);
    let n = notification(&brief, &settings(), &now_at(2026, 12, 1, 10, 2, 10));
    assert_eq!(n.summary, "Marketing sync started 2 min ago");
}

#[test]
fn all_day_and_other_day_time_lines() {
    let mut occ = meeting();
    occ.all_day = true;
    occ.start = at(2026, 12, 2, 0, 0, 0).fixed_offset();
    occ.end = at(2026, 12, 3, 0, 0, 0).fixed_offset();
    let (brief, _) = compose(&occ, &[], &settings(), &Rotation::default(), &now());
    assert_eq!(relative_when(&brief.meeting, &now()), "tomorrow");
    assert_eq!(time_range(&brief, &now()), "Wed 2 Dec, all day");

    let occ = meeting();
    let brief = brief_of(&[]);
    assert_eq!(
        time_range(&brief, &now_at(2026, 11, 30, 12, 0, 0)),
        "Tue 1 Dec 10:00–10:30"
    );
    // Shown in the user's zone even when the event was written in another.
    let mut ny = meeting();
    ny.start = occ
        .start
        .with_timezone(&chrono_tz::America::New_York)
        .fixed_offset();
    ny.end = occ
        .end
        .with_timezone(&chrono_tz::America::New_York)
        .fixed_offset();
    let (brief, _) = compose(&ny, &[], &settings(), &Rotation::default(), &now());
    assert_eq!(time_range(&brief, &now()), "10:00–10:30");
}

#[test]
fn discreet_notification_shows_only_counts() {
    let occ = meeting();
    let mut s = settings();
    s.discreet = true;
    let (brief, _) = compose(
        &occ,
        &[
            Attendance::Known(yvonne()),
            Attendance::Known(tom()),
            unknown(Some("Alex Smith"), Some("alex@partner.example")),
        ],
        &s,
        &Rotation::default(),
        &now(),
    );
    let note = notification(&brief, &s, &now());
    assert_eq!(note.summary, "Marketing sync in 10 min");
    assert_eq!(
        note.body,
        "10:00–10:30 · Room 4.2\n2 people, 1 new · 1 follow-up, 4 talking points"
    );
    for secret in [
        "Yvonne",
        "Tom",
        "Alex",
        "Joost",
        "response numbers",
        "pitch",
    ] {
        assert!(!note.body.contains(secret), "{secret} in {}", note.body);
    }
    // The full brief is still complete.
    assert!(markdown(&brief, &now()).contains("Joost"));
}

#[test]
fn unknown_attendees_come_last_with_the_command_to_add_them() {
    let brief = brief_of(&[
        unknown(Some("Alex Smith"), Some("alex@partner.example")),
        Attendance::Known(tom()),
        unknown(None, Some("bo.chen+cal@partner.example")),
        // The same person twice (organizer and attendee) counts once.
        unknown(Some("Alex Smith"), Some("ALEX@partner.example")),
    ]);
    assert_eq!(brief.unknown.len(), 2);
    assert_eq!(
        brief.unknown[0].add_command,
        "rapport person add \"Alex Smith\" --email alex@partner.example"
    );
    assert_eq!(
        brief.unknown[1].add_command,
        "rapport person add \"Bo Chen\" --email bo.chen+cal@partner.example"
    );
    let note = notification(&brief, &settings(), &now());
    let lines: Vec<&str> = note.body.lines().collect();
    assert!(lines[1].starts_with("Tom de Vries"));
    assert_eq!(lines[2], "new: Alex Smith, Bo Chen — introduce yourself");
    assert!(lines[3].starts_with("your pitch: I build"));

    let md = markdown(&brief, &now());
    assert!(md.contains("## New to you"));
    assert!(md.contains("ask what they work on"));
    assert!(md.contains(
        "- Alex Smith <alex@partner.example>: `rapport person add \"Alex Smith\" --email alex@partner.example`"
    ));
}

#[test]
fn many_unknown_attendees_share_one_line() {
    let people: Vec<Attendance> = (1..=30)
        .map(|i| unknown(Some(&format!("Guest {i}")), None))
        .collect();
    let brief = brief_of(&people);
    let note = notification(&brief, &settings(), &now());
    let lines: Vec<&str> = note.body.lines().collect();
    assert_eq!(
        lines[1],
        "new: Guest 1, Guest 2, Guest 3 +27 — introduce yourself"
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn add_command_is_safe_to_paste_into_a_shell() {
    assert_eq!(
        add_command(Some("O'Brien, Seán"), Some("sean@x.example")),
        "rapport person add \"O'Brien, Seán\" --email sean@x.example"
    );
    assert_eq!(
        add_command(Some("Bob \"$(rm -rf ~)\""), None),
        "rapport person add 'Bob \"$(rm -rf ~)\"'"
    );
    assert_eq!(
        add_command(Some("it's $HOME"), None),
        "rapport person add 'it'\\''s $HOME'"
    );
    assert_eq!(
        add_command(None, None),
        "rapport person add \"Unknown attendee\""
    );
}

#[test]
fn notification_is_capped_at_ten_lines_with_a_count_of_the_rest() {
    let people: Vec<Attendance> = (1..=8)
        .map(|i| {
            Attendance::Known(PersonFacts {
                key: format!("p{i}.md"),
                name: format!("Person {i}"),
                points: vec![point("Talk", "a"), point("Talk", "b")],
                ..PersonFacts::default()
            })
        })
        .chain([unknown(Some("New One"), None)])
        .collect();
    let brief = brief_of(&people);
    let note = notification(&brief, &settings(), &now());
    let lines: Vec<&str> = note.body.lines().collect();
    // Time line + 10.
    assert_eq!(lines.len(), 1 + MAX_NOTIFICATION_LINES, "{}", note.body);
    // Kept: 4 people at 2 lines + person 5's first line. Cut: person 5's
    // second line (1 point), persons 6..8 (2 points each), the new attendee
    // and the pitch.
    assert_eq!(lines[9], "Person 5: talk: a");
    assert_eq!(lines[10], "+9 more in the brief");
}

#[test]
fn long_text_is_shortened_and_control_characters_do_not_break_lines() {
    let mut occ = meeting();
    occ.summary = "Sync\n\u{7}with\tmarketing".into();
    let mut p = tom();
    p.points = vec![point("Talk", &"word ".repeat(60))];
    let (brief, _) = compose(
        &occ,
        &[Attendance::Known(p)],
        &settings(),
        &Rotation::default(),
        &now(),
    );
    let note = notification(&brief, &settings(), &now());
    assert_eq!(note.summary, "Sync with marketing in 10 min");
    let lines: Vec<&str> = note.body.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].ends_with('…'));
    assert!(lines[1].chars().count() <= MAX_LINE_CHARS);
    assert!(lines[1].chars().count() > MAX_LINE_CHARS - 5);
    assert!(!note.body.chars().any(|c| c.is_control() && c != '\n'));
    occ.summary = "Quarterly planning ".repeat(10);
    let (brief, _) = compose(&occ, &[], &settings(), &Rotation::default(), &now());
    let note = notification(&brief, &settings(), &now());
    assert!(note.summary.ends_with("… in 10 min"), "{}", note.summary);
    assert!(note.summary.chars().count() <= MAX_TITLE_CHARS + " in 10 min".len());
}

// --- pitch ------------------------------------------------------------------

#[test]
fn pitch_for_new_people_and_people_who_asked_only() {
    // Known people only: no pitch.
    assert_eq!(brief_of(&[Attendance::Known(tom())]).pitch, None);
    // Someone new: pitch.
    let b = brief_of(&[Attendance::Known(tom()), unknown(Some("Alex"), None)]);
    assert_eq!(b.pitch, settings().pitch);
    // Someone with `pitch: true`.
    let mut t = tom();
    t.pitch = true;
    let b = brief_of(&[Attendance::Known(t.clone())]);
    assert_eq!(b.pitch, settings().pitch);
    let md = markdown(&b, &now());
    assert!(md.contains("## Your pitch\n\n> I build the data platform"));
    // No pitch configured: nothing, not an empty section.
    let (b, _) = compose(
        &meeting(),
        &[Attendance::Known(t)],
        &BriefSettings::default(),
        &Rotation::default(),
        &now(),
    );
    assert_eq!(b.pitch, None);
    assert!(!markdown(&b, &now()).contains("pitch"));
}

#[test]
fn settings_from_config_drop_a_blank_pitch() {
    let config = crate::config::Config {
        path: None,
        me: crate::people::Me {
            name: None,
            emails: vec![],
            pitch: Some("   ".into()),
        },
        calendars: vec![],
        people: crate::config::PeopleConfig {
            prompts_per_person: 2,
            ..crate::config::PeopleConfig::in_dir("/tmp/people".into())
        },
        notify: crate::config::NotifyConfig {
            discreet: true,
            ..Default::default()
        },
        digest: Default::default(),
        warnings: vec![],
    };
    assert_eq!(
        BriefSettings::from_config(&config),
        BriefSettings {
            prompts_per_person: 2,
            discreet: true,
            pitch: None
        }
    );
}

// --- full brief, JSON, debrief ----------------------------------------------

#[test]
fn full_brief_markdown_has_every_part() {
    let mut occ = meeting();
    occ.conference_url = Some("https://meet.example/abc".into());
    let (brief, _) = compose(
        &occ,
        &[
            Attendance::Known(yvonne()),
            Attendance::Ambiguous {
                name: Some("Tom".into()),
                email: None,
                candidates: vec!["tom-de-vries.md".into(), "tom-jansen.md".into()],
            },
        ],
        &settings(),
        &Rotation::default(),
        &now(),
    );
    let md = markdown(&brief, &now());
    let expected = "\
# Marketing sync

Today 10:00–10:30 (in 10 min) · Room 4.2
Join: <https://meet.example/abc>

## Yvonne Bakker

Head of Marketing · Acme, Marketing · prefers phone

Plays competitive tennis; club tournaments most weekends.

**Follow-ups**

- You owe: Send her the response numbers of the October mailing (due today)

**Talk about**

- Married to Joost; kids Sam (8) and Lotte (5) (Family)
- Tennis, club LTC Amstelpark (Interests)
- Italian cooking (Interests)

**Only if they raise it**

- Lost her father in 2025 (Interests)

**Last time** (Tue 24 Nov): Marketing sync: tournament next weekend

Note: `yvonne-bakker.md`

## Fits several notes

Add their email to the right note so rapport can tell them apart.

- Tom: tom-de-vries.md, tom-jansen.md
";
    assert_eq!(md, expected);
}

#[test]
fn empty_meeting_says_so() {
    let md = markdown(&brief_of(&[]), &now());
    assert!(md.contains("No one else to prepare for."));
}

#[test]
fn json_has_the_documented_shape() {
    let brief = brief_of(&[Attendance::Known(yvonne()), unknown(Some("Alex"), None)]);
    let v = serde_json::to_value(&brief).unwrap();
    assert_eq!(v["meeting"]["title"], "Marketing sync");
    assert_eq!(v["meeting"]["start"], "2026-12-01T10:00:00+01:00");
    let y = &v["people"][0];
    assert_eq!(y["path"], "yvonne-bakker.md");
    assert_eq!(y["prefers"], "phone");
    assert_eq!(y["follow_ups"][0]["kind"], "owe");
    assert_eq!(y["follow_ups"][0]["due"], "2026-12-01");
    assert_eq!(y["follow_ups"][0]["due_state"], "due today");
    assert_eq!(y["last_time"]["date"], "2026-11-24");
    assert_eq!(y["private_points"][0]["text"], "Lost her father in 2025");
    assert_eq!(v["unknown"][0]["add_command"], "rapport person add Alex");
    assert!(v["pitch"].is_string());
}

#[test]
fn the_same_person_twice_is_briefed_once() {
    let brief = brief_of(&[Attendance::Known(tom()), Attendance::Known(tom())]);
    assert_eq!(brief.people.len(), 1);
}

#[test]
fn last_time_is_the_newest_log_entry() {
    let brief = brief_of(&[Attendance::Known(yvonne())]);
    let last = brief.people[0].last_time.as_ref().unwrap();
    assert_eq!(last.date, d(2026, 11, 24));
    assert_eq!(last.text, "Marketing sync: tournament next weekend");
    // Same day: the entry written last wins.
    let mut p = tom();
    p.log = vec![
        (d(2026, 11, 24), "first".into()),
        (d(2026, 11, 24), "second".into()),
    ];
    let brief = brief_of(&[Attendance::Known(p)]);
    assert_eq!(brief.people[0].last_time.as_ref().unwrap().text, "second");
}

#[test]
fn debrief_asks_about_everyone_by_first_name() {
    let brief = brief_of(&[
        Attendance::Known(tom()),
        Attendance::Known(yvonne()),
        unknown(None, Some("alex.smith@partner.example")),
    ]);
    let d = debrief(&brief).unwrap();
    assert_eq!(d.summary, "How did Marketing sync go?");
    // Yvonne first: the brief orders people by what is pending.
    assert_eq!(d.body, "Anything to remember about Yvonne, Tom, Alex?");

    assert_eq!(debrief(&brief_of(&[])), None);

    let mut other_tom = tom();
    other_tom.key = "tom-jansen.md".into();
    other_tom.name = "Tom Jansen".into();
    let brief = brief_of(&[Attendance::Known(tom()), Attendance::Known(other_tom)]);
    assert_eq!(
        debrief(&brief).unwrap().body,
        "Anything to remember about Tom de Vries, Tom Jansen?"
    );

    let many: Vec<Attendance> = (1..=6)
        .map(|i| unknown(Some(&format!("N{i} X")), None))
        .collect();
    assert_eq!(
        debrief(&brief_of(&many)).unwrap().body,
        "Anything to remember about N1, N2, N3 and 3 others?"
    );
}

// --- from the people notes --------------------------------------------------

const NOTE: &str = "---
name: Yvonne Bakker
emails: [yvonne.bakker@acme.example]
org: Acme, Marketing
role: Head of Marketing
prefers: phone
pitch: true
---
Plays competitive tennis.

## Family
- Kids:
  - Sam (8)
  - Lotte (5)
  - Lotte's health #private
- Married to Joost

## Interests
- Lost her father in 2025 #private
  - Went to the funeral
- Italian cooking

## Follow-ups
- [ ] Ask how the club tournament went 🛫 2026-12-06
- [ ] Send her the response numbers 📅 2026-12-01
- [x] Introduce her to Pieter ✅ 2026-11-20

## Log
- 2026-11-24 Marketing sync
- 2026-11-10 Kick-off
";

#[test]
fn facts_from_a_parsed_note() {
    let person = crate::people::parse_person(std::path::Path::new("acme/yvonne.md"), NOTE).unwrap();
    let facts = PersonFacts::from_person(&person);
    assert_eq!(facts.key, "acme/yvonne.md");
    assert!(facts.pitch);
    let points: Vec<(&str, bool)> = facts
        .points
        .iter()
        .map(|p| (p.text.as_str(), p.private))
        .collect();
    assert_eq!(
        points,
        [
            // Nested bullets join their parent; a private one stays apart.
            ("Kids: Sam (8); Lotte (5)", false),
            ("Lotte's health", true),
            ("Married to Joost", false),
            ("Lost her father in 2025", true),
            // The child of a private bullet is private context too: it must
            // not turn up as a talking point of its own.
            ("Went to the funeral", true),
            ("Italian cooking", false),
        ]
    );
    let kinds: Vec<FollowUpKind> = facts.follow_ups.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FollowUpKind::Ask, FollowUpKind::Owe]);
    assert_eq!(facts.follow_ups[0].start, Some(d(2026, 12, 6)));
    assert_eq!(facts.follow_ups[1].due, Some(d(2026, 12, 1)));
    assert_eq!(facts.log.len(), 2);
}

#[test]
fn attendance_drops_me_and_rooms_and_keeps_calendar_order() {
    use crate::calendar::model::Attendee;
    use crate::people::matching::{Match, MatchedAttendee};
    let person = crate::people::parse_person(std::path::Path::new("y.md"), NOTE).unwrap();
    let people = crate::people::People {
        dir: "/notes".into(),
        people: vec![person],
        errors: vec![],
    };
    let who = |name: &str, email: &str, matched| MatchedAttendee {
        attendee: Attendee {
            name: Some(name.into()),
            email: Some(email.into()),
            ..Attendee::default()
        },
        matched,
    };
    let matched = vec![
        who("Me", "me@x.example", Match::Me),
        who("Alex", "alex@x.example", Match::Unknown),
        who("Room 4.2", "room@x.example", Match::Room),
        who("Yvonne", "yvonne.bakker@acme.example", Match::Person(0)),
        who("Tom", "tom@x.example", Match::Ambiguous(vec![0])),
    ];
    let a = attendance(&matched, &people);
    assert_eq!(a.len(), 3);
    assert!(matches!(&a[0], Attendance::Unknown { name: Some(n), .. } if n == "Alex"));
    assert!(matches!(&a[1], Attendance::Known(f) if f.name == "Yvonne Bakker"));
    assert!(
        matches!(&a[2], Attendance::Ambiguous { candidates, .. } if candidates == &["y.md".to_owned()])
    );
}

#[test]
fn clock_times_follow_the_zone_across_a_dst_change() {
    // Briefed on Friday in summer time (+02:00) for a Monday meeting in
    // winter time (+01:00): the meeting still reads 10:00.
    let mut occ = meeting();
    occ.start = at(2026, 10, 26, 10, 0, 0).fixed_offset();
    occ.end = at(2026, 10, 26, 10, 30, 0).fixed_offset();
    let friday = now_at(2026, 10, 23, 12, 0, 0);
    let (brief, _) = compose(&occ, &[], &settings(), &Rotation::default(), &friday);
    assert_eq!(time_range(&brief, &friday), "Mon 26 Oct 10:00–10:30");
    assert_eq!(
        brief.meeting.start.to_rfc3339(),
        "2026-10-26T10:00:00+01:00"
    );
}

// --- which meeting `rapport brief` shows ------------------------------------

fn occ_at(uid: &str, title: &str, h: u32, min: u32) -> Occurrence {
    let mut o = meeting();
    o.uid = uid.into();
    o.summary = title.into();
    o.start = at(2026, 12, 1, h, min, 0).fixed_offset();
    o.end = (at(2026, 12, 1, h, min, 0) + Duration::minutes(30)).fixed_offset();
    o
}

fn pick<'a>(occs: &'a [Occurrence], q: Option<&str>, at_now: &Now) -> Option<&'a str> {
    let notify = crate::config::NotifyConfig::default();
    find_meeting(occs, q, &notify, |o| !o.attendees.is_empty(), at_now.utc).map(|o| o.uid.as_str())
}

#[test]
fn next_meeting_skips_what_the_daemon_would_skip() {
    let person = crate::calendar::model::Attendee {
        name: Some("Tom de Vries".into()),
        email: Some("tom@acme.example".into()),
        ..Default::default()
    };
    let with = |mut o: Occurrence| {
        o.attendees = vec![person.clone()];
        o
    };
    let mut cancelled = with(occ_at("cancelled", "Cancelled", 10, 0));
    cancelled.status = Some(crate::calendar::model::Status::Cancelled);
    let mut declined = with(occ_at("declined", "Declined", 10, 5));
    declined.my_status = Some(crate::calendar::model::PartStat::Declined);
    let mut all_day = with(occ_at("all-day", "Offsite", 0, 0));
    all_day.all_day = true;
    all_day.end = at(2026, 12, 2, 0, 0, 0).fixed_offset();
    let solo = occ_at("solo", "Focus time", 10, 10);
    let earlier = with(occ_at("earlier", "Standup", 9, 0));
    let wanted = with(occ_at("wanted", "Marketing sync", 11, 0));
    let later = with(occ_at("later", "Retro", 14, 0));
    let occs = vec![all_day, earlier, cancelled, declined, solo, wanted, later];

    assert_eq!(
        pick(&occs, None, &now_at(2026, 12, 1, 9, 50, 0)),
        Some("wanted")
    );
    // Standup started 10 minutes ago: still "next".
    assert_eq!(
        pick(&occs, None, &now_at(2026, 12, 1, 9, 10, 0)),
        Some("earlier")
    );
    // 20 minutes in, it is not.
    assert_eq!(
        pick(&occs, None, &now_at(2026, 12, 1, 9, 20, 0)),
        Some("wanted")
    );
    assert_eq!(pick(&occs, None, &now_at(2026, 12, 1, 15, 0, 0)), None);

    // A query finds any kind, even declined or solo, but not cancelled.
    let at_9 = now_at(2026, 12, 1, 9, 50, 0);
    assert_eq!(pick(&occs, Some("focus"), &at_9), Some("solo"));
    assert_eq!(pick(&occs, Some("declined"), &at_9), Some("declined"));
    assert_eq!(pick(&occs, Some("cancelled"), &at_9), None);
    // By attendee name (accents and case ignored) and address; the all-day
    // one comes first, and counts for a query.
    assert_eq!(pick(&occs, Some("TOM DE"), &at_9), Some("all-day"));
    assert_eq!(pick(&occs[1..], Some("TOM DE"), &at_9), Some("declined"));
    assert_eq!(pick(&occs[1..], Some("tom@acme"), &at_9), Some("declined"));
    assert_eq!(pick(&occs, Some("retro"), &at_9), Some("later"));
    let mut accented = occs.clone();
    accented[6].summary = "Rétro with René".into();
    assert_eq!(pick(&accented, Some("rene"), &at_9), Some("later"));
    // The Standup is over by 9:50; a query does not bring it back.
    assert_eq!(pick(&occs, Some("standup"), &at_9), None);
}

/// Follow-ups tagged `#private` (read through `FollowUp::is_private`) are in
/// the full brief, never in a notification or its discreet counts.
#[test]
fn private_follow_ups_stay_out_of_notifications() {
    let person = crate::people::parse_person(
        std::path::Path::new("tom.md"),
        "---\nname: Tom\n---\n## Follow-ups\n\
         - [ ] Ask about his divorce #private 🛫 2026-11-01\n\
         - [ ] Send the slides 📅 2026-12-01\n",
    )
    .unwrap();
    let facts = PersonFacts::from_person(&person);
    assert_eq!(
        facts
            .follow_ups
            .iter()
            .map(|f| f.private)
            .collect::<Vec<_>>(),
        [true, false]
    );
    let brief = brief_of(&[Attendance::Known(facts)]);
    let note = notification(&brief, &settings(), &now());
    assert!(!note.body.contains("divorce"), "{}", note.body);
    assert!(note.body.contains("slides"), "{}", note.body);
    let discreet = BriefSettings {
        discreet: true,
        ..settings()
    };
    let note = notification(&brief, &discreet, &now());
    assert!(note.body.contains("1 follow-up"), "{}", note.body);
    assert!(markdown(&brief, &now()).contains("divorce"));
}

/// A brief shows the last contact with its source and the dates within a
/// week of the meeting (a #private one only in the full brief).
#[test]
fn last_contact_and_dates_near_the_meeting() {
    let person = crate::people::parse_person(
        std::path::Path::new("ann.md"),
        "---\nname: Ann\nbirthday: 1985-12-04\ndates:\n  - {date: --12-02, what: surgery, private: true}\n  \
         - {date: --12-25, what: holiday}\n---\n## Log\n- 2026-11-10 Lunch\n- 2027-01-05 Planned\n\
         - [x] Sent the deck ✅ 2026-11-12\n",
    )
    .unwrap();
    let mut facts = PersonFacts::from_person(&person);
    assert_eq!(facts.last_contact.as_ref().unwrap().date, d(2027, 1, 5));
    // A Log date after the brief's day is not contact yet: the meeting's
    // caller (or the task) gives the last one; here the task of 12 Nov.
    facts.last_contact =
        crate::people::contact::last_contact(&person, None, d(2026, 12, 1)).map(|c| ContactFact {
            date: c.date,
            source: c.source,
            text: c.text.to_string(),
        });
    let brief = brief_of(&[Attendance::Known(facts)]);
    let p = &brief.people[0];
    let c = p.last_contact.as_ref().unwrap();
    assert_eq!(c.date, d(2026, 11, 12));
    assert_eq!(c.source, crate::people::contact::ContactSource::Task);
    let said: Vec<&str> = p.dates.iter().map(|d| d.said.as_str()).collect();
    assert_eq!(said, ["surgery tomorrow", "birthday Fri, turns 41"]);
    let json = serde_json::to_value(p).unwrap();
    assert_eq!(json["last_contact"]["source"], "task");
    assert_eq!(json["dates"][1]["in_days"], 3);
    let note = notification(&brief, &settings(), &now());
    assert!(
        note.body.contains("birthday Fri, turns 41"),
        "{}",
        note.body
    );
    assert!(!note.body.contains("surgery"), "{}", note.body);
    let md = markdown(&brief, &now());
    assert!(md.contains("- surgery tomorrow (private)"), "{md}");
    assert!(md.contains("**Last contact**: 2 weeks ago, task"), "{md}");
}
