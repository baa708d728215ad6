//! What the notification buttons do (Open brief, Snooze, Join, Add note,
//! Nothing new) and the snooze requests `rapport snooze` queued.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Local, Utc};

use super::notify::{Event, Notifier};
use super::open::is_http_url;
use super::schedule::{Kind, Snooze};
use super::{attendance, Daemon, Slot, SNOOZE_FOR};
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
                let path = self.write_brief(occ, now)?;
                self.opener.open(&path.to_string_lossy())?;
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

    /// Writes the full brief as Markdown under the runtime dir (private).
    pub(super) fn write_brief(
        &self,
        occ: &Occurrence,
        now: DateTime<Utc>,
    ) -> anyhow::Result<PathBuf> {
        let local_now = Now::new(now, self.expand.floating.clone());
        let settings = BriefSettings::from_config(&self.config);
        let attendance = attendance(occ, &self.people, &self.matcher);
        let rotation: brief::Rotation = self.state.rotation();
        let (composed, _) = brief::compose(occ, &attendance, &settings, &rotation, &local_now);
        let text = brief::markdown(&composed, &local_now);
        let dir = &self.paths.runtime_dir;
        crate::util::fs::create_private_dir(dir)?;
        let name = format!(
            "brief-{}-{}.md",
            file_safe(&occ.summary),
            occ.start_utc().format("%Y%m%dT%H%M")
        );
        let path = dir.join(name);
        crate::util::fs::atomic_write(&path, text.as_bytes())?;
        Ok(path)
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

    #[test]
    fn brief_file_names_are_safe() {
        assert_eq!(file_safe("Q&A / review: 2027"), "Q-A---review--2027");
        assert_eq!(file_safe("///"), "meeting");
    }
}
