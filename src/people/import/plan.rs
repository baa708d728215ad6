//! The import plan: what each card becomes against the people already
//! known. Pure: the people, the cards and a way to read a note's text in;
//! the plan out, with the exact text of every file to create or rewrite.
//! `--dry-run` prints the plan; a real run writes it, so both agree.
//!
//! Rules:
//! - cards that share an email are one person; so are cards that create a
//!   new note under the same name (the next import would match both to that
//!   note by name anyway, and must find nothing left to do);
//! - a person matches a note by any email (also without a `+tag`), else by
//!   the exact normalised name or alias; fitting several notes, the cards
//!   are skipped as ambiguous, never merged by guess;
//! - a matched note only gains missing front-matter keys ([`super::fill`]);
//!   a new note comes from the template;
//! - every card left out is listed with its reason.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::fill::fill;
use super::{Card, CardKind, Contact};
use crate::people::matching::{normalize_email, normalize_name, strip_plus};
use crate::people::new_notes::{FreePaths, NewNote};
use crate::people::store::{slug, Details, NewPerson};
use crate::people::Me;
use crate::people::{People, Related};

/// Serializes as `{"created": [{"name", "person", "emails"}], "updated":
/// [{"person", "fields"}], "unchanged": int, "skipped": [{"card", "reason"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ImportPlan {
    pub created: Vec<NewNote>,
    pub updated: Vec<Update>,
    /// People who match a note that already has everything the cards say.
    pub unchanged: usize,
    pub skipped: Vec<Skipped>,
}

impl ImportPlan {
    /// Whether running it would write nothing.
    pub fn is_noop(&self) -> bool {
        self.created.is_empty() && self.updated.is_empty()
    }
}

/// A note that gains front-matter keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    /// Relative to the people folder.
    pub person: PathBuf,
    /// The keys added or extended, in front-matter order.
    pub fields: Vec<&'static str>,
    /// The note as it was read: the writer replaces it only if the file
    /// still holds exactly this.
    #[serde(skip)]
    pub before: String,
    #[serde(skip)]
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The card's number, line and name (or email, or phone).
    pub card: String,
    pub reason: String,
}

