//! The morning digest in the daemon: when [`brief::digest::next_digest`]
//! says it is time, a task reads a year of each calendar (the cached copy or
//! the file, never the network) off the loop, composes the digest and hands
//! it back; the loop records the day before it sends (write-ahead: never
//! twice for a day, across restarts and kills) and sends it. "Open digest"
//! writes the Markdown and opens it; "Snooze" shows it again in an hour.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::history::Snapshot;
use super::notify::{Action, Expiry, Notification, Notifier};
use super::Daemon;
use crate::brief::digest::{self, meetings_on, next_digest, DigestTime};
use crate::brief::Now;
use crate::people::cadence::due_list;

/// How long "Snooze" puts the digest off.
pub const DIGEST_SNOOZE: Duration = Duration::hours(1);

/// After a send that certainly failed, the digest is tried again this much later.
const DIGEST_RETRY: Duration = Duration::minutes(5);

/// At a start (or when a calendar was just added) the digest waits this long
/// at most for each calendar's first read: it is composed from the fresh copy
/// (on the first run there is no copy at all), and not beside the refresh's
/// own parse (two parses of a big feed at once double the peak memory).
const FIRST_READ_WAIT: Duration = Duration::seconds(30);

/// How far ahead the calendars are read for keeping in touch (a meeting
/// within the next 7 days makes someone wait for it).
const AHEAD: Duration = Duration::days(8);

/// A composed digest, back from its task.
pub(super) struct DigestReady {
    pub day: NaiveDate,
    /// `None`: nothing to say that day.
    pub notification: Option<crate::brief::Notification>,
    pub markdown: String,
    /// Shown again after a snooze (the day is recorded already).
    pub again: bool,
}

impl<N: Notifier> Daemon<N> {
    /// Starts the digest when it is due; returns when to look again.
    pub(super) fn digest_tick(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.digest_in_flight {
            return None;
        }
        // The end of the fetch wakes the loop earlier.
        if let Some(until) = self.first_reads_pending(now) {
            return Some(until);
        }
        // After a send that certainly failed (no server): again a little
        // later, when `next_digest` still says so (before `[digest] until`,
        // never for a past day).
        if let Some(at) = self.digest_retry_at {
            if now < at {
                return Some(at);
            }
            self.digest_retry_at = None;
        }
        let local = Now::new(now, self.expand.floating.clone());
        let mut wake = None;
        if let Some(until) = self.state.digest.snoozed_until {
            if now >= until {
                self.state.digest.snoozed_until = None;
                self.state_dirty = true;
                // Only the same day: a snooze past midnight is dropped.
                if self.state.digest.day == Some(local.today()) && self.config.digest.enabled {
                    self.start_digest(local.today(), true, now);
                    return None;
                }
            } else {
                wake = Some(until);
            }
        }
        match next_digest(&self.config.digest, self.state.digest.day, &local) {
            DigestTime::Now(day) => {
                self.start_digest(day, false, now);
                None
            }
            DigestTime::At(at) => Some(wake.map_or(at, |w: DateTime<Utc>| w.min(at))),
            DigestTime::Never => wake,
        }
    }

    /// Until when the digest waits for calendars whose first read is
    /// still running; `None` when it need not.
    fn first_reads_pending(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.feeds
            .values()
            .filter(|f| f.in_flight && !f.read_once)
            .map(|f| f.added_at + FIRST_READ_WAIT)
            .filter(|until| now < *until)
            .max()
    }

