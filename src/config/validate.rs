//! Raw TOML (with spans) -> [`Config`]: every key is checked, and every
//! problem is located (file, line, column, key) with what to write instead.
//! All problems of a file are reported at once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml_edit::{ImDocument, Item, Key, TableLike, Value};

use super::{
    Config, ConfigError, ConfigProblem, DigestSettings, NotifyConfig, PeopleConfig,
    DEFAULT_PROMPTS_PER_PERSON, DEFAULT_REFRESH,
};
use crate::feed::{normalize_url, CalendarSource, FeedLocation};
use crate::people::cadence::CadenceDefaults;
use crate::people::contact::ContactSettings;
use crate::people::period::Period;
use crate::people::Me;
use crate::util::duration::{parse_duration, DURATION_FORMS};
use crate::util::paths::expand_tilde;

type Span = Option<std::ops::Range<usize>>;

const TOP_KEYS: &[&str] = &["me", "calendar", "people", "notify", "digest"];
const ME_KEYS: &[&str] = &["name", "emails", "pitch"];
const CALENDAR_KEYS: &[&str] = &[
    "name",
    "url",
    "path",
    "refresh",
    "username",
    "password_command",
];
const PEOPLE_KEYS: &[&str] = &[
    "dir",
    "prompts_per_person",
    "history",
    "large_meeting",
    "cadence",
];
const DIGEST_KEYS: &[&str] = &["enabled", "at", "days", "until", "ahead"];
const NOTIFY_KEYS: &[&str] = &[
    "lead",
    "debrief",
    "include_all_day",
    "only_with_people",
    "discreet",
    "max_late",
];

struct Checker<'a> {
    text: &'a str,
    problems: Vec<ConfigProblem>,
    /// Descriptions of secrets held in the file (never the secrets).
    secrets: Vec<String>,
    warnings: Vec<String>,
}

/// Returns the config and the secrets it holds (for the permission warning).
pub(super) fn parse(
    text: &str,
    path: &Path,
    data_dir: &Path,
) -> Result<(Config, Vec<String>), ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let doc = match ImDocument::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            let (line, column) = line_col(text, at);
            return Err(invalid(vec![ConfigProblem {
                line,
                column,
                key: key_on_line(text, at),
                message: format!(
                    "TOML syntax error: {}; fix this spot (strings need \"quotes\", \
                     lists [\"a\", \"b\"])",
                    e.message().trim()
                ),
            }]));
        }
    };
    let mut ck = Checker {
        text,
        problems: Vec::new(),
        secrets: Vec::new(),
        warnings: Vec::new(),
    };
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let root = doc.as_table();
    ck.unknown_keys(root, "", TOP_KEYS);

    let me = match ck.section(root, "me") {
        Some(t) => ck.me(t),
        None => Me::default(),
    };
    let people = match ck.section(root, "people") {
        Some(t) => ck.people(t, &base_dir, data_dir),
        None => PeopleConfig::in_dir(data_dir.join("people")),
    };
    let notify = match ck.section(root, "notify") {
        Some(t) => ck.notify(t),
        None => NotifyConfig::default(),
    };
    let digest = match ck.section(root, "digest") {
        Some(t) => ck.digest(t),
        None => DigestSettings::default(),
    };
    let calendars = ck.calendars(root, &base_dir);

    if !ck.problems.is_empty() {
        ck.problems.sort_by_key(|p| (p.line, p.column));
        return Err(invalid(ck.problems));
    }
    let mut warnings = std::mem::take(&mut ck.warnings);
    if me.emails.is_empty() {
        warnings.push(format!(
            "{}: [me] has no emails; add emails = [\"you@example.com\"] so rapport can tell \
             which attendee is you (declined meetings, your own status)",
            path.display()
        ));
    }
    Ok((
        Config {
            path: Some(path.to_path_buf()),
            me,
            calendars,
            people,
            notify,
            digest,
            warnings,
        },
        ck.secrets,
    ))
}

