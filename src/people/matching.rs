//! Matching calendar attendees to people notes.
//!
//! Rules, in order, for each attendee:
//! 1. `CUTYPE=ROOM`/`RESOURCE` is a room, never someone to prepare for;
//! 2. my own address (`me.emails`, also without a `+tag`) is me;
//! 3. the email, case-insensitive and without `mailto:`, equals a person's;
//!    then the same address without its `+tag` on either side;
//! 4. the name (the CN, or an address written as the name) equals a person's
//!    name or alias after [`normalize_name`]: accents removed, case folded,
//!    punctuation and spaces collapsed, Outlook's `"Last, First"` read as
//!    `First Last` (so `"de Vries, Tom"` is `Tom de Vries`); `me.name` is me;
//! 5. anything that fits several people matches nobody: `Ambiguous`;
//! 6. the rest are `Unknown`, kept with their name and email.
//!
//! The [`Matcher`] indexes the people once (hash maps by email and by
//! normalised name), so matching costs one or two lookups per attendee.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::People;
use crate::calendar::model::Attendee;

#[derive(Debug, Clone, PartialEq, Default)]
/// Who I am, from the config's `[me]`: the attendee who is me is neither
/// prepared for nor counted.
pub struct Me {
    pub name: Option<String>,
    /// Lower-cased.
    pub emails: Vec<String>,
    /// My elevator pitch, shown when meeting new people.
    pub pitch: Option<String>,
}

/// Who an attendee is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Index into `People::people`.
    Person(usize),
    Me,
    /// A room or resource (CUTYPE).
    Room,
    Unknown,
    /// Fits several people (indices), so matches none of them.
    Ambiguous(Vec<usize>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedAttendee {
    pub attendee: Attendee,
    pub matched: Match,
}

/// An index of people by email and normalised name, built once.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    by_email: HashMap<String, Vec<usize>>,
    /// People's addresses without their `+tag`.
    by_bare_email: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    /// My addresses, as written and without `+tag`.
    me_emails: HashSet<String>,
    me_name: Option<String>,
    /// Which [`Matcher::new`] built this (clones share it): what a
    /// [`MatchMemo`] remembers is only true of the matcher it asked.
    id: u64,
}

fn add(map: &mut HashMap<String, Vec<usize>>, key: String, index: usize) {
    if key.is_empty() {
        return;
    }
    let v = map.entry(key).or_default();
    if !v.contains(&index) {
        v.push(index);
    }
}

impl Matcher {
    pub fn new(people: &People, me: &Me) -> Matcher {
        // 0 is `Matcher::default()`, which knows nobody.
        static BUILT: AtomicU64 = AtomicU64::new(1);
        let mut m = Matcher {
            id: BUILT.fetch_add(1, Ordering::Relaxed),
            ..Matcher::default()
        };
        for (i, person) in people.people.iter().enumerate() {
            for email in &person.emails {
                let email = normalize_email(email);
                add(&mut m.by_bare_email, strip_plus(&email), i);
                add(&mut m.by_email, email, i);
            }
            for name in person.names() {
                add(&mut m.by_name, normalize_name(name), i);
            }
        }
        for email in &me.emails {
            let email = normalize_email(email);
            m.me_emails.insert(strip_plus(&email));
            m.me_emails.insert(email);
        }
        m.me_name = me
            .name
            .as_deref()
            .map(normalize_name)
            .filter(|n| !n.is_empty());
        m
    }

    pub fn match_attendees(&self, attendees: &[Attendee]) -> Vec<MatchedAttendee> {
        attendees
            .iter()
            .map(|a| MatchedAttendee {
                attendee: a.clone(),
                matched: self.match_one(a),
            })
            .collect()
    }

