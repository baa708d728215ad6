//! The real `rapport` binary in a temporary home: every XDG folder under one
//! temporary root, a private umask, and `rapport run` as a child process
//! whose log is a file the test reads while it runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A temporary home for the binary. Nothing outside `root` is read or written.
pub struct BinHome {
    pub root: tempfile::TempDir,
    /// The session bus the binary talks to (default: one that does not exist).
    pub bus: String,
}

impl BinHome {
    pub fn new() -> BinHome {
        BinHome {
            root: tempfile::tempdir().unwrap(),
            bus: "unix:path=/nonexistent/rapport-test-bus".into(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Where `rapport` looks for its config by default in this home.
    pub fn config_file(&self) -> PathBuf {
        self.path("xdg-config/rapport/config.toml")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.path("xdg-state/rapport")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.path("xdg-cache/rapport")
    }

    pub fn people_dir(&self) -> PathBuf {
        self.path("people")
    }

    /// Writes the config file (creating its folder, as a user would).
    pub fn write_config(&self, text: &str) {
        let path = self.config_file();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// `[me]`, the people folder and `extra` (calendars, `[notify]`).
    pub fn config_with(&self, extra: &str) -> String {
        format!(
            "[me]\nname = \"Me Myself\"\nemails = [\"me@example.org\"]\n\n[people]\ndir = {:?}\n\n{extra}\n",
            self.people_dir().display().to_string()
        )
    }

    /// `rapport ARGS` in this home: umask 022 (the usual one, so that a
    /// folder made without an explicit mode shows), output piped.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
        c.args(args)
            .env("HOME", self.root.path())
            .env("XDG_CONFIG_HOME", self.path("xdg-config"))
            .env("XDG_STATE_HOME", self.path("xdg-state"))
            .env("XDG_CACHE_HOME", self.path("xdg-cache"))
            .env("XDG_DATA_HOME", self.path("xdg-data"))
            .env("XDG_RUNTIME_DIR", self.path("xdg-run"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("TZ", "UTC")
            .env_remove("RAPPORT_CONFIG")
            .env_remove("RAPPORT_FAULT")
            .env_remove("RUST_LOG")
            .env_remove("JOURNAL_STREAM")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        use std::os::unix::process::CommandExt;
        // SAFETY: umask(2) is async-signal-safe and touches no memory.
        unsafe {
            c.pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            });
        }
        c
    }

    /// Runs `rapport ARGS` to the end (bounded: killed after 60 s).
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        let child = self.command(args).spawn().unwrap();
        wait_output(child, Duration::from_secs(60))
    }

    /// Starts `rapport run` with its log (stdout and stderr) going to a file.
    pub fn start_daemon(&self, extra_env: &[(&str, &str)]) -> Daemon {
        let mut c = self.command(&["run"]);
        for (k, v) in extra_env {
            c.env(k, v);
        }
        self.spawn_logged(c)
    }

    /// Starts `command` (made by [`BinHome::command`]) with its output going
    /// to a log file.
    pub fn spawn_logged(&self, mut command: Command) -> Daemon {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let log = self.path(&format!("daemon-{}.log", N.fetch_add(1, Ordering::Relaxed)));
        let file = std::fs::File::create(&log).unwrap();
        command.stdout(file.try_clone().unwrap()).stderr(file);
        Daemon {
            child: command.spawn().unwrap(),
            log,
        }
    }
}

/// Waits for `child` to finish (killing it after `limit`) and collects its output.
pub fn wait_output(mut child: Child, limit: Duration) -> std::process::Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("still running after {limit:?}: {out:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A running `rapport run`; killed (by its pid) when dropped.
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Waits until the log contains `needle`; panics with the log after `limit`.
    pub fn wait_log(&mut self, needle: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            if self.log_text().contains(needle) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "rapport run exited ({status}) before logging {needle:?}:\n{}",
                    self.log_text()
                );
            }
            assert!(
                start.elapsed() < limit,
                "no {needle:?} in the log after {limit:?}:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and returns how long it took to exit (panics after 30 s).
    pub fn terminate(&mut self) -> (Duration, std::process::ExitStatus) {
        let start = Instant::now();
        signal(self.child.id(), libc::SIGTERM);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (start.elapsed(), status);
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                panic!("rapport run ignored SIGTERM for 30 s:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// `kill -9` and reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) on a child's pid; no memory is involved.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

/// Every folder at or below `dir`, with its permission bits.
pub fn folders_with_modes(dir: &Path) -> Vec<(PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&d) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        out.push((d.clone(), meta.permissions().mode() & 0o7777));
        for entry in std::fs::read_dir(&d).unwrap() {
            todo.push(entry.unwrap().path());
        }
    }
    out.sort();
    out
}

/// Caps the address space of the process `command` starts, so that a
/// runaway allocation fails there instead of taking the machine's memory.
pub fn limit_memory(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit(2) is async-signal-safe and touches no shared memory.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// A calendar of meetings with Tom de Vries (me@example.org invites):
/// (uid, title, start, length in seconds).
pub fn calendar_with_tom(
    meetings: &[(String, String, chrono::DateTime<chrono::Utc>, i64)],
) -> String {
    use super::ics::stamp;
    let mut s = String::new();
    for (uid, title, start, secs) in meetings {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{}\r\nDTEND:{}\r\n\
             SUMMARY:{title}\r\nORGANIZER;CN=Me Myself:mailto:me@example.org\r\n\
             ATTENDEE;CN=Me Myself;PARTSTAT=ACCEPTED:mailto:me@example.org\r\n\
             ATTENDEE;CN=Tom de Vries;PARTSTAT=ACCEPTED:mailto:tom@example.org\r\nEND:VEVENT\r\n",
            stamp(*start),
            stamp(*start + chrono::Duration::seconds(*secs))
        ));
    }
    super::ics::vcalendar(&s)
}

/// One 30-minute meeting with Tom, `in_minutes` from now.
pub fn meeting_with_tom_in(uid: &str, title: &str, in_minutes: i64) -> String {
    let start = chrono::Utc::now() + chrono::Duration::minutes(in_minutes);
    calendar_with_tom(&[(uid.into(), title.into(), start, 1800)])
}

/// `rapport ARGS` in the folder `dir`, which is also its HOME and holds its
/// XDG folders (the session bus is the caller's).
pub fn command_in(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_STATE_HOME", dir.join("xdg-state"))
        .env("XDG_CACHE_HOME", dir.join("xdg-cache"))
        .env("XDG_DATA_HOME", dir.join("xdg-data"))
        .env_remove("RAPPORT_CONFIG");
    c
}

/// [`command_in`] with `env` set, run to the end.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    command_in(dir, args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}
