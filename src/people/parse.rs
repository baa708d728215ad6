//! Reading one person file: YAML front matter (via yaml-rust2) and the
//! Markdown body (via the line scanner). Pure: text in, [`Person`] out.

use std::path::Path;

use chrono::NaiveDate;
use yaml_rust2::{Yaml, YamlLoader};

use super::cadence::Cadence;
use super::dates::{ImportantDate, PartialDate};
use super::markdown::{is_follow_up_heading, is_log_heading, scan, LineKind};
use super::{CompletedTask, FollowUp, FollowUpKind, Item, LogEntry, Person, Related, Topic};

/// Why a file could not be read as a person (1-based line in the file).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses a person file. `rel_path` is stored in the result and supplies
/// the name when neither front matter nor a `# ` heading does.
pub fn parse_person(rel_path: &Path, text: &str) -> Result<Person, ParseError> {
    let scanned = scan(text);
    if let Some(line) = scanned.unclosed_front_matter {
        return Err(ParseError {
            line: Some(line),
            message: "front matter starts with `---` but has no closing `---` line".into(),
        });
    }
    let mut person = Person {
        path: rel_path.to_path_buf(),
        name: String::new(),
        emails: Vec::new(),
        aliases: Vec::new(),
        org: None,
        role: None,
        prefers: None,
        pitch: false,
        phones: Vec::new(),
        birthday: None,
        related: Vec::new(),
        summary: None,
        topics: Vec::new(),
        follow_ups: Vec::new(),
        log: Vec::new(),
        completed: Vec::new(),
        tags: Vec::new(),
        cadence: None,
        snooze_until: None,
        dates: Vec::new(),
        warnings: Vec::new(),
    };
    if let Some(range) = scanned.front_matter.clone() {
        let first_line = scanned.lines[range.start].number;
        let yaml: String = scanned.lines[range.clone()]
            .iter()
            .map(|l| format!("{}\n", l.content))
            .collect();
        let lines: Vec<&str> = scanned.lines[range].iter().map(|l| l.content).collect();
        read_front_matter(&mut person, &yaml, &lines, first_line)?;
    }

    let mut h1: Option<String> = None;
    let mut section: Option<&str> = None; // the current `## ` heading
    let mut summary: Vec<&str> = Vec::new();
    for line in &scanned.lines {
        match &line.kind {
            // An empty `# ` (a template not filled in) names nobody; a later one may.
            LineKind::Heading { level: 1, text }
                if h1.is_none() && section.is_none() && !text.is_empty() =>
            {
                h1 = Some(text.to_string());
            }
            LineKind::Heading { level: 2, text } => section = Some(text),
            LineKind::Task {
                status, text: t, ..
            // An empty `- [ ]` is a template placeholder, not a follow-up.
            } if is_open(*status) && !t.is_empty() => {
                person.follow_ups.push(follow_up(t, line.number));
            }
            LineKind::Task {
                status, text: t, ..
            } if !is_open(*status) => {
                if let Some(done) = completed_task(t, line.number) {
                    person.completed.push(done);
                }
            }
            LineKind::Bullet { indent, text: t } => match section {
                None => summary.push(line.content.trim()),
                Some(s) if is_log_heading(s) => {
                    if let Some(entry) = log_entry(t, line.number) {
                        person.log.push(entry);
                    }
                }
                // Plain bullets under Follow-ups are details of tasks.
                Some(s) if is_follow_up_heading(s) => {}
                Some(s) => {
                    if !t.is_empty() {
                        push_item(&mut person.topics, s, t, *indent, line.number);
                    }
                }
            },
            LineKind::Other if section.is_none() => {
                if let Some(text) = summary_text(line.content) {
                    summary.push(text);
                }
            }
            _ => {}
        }
    }
    let summary = summary.join(" ");
    person.summary = (!summary.trim().is_empty()).then(|| summary.trim().to_string());
    // `name:` is trimmed and the heading text too, so empty here covers whitespace-only.
    if person.name.is_empty() {
        person.name = h1.unwrap_or_else(|| {
            let stem = rel_path.file_stem().map(|s| s.to_string_lossy());
            match stem.as_deref().map(str::trim) {
                Some(stem) if !stem.is_empty() => stem.to_string(),
                // ` .md`: the whole path is the best name left. Only an empty path (the
                // editor's syntax check, which needs no name) leaves the name empty.
                _ => rel_path.to_string_lossy().trim().to_string(),
            }
        });
    }
    Ok(person)
}

