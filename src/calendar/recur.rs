//! RRULE parsing and bounded expansion (RFC 5545 3.3.10 and 3.8.5.3), pure, in local wall-clock
//! time (`NaiveDateTime`). The caller converts instants and zones; this module only counts days.
//!
//! Why our own: the `rrule` crate (0.14) rejects the Exchange/Google form `UNTIL=<DATE>` or a
//! floating `UNTIL` next to a zoned DTSTART (the whole series would vanish), and `icalendar`'s
//! recurrence support keeps only one RRULE. Real feeds need a tolerant parser (case-insensitive,
//! `BYDAY=MO, TU`, trailing `;`, X- parts) and an expander whose work is bounded per window.
//!
//! Expansion follows the period model of RFC 5545 3.3.10: walk the periods of FREQ (aligned on
//! INTERVAL from DTSTART), build each period's candidate set from the BY* parts, apply BYSETPOS
//! to the whole period, then keep candidates at or after DTSTART. Missing day/time information is
//! taken from DTSTART ("FREQ=YEARLY;BYMONTH=1" recurs on DTSTART's day of month). Invalid dates
//! (Feb 30, Feb 29 in a common year) are skipped, never moved. A YEARLY rule with BYWEEKNO walks
//! week-numbering years (weeks start on WKST, week 1 holds at least 4 days of the year), so week
//! 1 may begin in late December and week 53 may end in January.
//!
//! Without COUNT the walk jumps arithmetically to the period holding `from`; with COUNT it must
//! count from DTSTART, so [`Limits::max_iterations`] bounds the work either way.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Weekday};

/// The FREQ part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Frequency {
    Secondly,
    Minutely,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// UNTIL as written: a DATE, a floating local time, or a UTC time ("Z"). The caller converts
/// it into the DTSTART's local wall-clock time before expanding (it knows the zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Date(NaiveDate),
    Floating(NaiveDateTime),
    Utc(NaiveDateTime),
}

impl Until {
    /// UNTIL read as a wall-clock bound without any zone conversion: a DATE includes its whole
    /// day (Exchange writes `UNTIL=20261231` for "through Dec 31" next to a timed DTSTART); a
    /// UTC time is taken as written. Callers that know the zone should convert UTC themselves.
    pub fn as_wall_clock(&self) -> NaiveDateTime {
        match *self {
            Until::Date(d) => d
                .and_hms_opt(23, 59, 59)
                .unwrap_or(d.and_time(NaiveTime::MIN)),
            Until::Floating(t) | Until::Utc(t) => t,
        }
    }
}

/// One BYDAY entry: a weekday with an optional ordinal (`-1SU`, `2MO`; `n == 0` means every).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NWeekday {
    pub n: i32,
    pub weekday: Weekday,
}

/// A parsed RRULE value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRule {
    pub freq: Frequency,
    pub interval: u32,
    pub count: Option<u32>,
    pub until: Option<Until>,
    pub wkst: Weekday,
    pub by_second: Vec<u32>,
    pub by_minute: Vec<u32>,
    pub by_hour: Vec<u32>,
    pub by_day: Vec<NWeekday>,
    pub by_month_day: Vec<i32>,
    pub by_year_day: Vec<i32>,
    pub by_week_no: Vec<i32>,
    pub by_month: Vec<u32>,
    pub by_set_pos: Vec<i32>,
}

/// Why an RRULE value was rejected; the message names the offending part.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecurError {
    #[error("empty RRULE value; write e.g. `RRULE:FREQ=WEEKLY` or drop the line")]
    Empty,
    #[error("RRULE has no FREQ part; add e.g. `FREQ=WEEKLY`")]
    MissingFreq,
    #[error("RRULE part `{0}` is not of the form KEY=VALUE")]
    Malformed(String),
    #[error("unknown RRULE part `{0}` (misspelled? valid keys are FREQ, UNTIL, COUNT, INTERVAL, BYSECOND, BYMINUTE, BYHOUR, BYDAY, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYMONTH, BYSETPOS, WKST)")]
    UnknownPart(String),
    #[error("RRULE part {key}: invalid value `{value}`: {why}")]
    BadValue {
        key: String,
        value: String,
        why: &'static str,
    },
}

impl RecurError {
    /// Whether the unreadable part may have said how many instances there are (UNTIL, COUNT,
    /// INTERVAL, or a key or part that looks like UNTIL or COUNT): skipping it could invent
    /// meetings, so a lenient reader must not.
    pub fn decides_the_count(&self) -> bool {
        let looks_like_an_end = |k: &str| ["UNTIL", "COUNT"].iter().any(|want| close_to(k, want));
        match self {
            RecurError::BadValue { key, .. } => {
                matches!(key.as_str(), "UNTIL" | "COUNT" | "INTERVAL")
            }
            RecurError::UnknownPart(key) => looks_like_an_end(key),
            RecurError::Malformed(part) => {
                let upper = part.trim().to_ascii_uppercase();
                upper.starts_with("UNTIL")
                    || upper.starts_with("COUNT")
                    || looks_like_an_end(&upper)
            }
            RecurError::Empty | RecurError::MissingFreq => true,
        }
    }
}

/// Within two edits (insert, delete, replace, swap of neighbours) of `want`: `UNTL`, `UNITL`,
/// `CUONT` are typos of UNTIL and COUNT.
fn close_to(key: &str, want: &str) -> bool {
    let (a, b) = (key.as_bytes(), want.as_bytes());
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    // Optimal string alignment distance; both strings are a handful of bytes.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()] <= 2
}

fn bad(key: &str, value: &str, why: &'static str) -> RecurError {
    RecurError::BadValue {
        key: key.to_string(),
        value: value.to_string(),
        why,
    }
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

fn parse_int_list(
    key: &str,
    value: &str,
    min: i32,
    max: i32,
    allow_negative: bool,
) -> Result<Vec<i32>, RecurError> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let n: i32 = item
            .strip_prefix('+')
            .unwrap_or(item)
            .parse()
            .map_err(|_| bad(key, item, "not an integer"))?;
        let ok = (min..=max).contains(&n) || (allow_negative && (-max..=-1).contains(&n));
        if !ok || (allow_negative && n == 0) {
            return Err(bad(key, item, "out of range"));
        }
        out.push(n);
    }
    if out.is_empty() {
        return Err(bad(key, value, "empty list"));
    }
    Ok(out)
}

fn parse_until(value: &str) -> Option<Until> {
    let v = value.trim();
    let (body, utc) = match v.strip_suffix(['Z', 'z']) {
        Some(b) => (b, true),
        None => (v, false),
    };
    if body.len() == 8 {
        return NaiveDate::parse_from_str(body, "%Y%m%d")
            .ok()
            .map(Until::Date);
    }
    let t = NaiveDateTime::parse_from_str(body, "%Y%m%dT%H%M%S").ok()?;
    Some(if utc {
        Until::Utc(t)
    } else {
        Until::Floating(t)
    })
}

