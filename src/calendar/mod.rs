//! The calendar engine, pure: feed bytes -> [`ParsedCalendar`] -> the
//! [`Occurrence`](model::Occurrence)s of a window. No I/O, no clock, no
//! network: the caller passes the bytes, the window and the zone for floating
//! times ([`ExpandOptions`]). The one reader of the environment is
//! [`tz::local_zone`], which only the edges (the command line, the daemon)
//! call.
//!
//! The files, in the order a byte meets them: [`ics`] (the reader: lines and
//! properties), `parse.rs` (components -> events), `series.rs` (events ->
//! series), `parsed.rs` (what is kept), `expand.rs` (a window's instances,
//! with [`recur`] for RRULEs and [`tz`] for zones), `details.rs` (the text of
//! an occurrence, decoded on demand), [`model`] (what comes out).
//!
//! Parsing ([`parse_calendar`]) makes one pass over the bytes with the
//! [`ics`] reader and keeps, per VEVENT, only what recurrence needs (UID,
//! DTSTART/DTEND/DURATION, RRULE, RDATE, EXDATE, RECURRENCE-ID, SEQUENCE,
//! STATUS) plus the byte range of the component. Text fields (summary,
//! description, attendees, ...) are decoded only for occurrences that fall in
//! an asked window, so a 17 MB feed costs little more than reading it.
//!
//! Expansion ([`ParsedCalendar::occurrences`]) works per series in the local
//! wall-clock time of the series' zone, over the window widened by the event
//! duration (so an occurrence that started before the window but still runs
//! is found), then converts to instants and keeps what overlaps.
//!
//! Rules followed (RFC 5545 unless noted):
//! - DTSTART is always the first instance (3.8.5.3), unless every RRULE ends
//!   before it (UNTIL before DTSTART: the series is empty, as the peers do).
//! - An override (RECURRENCE-ID) replaces the generated instance with the same
//!   original start; duplicates: highest SEQUENCE wins, then the later one.
//!   RANGE=THISANDFUTURE shifts and reshapes every later instance.
//! - EXDATE matches by instant (a `Z` EXDATE on a zoned series works) or, for a
//!   DATE EXDATE on a timed series, by local date.
//! - X-WR-TIMEZONE (Google): UTC and floating times of that VCALENDAR are shown
//!   and expanded in that zone (what Google displays and recurring-ical-events
//!   does via x-wr-timezone); TZID'd times (also Windows names) are untouched.
//! - `TZID=X:...Z`: the `Z` wins, the instant is UTC (displayed in X).
//! - DTEND before DTSTART: the two are swapped (what recurring-ical-events does
//!   for `issue_132_swapped_start_and_end.ics`), with a warning.
//! - Nothing but floating times and dates depends on the viewer's zone
//!   (issue 15): a time without a zone in a zoned event is read in the event's
//!   zone (`unify_frames`); a UTC UNTIL on an all-day or floating series, or a
//!   UTC EXDATE/RECURRENCE-ID on an all-day one, is read at UTC+13 (`SENDER_CLOCK`).
//! - A negative or unreadable DURATION is ignored (default length), a damaged
//!   RRULE keeps what can be read ([`recur::RRule::parse_lenient`]), with warnings.

pub mod ics;
pub mod model;
pub mod recur;
pub mod tz;

mod details;
mod expand;
mod parse;
mod parsed;
mod series;

pub use expand::{ExpandOptions, Expansion, MAX_INSTANCES_PER_SERIES};
pub use parse::{parse_calendar, parse_calendar_shared};
pub use parsed::ParsedCalendar;
