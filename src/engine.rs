//! The calendar engine: feed bytes -> [`ParsedCalendar`] -> the
//! [`Occurrence`]s of a window.
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
//!   RRULE keeps what can be read ([`RRule::parse_lenient`]), with warnings.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, Utc};

use crate::ics::{self, Line, PeriodEnd, RDateValue, TimeValue};
use crate::model::{Attendee, Occurrence, PartStat, RecurrenceId, Status, Warning};
use crate::recur::{self, RRule, Until};
use crate::tz::{self, Zone};

/// How to place times that carry no zone, and who "I" am.
#[derive(Debug, Clone)]
pub struct ExpandOptions {
    /// The zone for floating times and all-day dates (the local zone).
    pub floating: Zone,
    /// My addresses, matched case-insensitively against attendees.
    pub me_emails: Vec<String>,
}

impl ExpandOptions {
    /// Floating times in the local zone (`TZ` honoured), no identity.
    pub fn local() -> ExpandOptions {
        ExpandOptions {
            floating: tz::local_zone(),
            me_emails: Vec::new(),
        }
    }
}

/// The occurrences of one window, and what kept the list from being complete.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    pub occurrences: Vec<Occurrence>,
    /// One per series whose expansion was cut in this window.
    pub warnings: Vec<Warning>,
}

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
    data: Arc<Vec<u8>>,
    events: Vec<Event>,
    series: Vec<Series>,
    /// Resolved zone per interned TZID; `None` = unknown, read as floating.
    zones: Vec<Option<Zone>>,
    utc: Zone,
}

/// Which clock a time value is read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Utc,
    Floating,
    /// Index into the interned TZIDs.
    Tzid(u32),
}

/// A DATE / DATE-TIME value with its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    value: TimeValue,
    frame: Frame,
}

impl Stamp {
    fn is_date(&self) -> bool {
        matches!(self.value, TimeValue::Date(_))
    }
}

/// How long an instance lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Length {
    /// Added to the wall-clock start (DTEND in the same zone, whole-day DURATION).
    nominal: Duration,
    /// Added to the start instant (DTEND in another zone, DURATION with hours).
    exact: Duration,
}

impl Length {
    const ZERO: Length = Length {
        nominal: Duration::zero(),
        exact: Duration::zero(),
    };
    fn total(&self) -> Duration {
        self.nominal + self.exact
    }
}

#[derive(Debug, Clone)]
struct Event {
    uid: Option<String>,
    line: usize,
    span: Range<usize>,
    start: Stamp,
    end: Option<Stamp>,
    duration: Option<Duration>,
    // Boxed slices, exact size: a Vec's first push reserves four (1 kB for
    // four RRules), 15 MB on a 50k-event feed.
    rrules: Box<[RRule]>,
    rdates: Box<[(Stamp, Option<RdEnd>)]>,
    exdates: Box<[Stamp]>,
    recurrence_id: Option<Stamp>,
    this_and_future: bool,
    sequence: i64,
    status: Option<Status>,
}

#[derive(Debug, Clone, Copy)]
enum RdEnd {
    At(Stamp),
    Lasting(Duration),
}

impl Event {
    fn is_recurring(&self) -> bool {
        !self.rrules.is_empty() || !self.rdates.is_empty()
    }
}

#[derive(Debug, Clone)]
struct Series {
    uid: String,
    master: Option<usize>,
    /// Overrides (RECURRENCE-ID), duplicates already resolved.
    overrides: Vec<usize>,
    /// Conservative bounds of everything in the series (UTC, floating read as
    /// UTC and widened by a day); `None` = unbounded.
    earliest: Option<DateTime<Utc>>,
    latest: Option<DateTime<Utc>>,
}

/// The identity of an instance inside its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Instant(DateTime<Utc>),
    Date(NaiveDate),
}

// ---------------------------------------------------------------------------------------------
// Parsing.

/// Parses one feed. Never fails: what cannot be read is dropped with a warning.
pub fn parse_calendar(name: &str, bytes: &[u8]) -> ParsedCalendar {
    parse_calendar_shared(name, Arc::new(bytes.to_vec()))
}

/// [`parse_calendar`] for a body the caller already holds in an `Arc` (what
/// the feed module hands out): the calendar keeps it without copying.
pub fn parse_calendar_shared(name: &str, body: Arc<Vec<u8>>) -> ParsedCalendar {
    let bytes: &[u8] = &body;
    let mut p = Parser {
        name,
        data: bytes,
        warnings: Vec::new(),
        events: Vec::new(),
        vtimezones: Vec::new(),
        tzids: Vec::new(),
        tzid_index: HashMap::new(),
        refresh: None,
        title: None,
        xwr: None,
        feed_xwr: None,
        empty_vtimezone: None,
        mixed: MixedFrames::default(),
    };
    p.run();
    p.finish(bytes, Arc::clone(&body))
}

struct Parser<'a> {
    name: &'a str,
    data: &'a [u8],
    warnings: Vec<Warning>,
    events: Vec<Event>,
    vtimezones: Vec<(usize, Range<usize>)>,
    tzids: Vec<String>,
    tzid_index: HashMap<String, u32>,
    refresh: Option<std::time::Duration>,
    title: Option<String>,
    /// X-WR-TIMEZONE of the current VCALENDAR (interned TZID).
    xwr: Option<u32>,
    /// The first X-WR-TIMEZONE of the feed: where a TZID nothing explains is read.
    feed_xwr: Option<u32>,
    /// Whether the file has a VTIMEZONE whose TZID is empty (looked up on the first `TZID=`).
    empty_vtimezone: Option<bool>,
    mixed: MixedFrames,
}

/// Events whose times mix values with and without a zone, reported once per feed.
#[derive(Default)]
struct MixedFrames {
    count: usize,
    /// Line and UID of the first one.
    first: Option<(usize, Option<String>)>,
}