impl RRule {
    /// Parses the text after `RRULE:`. Tolerant of case, spaces around values, empty parts
    /// (trailing `;`) and `X-` extension parts; strict about unknown keys so a typo such as
    /// `UNTL=` is reported instead of silently producing an endless series.
    pub fn parse(value: &str) -> Result<RRule, RecurError> {
        Self::read(value, false).map(|(rule, _)| rule)
    }

    /// [`RRule::parse`] for a damaged rule (`RRULE:RRULE:AnythingRandom;FREQ=WEEKLY;...`, seen in
    /// a Google export): the parts that cannot be read are skipped and returned, so the rule
    /// survives when its FREQ does (issue 15). A list keeps its readable items (`BYDAY=MO,XX` is
    /// `BYDAY=MO`); a BY part with none is skipped, its value then taken from DTSTART as RFC 5545
    /// 3.3.10 does for any missing part. What decides how many instances there are is never
    /// guessed: an unreadable UNTIL, COUNT or INTERVAL (or an unknown key that looks like UNTIL
    /// or COUNT, `UNTL=`) fails the rule, since skipping it would invent meetings.
    pub fn parse_lenient(value: &str) -> Result<(RRule, Vec<RecurError>), RecurError> {
        Self::read(value, true)
    }

    fn read(value: &str, lenient: bool) -> Result<(RRule, Vec<RecurError>), RecurError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(RecurError::Empty);
        }
        let mut rule = RRule {
            freq: Frequency::Daily,
            interval: 1,
            count: None,
            until: None,
            wkst: Weekday::Mon,
            by_second: Vec::new(),
            by_minute: Vec::new(),
            by_hour: Vec::new(),
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_year_day: Vec::new(),
            by_week_no: Vec::new(),
            by_month: Vec::new(),
            by_set_pos: Vec::new(),
        };
        let mut have_freq = false;
        let mut skipped = Vec::new();
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Err(e) = rule.apply(part, &mut have_freq) else {
                continue;
            };
            if !lenient || e.decides_the_count() {
                return Err(e);
            }
            if let RecurError::BadValue { key, .. } = &e {
                // A list with some readable items keeps them.
                let val = part.split_once('=').map_or("", |(_, v)| v);
                let good: Vec<&str> = val
                    .split(',')
                    .filter(|item| {
                        let mut probe = rule.clone();
                        probe.apply(&format!("{key}={item}"), &mut false).is_ok()
                    })
                    .collect();
                if !good.is_empty()
                    && rule
                        .apply(&format!("{key}={}", good.join(",")), &mut have_freq)
                        .is_ok()
                {
                    skipped.push(e);
                    continue;
                }
            }
            skipped.push(e);
        }
        if !have_freq {
            return Err(RecurError::MissingFreq);
        }
        Ok((rule, skipped))
    }

    /// Reads one `KEY=VALUE` part into the rule.
    fn apply(&mut self, part: &str, have_freq: &mut bool) -> Result<(), RecurError> {
        let rule = self;
        let (key, val) = part
            .split_once('=')
            .ok_or_else(|| RecurError::Malformed(part.to_string()))?;
        let key = key.trim().to_ascii_uppercase();
        let val = val.trim().to_ascii_uppercase();
        let unsigned = |v: Vec<i32>| v.into_iter().map(|n| n as u32).collect::<Vec<u32>>();
        match key.as_str() {
            "FREQ" => {
                rule.freq = match val.as_str() {
                    "SECONDLY" => Frequency::Secondly,
                    "MINUTELY" => Frequency::Minutely,
                    "HOURLY" => Frequency::Hourly,
                    "DAILY" => Frequency::Daily,
                    "WEEKLY" => Frequency::Weekly,
                    "MONTHLY" => Frequency::Monthly,
                    "YEARLY" => Frequency::Yearly,
                    _ => return Err(bad(&key, &val, "not a frequency")),
                };
                *have_freq = true;
            }
            "INTERVAL" => {
                // INTERVAL=0 is meaningless; read it as the default 1 rather than drop the
                // series.
                let n: u32 = val
                    .parse()
                    .map_err(|_| bad(&key, &val, "must be a positive integer"))?;
                rule.interval = n.max(1);
            }
            "COUNT" => {
                // A negative COUNT means "no count" to the writer of
                // recurring-ical-events/issue_128_only_first_event.ics (`COUNT=-1` next to
                // UNTIL); ignore it so UNTIL alone bounds the series.
                let n: i64 = val
                    .parse()
                    .map_err(|_| bad(&key, &val, "must be an integer"))?;
                rule.count = u32::try_from(n)
                    .ok()
                    .or(if n < 0 { None } else { Some(u32::MAX) });
            }
            "UNTIL" => {
                rule.until =
                    Some(parse_until(&val).ok_or_else(|| {
                        bad(&key, &val, "expected YYYYMMDD or YYYYMMDDTHHMMSS[Z]")
                    })?);
            }
            "WKST" => {
                rule.wkst = parse_weekday(&val).ok_or_else(|| bad(&key, &val, "not a weekday"))?;
            }
            "BYSECOND" => rule.by_second = unsigned(parse_int_list(&key, &val, 0, 60, false)?),
            "BYMINUTE" => rule.by_minute = unsigned(parse_int_list(&key, &val, 0, 59, false)?),
            "BYHOUR" => rule.by_hour = unsigned(parse_int_list(&key, &val, 0, 23, false)?),
            "BYMONTH" => rule.by_month = unsigned(parse_int_list(&key, &val, 1, 12, false)?),
            "BYMONTHDAY" => rule.by_month_day = parse_int_list(&key, &val, 1, 31, true)?,
            "BYYEARDAY" => rule.by_year_day = parse_int_list(&key, &val, 1, 366, true)?,
            "BYWEEKNO" => rule.by_week_no = parse_int_list(&key, &val, 1, 53, true)?,
            "BYSETPOS" => rule.by_set_pos = parse_int_list(&key, &val, 1, 366, true)?,
            "BYDAY" => {
                let mut days = Vec::new();
                for item in val.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    // The weekday is the last two characters; split on a character
                    // boundary, as feeds carry any UTF-8 here (`BYDAY=2M\u{fffd}`).
                    let split = item.char_indices().rev().nth(1).map_or(0, |(i, _)| i);
                    let (num, wd) = item.split_at(split);
                    let weekday =
                        parse_weekday(wd).ok_or_else(|| bad(&key, item, "not a weekday"))?;
                    let num = num.trim();
                    let n = if num.is_empty() {
                        0
                    } else {
                        num.strip_prefix('+')
                            .unwrap_or(num)
                            .parse::<i32>()
                            .ok()
                            .filter(|n| *n != 0 && (-53..=53).contains(n))
                            .ok_or_else(|| bad(&key, item, "bad ordinal"))?
                    };
                    days.push(NWeekday { n, weekday });
                }
                if days.is_empty() {
                    return Err(bad(&key, &val, "empty list"));
                }
                rule.by_day = days;
            }
            // RFC 7529: only the Gregorian scale exists here; SKIP has no effect on it
            // except for invalid dates, which are skipped anyway (SKIP=OMIT).
            "RSCALE" if val == "GREGORIAN" => {}
            "SKIP" if val == "OMIT" => {}
            k if k.starts_with("X-") => {}
            _ => return Err(RecurError::UnknownPart(key)),
        }
        Ok(())
    }
}

