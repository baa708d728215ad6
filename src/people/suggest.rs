//! Who you meet but have no note for: suggestions from calendar history,
//! and adopting them as new notes.
//!
//! [`Suggester`] takes occurrences one at a time (one pass, nothing kept
//! per occurrence) and [`Suggester::finish`] ranks the people who match no
//! note. Left out: me, rooms and resources (CUTYPE, and room-like names and
//! addresses), groups (CUTYPE), no-reply and role addresses, attendees who
//! declined, meetings larger than `large_meeting`, cancelled ones, ones I
//! declined, and all-day events (out-of-office notices and holidays, not
//! meetings; as for "last contact" in issue 13).
//!
//! Ranking: each meeting counts `1 / (people in it besides me)`, so a
//! one-to-one counts 1 and a meeting of five 0.25, times how recent it is
//! (halved every 90 days; meetings ahead count fully). How often, how
//! recently and how small all add up in that one score.
//!
//! One person with several addresses or spellings is one suggestion: an
//! address seen under several names is one person, and addresses whose
//! usual names agree (after [`normalize_name`], at least two words: "Tom"
//! alone says too little) are one person.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

use super::matching::{fold_text, normalize_email, normalize_name, strip_plus, Match, Matcher};
use super::new_notes::{FreePaths, NewNote};
use super::store::{Details, NewPerson};
use super::People;
use crate::calendar::model::{Attendee, Occurrence};
use crate::calendar::tz::Zone;

/// `[people] large_meeting`: meetings with more people are left out (the
/// same limit as for last contact).
pub use super::history::DEFAULT_LARGE_MEETING;
/// How far back by default (`--since 12m`).
pub const DEFAULT_SINCE_MONTHS: u32 = 12;
/// How far ahead: upcoming meetings count too.
pub const AHEAD_DAYS: i64 = 30;
/// A meeting's weight halves every this many days in the past.
const HALF_LIFE_DAYS: f64 = 90.0;

/// One suggestion. Serializes as `{"name", "emails", "meetings", "first",
/// "last", "last_title", "org"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub name: String,
    /// The most used address first.
    pub emails: Vec<String>,
    pub meetings: usize,
    /// Local dates of the first and the latest meeting (the latest may be
    /// one of the coming days).
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub last_title: String,
    /// Guessed from the address's domain; never from a free-mail domain.
    pub org: Option<String>,
    #[serde(skip)]
    pub score: f64,
}

/// The window and the size limit.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestOptions {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub large_meeting: usize,
}

impl SuggestOptions {
    /// `since_months` back from `now` (12 by default) to [`AHEAD_DAYS`] ahead.
    pub fn new(now: DateTime<Utc>, since_months: u32, large_meeting: usize) -> SuggestOptions {
        SuggestOptions {
            from: now
                .checked_sub_months(Months::new(since_months))
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            to: now + chrono::Duration::days(AHEAD_DAYS),
            large_meeting,
        }
    }
}

/// Everything seen about one address (or one name without an address).
#[derive(Debug)]
struct Node {
    email: Option<String>,
    /// Names as written in the calendar, with how often.
    names: Vec<(String, u32)>,
    meetings: u32,
    score: f64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    last_title: String,
}

/// Collects suggestions from occurrences; see the module documentation.
pub struct Suggester<'m> {
    matcher: &'m Matcher,
    local: Zone,
    now: DateTime<Utc>,
    options: SuggestOptions,
    nodes: Vec<Node>,
    /// Address -> node.
    by_email: HashMap<String, usize>,
    /// Name as written -> node, for attendees without an address.
    by_name: HashMap<String, usize>,
    /// Address -> (the name it came with, whether it is a candidate): the
    /// matcher's answer for the same attendee is asked once.
    decided: HashMap<String, (Option<String>, bool)>,
    /// (UID, start) of meetings counted: a meeting in two calendars counts once.
    seen: HashSet<u64>,
}

