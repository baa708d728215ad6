//! Issue 10, points 7 and 8: the folders rapport creates are private, and
//! its state file is read only when it is a regular file of a sane size.
//! Runs the real binary in a temporary home (`common::bin`).

use std::time::Duration;

use chrono::Utc;

use crate::common::bin::{folders_with_modes, meeting_with_tom_in, BinHome};
use crate::common::http::{Reply, TestServer};

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "{what} did not happen in {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_folder_rapport_creates_under_state_cache_and_config_is_0700() {
    let home = BinHome::new();
    let server = TestServer::start();
    server.route(
        "/cal.ics",
        vec![Reply::calendar(meeting_with_tom_in(
            "files-1", "Planning", 120,
        ))],
    );
    // `init` makes the config folder (and the people folder).
    let out = home.run(&["init"]);
    assert!(out.status.success(), "{out:?}");
    home.write_config(&home.config_with(&format!(
        "[[calendar]]\nname = \"work\"\nurl = \"{}\"\n",
        server.url("/cal.ics")
    )));
    // The daemon on a fresh state and cache: its request watcher used to
    // make the state folder first, 0755.
    let mut daemon = home.start_daemon(&[]);
    let feeds = home.cache_dir().join("feeds");
    let state = home.state_dir().join("state.json");
    wait_for(
        "the first cache file and state",
        Duration::from_secs(30),
        || state.exists() && std::fs::read_dir(&feeds).is_ok_and(|mut d| d.next().is_some()),
    );
    daemon.terminate();
    // The CLI's writers: a snooze request, the systemd unit.
    let out = home.run(&["snooze"]);
    assert!(out.status.success(), "{out:?}");
    let out = home.run(&["service", "install"]);
    assert!(out.status.success(), "{out:?}");
    assert!(home
        .path("xdg-config/systemd/user/rapport.service")
        .exists());

    for root in ["xdg-state", "xdg-cache", "xdg-config"] {
        let folders = folders_with_modes(&home.path(root));
        assert!(folders.len() >= 2, "{root}: {folders:?}");
        let open: Vec<_> = folders.iter().filter(|(_, m)| *m != 0o700).collect();
        assert!(open.is_empty(), "folders that are not 0700: {open:?}");
    }
}

#[test]
fn a_state_folder_an_earlier_version_made_0755_is_closed_by_the_daemon() {
    use std::os::unix::fs::PermissionsExt;
    let home = BinHome::new();
    home.write_config(&home.config_with(""));
    for dir in [home.state_dir(), home.cache_dir()] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut daemon = home.start_daemon(&[]);
    daemon.wait_log("rapport daemon started", Duration::from_secs(30));
    daemon.terminate();
    for dir in [home.state_dir(), home.cache_dir()] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
}

/// A home whose state file's path is something else than a regular file.
fn home_with_unfit_state(kind: &str) -> BinHome {
    let home = BinHome::new();
    home.write_config(&home.config_with(""));
    let path = home.state_dir().join("state.json");
    std::fs::create_dir_all(home.state_dir()).unwrap();
    match kind {
        "fifo" => {
            let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
            // SAFETY: mkfifo(3) with a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        }
        "folder" => std::fs::create_dir(&path).unwrap(),
        "symlink to /dev/zero" => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
        "sparse 100 GB" => {
            let f = std::fs::File::create(&path).unwrap();
            f.set_len(100 * 1024 * 1024 * 1024).unwrap();
        }
        other => panic!("{other}"),
    }
    home
}

const UNFIT: [&str; 4] = ["fifo", "folder", "symlink to /dev/zero", "sparse 100 GB"];

#[test]
fn status_never_hangs_or_reads_a_state_file_that_is_not_a_regular_file() {
    for kind in UNFIT {
        let home = home_with_unfit_state(kind);
        let child = home.command(&["status"]).spawn().unwrap();
        let out = crate::common::bin::wait_output(child, Duration::from_secs(10));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{kind}: {out:?}");
        assert!(
            err.contains("state.json") && err.contains("unreadable"),
            "{kind}: {err}"
        );
        // `status` never repairs: the daemon owns the file.
        assert!(
            std::fs::symlink_metadata(home.state_dir().join("state.json")).is_ok(),
            "{kind}"
        );
    }
}

#[test]
fn run_moves_a_state_file_that_is_not_a_regular_file_aside_and_starts() {
    for kind in UNFIT {
        let home = home_with_unfit_state(kind);
        let mut daemon = home.start_daemon(&[]);
        daemon.wait_log("rapport daemon started", Duration::from_secs(10));
        let (_, status) = daemon.terminate();
        assert!(status.success(), "{kind}: {}", daemon.log_text());
        let log = daemon.log_text();
        assert!(
            log.contains("unreadable state") && log.contains("moved to"),
            "{kind}: {log}"
        );
        let names: Vec<String> = std::fs::read_dir(home.state_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("state.json.corrupt-")),
            "{kind}: {names:?}"
        );
        // A new, regular state file in its place, which loads.
        let path = home.state_dir().join("state.json");
        assert!(
            std::fs::symlink_metadata(&path).unwrap().is_file(),
            "{kind}"
        );
        let loaded = rapport::daemon::state::State::load(&home.state_dir(), Utc::now()).unwrap();
        assert!(loaded.moved_aside.is_none(), "{kind}");
    }
    assert!(std::fs::metadata("/dev/zero").unwrap().len() == 0);
}
