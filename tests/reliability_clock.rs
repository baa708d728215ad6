//! Reliability, point 5 (the parts without the daemon): the state file in any
//! condition, through `state.rs`'s API; DST days, 29 February and New Year
//! through the engine, the scheduler and the brief.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rapport::brief::{self, due_state, Now};
use rapport::calendar::tz::Zone;
use rapport::calendar::{parse_calendar, ExpandOptions};
use rapport::config::NotifyConfig;
use rapport::daemon::schedule::{self, Candidate, Decision, Input, Kind, SentKey};
use rapport::daemon::state::{Handled, Outcome, State, StateError, STATE_FILE, STATE_VERSION};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

// --- State file ------------------------------------------------------------------------------

fn saved_state() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut s = State {
        last_run: Some(t("2026-11-27T09:00:00Z")),
        ..State::default()
    };
    s.record(
        SentKey {
            calendar: "work".into(),
            uid: "u1".into(),
            start: t("2026-11-27T10:00:00Z"),
            kind: Kind::Prep,
            lead_s: 600,
        },
        t("2026-11-27T09:50:00Z"),
        Outcome::Sent,
    );
    s.record_feed_error("work", t("2026-11-27T09:00:00Z"), "HTTP 503");
    s.save(dir.path()).unwrap();
    std::fs::read(dir.path().join(STATE_FILE)).unwrap()
}

#[test]
fn a_state_file_cut_at_any_byte_loads_or_is_moved_aside_never_panics() {
    let full = saved_state();
    let now = t("2026-11-27T12:00:00Z");
    let complete = full.trim_ascii_end().len();
    for cut in 0..complete {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        std::fs::write(&path, &full[..cut]).unwrap();
        let loaded = State::load(dir.path(), now)
            .unwrap_or_else(|e| panic!("cut at {cut}: an error instead of a clean state: {e}"));
        // A prefix of a JSON object is never a complete one.
        assert_eq!(loaded.state, State::default(), "cut at {cut}");
        let aside = loaded.moved_aside.expect("moved aside");
        assert_eq!(
            std::fs::read(&aside).unwrap(),
            &full[..cut],
            "kept for a look"
        );
        assert!(!path.exists(), "cut at {cut}");
        assert!(loaded.problem.is_some());
        // `status` reads it without repairing and says what is wrong.
        std::fs::write(&path, &full[..cut]).unwrap();
        let err = State::load_read_only(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(STATE_FILE) && err.contains("unreadable"),
            "{err}"
        );
        assert!(path.exists(), "status leaves the file alone");
    }
    // The whole object (with or without its final newline) loads with what
    // was recorded.
    for cut in complete..=full.len() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE), &full[..cut]).unwrap();
        let loaded = State::load(dir.path(), now).unwrap();
        assert_eq!(loaded.state.sent.len(), 1);
        assert!(loaded.moved_aside.is_none());
    }
}

#[test]
fn corrupt_state_files_of_every_kind_start_clean() {
    let now = t("2026-11-27T12:00:00Z");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("whitespace", b"  \n\t".to_vec()),
        ("NUL bytes (a crash on some filesystems)", vec![0u8; 4096]),
        ("binary", (0..=255u8).cycle().take(3000).collect()),
        (
            "not UTF-8",
            b"{\"version\": 1, \"feeds\": {\"\xff\xfe\": {}}}".to_vec(),
        ),
        ("a JSON array", b"[1, 2, 3]".to_vec()),
        ("a JSON string", b"\"state\"".to_vec()),
        ("null", b"null".to_vec()),
        ("version as text", br#"{"version": "1"}"#.to_vec()),
        ("negative version", br#"{"version": -1}"#.to_vec()),
        (
            "sent of the wrong shape",
            br#"{"version": 1, "sent": {"a": 1}}"#.to_vec(),
        ),
        (
            "a bad date",
            br#"{"version": 1, "last_run": "yesterday"}"#.to_vec(),
        ),
        (
            "deep nesting",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ),
    ];
    for (what, bytes) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE), &bytes).unwrap();
        let loaded = State::load(dir.path(), now)
            .unwrap_or_else(|e| panic!("{what}: an error instead of a clean state: {e}"));
        assert_eq!(loaded.state, State::default(), "{what}");
        assert!(loaded.moved_aside.is_some(), "{what}");
        // The clean state saves and loads again.
        loaded.state.save(dir.path()).unwrap();
        let again = State::load(dir.path(), now).unwrap();
        assert!(again.moved_aside.is_none(), "{what}");
    }
}

