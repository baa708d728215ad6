//! First-run helpers: `rapport init` (config and people folder) and
//! `rapport service install` (the systemd user unit).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;

use crate::config::Paths;

/// `systemd/rapport.service`, shipped inside the binary.
pub const UNIT_TEMPLATE: &str = include_str!("../../systemd/rapport.service");
/// The file name under the user's systemd folder.
pub const UNIT_NAME: &str = "rapport.service";
/// The template's `ExecStart=` line, replaced by the real binary on install.
const TEMPLATE_EXEC_START: &str = "ExecStart=%h/.cargo/bin/rapport run";

/// The template's line that makes the home and the runtime dir writable.
const TEMPLATE_READ_WRITE: &str = "ReadWritePaths=%h %t\n";

/// The unit with `ExecStart` pointing at `exe` (and `--config` when the user
/// runs rapport with a non-default config file), and `writable` folders
/// outside the home added to the ones the service may write.
pub fn render_unit(
    exe: &Path,
    config: Option<&Path>,
    writable: &[PathBuf],
) -> anyhow::Result<String> {
    let mut exec = format!("ExecStart={} run", systemd_quote(&path_str(exe)?));
    if let Some(config) = config {
        exec.push_str(&format!(" --config {}", systemd_quote(&path_str(config)?)));
    }
    let mut read_write = TEMPLATE_READ_WRITE.to_owned();
    for dir in writable {
        // "-": a folder that does not exist yet must not stop the service.
        read_write.push_str(&format!(
            "ReadWritePaths=-{}\n",
            systemd_quote(&path_str(dir)?)
        ));
    }
    // The template is ours and tested to contain both lines exactly once.
    Ok(UNIT_TEMPLATE
        .replacen(TEMPLATE_EXEC_START, &exec, 1)
        .replacen(TEMPLATE_READ_WRITE, &read_write, 1))
}

/// The folders rapport writes to (notes, cache, state) that lie outside
/// `home`, which the unit otherwise keeps read-only.
pub fn writable_outside_home(
    home: &Path,
    paths: &Paths,
    people_dir: Option<&Path>,
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let candidates = [
        people_dir,
        Some(paths.cache_dir.as_path()),
        Some(paths.state_dir.as_path()),
        Some(paths.data_dir.as_path()),
    ];
    for dir in candidates.into_iter().flatten() {
        if dir.is_absolute() && !dir.starts_with(home) && !out.iter().any(|o| o == dir) {
            out.push(dir.to_path_buf());
        }
    }
    out
}

fn path_str(path: &Path) -> anyhow::Result<String> {
    let s = path.to_str().with_context(|| {
        format!(
            "{}: the path is not valid UTF-8, which a systemd unit cannot hold; \
             install rapport under another path",
            path.display()
        )
    })?;
    if s.contains(['\n', '\r']) {
        anyhow::bail!("{s:?}: a path with a line break cannot go into a systemd unit");
    }
    Ok(s.to_owned())
}

/// One word of a systemd command line: `%` and `$` would be expanded by
/// systemd, so they are doubled; spaces, quotes and backslashes need quotes.
fn systemd_quote(word: &str) -> String {
    let escaped = word.replace('%', "%%").replace('$', "$$");
    if escaped
        .chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '\\' || c == ';')
    {
        format!("\"{}\"", escaped.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        escaped
    }
}

/// `$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`.
pub fn default_unit_dir() -> anyhow::Result<PathBuf> {
    let base = directories::BaseDirs::new()
        .context("cannot find your home directory; pass --dir to say where the unit goes")?;
    Ok(base.config_dir().join("systemd/user"))
}

/// What [`install_service`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installed {
    New,
    /// An older unit was replaced (and kept as `rapport.service.bak`).
    Updated,
    Unchanged,
}

