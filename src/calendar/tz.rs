//! Time zones: resolving a TZID to a [`Zone`] and evaluating it.
//!
//! A TZID in a real feed is an IANA name (sometimes in the wrong case), a Windows name (Exchange,
//! Outlook: `W. Europe Standard Time`, `... 1`, or a display name
//! `(UTC+01:00) Amsterdam, Berlin, ...`), a vendor-prefixed IANA name
//! (`/freeassociation.sourceforge.net/Tzfile/Europe/London`, `/mozilla.org/20050126_1/...`), or a
//! made-up name (`Customized Time Zone`, `US-Eastern`, `Europe_Berlin`) whose only meaning is the
//! VTIMEZONE in the same file. [`ZoneResolver`] tries them in that spirit; everything here is pure
//! except [`local_zone`], which reads the environment and `/etc`.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use windows_timezones::WindowsTimezone;

use super::recur;

/// Whether an observance is the STANDARD or the DAYLIGHT part of a VTIMEZONE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObservanceKind {
    Standard,
    Daylight,
}

/// One STANDARD or DAYLIGHT sub-component of a VTIMEZONE, as the ICS parser read it.
///
/// `dtstart` and `rdates` are local wall times in the observance's `offset_from` (RFC 5545
/// 3.6.5). A value written in UTC (`...Z`, seen in the wild) should be converted by the parser
/// with [`utc_to_wall`]; a DATE value (`RDATE;VALUE=DATE:19800101`) becomes its midnight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observance {
    pub kind: ObservanceKind,
    pub dtstart: NaiveDateTime,
    /// TZOFFSETFROM in seconds east of UTC.
    pub offset_from: i32,
    /// TZOFFSETTO in seconds east of UTC.
    pub offset_to: i32,
    /// The raw RRULE value (`FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU`), if any.
    pub rrule: Option<String>,
    pub rdates: Vec<NaiveDateTime>,
    pub name: Option<String>,
}

/// A VTIMEZONE component of a calendar file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VTimezone {
    pub tzid: String,
    pub observances: Vec<Observance>,
}

/// Converts a UTC time written in a VTIMEZONE (`RDATE:19900101T070000Z`) to the wall time in
/// `offset_from` that [`Observance`] expects.
pub fn utc_to_wall(utc: NaiveDateTime, offset_from: i32) -> NaiveDateTime {
    shift(utc, i64::from(offset_from))
}

/// Adds seconds, saturating at chrono's range instead of panicking on absurd dates.
fn shift(t: NaiveDateTime, secs: i64) -> NaiveDateTime {
    t.checked_add_signed(Duration::seconds(secs))
        .unwrap_or(if secs < 0 {
            NaiveDateTime::MIN
        } else {
            NaiveDateTime::MAX
        })
}

/// A time zone that can be evaluated. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Zone {
    Utc,
    Iana(Tz),
    Fixed(FixedOffset),
    /// Rules from a VTIMEZONE in the file, precomputed into a transition table.
    Custom(Arc<CustomZone>),
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        match (self, other) {
            (Zone::Utc, Zone::Utc) => true,
            (Zone::Iana(a), Zone::Iana(b)) => a == b,
            (Zone::Fixed(a), Zone::Fixed(b)) => a == b,
            (Zone::Custom(a), Zone::Custom(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => false,
        }
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone::Utc
    }

    /// The UTC offset in effect at an instant.
    pub fn offset_at(&self, utc: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Utc => utc_offset(),
            Zone::Iana(tz) => tz.offset_from_utc_datetime(&utc.naive_utc()).fix(),
            Zone::Fixed(off) => *off,
            Zone::Custom(custom) => fixed(custom.offset_at_secs(utc.timestamp())),
        }
    }

    /// Local wall time -> instant. In a DST gap: use the offset from before the gap.
    /// Ambiguous (fold): the first occurrence (RFC 5545 3.3.5).
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self {
            Zone::Utc => local.and_utc(),
            Zone::Fixed(off) => minus_offset(local, off.local_minus_utc()),
            Zone::Custom(custom) => {
                let off = custom.offset_for_local_secs(local.and_utc().timestamp());
                minus_offset(local, off)
            }
            Zone::Iana(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(dt) => dt.with_timezone(&Utc),
                LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
                LocalResult::None => {
                    // The gap starts after an instant at most 14 h (the largest offset) before
                    // `local` read as UTC; 36 h earlier is safely before it and, with real
                    // zones, after the previous transition.
                    let probe = shift(local, -36 * 3600);
                    let before = tz.offset_from_utc_datetime(&probe).fix();
                    minus_offset(local, before.local_minus_utc())
                }
            },
        }
    }

    /// The IANA name for the JSON `tz` key; `None` for fixed offsets and file-defined rules.
    pub fn iana_name(&self) -> Option<&str> {
        match self {
            Zone::Utc => Some("UTC"),
            Zone::Iana(tz) => Some(tz.name()),
            Zone::Fixed(_) | Zone::Custom(_) => None,
        }
    }

    /// The local wall time of an instant in this zone.
    pub fn to_local(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        shift(
            utc.naive_utc(),
            i64::from(self.offset_at(utc).local_minus_utc()),
        )
    }
}

fn utc_offset() -> FixedOffset {
    FixedOffset::east_opt(0).expect("zero offset is valid")
}

/// Offsets here are validated to |x| < 24 h before they are stored, so this never fails; it still
/// degrades to UTC rather than panicking.
fn fixed(secs: i32) -> FixedOffset {
    FixedOffset::east_opt(secs).unwrap_or_else(utc_offset)
}

fn minus_offset(local: NaiveDateTime, offset_secs: i32) -> DateTime<Utc> {
    shift(local, -i64::from(offset_secs)).and_utc()
}

/// One change of offset, at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Transition {
    /// Seconds since the epoch (UTC).
    at: i64,
    before: i32,
    after: i32,
}

/// A zone defined by a VTIMEZONE: its observances expanded into a sorted transition table, so
/// each lookup is one binary search.
#[derive(Debug, PartialEq, Eq)]
pub struct CustomZone {
    tzid: String,
    /// Offset before the first transition.
    initial: i32,
    transitions: Vec<Transition>,
    /// The year of the latest usable DTSTART: where the file's rules are meant to hold.
    latest_dtstart_year: i32,
}

/// Absurd offsets are rejected: chrono's `FixedOffset` holds less than a day either way.
const MAX_OFFSET_SECS: i32 = 24 * 3600;
/// Observance onsets are computed up to this year; the last offset holds afterwards.
const HORIZON_YEAR: i32 = 2200;
/// Bounds the work for hostile VTIMEZONEs (thousands of observances, daily rules).
const MAX_OBSERVANCES: usize = 1000;
const MAX_ONSETS_PER_OBSERVANCE: usize = 2000;
/// Work units (see [`recur::Limits`]) per observance RRULE: a yearly BYDAY rule over 1900-2200
/// needs about 10,000.
const OBSERVANCE_BUDGET: u64 = 30_000;
/// Observances whose RRULE is expanded; real zones have a handful (tzurl's full histories a few
/// dozen). Beyond this only DTSTART and RDATE count.
const MAX_RULED_OBSERVANCES: usize = 100;
const MAX_TRANSITIONS: usize = 20_000;

