//! Reading a calendar source's bytes: local files and http(s)/webcal feeds.
//!
//! One [`FeedFetcher`] (one HTTP client, one cache folder) serves `rapport
//! agenda`, `rapport check` and the daemon. For URLs it keeps the last good
//! body with its validators (ETag, Last-Modified) in the cache folder, sends a
//! conditional GET, and when a fetch fails returns the cached copy with the
//! error attached ([`FetchStatus::CachedAfterError`]), so a restart without
//! network still knows the meetings.
//!
//! Use: one `FeedFetcher::new(paths.cache_dir.clone(), FetchLimits::default())`
//! per process. The daemon awaits [`FeedFetcher::fetch`] per refresh and backs
//! off by [`FeedError::retry_after`] (also on the error inside
//! `CachedAfterError`); a `NotModified` body needs no new parse. The CLI
//! calls [`FeedFetcher::fetch_all_blocking`].
//!
//! Published calendar links are secrets: every log line and error goes
//! through [`redact_url`], and error details from the HTTP stack are scrubbed
//! of the URL's secret parts as well.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

mod cache;
mod fetch;
mod password;
mod redact;
mod source;

pub use fetch::{ends_calendar, parse_retry_after, request_url, sniff_calendar, FeedFetcher};
pub use password::{password_command_output, PASSWORD_MAX_BYTES, PASSWORD_OUTPUT_LIMIT};
pub use redact::{full_url_for_display, redact_url};
pub use source::{has_scheme, normalize_url, CalendarSource, FeedLocation};

/// Default cap on a calendar body (after decompression).
/// Exchange and shared team calendars with years of history reach 90 MB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 10;
/// How long a `password_command` may run (it may wait for a pinentry).
pub const PASSWORD_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// A Retry-After longer than this is treated as this (a typo on the server
/// must not silence a calendar for a month).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Limits for one fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Time to establish the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time for the whole request, body included.
    pub total_timeout: Duration,
    /// Largest body accepted, counted after gzip decompression.
    pub max_body_bytes: u64,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// How the body of a [`Fetched`] came about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchStatus {
    /// Newly read (a local file, or a 200 from the server).
    Fresh,
    /// The server answered 304, or sent the same bytes as the cached copy:
    /// the body is unchanged since the last fetch, so the caller need not
    /// parse it again.
    NotModified,
    /// The fetch failed; the body is the last good copy from the cache.
    CachedAfterError(FeedError),
}

/// A calendar body and where it came from. (Debug shows the body's length,
/// not the body.)
#[derive(Clone)]
pub struct Fetched {
    pub body: Arc<Vec<u8>>,
    pub status: FetchStatus,
    /// When the body was read: now for `Fresh` and `NotModified`; for
    /// `CachedAfterError`, when the cached copy was last fetched.
    pub fetched_at: DateTime<Utc>,
}

impl Fetched {
    /// The error behind a cached body, if the fetch failed.
    pub fn error(&self) -> Option<&FeedError> {
        match &self.status {
            FetchStatus::CachedAfterError(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("body_len", &self.body.len())
            .field("status", &self.status)
            .field("fetched_at", &self.fetched_at)
            .finish()
    }
}

/// Why a calendar could not be read. Every URL in it is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedError {
    /// A local file could not be read.
    File {
        feed: String,
        path: PathBuf,
        message: String,
    },
    /// The host name did not resolve.
    Dns {
        feed: String,
        url: String,
        detail: String,
    },
    /// The TCP connection failed (refused, unreachable, reset).
    Connect {
        feed: String,
        url: String,
        detail: String,
    },
    /// TLS failed (untrusted certificate, not TLS at all). Never skipped.
    Tls {
        feed: String,
        url: String,
        detail: String,
    },
    /// No complete answer in time.
    Timeout {
        feed: String,
        url: String,
        after: Duration,
    },
    /// The server answered with an error status.
    Http {
        feed: String,
        url: String,
        status: u16,
        /// From a `Retry-After` header (429, 503), capped at [`MAX_RETRY_AFTER`].
        retry_after: Option<Duration>,
    },
    /// The body is larger than [`FetchLimits::max_body_bytes`].
    TooLarge {
        feed: String,
        url: String,
        limit: u64,
    },
    /// The body is not a calendar (e.g. an HTML login page); `what` says what it is.
    NotCalendar {
        feed: String,
        url: String,
        what: String,
    },
    /// Redirect loop, too many redirects, or a redirect from https to http.
    Redirect {
        feed: String,
        url: String,
        detail: String,
    },
    /// The connection ended before the whole body arrived, or it could not be
    /// decompressed.
    Truncated {
        feed: String,
        url: String,
        detail: String,
    },
    /// `password_command` failed (its output is never shown).
    PasswordCommand { feed: String, detail: String },
    /// The fetcher itself could not be set up.
    Setup { message: String },
}

impl FeedError {
    /// The calendar name this error is about (empty for `Setup`).
    pub fn feed(&self) -> &str {
        match self {
            FeedError::File { feed, .. }
            | FeedError::Dns { feed, .. }
            | FeedError::Connect { feed, .. }
            | FeedError::Tls { feed, .. }
            | FeedError::Timeout { feed, .. }
            | FeedError::Http { feed, .. }
            | FeedError::TooLarge { feed, .. }
            | FeedError::NotCalendar { feed, .. }
            | FeedError::Redirect { feed, .. }
            | FeedError::Truncated { feed, .. }
            | FeedError::PasswordCommand { feed, .. } => feed,
            FeedError::Setup { .. } => "",
        }
    }

