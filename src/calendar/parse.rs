//! Feed bytes -> [`ParsedCalendar`]: one pass over the lines of the [`ics`]
//! reader, keeping per VEVENT only what recurrence needs plus the byte range
//! of the component (text fields are decoded later, by [`super::details`]).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use chrono::{Duration, FixedOffset, NaiveDateTime, NaiveTime, Offset, Utc};

use super::ics::{self, Line, PeriodEnd, RDateValue, TimeValue};
use super::model::{Status, Warning};
use super::parsed::{Event, Frame, ParsedCalendar, RdEnd, Stamp};
use super::recur::{self, RRule};
use super::tz::{self, Zone};

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
        let calendar_zone = self
            .feed_xwr
            .and_then(|i| zones.get(i as usize).cloned().flatten());
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
            calendar_zone,
        };
        cal.build_series();
        cal.warn_about_floating_series();
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
