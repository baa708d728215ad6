//! The daemon's calendars: each feed's refresh (as tasks, so a slow server
//! never delays a notification), the back-off after errors, and the window
//! of occurrences it keeps (parsed off the loop; the parse and the body are
//! dropped once the window is computed).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::notify::Notifier;
use super::{attendance, Daemon};
use crate::calendar::model::Occurrence;
use crate::calendar::{self, ExpandOptions};
use crate::feed::{CalendarSource, FeedError, FeedLocation, FetchStatus, Fetched};
use crate::people::matching::Matcher;
use crate::people::People;

/// Occurrences kept in memory: from this long ago (debriefs, catch-up)...
pub(super) const LOOK_BACK: Duration = Duration::hours(12);

/// ...to this far ahead.
pub const LOOK_AHEAD: Duration = Duration::days(3);

/// Expanded occurrences are recomputed at least this often, so the window
/// moves with the clock even when no feed changes. The parsed feed is not
/// kept (with its body it is most of the daemon's memory: 40 MB RSS for a
/// 17 MB feed), so each move reads the cached copy from disk and parses it
/// again: about 150 ms for 10,000 events once an hour, off the loop.
pub(crate) const REEXPAND_EVERY: Duration = Duration::hours(1);

/// A failed fetch is first retried after this long (or the feed's interval
/// when shorter), then twice as long after each further failure in a row...
pub(super) const RETRY_AFTER_ERROR: StdDuration = StdDuration::from_secs(5 * 60);

/// ...up to this, or the feed's own interval when longer: a server that is
/// down for hours gets a request an hour from us rather than twelve, its
/// recovery is noticed within the hour, and a failing feed is never read
/// more often than a healthy one.
pub(super) const MAX_RETRY_BACKOFF: StdDuration = StdDuration::from_secs(3600);

/// A server's Retry-After is followed, but not below this (or the feed's
/// interval when shorter): `Retry-After: 0` on every answer must not turn
/// into a loop of requests.
pub(super) const MIN_RETRY_AFTER: StdDuration = StdDuration::from_secs(30);

/// One configured feed and what we know of it: the occurrences of the
/// window and a few facts, never the parsed feed or its body.
pub(super) struct Feed {
    pub(super) source: CalendarSource,
    /// A body was read at least once, so the window can be computed again
    /// from the cached copy (or the file).
    pub(super) read_once: bool,
    /// REFRESH-INTERVAL / X-PUBLISHED-TTL of the last body read.
    pub(super) asks_refresh: Option<StdDuration>,
    /// Occurrences in the window, each with "has other people in it".
    pub(super) occurrences: Vec<(Occurrence, bool)>,
    /// When the window was computed; `None` when it must be computed again.
    pub(super) expanded_at: Option<DateTime<Utc>>,
    /// The series cut short at the last expansion (logged when they change).
    pub(super) cut: Vec<String>,
    pub(super) next_refresh: DateTime<Utc>,
    /// A fetch or a re-read of this feed is running.
    pub(super) in_flight: bool,
    /// Failed fetches in a row (0 after a success), for the back-off.
    pub(super) failures: u32,
    /// When the daemon started with it (or a reload added it).
    pub(super) added_at: DateTime<Utc>,
}

impl Feed {
    pub(super) fn new(source: CalendarSource, now: DateTime<Utc>) -> Feed {
        Feed {
            source,
            read_once: false,
            asks_refresh: None,
            occurrences: Vec::new(),
            expanded_at: None,
            cut: Vec::new(),
            next_refresh: now,
            in_flight: false,
            failures: 0,
            added_at: now,
        }
    }
}

/// What the daemon keeps of a parsed body (see [`window_of`]).
pub(super) struct Window {
    pub(super) occurrences: Vec<Occurrence>,
    /// The series cut short in the window.
    pub(super) cut: Vec<String>,
    pub(super) refresh_interval: Option<StdDuration>,
    /// The first parse warnings (logged at debug level).
    pub(super) warnings: Vec<String>,
    /// How many parse warnings there were (`rapport status` says it).
    pub(super) warning_count: usize,
    /// The `now` the window was computed for.
    pub(super) at: DateTime<Utc>,
}

/// The result of one fetch or re-read task.
pub(super) struct Fetch {
    pub(super) name: String,
    /// The source as it was when the task started (a config reload may have
    /// changed it meanwhile; then the result is dropped).
    pub(super) source: CalendarSource,
    /// [`Daemon::generation`] when the task started.
    pub(super) generation: u64,
    pub(super) loaded: Loaded,
}

