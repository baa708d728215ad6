//! Config: parsing, validation, and errors that name file, line and key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rapport::config::{self, Config, ConfigError, Paths};
use rapport::feed::FeedLocation;
use rapport::people::contact::ContactSettings;
use rapport::people::period::Period;

fn path() -> PathBuf {
    PathBuf::from("/home/ada/.config/rapport/config.toml")
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    config::from_str_in(text, &path(), &Paths::under(Path::new("/tmp/rapport-root")))
}

/// Parses `text`, expects exactly one problem, and checks that its message
/// names the file, the line, the key, and contains `says`.
fn expect_error(text: &str, line: usize, key: &str, says: &str) -> String {
    let err = parse(text).expect_err("config should be refused");
    let ConfigError::Invalid { problems, .. } = &err else {
        panic!("expected Invalid, got {err:?}");
    };
    assert_eq!(problems.len(), 1, "{err}");
    assert_eq!(problems[0].line, line, "{err}");
    assert_eq!(problems[0].key, key, "{err}");
    let shown = err.to_string();
    let prefix = format!("{}:{line}:", path().display());
    assert!(shown.starts_with(&prefix), "{shown}");
    assert!(shown.contains(&format!("`{key}`")), "{shown}");
    assert!(shown.contains(says), "expected `{says}` in: {shown}");
    shown
}

#[test]
fn example_config_parses() {
    let c = parse(config::EXAMPLE).expect("the embedded example parses");
    assert!(c.calendars.is_empty());
    assert_eq!(c.notify, rapport::config::NotifyConfig::default());
    assert_eq!(c.people.prompts_per_person, 3);
    assert_eq!(c.people.dir, Path::new("/tmp/rapport-root/data/people"));
}

