//! Filling the missing front-matter keys of a note, losslessly: a pure
//! `old text -> new text` where only the added keys and list items are new
//! bytes. Comments, key order, quoting, CRLF, a BOM, a missing final
//! newline and the whole body stay as they were.
//!
//! A key counts as missing when it is absent, or present with nothing after
//! its colon (`org:`); `org: ~` or `org: ""` were written on purpose and
//! stay. Emails are the one list that grows: new addresses go at the end of
//! the note's `emails:` (or `email:`) list in the form it already has (block
//! items, a one-line `[a, b]`, or one address made `[a, b]`).
//!
//! The result is read back before it is returned: the note must parse,
//! show exactly the intended values, keep every other front-matter value
//! and the whole body; anything else is refused, never written.

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use super::Contact;
use crate::people::markdown::{scan, Line};
use crate::people::store::{flow_scalar, yaml_scalar, FmValue};
use crate::people::{parse_person, Person};

/// The filled note and the keys that changed (empty: `text` is the
/// original, nothing to write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
    pub fields: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    #[error("{}{message}; fix the note first", .line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Unreadable {
        line: Option<usize>,
        message: String,
    },
    /// A front-matter shape this filler does not edit.
    #[error("{0}")]
    Unsupported(String),
    /// The edit would not read back as intended (a filler bug or a YAML
    /// shape it misjudged); nothing is written.
    #[error("the filled note would not read back as intended ({0}); nothing written, please report this note's front matter")]
    NotReadBack(String),
}

/// Adds to `original` what it is missing from `add` (see the module
/// documentation); empty fields of `add` add nothing.
pub fn fill(original: &str, add: &Contact) -> Result<Filled, FillError> {
    let old = parse_person(Path::new(""), original).map_err(|e| FillError::Unreadable {
        line: e.line,
        message: e.message,
    })?;
    let fm = FrontMatter::read(original)?;
    let mut edits = Edits::default();
    let mut fields: Vec<&'static str> = Vec::new();
    let mut want = old.clone();

    if let Some(name) = add.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        if fm.set(&mut edits, &["name"], "name", &FmValue::text(name)) {
            fields.push("name");
            want.name = name.to_string();
        }
    }
    let new_emails: Vec<String> =
        add.emails
            .iter()
            .filter(|e| !old.emails.contains(e))
            .fold(Vec::new(), |mut v, e| {
                if !v.contains(e) {
                    v.push(e.clone());
                }
                v
            });
    if !new_emails.is_empty() {
        fm.add_emails(&mut edits, &new_emails)?;
        fields.push("emails");
        want.emails.extend(new_emails);
    }
    if let Some(value) = FmValue::phones(&add.phones) {
        if fm.set(&mut edits, &["phone", "phones"], "phone", &value) {
            fields.push("phone");
            want.phones = add.phones.clone();
        }
    }
    for (key, value, slot) in [
        ("org", &add.org, &mut want.org),
        ("role", &add.role, &mut want.role),
    ] {
        if let Some(v) = value.as_deref() {
            if fm.set(&mut edits, &[key], key, &FmValue::text(v)) {
                fields.push(key);
                *slot = Some(v.to_string());
            }
        }
    }
    if let Some(birthday) = add.birthday {
        if fm.set(
            &mut edits,
            &["birthday"],
            "birthday",
            &FmValue::birthday(birthday),
        ) {
            fields.push("birthday");
            want.birthday = Some(birthday);
        }
    }
    if let Some(value) = FmValue::related(&add.related) {
        if fm.set(&mut edits, &["related"], "related", &value) {
            fields.push("related");
            want.related = add.related.clone();
        }
    }
    if fields.is_empty() {
        return Ok(Filled {
            text: original.to_string(),
            fields,
        });
    }
    let text = edits.apply(original, &fm);
    verify(original, &text, &want, &fields).map_err(FillError::NotReadBack)?;
    Ok(Filled { text, fields })
}

/// Insertions into the original text: (byte offset, text), applied in
/// offset order; equal offsets keep the order they were added in.
#[derive(Debug, Default)]
struct Edits {
    at: Vec<(usize, String)>,
    /// Whole `key: value` entries for the end of the front matter.
    appended: String,
}

