//! Desktop notifications, behind the small [`Notifier`] trait so that the
//! daemon can be tested with [`RecordingNotifier`] and run with
//! [`DbusNotifier`] (the freedesktop.org Desktop Notifications API).
//!
//! Why zbus directly and not notify-rust: notify-rust 4.19 opens a new session
//! bus connection for every `show`, `get_capabilities` and action wait, and
//! its function that sends over an existing connection is private. The daemon
//! needs ONE long-lived connection that both sends and receives the
//! `ActionInvoked` / `NotificationClosed` signals of every notification it
//! raised, so this module talks to `org.freedesktop.Notifications` with zbus
//! (the same version and features notify-rust already pulls in). zbus's async
//! API runs on its own small runtime thread, so it is safe to await from tokio
//! (no `spawn_blocking` needed, unlike notify-rust's sync calls).
//!
//! Text from calendars and notes is untrusted: [`render`] strips control
//! characters and bidi overrides, shortens very long text and escapes markup
//! when the server interprets it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::broadcast;

use crate::util::text::{clean, shorten};

/// The application name every notification carries.
pub const APP_NAME: &str = "rapport";
/// The category hint of meeting notifications (an `x-vendor.class` name, as
/// the spec asks for non-standard categories).
pub const CATEGORY: &str = "x-rapport.meeting";

/// Longest summary kept, in characters (servers show one line anyway).
pub const MAX_SUMMARY_CHARS: usize = 120;
/// Longest body kept, in characters; the brief composer stays well below.
pub const MAX_BODY_CHARS: usize = 1500;
/// Longest body kept, in lines.
pub const MAX_BODY_LINES: usize = 16;

const BUS_NAME: &str = "org.freedesktop.Notifications";
const OBJECT_PATH: &str = "/org/freedesktop/Notifications";
const INTERFACE: &str = "org.freedesktop.Notifications";
/// A notification server that does not answer within this time is treated as
/// broken (the call fails, the daemon logs it and goes on).
const METHOD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long capabilities are reused before asking the server again (it may
/// have been replaced by another server).
const CAPABILITIES_TTL: Duration = Duration::from_secs(60);

/// One button of a notification: `key` comes back in
/// [`Event::ActionInvoked`]; `label` is shown. The key `default` is the
/// action of a click on the notification itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub key: String,
    pub label: String,
}

impl Action {
    pub fn new(key: &str, label: &str) -> Action {
        Action {
            key: key.to_string(),
            label: label.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Urgency {
    Low,
    #[default]
    Normal,
    Critical,
}

/// When the server should take the notification down by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expiry {
    /// The server's default.
    #[default]
    Default,
    /// Stays until the user dismisses it.
    Never,
    After(Duration),
}

/// What to show. Summary and body are plain text; [`render`] prepares them
/// for the server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notification {
    pub summary: String,
    pub body: String,
    /// The id of an earlier notification to replace (0: a new one).
    pub replaces_id: u32,
    /// Shown only when the server advertises `actions`.
    pub actions: Vec<Action>,
    pub urgency: Urgency,
    pub expiry: Expiry,
}

/// What the server can do (`GetCapabilities`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    pub actions: bool,
    pub body: bool,
    pub body_markup: bool,
    /// Everything the server listed, as it listed it.
    pub raw: Vec<String>,
}

impl Capabilities {
    pub fn from_list(list: Vec<String>) -> Capabilities {
        let has = |c: &str| list.iter().any(|x| x == c);
        Capabilities {
            actions: has("actions"),
            body: has("body"),
            body_markup: has("body-markup"),
            raw: list,
        }
    }
}

/// The server's name, vendor, version and spec version (`GetServerInformation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub spec_version: String,
}

/// Why a notification went away (`NotificationClosed` reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    Expired,
    Dismissed,
    /// Closed by a `CloseNotification` call.
    Closed,
    Other(u32),
}