/// `rapport service install [--dir DIR]`: the unit for this binary, with
/// `--config FILE` when one was given, into `dir` (default
/// ~/.config/systemd/user).
pub fn install_service_command(
    paths: &Paths,
    dir: Option<PathBuf>,
    config_file: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<std::process::ExitCode> {
    let dir = match dir {
        Some(d) => d,
        None => default_unit_dir()?,
    };
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| anyhow::anyhow!("cannot find the path of the rapport binary: {e}"))?;
    if let Some(warning) = binary_location_warning(&exe, &std::env::temp_dir()) {
        writeln!(out, "Warning: {warning}\n")?;
    }
    // Notes kept outside the home must stay writable for the service;
    // a missing or broken config is `rapport check`'s business, not this.
    let people_dir = crate::config::load(paths).ok().map(|c| c.people.dir);
    let writable = match directories::BaseDirs::new() {
        Some(b) => writable_outside_home(b.home_dir(), paths, people_dir.as_deref()),
        None => Vec::new(),
    };
    install_service(&dir, &exe, config_file, &writable, out)?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// A warning when the unit would run a binary that is not installed: one in
/// a cargo build folder (`target/release`, `target/debug`: the next `cargo
/// build` or `cargo clean` changes or removes it) or in a temporary folder.
/// `exe` is the resolved path (symlinks followed).
pub fn binary_location_warning(exe: &Path, temp_dir: &Path) -> Option<String> {
    let in_build_folder = exe
        .parent()
        .and_then(|profile| {
            let target = profile.parent()?;
            let name = profile.file_name()?.to_str()?;
            Some(
                target.file_name()? == "target"
                    && (name == "release"
                        || name == "debug"
                        || target.join("CACHEDIR.TAG").exists()),
            )
        })
        .unwrap_or(false);
    let fix = "install it first (`cargo install --path .` puts it in ~/.cargo/bin), then run \
               `rapport service install` from there";
    if in_build_folder {
        return Some(format!(
            "{} is in a cargo build folder: the service would break with the next \
             `cargo build` or `cargo clean`; {fix}",
            exe.display()
        ));
    }
    let temp = temp_dir
        .canonicalize()
        .unwrap_or_else(|_| temp_dir.to_path_buf());
    if exe.starts_with(&temp) || exe.starts_with("/tmp") || exe.starts_with("/var/tmp") {
        return Some(format!(
            "{} is in a temporary folder, which may be emptied at the next boot; {fix}",
            exe.display()
        ));
    }
    None
}

/// Writes the unit into `dir` (created when missing) and prints what to run next.
pub fn install_service(
    dir: &Path,
    exe: &Path,
    config: Option<&Path>,
    writable: &[PathBuf],
    out: &mut dyn Write,
) -> anyhow::Result<Installed> {
    let unit = render_unit(exe, config, writable)?;
    let path = dir.join(UNIT_NAME);
    create_private_dir(dir)?;
    let result = match std::fs::read(&path) {
        Ok(old) if old == unit.as_bytes() => Installed::Unchanged,
        Ok(old) => {
            // It may hold the user's own edits: keep them next to it.
            let backup = dir.join(format!("{UNIT_NAME}.bak"));
            crate::util::fs::atomic_write(&backup, &old)
                .with_context(|| format!("writing {}", backup.display()))?;
            Installed::Updated
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Installed::New,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if result != Installed::Unchanged {
        crate::util::fs::atomic_write(&path, unit.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        // A unit is not secret; 0644 like the ones systemd ships.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("setting permissions of {}", path.display()))?;
    }
    match result {
        Installed::New => writeln!(out, "Wrote {}", path.display())?,
        Installed::Updated => writeln!(
            out,
            "Updated {} (the previous version is in {UNIT_NAME}.bak)",
            path.display()
        )?,
        Installed::Unchanged => writeln!(out, "{} is up to date", path.display())?,
    }
    writeln!(out, "It runs: {} run", exe.display())?;
    for w in writable {
        writeln!(out, "It may also write to: {}", w.display())?;
    }
    writeln!(out, "\nTo start it now and at every login:\n")?;
    writeln!(
        out,
        "  systemctl --user daemon-reload && systemctl --user enable --now rapport"
    )?;
    writeln!(out, "\nThen check it with:\n")?;
    writeln!(out, "  systemctl --user status rapport")?;
    writeln!(out, "  journalctl --user -u rapport -f")?;
    Ok(result)
}

// ---------------------------------------------------------------------------
// rapport init

/// File name of the example person `rapport init` writes.
pub const EXAMPLE_PERSON_FILE: &str = "robin-example.md";

/// The example person, dated around `today` so that its follow-ups show the
/// way real ones do (one due soon, one question for next week).
pub fn example_person(today: NaiveDate) -> String {
    let day = |days: i64| (today + chrono::Duration::days(days)).format("%Y-%m-%d");
    format!(
        "---
name: Robin Example
emails: [robin@example.com]
aliases: [\"Example, Robin\"]
org: Example Corp, Finance
role: Controller
prefers: phone
---
An example written by `rapport init` to show what a note can hold. Replace it
with someone you work with, or delete it.

Training for a half marathon in the spring; runs before work most days.

## Family
- Partner Alex; daughter Mia (6) started school this autumn

## Interests
- Running: wants to finish the half marathon under two hours
- Cooperative board games
- Knee surgery last year, still careful with it #private

## Follow-ups
- [ ] Send Robin the monthly cost figures 📅 {due}
- [ ] Ask how Mia is getting on at school 🛫 {ask}

## Log
- {met} Budget review: prefers monthly figures to quarterly ones.
",
        due = day(3),
        ask = day(7),
        met = day(-14),
    )
}

/// Creates `path` with `contents` unless it exists: a temporary file, fsync,
/// then a hard link to the final name, which fails instead of replacing a
/// file that appeared in the meantime. Returns false when `path` existed.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<bool> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(false);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.rapport-init-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.sync_all()?;
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    result
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    crate::util::fs::create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))
}

/// Whether `dir` already holds a note (a visible `.md` file at any depth).
fn has_notes(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            return false;
        }
        match e.file_type() {
            Ok(t) if t.is_dir() => has_notes(&e.path()),
            Ok(_) => name.ends_with(".md"),
            Err(_) => false,
        }
    })
}