impl<'m> Suggester<'m> {
    /// `matcher` knows the notes and `[me]`; `local` gives the dates.
    pub fn new(
        matcher: &'m Matcher,
        local: Zone,
        now: DateTime<Utc>,
        options: SuggestOptions,
    ) -> Suggester<'m> {
        Suggester {
            matcher,
            local,
            now,
            options,
            nodes: Vec::new(),
            by_email: HashMap::new(),
            by_name: HashMap::new(),
            decided: HashMap::new(),
            seen: HashSet::new(),
        }
    }

    /// Counts one occurrence.
    pub fn add(&mut self, o: &Occurrence) {
        if o.all_day
            || o.is_cancelled()
            || o.is_declined()
            || !o.overlaps(self.options.from, self.options.to)
        {
            return;
        }
        // The people in it: organizer and attendees, once each, no rooms.
        let mut people: Vec<&Attendee> = Vec::with_capacity(o.attendees.len() + 1);
        for a in o.organizer.iter().chain(o.attendees.iter()) {
            if a.is_room_or_resource() {
                continue;
            }
            let duplicate = people.iter().any(|p| match (&p.email, &a.email) {
                (Some(x), Some(y)) => x == y,
                (None, None) => p.name == a.name,
                _ => false,
            });
            if !duplicate && (a.email.is_some() || a.name.is_some()) {
                people.push(a);
            }
        }
        if people.len() > self.options.large_meeting {
            return;
        }
        let mut me_present = false;
        let mut candidates: Vec<&Attendee> = Vec::new();
        for a in &people {
            match self.decide(a) {
                Decision::Me => me_present = true,
                Decision::Candidate => candidates.push(a),
                Decision::No => {}
            }
        }
        let candidates: Vec<&Attendee> = candidates
            .into_iter()
            .filter(|a| a.partstat.as_deref() != Some("declined"))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let mut h = DefaultHasher::new();
        (&o.uid, o.start_utc()).hash(&mut h);
        if !self.seen.insert(h.finish()) {
            return;
        }
        let others = people.len() - usize::from(me_present);
        let size = 1.0 / others.max(1) as f64;
        let start = o.start_utc();
        let age_days = (self.now - start).num_seconds() as f64 / 86_400.0;
        let recency = if age_days <= 0.0 {
            1.0
        } else {
            0.5f64.powf(age_days / HALF_LIFE_DAYS)
        };
        for a in candidates {
            // Keyed by address, else by the name as written; looked up
            // before allocating a key, as most people come back often.
            let (map, key) = match &a.email {
                Some(e) => (&mut self.by_email, e.as_str()),
                None => (&mut self.by_name, a.name.as_deref().unwrap_or("")),
            };
            let at = match map.get(key) {
                Some(&at) => at,
                None => {
                    map.insert(key.to_string(), self.nodes.len());
                    self.nodes.push(Node {
                        email: a.email.clone(),
                        names: Vec::new(),
                        meetings: 0,
                        score: 0.0,
                        first: start,
                        last: start,
                        last_title: o.summary.clone(),
                    });
                    self.nodes.len() - 1
                }
            };
            let node = &mut self.nodes[at];
            node.meetings += 1;
            node.score += size * recency;
            if start < node.first {
                node.first = start;
            }
            if start >= node.last {
                node.last = start;
                node.last_title.clone_from(&o.summary);
            }
            if let Some(name) = a.name.as_deref().map(str::trim) {
                // An address written as the name says nothing more.
                if !name.is_empty() && !name.contains('@') {
                    match node.names.iter_mut().find(|(n, _)| n == name) {
                        Some((_, count)) => *count += 1,
                        None => node.names.push((name.to_string(), 1)),
                    }
                }
            }
        }
    }

    fn decide(&mut self, a: &Attendee) -> Decision {
        if a.cutype.as_deref() == Some("group") {
            return Decision::No;
        }
        let email = a.email.as_deref().filter(|e| !e.is_empty());
        if let Some((name, candidate)) = email.and_then(|e| self.decided.get(e)) {
            if *name == a.name {
                return if *candidate {
                    Decision::Candidate
                } else {
                    Decision::No
                };
            }
        }
        let decision = match self.matcher.match_one(a) {
            Match::Me => return Decision::Me,
            Match::Unknown if !is_not_a_person(a) => Decision::Candidate,
            _ => Decision::No,
        };
        if let Some(e) = email {
            self.decided.insert(
                e.to_string(),
                (a.name.clone(), decision == Decision::Candidate),
            );
        }
        decision
    }

    /// The suggestions, best first.
    pub fn finish(self) -> Vec<Suggestion> {
        let nodes = self.nodes;
        // Nodes that are one person: union by their usual name.
        let mut parent: Vec<usize> = (0..nodes.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            let Some(name) = usual_name(&node.names) else {
                continue;
            };
            let key = without_honorifics(&normalize_name(name)).to_string();
            if key.split(' ').count() < 2 {
                continue;
            }
            match by_name.get(&key) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    by_name.insert(key, i);
                }
            }
        }
        let mut groups: HashMap<usize, Vec<&Node>> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            groups.entry(root(&mut parent, i)).or_default().push(node);
        }
        let mut out: Vec<Suggestion> = groups
            .into_values()
            .map(|group| suggestion(&group, &self.local))
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.meetings.cmp(&a.meetings))
                .then(b.last.cmp(&a.last))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.emails.cmp(&b.emails))
        });
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Me,
    Candidate,
    No,
}

