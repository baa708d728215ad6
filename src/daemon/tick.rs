//! One scheduler run: ask the pure scheduler ([`super::schedule`]) what is
//! due, compose each notification from the brief, record it in the state
//! before sending (write-ahead: a kill never shows it twice), send it, and
//! save the state.

use chrono::{DateTime, Duration, Local, Utc};

use super::notify::{Action, Capabilities, Expiry, Notification, Notifier, NotifyError};
use super::open::is_http_url;
use super::schedule::{self, Candidate, Decision, Kind};
use super::state::{Due, Outcome};
use super::{attendance, slot_of, Daemon, Raised};
use crate::brief::{self, BriefSettings, Now};
use crate::calendar::model::Occurrence;
use crate::util::text::one_line;

/// The state is written when something changed, and at least this often (for
/// `last_run`, which tells a restart from a first run).
const SAVE_EVERY: Duration = Duration::minutes(10);

/// Upcoming notifications kept in the state for `rapport status`.
const UPCOMING_IN_STATE: usize = 20;

impl<N: Notifier> Daemon<N> {
    /// One scheduler run: sends what is due, records it, returns the next
    /// wake-up.
    pub(super) async fn tick(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        let (plan, work) = {
            let candidates: Vec<Candidate<'_>> = self
                .feeds
                .values()
                .flat_map(|f| f.occurrences.iter())
                .map(|(o, with_people)| Candidate {
                    occurrence: o,
                    with_people: *with_people,
                })
                .collect();
            let plan = schedule::plan(&schedule::Input {
                candidates: &candidates,
                config: &self.config.notify,
                handled: &self.state.sent,
                snoozes: &self.state.snoozes,
                now,
                prev_now: self.state.last_run,
            });
            let work: Vec<(Decision, Occurrence)> = plan
                .decisions
                .iter()
                .map(|d| {
                    let index = match d {
                        Decision::Send(s) => s.candidate,
                        Decision::Skip { candidate, .. } => *candidate,
                    };
                    (d.clone(), candidates[index].occurrence.clone())
                })
                .collect();
            self.state.upcoming = plan
                .upcoming
                .iter()
                .take(UPCOMING_IN_STATE)
                .map(|u| Due {
                    due: u.due,
                    kind: u.key.kind,
                    calendar: u.key.calendar.clone(),
                    summary: candidates[u.candidate].occurrence.summary.clone(),
                    start: u.key.start,
                })
                .collect();
            (plan, work)
        };
        match plan.clock {
            schedule::Clock::JumpedForward(d) => tracing::info!(
                "the clock moved {} ahead since the last look (suspend or clock change)",
                schedule::human_duration(d)
            ),
            schedule::Clock::JumpedBack(d) => {
                tracing::info!("the clock was set back by {}", schedule::human_duration(d))
            }
            _ => {}
        }
        let caps = if work.iter().any(|(d, _)| matches!(d, Decision::Send(_))) {
            // Unknown (no server): compose as if it had actions; the send fails anyway.
            self.notifier.capabilities().await.unwrap_or(Capabilities {
                actions: true,
                body: true,
                body_markup: false,
                raw: Vec::new(),
            })
        } else {
            Capabilities::default()
        };
        for (decision, occ) in work {
            match decision {
                Decision::Skip { key, reason, .. } => {
                    tracing::info!("not sending {}: {reason}", describe(&occ, key.kind));
                    self.state.record(key, now, Outcome::Skipped);
                    self.state_dirty = true;
                }
                Decision::Send(send) => {
                    let notification = self.compose(&occ, &send, &caps, now);
                    let Some(mut notification) = notification else {
                        // Nothing to ask about (a debrief without people).
                        self.state.record(send.key, now, Outcome::Skipped);
                        self.state_dirty = true;
                        continue;
                    };
                    let slot = slot_of(&occ);
                    notification.replaces_id = self.current.get(&slot).copied().unwrap_or(0);
                    // Write-ahead: on disk as "maybe sent" before the call, so
                    // a kill during or after it never shows it again (a kill
                    // before the call loses it: at most one per kill).
                    self.state.record(send.key.clone(), now, Outcome::MaybeSent);
                    self.save_now(now);
                    match self.notifier.show(&notification).await {
                        Ok(id) => {
                            if self.server_down {
                                tracing::info!("the notification server is back");
                                self.server_down = false;
                            }
                            tracing::info!("sent {}", describe(&occ, send.kind));
                            if notification.replaces_id != 0 && notification.replaces_id != id {
                                self.raised.remove(&notification.replaces_id);
                            }
                            self.raised.insert(
                                id,
                                Raised {
                                    slot: slot.clone(),
                                    kind: send.kind,
                                },
                            );
                            self.current.insert(slot, id);
                            if send.kind == Kind::Snooze {
                                self.state.snoozes.retain(|s| {
                                    !(s.calendar == occ.calendar
                                        && s.uid == occ.uid
                                        && s.start == occ.start_utc())
                                });
                            }
                            self.state.record(send.key, now, Outcome::Sent);
                            self.state_dirty = true;
                        }
                        Err(e) if e.maybe_shown() => {
                            // Kept as maybe sent: never again.
                            tracing::warn!("{}: {e}", describe(&occ, send.kind));
                        }
                        Err(e) => {
                            // Certainly not shown: tried again while useful.
                            self.state.forget(&send.key);
                            self.state_dirty = true;
                            self.notify_failed(&e, &describe(&occ, send.kind));
                        }
                    }
                }
            }
        }
        if self.state.last_run != Some(now) {
            self.state.last_run = Some(now);
        }
        self.save(now, false);
        plan.next_wake
    }

