//! Reading the vendor fixtures (tests/data/vcard, with hand-written expected
//! values in tests/data/vcard/expected) and damaged input.

use serde_json::Value;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vcard")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn expected(name: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("expected/{name}"))).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// Every card of a vendor file against its expected values. The mapping to
/// rapport's fields: the name is FN (else N), the organisation is ORG's
/// units joined by ", ", a birthday must be a date (`circa 1960` is left out), and a
/// RELATED `urn:uuid:` becomes the name of that card in the same file.
#[test]
fn vendor_vcards_read_as_expected() {
    for (file, json) in [
        ("apple.vcf", "apple.json"),
        ("google.vcf", "google.json"),
        ("outlook21.vcf", "outlook21.json"),
        ("nextcloud4.vcf", "nextcloud4.json"),
        ("thunderbird.vcf", "thunderbird.json"),
    ] {
        let contacts = read_contacts(&fixture(file)).unwrap();
        assert_eq!(contacts.format, Format::Vcard);
        assert!(
            contacts.warnings.is_empty(),
            "{file}: {:?}",
            contacts.warnings
        );
        let want = expected(json);
        let want = want["cards"].as_array().unwrap();
        assert_eq!(contacts.cards.len(), want.len(), "{file}");
        let by_uid: std::collections::HashMap<&str, &str> =
            [("urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Jo Lima")].into();
        for (card, w) in contacts.cards.iter().zip(want) {
            let at = format!("{file} card {}", card.number);
            assert!(card.unreadable.is_none(), "{at}");
            let name = text(&w["fn"]).or_else(|| {
                let n = format!(
                    "{} {}",
                    w["given"].as_str().unwrap_or(""),
                    w["family"].as_str().unwrap_or("")
                );
                text(&Value::String(n.trim().to_string()))
            });
            assert_eq!(card.contact.name, name, "{at}");
            assert_eq!(card.contact.emails, strings(&w["emails"]), "{at}");
            assert_eq!(card.contact.phones, strings(&w["tels"]), "{at}");
            assert_eq!(
                card.contact.org,
                Some(strings(&w["org"]).join(", ")).filter(|o| !o.is_empty()),
                "{at}"
            );
            assert_eq!(card.contact.role, text(&w["title"]), "{at}");
            let birthday = w["bday"].as_str().and_then(|t| PartialDate::parse(t).ok());
            assert_eq!(card.contact.birthday, birthday, "{at}");
            let related: Vec<Related> = w["related"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let value = r["value"].as_str().unwrap();
                    Related {
                        name: by_uid.get(value).unwrap_or(&value).to_string(),
                        relation: text(&r["label"]),
                    }
                })
                .collect();
            assert_eq!(card.contact.related, related, "{at}");
        }
    }
}

#[test]
fn groups_and_organisations_are_told_apart() {
    let kinds = |file: &str| -> Vec<CardKind> {
        read_contacts(&fixture(file))
            .unwrap()
            .cards
            .iter()
            .map(|c| c.kind)
            .collect()
    };
    use CardKind::*;
    // Apple's "Acme Corp" (X-ABShowAs:COMPANY), Google's "Springfield
    // Dental" (named by its ORG alone), Nextcloud's KIND:group.
    assert_eq!(kinds("apple.vcf"), [Person, Person, Organization, Person]);
    assert_eq!(kinds("google.vcf"), [Person, Person, Person, Organization]);
    assert_eq!(
        kinds("nextcloud4.vcf"),
        [Person, Person, Person, Person, Group]
    );
}

