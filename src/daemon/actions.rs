//! What the notification buttons do (Open brief, Snooze, Join, Add note,
//! Nothing new) and the snooze requests `rapport snooze` queued.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Local, Utc};

use super::history::Snapshot;
use super::notify::{Event, Notifier};
use super::open::is_http_url;
use super::schedule::{Kind, Snooze};
use super::{Daemon, Slot, SNOOZE_FOR};
use crate::brief::{self, BriefSettings, Now};
use crate::calendar::model::Occurrence;
use crate::people;
use crate::people::matching::Match;
use crate::util::text::one_line;

impl<N: Notifier> Daemon<N> {
    pub(super) fn occurrence(&self, slot: &Slot) -> Option<&Occurrence> {
        self.feeds
            .get(&slot.0)?
            .occurrences
            .iter()
            .map(|(o, _)| o)
            .find(|o| o.uid == slot.1 && o.start_utc() == slot.2)
    }

    pub(super) async fn on_event(&mut self, event: Event, now: DateTime<Utc>) {
        match event {
            Event::ServerChanged { running } => {
                // A new server knows none of the old ids; the loop runs the
                // scheduler right after this, which retries what failed.
                self.raised.clear();
                self.current.clear();
                if running {
                    tracing::info!("a notification server started");
                } else {
                    tracing::info!("the notification server stopped");
                }
            }
            Event::Closed { id, .. } => {
                if self.digest_raised.as_ref().is_some_and(|r| r.0 == id) {
                    self.digest_raised = None;
                }
                if let Some(r) = self.raised.remove(&id) {
                    if self.current.get(&r.slot) == Some(&id) {
                        self.current.remove(&r.slot);
                    }
                }
            }
            Event::ActionInvoked { id, action } => {
                if self.digest_action(id, &action, now) {
                    return;
                }
                let Some(raised) = self.raised.get(&id).cloned() else {
                    return;
                };
                let Some(occ) = self.occurrence(&raised.slot).cloned() else {
                    tracing::info!("action {action}: the meeting is no longer in the calendar");
                    return;
                };
                if let Err(e) = self.act(&action, &occ, raised.kind, now) {
                    tracing::warn!("action {action} for {}: {e:#}", occ.summary);
                }
            }
        }
    }

    pub(super) fn act(
        &mut self,
        action: &str,
        occ: &Occurrence,
        kind: Kind,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        match (action, kind) {
            ("default", Kind::Prep | Kind::Snooze) => {
                // A year of calendars is read for last contacts: off the
                // loop, so prep notifications, buttons and a stop never wait.
                let job = self.brief_job(occ, now);
                let opener = self.opener.clone();
                tokio::task::spawn_blocking(move || {
                    let title = one_line(&job.occ.summary);
                    let opened = job.write().and_then(|path| {
                        // The year's bodies and parses are freed by now.
                        super::feeds::release_freed_memory();
                        Ok(opener.open(&path.to_string_lossy())?)
                    });
                    if let Err(e) = opened {
                        tracing::warn!("action default for {title}: {e:#}");
                    }
                });
            }
            ("snooze", _) => self.snooze(occ, now, now + SNOOZE_FOR),
            ("join", _) => match occ.conference_url.as_deref().filter(|u| is_http_url(u)) {
                Some(url) => self.opener.open(url)?,
                None => anyhow::bail!("the meeting has no http(s) conference link"),
            },
            ("note", _) | ("default", Kind::Debrief) => {
                let path = self.note_to_open(occ)?;
                self.opener.open(&path.to_string_lossy())?;
            }
            ("nothing-new", _) => {
                // The note writer may wait seconds for an editor's save or
                // another rapport: off the loop, so prep notifications,
                // buttons and SIGTERM never wait for it. The writes are
                // crash-safe and locked, so a stop in the middle loses
                // nothing.
                let today = now.with_timezone(&Local).date_naive();
                let writer =
                    crate::people::writer::NoteWriter::new(&self.paths.state_dir, "nothing-new");
                let (people, matcher, occ) =
                    (self.people.clone(), self.matcher.clone(), occ.clone());
                tokio::task::spawn_blocking(move || {
                    match crate::people::edit::log_met(&writer, &people, &matcher, &occ, today) {
                        Ok(paths) => {
                            for path in paths {
                                tracing::info!(
                                    "{}: logged \"Met at {}\"",
                                    path.display(),
                                    one_line(&occ.summary)
                                );
                            }
                        }
                        Err(e) => tracing::warn!("action nothing-new for {}: {e:#}", occ.summary),
                    }
                });
            }
            (other, _) => tracing::debug!("unknown action {other}"),
        }
        Ok(())
    }

