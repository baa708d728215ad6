//! Reliability, point 6 (secrets): private calendar links and passwords never
//! appear in errors, warnings or log lines of the real binary, even at the
//! most verbose log level.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::http::{Reply, TestServer};

/// Secret parts of the URL shapes below; none may ever be printed.
const SECRETS: &[&str] = &[
    "jane.doe",
    "private-0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef",
    "4f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe",
    "MTIzNDU2Nzg5MDEyMzQ1Njc4OTBhYmNkZWZn",
    "QUERYSECRET42",
    "KEYSECRET77",
    "s3cret-pw",
    "PWSECRET99",
];

/// Google private address, Office 365 published calendar, iCloud published
/// (webcal) calendar, token and key in the query, credentials in the URL.
fn secret_paths() -> Vec<&'static str> {
    vec![
        "/calendar/ical/jane.doe%40gmail.com/private-0123456789abcdef0123456789abcdef/basic.ics",
        "/owa/calendar/4f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0@example.org/Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe/calendar.ics",
        "/published/2/MTIzNDU2Nzg5MDEyMzQ1Njc4OTBhYmNkZWZn",
        "/cal.ics?token=QUERYSECRET42&key=KEYSECRET77",
    ]
}

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what}: secret `{s}` leaked:\n{text}");
    }
}

fn run(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = crate::common::bin::run_in(dir, args, &[("RUST_LOG", "trace")]);
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn secret_links_never_appear_in_agenda_or_brief_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    // Every path answers 404 except one that answers 401 (login needed).
    for p in secret_paths() {
        let path = p.split('?').next().unwrap();
        server.route(path, vec![Reply::status(404).body("not here")]);
    }
    server.route("/login.ics", vec![Reply::status(401)]);
    let port = server.port();
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut urls = Vec::new();
    for p in secret_paths() {
        urls.push(format!("http://127.0.0.1:{port}{p}"));
        urls.push(format!("http://127.0.0.1:{refused}{p}"));
        // webcal:// is fetched with TLS: the plain server makes it a TLS error.
        urls.push(format!("webcal://127.0.0.1:{port}{p}"));
        // RFC 6761: never resolves.
        urls.push(format!("https://rapport-test.invalid{p}"));
    }
    urls.push(format!(
        "http://jane.doe:s3cret-pw@127.0.0.1:{port}/login.ics"
    ));
    for url in &urls {
        for args in [
            vec!["agenda", "--ics", url.as_str(), "-vv"],
            vec!["agenda", "--ics", url.as_str(), "--json"],
            vec!["brief", "--ics", url.as_str(), "-vv"],
        ] {
            let (ok, text) = run(dir.path(), &args);
            assert!(!ok, "{args:?} cannot succeed: {text}");
            assert!(
                text.contains("127.0.0.1") || text.contains("rapport-test.invalid"),
                "the error names the host: {text}"
            );
            assert_clean(&format!("{args:?}"), &text);
        }
    }
}

fn write_config(dir: &Path, url: &str, mode: u32) -> std::path::PathBuf {
    let config = dir.join("config.toml");
    fs::write(
        &config,
        format!(
            "[me]\nname = \"Ada\"\nemails = [\"ada@example.org\"]\n\n[[calendar]]\nname = \"Work\"\nurl = {url:?}\nusername = \"ada\"\npassword_command = [\"printf\", \"%s\\\\n\", \"PWSECRET99\"]\n\n[people]\ndir = {:?}\n",
            dir.join("notes").display().to_string()
        ),
    )
    .unwrap();
    fs::create_dir_all(dir.join("notes")).unwrap();
    fs::set_permissions(&config, fs::Permissions::from_mode(mode)).unwrap();
    config
}

