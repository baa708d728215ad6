//! What `agenda`, `brief`, `join`, `snooze` and `met` read, the same way for
//! each: the configured calendars fetched (through the feed cache) and
//! parsed ([`fetch_and_parse`]), and, for the commands that pick one meeting,
//! the occurrences of a window with the people in them ([`Meetings`]).

use chrono::{DateTime, Duration, Utc};

use crate::brief;
use crate::calendar::model::{Occurrence, Warning};
use crate::calendar::tz::Zone;
use crate::calendar::{parse_calendar_shared, ExpandOptions, Expansion, ParsedCalendar};
use crate::config::{Config, Paths};
use crate::feed::{CalendarSource, FeedFetcher, FetchLimits};
use crate::people::contact::CalendarContacts;
use crate::people::matching::Matcher;
use crate::people::{self, People};
use crate::util::text;

/// How far ahead `brief`, `join` and `snooze` look for the next meeting...
pub const NEXT_DAYS: i64 = 7;
/// ...and for the next one matching a text.
pub const SEARCH_DAYS: i64 = 30;

/// The calendars of one command, parsed.
pub struct Calendars {
    pub parsed: Vec<ParsedCalendar>,
    /// How many could not be read (each was said on stderr; the others are
    /// still shown, and the command exits with 1).
    pub failures: usize,
}

