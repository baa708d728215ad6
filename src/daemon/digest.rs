//! The morning digest in the daemon: when [`brief::digest::next_digest`]
//! says it is time, a task reads a year of each calendar (the cached copy or
//! the file, never the network) off the loop, composes the digest and hands
//! it back; the loop records the day before it sends (write-ahead: never
//! twice for a day, across restarts and kills) and sends it. "Open digest"
//! writes the Markdown and opens it; "Snooze" shows it again in an hour.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::notify::{Action, Expiry, Notification, Notifier};
use super::Daemon;
use crate::brief::digest::{self, meetings_on, next_digest, DigestTime};
use crate::brief::Now;
use crate::calendar::parse_calendar_shared;
use crate::config::Config;
use crate::feed::{FeedFetcher, FeedLocation};
use crate::people::cadence::due_list;
use crate::people::contact::CalendarContacts;
use crate::people::matching::Matcher;
use crate::people::People;

/// How long "Snooze" puts the digest off.
pub const DIGEST_SNOOZE: Duration = Duration::hours(1);

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

    fn start_digest(&mut self, day: NaiveDate, again: bool, now: DateTime<Utc>) {
        self.digest_in_flight = true;
        let job = DigestJob {
            config: self.config.clone(),
            people: self.people.clone(),
            matcher: self.matcher.clone(),
            fetcher: self.fetcher.clone(),
            zone: self.expand.floating.clone(),
            expand: self.expand.clone(),
            now,
        };
        let tx = self.digest_tx.clone();
        tokio::spawn(async move {
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
            let _ = tx.send(ready);
        });
    }

    /// The composed digest: recorded (write-ahead), then sent.
    pub(super) async fn on_digest(&mut self, ready: Option<DigestReady>, now: DateTime<Utc>) {
        self.digest_in_flight = false;
        let Some(ready) = ready else { return };
        // Recorded before the call: a kill during it never shows it twice.
        self.state.digest.day = Some(ready.day);
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
            }
            Err(e) => {
                // Not retried: a missed digest is better than a second one.
                self.notify_failed(&e, &format!("the digest for {}", ready.day));
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
    config: Config,
    people: People,
    matcher: Matcher,
    fetcher: Arc<FeedFetcher>,
    zone: crate::calendar::tz::Zone,
    expand: crate::calendar::ExpandOptions,
    now: DateTime<Utc>,
}

impl DigestJob {
    /// Reads each calendar's history (cached copy or file), composes the
    /// digest and renders it. Blocking: runs off the loop.
    fn compose(self) -> (Option<crate::brief::Notification>, String) {
        let now = Now::new(self.now, self.zone.clone());
        let today = now.today();
        let mut contacts = CalendarContacts::new(
            self.people.people.len(),
            &self.config.people.contact,
            now.utc,
            &now.zone,
        );
        let mut day = Vec::new();
        for source in &self.config.calendars {
            let body = match &source.location {
                FeedLocation::Url(_) => self.fetcher.cached_body(source),
                FeedLocation::Path(p) => std::fs::read(p).ok(),
            };
            let Some(body) = body else {
                tracing::warn!(
                    "{}: no copy to read for the digest; its meetings are left out",
                    source.name
                );
                continue;
            };
            let parsed = parse_calendar_shared(&source.name, Arc::new(body));
            contacts.read_calendar(
                &parsed,
                now.utc + AHEAD,
                &self.expand,
                &self.matcher,
                today,
                &mut |o| day.push(o),
            );
        }
        let due = due_list(&self.people, &contacts, &self.config.people.cadence);
        let meetings = meetings_on(
            &day,
            &self.matcher,
            today,
            &now,
            self.config.notify.include_all_day,
        );
        let digest = digest::compose(&self.people, &meetings, &due, &self.config.digest, &now);
        (
            digest::notification(&digest, self.config.notify.discreet),
            digest::markdown(&digest, &now),
        )
    }
}
