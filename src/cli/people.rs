//! The people commands: `people`, `person show|add`,
//! `edit`, `note`, `ask`, `owe`, `done`, `undo`. Each takes the people
//! folder, `today` and the [`NoteWriter`] (locks and kept versions under the
//! state folder) from the caller (the CLI edge) and writes to `out`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::NaiveDate;
use serde_json::json;

use super::between::History;
use super::dates::parse_date;
use crate::config::{self, ConfigError, Paths};
use crate::people::cadence::standing;
use crate::people::edit::{edit_file, Edit};
use crate::people::store::{add_person, NewPerson};
use crate::people::versions::{self, Version, Versions};
use crate::people::writer::{self, NoteWriter};
use crate::people::{find_index, load, FindError, FollowUpKind, People, Person};

/// The people folder from the config file. People commands work without a
/// config file (calendars are not needed to keep notes): then it is
/// `people/` under the data dir.
pub fn people_folder(paths: &Paths) -> anyhow::Result<PathBuf> {
    match config::load(paths) {
        Ok(config) => Ok(config.people.dir),
        Err(ConfigError::NotFound { .. }) => Ok(paths.data_dir.join("people")),
        Err(e) => Err(e.into()),
    }
}

/// Today on the user's clock: the default date of `note`, `ask` and `init`.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// `rapport note|ask|owe|done NAME ...`: one change to a note, through a
/// [`NoteWriter`] named after the command.
pub fn change(
    paths: &Paths,
    name: &str,
    force: bool,
    request: EditRequest,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let dir = people_folder(paths)?;
    let command = match &request {
        EditRequest::Note { .. } => "note",
        EditRequest::Ask { .. } => "ask",
        EditRequest::Owe { .. } => "owe",
        EditRequest::Done { .. } => "done",
    };
    let writer = NoteWriter::new(&paths.state_dir, command).force(force);
    edit(&dir, &writer, name, request, today(), out)
}

fn load_people(dir: &Path) -> People {
    load(dir)
}

/// Finds NAME or explains why not, mentioning unreadable files (the person
/// may be in one of them).
pub(super) fn find_or_explain(people: &People, name: &str) -> anyhow::Result<usize> {
    find_index(people, name).map_err(|e| explain(people, e))
}

