//! Replacing a file that other programs edit at the same time: the people
//! notes, which Obsidian, editors and sync tools write while rapport runs.
//!
//! A plain "read, edit, write a temporary file, rename" loses their work in
//! three ways, and each has its guard here:
//!
//! - **A torn read.** An editor that saves in place truncates the file and
//!   writes it again; read in between, the note is empty or half there, and
//!   the edit built on it would replace the whole note. [`read_settled`]
//!   waits while the file is being written: while another program has it
//!   open for writing (a read *lease* cannot be taken then), while it
//!   changed within the last [`Settle::quiet`] unless it is as rapport left
//!   it, and while its size or stamps move between two looks.
//! - **A save between the check and the rename.** The lease stays held until
//!   the rename: another program that opens the note to write in that window
//!   is held back by the kernel (for the milliseconds it takes) and rapport
//!   sees the pending "lease break", so its write is never lost to the
//!   rename. A save by rename is caught by comparing the file's identity
//!   right before the rename.
//! - **The rename itself.** [`replace`] swaps the new file in with
//!   `renameat2(RENAME_EXCHANGE)`, which keeps the replaced file under the
//!   temporary name: if it turns out that another program's save landed in
//!   the microseconds between the last check and the swap, rapport swaps
//!   back, so that save is what stays, and tries again on top of it.
//!
//! Where the kernel or filesystem lacks leases or the exchange (NFS, SMB,
//! some FUSE filesystems), the settle wait, the identity and content checks
//! and a plain rename remain, and a write to the old file that the rename
//! displaced is detected and put back. A writer that opened the old file
//! just before the swap is watched for a moment and its save kept; one that
//! stalls longer than that between opening the file and writing it can
//! still be lost there (its bytes are kept as a version when a second save
//! followed).

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use crate::util;
use crate::util::fs::FileId;

/// How long to wait for a file that is being written.
#[derive(Debug, Clone, Copy)]
pub struct Settle {
    /// A file changed more recently than this may still be being written
    /// (an editor pausing between two writes): it is looked at again after
    /// this long, and used once two looks agree.
    pub quiet: Duration,
    /// When to give up.
    pub deadline: Instant,
}

impl Settle {
    pub fn new(quiet: Duration, max_wait: Duration) -> Settle {
        Settle {
            quiet,
            deadline: Instant::now() + max_wait,
        }
    }

    /// Sleeps `d`, but not past the deadline; false when the deadline passed.
    fn sleep(&self, d: Duration) -> bool {
        let now = Instant::now();
        if now >= self.deadline {
            return false;
        }
        std::thread::sleep(d.min(self.deadline - now));
        true
    }
}

/// The whole, current contents of a file, and what they were read from.
#[derive(Debug)]
pub struct Snapshot {
    /// The inode that was read, open read-only; it holds the read lease.
    file: File,
    pub bytes: Vec<u8>,
    pub id: FileId,
    pub mode: u32,
    leased: bool,
}

impl Snapshot {
    /// Whether the kernel's lease guards this snapshot (see the module docs).
    pub fn leased(&self) -> bool {
        self.leased
    }
}

/// Why a file could not be read as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Still being written when the deadline came.
    #[error("{0}")]
    Busy(Busy),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Another program kept it open for writing.
    OpenForWriting,
    /// It kept changing.
    Changing,
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Busy::OpenForWriting => "another program kept it open for writing",
            Busy::Changing => "it kept changing",
        })
    }
}