impl CloseReason {
    fn from_code(code: u32) -> CloseReason {
        match code {
            1 => CloseReason::Expired,
            2 => CloseReason::Dismissed,
            3 => CloseReason::Closed,
            n => CloseReason::Other(n),
        }
    }
}

/// What the server tells us about notifications after they were shown.
/// Ids are the server's: notifications of other applications appear too, so
/// the receiver keeps only ids it knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    ActionInvoked {
        id: u32,
        action: String,
    },
    Closed {
        id: u32,
        reason: CloseReason,
    },
    /// A notification server started (`running`) or went away on the bus.
    /// Ids of the old server mean nothing to a new one.
    ServerChanged {
        running: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The bus is there but nobody owns `org.freedesktop.Notifications`.
    #[error(
        "no notification server is running on the session bus (start one, e.g. dunst or your desktop's; rapport keeps running and retries)"
    )]
    NoServer,
    /// No session bus could be reached at all.
    #[error(
        "cannot connect to the D-Bus session bus ({0}); is DBUS_SESSION_BUS_ADDRESS set for this session?"
    )]
    NoBus(String),
    /// The server (or the bus) answered with an error: nothing was shown.
    #[error("the notification server failed: {0}")]
    Server(String),
    /// A `Notify` call got no answer (timed out, or the connection broke
    /// after it was sent): the server may show it, now or later. Never retry
    /// it, or a stalled server shows it twice.
    #[error(
        "the notification server did not answer ({0}); it may still show the notification, so it is not sent again"
    )]
    NoAnswer(String),
}

impl NotifyError {
    /// Whether the notification may have reached the screen although the
    /// call failed.
    pub fn maybe_shown(&self) -> bool {
        matches!(self, NotifyError::NoAnswer(_))
    }
}

/// Sends notifications and reports what happens to them. Implementations are
/// cheap to share (`&self` everywhere) and never panic on a missing server:
/// every failure is a [`NotifyError`] for the caller to log.
pub trait Notifier: Send + Sync {
    fn capabilities(&self) -> impl Future<Output = Result<Capabilities, NotifyError>> + Send;
    /// Shows (or, with `replaces_id`, replaces) a notification; returns its id.
    fn show(
        &self,
        notification: &Notification,
    ) -> impl Future<Output = Result<u32, NotifyError>> + Send;
    fn close(&self, id: u32) -> impl Future<Output = Result<(), NotifyError>> + Send;
    /// A receiver of the action and close events of all notifications from
    /// now on. Slow receivers lose the oldest events (`RecvError::Lagged`).
    fn subscribe(&self) -> broadcast::Receiver<Event>;
}

/// A shared notifier is a notifier (tests keep a handle on the one they pass).
impl<N: Notifier> Notifier for std::sync::Arc<N> {
    fn capabilities(&self) -> impl Future<Output = Result<Capabilities, NotifyError>> + Send {
        (**self).capabilities()
    }

    fn show(
        &self,
        notification: &Notification,
    ) -> impl Future<Output = Result<u32, NotifyError>> + Send {
        (**self).show(notification)
    }

    fn close(&self, id: u32) -> impl Future<Output = Result<(), NotifyError>> + Send {
        (**self).close(id)
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        (**self).subscribe()
    }
}

/// Summary and body exactly as they go to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub summary: String,
    pub body: String,
    /// Flattened `[key, label, key, label, ...]`, empty without `actions`.
    pub actions: Vec<String>,
}

/// Prepares a notification's text for a server with `caps`: strips control
/// characters (the summary becomes one line) and bidi overrides, shortens
/// long text with "…", and escapes `&`, `<`, `>` in the body when the server
/// interprets body markup (the summary is never markup per the spec).
pub fn render(notification: &Notification, caps: &Capabilities) -> Rendered {
    let summary = shorten(&clean(&notification.summary, false), MAX_SUMMARY_CHARS, 1);
    let body = shorten(
        &clean(&notification.body, true),
        MAX_BODY_CHARS,
        MAX_BODY_LINES,
    );
    let body = if caps.body_markup {
        escape_markup(&body)
    } else {
        body
    };
    let actions = if caps.actions {
        notification
            .actions
            .iter()
            .flat_map(|a| [a.key.clone(), clean(&a.label, false)])
            .collect()
    } else {
        Vec::new()
    };
    Rendered {
        summary,
        body,
        actions,
    }
}

