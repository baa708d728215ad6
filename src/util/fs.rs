//! File helpers shared by the notes editor, the feed cache and the daemon
//! state: atomic writes whose temporary files never outlive a crash, stale
//! temporary files swept, and an advisory lock that a killed process drops.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Writes `contents` to `path` atomically: a temporary file in the same folder,
/// fsync, rename over the target, fsync of the folder. A crash at any point
/// leaves either the old or the new file. An existing file keeps its
/// permissions; a new file is created 0600 (notes and state are private).
///
/// If `path` is a symlink, its target is replaced (the link stays a link).
pub fn atomic_write(path: &Path, contents: &[u8]) -> io::Result<()> {
    atomic_write_checked(path, contents, &mut || Ok(()))
}

/// [`atomic_write`] that calls `check` after the new contents are durable in
/// the temporary file and right before the rename; an error from `check`
/// aborts the write (the temporary file is removed, the target untouched).
pub fn atomic_write_checked(
    path: &Path,
    contents: &[u8],
    check: &mut dyn FnMut() -> io::Result<()>,
) -> io::Result<()> {
    atomic_write_parts(path, &[contents], check)
}

/// [`atomic_write_checked`] of the concatenation of `parts`, without
/// building it: the feed cache is a header and a body of up to 256 MB.
///
/// The temporary file has no name while it is written (`O_TMPFILE`), so a
/// process killed then leaves nothing behind; it gets its hidden name
/// (`.NAME.rapport-PID-N.tmp`) only for the rename. Where the filesystem
/// cannot do that, the named file is written directly. Either way, stale
/// names left by a killed process are removed by the next write to the
/// folder ([`sweep_stale_temps`]).
pub fn atomic_write_parts(
    path: &Path,
    parts: &[&[u8]],
    check: &mut dyn FnMut() -> io::Result<()>,
) -> io::Result<()> {
    write_atomically(path, parts, check, true, Durability::Full)
}

/// How much of an atomic write must survive a power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// The contents and the name: fsync of the file and of the folder.
    Full,
    /// The contents, once the name is there: fsync of the file only (the
    /// name may be lost with the last seconds before a crash).
    Contents,
    /// Neither (a hint that is rebuilt when missing or empty).
    Hint,
}

/// [`atomic_write`] without the fault points of the reliability tests, for
/// rapport's own bookkeeping (the kept versions of a note), so that a fault
/// point named in `RAPPORT_FAULT` stops the write it is meant for.
pub(crate) fn atomic_write_unfaulted(
    path: &Path,
    contents: &[u8],
    durability: Durability,
) -> io::Result<()> {
    write_atomically(path, &[contents], &mut || Ok(()), false, durability)
}

fn write_atomically(
    path: &Path,
    parts: &[&[u8]],
    check: &mut dyn FnMut() -> io::Result<()>,
    faults: bool,
    durability: Durability,
) -> io::Result<()> {
    let fault = |point| if faults { fault(point) } else { Ok(()) };
    let target = resolve_symlink(path)?;
    let dir = parent_dir(&target);
    let mode = match fs::metadata(&target) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0o600,
        Err(e) => return Err(e),
    };
    sweep_stale_temps(&dir);
    let mut temp = Temp::create(&dir, &target)?;
    temp.faults = faults;
    temp.sync = durability != Durability::Hint;
    let result = (|| {
        temp.write_durably(parts, mode)?;
        check()?;
        let named = temp.name()?;
        fault("before-rename")?;
        fs::rename(named, &target)?;
        temp.renamed();
        fault("after-rename")?;
        if durability == Durability::Full {
            sync_dir(&dir);
        }
        Ok(())
    })();
    drop(temp);
    result
}

