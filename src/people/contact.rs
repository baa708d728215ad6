//! Last contact, computed (never written into the note): the most recent of
//! a past meeting with them in the calendar, a dated Log entry, and the ✅
//! date of a completed task. Open tasks never count, and neither does a
//! date still in the future.
//!
//! The calendar is read once for everyone: [`CalendarContacts::add`] takes
//! each occurrence as the engine streams it (any order, any number of
//! calendars), matches its participants once and keeps, per person, the
//! latest meeting that has begun and the next one to come. Nothing is
//! allocated per occurrence beyond what matching an attendee costs, and a
//! meeting's title is copied only when it becomes someone's latest or next.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::Serialize;

use super::matching::{Match, MatchMemo, Matcher};
use crate::calendar::model::{Attendee, Occurrence, Warning};
use crate::calendar::tz::Zone;
use crate::calendar::{ExpandOptions, ParsedCalendar};

use super::history::{
    history_start, local_day, not_a_meeting, participants, stays_away, DEFAULT_HISTORY,
    DEFAULT_LARGE_MEETING,
};
use super::period::Period;
use super::Person;

/// The `[people]` settings that decide what counts as contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactSettings {
    /// `[people] history`: how far back the calendar is read (default 1y).
    pub history: Period,
    /// `[people] large_meeting`: meetings with more people than this are not
    /// contact (default 15).
    pub large_meeting: usize,
}

impl Default for ContactSettings {
    fn default() -> Self {
        ContactSettings {
            history: DEFAULT_HISTORY,
            large_meeting: DEFAULT_LARGE_MEETING,
        }
    }
}

/// One meeting as remembered for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingSeen {
    pub start: DateTime<Utc>,
    /// The day it starts on in the user's zone.
    pub day: NaiveDate,
    /// The meeting's title (SUMMARY) as the calendar wrote it.
    pub title: String,
}

/// What the calendar says about one person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonMeetings {
    /// The latest meeting that has begun, within the history.
    pub last: Option<MeetingSeen>,
    /// The first meeting still to begin.
    pub next: Option<MeetingSeen>,
}

/// Everyone's meetings, read in one pass over the calendar.
#[derive(Debug, Clone)]
pub struct CalendarContacts {
    people: Vec<PersonMeetings>,
    now: DateTime<Utc>,
    today: NaiveDate,
    zone: Zone,
    from: DateTime<Utc>,
    first_day: NaiveDate,
    large_meeting: usize,
    /// This occurrence's people (index, stays away): reused, not reallocated.
    scratch: Vec<(usize, bool)>,
    /// Who each attendee is, asked once per attendee, not per occurrence.
    memo: MatchMemo,
    /// Only these people are read ([`CalendarContacts::only`]); `None`: everyone.
    only: Option<Vec<usize>>,
}

impl CalendarContacts {
    /// Ready for `people` notes (the length of `People::people`, which the
    /// matcher indexes into), at `now` in the user's `zone`.
    pub fn new(
        people: usize,
        settings: &ContactSettings,
        now: DateTime<Utc>,
        zone: &Zone,
    ) -> CalendarContacts {
        let today = zone.to_local(now).date();
        let from = history_start(today, settings.history, zone);
        CalendarContacts {
            people: vec![PersonMeetings::default(); people],
            now,
            today,
            zone: zone.clone(),
            from,
            first_day: settings.history.before(today).unwrap_or(NaiveDate::MIN),
            large_meeting: settings.large_meeting,
            scratch: Vec::new(),
            memo: MatchMemo::default(),
            only: None,
        }
    }

    /// Reads the meetings of `people` only (indices into `People::people`;
    /// the others have none): [`CalendarContacts::read_calendar`] then
    /// expands only the series that name one of them, which is what makes a
    /// brief's year of history cheap. Its `keep` sees the occurrences of
    /// those series only.
    pub fn only(mut self, people: impl IntoIterator<Item = usize>) -> CalendarContacts {
        let mut only: Vec<usize> = people.into_iter().collect();
        only.sort_unstable();
        only.dedup();
        self.only = Some(only);
        self
    }