/// Plans the import of `cards` into `people`. `me` is left out (an address
/// book holds its owner's card too). `read_note` returns the text of a note
/// (path relative to the people folder), or why it cannot.
pub fn plan_import(
    people: &People,
    me: &Me,
    cards: &[Card],
    read_note: &mut dyn FnMut(&Path) -> Result<String, String>,
) -> ImportPlan {
    let mut plan = ImportPlan::default();
    let my_emails: Vec<String> = me
        .emails
        .iter()
        .map(|e| strip_plus(&normalize_email(e)))
        .collect();
    let my_name = me
        .name
        .as_deref()
        .map(normalize_name)
        .filter(|n| !n.is_empty());
    let is_me = |card: &Card| {
        card.contact
            .emails
            .iter()
            .any(|e| my_emails.contains(&strip_plus(e)))
            || (my_name.is_some() && card.contact.name.as_deref().map(normalize_name) == my_name)
    };
    let mut usable: Vec<&Card> = Vec::new();
    for card in cards {
        let reason = if let Some(why) = &card.unreadable {
            format!("unreadable: {why}")
        } else if is_me(card) {
            "this is you ([me] in the config)".into()
        } else if card.kind == CardKind::Group {
            "a contact group, not a person".into()
        } else if card.kind == CardKind::Organization {
            "an organisation, not a person".into()
        } else if card.contact.name.is_none() && card.contact.emails.is_empty() {
            "no name and no email".into()
        } else {
            usable.push(card);
            continue;
        };
        skip(&mut plan, card, reason);
    }

    let groups = group_by_email(&usable);
    let index = NoteIndex::new(people);
    // Existing note -> the groups that belong to it, in card order.
    let mut to_note: Vec<(usize, Vec<Group>)> = Vec::new();
    let mut note_slot: HashMap<usize, usize> = HashMap::new();
    let mut new: Vec<Group> = Vec::new();
    let mut name_slot: HashMap<String, usize> = HashMap::new();
    for group in groups {
        match index.find(&group) {
            Target::Note(i) => match note_slot.get(&i) {
                Some(&at) => to_note[at].1.push(group),
                None => {
                    note_slot.insert(i, to_note.len());
                    to_note.push((i, vec![group]));
                }
            },
            Target::New => {
                let key = group.name().map(normalize_name).filter(|n| !n.is_empty());
                match key.as_ref().and_then(|k| name_slot.get(k)) {
                    Some(&at) => new[at].absorb(group),
                    None => {
                        if let Some(k) = key {
                            name_slot.insert(k, new.len());
                        }
                        new.push(group);
                    }
                }
            }
            Target::Ambiguous(why) => {
                for card in &group.cards {
                    skip(&mut plan, card, format!("ambiguous: {why}"));
                }
            }
        }
    }

    for (i, groups) in to_note {
        let person = &people.people[i];
        let mut merged = groups.into_iter();
        let Some(mut all) = merged.next() else {
            continue;
        };
        merged.for_each(|g| all.absorb(g));
        let outcome = read_note(&person.path)
            .map_err(|e| format!("cannot read {}: {e}", person.path.display()))
            .and_then(|before| {
                fill(&before, &all.contact())
                    .map(|filled| (before, filled))
                    .map_err(|e| format!("{} cannot be filled: {e}", person.path.display()))
            });
        match outcome {
            Ok((_, filled)) if filled.fields.is_empty() => plan.unchanged += 1,
            Ok((before, filled)) => plan.updated.push(Update {
                person: person.path.clone(),
                fields: filled.fields,
                before,
                after: filled.text,
            }),
            Err(reason) => all
                .cards
                .iter()
                .for_each(|c| skip(&mut plan, c, reason.clone())),
        }
    }

    let mut paths = FreePaths::new(people);
    for group in new {
        let a = group.contact();
        let name = a
            .name
            .clone()
            .or_else(|| {
                a.emails
                    .first()
                    .map(|e| e.split('@').next().unwrap_or(e).to_string())
            })
            .unwrap_or_default();
        // Its natural file is a note that failed to read: most likely this
        // very person, so creating a second note would duplicate them.
        let natural = slug(&name).map(|s| PathBuf::from(format!("{s}.md")));
        if let Some(broken) = natural.and_then(|p| people.errors.iter().find(|e| e.path == p)) {
            let reason = format!(
                "{} exists but cannot be read ({broken}); fix it and import again",
                broken.path.display()
            );
            group
                .cards
                .iter()
                .for_each(|c| skip(&mut plan, c, reason.clone()));
            continue;
        }
        let new_person = NewPerson {
            name,
            emails: a.emails,
            org: a.org,
            role: a.role,
        };
        let details = Details {
            phones: a.phones,
            birthday: a.birthday,
            related: a.related,
        };
        match NewNote::plan(&new_person, &details, &mut paths) {
            Some(note) => plan.created.push(note),
            None => group
                .cards
                .iter()
                .for_each(|c| skip(&mut plan, c, "its name gives no usable file name".into())),
        }
    }
    plan
}

fn skip(plan: &mut ImportPlan, card: &Card, reason: String) {
    plan.skipped.push(Skipped {
        card: card.label(),
        reason,
    })
}

/// Cards taken as one person.
#[derive(Debug, Clone)]
struct Group<'c> {
    cards: Vec<&'c Card>,
}

impl<'c> Group<'c> {
    fn name(&self) -> Option<&str> {
        self.cards.iter().find_map(|c| c.contact.name.as_deref())
    }

    fn emails(&self) -> impl Iterator<Item = &String> {
        self.cards.iter().flat_map(|c| c.contact.emails.iter())
    }

    fn absorb(&mut self, other: Group<'c>) {
        self.cards.extend(other.cards);
        self.cards.sort_by_key(|c| c.number);
    }

