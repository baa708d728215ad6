//! Creating person files: a safe file name from any name, a template, and a
//! create-only write that can neither overwrite nor leave the folder.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::matching::{fold_letter, normalize_email};
use super::{parse_person, PartialDate, People, Related};

/// What `rapport person add` knows about a new person.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewPerson {
    pub name: String,
    pub emails: Vec<String>,
    pub org: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0}")]
    Invalid(String),
    #[error("{} already exists; open it with `rapport edit`, or give a more specific name", .0.display())]
    Exists(PathBuf),
    #[error("{email} is already in {} ({name})", .path.display())]
    DuplicateEmail {
        email: String,
        name: String,
        path: PathBuf,
    },
    #[error("{}: {message}", .path.display())]
    Io { path: PathBuf, message: String },
}

/// A file name stem from a name: accents removed, letters folded to ASCII
/// where they have an obvious form (ø -> o), other letters and digits kept
/// (a Chinese or Cyrillic name stays readable), everything else one `-`,
/// lower-case, at most 80 bytes. Never contains `/`, `.`, NUL or a leading
/// dot, so it cannot name a hidden file or leave the folder. `None` when
/// nothing usable is left.
pub fn slug(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut dash = false;
    for c in name.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            match fold_letter(c) {
                Some(f) => out.push_str(f),
                None => out.extend(c.to_lowercase()),
            }
        } else {
            dash = true;
        }
        if out.len() >= 80 {
            break;
        }
    }
    while out.len() > 80 {
        out.pop();
    }
    let out = out.trim_end_matches('-').to_string();
    (!out.is_empty()).then_some(out)
}

