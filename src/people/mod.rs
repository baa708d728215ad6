//! People notes: one Markdown file per person in a folder the user owns.
//!
//! Format (see docs/people.md): YAML front matter (`name`, `emails`/`email`,
//! `aliases`, `org`, `role`, `prefers`, `pitch`, `phone`, `related`, `tags`,
//! `cadence`, `snooze_until`, `birthday`, `dates`; other keys are left alone),
//! text before the first `## ` heading is the summary, bullets under any `## `
//! heading are talking points grouped by that heading (`###` sub-headings fold
//! into their `##`), every open task anywhere is a follow-up, a closed task
//! with a ✅ date is a [`CompletedTask`], and `## Log` holds
//! `- YYYY-MM-DD text` entries.
//!
//! Between meetings: [`contact`] (last contact from the calendar and the
//! note), [`cadence`] (keep in touch), [`dates`] (birthdays and other dates),
//! [`history`] (which calendar events count as meeting someone).
//!
//! Follow-up kinds: **Owe** (a promise) has a 📅 due date (or `#owe`);
//! **Ask** has a 🛫 start date (or `#ask`): `rapport ask` always writes
//! `🛫 DATE`, today by default. When both dates are present it is Owe.
//!
//! Reading never fails as a whole: each broken file becomes a
//! [`PeopleError`] with its path and line, and every other file loads.
//! Writing goes through [`edit`] (lossless) by way of a [`writer::NoteWriter`]
//! (locked, settled, versioned: see [`writer`] and [`versions`]) and
//! [`store::add_person`].

mod markdown;
mod parse;

pub mod cadence;
pub mod contact;
pub mod dates;
pub mod edit;
pub mod history;
pub mod import;
pub mod matching;
pub mod new_notes;
pub mod period;
pub mod shared_file;
pub mod store;
pub mod suggest;
pub mod versions;
pub mod writer;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use matching::{normalize_email, normalize_name, strip_plus};

pub use dates::PartialDate;
pub use matching::Me;
pub use parse::{parse_person, ParseError};

/// One person, read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// The file, relative to the people folder.
    pub path: PathBuf,
    /// From `name:`, else the first `# ` heading, else the file name.
    pub name: String,
    /// Lower-cased, `mailto:` removed.
    pub emails: Vec<String>,
    /// Other names they appear under in calendars ("Bakker, Yvonne").
    pub aliases: Vec<String>,
    pub org: Option<String>,
    pub role: Option<String>,
    /// Free text; see [`Person::preferred_channel`].
    pub prefers: Option<String>,
    /// Show my elevator pitch when meeting them.
    pub pitch: bool,
    /// `phone:` (or `phones:`), one number or a list, as written.
    pub phones: Vec<String>,
    /// `birthday: 1985-03-14` or `--03-14` (year unknown).
    pub birthday: Option<PartialDate>,
    /// `related: [{name: Sam, relation: child}]`: people in their life.
    pub related: Vec<Related>,
    /// Text before the first heading.
    pub summary: Option<String>,
    pub topics: Vec<Topic>,
    /// Open tasks, in file order (the numbers `rapport done` accepts).
    pub follow_ups: Vec<FollowUp>,
    /// `## Log` entries in file order.
    pub log: Vec<LogEntry>,
    /// Closed tasks with a ✅ (or `[completion::]`) date, in file order.
    pub completed: Vec<CompletedTask>,
    /// `tags:` without a leading `#` (`[team, client]`, `"#team"`).
    pub tags: Vec<String>,
    /// `cadence: 3w`: keep in touch at least this often (`never` opts out
    /// of a default by tag).
    pub cadence: Option<cadence::Cadence>,
    /// `snooze_until: DATE`: not due for keeping in touch before that day.
    pub snooze_until: Option<NaiveDate>,
    /// `dates:`, in file order.
    pub dates: Vec<dates::ImportantDate>,
    /// Front-matter values that could not be read and are ignored
    /// (`birthday`, `dates`, `cadence`, `snooze_until`): the person stays,
    /// the value is left out, `rapport check` and the commands say where.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<NoteWarning>,
}

/// A front-matter value rapport ignores (1-based line in the file).
pub type NoteWarning = ParseError;

/// Someone in a person's life (`related:` in the front matter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Related {
    pub name: String,
    /// `child`, `spouse`, ... (lower-case as address books label them).
    pub relation: Option<String>,
}

/// Bullets under one `## ` heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub heading: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// The bullet text with a `#private` tag removed.
    pub text: String,
    /// Tagged `#private`: never in a notification, only in the full brief.
    pub private: bool,
    /// An indented (sub-)bullet.
    pub nested: bool,
    /// 1-based line in the file.
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowUpKind {
    /// Something to ask them (🛫 start date, `rapport ask`).
    Ask,
    /// Something I promised them (📅 due date, `rapport owe`).
    Owe,
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    /// The task text without its date signifiers.
    pub text: String,
    pub kind: FollowUpKind,
    /// 🛫 / `[start::]`: show from this day on.
    pub start: Option<NaiveDate>,
    /// ⏳ / `[scheduled::]`.
    pub scheduled: Option<NaiveDate>,
    /// 📅 / `[due::]`.
    pub due: Option<NaiveDate>,
    /// 1-based line in the file.
    pub line: usize,
}