#[test]
fn a_future_state_version_is_refused_and_left_untouched() {
    let now = t("2026-11-27T12:00:00Z");
    for found in [u64::from(STATE_VERSION) + 1, 1000, u64::MAX] {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(r#"{{"version": {found}, "whatever": ["a new field"]}}"#);
        let path = dir.path().join(STATE_FILE);
        std::fs::write(&path, &text).unwrap();
        match State::load(dir.path(), now) {
            Err(StateError::FutureVersion { found: f, .. }) => assert_eq!(f, found),
            other => panic!("version {found}: {other:?}"),
        }
        let err = State::load_read_only(dir.path()).unwrap_err().to_string();
        assert!(err.contains("newer rapport"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "never overwritten"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "nothing moved aside"
        );
    }
}

#[test]
fn a_state_path_that_is_a_folder_is_moved_aside_like_a_corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(STATE_FILE)).unwrap();
    std::fs::write(dir.path().join(STATE_FILE).join("inside"), "kept").unwrap();
    let loaded = State::load(dir.path(), t("2026-11-27T12:00:00Z")).unwrap();
    assert!(loaded.problem.unwrap().contains("folder"));
    let aside = loaded.moved_aside.unwrap();
    assert_eq!(
        std::fs::read_to_string(aside.join("inside")).unwrap(),
        "kept"
    );
    State::default().save(dir.path()).unwrap();
    assert!(dir.path().join(STATE_FILE).is_file());
}

// --- Calendar days ---------------------------------------------------------------------------

const AMS: &str = "Europe/Amsterdam";

fn ics(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{events}END:VCALENDAR\r\n")
}

fn event(uid: &str, start: &str, end: &str, rrule: &str) -> String {
    let rrule = if rrule.is_empty() {
        String::new()
    } else {
        format!("RRULE:{rrule}\r\n")
    };
    format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID={AMS}:{start}\r\nDTEND;TZID={AMS}:{end}\r\n{rrule}SUMMARY:{uid}\r\nORGANIZER;CN=Tom:mailto:tom@example.org\r\nATTENDEE;CN=Me:mailto:me@example.org\r\nATTENDEE;CN=Tom:mailto:tom@example.org\r\nEND:VEVENT\r\n"
    )
}

fn opts() -> ExpandOptions {
    ExpandOptions {
        floating: Zone::Iana(AMS.parse().unwrap()),
        me_emails: vec!["me@example.org".into()],
    }
}

