//! `rapport people suggest` and `rapport people adopt`: the people you meet
//! but have no note for, from the configured calendars (through the feed
//! cache, as `agenda` reads them), and new notes for the ones you pick. The
//! ranking and the plan are the pure [`crate::people::suggest`]; this file
//! reads the calendars and the notes, writes the notes and prints.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, Utc};

use super::meetings::{fetch_and_parse, report_cut_series};
use crate::calendar::tz::Zone;
use crate::calendar::ExpandOptions;
use crate::config::{self, Paths};
use crate::people::matching::Matcher;
use crate::people::new_notes::{create_all, NewNote};
use crate::people::suggest::{
    plan_adopt, AdoptPlan, Pick, SuggestOptions, Suggester, Suggestion, AHEAD_DAYS,
};
use crate::people::writer::NoteWriter;
use crate::people::{self, versions, Me, People};
use crate::util::text;

/// Parses `--since`: `12m` (months), `2y`, `6w`, `30d`, or a date
/// (`2026-01-01`, local midnight).
pub fn parse_since(text: &str, now: DateTime<Utc>, local: &Zone) -> anyhow::Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(local.to_utc(d.and_time(NaiveTime::MIN)));
    }
    let bad = || {
        anyhow::anyhow!(
            "--since: `{t}` is not a period; write e.g. 12m (months), 2y, 6w, 30d or a date (2026-01-01)"
        )
    };
    let unit = t.chars().last().ok_or_else(bad)?;
    let n: u32 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let from = match unit {
        'd' => now.checked_sub_signed(Duration::days(n.into())),
        'w' => now.checked_sub_signed(Duration::weeks(n.into())),
        'm' => now.checked_sub_months(Months::new(n)),
        'y' => n
            .checked_mul(12)
            .and_then(|m| now.checked_sub_months(Months::new(m))),
        _ => return Err(bad()),
    };
    from.ok_or_else(bad)
}

/// A warning on stderr when `[me]` says nothing: rapport cannot tell you
/// from the others then.
pub fn warn_if_me_empty(me: &Me, config_file: &Path, what: &str) {
    if !config_file.exists() {
        tracing::warn!(
            "no config file at {}, so rapport does not know who you are and {what}; `rapport init` writes one (set `[me] emails`)",
            config_file.display()
        );
    } else if me.name.is_none() && me.emails.is_empty() {
        tracing::warn!(
            "{}: [me] has no name and no emails, so {what}; add `[me] emails = [\"you@example.com\"]`",
            config_file.display()
        );
    }
}

/// What `suggest` and `adopt` share: the suggestions, best first, and the
/// notes they were made against.
struct Found {
    suggestions: Vec<Suggestion>,
    people: People,
    from: DateTime<Utc>,
    /// Calendars that could not be read (said on stderr).
    failures: usize,
}

fn find(paths: &Paths, since: &str, now: DateTime<Utc>) -> anyhow::Result<Found> {
    let cfg = config::load(paths)?;
    if cfg.calendars.is_empty() {
        bail!(
            "{}: no [[calendar]] entries, so there is no meeting history to suggest people from; add one (name, url or path)",
            paths.config_file.display()
        );
    }
    warn_if_me_empty(&cfg.me, &paths.config_file, "you may be suggested yourself");
    let local = crate::calendar::tz::local_zone();
    let from = parse_since(since, now, &local)?;
    let to = now + Duration::days(AHEAD_DAYS);
    let calendars = fetch_and_parse(paths, &cfg.calendars)?;
    let people = people::load(&cfg.people.dir);
    for e in &people.errors {
        tracing::warn!("{e} (its people may be suggested again)");
    }
    let matcher = Matcher::new(&people, &cfg.me);
    let opts = ExpandOptions {
        floating: local.clone(),
        me_emails: cfg.me.emails.clone(),
    };
    let options = SuggestOptions {
        from,
        to,
        large_meeting: cfg.people.contact.large_meeting,
    };
    let mut suggester = Suggester::new(&matcher, local, now, options);
    for c in &calendars.parsed {
        let cut = c.for_each_occurrence(from, to, &opts, &mut |o| suggester.add(&o));
        report_cut_series(&cut);
    }
    Ok(Found {
        suggestions: suggester.finish(),
        people,
        from,
        failures: calendars.failures,
    })
}

/// `rapport people suggest [--since 12m] [--limit N] [--json]`.
pub fn suggest(
    paths: &Paths,
    since: &str,
    limit: usize,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let found = find(paths, since, Utc::now())?;
    let shown = if limit == 0 {
        &found.suggestions[..]
    } else {
        &found.suggestions[..limit.min(found.suggestions.len())]
    };
    if json {
        serde_json::to_writer_pretty(&mut *out, shown)?;
        writeln!(out)?;
    } else {
        write_suggestions(shown, found.suggestions.len(), found.from, out)?;
    }
    Ok(exit_code(found.failures == 0))
}

