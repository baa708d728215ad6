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
    let unit = rapport::setup::render_unit(Path::new(env!("CARGO_BIN_EXE_rapport")), None).unwrap();
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