    /// Decides who one attendee is (see the module documentation).
    pub fn match_one(&self, attendee: &Attendee) -> Match {
        if attendee
            .cutype
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("room") || c.eq_ignore_ascii_case("resource"))
        {
            return Match::Room;
        }
        if self.knows_nobody() {
            // No notes and no `[me]`: skip the normalisation (the agenda of a
            // big feed asks this for every attendee of every occurrence).
            return Match::Unknown;
        }
        let name = attendee.name.as_deref().map(str::trim).unwrap_or("");
        // Some clients put the address in CN; read it as the address then.
        let email = attendee
            .email
            .as_deref()
            .map(normalize_email)
            .filter(|e| !e.is_empty())
            .or_else(|| {
                (name.contains('@') && !name.contains(char::is_whitespace))
                    .then(|| normalize_email(name))
            });
        if let Some(email) = &email {
            let bare = strip_plus(email);
            if self.me_emails.contains(email) || self.me_emails.contains(&bare) {
                return Match::Me;
            }
            if let Some(m) = self.lookup(&self.by_email, email) {
                return m;
            }
            let mut hits: Vec<usize> = Vec::new();
            for map in [&self.by_email, &self.by_bare_email] {
                for &i in map.get(&bare).into_iter().flatten() {
                    if !hits.contains(&i) {
                        hits.push(i);
                    }
                }
            }
            if let Some(m) = decide(hits) {
                return m;
            }
        }
        let key = normalize_name(name);
        if key.is_empty() {
            return Match::Unknown;
        }
        if self.me_name.as_deref() == Some(key.as_str()) {
            return Match::Me;
        }
        self.lookup(&self.by_name, &key).unwrap_or(Match::Unknown)
    }

    fn knows_nobody(&self) -> bool {
        self.by_email.is_empty()
            && self.by_name.is_empty()
            && self.me_emails.is_empty()
            && self.me_name.is_none()
    }

    fn lookup(&self, map: &HashMap<String, Vec<usize>>, key: &str) -> Option<Match> {
        match map.get(key)?.as_slice() {
            [] => None,
            [one] => Some(Match::Person(*one)),
            many => decide(many.to_vec()),
        }
    }
}

/// [`Matcher::match_one`] remembered per distinct attendee. A year of a
/// calendar names the same few hundred people in every occurrence of every
/// series, and matching one by name costs a Unicode normalisation: `due`
/// and `people` spent half their time on it (BENCHMARKS.md).
#[derive(Debug, Clone, Default)]
pub struct MatchMemo {
    /// The [`Matcher`] whose answers these are.
    matcher: u64,
    known: HashMap<Vec<u8>, Match>,
    /// The key being looked up: reused, not reallocated.
    key: Vec<u8>,
}

impl MatchMemo {
    /// What `matcher.match_one(attendee)` says, asked once per distinct
    /// (CUTYPE, email, name): the only fields it reads.
    pub fn match_one(&mut self, matcher: &Matcher, attendee: &Attendee) -> &Match {
        if self.matcher != matcher.id {
            self.known.clear();
            self.matcher = matcher.id;
        }
        // Each field as its length and bytes (u64::MAX: absent), so that no
        // two attendees share a key.
        self.key.clear();
        for field in [&attendee.cutype, &attendee.email, &attendee.name] {
            let bytes = field.as_deref().map(str::as_bytes);
            let len = bytes.map_or(u64::MAX, |b| b.len() as u64);
            self.key.extend_from_slice(&len.to_le_bytes());
            self.key.extend_from_slice(bytes.unwrap_or_default());
        }
        if !self.known.contains_key(&self.key) {
            let found = matcher.match_one(attendee);
            self.known.insert(self.key.clone(), found);
        }
        &self.known[&self.key]
    }
}

impl Matcher {
    /// The `person` key the agenda's `--json` adds to an attendee: the
    /// matched file's path relative to the people folder, or null. Use as
    /// `agenda::AttendeeExtra`: `&|a| Some(("person", m.person_json(&people, a)))`.
    pub fn person_json(&self, people: &People, attendee: &Attendee) -> serde_json::Value {
        self.match_one(attendee).person_json(people)
    }

    /// The name to show for an attendee: the matched person's name from
    /// their note, else the calendar's name, else the address.
    pub fn display_name<'a>(&self, people: &'a People, attendee: &'a Attendee) -> Option<&'a str> {
        self.match_one(attendee).display_name(people, attendee)
    }
}

