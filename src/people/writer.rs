//! How every rapport writer changes a note: the CLI (`note`, `ask`, `owe`,
//! `done`, `met`, `undo`) and the daemon's "Nothing new" button all go
//! through [`NoteWriter::change`], which
//!
//! 1. takes the note's lock (under the state folder, see [`versions`]), so
//!    rapport's writers run one after the other; the kernel drops it when a
//!    process dies, even by `kill -9`;
//! 2. reads the whole current note once no other program is writing it
//!    ([`shared_file::read_settled`]);
//! 3. refuses, unless forced, a note that is empty or lost its front matter
//!    since rapport last wrote it (a sync or an editor gone wrong; the kept
//!    versions have it), and an empty note it never wrote;
//! 4. computes the new text (the caller checks that it reads back);
//! 5. keeps the current note as a version, then swaps the new one in unless
//!    the note changed meanwhile ([`shared_file::replace`]); on a change it
//!    starts again from 2 on the new contents, a bounded number of times.
//!
//! [`versions`]: super::versions

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Local, Utc};

use super::markdown::scan;
use super::shared_file::{self, Busy, ReadError, Replaced, Settle};
use super::versions::{Known, Versions};
use crate::util;
use crate::util::fs::LockError;

/// A file changed more recently than this may be mid-save: looked at again.
pub const QUIET: Duration = Duration::from_millis(100);
/// How long one command waits in all for the lock and for a quiet file.
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// Times the edit is redone on new contents before giving up.
pub const MAX_ATTEMPTS: u32 = 8;

/// Why a note was not changed. Every message names the file and says that
/// nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}: {message}", .path.display())]
    File { path: PathBuf, message: String },
    #[error("{}: another rapport process{} is still editing this note after {} s; nothing was changed. Run the command again{}", .path.display(), .holder.map(|p| format!(" (pid {p})")).unwrap_or_default(), .waited.as_secs(), .holder.map(|p| format!(" (if that process hangs: kill {p})")).unwrap_or_default())]
    Locked {
        path: PathBuf,
        holder: Option<u32>,
        waited: Duration,
    },
    #[error("{}: {why} while rapport waited {} s to edit it (is it being saved, or held open by a program?); nothing was changed. Run the command again once it is saved", .path.display(), MAX_WAIT.as_secs())]
    Busy { path: PathBuf, why: Busy },
    #[error("{}: changed on disk while rapport was editing it, {attempts} times in a row (another editor or a sync?); nothing was written, run the command again", .path.display())]
    Changed { path: PathBuf, attempts: u32 },
    #[error("{}: {what} since rapport last wrote it ({}); nothing was changed. If an editor or a sync did this by mistake, `rapport undo {}` puts back the note as rapport left it (`--list` shows every kept version); to edit the note as it is now, run the command again with --force", .path.display(), .at.with_timezone(&Local).format("%Y-%m-%d %H:%M"), undo_name(.path))]
    Shrunk {
        path: PathBuf,
        what: &'static str,
        at: DateTime<Utc>,
    },
    #[error("{}: the note is empty; nothing was changed. If a sync or an editor emptied it, put it back from there (or `rapport undo {} --list`, if rapport kept versions of it); to write into the empty note anyway, run the command again with --force", .path.display(), undo_name(.path))]
    Empty { path: PathBuf },
    #[error("{}: another program saved the note while rapport replaced it, and the note changed again before rapport could put that save back; nothing of this edit is in the note. That program's save is kept: `rapport undo {} --list`", .path.display(), undo_name(.path))]
    Displaced { path: PathBuf },
}

/// The NAME to give `rapport undo` for this note: its file name, quoted
/// for a shell when needed.
pub fn undo_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !stem.is_empty()
        && stem
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
    {
        stem
    } else {
        format!("'{}'", stem.replace('\'', r"'\''"))
    }
}

/// What a writer does to a note: its current bytes in, the new bytes and a
/// value for the caller out.
pub type Change<'a, T, E> = dyn FnMut(&[u8]) -> Result<(Vec<u8>, T), E> + 'a;

/// One rapport command's way of writing notes.
#[derive(Debug, Clone)]
pub struct NoteWriter {
    state_dir: PathBuf,
    command: String,
    force: bool,
    quiet: Duration,
    max_wait: Duration,
}

impl NoteWriter {
    /// A writer for the rapport command `command` (it names the versions it
    /// keeps: `note`, `met`, `undo`, ...), with locks and versions under
    /// `state_dir`.
    pub fn new(state_dir: &Path, command: &str) -> NoteWriter {
        NoteWriter {
            state_dir: state_dir.to_path_buf(),
            command: command.to_string(),
            force: false,
            quiet: QUIET,
            max_wait: MAX_WAIT,
        }
    }

    /// Edit a note even when it shrank to empty or lost its front matter
    /// since rapport last wrote it (`--force`).
    pub fn force(mut self, force: bool) -> NoteWriter {
        self.force = force;
        self
    }