    /// Everything the cards say, the first card's value winning for
    /// single values, lists joined without repeats.
    fn contact(&self) -> Contact {
        let first = |f: fn(&Card) -> Option<&String>| self.cards.iter().find_map(|c| f(c)).cloned();
        let mut a = Contact {
            name: self.name().map(str::to_string),
            org: first(|c| c.contact.org.as_ref()),
            role: first(|c| c.contact.role.as_ref()),
            birthday: self.cards.iter().find_map(|c| c.contact.birthday),
            ..Contact::default()
        };
        for card in &self.cards {
            for e in &card.contact.emails {
                if !a.emails.contains(e) {
                    a.emails.push(e.clone());
                }
            }
            for p in &card.contact.phones {
                if !a.phones.contains(p) {
                    a.phones.push(p.clone());
                }
            }
            for r in &card.contact.related {
                if !a.related.iter().any(|x: &Related| x.name == r.name) {
                    a.related.push(r.clone());
                }
            }
        }
        a
    }
}

/// Cards sharing an email are one group (union-find over the addresses),
/// in the order of their first card.
fn group_by_email<'c>(cards: &[&'c Card]) -> Vec<Group<'c>> {
    let mut parent: Vec<usize> = (0..cards.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, card) in cards.iter().enumerate() {
        for e in &card.contact.emails {
            match owner.get(e.as_str()) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    // The earlier card stays the root, so groups keep card order.
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    owner.insert(e, i);
                }
            }
        }
    }
    let mut groups: Vec<Group<'c>> = Vec::new();
    let mut slot: HashMap<usize, usize> = HashMap::new();
    for (i, card) in cards.iter().enumerate() {
        let r = root(&mut parent, i);
        match slot.get(&r) {
            Some(&g) => groups[g].cards.push(card),
            None => {
                slot.insert(r, groups.len());
                groups.push(Group { cards: vec![card] });
            }
        }
    }
    groups
}

enum Target {
    Note(usize),
    New,
    Ambiguous(String),
}

/// The people by email (as written and without `+tag`) and by normalised
/// name and alias: one lookup per card address and name.
struct NoteIndex<'p> {
    people: &'p People,
    by_email: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
}

