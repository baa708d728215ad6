//! Notes never lost (issue 6 point 4): `kill -9` at the worst points of a note write leaves the
//! old or the new file, whole, and nothing rapport would read as a second person.
//!
//! The test runs itself again as a child process (the same test binary, filtered to this test)
//! with the kill point in the environment; the child writes and SIGKILLs itself at that point.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use rapport::people::edit::{edit_file_with_hook, Edit};
use rapport::util::fs::atomic_write_checked;

const POINT: &str = "RAPPORT_HARDEN_KILL_POINT";
const FILE: &str = "RAPPORT_HARDEN_KILL_FILE";
const STATE: &str = "RAPPORT_HARDEN_KILL_STATE";
const TEST: &str = "hardening_faults::kill_9_during_a_note_write_leaves_the_old_or_the_new_file";

const OLD: &str = "---\nname: Ana Lima\n---\n## Log\n- 2026-11-01 old entry\n";

fn kill_myself() -> ! {
    // SAFETY: getpid and kill have no preconditions; SIGKILL ends the process here.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    unreachable!("SIGKILL returned");
}

/// In the child: write and die at `point`.
fn child(point: &str, file: &Path) -> ! {
    let new = format!("{OLD}- 2026-11-27 new entry\n");
    match point {
        // rapport's editor read the note and computed the edit; nothing written yet.
        "editor_before_write" => {
            let edit = Edit::Note {
                date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
                text: "new entry".into(),
            };
            let state = std::env::var(STATE).expect("state dir");
            let writer = rapport::people::writer::NoteWriter::new(Path::new(&state), "note");
            let _ = edit_file_with_hook(&writer, file, &edit, Some(&mut || kill_myself()));
        }
        // The new text is complete and fsynced in the temporary file; not yet renamed.
        "before_rename" => {
            let _ = atomic_write_checked(file, new.as_bytes(), &mut || kill_myself());
        }
        // Renamed; the folder's fsync may not have happened.
        "after_rename" => {
            atomic_write_checked(file, new.as_bytes(), &mut || Ok(())).unwrap();
            kill_myself();
        }
        other => panic!("unknown kill point {other}"),
    }
    panic!("{point}: the child was not killed");
}

#[test]
fn kill_9_during_a_note_write_leaves_the_old_or_the_new_file() {
    if let (Ok(point), Ok(file)) = (std::env::var(POINT), std::env::var(FILE)) {
        child(&point, Path::new(&file));
    }
    for (point, expect_new) in [
        ("editor_before_write", false),
        ("before_rename", false),
        ("after_rename", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let file = dir.path().join("ana-lima.md");
        std::fs::write(&file, OLD).unwrap();
        let status = Command::new(std::env::current_exe().unwrap())
            .args([TEST, "--exact", "--test-threads=1", "--nocapture"])
            .env(POINT, point)
            .env(FILE, &file)
            .env(STATE, state.path())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{point}: {status}");
        let text = std::fs::read_to_string(&file).unwrap();
        if expect_new {
            assert!(
                text.starts_with(OLD) && text.ends_with("new entry\n"),
                "{point}: {text:?}"
            );
        } else {
            assert_eq!(text, OLD, "{point}");
        }
        // A temporary file may be left behind, but never as a second person.
        let people = rapport::people::load(dir.path());
        let names: Vec<_> = people.people.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Ana Lima"], "{point}");
        assert!(people.errors.is_empty(), "{point}: {:?}", people.errors);
    }
}