/// A VEVENT being read.
struct Draft {
    line: usize,
    start_offset: usize,
    uid: Option<String>,
    start: Option<Stamp>,
    end: Option<Stamp>,
    duration: Option<Duration>,
    rrules: Vec<RRule>,
    rdates: Vec<(Stamp, Option<RdEnd>)>,
    exdates: Vec<Stamp>,
    recurrence_id: Option<Stamp>,
    this_and_future: bool,
    sequence: i64,
    status: Option<Status>,
    /// A problem that drops the component (line, message).
    fatal: Option<(usize, String)>,
    /// Problems that only drop a value.
    notes: Vec<(usize, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Prop {
    Uid,
    DtStart,
    DtEnd,
    Duration,
    RRule,
    RDate,
    ExDate,
    RecurrenceId,
    Sequence,
    Status,
    Other,
}

fn classify(name: &[u8]) -> Prop {
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    match name.len() {
        3 if is("UID") => Prop::Uid,
        5 if is("DTEND") => Prop::DtEnd,
        5 if is("RRULE") => Prop::RRule,
        5 if is("RDATE") => Prop::RDate,
        6 if is("EXDATE") => Prop::ExDate,
        6 if is("STATUS") => Prop::Status,
        7 if is("DTSTART") => Prop::DtStart,
        8 if is("DURATION") => Prop::Duration,
        8 if is("SEQUENCE") => Prop::Sequence,
        13 if is("RECURRENCE-ID") => Prop::RecurrenceId,
        _ => Prop::Other,
    }
}

fn line_end(line: &Line<'_>, data: &[u8]) -> usize {
    // The end of a content line is the start of the next line break.
    let mut e = line.offset;
    while e < data.len() && data[e] != b'\n' && data[e] != b'\r' {
        e += 1;
    }
    e
}

impl<'a> Parser<'a> {
    fn warn(&mut self, line: Option<usize>, uid: Option<&str>, message: String) {
        self.warnings.push(Warning {
            calendar: self.name.to_string(),
            line,
            uid: uid.map(str::to_string),
            message,
        });
    }

    fn intern(&mut self, tzid: &str) -> u32 {
        if let Some(&i) = self.tzid_index.get(tzid) {
            return i;
        }
        let i = self.tzids.len() as u32;
        self.tzids.push(tzid.to_string());
        self.tzid_index.insert(tzid.to_string(), i);
        i
    }

    fn run(&mut self) {
        // Stack of open component names (upper-case).
        let mut stack: Vec<String> = Vec::new();
        let mut draft: Option<Draft> = None;
        // Depth of the open VEVENT in `stack` (its index).
        let mut draft_depth = 0usize;
        let mut vtz_start: Option<(usize, usize, usize)> = None; // (line, offset, depth)
        let data = self.data;
        for line in ics::lines(data) {
            if let Some((begin, comp)) = line.begin_end() {
                let comp = String::from_utf8_lossy(&comp).to_ascii_uppercase();
                if begin {
                    if comp == "VEVENT" && draft.is_some() && stack.len() == draft_depth + 1 {
                        // BEGIN:VEVENT inside an open VEVENT: the previous one
                        // lacks its END; close it here.
                        let d = draft.take().unwrap_or_else(|| unreachable_draft(&line));
                        self.warn(
                            Some(d.line),
                            d.uid.as_deref(),
                            "VEVENT has no END:VEVENT before the next BEGIN:VEVENT; closed there"
                                .into(),
                        );
                        self.finish_event(d, line.offset);
                        stack.truncate(draft_depth);
                    }
                    match comp.as_str() {
                        "VCALENDAR" if stack.is_empty() => self.xwr = None,
                        "VEVENT" if draft.is_none() && vtz_start.is_none() => {
                            draft_depth = stack.len();
                            draft = Some(Draft::new(&line));
                        }
                        "VTIMEZONE" if draft.is_none() && vtz_start.is_none() => {
                            vtz_start = Some((line.number, line.offset, stack.len()));
                        }
                        _ => {}
                    }
                    stack.push(comp);
                    continue;
                }
                // END: pop to the matching BEGIN, if any.
                let Some(pos) = stack.iter().rposition(|c| *c == comp) else {
                    self.warn(
                        Some(line.number),
                        draft.as_ref().and_then(|d| d.uid.as_deref()),
                        format!("END:{comp} without BEGIN:{comp}; ignored"),
                    );
                    continue;
                };
                if let Some(d) = draft.as_ref() {
                    if pos < draft_depth {
                        // The enclosing component ends while the VEVENT is open.
                        let d = draft.take().unwrap_or_else(|| unreachable_draft(&line));
                        self.warn(
                            Some(d.line),
                            d.uid.as_deref(),
                            format!("VEVENT not closed before END:{comp}; dropped"),
                        );
                    } else if pos == draft_depth {
                        let _ = d;
                        let d = draft.take().unwrap_or_else(|| unreachable_draft(&line));
                        self.finish_event(d, line_end(&line, data));
                    }
                }
                if let Some((tline, toff, depth)) = vtz_start {
                    if pos <= depth {
                        if pos == depth {
                            self.vtimezones.push((tline, toff..line_end(&line, data)));
                        }
                        vtz_start = None;
                    }
                }
                stack.truncate(pos);
                continue;
            }
            if let Some(d) = draft.as_mut() {
                if stack.len() == draft_depth + 1 {
                    self.event_property(d, &line);
                }
                continue;
            }
            if stack.len() == 1 && vtz_start.is_none() {
                self.calendar_property(&line);
            }
        }
        if let Some(d) = draft {
            self.warn(
                Some(d.line),
                d.uid.as_deref(),
                "VEVENT not closed at the end of the file (truncated download?); dropped".into(),
            );
        }
    }

    fn calendar_property(&mut self, line: &Line<'_>) {
        let name = line.name();
        let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
        if is("X-WR-TIMEZONE") {
            if let Ok(p) = line.parse() {
                let v = p.text().trim().to_string();
                if !v.is_empty() {
                    let i = self.intern(&v);
                    self.xwr = Some(i);
                    self.feed_xwr.get_or_insert(i);
                }
            }
        } else if is("REFRESH-INTERVAL") || is("X-PUBLISHED-TTL") {
            if let Ok(p) = line.parse() {
                match ics::parse_duration(p.value()) {
                    Some(d) if d > Duration::zero() => {
                        if self.refresh.is_none() || is("REFRESH-INTERVAL") {
                            self.refresh = d.to_std().ok();
                        }
                    }
                    _ => self.warn(
                        Some(line.number),
                        None,
                        format!(
                            "{} value `{}` is not a positive duration (e.g. PT1H); ignored",
                            String::from_utf8_lossy(&name),
                            p.value()
                        ),
                    ),
                }
            }
        } else if (is("X-WR-CALNAME") || is("NAME")) && self.title.is_none() {
            if let Ok(p) = line.parse() {
                let t = p.text().trim().to_string();
                if !t.is_empty() {
                    self.title = Some(t);
                }
            }
        }
    }

    /// Reads a DATE/DATE-TIME property into a stamp.
    fn stamp(&mut self, p: &ics::Property<'_>, value: TimeValue) -> Stamp {
        let tzid = p.param("TZID");
        let frame = match (&value, tzid.as_deref().map(str::trim)) {
            (TimeValue::Date(_), _) => Frame::Floating,
            (_, Some(t)) if !t.is_empty() => Frame::Tzid(self.intern(t)),
            // `TZID=` names the VTIMEZONE whose TZID is empty when there is one (RFC 5545
            // 3.2.19: the text may be empty); otherwise it says nothing.
            (_, Some(_)) if self.has_empty_vtimezone() => Frame::Tzid(self.intern("")),
            (TimeValue::Utc(_), _) => self.xwr.map_or(Frame::Utc, Frame::Tzid),
            (TimeValue::Local(_), _) => self.xwr.map_or(Frame::Floating, Frame::Tzid),
        };
        Stamp { value, frame }
    }

    /// Rare (old Mozilla exports): looked up once, the first time a `TZID=` is empty.
    fn has_empty_vtimezone(&mut self) -> bool {
        let data = self.data;
        *self.empty_vtimezone.get_or_insert_with(|| {
            ics::lines(data).any(|l| {
                l.is("TZID")
                    && l.parse()
                        .is_ok_and(|p| p.value().trim().trim_matches('"').trim().is_empty())
            })
        })
    }

    fn event_property(&mut self, d: &mut Draft, line: &Line<'_>) {
        let kind = classify(&line.name());
        if kind == Prop::Other {
            if line.is_malformed() {
                // Not a property this engine reads; the event stays.
                d.notes.push((
                    line.number,
                    "line has no ':' (expected NAME:VALUE); line ignored".into(),
                ));
            }
            return;
        }
        let p = match line.parse() {
            Ok(p) => p,
            Err(e) => {
                if matches!(kind, Prop::DtStart | Prop::RecurrenceId) {
                    d.fatal.get_or_insert((line.number, e));
                } else if kind == Prop::RRule {
                    d.notes.push((
                        line.number,
                        format!("RRULE line: {e}; rule ignored, only DTSTART (and RDATE) listed"),
                    ));
                } else {
                    d.notes.push((line.number, e));
                }
                return;
            }
        };
        // Only for messages; kept as written.
        let pname = p.name();
        match kind {
            Prop::Uid => {
                let v = p.text().trim().to_string();
                if !v.is_empty() {
                    d.uid = Some(v);
                }
            }
            Prop::DtStart | Prop::DtEnd | Prop::RecurrenceId => {
                match ics::parse_time_value(p.value()) {
                    Some(v) => {
                        let s = self.stamp(&p, v);
                        match kind {
                            Prop::DtStart => d.start = Some(s),
                            Prop::DtEnd => d.end = Some(s),
                            _ => {
                                d.recurrence_id = Some(s);
                                d.this_and_future = p.param_is("RANGE", "THISANDFUTURE");
                            }
                        }
                    }
                    None => {
                        let msg = format!(
                            "{pname} value `{}` is not a DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS[Z])",
                            p.value()
                        );
                        if kind == Prop::DtEnd {
                            d.notes.push((line.number, format!("{msg}; DTEND ignored")));
                        } else {
                            d.fatal.get_or_insert((line.number, msg));
                        }
                    }
                }
            }
            // A bad or negative DURATION says nothing about the length: the
            // event keeps its default one (a day for a date, zero otherwise)
            // rather than the sign dropped (`-PT1W1D2H3M4S` on an all-day
            // event was an 8-day timed event).
            Prop::Duration => match ics::parse_duration(p.value()) {
                Some(v) if v >= Duration::zero() => d.duration = Some(v),
                Some(_) => d.notes.push((
                    line.number,
                    format!(
                        "DURATION `{}` is negative; ignored, the event keeps its default length \
                         (one day for a date, none for a time)",
                        p.value()
                    ),
                )),
                None => d.notes.push((
                    line.number,
                    format!(
                        "DURATION value `{}` is not a duration (e.g. PT1H30M); ignored, the \
                         event keeps its default length (one day for a date, none for a time)",
                        p.value()
                    ),
                )),
            },
            Prop::RRule => {
                let v = p.value();
                if v.trim().is_empty() {
                    // CalendarLabs writes empty `RRULE:` lines on single events.
                    return;
                }
                // A damaged rule keeps what can be read, and an unreadable
                // one leaves DTSTART (and RDATE): the event is never lost
                // for its RRULE (issue 15).
                let strict = match RRule::parse(v) {
                    Ok(r) => return d.rrules.push(r),
                    Err(e) => e,
                };
                match RRule::parse_lenient(v) {
                    Ok((r, skipped)) => {
                        let skipped: Vec<String> = skipped.iter().map(|e| e.to_string()).collect();
                        d.notes.push((
                            line.number,
                            format!(
                                "RRULE `{v}`: {}; skipped, the rest of the rule is used",
                                skipped.join("; ")
                            ),
                        ));
                        d.rrules.push(r);
                    }
                    Err(e) => {
                        let why = if matches!(e, recur::RecurError::MissingFreq) {
                            strict
                        } else {
                            e
                        };
                        d.notes.push((
                            line.number,
                            format!(
                                "RRULE `{v}`: {why}; rule ignored, only DTSTART (and RDATE) listed"
                            ),
                        ));
                    }
                }
            }
            Prop::RDate | Prop::ExDate => {
                let (vals, bad) = ics::parse_date_list(p.value());
                for b in bad {
                    d.notes.push((
                        line.number,
                        format!("{pname} item `{b}` is not a date, date-time or period; skipped"),
                    ));
                }
                for v in vals {
                    match (kind, v) {
                        (Prop::RDate, RDateValue::At(t)) => {
                            let s = self.stamp(&p, t);
                            d.rdates.push((s, None));
                        }
                        (Prop::RDate, RDateValue::Period(t, end)) => {
                            let s = self.stamp(&p, t);
                            let e = match end {
                                PeriodEnd::End(e) => RdEnd::At(self.stamp(&p, e)),
                                PeriodEnd::Duration(x) => RdEnd::Lasting(x),
                            };
                            d.rdates.push((s, Some(e)));
                        }
                        (_, RDateValue::At(t)) | (_, RDateValue::Period(t, _)) => {
                            let s = self.stamp(&p, t);
                            d.exdates.push(s);
                        }
                    }
                }
            }
            Prop::Sequence => match p.value().trim().parse::<i64>() {
                Ok(n) => d.sequence = n,
                Err(_) => d.notes.push((
                    line.number,
                    format!("SEQUENCE `{}` is not an integer; 0 used", p.value()),
                )),
            },
            Prop::Status => d.status = parse_status(p.value()),
            Prop::Other => {}
        }
    }

    fn finish_event(&mut self, mut d: Draft, end_offset: usize) {
        for (line, msg) in &d.notes {
            self.warn(Some(*line), d.uid.as_deref(), msg.clone());
        }
        if let Some((line, msg)) = d.fatal {
            self.warn(
                Some(line),
                d.uid.as_deref(),
                format!("{msg}; event dropped"),
            );
            return;
        }
        let Some(mut start) = d.start else {
            self.warn(
                Some(d.line),
                d.uid.as_deref(),
                "VEVENT without DTSTART; event dropped".into(),
            );
            return;
        };
        if unify_frames(&mut start, &mut d) {
            self.mixed.count += 1;
            self.mixed.first.get_or_insert((d.line, d.uid.clone()));
        }
        let mut end = d.end;
        // A DATE start next to a DATE-TIME end, or a DURATION with hours, is
        // invalid (RFC 5545 3.8.2.2); read it as timed from midnight, as
        // recurring-ical-events does (`issue_201_test_matrix.ics`).
        let timed_duration = d.duration.is_some_and(|x| x.num_seconds() % 86_400 != 0);
        if let (TimeValue::Date(sd), true) = (
            start.value,
            end.is_some_and(|e| !e.is_date()) || (end.is_none() && timed_duration),
        ) {
            let midnight = sd.and_time(NaiveTime::MIN);
            start = match end {
                Some(Stamp {
                    value: TimeValue::Utc(_),
                    frame,
                }) => Stamp {
                    value: TimeValue::Utc(midnight),
                    frame,
                },
                Some(e) => Stamp {
                    value: TimeValue::Local(midnight),
                    frame: e.frame,
                },
                None => Stamp {
                    value: TimeValue::Local(midnight),
                    frame: Frame::Floating,
                },
            };
        }
        if let (
            Some(Stamp {
                value: TimeValue::Date(ed),
                ..
            }),
            false,
        ) = (end, start.is_date())
        {
            let midnight = ed.and_time(NaiveTime::MIN);
            end = Some(Stamp {
                value: match start.value {
                    TimeValue::Utc(_) => TimeValue::Utc(midnight),
                    _ => TimeValue::Local(midnight),
                },
                frame: start.frame,
            });
        }
        if let Some(e) = end {
            if rough_instant(&e.value) < rough_instant(&start.value) {
                self.warn(
                    Some(d.line),
                    d.uid.as_deref(),
                    "DTEND is before DTSTART; the two are swapped".into(),
                );
                end = Some(start);
                start = e;
            }
        }
        let mut rrules = d.rrules;
        if start.is_date() {
            // recur::expand_all_day gives nothing for these; say so instead of silently
            // listing DTSTART alone.
            let before = rrules.len();
            rrules.retain(recur::RRule::fits_all_day);
            if rrules.len() < before {
                self.warn(
                    Some(d.line),
                    d.uid.as_deref(),
                    "RRULE repeats within a day (FREQ=HOURLY, MINUTELY or SECONDLY) but DTSTART \
                     is a date (all-day); rule ignored, only DTSTART listed: use FREQ=DAILY or a \
                     DATE-TIME DTSTART"
                        .into(),
                );
            }
        }
        let duration = d.duration;
        self.events.push(Event {
            uid: d.uid,
            line: d.line,
            span: d.start_offset..end_offset,
            start,
            end,
            duration,
            rrules: rrules.into_boxed_slice(),
            rdates: d.rdates.into_boxed_slice(),
            exdates: d.exdates.into_boxed_slice(),
            recurrence_id: d.recurrence_id,
            this_and_future: d.this_and_future,
            sequence: d.sequence,
            status: d.status,
        });
    }

    fn finish(mut self, bytes: &[u8], body: Arc<Vec<u8>>) -> ParsedCalendar {
        if let Some((line, uid)) = self.mixed.first.take() {
            // Once per feed: an export that does it does it for every event.
            let n = self.mixed.count;
            self.warn(
                Some(line),
                uid.as_deref(),
                format!(
                    "{n} {} times without a zone next to a DTSTART or DTEND with one (the first \
                     here); those times are read in the event's own zone",
                    if n == 1 { "event mixes" } else { "events mix" }
                ),
            );
        }
        let vtimezones: Vec<tz::VTimezone> = std::mem::take(&mut self.vtimezones)
            .into_iter()
            .filter_map(|(line, span)| self.read_vtimezone(line, &bytes[span]))
            .collect();
        let feed_xwr = self.feed_xwr.map(|i| self.tzids[i as usize].clone());
        let resolver = tz::ZoneResolver::new(vtimezones).with_calendar_zone(feed_xwr.as_deref());
        // The resolver hands back the caller's fallback for a TZID it cannot
        // place. The engine reads such times as floating (in the local zone at
        // expansion time, like an unknown TZID in the recurring-ical-events
        // oracle), so it passes an offset no real zone has and recognises it.
        let sentinel = Zone::Fixed(FixedOffset::east_opt(86_399).unwrap_or(Utc.fix()));
        let mut zones = Vec::with_capacity(self.tzids.len());
        for tzid in std::mem::take(&mut self.tzids) {
            let resolved = resolver.resolve(&tzid, &sentinel);
            if let Some(w) = resolved.warning {
                self.warn(None, None, w);
            }
            zones.push((resolved.zone != sentinel).then_some(resolved.zone));
        }
        let events = std::mem::take(&mut self.events);
        let mut cal = ParsedCalendar {
            name: self.name.to_string(),
            warnings: std::mem::take(&mut self.warnings),
            refresh_interval: self.refresh,
            title: self.title.take(),
            event_count: events.len(),
            data: body,
            events,
            series: Vec::new(),
            zones,
            utc: Zone::utc(),
        };
        cal.build_series();
        cal
    }

    fn read_vtimezone(&mut self, line: usize, bytes: &[u8]) -> Option<tz::VTimezone> {
        match vtimezone_from_bytes(bytes) {
            Ok(v) => Some(v),
            Err(msg) => {
                self.warn(Some(line), None, format!("VTIMEZONE ignored: {msg}"));
                None
            }
        }
    }
}

#[cold]
fn unreachable_draft(line: &Line<'_>) -> Draft {
    // Only reached if the state machine above is wrong; never panic on input.
    Draft::new(line)
}

impl Draft {
    fn new(line: &Line<'_>) -> Draft {
        Draft {
            line: line.number,
            start_offset: line.offset,
            uid: None,
            start: None,
            end: None,
            duration: None,
            rrules: Vec::new(),
            rdates: Vec::new(),
            exdates: Vec::new(),
            recurrence_id: None,
            this_and_future: false,
            sequence: 0,
            status: None,
            fatal: None,
            notes: Vec::new(),
        }
    }
}

/// A time without a zone inside an event whose DTSTART has one (`DTSTART;TZID=US-Eastern:...`
/// next to `DTEND:19970902T100000`) is on DTSTART's clock: that is what its producer meant, and
/// read on the viewer's clock instead the meeting's length (or whether an EXDATE hits) would
/// change with the viewer's zone (issue 15). The same for DTEND, EXDATE, RDATE (also a PERIOD's
/// end) and RECURRENCE-ID; a DTSTART without a zone next to a zoned DTEND takes the DTEND's
/// zone, and with it the event's other times without one. Dates are days, not times: untouched.
/// True when a value was moved.
fn unify_frames(start: &mut Stamp, d: &mut Draft) -> bool {
    let floating = |s: &Stamp| s.frame == Frame::Floating && matches!(s.value, TimeValue::Local(_));
    let zoned = |s: &Stamp| s.frame != Frame::Floating && !s.is_date();
    let mut moved = false;
    let frame = if zoned(start) {
        start.frame
    } else if let Some(end) = d.end.filter(|e| floating(start) && zoned(e)) {
        start.frame = end.frame;
        moved = true;
        end.frame
    } else {
        return false;
    };
    let mut adopt = |s: &mut Stamp| {
        if floating(s) {
            s.frame = frame;
            moved = true;
        }
    };
    if let Some(e) = d.end.as_mut() {
        adopt(e);
    }
    if let Some(r) = d.recurrence_id.as_mut() {
        adopt(r);
    }
    d.exdates.iter_mut().for_each(&mut adopt);
    for (r, end) in d.rdates.iter_mut() {
        adopt(r);
        if let Some(RdEnd::At(e)) = end.as_mut() {
            adopt(e);
        }
    }
    moved
}

fn parse_status(v: &str) -> Option<Status> {
    match v.trim().to_ascii_uppercase().as_str() {
        "CONFIRMED" => Some(Status::Confirmed),
        "TENTATIVE" => Some(Status::Tentative),
        "CANCELLED" | "CANCELED" => Some(Status::Cancelled),
        _ => None,
    }
}

/// The value as if it were UTC: good enough to order values of one event.
fn rough_instant(v: &TimeValue) -> NaiveDateTime {
    v.naive()
}

/// Reads one VTIMEZONE component (its bytes, BEGIN to END) for the tz module.
fn vtimezone_from_bytes(bytes: &[u8]) -> Result<tz::VTimezone, String> {
    let mut tzid: Option<String> = None;
    let mut observances = Vec::new();
    let mut current: Option<ObsDraft> = None;
    let mut depth = 0usize;
    for line in ics::lines(bytes) {
        if let Some((begin, comp)) = line.begin_end() {
            let comp = String::from_utf8_lossy(&comp).to_ascii_uppercase();
            if begin {
                depth += 1;
                if depth == 2 && (comp == "STANDARD" || comp == "DAYLIGHT") {
                    current = Some(ObsDraft::new(comp == "DAYLIGHT", line.number));
                }
            } else {
                if depth == 2 {
                    if let Some(o) = current.take() {
                        match o.build() {
                            Ok(o) => observances.push(o),
                            Err(e) => return Err(e),
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        let Ok(p) = line.parse() else { continue };
        let name = p.name().to_ascii_uppercase();
        if depth == 1 && name == "TZID" {
            tzid = Some(p.text().trim().to_string());
        } else if depth == 2 {
            if let Some(o) = current.as_mut() {
                o.property(&name, &p);
            }
        }
    }
    let tzid = tzid.ok_or("it has no TZID")?;
    Ok(tz::VTimezone { tzid, observances })
}

struct ObsDraft {
    daylight: bool,
    line: usize,
    dtstart: Option<TimeValue>,
    offset_from: Option<i32>,
    offset_to: Option<i32>,
    rrule: Option<String>,
    rdates: Vec<TimeValue>,
    name: Option<String>,
}

impl ObsDraft {
    fn new(daylight: bool, line: usize) -> ObsDraft {
        ObsDraft {
            daylight,
            line,
            dtstart: None,
            offset_from: None,
            offset_to: None,
            rrule: None,
            rdates: Vec::new(),
            name: None,
        }
    }

    fn property(&mut self, name: &str, p: &ics::Property<'_>) {
        match name {
            "DTSTART" => self.dtstart = ics::parse_time_value(p.value()),
            "TZOFFSETFROM" => self.offset_from = tz::parse_utc_offset(p.value()),
            "TZOFFSETTO" => self.offset_to = tz::parse_utc_offset(p.value()),
            "RRULE" => self.rrule = Some(p.value().to_string()),
            "RDATE" => {
                let (vals, _) = ics::parse_date_list(p.value());
                self.rdates.extend(vals.into_iter().map(|v| match v {
                    RDateValue::At(t) | RDateValue::Period(t, _) => t,
                }));
            }
            "TZNAME" => self.name = Some(p.text().trim().to_string()),
            _ => {}
        }
    }

    fn build(self) -> Result<tz::Observance, String> {
        let kind = if self.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        let offset_to = self.offset_to.ok_or_else(|| {
            format!(
                "{kind} at line {} has no valid TZOFFSETTO (e.g. +0100)",
                self.line
            )
        })?;
        let offset_from = self.offset_from.unwrap_or(offset_to);
        // Observance times are wall times in TZOFFSETFROM; a `Z` value is converted.
        let wall = |t: TimeValue| match t {
            TimeValue::Utc(n) => tz::utc_to_wall(n, offset_from),
            other => other.naive(),
        };
        Ok(tz::Observance {
            kind: if self.daylight {
                tz::ObservanceKind::Daylight
            } else {
                tz::ObservanceKind::Standard
            },
            dtstart: self.dtstart.map_or(NaiveDateTime::MIN, wall),
            offset_from,
            offset_to,
            rrule: self.rrule,
            rdates: self.rdates.into_iter().map(wall).collect(),
            name: self.name,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Series assembly.

impl ParsedCalendar {
    fn build_series(&mut self) {
        let mut by_uid: HashMap<&str, usize> = HashMap::new();
        let mut series: Vec<Series> = Vec::new();
        let mut dup_warnings = Vec::new();
        for (i, ev) in self.events.iter().enumerate() {
            let Some(uid) = ev.uid.as_deref() else {
                // Without UID nothing can belong together: each stands alone.
                series.push(Series {
                    uid: synthetic_uid(&self.data[ev.span.clone()]),
                    master: ev.recurrence_id.is_none().then_some(i),
                    overrides: if ev.recurrence_id.is_some() {
                        vec![i]
                    } else {
                        Vec::new()
                    },
                    earliest: None,
                    latest: None,
                });
                continue;
            };
            let si = *by_uid.entry(uid).or_insert_with(|| {
                series.push(Series {
                    uid: uid.to_string(),
                    master: None,
                    overrides: Vec::new(),
                    earliest: None,
                    latest: None,
                });
                series.len() - 1
            });
            let s = &mut series[si];
            if ev.recurrence_id.is_some() {
                s.overrides.push(i);
            } else if let Some(m) = s.master {
                // Two masters for one UID: the highest SEQUENCE (then the
                // later one) is the current version of the event.
                dup_warnings.push((ev.line, uid.to_string()));
                if ev.sequence >= self.events[m].sequence {
                    s.master = Some(i);
                }
            } else {
                s.master = Some(i);
            }
        }
        for (line, uid) in dup_warnings {
            self.warnings.push(Warning {
                calendar: self.name.clone(),
                line: Some(line),
                uid: Some(uid),
                message: "another VEVENT with this UID and no RECURRENCE-ID; the one with the highest SEQUENCE (then the later one) is used".into(),
            });
        }
        for s in &mut series {
            dedup_overrides(&self.events, s, &self.zones);
            let (lo, hi) = self.series_bounds(s);
            s.earliest = lo;
            s.latest = hi;
        }
        self.series = series;
    }

    /// Conservative UTC bounds of a series (floating read as UTC +- margin).
    fn series_bounds(&self, s: &Series) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let margin = Duration::days(2);
        let mut lo: Option<DateTime<Utc>> = None;
        let mut hi: Option<DateTime<Utc>> = None;
        let mut unbounded_hi = false;
        let mut unbounded_lo = false;
        let mut take =
            |ev: &Event, lo: &mut Option<DateTime<Utc>>, hi: &mut Option<DateTime<Utc>>| {
                let start = self.rough_utc(&ev.start);
                let len = self.max_length(ev);
                let mut first = start;
                let mut last = start + len;
                if let Some(r) = ev.recurrence_id {
                    let r = self.rough_utc(&r);
                    first = first.min(r);
                    last = last.max(r);
                }
                for (rd, _) in &ev.rdates {
                    let t = self.rough_utc(rd);
                    first = first.min(t);
                    last = last.max(t + len);
                }
                if !ev.rrules.is_empty() {
                    let all_until = ev.rrules.iter().all(|r| r.until.is_some());
                    if all_until {
                        for r in &ev.rrules {
                            if let Some(u) = r.until {
                                last = last.max(u.as_wall_clock().and_utc() + len);
                            }
                        }
                    } else {
                        unbounded_hi = true;
                    }
                }
                if ev.this_and_future {
                    // Shifts every later instance: no upper bound is safe.
                    unbounded_hi = true;
                    unbounded_lo = true;
                }
                *lo = Some(lo.map_or(first, |l| l.min(first)));
                *hi = Some(hi.map_or(last, |h| h.max(last)));
            };
        if let Some(m) = s.master {
            take(&self.events[m], &mut lo, &mut hi);
        }
        for &o in &s.overrides {
            take(&self.events[o], &mut lo, &mut hi);
        }
        (
            if unbounded_lo {
                None
            } else {
                lo.map(|l| l - margin)
            },
            if unbounded_hi {
                None
            } else {
                hi.map(|h| h + margin)
            },
        )
    }

    /// An instant for bounds: the zone when known, else the value as UTC.
    fn rough_utc(&self, s: &Stamp) -> DateTime<Utc> {
        match (s.value, s.frame) {
            (TimeValue::Utc(n), _) => n.and_utc(),
            (TimeValue::Local(n), Frame::Tzid(i)) => match self.zones.get(i as usize) {
                Some(Some(z)) => z.to_utc(n),
                _ => n.and_utc(),
            },
            (v, _) => v.naive().and_utc(),
        }
    }

    fn max_length(&self, ev: &Event) -> Duration {
        let mut len = self.length(ev).total();
        for (s, e) in &ev.rdates {
            if let Some(e) = e {
                let l = match e {
                    RdEnd::At(e) => self.rough_utc(e) - self.rough_utc(s),
                    RdEnd::Lasting(d) => *d,
                };
                len = len.max(l);
            }
        }
        len.max(Duration::zero())
    }

    /// The length of the event's instances from DTEND/DURATION.
    fn length(&self, ev: &Event) -> Length {
        if let Some(e) = ev.end {
            // On one clock: same frame, and not a `Z` value beside a local one
            // (`DTSTART;TZID=Europe/Berlin:...Z` next to a DTEND in Berlin time).
            let same_clock = e.frame == ev.start.frame
                && matches!(e.value, TimeValue::Utc(_))
                    == matches!(ev.start.value, TimeValue::Utc(_));
            if same_clock || ev.start.is_date() {
                return Length {
                    nominal: e.value.naive() - ev.start.value.naive(),
                    exact: Duration::zero(),
                };
            }
            return Length {
                nominal: Duration::zero(),
                exact: self.rough_utc(&e) - self.rough_utc(&ev.start),
            };
        }
        if let Some(d) = ev.duration {
            return if d.num_seconds() % 86_400 == 0 {
                Length {
                    nominal: d,
                    exact: Duration::zero(),
                }
            } else {
                Length {
                    nominal: Duration::zero(),
                    exact: d,
                }
            };
        }
        if ev.start.is_date() {
            Length {
                nominal: Duration::days(1),
                exact: Duration::zero(),
            }
        } else {
            Length::ZERO
        }
    }
}

fn synthetic_uid(bytes: &[u8]) -> String {
    // FNV-1a: stable across runs and refreshes of an unchanged event.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("rapport-no-uid-{h:016x}")
}

/// Keeps one override per RECURRENCE-ID: the highest SEQUENCE, then the later.
fn dedup_overrides(events: &[Event], s: &mut Series, zones: &[Option<Zone>]) {
    if s.overrides.len() < 2 {
        return;
    }
    let rough = |st: &Stamp| -> (bool, NaiveDateTime) {
        let n = match (st.value, st.frame) {
            (TimeValue::Local(n), Frame::Tzid(i)) => match zones.get(i as usize) {
                Some(Some(z)) => z.to_utc(n).naive_utc(),
                _ => n,
            },
            (v, _) => v.naive(),
        };
        (st.is_date(), n)
    };
    let mut best: HashMap<(bool, NaiveDateTime), usize> = HashMap::new();
    for &o in &s.overrides {
        let Some(rid) = events[o].recurrence_id else {
            continue;
        };
        let k = rough(&rid);
        match best.get(&k) {
            Some(&prev) if events[prev].sequence > events[o].sequence => {}
            _ => {
                best.insert(k, o);
            }
        }
    }
    let mut kept: Vec<usize> = best.into_values().collect();
    kept.sort_unstable();
    s.overrides = kept;
}

// ---------------------------------------------------------------------------------------------
// Expansion.

/// At most this many instances of one series are produced per window; the
/// RRULE expander's budget (`recur::Limits`) bounds the work before that.
pub const MAX_INSTANCES_PER_SERIES: usize = 20_000;

/// One instance before it becomes an Occurrence.
struct Inst<'e> {
    /// The component whose fields describe it (master or override).
    event: &'e Event,
    event_index: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    all_day: bool,
    /// Zone to show it in; `None` = floating/date (opts.floating, no tz name).
    zone: Option<&'e Zone>,
    recurrence_id: Option<RecurrenceId>,
}

impl ParsedCalendar {
    fn zone_of<'z>(&'z self, frame: Frame, opts: &'z ExpandOptions) -> (&'z Zone, bool) {
        match frame {
            Frame::Utc => (&self.utc, true),
            Frame::Floating => (&opts.floating, false),
            Frame::Tzid(i) => match self.zones.get(i as usize) {
                Some(Some(z)) => (z, true),
                _ => (&opts.floating, false),
            },
        }
    }

    /// The instant of a stamp.
    fn instant(&self, s: &Stamp, opts: &ExpandOptions) -> DateTime<Utc> {
        match s.value {
            TimeValue::Utc(n) => n.and_utc(),
            TimeValue::Date(d) => opts.floating.to_utc(d.and_time(NaiveTime::MIN)),
            TimeValue::Local(n) => self.zone_of(s.frame, opts).0.to_utc(n),
        }
    }

    /// The calendar date a stamp names, for matching against an all-day
    /// series: a zoned value's own wall date (Exchange writes the RECURRENCE-ID
    /// of an all-day instance as local midnight `TZID=GMT Standard Time`); a
    /// UTC one on the sender's clock ([`SENDER_CLOCK`] when unknown).
    fn date_of(&self, s: &Stamp, opts: &ExpandOptions) -> NaiveDate {
        match s.value {
            TimeValue::Date(d) => d,
            TimeValue::Local(n) => n.date(),
            // `TZID=X:...Z`: the Z wins, and X is the sender's clock.
            TimeValue::Utc(n) => match self.zone_of(s.frame, opts) {
                (zone, true) if s.frame != Frame::Utc => wall(zone, n.and_utc()).date(),
                _ => shifted(n, SENDER_CLOCK).date(),
            },
        }
    }

    /// The wall-clock time of a stamp on `zone`'s clock.
    fn wall_in(&self, s: &Stamp, zone: &Zone, frame: Frame, opts: &ExpandOptions) -> NaiveDateTime {
        match s.value {
            TimeValue::Date(d) => d.and_time(NaiveTime::MIN),
            TimeValue::Local(n) if s.frame == frame || s.frame == Frame::Floating => n,
            _ => wall(zone, self.instant(s, opts)),
        }
    }

    /// All occurrences overlapping [from, to) (zero-length: start in window),
    /// sorted by start then UID, cancelled ones included (callers filter).
    /// Work is bounded per window: only the window is expanded, and each
    /// RRULE expansion has a fixed budget.
    pub fn occurrences(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        opts: &ExpandOptions,
    ) -> Vec<Occurrence> {
        self.expand(from, to, opts).occurrences
    }

    /// [`ParsedCalendar::occurrences`], with a warning for each series whose
    /// expansion was cut (the expander's step budget, or more than
    /// [`MAX_INSTANCES_PER_SERIES`] instances in the window): the list is then
    /// incomplete, and the user should hear it rather than miss a meeting.
    pub fn expand(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        opts: &ExpandOptions,
    ) -> Expansion {
        let mut occurrences = Vec::new();
        let warnings = self.for_each_occurrence(from, to, opts, &mut |o| occurrences.push(o));
        Expansion {
            occurrences,
            warnings,
        }
    }

    /// [`ParsedCalendar::expand`] one occurrence at a time, in the same
    /// order, without holding them all: `agenda --json` writes each as it
    /// comes (the occurrences of a fortnight in a 50k-event feed are 27 MB).
    /// Returns the warnings about series cut short.
    pub fn for_each_occurrence(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        opts: &ExpandOptions,
        each: &mut dyn FnMut(Occurrence),
    ) -> Vec<Warning> {
        let mut cut: Vec<Warning> = Vec::new();
        let mut insts: Vec<(usize, Inst<'_>)> = Vec::new();
        // Feeds can only write years 0000-9999; a wider window (a caller
        // passing DateTime::MAX_UTC for "everything") is clamped so the
        // wall-clock arithmetic below cannot overflow.
        let (lo, hi) = window_limits();
        let (from, to) = (from.clamp(lo, hi), to.clamp(lo, hi));
        if from >= to {
            return cut;
        }
        for (si, s) in self.series.iter().enumerate() {
            if s.earliest.is_some_and(|e| e > to) || s.latest.is_some_and(|l| l < from) {
                continue;
            }
            self.expand_series(s, from, to, opts, &mut |i| insts.push((si, i)), &mut cut);
        }
        insts.sort_by(|a, b| {
            a.1.start
                .cmp(&b.1.start)
                .then_with(|| self.series[a.0].uid.cmp(&self.series[b.0].uid))
                .then_with(|| a.1.end.cmp(&b.1.end))
        });
        // Text fields are decoded once per component; the last occurrence
        // that needs them takes them instead of a copy.
        let mut uses: Vec<u32> = vec![0; self.events.len()];
        for (_, inst) in &insts {
            uses[inst.event_index] += 1;
        }
        let mut details: HashMap<usize, Details> = HashMap::new();
        for (si, inst) in insts {
            let left = &mut uses[inst.event_index];
            *left = left.saturating_sub(1);
            let d = if *left == 0 {
                details
                    .remove(&inst.event_index)
                    .unwrap_or_else(|| self.details(inst.event, opts))
            } else {
                details
                    .entry(inst.event_index)
                    .or_insert_with(|| self.details(inst.event, opts))
                    .clone()
            };
            each(self.occurrence(&self.series[si].uid, inst, d, opts));
        }
        cut
    }

    fn expand_series<'s>(
        &'s self,
        s: &'s Series,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        opts: &'s ExpandOptions,
        emit: &mut dyn FnMut(Inst<'s>),
        cut: &mut Vec<Warning>,
    ) {
        let keep = |start: DateTime<Utc>, end: DateTime<Utc>| {
            if start == end {
                from <= start && start < to
            } else {
                start < to && from < end
            }
        };
        // Overrides stand for themselves.
        for &o in &s.overrides {
            let ev = &self.events[o];
            if let Some(mi) = s.master {
                if self.stale_override(mi, ev, opts) {
                    continue;
                }
            }
            let inst = self.single(
                ev,
                o,
                opts,
                s.master.is_some() || ev.recurrence_id.is_some(),
            );
            if keep(inst.start, inst.end) {
                emit(inst);
            }
        }
        let Some(mi) = s.master else { return };
        let master = &self.events[mi];
        if !master.is_recurring() {
            let mut inst = self.single(master, mi, opts, false);
            inst.recurrence_id = None;
            if keep(inst.start, inst.end) && !self.overridden_single(s, master, opts) {
                emit(inst);
            }
            return;
        }
        self.expand_recurring(s, mi, from, to, opts, emit, &keep, cut);
    }

    /// An override older than its master (lower SEQUENCE) for an instance the
    /// master no longer generates (EXDATE'd, or cut off by a new UNTIL) was
    /// deleted by the organizer's later edit; showing it would resurrect a
    /// meeting (`issue_148_edge_case_1.ics`, `issue_163_deleted_modification.ics`).
    fn stale_override(&self, mi: usize, ov: &Event, opts: &ExpandOptions) -> bool {
        let master = &self.events[mi];
        let Some(rid) = ov.recurrence_id else {
            return false;
        };
        if ov.sequence >= master.sequence || !master.is_recurring() {
            return false;
        }
        !self.generates(master, &rid, opts)
    }

    /// Whether the series of `master` has an instance at `rid`.
    fn generates(&self, master: &Event, rid: &Stamp, opts: &ExpandOptions) -> bool {
        let all_day = master.start.is_date();
        let frame = if all_day {
            Frame::Floating
        } else {
            master.start.frame
        };
        let (zone, named) = self.zone_of(frame, opts);
        let same = |a: &Stamp, b: &Stamp| {
            if all_day || a.is_date() || b.is_date() {
                self.date_of(a, opts) == self.date_of(b, opts)
            } else {
                self.instant(a, opts) == self.instant(b, opts)
            }
        };
        if master.exdates.iter().any(|x| same(x, rid)) {
            return false;
        }
        if same(&master.start, rid) || master.rdates.iter().any(|(r, _)| same(r, rid)) {
            return true;
        }
        let dtstart = self.wall_in(&master.start, zone, frame, opts);
        let w = if all_day {
            self.date_of(rid, opts).and_time(NaiveTime::MIN)
        } else {
            self.wall_in(rid, zone, frame, opts)
        };
        let limits = recur::Limits::default();
        master.rrules.iter().any(|rule| {
            let until = rule
                .until
                .map(|u| Self::until_local(u, zone, all_day || !named));
            let to = shifted(w, Duration::seconds(1));
            let exp = if all_day {
                recur::expand_all_day(rule, dtstart.date(), until, w, to, &limits)
            } else {
                recur::expand(rule, dtstart, until, w, to, &limits)
            };
            !exp.starts.is_empty() || exp.budget_exhausted
        })
    }

    /// A non-recurring master that has an override for its own start is replaced by it.
    fn overridden_single(&self, s: &Series, master: &Event, opts: &ExpandOptions) -> bool {
        let k = self.key_of(&master.start, opts);
        s.overrides.iter().any(|&o| {
            self.events[o]
                .recurrence_id
                .is_some_and(|r| self.key_of(&r, opts) == k)
        })
    }

    fn key_of(&self, s: &Stamp, opts: &ExpandOptions) -> Key {
        match s.value {
            TimeValue::Date(d) => Key::Date(d),
            _ => Key::Instant(self.instant(s, opts)),
        }
    }

    /// The instance of a component taken as it is (single event or override).
    fn single<'s>(
        &'s self,
        ev: &'s Event,
        index: usize,
        opts: &'s ExpandOptions,
        with_rid: bool,
    ) -> Inst<'s> {
        let (zone, named) = self.zone_of(ev.start.frame, opts);
        let all_day = ev.start.is_date();
        let start = self.instant(&ev.start, opts);
        let len = self.length(ev);
        let end = if all_day {
            opts.floating.to_utc(ev.start.value.naive() + len.nominal) + len.exact
        } else if let Some(e) = ev.end.filter(|e| e.frame != ev.start.frame) {
            self.instant(&e, opts)
        } else {
            let w = self.wall_in(&ev.start, zone, ev.start.frame, opts);
            add_length(zone, w, start, len)
        };
        let recurrence_id = if with_rid {
            ev.recurrence_id.map(|r| match r.value {
                TimeValue::Date(d) => RecurrenceId::Date(d),
                _ => RecurrenceId::DateTime(self.instant(&r, opts)),
            })
        } else {
            None
        };
        Inst {
            event: ev,
            event_index: index,
            start,
            end: end.max(start),
            all_day,
            zone: (named && !all_day).then_some(zone),
            recurrence_id,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn expand_recurring<'s>(
        &'s self,
        s: &'s Series,
        mi: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        opts: &'s ExpandOptions,
        emit: &mut dyn FnMut(Inst<'s>),
        keep: &dyn Fn(DateTime<Utc>, DateTime<Utc>) -> bool,
        cut: &mut Vec<Warning>,
    ) {
        let master = &self.events[mi];
        let all_day = master.start.is_date();
        let frame = if all_day {
            Frame::Floating
        } else {
            master.start.frame
        };
        let (zone, named) = self.zone_of(frame, opts);
        let dtstart = self.wall_in(&master.start, zone, frame, opts);
        let len = self.length(master);

        // Overrides: which original starts they take, and the THISANDFUTURE ones.
        let mut replaced: HashMap<Key, usize> = HashMap::new();
        let mut futures: Vec<(Key, NaiveDateTime, usize)> = Vec::new();
        let mut shift = Duration::zero();
        for &o in &s.overrides {
            let ev = &self.events[o];
            let Some(rid) = ev.recurrence_id else {
                continue;
            };
            let k = if all_day {
                Key::Date(self.date_of(&rid, opts))
            } else {
                self.key_of(&rid, opts)
            };
            replaced.insert(k, o);
            if ev.this_and_future {
                let rid_wall = self.wall_in(&rid, zone, frame, opts);
                let start_wall = self.wall_in(&ev.start, zone, frame, opts);
                let d = start_wall - rid_wall;
                shift = shift
                    .max(d.abs())
                    .checked_add(&self.length(ev).total().abs())
                    .unwrap_or(Duration::MAX);
                futures.push((k, rid_wall, o));
            }
        }
        futures.sort_by_key(|f| f.1);

        // The window on the series' clock, widened by the length and shifts.
        let max_len = self.max_length(master);
        let margin = Duration::days(1);
        let widen = shift.checked_add(&margin).unwrap_or(Duration::MAX);
        let from_l = shifted(shifted(wall(zone, from), -max_len), -widen);
        let to_l = shifted(wall(zone, to), widen);

        // Candidate starts: (wall start, own end for PERIOD rdates, is date).
        let mut cands: Vec<(NaiveDateTime, Option<DateTime<Utc>>, bool)> = Vec::new();
        let limits = recur::Limits::default();
        let mut dtstart_ok = master.rrules.is_empty();
        let mut exhausted = false;
        for rule in &master.rrules {
            let until = rule
                .until
                .map(|u| Self::until_local(u, zone, all_day || !named));
            if until.is_none_or(|u| u >= dtstart) {
                dtstart_ok = true;
            }
            let exp = if all_day {
                recur::expand_all_day(rule, dtstart.date(), until, from_l, to_l, &limits)
            } else {
                recur::expand(rule, dtstart, until, from_l, to_l, &limits)
            };
            exhausted |= exp.budget_exhausted;
            cands.extend(exp.starts.into_iter().map(|w| (w, None, all_day)));
        }
        if dtstart_ok && dtstart >= from_l && dtstart < to_l {
            cands.push((dtstart, None, all_day));
        }
        for (rd, end) in &master.rdates {
            let w = self.wall_in(rd, zone, frame, opts);
            if w < from_l || w >= to_l {
                continue;
            }
            let end = end.map(|e| match e {
                RdEnd::At(e) => self.instant(&e, opts),
                RdEnd::Lasting(d) => self.instant(rd, opts) + d,
            });
            cands.push((w, end, rd.is_date()));
        }
        cands.sort_by_key(|c| (c.0, c.2));
        cands.dedup_by_key(|c| (c.0, c.2));
        // EXDATE keys.
        let mut ex_keys: Vec<Key> = Vec::with_capacity(master.exdates.len());
        for x in &master.exdates {
            ex_keys.push(match x.value {
                TimeValue::Date(d) => Key::Date(d),
                _ if all_day => Key::Date(self.date_of(x, opts)),
                _ => Key::Instant(self.instant(x, opts)),
            });
        }

        // The cap counts instances that overlap the window, not candidates: the widened
        // window's margin alone holds 86,400 FREQ=SECONDLY candidates.
        let mut kept = 0usize;
        for (w, own_end, is_date) in cands {
            let start_utc = if is_date {
                opts.floating.to_utc(w)
            } else {
                zone.to_utc(w)
            };
            let key = if is_date {
                Key::Date(w.date())
            } else {
                Key::Instant(start_utc)
            };
            if ex_keys.contains(&key) || (!is_date && ex_keys.contains(&Key::Date(w.date()))) {
                continue;
            }
            if replaced.contains_key(&key)
                || (!is_date && replaced.contains_key(&Key::Date(w.date())))
            {
                continue;
            }
            let rid = match key {
                Key::Date(d) => RecurrenceId::Date(d),
                Key::Instant(t) => RecurrenceId::DateTime(t),
            };
            // The latest THISANDFUTURE override at or before this instance.
            let future = futures.iter().rev().find(|f| f.1 <= w);
            let (ev, index, start, end) = match future {
                Some(&(_, rid_wall, o)) => {
                    let ov = &self.events[o];
                    let start_wall_o = self.wall_in(&ov.start, zone, frame, opts);
                    let new_wall = w + (start_wall_o - rid_wall);
                    let olen = self.length(ov);
                    let start = if is_date {
                        opts.floating.to_utc(new_wall)
                    } else {
                        zone.to_utc(new_wall)
                    };
                    let end = if is_date {
                        opts.floating.to_utc(new_wall + olen.nominal) + olen.exact
                    } else {
                        add_length(zone, new_wall, start, olen)
                    };
                    (ov, o, start, end)
                }
                None => {
                    let end = match own_end {
                        Some(e) => e,
                        None if is_date => opts.floating.to_utc(w + len.nominal) + len.exact,
                        None => add_length(zone, w, start_utc, len),
                    };
                    (master, mi, start_utc, end)
                }
            };
            let end = end.max(start);
            if !keep(start, end) {
                continue;
            }
            if kept == MAX_INSTANCES_PER_SERIES {
                // FREQ=SECONDLY without end over a month is 2.6 million meetings:
                // nobody has those; keep the first ones and say so.
                cut.push(Warning {
                    calendar: self.name.clone(),
                    line: Some(master.line),
                    uid: Some(s.uid.clone()),
                    message: format!(
                        "more than {MAX_INSTANCES_PER_SERIES} instances in the window; only the first {MAX_INSTANCES_PER_SERIES} are listed"
                    ),
                });
                return;
            }
            kept += 1;
            emit(Inst {
                event: ev,
                event_index: index,
                start,
                end,
                all_day: is_date,
                zone: (named && !is_date).then_some(zone),
                recurrence_id: Some(rid),
            });
        }
        if exhausted {
            cut.push(Warning {
                calendar: self.name.clone(),
                line: Some(master.line),
                uid: Some(s.uid.clone()),
                message: format!(
                    "the RRULE needs more than {} steps for this window; its expansion stopped there, so instances in the window may be missing",
                    limits.max_iterations
                ),
            });
        }
    }

    /// UNTIL on the series' clock (RFC 5545 3.3.10: a UTC UNTIL is compared
    /// as an instant; a DATE or floating one on DTSTART's wall clock). A UTC
    /// UNTIL on an all-day or floating series (Exchange writes them) has no
    /// instant to be compared with: it is read at UTC+13 (`SENDER_CLOCK`). never on
    /// the viewer's clock, so whether the last instance exists does not
    /// depend on who looks (issue 15).
    fn until_local(u: Until, zone: &Zone, on_viewer_clock: bool) -> NaiveDateTime {
        match u {
            Until::Utc(n) if on_viewer_clock => shifted(n, SENDER_CLOCK),
            Until::Utc(n) => wall(zone, n.and_utc()),
            other => other.as_wall_clock(),
        }
    }
}

/// The clock on which a UTC time is read when it stands for a day or a wall time that has no
/// zone (the UNTIL of an all-day or floating series, the EXDATE or RECURRENCE-ID of an all-day
/// instance): UTC+13. Exchange writes the sender's local midnight of the day in UTC
/// (`UNTIL=20200916T230000Z` for Thursday 17 September in London), which names the right day
/// for every sender from UTC-11 to UTC+13, so the UNTIL day is included as Outlook shows it.
const SENDER_CLOCK: Duration = Duration::hours(13);

/// The widest window [`ParsedCalendar::occurrences`] looks at.
fn window_limits() -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |y| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .map(|d| d.and_time(NaiveTime::MIN).and_utc())
            .unwrap_or_default()
    };
    (at(-100), at(10_200))
}

/// Wall-clock time of an instant in a zone (saturating at chrono's range).
fn wall(zone: &Zone, t: DateTime<Utc>) -> NaiveDateTime {
    let off = zone.offset_at(t);
    shifted(
        t.naive_utc(),
        Duration::seconds(off.local_minus_utc() as i64),
    )
}

/// `t + d`, saturating at chrono's range: window bounds widened by a feed's lengths and
/// shifts must not panic near the ends of time.
fn shifted(t: NaiveDateTime, d: Duration) -> NaiveDateTime {
    t.checked_add_signed(d).unwrap_or(if d < Duration::zero() {
        NaiveDateTime::MIN
    } else {
        NaiveDateTime::MAX
    })
}

/// End of an instance that starts at wall time `w` (instant `start`).
fn add_length(zone: &Zone, w: NaiveDateTime, start: DateTime<Utc>, len: Length) -> DateTime<Utc> {
    let base = if len.nominal.is_zero() {
        start
    } else {
        zone.to_utc(w + len.nominal)
    };
    base + len.exact
}

// ---------------------------------------------------------------------------------------------
// Occurrence fields (decoded lazily, only for occurrences in the window).

#[derive(Debug, Clone, Default)]
struct Details {
    summary: String,
    description: Option<String>,
    location: Option<String>,
    conference_url: Option<String>,
    transparent: bool,
    organizer: Option<Attendee>,
    attendees: Vec<Attendee>,
    my_status: Option<PartStat>,
}

impl ParsedCalendar {
    fn details(&self, ev: &Event, opts: &ExpandOptions) -> Details {
        let bytes = self.data.get(ev.span.clone()).unwrap_or(&[]);
        let mut d = Details::default();
        let mut depth = 0usize;
        let mut url: Option<String> = None;
        let mut conference: Option<String> = None;
        for line in ics::lines(bytes) {
            if let Some((begin, _)) = line.begin_end() {
                if begin {
                    depth += 1;
                } else {
                    depth = depth.saturating_sub(1);
                }
                continue;
            }
            if depth != 1 {
                continue; // VALARM and other sub-components
            }
            let name = line.name();
            let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
            // By length first: most lines (DTSTAMP, UID, ...) compare nothing.
            let wanted = match name.len() {
                3 => is("URL"),
                6 => is("TRANSP"),
                7 => is("SUMMARY"),
                8 => is("LOCATION") || is("ATTENDEE"),
                9 => is("ORGANIZER"),
                11 => is("DESCRIPTION"),
                19 => is("X-GOOGLE-CONFERENCE"),
                32 => is("X-MICROSOFT-SKYPETEAMSMEETINGURL"),
                _ => false,
            };
            if !wanted {
                continue;
            }
            let Ok(p) = line.parse() else { continue };
            if is("SUMMARY") {
                d.summary = p.text().trim().to_string();
            } else if is("DESCRIPTION") {
                d.description = non_empty(p.text().trim());
            } else if is("LOCATION") {
                d.location = non_empty(p.text().trim());
            } else if is("URL") {
                url = non_empty(p.value());
            } else if is("X-GOOGLE-CONFERENCE") || is("X-MICROSOFT-SKYPETEAMSMEETINGURL") {
                conference = conference.or_else(|| non_empty(p.value()));
            } else if is("TRANSP") {
                d.transparent = p.value().eq_ignore_ascii_case("TRANSPARENT");
            } else if is("ORGANIZER") {
                d.organizer = Some(attendee(&p));
            } else if is("ATTENDEE") {
                d.attendees.push(attendee(&p));
            }
        }
        d.conference_url = conference
            .as_deref()
            .and_then(|c| find_url(c, false))
            .or_else(|| url.as_deref().and_then(|u| find_url(u, true)))
            .or_else(|| d.location.as_deref().and_then(|l| find_url(l, true)))
            .or_else(|| d.description.as_deref().and_then(|t| find_url(t, true)));
        d.my_status = my_status(&d.attendees, d.organizer.as_ref(), &opts.me_emails);
        d
    }

    fn occurrence(
        &self,
        uid: &str,
        inst: Inst<'_>,
        d: Details,
        opts: &ExpandOptions,
    ) -> Occurrence {
        let shown = inst.zone.unwrap_or(&opts.floating);
        let fixed = |t: DateTime<Utc>| t.with_timezone(&shown.offset_at(t));
        Occurrence {
            calendar: self.name.clone(),
            uid: uid.to_string(),
            recurrence_id: inst.recurrence_id,
            summary: d.summary,
            description: d.description,
            location: d.location,
            conference_url: d.conference_url,
            start: fixed(inst.start),
            end: fixed(inst.end),
            all_day: inst.all_day,
            tz: inst.zone.and_then(|z| z.iana_name().map(|n| n.to_string())),
            status: inst.event.status,
            transparent: d.transparent,
            organizer: d.organizer,
            attendees: d.attendees,
            my_status: d.my_status,
            sequence: inst.event.sequence,
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn lower(v: Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    v.map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
}

fn attendee(p: &ics::Property<'_>) -> Attendee {
    let value = p.value();
    let email = match value.get(..7) {
        Some(pre) if pre.eq_ignore_ascii_case("mailto:") => non_empty(&value[7..]),
        _ if value.contains('@') && !value.contains(':') => non_empty(value),
        _ => None,
    }
    .or_else(|| p.param("EMAIL").and_then(|e| non_empty(&e)))
    .map(|e| e.to_lowercase());
    Attendee {
        name: p
            .param("CN")
            .map(|c| ics::unescape_text(c.trim()).into_owned())
            .filter(|c| !c.is_empty()),
        email,
        role: lower(p.param("ROLE")),
        partstat: lower(p.param("PARTSTAT")),
        cutype: lower(p.param("CUTYPE")),
    }
}

fn my_status(
    attendees: &[Attendee],
    organizer: Option<&Attendee>,
    me: &[String],
) -> Option<PartStat> {
    let mine = |a: &Attendee| {
        a.email
            .as_deref()
            .is_some_and(|e| me.iter().any(|m| m.eq_ignore_ascii_case(e)))
    };
    if let Some(a) = attendees.iter().find(|a| mine(a)) {
        // RFC 5545 3.2.12: PARTSTAT defaults to NEEDS-ACTION.
        return Some(
            a.partstat
                .as_deref()
                .map_or(Some(PartStat::NeedsAction), PartStat::parse)
                .unwrap_or(PartStat::NeedsAction),
        );
    }
    // The organizer of their own meeting attends it.
    organizer.filter(|o| mine(o)).map(|_| PartStat::Accepted)
}

/// Hosts of meeting services whose links count as conference links.
const CONFERENCE_HOSTS: &[&str] = &[
    "meet.google.com",
    "zoom.us",
    "zoomgov.com",
    "teams.microsoft.com",
    "teams.live.com",
    "webex.com",
];

/// The first http(s) URL in `text`; with `known_only`, only links to the
/// meeting services above.
fn find_url(text: &str, known_only: bool) -> Option<String> {
    // Descriptions are long (Teams boilerplate): scan bytes, no lower-case copy.
    let bytes = text.as_bytes();
    let starts_ci = |at: usize, pat: &str| {
        bytes
            .get(at..at + pat.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(pat.as_bytes()))
    };
    let mut from = 0;
    while let Some(rel) = memchr::memchr2(b'h', b'H', &bytes[from..]) {
        let start = from + rel;
        from = start + 1;
        let scheme_len = if starts_ci(start, "https://") {
            8
        } else if starts_ci(start, "http://") {
            7
        } else {
            continue;
        };
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '|' | '\\'))
            .map_or(text.len(), |e| start + e);
        let url = text[start..end].trim_end_matches(['.', ',', ';', ')', ']']);
        let host_part = &text[start + scheme_len..start + url.len().max(scheme_len)];
        let host = host_part
            .split(['/', '?', '#', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let host = host.trim_start_matches("www.");
        if host.is_empty() {
            continue;
        }
        let known = CONFERENCE_HOSTS
            .iter()
            .any(|h| host == *h || host.ends_with(&format!(".{h}")));
        if known || !known_only {
            return Some(url.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conference_links() {
        assert_eq!(
            find_url(
                "Join: <https://teams.microsoft.com/l/meetup-join/19%3a> now",
                true
            )
            .as_deref(),
            Some("https://teams.microsoft.com/l/meetup-join/19%3a")
        );
        assert_eq!(
            find_url(
                "https://example.org/x and https://us02web.zoom.us/j/123?pwd=a.",
                true
            )
            .as_deref(),
            Some("https://us02web.zoom.us/j/123?pwd=a")
        );
        assert_eq!(find_url("https://evil.com/meet.google.com", true), None);
        assert_eq!(find_url("ftp://zoom.us/x", true), None);
        assert_eq!(
            find_url("https://meet.google.com/abc-defg-hij", false).as_deref(),
            Some("https://meet.google.com/abc-defg-hij")
        );
    }
}
