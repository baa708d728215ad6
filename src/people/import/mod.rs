//! Importing an address book: vCard 2.1/3.0/4.0 files and Google Contacts
//! CSV become [`Card`]s ([`read_contacts`]), and the cards become a
//! [`plan::ImportPlan`] against the people already known: notes to create,
//! notes to fill (missing front-matter keys only, [`fill`]), cards skipped
//! with their reason. Everything here is pure: bytes and texts in, the plan
//! out; the caller writes the files.

pub mod fill;
mod google_csv;
pub mod plan;
mod vcf;

use std::fmt;

use super::{PartialDate, Related};
use crate::people::matching::normalize_email;

pub use plan::{plan_import, ImportPlan, Skipped, Update};

/// What an address book says about a person: the front-matter keys an
/// import fills.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    /// The person's name as the address book shows it (vCard FN, else N;
    /// CSV name columns). `None` when the card names nobody.
    pub name: Option<String>,
    /// Lower-case, without `mailto:`, in file order, no repeats.
    pub emails: Vec<String>,
    /// As written (a `tel:` URI prefix removed), no repeats.
    pub phones: Vec<String>,
    /// The organisation and its units: `ORG:Acme;R&D` is `Acme, R&D`.
    pub org: Option<String>,
    /// Job title (vCard TITLE, else ROLE).
    pub role: Option<String>,
    pub birthday: Option<PartialDate>,
    pub related: Vec<Related>,
}

/// One contact as read from the file, before any matching.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Card {
    /// 1-based position in the file.
    pub number: usize,
    /// 1-based line of the file where the card (or CSV record) starts.
    pub line: usize,
    pub contact: Contact,
    pub kind: CardKind,
    /// Why the card could not be read at all.
    pub unreadable: Option<String>,
    /// What was dropped or repaired while reading it.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CardKind {
    #[default]
    Person,
    /// `KIND:group` (a contact group or list).
    Group,
    /// `KIND:org`, Apple's company cards, cards named by their ORG alone.
    Organization,
}

impl Card {
    /// How the card is named in reports: its number and line, and its name,
    /// email or phone when it has one (`card 3, line 12: Ana Lima`).
    pub fn label(&self) -> String {
        let what = self
            .contact
            .name
            .as_deref()
            .or(self.contact.emails.first().map(String::as_str))
            .or(self.contact.phones.first().map(String::as_str))
            .or(self.contact.org.as_deref());
        match what {
            Some(w) => format!("card {}, line {}: {w}", self.number, self.line),
            None => format!("card {}, line {}", self.number, self.line),
        }
    }

    fn add_email(&mut self, raw: &str) {
        let e = normalize_email(raw);
        if e.is_empty() {
            return;
        }
        if !is_email(&e) {
            self.warnings
                .push(format!("{e:?} is not an email address; left out"));
        } else if !self.contact.emails.contains(&e) {
            self.contact.emails.push(e);
        }
    }

    fn add_phone(&mut self, raw: &str) {
        let Some(p) = one_line(raw) else { return };
        let p = p.strip_prefix("tel:").unwrap_or(&p).to_string();
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        if !self
            .contact
            .phones
            .iter()
            .any(|q| digits(q) == digits(&p) && !digits(&p).is_empty())
        {
            self.contact.phones.push(p);
        }
    }

    fn add_related(&mut self, name: &str, relation: Option<&str>) {
        let Some(name) = one_line(name) else { return };
        let relation = relation.and_then(one_line).map(|r| r.to_lowercase());
        if !self.contact.related.iter().any(|r| r.name == name) {
            self.contact.related.push(Related { name, relation });
        }
    }
}

/// An address with one `@`, something on both sides, and no spaces.
fn is_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !e.contains(|c: char| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// Text made one line: every run of whitespace or control characters is
/// one space, trimmed; `None` when nothing is left.
fn one_line(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()) {
        if !word.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    (!out.is_empty()).then_some(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Vcard,
    GoogleCsv,
}

/// What an address-book file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contacts {
    pub format: Format,
    /// Every card found, readable or not, in file order.
    pub cards: Vec<Card>,
    /// Problems with the file as a whole (repaired or ignored), with lines.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormatError {}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a vCard file (any version, several cards) or a Google Contacts CSV
/// export, told apart by their content, not their name. UTF-16 with a BOM
/// (what some Windows programs write) is read too.
pub fn read_contacts(bytes: &[u8]) -> Result<Contacts, FormatError> {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        if encoding != encoding_rs::UTF_8 {
            let (text, _, _) = encoding.decode(bytes);
            return read_contacts(text.as_bytes());
        }
    }
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let head = &body[start.unwrap_or(body.len())..];
    if head.len() >= 11 && head[..11].eq_ignore_ascii_case(b"BEGIN:VCARD") {
        let (cards, warnings) = vcf::read(bytes);
        return Ok(Contacts {
            format: Format::Vcard,
            cards,
            warnings,
        });
    }
    if start.is_none() {
        return Err(FormatError(
            "the file is empty; export the contacts again (as vCard or Google CSV)".into(),
        ));
    }
    google_csv::read(bytes).map(|(cards, warnings)| Contacts {
        format: Format::GoogleCsv,
        cards,
        warnings,
    })
}

#[cfg(test)]
mod tests;
