//! `rapport run`: the background daemon.
//!
//! One tokio loop (current-thread: the daemon is I/O-bound and idles almost
//! always) that:
//! - refreshes each feed on its interval, longer when the feed asks for it
//!   (REFRESH-INTERVAL / X-PUBLISHED-TTL); fetches run as tasks so a slow
//!   server never delays a notification; a failed fetch keeps the cached copy;
//! - keeps the occurrences of the next days in memory, not the parsed feed:
//!   when the window moves (hourly) the cached copy is parsed again;
//! - asks the pure scheduler ([`schedule`]) what is due, sends it
//!   through the [`Notifier`], records it in the [`State`] and sleeps until the
//!   next deadline, at most a minute (timers stop during suspend, so the wall
//!   clock is compared at least once a minute);
//! - watches the config file's folder and the people folder (the folders, as
//!   editors replace files), debounced; an invalid config keeps the previous
//!   one, is logged with file and line, and raises one notification;
//! - handles the notification actions (open brief, snooze, join, add note,
//!   nothing new), SIGTERM/SIGINT, and tells systemd when it is ready.
//!
//! The files: `mod.rs` (the loop), `feeds.rs` (refresh and the window of
//! occurrences), `tick.rs` (one scheduler run: compose, send, record),
//! `actions.rs` (the buttons), `watch.rs` (live reload), `requests.rs` (the
//! queue `rapport snooze` writes), `open.rs` (xdg-open); the pure scheduler is [`schedule`], the state file
//! [`state`], the notification server [`notify`].

mod actions;
mod digest;
mod feeds;
mod history;
/// How far ahead the daemon keeps meetings (and so plans notifications).
pub use feeds::LOOK_AHEAD;

/// Whether a running daemon surely has the meeting starting at `start` in
/// memory: its window reaches [`LOOK_AHEAD`] from the time it was last
/// computed, at most an hour ago.
pub fn keeps_meeting_at(start: chrono::DateTime<Utc>, now: chrono::DateTime<Utc>) -> bool {
    start <= now + LOOK_AHEAD - feeds::REEXPAND_EVERY
}
pub mod notify;
pub mod open;
pub mod requests;
pub mod schedule;
pub mod state;
mod tick;
mod watch;

pub use open::{Opener, XdgOpen};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::mpsc;

use crate::brief::{self, Attendance};
use crate::calendar::model::Occurrence;
use crate::calendar::ExpandOptions;
use crate::config::{self, Config, Paths};
use crate::feed::{FeedFetcher, FetchLimits};
use crate::people::matching::Matcher;
use crate::people::{self, People};
use crate::util::text;
use feeds::{keep_big_buffers_out_of_the_heap, Feed, Fetch};
use notify::Notifier;
use schedule::Kind;
use state::State;
use watch::{Changed, Watcher};

/// How long "Snooze" postpones a prep notification (never past the start).
pub const SNOOZE_FOR: Duration = Duration::minutes(5);

/// File events closer together than this are one change (editors write a
/// file in several steps).
const DEBOUNCE: StdDuration = StdDuration::from_millis(300);

/// What `run` needs besides the file locations; tests pass their own.
pub struct Options<N: Notifier> {
    pub notifier: N,
    pub opener: Box<dyn Opener>,
    /// Becomes `true` to stop the daemon (tests); signals always stop it.
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
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
    /// Shared with the tasks that open what they wrote ("Open brief").
    opener: Arc<dyn Opener>,
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
    /// Where the digest task hands its result back.
    digest_tx: mpsc::UnboundedSender<Option<digest::DigestReady>>,
    /// A digest task is running.
    digest_in_flight: bool,
    /// The digest on screen: its id, day and the full text for "Open digest".
    digest_raised: Option<(u32, chrono::NaiveDate, String)>,
    /// Not before then after a failed send (no server).
    digest_retry_at: Option<DateTime<Utc>>,
}

/// The daemon's links to its tasks: the fetcher and where fetches and
/// digests hand their results back.
struct Channels {
    fetcher: Arc<FeedFetcher>,
    fetch_tx: mpsc::UnboundedSender<Fetch>,
    digest_tx: mpsc::UnboundedSender<Option<digest::DigestReady>>,
}