/// Escapes the three characters that the notification markup subset gives a
/// meaning to.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// D-Bus

/// The real notifier: one session bus connection, opened on first use and
/// reopened after the bus went away, with one listener task that forwards the
/// server's signals to [`Notifier::subscribe`] receivers.
pub struct DbusNotifier {
    /// None: the session bus from `DBUS_SESSION_BUS_ADDRESS`.
    address: Option<String>,
    /// How long a call may wait for its answer.
    method_timeout: Duration,
    conn: tokio::sync::Mutex<Option<Live>>,
    capabilities: std::sync::Arc<Mutex<Option<(Instant, Capabilities)>>>,
    events: broadcast::Sender<Event>,
    ours: std::sync::Arc<Mutex<OwnIds>>,
}

/// The ids this notifier showed. Every client on the bus receives every
/// server's signals, so on a busy desktop (a chat app, another tool's
/// close-all) most of them are about other apps' notifications: forwarding
/// only ours keeps them from crowding out our own events in the channel.
#[derive(Default)]
struct OwnIds {
    ids: std::collections::HashSet<u32>,
    /// Signals about ids not (yet) known: the listener may see a signal
    /// before `show` has recorded the id from the reply, so a few recent
    /// ones are kept and handed over when `show` records it.
    early: std::collections::VecDeque<Event>,
}

const EARLY_SIGNALS_KEPT: usize = 32;

impl OwnIds {
    /// The event to forward for a signal about `id`, if it is ours.
    fn route(&mut self, event: Event) -> Option<Event> {
        let id = match &event {
            Event::ActionInvoked { id, .. } | Event::Closed { id, .. } => *id,
            Event::ServerChanged { .. } => {
                self.ids.clear();
                self.early.clear();
                return Some(event);
            }
        };
        if !self.ids.contains(&id) {
            if self.early.len() == EARLY_SIGNALS_KEPT {
                self.early.pop_front();
            }
            self.early.push_back(event);
            return None;
        }
        if matches!(event, Event::Closed { .. }) {
            self.ids.remove(&id);
        }
        Some(event)
    }

    /// Records `id` as ours and returns the signals about it that came first.
    fn record(&mut self, id: u32) -> Vec<Event> {
        self.ids.insert(id);
        let (mine, others): (Vec<Event>, Vec<Event>) =
            self.early.drain(..).partition(|e| match e {
                Event::ActionInvoked { id: i, .. } | Event::Closed { id: i, .. } => *i == id,
                Event::ServerChanged { .. } => false,
            });
        self.early = others.into();
        mine.into_iter().filter_map(|e| self.route(e)).collect()
    }
}

