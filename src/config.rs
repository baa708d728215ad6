//! Configuration: `config.toml` (path from `--config`, `$RAPPORT_CONFIG`, or the
//! XDG config dir). Raw TOML is read first, then validated into these types, so
//! every error can name the file, line and key.
//!
//! The struct definitions below are the contract the rest of the crate uses.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml_edit::{ImDocument, Item, Key, TableLike, Value};

use crate::util::duration::parse_duration;
use crate::util::paths::expand_tilde;

/// The commented example config written by `rapport init`; every key is in it.
pub const EXAMPLE: &str = include_str!("config.example.toml");

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
    /// Things worth telling the user that do not stop rapport (e.g. a config
    /// file that others can read holds a secret link). `load` also logs them.
    pub warnings: Vec<String>,
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

/// Debug and Display redact the URL (see [`crate::feed::redact_url`]): a
/// published calendar link is a secret, and configs end up in logs.
#[derive(Clone, PartialEq, Eq)]
pub enum FeedLocation {
    /// A local file, `~` already expanded.
    Path(PathBuf),
    /// An http or https URL (`webcal://` already turned into `https://`).
    Url(String),
}

impl fmt::Debug for FeedLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedLocation::Path(p) => f.debug_tuple("Path").field(p).finish(),
            FeedLocation::Url(u) => f
                .debug_tuple("Url")
                .field(&crate::feed::redact_url(u))
                .finish(),
        }
    }
}

impl fmt::Display for FeedLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedLocation::Path(p) => write!(f, "{}", p.display()),
            FeedLocation::Url(u) => f.write_str(&crate::feed::redact_url(u)),
        }
    }
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
    let path = &paths.config_file;
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::NotFound { path: path.clone() })
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
    for w in &config.warnings {
        tracing::warn!("{w}");
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
            people: PeopleConfig {
                dir: data_dir.join("people"),
                prompts_per_person: DEFAULT_PROMPTS_PER_PERSON,
            },
            notify: NotifyConfig::default(),
            warnings: Vec::new(),
        })
    }
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
        let base = default_name(&location);
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

// ---------------------------------------------------------------------------
// Values shared with other modules

/// A calendar URL as rapport fetches it: `webcal://` and `webcals://` become
/// `https://` (what every calendar app does with them), `file://` becomes a
/// path. Only http and https are fetched.
pub fn normalize_url(text: &str) -> Result<FeedLocation, String> {
    let text = text.trim();
    let (scheme, rest) = match text.split_once("://") {
        Some(parts) => parts,
        None => return Err("not a URL; write https://... or give a file path".into()),
    };
    let url = match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => format!("{}://{rest}", scheme.to_ascii_lowercase()),
        "webcal" | "webcals" => format!("https://{rest}"),
        "file" => return Ok(FeedLocation::Path(expand_tilde(rest))),
        other => {
            return Err(format!(
                "unsupported scheme `{other}://`; use https://, http:// or webcal://, \
                 or path = \"...\" for a local file"
            ))
        }
    };
    match reqwest::Url::parse(&url) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => Ok(FeedLocation::Url(url)),
        Ok(_) => Err("the URL has no host; write https://HOST/PATH".into()),
        // url's errors never quote the URL, which may hold a token.
        Err(e) => Err(format!("not a valid URL ({e}); write https://HOST/PATH")),
    }
}

fn has_scheme(text: &str) -> bool {
    match text.split_once("://") {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.')
        }
        None => false,
    }
}

fn default_name(location: &FeedLocation) -> String {
    let name = match location {
        FeedLocation::Path(p) => p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        FeedLocation::Url(u) => reqwest::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
    };
    if name.is_empty() {
        "calendar".into()
    } else {
        name
    }
}

// ---------------------------------------------------------------------------
// Raw TOML (with spans) -> Config

type Span = Option<std::ops::Range<usize>>;

const TOP_KEYS: &[&str] = &["me", "calendar", "people", "notify"];
const ME_KEYS: &[&str] = &["name", "emails", "pitch"];
const CALENDAR_KEYS: &[&str] = &[
    "name",
    "url",
    "path",
    "refresh",
    "username",
    "password_command",
];
const PEOPLE_KEYS: &[&str] = &["dir", "prompts_per_person"];
const NOTIFY_KEYS: &[&str] = &[
    "lead",
    "debrief",
    "include_all_day",
    "only_with_people",
    "discreet",
    "max_late",
];

