//! A real CalDAV server (Radicale, started by scripts/test.sh) as a Nextcloud-style feed:
//! events PUT into a collection, then read back by `rapport agenda` with basic auth from
//! `password_command`.

use crate::common::{json_array, Home};

fn radicale_url() -> Option<String> {
    match std::env::var("RAPPORT_TEST_RADICALE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "RAPPORT_TEST_RADICALE_URL is not set: run the tests through scripts/test.sh"
            );
            eprintln!("skipped: no Radicale server (run scripts/test.sh)");
            None
        }
    }
}

/// `http://user:pass@host:port/path/` -> (`http://host:port/path/`, user, pass).
fn split_credentials(url: &str) -> (String, String, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (userinfo, hostpath) = rest.split_once('@').expect("credentials in the URL");
    let (user, pass) = userinfo.split_once(':').expect("user:pass");
    (format!("http://{hostpath}"), user.into(), pass.into())
}

fn event(uid: &str, body: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//rapport tests//EN\r\n\
BEGIN:VTIMEZONE\r\nTZID:Europe/Amsterdam\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

#[test]
fn agenda_reads_a_caldav_collection_with_basic_auth() {
    let Some(url) = radicale_url() else { return };
    let (base, user, pass) = split_credentials(&url);
    let unique = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    );
    let sync_uid = format!("sync-{unique}@example.com");
    let weekly_uid = format!("weekly-{unique}@example.com");
    let events = [
        (
            sync_uid.clone(),
            event(
                &sync_uid,
                "DTSTART;TZID=Europe/Amsterdam:20261201T100000\r\nDTEND;TZID=Europe/Amsterdam:20261201T103000\r\n\
SUMMARY:Marketing sync\r\nATTENDEE;CN=\"Bakker, Yvonne\";PARTSTAT=ACCEPTED:mailto:yvonne.bakker@acme.example\r\n",
            ),
        ),
        (
            weekly_uid.clone(),
            event(
                &weekly_uid,
                "DTSTART;TZID=Europe/Amsterdam:20261123T090000\r\nDURATION:PT15M\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEXDATE;TZID=Europe/Amsterdam:20261207T090000\r\nSUMMARY:Weekly planning\r\n",
            ),
        ),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    for (uid, body) in &events {
        let status = runtime
            .block_on(
                client
                    .put(format!("{base}{uid}.ics"))
                    .basic_auth(&user, Some(&pass))
                    .header("Content-Type", "text/calendar")
                    .body(body.clone())
                    .send(),
            )
            .expect("PUT to Radicale")
            .status();
        assert!(status.is_success(), "PUT {uid}: {status}");
    }

    let home = Home::new();
    home.note_from_data("yvonne-bakker.md");
    home.write_config(&format!(
        "[people]\ndir = {:?}\n\n[[calendar]]\nname = \"Radicale\"\nurl = \"{base}\"\n\
         username = \"{user}\"\npassword_command = [\"echo\", \"{pass}\"]\n",
        home.people_dir().display().to_string()
    ));
    let out = home.rapport(&[
        "agenda",
        "--from",
        "2026-11-30",
        "--to",
        "2026-12-15",
        "--json",
    ]);
    let items = json_array(&out);
    let ours: Vec<(&str, &str)> = items
        .iter()
        .filter(|o| o["uid"] == sync_uid.as_str() || o["uid"] == weekly_uid.as_str())
        .map(|o| (o["summary"].as_str().unwrap(), o["start"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ours,
        [
            ("Weekly planning", "2026-11-30T09:00:00+01:00"),
            ("Marketing sync", "2026-12-01T10:00:00+01:00"),
            // 7 December is excluded (EXDATE).
            ("Weekly planning", "2026-12-14T09:00:00+01:00"),
        ]
    );
    let sync = items
        .iter()
        .find(|o| o["uid"] == sync_uid.as_str())
        .unwrap();
    assert_eq!(sync["attendees"][0]["person"], "yvonne-bakker.md");
    // The password never shows in the output.
    assert!(!out.stdout.contains(&pass));
}