impl Edits {
    fn apply(mut self, original: &str, fm: &FrontMatter<'_>) -> String {
        if !self.appended.is_empty() {
            let block = match fm.closer_at {
                Some(_) => std::mem::take(&mut self.appended),
                None => format!("---{nl}{}---{nl}", self.appended, nl = fm.newline),
            };
            self.at.push((fm.append_at, block));
        }
        self.at.sort_by_key(|(offset, _)| *offset);
        let mut out = String::with_capacity(original.len() + 256);
        let mut from = 0;
        for (offset, insert) in &self.at {
            out.push_str(&original[from..*offset]);
            out.push_str(insert);
            from = *offset;
        }
        out.push_str(&original[from..]);
        out
    }
}

/// The front matter as lines of the original text.
struct FrontMatter<'a> {
    /// The YAML lines (between the delimiters).
    lines: Vec<Line<'a>>,
    /// The loaded YAML mapping (empty when there is none).
    hash: yaml_rust2::yaml::Hash,
    /// The indentation of top-level keys (normally none).
    indent: String,
    newline: &'static str,
    /// Where new entries go: the start of the closing `---`, or (no front
    /// matter) the start of the file after a BOM.
    append_at: usize,
    closer_at: Option<usize>,
}

/// How a key stands in the front matter.
enum Slot {
    Absent,
    /// `key:` with nothing after the colon: (line index, byte offset just
    /// after the colon).
    Empty(usize, usize),
    Present,
}

