//! Issue 10, points 3 and 4: inputs that must stay bounded. A
//! `password_command` that prints without end or leaves children behind,
//! and YAML aliases in a note's front matter ("billion laughs").

use std::path::Path;
use std::time::{Duration, Instant};

use rapport::feed::{password_command_output, FeedError};

use crate::common::bin::BinHome;

fn sh(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script.into()]
}

/// Whether `pid` is gone (or a zombie waiting to be reaped: it runs no more).
fn dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Waits up to two seconds for `pid` to be gone.
fn gone_soon(pid: i32) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        if dead(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn pid_in(file: &Path) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(pid) = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no pid in {file:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

async fn password(cmd: Vec<String>, timeout: Duration) -> (Result<String, FeedError>, Duration) {
    let start = Instant::now();
    let result = password_command_output(&cmd, "work", timeout).await;
    (result, start.elapsed())
}

/// Runs `sh -c SCRIPT` as the password command, with `PIDFILE` in the
/// script replaced by a file for a pid; returns that pid too.
async fn password_with_pid(
    script: &str,
    timeout: Duration,
) -> (Result<String, FeedError>, Duration, i32) {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let script = script.replace("PIDFILE", &pidfile.display().to_string());
    let (result, took) = password(sh(&script), timeout).await;
    (result, took, pid_in(&pidfile))
}

#[tokio::test]
async fn password_command_yes_is_an_error_after_a_bounded_read_and_is_stopped() {
    let (result, took, pid) =
        password_with_pid("echo $$ > PIDFILE; exec yes", Duration::from_secs(30)).await;
    let err = result.unwrap_err().to_string();
    assert!(err.contains("printed more than 64 kB"), "{err}");
    assert!(
        err.contains("password_command") && err.contains("`sh`"),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(gone_soon(pid), "`yes` still runs");
}

#[tokio::test]
async fn password_command_with_a_huge_first_line_is_refused_unread() {
    let of = |script: &str| password(sh(script), Duration::from_secs(30));
    // 100 MB without a line break: stopped after 64 kB.
    let (result, took) = of("head -c 100000000 /dev/zero | tr '\\0' a").await;
    let err = result.unwrap_err().to_string();
    assert!(err.contains("printed more than 64 kB"), "{err}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A first line over 4 kB inside a small output: not a password either.
    let (result, _) = of("head -c 5000 /dev/zero | tr '\\0' a; echo; echo rest").await;
    let err = result.unwrap_err().to_string();
    assert!(err.contains("first line of 4 kB"), "{err}");
    assert!(!err.contains("aaaa"), "the output is never shown: {err}");
    // A `pass` entry: the password, then more lines.
    let (result, _) =
        of("echo 's3cret pass'; echo 'url: https://example.org'; echo 'notes: x'").await;
    assert_eq!(result.unwrap(), "s3cret pass");
}

/// A child of the command never outlives it: not when the command times
/// out waiting, nor when the command is done but its child holds the output
/// pipe open (the answer then comes at once).
#[tokio::test]
async fn password_command_children_never_outlive_it() {
    let cases: [(&str, u64, Result<&str, &str>); 2] = [
        (
            "sleep 300 & echo $! > PIDFILE; sleep 300",
            1,
            Err("did not finish within 1s"),
        ),
        (
            "sleep 300 & echo $! > PIDFILE; echo hunter2",
            30,
            Ok("hunter2"),
        ),
    ];
    for (script, secs, want) in cases {
        let (result, took, pid) = password_with_pid(script, Duration::from_secs(secs)).await;
        match want {
            Ok(password) => assert_eq!(result.unwrap(), password, "{script}"),
            Err(message) => {
                let err = result.unwrap_err().to_string();
                assert!(err.contains(message), "{script}: {err}");
            }
        }
        assert!(took < Duration::from_secs(3), "{script}: {took:?}");
        assert!(gone_soon(pid), "{script}: the child outlived the command");
    }
}

/// Through the binary: `yes` as the password_command of a configured
/// calendar (memory capped at 2 GB; it used to take 8 GB and abort).
#[test]
fn agenda_with_yes_as_password_command_says_so_and_stays_small() {
    let server = crate::common::http::TestServer::start();
    server.route(
        "/cal.ics",
        vec![crate::common::http::Reply::calendar(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        )],
    );
    let home = BinHome::new();
    home.write_config(&home.config_with(&format!(
        "[[calendar]]\nname = \"work\"\nurl = \"{}\"\nusername = \"me\"\npassword_command = \"yes\"\n",
        server.url("/cal.ics")
    )));
    let mut command = home.command(&["agenda"]);
    crate::common::bin::limit_memory(&mut command, 2 << 30);
    let start = Instant::now();
    let out = crate::common::bin::wait_output(command.spawn().unwrap(), Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("password_command `yes` printed more than 64 kB"),
        "{out:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(
        server.requests().is_empty(),
        "no request without a password"
    );
}
