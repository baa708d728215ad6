//! Property tests of the lossless editor on generated notes: whatever the
//! layout, an edit either is refused or changes exactly the intended bytes.

use std::path::Path;

use chrono::NaiveDate;
use proptest::prelude::*;
use rapport::people::edit::{apply, Edit};
use rapport::people::parse_person;

/// Lines that people notes (and Obsidian) contain, including awkward ones.
const LINES: &[&str] = &[
    "",
    "",
    "## Log",
    "## Follow-ups",
    "## Family",
    "### Sub heading",
    "# Title",
    "- [ ] open task",
    "- [x] done task ✅ 2026-01-02",
    "- [-] cancelled",
    "  - [ ] nested task 📅 2026-01-01",
    "\t- [/] in progress ⏳ 2026-02-02",
    "> - [ ] task in a callout",
    "> [!note] Callout",
    "> quoted text",
    "- bullet",
    "  - nested bullet",
    "1. numbered",
    "- 2026-11-01 log entry",
    "- [[2026-11-02]] linked log entry",
    "Some paragraph text.",
    "| a | b |",
    "| --- | --- |",
    "![[embed.png]]",
    "```",
    "~~~",
    "---",
    "- ",
    "   ",
    "## Log ##",
];

fn note_strategy() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(0..LINES.len(), 0..30),
        any::<bool>(), // CRLF
        any::<bool>(), // final newline
        any::<bool>(), // BOM
        any::<bool>(), // front matter
    )
        .prop_map(|(idx, crlf, final_nl, bom, fm)| {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut lines: Vec<&str> = Vec::new();
            if fm {
                lines.extend(["---", "name: Test Person", "tags: [x]", "---"]);
            }
            lines.extend(idx.iter().map(|&i| LINES[i]));
            let mut text = lines.join(nl);
            if final_nl && !lines.is_empty() {
                text.push_str(nl);
            }
            if bom {
                text.insert(0, '\u{feff}');
            }
            text
        })
}

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

/// The lines `new` adds to `original`, if `new` is `original` with whole
/// lines inserted at one place (lines split on the file's line ending).
fn inserted_lines<'a>(original: &str, new: &'a str, nl: &str) -> Option<Vec<&'a str>> {
    // The BOM is checked separately; here it would glue to the first line.
    let strip = |t: &'a str| t.strip_prefix('\u{feff}').unwrap_or(t);
    let o: Vec<&str> = original
        .strip_prefix('\u{feff}')
        .unwrap_or(original)
        .split(nl)
        .collect();
    let n: Vec<&str> = strip(new).split(nl).collect();
    let p = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let s = o[p..]
        .iter()
        .rev()
        .zip(n[p..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (p + s == o.len()).then(|| n[p..n.len() - s].to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn appends_only_add_lines(text in note_strategy(), which in 0..3usize) {
        let (edit, item) = match which {
            0 => (Edit::Note { date: date(), text: "new entry".into() }, "- 2026-11-27 new entry"),
            1 => (Edit::Ask { text: "new ask".into(), after: date() }, "- [ ] new ask 🛫 2026-11-27"),
            _ => (Edit::Owe { text: "new promise".into(), due: None }, "- [ ] new promise #owe"),
        };
        let old = parse_person(Path::new("x.md"), &text);
        match apply(&text, &edit) {
            Ok(applied) => {
                let crlf = text.contains("\r\n");
                let nl = if crlf { "\r\n" } else { "\n" };
                let added = inserted_lines(&text, &applied.text, nl);
                prop_assert!(added.is_some(), "not a pure insertion:\n{text:?}\n{:?}", applied.text);
                let added = added.unwrap();
                prop_assert_eq!(added.iter().filter(|l| **l == item).count(), 1);
                for part in &added {
                    // Only whole lines, in the file's own line ending.
                    prop_assert!(
                        part.is_empty() || *part == item || *part == "## Log" || *part == "## Follow-ups",
                        "unexpected {part:?} in {added:?}"
                    );
                }
                prop_assert_eq!(applied.text.lines().nth(applied.line - 1).map(|l| l.trim_start_matches('\u{feff}')), Some(item));
                // A BOM stays first, and appears nowhere else.
                prop_assert_eq!(text.starts_with('\u{feff}'), applied.text.starts_with('\u{feff}'));
                prop_assert_eq!(text.matches('\u{feff}').count(), applied.text.matches('\u{feff}').count());
                // The final-newline style is kept (an empty file gets one).
                if !text.is_empty() {
                    prop_assert_eq!(text.ends_with('\n'), applied.text.ends_with('\n'));
                }
                let new = parse_person(Path::new("x.md"), &applied.text).unwrap();
                let old = old.unwrap();
                if which == 0 {
                    prop_assert_eq!(new.log.len(), old.log.len() + 1);
                } else {
                    prop_assert_eq!(new.follow_ups.len(), old.follow_ups.len() + 1);
                }
            }
            Err(_) => {
                // Refusals only happen for layouts where the line would not
                // read back (e.g. a section ending in an unclosed fence) or
                // for files that do not parse.
            }
        }
    }

    #[test]
    fn done_ticks_one_task_in_place(text in note_strategy()) {
        let Ok(person) = parse_person(Path::new("x.md"), &text) else { return Ok(()) };
        let done = Edit::Done { selector: "1".into(), today: date() };
        if person.follow_ups.is_empty() {
            let refused = apply(&text, &done).is_err();
            prop_assert!(refused);
            return Ok(());
        }
        let applied = apply(&text, &done).unwrap();
        let line = person.follow_ups[0].line;
        prop_assert_eq!(applied.line, line);
        let sep = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let old_lines: Vec<&str> = text.split(sep).collect();
        let new_lines: Vec<&str> = applied.text.split(sep).collect();
        prop_assert_eq!(old_lines.len(), new_lines.len());
        for (i, (a, b)) in old_lines.iter().zip(&new_lines).enumerate() {
            if i + 1 == line {
                prop_assert!(b.contains("[x]") && b.contains("✅ 2026-11-27"), "{b:?}");
                let restored = b.replacen(" ✅ 2026-11-27", "", 1).replacen("[x]", "[ ]", 1);
                let restored_progress = b.replacen(" ✅ 2026-11-27", "", 1).replacen("[x]", "[/]", 1);
                prop_assert!(*a == restored || *a == restored_progress, "{a:?} -> {b:?}");
            } else {
                prop_assert_eq!(a, b);
            }
        }
    }
}

/// A refusal example for the comment above: the new line would land inside
/// an unclosed code fence, so it is refused instead of written.
#[test]
fn follow_ups_created_before_a_first_line_log_keep_the_bom_first() {
    let text = "\u{feff}## Log\n- 2026-11-01 a\n";
    let a = apply(
        text,
        &Edit::Ask {
            text: "q".into(),
            after: date(),
        },
    )
    .unwrap();
    assert_eq!(
        a.text,
        "\u{feff}## Follow-ups\n- [ ] q 🛫 2026-11-27\n\n## Log\n- 2026-11-01 a\n"
    );
}

#[test]
fn unclosed_fence_is_refused_not_damaged() {
    let text = "## Log\n- 2026-11-01 a\n```\nsome code\n";
    let err = apply(
        text,
        &Edit::Note {
            date: date(),
            text: "x".into(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("would not read back"), "{err}");
}
