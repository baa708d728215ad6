//! `rapport import`, `rapport people suggest` and `rapport people adopt`
//! (issue 14): the real binary on real files in a temporary home.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::common::bin::BinHome;
use crate::common::data_dir;
use crate::common::home::calendar_entry;
use crate::common::ics::{event, vcalendar};

fn fixture(name: &str) -> PathBuf {
    data_dir().join("vcard").join(name)
}

fn home() -> BinHome {
    let h = BinHome::new();
    h.write_config(&h.config_with(""));
    std::fs::create_dir_all(h.people_dir()).unwrap();
    h
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rapport(h: &BinHome, args: &[&str]) -> Run {
    let out = h.run(args);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(h: &BinHome, args: &[&str]) -> Value {
    let r = rapport(h, args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// Every file in the folder: its bytes and mtime.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime)> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                (std::fs::read(e.path()).unwrap(), m.modified().unwrap()),
            )
        })
        .collect()
}

fn note(h: &BinHome, file: &str, text: &str) -> PathBuf {
    let p = h.people_dir().join(file);
    std::fs::write(&p, text).unwrap();
    p
}

fn read(h: &BinHome, file: &str) -> String {
    std::fs::read_to_string(h.people_dir().join(file)).unwrap()
}

#[test]
fn dry_run_prints_the_plan_the_real_run_carries_out() {
    let h = home();
    note(&h, "bob-stone.md", "---\nname: Bob Stone\n---\n\n## Log\n");
    let file = fixture("google.vcf");
    let file = file.to_str().unwrap();
    let before = snapshot(&h.people_dir());
    let planned = json(&h, &["import", file, "--dry-run", "--json"]);
    let text_plan = rapport(&h, &["import", file, "--dry-run"]);
    assert_eq!(snapshot(&h.people_dir()), before, "a dry run wrote");
    let done = json(&h, &["import", file, "--json"]);
    assert_eq!(planned, done);
    assert_eq!(done["created"][0]["person"], "ana-lima.md", "{done:#}");
    assert_eq!(
        done["updated"],
        serde_json::json!([{"person": "bob-stone.md", "fields": ["emails", "phone", "birthday"]}])
    );
    // The text plan names the same files and keys as the run did.
    assert!(
        text_plan.stdout.contains("Would create "),
        "{}",
        text_plan.stdout
    );
    assert!(text_plan.stdout.contains("ana-lima.md: Ana Lima"));
    assert!(text_plan
        .stdout
        .contains("bob-stone.md: emails, phone, birthday"));
    assert!(text_plan.stdout.contains(
        "Dry run, nothing written; 2 changed: 1 created, 1 updated, 0 unchanged, 2 skipped"
    ));
    // Bob's note gained the keys and kept its body.
    let bob = read(&h, "bob-stone.md");
    assert!(bob.ends_with("---\n\n## Log\n"), "{bob}");
    assert!(bob.contains("birthday: "), "{bob}");
    // The version before is kept for `rapport undo`.
    let undo = rapport(&h, &["undo", "bob-stone", "--list"]);
    assert!(
        undo.stdout.contains("before `rapport import`"),
        "{}",
        undo.stdout
    );
    let mode = std::fs::metadata(h.people_dir().join("ana-lima.md"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn importing_every_file_twice_changes_nothing_the_second_time() {
    let h = home();
    let files = [
        "apple.vcf",
        "google.vcf",
        "outlook21.vcf",
        "nextcloud4.vcf",
        "thunderbird.vcf",
        "google.csv",
        "broken.vcf",
    ];
    for f in files {
        let r = rapport(&h, &["import", fixture(f).to_str().unwrap()]);
        assert_eq!(r.code, 0, "{f}: {}{}", r.stdout, r.stderr);
    }
    let first = snapshot(&h.people_dir());
    assert!(first.len() >= 10, "{:?}", first.keys());
    // mtimes have a coarse tick on some filesystems: a rewrite must show.
    std::thread::sleep(std::time::Duration::from_millis(20));
    for f in files {
        let r = rapport(&h, &["import", fixture(f).to_str().unwrap()]);
        assert_eq!(r.code, 0, "{f}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("\n0 changed: 0 created, 0 updated, ")
                || r.stdout.starts_with("0 changed"),
            "{f}: {}",
            r.stdout
        );
        assert!(!r.stdout.contains("ambiguous"), "{f}: {}", r.stdout);
    }
    assert_eq!(snapshot(&h.people_dir()), first);
}

#[test]
fn a_card_that_fits_several_notes_is_skipped_and_reported() {
    let h = home();
    note(
        &h,
        "a.md",
        "---\nname: Sam Lee\nemails: [sam@a.example]\n---\n",
    );
    note(
        &h,
        "b.md",
        "---\nname: Sam Lee\nemails: [sam@b.example]\n---\n",
    );
    let card = h.path("sam.vcf");
    std::fs::write(
        &card,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sam Lee\r\nTEL:+1 555 0100\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sam\r\nEMAIL:sam@a.example\r\nEMAIL:sam@b.example\r\nEND:VCARD\r\n",
    )
    .unwrap();
    let before = snapshot(&h.people_dir());
    let v = json(&h, &["import", card.to_str().unwrap(), "--json"]);
    assert_eq!(snapshot(&h.people_dir()), before);
    let reasons: Vec<&str> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "ambiguous: its name matches several notes: a.md, b.md; add one of its addresses to the right note",
            "ambiguous: its addresses are in several notes: a.md (sam@a.example), b.md (sam@b.example)"
        ]
    );
    let text = rapport(&h, &["import", card.to_str().unwrap()]);
    assert!(
        text.stdout
            .contains("Skipped card 1, line 1: Sam Lee: ambiguous: its name matches several notes: a.md, b.md"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("0 changed"), "{}", text.stdout);
}

#[test]
fn a_note_edited_between_plan_and_write_is_not_overwritten() {
    use rapport::people::import::{plan_import, read_contacts};
    use rapport::people::writer::NoteWriter;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("people");
    std::fs::create_dir_all(&dir).unwrap();
    let bob = dir.join("bob-stone.md");
    std::fs::write(&bob, "---\nname: Bob Stone\n---\n").unwrap();
    let cards = read_contacts(&std::fs::read(fixture("google.vcf")).unwrap())
        .unwrap()
        .cards;
    let people = rapport::people::load(&dir);
    let mut plan = plan_import(&people, &rapport::people::Me::default(), &cards, &mut |p| {
        std::fs::read_to_string(dir.join(p)).map_err(|e| e.to_string())
    });
    assert_eq!(plan.updated.len(), 1);
    // The user saves the note after the plan was made.
    let theirs = "---\nname: Bob Stone\norg: Stone & Co\n---\n\nMet at the fair.\n";
    std::fs::write(&bob, theirs).unwrap();
    let writer = NoteWriter::new(&root.path().join("state"), "import");
    let failed = rapport::cli::import::carry_out(&mut plan, &dir, &writer);
    assert_eq!(failed, 1);
    assert_eq!(std::fs::read_to_string(&bob).unwrap(), theirs);
    assert!(plan.updated.is_empty());
    let last = plan.skipped.last().unwrap();
    assert_eq!(last.card, "bob-stone.md");
    assert!(
        last.reason
            .starts_with("not filled: bob-stone.md changed while rapport was importing"),
        "{}",
        last.reason
    );
    // The new note of the same plan was still created.
    assert!(dir.join("ana-lima.md").exists());
}

#[test]
fn vcard_21_quoted_printable_charsets_folds_bom_and_crlf() {
    let h = home();
    let mut file = b"\xEF\xBB\xBF".to_vec();
    file.extend_from_slice(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n\
N;CHARSET=Windows-1252:M\xfcller;J\xfcrgen\r\n\
FN;ENCODING=QUOTED-PRINTABLE;CHARSET=utf-8:J=C3=BCrgen M=C3=\r\n\
=BCller\r\n\
ORG;CHARSET=Windows-1252:Stra\xdfenbau GmbH;Planung\r\n\
EMAIL;PREF;INTERNET:juergen@strassenbau.example\r\n\
TEL;WORK;VOICE:+49 30 1234567\r\n\
BDAY:19850314\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\n\
FN:Zo\xc3\xab \r\n \xc3\x85ngstr\xc3\xb6m\r\n\
EMAIL;TYPE=INTERNET:zoe@uni.exa\r\n mple\r\n\
TITLE:Professor of\r\n\tPhysics\r\n\
BDAY;X-APPLE-OMIT-YEAR=1604:1604-07-02\r\n\
END:VCARD\r\n",
    );
    let path = h.path("contacts.vcf");
    std::fs::write(&path, &file).unwrap();
    let r = rapport(&h, &["import", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("2 changed: 2 created"), "{}", r.stdout);
    let j = read(&h, "jurgen-muller.md");
    assert!(j.starts_with("---\nname: Jürgen Müller\n"), "{j}");
    assert!(j.contains("org: Straßenbau GmbH, Planung\n"), "{j}");
    assert!(j.contains("phone: +49 30 1234567\n"), "{j}");
    assert!(j.contains("birthday: 1985-03-14\n"), "{j}");
    let z = read(&h, "zoe-angstrom.md");
    assert!(z.contains("name: Zoë Ångström\n"), "{z}");
    assert!(z.contains("  - zoe@uni.example\n"), "{z}");
    assert!(z.contains("role: Professor ofPhysics\n"), "{z}");
    assert!(z.contains("birthday: --07-02\n"), "{z}");
}

#[test]
fn google_csv_with_quoted_commas_and_line_breaks() {
    let h = home();
    let v = json(
        &h,
        &["import", fixture("google.csv").to_str().unwrap(), "--json"],
    );
    let created: Vec<&str> = v["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person"].as_str().unwrap())
        .collect();
    assert!(created.contains(&"ana-maria-lima.md"), "{v:#}");
    let ana = read(&h, "ana-maria-lima.md");
    assert!(ana.contains("org: Acme, Inc.\n"), "{ana}");
    assert!(ana.contains("birthday: --03-14\n"), "{ana}");
    assert!(ana.contains("related:\n"), "{ana}");
    // The phone-only row is reported, never silently dropped.
    assert!(
        v["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reason"] == "no name and no email"),
        "{v:#}"
    );
}

#[test]
fn an_unreadable_file_or_folder_note_is_said() {
    let h = home();
    note(&h, "broken.md", "---\nname: [oops\n---\n");
    let empty = h.path("empty.vcf");
    std::fs::write(&empty, "").unwrap();
    let r = rapport(&h, &["import", empty.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("empty.vcf: the file is empty"),
        "{}",
        r.stderr
    );
    let r = rapport(&h, &["import", fixture("apple.vcf").to_str().unwrap()]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("broken.md"), "{}", r.stderr);
    // Without [me] rapport cannot leave your own card out: it says so.
    h.write_config(&format!(
        "[people]\ndir = {:?}\n",
        h.people_dir().display().to_string()
    ));
    let r = rapport(
        &h,
        &[
            "import",
            fixture("apple.vcf").to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert!(
        r.stderr.contains("[me] has no name and no emails"),
        "{}",
        r.stderr
    );
}

// ---- suggest and adopt ----

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn attendee(name: &str, email: &str, extra: &str) -> String {
    format!("ATTENDEE;CN=\"{name}\"{extra};PARTSTAT=ACCEPTED:mailto:{email}\r\n")
}

const ME: &str = "ORGANIZER;CN=Me Myself:mailto:me@example.org\r\n";

/// A one-hour meeting `days_ago` days back with me and `people`.
fn meeting(uid: &str, days_ago: i64, title: &str, people: &[String], extra: &str) -> String {
    let start = now() - Duration::days(days_ago);
    let mut lines = String::from(ME);
    lines.push_str(&attendee("Me Myself", "me@example.org", ""));
    for p in people {
        lines.push_str(p);
    }
    lines.push_str(extra);
    event(uid, title, start, start + Duration::hours(1), &lines)
}

/// A calendar where the expected suggestions and their order are known.
fn history() -> String {
    let ana = attendee("Ana Lima", "ana@acme.example", "");
    let ana_private = attendee("Ana Lima", "ana.lima@gmail.com", "");
    let bob = attendee("Stone, Bob", "bob@stone-works.example", "");
    let carl = attendee("Carl Gray", "carl@gmail.com", "");
    let mut events = String::new();
    // Ana: six one-to-ones, one from her private address.
    for i in 0..5 {
        events.push_str(&meeting(
            &format!("ana-{i}"),
            3 + i * 7,
            "Ana 1:1",
            std::slice::from_ref(&ana),
            "",
        ));
    }
    events.push_str(&meeting("ana-p", 40, "Coffee", &[ana_private], ""));
    // Bob: four meetings with three others each.
    let others = [
        attendee("Kim Park", "kim@acme.example", ""),
        attendee("Lee Wong", "lee@acme.example", ""),
    ];
    for i in 0..4 {
        let mut people = vec![bob.clone()];
        people.extend(others.iter().cloned());
        events.push_str(&meeting(
            &format!("bob-{i}"),
            10 + i * 20,
            "Planning",
            &people,
            "",
        ));
    }
    // Carl: one one-to-one long ago.
    events.push_str(&meeting("carl", 300, "Intro", &[carl], ""));
    // Never suggested: a room (CUTYPE and room-like name), a resource, a
    // group, no-reply and role addresses, in a meeting with Ana.
    let noise = [
        attendee("Room 4.12", "room412@acme.example", ";CUTYPE=ROOM"),
        attendee("Boardroom", "boardroom@acme.example", ""),
        attendee("Beamer", "beamer@acme.example", ";CUTYPE=RESOURCE"),
        attendee("Team Berlin", "team-berlin@acme.example", ";CUTYPE=GROUP"),
        attendee("Acme Calendar", "noreply@acme.example", ""),
        attendee("Info", "info@acme.example", ""),
    ];
    let mut with_noise = vec![ana.clone()];
    with_noise.extend(noise.iter().cloned());
    events.push_str(&meeting(
        "noise",
        5,
        "Ana in the boardroom",
        &with_noise,
        "",
    ));
    // A large meeting (16 people besides me), a cancelled one, one I declined.
    let crowd: Vec<String> = (0..16)
        .map(|i| {
            attendee(
                &format!("Crowd Person{i}"),
                &format!("crowd{i}@big.example"),
                "",
            )
        })
        .collect();
    events.push_str(&meeting("all-hands", 2, "All hands", &crowd, ""));
    events.push_str(&meeting(
        "cancelled",
        4,
        "Cancelled",
        &[attendee("Cancel Person", "cancel@x-corp.example", "")],
        "STATUS:CANCELLED\r\n",
    ));
    let start = now() - Duration::days(6);
    events.push_str(&event(
        "declined",
        "Declined",
        start,
        start + Duration::hours(1),
        &format!(
            "ORGANIZER;CN=Dora Diaz:mailto:dora@y-corp.example\r\n\
             ATTENDEE;CN=Me Myself;PARTSTAT=DECLINED:mailto:me@example.org\r\n{}",
            attendee("Dora Diaz", "dora@y-corp.example", "")
        ),
    ));
    vcalendar(&events)
}

fn suggest_home() -> BinHome {
    let h = BinHome::new();
    let cal = h.path("work.ics");
    std::fs::write(&cal, history()).unwrap();
    h.write_config(&h.config_with(&calendar_entry("work", cal.to_str().unwrap())));
    std::fs::create_dir_all(h.people_dir()).unwrap();
    h
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn suggest_ranks_the_people_you_meet_and_leaves_out_the_rest() {
    let h = suggest_home();
    let v = json(&h, &["people", "suggest", "--json"]);
    assert_eq!(
        names(&v),
        ["Ana Lima", "Bob Stone", "Kim Park", "Lee Wong", "Carl Gray"],
        "{v:#}"
    );
    let ana = &v[0];
    assert_eq!(
        ana["emails"],
        serde_json::json!(["ana@acme.example", "ana.lima@gmail.com"])
    );
    assert_eq!(ana["meetings"], 7);
    assert_eq!(ana["org"], "Acme");
    assert_eq!(ana["last_title"], "Ana 1:1");
    let date = |days: i64| {
        (now() - Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    assert_eq!(ana["first"], date(40));
    assert_eq!(ana["last"], date(3));
    assert_eq!(v[1]["org"], "Stone-Works");
    // Free mail gives no organisation.
    assert_eq!(v[4]["org"], Value::Null);
    assert_eq!(
        v[4].as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "emails",
            "first",
            "last",
            "last_title",
            "meetings",
            "name",
            "org"
        ]
    );
    // --limit and --since.
    assert_eq!(
        names(&json(&h, &["people", "suggest", "--json", "--limit", "2"])).len(),
        2
    );
    assert!(!names(&json(
        &h,
        &["people", "suggest", "--json", "--since", "100d"]
    ))
    .contains(&"Carl Gray".to_string()));
    // The text view.
    let r = rapport(&h, &["people", "suggest"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with(
            "  1. Ana Lima  <ana@acme.example, ana.lima@gmail.com>  Acme\n     7 meetings, first "
        ),
        "{}",
        r.stdout
    );
    // A larger limit lets the all-hands in.
    let mut cfg = std::fs::read_to_string(h.config_file()).unwrap();
    cfg = cfg.replace("[people]\n", "[people]\nlarge_meeting = 20\n");
    h.write_config(&cfg);
    assert!(
        names(&json(&h, &["people", "suggest", "--json", "--limit", "0"]))
            .contains(&"Crowd Person3".to_string())
    );
}

#[test]
fn adopt_writes_the_planned_notes_once() {
    let h = suggest_home();
    let before = snapshot(&h.people_dir());
    let plan = rapport(&h, &["people", "adopt", "--top", "2", "--dry-run"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_eq!(snapshot(&h.people_dir()), before, "a dry run wrote");
    let done = rapport(&h, &["people", "adopt", "--top", "2"]);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert_eq!(
        plan.stdout.replace("Would create", "Created"),
        format!("{}Dry run: nothing was written.\n", done.stdout)
    );
    let dir = h.people_dir().display().to_string();
    assert_eq!(
        done.stdout,
        format!(
            "Created {dir}/ana-lima.md: Ana Lima <ana@acme.example, ana.lima@gmail.com>\n\
             Created {dir}/bob-stone.md: Bob Stone <bob@stone-works.example>\n"
        )
    );
    assert_eq!(
        read(&h, "ana-lima.md"),
        "---\nname: Ana Lima\nemails:\n  - ana@acme.example\n  - ana.lima@gmail.com\norg: Acme\n---\n\n## Talk about\n\n## Follow-ups\n\n## Log\n"
    );
    // Nobody twice: Ana by name says she has a note; the next top two are new.
    let again = rapport(&h, &["people", "adopt", "Ana Lima", "carl@gmail.com"]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stdout
            .contains("Not adopted: Ana Lima: already has a note: ana-lima.md"),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("carl-gray.md: Carl Gray"),
        "{}",
        again.stdout
    );
    let next = json(&h, &["people", "adopt", "--top", "2", "--json"]);
    let created: Vec<&str> = next["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person"].as_str().unwrap())
        .collect();
    assert_eq!(created, ["kim-park.md", "lee-wong.md"]);
    let suggestions = json(&h, &["people", "suggest", "--json"]);
    assert_eq!(names(&suggestions), Vec::<String>::new());
}

#[test]
fn a_bad_large_meeting_names_the_key() {
    let h = suggest_home();
    let cfg = std::fs::read_to_string(h.config_file())
        .unwrap()
        .replace("[people]\n", "[people]\nlarge_meeting = \"many\"\n");
    h.write_config(&cfg);
    let r = rapport(&h, &["people", "suggest"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("people.large_meeting") && r.stderr.contains("write large_meeting = 15"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_large_address_book_is_created_whole_and_then_left_alone() {
    let h = home();
    let mut file = String::new();
    for i in 0..60 {
        file.push_str(&format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person Number{i}\r\nEMAIL:p{i}@corp.example\r\nEND:VCARD\r\n"
        ));
    }
    let path = h.path("many.vcf");
    std::fs::write(&path, file).unwrap();
    let r = rapport(&h, &["import", path.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r
        .stdout
        .ends_with("60 changed: 60 created, 0 updated, 0 unchanged, 0 skipped\n"));
    let first = snapshot(&h.people_dir());
    // 60 notes, no temporary file left, each whole and private.
    assert_eq!(first.len(), 60, "{:?}", first.keys());
    let text = read(&h, "person-number42.md");
    assert!(text.starts_with("---\nname: Person Number42\nemails:\n  - p42@corp.example\n---\n"));
    let r = rapport(&h, &["import", path.to_str().unwrap()]);
    assert!(
        r.stdout
            .ends_with("0 changed: 0 created, 0 updated, 60 unchanged, 0 skipped\n"),
        "{}",
        r.stdout
    );
    assert_eq!(snapshot(&h.people_dir()), first);
}
