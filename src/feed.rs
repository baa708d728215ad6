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
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{CalendarSource, FeedLocation};

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

/// Fetches calendar sources; holds one HTTP client and the cache folder.
pub struct FeedFetcher {
    client: reqwest::Client,
    cache_dir: PathBuf,
    limits: FetchLimits,
    /// Current-thread runtime for [`FeedFetcher::fetch_blocking`], created on
    /// first use and kept, because pooled connections belong to the runtime
    /// that opened them.
    runtime: OnceLock<tokio::runtime::Runtime>,
}

impl fmt::Debug for FeedFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedFetcher")
            .field("cache_dir", &self.cache_dir)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// Why the redirect policy stopped (found again in the error's source chain).
#[derive(Debug)]
struct RedirectStop(&'static str);

impl fmt::Display for RedirectStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for RedirectStop {}

impl FeedFetcher {
    /// Cached bodies go to `cache_dir/feeds/` (created on first write, 0700).
    pub fn new(cache_dir: PathBuf, limits: FetchLimits) -> Result<Self, FeedError> {
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            let previous = attempt.previous();
            if previous.len() > MAX_REDIRECTS {
                attempt.error(RedirectStop("too many redirects"))
            } else if previous.iter().any(|u| u == attempt.url()) {
                attempt.error(RedirectStop("the server redirects in a loop"))
            } else if previous.last().is_some_and(|p| p.scheme() == "https")
                && attempt.url().scheme() != "https"
            {
                // Following would send the request (and credentials) in clear.
                attempt.error(RedirectStop(
                    "the server redirects from https to plain http",
                ))
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.total_timeout)
            .redirect(policy)
            .gzip(true)
            .user_agent(concat!("rapport/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FeedError::Setup {
                message: format!("cannot set up the HTTP client: {}", e.without_url()),
            })?;
        Ok(FeedFetcher {
            client,
            cache_dir,
            limits,
            runtime: OnceLock::new(),
        })
    }

    pub fn limits(&self) -> FetchLimits {
        self.limits
    }

    /// Reads one calendar source. A URL that fails with a cached copy yields
    /// `Ok` with [`FetchStatus::CachedAfterError`]; without one, the error.
    pub async fn fetch(&self, source: &CalendarSource) -> Result<Fetched, FeedError> {
        match &source.location {
            FeedLocation::Path(path) => self.fetch_file(&source.name, path).await,
            FeedLocation::Url(url) => self.fetch_url(source, &request_url(url)).await,
        }
    }

    /// The last good body of a URL source from the cache, without any
    /// network: what the daemon parses again when its window of occurrences
    /// moves. `None` for a local file (never cached: read the file itself),
    /// or when there is no usable cached copy. Blocking file I/O.
    pub fn cached_body(&self, source: &CalendarSource) -> Option<Vec<u8>> {
        match &source.location {
            FeedLocation::Url(url) => {
                read_cache(&self.cache_path(&request_url(url))).map(|c| c.body)
            }
            FeedLocation::Path(_) => None,
        }
    }

    /// [`FeedFetcher::fetch`] for synchronous callers (the CLI), on the
    /// fetcher's own current-thread runtime. Must not be called from inside an
    /// async runtime (it returns an error then).
    pub fn fetch_blocking(&self, source: &CalendarSource) -> Result<Fetched, FeedError> {
        self.blocking_runtime()?.block_on(self.fetch(source))
    }

    /// Fetches several sources concurrently, results in the same order.
    pub fn fetch_all_blocking(
        &self,
        sources: &[CalendarSource],
    ) -> Result<Vec<Result<Fetched, FeedError>>, FeedError> {
        let rt = self.blocking_runtime()?;
        Ok(rt.block_on(futures_util::future::join_all(
            sources.iter().map(|s| self.fetch(s)),
        )))
    }

    fn blocking_runtime(&self) -> Result<&tokio::runtime::Runtime, FeedError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(FeedError::Setup {
                message: "fetch_blocking was called inside an async runtime; use fetch().await"
                    .into(),
            });
        }
        if let Some(rt) = self.runtime.get() {
            return Ok(rt);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| FeedError::Setup {
                message: format!("cannot start the I/O runtime: {e}"),
            })?;
        Ok(self.runtime.get_or_init(|| rt))
    }

    async fn fetch_file(&self, feed: &str, path: &Path) -> Result<Fetched, FeedError> {
        let path = crate::util::paths::expand_tilde_path(path);
        let file_error = |message: String| FeedError::File {
            feed: feed.to_string(),
            path: path.clone(),
            message,
        };
        let limit = self.limits.max_body_bytes;
        let read_path = path.clone();
        // One blocking read into a buffer of the file's size: tokio's file
        // reads go through small chunks, and a growing Vec would double
        // (copying) up to twice the size of a 90 MB export.
        let body = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Vec<u8>>> {
            use std::io::Read;
            let file = std::fs::File::open(&read_path)?;
            let size = file.metadata()?.len();
            if size > limit {
                return Ok(None);
            }
            let mut body = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
            file.take(limit + 1).read_to_end(&mut body)?;
            Ok(Some(body))
        })
        .await
        .map_err(|e| file_error(e.to_string()))?
        .map_err(|e| file_error(e.to_string()))?;
        let body = match body {
            Some(b) if b.len() as u64 <= limit => b,
            _ => {
                return Err(file_error(format!(
                    "larger than {}, refused (not a normal calendar)",
                    human_bytes(limit)
                )))
            }
        };
        if looks_like_html(&body) {
            return Err(file_error(
                "it is an HTML page, not a calendar; export the calendar as .ics".into(),
            ));
        }
        // Bare VEVENT files exist and are read, but a calendar cut short (a
        // copy still being written) looks the same: say so.
        if !ends_calendar(&body) {
            tracing::warn!(
                "calendar `{feed}` ({}): the file does not end with END:VCALENDAR, so it may be \
                 cut short; read anyway",
                path.display()
            );
        }
        tracing::debug!(feed, path = %path.display(), bytes = body.len(), "read calendar file");
        Ok(Fetched {
            body: Arc::new(body),
            status: FetchStatus::Fresh,
            fetched_at: Utc::now(),
        })
    }

    async fn fetch_url(&self, source: &CalendarSource, url: &str) -> Result<Fetched, FeedError> {
        let feed = source.name.as_str();
        let redacted = redact_url(url);
        let cache_path = self.cache_path(url);
        // Only the header now: the cached body (as big as the feed) is read
        // when it is needed, after a 304 or an error.
        let cached_meta = {
            let p = cache_path.clone();
            tokio::task::spawn_blocking(move || read_cache_meta(&p))
                .await
                .ok()
                .flatten()
        };
        let outcome = self.request(source, url, cached_meta.as_ref()).await;
        let cached = match (&outcome, &cached_meta) {
            (Ok(Response::Fresh(_)), _) | (_, None) => None,
            _ => {
                let p = cache_path.clone();
                tokio::task::spawn_blocking(move || read_cache(&p))
                    .await
                    .ok()
                    .flatten()
            }
        };
        match (outcome, cached) {
            (Ok(Response::Fresh(fresh)), _) => {
                let now = Utc::now();
                let digest = body_digest(&fresh.body);
                let same_bytes = cached_meta
                    .as_ref()
                    .is_some_and(|m| m.digest == Some(digest) && m.len == fresh.body.len() as u64);
                let meta = CacheMeta {
                    version: CACHE_VERSION,
                    url: redacted.clone(),
                    etag: fresh.etag,
                    last_modified: fresh.last_modified,
                    fetched_at: now,
                    len: fresh.body.len() as u64,
                    digest: Some(digest),
                };
                let body = Arc::new(fresh.body);
                // The same bytes with the same validators: the cached copy is
                // already this one (no 17 MB rewrite and fsync per refresh).
                let rewrite = !same_bytes
                    || cached_meta.as_ref().is_some_and(|m| {
                        m.etag != meta.etag || m.last_modified != meta.last_modified
                    });
                if rewrite {
                    let to_write = body.clone();
                    let written = tokio::task::spawn_blocking(move || {
                        write_cache(&cache_path, &meta, &to_write)
                    })
                    .await;
                    match written {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => {
                            tracing::warn!(feed, url = %redacted, "cannot write the feed cache: {e}")
                        }
                        Err(e) => {
                            tracing::warn!(feed, url = %redacted, "cannot write the feed cache: {e}")
                        }
                    }
                }
                if same_bytes {
                    // A server without validators sends the whole feed each
                    // time; the same bytes need no new parse.
                    tracing::debug!(feed, url = %redacted, "calendar unchanged (same bytes)");
                    return Ok(Fetched {
                        body,
                        status: FetchStatus::NotModified,
                        fetched_at: now,
                    });
                }
                tracing::info!(feed, url = %redacted, bytes = body.len(), "fetched calendar");
                Ok(Fetched {
                    body,
                    status: FetchStatus::Fresh,
                    fetched_at: now,
                })
            }
            (Ok(Response::NotModified), Some(c)) => {
                tracing::debug!(feed, url = %redacted, "calendar not modified");
                Ok(Fetched {
                    body: Arc::new(c.body),
                    status: FetchStatus::NotModified,
                    fetched_at: Utc::now(),
                })
            }
            (Ok(Response::NotModified), None) => Err(FeedError::Http {
                feed: feed.to_string(),
                url: redacted,
                status: 304,
                retry_after: None,
            }),
            (Err(e), Some(c)) => {
                tracing::warn!(feed, "{e}; using the copy fetched at {}", c.meta.fetched_at);
                Ok(Fetched {
                    body: Arc::new(c.body),
                    status: FetchStatus::CachedAfterError(e),
                    fetched_at: c.meta.fetched_at,
                })
            }
            (Err(e), None) => {
                tracing::warn!(feed, "{e}");
                Err(e)
            }
        }
    }

    /// One conditional GET with the total timeout over everything.
    async fn request(
        &self,
        source: &CalendarSource,
        url: &str,
        cached: Option<&CacheMeta>,
    ) -> Result<Response, FeedError> {
        let feed = source.name.as_str();
        let password = match (&source.username, &source.password_command) {
            (Some(_), Some(cmd)) => {
                Some(password_command_output(cmd, feed, PASSWORD_COMMAND_TIMEOUT).await?)
            }
            _ => None,
        };
        let mut req = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "text/calendar, */*;q=0.5");
        if let Some(user) = &source.username {
            req = req.basic_auth(user, password);
        }
        if let Some(meta) = cached {
            if let Some(etag) = &meta.etag {
                req = req.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &meta.last_modified {
                req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            }
        }
        let limits = self.limits;
        let timeout_error = || FeedError::Timeout {
            feed: feed.to_string(),
            url: redact_url(url),
            after: limits.total_timeout,
        };
        // reqwest's own timeout covers this too; the outer one also bounds
        // the body loop whatever the client does.
        match tokio::time::timeout(limits.total_timeout, self.send_and_read(req, feed, url)).await {
            Ok(result) => result,
            Err(_) => Err(timeout_error()),
        }
    }

    async fn send_and_read(
        &self,
        req: reqwest::RequestBuilder,
        feed: &str,
        url: &str,
    ) -> Result<Response, FeedError> {
        let mut resp = req.send().await.map_err(|e| self.classify(e, feed, url))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Response::NotModified);
        }
        if !status.is_success() {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, Utc::now()));
            return Err(FeedError::Http {
                feed: feed.to_string(),
                url: redact_url(url),
                status: status.as_u16(),
                retry_after,
            });
        }
        let header = |name: reqwest::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let too_large = || FeedError::TooLarge {
            feed: feed.to_string(),
            url: redact_url(url),
            limit: self.limits.max_body_bytes,
        };
        // Known only for uncompressed bodies; compressed ones are counted below.
        if resp
            .content_length()
            .is_some_and(|n| n > self.limits.max_body_bytes)
        {
            return Err(too_large());
        }
        // Sized from Content-Length when the server sends it (a growing Vec
        // copies the body over and over and can hold twice its size); never
        // more than the cap, since the length is only a claim.
        let mut body: Vec<u8> = Vec::with_capacity(resp.content_length().map_or(0, |n| {
            usize::try_from(n.min(self.limits.max_body_bytes)).unwrap_or(0)
        }));
        // Counted on the decompressed stream, so a gzip bomb stops at the cap.
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.classify(e, feed, url))?
        {
            if (body.len() + chunk.len()) as u64 > self.limits.max_body_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if let Err(what) = sniff_calendar(&body, content_type.as_deref()) {
            return Err(FeedError::NotCalendar {
                feed: feed.to_string(),
                url: redact_url(url),
                what,
            });
        }
        // A body cut short (a Content-Length smaller than the calendar, a
        // connection closed early with no Content-Length) still starts like a
        // calendar; taken as fresh it would replace the good cached copy and
        // hide every meeting after the cut.
        if !ends_calendar(&body) {
            return Err(FeedError::Truncated {
                feed: feed.to_string(),
                url: redact_url(url),
                detail: format!(
                    "the calendar stops after {} without END:VCALENDAR (cut short)",
                    human_bytes(body.len() as u64)
                ),
            });
        }
        Ok(Response::Fresh(FreshBody {
            body,
            etag,
            last_modified,
        }))
    }

    /// Maps a reqwest error to a [`FeedError`] whose text holds no secret.
    fn classify(&self, err: reqwest::Error, feed: &str, url: &str) -> FeedError {
        let err = err.without_url();
        let feed = feed.to_string();
        let redacted = redact_url(url);
        let mut parts: Vec<String> = Vec::new();
        let mut redirect_stop = None;
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(stop) = e.downcast_ref::<RedirectStop>() {
                redirect_stop = Some(stop.0);
            }
            let text = e.to_string();
            if !parts.iter().any(|p| p.contains(&text)) {
                parts.push(text);
            }
            source = e.source();
        }
        // The innermost messages are the informative ones; the outer layers
        // only say which library gave up.
        let detail = scrub(
            &parts
                .iter()
                .skip(1)
                .filter(|p| {
                    !(p.starts_with("client error")
                        || p.starts_with("error sending request")
                        || p.starts_with("request or response body error"))
                })
                .cloned()
                .collect::<Vec<_>>()
                .join(": "),
            url,
        );
        let detail = if detail.is_empty() {
            scrub(&parts.join(": "), url)
        } else {
            detail
        };
        let lower = detail.to_ascii_lowercase();
        if err.is_timeout() {
            return FeedError::Timeout {
                feed,
                url: redacted,
                after: self.limits.total_timeout,
            };
        }
        if err.is_redirect() || redirect_stop.is_some() {
            return FeedError::Redirect {
                feed,
                url: redacted,
                detail: redirect_stop.unwrap_or("redirect failed").to_string(),
            };
        }
        if lower.contains("dns error")
            || lower.contains("failed to lookup address")
            || lower.contains("name or service not known")
            || lower.contains("no address associated")
        {
            return FeedError::Dns {
                feed,
                url: redacted,
                detail,
            };
        }
        if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
            || lower.contains("corrupt message")
            || lower.contains("invalidcontenttype")
        {
            return FeedError::Tls {
                feed,
                url: redacted,
                detail,
            };
        }
        if err.is_connect() {
            return FeedError::Connect {
                feed,
                url: redacted,
                detail,
            };
        }
        if err.is_body() || err.is_decode() {
            return FeedError::Truncated {
                feed,
                url: redacted,
                detail: format!("the body did not arrive whole ({detail})"),
            };
        }
        FeedError::Connect {
            feed,
            url: redacted,
            detail,
        }
    }

    /// `cache_dir/feeds/<sha256 of the URL>.feed`: the URL itself is a secret.
    fn cache_path(&self, url: &str) -> PathBuf {
        let digest = ring::digest::digest(&ring::digest::SHA256, url.as_bytes());
        let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        self.cache_dir.join("feeds").join(format!("{hex}.feed"))
    }
}