fn explain(people: &People, e: FindError) -> anyhow::Error {
    {
        let mut msg = e.to_string();
        if matches!(e, FindError::NotFound { .. }) {
            if people.people.is_empty() && people.errors.is_empty() {
                msg.push_str(&format!(
                    " (the people folder {} has no notes yet)",
                    people.dir.display()
                ));
            }
            if !people.errors.is_empty() {
                msg.push_str(&format!(
                    "; {} file(s) could not be read: {}",
                    people.errors.len(),
                    people
                        .errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
        anyhow::anyhow!(msg)
    }
}

fn write_errors(people: &People, out: &mut dyn Write) -> anyhow::Result<()> {
    let warnings: Vec<_> = people.warnings().collect();
    if !warnings.is_empty() {
        writeln!(
            out,
            "\n{} value(s) in notes are ignored until fixed (the people are listed):",
            warnings.len()
        )?;
        for w in &warnings {
            writeln!(out, "  {w}")?;
        }
    }
    if people.errors.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n{} file(s) in {} could not be read (fix them; the others are used):",
        people.errors.len(),
        people.dir.display()
    )?;
    for e in &people.errors {
        writeln!(out, "  {e}")?;
    }
    Ok(())
}

/// A person as `people --json` and `person show --json` print them: the
/// note's fields, plus what the calendars say (`last_contact` with its
/// source, `next_meeting`) and keeping in touch (`keep_in_touch`).
fn person_json(history: &History, index: usize, p: &Person) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or(serde_json::Value::Null);
    let contacts = &history.contacts;
    let standing = standing(index, p, contacts, &history.config.people.cadence);
    if let Some(map) = v.as_object_mut() {
        map.insert("last_met".into(), json!(p.last_met()));
        map.insert("open_follow_ups".into(), json!(p.follow_ups.len()));
        map.insert(
            "last_contact".into(),
            json!(standing.last_contact.map(|c| json!({
                "date": c.date,
                "source": c.source,
                "text": c.text,
                "said": c.describe(contacts.today()),
            }))),
        );
        map.insert(
            "next_meeting".into(),
            json!(standing.next_meeting.map(|m| json!({
                "start": contacts.local(m.start),
                "title": m.title,
            }))),
        );
        map.insert(
            "keep_in_touch".into(),
            json!(standing.cadence.map(|c| json!({
                "cadence": c,
                "due_on": standing.due_on,
                "said": standing.describe(contacts.today()),
            }))),
        );
    }
    v
}

/// `rapport people [--json]`: one line per person; exit 1 when some files
/// could not be read (after listing everyone else).
pub fn list(history: &History, json: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let people = &history.people;
    let today = history.contacts.today();
    if json {
        let doc = json!({
            "dir": people.dir,
            "people": people
                .people
                .iter()
                .enumerate()
                .map(|(i, p)| person_json(history, i, p))
                .collect::<Vec<_>>(),
            "errors": people.errors,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else if people.people.is_empty() {
        writeln!(
            out,
            "No people in {} yet. Add one: rapport person add \"Full Name\" --email ADDRESS",
            people.dir.display()
        )?;
    } else {
        let clean = |t: &str| crate::util::text::clean(t, false);
        let rows: Vec<[String; 5]> = people
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let s = standing(i, p, &history.contacts, &history.config.people.cadence);
                // Cleaned here too, so that the columns line up.
                [
                    clean(&p.name),
                    clean(p.org.as_deref().unwrap_or_default()),
                    s.last_contact
                        .map_or("never".into(), |c| clean(&c.describe(today))),
                    s.describe(today).unwrap_or_else(|| "-".into()),
                    match p.follow_ups.len() {
                        0 => "-".to_string(),
                        n => format!("{n} open"),
                    },
                ]
            })
            .collect();
        let header = [
            "NAME".to_string(),
            "ORG".into(),
            "LAST CONTACT".into(),
            "KEEP IN TOUCH".into(),
            "FOLLOW-UPS".into(),
        ];
        let width = |i: usize| {
            rows.iter()
                .chain(std::iter::once(&header))
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths = [width(0), width(1), width(2), width(3)];
        for row in std::iter::once(&header).chain(rows.iter()) {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                line.push_str(&row[i]);
                line.push_str(&" ".repeat(w - row[i].chars().count() + 2));
            }
            line.push_str(&row[4]);
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    if !json {
        write_errors(people, out)?;
    }
    Ok(if people.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `rapport person show NAME [--json]`: everything rapport knows.
pub fn show(
    history: &History,
    name: &str,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let people = &history.people;
    let today = history.contacts.today();
    let index = find_or_explain(people, name)?;
    let p = &people.people[index];
    if json {
        let mut v = person_json(history, index, p);
        if let Some(map) = v.as_object_mut() {
            map.insert("file".into(), json!(people.file_of(p)));
        }
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut head = p.name.clone();
    if !p.emails.is_empty() {
        head.push_str(&format!("  <{}>", p.emails.join(", ")));
    }
    writeln!(out, "{head}")?;
    let work: Vec<&str> = [p.role.as_deref(), p.org.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !work.is_empty() {
        writeln!(out, "{}", work.join(" at "))?;
    }
    if !p.aliases.is_empty() {
        writeln!(out, "Also: {}", p.aliases.join("; "))?;
    }
    if let Some(prefers) = &p.prefers {
        writeln!(out, "Prefers: {prefers}")?;
    }
    writeln!(out, "File: {}", people.file_of(p).display())?;
    let s = standing(index, p, &history.contacts, &history.config.people.cadence);
    match s.last_contact {
        Some(c) => writeln!(out, "Last contact: {}", c.describe(today))?,
        None => writeln!(out, "Last contact: none in the notes or the calendars")?,
    }
    if let Some(m) = s.next_meeting {
        writeln!(
            out,
            "Next meeting: {} {}",
            history.contacts.local(m.start).format("%a %-d %b %H:%M"),
            m.title
        )?;
    }
    if let (Some(cadence), Some(said)) = (s.cadence, s.describe(today)) {
        writeln!(out, "Keep in touch: every {cadence}, {said}")?;
    }
    let dates = crate::people::dates::dates_between(
        p,
        today,
        today
            .checked_add_days(chrono::Days::new(366))
            .unwrap_or(today),
    );
    // Each date once: the next time it comes.
    let mut seen = Vec::new();
    let upcoming: Vec<String> = dates
        .iter()
        .filter(|d| {
            let new = !seen.contains(&(d.kind, d.what));
            seen.push((d.kind, d.what));
            new
        })
        .map(|d| d.describe(today))
        .collect();
    if !upcoming.is_empty() {
        writeln!(out, "Dates: {}", upcoming.join("; "))?;
    }
    if let Some(summary) = &p.summary {
        writeln!(out, "\n{summary}")?;
    }
    for topic in &p.topics {
        writeln!(out, "\n{}", topic.heading)?;
        for item in &topic.items {
            let indent = if item.nested { "    " } else { "  " };
            let private = if item.private {
                "  [private: only if they raise it]"
            } else {
                ""
            };
            writeln!(out, "{indent}- {}{private}", item.text)?;
        }
    }
    if !p.follow_ups.is_empty() {
        writeln!(out, "\nFollow-ups (rapport done NAME NUMBER)")?;
        for (i, f) in p.follow_ups.iter().enumerate() {
            let mut notes = Vec::new();
            match f.kind {
                FollowUpKind::Ask => notes.push("ask".to_string()),
                FollowUpKind::Owe => notes.push("I owe".to_string()),
                FollowUpKind::Plain => {}
            }
            if let Some(s) = f.start {
                if s > today {
                    notes.push(format!("from {s}"));
                }
            }
            if let Some(d) = f.due {
                notes.push(if d < today {
                    format!("OVERDUE since {d}")
                } else {
                    format!("due {d}")
                });
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!("  ({})", notes.join(", "))
            };
            writeln!(out, "  {}. {}{notes}", i + 1, f.text)?;
        }
    }
    if !p.log.is_empty() {
        writeln!(out, "\nLog")?;
        let mut log: Vec<_> = p.log.iter().collect();
        log.sort_by_key(|e| std::cmp::Reverse((e.date, e.line)));
        for e in log {
            writeln!(out, "  {} {}", e.date, e.text)?;
        }
    } else {
        writeln!(out, "\nNever met (no Log entries).")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `rapport person add`. Two adds at once (two terminals, a script) run one
/// after the other: the folder's lock covers the check that no other note
/// has the address and the creation.
pub fn add(
    dir: &Path,
    writer: &NoteWriter,
    new: &NewPerson,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let _lock = versions::lock_folder(writer.state_dir(), dir, writer::MAX_WAIT)
        .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was created", dir.display()))?;
    let people = load_people(dir);
    let rel = add_person(&people, new)?;
    let path = dir.join(rel);
    // What a later edit compares with (a note that lost its front matter).
    if let Err(e) = writer.remember(&path) {
        tracing::warn!("{e}");
    }
    writeln!(out, "Created {}", path.display())?;
    Ok(ExitCode::SUCCESS)
}

/// What `rapport note|ask|owe|done` should do, dates still as typed.
#[derive(Debug, Clone)]
pub enum EditRequest {
    Note { text: String, date: Option<String> },
    Ask { text: String, after: Option<String> },
    Owe { text: String, due: Option<String> },
    Done { task: String },
}

/// `rapport note|ask|owe|done NAME ...`: one lossless edit of one file.
pub fn edit(
    dir: &Path,
    writer: &NoteWriter,
    name: &str,
    request: EditRequest,
    today: NaiveDate,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let date = |d: &Option<String>, flag: &str| -> anyhow::Result<Option<NaiveDate>> {
        d.as_deref()
            .map(|t| parse_date(t, today).with_context(|| format!("--{flag}")))
            .transpose()
    };
    let edit = match &request {
        EditRequest::Note { text, date: d } => Edit::Note {
            text: text.clone(),
            date: date(d, "date")?.unwrap_or(today),
        },
        EditRequest::Ask { text, after } => Edit::Ask {
            text: text.clone(),
            after: date(after, "after")?.unwrap_or(today),
        },
        EditRequest::Owe { text, due } => Edit::Owe {
            text: text.clone(),
            due: date(due, "due")?,
        },
        EditRequest::Done { task } => Edit::Done {
            selector: task.clone(),
            today,
        },
    };
    let people = load_people(dir);
    let p = &people.people[find_or_explain(&people, name)?];
    let path = people.file_of(p);
    let applied = edit_file(writer, &path, &edit)?;
    let verb = if matches!(edit, Edit::Done { .. }) {
        "ticked"
    } else {
        "added"
    };
    writeln!(
        out,
        "{} ({}), {verb} line {}: {}",
        p.name,
        p.path.display(),
        applied.line,
        applied.line_text
    )?;
    if matches!(edit, Edit::Done { .. }) {
        // The open follow-ups are numbered in file order, so the ones after
        // the ticked one moved up: show the numbers the next `done` takes.
        let path = people.file_of(p);
        let now_open = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| crate::people::parse_person(&p.path, &text).ok())
            .map(|q| q.follow_ups);
        match now_open {
            Some(open) if open.is_empty() => writeln!(out, "No open follow-ups left.")?,
            Some(open) => {
                writeln!(out, "Still open (new numbers):")?;
                for (i, f) in open.iter().enumerate() {
                    writeln!(out, "  {}. {}", i + 1, f.text)?;
                }
            }
            None => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Splits `$VISUAL`/`$EDITOR` into argv without a shell: words split on
/// whitespace; single quotes, double quotes and backslashes work as in sh.
pub fn split_command(command: &str) -> anyhow::Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => bail!("unclosed ' in editor command {command:?}"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => bail!("unclosed \" in editor command {command:?}"),
                        },
                        Some(c) => word.push(c),
                        None => bail!("unclosed \" in editor command {command:?}"),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// The editor command: `$VISUAL`, else `$EDITOR` (values passed in).
pub fn editor_argv(visual: Option<&str>, editor: Option<&str>) -> anyhow::Result<Vec<String>> {
    for (var, value) in [("VISUAL", visual), ("EDITOR", editor)] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            let argv = split_command(v).with_context(|| format!("${var}"))?;
            if !argv.is_empty() {
                return Ok(argv);
            }
        }
    }
    bail!("set $VISUAL or $EDITOR to your editor (for example: export EDITOR=nano)")
}

/// `rapport edit NAME`: runs the editor on the file, then reads it back and
/// reports problems the edit introduced.
pub fn edit_in_editor(
    dir: &Path,
    writer: &NoteWriter,
    name: &str,
    editor: &[String],
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let people = load_people(dir);
    let path = find_or_broken(&people, name)?;
    // The note as it was before the editor, for `rapport undo`.
    writer.keep_current(&path)?;
    let (program, args) = editor
        .split_first()
        .context("the editor command is empty")?;
    let status = std::process::Command::new(program)
        .args(args)
        .arg(&path)
        .status()
        .with_context(|| format!("cannot start the editor {program:?}"))?;
    if !status.success() {
        bail!(
            "the editor {program:?} exited with {status}; {} is as the editor left it",
            path.display()
        );
    }
    let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
    match std::fs::read_to_string(&path) {
        Ok(text) => match crate::people::parse_person(&rel, &text) {
            Ok(p) => {
                // Your edit is what rapport knows now (front matter removed
                // on purpose is no alarm for the next `rapport note`).
                if let Err(e) = writer.remember(&path) {
                    tracing::warn!("{e}");
                }
                writeln!(
                    out,
                    "{}: {} ({} open follow-ups)",
                    path.display(),
                    p.name,
                    p.follow_ups.len()
                )?
            }
            Err(e) => {
                writeln!(
                    out,
                    "{}, line {}: {} (rapport cannot use this file until it is fixed; `rapport undo {} --list` shows the versions rapport kept)",
                    path.display(),
                    e.line.unwrap_or(0),
                    e.message,
                    writer::undo_name(&path)
                )?;
                return Ok(ExitCode::from(1));
            }
        },
        Err(e) => writeln!(out, "{}: cannot read it back: {e}", path.display())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The note NAME finds, or a broken note whose file name is NAME (a broken
/// file cannot be found by the name inside it; `edit` is how it gets fixed,
/// `undo` how it gets its earlier version back).
fn find_or_broken(people: &People, name: &str) -> anyhow::Result<PathBuf> {
    match find_index(people, name) {
        Ok(i) => Ok(people.file_of(&people.people[i])),
        Err(e) => match people.errors.iter().find(|err| {
            err.path
                .file_stem()
                .is_some_and(|s| s.to_string_lossy().eq_ignore_ascii_case(name.trim()))
        }) {
            Some(err) => Ok(people.dir.join(&err.path)),
            None => Err(explain(people, e)),
        },
    }
}

/// What `rapport undo NAME` should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoRequest {
    /// `--list`: the kept versions, numbered, newest first.
    List,
    /// `--show N`: print version N.
    Show(usize),
    /// `[N]`: put version N back; without N, the newest kept version that
    /// differs from the note now (after a rapport edit: the note before it;
    /// after a sync emptied it: the note as rapport last left it).
    Restore(Option<usize>),
}

/// `rapport undo NAME [N] [--list | --show N]`: the versions rapport kept of
/// a note before it changed it. Restoring is an edit like any other: under
/// the note's lock, and the note as it was is kept as a version first, so an
/// undo can itself be undone.
pub fn undo(
    dir: &Path,
    writer: &NoteWriter,
    name: &str,
    request: UndoRequest,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let people = load_people(dir);
    let path = match find_or_broken(&people, name) {
        Ok(p) => p,
        // A note that is gone: its versions still know its path.
        Err(e) => {
            let wanted = crate::people::matching::normalize_name(name);
            let gone: Vec<Versions> = Versions::all(writer.state_dir())
                .into_iter()
                .filter(|v| !v.note.exists())
                .filter(|v| {
                    v.note.file_stem().is_some_and(|s| {
                        crate::people::matching::normalize_name(&s.to_string_lossy()) == wanted
                    })
                })
                .collect();
            match gone.as_slice() {
                [v] => v.note.clone(),
                _ => return Err(e),
            }
        }
    };
    let versions = writer.versions(&path)?;
    let kept = versions.list()?;
    let shown = path.display();
    let undo_name = writer::undo_name(&path);
    let current = crate::util::fs::read_regular(&versions.note).ok();
    let pick = |n: usize| -> anyhow::Result<&Version> {
        match n.checked_sub(1).and_then(|i| kept.get(i)) {
            Some(v) => Ok(v),
            None if kept.is_empty() => bail!("{shown}: {}", nothing_kept()),
            None => bail!(
                "{shown}: there is no version {n}; rapport keeps {} (`rapport undo {undo_name} --list`)",
                kept.len()
            ),
        }
    };
    match request {
        UndoRequest::List => {
            if kept.is_empty() {
                writeln!(out, "{shown}: {}", nothing_kept())?;
                return Ok(ExitCode::from(1));
            }
            match &current {
                Some(now) => writeln!(
                    out,
                    "{shown} now: {}, {} bytes. Versions rapport kept, newest first:",
                    lines(now),
                    now.len()
                )?,
                None => writeln!(
                    out,
                    "{shown} does not exist now. Versions rapport kept, newest first:"
                )?,
            }
            for (i, v) in kept.iter().enumerate() {
                let bytes = std::fs::read(&v.file)?;
                let when = v.saved_at.map_or("?".to_string(), |t| {
                    t.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                });
                let against_now = current
                    .as_ref()
                    .map(|now| match line_changes(&bytes, now) {
                        (0, 0) => "; the same lines as now".to_string(),
                        (added, removed) => format!("; since then +{added} -{removed} lines"),
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {:>2}  {when}  {}  {}, {} bytes{against_now}",
                    i + 1,
                    describe(&v.label),
                    lines(&bytes),
                    bytes.len()
                )?;
            }
            writeln!(
                out,
                "Restore one: rapport undo {undo_name} N (the note as it is now is kept first); print one: rapport undo {undo_name} --show N"
            )?;
        }
        UndoRequest::Show(n) => {
            out.write_all(&std::fs::read(&pick(n)?.file)?)?;
        }
        UndoRequest::Restore(n) => {
            let n = match n {
                Some(n) => n,
                None => {
                    let differs = |v: &Version| {
                        current
                            .as_ref()
                            .is_none_or(|now| std::fs::read(&v.file).is_ok_and(|b| &b != now))
                    };
                    match kept.iter().position(differs) {
                        Some(i) => i + 1,
                        None if kept.is_empty() => bail!("{shown}: {}", nothing_kept()),
                        None => {
                            writeln!(
                                out,
                                "{shown} is the same as every version rapport kept; nothing to undo."
                            )?;
                            return Ok(ExitCode::from(1));
                        }
                    }
                }
            };
            let v = pick(n)?;
            let bytes = std::fs::read(&v.file)?;
            if current.is_none() {
                crate::people::store::create_new(&versions.note, &bytes)?;
                if let Err(e) = writer.remember(&path) {
                    tracing::warn!("{e}");
                }
            } else {
                // An undo may be what repairs an emptied note: never refused.
                writer.clone().force(true).change(
                    &path,
                    &mut |_: &[u8]| -> Result<(Vec<u8>, ()), writer::WriteError> {
                        Ok((bytes.clone(), ()))
                    },
                    None,
                )?;
            }
            let when = v.saved_at.map_or("?".to_string(), |t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            });
            let what = format!(
                "version {n} ({when}, {}; {})",
                describe(&v.label),
                lines(&bytes)
            );
            if current.is_none() {
                writeln!(out, "{shown}: recreated from {what}.")?;
            } else {
                writeln!(
                    out,
                    "{shown}: restored {what}. The version it replaced is kept: `rapport undo {undo_name}` puts it back."
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn nothing_kept() -> &'static str {
    "rapport has not changed this note yet, so it keeps no earlier version (it keeps one each time it changes a note)"
}

/// Which state of the note a kept version is, from its label.
fn describe(label: &str) -> String {
    let command = |c: &str| match c {
        "nothing-new" => "the daemon's \"Nothing new\"".to_string(),
        "edit" => "`rapport edit` (your editor)".to_string(),
        "add" => "`rapport person add`".to_string(),
        other => format!("`rapport {other}`"),
    };
    if let Some(c) = label.strip_prefix("before-") {
        format!("before {}", command(c))
    } else if let Some(c) = label.strip_prefix("after-") {
        format!("as {} left it", command(c))
    } else if label == "displaced" {
        "another program's save that rapport could not put back".into()
    } else {
        label.to_string()
    }
}

/// "1 line", "12 lines".
fn lines(bytes: &[u8]) -> String {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    match newlines + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n")) {
        1 => "1 line".into(),
        n => format!("{n} lines"),
    }
}

/// Lines in `now` but not in `then`, and the other way round (as multisets:
/// enough to tell which version is which, without a full diff).
fn line_changes(then: &[u8], now: &[u8]) -> (usize, usize) {
    let mut counts: std::collections::HashMap<&[u8], isize> = std::collections::HashMap::new();
    for l in then.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        *counts
            .entry(l.strip_suffix(b"\r").unwrap_or(l))
            .or_default() -= 1;
    }
    for l in now.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        *counts
            .entry(l.strip_suffix(b"\r").unwrap_or(l))
            .or_default() += 1;
    }
    let added = counts.values().filter(|&&c| c > 0).sum::<isize>() as usize;
    let removed = counts
        .values()
        .filter(|&&c| c < 0)
        .map(|c| -c)
        .sum::<isize>() as usize;
    (added, removed)
}