impl<'p> NoteIndex<'p> {
    fn new(people: &'p People) -> NoteIndex<'p> {
        let mut by_email: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let add = |map: &mut HashMap<String, Vec<usize>>, key: String, i: usize| {
            if key.is_empty() {
                return;
            }
            let v = map.entry(key).or_default();
            if !v.contains(&i) {
                v.push(i);
            }
        };
        for (i, p) in people.people.iter().enumerate() {
            for e in &p.emails {
                add(&mut by_email, e.clone(), i);
                add(&mut by_email, strip_plus(e), i);
            }
            for n in p.names() {
                add(&mut by_name, normalize_name(n), i);
            }
        }
        NoteIndex {
            people,
            by_email,
            by_name,
        }
    }

    fn find(&self, group: &Group<'_>) -> Target {
        let mut hits: Vec<(usize, &str)> = Vec::new();
        for e in group.emails() {
            for key in [e.clone(), strip_plus(e)] {
                for &i in self.by_email.get(&key).into_iter().flatten() {
                    if !hits.iter().any(|(j, _)| *j == i) {
                        hits.push((i, e));
                    }
                }
            }
        }
        let describe = |hits: &[(usize, &str)]| {
            hits.iter()
                .map(|&(i, e)| {
                    let path = self.people.people[i].path.display();
                    if e.is_empty() {
                        path.to_string()
                    } else {
                        format!("{path} ({e})")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match hits.as_slice() {
            [(i, _)] => return Target::Note(*i),
            [] => {}
            many => {
                return Target::Ambiguous(format!(
                    "its addresses are in several notes: {}",
                    describe(many)
                ))
            }
        }
        let Some(name) = group.name().map(normalize_name).filter(|n| !n.is_empty()) else {
            return Target::New;
        };
        match self
            .by_name
            .get(&name)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            [] => Target::New,
            [i] => Target::Note(*i),
            many => {
                let hits: Vec<(usize, &str)> = many.iter().map(|&i| (i, "")).collect();
                Target::Ambiguous(format!(
                    "its name matches several notes: {}; add one of its addresses to the right note",
                    describe(&hits)
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::people::import::read_contacts;
    use crate::people::{parse_person, PeopleError};

    /// A people folder in memory: what the wiring does with a plan, without
    /// the disk.
    #[derive(Default)]
    struct Folder {
        notes: BTreeMap<PathBuf, String>,
    }

    impl Folder {
        fn with(notes: &[(&str, &str)]) -> Folder {
            Folder {
                notes: notes
                    .iter()
                    .map(|(p, t)| (PathBuf::from(p), t.to_string()))
                    .collect(),
            }
        }

        fn people(&self) -> People {
            let mut people = People::default();
            for (path, text) in &self.notes {
                match parse_person(path, text) {
                    Ok(p) => people.people.push(p),
                    Err(e) => people.errors.push(PeopleError {
                        path: path.clone(),
                        line: e.line,
                        message: e.message,
                    }),
                }
            }
            people
        }

        fn plan(&self, file: &[u8]) -> ImportPlan {
            let cards = read_contacts(file).unwrap().cards;
            let me = Me {
                name: Some("Me Myself".into()),
                emails: vec!["me@corp.example".into()],
                pitch: None,
            };
            plan_import(&self.people(), &me, &cards, &mut |p| {
                self.notes
                    .get(p)
                    .cloned()
                    .ok_or_else(|| "no such file".into())
            })
        }

        fn apply(&mut self, plan: &ImportPlan) {
            for c in &plan.created {
                assert!(!self.notes.contains_key(&c.person), "{:?} exists", c.person);
                self.notes.insert(c.person.clone(), c.text.clone());
            }
            for u in &plan.updated {
                let note = self.notes.get_mut(&u.person).unwrap();
                assert_eq!(*note, u.before);
                note.clone_from(&u.after);
            }
        }

        fn person(&self, path: &str) -> crate::people::Person {
            parse_person(Path::new(path), &self.notes[Path::new(path)]).unwrap()
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/vcard")
                .join(name),
        )
        .unwrap()
    }

    fn created(plan: &ImportPlan) -> Vec<String> {
        plan.created
            .iter()
            .map(|c| c.person.display().to_string())
            .collect()
    }

    fn updates(plan: &ImportPlan) -> Vec<(String, Vec<&'static str>)> {
        plan.updated
            .iter()
            .map(|u| (u.person.display().to_string(), u.fields.clone()))
            .collect()
    }

    fn reasons(plan: &ImportPlan) -> Vec<String> {
        plan.skipped
            .iter()
            .map(|s| format!("{} | {}", s.card, s.reason))
            .collect()
    }

    const EVERY_FILE: [&str; 7] = [
        "apple.vcf",
        "google.vcf",
        "outlook21.vcf",
        "nextcloud4.vcf",
        "thunderbird.vcf",
        "google.csv",
        "broken.vcf",
    ];

    #[test]
    fn every_vendor_file_into_one_folder_then_again_changes_nothing() {
        let mut folder = Folder::default();
        let apple = folder.plan(&fixture("apple.vcf"));
        assert_eq!(
            created(&apple),
            ["ana-maria-lima.md", "bob-stone.md", "zoe-angstrom.md"]
        );
        assert_eq!(
            reasons(&apple),
            ["card 3, line 67: Acme Corp | an organisation, not a person"]
        );
        folder.apply(&apple);
        let ana = folder.person("ana-maria-lima.md");
        assert_eq!(ana.org.as_deref(), Some("Acme, R&D"));
        assert_eq!(ana.role.as_deref(), Some("Staff Engineer"));
        assert_eq!(ana.birthday.unwrap().to_string(), "--03-14");
        assert_eq!(ana.phones, ["+1 (555) 010-2233", "+1 555 010 9000"]);
        assert_eq!(ana.related.len(), 2);

        // Google's export of the same people: Ana and Bob match by email
        // and gain only what they lack; the phone-only card is skipped.
        let google = folder.plan(&fixture("google.vcf"));
        assert!(google.created.is_empty(), "{:?}", created(&google));
        let updated = updates(&google);
        assert_eq!(
            updated,
            [
                ("ana-maria-lima.md".to_string(), vec!["emails"]),
                ("bob-stone.md".to_string(), vec!["emails"])
            ]
        );
        assert_eq!(
            reasons(&google),
            [
                "card 3, line 40: +1 555-010-7777 | no name and no email",
                "card 4, line 47: Springfield Dental | an organisation, not a person"
            ]
        );
        folder.apply(&google);
        assert_eq!(
            folder.person("ana-maria-lima.md").emails,
            [
                "ana@chessclub.example",
                "ana.lima@acme.example",
                "ana.m.lima@mail.example",
                "ana@mail.example"
            ]
        );

        for file in &EVERY_FILE[2..] {
            let plan = folder.plan(&fixture(file));
            folder.apply(&plan);
        }
        let names: Vec<String> = folder
            .notes
            .keys()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "after-missing-end.md",
                "ana-maria-lima.md",
                "bad-qp.md",
                "bob-stone.md",
                "future-version.md",
                "jo-lima.md",
                "jurgen-muller.md",
                "last-good.md",
                "missing-end.md",
                "noreply-but-kept.md",
                "old-friend.md",
                "prof-dr-hans-jurgen-schroder-ludenscheid.md",
                "zoe-angstrom.md",
            ]
        );
        // Nextcloud's RELATED urn:uuid pointing at Jo's card is Jo's name.
        assert!(folder
            .person("ana-maria-lima.md")
            .related
            .iter()
            .any(|r| r.name == "Jo Lima"));

        // Everything again: nothing to create or update, everyone unchanged,
        // only the cards that are no people skipped.
        for file in EVERY_FILE {
            let plan = folder.plan(&fixture(file));
            assert!(plan.is_noop(), "{file}: {plan:?}");
            assert!(
                plan.skipped
                    .iter()
                    .all(|s| !s.reason.starts_with("ambiguous")),
                "{file}: {:?}",
                reasons(&plan)
            );
            assert!(plan.unchanged > 0, "{file}");
        }
    }

    #[test]
    fn email_first_then_name_or_alias() {
        let folder = Folder::with(&[
            (
                "yvonne.md",
                "---\nname: Yvonne Bakker\nemails: [yb@acme.example]\n---\n",
            ),
            (
                "tom.md",
                "---\nname: Tom de Vries\naliases: [Tommy V]\n---\n",
            ),
        ]);
        let file = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Y. Bakker\r\nEMAIL:YB+cal@acme.example\r\nTEL:1\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Tommy V\r\nEMAIL:tom@vries.example\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nN:Vries;Tom;;;\r\nFN:Vries\\, Tom de\r\nORG:Vries BV\r\nEND:VCARD\r\n";
        let plan = folder.plan(file);
        let updated = updates(&plan);
        // Yvonne by her address without `+cal` (the card's name differs);
        // Tom by alias and by "Last, First": both cards are his.
        assert_eq!(
            updated,
            [
                ("yvonne.md".to_string(), vec!["emails", "phone"]),
                ("tom.md".to_string(), vec!["emails", "org"])
            ]
        );
        assert!(
            plan.created.is_empty() && plan.skipped.is_empty(),
            "{plan:?}"
        );
    }

    #[test]
    fn a_card_that_fits_several_notes_is_skipped_never_merged() {
        let folder = Folder::with(&[
            ("a.md", "---\nname: Sam Lee\nemails: [sam@a.example]\n---\n"),
            ("b.md", "---\nname: Sam Lee\nemails: [sam@b.example]\n---\n"),
        ]);
        let by_email = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sam\r\nEMAIL:sam@a.example\r\nEMAIL:sam@b.example\r\nEND:VCARD\r\n";
        let plan = folder.plan(by_email);
        assert_eq!(
            reasons(&plan),
            ["card 1, line 1: Sam | ambiguous: its addresses are in several notes: a.md (sam@a.example), b.md (sam@b.example)"]
        );
        let by_name = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sam Lee\r\nTEL:+1 555\r\nEND:VCARD\r\n";
        let plan = folder.plan(by_name);
        assert_eq!(
            reasons(&plan),
            ["card 1, line 1: Sam Lee | ambiguous: its name matches several notes: a.md, b.md; add one of its addresses to the right note"]
        );
        assert!(plan.is_noop() && plan.unchanged == 0);
    }

    #[test]
    fn cards_of_one_person_in_one_file_make_one_note() {
        // Cards 1 and 3 share an address; card 2 has the same name and no
        // address in common, card 4 only a phone: all four are Ana.
        let file =
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nEMAIL:ana@a.example\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nEMAIL:ana@b.example\r\nORG:Acme\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A. Lima\r\nEMAIL:ANA@a.example\r\nTITLE:CTO\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Lima\\, Ana\r\nTEL:+1 555\r\nEND:VCARD\r\n";
        let mut folder = Folder::default();
        let plan = folder.plan(file);
        assert_eq!(created(&plan), ["ana-lima.md"]);
        assert_eq!(plan.created[0].emails, ["ana@a.example", "ana@b.example"]);
        folder.apply(&plan);
        let ana = folder.person("ana-lima.md");
        assert_eq!(
            (
                ana.org.as_deref(),
                ana.role.as_deref(),
                ana.phones.as_slice()
            ),
            (Some("Acme"), Some("CTO"), &["+1 555".to_string()][..])
        );
        let again = folder.plan(file);
        assert!(again.is_noop() && again.skipped.is_empty(), "{again:?}");
        assert_eq!(again.unchanged, 1);
    }

    #[test]
    fn a_broken_note_is_not_duplicated_and_names_never_collide() {
        let folder = Folder::with(&[
            ("ana-lima.md", "---\nname: [broken\n---\n"),
            ("bob.md", "---\nname: Robert Roe\n---\n"),
        ]);
        let file =
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\nEMAIL:ana@a.example\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:...\r\nEMAIL:dots@x.example\r\nEND:VCARD\r\n";
        let plan = folder.plan(file);
        let r = reasons(&plan);
        assert!(r[0].starts_with("card 1, line 1: Ana Lima | ana-lima.md exists but cannot be read (ana-lima.md, line 2"), "{r:?}");
        // "Bob" is not Robert Roe: a new note beside bob.md.
        assert_eq!(created(&plan), ["bob-2.md", "dots.md"]);
        assert_eq!(plan.created[1].name, "...");
    }

    #[test]
    fn my_own_card_is_left_out() {
        let file = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Me Myself\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Private Me\r\nEMAIL:Me+home@corp.example\r\nEND:VCARD\r\n";
        let plan = Folder::default().plan(file);
        assert!(plan.is_noop());
        assert_eq!(
            reasons(&plan),
            [
                "card 1, line 1: Me Myself | this is you ([me] in the config)",
                "card 2, line 5: Private Me | this is you ([me] in the config)"
            ]
        );
    }

    #[test]
    fn a_note_that_cannot_be_filled_is_reported() {
        let folder = Folder::with(&[(
            "ana.md",
            "---\nname: Ana\nemails: [ana@a.example,\n  ana@b.example]\n---\n",
        )]);
        let file = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana\r\nEMAIL:ana@a.example\r\nEMAIL:ana@c.example\r\nEND:VCARD\r\n";
        let plan = folder.plan(file);
        assert!(plan.is_noop());
        assert_eq!(
            reasons(&plan),
            ["card 1, line 1: Ana | ana.md cannot be filled: its `emails:` list spans several lines, which rapport does not extend; add ana@c.example to it by hand"]
        );
    }

    #[test]
    fn json_shape() {
        let folder = Folder::with(&[("bob-stone.md", "---\nname: Bob Stone\n---\n")]);
        let plan = folder.plan(&fixture("google.vcf"));
        let v = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "created": [{"name": "Ana Lima", "person": "ana-lima.md",
                             "emails": ["ana@mail.example", "ana.lima@acme.example", "ana@chessclub.example"]}],
                "updated": [{"person": "bob-stone.md", "fields": ["emails", "phone", "birthday"]}],
                "unchanged": 0,
                "skipped": [
                    {"card": "card 3, line 40: +1 555-010-7777", "reason": "no name and no email"},
                    {"card": "card 4, line 47: Springfield Dental", "reason": "an organisation, not a person"}
                ]
            })
        );
    }
}