/// A YAML scalar: plain when that reads back as the same string, else
/// double-quoted.
pub(crate) fn yaml_scalar(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && s == s.trim()
        && !s.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`',
        ])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !matches!(
            s.to_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
        )
        && s.parse::<f64>().is_err()
        && !s.starts_with(|c: char| c.is_ascii_digit());
    if plain_ok && !s.contains(char::is_control) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// A double-quoted YAML scalar; control characters escaped, so a stray line
/// break cannot end the value.
fn double_quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '\\' => q.push_str("\\\\"),
            '"' => q.push_str("\\\""),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            c if c.is_control() => q.push_str(&format!("\\u{:04x}", c as u32)),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// What an address book adds to a new note beyond [`NewPerson`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Details {
    pub phones: Vec<String>,
    pub birthday: Option<PartialDate>,
    pub related: Vec<Related>,
}

/// The text of a new person file.
pub fn template(new: &NewPerson) -> String {
    template_with(new, &Details::default())
}

/// The text of a new person file with the address book's details too.
pub fn template_with(new: &NewPerson, details: &Details) -> String {
    let entries = [
        ("name", Some(FmValue::text(&new.name))),
        ("emails", FmValue::list(&new.emails)),
        ("phone", FmValue::phones(&details.phones)),
        ("org", new.org.as_deref().map(FmValue::text)),
        ("role", new.role.as_deref().map(FmValue::text)),
        ("birthday", details.birthday.map(FmValue::birthday)),
        ("related", FmValue::related(&details.related)),
    ];
    let mut t = String::from("---\n");
    for (key, value) in entries {
        if let Some(value) = value {
            t.push_str(&value.entry(key, "", "\n"));
        }
    }
    t.push_str("---\n\n## Talk about\n\n## Follow-ups\n\n## Log\n");
    t
}

/// A front-matter value as rapport writes it, shared by the template and
/// the lossless filler (`import::fill`), so a filled note reads like a new
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FmValue {
    /// One YAML scalar, already quoted where needed.
    Scalar(String),
    /// Block-list items (`  - item`), each already YAML.
    Items(Vec<String>),
}

impl FmValue {
    pub(crate) fn text(s: &str) -> FmValue {
        FmValue::Scalar(yaml_scalar(s))
    }

    /// `None` for an empty list.
    pub(crate) fn list(items: &[String]) -> Option<FmValue> {
        (!items.is_empty()).then(|| FmValue::Items(items.iter().map(|i| yaml_scalar(i)).collect()))
    }

    /// One number as a scalar, several as a list.
    pub(crate) fn phones(phones: &[String]) -> Option<FmValue> {
        match phones {
            [one] => Some(FmValue::text(one)),
            many => FmValue::list(many),
        }
    }

    /// `1985-03-14` or `--03-14`, plain: both read back as text.
    pub(crate) fn birthday(birthday: PartialDate) -> FmValue {
        FmValue::Scalar(birthday.to_string())
    }

    /// One `{name: ..., relation: ...}` per item.
    pub(crate) fn related(related: &[Related]) -> Option<FmValue> {
        let items: Vec<String> = related
            .iter()
            .map(|r| match &r.relation {
                Some(rel) => format!(
                    "{{name: {}, relation: {}}}",
                    flow_scalar(&r.name),
                    flow_scalar(rel)
                ),
                None => format!("{{name: {}}}", flow_scalar(&r.name)),
            })
            .collect();
        (!items.is_empty()).then_some(FmValue::Items(items))
    }

    /// `key: value` or `key:` and its items, each line starting with
    /// `indent` and ending with `nl`.
    pub(crate) fn entry(&self, key: &str, indent: &str, nl: &str) -> String {
        match self {
            FmValue::Scalar(v) => format!("{indent}{key}: {v}{nl}"),
            FmValue::Items(items) => {
                let mut t = format!("{indent}{key}:{nl}");
                for item in items {
                    t.push_str(&format!("{indent}  - {item}{nl}"));
                }
                t
            }
        }
    }
}

/// A scalar inside `[...]` or `{...}`, where `,` `[` `]` `{` `}` end a
/// plain one: quoted when it holds any of them.
pub(crate) fn flow_scalar(s: &str) -> String {
    if s.contains([',', '[', ']', '{', '}']) {
        double_quoted(s)
    } else {
        yaml_scalar(s)
    }
}

fn clean(what: &str, s: &str) -> Result<String, AddError> {
    let s = s.trim();
    if s.chars().any(char::is_control) {
        return Err(AddError::Invalid(format!(
            "the {what} must be one line without control characters"
        )));
    }
    Ok(s.to_string())
}

/// Creates the file for `new` in `people.dir` (made 0700 if missing), mode
/// 0600, never replacing an existing file. Returns the path relative to the
/// folder.
pub fn add_person(people: &People, new: &NewPerson) -> Result<PathBuf, AddError> {
    let name = clean("name", &new.name)?;
    if name.is_empty() {
        return Err(AddError::Invalid("the name is empty".into()));
    }
    let mut emails = Vec::new();
    for e in &new.emails {
        let e = normalize_email(&clean("email", e)?);
        if e.is_empty() {
            continue;
        }
        if !e.contains('@') || e.contains(char::is_whitespace) {
            return Err(AddError::Invalid(format!("{e:?} is not an email address")));
        }
        if let Some(p) = people.people.iter().find(|p| p.emails.contains(&e)) {
            return Err(AddError::DuplicateEmail {
                email: e,
                name: p.name.clone(),
                path: p.path.clone(),
            });
        }
        if !emails.contains(&e) {
            emails.push(e);
        }
    }
    let opt = |what, v: &Option<String>| -> Result<Option<String>, AddError> {
        v.as_deref()
            .map(|s| clean(what, s))
            .transpose()
            .map(|o| o.filter(|s| !s.is_empty()))
    };
    let new = NewPerson {
        name: name.clone(),
        emails,
        org: opt("org", &new.org)?,
        role: opt("role", &new.role)?,
    };
    let stem = slug(&name).ok_or_else(|| {
        AddError::Invalid(format!(
            "cannot make a file name from {name:?}; use letters or digits"
        ))
    })?;
    let rel = PathBuf::from(format!("{stem}.md"));
    let text = template(&new);
    // The template must read back as what was asked for.
    let check = parse_person(&rel, &text).map_err(|e| {
        AddError::Invalid(format!("internal: template does not parse: {}", e.message))
    })?;
    if check.name != new.name || check.emails != new.emails {
        return Err(AddError::Invalid(format!(
            "internal: template for {name:?} does not read back"
        )));
    }
    let dir = &people.dir;
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| AddError::Io {
            path: dir.clone(),
            message: format!("cannot create the people folder: {e}"),
        })?;
    create_new(&dir.join(&rel), text.as_bytes())?;
    Ok(rel)
}

/// Writes a new file without ever replacing one: the contents go to an
/// unnamed (or else a hidden temporary) file first (fsynced), which is then
/// linked to the final name; `link` fails if the name exists, so a
/// concurrent create cannot be overwritten and a crash never leaves half a
/// note. Filesystems without hard links fall back to `O_CREAT|O_EXCL`.
pub(crate) fn create_new(path: &Path, contents: &[u8]) -> Result<(), AddError> {
    create_new_unsynced(path, contents)?;
    crate::util::fs::sync_dir(&crate::util::fs::parent_dir(path));
    Ok(())
}

/// Numbers the temporary names of new notes (`.rapport-new-PID-N.tmp`).
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Creates many new files in `dir` at once (`rapport import` of a whole
/// address book), with the guarantees of [`create_new`] but without one
/// fsync per file, which cost 10,000 cards about 6 s on ext4 against about
/// 1.2 s this way (bench/NOTES.md): every file is written under a hidden
/// temporary name, one `syncfs` makes all of them durable, then each is
/// linked to its name (failing, never replacing, when the name is taken)
/// and the folder is fsynced once. A crash leaves whole notes or none; the
/// temporary files of a killed run are swept by the next command. Where
/// `syncfs` fails, each file is fsynced instead.
pub(crate) fn create_many(dir: &Path, files: &[(&Path, &[u8])]) -> Vec<Result<(), AddError>> {
    let io = |path: &Path, e: std::io::Error| AddError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let write_temp = |contents: &[u8]| -> std::io::Result<PathBuf> {
        for _ in 0..100 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".rapport-new-{}-{n}.tmp", std::process::id()));
            let mut f = match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(libc::O_CLOEXEC)
                .open(&tmp)
            {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            };
            if let Err(e) = f.write_all(contents) {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
            return Ok(tmp);
        }
        Err(std::io::Error::other("no free temporary name"))
    };
    let temps: Vec<Result<PathBuf, AddError>> = files
        .iter()
        .map(|(path, contents)| {
            if fs::symlink_metadata(path).is_ok() {
                return Err(AddError::Exists(path.to_path_buf()));
            }
            write_temp(contents).map_err(|e| io(path, e))
        })
        .collect();
    if !syncfs(dir) {
        for tmp in temps.iter().flatten() {
            if let Ok(f) = fs::File::open(tmp) {
                let _ = f.sync_all();
            }
        }
    }
    let results = files
        .iter()
        .zip(temps)
        .map(|((path, _), tmp)| {
            let tmp = tmp?;
            let linked = fs::hard_link(&tmp, path);
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Err(AddError::Exists(path.to_path_buf()))
                }
                Err(e) => Err(io(path, e)),
            }
        })
        .collect();
    crate::util::fs::sync_dir(dir);
    results
}

/// Flushes the filesystem that holds `dir`; false when it cannot.
fn syncfs(dir: &Path) -> bool {
    use std::os::unix::io::AsRawFd;
    match fs::File::open(dir) {
        // SAFETY: a valid descriptor, open for the duration of the call.
        Ok(d) => unsafe { libc::syncfs(d.as_raw_fd()) == 0 },
        Err(_) => false,
    }
}

/// [`create_new`] without the fsync of the folder: for many notes at once
/// (`rapport import`), whose caller syncs the folder once at the end. The
/// contents are still fsynced before the name appears, so a crash leaves a
/// whole note or none.
pub(crate) fn create_new_unsynced(path: &Path, contents: &[u8]) -> Result<(), AddError> {
    let io = |e: std::io::Error| AddError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if fs::symlink_metadata(path).is_ok() {
        return Err(AddError::Exists(path.to_path_buf()));
    }
    // Best: an unnamed file linked to the name, so no temporary name ever
    // shows in the folder.
    match crate::util::fs::create_complete(path, contents) {
        Some(Ok(())) => return Ok(()),
        Some(Err(e)) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(AddError::Exists(path.to_path_buf()))
        }
        Some(Err(e)) => return Err(io(e)),
        None => {}
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let write = |p: &Path| -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(p)?;
        f.write_all(contents)?;
        f.sync_all()
    };
    // A name no other writer uses: pid, a per-process counter, and retries.
    let mut attempt = 0;
    let tmp = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let candidate = dir.join(format!(".rapport-new-{}-{n}.tmp", std::process::id()));
        match write(&candidate) {
            Ok(()) => break candidate,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => {
                // A failed write leaves a partial file of ours; an existing
                // one belongs to someone else.
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    let _ = fs::remove_file(&candidate);
                }
                return Err(io(e));
            }
        }
    };
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(AddError::Exists(path.to_path_buf()))
        }
        Err(_) => write(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                AddError::Exists(path.to_path_buf())
            } else {
                io(e)
            }
        })?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_files_are_created_whole_never_replacing_one() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path();
        fs::write(dir.join("taken.md"), "theirs").unwrap();
        let names: Vec<PathBuf> = (0..40)
            .map(|i| dir.join(format!("n{i}.md")))
            .chain([dir.join("taken.md")])
            .collect();
        let texts: Vec<String> = (0..41).map(|i| format!("note {i}\n")).collect();
        let files: Vec<(&Path, &[u8])> = names
            .iter()
            .zip(&texts)
            .map(|(p, t)| (p.as_path(), t.as_bytes()))
            .collect();
        let results = create_many(dir, &files);
        assert!(results[..40].iter().all(Result::is_ok), "{results:?}");
        assert!(matches!(&results[40], Err(AddError::Exists(p)) if p.ends_with("taken.md")));
        assert_eq!(fs::read_to_string(dir.join("taken.md")).unwrap(), "theirs");
        assert_eq!(fs::read_to_string(dir.join("n7.md")).unwrap(), "note 7\n");
        let mode = fs::metadata(dir.join("n7.md"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir).unwrap().count(), 41);
    }

    #[test]
    fn slugs_are_safe() {
        assert_eq!(slug("Yvonne Bakker").as_deref(), Some("yvonne-bakker"));
        assert_eq!(
            slug("René Ø'Brien-Smith").as_deref(),
            Some("rene-o-brien-smith")
        );
        assert_eq!(slug("../../etc/passwd").as_deref(), Some("etc-passwd"));
        assert_eq!(slug(".hidden").as_deref(), Some("hidden"));
        assert_eq!(slug("a\0b/c").as_deref(), Some("a-b-c"));
        assert_eq!(slug("李小龙").as_deref(), Some("李小龙"));
        assert_eq!(slug("..."), None);
        assert_eq!(slug(""), None);
        assert!(slug(&"x".repeat(500)).unwrap().len() <= 80);
        assert!(slug(&"é".repeat(500)).unwrap().len() <= 80);
    }

    #[test]
    fn template_with_details_reads_back() {
        let new = NewPerson {
            name: "Ana Lima".into(),
            emails: vec!["ana@acme.example".into()],
            org: Some("Acme, Inc.".into()),
            role: Some("CTO".into()),
        };
        let details = Details {
            phones: vec!["0612345678".into()],
            birthday: PartialDate::parse("--02-29").ok(),
            related: vec![Related {
                name: "Sam, Jr.".into(),
                relation: Some("child".into()),
            }],
        };
        let text = template_with(&new, &details);
        assert!(text.contains("birthday: --02-29\n"), "{text}");
        let p = parse_person(Path::new("ana-lima.md"), &text).unwrap();
        assert_eq!(
            (p.name.as_str(), p.emails.as_slice()),
            ("Ana Lima", &new.emails[..])
        );
        assert_eq!((p.org, p.role), (new.org, new.role));
        assert_eq!(
            (p.phones, p.birthday, p.related),
            (details.phones, details.birthday, details.related)
        );
        // Without details, the template is the one `person add` always wrote.
        assert_eq!(
            template(&NewPerson {
                name: "Bo".into(),
                ..NewPerson::default()
            }),
            "---\nname: Bo\n---\n\n## Talk about\n\n## Follow-ups\n\n## Log\n"
        );
    }

    #[test]
    fn yaml_scalars_read_back() {
        for s in [
            "Yvonne Bakker",
            "Acme, Marketing",
            "yes",
            "- dash",
            "a: b",
            "say \"hi\" \\ there",
            "#tag",
            "2026",
            "@handle",
            "O'Brien",
        ] {
            let text = format!("k: {}\n", yaml_scalar(s));
            let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
            assert_eq!(docs[0]["k"].as_str(), Some(s), "{text}");
        }
    }
}