    /// Whether the person at `index` is read.
    fn reads(&self, index: usize) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.binary_search(&index).is_ok())
    }

    /// Where the history begins: expand the calendars from here, up to at
    /// least [`super::cadence::MEETING_SOON`] after now (further for a
    /// later `next_meeting`). Earlier occurrences are ignored.
    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    /// The first day of the history.
    pub fn first_day(&self) -> NaiveDate {
        self.first_day
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Today in the user's zone.
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// Reads one occurrence: a meeting ([`not_a_meeting`]) within
    /// the history counts for each matched person in it who did not decline.
    pub fn add(&mut self, occ: &Occurrence, matcher: &Matcher) {
        let start = occ.start_utc();
        if start < self.from || not_a_meeting(occ, self.large_meeting).is_some() {
            return;
        }
        self.scratch.clear();
        for attendee in participants(occ) {
            let Match::Person(i) = *self.memo.match_one(matcher, attendee) else {
                continue;
            };
            if self.reads(i) {
                let away = stays_away(attendee);
                // One person under two addresses, or organizer and attendee:
                // declining under either means they stayed away.
                match self.scratch.iter_mut().find(|(j, _)| *j == i) {
                    Some(seen) => seen.1 |= away,
                    None => self.scratch.push((i, away)),
                }
            }
        }
        // Begun is met: a meeting in progress is contact already.
        let past = start <= self.now;
        for &(i, away) in &self.scratch {
            let Some(slot) = self.people.get_mut(i).filter(|_| !away) else {
                continue;
            };
            let kept = if past { &mut slot.last } else { &mut slot.next };
            let better = kept.as_ref().is_none_or(|k| {
                if past {
                    start > k.start
                } else {
                    start < k.start
                }
            });
            if !better {
                continue;
            }
            let day = self.zone.to_local(start).date();
            match kept {
                Some(k) => {
                    k.start = start;
                    k.day = day;
                    k.title.clear();
                    k.title.push_str(&occ.summary);
                }
                None => {
                    *kept = Some(MeetingSeen {
                        start,
                        day,
                        title: occ.summary.clone(),
                    })
                }
            }
        }
    }

    /// Reads one parsed calendar: its occurrences from the history's start
    /// to `to`, streamed (never all held) into [`CalendarContacts::add`];
    /// those that touch `keep_day` in the user's zone (the digest's day)
    /// are handed to `keep`. Returns the warnings about series cut short.
    pub fn read_calendar(
        &mut self,
        calendar: &ParsedCalendar,
        to: DateTime<Utc>,
        opts: &ExpandOptions,
        matcher: &Matcher,
        keep_day: NaiveDate,
        keep: &mut dyn FnMut(Occurrence),
    ) -> Vec<Warning> {
        let (from, only) = (self.from, self.only.clone());
        let mut each = |o: Occurrence| {
            self.add(&o, matcher);
            let day = local_day(&o, &self.zone);
            // All-day events span days: kept when they may touch it.
            if day == keep_day || (o.all_day && day <= keep_day && o.end.date_naive() > keep_day) {
                keep(o);
            }
        };
        let Some(only) = only else {
            return calendar.for_each_occurrence(from, to, opts, &mut each);
        };
        // Exactly the attendees `add` counts for someone read (and more:
        // rooms, declines, large meetings are left to `add`).
        let mut memo = MatchMemo::default();
        let mut named = |a: &Attendee| matches!(memo.match_one(matcher, a), Match::Person(i) if only.binary_search(i).is_ok());
        calendar.for_each_occurrence_naming(from, to, opts, &mut named, &mut each)
    }

    /// What the calendar says about the person at `index` (into `People::people`).
    pub fn meetings(&self, index: usize) -> &PersonMeetings {
        const NONE: &PersonMeetings = &PersonMeetings {
            last: None,
            next: None,
        };
        self.people.get(index).unwrap_or(NONE)
    }

    /// The person's last contact: their latest meeting, Log entry or
    /// completed task, none of them after today.
    pub fn last_contact<'a>(&'a self, index: usize, person: &'a Person) -> Option<LastContact<'a>> {
        last_contact(person, self.meetings(index).last.as_ref(), self.today)
    }

    /// `start` on the user's wall clock (for JSON and display).
    pub fn local(&self, start: DateTime<Utc>) -> DateTime<FixedOffset> {
        start.with_timezone(&self.zone.offset_at(start))
    }
}

