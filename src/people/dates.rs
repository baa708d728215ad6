//! Important dates from a note's front matter: `birthday: 1985-03-14` (or
//! `--03-14` when the year is unknown) and `dates:`, a list of
//! `{date, what}` (yearly when the year is absent or with `yearly: true`).
//! 29 February falls on 28 February in other years.
//!
//! Pure: [`dates_between`] lists the days a person's dates fall on in a range
//! of days; [`DateOn::describe`] says it the way the brief and the digest
//! show it ("birthday Fri, turns 41").

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};

use super::Person;

const HOW_TO_WRITE_DATES: &str =
    "write YYYY-MM-DD (1985-03-14), or --MM-DD (--03-14) when the year is unknown";

/// A day of the year, with or without its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialDate {
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
}

impl PartialDate {
    /// A valid date; without a year, 29 February is allowed (it exists in
    /// some year).
    pub fn new(year: Option<i32>, month: u32, day: u32) -> Option<PartialDate> {
        let valid = match year {
            Some(y) => (0..=9999).contains(&y) && NaiveDate::from_ymd_opt(y, month, day).is_some(),
            None => NaiveDate::from_ymd_opt(2000, month, day).is_some(),
        };
        valid.then_some(PartialDate { year, month, day })
    }

    pub fn year(&self) -> Option<i32> {
        self.year
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    pub fn day(&self) -> u32 {
        self.day
    }

    /// `1985-03-14`, or without a year `--03-14` (vCard also writes `--0314`).
    pub fn parse(text: &str) -> Result<PartialDate, String> {
        let t = text.trim();
        let bad = || format!("`{t}` is not a date; {HOW_TO_WRITE_DATES}");
        let two = |s: &str| -> Option<u32> {
            (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let parsed = if let Some(rest) = t.strip_prefix("--") {
            let (month, day) = match rest.split_once('-') {
                Some(parts) => parts,
                None if rest.len() == 4 && rest.is_char_boundary(2) => rest.split_at(2),
                None => return Err(bad()),
            };
            PartialDate {
                year: None,
                month: two(month).ok_or_else(bad)?,
                day: two(day).ok_or_else(bad)?,
            }
        } else {
            // Four-digit years only: chrono alone would read "85-03-14" as year 85.
            let date = NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .filter(|_| t.len() == 10)
                .ok_or_else(bad)?;
            return Ok(PartialDate::from(date));
        };
        // 29 February without a year is a real birthday; 30 February is not.
        if NaiveDate::from_ymd_opt(2000, parsed.month, parsed.day).is_none() {
            return Err(format!(
                "`{t}` is not a day of the year; {HOW_TO_WRITE_DATES}"
            ));
        }
        Ok(parsed)
    }

    /// The day it falls on in `year`: 29 February is 28 February in years
    /// that have none.
    pub fn in_year(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day).or_else(|| {
            (self.month == 2 && self.day == 29)
                .then(|| NaiveDate::from_ymd_opt(year, 2, 28))
                .flatten()
        })
    }

    /// The full date, when the year is known.
    pub fn date(self) -> Option<NaiveDate> {
        self.in_year(self.year?)
            .filter(|d| d.month() == self.month && d.day() == self.day)
    }
}

impl From<NaiveDate> for PartialDate {
    fn from(d: NaiveDate) -> PartialDate {
        PartialDate {
            year: Some(d.year()),
            month: d.month(),
            day: d.day(),
        }
    }
}

impl fmt::Display for PartialDate {
    /// As it is written in front matter: `1985-03-14` or `--03-14`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.year {
            Some(y) => write!(f, "{y:04}-{:02}-{:02}", self.month, self.day),
            None => write!(f, "--{:02}-{:02}", self.month, self.day),
        }
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One entry of `dates:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportantDate {
    pub date: PartialDate,
    /// What it is ("Sam's birthday", "exam"), with a `#private` tag removed.
    pub what: String,
    /// Every year: the year is absent, or `yearly: true`.
    pub yearly: bool,
    /// Tagged `#private` in `what` (or `private: true`): never in a
    /// notification or the digest.
    pub private: bool,
    /// 1-based line in the file.
    pub line: usize,
}

/// Which of a person's dates a [`DateOn`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DateKind {
    /// `birthday:`.
    Birthday,
    /// An entry of `dates:` (its index there).
    Other(#[serde(skip)] usize),
}

/// A person's date falling on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOn<'a> {
    pub kind: DateKind,
    /// "birthday", or the entry's `what`.
    pub what: &'a str,
    pub date: NaiveDate,
    /// Years since the first one, when its year is known and it repeats
    /// (a birthday's age, an anniversary's count).
    pub years: Option<i32>,
    pub private: bool,
}

/// Every day in `from..=to` that one of `person`'s dates falls on, by date
/// (a birthday before the other dates of the same day).
pub fn dates_between(person: &Person, from: NaiveDate, to: NaiveDate) -> Vec<DateOn<'_>> {
    dates_of_between(person.birthday, &person.dates, from, to)
}

