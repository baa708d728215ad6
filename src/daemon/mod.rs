//! `rapport run`: the background daemon.
//!
//! One tokio loop (current-thread: the daemon is I/O-bound and idles almost
//! always) that:
//! - refreshes each feed on its interval, longer when the feed asks for it
//!   (REFRESH-INTERVAL / X-PUBLISHED-TTL); fetches run as tasks so a slow
//!   server never delays a notification; a failed fetch keeps the cached copy;
//! - keeps the occurrences of the next days in memory, not the parsed feed:
//!   when the window moves (hourly) the cached copy is parsed again;
//! - asks the pure scheduler ([`crate::schedule`]) what is due, sends it
//!   through the [`Notifier`], records it in the [`State`] and sleeps until the
//!   next deadline, at most a minute (timers stop during suspend, so the wall
//!   clock is compared at least once a minute);
//! - watches the config file's folder and the people folder (the folders, as
//!   editors replace files), debounced; an invalid config keeps the previous
//!   one, is logged with file and line, and raises one notification;
//! - handles the notification actions (open brief, snooze, join, add note,
//!   nothing new), SIGTERM/SIGINT, and tells systemd when it is ready.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Local, Utc};
use tokio::sync::mpsc;

use crate::actions::is_http_url;
use crate::brief::{self, Attendance, BriefSettings, Now};
use crate::calendar::model::Occurrence;
use crate::calendar::{self, ExpandOptions};
use crate::config::{self, Config, Paths};
use crate::feed::{CalendarSource, FeedLocation};
use crate::feed::{FeedError, FeedFetcher, FetchLimits, FetchStatus, Fetched};
use crate::notify::{Action, Capabilities, Event, Expiry, Notification, Notifier, NotifyError};
use crate::people::matching::{Match, Matcher};
use crate::people::{self, People};
use crate::schedule::{self, Candidate, Decision, Kind, Snooze};
use crate::state::{Due, Outcome, State};
use crate::util::text::{self, one_line};

/// How long "Snooze" postpones a prep notification (never past the start).
pub const SNOOZE_FOR: Duration = Duration::minutes(5);
/// Occurrences kept in memory: from this long ago (debriefs, catch-up)...
const LOOK_BACK: Duration = Duration::hours(12);
/// ...to this far ahead.
const LOOK_AHEAD: Duration = Duration::days(3);
/// Expanded occurrences are recomputed at least this often, so the window
/// moves with the clock even when no feed changes. The parsed feed is not
/// kept (with its body it is most of the daemon's memory: 40 MB RSS for a
/// 17 MB feed), so each move reads the cached copy from disk and parses it
/// again: about 150 ms for 10,000 events once an hour, off the loop.
const REEXPAND_EVERY: Duration = Duration::hours(1);
/// File events closer together than this are one change (editors write a
/// file in several steps).
const DEBOUNCE: StdDuration = StdDuration::from_millis(300);
/// A failed fetch is first retried after this long (or the feed's interval
/// when shorter), then twice as long after each further failure in a row...
const RETRY_AFTER_ERROR: StdDuration = StdDuration::from_secs(5 * 60);
/// ...up to this, or the feed's own interval when longer: a server that is
/// down for hours gets a request an hour from us rather than twelve, its
/// recovery is noticed within the hour, and a failing feed is never read
/// more often than a healthy one.
const MAX_RETRY_BACKOFF: StdDuration = StdDuration::from_secs(3600);
/// A server's Retry-After is followed, but not below this (or the feed's
/// interval when shorter): `Retry-After: 0` on every answer must not turn
/// into a loop of requests.
const MIN_RETRY_AFTER: StdDuration = StdDuration::from_secs(30);
/// The state is written when something changed, and at least this often (for
/// `last_run`, which tells a restart from a first run).
const SAVE_EVERY: Duration = Duration::minutes(10);
/// Upcoming notifications kept in the state for `rapport status`.
const UPCOMING_IN_STATE: usize = 20;

/// Opens a file or URL with the desktop's default handler.
pub trait Opener: Send + Sync {
    fn open(&self, target: &str) -> std::io::Result<()>;
}

/// `xdg-open TARGET`, run directly (no shell, so nothing in a meeting title
/// or URL is ever interpreted), detached from our stdio.
pub struct XdgOpen;

impl Opener for XdgOpen {
    fn open(&self, target: &str) -> std::io::Result<()> {
        let mut child = std::process::Command::new("xdg-open")
            .arg(target)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        // Reap it so it does not linger as a zombie.
        std::thread::spawn(move || child.wait());
        Ok(())
    }
}

/// What `run` needs besides the file locations; tests pass their own.
pub struct Options<N: Notifier> {
    pub notifier: N,
    pub opener: Box<dyn Opener>,
    /// Becomes `true` to stop the daemon (tests); signals always stop it.
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
}

/// One configured feed and what we know of it: the occurrences of the
/// window and a few facts, never the parsed feed or its body.
struct Feed {
    source: CalendarSource,
    /// A body was read at least once, so the window can be computed again
    /// from the cached copy (or the file).
    read_once: bool,
    /// REFRESH-INTERVAL / X-PUBLISHED-TTL of the last body read.
    asks_refresh: Option<StdDuration>,
    /// Occurrences in the window, each with "has other people in it".
    occurrences: Vec<(Occurrence, bool)>,
    /// When the window was computed; `None` when it must be computed again.
    expanded_at: Option<DateTime<Utc>>,
    /// The series cut short at the last expansion (logged when they change).
    cut: Vec<String>,
    next_refresh: DateTime<Utc>,
    /// A fetch or a re-read of this feed is running.
    in_flight: bool,
    /// Failed fetches in a row (0 after a success), for the back-off.
    failures: u32,
}