struct Live {
    connection: zbus::Connection,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl DbusNotifier {
    /// A notifier on the session bus. Connects lazily: creating it never fails.
    pub fn session() -> DbusNotifier {
        DbusNotifier::new(None)
    }

    /// A notifier on the bus at `address` (a D-Bus address such as
    /// `unix:path=/tmp/dbus-xyz`); tests use private buses.
    pub fn at_address(address: &str) -> DbusNotifier {
        DbusNotifier::new(Some(address.to_string()))
    }

    fn new(address: Option<String>) -> DbusNotifier {
        let (events, _) = broadcast::channel(64);
        DbusNotifier {
            address,
            method_timeout: METHOD_TIMEOUT,
            conn: tokio::sync::Mutex::new(None),
            capabilities: std::sync::Arc::new(Mutex::new(None)),
            events,
            ours: std::sync::Arc::default(),
        }
    }

    /// A server that has not answered a call after `timeout` is treated as
    /// broken (default 10 s; tests of stalled servers use less). Set before
    /// the first call.
    pub fn with_method_timeout(mut self, timeout: Duration) -> DbusNotifier {
        self.method_timeout = timeout;
        self
    }

    /// Connects now (instead of on first use), so that signals of
    /// notifications are received from this point on.
    pub async fn connect(&self) -> Result<(), NotifyError> {
        self.connection().await.map(|_| ())
    }

    /// The server's name and version (for `rapport check`).
    pub async fn server_information(&self) -> Result<ServerInfo, NotifyError> {
        let (name, vendor, version, spec_version): (String, String, String, String) =
            self.call("GetServerInformation", &()).await?;
        Ok(ServerInfo {
            name,
            vendor,
            version,
            spec_version,
        })
    }

    fn capabilities_cache(&self) -> std::sync::Arc<Mutex<Option<(Instant, Capabilities)>>> {
        self.capabilities.clone()
    }

    async fn connection(&self) -> Result<zbus::Connection, NotifyError> {
        let mut guard = self.conn.lock().await;
        if let Some(live) = guard.as_ref() {
            if !live.connection.is_closed() && !live.listener.is_finished() {
                return Ok(live.connection.clone());
            }
            tracing::info!("D-Bus connection lost; reconnecting");
        }
        *guard = None;
        let builder = match &self.address {
            Some(a) => zbus::connection::Builder::address(a.as_str()),
            None => zbus::connection::Builder::session(),
        };
        let connection = builder
            .method_timeout(self.method_timeout)
            .build()
            .await
            .map_err(|e| match &self.address {
                Some(a) => NotifyError::NoBus(format!("{a}: {e}")),
                None => NotifyError::NoBus(e.to_string()),
            })?;
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(INTERFACE)
            .path(OBJECT_PATH)
            .build()
            .map_err(|e| NotifyError::Server(e.to_string()))?;
        let stream = zbus::MessageStream::for_match_rule(rule, &connection, None)
            .await
            .map_err(|e| NotifyError::Server(format!("cannot subscribe to signals: {e}")))?;
        // The bus says when the server's name changes owner: a server that
        // starts (or restarts) can be used at once instead of at the next retry.
        let owner_rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .sender("org.freedesktop.DBus")
            .interface("org.freedesktop.DBus")
            .member("NameOwnerChanged")
            .arg(0, BUS_NAME)
            .build()
            .map_err(|e| NotifyError::Server(e.to_string()))?;
        let owners = zbus::MessageStream::for_match_rule(owner_rule, &connection, None)
            .await
            .map_err(|e| NotifyError::Server(format!("cannot subscribe to signals: {e}")))?;
        let stream = futures_util::stream::select(stream, owners);
        let listener = tokio::spawn(forward_signals(
            stream,
            self.events.clone(),
            self.capabilities_cache(),
            self.ours.clone(),
        ));
        *guard = Some(Live {
            connection: connection.clone(),
            listener,
        });
        Ok(connection)
    }

    async fn call<B, R>(&self, method: &str, body: &B) -> Result<R, NotifyError>
    where
        B: serde::Serialize + zbus::Type + Sync,
        R: for<'d> serde::Deserialize<'d> + zbus::Type,
    {
        self.call_classified(method, body, classify).await
    }

    /// [`DbusNotifier::call`] with the caller's reading of a failed call.
    async fn call_classified<B, R>(
        &self,
        method: &str,
        body: &B,
        classify: fn(zbus::Error) -> NotifyError,
    ) -> Result<R, NotifyError>
    where
        B: serde::Serialize + zbus::Type + Sync,
        R: for<'d> serde::Deserialize<'d> + zbus::Type,
    {
        let connection = self.connection().await?;
        let result = connection
            .call_method(Some(BUS_NAME), OBJECT_PATH, Some(INTERFACE), method, body)
            .await;
        let reply = match result {
            Ok(reply) => reply,
            Err(e) => {
                *self.capabilities.lock().unwrap_or_else(|p| p.into_inner()) = None;
                if connection.is_closed() {
                    // Next call reconnects.
                    *self.conn.lock().await = None;
                }
                return Err(classify(e));
            }
        };
        reply
            .body()
            .deserialize::<R>()
            .map_err(|e| NotifyError::Server(format!("unexpected reply to {method}: {e}")))
    }
}

fn classify(error: zbus::Error) -> NotifyError {
    use zbus::fdo::Error as Fdo;
    match &error {
        zbus::Error::FDO(e) if matches!(**e, Fdo::ServiceUnknown(_) | Fdo::NameHasNoOwner(_)) => {
            NotifyError::NoServer
        }
        zbus::Error::MethodError(name, _, _)
            if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown" =>
        {
            NotifyError::NoServer
        }
        _ => NotifyError::Server(error.to_string()),
    }
}

/// A failed `Notify` call: an error answer means nothing was shown; no
/// answer at all (our timeout, the bus's `NoReply`, a connection that broke
/// after the call went out) means the server may show it.
fn classify_notify(error: zbus::Error) -> NotifyError {
    let no_answer = match &error {
        zbus::Error::InputOutput(_) => true,
        zbus::Error::MethodError(name, _, _) => matches!(
            name.as_str(),
            "org.freedesktop.DBus.Error.NoReply"
                | "org.freedesktop.DBus.Error.TimedOut"
                | "org.freedesktop.DBus.Error.Timeout"
                | "org.freedesktop.DBus.Error.Disconnected"
        ),
        zbus::Error::FDO(e) => matches!(
            **e,
            zbus::fdo::Error::NoReply(_)
                | zbus::fdo::Error::TimedOut(_)
                | zbus::fdo::Error::Timeout(_)
                | zbus::fdo::Error::Disconnected(_)
        ),
        _ => false,
    };
    match classify(error) {
        NotifyError::Server(text) if no_answer => NotifyError::NoAnswer(text),
        other => other,
    }
}

async fn forward_signals(
    mut stream: impl futures_util::Stream<Item = zbus::Result<zbus::Message>> + Unpin,
    events: broadcast::Sender<Event>,
    capabilities: std::sync::Arc<Mutex<Option<(Instant, Capabilities)>>>,
    ours: std::sync::Arc<Mutex<OwnIds>>,
) {
    while let Some(message) = stream.next().await {
        let Ok(message) = message else { continue };
        let header = message.header();
        let event = match header.member().map(|m| m.as_str()) {
            Some("NameOwnerChanged") => {
                *capabilities.lock().unwrap_or_else(|p| p.into_inner()) = None;
                message
                    .body()
                    .deserialize::<(String, String, String)>()
                    .ok()
                    .map(|(_, _, new_owner)| Event::ServerChanged {
                        running: !new_owner.is_empty(),
                    })
            }
            Some("ActionInvoked") => message
                .body()
                .deserialize::<(u32, String)>()
                .ok()
                .map(|(id, action)| Event::ActionInvoked { id, action }),
            Some("NotificationClosed") => {
                message
                    .body()
                    .deserialize::<(u32, u32)>()
                    .ok()
                    .map(|(id, reason)| Event::Closed {
                        id,
                        reason: CloseReason::from_code(reason),
                    })
            }
            _ => None,
        };
        let event = event.and_then(|e| ours.lock().unwrap_or_else(|p| p.into_inner()).route(e));
        if let Some(event) = event {
            // No receiver is fine: nobody is interested right now.
            let _ = events.send(event);
        }
    }
}

impl Notifier for DbusNotifier {
    async fn capabilities(&self) -> Result<Capabilities, NotifyError> {
        if let Some((at, caps)) = &*self.capabilities.lock().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < CAPABILITIES_TTL {
                return Ok(caps.clone());
            }
        }
        let list: Vec<String> = self.call("GetCapabilities", &()).await?;
        let caps = Capabilities::from_list(list);
        *self.capabilities.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), caps.clone()));
        Ok(caps)
    }

    async fn show(&self, notification: &Notification) -> Result<u32, NotifyError> {
        let caps = self.capabilities().await?;
        let rendered = render(notification, &caps);
        let mut hints: HashMap<&str, zbus::Variant<'_>> = HashMap::new();
        hints.insert("category", zbus::Variant::from(CATEGORY));
        let urgency: u8 = match notification.urgency {
            Urgency::Low => 0,
            Urgency::Normal => 1,
            Urgency::Critical => 2,
        };
        hints.insert("urgency", zbus::Variant::from(urgency));
        let expire_ms: i32 = match notification.expiry {
            Expiry::Default => -1,
            Expiry::Never => 0,
            Expiry::After(d) => i32::try_from(d.as_millis()).unwrap_or(i32::MAX).max(1),
        };
        let id: u32 = self
            .call_classified(
                "Notify",
                &(
                    APP_NAME,
                    notification.replaces_id,
                    "",
                    rendered.summary.as_str(),
                    rendered.body.as_str(),
                    &rendered.actions,
                    hints,
                    expire_ms,
                ),
                classify_notify,
            )
            .await?;
        let early = self
            .ours
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record(id);
        for event in early {
            let _ = self.events.send(event);
        }
        Ok(id)
    }

    async fn close(&self, id: u32) -> Result<(), NotifyError> {
        self.call::<_, ()>("CloseNotification", &(id,)).await
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}

