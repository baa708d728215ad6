//! Calendars as a server or a file gives them to rapport: text, CRLF lines.

use chrono::{DateTime, Utc};

/// A UTC DATE-TIME value: `20261201T100000Z`.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// One VEVENT from `start` to `end` with a fixed DTSTAMP; `extra` holds more
/// property lines, each ending in CRLF (attendees, STATUS, ...).
pub fn event(
    uid: &str,
    summary: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    extra: &str,
) -> String {
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\n\
         DTSTART:{}\r\nDTEND:{}\r\n{extra}END:VEVENT\r\n",
        stamp(start),
        stamp(end)
    )
}

/// A VCALENDAR around `components` (whole VEVENTs, ...).
pub fn vcalendar(components: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport tests//EN\r\n{components}END:VCALENDAR\r\n")
}