impl<'a> FrontMatter<'a> {
    fn read(original: &'a str) -> Result<FrontMatter<'a>, FillError> {
        let s = scan(original);
        let Some(range) = s.front_matter.clone() else {
            let after_bom = if original.starts_with('\u{feff}') {
                3
            } else {
                0
            };
            return Ok(FrontMatter {
                lines: Vec::new(),
                hash: Default::default(),
                indent: String::new(),
                newline: s.newline,
                append_at: after_bom,
                closer_at: None,
            });
        };
        let closer = s.lines[range.end].content_start;
        let lines: Vec<Line<'a>> = s.lines[range].to_vec();
        let yaml: String = lines.iter().map(|l| format!("{}\n", l.content)).collect();
        let hash = match YamlLoader::load_from_str(&yaml).map(|d| d.into_iter().next()) {
            Ok(Some(Yaml::Hash(h))) => h,
            Ok(None | Some(Yaml::Null)) => Default::default(),
            _ => {
                return Err(FillError::Unreadable {
                    line: None,
                    message: "front matter is not `key: value` properties".into(),
                })
            }
        };
        let indent = lines
            .iter()
            .map(|l| l.content)
            .find(|c| !c.trim().is_empty() && !c.trim_start().starts_with('#'))
            .map(|c| c[..c.len() - c.trim_start().len()].to_string())
            .unwrap_or_default();
        Ok(FrontMatter {
            lines,
            hash,
            indent,
            newline: s.newline,
            append_at: closer,
            closer_at: Some(closer),
        })
    }

    /// The line index of top-level `key:` (plain or quoted), and the byte
    /// offset in that line's content just after the colon.
    fn key_line(&self, key: &str) -> Option<(usize, usize)> {
        self.lines.iter().enumerate().find_map(|(i, l)| {
            let rest = l.content.strip_prefix(self.indent.as_str())?;
            let after_key = [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .find_map(|k| rest.strip_prefix(k.as_str()))?;
            let after_space = after_key.trim_start_matches([' ', '\t']);
            let after_colon = after_space.strip_prefix(':')?;
            if !(after_colon.is_empty() || after_colon.starts_with([' ', '\t'])) {
                return None;
            }
            Some((i, l.content.len() - after_colon.len()))
        })
    }

    fn slot(&self, keys: &[&str]) -> Slot {
        for key in keys {
            let Some(value) = self.hash.get(&Yaml::String(key.to_string())) else {
                continue;
            };
            if !matches!(value, Yaml::Null) {
                return Slot::Present;
            }
            return match self.key_line(key) {
                Some((i, colon))
                    if strip_comment(&self.lines[i].content[colon..])
                        .trim()
                        .is_empty() =>
                {
                    Slot::Empty(i, self.lines[i].content_start + colon)
                }
                _ => Slot::Present,
            };
        }
        Slot::Absent
    }

    /// Writes `value` under `new_key` if none of `keys` has a value yet;
    /// whether it did.
    fn set(&self, edits: &mut Edits, keys: &[&str], new_key: &str, value: &FmValue) -> bool {
        match self.slot(keys) {
            Slot::Present => false,
            Slot::Absent => {
                edits
                    .appended
                    .push_str(&value.entry(new_key, &self.indent, self.newline));
                true
            }
            Slot::Empty(line, after_colon) => {
                match value {
                    FmValue::Scalar(v) => edits.at.push((after_colon, format!(" {v}"))),
                    FmValue::Items(items) => {
                        let block: String = items
                            .iter()
                            .map(|item| format!("{}  - {item}{}", self.indent, self.newline))
                            .collect();
                        edits.at.push((self.lines[line].end, block));
                    }
                }
                true
            }
        }
    }

    /// Adds addresses to the `emails:` list, else the `email:` one, else a
    /// new `emails:` list.
    fn add_emails(&self, edits: &mut Edits, new: &[String]) -> Result<(), FillError> {
        let key = ["emails", "email"]
            .into_iter()
            .find(|k| self.hash.contains_key(&Yaml::String(k.to_string())));
        let Some(key) = key else {
            if let Some(items) = FmValue::list(new) {
                edits
                    .appended
                    .push_str(&items.entry("emails", &self.indent, self.newline));
            }
            return Ok(());
        };
        let unsupported = |what: &str| {
            FillError::Unsupported(format!(
                "its `{key}:` {what}, which rapport does not extend; add {} to it by hand",
                new.join(", ")
            ))
        };
        let Some((line, colon)) = self.key_line(key) else {
            return Err(unsupported("key is written in a form rapport cannot find"));
        };
        let l = &self.lines[line];
        let after = &l.content[colon..];
        let value = strip_comment(after).trim_end();
        let value_at = colon + (value.len() - value.trim_start().len());
        let value = value.trim_start();
        let is_null = matches!(self.hash.get(&Yaml::String(key.into())), Some(Yaml::Null));
        if value.is_empty() {
            // A block list below the key (or nothing yet).
            let (last, prefix) = self.block_items(line);
            let prefix = prefix.unwrap_or_else(|| format!("{}  - ", self.indent));
            let block: String = new
                .iter()
                .map(|e| format!("{prefix}{}{}", yaml_scalar(e), self.newline))
                .collect();
            edits.at.push((self.lines[last].end, block));
        } else if value.starts_with('[') {
            let Some(close) = closing_bracket(value) else {
                return Err(unsupported("list spans several lines"));
            };
            let inside = &value[1..close];
            let items: Vec<String> = new.iter().map(|e| flow_scalar(e)).collect();
            let at = l.content_start + value_at + 1 + inside.trim_end().len();
            let insert = if inside.trim().is_empty() {
                items.join(", ")
            } else {
                format!(", {}", items.join(", "))
            };
            edits.at.push((at, insert));
        } else if is_null || value.starts_with(['|', '>', '&', '*', '!', '{']) {
            return Err(unsupported(&format!(
                "value `{value}` is not a list of addresses"
            )));
        } else {
            // One address: made a one-line list around it.
            let start = l.content_start + value_at;
            edits.at.push((start, "[".into()));
            let items: Vec<String> = new.iter().map(|e| flow_scalar(e)).collect();
            edits
                .at
                .push((start + value.len(), format!(", {}]", items.join(", "))));
        }
        Ok(())
    }

    /// The last line of the block list under the key at `line` (the key
    /// line itself when there are no items) and the `  - ` prefix of its
    /// last item.
    fn block_items(&self, line: usize) -> (usize, Option<String>) {
        let (mut last, mut prefix) = (line, None);
        for (i, l) in self.lines.iter().enumerate().skip(line + 1) {
            let c = l.content;
            let t = c.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let indent = &c[..c.len() - t.len()];
            let item = t == "-" || t.starts_with("- ");
            if indent.len() > self.indent.len() || (indent == self.indent && item) {
                last = i;
                if item {
                    prefix = Some(format!("{indent}- "));
                }
            } else {
                break;
            }
        }
        (last, prefix)
    }
}

/// The text before a YAML comment (` #` outside quotes).
fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => return &s[..i],
            None => {}
        }
        previous = c;
    }
    s
}

