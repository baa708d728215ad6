//! The versions rapport keeps of the notes it changes, so that nothing it
//! replaces is unrecoverable (`rapport undo NAME`).
//!
//! They live under the state folder (`~/.local/state/rapport/notes/`), never
//! in the people folder, where sync tools and git would pick them up: one
//! private folder (0700) per note, named after the note's file and a hash of
//! its full path, holding
//!
//! - `path`: the note's path (for `undo` of a note that was deleted),
//! - `lock`: the lock every rapport writer of this note holds (`flock`),
//! - `last.json`: the note as rapport last wrote it (identity, size, front
//!   matter), to tell a note that shrank since from one that grew,
//! - `NNNNNN-YYYYMMDDTHHMMSSZ-LABEL.md` (0600): one state of the note,
//!   `before-COMMAND` (as it was before the rapport command COMMAND changed
//!   it) or `after-COMMAND` (as the command left it); a state equal to the
//!   newest kept one is not kept again, so a run of rapport edits keeps
//!   each state once. The newest [`KEEP`] are kept.

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::util;
use crate::util::fs::{Durability, FileId, LockError, LockGuard};

/// Versions kept per note (older ones are removed when a new one is kept).
pub const KEEP: usize = 20;

const PATH_FILE: &str = "path";
const LAST_FILE: &str = "last.json";
const LOCK_FILE: &str = "lock";

/// The folder under the state folder that holds every note's versions.
pub fn root(state_dir: &Path) -> PathBuf {
    state_dir.join("notes")
}

/// The kept versions of one note.
#[derive(Debug, Clone)]
pub struct Versions {
    /// `<state>/notes/<stem>-<hash>`.
    pub dir: PathBuf,
    /// The note (a symlink resolved: the file that is replaced).
    pub note: PathBuf,
}

/// One kept version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub file: PathBuf,
    pub seq: u64,
    pub saved_at: Option<DateTime<Utc>>,
    /// `before-COMMAND`, `after-COMMAND` or `displaced` (see the module docs).
    pub label: String,
    pub len: u64,
}

/// The note as rapport last wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub id: FileId,
    pub len: u64,
    pub front_matter: bool,
    pub at: DateTime<Utc>,
}

impl Versions {
    /// The versions of the note at `note` (symlinks resolved by the caller).
    /// The key is the note's absolute path, so the same note reached through
    /// a relative path or another config finds the same versions.
    pub fn for_note(state_dir: &Path, note: &Path) -> io::Result<Versions> {
        let parent = util::fs::parent_dir(note);
        let name = note
            .file_name()
            .ok_or_else(|| io::Error::other("not a file name"))?;
        let absolute = fs::canonicalize(&parent)?.join(name);
        let stem: String = Path::new(name)
            .file_stem()
            .unwrap_or(name)
            .to_string_lossy()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .take(40)
            .collect();
        let key = format!(
            "{stem}-{}",
            short_hash(absolute.as_os_str().as_encoded_bytes())
        );
        Ok(Versions {
            dir: root(state_dir).join(key),
            note: absolute,
        })
    }

    /// Every note that has versions, for notes that no longer exist.
    pub fn all(state_dir: &Path) -> Vec<Versions> {
        let Ok(entries) = fs::read_dir(root(state_dir)) else {
            return Vec::new();
        };
        let mut all: Vec<Versions> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                let note = fs::read_to_string(e.path().join(PATH_FILE)).ok()?;
                Some(Versions {
                    dir: e.path(),
                    note: PathBuf::from(note.trim_end_matches('\n')),
                })
            })
            .collect();
        all.sort_by(|a, b| a.note.cmp(&b.note));
        all
    }

    /// Creates the folder (0700, parents too) and records the note's path.
    pub fn create(&self) -> io::Result<()> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let path_file = self.dir.join(PATH_FILE);
        let recorded = fs::read(&path_file).ok();
        let path = format!("{}\n", self.note.display());
        if recorded.as_deref() != Some(path.as_bytes()) {
            util::fs::atomic_write_unfaulted(&path_file, path.as_bytes(), Durability::Full)?;
        }
        Ok(())
    }

    /// Takes the note's lock (see [`util::fs::lock_exclusive`]).
    pub fn lock(&self, wait: Duration) -> Result<LockGuard, LockError> {
        util::fs::lock_exclusive(&self.dir.join(LOCK_FILE), wait)
    }

    pub fn last_known(&self) -> Option<Known> {
        let bytes = fs::read(self.dir.join(LAST_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn set_last_known(&self, known: &Known) -> io::Result<()> {
        let json = serde_json::to_vec(known).map_err(io::Error::other)?;
        util::fs::atomic_write_unfaulted(&self.dir.join(LAST_FILE), &json, Durability::Hint)
    }

    /// The kept versions, newest first.
    pub fn list(&self) -> io::Result<Vec<Version>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut versions: Vec<Version> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let (seq, saved_at, label) = parse_name(&name)?;
                let len = e.metadata().ok()?.len();
                Some(Version {
                    file: e.path(),
                    seq,
                    saved_at,
                    label,
                    len,
                })
            })
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.seq));
        Ok(versions)
    }

    /// Keeps `bytes` as the newest version (unless the newest already holds
    /// exactly these bytes), then removes all but the newest [`KEEP`].
    /// Returns the new version's file. A `before-` version is fully durable
    /// before the note is replaced; the others only need their contents
    /// (a crash right after may lose their name, never the note's state).
    pub fn save(
        &self,
        bytes: &[u8],
        label: &str,
        now: DateTime<Utc>,
    ) -> io::Result<Option<PathBuf>> {
        let versions = self.list()?;
        if let Some(newest) = versions.first() {
            if newest.len == bytes.len() as u64 && fs::read(&newest.file)? == bytes {
                return Ok(None);
            }
        }
        let seq = versions.first().map_or(1, |v| v.seq + 1);
        let label: String = label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let file = self.dir.join(format!(
            "{seq:06}-{}-{label}.md",
            now.format("%Y%m%dT%H%M%SZ")
        ));
        let durability = if label.starts_with("before-") {
            Durability::Full
        } else {
            Durability::Contents
        };
        util::fs::atomic_write_unfaulted(&file, bytes, durability)?;
        for old in versions.iter().skip(KEEP - 1) {
            let _ = fs::remove_file(&old.file);
        }
        Ok(Some(file))
    }
}

