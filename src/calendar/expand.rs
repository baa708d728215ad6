//! [`ParsedCalendar`] -> the [`Occurrence`]s of a window, per series in the
//! wall-clock time of the series' zone.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::details::Details;
use super::ics::TimeValue;
use super::model::{Attendee, Occurrence, RecurrenceId, Warning};
use super::parsed::{Event, Frame, Key, Length, ParsedCalendar, RdEnd, Series, Stamp};
use super::recur::{self, Frequency, RRule, Until};
use super::tz::Zone;

/// How to place times that carry no zone, and who "I" am.
#[derive(Debug, Clone)]
pub struct ExpandOptions {
    /// The zone for floating times and all-day dates (the local zone).
    pub floating: Zone,
    /// My addresses, matched case-insensitively against attendees.
    pub me_emails: Vec<String>,
}

impl ExpandOptions {
    /// Floating times in `floating` (the caller's local zone), no identity.
    pub fn new(floating: Zone) -> ExpandOptions {
        ExpandOptions {
            floating,
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

// ---------------------------------------------------------------------------------------------
// Expansion.

/// At most this many instances of one series are produced per window; the
/// RRULE expander's budget (`recur::Limits`) bounds the work before that.
pub const MAX_INSTANCES_PER_SERIES: usize = 20_000;

/// One instance before it becomes an Occurrence.
pub(super) struct Inst<'e> {
    /// The component whose fields describe it (master or override).
    pub(super) event: &'e Event,
    pub(super) event_index: usize,
    pub(super) start: DateTime<Utc>,
    pub(super) end: DateTime<Utc>,
    pub(super) all_day: bool,
    /// Zone to show it in; `None` = floating/date (opts.floating, no tz name).
    pub(super) zone: Option<&'e Zone>,
    pub(super) recurrence_id: Option<RecurrenceId>,
}

/// The clock a series is expanded on.
struct Clock<'z> {
    zone: &'z Zone,
    frame: Frame,
    /// `zone` is the series' own; false: the viewer's (no zone, or a TZID nothing explains).
    named: bool,
    all_day: bool,
}

impl Clock<'_> {
    /// A timed series without a zone: shown on the viewer's clock, but its EXDATEs, RDATEs and
    /// RECURRENCE-IDs are placed on its own wall clock, never through the viewer's zone.
    fn floating(&self) -> bool {
        !self.all_day && !self.named
    }
}

/// Where an EXDATE, RDATE or RECURRENCE-ID falls on its series' wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    At(NaiveDateTime),
    /// A UTC value on a series without a zone, and nothing in the feed says the sender's zone:
    /// an EXDATE or RECURRENCE-ID stands for the instance [`nearest_instance`] finds, an RDATE
    /// for this time as a UTC wall time.
    Unanchored(NaiveDateTime),
}

impl Placed {
    /// The wall time itself (an RDATE, a bound): an unanchored UTC value as a UTC wall time.
    fn wall(self) -> NaiveDateTime {
        match self {
            Placed::At(w) | Placed::Unanchored(w) => w,
        }
    }
}

/// One candidate instance of a recurring master, before EXDATEs and overrides.
struct Cand {
    /// The start on the series' clock.
    wall: NaiveDateTime,
    /// The end of a PERIOD RDATE.
    own_end: Option<DateTime<Utc>>,
    is_date: bool,
}

/// The largest offsets a UTC value can be from the wall time it was written for: the real UTC
/// offsets, UTC-12 (Baker Island) to UTC+14 (Kiritimati).
const WEST_MOST: Duration = Duration::hours(-12);
const EAST_MOST: Duration = Duration::hours(14);

/// The instance an unanchored UTC value `n` stands for among the wall times `walls`: one whose
/// wall time minus `n` is a real UTC offset (-12 h to +14 h), the nearest first, of two as near
/// the earlier. `None`: it stands for no instance. Independent of the viewer, unlike reading
/// `n` on the viewer's clock (which removed an instance in Berlin and kept it in UTC, issue 15).
fn nearest_instance(
    n: NaiveDateTime,
    walls: impl IntoIterator<Item = NaiveDateTime>,
) -> Option<NaiveDateTime> {
    let mut best: Option<(Duration, NaiveDateTime)> = None;
    for w in walls {
        let offset = w - n;
        if offset < WEST_MOST || offset > EAST_MOST {
            continue;
        }
        let d = offset.abs();
        if best.is_none_or(|(bd, bw)| d < bd || (d == bd && w < bw)) {
            best = Some((d, w));
        }
    }
    best.map(|(_, w)| w)
}