struct Checker<'a> {
    text: &'a str,
    problems: Vec<ConfigProblem>,
    /// Descriptions of secrets held in the file (never the secrets).
    secrets: Vec<String>,
    warnings: Vec<String>,
}

/// Returns the config and the secrets it holds (for the permission warning).
fn parse(text: &str, path: &Path, data_dir: &Path) -> Result<(Config, Vec<String>), ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let doc = match ImDocument::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            let (line, column) = line_col(text, at);
            return Err(invalid(vec![ConfigProblem {
                line,
                column,
                key: key_on_line(text, at),
                message: format!(
                    "TOML syntax error: {}; fix this spot (strings need \"quotes\", \
                     lists [\"a\", \"b\"])",
                    e.message().trim()
                ),
            }]));
        }
    };
    let mut ck = Checker {
        text,
        problems: Vec::new(),
        secrets: Vec::new(),
        warnings: Vec::new(),
    };
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let root = doc.as_table();
    ck.unknown_keys(root, "", TOP_KEYS);

    let me = match ck.section(root, "me") {
        Some(t) => ck.me(t),
        None => Me::default(),
    };
    let people = match ck.section(root, "people") {
        Some(t) => ck.people(t, &base_dir, data_dir),
        None => PeopleConfig {
            dir: data_dir.join("people"),
            prompts_per_person: DEFAULT_PROMPTS_PER_PERSON,
        },
    };
    let notify = match ck.section(root, "notify") {
        Some(t) => ck.notify(t),
        None => NotifyConfig::default(),
    };
    let calendars = ck.calendars(root, &base_dir);

    if !ck.problems.is_empty() {
        ck.problems.sort_by_key(|p| (p.line, p.column));
        return Err(invalid(ck.problems));
    }
    let mut warnings = std::mem::take(&mut ck.warnings);
    if me.emails.is_empty() {
        warnings.push(format!(
            "{}: [me] has no emails; add emails = [\"you@example.com\"] so rapport can tell \
             which attendee is you (declined meetings, your own status)",
            path.display()
        ));
    }
    Ok((
        Config {
            path: Some(path.to_path_buf()),
            me,
            calendars,
            people,
            notify,
            warnings,
        },
        ck.secrets,
    ))
}