    pub(super) fn notify_failed(&mut self, e: &NotifyError, what: &str) {
        // Logged once per outage; the scheduler retries while it is useful.
        if !self.server_down || !matches!(e, NotifyError::NoServer | NotifyError::NoBus(_)) {
            tracing::warn!("could not send {what}: {e}");
        }
        if matches!(e, NotifyError::NoServer | NotifyError::NoBus(_)) {
            self.server_down = true;
        }
    }

    /// Saves the state at once (fsync'd): the write-ahead record of a send.
    /// When it cannot be saved the notification still goes out (a missed
    /// meeting is worse than a repeat after a crash on a failing disk).
    pub(super) fn save_now(&mut self, now: DateTime<Utc>) {
        self.state_dirty = true;
        self.save(now, true);
    }

    pub(super) fn save(&mut self, now: DateTime<Utc>, force: bool) {
        let due = self
            .saved_at
            .is_none_or(|at| now - at >= SAVE_EVERY || at > now);
        if !(force || self.state_dirty || due) {
            return;
        }
        self.state.last_run = self.state.last_run.or(Some(now));
        self.state.prune(now);
        match self.state.save(&self.paths.state_dir) {
            Ok(()) => {
                self.state_dirty = false;
                self.saved_at = Some(now);
            }
            Err(e) => tracing::error!("cannot save the state: {e}"),
        }
    }

    /// The notification for a decision, or None when there is nothing to say.
    pub(super) fn compose(
        &mut self,
        occ: &Occurrence,
        send: &schedule::Send,
        caps: &Capabilities,
        now: DateTime<Utc>,
    ) -> Option<Notification> {
        let local_now = Now::new(now, self.expand.floating.clone());
        let settings = BriefSettings::from_config(&self.config);
        let attendance = attendance(occ, &self.people, &self.matcher);
        let rotation: brief::Rotation = self.state.rotation();
        let (composed, new_rotation) =
            brief::compose(occ, &attendance, &settings, &rotation, &local_now);
        match send.kind {
            Kind::Prep | Kind::Snooze => {
                let text = brief::notification(&composed, &settings, &local_now);
                if send.kind == Kind::Prep {
                    // A snooze shows the same points again; only a new prep rotates.
                    self.state.set_rotation(&new_rotation);
                }
                let mut actions = vec![
                    Action::new("default", "Open brief"),
                    Action::new("snooze", "Snooze"),
                ];
                if occ.conference_url.as_deref().is_some_and(is_http_url) {
                    actions.push(Action::new("join", "Join"));
                }
                let mut body = text.body;
                if !caps.actions {
                    let title = shell_quote(&occ.summary);
                    body.push_str(&format!("\nBrief: rapport brief {title}"));
                    if occ.conference_url.as_deref().is_some_and(is_http_url) {
                        body.push_str(&format!(" · Join: rapport join {title}"));
                    }
                }
                Some(Notification {
                    summary: text.summary,
                    body,
                    replaces_id: 0,
                    actions,
                    urgency: Default::default(),
                    expiry: Expiry::Never,
                })
            }
            Kind::Debrief => {
                let text = brief::debrief(&composed)?;
                let mut body = text.body;
                if !caps.actions {
                    // The commands behind "Add note" and "Nothing new".
                    match composed.people.first() {
                        Some(p) => body.push_str(&format!(
                            "\nAdd a note: rapport note {} '…' (or rapport edit {}) · Nothing new: rapport met {}",
                            shell_quote(&p.name),
                            shell_quote(&p.name),
                            shell_quote(&occ.summary)
                        )),
                        None => body.push_str("\nAdd them: rapport person add 'Full Name'"),
                    }
                }
                Some(Notification {
                    summary: text.summary,
                    body,
                    replaces_id: 0,
                    actions: vec![
                        Action::new("note", "Add note"),
                        Action::new("nothing-new", "Nothing new"),
                    ],
                    urgency: Default::default(),
                    expiry: Expiry::Never,
                })
            }
        }
    }
}

pub(super) fn describe(occ: &Occurrence, kind: Kind) -> String {
    format!(
        "{kind} for \"{}\" at {} ({})",
        one_line(&occ.summary),
        occ.start.with_timezone(&Local).format("%a %-d %b %H:%M"),
        occ.calendar
    )
}

/// Quotes for a POSIX shell, for the "run this command" hints.
fn shell_quote(text: &str) -> String {
    format!("'{}'", one_line(text).replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_quoted_for_a_shell() {
        assert_eq!(shell_quote("It's\nlate"), "'It'\\''s late'");
    }
}
