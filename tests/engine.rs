//! The calendar engine on small hand-written feeds (`tests/data/ics/`), one
//! test per requirement of issue 2 points 4 to 7.

use chrono::{DateTime, Utc};
use rapport::calendar::model::{Occurrence, PartStat, RecurrenceId, Status};
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar, ExpandOptions, ParsedCalendar, MAX_INSTANCES_PER_SERIES};

use crate::common;

fn cal(file: &str) -> ParsedCalendar {
    let bytes = std::fs::read(common::data_dir().join("ics").join(file)).expect("test feed");
    parse_calendar(file, &bytes)
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339 in test")
        .with_timezone(&Utc)
}

fn opts_in(zone: &str) -> ExpandOptions {
    ExpandOptions {
        floating: Zone::Iana(zone.parse().expect("zone")),
        me_emails: vec!["me@example.org".into()],
    }
}

fn utc_opts() -> ExpandOptions {
    ExpandOptions {
        floating: Zone::utc(),
        me_emails: vec!["me@example.org".into()],
    }
}

/// December 2026, the window most tests look at.
fn december(c: &ParsedCalendar, opts: &ExpandOptions) -> Vec<Occurrence> {
    c.occurrences(t("2026-11-25T00:00:00Z"), t("2026-12-20T00:00:00Z"), opts)
}

fn of<'a>(occs: &'a [Occurrence], uid: &str) -> Vec<&'a Occurrence> {
    occs.iter().filter(|o| o.uid == uid).collect()
}

fn starts(occs: &[&Occurrence]) -> Vec<String> {
    occs.iter().map(|o| o.start.to_rfc3339()).collect()
}

// --- Point 4: parsing that survives real files ---------------------------------------------

#[test]
fn bom_and_all_line_endings_read_the_same() {
    for file in ["bom_crlf.ics", "lf_only.ics", "cr_only.ics"] {
        let c = cal(file);
        let occs = december(&c, &utc_opts());
        assert_eq!(occs.len(), 1, "{file}");
        assert_eq!(occs[0].uid, "le-1", "{file}");
        assert_eq!(occs[0].summary, "Line endings", "{file}");
        assert_eq!(occs[0].start.to_rfc3339(), "2026-12-01T09:00:00+00:00");
        assert!(c.warnings.is_empty(), "{file}: {:?}", c.warnings);
    }
}

#[test]
fn fold_inside_a_multibyte_character_and_invalid_utf8() {
    let occs = december(&cal("fold_multibyte.ics"), &utc_opts());
    assert_eq!(occs[0].summary, "Käse und Brot");
    // Latin-1 "é" is not UTF-8: replaced, the rest kept.
    assert_eq!(
        occs[0].description.as_deref(),
        Some("caf\u{FFFD} in Latin-1")
    );
}

#[test]
fn several_vcalendars_in_one_file() {
    let c = cal("two_calendars.ics");
    let occs = december(&c, &utc_opts());
    let uids: Vec<&str> = occs.iter().map(|o| o.uid.as_str()).collect();
    assert_eq!(uids, ["first-1", "second-1"]);
    assert_eq!(c.title.as_deref(), Some("First"));
}

#[test]
fn names_case_insensitive_quoted_params_and_text_escapes() {
    let occs = december(&cal("case_and_params.ics"), &utc_opts());
    assert_eq!(occs.len(), 1);
    let o = &occs[0];
    // tzid=europe/berlin in lower case still resolves.
    assert_eq!(o.start.to_rfc3339(), "2026-12-01T09:00:00+01:00");
    assert_eq!(o.tz.as_deref(), Some("Europe/Berlin"));
    assert_eq!(o.end.to_rfc3339(), "2026-12-01T09:45:00+01:00");
    assert_eq!(
        o.summary,
        "Lower-case names, escaped; text\nsecond line \\ backslash"
    );
    assert_eq!(o.location.as_deref(), Some("Room \"Blue\""));
    let john = &o.attendees[0];
    assert_eq!(john.name.as_deref(), Some("Doe; John: Jr"));
    assert_eq!(john.email.as_deref(), Some("john.doe@example.org"));
    assert_eq!(john.partstat.as_deref(), Some("accepted"));
    assert_eq!(john.role.as_deref(), Some("req-participant"));
    assert_eq!(john.cutype.as_deref(), Some("individual"));
    assert_eq!(o.attendees[1].partstat.as_deref(), Some("declined"));
    assert!(o.attendees[2].is_room_or_resource());
    assert_eq!(
        o.organizer.as_ref().and_then(|a| a.email.as_deref()),
        Some("boss@example.org")
    );
    // me@example.org declined.
    assert_eq!(o.my_status, Some(PartStat::Declined));
}