impl RRule {
    /// Whether the rule can repeat a DATE-valued DTSTART: FREQ=DAILY or coarser. See
    /// [`expand_all_day`].
    pub fn fits_all_day(&self) -> bool {
        self.freq >= Frequency::Daily
    }

    /// Whether `dtstart` is itself one of the rule's starts. RFC 5545 3.3.10 counts DTSTART as
    /// the first occurrence for COUNT even when the rule does not generate it; an engine that
    /// adds such a DTSTART to the set can expand with `count - 1` to honour that.
    pub fn matches_start(&self, dtstart: NaiveDateTime) -> bool {
        let Some(end) = dtstart.checked_add_signed(TimeDelta::seconds(1)) else {
            return false;
        };
        let probe = Limits {
            max_iterations: Limits::default().max_iterations,
        };
        let e = expand(self, dtstart, None, dtstart, end, &probe);
        e.starts.first() == Some(&dtstart)
    }
}

/// Work budget of one [`expand`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Upper bound on work units: one per period visited, per day examined and per candidate.
    pub max_iterations: u64,
}

impl Default for Limits {
    /// 500,000 units: a few milliseconds in a release build. Without COUNT only the window is
    /// walked, so this never cuts a normal rule; with COUNT it still covers a daily rule counted
    /// from 1,300 years back, an hourly one from 25 years back, or a yearly BYDAY rule scanning
    /// every day of 1,300 years.
    fn default() -> Self {
        Limits {
            max_iterations: 500_000,
        }
    }
}

/// The starts produced by [`expand`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expansion {
    pub starts: Vec<NaiveDateTime>,
    /// The budget ran out before the window (or the rule) ended: `starts` may be incomplete.
    pub budget_exhausted: bool,
}

/// Starts generated by `rule` anchored at `dtstart` that fall in [from, to), ascending.
/// `until_local` is UNTIL already converted to dtstart's wall clock (inclusive); when it is
/// `None` and the rule has an UNTIL, [`Until::as_wall_clock`] is used.
/// COUNT counts from dtstart. DTSTART itself is returned only if it matches the rule
/// (the engine adds DTSTART to the set itself, RFC 5545 3.8.5.3).
pub fn expand(
    rule: &RRule,
    dtstart: NaiveDateTime,
    until_local: Option<NaiveDateTime>,
    from: NaiveDateTime,
    to: NaiveDateTime,
    limits: &Limits,
) -> Expansion {
    let until = until_local.or_else(|| rule.until.map(|u| u.as_wall_clock()));
    let plan = Plan::new(rule, dtstart);
    let mut walk = Walk {
        plan: &plan,
        dtstart,
        until,
        from,
        to,
        remaining: rule.count,
        budget: limits.max_iterations,
        out: Expansion::default(),
        setpos_buf: Vec::new(),
        chosen_buf: Vec::new(),
    };
    if from < to && rule.count != Some(0) {
        walk.run();
    }
    walk.out
}

/// Like [`expand`] for an all-day series (DTSTART is a DATE): BYHOUR, BYMINUTE and BYSECOND
/// are ignored (RFC 5545 3.3.10) and the starts are midnights.
///
/// A sub-daily FREQ (HOURLY, MINUTELY, SECONDLY) yields no starts: its instances lie between
/// midnights, which a DATE cannot hold (RFC 5545 3.3.10 keeps instances of the DTSTART value
/// type), and truncating them to days would make INTERVAL and COUNT mean something the writer
/// did not say. Callers keep DTSTART itself and should warn; see [`RRule::fits_all_day`].
pub fn expand_all_day(
    rule: &RRule,
    dtstart: NaiveDate,
    until_local: Option<NaiveDateTime>,
    from: NaiveDateTime,
    to: NaiveDateTime,
    limits: &Limits,
) -> Expansion {
    if !rule.fits_all_day() {
        return Expansion::default();
    }
    let mut r = rule.clone();
    r.by_hour.clear();
    r.by_minute.clear();
    r.by_second.clear();
    expand(
        &r,
        dtstart.and_time(NaiveTime::MIN),
        until_local,
        from,
        to,
        limits,
    )
}

// ---------------------------------------------------------------------------------------------
// Expansion internals.

/// The rule with DTSTART's defaults filled in and lists turned into masks.
struct Plan {
    freq: Frequency,
    interval: i64,
    wkst: Weekday,
    /// Bit m set for month m (1..=12); 0 = any.
    months: u16,
    /// Bits 1..=31 for positive, bits 1..=31 for negative month days; both 0 = any.
    month_days_pos: u32,
    month_days_neg: u32,
    year_days: Vec<i32>,
    week_nos: Vec<i32>,
    /// Bit per weekday (Monday = 0) for BYDAY without ordinal.
    weekdays: u8,
    /// BYDAY entries with an ordinal (only for YEARLY and MONTHLY).
    nth: Vec<NWeekday>,
    /// Ordinals count within the month (MONTHLY, or YEARLY with BYMONTH) instead of the year.
    nth_in_month: bool,
    /// Time filters for the FREQ levels below the period (empty = any).
    hour_mask: u32,
    minute_mask: u64,
    second_mask: u64,
    /// Candidate times within a day (DAILY and coarser), sorted.
    day_times: Vec<NaiveTime>,
    /// Candidate (minute, second) pairs within an hour for HOURLY, sorted.
    hour_ms: Vec<(u32, u32)>,
    /// Candidate seconds within a minute for MINUTELY, sorted.
    minute_s: Vec<u32>,
    set_pos: Vec<i32>,
    /// YEARLY with BYWEEKNO walks week-numbering years.
    week_years: bool,
    has_day_filter: bool,
}

fn sorted_dedup(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v.dedup();
    v
}

fn mask32(v: &[u32]) -> u32 {
    v.iter().filter(|&&x| x < 32).fold(0, |m, &x| m | (1 << x))
}

fn mask64(v: &[u32]) -> u64 {
    v.iter().filter(|&&x| x < 64).fold(0, |m, &x| m | (1 << x))
}