/// The prose of a summary line: blockquote markers removed; callout headers
/// (`> [!info] Title`), embeds (`![[photo.png]]`), table rows and Obsidian
/// comments (`%% ... %%`) are not prose and are skipped.
fn summary_text(content: &str) -> Option<&str> {
    let mut t = content.trim();
    while let Some(rest) = t.strip_prefix('>') {
        t = rest.trim_start();
    }
    let skip = t.is_empty()
        || t.starts_with("[!")
        || (t.starts_with("![") && (t.ends_with("]]") || t.ends_with(')')))
        || t.starts_with('|')
        || t.starts_with("%%");
    (!skip).then_some(t)
}

/// `[ ]` is open, and so is `[/]` (Obsidian Tasks' "in progress"); `[x]`,
/// `[-]` and every other status character are closed.
pub(crate) fn is_open(status: char) -> bool {
    status == ' ' || status == '/'
}

fn read_front_matter(
    person: &mut Person,
    yaml: &str,
    lines: &[&str],
    first_line: usize,
) -> Result<(), ParseError> {
    check_expansion(yaml, lines, first_line)?;
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| ParseError {
        // An error found at the end of the YAML points at its last line,
        // not at the closing `---`.
        line: Some(
            first_line
                + e.marker()
                    .line()
                    .saturating_sub(1)
                    .min(lines.len().saturating_sub(1)),
        ),
        message: format!("front matter is not valid YAML: {}", e.info()),
    })?;
    let hash = match docs.into_iter().next() {
        None | Some(Yaml::Null) => return Ok(()),
        Some(Yaml::Hash(h)) => h,
        Some(_) => {
            return Err(ParseError {
                line: Some(first_line),
                message: "front matter must be `key: value` properties".into(),
            })
        }
    };
    // yaml-rust2 keeps no positions in its values: find the key's line by text.
    let key_line = |key: &str| {
        lines
            .iter()
            .position(|l| {
                l.strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            })
            .map(|i| first_line + i)
            .or(Some(first_line))
    };
    let wrong = |key: &str, want: &str| ParseError {
        line: key_line(key),
        message: format!("front matter key `{key}` should be {want}"),
    };
    // A value that is there but cannot be read: the reader's own words.
    let unreadable = |key: &str, why: String| ParseError {
        line: key_line(key),
        message: format!("front matter key `{key}`: {why}"),
    };
    for (k, v) in hash.iter() {
        let Some(key) = k.as_str() else { continue };
        match key {
            "name" => {
                person.name = scalar(v)
                    .ok_or_else(|| wrong("name", "text"))?
                    .trim()
                    .to_string()
            }
            "email" | "emails" => {
                for e in list(v).ok_or_else(|| wrong(key, "an address or a list of them"))? {
                    let e = super::matching::normalize_email(&e);
                    if !e.is_empty() && !person.emails.contains(&e) {
                        person.emails.push(e);
                    }
                }
            }
            "aliases" | "alias" => {
                for a in list(v).ok_or_else(|| wrong(key, "a name or a list of names"))? {
                    if !a.trim().is_empty() {
                        person.aliases.push(a.trim().to_string());
                    }
                }
            }
            "org" => person.org = optional(v).ok_or_else(|| wrong("org", "text"))?,
            "role" => person.role = optional(v).ok_or_else(|| wrong("role", "text"))?,
            "prefers" => person.prefers = optional(v).ok_or_else(|| wrong("prefers", "text"))?,
            "phone" | "phones" => {
                for p in list(v).ok_or_else(|| wrong(key, "a number or a list of them"))? {
                    let p = p.trim();
                    if !p.is_empty() && !person.phones.iter().any(|q| q == p) {
                        person.phones.push(p.to_string());
                    }
                }
            }
            "related" => {
                person.related = related(v).ok_or_else(|| {
                    wrong("related", "a list of `{name: ..., relation: ...}` entries")
                })?
            }
            "pitch" => {
                person.pitch = match v {
                    Yaml::Boolean(b) => *b,
                    Yaml::Null => false,
                    Yaml::String(s)
                        if matches!(s.to_lowercase().as_str(), "yes" | "true" | "on") =>
                    {
                        true
                    }
                    Yaml::String(s)
                        if matches!(s.to_lowercase().as_str(), "no" | "false" | "off") =>
                    {
                        false
                    }
                    _ => return Err(wrong("pitch", "true or false")),
                }
            }
            // Tags only choose a default cadence: ones that cannot be read
            // (a nested map) are left alone rather than breaking the note.
            "tags" | "tag" => person.tags = tags(v),
            // The keys for keeping in touch degrade: a value that cannot be
            // read is left out with a warning, and the rest of the note (the
            // person in briefs) stays.
            "cadence" => {
                let read = match v {
                    Yaml::Null => Ok(None),
                    Yaml::Boolean(false) => Ok(Some(Cadence::Never)),
                    _ => scalar(v)
                        .ok_or_else(|| wrong(key, CADENCE_FORMS))
                        .and_then(|text| {
                            Cadence::parse(&text)
                                .map(Some)
                                .map_err(|why| unreadable(key, why))
                        }),
                };
                person.cadence = keep(&mut person.warnings, read).flatten();
            }
            "snooze_until" => {
                let read = optional(v)
                    .ok_or_else(|| wrong(key, "a date"))
                    .and_then(|text| match text {
                        None => Ok(None),
                        Some(text) => iso_date(&text).map(Some).ok_or_else(|| {
                            unreadable(key, format!("`{text}` is not a date; write YYYY-MM-DD"))
                        }),
                    });
                person.snooze_until = keep(&mut person.warnings, read).flatten();
            }
            "birthday" => {
                let read = optional(v)
                    .ok_or_else(|| wrong(key, "a date"))
                    .and_then(|text| match text {
                        None => Ok(None),
                        Some(text) => PartialDate::parse(&text)
                            .map(Some)
                            .map_err(|why| unreadable(key, why)),
                    });
                person.birthday = keep(&mut person.warnings, read).flatten();
            }
            "dates" => {
                let entries = match v {
                    Yaml::Null => Vec::new(),
                    Yaml::Array(items) => items.iter().collect(),
                    Yaml::Hash(_) => vec![v],
                    _ => {
                        keep::<()>(&mut person.warnings, Err(wrong(key, DATES_FORM)));
                        Vec::new()
                    }
                };
                for (i, entry) in entries.into_iter().enumerate() {
                    let text = item_lines(lines, key, i);
                    let line = match &text {
                        Some(r) => first_line + r.start,
                        None => key_line(key).unwrap_or(first_line),
                    };
                    // One bad entry leaves out that entry only.
                    let mut entry = match important_date(entry, line) {
                        Ok(entry) => entry,
                        Err(message) => {
                            person.warnings.push(ParseError {
                                line: Some(line),
                                message: format!(
                                    "front matter key `dates`, entry {}: {message}; the entry \
                                     is ignored until it is fixed",
                                    i + 1
                                ),
                            });
                            continue;
                        }
                    };
                    // `what: exam #private` unquoted: YAML reads the tag as a
                    // comment and drops it, but the user meant it.
                    entry.private |= text
                        .map_or(&lines[..0], |r| &lines[r])
                        .iter()
                        .any(|l| has_tag(l, "#private"));
                    person.dates.push(entry);
                }
            }
            // Everything else (created, cssclasses, ...) belongs to the user
            // or to Obsidian; the file is never rewritten, so it stays.
            _ => {}
        }
    }
    Ok(())
}