// ---------------------------------------------------------------------------
// Fake

/// One notification as the [`RecordingNotifier`] received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub id: u32,
    pub notification: Notification,
    /// What a real server with the fake's capabilities would have received.
    pub rendered: Rendered,
}

/// A notifier for unit tests: records what was shown and closed, can be made
/// to fail, and lets the test inject action and close events.
pub struct RecordingNotifier {
    caps: Capabilities,
    next_id: AtomicU32,
    shown: Mutex<Vec<Shown>>,
    closed: Mutex<Vec<u32>>,
    failure: Mutex<Option<NotifyError>>,
    events: broadcast::Sender<Event>,
}

impl Default for RecordingNotifier {
    fn default() -> Self {
        RecordingNotifier::new(Capabilities::from_list(
            ["actions", "body", "body-markup"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ))
    }
}

impl RecordingNotifier {
    pub fn new(caps: Capabilities) -> RecordingNotifier {
        let (events, _) = broadcast::channel(64);
        RecordingNotifier {
            caps,
            next_id: AtomicU32::new(1),
            shown: Mutex::new(Vec::new()),
            closed: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
            events,
        }
    }

    /// Every notification shown so far, oldest first.
    pub fn shown(&self) -> Vec<Shown> {
        lock(&self.shown).clone()
    }