#[test]
fn a_bad_component_is_dropped_with_a_warning_and_the_rest_kept() {
    let c = cal("bad_components.ics");
    let occs = december(&c, &utc_opts());
    let uids: Vec<&str> = occs.iter().map(|o| o.uid.as_str()).collect();
    // The RRULE typo (`UNTL=`) hides the series' end: the rule is ignored, never guessed,
    // and the event keeps its first instance (issue 15).
    assert_eq!(uids, ["good-1", "bad-rrule", "no-colon", "good-2"]);
    let warned = |uid: &str, line: usize, needle: &str| {
        c.warnings.iter().any(|w| {
            w.uid.as_deref() == Some(uid)
                && w.line == Some(line)
                && w.message.contains(needle)
                && w.calendar == "bad_components.ics"
        })
    };
    assert!(warned("bad-dtstart", 15, "DTSTART"), "{:#?}", c.warnings);
    assert!(warned("bad-rrule", 21, "UNTL"), "{:#?}", c.warnings);
    assert!(warned("bad-rrule", 21, "rule ignored"), "{:#?}", c.warnings);
    assert!(warned("no-colon", 27, "no ':'"), "{:#?}", c.warnings);
    assert!(warned("truncated", 35, "not closed"), "{:#?}", c.warnings);
    // The zero-length event (DTSTART only) is in the window by its start.
    let g2 = of(&occs, "good-2")[0];
    assert_eq!(g2.start, g2.end);
}

#[test]
fn garbage_never_panics() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\xEF\xBB\xBF",
        b"END:VEVENT\r\nEND:VCALENDAR",
        b"BEGIN:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=\"unterminated:20260101T000000\r\nRRULE:FREQ=DAILY;COUNT=99999999999\r\nEND:VEVENT\r\nEND:VCALENDAR",
        b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:99991231T235959Z\nDURATION:P99999W\nRRULE:FREQ=YEARLY\nEND:VEVENT\nEND:VCALENDAR",
        b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:00010101\nRRULE:FREQ=DAILY;INTERVAL=0\nEXDATE:,,,\nRDATE;VALUE=PERIOD:20260101T000000Z/\nEND:VEVENT\nEND:VCALENDAR",
        b"\r\n \r\n\t\r\n:\r\n;\r\n;;;:::\r\n",
    ];
    for input in inputs {
        let c = parse_calendar("garbage", input);
        let _ = c.occurrences(
            t("0001-01-01T00:00:00Z"),
            t("9999-01-01T00:00:00Z"),
            &utc_opts(),
        );
        let _ = c.occurrences(
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            &utc_opts(),
        );
    }
    // "Everything" is a valid question.
    let zones = cal("zones.ics");
    let all = zones.occurrences(
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        &utc_opts(),
    );
    assert_eq!(all.len(), 8);
}

// --- Point 5: time zones ---------------------------------------------------------------------

#[test]
fn windows_custom_utc_floating_and_date_times() {
    let c = cal("zones.ics");
    let occs = december(&c, &opts_in("America/New_York"));
    let win = of(&occs, "windows")[0];
    assert_eq!(win.start.to_rfc3339(), "2026-12-01T09:00:00+01:00");
    assert_eq!(win.tz.as_deref(), Some("Europe/Berlin"));
    let z = of(&occs, "tzid-and-z")[0];
    assert_eq!(z.start_utc(), t("2026-12-01T10:00:00Z"));
    // Floating: in the local zone given by the options.
    let f = of(&occs, "floating")[0];
    assert_eq!(f.start.to_rfc3339(), "2026-12-01T09:00:00-05:00");
    assert_eq!(f.tz, None);
    // DATE: all-day from local midnight, one day long.
    let d = of(&occs, "all-day")[0];
    assert!(d.all_day);
    assert_eq!(d.start.to_rfc3339(), "2026-12-01T00:00:00-05:00");
    assert_eq!(d.end.to_rfc3339(), "2026-12-02T00:00:00-05:00");
    assert_eq!(d.tz, None);
    // Unknown zone: read as floating (local), with a warning naming it.
    let u = of(&occs, "unknown-zone")[0];
    assert_eq!(u.start.to_rfc3339(), "2026-12-01T09:00:00-05:00");
    assert!(c
        .warnings
        .iter()
        .any(|w| w.message.contains("Mars/Olympus_Mons")));
}

#[test]
fn zone_from_the_files_own_vtimezone() {
    let c = cal("zones.ics");
    let occs = c.occurrences(
        t("2026-07-01T00:00:00Z"),
        t("2026-07-02T00:00:00Z"),
        &utc_opts(),
    );
    let custom = of(&occs, "custom")[0];
    assert_eq!(custom.start.to_rfc3339(), "2026-07-01T09:00:00+02:00");
}

#[test]
fn dst_gap_uses_the_offset_before_and_fold_the_first() {
    let c = cal("zones.ics");
    let opts = utc_opts();
    let occs = c.occurrences(t("2026-03-28T00:00:00Z"), t("2026-10-27T00:00:00Z"), &opts);
    // 02:30 does not exist on 2026-03-29 in Berlin: +01:00 (before the gap) -> 01:30Z.
    assert_eq!(
        of(&occs, "dst-gap")[0].start_utc(),
        t("2026-03-29T01:30:00Z")
    );
    // 02:30 happens twice on 2026-10-25: the first (+02:00) -> 00:30Z.
    assert_eq!(
        of(&occs, "dst-fold")[0].start_utc(),
        t("2026-10-25T00:30:00Z")
    );
}

