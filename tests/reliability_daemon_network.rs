//! Reliability, point 3 with the daemon: a feed that answers once and then
//! fails (503 without Retry-After, a body cut off mid-way) against the real
//! daemon, in-process with the recording notifier, and a real HTTP server on
//! 127.0.0.1. The daemon keeps running on the cached copy, backs off between
//! attempts, and `rapport status` says what failed and when it tries again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rapport::daemon::notify::{Event, RecordingNotifier};
use rapport::daemon::state::State;

use crate::common::daemon::InProcess;
use crate::common::home::calendar_entry;
use crate::common::http::{Reply, TestServer, SECRETS, SECRET_PATH};
use crate::common::ics::{stamp, vcalendar};
use crate::common::{unique, Home};

/// Events (uid, title, start, my PARTSTAT) with Tom; I am invited as
/// me@example.org.
fn ics(events: &[(&str, &str, DateTime<Utc>, &str)]) -> String {
    let mut s = String::new();
    for (uid, summary, start, partstat) in events {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\n\
             DTEND:{}\r\nSUMMARY:{summary}\r\n\
             ORGANIZER;CN=Tom de Vries:mailto:tom@example.org\r\n\
             ATTENDEE;CN=Me Myself;PARTSTAT={partstat}:mailto:me@example.org\r\n\
             ATTENDEE;CN=Tom de Vries;PARTSTAT=ACCEPTED:mailto:tom@example.org\r\n\
             END:VEVENT\r\n",
            stamp(*start),
            stamp(*start + ChronoDuration::minutes(30)),
        ));
    }
    vcalendar(&s)
}

/// A home whose one calendar is `url`, read every second.
struct Setup {
    home: Home,
    url: String,
}

impl Setup {
    fn new(url: String) -> Setup {
        let setup = Setup {
            home: Home::new(),
            url,
        };
        setup.write_config("me@example.org");
        setup
    }

    /// Writes the config as an editor does (a new file renamed over the old).
    fn write_config(&self, my_email: &str) {
        let rest = format!(
            "{}refresh = \"1s\"\n\n[notify]\nlead = [\"10m\"]\ndebrief = \"off\"\n",
            calendar_entry("work", &self.url)
        );
        let text = self.home.config_text("Me Myself", my_email, &rest);
        self.home.write_config(&text);
    }

    fn state(&self) -> Option<State> {
        State::load_read_only(&self.home.paths.state_dir).ok()
    }
}