impl Checker<'_> {
    fn problem(&mut self, span: Span, key: &str, message: String) {
        let (line, column) = line_col(self.text, span.map(|s| s.start).unwrap_or(0));
        self.problems.push(ConfigProblem {
            line,
            column,
            key: key.to_string(),
            message,
        });
    }

    /// Reports every key of `table` not in `allowed`, with a suggestion.
    fn unknown_keys(&mut self, table: &dyn TableLike, prefix: &str, allowed: &[&str]) {
        let keys: Vec<(String, Span)> = table
            .iter()
            .map(|(k, _)| (k.to_string(), table.key(k).and_then(Key::span)))
            .collect();
        for (key, span) in keys {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let full = join_key(prefix, &key);
            let section = if prefix.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in [{prefix}]")
            };
            let message = if prefix == "calendar" && is_password_key(&key) {
                self.secrets
                    .push("a plain password in a [[calendar]] entry".into());
                "plain passwords are not supported; store it in a password manager and set \
                 password_command = \"pass show calendars/work\" (run without a shell; the first \
                 line it prints is the password)"
                    .to_string()
            } else {
                match suggest(&key, allowed) {
                    Some(s) => format!(
                        "unknown key `{key}` {section}; did you mean `{s}`? (known: {})",
                        allowed.join(", ")
                    ),
                    None => format!(
                        "unknown key `{key}` {section}; known keys: {}",
                        allowed.join(", ")
                    ),
                }
            };
            self.problem(span, &full, message);
        }
    }

    /// A table section such as `[me]` (or `me = { ... }`).
    fn section<'t>(&mut self, root: &'t dyn TableLike, key: &str) -> Option<&'t dyn TableLike> {
        let item = root.get(key)?;
        match item.as_table_like() {
            Some(t) => Some(t),
            None => {
                let span = item.span().or_else(|| root.key(key).and_then(Key::span));
                self.problem(
                    span,
                    key,
                    format!(
                        "expected a section [{key}] with keys, found {}; write [{key}] on its \
                         own line followed by its keys",
                        item.type_name()
                    ),
                );
                None
            }
        }
    }

    fn value_span(table: &dyn TableLike, key: &str, item: &Item) -> Span {
        item.span().or_else(|| table.key(key).and_then(Key::span))
    }

    fn string(
        &mut self,
        table: &dyn TableLike,
        prefix: &str,
        key: &str,
        example: &str,
    ) -> Option<(String, Span)> {
        let item = table.get(key)?;
        let span = Self::value_span(table, key, item);
        match item.as_str() {
            Some(s) => Some((s.to_string(), span)),
            None => {
                self.problem(
                    span,
                    &join_key(prefix, key),
                    format!(
                        "expected a string, found {}; write {key} = {example}",
                        item.type_name()
                    ),
                );
                None
            }
        }
    }

    fn boolean(&mut self, table: &dyn TableLike, prefix: &str, key: &str) -> Option<bool> {
        let item = table.get(key)?;
        let span = Self::value_span(table, key, item);
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                let hint = match item.as_str() {
                    Some(s)
                        if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
                    {
                        format!("write {key} = {} without quotes", s.to_ascii_lowercase())
                    }
                    _ => format!("write {key} = true or {key} = false"),
                };
                self.problem(
                    span,
                    &join_key(prefix, key),
                    format!("expected true or false, found {}; {hint}", item.type_name()),
                );
                None
            }
        }
    }

    fn duration(&mut self, table: &dyn TableLike, prefix: &str, key: &str) -> Option<Duration> {
        let item = table.get(key)?;
        let span = Self::value_span(table, key, item);
        self.duration_value(item.as_value(), span, &join_key(prefix, key))
    }

    fn duration_value(
        &mut self,
        value: Option<&Value>,
        span: Span,
        full_key: &str,
    ) -> Option<Duration> {
        match value {
            Some(Value::String(s)) => match parse_duration(s.value()) {
                Ok(d) => Some(d),
                Err(message) => {
                    self.problem(span, full_key, message);
                    None
                }
            },
            Some(Value::Integer(n)) => {
                self.problem(
                    span,
                    full_key,
                    format!(
                        "a bare number has no unit; write a quoted duration such as \"{}m\" \
                         ({DURATION_FORMS})",
                        n.value()
                    ),
                );
                None
            }
            other => {
                let found = other.map(Value::type_name).unwrap_or("a table");
                self.problem(
                    span,
                    full_key,
                    format!(
                        "expected a duration string, found {found}; write e.g. \"15m\" \
                         (accepted: \"90s\", \"15m\", \"1h30m\", \"2d\")"
                    ),
                );
                None
            }
        }
    }

    fn me(&mut self, t: &dyn TableLike) -> Me {
        self.unknown_keys(t, "me", ME_KEYS);
        let name = self
            .string(t, "me", "name", "\"Ada Lovelace\"")
            .map(|(s, _)| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let pitch = self
            .string(t, "me", "pitch", "\"I build ...\"")
            .map(|(s, _)| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let mut emails = Vec::new();
        if let Some(item) = t.get("emails") {
            let span = Self::value_span(t, "emails", item);
            let values: Vec<(Option<&str>, Span)> = match item.as_value() {
                Some(Value::String(s)) => vec![(Some(s.value().as_str()), span)],
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| (v.as_str(), v.span().or(span.clone())))
                    .collect(),
                _ => {
                    self.problem(
                        span.clone(),
                        "me.emails",
                        format!(
                            "expected a list of email addresses, found {}; write emails = \
                             [\"you@example.com\", \"you@home.example\"]",
                            item.type_name()
                        ),
                    );
                    Vec::new()
                }
            };
            for (value, vspan) in values {
                match value.map(str::trim) {
                    Some(e) if e.contains('@') && !e.contains(char::is_whitespace) => {
                        let e = e
                            .strip_prefix("mailto:")
                            .or_else(|| e.strip_prefix("MAILTO:"))
                            .unwrap_or(e)
                            .to_lowercase();
                        if !emails.contains(&e) {
                            emails.push(e);
                        }
                    }
                    Some(e) => self.problem(
                        vspan,
                        "me.emails",
                        format!("`{e}` is not an email address; write \"you@example.com\""),
                    ),
                    None => self.problem(
                        vspan,
                        "me.emails",
                        "each entry must be a quoted email address, e.g. \"you@example.com\""
                            .into(),
                    ),
                }
            }
        }
        Me {
            name,
            emails,
            pitch,
        }
    }

    fn people(&mut self, t: &dyn TableLike, base_dir: &Path, data_dir: &Path) -> PeopleConfig {
        self.unknown_keys(t, "people", PEOPLE_KEYS);
        let dir = match self.string(t, "people", "dir", "\"~/notes/people\"") {
            Some((s, span)) if s.trim().is_empty() => {
                self.problem(
                    span,
                    "people.dir",
                    "empty folder name; write dir = \"~/notes/people\" or remove the key".into(),
                );
                data_dir.join("people")
            }
            Some((s, _)) => resolve_path(s.trim(), base_dir),
            None => data_dir.join("people"),
        };
        let mut prompts_per_person = DEFAULT_PROMPTS_PER_PERSON;
        if let Some(item) = t.get("prompts_per_person") {
            let span = Self::value_span(t, "prompts_per_person", item);
            match item.as_integer() {
                Some(n) if (0..=50).contains(&n) => prompts_per_person = n as usize,
                Some(n) => self.problem(
                    span,
                    "people.prompts_per_person",
                    format!("{n} is out of range; write a number from 0 to 50 (default 3)"),
                ),
                None => self.problem(
                    span,
                    "people.prompts_per_person",
                    format!(
                        "expected a whole number, found {}; write prompts_per_person = 3",
                        item.type_name()
                    ),
                ),
            }
        }
        let mut contact = ContactSettings::default();
        if let Some(p) = self.period(t, "people", "history", "\"1y\"") {
            contact.history = p;
        }
        if let Some(item) = t.get("large_meeting") {
            let span = Self::value_span(t, "large_meeting", item);
            match item.as_integer() {
                Some(n) if (1..=10_000).contains(&n) => contact.large_meeting = n as usize,
                Some(n) => self.problem(
                    span,
                    "people.large_meeting",
                    format!("{n} is out of range; write a number of people from 1 to 10000 (default {})", crate::people::history::DEFAULT_LARGE_MEETING),
                ),
                None => self.problem(
                    span,
                    "people.large_meeting",
                    format!(
                        "expected a whole number, found {}; write large_meeting = 15",
                        item.type_name()
                    ),
                ),
            }
        }
        let cadence = self.cadence_defaults(t);
        PeopleConfig {
            dir,
            prompts_per_person,
            contact,
            cadence,
        }
    }

    /// A calendar span (`10d`, `3w`, `2m`, `1y`) such as `people.history`.
    fn period(
        &mut self,
        table: &dyn TableLike,
        prefix: &str,
        key: &str,
        example: &str,
    ) -> Option<Period> {
        let (text, span) = self.string(table, prefix, key, example)?;
        match Period::parse(&text) {
            Ok(p) => Some(p),
            Err(why) => {
                self.problem(
                    span,
                    &join_key(prefix, key),
                    format!("{why}; e.g. {key} = {example}"),
                );
                None
            }
        }
    }

    /// `[people.cadence]`: `"#team" = "2w"` per tag.
    fn cadence_defaults(&mut self, people: &dyn TableLike) -> CadenceDefaults {
        let Some(item) = people.get("cadence") else {
            return CadenceDefaults::default();
        };
        let Some(t) = item.as_table_like() else {
            let span = Self::value_span(people, "cadence", item);
            self.problem(
                span,
                "people.cadence",
                format!(
                    "expected a section [people.cadence] with one tag per line, found {}; \
                     write [people.cadence] and below it \"#team\" = \"2w\"",
                    item.type_name()
                ),
            );
            return CadenceDefaults::default();
        };
        let mut by_tag = Vec::new();
        for (key, value) in t.iter() {
            let span = Self::value_span(t, key, value);
            let full = format!("people.cadence.\"{key}\"");
            let Some(text) = value.as_str() else {
                self.problem(
                    span,
                    &full,
                    format!(
                        "expected a span such as \"2w\", found {}; write \"{key}\" = \"2w\" \
                         (10d, 3w, 2m for months, 1y)",
                        value.type_name()
                    ),
                );
                continue;
            };
            match CadenceDefaults::parse([(key, text)]) {
                Ok(one) => by_tag.extend(one.by_tag),
                Err((_, why)) => self.problem(span, &full, why),
            }
        }
        CadenceDefaults { by_tag }
    }

    fn digest(&mut self, t: &dyn TableLike) -> DigestSettings {
        self.unknown_keys(t, "digest", DIGEST_KEYS);
        let mut d = DigestSettings::default();
        if let Some(b) = self.boolean(t, "digest", "enabled") {
            d.enabled = b;
        }
        if let Some(at) = self.time_of_day(t, "at", "\"08:30\"") {
            d.at = at;
        }
        if let Some(until) = self.time_of_day(t, "until", "\"12:00\"") {
            d.until = until;
        }
        if let Some(p) = self.period(t, "digest", "ahead", "\"3d\"") {
            d.ahead = p;
        }
        if let Some(item) = t.get("days") {
            let span = Self::value_span(t, "days", item);
            const HOW: &str = "write days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], \
                               \"weekdays\" or \"daily\"";
            let words: Option<Vec<(String, Span)>> = match item.as_value() {
                Some(Value::String(s)) => Some(vec![(s.value().clone(), span.clone())]),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(|s| (s.to_string(), v.span().or(span.clone())))
                    })
                    .collect(),
                _ => None,
            };
            match words {
                None => self.problem(
                    span,
                    "digest.days",
                    format!(
                        "expected a list of day names, found {}; {HOW}",
                        item.type_name()
                    ),
                ),
                Some(words) => {
                    let mut days = chrono::WeekdaySet::EMPTY;
                    let mut ok = true;
                    for (word, wspan) in words {
                        match weekdays(&word) {
                            Some(set) => days = days.union(set),
                            None => {
                                ok = false;
                                self.problem(
                                    wspan,
                                    "digest.days",
                                    format!("`{word}` is not a day; {HOW}"),
                                );
                            }
                        }
                    }
                    if ok {
                        d.days = days;
                    }
                }
            }
        }
        d
    }

    /// A local time of day `"HH:MM"` in `[digest]`.
    fn time_of_day(
        &mut self,
        t: &dyn TableLike,
        key: &str,
        example: &str,
    ) -> Option<chrono::NaiveTime> {
        let (text, span) = self.string(t, "digest", key, example)?;
        let parsed = chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").ok();
        if parsed.is_none() {
            self.problem(
                span,
                &join_key("digest", key),
                format!("`{text}` is not a time of day; write {key} = {example} (24-hour HH:MM, local time)"),
            );
        }
        parsed
    }

    fn notify(&mut self, t: &dyn TableLike) -> NotifyConfig {
        self.unknown_keys(t, "notify", NOTIFY_KEYS);
        let mut n = NotifyConfig::default();
        if let Some(item) = t.get("lead") {
            let span = Self::value_span(t, "lead", item);
            match item.as_value() {
                Some(Value::Array(a)) => {
                    let mut leads = Vec::new();
                    for v in a.iter() {
                        if let Some(d) =
                            self.duration_value(Some(v), v.span().or(span.clone()), "notify.lead")
                        {
                            leads.push(d);
                        }
                    }
                    // Longest lead first; one notification per distinct lead.
                    leads.sort_by(|a, b| b.cmp(a));
                    leads.dedup();
                    n.lead = leads;
                }
                Some(v @ Value::String(_)) => {
                    if let Some(d) = self.duration_value(Some(v), span, "notify.lead") {
                        n.lead = vec![d];
                    }
                }
                other => {
                    let found = other.map(Value::type_name).unwrap_or("a table");
                    self.problem(
                        span,
                        "notify.lead",
                        format!(
                            "expected a list of durations, found {found}; write lead = [\"10m\"] \
                             or lead = [\"15m\", \"2m\"]"
                        ),
                    );
                }
            }
        }
        if let Some(item) = t.get("debrief") {
            let span = Self::value_span(t, "debrief", item);
            match item.as_value() {
                Some(Value::String(s)) if s.value().trim().eq_ignore_ascii_case("off") => {
                    n.debrief = None
                }
                Some(Value::Boolean(b)) if !*b.value() => n.debrief = None,
                v => {
                    if let Some(d) = self.duration_value(v, span, "notify.debrief") {
                        n.debrief = Some(d);
                    }
                }
            }
        }
        if let Some(b) = self.boolean(t, "notify", "include_all_day") {
            n.include_all_day = b;
        }
        if let Some(b) = self.boolean(t, "notify", "only_with_people") {
            n.only_with_people = b;
        }
        if let Some(b) = self.boolean(t, "notify", "discreet") {
            n.discreet = b;
        }
        if let Some(d) = self.duration(t, "notify", "max_late") {
            n.max_late = d;
        }
        n
    }

    fn calendars(&mut self, root: &dyn TableLike, base_dir: &Path) -> Vec<CalendarSource> {
        let Some(item) = root.get("calendar") else {
            return Vec::new();
        };
        let key_span = root.key("calendar").and_then(Key::span);
        let tables: Vec<(&dyn TableLike, Span)> = match item {
            Item::ArrayOfTables(a) => a
                .iter()
                .map(|t| (t as &dyn TableLike, t.span().or(key_span.clone())))
                .collect(),
            Item::Value(Value::Array(a)) => {
                let mut v = Vec::new();
                for entry in a.iter() {
                    match entry.as_inline_table() {
                        Some(t) => v.push((t as &dyn TableLike, entry.span().or(key_span.clone()))),
                        None => self.problem(
                            entry.span().or(key_span.clone()),
                            "calendar",
                            format!(
                                "each calendar must be a table, found {}; write [[calendar]] \
                                 followed by name = ..., url = ...",
                                entry.type_name()
                            ),
                        ),
                    }
                }
                v
            }
            other => {
                self.problem(
                    other.span().or(key_span),
                    "calendar",
                    format!(
                        "expected a list of calendars, found {}; write [[calendar]] with two \
                         brackets, once per calendar",
                        if other.is_table() {
                            "a single [calendar] table"
                        } else {
                            other.type_name()
                        }
                    ),
                );
                Vec::new()
            }
        };
        let mut out: Vec<CalendarSource> = Vec::new();
        for (t, span) in tables {
            if let Some(c) = self.calendar(t, span.clone(), base_dir) {
                if out.iter().any(|o| o.name == c.name) {
                    let at = t.get("name").and_then(Item::span).or(span);
                    self.problem(
                        at,
                        "calendar.name",
                        format!(
                            "two calendars are named `{}`; give each one its own name = \"...\"",
                            c.name
                        ),
                    );
                } else {
                    out.push(c);
                }
            }
        }
        out
    }

    fn calendar(
        &mut self,
        t: &dyn TableLike,
        span: Span,
        base_dir: &Path,
    ) -> Option<CalendarSource> {
        let before = self.problems.len();
        self.unknown_keys(t, "calendar", CALENDAR_KEYS);
        let name = self.string(t, "calendar", "name", "\"Work\"");
        let url = self.string(t, "calendar", "url", "\"https://example.com/calendar.ics\"");
        let path = self.string(t, "calendar", "path", "\"~/calendars/work.ics\"");
        let location = match (url, path) {
            (Some((_, uspan)), Some(_)) => {
                self.problem(
                    uspan,
                    "calendar.url",
                    "both url and path are set; keep one: url for a feed on the web, path for a \
                     file on this machine"
                        .into(),
                );
                None
            }
            (None, None) => {
                if !t.contains_key("url") && !t.contains_key("path") {
                    self.problem(
                        span,
                        "calendar",
                        "this calendar has neither url nor path; add url = \"https://...\" \
                         (or webcal://...) or path = \"~/calendars/work.ics\""
                            .into(),
                    );
                }
                None
            }
            (Some((u, uspan)), None) => match normalize_url(&u) {
                Ok(loc) => {
                    if let FeedLocation::Url(url) = &loc {
                        if let Some(kind) = url_secret_kind(url) {
                            self.secrets.push(kind.to_string());
                        }
                    }
                    Some(loc)
                }
                Err(message) => {
                    self.problem(uspan, "calendar.url", message);
                    None
                }
            },
            (None, Some((p, pspan))) => {
                if p.trim().is_empty() {
                    self.problem(
                        pspan,
                        "calendar.path",
                        "empty path; write path = \"~/calendars/work.ics\"".into(),
                    );
                    None
                } else {
                    Some(FeedLocation::Path(resolve_path(p.trim(), base_dir)))
                }
            }
        };
        let refresh = match self.duration(t, "calendar", "refresh") {
            Some(d) if d.is_zero() => {
                let at = t.get("refresh").and_then(Item::span);
                self.problem(
                    at,
                    "calendar.refresh",
                    "a refresh of zero would fetch without pause; write e.g. \"15m\"".into(),
                );
                DEFAULT_REFRESH
            }
            Some(d) => d,
            None => DEFAULT_REFRESH,
        };
        let username = self
            .string(t, "calendar", "username", "\"me@example.com\"")
            .map(|(s, _)| s);
        let password_command = match t.get("password_command") {
            None => None,
            Some(item) => {
                let pspan = Self::value_span(t, "password_command", item);
                let words = match item.as_value() {
                    Some(Value::String(s)) => match shlex::split(s.value()) {
                        Some(w) => Some(w),
                        None => {
                            self.problem(
                                pspan.clone(),
                                "calendar.password_command",
                                "unbalanced quotes; write password_command = \"pass show \
                                 calendars/work\" or a list [\"pass\", \"show\", \"calendars/work\"]"
                                    .into(),
                            );
                            None
                        }
                    },
                    Some(Value::Array(a)) => {
                        let words: Vec<Option<String>> =
                            a.iter().map(|v| v.as_str().map(str::to_owned)).collect();
                        if words.iter().all(Option::is_some) {
                            Some(words.into_iter().flatten().collect())
                        } else {
                            self.problem(
                                pspan.clone(),
                                "calendar.password_command",
                                "every word of the command must be a quoted string; write \
                                 [\"pass\", \"show\", \"calendars/work\"]"
                                    .into(),
                            );
                            None
                        }
                    }
                    _ => {
                        self.problem(
                            pspan.clone(),
                            "calendar.password_command",
                            format!(
                                "expected a command, found {}; write password_command = \
                                 \"pass show calendars/work\"",
                                item.type_name()
                            ),
                        );
                        None
                    }
                };
                match words {
                    Some(w) if w.is_empty() || w[0].trim().is_empty() => {
                        self.problem(
                            pspan,
                            "calendar.password_command",
                            "empty command; write password_command = \"pass show calendars/work\""
                                .into(),
                        );
                        None
                    }
                    Some(mut w) => {
                        w[0] = expand_tilde(&w[0]).to_string_lossy().into_owned();
                        Some(w)
                    }
                    None => None,
                }
            }
        };
        if password_command.is_some() && username.is_none() {
            let at = t.get("password_command").and_then(Item::span);
            self.problem(
                at,
                "calendar.password_command",
                "password_command needs a username; add username = \"...\" to this calendar".into(),
            );
        }
        if matches!(&location, Some(FeedLocation::Path(_))) && username.is_some() {
            let at = t.get("username").and_then(Item::span);
            self.problem(
                at,
                "calendar.username",
                "username and password_command only apply to url calendars; remove them or use \
                 url = \"https://...\""
                    .into(),
            );
        }
        let location = location?;
        if self.problems.len() != before {
            return None;
        }
        if let FeedLocation::Url(u) = &location {
            if u.starts_with("http://") && username.is_some() {
                self.warnings.push(format!(
                    "calendar at {}: the password goes over plain http, readable on the \
                     network; use https:// if the server offers it",
                    crate::feed::redact_url(u)
                ));
            }
        }
        let name = match name {
            Some((n, nspan)) => {
                let n = n.trim().to_string();
                if n.is_empty() {
                    self.problem(
                        nspan,
                        "calendar.name",
                        "empty name; write name = \"Work\" or remove the key".into(),
                    );
                    return None;
                }
                n
            }
            None => location.default_name(),
        };
        Some(CalendarSource {
            name,
            location,
            refresh,
            username,
            password_command,
        })
    }
}