#[test]
fn x_wr_timezone_moves_utc_series_but_not_windows_zones() {
    let c = cal("xwr.ics");
    let occs = c.occurrences(
        t("2026-10-01T00:00:00Z"),
        t("2026-11-10T00:00:00Z"),
        &utc_opts(),
    );
    // 08:00Z = 10:00 Berlin in summer time; after 25 Oct it stays 10:00
    // Berlin (09:00Z), as Google shows it.
    assert_eq!(
        starts(&of(&occs, "weekly-utc")),
        [
            "2026-10-15T10:00:00+02:00",
            "2026-10-22T10:00:00+02:00",
            "2026-10-29T10:00:00+01:00",
            "2026-11-05T10:00:00+01:00"
        ]
    );
    assert_eq!(
        of(&occs, "weekly-utc")[0].tz.as_deref(),
        Some("Europe/Berlin")
    );
    let london = of(&occs, "windows-kept");
    assert_eq!(london[0].tz.as_deref(), Some("Europe/London"));
    assert_eq!(london[0].start.to_rfc3339(), "2026-10-15T09:00:00+01:00");
    assert_eq!(london[2].start.to_rfc3339(), "2026-10-29T09:00:00+00:00");
}

// --- Point 6: recurrence -----------------------------------------------------------------------

#[test]
fn several_rrules_are_united() {
    let occs = december(&cal("recurrence.ics"), &utc_opts());
    assert_eq!(
        starts(&of(&occs, "two-rules")),
        [
            "2026-12-01T09:00:00+01:00",
            "2026-12-03T09:00:00+01:00",
            "2026-12-08T09:00:00+01:00",
            "2026-12-10T09:00:00+01:00",
            "2026-12-15T09:00:00+01:00"
        ]
    );
}

#[test]
fn rdate_as_date_time_period_and_date() {
    let occs = december(&cal("recurrence.ics"), &utc_opts());
    let r = of(&occs, "rdates");
    assert_eq!(
        starts(&r),
        [
            "2026-12-01T14:00:00+01:00",
            "2026-12-03T16:00:00+01:00",
            "2026-12-04T09:00:00+01:00",
            "2026-12-05T09:00:00+01:00"
        ]
    );
    // DTEND's length for plain RDATEs, the period's own for PERIODs.
    assert_eq!(r[1].end.to_rfc3339(), "2026-12-03T17:00:00+01:00");
    assert_eq!(r[2].end_utc(), t("2026-12-04T11:00:00Z"));
    assert_eq!(r[3].end_utc(), t("2026-12-05T08:30:00Z"));
    let d = of(&occs, "rdate-dates");
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|o| o.all_day));
    assert_eq!(
        d[2].recurrence_id,
        Some(RecurrenceId::Date("2026-12-15".parse().unwrap()))
    );
}

#[test]
fn exdate_in_utc_on_a_zoned_series_and_as_a_date() {
    let occs = december(&cal("recurrence.ics"), &utc_opts());
    assert_eq!(
        starts(&of(&occs, "exdates")),
        [
            "2026-12-01T10:00:00+01:00",
            "2026-12-03T10:00:00+01:00",
            "2026-12-05T10:00:00+01:00"
        ]
    );
}

#[test]
fn overrides_move_change_and_cancel_and_highest_sequence_wins() {
    let occs = december(&cal("recurrence.ics"), &utc_opts());
    let o = of(&occs, "overrides");
    let shown: Vec<(String, &str, Option<Status>)> = o
        .iter()
        .map(|x| (x.start.to_rfc3339(), x.summary.as_str(), x.status))
        .collect();
    assert_eq!(
        shown,
        [
            ("2026-12-01T12:00:00+01:00".into(), "Series", None),
            (
                "2026-12-02T17:00:00+01:00".into(),
                "Moved to the evening",
                None
            ),
            (
                "2026-12-03T12:00:00+01:00".into(),
                "Cancelled instance",
                Some(Status::Cancelled)
            ),
            (
                "2026-12-04T12:00:00+01:00".into(),
                "Newest title edit wins",
                None
            ),
        ]
    );
    // The moved one keeps its original start as recurrence id.
    assert_eq!(
        o[1].recurrence_id,
        Some(RecurrenceId::DateTime(t("2026-12-02T11:00:00Z")))
    );
    assert_eq!(o[3].sequence, 3);
}

#[test]
fn this_and_future_reshapes_every_later_instance() {
    let occs = december(&cal("recurrence.ics"), &utc_opts());
    let f = of(&occs, "future");
    let shown: Vec<(String, String, &str)> = f
        .iter()
        .map(|x| (x.start.to_rfc3339(), x.end.to_rfc3339(), x.summary.as_str()))
        .collect();
    assert_eq!(shown.len(), 5);
    assert_eq!(shown[1].2, "Before");
    for (i, day) in [(2, 3), (3, 4), (4, 5)] {
        assert_eq!(shown[i].0, format!("2026-12-0{day}T10:00:00+00:00"));
        assert_eq!(shown[i].1, format!("2026-12-0{day}T10:30:00+00:00"));
        assert_eq!(shown[i].2, "After (two hours later, shorter)");
    }
    // Each keeps its own original start as recurrence id.
    assert_eq!(
        f[3].recurrence_id,
        Some(RecurrenceId::DateTime(t("2026-12-04T08:00:00Z")))
    );
}

