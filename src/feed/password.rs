//! `password_command`: the one program rapport runs for a feed, bounded in
//! time, output and processes.

use std::time::Duration;

use super::{human_bytes, FeedError};

/// Runs `password_command` without a shell and returns the first line of its
/// output. The output is never logged or put into an error.
///
/// Bounded like everything that comes from outside: at most
/// [`PASSWORD_OUTPUT_LIMIT`] bytes are read from each of its outputs (a
/// command that prints more, such as `yes`, is an error, not 8 GB of memory),
/// the first line is at most [`PASSWORD_MAX_BYTES`], and it runs in a process
/// group of its own that is killed when it finishes, fails or times out, so
/// nothing it started outlives it (a daemon it starts in a session of its
/// own, as gpg-agent does, is not in the group).
pub async fn password_command_output(
    cmd: &[String],
    feed: &str,
    timeout: Duration,
) -> Result<String, FeedError> {
    let fail = |detail: String| FeedError::PasswordCommand {
        feed: feed.to_string(),
        detail,
    };
    let program = cmd.first().ok_or_else(|| fail("is empty".into()))?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(&cmd[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| fail(format!("`{program}` could not be run: {e}")))?;
    // Killed on every way out of this function. The group's id is the
    // child's pid, which Linux does not reuse while the group has members.
    let pgid = child.id();
    let _group = pgid.map(ProcessGroup);
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let work = async {
        let reading = async { tokio::try_join!(read_bounded(stdout), read_bounded(stderr)) };
        let waiting = async {
            let status = child.wait().await;
            // What it left behind may hold the pipes open: end it, so the
            // reads see the end of the output.
            if let Some(pgid) = pgid {
                kill_group(pgid);
            }
            Ok::<_, Bounded>(status)
        };
        tokio::try_join!(waiting, reading)
    };
    let (status, (stdout, stderr)) = match tokio::time::timeout(timeout, work).await {
        Err(_) => {
            return Err(fail(format!(
                "`{program}` did not finish within {} (it and what it started were stopped)",
                crate::util::duration::format_duration(timeout)
            )))
        }
        Ok(Err(Bounded::TooMuch)) => {
            return Err(fail(format!(
                "`{program}` printed more than {}, which is no password (it was stopped); it \
                 should print the password on its first line and little else",
                human_bytes(PASSWORD_OUTPUT_LIMIT as u64)
            )))
        }
        Ok(Err(Bounded::Io(e))) => {
            return Err(fail(format!("`{program}`: reading its output: {e}")))
        }
        Ok(Ok((Err(e), _))) => return Err(fail(format!("`{program}` could not be run: {e}"))),
        Ok(Ok((Ok(status), outputs))) => (status, outputs),
    };
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let first = crate::util::text::line(stderr.lines().next().unwrap_or(""), 200);
        return Err(fail(format!(
            "`{program}` failed ({status}){}",
            if first.is_empty() {
                String::new()
            } else {
                format!(": {first}")
            }
        )));
    }
    let first = stdout.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    if first.len() > PASSWORD_MAX_BYTES {
        return Err(fail(format!(
            "`{program}` printed a first line of {}, which is no password (at most {})",
            human_bytes(first.len() as u64),
            human_bytes(PASSWORD_MAX_BYTES as u64)
        )));
    }
    let line = std::str::from_utf8(first)
        .map_err(|_| fail(format!("`{program}` printed something that is not UTF-8")))?;
    if line.is_empty() {
        return Err(fail(format!("`{program}` printed nothing")));
    }
    Ok(line.to_string())
}

/// The most read from each output of a `password_command`: a password, and
/// room for the rest of a `pass` entry after it.
pub const PASSWORD_OUTPUT_LIMIT: usize = 64 * 1024;
/// The longest first line taken as a password.
pub const PASSWORD_MAX_BYTES: usize = 4096;

enum Bounded {
    /// More than [`PASSWORD_OUTPUT_LIMIT`].
    TooMuch,
    Io(std::io::Error),
}

/// Reads `pipe` to its end, or fails as soon as it gave more than
/// [`PASSWORD_OUTPUT_LIMIT`] bytes.
async fn read_bounded(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> Result<Vec<u8>, Bounded> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let Some(pipe) = pipe else { return Ok(out) };
    pipe.take(PASSWORD_OUTPUT_LIMIT as u64 + 1)
        .read_to_end(&mut out)
        .await
        .map_err(Bounded::Io)?;
    if out.len() > PASSWORD_OUTPUT_LIMIT {
        return Err(Bounded::TooMuch);
    }
    Ok(out)
}

/// A process group killed when this is dropped.
struct ProcessGroup(u32);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

fn kill_group(pgid: u32) {
    if let Ok(pgid) = libc::pid_t::try_from(pgid) {
        // SAFETY: killpg(3) only sends a signal; a group that is gone is ESRCH.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}
