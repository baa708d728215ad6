//! A calendar date whose year may be unknown: `1985-03-14` or `--03-14`
//! (the ISO 8601 / vCard form without a year). Birthdays in address books
//! are often year-less, and rapport writes and reads both forms.

use std::fmt;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialDate {
    year: Option<i32>,
    month: u32,
    day: u32,
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

    /// `YYYY-MM-DD` or `--MM-DD`, exactly (surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<PartialDate> {
        let t = text.trim();
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let (year, rest) = match t.strip_prefix("--") {
            Some(rest) => (None, rest),
            None => {
                let (y, rest) = (t.get(..4)?, t.get(4..)?);
                if !digits(y) {
                    return None;
                }
                (Some(y.parse().ok()?), rest.strip_prefix('-')?)
            }
        };
        let (m, d) = rest.split_once('-')?;
        if m.len() != 2 || d.len() != 2 || !digits(m) || !digits(d) {
            return None;
        }
        PartialDate::new(year, m.parse().ok()?, d.parse().ok()?)
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
}

impl fmt::Display for PartialDate {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_read_and_print_back() {
        for text in [
            "1985-03-14",
            "--03-14",
            "--02-29",
            "2000-02-29",
            "0001-01-01",
        ] {
            let d = PartialDate::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(PartialDate::parse(" --12-31 ").unwrap().month(), 12);
        for bad in [
            "1985-02-29",
            "--02-30",
            "--13-01",
            "19850314",
            "--0314",
            "1985-3-14",
            "85-03-14",
            "1985-03-14T00:00",
            "",
            "--",
            "march 14",
        ] {
            assert_eq!(PartialDate::parse(bad), None, "{bad}");
        }
    }
}
