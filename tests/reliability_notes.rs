//! Reliability, point 4: notes are never lost. Runs the real `rapport` binary
//! and stops it (RAPPORT_FAULT, see `util::fs::fault`) at each step of an
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
    use rapport::daemon::state::{State, STATE_FILE};
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
        // No temporary file survives the next command (any command).
        home.run(None, &["status"]);
        let temps: Vec<String> = fs::read_dir(&state_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(temps.is_empty(), "{point}: {temps:?}");
    }
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The number `undo --list` gives the version described as `what`.
fn version_number(list: &str, what: &str) -> String {
    let line = list
        .lines()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no {what:?} in {list}"));
    line.split_whitespace().next().unwrap().to_string()
}

fn versions_dir(home: &Home) -> PathBuf {
    let notes = home.state().join("notes");
    let dirs: Vec<PathBuf> = fs::read_dir(&notes)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[test]
fn undo_lists_and_restores_the_versions_rapport_kept_and_an_undo_can_be_undone() {
    let home = Home::new();
    ok(&home.run(None, &["note", "Tom", "Cycling", "--date", "2026-02-01"]));
    let after_note = fs::read_to_string(home.note()).unwrap();
    ok(&home.run(None, &["ask", "Tom", "How was Ghent?"]));
    let after_ask = fs::read_to_string(home.note()).unwrap();

    // Each state once: before the note, as the note left it (which is also
    // the state before the ask), as the ask left it.
    let list = ok(&home.run(None, &["undo", "Tom", "--list"]));
    assert_eq!(
        version_number(&list, "as `rapport ask` left it"),
        "1",
        "{list}"
    );
    assert_eq!(
        version_number(&list, "as `rapport note` left it"),
        "2",
        "{list}"
    );
    assert_eq!(
        version_number(&list, "before `rapport note`"),
        "3",
        "{list}"
    );
    assert_eq!(
        list.matches(" bytes").count(),
        4,
        "the note now and 3 versions: {list}"
    );
    assert_eq!(ok(&home.run(None, &["undo", "Tom", "--show", "3"])), NOTE);

    // The versions are private, under the state folder; the people folder
    // holds only the note.
    let dir = versions_dir(&home);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&home.state().join("notes")), 0o700);
    for e in fs::read_dir(&dir).unwrap() {
        assert_eq!(mode(&e.unwrap().path()), 0o600);
    }
    assert!(home.leftovers().is_empty(), "{:?}", home.leftovers());

    // `undo` puts back the note before rapport's last change; the note it
    // replaced is kept, so a second `undo` brings it back.
    let out = ok(&home.run(None, &["undo", "Tom"]));
    assert!(out.contains("restored version 2"), "{out}");
    assert_eq!(fs::read_to_string(home.note()).unwrap(), after_note);
    ok(&home.run(None, &["undo", "Tom"]));
    assert_eq!(fs::read_to_string(home.note()).unwrap(), after_ask);
    // Any version by number.
    let list = ok(&home.run(None, &["undo", "Tom", "--list"]));
    let n = version_number(&list, "before `rapport note`");
    ok(&home.run(None, &["undo", "tom", &n]));
    assert_eq!(fs::read_to_string(home.note()).unwrap(), NOTE);
    let err = home.run(None, &["undo", "Tom", "99"]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("there is no version 99"));

    // A note that was deleted is recreated from its versions.
    fs::remove_file(home.note()).unwrap();
    let out = ok(&home.run(None, &["undo", "tom", "--list"]));
    assert!(out.contains("does not exist now"), "{out}");
    ok(&home.run(None, &["undo", "tom"]));
    assert!(home.note().exists());
}