/// The value read, or `None` with the problem kept as a warning (the
/// field is then ignored).
fn keep<T>(warnings: &mut Vec<ParseError>, read: Result<T, ParseError>) -> Option<T> {
    match read {
        Ok(v) => Some(v),
        Err(mut e) => {
            e.message.push_str("; the key is ignored until it is fixed");
            warnings.push(e);
            None
        }
    }
}

const CADENCE_FORMS: &str = "a span such as 10d, 3w, 2m (months) or 1y, or `never`";
const DATES_FORM: &str = "a list of entries such as `- {date: --05-02, what: Sam's birthday}`";
const DATE_ENTRY_FORM: &str = "`{date: --05-02, what: Sam's birthday}` (or `date: 2026-12-10` \
     and `what: exam` on their own lines)";

/// `tags: [team, "#client"]`, `tags: team`, `tags: "#team, #client"`: the
/// tags without `#`.
fn tags(v: &Yaml) -> Vec<String> {
    let words: Vec<String> = match v {
        Yaml::Array(items) => items.iter().filter_map(scalar).collect(),
        _ => scalar(v).into_iter().collect(),
    };
    let mut out: Vec<String> = Vec::new();
    for word in words.iter().flat_map(|w| w.split([',', ' ', '\t'])) {
        let tag = word.trim().trim_start_matches('#');
        if !tag.is_empty() && !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    out
}

/// One entry of `dates:`: `{date, what}` with optional `yearly` and `private`.
fn important_date(v: &Yaml, line: usize) -> Result<ImportantDate, String> {
    let Yaml::Hash(h) = v else {
        return Err(format!("should be {DATE_ENTRY_FORM}"));
    };
    let field = |name: &str| h.get(&Yaml::String(name.into()));
    let flag = |name: &str| -> Result<bool, String> {
        match field(name) {
            None | Some(Yaml::Null) => Ok(false),
            Some(Yaml::Boolean(b)) => Ok(*b),
            Some(_) => Err(format!("`{name}` should be true or false")),
        }
    };
    let date_text = field("date")
        .and_then(scalar)
        .ok_or("`date` is missing; write it as YYYY-MM-DD, or --MM-DD for every year")?;
    let date = PartialDate::parse(&date_text)?;
    let what = field("what")
        .and_then(scalar)
        .filter(|w| !w.trim().is_empty())
        .ok_or("`what` is missing; say what the date is (`what: exam`)")?;
    let (what, tagged_private) = take_tag(&what, "#private");
    Ok(ImportantDate {
        date,
        what,
        yearly: flag("yearly")? || date.year.is_none(),
        private: tagged_private || flag("private")?,
        line,
    })
}

/// The lines (indices into `lines`) of the `index`th item of the block list
/// under the top-level `key`; the key's own line for a flow list
/// `key: [...]` or a single mapping.
fn item_lines(lines: &[&str], key: &str, index: usize) -> Option<std::ops::Range<usize>> {
    let at = lines.iter().position(|l| {
        l.strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with(':'))
    })?;
    let mut dash_indent = None;
    let mut seen = 0;
    let mut start = None;
    for (i, l) in lines.iter().enumerate().skip(at + 1) {
        let trimmed = l.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = l.len() - trimmed.len();
        let is_item = trimmed == "-" || trimmed.starts_with("- ");
        if indent == 0 && !is_item {
            // The next key.
            return start.map(|s| s..i);
        }
        if is_item && *dash_indent.get_or_insert(indent) == indent {
            if let Some(s) = start {
                return Some(s..i);
            }
            if seen == index {
                start = Some(i);
            }
            seen += 1;
        }
    }
    start.map(|s| s..lines.len()).or(Some(at..at + 1))
}