impl Feed {
    fn new(source: CalendarSource, now: DateTime<Utc>) -> Feed {
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
        }
    }
}

/// What the daemon keeps of a parsed body (see [`window_of`]).
struct Window {
    occurrences: Vec<Occurrence>,
    /// The series cut short in the window.
    cut: Vec<String>,
    refresh_interval: Option<StdDuration>,
    /// The first parse warnings (logged at debug level).
    warnings: Vec<String>,
    /// The `now` the window was computed for.
    at: DateTime<Utc>,
}

/// The result of one fetch or re-read task.
struct Fetch {
    name: String,
    /// The source as it was when the task started (a config reload may have
    /// changed it meanwhile; then the result is dropped).
    source: CalendarSource,
    /// [`Daemon::generation`] when the task started.
    generation: u64,
    loaded: Loaded,
}

enum Loaded {
    /// A refresh: the fetch's outcome, with the new window when the body was
    /// parsed (a new body, or one the daemon has no window of).
    Refresh(Result<(FetchStatus, Option<Window>), FeedError>),
    /// The window moved: the last good body parsed again without network;
    /// `None` when there was none to read.
    Reread(Option<Window>),
}

/// A notification we raised, for its actions and for replacing it.
#[derive(Debug, Clone)]
struct Raised {
    slot: Slot,
    kind: Kind,
}

/// One occurrence: calendar, uid, start.
type Slot = (String, String, DateTime<Utc>);

fn slot_of(occ: &Occurrence) -> Slot {
    (occ.calendar.clone(), occ.uid.clone(), occ.start_utc())
}

struct Daemon<N: Notifier> {
    paths: Paths,
    config: Config,
    people: People,
    matcher: Matcher,
    expand: ExpandOptions,
    feeds: BTreeMap<String, Feed>,
    fetcher: Arc<FeedFetcher>,
    fetch_tx: mpsc::UnboundedSender<Fetch>,
    state: State,
    state_dirty: bool,
    saved_at: Option<DateTime<Utc>>,
    notifier: N,
    opener: Box<dyn Opener>,
    /// Notification id -> what it is about.
    raised: HashMap<u32, Raised>,
    /// The current notification of each occurrence (replaced, not stacked).
    current: HashMap<Slot, u32>,
    /// The notification server was unreachable at the last attempt.
    server_down: bool,
    /// The config error last notified, so it is shown once.
    config_error_shown: Option<String>,
    /// Bumped when the expansion options change: a window computed with the
    /// old ones (a task that was running then) is computed again.
    generation: u64,
}

/// Runs the daemon until SIGTERM/SIGINT (or `options.stop`). Errors only when
/// it cannot start (no valid config, a state file from a newer rapport).
pub async fn run<N: Notifier>(paths: Paths, options: Options<N>) -> anyhow::Result<()> {
    // First, so that a stop request is heard while anything below waits
    // (a notification server that never answers).
    let mut signals = Signals::new(options.stop)?;
    let config = config::load(&paths).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = Utc::now();
    // Private from the first run on; a folder an earlier version made 0755
    // is closed too.
    for dir in [&paths.state_dir, &paths.cache_dir] {
        if let Err(e) = crate::util::fs::ensure_private_dir(dir) {
            tracing::warn!("cannot make {} private (0700): {e}", dir.display());
        }
    }
    let loaded = State::load(&paths.state_dir, now)?;
    if let Some(aside) = &loaded.moved_aside {
        tracing::warn!(
            "{}: unreadable state ({}); moved to {} and starting clean (nothing due before now is sent)",
            State::path(&paths.state_dir).display(),
            loaded.problem.as_deref().unwrap_or("?"),
            aside.display()
        );
    }
    let fetcher = FeedFetcher::new(paths.cache_dir.clone(), FetchLimits::default())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (fetch_tx, mut fetch_rx) = mpsc::unbounded_channel();
    let mut events = options.notifier.subscribe();
    let people = load_people(&config);
    let matcher = Matcher::new(&people, &config.me);
    let mut expand = ExpandOptions::new(crate::calendar::tz::local_zone());
    expand.me_emails = config.me.emails.clone();
    let mut daemon = Daemon {
        paths,
        config,
        people,
        matcher,
        expand,
        feeds: BTreeMap::new(),
        fetcher: Arc::new(fetcher),
        fetch_tx,
        state: loaded.state,
        state_dirty: true,
        saved_at: None,
        notifier: options.notifier,
        opener: options.opener,
        raised: HashMap::new(),
        current: HashMap::new(),
        server_down: false,
        config_error_shown: None,
        generation: 0,
    };
    daemon.set_feeds(now);
    let caps = tokio::select! {
        biased;
        why = signals.recv() => {
            tracing::info!("{why}: stopping");
            daemon.save(Utc::now(), true);
            return Ok(());
        }
        caps = daemon.notifier.capabilities() => caps,
    };
    match caps {
        Ok(caps) => tracing::info!(
            "notification server ready (actions: {}, markup: {})",
            caps.actions,
            caps.body_markup
        ),
        Err(e) => {
            tracing::warn!("{e}");
            daemon.server_down = true;
        }
    }

    let (fs_tx, mut fs_rx) = mpsc::unbounded_channel();
    let mut watcher = Watcher::new(fs_tx, crate::actions::requests_dir(&daemon.paths.state_dir));
    watcher.watch(&daemon.paths.config_file, &daemon.config.people.dir);

    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
    tracing::info!(
        "rapport daemon started: {} calendar(s), {} people",
        daemon.feeds.len(),
        daemon.people.people.len()
    );

    let mut reload_at: Option<tokio::time::Instant> = None;
    let mut changed = Changed::default();
    loop {
        let now = Utc::now();
        daemon.start_due_fetches(now);
        daemon.reexpand_if_old(now);
        daemon.take_requests(now);
        // Sending waits for the notification server (10 s per call when it
        // stalls): a stop request ends the wait. What was being sent is on
        // disk as maybe sent, so it is never shown twice.
        let mut wake = tokio::select! {
            biased;
            why = signals.recv() => { tracing::info!("{why}: stopping"); break; }
            wake = daemon.tick(now) => wake,
        };
        if let Some(refresh) = daemon.next_refresh() {
            wake = wake.min(refresh);
        }
        let sleep_for = (wake - Utc::now()).to_std().unwrap_or(StdDuration::ZERO);
        let mut deadline = tokio::time::Instant::now() + sleep_for;
        if let Some(r) = reload_at {
            deadline = deadline.min(r);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            Some(fetch) = fetch_rx.recv() => daemon.on_fetch(fetch, Utc::now()),
            event = events.recv() => match event {
                Ok(event) => daemon.on_event(event, Utc::now()).await,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!("missed {n} notification events");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {}
            },
            Some(change) = fs_rx.recv() => {
                changed.merge(change);
                reload_at = Some(tokio::time::Instant::now() + DEBOUNCE);
            }
            why = signals.recv() => { tracing::info!("{why}: stopping"); break; }
        }
        if reload_at.is_some_and(|r| r <= tokio::time::Instant::now()) {
            reload_at = None;
            let what = std::mem::take(&mut changed);
            let now = Utc::now();
            if what.config {
                tokio::select! {
                    biased;
                    why = signals.recv() => { tracing::info!("{why}: stopping"); break; }
                    () = daemon.reload_config(now) => {}
                }
                watcher.watch(&daemon.paths.config_file, &daemon.config.people.dir);
            }
            if what.people || what.config {
                daemon.reload_people();
            }
            if what.requests {
                daemon.take_requests(now);
            }
        }
    }
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    daemon.save(Utc::now(), true);
    Ok(())
}

