//! A line scanner for the small part of Markdown that people notes use:
//! YAML front matter, fenced code, comments (Obsidian `%% … %%`, HTML
//! `<!-- … -->`), ATX headings, list items and tasks (also inside blockquotes
//! and Obsidian callouts). The parser and the lossless editor both use it, so
//! they always agree on where a section or task is, and both see the note as
//! a reader does: a heading or a task inside a comment or a code block is
//! not one. Every line keeps its exact byte range; nothing is normalised here.

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
    /// A line inside an Obsidian (`%% … %%`) or HTML (`<!-- … -->`) comment,
    /// or one that starts with a comment: hidden from a reader, never
    /// interpreted (a `## Log` template in a comment is no section).
    Comment,
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
    /// A comment that is never closed hides the rest of the file (as in
    /// Obsidian and CommonMark): index (into `lines`) of the line it opens on.
    pub unclosed_comment: Option<usize>,
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
    let mut comment: Option<Comment> = None;
    let mut unclosed_comment = None;
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
        } else if comment.is_some() || starts_comment(content) {
            if comment.is_none() {
                unclosed_comment = Some(i);
            }
            comment = comment_after(content, comment);
            LineKind::Comment
        } else if let Some((ch, len, _)) = fence_marker(content) {
            fence = Some((ch, len));
            LineKind::Code
        } else {
            // Text before a comment that opens on this line still counts.
            comment = comment_after(content, None);
            unclosed_comment = Some(i);
            classify(content, content_at)
        };
        if comment.is_none() {
            unclosed_comment = None;
        }
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
        unclosed_comment,
        newline,
        ends_with_newline,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comment {
    /// Obsidian's `%% … %%`.
    Percent,
    /// `<!-- … -->`.
    Html,
}

/// A line whose first text (after indentation and blockquote markers) opens
/// a comment is hidden from a reader as a whole.
fn starts_comment(content: &str) -> bool {
    let s = strip_quote(content).1.trim_start_matches([' ', '\t']);
    s.starts_with("%%") || s.starts_with("<!--")
}

/// The comment state at the end of `content`, given the state at its start.
/// Outside a comment, inline code (`` `%%` ``) is skipped: a marker there
/// is literal text.
fn comment_after(content: &str, mut state: Option<Comment>) -> Option<Comment> {
    let b = content.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match state {
            Some(Comment::Percent) => match content[i..].find("%%") {
                Some(at) => {
                    i += at + 2;
                    state = None;
                }
                None => return state,
            },
            Some(Comment::Html) => match content[i..].find("-->") {
                Some(at) => {
                    i += at + 3;
                    state = None;
                }
                None => return state,
            },
            None => {
                let rest = &b[i..];
                if rest.starts_with(b"%%") {
                    state = Some(Comment::Percent);
                    i += 2;
                } else if rest.starts_with(b"<!--") {
                    state = Some(Comment::Html);
                    i += 4;
                } else if rest[0] == b'`' {
                    let run = rest.iter().take_while(|&&c| c == b'`').count();
                    i += run + code_span_len(&b[i + run..], run);
                } else {
                    i += 1;
                }
            }
        }
    }
    state
}

/// Length of an inline code span's body and closing run of `run` backticks
/// (0 when it is never closed on this line: the backticks are literal).
fn code_span_len(after: &[u8], run: usize) -> usize {
    let mut j = 0;
    while j < after.len() {
        if after[j] == b'`' {
            let close = after[j..].iter().take_while(|&&c| c == b'`').count();
            if close == run {
                return j + close;
            }
            j += close;
        } else {
            j += 1;
        }
    }
    0
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
    fn comments_hide_headings_and_tasks_as_a_reader_sees_them() {
        let text = "## Talk about\n%%\n## Log\n- 2026-01-01 template\n%%\n\
                    <!-- ## Follow-ups\n- [ ] template task -->\n\
                    - [ ] real task %% note %%\n\
                    `%%` is code, so this line is text\n\
                    ## Log\n\
                    ```\n%%\n```\n\
                    - 2026-01-02 real\n\
                    > %% in a callout %%\n";
        let s = scan(text);
        let kinds: Vec<&LineKind> = s.lines.iter().map(|l| &l.kind).collect();
        for (i, kind) in kinds.iter().enumerate().take(7).skip(1) {
            assert_eq!(*kind, &LineKind::Comment, "line {}", i + 1);
        }
        assert!(matches!(
            kinds[7],
            LineKind::Task {
                text: "real task %% note %%",
                ..
            }
        ));
        assert_eq!(kinds[8], &LineKind::Other);
        assert!(matches!(
            kinds[9],
            LineKind::Heading {
                level: 2,
                text: "Log"
            }
        ));
        // `%%` inside fenced code opens nothing.
        assert_eq!(kinds[11], &LineKind::Code);
        assert!(matches!(kinds[13], LineKind::Bullet { .. }));
        assert_eq!(kinds[14], &LineKind::Comment);
        assert_eq!(s.unclosed_comment, None);
    }

    #[test]
    fn an_unclosed_comment_hides_the_rest_and_is_flagged() {
        let s = scan("## Log\n- 2026-01-01 a <!-- start\n## Follow-ups\n- [ ] hidden\n");
        assert!(matches!(s.lines[1].kind, LineKind::Bullet { .. }));
        assert_eq!(s.lines[2].kind, LineKind::Comment);
        assert_eq!(s.lines[3].kind, LineKind::Comment);
        assert_eq!(s.unclosed_comment, Some(1));
        let s = scan("a\n%%\nb\n");
        assert_eq!(s.unclosed_comment, Some(1));
        // A stray closer outside a comment is text.
        let s = scan("-->\n## Log\n");
        assert_eq!(s.lines[0].kind, LineKind::Other);
        assert!(matches!(s.lines[1].kind, LineKind::Heading { .. }));
        assert_eq!(s.unclosed_comment, None);
    }

    #[test]
    fn unclosed_front_matter_is_flagged() {
        let s = scan("---\nname: A\n");
        assert_eq!(s.unclosed_front_matter, Some(1));
        assert!(s.front_matter.is_none());
    }
}
