use chrono::{Duration, FixedOffset, TimeZone};

use super::*;
use crate::calendar::model::{PartStat, Status};
use crate::people::parse_person;
use crate::people::Me;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
}

fn who(email: &str, name: &str) -> Attendee {
    Attendee {
        name: (!name.is_empty()).then(|| name.to_string()),
        email: (!email.is_empty()).then(|| email.to_string()),
        role: Some("req-participant".into()),
        partstat: Some("accepted".into()),
        cutype: Some("individual".into()),
    }
}

fn me() -> Attendee {
    who("me@corp.example", "Me Myself")
}

/// A one-hour meeting `days_ago` days before now (negative: ahead), that I
/// organise, with these attendees.
fn meeting(uid: &str, days_ago: i64, title: &str, attendees: Vec<Attendee>) -> Occurrence {
    let start =
        (now() - Duration::days(days_ago)).with_timezone(&FixedOffset::east_opt(3600).unwrap());
    Occurrence {
        calendar: "work".into(),
        uid: uid.into(),
        recurrence_id: None,
        summary: title.into(),
        description: None,
        location: None,
        conference_url: None,
        start,
        end: start + Duration::hours(1),
        all_day: false,
        tz: Some("Europe/Amsterdam".into()),
        status: Some(Status::Confirmed),
        transparent: false,
        organizer: Some(me()),
        attendees: std::iter::once(me()).chain(attendees).collect(),
        my_status: Some(PartStat::Accepted),
        sequence: 0,
    }
}

/// A one-to-one `days_ago` days before now.
fn one(uid: &str, days_ago: i64, title: &str, email: &str, name: &str) -> Occurrence {
    meeting(uid, days_ago, title, vec![who(email, name)])
}

fn people(notes: &[(&str, &str)]) -> People {
    People {
        people: notes
            .iter()
            .map(|(p, t)| parse_person(std::path::Path::new(p), t).unwrap())
            .collect(),
        ..People::default()
    }
}

fn my_config() -> Me {
    Me {
        name: Some("Me Myself".into()),
        emails: vec!["me@corp.example".into()],
        pitch: None,
    }
}

fn suggest(people: &People, occurrences: &[Occurrence]) -> Vec<Suggestion> {
    let matcher = Matcher::new(people, &my_config());
    let options = SuggestOptions::new(now(), DEFAULT_SINCE_MONTHS, DEFAULT_LARGE_MEETING);
    let mut s = Suggester::new(&matcher, Zone::utc(), now(), options);
    for o in occurrences {
        s.add(o);
    }
    s.finish()
}

fn known() -> People {
    people(&[
        (
            "yvonne.md",
            "---\nname: Yvonne Bakker\nemails: [yvonne@corp.example]\n---\n",
        ),
        ("tom.md", "---\nname: Tom de Vries\n---\n"),
    ])
}

/// A year of meetings whose ranking is known: weekly one-to-ones count
/// most, then fortnightly, monthly, a weekly meeting of six, a single
/// meeting ahead, and four one-to-ones ten months ago last.
fn year() -> Vec<Occurrence> {
    let mut all = Vec::new();
    let team = || {
        vec![
            who("carol@corp.example", "Carol Chen"),
            who("yvonne@corp.example", "Yvonne Bakker"),
            who("tom.dv@corp.example", "de Vries, Tom"),
            who("room-4.12@corp.example", "Room 4.12"),
            Attendee {
                cutype: Some("room".into()),
                ..who("aquarium@corp.example", "Aquarium")
            },
            Attendee {
                cutype: Some("group".into()),
                ..who("team@corp.example", "Team")
            },
        ]
    };
    for week in 0..52 {
        let d = 7 * week + 1;
        all.push(one(
            &format!("alice-{week}"),
            d,
            "Alice / me",
            "alice@partner.example",
            "Alice Adams",
        ));
        all.push(meeting(&format!("team-{week}"), d + 2, "Team sync", team()));
        if week % 2 == 0 {
            // Two addresses and two spellings of one person.
            let hank = if week % 4 == 0 {
                who("hank@acme.example", "Hank Hill")
            } else {
                who("hank.hill@gmail.com", "Hill, Hank")
            };
            all.push(meeting(
                &format!("hank-{week}"),
                d + 3,
                "Hank 1:1",
                vec![hank],
            ));
        }
    }
    for month in 0..12 {
        let bob = one(
            &format!("bob-{month}"),
            30 * month + 5,
            "Bob monthly",
            "bob@stone.example",
            "Bob",
        );
        // The same meeting in a second calendar counts once.
        if month == 3 {
            all.push(Occurrence {
                calendar: "shared".into(),
                ..bob.clone()
            });
        }
        all.push(bob);
    }
    for week in 0..4 {
        all.push(one(
            &format!("dave-{week}"),
            300 + 7 * week,
            "Dave onboarding",
            "dave@dave.example",
            "Dave Doe",
        ));
    }
    all.push(one(
        "judy",
        -10,
        "Intro Judy",
        "judy@judy.example",
        "Judy J",
    ));

    // Never suggested:
    let crowd: Vec<Attendee> = (0..15)
        .map(|i| who(&format!("p{i}@crowd.example"), &format!("Crowd {i}")))
        .collect();
    all.push(meeting("all-hands", 3, "All hands", crowd)); // 16 people > 15
    all.push(Occurrence {
        status: Some(Status::Cancelled),
        ..one("frank", 2, "Cancelled", "frank@f.example", "Frank")
    });
    all.push(Occurrence {
        my_status: Some(PartStat::Declined),
        ..one("gina", 2, "Declined by me", "gina@g.example", "Gina")
    });
    all.push(meeting(
        "gina-2",
        4,
        "Declined by Gina",
        vec![Attendee {
            partstat: Some("declined".into()),
            ..who("gina@g.example", "Gina")
        }],
    ));
    all.push(Occurrence {
        all_day: true,
        ..one("ivan", 5, "Ivan OOO", "ivan@i.example", "Ivan")
    });
    all.push(one("ken", 800, "Long ago", "ken@k.example", "Ken"));
    all.push(one(
        "ken-ahead",
        -40,
        "Too far ahead",
        "ken@k.example",
        "Ken",
    ));
    all.push(meeting(
        "bots",
        6,
        "Robots",
        vec![
            who("noreply@corp.example", "Corp"),
            who("calendar-notification@google.com", "Google Calendar"),
            who("abc123@group.calendar.google.com", "Holidays"),
            who("info@corp.example", ""),
            who("x@notifications.example", "No-Reply Bot"),
            who("updates@noreply.github.com", "GitHub"),
        ],
    ));
    all
}