/// `rapport run`: the daemon on a current-thread runtime (it is I/O-bound and
/// idle almost always; one thread keeps it small), with the real notifier.
pub fn run_blocking(paths: Paths) -> anyhow::Result<()> {
    keep_big_buffers_out_of_the_heap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(run(
        paths,
        Options {
            notifier: crate::notify::DbusNotifier::session(),
            opener: Box::new(XdgOpen),
            stop: None,
        },
    ));
    // A feed parse still running off the loop must not hold up the stop
    // (systemd waits for the process, not for the parse).
    runtime.shutdown_timeout(StdDuration::from_millis(200));
    result
}

/// Logs to stderr: plain lines without timestamps or colours under systemd
/// (journald adds both), `-v` for debug, `-vv` for trace, `RUST_LOG` wins.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "rapport=info",
        1 => "rapport=debug",
        _ => "rapport=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    // Log lines quote meeting titles, names and file names, and `rapport
    // run` may write to a terminal: every field is cleaned (crate::util::text).
    use tracing_subscriber::field::MakeExt;
    let fields = tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        let value = text::clean(&format!("{value:?}"), true);
        match field.name() {
            "message" => write!(w, "{value}"),
            name => write!(w, "{name}={value}"),
        }
    })
    .delimited(" ");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .fmt_fields(fields);
    let result = if under_journald {
        builder.without_time().with_ansi(false).try_init()
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
    };
    // Already initialised (tests): keep the existing subscriber.
    let _ = result;
}

/// What stops the daemon: SIGTERM, SIGINT, or `Options::stop` (tests).
struct Signals {
    sigterm: tokio::signal::unix::Signal,
    sigint: tokio::signal::unix::Signal,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
}

impl Signals {
    fn new(stop: Option<tokio::sync::watch::Receiver<bool>>) -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            sigterm: signal(SignalKind::terminate())?,
            sigint: signal(SignalKind::interrupt())?,
            stop,
        })
    }

    /// Waits for the next stop request and names it.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.sigterm.recv() => "SIGTERM",
            _ = self.sigint.recv() => "SIGINT",
            _ = stopped(&mut self.stop) => "stop requested",
        }
    }
}

async fn stopped(stop: &mut Option<tokio::sync::watch::Receiver<bool>>) {
    match stop {
        Some(rx) => {
            while !*rx.borrow_and_update() {
                if rx.changed().await.is_err() {
                    // The sender is gone: nobody can stop us this way.
                    std::future::pending::<()>().await;
                }
            }
        }
        None => std::future::pending::<()>().await,
    }
}

fn load_people(config: &Config) -> People {
    let people = people::load(&config.people.dir);
    for e in &people.errors {
        tracing::warn!("{e}");
    }
    people
}

