//! Each calendar's history for last contacts, read off the loop from what
//! the daemon already has: the cached copy of a link, the file of a path;
//! never the network. The digest and "Open brief" read it this way.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::notify::Notifier;
use super::Daemon;
use crate::calendar::model::Occurrence;
use crate::calendar::{parse_calendar_shared, ExpandOptions};
use crate::config::Config;
use crate::feed::{FeedFetcher, FeedLocation};
use crate::people::contact::CalendarContacts;
use crate::people::matching::Matcher;
use crate::people::People;

/// What a task reading the calendars' history needs, copied off the loop.
pub(super) struct Snapshot {
    pub config: Config,
    pub people: People,
    pub matcher: Matcher,
    pub fetcher: Arc<FeedFetcher>,
    pub expand: ExpandOptions,
}

impl<N: Notifier> Daemon<N> {
    pub(super) fn snapshot(&self) -> Snapshot {
        Snapshot {
            config: self.config.clone(),
            people: self.people.clone(),
            matcher: self.matcher.clone(),
            fetcher: self.fetcher.clone(),
            expand: self.expand.clone(),
        }
    }
}

impl Snapshot {
    /// Everyone's meetings as of `as_of`: every calendar read from the
    /// history's start to `to`, one at a time (a body and its parse are
    /// freed before the next is read); occurrences on `keep_day` go to
    /// `keep`. A calendar without a copy yet is left out, logged for
    /// `purpose` ("the digest"). Blocking: call it off the loop.
    pub fn contacts(
        &self,
        purpose: &str,
        as_of: DateTime<Utc>,
        to: DateTime<Utc>,
        keep_day: NaiveDate,
        keep: &mut dyn FnMut(Occurrence),
    ) -> CalendarContacts {
        self.read(purpose, self.contacts_at(as_of), to, keep_day, keep)
    }

    /// [`Snapshot::contacts`] of `people` only (indices into
    /// `People::people`): the series without them are not expanded.
    pub fn contacts_of(
        &self,
        purpose: &str,
        people: &[usize],
        as_of: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> CalendarContacts {
        let contacts = self.contacts_at(as_of).only(people.iter().copied());
        self.read(purpose, contacts, to, NaiveDate::MIN, &mut |_| {})
    }

    fn contacts_at(&self, as_of: DateTime<Utc>) -> CalendarContacts {
        CalendarContacts::new(
            self.people.people.len(),
            &self.config.people.contact,
            as_of,
            &self.expand.floating,
        )
    }

    fn read(
        &self,
        purpose: &str,
        mut contacts: CalendarContacts,
        to: DateTime<Utc>,
        keep_day: NaiveDate,
        keep: &mut dyn FnMut(Occurrence),
    ) -> CalendarContacts {
        for source in &self.config.calendars {
            let body = match &source.location {
                FeedLocation::Url(_) => self.fetcher.cached_body(source),
                FeedLocation::Path(p) => std::fs::read(p).ok(),
            };
            let Some(body) = body else {
                tracing::warn!(
                    "{}: no copy to read for {purpose}; its meetings are left out",
                    source.name
                );
                continue;
            };
            let parsed = parse_calendar_shared(&source.name, Arc::new(body));
            contacts.read_calendar(&parsed, to, &self.expand, &self.matcher, keep_day, keep);
        }
        contacts
    }
}
