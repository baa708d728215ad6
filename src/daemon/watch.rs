//! Live reload: the config file's folder, the people folder and the request
//! folder are watched (the folders: editors replace files), and a change
//! reloads the config (an invalid one keeps the previous, with one
//! notification) or the people notes.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::notify::{Expiry, Notification, Notifier};
use super::{attendance, load_people, Daemon};
use crate::config;
use crate::people::matching::Matcher;

impl<N: Notifier> Daemon<N> {
    pub(super) async fn reload_config(&mut self, now: DateTime<Utc>) {
        match config::load(&self.paths) {
            Ok(config) => {
                if config == self.config {
                    return;
                }
                tracing::info!("{}: reloaded", self.paths.config_file.display());
                self.config_error_shown = None;
                let me_changed = self.expand.me_emails != config.me.emails;
                self.expand.me_emails = config.me.emails.clone();
                self.config = config;
                self.set_feeds(now);
                if me_changed {
                    // My PARTSTAT is read at expansion: every window again.
                    self.generation += 1;
                    for feed in self.feeds.values_mut() {
                        feed.expanded_at = None;
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                tracing::error!("{message}; keeping the previous configuration");
                if self.config_error_shown.as_deref() == Some(message.as_str()) {
                    return;
                }
                self.config_error_shown = Some(message.clone());
                let n = Notification {
                    summary: "rapport: the config file has an error".into(),
                    body: format!(
                        "{message}\nThe previous settings stay in use until it is fixed."
                    ),
                    expiry: Expiry::Default,
                    ..Default::default()
                };
                if let Err(e) = self.notifier.show(&n).await {
                    self.notify_failed(&e, "the config error");
                }
            }
        }
    }

    pub(super) fn reload_people(&mut self) {
        self.people = load_people(&self.config);
        self.matcher = Matcher::new(&self.people, &self.config.me);
        tracing::info!("people notes reloaded: {} people", self.people.people.len());
        for feed in self.feeds.values_mut() {
            for (occ, with_people) in &mut feed.occurrences {
                *with_people = !attendance(occ, &self.people, &self.matcher).is_empty();
            }
        }
    }
}

/// Which watched files changed.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Changed {
    pub(super) config: bool,
    pub(super) people: bool,
    /// A `rapport snooze` request arrived.
    pub(super) requests: bool,
}

impl Changed {
    pub(super) fn merge(&mut self, other: Changed) {
        self.config |= other.config;
        self.people |= other.people;
        self.requests |= other.requests;
    }
}

/// Watches the config file's folder and the people folder.
pub(super) struct Watcher {
    tx: mpsc::UnboundedSender<Changed>,
    inner: Option<::notify::RecommendedWatcher>,
    watching: Option<(PathBuf, PathBuf)>,
    /// Request files from `rapport snooze`; watched so they apply at once
    /// (the once-a-minute wake takes them otherwise).
    requests_dir: PathBuf,
}

impl Watcher {
    pub(super) fn new(tx: mpsc::UnboundedSender<Changed>, requests_dir: PathBuf) -> Watcher {
        Watcher {
            tx,
            inner: None,
            watching: None,
            requests_dir,
        }
    }

    /// (Re)starts watching when the paths changed. Failures are logged: the
    /// daemon works without live reload.
    pub(super) fn watch(&mut self, config_file: &Path, people_dir: &Path) {
        let wanted = (config_file.to_path_buf(), people_dir.to_path_buf());
        if self.watching.as_ref() == Some(&wanted) {
            return;
        }
        use ::notify::Watcher as _;
        let tx = self.tx.clone();
        // The file as named and, when it is a symlink (dotfiles), its target:
        // editing the target changes nothing in the link's folder.
        let absolute =
            std::path::absolute(config_file).unwrap_or_else(|_| config_file.to_path_buf());
        let mut config_paths = vec![absolute.clone()];
        if let Ok(real) = std::fs::canonicalize(&absolute) {
            if real != absolute {
                config_paths.push(real);
            }
        }
        let people_path = people_dir.to_path_buf();
        let requests_path = self.requests_dir.clone();
        let matched_config = config_paths.clone();
        let handler = move |res: ::notify::Result<::notify::Event>| {
            let Ok(event) = res else { return };
            if matches!(event.kind, ::notify::EventKind::Access(_)) {
                return;
            }
            let mut changed = Changed::default();
            for p in &event.paths {
                if matched_config.contains(p) {
                    changed.config = true;
                } else if p.starts_with(&people_path) {
                    changed.people = true;
                } else if p.starts_with(&requests_path) {
                    changed.requests = true;
                }
            }
            if changed.config || changed.people || changed.requests {
                let _ = tx.send(changed);
            }
        };
        let mut watcher = match ::notify::recommended_watcher(handler) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("cannot watch files for changes ({e}); edits need a restart");
                return;
            }
        };
        for path in &config_paths {
            if let Some(dir) = path.parent().filter(|d| d.is_dir()) {
                if let Err(e) = watcher.watch(dir, ::notify::RecursiveMode::NonRecursive) {
                    tracing::warn!("cannot watch {}: {e}", dir.display());
                }
            }
        }
        if people_dir.is_dir() {
            if let Err(e) = watcher.watch(people_dir, ::notify::RecursiveMode::Recursive) {
                tracing::warn!("cannot watch {}: {e}", people_dir.display());
            }
        } else {
            tracing::info!(
                "{} does not exist; create it and restart to have notes picked up live",
                people_dir.display()
            );
        }
        // The state folder too, when this is the first run (0700: it holds
        // what was sent about which meetings).
        if crate::util::fs::create_private_dir(&self.requests_dir).is_ok() {
            if let Err(e) = watcher.watch(&self.requests_dir, ::notify::RecursiveMode::NonRecursive)
            {
                tracing::warn!("cannot watch {}: {e}", self.requests_dir.display());
            }
        }
        self.inner = Some(watcher);
        self.watching = Some(wanted);
    }
}
