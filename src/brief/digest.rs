//! The morning digest: once a day, what matters between meetings.
//!
//! [`compose`] gathers, for one day: promises due that day or overdue;
//! things to ask that came due since the last digest sent, for people you
//! do not meet that day (those are in the meeting's prep); important dates
//! that day and up to `ahead` days later; the most overdue keep-in-touch
//! people (at most [`DigestSettings::max_due`], with their channel); and the
//! day's meetings. `#private` items are never in it. A day with none of the
//! first four has nothing to say: [`notification`] is `None` then (the
//! meetings alone each get their prep).
//!
//! [`notification`] (summary and short body; counts only when discreet),
//! [`markdown`] ("Open digest", `rapport today`) and the serde JSON
//! (`rapport today --json`) render it. [`next_digest`] is the daemon's rule
//! for when to send it. All pure.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Utc, WeekdaySet};
use serde::Serialize;

use super::render::{plural, shorten};
use super::{Notification, Now, MAX_NOTIFICATION_LINES};
use crate::calendar::model::Occurrence;
use crate::people::cadence::{DueEntry, DueList};
use crate::people::dates::{dates_between, day_word};
use crate::people::history::{local_day, participants, stays_away};
use crate::people::matching::{Match, Matcher};
use crate::people::{FollowUpKind, People};
use crate::util::text::{self, one_line};

/// `[digest]` in the config (defined there: the config builds it).
pub use crate::config::DigestSettings;

// ---------------------------------------------------------------------------
// Input

/// One of the day's meetings and who in it has a note.
#[derive(Debug, Clone, PartialEq)]
pub struct DayMeeting<'a> {
    pub occurrence: &'a Occurrence,
    /// Matched people who did not decline (indices into `People::people`),
    /// each once, in calendar order.
    pub people: Vec<usize>,
    /// Other attendees without a note (unknown or ambiguous; not me, not rooms).
    pub others: usize,
}

impl<'a> DayMeeting<'a> {
    pub fn new(occurrence: &'a Occurrence, matcher: &Matcher) -> DayMeeting<'a> {
        // (person, stays away): declining under any of their addresses counts.
        let mut seen: Vec<(usize, bool)> = Vec::new();
        let mut others = 0;
        for attendee in participants(occurrence) {
            let away = stays_away(attendee);
            match matcher.match_one(attendee) {
                Match::Person(i) => match seen.iter_mut().find(|(j, _)| *j == i) {
                    Some(s) => s.1 |= away,
                    None => seen.push((i, away)),
                },
                Match::Unknown | Match::Ambiguous(_) if !away => others += 1,
                _ => {}
            }
        }
        DayMeeting {
            occurrence,
            people: seen.iter().filter(|s| !s.1).map(|s| s.0).collect(),
            others,
        }
    }

    /// Whether someone besides me is in it.
    pub fn with_people(&self) -> bool {
        !self.people.is_empty() || self.others > 0
    }
}

/// The meetings of `day` in the user's zone, by start: not cancelled, not
/// declined by me; all-day events only with `include_all_day`.
pub fn meetings_on<'a>(
    occurrences: impl IntoIterator<Item = &'a Occurrence>,
    matcher: &Matcher,
    day: NaiveDate,
    now: &Now,
    include_all_day: bool,
) -> Vec<DayMeeting<'a>> {
    let mut out: Vec<DayMeeting<'a>> = occurrences
        .into_iter()
        .filter(|o| !o.is_cancelled() && !o.is_declined())
        .filter(|o| {
            if o.all_day {
                // From its first day up to (not including) its end date.
                let (first, end) = (o.start_date(), o.end.date_naive());
                include_all_day && (day == first || (first < day && day < end))
            } else {
                local_day(o, &now.zone) == day
            }
        })
        .map(|o| DayMeeting::new(o, matcher))
        .collect();
    out.sort_by_key(|m| (!m.occurrence.all_day, m.occurrence.start_utc()));
    out
}

// ---------------------------------------------------------------------------
// Output

/// The digest for one day; serialises as `rapport today --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Digest {
    pub date: NaiveDate,
    pub meetings: Vec<DigestMeeting>,
    /// Promises due that day or overdue, most overdue first.
    pub owe: Vec<DigestFollowUp>,
    /// Things to ask that came due, for people not met that day.
    pub ask: Vec<DigestFollowUp>,
    /// Important dates that day and up to `ahead` days later.
    pub dates: Vec<DigestDate>,
    /// The most overdue keep-in-touch people.
    pub due: Vec<DueEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestMeeting {
    pub title: String,
    /// In the user's zone (an all-day event's local midnight).
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub all_day: bool,
    pub people: Vec<DigestPerson>,
    /// Attendees without a note (not me, not rooms).
    pub others: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestPerson {
    /// The note's path relative to the people folder.
    pub person: String,
    pub name: String,
}

/// A promise or a question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestFollowUp {
    pub person: String,
    pub name: String,
    pub text: String,
    /// 📅: promises.
    pub due: Option<NaiveDate>,
    /// Days past `due` (0: due that day).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_days: Option<i64>,
    /// 🛫: questions, from that day on.
    pub since: Option<NaiveDate>,
    /// 1-based line in the note.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestDate {
    pub person: String,
    pub name: String,
    /// "birthday", or the `what` of an entry of `dates:`.
    pub what: String,
    pub date: NaiveDate,
    pub in_days: i64,
    /// Years since the first one, when known (a birthday's new age).
    pub years: Option<i32>,
    /// "birthday Fri, turns 41", as the digest says it.
    #[serde(skip)]
    pub said: String,
}

impl Digest {
    /// Whether it has anything to say: a promise, a question, a date or
    /// someone to get in touch with. The day's meetings alone are not enough.
    pub fn has_news(&self) -> bool {
        !(self.owe.is_empty()
            && self.ask.is_empty()
            && self.dates.is_empty()
            && self.due.is_empty())
    }

