//! A temporary home for in-process runs of the command line
//! ([`Home::rapport`]) and of the daemon ([`super::daemon::InProcess`]):
//! every file rapport reads or writes is under one folder
//! ([`Paths::under`]), the notes in `people/`, calendars as files beside.

use std::path::{Path, PathBuf};

use rapport::config::Paths;

use super::Output;

pub struct Home {
    pub root: tempfile::TempDir,
    pub paths: Paths,
}

impl Home {
    /// An empty home with an empty people folder and no config file.
    pub fn new() -> Home {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        std::fs::create_dir_all(root.path().join("people")).unwrap();
        Home { root, paths }
    }

    pub fn dir(&self) -> &Path {
        self.root.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    pub fn people_dir(&self) -> PathBuf {
        self.path("people")
    }

    /// Writes `rel` (a calendar, ...) under the home; returns its path.
    pub fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Writes a note into the people folder.
    pub fn note(&self, file: &str, text: &str) -> PathBuf {
        self.file(&format!("people/{file}"), text)
    }

    /// Copies `tests/data/people/FILE` into the people folder.
    pub fn note_from_data(&self, file: &str) -> PathBuf {
        let to = self.people_dir().join(file);
        std::fs::copy(super::data_dir().join("people").join(file), &to).unwrap();
        to
    }

    /// A config: `[people] dir` = this home's people folder, `[me]` with
    /// `name` and `email`, then `rest`, whose lines up to its first table
    /// header (`[[calendar]]`, `[notify]`) are more `[me]` keys.
    pub fn config_text(&self, name: &str, email: &str, rest: &str) -> String {
        format!(
            "[people]\ndir = {:?}\n\n[me]\nname = \"{name}\"\nemails = [\"{email}\"]\n{rest}",
            self.people_dir().display().to_string()
        )
    }

    /// Writes the config file where rapport looks for it in this home, as an
    /// editor saves (a new file renamed over the old: a running daemon sees
    /// one change).
    pub fn write_config(&self, text: &str) -> PathBuf {
        let path = &self.paths.config_file;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let tmp = path.with_extension("tmp-edit");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
        path.clone()
    }

    /// `rapport ARGS...` in-process in this home.
    pub fn rapport(&self, args: &[&str]) -> Output {
        super::rapport(self.dir(), args)
    }
}

/// A `[[calendar]]` entry for the file or link `at`, named `name`.
pub fn calendar_entry(name: &str, at: &str) -> String {
    let key = if at.contains("://") { "url" } else { "path" };
    format!("[[calendar]]\nname = \"{name}\"\n{key} = {at:?}\n\n")
}
