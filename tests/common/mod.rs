//! Shared test helpers: the in-process CLI builder and paths to shared material.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rapport::config::Paths;

/// `../shared/corpus` seen from the crate root (CI lays it out the same way);
/// from a git worktree under `wt/<name>` it is one level further up.
pub fn corpus_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let direct = root.join("../shared/corpus");
    let from_worktree = root.join("../../shared/corpus");
    if !direct.exists() && from_worktree.exists() {
        return from_worktree;
    }
    direct
}

/// `tests/data` inside the crate.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The result of one in-process CLI run.
pub struct Output {
    pub code: ExitCode,
    pub stdout: String,
    pub error: Option<String>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.error.is_none() && self.code == ExitCode::SUCCESS
    }
}

/// Runs `rapport ARGS...` in-process with all files under `root`.
pub fn rapport(root: &Path, args: &[&str]) -> Output {
    let mut argv = vec!["rapport"];
    argv.extend_from_slice(args);
    let cli = rapport::cli::Cli::try_parse_from(argv).expect("command line parses");
    let mut paths = Paths::under(root);
    if let Some(c) = &cli.config {
        paths = paths.with_config_file(c.clone(), rapport::config::ConfigFrom::Option);
    }
    let mut out = Vec::new();
    let result = rapport::cli::run(cli, &paths, &mut out);
    let stdout = String::from_utf8(out).expect("utf-8 output");
    match result {
        Ok(code) => Output {
            code,
            stdout,
            error: None,
        },
        Err(e) => Output {
            code: ExitCode::from(2),
            stdout,
            error: Some(format!("{e:#}")),
        },
    }
}

/// The JSON array a successful run printed (`agenda --json`).
pub fn json_array(out: &Output) -> Vec<serde_json::Value> {
    assert!(out.success(), "{:?}\n{}", out.error, out.stdout);
    match serde_json::from_str(&out.stdout).expect("JSON output") {
        serde_json::Value::Array(a) => a,
        other => panic!("not an array: {other}"),
    }
}

pub mod bin;
pub mod daemon;
pub mod home;
pub mod http;
pub mod ics;
pub mod notes;
pub mod stalled;

pub use home::Home;

/// Fetch limits for the feed tests: short timeouts, a 1 MB body cap.
pub fn feed_limits() -> rapport::feed::FetchLimits {
    rapport::feed::FetchLimits {
        connect_timeout: std::time::Duration::from_secs(5),
        total_timeout: std::time::Duration::from_secs(10),
        max_body_bytes: 1024 * 1024,
    }
}

/// A calendar named `work` at `url`, refreshed every 15 minutes.
pub fn url_source(url: String) -> rapport::feed::CalendarSource {
    rapport::feed::CalendarSource {
        name: "work".into(),
        location: rapport::feed::FeedLocation::Url(url),
        refresh: std::time::Duration::from_secs(900),
        username: None,
        password_command: None,
    }
}

// ---------------------------------------------------------------------------
// The real notification stack started by scripts/test.sh (Xvfb + private
// dbus-daemon + dunst).

/// The session bus address when scripts/test.sh started the notification
/// stack (`RAPPORT_TEST_NOTIFY=1`). Otherwise the test is skipped with a
/// message, except in CI (`CI=true`), where a missing stack is a failure.
pub fn notify_stack(test: &str) -> Option<String> {
    let up = std::env::var("RAPPORT_TEST_NOTIFY").is_ok_and(|v| v == "1");
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    if up && !address.is_empty() {
        return Some(address);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: CI=true but no notification stack: run the tests with scripts/test.sh");
    }
    eprintln!("{test}: skipped: no notification server (run scripts/test.sh)");
    None
}

/// Tests that close all notifications or drive dunst's context menu hold
/// this lock, so that they do not disturb each other's notifications.
pub fn dunst_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// One entry of `dunstctl history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub id: i64,
    pub appname: String,
    pub summary: String,
    /// Exactly as sent.
    pub body: String,
    /// As dunst rendered it (markup interpreted).
    pub message: String,
    pub category: String,
}

/// dunst's history: only closed notifications, newest first.
pub fn dunst_history() -> Vec<HistoryEntry> {
    let out = std::process::Command::new("dunstctl")
        .arg("history")
        .output()
        .expect("dunstctl runs");
    assert!(out.status.success(), "dunstctl history: {out:?}");
    parse_history(&out.stdout)
}

/// Closes every displayed notification (into the history). Hold [`dunst_lock`].
pub fn dunst_close_all() {
    let status = std::process::Command::new("dunstctl")
        .arg("close-all")
        .status()
        .expect("dunstctl runs");
    assert!(status.success());
}

/// Invokes action `key` of the displayed notification `id` through dunst's
/// context menu (scripts/test.sh configures a fake dmenu that picks the line
/// named in `$RAPPORT_TEST_DMENU_PICK`). Hold [`dunst_lock`].
pub fn dunst_invoke_action(id: u32, key: &str) {
    let pick = std::env::var("RAPPORT_TEST_DMENU_PICK").expect("RAPPORT_TEST_DMENU_PICK is set");
    std::fs::write(&pick, format!("{id},{key}")).expect("pick file written");
    let status = std::process::Command::new("dunstctl")
        .arg("context")
        .status()
        .expect("dunstctl runs");
    assert!(status.success());
}