impl CustomZone {
    /// Builds the transition table. `None` when no observance is usable; warnings describe what
    /// was skipped.
    pub fn from_vtimezone(vtz: &VTimezone, warnings: &mut Vec<String>) -> Option<CustomZone> {
        let tzid = &vtz.tzid;
        // (utc instant, offset_from, offset_to)
        let mut onsets: Vec<(i64, i32, i32)> = Vec::new();
        if vtz.observances.len() > MAX_OBSERVANCES {
            warnings.push(format!(
                "VTIMEZONE {tzid:?} has {} STANDARD/DAYLIGHT parts; only the first \
                 {MAX_OBSERVANCES} are used",
                vtz.observances.len()
            ));
        }
        let mut truncated = false;
        let mut latest_dtstart_year = i32::MIN;
        let mut ruled = 0usize;
        for obs in vtz.observances.iter().take(MAX_OBSERVANCES) {
            if obs.offset_from.abs() >= MAX_OFFSET_SECS || obs.offset_to.abs() >= MAX_OFFSET_SECS {
                warnings.push(format!(
                    "VTIMEZONE {tzid:?}: offset {} -> {} seconds is not a real UTC offset \
                     (must be under 24 hours); that STANDARD/DAYLIGHT part is ignored",
                    obs.offset_from, obs.offset_to
                ));
                continue;
            }
            latest_dtstart_year = latest_dtstart_year.max(obs.dtstart.year());
            let mut starts = vec![obs.dtstart];
            if let Some(rule) = obs.rrule.as_deref() {
                ruled += 1;
                if ruled > MAX_RULED_OBSERVANCES {
                    if ruled == MAX_RULED_OBSERVANCES + 1 {
                        warnings.push(format!(
                            "VTIMEZONE {tzid:?} has more than {MAX_RULED_OBSERVANCES} parts \
                             with RRULE; later rules count only at their DTSTART"
                        ));
                    }
                } else {
                    match expand_observance_rule(rule, obs.dtstart, obs.offset_from) {
                        Ok((mut more, cut)) => {
                            if cut {
                                warnings.push(format!(
                                    "VTIMEZONE {tzid:?}: RRULE {rule:?} changes the offset too \
                                 often for a time zone; only its first changes are used"
                                ));
                            }
                            starts.append(&mut more);
                        }
                        Err(why) => warnings.push(format!(
                            "VTIMEZONE {tzid:?}: RRULE {rule:?} not understood ({why}); \
                         only its DTSTART is used"
                        )),
                    }
                }
            }
            starts.extend(obs.rdates.iter().copied());
            for local in starts {
                if onsets.len() >= MAX_TRANSITIONS {
                    truncated = true;
                    break;
                }
                let at = local.and_utc().timestamp() - i64::from(obs.offset_from);
                onsets.push((at, obs.offset_from, obs.offset_to));
            }
        }
        if truncated {
            warnings.push(format!(
                "VTIMEZONE {tzid:?} defines more than {MAX_TRANSITIONS} transitions; \
                 the rest are ignored"
            ));
        }
        if onsets.is_empty() {
            return None;
        }
        // A DTSTART repeated in RDATE (common) gives the same onset twice; dedup after sorting.
        onsets.sort_unstable();
        onsets.dedup();
        let initial = onsets[0].1;
        let mut transitions = Vec::with_capacity(onsets.len());
        let mut current = initial;
        for (at, _, to) in onsets {
            if to != current {
                transitions.push(Transition {
                    at,
                    before: current,
                    after: to,
                });
                current = to;
            }
        }
        Some(CustomZone {
            tzid: tzid.clone(),
            initial,
            transitions,
            latest_dtstart_year,
        })
    }

    pub fn tzid(&self) -> &str {
        &self.tzid
    }

    fn offset_at_secs(&self, utc: i64) -> i32 {
        let idx = self.transitions.partition_point(|t| t.at <= utc);
        match idx {
            0 => self.initial,
            _ => self.transitions[idx - 1].after,
        }
    }

    /// The offset to subtract from a local wall time (seconds since the epoch as if UTC).
    fn offset_for_local_secs(&self, local: i64) -> i32 {
        // A transition happens on the wall clock at `at + before` (old time). Times before that
        // keep the old offset, which also picks the first occurrence in a fold.
        let idx = self
            .transitions
            .partition_point(|t| t.at + i64::from(t.before) <= local);
        if idx == 0 {
            return self.initial;
        }
        let t = self.transitions[idx - 1];
        if t.after > t.before && local < t.at + i64::from(t.after) {
            // In the gap: the offset from before it (RFC 5545 3.3.5).
            t.before
        } else {
            t.after
        }
    }
}

/// Expands the RRULE of a VTIMEZONE observance to its onsets after DTSTART (wall times in
/// `offset_from`) from 1900 (earlier changes matter to no meeting) up to [`HORIZON_YEAR`], with
/// a budget of its own so thousands of observances stay cheap. The flag says the rule was cut
/// short by that bound.
fn expand_observance_rule(
    rule: &str,
    dtstart: NaiveDateTime,
    offset_from: i32,
) -> Result<(Vec<NaiveDateTime>, bool), String> {
    let parsed = recur::RRule::parse(rule).map_err(|e| e.to_string())?;
    // UNTIL in a VTIMEZONE is UTC (RFC 5545 3.6.5); the expander wants the wall clock.
    let until = parsed.until.map(|u| match u {
        recur::Until::Utc(t) => utc_to_wall(t, offset_from),
        other => other.as_wall_clock(),
    });
    let from = dtstart.max(wall_new_year(1900));
    let to = wall_new_year(HORIZON_YEAR);
    let limits = recur::Limits {
        max_iterations: OBSERVANCE_BUDGET,
    };
    let expansion = recur::expand(&parsed, dtstart, until, from, to, &limits);
    let mut starts = expansion.starts;
    starts.retain(|t| *t > dtstart);
    let cut = expansion.budget_exhausted || starts.len() > MAX_ONSETS_PER_OBSERVANCE;
    starts.truncate(MAX_ONSETS_PER_OBSERVANCE);
    Ok((starts, cut))
}

fn wall_new_year(year: i32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(NaiveDateTime::MIN)
}

/// A resolved TZID: the zone to use and, the first time a TZID needed a fallback or a guess,
/// a warning naming it.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub zone: Zone,
    pub warning: Option<String>,
}

/// What a TZID resolved to, memoised per resolver.
#[derive(Clone, Debug)]
enum Outcome {
    Found(Zone),
    /// Use the caller's local fallback.
    Fallback,
}

/// Resolves the TZIDs of one calendar file against IANA, Windows and the file's VTIMEZONEs.
pub struct ZoneResolver {
    vtimezones: HashMap<String, VTimezone>,
    /// The calendar's X-WR-TIMEZONE: where a TZID that nothing explains is read before the
    /// user's own zone.
    calendar_zone: Option<String>,
    /// tzid -> (outcome, warning not yet handed out)
    memo: Mutex<HashMap<String, (Outcome, Option<String>)>>,
}

