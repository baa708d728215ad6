//! The lossless editor: every edit inserts whole lines or ticks one task in
//! place; every other byte of the file stays as it was (front matter, CRLF,
//! a BOM, a missing final newline, callouts, tables, embeds).
//!
//! [`apply`] is pure (text in, text out). [`edit_file`] applies it to the
//! file through a [`NoteWriter`], which serializes rapport's writers, waits
//! for a file another program is saving, keeps the replaced version and
//! redoes the edit when the file changed meanwhile (see [`super::writer`]).
//! [`log_met`] is the one edit of several notes: "Met at MEETING" for
//! everyone in a meeting (the daemon's "Nothing new" and `rapport met`).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::markdown::{is_follow_up_heading, is_log_heading, scan, LineKind, Scanned};
use super::matching::{fold_text, Match, Matcher};
use super::parse::{is_open, parse_person};
use super::writer::{NoteWriter, WriteError};
use super::People;
use crate::calendar::model::Occurrence;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// `- DATE text` under `## Log`.
    Note { date: NaiveDate, text: String },
    /// `- [ ] text 🛫 AFTER` under `## Follow-ups`.
    Ask { text: String, after: NaiveDate },
    /// `- [ ] text 📅 DUE` (or `#owe` without a date) under `## Follow-ups`.
    Owe {
        text: String,
        due: Option<NaiveDate>,
    },
    /// Ticks an open task: `[ ]` -> `[x]` and ` ✅ TODAY` at its end.
    /// `selector` is a number (as `rapport person show` lists the open
    /// follow-ups) or a part of the task's text.
    Done { selector: String, today: NaiveDate },
    /// `snooze_until: DATE` in the front matter (`rapport due snooze`):
    /// the value of an existing key replaced, else the key added as the
    /// front matter's last line (a front matter made when there is none).
    SnoozeUntil { until: NaiveDate },
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    Invalid(String),
    #[error("{}{message}; fix the file first (rapport edit NAME)", .line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Unreadable {
        line: Option<usize>,
        message: String,
    },
    #[error("no open follow-up matches {selector:?}; open ones: {}", list_or_none(.open))]
    NoTask { selector: String, open: Vec<String> },
    #[error("{text:?} is already done (ticked {done}, line {line}); nothing changed")]
    AlreadyDone {
        text: String,
        done: NaiveDate,
        line: usize,
    },
    #[error("{selector:?} matches several open follow-ups: {}; use its number or more of its text", .candidates.join("; "))]
    AmbiguousTask {
        selector: String,
        candidates: Vec<String>,
    },
    #[error("{}: {message}", .path.display())]
    File { path: PathBuf, message: String },
    #[error(transparent)]
    Write(#[from] WriteError),
}

fn list_or_none(open: &[String]) -> String {
    if open.is_empty() {
        "none".into()
    } else {
        open.join("; ")
    }
}

/// What an edit did: the new text and the 1-based line it added or ticked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    pub line: usize,
    /// The added or ticked line, without its line ending.
    pub line_text: String,
}

/// Applies `edit` to the file text `original` (pure).
///
/// The result is read back before it is returned: it must parse, keep the
/// name and emails, and show exactly the one added entry or follow-up (or one
/// fewer open follow-up for `done`). A file layout the editor misjudged is
/// refused rather than damaged.
pub fn apply(original: &str, edit: &Edit) -> Result<Applied, EditError> {
    let old = parse_person(Path::new(""), original).map_err(|e| EditError::Unreadable {
        line: e.line,
        message: e.message,
    })?;
    let applied = compute(original, &old, edit)?;
    verify(&old, &applied.text, edit).map_err(EditError::Invalid)?;
    Ok(applied)
}