/// The start walls of the timed candidates (what an unanchored value can stand for).
fn timed_walls(cands: &[Cand]) -> impl Iterator<Item = NaiveDateTime> + '_ {
    cands.iter().filter(|c| !c.is_date).map(|c| c.wall)
}

/// At most this many unanchored values are checked at parse time for the warning about
/// values that stand for no instance (each check expands a day of its series).
const UNANCHORED_CHECKS: usize = 1_000;

impl ParsedCalendar {
    /// Once per feed, after parsing: the events of series without a zone whose EXDATE, RDATE
    /// or RECURRENCE-ID has a zone or is in UTC (read by the rule of [`Self::placed`]), and the
    /// unanchored UTC values that stand for no instance (ignored).
    pub(super) fn warn_about_floating_series(&mut self) {
        // A floating series' walls do not depend on the viewer: any zone will do.
        let opts = ExpandOptions::new(Zone::utc());
        let mut mixed: (usize, Option<(usize, Option<String>)>) = (0, None);
        let mut lost: (usize, Option<(usize, Option<String>)>) = (0, None);
        let mut checks = 0usize;
        for s in &self.series {
            let Some(mi) = s.master else { continue };
            let master = &self.events[mi];
            let c = self.clock(master, &opts);
            if !c.floating() {
                continue;
            }
            let foreign = |st: &Stamp| {
                !st.is_date()
                    && (matches!(st.value, TimeValue::Utc(_))
                        || (st.frame != c.frame && st.frame != Frame::Floating))
            };
            for &e in std::iter::once(&mi).chain(&s.overrides) {
                let ev = &self.events[e];
                let rdate_ends = ev.rdates.iter().filter_map(|(_, end)| match end {
                    Some(RdEnd::At(e)) => Some(e),
                    _ => None,
                });
                let values = (ev.exdates.iter())
                    .chain(ev.rdates.iter().map(|(r, _)| r))
                    .chain(rdate_ends)
                    .chain(ev.recurrence_id.as_ref());
                if values.into_iter().any(foreign) {
                    mixed.0 += 1;
                    mixed.1.get_or_insert((ev.line, ev.uid.clone()));
                }
                for x in ev.exdates.iter().chain(ev.recurrence_id.as_ref()) {
                    let Placed::Unanchored(n) = self.placed(x, &c, &opts) else {
                        continue;
                    };
                    checks += 1;
                    if checks <= UNANCHORED_CHECKS
                        && self.nearest_generated(master, &c, n, &opts).is_none()
                    {
                        lost.0 += 1;
                        lost.1.get_or_insert((ev.line, ev.uid.clone()));
                    }
                }
            }
        }
        let mixed_message = |n: usize| {
            format!(
                "{n} {} of series without a zone {} an EXDATE, RDATE or RECURRENCE-ID with a \
                 TZID or in UTC (the first here): a TZID value is read as the local time written; \
                 a UTC one in the calendar's X-WR-TIMEZONE when it has one, else an EXDATE or \
                 RECURRENCE-ID stands for the nearest instance from 12 hours before it to 14 \
                 hours after it, and an RDATE is read as a UTC wall time; give DTSTART a TZID to \
                 say which zone is meant",
                if n == 1 { "event" } else { "events" },
                if n == 1 { "has" } else { "have" },
            )
        };
        let lost_message = |n: usize| {
            format!(
                "{n} UTC EXDATE or RECURRENCE-ID {} (the first here) {} no instance within 12 \
                 hours before to 14 hours after {}: {} nothing",
                if n == 1 { "value" } else { "values" },
                if n == 1 { "has" } else { "have" },
                if n == 1 { "it" } else { "them" },
                if n == 1 {
                    "it excludes or replaces"
                } else {
                    "they exclude or replace"
                },
            )
        };
        let tallies: [(_, &dyn Fn(usize) -> String); 2] =
            [(mixed, &mixed_message), (lost, &lost_message)];
        for ((n, first), message) in tallies {
            if let Some((line, uid)) = first {
                self.warnings.push(Warning {
                    calendar: self.name.clone(),
                    line: Some(line),
                    uid,
                    message: message(n),
                });
            }
        }
    }

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