/// [`dates_between`] for a birthday and `dates:` held elsewhere (the brief's
/// copy of a note).
pub fn dates_of_between(
    birthday: Option<PartialDate>,
    dates: &[ImportantDate],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<DateOn<'_>> {
    let mut out = Vec::new();
    if let Some(b) = birthday {
        push_days(&mut out, b, true, from, to, |date, years| DateOn {
            kind: DateKind::Birthday,
            what: "birthday",
            date,
            years,
            private: false,
        });
    }
    for (i, entry) in dates.iter().enumerate() {
        let yearly = entry.yearly || entry.date.year.is_none();
        push_days(&mut out, entry.date, yearly, from, to, |date, years| {
            DateOn {
                kind: DateKind::Other(i),
                what: &entry.what,
                date,
                years,
                private: entry.private,
            }
        });
    }
    out.sort_by_key(|d| (d.date, matches!(d.kind, DateKind::Other(_))));
    out
}

fn push_days<'a>(
    out: &mut Vec<DateOn<'a>>,
    date: PartialDate,
    yearly: bool,
    from: NaiveDate,
    to: NaiveDate,
    make: impl Fn(NaiveDate, Option<i32>) -> DateOn<'a>,
) {
    if !yearly {
        if let Some(d) = date.date().filter(|d| (from..=to).contains(d)) {
            out.push(make(d, None));
        }
        return;
    }
    for year in from.year()..=to.year() {
        let Some(d) = date.in_year(year).filter(|d| (from..=to).contains(d)) else {
            continue;
        };
        // Before it first happened there is nothing to mark.
        match date.year {
            Some(first) if year < first => {}
            Some(first) => out.push(make(d, Some(year - first))),
            None => out.push(make(d, None)),
        }
    }
}

/// A brief shows the dates within this many days of its meeting, before or
/// after ("birthday was Mon, turned 41" is worth a word too).
pub const NEAR_A_MEETING: u64 = 7;

/// `person`'s dates within [`NEAR_A_MEETING`] days of `day` (a meeting's).
pub fn dates_near(person: &Person, day: NaiveDate) -> Vec<DateOn<'_>> {
    dates_of_near(person.birthday, &person.dates, day)
}

/// [`dates_near`] for a birthday and `dates:` held elsewhere.
pub fn dates_of_near(
    birthday: Option<PartialDate>,
    dates: &[ImportantDate],
    day: NaiveDate,
) -> Vec<DateOn<'_>> {
    let span = chrono::Days::new(NEAR_A_MEETING);
    let from = day.checked_sub_days(span).unwrap_or(day);
    let to = day.checked_add_days(span).unwrap_or(day);
    dates_of_between(birthday, dates, from, to)
}

impl DateOn<'_> {
    /// Days from `today` to it (negative: past).
    pub fn in_days(&self, today: NaiveDate) -> i64 {
        (self.date - today).num_days()
    }

    /// How the brief and the digest say it, seen from `today`: "birthday
    /// Fri, turns 41", "Sam's birthday today", "exam tomorrow", "wedding
    /// anniversary Sat 20 Jun (10 years)", "birthday was Mon, turned 41".
    pub fn describe(&self, today: NaiveDate) -> String {
        let past = self.date < today;
        let day = day_word(self.date, today);
        let mut s = if past {
            format!("{} was {day}", self.what)
        } else {
            format!("{} {day}", self.what)
        };
        match (self.kind, self.years) {
            (DateKind::Birthday, Some(age)) if past => s.push_str(&format!(", turned {age}")),
            (DateKind::Birthday, Some(age)) => s.push_str(&format!(", turns {age}")),
            (_, Some(1)) => s.push_str(" (1 year)"),
            (_, Some(n)) if n > 1 => s.push_str(&format!(" ({n} years)")),
            _ => {}
        }
        s
    }
}