fn compute(original: &str, old: &super::Person, edit: &Edit) -> Result<Applied, EditError> {
    match edit {
        Edit::Note { date, text } => {
            let text = one_line(text)?;
            append(original, Section::Log, &format!("- {date} {text}"))
        }
        Edit::Ask { text, after } => {
            let text = one_line(text)?;
            append(
                original,
                Section::FollowUps,
                &format!("- [ ] {text} 🛫 {after}"),
            )
        }
        Edit::Owe { text, due } => {
            let text = one_line(text)?;
            let line = match due {
                Some(d) => format!("- [ ] {text} 📅 {d}"),
                None => format!("- [ ] {text} #owe"),
            };
            append(original, Section::FollowUps, &line)
        }
        Edit::Done { selector, today } => tick(original, old, selector, *today),
        Edit::SnoozeUntil { until } => {
            set_front_matter(original, "snooze_until", &until.to_string())
        }
    }
}

/// Sets a top-level front-matter `key` to the plain scalar `value`: only
/// that line changes (its value, keeping a trailing comment), or one line
/// is added before the closing `---`; without front matter, one is added
/// at the top (after a BOM).
fn set_front_matter(original: &str, key: &str, value: &str) -> Result<Applied, EditError> {
    let s = scan(original);
    let nl = s.newline;
    let line_text = format!("{key}: {value}");
    let is_key = |content: &str| {
        content
            .strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with(':'))
    };
    if let Some(range) = &s.front_matter {
        // A flow mapping (`{name: Ana}`, also over several lines) has no
        // line to put a key on; adding one would break the YAML.
        let first = s.lines[range.clone()]
            .iter()
            .map(|l| l.content.trim_start())
            .find(|c| !c.is_empty() && !c.starts_with('#'));
        if let Some(first) = first.filter(|c| c.starts_with('{') || c.starts_with('[')) {
            let style = if first.starts_with('{') {
                "a YAML flow mapping (`{name: ...}`)"
            } else {
                "not a YAML mapping of `key: value` lines"
            };
            return Err(EditError::Invalid(format!(
                "the front matter is {style}; rapport can only add `{key}` to a block-style \
                 front matter (one `key: value` a line). Write `{line_text}` into it by hand, \
                 or convert it to `key: value` lines and run this again; nothing written"
            )));
        }
    }
    let (start, end, insert, line) = match &s.front_matter {
        Some(range) => match s.lines[range.clone()].iter().find(|l| is_key(l.content)) {
            Some(l) => {
                // Block values (a list under the key) are not this key's form.
                let colon = l.content.find(':').unwrap_or(l.content.len());
                let after = &l.content[colon + 1..];
                let comment = after.find(" #").map(|i| &after[i..]).unwrap_or("");
                (
                    l.content_start,
                    l.content_start + l.content.len(),
                    format!("{line_text}{comment}"),
                    l.number,
                )
            }
            None => {
                let close = &s.lines[range.end];
                (
                    close.content_start,
                    close.content_start,
                    format!("{line_text}{nl}"),
                    close.number,
                )
            }
        },
        None => {
            let at = s.lines.first().map_or(0, |l| l.content_start);
            (at, at, format!("---{nl}{line_text}{nl}---{nl}"), 2)
        }
    };
    let mut text = String::with_capacity(original.len() + insert.len());
    text.push_str(&original[..start]);
    text.push_str(&insert);
    text.push_str(&original[end..]);
    Ok(Applied {
        text,
        line,
        line_text,
    })
}

/// Text for one list item: no line breaks or other control characters.
fn one_line(text: &str) -> Result<&str, EditError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(EditError::Invalid("the text is empty".into()));
    }
    if t.chars().any(char::is_control) {
        return Err(EditError::Invalid(
            "the text must be one line (no line breaks, tabs or control characters)".into(),
        ));
    }
    Ok(t)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Log,
    FollowUps,
}

impl Section {
    fn is(self, heading: &str) -> bool {
        match self {
            Section::Log => is_log_heading(heading),
            Section::FollowUps => is_follow_up_heading(heading),
        }
    }

    fn title(self) -> &'static str {
        match self {
            Section::Log => "Log",
            Section::FollowUps => "Follow-ups",
        }
    }
}