    /// The wall-clock time of a stamp on `zone`'s clock. A value in another frame is read
    /// through its instant, which on a series without a zone (`zone` is the viewer's) would
    /// depend on the viewer: EXDATE, RDATE and RECURRENCE-ID go through [`Self::placed`].
    fn wall_in(&self, s: &Stamp, zone: &Zone, frame: Frame, opts: &ExpandOptions) -> NaiveDateTime {
        match s.value {
            TimeValue::Date(d) => d.and_time(NaiveTime::MIN),
            TimeValue::Local(n) if s.frame == frame || s.frame == Frame::Floating => n,
            _ => wall(zone, self.instant(s, opts)),
        }
    }

    fn clock<'z>(&'z self, master: &Event, opts: &'z ExpandOptions) -> Clock<'z> {
        let all_day = master.start.is_date();
        let frame = if all_day {
            Frame::Floating
        } else {
            master.start.frame
        };
        let (zone, named) = self.zone_of(frame, opts);
        Clock {
            zone,
            frame,
            named,
            all_day,
        }
    }

    /// A stamp on the wall clock of a series. On a zoned series: its instant in the series'
    /// zone. On a series without a zone nothing ties the series to an instant, and reading a
    /// value through the viewer's zone would make an EXDATE hit in Berlin and miss in UTC
    /// (issue 15). So the rule is one that no viewer changes: a floating or TZID value is the
    /// local time written (what the producer wrote for "the 9:00 meeting"); a UTC one is read in
    /// the sender's zone when the feed says it (`TZID=X:...Z`, else the feed's X-WR-TIMEZONE),
    /// and is [`Placed::Unanchored`] when it does not.
    fn placed(&self, s: &Stamp, c: &Clock<'_>, opts: &ExpandOptions) -> Placed {
        if !c.floating() {
            return Placed::At(self.wall_in(s, c.zone, c.frame, opts));
        }
        match s.value {
            TimeValue::Date(d) => Placed::At(d.and_time(NaiveTime::MIN)),
            TimeValue::Local(n) => Placed::At(n),
            TimeValue::Utc(n) => match self.sender_zone(s.frame) {
                Some(z) => Placed::At(wall(z, n.and_utc())),
                None => Placed::Unanchored(n),
            },
        }
    }

    /// The zone a UTC value was written from, when the feed says it.
    fn sender_zone(&self, frame: Frame) -> Option<&Zone> {
        let own = match frame {
            Frame::Tzid(i) => self.zones.get(i as usize).and_then(Option::as_ref),
            _ => None,
        };
        own.or(self.calendar_zone.as_ref())
    }

    /// The instance of a master that an unanchored UTC value `n` stands for, looked for on
    /// its own (not in a window's candidates): a RANGE=THISANDFUTURE override far outside the
    /// window, a stale override, the parse-time check.
    fn nearest_generated(
        &self,
        master: &Event,
        c: &Clock<'_>,
        n: NaiveDateTime,
        opts: &ExpandOptions,
    ) -> Option<NaiveDateTime> {
        let to = shifted(shifted(n, EAST_MOST), Duration::seconds(1));
        let (cands, _) = self.candidates(master, c, shifted(n, WEST_MOST), to, opts);
        nearest_instance(n, timed_walls(&cands))
    }

    /// The key an EXDATE or RECURRENCE-ID takes out of a series whose window candidates are
    /// `cands`; `None`: it stands for no instance.
    fn key_on(
        &self,
        s: &Stamp,
        c: &Clock<'_>,
        opts: &ExpandOptions,
        cands: &[Cand],
    ) -> Option<Key> {
        Some(match s.value {
            TimeValue::Date(d) => Key::Date(d),
            _ if c.all_day => Key::Date(self.date_of(s, opts)),
            _ if c.floating() => {
                let w = match self.placed(s, c, opts) {
                    Placed::At(w) => w,
                    Placed::Unanchored(n) => nearest_instance(n, timed_walls(cands))?,
                };
                Key::Instant(c.zone.to_utc(w))
            }
            _ => Key::Instant(self.instant(s, opts)),
        })
    }

