//! `rapport import FILE [--dry-run] [--json]`: people from an address book
//! (vCard 2.1/3.0/4.0, Google Contacts CSV). Reading and planning are the
//! pure [`crate::people::import`]; this file reads the file and the notes,
//! carries the plan out and prints it. `--dry-run` prints the same plan and
//! writes nothing.
//!
//! Writing: the people folder's lock (the one `person add` and `people
//! adopt` take) is held from reading the notes to the last write, so two
//! imports never both create one person. New notes are created, never
//! replacing a file. A note to fill is changed through the [`NoteWriter`]
//! (its lock, a settled read, the version before kept for `rapport undo`),
//! and only if it still holds exactly the bytes the plan was made from: a
//! note edited since is left alone and reported.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use super::suggest::{warn_if_me_empty, write_created};
use crate::config::{self, ConfigError, Paths};
use crate::people::import::{plan_import, read_contacts, ImportPlan, Skipped};
use crate::people::new_notes::create_all;
use crate::people::writer::{self, NoteWriter, WriteError};
use crate::people::{self, versions, Me};
use crate::util::text;

/// Why a planned update was not written.
#[derive(Debug)]
enum UpdateError {
    Write(WriteError),
    /// The note is no longer what the plan was made from.
    ChangedSincePlan,
}

impl From<WriteError> for UpdateError {
    fn from(e: WriteError) -> Self {
        UpdateError::Write(e)
    }
}

/// The people folder and `[me]` from the config; without a config file,
/// the default folder and nobody as me.
fn folder_and_me(paths: &Paths) -> anyhow::Result<(PathBuf, Me)> {
    match config::load(paths) {
        Ok(c) => Ok((c.people.dir, c.me)),
        Err(ConfigError::NotFound { .. }) => Ok((paths.data_dir.join("people"), Me::default())),
        Err(e) => Err(e.into()),
    }
}

/// `rapport import FILE [--dry-run] [--json]`. Exit 1 when a planned write
/// failed (the rest is written and everything reported).
pub fn run(
    paths: &Paths,
    file: &Path,
    dry_run: bool,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let (dir, me) = folder_and_me(paths)?;
    let bytes = std::fs::read(file).with_context(|| {
        format!(
            "{}: cannot read the address book; export your contacts as a vCard (.vcf) or Google CSV file and give its path",
            file.display()
        )
    })?;
    let contacts = read_contacts(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    for w in &contacts.warnings {
        tracing::warn!("{}: {}", file.display(), text::line(w, 400));
    }
    for card in &contacts.cards {
        for w in &card.warnings {
            tracing::warn!(
                "{}: {}: {}",
                file.display(),
                text::line(&card.label(), text::NAME_CHARS),
                text::line(w, 400)
            );
        }
    }
    warn_if_me_empty(
        &me,
        &paths.config_file,
        "your own card, if the file has it, is imported as a person",
    );
    let _lock = if dry_run {
        None
    } else {
        Some(
            versions::lock_folder(&paths.state_dir, &dir, writer::MAX_WAIT)
                .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", dir.display()))?,
        )
    };
    let known = people::load(&dir);
    for e in &known.errors {
        tracing::warn!(
            "{}: {e}; no card is matched to it, and a card that would create it is skipped",
            dir.display()
        );
    }
    let mut plan = plan_import(&known, &me, &contacts.cards, &mut |p| {
        std::fs::read_to_string(dir.join(p)).map_err(|e| e.to_string())
    });
    let mut failed = 0;
    if !dry_run {
        failed = carry_out(
            &mut plan,
            &dir,
            &NoteWriter::new(&paths.state_dir, "import"),
        );
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &plan)?;
        writeln!(out)?;
    } else {
        write_report(&plan, &dir, dry_run, out)?;
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Writes the plan; what could not be written moves to `skipped` with the
/// reason. Returns how many writes failed.
pub fn carry_out(plan: &mut ImportPlan, dir: &Path, writer: &NoteWriter) -> usize {
    let mut failed = Vec::new();
    let results = create_all(dir, &plan.created);
    let mut created = Vec::new();
    for (note, result) in std::mem::take(&mut plan.created).into_iter().zip(results) {
        match result {
            Ok(()) => created.push(note),
            Err(e) => failed.push(Skipped {
                card: note.name.clone(),
                reason: format!("not created: {e}"),
            }),
        }
    }
    plan.created = created;
    let mut updated = Vec::new();
    for u in std::mem::take(&mut plan.updated) {
        let path = dir.join(&u.person);
        let result = writer.change(
            &path,
            &mut |now: &[u8]| -> Result<(Vec<u8>, ()), UpdateError> {
                if now != u.before.as_bytes() {
                    return Err(UpdateError::ChangedSincePlan);
                }
                Ok((u.after.clone().into_bytes(), ()))
            },
            None,
        );
        match result {
            Ok(()) => updated.push(u),
            Err(e) => failed.push(Skipped {
                card: u.person.display().to_string(),
                reason: match e {
                    UpdateError::ChangedSincePlan => format!(
                        "not filled: {} changed while rapport was importing (another editor or a sync?); nothing was written to it, run the import again",
                        u.person.display()
                    ),
                    UpdateError::Write(e) => format!("not filled: {e}"),
                },
            }),
        }
    }
    plan.updated = updated;
    let n = failed.len();
    plan.skipped.extend(failed);
    n
}

fn write_report(
    plan: &ImportPlan,
    dir: &Path,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    write_created(&plan.created, dir, dry_run, out)?;
    let fill = if dry_run { "Would fill" } else { "Filled" };
    for u in &plan.updated {
        writeln!(
            out,
            "{fill} {}: {}",
            dir.join(&u.person).display(),
            u.fields.join(", ")
        )?;
    }
    for s in &plan.skipped {
        writeln!(out, "Skipped {}: {}", s.card, s.reason)?;
    }
    let changed = plan.created.len() + plan.updated.len();
    writeln!(
        out,
        "{}{changed} changed: {} created, {} updated, {} unchanged, {} skipped",
        if dry_run {
            "Dry run, nothing written; "
        } else {
            ""
        },
        plan.created.len(),
        plan.updated.len(),
        plan.unchanged,
        plan.skipped.len()
    )?;
    Ok(())
}
