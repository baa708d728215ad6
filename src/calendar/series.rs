//! Events grouped into series (one UID: a master and its overrides), with
//! duplicates resolved and conservative bounds for skipping a series fast.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::ics::TimeValue;
use super::model::Warning;
use super::parsed::{Event, Frame, Length, ParsedCalendar, RdEnd, Series, Stamp};
use super::tz::Zone;

// ---------------------------------------------------------------------------------------------
// Series assembly.

impl ParsedCalendar {
    pub(super) fn build_series(&mut self) {
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
    pub(super) fn series_bounds(
        &self,
        s: &Series,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
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
    pub(super) fn rough_utc(&self, s: &Stamp) -> DateTime<Utc> {
        match (s.value, s.frame) {
            (TimeValue::Utc(n), _) => n.and_utc(),
            (TimeValue::Local(n), Frame::Tzid(i)) => match self.zones.get(i as usize) {
                Some(Some(z)) => z.to_utc(n),
                _ => n.and_utc(),
            },
            (v, _) => v.naive().and_utc(),
        }
    }

    pub(super) fn max_length(&self, ev: &Event) -> Duration {
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
    pub(super) fn length(&self, ev: &Event) -> Length {
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
