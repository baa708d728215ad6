//! Attendee matching: every rule of issue 3.

use std::path::{Path, PathBuf};

use rapport::calendar::model::Attendee;
use rapport::people::matching::{Match, Matcher};
use rapport::people::Me;
use rapport::people::{parse_person, People};

fn person(file: &str, front_matter: &str) -> rapport::people::Person {
    parse_person(Path::new(file), &format!("---\n{front_matter}\n---\n")).unwrap()
}

fn people() -> People {
    People {
        dir: PathBuf::from("/people"),
        people: vec![
            // 0
            person(
                "yvonne.md",
                "name: Yvonne Bakker\nemails: [yvonne.bakker@acme.example, Y.Bakker@Gmail.com]\naliases: [\"Bakker, Yvonne\", Yvonne B.]",
            ),
            // 1
            person("tom.md", "name: Tom de Vries\nemail: tom@devries.example"),
            // 2
            person("rene.md", "name: René Dubois"),
            // 3, 4: same name, different people
            person("sam-a.md", "name: Sam Jansen\nemail: sam@a.example"),
            person("sam-b.md", "name: Sam Jansen\nemail: sam@b.example"),
            // 5: no accent in the note, accent in the calendar
            person("chloe.md", "name: Chloe Martin"),
            // 6: a plus-address in the note
            person("ops.md", "name: Ops Person\nemail: ops+team@corp.example"),
            // 7: shares an alias with nobody, but a shared inbox with 8
            person("kim.md", "name: Kim Lee\nemail: office@shared.example"),
            person("lee.md", "name: Lee Kim\nemail: office@shared.example"),
        ],
        errors: vec![],
    }
}

fn me() -> Me {
    Me {
        name: Some("Ada Lovelace".into()),
        emails: vec!["ada@corp.example".into()],
        pitch: None,
    }
}

fn att(name: Option<&str>, email: Option<&str>) -> Attendee {
    Attendee {
        name: name.map(String::from),
        email: email.map(String::from),
        ..Attendee::default()
    }
}

fn matched(a: Attendee) -> Match {
    let p = people();
    Matcher::new(&p, &me()).match_one(&a)
}

#[test]
fn by_email_any_case_and_mailto() {
    assert_eq!(
        matched(att(None, Some("yvonne.bakker@acme.example"))),
        Match::Person(0)
    );
    assert_eq!(
        matched(att(None, Some("YVONNE.BAKKER@ACME.EXAMPLE"))),
        Match::Person(0)
    );
    assert_eq!(
        matched(att(None, Some("y.bakker@gmail.com"))),
        Match::Person(0)
    );
    assert_eq!(
        matched(att(None, Some("MAILTO:Y.Bakker@gmail.com"))),
        Match::Person(0)
    );
    // The email decides even when the display name is something else.
    assert_eq!(
        matched(att(Some("YB (Acme)"), Some("tom@devries.example"))),
        Match::Person(1)
    );
}

#[test]
fn plus_addresses() {
    assert_eq!(
        matched(att(None, Some("yvonne.bakker+calendar@acme.example"))),
        Match::Person(0)
    );
    assert_eq!(
        matched(att(None, Some("ops@corp.example"))),
        Match::Person(6)
    );
    assert_eq!(
        matched(att(None, Some("ops+other@corp.example"))),
        Match::Person(6)
    );
}

#[test]
fn outlook_last_first_and_dutch_particles() {
    assert_eq!(matched(att(Some("Bakker, Yvonne"), None)), Match::Person(0));
    assert_eq!(matched(att(Some("de Vries, Tom"), None)), Match::Person(1));
    assert_eq!(matched(att(Some("Vries, Tom de"), None)), Match::Person(1));
    assert_eq!(
        matched(att(Some("DE VRIES, TOM"), Some("tom.dv@other.example"))),
        Match::Person(1)
    );
    assert_eq!(
        matched(att(Some("Tom  de   Vries"), None)),
        Match::Person(1)
    );
}

#[test]
fn accents_both_ways() {
    assert_eq!(matched(att(Some("Rene Dubois"), None)), Match::Person(2));
    assert_eq!(matched(att(Some("RENÉ DUBOIS"), None)), Match::Person(2));
    assert_eq!(matched(att(Some("Dubois, René"), None)), Match::Person(2));
    assert_eq!(matched(att(Some("Chloé Martin"), None)), Match::Person(5));
    // Decomposed input (e + combining acute) is the same name.
    assert_eq!(
        matched(att(Some("Chloe\u{301} Martin"), None)),
        Match::Person(5)
    );
}

