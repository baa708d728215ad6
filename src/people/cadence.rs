//! Keep in touch: `cadence: 3w` in a note asks to be in contact at least
//! that often.

use std::fmt;

use serde::{Serialize, Serializer};

use super::period::Period;

/// `cadence:` in front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Every(Period),
    /// `never` (also `none`, `off`, `false`): no cadence, whatever the
    /// defaults for the person's tags say.
    Never,
}

impl Cadence {
    pub fn parse(text: &str) -> Result<Cadence, String> {
        match text.trim().to_lowercase().as_str() {
            "never" | "none" | "off" | "no" | "false" => Ok(Cadence::Never),
            _ => Period::parse(text).map(Cadence::Every),
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cadence::Every(p) => p.fmt(f),
            Cadence::Never => f.write_str("never"),
        }
    }
}

impl Serialize for Cadence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::parse_person;
    use std::path::Path;

    fn note(name: &str, front: &str, body: &str) -> String {
        let email = format!("{}@x.example", name.to_lowercase());
        format!("---\nname: {name}\nemails: [{email}]\n{front}---\n{body}")
    }

    #[test]
    fn cadence_forms_in_front_matter() {
        let p = |front: &str| parse_person(Path::new("a.md"), &note("Ann", front, ""));
        assert_eq!(
            p("cadence: 3w\n").unwrap().cadence,
            Some(Cadence::Every(Period::Weeks(3)))
        );
        assert_eq!(
            p("cadence: 2 months\n").unwrap().cadence,
            Some(Cadence::Every(Period::Months(2)))
        );
        assert_eq!(p("cadence: never\n").unwrap().cadence, Some(Cadence::Never));
        assert_eq!(p("cadence: false\n").unwrap().cadence, Some(Cadence::Never));
        assert_eq!(p("cadence:\n").unwrap().cadence, None);
        for bad in [
            "cadence: 10\n",
            "cadence: 3 fortnights\n",
            "cadence: [1w]\n",
            "cadence: 0d\n",
        ] {
            let e = p(bad).unwrap_err();
            assert_eq!(e.line, Some(4), "{bad}: {e:?}");
            assert!(
                e.message.contains("`cadence`") && e.message.contains("3w"),
                "{bad}: {e:?}"
            );
        }
        assert_eq!(Cadence::Never.to_string(), "never");
        assert_eq!(
            serde_json::to_value(Cadence::Every(Period::Days(10))).unwrap(),
            "10d"
        );
    }
}