#[test]
fn override_without_master_is_shown() {
    let occs = december(&cal("recurrence.ics"), &utc_opts());
    let o = of(&occs, "orphan");
    assert_eq!(starts(&o), ["2026-12-07T09:30:00+00:00"]);
    assert_eq!(
        o[0].recurrence_id,
        Some(RecurrenceId::DateTime(t("2026-12-07T09:00:00Z")))
    );
}

#[test]
fn until_as_date_or_floating_with_a_zoned_start() {
    let occs = december(&cal("recurrence.ics"), &utc_opts());
    // UNTIL=20261203 (a date, Exchange style): through Dec 3, local time.
    assert_eq!(
        starts(&of(&occs, "until-date")),
        [
            "2026-12-01T19:00:00-05:00",
            "2026-12-02T19:00:00-05:00",
            "2026-12-03T19:00:00-05:00"
        ]
    );
    // UNTIL=20261202T190000 floating: compared in New York time, inclusive.
    assert_eq!(
        starts(&of(&occs, "until-floating")),
        ["2026-12-01T19:00:00-05:00", "2026-12-02T19:00:00-05:00"]
    );
}

#[test]
fn until_before_dtstart_empty_rrule_end_before_start_and_duration() {
    let c = cal("recurrence.ics");
    let occs = december(&c, &utc_opts());
    assert!(of(&occs, "until-before-start").is_empty());
    let e = of(&occs, "empty-rrule");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].recurrence_id, None);
    let s = of(&occs, "end-before-start")[0];
    assert_eq!(s.start_utc(), t("2026-12-01T17:00:00Z"));
    assert_eq!(s.end_utc(), t("2026-12-01T18:00:00Z"));
    assert!(c
        .warnings
        .iter()
        .any(|w| w.uid.as_deref() == Some("end-before-start")));
    // DURATION instead of DTEND.
    let f = of(&occs, "future")[0];
    assert_eq!(f.end_utc() - f.start_utc(), chrono::Duration::hours(1));
}

#[test]
fn an_occurrence_that_started_before_the_window_is_found() {
    let c = cal("recurrence.ics");
    let occs = c.occurrences(
        t("2026-12-01T00:00:00Z"),
        t("2026-12-01T01:00:00Z"),
        &utc_opts(),
    );
    let l = of(&occs, "long-running");
    assert_eq!(starts(&l), ["2026-11-28T09:00:00+00:00"]);
}

#[test]
fn hostile_rules_are_bounded() {
    let c = cal("recurrence.ics");
    let occs = c.occurrences(
        t("2026-12-01T00:00:00Z"),
        t("2026-12-31T00:00:00Z"),
        &utc_opts(),
    );
    assert!(of(&occs, "hostile").is_empty());
    assert_eq!(of(&occs, "secondly").len(), MAX_INSTANCES_PER_SERIES);
}

#[test]
fn zero_and_reversed_windows_are_empty() {
    let c = cal("recurrence.ics");
    let at = t("2026-12-01T09:00:00Z");
    assert!(c.occurrences(at, at, &utc_opts()).is_empty());
    assert!(c
        .occurrences(at, at - chrono::Duration::days(1), &utc_opts())
        .is_empty());
}

// --- Point 7: occurrence fields ------------------------------------------------------------

#[test]
fn conference_links_status_transparency_and_my_status() {
    let c = cal("details.ics");
    let occs = december(&c, &utc_opts());
    let get = |uid: &str| of(&occs, uid)[0];
    let meet = get("meet");
    assert_eq!(
        meet.conference_url.as_deref(),
        Some("https://meet.google.com/abc-defg-hij")
    );
    assert!(meet.transparent);
    assert_eq!(meet.status, Some(Status::Tentative));
    // I organise it and am not listed as attendee: I attend.
    assert_eq!(meet.my_status, Some(PartStat::Accepted));
    let teams = get("teams");
    assert_eq!(
        teams.conference_url.as_deref(),
        Some("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0")
    );
    assert_eq!(teams.my_status, Some(PartStat::Tentative));
    let zoom = get("zoom");
    assert_eq!(
        zoom.conference_url.as_deref(),
        Some("https://us02web.zoom.us/j/123456789?pwd=abc")
    );
    // No PARTSTAT: NEEDS-ACTION (RFC 5545 3.2.12).
    assert_eq!(zoom.my_status, Some(PartStat::NeedsAction));
    assert_eq!(
        get("webex").conference_url.as_deref(),
        Some("https://acme.webex.com/meet/jdoe")
    );
    assert_eq!(get("none").conference_url, None);
    assert_eq!(get("none").my_status, None);
    assert!(occs.iter().all(|o| o.calendar == "details.ics"));
    // REFRESH-INTERVAL wins over X-PUBLISHED-TTL.
    assert_eq!(
        c.refresh_interval,
        Some(std::time::Duration::from_secs(7200))
    );
}

#[test]
fn sorted_by_start_then_uid() {
    let occs = december(&cal("recurrence.ics"), &utc_opts());
    for w in occs.windows(2) {
        assert!(
            (w[0].start_utc(), &w[0].uid) <= (w[1].start_utc(), &w[1].uid),
            "{} {} before {} {}",
            w[0].start,
            w[0].uid,
            w[1].start,
            w[1].uid
        );
    }
}