/// Where a last contact comes from (`last_contact_source` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactSource {
    /// Preferred on the same day: it has a title to show.
    Meeting,
    Log,
    Task,
}

/// The most recent contact with someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LastContact<'a> {
    pub date: NaiveDate,
    pub source: ContactSource,
    /// The meeting's title; the Log entry's or the task's text.
    pub text: &'a str,
}

/// The most recent of `meeting` (the person's latest meeting that has
/// begun), their dated Log entries and the ✅ dates of their completed
/// tasks, none after `today` (a Log date in the future has not happened
/// yet). On one day a meeting wins over a Log entry (the debrief writes
/// "Met at ..." for the same meeting), a Log entry over a task, and of two
/// entries the one written last (as [`Person::last_log`]).
pub fn last_contact<'a>(
    person: &'a Person,
    meeting: Option<&'a MeetingSeen>,
    today: NaiveDate,
) -> Option<LastContact<'a>> {
    let contact = |date, source, text| LastContact { date, source, text };
    // (contact, line in the note; 0 for a meeting)
    let meeting = meeting.map(|m| (contact(m.day, ContactSource::Meeting, &m.title), 0));
    let logs = person
        .log
        .iter()
        .map(|e| (contact(e.date, ContactSource::Log, &e.text), e.line));
    let tasks = person
        .completed
        .iter()
        .map(|t| (contact(t.done, ContactSource::Task, &t.text), t.line));
    meeting
        .into_iter()
        .chain(logs)
        .chain(tasks)
        .filter(|(c, _)| c.date <= today)
        .max_by_key(|(c, line)| (c.date, std::cmp::Reverse(c.source), *line))
        .map(|(c, _)| c)
}

impl LastContact<'_> {
    /// "3 weeks ago, Budget review", "yesterday, log", "today, task".
    pub fn describe(&self, today: NaiveDate) -> String {
        let ago = ago(self.date, today);
        match self.source {
            ContactSource::Meeting => {
                let title = crate::util::text::line(self.text, crate::util::text::TITLE_CHARS);
                if title.is_empty() {
                    format!("{ago}, a meeting")
                } else {
                    format!("{ago}, {title}")
                }
            }
            ContactSource::Log => format!("{ago}, log"),
            ContactSource::Task => format!("{ago}, task"),
        }
    }
}

