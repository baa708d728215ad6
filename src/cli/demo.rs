//! `rapport demo`: the whole pipeline on example data, in about two minutes.
//!
//! Everything lives in a temporary folder that is removed at the end: a
//! calendar generated relative to now (with the `icalendar` crate's builder),
//! three people notes and a config with lead times in seconds. The scenario
//! is the one rapport grew from: Frank (a software engineer, "me") and Pieter
//! (the database administrator) meet Tom and Yvonne from Marketing about a new
//! direct-mailing system; Tom just took his kids to the zoo, Yvonne just
//! played a tennis tournament; someone from Sales nobody has notes about joins.
//! A solo focus block right after it must stay silent.
//!
//! The demo runs the real daemon ([`crate::daemon::run`]: engine, matching,
//! brief, scheduler, notifier) and wraps its notifier in [`DemoNotifier`],
//! which prints every notification to the terminal as it is sent, carries on
//! without a notification server, and stops the daemon after the debrief.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use chrono::{DateTime, Duration, Local, NaiveDate, Utc};
use icalendar::{Attendee, Calendar, Component, EventLike, Property, Role};
use tokio::sync::{broadcast, mpsc, watch};

use crate::daemon::notify::{
    Capabilities, DbusNotifier, Event, Notification, Notifier, NotifyError, ServerInfo,
};

/// The meeting the demo is about.
pub const MEETING: &str = "Direct mailing kick-off";
/// The solo block that must not raise a notification.
pub const FOCUS: &str = "Focus block: draft the mailing spec";
/// My address in the demo (the organizer).
pub const ME: &str = "frank@acme.example";

/// When things happen, relative to the start of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// From now until the kick-off starts.
    pub start_in: Duration,
    /// The prep notification goes out this long before the start.
    pub lead: Duration,
    /// How long the kick-off lasts (the focus block follows it).
    pub length: Duration,
    /// The debrief goes out this long after the kick-off ends.
    pub debrief_after: Duration,
}

impl Default for Timing {
    /// Two minutes in all: prep after 15 s, 75 s before the start (the
    /// brief says "in 1 min": under half a minute would read "now"), meeting
    /// from 1:30 to 1:55 (shown with its seconds), debrief at 2:00.
    fn default() -> Self {
        Timing {
            start_in: Duration::seconds(90),
            lead: Duration::seconds(75),
            length: Duration::seconds(25),
            debrief_after: Duration::seconds(5),
        }
    }
}

impl Timing {
    pub fn kickoff_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.start_in
    }
    pub fn kickoff_end(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.kickoff_start(now) + self.length
    }
    /// The focus block: right after the kick-off, for 25 minutes.
    pub fn focus(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.kickoff_end(now);
        (start, start + Duration::minutes(25))
    }
    pub fn prep_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.kickoff_start(now) - self.lead
    }
    pub fn debrief_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.kickoff_end(now) + self.debrief_after
    }
}

/// An attendee of the kick-off: (name, address, has a note).
pub const ATTENDEES: [(&str, &str, bool); 4] = [
    ("Tom Visser", "tom.visser@acme.example", true),
    ("Yvonne Bakker", "yvonne.bakker@acme.example", true),
    ("Pieter de Boer", "pieter.deboer@acme.example", true),
    ("Sanne Mulder", "sanne.mulder@acme.example", false),
];

