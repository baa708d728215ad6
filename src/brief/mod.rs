//! The brief: what to know before a meeting, composed from one occurrence, its
//! matched attendees and the notes about them.
//!
//! [`compose`] is pure: it takes the data, a rotation memory and `now`, and
//! returns a [`Brief`] plus the updated memory. The memory remembers which
//! meeting each person's points were last picked for, so every brief for the
//! same meeting (a second lead time, a snooze, "Open brief", `rapport brief`)
//! shows the same talking points, and the next meeting moves on. The
//! renderings ([`notification`], [`markdown`], JSON via serde, [`debrief`])
//! are pure too.
//!
//! The brief works on a small projection of a person ([`PersonFacts`]) rather
//! than on the parsed note, so that it depends only on what it shows.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::model::Occurrence;
use crate::calendar::tz::Zone;
use crate::util::text::{self, one_line};

pub mod digest;
mod render;

pub use render::{debrief, markdown, notification, relative_when, time_range, Notification};

/// The moment a brief is made and the user's zone, in which "today", the
/// meeting's day and clock times are read.
#[derive(Debug, Clone)]
pub struct Now {
    pub utc: DateTime<Utc>,
    pub zone: Zone,
}

impl Now {
    pub fn new(utc: DateTime<Utc>, zone: Zone) -> Now {
        Now { utc, zone }
    }

    /// `t` on the user's wall clock, with the offset in effect at `t`.
    pub fn local<T: TimeZone>(&self, t: &DateTime<T>) -> DateTime<FixedOffset> {
        let utc = t.with_timezone(&Utc);
        utc.with_timezone(&self.zone.offset_at(utc))
    }

    pub fn today(&self) -> NaiveDate {
        self.local(&self.utc).date_naive()
    }
}

/// Lines in a notification body (not counting the time line) before the rest
/// is left to the full brief: notification servers cut longer bodies anyway.
pub const MAX_NOTIFICATION_LINES: usize = 10;
/// Characters per notification line before it is shortened with "…".
const MAX_LINE_CHARS: usize = 96;
/// Characters of the meeting title in a notification's summary.
const MAX_TITLE_CHARS: usize = 60;
/// Unknown attendees named in the notification's one "new" line.
const MAX_UNKNOWN_NAMES: usize = 3;

/// The parts of the configuration the brief uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BriefSettings {
    /// `[people] prompts_per_person`: talking points per person and brief.
    pub prompts_per_person: usize,
    /// `[notify] discreet`: the notification shows only counts.
    pub discreet: bool,
    /// `[me] pitch`.
    pub pitch: Option<String>,
}

impl BriefSettings {
    pub fn from_config(config: &crate::config::Config) -> BriefSettings {
        BriefSettings {
            prompts_per_person: config.people.prompts_per_person,
            discreet: config.notify.discreet,
            pitch: config
                .me
                .pitch
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        }
    }
}

impl Default for BriefSettings {
    fn default() -> Self {
        BriefSettings {
            prompts_per_person: 3,
            discreet: false,
            pitch: None,
        }
    }
}

// ---------------------------------------------------------------------------
// Input

/// What the brief needs to know about one person from their note.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonFacts {
    /// Stable key for the rotation memory: the note's path relative to the
    /// people folder.
    pub key: String,
    pub name: String,
    pub role: Option<String>,
    pub org: Option<String>,
    /// Preferred channel, free text ("phone").
    pub prefers: Option<String>,
    /// `pitch: true`: show my pitch when meeting them.
    pub pitch: bool,
    /// Text before the first heading.
    pub summary: Option<String>,
    /// Bullets under topic headings, in file order.
    pub points: Vec<PointFact>,
    /// Open tasks only, in file order.
    pub follow_ups: Vec<FollowUpFact>,
    /// Dated log entries (any order).
    pub log: Vec<(NaiveDate, String)>,
    /// The last contact known when the facts were gathered (a meeting, a Log
    /// entry, a completed task); one after the brief's day is left out.
    pub last_contact: Option<ContactFact>,
    /// `birthday:` and `dates:`: shown when within a week of the meeting.
    pub birthday: Option<crate::people::PartialDate>,
    pub dates: Vec<crate::people::dates::ImportantDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFact {
    pub date: NaiveDate,
    pub source: crate::people::contact::ContactSource,
    /// The meeting's title, the Log entry's or the task's text.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointFact {
    pub heading: String,
    pub text: String,
    /// Tagged `#private`: never in a notification.
    pub private: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpFact {
    pub text: String,
    pub kind: FollowUpKind,
    /// `🛫`: not shown before this day.
    pub start: Option<NaiveDate>,
    /// `📅`.
    pub due: Option<NaiveDate>,
    /// Tagged `#private` ([`crate::people::FollowUp::is_private`]): only in
    /// the full brief, never in a notification.
    pub private: bool,
}

/// What an open task is to the meeting: something to ask, something I
/// promised, or a plain to-do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowUpKind {
    Ask,
    Owe,
    Plain,
}

