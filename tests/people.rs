//! People notes: parsing, lossless edits through the CLI, concurrency,
//! broken files, `person add` safety and file modes.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rapport::people::edit::{apply, edit_file, edit_file_with_hook, Edit, EditError};
use rapport::people::writer::{NoteWriter, WriteError};
use rapport::people::{self, Channel, FollowUpKind};

use crate::common::{data_dir, rapport};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn example() -> String {
    fs::read_to_string(data_dir().join("people/yvonne-bakker.md")).unwrap()
}

fn obsidian() -> String {
    fs::read_to_string(data_dir().join("people/tom-de-vries.md")).unwrap()
}

/// A temp root with a config whose `[people] dir` is `root/notes` (not
/// there yet).
fn setup() -> (tempfile::TempDir, PathBuf) {
    let home = crate::common::notes::Home::without_people_folder();
    let people = home.people();
    (home.root, people)
}

fn put(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    p
}

fn run_ok(root: &Path, args: &[&str]) -> String {
    let out = rapport(root, args);
    assert!(out.success(), "{args:?}: {:?}\n{}", out.error, out.stdout);
    out.stdout
}

#[test]
fn example_parses() {
    let p = people::parse_person(Path::new("yvonne-bakker.md"), &example()).unwrap();
    assert_eq!(p.name, "Yvonne Bakker");
    assert_eq!(
        p.emails,
        ["yvonne.bakker@acme.example", "y.bakker@gmail.com"]
    );
    assert_eq!(p.aliases, ["Bakker, Yvonne", "Yvonne B."]);
    assert_eq!(p.org.as_deref(), Some("Acme, Marketing"));
    assert_eq!(p.role.as_deref(), Some("Head of Marketing"));
    assert_eq!(p.preferred_channel(), Some(Channel::Phone));
    assert!(!p.pitch);
    assert_eq!(
        p.summary.as_deref(),
        Some("Plays competitive tennis; club tournaments most weekends in spring.")
    );
    let headings: Vec<_> = p.topics.iter().map(|t| t.heading.as_str()).collect();
    assert_eq!(headings, ["Family", "Interests"]);
    let interests = &p.topics[1].items;
    assert_eq!(interests.len(), 3);
    assert_eq!(interests[2].text, "Lost her father in 2025");
    assert!(interests[2].private && !interests[0].private);
    assert_eq!(p.follow_ups.len(), 2);
    assert_eq!(p.follow_ups[0].kind, FollowUpKind::Ask);
    assert_eq!(p.follow_ups[0].text, "Ask how the club tournament went");
    assert_eq!(p.follow_ups[0].start, Some(d("2026-12-06")));
    assert_eq!(p.follow_ups[0].line, 20);
    assert!(!p.follow_ups[0].is_active(d("2026-12-05")));
    assert!(p.follow_ups[0].is_active(d("2026-12-06")));
    assert_eq!(p.follow_ups[1].kind, FollowUpKind::Owe);
    assert_eq!(p.follow_ups[1].due, Some(d("2026-12-01")));
    assert!(p.follow_ups[1].is_overdue(d("2026-12-02")));
    assert_eq!(p.last_met(), Some(d("2026-11-24")));
    assert_eq!(
        p.last_log().unwrap().text,
        "Marketing sync: tournament next weekend; wants better segmentation."
    );
}

#[test]
fn obsidian_note_parses() {
    let p = people::parse_person(Path::new("tom-de-vries.md"), &obsidian()).unwrap();
    assert_eq!(p.name, "Tom de Vries");
    assert_eq!(p.emails, ["tom.de.vries@example.org"]);
    assert!(p.pitch);
    assert_eq!(p.preferred_channel(), Some(Channel::Email));
    // Callout header, embed and title are not prose.
    assert_eq!(
        p.summary.as_deref(),
        Some("Met at the Utrecht meetup. Leads the data platform team.")
    );
    let texts: Vec<_> = p.follow_ups.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Ask about the platform migration",
            "Share the dbt article",
            "Find the link first",
            "Review his proposal"
        ]
    );
    assert_eq!(p.follow_ups[0].kind, FollowUpKind::Ask);
    assert_eq!(p.follow_ups[0].start, Some(d("2026-12-01")));
    assert_eq!(p.follow_ups[2].scheduled, Some(d("2026-11-30")));
    assert_eq!(p.follow_ups[3].kind, FollowUpKind::Owe);
    assert_eq!(p.topics.len(), 1, "### Work folds into ## Talk about");
    let items: Vec<_> = p.topics[0].items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        items,
        [
            "Cycling: rode the Amstel Gold Race",
            "trained all winter",
            "Daughter started university",
            "Migrating the warehouse to dbt"
        ]
    );
    assert!(p.topics[0].items[1].nested);
    assert!(p.topics[0].items[2].private);
    assert_eq!(p.log.len(), 2);
    assert_eq!(p.last_met(), Some(d("2026-11-18")));
}