/// The demo calendar as ICS text: the kick-off (organised by me, with the
/// four attendees) and my focus block, timed from `now`.
pub fn calendar(now: DateTime<Utc>, timing: &Timing) -> String {
    let stamp = now - Duration::days(3);
    let mut kickoff = icalendar::Event::new();
    kickoff
        .uid("demo-direct-mailing-kickoff@rapport.example")
        .timestamp(stamp)
        .summary(MEETING)
        .description(
            "First meeting about the new direct-mailing system: what Marketing needs, \
             where the addresses come from, and who does what.",
        )
        .location("Meeting room 3, 2nd floor")
        .starts(timing.kickoff_start(now))
        .ends(timing.kickoff_end(now))
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{ME}"))
                .add_parameter("CN", "Frank")
                .done(),
        );
    kickoff.attendee(
        Attendee::new(format!("mailto:{ME}"))
            .cn("Frank".into())
            .role(Role::Chair)
            .partstat(icalendar::PartStat::Accepted),
    );
    for (name, email, _) in ATTENDEES {
        kickoff.attendee(
            Attendee::new(format!("mailto:{email}"))
                .cn(name.into())
                .role(Role::ReqParticipant)
                .partstat(icalendar::PartStat::Accepted),
        );
    }
    let (focus_start, focus_end) = timing.focus(now);
    let focus = icalendar::Event::new()
        .uid("demo-focus-block@rapport.example")
        .timestamp(stamp)
        .summary(FOCUS)
        .starts(focus_start)
        .ends(focus_end)
        .done();
    let mut cal = Calendar::new();
    cal.name("rapport demo");
    cal.push(kickoff.done());
    cal.push(focus);
    cal.done().to_string()
}

