//! `rapport service install` and the systemd unit; `rapport init`.

use std::path::Path;
use std::process::Command;

use crate::common::rapport;

/// Runs `systemd-analyze verify` on `unit`; `None` when the tool is missing
/// (then the caller skips, except under CI where it must be there).
fn systemd_verify(unit: &Path) -> Option<(bool, String)> {
    let output = match Command::new("systemd-analyze")
        .arg("verify")
        .arg(unit)
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "systemd-analyze is missing on CI: install the systemd package"
            );
            eprintln!("skipped: systemd-analyze not found (apt install systemd)");
            return None;
        }
        Err(e) => panic!("running systemd-analyze: {e}"),
    };
    // It also reports problems of unrelated units on the machine; ours are
    // the lines naming our file.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let ours: Vec<&str> = stderr.lines().filter(|l| l.contains("rapport")).collect();
    Some((output.status.success(), ours.join("\n")))
}

#[test]
fn service_install_writes_a_unit_systemd_accepts() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("systemd/user");
    let dir_arg = dir.to_str().unwrap();
    let run = rapport(root.path(), &["service", "install", "--dir", dir_arg]);
    assert!(run.success(), "{:?}", run.error);
    assert!(run
        .stdout
        .contains("systemctl --user daemon-reload && systemctl --user enable --now rapport"));
    let unit_path = dir.join("rapport.service");
    let unit = std::fs::read_to_string(&unit_path).unwrap();
    let exe = std::env::current_exe().unwrap().canonicalize().unwrap();
    assert!(
        unit.contains(&format!("\nExecStart={} run\n", exe.display())),
        "{unit}"
    );
    assert!(!unit.contains("%h/.cargo/bin"));

    if let Some((ok, problems)) = systemd_verify(&unit_path) {
        assert!(ok && problems.is_empty(), "systemd-analyze: {problems}");
    }

    // Again: nothing changes.
    let again = rapport(root.path(), &["service", "install", "--dir", dir_arg]);
    assert!(again.stdout.contains("is up to date"), "{}", again.stdout);
    assert!(!dir.join("rapport.service.bak").exists());

    // An edited unit is replaced and the edit kept aside.
    std::fs::write(&unit_path, "# my edits\n").unwrap();
    let update = rapport(root.path(), &["service", "install", "--dir", dir_arg]);
    assert!(update.stdout.starts_with("Updated "), "{}", update.stdout);
    assert_eq!(
        std::fs::read_to_string(dir.join("rapport.service.bak")).unwrap(),
        "# my edits\n"
    );
    assert_eq!(std::fs::read_to_string(&unit_path).unwrap(), unit);
}

#[test]
fn service_install_passes_a_custom_config_on() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("units");
    let config = root.path().join("my config.toml");
    // A named config must exist (issue 12, item 1).
    std::fs::write(&config, "").unwrap();
    let run = rapport(
        root.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "service",
            "install",
            "--dir",
            dir.to_str().unwrap(),
        ],
    );
    assert!(run.success(), "{:?}", run.error);
    let unit = std::fs::read_to_string(dir.join("rapport.service")).unwrap();
    assert!(
        unit.contains(&format!(" run --config \"{}\"\n", config.display())),
        "{unit}"
    );
}

#[test]
fn shipped_unit_verifies_with_the_real_binary() {
    // The file in systemd/ as `service install` would write it for the
    // binary cargo built.
    let root = tempfile::tempdir().unwrap();
    let unit = rapport::cli::setup::render_unit(
        Path::new(env!("CARGO_BIN_EXE_rapport")),
        None,
        &[root.path().join("notes on another disk")],
    )
    .unwrap();
    let path = root.path().join("rapport.service");
    std::fs::write(&path, unit).unwrap();
    if let Some((ok, problems)) = systemd_verify(&path) {
        assert!(ok && problems.is_empty(), "systemd-analyze: {problems}");
    }
    // A broken unit is caught, so the check above can fail.
    let broken = root.path().join("rapport-broken.service");
    std::fs::write(&broken, "[Service]\nExecStart=/nonexistent/rapport run\n").unwrap();
    if let Some((ok, problems)) = systemd_verify(&broken) {
        assert!(!ok || !problems.is_empty());
    }
}