#[test]
fn file_without_front_matter_uses_heading_then_file_name() {
    let p = people::parse_person(Path::new("x/jan.md"), "# Jan Smit\n\nLikes chess.\n").unwrap();
    assert_eq!(
        (p.name.as_str(), p.summary.as_deref()),
        ("Jan Smit", Some("Likes chess."))
    );
    assert!(p.emails.is_empty());
    let p = people::parse_person(Path::new("x/Piet Jansen.md"), "Just text\n- [ ] \n").unwrap();
    assert!(p.follow_ups.is_empty(), "an empty task is a placeholder");
    assert_eq!(p.name, "Piet Jansen");
}

/// How the expected file text changes after one command.
type Change<'a> = &'a dyn Fn(&str) -> String;
/// Command line (without NAME) and the change it should make.
type Step<'a> = (&'a [&'a str], Change<'a>);
type OwnedStep = (&'static [&'static str], Box<dyn Fn(&str) -> String>);

/// Runs note, ask, owe, done through the CLI on `original` and checks the
/// file becomes exactly `original` with the intended lines added or ticked.
fn round_trip(original: &[u8], file: &str, name: &str, edits: &[Step<'_>]) {
    let (root, dir) = setup();
    let path = put(&dir, file, original);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let mut expected = String::from_utf8(original.to_vec()).unwrap();
    for (args, change) in edits {
        let mut argv: Vec<&str> = vec![args[0], name];
        argv.extend_from_slice(&args[1..]);
        run_ok(root.path(), &argv);
        expected = change(&expected);
        let got = fs::read_to_string(&path).unwrap();
        assert_eq!(got, expected, "after {argv:?}");
    }
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640,
        "mode kept"
    );
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary files: {leftovers:?}");
}

fn example_edits(nl: &'static str) -> Vec<OwnedStep> {
    let t = today();
    vec![
        (
            &[
                "note",
                "Coffee: she won the tournament",
                "--date",
                "2026-11-27",
            ],
            Box::new(move |s: &str| {
                let last = format!("wants better segmentation.{nl}");
                s.replace(
                    &last,
                    &format!("{last}- 2026-11-27 Coffee: she won the tournament{nl}"),
                )
            }),
        ),
        (
            &[
                "ask",
                "How was the holiday in Italy?",
                "--after",
                "2026-12-10",
            ],
            Box::new(move |s: &str| {
                let last = format!("Introduce her to Pieter ✅ 2026-11-20{nl}");
                s.replace(
                    &last,
                    &format!("{last}- [ ] How was the holiday in Italy? 🛫 2026-12-10{nl}"),
                )
            }),
        ),
        (
            &["owe", "Send the segmentation deck", "--due", "2026-12-05"],
            Box::new(move |s: &str| {
                let last = format!("Italy? 🛫 2026-12-10{nl}");
                s.replace(
                    &last,
                    &format!("{last}- [ ] Send the segmentation deck 📅 2026-12-05{nl}"),
                )
            }),
        ),
        (
            &["done", "response numbers"],
            Box::new(move |s: &str| {
                s.replace(
                    "- [ ] Send her the response numbers of the October mailing 📅 2026-12-01",
                    &format!(
                        "- [x] Send her the response numbers of the October mailing 📅 2026-12-01 ✅ {t}"
                    ),
                )
            }),
        ),
        (
            &["done", "1"],
            Box::new(move |s: &str| {
                s.replace(
                    "- [ ] Ask how the club tournament went 🛫 2026-12-06",
                    &format!("- [x] Ask how the club tournament went 🛫 2026-12-06 ✅ {t}"),
                )
            }),
        ),
    ]
}

fn run_round_trip(original: &[u8], nl: &'static str) {
    let edits = example_edits(nl);
    let edits: Vec<Step<'_>> = edits.iter().map(|(a, f)| (*a, f.as_ref())).collect();
    round_trip(original, "yvonne-bakker.md", "yvonne", &edits);
}

#[test]
fn example_round_trips_byte_for_byte() {
    run_round_trip(example().as_bytes(), "\n");
}

