//! Tolerant, fast iCalendar (RFC 5545) reader: bytes -> content lines ->
//! properties, plus the value parsers the engine needs (DATE, DATE-TIME,
//! DURATION, PERIOD, TEXT).
//!
//! Why not the `icalendar` crate (0.17.17) here: its parser rejects a whole
//! file on one bad line. Measured on the 218 calendar files under
//! `../shared/corpus` it rejects 24, e.g. `recurring-ical-events/issue_201_test_matrix.ics`
//! (one `END:VTOOD` typo loses all eight VEVENTs; this reader keeps them and
//! `tests/conformance.rs` checks them) and files with two VCALENDARs
//! (`libical/incoming.ics`, `libical/2446.ics`). Issue 2 also measured that it keeps only one RRULE,
//! and with `rrule` it takes 0.61 s on the 10k-event benchmark feed against a
//! 0.026 s read-and-unfold floor (`shared/bench/README.md`). This reader makes
//! one pass over the bytes and borrows everything: a line is a slice of the
//! input, unfolded (and decoded) only when somebody asks for its value, so
//! properties and components the engine skips (VALARM, X-ALT-DESC, ...) cost
//! no allocation. Parse + expand of that feed costs about 3x the floor
//! (`examples/window.rs`).
//!
//! Tolerance: UTF-8 BOM; CRLF, LF and lone CR line endings; folds (a line
//! break followed by one space or tab) are removed on bytes before UTF-8
//! decoding, so a fold inside a multi-byte character is harmless; invalid UTF-8
//! is decoded lossily; names compare case-insensitively; quoted parameter
//! values may contain `;`, `:` and `,`. Nothing here panics on any input.

use std::borrow::Cow;
use std::ops::Range;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// One logical (unfolded) content line, still as raw bytes of the input.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// 1-based physical line number where this content line starts.
    pub number: usize,
    /// Byte offset of the line's first byte in the input.
    pub offset: usize,
    /// The raw bytes including any folds (line break + whitespace), without
    /// the final line break.
    raw: &'a [u8],
    /// True when `raw` contains folds that must be removed.
    folded: bool,
}

impl<'a> Line<'a> {
    /// The line with folds removed; borrowed unless it was folded.
    pub fn unfolded(&self) -> Cow<'a, [u8]> {
        if !self.folded {
            return Cow::Borrowed(self.raw);
        }
        let mut out = Vec::with_capacity(self.raw.len());
        let raw = self.raw;
        let mut i = 0;
        while i < raw.len() {
            match raw[i] {
                b'\r' | b'\n' => {
                    // Skip the line break (CRLF, LF or CR) and the one
                    // whitespace character that marks the fold.
                    if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    i += 1;
                    if matches!(raw.get(i), Some(b' ') | Some(b'\t')) {
                        i += 1;
                    }
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        Cow::Owned(out)
    }

    /// The property (or BEGIN/END) name as written, up to `;` or `:`.
    pub fn name(&self) -> Cow<'a, [u8]> {
        let end = self
            .raw
            .iter()
            .position(|&c| matches!(c, b';' | b':' | b'\r' | b'\n'))
            .unwrap_or(self.raw.len());
        if matches!(self.raw.get(end), Some(b'\r') | Some(b'\n')) {
            // A fold inside the name: rare, so pay for unfolding.
            return match self.unfolded() {
                Cow::Owned(mut v) => {
                    let e = v
                        .iter()
                        .position(|&c| c == b';' || c == b':')
                        .unwrap_or(v.len());
                    v.truncate(e);
                    Cow::Owned(v)
                }
                Cow::Borrowed(b) => Cow::Borrowed(b),
            };
        }
        Cow::Borrowed(&self.raw[..end])
    }

    /// True when the line has neither `;` nor `:`: not a content line at all.
    pub fn is_malformed(&self) -> bool {
        memchr::memchr2(b':', b';', self.raw).is_none()
    }

    /// Case-insensitive comparison of the name with an upper-case ASCII name.
    pub fn is(&self, name: &str) -> bool {
        let n = name.as_bytes();
        // Fast path for the common unfolded name.
        if self.raw.len() > n.len()
            && self.raw[..n.len()].eq_ignore_ascii_case(n)
            && matches!(self.raw[n.len()], b';' | b':')
        {
            return true;
        }
        if !self.folded {
            return false;
        }
        self.name().eq_ignore_ascii_case(n)
    }

    /// For `BEGIN:X` / `END:X` lines: the component name (value), trimmed.
    /// Returns `None` for other lines.
    pub fn begin_end(&self) -> Option<(bool, Cow<'a, [u8]>)> {
        // Most lines are properties: rejected on their first letter (a
        // content line never starts with its fold).
        if !matches!(self.raw.first(), Some(b'B' | b'b' | b'E' | b'e')) {
            return None;
        }
        let begin = if self.is("BEGIN") {
            true
        } else if self.is("END") {
            false
        } else {
            return None;
        };
        let bytes = self.unfolded();
        let colon = bytes.iter().position(|&c| c == b':')?;
        let value = match bytes {
            Cow::Borrowed(b) => Cow::Borrowed(trim_bytes(&b[colon + 1..])),
            Cow::Owned(v) => Cow::Owned(trim_bytes(&v[colon + 1..]).to_vec()),
        };
        Some((begin, value))
    }

    /// Parses the line into name, parameters and value. Fails only when the
    /// line has no `:` outside quotes (RFC 5545 3.1 requires one).
    pub fn parse(&self) -> Result<Property<'a>, String> {
        let text = match self.unfolded() {
            // `from_utf8` validates ASCII in wide steps; the lossy decoder
            // walks every byte (2% of a 10k agenda), so it is only the fallback.
            Cow::Borrowed(b) => match std::str::from_utf8(b) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(b),
            },
            Cow::Owned(v) => Cow::Owned(match String::from_utf8(v) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            }),
        };
        Property::split(text)
    }
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Iterator over the content lines of an iCalendar stream.
pub struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
    /// Physical line number of the byte at `pos` (1-based).
    line: usize,
}

