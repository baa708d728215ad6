//! vCard 2.1, 3.0 and 4.0 through `vcard-rs` (library `vcard`), wrapped.
//!
//! Why this crate: compared on the team's vendor fixtures (tests/data/vcard,
//! the evaluation in the project notes), it was the only one that read
//! every field of the Apple, Google, Outlook 2.1 and Nextcloud 4.0 files:
//! it parses bytes, so Outlook's raw Windows-1252 values, 2.1
//! QUOTED-PRINTABLE soft line breaks and a fold inside a UTF-8 sequence all
//! come out right. calcard silently cut `BDAY:--03-14` to `--03` and
//! `1985-03-14` to `1985-03` in 4.0 cards; vcard4, vobject and ical fail 2.1
//! or a BOM outright.
//!
//! What this wrapper adds, each measured on the fixtures:
//! - a UTF-8 BOM is stripped (the crate rejects `\u{feff}BEGIN`);
//! - the file is cut into cards here, and each is parsed alone: the crate's
//!   `parse_many` stops for good at the first bad card, losing the rest;
//!   a card without `END` is closed at the next `BEGIN`; a line without a
//!   colon is dropped (with a warning) and the card parsed again;
//! - QUOTED-PRINTABLE and CHARSET values are decoded through the crate's
//!   value cursor, and a value that is not UTF-8 without a CHARSET is read
//!   as Windows-1252 (what old Outlook exports are);
//! - dates are normalised here (the crate keeps BDAY as written):
//!   `19850314`, `1985-03-14`, `--0314`, `--03-14`, with a time cut off,
//!   and Apple's `X-APPLE-OMIT-YEAR=1604` year dropped;
//! - Apple's item groups: `itemN.X-ABLabel` labels the `X-ABRELATEDNAMES`
//!   of its group (`_$!<Child>!$_` is `child`); 4.0 `RELATED;TYPE=` uses the
//!   same path, and a `urn:uuid:` pointing at a card in the file becomes
//!   that card's name.

use std::collections::HashMap;

use vcard::tree::cst::VcardCst;
use vcard::tree::line::VcardLine;
use vcard::tree::value::cursor::VcardValueCursor;

use super::{one_line, Card, CardKind};
use crate::people::PartialDate;

/// A card's bytes and the line it starts on.
struct Chunk {
    bytes: Vec<u8>,
    line: usize,
}

pub(super) fn read(bytes: &[u8]) -> (Vec<Card>, Vec<String>) {
    let mut warnings = Vec::new();
    let chunks = chunks(
        bytes.strip_prefix(super::BOM).unwrap_or(bytes),
        &mut warnings,
    );
    let mut cards = Vec::with_capacity(chunks.len());
    // Where RELATED points at another card by its UID: (card index, uid, relation).
    let mut references: Vec<(usize, String, Option<String>)> = Vec::new();
    let mut uids: HashMap<String, usize> = HashMap::new();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let mut card = Card {
            number: i + 1,
            line: chunk.line,
            ..Card::default()
        };
        match parse_chunk(&chunk.bytes) {
            Ok((cst, dropped)) => {
                for line in dropped {
                    card.warnings.push(format!(
                        "line {}: not a vCard property (no `:`); left out",
                        chunk.line + line
                    ));
                }
                let found = read_card(&cst, &mut card);
                if let Some(uid) = found.uid {
                    uids.entry(uid.to_lowercase()).or_insert(i);
                }
                for (uid, relation) in found.references {
                    references.push((i, uid, relation));
                }
            }
            Err(e) => card.unreadable = Some(e),
        }
        cards.push(card);
    }
    for (i, uid, relation) in references {
        match uids.get(&uid.to_lowercase()).and_then(|&j| cards[j].contact.name.clone()) {
            Some(name) => cards[i].add_related(&name, relation.as_deref()),
            None => cards[i].warnings.push(format!(
                "RELATED points at urn:uuid:{uid}, which is not a card in this file with a name; left out"
            )),
        }
    }
    (cards, warnings)
}