#[test]
fn generated_year_ranks_as_expected() {
    let got = suggest(&known(), &year());
    let names: Vec<&str> = got.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Alice Adams",
            "Hank Hill",
            "Bob",
            "Carol Chen",
            "Judy J",
            "Dave Doe"
        ],
        "{got:#?}"
    );
}

#[test]
fn generated_year_details() {
    let got = suggest(&known(), &year());
    let by = |name: &str| got.iter().find(|s| s.name == name).unwrap();
    let hank = by("Hank Hill");
    assert_eq!(hank.emails, ["hank.hill@gmail.com", "hank@acme.example"]);
    assert_eq!(hank.meetings, 26);
    // From the non-free address only.
    assert_eq!(hank.org.as_deref(), Some("Acme"));
    let bob = by("Bob");
    assert_eq!(bob.meetings, 12);
    assert_eq!(bob.org.as_deref(), Some("Stone"));
    let alice = by("Alice Adams");
    assert_eq!(
        (
            alice.first.to_string(),
            alice.last.to_string(),
            alice.last_title.as_str()
        ),
        ("2025-12-11".into(), "2026-12-03".into(), "Alice / me")
    );
    let judy = by("Judy J");
    assert_eq!(
        (judy.first.to_string(), judy.last.to_string()),
        ("2026-12-14".into(), "2026-12-14".into())
    );
    let v = serde_json::to_value(judy).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"name": "Judy J", "emails": ["judy@judy.example"], "meetings": 1,
            "first": "2026-12-14", "last": "2026-12-14", "last_title": "Intro Judy", "org": "Judy"})
    );
}