#[test]
fn crlf_copy_stays_crlf() {
    let crlf = example().replace('\n', "\r\n");
    run_round_trip(crlf.as_bytes(), "\r\n");
}

#[test]
fn bom_is_kept() {
    let with_bom = format!("\u{feff}{}", example());
    run_round_trip(with_bom.as_bytes(), "\n");
}

#[test]
fn obsidian_note_round_trips() {
    let t = today();
    let note: Change = &|s: &str| {
        // No final newline before, none after.
        assert!(s.ends_with("Call about the migration"));
        format!("{s}\n- 2026-11-27 Lunch, talked about cycling")
    };
    let ask: Change = &|s: &str| {
        s.replacen(
            "## not a heading\n```\n",
            "## not a heading\n```\n\n- [ ] Did the migration land? 🛫 2026-12-15\n",
            1,
        )
    };
    let owe: Change = &|s: &str| {
        s.replacen(
            "🛫 2026-12-15\n",
            "🛫 2026-12-15\n- [ ] Intro to Yvonne #owe\n",
            1,
        )
    };
    let done_nested = move |s: &str| {
        s.replacen(
            "\t- [ ] Find the link first ⏳ 2026-11-30\n",
            &format!("\t- [x] Find the link first ⏳ 2026-11-30 ✅ {t}\n"),
            1,
        )
    };
    let done_block_id = move |s: &str| {
        s.replacen(
            "- [ ] Review his proposal 📅 2026-12-03 ^review1",
            &format!("- [x] Review his proposal 📅 2026-12-03 ✅ {t} ^review1"),
            1,
        )
    };
    let done_callout = move |s: &str| {
        s.replacen(
            "> - [ ] Ask about the platform migration [start:: 2026-12-01]",
            &format!("> - [x] Ask about the platform migration [start:: 2026-12-01] ✅ {t}"),
            1,
        )
    };
    round_trip(
        obsidian().as_bytes(),
        "tom-de-vries.md",
        "de Vries, Tom",
        &[
            (
                &[
                    "note",
                    "Lunch, talked about cycling",
                    "--date",
                    "2026-11-27",
                ],
                note,
            ),
            (
                &["ask", "Did the migration land?", "--after", "2026-12-15"],
                ask,
            ),
            (&["owe", "Intro to Yvonne"], owe),
            (&["done", "3"], &done_nested),
            (&["done", "proposal"], &done_block_id),
            (&["done", "platform migration"], &done_callout),
        ],
    );
}

#[test]
fn missing_sections_are_created() {
    let (root, dir) = setup();
    let path = put(&dir, "jan.md", b"# Jan Smit\r\nLikes chess.");
    run_ok(
        root.path(),
        &["note", "jan", "Played chess", "--date", "2026-11-01"],
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "# Jan Smit\r\nLikes chess.\r\n\r\n## Log\r\n- 2026-11-01 Played chess"
    );
    run_ok(
        root.path(),
        &["ask", "jan", "Rematch?", "--after", "2026-12-01"],
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "# Jan Smit\r\nLikes chess.\r\n\r\n## Follow-ups\r\n- [ ] Rematch? 🛫 2026-12-01\r\n\r\n## Log\r\n- 2026-11-01 Played chess"
    );
    // An empty note is written into only when asked to (issue 9.2: it may
    // be a note a sync emptied).
    let empty = put(&dir, "empty.md", b"");
    run_ok(
        root.path(),
        &["owe", "empty", "Book", "--due", "2026-12-24", "--force"],
    );
    assert_eq!(
        fs::read_to_string(&empty).unwrap(),
        "## Follow-ups\n- [ ] Book 📅 2026-12-24\n"
    );
}

#[test]
fn ask_without_date_starts_today_and_dates_are_parsed() {
    let (root, dir) = setup();
    let path = put(&dir, "jan.md", b"# Jan\n");
    run_ok(root.path(), &["ask", "jan", "How is the new job?"]);
    run_ok(root.path(), &["note", "jan", "Met", "--date", "+2w"]);
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&format!("- [ ] How is the new job? 🛫 {}\n", today())),
        "{text}"
    );
    let in_two_weeks = today() + chrono::Duration::weeks(2);
    assert!(text.contains(&format!("- {in_two_weeks} Met\n")), "{text}");
    let bad = rapport(root.path(), &["note", "jan", "x", "--date", "someday"]);
    assert!(bad.error.unwrap().contains("YYYY-MM-DD"));
}