/// Each card's birthday as written in a note, `""` for none.
fn birthdays(contacts: &Contacts) -> Vec<String> {
    contacts
        .cards
        .iter()
        .map(|c| {
            c.contact
                .birthday
                .map(|d| d.to_string())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn vendor_specific_shapes() {
    // Apple: the item group labels the email, not the card; year 1604 with
    // X-APPLE-OMIT-YEAR is no year.
    let apple = read_contacts(&fixture("apple.vcf")).unwrap();
    assert_eq!(
        apple.cards[0].contact.birthday.unwrap().to_string(),
        "--03-14"
    );
    assert_eq!(
        apple.cards[0].contact.related[0].relation.as_deref(),
        Some("child")
    );
    // Outlook 2.1: QUOTED-PRINTABLE UTF-8 with a soft line break in FN, raw
    // Windows-1252 bytes in ORG.
    let outlook = read_contacts(&fixture("outlook21.vcf")).unwrap();
    assert_eq!(
        outlook.cards[1].contact.name.as_deref(),
        Some("Prof. Dr. Hans-Jürgen Schröder-Lüdenscheid")
    );
    assert_eq!(
        outlook.cards[0].contact.name.as_deref(),
        Some("Jürgen Müller")
    );
    // Nextcloud 4.0: `--0314`, `--03-14`, `VALUE=date:19850314`; a text
    // birthday is reported, not guessed.
    let nc = read_contacts(&fixture("nextcloud4.vcf")).unwrap();
    let days = birthdays(&nc);
    assert_eq!(days, ["--03-14", "--03-14", "1985-03-14", "", ""]);
    assert!(
        nc.cards[3].warnings[0].contains("circa 1960"),
        "{:?}",
        nc.cards[3]
    );
    // Thunderbird: BOM, TAB folds (one in the middle of a word).
    let tb = read_contacts(&fixture("thunderbird.vcf")).unwrap();
    assert_eq!(tb.cards[0].line, 1);
    assert_eq!(tb.cards[1].line, 16);
}

#[test]
fn apple_year_less_birthdays_in_every_form() {
    // macOS writes the year to omit as the parameter's value; the bare
    // parameter and iCloud's 1604 without it mean no year too.
    let card =
        |bday: &str| format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A B\r\n{bday}\r\nEND:VCARD\r\n");
    let file: String = [
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-03-14",
        "BDAY;X-APPLE-OMIT-YEAR:1604-03-14",
        "BDAY;VALUE=date:1604-03-14",
        "BDAY:--0314",
        "BDAY;X-APPLE-OMIT-YEAR=1604:1985-03-14",
    ]
    .map(card)
    .concat();
    let days = birthdays(&read_contacts(file.as_bytes()).unwrap());
    assert_eq!(
        days,
        ["--03-14", "--03-14", "--03-14", "--03-14", "1985-03-14"]
    );
}

#[test]
fn broken_file_keeps_every_card_it_can_and_says_what_it_dropped() {
    let want = expected("broken.json");
    let contacts = read_contacts(&fixture("broken.vcf")).unwrap();
    let names: Vec<&str> = contacts
        .cards
        .iter()
        .filter_map(|c| c.contact.name.as_deref())
        .collect();
    for name in strings(&want["must_find"]) {
        let card = contacts
            .cards
            .iter()
            .find(|c| c.contact.name.as_deref() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("{name} missing from {names:?}"));
        assert_eq!(
            card.contact.emails,
            [want["emails"][&name].as_str().unwrap()],
            "{name}"
        );
    }
    assert_eq!(
        names,
        [
            "Missing End",
            "After Missing End",
            "Bad QP",
            "Future Version",
            "Last Good"
        ]
    );
    let nameless = &contacts.cards[2];
    assert_eq!(
        (
            nameless.contact.name.as_deref(),
            nameless.contact.emails.len()
        ),
        (None, 0)
    );
    assert_eq!(
        nameless.contact.phones,
        [want["nameless_card_tel"].as_str().unwrap()]
    );
    assert_eq!(nameless.label(), "card 3, line 10: +1 555 010 4444");
    assert_eq!(
        contacts.warnings,
        ["line 5: a card starts before the one at line 1 ended; that one is read up to here"]
    );
    assert_eq!(
        contacts.cards[3].warnings,
        ["line 19: not a vCard property (no `:`); left out"]
    );
}

#[test]
fn google_csv_reads_as_expected() {
    let contacts = read_contacts(&fixture("google.csv")).unwrap();
    assert_eq!(contacts.format, Format::GoogleCsv);
    let want = expected("google_csv.json");
    let rows = want["rows"].as_array().unwrap();
    assert_eq!(contacts.cards.len(), rows.len());
    for (card, w) in contacts.cards.iter().zip(rows) {
        let name = [&w["First Name"], &w["Middle Name"], &w["Last Name"]]
            .iter()
            .filter_map(|v| text(v))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(card.contact.name, text(&Value::String(name)));
        assert_eq!(card.contact.emails, strings(&w["emails"]));
        assert_eq!(card.contact.phones, strings(&w["phones"]));
        assert_eq!(
            card.contact.birthday.map(|d| d.to_string()),
            text(&w["Birthday"])
        );
        let related: Vec<(String, String)> = card
            .contact
            .related
            .iter()
            .map(|r| (r.relation.clone().unwrap_or_default(), r.name.clone()))
            .collect();
        let want_related: Vec<(String, String)> = w["relations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_lowercase(),
                    p[1].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(related, want_related);
    }
    // The quoted comma, and the records' real first lines (each record
    // may span several).
    assert_eq!(contacts.cards[0].contact.org.as_deref(), Some("Acme, Inc."));
    let lines: Vec<usize> = contacts.cards.iter().map(|c| c.line).collect();
    assert_eq!(lines, [2, 6, 7]);
}

#[test]
fn google_csv_older_header_shape() {
    let csv = "Name,Given Name,Family Name,Birthday,E-mail 1 - Type,E-mail 1 - Value,\
               Organization 1 - Name,Organization 1 - Title,Relation 1 - Type,Relation 1 - Value\n\
               Ana Lima,Ana,Lima,--03-14,* Work,ana@acme.example ::: ana@home.example,Acme,CTO,Child,Sam\n";
    let c = read_contacts(csv.as_bytes()).unwrap();
    let card = &c.cards[0];
    assert_eq!(card.contact.name.as_deref(), Some("Ana Lima"));
    assert_eq!(
        card.contact.emails,
        ["ana@acme.example", "ana@home.example"]
    );
    assert_eq!(
        (card.contact.org.as_deref(), card.contact.role.as_deref()),
        (Some("Acme"), Some("CTO"))
    );
    assert_eq!(
        card.contact.related,
        [Related {
            name: "Sam".into(),
            relation: Some("child".into())
        }]
    );
}

#[test]
fn other_files_are_refused_with_what_to_do() {
    for bytes in [
        &b""[..],
        b"  \r\n",
        b"Name;Mail\nx;y\n",
        b"%PDF-1.7\n",
        b"\xff\xfe\x00B",
    ] {
        let err = read_contacts(bytes).unwrap_err();
        assert!(err.0.contains("vCard"), "{err}");
    }
}

#[test]
fn utf16_files_are_read() {
    let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë\r\nEND:VCARD\r\n";
    let mut le = vec![0xff, 0xfe];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let c = read_contacts(&le).unwrap();
    assert_eq!(c.cards[0].contact.name.as_deref(), Some("Zoë"));
}

#[test]
fn damaged_vcards() {
    // Not UTF-8 and no CHARSET: Windows-1252. A fold inside a UTF-8
    // sequence (RFC 6350 3.2 says to join the bytes). LF only, no final
    // newline.
    let mut file =
        b"BEGIN:VCARD\nVERSION:3.0\nFN:J\xfcrgen M\xfcller\nEMAIL:J@X.EXAMPLE\nEND:VCARD\n"
            .to_vec();
    file.extend_from_slice(b"BEGIN:VCARD\nVERSION:3.0\nFN:Zo\xc3\n \xab Z\nEND:VCARD");
    let c = read_contacts(&file).unwrap();
    assert_eq!(c.cards[0].contact.name.as_deref(), Some("Jürgen Müller"));
    assert_eq!(c.cards[0].contact.emails, ["j@x.example"]);
    assert_eq!(c.cards[1].contact.name.as_deref(), Some("Zoë Z"));

    // A header that is not UTF-8 cannot be read even without its bad line:
    // that card is unreadable, the next one still reads.
    let file = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad\r\nX-\xff\xfe:1\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good\r\nEND:VCARD\r\n";
    let c = read_contacts(file).unwrap();
    assert!(c.cards[0].unreadable.is_some(), "{:?}", c.cards[0]);
    assert_eq!(c.cards[1].contact.name.as_deref(), Some("Good"));

    // A bad line in a card with a QUOTED-PRINTABLE soft break: the
    // continuation (no colon) is kept, only the bad line goes.
    let file = b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE;CHARSET=utf-8:J=C3=BCr=\r\ngen\r\nNO COLON HERE\r\nEMAIL:j@x.example\r\nEND:VCARD\r\n";
    let c = read_contacts(file).unwrap();
    assert_eq!(c.cards[0].contact.name.as_deref(), Some("Jürgen"));
    assert_eq!(
        c.cards[0].warnings,
        ["line 5: not a vCard property (no `:`); left out"]
    );

    // Addresses that are not addresses are left out, with a warning.
    let file = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEMAIL:not an address\r\nEMAIL:mailto:A@B.example\r\nEND:VCARD\r\n";
    let c = read_contacts(file).unwrap();
    assert_eq!(c.cards[0].contact.emails, ["a@b.example"]);
    assert_eq!(c.cards[0].warnings.len(), 1);
}