fn find_section(s: &Scanned<'_>, section: Section) -> Option<usize> {
    s.lines
        .iter()
        .position(|l| matches!(l.kind, LineKind::Heading { level: 2, text } if section.is(text)))
}

/// What ends a last line that has no `\n`: a lone `\r` there already ends
/// it (the scanner reads it so), so only `\n` is added, making it `\r\n`;
/// adding the file's newline after it would leave `\r` inside the line and
/// change what the line says (`##\r` is text, `##` a heading).
fn completion<'n>(before: &str, nl: &'n str) -> &'n str {
    if before.ends_with('\r') {
        "\n"
    } else {
        nl
    }
}

/// Inserts `item` as the last entry of `section`, creating the section if
/// it is missing (Follow-ups goes before `## Log`, Log at the end; both before
/// a comment that is never closed).
fn append(original: &str, section: Section, item: &str) -> Result<Applied, EditError> {
    let s = scan(original);
    let nl = s.newline;
    // A comment that is never closed hides everything from its line on: an
    // entry added there would be invisible, so it goes before that line.
    let visible = s.unclosed_comment.unwrap_or(s.lines.len());
    let (at, insert, line) = if let Some(h) = find_section(&s, section) {
        let end = s.lines[h + 1..]
            .iter()
            .position(|l| matches!(l.kind, LineKind::Heading { level, .. } if level <= 2))
            .map_or(s.lines.len(), |i| h + 1 + i)
            .min(visible.max(h + 1));
        let last = (h + 1..end)
            .rev()
            .find(|&i| s.lines[i].kind != LineKind::Blank)
            .unwrap_or(h);
        let after = &s.lines[last];
        // A list continues directly; after a paragraph, table or callout a
        // blank line keeps the new item from being read as part of it.
        let separate =
            last != h && !matches!(after.kind, LineKind::Bullet { .. } | LineKind::Task { .. });
        let mut insert = String::new();
        let has_newline = original[..after.end].ends_with('\n');
        if !has_newline {
            insert.push_str(completion(&original[..after.end], nl));
        }
        if separate {
            insert.push_str(nl);
        }
        insert.push_str(item);
        if has_newline {
            insert.push_str(nl);
        }
        (after.end, insert, after.number + 1 + separate as usize)
    } else if let Some(next) = match section {
        // Follow-ups goes before `## Log`; either goes before a comment that
        // hides the end of the file.
        Section::FollowUps => find_section(&s, Section::Log).or(s.unclosed_comment),
        Section::Log => s.unclosed_comment,
    } {
        if s.lines[next].kind != LineKind::Comment && s.unclosed_comment == Some(next) {
            // Text before the comment on that line would move into the new section.
            return Err(EditError::Invalid(format!(
                "line {}: a comment starts here and is never closed, so the rest of the note is hidden; close it (`%%` or `-->`) and run the command again",
                s.lines[next].number
            )));
        }
        let before = next.checked_sub(1).map(|i| &s.lines[i]);
        let mut insert = String::new();
        let mut line = s.lines[next].number;
        if before.is_some_and(|l| l.kind != LineKind::Blank) {
            insert.push_str(nl);
            line += 1;
        }
        insert.push_str(&format!("## {}{nl}{item}{nl}{nl}", section.title()));
        // content_start: after a BOM, which must stay the file's first bytes.
        (s.lines[next].content_start, insert, line + 1)
    } else {
        let mut insert = String::new();
        let mut line = s.lines.len() + 1;
        if !s.ends_with_newline {
            insert.push_str(completion(original, nl));
        }
        if s.lines.last().is_some_and(|l| l.kind != LineKind::Blank) {
            insert.push_str(nl);
            line += 1;
        }
        insert.push_str(&format!("## {}{nl}{item}", section.title()));
        // Respect a missing final newline; an empty file gets a normal one.
        if s.ends_with_newline {
            insert.push_str(nl);
        }
        (original.len(), insert, line + 1)
    };
    let mut text = String::with_capacity(original.len() + insert.len());
    text.push_str(&original[..at]);
    text.push_str(&insert);
    text.push_str(&original[at..]);
    Ok(Applied {
        text,
        line,
        line_text: item.to_string(),
    })
}