#[test]
fn edit_errors_leave_the_file_alone() {
    let (root, dir) = setup();
    let path = put(&dir, "yvonne-bakker.md", example().as_bytes());
    for (args, wanted) in [
        (
            vec!["done", "yvonne", "nothing like this"],
            "no open follow-up",
        ),
        (vec!["done", "yvonne", "9"], "no open follow-up"),
        (vec!["done", "yvonne", "the"], "several open follow-ups"),
        (vec!["note", "yvonne", "two\nlines"], "one line"),
        (vec!["note", "yvonne", "   "], "empty"),
        (vec!["note", "nobody", "x"], "nobody matches"),
    ] {
        let out = rapport(root.path(), &args);
        let err = out.error.unwrap_or_default();
        assert!(err.contains(wanted), "{args:?}: {err}");
    }
    assert_eq!(fs::read_to_string(&path).unwrap(), example());
}

/// A writer with its locks and versions in `state`, and short waits.
fn writer(state: &Path) -> NoteWriter {
    NoteWriter::new(state, "note").waits(
        std::time::Duration::from_millis(20),
        std::time::Duration::from_secs(5),
    )
}

#[test]
fn a_concurrent_change_is_kept_and_the_edit_redone_on_top_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let path = put(dir.path(), "y.md", example().as_bytes());
    let theirs = format!("{}- 2026-11-26 Written by another editor\n", example());
    let edit = Edit::Note {
        date: d("2026-11-27"),
        text: "mine".into(),
    };
    // Another program saves between rapport's read and its write, once:
    // rapport notices, reads their version and adds its entry to it.
    let mut calls = 0;
    let a = edit_file_with_hook(
        &writer(state.path()),
        &path,
        &edit,
        Some(&mut || {
            calls += 1;
            if calls == 1 {
                fs::write(&path, &theirs).unwrap();
            }
        }),
    )
    .unwrap();
    assert_eq!(calls, 2, "computed twice: on the old and on their version");
    assert_eq!(a.line_text, "- 2026-11-27 mine");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{theirs}- 2026-11-27 mine\n"),
        "their change kept, the edit on top"
    );
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
    // A program that saves every time: rapport gives up, names the file and
    // writes nothing.
    let before = fs::read_to_string(&path).unwrap();
    let mut n = 0;
    let err = edit_file_with_hook(
        &writer(state.path()),
        &path,
        &edit,
        Some(&mut || {
            n += 1;
            fs::write(&path, format!("{before}- 2026-11-28 save {n}\n")).unwrap();
        }),
    )
    .unwrap_err();
    assert!(
        matches!(err, EditError::Write(WriteError::Changed { .. })),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("changed on disk")
            && msg.contains("y.md")
            && msg.contains("nothing was written"),
        "{msg}"
    );
    assert!(fs::read_to_string(&path)
        .unwrap()
        .ends_with(&format!("save {n}\n")));
    // A file removed meanwhile is not recreated.
    let gone = edit_file_with_hook(
        &writer(state.path()),
        &path,
        &edit,
        Some(&mut || {
            let _ = fs::remove_file(&path);
        }),
    );
    assert!(gone.is_err());
    assert!(!path.exists());
}

#[test]
fn edits_through_a_symlink_change_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let real = put(dir.path(), "real.txt", example().as_bytes());
    let link = dir.path().join("y.md");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let state = tempfile::tempdir().unwrap();
    edit_file(
        &writer(state.path()),
        &link,
        &Edit::Note {
            date: d("2026-11-27"),
            text: "via link".into(),
        },
    )
    .unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real)
        .unwrap()
        .ends_with("- 2026-11-27 via link\n"));
}

#[test]
fn apply_is_pure_and_reports_the_line() {
    let a = apply(
        &example(),
        &Edit::Owe {
            text: "Deck".into(),
            due: Some(d("2026-12-05")),
        },
    )
    .unwrap();
    assert_eq!(a.line, 23);
    assert_eq!(a.line_text, "- [ ] Deck 📅 2026-12-05");
    assert_eq!(a.text.lines().nth(22), Some("- [ ] Deck 📅 2026-12-05"));
}

