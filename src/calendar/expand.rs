//! [`ParsedCalendar`] -> the [`Occurrence`]s of a window, per series in the
//! wall-clock time of the series' zone.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::details::Details;
use super::ics::TimeValue;
use super::model::{Occurrence, RecurrenceId, Warning};
use super::parsed::{Event, Frame, Key, Length, ParsedCalendar, RdEnd, Series, Stamp};
use super::recur::{self, Until};
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
