//! `rapport agenda` through the in-process CLI.

use serde_json::Value;

use crate::common::{self, json_array, Home};

fn feed() -> String {
    common::data_dir()
        .join("ics/agenda.ics")
        .to_string_lossy()
        .into_owned()
}

fn agenda_json(extra: &[&str]) -> Vec<Value> {
    let f = feed();
    let mut args = vec![
        "agenda",
        "--ics",
        f.as_str(),
        "--from",
        "2026-11-27",
        "--to",
        "2026-12-19",
        "--json",
    ];
    args.extend_from_slice(extra);
    json_array(&Home::new().rapport(&args))
}

#[test]
fn json_works_without_a_config_file_and_has_the_documented_keys() {
    let items = agenda_json(&[]);
    // Two standups (the 8 Dec one is cancelled) and the offsite.
    let summaries: Vec<&str> = items
        .iter()
        .map(|o| o["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries, ["Team standup", "Offsite", "Team standup"]);
    for key in [
        "calendar",
        "uid",
        "recurrence_id",
        "summary",
        "location",
        "conference_url",
        "start",
        "end",
        "all_day",
        "tz",
        "status",
        "my_status",
        "attendees",
    ] {
        assert!(items.iter().all(|o| o.get(key).is_some()), "missing {key}");
    }
    let s = &items[0];
    assert_eq!(s["calendar"], "agenda");
    assert_eq!(s["uid"], "standup");
    assert_eq!(s["start"], "2026-12-01T14:00:00+01:00");
    assert_eq!(s["end"], "2026-12-01T14:30:00+01:00");
    assert_eq!(s["recurrence_id"], "2026-12-01T14:00:00+01:00");
    assert_eq!(s["all_day"], false);
    assert_eq!(s["tz"], "Europe/Berlin");
    assert_eq!(s["location"], "Room 4");
    assert_eq!(s["conference_url"], "https://meet.google.com/abc-defg-hij");
    assert_eq!(s["status"], Value::Null);
    assert_eq!(s["my_status"], Value::Null);
    let bob = &s["attendees"][1];
    assert_eq!(bob["name"], "Bob, the builder");
    assert_eq!(bob["email"], "bob@example.org");
    assert_eq!(bob["role"], "opt-participant");
    assert_eq!(bob["partstat"], "declined");
    assert_eq!(bob["cutype"], Value::Null);
    let offsite = &items[1];
    assert_eq!(offsite["start"], "2026-12-05");
    assert_eq!(offsite["end"], "2026-12-07");
    assert_eq!(offsite["all_day"], true);
    assert_eq!(offsite["tz"], Value::Null);
    assert_eq!(offsite["recurrence_id"], Value::Null);
}

#[test]
fn cancelled_only_when_asked() {
    let items = agenda_json(&["--include-cancelled"]);
    let cancelled: Vec<&Value> = items
        .iter()
        .filter(|o| o["status"] == "cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["start"], "2026-12-08T14:00:00+01:00");
    assert_eq!(items.len(), 4);
}

#[test]
fn rfc3339_bounds_select_by_overlap() {
    let home = Home::new();
    let f = feed();
    // 13:15Z is inside the 13:00-13:30Z standup of 1 Dec.
    let out = home.rapport(&[
        "agenda",
        "--ics",
        &f,
        "--from",
        "2026-12-01T13:15:00Z",
        "--to",
        "2026-12-01T14:20:00+01:00",
        "--json",
    ]);
    let items = json_array(&out);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["start"], "2026-12-01T14:00:00+01:00");
}

#[test]
fn text_output_groups_by_day_and_marks_declined() {
    let home = Home::new();
    let f = feed();
    let out = home.rapport(&[
        "agenda",
        "--ics",
        &f,
        "--from",
        "2026-11-27",
        "--to",
        "2026-12-19",
    ]);
    assert!(out.success(), "{:?}", out.error);
    let text = out.stdout;
    assert!(text.contains("Dec 2026\n"), "{text}");
    assert!(text.contains("Team standup"), "{text}");
    assert!(text.contains("at Room 4"), "{text}");
    assert!(
        text.contains("join https://meet.google.com/abc-defg-hij"),
        "{text}"
    );
    assert!(text.contains("Bob, the builder (declined)"), "{text}");
    // Rooms are not people.
    assert!(
        !text.contains("with Ann Lead, Bob, the builder (declined), Room 4"),
        "{text}"
    );
    assert!(text.contains("all day (2 days)"), "{text}");
    assert!(!text.contains("cancelled"), "{text}");
    assert_eq!(text.matches("Team standup").count(), 2, "{text}");
}

#[test]
fn bad_bounds_and_missing_files_are_explained() {
    let home = Home::new();
    let f = feed();
    let out = home.rapport(&["agenda", "--ics", &f, "--from", "next tuesday"]);
    let err = out.error.expect("error");
    assert!(err.contains("--from") && err.contains("RFC 3339"), "{err}");
    let out = home.rapport(&[
        "agenda",
        "--ics",
        &f,
        "--from",
        "2026-12-02",
        "--to",
        "2026-12-01",
    ]);
    assert!(out.error.expect("error").contains("must be after"));
    let missing = home.path("nope.ics");
    let out = home.rapport(&["agenda", "--ics", missing.to_str().unwrap(), "--json"]);
    let err = out.error.expect("error");
    assert!(err.contains("nope.ics"), "{err}");
}

#[test]
fn configured_calendars_over_http_and_my_status_from_me() {
    let server = common::http::TestServer::start();
    let body = std::fs::read(feed()).unwrap();
    server.route("/team.ics", vec![common::http::Reply::calendar(body)]);
    let home = Home::new();
    home.write_config(&format!(
        "[me]\nemails = [\"BOB@example.org\"]\n\n[[calendar]]\nname = \"Team\"\nurl = \"{}\"\n",
        server.url("/team.ics")
    ));
    let out = home.rapport(&[
        "agenda",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-02",
        "--json",
    ]);
    let items = json_array(&out);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["calendar"], "Team");
    // Bob (me, matched case-insensitively) declined; the text marks it.
    assert_eq!(items[0]["my_status"], "declined");
    let text = home.rapport(&["agenda", "--from", "2026-12-01", "--to", "2026-12-02"]);
    assert!(
        text.stdout.contains("Team standup [declined]"),
        "{}",
        text.stdout
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn ics_url_replaces_the_configured_calendars_and_keeps_me() {
    let server = common::http::TestServer::start();
    let body = std::fs::read(feed()).unwrap();
    server.route("/cal.ics", vec![common::http::Reply::calendar(body)]);
    let home = Home::new();
    home.write_config("[me]\nemails = [\"ann@example.org\"]\n\n[[calendar]]\nname = \"Gone\"\npath = \"/nonexistent/gone.ics\"\n",
    );
    let url = server.url("/cal.ics");
    let out = home.rapport(&[
        "agenda",
        "--ics",
        &url,
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-02",
        "--json",
    ]);
    let items = json_array(&out);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["my_status"], "accepted");
}

#[test]
fn no_config_and_no_ics_says_what_to_do() {
    let home = Home::new();
    let out = home.rapport(&["agenda"]);
    let err = out.error.expect("error");
    assert!(
        err.contains("config.toml") && err.contains("--ics"),
        "{err}"
    );
}