impl Drop for FeedFetcher {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime;
        // shutting it down in the background never does.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

enum Response {
    Fresh(FreshBody),
    NotModified,
}

struct FreshBody {
    body: Vec<u8>,
    etag: Option<String>,
    last_modified: Option<String>,
}

// ---------------------------------------------------------------------------
// Cache: one file per URL, a header line, a JSON line, then the body, written
// atomically so the validators always belong to the body next to them.

const CACHE_MAGIC: &str = "rapport-feed-cache";
const CACHE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheMeta {
    version: u32,
    /// Redacted, for a human looking at the cache folder.
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched_at: DateTime<Utc>,
    len: u64,
    /// [`body_digest`] of the body, to know a 200 with the same bytes
    /// without reading the cached copy (absent in caches of older versions).
    #[serde(default)]
    digest: Option<u64>,
}

/// A 64-bit FNV-1a over 8-byte words: a few ms for a 17 MB feed. It only
/// tells a changed feed from an unchanged one (the server chooses the bytes
/// anyway, so nothing is gained by fooling it).
fn body_digest(body: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut acc: u64 = 0xcbf2_9ce4_8422_2325 ^ body.len() as u64;
    let mut words = body.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        acc = (acc ^ w).wrapping_mul(PRIME);
    }
    for &b in words.remainder() {
        acc = (acc ^ u64::from(b)).wrapping_mul(PRIME);
    }
    acc
}