/// A day as a person would say it near `today`: "today", "tomorrow",
/// "yesterday", the weekday within the week around it ("Fri"), else
/// "Fri 20 Mar" (with the year when it is not this year's).
pub fn day_word(date: NaiveDate, today: NaiveDate) -> String {
    match (date - today).num_days() {
        0 => "today".into(),
        1 => "tomorrow".into(),
        -1 => "yesterday".into(),
        // Within six days a weekday names one day only.
        -6..=6 => date.format("%a").to_string(),
        _ if date.year() == today.year() => date.format("%a %-d %b").to_string(),
        _ => date.format("%a %-d %b %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn person(front_matter: &str) -> Person {
        let text = format!("---\nname: Yvonne\n{front_matter}---\n");
        super::super::parse_person(Path::new("y.md"), &text).unwrap()
    }

    #[test]
    fn partial_dates_parse() {
        let full = PartialDate::parse("1985-03-14").unwrap();
        assert_eq!((full.year, full.month, full.day), (Some(1985), 3, 14));
        let no_year = PartialDate::parse("--03-14").unwrap();
        assert_eq!((no_year.year, no_year.month, no_year.day), (None, 3, 14));
        assert_eq!(PartialDate::parse("--0314"), Ok(no_year));
        assert_eq!(PartialDate::parse("--02-29").unwrap().day, 29);
        assert_eq!(full.to_string(), "1985-03-14");
        assert_eq!(no_year.to_string(), "--03-14");
        for bad in [
            "",
            "03-14",
            "85-03-14",
            "1985-02-29",
            "--02-30",
            "--13-01",
            "--3-14",
            "--03-1",
            "--031",
            "14.03.1985",
            "March 14",
            "--0€14",
            "1985-3-14",
        ] {
            let e = PartialDate::parse(bad).unwrap_err();
            assert!(e.contains("--03-14"), "{bad}: {e}");
        }
    }

    #[test]
    fn leap_day_falls_on_28_february_in_other_years() {
        let leap = PartialDate::parse("1984-02-29").unwrap();
        assert_eq!(leap.in_year(2026), Some(d("2026-02-28")));
        assert_eq!(leap.in_year(2028), Some(d("2028-02-29")));
        let p = person("birthday: 1984-02-29\n");
        let hits = dates_between(&p, d("2026-02-27"), d("2026-03-01"));
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].date, hits[0].years), (d("2026-02-28"), Some(42)));
        // In a leap year only the 29th, never the 28th too.
        let hits = dates_between(&p, d("2028-02-27"), d("2028-03-01"));
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].date, d("2028-02-29"));
        let no_year = person("birthday: --02-29\n");
        let hits = dates_between(&no_year, d("2027-02-01"), d("2027-03-31"));
        assert_eq!(hits[0].date, d("2027-02-28"));
        assert_eq!(hits[0].years, None);
    }

    #[test]
    fn yearly_and_one_off_dates() {
        let p = person(
            "birthday: 1985-03-14\ndates:\n  - {date: --05-02, what: \"Sam's birthday\"}\n  \
             - {date: 2026-12-10, what: exam}\n  - date: 2016-06-20\n    what: wedding anniversary\n    \
             yearly: true\n",
        );
        // A range over New Year: the birthday is not in it, the exam is.
        let hits = dates_between(&p, d("2026-12-01"), d("2027-01-31"));
        assert_eq!(hits.iter().map(|h| h.what).collect::<Vec<_>>(), ["exam"]);
        assert_eq!(hits[0].years, None);
        // The one-off exam is not there the next year.
        assert!(dates_between(&p, d("2027-12-01"), d("2027-12-31")).is_empty());
        let hits = dates_between(&p, d("2026-03-01"), d("2026-06-30"));
        let seen: Vec<(&str, NaiveDate, Option<i32>)> =
            hits.iter().map(|h| (h.what, h.date, h.years)).collect();
        assert_eq!(
            seen,
            [
                ("birthday", d("2026-03-14"), Some(41)),
                ("Sam's birthday", d("2026-05-02"), None),
                ("wedding anniversary", d("2026-06-20"), Some(10)),
            ]
        );
        // A range of several years lists each year; none before the first.
        let hits = dates_between(&p, d("2015-01-01"), d("2018-12-31"));
        let anniversaries: Vec<_> = hits
            .iter()
            .filter(|h| h.what == "wedding anniversary")
            .map(|h| h.years)
            .collect();
        assert_eq!(anniversaries, [Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn dates_read_as_the_brief_says_them() {
        let p = person(
            "birthday: 1985-03-14\ndates:\n  - {date: --03-14, what: \"Sam's birthday\"}\n  \
             - {date: 2016-03-16, what: wedding anniversary, yearly: true}\n  \
             - {date: 2026-03-20, what: exam}\n",
        );
        let today = d("2026-03-10"); // a Tuesday
        let said: Vec<String> = dates_between(&p, d("2026-03-07"), d("2026-03-31"))
            .iter()
            .map(|h| h.describe(today))
            .collect();
        assert_eq!(
            said,
            [
                "birthday Sat, turns 41",
                "Sam's birthday Sat",
                "wedding anniversary Mon (10 years)",
                "exam Fri 20 Mar",
            ]
        );
        let hits = dates_between(&p, d("2026-03-14"), d("2026-03-14"));
        assert_eq!(
            hits[0].describe(d("2026-03-14")),
            "birthday today, turns 41"
        );
        assert_eq!(
            hits[0].describe(d("2026-03-13")),
            "birthday tomorrow, turns 41"
        );
        assert_eq!(
            hits[0].describe(d("2026-03-16")),
            "birthday was Sat, turned 41"
        );
        assert_eq!(hits[0].in_days(d("2026-03-11")), 3);
        // Near a meeting on Friday 20 March: 13 to 27 March.
        let near: Vec<&str> = dates_near(&p, d("2026-03-20"))
            .iter()
            .map(|h| h.what)
            .collect();
        assert_eq!(
            near,
            ["birthday", "Sam's birthday", "wedding anniversary", "exam"]
        );
        assert!(dates_near(&p, d("2026-03-22"))
            .iter()
            .all(|h| h.what != "birthday"));
        assert_eq!(day_word(d("2027-01-02"), d("2026-12-20")), "Sat 2 Jan 2027");
    }
}