#[test]
fn parsed_calendars_can_be_shared_between_threads() {
    // The daemon parses on a fetch task and expands on the scheduler.
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ParsedCalendar>();
    assert_send_sync::<ExpandOptions>();
}

// --- Calendar truth (issue 15, issue 10 item 10): a meeting never depends on the viewer ------

/// The viewer zones every calendar-truth feed is read in: a half-hour offset, a half-hour offset
/// with DST, UTC+14, and the two zones most senders in these feeds write from.
const VIEWERS: [&str; 6] = [
    "UTC",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Kiritimati",
    "Europe/Berlin",
    "America/New_York",
];

/// One occurrence as the viewer-independent facts: `uid start..end` in UTC for a timed one,
/// `uid date..date` for an all-day one.
fn fact(o: &Occurrence) -> String {
    if o.all_day {
        format!("{} {}..{}", o.uid, o.start_date(), o.end.date_naive())
    } else {
        let f = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%MZ").to_string();
        format!("{} {}..{}", o.uid, f(o.start_utc()), f(o.end_utc()))
    }
}

/// The December facts of a feed, asserted identical in every viewer zone (the uids in
/// `floating` are left out: they move with the viewer, on purpose).
fn december_in_every_zone(c: &ParsedCalendar, floating: &[&str]) -> Vec<String> {
    let mut first: Option<Vec<String>> = None;
    for zone in VIEWERS {
        let facts: Vec<String> = december(c, &opts_in(zone))
            .iter()
            .filter(|o| !floating.contains(&o.uid.as_str()))
            .map(fact)
            .collect();
        match &first {
            None => first = Some(facts),
            Some(f) => assert_eq!(&facts, f, "{zone} differs from UTC"),
        }
    }
    first.unwrap_or_default()
}

/// Each (uid, text) is in a warning about that UID.
fn assert_warned(c: &ParsedCalendar, expected: &[(&str, &str)]) {
    for (uid, needle) in expected {
        assert!(
            c.warnings
                .iter()
                .any(|w| w.uid.as_deref() == Some(*uid) && w.message.contains(needle)),
            "{uid}: {:#?}",
            c.warnings
        );
    }
}

fn warnings_with<'c>(
    c: &'c ParsedCalendar,
    needle: &str,
) -> Vec<&'c rapport::calendar::model::Warning> {
    c.warnings
        .iter()
        .filter(|w| w.message.contains(needle))
        .collect()
}

#[test]
fn floating_times_beside_a_zoned_dtstart_are_read_in_its_zone() {
    let c = cal("truth_mixed_floating.ics");
    assert_eq!(
        december_in_every_zone(&c, &["all-floating"]),
        [
            // 09:00-10:00 New York: one hour, not zero (UTC) or minus 4.5 hours (Kolkata).
            "floating-dtend 2026-12-01T14:00Z..2026-12-01T15:00Z",
            "floating-series 2026-12-02T14:00Z..2026-12-02T14:30Z",
            // The 3rd is excluded by the floating EXDATE; the 4th moved by its override.
            "floating-series 2026-12-04T16:00Z..2026-12-04T17:00Z",
            "floating-dtstart 2026-12-05T08:00Z..2026-12-05T09:00Z",
            "floating-series 2026-12-05T14:00Z..2026-12-05T14:30Z",
            "utc-start 2026-12-06T09:00Z..2026-12-06T10:00Z",
            "floating-series 2026-12-06T14:00Z..2026-12-06T14:30Z",
            // The floating RDATE: 15:00 in New York.
            "floating-series 2026-12-10T20:00Z..2026-12-10T20:30Z",
        ]
    );
    // The event whose times all float stays on the viewer's clock, an hour long.
    for zone in VIEWERS {
        let occs = december(&c, &opts_in(zone));
        let o = of(&occs, "all-floating")[0];
        assert_eq!(
            o.start.naive_local().to_string(),
            "2026-12-07 09:00:00",
            "{zone}"
        );
        assert_eq!(o.end - o.start, chrono::Duration::hours(1), "{zone}");
    }
    // One warning for the feed, at the first such event.
    let w = warnings_with(&c, "read in the event's own zone");
    assert_eq!(w.len(), 1, "{:#?}", c.warnings);
    assert!(w[0].message.starts_with("5 events mix"), "{}", w[0].message);
    assert_eq!(
        (w[0].line, w[0].uid.as_deref()),
        (Some(4), Some("floating-dtend"))
    );
}

