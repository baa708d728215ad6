//! The scheduler: a pure function from (occurrences, config, what was already
//! handled, snoozes, `now`, the previous `now`) to what to send now and when
//! to wake up next. The daemon calls it on every wake-up; it never looks at a
//! clock itself, so every rule here is tested with an injected clock.
//!
//! Rules (issue 4):
//! - Every notification has a [`SentKey`] (calendar, uid, occurrence start,
//!   kind, lead). A key that was handled (sent, or skipped with a reason) is
//!   never considered again, so nothing is sent twice, across restarts too.
//! - No notification for cancelled or declined occurrences, for all-day ones
//!   unless `include_all_day`, and no prep for meetings without other people
//!   when `only_with_people`. A debrief only for meetings with people.
//! - The start is part of the key: a moved meeting gets new keys (notified at
//!   its new time) and the old time has no occurrence any more.
//! - A notification is due at its time `T` and may still go out late while it
//!   is useful: a prep until `max_late` after the meeting started (a prep for
//!   a meeting in 2 minutes is worth sending after a resume even when its
//!   10-minute notification time passed 8 minutes ago; "started 2 min ago"
//!   once it began) but never once it is over, a debrief until `max_late`
//!   after its time, a snooze until the start. Later than that it is
//!   skipped with a log reason: after a long suspend nothing stale floods
//!   the screen.
//! - Without state (first run, corrupt state file) nothing due before `now` is
//!   sent: we cannot know whether it already was. Such items are returned as
//!   skips so the caller records them.
//! - When several preps of one meeting are due at once (after a suspend), only
//!   the one with the shortest lead goes out.
//! - The next wake-up is the earliest future due time, and never more than
//!   [`MAX_SLEEP`] away: timers stop during suspend, so the daemon compares the
//!   wall clock at least once a minute.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::model::Occurrence;
use crate::config::NotifyConfig;

/// The longest the daemon sleeps between two looks at the wall clock.
pub const MAX_SLEEP: Duration = Duration::seconds(60);
/// A wake-up later than the longest sleep plus this is a clock jump (suspend,
/// or the clock was set) rather than timer slack.
const JUMP_SLACK: Duration = Duration::seconds(30);
/// A notification sent within this time after its due time is on time.
const ON_TIME: Duration = Duration::seconds(30);
/// Timer slack tolerated for a snooze that falls on the start.
const SNOOZE_GRACE: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Before the meeting: who you are about to meet.
    Prep,
    /// After the meeting: what did you learn.
    Debrief,
    /// A prep shown again after the user pressed "Snooze".
    Snooze,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Prep => "prep",
            Kind::Debrief => "debrief",
            Kind::Snooze => "snooze",
        })
    }
}

/// The identity of one notification: once handled, never again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SentKey {
    pub calendar: String,
    pub uid: String,
    /// The occurrence's (current) start.
    pub start: DateTime<Utc>,
    pub kind: Kind,
    /// Seconds: before the start for a prep or snooze, after the end for a
    /// debrief.
    pub lead_s: i64,
}

impl fmt::Display for SentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} of {} (UID {}, {})",
            self.kind,
            human_duration(Duration::seconds(self.lead_s)),
            self.start.to_rfc3339(),
            self.uid,
            self.calendar
        )
    }
}

/// "Show it again at `until`": the user pressed Snooze on the prep of the
/// occurrence of `calendar`/`uid` that starts at `start`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Snooze {
    pub calendar: String,
    pub uid: String,
    pub start: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Snooze {
    /// A snooze of `minutes` from `now` for `occ`, never past its start.
    /// None when the meeting already started.
    pub fn new(occ: &Occurrence, now: DateTime<Utc>, snooze_for: Duration) -> Option<Snooze> {
        let start = occ.start_utc();
        if now >= start {
            return None;
        }
        Some(Snooze {
            calendar: occ.calendar.clone(),
            uid: occ.uid.clone(),
            start,
            until: (now + snooze_for).min(start),
        })
    }

    fn key(&self) -> SentKey {
        SentKey {
            calendar: self.calendar.clone(),
            uid: self.uid.clone(),
            start: self.start,
            kind: Kind::Snooze,
            lead_s: (self.start - self.until).num_seconds().max(0),
        }
    }
}

/// Which keys were already handled. Implemented for the usual sets and maps
/// so that the state and the tests can pass theirs.
pub trait Handled {
    fn is_handled(&self, key: &SentKey) -> bool;
}

impl Handled for HashSet<SentKey> {
    fn is_handled(&self, key: &SentKey) -> bool {
        self.contains(key)
    }
}

impl Handled for BTreeSet<SentKey> {
    fn is_handled(&self, key: &SentKey) -> bool {
        self.contains(key)
    }
}

impl<V> Handled for BTreeMap<SentKey, V> {
    fn is_handled(&self, key: &SentKey) -> bool {
        self.contains_key(key)
    }
}

impl<V> Handled for HashMap<SentKey, V> {
    fn is_handled(&self, key: &SentKey) -> bool {
        self.contains_key(key)
    }
}

/// An occurrence as the scheduler sees it. `with_people` is decided by the
/// caller: is there at least one other human attendee (matched or not)?
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub occurrence: &'a Occurrence,
    pub with_people: bool,
}