/// The folder of `path` ("." for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a rename or an unlink in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A temporary file for an atomic write, in the target's folder (a rename
/// cannot cross filesystems). Removed on drop unless it was renamed.
pub(crate) struct Temp {
    file: Option<File>,
    dir: PathBuf,
    /// The base of the hidden name: `.NAME.rapport-PID-`.
    prefix: String,
    /// The name, once it has one (always, when `O_TMPFILE` is unavailable).
    path: Option<PathBuf>,
    /// Whether the fault points of `RAPPORT_FAULT` apply.
    faults: bool,
    /// Whether the contents are fsynced.
    sync: bool,
}

impl Temp {
    pub(crate) fn create(dir: &Path, target: &Path) -> io::Result<Temp> {
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let prefix = format!(".{file_name}.rapport-{}-", std::process::id());
        let mut temp = Temp {
            file: None,
            dir: dir.to_path_buf(),
            prefix,
            path: None,
            faults: true,
            sync: true,
        };
        if !fault_set("no-tmpfile") {
            if let Some(file) = open_anonymous(dir) {
                temp.file = Some(file);
                return Ok(temp);
            }
        }
        let (path, file) = temp.claim_name(|candidate| {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_CLOEXEC)
                .open(candidate)
        })?;
        temp.file = Some(file);
        temp.path = Some(path);
        Ok(temp)
    }

    /// Tries `.NAME.rapport-PID-N.tmp` for N = 0, 1, ... until `make`
    /// does not find the name taken.
    fn claim_name<T>(
        &self,
        mut make: impl FnMut(&Path) -> io::Result<T>,
    ) -> io::Result<(PathBuf, T)> {
        let mut attempt = 0u32;
        loop {
            let candidate = self.dir.join(format!("{}{attempt}.tmp", self.prefix));
            match make(&candidate) {
                Ok(t) => return Ok((candidate, t)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `parts`, sets `mode` and fsyncs (the fault points of the
    /// reliability tests sit here, see [`fault`]).
    pub(crate) fn write_durably(&mut self, parts: &[&[u8]], mode: u32) -> io::Result<()> {
        let faults = self.faults;
        let fault = |point| if faults { fault(point) } else { Ok(()) };
        let tmp = self.file.as_mut().expect("open until named");
        // The fault point sits halfway through the bytes, whatever the parts.
        let half = parts.iter().map(|p| p.len()).sum::<usize>() / 2;
        let mut written = 0;
        let mut halfway = false;
        for part in parts {
            if !halfway && written + part.len() >= half {
                let cut = half - written;
                tmp.write_all(&part[..cut])?;
                fault("mid-temp-write")?;
                halfway = true;
                tmp.write_all(&part[cut..])?;
            } else {
                tmp.write_all(part)?;
            }
            written += part.len();
        }
        if !halfway {
            fault("mid-temp-write")?;
        }
        fault("after-temp-write")?;
        tmp.set_permissions(fs::Permissions::from_mode(mode))?;
        if self.sync {
            tmp.sync_all()?;
        }
        fault("after-fsync")?;
        Ok(())
    }

    /// Gives the file its hidden name (for the rename) and closes it.
    pub(crate) fn name(&mut self) -> io::Result<&Path> {
        if self.path.is_none() {
            let file = self.file.as_ref().expect("open until named");
            let (path, ()) = self.claim_name(|candidate| link_unnamed(file, candidate))?;
            self.path = Some(path);
        }
        // Closed before the rename: a read lease on the new file (see
        // `people::shared_file`) cannot be taken while anyone has it open to write.
        self.file = None;
        Ok(self.path.as_deref().expect("named above"))
    }

    /// The named file was renamed away: nothing to remove any more.
    pub(crate) fn renamed(&mut self) {
        self.path = None;
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = fs::remove_file(p);
        }
    }
}

/// An unnamed file in `dir` (`O_TMPFILE`), when the filesystem supports it
/// and `/proc` is there to give it a name later.
fn open_anonymous(dir: &Path) -> Option<File> {
    if !Path::new("/proc/self/fd").is_dir() {
        return None;
    }
    let c_dir = c_path(dir).ok()?;
    // SAFETY: a valid path; the returned descriptor is owned by the File.
    let fd = unsafe {
        libc::open(
            c_dir.as_ptr(),
            libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC,
            0o600 as libc::c_uint,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    Some(unsafe { std::os::unix::io::FromRawFd::from_raw_fd(fd) })
}

/// Creates `path` with `contents` (0600), never replacing an existing file
/// and never visible half-written: the contents are written and fsynced in
/// an unnamed file, which is then linked to the name (AlreadyExists if it
/// is taken). `None` where the filesystem cannot (the caller falls back).
/// The folder is not fsynced: the caller does that (once for many files).
pub(crate) fn create_complete(path: &Path, contents: &[u8]) -> Option<io::Result<()>> {
    if fault_set("no-tmpfile") {
        return None;
    }
    let dir = parent_dir(path);
    let mut file = open_anonymous(&dir)?;
    Some((|| {
        file.write_all(contents)?;
        file.sync_all()?;
        link_unnamed(&file, path)?;
        Ok(())
    })())
}

/// Gives the unnamed file `file` (from [`open_anonymous`]) the name `to`;
/// fails with AlreadyExists if the name is taken.
fn link_unnamed(file: &File, to: &Path) -> io::Result<()> {
    let from = c_path(Path::new(&format!("/proc/self/fd/{}", file.as_raw_fd())))?;
    let to = c_path(to)?;
    // SAFETY: both are valid NUL-terminated paths.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub(crate) fn c_path(p: &Path) -> io::Result<std::ffi::CString> {
    std::ffi::CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

/// A temporary file of ours older than this is stale even when a process
/// with its PID runs (the PID was reused): no write takes an hour.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// The PID in a temporary name of ours: `.NAME.rapport-PID-N.tmp` (atomic
/// writes) or `.rapport-new-PID-N.tmp` (new notes).
pub fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, after) = rest.rsplit_once("rapport-")?;
    let after = after.strip_prefix("new-").unwrap_or(after);
    let (pid, n) = after.split_once('-')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Removes the temporary files that writers killed mid-write left in `dir`
/// (only names of ours, only of processes that are gone, or older than an
/// hour; never this process's own, which may be in use by another thread).
/// Returns how many were removed. Errors are ignored: a stale file never
/// blocks anything, it only wastes space.
pub fn sweep_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries.flatten().filter(remove_if_stale_temp).count()
}

/// Removes `entry` if it is a stale temporary file of ours (see
/// [`sweep_stale_temps`]); true when it did.
pub fn remove_if_stale_temp(entry: &fs::DirEntry) -> bool {
    let Some(pid) = temp_owner(&entry.file_name().to_string_lossy()) else {
        return false;
    };
    if pid == std::process::id() {
        return false;
    }
    let Ok(meta) = entry.metadata() else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let old = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_some_and(|age| age > STALE_AFTER);
    (old || !process_alive(pid)) && fs::remove_file(entry.path()).is_ok()
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Opens `path` to read without ever blocking on it: a FIFO or device put
/// in a note's place is refused rather than waited on (`O_NONBLOCK`, which
/// changes nothing for a regular file's reads).
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(file)
}

/// The contents of the regular file at `path` (see [`open_regular`]).
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut open_regular(path)?, &mut bytes)?;
    Ok(bytes)
}

/// An exclusive advisory lock (`flock`) on a lock file: released when the
/// guard is dropped, and by the kernel when the process dies, even by
/// `kill -9`, so a crash never leaves a note locked.
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{}: cannot open the lock file: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("still locked after {} s{}", .waited.as_secs(), .holder.map(|p| format!(" by rapport process {p}")).unwrap_or_default())]
    Busy {
        waited: Duration,
        holder: Option<u32>,
    },
}

