//! Google Contacts CSV ("Export > Google CSV"), read with the `csv` crate
//! (quoted commas, line breaks inside quotes, `""`, a BOM: all measured on
//! tests/data/vcard/google.csv).
//!
//! Columns are found by their header, never by position: Google writes as
//! many `E-mail n - Value`, `Phone n - Value` and `Relation n - ...` columns
//! as the widest contact needs. Both header shapes are read: the current one
//! (`First Name`, `Last Name`, `Organization Name`, `Relation n - Label`) and
//! the older one (`Name`, `Given Name`, `Family Name`, `Organization 1 -
//! Name`, `Relation n - Type`). One cell may hold several values joined by
//! ` ::: `; a leading `* ` marks Google's own labels (`* Work`).

use csv::{ByteRecord, ReaderBuilder};

use super::vcf::vcard_date;
use super::{one_line, Card, CardKind, FormatError};

#[derive(Debug, Default)]
struct Columns {
    first: Option<usize>,
    middle: Option<usize>,
    last: Option<usize>,
    /// The old export's whole `Name`.
    full: Option<usize>,
    org: Option<usize>,
    title: Option<usize>,
    birthday: Option<usize>,
    emails: Vec<usize>,
    phones: Vec<usize>,
    /// (label column, value column)
    relations: Vec<(Option<usize>, usize)>,
}

impl Columns {
    fn new(headers: &[String]) -> Columns {
        let find = |names: &[&str]| {
            headers
                .iter()
                .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
        };
        // `Kind n - Value` columns, and the `Kind n - <label>` beside each.
        let numbered = |kind: &str| -> Vec<(usize, String)> {
            headers
                .iter()
                .enumerate()
                .filter_map(|(i, h)| {
                    let rest = h.strip_prefix(kind)?.strip_prefix(' ')?;
                    let (n, field) = rest.split_once(" - ")?;
                    (n.bytes().all(|b| b.is_ascii_digit()) && field.eq_ignore_ascii_case("value"))
                        .then(|| (i, n.to_string()))
                })
                .collect()
        };
        let relations = numbered("Relation")
            .into_iter()
            .map(|(value, n)| {
                let label = find(&[
                    &format!("Relation {n} - Label"),
                    &format!("Relation {n} - Type"),
                ]);
                (label, value)
            })
            .collect();
        Columns {
            first: find(&["First Name", "Given Name"]),
            middle: find(&["Middle Name", "Additional Name"]),
            last: find(&["Last Name", "Family Name"]),
            full: find(&["Name"]),
            org: find(&["Organization Name", "Organization 1 - Name"]),
            title: find(&["Organization Title", "Organization 1 - Title"]),
            birthday: find(&["Birthday"]),
            emails: numbered("E-mail").into_iter().map(|(i, _)| i).collect(),
            phones: numbered("Phone").into_iter().map(|(i, _)| i).collect(),
            relations,
        }
    }

    fn is_google(&self) -> bool {
        (self.first.is_some() || self.last.is_some() || self.full.is_some())
            && !(self.emails.is_empty() && self.phones.is_empty())
    }
}

/// Cell text: UTF-8, or Windows-1252 when it is not (a file re-saved by a
/// spreadsheet).
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// The values of a cell: split on ` ::: `, Google's `* ` removed, blanks dropped.
fn values(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(":::")
        .map(|v| v.trim())
        .map(|v| v.strip_prefix("* ").unwrap_or(v))
        .filter(|v| !v.is_empty())
}

pub(super) fn read(bytes: &[u8]) -> Result<(Vec<Card>, Vec<String>), FormatError> {
    let not_ours = || {
        FormatError(
            "neither a vCard file (no BEGIN:VCARD) nor a Google Contacts CSV export (no \
             `First Name` and `E-mail 1 - Value` columns in its first line); export the \
             contacts as vCard, or from Google Contacts as \"Google CSV\""
                .into(),
        )
    };
    let mut reader = ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = match reader.byte_headers() {
        Ok(h) => h.iter().map(|f| decode(f).trim().to_string()).collect(),
        Err(_) => return Err(not_ours()),
    };
    let columns = Columns::new(&headers);
    if !columns.is_google() {
        return Err(not_ours());
    }
    let mut cards = Vec::new();
    let mut record = ByteRecord::new();
    // Lines counted here: after a CRLF, csv 1.4 places the next record at
    // the `\n` of that CRLF, one line early (measured); Google writes CRLF.
    let mut lines = LineCounter::new(bytes);
    loop {
        let number = cards.len() + 1;
        let line = lines.at(reader.position().byte() as usize);
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record
                    .position()
                    .map_or(line, |p| lines.at(p.byte() as usize));
                cards.push(card(&columns, &record, number, line));
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| lines.at(p.byte() as usize));
                cards.push(Card {
                    number,
                    line,
                    unreadable: Some(format!("not a CSV record: {e}")),
                    ..Card::default()
                });
                // A broken quote can swallow the rest of the file; an I/O
                // error cannot happen on bytes in memory. Either way, stop.
                if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    break;
                }
            }
        }
    }
    Ok((cards, Vec::new()))
}

/// 1-based line numbers of byte offsets, asked in increasing order.
struct LineCounter<'b> {
    bytes: &'b [u8],
    offset: usize,
    line: usize,
}

impl<'b> LineCounter<'b> {
    fn new(bytes: &'b [u8]) -> LineCounter<'b> {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, offset: usize) -> usize {
        // A record "starting" at the `\n` of a CRLF starts after it.
        let offset = match self.bytes.get(offset) {
            Some(b'\n') => offset + 1,
            _ => offset.min(self.bytes.len()),
        };
        if offset > self.offset {
            self.line += memchr::memchr_iter(b'\n', &self.bytes[self.offset..offset]).count();
            self.offset = offset;
        }
        self.line
    }
}

fn card(columns: &Columns, record: &ByteRecord, number: usize, line: usize) -> Card {
    let cell = |i: Option<usize>| -> String {
        i.and_then(|i| record.get(i))
            .map(decode)
            .unwrap_or_default()
    };
    let mut card = Card {
        number,
        line,
        ..Card::default()
    };
    card.contact.name = one_line(&format!(
        "{} {} {}",
        cell(columns.first),
        cell(columns.middle),
        cell(columns.last)
    ))
    .or_else(|| one_line(&cell(columns.full)));
    for &i in &columns.emails {
        for e in values(&cell(Some(i))) {
            card.add_email(e);
        }
    }
    for &i in &columns.phones {
        for p in values(&cell(Some(i))) {
            card.add_phone(p);
        }
    }
    card.contact.org = one_line(&cell(columns.org));
    card.contact.role = one_line(&cell(columns.title));
    let birthday = cell(columns.birthday);
    if !birthday.trim().is_empty() {
        match vcard_date(&birthday, None) {
            Some(d) => card.contact.birthday = Some(d),
            None => card
                .warnings
                .push(format!("birthday {birthday:?} is not a date; left out")),
        }
    }
    for &(label, value) in &columns.relations {
        let label = cell(label);
        let relation = values(&label).next();
        for name in values(&cell(Some(value))) {
            card.add_related(name, relation);
        }
    }
    if card.contact.name.is_none() && card.contact.org.is_some() {
        card.kind = CardKind::Organization;
    }
    card
}