    pub fn closed(&self) -> Vec<u32> {
        lock(&self.closed).clone()
    }

    /// Makes every call fail with `error` until `set_failure(None)`.
    pub fn set_failure(&self, error: Option<NotifyError>) {
        *lock(&self.failure) = error;
    }

    /// Delivers an event to subscribers as if the server had sent it.
    pub fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn check(&self) -> Result<(), NotifyError> {
        match &*lock(&self.failure) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Notifier for RecordingNotifier {
    async fn capabilities(&self) -> Result<Capabilities, NotifyError> {
        self.check()?;
        Ok(self.caps.clone())
    }

    async fn show(&self, notification: &Notification) -> Result<u32, NotifyError> {
        self.check()?;
        let mut shown = lock(&self.shown);
        // Like real servers: replacing a known id keeps it, anything else is new.
        let id = if notification.replaces_id != 0
            && shown.iter().any(|s| s.id == notification.replaces_id)
        {
            notification.replaces_id
        } else {
            self.next_id.fetch_add(1, Ordering::Relaxed)
        };
        shown.push(Shown {
            id,
            notification: notification.clone(),
            rendered: render(notification, &self.caps),
        });
        Ok(id)
    }

    async fn close(&self, id: u32) -> Result<(), NotifyError> {
        self.check()?;
        lock(&self.closed).push(id);
        self.emit(Event::Closed {
            id,
            reason: CloseReason::Closed,
        });
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(list: &[&str]) -> Capabilities {
        Capabilities::from_list(list.iter().map(|s| s.to_string()).collect())
    }

    fn note(summary: &str, body: &str) -> Notification {
        Notification {
            summary: summary.into(),
            body: body.into(),
            ..Default::default()
        }
    }

    fn closed(id: u32) -> Event {
        Event::Closed {
            id,
            reason: CloseReason::Dismissed,
        }
    }

    #[test]
    fn only_signals_about_our_own_notifications_are_forwarded() {
        let mut ours = OwnIds::default();
        assert!(ours.record(7).is_empty());
        // another app's notification closing is not ours
        assert_eq!(ours.route(closed(3)), None);
        let action = Event::ActionInvoked {
            id: 7,
            action: "snooze".into(),
        };
        assert_eq!(ours.route(action.clone()), Some(action));
        assert_eq!(ours.route(closed(7)), Some(closed(7)));
        // a closed id is forgotten: a later reuse by another app is not ours
        assert_eq!(ours.route(closed(7)), None);
        // a new server: old ids mean nothing, but the event itself is passed on
        ours.record(9);
        let changed = Event::ServerChanged { running: true };
        assert_eq!(ours.route(changed.clone()), Some(changed));
        assert_eq!(ours.route(closed(9)), None);
    }

    #[test]
    fn a_signal_that_beats_the_reply_is_handed_over_when_the_id_is_recorded() {
        let mut ours = OwnIds::default();
        assert_eq!(ours.route(closed(5)), None);
        assert_eq!(ours.route(closed(6)), None);
        assert_eq!(ours.record(6), vec![closed(6)]);
        // 6 was closed, so it is no longer ours; 5 still waits
        assert_eq!(ours.route(closed(6)), None);
        assert_eq!(ours.record(5), vec![closed(5)]);
        // only a bounded number of strangers' signals is kept
        for id in 100..100 + 2 * EARLY_SIGNALS_KEPT as u32 {
            ours.route(closed(id));
        }
        assert_eq!(ours.early.len(), EARLY_SIGNALS_KEPT);
        assert!(ours.record(100).is_empty());
    }

    #[test]
    fn markup_is_escaped_only_when_the_server_interprets_it() {
        let n = note("Q&A <sync>", "Tom & Jerry <b>bold</b> > 3");
        let with = render(&n, &caps(&["body", "body-markup"]));
        assert_eq!(with.body, "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; &gt; 3");
        // the summary is plain text for every server
        assert_eq!(with.summary, "Q&A <sync>");
        let without = render(&n, &caps(&["body"]));
        assert_eq!(without.body, "Tom & Jerry <b>bold</b> > 3");
    }

    #[test]
    fn control_characters_and_bidi_overrides_are_stripped() {
        let n = note(
            "Sync\u{7}\u{1b}[31m\u{202E}evil\u{202C}\nnext",
            "a\u{0}b\r\nc\td\u{2066}e\u{2069}\u{200F}f\u{9b}",
        );
        let r = render(&n, &caps(&["body"]));
        assert_eq!(r.summary, "Sync[31mevil next");
        // Direction marks go too (crate::util::text strips every bidi control).
        assert_eq!(r.body, "ab\nc def");
    }

    #[test]
    fn long_text_is_shortened_with_an_ellipsis() {
        let long = "é".repeat(500);
        let r = render(&note(&long, &"x".repeat(5000)), &caps(&["body"]));
        assert_eq!(r.summary.chars().count(), MAX_SUMMARY_CHARS);
        assert!(r.summary.ends_with('…'));
        assert_eq!(r.body.chars().count(), MAX_BODY_CHARS);
        let many_lines = (0..40).map(|i| format!("line {i}")).collect::<Vec<_>>();
        let r = render(&note("s", &many_lines.join("\n")), &caps(&["body"]));
        assert_eq!(r.body.lines().count(), MAX_BODY_LINES);
        assert!(r.body.ends_with("line 15…"));
        // short text is untouched
        assert_eq!(render(&note("s", "ok"), &caps(&[])).body, "ok");
    }

    #[test]
    fn shortening_happens_before_escaping() {
        // An entity must never be cut in half.
        let body = "&".repeat(MAX_BODY_CHARS + 10);
        let r = render(&note("s", &body), &caps(&["body-markup"]));
        assert!(
            r.body.ends_with("&amp;…"),
            "{}",
            &r.body[r.body.len() - 20..]
        );
    }

    #[test]
    fn actions_only_go_to_servers_that_support_them() {
        let mut n = note("s", "b");
        n.actions = vec![
            Action::new("open", "Open\nbrief"),
            Action::new("snooze", "Snooze"),
        ];
        assert_eq!(
            render(&n, &caps(&["actions"])).actions,
            vec!["open", "Open brief", "snooze", "Snooze"]
        );
        assert!(render(&n, &caps(&["body"])).actions.is_empty());
    }

    #[tokio::test]
    async fn recording_notifier_replaces_fails_and_emits() {
        let fake = RecordingNotifier::default();
        let mut events = fake.subscribe();
        let id = fake.show(&note("a", "b")).await.unwrap();
        let mut again = note("a2", "b2");
        again.replaces_id = id;
        assert_eq!(fake.show(&again).await.unwrap(), id);
        again.replaces_id = 999;
        assert_ne!(fake.show(&again).await.unwrap(), id);
        fake.close(id).await.unwrap();
        assert_eq!(
            events.recv().await.unwrap(),
            Event::Closed {
                id,
                reason: CloseReason::Closed
            }
        );
        fake.set_failure(Some(NotifyError::NoServer));
        assert_eq!(fake.show(&note("x", "y")).await, Err(NotifyError::NoServer));
        fake.set_failure(None);
        assert_eq!(fake.shown().len(), 3);
        assert_eq!(fake.closed(), vec![id]);
    }

    #[test]
    fn a_notify_call_without_an_answer_may_have_been_shown() {
        let timed_out = zbus::Error::InputOutput(std::sync::Arc::new(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out",
        )));
        assert!(classify_notify(timed_out).maybe_shown());
        let no_reply = zbus::Error::FDO(Box::new(zbus::fdo::Error::NoReply("gone".into())));
        assert!(classify_notify(no_reply).maybe_shown());
        // Certainly not shown: retried while useful.
        let no_server = zbus::Error::FDO(Box::new(zbus::fdo::Error::ServiceUnknown("none".into())));
        assert_eq!(classify_notify(no_server), NotifyError::NoServer);
        let refused = zbus::Error::FDO(Box::new(zbus::fdo::Error::Failed("no".into())));
        assert!(!classify_notify(refused).maybe_shown());
        // Other calls are never "maybe shown".
        let timed_out = zbus::Error::InputOutput(std::sync::Arc::new(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out",
        )));
        assert!(!classify(timed_out).maybe_shown());
    }

    #[test]
    fn close_reasons_map_from_codes() {
        assert_eq!(CloseReason::from_code(1), CloseReason::Expired);
        assert_eq!(CloseReason::from_code(2), CloseReason::Dismissed);
        assert_eq!(CloseReason::from_code(3), CloseReason::Closed);
        assert_eq!(CloseReason::from_code(7), CloseReason::Other(7));
    }
}
