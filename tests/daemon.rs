//! End-to-end tests of `rapport run`: the real daemon (in-process) reads a
//! feed from an HTTP server on 127.0.0.1, with a temporary config and people
//! folder, and notifies a real dunst on a private session bus; what arrived is
//! read back with `dunstctl history`. Meetings are generated relative to now,
//! so each test waits for real deadlines of a few seconds.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Local, Utc};
use rapport::daemon::notify::DbusNotifier;

use crate::common::daemon::{wait_for, InProcess};
use crate::common::home::calendar_entry;
use crate::common::http::{Reply, TestServer};
use crate::common::ics::{stamp, vcalendar};
use crate::common::{notify_stack, unique, EmptyBus, HistoryEntry, Home, PrivateDunst};

/// One VEVENT. `people`: (name, email) of other attendees; I am always invited.
struct Ev<'a> {
    uid: &'a str,
    summary: &'a str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    people: &'a [(&'a str, &'a str)],
    my_partstat: &'a str,
    status: &'a str,
    all_day: bool,
    sequence: u32,
}

impl<'a> Ev<'a> {
    fn new(uid: &'a str, summary: &'a str, start: DateTime<Utc>) -> Ev<'a> {
        Ev {
            uid,
            summary,
            start,
            end: start + ChronoDuration::minutes(30),
            people: &[("Tom de Vries", "tom@example.org")],
            my_partstat: "ACCEPTED",
            status: "CONFIRMED",
            all_day: false,
            sequence: 0,
        }
    }
}