impl Checker<'_> {
    fn problem(&mut self, span: Span, key: &str, message: String) {
        let (line, column) = line_col(self.text, span.map(|s| s.start).unwrap_or(0));
        self.problems.push(ConfigProblem {
            line,
            column,
            key: key.to_string(),
            message,
        });
    }

    /// Reports every key of `table` not in `allowed`, with a suggestion.
    fn unknown_keys(&mut self, table: &dyn TableLike, prefix: &str, allowed: &[&str]) {
        let keys: Vec<(String, Span)> = table
            .iter()
            .map(|(k, _)| (k.to_string(), table.key(k).and_then(Key::span)))
            .collect();
        for (key, span) in keys {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let full = join_key(prefix, &key);
            let section = if prefix.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in [{prefix}]")
            };
            let message = if prefix == "calendar" && is_password_key(&key) {
                self.secrets
                    .push("a plain password in a [[calendar]] entry".into());
                "plain passwords are not supported; store it in a password manager and set \
                 password_command = \"pass show calendars/work\" (run without a shell; the first \
                 line it prints is the password)"
                    .to_string()
            } else {
                match suggest(&key, allowed) {
                    Some(s) => format!(
                        "unknown key `{key}` {section}; did you mean `{s}`? (known: {})",
                        allowed.join(", ")
                    ),
                    None => format!(
                        "unknown key `{key}` {section}; known keys: {}",
                        allowed.join(", ")
                    ),
                }
            };
            self.problem(span, &full, message);
        }
    }

    /// A table section such as `[me]` (or `me = { ... }`).
    fn section<'t>(&mut self, root: &'t dyn TableLike, key: &str) -> Option<&'t dyn TableLike> {
        let item = root.get(key)?;
        match item.as_table_like() {
            Some(t) => Some(t),
            None => {
                let span = item.span().or_else(|| root.key(key).and_then(Key::span));
                self.problem(
                    span,
                    key,
                    format!(
                        "expected a section [{key}] with keys, found {}; write [{key}] on its \
                         own line followed by its keys",
                        item.type_name()
                    ),
                );
                None
            }
        }
    }

    fn value_span(table: &dyn TableLike, key: &str, item: &Item) -> Span {
        item.span().or_else(|| table.key(key).and_then(Key::span))
    }

    fn string(
        &mut self,
        table: &dyn TableLike,
        prefix: &str,
        key: &str,
        example: &str,
    ) -> Option<(String, Span)> {
        let item = table.get(key)?;
        let span = Self::value_span(table, key, item);
        match item.as_str() {
            Some(s) => Some((s.to_string(), span)),
            None => {
                self.problem(
                    span,
                    &join_key(prefix, key),
                    format!(
                        "expected a string, found {}; write {key} = {example}",
                        item.type_name()
                    ),
                );
                None
            }
        }
    }

    fn boolean(&mut self, table: &dyn TableLike, prefix: &str, key: &str) -> Option<bool> {
        let item = table.get(key)?;
        let span = Self::value_span(table, key, item);
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                let hint = match item.as_str() {
                    Some(s)
                        if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
                    {
                        format!("write {key} = {} without quotes", s.to_ascii_lowercase())
                    }
                    _ => format!("write {key} = true or {key} = false"),
                };
                self.problem(
                    span,
                    &join_key(prefix, key),
                    format!("expected true or false, found {}; {hint}", item.type_name()),
                );
                None
            }
        }
    }

    fn duration(&mut self, table: &dyn TableLike, prefix: &str, key: &str) -> Option<Duration> {
        let item = table.get(key)?;
        let span = Self::value_span(table, key, item);
        self.duration_value(item.as_value(), span, &join_key(prefix, key))
    }

    fn duration_value(
        &mut self,
        value: Option<&Value>,
        span: Span,
        full_key: &str,
    ) -> Option<Duration> {
        match value {
            Some(Value::String(s)) => match parse_duration(s.value()) {
                Ok(d) => Some(d),
                Err(message) => {
                    self.problem(span, full_key, message);
                    None
                }
            },
            Some(Value::Integer(n)) => {
                self.problem(
                    span,
                    full_key,
                    format!(
                        "a bare number has no unit; write a quoted duration such as \"{}m\" \
                         (accepted: \"90s\", \"15m\", \"1h30m\", \"2d\")",
                        n.value()
                    ),
                );
                None
            }
            other => {
                let found = other.map(Value::type_name).unwrap_or("a table");
                self.problem(
                    span,
                    full_key,
                    format!(
                        "expected a duration string, found {found}; write e.g. \"15m\" \
                         (accepted: \"90s\", \"15m\", \"1h30m\", \"2d\")"
                    ),
                );
                None
            }
        }
    }

    fn me(&mut self, t: &dyn TableLike) -> Me {
        self.unknown_keys(t, "me", ME_KEYS);
        let name = self
            .string(t, "me", "name", "\"Ada Lovelace\"")
            .map(|(s, _)| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let pitch = self
            .string(t, "me", "pitch", "\"I build ...\"")
            .map(|(s, _)| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let mut emails = Vec::new();
        if let Some(item) = t.get("emails") {
            let span = Self::value_span(t, "emails", item);
            let values: Vec<(Option<&str>, Span)> = match item.as_value() {
                Some(Value::String(s)) => vec![(Some(s.value().as_str()), span)],
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| (v.as_str(), v.span().or(span.clone())))
                    .collect(),
                _ => {
                    self.problem(
                        span.clone(),
                        "me.emails",
                        format!(
                            "expected a list of email addresses, found {}; write emails = \
                             [\"you@example.com\", \"you@home.example\"]",
                            item.type_name()
                        ),
                    );
                    Vec::new()
                }
            };
            for (value, vspan) in values {
                match value.map(str::trim) {
                    Some(e) if e.contains('@') && !e.contains(char::is_whitespace) => {
                        let e = e
                            .strip_prefix("mailto:")
                            .or_else(|| e.strip_prefix("MAILTO:"))
                            .unwrap_or(e)
                            .to_lowercase();
                        if !emails.contains(&e) {
                            emails.push(e);
                        }
                    }
                    Some(e) => self.problem(
                        vspan,
                        "me.emails",
                        format!("`{e}` is not an email address; write \"you@example.com\""),
                    ),
                    None => self.problem(
                        vspan,
                        "me.emails",
                        "each entry must be a quoted email address, e.g. \"you@example.com\""
                            .into(),
                    ),
                }
            }
        }
        Me {
            name,
            emails,
            pitch,
        }
    }

    fn people(&mut self, t: &dyn TableLike, base_dir: &Path, data_dir: &Path) -> PeopleConfig {
        self.unknown_keys(t, "people", PEOPLE_KEYS);
        let dir = match self.string(t, "people", "dir", "\"~/notes/people\"") {
            Some((s, span)) if s.trim().is_empty() => {
                self.problem(
                    span,
                    "people.dir",
                    "empty folder name; write dir = \"~/notes/people\" or remove the key".into(),
                );
                data_dir.join("people")
            }
            Some((s, _)) => resolve_path(s.trim(), base_dir),
            None => data_dir.join("people"),
        };
        let mut prompts_per_person = DEFAULT_PROMPTS_PER_PERSON;
        if let Some(item) = t.get("prompts_per_person") {
            let span = Self::value_span(t, "prompts_per_person", item);
            match item.as_integer() {
                Some(n) if (0..=50).contains(&n) => prompts_per_person = n as usize,
                Some(n) => self.problem(
                    span,
                    "people.prompts_per_person",
                    format!("{n} is out of range; write a number from 0 to 50 (default 3)"),
                ),
                None => self.problem(
                    span,
                    "people.prompts_per_person",
                    format!(
                        "expected a whole number, found {}; write prompts_per_person = 3",
                        item.type_name()
                    ),
                ),
            }
        }
        PeopleConfig {
            dir,
            prompts_per_person,
        }
    }

    fn notify(&mut self, t: &dyn TableLike) -> NotifyConfig {
        self.unknown_keys(t, "notify", NOTIFY_KEYS);
        let mut n = NotifyConfig::default();
        if let Some(item) = t.get("lead") {
            let span = Self::value_span(t, "lead", item);
            match item.as_value() {
                Some(Value::Array(a)) => {
                    let mut leads = Vec::new();
                    for v in a.iter() {
                        if let Some(d) =
                            self.duration_value(Some(v), v.span().or(span.clone()), "notify.lead")
                        {
                            leads.push(d);
                        }
                    }
                    // Longest lead first; one notification per distinct lead.
                    leads.sort_by(|a, b| b.cmp(a));
                    leads.dedup();
                    n.lead = leads;
                }
                Some(v @ Value::String(_)) => {
                    if let Some(d) = self.duration_value(Some(v), span, "notify.lead") {
                        n.lead = vec![d];
                    }
                }
                other => {
                    let found = other.map(Value::type_name).unwrap_or("a table");
                    self.problem(
                        span,
                        "notify.lead",
                        format!(
                            "expected a list of durations, found {found}; write lead = [\"10m\"] \
                             or lead = [\"15m\", \"2m\"]"
                        ),
                    );
                }
            }
        }
        if let Some(item) = t.get("debrief") {
            let span = Self::value_span(t, "debrief", item);
            match item.as_value() {
                Some(Value::String(s)) if s.value().trim().eq_ignore_ascii_case("off") => {
                    n.debrief = None
                }
                Some(Value::Boolean(b)) if !*b.value() => n.debrief = None,
                v => {
                    if let Some(d) = self.duration_value(v, span, "notify.debrief") {
                        n.debrief = Some(d);
                    }
                }
            }
        }
        if let Some(b) = self.boolean(t, "notify", "include_all_day") {
            n.include_all_day = b;
        }
        if let Some(b) = self.boolean(t, "notify", "only_with_people") {
            n.only_with_people = b;
        }
        if let Some(b) = self.boolean(t, "notify", "discreet") {
            n.discreet = b;
        }
        if let Some(d) = self.duration(t, "notify", "max_late") {
            n.max_late = d;
        }
        n
    }

    fn calendars(&mut self, root: &dyn TableLike, base_dir: &Path) -> Vec<CalendarSource> {
        let Some(item) = root.get("calendar") else {
            return Vec::new();
        };
        let key_span = root.key("calendar").and_then(Key::span);
        let tables: Vec<(&dyn TableLike, Span)> = match item {
            Item::ArrayOfTables(a) => a
                .iter()
                .map(|t| (t as &dyn TableLike, t.span().or(key_span.clone())))
                .collect(),
            Item::Value(Value::Array(a)) => {
                let mut v = Vec::new();
                for entry in a.iter() {
                    match entry.as_inline_table() {
                        Some(t) => v.push((t as &dyn TableLike, entry.span().or(key_span.clone()))),
                        None => self.problem(
                            entry.span().or(key_span.clone()),
                            "calendar",
                            format!(
                                "each calendar must be a table, found {}; write [[calendar]] \
                                 followed by name = ..., url = ...",
                                entry.type_name()
                            ),
                        ),
                    }
                }
                v
            }
            other => {
                self.problem(
                    other.span().or(key_span),
                    "calendar",
                    format!(
                        "expected a list of calendars, found {}; write [[calendar]] with two \
                         brackets, once per calendar",
                        if other.is_table() {
                            "a single [calendar] table"
                        } else {
                            other.type_name()
                        }
                    ),
                );
                Vec::new()
            }
        };
        let mut out: Vec<CalendarSource> = Vec::new();
        for (t, span) in tables {
            if let Some(c) = self.calendar(t, span.clone(), base_dir) {
                if out.iter().any(|o| o.name == c.name) {
                    let at = t.get("name").and_then(Item::span).or(span);
                    self.problem(
                        at,
                        "calendar.name",
                        format!(
                            "two calendars are named `{}`; give each one its own name = \"...\"",
                            c.name
                        ),
                    );
                } else {
                    out.push(c);
                }
            }
        }
        out
    }

    fn calendar(
        &mut self,
        t: &dyn TableLike,
        span: Span,
        base_dir: &Path,
    ) -> Option<CalendarSource> {
        let before = self.problems.len();
        self.unknown_keys(t, "calendar", CALENDAR_KEYS);
        let name = self.string(t, "calendar", "name", "\"Work\"");
        let url = self.string(t, "calendar", "url", "\"https://example.com/calendar.ics\"");
        let path = self.string(t, "calendar", "path", "\"~/calendars/work.ics\"");
        let location = match (url, path) {
            (Some((_, uspan)), Some(_)) => {
                self.problem(
                    uspan,
                    "calendar.url",
                    "both url and path are set; keep one: url for a feed on the web, path for a \
                     file on this machine"
                        .into(),
                );
                None
            }
            (None, None) => {
                if !t.contains_key("url") && !t.contains_key("path") {
                    self.problem(
                        span,
                        "calendar",
                        "this calendar has neither url nor path; add url = \"https://...\" \
                         (or webcal://...) or path = \"~/calendars/work.ics\""
                            .into(),
                    );
                }
                None
            }
            (Some((u, uspan)), None) => match normalize_url(&u) {
                Ok(loc) => {
                    if let FeedLocation::Url(url) = &loc {
                        if let Some(kind) = url_secret_kind(url) {
                            self.secrets.push(kind.to_string());
                        }
                    }
                    Some(loc)
                }
                Err(message) => {
                    self.problem(uspan, "calendar.url", message);
                    None
                }
            },
            (None, Some((p, pspan))) => {
                if p.trim().is_empty() {
                    self.problem(
                        pspan,
                        "calendar.path",
                        "empty path; write path = \"~/calendars/work.ics\"".into(),
                    );
                    None
                } else {
                    Some(FeedLocation::Path(resolve_path(p.trim(), base_dir)))
                }
            }
        };
        let refresh = match self.duration(t, "calendar", "refresh") {
            Some(d) if d.is_zero() => {
                let at = t.get("refresh").and_then(Item::span);
                self.problem(
                    at,
                    "calendar.refresh",
                    "a refresh of zero would fetch without pause; write e.g. \"15m\"".into(),
                );
                DEFAULT_REFRESH
            }
            Some(d) => d,
            None => DEFAULT_REFRESH,
        };
        let username = self
            .string(t, "calendar", "username", "\"me@example.com\"")
            .map(|(s, _)| s);
        let password_command = match t.get("password_command") {
            None => None,
            Some(item) => {
                let pspan = Self::value_span(t, "password_command", item);
                let words = match item.as_value() {
                    Some(Value::String(s)) => match shlex::split(s.value()) {
                        Some(w) => Some(w),
                        None => {
                            self.problem(
                                pspan.clone(),
                                "calendar.password_command",
                                "unbalanced quotes; write password_command = \"pass show \
                                 calendars/work\" or a list [\"pass\", \"show\", \"calendars/work\"]"
                                    .into(),
                            );
                            None
                        }
                    },
                    Some(Value::Array(a)) => {
                        let words: Vec<Option<String>> =
                            a.iter().map(|v| v.as_str().map(str::to_owned)).collect();
                        if words.iter().all(Option::is_some) {
                            Some(words.into_iter().flatten().collect())
                        } else {
                            self.problem(
                                pspan.clone(),
                                "calendar.password_command",
                                "every word of the command must be a quoted string; write \
                                 [\"pass\", \"show\", \"calendars/work\"]"
                                    .into(),
                            );
                            None
                        }
                    }
                    _ => {
                        self.problem(
                            pspan.clone(),
                            "calendar.password_command",
                            format!(
                                "expected a command, found {}; write password_command = \
                                 \"pass show calendars/work\"",
                                item.type_name()
                            ),
                        );
                        None
                    }
                };
                match words {
                    Some(w) if w.is_empty() || w[0].trim().is_empty() => {
                        self.problem(
                            pspan,
                            "calendar.password_command",
                            "empty command; write password_command = \"pass show calendars/work\""
                                .into(),
                        );
                        None
                    }
                    Some(mut w) => {
                        w[0] = expand_tilde(&w[0]).to_string_lossy().into_owned();
                        Some(w)
                    }
                    None => None,
                }
            }
        };
        if password_command.is_some() && username.is_none() {
            let at = t.get("password_command").and_then(Item::span);
            self.problem(
                at,
                "calendar.password_command",
                "password_command needs a username; add username = \"...\" to this calendar".into(),
            );
        }
        if matches!(&location, Some(FeedLocation::Path(_))) && username.is_some() {
            let at = t.get("username").and_then(Item::span);
            self.problem(
                at,
                "calendar.username",
                "username and password_command only apply to url calendars; remove them or use \
                 url = \"https://...\""
                    .into(),
            );
        }
        let location = location?;
        if self.problems.len() != before {
            return None;
        }
        if let FeedLocation::Url(u) = &location {
            if u.starts_with("http://") && username.is_some() {
                self.warnings.push(format!(
                    "calendar at {}: the password goes over plain http, readable on the \
                     network; use https:// if the server offers it",
                    crate::feed::redact_url(u)
                ));
            }
        }
        let name = match name {
            Some((n, nspan)) => {
                let n = n.trim().to_string();
                if n.is_empty() {
                    self.problem(
                        nspan,
                        "calendar.name",
                        "empty name; write name = \"Work\" or remove the key".into(),
                    );
                    return None;
                }
                n
            }
            None => default_name(&location),
        };
        Some(CalendarSource {
            name,
            location,
            refresh,
            username,
            password_command,
        })
    }
}