#[test]
fn broken_files_are_reported_and_others_load() {
    let (root, dir) = setup();
    put(&dir, "yvonne-bakker.md", example().as_bytes());
    put(&dir, "sub/tom.md", obsidian().as_bytes());
    put(
        &dir,
        "broken.md",
        b"---\nname: Broken\nemails: [a@b.example\n---\nText\n",
    );
    put(&dir, "unclosed.md", b"---\nname: Unclosed\n");
    put(
        &dir,
        "wrongtype.md",
        b"---\nname: Typed\npitch: maybe\n---\n",
    );
    put(&dir, "latin1.md", b"# Ren\xe9\n");
    put(&dir, ".hidden.md", b"---\n: : :\n---\n");
    put(&dir, "notes.txt", b"---\n: : :\n---\n");
    put(&dir, ".obsidian/workspace.md", b"---\n: : :\n---\n");

    let loaded = people::load(&dir);
    let names: Vec<_> = loaded.people.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Tom de Vries", "Yvonne Bakker"]);
    let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(
        errors[0].starts_with("broken.md, line 3: front matter is not valid YAML"),
        "{errors:?}"
    );
    assert_eq!(
        errors[1],
        "latin1.md, line 1: not UTF-8 text; save it as UTF-8"
    );
    assert!(errors[2].starts_with("unclosed.md, line 1: front matter starts with `---`"));
    assert_eq!(
        errors[3],
        "wrongtype.md, line 3: front matter key `pitch` should be true or false"
    );

    let out = rapport(root.path(), &["people"]);
    assert_eq!(out.code, std::process::ExitCode::from(1));
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("Yvonne Bakker  Acme, Marketing  ")
                && l.contains(", log")
                && l.ends_with("  2 open")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("4 file(s)"));
    assert!(out.stdout.contains("broken.md, line 3"));

    let json = rapport(root.path(), &["people", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["people"].as_array().unwrap().len(), 2);
    assert_eq!(v["people"][0]["path"], "sub/tom.md");
    assert_eq!(v["people"][1]["last_met"], "2026-11-24");
    assert_eq!(v["people"][1]["last_contact"]["date"], "2026-11-24");
    assert_eq!(v["people"][1]["last_contact"]["source"], "log");
    assert_eq!(v["people"][1]["keep_in_touch"], serde_json::Value::Null);
    assert_eq!(v["people"][1]["open_follow_ups"], 2);
    assert_eq!(v["errors"][0]["path"], "broken.md");
    assert_eq!(v["errors"][0]["line"], 3);

    // Editing a good file still works next to broken ones.
    run_ok(
        root.path(),
        &["note", "tom", "still works", "--date", "2026-11-27"],
    );
}

#[test]
fn find_by_email_name_alias_part_accent_and_ambiguity() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "yvonne-bakker.md", example().as_bytes());
    put(
        dir.path(),
        "rene.md",
        b"---\nname: Ren\xc3\xa9 Jansen\nemail: rene@x.example\n---\n",
    );
    put(dir.path(), "sam.md", b"---\nname: Sam Jansen\n---\n");
    let loaded = people::load(dir.path());
    let name_of = |q: &str| people::find(&loaded, q).map(|p| p.name.clone());
    assert_eq!(name_of("Y.Bakker@GMAIL.com").unwrap(), "Yvonne Bakker");
    assert_eq!(
        name_of("mailto:y.bakker+x@gmail.com").unwrap(),
        "Yvonne Bakker"
    );
    assert_eq!(name_of("bakker, yvonne").unwrap(), "Yvonne Bakker");
    assert_eq!(name_of("Yvonne B.").unwrap(), "Yvonne Bakker");
    assert_eq!(name_of("yvon").unwrap(), "Yvonne Bakker");
    assert_eq!(name_of("bakker yvonne").unwrap(), "Yvonne Bakker");
    assert_eq!(name_of("Bak Yvo").unwrap(), "Yvonne Bakker");
    assert_eq!(name_of("yvonne-bakker").unwrap(), "Yvonne Bakker");
    assert_eq!(name_of("rene").unwrap(), "René Jansen");
    assert_eq!(name_of("RENÉ JANSEN").unwrap(), "René Jansen");
    assert_eq!(name_of("sam").unwrap(), "Sam Jansen");
    let err = name_of("jansen").unwrap_err().to_string();
    assert!(
        err.contains("René Jansen (rene.md)") && err.contains("Sam Jansen (sam.md)"),
        "{err}"
    );
    assert!(name_of("nobody")
        .unwrap_err()
        .to_string()
        .contains("nobody matches"));
    assert!(name_of("  ").is_err());
}