impl ZoneResolver {
    pub fn new(vtimezones: Vec<VTimezone>) -> ZoneResolver {
        let mut map = HashMap::new();
        for vtz in vtimezones {
            // The first definition of a TZID wins, as in every reader we compared with.
            map.entry(vtz.tzid.clone()).or_insert(vtz);
        }
        ZoneResolver {
            vtimezones: map,
            calendar_zone: None,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// The calendar's own zone (its X-WR-TIMEZONE), used for a TZID that is neither IANA,
    /// Windows, a vendor prefix, defined in the file, nor like any zone's name.
    pub fn with_calendar_zone(mut self, x_wr_timezone: Option<&str>) -> ZoneResolver {
        self.calendar_zone = x_wr_timezone
            .map(|n| clean_tzid(n).to_string())
            .filter(|n| !n.is_empty());
        self
    }

    /// Resolves a TZID. Memoised: repeated calls cost one hash lookup. A warning is returned only
    /// on the first call for a TZID, so a feed with 10k events warns once per zone.
    pub fn resolve(&self, tzid: &str, local_fallback: &Zone) -> Resolved {
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        // Look up by &str first: the hit path (every event after the first) allocates nothing.
        if let Some(entry) = memo.get_mut(tzid) {
            return hand_out(entry, local_fallback);
        }
        let mut entry = self.resolve_uncached(tzid);
        let resolved = hand_out(&mut entry, local_fallback);
        memo.insert(tzid.to_string(), entry);
        resolved
    }

    fn find_vtimezone(&self, tzid: &str) -> Option<&VTimezone> {
        if let Some(v) = self.vtimezones.get(tzid) {
            return Some(v);
        }
        let want = clean_tzid(tzid).to_lowercase();
        self.vtimezones
            .values()
            .find(|v| clean_tzid(&v.tzid).to_lowercase() == want)
    }

    fn resolve_uncached(&self, tzid: &str) -> (Outcome, Option<String>) {
        let name = clean_tzid(tzid);
        if let Some(tz) = iana_exact(name) {
            // A real IANA name wins over the file's VTIMEZONE: tzdata is more complete than the
            // rules a producer chose to embed (the recurring-ical-events oracle does the same).
            return (Outcome::Found(zone_from_tz(tz)), None);
        }
        let mut warnings = Vec::new();
        let custom = self
            .find_vtimezone(tzid)
            .and_then(|v| CustomZone::from_vtimezone(v, &mut warnings))
            .map(Arc::new);
        let guess = guess_iana(name);
        let joined = |w: Vec<String>| (!w.is_empty()).then(|| w.join("; "));
        match (guess, custom) {
            (Some(tz), Some(custom)) => {
                // A mapped name (Windows, vendor prefix, `Europe_Berlin`) with a VTIMEZONE: use
                // tzdata only when it agrees with the file; khal's tz_windows_format.ics labels
                // +01:00 rules "New Zealand Standard Time", and the file is what the sender saw.
                if agrees(tz, &custom) {
                    (Outcome::Found(zone_from_tz(tz)), joined(warnings))
                } else {
                    warnings.push(format!(
                        "time zone {tzid:?}: the file's VTIMEZONE disagrees with tzdata's {}; \
                         the file's rules are used",
                        tz.name()
                    ));
                    (Outcome::Found(Zone::Custom(custom)), joined(warnings))
                }
            }
            (Some(tz), None) => (Outcome::Found(zone_from_tz(tz)), joined(warnings)),
            (None, Some(custom)) => (Outcome::Found(Zone::Custom(custom)), joined(warnings)),
            (None, None) => {
                // Not UTC silently, and not a guess without saying so (issue 10): a zone
                // whose names match, the offset in the name, the calendar's zone, then yours.
                let unknown = format!(
                    "time zone {tzid:?} is not an IANA or Windows name and the file has no \
                     usable VTIMEZONE for it"
                );
                let offset = offset_in_name(name);
                if let Some((tz, why)) = alias_zone(name).filter(|(tz, _)| {
                    offset.is_none_or(|off| has_offset(*tz, off.local_minus_utc()))
                }) {
                    warnings.push(format!("{unknown}; read as {}, {why}", tz.name()));
                    return (Outcome::Found(zone_from_tz(tz)), joined(warnings));
                }
                if let Some(off) = offset {
                    warnings.push(format!(
                        "{unknown}; using the fixed offset {off} from its name"
                    ));
                    return (Outcome::Found(Zone::Fixed(off)), joined(warnings));
                }
                if let Some((cal, zone)) = self
                    .calendar_zone
                    .as_deref()
                    .and_then(|c| self.known_zone(c).map(|z| (c, z)))
                {
                    warnings.push(format!(
                        "{unknown}; read in the calendar's zone {cal} (X-WR-TIMEZONE)"
                    ));
                    return (Outcome::Found(zone), joined(warnings));
                }
                warnings.push(format!(
                    "{unknown}; its times are read in your own time zone"
                ));
                (Outcome::Fallback, joined(warnings))
            }
        }
    }

    /// A zone for a name without any guessing: IANA, Windows or vendor names, or the file's
    /// VTIMEZONE.
    fn known_zone(&self, name: &str) -> Option<Zone> {
        if let Some(tz) = guess_iana(name) {
            return Some(zone_from_tz(tz));
        }
        let vtz = self.find_vtimezone(name)?;
        CustomZone::from_vtimezone(vtz, &mut Vec::new()).map(|c| Zone::Custom(Arc::new(c)))
    }
}

/// Whether `tz` has this UTC offset in 2026, in winter or in summer: an alias must agree with
/// an offset written in the name (`(UTC+01:00) Western/Central Europe`).
fn has_offset(tz: Tz, secs: i32) -> bool {
    [(1, 15), (7, 15)].iter().any(|&(m, d)| {
        NaiveDate::from_ymd_opt(2026, m, d)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .is_some_and(|t| tz.offset_from_utc_datetime(&t).fix().local_minus_utc() == secs)
    })
}

/// One way a made-up TZID may name a zone: the words of a Windows name (`W. Europe` of
/// `W. Europe Standard Time`), of a place or region in a Windows display name (`Berlin`,
/// `Eastern Time (US & Canada)`), of an IANA name (`America/Los_Angeles`, `Los_Angeles`), or a
/// common abbreviation (`PST`).
struct Alias {
    words: Vec<String>,
    tz: Tz,
    /// Said in the warning: which name matched.
    why: String,
    /// Windows names and abbreviations first, then display names, then IANA names.
    rank: u8,
}

/// Abbreviations in common use that are not IANA names (CET, EST, MST, WET, EET, HST are).
/// Ambiguous ones (IST, CST in Asia, BST in Bangladesh) are left out.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("pst pdt", "America/Los_Angeles"),
    ("mdt", "America/Denver"),
    ("cdt", "America/Chicago"),
    ("edt", "America/New_York"),
    ("akst akdt", "America/Anchorage"),
    ("ast adt", "America/Halifax"),
    ("nst ndt", "America/St_Johns"),
    ("cest", "Europe/Paris"),
    ("bst", "Europe/London"),
    ("eest", "Europe/Athens"),
    ("msk", "Europe/Moscow"),
    ("jst", "Asia/Tokyo"),
    ("kst", "Asia/Seoul"),
    ("aest aedt", "Australia/Sydney"),
    ("nzst nzdt", "Pacific/Auckland"),
];

/// The words a name is compared on: lower case, `W.` read as `west` (Windows writes `W. Europe`,
/// `E. Australia`), `western` as `west`, `european` as `europe`, without the words every zone
/// name has (`standard`, `time`, `zone`, `and`, `utc`, digits).
fn alias_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let bytes = name.as_bytes();
    let mut start = None;
    for i in 0..=bytes.len() {
        let alnum = bytes.get(i).is_some_and(u8::is_ascii_alphanumeric);
        match (alnum, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                start = None;
                let raw = name[s..i].to_ascii_lowercase();
                let abbreviated = bytes.get(i) == Some(&b'.');
                let word = match raw.as_str() {
                    "w" if abbreviated => "west",
                    "e" if abbreviated => "east",
                    "n" if abbreviated => "north",
                    "s" if abbreviated => "south",
                    "c" if abbreviated => "central",
                    "western" => "west",
                    "eastern" => "east",
                    "northern" => "north",
                    "southern" => "south",
                    "european" => "europe",
                    "centre" | "center" => "central",
                    "hawaiian" => "hawaii",
                    "alaskan" => "alaska",
                    "standard" | "daylight" | "summer" | "time" | "zone" | "and" | "the" | "of"
                    | "utc" | "gmt" => continue,
                    w if w.bytes().all(|c| c.is_ascii_digit()) => continue,
                    w => w,
                };
                if !words.iter().any(|x| x == word) {
                    words.push(word.to_string());
                }
            }
            _ => {}
        }
    }
    words
}

