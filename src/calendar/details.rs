//! The text of an occurrence (summary, description, attendees, my status, the
//! conference link), decoded from the component's bytes only for occurrences
//! that fall in an asked window.

use chrono::{DateTime, Utc};

use super::expand::{ExpandOptions, Inst};
use super::ics;
use super::model::{Attendee, Occurrence, PartStat};
use super::parsed::{Event, ParsedCalendar};

// ---------------------------------------------------------------------------------------------
// Occurrence fields (decoded lazily, only for occurrences in the window).

#[derive(Debug, Clone, Default)]
pub(super) struct Details {
    pub(super) summary: String,
    pub(super) description: Option<String>,
    pub(super) location: Option<String>,
    pub(super) conference_url: Option<String>,
    pub(super) transparent: bool,
    pub(super) organizer: Option<Attendee>,
    pub(super) attendees: Vec<Attendee>,
    pub(super) my_status: Option<PartStat>,
}

impl ParsedCalendar {
    pub(super) fn details(&self, ev: &Event, opts: &ExpandOptions) -> Details {
        let mut d = Details::default();
        let mut url: Option<String> = None;
        let mut conference: Option<String> = None;
        for line in self.own_lines(ev) {
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

    /// The content lines of the component itself: its VALARMs and other
    /// sub-components, and its BEGIN and END, left out.
    fn own_lines<'a>(&'a self, ev: &Event) -> impl Iterator<Item = ics::Line<'a>> + 'a {
        let bytes = self.data.get(ev.span.clone()).unwrap_or(&[]);
        let mut depth = 0usize;
        ics::lines(bytes).filter(move |line| match line.begin_end() {
            Some((begin, _)) => {
                if begin {
                    depth += 1;
                } else {
                    depth = depth.saturating_sub(1);
                }
                false
            }
            None => depth == 1,
        })
    }

    /// Whether `named` accepts an ORGANIZER or ATTENDEE of the component,
    /// each decoded as [`ParsedCalendar::details`] decodes it for the
    /// component's occurrences (unfolded, `mailto:` of any case removed, the
    /// address lower-cased, CN unescaped). Stops at the first accepted.
    pub(super) fn names_anyone(
        &self,
        ev: &Event,
        named: &mut dyn FnMut(&Attendee) -> bool,
    ) -> bool {
        self.own_lines(ev).any(|line| {
            let name = line.name();
            let wanted =
                name.eq_ignore_ascii_case(b"ATTENDEE") || name.eq_ignore_ascii_case(b"ORGANIZER");
            wanted && line.parse().is_ok_and(|p| named(&attendee(&p)))
        })
    }

    pub(super) fn occurrence(
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
    pub(super) fn conference_links() {
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