// --- rapport init -------------------------------------------------------------

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_the_example_config_and_a_person_that_both_load() {
    let root = tempfile::tempdir().unwrap();
    let run = rapport(root.path(), &["init"]);
    assert!(run.success(), "{:?}\n{}", run.error, run.stdout);
    let paths = rapport::config::Paths::under(root.path());

    let written = std::fs::read_to_string(&paths.config_file).unwrap();
    assert_eq!(written, rapport::config::EXAMPLE);
    assert_eq!(mode(&paths.config_file), 0o600);
    let config = rapport::config::load(&paths).expect("the written config parses");
    assert_eq!(config.people.dir, paths.data_dir.join("people"));

    let people = rapport::people::load(&config.people.dir);
    assert!(people.errors.is_empty(), "{:?}", people.errors);
    assert_eq!(people.people.len(), 1);
    let robin = &people.people[0];
    assert_eq!(
        robin.path,
        Path::new(rapport::cli::setup::EXAMPLE_PERSON_FILE)
    );
    assert_eq!(robin.name, "Robin Example");
    assert_eq!(robin.follow_ups.len(), 2);
    assert!(robin
        .topics
        .iter()
        .any(|t| t.items.iter().any(|i| i.private)));
    assert!(robin.last_log().is_some());
    assert_eq!(mode(&config.people.dir.join("robin-example.md")), 0o600);
    assert_eq!(mode(&config.people.dir), 0o700);

    assert!(run.stdout.contains("Wrote the config: "));
    assert!(run.stdout.contains("rapport check"));
    assert!(run.stdout.contains("rapport service install"));
    assert!(run.stdout.contains("rapport demo"));
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(paths.config_file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["config.toml"]);
}

#[test]
fn init_twice_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    assert!(rapport(root.path(), &["init"]).success());
    let paths = rapport::config::Paths::under(root.path());
    let person = paths.data_dir.join("people/robin-example.md");
    let before = (
        std::fs::read(&paths.config_file).unwrap(),
        std::fs::read(&person).unwrap(),
    );
    let again = rapport(root.path(), &["init"]);
    assert!(again.success(), "{:?}", again.error);
    assert!(
        again.stdout.contains("Kept your config"),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("Kept your people folder"));
    let after = (
        std::fs::read(&paths.config_file).unwrap(),
        std::fs::read(&person).unwrap(),
    );
    assert_eq!(before, after);
    assert_eq!(
        std::fs::read_dir(paths.data_dir.join("people"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn init_never_overwrites_and_adds_no_example_to_real_notes() {
    let root = tempfile::tempdir().unwrap();
    let paths = rapport::config::Paths::under(root.path());
    std::fs::create_dir_all(paths.config_file.parent().unwrap()).unwrap();
    // My own config, pointing at my own notes (relative to the config folder).
    let mine = "[me]\nname = \"Frank\"\n\n[people]\ndir = \"notes\"\n";
    std::fs::write(&paths.config_file, mine).unwrap();
    let notes = paths.config_file.parent().unwrap().join("notes");
    std::fs::create_dir_all(notes.join("acme")).unwrap();
    std::fs::write(notes.join("acme/tom.md"), "# Tom\n").unwrap();

    let run = rapport(root.path(), &["init"]);
    assert!(run.success(), "{:?}", run.error);
    assert_eq!(std::fs::read_to_string(&paths.config_file).unwrap(), mine);
    assert!(!notes.join("robin-example.md").exists());
    assert!(run.stdout.contains("Kept your people folder"));

    // An empty folder of my own gets the example.
    std::fs::remove_dir_all(&notes).unwrap();
    std::fs::create_dir_all(notes.join(".obsidian")).unwrap();
    let run = rapport(root.path(), &["init"]);
    assert!(run.success());
    assert!(notes.join("robin-example.md").exists());
    assert!(run.stdout.contains("Filled the people folder"));
}

#[test]
fn init_with_a_broken_config_says_so_and_makes_no_folder() {
    let root = tempfile::tempdir().unwrap();
    let paths = rapport::config::Paths::under(root.path());
    std::fs::create_dir_all(paths.config_file.parent().unwrap()).unwrap();
    std::fs::write(&paths.config_file, "[notify]\nlead = \"soon\"\n").unwrap();
    let run = rapport(root.path(), &["init"]);
    assert_eq!(run.code, std::process::ExitCode::from(1));
    assert!(run.stdout.contains("config.toml:2:"), "{}", run.stdout);
    assert!(run.stdout.contains("notify.lead"), "{}", run.stdout);
    assert!(!paths.data_dir.join("people").exists());
    assert_eq!(
        std::fs::read_to_string(&paths.config_file).unwrap(),
        "[notify]\nlead = \"soon\"\n"
    );
}
