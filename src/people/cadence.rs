//! Keep in touch: `cadence: 3w` in a note (or a default for one of its
//! tags) asks to be in contact at least that often.
//!
//! A person is due when their last contact plus the cadence is today or
//! earlier, or when they have a cadence and no contact at all. They are not
//! due while a meeting with them is already scheduled within the next 7 days
//! ([`KeepInTouch::MeetingSoon`], shown as "meeting Tue"), nor before their
//! `snooze_until` day. People without a cadence are never due.

use std::cmp::Reverse;
use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::{Serialize, Serializer};

use super::contact::{CalendarContacts, ContactSource, LastContact, MeetingSeen};
use super::dates::day_word;
use super::period::Period;
use super::{Channel, People, Person};

/// A meeting within this of now makes keeping in touch wait for it.
pub const MEETING_SOON: Duration = Duration::days(7);

/// `cadence:` in front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Every(Period),
    /// `never` (also `none`, `off`, `false`): no cadence, whatever the
    /// defaults for the person's tags say.
    Never,
}

impl Cadence {
    pub fn parse(text: &str) -> Result<Cadence, String> {
        match text.trim().to_lowercase().as_str() {
            "never" | "none" | "off" | "no" | "false" => Ok(Cadence::Never),
            _ => Period::parse(text).map(Cadence::Every),
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cadence::Every(p) => p.fmt(f),
            Cadence::Never => f.write_str("never"),
        }
    }
}

impl Serialize for Cadence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `[people.cadence]`: a cadence for everyone with a tag, as
/// `"#team" = "2w"`. Empty by default: nobody is due without a cadence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CadenceDefaults {
    /// (tag without `#`, cadence), in the config's order.
    pub by_tag: Vec<(String, Period)>,
}

impl CadenceDefaults {
    /// From the config's `(key, value)` pairs; an error names the key.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<CadenceDefaults, (String, String)> {
        let mut by_tag = Vec::new();
        for (key, value) in pairs {
            let tag = key.trim().trim_start_matches('#');
            if tag.is_empty() || tag.contains(char::is_whitespace) {
                return Err((
                    key.to_string(),
                    format!("`{key}` is not a tag; write it as \"#team\" = \"2w\""),
                ));
            }
            let period = Period::parse(value).map_err(|why| (key.to_string(), why))?;
            by_tag.push((tag.to_string(), period));
        }
        Ok(CadenceDefaults { by_tag })
    }

    /// The default for `person`: of the tags they have, the shortest
    /// cadence (keeping in touch that often satisfies every one of them).
    pub fn for_person(&self, person: &Person) -> Option<Period> {
        self.by_tag
            .iter()
            .filter(|(tag, _)| person.has_tag(tag))
            .map(|(_, p)| *p)
            .min_by_key(|p| p.nominal_days())
    }
}

/// The cadence that applies to `person`: their own `cadence:`, else the
/// default for their tags; `never` and no cadence at all are `None`.
pub fn cadence_of(person: &Person, defaults: &CadenceDefaults) -> Option<Period> {
    match person.cadence {
        Some(Cadence::Every(p)) => Some(p),
        Some(Cadence::Never) => None,
        None => defaults.for_person(person),
    }
}

/// Where a person stands with keeping in touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepInTouch<'a> {
    /// No cadence: never due.
    NoCadence,
    /// In touch: due on that day.
    NotYet { due_on: NaiveDate },
    /// Due, but a meeting with them is scheduled within [`MEETING_SOON`].
    MeetingSoon { meeting: &'a MeetingSeen },
    /// Due, but `snooze_until` is after today.
    Snoozed { until: NaiveDate },
    /// Due since `overdue_days` (0: today).
    Due { overdue_days: i64 },
}