/// Splits `data` into unfolded content lines. A UTF-8 BOM is skipped; empty
/// lines are skipped.
pub fn lines(data: &[u8]) -> Lines<'_> {
    let pos = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    Lines { data, pos, line: 1 }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let data = self.data;
        loop {
            if self.pos >= data.len() {
                return None;
            }
            let start = self.pos;
            let number = self.line;
            let mut folded = false;
            let mut search = start;
            let end = loop {
                let Some(rel) = memchr::memchr2(b'\n', b'\r', &data[search..]) else {
                    self.pos = data.len();
                    break data.len();
                };
                let brk = search + rel;
                let after = if data[brk] == b'\r' && data.get(brk + 1) == Some(&b'\n') {
                    brk + 2
                } else {
                    brk + 1
                };
                self.line += 1;
                match data.get(after) {
                    Some(b' ' | b'\t') => {
                        folded = true;
                        search = after + 1;
                        continue;
                    }
                    // Blank lines before a continuation (old Mozilla exports write
                    // `UID\r\n\r\n :123`) do not end the fold: a line never starts with
                    // a blank, so the continuation belongs to this line.
                    Some(b'\r' | b'\n') => {
                        if let Some(next) = fold_after_blank_lines(data, after, &mut self.line) {
                            folded = true;
                            search = next + 1;
                            continue;
                        }
                    }
                    _ => {}
                }
                self.pos = after;
                break brk;
            };
            if end == start {
                continue; // empty line
            }
            let raw = &data[start..end];
            // A line of only whitespace carries nothing.
            if raw.iter().all(|c| c.is_ascii_whitespace()) {
                continue;
            }
            return Some(Line {
                number,
                offset: start,
                raw,
                folded,
            });
        }
    }
}

/// From `at` (the start of a blank line), the position of the blank or tab that continues the
/// line before the blank lines (counting the line breaks passed in `line`); `None` when the next
/// non-blank line is a line of its own. Out of line: blank lines are rare, and the loop that
/// splits lines is the hottest of the reader.
#[cold]
#[inline(never)]
fn fold_after_blank_lines(data: &[u8], mut at: usize, line: &mut usize) -> Option<usize> {
    let mut breaks = 0;
    while let Some(&c) = data.get(at) {
        match c {
            b'\r' => {
                at += if data.get(at + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                breaks += 1;
            }
            b'\n' => {
                at += 1;
                breaks += 1;
            }
            b' ' | b'\t' => {
                *line += breaks;
                return Some(at);
            }
            _ => return None,
        }
    }
    None
}

/// A parsed content line. The text is decoded (lossy UTF-8) and unfolded;
/// name, parameters and value are ranges into it.
#[derive(Debug, Clone)]
pub struct Property<'a> {
    text: Cow<'a, str>,
    name: Range<usize>,
    /// (name, raw value including quotes) per parameter.
    params: Vec<(Range<usize>, Range<usize>)>,
    value: usize,
}

