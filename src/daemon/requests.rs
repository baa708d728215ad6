//! The request queue `rapport snooze` writes and the daemon takes: the daemon
//! owns `state.json`, so the command line never writes it. A request is a
//! file in `<state dir>/requests/`, written atomically (the daemon never
//! reads half a file); the daemon takes it on its next wake, at once when
//! the folder watch sees it, else at most a minute later
//! ([`super::schedule::MAX_SLEEP`]), removes it and applies it like the
//! Snooze button.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A snooze asked for on the command line, for the daemon to apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnoozeRequest {
    pub calendar: String,
    pub uid: String,
    /// The occurrence's start.
    pub start: DateTime<Utc>,
    /// The delay counts from here, not from the pickup, so a late pickup
    /// does not stretch it.
    pub requested_at: DateTime<Utc>,
    pub snooze_for_s: i64,
}

impl SnoozeRequest {
    /// When the prep should show again (the daemon caps it at the start).
    pub fn until(&self) -> DateTime<Utc> {
        self.requested_at + Duration::seconds(self.snooze_for_s)
    }
}

/// Where request files go.
pub fn requests_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("requests")
}

const REQUEST_PREFIX: &str = "snooze-";
const REQUEST_SUFFIX: &str = ".json";

/// Writes a request file atomically (temporary file, then rename; the
/// temporary name starts with a dot and is never read).
pub fn queue_snooze(state_dir: &Path, request: &SnoozeRequest) -> anyhow::Result<PathBuf> {
    let dir = requests_dir(state_dir);
    crate::util::fs::create_private_dir(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let path = dir.join(format!(
        "{REQUEST_PREFIX}{nanos}-{}{REQUEST_SUFFIX}",
        std::process::id()
    ));
    let body = serde_json::to_vec_pretty(request)?;
    crate::util::fs::atomic_write(&path, &body)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Takes every complete request file out of the folder, oldest first: each
/// is read and removed. Unreadable ones are removed too and reported as
/// errors (naming the file), so a bad file is not retried every minute.
pub fn take_requests(state_dir: &Path) -> Vec<Result<SnoozeRequest, String>> {
    let dir = requests_dir(state_dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(REQUEST_PREFIX) && n.ends_with(REQUEST_SUFFIX))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let read = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()));
            let _ = std::fs::remove_file(&path);
            read.map_err(|e| format!("{}: {e}; request dropped", path.display()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(minute: u32) -> SnoozeRequest {
        use chrono::TimeZone;
        SnoozeRequest {
            calendar: "Work".into(),
            uid: format!("u{minute}@test"),
            start: Utc.with_ymd_and_hms(2026, 11, 27, 10, minute, 0).unwrap(),
            requested_at: Utc.with_ymd_and_hms(2026, 11, 27, 9, 50, 0).unwrap(),
            snooze_for_s: 300,
        }
    }

    #[test]
    fn requests_are_taken_once_in_order_and_bad_ones_dropped() {
        let dir = tempfile::tempdir().unwrap();
        assert!(take_requests(dir.path()).is_empty());
        queue_snooze(dir.path(), &request(1)).unwrap();
        queue_snooze(dir.path(), &request(2)).unwrap();
        let reqs = requests_dir(dir.path());
        // A half-written temporary file and foreign files are left alone.
        std::fs::write(reqs.join(".snooze-x.json.rapport-1-0.tmp"), b"{").unwrap();
        std::fs::write(reqs.join("README"), b"x").unwrap();
        std::fs::write(reqs.join("snooze-zzz.json"), b"not json").unwrap();
        let taken = take_requests(dir.path());
        assert_eq!(taken.len(), 3);
        assert_eq!(taken[0].as_ref().unwrap(), &request(1));
        assert_eq!(taken[1].as_ref().unwrap(), &request(2));
        assert!(taken[2].as_ref().unwrap_err().contains("snooze-zzz.json"));
        assert!(take_requests(dir.path()).is_empty());
        let mut left: Vec<String> = std::fs::read_dir(&reqs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".snooze-x.json.rapport-1-0.tmp", "README"]);
        assert_eq!(
            request(1).until(),
            request(1).requested_at + Duration::minutes(5)
        );
    }
}