fn ics(events: &[Ev<'_>]) -> String {
    let mut s = String::new();
    for e in events {
        s.push_str("BEGIN:VEVENT\r\n");
        s.push_str(&format!("UID:{}\r\nDTSTAMP:20260101T000000Z\r\n", e.uid));
        if e.all_day {
            let day = e.start.with_timezone(&Local).date_naive();
            s.push_str(&format!(
                "DTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\n",
                day.format("%Y%m%d"),
                day.succ_opt().unwrap().format("%Y%m%d")
            ));
        } else {
            s.push_str(&format!(
                "DTSTART:{}\r\nDTEND:{}\r\n",
                stamp(e.start),
                stamp(e.end)
            ));
        }
        s.push_str(&format!(
            "SUMMARY:{}\r\nSTATUS:{}\r\nSEQUENCE:{}\r\n",
            e.summary, e.status, e.sequence
        ));
        s.push_str("ORGANIZER;CN=Me Myself:mailto:me@example.org\r\n");
        s.push_str(&format!(
            "ATTENDEE;CN=Me Myself;PARTSTAT={}:mailto:me@example.org\r\n",
            e.my_partstat
        ));
        for (name, email) in e.people {
            s.push_str(&format!(
                "ATTENDEE;CN={name};PARTSTAT=ACCEPTED:mailto:{email}\r\n"
            ));
        }
        s.push_str("END:VEVENT\r\n");
    }
    vcalendar(&s)
}

fn tom_note(extra_follow_up: &str) -> String {
    let today = Local::now().date_naive();
    let yesterday = today.pred_opt().unwrap();
    format!(
        "---\nname: Tom de Vries\nemail: tom@example.org\norg: Acme\nrole: Data lead\n---\n\
         # Tom de Vries\n\n## Talk about\n- Cycling: rode the Amstel Gold Race\n\n\
         ## Follow-ups\n- [ ] Ask about the platform migration 🛫 {yesterday}\n{extra_follow_up}\n\
         ## Log\n- 2026-11-02 Coffee at the meetup\n"
    )
}

/// A home with Tom's note whose one calendar is `/work.ics` on a feed
/// server, read every second.
struct Setup {
    home: Home,
    server: TestServer,
}

impl Setup {
    fn new(feed: String, notify: &str) -> Setup {
        let setup = Setup {
            home: Home::new(),
            server: TestServer::start(),
        };
        setup.set_feed(feed);
        setup.home.note("tom-de-vries.md", &tom_note(""));
        setup.write_config(notify);
        setup
    }

    fn set_feed(&self, body: String) {
        self.server.route("/work.ics", vec![Reply::calendar(body)]);
    }

    /// `[notify]` is `notify`.
    fn write_config(&self, notify: &str) {
        let calendar = calendar_entry("work", &self.server.url("/work.ics"));
        let rest = format!("{calendar}refresh = \"1s\"\n\n[notify]\n{notify}\n");
        let text = self.home.config_text("Me Myself", "me@example.org", &rest);
        self.home.write_config(&text);
    }

    /// The daemon, notifying `dunst`.
    fn start(&self, dunst: &PrivateDunst) -> InProcess {
        InProcess::start(
            &self.home.paths,
            DbusNotifier::at_address(&dunst.bus.address),
        )
    }
}

/// Writes like an editor does: a new file renamed over the old one.
fn replace_file(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp-edit");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Polls (closing all notifications into the history) until `found` accepts
/// the history; bounded so that a broken daemon fails instead of hanging.
async fn wait_history(
    dunst: &PrivateDunst,
    found: impl Fn(&[HistoryEntry]) -> bool,
) -> Vec<HistoryEntry> {
    let start = std::time::Instant::now();
    loop {
        let history = dunst.close_all_and_history();
        if found(&history) {
            return history;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "not in dunst's history: {history:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until dunst shows a notification (one that stays until acted on).
async fn wait_shown(dunst: &PrivateDunst) {
    let shown = || (dunst.displayed() > 0).then_some(());
    wait_for("a notification on screen", Duration::from_secs(40), shown).await;
}

fn with_title<'h>(history: &'h [HistoryEntry], title: &str) -> Vec<&'h HistoryEntry> {
    history
        .iter()
        .filter(|e| e.summary.contains(title))
        .collect()
}

/// The start of a meeting whose 10-minute notification is due in `secs`.
fn due_in(secs: i64) -> DateTime<Utc> {
    let now = Utc::now();
    now - ChronoDuration::nanoseconds(now.timestamp_subsec_nanos().into())
        + ChronoDuration::minutes(10)
        + ChronoDuration::seconds(secs)
}

async fn sleep_until(t: DateTime<Utc>) {
    if let Ok(d) = (t - Utc::now()).to_std() {
        tokio::time::sleep(d).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prep_at_lead_time_with_people_and_follow_ups_and_none_for_the_rest() {
    let Some(_) =
        notify_stack("prep_at_lead_time_with_people_and_follow_ups_and_none_for_the_rest")
    else {
        return;
    };
    let dunst = PrivateDunst::start();
    let tag = unique("Marketing sync");
    let (a, cancelled, declined, all_day, solo) = (
        format!("{tag} A"),
        format!("{tag} cancelled"),
        format!("{tag} declined"),
        format!("{tag} all-day"),
        format!("{tag} solo"),
    );
    let start = due_in(4);
    let feed = ics(&[
        Ev::new("a", &a, start),
        Ev {
            status: "CANCELLED",
            ..Ev::new("b", &cancelled, start)
        },
        Ev {
            my_partstat: "DECLINED",
            ..Ev::new("c", &declined, start)
        },
        Ev {
            all_day: true,
            ..Ev::new("d", &all_day, start)
        },
        Ev {
            people: &[],
            ..Ev::new("e", &solo, start)
        },
    ]);
    let home = Setup::new(feed, "lead = [\"10m\"]\ndebrief = \"off\"");
    let daemon = home.start(&dunst);
    let history = wait_history(&dunst, |h| !with_title(h, &a).is_empty()).await;
    let prep = with_title(&history, &a)[0].clone();
    assert!(prep.summary.contains("in 10 min"), "{prep:?}");
    assert!(prep.body.contains("Tom de Vries"), "{prep:?}");
    assert!(prep.body.contains("platform migration"), "{prep:?}");
    assert_eq!(prep.appname, "rapport");
    // the others were due at the same moment: give them time, then check
    sleep_until(start - ChronoDuration::minutes(10) + ChronoDuration::seconds(3)).await;
    let history = dunst.close_all_and_history();
    let ours: Vec<&HistoryEntry> = with_title(&history, &tag);
    assert_eq!(ours.len(), 1, "{ours:#?}");

    // `rapport status` shows the feed from the state
    let status = home.home.rapport(&["status"]);
    assert!(
        status.stdout.contains("work: refreshed"),
        "{}",
        status.stdout
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_sends_nothing_twice() {
    let Some(_) = notify_stack("a_restart_sends_nothing_twice") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let tag = unique("Standup");
    let (first, second) = (format!("{tag} first"), format!("{tag} second"));
    let feed = ics(&[
        Ev::new("first", &first, due_in(3)),
        Ev::new("second", &second, due_in(9)),
    ]);
    let home = Setup::new(feed, "lead = [\"10m\"]\ndebrief = \"off\"");
    let daemon = home.start(&dunst);
    wait_history(&dunst, |h| !with_title(h, &first).is_empty()).await;
    daemon.stop().await;
    // started again: the first is not sent again, the second still comes
    let daemon = home.start(&dunst);
    let history = wait_history(&dunst, |h| !with_title(h, &second).is_empty()).await;
    assert_eq!(with_title(&history, &first).len(), 1, "{history:#?}");
    assert_eq!(with_title(&history, &second).len(), 1, "{history:#?}");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_meeting_is_notified_at_its_new_time_only() {
    let Some(_) = notify_stack("a_moved_meeting_is_notified_at_its_new_time_only") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let title = unique("Design review");
    let old_start = due_in(10);
    let home = Setup::new(
        ics(&[Ev::new("moved", &title, old_start)]),
        "lead = [\"10m\"]\ndebrief = \"off\"",
    );
    let daemon = home.start(&dunst);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let new_start = due_in(3);
    home.set_feed(ics(&[Ev {
        sequence: 1,
        ..Ev::new("moved", &title, new_start)
    }]));
    let history = wait_history(&dunst, |h| !with_title(h, &title).is_empty()).await;
    let sent_at = Utc::now();
    assert!(
        sent_at < old_start - ChronoDuration::minutes(10),
        "sent at the new time"
    );
    assert_eq!(with_title(&history, &title).len(), 1);
    // and nothing at the old time
    sleep_until(old_start - ChronoDuration::minutes(10) + ChronoDuration::seconds(3)).await;
    let history = dunst.close_all_and_history();
    assert_eq!(with_title(&history, &title).len(), 1, "{history:#?}");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_edited_while_running_shows_in_the_next_notification() {
    let Some(_) = notify_stack("a_note_edited_while_running_shows_in_the_next_notification") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let title = unique("1:1 Tom");
    let home = Setup::new(
        ics(&[Ev::new("one-on-one", &title, due_in(5))]),
        "lead = [\"10m\"]\ndebrief = \"off\"",
    );
    let daemon = home.start(&dunst);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let today = Local::now().date_naive();
    replace_file(
        &home.home.people_dir().join("tom-de-vries.md"),
        &tom_note(&format!("- [ ] Ask how the marathon went 🛫 {today}\n")),
    );
    let history = wait_history(&dunst, |h| !with_title(h, &title).is_empty()).await;
    let prep = with_title(&history, &title)[0];
    assert!(prep.body.contains("marathon"), "{prep:?}");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debrief_and_nothing_new_write_the_log_line() {
    let Some(_) = notify_stack("the_debrief_and_nothing_new_write_the_log_line") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let title = unique("Quarterly planning");
    let now = Utc::now();
    let meeting = Ev {
        end: now + ChronoDuration::seconds(2),
        ..Ev::new("planning", &title, now - ChronoDuration::minutes(20))
    };
    let home = Setup::new(ics(&[meeting]), "lead = [\"10m\"]\ndebrief = \"2s\"");
    let daemon = home.start(&dunst);
    // the debrief stays on screen until acted on
    wait_shown(&dunst).await;
    dunst.invoke("nothing-new");
    let note = home.home.people_dir().join("tom-de-vries.md");
    let today = Local::now().date_naive();
    let expected = format!("- {today} Met at {title}");
    let text = wait_for("the log line", Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&note).unwrap();
        text.contains(&expected).then_some(text)
    })
    .await;
    // the rest of the note is untouched
    assert!(text.contains("- 2026-11-02 Coffee at the meetup"), "{text}");
    // and the note before the button is kept for `rapport undo`
    let versions = rapport::people::versions::Versions::for_note(&home.home.paths.state_dir, &note)
        .unwrap()
        .list()
        .unwrap();
    assert!(
        versions.iter().any(|v| v.label == "before-nothing-new"),
        "{versions:?}"
    );
    let history = dunst.close_all_and_history();
    let debrief = history
        .iter()
        .find(|e| e.summary.contains(&title) || e.body.contains(&title))
        .unwrap_or_else(|| panic!("{history:#?}"));
    assert!(
        debrief.summary.contains("How did") || debrief.body.contains("Tom"),
        "{debrief:?}"
    );
    daemon.stop().await;
}

/// "Nothing new" on a note that another program holds open for writing:
/// the note writer waits for it (seconds), and the daemon's loop must not
/// wait with it (before, a stop took the writer's whole 10 s wait).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_new_on_a_busy_note_does_not_hold_up_the_daemon() {
    let Some(_) = notify_stack("nothing_new_on_a_busy_note_does_not_hold_up_the_daemon") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let title = unique("Busy note sync");
    let now = Utc::now();
    let meeting = Ev {
        end: now + ChronoDuration::seconds(2),
        ..Ev::new("busy", &title, now - ChronoDuration::minutes(20))
    };
    let home = Setup::new(ics(&[meeting]), "lead = [\"10m\"]\ndebrief = \"2s\"");
    let daemon = home.start(&dunst);
    wait_shown(&dunst).await;
    let note = home.home.people_dir().join("tom-de-vries.md");
    // An editor with the note open for writing: no lease can be taken.
    let held = std::fs::OpenOptions::new()
        .append(true)
        .open(&note)
        .unwrap();
    dunst.invoke("nothing-new");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopping = std::time::Instant::now();
    daemon.stop().await;
    let took = stopping.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "the daemon took {took:?} to stop while the note was busy"
    );
    // Once the editor lets go, the line is written all the same.
    drop(held);
    let expected = format!("Met at {title}");
    wait_for("the log line", Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&note).unwrap();
        text.contains(&expected).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_config_keeps_the_old_one_and_says_so_once() {
    let Some(_) = notify_stack("an_invalid_config_keeps_the_old_one_and_says_so_once") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let title = unique("Retro");
    let home = Setup::new(
        ics(&[Ev::new("retro", &title, due_in(6))]),
        "lead = [\"10m\"]\ndebrief = \"off\"",
    );
    let daemon = home.start(&dunst);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    home.write_config("lead = [10]\ndebrief = \"off\"");
    tokio::time::sleep(Duration::from_millis(800)).await;
    // a second save of the same broken file does not notify again
    home.write_config("lead = [10]\ndebrief = \"off\"");
    let history = wait_history(&dunst, |h| !with_title(h, &title).is_empty()).await;
    let errors: Vec<&HistoryEntry> = history
        .iter()
        .filter(|e| e.summary.contains("config file has an error"))
        .collect();
    assert_eq!(errors.len(), 1, "{history:#?}");
    let config = home.home.paths.config_file.display().to_string();
    assert!(
        errors[0].body.contains(&format!("{config}:")),
        "{:?}",
        errors[0]
    );
    assert!(errors[0].body.contains("notify.lead"), "{:?}", errors[0]);
    // the meeting was still notified with the previous settings
    assert!(with_title(&history, &title)[0]
        .summary
        .contains("in 10 min"));
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_brief_writes_the_markdown_and_opens_it() {
    let Some(_) = notify_stack("open_brief_writes_the_markdown_and_opens_it") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let title = unique("Kickoff");
    // Met two days ago: newer than the Log entry of Tom's note.
    let past = Utc::now() - ChronoDuration::days(2);
    let home = Setup::new(
        ics(&[
            Ev::new("roadmap", "Roadmap review", past),
            Ev::new("kickoff", &title, due_in(2)),
        ]),
        "lead = [\"10m\"]\ndebrief = \"off\"",
    );
    let daemon = home.start(&dunst);
    wait_shown(&dunst).await;
    dunst.invoke("default");
    let opened = wait_for("the brief opened", Duration::from_secs(20), || {
        daemon.opened.opened().first().cloned()
    })
    .await;
    assert!(opened.starts_with(&home.home.paths.runtime_dir.display().to_string()));
    let markdown = std::fs::read_to_string(&opened).unwrap();
    assert!(markdown.contains("Tom de Vries"), "{markdown}");
    assert!(markdown.contains("platform migration"), "{markdown}");
    // The last contact from the calendar's cached copy, as `people` says.
    assert!(
        markdown.contains("**Last contact**: 2 days ago, Roadmap review"),
        "{markdown}"
    );
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snooze_is_remembered_until_before_the_start() {
    let Some(_) = notify_stack("snooze_is_remembered_until_before_the_start") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let title = unique("Vendor call");
    let start = due_in(2);
    let home = Setup::new(
        ics(&[Ev::new("vendor", &title, start)]),
        "lead = [\"10m\"]\ndebrief = \"off\"",
    );
    let daemon = home.start(&dunst);
    wait_shown(&dunst).await;
    let pressed = Utc::now();
    dunst.invoke("snooze");
    let state_file = home.home.paths.state_dir.join("state.json");
    let snooze = wait_for("the snooze in the state", Duration::from_secs(20), || {
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap_or_default())
                .unwrap_or_default();
        state["snoozes"].as_array().and_then(|a| a.first()).cloned()
    })
    .await;
    let until: DateTime<Utc> = snooze["until"].as_str().unwrap().parse().unwrap();
    assert!(until >= pressed + ChronoDuration::minutes(5) - ChronoDuration::seconds(1));
    assert!(until <= start, "never after the start: {snooze}");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_server_that_starts_late_still_gets_the_prep() {
    let Some(_) = notify_stack("a_notification_server_that_starts_late_still_gets_the_prep") else {
        return;
    };
    let bus = EmptyBus::start();
    let title = unique("Budget review");
    let start = due_in(1);
    let home = Setup::new(
        ics(&[Ev::new("budget", &title, start)]),
        "lead = [\"10m\"]\ndebrief = \"off\"",
    );
    let daemon = InProcess::start(&home.home.paths, DbusNotifier::at_address(&bus.address));
    // due while there is no server: the daemon logs, keeps running, and
    // sends as soon as one appears (well before its once-a-minute retry)
    sleep_until(start - ChronoDuration::minutes(10) + ChronoDuration::seconds(3)).await;
    assert!(!daemon.is_finished());
    let dunst = PrivateDunst::start_on(bus);
    let history = wait_history(&dunst, |h| !with_title(h, &title).is_empty()).await;
    let prep = with_title(&history, &title)[0];
    assert!(prep.body.contains("Tom de Vries"), "{prep:?}");
    daemon.stop().await;
}

/// With a server that has no buttons, each notification says which command
/// does what the buttons would. (Runs without the notification stack: the
/// recording notifier stands in for the server.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_actions_the_body_names_the_commands() {
    use rapport::daemon::notify::{Capabilities, RecordingNotifier};
    let title = unique("Sales sync");
    let now = Utc::now();
    let feed = ics(&[
        Ev::new("prep", &title, due_in(1)),
        Ev {
            end: now + ChronoDuration::seconds(1),
            ..Ev::new(
                "debrief",
                &format!("{title} earlier"),
                now - ChronoDuration::minutes(30),
            )
        },
    ]);
    let home = Setup::new(feed, "lead = [\"10m\"]\ndebrief = \"1s\"");
    let fake = Arc::new(RecordingNotifier::new(Capabilities::from_list(vec![
        "body".to_string(),
    ])));
    let daemon = InProcess::start(&home.home.paths, fake.clone());
    let both = || (fake.shown().len() >= 2).then_some(());
    wait_for("the prep and the debrief", Duration::from_secs(40), both).await;
    daemon.stop().await;
    let shown = fake.shown();
    let prep = shown
        .iter()
        .find(|s| s.notification.summary.contains("in 10 min"))
        .unwrap_or_else(|| panic!("{shown:#?}"));
    assert!(
        prep.rendered
            .body
            .ends_with(&format!("rapport brief '{title}'")),
        "{prep:#?}"
    );
    assert!(prep.rendered.actions.is_empty());
    let debrief = shown
        .iter()
        .find(|s| s.notification.body.contains("Nothing new"))
        .unwrap_or_else(|| panic!("{shown:#?}"));
    assert!(
        debrief.rendered.body.contains(&format!(
            "rapport note 'Tom de Vries' '…' (or rapport edit 'Tom de Vries') · \
             Nothing new: rapport met '{title} earlier'"
        )),
        "{debrief:#?}"
    );
}

/// `rapport snooze` while the daemon runs: the request file is taken, the
/// snooze applied like the button's, and the prep shown at the snooze's end
/// (here a meeting whose prep is not due yet, snoozed for 2 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_snooze_request_is_applied_by_the_daemon() {
    use rapport::daemon::notify::{Capabilities, RecordingNotifier};
    let title = unique("Roadmap");
    let home = Setup::new(
        ics(&[Ev::new("roadmap", &title, due_in(20 * 60))]),
        "lead = [\"10m\"]\ndebrief = \"off\"",
    );
    let fake = Arc::new(RecordingNotifier::new(Capabilities::from_list(vec![
        "body".to_string(),
        "actions".to_string(),
    ])));
    let daemon = InProcess::start(&home.home.paths, fake.clone());
    // Ready once it has written its state (and made the requests folder).
    let state_file = home.home.paths.state_dir.join("state.json");
    let requests = rapport::daemon::requests::requests_dir(&home.home.paths.state_dir);
    let ready = || (state_file.exists() && requests.exists()).then_some(());
    wait_for("the daemon ready", Duration::from_secs(30), ready).await;
    assert!(fake.shown().is_empty(), "{:#?}", fake.shown());
    let root = home.home.dir().to_path_buf();
    let query = title.clone();
    // A plain thread, outside the runtime, like the real CLI process.
    let cli = std::thread::spawn(move || {
        crate::common::rapport(&root, &["snooze", &query, "--for", "2s"])
    });
    let run = tokio::task::spawn_blocking(move || cli.join().unwrap())
        .await
        .unwrap();
    assert!(run.success(), "{:?}\n{}", run.error, run.stdout);
    assert!(
        !run.stdout.contains("not seem to be running"),
        "{}",
        run.stdout
    );
    // The watcher takes it at once; the once-a-minute wake at the latest.
    let shown = || (!fake.shown().is_empty()).then_some(());
    wait_for("the snoozed prep", Duration::from_secs(90), shown).await;
    let shown = fake.shown();
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert!(shown[0].notification.summary.contains(&title), "{shown:#?}");
    assert!(rapport::daemon::requests::take_requests(&home.home.paths.state_dir).is_empty());
    daemon.stop().await;
}

/// A snooze queued while the daemon is down applies when it starts, once the
/// calendar is read (not dropped as "no longer in the calendar").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snooze_queued_before_the_daemon_starts_is_applied() {
    use rapport::daemon::notify::{Capabilities, RecordingNotifier};
    let title = unique("Retro");
    let start = due_in(20 * 60);
    let home = Setup::new(
        ics(&[Ev::new("retro", &title, start)]),
        "lead = [\"10m\"]\ndebrief = \"off\"",
    );
    rapport::daemon::requests::queue_snooze(
        &home.home.paths.state_dir,
        &rapport::daemon::requests::SnoozeRequest {
            calendar: "work".into(),
            uid: "retro".into(),
            start,
            requested_at: Utc::now(),
            snooze_for_s: 1,
        },
    )
    .unwrap();
    let fake = Arc::new(RecordingNotifier::new(Capabilities::from_list(vec![
        "body".to_string(),
        "actions".to_string(),
    ])));
    let daemon = InProcess::start(&home.home.paths, fake.clone());
    let shown = || (!fake.shown().is_empty()).then_some(());
    wait_for("the snoozed prep", Duration::from_secs(90), shown).await;
    assert!(fake.shown()[0].notification.summary.contains(&title));
    daemon.stop().await;
}

/// An all-day event gets no prep even when a lead time reaches it: a timed meeting at the very
/// same instant (local midnight) with the same lead does get one, so the filter is what stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_day_events_get_no_prep_even_when_a_lead_reaches_them() {
    let Some(_) = notify_stack("all_day_events_get_no_prep_even_when_a_lead_reaches_them") else {
        return;
    };
    let dunst = PrivateDunst::start();
    let tag = unique("Holiday");
    let (timed, all_day) = (format!("{tag} timed"), format!("{tag} all-day"));
    // The next local midnight at least 10 minutes away (so the lead is not shorter than that).
    let now = Utc::now();
    let mut day = now.with_timezone(&Local).date_naive().succ_opt().unwrap();
    let midnight = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .unwrap()
            .and_local_timezone(Local)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    if midnight(day) - now < ChronoDuration::minutes(10) {
        day = day.succ_opt().unwrap();
    }
    let start = midnight(day);
    let lead = (start - now - ChronoDuration::seconds(5)).num_seconds();
    let feed = ics(&[
        Ev::new("t", &timed, start),
        Ev {
            all_day: true,
            ..Ev::new("d", &all_day, start)
        },
    ]);
    let home = Setup::new(feed, &format!("lead = [\"{lead}s\"]\ndebrief = \"off\""));
    let daemon = home.start(&dunst);
    wait_history(&dunst, |h| !with_title(h, &timed).is_empty()).await;
    sleep_until(Utc::now() + ChronoDuration::seconds(3)).await;
    let history = dunst.close_all_and_history();
    assert!(with_title(&history, &all_day).is_empty(), "{history:#?}");
    assert_eq!(with_title(&history, &timed).len(), 1);
    daemon.stop().await;
}