    /// Shows the prep of `occ` again at `until` (capped at its start): the
    /// Snooze button and `rapport snooze` requests.
    pub(super) fn snooze(&mut self, occ: &Occurrence, now: DateTime<Utc>, until: DateTime<Utc>) {
        match Snooze::new(occ, now, (until - now).max(Duration::zero())) {
            Some(s) => {
                tracing::info!(
                    "snoozed {} until {}",
                    occ.summary,
                    s.until.with_timezone(&Local).format("%H:%M")
                );
                self.state.snoozes.retain(|x| {
                    !(x.calendar == s.calendar && x.uid == s.uid && x.start == s.start)
                });
                self.state.snoozes.push(s);
                self.state_dirty = true;
                self.save(now, true);
            }
            None => tracing::info!("{} has started: not snoozed", occ.summary),
        }
    }

    /// Applies the requests `rapport snooze` queued (see [`super::requests`]).
    pub(super) fn take_requests(&mut self, now: DateTime<Utc>) {
        // Right after a start the calendars are still being read: a request
        // queued while the daemon was down waits for them (the finished
        // fetch wakes the loop, which comes back here).
        if self.feeds.values().any(|f| f.in_flight && !f.read_once) {
            return;
        }
        for request in super::requests::take_requests(&self.paths.state_dir) {
            match request {
                Ok(r) => {
                    let slot = (r.calendar.clone(), r.uid.clone(), r.start);
                    match self.occurrence(&slot).cloned() {
                        Some(occ) => self.snooze(&occ, now, r.until()),
                        None => tracing::info!(
                            "snooze request for {} ({}): the meeting is no longer in the calendar",
                            r.uid,
                            r.calendar
                        ),
                    }
                }
                Err(e) => tracing::warn!("{e}"),
            }
        }
    }

    /// What "Open brief" needs to write the full brief of `occ`, copied off
    /// the loop.
    pub(super) fn brief_job(&self, occ: &Occurrence, now: DateTime<Utc>) -> BriefJob {
        BriefJob {
            occ: occ.clone(),
            snapshot: self.snapshot(),
            rotation: self.state.rotation(),
            runtime_dir: self.paths.runtime_dir.clone(),
            now,
        }
    }