/// The most frequent name (the first seen on a tie).
fn usual_name(names: &[(String, u32)]) -> Option<&str> {
    let mut best: Option<&(String, u32)> = None;
    for n in names {
        if best.is_none_or(|b| n.1 > b.1) {
            best = Some(n);
        }
    }
    best.map(|(n, _)| n.as_str())
}

fn suggestion(group: &[&Node], local: &Zone) -> Suggestion {
    let mut names: Vec<(String, u32)> = Vec::new();
    for node in group {
        for (n, c) in &node.names {
            match names.iter_mut().find(|(m, _)| m == n) {
                Some((_, count)) => *count += c,
                None => names.push((n.clone(), *c)),
            }
        }
    }
    let mut by_use: Vec<&&Node> = group.iter().filter(|n| n.email.is_some()).collect();
    by_use.sort_by(|a, b| b.meetings.cmp(&a.meetings).then(a.email.cmp(&b.email)));
    let emails: Vec<String> = by_use.iter().filter_map(|n| n.email.clone()).collect();
    let name = usual_name(&names)
        .map(display_name)
        .filter(|n| !n.is_empty())
        .or_else(|| emails.first().map(|e| name_from_email(e)))
        .unwrap_or_default();
    let first = group.iter().map(|n| n.first).min().unwrap_or_default();
    let latest = group.iter().max_by_key(|n| n.last).copied();
    let date = |t: DateTime<Utc>| t.with_timezone(&local.offset_at(t)).date_naive();
    Suggestion {
        name,
        org: emails
            .iter()
            .find_map(|e| e.rsplit_once('@').and_then(|(_, d)| org_from_domain(d))),
        emails,
        meetings: group.iter().map(|n| n.meetings as usize).sum(),
        first: date(first),
        last: latest.map_or(date(first), |n| date(n.last)),
        last_title: latest.map(|n| n.last_title.clone()).unwrap_or_default(),
        score: group.iter().map(|n| n.score).sum(),
    }
}