fn write_suggestions(
    shown: &[Suggestion],
    total: usize,
    from: DateTime<Utc>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if shown.is_empty() {
        writeln!(
            out,
            "No suggestions: everyone you met since {} has a note (or was left out: rooms, lists, no-reply addresses, meetings above [people] large_meeting).",
            from.date_naive()
        )?;
        return Ok(());
    }
    for (i, s) in shown.iter().enumerate() {
        let mut head = format!(
            "{:>3}. {}  <{}>",
            i + 1,
            text::line(&s.name, text::NAME_CHARS),
            s.emails.join(", ")
        );
        if let Some(org) = &s.org {
            head.push_str(&format!("  {org}"));
        }
        writeln!(out, "{head}")?;
        let meetings = if s.meetings == 1 {
            "1 meeting".to_string()
        } else {
            format!("{} meetings", s.meetings)
        };
        writeln!(
            out,
            "     {meetings}, first {}, last {}: {}",
            s.first,
            s.last,
            text::line(&s.last_title, text::TITLE_CHARS)
        )?;
    }
    if total > shown.len() {
        writeln!(out, "\n{} more (--limit 0 shows all).", total - shown.len())?;
    }
    writeln!(
        out,
        "\nAdopt them as notes: rapport people adopt NAME|EMAIL... or --top N (--dry-run shows the plan)"
    )?;
    Ok(())
}

/// What `rapport people adopt` was asked.
pub struct AdoptRequest<'a> {
    pub pick: Pick,
    pub since: &'a str,
    pub dry_run: bool,
    pub json: bool,
}

/// `rapport people adopt NAME|EMAIL... | --top N [--dry-run]`: a note from
/// the template per chosen suggestion, never replacing a file. The people
/// folder's lock (the one `person add` takes) is held from reading the
/// notes to the last file written, so two adopts cannot both create one
/// person.
pub fn adopt(
    paths: &Paths,
    request: &AdoptRequest<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let dir = super::people::people_folder(paths)?;
    let _lock = if request.dry_run {
        None
    } else {
        Some(
            versions::lock_folder(&paths.state_dir, &dir, crate::people::writer::MAX_WAIT)
                .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was created", dir.display()))?,
        )
    };
    let found = find(paths, request.since, Utc::now())?;
    let mut plan = plan_adopt(&found.suggestions, &found.people, &request.pick);
    if request.dry_run {
        write_adopt(&plan, &dir, true, request.json, out)?;
        return Ok(exit_code(plan.not_adopted.is_empty()));
    }
    let writer = NoteWriter::new(&paths.state_dir, "adopt");
    let results = create_all(&dir, &plan.created);
    let mut created = Vec::new();
    for (note, result) in std::mem::take(&mut plan.created).into_iter().zip(results) {
        match result {
            Ok(()) => {
                // What a later edit compares with, as for `person add`.
                if let Err(e) = writer.remember(&dir.join(&note.person)) {
                    tracing::warn!("{e}");
                }
                created.push(note);
            }
            Err(e) => plan.not_adopted.push(crate::people::suggest::NotAdopted {
                query: note.name.clone(),
                reason: format!("not created: {e}"),
            }),
        }
    }
    plan.created = created;
    write_adopt(&plan, &dir, false, request.json, out)?;
    Ok(exit_code(plan.not_adopted.is_empty()))
}

fn write_adopt(
    plan: &AdoptPlan,
    dir: &Path,
    dry_run: bool,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, plan)?;
        writeln!(out)?;
        return Ok(());
    }
    write_created(&plan.created, dir, dry_run, out)?;
    for n in &plan.not_adopted {
        writeln!(out, "Not adopted: {}: {}", n.query, n.reason)?;
    }
    if plan.created.is_empty() && plan.not_adopted.is_empty() {
        writeln!(
            out,
            "No suggestions to adopt (`rapport people suggest` lists them)."
        )?;
    }
    if dry_run {
        writeln!(out, "Dry run: nothing was written.")?;
    }
    Ok(())
}

/// `Created PATH: Name <emails>` (`Would create` in a dry run) per note.
pub(super) fn write_created(
    notes: &[NewNote],
    dir: &Path,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let verb = if dry_run { "Would create" } else { "Created" };
    for n in notes {
        let emails = if n.emails.is_empty() {
            String::new()
        } else {
            format!(" <{}>", n.emails.join(", "))
        };
        writeln!(
            out,
            "{verb} {}: {}{emails}",
            dir.join(&n.person).display(),
            n.name
        )?;
    }
    Ok(())
}

fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn since_is_a_period_or_a_date() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let utc = Zone::utc();
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        assert_eq!(parse_since("12m", now, &utc).unwrap(), at(2025, 12, 4, 12));
        assert_eq!(parse_since("2y", now, &utc).unwrap(), at(2024, 12, 4, 12));
        assert_eq!(parse_since("2w", now, &utc).unwrap(), at(2026, 11, 20, 12));
        assert_eq!(parse_since("30d", now, &utc).unwrap(), at(2026, 11, 4, 12));
        assert_eq!(
            parse_since("2026-01-01", now, &utc).unwrap(),
            at(2026, 1, 1, 0)
        );
        for bad in ["", "m", "12", "12x", "-3m", "tomorrow"] {
            assert!(parse_since(bad, now, &utc).is_err(), "{bad}");
        }
    }
}