    /// The instances a master generates with a start in [from_l, to_l) on its series' clock
    /// (RRULEs, DTSTART, RDATEs; EXDATEs and overrides not applied), sorted, and whether the
    /// RRULE budget ran out. On a floating series the walls do not depend on the viewer.
    fn candidates(
        &self,
        master: &Event,
        c: &Clock<'_>,
        from_l: NaiveDateTime,
        to_l: NaiveDateTime,
        opts: &ExpandOptions,
    ) -> (Vec<Cand>, bool) {
        let dtstart = self.wall_in(&master.start, c.zone, c.frame, opts);
        let mut cands: Vec<Cand> = Vec::new();
        let limits = recur::Limits::default();
        let mut dtstart_ok = master.rrules.is_empty();
        let mut exhausted = false;
        let cand = |wall, own_end, is_date| Cand {
            wall,
            own_end,
            is_date,
        };
        for rule in &master.rrules {
            let until = self.until_on(rule, c);
            if until.is_none_or(|u| u >= dtstart) {
                dtstart_ok = true;
            }
            let exp = if c.all_day {
                recur::expand_all_day(rule, dtstart.date(), until, from_l, to_l, &limits)
            } else {
                recur::expand(rule, dtstart, until, from_l, to_l, &limits)
            };
            exhausted |= exp.budget_exhausted;
            cands.extend(exp.starts.into_iter().map(|w| cand(w, None, c.all_day)));
        }
        if dtstart_ok && dtstart >= from_l && dtstart < to_l {
            cands.push(cand(dtstart, None, c.all_day));
        }
        for (rd, end) in &master.rdates {
            let w = self.placed(rd, c, opts).wall();
            if w < from_l || w >= to_l {
                continue;
            }
            let end = end.map(|e| match e {
                // Both ends on the series' clock, so the length is the one written.
                RdEnd::At(e) if c.floating() => c.zone.to_utc(self.placed(&e, c, opts).wall()),
                RdEnd::At(e) => self.instant(&e, opts),
                RdEnd::Lasting(d) if c.floating() => c.zone.to_utc(w) + d,
                RdEnd::Lasting(d) => self.instant(rd, opts) + d,
            });
            cands.push(cand(w, end, rd.is_date()));
        }
        cands.sort_by_key(|c| (c.wall, c.is_date));
        cands.dedup_by_key(|c| (c.wall, c.is_date));
        (cands, exhausted)
    }

    /// UNTIL on the series' clock (RFC 5545 3.3.10: a UTC UNTIL is compared as an instant; a
    /// DATE or floating one on DTSTART's wall clock). A UTC UNTIL on an all-day or floating
    /// series (Exchange writes them) has no instant to be compared with, and is never read on
    /// the viewer's clock, so whether the last instance exists does not depend on who looks
    /// (issue 15): on an all-day or DAILY-or-coarser series at UTC+13 ([`SENDER_CLOCK`]: the
    /// UNTIL day is kept, as Outlook shows it); on a floating HOURLY, MINUTELY or SECONDLY series
    /// at the feed's X-WR-TIMEZONE, else as a UTC wall time: there 13 hours more are 13 more
    /// instances per hour of the rule (`FREQ=HOURLY;UNTIL=...T100000Z` from 09:00 gave 15).
    fn until_on(&self, rule: &RRule, c: &Clock<'_>) -> Option<NaiveDateTime> {
        let floating = !c.named;
        rule.until.map(|u| match u {
            Until::Utc(n) if c.all_day || (floating && rule.freq >= Frequency::Daily) => {
                shifted(n, SENDER_CLOCK)
            }
            Until::Utc(n) if floating => match &self.calendar_zone {
                Some(z) => wall(z, n.and_utc()),
                None => n,
            },
            Until::Utc(n) => wall(c.zone, n.and_utc()),
            other => other.as_wall_clock(),
        })
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
        self.stream(from, to, opts, None, each)
    }