/// The most values the front matter may stand for once its aliases are
/// expanded. Real front matter has a few dozen; "billion laughs" (ten
/// aliases of ten aliases of ...) stands for billions in a few hundred bytes.
pub const MAX_FRONT_MATTER_VALUES: usize = 10_000;

/// Refuses front matter whose aliases (`*name`) would expand beyond
/// [`MAX_FRONT_MATTER_VALUES`]. yaml-rust2's loader copies the anchored value
/// for every alias, so 363 bytes took 5.7 GB; this counts instead, from the
/// parser's events, in time linear in the text, before the loader runs.
fn check_expansion(yaml: &str, lines: &[&str], first_line: usize) -> Result<(), ParseError> {
    use yaml_rust2::parser::Parser;
    use yaml_rust2::Event;
    let mut parser = Parser::new_from_str(yaml);
    // Each open collection: values so far, its anchor id (0: none).
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut anchors: std::collections::HashMap<usize, usize> = Default::default();
    let mut values: usize = 0;
    loop {
        // Syntax errors are the loader's to report, with its message.
        let Ok((event, mark)) = parser.next_token() else {
            return Ok(());
        };
        // A value is complete: its size (itself and everything in it) and
        // its anchor; `new` is how many values the loader makes for it now.
        let (size, anchor, new) = match event {
            Event::StreamEnd => return Ok(()),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((1, anchor));
                values = values.saturating_add(1);
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some((size, anchor)) => (size, anchor, 0),
                None => continue,
            },
            Event::Scalar(_, _, anchor, _) => (1, anchor, 1),
            Event::Alias(id) => {
                let size = anchors.get(&id).copied().unwrap_or(1);
                (size, 0, size)
            }
            _ => continue,
        };
        if anchor > 0 {
            anchors.insert(anchor, size);
        }
        if let Some(parent) = open.last_mut() {
            parent.0 = parent.0.saturating_add(size);
        }
        values = values.saturating_add(new);
        if values > MAX_FRONT_MATTER_VALUES {
            let at = mark
                .line()
                .saturating_sub(1)
                .min(lines.len().saturating_sub(1));
            return Err(ParseError {
                line: Some(first_line + at),
                message: format!(
                    "front matter: its YAML aliases (`*name`) stand for more than \
                     {MAX_FRONT_MATTER_VALUES} values, which no note needs; write the values out"
                ),
            });
        }
    }
}

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn optional(v: &Yaml) -> Option<Option<String>> {
    match v {
        Yaml::Null => Some(None),
        _ => scalar(v).map(|s| {
            let s = s.trim().to_string();
            (!s.is_empty()).then_some(s)
        }),
    }
}

fn list(v: &Yaml) -> Option<Vec<String>> {
    match v {
        Yaml::Null => Some(Vec::new()),
        Yaml::Array(items) => items.iter().map(scalar).collect(),
        _ => scalar(v).map(|s| vec![s]),
    }
}