/// `rapport init`: the commented config and a people folder with one example
/// person, never replacing anything. Returns false when the existing config
/// has problems (they are printed).
pub fn init(paths: &Paths, today: NaiveDate, out: &mut dyn Write) -> anyhow::Result<bool> {
    let config_path = &paths.config_file;
    if let Some(parent) = config_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    // 0600: the file will hold calendar links, which are secrets.
    let wrote_config = write_new(config_path, crate::config::EXAMPLE.as_bytes(), 0o600)
        .with_context(|| format!("writing {}", config_path.display()))?;
    if wrote_config {
        writeln!(out, "Wrote the config: {}", config_path.display())?;
    } else {
        writeln!(
            out,
            "Kept your config: {} (init never replaces files)",
            config_path.display()
        )?;
    }

    // Its warnings are said below as next steps, not as warnings about the
    // file init has just written.
    let config = match crate::config::load_quietly(paths) {
        Ok(c) => c,
        Err(e) => {
            writeln!(
                out,
                "\nThe config has problems, so no people folder was made:\n{e}"
            )?;
            writeln!(out, "\nFix them, then run `rapport init` again.")?;
            return Ok(false);
        }
    };
    let dir = &config.people.dir;
    let existed = dir.is_dir();
    create_private_dir(dir)?;
    if has_notes(dir) {
        writeln!(out, "Kept your people folder: {}", dir.display())?;
    } else {
        let example = dir.join(EXAMPLE_PERSON_FILE);
        write_new(&example, example_person(today).as_bytes(), 0o600)
            .with_context(|| format!("writing {}", example.display()))?;
        writeln!(
            out,
            "{} the people folder: {}\n  with an example note: {EXAMPLE_PERSON_FILE}",
            if existed { "Filled" } else { "Made" },
            dir.display()
        )?;
    }

    // "[me] has no emails" is step 1 below; anything else is worth a line.
    let other_warnings: Vec<&String> = config
        .warnings
        .iter()
        .filter(|w| !w.contains("[me] has no emails"))
        .collect();
    for w in &other_warnings {
        writeln!(out, "Note: {w}")?;
    }
    writeln!(out, "\nNext:")?;
    let me_step = if config.me.emails.is_empty() {
        "your name and emails under [me] (so rapport can tell which attendee is you)"
    } else {
        "your name and emails under [me]"
    };
    writeln!(
        out,
        "  1. Edit {}: {me_step}, and a [[calendar]] with your feed.",
        config_path.display()
    )?;
    writeln!(
        out,
        "  2. rapport check              tests the config, the feeds and notifications"
    )?;
    writeln!(
        out,
        "  3. rapport agenda             your coming meetings and who is in them"
    )?;
    writeln!(
        out,
        "  4. rapport person add \"Full Name\" --email name@example.com\n     \
         one note per person you meet (see {EXAMPLE_PERSON_FILE} for what a note can hold)"
    )?;
    writeln!(
        out,
        "  5. rapport service install    prepares you before every meeting, in the background"
    )?;
    writeln!(
        out,
        "\nTo see it work first, without any setup: rapport demo"
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_has_the_exec_start_line_once() {
        assert_eq!(UNIT_TEMPLATE.matches(TEMPLATE_EXEC_START).count(), 1);
        assert_eq!(UNIT_TEMPLATE.matches(TEMPLATE_READ_WRITE).count(), 1);
        assert!(UNIT_TEMPLATE.contains("Type=notify\n"));
        assert!(UNIT_TEMPLATE.contains("Restart=on-failure\n"));
    }

    #[test]
    fn render_puts_the_real_binary_and_config_in() {
        let unit = render_unit(
            Path::new("/home/ann/.cargo/bin/rapport"),
            Some(Path::new("/home/ann/my config/100%.toml")),
            &[PathBuf::from("/data/team notes")],
        )
        .unwrap();
        assert!(unit.contains("\nReadWritePaths=%h %t\nReadWritePaths=-\"/data/team notes\"\n"));
        assert!(unit.contains(
            "\nExecStart=/home/ann/.cargo/bin/rapport run --config \"/home/ann/my config/100%%.toml\"\n"
        ));
        assert!(!unit.contains(TEMPLATE_EXEC_START));
    }

    #[test]
    fn binaries_in_build_or_temporary_folders_are_named() {
        let tmp = Path::new("/nonexistent-tmp");
        for exe in [
            "/home/ann/src/rapport/target/release/rapport",
            "/home/ann/src/rapport/target/debug/rapport",
        ] {
            let w = binary_location_warning(Path::new(exe), tmp).unwrap();
            assert!(
                w.contains("cargo build folder") && w.contains("cargo install"),
                "{w}"
            );
        }
        let w = binary_location_warning(Path::new("/tmp/x/rapport"), tmp).unwrap();
        assert!(w.contains("temporary folder"), "{w}");
        let w = binary_location_warning(Path::new("/nonexistent-tmp/rapport"), tmp).unwrap();
        assert!(w.contains("temporary folder"), "{w}");
        for ok in [
            "/home/ann/.cargo/bin/rapport",
            "/usr/bin/rapport",
            "/opt/target/rapport",
        ] {
            assert_eq!(binary_location_warning(Path::new(ok), tmp), None, "{ok}");
        }
    }

    #[test]
    fn systemd_quoting() {
        assert_eq!(systemd_quote("/usr/bin/rapport"), "/usr/bin/rapport");
        assert_eq!(systemd_quote("/a b/r"), "\"/a b/r\"");
        assert_eq!(systemd_quote("/a$HOME/r"), "/a$$HOME/r");
        assert_eq!(systemd_quote("/a\"b\\c"), "\"/a\\\"b\\\\c\"");
        assert!(render_unit(Path::new("/a\nb"), None, &[]).is_err());
    }

    #[test]
    fn only_folders_outside_home_are_added() {
        let paths = Paths {
            config_file: "/home/ann/.config/rapport/config.toml".into(),
            config_from: crate::config::ConfigFrom::Default,
            cache_dir: "/var/cache/ann/rapport".into(),
            state_dir: "/home/ann/.local/state/rapport".into(),
            data_dir: "/home/ann/.local/share/rapport".into(),
            runtime_dir: "/run/user/1000/rapport".into(),
        };
        assert_eq!(
            writable_outside_home(
                Path::new("/home/ann"),
                &paths,
                Some(Path::new("/data/notes"))
            ),
            [
                PathBuf::from("/data/notes"),
                "/var/cache/ann/rapport".into()
            ]
        );
        assert_eq!(
            writable_outside_home(
                Path::new("/home/ann"),
                &paths,
                Some(Path::new("/home/ann/vault/people"))
            ),
            [PathBuf::from("/var/cache/ann/rapport")]
        );
    }
}