#[test]
fn a_tzid_the_file_defines_uses_the_files_rules_unless_it_is_an_iana_name() {
    let c = cal("truth_foreign_tzid.ics");
    let in_year = |zone: &str| {
        c.occurrences(
            t("2026-01-01T00:00:00Z"),
            t("2027-01-01T00:00:00Z"),
            &opts_in(zone),
        )
        .iter()
        .map(|o| format!("{} {}", fact(o), o.tz.as_deref().unwrap_or("-")))
        .collect::<Vec<_>>()
    };
    let utc = in_year("UTC");
    for zone in VIEWERS {
        assert_eq!(in_year(zone), utc, "{zone}");
    }
    assert_eq!(
        utc,
        [
            // The file's 1987 rules: DST from the first Sunday of April, so still EST (-05:00)
            // on 20 March, where tzdata's current rules say EDT.
            "us-eastern-march 2026-03-20T14:00Z..2026-03-20T15:00Z -",
            // A Windows name whose Exchange rules agree with tzdata keeps the IANA zone.
            "windows-name 2026-07-01T07:00Z..2026-07-01T08:00Z Europe/Berlin",
            // `(US and Canada)` is the display name `(US & Canada)`: New York with DST, not a
            // fixed -05:00.
            "display-name-and 2026-07-01T13:00Z..2026-07-01T14:00Z America/New_York",
            "us-eastern-july 2026-07-01T13:00Z..2026-07-01T14:00Z -",
            // EST again from the last Sunday of October in the file's rules.
            "us-eastern-october 2026-10-28T14:00Z..2026-10-28T15:00Z -",
        ]
    );
}

#[test]
fn a_utc_until_on_an_all_day_or_floating_series_includes_the_until_day_in_every_zone() {
    let c = cal("truth_until_utc.ics");
    let mut facts = december_in_every_zone(&c, &["floating-daily"]);
    facts.sort();
    assert_eq!(
        facts,
        [
            // The 3rd, 9th is excluded (its EXDATE is Berlin's midnight in UTC), the 10th moved
            // to the 12th (its RECURRENCE-ID too).
            "all-day-utc-ids 2026-12-07..2026-12-08",
            "all-day-utc-ids 2026-12-08..2026-12-09",
            "all-day-utc-ids 2026-12-12..2026-12-13",
            // Thursday 17 December is the UNTIL day (midnight in Berlin), as Outlook shows it.
            "exchange-all-day 2026-12-03..2026-12-04",
            "exchange-all-day 2026-12-17..2026-12-18",
            "hawaii-all-day 2026-12-01..2026-12-02",
            "hawaii-all-day 2026-12-02..2026-12-03",
            "hawaii-all-day 2026-12-03..2026-12-04",
            "hawaii-all-day 2026-12-04..2026-12-05",
            "hawaii-all-day 2026-12-05..2026-12-06",
            "utc-midnight-all-day 2026-12-01..2026-12-02",
            "utc-midnight-all-day 2026-12-02..2026-12-03",
            "utc-midnight-all-day 2026-12-03..2026-12-04",
            "utc-midnight-all-day 2026-12-04..2026-12-05",
            "utc-midnight-all-day 2026-12-05..2026-12-06",
        ]
    );
    // The floating series is on the viewer's clock, with the same four instances everywhere:
    // the last one (the 4th at 09:00, written from Berlin as 08:00Z) is kept.
    for zone in VIEWERS {
        let occs = december(&c, &opts_in(zone));
        let walls: Vec<String> = of(&occs, "floating-daily")
            .iter()
            .map(|o| o.start.naive_local().to_string())
            .collect();
        assert_eq!(
            walls,
            [
                "2026-12-01 09:00:00",
                "2026-12-02 09:00:00",
                "2026-12-03 09:00:00",
                "2026-12-04 09:00:00"
            ],
            "{zone}"
        );
    }
}

/// The wall-clock instances of each floating series of a feed (`uid MM-DD HH:MM..HH:MM`),
/// asserted identical in every viewer zone: a series without a zone moves with the viewer as a
/// whole, but which instances it has and how long they last never change.
fn floating_walls_in_every_zone(c: &ParsedCalendar, uids: &[&str]) -> Vec<String> {
    let mut first: Option<Vec<String>> = None;
    for zone in VIEWERS {
        let occs = december(c, &opts_in(zone));
        let mut walls: Vec<String> = occs
            .iter()
            .filter(|o| uids.contains(&o.uid.as_str()))
            .map(|o| {
                assert!(o.tz.is_none(), "{} is shown in {:?} in {zone}", o.uid, o.tz);
                format!(
                    "{} {}..{}",
                    o.uid,
                    o.start.naive_local().format("%m-%d %H:%M"),
                    o.end.naive_local().format("%H:%M")
                )
            })
            .collect();
        walls.sort();
        match &first {
            None => first = Some(walls),
            Some(f) => assert_eq!(&walls, f, "{zone} differs from UTC"),
        }
    }
    first.unwrap_or_default()
}