/// Reads the whole file at `path` once nobody is writing it (see the module
/// docs). `known` is the identity rapport left the file with: a file that
/// still has it changed last by rapport and needs no settle wait.
pub fn read_settled(
    path: &Path,
    known: Option<&FileId>,
    settle: &Settle,
) -> Result<Snapshot, ReadError> {
    let mut last_look: Option<FileId> = None;
    let mut pause = Duration::from_millis(5);
    let busy = |why| Err(ReadError::Busy(why));
    loop {
        let file = match util::fs::open_regular(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::NotFound),
            // Another program holds a write lease (a file server's oplock).
            Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => {
                if !settle.sleep(pause) {
                    return busy(Busy::OpenForWriting);
                }
                pause = (pause * 2).min(Duration::from_millis(100));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let meta = file.metadata()?;
        let id = FileId::of(&meta);
        if known != Some(&id) && last_look != Some(id) {
            if let Some(wait) = settle_wait(&id, settle.quiet) {
                // Changed a moment ago: maybe mid-save. Look again once it
                // has been quiet for a while; two equal looks are enough.
                last_look = Some(id);
                if !settle.sleep(wait) {
                    return busy(Busy::Changing);
                }
                continue;
            }
        }
        let leased = match take_read_lease(&file) {
            Ok(()) => true,
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                // Open for writing by another program right now.
                last_look = None;
                if !settle.sleep(pause) {
                    return busy(Busy::OpenForWriting);
                }
                pause = (pause * 2).min(Duration::from_millis(100));
                continue;
            }
            // No leases here (filesystem, kernel, permissions): the other
            // guards still apply.
            Err(_) => false,
        };
        let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
        (&file).read_to_end(&mut bytes)?;
        let after = FileId::of(&file.metadata()?);
        let at_path = fs::metadata(path).ok().map(|m| FileId::of(&m));
        let broken = leased && lease_broken(&file);
        if after == id && at_path.is_some_and(|p| p.same_inode(&id)) && !broken {
            return Ok(Snapshot {
                file,
                bytes,
                id,
                mode: std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777,
                leased,
            });
        }
        // Written or replaced while it was read.
        drop(file);
        last_look = None;
        if !settle.sleep(settle.quiet) {
            return busy(Busy::Changing);
        }
    }
}

/// How long to wait before looking again at a file that changed less than
/// `quiet` ago (or whose change time lies in the future: a clock step).
fn settle_wait(id: &FileId, quiet: Duration) -> Option<Duration> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    let age = now - id.ctime_ns;
    let quiet_ns = quiet.as_nanos() as i128;
    if age >= quiet_ns {
        None
    } else if age < 0 {
        Some(quiet)
    } else {
        Some(Duration::from_nanos((quiet_ns - age) as u64).max(Duration::from_millis(1)))
    }
}

/// `F_SETSIG` from asm-generic/fcntl.h (the libc crate lacks it on most
/// targets).
const F_SETSIG: libc::c_int = 10;

/// A read lease: the kernel holds back any other open-for-writing or
/// truncate of the file (up to /proc/sys/fs/lease-break-time) and marks the
/// lease broken, until rapport lets go. Fails with EAGAIN while someone has
/// the file open for writing.
fn take_read_lease(file: &File) -> io::Result<()> {
    if util::fs::fault_set("no-lease") {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let fd = file.as_raw_fd();
    // A lease break is signalled to the holder, by default with SIGIO,
    // which would end the process; SIGURG is ignored by default, and the
    // break is read with F_GETLEASE instead.
    // SAFETY: fcntl on a descriptor we own.
    if unsafe { libc::fcntl(fd, F_SETSIG, libc::SIGURG) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_RDLCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether another program has asked to write the file since the lease was
/// taken (F_GETLEASE then reports the type the lease is to be broken to).
fn lease_broken(file: &File) -> bool {
    // SAFETY: fcntl on a descriptor we own.
    let lease = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLEASE) };
    lease != libc::F_RDLCK
}

fn release_lease(file: &File) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        libc::fcntl(file.as_raw_fd(), libc::F_SETLEASE, libc::F_UNLCK);
    }
}