/// The index of the `]` closing the `[` at the start of `s`, outside quotes
/// and nested brackets.
fn closing_bracket(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return (c == ']').then_some(i);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// The filled text must read back as `want`, keep every front-matter key
/// it did not fill, and keep the body byte for byte.
fn verify(original: &str, text: &str, want: &Person, fields: &[&str]) -> Result<(), String> {
    let new = parse_person(Path::new(""), text).map_err(|e| e.message)?;
    if without_lines(new) != without_lines(want.clone()) {
        return Err("the note's values differ".into());
    }
    let others = |t: &str| -> Result<Vec<(Yaml, Yaml)>, String> {
        let s = scan(t);
        let yaml: String = match s.front_matter {
            Some(r) => s.lines[r]
                .iter()
                .map(|l| format!("{}\n", l.content))
                .collect(),
            None => String::new(),
        };
        let doc = YamlLoader::load_from_str(&yaml).map_err(|e| e.to_string())?;
        let filled = |k: &Yaml| {
            k.as_str().is_some_and(|k| {
                fields.contains(&k)
                    || (fields.contains(&"emails") && k == "email")
                    || (fields.contains(&"phone") && k == "phones")
            })
        };
        Ok(match doc.into_iter().next() {
            Some(Yaml::Hash(h)) => h.into_iter().filter(|(k, _)| !filled(k)).collect(),
            _ => Vec::new(),
        })
    };
    if others(original)? != others(text)? {
        return Err("another front-matter value would change".into());
    }
    let body = |t: &str| {
        let s = scan(t);
        let start = match s.front_matter {
            Some(r) => s.lines[r.end].end,
            None => 0,
        };
        t[start..].trim_start_matches('\u{feff}').to_string()
    };
    if body(original) != body(text) {
        return Err("the body would change".into());
    }
    Ok(())
}

/// A person without the line numbers (which move when front matter grows).
fn without_lines(mut p: Person) -> Person {
    p.topics
        .iter_mut()
        .flat_map(|t| t.items.iter_mut())
        .for_each(|i| i.line = 0);
    p.follow_ups.iter_mut().for_each(|f| f.line = 0);
    p.log.iter_mut().for_each(|e| e.line = 0);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::{PartialDate, Related};

    fn adds(emails: &[&str]) -> Contact {
        Contact {
            name: Some("Ana Lima".into()),
            emails: emails.iter().map(|e| e.to_string()).collect(),
            phones: vec!["+1 555 010 2233".into()],
            org: Some("Acme, Inc.".into()),
            role: Some("Staff Engineer".into()),
            birthday: PartialDate::parse("--03-14").ok(),
            related: vec![Related {
                name: "Sam Lima".into(),
                relation: Some("child".into()),
            }],
        }
    }

    fn only_emails(emails: &[&str]) -> Contact {
        Contact {
            emails: emails.iter().map(|e| e.to_string()).collect(),
            ..Contact::default()
        }
    }

    /// (original, additions, expected text, expected fields)
    #[test]
    fn table() {
        let body = "\n# Ana\n\n## Log\n- 2026-11-01 met\n";
        let cases: Vec<(String, Contact, String, Vec<&str>)> = vec![
            // Block list grows at its end; a missing key goes last; the
            // comment and the key order stay.
            (
                format!("---\nname: Ana Lima # the name\nemails:\n  - ana@acme.example\ntags: [x]\n---{body}"),
                only_emails(&["ana@acme.example", "ana@home.example"]),
                format!("---\nname: Ana Lima # the name\nemails:\n  - ana@acme.example\n  - ana@home.example\ntags: [x]\n---{body}"),
                vec!["emails"],
            ),
            // Items written at the key's own indentation keep that form.
            (
                "---\nemails:\n- a@x.example\n# end\n---\n".into(),
                only_emails(&["b@x.example"]),
                "---\nemails:\n- a@x.example\n- b@x.example\n# end\n---\n".into(),
                vec!["emails"],
            ),
            // A one-line list, with a comment after it.
            (
                "---\nemails: [a@x.example, \"b@x.example\"] # work\n---\n".into(),
                only_emails(&["c@x.example"]),
                "---\nemails: [a@x.example, \"b@x.example\", c@x.example] # work\n---\n".into(),
                vec!["emails"],
            ),
            (
                "---\nemails: [ ]\n---\n".into(),
                only_emails(&["c@x.example"]),
                "---\nemails: [c@x.example ]\n---\n".into(),
                vec!["emails"],
            ),
            // One address becomes a one-line list around it.
            (
                "---\nemail: A@X.example\n---\n".into(),
                only_emails(&["a@x.example", "b@x.example"]),
                "---\nemail: [A@X.example, b@x.example]\n---\n".into(),
                vec!["emails"],
            ),
            // An empty `emails:` takes block items.
            (
                "---\nemails:\nname: A\n---\n".into(),
                only_emails(&["b@x.example"]),
                "---\nemails:\n  - b@x.example\nname: A\n---\n".into(),
                vec!["emails"],
            ),
            // No front matter: one is added, the body is untouched.
            (
                "# Ana\n".into(),
                only_emails(&["a@x.example"]),
                "---\nemails:\n  - a@x.example\n---\n# Ana\n".into(),
                vec!["emails"],
            ),
            // CRLF, a BOM and no final newline (the closer is the last line).
            (
                "\u{feff}---\r\nname: Ana Lima\r\n---".into(),
                adds(&["a@x.example"]),
                "\u{feff}---\r\nname: Ana Lima\r\nemails:\r\n  - a@x.example\r\nphone: +1 555 010 2233\r\norg: Acme, Inc.\r\nrole: Staff Engineer\r\nbirthday: --03-14\r\nrelated:\r\n  - {name: Sam Lima, relation: child}\r\n---".into(),
                vec!["emails", "phone", "org", "role", "birthday", "related"],
            ),
            // A BOM without front matter stays first.
            (
                "\u{feff}Notes\r\n".into(),
                Contact {
                    org: Some("Acme".into()),
                    ..Contact::default()
                },
                "\u{feff}---\r\norg: Acme\r\n---\r\nNotes\r\n".into(),
                vec!["org"],
            ),
            // `org:` with nothing is filled in place; `role: ~` was written
            // on purpose and stays; present values are never replaced.
            (
                "---\nname: Ana\norg:   # fill me\nrole: ~\nbirthday: 1985-03-14\nphones: [\"1\"]\nrelated:\n---\n".into(),
                adds(&[]),
                "---\nname: Ana\norg: Acme, Inc.   # fill me\nrole: ~\nbirthday: 1985-03-14\nphones: [\"1\"]\nrelated:\n  - {name: Sam Lima, relation: child}\n---\n".into(),
                vec!["org", "related"],
            ),
            // Empty front matter.
            (
                "---\n---\nBody".into(),
                Contact {
                    name: Some("Ana".into()),
                    ..Contact::default()
                },
                "---\nname: Ana\n---\nBody".into(),
                vec!["name"],
            ),
        ];
        for (original, add, want, fields) in cases {
            let got = fill(&original, &add).unwrap_or_else(|e| panic!("{original:?}: {e}"));
            assert_eq!(got.text, want, "{original:?}");
            assert_eq!(got.fields, fields, "{original:?}");
            // Filling again adds nothing: the same text, no fields.
            let again = fill(&got.text, &add).unwrap();
            assert_eq!(
                (again.text.as_str(), again.fields.len()),
                (want.as_str(), 0)
            );
        }
    }

    #[test]
    fn shapes_it_does_not_edit_are_refused_not_damaged() {
        for (original, what) in [
            (
                "---\nemails: [a@x.example,\n  b@x.example]\n---\n",
                "several lines",
            ),
            ("---\nemails: ~\n---\n", "not a list"),
            ("---\nemails: &m a@x.example\n---\n", "not a list"),
        ] {
            let err = fill(original, &only_emails(&["c@x.example"])).unwrap_err();
            assert!(
                matches!(&err, FillError::Unsupported(m) if m.contains(what) && m.contains("c@x.example")),
                "{original:?}: {err}"
            );
        }
        let err = fill("---\nname: [\n---\n", &only_emails(&["c@x.example"])).unwrap_err();
        assert!(matches!(err, FillError::Unreadable { .. }), "{err}");
    }

    #[test]
    fn nothing_to_add_returns_the_same_text() {
        let original = "---\r\nname: Ana Lima\r\nemails: [a@x.example]\r\n---\r\nbody";
        let got = fill(original, &only_emails(&["a@x.example"])).unwrap();
        assert_eq!((got.text.as_str(), got.fields.len()), (original, 0));
    }

    #[test]
    fn values_that_need_quotes_read_back() {
        let add = Contact {
            name: Some("O'Brien, Pat: \"PJ\" #1".into()),
            org: Some("yes".into()),
            role: Some("- [lead]".into()),
            related: vec![Related {
                name: "Sam, Jr. {2}".into(),
                relation: Some("child".into()),
            }],
            phones: vec!["0612345678".into(), "+31 6 1234".into()],
            ..Contact::default()
        };
        let got = fill("---\ntags: [a]\n---\n", &add).unwrap();
        let p = parse_person(Path::new(""), &got.text).unwrap();
        assert_eq!(p.name, "O'Brien, Pat: \"PJ\" #1");
        assert_eq!(p.org.as_deref(), Some("yes"));
        assert_eq!(p.role.as_deref(), Some("- [lead]"));
        assert_eq!(p.related[0].name, "Sam, Jr. {2}");
        assert_eq!(p.phones, ["0612345678", "+31 6 1234"]);
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        /// Whether `small` is `big` with bytes only taken away (the edit
        /// only inserted).
        fn is_subsequence(small: &str, big: &str) -> bool {
            let mut it = big.bytes();
            small.bytes().all(|b| it.any(|c| c == b))
        }

        fn front_matter() -> impl Strategy<Value = (String, Vec<String>)> {
            let emails = prop_oneof![
                Just((String::new(), vec![])),
                Just((
                    "emails:\n  - a@x.example\n".to_string(),
                    vec!["a@x.example".to_string()]
                )),
                Just((
                    "emails:\n- a@x.example\n- b@x.example\n".into(),
                    vec!["a@x.example".into(), "b@x.example".into()]
                )),
                Just(("emails: [a@x.example]\n".into(), vec!["a@x.example".into()])),
                Just((
                    "email: a@x.example # home\n".into(),
                    vec!["a@x.example".into()]
                )),
                Just(("emails:\n".into(), vec![])),
            ];
            let one = |options: &'static [&'static str]| {
                proptest::sample::select(options).prop_map(str::to_string)
            };
            let others = (
                one(&["", "name: Ana Lima\n"]),
                one(&["", "org: Acme\n", "org:\n"]),
                one(&["", "# a comment\n"]),
                one(&["", "tags: [friend, \"#x\"]\n"]),
                one(&["", "aliases:\n  - Ani\n"]),
                one(&["", "birthday: --03-14\n"]),
                one(&["", "related:\n  - {name: Sam}\n"]),
                one(&["", "\n"]),
            );
            (emails, others)
                .prop_flat_map(|((e, list), (a, b, c, d, f, g, h, i))| {
                    (
                        Just(vec![e, a, b, c, d, f, g, h, i]).prop_shuffle(),
                        Just(list),
                    )
                })
                .prop_map(|(entries, list)| (entries.concat(), list))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn fill_only_inserts_and_reads_back(
                (yaml, had) in front_matter(),
                has_front_matter in any::<bool>(),
                crlf in any::<bool>(),
                bom in any::<bool>(),
                final_newline in any::<bool>(),
                new_emails in proptest::collection::vec("[a-c]@[xy]\\.example", 0..3),
                with_name in any::<bool>(),
                with_details in any::<bool>(),
            ) {
                let mut text = String::new();
                if has_front_matter {
                    text.push_str(&format!("---\n{yaml}---\n"));
                }
                text.push_str("# Ana\n\nSummary text.\n\n## Log\n- 2026-11-01 met");
                if final_newline {
                    text.push('\n');
                }
                if crlf {
                    text = text.replace('\n', "\r\n");
                }
                if bom {
                    text.insert(0, '\u{feff}');
                }
                let add = Contact {
                    name: with_name.then(|| "Ana Lima".to_string()),
                    emails: new_emails.clone(),
                    ..if with_details { adds(&[]) } else { Contact::default() }
                };
                let before = parse_person(Path::new(""), &text).unwrap();
                let filled = fill(&text, &add).unwrap();
                prop_assert!(is_subsequence(&text, &filled.text));
                let after = parse_person(Path::new(""), &filled.text).unwrap();
                let mut want_emails = if has_front_matter { had.clone() } else { vec![] };
                for e in &new_emails {
                    if !want_emails.contains(e) {
                        want_emails.push(e.clone());
                    }
                }
                prop_assert_eq!(&after.emails, &want_emails);
                let log = |p: &Person| p.log.iter().map(|e| (e.date, e.text.clone())).collect::<Vec<_>>();
                prop_assert_eq!(log(&after), log(&before));
                if crlf {
                    prop_assert!(!filled.text.replace("\r\n", "").contains('\n'));
                }
                prop_assert_eq!(filled.text.starts_with('\u{feff}'), bom);
                prop_assert_eq!(filled.text.ends_with('\n'), final_newline);
                // Idempotent.
                let again = fill(&filled.text, &add).unwrap();
                prop_assert_eq!(again.text, filled.text);
                prop_assert!(again.fields.is_empty());
            }
        }
    }
}