/// Cuts the file into `BEGIN:VCARD` ... `END:VCARD` chunks. Text outside
/// cards is ignored; a `BEGIN` inside an open card closes it (warned), and
/// so does the end of the file. A 2.1 `AGENT:` card nested in a card is
/// skipped with it.
fn chunks(bytes: &[u8], warnings: &mut Vec<String>) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut current: Option<Chunk> = None;
    let mut agent_depth = 0usize;
    let mut previous_was_agent = false;
    for (n, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let number = n + 1;
        let trimmed = line.trim_ascii();
        let is_begin = trimmed.eq_ignore_ascii_case(b"BEGIN:VCARD");
        let is_end = trimmed.eq_ignore_ascii_case(b"END:VCARD");
        let agent_line = is_agent_opener(trimmed);
        match current.as_mut() {
            None if is_begin => {
                current = Some(Chunk {
                    bytes: line.to_vec(),
                    line: number,
                })
            }
            None => {}
            Some(_) if agent_depth > 0 => {
                if is_begin {
                    agent_depth += 1;
                } else if is_end {
                    agent_depth -= 1;
                }
            }
            Some(_) if is_begin && previous_was_agent => agent_depth = 1,
            Some(chunk) if is_begin => {
                warnings.push(format!(
                    "line {number}: a card starts before the one at line {} ended; that one is read up to here",
                    chunk.line
                ));
                let done = std::mem::replace(
                    chunk,
                    Chunk {
                        bytes: line.to_vec(),
                        line: number,
                    },
                );
                out.push(close(done));
            }
            Some(chunk) => {
                chunk.bytes.extend_from_slice(line);
                if is_end {
                    out.extend(current.take());
                }
            }
        }
        previous_was_agent = agent_line;
    }
    if let Some(chunk) = current {
        warnings.push(format!(
            "the card at line {} has no END:VCARD; it is read to the end of the file",
            chunk.line
        ));
        out.push(close(chunk));
    }
    out
}

/// `AGENT:` (2.1) with an empty value: a nested card follows.
fn is_agent_opener(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let head = &line[..colon];
    let name = head.split(|&b| b == b';').next().unwrap_or(head);
    let bare = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    bare.eq_ignore_ascii_case(b"AGENT") && line[colon + 1..].trim_ascii().is_empty()
}

fn close(mut chunk: Chunk) -> Chunk {
    if !chunk.bytes.ends_with(b"\n") {
        chunk.bytes.extend_from_slice(b"\r\n");
    }
    chunk.bytes.extend_from_slice(b"END:VCARD\r\n");
    chunk
}