impl<'a> Property<'a> {
    fn split(text: Cow<'a, str>) -> Result<Property<'a>, String> {
        let b = text.as_bytes();
        let name_end = b
            .iter()
            .position(|&c| c == b';' || c == b':')
            .ok_or_else(|| "line has no ':' (expected NAME:VALUE)".to_string())?;
        let mut params = Vec::new();
        let mut i = name_end;
        while i < b.len() && b[i] == b';' {
            let pstart = i + 1;
            let mut j = pstart;
            while j < b.len() && !matches!(b[j], b'=' | b';' | b':') {
                j += 1;
            }
            let pname = pstart..j;
            if j < b.len() && b[j] == b'=' {
                let vstart = j + 1;
                let mut k = vstart;
                let mut quoted = false;
                while k < b.len() {
                    match b[k] {
                        b'"' => quoted = !quoted,
                        b';' | b':' if !quoted => break,
                        _ => {}
                    }
                    k += 1;
                }
                params.push((pname, vstart..k));
                i = k;
            } else {
                // A parameter without '=' (invalid, seen in the wild): keep
                // its name with an empty value.
                params.push((pname, j..j));
                i = j;
            }
        }
        if i >= b.len() || b[i] != b':' {
            return Err(
                "line has no ':' after its parameters (expected NAME;PARAM=V:VALUE)".into(),
            );
        }
        Ok(Property {
            name: 0..name_end,
            params,
            value: i + 1,
            text,
        })
    }

    /// The name as written (compare with `eq_ignore_ascii_case`).
    pub fn name(&self) -> &str {
        self.text[self.name.clone()].trim()
    }

    /// The raw value (not unescaped), trimmed of surrounding whitespace.
    pub fn value(&self) -> &str {
        self.text[self.value..].trim()
    }

    /// The value as TEXT (RFC 5545 3.3.11): backslash escapes resolved.
    pub fn text(&self) -> Cow<'_, str> {
        unescape_text(self.value())
    }

    /// The first value of parameter `name` (case-insensitive), unquoted and
    /// with RFC 6868 `^` escapes resolved.
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.params
            .iter()
            .find(|(n, _)| self.text[n.clone()].trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| {
                let raw = &self.text[v.clone()];
                split_param_values(raw)
                    .next()
                    .map(unquote_param)
                    .unwrap_or(Cow::Borrowed(""))
            })
    }

    /// True when parameter `name` has the value `value` (both case-insensitive).
    pub fn param_is(&self, name: &str, value: &str) -> bool {
        self.param(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
    }
}

/// Splits a parameter value list at commas outside quotes.
fn split_param_values(raw: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(raw);
    std::iter::from_fn(move || {
        let s = rest?;
        let mut quoted = false;
        for (i, c) in s.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    rest = Some(&s[i + 1..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

fn unquote_param(v: &str) -> Cow<'_, str> {
    let v = v.trim();
    let v = v
        .strip_prefix('"')
        .map(|s| s.strip_suffix('"').unwrap_or(s))
        .unwrap_or(v);
    if !v.contains('^') {
        return Cow::Borrowed(v);
    }
    // RFC 6868: ^n newline, ^' double quote, ^^ caret.
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some('\'') => out.push('"'),
            Some('^') => out.push('^'),
            Some(other) => {
                out.push('^');
                out.push(other);
            }
            None => out.push('^'),
        }
    }
    Cow::Owned(out)
}

/// Resolves TEXT escapes: `\\`, `\;`, `\,`, `\n`/`\N`. Unknown escapes keep
/// the character after the backslash (Outlook writes `\:`).
pub fn unescape_text(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') | Some('N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// A DATE or DATE-TIME value as written (zone not yet applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimeValue {
    Date(NaiveDate),
    /// Local (floating or with a TZID) date-time.
    Local(NaiveDateTime),
    /// Ends in `Z`.
    Utc(NaiveDateTime),
}

impl TimeValue {
    /// The wall-clock value (midnight for dates).
    pub fn naive(&self) -> NaiveDateTime {
        match *self {
            TimeValue::Date(d) => d.and_time(NaiveTime::MIN),
            TimeValue::Local(n) | TimeValue::Utc(n) => n,
        }
    }
}

/// Parses `YYYYMMDD` (also `YYYY-MM-DD`, seen in hand-made files).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let digits: Cow<str> = if s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' {
        Cow::Owned(s.replace('-', ""))
    } else {
        Cow::Borrowed(s)
    };
    let d = digits.as_bytes();
    if d.len() != 8 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: Range<usize>| digits[r].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(n(0..4)? as i32, n(4..6)?, n(6..8)?)
}