#[test]
fn adopting_twice_adopts_nobody_twice() {
    let occurrences = year();
    let mut folder = known();
    let suggestions = suggest(&folder, &occurrences);
    let plan = plan_adopt(&suggestions, &folder, &Pick::Top(2));
    let made: Vec<(String, String)> = plan
        .created
        .iter()
        .map(|n| (n.name.clone(), n.person.display().to_string()))
        .collect();
    assert_eq!(
        made,
        [
            ("Alice Adams".into(), "alice-adams.md".into()),
            ("Hank Hill".into(), "hank-hill.md".into())
        ]
    );
    let hank = parse_person(&plan.created[1].person, &plan.created[1].text).unwrap();
    assert_eq!(hank.emails, ["hank.hill@gmail.com", "hank@acme.example"]);
    assert_eq!(hank.org.as_deref(), Some("Acme"));
    for note in &plan.created {
        folder
            .people
            .push(parse_person(&note.person, &note.text).unwrap());
    }
    // They now match their notes: the next best are next.
    let again = suggest(&folder, &occurrences);
    assert_eq!(again[0].name, "Bob");
    let plan = plan_adopt(
        &again,
        &folder,
        &Pick::Chosen(vec![
            "Alice Adams".into(),
            "HANK@acme.example".into(),
            "bob@stone.example".into(),
            "carol".into(),
            "Nobody Here".into(),
        ]),
    );
    let made: Vec<&str> = plan.created.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(made, ["Bob", "Carol Chen"]);
    let refused: Vec<(&str, &str)> = plan
        .not_adopted
        .iter()
        .map(|n| (n.query.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(
        refused,
        [
            ("Alice Adams", "already has a note: alice-adams.md"),
            ("HANK@acme.example", "already has a note: hank-hill.md"),
            (
                "Nobody Here",
                "no suggestion matches; `rapport people suggest` lists them"
            ),
        ]
    );
}

#[test]
fn several_suggestions_of_one_name_need_an_email() {
    let occurrences = vec![
        one("a", 1, "x", "tom@a.example", "Tom"),
        one("b", 2, "y", "tom@b.example", "Tom"),
    ];
    let folder = People::default();
    let got = suggest(&folder, &occurrences);
    // One-word names say too little to join two addresses.
    assert_eq!(got.len(), 2);
    let plan = plan_adopt(&got, &folder, &Pick::Chosen(vec!["tom".into()]));
    assert!(plan.created.is_empty());
    assert!(
        plan.not_adopted[0]
            .reason
            .starts_with("matches several suggestions: Tom <tom@a.example>; Tom <tom@b.example>"),
        "{plan:?}"
    );
}

#[test]
fn orgs_from_domains() {
    for (domain, org) in [
        ("acme.example", Some("Acme")),
        ("eng.acme.com", Some("Acme")),
        ("acme.co.uk", Some("Acme")),
        ("mail.big-co.com.au", Some("Big-Co")),
        ("ibm.com", Some("IBM")),
        ("contoso.onmicrosoft.com", Some("Contoso")),
        ("gmail.com", None),
        ("googlemail.com", None),
        ("outlook.com", None),
        ("hotmail.co.uk", None),
        ("hotmail.fr", None),
        ("live.nl", None),
        ("icloud.com", None),
        ("me.com", None),
        ("yahoo.co.jp", None),
        ("proton.me", None),
        ("protonmail.com", None),
        ("gmx.de", None),
        ("gmx.net", None),
        ("web.de", None),
        ("localhost", None),
        ("co.uk", None),
    ] {
        assert_eq!(org_from_domain(domain).as_deref(), org, "{domain}");
    }
}

#[test]
fn role_and_room_addresses() {
    for e in [
        "noreply@x.example",
        "no-reply@x.example",
        "do_not_reply@x.example",
        "notifications@github.com",
        "calendar@x.example",
        "info+events@x.example",
        "calendar-notification@google.com",
        "abc@group.calendar.google.com",
        "c_188@resource.calendar.google.com",
        "bot@noreply.github.com",
        "x@notifications.example",
    ] {
        assert!(is_role_address(e), "{e}");
    }
    for e in [
        "nora.reply@x.example",
        "information.tech@x.example",
        "ana@x.example",
    ] {
        assert!(!is_role_address(e), "{e}");
    }
    for name in [
        "Room 4.12",
        "Boardroom (12)",
        "conf-room-3",
        "Besprechungsraum Nord",
    ] {
        assert!(is_room_like(name), "{name}");
    }
    for name in ["Roomba Smith", "Ana Lima"] {
        assert!(!is_room_like(name), "{name}");
    }
    assert!(is_role_name("No-Reply Bot") && is_role_name("Do Not Reply"));
    assert!(!is_role_name("Nora Reply"));
}

#[test]
fn names_for_notes() {
    assert_eq!(display_name("\"Bakker, Yvonne (Acme)\""), "Yvonne Bakker");
    assert_eq!(display_name("Tom de Vries, PhD"), "Tom de Vries, PhD");
    assert_eq!(display_name("  Ana   Lima [EXT] "), "Ana Lima");
    assert_eq!(
        name_from_email("yvonne.bakker+cal@acme.example"),
        "Yvonne Bakker"
    );
    assert_eq!(name_from_email("jsmith@acme.example"), "jsmith");
    assert_eq!(name_from_email("j.smith2@acme.example"), "j.smith2");
}

#[test]
fn a_title_before_the_name_is_the_same_person() {
    let occurrences = vec![
        one("a", 3, "Review", "chris@acme.example", "Dr. Chris O'Neil"),
        one("b", 10, "Sync", "chris.oneil@gmail.com", "Chris O'Neil"),
        one("c", 12, "Intro", "ann@acme.example", "Prof. Ann"),
    ];
    let found = suggest(&people(&[]), &occurrences);
    let chris: Vec<&Suggestion> = found.iter().filter(|s| s.name.contains("Chris")).collect();
    assert_eq!(chris.len(), 1, "{found:#?}");
    assert_eq!(chris[0].emails.len(), 2, "{found:#?}");
    assert_eq!(chris[0].meetings, 2);
    assert_eq!(without_honorifics("dr chris o neil"), "chris o neil");
    // A title with one name after it stays: "prof ann" could be anyone.
    assert_eq!(without_honorifics("prof ann"), "prof ann");
    assert_eq!(without_honorifics("drs ir jan de vries"), "jan de vries");
}