    /// The note of the first matched person, or a new note for the first
    /// unknown attendee.
    pub(super) fn note_to_open(&self, occ: &Occurrence) -> anyhow::Result<PathBuf> {
        let matched = self
            .matcher
            .match_attendees(&occ.attendees_with_organizer());
        if let Some(i) = matched.iter().find_map(|m| match m.matched {
            Match::Person(i) => Some(i),
            _ => None,
        }) {
            return Ok(self.people.file_of(&self.people.people[i]));
        }
        let unknown = matched
            .iter()
            .find(|m| m.matched == Match::Unknown)
            .ok_or_else(|| anyhow::anyhow!("nobody in the meeting to write about"))?;
        let a = &unknown.attendee;
        let name = a
            .name
            .clone()
            .or_else(|| {
                a.email
                    .as_ref()
                    .map(|e| e.split('@').next().unwrap_or(e).to_string())
            })
            .unwrap_or_else(|| "New person".into());
        let new = people::store::NewPerson {
            name,
            emails: a.email.iter().cloned().collect(),
            org: None,
            role: None,
        };
        people::store::add_person(&self.people, &new).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// "Open brief": the full brief of one meeting, as `rapport brief` shows it.
pub(super) struct BriefJob {
    occ: Occurrence,
    snapshot: Snapshot,
    rotation: brief::Rotation,
    runtime_dir: PathBuf,
    now: DateTime<Utc>,
}

impl BriefJob {
    /// Reads the calendars' history up to just before the meeting (the
    /// cached copies, as the digest does) for each person's last contact,
    /// composes the brief and writes it as Markdown under the runtime dir
    /// (private). Blocking: runs off the loop.
    pub(super) fn write(&self) -> anyhow::Result<PathBuf> {
        let snapshot = &self.snapshot;
        let now = Now::new(self.now, snapshot.expand.floating.clone());
        let until = brief::history_until(&self.occ, self.now);
        let matched = snapshot
            .matcher
            .match_attendees(&self.occ.attendees_with_organizer());
        let contacts = snapshot.contacts_of(
            "the brief's last contacts",
            &brief::people_in(&matched),
            until,
            until + Duration::seconds(1),
        );
        let attendance = brief::attendance_met(&matched, &snapshot.people, &contacts, now.today());
        let settings = BriefSettings::from_config(&snapshot.config);
        let (composed, _) = brief::compose(&self.occ, &attendance, &settings, &self.rotation, &now);
        let text = brief::markdown(&composed, &now);
        let dir = &self.runtime_dir;
        crate::util::fs::create_private_dir(dir)?;
        let name = format!(
            "brief-{}-{}.md",
            file_safe(&self.occ.summary),
            self.occ.start_utc().format("%Y%m%dT%H%M")
        );
        let path = dir.join(name);
        crate::util::fs::atomic_write(&path, text.as_bytes())?;
        Ok(path)
    }
}

/// A file-name-safe version of a meeting title.
fn file_safe(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "meeting".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tz::Zone;
    use crate::calendar::ExpandOptions;
    use crate::feed::{FeedFetcher, FetchLimits};
    use crate::people::history::tests::{at, meeting, who};
    use crate::people::matching::Matcher;
    use std::sync::Arc;

    fn event(uid: &str, title: &str, start: &str, end: &str) -> String {
        format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{title}\r\n\
             DTSTART:{start}\r\nDTEND:{end}\r\nORGANIZER;CN=Me:mailto:me@x.example\r\n\
             ATTENDEE;CN=Ana;PARTSTAT=ACCEPTED:mailto:ana@x.example\r\nEND:VEVENT\r\n"
        )
    }

    /// "Open brief" says the last contact `people` says: a calendar meeting
    /// newer than the Log entry, read from the calendar's copy; never the
    /// meeting briefed or one after it.
    #[test]
    fn open_brief_counts_the_calendars_meetings_before_the_meeting() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (paths, config) = super::super::test_home(
            dir,
            "---\nname: Ana\nemails: [ana@x.example]\n---\n## Log\n- 2026-10-01 Lunch\n",
            &[
                event("b", "Budget review", "20261110T100000Z", "20261110T110000Z"),
                event("c", "Coffee", "20261201T100000Z", "20261201T103000Z"),
                event("l", "Later chat", "20261201T101000Z", "20261201T102000Z"),
            ]
            .concat(),
            "[me]\nname = \"Me\"\nemails = [\"me@x.example\"]\n",
        );
        let people_dir = config.people.dir.clone();
        let people = crate::people::load(&people_dir);
        let matcher = Matcher::new(&people, &config.me);
        let mut expand = ExpandOptions::new(Zone::Utc);
        expand.me_emails = config.me.emails.clone();
        let mut coffee = meeting(
            "Coffee",
            "2026-12-01T10:00:00Z",
            vec![who("Me", "me@x.example"), who("Ana", "ana@x.example")],
        );
        coffee.calendar = "work".into();
        let job = |occ: &Occurrence, now: &str| BriefJob {
            occ: occ.clone(),
            snapshot: Snapshot {
                config: config.clone(),
                people: people.clone(),
                matcher: matcher.clone(),
                fetcher: Arc::new(
                    FeedFetcher::new(paths.cache_dir.clone(), FetchLimits::default()).unwrap(),
                ),
                expand: expand.clone(),
            },
            rotation: brief::Rotation::default(),
            runtime_dir: paths.runtime_dir.clone(),
            now: at(now),
        };
        // The prep, five minutes before: the Budget review (3 weeks ago),
        // not the Log entry of two months ago.
        let path = job(&coffee, "2026-12-01T09:55:00Z").write().unwrap();
        let md = std::fs::read_to_string(&path).unwrap();
        assert!(md.starts_with("# Coffee\n"), "{md}");
        assert!(
            md.contains("**Last contact**: 3 weeks ago, Budget review\n"),
            "{md}"
        );
        // Opened late, during the coffee and after the chat began: neither
        // the coffee itself nor the later chat counts.
        let md =
            std::fs::read_to_string(job(&coffee, "2026-12-01T10:15:00Z").write().unwrap()).unwrap();
        assert!(
            md.contains("**Last contact**: 3 weeks ago, Budget review\n"),
            "{md}"
        );
    }

    #[test]
    fn brief_file_names_are_safe() {
        assert_eq!(file_safe("Q&A / review: 2027"), "Q-A---review--2027");
        assert_eq!(file_safe("///"), "meeting");
    }
}