pub(super) enum Loaded {
    /// A refresh: the fetch's outcome, with the new window when the body was
    /// parsed (a new body, or one the daemon has no window of).
    Refresh(Result<(FetchStatus, Option<Window>), FeedError>),
    /// The window moved: the last good body parsed again without network;
    /// `None` when there was none to read.
    Reread(Option<Window>),
}

impl<N: Notifier> Daemon<N> {
    /// Makes `feeds` match the configured calendars, keeping what is known of
    /// unchanged ones.
    pub(super) fn set_feeds(&mut self, now: DateTime<Utc>) {
        let mut old = std::mem::take(&mut self.feeds);
        for source in &self.config.calendars {
            let feed = match old.remove(&source.name) {
                Some(f) if f.source == *source => f,
                _ => Feed::new(source.clone(), now),
            };
            self.feeds.insert(source.name.clone(), feed);
        }
        self.state
            .feeds
            .retain(|name, _| self.config.calendars.iter().any(|c| &c.name == name));
    }

    pub(super) fn next_refresh(&self) -> Option<DateTime<Utc>> {
        self.feeds
            .values()
            .filter(|f| !f.in_flight)
            .map(|f| f.next_refresh)
            .min()
    }

    pub(super) fn start_due_fetches(&mut self, now: DateTime<Utc>) {
        for feed in self.feeds.values_mut() {
            if feed.in_flight || feed.next_refresh > now {
                continue;
            }
            feed.in_flight = true;
            // An unchanged body (304, or the cached copy after an error) is
            // parsed only when there is no window of it yet.
            let parse_unchanged = feed.expanded_at.is_none();
            let fetcher = self.fetcher.clone();
            let tx = self.fetch_tx.clone();
            let source = feed.source.clone();
            let options = self.expand.clone();
            let generation = self.generation;
            tokio::spawn(async move {
                let name = source.name.clone();
                let result = match fetcher.fetch(&source).await {
                    Ok(Fetched { body, status, .. }) => {
                        let parse = status == FetchStatus::Fresh || parse_unchanged;
                        let window = if parse {
                            parse_off_loop(name.clone(), body, options).await
                        } else {
                            None
                        };
                        Ok((status, window))
                    }
                    Err(e) => Err(e),
                };
                let _ = tx.send(Fetch {
                    name,
                    source,
                    generation,
                    loaded: Loaded::Refresh(result),
                });
            });
        }
    }

    pub(super) fn on_fetch(&mut self, fetch: Fetch, now: DateTime<Utc>) {
        let Some(feed) = self.feeds.get_mut(&fetch.name) else {
            return;
        };
        if feed.source != fetch.source {
            // The config changed while fetching: the result is for a source
            // that is gone (the new one has its own fetch).
            return;
        }
        feed.in_flight = false;
        let current = fetch.generation == self.generation;
        let interval = feed.source.refresh;
        match fetch.loaded {
            Loaded::Reread(Some(window)) => {
                keep_window(feed, window, current, &self.people, &self.matcher);
            }
            Loaded::Reread(None) => {
                // Not again before the next hour; a fetch that works parses
                // its body anyway.
                feed.expanded_at = Some(now);
                if feed.failures == 0 {
                    feed.next_refresh = feed.next_refresh.min(now);
                }
            }
            Loaded::Refresh(Ok((status, window))) => {
                if let Some(window) = window {
                    self.state
                        .record_feed_warnings(&fetch.name, window.warning_count);
                    keep_window(feed, window, current, &self.people, &self.matcher);
                }
                match &status {
                    FetchStatus::CachedAfterError(e) => {
                        tracing::warn!("{}: {e}; using the cached copy", fetch.name);
                        feed.failures = feed.failures.saturating_add(1);
                        let retry = retry_delay(feed.failures, interval, e.retry_after());
                        feed.next_refresh = now + chrono_duration(retry);
                        self.state
                            .record_feed_error(&fetch.name, now, &e.to_string());
                    }
                    _ => {
                        feed.failures = 0;
                        // The feed may ask to be read less often, never more often.
                        let next = interval.max(feed.asks_refresh.unwrap_or_default());
                        feed.next_refresh = now + chrono_duration(next);
                        self.state.record_feed_success(&fetch.name, now);
                    }
                }
                self.state
                    .record_next_attempt(&fetch.name, feed.next_refresh, feed.failures);
                self.state_dirty = true;
            }
            Loaded::Refresh(Err(e)) => {
                tracing::warn!("{}: {e}", fetch.name);
                feed.failures = feed.failures.saturating_add(1);
                let retry = retry_delay(feed.failures, interval, e.retry_after());
                feed.next_refresh = now + chrono_duration(retry);
                self.state
                    .record_feed_error(&fetch.name, now, &e.to_string());
                self.state
                    .record_next_attempt(&fetch.name, feed.next_refresh, feed.failures);
                self.state_dirty = true;
            }
        }
        // The task's body and parse are gone by now.
        release_freed_memory();
        self.reexpand_if_old(now);
    }

