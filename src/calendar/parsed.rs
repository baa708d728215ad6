//! What a parse keeps of a feed: per VEVENT only what recurrence needs (times,
//! rules, overrides, status) and the byte range of the component, grouped
//! into series. Built by [`super::parse`], read by [`super::expand`].

use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::ics::TimeValue;
use super::model::{Status, Warning};
use super::recur::RRule;
use super::tz::Zone;

/// A feed, parsed once, ready to be asked for any window.
#[derive(Debug, Clone)]
pub struct ParsedCalendar {
    /// The configured name of the feed.
    pub name: String,
    /// Problems that dropped a component or a value, with line and UID.
    pub warnings: Vec<Warning>,
    /// REFRESH-INTERVAL (RFC 7986) or X-PUBLISHED-TTL, when the feed says.
    pub refresh_interval: Option<std::time::Duration>,
    /// X-WR-CALNAME / NAME of the first VCALENDAR, when present.
    pub title: Option<String>,
    /// Number of VEVENT components kept.
    pub event_count: usize,
    /// The feed's bytes: text fields are decoded from here on demand.
    pub(super) data: Arc<Vec<u8>>,
    pub(super) events: Vec<Event>,
    pub(super) series: Vec<Series>,
    /// Resolved zone per interned TZID; `None` = unknown, read as floating.
    pub(super) zones: Vec<Option<Zone>>,
    pub(super) utc: Zone,
    /// The zone of the feed's first X-WR-TIMEZONE, when it names one: the sender's clock for a
    /// UTC value on a series without a zone.
    pub(super) calendar_zone: Option<Zone>,
}

/// Which clock a time value is read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Frame {
    Utc,
    Floating,
    /// Index into the interned TZIDs.
    Tzid(u32),
}

/// A DATE / DATE-TIME value with its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    pub(super) value: TimeValue,
    pub(super) frame: Frame,
}

impl Stamp {
    pub(super) fn is_date(&self) -> bool {
        matches!(self.value, TimeValue::Date(_))
    }
}

/// How long an instance lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Length {
    /// Added to the wall-clock start (DTEND in the same zone, whole-day DURATION).
    pub(super) nominal: Duration,
    /// Added to the start instant (DTEND in another zone, DURATION with hours).
    pub(super) exact: Duration,
}

impl Length {
    pub(super) const ZERO: Length = Length {
        nominal: Duration::zero(),
        exact: Duration::zero(),
    };
    pub(super) fn total(&self) -> Duration {
        self.nominal + self.exact
    }
}

#[derive(Debug, Clone)]
pub(super) struct Event {
    pub(super) uid: Option<String>,
    pub(super) line: usize,
    pub(super) span: Range<usize>,
    pub(super) start: Stamp,
    pub(super) end: Option<Stamp>,
    pub(super) duration: Option<Duration>,
    // Boxed slices, exact size: a Vec's first push reserves four (1 kB for
    // four RRules), 15 MB on a 50k-event feed.
    pub(super) rrules: Box<[RRule]>,
    pub(super) rdates: Box<[(Stamp, Option<RdEnd>)]>,
    pub(super) exdates: Box<[Stamp]>,
    pub(super) recurrence_id: Option<Stamp>,
    pub(super) this_and_future: bool,
    pub(super) sequence: i64,
    pub(super) status: Option<Status>,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum RdEnd {
    At(Stamp),
    Lasting(Duration),
}

impl Event {
    pub(super) fn is_recurring(&self) -> bool {
        !self.rrules.is_empty() || !self.rdates.is_empty()
    }
}

#[derive(Debug, Clone)]
pub(super) struct Series {
    pub(super) uid: String,
    pub(super) master: Option<usize>,
    /// Overrides (RECURRENCE-ID), duplicates already resolved.
    pub(super) overrides: Vec<usize>,
    /// Conservative bounds of everything in the series (UTC, floating read as
    /// UTC and widened by a day); `None` = unbounded.
    pub(super) earliest: Option<DateTime<Utc>>,
    pub(super) latest: Option<DateTime<Utc>>,
}

/// The identity of an instance inside its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Key {
    Instant(DateTime<Utc>),
    Date(NaiveDate),
}