/// `NNNNNN-YYYYMMDDTHHMMSSZ-LABEL.md` -> (seq, time, label).
fn parse_name(name: &str) -> Option<(u64, Option<DateTime<Utc>>, String)> {
    let rest = name.strip_suffix(".md")?;
    let (seq, rest) = rest.split_once('-')?;
    let seq = seq.parse().ok()?;
    let (stamp, command) = rest.split_once('-')?;
    let saved_at = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc());
    Some((seq, saved_at, command.to_string()))
}

/// 16 hex digits of the SHA-256 of `bytes`.
fn short_hash(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The lock `person add` holds for the whole people folder, so that two
/// adds cannot both pass the check that an address is not in a note yet.
pub fn lock_folder(
    state_dir: &Path,
    people_dir: &Path,
    wait: Duration,
) -> Result<LockGuard, LockError> {
    let absolute = fs::canonicalize(people_dir).unwrap_or_else(|_| people_dir.to_path_buf());
    let dir = root(state_dir);
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|source| LockError::Io {
            path: dir.clone(),
            source,
        })?;
    let lock = dir.join(format!(
        "people-{}.lock",
        short_hash(absolute.as_os_str().as_encoded_bytes())
    ));
    util::fs::lock_exclusive(&lock, wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn versions_are_private_bounded_deduplicated_and_newest_first() {
        let root_dir = tempfile::tempdir().unwrap();
        let notes = root_dir.path().join("notes");
        fs::create_dir_all(&notes).unwrap();
        let note = notes.join("Tom de Vries.md");
        let state = root_dir.path().join("state");
        let v = Versions::for_note(&state, &note).unwrap();
        assert!(v.dir.starts_with(state.join("notes")));
        let key = v.dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(key.starts_with("Tom-de-Vries-"), "{key}");
        assert!(v.list().unwrap().is_empty());
        v.create().unwrap();
        assert_eq!(mode(&v.dir), 0o700);
        assert_eq!(mode(&state.join("notes")), 0o700);
        let now = Utc::now();
        let first = v.save(b"one", "before-note", now).unwrap().unwrap();
        assert_eq!(mode(&first), 0o600);
        assert_eq!(
            v.save(b"one", "after-note", now).unwrap(),
            None,
            "same bytes"
        );
        for i in 0..KEEP + 5 {
            v.save(format!("v{i}").as_bytes(), "before-ask", now)
                .unwrap();
        }
        let list = v.list().unwrap();
        assert_eq!(list.len(), KEEP);
        assert_eq!(
            fs::read(&list[0].file).unwrap(),
            format!("v{}", KEEP + 4).as_bytes()
        );
        assert_eq!(list[0].label, "before-ask");
        assert_eq!(list[0].seq, KEEP as u64 + 6);
        assert!(list[0].saved_at.is_some());
        // The same note through another path finds the same versions.
        let via = notes.join("../notes/Tom de Vries.md");
        assert_eq!(Versions::for_note(&state, &via).unwrap().dir, v.dir);
        let all = Versions::all(&state);
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].note,
            fs::canonicalize(&notes).unwrap().join("Tom de Vries.md")
        );
    }

    #[test]
    fn last_known_round_trips() {
        let root_dir = tempfile::tempdir().unwrap();
        let note = root_dir.path().join("a.md");
        fs::write(&note, "x").unwrap();
        let v = Versions::for_note(&root_dir.path().join("state"), &note).unwrap();
        v.create().unwrap();
        assert_eq!(v.last_known(), None);
        let known = Known {
            id: FileId::of(&fs::metadata(&note).unwrap()),
            len: 1,
            front_matter: false,
            at: Utc::now(),
        };
        v.set_last_known(&known).unwrap();
        assert_eq!(v.last_known(), Some(known));
    }
}
