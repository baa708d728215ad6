//! Where a feed comes from: a [`CalendarSource`] (built by the config, or
//! from `--ics`) and its [`FeedLocation`], a file or an http(s) link.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::redact::redact_url;
use crate::util::paths::expand_tilde;

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarSource {
    pub name: String,
    pub location: FeedLocation,
    pub refresh: Duration,
    pub username: Option<String>,
    /// A command whose stdout (first line) is the password; run without a shell.
    pub password_command: Option<Vec<String>>,
}

/// Debug and Display redact the URL (see [`redact_url`]): a
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
            FeedLocation::Url(u) => f.debug_tuple("Url").field(&redact_url(u)).finish(),
        }
    }
}

impl fmt::Display for FeedLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedLocation::Path(p) => write!(f, "{}", p.display()),
            FeedLocation::Url(u) => f.write_str(&redact_url(u)),
        }
    }
}

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
    match url::Url::parse(&url) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => Ok(FeedLocation::Url(url)),
        Ok(_) => Err("the URL has no host; write https://HOST/PATH".into()),
        // url's errors never quote the URL, which may hold a token.
        Err(e) => Err(format!("not a valid URL ({e}); write https://HOST/PATH")),
    }
}

/// Whether `text` starts with a scheme (`name://`): an `--ics` argument that
/// is a link, not a file path.
pub fn has_scheme(text: &str) -> bool {
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

impl FeedLocation {
    /// The name a calendar gets when the config or `--ics` gives none: the
    /// file's stem or the host, else "calendar".
    pub fn default_name(&self) -> String {
        let name = match self {
            FeedLocation::Path(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            FeedLocation::Url(u) => url::Url::parse(u)
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
}