/// Ticks one open task chosen by number or text.
fn tick(
    original: &str,
    person: &super::Person,
    selector: &str,
    today: NaiveDate,
) -> Result<Applied, EditError> {
    let open = &person.follow_ups;
    let describe = |i: usize| format!("{}. {}", i + 1, open[i].text);
    let sel = selector.trim();
    let chosen = if let Ok(n) = sel.parse::<usize>() {
        if n == 0 || n > open.len() {
            return Err(EditError::NoTask {
                selector: sel.to_string(),
                open: (0..open.len()).map(describe).collect(),
            });
        }
        n - 1
    } else {
        let q = fold_text(sel);
        let exact: Vec<usize> = (0..open.len())
            .filter(|&i| fold_text(&open[i].text) == q)
            .collect();
        let partial: Vec<usize> = (0..open.len())
            .filter(|&i| !q.is_empty() && fold_text(&open[i].text).contains(&q))
            .collect();
        let hits = if exact.len() == 1 { exact } else { partial };
        match hits.len() {
            1 => hits[0],
            0 => {
                // Ticked before (by rapport, or in Obsidian): say so.
                let done = &person.completed;
                let closed = done
                    .iter()
                    .filter(|c| fold_text(&c.text) == q)
                    .chain(
                        done.iter()
                            .filter(|c| !q.is_empty() && fold_text(&c.text).contains(&q)),
                    )
                    .next();
                if let Some(c) = closed {
                    return Err(EditError::AlreadyDone {
                        text: c.text.clone(),
                        done: c.done,
                        line: c.line,
                    });
                }
                return Err(EditError::NoTask {
                    selector: sel.to_string(),
                    open: (0..open.len()).map(describe).collect(),
                });
            }
            _ => {
                return Err(EditError::AmbiguousTask {
                    selector: sel.to_string(),
                    candidates: hits.into_iter().map(describe).collect(),
                })
            }
        }
    };
    let s = scan(original);
    let line = &s.lines[open[chosen].line - 1];
    let LineKind::Task {
        status, status_at, ..
    } = line.kind
    else {
        return Err(EditError::Invalid(format!(
            "line {} is no longer a task",
            line.number
        )));
    };
    debug_assert!(is_open(status));
    let content_at = line.content_start;
    // Where the done date goes: after the last word, but before an Obsidian
    // block id (`^abc123`) which must stay last, and before trailing spaces.
    let content = line.content;
    let trimmed = content.trim_end();
    let mut insert_rel = trimmed.len();
    if let Some(space) = trimmed.rfind(' ') {
        let last_word = &trimmed[space + 1..];
        if last_word.len() > 1
            && last_word.starts_with('^')
            && last_word[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            insert_rel = trimmed[..space].trim_end().len();
        }
    }
    let insert_at = content_at + insert_rel;
    let done = format!(" ✅ {today}");
    let status_len = status.len_utf8();
    debug_assert_eq!(status_len, 1);
    let mut text = String::with_capacity(original.len() + done.len());
    text.push_str(&original[..status_at]);
    text.push('x');
    text.push_str(&original[status_at + status_len..insert_at]);
    text.push_str(&done);
    text.push_str(&original[insert_at..]);
    // Both open statuses (' ', '/') are one byte, like the 'x' replacing them.
    let line_text = text[content_at..content_at + line.content.len() + done.len()].to_string();
    Ok(Applied {
        text,
        line: line.number,
        line_text,
    })
}

/// Applies `edit` to the note at `path` through `writer`: the edit is
/// computed on the whole current note, must read back with the change, and
/// is redone on the new contents if the note changed before it was written.
pub fn edit_file(writer: &NoteWriter, path: &Path, edit: &Edit) -> Result<Applied, EditError> {
    edit_file_with_hook(writer, path, edit, None)
}