/// What [`replace`] did.
#[derive(Debug)]
pub enum Replaced {
    /// The file now holds the new contents; its identity right after.
    Done(FileId),
    /// Nothing was replaced: the file changed after it was read (the
    /// snapshot is stale). Read it again and redo the edit.
    Changed,
    /// Another program wrote the old file after the rename had replaced it
    /// (only without `RENAME_EXCHANGE`), and its version could not be put
    /// back because the file changed again: these are its bytes, for the
    /// caller to keep. Nothing of rapport's edit is in the file.
    Orphaned(Vec<u8>),
    /// The file holds the new contents, changed since by another program
    /// that read them; a save of a program that wrote the replaced file in
    /// the same moment could not be put back: these are its bytes, for the
    /// caller to keep (only without a lease).
    DoneBeside(FileId, Vec<u8>),
}

/// Without a lease: how long rapport watches the file it replaced for a
/// writer that opened it just before the swap.
const NO_LEASE_GRACE: Duration = Duration::from_millis(20);

/// Replaces the file at `path` (no symlink: pass the resolved target) with
/// `contents`, if it still is exactly what `snap` read. Durable: the new
/// file is fsynced before it is swapped in, the folder after.
pub fn replace(
    path: &Path,
    snap: Snapshot,
    contents: &[u8],
    settle: &Settle,
) -> io::Result<Replaced> {
    let dir = util::fs::parent_dir(path);
    let mut temp = util::fs::Temp::create(&dir, path)?;
    temp.write_durably(&[contents], snap.mode)?;
    let named = temp.name()?.to_path_buf();
    let ours = FileId::of(&fs::symlink_metadata(&named)?);
    if !unchanged_at(path, &snap)? {
        return Ok(Replaced::Changed);
    }
    util::fs::fault("before-rename")?;
    match exchange(&named, path) {
        Ok(()) => {
            util::fs::fault("after-rename")?;
            // `named` now holds what was at `path`.
            let displaced = FileId::of(&fs::symlink_metadata(&named)?);
            let mut old_untouched = displaced.same_inode(&snap.id) && untouched(&snap)?;
            if old_untouched && !snap.leased {
                // Without a lease nothing holds back a writer that looked
                // the path up just before the swap and truncates the old
                // file just after (seen under load: an in-place save
                // lost). A moment's grace lets such a writer show itself;
                // the swap back below then keeps its save.
                std::thread::sleep(NO_LEASE_GRACE);
                old_untouched = untouched(&snap)?;
            }
            if old_untouched {
                // The old file goes; `temp` removes the name on drop.
                drop(temp);
                util::fs::sync_dir(&dir);
                return Ok(Replaced::Done(FileId::of(&fs::symlink_metadata(path)?)));
            }
            // Another program saved in the moment before the swap (by
            // rename: that file is under `named` now), or is about to
            // write the old file (held back by the lease): swap back so
            // its save is what stays.
            let now_at_path = FileId::of(&fs::symlink_metadata(path)?);
            if now_at_path.same_inode(&ours) {
                if now_at_path.size != ours.size || now_at_path.mtime_ns != ours.mtime_ns {
                    // A second save already went into rapport's file (it
                    // read it, so it holds this edit): it is the newest
                    // and stays; the first save's bytes go to the caller
                    // to keep as a version.
                    let mut theirs = vec![0; snap.file.metadata()?.len() as usize];
                    let n = snap.file.read_at(&mut theirs, 0)?;
                    theirs.truncate(n);
                    drop(temp);
                    util::fs::sync_dir(&dir);
                    return Ok(Replaced::DoneBeside(now_at_path, theirs));
                }
                exchange(&named, path)?;
            }
            let back = FileId::of(&fs::symlink_metadata(&named)?);
            if !back.same_inode(&ours) {
                // Yet another save raced the swap back: keep that file
                // where the user can see it rather than guess.
                let keep = dir.join(format!(
                    "{}.rapport-conflict-{}",
                    path.file_name().unwrap_or_default().to_string_lossy(),
                    std::process::id()
                ));
                fs::rename(&named, &keep)?;
                temp.renamed();
                return Err(io::Error::other(format!(
                    "two other programs saved {} at the same moment as rapport; one version is kept as {}",
                    path.display(),
                    keep.display()
                )));
            }
            drop(temp);
            util::fs::sync_dir(&dir);
            Ok(Replaced::Changed)
        }
        Err(e) if exchange_unsupported(&e) => {
            fs::rename(&named, path)?;
            temp.renamed();
            util::fs::fault("after-rename")?;
            util::fs::sync_dir(&dir);
            let now = FileId::of(&fs::symlink_metadata(path)?);
            if untouched(&snap)? {
                return Ok(Replaced::Done(now));
            }
            put_back(path, snap, now, settle)
        }
        Err(e) => Err(e),
    }
}