/// The people notes, `(file name, text)`, dated relative to `today`: written
/// in our own words after the scenario in the project's reference README.
pub fn people_files(today: NaiveDate) -> Vec<(&'static str, String)> {
    let d = |days: i64| {
        (today + Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    vec![
        (
            "tom-visser.md",
            format!(
                "---\n\
                 name: Tom Visser\n\
                 email: tom.visser@acme.example\n\
                 org: Acme, Marketing\n\
                 role: Campaign manager\n\
                 prefers: phone\n\
                 ---\n\
                 Runs the customer campaigns; the direct-mailing system is his project.\n\
                 \n\
                 ## Family\n\
                 - Two kids, Daan (7) and Noor (4)\n\
                 - Took them to Artis, the Amsterdam zoo, last Saturday; Noor would not leave the elephants\n\
                 \n\
                 ## Work\n\
                 - Wants the first mailing out before the spring campaign\n\
                 \n\
                 ## Follow-ups\n\
                 - [ ] Ask how Artis went: do the kids love animals? 🛫 {today}\n\
                 - [ ] Send Tom an estimate of how many addresses we can clean up per day 📅 {due}\n\
                 \n\
                 ## Log\n\
                 - {met} Coffee machine: the address list is full of duplicates and that costs him postage\n",
                today = d(0),
                due = d(2),
                met = d(-9),
            ),
        ),
        (
            "yvonne-bakker.md",
            format!(
                "---\n\
                 name: Yvonne Bakker\n\
                 email: yvonne.bakker@acme.example\n\
                 aliases: [\"Bakker, Yvonne\"]\n\
                 org: Acme, Marketing\n\
                 role: Head of Marketing\n\
                 prefers: face to face\n\
                 ---\n\
                 Decides on the mailing budget; judges every campaign by its response rate.\n\
                 \n\
                 ## Tennis\n\
                 - Plays doubles at her club; had a tournament this weekend\n\
                 \n\
                 ## Work\n\
                 - Asked last time who actually owns the customer data\n\
                 \n\
                 ## Follow-ups\n\
                 - [ ] Ask how the tennis tournament went 🛫 {today}\n\
                 - [ ] Ask which customer groups the first mailing should reach 🛫 {today}\n\
                 \n\
                 ## Log\n\
                 - {met} Marketing sync: wants fewer returned letters\n",
                today = d(0),
                met = d(-14),
            ),
        ),
        (
            "pieter-de-boer.md",
            format!(
                "---\n\
                 name: Pieter de Boer\n\
                 email: pieter.deboer@acme.example\n\
                 org: Acme, IT\n\
                 role: Database administrator\n\
                 prefers: chat\n\
                 ---\n\
                 Looks after the customer database; we go to this meeting together.\n\
                 \n\
                 ## Interests\n\
                 - Bakes sourdough bread at the weekend\n\
                 \n\
                 ## Follow-ups\n\
                 - [ ] Review his proposal for the address table 📅 {due}\n\
                 \n\
                 ## Log\n\
                 - {met} Agreed to sit with Marketing in the kick-off instead of at the far end\n",
                due = d(-1),
                met = d(-2),
            ),
        ),
    ]
}

/// The demo config: the calendar and people next to it, lead times in seconds.
pub fn config_text(timing: &Timing) -> String {
    format!(
        "# The configuration of `rapport demo` (short lead times, so the demo takes\n\
         # two minutes). `rapport init` writes a commented one for real use.\n\
         [me]\n\
         name = \"Frank\"\n\
         emails = [\"{ME}\"]\n\
         pitch = \"I build the software behind our customer contact; for the mailing \
         system I could take the sending and the bounce handling.\"\n\
         \n\
         [[calendar]]\n\
         name = \"Demo\"\n\
         path = \"demo.ics\"\n\
         \n\
         [people]\n\
         dir = \"people\"\n\
         \n\
         [notify]\n\
         lead = [\"{}s\"]\n\
         debrief = \"{}s\"\n\
         max_late = \"30s\"\n",
        timing.lead.num_seconds(),
        timing.debrief_after.num_seconds(),
    )
}

/// Writes the calendar, the notes and the config under `root`; returns the
/// config file's path.
pub fn write_files(
    root: &Path,
    now: DateTime<Utc>,
    timing: &Timing,
) -> std::io::Result<std::path::PathBuf> {
    let config_dir = root.join("config");
    let people_dir = config_dir.join("people");
    std::fs::create_dir_all(&people_dir)?;
    let today = now.with_timezone(&Local).date_naive();
    for (name, text) in people_files(today) {
        std::fs::write(people_dir.join(name), text)?;
    }
    std::fs::write(config_dir.join("demo.ics"), calendar(now, timing))?;
    let config_file = config_dir.join("config.toml");
    std::fs::write(&config_file, config_text(timing))?;
    Ok(config_file)
}

// ---------------------------------------------------------------------------
// The notifier wrapper

/// Wraps the real notifier: every notification is also printed (through a
/// channel, since the daemon owns the notifier), a missing server is not an
/// error (the demo prints instead), and the daemon is stopped once the
/// debrief has gone out.
pub struct DemoNotifier<N: Notifier> {
    inner: N,
    /// The server answered at the start; without one, nothing is sent to it.
    server: AtomicBool,
    /// Ids for notifications nobody displayed (far from the server's ids).
    next_local_id: AtomicU32,
    print: mpsc::UnboundedSender<String>,
    stop: watch::Sender<bool>,
    /// Used when there is no server (the inner notifier's would stay silent).
    events: broadcast::Sender<Event>,
}

impl<N: Notifier> DemoNotifier<N> {
    pub fn new(
        inner: N,
        server: bool,
        print: mpsc::UnboundedSender<String>,
        stop: watch::Sender<bool>,
    ) -> DemoNotifier<N> {
        DemoNotifier {
            inner,
            server: AtomicBool::new(server),
            next_local_id: AtomicU32::new(1_000_000),
            print,
            stop,
            events: broadcast::channel(4).0,
        }
    }
}

/// The daemon's debrief is the notification with a "Nothing new" action.
fn is_debrief(n: &Notification) -> bool {
    n.actions.iter().any(|a| a.key == "nothing-new")
}

/// What the terminal shows for one notification.
pub fn describe(n: &Notification, at: DateTime<Local>, shown: bool) -> String {
    let mut out = format!(
        "\n[{}] {} {}\n",
        at.format("%H:%M:%S"),
        if is_debrief(n) {
            "Debrief"
        } else {
            "Prep notification"
        },
        if shown {
            "(also on your screen)"
        } else {
            "(printed here only)"
        }
    );
    out.push_str(&format!("  {}\n", n.summary));
    for line in n.body.lines() {
        out.push_str(&format!("    {line}\n"));
    }
    if shown && !n.actions.is_empty() {
        let labels: Vec<&str> = n.actions.iter().map(|a| a.label.as_str()).collect();
        out.push_str(&format!("  actions: {}\n", labels.join(" · ")));
    }
    out
}

impl<N: Notifier> Notifier for DemoNotifier<N> {
    async fn capabilities(&self) -> Result<Capabilities, NotifyError> {
        if self.server.load(Ordering::SeqCst) {
            if let Ok(caps) = self.inner.capabilities().await {
                return Ok(caps);
            }
        }
        // Plain text for the terminal. "actions" keeps the daemon from adding
        // `rapport ...` commands to the body: they would act on the user's
        // own config, not on the demo's (which is gone afterwards).
        Ok(Capabilities::from_list(vec![
            "body".into(),
            "actions".into(),
        ]))
    }

    async fn show(&self, notification: &Notification) -> Result<u32, NotifyError> {
        let mut shown = None;
        if self.server.load(Ordering::SeqCst) {
            match self.inner.show(notification).await {
                Ok(id) => shown = Some(id),
                Err(e) => {
                    let _ = self.print.send(format!(
                        "\nThe notification server stopped answering ({e}); \
                         the rest of the demo is printed here only.\n"
                    ));
                    self.server.store(false, Ordering::SeqCst);
                }
            }
        }
        let _ = self
            .print
            .send(describe(notification, Local::now(), shown.is_some()));
        if is_debrief(notification) {
            let _ = self.stop.send(true);
        }
        Ok(shown.unwrap_or_else(|| self.next_local_id.fetch_add(1, Ordering::SeqCst)))
    }

    async fn close(&self, id: u32) -> Result<(), NotifyError> {
        if self.server.load(Ordering::SeqCst) && id < 1_000_000 {
            self.inner.close(id).await
        } else {
            Ok(())
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        if self.server.load(Ordering::SeqCst) {
            self.inner.subscribe()
        } else {
            self.events.subscribe()
        }
    }
}

// ---------------------------------------------------------------------------
// Running it

/// Where to send notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    Session,
    Address(String),
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub timing: Timing,
    pub bus: Bus,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            timing: Timing::default(),
            bus: Bus::Session,
        }
    }
}