impl FollowUp {
    /// Whether it should be shown on `today` (its start date has come).
    pub fn is_active(&self, today: NaiveDate) -> bool {
        self.start.is_none_or(|s| s <= today)
    }

    /// A promise whose due date has passed.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.due.is_some_and(|d| d < today)
    }

    /// Tagged `#private` (the whole tag): never in a notification or the digest.
    pub fn is_private(&self) -> bool {
        parse::has_tag(&self.text, "#private")
    }
}

/// A closed task with the day it was done: contact with the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompletedTask {
    /// The task text without its date signifiers.
    pub text: String,
    /// ✅ / `[completion::]`.
    pub done: NaiveDate,
    /// 1-based line in the file.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    pub date: NaiveDate,
    pub text: String,
    /// 1-based line in the file.
    pub line: usize,
}

/// The recognised values of `prefers:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Phone,
    Email,
    Chat,
    InPerson,
}

impl Person {
    /// The date of the newest Log entry (the daemon's debrief writes
    /// `- DATE Met at <meeting>` there, and `rapport note` adds to it).
    pub fn last_met(&self) -> Option<NaiveDate> {
        self.last_log().map(|e| e.date)
    }

    /// The newest Log entry ("last time"); on equal dates the later line.
    pub fn last_log(&self) -> Option<&LogEntry> {
        self.log.iter().max_by_key(|e| (e.date, e.line))
    }

    pub fn preferred_channel(&self) -> Option<Channel> {
        let p = self.prefers.as_deref()?.to_lowercase();
        let words: Vec<&str> = p.split(|c: char| !c.is_alphanumeric()).collect();
        let has = |w: &str| words.contains(&w);
        if has("phone") || has("call") || has("calls") || has("telephone") {
            Some(Channel::Phone)
        } else if has("email") || has("mail") || p.contains("e-mail") {
            Some(Channel::Email)
        } else if has("chat") || has("slack") || has("teams") || has("signal") || has("whatsapp") {
            Some(Channel::Chat)
        } else if p.contains("in person") || p.contains("face to face") || has("f2f") {
            Some(Channel::InPerson)
        } else {
            None
        }
    }

    /// Whether `tags:` has `tag` (with or without `#`, any case); `team`
    /// also matches the nested tags `team/eng`, as Obsidian's tag search does.
    pub fn has_tag(&self, tag: &str) -> bool {
        let want = tag.trim().trim_start_matches('#').to_lowercase();
        !want.is_empty()
            && self.tags.iter().any(|t| {
                let t = t.to_lowercase();
                t.strip_prefix(&want)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }

    /// All names this person goes by: the name, then the aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A file that could not be read as a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeopleError {
    /// Relative to the people folder (the folder itself when it is unreadable).
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for PeopleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everyone in the people folder.
#[derive(Debug, Clone, Default)]
pub struct People {
    pub dir: PathBuf,
    /// Sorted by path.
    pub people: Vec<Person>,
    pub errors: Vec<PeopleError>,
}

impl People {
    /// The values in notes that are ignored because they cannot be read
    /// (the people themselves are loaded), each with its file and line.
    pub fn warnings(&self) -> impl Iterator<Item = PeopleError> + '_ {
        self.people.iter().flat_map(|p| {
            p.warnings.iter().map(|w| PeopleError {
                path: p.path.clone(),
                line: w.line,
                message: w.message.clone(),
            })
        })
    }

    /// The absolute (or config-relative) path of a person's file.
    pub fn file_of(&self, person: &Person) -> PathBuf {
        self.dir.join(&person.path)
    }
}

/// Files larger than this are not person notes; refusing them keeps a
/// stray export from eating memory.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Folder depth limit (symlinked folders are not followed, so no loops).
const MAX_DEPTH: usize = 16;

/// Reads every `.md` file under `dir` (subfolders too; hidden files and
/// folders skipped). A missing folder is simply empty: no people yet.
pub fn load(dir: &Path) -> People {
    let mut people = People {
        dir: dir.to_path_buf(),
        ..People::default()
    };
    let mut files = Vec::new();
    collect_files(dir, Path::new(""), 0, &mut files, &mut people.errors);
    files.sort();
    for rel in files {
        let full = dir.join(&rel);
        let error = |line, message: String| PeopleError {
            path: rel.clone(),
            line,
            message,
        };
        match fs::metadata(&full) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                people.errors.push(error(
                    None,
                    format!(
                        "{} bytes is too large for a person note (limit {MAX_FILE_BYTES}); move it out of the people folder",
                        m.len()
                    ),
                ));
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                people.errors.push(error(None, format!("cannot read: {e}")));
                continue;
            }
        }
        let bytes = match fs::read(&full) {
            Ok(b) => b,
            Err(e) => {
                people.errors.push(error(None, format!("cannot read: {e}")));
                continue;
            }
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                let line = bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                people
                    .errors
                    .push(error(Some(line), "not UTF-8 text; save it as UTF-8".into()));
                continue;
            }
        };
        match parse_person(&rel, text) {
            Ok(p) => people.people.push(p),
            Err(e) => people.errors.push(error(e.line, e.message)),
        }
    }
    people
}