/// A second private session bus with no notification server on it, stopped
/// (by PID) when dropped.
pub struct EmptyBus {
    pub address: String,
    pid: i32,
}

impl EmptyBus {
    pub fn start() -> EmptyBus {
        EmptyBus::start_with(None)
    }

    /// A bus listening on the unix socket `path` (so that it can be stopped
    /// and started again at the same address).
    pub fn start_at(path: &Path) -> EmptyBus {
        EmptyBus::start_with(Some(path))
    }

    fn start_with(path: Option<&Path>) -> EmptyBus {
        let config =
            std::env::var("RAPPORT_TEST_BUS_CONFIG").expect("RAPPORT_TEST_BUS_CONFIG is set");
        let mut cmd = std::process::Command::new("dbus-daemon");
        cmd.arg(format!("--config-file={config}"));
        if let Some(p) = path {
            cmd.arg(format!("--address=unix:path={}", p.display()));
        }
        let out = cmd
            .args([
                "--fork",
                "--nopidfile",
                "--print-address=1",
                "--print-pid=1",
            ])
            .output()
            .expect("dbus-daemon runs");
        assert!(out.status.success(), "dbus-daemon: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let address = lines.next().expect("address").trim().to_string();
        let pid = lines
            .next()
            .expect("pid")
            .trim()
            .parse()
            .expect("pid is a number");
        EmptyBus { address, pid }
    }
}

impl Drop for EmptyBus {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the pid this bus reported; no memory is involved.
        unsafe {
            libc::kill(self.pid, libc::SIGTERM);
        }
        // Wait until it is gone, so that its address is free again. (It is
        // not our child: --fork reparents it, so there is nothing to reap.)
        for _ in 0..200 {
            // SAFETY: signal 0 only checks that the process exists.
            if unsafe { libc::kill(self.pid, 0) } != 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// A summary no other test uses (dunst's history is shared by the whole bus).
pub fn unique(label: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{label} #{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A notification server of one test's own: a private bus with dunst on it
/// (on the shared Xvfb display). Its history and context menu are the test's
/// alone, so such tests run in parallel. Stopped (by PID) when dropped.
pub struct PrivateDunst {
    pub bus: EmptyBus,
    dunst: std::process::Child,
    pick: PathBuf,
    _dir: tempfile::TempDir,
}

impl PrivateDunst {
    pub fn start() -> PrivateDunst {
        PrivateDunst::start_on(EmptyBus::start())
    }

    /// dunst on a bus that already exists (and may have clients).
    pub fn start_on(bus: EmptyBus) -> PrivateDunst {
        let dir = tempfile::tempdir().unwrap();
        let rc = std::env::var("RAPPORT_TEST_DUNSTRC").expect("RAPPORT_TEST_DUNSTRC is set");
        let pick = dir.path().join("pick");
        let dunst = std::process::Command::new("dunst")
            .args(["-config", &rc])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("XDG_CONFIG_HOME", dir.path())
            .env("RAPPORT_TEST_DMENU_PICK", &pick)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dunst starts");
        let me = PrivateDunst {
            bus,
            dunst,
            pick,
            _dir: dir,
        };
        for _ in 0..200 {
            if me.dunstctl(&["is-paused"]).status.success() {
                return me;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("dunst did not come up on the private bus");
    }

    fn dunstctl(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address)
            .output()
            .expect("dunstctl runs")
    }

    /// Closes all displayed notifications and returns the whole history.
    pub fn close_all_and_history(&self) -> Vec<HistoryEntry> {
        assert!(self.dunstctl(&["close-all"]).status.success());
        parse_history(&self.dunstctl(&["history"]).stdout)
    }

    pub fn displayed(&self) -> usize {
        let out = self.dunstctl(&["count", "displayed"]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Invokes the first displayed action with this key ("ID,KEY" for an
    /// exact one) through the context menu.
    pub fn invoke(&self, pick: &str) {
        std::fs::write(&self.pick, pick).unwrap();
        assert!(self.dunstctl(&["context"]).status.success());
    }
}

impl Drop for PrivateDunst {
    fn drop(&mut self) {
        let _ = self.dunst.kill();
        let _ = self.dunst.wait();
    }
}

fn parse_history(stdout: &[u8]) -> Vec<HistoryEntry> {
    let json: serde_json::Value = serde_json::from_slice(stdout).expect("history is JSON");
    let field = |n: &serde_json::Value, k: &str| n[k]["data"].clone();
    json["data"][0]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|n| HistoryEntry {
            id: field(n, "id").as_i64().unwrap_or(-1),
            appname: field(n, "appname").as_str().unwrap_or("").to_string(),
            summary: field(n, "summary").as_str().unwrap_or("").to_string(),
            body: field(n, "body").as_str().unwrap_or("").to_string(),
            message: field(n, "message").as_str().unwrap_or("").to_string(),
            category: field(n, "category").as_str().unwrap_or("").to_string(),
        })
        .collect()
}