/// A lock file, created 0600 when missing, never truncated.
fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
}

/// Takes the lock at `path` (created 0600), waiting up to `wait` for
/// another holder. The waiting sleeps with a growing pause (1 ms up to
/// 50 ms): rapport's own edits hold it for milliseconds.
pub fn lock_exclusive(path: &Path, wait: Duration) -> Result<LockGuard, LockError> {
    let io_err = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = open_lock_file(path).map_err(io_err)?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            // Who holds it, for the message of a process that waits in vain.
            let _ = file.set_len(0);
            let _ = (&file).write_all(format!("{}\n", std::process::id()).as_bytes());
            return Ok(LockGuard { _file: file });
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EWOULDBLOCK) && e.raw_os_error() != Some(libc::EINTR) {
            return Err(io_err(e));
        }
        let waited = start.elapsed();
        if waited >= wait {
            let holder = fs::read_to_string(path)
                .ok()
                .and_then(|s| s.trim().parse().ok());
            return Err(LockError::Busy { waited, holder });
        }
        std::thread::sleep(pause.min(wait - waited));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// A shared advisory lock (`flock(LOCK_SH)`) held while a process lives, so
/// that others can tell it runs ([`is_held`]): the kernel drops it when the
/// process ends, also by `kill -9`, so it never outlives its holder as a
/// timestamp or a pid file can. Several holders may share it.
pub fn hold_shared(path: &Path) -> io::Result<LockGuard> {
    let file = open_lock_file(path)?;
    loop {
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } == 0 {
            return Ok(LockGuard { _file: file });
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// Whether some process holds the lock file at `path` ([`hold_shared`]).
/// Never creates the file; a missing file is not held.
pub fn is_held(path: &Path) -> bool {
    let Ok(file) = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
    else {
        return false;
    };
    // SAFETY: flock on a descriptor we own; released when `file` closes.
    let free = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    !free
}

/// What identifies one state of a file: its inode and the stamps a write
/// changes. Two equal ids taken a settle time apart mean nobody wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

impl FileId {
    pub fn of(m: &fs::Metadata) -> FileId {
        FileId {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
        }
    }

    pub fn same_inode(&self, other: &FileId) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }
}

/// Creates `dir` and every missing parent with mode 0700: rapport's folders
/// hold calendar links, meeting titles and what was sent, which is nobody
/// else's business. Existing folders are left as they are.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// [`create_private_dir`], and `dir` itself made 0700 when it exists with
/// more open permissions (earlier versions made the state folder 0755). Only
/// for folders that are rapport's alone (its state and cache folders).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    create_private_dir(dir)?;
    let mode = fs::metadata(dir)?.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Fault injection for the reliability tests, always compiled in so the tests
/// exercise the shipped binary; it costs one environment lookup per write.
/// `RAPPORT_FAULT=<point>` stops the process (SIGSTOP) at that point so a test
/// can `kill -9` it there, or resume it after changing the file; the special
/// value `enospc` makes the write fail as a full disk would, after half of
/// the contents reached the temporary file. A process stops only once.
/// Other values switch off a
/// kernel feature to test the fallback: `no-tmpfile` (named temporary
/// files), `no-lease`, `no-exchange` (see `people::shared_file`). Several values are
/// separated by commas.
pub(crate) fn fault(point: &str) -> io::Result<()> {
    let Some(wanted) = std::env::var_os("RAPPORT_FAULT") else {
        return Ok(());
    };
    let wanted = wanted.to_string_lossy();
    for w in wanted.split(',') {
        if w == "enospc" && point == "mid-temp-write" {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        // Once per process: an edit redone after a change passes the
        // point again, and the test resumed it to see it finish.
        if w == point && !STOPPED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            // SAFETY: raise() only sends a signal to this process.
            unsafe {
                libc::raise(libc::SIGSTOP);
            }
        }
    }
    Ok(())
}

static STOPPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether `RAPPORT_FAULT` holds `value` (see [`fault`]).
pub(crate) fn fault_set(value: &str) -> bool {
    std::env::var_os("RAPPORT_FAULT")
        .is_some_and(|w| w.to_string_lossy().split(',').any(|w| w == value))
}

/// Follows symlinks (bounded) so that edits replace the link's target.
pub fn resolve_symlink(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..32 {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = if link.is_absolute() {
                    link
                } else {
                    current.parent().unwrap_or(Path::new(".")).join(link)
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn new_file_is_private_and_existing_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.md");
        atomic_write(&p, b"one").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // no temporary files left behind
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn symlink_target_is_replaced_and_link_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.md");
        fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.md");
        std::os::unix::fs::symlink("real.md", &link).unwrap();
        atomic_write(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn a_failed_check_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.md");
        fs::write(&p, b"old").unwrap();
        let err =
            atomic_write_checked(&p, b"new", &mut || Err(io::Error::other("no"))).unwrap_err();
        assert_eq!(err.to_string(), "no");
        assert_eq!(names(dir.path()), ["a.md"]);
        assert_eq!(fs::read(&p).unwrap(), b"old");
    }

    #[test]
    fn temp_names_are_recognised() {
        assert_eq!(temp_owner(".tom.md.rapport-4242-0.tmp"), Some(4242));
        assert_eq!(temp_owner(".state.json.rapport-7-12.tmp"), Some(7));
        assert_eq!(temp_owner(".rapport-new-99-3.tmp"), Some(99));
        assert_eq!(temp_owner(".my rapport-notes.md.rapport-5-1.tmp"), Some(5));
        for not_ours in [
            "tom.md",
            ".tom.md.swp",
            ".tom.md.rapport-x-0.tmp",
            ".tom.md.rapport-1-.tmp",
            "tom.md.rapport-1-0.tmp",
            ".syncthing.tom.md.tmp",
        ] {
            assert_eq!(temp_owner(not_ours), None, "{not_ours}");
        }
    }

    #[test]
    fn stale_temps_of_dead_processes_are_swept_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A process that has exited: its PID is free (until reused).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let mut live = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let me = std::process::id();
        for name in [
            format!(".tom.md.rapport-{dead}-0.tmp"),
            format!(".rapport-new-{dead}-1.tmp"),
            format!(".tom.md.rapport-{}-0.tmp", live.id()),
            format!(".tom.md.rapport-{me}-0.tmp"),
            "tom.md".to_string(),
            ".tom.md.swp".to_string(),
        ] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        // An old one of a live PID (reused) goes too.
        let old = dir
            .path()
            .join(format!(".old.md.rapport-{}-0.tmp", live.id()));
        fs::write(&old, b"x").unwrap();
        let f = File::options().write(true).open(&old).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(7200))
            .unwrap();
        assert_eq!(sweep_stale_temps(dir.path()), 3);
        let _ = live.kill();
        let _ = live.wait();
        let mut kept = vec![
            format!(".tom.md.rapport-{}-0.tmp", live.id()),
            format!(".tom.md.rapport-{me}-0.tmp"),
            ".tom.md.swp".to_string(),
            "tom.md".to_string(),
        ];
        kept.sort();
        assert_eq!(names(dir.path()), kept);
    }

    #[test]
    fn an_atomic_write_sweeps_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        fs::write(
            dir.path().join(format!(".feed.rapport-{dead}-0.tmp")),
            vec![0u8; 1000],
        )
        .unwrap();
        atomic_write(&dir.path().join("feed"), b"body").unwrap();
        assert_eq!(names(dir.path()), ["feed"]);
    }

    #[test]
    fn the_lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let held = lock_exclusive(&path, Duration::from_secs(1)).unwrap();
        // flock locks belong to the open file: a second open waits, even here.
        let err = lock_exclusive(&path, Duration::from_millis(30)).unwrap_err();
        match err {
            LockError::Busy { holder, .. } => assert_eq!(holder, Some(std::process::id())),
            other => panic!("{other}"),
        }
        drop(held);
        lock_exclusive(&path, Duration::from_millis(30)).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