pub struct Input<'a, H: Handled + ?Sized> {
    pub candidates: &'a [Candidate<'a>],
    pub config: &'a NotifyConfig,
    pub handled: &'a H,
    pub snoozes: &'a [Snooze],
    pub now: DateTime<Utc>,
    /// The `now` of the previous run; None when there is no state.
    pub prev_now: Option<DateTime<Utc>>,
}

/// Send this notification now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    pub key: SentKey,
    /// Index into [`Input::candidates`].
    pub candidate: usize,
    pub kind: Kind,
    /// When it was due.
    pub due: DateTime<Utc>,
    /// How late it goes out, when noticeably late (after a suspend, a restart,
    /// or a failed attempt).
    pub late_by: Option<Duration>,
    /// For a prep or snooze of a meeting that already began: how long ago.
    pub started_ago: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// It could have been sent until `deadline`, which passed.
    Stale {
        due: DateTime<Utc>,
        deadline: DateTime<Utc>,
    },
    /// Due before `now` with no state to tell whether it was sent.
    NoState { due: DateTime<Utc> },
    /// Another prep of the same meeting (with this shorter lead) goes out now.
    Superseded { by_lead_s: i64 },
    /// The snoozed meeting has started.
    SnoozeAfterStart,
    /// The meeting ended before the prep could go out (a short meeting
    /// after a suspend or restart): a prep for it is no use any more.
    MeetingOver { end: DateTime<Utc> },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Stale { due, deadline } => write!(
                f,
                "stale: was due at {}, useful until {} (suspend, restart or clock change)",
                due.to_rfc3339(),
                deadline.to_rfc3339()
            ),
            SkipReason::NoState { due } => write!(
                f,
                "was due at {} before the daemon had any state; not sent so that nothing goes out twice",
                due.to_rfc3339()
            ),
            SkipReason::Superseded { by_lead_s } => write!(
                f,
                "superseded by the {} notification sent now",
                human_duration(Duration::seconds(*by_lead_s))
            ),
            SkipReason::SnoozeAfterStart => f.write_str("snoozed until after the start"),
            SkipReason::MeetingOver { end } => {
                write!(f, "the meeting ended at {}", end.to_rfc3339())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Send(Send),
    /// Record as handled and log the reason; send nothing.
    Skip {
        key: SentKey,
        candidate: usize,
        reason: SkipReason,
    },
}

/// How the wall clock moved since the previous run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// No previous run is known (first run, state lost).
    FirstRun,
    Steady,
    /// Much later than the longest sleep: a suspend, or the clock was set forward.
    JumpedForward(Duration),
    /// The clock was set back.
    JumpedBack(Duration),
}

/// A notification still to come, for `rapport status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upcoming {
    pub key: SentKey,
    pub candidate: usize,
    pub due: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// In due order.
    pub decisions: Vec<Decision>,
    /// When to run again: never later than `now + MAX_SLEEP`.
    pub next_wake: DateTime<Utc>,
    pub clock: Clock,
    /// The future notifications, soonest first.
    pub upcoming: Vec<Upcoming>,
}

/// One notification the rules allow for a candidate, before looking at time.
struct Item {
    key: SentKey,
    candidate: usize,
    due: DateTime<Utc>,
    /// The last moment it is still worth sending.
    deadline: DateTime<Utc>,
}

/// Decides what to send at `input.now`.
pub fn plan<H: Handled + ?Sized>(input: &Input<'_, H>) -> Plan {
    let now = input.now;
    let config = input.config;
    let max_late = Duration::from_std(config.max_late).unwrap_or(Duration::zero());
    let clock = match input.prev_now {
        None => Clock::FirstRun,
        Some(prev) if now < prev - Duration::seconds(1) => Clock::JumpedBack(prev - now),
        Some(prev) if now - prev > MAX_SLEEP + JUMP_SLACK => Clock::JumpedForward(now - prev),
        Some(_) => Clock::Steady,
    };

    let items = items(input, max_late);

    let mut decisions = Vec::new();
    let mut upcoming = Vec::new();
    let mut next_wake = now + MAX_SLEEP;
    for item in items {
        if input.handled.is_handled(&item.key) {
            continue;
        }
        if item.due > now {
            next_wake = next_wake.min(item.due);
            upcoming.push(Upcoming {
                key: item.key,
                candidate: item.candidate,
                due: item.due,
            });
            continue;
        }
        let reason = match input.prev_now {
            None if item.due < now && now <= item.deadline => {
                Some(SkipReason::NoState { due: item.due })
            }
            // Already stale before this run: reported then (or it predates
            // the state); say nothing again.
            None if now > item.deadline => continue,
            Some(prev) if now > item.deadline && item.deadline < prev.min(now) => continue,
            _ if now > item.deadline => Some(if item.key.kind == Kind::Snooze {
                SkipReason::SnoozeAfterStart
            } else if item.key.kind == Kind::Prep && now > meeting_over(input, &item) {
                SkipReason::MeetingOver {
                    end: meeting_over(input, &item),
                }
            } else {
                SkipReason::Stale {
                    due: item.due,
                    deadline: item.deadline,
                }
            }),
            _ => None,
        };
        match reason {
            Some(reason) => decisions.push(Decision::Skip {
                key: item.key,
                candidate: item.candidate,
                reason,
            }),
            None => {
                let occ = input.candidates[item.candidate].occurrence;
                let late = now - item.due;
                let started = now - occ.start_utc();
                let kind = item.key.kind;
                decisions.push(Decision::Send(Send {
                    kind,
                    candidate: item.candidate,
                    due: item.due,
                    late_by: (late > ON_TIME).then_some(late),
                    started_ago: (kind != Kind::Debrief && started > Duration::zero())
                        .then_some(started),
                    key: item.key,
                }))
            }
        }
    }
    supersede(&mut decisions);
    upcoming.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
    Plan {
        decisions,
        next_wake,
        clock,
        upcoming,
    }
}

