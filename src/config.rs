//! Configuration: `config.toml` (path from `--config`, `$RAPPORT_CONFIG`, or the
//! XDG config dir). Raw TOML is read first, then validated into these types, so
//! every error can name the file, line and key.
//!
//! The struct definitions below are the contract the rest of the crate uses.

use std::path::PathBuf;
use std::time::Duration;

/// Validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this was read from (None when built in-process, e.g. `--ics`).
    pub path: Option<PathBuf>,
    pub me: Me,
    pub calendars: Vec<CalendarSource>,
    pub people: PeopleConfig,
    pub notify: NotifyConfig,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Me {
    pub name: Option<String>,
    /// Lower-cased.
    pub emails: Vec<String>,
    /// My elevator pitch, shown when meeting new people.
    pub pitch: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarSource {
    pub name: String,
    pub location: FeedLocation,
    pub refresh: Duration,
    pub username: Option<String>,
    /// A command whose stdout (first line) is the password; run without a shell.
    pub password_command: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedLocation {
    /// A local file, `~` already expanded.
    Path(PathBuf),
    /// An http or https URL (`webcal://` already turned into `https://`).
    Url(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeopleConfig {
    pub dir: PathBuf,
    pub prompts_per_person: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    /// How long before the start each prep notification goes out.
    pub lead: Vec<Duration>,
    /// How long after the end the debrief goes out; None = off.
    pub debrief: Option<Duration>,
    pub include_all_day: bool,
    pub only_with_people: bool,
    pub discreet: bool,
    pub max_late: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            lead: vec![Duration::from_secs(600)],
            debrief: Some(Duration::from_secs(120)),
            include_all_day: false,
            only_with_people: true,
            discreet: false,
            max_late: Duration::from_secs(300),
        }
    }
}

/// Where rapport keeps its files. Built from the XDG directories (via
/// `directories`) by [`Paths::from_env`]; tests build one pointing into a
/// temporary folder and pass it in, so nothing reads the real home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config file to read: `--config`, else `$RAPPORT_CONFIG`, else XDG.
    pub config_file: PathBuf,
    /// Cached feed bodies (`~/.cache/rapport`).
    pub cache_dir: PathBuf,
    /// Daemon state: what was sent (`~/.local/state/rapport`).
    pub state_dir: PathBuf,
    /// Default home of the people folder (`~/.local/share/rapport`).
    pub data_dir: PathBuf,
    /// Short-lived files such as rendered briefs (`$XDG_RUNTIME_DIR/rapport`,
    /// else the cache dir).
    pub runtime_dir: PathBuf,
}

impl Paths {
    /// The standard locations. `config_override` is the `--config` option.
    pub fn from_env(config_override: Option<PathBuf>) -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "rapport");
        let home = directories::BaseDirs::new()
            .map(|b| b.home_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from("."));
        let (config_dir, cache_dir, data_dir, state_dir, runtime_dir) = match &dirs {
            Some(d) => (
                d.config_dir().to_path_buf(),
                d.cache_dir().to_path_buf(),
                d.data_dir().to_path_buf(),
                d.state_dir()
                    .map(|p| p.to_path_buf())
                    .unwrap_or_else(|| home.join(".local/state/rapport")),
                d.runtime_dir()
                    .map(|p| p.to_path_buf())
                    .unwrap_or_else(|| d.cache_dir().join("run")),
            ),
            None => {
                let base = home.join(".rapport");
                (
                    base.clone(),
                    base.join("cache"),
                    base.join("data"),
                    base.join("state"),
                    base.join("run"),
                )
            }
        };
        let config_file = config_override
            .or_else(|| {
                std::env::var_os("RAPPORT_CONFIG")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| config_dir.join("config.toml"));
        Paths {
            config_file,
            cache_dir,
            state_dir,
            data_dir,
            runtime_dir,
        }
    }

    /// Everything under one folder (tests, `rapport demo`).
    pub fn under(root: &std::path::Path) -> Paths {
        Paths {
            config_file: root.join("config/config.toml"),
            cache_dir: root.join("cache"),
            state_dir: root.join("state"),
            data_dir: root.join("data"),
            runtime_dir: root.join("run"),
        }
    }
}