impl Plan {
    fn new(rule: &RRule, dtstart: NaiveDateTime) -> Plan {
        use Frequency::*;
        let freq = rule.freq;
        let mut by_month = rule.by_month.clone();
        let mut by_month_day = rule.by_month_day.clone();
        let mut by_day = rule.by_day.clone();
        let no_day_parts = rule.by_week_no.is_empty()
            && rule.by_year_day.is_empty()
            && rule.by_month_day.is_empty()
            && rule.by_day.is_empty();
        // Day information the rule leaves out comes from DTSTART (RFC 5545 3.3.10).
        match freq {
            Yearly => {
                if no_day_parts {
                    if by_month.is_empty() {
                        by_month.push(dtstart.month());
                    }
                    by_month_day.push(dtstart.day() as i32);
                } else if !rule.by_month_day.is_empty()
                    && by_month.is_empty()
                    && rule.by_week_no.is_empty()
                    && rule.by_year_day.is_empty()
                    && rule.by_day.is_empty()
                {
                    // "FREQ=YEARLY;BYMONTHDAY=29": the month is DTSTART's (libical does the same).
                    by_month.push(dtstart.month());
                } else if !rule.by_week_no.is_empty()
                    && rule.by_day.is_empty()
                    && rule.by_month_day.is_empty()
                    && rule.by_year_day.is_empty()
                {
                    // "BYWEEKNO=20": the weekday is DTSTART's.
                    by_day.push(NWeekday {
                        n: 0,
                        weekday: dtstart.weekday(),
                    });
                }
            }
            Monthly if no_day_parts => by_month_day.push(dtstart.day() as i32),
            Weekly if no_day_parts => by_day.push(NWeekday {
                n: 0,
                weekday: dtstart.weekday(),
            }),
            _ => {}
        }
        let week_years = freq == Yearly && !rule.by_week_no.is_empty();
        let nth_allowed = (freq == Yearly && !week_years) || freq == Monthly;
        let mut weekdays = 0u8;
        let mut nth = Vec::new();
        for d in &by_day {
            if d.n != 0 && nth_allowed {
                nth.push(*d);
            } else {
                weekdays |= 1 << d.weekday.num_days_from_monday();
            }
        }
        let mut pos = 0u32;
        let mut neg = 0u32;
        for &d in &by_month_day {
            if d > 0 {
                pos |= 1 << d;
            } else {
                neg |= 1 << (-d);
            }
        }
        let months = by_month.iter().fold(0u16, |m, &x| m | (1 << x));

        let list_or = |v: &[u32], default: u32| {
            if v.is_empty() {
                vec![default]
            } else {
                sorted_dedup(v.to_vec())
            }
        };
        // Leap second 60 cannot be represented; it is dropped.
        let seconds: Vec<u32> = list_or(&rule.by_second, dtstart.second())
            .into_iter()
            .filter(|&s| s < 60)
            .collect();
        let minutes = list_or(&rule.by_minute, dtstart.minute());
        let hours = list_or(&rule.by_hour, dtstart.hour());
        let mut day_times = Vec::new();
        let mut hour_ms = Vec::new();
        if freq >= Daily {
            for &h in &hours {
                for &m in &minutes {
                    for &s in &seconds {
                        if let Some(t) = NaiveTime::from_hms_opt(h, m, s) {
                            day_times.push(t);
                        }
                    }
                }
            }
        }
        if freq == Hourly {
            for &m in &minutes {
                for &s in &seconds {
                    hour_ms.push((m, s));
                }
            }
        }
        let hour_mask = if freq <= Hourly {
            mask32(&rule.by_hour)
        } else {
            0
        };
        let minute_mask = if freq <= Minutely {
            mask64(&rule.by_minute)
        } else {
            0
        };
        let second_mask = if freq == Secondly {
            mask64(&rule.by_second)
        } else {
            0
        };
        let has_day_filter = months != 0
            || pos != 0
            || neg != 0
            || !rule.by_year_day.is_empty()
            || !rule.by_week_no.is_empty()
            || weekdays != 0
            || !nth.is_empty();
        Plan {
            freq,
            interval: i64::from(rule.interval.max(1)),
            wkst: rule.wkst,
            months,
            month_days_pos: pos,
            month_days_neg: neg,
            year_days: rule.by_year_day.clone(),
            week_nos: rule.by_week_no.clone(),
            weekdays,
            nth,
            nth_in_month: freq == Monthly || !rule.by_month.is_empty(),
            hour_mask,
            minute_mask,
            second_mask,
            day_times,
            hour_ms,
            minute_s: seconds,
            set_pos: rule.by_set_pos.clone(),
            week_years,
            has_day_filter,
        }
    }

    fn day_matches(&self, d: NaiveDate) -> bool {
        if !self.has_day_filter {
            return true;
        }
        if self.months != 0 && self.months & (1 << d.month()) == 0 {
            return false;
        }
        if (self.weekdays != 0 || !self.nth.is_empty()) && !self.weekday_matches(d) {
            return false;
        }
        if self.month_days_pos != 0 || self.month_days_neg != 0 {
            let len = days_in_month(d.year(), d.month());
            let neg = len + 1 - d.day();
            if self.month_days_pos & (1 << d.day()) == 0 && self.month_days_neg & (1 << neg) == 0 {
                return false;
            }
        }
        if !self.year_days.is_empty() {
            let ord = d.ordinal() as i32;
            let neg = ord - year_len(d.year()) as i32 - 1;
            if !self.year_days.iter().any(|&y| y == ord || y == neg) {
                return false;
            }
        }
        if !self.week_nos.is_empty() {
            match week_number(d, self.wkst) {
                Some((_, no, weeks)) => {
                    let neg = no - weeks - 1;
                    if !self.week_nos.iter().any(|&w| w == no || w == neg) {
                        return false;
                    }
                }
                None => return false,
            }
        }
        true
    }