    /// Computes the window again for feeds whose window is missing (a
    /// config change) or older than [`REEXPAND_EVERY`]: from the cached
    /// copy (a file source: the file), parsed off the loop, without network.
    pub(super) fn reexpand_if_old(&mut self, now: DateTime<Utc>) {
        for feed in self.feeds.values_mut() {
            // Before the first body the first fetch brings the window; while
            // a fetch runs, its result decides.
            if !feed.read_once || feed.in_flight {
                continue;
            }
            if feed
                .expanded_at
                .is_some_and(|at| now - at < REEXPAND_EVERY && at <= now)
            {
                continue;
            }
            feed.in_flight = true;
            let fetcher = self.fetcher.clone();
            let tx = self.fetch_tx.clone();
            let source = feed.source.clone();
            let options = self.expand.clone();
            let generation = self.generation;
            tokio::spawn(async move {
                let name = source.name.clone();
                let body = match &source.location {
                    FeedLocation::Url(_) => {
                        let (fetcher, source) = (fetcher.clone(), source.clone());
                        let cached =
                            tokio::task::spawn_blocking(move || fetcher.cached_body(&source))
                                .await
                                .ok()
                                .flatten();
                        if cached.is_none() {
                            tracing::warn!(
                                "{name}: no cached copy to compute the next days from; the \
                                 occurrences known stay until the next fetch"
                            );
                        }
                        cached.map(Arc::new)
                    }
                    // Files are not cached: read the file again.
                    FeedLocation::Path(_) => match fetcher.fetch(&source).await {
                        Ok(fetched) => Some(fetched.body),
                        Err(e) => {
                            tracing::warn!("{name}: {e}");
                            None
                        }
                    },
                };
                let window = match body {
                    Some(body) => parse_off_loop(name.clone(), body, options).await,
                    None => None,
                };
                let _ = tx.send(Fetch {
                    name,
                    source,
                    generation,
                    loaded: Loaded::Reread(window),
                });
            });
        }
    }
}

/// Parses a body off the loop (a big feed takes a while) into the window the
/// daemon keeps; `None` when the parse task failed.
async fn parse_off_loop(
    name: String,
    body: Arc<Vec<u8>>,
    options: ExpandOptions,
) -> Option<Window> {
    let feed = name.clone();
    match tokio::task::spawn_blocking(move || window_of(&feed, body, &options)).await {
        Ok(window) => Some(window),
        Err(e) => {
            tracing::error!("{name}: parsing failed: {e}");
            None
        }
    }
}

/// Parses `body`, expands the window around now and drops the parse and the
/// body (when the caller gave its only reference).
fn window_of(name: &str, body: Arc<Vec<u8>>, options: &ExpandOptions) -> Window {
    let at = Utc::now();
    let parsed = calendar::parse_calendar_shared(name, body);
    let expansion = parsed.expand(at - LOOK_BACK, at + LOOK_AHEAD, options);
    Window {
        occurrences: expansion.occurrences,
        cut: expansion.warnings.iter().map(|w| w.to_string()).collect(),
        refresh_interval: parsed.refresh_interval,
        warnings: parsed
            .warnings
            .iter()
            .take(20)
            .map(|w| w.to_string())
            .collect(),
        warning_count: parsed.warnings.len(),
        at,
    }
}