/// The header of a cache file, without reading its body: what a request
/// needs (validators, digest). `None` when missing, damaged or cut short.
fn read_cache_meta(path: &Path) -> Option<CacheMeta> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut reader = std::io::BufReader::with_capacity(4096, file);
    let mut magic = String::new();
    reader.read_line(&mut magic).ok()?;
    if magic.trim_end_matches('\n') != CACHE_MAGIC {
        return None;
    }
    let mut json = String::new();
    reader.read_line(&mut json).ok()?;
    let meta: CacheMeta = serde_json::from_str(json.trim_end_matches('\n')).ok()?;
    let header = (magic.len() + json.len()) as u64;
    (meta.version == CACHE_VERSION && header + meta.len == size).then_some(meta)
}

struct CacheEntry {
    meta: CacheMeta,
    body: Vec<u8>,
}

fn read_cache(path: &Path) -> Option<CacheEntry> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot read the feed cache: {e}");
            return None;
        }
    };
    let header = (|| {
        let first = bytes.iter().position(|b| *b == b'\n')?;
        if &bytes[..first] != CACHE_MAGIC.as_bytes() {
            return None;
        }
        let rest = &bytes[first + 1..];
        let second = rest.iter().position(|b| *b == b'\n')?;
        let meta: CacheMeta = serde_json::from_slice(&rest[..second]).ok()?;
        let body_start = first + 1 + second + 1;
        (meta.version == CACHE_VERSION && meta.len == (bytes.len() - body_start) as u64)
            .then_some((meta, body_start))
    })();
    let parsed = header.map(|(meta, body_start)| {
        // The body is the file minus its two header lines: moved to the
        // front in place, not copied (a second buffer of a 90 MB feed).
        let mut body = bytes;
        body.drain(..body_start);
        CacheEntry { meta, body }
    });
    if parsed.is_none() {
        tracing::warn!(path = %path.display(), "ignoring a damaged feed cache file");
    }
    parsed
}

