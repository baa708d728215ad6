//! The network and file side of a feed: [`FeedFetcher`] (one HTTP client, the
//! cache folder), conditional GETs, limits, and telling a calendar from an
//! error page.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::cache::{
    body_digest, read_cache, read_cache_meta, write_cache, CacheMeta, CACHE_VERSION,
};
use super::password::password_command_output;
use super::redact::{redact_url, scrub};
use super::{
    human_bytes, CalendarSource, FeedError, FeedLocation, FetchLimits, FetchStatus, Fetched,
    MAX_REDIRECTS, MAX_RETRY_AFTER, PASSWORD_COMMAND_TIMEOUT,
};

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
                // The caller says it (the daemon in its log and state, a
                // command once on stderr): here only for -vv.
                tracing::debug!(feed, "{e}; using the copy fetched at {}", c.meta.fetched_at);
                Ok(Fetched {
                    body: Arc::new(c.body),
                    status: FetchStatus::CachedAfterError(e),
                    fetched_at: c.meta.fetched_at,
                })
            }
            (Err(e), None) => {
                tracing::debug!(feed, "{e}");
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