#[test]
fn aliases_count_as_names() {
    assert_eq!(matched(att(Some("Yvonne B."), None)), Match::Person(0));
    assert_eq!(
        matched(att(Some("yvonne b"), Some("unknown@elsewhere.example"))),
        Match::Person(0)
    );
}

#[test]
fn ambiguity_matches_nobody_and_is_reported() {
    assert_eq!(
        matched(att(Some("Sam Jansen"), None)),
        Match::Ambiguous(vec![3, 4])
    );
    assert_eq!(
        matched(att(Some("Jansen, Sam"), None)),
        Match::Ambiguous(vec![3, 4])
    );
    // An email settles what the name cannot.
    assert_eq!(
        matched(att(Some("Sam Jansen"), Some("sam@b.example"))),
        Match::Person(4)
    );
    assert_eq!(
        matched(att(None, Some("office@shared.example"))),
        Match::Ambiguous(vec![7, 8])
    );
}

#[test]
fn self_by_email_and_by_name() {
    assert_eq!(
        matched(att(Some("Ada"), Some("ADA@corp.example"))),
        Match::Me
    );
    assert_eq!(
        matched(att(None, Some("mailto:ada+meetings@corp.example"))),
        Match::Me
    );
    assert_eq!(matched(att(Some("Lovelace, Ada"), None)), Match::Me);
    assert_eq!(
        matched(att(Some("ada lovelace"), Some("ada@private.example"))),
        Match::Me
    );
}

#[test]
fn rooms_and_resources_are_never_people() {
    for cutype in ["room", "resource", "ROOM"] {
        let mut a = att(Some("Yvonne Bakker"), Some("yvonne.bakker@acme.example"));
        a.cutype = Some(cutype.into());
        assert_eq!(matched(a), Match::Room, "{cutype}");
    }
    let mut a = att(Some("Tom de Vries"), None);
    a.cutype = Some("individual".into());
    assert_eq!(matched(a), Match::Person(1));
}

#[test]
fn unknown_attendees_keep_name_and_email() {
    let p = people();
    let m = Matcher::new(&p, &me());
    let list = [
        att(Some("New Person"), Some("new@x.example")),
        att(None, None),
        att(Some("yvonne.bakker@acme.example"), None),
        att(Some("Bakker, Yvonne"), Some("yb@x.example")),
    ];
    let got = m.match_attendees(&list);
    assert_eq!(got.len(), 4);
    assert_eq!(got[0].matched, Match::Unknown);
    assert_eq!(got[0].attendee.name.as_deref(), Some("New Person"));
    assert_eq!(got[0].attendee.email.as_deref(), Some("new@x.example"));
    assert_eq!(got[1].matched, Match::Unknown);
    // An address written as the name is used as the address.
    assert_eq!(got[2].matched, Match::Person(0));
    assert_eq!(got[3].matched, Match::Person(0));
}

#[test]
fn empty_people_and_me_match_nothing() {
    let m = Matcher::new(&People::default(), &Me::default());
    assert_eq!(
        m.match_one(&att(Some("Anyone"), Some("a@b.example"))),
        Match::Unknown
    );
}

#[test]
fn agenda_helpers_give_path_and_name() {
    let p = people();
    let m = Matcher::new(&p, &me());
    let yvonne = att(Some("Bakker, Yvonne"), Some("yvonne.bakker@acme.example"));
    assert_eq!(m.person_json(&p, &yvonne), serde_json::json!("yvonne.md"));
    assert_eq!(m.display_name(&p, &yvonne), Some("Yvonne Bakker"));
    let stranger = att(None, Some("x@y.example"));
    assert_eq!(m.person_json(&p, &stranger), serde_json::Value::Null);
    assert_eq!(m.display_name(&p, &stranger), Some("x@y.example"));
    let sam = att(Some("Sam Jansen"), None);
    assert_eq!(m.person_json(&p, &sam), serde_json::Value::Null);
    assert_eq!(m.display_name(&p, &sam), Some("Sam Jansen"));
}
