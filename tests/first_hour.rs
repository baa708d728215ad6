//! Issue 12, "First hour as a new user": each item as a new user meets it,
//! through the real command line (in-process) or the real binary.

use chrono::{Duration, DurationRound, Utc};

use crate::common::bin::BinHome;
use crate::common::home::calendar_entry;
use crate::common::ics::{event, vcalendar};
use crate::common::Home;

const ME: &str = "ATTENDEE;CN=Me Myself;PARTSTAT=ACCEPTED:mailto:me@example.org\r\n";
const TOM: &str = "ATTENDEE;CN=Tom de Vries;PARTSTAT=ACCEPTED:mailto:tom@example.org\r\n";
const ANN_ORGANIZER: &str = "ORGANIZER;CN=Ann Organizer:mailto:ann@example.org\r\n";

const TOM_NOTE: &str = "---\nname: Tom de Vries\nemails: [tom@example.org]\n---\nLikes sailing.\n\n## Follow-ups\n- [ ] Send the slides\n- [ ] Ask about the boat\n- [ ] Book the venue\n\n## Log\n- 2026-01-05 First call.\n";
const ANN_NOTE: &str =
    "---\nname: Ann Organizer\nemails: [ann@example.org]\n---\nRuns the programme.\n";

/// A home with notes for Tom and Ann, `[me]` = me@example.org and one
/// calendar file holding `events` (whole VEVENTs).
fn home_with(events: &str) -> Home {
    let home = Home::new();
    home.note("tom.md", TOM_NOTE);
    home.note("ann.md", ANN_NOTE);
    let cal = home.file("work.ics", vcalendar(events));
    home.write_config(&home.config_text(
        "Me Myself",
        "me@example.org",
        &format!("\n{}", calendar_entry("Work", cal.to_str().unwrap())),
    ));
    home
}

fn minute() -> chrono::DateTime<Utc> {
    Utc::now().duration_trunc(Duration::minutes(1)).unwrap()
}

// 1. A config file the user named must exist.

