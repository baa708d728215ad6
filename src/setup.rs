//! First-run helpers: `rapport init` (config and people folder) and
//! `rapport service install` (the systemd user unit).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// `systemd/rapport.service`, shipped inside the binary.
pub const UNIT_TEMPLATE: &str = include_str!("../systemd/rapport.service");
/// The file name under the user's systemd folder.
pub const UNIT_NAME: &str = "rapport.service";
/// The template's `ExecStart=` line, replaced by the real binary on install.
const TEMPLATE_EXEC_START: &str = "ExecStart=%h/.cargo/bin/rapport run";

/// The unit with `ExecStart` pointing at `exe` (and `--config` when the user
/// runs rapport with a non-default config file).
pub fn render_unit(exe: &Path, config: Option<&Path>) -> anyhow::Result<String> {
    let mut exec = format!("ExecStart={} run", systemd_quote(&path_str(exe)?));
    if let Some(config) = config {
        exec.push_str(&format!(" --config {}", systemd_quote(&path_str(config)?)));
    }
    // The template is ours and tested to contain the line exactly once.
    Ok(UNIT_TEMPLATE.replacen(TEMPLATE_EXEC_START, &exec, 1))
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

/// Writes the unit into `dir` (created when missing) and prints what to run next.
pub fn install_service(
    dir: &Path,
    exe: &Path,
    config: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<Installed> {
    let unit = render_unit(exe, config)?;
    let path = dir.join(UNIT_NAME);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = match std::fs::read(&path) {
        Ok(old) if old == unit.as_bytes() => Installed::Unchanged,
        Ok(old) => {
            // It may hold the user's own edits: keep them next to it.
            let backup = dir.join(format!("{UNIT_NAME}.bak"));
            crate::fsutil::atomic_write(&backup, &old)
                .with_context(|| format!("writing {}", backup.display()))?;
            Installed::Updated
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Installed::New,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if result != Installed::Unchanged {
        crate::fsutil::atomic_write(&path, unit.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_has_the_exec_start_line_once() {
        assert_eq!(UNIT_TEMPLATE.matches(TEMPLATE_EXEC_START).count(), 1);
        assert!(UNIT_TEMPLATE.contains("Type=notify\n"));
        assert!(UNIT_TEMPLATE.contains("Restart=on-failure\n"));
    }

    #[test]
    fn render_puts_the_real_binary_and_config_in() {
        let unit = render_unit(
            Path::new("/home/ann/.cargo/bin/rapport"),
            Some(Path::new("/home/ann/my config/100%.toml")),
        )
        .unwrap();
        assert!(unit.contains(
            "\nExecStart=/home/ann/.cargo/bin/rapport run --config \"/home/ann/my config/100%%.toml\"\n"
        ));
        assert!(!unit.contains(TEMPLATE_EXEC_START));
    }

    #[test]
    fn systemd_quoting() {
        assert_eq!(systemd_quote("/usr/bin/rapport"), "/usr/bin/rapport");
        assert_eq!(systemd_quote("/a b/r"), "\"/a b/r\"");
        assert_eq!(systemd_quote("/a$HOME/r"), "/a$$HOME/r");
        assert_eq!(systemd_quote("/a\"b\\c"), "\"/a\\\"b\\\\c\"");
        assert!(render_unit(Path::new("/a\nb"), None).is_err());
    }
}