/// Waits (at most 40 s) until `check` gives a value.
async fn wait_for<T>(what: &str, check: impl FnMut() -> Option<T>) -> T {
    crate::common::daemon::wait_for(what, Duration::from_secs(40), check).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_feed_backs_off_keeps_the_cached_meetings_and_status_says_when_it_retries() {
    let title = unique("Budget review");
    let later = unique("Quarterly planning");
    let now = Utc::now();
    let now = now - ChronoDuration::nanoseconds(now.timestamp_subsec_nanos().into());
    // Its 10-minute prep is due at once, but I declined it: no prep.
    let soon = now + ChronoDuration::minutes(10) + ChronoDuration::seconds(2);
    let body = ics(&[
        ("soon@test", &title, soon, "DECLINED"),
        (
            "later@test",
            &later,
            now + ChronoDuration::hours(2),
            "ACCEPTED",
        ),
    ]);
    let server = TestServer::start();
    server.route(
        SECRET_PATH,
        vec![
            Reply::calendar(body.clone()),
            Reply::status(503).body("busy"),
            // Content-Length promises the whole calendar; the connection closes halfway.
            Reply::calendar(body.clone()).close_after(body.len() / 2),
            // Repeats from here on.
            Reply::status(503).body("busy"),
        ],
    );
    let home = Setup::new(server.url(&format!("{SECRET_PATH}?key=QUERYSECRET42")));

    let notifier = Arc::new(RecordingNotifier::default());
    let daemon = InProcess::start(&home.home.paths, notifier.clone());

    // The recorded delay before each next attempt, by consecutive failures:
    // read from the state, so the test does not depend on how fast it runs.
    let mut delays: Vec<(u32, ChronoDuration)> = Vec::new();
    let failing = wait_for("three recorded failures in a row", || {
        let state = home.state()?;
        let feed = state.feeds.get("work")?.clone();
        if feed.last_error.is_some() {
            let delay = feed.next_attempt? - feed.last_attempt?;
            if delays.last().map(|(n, _)| *n) != Some(feed.failures) {
                delays.push((feed.failures, delay));
            }
        }
        (delays.len() >= 3).then_some(feed)
    })
    .await;
    assert!(failing.last_refresh.is_some(), "the first fetch worked");
    // `refresh = "1s"`: 1 s after the first failure, then doubled each time.
    for (failures, delay) in &delays {
        let expected = ChronoDuration::seconds(1 << (failures - 1));
        assert_eq!(*delay, expected, "after {failures} failures: {delays:?}");
    }
    assert!(
        delays.windows(2).all(|w| w[0].1 < w[1].1),
        "the waits grow: {delays:?}"
    );
    assert!(server.requests().len() >= 4, "{:?}", server.requests());

    assert!(notifier.shown().is_empty(), "{:#?}", notifier.shown());

    // The config now names another address as mine, so the DECLINED of
    // me@example.org is no longer mine. My PARTSTAT is read when the feed is
    // expanded, and the daemon keeps no parsed feed: it expands the cached
    // copy from disk again (the server still fails). The meeting is there
    // and its due prep goes out.
    home.write_config("me.work@example.org");
    let prep = wait_for("the prep of the cached meeting", || {
        notifier
            .shown()
            .into_iter()
            .find(|s| s.notification.summary.contains(&title))
    })
    .await;
    assert!(prep.notification.body.contains("Tom de Vries"), "{prep:#?}");
    // Its Snooze button finds the meeting among the occurrences kept.
    notifier.emit(Event::ActionInvoked {
        id: prep.id,
        action: "snooze".into(),
    });
    wait_for("the snooze in the state", || {
        home.state()?
            .snoozes
            .iter()
            .any(|s| s.uid == "soon@test")
            .then_some(())
    })
    .await;

    // `rapport status` names the error and the next attempt, lists the later
    // meeting, and shows no secret part of the link.
    let status = home.home.rapport(&["status"]);
    let text = &status.stdout;
    assert!(text.contains("work: refreshed"), "{text}");
    assert!(
        text.contains("HTTP 503") || text.contains("did not arrive whole"),
        "{text}"
    );
    assert!(text.contains("next attempt"), "{text}");
    assert!(text.contains("times in a row"), "{text}");
    assert!(text.contains(&later), "{text}");
    for secret in SECRETS {
        assert!(!text.contains(secret), "`{secret}` in: {text}");
        let state = std::fs::read_to_string(State::path(&home.home.paths.state_dir)).unwrap();
        assert!(!state.contains(secret), "`{secret}` in the state: {state}");
    }

    assert!(!daemon.is_finished(), "the daemon keeps running");
    daemon.stop().await;
}

/// A restart whose first fetch is a 304: the daemon has no occurrences in
/// memory yet, so it parses the cached copy the 304 confirms (it used to
/// wait for the feed to change).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_304_after_a_restart_reads_the_meetings_from_the_cache() {
    let title = unique("Hiring sync");
    let body = ics(&[(
        "hiring@test",
        &title,
        Utc::now() + ChronoDuration::hours(3),
        "ACCEPTED",
    )]);
    let server = TestServer::start();
    server.route(
        "/work.ics",
        vec![
            Reply::calendar(body).header("ETag", "\"v1\""),
            Reply::status(304).header("ETag", "\"v1\""),
        ],
    );
    let home = Setup::new(server.url("/work.ics"));
    for run in 0..2 {
        let notifier = Arc::new(RecordingNotifier::default());
        let daemon = InProcess::start(&home.home.paths, notifier);
        let requests = server.requests().len();
        wait_for("the meeting among the next notifications", || {
            let state = home.state()?;
            let listed = state.upcoming.iter().any(|d| d.summary == title);
            (listed && server.requests().len() > requests).then_some(())
        })
        .await;
        daemon.stop().await;
        // The state must not carry the listing over: the next run starts
        // without it.
        if run == 0 {
            let mut state = home.state().unwrap();
            state.upcoming.clear();
            state.save(&home.home.paths.state_dir).unwrap();
        }
    }
    let requests = server.requests();
    assert_eq!(requests[1].header("If-None-Match"), Some("\"v1\""));
}
