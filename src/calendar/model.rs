//! The occurrence model: what the calendar engine hands to everything else.
//!
//! Everything here is plain data. The engine (`parse.rs`, `expand.rs`) produces it, the
//! agenda, matching, briefs and the scheduler consume it.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// STATUS of an occurrence (RFC 5545 3.8.1.11), lower-case in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Confirmed,
    Tentative,
    Cancelled,
}

/// PARTSTAT of an attendee (RFC 5545 3.2.12), lower-case in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartStat {
    Accepted,
    Declined,
    Tentative,
    NeedsAction,
    Delegated,
}

impl PartStat {
    /// Parses a PARTSTAT value case-insensitively; unknown values (COMPLETED,
    /// IN-PROCESS, x-names) are `None`.
    pub fn parse(value: &str) -> Option<PartStat> {
        match value.trim().to_ascii_uppercase().as_str() {
            "ACCEPTED" => Some(PartStat::Accepted),
            "DECLINED" => Some(PartStat::Declined),
            "TENTATIVE" => Some(PartStat::Tentative),
            "NEEDS-ACTION" => Some(PartStat::NeedsAction),
            "DELEGATED" => Some(PartStat::Delegated),
            _ => None,
        }
    }
}

/// One ATTENDEE (or the ORGANIZER). String values are lower-case except `name`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Attendee {
    /// From the CN parameter, unescaped and unquoted.
    pub name: Option<String>,
    /// The calendar address without `mailto:`, lower-case.
    pub email: Option<String>,
    /// ROLE, lower-case (`req-participant`, `opt-participant`, `chair`, ...).
    pub role: Option<String>,
    /// PARTSTAT, lower-case as written (`accepted`, `needs-action`, ...).
    pub partstat: Option<String>,
    /// CUTYPE, lower-case (`individual`, `room`, `resource`, `group`, ...).
    pub cutype: Option<String>,
}

impl Attendee {
    /// Rooms and resources are never people to prepare for.
    pub fn is_room_or_resource(&self) -> bool {
        matches!(self.cutype.as_deref(), Some("room") | Some("resource"))
    }
}

/// The identity of an occurrence inside its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RecurrenceId {
    /// The original start of a timed instance, as an instant.
    DateTime(DateTime<Utc>),
    /// The original date of an all-day instance.
    Date(NaiveDate),
}

/// One occurrence of a calendar event, fully resolved: a single event, one
/// generated instance of a series, or an override (RECURRENCE-ID) of one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The configured name of the calendar (feed) it came from.
    pub calendar: String,
    pub uid: String,
    /// `None` for a non-recurring event; the original start for instances of a series.
    pub recurrence_id: Option<RecurrenceId>,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    /// A Meet/Teams/Zoom/Webex (or other http/https) meeting link found in the event.
    pub conference_url: Option<String>,
    /// Start with the UTC offset of the event's zone at that instant. For floating
    /// times and all-day dates: the local zone's offset (local midnight for dates).
    pub start: DateTime<FixedOffset>,
    /// Computed end: DTEND, or DTSTART + DURATION, or +1 day for a date, or = start.
    pub end: DateTime<FixedOffset>,
    pub all_day: bool,
    /// IANA name of the event's zone, when it has one (null for floating and dates).
    pub tz: Option<String>,
    pub status: Option<Status>,
    /// TRANSP:TRANSPARENT (does not block time).
    pub transparent: bool,
    pub organizer: Option<Attendee>,
    pub attendees: Vec<Attendee>,
    /// My own PARTSTAT, found by matching attendees against `me.emails`.
    pub my_status: Option<PartStat>,
    pub sequence: i64,
}

impl Occurrence {
    /// The people of the meeting by the one rule every view follows
    /// (agenda, brief, notifications, `met`, JSON): the organizer counts, first
    /// (unless also listed as an attendee), then the attendees. Leaving out
    /// the user (`Match::Me`) is the matcher's part.
    pub fn attendees_with_organizer(&self) -> Vec<Attendee> {
        let mut all = Vec::with_capacity(self.attendees.len() + 1);
        if let Some(org) = &self.organizer {
            let dup = self.attendees.iter().any(|a| {
                a.email.is_some() && a.email == org.email
                    || a.email.is_none() && a.name.is_some() && a.name == org.name
            });
            if !dup {
                all.push(org.clone());
            }
        }
        all.extend(self.attendees.iter().cloned());
        all
    }

    pub fn start_utc(&self) -> DateTime<Utc> {
        self.start.with_timezone(&Utc)
    }

    pub fn end_utc(&self) -> DateTime<Utc> {
        self.end.with_timezone(&Utc)
    }

    /// The date of an all-day occurrence (its first day).
    pub fn start_date(&self) -> NaiveDate {
        self.start.date_naive()
    }

    pub fn is_cancelled(&self) -> bool {
        self.status == Some(Status::Cancelled)
    }

    pub fn is_declined(&self) -> bool {
        self.my_status == Some(PartStat::Declined)
    }

    /// Overlap with `[from, to)`; a zero-length occurrence counts when its
    /// start lies in the window.
    pub fn overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        let (s, e) = (self.start_utc(), self.end_utc());
        if s == e {
            from <= s && s < to
        } else {
            s < to && from < e
        }
    }

    /// A stable key for "this occurrence" across refreshes: calendar, uid and
    /// the original start (recurrence id), or the start for single events.
    pub fn key(&self) -> OccurrenceKey {
        OccurrenceKey {
            calendar: self.calendar.clone(),
            uid: self.uid.clone(),
            recurrence_id: self
                .recurrence_id
                .unwrap_or(RecurrenceId::DateTime(self.start_utc())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OccurrenceKey {
    pub calendar: String,
    pub uid: String,
    pub recurrence_id: RecurrenceId,
}

/// A problem found while reading a feed that did not stop the rest of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The calendar (feed) name.
    pub calendar: String,
    /// 1-based line in the feed where the problem starts, when known.
    pub line: Option<usize>,
    /// The UID of the component concerned, when known.
    pub uid: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.calendar)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(uid) = &self.uid {
            write!(f, ", UID {uid}")?;
        }
        write!(f, ": {}", self.message)
    }
}