/// When the meeting of `item` is over (its start for a meeting without length).
fn meeting_over<H: Handled + ?Sized>(input: &Input<'_, H>, item: &Item) -> DateTime<Utc> {
    let occ = input.candidates[item.candidate].occurrence;
    occ.end_utc().max(occ.start_utc())
}

/// Everything the rules allow for the candidates, ignoring time, in due order.
fn items<H: Handled + ?Sized>(input: &Input<'_, H>, max_late: Duration) -> Vec<Item> {
    let config = input.config;
    let mut items = Vec::new();
    // Snoozes are matched by (calendar, uid, start): a moved meeting loses its
    // snooze and gets its own preps at the new time.
    let mut by_slot: HashMap<(&str, &str, DateTime<Utc>), usize> = HashMap::new();
    for (index, candidate) in input.candidates.iter().enumerate() {
        let occ = candidate.occurrence;
        if occ.is_cancelled() || occ.is_declined() || (occ.all_day && !config.include_all_day) {
            continue;
        }
        let start = occ.start_utc();
        by_slot.insert((occ.calendar.as_str(), occ.uid.as_str(), start), index);
        let key = |kind, lead_s| SentKey {
            calendar: occ.calendar.clone(),
            uid: occ.uid.clone(),
            start,
            kind,
            lead_s,
        };
        if candidate.with_people || !config.only_with_people {
            let mut leads: Vec<Duration> = config
                .lead
                .iter()
                .filter_map(|l| Duration::from_std(*l).ok())
                .collect();
            leads.sort();
            leads.dedup();
            // A prep is useful until `max_late` into the meeting, and never
            // once it is over (a 15-minute meeting after a 20-minute suspend).
            let over = occ.end_utc().max(start);
            for lead in leads {
                items.push(Item {
                    key: key(Kind::Prep, lead.num_seconds()),
                    candidate: index,
                    due: start - lead,
                    deadline: (start + max_late).min(over),
                });
            }
        }
        if let Some(after) = config.debrief.and_then(|d| Duration::from_std(d).ok()) {
            if candidate.with_people && !occ.all_day {
                let due = occ.end_utc().max(start) + after;
                items.push(Item {
                    key: key(Kind::Debrief, after.num_seconds()),
                    candidate: index,
                    due,
                    deadline: due + max_late,
                });
            }
        }
    }
    for snooze in input.snoozes {
        let Some(&index) =
            by_slot.get(&(snooze.calendar.as_str(), snooze.uid.as_str(), snooze.start))
        else {
            continue;
        };
        let due = snooze.until.min(snooze.start);
        items.push(Item {
            key: snooze.key(),
            candidate: index,
            due,
            deadline: snooze.start + SNOOZE_GRACE,
        });
    }
    items.sort_by(|a, b| (a.due, &a.key).cmp(&(b.due, &b.key)));
    items
}

/// Of several preps/snoozes of one meeting due at once, only the one closest
/// to the start goes out (a prep before a snooze of the same lead); the others
/// become skips.
fn supersede(decisions: &mut [Decision]) {
    type Slot = (String, String, DateTime<Utc>);
    let rank = |s: &Send| (s.key.lead_s, s.kind == Kind::Snooze);
    let mut survivors: HashMap<Slot, (usize, (i64, bool))> = HashMap::new();
    for (i, d) in decisions.iter().enumerate() {
        let Decision::Send(s) = d else { continue };
        if s.kind == Kind::Debrief {
            continue;
        }
        let slot = (s.key.calendar.clone(), s.key.uid.clone(), s.key.start);
        let entry = survivors.entry(slot).or_insert((i, rank(s)));
        if rank(s) < entry.1 {
            *entry = (i, rank(s));
        }
    }
    for (i, d) in decisions.iter_mut().enumerate() {
        let Decision::Send(s) = d else { continue };
        if s.kind == Kind::Debrief {
            continue;
        }
        let slot = (s.key.calendar.clone(), s.key.uid.clone(), s.key.start);
        let (survivor, (by_lead_s, _)) = survivors[&slot];
        if survivor != i {
            *d = Decision::Skip {
                key: s.key.clone(),
                candidate: s.candidate,
                reason: SkipReason::Superseded { by_lead_s },
            };
        }
    }
}

