//! Issue 10, points 3 and 4: inputs that must stay bounded. A
//! `password_command` that prints without end or leaves children behind,
//! and YAML aliases in a note's front matter ("billion laughs").

use std::path::Path;
use std::time::{Duration, Instant};

use rapport::feed::{password_command_output, FeedError};

use crate::common::bin::{limit_memory, wait_output, BinHome};

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
    limit_memory(&mut command, 2 << 30);
    let start = Instant::now();
    let out = wait_output(command.spawn().unwrap(), Duration::from_secs(30));
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

/// "Billion laughs" in 363 bytes (nine levels of nine aliases).
fn yaml_bomb(name: &str) -> String {
    let mut text = format!("---\nname: {name}\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    let levels = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in levels.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(",");
        text.push_str(&format!("{}: &{} [{refs}]\n", pair[1], pair[1]));
    }
    text.push_str("---\nPlays the lute.\n");
    text
}

fn home_with_a_yaml_bomb() -> BinHome {
    let home = BinHome::new();
    std::fs::create_dir_all(home.people_dir()).unwrap();
    std::fs::write(home.people_dir().join("lol.md"), yaml_bomb("Lol")).unwrap();
    std::fs::write(
        home.people_dir().join("tom.md"),
        "---\nname: Tom de Vries\nemail: tom@example.org\n---\n",
    )
    .unwrap();
    home.write_config(&home.config_with(""));
    home
}

#[test]
fn people_reports_a_yaml_bomb_by_file_and_line_and_lists_everyone_else() {
    let home = home_with_a_yaml_bomb();
    for args in [
        &["people"][..],
        &["people", "--json"],
        &["person", "show", "tom"],
    ] {
        let mut command = home.command(args);
        limit_memory(&mut command, 2 << 30);
        let start = Instant::now();
        let out = wait_output(command.spawn().unwrap(), Duration::from_secs(30));
        assert!(start.elapsed() < Duration::from_secs(10), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("Tom de Vries"), "{args:?}: {all}");
        if args[0] == "people" {
            assert_eq!(out.status.code(), Some(1), "{args:?}: {all}");
            assert!(all.contains("lol.md"), "{args:?}: {all}");
            assert!(all.contains("aliases"), "{args:?}: {all}");
        } else {
            assert!(out.status.success(), "{args:?}: {all}");
        }
    }
    let out = home.run(&["people"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("lol.md, line 7: front matter: its YAML aliases"),
        "{listed}"
    );
}

#[test]
fn the_daemon_reports_a_yaml_bomb_and_keeps_running() {
    let home = home_with_a_yaml_bomb();
    let mut command = home.command(&["run"]);
    limit_memory(&mut command, 2 << 30);
    let mut daemon = home.spawn_logged(command);
    daemon.wait_log("rapport daemon started", Duration::from_secs(20));
    let log = daemon.log_text();
    assert!(log.contains("lol.md, line 7: front matter"), "{log}");
    assert!(log.contains("0 calendar(s), 1 people"), "{log}");
    // One more appears while it runs (the people folder is watched).
    std::fs::write(home.people_dir().join("lol2.md"), yaml_bomb("Lol 2")).unwrap();
    daemon.wait_log("lol2.md, line 7: front matter", Duration::from_secs(20));
    daemon.wait_log("people notes reloaded: 1 people", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    assert!(daemon.is_running(), "{}", daemon.log_text());
    let (took, status) = daemon.terminate();
    assert!(
        status.success() && took < Duration::from_secs(2),
        "{took:?}"
    );
}