    fn start_digest(&mut self, day: NaiveDate, again: bool, now: DateTime<Utc>) {
        self.digest_in_flight = true;
        // Questions new since the last digest actually sent (not the
        // schedule's: a day the daemon was off sent none).
        let asks_after = digest::asks_after(
            day,
            Now::new(now, self.expand.floating.clone()).today(),
            self.state.digest.sent(),
            self.config.digest.days,
        );
        let job = DigestJob {
            asks_after,
            snapshot: self.snapshot(),
            now,
        };
        let tx = self.digest_tx.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let composed = tokio::task::spawn_blocking(move || job.compose()).await;
            let ready = match composed {
                Ok((notification, markdown)) => Some(DigestReady {
                    day,
                    notification,
                    markdown,
                    again,
                }),
                Err(e) => {
                    tracing::error!("composing the digest failed: {e}");
                    None
                }
            };
            if ready.is_some() {
                // Quiet when it cannot be sent (a server outage is logged once).
                tracing::debug!(
                    "composed the digest for {day} in {} ms",
                    started.elapsed().as_millis()
                );
            }
            let _ = tx.send(ready);
        });
    }

    /// The composed digest: recorded (write-ahead), then sent.
    pub(super) async fn on_digest(&mut self, ready: Option<DigestReady>, now: DateTime<Utc>) {
        self.digest_in_flight = false;
        // The task's year of calendars (bodies, parses) is freed by now; glibc
        // would keep it as the daemon's memory (measured with the 10k-event
        // bench feed: 32 MB RSS after the digest without this, 24 MB with it;
        // BENCHMARKS.md).
        super::feeds::release_freed_memory();
        let Some(ready) = ready else { return };
        // Recorded before the call: a kill during it never shows it twice.
        let before = self.state.digest.clone();
        self.state.digest.record(ready.day);
        self.save_now(now);
        let Some(text) = ready.notification else {
            tracing::info!("digest for {}: nothing to say", ready.day);
            return;
        };
        // Unknown (no server): as if it had actions; the send fails anyway.
        let actions = self
            .notifier
            .capabilities()
            .await
            .map_or(true, |c| c.actions);
        let mut body = text.body;
        if !actions {
            body.push_str("\nAll of it: rapport today");
        }
        let notification = Notification {
            summary: text.summary,
            body,
            replaces_id: self.digest_raised.as_ref().map_or(0, |r| r.0),
            actions: vec![
                Action::new("default", "Open digest"),
                Action::new("snooze", "Snooze"),
            ],
            urgency: Default::default(),
            expiry: Expiry::Never,
        };
        match self.notifier.show(&notification).await {
            Ok(id) => {
                tracing::info!(
                    "sent the digest for {}{}",
                    ready.day,
                    if ready.again { " again" } else { "" }
                );
                self.digest_raised = Some((id, ready.day, ready.markdown));
                self.digest_retry_at = None;
            }
            Err(e) if e.maybe_shown() => {
                // Maybe on screen: never again for this day.
                tracing::warn!("the digest for {}: {e}", ready.day);
            }
            Err(e) => {
                // Certainly not shown (no server): tried again in a while.
                self.notify_failed(&e, &format!("the digest for {}", ready.day));
                if ready.again {
                    // The day stays recorded; the snooze rule (the same day
                    // only) shows it again.
                    self.state.digest.snoozed_until = Some(now + DIGEST_RETRY);
                } else {
                    // Unrecorded, so `next_digest` sends it while the day's
                    // window (up to `[digest] until`) is open.
                    self.state.digest.day = before.day;
                    self.state.digest.previous = before.previous;
                    self.digest_retry_at = Some(now + DIGEST_RETRY);
                }
                self.save_now(now);
            }
        }
    }

    /// A button of the digest's notification; false when `id` is not it.
    pub(super) fn digest_action(&mut self, id: u32, action: &str, now: DateTime<Utc>) -> bool {
        let Some((raised, day, markdown)) = &self.digest_raised else {
            return false;
        };
        if *raised != id {
            return false;
        }
        match action {
            "default" => {
                let dir = &self.paths.runtime_dir;
                let path = dir.join(format!("digest-{day}.md"));
                let written = crate::util::fs::create_private_dir(dir)
                    .and_then(|()| crate::util::fs::atomic_write(&path, markdown.as_bytes()));
                let opened = written
                    .map_err(anyhow::Error::from)
                    .and_then(|()| Ok(self.opener.open(&path.to_string_lossy())?));
                if let Err(e) = opened {
                    tracing::warn!("Open digest: {e:#}");
                }
            }
            "snooze" => {
                let until = now + DIGEST_SNOOZE;
                tracing::info!("digest snoozed for an hour");
                self.state.digest.snoozed_until = Some(until);
                self.save_now(now);
            }
            other => tracing::debug!("unknown digest action {other}"),
        }
        true
    }
}

/// What the digest task needs, copied off the loop.
struct DigestJob {
    /// Questions whose day is after this are new ([`digest::asks_after`]).
    asks_after: NaiveDate,
    snapshot: Snapshot,
    now: DateTime<Utc>,
}