    /// The day's meetings with someone besides me.
    pub fn meetings_with_people(&self) -> usize {
        self.meetings
            .iter()
            .filter(|m| !m.people.is_empty() || m.others > 0)
            .count()
    }
}

// ---------------------------------------------------------------------------
// Composition

/// The digest for `now.today()`. `meetings` are that day's ([`meetings_on`]);
/// `due` is [`crate::people::cadence::due_list`] for the same day; things
/// to ask are shown when their day is after `asks_after` ([`asks_after`]).
pub fn compose(
    people: &People,
    meetings: &[DayMeeting<'_>],
    due: &DueList,
    settings: &DigestSettings,
    asks_after: NaiveDate,
    now: &Now,
) -> Digest {
    let today = now.today();
    let met_today = |i: usize| meetings.iter().any(|m| m.people.contains(&i));
    // Questions show once, in the first digest since their day came; after
    // that they wait in the prep for the next meeting with that person.
    let previous = asks_after;
    let last_ahead = settings.ahead.after(today).unwrap_or(today);

    let mut owe = Vec::new();
    let mut ask = Vec::new();
    let mut dates = Vec::new();
    for (i, p) in people.people.iter().enumerate() {
        let who = || (p.path.to_string_lossy().into_owned(), one_line(&p.name));
        for f in p
            .follow_ups
            .iter()
            .filter(|f| !f.is_private() && f.is_active(today))
        {
            let entry = |(person, name)| DigestFollowUp {
                person,
                name,
                text: one_line(&f.text),
                due: f.due,
                overdue_days: f.due.map(|d| (today - d).num_days()),
                since: f.start,
                line: f.line,
            };
            match (f.kind, f.due, f.start) {
                (_, Some(d), _) if d <= today => owe.push(entry(who())),
                (FollowUpKind::Ask, None, Some(s)) if s > previous && !met_today(i) => {
                    ask.push(entry(who()))
                }
                _ => {}
            }
        }
        for hit in dates_between(p, today, last_ahead)
            .iter()
            .filter(|h| !h.private)
        {
            let (person, name) = who();
            dates.push(DigestDate {
                person,
                name,
                what: one_line(hit.what),
                date: hit.date,
                in_days: hit.in_days(today),
                years: hit.years,
                said: one_line(&hit.describe(today)),
            });
        }
    }
    owe.sort_by(|a, b| (a.due, &a.name, a.line).cmp(&(b.due, &b.name, b.line)));
    ask.sort_by(|a, b| (a.since, &a.name, a.line).cmp(&(b.since, &b.name, b.line)));
    dates.sort_by(|a, b| (a.date, &a.name).cmp(&(b.date, &b.name)));

    let meetings = meetings
        .iter()
        .map(|m| {
            let o = m.occurrence;
            let local = |t: &DateTime<FixedOffset>| if o.all_day { *t } else { now.local(t) };
            DigestMeeting {
                title: super::meeting_title(o),
                start: local(&o.start),
                end: local(&o.end),
                all_day: o.all_day,
                people: m
                    .people
                    .iter()
                    .filter_map(|&i| people.people.get(i))
                    .map(|p| DigestPerson {
                        person: p.path.to_string_lossy().into_owned(),
                        name: one_line(&p.name),
                    })
                    .collect(),
                others: m.others,
            }
        })
        .collect();

    Digest {
        date: today,
        meetings,
        owe,
        ask,
        dates,
        due: due.due.iter().take(settings.max_due).cloned().collect(),
    }
}

/// The digests handled so far, as the daemon's state records them (each day
/// is recorded before its notification goes out).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestsSent {
    /// The last day a digest was sent (or had nothing to say).
    pub last: Option<NaiveDate>,
    /// The one before it.
    pub before_last: Option<NaiveDate>,
}

/// The day after which a thing to ask is new to the digest of `day`, so that
/// each shows in the first digest on or after its day, and only there: the
/// last digest actually sent before `day` (a day the daemon was off, or
/// booted after `[digest] until`, sent none, and a weekend none either).
/// Looking ahead (`day` after `today`), the digest days from today on count
/// as sent. Without a record (no daemon yet, or looking back past the last
/// one), the schedule's previous digest day.
pub fn asks_after(
    day: NaiveDate,
    today: NaiveDate,
    sent: DigestsSent,
    days: WeekdaySet,
) -> NaiveDate {
    let sent_before = match sent.last {
        Some(last) if last < day => Some(last),
        Some(last) if last == day => sent.before_last.filter(|d| *d < day),
        _ => None,
    };
    let scheduled = Some(previous_digest_day(day, days)).filter(|d| day > today && *d >= today);
    match (sent_before, scheduled) {
        (Some(a), Some(b)) => a.max(b),
        (a, b) => a.or(b).unwrap_or_else(|| previous_digest_day(day, days)),
    }
}

/// The last digest day before `today` (yesterday when no day is one).
fn previous_digest_day(today: NaiveDate, days: WeekdaySet) -> NaiveDate {
    (1..=7)
        .filter_map(|n| today.checked_sub_signed(Duration::days(n)))
        .find(|d| days.contains(d.weekday()))
        .or_else(|| today.pred_opt())
        .unwrap_or(today)
}

// ---------------------------------------------------------------------------
// Renderings

