//! Dates as people type them on the command line: `2026-12-06`, `today`,
//! `tomorrow`, `yesterday`, weekday names (`friday`, `fri`: the next such day,
//! never today), and offsets `+3d`, `+2w`, `-1d`. Pure: `today` is passed in.
//!
//! The one parser behind every date option (`agenda --from/--to`, `note
//! --date`, `met --date`, `ask --after`, `owe --due`, ...): a new option uses
//! [`parse_date`] and names the forms with [`DATE_FORMS`] in its `--help`.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// The accepted forms, for `--help` texts and error messages.
pub const DATE_FORMS: &str = "YYYY-MM-DD, today, tomorrow, yesterday, a weekday name \
     (monday, mon, ...: the next one), or an offset such as +3d, +2w, -1d";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read {text:?} as a date: use YYYY-MM-DD, today, tomorrow, yesterday, \
     a weekday name (monday, mon, ...), or an offset such as +3d, +2w, -1d"
)]
pub struct DateError {
    pub text: String,
}

/// Parses `text` relative to `today`. Case-insensitive; surrounding spaces ignored.
pub fn parse_date(text: &str, today: NaiveDate) -> Result<NaiveDate, DateError> {
    let err = || DateError {
        text: text.to_string(),
    };
    let t = text.trim().to_lowercase();
    match t.as_str() {
        "today" => return Ok(today),
        "tomorrow" => return today.succ_opt().ok_or_else(err),
        "yesterday" => return today.pred_opt().ok_or_else(err),
        _ => {}
    }
    if let Some(weekday) = parse_weekday(&t) {
        // The next such day: "friday" on a Friday means a week later, since
        // "ask on friday" typed on Friday is about the coming one.
        let ahead = (7 + weekday.num_days_from_monday() as i64
            - today.weekday().num_days_from_monday() as i64)
            % 7;
        let ahead = if ahead == 0 { 7 } else { ahead };
        return today
            .checked_add_signed(Duration::days(ahead))
            .ok_or_else(err);
    }
    if let Some(offset) = parse_offset(&t) {
        return today.checked_add_signed(offset).ok_or_else(err);
    }
    NaiveDate::parse_from_str(&t, "%Y-%m-%d")
        .ok()
        // Four-digit years only: chrono accepts "26-12-06" as year 26.
        .filter(|_| t.len() == 10)
        .ok_or_else(err)
}

fn parse_weekday(t: &str) -> Option<Weekday> {
    const NAMES: [(&str, &str, Weekday); 7] = [
        ("monday", "mon", Weekday::Mon),
        ("tuesday", "tue", Weekday::Tue),
        ("wednesday", "wed", Weekday::Wed),
        ("thursday", "thu", Weekday::Thu),
        ("friday", "fri", Weekday::Fri),
        ("saturday", "sat", Weekday::Sat),
        ("sunday", "sun", Weekday::Sun),
    ];
    NAMES
        .iter()
        .find(|(long, short, _)| t == *long || t == *short)
        .map(|(_, _, w)| *w)
}

/// `+3d`, `+2w`, `-1d`, `3d` (a missing sign means forward).
fn parse_offset(t: &str) -> Option<Duration> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => (1, t),
    };
    let unit = rest.chars().last()?;
    let number = &rest[..rest.len() - unit.len_utf8()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || number.len() > 5 {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    match unit {
        'd' => Some(Duration::days(sign * n)),
        'w' => Some(Duration::weeks(sign * n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn all_forms() {
        let today = d("2026-11-27"); // a Friday
        assert_eq!(parse_date("2026-12-06", today), Ok(d("2026-12-06")));
        assert_eq!(parse_date(" Today ", today), Ok(today));
        assert_eq!(parse_date("tomorrow", today), Ok(d("2026-11-28")));
        assert_eq!(parse_date("yesterday", today), Ok(d("2026-11-26")));
        assert_eq!(parse_date("monday", today), Ok(d("2026-11-30")));
        assert_eq!(parse_date("Sat", today), Ok(d("2026-11-28")));
        assert_eq!(parse_date("friday", today), Ok(d("2026-12-04")));
        assert_eq!(parse_date("+3d", today), Ok(d("2026-11-30")));
        assert_eq!(parse_date("+2w", today), Ok(d("2026-12-11")));
        assert_eq!(parse_date("-1d", today), Ok(d("2026-11-26")));
        assert_eq!(parse_date("10d", today), Ok(d("2026-12-07")));
    }

    #[test]
    fn rejects_garbage() {
        let today = d("2026-11-27");
        for bad in [
            "",
            "+",
            "+d",
            "+3x",
            "3",
            "2026-13-01",
            "26-12-06",
            "next week",
            "+99999999d",
        ] {
            let e = parse_date(bad, today).unwrap_err();
            assert!(e.to_string().contains("YYYY-MM-DD"), "{bad}: {e}");
        }
    }
}