/// [`edit_file`] with `before_write` called after the note was read and the
/// edit computed, before anything is written (on every attempt): tests use
/// it to change the file "concurrently" at the worst moment.
#[doc(hidden)]
pub fn edit_file_with_hook(
    writer: &NoteWriter,
    path: &Path,
    edit: &Edit,
    before_write: Option<&mut dyn FnMut()>,
) -> Result<Applied, EditError> {
    let file_err = |message: String| EditError::File {
        path: path.to_path_buf(),
        message,
    };
    writer.change(
        path,
        &mut |bytes: &[u8]| {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| file_err("not UTF-8 text; rapport only edits UTF-8 files".into()))?;
            let applied = apply(text, edit).map_err(|e| match e {
                EditError::Unreadable { .. } | EditError::Invalid(_) => file_err(e.to_string()),
                other => other,
            })?;
            Ok((applied.text.clone().into_bytes(), applied))
        },
        before_write,
    )
}

/// Reads the edited text back: the edit must show up as exactly one more log
/// entry or follow-up (or one fewer open follow-up for `done`). This guards
/// the user's file against a structure the editor misjudged.
fn verify(old: &super::Person, new_text: &str, edit: &Edit) -> Result<(), String> {
    let new = parse_person(Path::new(""), new_text).map_err(|e| {
        format!(
            "the edit would break the file ({}); nothing written",
            e.message
        )
    })?;
    let ok = match edit {
        Edit::Note { date, .. } => {
            new.log.len() == old.log.len() + 1 && new.log.iter().any(|e| e.date == *date)
        }
        Edit::Ask { .. } | Edit::Owe { .. } => new.follow_ups.len() == old.follow_ups.len() + 1,
        Edit::Done { .. } => new.follow_ups.len() + 1 == old.follow_ups.len(),
        Edit::SnoozeUntil { until } => {
            // Line numbers move when a line is added above; what they say may not.
            let tasks = |p: &super::Person| {
                p.follow_ups
                    .iter()
                    .map(|f| (f.text.clone(), f.kind, f.start, f.due))
                    .collect::<Vec<_>>()
            };
            let log = |p: &super::Person| {
                p.log
                    .iter()
                    .map(|e| (e.date, e.text.clone()))
                    .collect::<Vec<_>>()
            };
            new.snooze_until == Some(*until)
                && tasks(&new) == tasks(old)
                && log(&new) == log(old)
                && new.cadence == old.cadence
                && new.tags == old.tags
                && new.birthday == old.birthday
        }
    } && new.name == old.name
        && new.emails == old.emails;
    if ok {
        Ok(())
    } else {
        Err("the edit would not read back as intended; nothing written (please report this file's layout)".into())
    }
}

/// "Nothing new": adds `- DATE Met at <meeting>` to the Log of every matched
/// person of `occ` (each note once), losslessly, through `writer` (locked,
/// versioned). Returns the notes written. The daemon's "Nothing new" button
/// and `rapport met` both call this.
pub fn log_met(
    writer: &NoteWriter,
    people: &People,
    matcher: &Matcher,
    occ: &Occurrence,
    date: NaiveDate,
) -> anyhow::Result<Vec<PathBuf>> {
    // A title from a feed may hold control characters: the note gets the
    // cleaned title (the note editor refuses them, so `met` failed).
    let text = format!("Met at {}", crate::util::text::one_line(&occ.summary));
    let mut written: Vec<PathBuf> = Vec::new();
    for m in matcher.match_attendees(&occ.attendees_with_organizer()) {
        if let Match::Person(i) = m.matched {
            let path = people.file_of(&people.people[i]);
            if written.contains(&path) {
                continue;
            }
            edit_file(
                writer,
                &path,
                &Edit::Note {
                    date,
                    text: text.clone(),
                },
            )
            .map_err(|e| {
                // Most errors name the note already.
                let shown = path.display().to_string();
                let message = e.to_string();
                if message.starts_with(&shown) {
                    anyhow::anyhow!(message)
                } else {
                    anyhow::anyhow!("{shown}: {message}")
                }
            })?;
            written.push(path);
        }
    }
    Ok(written)
}