/// Parses a DATE or DATE-TIME value. `VALUE=DATE` is not required: the
/// shape decides (files write `DTSTART:20200101` for all-day events).
/// Seconds may be missing and `60` (leap second) is read as 59.
pub fn parse_time_value(s: &str) -> Option<TimeValue> {
    let s = s.trim();
    let Some(t) = s.find(['T', 't']) else {
        return parse_date(s).map(TimeValue::Date);
    };
    let date = parse_date(&s[..t])?;
    let mut rest = &s[t + 1..];
    let utc = rest.ends_with(['Z', 'z']);
    if utc {
        rest = &rest[..rest.len() - 1];
    }
    let rb = rest.as_bytes();
    if !(rb.len() == 6 || rb.len() == 4) || !rb.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: Range<usize>| rest[r].parse::<u32>().ok();
    let sec = if rb.len() == 6 { n(4..6)?.min(59) } else { 0 };
    let time = NaiveTime::from_hms_opt(n(0..2)?, n(2..4)?, sec)?;
    let dt = date.and_time(time);
    Some(if utc {
        TimeValue::Utc(dt)
    } else {
        TimeValue::Local(dt)
    })
}

/// Parses a DURATION (RFC 5545 3.3.6): `[+-]P[nW][nD][T[nH][nM][nS]]`.
/// Tolerates lower case and the mixed week+day form.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (neg, s) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let s = s.strip_prefix(['P', 'p'])?;
    let mut total: i64 = 0;
    let mut num: Option<i64> = None;
    let mut in_time = false;
    let mut any = false;
    for c in s.chars() {
        match c.to_ascii_uppercase() {
            d @ '0'..='9' => {
                let v = num
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(d as i64 - '0' as i64)?;
                num = Some(v);
            }
            'T' => in_time = true,
            unit => {
                let n = num.take()?;
                let secs = match (unit, in_time) {
                    ('W', _) => 7 * 86_400,
                    ('D', _) => 86_400,
                    ('H', true) => 3_600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(secs)?)?;
                any = true;
            }
        }
    }
    if !any || num.is_some() {
        return None;
    }
    // Bounded so later date arithmetic cannot overflow: 100 years.
    if total > 100 * 366 * 86_400 {
        return None;
    }
    Some(Duration::seconds(if neg { -total } else { total }))
}

/// One RDATE value: a date, a date-time, or a PERIOD (start/end or start/duration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RDateValue {
    At(TimeValue),
    Period(TimeValue, PeriodEnd),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEnd {
    End(TimeValue),
    Duration(Duration),
}