/// Parses one card; on failure drops the lines that cannot be properties
/// (no colon, not a fold, not a QUOTED-PRINTABLE continuation) and tries
/// once more. Returns the card and the 0-based lines dropped.
fn parse_chunk(bytes: &[u8]) -> Result<(VcardCst<'_>, Vec<usize>), String> {
    let first_error = match VcardCst::parse(bytes) {
        Ok(cst) => return Ok((cst.into_static(), Vec::new())),
        Err(e) => e,
    };
    let mut kept = Vec::with_capacity(bytes.len());
    let mut dropped = Vec::new();
    let mut in_soft_break = false;
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let content = line.trim_ascii_end();
        let continuation = in_soft_break || line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        let keep = continuation || content.is_empty() || content.contains(&b':');
        if keep {
            kept.extend_from_slice(line);
        } else {
            dropped.push(i);
        }
        let upper = content.to_ascii_uppercase();
        in_soft_break = keep
            && content.ends_with(b"=")
            && (in_soft_break || contains(&upper, b"QUOTED-PRINTABLE"));
    }
    if dropped.is_empty() {
        return Err(clip(&first_error.to_string()));
    }
    match VcardCst::parse(&kept) {
        Ok(cst) => Ok((cst.into_static(), dropped)),
        Err(_) => Err(clip(&first_error.to_string())),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A parser message quotes the offending text: keep it short.
fn clip(message: &str) -> String {
    let one = one_line(message).unwrap_or_default();
    match one.char_indices().nth(120) {
        Some((at, _)) => format!("{}...", &one[..at]),
        None => one,
    }
}

/// What a card says about itself beyond [`Card`]'s fields.
#[derive(Default)]
struct Found {
    uid: Option<String>,
    /// RELATED values that are `urn:uuid:` references: (uid, relation).
    references: Vec<(String, Option<String>)>,
}

fn read_card(cst: &VcardCst<'_>, card: &mut Card) -> Found {
    let mut found = Found::default();
    // Apple/Google item groups: `item3.X-ABLabel:_$!<Child>!$_`.
    let mut labels: HashMap<String, String> = HashMap::new();
    for line in &cst.props {
        if line.bare_name().eq_ignore_ascii_case("X-ABLABEL") {
            if let Some(group) = line.group() {
                labels.insert(group.to_lowercase(), apple_label(&text(line)));
            }
        }
    }
    let (mut formatted, mut structured) = (None, None);
    let mut title = None;
    let mut role = None;
    let mut show_as_company = false;
    for line in &cst.props {
        let name = line.bare_name().to_ascii_uppercase();
        match name.as_str() {
            "FN" => formatted = one_line(&text(line)),
            "N" => structured = name_from_n(&components(line)),
            "EMAIL" => card.add_email(&text(line)),
            "TEL" => card.add_phone(&text(line)),
            "ORG" if card.contact.org.is_none() => {
                // The company and its units, as a note's `org` reads
                // ("Acme GmbH, Sales"): the department is worth knowing.
                let units: Vec<String> = components(line)
                    .iter()
                    .filter_map(|u| one_line(u))
                    .collect();
                card.contact.org = (!units.is_empty()).then(|| units.join(", "));
            }
            "TITLE" => title = title.or_else(|| one_line(&text(line))),
            "ROLE" => role = role.or_else(|| one_line(&text(line))),
            "BDAY" => {
                let raw = text(line);
                if param_values(line, "VALUE").iter().any(|v| v == "text") {
                    card.warnings
                        .push(format!("birthday {raw:?} is not a date; left out"));
                } else if card.contact.birthday.is_none() {
                    // `X-APPLE-OMIT-YEAR=1604` names the year that means
                    // none; written bare, the value's year means none.
                    let omit_param = line
                        .params
                        .iter()
                        .any(|p| p.name.get().eq_ignore_ascii_case("X-APPLE-OMIT-YEAR"));
                    let omit = param_values(line, "X-APPLE-OMIT-YEAR")
                        .first()
                        .and_then(|y| y.parse().ok());
                    let date = vcard_date(&raw, omit).map(|d| match (omit_param, omit) {
                        (true, None) => PartialDate::new(None, d.month(), d.day()).unwrap_or(d),
                        _ => d,
                    });
                    match date {
                        Some(d) => card.contact.birthday = Some(d),
                        None => card
                            .warnings
                            .push(format!("birthday {raw:?} is not a date; left out")),
                    }
                }
            }
            "RELATED" => {
                let relation = param_values(line, "TYPE").into_iter().next();
                let value = text(line);
                let is_text = param_values(line, "VALUE").iter().any(|v| v == "text");
                match value.trim().strip_prefix("urn:uuid:") {
                    Some(uid) if !is_text => found.references.push((uid.to_string(), relation)),
                    // Another URI (mailto:, http:) names nobody.
                    _ if !is_text && looks_like_uri(&value) => {}
                    _ => card.add_related(&value, relation.as_deref()),
                }
            }
            "X-ABRELATEDNAMES" => {
                let relation = line.group().and_then(|g| labels.get(&g.to_lowercase()));
                card.add_related(&text(line), relation.map(String::as_str));
            }
            "KIND" | "X-ADDRESSBOOKSERVER-KIND" => {
                card.kind = match text(line).trim().to_ascii_lowercase().as_str() {
                    "group" => CardKind::Group,
                    "org" | "organization" => CardKind::Organization,
                    _ => card.kind,
                }
            }
            "X-ABSHOWAS" => show_as_company |= text(line).trim().eq_ignore_ascii_case("COMPANY"),
            "UID" => found.uid = one_line(&text(line)),
            _ => {}
        }
    }
    card.contact.role = title.or(role);
    card.contact.name = formatted.or(structured.clone());
    // A card named by its organisation alone is the organisation (Google's
    // company entries, Apple's when "show as company" is off).
    let named_by_org = structured.is_none()
        && match (&card.contact.name, &card.contact.org) {
            (Some(n), Some(o)) => n == o,
            _ => false,
        };
    if card.kind == CardKind::Person && (show_as_company || named_by_org) {
        card.kind = CardKind::Organization;
    }
    found
}

/// `Given Additional Family` from N's components (family;given;additional;
/// prefixes;suffixes); `None` when they are all empty.
fn name_from_n(parts: &[String]) -> Option<String> {
    let get = |i: usize| parts.get(i).map(String::as_str).unwrap_or("");
    one_line(&format!("{} {} {}", get(1), get(2), get(0)))
}

/// `_$!<Child>!$_` -> `child`; a custom label as typed, lower-case.
fn apple_label(label: &str) -> String {
    let l = label.trim();
    let inner = l
        .strip_prefix("_$!<")
        .and_then(|r| r.strip_suffix(">!$_"))
        .unwrap_or(l);
    inner.to_lowercase()
}

fn looks_like_uri(value: &str) -> bool {
    let v = value.trim();
    match v.split_once(':') {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Values of the parameters named `name`: `TYPE=a,b;TYPE="c,d"` is
/// `[a, b, c, d]`, lower-case. Also 2.1's bare `TYPE` values (`TEL;WORK`)
/// are not named, so they are not here.
fn param_values(line: &VcardLine<'_>, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for param in line
        .params
        .iter()
        .filter(|p| p.name.get().eq_ignore_ascii_case(name))
    {
        for v in &param.values {
            for part in v.get().trim_matches('"').split(',') {
                let part = part.trim().trim_matches('"');
                if !part.is_empty() {
                    out.push(part.to_lowercase());
                }
            }
        }
    }
    out
}

/// Whether the value must be decoded by hand: QUOTED-PRINTABLE, a CHARSET,
/// or bytes that are not UTF-8.
fn needs_transcoding(line: &VcardLine<'_>) -> bool {
    line.params.iter().any(|p| {
        let name = p.name.get();
        name.eq_ignore_ascii_case("CHARSET")
            || (name.eq_ignore_ascii_case("ENCODING")
                && p.values
                    .iter()
                    .any(|v| v.get().eq_ignore_ascii_case("QUOTED-PRINTABLE")))
            || (p.values.is_empty() && name.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
    }) || std::str::from_utf8(&line.value.decode_bytes()).is_err()
}

/// The whole value as text, unescaped and decoded.
fn text(line: &VcardLine<'_>) -> String {
    if needs_transcoding(line) {
        transcoded(line)
    } else {
        line.value.decode().into_owned()
    }
}

/// The `;`-separated components (N, ORG), unescaped and decoded.
fn components(line: &VcardLine<'_>) -> Vec<String> {
    if needs_transcoding(line) {
        // Unescaped already, so a `\;` inside a component would split here;
        // 2.1 (where QUOTED-PRINTABLE and CHARSET live) has no such escape.
        transcoded(line).split(';').map(str::to_string).collect()
    } else {
        (0..line.value.component_count())
            .map(|i| line.value.decode_component(i).into_owned())
            .collect()
    }
}

fn transcoded(line: &VcardLine<'_>) -> String {
    let declared = line
        .params
        .iter()
        .any(|p| p.name.get().eq_ignore_ascii_case("CHARSET"));
    // The cursor borrows mutably (it can also edit); reading needs a copy.
    let mut line = line.clone();
    let cursor = VcardValueCursor { line: &mut line };
    let bytes = cursor.quoted_printable();
    if declared {
        return cursor.charset();
    }
    match String::from_utf8(bytes) {
        Ok(s) => s,
        // No CHARSET and not UTF-8: the ANSI code page of the Windows
        // programs that write such files.
        Err(e) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(e.as_bytes())
            .0
            .into_owned(),
    }
}

/// The year Apple writes for "no year" (iCloud and iOS also without
/// `X-APPLE-OMIT-YEAR`); nobody in an address book was born in it.
const APPLE_NO_YEAR: i32 = 1604;

/// A vCard date: `19850314`, `1985-03-14`, `--0314`, `--03-14`, any of them
/// with a `T...` time. With `omit_year` (`X-APPLE-OMIT-YEAR=1604`) that year
/// means none; so does Apple's 1604 alone.
pub(super) fn vcard_date(raw: &str, omit_year: Option<i32>) -> Option<PartialDate> {
    let t = raw.trim();
    let date = match t.find(['T', 't']) {
        Some(at) => &t[..at],
        None => t,
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let num = |s: &str| -> Option<u32> { digits(s).then(|| s.parse().ok()).flatten() };
    let (year, month, day) = if let Some(rest) = date.strip_prefix("--") {
        let (m, d) = match rest.len() {
            4 => (&rest[..2], &rest[2..]),
            5 if rest.as_bytes()[2] == b'-' => (&rest[..2], &rest[3..]),
            _ => return None,
        };
        (None, num(m)?, num(d)?)
    } else {
        let (y, m, d) = match date.len() {
            8 => (&date[..4], &date[4..6], &date[6..]),
            10 if date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-' => {
                (&date[..4], &date[5..7], &date[8..])
            }
            _ => return None,
        };
        let y = num(y)? as i32;
        let year = Some(y).filter(|&y| Some(y) != omit_year && y != APPLE_NO_YEAR);
        (year, num(m)?, num(d)?)
    };
    PartialDate::new(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_vendor_form() {
        let d = |s: &str, omit| vcard_date(s, omit).map(|d| d.to_string());
        assert_eq!(d("19850314", None).as_deref(), Some("1985-03-14"));
        assert_eq!(d("1985-03-14", None).as_deref(), Some("1985-03-14"));
        assert_eq!(
            d("1985-03-14T00:00:00Z", None).as_deref(),
            Some("1985-03-14")
        );
        assert_eq!(d("19850314T120000", None).as_deref(), Some("1985-03-14"));
        assert_eq!(d("--0314", None).as_deref(), Some("--03-14"));
        assert_eq!(d("--03-14", None).as_deref(), Some("--03-14"));
        assert_eq!(d("1604-03-14", Some(1604)).as_deref(), Some("--03-14"));
        assert_eq!(d("1604-03-14", None).as_deref(), Some("--03-14"));
        assert_eq!(d("16040229", None).as_deref(), Some("--02-29"));
        assert_eq!(d("1900-03-14", Some(1900)).as_deref(), Some("--03-14"));
        assert_eq!(d("1985-03-14", Some(1604)).as_deref(), Some("1985-03-14"));
        assert_eq!(d("--0229", None).as_deref(), Some("--02-29"));
        for bad in [
            "circa 1960",
            "1985-03",
            "1985",
            "---14",
            "--1314",
            "19850230",
            "",
        ] {
            assert_eq!(d(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn apple_labels() {
        assert_eq!(apple_label("_$!<Child>!$_"), "child");
        assert_eq!(apple_label("Chess buddy"), "chess buddy");
    }

    #[test]
    fn nested_agent_card_is_skipped_with_it() {
        let file = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Boss\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nFN:Assistant\r\nEND:VCARD\r\nEMAIL:boss@acme.example\r\nEND:VCARD\r\n";
        let mut warnings = Vec::new();
        let chunks = chunks(file, &mut warnings);
        assert_eq!(chunks.len(), 1);
        assert!(warnings.is_empty(), "{warnings:?}");
        let text = String::from_utf8(chunks[0].bytes.clone()).unwrap();
        assert!(
            text.contains("boss@acme.example") && !text.contains("Assistant"),
            "{text}"
        );
    }
}
