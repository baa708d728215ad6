//! `rapport brief [next | TEXT] [--json]`: the full brief of the next meeting
//! with people, or of the next one matching a text.

use std::process::ExitCode;

use chrono::{Duration, NaiveDate, Utc};

use super::meetings::{query_of, read_contacts, Meetings, NEXT_DAYS, SEARCH_DAYS};
use super::BriefArgs;
use crate::brief::{self, BriefSettings, Now};
use crate::calendar::model::Occurrence;
use crate::calendar::tz::local_zone;
use crate::config::{self, Config, ConfigError, Paths};
use crate::daemon::state::State;
use crate::people::contact::CalendarContacts;

/// `rapport brief [next | TEXT] [--json]`.
pub fn run(
    args: &BriefArgs,
    paths: &Paths,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    config::check_ics_files(&args.ics)?;
    let mut config = match config::load(paths) {
        Ok(c) => c,
        // --ics works without a config file, like `rapport agenda`.
        Err(ConfigError::NotFound { .. }) if !args.ics.is_empty() => {
            let mut c = Config::for_sources(args.ics.clone())?;
            c.people.dir = paths.data_dir.join("people");
            c
        }
        Err(e) => return Err(e.into()),
    };
    if !args.ics.is_empty() {
        config.calendars = config::sources_from_args(&args.ics)?;
    }
    if config.calendars.is_empty() {
        anyhow::bail!(
            "{}: no [[calendar]] configured; add one (see `rapport init`) or pass --ics PATH_OR_URL",
            paths.config_file.display()
        );
    }
    let query = query_of(&args.query, "next");
    let now = Now::new(Utc::now(), local_zone());
    let days = if query.is_some() {
        SEARCH_DAYS
    } else {
        NEXT_DAYS
    };
    // From a day back, so that a long meeting in progress is still found.
    let meetings = Meetings::load(
        paths,
        config,
        now.utc - Duration::days(1),
        now.utc + Duration::days(days),
        &now.zone,
    )?;
    let Meetings {
        config,
        calendars,
        opts,
        occurrences,
        people,
        matcher,
        failures,
    } = &meetings;
    // The organizer first, as the brief lists them.
    let attendees_of = |o: &Occurrence| {
        brief::attendance(
            &matcher.match_attendees(&o.attendees_with_organizer()),
            people,
        )
    };
    let Some(occ) = brief::find_meeting(
        occurrences,
        query.as_deref(),
        &config.notify,
        |o| !attendees_of(o).is_empty(),
        now.utc,
    ) else {
        match &query {
            None => writeln!(
                out,
                "No meeting with other people in the next {NEXT_DAYS} days. \
                 `rapport agenda` lists everything."
            )?,
            Some(q) => writeln!(
                out,
                "No meeting in the next {SEARCH_DAYS} days mentions \"{q}\"."
            )?,
        }
        return Ok(ExitCode::from(1));
    };

    // Show the talking points the next notification would show; reading
    // the daemon's state never changes it.
    let memory: brief::Rotation = std::fs::read(State::path(&paths.state_dir))
        .ok()
        .and_then(|b| serde_json::from_slice::<State>(&b).ok())
        .map(|s| s.rotation())
        .unwrap_or_default();
    // Last contacts as `people` says them: the calendars read over
    // `[people] history` up to just before this meeting (neither it nor a
    // later one counts), with the notes' Log entries and completed tasks.
    let until = brief::history_until(occ, now.utc);
    let matched = matcher.match_attendees(&occ.attendees_with_organizer());
    // Only the people in this meeting: the series without them are not read.
    let mut contacts = CalendarContacts::new(
        people.people.len(),
        &config.people.contact,
        until,
        &now.zone,
    )
    .only(brief::people_in(&matched));
    read_contacts(
        calendars,
        &mut contacts,
        until + Duration::seconds(1),
        opts,
        matcher,
        NaiveDate::MIN,
        &mut |_| {},
    );
    let attendance = brief::attendance_met(&matched, people, &contacts, now.today());
    let settings = BriefSettings::from_config(config);
    let (composed, _) = brief::compose(occ, &attendance, &settings, &memory, &now);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &composed)?;
        writeln!(out)?;
    } else {
        out.write_all(brief::markdown(&composed, &now).as_bytes())?;
    }
    Ok(if *failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