fn aliases() -> &'static [Alias] {
    static ALIASES: OnceLock<Vec<Alias>> = OnceLock::new();
    ALIASES.get_or_init(|| {
        let mut out = Vec::new();
        let mut add = |words: Vec<String>, tz: Tz, why: String, rank: u8| {
            if !words.is_empty() {
                out.push(Alias {
                    words,
                    tz,
                    why,
                    rank,
                });
            }
        };
        for (names, iana) in ABBREVIATIONS {
            if let Ok(tz) = Tz::from_str(iana) {
                for n in names.split(' ') {
                    add(
                        alias_words(n),
                        tz,
                        format!("the common abbreviation {n:?}"),
                        0,
                    );
                }
            }
        }
        for &(w, tz) in windows_zones() {
            add(
                alias_words(w.name()),
                tz,
                format!("whose Windows name {:?} matches", w.name()),
                0,
            );
            let description = w.description();
            let places = description.split_once(')').map_or("", |(_, rest)| rest);
            for place in places.split(',') {
                add(
                    alias_words(place),
                    tz,
                    format!("whose Windows display name {description:?} matches"),
                    1,
                );
            }
        }
        for tz in chrono_tz::TZ_VARIANTS {
            let name = tz.name();
            if name.starts_with("Etc/") || !name.contains('/') {
                continue;
            }
            let why = format!("whose IANA name {name:?} matches");
            add(alias_words(name), tz, why.clone(), 2);
            if let Some((_, last)) = name.rsplit_once('/') {
                add(alias_words(last), tz, why, 2);
            }
        }
        out
    })
}

/// The zone a made-up name most likely means, by its words (issue 10: `Western/Central Europe`
/// is Europe/Berlin, the Windows zone `W. Europe Standard Time`), and why. A zone matches when
/// every word of one of its names is in the TZID; the one naming the most words wins, then the
/// one whose words come first in the TZID, then Windows over IANA names.
fn alias_zone(name: &str) -> Option<(Tz, String)> {
    let words = alias_words(name);
    if words.is_empty() {
        return None;
    }
    aliases()
        .iter()
        .filter(|a| a.words.iter().all(|w| words.contains(w)))
        .min_by_key(|a| {
            let first = a
                .words
                .iter()
                .filter_map(|w| words.iter().position(|x| x == w))
                .min()
                .unwrap_or(usize::MAX);
            (std::cmp::Reverse(a.words.len()), first, a.rank)
        })
        .map(|a| (a.tz, a.why.clone()))
}

/// The zone of a memo entry, and its warning the first time only.
fn hand_out(entry: &mut (Outcome, Option<String>), local_fallback: &Zone) -> Resolved {
    let zone = match &entry.0 {
        Outcome::Found(zone) => zone.clone(),
        Outcome::Fallback => local_fallback.clone(),
    };
    Resolved {
        zone,
        warning: entry.1.take(),
    }
}

fn zone_from_tz(tz: Tz) -> Zone {
    match tz {
        Tz::UTC | Tz::Etc__UTC => Zone::Utc,
        tz => Zone::Iana(tz),
    }
}

/// Strips the quotes, blanks and stray colons some producers leave around a TZID
/// (recurring-ical-events' issue_107 file has `TZID:Pacific Standard Time:`).
fn clean_tzid(tzid: &str) -> &str {
    tzid.trim()
        .trim_matches('"')
        .trim()
        .trim_end_matches(':')
        .trim()
}

/// An IANA name, exact or in the wrong case (`europe/berlin`).
fn iana_exact(name: &str) -> Option<Tz> {
    Tz::from_str(name)
        .ok()
        .or_else(|| Tz::from_str_insensitive(name).ok())
}

/// Maps a non-IANA TZID to the IANA zone it most likely means.
pub fn guess_iana(tzid: &str) -> Option<Tz> {
    let name = clean_tzid(tzid);
    if name.is_empty() {
        return None;
    }
    if let Some(tz) = iana_exact(name) {
        return Some(tz);
    }
    // Outlook.com writes `tzone://Microsoft/Utc` (and `.../Custom` next to a VTIMEZONE).
    if name.len() > 18
        && name.is_char_boundary(18)
        && name[..18].eq_ignore_ascii_case("tzone://microsoft/")
    {
        return guess_iana(&name[18..]);
    }
    if name.starts_with('/') {
        if let Some(tz) = from_vendor_path(name) {
            return Some(tz);
        }
    }
    if let Some(tz) = windows_zone(name) {
        return Some(tz);
    }
    // `Europe_Berlin`, `America_New_York`, `US-Eastern`: one separator stands for the slash.
    for (i, c) in name.char_indices() {
        if c == '_' || c == '-' {
            let candidate = format!("{}/{}", &name[..i], &name[i + 1..]);
            if let Some(tz) = iana_exact(&candidate) {
                return Some(tz);
            }
        }
    }
    None
}

/// `/freeassociation.sourceforge.net/Tzfile/Europe/London`, `/mozilla.org/20050126_1/...`,
/// `/softwarestudio.org/Olson_20011030_5/...`: the IANA name is a suffix of the path.
fn from_vendor_path(name: &str) -> Option<Tz> {
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    // Longest suffix first so `America/Argentina/Buenos_Aires` beats `Buenos_Aires`.
    (0..parts.len()).find_map(|start| iana_exact(&parts[start..].join("/")))
}

struct WindowsTables {
    /// lower-case Windows name -> zone
    names: HashMap<String, Tz>,
    /// normalised display name -> zone
    descriptions: Vec<(String, Tz)>,
}

/// Names Windows used once and CLDR (and so `windows-timezones`) no longer lists, still found
/// in old Exchange and Outlook exports.
const OLD_WINDOWS_NAMES: &[(&str, &str)] = &[
    ("mexico standard time", "America/Mexico_City"),
    ("mexico standard time 2", "America/Chihuahua"),
    ("mid-atlantic standard time", "Atlantic/South_Georgia"),
    ("kamchatka standard time", "Asia/Kamchatka"),
    ("armenian standard time", "Asia/Yerevan"),
    ("e. south america standard time", "America/Sao_Paulo"),
];

/// Every Windows zone with its golden IANA zone.
fn windows_zones() -> &'static [(WindowsTimezone, Tz)] {
    static ZONES: OnceLock<Vec<(WindowsTimezone, Tz)>> = OnceLock::new();
    ZONES.get_or_init(|| {
        // windows-timezones has no iterator without the strum feature; every Windows zone is the
        // image of at least its own golden IANA zone, so walking tzdata finds them all.
        let mut seen: Vec<WindowsTimezone> = Vec::new();
        for tz in chrono_tz::TZ_VARIANTS {
            if let Ok(w) = WindowsTimezone::try_from(tz) {
                if !seen.contains(&w) {
                    seen.push(w);
                }
            }
        }
        seen.into_iter().map(|w| (w, w.into())).collect()
    })
}