#[test]
fn configured_links_and_password_command_output_never_appear() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    let path =
        "/calendar/ical/jane.doe%40gmail.com/private-0123456789abcdef0123456789abcdef/basic.ics";
    server.route(path, vec![Reply::status(401)]);
    let url = format!(
        "http://127.0.0.1:{}{path}?token=QUERYSECRET42",
        server.port()
    );
    let config = write_config(dir.path(), &url, 0o600);
    let c = config.to_str().unwrap();
    for args in [
        vec!["--config", c, "agenda", "-vv"],
        vec!["--config", c, "brief", "-vv"],
        vec!["--config", c, "people", "-vv"],
    ] {
        let (_, text) = run(dir.path(), &args);
        assert_clean(&format!("{args:?}"), &text);
    }
    // The password reached the server (so the command really ran) ...
    let auth = server
        .requests()
        .iter()
        .find_map(|r| r.header("Authorization").map(str::to_owned));
    assert!(auth.is_some(), "the password command ran and was used");
}

#[test]
fn check_shows_the_readable_config_warning_without_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    let path =
        "/calendar/ical/jane.doe%40gmail.com/private-0123456789abcdef0123456789abcdef/basic.ics";
    server.route(path, vec![Reply::status(404)]);
    let url = format!("http://127.0.0.1:{}{path}?key=KEYSECRET77", server.port());
    let config = write_config(dir.path(), &url, 0o644);
    let (ok, text) = run(dir.path(), &["--config", config.to_str().unwrap(), "check"]);
    assert!(!ok, "a 404 calendar is an error: {text}");
    assert!(text.contains("chmod 600"), "{text}");
    assert!(text.contains("404"), "{text}");
    assert_clean("check", &text);
    // Private again: no warning.
    fs::set_permissions(&config, fs::Permissions::from_mode(0o600)).unwrap();
    let (_, text) = run(dir.path(), &["--config", config.to_str().unwrap(), "check"]);
    assert!(!text.contains("chmod 600"), "{text}");
    assert_clean("check", &text);
}

#[test]
fn agenda_shows_the_readable_config_warning() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    let path =
        "/calendar/ical/jane.doe%40gmail.com/private-0123456789abcdef0123456789abcdef/basic.ics";
    server.route(path, vec![Reply::status(404)]);
    let url = format!("http://127.0.0.1:{}{path}", server.port());
    let config = write_config(dir.path(), &url, 0o644);
    let c = config.to_str().unwrap();
    let (_, text) = run(dir.path(), &["--config", c, "agenda"]);
    assert!(text.contains("chmod 600"), "{text}");
    assert_clean("agenda", &text);
}

#[test]
fn daemon_logs_and_status_never_show_the_link_or_password() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start();
    let path = "/owa/calendar/4f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0@example.org/Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe/calendar.ics";
    server.route(path, vec![Reply::status(503).header("Retry-After", "60")]);
    let url = format!(
        "http://127.0.0.1:{}{path}?token=QUERYSECRET42",
        server.port()
    );
    let config = write_config(dir.path(), &url, 0o644);
    let c = config.to_str().unwrap();
    let d = dir.path();
    let mut child = crate::common::bin::command_in(d, &["--config", c, "run", "-vv"])
        .env("XDG_RUNTIME_DIR", d.join("xdg-run"))
        // Every crate at trace level, reqwest and hyper included.
        .env("RUST_LOG", "trace")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    // Until the fetch failure is logged (or the daemon exits).
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(60)) {
        let done = line.contains("503");
        log.push(line);
        if done {
            break;
        }
    }
    let status = run(d, &["--config", c, "status"]);
    child.kill().unwrap();
    child.wait().unwrap();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(log.contains("503"), "the fetch failure is logged:\n{log}");
    assert!(
        log.contains("chmod 600"),
        "the readable config is warned about:\n{log}"
    );
    assert_clean("daemon log", &log);
    assert_clean("status", &status.1);
    assert!(
        !server.requests().is_empty() && server.requests()[0].header("Authorization").is_some(),
        "the password was used"
    );
}