/// `related:` items: `{name: Sam, relation: child}` or just a name.
fn related(v: &Yaml) -> Option<Vec<Related>> {
    let items = match v {
        Yaml::Null => return Some(Vec::new()),
        Yaml::Array(items) => items.as_slice(),
        _ => std::slice::from_ref(v),
    };
    let mut out = Vec::new();
    for item in items {
        let (name, relation) = match item {
            Yaml::Hash(h) => {
                let get = |k: &str| h.get(&Yaml::String(k.into()));
                let name = scalar(get("name")?)?;
                let relation = match get("relation") {
                    None => None,
                    Some(r) => optional(r)?,
                };
                (name, relation)
            }
            other => (scalar(other)?, None),
        };
        let name = name.trim();
        if !name.is_empty() {
            out.push(Related {
                name: name.to_string(),
                relation,
            });
        }
    }
    Some(out)
}

fn push_item(topics: &mut Vec<Topic>, heading: &str, text: &str, indent: usize, line: usize) {
    let (text, private) = take_tag(text, "#private");
    let item = Item {
        text: strip_block_id(&text).to_string(),
        private,
        nested: indent > 0,
        line,
    };
    match topics.iter_mut().find(|t| t.heading == heading) {
        Some(t) => t.items.push(item),
        None => topics.push(Topic {
            heading: heading.to_string(),
            items: vec![item],
        }),
    }
}

/// Whether `text` has the whole `#tag` (so `#privateer` is not `#private`).
pub(crate) fn has_tag(text: &str, tag: &str) -> bool {
    take_tag(text, tag).1
}

/// Removes a `#tag` (whole tag only, so `#privateer` stays) and reports whether it was there.
fn take_tag(text: &str, tag: &str) -> (String, bool) {
    let mut found = false;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(tag) {
        let after = &rest[i + tag.len()..];
        let boundary_before = i == 0 || rest[..i].ends_with(char::is_whitespace);
        let boundary_after = after
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '/')));
        if boundary_before && boundary_after {
            found = true;
            out.push_str(&rest[..i]);
        } else {
            out.push_str(&rest[..i + tag.len()]);
        }
        rest = after;
    }
    out.push_str(rest);
    (collapse_spaces(&out), found)
}