#[test]
fn a_note_that_became_empty_or_lost_its_front_matter_is_not_edited_without_force() {
    let home = Home::new();
    ok(&home.run(None, &["note", "Tom", "First", "--date", "2026-02-01"]));
    let good = fs::read_to_string(home.note()).unwrap();

    // A sync tool or an editor crash empties the note.
    fs::write(home.note(), "").unwrap();
    let out = home.run(None, &["note", "tom", "Second"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tom.md")
            && err.contains("has become empty")
            && err.contains("nothing was changed")
            && err.contains("rapport undo tom")
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(home.note()).unwrap(), "");
    // `undo` is never refused: it is how the note comes back.
    ok(&home.run(None, &["undo", "tom"]));
    assert_eq!(fs::read_to_string(home.note()).unwrap(), good);

    // Front matter gone (name and emails with it): refused, then forced.
    let body = good.split("---\n").nth(2).unwrap().to_string();
    fs::write(home.note(), &body).unwrap();
    let out = home.run(None, &["note", "tom", "Third"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("lost its front matter"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(home.note()).unwrap(), body);
    ok(&home.run(
        None,
        &["note", "tom", "Third", "--force", "--date", "2026-02-03"],
    ));
    assert_eq!(
        fs::read_to_string(home.note()).unwrap(),
        format!("{body}- 2026-02-03 Third\n")
    );
    // From now on this is what rapport knows: no more refusals.
    ok(&home.run(None, &["note", "tom", "Fourth"]));
}

#[test]
fn an_empty_note_rapport_never_wrote_is_not_edited_without_force() {
    let home = Home::new();
    // `rapport people` read Tom's note; then a sync empties it. rapport has
    // never written it, so it has no record of it, but an empty note is
    // never edited silently.
    ok(&home.run(None, &["people"]));
    fs::write(home.note(), "").unwrap();
    let out = home.run(None, &["note", "tom", "Hello"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("tom.md")
            && err.contains("the note is empty")
            && err.contains("nothing was changed")
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(home.note()).unwrap(), "");
    ok(&home.run(
        None,
        &["note", "tom", "Hello", "--force", "--date", "2026-02-03"],
    ));
    assert_eq!(
        fs::read_to_string(home.note()).unwrap(),
        "## Log\n- 2026-02-03 Hello\n"
    );
}

#[test]
fn rapport_edit_keeps_the_version_before_the_editor_ran() {
    let home = Home::new();
    let out = home
        .command(None, &["edit", "Tom"])
        .env("EDITOR", "sh -c ': > \"$1\"' sh")
        .env_remove("VISUAL")
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(fs::read_to_string(home.note()).unwrap(), "");
    // You emptied it yourself through `rapport edit`: no alarm later.
    ok(&home.run(None, &["note", "tom", "Fresh start"]));
    let list = ok(&home.run(None, &["undo", "tom", "--list"]));
    let n = version_number(&list, "before `rapport edit` (your editor)");
    ok(&home.run(None, &["undo", "tom", &n]));
    assert_eq!(fs::read_to_string(home.note()).unwrap(), NOTE);
}

#[test]
fn person_add_run_several_times_at_once_creates_one_note_per_address() {
    let home = Home::empty();
    let children: Vec<_> = (0..4)
        .map(|i| {
            home.command(
                None,
                &[
                    "person",
                    "add",
                    &format!("Grace Hopper {i}"),
                    "--email",
                    "grace@example.org",
                ],
            )
            .spawn()
            .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let created = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(created, 1, "one note per address");
    for o in outs.iter().filter(|o| !o.status.success()) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("grace@example.org is already in"), "{err}");
    }
    assert_eq!(fs::read_dir(home.people()).unwrap().count(), 1);
}

#[test]
fn kill_9_while_the_feed_cache_is_written_leaves_no_temporary_file_after_the_next_command() {
    use crate::common::http::{Reply, TestServer};
    let server = TestServer::start();
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n");
    // Big enough that a write takes a moment.
    for i in 0..20_000 {
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T090000Z\r\nSUMMARY:Event {i}\r\nEND:VEVENT\r\n"
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    server.route("/cal.ics", vec![Reply::calendar(ics)]);
    for point in POINTS {
        let home = Home::new();
        let config = home.root.path().join("config/config.toml");
        let mut text = fs::read_to_string(&config).unwrap();
        text.push_str(&format!(
            "\n[[calendar]]\nname = \"Work\"\nurl = {:?}\n",
            server.url("/cal.ics")
        ));
        fs::write(&config, text).unwrap();
        let mut child = home
            .command(Some(point), &["agenda", "--from", "2026-01-01"])
            .spawn()
            .unwrap();
        wait_stopped(&mut child, point);
        child.kill().unwrap();
        child.wait().unwrap();
        let feeds = home.root.path().join("xdg-cache/rapport/feeds");
        let temps = |d: &Path| -> Vec<String> {
            fs::read_dir(d)
                .map(|r| {
                    r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                        .filter(|n| n.ends_with(".tmp"))
                        .collect()
                })
                .unwrap_or_default()
        };
        // A temporary file has a name only around the rename.
        let left = temps(&feeds);
        if !matches!(point, "before-rename" | "after-rename") {
            assert!(left.is_empty(), "{point}: {left:?}");
        }
        // The next command (any) removes it.
        ok(&home.run(None, &["people"]));
        assert!(temps(&feeds).is_empty(), "{point}: {:?}", temps(&feeds));
        assert!(temps(&home.state()).is_empty(), "{point}");
    }
}
