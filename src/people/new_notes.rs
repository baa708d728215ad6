//! Notes that `people adopt` and `import` plan to create: each gets a free
//! file name before anything is written, so a plan shown by `--dry-run` is
//! the plan a real run carries out.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::store::{
    create_many, create_new_unsynced, slug, template_with, AddError, Details, NewPerson,
};
use super::People;

/// One note to create. Serializes as `{"name", "person", "emails"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNote {
    pub name: String,
    /// The file to create, relative to the people folder.
    pub person: PathBuf,
    pub emails: Vec<String>,
    /// The whole file, from the template. The wiring creates it only if the
    /// name is still free (never replacing a file).
    #[serde(skip)]
    pub text: String,
}

impl NewNote {
    /// The note for `new` at a free path from `paths`, named after the
    /// person, else (a name of only punctuation, say) after their first
    /// address; `None` when neither gives a file name.
    pub fn plan(new: &NewPerson, details: &Details, paths: &mut FreePaths) -> Option<NewNote> {
        let person = paths.take(&new.name).or_else(|| {
            let email = new.emails.first()?;
            paths.take(email.split('@').next().unwrap_or(email))
        })?;
        Some(NewNote {
            name: new.name.clone(),
            person,
            emails: new.emails.clone(),
            text: template_with(new, details),
        })
    }
}

/// Creates the planned notes in the people folder `dir` (made 0700 if
/// missing), each 0600 and only if its name is still free: a file that
/// appeared since the plan is never replaced (its note comes back as
/// [`AddError::Exists`]). Each note's contents are on disk before its name
/// appears; the folder is fsynced once, at the end.
pub fn create_all(dir: &Path, notes: &[NewNote]) -> Vec<Result<(), AddError>> {
    use std::os::unix::fs::DirBuilderExt;
    if let Err(e) = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        let message = format!("cannot create the people folder: {e}");
        return notes
            .iter()
            .map(|_| {
                Err(AddError::Io {
                    path: dir.to_path_buf(),
                    message: message.clone(),
                })
            })
            .collect();
    }
    if notes.len() <= FEW {
        let results = notes
            .iter()
            .map(|n| create_new_unsynced(&dir.join(&n.person), n.text.as_bytes()))
            .collect();
        crate::util::fs::sync_dir(dir);
        return results;
    }
    let paths: Vec<PathBuf> = notes.iter().map(|n| dir.join(&n.person)).collect();
    let files: Vec<(&Path, &[u8])> = paths
        .iter()
        .zip(notes)
        .map(|(p, n)| (p.as_path(), n.text.as_bytes()))
        .collect();
    create_many(dir, &files)
}

/// Up to this many notes are created one by one (an fsync each); more go
/// through [`create_many`] (one flush for all).
const FEW: usize = 16;

/// File names in the people folder that are taken: every note read, every
/// file that failed to read, and every name already given out. Compared
/// case-insensitively, as a synced folder may live on a case-insensitive
/// filesystem.
#[derive(Debug, Clone, Default)]
pub struct FreePaths {
    taken: HashSet<String>,
}

impl FreePaths {
    pub fn new(people: &People) -> FreePaths {
        let paths = people.people.iter().map(|p| p.path.as_path());
        let broken = people.errors.iter().map(|e| e.path.as_path());
        let mut free = FreePaths::default();
        for p in paths.chain(broken) {
            free.taken.insert(key(p));
        }
        free
    }

    /// `slug.md`, else `slug-2.md`, `slug-3.md`, ...; marked as taken.
    pub fn take(&mut self, name: &str) -> Option<PathBuf> {
        let stem = slug(name)?;
        let mut n = 1;
        loop {
            let candidate = if n == 1 {
                PathBuf::from(format!("{stem}.md"))
            } else {
                PathBuf::from(format!("{stem}-{n}.md"))
            };
            if self.taken.insert(key(&candidate)) {
                return Some(candidate);
            }
            n += 1;
        }
    }
}

fn key(path: &Path) -> String {
    path.to_string_lossy().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::PeopleError;

    #[test]
    fn free_paths_skip_taken_names_in_any_case() {
        let mut people = People::default();
        let text = "---\nname: Ana Lima\n---\n";
        people
            .people
            .push(crate::people::parse_person(Path::new("Ana-Lima.md"), text).unwrap());
        people.errors.push(PeopleError {
            path: PathBuf::from("ana-lima-2.md"),
            line: Some(1),
            message: "broken".into(),
        });
        let mut free = FreePaths::new(&people);
        assert_eq!(free.take("Ana Lima"), Some(PathBuf::from("ana-lima-3.md")));
        assert_eq!(free.take("ANA LIMA"), Some(PathBuf::from("ana-lima-4.md")));
        assert_eq!(free.take("Bob"), Some(PathBuf::from("bob.md")));
        assert_eq!(free.take("..."), None);
    }
}
