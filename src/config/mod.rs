//! Configuration: `config.toml` (path from `--config`, `$RAPPORT_CONFIG`, or the
//! XDG config dir). Raw TOML is read first, then validated into these types, so
//! every error can name the file, line and key.
//!
//! The struct definitions below are the contract the rest of the crate uses;
//! the checking of the raw TOML is in `validate.rs`. The config builds the
//! other parts' settings ([`CalendarSource`] belongs to the feed module).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod validate;

use validate::{line_col, parse, readable_secret_warning};

use crate::feed::{has_scheme, normalize_url, CalendarSource, FeedLocation};
use chrono::{NaiveTime, Weekday, WeekdaySet};

use crate::people::cadence::CadenceDefaults;
use crate::people::contact::ContactSettings;
use crate::people::period::Period;
use crate::people::Me;
use crate::util::paths::expand_tilde;

/// The commented example config written by `rapport init`; every key is in it.
pub const EXAMPLE: &str = include_str!("example.toml");

/// Refresh interval of a calendar without `refresh`.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(15 * 60);
/// Talking points per person in a brief without `people.prompts_per_person`.
pub const DEFAULT_PROMPTS_PER_PERSON: usize = 3;

/// Validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this was read from (None when built in-process, e.g. `--ics`).
    pub path: Option<PathBuf>,
    pub me: Me,
    pub calendars: Vec<CalendarSource>,
    pub people: PeopleConfig,
    pub notify: NotifyConfig,
    pub digest: DigestSettings,
    /// Things worth telling the user that do not stop rapport (e.g. a config
    /// file that others can read holds a secret link). `load` also logs them.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeopleConfig {
    pub dir: PathBuf,
    pub prompts_per_person: usize,
    /// `history` and `large_meeting`: what counts as contact.
    pub contact: ContactSettings,
    /// `[people.cadence]`: keep-in-touch defaults by tag.
    pub cadence: CadenceDefaults,
}

impl PeopleConfig {
    /// The defaults, with the people folder at `dir`.
    pub fn in_dir(dir: PathBuf) -> PeopleConfig {
        PeopleConfig {
            dir,
            prompts_per_person: DEFAULT_PROMPTS_PER_PERSON,
            contact: ContactSettings::default(),
            cadence: CadenceDefaults::default(),
        }
    }
}

/// `[digest]`: the morning digest (the brief composes it, the daemon sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSettings {
    /// `enabled` (default true).
    pub enabled: bool,
    /// `at`: when to send it, local time (default 08:30).
    pub at: NaiveTime,
    /// `days`: on which days (default Monday to Friday).
    pub days: WeekdaySet,
    /// `until`: after a suspend or a late boot it is still sent until then
    /// (default 12:00); never later that day. At or before `at`: until the
    /// end of the day.
    pub until: NaiveTime,
    /// `ahead`: dates are shown from this long before (default 3d).
    pub ahead: Period,
    /// Keep-in-touch people shown (3).
    pub max_due: usize,
}

impl Default for DigestSettings {
    fn default() -> Self {
        DigestSettings {
            enabled: true,
            at: NaiveTime::from_hms_opt(8, 30, 0).expect("valid time"),
            days: WeekdaySet::from_array([
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ]),
            until: NaiveTime::from_hms_opt(12, 0, 0).expect("valid time"),
            ahead: Period::Days(3),
            max_due: 3,
        }
    }
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
    /// Who named `config_file`. Only the default path may be absent: a file
    /// the user named that does not exist is an error in every command.
    pub config_from: ConfigFrom,
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

/// Where the config file's path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConfigFrom {
    /// The XDG default (or [`Paths::under`]): may be absent.
    #[default]
    Default,
    /// `--config FILE`.
    Option,
    /// `$RAPPORT_CONFIG`.
    Env,
}