#[test]
fn zoned_and_utc_values_on_a_series_without_a_zone_do_not_depend_on_the_viewer() {
    let c = cal("truth_floating_series.ics");
    assert_eq!(
        floating_walls_in_every_zone(
            &c,
            &[
                "floating-future",
                "floating-utc-ids",
                "floating-tzid-values",
                "floating-utc-rdates",
                "floating-nearest",
                "floating-no-match",
                "floating-single",
            ]
        ),
        [
            // RANGE=THISANDFUTURE at 15:00Z (Berlin's 16:00 on the 2nd): that one and every
            // later one at 17:00.
            "floating-future 12-01 16:00..17:00",
            "floating-future 12-02 17:00..18:00",
            "floating-future 12-03 17:00..18:00",
            "floating-future 12-04 17:00..18:00",
            // 12-16 21:00Z is 12 hours from the 16th and from the 17th: the earlier goes;
            // 12-18 20:00Z is 11 hours after the 18th, 13 before the 19th: the 18th goes.
            "floating-nearest 12-17 09:00..10:00",
            "floating-nearest 12-19 09:00..10:00",
            // 12-10 09:00Z is two days from every instance: it excludes nothing.
            "floating-no-match 12-01 09:00..10:00",
            "floating-no-match 12-08 09:00..10:00",
            "floating-no-match 12-15 09:00..10:00",
            // A single meeting replaced by its override (UTC RECURRENCE-ID), shown once.
            "floating-single 12-19 10:00..10:30",
            // EXDATE 12-09 09:00 (Tokyo) hits the 9th, RECURRENCE-ID 12-10 09:00 (Berlin)
            // moves the 10th, RDATE 12-12 17:00 (New York) adds 17:00: the wall times written.
            "floating-tzid-values 12-08 09:00..10:00",
            "floating-tzid-values 12-10 11:00..12:00",
            "floating-tzid-values 12-11 09:00..10:00",
            "floating-tzid-values 12-12 17:00..18:00",
            // EXDATE 08:00Z and RECURRENCE-ID 08:00Z (written from Berlin) are the 09:00
            // instances of the 2nd and the 6th, the nearest within UTC-12..UTC+14: the 2nd is
            // gone and the 6th is shown once, at 14:00.
            "floating-utc-ids 12-01 09:00..10:00",
            "floating-utc-ids 12-03 09:00..10:00",
            "floating-utc-ids 12-04 09:00..10:00",
            "floating-utc-ids 12-05 09:00..10:00",
            "floating-utc-ids 12-06 14:00..15:00",
            "floating-utc-ids 12-07 09:00..10:00",
            // The UTC RDATEs are UTC wall times: 12-15 09:00 is the instance the rule has
            // already (not a second one), the PERIOD keeps its two hours.
            "floating-utc-rdates 12-14 09:00..10:00",
            "floating-utc-rdates 12-15 09:00..10:00",
            "floating-utc-rdates 12-16 16:00..17:00",
            "floating-utc-rdates 12-17 09:00..11:00",
        ]
    );
    // One warning per feed for the mix, one for the value that matches nothing.
    let mixed = warnings_with(&c, "series without a zone");
    assert_eq!(mixed.len(), 1, "{:#?}", c.warnings);
    assert!(
        mixed[0].message.starts_with("9 events"),
        "{}",
        mixed[0].message
    );
    assert_eq!(mixed[0].uid.as_deref(), Some("floating-utc-ids"));
    let lost = warnings_with(&c, "no instance within");
    assert_eq!(lost.len(), 1, "{:#?}", c.warnings);
    assert_eq!(lost[0].uid.as_deref(), Some("floating-no-match"));
}

#[test]
fn a_utc_until_on_a_sub_daily_series_without_a_zone_invents_no_instances() {
    // FREQ=HOURLY with UNTIL=10:00Z, no X-WR-TIMEZONE: UNTIL is a UTC wall time, two
    // instances, not the 15 that reading it at UTC+13 (right for a daily series) gives.
    let c = cal("truth_floating_series.ics");
    assert_eq!(
        floating_walls_in_every_zone(&c, &["floating-hourly"]),
        [
            "floating-hourly 12-12 09:00..09:30",
            "floating-hourly 12-12 10:00..10:30",
        ]
    );
}

#[test]
fn utc_values_on_a_series_without_a_zone_are_read_at_the_feeds_x_wr_timezone() {
    let c = cal("truth_floating_series_xwr.ics");
    assert_eq!(
        floating_walls_in_every_zone(&c, &["floating-beside-xwr", "hourly-beside-xwr"]),
        [
            // 08:00Z is 09:00 in Berlin: the 2nd excluded, the 3rd moved to noon, the RDATE
            // at 09:00 on the 5th.
            "floating-beside-xwr 12-01 09:00..10:00",
            "floating-beside-xwr 12-03 12:00..13:00",
            "floating-beside-xwr 12-05 09:00..10:00",
            // UNTIL=10:00Z is 11:00 in Berlin.
            "hourly-beside-xwr 12-12 09:00..09:30",
            "hourly-beside-xwr 12-12 10:00..10:30",
            "hourly-beside-xwr 12-12 11:00..11:30",
        ]
    );
    assert!(
        warnings_with(&c, "no instance within").is_empty(),
        "{:#?}",
        c.warnings
    );
}

#[test]
fn a_negative_or_invalid_duration_is_ignored_with_a_warning() {
    let c = cal("truth_durations.ics");
    assert_eq!(
        december_in_every_zone(&c, &[]),
        [
            // Not an 8-day timed event: the sign is not dropped, the default day is kept.
            "negative-all-day 2026-12-01..2026-12-02",
            "negative-timed 2026-12-02T08:00Z..2026-12-02T08:00Z",
            "invalid-all-day 2026-12-03..2026-12-04",
            "valid-timed 2026-12-04T08:00Z..2026-12-04T09:30Z",
        ]
    );
    let occs = december(&c, &utc_opts());
    assert!(of(&occs, "negative-all-day")[0].all_day);
    assert_warned(
        &c,
        &[
            ("negative-all-day", "`-PT1W1D2H3M4S` is negative; ignored"),
            ("negative-timed", "`-PT1H` is negative; ignored"),
            ("invalid-all-day", "`P1H` is not a duration"),
        ],
    );
}

