//! The daemon's memory between runs: `state.json` in the state dir
//! (`config::Paths::state_dir`).
//!
//! It holds which notifications were handled (so a restart sends nothing
//! twice; a send is recorded as "maybe sent" before the call, see
//! [`Outcome::MaybeSent`]), when the scheduler last ran (to tell a restart or suspend from a
//! first run), the snoozes, which talking points each person was last shown
//! (rotation), each feed's last refresh and error, and the next due
//! notifications (for `rapport status`).
//!
//! Robustness: written with `util::fs::atomic_write`, so a crash leaves the old
//! or the new file. A file that cannot be read as state (empty, truncated,
//! not JSON) is moved aside as `state.json.corrupt-<timestamp>` and the
//! daemon starts clean; a clean state has no `last_run`, which the scheduler
//! treats as "nothing due before now is sent". A file from a newer rapport is
//! refused and left untouched.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::schedule::{Kind, SentKey, Snooze};

/// The state format this build reads and writes.
pub const STATE_VERSION: u32 = 1;
/// The file name inside the state dir.
pub const STATE_FILE: &str = "state.json";
/// The largest state file read. A real one is a few kB (four days of sent
/// keys, twenty upcoming notifications); anything near this is not ours.
pub const MAX_STATE_BYTES: u64 = 16 * 1024 * 1024;
/// How long handled keys are remembered after their meeting started: longer
/// than the daemon ever looks back, so pruning never lets a notification
/// come again.
pub const KEEP_SENT: Duration = Duration::days(4);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Sent,
    Skipped,
    /// Written (durably) right before the call to the notification server,
    /// and left so when the call got no answer or the daemon died during it:
    /// it may be on screen, so it is never sent again.
    #[serde(rename = "maybe-sent")]
    MaybeSent,
}

/// One handled notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handled {
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FeedStatus {
    /// The last attempt, successful or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<DateTime<Utc>>,
    /// The last successful refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<DateTime<Utc>>,
    /// The error of the last attempt; None when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the daemon reads it next (after an error: the back-off).
    /// Absent in state files of earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<DateTime<Utc>>,
    /// Failed attempts in a row; 0 after a success.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failures: u32,
    /// Problems in the feed's last parsed copy that did not stop it
    /// (`rapport check` lists them).
    #[serde(default, skip_serializing_if = "is_zero_usize")]
    pub warnings: usize,
}