/// One person's keep-in-touch facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing<'a> {
    pub cadence: Option<Period>,
    pub last_contact: Option<LastContact<'a>>,
    /// The first meeting with them still to begin (any distance ahead that
    /// the calendars were read for).
    pub next_meeting: Option<&'a MeetingSeen>,
    /// The day the cadence ran out (or runs out).
    pub due_on: Option<NaiveDate>,
    pub state: KeepInTouch<'a>,
}

impl Standing<'_> {
    /// How `people` and `person show` say it: "due, 5 days overdue",
    /// "due today", "due, no contact yet", "meeting Tue", "snoozed until Fri 4 Dec", "due in 9 days".
    pub fn describe(&self, today: NaiveDate) -> Option<String> {
        Some(match self.state {
            KeepInTouch::NoCadence => return None,
            KeepInTouch::NotYet { due_on } => {
                format!("due {}", super::contact::ago(due_on, today))
            }
            KeepInTouch::MeetingSoon { meeting } => {
                format!("meeting {}", day_word(meeting.day, today))
            }
            KeepInTouch::Snoozed { until } => {
                format!("snoozed until {}", day_word(until, today))
            }
            KeepInTouch::Due { .. } if self.last_contact.is_none() => "due, no contact yet".into(),
            KeepInTouch::Due { overdue_days: 0 } => "due today".into(),
            KeepInTouch::Due { overdue_days: 1 } => "due, 1 day overdue".into(),
            KeepInTouch::Due { overdue_days } => format!("due, {overdue_days} days overdue"),
        })
    }
}

/// Where the person at `index` (into `People::people`) stands on
/// `contacts.today()`. Without any contact they are due at once, but with
/// no day count and no `due_on`: how long it has been is not known (counting
/// from the start of the history would make it up, and would change with
/// `[people] history`), so [`due_list`] puts them after everyone with a real
/// last contact.
pub fn standing<'a>(
    index: usize,
    person: &'a Person,
    contacts: &'a CalendarContacts,
    defaults: &CadenceDefaults,
) -> Standing<'a> {
    let today = contacts.today();
    let cadence = cadence_of(person, defaults);
    let last_contact = contacts.last_contact(index, person);
    let next_meeting = contacts.meetings(index).next.as_ref();
    let due_on = cadence
        .zip(last_contact)
        .map(|(p, c)| p.after(c.date).unwrap_or(NaiveDate::MAX));
    let state = match (cadence, due_on) {
        (None, _) => KeepInTouch::NoCadence,
        (Some(_), Some(due_on)) if due_on > today => KeepInTouch::NotYet { due_on },
        (Some(_), due_on) => {
            let soon = next_meeting.filter(|m| m.start - contacts.now() <= MEETING_SOON);
            match (soon, person.snooze_until) {
                (Some(meeting), _) => KeepInTouch::MeetingSoon { meeting },
                (None, Some(until)) if until > today => KeepInTouch::Snoozed { until },
                (None, _) => KeepInTouch::Due {
                    // No contact at all: 0, not a made-up count.
                    overdue_days: due_on.map_or(0, |d| (today - d).num_days().max(0)),
                },
            }
        }
    };
    Standing {
        cadence,
        last_contact,
        next_meeting,
        due_on,
        state,
    }
}

/// `rapport due --json`: `{"date", "due": [...]}` plus who waits for a
/// meeting and who is snoozed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueList {
    pub date: NaiveDate,
    /// Most overdue first.
    pub due: Vec<DueEntry>,
    /// Would be due, but a meeting is scheduled within 7 days; soonest first.
    pub meeting_soon: Vec<Waiting>,
    /// Would be due, but snoozed; the earliest end first.
    pub snoozed: Vec<Waiting>,
}