/// "10 min", "1 h 30 min", "45 s", "2 days".
pub fn human_duration(d: Duration) -> String {
    let secs = d.num_seconds().abs();
    if secs < 60 {
        return format!("{secs} s");
    }
    let mins = (secs + 30) / 60;
    if mins < 60 {
        return format!("{mins} min");
    }
    let (h, m) = (mins / 60, mins % 60);
    if h >= 48 && m == 0 && h % 24 == 0 {
        return format!("{} days", h / 24);
    }
    if m == 0 {
        format!("{h} h")
    } else {
        format!("{h} h {m} min")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::model::{Attendee, PartStat, Status};
    use chrono::TimeZone;
    use std::time::Duration as Std;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 4, h, m, 0).unwrap()
    }

    fn ts(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 4, h, m, s).unwrap()
    }

    fn occ(uid: &str, start: DateTime<Utc>, minutes: i64) -> Occurrence {
        let offset = chrono::FixedOffset::east_opt(3600).unwrap();
        Occurrence {
            calendar: "work".into(),
            uid: uid.into(),
            recurrence_id: None,
            summary: format!("Meeting {uid}"),
            description: None,
            location: None,
            conference_url: None,
            start: start.with_timezone(&offset),
            end: (start + Duration::minutes(minutes)).with_timezone(&offset),
            all_day: false,
            tz: Some("Europe/Amsterdam".into()),
            status: Some(Status::Confirmed),
            transparent: false,
            organizer: None,
            attendees: vec![Attendee {
                name: Some("Tom".into()),
                email: Some("tom@example.org".into()),
                ..Default::default()
            }],
            my_status: Some(PartStat::Accepted),
            sequence: 0,
        }
    }

    fn config() -> NotifyConfig {
        NotifyConfig::default()
    }

    /// A scheduler run with the candidates all "with people".
    struct World {
        occs: Vec<Occurrence>,
        solo: Vec<bool>,
        config: NotifyConfig,
        handled: BTreeMap<SentKey, DateTime<Utc>>,
        snoozes: Vec<Snooze>,
        last_run: Option<DateTime<Utc>>,
        sent: Vec<(DateTime<Utc>, Send)>,
        skipped: Vec<(DateTime<Utc>, SentKey, SkipReason)>,
    }

    impl World {
        fn new(occs: Vec<Occurrence>) -> World {
            let solo = vec![false; occs.len()];
            World {
                occs,
                solo,
                config: config(),
                handled: BTreeMap::new(),
                snoozes: Vec::new(),
                last_run: Some(t(0, 0)),
                sent: Vec::new(),
                skipped: Vec::new(),
            }
        }

        fn plan(&self, now: DateTime<Utc>) -> Plan {
            let candidates: Vec<Candidate<'_>> = self
                .occs
                .iter()
                .zip(&self.solo)
                .map(|(o, solo)| Candidate {
                    occurrence: o,
                    with_people: !solo,
                })
                .collect();
            plan(&Input {
                candidates: &candidates,
                config: &self.config,
                handled: &self.handled,
                snoozes: &self.snoozes,
                now,
                prev_now: self.last_run,
            })
        }

        /// Runs the scheduler like the daemon does: records what it decided.
        fn run(&mut self, now: DateTime<Utc>) -> Plan {
            let plan = self.plan(now);
            for d in &plan.decisions {
                match d {
                    Decision::Send(s) => {
                        self.handled.insert(s.key.clone(), now);
                        self.sent.push((now, s.clone()));
                    }
                    Decision::Skip { key, reason, .. } => {
                        self.handled.insert(key.clone(), now);
                        self.skipped.push((now, key.clone(), reason.clone()));
                    }
                }
            }
            self.last_run = Some(now);
            plan
        }

        fn sent_summaries(&self) -> Vec<(DateTime<Utc>, String, Kind, i64)> {
            self.sent
                .iter()
                .map(|(at, s)| (*at, s.key.uid.clone(), s.kind, s.key.lead_s))
                .collect()
        }
    }

    fn sends(plan: &Plan) -> Vec<&Send> {
        plan.decisions
            .iter()
            .filter_map(|d| match d {
                Decision::Send(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn prep_goes_out_at_the_lead_time_and_wakes_are_at_most_a_minute_apart() {
        let mut w = World::new(vec![occ("a", t(10, 0), 30)]);
        let p = w.run(t(9, 45));
        assert!(p.decisions.is_empty());
        assert_eq!(p.next_wake, t(9, 46));
        assert_eq!(p.upcoming[0].due, t(9, 50));
        assert_eq!(p.upcoming[0].key.kind, Kind::Prep);
        assert_eq!(p.upcoming[1].due, t(10, 32));
        assert_eq!(p.upcoming[1].key.kind, Kind::Debrief);
        let p = w.run(ts(9, 49, 30));
        assert!(p.decisions.is_empty());
        assert_eq!(p.next_wake, t(9, 50));
        let p = w.run(t(9, 50));
        let s = sends(&p);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, Kind::Prep);
        assert_eq!(s[0].key.lead_s, 600);
        assert_eq!(s[0].late_by, None);
        assert_eq!(s[0].started_ago, None);
        assert_eq!(p.clock, Clock::Steady);
        // never twice
        assert!(w.run(ts(9, 50, 1)).decisions.is_empty());
        assert!(w.run(t(9, 51)).decisions.is_empty());
        // debrief two minutes after the end
        assert!(w.run(t(10, 31)).decisions.is_empty());
        let p = w.run(t(10, 32));
        assert_eq!(sends(&p)[0].kind, Kind::Debrief);
        assert_eq!(sends(&p)[0].started_ago, None);
        assert!(w.run(t(10, 33)).decisions.is_empty());
        assert_eq!(w.sent.len(), 2);
        // nothing left: a minute's sleep
        let p = w.run(t(11, 0));
        assert_eq!(p.next_wake, t(11, 1));
        assert!(p.upcoming.is_empty());
    }

    #[test]
    fn cancelled_declined_all_day_and_solo_get_nothing() {
        let mut cancelled = occ("cancelled", t(10, 0), 30);
        cancelled.status = Some(Status::Cancelled);
        let mut declined = occ("declined", t(10, 0), 30);
        declined.my_status = Some(PartStat::Declined);
        let mut all_day = occ("allday", t(0, 0), 24 * 60);
        all_day.all_day = true;
        let solo = occ("solo", t(10, 0), 30);
        let mut w = World::new(vec![cancelled, declined, all_day, solo]);
        w.solo[3] = true;
        for m in 0..24 * 60 {
            w.run(t(0, 0) + Duration::minutes(m));
        }
        assert!(w.sent.is_empty(), "{:?}", w.sent_summaries());
        assert!(w.skipped.is_empty());
    }

    #[test]
    fn all_day_when_included_and_solo_when_not_only_with_people() {
        let mut all_day = occ("allday", t(0, 0) + Duration::days(1), 24 * 60);
        all_day.all_day = true;
        let solo = occ("solo", t(10, 0), 30);
        let mut w = World::new(vec![all_day, solo]);
        w.solo[1] = true;
        w.config.include_all_day = true;
        w.config.only_with_people = false;
        for m in 0..48 * 60 {
            w.run(t(0, 0) + Duration::minutes(m));
        }
        // a prep each; no debrief for a solo meeting nor for an all-day one
        assert_eq!(
            w.sent_summaries(),
            vec![
                (t(9, 50), "solo".to_string(), Kind::Prep, 600),
                (t(23, 50), "allday".to_string(), Kind::Prep, 600),
            ]
        );
    }

    #[test]
    fn debrief_off_and_several_leads() {
        let mut w = World::new(vec![occ("a", t(10, 0), 30)]);
        w.config.debrief = None;
        w.config.lead = vec![
            Std::from_secs(3600),
            Std::from_secs(120),
            Std::from_secs(600),
        ];
        for m in 0..24 * 60 {
            w.run(t(0, 0) + Duration::minutes(m));
        }
        assert_eq!(
            w.sent_summaries(),
            vec![
                (t(9, 0), "a".to_string(), Kind::Prep, 3600),
                (t(9, 50), "a".to_string(), Kind::Prep, 600),
                (t(9, 58), "a".to_string(), Kind::Prep, 120),
            ]
        );
    }

    #[test]
    fn jump_forward_hours_sends_only_what_is_still_useful() {
        let mut w = World::new(vec![
            occ("over", t(10, 0), 30),
            occ("started", t(12, 58), 60),
            occ("soon", t(13, 3), 30),
            occ("later", t(15, 0), 30),
        ]);
        w.config.lead = vec![Std::from_secs(3600), Std::from_secs(600)];
        w.run(t(8, 0));
        assert!(w.sent.is_empty());
        // suspended from 8:00 to 13:00
        let p = w.run(t(13, 0));
        assert_eq!(p.clock, Clock::JumpedForward(Duration::hours(5)));
        let s = sends(&p);
        assert_eq!(s.len(), 2, "{:?}", p.decisions);
        assert_eq!(s[0].key.uid, "started");
        assert_eq!(s[0].key.lead_s, 600);
        assert_eq!(s[0].started_ago, Some(Duration::minutes(2)));
        assert_eq!(s[0].late_by, Some(Duration::minutes(12)));
        assert_eq!(s[1].key.uid, "soon");
        assert_eq!(s[1].key.lead_s, 600);
        assert_eq!(s[1].started_ago, None);
        // the rest was skipped with a reason: the 10:00 meeting (both preps
        // are for a meeting that is over, its debrief is stale) and the 1-hour preps superseded by the 10-minute ones
        let mut skipped: Vec<(String, Kind, i64, bool)> = w
            .skipped
            .iter()
            .map(|(_, k, r)| {
                (
                    k.uid.clone(),
                    k.kind,
                    k.lead_s,
                    matches!(r, SkipReason::Stale { .. } | SkipReason::MeetingOver { .. }),
                )
            })
            .collect();
        skipped.sort();
        assert_eq!(
            skipped,
            vec![
                ("over".to_string(), Kind::Prep, 600, true),
                ("over".to_string(), Kind::Prep, 3600, true),
                ("over".to_string(), Kind::Debrief, 120, true),
                ("soon".to_string(), Kind::Prep, 3600, false),
                ("started".to_string(), Kind::Prep, 3600, false),
            ]
        );
        // the meeting at 15:00 still gets all its notifications
        for m in 1..180 {
            w.run(t(13, 0) + Duration::minutes(m));
        }
        let later: Vec<_> = w
            .sent_summaries()
            .into_iter()
            .filter(|s| s.1 == "later")
            .collect();
        assert_eq!(
            later,
            vec![
                (t(14, 0), "later".to_string(), Kind::Prep, 3600),
                (t(14, 50), "later".to_string(), Kind::Prep, 600),
                (t(15, 32), "later".to_string(), Kind::Debrief, 120),
            ]
        );
    }

    #[test]
    fn a_prep_is_not_sent_once_the_meeting_is_more_than_max_late_underway() {
        let mut w = World::new(vec![occ("a", t(10, 0), 60)]);
        w.run(t(9, 0));
        let p = w.run(t(10, 6));
        assert!(sends(&p).is_empty());
        assert!(matches!(
            p.decisions[0],
            Decision::Skip {
                reason: SkipReason::Stale { .. },
                ..
            }
        ));
        let mut w = World::new(vec![occ("a", t(10, 0), 60)]);
        w.run(t(9, 0));
        let p = w.run(t(10, 5));
        assert_eq!(sends(&p)[0].started_ago, Some(Duration::minutes(5)));
    }

    /// A short meeting is over before `max_late` has passed: after a
    /// suspend or restart its prep is skipped, never sent "ended 1 min ago".
    #[test]
    fn a_prep_never_goes_out_once_the_meeting_is_over() {
        // 10:00-10:03, max_late 5 min (the default); back at 10:04.
        let mut w = World::new(vec![occ("short", t(10, 0), 3)]);
        w.config.debrief = None;
        w.run(t(9, 0));
        let p = w.run(t(10, 4));
        assert!(sends(&p).is_empty(), "{p:?}");
        assert!(
            matches!(
                &p.decisions[..],
                [Decision::Skip {
                    reason: SkipReason::MeetingOver { end },
                    ..
                }] if *end == t(10, 3)
            ),
            "{p:?}"
        );
        // While it runs, the prep still goes out ("started 2 min ago")...
        let mut w = World::new(vec![occ("short", t(10, 0), 3)]);
        w.run(t(9, 0));
        let p = w.run(t(10, 2));
        assert_eq!(sends(&p)[0].started_ago, Some(Duration::minutes(2)));
        // ...and up to its last second.
        let mut w = World::new(vec![occ("short", t(10, 0), 3)]);
        w.run(t(9, 0));
        assert_eq!(sends(&w.run(t(10, 3))).len(), 1);
        // A meeting without length ends at its start.
        let mut w = World::new(vec![occ("instant", t(10, 0), 0)]);
        w.config.debrief = None;
        w.run(t(9, 0));
        let p = w.run(ts(10, 0, 30));
        assert!(sends(&p).is_empty(), "{p:?}");
        // A long meeting keeps the max_late rule.
        let mut w = World::new(vec![occ("long", t(10, 0), 60)]);
        w.run(t(9, 0));
        assert!(matches!(
            w.run(t(10, 6)).decisions[0],
            Decision::Skip {
                reason: SkipReason::Stale { .. },
                ..
            }
        ));
    }

    #[test]
    fn jump_back_hours_sends_nothing_again() {
        let mut w = World::new(vec![occ("a", t(10, 0), 30), occ("b", t(12, 0), 30)]);
        for m in 0..13 * 60 {
            w.run(t(0, 0) + Duration::minutes(m));
        }
        let before = w.sent.len();
        assert_eq!(before, 4);
        // the clock is set back from 13:00 to 9:00 and runs again
        let p = w.run(t(9, 0));
        assert_eq!(
            p.clock,
            Clock::JumpedBack(Duration::hours(4) - Duration::minutes(1))
        );
        for m in 1..4 * 60 {
            w.run(t(9, 0) + Duration::minutes(m));
        }
        assert_eq!(w.sent.len(), before);
        assert!(w.skipped.is_empty());
        // a meeting added to the feed for the re-lived hours is still notified
        w.occs.push(occ("c", t(12, 30), 30));
        w.solo.push(false);
        w.last_run = Some(t(9, 0));
        for m in 0..4 * 60 + 5 {
            w.run(t(9, 0) + Duration::minutes(m));
        }
        assert_eq!(w.sent.len(), before + 2);
    }

    #[test]
    fn restart_with_reloaded_state_sends_nothing_twice() {
        let occs = vec![occ("a", t(10, 0), 30), occ("b", t(10, 5), 30)];
        let mut w = World::new(occs.clone());
        w.run(t(9, 49));
        w.run(t(9, 50)); // "a" sent
                         // the state goes through the state file
        let mut state = crate::daemon::state::State::default();
        for (k, at) in &w.handled {
            state.record(k.clone(), *at, crate::daemon::state::Outcome::Sent);
        }
        state.last_run = w.last_run;
        let json = serde_json::to_string(&state).unwrap();
        let reloaded: crate::daemon::state::State = serde_json::from_str(&json).unwrap();
        // down for three minutes, restarted at 9:53
        let mut w2 = World::new(occs);
        w2.handled = reloaded
            .sent
            .keys()
            .map(|k| (k.clone(), t(9, 50)))
            .collect();
        w2.last_run = reloaded.last_run;
        let p = w2.run(t(9, 53));
        let s = sends(&p);
        // "b" (due 9:55) is not due yet; "a" is not sent again
        assert!(s.is_empty(), "{s:?}");
        let p = w2.run(t(9, 55));
        assert_eq!(sends(&p)[0].key.uid, "b");
    }

    #[test]
    fn restart_catches_up_within_max_late() {
        let mut w = World::new(vec![occ("a", t(10, 0), 30)]);
        w.run(t(9, 48));
        // down from 9:48 to 9:53: the 9:50 prep goes out late
        let p = w.run(t(9, 53));
        let s = sends(&p);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].late_by, Some(Duration::minutes(3)));
        assert_eq!(p.clock, Clock::JumpedForward(Duration::minutes(5)));
    }

    #[test]
    fn without_state_nothing_due_before_now_is_sent() {
        let mut w = World::new(vec![occ("a", t(10, 0), 30), occ("b", t(10, 30), 30)]);
        w.last_run = None;
        let p = w.run(t(9, 53));
        assert_eq!(p.clock, Clock::FirstRun);
        assert!(sends(&p).is_empty());
        assert_eq!(
            w.skipped,
            vec![(
                t(9, 53),
                SentKey {
                    calendar: "work".into(),
                    uid: "a".into(),
                    start: t(10, 0),
                    kind: Kind::Prep,
                    lead_s: 600
                },
                SkipReason::NoState { due: t(9, 50) }
            )]
        );
        // the next runs do not send it either, but do send what comes later
        for m in 1..60 {
            w.run(t(9, 53) + Duration::minutes(m));
        }
        assert_eq!(
            w.sent_summaries(),
            vec![
                (t(10, 20), "b".to_string(), Kind::Prep, 600),
                (t(10, 32), "a".to_string(), Kind::Debrief, 120),
            ]
        );
    }

    #[test]
    fn a_moved_meeting_is_notified_at_its_new_time_only() {
        // moved before its notification
        let mut w = World::new(vec![occ("a", t(10, 0), 30)]);
        w.config.debrief = None;
        w.run(t(9, 40));
        w.occs[0] = occ("a", t(11, 0), 30);
        for m in 41..120 {
            w.run(t(9, 0) + Duration::minutes(m));
        }
        assert_eq!(
            w.sent_summaries(),
            vec![(t(10, 50), "a".to_string(), Kind::Prep, 600)]
        );
        // moved after its notification: notified again for the new time
        let mut w = World::new(vec![occ("a", t(10, 0), 30)]);
        w.config.debrief = None;
        w.run(t(9, 49));
        w.run(t(9, 50));
        w.occs[0] = occ("a", t(11, 0), 30);
        for m in 51..120 {
            w.run(t(9, 0) + Duration::minutes(m));
        }
        assert_eq!(
            w.sent_summaries(),
            vec![
                (t(9, 50), "a".to_string(), Kind::Prep, 600),
                (t(10, 50), "a".to_string(), Kind::Prep, 600)
            ]
        );
    }

    #[test]
    fn a_meeting_cancelled_after_a_refresh_is_not_notified() {
        let mut w = World::new(vec![occ("a", t(10, 0), 30)]);
        w.run(t(9, 45));
        assert_eq!(w.run(t(9, 45)).upcoming.len(), 2);
        w.occs[0].status = Some(Status::Cancelled);
        for m in 46..120 {
            w.run(t(9, 0) + Duration::minutes(m));
        }
        assert!(w.sent.is_empty());
        // declined after the prep: no debrief
        let mut w = World::new(vec![occ("a", t(10, 0), 30)]);
        w.run(t(9, 49));
        w.run(t(9, 50));
        w.occs[0].my_status = Some(PartStat::Declined);
        for m in 51..120 {
            w.run(t(9, 0) + Duration::minutes(m));
        }
        assert_eq!(w.sent.len(), 1);
    }

    #[test]
    fn recurring_instances_are_separate() {
        let mut first = occ("series", t(10, 0), 30);
        first.recurrence_id = Some(crate::calendar::model::RecurrenceId::DateTime(t(10, 0)));
        let mut second = occ("series", t(10, 0) + Duration::days(1), 30);
        second.recurrence_id = Some(crate::calendar::model::RecurrenceId::DateTime(
            second.start_utc(),
        ));
        let mut w = World::new(vec![first, second]);
        w.config.debrief = None;
        for m in 0..(48 * 60) {
            w.run(t(0, 0) + Duration::minutes(m));
        }
        assert_eq!(w.sent.len(), 2);
    }

    #[test]
    fn snooze_comes_back_and_never_after_the_start() {
        let meeting = occ("a", t(10, 0), 30);
        let mut w = World::new(vec![meeting.clone()]);
        w.run(t(9, 49));
        w.run(t(9, 50));
        let snooze = Snooze::new(&meeting, t(9, 51), Duration::minutes(5)).unwrap();
        assert_eq!(snooze.until, t(9, 56));
        w.snoozes.push(snooze);
        assert!(w.run(ts(9, 55, 59)).decisions.is_empty());
        assert_eq!(w.plan(ts(9, 55, 30)).next_wake, t(9, 56));
        let p = w.run(t(9, 56));
        assert_eq!(sends(&p)[0].kind, Kind::Snooze);
        assert_eq!(sends(&p)[0].key.lead_s, 240);
        // snoozed again at 9:57: comes back at the start, not at 10:02
        let again = Snooze::new(&meeting, t(9, 57), Duration::minutes(5)).unwrap();
        assert_eq!(again.until, t(10, 0));
        w.snoozes.push(again);
        assert!(w.run(ts(9, 59, 59)).decisions.is_empty());
        let p = w.run(t(10, 0));
        assert_eq!(sends(&p)[0].kind, Kind::Snooze);
        assert_eq!(sends(&p)[0].started_ago, None);
        // no snooze once it started
        assert_eq!(Snooze::new(&meeting, t(10, 0), Duration::minutes(5)), None);
        assert_eq!(Snooze::new(&meeting, t(10, 1), Duration::minutes(5)), None);
    }

    #[test]
    fn a_snooze_due_after_a_suspend_past_the_start_is_dropped() {
        let meeting = occ("a", t(10, 0), 30);
        let mut w = World::new(vec![meeting.clone()]);
        w.run(t(9, 49));
        w.run(t(9, 50));
        w.snoozes
            .push(Snooze::new(&meeting, t(9, 54), Duration::minutes(5)).unwrap());
        w.run(t(9, 55));
        // suspended 9:55 -> 10:03: the snooze (until 9:59) is dropped
        let p = w.run(t(10, 3));
        assert!(sends(&p).is_empty());
        assert_eq!(w.skipped.len(), 1);
        assert_eq!(w.skipped[0].2, SkipReason::SnoozeAfterStart);
    }

    #[test]
    fn a_snooze_of_a_moved_meeting_is_forgotten() {
        let meeting = occ("a", t(10, 0), 30);
        let mut w = World::new(vec![meeting.clone()]);
        w.config.debrief = None;
        w.run(t(9, 49));
        w.run(t(9, 50));
        w.snoozes
            .push(Snooze::new(&meeting, t(9, 51), Duration::minutes(5)).unwrap());
        w.occs[0] = occ("a", t(11, 0), 30);
        for m in 52..120 {
            w.run(t(9, 0) + Duration::minutes(m));
        }
        let kinds: Vec<Kind> = w.sent.iter().map(|(_, s)| s.kind).collect();
        assert_eq!(kinds, vec![Kind::Prep, Kind::Prep]);
    }

    #[test]
    fn a_prep_and_a_snooze_due_together_send_once() {
        let meeting = occ("a", t(10, 0), 30);
        let mut w = World::new(vec![meeting.clone()]);
        w.config.lead = vec![Std::from_secs(600), Std::from_secs(120)];
        w.run(t(9, 49));
        w.run(t(9, 50));
        // snoozed until 9:58, exactly when the 2-minute prep is due
        w.snoozes
            .push(Snooze::new(&meeting, t(9, 53), Duration::minutes(5)).unwrap());
        let p = w.run(t(9, 58));
        let s = sends(&p);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, Kind::Prep);
        assert!(p.decisions.iter().any(|d| matches!(
            d,
            Decision::Skip {
                reason: SkipReason::Superseded { by_lead_s: 120 },
                ..
            }
        )));
    }

    #[test]
    fn a_failed_send_is_retried_until_stale_and_reported_once() {
        let w = {
            let mut w = World::new(vec![occ("a", t(10, 0), 30)]);
            w.run(t(9, 49));
            w
        };
        // the daemon could not deliver: it records nothing and runs again
        let mut last = t(9, 49);
        let mut attempts = 0;
        let mut stale_reports = 0;
        for m in 50..70 {
            let now = t(9, 0) + Duration::minutes(m);
            let candidates = [Candidate {
                occurrence: &w.occs[0],
                with_people: true,
            }];
            let p = plan(&Input {
                candidates: &candidates,
                config: &w.config,
                handled: &w.handled,
                snoozes: &[],
                now,
                prev_now: Some(last),
            });
            for d in &p.decisions {
                match d {
                    Decision::Send(s) if s.kind == Kind::Prep => attempts += 1,
                    Decision::Skip {
                        reason: SkipReason::Stale { .. },
                        ..
                    } => stale_reports += 1,
                    _ => {}
                }
            }
            last = now;
        }
        // 9:50 .. 10:05 inclusive
        assert_eq!(attempts, 16);
        assert_eq!(stale_reports, 1);
    }

    #[test]
    fn an_empty_calendar_still_wakes_every_minute() {
        let w = World::new(vec![]);
        let p = w.plan(t(9, 0));
        assert_eq!(p.next_wake, t(9, 1));
        assert!(p.decisions.is_empty());
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(Duration::seconds(45)), "45 s");
        assert_eq!(human_duration(Duration::minutes(10)), "10 min");
        assert_eq!(human_duration(Duration::minutes(90)), "1 h 30 min");
        assert_eq!(human_duration(Duration::hours(2)), "2 h");
        assert_eq!(human_duration(Duration::days(3)), "3 days");
    }

    mod random_clocks {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            /// Whatever the clock does (minute ticks, suspends, jumps back),
            /// no key is sent twice and nothing goes out before it is due or
            /// after it stopped being useful.
            #[test]
            fn never_twice_never_early_never_stale(
                steps in proptest::collection::vec(-180i64..600, 1..120),
                with_state in any::<bool>(),
            ) {
                let mut w = World::new(vec![
                    occ("a", t(10, 0), 30),
                    occ("b", t(10, 30), 60),
                    occ("c", t(13, 0), 15),
                ]);
                w.config.lead = vec![Std::from_secs(600), Std::from_secs(120)];
                w.last_run = if with_state { Some(t(8, 0)) } else { None };
                let mut now = t(8, 0);
                let mut meeting_by_uid = HashMap::new();
                for o in &w.occs {
                    meeting_by_uid.insert(o.uid.clone(), o.clone());
                }
                for step in steps {
                    // mostly one-minute ticks; some long jumps either way
                    let delta = if step.abs() < 120 { 60 } else { step * 60 };
                    now += Duration::seconds(delta);
                    w.run(now);
                }
                let mut seen = HashSet::new();
                let max_late = Duration::from_std(w.config.max_late).unwrap();
                for (at, s) in &w.sent {
                    prop_assert!(seen.insert(s.key.clone()), "sent twice: {}", s.key);
                    prop_assert!(*at >= s.due, "early: {} at {}", s.key, at);
                    let o = &meeting_by_uid[&s.key.uid];
                    let deadline = match s.kind {
                        Kind::Debrief => s.due + max_late,
                        Kind::Prep => (o.start_utc() + max_late).min(o.end_utc()),
                        Kind::Snooze => o.start_utc() + max_late,
                    };
                    prop_assert!(*at <= deadline, "stale: {} at {}", s.key, at);
                }
            }
        }
    }
}
