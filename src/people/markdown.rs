//! A line scanner for the small part of Markdown that people notes use:
//! YAML front matter, fenced code, ATX headings, list items and tasks (also
//! inside blockquotes and Obsidian callouts). The parser and the lossless
//! editor both use it, so they always agree on where a section or task is.
//! Every line keeps its exact byte range; nothing is normalised here.

/// One physical line of the file.
#[derive(Debug, Clone)]
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub number: usize,
    /// Byte offset of `content`: the line's start, after a BOM on line 1.
    pub content_start: usize,
    /// The line without its line ending (and without a leading BOM on line 1).
    pub content: &'a str,
    /// Byte offset just past the line ending (`\n` or `\r\n`), or the file end.
    pub end: usize,
    pub kind: LineKind<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineKind<'a> {
    /// A line of the YAML front matter, including its `---` delimiters.
    FrontMatter,
    /// A fence line or a line inside fenced code: never interpreted.
    Code,
    Blank,
    Heading {
        level: usize,
        text: &'a str,
    },
    /// `- [ ] text`: `status` is the character in the brackets, `status_at`
    /// its byte offset in the file (for ticking it in place).
    Task {
        indent: usize,
        status: char,
        status_at: usize,
        text: &'a str,
    },
    /// A list item that is not a task.
    Bullet {
        indent: usize,
        text: &'a str,
    },
    /// Anything else: paragraph text, tables, embeds, callout headers.
    Other,
}

/// The scanned file.
#[derive(Debug)]
pub(crate) struct Scanned<'a> {
    pub lines: Vec<Line<'a>>,
    /// Index range (into `lines`) of the YAML between the `---` delimiters.
    pub front_matter: Option<std::ops::Range<usize>>,
    /// The front matter starts with `---` but never ends: 1-based line of the opener.
    pub unclosed_front_matter: Option<usize>,
    /// The line ending the file uses (from its first line break), for added lines.
    pub newline: &'static str,
    /// Whether the last line ends with a line break (or the file is empty).
    pub ends_with_newline: bool,
}

const BOM: &str = "\u{feff}";

pub(crate) fn scan(text: &str) -> Scanned<'_> {
    // (content start, content, line end)
    let mut raw: Vec<(usize, &str, usize)> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        let (content_len, end) = match rest.find('\n') {
            Some(i) => {
                let content_len = if i > 0 && rest.as_bytes()[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                (content_len, pos + i + 1)
            }
            // A last line without "\n" may still end in a lone "\r" (a line
            // ending in CommonMark): leave it out of the content, or the line
            // would change meaning once an edit completes it to "\r\n".
            None => (rest.strip_suffix('\r').unwrap_or(rest).len(), text.len()),
        };
        let mut content = &rest[..content_len];
        let mut content_at = pos;
        if pos == 0 {
            if let Some(c) = content.strip_prefix(BOM) {
                content = c;
                content_at += BOM.len();
            }
        }
        raw.push((content_at, content, end));
        pos = end;
    }
    let newline = match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    };
    let ends_with_newline = text.is_empty() || text.ends_with('\n');

    // Front matter: `---` on the very first line, closed by `---` or `...`.
    let mut front_matter = None;
    let mut unclosed_front_matter = None;
    if raw.first().is_some_and(|l| l.1.trim_end() == "---") {
        match raw
            .iter()
            .skip(1)
            .position(|l| matches!(l.1.trim_end(), "---" | "..."))
        {
            Some(i) => front_matter = Some(1..i + 1),
            None => unclosed_front_matter = Some(1),
        }
    }
    let body_start = match &front_matter {
        Some(r) => r.end + 1,
        None => 0,
    };

    let mut lines = Vec::with_capacity(raw.len());
    let mut fence: Option<(u8, usize)> = None;
    for (i, &(content_at, content, end)) in raw.iter().enumerate() {
        let kind = if i < body_start {
            LineKind::FrontMatter
        } else if let Some((ch, len)) = fence {
            if fence_marker(content)
                .is_some_and(|(c, l, rest)| c == ch && l >= len && rest.trim().is_empty())
            {
                fence = None;
            }
            LineKind::Code
        } else if let Some((ch, len, _)) = fence_marker(content) {
            fence = Some((ch, len));
            LineKind::Code
        } else {
            classify(content, content_at)
        };
        lines.push(Line {
            number: i + 1,
            content_start: content_at,
            content,
            end,
            kind,
        });
    }
    Scanned {
        lines,
        front_matter,
        unclosed_front_matter,
        newline,
        ends_with_newline,
    }
}

/// "```" or "~~~" (3 or more), after up to 3 spaces and any blockquote markers.
fn fence_marker(content: &str) -> Option<(u8, usize, &str)> {
    let s = strip_quote(content).1;
    let s = s.trim_start_matches(' ');
    let ch = *s.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = s.bytes().take_while(|&b| b == ch).count();
    (len >= 3).then_some((ch, len, &s[len..]))
}

/// Strips blockquote/callout markers (`> `, `>> `); returns (bytes stripped, rest).
fn strip_quote(content: &str) -> (usize, &str) {
    let mut rest = content;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t']);
        match trimmed.strip_prefix('>') {
            Some(after) => rest = after.strip_prefix(' ').unwrap_or(after),
            None => return (content.len() - rest.len(), rest),
        }
    }
}

