//! The daemon in this process (`rapport::daemon::run`), stopped through its
//! stop channel as a signal would; and waiting, bounded, for what it does.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rapport::config::Paths;
use rapport::daemon::notify::Notifier;
use rapport::daemon::{Opener, Options};

/// Records what the daemon asked to open (a brief, a link, a note).
#[derive(Default, Clone)]
pub struct RecordingOpener(Arc<Mutex<Vec<String>>>);

impl RecordingOpener {
    pub fn opened(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl Opener for RecordingOpener {
    fn open(&self, target: &str) -> std::io::Result<()> {
        self.0.lock().unwrap().push(target.to_string());
        Ok(())
    }
}

/// A daemon running in this process until [`InProcess::stop`].
pub struct InProcess {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    pub opened: RecordingOpener,
}

impl InProcess {
    /// `rapport run` on `paths`, notifying through `notifier`.
    pub fn start<N: Notifier + 'static>(paths: &Paths, notifier: N) -> InProcess {
        let (stop, rx) = tokio::sync::watch::channel(false);
        let opened = RecordingOpener::default();
        let options = Options {
            notifier,
            opener: Box::new(opened.clone()),
            stop: Some(rx),
        };
        let task = tokio::spawn(rapport::daemon::run(paths.clone(), options));
        InProcess { stop, task, opened }
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops it and checks that it stopped cleanly.
    pub async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

/// Asks `check` every 100 ms until it gives a value; panics naming `what`
/// after `limit`, so that a broken daemon fails the test instead of hanging.
pub async fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