/// "today", "yesterday", "5 days ago", "3 weeks ago", "4 months ago",
/// "2 years ago"; "in 3 days" for a date after `today`.
pub fn ago(date: NaiveDate, today: NaiveDate) -> String {
    let days = (today - date).num_days();
    let unit = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    match days {
        0 => "today".into(),
        1 => "yesterday".into(),
        d if d < 0 => format!("in {}", unit(-d, "day")),
        2..=13 => format!("{} ago", unit(days, "day")),
        14..=59 => format!("{} ago", unit(days / 7, "week")),
        60..=364 => format!("{} ago", unit(days / 30, "month")),
        _ => format!("{} ago", unit(days / 365, "year")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::model::Attendee;
    use crate::people::history::tests::{at, d, meeting, people, who};
    use crate::people::Me;
    use crate::people::{parse_person, People};
    use std::path::Path;

    fn ann_and_bob() -> (People, Matcher) {
        let people = people(&[
            (
                "ann.md",
                "---\nname: Ann Lee\nemails: [ann@x.example]\n---\n",
            ),
            (
                "bob.md",
                "---\nname: Bob Stone\nemails: [bob@x.example]\n---\n",
            ),
        ]);
        let me = Me {
            emails: vec!["me@x.example".into()],
            ..Me::default()
        };
        let matcher = Matcher::new(&people, &me);
        (people, matcher)
    }

    fn amsterdam() -> Zone {
        Zone::Iana(chrono_tz::Europe::Amsterdam)
    }

    fn read(occs: &[Occurrence], now: &str, zone: &Zone) -> CalendarContacts {
        let (_, matcher) = ann_and_bob();
        let mut c = CalendarContacts::new(2, &ContactSettings::default(), at(now), zone);
        for o in occs {
            c.add(o, &matcher);
        }
        c
    }

    fn me() -> Attendee {
        who("Me", "me@x.example")
    }

    fn ann() -> Attendee {
        who("Ann Lee", "ann@x.example")
    }

    fn bob() -> Attendee {
        who("Bob Stone", "bob@x.example")
    }

    #[test]
    fn latest_past_and_first_future_meeting_in_any_order() {
        let occs = vec![
            meeting(
                "Budget review",
                "2026-11-05T10:00:00+01:00",
                vec![me(), ann()],
            ),
            meeting(
                "Kickoff",
                "2026-10-01T10:00:00+02:00",
                vec![me(), ann(), bob()],
            ),
            meeting("Planning", "2026-12-03T10:00:00+01:00", vec![me(), ann()]),
            meeting("Retro", "2026-11-30T10:00:00+01:00", vec![me(), ann()]),
            meeting("Old", "2025-11-01T10:00:00+01:00", vec![me(), bob()]),
        ];
        let c = read(&occs, "2026-11-27T09:00:00+01:00", &amsterdam());
        let ann = c.meetings(0);
        assert_eq!(ann.last.as_ref().unwrap().title, "Budget review");
        assert_eq!(ann.last.as_ref().unwrap().day, d("2026-11-05"));
        assert_eq!(ann.next.as_ref().unwrap().title, "Retro");
        let bob = c.meetings(1);
        // "Old" is before the year of history.
        assert_eq!(bob.last.as_ref().unwrap().title, "Kickoff");
        assert!(bob.next.is_none());
        // An index the matcher never returns has no meetings.
        assert_eq!(c.meetings(7), &PersonMeetings::default());
    }

    #[test]
    fn meetings_that_are_not_contact() {
        let mut declined_by_them = meeting("1:1", "2026-11-20T10:00:00+01:00", vec![me(), ann()]);
        declined_by_them.attendees[1].partstat = Some("DECLINED".into());
        let mut declined_by_me = meeting("Sync", "2026-11-21T10:00:00+01:00", vec![me(), ann()]);
        declined_by_me.my_status = Some(crate::calendar::model::PartStat::Declined);
        let mut cancelled = meeting("Lunch", "2026-11-22T12:00:00+01:00", vec![me(), ann()]);
        cancelled.status = Some(crate::calendar::model::Status::Cancelled);
        let mut all_day = meeting("Offsite", "2026-11-23T00:00:00+01:00", vec![me(), ann()]);
        all_day.all_day = true;
        let mut crowd: Vec<Attendee> = (0..15)
            .map(|i| who(&format!("P{i}"), &format!("p{i}@y.example")))
            .collect();
        crowd.push(ann());
        let large = meeting("All hands", "2026-11-24T10:00:00+01:00", crowd);
        // Ann declined under her second address; the organizer entry says nothing.
        let mut two_addresses = meeting("Review", "2026-11-25T10:00:00+01:00", vec![me(), ann()]);
        two_addresses.organizer = Some(who("Ann Lee", "ANN@x.example"));
        two_addresses.attendees[1].partstat = Some("declined".into());
        let counted = meeting("Coffee", "2026-11-02T10:00:00+01:00", vec![me(), ann()]);
        let occs = vec![
            declined_by_them,
            declined_by_me,
            cancelled,
            all_day,
            large,
            two_addresses,
            counted,
        ];
        let c = read(&occs, "2026-11-27T09:00:00+01:00", &amsterdam());
        assert_eq!(c.meetings(0).last.as_ref().unwrap().title, "Coffee");
    }

    #[test]
    fn organizer_counts_and_a_meeting_in_progress_is_contact() {
        let mut by_ann = meeting("Her call", "2026-11-27T08:45:00+01:00", vec![me()]);
        by_ann.organizer = Some(ann());
        let c = read(&[by_ann], "2026-11-27T09:00:00+01:00", &amsterdam());
        let last = c.meetings(0).last.as_ref().unwrap();
        assert_eq!(
            (last.title.as_str(), last.day),
            ("Her call", d("2026-11-27"))
        );
        assert!(c.meetings(0).next.is_none());
    }

    /// 23:30 on Monday in Amsterdam is 22:30 UTC: contact on Monday, and at
    /// 00:30 on Tuesday that Monday meeting is "yesterday".
    #[test]
    fn the_day_of_a_meeting_is_the_users_day_at_midnight() {
        let late = meeting("Late call", "2026-11-23T22:30:00+00:00", vec![me(), ann()]);
        let c = read(
            std::slice::from_ref(&late),
            "2026-11-23T23:30:00+00:00",
            &amsterdam(),
        );
        assert_eq!(c.today(), d("2026-11-24"));
        let p = &ann_and_bob().0.people[0];
        let last = c.last_contact(0, p).unwrap();
        assert_eq!(last.date, d("2026-11-23"));
        assert_eq!(last.describe(c.today()), "yesterday, Late call");
        // The same instant in Auckland is Tuesday 11:30.
        let c = read(
            &[late],
            "2026-11-23T23:30:00+00:00",
            &Zone::Iana(chrono_tz::Pacific::Auckland),
        );
        assert_eq!(c.last_contact(0, p).unwrap().date, d("2026-11-24"));
        assert_eq!(c.today(), d("2026-11-24"));
        // History starts at local midnight: a meeting just before it is out.
        let zone = amsterdam();
        let c = CalendarContacts::new(
            2,
            &ContactSettings {
                history: Period::Days(10),
                large_meeting: 15,
            },
            at("2026-11-27T09:00:00+01:00"),
            &zone,
        );
        assert_eq!(c.from(), at("2026-11-17T00:00:00+01:00"));
        assert_eq!(c.first_day(), d("2026-11-17"));
    }

    /// One VEVENT on 2 November 2026 at 09:00 UTC with `lines` (CRLF each).
    fn vevent(uid: &str, title: &str, lines: &str) -> String {
        format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20261102T090000Z\r\nDTEND:20261102T093000Z\r\nSUMMARY:{title}\r\n\
             {lines}END:VEVENT\r\n"
        )
    }

    /// Each way a calendar names Ann (0) or Bob (1) in a series, alone in a
    /// calendar: a brief reading only that person must find the meeting, as
    /// the full read does. Bob's note has no address in these calendars: he
    /// is matched by name.
    #[test]
    fn reading_only_some_people_finds_every_way_they_are_named() {
        let (_, matcher) = ann_and_bob();
        let me = "ORGANIZER;CN=Me:mailto:me@x.example\r\n";
        let cases: Vec<(usize, String)> = vec![
            // Outlook and Google fold at 75 bytes, often inside the address.
            (0, vevent("fold", "Folded address", &format!(
                "{me}ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Someone:mailto:an\r\n n@x.exa\r\n\tmple\r\n"
            ))),
            (0, vevent("upper", "Upper-case MAILTO", &format!(
                "{me}ATTENDEE;CN=A. Lee:MAILTO:ANN@X.EXAMPLE\r\n"
            ))),
            (0, vevent("organizer", "Her call", "ORGANIZER;CN=Ann:mailto:ann@x.exampl\r\n e\r\nATTENDEE:mailto:me@x.example\r\n")),
            (0, vevent("param", "EMAIL parameter", &format!(
                "{me}ATTENDEE;CN=Ann;EMAIL=ANN@x.example:urn:uuid:5f1e\r\n"
            ))),
            (0, vevent("cn-address", "Address as the name", &format!(
                "{me}ATTENDEE;CN=Ann@X.example:urn:uuid:77aa\r\n"
            ))),
            (0, vevent("plus", "Tagged address", &format!(
                "{me}ATTENDEE:mailto:ann+cal@x.example\r\n"
            ))),
            // By name only: an address nobody has, "Last, First", folded, escaped.
            (1, vevent("name", "Name only", &format!(
                "{me}ATTENDEE;CN=\"Stone,\r\n  Bob\";PARTSTAT=ACCEPTED:mailto:b.stone@private.example\r\n"
            ))),
            (1, vevent("name-no-address", "No address at all", &format!(
                "{me}ATTENDEE;CN=bob stone (Acme):urn:uuid:1234\r\n"
            ))),
            (1, vevent("accent", "Accented name", &format!(
                "{me}ATTENDEE;CN=B\u{f6}b St\u{f4}ne:mailto:bs@elsewhere.example\r\n"
            ))),
        ];
        // Only in one override of a weekly series whose master has neither.
        let series = format!(
            "{}{}",
            vevent(
                "weekly",
                "Weekly",
                &format!("RRULE:FREQ=WEEKLY;COUNT=4\r\n{me}ATTENDEE:mailto:carl@y.example\r\n")
            ),
            "BEGIN:VEVENT\r\nUID:weekly\r\nRECURRENCE-ID:20261109T090000Z\r\n\
             DTSTART:20261109T100000Z\r\nDTEND:20261109T103000Z\r\nSUMMARY:Weekly, with Bob\r\n\
             ORGANIZER:mailto:me@x.example\r\nATTENDEE;CN=Bob St\r\n one:mailto:bob@X.example\r\n\
             END:VEVENT\r\n",
        );
        let mut cases = cases;
        cases.push((1, series));
        let bob_by_name = people(&[
            (
                "ann.md",
                "---\nname: Ann Lee\nemails: [ann@x.example]\n---\n",
            ),
            ("bob.md", "---\nname: Bob Stone\n---\n"),
        ]);
        let by_name = Matcher::new(
            &bob_by_name,
            &Me {
                emails: vec!["me@x.example".into()],
                ..Me::default()
            },
        );
        let opts = ExpandOptions::new(Zone::utc());
        let now = at("2026-11-27T09:00:00Z");
        let read = |ics: &str, only: Option<usize>, matcher: &Matcher| {
            let cal = crate::calendar::parse_calendar("work", ics.as_bytes());
            let mut c = CalendarContacts::new(2, &ContactSettings::default(), now, &Zone::utc());
            if let Some(i) = only {
                c = c.only([i]);
            }
            let cut = c.read_calendar(&cal, now, &opts, matcher, d("2026-11-02"), &mut |_| {});
            assert!(cut.is_empty());
            c
        };
        for (who, events) in &cases {
            let ics = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n");
            let matcher = if *who == 1 { &by_name } else { &matcher };
            let all = read(&ics, None, matcher);
            let only = read(&ics, Some(*who), matcher);
            let title = all.meetings(*who).last.as_ref().map(|m| m.title.clone());
            assert!(title.is_some(), "the full read missed {who} in {ics}");
            assert_eq!(only.meetings(*who), all.meetings(*who), "{ics}");
            // The other person is not read.
            assert_eq!(only.meetings(1 - who), &PersonMeetings::default());
        }
        // An ATTENDEE of an email alarm is not in the meeting: neither read counts it.
        let alarm = vevent(
            "alarm",
            "Alarm",
            &format!(
            "{me}BEGIN:VALARM\r\nACTION:EMAIL\r\nTRIGGER:-PT5M\r\nATTENDEE:mailto:ann@x.example\r\n\
             SUMMARY:x\r\nDESCRIPTION:x\r\nEND:VALARM\r\n"
        ),
        );
        let ics = format!("BEGIN:VCALENDAR\r\n{alarm}END:VCALENDAR\r\n");
        assert_eq!(
            read(&ics, None, &matcher).meetings(0),
            &PersonMeetings::default()
        );
        assert_eq!(
            read(&ics, Some(0), &matcher).meetings(0),
            &PersonMeetings::default()
        );
        // Reading nobody reads no series.
        let everything: String = cases.iter().map(|(_, e)| e.as_str()).collect();
        let ics = format!("BEGIN:VCALENDAR\r\n{everything}END:VCALENDAR\r\n");
        let cal = crate::calendar::parse_calendar("work", ics.as_bytes());
        let mut seen = 0;
        let c = CalendarContacts::new(2, &ContactSettings::default(), now, &Zone::utc()).only([]);
        let mut c = c;
        c.read_calendar(&cal, now, &opts, &matcher, d("2026-11-02"), &mut |_| {
            seen += 1
        });
        assert_eq!(seen, 0);
        // The override's meeting is Bob's, at its own time and title.
        let weekly = &cases.last().unwrap().1;
        let ics = format!("BEGIN:VCALENDAR\r\n{weekly}END:VCALENDAR\r\n");
        let last = read(&ics, Some(1), &matcher)
            .meetings(1)
            .last
            .clone()
            .unwrap();
        assert_eq!(
            (last.title.as_str(), last.start),
            ("Weekly, with Bob", at("2026-11-09T10:00:00Z"))
        );
    }

    #[test]
    fn last_contact_from_meeting_log_and_task() {
        let text = "---\nname: Ann\n---\n## Follow-ups\n\
                    - [ ] Open task 📅 2026-11-26\n\
                    - [x] Sent the deck ✅ 2026-11-10\n\
                    - [x] Done without a date\n\
                    - [-] Cancelled ❌ 2026-11-25\n\
                    ## Log\n\
                    - 2026-11-08 Coffee\n\
                    - 2026-12-24 Christmas drinks, planned\n";
        let p = parse_person(Path::new("ann.md"), text).unwrap();
        let today = d("2026-11-27");
        // The task (10th) beats the Log (8th); the open task and the future
        // Log entry never count.
        let c = last_contact(&p, None, today).unwrap();
        assert_eq!(
            (c.date, c.source, c.text),
            (d("2026-11-10"), ContactSource::Task, "Sent the deck")
        );
        assert_eq!(c.describe(today), "2 weeks ago, task");
        // The planned Log entry counts once its day has come.
        let c = last_contact(&p, None, d("2026-12-24")).unwrap();
        assert_eq!((c.source, c.date), (ContactSource::Log, d("2026-12-24")));
        assert_eq!(c.describe(d("2026-12-24")), "today, log");
        // A meeting on the day of a Log entry wins; a later one too.
        let seen = MeetingSeen {
            start: at("2026-11-10T09:00:00Z"),
            day: d("2026-11-10"),
            title: "Budget\nreview".into(),
        };
        let c = last_contact(&p, Some(&seen), today).unwrap();
        assert_eq!(c.source, ContactSource::Meeting);
        assert_eq!(c.describe(today), "2 weeks ago, Budget review");
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::json!({"date": "2026-11-10", "source": "meeting", "text": "Budget\nreview"})
        );
        // Two Log entries on one day: the one written last, as `last_log`.
        let twice = parse_person(
            Path::new("t.md"),
            "# T\n## Log\n- 2026-11-20 Second\n- 2026-11-20 Written last\n- 2026-11-19 Before\n",
        )
        .unwrap();
        assert_eq!(
            last_contact(&twice, None, today).unwrap().text,
            "Written last"
        );
        // No contact at all.
        let nobody = parse_person(Path::new("x.md"), "# X\n- [ ] open\n").unwrap();
        assert_eq!(last_contact(&nobody, None, today), None);
    }

    #[test]
    fn ago_reads_naturally() {
        let today = d("2026-11-27");
        let cases = [
            ("2026-11-27", "today"),
            ("2026-11-26", "yesterday"),
            ("2026-11-22", "5 days ago"),
            ("2026-11-14", "13 days ago"),
            ("2026-11-13", "2 weeks ago"),
            ("2026-11-06", "3 weeks ago"),
            ("2026-09-29", "8 weeks ago"),
            ("2026-09-28", "2 months ago"),
            ("2025-11-28", "12 months ago"),
            ("2025-11-27", "1 year ago"),
            ("2023-11-01", "3 years ago"),
            ("2026-11-30", "in 3 days"),
        ];
        for (date, said) in cases {
            assert_eq!(ago(d(date), today), said, "{date}");
        }
    }
}
