//! Paths as the user writes them: `~` is the home folder.

use std::path::{Path, PathBuf};

/// `~` and `~/...` become the home folder; anything else is returned as is.
pub fn expand_tilde(path: &str) -> PathBuf {
    let home = || {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
    };
    if path == "~" {
        if let Some(h) = home() {
            return h;
        }
    } else if let Some(rest) = path.strip_prefix("~/") {
        if let Some(h) = home() {
            return h.join(rest);
        }
    }
    PathBuf::from(path)
}

/// [`expand_tilde`] for a path that may not be UTF-8.
pub fn expand_tilde_path(path: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => match path.to_str() {
            Some(text) => expand_tilde(text),
            None => expand_tilde("~").join(rest),
        },
        Err(_) => path.to_path_buf(),
    }
}
