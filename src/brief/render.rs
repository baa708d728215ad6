//! The renderings of a [`Brief`], pure: the notification (a few lines a
//! notification server shows), the Markdown of `rapport brief` and "Open
//! brief", and the debrief after a meeting. JSON is serde's.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Duration, Utc};
use serde::Serialize;

use super::{
    display_name, short_date, Brief, BriefSettings, FollowUpBrief, FollowUpKind, Meeting, Now,
    PersonBrief, MAX_LINE_CHARS, MAX_NOTIFICATION_LINES, MAX_TITLE_CHARS, MAX_UNKNOWN_NAMES,
};
use crate::util::text::{self, one_line};

/// A prep notification: plain text (the notifier escapes it for servers that
/// read markup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// "Marketing sync in 10 min".
    pub summary: String,
    pub body: String,
}

/// Within this of the start (or after it, up to a minute) a prep says "now".
const NOW_WITHIN: Duration = Duration::seconds(30);

/// "in 10 min", "now", "started 2 min ago", "today" (all-day).
pub fn relative_when(meeting: &Meeting, now: &Now) -> String {
    let today = now.today();
    let (start, end) = (
        meeting.start.with_timezone(&Utc),
        meeting.end.with_timezone(&Utc),
    );
    if meeting.all_day {
        let day = meeting.start.date_naive();
        return match (day - today).num_days() {
            0 => "today".into(),
            1 => "tomorrow".into(),
            d if d < 0 && meeting.end.date_naive() > today => "today".into(),
            _ => format!("on {}", short_date(day, today)),
        };
    }
    let now_utc = now.utc;
    let until = start - now_utc;
    // "now" only within half a minute of the start: a 1-minute lead goes out
    // a few milliseconds after its due time, under 60 s before the start,
    // and must still say "in 1 min".
    if until > NOW_WITHIN {
        // To the nearest minute, as `rapport status` counts: a notification
        // a few seconds late still says "in 10 min", and 75 s is "in 1 min".
        let mins = ((until.num_seconds() + 30) / 60).max(1);
        if mins >= 24 * 60 {
            let days = mins / (24 * 60);
            return if days == 1 {
                "in 1 day".into()
            } else {
                format!("in {days} days")
            };
        }
        return format!("in {}", span(mins));
    }
    if until > Duration::seconds(-60) {
        return "now".into();
    }
    let ended = now_utc - end;
    if end > start && ended >= Duration::zero() {
        return format!("ended {} ago", span(ended.num_minutes().max(1)));
    }
    format!("started {} ago", span((-until).num_minutes()))
}