/// One due person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueEntry {
    /// Index into `People::people`.
    #[serde(skip)]
    pub index: usize,
    /// The note's path relative to the people folder.
    pub person: String,
    pub name: String,
    /// `3w`, `2m`, ...
    pub cadence: Period,
    /// The cadence in days, counted from the last contact.
    pub cadence_days: i64,
    pub last_contact: Option<NaiveDate>,
    pub last_contact_source: Option<ContactSource>,
    /// The meeting's title, or the Log entry's or task's text.
    pub last_contact_text: Option<String>,
    /// 0 on the day the cadence runs out, and without any contact.
    pub overdue_days: i64,
    /// The next meeting with them beyond the next 7 days, if the calendars
    /// reach that far; in the user's zone.
    pub next_meeting: Option<DateTime<FixedOffset>>,
    pub channel: Option<Channel>,
    pub open_follow_ups: usize,
}

/// A person who would be due but waits (for a meeting, or a snooze).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiting {
    #[serde(skip)]
    pub index: usize,
    pub person: String,
    pub name: String,
    /// The meeting's start, in the user's zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_meeting: Option<DateTime<FixedOffset>>,
    /// The meeting's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `snooze_until`: due again from that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

/// Everyone due on `contacts.today()`: those with a last contact most
/// overdue first, then those with none at all (how overdue they are is not
/// known); by name within a day.
pub fn due_list(
    people: &People,
    contacts: &CalendarContacts,
    defaults: &CadenceDefaults,
) -> DueList {
    let mut list = DueList {
        date: contacts.today(),
        due: Vec::new(),
        meeting_soon: Vec::new(),
        snoozed: Vec::new(),
    };
    for (index, person) in people.people.iter().enumerate() {
        let s = standing(index, person, contacts, defaults);
        let waiting = |next: Option<&MeetingSeen>, until| Waiting {
            index,
            person: person.path.to_string_lossy().into_owned(),
            name: person.name.clone(),
            next_meeting: next.map(|m| contacts.local(m.start)),
            title: next.map(|m| m.title.clone()),
            until,
        };
        match (s.state, s.cadence) {
            (KeepInTouch::Due { overdue_days }, Some(cadence)) => {
                // Without contact the cadence's days from today (months vary).
                let from = s.last_contact.map_or(contacts.today(), |c| c.date);
                list.due.push(DueEntry {
                    index,
                    person: person.path.to_string_lossy().into_owned(),
                    name: person.name.clone(),
                    cadence,
                    cadence_days: cadence.days_from(from),
                    last_contact: s.last_contact.map(|c| c.date),
                    last_contact_source: s.last_contact.map(|c| c.source),
                    last_contact_text: s.last_contact.map(|c| c.text.to_string()),
                    overdue_days,
                    next_meeting: s.next_meeting.map(|m| contacts.local(m.start)),
                    channel: person.preferred_channel(),
                    open_follow_ups: person.follow_ups.len(),
                });
            }
            (KeepInTouch::MeetingSoon { meeting }, _) => {
                list.meeting_soon.push(waiting(Some(meeting), None))
            }
            (KeepInTouch::Snoozed { until }, _) => list.snoozed.push(waiting(None, Some(until))),
            _ => {}
        }
    }
    list.due.sort_by_cached_key(|e| {
        (
            e.last_contact.is_none(),
            Reverse(e.overdue_days),
            e.name.to_lowercase(),
            e.person.clone(),
        )
    });
    list.meeting_soon
        .sort_by(|a, b| (a.next_meeting, &a.person).cmp(&(b.next_meeting, &b.person)));
    list.snoozed
        .sort_by(|a, b| (a.until, &a.person).cmp(&(b.until, &b.person)));
    list
}