    /// [`ParsedCalendar::for_each_occurrence`] of only the series in which
    /// `named` accepts someone: an ORGANIZER or ATTENDEE of its master or of
    /// one of its overrides, decoded as the occurrences carry them. The
    /// others are not expanded, so reading a year for a few people costs a
    /// pass over the participants instead of every occurrence. Every
    /// occurrence of a series takes its participants from one of those
    /// components: one that names someone `named` accepts is never left out.
    pub fn for_each_occurrence_naming(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        opts: &ExpandOptions,
        named: &mut dyn FnMut(&Attendee) -> bool,
        each: &mut dyn FnMut(Occurrence),
    ) -> Vec<Warning> {
        self.stream(from, to, opts, Some(named), each)
    }

    fn stream(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        opts: &ExpandOptions,
        mut named: Option<&mut dyn FnMut(&Attendee) -> bool>,
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
            if let Some(named) = named.as_mut() {
                let mut components = s.master.iter().chain(&s.overrides);
                if !components.any(|&e| self.names_anyone(&self.events[e], &mut **named)) {
                    continue;
                }
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
        let c = self.clock(master, opts);
        let all_day = c.all_day;
        if c.floating() {
            return self.floating_generates(master, &c, rid, opts);
        }
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
        let dtstart = self.wall_in(&master.start, c.zone, c.frame, opts);
        let w = if all_day {
            self.date_of(rid, opts).and_time(NaiveTime::MIN)
        } else {
            self.wall_in(rid, c.zone, c.frame, opts)
        };
        let limits = recur::Limits::default();
        master.rrules.iter().any(|rule| {
            let until = self.until_on(rule, &c);
            let to = shifted(w, Duration::seconds(1));
            let exp = if all_day {
                recur::expand_all_day(rule, dtstart.date(), until, w, to, &limits)
            } else {
                recur::expand(rule, dtstart, until, w, to, &limits)
            };
            !exp.starts.is_empty() || exp.budget_exhausted
        })
    }

    /// [`Self::generates`] for a series without a zone: on its own wall clock.
    fn floating_generates(
        &self,
        master: &Event,
        c: &Clock<'_>,
        rid: &Stamp,
        opts: &ExpandOptions,
    ) -> bool {
        let resolve = |s: &Stamp| match self.placed(s, c, opts) {
            Placed::At(w) => Some(w),
            Placed::Unanchored(n) => self.nearest_generated(master, c, n, opts),
        };
        let Some(w) = resolve(rid) else {
            return false;
        };
        let excluded = master.exdates.iter().any(|x| {
            if x.is_date() || rid.is_date() {
                resolve(x).is_some_and(|xw| xw.date() == w.date())
            } else {
                resolve(x) == Some(w)
            }
        });
        if excluded {
            return false;
        }
        let (cands, exhausted) =
            self.candidates(master, c, w, shifted(w, Duration::seconds(1)), opts);
        exhausted || cands.iter().any(|x| x.wall == w)
    }

    /// A non-recurring master that has an override for its own start is replaced by it.
    fn overridden_single(&self, s: &Series, master: &Event, opts: &ExpandOptions) -> bool {
        let c = self.clock(master, opts);
        if c.floating() {
            let start = self.wall_in(&master.start, c.zone, c.frame, opts);
            return s.overrides.iter().any(|&o| {
                self.events[o]
                    .recurrence_id
                    .filter(|r| !r.is_date())
                    .is_some_and(|r| match self.placed(&r, &c, opts) {
                        Placed::At(w) => w == start,
                        Placed::Unanchored(n) => nearest_instance(n, [start]).is_some(),
                    })
            });
        }
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
        let c = self.clock(master, opts);
        let (zone, named) = (c.zone, c.named);
        let len = self.length(master);

        // THISANDFUTURE overrides shift every later instance: the window is widened by their
        // shifts (an unanchored RECURRENCE-ID is within 14 hours of its instance).
        let mut shift = Duration::zero();
        let mut unanchored = false;
        for &o in &s.overrides {
            let ev = &self.events[o];
            let Some(rid) = ev.recurrence_id else {
                continue;
            };
            let rid_at = self.placed(&rid, &c, opts);
            let slack = match rid_at {
                Placed::At(_) => Duration::zero(),
                Placed::Unanchored(_) => {
                    unanchored = true;
                    EAST_MOST
                }
            };
            if ev.this_and_future {
                let start_wall = self.placed(&ev.start, &c, opts).wall();
                let d = (start_wall - rid_at.wall()).abs() + slack;
                shift = shift
                    .max(d)
                    .checked_add(&self.length(ev).total().abs())
                    .unwrap_or(Duration::MAX);
            }
        }
        unanchored |= c.floating()
            && master
                .exdates
                .iter()
                .any(|x| matches!(self.placed(x, &c, opts), Placed::Unanchored(_)));

        // The window on the series' clock, widened by the length and shifts. An unanchored
        // value takes the nearest instance within 14 hours: with three days of margin, every
        // instance a kept one competes with for it is among the candidates.
        let max_len = self.max_length(master);
        let margin = Duration::days(if unanchored { 3 } else { 1 });
        let widen = shift.checked_add(&margin).unwrap_or(Duration::MAX);
        let from_l = shifted(shifted(wall(zone, from), -max_len), -widen);
        let to_l = shifted(wall(zone, to), widen);
        let (cands, exhausted) = self.candidates(master, &c, from_l, to_l, opts);

        // Overrides: which original starts they take, and the THISANDFUTURE ones.
        let mut replaced: HashMap<Key, usize> = HashMap::new();
        let mut futures: Vec<(NaiveDateTime, usize)> = Vec::new();
        for &o in &s.overrides {
            let ev = &self.events[o];
            let Some(rid) = ev.recurrence_id else {
                continue;
            };
            if !ev.this_and_future {
                if let Some(k) = self.key_on(&rid, &c, opts, &cands) {
                    replaced.insert(k, o);
                }
                continue;
            }
            // Its instance may be far before the window: looked for on its own.
            let rid_wall = match self.placed(&rid, &c, opts) {
                Placed::At(w) => w,
                Placed::Unanchored(n) => match self.nearest_generated(master, &c, n, opts) {
                    Some(w) => w,
                    None => continue,
                },
            };
            let k = if c.floating() && !rid.is_date() {
                Some(Key::Instant(zone.to_utc(rid_wall)))
            } else {
                self.key_on(&rid, &c, opts, &cands)
            };
            if let Some(k) = k {
                replaced.insert(k, o);
            }
            futures.push((rid_wall, o));
        }
        futures.sort_by_key(|f| f.0);

        // EXDATE keys.
        let ex_keys: Vec<Key> = master
            .exdates
            .iter()
            .filter_map(|x| self.key_on(x, &c, opts, &cands))
            .collect();
        let limits = recur::Limits::default();

        // The cap counts instances that overlap the window, not candidates: the widened
        // window's margin alone holds 86,400 FREQ=SECONDLY candidates.
        let mut kept = 0usize;
        for Cand {
            wall: w,
            own_end,
            is_date,
        } in cands
        {
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
            let future = futures.iter().rev().find(|f| f.0 <= w);
            let (ev, index, start, end) = match future {
                Some(&(rid_wall, o)) => {
                    let ov = &self.events[o];
                    let start_wall_o = self.placed(&ov.start, &c, opts).wall();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("test time")
    }

    #[test]
    fn an_unanchored_value_takes_the_nearest_instance_at_a_real_utc_offset() {
        let nine = |d: u32| at(&format!("2026-12-{d:02} 09:00:00"));
        let daily: Vec<NaiveDateTime> = (1..=5).map(nine).collect();
        // Written from Berlin (+1): the 9:00 of that day.
        assert_eq!(
            nearest_instance(at("2026-12-02 08:00:00"), daily.clone()),
            Some(nine(2))
        );
        // -12 h from one and +12 h from the next: the earlier.
        assert_eq!(
            nearest_instance(at("2026-12-02 21:00:00"), daily.clone()),
            Some(nine(2))
        );
        // The bounds are real offsets: +14 h (Kiritimati) and -12 h are in, beyond is out.
        let one = [nine(3)];
        assert_eq!(
            nearest_instance(at("2026-12-02 19:00:00"), one),
            Some(nine(3))
        );
        assert_eq!(nearest_instance(at("2026-12-02 18:59:59"), one), None);
        assert_eq!(
            nearest_instance(at("2026-12-03 21:00:00"), one),
            Some(nine(3))
        );
        assert_eq!(nearest_instance(at("2026-12-03 21:00:01"), one), None);
        assert_eq!(nearest_instance(at("2026-12-03 09:00:00"), []), None);
    }
}