#[test]
fn a_named_config_file_that_does_not_exist_is_an_error_in_every_command() {
    let home = Home::new();
    home.note("tom.md", TOM_NOTE);
    let nope = home.path("nope.toml");
    let nope = nope.to_str().unwrap();
    for args in [
        vec!["people"],
        vec!["person", "show", "tom"],
        vec!["note", "tom", "hello"],
        vec!["agenda"],
        vec!["agenda", "--ics", "x.ics"],
        vec!["brief"],
        vec!["status"],
        vec!["check"],
        vec!["service", "install", "--dir", "unit"],
    ] {
        let mut argv = vec!["--config", nope];
        argv.extend(&args);
        let run = home.rapport(&argv);
        let error = run
            .error
            .unwrap_or_else(|| panic!("{args:?} accepted: {}", run.stdout));
        assert!(
            error.contains("nope.toml") && error.contains("named by --config"),
            "{args:?}: {error}"
        );
    }
    // Nothing was written to the note.
    assert_eq!(
        std::fs::read_to_string(home.people_dir().join("tom.md")).unwrap(),
        TOM_NOTE
    );
    // `init` writes it there.
    let run = home.rapport(&["--config", nope, "init"]);
    assert!(run.success(), "{:?}", run.error);
    assert!(home.path("nope.toml").exists());

    // $RAPPORT_CONFIG, with the real binary.
    let bin = BinHome::new();
    let out = bin
        .command(&["people"])
        .env("RAPPORT_CONFIG", bin.path("missing.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("named by $RAPPORT_CONFIG"), "{stderr}");
    // The default path may be absent.
    let out = bin.run(&["people"]);
    assert!(out.status.success(), "{out:?}");
}

// 2. `snooze` says only what will happen.

#[test]
fn snooze_refuses_a_meeting_beyond_the_daemons_window() {
    let start = minute() + Duration::days(4);
    let home = home_with(&event(
        "far@test",
        "Far planning",
        start,
        start + Duration::minutes(30),
        &format!("{ME}{TOM}"),
    ));
    let run = home.rapport(&["snooze", "far planning"]);
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_ne!(run.code, std::process::ExitCode::SUCCESS);
    assert!(
        run.stdout.contains("not snoozed") && run.stdout.contains("3 days"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("shows again"), "{}", run.stdout);
    assert!(rapport::daemon::requests::take_requests(&home.paths.state_dir).is_empty());

    // One within the window is still snoozed.
    let soon = minute() + Duration::hours(2);
    let home = home_with(&event(
        "soon@test",
        "Soon planning",
        soon,
        soon + Duration::minutes(30),
        &format!("{ME}{TOM}"),
    ));
    let run = home.rapport(&["snooze", "soon planning"]);
    assert!(run.success(), "{:?} {}", run.error, run.stdout);
    assert!(run.stdout.contains("shows again"), "{}", run.stdout);
    assert_eq!(
        rapport::daemon::requests::take_requests(&home.paths.state_dir).len(),
        1
    );
}

// 3. A feed error is said once.

#[test]
fn a_feed_error_is_printed_once() {
    use crate::common::http::{Reply, TestServer};
    let server = TestServer::start();
    let start = minute() + Duration::hours(2);
    let body = vcalendar(&event(
        "x@test",
        "Sync",
        start,
        start + Duration::minutes(30),
        &format!("{ME}{TOM}"),
    ));
    server.route(
        "/cal.ics",
        vec![
            Reply::calendar(body),
            Reply::status(503),
            Reply::status(503),
        ],
    );
    let bin = BinHome::new();
    bin.write_config(&bin.config_with(&format!(
        "[[calendar]]\nname = \"Google\"\nurl = \"{}\"\n",
        server.url("/cal.ics")
    )));
    let first = bin.run(&["agenda"]);
    assert!(first.status.success(), "{first:?}");
    for args in [["agenda"], ["brief"]] {
        let out = bin.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.matches("503").count(), 1, "{args:?}:\n{stderr}");
        assert!(!stderr.contains("feed="), "{args:?}:\n{stderr}");
        assert!(
            stderr.contains("showing the copy fetched"),
            "{args:?}:\n{stderr}"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Sync"));
    }
    // Without a cached copy: once too.
    let server2 = TestServer::start();
    server2.route("/cal.ics", vec![Reply::status(503)]);
    let bin = BinHome::new();
    bin.write_config(&bin.config_with(&format!(
        "[[calendar]]\nname = \"Google\"\nurl = \"{}\"\n",
        server2.url("/cal.ics")
    )));
    let out = bin.run(&["agenda"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("503").count(), 1, "{stderr}");
    assert!(!stderr.contains("feed="), "{stderr}");
}

// 4. One date parser for every date option.

#[test]
fn agenda_takes_the_date_words_of_every_other_date_option() {
    let zone = rapport::calendar::tz::local_zone();
    let now = Utc::now();
    let today = now.with_timezone(&zone.offset_at(now)).date_naive();
    let noon = |days: i64| {
        zone.to_utc(
            (today + Duration::days(days))
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        )
    };
    let mut events = String::new();
    for (uid, title, day) in [("t@test", "Tomorrow talk", 1), ("l@test", "Later talk", 3)] {
        let s = noon(day);
        events += &event(
            uid,
            title,
            s,
            s + Duration::minutes(30),
            &format!("{ME}{TOM}"),
        );
    }
    let home = home_with(&events);
    let run = home.rapport(&["agenda", "--from", "tomorrow", "--to", "+2d"]);
    assert!(run.success(), "{:?}", run.error);
    assert!(run.stdout.contains("Tomorrow talk"), "{}", run.stdout);
    assert!(!run.stdout.contains("Later talk"), "{}", run.stdout);
    let run = home.rapport(&["agenda", "--from", "today", "--to", "+1w"]);
    assert!(run.stdout.contains("Later talk"), "{}", run.stdout);
    // A negative offset is a value, not an option (`--from -1d`, no `=`).
    let run = home.rapport(&["agenda", "--from", "-1d", "--to", "+2d"]);
    assert!(run.success(), "{:?}", run.error);
    assert!(run.stdout.contains("Tomorrow talk"), "{}", run.stdout);
    let run = home.rapport(&["note", "tom", "Yesterday's call", "--date", "-1d"]);
    assert!(run.success(), "{:?}", run.error);
    let yesterday = today - Duration::days(1);
    let note = std::fs::read_to_string(home.people_dir().join("tom.md")).unwrap();
    assert!(
        note.contains(&format!("- {yesterday} Yesterday's call")),
        "{note}"
    );
    // A wrong word names the accepted forms.
    let run = home.rapport(&["agenda", "--from", "next week"]);
    let error = run.error.unwrap();
    assert!(
        error.contains("--from") && error.contains("tomorrow") && error.contains("+3d"),
        "{error}"
    );
    // `met --date` too.
    let run = home.rapport(&["met", "--date", "someday"]);
    let error = run.error.unwrap();
    assert!(
        error.contains("--date") && error.contains("tomorrow"),
        "{error}"
    );
}

#[test]
fn every_date_option_lists_the_accepted_forms_in_help() {
    use clap::CommandFactory;
    let mut cli = rapport::cli::Cli::command();
    for (command, option) in [
        ("agenda", "from"),
        ("agenda", "to"),
        ("met", "date"),
        ("note", "date"),
        ("ask", "after"),
        ("owe", "due"),
        ("due", "on"),
        ("today", "on"),
    ] {
        let sub = cli.find_subcommand_mut(command).unwrap();
        let help = sub.render_long_help().to_string();
        let at = help
            .find(&format!("--{option} <"))
            .unwrap_or_else(|| panic!("{command} --{option}:\n{help}"));
        let section = &help[at..];
        let section = &section[..section[2..].find("\n  -").map_or(section.len(), |e| e + 2)];
        for form in ["YYYY-MM-DD", "tomorrow", "monday", "+3d"] {
            assert!(
                section.contains(form),
                "{command} --{option} lacks {form}:\n{section}"
            );
        }
    }
}

// 5. `status` says whether the daemon runs, and how far it looks.

#[test]
fn status_says_whether_the_daemon_runs() {
    let bin = BinHome::new();
    let start = minute() + Duration::minutes(30);
    std::fs::create_dir_all(bin.path("cal")).unwrap();
    let cal = bin.path("cal/work.ics");
    std::fs::write(
        &cal,
        vcalendar(&event(
            "s@test",
            "Sync",
            start,
            start + Duration::minutes(30),
            &format!("{ME}{TOM}"),
        )),
    )
    .unwrap();
    std::fs::create_dir_all(bin.people_dir()).unwrap();
    std::fs::write(bin.people_dir().join("tom.md"), TOM_NOTE).unwrap();
    bin.write_config(&bin.config_with(&format!(
        "[[calendar]]\nname = \"Work\"\npath = {:?}\n",
        cal.display().to_string()
    )));
    let mut daemon = bin.start_daemon(&[]);
    let state = bin.state_dir().join("state.json");
    let t0 = std::time::Instant::now();
    while !state.exists() {
        assert!(
            t0.elapsed().as_secs() < 30,
            "no state:\n{}",
            daemon.log_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = bin.run(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Daemon: running"), "{text}");
    assert!(text.contains("3 days ahead"), "{text}");
    daemon.terminate();
    // Stopped a moment ago: its state is fresh, but it does not run.
    let out = bin.run(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Daemon: NOT running"), "{text}");
    assert!(text.contains("systemctl --user start rapport"), "{text}");
    assert_eq!(out.status.code(), Some(1));
    // Killed with -9 too: the kernel drops the lock.
    let mut daemon = bin.start_daemon(&[]);
    let t0 = std::time::Instant::now();
    loop {
        let text = String::from_utf8_lossy(&bin.run(&["status"]).stdout).into_owned();
        if text.contains("Daemon: running") {
            break;
        }
        assert!(t0.elapsed().as_secs() < 30, "{text}\n{}", daemon.log_text());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    daemon.kill9();
    let text = String::from_utf8_lossy(&bin.run(&["status"]).stdout).into_owned();
    assert!(text.contains("Daemon: NOT running"), "{text}");
}

// 6. One attendee rule: the organizer counts, you never do.

#[test]
fn agenda_brief_and_met_count_the_organizer_and_never_me() {
    let start = minute() - Duration::minutes(10);
    let home = home_with(&event(
        "m@test",
        "Roadmap",
        start,
        start + Duration::minutes(60),
        &format!("{ANN_ORGANIZER}{ME}{TOM}"),
    ));
    let from = (start - Duration::minutes(1)).to_rfc3339();
    let run = home.rapport(&["agenda", "--from", &from]);
    assert!(run.success(), "{:?}", run.error);
    let with = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("with "))
        .unwrap_or_else(|| panic!("{}", run.stdout))
        .trim()
        .to_string();
    assert_eq!(with, "with Ann Organizer, Tom de Vries", "{}", run.stdout);

    // agenda --json: `people` by the same rule, with the matched notes;
    // `organizer` and `attendees` stay as the calendar says.
    let json = crate::common::json_array(&home.rapport(&["agenda", "--from", &from, "--json"]));
    let people: Vec<(&str, &str)> = json[0]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["person"].as_str().unwrap()))
        .collect();
    assert_eq!(
        people,
        [("Ann Organizer", "ann.md"), ("Tom de Vries", "tom.md")]
    );
    assert_eq!(json[0]["attendees"].as_array().unwrap().len(), 2);

    let run = home.rapport(&["brief", "roadmap", "--json"]);
    assert!(run.success(), "{:?}", run.error);
    let brief: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&str> = brief["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Ann Organizer") && names.contains(&"Tom de Vries"),
        "{names:?}"
    );
    assert!(!run.stdout.contains("Me Myself"), "{}", run.stdout);

    let run = home.rapport(&["met", "roadmap"]);
    assert!(run.success(), "{:?}", run.error);
    for file in ["ann.md", "tom.md"] {
        let text = std::fs::read_to_string(home.people_dir().join(file)).unwrap();
        assert!(text.contains("Met at Roadmap"), "{file}: {text}");
    }
}

// 7. Hints that fit.

#[test]
fn hints_name_what_the_user_typed() {
    let home = Home::new();
    let run = home.rapport(&["agenda", "--ics", "nothere.ics"]);
    let error = run.error.unwrap();
    assert!(
        error.contains("nothere.ics") && error.contains("no such file"),
        "{error}"
    );
    assert!(!error.contains("config"), "{error}");

    // `init` makes "no emails" a next step, not a warning about its own file.
    let bin = BinHome::new();
    let out = bin.run(&["init"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains("has no emails"), "{stderr}");
    assert!(stdout.contains("emails under [me]"), "{stdout}");
}

#[test]
fn durations_in_words_are_read_and_wrong_ones_name_the_forms() {
    let path = std::path::Path::new("/home/ann/.config/rapport/config.toml");
    let config = rapport::config::from_str(
        "[notify]\nlead = [\"10 minutes\", \"1 hour\", \"90 min\", \"1h30m\"]\nmax_late = \"2 minutes\"\n",
        path,
    )
    .unwrap();
    let secs: Vec<u64> = config.notify.lead.iter().map(|d| d.as_secs()).collect();
    // Sorted, longest first, without repeats (as the config keeps them).
    assert_eq!(secs, [5400, 3600, 600]);
    assert_eq!(config.notify.max_late.as_secs(), 120);
    let error = rapport::config::from_str("[notify]\nlead = [\"10 parsecs\"]\n", path)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("config.toml:2:")
            && error.contains("notify.lead")
            && error.contains("\"10 minutes\"")
            && error.contains("\"1h30m\""),
        "{error}"
    );
}

// 8. Feed warnings where they help.

#[test]
fn feed_warnings_are_not_repeated_on_every_agenda() {
    let bin = BinHome::new();
    let start = minute() + Duration::hours(1);
    let mut events = event("ok@test", "Sync", start, start + Duration::minutes(30), TOM);
    // No DTSTART: a warning, the rest is read.
    events += "BEGIN:VEVENT\r\nUID:broken@test\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n";
    std::fs::create_dir_all(bin.path("cal")).unwrap();
    let cal = bin.path("cal/messy.ics");
    std::fs::write(&cal, vcalendar(&events)).unwrap();
    bin.write_config(&bin.config_with(&format!(
        "[[calendar]]\nname = \"Messy\"\npath = {:?}\n",
        cal.display().to_string()
    )));
    let out = bin.run(&["agenda"]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning in Messy"), "{stderr}");
    let out = bin.run(&["agenda", "-v"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 warning in Messy"),
        "{out:?}"
    );
    let out = bin.run(&["check"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("DTSTART"),
        "{out:?}"
    );
}

// 9. Help text.

#[test]
fn every_argument_has_help_and_the_first_commands_come_first() {
    use clap::CommandFactory;
    let cli = rapport::cli::Cli::command();
    let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    assert_eq!(&names[..2], ["demo", "init"], "{names:?}");
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() {
                missing.push(format!("{path} {} (about)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&cli, "rapport", &mut missing);
    assert!(missing.is_empty(), "without help: {missing:?}");
    let verbose = cli
        .get_arguments()
        .find(|a| a.get_id() == "verbose")
        .unwrap()
        .get_help()
        .unwrap()
        .to_string();
    assert!(!verbose.contains("run"), "{verbose}");
}

// 10. The same dates, offsets and minutes everywhere.

#[test]
fn dates_offsets_and_short_meetings_read_the_same_everywhere() {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
    let t = day.and_hms_opt(14, 0, 0).unwrap();
    assert_eq!(
        t.format(rapport::cli::status::TIME_FORMAT).to_string(),
        "Tue 8 Dec 14:00"
    );

    // brief --json keeps the event's offset, as agenda --json does.
    let start = minute() + Duration::hours(2);
    let ny = chrono_tz::America::New_York;
    let local = start.with_timezone(&ny).naive_local();
    let home = home_with(&format!(
        "BEGIN:VEVENT\r\nUID:ny@test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:NY sync\r\n\
         DTSTART;TZID=America/New_York:{}\r\nDURATION:PT30M\r\n{ME}{TOM}END:VEVENT\r\n",
        local.format("%Y%m%dT%H%M%S")
    ));
    let brief = home.rapport(&["brief", "ny sync", "--json"]);
    assert!(brief.success(), "{:?}", brief.error);
    let brief: serde_json::Value = serde_json::from_str(&brief.stdout).unwrap();
    let agenda = home.rapport(&["agenda", "--json"]);
    let agenda = crate::common::json_array(&agenda);
    assert_eq!(brief["meeting"]["start"], agenda[0]["start"]);
    let offset = start.with_timezone(&ny).format("%:z").to_string();
    assert!(
        brief["meeting"]["start"]
            .as_str()
            .unwrap()
            .ends_with(&offset),
        "{brief}"
    );

    // A meeting shorter than a minute shows its seconds.
    let s = minute() + Duration::hours(1) + Duration::seconds(5);
    let home = home_with(&event(
        "short@test",
        "Short one",
        s,
        s + Duration::seconds(25),
        &format!("{ME}{TOM}"),
    ));
    let run = home.rapport(&["brief", "short one"]);
    assert!(run.success(), "{:?}", run.error);
    let zone = rapport::calendar::tz::local_zone();
    let shown = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&zone.offset_at(t))
            .format("%H:%M:%S")
            .to_string()
    };
    let range = format!("{}–{}", shown(s), shown(s + Duration::seconds(25)));
    assert!(run.stdout.contains(&range), "{range}:\n{}", run.stdout);
    let run = home.rapport(&["agenda"]);
    let range = format!("{}-{}", shown(s), shown(s + Duration::seconds(25)));
    assert!(run.stdout.contains(&range), "{range}:\n{}", run.stdout);
}

// 11. `done` says what happened and the new numbers.

#[test]
fn done_shows_the_new_numbers_and_knows_what_is_already_done() {
    let home = home_with("");
    let run = home.rapport(&["done", "tom", "1"]);
    assert!(run.success(), "{:?}", run.error);
    assert!(
        run.stdout
            .contains("Still open (new numbers):\n  1. Ask about the boat\n  2. Book the venue\n"),
        "{}",
        run.stdout
    );
    let run = home.rapport(&["done", "tom", "slides"]);
    let error = run.error.unwrap();
    assert!(
        error.contains("already done") && error.contains("Send the slides"),
        "{error}"
    );
    assert!(!error.contains("no open follow-up matches"), "{error}");
    home.rapport(&["done", "tom", "1"]);
    let run = home.rapport(&["done", "tom", "venue"]);
    assert!(
        run.stdout.contains("No open follow-ups left."),
        "{}",
        run.stdout
    );
}

// 12. `service install` says when the binary is not installed.

#[test]
fn service_install_warns_about_a_binary_in_a_build_folder() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_rapport"))
        .canonicalize()
        .unwrap();
    let bin = BinHome::new();
    let out = bin.run(&[
        "service",
        "install",
        "--dir",
        bin.path("units").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let in_target = exe
        .parent()
        .and_then(|p| p.parent())
        .and_then(|p| p.file_name())
        == Some(std::ffi::OsStr::new("target"));
    assert_eq!(stdout.contains("cargo build folder"), in_target, "{stdout}");
    assert!(bin.path("units/rapport.service").exists());
}

// 13. The README is a newcomer's page.

#[test]
fn readme_is_short_and_links_the_reference() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.lines().count() <= 300,
        "{} lines",
        readme.lines().count()
    );
    let install = readme.find("## Install").expect("an Install section");
    let tests = readme.find("## Run all tests").expect("the test command");
    let demo = readme.find("-- demo").expect("the demo command");
    assert!(
        demo < install && install < tests,
        "try it, install, then the tests"
    );
    // Exactly one command for each: the demo and the whole test run.
    assert_eq!(readme.matches("    scripts/test.sh\n").count(), 1);
    assert_eq!(
        readme.matches("    cargo run --release -- demo\n").count(),
        1
    );
    for doc in [
        "docs/configuration.md",
        "docs/calendar-engine.md",
        "docs/performance.md",
        "docs/reliability.md",
    ] {
        assert!(readme.contains(doc), "README links {doc}");
        assert!(root.join(doc).exists(), "{doc} exists");
    }
    for line in readme.lines() {
        for (i, _) in line.match_indices("](") {
            let target = &line[i + 2..];
            let target = &target[..target.find(')').unwrap_or(target.len())];
            let file = target.split('#').next().unwrap();
            if !file.is_empty() && !file.contains("://") {
                assert!(root.join(file).exists(), "README links a missing {file}");
            }
        }
    }
}

// 14. Completions, a man page, --version.

#[test]
fn completions_man_page_and_version() {
    let bin = BinHome::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = bin.run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("agenda") && script.contains("snooze"),
            "{shell}"
        );
        let checker = match shell {
            "bash" => Some("bash"),
            "zsh" => None,
            _ => None,
        };
        if let Some(sh) = checker {
            let file = bin.path("completion.sh");
            std::fs::write(&file, &script).unwrap();
            let status = std::process::Command::new(sh)
                .arg("-n")
                .arg(&file)
                .status()
                .unwrap();
            assert!(status.success(), "{shell} script does not parse");
        }
    }
    let out = bin.run(&["man"]);
    assert!(out.status.success(), "{out:?}");
    let man = String::from_utf8(out.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH rapport"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains("agenda") && man.contains("completions"));
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok()
    {
        let file = bin.path("rapport.1");
        std::fs::write(&file, &man).unwrap();
        let out = std::process::Command::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("rapport"), "man -l: {out:?}");
    }
    let out = bin.run(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("rapport {}", env!("CARGO_PKG_VERSION"))
    );
}

// `rapport people | head`: a reader that stops early is not an error.

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let bin = BinHome::new();
    std::fs::create_dir_all(bin.people_dir()).unwrap();
    for i in 0..50 {
        std::fs::write(
            bin.people_dir().join(format!("p{i}.md")),
            format!("---\nname: Person {i}\nemails: [p{i}@example.org]\n---\n"),
        )
        .unwrap();
    }
    bin.write_config(&bin.config_with(""));
    for args in [&["people"][..], &["people", "--json"], &["man"]] {
        // The reading end is closed before rapport writes a byte.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = bin.command(args).stdout(writer).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}
