//! Which calendar events count as meeting someone, and who was in them.
//!
//! Shared by everything that reads the calendar's history for people (last
//! contact and keep-in-touch here, suggestions of people to add): one set of
//! rules, applied without allocating, so a year of a 10,000-event feed can
//! be read in one pass.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::calendar::model::{Attendee, Occurrence, PartStat};
use crate::calendar::tz::Zone;

use super::period::Period;

/// `[people] large_meeting` without a setting: a meeting with more
/// attendees than this is an audience, not contact.
pub const DEFAULT_LARGE_MEETING: usize = 15;
/// `[people] history` without a setting: how far back the calendar is read.
pub const DEFAULT_HISTORY: Period = Period::Years(1);

/// Why an occurrence is not a meeting with the people in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAMeeting {
    Cancelled,
    /// I declined (or delegated) it.
    DeclinedByMe,
    /// All-day events are holidays, trips and reminders, not conversations.
    AllDay,
    /// More than `large_meeting` people.
    Large,
}

/// `None` when `occ` is a meeting with the people in it: not cancelled, not
/// declined or delegated by me, not all-day, and at most `large_meeting`
/// people ([`meeting_size`]). Cheapest checks first.
pub fn not_a_meeting(occ: &Occurrence, large_meeting: usize) -> Option<NotAMeeting> {
    if occ.is_cancelled() {
        Some(NotAMeeting::Cancelled)
    } else if matches!(
        occ.my_status,
        Some(PartStat::Declined | PartStat::Delegated)
    ) {
        Some(NotAMeeting::DeclinedByMe)
    } else if occ.all_day {
        Some(NotAMeeting::AllDay)
    } else if occ.attendees.len() + usize::from(occ.organizer.is_some()) > large_meeting
        && meeting_size(occ) > large_meeting
    {
        Some(NotAMeeting::Large)
    } else {
        None
    }
}

/// Who is in a meeting: the organizer (unless also listed as an attendee)
/// and the attendees, without rooms and resources; me included.
pub fn participants(occ: &Occurrence) -> impl Iterator<Item = &Attendee> {
    let organizer = occ.organizer.as_ref().filter(|o| {
        !o.is_room_or_resource()
            && !o
                .email
                .as_deref()
                .is_some_and(|e| occ.attendees.iter().any(|a| a.email.as_deref() == Some(e)))
    });
    organizer
        .into_iter()
        .chain(occ.attendees.iter().filter(|a| !a.is_room_or_resource()))
}

/// How many people are in a meeting ([`participants`]).
pub fn meeting_size(occ: &Occurrence) -> usize {
    participants(occ).count()
}

/// Whether this attendee said they would not come: PARTSTAT DECLINED, or
/// DELEGATED (someone else went in their place).
pub fn stays_away(attendee: &Attendee) -> bool {
    attendee
        .partstat
        .as_deref()
        .and_then(PartStat::parse)
        .is_some_and(|p| matches!(p, PartStat::Declined | PartStat::Delegated))
}

/// The first instant of the history: local midnight `history` before
/// `today` in the user's zone (the wiring expands the calendar from here).
pub fn history_start(today: NaiveDate, history: Period, zone: &Zone) -> DateTime<Utc> {
    let first_day = history.before(today).unwrap_or(NaiveDate::MIN);
    zone.to_utc(first_day.and_time(NaiveTime::MIN))
}

