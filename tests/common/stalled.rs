//! A notification server of our own on a private bus, for the faults a real
//! one shows only sometimes: it answers `Notify` late (after the caller's
//! timeout: it "shows" the notification but the caller cannot know) or never,
//! and it can stall `GetCapabilities` too. It counts every `Notify` call it
//! receives. Runs on a thread with its own runtime, so sync tests use it too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;

use super::EmptyBus;

/// How the server answers a kind of call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    At(Duration),
    Never,
}

#[derive(Debug)]
struct Behaviour {
    notify: Answer,
    capabilities: Answer,
}

/// One `Notify` call as received: its summary and app name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub app: String,
    pub summary: String,
}

pub struct StalledServer {
    pub bus: EmptyBus,
    behaviour: Arc<Mutex<Behaviour>>,
    calls: Arc<Mutex<Vec<Call>>>,
    capability_calls: Arc<std::sync::atomic::AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StalledServer {
    /// Owns `org.freedesktop.Notifications` on a new private bus; answers
    /// `Notify` as `notify` says and `GetCapabilities` at once.
    pub fn start(notify: Answer) -> StalledServer {
        let bus = EmptyBus::start();
        let behaviour = Arc::new(Mutex::new(Behaviour {
            notify,
            capabilities: Answer::At(Duration::ZERO),
        }));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let capability_calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = {
            let (address, behaviour, calls, caps) = (
                bus.address.clone(),
                behaviour.clone(),
                calls.clone(),
                capability_calls.clone(),
            );
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let counters = Counters { calls, caps };
                runtime.block_on(serve(address, behaviour, counters, ready_tx, stopped));
            })
        };
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the stalled server owns its name");
        StalledServer {
            bus,
            behaviour,
            calls,
            capability_calls,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn set_notify(&self, answer: Answer) {
        self.behaviour.lock().unwrap().notify = answer;
    }

    pub fn set_capabilities(&self, answer: Answer) {
        self.behaviour.lock().unwrap().capabilities = answer;
    }

    /// How many `GetCapabilities` calls arrived.
    pub fn capability_calls(&self) -> usize {
        self.capability_calls
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every `Notify` call so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits until `n` calls arrived (panics after `limit`).
    pub fn wait_calls(&self, n: usize, limit: Duration) -> Vec<Call> {
        let start = std::time::Instant::now();
        loop {
            let calls = self.calls();
            if calls.len() >= n {
                return calls;
            }
            assert!(
                start.elapsed() < limit,
                "{} Notify calls after {limit:?}, expected {n}: {calls:?}",
                calls.len()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for StalledServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type NotifyArgs = (
    String,
    u32,
    String,
    String,
    String,
    Vec<String>,
    HashMap<String, zbus::OwnedVariant>,
    i32,
);

struct Counters {
    calls: Arc<Mutex<Vec<Call>>>,
    caps: Arc<std::sync::atomic::AtomicUsize>,
}

async fn serve(
    address: String,
    behaviour: Arc<Mutex<Behaviour>>,
    counters: Counters,
    ready: std::sync::mpsc::Sender<()>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let conn = zbus::connection::Builder::address(address.as_str())
        .build()
        .await
        .unwrap();
    conn.request_name("org.freedesktop.Notifications")
        .await
        .unwrap();
    let mut stream = zbus::MessageStream::from(&conn);
    ready.send(()).unwrap();
    let mut next_id = 1u32;
    loop {
        let msg = tokio::select! {
            _ = &mut stopped => return,
            msg = stream.next() => match msg {
                Some(Ok(msg)) => msg,
                Some(Err(_)) => continue,
                None => return,
            },
        };
        let header = msg.header();
        if header.message_type() != zbus::message::Type::MethodCall {
            continue;
        }
        let member = header.member().map(|m| m.to_string()).unwrap_or_default();
        let answer = {
            let b = behaviour.lock().unwrap();
            match member.as_str() {
                "Notify" => b.notify,
                "GetCapabilities" => b.capabilities,
                _ => Answer::At(Duration::ZERO),
            }
        };
        if member == "GetCapabilities" {
            counters
                .caps
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        if member == "Notify" {
            if let Ok(args) = msg.body().deserialize::<NotifyArgs>() {
                counters.calls.lock().unwrap().push(Call {
                    app: args.0,
                    summary: args.3,
                });
            }
        }
        let Answer::At(delay) = answer else {
            continue;
        };
        let (conn, msg) = (conn.clone(), msg.clone());
        let id = next_id;
        next_id += 1;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let header = msg.header();
            let _ = match member.as_str() {
                "Notify" => conn.reply(&header, &id).await,
                "GetCapabilities" => conn.reply(&header, &vec!["body", "actions"]).await,
                "GetServerInformation" => {
                    conn.reply(&header, &("stalled", "rapport tests", "1", "1.2"))
                        .await
                }
                _ => conn.reply(&header, &()).await,
            };
        });
    }
}