/// A calendar name as a note's name: quotes and a trailing `(Acme)` or
/// `[EXT]` removed, `Last, First` turned around, spaces collapsed.
pub fn display_name(cn: &str) -> String {
    let mut s = cn.trim().trim_matches(['"', '\'']).trim();
    while let Some(open) = match s.chars().last() {
        Some(')') => s.rfind('('),
        Some(']') => s.rfind('['),
        _ => None,
    } {
        let rest = s[..open].trim_end();
        if rest.is_empty() {
            break;
        }
        s = rest;
    }
    let turned;
    if let Some((last, first)) = s.split_once(',') {
        let (last, first) = (last.trim(), first.trim());
        let suffix = matches!(
            fold_text(first).as_str(),
            "jr" | "sr" | "phd" | "md" | "msc" | "bsc" | "ma" | "mba" | "ii" | "iii" | "iv"
        );
        if !last.is_empty() && !first.is_empty() && !first.contains(',') && !suffix {
            turned = format!("{first} {last}");
            s = &turned;
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `yvonne.bakker@x` -> `Yvonne Bakker`; an address without such parts
/// gives its local part (`jsmith`).
pub fn name_from_email(email: &str) -> String {
    let local = strip_plus(email);
    let local = local.split('@').next().unwrap_or_default();
    let parts: Vec<&str> = local.split(['.', '_', '-']).collect();
    if parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(char::is_alphabetic))
    {
        parts
            .iter()
            .map(|p| capitalized(p))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        local.to_string()
    }
}

fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Rooms, resources, lists and machines that CUTYPE does not flag.
fn is_not_a_person(a: &Attendee) -> bool {
    a.email.as_deref().is_some_and(is_role_address)
        || a.email
            .as_deref()
            .is_some_and(|e| is_room_like(e.split('@').next().unwrap_or(e)))
        || a.name
            .as_deref()
            .is_some_and(|n| is_room_like(n) || is_role_name(n))
}

/// "No-Reply", "Do not reply", "Notifications" as a display name.
fn is_role_name(name: &str) -> bool {
    let folded = fold_text(name).replace(' ', "");
    MARKS.iter().any(|m| folded.contains(m))
}

/// Parts of a local part or display name that mark a machine.
const MARKS: &[&str] = &[
    "noreply",
    "donotreply",
    "notification",
    "notify",
    "mailerdaemon",
];

/// Words that name a room, not a person ("Room 4.12", "Boardroom",
/// `conf-room-3@`, `meetingroom.berlin@`).
fn is_room_like(text: &str) -> bool {
    const ROOM_WORDS: &[&str] = &[
        "room",
        "rooms",
        "boardroom",
        "meetingroom",
        "confroom",
        "conference",
        "auditorium",
        "besprechungsraum",
        "konferenzraum",
        "vergaderzaal",
        "vergaderruimte",
        "salle",
    ];
    fold_text(text).split(' ').any(|w| ROOM_WORDS.contains(&w))
}

/// No-reply, notification, list and role addresses, and calendar systems'
/// own addresses (Google's `...@group.calendar.google.com`, resources).
pub fn is_role_address(email: &str) -> bool {
    const ROLES: &[&str] = &[
        "info",
        "calendar",
        "calendars",
        "support",
        "help",
        "helpdesk",
        "admin",
        "administrator",
        "hello",
        "contact",
        "sales",
        "office",
        "team",
        "all",
        "everyone",
        "staff",
        "mailer-daemon",
        "postmaster",
        "bounce",
        "bounces",
        "invites",
        "invitations",
        "events",
        "scheduling",
        "scheduler",
        "reception",
        "billing",
        "accounts",
        "newsletter",
        "news",
        "marketing",
        "hr",
        "it",
        "security",
        "webmaster",
        "feedback",
        "service",
        "system",
        "alerts",
        "meetings",
    ];
    let email = normalize_email(email);
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let local = local.split('+').next().unwrap_or(local);
    let squashed: String = local.chars().filter(|c| c.is_alphanumeric()).collect();
    let domain_squashed: String = domain.chars().filter(|&c| c != '-').collect();
    ROLES.contains(&local)
        || MARKS.iter().any(|m| squashed.contains(m))
        || domain.ends_with("calendar.google.com")
        || domain_squashed.split('.').any(|label| {
            matches!(
                label,
                "noreply" | "donotreply" | "notification" | "notifications" | "bounce" | "bounces"
            )
        })
}

/// Free-mail domains, exactly.
const FREE_MAIL: &[&str] = &[
    "me.com",
    "mac.com",
    "web.de",
    "t-online.de",
    "freenet.de",
    "mail.com",
    "mail.ru",
    "qq.com",
    "163.com",
    "126.com",
    "zoho.com",
    "hey.com",
    "pm.me",
    "mailbox.org",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "libero.it",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "interia.pl",
    "naver.com",
    "rediffmail.com",
    "btinternet.com",
    "comcast.net",
    "verizon.net",
    "att.net",
    "sbcglobal.net",
    "xs4all.nl",
    "ziggo.nl",
    "kpnmail.nl",
    "telenet.be",
    "skynet.be",
    "bluewin.ch",
];

/// Free-mail providers under any top-level domain (`hotmail.co.uk`, `gmx.de`).
const FREE_MAIL_NAMES: &[&str] = &[
    "gmail",
    "googlemail",
    "outlook",
    "hotmail",
    "live",
    "msn",
    "icloud",
    "yahoo",
    "ymail",
    "rocketmail",
    "aol",
    "proton",
    "protonmail",
    "gmx",
    "yandex",
    "fastmail",
    "tutanota",
    "tuta",
    "posteo",
    "wanadoo",
];

/// Second-level suffixes under which the organisation is one label further
/// left (`acme.co.uk`).
const SECOND_LEVEL: &[&str] = &[
    "co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "go", "gv", "nhs", "ltd", "plc",
];

/// The organisation an address's domain suggests: `mail.acme.co.uk` is
/// `Acme`, `ibm.com` is `IBM` (three letters or fewer: an acronym), a
/// Microsoft 365 tenant `contoso.onmicrosoft.com` is `Contoso`; `None`
/// for free-mail and bare domains.
pub fn org_from_domain(domain: &str) -> Option<String> {
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    if FREE_MAIL.contains(&domain.as_str()) {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() < 2 {
        return None;
    }
    let n = labels.len();
    let at = if labels[n - 2..] == ["onmicrosoft", "com"]
        || (labels[n - 1].len() == 2 && SECOND_LEVEL.contains(&labels[n - 2]))
    {
        n.checked_sub(3)?
    } else {
        n - 2
    };
    let label = labels[at];
    if FREE_MAIL_NAMES.contains(&label) {
        return None;
    }
    Some(if label.chars().count() <= 3 {
        label.to_uppercase()
    } else {
        label
            .split('-')
            .map(capitalized)
            .collect::<Vec<_>>()
            .join("-")
    })
}

/// Which suggestions to adopt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The best N.
    Top(usize),
    /// By name or email, as typed.
    Chosen(Vec<String>),
}

/// Serializes as `{"created": [{"name", "person", "emails"}], "not_adopted":
/// [{"query", "reason"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AdoptPlan {
    pub created: Vec<NewNote>,
    pub not_adopted: Vec<NotAdopted>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotAdopted {
    pub query: String,
    pub reason: String,
}

/// New notes (name, emails, org) for the picked suggestions, each at a free
/// file name; never a note for someone a note already has.
pub fn plan_adopt(suggestions: &[Suggestion], people: &People, pick: &Pick) -> AdoptPlan {
    let mut plan = AdoptPlan::default();
    let mut chosen: Vec<usize> = Vec::new();
    match pick {
        Pick::Top(n) => chosen.extend(0..(*n).min(suggestions.len())),
        Pick::Chosen(queries) => {
            for q in queries {
                match resolve(suggestions, people, q) {
                    Ok(i) if !chosen.contains(&i) => chosen.push(i),
                    Ok(_) => {}
                    Err(reason) => plan.not_adopted.push(NotAdopted {
                        query: q.clone(),
                        reason,
                    }),
                }
            }
        }
    }
    let known: HashMap<&str, &std::path::Path> = people
        .people
        .iter()
        .flat_map(|p| p.emails.iter().map(move |e| (e.as_str(), p.path.as_path())))
        .collect();
    let mut paths = FreePaths::new(people);
    for i in chosen {
        let s = &suggestions[i];
        if let Some((e, path)) = s
            .emails
            .iter()
            .find_map(|e| known.get(e.as_str()).map(|p| (e, p)))
        {
            plan.not_adopted.push(NotAdopted {
                query: s.name.clone(),
                reason: format!("{e} is already in {}", path.display()),
            });
            continue;
        }
        let new = NewPerson {
            name: s.name.clone(),
            emails: s.emails.clone(),
            org: s.org.clone(),
            role: None,
        };
        match NewNote::plan(&new, &Details::default(), &mut paths) {
            Some(note) => plan.created.push(note),
            None => plan.not_adopted.push(NotAdopted {
                query: s.name.clone(),
                reason: "its name gives no usable file name; use `rapport person add`".into(),
            }),
        }
    }
    plan
}

/// The one suggestion `query` names: an address of it, else its whole
/// name, else a unique part of its name.
fn resolve(suggestions: &[Suggestion], people: &People, query: &str) -> Result<usize, String> {
    let q = query.trim();
    let known = || match super::find(people, q) {
        Ok(p) => Some(format!("already has a note: {}", p.path.display())),
        Err(_) => None,
    };
    let one = |hits: Vec<usize>| -> Option<Result<usize, String>> {
        match hits.as_slice() {
            [] => None,
            [i] => Some(Ok(*i)),
            many => Some(Err(format!(
                "matches several suggestions: {}; give an email",
                many.iter()
                    .map(|&i| format!(
                        "{} <{}>",
                        suggestions[i].name,
                        suggestions[i].emails.join(", ")
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))),
        }
    };
    let all = || suggestions.iter().enumerate();
    if q.contains('@') {
        let e = normalize_email(q);
        let bare = strip_plus(&e);
        let hits = all()
            .filter(|(_, s)| s.emails.iter().any(|x| *x == e || strip_plus(x) == bare))
            .map(|(i, _)| i)
            .collect();
        return one(hits).unwrap_or_else(|| {
            Err(known().unwrap_or_else(|| {
                "no suggestion has this address; `rapport people suggest` lists them".into()
            }))
        });
    }
    let nq = normalize_name(q);
    let exact = all()
        .filter(|(_, s)| normalize_name(&s.name) == nq)
        .map(|(i, _)| i)
        .collect();
    if let Some(r) = one(exact) {
        return r;
    }
    if let Some(k) = known() {
        return Err(k);
    }
    let part = all()
        .filter(|(_, s)| !nq.is_empty() && normalize_name(&s.name).contains(&nq))
        .map(|(i, _)| i)
        .collect();
    one(part)
        .unwrap_or_else(|| Err("no suggestion matches; `rapport people suggest` lists them".into()))
}

/// A normalized name without the titles before it ("dr chris o neil" is
/// "chris o neil"), as long as a first and a last name remain: invitations
/// write "Dr. Chris O'Neil" where the address book has "Chris O'Neil".
fn without_honorifics(key: &str) -> &str {
    const TITLES: &[&str] = &[
        "dr", "prof", "mr", "mrs", "ms", "mx", "miss", "sir", "ir", "drs", "ing", "mevr", "dhr",
        "herr", "frau",
    ];
    let mut rest = key;
    while let Some((first, tail)) = rest.split_once(' ') {
        if TITLES.contains(&first) && tail.contains(' ') {
            rest = tail;
        } else {
            break;
        }
    }
    rest
}

#[cfg(test)]
mod tests;