    fn weekday_matches(&self, d: NaiveDate) -> bool {
        let wd = d.weekday();
        if self.weekdays & (1 << wd.num_days_from_monday()) != 0 {
            return true;
        }
        if self.nth.iter().all(|n| n.weekday != wd) {
            return false;
        }
        // Position of d among the same weekdays of its month or year, from both ends.
        let (index0, len) = if self.nth_in_month {
            (
                d.day() as i32 - 1,
                days_in_month(d.year(), d.month()) as i32,
            )
        } else {
            (d.ordinal0() as i32, year_len(d.year()) as i32)
        };
        let fwd = index0 / 7 + 1;
        let back = -((len - 1 - index0) / 7 + 1);
        self.nth
            .iter()
            .any(|n| n.weekday == wd && (n.n == fwd || n.n == back))
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn year_len(y: i32) -> u32 {
    if is_leap(y) {
        366
    } else {
        365
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

fn add_days(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    d.checked_add_signed(TimeDelta::try_days(n)?)
}

/// The first day of the week (starting on `wkst`) that holds `d`.
fn week_start(d: NaiveDate, wkst: Weekday) -> Option<NaiveDate> {
    let back = (d.weekday().num_days_from_monday() + 7 - wkst.num_days_from_monday()) % 7;
    add_days(d, -i64::from(back))
}

/// First day of week 1 of week-numbering year `y`: the week holding January 4th, which is the
/// first week with at least 4 days in `y` (RFC 5545 3.3.10, BYWEEKNO).
fn week1_start(y: i32, wkst: Weekday) -> Option<NaiveDate> {
    week_start(NaiveDate::from_ymd_opt(y, 1, 4)?, wkst)
}

/// (week-numbering year, week number, weeks in that year) of `d`.
fn week_number(d: NaiveDate, wkst: Weekday) -> Option<(i32, i32, i32)> {
    let ws = week_start(d, wkst)?;
    let y = add_days(ws, 3)?.year();
    let w1 = week1_start(y, wkst)?;
    let next = week1_start(y.checked_add(1)?, wkst)?;
    let no = ((ws - w1).num_days() / 7 + 1) as i32;
    let weeks = ((next - w1).num_days() / 7) as i32;
    Some((y, no, weeks))
}

fn month_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

fn month_from_index(i: i64) -> Option<NaiveDate> {
    let y = i32::try_from(i.div_euclid(12)).ok()?;
    NaiveDate::from_ymd_opt(y, (i.rem_euclid(12) + 1) as u32, 1)
}

enum Flow {
    Continue,
    Stop,
}

struct Walk<'a> {
    plan: &'a Plan,
    dtstart: NaiveDateTime,
    until: Option<NaiveDateTime>,
    from: NaiveDateTime,
    to: NaiveDateTime,
    remaining: Option<u32>,
    budget: u64,
    out: Expansion,
    setpos_buf: Vec<NaiveDateTime>,
    chosen_buf: Vec<NaiveDateTime>,
}

impl Walk<'_> {
    /// Charges `n` work units; false when the budget is spent.
    fn charge(&mut self, n: u64) -> bool {
        if self.budget < n {
            self.budget = 0;
            self.out.budget_exhausted = true;
            return false;
        }
        self.budget -= n;
        true
    }

    /// Whether a period starting at `start` can still produce anything.
    fn period_open(&self, start: NaiveDateTime) -> bool {
        start < self.to && self.until.is_none_or(|u| start <= u)
    }

    /// Candidates of one period arrive here in ascending order.
    fn emit(&mut self, c: NaiveDateTime) -> Flow {
        if c < self.dtstart {
            return Flow::Continue;
        }
        if self.until.is_some_and(|u| c > u) || c >= self.to {
            return Flow::Stop;
        }
        if let Some(r) = self.remaining.as_mut() {
            if *r == 0 {
                return Flow::Stop;
            }
            *r -= 1;
        }
        if c >= self.from {
            self.out.starts.push(c);
        }
        if self.remaining == Some(0) {
            return Flow::Stop;
        }
        Flow::Continue
    }

    /// Whether skipping periods before `from` is allowed (COUNT must count from DTSTART).
    fn may_skip(&self) -> bool {
        self.remaining.is_none() && self.from > self.dtstart
    }

    fn run(&mut self) {
        let _ = match self.plan.freq {
            Frequency::Yearly | Frequency::Monthly | Frequency::Weekly => self.run_days(),
            Frequency::Daily => self.run_daily(),
            _ => self.run_subdaily(),
        };
    }

    /// YEARLY, MONTHLY and WEEKLY: each period is a span of days.
    fn run_days(&mut self) -> Option<()> {
        let plan = self.plan;
        let step = plan.interval;
        let ds = self.dtstart.date();
        // Periods are numbered by an integer "unit": year, month index, or week start day.
        let unit_of = |d: NaiveDate| -> Option<i64> {
            Some(match plan.freq {
                Frequency::Yearly if plan.week_years => i64::from(week_number(d, plan.wkst)?.0),
                Frequency::Yearly => i64::from(d.year()),
                Frequency::Monthly => month_index(d),
                _ => i64::from(week_start(d, plan.wkst)?.num_days_from_ce()),
            })
        };
        let span = |unit: i64| -> Option<(NaiveDate, NaiveDate)> {
            Some(match plan.freq {
                Frequency::Yearly => {
                    let y = i32::try_from(unit).ok()?;
                    if plan.week_years {
                        (
                            week1_start(y, plan.wkst)?,
                            week1_start(y.checked_add(1)?, plan.wkst)?,
                        )
                    } else {
                        (
                            NaiveDate::from_ymd_opt(y, 1, 1)?,
                            NaiveDate::from_ymd_opt(y.checked_add(1)?, 1, 1)?,
                        )
                    }
                }
                Frequency::Monthly => (month_from_index(unit)?, month_from_index(unit + 1)?),
                _ => {
                    let start = NaiveDate::from_num_days_from_ce_opt(i32::try_from(unit).ok()?)?;
                    (start, add_days(start, 7)?)
                }
            })
        };
        let unit_step = if matches!(plan.freq, Frequency::Weekly) {
            7 * step
        } else {
            step
        };
        let first = unit_of(ds)?;
        let mut unit = first;
        if self.may_skip() {
            let target = unit_of(self.from.date())?;
            if target > first {
                let diff = target - first;
                unit = first + (diff / unit_step) * unit_step;
            }
        }
        let setpos = !plan.set_pos.is_empty();
        loop {
            let (start, end) = span(unit)?;
            if !self.period_open(start.and_time(NaiveTime::MIN)) {
                return Some(());
            }
            if !self.charge(1) {
                return Some(());
            }
            self.setpos_buf.clear();
            let mut d = start;
            while d < end {
                if !self.charge(1) {
                    return Some(());
                }
                if plan.months != 0 && plan.months & (1 << d.month()) == 0 {
                    // Whole month filtered out: go to its end instead of testing each day.
                    d = month_from_index(month_index(d) + 1)?;
                    continue;
                }
                if plan.day_matches(d) {
                    if !self.charge(plan.day_times.len() as u64) {
                        return Some(());
                    }
                    for i in 0..plan.day_times.len() {
                        let c = d.and_time(plan.day_times[i]);
                        if setpos {
                            self.setpos_buf.push(c);
                        } else if let Flow::Stop = self.emit(c) {
                            return Some(());
                        }
                    }
                }
                d = d.succ_opt()?;
            }
            if setpos && self.flush_setpos() {
                return Some(());
            }
            unit = unit.checked_add(unit_step)?;
        }
    }

    /// Applies BYSETPOS to the collected period and emits the chosen ones; true = stop.
    fn flush_setpos(&mut self) -> bool {
        let mut buf = std::mem::take(&mut self.setpos_buf);
        let mut chosen = std::mem::take(&mut self.chosen_buf);
        chosen.clear();
        let len = buf.len() as i64;
        for &p in &self.plan.set_pos {
            let idx = if p > 0 {
                i64::from(p) - 1
            } else {
                len + i64::from(p)
            };
            if (0..len).contains(&idx) {
                chosen.push(buf[idx as usize]);
            }
        }
        chosen.sort_unstable();
        chosen.dedup();
        let mut stop = false;
        for &c in &chosen {
            if let Flow::Stop = self.emit(c) {
                stop = true;
                break;
            }
        }
        buf.clear();
        self.setpos_buf = buf;
        self.chosen_buf = chosen;
        stop
    }

    /// DAILY: one day per period; a day outside BYMONTH jumps to the next month.
    fn run_daily(&mut self) -> Option<()> {
        let plan = self.plan;
        let step = plan.interval;
        let mut d = self.dtstart.date();
        if self.may_skip() && self.from.date() > d {
            let diff = (self.from.date() - d).num_days();
            d = add_days(d, diff / step * step)?;
        }
        let setpos = !plan.set_pos.is_empty();
        loop {
            if !self.period_open(d.and_time(NaiveTime::MIN)) {
                return Some(());
            }
            if !self.charge(1) {
                return Some(());
            }
            if plan.day_matches(d) {
                if !self.charge(plan.day_times.len() as u64) {
                    return Some(());
                }
                self.setpos_buf.clear();
                for i in 0..plan.day_times.len() {
                    let c = d.and_time(plan.day_times[i]);
                    if setpos {
                        self.setpos_buf.push(c);
                    } else if let Flow::Stop = self.emit(c) {
                        return Some(());
                    }
                }
                if setpos && self.flush_setpos() {
                    return Some(());
                }
                d = add_days(d, step)?;
            } else if plan.months != 0 && plan.months & (1 << d.month()) == 0 {
                let next = month_from_index(month_index(d) + 1)?;
                let gap = (next - d).num_days();
                d = add_days(d, (gap + step - 1) / step * step)?;
            } else {
                d = add_days(d, step)?;
            }
        }
    }

    /// HOURLY, MINUTELY, SECONDLY: the period is one hour/minute/second; a failing day, hour or
    /// minute jumps to the first aligned period after it instead of stepping through it.
    fn run_subdaily(&mut self) -> Option<()> {
        let plan = self.plan;
        let unit_secs: i64 = match plan.freq {
            Frequency::Hourly => 3600,
            Frequency::Minutely => 60,
            _ => 1,
        };
        let step = unit_secs.checked_mul(plan.interval)?;
        let ds = self.dtstart;
        let mut t = match plan.freq {
            Frequency::Hourly => ds.date().and_hms_opt(ds.hour(), 0, 0)?,
            Frequency::Minutely => ds.date().and_hms_opt(ds.hour(), ds.minute(), 0)?,
            _ => ds,
        };
        if self.may_skip() && self.from > t {
            let diff = (self.from - t).num_seconds();
            t = t.checked_add_signed(TimeDelta::try_seconds(diff / step * step)?)?;
        }
        let setpos = !plan.set_pos.is_empty();
        loop {
            if !self.period_open(t) || !self.charge(1) {
                return Some(());
            }
            // The first boundary to jump past when this period is filtered out.
            let boundary = if !plan.day_matches(t.date()) {
                Some(t.date().succ_opt()?.and_time(NaiveTime::MIN))
            } else if plan.hour_mask != 0 && plan.hour_mask & (1 << t.hour()) == 0 {
                Some(
                    t.date()
                        .and_hms_opt(t.hour(), 0, 0)?
                        .checked_add_signed(TimeDelta::hours(1))?,
                )
            } else if plan.minute_mask != 0 && plan.minute_mask & (1 << t.minute()) == 0 {
                Some(
                    t.date()
                        .and_hms_opt(t.hour(), t.minute(), 0)?
                        .checked_add_signed(TimeDelta::minutes(1))?,
                )
            } else if plan.second_mask != 0 && plan.second_mask & (1 << t.second()) == 0 {
                Some(t.checked_add_signed(TimeDelta::seconds(1))?)
            } else {
                None
            };
            if let Some(b) = boundary {
                let gap = (b - t).num_seconds().max(1);
                let k = (gap + step - 1) / step;
                t = t.checked_add_signed(TimeDelta::try_seconds(k.checked_mul(step)?)?)?;
                continue;
            }
            self.setpos_buf.clear();
            match plan.freq {
                Frequency::Hourly => {
                    if !self.charge(plan.hour_ms.len() as u64) {
                        return Some(());
                    }
                    for i in 0..plan.hour_ms.len() {
                        let (m, s) = plan.hour_ms[i];
                        let c = t.date().and_hms_opt(t.hour(), m, s)?;
                        if setpos {
                            self.setpos_buf.push(c);
                        } else if let Flow::Stop = self.emit(c) {
                            return Some(());
                        }
                    }
                }
                Frequency::Minutely => {
                    if !self.charge(plan.minute_s.len() as u64) {
                        return Some(());
                    }
                    for i in 0..plan.minute_s.len() {
                        let c = t
                            .date()
                            .and_hms_opt(t.hour(), t.minute(), plan.minute_s[i])?;
                        if setpos {
                            self.setpos_buf.push(c);
                        } else if let Flow::Stop = self.emit(c) {
                            return Some(());
                        }
                    }
                }
                _ => {
                    if setpos {
                        self.setpos_buf.push(t);
                    } else if let Flow::Stop = self.emit(t) {
                        return Some(());
                    }
                }
            }
            if setpos && self.flush_setpos() {
                return Some(());
            }
            t = t.checked_add_signed(TimeDelta::try_seconds(step)?)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap()
    }

    fn fmt(v: &[NaiveDateTime]) -> Vec<String> {
        v.iter()
            .map(|t| t.format("%Y%m%dT%H%M%S").to_string())
            .collect()
    }

    /// Everything the rule generates from `start` up to year 2100.
    fn all(rule: &str, start: &str) -> Vec<String> {
        let r = RRule::parse(rule).unwrap();
        let e = expand(
            &r,
            dt(start),
            None,
            dt(start),
            dt("21000101T000000"),
            &Limits::default(),
        );
        assert!(!e.budget_exhausted, "{rule}");
        fmt(&e.starts)
    }

    #[test]
    fn parse_is_tolerant_of_case_spaces_and_extensions() {
        let r = RRule::parse(" freq=weekly; byday=MO, tu ;X-NAME=foo;wkst=su;").unwrap();
        assert_eq!(r.freq, Frequency::Weekly);
        assert_eq!(r.wkst, Weekday::Sun);
        assert_eq!(
            r.by_day,
            vec![
                NWeekday {
                    n: 0,
                    weekday: Weekday::Mon
                },
                NWeekday {
                    n: 0,
                    weekday: Weekday::Tue
                }
            ]
        );
        let r = RRule::parse("FREQ=MONTHLY;BYDAY=-1SU,+2MO").unwrap();
        assert_eq!(
            r.by_day[0],
            NWeekday {
                n: -1,
                weekday: Weekday::Sun
            }
        );
        assert_eq!(
            r.by_day[1],
            NWeekday {
                n: 2,
                weekday: Weekday::Mon
            }
        );
    }

    #[test]
    fn parse_reads_writer_mistakes_leniently() {
        // COUNT=-1 next to UNTIL (issue_128_only_first_event.ics): no count.
        let r = RRule::parse("FREQ=WEEKLY;UNTIL=20240331;COUNT=-1;INTERVAL=4;BYDAY=MO").unwrap();
        assert_eq!(r.count, None);
        assert_eq!(r.interval, 4);
        assert_eq!(RRule::parse("FREQ=DAILY;INTERVAL=0").unwrap().interval, 1);
        assert_eq!(
            RRule::parse("FREQ=DAILY;COUNT=99999999999").unwrap().count,
            Some(u32::MAX)
        );
    }

    #[test]
    fn parse_until_forms() {
        let date = RRule::parse("FREQ=DAILY;UNTIL=20261231").unwrap();
        assert_eq!(
            date.until,
            Some(Until::Date(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()))
        );
        assert_eq!(date.until.unwrap().as_wall_clock(), dt("20261231T235959"));
        let floating = RRule::parse("FREQ=DAILY;UNTIL=20261231T100000").unwrap();
        assert_eq!(floating.until, Some(Until::Floating(dt("20261231T100000"))));
        let utc = RRule::parse("FREQ=DAILY;UNTIL=20261231T100000Z").unwrap();
        assert_eq!(utc.until, Some(Until::Utc(dt("20261231T100000"))));
    }

    #[test]
    fn parse_errors_name_the_part() {
        assert_eq!(RRule::parse("  "), Err(RecurError::Empty));
        assert_eq!(RRule::parse("COUNT=3"), Err(RecurError::MissingFreq));
        let e = RRule::parse("FREQ=DAILY;UNTL=20260101").unwrap_err();
        assert!(e.to_string().contains("UNTL"), "{e}");
        let e = RRule::parse("FREQ=DAILY;BYDAY=XX").unwrap_err();
        assert!(e.to_string().contains("BYDAY"), "{e}");
        let e = RRule::parse("FREQ=DAILY;BYMONTH=13").unwrap_err();
        assert!(e.to_string().contains("BYMONTH"), "{e}");
        let e = RRule::parse("FREQ=DAILY;INTERVAL=x").unwrap_err();
        assert!(e.to_string().contains("INTERVAL"), "{e}");
        let e = RRule::parse("FREQ=FORTNIGHTLY").unwrap_err();
        assert!(e.to_string().contains("FORTNIGHTLY"), "{e}");
        assert!(matches!(
            RRule::parse("FREQ=DAILY;COUNT"),
            Err(RecurError::Malformed(_))
        ));
    }

    #[test]
    fn lenient_parse_keeps_what_can_be_read() {
        // Issue 15: the Google export that wrote the rule's name twice.
        let (r, skipped) =
            RRule::parse_lenient("RRULE:AnythingRandom;FREQ=WEEKLY;BYDAY=WE;COUNT=3").unwrap();
        assert_eq!((r.freq, r.count), (Frequency::Weekly, Some(3)));
        assert_eq!(r.by_day.len(), 1);
        assert_eq!(
            skipped,
            [RecurError::Malformed("RRULE:AnythingRandom".into())]
        );
        // A list keeps its readable items; a BY part with none is skipped.
        let (r, skipped) = RRule::parse_lenient("FREQ=WEEKLY;BYDAY=MO,XX,FR;BYMONTH=13").unwrap();
        let days: Vec<Weekday> = r.by_day.iter().map(|d| d.weekday).collect();
        assert_eq!(days, [Weekday::Mon, Weekday::Fri]);
        assert!(r.by_month.is_empty());
        assert_eq!(skipped.len(), 2);
        // Unknown parts and a bad WKST are skipped.
        let (r, _) = RRule::parse_lenient("FREQ=DAILY;FOO=1;WKST=XX;INTERVAL=2").unwrap();
        assert_eq!((r.interval, r.wkst), (2, Weekday::Mon));
        // What decides the number of instances is never guessed.
        for bad in [
            "FREQ=DAILY;UNTIL=tomorrow",
            "FREQ=DAILY;COUNT=many",
            "FREQ=WEEKLY;INTERVAL=x",
            "FREQ=WEEKLY;UNTL=20191023",
            "FREQ=WEEKLY;CUONT=5",
            "FREQ=WEEKLY;COUNT5",
            "RRULE:AnythingRandom;BYDAY=MO",
            "FREQ=FORTNIGHTLY",
        ] {
            assert!(RRule::parse_lenient(bad).is_err(), "{bad}");
        }
        // A rule the strict reader takes is read the same.
        let text = "FREQ=MONTHLY;BYDAY=-1SU;COUNT=4;X-NAME=1";
        assert_eq!(
            RRule::parse_lenient(text).unwrap(),
            (RRule::parse(text).unwrap(), vec![])
        );
    }

    #[test]
    fn by_second_minute_hour() {
        assert_eq!(
            all(
                "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=30;BYSECOND=5;COUNT=3",
                "20260101T093005"
            ),
            ["20260101T093005", "20260101T173005", "20260102T093005"]
        );
        assert_eq!(
            all(
                "FREQ=MINUTELY;BYHOUR=10;BYMINUTE=0,59;COUNT=3",
                "20260101T095900"
            ),
            ["20260101T100000", "20260101T105900", "20260102T100000"]
        );
    }

    #[test]
    fn by_day_with_ordinals() {
        // Last Sunday and second Monday of each month.
        assert_eq!(
            all("FREQ=MONTHLY;BYDAY=-1SU,2MO;COUNT=4", "20260101T100000"),
            [
                "20260112T100000",
                "20260125T100000",
                "20260209T100000",
                "20260222T100000"
            ]
        );
        // Ordinal within the year without BYMONTH, within the month with it.
        assert_eq!(
            all("FREQ=YEARLY;BYDAY=-1FR;COUNT=1", "20260101T100000"),
            ["20261225T100000"]
        );
        assert_eq!(
            all(
                "FREQ=YEARLY;BYMONTH=3;BYDAY=-1FR;COUNT=1",
                "20260101T100000"
            ),
            ["20260327T100000"]
        );
    }

    #[test]
    fn by_month_day_negative_and_invalid_dates_skipped() {
        assert_eq!(
            all("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", "20260101T080000"),
            ["20260131T080000", "20260228T080000", "20260331T080000"]
        );
        // The 30th: February has none and is skipped, not moved (RFC 5545 3.3.10).
        assert_eq!(
            all("FREQ=MONTHLY;BYMONTHDAY=30;COUNT=3", "20260130T080000"),
            ["20260130T080000", "20260330T080000", "20260430T080000"]
        );
        // Feb 29 yearly: leap years only.
        assert_eq!(
            all("FREQ=YEARLY;COUNT=2", "20240229T080000"),
            ["20240229T080000", "20280229T080000"]
        );
    }

    #[test]
    fn by_year_day() {
        assert_eq!(
            all("FREQ=YEARLY;BYYEARDAY=1,-1;COUNT=3", "20260101T000000"),
            ["20260101T000000", "20261231T000000", "20270101T000000"]
        );
    }

    #[test]
    fn by_week_no_uses_week_years_and_wkst() {
        // Week 1 of 2026 starts Monday 2025-12-29 (ISO); with WKST=SU it starts 2026-01-04.
        assert_eq!(
            all("FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO;COUNT=1", "20251201T090000"),
            ["20251229T090000"]
        );
        assert_eq!(
            all(
                "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO;WKST=SU;COUNT=1",
                "20251201T090000"
            ),
            ["20260105T090000"]
        );
        // Last ISO week: 2026 has 53 weeks (it starts on a Thursday).
        assert_eq!(
            all(
                "FREQ=YEARLY;BYWEEKNO=-1;BYDAY=TH;COUNT=2",
                "20260101T090000"
            ),
            ["20261231T090000", "20271230T090000"]
        );
    }

    #[test]
    fn by_month_and_set_pos() {
        // Last weekday of the month.
        assert_eq!(
            all(
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3",
                "20260101T090000"
            ),
            ["20260130T090000", "20260227T090000", "20260331T090000"]
        );
        assert_eq!(
            all("FREQ=YEARLY;BYMONTH=2,8;COUNT=3", "20260110T090000"),
            ["20260210T090000", "20260810T090000", "20270210T090000"]
        );
    }

    #[test]
    fn weekly_interval_depends_on_wkst() {
        // RFC 5545 3.3.10 example: WKST changes which weeks an INTERVAL=2 rule lands in.
        assert_eq!(
            all(
                "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
                "19970805T090000"
            ),
            [
                "19970805T090000",
                "19970810T090000",
                "19970819T090000",
                "19970824T090000"
            ]
        );
        assert_eq!(
            all(
                "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
                "19970805T090000"
            ),
            [
                "19970805T090000",
                "19970817T090000",
                "19970819T090000",
                "19970831T090000"
            ]
        );
    }

    #[test]
    fn until_is_inclusive_and_dtstart_only_when_matching() {
        assert_eq!(
            all("FREQ=DAILY;UNTIL=20260103T090000", "20260101T090000"),
            ["20260101T090000", "20260102T090000", "20260103T090000"]
        );
        // DTSTART on a Wednesday does not match BYDAY=MO: the engine adds it, not us.
        assert_eq!(
            all("FREQ=WEEKLY;BYDAY=MO;COUNT=1", "20260107T090000"),
            ["20260112T090000"]
        );
        // UNTIL before DTSTART: nothing.
        assert!(all("FREQ=DAILY;UNTIL=20250101", "20260101T090000").is_empty());
    }

    #[test]
    fn matches_start_tells_whether_dtstart_is_generated() {
        let r = RRule::parse("FREQ=WEEKLY;BYDAY=TH;COUNT=6").unwrap();
        assert!(!r.matches_start(dt("20020402T114500")));
        assert!(r.matches_start(dt("20020404T114500")));
    }

    #[test]
    fn skip_ahead_matches_walk_and_count_counts_from_dtstart() {
        let r = RRule::parse("FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR").unwrap();
        let start = dt("20000103T090000");
        let (from, to) = (dt("20261101T000000"), dt("20261201T000000"));
        let windowed = expand(&r, start, None, from, to, &Limits::default());
        let walked: Vec<_> = expand(&r, start, None, start, to, &Limits::default())
            .starts
            .into_iter()
            .filter(|t| *t >= from)
            .collect();
        assert_eq!(windowed.starts, walked);
        assert!(!windowed.starts.is_empty());
        let counted = RRule::parse("FREQ=DAILY;COUNT=10").unwrap();
        let e = expand(
            &counted,
            dt("20260101T090000"),
            None,
            dt("20260108T000000"),
            dt("20270101T000000"),
            &Limits::default(),
        );
        assert_eq!(
            fmt(&e.starts),
            ["20260108T090000", "20260109T090000", "20260110T090000"]
        );
    }

    #[test]
    fn hostile_rules_are_bounded() {
        let limits = Limits::default();
        let start = dt("00010101T000000");
        let end = dt("99991231T235959");
        // SECONDLY without end over 10,000 years: budget, not a hang.
        let r = RRule::parse("FREQ=SECONDLY").unwrap();
        let e = expand(&r, start, None, start, end, &limits);
        assert!(e.budget_exhausted);
        let r = RRule::parse("FREQ=SECONDLY;COUNT=2147483647").unwrap();
        let e = expand(&r, start, None, dt("20260101T000000"), end, &limits);
        assert!(e.budget_exhausted && e.starts.is_empty());
        // Never matches: ends at `to` without running out.
        let r = RRule::parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31").unwrap();
        let e = expand(&r, start, None, start, end, &limits);
        assert!(e.starts.is_empty() && !e.budget_exhausted);
        let r = RRule::parse("FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30;COUNT=5").unwrap();
        let e = expand(&r, start, None, start, end, &limits);
        assert!(e.starts.is_empty());
        // Extremes of BYSETPOS / BYWEEKNO and the ends of the calendar.
        let r = RRule::parse("FREQ=YEARLY;BYWEEKNO=53,-53;BYSETPOS=366,-366;BYDAY=MO").unwrap();
        let _ = expand(&r, start, None, start, end, &limits);
        let r = RRule::parse("FREQ=DAILY;INTERVAL=4294967295").unwrap();
        let _ = expand(&r, dt("99991231T000000"), None, start, end, &limits);
        let r = RRule::parse("FREQ=HOURLY;INTERVAL=4294967295").unwrap();
        let _ = expand(&r, dt("99991231T230000"), None, start, end, &limits);
        let max = NaiveDateTime::MAX;
        for rule in [
            "FREQ=SECONDLY;BYMINUTE=0",
            "FREQ=MINUTELY;BYHOUR=0",
            "FREQ=HOURLY;BYMONTH=1",
        ] {
            let r = RRule::parse(rule).unwrap();
            let late = max - TimeDelta::minutes(30);
            let _ = expand(&r, late, None, late, max, &limits);
        }
        let r = RRule::parse("FREQ=MONTHLY;BYDAY=-1SU").unwrap();
        let e = expand(&r, dt("99991201T000000"), None, start, max, &limits);
        assert!(!e.starts.is_empty());
        let e = expand(
            &r,
            NaiveDateTime::MIN,
            None,
            NaiveDateTime::MIN,
            max,
            &limits,
        );
        assert!(e.budget_exhausted);
    }

    fn arb_rule() -> impl Strategy<Value = String> {
        let freq = prop::sample::select(vec![
            "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
        ]);
        let parts = prop::collection::vec(
            prop::sample::select(vec![
                "BYDAY=MO,WE",
                "BYDAY=-1FR,2TU",
                "BYMONTHDAY=1,-1,15",
                "BYMONTH=2,11",
                "BYHOUR=8,20",
                "BYMINUTE=0,30",
                "BYSECOND=0",
                "BYSETPOS=1,-1",
                "BYWEEKNO=1,-1,20",
                "BYYEARDAY=1,100,-1",
                "WKST=SU",
                "COUNT=7",
                "UNTIL=20250601T000000",
                "UNTIL=20250301",
            ]),
            0..4,
        );
        (freq, 1u32..5, parts).prop_map(|(f, i, p)| {
            let mut s = format!("FREQ={f};INTERVAL={i}");
            for part in p {
                s.push(';');
                s.push_str(part);
            }
            s
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn windows_are_sorted_unique_inside_and_split_cleanly(
            rule in arb_rule(),
            start_min in 0i64..(60 * 24 * 365 * 3),
            a_off in 0i64..(60 * 24 * 400 * 3),
            len1 in 0i64..(60 * 24 * 60),
            len2 in 0i64..(60 * 24 * 60),
        ) {
            let r = RRule::parse(&rule).unwrap();
            let base = dt("20240101T000000");
            let start = base + TimeDelta::minutes(start_min);
            let a = base + TimeDelta::minutes(a_off);
            let b = a + TimeDelta::minutes(len1);
            let c = b + TimeDelta::minutes(len2);
            let limits = Limits::default();
            let whole = expand(&r, start, None, a, c, &limits);
            prop_assume!(!whole.budget_exhausted);
            let left = expand(&r, start, None, a, b, &limits);
            let right = expand(&r, start, None, b, c, &limits);
            for w in whole.starts.windows(2) {
                prop_assert!(w[0] < w[1]);
            }
            for t in &whole.starts {
                prop_assert!(*t >= a && *t < c && *t >= start);
            }
            let mut joined = left.starts.clone();
            joined.extend(right.starts.iter().copied());
            prop_assert_eq!(joined, whole.starts);
        }
    }
}
