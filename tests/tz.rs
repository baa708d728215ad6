//! Time-zone resolution against small VTIMEZONE fixtures (tests/data/tz) and corpus files.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rapport::calendar::tz::{
    parse_utc_offset, utc_to_wall, Observance, ObservanceKind, VTimezone, Zone, ZoneResolver,
};

use crate::common;

/// Reads the VTIMEZONEs of an .ics file. Test-only and deliberately simple (the real reader is
/// `rapport::calendar::ics`): unfolds lines, understands the properties a VTIMEZONE uses.
fn vtimezones(text: &str) -> Vec<VTimezone> {
    let unfolded = text
        .replace("\r\n", "\n")
        .replace("\n ", "")
        .replace("\n\t", "");
    let mut out = Vec::new();
    let mut zone: Option<VTimezone> = None;
    let mut obs: Option<Observance> = None;
    let mut dtstart_utc = false;
    let mut utc_rdates: Vec<NaiveDateTime> = Vec::new();
    for line in unfolded.lines() {
        let Some((head, value)) = line.split_once(':') else {
            continue;
        };
        let mut params = head.split(';');
        let name = params.next().unwrap_or("").to_ascii_uppercase();
        let is_date = head.to_ascii_uppercase().contains("VALUE=DATE")
            && !head.to_ascii_uppercase().contains("VALUE=DATE-TIME");
        match (name.as_str(), value) {
            ("BEGIN", "VTIMEZONE") => {
                zone = Some(VTimezone {
                    tzid: String::new(),
                    observances: Vec::new(),
                })
            }
            ("BEGIN", "STANDARD") | ("BEGIN", "DAYLIGHT") => {
                obs = Some(Observance {
                    kind: if value == "STANDARD" {
                        ObservanceKind::Standard
                    } else {
                        ObservanceKind::Daylight
                    },
                    dtstart: NaiveDate::MIN.and_hms_opt(0, 0, 0).unwrap(),
                    offset_from: 0,
                    offset_to: 0,
                    rrule: None,
                    rdates: Vec::new(),
                    name: None,
                });
                dtstart_utc = false;
                utc_rdates.clear();
            }
            ("END", "STANDARD") | ("END", "DAYLIGHT") => {
                if let (Some(z), Some(mut o)) = (zone.as_mut(), obs.take()) {
                    if dtstart_utc {
                        o.dtstart = utc_to_wall(o.dtstart, o.offset_from);
                    }
                    let from = o.offset_from;
                    o.rdates
                        .extend(utc_rdates.iter().map(|t| utc_to_wall(*t, from)));
                    z.observances.push(o);
                }
            }
            ("END", "VTIMEZONE") => out.extend(zone.take()),
            ("TZID", v) if obs.is_none() => {
                if let Some(z) = zone.as_mut() {
                    z.tzid = v.replace("\\,", ",");
                }
            }
            (prop, v) => {
                let Some(o) = obs.as_mut() else { continue };
                match prop {
                    "DTSTART" => {
                        if let Some((t, utc)) = parse_time(v, is_date) {
                            o.dtstart = t;
                            dtstart_utc = utc;
                        }
                    }
                    "TZOFFSETFROM" => o.offset_from = parse_utc_offset(v).unwrap_or(0),
                    "TZOFFSETTO" => o.offset_to = parse_utc_offset(v).unwrap_or(0),
                    "RRULE" => o.rrule = Some(v.to_string()),
                    "TZNAME" => o.name = Some(v.to_string()),
                    "RDATE" => {
                        for (t, utc) in v.split(',').filter_map(|i| parse_time(i, is_date)) {
                            if utc {
                                utc_rdates.push(t);
                            } else {
                                o.rdates.push(t);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

fn parse_time(v: &str, is_date: bool) -> Option<(NaiveDateTime, bool)> {
    if is_date {
        let d = NaiveDate::parse_from_str(v, "%Y%m%d").ok()?;
        return Some((d.and_hms_opt(0, 0, 0)?, false));
    }
    let utc = v.ends_with('Z');
    let t = NaiveDateTime::parse_from_str(v.trim_end_matches('Z'), "%Y%m%dT%H%M%S").ok()?;
    Some((t, utc))
}

fn fixture(name: &str) -> ZoneResolver {
    let path = common::data_dir().join("tz").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ZoneResolver::new(vtimezones(&text))
}

/// `../shared/corpus`, looked up from the crate root upwards so the tests also run in a
/// worktree one level deeper than the main checkout.
fn corpus_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    root.ancestors()
        .map(|a| a.join("shared/corpus"))
        .find(|p| p.is_dir())
        .unwrap_or_else(common::corpus_dir)
}

fn corpus(rel: &str) -> ZoneResolver {
    let path = corpus_root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ZoneResolver::new(vtimezones(&text))
}

fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test time")
}

fn utc(s: &str) -> DateTime<Utc> {
    local(s).and_utc()
}

/// The offset in whole seconds that a local wall time gets in a zone.
fn offset_of_local(zone: &Zone, s: &str) -> i32 {
    let instant = zone.to_utc(local(s));
    zone.offset_at(instant).local_minus_utc()
}

fn resolve(r: &ZoneResolver, tzid: &str) -> (Zone, Option<String>) {
    let res = r.resolve(tzid, &Zone::utc());
    (res.zone, res.warning)
}

const H: i32 = 3600;

#[test]
fn tz_windows_names_with_vtimezone_map_to_iana() {
    let r = fixture("exchange_windows_names.ics");
    let (zone, warning) = resolve(&r, "W. Europe Standard Time");
    assert_eq!(zone.iana_name(), Some("Europe/Berlin"));
    assert_eq!(warning, None);
    let (zone, _) = resolve(&r, "Eastern Standard Time 1");
    assert_eq!(zone.iana_name(), Some("America/New_York"));
    assert_eq!(
        zone.to_utc(local("2026-07-01 09:00")),
        utc("2026-07-01 13:00")
    );
    // Dutch display name: matched by offset and shared place names.
    let (zone, _) = resolve(
        &r,
        "(UTC+01:00) Amsterdam, Berlijn, Bern, Rome, Stockholm, Wenen",
    );
    assert_eq!(zone.iana_name(), Some("Europe/Berlin"));
}

#[test]
fn tz_custom_names_are_evaluated_from_vtimezone() {
    let r = fixture("custom_names.ics");
    let (zone, warning) = resolve(&r, "Customized Time Zone");
    assert!(zone.iana_name().is_none());
    assert_eq!(warning, None);
    assert_eq!(offset_of_local(&zone, "2026-03-29 01:59"), H);
    assert_eq!(offset_of_local(&zone, "2026-03-29 03:00"), 2 * H);
    assert_eq!(offset_of_local(&zone, "2026-10-25 03:00"), H);

    // BYMONTHDAY=25..31 + BYDAY=SU is "last Sunday".
    let (zone, _) = resolve(&r, "GMT +0100 (Standard) / GMT +0200 (Daylight)");
    assert_eq!(
        zone.to_utc(local("2027-03-28 12:00")),
        utc("2027-03-28 10:00")
    );
    assert_eq!(
        zone.to_utc(local("2027-03-27 12:00")),
        utc("2027-03-27 11:00")
    );
    assert_eq!(
        zone.to_utc(local("2027-10-31 12:00")),
        utc("2027-10-31 11:00")
    );

    // RRULE with UNTIL: the 1987-2006 US rule stops, the 2007 rule takes over.
    let (zone, _) = resolve(&r, "Eastern Until 2006");
    assert_eq!(offset_of_local(&zone, "2006-04-02 12:00"), -4 * H);
    assert_eq!(offset_of_local(&zone, "2006-03-20 12:00"), -5 * H);
    assert_eq!(offset_of_local(&zone, "2007-03-20 12:00"), -4 * H);
    assert_eq!(offset_of_local(&zone, "2007-11-01 12:00"), -4 * H);
    assert_eq!(offset_of_local(&zone, "2007-11-05 12:00"), -5 * H);
}

#[test]
fn tz_offsets_with_seconds_and_rdate_observances() {
    let r = fixture("seconds_and_rdates.ics");
    let (zone, _) = resolve(&r, "Amsterdam Mean Time");
    let amt = 19 * 60 + 32;
    assert_eq!(
        zone.offset_at(utc("1910-06-01 00:00")).local_minus_utc(),
        amt
    );
    assert_eq!(
        zone.offset_at(utc("1917-06-01 00:00")).local_minus_utc(),
        H + amt
    );
    assert_eq!(
        zone.offset_at(utc("1917-12-01 00:00")).local_minus_utc(),
        amt
    );
    assert_eq!(
        zone.offset_at(utc("1918-06-01 00:00")).local_minus_utc(),
        H + amt
    );
    assert_eq!(
        zone.offset_at(utc("1919-06-01 00:00")).local_minus_utc(),
        amt
    );
    // TZOFFSETTO:-0000 is UTC.
    let (zone, _) = resolve(&r, "Etc/Zimbra-GMT");
    assert_eq!(zone.offset_at(utc("2026-06-01 00:00")).local_minus_utc(), 0);
}

#[test]
fn tz_broken_vtimezones_fall_back_with_a_warning() {
    let r = fixture("broken.ics");
    let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
    for tzid in ["Absurd Offset", "Empty Zone"] {
        let res = r.resolve(tzid, &berlin);
        assert_eq!(res.zone, berlin, "{tzid}");
        let warning = res.warning.expect("a warning");
        assert!(warning.contains(tzid), "{warning}");
    }
    // A rule that changes the offset every second is cut short, with a warning.
    let res = r.resolve("Secondly Rule", &berlin);
    assert!(res.warning.expect("warning").contains("FREQ=SECONDLY"));
    assert_eq!(
        res.zone
            .offset_at(utc("1970-03-02 00:00"))
            .local_minus_utc(),
        2 * H
    );
    assert_eq!(
        res.zone
            .offset_at(utc("1972-03-02 00:00"))
            .local_minus_utc(),
        2 * H
    );
}

#[test]
fn tz_khal_windows_name_with_bogus_rules_uses_the_file() {
    // The file calls +01:00/+13:00 rules "New Zealand Standard Time"; the file wins (as khal and
    // recurring-ical-events read it), not Pacific/Auckland.
    let r = corpus("khal/tz_windows_format.ics");
    let (zone, warning) = resolve(&r, "New Zealand Standard Time");
    assert_eq!(zone.iana_name(), None);
    assert!(warning.expect("warning").contains("Pacific/Auckland"));
    assert_eq!(
        zone.to_utc(local("2019-11-20 13:00")),
        utc("2019-11-20 12:00")
    );
}

#[test]
fn tz_khal_lots_of_timezones() {
    let r = corpus("khal/cal_lots_of_timezones.ics");
    // Rules that agree with tzdata become the IANA zone.
    let (zone, _) = resolve(&r, "Europe_London");
    assert_eq!(zone.iana_name(), Some("Europe/London"));
    let (zone, _) = resolve(&r, "America_Bogota");
    assert_eq!(zone.iana_name(), Some("America/Bogota"));
    // Europe_Berlin only lists 2014-2016 changes, so it is kept as the file's rules.
    let (zone, _) = resolve(&r, "Europe_Berlin");
    assert_eq!(
        zone.to_utc(local("2014-04-09 09:30")),
        utc("2014-04-09 07:30")
    );
    // IndianReunion: +03:41:52 then +04:00 from 1911.
    let (zone, warning) = resolve(&r, "IndianReunion");
    assert_eq!(warning, None);
    assert_eq!(
        zone.to_utc(local("2014-04-18 11:30")),
        utc("2014-04-18 07:30")
    );
    assert_eq!(
        zone.offset_at(utc("1900-01-01 00:00")).local_minus_utc(),
        3 * H + 41 * 60 + 52
    );
}

#[test]
fn tz_libical_vtimezone_rrule_until() {
    // RFC 2445's examples: the DAYLIGHT rule ends with UNTIL=19980404T070000Z, so summer 1998
    // stays on standard time.
    let r = corpus("libical/2445.ics");
    let (zone, warning) = resolve(&r, "US--Fictitious-Eastern");
    assert_eq!(warning, None);
    assert_eq!(zone.iana_name(), None);
    assert_eq!(
        zone.to_utc(local("1997-07-01 08:30")),
        utc("1997-07-01 12:30")
    );
    assert_eq!(
        zone.to_utc(local("1998-07-01 08:30")),
        utc("1998-07-01 13:30")
    );
    // The file's first US-Eastern starts DAYLIGHT on the day STANDARD starts (1997-10-26), so
    // it is not tzdata's US/Eastern: its own rules are used, and the user is told.
    let (zone, warning) = resolve(&r, "US-Eastern");
    assert_eq!(zone.iana_name(), None);
    assert!(warning.expect("warning").contains("US/Eastern"));
}

#[test]
fn tz_invalid_offset_in_iana_zone_uses_tzdata() {
    let r = corpus("khal/invalid_tzoffset.ics");
    let (zone, warning) = resolve(&r, "Europe/Berlin");
    assert_eq!(zone.iana_name(), Some("Europe/Berlin"));
    assert_eq!(warning, None);
}

/// ical.js' own expectations (test/timezone_test.js) for its Makebelieve zones, where they
/// follow RFC 5545. Two differ and are checked the RFC's way: ical.js reads 1990-01-01 02:00 in
/// RDATE_test as the second occurrence of a repeated hour (RFC 5545 3.3.5: the first), and puts
/// the 1980 DATE-valued RDATE change an hour later than midnight in TZOFFSETFROM.
#[test]
fn tz_ical_js_makebelieve_zones() {
    let hours = |zone: &Zone, s: &str| offset_of_local(zone, s) / H;
    let rdate = corpus("ical.js/samples/timezones/Makebelieve/RDATE_test.ics");
    let (zone, warning) = resolve(&rdate, "Makebelieve/RDATE_as_date");
    assert_eq!(warning, None);
    assert_eq!(hours(&zone, "1980-01-01 01:00"), -5);
    assert_eq!(hours(&zone, "1990-01-01 00:59"), -4);
    assert_eq!(hours(&zone, "1990-01-01 03:00"), -5);
    // Repeated hour 02:00-03:00: first occurrence.
    assert_eq!(hours(&zone, "1990-01-01 02:00"), -4);

    let rdate_utc = corpus("ical.js/samples/timezones/Makebelieve/RDATE_utc_test.ics");
    let (zone, _) = resolve(&rdate_utc, "Makebelieve/RDATE_as_date_utc");
    assert_eq!(hours(&zone, "1980-01-01 00:59"), -5);
    assert_eq!(hours(&zone, "1980-01-01 01:00"), -5);
    assert_eq!(hours(&zone, "1990-01-01 00:59"), -4);

    let until = corpus("ical.js/samples/timezones/Makebelieve/RRULE_UNTIL_test.ics");
    let (zone, _) = resolve(&until, "Makebelieve/RRULE_UNTIL");
    assert_eq!(hours(&zone, "1975-01-01 01:00"), -5);
    assert_eq!(hours(&zone, "1975-01-01 03:00"), -4);
    assert_eq!(hours(&zone, "1985-01-01 03:00"), -4);
}

fn ics_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("corpus dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            ics_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "ics") {
            out.push(path);
        }
    }
}

/// Every TZID written anywhere in the corpus (parameters and VTIMEZONEs, fuzzer output included)
/// resolves without a panic and evaluates; the real-world names resolve to the zone they mean.
#[test]
fn tz_every_corpus_tzid_resolves() {
    let mut files = Vec::new();
    ics_files(&corpus_root(), &mut files);
    assert!(
        files.len() > 100,
        "corpus not found at {}",
        corpus_root().display()
    );
    let fallback = Zone::Iana(chrono_tz::Asia::Tokyo);
    let mut tzids = 0;
    let mut unknown = std::collections::BTreeSet::new();
    for path in &files {
        let text = String::from_utf8_lossy(&std::fs::read(path).expect("read")).into_owned();
        let resolver = ZoneResolver::new(vtimezones(&text));
        let unfolded = text.replace("\r\n", "\n").replace("\n ", "");
        for line in unfolded.lines() {
            let upper = line.to_ascii_uppercase();
            let tzid = if let Some(rest) = upper.strip_prefix("TZID:") {
                &line[line.len() - rest.len()..]
            } else if let Some(at) = upper.find(";TZID=") {
                let rest = &line[at + 6..];
                let end = if let Some(quoted) = rest.strip_prefix('"') {
                    quoted.find('"').map_or(rest.len(), |e| e + 2)
                } else {
                    rest.find([';', ':']).unwrap_or(rest.len())
                };
                &rest[..end]
            } else {
                continue;
            };
            tzids += 1;
            let res = resolver.resolve(tzid, &fallback);
            let instant = res.zone.to_utc(local("2026-03-29 02:30"));
            let _ = res.zone.offset_at(instant);
            if res.zone == fallback {
                unknown.insert(tzid.to_string());
            }
        }
    }
    println!("{} files, {tzids} TZIDs, unknown: {unknown:?}", files.len());
    for known in [
        "Europe/lisbon",
        "US-Eastern",
        "America-Chicago",
        "GMT Standard Time",
    ] {
        assert!(!unknown.contains(known), "{known}");
    }
}

/// Exchange VTIMEZONEs (DTSTART 1601 + today's rule) under Windows names become the IANA zone,
/// as the recurring-ical-events oracle reads them.
#[test]
fn tz_recurring_ical_events_windows_zones() {
    for (file, tzid, want) in [
        (
            "issue_28_rrule_with_UTC_endinginZ.ics",
            "GMT Standard Time",
            "Europe/London",
        ),
        (
            "issue_27_t1.ics",
            "W. Europe Standard Time",
            "Europe/Berlin",
        ),
        (
            "issue_107_omitting_last_event.ics",
            "Pacific Standard Time",
            "America/Los_Angeles",
        ),
    ] {
        let r = corpus(&format!("recurring-ical-events/{file}"));
        let (zone, warning) = resolve(&r, tzid);
        assert_eq!(zone.iana_name(), Some(want), "{file}");
        assert_eq!(warning, None, "{file}");
    }
}
