//! Reliability, point 4: notes are never lost. Runs the real `rapport` binary
//! and stops it (RAPPORT_FAULT, see `fsutil::fault`) at each step of an
//! atomic write, then `kill -9`s it there.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::notes::{cont, wait_stopped, Home, NOTE};

const POINTS: [&str; 5] = [
    "mid-temp-write",
    "after-temp-write",
    "after-fsync",
    "before-rename",
    "after-rename",
];

#[test]
fn kill_9_at_every_point_of_a_write_leaves_the_old_or_the_new_note() {
    // The new text, from a run without faults.
    let reference = Home::new();
    let ok = reference.run(
        None,
        &[
            "note",
            "Tom",
            "Talked about cycling",
            "--date",
            "2026-02-01",
        ],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let new = fs::read(reference.note()).unwrap();
    assert_ne!(new, NOTE.as_bytes());
    assert!(reference.leftovers().is_empty());

    for point in POINTS {
        let home = Home::new();
        let mut child = home
            .command(
                Some(point),
                &[
                    "note",
                    "Tom",
                    "Talked about cycling",
                    "--date",
                    "2026-02-01",
                ],
            )
            .spawn()
            .unwrap();
        wait_stopped(&mut child, point);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let now = fs::read(home.note()).unwrap();
        if point == "after-rename" {
            assert_eq!(
                now, new,
                "{point}: the rename happened, the new note is there"
            );
        } else {
            assert_eq!(now, NOTE.as_bytes(), "{point}: the old note is intact");
        }
        // A killed write leaves at most its hidden temporary file (only when
        // killed in the moment the file has a name, around the rename;
        // before that it has none), and the next rapport command removes
        // it: `people` lists exactly Tom and the folder is clean after it.
        let left = home.leftovers();
        assert!(
            left.iter()
                .all(|n| n.starts_with('.') && n.ends_with(".tmp")),
            "{point}: {left:?}"
        );
        let people = home.run(None, &["people", "--json"]);
        assert!(people.status.success(), "{point}");
        let json: serde_json::Value = serde_json::from_slice(&people.stdout).unwrap();
        assert_eq!(
            json["people"].as_array().unwrap().len(),
            1,
            "{point}: {json}"
        );
        assert_eq!(
            json["errors"].as_array().unwrap().len(),
            0,
            "{point}: {json}"
        );
        assert!(
            home.leftovers().is_empty(),
            "{point}: {:?} after `people`",
            home.leftovers()
        );
        // The killed process held the note's lock: the kernel released it.
        let again = home.run(None, &["note", "Tom", "Second try", "--date", "2026-02-02"]);
        assert!(
            again.status.success(),
            "{point}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert!(fs::read_to_string(home.note())
            .unwrap()
            .contains("Second try"));
    }
}

/// Waits until the kernel reports a lease of `pid` being broken (another
/// process asked to open the file for writing and is held back).
fn wait_lease_breaking(pid: u32) {
    let start = Instant::now();
    loop {
        let locks = fs::read_to_string("/proc/locks").unwrap_or_default();
        if locks.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 4 && f[1] == "LEASE" && f[2] == "BREAKING" && f[4] == pid.to_string()
        }) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no lease break for {pid}: {locks}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_note_saved_by_an_editor_during_the_write_is_kept_and_the_edit_redone() {
    // In place (as nano, VS Code or vim with backupcopy=yes) and by rename
    // (as most editors): rapport is stopped with its new version fsynced,
    // before its last check (after-fsync), or after that check, right
    // before the swap (before-rename: the swap itself must notice and swap
    // back).
    for (point, by_rename) in [
        ("after-fsync", false),
        ("after-fsync", true),
        ("before-rename", false),
        ("before-rename", true),
    ] {
        let home = Home::new();
        let mut child = home
            .command(
                Some(point),
                &["-v", "note", "Tom", "From rapport", "--date", "2026-02-01"],
            )
            .spawn()
            .unwrap();
        wait_stopped(&mut child, point);
        let editor = format!("{NOTE}- 2026-01-11 Typed in the editor\n");
        let saver = if by_rename {
            let tmp = home.people().join("tom.md~");
            fs::write(&tmp, &editor).unwrap();
            fs::rename(&tmp, home.note()).unwrap();
            None
        } else {
            // The editor's open is held back by rapport's lease until
            // rapport lets go; rapport sees the pending write.
            let note = home.note();
            let editor = editor.clone();
            let saver = std::thread::spawn(move || fs::write(note, editor).unwrap());
            wait_lease_breaking(child.id());
            Some(saver)
        };
        cont(&child);
        let out = child.wait_with_output().unwrap();
        if let Some(s) = saver {
            s.join().unwrap();
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{point} by_rename={by_rename}: {err}");
        assert!(err.contains("doing the edit again"), "{point}: {err}");
        assert_eq!(
            fs::read_to_string(home.note()).unwrap(),
            format!("{editor}- 2026-02-01 From rapport\n"),
            "{point} by_rename={by_rename}: the editor's save kept, rapport's line added to it"
        );
        assert!(home.leftovers().is_empty(), "{:?}", home.leftovers());
    }
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn edited_notes_keep_their_mode_and_new_notes_are_0600() {
    let home = Home::new();
    fs::set_permissions(home.note(), fs::Permissions::from_mode(0o640)).unwrap();
    let out = home.run(None, &["note", "Tom", "Mode test"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&home.note()), 0o640);
    let out = home.run(
        None,
        &[
            "person",
            "add",
            "Grace Hopper",
            "--email",
            "grace@example.org",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Vec<PathBuf> = fs::read_dir(home.people())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "tom.md")
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(mode(&created[0]), 0o600, "{}", created[0].display());
    // And a note rapport then edits stays 0600.
    let out = home.run(None, &["note", "Grace", "First"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&created[0]), 0o600);
}

#[test]
fn a_symlinked_note_is_edited_in_place_of_its_target() {
    let home = Home::new();
    let elsewhere = home.root.path().join("vault");
    fs::create_dir_all(&elsewhere).unwrap();
    let target = elsewhere.join("tom-real.md");
    fs::rename(home.note(), &target).unwrap();
    std::os::unix::fs::symlink(&target, home.note()).unwrap();
    let out = home.run(
        None,
        &["note", "Tom", "Via the link", "--date", "2026-02-03"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fs::symlink_metadata(home.note())
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&target)
        .unwrap()
        .contains("Via the link"));
    // No temporary file next to the link or the target.
    assert!(home.leftovers().is_empty(), "{:?}", home.leftovers());
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 1);
}

#[test]
fn a_full_disk_leaves_the_old_note_intact_injected() {
    let home = Home::new();
    let out = home.run(Some("enospc"), &["note", "Tom", "Will not fit"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("No space left") && err.contains("tom.md"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(home.note()).unwrap(), NOTE);
    assert!(home.leftovers().is_empty(), "{:?}", home.leftovers());
}

/// Unmounts on drop, also when an assertion fails.
struct Mount(PathBuf);
impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_leaves_the_old_note_intact_real_tmpfs() {
    let home = Home::new();
    let people = home.people();
    fs::remove_file(home.note()).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs"])
        .arg(&people)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIP a_full_disk_leaves_the_old_note_intact_real_tmpfs: cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN); the injected ENOSPC test covers the code path");
        return;
    }
    let _guard = Mount(people.clone());
    fs::write(home.note(), NOTE).unwrap();
    // Fill the disk.
    let filler = people.join("filler.bin");
    {
        use std::io::Write;
        let mut f = fs::File::create(&filler).unwrap();
        let block = [0u8; 1024];
        loop {
            if f.write_all(&block).is_err() || f.sync_all().is_err() {
                break;
            }
        }
    }
    let out = home.run(None, &["note", "Tom", &"a long entry ".repeat(400)]);
    assert!(!out.status.success(), "the write cannot fit");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No space left"), "{err}");
    assert_eq!(fs::read_to_string(home.note()).unwrap(), NOTE);
    let left: Vec<String> = home
        .leftovers()
        .into_iter()
        .filter(|n| n != "filler.bin")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn kill_9_of_the_daemon_while_it_saves_its_state_leaves_the_old_or_the_new_state() {
    use rapport::state::{State, STATE_FILE};
    for point in POINTS {
        let home = Home::new();
        let root = home.root.path();
        let ics = root.join("cal.ics");
        fs::write(
            &ics,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20990101T090000Z\r\nDTEND:20990101T100000Z\r\nSUMMARY:Later\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let config = root.join("config/config.toml");
        let mut text = fs::read_to_string(&config).unwrap();
        text.push_str(&format!(
            "\n[[calendar]]\nname = \"Work\"\npath = {:?}\n",
            ics.display().to_string()
        ));
        fs::write(&config, text).unwrap();
        // An old state, as a previous run left it.
        let state_dir = root.join("xdg-state/rapport");
        let old = State {
            last_run: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
            ..State::default()
        };
        old.save(&state_dir).unwrap();
        let old_bytes = fs::read(state_dir.join(STATE_FILE)).unwrap();
        let mut child = home
            .command(Some(point), &["run"])
            .env("XDG_RUNTIME_DIR", root.join("xdg-run"))
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .spawn()
            .unwrap();
        wait_stopped(&mut child, point);
        child.kill().unwrap();
        child.wait().unwrap();
        let now_bytes = fs::read(state_dir.join(STATE_FILE)).unwrap();
        let loaded = State::load(&state_dir, chrono::Utc::now()).unwrap();
        assert!(
            loaded.moved_aside.is_none(),
            "{point}: {:?}",
            loaded.problem
        );
        if point == "after-rename" {
            assert_ne!(now_bytes, old_bytes, "{point}: the new state is there");
        } else {
            assert_eq!(now_bytes, old_bytes, "{point}: the old state is intact");
        }
    }
}