    /// How long the server asked us to wait (429/503 `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FeedError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status, when the server answered with an error.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FeedError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for FeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeedError::File {
                feed,
                path,
                message,
            } => write!(
                f,
                "calendar `{feed}`: cannot read {}: {message}; check the path in the config",
                path.display()
            ),
            FeedError::Dns { feed, url, detail } => write!(
                f,
                "calendar `{feed}` ({url}): the host name does not resolve ({detail}); check the \
                 URL and the network"
            ),
            FeedError::Connect { feed, url, detail } => write!(
                f,
                "calendar `{feed}` ({url}): cannot connect ({detail}); check the URL and the \
                 network, rapport retries later"
            ),
            FeedError::Tls { feed, url, detail } => write!(
                f,
                "calendar `{feed}` ({url}): TLS failed ({detail}); the server's certificate is \
                 not trusted or it does not speak https (rapport never skips this check)"
            ),
            FeedError::Timeout { feed, url, after } => write!(
                f,
                "calendar `{feed}` ({url}): no complete answer within {}; the server or the \
                 network is too slow, rapport retries later",
                crate::util::duration::format_duration(*after)
            ),
            FeedError::Http {
                feed,
                url,
                status,
                retry_after,
            } => {
                let reason = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                write!(f, "calendar `{feed}` ({url}): HTTP {status} {reason}; ")?;
                match status {
                    401 | 403 => write!(
                        f,
                        "check username and password_command for this calendar, or whether the \
                         link is still shared"
                    ),
                    404 | 410 => write!(
                        f,
                        "the link is wrong or no longer shared; copy the calendar's iCal address \
                         again"
                    ),
                    429 | 503 => match retry_after {
                        Some(d) => write!(
                            f,
                            "the server asks to wait {} before trying again",
                            crate::util::duration::format_duration(*d)
                        ),
                        None => write!(f, "the server is busy; rapport retries later"),
                    },
                    500..=599 => write!(f, "the server failed; rapport retries later"),
                    _ => write!(f, "the server did not send the calendar"),
                }
            }
            FeedError::TooLarge { feed, url, limit } => write!(
                f,
                "calendar `{feed}` ({url}): the body is larger than {}, refused; this is not \
                 a normal calendar (ask for a shorter export)",
                human_bytes(*limit)
            ),
            FeedError::NotCalendar { feed, url, what } => write!(
                f,
                "calendar `{feed}` ({url}): the server sent {what} instead of a calendar; use \
                 the calendar's iCal/ICS address, not the link to its web page"
            ),
            FeedError::Redirect { feed, url, detail } => write!(
                f,
                "calendar `{feed}` ({url}): {detail}; open the link in a browser to see where \
                 it leads and put the final address in the config"
            ),
            FeedError::Truncated { feed, url, detail } => write!(
                f,
                "calendar `{feed}` ({url}): {detail}; rapport retries later"
            ),
            FeedError::PasswordCommand { feed, detail } => write!(
                f,
                "calendar `{feed}`: password_command {detail}; run it by hand to check it \
                 prints the password on its first line"
            ),
            FeedError::Setup { message } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for FeedError {}

fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{} MB", n / (1024 * 1024))
    } else if n >= 1024 {
        format!("{} kB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests;