/// One attendee as the brief sees it (myself and rooms are already dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
// A meeting has a handful of attendees: boxing the facts would save nothing.
#[allow(clippy::large_enum_variant)]
pub enum Attendance {
    Known(PersonFacts),
    Unknown {
        name: Option<String>,
        email: Option<String>,
    },
    /// A name that fits several notes: shown so the user can fix it.
    Ambiguous {
        name: Option<String>,
        email: Option<String>,
        /// The candidate notes (relative paths).
        candidates: Vec<String>,
    },
}

// ---------------------------------------------------------------------------
// Rotation memory

/// Which talking points were shown to whom, so consecutive briefs for a
/// person show different points while there are others left. The daemon
/// persists this in its state file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rotation {
    /// Keyed by [`PersonFacts::key`].
    #[serde(default)]
    pub people: BTreeMap<String, PersonRotation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PersonRotation {
    /// How many briefs have shown this person's points.
    #[serde(default)]
    pub round: u64,
    /// Point text -> when and how often it was shown.
    #[serde(default)]
    pub shown: BTreeMap<String, Shown>,
    /// The meeting ([`meeting_id`]) the last round was for, and the points
    /// it picked: briefs for the same meeting show the same points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub picked: Vec<String>,
}

/// A stable name for one occurrence: calendar, UID and original start.
pub fn meeting_id(occ: &Occurrence) -> String {
    let key = occ.key();
    let when = match key.recurrence_id {
        crate::calendar::model::RecurrenceId::DateTime(t) => t.to_rfc3339(),
        crate::calendar::model::RecurrenceId::Date(d) => d.to_string(),
    };
    format!("{}/{}/{when}", key.calendar, key.uid)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Shown {
    /// The round it was last shown in.
    pub round: u64,
    /// How many briefs showed it.
    pub times: u64,
}

/// Picks up to `n` of the public points, least recently shown first (never
/// shown counts as oldest), then least often shown, then in file order. The
/// points shown last time carry the newest round, so they come back only when
/// nothing else is left; the count keeps the cycle fair when some must.
fn pick_points<'a>(
    points: &[&'a PointFact],
    memory: Option<&PersonRotation>,
    n: usize,
) -> Vec<&'a PointFact> {
    let mut order: Vec<(u64, u64, usize)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let shown = memory
                .and_then(|m| m.shown.get(&point_key(p)))
                .copied()
                .unwrap_or_default();
            (shown.round, shown.times, i)
        })
        .collect();
    order.sort_unstable();
    let mut chosen: Vec<usize> = order.into_iter().take(n).map(|(.., i)| i).collect();
    // Show them in the order the user wrote them.
    chosen.sort_unstable();
    chosen.into_iter().map(|i| points[i]).collect()
}

fn point_key(point: &PointFact) -> String {
    one_line(&point.text)
}

// ---------------------------------------------------------------------------
// Output

