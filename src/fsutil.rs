//! File helpers shared by the notes editor and the daemon state: atomic writes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

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
/// The notes editor uses it to refuse when the file changed since it was
/// read, keeping the check-to-rename window as small as it can be.
pub fn atomic_write_checked(
    path: &Path,
    contents: &[u8],
    check: &mut dyn FnMut() -> io::Result<()>,
) -> io::Result<()> {
    atomic_write_parts(path, &[contents], check)
}

/// [`atomic_write_checked`] of the concatenation of `parts`, without
/// building it: the feed cache is a header and a body of up to 256 MB.
pub fn atomic_write_parts(
    path: &Path,
    parts: &[&[u8]],
    check: &mut dyn FnMut() -> io::Result<()>,
) -> io::Result<()> {
    let target = resolve_symlink(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mode = match fs::metadata(&target) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0o600,
        Err(e) => return Err(e),
    };
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let mut attempt = 0u32;
    let (tmp_path, mut tmp) = loop {
        let candidate = dir.join(format!(
            ".{file_name}.rapport-{}-{attempt}.tmp",
            std::process::id()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&candidate)
        {
            Ok(f) => break (candidate, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
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
        tmp.sync_all()?;
        drop(tmp);
        fault("after-fsync")?;
        check()?;
        fault("before-rename")?;
        fs::rename(&tmp_path, &target)?;
        fault("after-rename")?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
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
/// the contents reached the temporary file.
fn fault(point: &str) -> io::Result<()> {
    let Some(wanted) = std::env::var_os("RAPPORT_FAULT") else {
        return Ok(());
    };
    if wanted == "enospc" && point == "mid-temp-write" {
        return Err(io::Error::from_raw_os_error(libc::ENOSPC));
    }
    if wanted == point {
        // SAFETY: raise() only sends a signal to this process.
        unsafe {
            libc::raise(libc::SIGSTOP);
        }
    }
    Ok(())
}

/// Follows symlinks (bounded) so that edits replace the link's target.
fn resolve_symlink(path: &Path) -> io::Result<PathBuf> {
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
}
