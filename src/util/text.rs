//! Terminal-safe text: the one place that turns untrusted text (calendar
//! titles, locations, names, UIDs, notes) into something safe to print or to
//! show in a notification.
//!
//! A calendar is written by strangers: an invitation can carry ESC/CSI/OSC
//! sequences (recolour, retitle or clear the terminal), C1 controls (0x9B is
//! CSI on some terminals) and bidi controls that make text read backwards.
//! None of that reaches a terminal or a notification server. JSON output does
//! not go through here: serde escapes control characters and JSON is exact.

/// Bidi embeddings, overrides, isolates and direction marks: they reorder
/// what surrounds them, so text from a calendar could disguise itself.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Removes C0 and C1 control characters, DEL and bidi controls. Tabs become
/// spaces; line breaks (CRLF, CR, LF, NEL, U+2028/U+2029) become `\n` when
/// `multiline`, else spaces, and a one-line result is trimmed.
pub fn clean(text: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{0085}' => {
                out.push(if multiline { '\n' } else { ' ' })
            }
            '\t' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    if multiline {
        out
    } else {
        out.trim().to_string()
    }
}

/// Keeps at most `max_chars` characters and `max_lines` lines, ending a
/// shortened text with "…" (always cut on a character boundary; the result,
/// "…" included, has at most `max_chars` characters).
pub fn shorten(text: &str, max_chars: usize, max_lines: usize) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    let mut cut = false;
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        cut = true;
    }
    let joined = lines.join("\n");
    let mut out: String = if joined.chars().count() > max_chars {
        cut = true;
        joined.chars().take(max_chars.saturating_sub(1)).collect()
    } else {
        joined
    };
    if cut {
        let trimmed_len = out.trim_end().len();
        out.truncate(trimmed_len);
        out.push('…');
    }
    out
}

/// Calendar and note text on one line: control characters and bidi
/// controls go ([`clean`]), line breaks become spaces, runs of spaces
/// collapse.
pub fn one_line(s: &str) -> String {
    let cleaned = clean(s, false);
    let mut out = String::with_capacity(cleaned.len());
    for word in cleaned.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// One line of untrusted text for a terminal: cleaned, line breaks as
/// spaces, at most `max_chars` characters.
pub fn line(text: &str, max_chars: usize) -> String {
    shorten(&clean(text, false), max_chars, 1)
}

/// Several lines of untrusted text for a terminal: cleaned, at most
/// `max_chars` characters and `max_lines` lines.
pub fn lines(text: &str, max_chars: usize, max_lines: usize) -> String {
    shorten(&clean(text, true), max_chars, max_lines)
}

/// What every text command prints goes through this writer: each line is
/// passed through [`clean`] (line breaks kept), so no note, feed, file name
/// or error reaches the terminal with a control sequence, whichever part of
/// a command printed it. JSON output does not go through it (see the module
/// comment). Lines are written when complete; [`std::io::Write::flush`]
/// writes a partial one (cut on a character boundary).
pub struct TerminalWriter<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: std::io::Write> TerminalWriter<W> {
    pub fn new(inner: W) -> TerminalWriter<W> {
        TerminalWriter {
            inner,
            pending: Vec::new(),
        }
    }

    /// Cleans and writes the first `len` pending bytes.
    fn emit(&mut self, len: usize) -> std::io::Result<()> {
        let rest = self.pending.split_off(len);
        let done = std::mem::replace(&mut self.pending, rest);
        let cleaned = clean(&String::from_utf8_lossy(&done), true);
        self.inner.write_all(cleaned.as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for TerminalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(end) = memchr::memrchr(b'\n', &self.pending) {
            self.emit(end + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // A character cut between two writes waits for its other bytes.
        let whole = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        self.emit(whole)?;
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for TerminalWriter<W> {
    fn drop(&mut self) {
        let all = self.pending.len();
        let _ = self.emit(all);
    }
}

/// Prints `rapport: LINE` on stderr, cleaned: errors and warnings quote
/// notes, feeds and file names.
pub fn eprint(line: &str) {
    eprintln!("rapport: {}", clean(line, true));
}

/// How long a title, location or name may be on a terminal line.
pub const TITLE_CHARS: usize = 200;

/// How long one attendee or calendar name may be on a terminal line.
pub const NAME_CHARS: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_removed() {
        let s = "a\u{1b}[31mb\u{9b}c\u{7f}d\u{202E}e\u{2066}f\u{2069}\u{200F}\u{061C}g\u{7}";
        assert_eq!(line(s, 100), "a[31mbcdefg");
        assert_eq!(clean("x\r\ny\rz\u{2028}w\tv", true), "x\ny\nz\nw v");
        assert_eq!(clean("  x\r\ny \n", false), "x y");
    }

    #[test]
    fn the_terminal_writer_cleans_every_line_it_passes() {
        use std::io::Write;
        let mut out = Vec::new();
        {
            let mut w = TerminalWriter::new(&mut out);
            write!(w, "a\u{1b}]52;c;aGk=\u{7}b\n\u{1b}[2J").unwrap();
            // A character split across two writes stays whole.
            let e = "é".as_bytes();
            w.write_all(&e[..1]).unwrap();
            w.flush().unwrap();
            w.write_all(&e[1..]).unwrap();
            write!(w, "\u{202E}\u{9b}31m\r\nend\tx").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a]52;c;aGk=b\n[2Jé31m\nend x"
        );
    }

    #[test]
    fn shortening_ends_on_a_character_boundary() {
        let s = "é".repeat(500);
        let got = line(&s, 10);
        assert_eq!(got.chars().count(), 10);
        assert!(got.ends_with('…'));
        assert_eq!(line("short", 10), "short");
        assert_eq!(lines("a\nb\nc", 100, 2), "a\nb…");
    }
}
