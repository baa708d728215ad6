//! Notes are never lost beside other programs (issue 9): the real `rapport`
//! binary edits a note in a loop for a few seconds while another program
//! saves the same note (in place in one write, in place in two writes with a
//! pause, by temporary file and rename), while a second rapport writes it,
//! or while rapport is killed at random moments. The other program is a
//! process too: this test binary run again in the "saver" role.
//!
//! Counted and asserted, per run: lines of the other program lost (0),
//! acknowledged rapport edits lost (0; an edit that a later save of the other
//! program replaced is counted apart: that save read the note before the edit
//! was in it), notes truncated or without front matter (0), stray files (0).
//! Each run prints one `STRESS` line with its counts (docs/reliability.md).
//! `RAPPORT_STRESS_SECONDS` lengthens every run (default: a few seconds).

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::notes::{Home, NOTE};

const ROLE: &str = "RAPPORT_STRESS_ROLE";
const SAVER_NOTE: &str = "RAPPORT_STRESS_NOTE";
const SAVER_LOG: &str = "RAPPORT_STRESS_LOG";
const SAVER_UNTIL: &str = "RAPPORT_STRESS_UNTIL_NS";

/// How another program saves the note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saver {
    /// Truncate, then write everything at once (nano, VS Code, Obsidian).
    InPlace,
    /// Truncate, write half, pause 2-15 ms, write the rest.
    InPlaceTwoWrites,
    /// Write a temporary file next to it, rename it over the note.
    Rename,
}

impl Saver {
    fn name(self) -> &'static str {
        match self {
            Saver::InPlace => "in-place",
            Saver::InPlaceTwoWrites => "in-place-two-writes",
            Saver::Rename => "rename",
        }
    }
}

/// CLOCK_MONOTONIC in ns: comparable between the test and its children.
fn mono_ns() -> u128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

/// A small xorshift: the pauses need no quality, only variety.
struct Rng(u64);
impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn seconds(default: f64) -> Duration {
    let s = std::env::var("RAPPORT_STRESS_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(default);
    Duration::from_secs_f64(s)
}

// ---------------------------------------------------------------------------
// The notes

/// A shape of note the runs cover.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Lf,
    Crlf,
    BomCrlf,
    NoFinalNewline,
    Subfolder,
    Symlink,
    FourMegabytes,
}

const SHAPES: [Shape; 7] = [
    Shape::Lf,
    Shape::Crlf,
    Shape::BomCrlf,
    Shape::NoFinalNewline,
    Shape::Subfolder,
    Shape::Symlink,
    Shape::FourMegabytes,
];

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Lf => "lf",
            Shape::Crlf => "crlf",
            Shape::BomCrlf => "bom+crlf",
            Shape::NoFinalNewline => "no-final-newline",
            Shape::Subfolder => "subfolder",
            Shape::Symlink => "symlink",
            Shape::FourMegabytes => "4mb",
        }
    }
}

/// A note of `shape` in `home`: (the path rapport and the saver use, the
/// files that may exist in the people folder and beside it, the original).
struct Note {
    path: PathBuf,
    /// Every file and folder that belongs (relative to the home root).
    expected: BTreeSet<PathBuf>,
    original: Vec<u8>,
}

fn make_note(home: &Home, shape: Shape) -> Note {
    let people = home.people();
    let lf = NOTE.to_string();
    let crlf = NOTE.replace('\n', "\r\n");
    let (rel, text): (&str, String) = match shape {
        Shape::Lf | Shape::Symlink => ("tom.md", lf),
        Shape::Crlf => ("tom.md", crlf),
        Shape::BomCrlf => ("tom.md", format!("\u{feff}{crlf}")),
        Shape::NoFinalNewline => ("tom.md", lf.trim_end().to_string()),
        Shape::Subfolder => ("team/berlin/tom.md", lf),
        Shape::FourMegabytes => {
            // Just under the 4 MiB a note may have, with room for the run.
            let mut t = NOTE.replace("## Log\n", "## Talk about\n");
            let line =
                "- a long talking point that fills the note, line after line, to make it big\n";
            while t.len() + line.len() < 4_000_000 {
                t.push_str(line);
            }
            t.push_str("\n## Log\n- 2026-01-10 Met at the meetup\n");
            ("tom.md", t)
        }
    };
    let mut expected = BTreeSet::new();
    let path = people.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let root = home.root.path();
    let mut p = path.parent().unwrap();
    while p != people && p.starts_with(&people) {
        expected.insert(p.strip_prefix(root).unwrap().to_path_buf());
        p = p.parent().unwrap();
    }
    expected.insert(path.strip_prefix(root).unwrap().to_path_buf());
    if let Shape::Symlink = shape {
        let vault = root.join("vault");
        fs::create_dir_all(&vault).unwrap();
        let target = vault.join("tom-real.md");
        fs::write(&target, &text).unwrap();
        std::os::unix::fs::symlink("../vault/tom-real.md", &path).unwrap();
        expected.insert(PathBuf::from("vault/tom-real.md"));
    } else {
        fs::write(&path, &text).unwrap();
    }
    Note {
        path,
        expected,
        original: text.into_bytes(),
    }
}