/// Drops an Obsidian block id (`text ^abc-123`) from the end: it is an
/// anchor for links, not something to read.
fn strip_block_id(s: &str) -> &str {
    match s.rsplit_once(' ') {
        Some((before, id))
            if id.len() > 1
                && id.starts_with('^')
                && id[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            before.trim_end()
        }
        _ => s,
    }
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Obsidian Tasks signifiers: emoji followed by a date.
const EMOJI_DATES: &[(&str, DateField)] = &[
    ("🛫", DateField::Start),
    ("⏳", DateField::Scheduled),
    ("⌛", DateField::Scheduled),
    ("📅", DateField::Due),
    ("📆", DateField::Due),
    ("🗓", DateField::Due),
    ("✅", DateField::Done),
    ("❌", DateField::Cancelled),
    ("➕", DateField::Created),
];

/// Dataview inline fields that Obsidian Tasks reads: `[due:: 2026-12-01]`.
const DATAVIEW_DATES: &[(&str, DateField)] = &[
    ("start", DateField::Start),
    ("scheduled", DateField::Scheduled),
    ("due", DateField::Due),
    ("completion", DateField::Done),
    ("cancelled", DateField::Cancelled),
    ("created", DateField::Created),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateField {
    Start,
    Scheduled,
    Due,
    Done,
    Cancelled,
    Created,
}

/// Parses the text of an open task into a follow-up. Kind: a 📅 due date or
/// an `#owe` tag makes it a promise (Owe; it wins when both are present, as a
/// deadline is the more pressing fact); else a 🛫 start date or `#ask` makes
/// it an Ask; else Plain.
pub(crate) fn follow_up(text: &str, line: usize) -> FollowUp {
    let (rest, dates) = task_dates(text);
    let get = |f: DateField| dates.iter().find(|(k, _)| *k == f).map(|(_, d)| *d);
    let (rest, owe_tag) = take_tag(&rest, "#owe");
    let (rest, ask_tag) = take_tag(&rest, "#ask");
    let (start, scheduled, due) = (
        get(DateField::Start),
        get(DateField::Scheduled),
        get(DateField::Due),
    );
    let kind = if due.is_some() || owe_tag {
        FollowUpKind::Owe
    } else if start.is_some() || ask_tag {
        FollowUpKind::Ask
    } else {
        FollowUpKind::Plain
    };
    FollowUp {
        text: strip_block_id(&collapse_spaces(&rest)).to_string(),
        kind,
        start,
        scheduled,
        due,
        line,
    }
}

/// A closed task with a ✅ (or `[completion::]`) date; `None` without one.
pub(crate) fn completed_task(text: &str, line: usize) -> Option<CompletedTask> {
    let (rest, dates) = task_dates(text);
    let done = dates
        .iter()
        .find(|(k, _)| *k == DateField::Done)
        .map(|(_, d)| *d)?;
    Some(CompletedTask {
        text: strip_block_id(&collapse_spaces(&rest)).to_string(),
        done,
        line,
    })
}

/// A task's text without its date signifiers, and the dates they carried.
fn task_dates(text: &str) -> (String, Vec<(DateField, NaiveDate)>) {
    let mut dates: Vec<(DateField, NaiveDate)> = Vec::new();
    let mut rest = text.to_string();
    for (emoji, field) in EMOJI_DATES {
        while let Some((range, date)) = find_emoji_date(&rest, emoji) {
            dates.push((*field, date));
            rest.replace_range(range, " ");
        }
    }
    for (key, field) in DATAVIEW_DATES {
        while let Some((range, date)) = find_dataview_date(&rest, key) {
            dates.push((*field, date));
            rest.replace_range(range, " ");
        }
    }
    (rest, dates)
}

/// Finds `EMOJI [U+FE0F] spaces YYYY-MM-DD`; returns its byte range and the date.
fn find_emoji_date(s: &str, emoji: &str) -> Option<(std::ops::Range<usize>, NaiveDate)> {
    let mut from = 0;
    while let Some(i) = s[from..].find(emoji).map(|i| i + from) {
        let mut j = i + emoji.len();
        if s[j..].starts_with('\u{fe0f}') {
            j += '\u{fe0f}'.len_utf8();
        }
        let after = &s[j..];
        let date_at = j + (after.len() - after.trim_start().len());
        if let Some(date) = s.get(date_at..date_at + 10).and_then(iso_date) {
            return Some((i..date_at + 10, date));
        }
        from = j;
    }
    None
}

/// Finds `[key:: YYYY-MM-DD]` or `(key:: YYYY-MM-DD)`.
fn find_dataview_date(s: &str, key: &str) -> Option<(std::ops::Range<usize>, NaiveDate)> {
    for (open, close) in [('[', ']'), ('(', ')')] {
        let needle = format!("{open}{key}::");
        let mut from = 0;
        while let Some(i) = s[from..].find(&needle).map(|i| i + from) {
            let value_at = i + needle.len();
            if let Some(end) = s[value_at..].find(close).map(|e| e + value_at) {
                if let Some(date) = iso_date(s[value_at..end].trim()) {
                    return Some((i..end + 1, date));
                }
            }
            from = value_at;
        }
    }
    None
}

fn iso_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 || !s.is_char_boundary(10) {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// `2026-11-24 text`, also `[[2026-11-24]] text` (an Obsidian daily-note link)
/// and `2026-11-24: text` / `2026-11-24 - text`.
fn log_entry(text: &str, line: usize) -> Option<LogEntry> {
    let (date_text, rest) = if let Some(r) = text.strip_prefix("[[") {
        let end = r.find("]]")?;
        (&r[..end], &r[end + 2..])
    } else {
        (text.get(..10)?, &text[10..])
    };
    let date = iso_date(date_text)?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t', ':'])) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t', ':']);
    let rest = rest
        .strip_prefix("- ")
        .or_else(|| rest.strip_prefix("— "))
        .or_else(|| rest.strip_prefix("– "))
        .unwrap_or(rest);
    Some(LogEntry {
        date,
        text: rest.trim().to_string(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn follow_up_dates_and_kinds() {
        let f = follow_up("Ask how the club tournament went 🛫 2026-12-06", 3);
        assert_eq!(f.text, "Ask how the club tournament went");
        assert_eq!(
            (f.kind, f.start, f.line),
            (FollowUpKind::Ask, Some(d("2026-12-06")), 3)
        );
        let f = follow_up("Send numbers 📅\u{fe0f} 2026-12-01 ⏳ 2026-11-30 #work", 1);
        assert_eq!(f.text, "Send numbers #work");
        assert_eq!(f.kind, FollowUpKind::Owe);
        assert_eq!(
            (f.due, f.scheduled),
            (Some(d("2026-12-01")), Some(d("2026-11-30")))
        );
        let f = follow_up("Both 🛫 2026-12-06 [due:: 2026-12-09]", 1);
        assert_eq!((f.kind, f.text.as_str()), (FollowUpKind::Owe, "Both"));
        assert_eq!(f.start, Some(d("2026-12-06")));
        let f = follow_up("(start:: 2026-12-06) dataview start", 1);
        assert_eq!(
            (f.kind, f.text.as_str()),
            (FollowUpKind::Ask, "dataview start")
        );
        let f = follow_up("Lend the book #owe", 1);
        assert_eq!(
            (f.kind, f.text.as_str()),
            (FollowUpKind::Owe, "Lend the book")
        );
        let f = follow_up("Just a thing 📅 not-a-date", 1);
        assert_eq!(
            (f.kind, f.text.as_str()),
            (FollowUpKind::Plain, "Just a thing 📅 not-a-date")
        );
    }

    #[test]
    fn log_entries() {
        let e = log_entry("2026-11-24 Marketing sync: tournament", 9).unwrap();
        assert_eq!(
            (e.date, e.text.as_str()),
            (d("2026-11-24"), "Marketing sync: tournament")
        );
        let e = log_entry("[[2026-11-20]] - lunch", 1).unwrap();
        assert_eq!((e.date, e.text.as_str()), (d("2026-11-20"), "lunch"));
        assert!(log_entry("2026-11-240 x", 1).is_none());
        assert!(log_entry("met last week", 1).is_none());
        assert!(log_entry("2026-1€-01", 1).is_none());
    }

    #[test]
    fn private_tag_is_whole_word() {
        assert_eq!(
            take_tag("Lost her father #private", "#private"),
            ("Lost her father".into(), true)
        );
        assert_eq!(
            take_tag("#privateer stuff", "#private"),
            ("#privateer stuff".into(), false)
        );
    }

    #[test]
    fn between_meetings_front_matter() {
        let text = "---\nname: Yvonne\ntags: [team, \"#client\"]\ncadence: 3w\n\
                    snooze_until: 2026-12-04\nbirthday: --03-14\ndates:\n\
                    \x20 - {date: --05-02, what: \"Sam's birthday\"}\n\
                    \x20 - date: 2026-12-10\n    what: exam #private\n\
                    \x20 - {date: 2016-06-20, what: wedding, yearly: true}\n---\n# Yvonne\n";
        let p = parse_person(Path::new("y.md"), text).unwrap();
        assert_eq!(p.tags, ["team", "client"]);
        assert_eq!(
            p.cadence,
            Some(super::super::cadence::Cadence::Every(
                super::super::period::Period::Weeks(3)
            ))
        );
        assert_eq!(p.snooze_until, Some(d("2026-12-04")));
        assert_eq!(p.birthday.unwrap().to_string(), "--03-14");
        let dates: Vec<(String, &str, bool, bool, usize)> = p
            .dates
            .iter()
            .map(|e| {
                (
                    e.date.to_string(),
                    e.what.as_str(),
                    e.yearly,
                    e.private,
                    e.line,
                )
            })
            .collect();
        assert_eq!(
            dates,
            [
                ("--05-02".to_string(), "Sam's birthday", true, false, 8),
                ("2026-12-10".to_string(), "exam", false, true, 9),
                ("2016-06-20".to_string(), "wedding", true, false, 11),
            ]
        );
        // A single entry without a list, and an empty key, read too.
        let p = parse_person(
            Path::new("y.md"),
            "---\ndates: {date: --01-02, what: x}\nbirthday:\n---\n",
        )
        .unwrap();
        assert_eq!((p.dates.len(), p.birthday), (1, None));
    }

    /// Broken dates are broken notes, with the line of the key or the entry.
    #[test]
    fn malformed_dates_name_their_line() {
        let cases: &[(&str, usize, &str)] = &[
            (
                "birthday: 14-03-1985\n",
                3,
                "`birthday`: `14-03-1985` is not a date",
            ),
            (
                "birthday: 1985-02-29\n",
                3,
                "`birthday`: `1985-02-29` is not a date",
            ),
            ("birthday: --02-30\n", 3, "not a day of the year"),
            ("birthday: [1985-03-14]\n", 3, "`birthday` should be a date"),
            (
                "dates:\n  - {date: --05-02, what: ok}\n  - {date: 2026-13-01, what: exam}\n",
                5,
                "entry 2: `2026-13-01` is not a date",
            ),
            (
                "dates:\n- date: --05-02\n  what: ok\n- what: exam\n",
                6,
                "entry 2: `date` is missing",
            ),
            (
                "dates:\n  - {date: --05-02}\n",
                4,
                "entry 1: `what` is missing",
            ),
            (
                "dates: [{date: --05-02, what: a, yearly: maybe}]\n",
                3,
                "`yearly` should be true or false",
            ),
            (
                "dates:\n  - 2026-12-10 exam\n",
                4,
                "entry 1: should be `{date:",
            ),
            ("dates: exam\n", 3, "`dates` should be a list of entries"),
        ];
        // The person stays (in briefs, matched by address); the value is
        // ignored with a warning that names the line.
        for (front, line, message) in cases {
            let text = format!("---\nname: Ann\nemails: [ann@x.example]\n{front}---\n");
            let p = parse_person(Path::new("a.md"), &text).unwrap();
            assert_eq!(p.name, "Ann");
            assert_eq!(p.emails, ["ann@x.example"]);
            assert_eq!(p.birthday, None, "{front}");
            let [e] = &p.warnings[..] else {
                panic!("{front}: {:?}", p.warnings)
            };
            assert_eq!(e.line, Some(*line + 1), "{front}: {e:?}");
            assert!(e.message.contains(message), "{front}: {e:?}");
            assert!(e.message.contains("ignored"), "{front}: {e:?}");
        }
        // A bad entry of `dates:` leaves out that entry only.
        let p = parse_person(
            Path::new("a.md"),
            "---\nname: Ann\ndates:\n  - {date: --05-02, what: ok}\n  - {date: 2026-13-01, what: exam}\n---\n",
        )
        .unwrap();
        assert_eq!(p.dates.len(), 1);
        assert_eq!(p.dates[0].what, "ok");
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn completed_tasks_keep_their_done_date() {
        let text = "# Ann\n- [x] Sent the deck ✅ 2026-11-10 ^abc\n- [X] Booked [completion:: 2026-11-12]\n\
                    - [x] No date\n- [ ] Open ✅ 2026-11-13\n- [-] Dropped ❌ 2026-11-14\n";
        let p = parse_person(Path::new("ann.md"), text).unwrap();
        let done: Vec<(&str, NaiveDate, usize)> = p
            .completed
            .iter()
            .map(|c| (c.text.as_str(), c.done, c.line))
            .collect();
        assert_eq!(
            done,
            [
                ("Sent the deck", d("2026-11-10"), 2),
                ("Booked", d("2026-11-12"), 3),
            ]
        );
        // The open task stays a follow-up, not a completion.
        assert_eq!(p.follow_ups.len(), 1);
    }

    #[test]
    fn address_book_keys() {
        let text = "---\nname: Ana\nphone: \"+1 555 010 2233\"\nphones: [\"0612\", \"+1 555 010 2233\"]\n\
                    birthday: --03-14\nrelated:\n  - {name: Sam Lima, relation: child}\n  - Jo\n---\n";
        let p = parse_person(Path::new("ana.md"), text).unwrap();
        assert_eq!(p.phones, ["+1 555 010 2233", "0612"]);
        assert_eq!(
            p.birthday.map(|b| b.to_string()).as_deref(),
            Some("--03-14")
        );
        let related: Vec<(&str, Option<&str>)> = p
            .related
            .iter()
            .map(|r| (r.name.as_str(), r.relation.as_deref()))
            .collect();
        assert_eq!(related, [("Sam Lima", Some("child")), ("Jo", None)]);
        let p = parse_person(
            Path::new("b.md"),
            "---\nbirthday: 1985-03-14\nrelated:\n---\n",
        )
        .unwrap();
        assert_eq!(p.birthday.map(|b| b.year()), Some(Some(1985)));
        assert!(p.related.is_empty());
        for bad in ["birthday: March 14", "birthday: 1985-02-30"] {
            let p = parse_person(Path::new("x.md"), &format!("---\n{bad}\n---\n")).unwrap();
            assert_eq!(p.birthday, None);
            assert!(p.warnings[0].message.contains("`birthday`"), "{bad}");
            assert_eq!(p.warnings[0].line, Some(2), "{bad}");
        }
        for (bad, key) in [
            ("related: [{relation: child}]", "related"),
            ("phone: {a: 1}", "phone"),
        ] {
            let err = parse_person(Path::new("x.md"), &format!("---\n{bad}\n---\n")).unwrap_err();
            assert!(err.message.contains(&format!("`{key}`")), "{bad}: {err:?}");
            assert_eq!(err.line, Some(2), "{bad}");
        }
    }

    /// "Billion laughs": nine levels of nine aliases, 363 bytes that stand
    /// for 387 million values. Refused at once with the line where the
    /// count goes over; a note with an ordinary alias still reads.
    #[test]
    fn yaml_aliases_are_counted_not_expanded() {
        let mut bomb =
            String::from("---\nname: Lol\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            let refs = vec![format!("*{prev}"); 9].join(",");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        bomb.push_str("---\n# Lol\n");
        assert!(bomb.len() < 400, "{}", bomb.len());
        let start = std::time::Instant::now();
        let err = parse_person(Path::new("lol.md"), &bomb).unwrap_err();
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        assert!(err.message.contains("aliases"), "{err:?}");
        // 2 + 11 + 92 + 822 + 7383 values up to `d`; `e` goes over.
        assert_eq!(err.line, Some(7), "{err:?}");

        let fine = "---\nname: Ann\nemails: &mail [ann@example.org]\nwork: *mail\n---\n";
        let p = parse_person(Path::new("ann.md"), fine).unwrap();
        assert_eq!(p.emails, vec!["ann@example.org"]);
    }
}