/// What kind of secret a calendar URL holds, if any: credentials, or
/// anything after the host (the parts [`crate::feed::redact_url`] hides: the
/// secret of a shared link can be any part of it).
fn url_secret_kind(url: &str) -> Option<&'static str> {
    if let Ok(u) = url::Url::parse(url) {
        if u.password().is_some() {
            return Some("a password inside a calendar URL");
        }
    }
    if crate::feed::redact_url(url) != url.trim_end_matches('/') {
        return Some("a calendar link (whoever has it can read the calendar)");
    }
    None
}

/// A warning when the config file can be read by other users and holds a
/// secret; `None` when it is private, holds none, or cannot be inspected.
pub(super) fn readable_secret_warning(path: &Path, secrets: &[String]) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let first = secrets.first()?;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    if mode & 0o044 == 0 {
        return None;
    }
    Some(format!(
        "{}: this file holds {first} and other users can read it (mode {mode:03o}); \
         run `chmod 600 {}`",
        path.display(),
        path.display()
    ))
}

/// A day name (`mon`, `Monday`), `weekdays` (Monday to Friday), `weekends`
/// or `daily`.
fn weekdays(word: &str) -> Option<chrono::WeekdaySet> {
    use chrono::{Weekday, WeekdaySet};
    let w = word.trim().to_lowercase();
    let set = match w.as_str() {
        "weekdays" => WeekdaySet::from_array([
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]),
        "weekends" => WeekdaySet::from_array([Weekday::Sat, Weekday::Sun]),
        "daily" | "every day" | "all" => WeekdaySet::ALL,
        _ => WeekdaySet::single(w.parse::<Weekday>().ok()?),
    };
    Some(set)
}