/// Makes `window` the feed's occurrences. A window computed with expansion
/// options that changed since (`current` false) is used until it is
/// computed again.
fn keep_window(feed: &mut Feed, window: Window, current: bool, people: &People, matcher: &Matcher) {
    let name = &feed.source.name;
    for w in &window.warnings {
        tracing::debug!("{w}");
    }
    if window.cut != feed.cut {
        for w in &window.cut {
            tracing::warn!("{}", crate::util::text::line(w, 400));
        }
    }
    feed.cut = window.cut;
    feed.asks_refresh = window.refresh_interval;
    feed.occurrences = window
        .occurrences
        .into_iter()
        .map(|o| {
            let with_people = !attendance(&o, people, matcher).is_empty();
            (o, with_people)
        })
        .collect();
    feed.read_once = true;
    feed.expanded_at = current.then_some(window.at);
    tracing::debug!(
        "{name}: {} occurrences from {} to {}",
        feed.occurrences.len(),
        (window.at - LOOK_BACK).format("%Y-%m-%d %H:%M"),
        (window.at + LOOK_AHEAD).format("%Y-%m-%d %H:%M")
    );
}

/// How long to wait after the `failures`-th failed fetch in a row of a feed
/// read every `interval`: the server's Retry-After when it sent one (not
/// below [`MIN_RETRY_AFTER`] or the interval), else [`RETRY_AFTER_ERROR`]
/// (or the interval when shorter) doubled at each further failure, at most
/// [`MAX_RETRY_BACKOFF`] or the interval, whichever is longer.
fn retry_delay(
    failures: u32,
    interval: StdDuration,
    retry_after: Option<StdDuration>,
) -> StdDuration {
    if let Some(asked) = retry_after {
        return asked.max(MIN_RETRY_AFTER.min(interval));
    }
    let first = RETRY_AFTER_ERROR
        .min(interval)
        .max(StdDuration::from_secs(1));
    let doublings = failures.saturating_sub(1).min(31);
    first
        .saturating_mul(1 << doublings)
        .min(interval.max(MAX_RETRY_BACKOFF))
}

fn chrono_duration(d: StdDuration) -> Duration {
    // Config and Retry-After durations are far below chrono's limit.
    Duration::from_std(d).unwrap_or(Duration::hours(1))
}

/// Makes glibc map every allocation of 1 MB or more (feed bodies, the
/// parser's big vectors) on its own, so freeing it gives it back at once.
/// By default the threshold rises to 32 MB after the first big free; a later
/// 17 MB body then lands in a thread's heap, and once freed at the top of
/// that heap `malloc_trim` does not return it (measured: 32 MB RSS instead
/// of 15 after one in five re-reads).
pub(super) fn keep_big_buffers_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation policy for later calls.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

/// Gives freed heap memory back to the system. glibc keeps what a feed body
/// and its parse occupied (tens of MB for a big feed) in its arenas, where
/// it counts as the daemon's memory until reused.
pub(super) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's own heaps to
    // the kernel; it touches no memory of ours.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_the_interval_to_an_hour_or_the_interval() {
        let min = |m: u64| StdDuration::from_secs(m * 60);
        // The usual 15-minute feed: 5, 10, 20, 40 min, then hourly.
        let waits: Vec<StdDuration> = (1..=7).map(|n| retry_delay(n, min(15), None)).collect();
        assert_eq!(
            waits,
            vec![min(5), min(10), min(20), min(40), min(60), min(60), min(60)]
        );
        // A feed read every minute starts at a minute.
        assert_eq!(retry_delay(1, min(1), None), min(1));
        assert_eq!(retry_delay(3, min(1), None), min(4));
        assert_eq!(retry_delay(10, min(1), None), min(60));
        // A feed read every 6 hours backs off up to its own interval, no further.
        assert_eq!(retry_delay(7, min(360), None), min(320));
        assert_eq!(retry_delay(8, min(360), None), min(360));
        assert_eq!(retry_delay(u32::MAX, min(360), None), min(360));
        // The server's Retry-After wins, longer or shorter...
        let asked = Some(StdDuration::from_secs(7200));
        assert_eq!(retry_delay(1, min(15), asked), StdDuration::from_secs(7200));
        assert_eq!(retry_delay(5, min(15), Some(min(2))), min(2));
        // ...but "0" is no reason for a loop of requests.
        assert_eq!(
            retry_delay(1, min(15), Some(StdDuration::ZERO)),
            MIN_RETRY_AFTER
        );
        assert_eq!(
            retry_delay(1, StdDuration::from_secs(5), Some(StdDuration::ZERO)),
            StdDuration::from_secs(5)
        );
    }
}