/// What kind of secret a calendar URL holds, if any: credentials, or
/// anything after the host (the parts [`crate::feed::redact_url`] hides: the
/// secret of a shared link can be any part of it).
fn url_secret_kind(url: &str) -> Option<&'static str> {
    if let Ok(u) = reqwest::Url::parse(url) {
        if u.password().is_some() {
            return Some("a password inside a calendar URL");
        }
    }
    if crate::feed::redact_url(url) != url.trim_end_matches('/') {
        return Some("a calendar link (whoever has it can read the calendar)");
    }
    None
}

/// A warning when the config file can be read by other users and holds a
/// secret; `None` when it is private, holds none, or cannot be inspected.
fn readable_secret_warning(path: &Path, secrets: &[String]) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let first = secrets.first()?;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    if mode & 0o044 == 0 {
        return None;
    }
    Some(format!(
        "{}: this file holds {first} and other users can read it (mode {mode:03o}); \
         run `chmod 600 {}`",
        path.display(),
        path.display()
    ))
}

fn resolve_path(text: &str, base_dir: &Path) -> PathBuf {
    let p = expand_tilde(text);
    if p.is_relative() {
        base_dir.join(p)
    } else {
        p
    }
}

fn is_password_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k != "password_command"
        && (k.contains("password") || k.contains("passwd") || k == "secret" || k == "token")
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, text[line_start..at].chars().count() + 1)
}

/// The `key` of a `key = value` line containing byte `at`, for syntax errors.
fn key_on_line(text: &str, at: usize) -> String {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[at..].find('\n').map(|i| at + i).unwrap_or(text.len());
    let line = text[start..end].trim();
    if let Some((k, _)) = line.split_once('=') {
        let k = k.trim();
        if !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.\"".contains(c))
        {
            return k.trim_matches('"').to_string();
        }
    }
    if line.starts_with('[') {
        return line
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_string();
    }
    "(syntax)".into()
}

/// The allowed key closest to `key`, if it is close enough to be a typo.
fn suggest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let key_l = key.to_ascii_lowercase().replace('-', "_");
    allowed
        .iter()
        .map(|a| {
            let d = if a.starts_with(&key_l) || key_l.starts_with(a) {
                1
            } else {
                levenshtein(&key_l, a)
            };
            (d, *a)
        })
        .filter(|(d, a)| *d <= (a.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