fn resolve_path(text: &str, base_dir: &Path) -> PathBuf {
    let p = expand_tilde(text);
    if p.is_relative() {
        base_dir.join(p)
    } else {
        p
    }
}

fn is_password_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k != "password_command"
        && (k.contains("password") || k.contains("passwd") || k == "secret" || k == "token")
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
pub(super) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, text[line_start..at].chars().count() + 1)
}

/// The `key` of a `key = value` line containing byte `at`, for syntax errors.
fn key_on_line(text: &str, at: usize) -> String {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[at..].find('\n').map(|i| at + i).unwrap_or(text.len());
    let line = text[start..end].trim();
    if let Some((k, _)) = line.split_once('=') {
        let k = k.trim();
        if !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.\"".contains(c))
        {
            return k.trim_matches('"').to_string();
        }
    }
    if line.starts_with('[') {
        return line
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_string();
    }
    "(syntax)".into()
}

/// The allowed key closest to `key`, if it is close enough to be a typo.
fn suggest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let key_l = key.to_ascii_lowercase().replace('-', "_");
    allowed
        .iter()
        .map(|a| {
            let d = if a.starts_with(&key_l) || key_l.starts_with(a) {
                1
            } else {
                levenshtein(&key_l, a)
            };
            (d, *a)
        })
        .filter(|(d, a)| *d <= (a.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