/// Longer than this past the debrief time and the demo gives up (something
/// kept the daemon from sending; it must not hang).
const GRACE: Duration = Duration::seconds(60);

/// `rapport demo`: writes the example files into a temporary folder, runs
/// the daemon on them until the debrief, and removes the folder.
pub fn run(options: &DemoOptions, out: &mut dyn std::io::Write) -> anyhow::Result<ExitCode> {
    let folder = tempfile::Builder::new()
        .prefix("rapport-demo-")
        .tempdir()
        .map_err(|e| anyhow::anyhow!("cannot create a temporary folder for the demo: {e}"))?;
    let now = Utc::now();
    let timing = options.timing;
    let config_file = write_files(folder.path(), now, &timing)
        .map_err(|e| anyhow::anyhow!("cannot write the demo files: {e}"))?;
    let mut paths = crate::config::Paths::under(folder.path());
    paths.config_file = config_file;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let inner = match &options.bus {
            Bus::Session => DbusNotifier::session(),
            Bus::Address(a) => DbusNotifier::at_address(a),
        };
        let server = probe(&inner).await;
        intro(out, folder.path(), now, &timing, &server)?;
        let (print_tx, mut print_rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = watch::channel(false);
        let debrief_sent = stop_tx.subscribe();
        let notifier = DemoNotifier::new(inner, server.is_ok(), print_tx, stop_tx);
        let daemon = crate::daemon::run(
            paths,
            crate::daemon::Options {
                notifier,
                opener: Box::new(crate::daemon::XdgOpen),
                stop: Some(stop_rx),
            },
        );
        tokio::pin!(daemon);
        let give_up_at = timing.debrief_due(now) + GRACE;
        let give_up = (give_up_at - Utc::now()).to_std().unwrap_or_default();
        let outcome = tokio::select! {
            r = &mut daemon => Some(r),
            _ = async {
                let deadline = tokio::time::Instant::now() + give_up;
                loop {
                    tokio::select! {
                        Some(text) = print_rx.recv() => {
                            if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
                                break;
                            }
                        }
                        _ = tokio::time::sleep_until(deadline) => break,
                    }
                }
            } => None,
        };
        while let Ok(text) = print_rx.try_recv() {
            out.write_all(text.as_bytes())?;
        }
        match outcome {
            Some(Ok(())) if *debrief_sent.borrow() => Ok(Ending::Done),
            // The daemon stops by itself only on SIGINT/SIGTERM.
            Some(Ok(())) => Ok(Ending::Interrupted),
            Some(Err(e)) => Err(e),
            None => Ok(Ending::TimedOut),
        }
    });
    drop(runtime);
    let ending = result?;
    let shown = folder.path().display().to_string();
    folder
        .close()
        .map_err(|e| anyhow::anyhow!("cannot remove the demo folder {shown}: {e}"))?;
    match ending {
        Ending::Done => {
            writeln!(
                out,
                "\nThat was the demo: the prep before the meeting, nothing for the solo block, \
             the debrief after it.\nThe demo folder ({shown}) is removed. To set up your own: \
             `rapport init`, add your calendar to the config, then `rapport check`."
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Ending::Interrupted => {
            writeln!(out, "\nDemo stopped; its folder ({shown}) is removed.")?;
            Ok(ExitCode::from(130))
        }
        Ending::TimedOut => {
            writeln!(
                out,
                "\nThe demo did not finish: no debrief {} after it was due. \
                 Run it again with -v to see what the daemon did.",
                crate::daemon::schedule::human_duration(GRACE)
            )?;
            Ok(ExitCode::from(1))
        }
    }
}

enum Ending {
    /// The debrief went out.
    Done,
    /// Ctrl-C (or SIGTERM) before the debrief.
    Interrupted,
    /// Nothing came by the deadline.
    TimedOut,
}

async fn probe(notifier: &DbusNotifier) -> Result<ServerInfo, NotifyError> {
    let info = notifier.server_information().await?;
    notifier.capabilities().await?;
    Ok(info)
}

fn intro(
    out: &mut dyn std::io::Write,
    folder: &Path,
    now: DateTime<Utc>,
    timing: &Timing,
    server: &Result<ServerInfo, NotifyError>,
) -> std::io::Result<()> {
    let t = |at: DateTime<Utc>| at.with_timezone(&Local).format("%H:%M:%S").to_string();
    let names: Vec<&str> = ATTENDEES.iter().map(|(n, _, _)| *n).collect();
    writeln!(
        out,
        "rapport demo: an example calendar, three people notes and a config in {}",
        folder.display()
    )?;
    writeln!(
        out,
        "  {}  {MEETING}, with {} (no note about {})",
        t(timing.kickoff_start(now)),
        names.join(", "),
        ATTENDEES
            .iter()
            .filter(|a| !a.2)
            .map(|a| a.0)
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "  {}  {FOCUS} (just you, so no notification)",
        t(timing.focus(now).0)
    )?;
    writeln!(
        out,
        "The prep notification is due at {} ({} s before the start), the debrief at {}.",
        t(timing.prep_due(now)),
        timing.lead.num_seconds(),
        t(timing.debrief_due(now))
    )?;
    match server {
        Ok(info) => writeln!(
            out,
            "Notifications go to {} {}, and are printed here too. Ctrl-C stops the demo.",
            info.name, info.version
        )?,
        Err(e) => writeln!(
            out,
            "No notification server, so nothing appears on screen: {e}\nThe demo prints \
             each notification here at the moment it would appear. Ctrl-C stops it."
        )?,
    }
    out.flush()
}