/// Classifies a body line; `content_at` is the byte offset of `content` in the file.
fn classify(content: &str, content_at: usize) -> LineKind<'_> {
    if content.trim().is_empty() {
        return LineKind::Blank;
    }
    if let Some(h) = heading(content) {
        return h;
    }
    let (quoted, rest) = strip_quote(content);
    let indent_len = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    // Tabs count as four columns, as in CommonMark.
    let indent = rest[..indent_len]
        .chars()
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum();
    let item = &rest[indent_len..];
    let after_marker = if let Some(r) = item
        .strip_prefix("- ")
        .or_else(|| item.strip_prefix("* "))
        .or_else(|| item.strip_prefix("+ "))
    {
        Some(r)
    } else {
        let digits = item.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=9).contains(&digits) {
            item[digits..]
                .strip_prefix(". ")
                .or_else(|| item[digits..].strip_prefix(") "))
        } else {
            None
        }
    };
    let Some(after_marker) = after_marker else {
        // A bare "-" is an empty list item; anything else is text.
        return if matches!(item.trim_end(), "-" | "*" | "+") {
            LineKind::Bullet { indent, text: "" }
        } else {
            LineKind::Other
        };
    };
    let after_marker_trimmed = after_marker.trim_start_matches(' ');
    let b = after_marker_trimmed.as_bytes();
    if b.len() >= 3 && b[0] == b'[' {
        let status = after_marker_trimmed[1..].chars().next().unwrap_or(' ');
        let close = 1 + status.len_utf8();
        if after_marker_trimmed.as_bytes().get(close) == Some(&b']') {
            let tail = &after_marker_trimmed[close + 1..];
            if tail.is_empty() || tail.starts_with([' ', '\t']) {
                let status_at = content_at
                    + quoted
                    + indent_len
                    + (item.len() - after_marker_trimmed.len())
                    + 1;
                return LineKind::Task {
                    indent,
                    status,
                    status_at,
                    text: tail.trim(),
                };
            }
        }
    }
    LineKind::Bullet {
        indent,
        text: after_marker.trim(),
    }
}

fn heading(content: &str) -> Option<LineKind<'_>> {
    let lead = content.len() - content.trim_start_matches(' ').len();
    if lead > 3 {
        return None;
    }
    let s = &content[lead..];
    let level = s.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &s[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    // Optional closing sequence: "## Log ##".
    let mut text = rest.trim();
    let without_hashes = text.trim_end_matches('#');
    if without_hashes.is_empty() || without_hashes.ends_with([' ', '\t']) {
        text = without_hashes.trim_end();
    }
    Some(LineKind::Heading { level, text })
}

/// Section names compared loosely: "Follow-ups", "Follow ups", "followups".
pub(crate) fn heading_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

pub(crate) fn is_log_heading(text: &str) -> bool {
    heading_key(text) == "log"
}

pub(crate) fn is_follow_up_heading(text: &str) -> bool {
    matches!(heading_key(text).as_str(), "followups" | "followup")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_front_matter_fences_headings_tasks() {
        let text = "\u{feff}---\r\nname: A\r\n---\r\n# Title\r\n```\r\n- [ ] not a task\r\n```\r\n\
                    ## Follow-ups ##\r\n  - [ ] task one\r\n> - [x] in a callout\r\n1. [/] numbered\r\n- plain\r\n-\r\nlast";
        let s = scan(text);
        assert_eq!(s.newline, "\r\n");
        assert!(!s.ends_with_newline);
        assert_eq!(s.front_matter, Some(1..2));
        assert_eq!(s.lines[0].content, "---");
        assert_eq!(s.lines[5].kind, LineKind::Code);
        assert_eq!(
            s.lines[7].kind,
            LineKind::Heading {
                level: 2,
                text: "Follow-ups"
            }
        );
        match s.lines[8].kind {
            LineKind::Task {
                indent,
                status,
                status_at,
                text: t,
            } => {
                assert_eq!((indent, status, t), (2, ' ', "task one"));
                assert_eq!(&text[status_at - 1..status_at + 2], "[ ]");
            }
            ref k => panic!("{k:?}"),
        }
        match s.lines[9].kind {
            LineKind::Task {
                status, status_at, ..
            } => {
                assert_eq!(status, 'x');
                assert_eq!(&text[status_at..status_at + 1], "x");
            }
            ref k => panic!("{k:?}"),
        }
        assert!(matches!(
            s.lines[10].kind,
            LineKind::Task { status: '/', .. }
        ));
        assert!(matches!(
            s.lines[11].kind,
            LineKind::Bullet { text: "plain", .. }
        ));
        assert!(matches!(
            s.lines[12].kind,
            LineKind::Bullet { text: "", .. }
        ));
        assert_eq!(s.lines[13].kind, LineKind::Other);
        assert_eq!(s.lines[13].end, text.len());
    }

    #[test]
    fn unclosed_front_matter_is_flagged() {
        let s = scan("---\nname: A\n");
        assert_eq!(s.unclosed_front_matter, Some(1));
        assert!(s.front_matter.is_none());
    }
}