/// Fetches `sources` (a failed fetch of a link falls back to its cached
/// copy, said on stderr), parses each and summarises its warnings on stderr.
/// Errors, naming each reason, when none could be read.
pub fn fetch_and_parse(paths: &Paths, sources: &[CalendarSource]) -> anyhow::Result<Calendars> {
    let fetcher = FeedFetcher::new(paths.cache_dir.clone(), FetchLimits::default())?;
    let fetched = fetcher.fetch_all_blocking(sources)?;
    let mut parsed = Vec::new();
    let mut failures = Vec::new();
    for (source, result) in sources.iter().zip(fetched) {
        match result {
            Ok(f) => {
                if let Some(e) = f.error() {
                    // Still worth showing: the last good copy.
                    text::eprint(&format!(
                        "{e}; showing the copy fetched {}",
                        f.fetched_at.format("%Y-%m-%d %H:%M UTC")
                    ));
                }
                let cal = parse_calendar_shared(&source.name, f.body);
                report_feed_warnings(&source.name, &cal.warnings);
                parsed.push(cal);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    if parsed.is_empty() && !failures.is_empty() {
        anyhow::bail!("{}", failures.join("\n"));
    }
    for f in &failures {
        // The meetings of the other calendars are still worth showing.
        text::eprint(f);
    }
    Ok(Calendars {
        parsed,
        failures: failures.len(),
    })
}

/// A calendar's warnings for a one-shot command: one summary line at INFO
/// (`-v`: a warning repeated on every agenda helps nobody), each warning at
/// DEBUG (`-vv`); `rapport check` lists them and `rapport status` counts them.
pub fn report_feed_warnings(calendar: &str, warnings: &[Warning]) {
    for w in warnings {
        tracing::debug!("{w}");
    }
    match warnings.len() {
        0 => {}
        n => tracing::info!(
            "{n} warning{} in {} (run `rapport check` for details)",
            if n == 1 { "" } else { "s" },
            text::line(calendar, text::NAME_CHARS)
        ),
    }
}

/// Series cut short in the asked window, for a one-shot command: each is a
/// WARN on stderr (unlike parse warnings, the list shown is incomplete).
pub fn report_cut_series(warnings: &[Warning]) {
    for w in warnings {
        tracing::warn!("{}", text::line(&w.to_string(), 400));
    }
}

/// Streams `calendars` from the history's start to `to` into `contacts`
/// (each person's latest and next meeting), handing the occurrences on
/// `keep_day` to `keep`; series cut short are said on stderr. What `due`,
/// `today`, `people`, `person show` and `brief` read for last contacts.
pub fn read_contacts(
    calendars: &[ParsedCalendar],
    contacts: &mut CalendarContacts,
    to: DateTime<Utc>,
    opts: &ExpandOptions,
    matcher: &Matcher,
    keep_day: chrono::NaiveDate,
    keep: &mut dyn FnMut(Occurrence),
) {
    for cal in calendars {
        let cut = contacts.read_calendar(cal, to, opts, matcher, keep_day, keep);
        report_cut_series(&cut);
    }
}

/// All occurrences of the calendars in `[from, to)`, sorted by start then
/// UID (then calendar); cancelled ones dropped unless asked for. The
/// warnings say which series were cut short (see [`report_cut_series`]).
pub fn collect(
    calendars: &[ParsedCalendar],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    opts: &ExpandOptions,
    include_cancelled: bool,
) -> Expansion {
    let mut all = Expansion::default();
    for c in calendars {
        let mut e = c.expand(from, to, opts);
        if !include_cancelled {
            e.occurrences.retain(|o| !o.is_cancelled());
        }
        // Moved, not copied, for the usual single calendar (a copy of a 50k
        // feed's fortnight is 10 MB more at the peak).
        if all.occurrences.is_empty() {
            all.occurrences = e.occurrences;
        } else {
            all.occurrences.append(&mut e.occurrences);
        }
        all.warnings.extend(e.warnings);
    }
    if calendars.len() == 1 {
        // Already in this order from the engine; sorting would allocate half
        // the list again.
        return all;
    }
    all.occurrences.sort_by(|a, b| {
        a.start_utc()
            .cmp(&b.start_utc())
            .then_with(|| a.uid.cmp(&b.uid))
            .then_with(|| a.calendar.cmp(&b.calendar))
    });
    all
}

/// The meetings of a window with the people in them: what `brief`, `join`,
/// `snooze` and `met` choose from.
pub struct Meetings {
    pub config: Config,
    /// The calendars as read (the brief reads a year of them for last contacts).
    pub calendars: Vec<ParsedCalendar>,
    /// How they were expanded.
    pub opts: ExpandOptions,
    pub occurrences: Vec<Occurrence>,
    pub people: People,
    pub matcher: Matcher,
    /// Calendars that could not be read.
    pub failures: usize,
}

impl Meetings {
    /// The calendars of `config` read and expanded over `[from, to)` with
    /// floating times in `zone`, and the people folder read (a broken note
    /// is said on stderr and left out).
    pub fn load(
        paths: &Paths,
        config: Config,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        zone: &Zone,
    ) -> anyhow::Result<Meetings> {
        let calendars = fetch_and_parse(paths, &config.calendars)?;
        let opts = ExpandOptions {
            floating: zone.clone(),
            me_emails: config.me.emails.clone(),
        };
        let expansion = collect(&calendars.parsed, from, to, &opts, false);
        report_cut_series(&expansion.warnings);
        let people = people::load(&config.people.dir);
        for e in people.errors.iter().cloned().chain(people.warnings()) {
            text::eprint(&format!("{}: {e}", config.people.dir.display()));
        }
        let matcher = Matcher::new(&people, &config.me);
        Ok(Meetings {
            config,
            calendars: calendars.parsed,
            opts,
            occurrences: expansion.occurrences,
            people,
            matcher,
            failures: calendars.failures,
        })
    }

    fn has_people(&self, o: &Occurrence) -> bool {
        let matched = self.matcher.match_attendees(&o.attendees_with_organizer());
        !brief::attendance(&matched, &self.people).is_empty()
    }

    /// The next meeting with people, or the next one matching `query`, as
    /// `rapport brief` finds it.
    pub fn next(&self, query: Option<&str>, now: DateTime<Utc>) -> Option<&Occurrence> {
        brief::find_meeting(
            &self.occurrences,
            query,
            &self.config.notify,
            |o| self.has_people(o),
            now,
        )
    }

    /// The most recent meeting that has started (or the most recent one
    /// matching `query`), with the same filters as [`Meetings::next`].
    pub fn last(&self, query: Option<&str>, now: DateTime<Utc>) -> Option<&Occurrence> {
        let mut started: Vec<Occurrence> = self
            .occurrences
            .iter()
            .filter(|o| o.start_utc() <= now)
            .cloned()
            .collect();
        started.sort_by_key(|o| std::cmp::Reverse(o.start_utc()));
        // find_meeting takes the first fitting one that is not over "at
        // `now`": seen from before the earliest of them, none is over, so it
        // returns the latest fitting one.
        let before_all = started.last()?.start_utc() - Duration::days(1);
        let found = brief::find_meeting(
            &started,
            query,
            &self.config.notify,
            |o| self.has_people(o),
            before_all,
        )?;
        self.occurrences
            .iter()
            .find(|o| o.calendar == found.calendar && o.uid == found.uid && o.start == found.start)
    }
}

/// The words after the command: empty or the command's keyword (`next`,
/// `last`) means no query.
pub fn query_of(words: &[String], keyword: &str) -> Option<String> {
    match words.join(" ").trim() {
        "" => None,
        q if q == keyword => None,
        q => Some(q.to_owned()),
    }
}