fn windows_tables() -> &'static WindowsTables {
    static TABLES: OnceLock<WindowsTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut names = HashMap::new();
        let mut descriptions = Vec::new();
        for &(w, tz) in windows_zones() {
            names.insert(w.name().to_lowercase(), tz);
            descriptions.push((normalise_description(w.description()), tz));
        }
        for (name, iana) in OLD_WINDOWS_NAMES {
            if let Ok(tz) = Tz::from_str(iana) {
                names.entry((*name).to_string()).or_insert(tz);
            }
        }
        WindowsTables {
            names,
            descriptions,
        }
    })
}

/// Lower case, `GMT` -> `UTC` (Windows XP display names), `and` -> `&` (`Eastern Time (US and
/// Canada)`, as some exports spell it), single spaces.
fn normalise_description(s: &str) -> String {
    s.to_lowercase()
        .replace("(gmt", "(utc")
        .split_whitespace()
        .map(|w| if w == "and" { "&" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Windows zone name (`W. Europe Standard Time`, any case, with a trailing ` 1` or `_1`) or an
/// English display name (`(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna`).
fn windows_zone(name: &str) -> Option<Tz> {
    let tables = windows_tables();
    let lower = name.to_lowercase();
    if let Some(tz) = tables.names.get(&lower) {
        return Some(*tz);
    }
    let stripped = lower
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches([' ', '_', '-'])
        .trim();
    if stripped != lower {
        if let Some(tz) = tables.names.get(stripped) {
            return Some(*tz);
        }
    }
    let desc = normalise_description(name);
    if let Some((_, tz)) = tables.descriptions.iter().find(|(d, _)| *d == desc) {
        return Some(*tz);
    }
    // A translated display name (`(UTC+01:00) Amsterdam, Berlijn, Bern, Rome, Stockholm, Wenen`):
    // same offset prefix and at least two of the same place names.
    let prefix = desc.split(')').next().filter(|p| p.starts_with("(utc"))?;
    let places = |d: &str| -> Vec<String> {
        d.split_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or("")
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    };
    let wanted = places(&desc);
    tables
        .descriptions
        .iter()
        .filter(|(d, _)| d.split(')').next() == Some(prefix))
        .map(|(d, tz)| {
            let shared = places(d).iter().filter(|p| wanted.contains(p)).count();
            (shared, *tz)
        })
        .filter(|(shared, _)| *shared >= 2)
        .max_by_key(|(shared, _)| *shared)
        .map(|(_, tz)| tz)
}

/// `(UTC+01:00) ...`, `GMT +0100 (Standard) / ...`, `UTC-5`: the first offset written in a
/// name, for a TZID that nothing else explains.
fn offset_in_name(name: &str) -> Option<FixedOffset> {
    let upper = name.to_ascii_uppercase();
    let at = upper.find("UTC").or_else(|| upper.find("GMT"))?;
    let rest = upper[at + 3..].trim_start();
    let (sign, digits) = match rest.chars().next()? {
        '+' => (1, &rest[1..]),
        '-' => (-1, &rest[1..]),
        _ => return None,
    };
    let digits = digits.trim_start();
    let token: String = digits
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ':')
        .collect();
    let (h, m) = match token.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None if token.len() > 2 => {
            let (h, m) = token.split_at(token.len() - 2);
            (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
        }
        None => (token.parse::<i32>().ok()?, 0),
    };
    if h > 18 || m >= 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Whether tzdata's zone gives the same offsets as the file's rules in every year the rules are
/// about, from the year after the latest DTSTART (the first year in which every part is in force)
/// to 2099, where tzdata's tables end. Only then may tzdata stand in for the file: `US-Eastern`
/// with RFC 5545's 1987 rules agrees with tzdata until 2006 and is an hour off for weeks each
/// spring and autumn from 2007, so the file's rules are used (issue 15). A DTSTART in 1970 or
/// before is a placeholder (Exchange writes 16010101, Google and Apple 1970 with today's rule,
/// which tzdata's history rightly contradicts), so those rules are compared from 2010.
fn agrees(tz: Tz, custom: &Arc<CustomZone>) -> bool {
    let start_year = match custom.latest_dtstart_year {
        y if y <= 1970 => 2010,
        y => (y + 1).min(2099),
    };
    let iana = Zone::Iana(tz);
    let file = Zone::Custom(Arc::clone(custom));
    let mut samples: Vec<i64> = Vec::new();
    for year in start_year..=2099 {
        for month in 1..=12 {
            for day in [1, 15] {
                if let Some(d) = NaiveDate::from_ymd_opt(year, month, day) {
                    samples.push(
                        d.and_hms_opt(12, 0, 0)
                            .expect("valid")
                            .and_utc()
                            .timestamp(),
                    );
                }
            }
        }
    }
    let lo = samples.first().copied().unwrap_or(0);
    let hi = samples.last().copied().unwrap_or(0);
    // Around each change too, so a rule a week off is noticed.
    for t in custom
        .transitions
        .iter()
        .filter(|t| t.at >= lo && t.at <= hi)
    {
        samples.push(t.at - 3600);
        samples.push(t.at + 3600);
    }
    samples.into_iter().all(|s| {
        DateTime::from_timestamp(s, 0)
            .is_none_or(|instant| iana.offset_at(instant) == file.offset_at(instant))
    })
}

/// The user's zone: `TZ` (":Europe/Berlin", "Europe/Berlin", POSIX strings), else
/// `/etc/timezone`, else the `/etc/localtime` symlink, else UTC.
pub fn local_zone() -> Zone {
    let tz_env = std::env::var("TZ").ok();
    let etc_timezone = std::fs::read_to_string("/etc/timezone").ok();
    let localtime = std::fs::read_link("/etc/localtime").ok();
    local_zone_from(
        tz_env.as_deref(),
        etc_timezone.as_deref(),
        localtime.as_deref(),
    )
}

/// [`local_zone`] with its inputs passed in, for tests.
pub fn local_zone_from(
    tz_env: Option<&str>,
    etc_timezone: Option<&str>,
    localtime_link: Option<&Path>,
) -> Zone {
    if let Some(value) = tz_env {
        if let Some(zone) = parse_tz_env(value) {
            return zone;
        }
    }
    if let Some(zone) = etc_timezone.and_then(|s| iana_exact(s.trim())) {
        return zone_from_tz(zone);
    }
    if let Some(zone) = localtime_link.and_then(|p| zone_from_zoneinfo_path(&p.to_string_lossy())) {
        return zone;
    }
    Zone::Utc
}

/// `.../zoneinfo/Europe/Berlin` -> Europe/Berlin.
fn zone_from_zoneinfo_path(path: &str) -> Option<Zone> {
    let (_, name) = path.rsplit_once("zoneinfo/")?;
    let name = name.strip_prefix("posix/").unwrap_or(name);
    iana_exact(name).map(zone_from_tz)
}

/// Parses a `TZ` value. An empty value means UTC (as in glibc). `None` when it says nothing
/// usable, so the caller moves on to `/etc`.
pub fn parse_tz_env(value: &str) -> Option<Zone> {
    let v = value.trim();
    if v.is_empty() {
        return Some(Zone::Utc);
    }
    let v = v.strip_prefix(':').unwrap_or(v);
    if v.starts_with('/') {
        return zone_from_zoneinfo_path(v);
    }
    if let Some(tz) = iana_exact(v) {
        return Some(zone_from_tz(tz));
    }
    parse_posix_tz(v)
}

/// A POSIX TZ string (`CET-1CEST,M3.5.0,M10.5.0/3`, `<+03>-3`, `UTC0`, `JST-9`). A known IANA
/// zone named like the standard abbreviation (CET, EET, EST5EDT) is used when the string has
/// DST rules; otherwise the standard offset is used as a fixed offset.
fn parse_posix_tz(v: &str) -> Option<Zone> {
    let (std_name, rest) = if let Some(quoted) = v.strip_prefix('<') {
        let end = quoted.find('>')?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        let end = v
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(v.len());
        (&v[..end], &v[end..])
    };
    if std_name.len() < 3 && !v.starts_with('<') {
        return None;
    }
    let offset_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '+' || c == '-'))
        .unwrap_or(rest.len());
    let (offset_text, dst_part) = rest.split_at(offset_len);
    // POSIX offsets are west-positive: "CET-1" is UTC+1.
    let west = parse_hms_signed(offset_text)?;
    let east = -west;
    if east.abs() >= MAX_OFFSET_SECS {
        return None;
    }
    if !dst_part.is_empty() {
        let base = v.split(',').next().unwrap_or(v);
        if let Some(tz) = iana_exact(base).or_else(|| iana_exact(std_name)) {
            return Some(zone_from_tz(tz));
        }
    }
    if east == 0 {
        return Some(Zone::Utc);
    }
    FixedOffset::east_opt(east).map(Zone::Fixed)
}

/// `-1`, `5`, `+05:30`, `-3:00:00` -> seconds.
fn parse_hms_signed(s: &str) -> Option<i32> {
    let (sign, body) = match s.as_bytes().first()? {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let mut parts = body.split(':');
    let h: i32 = parts.next()?.parse().ok()?;
    let m: i32 = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let sec: i32 = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if h > 24 || m >= 60 || sec >= 60 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + sec))
}