fn collect_files(
    dir: &Path,
    rel: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<PeopleError>,
) {
    let entries = match fs::read_dir(dir.join(rel)) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && depth == 0 => return,
        Err(e) => {
            errors.push(PeopleError {
                path: rel.to_path_buf(),
                line: None,
                message: format!("cannot read folder: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.starts_with('.') {
            // A temporary file of a rapport killed mid-write: gone with the
            // next read, so sync tools do not keep it.
            crate::util::fs::remove_if_stale_temp(&entry);
            continue;
        }
        let child = rel.join(&name);
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if depth < MAX_DEPTH {
                collect_files(dir, &child, depth + 1, files, errors);
            }
        } else if Path::new(&name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"))
            && (file_type.is_file()
                || (file_type.is_symlink()
                    && fs::metadata(dir.join(&child)).is_ok_and(|m| m.is_file())))
        {
            files.push(child);
        }
    }
}

/// Why a NAME given on the command line found no single person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    #[error("nobody matches {query:?}; `rapport people` lists everyone, `rapport person add` creates a note")]
    NotFound { query: String },
    #[error("{query:?} matches several people: {}; give more of the name or an email", .candidates.iter().map(|(n, p)| format!("{n} ({})", p.display())).collect::<Vec<_>>().join(", "))]
    Ambiguous {
        query: String,
        /// (name, path relative to the people folder)
        candidates: Vec<(String, PathBuf)>,
    },
}

/// Finds one person by email, name, alias or file name, or by an unambiguous
/// part of one; case- and accent-insensitive. Exact matches win over parts.
pub fn find<'a>(people: &'a People, query: &str) -> Result<&'a Person, FindError> {
    find_index(people, query).map(|i| &people.people[i])
}

/// Like [`find`], returning the index into `people.people`.
pub fn find_index(people: &People, query: &str) -> Result<usize, FindError> {
    let q = query.trim();
    let decide = |hits: Vec<usize>| -> Option<Result<usize, FindError>> {
        let mut hits = hits;
        hits.sort_unstable();
        hits.dedup();
        match hits.len() {
            0 => None,
            1 => Some(Ok(hits[0])),
            _ => Some(Err(FindError::Ambiguous {
                query: q.to_string(),
                candidates: hits
                    .iter()
                    .map(|&i| (people.people[i].name.clone(), people.people[i].path.clone()))
                    .collect(),
            })),
        }
    };
    let all = || people.people.iter().enumerate();
    if q.contains('@') {
        let email = normalize_email(q);
        let hits = all()
            .filter(|(_, p)| p.emails.contains(&email))
            .map(|(i, _)| i)
            .collect();
        if let Some(r) = decide(hits) {
            return r;
        }
        let bare = strip_plus(&email);
        let hits = all()
            .filter(|(_, p)| p.emails.iter().any(|e| strip_plus(e) == bare))
            .map(|(i, _)| i)
            .collect();
        if let Some(r) = decide(hits) {
            return r;
        }
    }
    let nq = normalize_name(q);
    if nq.is_empty() {
        return Err(FindError::NotFound {
            query: q.to_string(),
        });
    }
    let stem = |p: &Person| {
        p.path
            .file_stem()
            .map(|s| normalize_name(&s.to_string_lossy()))
            .unwrap_or_default()
    };
    let hits = all()
        .filter(|(_, p)| p.names().any(|n| normalize_name(n) == nq) || stem(p) == nq)
        .map(|(i, _)| i)
        .collect();
    if let Some(r) = decide(hits) {
        return r;
    }
    let lower = q.to_lowercase();
    let query_words: Vec<&str> = nq.split(' ').collect();
    // Every word of the query starts a word of the name, in any order:
    // "bakker yvonne", "yvo bak".
    let word_prefixes = |name: &str| {
        let words: Vec<&str> = name.split(' ').collect();
        query_words
            .iter()
            .all(|q| words.iter().any(|w| w.starts_with(q)))
    };
    let hits = all()
        .filter(|(_, p)| {
            p.names().any(|n| {
                let n = normalize_name(n);
                n.contains(&nq) || word_prefixes(&n)
            }) || p.emails.iter().any(|e| e.contains(&lower))
                || stem(p).contains(&nq)
        })
        .map(|(i, _)| i)
        .collect();
    decide(hits).unwrap_or_else(|| {
        Err(FindError::NotFound {
            query: q.to_string(),
        })
    })
}