fn span(mins: i64) -> String {
    let (h, m) = (mins / 60, mins % 60);
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// "10:00–10:30", with the day when it is not today; "all day" for dates.
pub fn time_range(brief: &Brief, now: &Now) -> String {
    let today = now.today();
    let m = &brief.meeting;
    if m.all_day {
        let first = m.start.date_naive();
        let last = (m.end - Duration::days(1)).date_naive().max(first);
        let day = if first == today {
            "today".to_owned()
        } else {
            short_date(first, today)
        };
        return if last == first {
            format!("{day}, all day")
        } else {
            format!("{day} – {}, all day", short_date(last, today))
        };
    }
    let start = now.local(&m.start);
    let end = now.local(&m.end);
    // A meeting shorter than its minute (the demo's) shows its seconds
    // rather than "14:04–14:04".
    let clock =
        if end > start && end.format("%H:%M").to_string() == start.format("%H:%M").to_string() {
            "%H:%M:%S"
        } else {
            "%H:%M"
        };
    let mut s = String::new();
    if start.date_naive() != today {
        let _ = write!(s, "{} ", short_date(start.date_naive(), today));
    }
    let _ = write!(s, "{}", start.format(clock));
    if end > start {
        if end.date_naive() == start.date_naive() {
            let _ = write!(s, "–{}", end.format(clock));
        } else {
            let _ = write!(
                s,
                " – {} {}",
                short_date(end.date_naive(), today),
                end.format("%H:%M")
            );
        }
    }
    s
}

/// One line of a notification body and how many brief items it stands for
/// (for the "+N more" count when it is cut).
struct Line {
    text: String,
    items: usize,
}

/// The prep notification for `brief` at `now`.
pub fn notification(brief: &Brief, settings: &BriefSettings, now: &Now) -> Notification {
    // A long title is shortened so that "in 10 min" stays visible.
    let summary = format!(
        "{} {}",
        shorten_to(&brief.meeting.title, MAX_TITLE_CHARS),
        relative_when(&brief.meeting, now)
    );
    let mut head = time_range(brief, now);
    if let Some(loc) = &brief.meeting.location {
        let _ = write!(head, " · {loc}");
    }
    let mut body = vec![shorten(&head)];

    if settings.discreet {
        if let Some(counts) = counts_line(brief) {
            body.push(counts);
        }
        return Notification {
            summary,
            body: body.join("\n"),
        };
    }

    let mut lines: Vec<Line> = Vec::new();
    for p in &brief.people {
        person_lines(p, &mut lines);
    }
    if let Some(line) = unknown_line(brief) {
        lines.push(line);
    }
    if let Some(line) = ambiguous_line(brief) {
        lines.push(line);
    }
    if let Some(pitch) = &brief.pitch {
        lines.push(Line {
            text: format!("your pitch: {}", one_line(pitch)),
            items: 1,
        });
    }

    if lines.len() > MAX_NOTIFICATION_LINES {
        let kept = MAX_NOTIFICATION_LINES - 1;
        let more: usize = lines[kept..].iter().map(|l| l.items.max(1)).sum();
        lines.truncate(kept);
        lines.push(Line {
            text: format!("+{more} more in the brief"),
            items: 0,
        });
    }
    body.extend(lines.into_iter().map(|l| shorten(&l.text)));
    Notification {
        summary,
        body: body.join("\n"),
    }
}

/// One or two lines for a person: the most useful item on the first line
/// after their name, the next ones on the second.
fn person_lines(p: &PersonBrief, lines: &mut Vec<Line>) {
    // (label, text, suffix): when a line is too long the text is shortened,
    // never the due state.
    let mut items: Vec<(&str, &str, String)> = Vec::new();
    for f in p.follow_ups.iter().filter(|f| !f.private) {
        let label = match f.kind {
            FollowUpKind::Ask => "ask: ",
            FollowUpKind::Owe => "you owe: ",
            FollowUpKind::Plain => "to do: ",
        };
        let suffix = f
            .due_state
            .as_ref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        items.push((label, &f.text, suffix));
    }
    // A birthday this week is worth a word before the talking points.
    for d in p.dates.iter().filter(|d| !d.private) {
        items.push(("", &d.said, String::new()));
    }
    for t in &p.talking_points {
        items.push(("talk: ", &t.text, String::new()));
    }
    if let Some(last) = &p.last_time {
        items.push(("last time: ", &last.text, String::new()));
    }
    let mut first = p.name.clone();
    if let Some(ch) = &p.prefers {
        let _ = write!(first, " (prefers {ch})");
    }
    if items.is_empty() {
        let about = [p.role.as_deref(), p.org.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        if !about.is_empty() {
            let _ = write!(first, ": {about}");
        }
        lines.push(Line {
            text: first,
            items: 1,
        });
        return;
    }
    let (label, text, suffix) = &items[0];
    let _ = write!(first, ": {label}");
    lines.push(Line {
        text: fit(&first, text, suffix),
        items: 1,
    });
    if items.len() > 1 {
        // Whole items while they fit, a label only where it changes
        // ("talk: A · B"), and "…" when some are left for the full brief.
        let mut text = String::from("  ");
        let mut previous_label = None;
        for (i, (label, item, suffix)) in items[1..].iter().enumerate() {
            let label = if previous_label == Some(*label) {
                ""
            } else {
                label
            };
            let separator = if i == 0 { "" } else { " · " };
            let piece = format!("{separator}{label}{item}{suffix}");
            if text.chars().count() + piece.chars().count() <= MAX_LINE_CHARS {
                text.push_str(&piece);
            } else if i == 0 {
                text = fit(&format!("  {label}"), item, suffix);
                break;
            } else {
                text.push_str(" …");
                break;
            }
            previous_label = Some(items[1 + i].0);
        }
        lines.push(Line {
            text,
            items: items.len() - 1,
        });
    }
}

/// `prefix + text + suffix` within the line length, shortening only `text`.
fn fit(prefix: &str, text: &str, suffix: &str) -> String {
    let fixed = prefix.chars().count() + suffix.chars().count();
    let room = MAX_LINE_CHARS.saturating_sub(fixed).max(12);
    format!("{prefix}{}{suffix}", shorten_to(text, room))
}

fn unknown_line(brief: &Brief) -> Option<Line> {
    if brief.unknown.is_empty() {
        return None;
    }
    let names: Vec<String> = brief
        .unknown
        .iter()
        .take(MAX_UNKNOWN_NAMES)
        .map(|u| display_name(u.name.as_deref(), u.email.as_deref()))
        .collect();
    let mut text = format!("new: {}", names.join(", "));
    let rest = brief.unknown.len().saturating_sub(MAX_UNKNOWN_NAMES);
    if rest > 0 {
        let _ = write!(text, " +{rest}");
    }
    text.push_str(" — introduce yourself");
    Some(Line {
        text,
        items: brief.unknown.len(),
    })
}

fn ambiguous_line(brief: &Brief) -> Option<Line> {
    if brief.ambiguous.is_empty() {
        return None;
    }
    let names: Vec<String> = brief
        .ambiguous
        .iter()
        .map(|a| display_name(a.name.as_deref(), a.email.as_deref()))
        .collect();
    Some(Line {
        text: format!("fits several notes: {} (see the brief)", names.join(", ")),
        items: brief.ambiguous.len(),
    })
}

/// "2 people, 1 new · 2 follow-ups, 3 talking points": the discreet body.
fn counts_line(brief: &Brief) -> Option<String> {
    let mut who = Vec::new();
    let known = brief.people.len() + brief.ambiguous.len();
    if known > 0 {
        who.push(plural(known, "person", "people"));
    }
    if !brief.unknown.is_empty() {
        who.push(format!("{} new", brief.unknown.len()));
    }
    let follow_ups: usize = brief
        .people
        .iter()
        .flat_map(|p| &p.follow_ups)
        .filter(|f| !f.private)
        .count();
    let points: usize = brief.people.iter().map(|p| p.talking_points.len()).sum();
    let mut what = Vec::new();
    if follow_ups > 0 {
        what.push(plural(follow_ups, "follow-up", "follow-ups"));
    }
    if points > 0 {
        what.push(plural(points, "talking point", "talking points"));
    }
    let parts: Vec<String> = [who.join(", "), what.join(", ")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" · "))
    }
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

pub(super) fn shorten(s: &str) -> String {
    shorten_to(s, MAX_LINE_CHARS)
}

fn shorten_to(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    // Cut at a word boundary when one is near.
    let cut_inside_word = s
        .chars()
        .nth(out.chars().count())
        .is_some_and(|c| !c.is_whitespace());
    if cut_inside_word {
        if let Some(space) = out.rfind(' ') {
            if out[space..].chars().count() <= 16 {
                out.truncate(space);
            }
        }
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// The full brief as Markdown ("Open brief" and `rapport brief`).
pub fn markdown(brief: &Brief, now: &Now) -> String {
    let today = now.today();
    let m = &brief.meeting;
    let mut s = String::new();
    // Calendar text is already one clean line; a stranger's 10,000-character
    // title is shortened here, not in the data (`--json` stays exact).
    let _ = writeln!(s, "# {}\n", text::line(&m.title, text::TITLE_CHARS));
    let mut when = time_range(brief, now);
    if !m.all_day && now.local(&m.start).date_naive() == today {
        when = format!("Today {when}");
    }
    let _ = write!(s, "{when} ({})", relative_when(&brief.meeting, now));
    if let Some(loc) = &m.location {
        let _ = write!(s, " · {}", text::line(loc, text::TITLE_CHARS));
    }
    s.push('\n');
    if let Some(url) = &m.conference_url {
        let _ = writeln!(s, "Join: <{}>", text::line(url, text::TITLE_CHARS));
    }

    if brief.people.is_empty() && brief.unknown.is_empty() && brief.ambiguous.is_empty() {
        s.push_str("\nNo one else to prepare for.\n");
    }

    for p in &brief.people {
        let _ = writeln!(s, "\n## {}\n", p.name);
        let mut about: Vec<String> = [p.role.clone(), p.org.clone()]
            .into_iter()
            .flatten()
            .collect();
        if let Some(ch) = &p.prefers {
            about.push(format!("prefers {ch}"));
        }
        if !about.is_empty() {
            let _ = writeln!(s, "{}\n", about.join(" · "));
        }
        if let Some(summary) = &p.summary {
            let _ = writeln!(s, "{summary}\n");
        }
        if !p.follow_ups.is_empty() {
            s.push_str("**Follow-ups**\n\n");
            for f in &p.follow_ups {
                let _ = writeln!(s, "- {}", follow_up_long(f));
            }
            s.push('\n');
        }
        if !p.talking_points.is_empty() {
            s.push_str("**Talk about**\n\n");
            for t in &p.talking_points {
                let _ = writeln!(s, "- {} ({})", t.text, t.heading);
            }
            if p.more_talking_points > 0 {
                let _ = writeln!(s, "- … {} more in the note", p.more_talking_points);
            }
            s.push('\n');
        }
        if !p.private_points.is_empty() {
            s.push_str("**Only if they raise it**\n\n");
            for t in &p.private_points {
                let _ = writeln!(s, "- {} ({})", t.text, t.heading);
            }
            s.push('\n');
        }
        if !p.dates.is_empty() {
            s.push_str("**Dates**\n\n");
            for d in &p.dates {
                let private = if d.private { " (private)" } else { "" };
                let _ = writeln!(s, "- {}{private}", d.said);
            }
            s.push('\n');
        }
        if let Some(c) = &p.last_contact {
            let _ = writeln!(s, "**Last contact**: {}\n", c.said);
        }
        if let Some(last) = &p.last_time {
            let _ = writeln!(
                s,
                "**Last time** ({}): {}\n",
                short_date(last.date, today),
                last.text
            );
        }
        let _ = writeln!(s, "Note: `{}`", p.path);
    }

    if !brief.unknown.is_empty() {
        s.push_str("\n## New to you\n\n");
        s.push_str("Introduce yourself and ask what they work on. To keep notes about them:\n\n");
        for u in &brief.unknown {
            let who = match (&u.name, &u.email) {
                (Some(n), Some(e)) => format!("{n} <{e}>"),
                (Some(n), None) => n.clone(),
                (None, Some(e)) => e.clone(),
                (None, None) => "Unknown attendee".into(),
            };
            let who = text::line(&who, text::TITLE_CHARS);
            let _ = writeln!(s, "- {who}: `{}`", u.add_command);
        }
    }

    if !brief.ambiguous.is_empty() {
        s.push_str("\n## Fits several notes\n\n");
        s.push_str("Add their email to the right note so rapport can tell them apart.\n\n");
        for a in &brief.ambiguous {
            let who = text::line(
                &display_name(a.name.as_deref(), a.email.as_deref()),
                text::TITLE_CHARS,
            );
            let _ = writeln!(s, "- {who}: {}", a.candidates.join(", "));
        }
    }

    if let Some(pitch) = &brief.pitch {
        s.push_str("\n## Your pitch\n\n");
        for line in pitch.lines() {
            let _ = writeln!(s, "> {line}");
        }
    }
    s
}

fn follow_up_long(f: &FollowUpBrief) -> String {
    let prefix = match f.kind {
        FollowUpKind::Ask => "Ask",
        FollowUpKind::Owe => "You owe",
        FollowUpKind::Plain => "To do",
    };
    match &f.due_state {
        Some(state) if f.overdue => format!("{prefix}: {} (**{state}**)", f.text),
        Some(state) => format!("{prefix}: {} ({state})", f.text),
        None => format!("{prefix}: {}", f.text),
    }
}

/// The debrief prompt after a meeting; `None` when there was nobody to ask
/// about.
pub fn debrief(brief: &Brief) -> Option<Notification> {
    let mut names: Vec<String> = brief.people.iter().map(|p| p.name.clone()).collect();
    names.extend(
        brief
            .unknown
            .iter()
            .map(|u| display_name(u.name.as_deref(), u.email.as_deref())),
    );
    if names.is_empty() {
        return None;
    }
    // First names read naturally; full names where two people share one.
    let first = |n: &str| n.split(' ').next().unwrap_or(n).to_owned();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for n in &names {
        *count.entry(first(n).to_lowercase()).or_default() += 1;
    }
    let shown: Vec<String> = names
        .iter()
        .map(|n| {
            if count[&first(n).to_lowercase()] > 1 {
                n.clone()
            } else {
                first(n)
            }
        })
        .collect();
    const MAX_NAMES: usize = 4;
    let list = if shown.len() > MAX_NAMES {
        format!(
            "{} and {} others",
            shown[..MAX_NAMES - 1].join(", "),
            shown.len() - (MAX_NAMES - 1)
        )
    } else {
        shown.join(", ")
    };
    Some(Notification {
        summary: format!("How did {} go?", brief.meeting.title),
        body: format!("Anything to remember about {list}?"),
    })
}