#[test]
fn a_damaged_rrule_keeps_what_can_be_read_and_never_loses_the_first_instance() {
    let c = cal("truth_damaged_rrule.ics");
    let mut facts = december_in_every_zone(&c, &[]);
    facts.sort();
    assert_eq!(
        facts,
        [
            "damaged-google 2026-12-02T09:00Z..2026-12-02T10:00Z",
            "damaged-google 2026-12-09T09:00Z..2026-12-09T10:00Z",
            "damaged-google 2026-12-16T09:00Z..2026-12-16T10:00Z",
            "damaged-list 2026-12-07T09:00Z..2026-12-07T09:00Z",
            "damaged-list 2026-12-11T09:00Z..2026-12-11T09:00Z",
            "damaged-list 2026-12-14T09:00Z..2026-12-14T09:00Z",
            "damaged-list 2026-12-18T09:00Z..2026-12-18T09:00Z",
            // Without FREQ, or with an end that cannot be read, only DTSTART: never invented
            // instances, never a lost meeting.
            "no-freq 2026-12-03T09:00Z..2026-12-03T09:00Z",
            "rrule-without-colon 2026-12-05T09:00Z..2026-12-05T09:00Z",
            "unreadable-until 2026-12-04T09:00Z..2026-12-04T09:00Z",
        ]
    );
    assert_warned(
        &c,
        &[
            (
                "damaged-google",
                "`RRULE:AnythingRandom` is not of the form KEY=VALUE; skipped",
            ),
            ("damaged-list", "`XX`: not a weekday; skipped"),
            ("no-freq", "rule ignored, only DTSTART"),
            ("unreadable-until", "UNTIL: invalid value `TOMORROW`"),
            ("rrule-without-colon", "rule ignored, only DTSTART"),
        ],
    );
}

#[test]
fn an_empty_tzid_refers_to_the_vtimezone_whose_tzid_is_empty() {
    // RFC 5545 3.2.19: `TZID=` is a reference like any other, here to +05:30.
    let c = cal("truth_empty_tzid.ics");
    assert_eq!(
        december_in_every_zone(&c, &[]),
        ["empty-tzid 2026-12-01T03:30Z..2026-12-01T04:30Z"]
    );
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    // Without such a VTIMEZONE it names nothing: floating, as before, without a warning.
    let c = cal("truth_empty_tzid_undefined.ics");
    let o = &december(&c, &opts_in("Asia/Tokyo"))[0];
    assert_eq!(o.start.to_rfc3339(), "2026-12-01T09:00:00+09:00");
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
}

#[test]
fn an_unknown_tzid_is_read_in_a_matching_zone_the_calendars_or_yours_with_a_warning() {
    let c = cal("truth_unknown_tzid.ics");
    let occs = december(&c, &opts_in("Asia/Tokyo"));
    // `Western/Central Europe`: the Windows zone W. Europe Standard Time, Berlin.
    let wc = of(&occs, "western-central")[0];
    assert_eq!(
        fact(wc),
        "western-central 2026-12-01T08:00Z..2026-12-01T09:00Z"
    );
    assert_eq!(wc.tz.as_deref(), Some("Europe/Berlin"));
    // A name like nothing, no X-WR-TIMEZONE: the viewer's own zone, not UTC.
    let ho = of(&occs, "head-office")[0];
    assert_eq!(ho.start.to_rfc3339(), "2026-12-02T09:00:00+09:00");
    let said = |c: &ParsedCalendar, tzid: &str, needle: &str| {
        c.warnings
            .iter()
            .any(|w| w.message.contains(&format!("{tzid:?}")) && w.message.contains(needle))
    };
    assert!(
        said(
            &c,
            "Western/Central Europe",
            "read as Europe/Berlin, whose Windows name \"W. Europe Standard Time\" matches"
        ),
        "{:#?}",
        c.warnings
    );
    assert!(
        said(&c, "Head Office", "read in your own time zone"),
        "{:#?}",
        c.warnings
    );
    // With X-WR-TIMEZONE, the calendar's zone comes before yours.
    let c = cal("truth_unknown_tzid_xwr.ics");
    assert_eq!(
        december_in_every_zone(&c, &[]),
        ["head-office 2026-12-02T15:00Z..2026-12-02T16:00Z"]
    );
    assert!(
        said(
            &c,
            "Head Office",
            "read in the calendar's zone America/Chicago (X-WR-TIMEZONE)"
        ),
        "{:#?}",
        c.warnings
    );
}

#[test]
fn blank_lines_between_a_name_and_its_continuation_do_not_end_the_fold() {
    let c = cal("truth_blank_line_folds.ics");
    let occs = december(&c, &utc_opts());
    let facts: Vec<String> = occs.iter().map(fact).collect();
    assert_eq!(
        facts,
        [
            "fold-123 2026-12-01T08:00Z..2026-12-01T09:00Z",
            "fold-123 2026-12-02T10:00Z..2026-12-02T11:00Z",
        ]
    );
    assert_eq!(
        occs[0].summary,
        "Blank lines between a name and its continuation"
    );
    assert_eq!(occs[1].summary, "Moved");
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
}