    /// Shorter waits, for tests.
    #[doc(hidden)]
    pub fn waits(mut self, quiet: Duration, max_wait: Duration) -> NoteWriter {
        self.quiet = quiet;
        self.max_wait = max_wait;
        self
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The versions of the note at `path` (symlinks resolved).
    pub fn versions(&self, path: &Path) -> Result<Versions, WriteError> {
        let file_err = |message: String| WriteError::File {
            path: path.to_path_buf(),
            message,
        };
        let target =
            util::fs::resolve_symlink(path).map_err(|e| file_err(format!("cannot read: {e}")))?;
        Versions::for_note(&self.state_dir, &target)
            .map_err(|e| file_err(format!("cannot read: {e}")))
    }

    /// Takes the note's lock, creating its versions folder.
    fn lock(&self, path: &Path, versions: &Versions) -> Result<util::fs::LockGuard, WriteError> {
        versions.create().map_err(|e| WriteError::File {
            path: path.to_path_buf(),
            message: format!(
                "cannot create {} (rapport keeps its lock and the note's earlier versions there): {e}",
                versions.dir.display()
            ),
        })?;
        versions.lock(self.max_wait).map_err(|e| match e {
            LockError::Busy { waited, holder } => WriteError::Locked {
                path: path.to_path_buf(),
                holder,
                waited,
            },
            LockError::Io { .. } => WriteError::File {
                path: path.to_path_buf(),
                message: e.to_string(),
            },
        })
    }

    /// Replaces the note at `path` with what `change` makes of its current
    /// bytes (and returns what `change` returned with them), as described in
    /// the module docs. `hook` runs after `change`, before anything is
    /// written, with the file's lease let go: tests use it to change the
    /// file at the worst moment.
    pub fn change<T, E: From<WriteError>>(
        &self,
        path: &Path,
        change: &mut Change<'_, T, E>,
        mut hook: Option<&mut dyn FnMut()>,
    ) -> Result<T, E> {
        let file_err = |message: String| WriteError::File {
            path: path.to_path_buf(),
            message,
        };
        let versions = self.versions(path)?;
        let target = versions.note.clone();
        let _lock = self.lock(path, &versions)?;
        util::fs::sweep_stale_temps(&util::fs::parent_dir(&target));
        let known = versions.last_known();
        let settle = Settle::new(self.quiet, self.max_wait);
        for _ in 0..MAX_ATTEMPTS {
            let mut snap =
                match shared_file::read_settled(&target, known.as_ref().map(|k| &k.id), &settle) {
                    Ok(s) => s,
                    Err(ReadError::NotFound) => {
                        return Err(file_err("cannot read: No such file or directory".into()).into())
                    }
                    Err(ReadError::Io(e)) => {
                        return Err(file_err(format!("cannot read: {e}")).into())
                    }
                    Err(ReadError::Busy(why)) => {
                        return Err(WriteError::Busy {
                            path: path.to_path_buf(),
                            why,
                        }
                        .into())
                    }
                };
            // A rename would replace a read-only file without complaint;
            // the user made it read-only for a reason.
            if snap.mode & 0o222 == 0 {
                return Err(file_err(
                    "the file is read-only; make it writable (chmod u+w) to edit it with rapport"
                        .into(),
                )
                .into());
            }
            if !self.force {
                match &known {
                    Some(k) => {
                        if let Some(what) = shrunk(k, &snap.bytes) {
                            return Err(WriteError::Shrunk {
                                path: path.to_path_buf(),
                                what,
                                at: k.at,
                            }
                            .into());
                        }
                    }
                    // rapport never wrote this note, so it cannot tell
                    // what it held; but an empty note is never worth a
                    // silent edit (a sync that emptied it, or the moment
                    // an editor truncated it for good).
                    None if blank(&snap.bytes) => {
                        return Err(WriteError::Empty {
                            path: path.to_path_buf(),
                        }
                        .into())
                    }
                    None => {}
                }
            }
            let (new, value) = change(&snap.bytes)?;
            if let Some(h) = hook.as_mut() {
                shared_file::release_for_test(&snap);
                h();
                shared_file::retake_for_test(&mut snap);
            }
            let kept = versions
                .save(&snap.bytes, &format!("before-{}", self.command), Utc::now())
                .map_err(|e| {
                    file_err(format!(
                        "cannot keep the current version in {} first, so nothing was changed: {e}",
                        versions.dir.display()
                    ))
                })?;
            let discard = || {
                if let Some(k) = &kept {
                    let _ = std::fs::remove_file(k);
                }
            };
            match shared_file::replace(&target, snap, &new, &settle) {
                Ok(Replaced::Done(id)) => {
                    self.record(&versions, &new, id);
                    return Ok(value);
                }
                Ok(Replaced::Changed) => {
                    discard();
                    tracing::info!(
                        "{}: changed while rapport was editing it; doing the edit again on the new contents",
                        path.display()
                    );
                }
                Ok(Replaced::DoneBeside(id, theirs)) => {
                    self.record(&versions, &new, id);
                    let _ = versions.save(&theirs, "displaced", Utc::now());
                    tracing::warn!(
                        "{}: two saves of another program landed while rapport replaced it; the earlier one is kept as a version (`rapport undo {} --list`)",
                        path.display(),
                        undo_name(path)
                    );
                    return Ok(value);
                }
                Ok(Replaced::Orphaned(theirs)) => {
                    discard();
                    let _ = versions.save(&theirs, "displaced", Utc::now());
                    return Err(WriteError::Displaced {
                        path: path.to_path_buf(),
                    }
                    .into());
                }
                Err(e) => {
                    discard();
                    return Err(file_err(format!("cannot write: {e}")).into());
                }
            }
        }
        Err(WriteError::Changed {
            path: path.to_path_buf(),
            attempts: MAX_ATTEMPTS,
        }
        .into())
    }

    /// After a write (or a read-back) of `bytes`: keeps them as the state
    /// the command left the note in (so a note a sync empties later can get
    /// exactly this back), and records them as what rapport last knew (the
    /// next edit's settle and shrink checks). Neither changes the note, so
    /// a failure is only logged.
    fn record(&self, versions: &Versions, bytes: &[u8], id: util::fs::FileId) {
        if let Err(e) = versions.save(bytes, &format!("after-{}", self.command), Utc::now()) {
            tracing::warn!("{}: cannot keep a version: {e}", versions.dir.display());
        }
        let known = Known {
            id,
            len: bytes.len() as u64,
            front_matter: scan_front_matter(bytes),
            at: Utc::now(),
        };
        if let Err(e) = versions.set_last_known(&known) {
            tracing::warn!("{}: {e}", versions.dir.display());
        }
    }

    /// Keeps the note's current contents as a version (`rapport edit`
    /// before it opens the editor), under the note's lock.
    pub fn keep_current(&self, path: &Path) -> Result<(), WriteError> {
        let versions = self.versions(path)?;
        let _lock = self.lock(path, &versions)?;
        match util::fs::read_regular(&versions.note) {
            Ok(bytes) => versions
                .save(&bytes, &format!("before-{}", self.command), Utc::now())
                .map(|_| ())
                .map_err(|e| WriteError::File {
                    path: path.to_path_buf(),
                    message: format!("cannot keep a version in {}: {e}", versions.dir.display()),
                }),
            Err(_) => Ok(()),
        }
    }

    /// Records the note as it is now as what the command left (after
    /// `rapport edit` read it back, after `person add` created it): kept as
    /// a version, and what a later edit compares front matter and size with.
    pub fn remember(&self, path: &Path) -> Result<(), WriteError> {
        let versions = self.versions(path)?;
        let _lock = self.lock(path, &versions)?;
        let io = |e: std::io::Error| WriteError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let bytes = util::fs::read_regular(&versions.note).map_err(io)?;
        let id = util::fs::FileId::of(&std::fs::metadata(&versions.note).map_err(io)?);
        self.record(&versions, &bytes, id);
        Ok(())
    }
}

fn scan_front_matter(bytes: &[u8]) -> bool {
    scan(&String::from_utf8_lossy(bytes)).front_matter.is_some()
}

/// Nothing but white space (and a byte order mark).
fn blank(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .trim_start_matches('\u{feff}')
        .trim()
        .is_empty()
}

/// What went missing since rapport last wrote the note, if anything alarming.
fn shrunk(known: &Known, now: &[u8]) -> Option<&'static str> {
    if blank(now) && known.len > 0 {
        Some("the note has become empty")
    } else if known.front_matter && !scan_front_matter(now) {
        Some("the note has lost its front matter (the `---` block with name and emails)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_is_told_from_growing() {
        let known = Known {
            id: util::fs::FileId {
                dev: 0,
                ino: 0,
                size: 30,
                mtime_ns: 0,
                ctime_ns: 0,
            },
            len: 30,
            front_matter: true,
            at: Utc::now(),
        };
        assert_eq!(shrunk(&known, b"---\nname: A\n---\n## Log\n- more\n"), None);
        assert_eq!(shrunk(&known, b""), Some("the note has become empty"));
        assert_eq!(
            shrunk(&known, b"\xef\xbb\xbf \n\n"),
            Some("the note has become empty")
        );
        assert!(shrunk(&known, b"## Log\n")
            .unwrap()
            .contains("front matter"));
        let plain = Known {
            front_matter: false,
            ..known
        };
        assert_eq!(shrunk(&plain, b"## Log\n"), None);
    }

    #[test]
    fn undo_names_are_quoted_for_a_shell_when_needed() {
        assert_eq!(undo_name(Path::new("/n/tom.md")), "tom");
        assert_eq!(undo_name(Path::new("/n/Tom de Vries.md")), "'Tom de Vries'");
        assert_eq!(undo_name(Path::new("/n/o'brien.md")), r"'o'\''brien'");
    }
}