/// The snooze for `rapport due snooze NAME 2w`: the `snooze_until` day to
/// write, `span` after `today`.
pub fn snooze_until(today: NaiveDate, span: Period) -> Option<NaiveDate> {
    span.after(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::model::Occurrence;
    use crate::calendar::tz::Zone;
    use crate::people::contact::ContactSettings;
    use crate::people::history::tests::{at, d, meeting, people, who};
    use crate::people::matching::Matcher;
    use crate::people::parse_person;
    use crate::people::Me;
    use std::path::Path;

    /// The calendar read at `now` (Amsterdam) for `people`.
    fn contacts(people: &People, occs: &[Occurrence], now: &str) -> CalendarContacts {
        let me = Me {
            emails: vec!["me@x.example".into()],
            ..Me::default()
        };
        let matcher = Matcher::new(people, &me);
        let zone = Zone::Iana(chrono_tz::Europe::Amsterdam);
        let mut c = CalendarContacts::new(
            people.people.len(),
            &ContactSettings::default(),
            at(now),
            &zone,
        );
        for o in occs {
            c.add(o, &matcher);
        }
        c
    }

    fn note(name: &str, front: &str, body: &str) -> String {
        let email = format!("{}@x.example", name.to_lowercase());
        format!("---\nname: {name}\nemails: [{email}]\n{front}---\n{body}")
    }

    #[test]
    fn cadence_forms_in_front_matter() {
        let p = |front: &str| parse_person(Path::new("a.md"), &note("Ann", front, ""));
        assert_eq!(
            p("cadence: 3w\n").unwrap().cadence,
            Some(Cadence::Every(Period::Weeks(3)))
        );
        assert_eq!(
            p("cadence: 2 months\n").unwrap().cadence,
            Some(Cadence::Every(Period::Months(2)))
        );
        assert_eq!(p("cadence: never\n").unwrap().cadence, Some(Cadence::Never));
        assert_eq!(p("cadence: false\n").unwrap().cadence, Some(Cadence::Never));
        assert_eq!(p("cadence:\n").unwrap().cadence, None);
        for bad in [
            "cadence: 10\n",
            "cadence: 3 fortnights\n",
            "cadence: [1w]\n",
            "cadence: 0d\n",
        ] {
            let person = p(bad).unwrap();
            assert_eq!(person.cadence, None, "{bad}");
            let e = &person.warnings[0];
            assert_eq!(e.line, Some(4), "{bad}: {e:?}");
            assert!(
                e.message.contains("`cadence`") && e.message.contains("3w"),
                "{bad}: {e:?}"
            );
        }
        assert_eq!(Cadence::Never.to_string(), "never");
        assert_eq!(
            serde_json::to_value(Cadence::Every(Period::Days(10))).unwrap(),
            "10d"
        );
    }

    #[test]
    fn defaults_by_tag() {
        let defaults =
            CadenceDefaults::parse([("#team", "2w"), ("client", "1m"), ("#eng", "3w")]).unwrap();
        assert_eq!(defaults.by_tag[0], ("team".to_string(), Period::Weeks(2)));
        let person =
            |front: &str| parse_person(Path::new("a.md"), &note("Ann", front, "")).unwrap();
        let client = person("tags: [client]\n");
        assert_eq!(cadence_of(&client, &defaults), Some(Period::Months(1)));
        // Two tags: the shorter cadence satisfies both.
        let both = person("tags: [\"#Client\", team]\n");
        assert_eq!(both.tags, ["Client", "team"]);
        assert_eq!(cadence_of(&both, &defaults), Some(Period::Weeks(2)));
        // A nested tag counts for its parent, a longer name does not.
        assert_eq!(
            cadence_of(&person("tags: eng/platform\n"), &defaults),
            Some(Period::Weeks(3))
        );
        assert_eq!(cadence_of(&person("tags: engineering\n"), &defaults), None);
        assert_eq!(
            cadence_of(&person("tags: \"#team, #eng\"\n"), &defaults),
            Some(Period::Weeks(2))
        );
        // The note's own cadence wins, also `never`.
        assert_eq!(
            cadence_of(&person("tags: [team]\ncadence: 6w\n"), &defaults),
            Some(Period::Weeks(6))
        );
        assert_eq!(
            cadence_of(&person("tags: [team]\ncadence: never\n"), &defaults),
            None
        );
        // No tag, no default: never due.
        assert_eq!(cadence_of(&person(""), &defaults), None);
        assert_eq!(cadence_of(&client, &CadenceDefaults::default()), None);
        // Unreadable tags are left alone rather than breaking the note.
        assert!(person("tags: {a: b}\n").tags.is_empty());

        let (key, why) =
            CadenceDefaults::parse([("#team", "2 weeks"), ("#client", "monthly")]).unwrap_err();
        assert_eq!(key, "#client");
        assert!(why.contains("monthly"), "{why}");
        assert_eq!(CadenceDefaults::parse([("#", "2w")]).unwrap_err().0, "#");
    }

    #[test]
    fn due_when_the_cadence_has_run_out() {
        let ps = people(&[(
            "ann.md",
            &note("Ann", "cadence: 3w\n", "## Log\n- 2026-11-06 Coffee\n"),
        )]);
        let ann = &ps.people[0];
        let none = CadenceDefaults::default();
        // 6 November + 3 weeks = 27 November.
        let c = contacts(&ps, &[], "2026-11-26T09:00:00+01:00");
        let s = standing(0, ann, &c, &none);
        assert_eq!(
            s.state,
            KeepInTouch::NotYet {
                due_on: d("2026-11-27")
            }
        );
        assert_eq!(s.describe(c.today()).unwrap(), "due in 1 day");
        let c = contacts(&ps, &[], "2026-11-27T00:10:00+01:00");
        let s = standing(0, ann, &c, &none);
        assert_eq!(s.state, KeepInTouch::Due { overdue_days: 0 });
        assert_eq!(s.describe(c.today()).unwrap(), "due today");
        let c = contacts(&ps, &[], "2026-12-02T09:00:00+01:00");
        assert_eq!(
            standing(0, ann, &c, &none).state,
            KeepInTouch::Due { overdue_days: 5 }
        );
        // A meeting since then resets it.
        let coffee = meeting(
            "Coffee",
            "2026-11-30T10:00:00+01:00",
            vec![who("Ann", "ann@x.example")],
        );
        let c = contacts(&ps, &[coffee], "2026-12-02T09:00:00+01:00");
        assert_eq!(
            standing(0, ann, &c, &none).state,
            KeepInTouch::NotYet {
                due_on: d("2026-12-21")
            }
        );
    }

    #[test]
    fn calendar_months_and_leap_years() {
        let ps = people(&[(
            "ann.md",
            &note("Ann", "cadence: 1m\n", "## Log\n- 2028-01-31 Lunch\n"),
        )]);
        let none = CadenceDefaults::default();
        let c = contacts(&ps, &[], "2028-02-28T12:00:00+01:00");
        assert_eq!(
            standing(0, &ps.people[0], &c, &none).state,
            KeepInTouch::NotYet {
                due_on: d("2028-02-29")
            }
        );
        let c = contacts(&ps, &[], "2028-02-29T12:00:00+01:00");
        let list = due_list(&ps, &c, &none);
        assert_eq!(list.due[0].overdue_days, 0);
        assert_eq!(list.due[0].cadence_days, 29);
    }

    #[test]
    fn no_contact_at_all_is_due_with_no_made_up_day_count() {
        let ps = people(&[("ann.md", &note("Ann", "cadence: 2w\n", ""))]);
        let c = contacts(&ps, &[], "2026-11-27T09:00:00+01:00");
        let s = standing(0, &ps.people[0], &c, &CadenceDefaults::default());
        // Due, but not "351 days overdue" (counted from the start of the
        // history, which would change with `[people] history`).
        assert_eq!(s.due_on, None);
        assert_eq!(s.state, KeepInTouch::Due { overdue_days: 0 });
        assert_eq!(s.describe(c.today()).unwrap(), "due, no contact yet");
        // The same with a history of 10 days.
        let zone = Zone::Iana(chrono_tz::Europe::Amsterdam);
        let short = CalendarContacts::new(
            1,
            &ContactSettings {
                history: Period::Days(10),
                large_meeting: 15,
            },
            at("2026-11-27T09:00:00+01:00"),
            &zone,
        );
        let s = standing(0, &ps.people[0], &short, &CadenceDefaults::default());
        assert_eq!(s.state, KeepInTouch::Due { overdue_days: 0 });
        assert_eq!(s.describe(short.today()).unwrap(), "due, no contact yet");
        let list = due_list(&ps, &short, &CadenceDefaults::default());
        assert_eq!(list.due[0].overdue_days, 0);
        assert_eq!(list.due[0].last_contact, None);
        // Snoozed or waiting for a meeting like anyone else.
        let snoozed = people(&[(
            "ann.md",
            &note("Ann", "cadence: 2w\nsnooze_until: 2026-12-01\n", ""),
        )]);
        let s = standing(0, &snoozed.people[0], &c, &CadenceDefaults::default());
        assert_eq!(
            s.state,
            KeepInTouch::Snoozed {
                until: d("2026-12-01")
            }
        );
        // Without a cadence: never due, whatever the history.
        let ps = people(&[("bob.md", &note("Bob", "", ""))]);
        let c = contacts(&ps, &[], "2026-11-27T09:00:00+01:00");
        let s = standing(0, &ps.people[0], &c, &CadenceDefaults::default());
        assert_eq!(
            (s.state, s.describe(c.today())),
            (KeepInTouch::NoCadence, None)
        );
        assert!(due_list(&ps, &c, &CadenceDefaults::default())
            .due
            .is_empty());
    }

    #[test]
    fn a_meeting_within_7_days_waits_unless_they_declined_it() {
        let ps = people(&[(
            "ann.md",
            &note("Ann", "cadence: 2w\n", "## Log\n- 2026-10-01 Call\n"),
        )]);
        let none = CadenceDefaults::default();
        let now = "2026-11-26T09:00:00+01:00"; // a Thursday
        let tuesday = meeting(
            "Planning",
            "2026-12-01T10:00:00+01:00",
            vec![who("Ann", "ann@x.example")],
        );
        let c = contacts(&ps, std::slice::from_ref(&tuesday), now);
        let s = standing(0, &ps.people[0], &c, &none);
        assert!(
            matches!(s.state, KeepInTouch::MeetingSoon { meeting } if meeting.title == "Planning")
        );
        assert_eq!(s.describe(c.today()).unwrap(), "meeting Tue");
        let list = due_list(&ps, &c, &none);
        assert!(list.due.is_empty());
        assert_eq!(list.meeting_soon[0].title.as_deref(), Some("Planning"));
        // Exactly 7 days ahead still waits; a minute more does not.
        let c = contacts(
            &ps,
            std::slice::from_ref(&tuesday),
            "2026-11-24T10:00:00+01:00",
        );
        assert!(matches!(
            standing(0, &ps.people[0], &c, &none).state,
            KeepInTouch::MeetingSoon { .. }
        ));
        let c = contacts(
            &ps,
            std::slice::from_ref(&tuesday),
            "2026-11-24T09:59:00+01:00",
        );
        let list = due_list(&ps, &c, &none);
        assert_eq!(list.due.len(), 1);
        assert_eq!(
            list.due[0].next_meeting.unwrap().to_rfc3339(),
            "2026-12-01T10:00:00+01:00"
        );
        // Declined by her: no reason to wait.
        let mut declined = tuesday.clone();
        declined.attendees[0].partstat = Some("DECLINED".into());
        let c = contacts(&ps, &[declined], now);
        let list = due_list(&ps, &c, &none);
        assert_eq!(list.due.len(), 1);
        assert_eq!(list.due[0].next_meeting, None);
    }

    #[test]
    fn snoozed_until_a_day() {
        let ps = people(&[(
            "ann.md",
            &note(
                "Ann",
                "cadence: 2w\nsnooze_until: 2026-12-04\n",
                "## Log\n- 2026-10-01 Call\n",
            ),
        )]);
        let none = CadenceDefaults::default();
        let c = contacts(&ps, &[], "2026-12-03T23:59:00+01:00");
        let s = standing(0, &ps.people[0], &c, &none);
        assert_eq!(
            s.state,
            KeepInTouch::Snoozed {
                until: d("2026-12-04")
            }
        );
        assert_eq!(s.describe(c.today()).unwrap(), "snoozed until tomorrow");
        let list = due_list(&ps, &c, &none);
        assert!(list.due.is_empty());
        assert_eq!(list.snoozed[0].until, Some(d("2026-12-04")));
        let c = contacts(&ps, &[], "2026-12-04T00:00:00+01:00");
        assert_eq!(due_list(&ps, &c, &none).due.len(), 1);
        // A snooze that ended long ago changes nothing.
        assert_eq!(
            snooze_until(d("2026-11-27"), Period::Weeks(2)),
            Some(d("2026-12-11"))
        );
        let bad = parse_person(
            Path::new("a.md"),
            &note("Ann", "snooze_until: next week\n", ""),
        );
        let bad = bad.unwrap();
        assert_eq!(bad.snooze_until, None);
        let e = &bad.warnings[0];
        assert_eq!(e.line, Some(4));
        assert!(
            e.message.contains("`snooze_until`") && e.message.contains("YYYY-MM-DD"),
            "{e:?}"
        );
    }

    #[test]
    fn the_due_list_most_overdue_first() {
        let ps = people(&[
            (
                "a/ann.md",
                &note(
                    "Ann",
                    "cadence: 1w\nprefers: phone calls\n",
                    "## Log\n- 2026-11-10 Call\n- [ ] Send the deck\n",
                ),
            ),
            ("bob.md", &note("Bob", "tags: [team]\n", "")),
            (
                "cy.md",
                &note("Cy", "cadence: 1m\n", "## Log\n- 2026-10-20 Lunch\n"),
            ),
            (
                "dee.md",
                &note("Dee", "cadence: 3w\n", "## Log\n- 2026-11-20 Chat\n"),
            ),
        ]);
        let defaults = CadenceDefaults::parse([("#team", "2w")]).unwrap();
        let seen = meeting(
            "Budget review",
            "2026-10-27T10:00:00+01:00",
            vec![who("Cy", "cy@x.example")],
        );
        let c = contacts(&ps, &[seen], "2026-11-27T09:00:00+01:00");
        let list = due_list(&ps, &c, &defaults);
        let order: Vec<(&str, i64)> = list
            .due
            .iter()
            .map(|e| (e.name.as_str(), e.overdue_days))
            .collect();
        // Bob (no contact at all) after everyone with a real last contact:
        // his "overdue" would be made up.
        assert_eq!(order, [("Ann", 10), ("Cy", 0), ("Bob", 0)]);
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            serde_json::json!({
                "date": "2026-11-27",
                "due": [
                    {"person": "a/ann.md", "name": "Ann", "cadence": "1w", "cadence_days": 7,
                     "last_contact": "2026-11-10", "last_contact_source": "log",
                     "last_contact_text": "Call", "overdue_days": 10, "next_meeting": null,
                     "channel": "phone", "open_follow_ups": 1},
                    {"person": "cy.md", "name": "Cy", "cadence": "1m", "cadence_days": 31,
                     "last_contact": "2026-10-27", "last_contact_source": "meeting",
                     "last_contact_text": "Budget review", "overdue_days": 0, "next_meeting": null,
                     "channel": null, "open_follow_ups": 0},
                    {"person": "bob.md", "name": "Bob", "cadence": "2w", "cadence_days": 14,
                     "last_contact": null, "last_contact_source": null, "last_contact_text": null,
                     "overdue_days": 0, "next_meeting": null, "channel": null, "open_follow_ups": 0},
                ],
                "meeting_soon": [],
                "snoozed": [],
            })
        );
    }
}
