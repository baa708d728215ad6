//! Durations as the user writes them: `90s`, `15m`, `1h30m`, `2d`, `1w`, and
//! the words people type in a config: `10 minutes`, `1 hour`, `90 min`,
//! `1 hour 30 minutes`.

use std::time::Duration;

/// The accepted forms, named in every error (and in the config reference).
pub const DURATION_FORMS: &str =
    "write a number with a unit: \"90s\", \"15m\", \"1h30m\", \"2d\", \
     \"1w\", or in words: \"10 minutes\", \"1 hour\", \"90 min\", \"2 days\" \
     (units: s/sec/second, m/min/minute, h/hr/hour, d/day, w/week)";

/// Seconds in one `unit` (any case; singular or plural).
fn unit_seconds(unit: &str) -> Option<u64> {
    let u = unit.to_ascii_lowercase();
    let base = match u.as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "wk" | "wks" | "week" | "weeks" => 7 * 86_400,
        _ => return None,
    };
    Some(base)
}

/// Parses a duration such as `90s`, `15m`, `1h30m`, `2d`, `1w`, `10 minutes`,
/// `1 hour 30 min` (parts in any order, spaces, commas and `and` allowed
/// between them). A bare number is refused: the unit would be a guess.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("empty duration; {DURATION_FORMS}"));
    }
    let mut total: u64 = 0;
    let mut rest = t;
    let mut parts = 0;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if parts > 0 {
            if let Some(after) = rest.strip_prefix("and ") {
                rest = after.trim_start();
            }
        }
        if rest.is_empty() {
            break;
        }
        let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits_len == 0 {
            let word: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            return Err(if parts == 0 && unit_seconds(&word).is_some() {
                format!("`{t}` is not a duration (a unit without a number); {DURATION_FORMS}")
            } else {
                format!("`{t}` is not a duration (`{word}` is not a number); {DURATION_FORMS}")
            });
        }
        let digits = &rest[..digits_len];
        rest = rest[digits_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        if unit.is_empty() {
            return Err(format!(
                "`{t}` has no unit after {digits}; {DURATION_FORMS} (e.g. \"{digits}m\" for minutes)"
            ));
        }
        let Some(secs) = unit_seconds(unit) else {
            return Err(format!(
                "`{t}` is not a duration (unknown unit `{unit}`); {DURATION_FORMS}"
            ));
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("`{t}` is too long a duration; {DURATION_FORMS}"))?;
        total = n
            .checked_mul(secs)
            .and_then(|v| total.checked_add(v))
            .filter(|v| *v <= 366 * 86_400)
            .ok_or_else(|| format!("`{t}` is longer than a year; {DURATION_FORMS}"))?;
        parts += 1;
    }
    Ok(Duration::from_secs(total))
}

/// The inverse of [`parse_duration`] (`5400s` -> `1h30m`; zero -> `0s`).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, label) in [(86_400, 'd'), (3600, 'h'), (60, 'm'), (1, 's')] {
        if secs >= unit {
            out.push_str(&format!("{}{label}", secs / unit));
            secs %= unit;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        parse_duration(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .as_secs()
    }

    #[test]
    fn compact_and_spelled_out_forms() {
        for (text, want) in [
            ("90s", 90),
            ("15m", 900),
            ("1h30m", 5400),
            ("1h 30m", 5400),
            ("2d", 172_800),
            ("1w", 604_800),
            ("10 minutes", 600),
            ("1 minute", 60),
            ("1 hour", 3600),
            ("2 Hours", 7200),
            ("90 min", 5400),
            ("90mins", 5400),
            ("1 hour 30 minutes", 5400),
            ("1 hour and 30 minutes", 5400),
            ("1 hr, 5 secs", 3605),
            ("2 days", 172_800),
            (" 45 seconds ", 45),
        ] {
            assert_eq!(secs(text), want, "{text}");
        }
    }

    #[test]
    fn errors_name_the_accepted_forms() {
        for bad in [
            "",
            "10",
            "soon",
            "10 parsecs",
            "m",
            "1h30",
            "5 minutes ago",
            "99999999w",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(
                e.contains("\"10 minutes\"") && e.contains("\"1h30m\""),
                "{bad}: {e}"
            );
        }
        assert!(parse_duration("10 parsecs")
            .unwrap_err()
            .contains("unknown unit `parsecs`"));
    }

    #[test]
    fn format_is_the_inverse() {
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(secs(&format_duration(Duration::from_secs(93_784))), 93_784);
    }
}