impl Match {
    /// [`Matcher::person_json`] of this answer.
    pub fn person_json(&self, people: &People) -> serde_json::Value {
        match self.person(people) {
            Some(p) => serde_json::Value::String(p.path.to_string_lossy().into_owned()),
            None => serde_json::Value::Null,
        }
    }

    /// [`Matcher::display_name`] of this answer for `attendee`.
    pub fn display_name<'a>(&self, people: &'a People, attendee: &'a Attendee) -> Option<&'a str> {
        match self.person(people) {
            Some(p) => Some(p.name.as_str()),
            None => attendee.name.as_deref().or(attendee.email.as_deref()),
        }
    }

    /// The matched person, if any.
    pub fn person<'a>(&self, people: &'a People) -> Option<&'a super::Person> {
        match self {
            Match::Person(i) => people.people.get(*i),
            _ => None,
        }
    }
}

fn decide(mut hits: Vec<usize>) -> Option<Match> {
    match hits.len() {
        0 => None,
        1 => Some(Match::Person(hits[0])),
        _ => {
            hits.sort_unstable();
            Some(Match::Ambiguous(hits))
        }
    }
}

/// Trimmed, `mailto:` removed (any case), lower-cased.
pub fn normalize_email(email: &str) -> String {
    let e = email.trim();
    let e = match e.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => &e[7..],
        _ => e,
    };
    e.trim().to_lowercase()
}

/// The address without a `+tag` in its local part: `a+cal@x` -> `a@x`.
pub fn strip_plus(email: &str) -> String {
    match (email.find('+'), email.rfind('@')) {
        (Some(plus), Some(at)) if plus < at => format!("{}{}", &email[..plus], &email[at..]),
        _ => email.to_string(),
    }
}

/// A name reduced to what identifies it: `"Bakker, Yvonne (Acme)"`,
/// `"yvonne  BAKKER"` and `"Yvonne Bakker"` are all `yvonne bakker`;
/// `"René"` is `rene`. A trailing `(...)`/`[...]` note is dropped, one comma
/// means `Last, First`, accents go (NFKD minus combining marks), letters
/// without a decomposition are folded (ß -> ss, ø -> o, ...), and every run
/// of other characters becomes one space.
pub fn normalize_name(name: &str) -> String {
    let mut s = name.trim().trim_matches(['"', '\'']).trim();
    // "Yvonne Bakker (Acme)" / "Bakker, Yvonne [EXT]": drop the annotation.
    while let Some(stripped) = strip_trailing_note(s) {
        s = stripped;
    }
    let swapped;
    if s.matches(',').count() == 1 {
        let (last, first) = s.split_once(',').unwrap_or((s, ""));
        let (last, first) = (last.trim(), first.trim());
        if !last.is_empty() && !first.is_empty() {
            // "Tom de Vries, PhD" is a suffix, not "Last, First".
            swapped = if is_name_suffix(first) {
                last.to_string()
            } else {
                format!("{first} {last}")
            };
            s = &swapped;
        }
    }
    fold_text(s)
}

/// Text reduced for loose comparison, without any name rules: accents
/// removed, letters folded, lower-case, every run of other characters one
/// space. `"Send numbers, ASAP!"` is `send numbers asap`.
pub fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            match fold_letter(c) {
                Some(folded) => out.push_str(folded),
                None => out.extend(c.to_lowercase()),
            }
        } else {
            pending_space = true;
        }
    }
    out
}

fn is_name_suffix(s: &str) -> bool {
    matches!(
        fold_text(s).as_str(),
        "jr" | "sr" | "phd" | "md" | "msc" | "bsc" | "ma" | "mba" | "ii" | "iii" | "iv" | "esq"
    )
}

fn strip_trailing_note(s: &str) -> Option<&str> {
    let close = s.chars().last()?;
    let open = match close {
        ')' => '(',
        ']' => '[',
        _ => return None,
    };
    let at = s.rfind(open)?;
    let rest = s[..at].trim_end();
    (!rest.is_empty()).then_some(rest)
}