impl<N: Notifier> Daemon<N> {
    /// Makes `feeds` match the configured calendars, keeping what is known of
    /// unchanged ones.
    fn set_feeds(&mut self, now: DateTime<Utc>) {
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

    fn next_refresh(&self) -> Option<DateTime<Utc>> {
        self.feeds
            .values()
            .filter(|f| !f.in_flight)
            .map(|f| f.next_refresh)
            .min()
    }

    fn start_due_fetches(&mut self, now: DateTime<Utc>) {
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

    fn on_fetch(&mut self, fetch: Fetch, now: DateTime<Utc>) {
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
    fn reexpand_if_old(&mut self, now: DateTime<Utc>) {
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

    /// One scheduler run: sends what is due, records it, returns the next
    /// wake-up.
    async fn tick(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        let (plan, work) = {
            let candidates: Vec<Candidate<'_>> = self
                .feeds
                .values()
                .flat_map(|f| f.occurrences.iter())
                .map(|(o, with_people)| Candidate {
                    occurrence: o,
                    with_people: *with_people,
                })
                .collect();
            let plan = schedule::plan(&schedule::Input {
                candidates: &candidates,
                config: &self.config.notify,
                handled: &self.state.sent,
                snoozes: &self.state.snoozes,
                now,
                prev_now: self.state.last_run,
            });
            let work: Vec<(Decision, Occurrence)> = plan
                .decisions
                .iter()
                .map(|d| {
                    let index = match d {
                        Decision::Send(s) => s.candidate,
                        Decision::Skip { candidate, .. } => *candidate,
                    };
                    (d.clone(), candidates[index].occurrence.clone())
                })
                .collect();
            self.state.upcoming = plan
                .upcoming
                .iter()
                .take(UPCOMING_IN_STATE)
                .map(|u| Due {
                    due: u.due,
                    kind: u.key.kind,
                    calendar: u.key.calendar.clone(),
                    summary: candidates[u.candidate].occurrence.summary.clone(),
                    start: u.key.start,
                })
                .collect();
            (plan, work)
        };
        match plan.clock {
            schedule::Clock::JumpedForward(d) => tracing::info!(
                "the clock moved {} ahead since the last look (suspend or clock change)",
                schedule::human_duration(d)
            ),
            schedule::Clock::JumpedBack(d) => {
                tracing::info!("the clock was set back by {}", schedule::human_duration(d))
            }
            _ => {}
        }
        let caps = if work.iter().any(|(d, _)| matches!(d, Decision::Send(_))) {
            // Unknown (no server): compose as if it had actions; the send fails anyway.
            self.notifier.capabilities().await.unwrap_or(Capabilities {
                actions: true,
                body: true,
                body_markup: false,
                raw: Vec::new(),
            })
        } else {
            Capabilities::default()
        };
        for (decision, occ) in work {
            match decision {
                Decision::Skip { key, reason, .. } => {
                    tracing::info!("not sending {}: {reason}", describe(&occ, key.kind));
                    self.state.record(key, now, Outcome::Skipped);
                    self.state_dirty = true;
                }
                Decision::Send(send) => {
                    let notification = self.compose(&occ, &send, &caps, now);
                    let Some(mut notification) = notification else {
                        // Nothing to ask about (a debrief without people).
                        self.state.record(send.key, now, Outcome::Skipped);
                        self.state_dirty = true;
                        continue;
                    };
                    let slot = slot_of(&occ);
                    notification.replaces_id = self.current.get(&slot).copied().unwrap_or(0);
                    // Write-ahead: on disk as "maybe sent" before the call, so
                    // a kill during or after it never shows it again (a kill
                    // before the call loses it: at most one per kill).
                    self.state.record(send.key.clone(), now, Outcome::MaybeSent);
                    self.save_now(now);
                    match self.notifier.show(&notification).await {
                        Ok(id) => {
                            if self.server_down {
                                tracing::info!("the notification server is back");
                                self.server_down = false;
                            }
                            tracing::info!("sent {}", describe(&occ, send.kind));
                            if notification.replaces_id != 0 && notification.replaces_id != id {
                                self.raised.remove(&notification.replaces_id);
                            }
                            self.raised.insert(
                                id,
                                Raised {
                                    slot: slot.clone(),
                                    kind: send.kind,
                                },
                            );
                            self.current.insert(slot, id);
                            if send.kind == Kind::Snooze {
                                self.state.snoozes.retain(|s| {
                                    !(s.calendar == occ.calendar
                                        && s.uid == occ.uid
                                        && s.start == occ.start_utc())
                                });
                            }
                            self.state.record(send.key, now, Outcome::Sent);
                            self.state_dirty = true;
                        }
                        Err(e) if e.maybe_shown() => {
                            // Kept as maybe sent: never again.
                            tracing::warn!("{}: {e}", describe(&occ, send.kind));
                        }
                        Err(e) => {
                            // Certainly not shown: tried again while useful.
                            self.state.forget(&send.key);
                            self.state_dirty = true;
                            self.notify_failed(&e, &describe(&occ, send.kind));
                        }
                    }
                }
            }
        }
        if self.state.last_run != Some(now) {
            self.state.last_run = Some(now);
        }
        self.save(now, false);
        plan.next_wake
    }

    fn notify_failed(&mut self, e: &NotifyError, what: &str) {
        // Logged once per outage; the scheduler retries while it is useful.
        if !self.server_down || !matches!(e, NotifyError::NoServer | NotifyError::NoBus(_)) {
            tracing::warn!("could not send {what}: {e}");
        }
        if matches!(e, NotifyError::NoServer | NotifyError::NoBus(_)) {
            self.server_down = true;
        }
    }

    /// Saves the state at once (fsync'd): the write-ahead record of a send.
    /// When it cannot be saved the notification still goes out (a missed
    /// meeting is worse than a repeat after a crash on a failing disk).
    fn save_now(&mut self, now: DateTime<Utc>) {
        self.state_dirty = true;
        self.save(now, true);
    }

    fn save(&mut self, now: DateTime<Utc>, force: bool) {
        let due = self
            .saved_at
            .is_none_or(|at| now - at >= SAVE_EVERY || at > now);
        if !(force || self.state_dirty || due) {
            return;
        }
        self.state.last_run = self.state.last_run.or(Some(now));
        self.state.prune(now);
        match self.state.save(&self.paths.state_dir) {
            Ok(()) => {
                self.state_dirty = false;
                self.saved_at = Some(now);
            }
            Err(e) => tracing::error!("cannot save the state: {e}"),
        }
    }

    /// The notification for a decision, or None when there is nothing to say.
    fn compose(
        &mut self,
        occ: &Occurrence,
        send: &schedule::Send,
        caps: &Capabilities,
        now: DateTime<Utc>,
    ) -> Option<Notification> {
        let local_now = Now::new(now, self.expand.floating.clone());
        let settings = BriefSettings::from_config(&self.config);
        let attendance = attendance(occ, &self.people, &self.matcher);
        let rotation: brief::Rotation = self.state.rotation();
        let (composed, new_rotation) =
            brief::compose(occ, &attendance, &settings, &rotation, &local_now);
        match send.kind {
            Kind::Prep | Kind::Snooze => {
                let text = brief::notification(&composed, &settings, &local_now);
                if send.kind == Kind::Prep {
                    // A snooze shows the same points again; only a new prep rotates.
                    self.state.set_rotation(&new_rotation);
                }
                let mut actions = vec![
                    Action::new("default", "Open brief"),
                    Action::new("snooze", "Snooze"),
                ];
                if occ.conference_url.as_deref().is_some_and(is_http_url) {
                    actions.push(Action::new("join", "Join"));
                }
                let mut body = text.body;
                if !caps.actions {
                    let title = shell_quote(&occ.summary);
                    body.push_str(&format!("\nBrief: rapport brief {title}"));
                    if occ.conference_url.as_deref().is_some_and(is_http_url) {
                        body.push_str(&format!(" · Join: rapport join {title}"));
                    }
                }
                Some(Notification {
                    summary: text.summary,
                    body,
                    replaces_id: 0,
                    actions,
                    urgency: Default::default(),
                    expiry: Expiry::Never,
                })
            }
            Kind::Debrief => {
                let text = brief::debrief(&composed)?;
                let mut body = text.body;
                if !caps.actions {
                    // The commands behind "Add note" and "Nothing new".
                    match composed.people.first() {
                        Some(p) => body.push_str(&format!(
                            "\nAdd a note: rapport note {} '…' (or rapport edit {}) · Nothing new: rapport met {}",
                            shell_quote(&p.name),
                            shell_quote(&p.name),
                            shell_quote(&occ.summary)
                        )),
                        None => body.push_str("\nAdd them: rapport person add 'Full Name'"),
                    }
                }
                Some(Notification {
                    summary: text.summary,
                    body,
                    replaces_id: 0,
                    actions: vec![
                        Action::new("note", "Add note"),
                        Action::new("nothing-new", "Nothing new"),
                    ],
                    urgency: Default::default(),
                    expiry: Expiry::Never,
                })
            }
        }
    }

    fn occurrence(&self, slot: &Slot) -> Option<&Occurrence> {
        self.feeds
            .get(&slot.0)?
            .occurrences
            .iter()
            .map(|(o, _)| o)
            .find(|o| o.uid == slot.1 && o.start_utc() == slot.2)
    }

    async fn on_event(&mut self, event: Event, now: DateTime<Utc>) {
        match event {
            Event::ServerChanged { running } => {
                // A new server knows none of the old ids; the loop runs the
                // scheduler right after this, which retries what failed.
                self.raised.clear();
                self.current.clear();
                if running {
                    tracing::info!("a notification server started");
                } else {
                    tracing::info!("the notification server stopped");
                }
            }
            Event::Closed { id, .. } => {
                if let Some(r) = self.raised.remove(&id) {
                    if self.current.get(&r.slot) == Some(&id) {
                        self.current.remove(&r.slot);
                    }
                }
            }
            Event::ActionInvoked { id, action } => {
                let Some(raised) = self.raised.get(&id).cloned() else {
                    return;
                };
                let Some(occ) = self.occurrence(&raised.slot).cloned() else {
                    tracing::info!("action {action}: the meeting is no longer in the calendar");
                    return;
                };
                if let Err(e) = self.act(&action, &occ, raised.kind, now) {
                    tracing::warn!("action {action} for {}: {e:#}", occ.summary);
                }
            }
        }
    }

    fn act(
        &mut self,
        action: &str,
        occ: &Occurrence,
        kind: Kind,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        match (action, kind) {
            ("default", Kind::Prep | Kind::Snooze) => {
                let path = self.write_brief(occ, now)?;
                self.opener.open(&path.to_string_lossy())?;
            }
            ("snooze", _) => self.snooze(occ, now, now + SNOOZE_FOR),
            ("join", _) => match occ.conference_url.as_deref().filter(|u| is_http_url(u)) {
                Some(url) => self.opener.open(url)?,
                None => anyhow::bail!("the meeting has no http(s) conference link"),
            },
            ("note", _) | ("default", Kind::Debrief) => {
                let path = self.note_to_open(occ)?;
                self.opener.open(&path.to_string_lossy())?;
            }
            ("nothing-new", _) => {
                let today = now.with_timezone(&Local).date_naive();
                let writer =
                    crate::people::writer::NoteWriter::new(&self.paths.state_dir, "nothing-new");
                for path in
                    crate::people::edit::log_met(&writer, &self.people, &self.matcher, occ, today)?
                {
                    tracing::info!(
                        "{}: logged \"Met at {}\"",
                        path.display(),
                        one_line(&occ.summary)
                    );
                }
            }
            (other, _) => tracing::debug!("unknown action {other}"),
        }
        Ok(())
    }

    /// Shows the prep of `occ` again at `until` (capped at its start): the
    /// Snooze button and `rapport snooze` requests.
    fn snooze(&mut self, occ: &Occurrence, now: DateTime<Utc>, until: DateTime<Utc>) {
        match Snooze::new(occ, now, (until - now).max(Duration::zero())) {
            Some(s) => {
                tracing::info!(
                    "snoozed {} until {}",
                    occ.summary,
                    s.until.with_timezone(&Local).format("%H:%M")
                );
                self.state.snoozes.retain(|x| {
                    !(x.calendar == s.calendar && x.uid == s.uid && x.start == s.start)
                });
                self.state.snoozes.push(s);
                self.state_dirty = true;
                self.save(now, true);
            }
            None => tracing::info!("{} has started: not snoozed", occ.summary),
        }
    }

    /// Applies the requests `rapport snooze` queued (see [`crate::actions`]).
    fn take_requests(&mut self, now: DateTime<Utc>) {
        // Right after a start the calendars are still being read: a request
        // queued while the daemon was down waits for them (the finished
        // fetch wakes the loop, which comes back here).
        if self.feeds.values().any(|f| f.in_flight && !f.read_once) {
            return;
        }
        for request in crate::actions::take_requests(&self.paths.state_dir) {
            match request {
                Ok(r) => {
                    let slot = (r.calendar.clone(), r.uid.clone(), r.start);
                    match self.occurrence(&slot).cloned() {
                        Some(occ) => self.snooze(&occ, now, r.until()),
                        None => tracing::info!(
                            "snooze request for {} ({}): the meeting is no longer in the calendar",
                            r.uid,
                            r.calendar
                        ),
                    }
                }
                Err(e) => tracing::warn!("{e}"),
            }
        }
    }

    /// Writes the full brief as Markdown under the runtime dir (private).
    fn write_brief(&self, occ: &Occurrence, now: DateTime<Utc>) -> anyhow::Result<PathBuf> {
        let local_now = Now::new(now, self.expand.floating.clone());
        let settings = BriefSettings::from_config(&self.config);
        let attendance = attendance(occ, &self.people, &self.matcher);
        let rotation: brief::Rotation = self.state.rotation();
        let (composed, _) = brief::compose(occ, &attendance, &settings, &rotation, &local_now);
        let text = brief::markdown(&composed, &local_now);
        let dir = &self.paths.runtime_dir;
        crate::util::fs::create_private_dir(dir)?;
        let name = format!(
            "brief-{}-{}.md",
            file_safe(&occ.summary),
            occ.start_utc().format("%Y%m%dT%H%M")
        );
        let path = dir.join(name);
        crate::util::fs::atomic_write(&path, text.as_bytes())?;
        Ok(path)
    }

    /// The note of the first matched person, or a new note for the first
    /// unknown attendee.
    fn note_to_open(&self, occ: &Occurrence) -> anyhow::Result<PathBuf> {
        let matched = self
            .matcher
            .match_attendees(&occ.attendees_with_organizer());
        if let Some(i) = matched.iter().find_map(|m| match m.matched {
            Match::Person(i) => Some(i),
            _ => None,
        }) {
            return Ok(self.people.file_of(&self.people.people[i]));
        }
        let unknown = matched
            .iter()
            .find(|m| m.matched == Match::Unknown)
            .ok_or_else(|| anyhow::anyhow!("nobody in the meeting to write about"))?;
        let a = &unknown.attendee;
        let name = a
            .name
            .clone()
            .or_else(|| {
                a.email
                    .as_ref()
                    .map(|e| e.split('@').next().unwrap_or(e).to_string())
            })
            .unwrap_or_else(|| "New person".into());
        let new = people::store::NewPerson {
            name,
            emails: a.email.iter().cloned().collect(),
            org: None,
            role: None,
        };
        people::store::add_person(&self.people, &new).map_err(|e| anyhow::anyhow!("{e}"))
    }

    async fn reload_config(&mut self, now: DateTime<Utc>) {
        match config::load(&self.paths) {
            Ok(config) => {
                if config == self.config {
                    return;
                }
                tracing::info!("{}: reloaded", self.paths.config_file.display());
                self.config_error_shown = None;
                let me_changed = self.expand.me_emails != config.me.emails;
                self.expand.me_emails = config.me.emails.clone();
                self.config = config;
                self.set_feeds(now);
                if me_changed {
                    // My PARTSTAT is read at expansion: every window again.
                    self.generation += 1;
                    for feed in self.feeds.values_mut() {
                        feed.expanded_at = None;
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                tracing::error!("{message}; keeping the previous configuration");
                if self.config_error_shown.as_deref() == Some(message.as_str()) {
                    return;
                }
                self.config_error_shown = Some(message.clone());
                let n = Notification {
                    summary: "rapport: the config file has an error".into(),
                    body: format!(
                        "{message}\nThe previous settings stay in use until it is fixed."
                    ),
                    expiry: Expiry::Default,
                    ..Default::default()
                };
                if let Err(e) = self.notifier.show(&n).await {
                    self.notify_failed(&e, "the config error");
                }
            }
        }
    }

    fn reload_people(&mut self) {
        self.people = load_people(&self.config);
        self.matcher = Matcher::new(&self.people, &self.config.me);
        tracing::info!("people notes reloaded: {} people", self.people.people.len());
        for feed in self.feeds.values_mut() {
            for (occ, with_people) in &mut feed.occurrences {
                *with_people = !attendance(occ, &self.people, &self.matcher).is_empty();
            }
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
fn keep_big_buffers_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation policy for later calls.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

/// Gives freed heap memory back to the system. glibc keeps what a feed body
/// and its parse occupied (tens of MB for a big feed) in its arenas, where
/// it counts as the daemon's memory until reused.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's own heaps to
    // the kernel; it touches no memory of ours.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Which watched files changed.
#[derive(Debug, Default, Clone, Copy)]
struct Changed {
    config: bool,
    people: bool,
    /// A `rapport snooze` request arrived.
    requests: bool,
}

impl Changed {
    fn merge(&mut self, other: Changed) {
        self.config |= other.config;
        self.people |= other.people;
        self.requests |= other.requests;
    }
}

/// Watches the config file's folder and the people folder.
struct Watcher {
    tx: mpsc::UnboundedSender<Changed>,
    inner: Option<notify::RecommendedWatcher>,
    watching: Option<(PathBuf, PathBuf)>,
    /// Request files from `rapport snooze`; watched so they apply at once
    /// (the once-a-minute wake takes them otherwise).
    requests_dir: PathBuf,
}

impl Watcher {
    fn new(tx: mpsc::UnboundedSender<Changed>, requests_dir: PathBuf) -> Watcher {
        Watcher {
            tx,
            inner: None,
            watching: None,
            requests_dir,
        }
    }

    /// (Re)starts watching when the paths changed. Failures are logged: the
    /// daemon works without live reload.
    fn watch(&mut self, config_file: &Path, people_dir: &Path) {
        let wanted = (config_file.to_path_buf(), people_dir.to_path_buf());
        if self.watching.as_ref() == Some(&wanted) {
            return;
        }
        use notify::Watcher as _;
        let tx = self.tx.clone();
        // The file as named and, when it is a symlink (dotfiles), its target:
        // editing the target changes nothing in the link's folder.
        let absolute =
            std::path::absolute(config_file).unwrap_or_else(|_| config_file.to_path_buf());
        let mut config_paths = vec![absolute.clone()];
        if let Ok(real) = std::fs::canonicalize(&absolute) {
            if real != absolute {
                config_paths.push(real);
            }
        }
        let people_path = people_dir.to_path_buf();
        let requests_path = self.requests_dir.clone();
        let matched_config = config_paths.clone();
        let handler = move |res: notify::Result<notify::Event>| {
            let Ok(event) = res else { return };
            if matches!(event.kind, notify::EventKind::Access(_)) {
                return;
            }
            let mut changed = Changed::default();
            for p in &event.paths {
                if matched_config.contains(p) {
                    changed.config = true;
                } else if p.starts_with(&people_path) {
                    changed.people = true;
                } else if p.starts_with(&requests_path) {
                    changed.requests = true;
                }
            }
            if changed.config || changed.people || changed.requests {
                let _ = tx.send(changed);
            }
        };
        let mut watcher = match notify::recommended_watcher(handler) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("cannot watch files for changes ({e}); edits need a restart");
                return;
            }
        };
        for path in &config_paths {
            if let Some(dir) = path.parent().filter(|d| d.is_dir()) {
                if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
                    tracing::warn!("cannot watch {}: {e}", dir.display());
                }
            }
        }
        if people_dir.is_dir() {
            if let Err(e) = watcher.watch(people_dir, notify::RecursiveMode::Recursive) {
                tracing::warn!("cannot watch {}: {e}", people_dir.display());
            }
        } else {
            tracing::info!(
                "{} does not exist; create it and restart to have notes picked up live",
                people_dir.display()
            );
        }
        // The state folder too, when this is the first run (0700: it holds
        // what was sent about which meetings).
        if crate::util::fs::create_private_dir(&self.requests_dir).is_ok() {
            if let Err(e) = watcher.watch(&self.requests_dir, notify::RecursiveMode::NonRecursive) {
                tracing::warn!("cannot watch {}: {e}", self.requests_dir.display());
            }
        }
        self.inner = Some(watcher);
        self.watching = Some(wanted);
    }
}

/// The people in a meeting as the brief sees them (me and rooms left out).
fn attendance(occ: &Occurrence, people: &People, matcher: &Matcher) -> Vec<Attendance> {
    let mut out = brief::attendance(
        &matcher.match_attendees(&occ.attendees_with_organizer()),
        people,
    );
    // Someone listed twice (as organizer and attendee under two addresses)
    // is briefed once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|a| match a {
        Attendance::Known(p) => seen.insert(p.key.clone()),
        _ => true,
    });
    out
}

fn describe(occ: &Occurrence, kind: Kind) -> String {
    format!(
        "{kind} for \"{}\" at {} ({})",
        one_line(&occ.summary),
        occ.start.with_timezone(&Local).format("%a %d %b %H:%M"),
        occ.calendar
    )
}

/// Quotes for a POSIX shell, for the "run this command" hints.
fn shell_quote(text: &str) -> String {
    format!("'{}'", one_line(text).replace('\'', "'\\''"))
}

/// A file-name-safe version of a meeting title.
fn file_safe(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "meeting".into()
    } else {
        s
    }
}

// ---------------------------------------------------------------------------
// `rapport status`

/// Prints each feed's last refresh and error and the next notifications,
/// from the state file.
pub fn status(
    paths: &Paths,
    now: DateTime<Utc>,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<bool> {
    let path = State::path(&paths.state_dir);
    if !path.exists() {
        writeln!(
            out,
            "No daemon state yet ({}): start it with `rapport run` (or enable the service).",
            path.display()
        )?;
        return Ok(false);
    }
    let state = State::load_read_only(&paths.state_dir)?;
    let local = |t: DateTime<Utc>| t.with_timezone(&Local).format("%a %d %b %H:%M").to_string();
    let ago = |t: DateTime<Utc>| {
        let d = now - t;
        if d < Duration::zero() {
            format!("in {}", schedule::human_duration(-d))
        } else {
            format!("{} ago", schedule::human_duration(d))
        }
    };
    match state.last_run {
        Some(t) => writeln!(out, "Daemon last ran: {} ({})", local(t), ago(t))?,
        None => writeln!(out, "Daemon last ran: never")?,
    }
    writeln!(out, "\nCalendars:")?;
    let mut healthy = true;
    if state.feeds.is_empty() {
        writeln!(out, "  (none refreshed yet)")?;
    }
    for (name, f) in &state.feeds {
        let refreshed = f
            .last_refresh
            .map(|t| format!("refreshed {} ({})", local(t), ago(t)))
            .unwrap_or_else(|| "never refreshed".into());
        writeln!(out, "  {}: {refreshed}", text::line(name, text::NAME_CHARS))?;
        if let Some(err) = &f.last_error {
            healthy = false;
            let at = f
                .last_attempt
                .map(|t| format!(" at {}", local(t)))
                .unwrap_or_default();
            writeln!(out, "    error{at}: {}", text::line(err, text::TITLE_CHARS))?;
            let failed = match f.failures {
                0 | 1 => String::new(),
                n => format!("failed {n} times in a row; "),
            };
            match f.next_attempt {
                Some(next) => writeln!(
                    out,
                    "    {failed}next attempt {} ({})",
                    local(next),
                    ago(next)
                )?,
                None if !failed.is_empty() => {
                    writeln!(out, "    {}", failed.trim_end_matches("; "))?
                }
                None => {}
            }
        }
    }
    writeln!(out, "\nNext notifications:")?;
    let upcoming: Vec<&Due> = state
        .upcoming
        .iter()
        .filter(|d| d.due >= now - Duration::minutes(1))
        .collect();
    if upcoming.is_empty() {
        writeln!(out, "  (none in the next days)")?;
    }
    for d in upcoming.iter().take(10) {
        writeln!(
            out,
            "  {}  {:<7}  {} (starts {}, {})",
            local(d.due),
            d.kind.to_string(),
            // The title was copied from the feed: plain and shortened.
            text::line(&one_line(&d.summary), text::TITLE_CHARS),
            d.start.with_timezone(&Local).format("%H:%M"),
            text::line(&d.calendar, text::NAME_CHARS)
        )?;
    }
    Ok(healthy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Outcome;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 4, h, m, 0).unwrap()
    }

    #[test]
    fn status_shows_feeds_errors_and_next_notifications() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let mut out = Vec::new();
        assert!(!status(&paths, t(9, 0), &mut out).unwrap());
        assert!(String::from_utf8_lossy(&out).contains("rapport run"));

        let mut state = State {
            last_run: Some(t(9, 0)),
            ..State::default()
        };
        state.record_feed_success("work", t(8, 45));
        state.record_next_attempt("work", t(9, 0), 0);
        state.record_feed_error("home", t(8, 50), "http://example.org/h.ics: HTTP 503");
        state.record_next_attempt("home", t(9, 10), 3);
        state.upcoming.push(Due {
            due: t(9, 50),
            kind: Kind::Prep,
            calendar: "work".into(),
            summary: "Marketing\nsync".into(),
            start: t(10, 0),
        });
        state.record(
            schedule::SentKey {
                calendar: "work".into(),
                uid: "x".into(),
                start: t(8, 0),
                kind: Kind::Prep,
                lead_s: 600,
            },
            t(7, 50),
            Outcome::Sent,
        );
        state.save(&paths.state_dir).unwrap();
        let mut out = Vec::new();
        let healthy = status(&paths, t(9, 1), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!healthy, "a feed has an error");
        assert!(text.contains("(1 min ago)"), "{text}");
        assert!(text.contains("work: refreshed"), "{text}");
        assert!(text.contains("home: never refreshed"), "{text}");
        assert!(text.contains("HTTP 503"), "{text}");
        let next = format!(
            "failed 3 times in a row; next attempt {} (in 9 min)",
            t(9, 10).with_timezone(&Local).format("%a %d %b %H:%M")
        );
        assert!(text.contains(&next), "{text}");
        // A healthy feed's next refresh is not news.
        assert_eq!(text.matches("next attempt").count(), 1, "{text}");
        assert!(
            text.contains("prep") && text.contains("Marketing sync"),
            "{text}"
        );
    }

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

    #[test]
    fn status_does_not_touch_a_corrupt_state_file() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        std::fs::create_dir_all(&paths.state_dir).unwrap();
        std::fs::write(State::path(&paths.state_dir), "{trunc").unwrap();
        let err = status(&paths, t(9, 0), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("state.json"), "{err}");
        assert_eq!(
            std::fs::read_to_string(State::path(&paths.state_dir)).unwrap(),
            "{trunc"
        );
    }

    #[test]
    fn helpers_quote_and_name_safely() {
        assert_eq!(shell_quote("It's\nlate"), "'It'\\''s late'");
        assert_eq!(file_safe("Q&A / review: 2027"), "Q-A---review--2027");
        assert_eq!(file_safe("///"), "meeting");
        assert!(is_http_url("HTTPS://meet.example.org/x"));
        assert!(!is_http_url("javascript:alert(1)"));
        assert!(!is_http_url("file:///etc/passwd"));
    }
}
