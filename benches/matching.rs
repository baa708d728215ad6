//! Matching 2,000 people against 50,000 attendee entries (issue 3: well
//! under a second in release mode). Run: `cargo bench --bench matching`.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use rapport::calendar::model::Attendee;
use rapport::people::matching::{Match, Matcher};
use rapport::people::Me;
use rapport::people::{parse_person, People};

const FIRST: [&str; 20] = [
    "Yvonne", "Tom", "René", "Anna", "Pieter", "Sam", "Lotte", "Joost", "Chloé", "Mark", "Sofia",
    "Daan", "Emma", "Noah", "Julia", "Lucas", "Zoë", "Finn", "Saar", "Bram",
];
const LAST: [&str; 10] = [
    "Bakker",
    "de Vries",
    "Jansen",
    "van Dijk",
    "Smit",
    "Müller",
    "de Boer",
    "Visser",
    "Meijer",
    "van den Berg",
];

/// A deterministic pseudo-random sequence (no extra dependency needed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn name(i: usize) -> (String, String) {
    // 20 x 10 base names x 10 numbered variants = 2,000 distinct people.
    let first = FIRST[i % 20];
    let last = LAST[(i / 20) % 10];
    let variant = i / 200;
    (format!("{first}{variant}"), last.to_string())
}

fn people() -> People {
    let mut list = Vec::new();
    for i in 0..2000 {
        let (first, last) = name(i);
        let email = format!("{}.{}@corp{}.example", first.to_lowercase(), i, i % 7);
        let text = format!(
            "---\nname: {first} {last}\nemails: [{email}]\naliases: [\"{last}, {first}\"]\norg: Org {}\n---\nSummary.\n\n## Follow-ups\n- [ ] Ask about X 🛫 2026-12-01\n\n## Log\n- 2026-11-20 Met\n",
            i % 50
        );
        list.push(
            parse_person(Path::new(&format!("p{i}.md")), &text).expect("generated note parses"),
        );
    }
    People {
        dir: PathBuf::from("people"),
        people: list,
        errors: Vec::new(),
    }
}

fn attendees() -> Vec<Attendee> {
    let mut rng = Lcg(42);
    (0..50_000)
        .map(|_| {
            let i = rng.next() % 2000;
            let (first, last) = name(i);
            let email = format!("{}.{}@corp{}.example", first.to_lowercase(), i, i % 7);
            let mut a = Attendee {
                role: Some("req-participant".into()),
                partstat: Some("accepted".into()),
                cutype: Some("individual".into()),
                ..Attendee::default()
            };
            match rng.next() % 10 {
                // By email, as calendars write them (CN + address).
                0..=3 => {
                    a.name = Some(format!("{first} {last}"));
                    a.email = Some(email);
                }
                // Plus-addressed.
                4 => a.email = Some(email.replace('@', "+cal@")),
                // Outlook display names without a known address.
                5 | 6 => {
                    a.name = Some(format!("{last}, {first}"));
                    a.email = Some(format!("x{i}@unknown.example"));
                }
                7 => {
                    a.name = Some("Room 4.12 (12)".into());
                    a.email = Some("room412@corp.example".into());
                    a.cutype = Some("room".into());
                }
                8 => a.email = Some("me@corp.example".into()),
                _ => {
                    a.name = Some(format!("Stranger {}", rng.next() % 100_000));
                    a.email = Some(format!("s{}@elsewhere.example", rng.next() % 100_000));
                }
            }
            a
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let people = people();
    let attendees = attendees();
    let me = Me {
        name: Some("Me Myself".into()),
        emails: vec!["me@corp.example".into()],
        pitch: None,
    };
    // Sanity: the mix is what it claims to be.
    let matched = Matcher::new(&people, &me).match_attendees(&attendees);
    let persons = matched
        .iter()
        .filter(|m| matches!(m.matched, Match::Person(_)))
        .count();
    assert!(persons > 30_000, "{persons} of 50,000 matched a person");

    c.bench_function("index 2000 people", |b| {
        b.iter(|| Matcher::new(std::hint::black_box(&people), &me))
    });
    c.bench_function("index 2000 people + match 50000 attendees", |b| {
        b.iter(|| {
            let m = Matcher::new(&people, &me);
            m.match_attendees(std::hint::black_box(&attendees))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