#[test]
fn person_show_lists_everything() {
    let (root, dir) = setup();
    put(&dir, "yvonne-bakker.md", example().as_bytes());
    let out = run_ok(root.path(), &["person", "show", "Yvonne"]);
    for wanted in [
        "Yvonne Bakker  <yvonne.bakker@acme.example, y.bakker@gmail.com>",
        "Head of Marketing at Acme, Marketing",
        "Prefers: phone",
        "Plays competitive tennis",
        "  - Lost her father in 2025  [private: only if they raise it]",
        "  2. Send her the response numbers of the October mailing  (I owe",
        "  2026-11-24 Marketing sync",
    ] {
        assert!(out.contains(wanted), "missing {wanted:?} in\n{out}");
    }
    let json = run_ok(root.path(), &["person", "show", "Yvonne", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["follow_ups"][0]["kind"], "ask");
    assert_eq!(v["topics"][1]["items"][2]["private"], true);
}

#[test]
fn person_add_creates_private_files_and_never_overwrites() {
    let (root, dir) = setup();
    let out = run_ok(
        root.path(),
        &[
            "person",
            "add",
            "Søren Ørsted-Müller",
            "--email",
            "Soren@X.example",
            "--email",
            "s@y.example",
            "--org",
            "Acme: R&D",
            "--role",
            "yes",
        ],
    );
    let path = dir.join("soren-orsted-muller.md");
    assert!(out.contains(&path.display().to_string()), "{out}");
    assert_eq!(
        fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let p = people::parse_person(Path::new("x.md"), &fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(p.name, "Søren Ørsted-Müller");
    assert_eq!(p.emails, ["soren@x.example", "s@y.example"]);
    assert_eq!(p.org.as_deref(), Some("Acme: R&D"));
    assert_eq!(p.role.as_deref(), Some("yes"));

    let before = fs::read(&path).unwrap();
    let again = rapport(root.path(), &["person", "add", "Soren Orsted Muller"]);
    assert!(again.error.unwrap().contains("already exists"));
    let dup = rapport(
        root.path(),
        &["person", "add", "Someone Else", "--email", "S@Y.example"],
    );
    assert!(dup
        .error
        .unwrap()
        .contains("already in soren-orsted-muller.md"));
    assert_eq!(fs::read(&path).unwrap(), before);
    // The new note works with the other commands right away.
    run_ok(
        root.path(),
        &["owe", "soren", "Send the paper", "--due", "2026-12-01"],
    );
    run_ok(
        root.path(),
        &["note", "s@y.example", "First call", "--date", "2026-11-27"],
    );
    let p = people::parse_person(Path::new("x.md"), &fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!((p.follow_ups.len(), p.log.len()), (1, 1));
}

#[test]
fn person_add_cannot_escape_the_folder() {
    let (root, dir) = setup();
    let outside = root.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    for name in [
        "../outside/evil",
        "../../etc/passwd",
        "/tmp/abs",
        ".hidden",
        "..",
        "a/b\\c",
        "nul\0byte",
        "~/home",
    ] {
        let out = rapport(root.path(), &["person", "add", name]);
        if let Some(err) = &out.error {
            assert!(
                err.contains("file name") || err.contains("control"),
                "{name:?}: {err}"
            );
        }
    }
    let mut created: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    created.sort();
    assert_eq!(
        created,
        [
            "a-b-c.md",
            "etc-passwd.md",
            "hidden.md",
            "home.md",
            "outside-evil.md",
            "tmp-abs.md"
        ]
    );
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    assert!(!root.path().join("evil.md").exists());
}

#[test]
fn edit_runs_the_editor_without_a_shell() {
    use rapport::cli::people::{edit_in_editor, editor_argv, split_command};
    assert_eq!(
        split_command(r#"code --wait "--profile=My Notes" it\'s"#).unwrap(),
        ["code", "--wait", "--profile=My Notes", "it's"]
    );
    assert_eq!(
        editor_argv(Some(" "), Some("nano -w")).unwrap(),
        ["nano", "-w"]
    );
    assert!(editor_argv(None, None)
        .unwrap_err()
        .to_string()
        .contains("$EDITOR"));
    assert!(split_command("vim 'unclosed").is_err());

    let dir = tempfile::tempdir().unwrap();
    let path = put(dir.path(), "yvonne-bakker.md", example().as_bytes());
    // A real program as the "editor": sh appends a task to the file it is given.
    let editor: Vec<String> = [
        "sh",
        "-c",
        "printf -- '- [ ] from the editor\\n' >> \"$1\"",
        "sh",
    ]
    .map(String::from)
    .to_vec();
    let mut out = Vec::new();
    let state = tempfile::tempdir().unwrap();
    let ed = NoteWriter::new(state.path(), "edit");
    let code = edit_in_editor(dir.path(), &ed, "yvonne", &editor, &mut out).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert!(fs::read_to_string(&path)
        .unwrap()
        .ends_with("- [ ] from the editor\n"));
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("3 open follow-ups"));

    // A broken file can be opened by its file name, and the result is checked.
    put(dir.path(), "broken.md", b"---\nname: [\n---\n");
    let breaker: Vec<String> = ["true"].map(String::from).to_vec();
    let mut out = Vec::new();
    let code = edit_in_editor(dir.path(), &ed, "broken", &breaker, &mut out).unwrap();
    assert_eq!(code, std::process::ExitCode::from(1));
    assert!(String::from_utf8(out).unwrap().contains("broken.md, line"));
}

#[test]
fn missing_people_folder_is_empty_not_an_error() {
    let (root, _dir) = setup();
    let out = run_ok(root.path(), &["people"]);
    assert!(out.starts_with("No people in"), "{out}");
}

#[test]
fn without_a_config_file_the_default_folder_is_used() {
    let root = tempfile::tempdir().unwrap();
    run_ok(
        root.path(),
        &["person", "add", "Jan Smit", "--email", "jan@x.example"],
    );
    let path = root.path().join("data/people/jan-smit.md");
    assert!(path.is_file());
    let out = run_ok(root.path(), &["people"]);
    assert!(out.contains("Jan Smit"), "{out}");
}

#[test]
fn done_matches_text_with_commas_and_accents() {
    let text = "## Follow-ups\n- [ ] Send numbers, ASAP\n- [ ] Café visit, Friday\n";
    let a = apply(
        text,
        &Edit::Done {
            selector: "numbers, asap".into(),
            today: d("2026-11-27"),
        },
    )
    .unwrap();
    assert_eq!(
        a.text,
        "## Follow-ups\n- [x] Send numbers, ASAP ✅ 2026-11-27\n- [ ] Café visit, Friday\n"
    );
    let a = apply(
        text,
        &Edit::Done {
            selector: "cafe visit".into(),
            today: d("2026-11-27"),
        },
    )
    .unwrap();
    assert_eq!(a.line, 3);
}

#[test]
fn read_only_files_are_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = put(dir.path(), "y.md", example().as_bytes());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let state = tempfile::tempdir().unwrap();
    let err = edit_file(
        &writer(state.path()),
        &path,
        &Edit::Note {
            date: d("2026-11-27"),
            text: "x".into(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), example());
}

/// A note with an Obsidian template in a `%%` comment, an HTML comment and a
/// code block, each holding a `## Log` heading and dated lines.
const COMMENTED: &str = "---\nname: Ana Lima\n---\n\
## Talk about\n- hiking\n\n\
%%\n## Log\n- 2000-01-01 template entry\n- [ ] template task\n%%\n\n\
<!--\n## Follow-ups\n- [ ] html template task\n## Log\n- 2000-01-02 html entry\n-->\n\n\
```markdown\n## Log\n- 2000-01-03 example in code\n```\n\n\
## Log\n- 2026-03-01 real entry\n\n\
%% Obsidian template for new entries:\n- YYYY-MM-DD text\n%%\n";

#[test]
fn headings_and_entries_inside_comments_and_code_are_not_sections() {
    let p = people::parse_person(Path::new("ana.md"), COMMENTED).unwrap();
    let log: Vec<(String, &str)> = p
        .log
        .iter()
        .map(|e| (e.date.to_string(), e.text.as_str()))
        .collect();
    assert_eq!(log, [("2026-03-01".to_string(), "real entry")]);
    assert!(p.follow_ups.is_empty(), "{:?}", p.follow_ups);
    assert_eq!(p.last_met(), Some(d("2026-03-01")));
    assert_eq!(p.topics.len(), 1, "{:?}", p.topics);

    // The new entry goes under the real Log, after its last entry and after
    // the closed comment that ends the section; never into a comment.
    let a = apply(
        COMMENTED,
        &Edit::Note {
            date: d("2026-03-02"),
            text: "second".into(),
        },
    )
    .unwrap();
    assert_eq!(a.text, format!("{COMMENTED}\n- 2026-03-02 second\n"));
    let p = people::parse_person(Path::new("ana.md"), &a.text).unwrap();
    assert_eq!(p.log.len(), 2);

    // Follow-ups is missing (the one in the HTML comment does not count): it
    // is created just before the real Log.
    let a = apply(
        COMMENTED,
        &Edit::Owe {
            text: "send the map".into(),
            due: None,
        },
    )
    .unwrap();
    assert!(
        a.text
            .contains("```\n\n## Follow-ups\n- [ ] send the map #owe\n\n## Log\n- 2026-03-01"),
        "{}",
        a.text
    );
    let p = people::parse_person(Path::new("ana.md"), &a.text).unwrap();
    assert_eq!(p.follow_ups.len(), 1);
    assert_eq!(p.follow_ups[0].text, "send the map");
}

#[test]
fn a_comment_left_open_hides_the_rest_and_entries_go_before_it() {
    // In the Log: the entry goes after the last visible line.
    let text = "---\nname: Ana Lima\n---\n## Log\n- 2026-03-01 real\n\n%% draft\n## Follow-ups\n- [ ] hidden\n";
    let p = people::parse_person(Path::new("ana.md"), text).unwrap();
    assert!(p.follow_ups.is_empty());
    let a = apply(
        text,
        &Edit::Note {
            date: d("2026-03-02"),
            text: "visible".into(),
        },
    )
    .unwrap();
    assert_eq!(
        a.text,
        "---\nname: Ana Lima\n---\n## Log\n- 2026-03-01 real\n- 2026-03-02 visible\n\n%% draft\n## Follow-ups\n- [ ] hidden\n"
    );
    // No Log at all: it is created before the open comment, not inside it.
    let text = "---\nname: Ana Lima\n---\nSummary.\n<!-- unfinished\n## Log\n";
    let a = apply(
        text,
        &Edit::Note {
            date: d("2026-03-02"),
            text: "first".into(),
        },
    )
    .unwrap();
    assert_eq!(
        a.text,
        "---\nname: Ana Lima\n---\nSummary.\n\n## Log\n- 2026-03-02 first\n\n<!-- unfinished\n## Log\n"
    );
    assert_eq!(a.line, 7);
    let p = people::parse_person(Path::new("ana.md"), &a.text).unwrap();
    assert_eq!(p.log.len(), 1);
}

/// A `birthday`, `dates`, `cadence` or `snooze_until` that cannot be read
/// no longer makes the whole note unreadable: the person is listed (and so
/// in briefs), the value is ignored, and the warning names file and line
/// in `rapport people`, `--json` and `rapport check`.
#[test]
fn a_bad_between_meetings_value_is_ignored_with_a_warning_not_the_person() {
    let home = crate::common::home::Home::new();
    home.write_config(&home.config_text("Me", "me@x.example", ""));
    home.note(
        "ann.md",
        "---\nname: Ann Lee\nemails: [ann@x.example]\nbirthday: March 14\ncadence: often\n\
         snooze_until: next week\ndates:\n  - {date: --05-02, what: ok}\n  - {date: 2026-13-01, what: exam}\n---\n\
         ## Follow-ups\n- [ ] Send the deck\n",
    );
    let out = home.rapport(&["people"]);
    assert!(out.success(), "{:?}", out.error);
    assert!(out.stdout.contains("Ann Lee"), "{}", out.stdout);
    for (line, key) in [
        (4, "birthday"),
        (5, "cadence"),
        (6, "snooze_until"),
        (9, "dates"),
    ] {
        assert!(
            out.stdout
                .contains(&format!("ann.md, line {line}: front matter key `{key}`")),
            "{key}: {}",
            out.stdout
        );
    }
    let json = home.rapport(&["people", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let ann = &v["people"][0];
    assert_eq!(ann["name"], "Ann Lee");
    assert_eq!(ann["warnings"].as_array().unwrap().len(), 4);
    assert_eq!(ann["dates"].as_array().unwrap().len(), 1);
    let shown = home.rapport(&["person", "show", "ann"]);
    assert!(shown.stdout.contains("Send the deck"), "{}", shown.stdout);

    let people = rapport::people::load(&home.people_dir());
    let section = rapport::cli::check::people_section(&people);
    let warnings: Vec<&str> = section
        .findings
        .iter()
        .filter(|f| f.level == rapport::cli::check::Level::Warning)
        .map(|f| f.text.as_str())
        .collect();
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(warnings[0].ends_with("ann.md:4: front matter key `birthday`: `March 14` is not a date; write YYYY-MM-DD (1985-03-14), or --MM-DD (--03-14) when the year is unknown; the key is ignored until it is fixed"), "{warnings:?}");
    assert!(!section
        .findings
        .iter()
        .any(|f| f.level == rapport::cli::check::Level::Error));
}