/// Runs the scheduler once a minute from `from` to `to` like the daemon
/// (state kept between runs) and returns every notification sent.
fn simulate(
    cal_text: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(SentKey, DateTime<Utc>)> {
    let mut times = Vec::new();
    let mut now = from;
    while now <= to {
        times.push(now);
        now += Duration::minutes(1);
    }
    let (sent, skipped) = simulate_at(cal_text, &times);
    assert!(skipped.is_empty(), "{skipped:?}");
    sent
}

/// The scheduler run at each of `times` (in that order, which may go back),
/// with the state kept between runs: what was sent (on time, never late) and
/// what was skipped.
#[allow(clippy::type_complexity)]
fn simulate_at(
    cal_text: &str,
    times: &[DateTime<Utc>],
) -> (Vec<(SentKey, DateTime<Utc>)>, Vec<(SentKey, String)>) {
    let cal = parse_calendar("work", cal_text.as_bytes());
    assert!(cal.warnings.is_empty(), "{:?}", cal.warnings);
    let config = NotifyConfig::default();
    let mut handled: BTreeMap<SentKey, Handled> = BTreeMap::new();
    let mut sent = Vec::new();
    let mut skipped = Vec::new();
    let mut prev = Some(times[0] - Duration::minutes(1));
    for &now in times {
        let occs = cal.occurrences(now - Duration::hours(6), now + Duration::days(2), &opts());
        let candidates: Vec<Candidate> = occs
            .iter()
            .map(|o| Candidate {
                occurrence: o,
                with_people: true,
            })
            .collect();
        let plan = schedule::plan(&Input {
            candidates: &candidates,
            config: &config,
            handled: &handled,
            snoozes: &[],
            now,
            prev_now: prev,
        });
        for decision in plan.decisions {
            match decision {
                Decision::Send(s) => {
                    assert!(s.late_by.is_none(), "{} sent late at {now}", s.key);
                    handled.insert(
                        s.key.clone(),
                        Handled {
                            at: now,
                            outcome: Outcome::Sent,
                        },
                    );
                    sent.push((s.key, now));
                }
                Decision::Skip { key, reason, .. } => {
                    handled.insert(
                        key.clone(),
                        Handled {
                            at: now,
                            outcome: Outcome::Skipped,
                        },
                    );
                    skipped.push((key, reason.to_string()));
                }
            }
        }
        prev = Some(now);
    }
    (sent, skipped)
}

fn preps(sent: &[(SentKey, DateTime<Utc>)]) -> Vec<(String, String)> {
    sent.iter()
        .filter(|(k, _)| k.kind == Kind::Prep)
        .map(|(k, at)| (k.start.to_rfc3339(), at.to_rfc3339()))
        .collect()
}

#[test]
fn dst_nights_notify_each_daily_meeting_once_at_its_local_time() {
    // 09:00 daily, a 02:30 daily in the spring gap (02:00-03:00 does not
    // exist on 29 March) and a 02:30 daily in the autumn fold (exists twice on
    // 25 October).
    let cal = ics(&format!(
        "{}{}",
        event("nine", "20260101T090000", "20260101T093000", "FREQ=DAILY"),
        event("night", "20260101T023000", "20260101T030000", "FREQ=DAILY"),
    ));
    // Spring: 28 March 12:00Z to 30 March 12:00Z.
    let sent = simulate(&cal, t("2026-03-28T12:00:00Z"), t("2026-03-30T12:00:00Z"));
    let p = preps(&sent);
    let expect: Vec<(String, String)> = [
        // 02:30 +01:00 on the 29th does not exist: placed at 03:30 +02:00
        // (RFC 5545: the offset before the gap), 01:30Z.
        ("2026-03-29T01:30:00+00:00", "2026-03-29T01:20:00+00:00"),
        ("2026-03-29T07:00:00+00:00", "2026-03-29T06:50:00+00:00"),
        ("2026-03-30T00:30:00+00:00", "2026-03-30T00:20:00+00:00"),
        ("2026-03-30T07:00:00+00:00", "2026-03-30T06:50:00+00:00"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(p, expect);
    let unique: BTreeSet<_> = sent.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(unique.len(), sent.len(), "nothing sent twice");

    // Autumn: the 02:30 of 25 October is the first one (+02:00, 00:30Z), once.
    let sent = simulate(&cal, t("2026-10-24T12:00:00Z"), t("2026-10-26T12:00:00Z"));
    let p = preps(&sent);
    let expect: Vec<(String, String)> = [
        ("2026-10-25T00:30:00+00:00", "2026-10-25T00:20:00+00:00"),
        ("2026-10-25T08:00:00+00:00", "2026-10-25T07:50:00+00:00"),
        ("2026-10-26T01:30:00+00:00", "2026-10-26T01:20:00+00:00"),
        ("2026-10-26T08:00:00+00:00", "2026-10-26T07:50:00+00:00"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(p, expect);
    let unique: BTreeSet<_> = sent.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(unique.len(), sent.len(), "nothing sent twice");
}

#[test]
fn new_year_meeting_across_midnight_is_notified_once_with_the_right_day() {
    let cal = ics(&event("nye", "20261231T235000", "20270101T002000", ""));
    let sent = simulate(&cal, t("2026-12-31T20:00:00Z"), t("2027-01-01T01:00:00Z"));
    let kinds: Vec<(Kind, String)> = sent
        .iter()
        .map(|(k, at)| (k.kind, at.to_rfc3339()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Kind::Prep, "2026-12-31T22:40:00+00:00".to_string()),
            (Kind::Debrief, "2026-12-31T23:22:00+00:00".to_string()),
        ]
    );
    // The brief says "in 10 min" at the prep time and names the times locally.
    let parsed = parse_calendar("work", cal.as_bytes());
    let occs = parsed.occurrences(
        t("2026-12-31T00:00:00Z"),
        t("2027-01-02T00:00:00Z"),
        &opts(),
    );
    let now = Now::new(t("2026-12-31T22:40:00Z"), Zone::Iana(AMS.parse().unwrap()));
    let (b, _) = brief::compose(
        &occs[0],
        &[],
        &Default::default(),
        &Default::default(),
        &now,
    );
    assert_eq!(brief::relative_when(&b.meeting, &now), "in 10 min");
    let range = brief::time_range(&b, &now);
    assert!(
        range.contains("23:50") && range.contains("00:20"),
        "{range}"
    );
    // Due dates across the new year.
    assert_eq!(due_state(d("2027-01-01"), d("2026-12-31")), "due tomorrow");
    assert_eq!(due_state(d("2026-12-31"), d("2027-01-01")), "1 day overdue");
    assert_eq!(
        due_state(d("2027-01-05"), d("2026-12-31")),
        "due Tue 5 Jan 2027"
    );
}

#[test]
fn twenty_ninth_of_february_only_in_leap_years() {
    let cal = ics(&format!(
        "{}{}{}",
        event("leap", "20280229T100000", "20280229T110000", "FREQ=YEARLY"),
        event(
            "last",
            "20260131T100000",
            "20260131T110000",
            "FREQ=MONTHLY;BYMONTHDAY=-1"
        ),
        event(
            "daily",
            "20280227T100000",
            "20280227T110000",
            "FREQ=DAILY;COUNT=4"
        ),
    ));
    let parsed = parse_calendar("work", cal.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let occs = parsed.occurrences(
        t("2026-01-01T00:00:00Z"),
        t("2033-01-01T00:00:00Z"),
        &opts(),
    );
    let days = |uid: &str| -> Vec<String> {
        occs.iter()
            .filter(|o| o.uid == uid)
            .map(|o| o.start.date_naive().to_string())
            .collect()
    };
    // RFC 5545: a yearly 29 February recurs only where it exists.
    assert_eq!(days("leap"), ["2028-02-29", "2032-02-29"]);
    let last: Vec<String> = days("last")
        .into_iter()
        .filter(|s| s.contains("-02-"))
        .collect();
    assert_eq!(
        last,
        [
            "2026-02-28",
            "2027-02-28",
            "2028-02-29",
            "2029-02-28",
            "2030-02-28",
            "2031-02-28",
            "2032-02-29"
        ]
    );
    assert_eq!(
        days("daily"),
        ["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01"]
    );
    // Notified once on the day itself.
    let sent = simulate(&cal, t("2028-02-28T12:00:00Z"), t("2028-03-01T12:00:00Z"));
    let leap: Vec<_> = sent
        .iter()
        .filter(|(k, _)| k.uid == "leap" && k.kind == Kind::Prep)
        .map(|(_, at)| at.to_rfc3339())
        .collect();
    assert_eq!(leap, ["2028-02-29T08:50:00+00:00"]);
    assert_eq!(due_state(d("2028-03-01"), d("2028-02-28")), "due Wed 1 Mar");
    assert_eq!(due_state(d("2028-02-29"), d("2028-02-28")), "due tomorrow");
}

#[test]
fn clock_set_back_hours_sends_nothing_twice_and_forward_sends_nothing_stale() {
    let cal = ics(&format!(
        "{}{}",
        event("ten", "20261127T100000", "20261127T103000", ""),
        event("fifteen", "20261127T150000", "20261127T153000", ""),
    ));
    let minutes = |from: &str, to: &str| -> Vec<DateTime<Utc>> {
        let (mut t0, t1) = (t(from), t(to));
        let mut v = Vec::new();
        while t0 <= t1 {
            v.push(t0);
            t0 += Duration::minutes(1);
        }
        v
    };
    // 08:30Z to 09:45Z (the 10:00 CET prep goes out at 08:50Z), then the
    // clock is set back two hours and runs to 09:45Z again.
    let mut times = minutes("2026-11-27T08:30:00Z", "2026-11-27T09:45:00Z");
    times.extend(minutes("2026-11-27T07:45:00Z", "2026-11-27T09:45:00Z"));
    let (sent, skipped) = simulate_at(&cal, &times);
    let ten: Vec<_> = sent.iter().filter(|(k, _)| k.uid == "ten").collect();
    assert_eq!(
        ten.len(),
        2,
        "one prep and one debrief, never again: {ten:?}"
    );
    assert!(skipped.is_empty(), "{skipped:?}");

    // Running until 12:00Z, then the clock jumps forward five hours (to
    // 17:00Z, past the 15:00 CET meeting and its debrief): nothing stale is
    // sent; everything missed is skipped with a reason.
    let mut times = minutes("2026-11-27T11:50:00Z", "2026-11-27T12:00:00Z");
    times.extend(minutes("2026-11-27T17:00:00Z", "2026-11-27T17:05:00Z"));
    let (sent, skipped) = simulate_at(&cal, &times);
    assert!(
        sent.iter().all(|(k, _)| k.uid != "fifteen"),
        "stale notifications sent: {sent:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|(k, why)| k.uid == "fifteen" && why.starts_with("stale")),
        "{skipped:?}"
    );
}