/// Parses a UTC-OFFSET value (`+0100`, `-0500`, `+001932`, `-0000`, and the `+0019:32` seen in
/// old files) into seconds east of UTC. For the ICS parser.
pub fn parse_utc_offset(value: &str) -> Option<i32> {
    let v = value.trim();
    let (sign, body) = match v.as_bytes().first()? {
        b'+' => (1, &v[1..]),
        b'-' => (-1, &v[1..]),
        _ => (1, v),
    };
    let digits: String = body.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m, s): (i32, i32, i32) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?, 0),
        6 => (
            digits[..2].parse().ok()?,
            digits[2..4].parse().ok()?,
            digits[4..].parse().ok()?,
        ),
        _ => return None,
    };
    if m >= 60 || s >= 60 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i32 = 3600;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test time")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        local(s).and_utc()
    }

    fn berlin_rules(tzid: &str) -> VTimezone {
        VTimezone {
            tzid: tzid.to_string(),
            observances: vec![
                Observance {
                    kind: ObservanceKind::Standard,
                    dtstart: local("1601-01-01 03:00"),
                    offset_from: 2 * H,
                    offset_to: H,
                    rrule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10".into()),
                    rdates: vec![],
                    name: None,
                },
                Observance {
                    kind: ObservanceKind::Daylight,
                    dtstart: local("1601-01-01 02:00"),
                    offset_from: H,
                    offset_to: 2 * H,
                    rrule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3".into()),
                    rdates: vec![],
                    name: None,
                },
            ],
        }
    }

    fn resolve_name(tzid: &str) -> Option<String> {
        let r = ZoneResolver::new(vec![]);
        let fallback = Zone::Fixed(FixedOffset::east_opt(7 * H).unwrap());
        r.resolve(tzid, &fallback)
            .zone
            .iana_name()
            .map(str::to_string)
    }

    #[test]
    fn iana_names_in_any_case_and_quoted() {
        assert_eq!(
            resolve_name("Europe/Berlin").as_deref(),
            Some("Europe/Berlin")
        );
        assert_eq!(
            resolve_name("europe/berlin").as_deref(),
            Some("Europe/Berlin")
        );
        assert_eq!(
            resolve_name("Europe/lisbon").as_deref(),
            Some("Europe/Lisbon")
        );
        assert_eq!(
            resolve_name("\"America/New_York\"").as_deref(),
            Some("America/New_York")
        );
        assert_eq!(resolve_name("Etc/UTC").as_deref(), Some("UTC"));
    }

    #[test]
    fn vendor_prefixes() {
        for (tzid, want) in [
            (
                "/freeassociation.sourceforge.net/Tzfile/Europe/London",
                "Europe/London",
            ),
            (
                "/freeassociation.sourceforge.net/Europe/Berlin",
                "Europe/Berlin",
            ),
            (
                "/mozilla.org/20050126_1/America/New_York",
                "America/New_York",
            ),
            (
                "/softwarestudio.org/Olson_20011030_5/America/Argentina/Buenos_Aires",
                "America/Argentina/Buenos_Aires",
            ),
            ("/Europe/Paris", "Europe/Paris"),
        ] {
            assert_eq!(resolve_name(tzid).as_deref(), Some(want), "{tzid}");
        }
    }

    #[test]
    fn windows_names_and_variants() {
        for (tzid, want) in [
            ("W. Europe Standard Time", "Europe/Berlin"),
            ("w. europe standard time", "Europe/Berlin"),
            ("W. Europe Standard Time 1", "Europe/Berlin"),
            ("GMT Standard Time", "Europe/London"),
            ("Pacific Standard Time", "America/Los_Angeles"),
            ("Romance Standard Time", "Europe/Paris"),
            ("Eastern Standard Time", "America/New_York"),
            ("Mexico Standard Time", "America/Mexico_City"),
            (
                "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
                "Europe/Berlin",
            ),
            (
                "(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
                "Europe/Berlin",
            ),
            ("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"),
            ("Central Europe Standard Time", "Europe/Budapest"),
            ("FLE Standard Time", "Europe/Kiev"),
            ("AUS Eastern Standard Time", "Australia/Sydney"),
            ("India Standard Time", "Asia/Calcutta"),
            ("Tokyo Standard Time", "Asia/Tokyo"),
            ("UTC", "UTC"),
            ("(UTC) Coordinated Universal Time", "UTC"),
            ("tzone://Microsoft/Utc", "UTC"),
            ("Greenwich Standard Time", "Atlantic/Reykjavik"),
            ("US-Eastern", "US/Eastern"),
            ("America_Bogota", "America/Bogota"),
            ("Europe_Berlin", "Europe/Berlin"),
        ] {
            assert_eq!(resolve_name(tzid).as_deref(), Some(want), "{tzid}");
        }
    }

    #[test]
    fn berlin_dst_gap_uses_offset_before_gap() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        assert_eq!(
            berlin.to_utc(local("2026-03-29 02:30")),
            utc("2026-03-29 01:30")
        );
        assert_eq!(
            berlin.to_utc(local("2026-03-29 01:59")),
            utc("2026-03-29 00:59")
        );
        assert_eq!(
            berlin.to_utc(local("2026-03-29 03:00")),
            utc("2026-03-29 01:00")
        );
        // Samoa skipped 2011-12-30 entirely: the offset before the gap is UTC-10.
        let apia = Zone::Iana(chrono_tz::Pacific::Apia);
        assert_eq!(
            apia.to_utc(local("2011-12-30 12:00")),
            utc("2011-12-30 22:00")
        );
        // The same from the file's own rules.
        let mut w = Vec::new();
        let custom = Zone::Custom(Arc::new(
            CustomZone::from_vtimezone(&berlin_rules("Customized Time Zone"), &mut w).unwrap(),
        ));
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            custom.to_utc(local("2026-03-29 02:30")),
            utc("2026-03-29 01:30")
        );
        assert_eq!(
            custom.to_utc(local("2026-03-29 03:00")),
            utc("2026-03-29 01:00")
        );
    }

    #[test]
    fn berlin_fold_takes_first_occurrence() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        assert_eq!(
            berlin.to_utc(local("2026-10-25 02:30")),
            utc("2026-10-25 00:30")
        );
        assert_eq!(
            berlin.to_utc(local("2026-10-25 03:00")),
            utc("2026-10-25 02:00")
        );
        let mut w = Vec::new();
        let custom = Zone::Custom(Arc::new(
            CustomZone::from_vtimezone(&berlin_rules("x"), &mut w).unwrap(),
        ));
        assert_eq!(
            custom.to_utc(local("2026-10-25 02:30")),
            utc("2026-10-25 00:30")
        );
        assert_eq!(
            custom.to_utc(local("2026-10-25 01:59")),
            utc("2026-10-24 23:59")
        );
        assert_eq!(
            custom.to_utc(local("2026-10-25 03:00")),
            utc("2026-10-25 02:00")
        );
        // Lookups by instant on both sides of each change.
        assert_eq!(
            custom.offset_at(utc("2026-10-25 00:59")).local_minus_utc(),
            2 * H
        );
        assert_eq!(
            custom.offset_at(utc("2026-10-25 01:00")).local_minus_utc(),
            H
        );
        assert_eq!(
            custom.offset_at(utc("2026-03-29 00:59")).local_minus_utc(),
            H
        );
        assert_eq!(
            custom.offset_at(utc("2026-03-29 01:00")).local_minus_utc(),
            2 * H
        );
    }

    #[test]
    fn windows_name_with_matching_vtimezone_becomes_iana() {
        let r = ZoneResolver::new(vec![berlin_rules("W. Europe Standard Time")]);
        let res = r.resolve("W. Europe Standard Time", &Zone::utc());
        assert_eq!(res.zone.iana_name(), Some("Europe/Berlin"));
        // A custom name keeps the file's rules.
        let r = ZoneResolver::new(vec![berlin_rules("Customized Time Zone")]);
        let res = r.resolve("Customized Time Zone", &Zone::utc());
        assert_eq!(res.zone.iana_name(), None);
        assert_eq!(res.warning, None);
        assert_eq!(
            res.zone.to_utc(local("2026-07-01 12:00")),
            utc("2026-07-01 10:00")
        );
    }

    #[test]
    fn vtimezone_found_despite_quotes_and_case() {
        let r = ZoneResolver::new(vec![berlin_rules("Customized Time Zone")]);
        let res = r.resolve("\"customized time zone\"", &Zone::utc());
        assert_eq!(res.warning, None);
        assert_eq!(
            res.zone.to_utc(local("2026-01-01 12:00")),
            utc("2026-01-01 11:00")
        );
    }

    #[test]
    fn unknown_zone_falls_back_and_warns_once() {
        let r = ZoneResolver::new(vec![]);
        let fallback = Zone::Iana(chrono_tz::Asia::Tokyo);
        let first = r.resolve("Mars/Olympus_Mons", &fallback);
        assert_eq!(first.zone, fallback);
        assert!(first.warning.unwrap().contains("\"Mars/Olympus_Mons\""));
        let second = r.resolve("Mars/Olympus_Mons", &fallback);
        assert_eq!(second.zone, fallback);
        assert_eq!(second.warning, None);
        // Another caller's fallback is honoured on a memoised lookup.
        assert_eq!(
            r.resolve("Mars/Olympus_Mons", &Zone::utc()).zone,
            Zone::utc()
        );
    }

    #[test]
    fn made_up_names_resolve_by_their_words() {
        let name = |tzid: &str| alias_zone(tzid).map(|(tz, _)| tz.name().to_string());
        for (tzid, want) in [
            // Issue 10: the Windows zone W. Europe Standard Time.
            ("Western/Central Europe", Some("Europe/Berlin")),
            ("Eastern", Some("America/New_York")),
            ("Pacific Time", Some("America/Los_Angeles")),
            ("Central America", Some("America/Guatemala")),
            ("Berlin office", Some("Europe/Berlin")),
            ("America/Los\u{fffd}Angeles", Some("America/Los_Angeles")),
            ("PST", Some("America/Los_Angeles")),
            ("Head Office", None),
            ("Customized Time Zone", None),
            ("Mars/Olympus_Mons", None),
            ("Europe", None),
            ("c", None),
            ("", None),
        ] {
            assert_eq!(name(tzid).as_deref(), want, "{tzid}");
        }
        let (_, why) = alias_zone("Western/Central Europe").unwrap();
        assert!(why.contains("\"W. Europe Standard Time\""), "{why}");
        // Through the resolver, with a warning that names the zone used.
        let r = ZoneResolver::new(vec![]);
        let res = r.resolve("Western/Central Europe", &Zone::utc());
        assert_eq!(res.zone.iana_name(), Some("Europe/Berlin"));
        assert!(res.warning.unwrap().contains("read as Europe/Berlin"));
        // An offset written in the name must agree with the alias.
        let res = r.resolve("(UTC+05:00) Western/Central Europe", &Zone::utc());
        assert_eq!(res.zone, Zone::Fixed(FixedOffset::east_opt(5 * H).unwrap()));
    }

    #[test]
    fn display_names_with_and_for_ampersand() {
        assert_eq!(
            resolve_name("(UTC-05:00) Eastern Time (US and Canada)").as_deref(),
            Some("America/New_York")
        );
        assert_eq!(
            resolve_name("(UTC-06:00) Central Time (US AND Canada)").as_deref(),
            Some("America/Chicago")
        );
    }

    #[test]
    fn unknown_names_fall_back_to_the_calendars_zone_then_yours() {
        let r = ZoneResolver::new(vec![]).with_calendar_zone(Some("Europe/Paris"));
        let res = r.resolve("Head Office", &Zone::utc());
        assert_eq!(res.zone.iana_name(), Some("Europe/Paris"));
        assert!(res.warning.unwrap().contains("X-WR-TIMEZONE"));
        // An X-WR-TIMEZONE that is itself unknown leaves the user's zone.
        let r = ZoneResolver::new(vec![]).with_calendar_zone(Some("Nowhere"));
        let tokyo = Zone::Iana(chrono_tz::Asia::Tokyo);
        let res = r.resolve("Head Office", &tokyo);
        assert_eq!(res.zone, tokyo);
        assert!(res.warning.unwrap().contains("your own time zone"));
    }

    #[test]
    fn a_made_up_name_uses_the_files_rules_where_tzdata_disagrees() {
        // RFC 5545's US-Eastern (1987 rules: first Sunday of April, last of October) agrees
        // with tzdata from 1988 to 2006 only; the file's rules are the sender's.
        let rules = VTimezone {
            tzid: "US-Eastern".into(),
            observances: vec![
                Observance {
                    kind: ObservanceKind::Standard,
                    dtstart: local("1967-10-29 02:00"),
                    offset_from: -4 * H,
                    offset_to: -5 * H,
                    rrule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10".into()),
                    rdates: vec![],
                    name: None,
                },
                Observance {
                    kind: ObservanceKind::Daylight,
                    dtstart: local("1987-04-05 02:00"),
                    offset_from: -5 * H,
                    offset_to: -4 * H,
                    rrule: Some("FREQ=YEARLY;BYDAY=1SU;BYMONTH=4".into()),
                    rdates: vec![],
                    name: None,
                },
            ],
        };
        let r = ZoneResolver::new(vec![rules]);
        let res = r.resolve("US-Eastern", &Zone::utc());
        assert_eq!(res.zone.iana_name(), None);
        assert_eq!(
            res.zone.to_utc(local("2026-03-20 09:00")),
            utc("2026-03-20 14:00")
        );
        assert!(res.warning.unwrap().contains("disagrees with tzdata"));
        // Exchange's 1601 rules under a Windows name agree with tzdata from 2010 to 2099.
        let r = ZoneResolver::new(vec![berlin_rules("W. Europe Standard Time")]);
        let res = r.resolve("W. Europe Standard Time", &Zone::utc());
        assert_eq!(res.zone.iana_name(), Some("Europe/Berlin"));
        assert_eq!(res.warning, None);
    }

    #[test]
    fn unknown_name_with_offset_uses_it() {
        let r = ZoneResolver::new(vec![]);
        let res = r.resolve("GMT +0530 (Standard) / GMT +0530 (Daylight)", &Zone::utc());
        assert_eq!(
            res.zone,
            Zone::Fixed(FixedOffset::east_opt(5 * H + 1800).unwrap())
        );
        assert!(res.warning.is_some());
        let res = r.resolve("(UTC-03:00) Somewhere Unlisted", &Zone::utc());
        assert_eq!(
            res.zone,
            Zone::Fixed(FixedOffset::east_opt(-3 * H).unwrap())
        );
    }

    #[test]
    fn hostile_vtimezones_are_bounded() {
        // Thousands of observances, each with a yearly rule.
        let observances = (0..5000)
            .map(|i| Observance {
                kind: ObservanceKind::Standard,
                dtstart: local("1601-01-01 00:00") + Duration::days(i),
                offset_from: (i % 2) as i32 * H,
                offset_to: ((i + 1) % 2) as i32 * H,
                rrule: Some("FREQ=YEARLY".into()),
                rdates: vec![],
                name: None,
            })
            .collect();
        let vtz = VTimezone {
            tzid: "Many".into(),
            observances,
        };
        let mut w = Vec::new();
        let zone = CustomZone::from_vtimezone(&vtz, &mut w).expect("usable");
        assert!(zone.transitions.len() <= MAX_TRANSITIONS);
        assert!(w.iter().any(|m| m.contains("Many")), "{w:?}");
        // Absurd offsets are rejected, not panicked on.
        let absurd = VTimezone {
            tzid: "Absurd".into(),
            observances: vec![Observance {
                kind: ObservanceKind::Standard,
                dtstart: local("1970-01-01 00:00"),
                offset_from: 0,
                offset_to: 24 * H,
                rrule: None,
                rdates: vec![],
                name: None,
            }],
        };
        let mut w = Vec::new();
        assert!(CustomZone::from_vtimezone(&absurd, &mut w).is_none());
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn observance_rule_shapes() {
        // Second Sunday of March via BYMONTHDAY range, COUNT, INTERVAL.
        let (starts, cut) = expand_observance_rule(
            "FREQ=YEARLY;BYMONTH=3;BYDAY=SU;BYMONTHDAY=8,9,10,11,12,13,14;COUNT=3",
            local("2007-03-11 02:00"),
            -5 * H,
        )
        .unwrap();
        assert!(!cut);
        assert_eq!(
            starts,
            vec![local("2008-03-09 02:00"), local("2009-03-08 02:00")]
        );
        // UNTIL is UTC: 1985-01-01 02:00 at -05:00 is 07:00Z, still included.
        let (starts, _) = expand_observance_rule(
            "FREQ=YEARLY;INTERVAL=5;UNTIL=19850101T070000Z",
            local("1975-01-01 02:00"),
            -5 * H,
        )
        .unwrap();
        assert_eq!(
            starts,
            vec![local("1980-01-01 02:00"), local("1985-01-01 02:00")]
        );
        // Exchange's 1601 start: expanded from 1900 only, up to the horizon.
        let (starts, cut) = expand_observance_rule(
            "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
            local("1601-01-01 03:00"),
            2 * H,
        )
        .unwrap();
        assert!(!cut);
        assert_eq!(starts.first(), Some(&local("1900-10-28 03:00")));
        assert_eq!(starts.len(), (HORIZON_YEAR - 1900) as usize);
        // A rule that fires every second is cut, not expanded for centuries.
        let (starts, cut) =
            expand_observance_rule("FREQ=SECONDLY", local("2000-01-01 00:00"), 0).unwrap();
        assert!(cut);
        assert!(starts.len() <= MAX_ONSETS_PER_OBSERVANCE);
        assert!(expand_observance_rule("FREQ=FORTNIGHTLY", local("2000-01-01 00:00"), 0).is_err());
    }

    #[test]
    fn utc_offsets() {
        assert_eq!(parse_utc_offset("+0100"), Some(H));
        assert_eq!(parse_utc_offset("-0500"), Some(-5 * H));
        assert_eq!(parse_utc_offset("-0000"), Some(0));
        assert_eq!(parse_utc_offset("+0019:32"), Some(19 * 60 + 32));
        assert_eq!(parse_utc_offset("+001932"), Some(19 * 60 + 32));
        assert_eq!(parse_utc_offset("+034152"), Some(3 * H + 41 * 60 + 52));
        assert_eq!(parse_utc_offset("+5328"), Some(53 * H + 28 * 60));
        assert_eq!(parse_utc_offset("+01x0"), None);
        assert_eq!(parse_utc_offset(""), None);
    }

    #[test]
    fn tz_env_values() {
        let name = |v: &str| parse_tz_env(v).and_then(|z| z.iana_name().map(str::to_string));
        assert_eq!(name(":Europe/Berlin").as_deref(), Some("Europe/Berlin"));
        assert_eq!(name("Europe/Berlin").as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            name("/usr/share/zoneinfo/America/New_York").as_deref(),
            Some("America/New_York")
        );
        assert_eq!(
            name(":/usr/share/zoneinfo/posix/Asia/Tokyo").as_deref(),
            Some("Asia/Tokyo")
        );
        assert_eq!(name("").as_deref(), Some("UTC"));
        assert_eq!(name("UTC0").as_deref(), Some("UTC"));
        assert_eq!(name("CET-1CEST,M3.5.0,M10.5.0/3").as_deref(), Some("CET"));
        assert_eq!(name("EST5EDT,M3.2.0,M11.1.0").as_deref(), Some("EST5EDT"));
        assert_eq!(
            parse_tz_env("JST-9"),
            Some(Zone::Fixed(FixedOffset::east_opt(9 * H).unwrap()))
        );
        assert_eq!(
            parse_tz_env("<+0530>-5:30"),
            Some(Zone::Fixed(FixedOffset::east_opt(5 * H + 1800).unwrap()))
        );
        assert_eq!(parse_tz_env("Not/AZone"), None);
    }

    #[test]
    fn local_zone_sources_in_order() {
        let link = Path::new("/usr/share/zoneinfo/Europe/Paris");
        let z = local_zone_from(Some("Asia/Tokyo"), Some("Europe/Berlin\n"), Some(link));
        assert_eq!(z.iana_name(), Some("Asia/Tokyo"));
        let z = local_zone_from(Some("Bogus/Zone"), Some("Europe/Berlin\n"), Some(link));
        assert_eq!(z.iana_name(), Some("Europe/Berlin"));
        let z = local_zone_from(None, None, Some(link));
        assert_eq!(z.iana_name(), Some("Europe/Paris"));
        assert_eq!(local_zone_from(None, None, None), Zone::Utc);
    }
}