impl DigestJob {
    /// Reads each calendar's history (cached copy or file), composes the
    /// digest and renders it. Blocking: runs off the loop.
    fn compose(self) -> (Option<crate::brief::Notification>, String) {
        let Snapshot {
            config,
            people,
            matcher,
            expand,
            ..
        } = &self.snapshot;
        let now = Now::new(self.now, expand.floating.clone());
        let today = now.today();
        let mut day = Vec::new();
        let contacts =
            self.snapshot
                .contacts("the digest", now.utc, now.utc + AHEAD, today, &mut |o| {
                    day.push(o)
                });
        let due = due_list(people, &contacts, &config.people.cadence);
        let meetings = meetings_on(&day, matcher, today, &now, config.notify.include_all_day);
        let digest = digest::compose(
            people,
            &meetings,
            &due,
            &config.digest,
            self.asks_after,
            &now,
        );
        (
            digest::notification(&digest, config.notify.discreet),
            digest::markdown(&digest, &now),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::notify::{NotifyError, RecordingNotifier};
    use super::super::{Channels, Daemon, XdgOpen};
    use super::*;
    use crate::calendar::tz::Zone;
    use crate::daemon::state::State;
    use crate::feed::{FeedFetcher, FetchLimits};
    use crate::people::matching::Matcher;
    use std::sync::Arc;
    use tokio::sync::mpsc;

    type Fake = Arc<RecordingNotifier>;

    /// A daemon in a temp dir (UTC) whose digest window is 08:30 to 12:00
    /// every day, with Ana's promise overdue (every morning has something to
    /// say) and an empty calendar file (not read until a test says so).
    struct Harness {
        d: Daemon<Fake>,
        rx: mpsc::UnboundedReceiver<Option<DigestReady>>,
        fake: Fake,
        _dir: tempfile::TempDir,
    }

    fn harness() -> Harness {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let fake = Fake::default();
        let (paths, config) = super::super::test_home(
            dir,
            "---\nname: Ana\n---\n## Follow-ups\n- [ ] Send the numbers 📅 2026-11-30\n",
            "",
            "[digest]\nat = \"08:30\"\nuntil = \"12:00\"\ndays = \"daily\"\n",
        );
        let people_dir = config.people.dir.clone();
        let people = crate::people::load(&people_dir);
        let fetcher = FeedFetcher::new(paths.cache_dir.clone(), FetchLimits::default()).unwrap();
        let (fetch_tx, _) = mpsc::unbounded_channel();
        let (digest_tx, digest_rx) = mpsc::unbounded_channel();
        let daemon = Daemon::new(
            paths,
            config,
            people,
            State::default(),
            Zone::Utc,
            Channels {
                fetcher: Arc::new(fetcher),
                fetch_tx,
                digest_tx,
            },
            fake.clone(),
            Box::new(XdgOpen),
        );
        Harness {
            d: daemon,
            rx: digest_rx,
            fake,
            _dir: tmp,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    impl Harness {
        /// One tick at `now`: when it starts the digest, composes it and
        /// hands it to the loop as `run` does. Returns the tick's wake time.
        async fn tick(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
            let wake = self.d.digest_tick(now);
            if self.d.digest_in_flight {
                let ready = self.rx.recv().await.unwrap();
                self.d.on_digest(ready, now).await;
            }
            wake
        }

        /// A tick at `now` while every send fails with `error`.
        async fn tick_failing(&mut self, error: NotifyError, now: DateTime<Utc>) {
            self.fake.set_failure(Some(error));
            self.tick(now).await;
            self.fake.set_failure(None);
        }
    }

    #[tokio::test]
    async fn a_digest_that_certainly_failed_is_sent_five_minutes_later() {
        let mut h = harness();
        let first = at("2026-12-01T08:30:00Z");
        h.tick_failing(NotifyError::NoServer, first).await;
        assert_eq!(h.d.state.digest.day, None, "not recorded: it was not shown");
        let on_disk = State::load(&h.d.paths.state_dir, first).unwrap().state;
        assert_eq!(on_disk.digest.day, None);
        // Not before the five minutes are up, then once.
        let wait = h.tick(first + Duration::minutes(1)).await;
        assert_eq!(wait, Some(first + DIGEST_RETRY));
        let wait = h.tick(first + Duration::minutes(4)).await;
        assert_eq!(wait, Some(first + DIGEST_RETRY));
        assert!(h.fake.shown().is_empty());
        h.tick(first + DIGEST_RETRY).await;
        assert_eq!(h.fake.shown().len(), 1);
        assert_eq!(
            h.fake.shown()[0].notification.summary,
            "Today: 1 promise due"
        );
        assert_eq!(h.d.state.digest.day, Some(day("2026-12-01")));
        assert_eq!(h.d.digest_retry_at, None);
        // Done for the day: the next one is tomorrow's.
        let wake = h.tick(first + Duration::minutes(10)).await;
        assert_eq!(wake, Some(at("2026-12-02T08:30:00Z")));
        assert_eq!(h.fake.shown().len(), 1);
    }

    #[tokio::test]
    async fn a_retry_after_until_waits_for_the_next_day() {
        let mut h = harness();
        let late = at("2026-12-01T11:58:00Z");
        h.tick_failing(NotifyError::NoServer, late).await;
        // 12:03 is past `until`: not today's, and never for a past day.
        let wake = h.tick(late + DIGEST_RETRY).await;
        assert!(h.fake.shown().is_empty());
        assert_eq!(wake, Some(at("2026-12-02T08:30:00Z")));
        assert_eq!(h.d.state.digest.day, None);
        h.tick(at("2026-12-02T08:30:00Z")).await;
        assert_eq!(h.fake.shown().len(), 1);
        assert_eq!(h.d.state.digest.day, Some(day("2026-12-02")));
    }

    #[tokio::test]
    async fn a_digest_that_may_be_on_screen_is_never_sent_again() {
        let mut h = harness();
        let first = at("2026-12-01T08:30:00Z");
        h.tick_failing(NotifyError::NoAnswer("timed out".into()), first)
            .await;
        assert_eq!(h.d.state.digest.day, Some(day("2026-12-01")));
        let wake = h.tick(first + DIGEST_RETRY).await;
        assert_eq!(wake, Some(at("2026-12-02T08:30:00Z")));
        assert!(h.fake.shown().is_empty());
    }

    /// A question whose day the daemon was off reaches the next digest it
    /// sends (the day of the last one sent is in its state), also again
    /// after a snooze, and no later one.
    #[tokio::test]
    async fn a_question_reaches_the_first_digest_after_a_day_off() {
        let mut h = harness();
        let dir = h.d.config.people.dir.clone();
        std::fs::write(
            dir.join("pieter.md"),
            "---\nname: Pieter\n---\n- [ ] How was the race 🛫 2026-12-01\n",
        )
        .unwrap();
        h.d.people = crate::people::load(&dir);
        h.d.matcher = Matcher::new(&h.d.people, &h.d.config.me);
        // Sent on Monday; off all Tuesday, the question's day.
        h.d.state.digest.record(day("2026-11-30"));
        let wednesday = at("2026-12-02T08:30:00Z");
        h.tick(wednesday).await;
        let body = &h.fake.shown()[0].notification.body;
        assert!(body.contains("ask Pieter: How was the race"), "{body}");
        assert_eq!(h.d.state.digest.day, Some(day("2026-12-02")));
        assert_eq!(h.d.state.digest.previous, Some(day("2026-11-30")));
        let on_disk = State::load(&h.d.paths.state_dir, wednesday).unwrap().state;
        assert_eq!(on_disk.digest.previous, Some(day("2026-11-30")));
        // Snoozed and shown again the same day: still there.
        assert!(h.d.digest_action(h.fake.shown()[0].id, "snooze", wednesday));
        h.tick(wednesday + DIGEST_SNOOZE).await;
        let again = &h.fake.shown()[1].notification.body;
        assert!(again.contains("ask Pieter"), "{again}");
        // Thursday's digest has it no more.
        h.tick(at("2026-12-03T08:30:00Z")).await;
        let thursday = &h.fake.shown()[2].notification.body;
        assert!(!thursday.contains("Pieter"), "{thursday}");
    }

    #[tokio::test]
    async fn a_snoozed_digest_that_failed_comes_again_the_same_day_only() {
        let mut h = harness();
        let first = at("2026-12-01T08:30:00Z");
        h.tick(first).await;
        let id = h.fake.shown()[0].id;
        assert!(h.d.digest_action(id, "snooze", first));
        let again = first + DIGEST_SNOOZE;
        h.tick_failing(NotifyError::NoServer, again).await;
        assert_eq!(h.fake.shown().len(), 1);
        let wake = h.tick(again + Duration::minutes(1)).await;
        assert_eq!(wake, Some(again + DIGEST_RETRY));
        h.tick(again + DIGEST_RETRY).await;
        assert_eq!(h.fake.shown().len(), 2);
        // Failing late in the evening: not carried over midnight.
        assert!(h
            .d
            .digest_action(h.fake.shown()[1].id, "snooze", at("2026-12-01T22:58:00Z")));
        h.tick_failing(NotifyError::NoServer, at("2026-12-01T23:58:00Z"))
            .await;
        h.tick(at("2026-12-02T00:03:00Z")).await;
        assert_eq!(h.fake.shown().len(), 2);
    }

    #[tokio::test]
    async fn the_digest_waits_for_the_first_read_of_the_calendars_half_a_minute_at_most() {
        let mut h = harness();
        let start = at("2026-12-01T09:00:00Z");
        h.d.set_feeds(start);
        // The first fetch, as `start_due_fetches` begins it.
        h.d.feeds.get_mut("work").unwrap().in_flight = true;
        let wait = start + FIRST_READ_WAIT;
        assert_eq!(h.tick(start).await, Some(wait));
        assert_eq!(h.tick(start + Duration::seconds(10)).await, Some(wait));
        assert!(h.fake.shown().is_empty());
        let feed = h.d.feeds.get_mut("work").unwrap();
        feed.in_flight = false;
        feed.read_once = true;
        h.tick(start + Duration::seconds(11)).await;
        assert_eq!(h.fake.shown().len(), 1);

        // A first read that takes longer: sent from what there is.
        let mut h = harness();
        h.d.set_feeds(start);
        h.d.feeds.get_mut("work").unwrap().in_flight = true;
        h.tick(start + Duration::seconds(29)).await;
        assert!(h.fake.shown().is_empty());
        h.tick(wait).await;
        assert_eq!(h.fake.shown().len(), 1);
    }
}