/// The digest's notification; `None` when it has nothing to say. Discreet:
/// counts only, no names or texts.
pub fn notification(digest: &Digest, discreet: bool) -> Option<Notification> {
    if !digest.has_news() {
        return None;
    }
    let counts = counts(digest);
    let with_people = digest.meetings_with_people();
    let meetings_line = format!(
        "{} with people today",
        plural(with_people, "meeting", "meetings")
    );
    if discreet {
        let mut body = counts.join(" · ");
        if with_people > 0 {
            body.push('\n');
            body.push_str(&meetings_line);
        }
        return Some(Notification {
            summary: "Your day".into(),
            body,
        });
    }
    let mut lines: Vec<String> = Vec::new();
    for f in &digest.owe {
        let state = f
            .due
            .map(|d| super::due_state(d, digest.date))
            .unwrap_or_default();
        lines.push(format!("you owe {}: {} ({state})", f.name, f.text));
    }
    for f in &digest.ask {
        lines.push(format!("ask {}: {}", f.name, f.text));
    }
    for d in &digest.dates {
        lines.push(format!("{}: {}", d.name, d.said));
    }
    for e in &digest.due {
        lines.push(format!("get in touch: {}", due_line(e, digest.date)));
    }
    // The meetings line always stays, last; items beyond the room are counted.
    let room = MAX_NOTIFICATION_LINES - usize::from(with_people > 0);
    if lines.len() > room {
        let kept = room - 1;
        let more = lines.len() - kept;
        lines.truncate(kept);
        lines.push(format!("+{more} more in the digest"));
    }
    if with_people > 0 {
        lines.push(meetings_line);
    }
    Some(Notification {
        summary: format!("Today: {}", counts.join(", ")),
        body: lines
            .iter()
            .map(|t| shorten(t))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// "2 promises due", "1 to ask", "1 date", "3 to contact"; only the ones
/// there are. Short: it is the notification's summary.
fn counts(digest: &Digest) -> Vec<String> {
    let mut out = Vec::new();
    if !digest.owe.is_empty() {
        out.push(format!(
            "{} due",
            plural(digest.owe.len(), "promise", "promises")
        ));
    }
    if !digest.ask.is_empty() {
        out.push(format!("{} to ask", digest.ask.len()));
    }
    if !digest.dates.is_empty() {
        out.push(plural(digest.dates.len(), "date", "dates"));
    }
    if !digest.due.is_empty() {
        out.push(format!("{} to contact", digest.due.len()));
    }
    out
}

/// "Ana by phone, last 6 weeks ago, Budget review", "Bob, no contact yet".
fn due_line(e: &DueEntry, today: NaiveDate) -> String {
    let mut s = one_line(&e.name);
    if let Some(channel) = e.channel {
        let _ = write!(s, " by {}", channel_words(channel));
    }
    match (e.last_contact, &e.last_contact_text, e.last_contact_source) {
        (Some(date), Some(text), Some(source)) => {
            let contact = crate::people::contact::LastContact { date, source, text };
            let _ = write!(s, ", last {}", contact.describe(today));
        }
        _ => s.push_str(", no contact yet"),
    }
    s
}

/// How a channel is said: "phone", "meeting in person".
pub fn channel_words(c: crate::people::Channel) -> &'static str {
    use crate::people::Channel;
    match c {
        Channel::Phone => "phone",
        Channel::Email => "email",
        Channel::Chat => "chat",
        Channel::InPerson => "meeting in person",
    }
}

/// The full digest ("Open digest", `rapport today`).
pub fn markdown(digest: &Digest, now: &Now) -> String {
    let today = digest.date;
    let mut s = String::new();
    let day = today.format("%a %-d %b %Y");
    // `rapport today --on DATE` shows another day.
    // Each part below begins with its blank line.
    if today == now.today() {
        let _ = writeln!(s, "# Today, {day}");
    } else {
        let _ = writeln!(s, "# {day}");
    }
    if !digest.has_news() {
        s.push_str("\nNothing due.\n");
    }
    if !digest.owe.is_empty() {
        s.push_str("\n## You owe\n\n");
        for f in &digest.owe {
            let state = f
                .due
                .map(|d| super::due_state(d, today))
                .unwrap_or_default();
            let state = if f.overdue_days.is_some_and(|d| d > 0) {
                format!("**{state}**")
            } else {
                state
            };
            let _ = writeln!(s, "- {}: {} ({state})", f.name, f.text);
        }
    }
    if !digest.ask.is_empty() {
        s.push_str("\n## To ask\n\n");
        for f in &digest.ask {
            let _ = write!(s, "- {}: {}", f.name, f.text);
            if let Some(since) = f.since.filter(|d| *d < today) {
                let _ = write!(s, " (since {})", day_word(since, today));
            }
            s.push('\n');
        }
    }
    if !digest.dates.is_empty() {
        s.push_str("\n## Dates\n\n");
        for d in &digest.dates {
            let _ = writeln!(s, "- {}: {}", d.name, d.said);
        }
    }
    if !digest.due.is_empty() {
        s.push_str("\n## Keep in touch\n\n");
        for e in &digest.due {
            let _ = write!(s, "- {} (every {}", due_line(e, today), e.cadence);
            // Without any contact there is no day count (it would be made up).
            match (e.last_contact, e.overdue_days) {
                (None, _) => {}
                (Some(_), 0) => s.push_str(", due today"),
                (Some(_), 1) => s.push_str(", 1 day overdue"),
                (Some(_), n) => {
                    let _ = write!(s, ", {n} days overdue");
                }
            }
            if e.open_follow_ups > 0 {
                let _ = write!(
                    s,
                    "; {}",
                    plural(e.open_follow_ups, "open follow-up", "open follow-ups")
                );
            }
            s.push_str(")\n");
        }
    }
    if !digest.meetings.is_empty() {
        s.push_str("\n## Meetings\n\n");
        for m in &digest.meetings {
            let when = if m.all_day {
                "all day".to_string()
            } else {
                format!(
                    "{}–{}",
                    now.local(&m.start).format("%H:%M"),
                    now.local(&m.end).format("%H:%M")
                )
            };
            let title = text::line(&m.title, text::TITLE_CHARS);
            let mut who: Vec<String> = m.people.iter().map(|p| p.name.clone()).collect();
            if m.others > 0 {
                who.push(format!("{} more", m.others));
            }
            if who.is_empty() {
                let _ = writeln!(s, "- {when} {title}");
            } else {
                let _ = writeln!(s, "- {when} {title}: {}", who.join(", "));
            }
        }
    }
    s
}

// ---------------------------------------------------------------------------
// When to send it

/// What the daemon should do about the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestTime {
    /// Compose and send the digest for this day now (then record the day).
    Now(NaiveDate),
    /// Nothing before this instant: wake then and ask again.
    At(DateTime<Utc>),
    /// Disabled, or no digest days.
    Never,
}

/// When the digest is due. `last_day` is the last day a digest was sent
/// (or found to have nothing to say); record it whenever `Now` was acted on.
///
/// Once a day, on the digest days, from `at` (local time in `now.zone`)
/// until `until`: after a suspend or a late boot within that window it is
/// still sent, later that day it is not. Never twice for a day (also when
/// `at` happens twice as clocks go back: the first counts), never for a
/// past day. An `at` that does not exist (clocks go forward over it) is
/// the instant after the gap; a `last_day` after today (travel westwards)
/// waits for the next day.
pub fn next_digest(
    settings: &DigestSettings,
    last_day: Option<NaiveDate>,
    now: &Now,
) -> DigestTime {
    if !settings.enabled || settings.days.is_empty() {
        return DigestTime::Never;
    }
    let today = now.today();
    // A day more than one ahead was recorded by a clock that was wrong.
    let last_day = last_day.filter(|d| *d <= today + Duration::days(1));
    for n in 0..=8 {
        let Some(day) = today.checked_add_signed(Duration::days(n)) else {
            break;
        };
        if last_day.is_some_and(|l| day <= l) || !settings.days.contains(day.weekday()) {
            continue;
        }
        let from = now.zone.to_utc(day.and_time(settings.at));
        let until = if settings.until > settings.at {
            now.zone.to_utc(day.and_time(settings.until))
        } else {
            let next = day.succ_opt().unwrap_or(day);
            now.zone.to_utc(next.and_time(NaiveTime::MIN))
        };
        if now.utc < from {
            return DigestTime::At(from);
        }
        if now.utc < until {
            return DigestTime::Now(day);
        }
    }
    DigestTime::Never
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tz::Zone;
    use crate::people::cadence::{due_list, CadenceDefaults};
    use crate::people::contact::{CalendarContacts, ContactSettings};
    use crate::people::history::tests::{at as utc, d, meeting, people, who};
    use crate::people::Me;

    fn amsterdam() -> Zone {
        Zone::Iana(chrono_tz::Europe::Amsterdam)
    }

    /// `local` is a wall-clock time in `zone`, `2026-12-01T08:30`.
    fn now_in(local: &str, zone: Zone) -> Now {
        let naive = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M").unwrap();
        Now::new(zone.to_utc(naive), zone)
    }

    fn now(local: &str) -> Now {
        now_in(local, amsterdam())
    }

    /// Tuesday 1 December 2026: Yvonne owes and is met today; Pieter has a
    /// question and a birthday; Ana is overdue for keeping in touch.
    fn notes() -> People {
        let notes = [
            (
                "yvonne.md",
                "---\nname: Yvonne Bakker\nemails: [yvonne@x.example]\nbirthday: 1985-12-03\n---\n\
                 ## Follow-ups\n\
                 - [ ] Send the numbers 📅 2026-11-28\n\
                 - [ ] Book the venue 📅 2026-12-01\n\
                 - [ ] Later promise 📅 2026-12-09\n\
                 - [ ] Her father's surgery #private 📅 2026-11-30\n\
                 - [ ] Ask about the tournament 🛫 2026-12-01\n",
            ),
            (
                "pieter.md",
                "---\nname: Pieter\nemails: [pieter@x.example]\n\
                 dates:\n  - {date: --12-04, what: \"Sam's birthday\"}\n  \
                 - {date: 2026-12-05, what: \"surgery\", private: true}\n  \
                 - {date: 2026-12-10, what: exam}\n---\n\
                 ## Follow-ups\n\
                 - [ ] How did the exam go 🛫 2026-12-01\n\
                 - [ ] Old question 🛫 2026-11-20\n\
                 - [ ] Whenever we meet #ask\n\
                 - [ ] Not yet 🛫 2026-12-02\n\
                 - [ ] About the divorce #private 🛫 2026-12-01\n",
            ),
            (
                "ana.md",
                "---\nname: Ana\nemails: [ana@x.example]\ncadence: 2w\nprefers: phone\n---\n\
                 ## Log\n- 2026-11-01 Lunch\n",
            ),
        ];
        people(&notes)
    }

    fn matcher(people: &People) -> Matcher {
        let me = Me {
            emails: vec!["me@x.example".into()],
            ..Me::default()
        };
        Matcher::new(people, &me)
    }

    fn sync() -> Occurrence {
        meeting(
            "Marketing sync",
            "2026-12-01T10:00:00+01:00",
            vec![
                who("Me", "me@x.example"),
                who("Yvonne Bakker", "yvonne@x.example"),
                who("Stranger", "s@y.example"),
            ],
        )
    }

    fn digest_for(people: &People, occs: &[Occurrence], at: &Now) -> Digest {
        let m = matcher(people);
        let mut contacts = CalendarContacts::new(
            people.people.len(),
            &ContactSettings::default(),
            at.utc,
            &at.zone,
        );
        for o in occs {
            contacts.add(o, &m);
        }
        let due = due_list(people, &contacts, &CadenceDefaults::default());
        let day = meetings_on(occs, &m, at.today(), at, false);
        let settings = DigestSettings::default();
        let after = asks_after(
            at.today(),
            at.today(),
            DigestsSent::default(),
            settings.days,
        );
        compose(people, &day, &due, &settings, after, at)
    }

    #[test]
    fn what_the_digest_gathers() {
        let people = notes();
        let at = now("2026-12-01T08:30");
        let digest = digest_for(&people, &[sync()], &at);
        let owe: Vec<(&str, &str, Option<i64>)> = digest
            .owe
            .iter()
            .map(|f| (f.name.as_str(), f.text.as_str(), f.overdue_days))
            .collect();
        // Promises: overdue and due today, for everyone (met today or not);
        // the private one and the later one are not there.
        assert_eq!(
            owe,
            [
                ("Yvonne Bakker", "Send the numbers", Some(3)),
                ("Yvonne Bakker", "Book the venue", Some(0)),
            ]
        );
        // Questions: only Pieter's that came since the last digest day
        // (Monday): not Yvonne's (met today, in the prep), not the old one,
        // the undated one, the future one or the private one.
        let ask: Vec<(&str, &str)> = digest
            .ask
            .iter()
            .map(|f| (f.name.as_str(), f.text.as_str()))
            .collect();
        assert_eq!(ask, [("Pieter", "How did the exam go")]);
        // Dates today to 3 days ahead, without the private one.
        let dates: Vec<(&str, &str, i64)> = digest
            .dates
            .iter()
            .map(|x| (x.name.as_str(), x.said.as_str(), x.in_days))
            .collect();
        assert_eq!(
            dates,
            [
                ("Yvonne Bakker", "birthday Thu, turns 41", 2),
                ("Pieter", "Sam's birthday Fri", 3),
            ]
        );
        assert_eq!(digest.due.len(), 1);
        assert_eq!(digest.due[0].name, "Ana");
        assert_eq!(digest.meetings_with_people(), 1);
        assert!(digest.has_news());

        let json = serde_json::to_value(&digest).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["ask", "date", "dates", "due", "meetings", "owe"]);
        assert_eq!(
            json["dates"][0],
            serde_json::json!({"person": "yvonne.md", "name": "Yvonne Bakker", "what": "birthday",
                               "date": "2026-12-03", "in_days": 2, "years": 41})
        );
        assert_eq!(
            json["meetings"][0],
            serde_json::json!({"title": "Marketing sync", "start": "2026-12-01T10:00:00+01:00",
                               "end": "2026-12-01T10:30:00+01:00", "all_day": false,
                               "people": [{"person": "yvonne.md", "name": "Yvonne Bakker"}],
                               "others": 1})
        );
        assert_eq!(json["owe"][0]["due"], "2026-11-28");
        assert_eq!(json["ask"][0]["since"], "2026-12-01");
        let text = json.to_string();
        assert!(
            !text.contains("surgery") && !text.contains("divorce"),
            "{text}"
        );
    }

    /// Each question reaches the first digest sent on or after its day:
    /// also when the daemon was off that day, or the day was a weekend.
    #[test]
    fn a_question_reaches_the_first_digest_actually_sent() {
        let people = people(&[(
            "p.md",
            "---\nname: Pieter\n---\n- [ ] How was the race 🛫 2026-12-01\n",
        )]);
        let weekdays = DigestSettings::default();
        let asks = |local: &str, sent: DigestsSent, settings: &DigestSettings| {
            let at = now(local);
            let after = asks_after(at.today(), at.today(), sent, settings.days);
            let due = nobody_due(at.today());
            compose(&people, &[], &due, settings, after, &at).ask.len()
        };
        let sent = |last: &str, before: Option<&str>| DigestsSent {
            last: Some(d(last)),
            before_last: before.map(d),
        };
        // The daemon was off on Tuesday 1 December (its day): Monday's was
        // the last digest sent, so Wednesday's shows it.
        assert_eq!(
            asks("2026-12-02T08:30", sent("2026-11-30", None), &weekdays),
            1
        );
        // It was on: Tuesday's showed it, Wednesday's does not again.
        assert_eq!(
            asks("2026-12-01T08:30", sent("2026-11-30", None), &weekdays),
            1
        );
        assert_eq!(
            asks("2026-12-02T08:30", sent("2026-12-01", None), &weekdays),
            0
        );
        // Shown again after a snooze the same day (today is recorded).
        assert_eq!(
            asks(
                "2026-12-01T10:30",
                sent("2026-12-01", Some("2026-11-30")),
                &weekdays
            ),
            1
        );
        // Booted after `until` on Tuesday and Wednesday: Thursday's has it.
        assert_eq!(
            asks("2026-12-03T08:30", sent("2026-11-30", None), &weekdays),
            1
        );
        // Its day on a Saturday, with a weekday digest: Friday's digest was
        // the last sent, so Monday's shows it, and `rapport today` on Saturday
        // and Sunday too (nothing sent since Friday).
        let people = people_with_ask("2026-12-05");
        let on = |local: &str, last: &str| {
            let at = now(local);
            let after = asks_after(at.today(), at.today(), sent(last, None), weekdays.days);
            let due = nobody_due(at.today());
            compose(&people, &[], &due, &weekdays, after, &at).ask.len()
        };
        assert_eq!(on("2026-12-05T09:00", "2026-12-04"), 1, "Saturday");
        assert_eq!(on("2026-12-07T08:30", "2026-12-04"), 1, "Monday");
        assert_eq!(on("2026-12-08T08:30", "2026-12-07"), 0, "Tuesday");
        // Friday's question, and the daemon off on Friday: on Saturday
        // `rapport today` still has it (the schedule alone dropped it).
        let people = people_with_ask("2026-12-04");
        let at = now("2026-12-05T09:00");
        let after = asks_after(
            at.today(),
            at.today(),
            sent("2026-12-03", None),
            weekdays.days,
        );
        assert_eq!(after, d("2026-12-03"));
        let due = nobody_due(at.today());
        assert_eq!(
            compose(&people, &[], &due, &weekdays, after, &at).ask.len(),
            1
        );
    }

    fn nobody_due(date: NaiveDate) -> DueList {
        DueList {
            date,
            due: Vec::new(),
            meeting_soon: Vec::new(),
            snoozed: Vec::new(),
        }
    }

    fn people_with_ask(day: &str) -> People {
        people(&[(
            "p.md",
            &format!("---\nname: Pieter\n---\n- [ ] How was the race 🛫 {day}\n"),
        )])
    }

    #[test]
    fn asks_after_without_a_record_and_looking_ahead() {
        let weekdays = DigestSettings::default().days;
        let none = DigestsSent::default();
        // No digest recorded: the schedule's previous digest day.
        assert_eq!(
            asks_after(d("2026-11-30"), d("2026-11-30"), none, weekdays),
            d("2026-11-27")
        );
        let sent = |last: &str, before: Option<&str>| DigestsSent {
            last: Some(d(last)),
            before_last: before.map(d),
        };
        // (day, today, sent, asks after)
        let cases = [
            // Looking at a day before the last one recorded: the schedule.
            (
                "2026-11-30",
                "2026-12-02",
                sent("2026-12-02", Some("2026-12-01")),
                "2026-11-27",
            ),
            // Looking ahead to Thursday from Tuesday, Monday's sent:
            // Wednesday's digest is still to come and counts as sent.
            (
                "2026-12-03",
                "2026-12-01",
                sent("2026-11-30", None),
                "2026-12-02",
            ),
            // Looking ahead to Monday from Saturday: Friday's was the last.
            (
                "2026-12-07",
                "2026-12-05",
                sent("2026-12-04", None),
                "2026-12-04",
            ),
        ];
        for (day, today, sent, after) in cases {
            assert_eq!(
                asks_after(d(day), d(today), sent, weekdays),
                d(after),
                "{day}"
            );
        }
    }

    /// On Monday the last digest day was Friday: a question whose day was
    /// Saturday shows then; on Tuesday it no longer does.
    #[test]
    fn questions_show_once_in_the_first_digest_since_their_day() {
        let people = people(&[(
            "p.md",
            "---\nname: Pieter\n---\n- [ ] How was the race 🛫 2026-11-28\n",
        )]);
        let ask_count = |local: &str| digest_for(&people, &[], &now(local)).ask.len();
        assert_eq!(ask_count("2026-11-27T08:30"), 0, "Friday, before its day");
        assert_eq!(ask_count("2026-11-30T08:30"), 1, "Monday");
        assert_eq!(ask_count("2026-12-01T08:30"), 0, "Tuesday");
        // With every day a digest day it shows on its own day only.
        let every_day = DigestSettings {
            days: WeekdaySet::ALL,
            ..DigestSettings::default()
        };
        assert_eq!(
            previous_digest_day(d("2026-11-30"), every_day.days),
            d("2026-11-29")
        );
        assert_eq!(
            previous_digest_day(d("2026-11-30"), WeekdaySet::EMPTY),
            d("2026-11-29")
        );
    }

    #[test]
    fn nothing_to_say_is_no_notification() {
        let people = people(&[(
            "y.md",
            "---\nname: Yvonne Bakker\nemails: [yvonne@x.example]\n---\n- [ ] Secret #private 📅 2026-11-30\n",
        )]);
        let at = now("2026-12-01T08:30");
        let digest = digest_for(&people, &[sync()], &at);
        // A meeting alone is not news: its prep comes before it.
        assert_eq!(digest.meetings.len(), 1);
        assert!(!digest.has_news());
        assert_eq!(notification(&digest, false), None);
        assert_eq!(notification(&digest, true), None);
        let md = markdown(&digest, &at);
        assert!(
            md.starts_with("# Today, Tue 1 Dec 2026\n\nNothing due.\n"),
            "{md}"
        );
        let other_day = markdown(&digest, &now("2026-11-30T08:30"));
        assert!(other_day.starts_with("# Tue 1 Dec 2026\n"), "{other_day}");
        assert!(
            md.contains("- 10:00–10:30 Marketing sync: Yvonne Bakker, 1 more"),
            "{md}"
        );
        assert!(!md.contains("Secret"), "{md}");
    }

    #[test]
    fn the_notification_and_its_discreet_form() {
        let people = notes();
        let at = now("2026-12-01T08:30");
        let digest = digest_for(&people, &[sync()], &at);
        let n = notification(&digest, false).unwrap();
        assert_eq!(
            n.summary,
            "Today: 2 promises due, 1 to ask, 2 dates, 1 to contact"
        );
        assert_eq!(
            n.body,
            "you owe Yvonne Bakker: Send the numbers (3 days overdue)\n\
             you owe Yvonne Bakker: Book the venue (due today)\n\
             ask Pieter: How did the exam go\n\
             Yvonne Bakker: birthday Thu, turns 41\n\
             Pieter: Sam's birthday Fri\n\
             get in touch: Ana by phone, last 4 weeks ago, log\n\
             1 meeting with people today"
        );
        let discreet = notification(&digest, true).unwrap();
        assert_eq!(discreet.summary, "Your day");
        assert_eq!(
            discreet.body,
            "2 promises due · 1 to ask · 2 dates · 1 to contact\n1 meeting with people today"
        );
        for name in ["Yvonne", "Pieter", "Ana", "numbers", "birthday"] {
            assert!(!format!("{discreet:?}").contains(name), "{name}");
        }
    }

    #[test]
    fn a_long_digest_is_cut_with_a_count() {
        let tasks: String = (1..=14)
            .map(|i| format!("- [ ] Promise number {i} with a rather long text that goes on and on and on and on and on 📅 2026-11-30\n"))
            .collect();
        let people = people(&[("y.md", &format!("---\nname: Yvonne\n---\n{tasks}"))]);
        let digest = digest_for(&people, &[], &now("2026-12-01T08:30"));
        let n = notification(&digest, false).unwrap();
        let lines: Vec<&str> = n.body.lines().collect();
        assert_eq!(lines.len(), MAX_NOTIFICATION_LINES);
        assert_eq!(lines[9], "+5 more in the digest");
        assert!(lines.iter().all(|l| l.chars().count() <= 96), "{lines:?}");
        assert!(lines[0].ends_with('…'), "{}", lines[0]);
        // With a meeting, its line stays last and one more promise goes.
        let sync = meeting(
            "Sync",
            "2026-12-01T10:00:00+01:00",
            vec![who("Yvonne", "yvonne@x.example")],
        );
        let n = notification(
            &digest_for(&people, &[sync], &now("2026-12-01T08:30")),
            false,
        )
        .unwrap();
        let lines: Vec<&str> = n.body.lines().collect();
        assert_eq!(lines.len(), MAX_NOTIFICATION_LINES);
        assert_eq!(
            lines[8..],
            ["+6 more in the digest", "1 meeting with people today"]
        );
    }

    #[test]
    fn the_full_digest_in_markdown() {
        let people = notes();
        let at = now("2026-12-01T08:30");
        let md = markdown(&digest_for(&people, &[sync()], &at), &at);
        assert_eq!(
            md,
            "# Today, Tue 1 Dec 2026\n\
             \n## You owe\n\n\
             - Yvonne Bakker: Send the numbers (**3 days overdue**)\n\
             - Yvonne Bakker: Book the venue (due today)\n\
             \n## To ask\n\n\
             - Pieter: How did the exam go\n\
             \n## Dates\n\n\
             - Yvonne Bakker: birthday Thu, turns 41\n\
             - Pieter: Sam's birthday Fri\n\
             \n## Keep in touch\n\n\
             - Ana by phone, last 4 weeks ago, log (every 2w, 16 days overdue)\n\
             \n## Meetings\n\n\
             - 10:00–10:30 Marketing sync: Yvonne Bakker, 1 more\n"
        );
    }

    /// People with a cadence and no contact at all have no day count, and
    /// never push someone really overdue out of the top 3.
    #[test]
    fn people_never_in_touch_come_after_the_overdue_ones() {
        let mut notes: Vec<(String, String)> = ["Bea", "Cas", "Dirk"]
            .iter()
            .map(|n| {
                (
                    format!("{}.md", n.to_lowercase()),
                    format!("---\nname: {n}\ncadence: 1w\n---\n"),
                )
            })
            .collect();
        notes.push((
            "ana.md".into(),
            "---\nname: Ana\ncadence: 2w\n---\n## Log\n- 2026-11-01 Lunch\n".into(),
        ));
        let refs: Vec<(&str, &str)> = notes
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let people = people(&refs);
        let at = now("2026-12-01T08:30");
        let digest = digest_for(&people, &[], &at);
        let names: Vec<&str> = digest.due.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Ana", "Bea", "Cas"]);
        let md = markdown(&digest, &at);
        assert!(
            md.contains("- Ana, last 4 weeks ago, log (every 2w, 16 days overdue)\n"),
            "{md}"
        );
        assert!(md.contains("- Bea, no contact yet (every 1w)\n"), "{md}");
        assert!(!md.contains("Bea, no contact yet (every 1w,"), "{md}");
        let n = notification(&digest, false).unwrap();
        assert!(
            n.body.contains("get in touch: Bea, no contact yet"),
            "{}",
            n.body
        );
    }

    #[test]
    fn the_days_meetings() {
        let people = notes();
        let m = matcher(&people);
        let at = now("2026-12-01T08:30");
        let mut declined_by_me = sync();
        declined_by_me.my_status = Some(crate::calendar::model::PartStat::Declined);
        let mut cancelled = sync();
        cancelled.status = Some(crate::calendar::model::Status::Cancelled);
        // Pieter declined: not met today, so his question stays in the digest.
        let mut pieter_declined = meeting(
            "1:1",
            "2026-12-01T14:00:00+01:00",
            vec![who("Me", "me@x.example"), who("Pieter", "pieter@x.example")],
        );
        pieter_declined.attendees[1].partstat = Some("declined".into());
        // 23:30 local is 22:30 UTC: still today; 00:30 tomorrow is not.
        let late = meeting(
            "Late",
            "2026-12-01T22:30:00Z",
            vec![who("Ana", "ana@x.example")],
        );
        let tomorrow = meeting(
            "Early",
            "2026-12-01T23:30:00Z",
            vec![who("Ana", "ana@x.example")],
        );
        let mut all_day = meeting(
            "Offsite",
            "2026-11-30T00:00:00+01:00",
            vec![who("Ana", "ana@x.example")],
        );
        all_day.all_day = true;
        all_day.end = DateTime::parse_from_rfc3339("2026-12-02T00:00:00+01:00").unwrap();
        let occs = [
            declined_by_me,
            cancelled,
            pieter_declined,
            late,
            tomorrow,
            all_day,
        ];
        let titles = |include_all_day| -> Vec<(String, Vec<usize>)> {
            meetings_on(&occs, &m, at.today(), &at, include_all_day)
                .iter()
                .map(|x| (x.occurrence.summary.clone(), x.people.clone()))
                .collect()
        };
        assert_eq!(
            titles(false),
            [("1:1".into(), vec![]), ("Late".into(), vec![2])]
        );
        assert_eq!(
            titles(true),
            [
                ("Offsite".into(), vec![2]),
                ("1:1".into(), vec![]),
                ("Late".into(), vec![2])
            ]
        );
        let day = meetings_on(&occs, &m, at.today(), &at, false);
        assert!(!day[0].with_people());
        let digest = compose(
            &people,
            &day,
            &DueList {
                date: at.today(),
                due: Vec::new(),
                meeting_soon: Vec::new(),
                snoozed: Vec::new(),
            },
            &DigestSettings::default(),
            d("2026-11-30"),
            &at,
        );
        // Yvonne's meeting was declined and cancelled, Pieter declined his:
        // both their questions are in the digest.
        let asked: Vec<&str> = digest.ask.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(asked, ["Pieter", "Yvonne Bakker"]);
        assert_eq!(digest.meetings_with_people(), 1);
    }

    fn settings() -> DigestSettings {
        DigestSettings::default()
    }

    #[test]
    fn digest_time_once_a_day_in_its_window() {
        let s = settings();
        // Tuesday before 08:30: wake at 08:30.
        assert_eq!(
            next_digest(&s, Some(d("2026-11-30")), &now("2026-12-01T07:00")),
            DigestTime::At(utc("2026-12-01T07:30:00Z"))
        );
        assert_eq!(
            next_digest(&s, Some(d("2026-11-30")), &now("2026-12-01T08:30")),
            DigestTime::Now(d("2026-12-01"))
        );
        // After a suspend or a late boot, until 12:00.
        assert_eq!(
            next_digest(&s, None, &now("2026-12-01T11:59")),
            DigestTime::Now(d("2026-12-01"))
        );
        // From 12:00 not for today any more: tomorrow 08:30.
        assert_eq!(
            next_digest(&s, Some(d("2026-11-30")), &now("2026-12-01T12:00")),
            DigestTime::At(utc("2026-12-02T07:30:00Z"))
        );
        // Sent today: never twice, also after a restart.
        assert_eq!(
            next_digest(&s, Some(d("2026-12-01")), &now("2026-12-01T09:00")),
            DigestTime::At(utc("2026-12-02T07:30:00Z"))
        );
        // Friday after sending: Monday. Saturday: Monday.
        assert_eq!(
            next_digest(&s, Some(d("2026-12-04")), &now("2026-12-04T08:31")),
            DigestTime::At(utc("2026-12-07T07:30:00Z"))
        );
        assert_eq!(
            next_digest(&s, Some(d("2026-12-04")), &now("2026-12-05T10:00")),
            DigestTime::At(utc("2026-12-07T07:30:00Z"))
        );
        // Never for a past day: Monday's missed digest is not sent on Tuesday
        // afternoon, nor after midnight.
        assert_eq!(
            next_digest(&s, Some(d("2026-11-27")), &now("2026-12-01T00:10")),
            DigestTime::At(utc("2026-12-01T07:30:00Z"))
        );
        // Off, or no days.
        let off = DigestSettings {
            enabled: false,
            ..settings()
        };
        assert_eq!(
            next_digest(&off, None, &now("2026-12-01T08:30")),
            DigestTime::Never
        );
        let no_days = DigestSettings {
            days: WeekdaySet::EMPTY,
            ..settings()
        };
        assert_eq!(
            next_digest(&no_days, None, &now("2026-12-01T08:30")),
            DigestTime::Never
        );
        // `until` at or before `at`: until the end of the day.
        let late = DigestSettings {
            until: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            ..settings()
        };
        assert_eq!(
            next_digest(&late, None, &now("2026-12-01T23:59")),
            DigestTime::Now(d("2026-12-01"))
        );
    }

    /// Clocks go forward at 02:00 on 29 March 2026 in Amsterdam (02:30 does
    /// not exist) and back at 03:00 on 25 October (02:30 happens twice).
    #[test]
    fn digest_time_on_dst_days() {
        let s = DigestSettings {
            at: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            days: WeekdaySet::ALL,
            ..settings()
        };
        // The missing 02:30 is the instant after the gap, 03:30 summer time.
        let spring = Now::new(utc("2026-03-29T00:59:00Z"), amsterdam());
        assert_eq!(
            next_digest(&s, Some(d("2026-03-28")), &spring),
            DigestTime::At(utc("2026-03-29T01:30:00Z"))
        );
        let after_gap = Now::new(utc("2026-03-29T01:30:00Z"), amsterdam());
        assert_eq!(
            next_digest(&s, Some(d("2026-03-28")), &after_gap),
            DigestTime::Now(d("2026-03-29"))
        );
        // The first 02:30 (summer time) sends; the second does not again.
        let first = Now::new(utc("2026-10-25T00:30:00Z"), amsterdam());
        assert_eq!(
            next_digest(&s, Some(d("2026-10-24")), &first),
            DigestTime::Now(d("2026-10-25"))
        );
        let second = Now::new(utc("2026-10-25T01:30:00Z"), amsterdam());
        assert_eq!(
            next_digest(&s, Some(d("2026-10-25")), &second),
            DigestTime::At(utc("2026-10-26T01:30:00Z"))
        );
        // Asleep through the first 02:30, awake at the second: sent once.
        assert_eq!(
            next_digest(&s, Some(d("2026-10-24")), &second),
            DigestTime::Now(d("2026-10-25"))
        );
        // The default 08:30 on those days is an ordinary 08:30.
        assert_eq!(
            next_digest(
                &settings(),
                None,
                &Now::new(utc("2026-10-26T06:00:00Z"), amsterdam())
            ),
            DigestTime::At(utc("2026-10-26T07:30:00Z"))
        );
    }

    /// Chile moves its clocks at midnight: 00:00–00:59 does not exist on
    /// 6 September 2026, so a digest at 00:15 comes at 01:15.
    #[test]
    fn digest_time_when_midnight_is_skipped() {
        let santiago = Zone::Iana(chrono_tz::America::Santiago);
        let s = DigestSettings {
            at: NaiveTime::from_hms_opt(0, 15, 0).unwrap(),
            days: WeekdaySet::ALL,
            ..settings()
        };
        let before = Now::new(utc("2026-09-06T03:00:00Z"), santiago.clone());
        assert_eq!(before.today(), d("2026-09-05"));
        assert_eq!(
            next_digest(&s, Some(d("2026-09-05")), &before),
            DigestTime::At(utc("2026-09-06T04:15:00Z"))
        );
        assert_eq!(
            Now::new(utc("2026-09-06T04:15:00Z"), santiago)
                .local(&utc("2026-09-06T04:15:00Z"))
                .to_rfc3339(),
            "2026-09-06T01:15:00-03:00"
        );
    }

    /// Sent in Tokyo on Wednesday morning; the laptop lands in New York where
    /// it is still Tuesday evening: nothing more for Tuesday or Wednesday.
    #[test]
    fn digest_time_after_travelling_west() {
        let ny = Zone::Iana(chrono_tz::America::New_York);
        let s = DigestSettings {
            until: NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
            ..settings()
        };
        let evening = now_in("2026-12-01T19:00", ny.clone());
        assert_eq!(
            next_digest(&s, Some(d("2026-12-02")), &evening),
            DigestTime::At(ny.to_utc(d("2026-12-03").and_hms_opt(8, 30, 0).unwrap()))
        );
        // A day recorded far ahead by a wrong clock is not believed.
        assert_eq!(
            next_digest(&s, Some(d("2027-06-01")), &evening),
            DigestTime::Now(d("2026-12-01"))
        );
    }
}