fn write_cache(path: &Path, meta: &CacheMeta, body: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            // The cache folder and its `feeds/`, both 0700.
            crate::util::fs::create_private_dir(dir)?;
        }
    }
    let mut header = CACHE_MAGIC.as_bytes().to_vec();
    header.push(b'\n');
    serde_json::to_writer(&mut header, meta).map_err(std::io::Error::other)?;
    header.push(b'\n');
    // Header and body written as two parts: no second copy of the body.
    crate::util::fs::atomic_write_parts(path, &[&header, body], &mut || Ok(()))
}

// ---------------------------------------------------------------------------
// Pure helpers

/// The URL actually requested: `webcal://` and `webcals://` mean `https://`.
pub fn request_url(url: &str) -> String {
    let trimmed = url.trim();
    for scheme in ["webcal://", "webcals://"] {
        if trimmed.len() >= scheme.len() && trimmed[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return format!("https://{}", &trimmed[scheme.len()..]);
        }
    }
    trimmed.to_string()
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (relative to
/// `now`; a past date means zero). Capped at [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is RFC 2822 compatible.
        let when = DateTime::parse_from_rfc2822(value)
            .ok()?
            .with_timezone(&Utc);
        (when - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{} MB", n / (1024 * 1024))
    } else if n >= 1024 {
        format!("{} kB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Checks that an HTTP body is iCalendar; `Err` says what it is instead.
pub fn sniff_calendar(body: &[u8], content_type: Option<&str>) -> Result<(), String> {
    let start = skip_bom_and_space(body);
    if start.is_empty() {
        return Err("an empty body".into());
    }
    let head = &start[..start.len().min(4096)];
    if starts_with_ci(head, b"BEGIN:") {
        return Ok(());
    }
    if looks_like_html(body)
        || content_type.is_some_and(|c| c.to_ascii_lowercase().contains("text/html"))
    {
        return Err("an HTML page (often a login, consent or error page)".into());
    }
    if head.first() == Some(&b'<') {
        return Err("an XML document".into());
    }
    if matches!(head.first(), Some(b'{') | Some(b'[')) {
        return Err("JSON".into());
    }
    if contains_ci(head, b"BEGIN:VCALENDAR") || contains_ci(head, b"BEGIN:VEVENT") {
        return Ok(());
    }
    Err("something that is not iCalendar (no BEGIN:VCALENDAR near the start)".into())
}

/// Whether a body ends (trailing whitespace aside) with `END:VCALENDAR`, as
/// a complete calendar does.
pub fn ends_calendar(body: &[u8]) -> bool {
    let end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let body = &body[..end];
    const END: &[u8] = b"END:VCALENDAR";
    body.len() >= END.len() && body[body.len() - END.len()..].eq_ignore_ascii_case(END)
}

fn looks_like_html(body: &[u8]) -> bool {
    let start = skip_bom_and_space(body);
    let head = &start[..start.len().min(1024)];
    head.first() == Some(&b'<')
        && (contains_ci(head, b"<html") || contains_ci(head, b"<!doctype html"))
}

fn skip_bom_and_space(body: &[u8]) -> &[u8] {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let first = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    &body[first..]
}

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Runs `password_command` without a shell and returns the first line of its
/// output. The output is never logged or put into an error.
///
/// Bounded like everything that comes from outside: at most
/// [`PASSWORD_OUTPUT_LIMIT`] bytes are read from each of its outputs (a
/// command that prints more, such as `yes`, is an error, not 8 GB of memory),
/// the first line is at most [`PASSWORD_MAX_BYTES`], and it runs in a process
/// group of its own that is killed when it finishes, fails or times out, so
/// nothing it started outlives it (a daemon it starts in a session of its
/// own, as gpg-agent does, is not in the group).
pub async fn password_command_output(
    cmd: &[String],
    feed: &str,
    timeout: Duration,
) -> Result<String, FeedError> {
    let fail = |detail: String| FeedError::PasswordCommand {
        feed: feed.to_string(),
        detail,
    };
    let program = cmd.first().ok_or_else(|| fail("is empty".into()))?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(&cmd[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| fail(format!("`{program}` could not be run: {e}")))?;
    // Killed on every way out of this function. The group's id is the
    // child's pid, which Linux does not reuse while the group has members.
    let pgid = child.id();
    let _group = pgid.map(ProcessGroup);
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let work = async {
        let reading = async { tokio::try_join!(read_bounded(stdout), read_bounded(stderr)) };
        let waiting = async {
            let status = child.wait().await;
            // What it left behind may hold the pipes open: end it, so the
            // reads see the end of the output.
            if let Some(pgid) = pgid {
                kill_group(pgid);
            }
            Ok::<_, Bounded>(status)
        };
        tokio::try_join!(waiting, reading)
    };
    let (status, (stdout, stderr)) = match tokio::time::timeout(timeout, work).await {
        Err(_) => {
            return Err(fail(format!(
                "`{program}` did not finish within {} (it and what it started were stopped)",
                crate::util::duration::format_duration(timeout)
            )))
        }
        Ok(Err(Bounded::TooMuch)) => {
            return Err(fail(format!(
                "`{program}` printed more than {}, which is no password (it was stopped); it \
                 should print the password on its first line and little else",
                human_bytes(PASSWORD_OUTPUT_LIMIT as u64)
            )))
        }
        Ok(Err(Bounded::Io(e))) => {
            return Err(fail(format!("`{program}`: reading its output: {e}")))
        }
        Ok(Ok((Err(e), _))) => return Err(fail(format!("`{program}` could not be run: {e}"))),
        Ok(Ok((Ok(status), outputs))) => (status, outputs),
    };
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let first = crate::util::text::line(stderr.lines().next().unwrap_or(""), 200);
        return Err(fail(format!(
            "`{program}` failed ({status}){}",
            if first.is_empty() {
                String::new()
            } else {
                format!(": {first}")
            }
        )));
    }
    let first = stdout.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    if first.len() > PASSWORD_MAX_BYTES {
        return Err(fail(format!(
            "`{program}` printed a first line of {}, which is no password (at most {})",
            human_bytes(first.len() as u64),
            human_bytes(PASSWORD_MAX_BYTES as u64)
        )));
    }
    let line = std::str::from_utf8(first)
        .map_err(|_| fail(format!("`{program}` printed something that is not UTF-8")))?;
    if line.is_empty() {
        return Err(fail(format!("`{program}` printed nothing")));
    }
    Ok(line.to_string())
}

/// The most read from each output of a `password_command`: a password, and
/// room for the rest of a `pass` entry after it.
pub const PASSWORD_OUTPUT_LIMIT: usize = 64 * 1024;
/// The longest first line taken as a password.
pub const PASSWORD_MAX_BYTES: usize = 4096;

enum Bounded {
    /// More than [`PASSWORD_OUTPUT_LIMIT`].
    TooMuch,
    Io(std::io::Error),
}

/// Reads `pipe` to its end, or fails as soon as it gave more than
/// [`PASSWORD_OUTPUT_LIMIT`] bytes.
async fn read_bounded(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> Result<Vec<u8>, Bounded> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let Some(pipe) = pipe else { return Ok(out) };
    pipe.take(PASSWORD_OUTPUT_LIMIT as u64 + 1)
        .read_to_end(&mut out)
        .await
        .map_err(Bounded::Io)?;
    if out.len() > PASSWORD_OUTPUT_LIMIT {
        return Err(Bounded::TooMuch);
    }
    Ok(out)
}

/// A process group killed when this is dropped.
struct ProcessGroup(u32);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

fn kill_group(pgid: u32) {
    if let Ok(pgid) = libc::pid_t::try_from(pgid) {
        // SAFETY: killpg(3) only sends a signal; a group that is gone is ESRCH.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

// ---------------------------------------------------------------------------
// Redaction

/// A calendar link as rapport shows it anywhere (output, log lines, errors,
/// the state file, the cache header): its scheme and host (with the port)
/// only, then `/…` when the link has more. Which part of a link is the
/// secret cannot be guessed (a 16-letter share token without a digit, a run
/// of 20 digits, a user name in the path), so every part after the host is
/// left out; the calendar's name says which feed it is. Credentials are
/// dropped. Text without `://` (a file path) only loses its query.
/// [`full_url_for_display`] is the one way to see more, for `check -v`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return match url.split_once('?') {
            Some((before, _)) => format!("{before}?…"),
            None => url.to_string(),
        };
    };
    let scheme = &url[..scheme_end];
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let bare = rest[authority_end..]
        .trim_start_matches('/')
        .trim()
        .is_empty();
    if bare {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/…")
    }
}

/// The whole link with only a password hidden: what `rapport check -v`
/// shows when the user asks to see the links they configured.
pub fn full_url_for_display(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!(
                "{}{user}:…@{host}{}",
                &url[..scheme_end + 3],
                &rest[authority_end..]
            )
        }
        None => url.to_string(),
    }
}

/// Removes every part of `url` but its scheme and host from free text such
/// as an error message from a library: the URL itself, its credentials,
/// path, path segments, query and fragment.
fn scrub(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact_url(url));
    let mut secrets: Vec<String> = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some((userinfo, _)) = rest[..authority_end].rsplit_once('@') {
            secrets.push(userinfo.to_string());
            secrets.extend(userinfo.split(':').map(str::to_owned));
        }
        let after = &rest[authority_end..];
        secrets.push(after.to_string());
        secrets.extend(after.split(['/', '?', '#', '&', '=']).map(str::to_owned));
    }
    // Longest first, so that a part is not left behind in pieces.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets.into_iter().filter(|s| s.len() >= 4) {
        out = out.replace(&s, "…");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The daemon shares one fetcher between tasks and spawns fetches.
    #[test]
    fn fetcher_is_shareable_and_fetch_future_is_send() {
        fn shareable<T: Send + Sync>(_: &T) {}
        fn sendable<F: std::future::Future + Send>(_: F) {}
        let dir = std::env::temp_dir().join("rapport-unused-cache");
        let f = FeedFetcher::new(dir, FetchLimits::default()).unwrap();
        shareable(&f);
        let src = CalendarSource {
            name: "x".into(),
            location: FeedLocation::Url("http://127.0.0.1:9/x.ics".into()),
            refresh: Duration::from_secs(60),
            username: None,
            password_command: None,
        };
        // Only built, never polled: nothing is fetched or written.
        sendable(f.fetch(&src));
    }

    #[test]
    fn webcal_is_fetched_as_https() {
        assert_eq!(
            request_url("webcal://p12-caldav.icloud.com/published/2/abc"),
            "https://p12-caldav.icloud.com/published/2/abc"
        );
        assert_eq!(request_url("WEBCALS://h/x.ics"), "https://h/x.ics");
        assert_eq!(request_url("http://h/x.ics"), "http://h/x.ics");
        // The config does the same, so the fetcher never sees webcal:// from it.
        assert_eq!(
            crate::config::normalize_url("webcal://example.com/cal.ics").unwrap(),
            FeedLocation::Url("https://example.com/cal.ics".into())
        );
    }

    #[test]
    fn links_are_shown_as_scheme_and_host_only() {
        let cases = [
            (
                "https://calendar.google.com/calendar/ical/jane.doe%40gmail.com/private-0123456789abcdef0123456789abcdef/basic.ics",
                "https://calendar.google.com/…",
            ),
            (
                "webcal://p42-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2",
                "webcal://p42-caldav.icloud.com/…",
            ),
            (
                "https://cloud.example.com/remote.php/dav/public-calendars/KawfLgSTTxHdLyPq?export",
                "https://cloud.example.com/…",
            ),
            (
                "https://user:hunter2@example.com:8443/cal.ics#frag",
                "https://example.com:8443/…",
            ),
            ("https://example.com/team/calendar.ics", "https://example.com/…"),
            ("https://example.com/?token=x", "https://example.com/…"),
            ("https://example.com/", "https://example.com"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("/home/me/calendars/work.ics", "/home/me/calendars/work.ics"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
        assert_eq!(
            full_url_for_display("https://jane:hunter2@dav.example.com/cal/x.ics?k=v"),
            "https://jane:…@dav.example.com/cal/x.ics?k=v"
        );
    }

    #[test]
    fn scrub_removes_secret_parts_from_library_text() {
        let url = "https://u:pw1234@h.example/private-abcdef0123456789/basic.ics?token=s3cr3t";
        let text = format!("error for {url} (token=s3cr3t, private-abcdef0123456789)");
        let clean = scrub(&text, url);
        for secret in ["pw1234", "s3cr3t", "private-abcdef0123456789"] {
            assert!(!clean.contains(secret), "{clean}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 10:05:00 GMT", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            parse_retry_after("Fri, 27 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("99999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn a_complete_calendar_ends_with_end_vcalendar() {
        assert!(ends_calendar(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\r\n"));
        assert!(ends_calendar(b"BEGIN:VCALENDAR\nend:vcalendar"));
        assert!(!ends_calendar(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMM"));
        assert!(!ends_calendar(b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\n"));
        assert!(!ends_calendar(b""));
        assert!(!ends_calendar(b"  \r\n"));
    }

    #[test]
    fn sniff_tells_calendars_from_pages() {
        assert!(sniff_calendar(b"\xEF\xBB\xBF\r\nBEGIN:VCALENDAR\r\n", None).is_ok());
        assert!(sniff_calendar(b"BEGIN:VCALENDAR", Some("text/html")).is_ok());
        let html = sniff_calendar(b"<!DOCTYPE html><html><body>Sign in</body></html>", None);
        assert!(html.unwrap_err().contains("HTML"));
        assert!(
            sniff_calendar(b"Sign in please", Some("text/html; charset=utf-8"))
                .unwrap_err()
                .contains("HTML")
        );
        assert!(sniff_calendar(b"{\"error\":1}", None)
            .unwrap_err()
            .contains("JSON"));
        assert!(sniff_calendar(b"   ", None).unwrap_err().contains("empty"));
    }
}