impl<N: Notifier> Daemon<N> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        paths: Paths,
        config: Config,
        people: People,
        state: State,
        zone: crate::calendar::tz::Zone,
        channels: Channels,
        notifier: N,
        opener: Box<dyn Opener>,
    ) -> Daemon<N> {
        let matcher = Matcher::new(&people, &config.me);
        let mut expand = ExpandOptions::new(zone);
        expand.me_emails = config.me.emails.clone();
        Daemon {
            paths,
            config,
            people,
            matcher,
            expand,
            feeds: BTreeMap::new(),
            fetcher: channels.fetcher,
            fetch_tx: channels.fetch_tx,
            state,
            state_dirty: true,
            saved_at: None,
            notifier,
            opener: Arc::from(opener),
            raised: HashMap::new(),
            current: HashMap::new(),
            server_down: false,
            config_error_shown: None,
            generation: 0,
            digest_tx: channels.digest_tx,
            digest_in_flight: false,
            digest_raised: None,
            digest_retry_at: None,
        }
    }
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
    // Held while this process lives: `rapport status` and `rapport snooze`
    // tell from it whether the daemon runs.
    let _running = crate::util::fs::hold_shared(&state::running_lock(&paths.state_dir))
        .map_err(|e| tracing::warn!("cannot take {}: {e}", paths.state_dir.display()))
        .ok();
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
    let (digest_tx, mut digest_rx) = mpsc::unbounded_channel();
    let mut events = options.notifier.subscribe();
    let people = load_people(&config);
    let mut daemon = Daemon::new(
        paths,
        config,
        people,
        loaded.state,
        crate::calendar::tz::local_zone(),
        Channels {
            fetcher: Arc::new(fetcher),
            fetch_tx,
            digest_tx,
        },
        options.notifier,
        options.opener,
    );
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
    let mut watcher = Watcher::new(fs_tx, requests::requests_dir(&daemon.paths.state_dir));
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
        if let Some(digest) = daemon.digest_tick(now) {
            wake = wake.min(digest);
        }
        let sleep_for = (wake - Utc::now()).to_std().unwrap_or(StdDuration::ZERO);
        let mut deadline = tokio::time::Instant::now() + sleep_for;
        if let Some(r) = reload_at {
            deadline = deadline.min(r);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            Some(fetch) = fetch_rx.recv() => daemon.on_fetch(fetch, Utc::now()),
            Some(ready) = digest_rx.recv() => {
                tokio::select! {
                    biased;
                    why = signals.recv() => { tracing::info!("{why}: stopping"); break; }
                    () = daemon.on_digest(ready, Utc::now()) => {}
                }
            }
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
            notifier: notify::DbusNotifier::session(),
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
    for e in people.errors.iter().cloned().chain(people.warnings()) {
        tracing::warn!("{e}");
    }
    people
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

/// A home in `dir` for the daemon's unit tests: `ana.md` with `note` in the
/// people folder, one calendar file `work.ics` with `events` (VEVENTs), and
/// a config with `rest` after the people folder and the calendar.
#[cfg(test)]
pub(crate) fn test_home(
    dir: &std::path::Path,
    note: &str,
    events: &str,
    rest: &str,
) -> (Paths, Config) {
    let paths = Paths::under(dir);
    let people_dir = dir.join("people");
    std::fs::create_dir_all(&people_dir).unwrap();
    std::fs::write(people_dir.join("ana.md"), note).unwrap();
    let calendar = dir.join("work.ics");
    std::fs::write(
        &calendar,
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n"
        ),
    )
    .unwrap();
    let text = format!(
        "[people]\ndir = {:?}\n\n[[calendar]]\nname = \"work\"\npath = {:?}\n\n{rest}",
        people_dir.display().to_string(),
        calendar.display().to_string()
    );
    let config = crate::config::from_str_in(&text, &paths.config_file, &paths).unwrap();
    (paths, config)
}