/// Whether `path` is still the file `snap` read, unchanged.
fn unchanged_at(path: &Path, snap: &Snapshot) -> io::Result<bool> {
    let id = match fs::symlink_metadata(path) {
        Ok(m) => FileId::of(&m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if id != snap.id {
        return Ok(false);
    }
    if snap.leased {
        return Ok(!lease_broken(&snap.file));
    }
    // Without a lease, a write within the same timestamp tick (coarse on
    // some filesystems) would keep the identity: compare the bytes too.
    Ok(fs::read(path)? == snap.bytes)
}

/// Whether nobody wrote (or is about to write) the old file since `snap`
/// read it. Its change time moved with rapport's own rename or unlink, so
/// size and mtime are compared, and the lease or, without one, the bytes.
fn untouched(snap: &Snapshot) -> io::Result<bool> {
    let now = FileId::of(&snap.file.metadata()?);
    if now.size != snap.id.size || now.mtime_ns != snap.id.mtime_ns {
        return Ok(false);
    }
    if snap.leased {
        return Ok(!lease_broken(&snap.file));
    }
    let mut bytes = vec![0; snap.bytes.len()];
    let n = snap.file.read_at(&mut bytes, 0)?;
    Ok(n == bytes.len() && bytes == snap.bytes)
}

/// After a plain rename, another program wrote the file rapport replaced:
/// wait for that write to finish and put its version back (the caller
/// then edits it again), unless the file changed again meanwhile.
fn put_back(path: &Path, snap: Snapshot, ours: FileId, settle: &Settle) -> io::Result<Replaced> {
    release_lease(&snap.file);
    let mut last = FileId::of(&snap.file.metadata()?);
    loop {
        if !settle.sleep(settle.quiet) {
            break;
        }
        let id = FileId::of(&snap.file.metadata()?);
        if id == last {
            break;
        }
        last = id;
    }
    let mut theirs = vec![0; last.size as usize];
    let n = snap.file.read_at(&mut theirs, 0)?;
    theirs.truncate(n);
    let dir = util::fs::parent_dir(path);
    let mut temp = util::fs::Temp::create(&dir, path)?;
    temp.write_durably(&[&theirs], snap.mode)?;
    let named = temp.name()?.to_path_buf();
    let at_path = FileId::of(&fs::symlink_metadata(path)?);
    if at_path != ours {
        return Ok(Replaced::Orphaned(theirs));
    }
    fs::rename(&named, path)?;
    temp.renamed();
    util::fs::sync_dir(&dir);
    Ok(Replaced::Changed)
}

fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    if util::fs::fault_set("no-exchange") {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let (ca, cb) = (util::fs::c_path(a)?, util::fs::c_path(b)?);
    // SAFETY: valid NUL-terminated paths; renameat2 through syscall(2)
    // because older C libraries lack the wrapper.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn exchange_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP | libc::EXDEV)
    )
}

/// Test support: the lease guard held by a snapshot.
#[doc(hidden)]
pub fn release_for_test(snap: &Snapshot) {
    release_lease(&snap.file);
}

/// Test support: take the lease again (see [`release_for_test`]).
#[doc(hidden)]
pub fn retake_for_test(snap: &mut Snapshot) {
    snap.leased = snap.leased && take_read_lease(&snap.file).is_ok();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn settle() -> Settle {
        Settle::new(Duration::from_millis(50), Duration::from_secs(5))
    }

    fn quiet_file(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("n.md");
        fs::write(&p, text).unwrap();
        // Older than the settle time, as a note normally is.
        let f = File::options().write(true).open(&p).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(60))
            .unwrap();
        std::thread::sleep(Duration::from_millis(60));
        p
    }

    #[test]
    fn replaces_an_unchanged_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let p = quiet_file(dir.path(), "old\n");
        let snap = read_settled(&p, None, &settle()).unwrap();
        assert_eq!(snap.bytes, b"old\n");
        let r = replace(&p, snap, b"new\n", &settle()).unwrap();
        assert!(matches!(r, Replaced::Done(_)), "{r:?}");
        assert_eq!(fs::read(&p).unwrap(), b"new\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_save_by_rename_after_the_read_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = quiet_file(dir.path(), "old\n");
        let snap = read_settled(&p, None, &settle()).unwrap();
        let tmp = dir.path().join("theirs");
        fs::write(&tmp, "theirs\n").unwrap();
        fs::rename(&tmp, &p).unwrap();
        let r = replace(&p, snap, b"ours\n", &settle()).unwrap();
        assert!(matches!(r, Replaced::Changed), "{r:?}");
        assert_eq!(fs::read(&p).unwrap(), b"theirs\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_in_place_save_during_the_edit_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = quiet_file(dir.path(), "old\n");
        let snap = read_settled(&p, None, &settle()).unwrap();
        if !snap.leased() {
            eprintln!("SKIP: no leases on this filesystem");
            return;
        }
        // An editor saving in place (truncate + write) right now: the kernel
        // holds its open back until rapport lets go of the lease.
        let editor = {
            let p = p.clone();
            std::thread::spawn(move || fs::write(&p, "theirs\n").unwrap())
        };
        let start = Instant::now();
        while !lease_broken(&snap.file) {
            assert!(start.elapsed() < Duration::from_secs(10), "no lease break");
            std::thread::sleep(Duration::from_millis(1));
        }
        let r = replace(&p, snap, b"ours\n", &settle()).unwrap();
        assert!(matches!(r, Replaced::Changed), "{r:?}");
        editor.join().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"theirs\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_fifo_in_place_of_the_note_is_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("n.md");
        let c = util::fs::c_path(&p).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        match read_settled(&p, None, &settle()) {
            Err(ReadError::Io(e)) => assert!(e.to_string().contains("not a regular file")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_recent_change_is_waited_for_unless_rapport_made_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("n.md");
        fs::write(&p, "just written\n").unwrap();
        let quiet = Duration::from_millis(200);
        let s = Settle::new(quiet, Duration::from_secs(5));
        let start = Instant::now();
        read_settled(&p, None, &s).unwrap();
        assert!(start.elapsed() >= Duration::from_millis(100));
        let known = FileId::of(&fs::metadata(&p).unwrap());
        fs::write(&p, "again\n").unwrap();
        let known_now = FileId::of(&fs::metadata(&p).unwrap());
        let start = Instant::now();
        read_settled(&p, Some(&known_now), &s).unwrap();
        assert!(start.elapsed() < Duration::from_millis(100));
        assert_ne!(known, known_now);
    }

    #[test]
    fn a_file_held_open_for_writing_is_busy_until_closed() {
        let dir = tempfile::tempdir().unwrap();
        let p = quiet_file(dir.path(), "old\n");
        let writer = File::options().write(true).open(&p).unwrap();
        let s = Settle::new(Duration::from_millis(20), Duration::from_millis(300));
        match read_settled(&p, None, &s) {
            Err(ReadError::Busy(Busy::OpenForWriting)) => {}
            Ok(snap) if !snap.leased() => {
                eprintln!("SKIP: no leases on this filesystem");
                return;
            }
            other => panic!("{other:?}"),
        }
        drop(writer);
        read_settled(&p, None, &settle()).unwrap();
    }
}