impl ConfigFrom {
    /// How the user named the file, for messages; None for the default.
    pub fn named_by(self) -> Option<&'static str> {
        match self {
            ConfigFrom::Default => None,
            ConfigFrom::Option => Some("--config"),
            ConfigFrom::Env => Some("$RAPPORT_CONFIG"),
        }
    }
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
        let env = std::env::var_os("RAPPORT_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let (config_file, config_from) = match (config_override, env) {
            (Some(file), _) => (file, ConfigFrom::Option),
            (None, Some(file)) => (file, ConfigFrom::Env),
            (None, None) => (config_dir.join("config.toml"), ConfigFrom::Default),
        };
        Paths {
            config_file,
            config_from,
            cache_dir,
            state_dir,
            data_dir,
            runtime_dir,
        }
    }

    /// These paths with the config file `file` named by `from` (`--config`).
    pub fn with_config_file(mut self, file: PathBuf, from: ConfigFrom) -> Paths {
        self.config_file = file;
        self.config_from = from;
        self
    }

    /// An error when the user named a config file that does not exist (only
    /// the default path may be absent).
    pub fn check_named_config(&self) -> Result<(), ConfigError> {
        match self.config_from.named_by() {
            Some(by) if std::fs::symlink_metadata(&self.config_file).is_err() => {
                Err(ConfigError::NamedNotFound {
                    path: self.config_file.clone(),
                    named_by: by,
                })
            }
            _ => Ok(()),
        }
    }

    /// Everything under one folder (tests, `rapport demo`).
    pub fn under(root: &std::path::Path) -> Paths {
        Paths {
            config_file: root.join("config/config.toml"),
            config_from: ConfigFrom::Default,
            cache_dir: root.join("cache"),
            state_dir: root.join("state"),
            data_dir: root.join("data"),
            runtime_dir: root.join("run"),
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

/// One thing wrong in a config file, located for an editor (`file:line:col`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted key, e.g. `notify.lead` or `calendar.refresh`.
    pub key: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

/// Why a configuration could not be read. Display names the file (and line,
/// column and key) and says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// There is no config file at this path.
    NotFound { path: PathBuf },
    /// The file named by `--config` or `$RAPPORT_CONFIG` does not exist.
    NamedNotFound {
        path: PathBuf,
        named_by: &'static str,
    },
    /// The file exists but could not be read.
    Unreadable { path: PathBuf, message: String },
    /// The file was read; these keys are wrong (all of them, in file order).
    Invalid {
        path: PathBuf,
        problems: Vec<ConfigProblem>,
    },
    /// A `--ics` argument that is neither a file nor an http(s)/webcal URL.
    BadSource { argument: String, message: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotFound { path } => write!(
                f,
                "{}: no config file here; run `rapport init` to write a commented one, \
                 or pass --config FILE (or --ics PATH_OR_URL to read a calendar without one)",
                path.display()
            ),
            ConfigError::NamedNotFound { path, named_by } => write!(
                f,
                "{}: no such config file (named by {named_by}); check the path, or write a \
                 commented one there with `rapport --config {} init`",
                path.display(),
                path.display()
            ),
            ConfigError::Unreadable { path, message } => write!(
                f,
                "{}: cannot read the config file: {message}; check its permissions",
                path.display()
            ),
            ConfigError::Invalid { path, problems } => {
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(
                        f,
                        "{}:{}:{}: `{}`: {}",
                        path.display(),
                        p.line,
                        p.column,
                        p.key,
                        p.message
                    )?;
                }
                Ok(())
            }
            ConfigError::BadSource { argument, message } => {
                write!(f, "--ics {argument}: {message}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

// ---------------------------------------------------------------------------
// Entry points

/// Reads and validates the config file named by `paths.config_file`.
/// Relative paths in it are relative to the file's folder; the people folder
/// defaults to `people` under `paths.data_dir`. Warnings (see
/// [`Config::warnings`]) are also logged.
pub fn load(paths: &Paths) -> Result<Config, ConfigError> {
    let config = load_quietly(paths)?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    Ok(config)
}

/// [`load`] without logging the warnings: for a caller that says them
/// itself (`rapport init` turns them into next steps).
pub fn load_quietly(paths: &Paths) -> Result<Config, ConfigError> {
    let path = &paths.config_file;
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(match paths.config_from.named_by() {
                Some(named_by) => ConfigError::NamedNotFound {
                    path: path.clone(),
                    named_by,
                },
                None => ConfigError::NotFound { path: path.clone() },
            })
        }
        Err(e) => {
            return Err(ConfigError::Unreadable {
                path: path.clone(),
                message: e.to_string(),
            })
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let text = String::from_utf8_lossy(good);
            let (line, column) = line_col(&text, text.len());
            return Err(ConfigError::Invalid {
                path: path.clone(),
                problems: vec![ConfigProblem {
                    line,
                    column,
                    key: "(file)".into(),
                    message: "the file is not valid UTF-8; save it as UTF-8".into(),
                }],
            });
        }
    };
    let (mut config, secrets) = parse(&text, path, &paths.data_dir)?;
    if let Some(warning) = readable_secret_warning(path, &secrets) {
        config.warnings.insert(0, warning);
    }
    Ok(config)
}

/// Validates config text as if read from `path` (used for error messages and
/// to resolve relative paths). The people folder defaults to the standard
/// data dir. Does not look at the file's permissions (see [`load`]).
pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let data_dir = Paths::from_env(None).data_dir;
    parse(text, path, &data_dir).map(|(config, _)| config)
}

/// Like [`from_str`] with the data dir (home of the default people folder) given.
pub fn from_str_in(text: &str, path: &Path, paths: &Paths) -> Result<Config, ConfigError> {
    parse(text, path, &paths.data_dir).map(|(config, _)| config)
}

impl Config {
    /// A configuration for `--ics` arguments without a config file: each
    /// argument is a file path (`~` expanded), an http(s) URL or a webcal URL.
    /// Everything else has its default.
    pub fn for_sources(sources: Vec<String>) -> Result<Config, ConfigError> {
        let data_dir = Paths::from_env(None).data_dir;
        Ok(Config {
            path: None,
            me: Me::default(),
            calendars: sources_from_args(&sources)?,
            people: PeopleConfig::in_dir(data_dir.join("people")),
            notify: NotifyConfig::default(),
            digest: DigestSettings::default(),
            warnings: Vec::new(),
        })
    }
}

/// `--ics` arguments that name a file that is not there, as an error that
/// names the argument (the feed's own error would point at a config that is
/// not involved). Links are left to the fetch.
pub fn check_ics_files(args: &[String]) -> Result<(), ConfigError> {
    for arg in args {
        let trimmed = arg.trim();
        if has_scheme(trimmed) || trimmed.is_empty() {
            continue;
        }
        if std::fs::symlink_metadata(expand_tilde(trimmed)).is_err() {
            return Err(ConfigError::BadSource {
                argument: trimmed.to_string(),
                message: "no such file; check the path (or give an https:// or webcal:// URL)"
                    .into(),
            });
        }
    }
    Ok(())
}

/// Turns `--ics` arguments into calendar sources named after the file or the
/// host (made unique with " (2)", " (3)", ...). Used to replace the configured
/// calendars, or by [`Config::for_sources`].
pub fn sources_from_args(args: &[String]) -> Result<Vec<CalendarSource>, ConfigError> {
    let mut out: Vec<CalendarSource> = Vec::new();
    for arg in args {
        let trimmed = arg.trim();
        let location = if has_scheme(trimmed) {
            normalize_url(trimmed).map_err(|message| ConfigError::BadSource {
                argument: crate::feed::redact_url(trimmed),
                message,
            })?
        } else if trimmed.is_empty() {
            return Err(ConfigError::BadSource {
                argument: String::new(),
                message: "empty; give a file path or an https:// or webcal:// URL".into(),
            });
        } else {
            FeedLocation::Path(expand_tilde(trimmed))
        };
        let base = location.default_name();
        let mut name = base.clone();
        let mut n = 1;
        while out.iter().any(|c| c.name == name) {
            n += 1;
            name = format!("{base} ({n})");
        }
        out.push(CalendarSource {
            name,
            location,
            refresh: DEFAULT_REFRESH,
            username: None,
            password_command: None,
        });
    }
    Ok(out)
}
