//! Calendar spans as people write them in notes and in the config:
//! `10d`, `3w`, `2m` (calendar months), `1y`. Used for `cadence:`, the
//! `[people] history` and `[digest] ahead` settings, and `due snooze NAME 2w`.
//!
//! Not `util::duration::parse_duration`: there `m` is minutes and a day is 86,400 s;
//! here `m` is a month and spans are counted in calendar days, so "every
//! month" from 31 January falls due on 28 (or 29) February.

use std::fmt;

use chrono::{Days, Months, NaiveDate};
use serde::{Serialize, Serializer};

/// A span of calendar time. The count is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Days(u32),
    Weeks(u32),
    /// Calendar months: the same day of the month, or the month's last day
    /// when it has fewer days.
    Months(u32),
    /// Calendar years: 29 February falls on 28 February in other years.
    Years(u32),
}

/// The largest count accepted: a century of days or years is already absurd,
/// and it keeps date arithmetic far from chrono's limits.
const MAX_COUNT: u32 = 36_600;

impl Period {
    /// Reads `10d`, `3w`, `2m`, `1y`; also with a space and the unit
    /// spelled out (`3 weeks`, `1 month`, `2 yrs`). Case-insensitive.
    pub fn parse(text: &str) -> Result<Period, String> {
        let t = text.trim().to_lowercase();
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let (number, unit) = t.split_at(digits);
        let unit = unit.trim_start();
        let n: u32 = match number.parse() {
            Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
            _ => {
                return Err(format!(
                    "`{}` is not a span of time; write a number from 1 to {MAX_COUNT} with a \
                     unit: 10d (days), 3w (weeks), 2m (months) or 1y (years)",
                    text.trim()
                ))
            }
        };
        match unit {
            "d" | "day" | "days" => Ok(Period::Days(n)),
            "w" | "wk" | "wks" | "week" | "weeks" => Ok(Period::Weeks(n)),
            "m" | "mo" | "mon" | "month" | "months" => Ok(Period::Months(n)),
            "y" | "yr" | "yrs" | "year" | "years" => Ok(Period::Years(n)),
            _ => Err(format!(
                "`{}` has no unit rapport knows; write 10d (days), 3w (weeks), 2m (months) \
                 or 1y (years)",
                text.trim()
            )),
        }
    }

    /// `date` plus this span (`None` only beyond chrono's range).
    pub fn after(self, date: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Days(n) => date.checked_add_days(Days::new(n.into())),
            Period::Weeks(n) => date.checked_add_days(Days::new(u64::from(n) * 7)),
            Period::Months(n) => date.checked_add_months(Months::new(n)),
            Period::Years(n) => date.checked_add_months(Months::new(n.checked_mul(12)?)),
        }
    }

    /// `date` minus this span (`None` only beyond chrono's range).
    pub fn before(self, date: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Days(n) => date.checked_sub_days(Days::new(n.into())),
            Period::Weeks(n) => date.checked_sub_days(Days::new(u64::from(n) * 7)),
            Period::Months(n) => date.checked_sub_months(Months::new(n)),
            Period::Years(n) => date.checked_sub_months(Months::new(n.checked_mul(12)?)),
        }
    }

    /// How many days this span is when it starts on `from`: `1m` from
    /// 31 January is 28 days in 2026, `1y` from 1 March 2027 is 366.
    pub fn days_from(self, from: NaiveDate) -> i64 {
        match self.after(from) {
            Some(to) => (to - from).num_days(),
            None => self.nominal_days(),
        }
    }

    /// Its length without a starting day: months as 30 days, years as 365.
    pub fn nominal_days(self) -> i64 {
        match self {
            Period::Days(n) => n.into(),
            Period::Weeks(n) => i64::from(n) * 7,
            Period::Months(n) => i64::from(n) * 30,
            Period::Years(n) => i64::from(n) * 365,
        }
    }
}

impl fmt::Display for Period {
    /// The short form it is read from: `10d`, `3w`, `2m`, `1y`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Days(n) => write!(f, "{n}d"),
            Period::Weeks(n) => write!(f, "{n}w"),
            Period::Months(n) => write!(f, "{n}m"),
            Period::Years(n) => write!(f, "{n}y"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn period_forms() {
        assert_eq!(Period::parse("10d"), Ok(Period::Days(10)));
        assert_eq!(Period::parse(" 3W "), Ok(Period::Weeks(3)));
        assert_eq!(Period::parse("2m"), Ok(Period::Months(2)));
        assert_eq!(Period::parse("1y"), Ok(Period::Years(1)));
        assert_eq!(Period::parse("3 weeks"), Ok(Period::Weeks(3)));
        assert_eq!(Period::parse("1 month"), Ok(Period::Months(1)));
        assert_eq!(Period::parse("2 yrs"), Ok(Period::Years(2)));
        for bad in [
            "",
            "3",
            "w",
            "0d",
            "-1w",
            "1.5m",
            "3x",
            "1h",
            "99999999d",
            "2 fortnights",
        ] {
            let e = Period::parse(bad).unwrap_err();
            assert!(e.contains("3w"), "{bad}: {e}");
        }
        for p in ["10d", "3w", "2m", "1y"] {
            assert_eq!(Period::parse(p).unwrap().to_string(), p);
        }
        assert_eq!(serde_json::to_string(&Period::Months(2)).unwrap(), "\"2m\"");
    }

    #[test]
    fn period_arithmetic_is_calendar_arithmetic() {
        assert_eq!(
            Period::Days(10).after(d("2026-12-25")),
            Some(d("2027-01-04"))
        );
        assert_eq!(
            Period::Weeks(3).after(d("2026-03-20")),
            Some(d("2026-04-10"))
        );
        // A month after 31 January is the last day of February.
        assert_eq!(
            Period::Months(1).after(d("2026-01-31")),
            Some(d("2026-02-28"))
        );
        assert_eq!(
            Period::Months(1).after(d("2028-01-31")),
            Some(d("2028-02-29"))
        );
        assert_eq!(
            Period::Months(1).before(d("2026-03-31")),
            Some(d("2026-02-28"))
        );
        // 29 February plus a year is 28 February.
        assert_eq!(
            Period::Years(1).after(d("2028-02-29")),
            Some(d("2029-02-28"))
        );
        assert_eq!(
            Period::Years(1).before(d("2028-02-29")),
            Some(d("2027-02-28"))
        );
        assert_eq!(Period::Months(1).days_from(d("2026-01-31")), 28);
        assert_eq!(Period::Years(1).days_from(d("2027-03-01")), 366);
        assert_eq!(Period::Weeks(2).days_from(d("2026-01-01")), 14);
        assert_eq!(Period::Years(MAX_COUNT).after(NaiveDate::MAX), None);
        assert_eq!(Period::Years(1).nominal_days(), 365);
    }
}