/// The composed brief; serialises as the `--json` output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brief {
    pub meeting: Meeting,
    /// Matched people, most useful first.
    pub people: Vec<PersonBrief>,
    /// Attendees without a note.
    pub unknown: Vec<UnknownBrief>,
    /// Attendees whose name fits several notes.
    pub ambiguous: Vec<AmbiguousBrief>,
    /// My pitch, when meeting someone new or someone with `pitch: true`.
    pub pitch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meeting {
    pub title: String,
    pub calendar: String,
    pub uid: String,
    /// With the event's own UTC offset, as `agenda --json` writes it (the
    /// renderers show it in the local zone).
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub all_day: bool,
    pub location: Option<String>,
    pub conference_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonBrief {
    /// The note's path relative to the people folder.
    pub path: String,
    pub name: String,
    pub role: Option<String>,
    pub org: Option<String>,
    pub prefers: Option<String>,
    pub summary: Option<String>,
    /// Open follow-ups whose start day has come, most pressing first.
    pub follow_ups: Vec<FollowUpBrief>,
    /// This brief's share of the public talking points.
    pub talking_points: Vec<PointBrief>,
    /// Public talking points left out this time (rotated in next time).
    pub more_talking_points: usize,
    /// `#private` items: only in the full brief, "only if they raise it".
    pub private_points: Vec<PointBrief>,
    pub last_time: Option<LogBrief>,
    /// The last contact with its source ("meeting", "log", "task").
    pub last_contact: Option<ContactBrief>,
    /// Their dates within a week of the meeting ("birthday Fri, turns 41").
    pub dates: Vec<DateBrief>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactBrief {
    pub date: NaiveDate,
    pub source: crate::people::contact::ContactSource,
    pub text: String,
    /// "3 weeks ago, Budget review".
    pub said: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateBrief {
    pub what: String,
    pub date: NaiveDate,
    /// From the brief's today (negative: past).
    pub in_days: i64,
    /// "birthday Fri, turns 41".
    pub said: String,
    /// `#private`: in the full brief only.
    pub private: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUpBrief {
    pub text: String,
    pub kind: FollowUpKind,
    pub due: Option<NaiveDate>,
    /// "due today", "due Tue 1 Dec", "3 days overdue".
    pub due_state: Option<String>,
    pub overdue: bool,
    /// Tagged `#private`: in the full brief, never in a notification.
    pub private: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointBrief {
    pub heading: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogBrief {
    pub date: NaiveDate,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownBrief {
    pub name: Option<String>,
    pub email: Option<String>,
    /// The command that creates their note.
    pub add_command: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmbiguousBrief {
    pub name: Option<String>,
    pub email: Option<String>,
    pub candidates: Vec<String>,
}

// ---------------------------------------------------------------------------
// Composition

/// Composes the brief for `occ`. The meeting's day and the due states are
/// taken in the user's zone. Returns the brief and `memory` updated with the
/// talking points it shows.
pub fn compose(
    occ: &Occurrence,
    attendance: &[Attendance],
    settings: &BriefSettings,
    memory: &Rotation,
    now: &Now,
) -> (Brief, Rotation) {
    let today = now.today();
    let meeting_day = if occ.all_day {
        occ.start_date()
    } else {
        now.local(&occ.start).date_naive()
    };
    let mut memory = memory.clone();
    let meeting_id = meeting_id(occ);

    let mut people: Vec<(u8, PersonBrief)> = Vec::new();
    let mut unknown = Vec::new();
    let mut ambiguous = Vec::new();
    let mut seen_people = BTreeSet::new();
    let mut seen_unknown = BTreeSet::new();
    let mut wants_pitch = false;

    for entry in attendance {
        match entry {
            Attendance::Known(facts) => {
                // The organizer is often listed as an attendee too.
                if !seen_people.insert(facts.key.clone()) {
                    continue;
                }
                wants_pitch |= facts.pitch;
                let person = person_brief(
                    facts,
                    &meeting_id,
                    settings,
                    &mut memory,
                    today,
                    meeting_day,
                );
                people.push((usefulness(&person, meeting_day), person));
            }
            Attendance::Unknown { name, email } => {
                if !seen_unknown.insert(identity(name, email)) {
                    continue;
                }
                wants_pitch = true;
                unknown.push(UnknownBrief {
                    name: clean_opt(name),
                    email: clean_opt(email),
                    add_command: add_command(name.as_deref(), email.as_deref()),
                });
            }
            Attendance::Ambiguous {
                name,
                email,
                candidates,
            } => {
                if !seen_unknown.insert(identity(name, email)) {
                    continue;
                }
                ambiguous.push(AmbiguousBrief {
                    name: clean_opt(name),
                    email: clean_opt(email),
                    candidates: candidates.clone(),
                });
            }
        }
    }
    // Stable: equally useful people keep the calendar's order.
    people.sort_by_key(|(rank, _)| *rank);

    let brief = Brief {
        meeting: Meeting {
            title: meeting_title(occ),
            calendar: occ.calendar.clone(),
            uid: occ.uid.clone(),
            start: occ.start,
            end: occ.end,
            all_day: occ.all_day,
            location: clean_opt(&occ.location),
            conference_url: occ.conference_url.clone(),
        },
        people: people.into_iter().map(|(_, p)| p).collect(),
        unknown,
        ambiguous,
        pitch: if wants_pitch {
            settings.pitch.clone()
        } else {
            None
        },
    };
    (brief, memory)
}

fn person_brief(
    facts: &PersonFacts,
    meeting: &str,
    settings: &BriefSettings,
    memory: &mut Rotation,
    today: NaiveDate,
    meeting_day: NaiveDate,
) -> PersonBrief {
    let mut follow_ups: Vec<FollowUpBrief> = facts
        .follow_ups
        .iter()
        // An "ask after" date in the future: not yet.
        .filter(|f| f.start.is_none_or(|s| s <= meeting_day))
        .map(|f| FollowUpBrief {
            text: one_line(&f.text),
            kind: f.kind,
            due: f.due,
            due_state: f.due.map(|d| due_state(d, today)),
            overdue: f.due.is_some_and(|d| d < today),
            private: f.private,
        })
        .collect();
    follow_ups.sort_by_key(|f| follow_up_rank(f, meeting_day));

    let public: Vec<&PointFact> = facts.points.iter().filter(|p| !p.private).collect();
    let wanted = settings.prompts_per_person.min(public.len());
    // The same meeting again (a second lead time, a snooze, "Open brief",
    // `rapport brief`): the same points, and the rotation stays where it is.
    let again = memory
        .people
        .get(&facts.key)
        .filter(|m| m.meeting.as_deref() == Some(meeting))
        .map(|m| {
            public
                .iter()
                .copied()
                .filter(|p| m.picked.contains(&point_key(p)))
                .collect::<Vec<_>>()
        })
        .filter(|same| same.len() == wanted && wanted > 0);
    let chosen = match again {
        Some(same) => same,
        None => {
            let chosen = pick_points(&public, memory.people.get(&facts.key), wanted);
            if !chosen.is_empty() {
                let entry = memory.people.entry(facts.key.clone()).or_default();
                entry.round += 1;
                let round = entry.round;
                // Forget points that are no longer in the note, so the memory
                // stays small.
                let current: BTreeSet<String> = public.iter().map(|p| point_key(p)).collect();
                entry.shown.retain(|k, _| current.contains(k));
                for p in &chosen {
                    let shown = entry.shown.entry(point_key(p)).or_default();
                    shown.round = round;
                    shown.times += 1;
                }
                entry.meeting = Some(meeting.to_owned());
                entry.picked = chosen.iter().map(|p| point_key(p)).collect();
            }
            chosen
        }
    };

    let last_time = facts
        .log
        .iter()
        .enumerate()
        // Newest date; on the same day the entry written last.
        .max_by_key(|(i, (date, _))| (*date, *i))
        .map(|(_, (date, text))| LogBrief {
            date: *date,
            text: one_line(text),
        });

    let last_contact = facts
        .last_contact
        .as_ref()
        .filter(|c| c.date <= today)
        .map(|c| ContactBrief {
            date: c.date,
            source: c.source,
            text: one_line(&c.text),
            said: one_line(
                &crate::people::contact::LastContact {
                    date: c.date,
                    source: c.source,
                    text: &c.text,
                }
                .describe(today),
            ),
        });
    let dates = crate::people::dates::dates_of_near(facts.birthday, &facts.dates, meeting_day)
        .iter()
        .map(|d| DateBrief {
            what: one_line(d.what),
            date: d.date,
            in_days: d.in_days(today),
            said: one_line(&d.describe(today)),
            private: d.private,
        })
        .collect();

    PersonBrief {
        path: facts.key.clone(),
        name: one_line(&facts.name),
        role: clean_opt(&facts.role),
        org: clean_opt(&facts.org),
        prefers: clean_opt(&facts.prefers),
        summary: facts
            .summary
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        follow_ups,
        more_talking_points: public.len() - chosen.len(),
        talking_points: chosen.into_iter().map(point_brief).collect(),
        private_points: facts
            .points
            .iter()
            .filter(|p| p.private)
            .map(point_brief)
            .collect(),
        last_time,
        last_contact,
        dates,
    }
}

fn point_brief(p: &PointFact) -> PointBrief {
    PointBrief {
        heading: one_line(&p.heading),
        text: strip_private_tag(&one_line(&p.text)),
    }
}

/// Promises due by the meeting day first (most overdue first), then things to
/// ask, then later promises by date, then plain to-dos.
fn follow_up_rank(f: &FollowUpBrief, meeting_day: NaiveDate) -> (u8, Option<NaiveDate>) {
    match (f.kind, f.due) {
        (_, Some(d)) if d <= meeting_day => (0, Some(d)),
        (FollowUpKind::Ask, _) => (1, None),
        (_, Some(d)) => (2, Some(d)),
        (_, None) => (3, None),
    }
}

/// Lower is more useful: something due, something to ask, any follow-up,
/// something to talk about, nothing.
fn usefulness(p: &PersonBrief, meeting_day: NaiveDate) -> u8 {
    if p.follow_ups
        .iter()
        .any(|f| f.due.is_some_and(|d| d <= meeting_day))
    {
        0
    } else if p.follow_ups.iter().any(|f| f.kind == FollowUpKind::Ask) {
        1
    } else if !p.follow_ups.is_empty() {
        2
    } else if !p.talking_points.is_empty() || p.last_time.is_some() {
        3
    } else {
        4
    }
}

/// "due today", "due tomorrow", "due Tue 1 Dec", "1 day overdue".
pub fn due_state(due: NaiveDate, today: NaiveDate) -> String {
    let days = (due - today).num_days();
    match days {
        0 => "due today".into(),
        1 => "due tomorrow".into(),
        d if d > 1 => format!("due {}", short_date(due, today)),
        -1 => "1 day overdue".into(),
        d => format!("{} days overdue", -d),
    }
}

/// "Tue 1 Dec", with the year when it is not this year's.
fn short_date(date: NaiveDate, today: NaiveDate) -> String {
    use chrono::Datelike;
    if date.year() == today.year() {
        date.format("%a %-d %b").to_string()
    } else {
        date.format("%a %-d %b %Y").to_string()
    }
}

fn meeting_title(occ: &Occurrence) -> String {
    let title = one_line(&occ.summary);
    if title.is_empty() {
        "(no title)".into()
    } else {
        title
    }
}

fn identity(name: &Option<String>, email: &Option<String>) -> String {
    match (email, name) {
        (Some(e), _) if !e.trim().is_empty() => format!("e:{}", e.trim().to_lowercase()),
        (_, Some(n)) => format!("n:{}", one_line(n).to_lowercase()),
        _ => String::new(),
    }
}

/// The name to call an unknown attendee: their CN, else a guess from the
/// address (`alex.smith@x` -> "Alex Smith").
fn display_name(name: Option<&str>, email: Option<&str>) -> String {
    if let Some(n) = name.map(one_line).filter(|n| !n.is_empty()) {
        return n;
    }
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return "Unknown attendee".into();
    };
    let local = email.split('@').next().unwrap_or(email);
    let local = local.split('+').next().unwrap_or(local);
    let words: Vec<String> = local
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect();
    if words.is_empty() {
        email.to_owned()
    } else {
        words.join(" ")
    }
}

/// `rapport person add "Name" --email x`, quoted so it can be pasted into a shell.
fn add_command(name: Option<&str>, email: Option<&str>) -> String {
    let mut cmd = format!(
        "rapport person add {}",
        shell_quote(&text::line(&display_name(name, email), text::TITLE_CHARS))
    );
    if let Some(e) = email.map(str::trim).filter(|e| !e.is_empty()) {
        let _ = write!(cmd, " --email {}", shell_quote(e));
    }
    cmd
}

/// Double quotes when that is safe (the common case reads naturally), single
/// quotes otherwise.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "@._+-,:/=".contains(c));
    if plain {
        s.to_owned()
    } else if !s.contains(['"', '$', '`', '\\', '!']) {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn clean_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(one_line).filter(|s| !s.is_empty())
}

fn strip_private_tag(s: &str) -> String {
    let kept: Vec<&str> = s
        .split(' ')
        .filter(|w| !w.eq_ignore_ascii_case("#private"))
        .collect();
    kept.join(" ")
}

// ---------------------------------------------------------------------------
// From the people notes

impl PersonFacts {
    /// The projection of a parsed note. A nested bullet joins its parent
    /// ("Kids: Sam (8); Lotte (5)"), since on its own it lacks context;
    /// private nested bullets stay separate so they stay out of
    /// notifications, and bullets nested under a private one are private.
    /// The last contact comes from the note alone (see [`PersonFacts::met`]).
    pub fn from_person(person: &crate::people::Person) -> PersonFacts {
        PersonFacts::met(person, None, NaiveDate::MAX)
    }

    /// [`PersonFacts::from_person`] with the last contact the most recent of
    /// `meeting` (their latest meeting before the brief's, from the
    /// calendars) and the note's Log entries and completed tasks up to `today`.
    pub fn met(
        person: &crate::people::Person,
        meeting: Option<&crate::people::contact::MeetingSeen>,
        today: NaiveDate,
    ) -> PersonFacts {
        let mut points: Vec<PointFact> = Vec::new();
        for topic in &person.topics {
            // Index in `points` of the last top-level public bullet of this
            // topic, and whether the last top-level bullet was private.
            let mut parent: Option<usize> = None;
            let mut under_private = false;
            for item in &topic.items {
                if item.nested && !item.private && !under_private {
                    if let Some(i) = parent {
                        let p = &mut points[i];
                        let sep = if p.text.ends_with(':') {
                            " "
                        } else if p.text.contains(": ") {
                            "; "
                        } else {
                            ": "
                        };
                        p.text.push_str(sep);
                        p.text.push_str(item.text.trim());
                        continue;
                    }
                }
                if !item.nested {
                    parent = (!item.private).then_some(points.len());
                    under_private = item.private;
                }
                points.push(PointFact {
                    heading: topic.heading.clone(),
                    text: item.text.clone(),
                    // Details under a private bullet are as sensitive as it is.
                    private: item.private || (item.nested && under_private),
                });
            }
        }
        PersonFacts {
            key: person.path.to_string_lossy().into_owned(),
            name: person.name.clone(),
            role: person.role.clone(),
            org: person.org.clone(),
            prefers: person.prefers.clone(),
            pitch: person.pitch,
            summary: person.summary.clone(),
            points,
            follow_ups: person
                .follow_ups
                .iter()
                .map(|f| FollowUpFact {
                    text: f.text.clone(),
                    kind: match f.kind {
                        crate::people::FollowUpKind::Ask => FollowUpKind::Ask,
                        crate::people::FollowUpKind::Owe => FollowUpKind::Owe,
                        crate::people::FollowUpKind::Plain => FollowUpKind::Plain,
                    },
                    start: f.start,
                    due: f.due,
                    private: f.is_private(),
                })
                .collect(),
            log: person
                .log
                .iter()
                .map(|e| (e.date, e.text.clone()))
                .collect(),
            last_contact: crate::people::contact::last_contact(person, meeting, today).map(|c| {
                ContactFact {
                    date: c.date,
                    source: c.source,
                    text: c.text.to_string(),
                }
            }),
            birthday: person.birthday,
            dates: person.dates.clone(),
        }
    }
}

/// The attendees to brief, in calendar order: matched people and unknown or
/// ambiguous attendees; myself and rooms are left out. Last contacts come
/// from the notes alone ([`attendance_met`] adds the calendars' meetings).
pub fn attendance(
    matched: &[crate::people::matching::MatchedAttendee],
    people: &crate::people::People,
) -> Vec<Attendance> {
    attendance_of(matched, people, None)
}

/// [`attendance`] with each person's last contact also from the calendars'
/// meetings: `contacts` read up to [`history_until`] of the meeting, so
/// that neither the meeting itself nor a later one counts; Log entries and
/// completed tasks up to `today`.
pub fn attendance_met(
    matched: &[crate::people::matching::MatchedAttendee],
    people: &crate::people::People,
    contacts: &crate::people::contact::CalendarContacts,
    today: NaiveDate,
) -> Vec<Attendance> {
    attendance_of(matched, people, Some((contacts, today)))
}

/// The people whose meetings [`attendance_met`] reads: those matched
/// (indices into `People::people`), for [`CalendarContacts::only`](crate::people::contact::CalendarContacts::only).
pub fn people_in(matched: &[crate::people::matching::MatchedAttendee]) -> Vec<usize> {
    use crate::people::matching::Match;
    matched
        .iter()
        .filter_map(|m| match m.matched {
            Match::Person(i) => Some(i),
            _ => None,
        })
        .collect()
}

/// Where the calendars are read up to for a brief of `occ` at `now`: just
/// before the meeting starts, or now when that is earlier (a meeting still
/// to come has not happened).
pub fn history_until(occ: &Occurrence, now: DateTime<Utc>) -> DateTime<Utc> {
    now.min(occ.start_utc() - Duration::nanoseconds(1))
}

fn attendance_of(
    matched: &[crate::people::matching::MatchedAttendee],
    people: &crate::people::People,
    met: Option<(&crate::people::contact::CalendarContacts, NaiveDate)>,
) -> Vec<Attendance> {
    use crate::people::matching::Match;
    matched
        .iter()
        .filter_map(|m| match &m.matched {
            Match::Person(i) => people.people.get(*i).map(|p| {
                Attendance::Known(match met {
                    Some((contacts, today)) => {
                        PersonFacts::met(p, contacts.meetings(*i).last.as_ref(), today)
                    }
                    None => PersonFacts::from_person(p),
                })
            }),
            Match::Unknown => Some(Attendance::Unknown {
                name: m.attendee.name.clone(),
                email: m.attendee.email.clone(),
            }),
            Match::Ambiguous(candidates) => Some(Attendance::Ambiguous {
                name: m.attendee.name.clone(),
                email: m.attendee.email.clone(),
                candidates: candidates
                    .iter()
                    .filter_map(|i| people.people.get(*i))
                    .map(|p| p.path.to_string_lossy().into_owned())
                    .collect(),
            }),
            Match::Me | Match::Room => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Which meeting `rapport brief` shows

/// A meeting that began this long ago still counts as "next": you may open
/// its brief as you walk in late.
pub const NEXT_GRACE: Duration = Duration::minutes(15);

/// The meeting `rapport brief` shows, from occurrences sorted by start.
///
/// Without a query: the first one that started at most [`NEXT_GRACE`] ago and
/// that the daemon would prepare for (not cancelled or declined, all-day only
/// with `include_all_day`, with someone else in it when `only_with_people`;
/// `has_people` says whether it has). With a query: the first not yet over
/// whose title, attendee names or addresses contain it (case and accents
/// ignored), whatever its kind except cancelled.
pub fn find_meeting<'a>(
    occurrences: &'a [Occurrence],
    query: Option<&str>,
    notify: &crate::config::NotifyConfig,
    has_people: impl Fn(&Occurrence) -> bool,
    now: DateTime<Utc>,
) -> Option<&'a Occurrence> {
    let not_over = |o: &&Occurrence| {
        if o.end_utc() > o.start_utc() {
            o.end_utc() > now
        } else {
            o.start_utc() >= now - NEXT_GRACE
        }
    };
    let candidates = occurrences
        .iter()
        .filter(|o| !o.is_cancelled())
        .filter(not_over);
    match query.map(str::trim).filter(|q| !q.is_empty()) {
        None => candidates
            .filter(|o| o.start_utc() >= now - NEXT_GRACE)
            .filter(|o| !o.is_declined())
            .filter(|o| !o.all_day || notify.include_all_day)
            .find(|o| !notify.only_with_people || has_people(o)),
        Some(q) => {
            let folded = fold(q);
            let lower = q.to_lowercase();
            { candidates }.find(|o| mentions(o, &folded, &lower))
        }
    }
}

fn mentions(o: &Occurrence, folded: &str, lower: &str) -> bool {
    let name_hit = |name: &str| {
        !folded.is_empty()
            && (fold(name).contains(folded)
                || crate::people::matching::normalize_name(name).contains(folded))
    };
    if name_hit(&o.summary) {
        return true;
    }
    o.organizer.iter().chain(&o.attendees).any(|a| {
        a.name.as_deref().is_some_and(name_hit)
            || a.email
                .as_deref()
                .is_some_and(|e| e.to_lowercase().contains(lower))
    })
}

/// Lower case, accents removed, every run of other characters one space.
fn fold(s: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests;