/// The local day an occurrence starts on in the user's zone (an all-day
/// event's own date).
pub fn local_day(occ: &Occurrence, zone: &Zone) -> NaiveDate {
    if occ.all_day {
        occ.start_date()
    } else {
        zone.to_local(occ.start_utc()).date()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::calendar::model::Status;

    pub(crate) fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    pub(crate) fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Notes parsed from (path, text) pairs.
    pub(crate) fn people(notes: &[(&str, &str)]) -> crate::people::People {
        crate::people::People {
            people: notes
                .iter()
                .map(|(path, text)| {
                    crate::people::parse_person(std::path::Path::new(path), text).unwrap()
                })
                .collect(),
            ..Default::default()
        }
    }

    pub(crate) fn who(name: &str, email: &str) -> Attendee {
        Attendee {
            name: Some(name.into()),
            email: Some(email.into()),
            partstat: Some("accepted".into()),
            ..Attendee::default()
        }
    }

    /// A timed meeting of 30 minutes at `start` (RFC 3339).
    pub(crate) fn meeting(title: &str, start: &str, attendees: Vec<Attendee>) -> Occurrence {
        let start = DateTime::parse_from_rfc3339(start).unwrap();
        Occurrence {
            calendar: "work".into(),
            uid: format!("{title}-{start}"),
            recurrence_id: None,
            summary: title.into(),
            description: None,
            location: None,
            conference_url: None,
            start,
            end: start + chrono::Duration::minutes(30),
            all_day: false,
            tz: None,
            status: Some(Status::Confirmed),
            transparent: false,
            organizer: None,
            attendees,
            my_status: Some(PartStat::Accepted),
            sequence: 0,
        }
    }

    #[test]
    fn what_is_not_a_meeting() {
        let two = vec![who("Me", "me@x.example"), who("Ann", "ann@x.example")];
        let ok = meeting("1:1", "2026-11-02T10:00:00+01:00", two.clone());
        assert_eq!(not_a_meeting(&ok, 15), None);
        let mut cancelled = ok.clone();
        cancelled.status = Some(Status::Cancelled);
        assert_eq!(not_a_meeting(&cancelled, 15), Some(NotAMeeting::Cancelled));
        let mut declined = ok.clone();
        declined.my_status = Some(PartStat::Declined);
        assert_eq!(
            not_a_meeting(&declined, 15),
            Some(NotAMeeting::DeclinedByMe)
        );
        declined.my_status = Some(PartStat::Delegated);
        assert_eq!(
            not_a_meeting(&declined, 15),
            Some(NotAMeeting::DeclinedByMe)
        );
        // Tentative and unanswered still count.
        let mut tentative = ok.clone();
        tentative.my_status = Some(PartStat::Tentative);
        assert_eq!(not_a_meeting(&tentative, 15), None);
        let mut all_day = ok.clone();
        all_day.all_day = true;
        assert_eq!(not_a_meeting(&all_day, 15), Some(NotAMeeting::AllDay));

        // 15 people is not large; 16 is. Rooms do not count, an organizer
        // not in the list does.
        let mut many: Vec<Attendee> = (0..15)
            .map(|i| who(&format!("P{i}"), &format!("p{i}@x.example")))
            .collect();
        many.push(Attendee {
            name: Some("Room 4".into()),
            email: Some("room4@x.example".into()),
            cutype: Some("room".into()),
            ..Attendee::default()
        });
        let mut big = meeting("All hands", "2026-11-02T10:00:00+01:00", many);
        assert_eq!(meeting_size(&big), 15);
        assert_eq!(not_a_meeting(&big, 15), None);
        big.organizer = Some(who("P0", "p0@x.example"));
        assert_eq!(
            not_a_meeting(&big, 15),
            None,
            "organizer listed as attendee"
        );
        big.organizer = Some(who("Boss", "boss@x.example"));
        assert_eq!(meeting_size(&big), 16);
        assert_eq!(not_a_meeting(&big, 15), Some(NotAMeeting::Large));
        assert_eq!(not_a_meeting(&big, 16), None);
    }

    #[test]
    fn who_stays_away() {
        let mut a = who("Ann", "ann@x.example");
        assert!(!stays_away(&a));
        for (value, away) in [
            ("declined", true),
            ("DECLINED", true),
            ("delegated", true),
            ("tentative", false),
            ("needs-action", false),
            ("x-unknown", false),
        ] {
            a.partstat = Some(value.into());
            assert_eq!(stays_away(&a), away, "{value}");
        }
        a.partstat = None;
        assert!(!stays_away(&a));
    }

    #[test]
    fn history_starts_at_local_midnight() {
        let zone = Zone::Iana(chrono_tz::Europe::Amsterdam);
        let today = d("2026-11-27");
        assert_eq!(
            history_start(today, Period::Years(1), &zone).to_rfc3339(),
            "2025-11-26T23:00:00+00:00"
        );
        // From 29 February a year back is 28 February.
        let leap = d("2028-02-29");
        assert_eq!(
            history_start(leap, Period::Years(1), &Zone::Utc).to_rfc3339(),
            "2027-02-28T00:00:00+00:00"
        );
    }

    #[test]
    fn local_day_is_the_users_day() {
        // 23:30 in Auckland is the previous day in UTC.
        let occ = meeting("Late", "2026-11-02T10:30:00+00:00", Vec::new());
        let auckland = Zone::Iana(chrono_tz::Pacific::Auckland);
        assert_eq!(local_day(&occ, &auckland).to_string(), "2026-11-02");
        let la = Zone::Iana(chrono_tz::America::Los_Angeles);
        assert_eq!(local_day(&occ, &la).to_string(), "2026-11-02");
        let occ = meeting("Late", "2026-11-02T11:30:00+00:00", Vec::new());
        assert_eq!(local_day(&occ, &auckland).to_string(), "2026-11-03");
    }
}
