//! The real `rapport` binary on a people folder in a temporary home, for
//! the reliability tests of notes (fault injection, kill -9, stress).

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Tom's note as the tests start it.
pub const NOTE: &str = "---\nname: Tom de Vries\nemail: tom@example.org\n---\n# Tom de Vries\n\n## Log\n- 2026-01-10 Met at the meetup\n";

/// A temporary home: `config/config.toml` with `[people] dir = notes`,
/// XDG folders under the root (state in `xdg-state/rapport`).
pub struct Home {
    pub root: tempfile::TempDir,
}

impl Home {
    /// With `notes/tom.md` holding [`NOTE`].
    pub fn new() -> Home {
        let home = Home::empty();
        fs::write(home.note(), NOTE).unwrap();
        home
    }

    /// With an empty people folder.
    pub fn empty() -> Home {
        let home = Home::without_people_folder();
        fs::create_dir_all(home.people()).unwrap();
        home
    }

    /// The config only: the people folder is not there yet.
    pub fn without_people_folder() -> Home {
        let root = tempfile::tempdir().unwrap();
        let people = root.path().join("notes");
        fs::create_dir_all(root.path().join("config")).unwrap();
        fs::write(
            root.path().join("config/config.toml"),
            format!(
                "[me]\nname = \"Ada Lovelace\"\nemails = [\"ada@corp.example\"]\n\n[people]\ndir = {:?}\n",
                people.display().to_string()
            ),
        )
        .unwrap();
        Home { root }
    }

    pub fn people(&self) -> PathBuf {
        self.root.path().join("notes")
    }

    pub fn note(&self) -> PathBuf {
        self.people().join("tom.md")
    }

    pub fn state(&self) -> PathBuf {
        self.root.path().join("xdg-state/rapport")
    }

    pub fn command(&self, fault: Option<&str>, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
        c.arg("--config")
            .arg(self.root.path().join("config/config.toml"))
            .args(args)
            .env("HOME", self.root.path())
            .env("XDG_CONFIG_HOME", self.root.path().join("xdg-config"))
            .env("XDG_STATE_HOME", self.root.path().join("xdg-state"))
            .env("XDG_CACHE_HOME", self.root.path().join("xdg-cache"))
            .env("XDG_DATA_HOME", self.root.path().join("xdg-data"))
            .env_remove("RAPPORT_FAULT")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(f) = fault {
            c.env("RAPPORT_FAULT", f);
        }
        c
    }

    pub fn run(&self, fault: Option<&str>, args: &[&str]) -> std::process::Output {
        self.command(fault, args).output().unwrap()
    }

    /// Everything in the people folder except `tom.md`.
    pub fn leftovers(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(self.people())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "tom.md")
            .collect();
        v.sort();
        v
    }
}

/// Waits until `child` is stopped by its fault hook (state `T` in
/// /proc/PID/stat). Panics if it exits first: the hook was never reached.
pub fn wait_stopped(child: &mut Child, point: &str) {
    let stat = format!("/proc/{}/stat", child.id());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("rapport exited ({status}) before reaching fault point {point}: {err}");
        }
        let s = fs::read_to_string(&stat).unwrap_or_default();
        // The state follows the command name in parentheses.
        if let Some(rest) = s.rsplit_once(") ") {
            if rest.1.starts_with('T') || rest.1.starts_with('t') {
                return;
            }
        }
        // Not a timing assertion: a generous bound so a broken hook fails
        // instead of hanging the test run.
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "rapport never stopped at {point}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn cont(child: &Child) {
    // SAFETY: signals a child process we own.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGCONT);
    }
}