fn is_zero_usize(n: &usize) -> bool {
    *n == 0
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A notification still to come, as shown by `rapport status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub due: DateTime<Utc>,
    pub kind: Kind,
    pub calendar: String,
    pub summary: String,
    pub start: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// When the scheduler last ran; None for a clean state.
    #[serde(default)]
    pub last_run: Option<DateTime<Utc>>,
    /// Handled notifications (stored as a list: JSON keys must be strings).
    #[serde(default, with = "sent_list")]
    pub sent: BTreeMap<SentKey, Handled>,
    #[serde(default)]
    pub snoozes: Vec<Snooze>,
    /// Talking-point rotation memory, kept as the brief composer's JSON
    /// (`brief::Rotation`) so the state does not depend on its shape.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub rotation: serde_json::Value,
    #[serde(default)]
    pub feeds: BTreeMap<String, FeedStatus>,
    #[serde(default)]
    pub upcoming: Vec<Due>,
    /// The morning digest: the last day handled, and a snooze.
    #[serde(default, skip_serializing_if = "DigestState::is_empty")]
    pub digest: DigestState,
}

/// The digest's memory: `day` is written before the notification is sent
/// (write-ahead, like the other notifications), so a digest is never shown
/// twice for a day, also across a restart or a kill.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DigestState {
    /// The last day whose digest was sent, maybe sent, or had nothing to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<chrono::NaiveDate>,
    /// The digest day recorded before `day`: a digest shown again the same
    /// day (a snooze) shows the questions that came since that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<chrono::NaiveDate>,
    /// "Snooze" on the digest: shown again then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<DateTime<Utc>>,
}

impl DigestState {
    fn is_empty(&self) -> bool {
        self.day.is_none() && self.previous.is_none() && self.snoozed_until.is_none()
    }

    /// Records `day` as handled (before its notification goes out).
    pub fn record(&mut self, day: chrono::NaiveDate) {
        if self.day != Some(day) {
            self.previous = self.day;
            self.day = Some(day);
        }
    }

    /// The digests handled so far: which questions are new to the next one.
    pub fn sent(&self) -> crate::brief::digest::DigestsSent {
        crate::brief::digest::DigestsSent {
            last: self.day,
            before_last: self.previous,
        }
    }
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            last_run: None,
            sent: BTreeMap::new(),
            snoozes: Vec::new(),
            rotation: serde_json::Value::Null,
            feeds: BTreeMap::new(),
            upcoming: Vec::new(),
            digest: DigestState::default(),
        }
    }
}

mod sent_list {
    use super::*;
    use serde::{Deserializer, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Entry {
        #[serde(flatten)]
        key: SentKey,
        #[serde(flatten)]
        handled: Handled,
    }

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<SentKey, Handled>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|(k, h)| Entry {
            key: k.clone(),
            handled: h.clone(),
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<SentKey, Handled>, D::Error> {
        let entries = Vec::<Entry>::deserialize(d)?;
        Ok(entries.into_iter().map(|e| (e.key, e.handled)).collect())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "{path}: written by a newer rapport (state version {found}, this one reads {STATE_VERSION}); upgrade rapport, or move the file away to start clean"
    )]
    FutureVersion { path: PathBuf, found: u64 },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The outcome of [`State::load`].
#[derive(Debug)]
pub struct Loaded {
    pub state: State,
    /// Where an unreadable state file was moved to, when it was.
    pub moved_aside: Option<PathBuf>,
    /// Why it was unreadable.
    pub problem: Option<String>,
}

impl State {
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(STATE_FILE)
    }

    /// Reads the state from `state_dir`. A missing file is a clean state; an
    /// unreadable one is moved aside (named with `now`) and also gives a
    /// clean state. Only I/O failures and a newer format are errors.
    pub fn load(state_dir: &Path, now: DateTime<Utc>) -> Result<Loaded, StateError> {
        let path = State::path(state_dir);
        let io_err = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        let problem = match read_file(&path).map_err(io_err)? {
            Contents::Missing => {
                return Ok(Loaded {
                    state: State::default(),
                    moved_aside: None,
                    problem: None,
                })
            }
            Contents::Unfit(why) => why,
            Contents::Bytes(bytes) => match parse(&bytes) {
                Ok(state) => {
                    return Ok(Loaded {
                        state,
                        moved_aside: None,
                        problem: None,
                    })
                }
                Err(Parse::Future(found)) => return Err(StateError::FutureVersion { path, found }),
                Err(Parse::Corrupt(why)) => why,
            },
        };
        // A rename moves a folder, a FIFO or a symlink itself, never what
        // it points to.

        let aside = state_dir.join(format!(
            "{STATE_FILE}.corrupt-{}",
            now.format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::rename(&path, &aside).map_err(io_err)?;
        Ok(Loaded {
            state: State::default(),
            moved_aside: Some(aside),
            problem: Some(problem),
        })
    }

    /// Reads the state without repairing anything (for `rapport status`: the
    /// daemon owns the file). A missing file is a clean state.
    pub fn load_read_only(state_dir: &Path) -> anyhow::Result<State> {
        let path = State::path(state_dir);
        let bytes = match read_file(&path) {
            Ok(Contents::Bytes(b)) => b,
            Ok(Contents::Missing) => return Ok(State::default()),
            Ok(Contents::Unfit(why)) => anyhow::bail!(
                "{}: unreadable ({why}); the daemon moves it aside and starts clean when it next starts",
                path.display()
            ),
            Err(e) => anyhow::bail!("{}: {e}", path.display()),
        };
        match parse(&bytes) {
            Ok(state) => Ok(state),
            Err(Parse::Future(found)) => Err(StateError::FutureVersion { path, found }.into()),
            Err(Parse::Corrupt(why)) => anyhow::bail!(
                "{}: unreadable ({why}); the daemon moves it aside and starts clean when it next starts",
                path.display()
            ),
        }
    }

    /// Writes the state atomically, creating the state dir (0700) if needed.
    pub fn save(&self, state_dir: &Path) -> Result<(), StateError> {
        let path = State::path(state_dir);
        let io_err = |source| StateError::Io {
            path: path.clone(),
            source,
        };
        if !state_dir.exists() {
            crate::util::fs::create_private_dir(state_dir).map_err(io_err)?;
        }
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| io_err(io::Error::other(e)))?;
        json.push(b'\n');
        crate::util::fs::atomic_write(&path, &json).map_err(io_err)
    }

    /// How many parse warnings the feed's last parsed copy had.
    pub fn record_feed_warnings(&mut self, feed: &str, warnings: usize) {
        self.feeds.entry(feed.to_string()).or_default().warnings = warnings;
    }

    pub fn record(&mut self, key: SentKey, at: DateTime<Utc>, outcome: Outcome) {
        self.sent.insert(key, Handled { at, outcome });
    }

    /// Forgets a key recorded as maybe sent whose call certainly failed (no
    /// server, or the server answered with an error), so it is tried again
    /// while it is useful.
    pub fn forget(&mut self, key: &SentKey) {
        self.sent.remove(key);
    }

    /// Forgets handled keys of meetings that started more than [`KEEP_SENT`]
    /// ago, and snoozes whose meeting has started.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let horizon = now - KEEP_SENT;
        self.sent
            .retain(|key, handled| key.start >= horizon || handled.at >= horizon);
        self.snoozes.retain(|s| s.start > now);
    }

    pub fn record_feed_success(&mut self, feed: &str, at: DateTime<Utc>) {
        let status = self.feeds.entry(feed.to_string()).or_default();
        status.last_attempt = Some(at);
        status.last_refresh = Some(at);
        status.last_error = None;
    }

    pub fn record_feed_error(&mut self, feed: &str, at: DateTime<Utc>, error: &str) {
        let status = self.feeds.entry(feed.to_string()).or_default();
        status.last_attempt = Some(at);
        status.last_error = Some(error.to_string());
    }

    /// When the daemon reads `feed` next, and how many attempts in a row
    /// have failed.
    pub fn record_next_attempt(&mut self, feed: &str, next: DateTime<Utc>, failures: u32) {
        let status = self.feeds.entry(feed.to_string()).or_default();
        status.next_attempt = Some(next);
        status.failures = failures;
    }

    /// The rotation memory as the composer's type (its default when there is
    /// none, or when it does not parse: rotation is a nicety, never a reason
    /// to fail).
    pub fn rotation<T: serde::de::DeserializeOwned + Default>(&self) -> T {
        if self.rotation.is_null() {
            return T::default();
        }
        serde_json::from_value(self.rotation.clone()).unwrap_or_default()
    }

    pub fn set_rotation<T: Serialize>(&mut self, rotation: &T) {
        self.rotation = serde_json::to_value(rotation).unwrap_or(serde_json::Value::Null);
    }
}

/// What is at the state file's path.
enum Contents {
    Missing,
    Bytes(Vec<u8>),
    /// Not a regular file of a sane size: why.
    Unfit(String),
}

/// Reads the state file when it is a regular file of at most
/// [`MAX_STATE_BYTES`]. Anything else is never read: a FIFO would block the
/// open (so it is opened non-blocking), a symlink to /dev/zero or a sparse
/// 100 GB file would fill the memory.
fn read_file(path: &Path) -> io::Result<Contents> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Contents::Missing),
        Err(e) => return Err(e),
    };
    // The opened file's own type and size, not the path's (which may change).
    let meta = file.metadata()?;
    let kind = meta.file_type();
    let what = if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a folder")
    } else if kind.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("something other than a file")
    };
    if let Some(what) = what {
        return Ok(Contents::Unfit(format!("it is {what}, not a file")));
    }
    let too_big = || {
        Contents::Unfit(format!(
            "{} bytes, larger than any state file ({} MB at most)",
            meta.len(),
            MAX_STATE_BYTES / (1024 * 1024)
        ))
    };
    if meta.len() > MAX_STATE_BYTES {
        return Ok(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_STATE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        return Ok(too_big());
    }
    Ok(Contents::Bytes(bytes))
}

enum Parse {
    Future(u64),
    Corrupt(String),
}

fn parse(bytes: &[u8]) -> Result<State, Parse> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Parse::Corrupt("the file is empty".into()));
    }
    // Look at the version before the shape: a newer format may have changed
    // any field, and must not be mistaken for a corrupt file and moved away.
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Parse::Corrupt(format!("not JSON: {e}")))?;
    let version = value
        .get("version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| Parse::Corrupt("no \"version\" field".into()))?;
    if version > u64::from(STATE_VERSION) {
        return Err(Parse::Future(version));
    }
    serde_json::from_value(value).map_err(|e| Parse::Corrupt(format!("unexpected content: {e}")))
}

/// The daemon writes its state at least every 10 minutes; a `last_run`
/// older than this means it is not running.
pub const ALIVE_WITHIN: Duration = Duration::minutes(11);

/// The file `rapport run` holds a shared lock on while it runs.
pub fn running_lock(state_dir: &Path) -> std::path::PathBuf {
    state_dir.join("daemon.lock")
}

/// Whether a `rapport run` with this state folder runs now: it holds
/// [`running_lock`] (released by the kernel when it exits, even by kill -9).
/// Without the lock file (no daemon of this version ran here yet) the
/// state's age decides ([`daemon_alive`]).
pub fn daemon_running(state_dir: &Path, state: Option<&State>, now: DateTime<Utc>) -> bool {
    let lock = running_lock(state_dir);
    if lock.exists() {
        crate::util::fs::is_held(&lock)
    } else {
        daemon_alive(state, now)
    }
}

/// The daemon counts as running when its state was written recently.
pub fn daemon_alive(state: Option<&State>, now: DateTime<Utc>) -> bool {
    state
        .and_then(|s| s.last_run)
        .is_some_and(|t| now - t <= ALIVE_WITHIN && t <= now + Duration::minutes(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 4, h, m, 0).unwrap()
    }

    fn key(uid: &str, start: DateTime<Utc>) -> SentKey {
        SentKey {
            calendar: "work".into(),
            uid: uid.into(),
            start,
            kind: Kind::Prep,
            lead_s: 600,
        }
    }

    fn full_state() -> State {
        let mut s = State {
            last_run: Some(t(9, 0)),
            ..State::default()
        };
        s.record(key("a", t(10, 0)), t(9, 50), Outcome::Sent);
        s.record(key("b", t(11, 0)), t(9, 50), Outcome::Skipped);
        s.snoozes.push(Snooze {
            calendar: "work".into(),
            uid: "a".into(),
            start: t(10, 0),
            until: t(9, 55),
        });
        s.record_feed_success("work", t(9, 0));
        s.record_next_attempt("work", t(9, 15), 0);
        s.record_feed_error("home", t(9, 1), "https://example.org/x.ics: HTTP 503");
        s.record_next_attempt("home", t(9, 11), 2);
        s.upcoming.push(Due {
            due: t(10, 50),
            kind: Kind::Prep,
            calendar: "work".into(),
            summary: "Sync".into(),
            start: t(11, 0),
        });
        let mut rotation = BTreeMap::new();
        rotation.insert("tom".to_string(), vec!["kids".to_string()]);
        s.set_rotation(&rotation);
        s
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state/rapport");
        let s = full_state();
        s.save(&state_dir).unwrap();
        let text = std::fs::read_to_string(State::path(&state_dir)).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        let loaded = State::load(&state_dir, t(12, 0)).unwrap();
        assert!(loaded.moved_aside.is_none());
        assert_eq!(loaded.state, s);
        let rotation: BTreeMap<String, Vec<String>> = loaded.state.rotation();
        assert_eq!(rotation["tom"], vec!["kids"]);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn missing_file_is_a_clean_state() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = State::load(dir.path(), t(12, 0)).unwrap();
        assert_eq!(loaded.state, State::default());
        assert_eq!(loaded.state.last_run, None);
    }

    #[test]
    fn corrupt_empty_or_truncated_files_are_moved_aside() {
        let full = serde_json::to_string(&full_state()).unwrap();
        let cases: Vec<(&str, String)> = vec![
            ("empty", String::new()),
            ("blank", "  \n".into()),
            ("truncated", full[..full.len() / 2].to_string()),
            ("garbage", "\u{0}\u{1}binary".into()),
            ("no version", "{\"sent\": []}".into()),
            ("wrong shape", "{\"version\": 1, \"sent\": 5}".into()),
            ("not an object", "[1, 2]".into()),
        ];
        for (name, content) in cases {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(State::path(dir.path()), &content).unwrap();
            let loaded = State::load(dir.path(), t(12, 0)).unwrap();
            assert_eq!(loaded.state, State::default(), "{name}");
            assert!(loaded.problem.is_some(), "{name}");
            let aside = loaded.moved_aside.expect(name);
            assert_eq!(
                aside.file_name().unwrap().to_str().unwrap(),
                "state.json.corrupt-20270104T120000Z"
            );
            // the bad file is kept for inspection, byte for byte
            assert_eq!(std::fs::read_to_string(&aside).unwrap(), content, "{name}");
            assert!(!State::path(dir.path()).exists(), "{name}");
            // and a new state can be written in its place
            loaded.state.save(dir.path()).unwrap();
            assert!(State::load(dir.path(), t(12, 1))
                .unwrap()
                .moved_aside
                .is_none());
        }
    }

    #[test]
    fn a_future_version_is_refused_and_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let content = "{\"version\": 2, \"sent\": {\"new\": \"shape\"}}";
        std::fs::write(State::path(dir.path()), content).unwrap();
        let err = State::load(dir.path(), t(12, 0)).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StateError::FutureVersion { found: 2, .. }));
        assert!(
            msg.contains("state.json") && msg.contains("newer rapport"),
            "{msg}"
        );
        assert_eq!(
            std::fs::read_to_string(State::path(dir.path())).unwrap(),
            content
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn anything_but_a_regular_file_of_a_sane_size_is_moved_aside_unread() {
        use std::os::unix::fs::PermissionsExt;
        type Make = fn(&Path);
        let kinds: [(&str, Make); 4] = [
            ("folder", |p| std::fs::create_dir(p).unwrap()),
            ("fifo", |p| {
                let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
                // SAFETY: mkfifo(3) with a valid NUL-terminated path.
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            }),
            ("device", |p| {
                std::os::unix::fs::symlink("/dev/zero", p).unwrap()
            }),
            ("sparse", |p| {
                let f = std::fs::File::create(p).unwrap();
                f.set_len(MAX_STATE_BYTES + 1).unwrap();
            }),
        ];
        for (name, make) in kinds {
            let dir = tempfile::tempdir().unwrap();
            make(&State::path(dir.path()));
            let status = State::load_read_only(dir.path()).unwrap_err().to_string();
            assert!(status.contains("unreadable"), "{name}: {status}");
            let loaded = State::load(dir.path(), t(12, 0)).unwrap();
            assert_eq!(loaded.state, State::default(), "{name}");
            assert!(loaded.problem.is_some(), "{name}");
            assert!(loaded.moved_aside.is_some(), "{name}");
            assert!(!State::path(dir.path()).exists(), "{name}");
            loaded.state.save(dir.path()).unwrap();
            let mode = std::fs::metadata(State::path(dir.path())).unwrap();
            assert!(mode.is_file(), "{name}");
            assert_eq!(mode.permissions().mode() & 0o777, 0o600, "{name}");
        }
        assert!(
            std::fs::metadata("/dev/zero").is_ok(),
            "the device is untouched"
        );
    }

    #[test]
    fn prune_forgets_old_meetings_only() {
        let mut s = full_state();
        let now = t(10, 30);
        let old_start = now - KEEP_SENT - Duration::hours(1);
        s.record(key("old", old_start), old_start, Outcome::Sent);
        s.record(key("recent", now - Duration::days(1)), now, Outcome::Sent);
        s.prune(now);
        let uids: Vec<&str> = s.sent.keys().map(|k| k.uid.as_str()).collect();
        assert_eq!(uids, vec!["a", "b", "recent"]);
        // the snooze of the 10:00 meeting is gone once it started
        assert!(s.snoozes.is_empty());
    }

    #[test]
    fn feed_status_keeps_last_success_through_errors() {
        let mut s = State::default();
        s.record_feed_success("work", t(9, 0));
        s.record_feed_error("work", t(9, 30), "connection refused");
        let f = &s.feeds["work"];
        assert_eq!(f.last_refresh, Some(t(9, 0)));
        assert_eq!(f.last_attempt, Some(t(9, 30)));
        assert_eq!(f.last_error.as_deref(), Some("connection refused"));
        s.record_feed_success("work", t(10, 0));
        assert_eq!(s.feeds["work"].last_error, None);
    }

    /// A state file written before `next_attempt` and `failures` existed
    /// still loads, and a healthy feed writes neither field's default.
    #[test]
    fn feed_status_without_the_newer_fields_loads() {
        let old = r#"{"version": 1, "feeds": {"work": {"last_attempt": "2027-01-04T09:00:00Z",
            "last_error": "HTTP 503"}}}"#;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(State::path(dir.path()), old).unwrap();
        let loaded = State::load(dir.path(), t(12, 0)).unwrap();
        assert!(loaded.moved_aside.is_none());
        let f = &loaded.state.feeds["work"];
        assert_eq!((f.next_attempt, f.failures), (None, 0));
        assert_eq!(f.last_error.as_deref(), Some("HTTP 503"));

        let mut s = State::default();
        s.record_feed_success("work", t(9, 0));
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            !json.contains("failures") && !json.contains("next_attempt"),
            "{json}"
        );
        s.record_next_attempt("work", t(9, 20), 3);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"failures\":3"), "{json}");
    }

    #[test]
    fn rotation_of_another_shape_falls_back_to_default() {
        let s = State {
            rotation: serde_json::json!({"people": 5}),
            ..State::default()
        };
        let r: BTreeMap<String, Vec<String>> = s.rotation();
        assert!(r.is_empty());
    }

    #[test]
    fn alive_means_a_recent_last_run() {
        let now = Utc::now();
        let mut s = crate::daemon::state::State::default();
        assert!(!daemon_alive(None, now));
        assert!(!daemon_alive(Some(&s), now));
        s.last_run = Some(now - Duration::minutes(3));
        assert!(daemon_alive(Some(&s), now));
        s.last_run = Some(now - Duration::minutes(30));
        assert!(!daemon_alive(Some(&s), now));
    }
}