/// Every key the example documents is valid: uncomment them all and parse.
#[test]
fn example_config_with_every_key_uncommented_parses() {
    let uncommented: String = config::EXAMPLE
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with("[[")
                    || rest.starts_with("[people.")
                    || rest.split_once(" = ").is_some_and(|(k, _)| {
                        k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                            || (k.starts_with("\"#") && k.ends_with('"'))
                    }) =>
            {
                rest.to_string()
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = parse(&uncommented).unwrap_or_else(|e| panic!("{e}\n---\n{uncommented}"));
    assert_eq!(c.me.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(c.me.emails, ["ada@example.com", "ada.lovelace@example.org"]);
    assert!(c.me.pitch.is_some());
    assert_eq!(c.calendars.len(), 2);
    let work = &c.calendars[0];
    assert_eq!(work.name, "Work");
    assert_eq!(
        work.location,
        FeedLocation::Url("https://outlook.office365.com/owa/calendar/abc/def/calendar.ics".into())
    );
    assert_eq!(work.refresh, Duration::from_secs(900));
    assert_eq!(work.username.as_deref(), Some("ada"));
    assert_eq!(
        work.password_command.as_deref(),
        Some(&["pass".to_string(), "show".into(), "calendars/work".into()][..])
    );
    let family = &c.calendars[1];
    assert_eq!(family.refresh, Duration::from_secs(300));
    let home = std::env::var("HOME").unwrap();
    assert_eq!(
        family.location,
        FeedLocation::Path(PathBuf::from(format!("{home}/calendars/family.ics")))
    );
    assert_eq!(c.people.dir, PathBuf::from(format!("{home}/notes/people")));
    assert_eq!(c.notify, rapport::config::NotifyConfig::default());
    // The keys shown are the defaults; the tag cadences are examples.
    assert_eq!(c.people.contact, ContactSettings::default());
    assert_eq!(
        c.people.cadence.by_tag,
        [
            ("team".to_string(), Period::Weeks(2)),
            ("client".to_string(), Period::Months(1))
        ]
    );
    assert_eq!(c.digest, rapport::config::DigestSettings::default());
}

#[test]
fn full_config_is_validated_into_types() {
    let c = parse(
        r#"
[me]
name = "Ada"
emails = ["Ada@Example.com", "mailto:ada@home.example"]

[[calendar]]
url = "webcal://calendar.example.com/published/cal.ics"
refresh = "1h30m"

[[calendar]]
name = "Local"
path = "cals/local.ics"

[people]
dir = "people"
prompts_per_person = 5

[notify]
lead = ["2m", "15m", "2m"]
debrief = "off"
include_all_day = true
only_with_people = false
discreet = true
max_late = "90s"
"#,
    )
    .unwrap();
    assert_eq!(c.me.emails, ["ada@example.com", "ada@home.example"]);
    assert_eq!(c.calendars[0].name, "calendar.example.com");
    assert_eq!(
        c.calendars[0].location,
        FeedLocation::Url("https://calendar.example.com/published/cal.ics".into())
    );
    assert_eq!(c.calendars[0].refresh, Duration::from_secs(5400));
    assert_eq!(
        c.calendars[1].location,
        FeedLocation::Path(PathBuf::from("/home/ada/.config/rapport/cals/local.ics"))
    );
    assert_eq!(c.people.dir, Path::new("/home/ada/.config/rapport/people"));
    assert_eq!(c.people.prompts_per_person, 5);
    assert_eq!(
        c.notify.lead,
        [Duration::from_secs(900), Duration::from_secs(120)]
    );
    assert_eq!(c.notify.debrief, None);
    assert!(c.notify.include_all_day && !c.notify.only_with_people && c.notify.discreet);
    assert_eq!(c.notify.max_late, Duration::from_secs(90));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn unknown_key_suggests_the_right_one() {
    expect_error(
        "[notify]\nleed = [\"5m\"]\n",
        2,
        "notify.leed",
        "did you mean `lead`",
    );
    expect_error(
        "[me]\nemail = \"a@b.c\"\n",
        2,
        "me.email",
        "did you mean `emails`",
    );
    expect_error(
        "[[calendar]]\nurl = \"https://h/c.ics\"\nrefrsh = \"5m\"\n",
        3,
        "calendar.refrsh",
        "did you mean `refresh`",
    );
    expect_error(
        "[[calendars]]\nurl = \"https://h/c.ics\"\n",
        1,
        "calendars",
        "did you mean `calendar`",
    );
}

#[test]
fn bad_duration_lists_accepted_forms() {
    let shown = expect_error(
        "[notify]\nmax_late = \"5 parsecs\"\n",
        2,
        "notify.max_late",
        "\"1h30m\"",
    );
    assert!(shown.contains("unknown unit"), "{shown}");
    expect_error(
        "[notify]\nlead = [\"10m\", \"soon\"]\n",
        2,
        "notify.lead",
        "\"90s\"",
    );
    expect_error("[notify]\ndebrief = 5\n", 2, "notify.debrief", "\"5m\"");
    expect_error(
        "[[calendar]]\npath = \"a.ics\"\nrefresh = \"15\"\n",
        3,
        "calendar.refresh",
        "no unit",
    );
    expect_error(
        "[[calendar]]\npath = \"a.ics\"\nrefresh = \"0s\"\n",
        3,
        "calendar.refresh",
        "\"15m\"",
    );
}

#[test]
fn url_and_path_together_or_neither_are_errors() {
    expect_error(
        "[[calendar]]\nname = \"w\"\nurl = \"https://h/c.ics\"\npath = \"c.ics\"\n",
        3,
        "calendar.url",
        "keep one",
    );
    expect_error(
        "[[calendar]]\nname = \"w\"\n",
        1,
        "calendar",
        "neither url nor path",
    );
}

#[test]
fn plain_password_is_refused_and_never_echoed() {
    let shown = expect_error(
        "[[calendar]]\nurl = \"https://h/c.ics\"\nusername = \"ada\"\npassword = \"hunter2\"\n",
        4,
        "calendar.password",
        "password_command",
    );
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn password_command_string_is_split_like_a_shell_and_needs_a_username() {
    let c = parse(
        "[[calendar]]\nurl = \"https://h/c.ics\"\nusername = \"ada\"\n\
         password_command = \"secret-tool lookup 'service name' cal\"\n",
    )
    .unwrap();
    assert_eq!(
        c.calendars[0].password_command.as_deref(),
        Some(
            &[
                "secret-tool".to_string(),
                "lookup".into(),
                "service name".into(),
                "cal".into()
            ][..]
        )
    );
    expect_error(
        "[[calendar]]\nurl = \"https://h/c.ics\"\npassword_command = [\"pass\", \"x\"]\n",
        3,
        "calendar.password_command",
        "needs a username",
    );
    expect_error(
        "[[calendar]]\nurl = \"https://h/c.ics\"\nusername = \"a\"\npassword_command = \"pass 'x\"\n",
        4,
        "calendar.password_command",
        "unbalanced quotes",
    );
}

#[test]
fn wrong_types_and_shapes_say_what_to_write() {
    expect_error(
        "[notify]\ndiscreet = \"true\"\n",
        2,
        "notify.discreet",
        "without quotes",
    );
    expect_error(
        "[me]\nemails = \"not-an-email\"\n",
        2,
        "me.emails",
        "not an email address",
    );
    expect_error(
        "[calendar]\nurl = \"https://h/c.ics\"\n",
        1,
        "calendar",
        "[[calendar]]",
    );
    expect_error("me = 3\n", 1, "me", "[me]");
    expect_error(
        "[people]\nprompts_per_person = -1\n",
        2,
        "people.prompts_per_person",
        "0 to 50",
    );
    expect_error(
        "[[calendar]]\nurl = \"ftp://h/c.ics\"\n",
        2,
        "calendar.url",
        "webcal://",
    );
    expect_error(
        "[[calendar]]\nname = \"a\"\npath = \"a.ics\"\n[[calendar]]\nname = \"a\"\npath = \"b.ics\"\n",
        5,
        "calendar.name",
        "own name",
    );
}

#[test]
fn syntax_error_names_line_and_key() {
    expect_error("[notify]\nlead = 10m\n", 2, "lead", "TOML syntax error");
    expect_error("[me]\nname = \"Ada\n", 2, "name", "TOML syntax error");
}

#[test]
fn several_problems_are_all_reported_in_file_order() {
    let err = parse("[notify]\nmax_late = \"x\"\nleed = 1\n[me]\nnaem = \"A\"\n").unwrap_err();
    let shown = err.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    for (line, expected) in lines.iter().zip([":2:", ":3:", ":5:"]) {
        assert!(
            line.starts_with(&format!("{}{expected}", path().display())),
            "{shown}"
        );
    }
}

#[test]
fn missing_file_says_run_rapport_init() {
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    let err = config::load(&paths).unwrap_err();
    assert!(matches!(err, ConfigError::NotFound { .. }));
    let shown = err.to_string();
    assert!(shown.contains("rapport init"), "{shown}");
    assert!(
        shown.contains(&paths.config_file.display().to_string()),
        "{shown}"
    );
}

#[test]
fn load_reads_the_file_and_resolves_relative_paths() {
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    std::fs::create_dir_all(paths.config_file.parent().unwrap()).unwrap();
    std::fs::write(
        &paths.config_file,
        "[me]\nemails = [\"a@b.c\"]\n[[calendar]]\npath = \"work.ics\"\n",
    )
    .unwrap();
    let c = config::load(&paths).unwrap();
    assert_eq!(c.path.as_deref(), Some(paths.config_file.as_path()));
    assert_eq!(
        c.calendars[0].location,
        FeedLocation::Path(root.path().join("config/work.ics"))
    );
    assert_eq!(c.people.dir, paths.data_dir.join("people"));
}

#[test]
fn readable_config_with_a_secret_link_warns_and_private_one_does_not() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let paths = Paths::under(root.path());
    std::fs::create_dir_all(paths.config_file.parent().unwrap()).unwrap();
    let token = "private-0123456789abcdef0123456789abcdef";
    std::fs::write(
        &paths.config_file,
        format!(
            "[me]\nemails = [\"a@b.c\"]\n[[calendar]]\n\
             url = \"https://calendar.google.com/calendar/ical/x/{token}/basic.ics\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&paths.config_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let c = config::load(&paths).unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("chmod 600"), "{}", c.warnings[0]);
    assert!(!c.warnings[0].contains(token), "{}", c.warnings[0]);
    std::fs::set_permissions(&paths.config_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(config::load(&paths).unwrap().warnings.is_empty());
}

#[test]
fn bad_url_error_does_not_echo_the_token() {
    let shown = expect_error(
        "[[calendar]]\nurl = \"gopher://h/private-0123456789abcdef0123/basic.ics?key=QSECRET\"\n",
        2,
        "calendar.url",
        "unsupported scheme",
    );
    assert!(
        !shown.contains("QSECRET") && !shown.contains("private-0123"),
        "{shown}"
    );
}

#[test]
fn for_sources_builds_a_config_without_a_file() {
    let c = Config::for_sources(vec![
        "~/cal/work.ics".into(),
        "webcal://example.com/a.ics".into(),
        "https://example.com/b.ics".into(),
    ])
    .unwrap();
    let home = std::env::var("HOME").unwrap();
    assert_eq!(c.path, None);
    assert_eq!(c.calendars[0].name, "work");
    assert_eq!(
        c.calendars[0].location,
        FeedLocation::Path(PathBuf::from(format!("{home}/cal/work.ics")))
    );
    assert_eq!(c.calendars[1].name, "example.com");
    assert_eq!(
        c.calendars[1].location,
        FeedLocation::Url("https://example.com/a.ics".into())
    );
    assert_eq!(c.calendars[2].name, "example.com (2)");
    let err = Config::for_sources(vec!["ftp://example.com/x.ics?key=SECRETQ".into()]).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("unsupported scheme") && !shown.contains("SECRETQ"),
        "{shown}"
    );
}

#[test]
fn durations_parse_and_format() {
    let d = |s: &str| rapport::util::duration::parse_duration(s);
    assert_eq!(d("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(d("15m"), Ok(Duration::from_secs(900)));
    assert_eq!(d("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(d("1h 30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(d("2d"), Ok(Duration::from_secs(172_800)));
    assert_eq!(d("0s"), Ok(Duration::ZERO));
    for bad in ["", "15", "m", "1y", "-5m", "99999999999999999999s", "400d"] {
        assert!(d(bad).is_err(), "{bad} should be refused");
    }
    assert_eq!(
        rapport::util::duration::format_duration(Duration::from_secs(5400)),
        "1h30m"
    );
    assert_eq!(
        rapport::util::duration::format_duration(Duration::from_secs(90)),
        "1m30s"
    );
    assert_eq!(
        rapport::util::duration::format_duration(Duration::ZERO),
        "0s"
    );
}

#[test]
fn debug_and_display_of_a_config_hide_the_calendar_token() {
    let token = "private-0123456789abcdef0123456789abcdef";
    let c = parse(&format!(
        "[[calendar]]\nurl = \"https://calendar.google.com/calendar/ical/x/{token}/basic.ics?k=QSECRET\"\n"
    ))
    .unwrap();
    let shown = format!("{c:?} {}", c.calendars[0].location);
    assert!(
        !shown.contains(token) && !shown.contains("QSECRET"),
        "{shown}"
    );
    assert!(shown.contains("calendar.google.com"), "{shown}");
}

#[test]
fn password_over_plain_http_warns() {
    let c = parse(
        "[me]\nemails = [\"a@b.c\"]\n[[calendar]]\nurl = \"http://intranet/cal.ics\"\n\
         username = \"ada\"\npassword_command = \"pass cal\"\n",
    )
    .unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("plain http"), "{}", c.warnings[0]);
}

#[test]
fn between_meetings_keys_are_read() {
    let c = parse(
        r##"
[people]
history = "6m"
large_meeting = 8

[people.cadence]
"#team" = "2w"
client = "1 month"

[digest]
enabled = false
at = "07:45"
days = ["Mon", "wednesday", "fri"]
until = "10:00"
ahead = "1w"
"##,
    )
    .unwrap();
    assert_eq!(c.people.contact.history, Period::Months(6));
    assert_eq!(c.people.contact.large_meeting, 8);
    assert_eq!(
        c.people.cadence.by_tag,
        [
            ("team".to_string(), Period::Weeks(2)),
            ("client".to_string(), Period::Months(1))
        ]
    );
    let d = &c.digest;
    assert!(!d.enabled);
    assert_eq!(d.at.to_string(), "07:45:00");
    assert_eq!(d.until.to_string(), "10:00:00");
    assert_eq!(d.ahead, Period::Weeks(1));
    use chrono::Weekday::*;
    assert_eq!(d.days, chrono::WeekdaySet::from_array([Mon, Wed, Fri]));
    let daily = parse("[digest]\ndays = \"daily\"\n").unwrap();
    assert_eq!(daily.digest.days, chrono::WeekdaySet::ALL);
    let weekdays = parse("[digest]\ndays = [\"weekdays\"]\n").unwrap();
    assert_eq!(
        weekdays.digest.days,
        rapport::config::DigestSettings::default().days
    );
}

#[test]
fn between_meetings_keys_are_checked_with_file_line_and_key() {
    expect_error(
        "[people]\nhistory = \"1 fortnight\"\n",
        2,
        "people.history",
        "3w",
    );
    expect_error(
        "[people]\nhistory = 12\n",
        2,
        "people.history",
        "history = \"1y\"",
    );
    expect_error(
        "[people]\nlarge_meeting = 0\n",
        2,
        "people.large_meeting",
        "from 1",
    );
    expect_error(
        "[people]\nlarge_meeting = \"15\"\n",
        2,
        "people.large_meeting",
        "large_meeting = 15",
    );
    expect_error(
        "[people.cadence]\n\"#team\" = \"often\"\n",
        2,
        "people.cadence.\"#team\"",
        "10d (days)",
    );
    expect_error(
        "[people.cadence]\n\"#client\" = 2\n",
        2,
        "people.cadence.\"#client\"",
        "\"2w\"",
    );
    expect_error(
        "[people.cadence]\n\"two words\" = \"2w\"\n",
        2,
        "people.cadence.\"two words\"",
        "not a tag",
    );
    expect_error(
        "[people]\ncadence = \"2w\"\n",
        2,
        "people.cadence",
        "[people.cadence]",
    );
    expect_error("[digest]\nat = \"8.30\"\n", 2, "digest.at", "HH:MM");
    expect_error(
        "[digest]\nuntil = \"25:00\"\n",
        2,
        "digest.until",
        "until = \"12:00\"",
    );
    expect_error(
        "[digest]\nenabled = \"no\"\n",
        2,
        "digest.enabled",
        "true or false",
    );
    expect_error("[digest]\nahead = \"3 hours\"\n", 2, "digest.ahead", "3w");
    expect_error(
        "[digest]\ndays = [\"mon\", \"funday\"]\n",
        2,
        "digest.days",
        "`funday`",
    );
    expect_error("[digest]\ndays = 5\n", 2, "digest.days", "weekdays");
    expect_error(
        "[digest]\ntime = \"08:30\"\n",
        2,
        "digest.time",
        "known keys",
    );
}