/// `text` with `line` added at its end the way an editor would: in the
/// note's line ending, keeping a missing final newline missing.
fn append_line(text: &[u8], line: &str, nl: &str, final_newline: bool) -> Vec<u8> {
    let mut out = text.to_vec();
    if final_newline {
        if !out.ends_with(b"\n") {
            out.extend_from_slice(nl.as_bytes());
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(nl.as_bytes());
    } else {
        out.extend_from_slice(nl.as_bytes());
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// The `rapport-…`/`saver-…` markers in a note.
fn markers(text: &[u8], prefix: &str) -> BTreeSet<String> {
    String::from_utf8_lossy(text)
        .split(|c: char| c.is_whitespace())
        .filter(|w| w.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------
// The other program

/// In the saver role (this binary run again by a stress test): saves the
/// note until the deadline, logging every save, and returns true.
fn saver_role(saver: Saver) -> bool {
    if std::env::var(ROLE).ok().as_deref() != Some(saver.name()) {
        return false;
    }
    let note = PathBuf::from(std::env::var(SAVER_NOTE).unwrap());
    let until: u128 = std::env::var(SAVER_UNTIL).unwrap().parse().unwrap();
    let mut log = fs::File::create(std::env::var(SAVER_LOG).unwrap()).unwrap();
    let original = fs::read(&note).unwrap();
    let nl = if original.windows(2).any(|w| w == b"\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let final_newline = original.ends_with(b"\n");
    // A careful editor saves a symlinked note through the link: in place
    // writes follow it, a rename replaces the target.
    let target = fs::canonicalize(&note).unwrap();
    let tmp = target.with_file_name(".tom.md.saver~");
    let mut rng = Rng::new(std::process::id() as u64);
    let mut k = 0u64;
    while mono_ns() < until {
        std::thread::sleep(Duration::from_millis(40 + rng.below(160)));
        let read_at = mono_ns();
        let before = fs::read(&note).unwrap();
        k += 1;
        let line = format!("- 2026-01-03 saver-{k}");
        let new = append_line(&before, &line, nl, final_newline);
        let write_at = mono_ns();
        match saver {
            Saver::InPlace => {
                let mut f = fs::File::create(&note).unwrap();
                f.write_all(&new).unwrap();
            }
            Saver::InPlaceTwoWrites => {
                let mut f = fs::File::create(&note).unwrap();
                let half = new.len() / 2;
                f.write_all(&new[..half]).unwrap();
                std::thread::sleep(Duration::from_millis(2 + rng.below(14)));
                f.write_all(&new[half..]).unwrap();
            }
            Saver::Rename => {
                fs::write(&tmp, &new).unwrap();
                fs::rename(&tmp, &target).unwrap();
            }
        }
        let done_at = mono_ns();
        let whole = before.starts_with(&original);
        let seen: Vec<String> = markers(&before, "rapport-").into_iter().collect();
        writeln!(
            log,
            "{k} {read_at} {write_at} {done_at} {} {}",
            u8::from(whole),
            seen.join(",")
        )
        .unwrap();
    }
    true
}

/// One save of the other program, from its log.
#[derive(Debug)]
struct Save {
    k: u64,
    read_at: u128,
    done_at: u128,
    /// The note it read started with the original (not truncated).
    whole: bool,
    seen: BTreeSet<String>,
}

fn read_saves(log: &Path) -> Vec<Save> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(6, ' ').collect();
            Save {
                k: f[0].parse().unwrap(),
                read_at: f[1].parse().unwrap(),
                done_at: f[3].parse().unwrap(),
                whole: f[4] == "1",
                seen: f
                    .get(5)
                    .map(|s| {
                        s.split(',')
                            .filter(|m| !m.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// rapport

/// One `rapport note` run.
#[derive(Debug)]
struct Edit {
    marker: String,
    started: u128,
    ended: u128,
    acknowledged: bool,
    stderr: String,
}

impl Edit {
    /// Times rapport found the note changed before its swap and redid the
    /// edit on the new contents (its `-v` log says so).
    fn redone(&self) -> usize {
        self.stderr.matches("doing the edit again").count()
    }
}

/// Runs `rapport note Tom MARKER` one after the other until `until`.
fn rapport_loop(home: &Home, writer: usize, until: u128, fault: Option<&str>) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut i = 0;
    while mono_ns() < until {
        i += 1;
        let marker = format!("rapport-{writer}-{i}");
        let started = mono_ns();
        let out = home.run(
            fault,
            &["-v", "note", "Tom", &marker, "--date", "2026-01-02"],
        );
        let ended = mono_ns();
        let stdout = String::from_utf8_lossy(&out.stdout);
        edits.push(Edit {
            acknowledged: out.status.success() && stdout.contains("added line"),
            marker,
            started,
            ended,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    edits
}

/// Files in the home that do not belong: anything in the people folder (or
/// beside a symlinked note) but the note, and temporary files anywhere
/// under the state folder.
fn stray_files(home: &Home, expected: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            out.push(p.clone());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, out);
            }
        }
    }
    let root = home.root.path();
    let mut all = Vec::new();
    walk(&home.people(), &mut all);
    walk(&root.join("vault"), &mut all);
    let mut stray: Vec<PathBuf> = all
        .into_iter()
        .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
        .filter(|p| !expected.contains(p))
        .collect();
    let mut state = Vec::new();
    walk(&home.state(), &mut state);
    stray.extend(state.into_iter().filter(|p| {
        let n = p.file_name().unwrap().to_string_lossy();
        n.ends_with(".tmp") || n.contains("rapport-conflict")
    }));
    stray
}

/// The counts of one run.
#[derive(Debug, Default)]
struct Counts {
    saves: usize,
    saver_lines_lost: usize,
    edits: usize,
    acknowledged: usize,
    refused: usize,
    redone: usize,
    lost: usize,
    replaced_by_later_save: usize,
    truncated: usize,
    stray: usize,
}

impl Counts {
    fn print(&self, what: &str) {
        eprintln!(
            "STRESS {what}: other program's saves {}, its lines lost {}; rapport edits {}, acknowledged {}, refused with \"nothing was changed\" {}, redone on new contents {}, acknowledged but lost {}, replaced by a later save of the other program {}; notes truncated or without front matter {}; stray files {}",
            self.saves,
            self.saver_lines_lost,
            self.edits,
            self.acknowledged,
            self.refused,
            self.redone,
            self.lost,
            self.replaced_by_later_save,
            self.truncated,
            self.stray
        );
    }

    fn assert_clean(&self, what: &str) {
        self.print(what);
        assert_eq!(
            self.saver_lines_lost, 0,
            "{what}: the other program's lines lost"
        );
        assert_eq!(self.lost, 0, "{what}: acknowledged rapport edits lost");
        assert_eq!(self.truncated, 0, "{what}: truncated notes");
        assert_eq!(self.stray, 0, "{what}: stray files");
        assert!(self.acknowledged > 0, "{what}: no rapport edit got through");
    }
}

/// Checks a refused edit's message: it names the note and says nothing
/// was written.
fn assert_clear_refusal(e: &Edit, what: &str) {
    assert!(
        e.stderr.contains("tom.md")
            && (e.stderr.contains("nothing was changed")
                || e.stderr.contains("nothing was written")),
        "{what}: {} failed without a clear message: {}",
        e.marker,
        e.stderr
    );
}

/// One run: rapport edits the note in a loop while `saver` saves it.
fn run_beside(
    saver: Saver,
    test: &str,
    shape: Shape,
    secs: Duration,
    fault: Option<&str>,
) -> Counts {
    let what = format!(
        "{} saver, {} note{}",
        saver.name(),
        shape.name(),
        fault
            .map(|f| format!(", RAPPORT_FAULT={f}"))
            .unwrap_or_default()
    );
    let home = Home::empty();
    let note = make_note(&home, shape);
    let log = home.root.path().join("saver.log");
    let until = mono_ns() + secs.as_nanos();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(ROLE, saver.name())
        .env(SAVER_NOTE, &note.path)
        .env(SAVER_LOG, &log)
        .env(SAVER_UNTIL, until.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let edits = rapport_loop(&home, 1, until, fault);
    let status = child.wait().unwrap();
    assert!(status.success(), "{what}: the saver failed: {status}");
    let saves = read_saves(&log);
    let text = fs::read(&note.path).unwrap();

    let mut c = Counts {
        saves: saves.len(),
        edits: edits.len(),
        ..Counts::default()
    };
    let in_note = markers(&text, "saver-");
    c.saver_lines_lost = saves
        .iter()
        .filter(|s| !in_note.contains(&format!("saver-{}", s.k)))
        .count();
    // What a lost save overlapped, for whoever debugs it.
    for s in saves
        .iter()
        .filter(|s| !in_note.contains(&format!("saver-{}", s.k)))
    {
        eprintln!("{what}: LOST saver-{} ({}..{})", s.k, s.read_at, s.done_at);
        let near = 300_000_000;
        for e in edits
            .iter()
            .filter(|e| e.ended + near > s.read_at && e.started < s.done_at + near)
        {
            eprintln!(
                "  beside {} ({}..{}): {}",
                e.marker, e.started, e.ended, e.stderr
            );
        }
    }
    let rapport_in_note = markers(&text, "rapport-");
    for e in &edits {
        c.redone += e.redone();
        if !e.acknowledged {
            assert_clear_refusal(e, &what);
            c.refused += 1;
            continue;
        }
        c.acknowledged += 1;
        if rapport_in_note.contains(&e.marker) {
            continue;
        }
        // Lost, unless a save of the other program read the note before
        // this edit was in it and wrote after the edit began.
        let replaced = saves
            .iter()
            .any(|s| !s.seen.contains(&e.marker) && s.read_at < e.ended && s.done_at > e.started);
        if replaced {
            c.replaced_by_later_save += 1;
        } else {
            eprintln!("{what}: LOST {} ({}..{})", e.marker, e.started, e.ended);
            c.lost += 1;
        }
    }
    let text_str = String::from_utf8_lossy(&text);
    let has_front_matter = text_str.trim_start_matches('\u{feff}').starts_with("---");
    c.truncated = saves.iter().filter(|s| !s.whole).count()
        + usize::from(!text.starts_with(&note.original))
        + usize::from(!has_front_matter);
    let stray = stray_files(&home, &note.expected);
    if !stray.is_empty() {
        eprintln!("{what}: stray {stray:?}");
    }
    c.stray = stray.len();
    c.print(&what);
    c
}

fn beside(saver: Saver, test: &str, fault: Option<&str>) {
    let mut total = Counts::default();
    for shape in SHAPES {
        let secs = match shape {
            Shape::FourMegabytes => seconds(5.0),
            _ => seconds(1.2),
        };
        let c = run_beside(saver, test, shape, secs, fault);
        let what = format!("{} saver, {} note", saver.name(), shape.name());
        assert_eq!(
            c.saver_lines_lost, 0,
            "{what}: the other program's lines lost"
        );
        assert_eq!(c.lost, 0, "{what}: acknowledged rapport edits lost");
        assert_eq!(c.truncated, 0, "{what}: truncated notes");
        assert_eq!(c.stray, 0, "{what}: stray files");
        total.saves += c.saves;
        total.saver_lines_lost += c.saver_lines_lost;
        total.edits += c.edits;
        total.acknowledged += c.acknowledged;
        total.refused += c.refused;
        total.redone += c.redone;
        total.lost += c.lost;
        total.replaced_by_later_save += c.replaced_by_later_save;
        total.truncated += c.truncated;
        total.stray += c.stray;
    }
    total.assert_clean(&format!(
        "{} saver, all 7 note shapes{}",
        saver.name(),
        fault
            .map(|f| format!(", RAPPORT_FAULT={f}"))
            .unwrap_or_default()
    ));
}

#[test]
fn beside_an_editor_saving_in_place_nothing_is_lost() {
    const TEST: &str = "reliability_notes_stress::beside_an_editor_saving_in_place_nothing_is_lost";
    if saver_role(Saver::InPlace) {
        return;
    }
    beside(Saver::InPlace, TEST, None);
}

#[test]
fn beside_an_editor_saving_in_place_in_two_writes_nothing_is_lost() {
    const TEST: &str =
        "reliability_notes_stress::beside_an_editor_saving_in_place_in_two_writes_nothing_is_lost";
    if saver_role(Saver::InPlaceTwoWrites) {
        return;
    }
    beside(Saver::InPlaceTwoWrites, TEST, None);
}

#[test]
fn beside_an_editor_saving_by_rename_nothing_is_lost() {
    const TEST: &str =
        "reliability_notes_stress::beside_an_editor_saving_by_rename_nothing_is_lost";
    if saver_role(Saver::Rename) {
        return;
    }
    beside(Saver::Rename, TEST, None);
}

/// Without leases (NFS, SMB, FUSE, a note owned by someone else): the
/// settle wait and the checks around the swap carry it alone.
#[test]
fn without_leases_an_editor_saving_in_place_in_two_writes_loses_nothing() {
    const TEST: &str =
        "reliability_notes_stress::without_leases_an_editor_saving_in_place_in_two_writes_loses_nothing";
    if saver_role(Saver::InPlaceTwoWrites) {
        return;
    }
    let c = run_beside(
        Saver::InPlaceTwoWrites,
        TEST,
        Shape::Lf,
        seconds(3.0),
        Some("no-lease"),
    );
    c.assert_clean("in-place-two-writes saver without leases");
}

// ---------------------------------------------------------------------------
// rapport beside rapport, and kill -9

#[test]
fn two_rapport_writers_lose_no_acknowledged_edit() {
    let home = Home::new();
    let until = mono_ns() + seconds(3.0).as_nanos();
    let edits: Vec<Edit> = std::thread::scope(|s| {
        let writers: Vec<_> = (1..=3)
            .map(|w| {
                let home = &home;
                s.spawn(move || rapport_loop(home, w, until, None))
            })
            .collect();
        writers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let text = fs::read(home.note()).unwrap();
    let in_note = markers(&text, "rapport-");
    let mut c = Counts {
        edits: edits.len(),
        ..Counts::default()
    };
    for e in &edits {
        c.redone += e.redone();
        if e.acknowledged {
            c.acknowledged += 1;
            if !in_note.contains(&e.marker) {
                eprintln!("LOST {}", e.marker);
                c.lost += 1;
            }
        } else {
            eprintln!("{} failed: {}", e.marker, e.stderr);
            c.refused += 1;
        }
    }
    c.truncated = usize::from(!text.starts_with(NOTE.as_bytes()));
    c.stray = stray_files(&home, &[PathBuf::from("notes/tom.md")].into()).len();
    c.assert_clean("3 rapport writers on one note");
    assert_eq!(c.refused, 0, "a rapport writer waits for the other");
    // Every edit is in the note exactly once.
    let count = String::from_utf8_lossy(&text).matches("rapport-").count();
    assert_eq!(count, c.acknowledged);
}

#[test]
fn kill_9_at_random_moments_beside_a_second_writer_loses_nothing() {
    let home = Home::new();
    let until = mono_ns() + seconds(3.0).as_nanos();
    let mut rng = Rng::new(mono_ns() as u64);
    let (edits, kills, torn) = std::thread::scope(|s| {
        let steady = s.spawn(|| rapport_loop(&home, 1, until, None));
        let mut kills = 0usize;
        let mut torn = 0usize;
        let mut i = 0;
        while mono_ns() < until {
            i += 1;
            let marker = format!("killed-{i}");
            let mut child = home
                .command(None, &["note", "Tom", &marker, "--date", "2026-01-04"])
                .spawn()
                .unwrap();
            // Somewhere in its run: loading, waiting for the lock, writing.
            std::thread::sleep(Duration::from_micros(rng.below(12_000)));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                kills += 1;
            }
            child.wait().unwrap();
            // Whatever moment it died at, the note is whole.
            let text = fs::read(home.note()).unwrap();
            if !text.starts_with(NOTE.as_bytes()) {
                torn += 1;
            }
        }
        (steady.join().unwrap(), kills, torn)
    });
    // The next command removes what the killed ones left (temporary files
    // named in the moment around a rename).
    let left_before = stray_files(&home, &[PathBuf::from("notes/tom.md")].into()).len();
    let next = home.run(
        None,
        &["note", "Tom", "after the kills", "--date", "2026-01-05"],
    );
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    let text = fs::read(home.note()).unwrap();
    let in_note = markers(&text, "rapport-");
    let mut c = Counts {
        edits: edits.len(),
        truncated: torn + usize::from(!text.starts_with(NOTE.as_bytes())),
        ..Counts::default()
    };
    for e in &edits {
        if e.acknowledged {
            c.acknowledged += 1;
            c.lost += usize::from(!in_note.contains(&e.marker));
        } else {
            assert_clear_refusal(e, "beside kill -9");
            c.refused += 1;
        }
    }
    c.stray = stray_files(&home, &[PathBuf::from("notes/tom.md")].into()).len();
    eprintln!("STRESS kill -9: {kills} rapport processes killed at random moments; {left_before} temporary files left by them before the next command");
    c.assert_clean("kill -9 beside a second writer");
    assert!(kills > 0, "no process was killed mid-run");
}