/// Letters that NFKD leaves alone but people type without: for matching
/// "Søren" with "Soren" and making ASCII file names.
pub(crate) fn fold_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' => "d",
        'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(normalize_name("Bakker, Yvonne"), "yvonne bakker");
        assert_eq!(normalize_name("de Vries, Tom"), "tom de vries");
        assert_eq!(
            normalize_name("  René   Müller-Lüdenscheidt "),
            "rene muller ludenscheidt"
        );
        assert_eq!(normalize_name("\"Bakker, Yvonne (Acme)\""), "yvonne bakker");
        assert_eq!(normalize_name("Søren Kierkegaard"), "soren kierkegaard");
        assert_eq!(normalize_name("Yvonne B."), "yvonne b");
        assert_eq!(normalize_name("Smith, John, PhD"), "smith john phd");
        assert_eq!(normalize_name("Tom de Vries, PhD"), "tom de vries");
        assert_eq!(normalize_name("Vries, Tom de"), "tom de vries");
        assert_eq!(fold_text("Send numbers, ASAP!"), "send numbers asap");
        assert_eq!(normalize_name("(unknown)"), "unknown");
        assert_eq!(normalize_name("李小龙"), "李小龙");
        assert_eq!(normalize_name(",,,"), "");
    }

    #[test]
    fn the_memo_answers_as_the_matcher_it_asks() {
        let note = |path: &str, text: &str| {
            super::super::parse_person(std::path::Path::new(path), text).unwrap()
        };
        let people = People {
            people: vec![
                note(
                    "ann.md",
                    "---\nname: Ann Lee\nemails: [ann@x.example]\n---\n",
                ),
                note("ann2.md", "---\nname: Ann Lee\n---\n"),
                note("bob.md", "---\nname: Bob Stone\n---\n"),
            ],
            ..People::default()
        };
        let me = Me {
            emails: vec!["me@x.example".into()],
            ..Me::default()
        };
        let matcher = Matcher::new(&people, &me);
        let who = |name: Option<&str>, email: Option<&str>, cutype: Option<&str>| Attendee {
            name: name.map(Into::into),
            email: email.map(Into::into),
            cutype: cutype.map(Into::into),
            ..Attendee::default()
        };
        // Fields that run into each other must not share a key.
        let asked = [
            who(Some("Bob Stone"), None, None),
            who(Some("Bob Stone"), Some(""), None),
            who(None, Some("Bob Stone"), None),
            who(Some("Bob Stone"), None, Some("room")),
            who(Some("Ann Lee"), None, None),
            who(Some("Ann Lee"), Some("ann@x.example"), None),
            who(Some("x"), Some("me@x.example"), None),
            who(Some("Nobody"), Some("n@y.example"), None),
        ];
        let mut memo = MatchMemo::default();
        for round in 0..2 {
            for a in &asked {
                assert_eq!(
                    memo.match_one(&matcher, a),
                    &matcher.match_one(a),
                    "{round} {a:?}"
                );
            }
        }
        // Another matcher's answers are not taken from the memo.
        let only_bob = People {
            people: vec![note("bob.md", "---\nname: Bob Stone\n---\n")],
            ..People::default()
        };
        let other = Matcher::new(&only_bob, &me);
        for a in &asked {
            assert_eq!(memo.match_one(&other, a), &other.match_one(a), "{a:?}");
        }
        assert_eq!(memo.match_one(&other, &asked[0]), &Match::Person(0));
        assert_eq!(memo.match_one(&matcher, &asked[0]), &Match::Person(2));
    }

    #[test]
    fn emails_normalise() {
        assert_eq!(
            normalize_email(" MAILTO:Yvonne@Acme.Example "),
            "yvonne@acme.example"
        );
        assert_eq!(strip_plus("a.b+cal@x.example"), "a.b@x.example");
        assert_eq!(strip_plus("a@x+y.example"), "a@x+y.example");
    }
}
