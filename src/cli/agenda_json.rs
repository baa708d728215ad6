//! `agenda --json`, written by hand: byte for byte serde_json's pretty output
//! of [`occurrence_json`] (a unit test keeps them equal, so a new key goes in
//! both), one occurrence at a time. serde_json escapes one byte at a time
//! through a table; this checks 8 bytes at a time, and no `Value` tree of the
//! whole array is built (see bench/NOTES.md).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};
use serde_json::{json, Map, Value};

use crate::calendar::model::{Attendee, Occurrence, PartStat, RecurrenceId, Status};

/// Extra keys for an attendee, added by people matching: return e.g.
/// `Some(("person", json!(...)))` to add a `person` key. The agenda itself
/// passes [`no_person`].
pub type AttendeeExtra<'a> = &'a dyn Fn(&Attendee) -> Option<(&'static str, Value)>;

/// Whether an attendee is the user (`[me]`): left out of `people`.
pub type IsMe<'a> = &'a dyn Fn(&Attendee) -> bool;

/// The [`IsMe`] that knows no `[me]`.
pub fn nobody_is_me(_: &Attendee) -> bool {
    false
}

/// The people of an occurrence by the one rule of every view (agenda,
/// brief, `met`): the organizer first, then the attendees, never you, no
/// rooms or resources. `organizer` and `attendees` stay as the calendar says.
pub fn people_of(o: &Occurrence, is_me: IsMe<'_>) -> Vec<Attendee> {
    o.attendees_with_organizer()
        .into_iter()
        .filter(|a| !a.is_room_or_resource() && !is_me(a))
        .collect()
}

/// The [`AttendeeExtra`] that adds nothing.
pub fn no_person(_: &Attendee) -> Option<(&'static str, Value)> {
    None
}

fn time_json(t: DateTime<FixedOffset>, all_day: bool) -> Value {
    if all_day {
        Value::String(t.date_naive().format("%Y-%m-%d").to_string())
    } else {
        Value::String(t.to_rfc3339())
    }
}

fn status_str(s: Option<Status>) -> Value {
    match s {
        Some(Status::Confirmed) => "confirmed".into(),
        Some(Status::Tentative) => "tentative".into(),
        Some(Status::Cancelled) => "cancelled".into(),
        None => Value::Null,
    }
}

fn partstat_str(p: Option<PartStat>) -> Value {
    match p {
        Some(PartStat::Accepted) => "accepted".into(),
        Some(PartStat::Declined) => "declined".into(),
        Some(PartStat::Tentative) => "tentative".into(),
        Some(PartStat::NeedsAction) => "needs-action".into(),
        Some(PartStat::Delegated) => "delegated".into(),
        None => Value::Null,
    }
}

fn attendee_json(a: &Attendee, extra: AttendeeExtra<'_>) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(a.name));
    m.insert("email".into(), json!(a.email));
    m.insert("role".into(), json!(a.role));
    m.insert("partstat".into(), json!(a.partstat));
    m.insert("cutype".into(), json!(a.cutype));
    // Hook: people matching adds its `person` key here.
    if let Some((k, v)) = extra(a) {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

/// One occurrence as the `--json` object (issue 2, point 8). Keys are never
/// renamed; new ones may be added.
pub fn occurrence_json(o: &Occurrence, extra: AttendeeExtra<'_>, is_me: IsMe<'_>) -> Value {
    let recurrence_id = match o.recurrence_id {
        None => Value::Null,
        Some(RecurrenceId::Date(d)) => d.format("%Y-%m-%d").to_string().into(),
        Some(RecurrenceId::DateTime(t)) => {
            // In the event's zone, like start and end.
            t.with_timezone(o.start.offset()).to_rfc3339().into()
        }
    };
    json!({
        "calendar": o.calendar,
        "uid": o.uid,
        "recurrence_id": recurrence_id,
        "summary": o.summary,
        "description": o.description,
        "location": o.location,
        "conference_url": o.conference_url,
        "start": time_json(o.start, o.all_day),
        "end": time_json(o.end, o.all_day),
        "all_day": o.all_day,
        "tz": o.tz,
        "status": status_str(o.status),
        "transparent": o.transparent,
        "my_status": partstat_str(o.my_status),
        "organizer": o.organizer.as_ref().map(|a| attendee_json(a, &no_person)),
        "people": people_of(o, is_me).iter().map(|a| attendee_json(a, extra)).collect::<Vec<_>>(),
        "attendees": o.attendees.iter().map(|a| attendee_json(a, extra)).collect::<Vec<_>>(),
        "sequence": o.sequence,
    })
}

/// A date (`2026-12-01`) or RFC 3339 time (`2026-12-01T10:00:00+01:00`),
/// formatted into a stack buffer: chrono's `to_rfc3339` allocates a String
/// per call, three per occurrence in `agenda --json`.
pub struct TimeText {
    buf: [u8; 32],
    len: usize,
}

impl TimeText {
    fn date(d: NaiveDate) -> TimeText {
        let mut t = TimeText {
            buf: [0; 32],
            len: 0,
        };
        if !(0..=9999).contains(&d.year()) {
            t.push_str(&d.format("%Y-%m-%d").to_string());
            return t;
        }
        t.digits(d.year() as u32, 4);
        t.push_str("-");
        t.digits(d.month(), 2);
        t.push_str("-");
        t.digits(d.day(), 2);
        t
    }

    fn time(at: DateTime<FixedOffset>) -> TimeText {
        // Rare shapes (fractions, offsets with seconds, which chrono rounds)
        // are left to chrono.
        if !(0..=9999).contains(&at.year())
            || at.nanosecond() != 0
            || at.offset().local_minus_utc() % 60 != 0
        {
            let mut t = TimeText {
                buf: [0; 32],
                len: 0,
            };
            let s = at.to_rfc3339();
            t.push_str(&s[..s.len().min(32)]);
            return t;
        }
        let mut t = TimeText::date(at.date_naive());
        t.push_str("T");
        t.digits(at.hour(), 2);
        t.push_str(":");
        t.digits(at.minute(), 2);
        t.push_str(":");
        t.digits(at.second(), 2);
        let off = at.offset().local_minus_utc();
        t.push_str(if off < 0 { "-" } else { "+" });
        let off = off.unsigned_abs();
        t.digits(off / 3600, 2);
        t.push_str(":");
        t.digits(off / 60 % 60, 2);
        t
    }

    fn digits(&mut self, mut n: u32, width: usize) {
        for i in (0..width).rev() {
            self.buf[self.len + i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.len += width;
    }

    fn push_str(&mut self, s: &str) {
        self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators, or a prefix of chrono's ASCII output.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

fn time_string(t: DateTime<FixedOffset>, all_day: bool) -> TimeText {
    if all_day {
        TimeText::date(t.date_naive())
    } else {
        TimeText::time(t)
    }
}

fn status_name(s: Option<Status>) -> Option<&'static str> {
    s.map(|s| match s {
        Status::Confirmed => "confirmed",
        Status::Tentative => "tentative",
        Status::Cancelled => "cancelled",
    })
}

fn partstat_name(p: Option<PartStat>) -> Option<&'static str> {
    p.map(|p| match p {
        PartStat::Accepted => "accepted",
        PartStat::Declined => "declined",
        PartStat::Tentative => "tentative",
        PartStat::NeedsAction => "needs-action",
        PartStat::Delegated => "delegated",
    })
}

/// `agenda --json` written by hand, byte for byte what serde_json's pretty
/// printer makes of [`occurrence_json`] inside an array (a test compares
/// them): serde_json escapes strings one byte at a time through a table,
/// the largest single cost of `agenda --json` on a big feed, and goes
/// through a map serializer per object. Keys in the sorted order of the
/// `Value` map.
pub struct JsonArray {
    buf: Vec<u8>,
    count: usize,
}

impl JsonArray {
    /// Output is handed to the writer in pieces of about this size.
    const PIECE: usize = 64 * 1024;

    pub fn new() -> JsonArray {
        let mut buf = Vec::with_capacity(Self::PIECE + 8192);
        buf.push(b'[');
        JsonArray { buf, count: 0 }
    }

    /// Adds one occurrence; writes to `out` when a piece is full.
    pub fn push(
        &mut self,
        o: &Occurrence,
        extra: AttendeeExtra<'_>,
        is_me: IsMe<'_>,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        self.buf
            .extend_from_slice(if self.count == 0 { b"\n" } else { b",\n" });
        self.count += 1;
        indent(&mut self.buf, 1);
        occurrence_object(&mut self.buf, o, extra, is_me);
        if self.buf.len() >= Self::PIECE {
            out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Closes the array (and the line) and writes what is left.
    pub fn finish(mut self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.buf
            .extend_from_slice(if self.count == 0 { b"]\n" } else { b"\n]\n" });
        out.write_all(&self.buf)
    }
}

impl Default for JsonArray {
    fn default() -> Self {
        JsonArray::new()
    }
}

fn indent(buf: &mut Vec<u8>, level: usize) {
    for _ in 0..level {
        buf.extend_from_slice(b"  ");
    }
}

/// Writes `"key": ` on a new line of an object at `level` (first key: no comma).
fn key(buf: &mut Vec<u8>, first: &mut bool, level: usize, name: &str) {
    buf.extend_from_slice(if *first { b"\n" } else { b",\n" });
    *first = false;
    indent(buf, level + 1);
    json_string(buf, name);
    buf.extend_from_slice(b": ");
}

/// Whether a string has a byte that JSON escapes (checked 8 bytes at a time).
fn has_escape(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        if needs_escape(u64::from_le_bytes([
            w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
        ])) {
            return true;
        }
    }
    // The tail, padded with a letter that needs nothing.
    let mut tail = [b'a'; 8];
    let rest = words.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    needs_escape(u64::from_le_bytes(tail))
}

/// Whether any of the 8 bytes needs escaping: below 0x20, `"` or `\`.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    (below_space | zero(quote) | zero(backslash)) & HIGH != 0
}

/// A JSON string as serde_json writes it: `"`, `\\` and control characters
/// escaped (short forms where JSON has them), everything else as is.
fn json_string(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    buf.push(b'"');
    if !has_escape(bytes) {
        // Names, addresses, times, most titles: one copy.
        buf.extend_from_slice(bytes);
        buf.push(b'"');
        return;
    }
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            if !needs_escape(word) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        buf.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            buf.extend_from_slice(b"\\u00");
            buf.push(HEX[usize::from(b >> 4)]);
            buf.push(HEX[usize::from(b & 0xf)]);
        } else {
            buf.extend_from_slice(short);
        }
        i += 1;
        start = i;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

fn json_opt_string(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_string(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

/// A hook's value: strings and scalars directly; anything nested through
/// serde_json's pretty printer, its lines indented to `level`.
fn json_value(buf: &mut Vec<u8>, v: &Value, level: usize) {
    match v {
        Value::Null => buf.extend_from_slice(b"null"),
        Value::String(s) => json_string(buf, s),
        Value::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => buf.extend_from_slice(n.to_string().as_bytes()),
        _ => {
            let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into());
            for (n, line) in text.split('\n').enumerate() {
                if n > 0 {
                    buf.push(b'\n');
                    indent(buf, level);
                }
                buf.extend_from_slice(line.as_bytes());
            }
        }
    }
}

fn attendee_object(buf: &mut Vec<u8>, a: &Attendee, extra: AttendeeExtra<'_>, level: usize) {
    let fixed: [(&str, Option<&str>); 5] = [
        ("cutype", a.cutype.as_deref()),
        ("email", a.email.as_deref()),
        ("name", a.name.as_deref()),
        ("partstat", a.partstat.as_deref()),
        ("role", a.role.as_deref()),
    ];
    // The hook's key goes where the sorted `Value` map put it and replaces a
    // fixed key of the same name, as `Map::insert` did.
    let mut extra = extra(a);
    let mut first = true;
    buf.push(b'{');
    for (k, v) in fixed {
        if let Some((ek, ev)) = extra.as_ref() {
            if *ek <= k {
                key(buf, &mut first, level, ek);
                json_value(buf, ev, level + 1);
                let replaces = *ek == k;
                extra = None;
                if replaces {
                    continue;
                }
            }
        }
        key(buf, &mut first, level, k);
        json_opt_string(buf, v);
    }
    if let Some((ek, ev)) = extra {
        key(buf, &mut first, level, ek);
        json_value(buf, &ev, level + 1);
    }
    buf.push(b'\n');
    indent(buf, level);
    buf.push(b'}');
}

/// A list of attendee objects at `level` (as serde_json's pretty printer).
fn attendee_list(buf: &mut Vec<u8>, list: &[Attendee], extra: AttendeeExtra<'_>, level: usize) {
    if list.is_empty() {
        buf.extend_from_slice(b"[]");
        return;
    }
    buf.push(b'[');
    for (n, a) in list.iter().enumerate() {
        buf.extend_from_slice(if n == 0 { b"\n" } else { b",\n" });
        indent(buf, level + 1);
        attendee_object(buf, a, extra, level + 1);
    }
    buf.push(b'\n');
    indent(buf, level);
    buf.push(b']');
}

fn occurrence_object(buf: &mut Vec<u8>, o: &Occurrence, extra: AttendeeExtra<'_>, is_me: IsMe<'_>) {
    const LEVEL: usize = 1;
    let mut first = true;
    let f = &mut first;
    buf.push(b'{');
    key(buf, f, LEVEL, "all_day");
    buf.extend_from_slice(if o.all_day { b"true" } else { b"false" });
    key(buf, f, LEVEL, "attendees");
    attendee_list(buf, &o.attendees, extra, LEVEL + 1);
    key(buf, f, LEVEL, "calendar");
    json_string(buf, &o.calendar);
    key(buf, f, LEVEL, "conference_url");
    json_opt_string(buf, o.conference_url.as_deref());
    key(buf, f, LEVEL, "description");
    json_opt_string(buf, o.description.as_deref());
    key(buf, f, LEVEL, "end");
    json_string(buf, time_string(o.end, o.all_day).as_str());
    key(buf, f, LEVEL, "location");
    json_opt_string(buf, o.location.as_deref());
    key(buf, f, LEVEL, "my_status");
    json_opt_string(buf, partstat_name(o.my_status));
    key(buf, f, LEVEL, "organizer");
    match &o.organizer {
        Some(a) => attendee_object(buf, a, &no_person, LEVEL + 1),
        None => buf.extend_from_slice(b"null"),
    }
    key(buf, f, LEVEL, "people");
    attendee_list(buf, &people_of(o, is_me), extra, LEVEL + 1);
    key(buf, f, LEVEL, "recurrence_id");
    match o.recurrence_id {
        None => buf.extend_from_slice(b"null"),
        Some(RecurrenceId::Date(d)) => json_string(buf, TimeText::date(d).as_str()),
        // In the event's zone, like start and end.
        Some(RecurrenceId::DateTime(t)) => json_string(
            buf,
            TimeText::time(t.with_timezone(o.start.offset())).as_str(),
        ),
    }
    key(buf, f, LEVEL, "sequence");
    buf.extend_from_slice(o.sequence.to_string().as_bytes());
    key(buf, f, LEVEL, "start");
    json_string(buf, time_string(o.start, o.all_day).as_str());
    key(buf, f, LEVEL, "status");
    json_opt_string(buf, status_name(o.status));
    key(buf, f, LEVEL, "summary");
    json_string(buf, &o.summary);
    key(buf, f, LEVEL, "transparent");
    buf.extend_from_slice(if o.transparent { b"true" } else { b"false" });
    key(buf, f, LEVEL, "tz");
    json_opt_string(buf, o.tz.as_deref());
    key(buf, f, LEVEL, "uid");
    json_string(buf, &o.uid);
    buf.push(b'\n');
    indent(buf, LEVEL);
    buf.push(b'}');
}

/// The `--json` array.
pub fn to_json(occurrences: &[Occurrence], extra: AttendeeExtra<'_>, is_me: IsMe<'_>) -> Value {
    Value::Array(
        occurrences
            .iter()
            .map(|o| occurrence_json(o, extra, is_me))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_text_is_what_chrono_prints() {
        for (text, secs) in [
            ("2026-12-01T10:00:00+01:00", 3600),
            ("2026-03-29T01:59:59-09:30", -(9 * 3600 + 1800)),
            ("0001-01-01T00:00:00+05:45", 5 * 3600 + 45 * 60),
            ("9999-12-31T23:59:59+00:00", 0),
            ("1850-06-01T12:00:00+00:00", -1050),
            ("1850-06-01T12:00:00+00:00", 1050),
            ("2026-12-01T10:00:00.5+14:00", 14 * 3600),
        ] {
            let at = DateTime::parse_from_rfc3339(text).unwrap();
            let at = at.with_timezone(&FixedOffset::east_opt(secs).unwrap());
            assert_eq!(TimeText::time(at).as_str(), at.to_rfc3339(), "{text}");
            assert_eq!(
                TimeText::date(at.date_naive()).as_str(),
                at.date_naive().format("%Y-%m-%d").to_string()
            );
        }
    }

    /// The hand-written array, as `agenda --json` prints it.
    fn by_hand(occs: &[&Occurrence], extra: AttendeeExtra<'_>) -> String {
        let mut out = Vec::new();
        let mut json = JsonArray::new();
        for o in occs {
            json.push(o, extra, &nobody_is_me, &mut out).unwrap();
        }
        json.finish(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// What serde_json's pretty printer makes of the `Value` tree.
    fn tree(occs: &[&Occurrence], extra: AttendeeExtra<'_>) -> String {
        let v = Value::Array(
            occs.iter()
                .map(|o| occurrence_json(o, extra, &nobody_is_me))
                .collect(),
        );
        serde_json::to_string_pretty(&v).unwrap() + "\n"
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut all = String::new();
        for c in (0u32..0x80).chain([0xe9, 0x2028, 0x1f44b, 0xfeff]) {
            all.push(char::from_u32(c).unwrap());
        }
        for text in [
            all.as_str(),
            "",
            "plain ascii text that is longer than eight bytes",
            "\"quoted\" \\ back\\slash\u{7f}\u{1f}",
            "1234567\"",
            "12345678\n",
            "Γιώργος Ömer 👋 \t tab",
        ] {
            let mut buf = Vec::new();
            json_string(&mut buf, text);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

    /// The hand-written JSON is the same bytes as the `Value` tree, for
    /// every hook key position (before, equal to, after the fixed keys).
    #[test]
    fn view_prints_the_same_bytes_as_the_value_tree() {
        use crate::calendar::model::{Attendee, Occurrence, PartStat, RecurrenceId, Status};
        let start = DateTime::parse_from_rfc3339("2026-12-01T10:00:00+01:00").unwrap();
        let ann = Attendee {
            name: Some("Ann \"A\" Ö".into()),
            email: Some("ann@example.org".into()),
            role: Some("chair".into()),
            partstat: Some("accepted".into()),
            cutype: None,
        };
        let mut o = Occurrence {
            calendar: "work".into(),
            uid: "u1".into(),
            recurrence_id: Some(RecurrenceId::DateTime(
                DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
                    .unwrap()
                    .to_utc(),
            )),
            summary: "Sync \u{1F44B}\n".into(),
            description: None,
            location: Some("Room 1".into()),
            conference_url: None,
            start,
            end: start + chrono::Duration::minutes(30),
            all_day: false,
            tz: Some("Europe/Berlin".into()),
            status: Some(Status::Tentative),
            transparent: true,
            organizer: Some(ann.clone()),
            attendees: vec![ann, Attendee::default()],
            my_status: Some(PartStat::NeedsAction),
            sequence: -2,
        };
        let keys = ["person", "aaa", "email", "zzz"];
        for all_day in [false, true] {
            o.all_day = all_day;
            if all_day {
                o.recurrence_id = Some(RecurrenceId::Date(start.date_naive()));
                o.status = None;
                o.my_status = None;
            }
            for key in keys {
                let hook = move |a: &Attendee| Some((key, json!(a.email)));
                assert_eq!(by_hand(&[&o], &hook), tree(&[&o], &hook), "{key} {all_day}");
                // A nested hook value keeps serde_json's indentation.
                let nested = move |a: &Attendee| Some((key, json!({"e": [a.email, 1.5, {}]})));
                assert_eq!(by_hand(&[&o], &nested), tree(&[&o], &nested), "{key}");
            }
            assert_eq!(by_hand(&[&o], &no_person), tree(&[&o], &no_person));
            assert_eq!(by_hand(&[&o, &o], &no_person), tree(&[&o, &o], &no_person));
            assert_eq!(by_hand(&[], &no_person), tree(&[], &no_person));
        }
    }
}