/// Parses the comma-separated values of an RDATE/EXDATE line. Bad items are
/// reported by their text and skipped.
pub fn parse_date_list(value: &str) -> (Vec<RDateValue>, Vec<String>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let parsed = match item.split_once('/') {
            Some((a, b)) => parse_time_value(a).and_then(|start| {
                if b.trim_start().starts_with(['P', 'p', '+', '-']) {
                    parse_duration(b).map(|d| RDateValue::Period(start, PeriodEnd::Duration(d)))
                } else {
                    parse_time_value(b).map(|e| RDateValue::Period(start, PeriodEnd::End(e)))
                }
            }),
            None => parse_time_value(item).map(RDateValue::At),
        };
        match parsed {
            Some(v) => ok.push(v),
            None => bad.push(item.to_string()),
        }
    }
    (ok, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8]) -> Vec<(usize, String)> {
        lines(data)
            .map(|l| {
                (
                    l.number,
                    String::from_utf8_lossy(&l.unfolded()).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn line_endings_bom_and_folds() {
        let data =
            b"\xEF\xBB\xBFBEGIN:VCALENDAR\r\nSUMMARY:a\r\n b\nX:1\rY:2\r\n\tz\r\n\r\nEND:VCALENDAR";
        assert_eq!(
            collect(data),
            vec![
                (1, "BEGIN:VCALENDAR".into()),
                (2, "SUMMARY:ab".into()),
                (4, "X:1".into()),
                (5, "Y:2z".into()),
                (8, "END:VCALENDAR".into()),
            ]
        );
    }

    #[test]
    fn blank_lines_do_not_end_a_fold() {
        // Old Mozilla exports: `UID\r\n\r\n :123` is `UID:123` (issue 10); line numbers
        // still count the blank lines.
        let data = b"UID\r\n\r\n :123\r\nX\n\n\n\tY:1\rZ:2\r\rW:3\n";
        assert_eq!(
            collect(data),
            vec![
                (1, "UID:123".into()),
                (4, "XY:1".into()),
                (8, "Z:2".into()),
                (10, "W:3".into())
            ]
        );
        let l = lines(b"DTSTART;TZID=Europe/Berlin\r\n\r\n :20261201T090000")
            .next()
            .unwrap();
        assert!(l.is("DTSTART"));
        let p = l.parse().unwrap();
        assert_eq!(
            (p.param("TZID").unwrap().as_ref(), p.value()),
            ("Europe/Berlin", "20261201T090000")
        );
        // A blank line before a line of its own ends the line as before.
        assert_eq!(
            collect(b"A:1\r\n\r\nB:2"),
            vec![(1, "A:1".into()), (3, "B:2".into())]
        );
    }

    #[test]
    fn fold_inside_multibyte_character() {
        // "ä" is C3 A4; the fold splits it.
        let data = b"SUMMARY:K\xC3\r\n \xA4se\r\n";
        let l = lines(data).next().unwrap();
        assert_eq!(l.parse().unwrap().text(), "Käse");
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let l = lines(b"SUMMARY:a\xFFb").next().unwrap();
        assert_eq!(l.parse().unwrap().value(), "a\u{FFFD}b");
    }

    #[test]
    fn params_quoted_and_case_insensitive() {
        let l =
            lines(b"attendee;cn=\"Doe; John: Jr\";Partstat=accepted;X=\"a\",\"b\":mailto:J@x.org")
                .next()
                .unwrap();
        assert!(l.is("ATTENDEE"));
        let p = l.parse().unwrap();
        assert_eq!(p.param("CN").unwrap(), "Doe; John: Jr");
        assert!(p.param_is("PARTSTAT", "ACCEPTED"));
        assert_eq!(p.param("x").unwrap(), "a");
        assert_eq!(p.value(), "mailto:J@x.org");
    }

    #[test]
    fn caret_escapes_in_params() {
        let p = lines(b"ATTENDEE;CN=A ^'B^' ^^:x")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(p.param("CN").unwrap(), "A \"B\" ^");
    }

    #[test]
    fn text_unescape() {
        assert_eq!(unescape_text(r"a\, b\; c\\d\ne\N"), "a, b; c\\d\ne\n");
    }

    #[test]
    fn missing_colon_is_an_error_not_a_panic() {
        assert!(lines(b"GARBAGE").next().unwrap().parse().is_err());
        assert!(lines(b"X;P=\"unterminated:x")
            .next()
            .unwrap()
            .parse()
            .is_err());
    }

    #[test]
    fn time_values() {
        assert_eq!(
            parse_time_value("20200101"),
            Some(TimeValue::Date(
                NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
            ))
        );
        assert!(matches!(
            parse_time_value("20200101T100000Z"),
            Some(TimeValue::Utc(_))
        ));
        assert!(matches!(
            parse_time_value("20200101T1000"),
            Some(TimeValue::Local(_))
        ));
        assert_eq!(parse_time_value("2020010"), None);
        assert_eq!(parse_time_value("20201301T100000"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration("P1W"), Some(Duration::days(7)));
        assert_eq!(parse_duration("-P1DT1S"), Some(Duration::seconds(-86_401)));
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT5"), None);
        assert_eq!(parse_duration("P99999999999999999999D"), None);
    }

    #[test]
    fn date_lists_and_periods() {
        let (ok, bad) =
            parse_date_list("20200101T100000Z/PT1H,20200102,junk,20200103T100000/20200103T120000");
        assert_eq!(ok.len(), 3);
        assert_eq!(bad, vec!["junk".to_string()]);
        assert!(matches!(
            ok[0],
            RDateValue::Period(_, PeriodEnd::Duration(_))
        ));
        assert!(matches!(ok[2], RDateValue::Period(_, PeriodEnd::End(_))));
    }
}
