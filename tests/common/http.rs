//! A tiny scripted HTTP/1.1 server on 127.0.0.1 for feed tests: each path has
//! a list of replies served in order (the last one repeats), and every request
//! is recorded. Replies can be delayed, gzipped, trickled, cut off mid-body or
//! never sent at all. One thread per connection; `Connection: close` always.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A published calendar link with a token in the path (a query with
/// `QUERYSECRET42` is added by the tests): none of [`SECRETS`] may reach an
/// error, the log, the state or `rapport status`.
pub const SECRET_PATH: &str =
    "/calendar/ical/jane.doe%40example.com/private-0123456789abcdef0123456789abcdef/basic.ics";
pub const SECRETS: &[&str] = &[
    "jane.doe",
    "0123456789abcdef0123456789abcdef",
    "QUERYSECRET42",
];

/// One scripted response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body gzip-compressed with `Content-Encoding: gzip`.
    pub gzip: bool,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Accept the request and never answer (until the server stops).
    pub never_answer: bool,
    /// Send only this many body bytes, then close (Content-Length says more).
    pub close_after: Option<usize>,
    /// Pause between single body bytes.
    pub trickle: Option<Duration>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            gzip: false,
            delay: Duration::ZERO,
            never_answer: false,
            close_after: None,
            trickle: None,
        }
    }

    /// 200 with a text/calendar body.
    pub fn calendar(body: impl Into<Vec<u8>>) -> Reply {
        Reply::status(200)
            .header("Content-Type", "text/calendar; charset=utf-8")
            .body(body)
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn gzip(mut self) -> Reply {
        self.gzip = true;
        self
    }

    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }

    pub fn never_answer(mut self) -> Reply {
        self.never_answer = true;
        self
    }

    pub fn close_after(mut self, bytes: usize) -> Reply {
        self.close_after = Some(bytes);
        self
    }

    pub fn trickle(mut self, pause: Duration) -> Reply {
        self.trickle = Some(pause);
        self
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path with query.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Routes = Arc<Mutex<HashMap<String, Vec<Reply>>>>;

pub struct TestServer {
    addr: SocketAddr,
    routes: Routes,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let routes: Routes = Arc::default();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, q, s) = (routes.clone(), requests.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, q, s) = (r.clone(), q.clone(), s.clone());
                thread::spawn(move || serve(conn, &r, &q, &s));
            }
        });
        TestServer {
            addr,
            routes,
            requests,
            stop,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` + `target` (which starts with `/`).
    pub fn url(&self, target: &str) -> String {
        format!("http://{}{target}", self.addr)
    }

    /// Replies for `path` (matched without the query), served in order; the
    /// last one repeats. Unknown paths get 404.
    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), replies);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so its thread ends.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(mut conn: TcpStream, routes: &Routes, log: &Mutex<Vec<Request>>, stop: &AtomicBool) {
    let Some(request) = read_head(&mut conn) else {
        return;
    };
    let path = request.target.split('?').next().unwrap_or("").to_string();
    log.lock().unwrap().push(request);
    let reply = {
        let mut routes = routes.lock().unwrap();
        match routes.get_mut(&path) {
            Some(list) if list.len() > 1 => list.remove(0),
            Some(list) if list.len() == 1 => list[0].clone(),
            _ => Reply::status(404).body("not here"),
        }
    };
    if reply.never_answer {
        // Hold the connection open, reading nothing, until the client gives up
        // or the server stops.
        let _ = conn.set_read_timeout(Some(Duration::from_millis(50)));
        let mut buf = [0u8; 64];
        while !stop.load(Ordering::SeqCst) {
            match conn.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return,
            }
        }
        return;
    }
    thread::sleep(reply.delay);
    let body = if reply.gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&reply.body).unwrap();
        enc.finish().unwrap()
    } else {
        reply.body.clone()
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    let has = |name: &str| {
        reply
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has("Content-Length") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    if reply.gzip {
        head.push_str("Content-Encoding: gzip\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    if conn.write_all(head.as_bytes()).is_err() {
        return;
    }
    let send = match reply.close_after {
        Some(n) => &body[..n.min(body.len())],
        None => &body[..],
    };
    match reply.trickle {
        Some(pause) => {
            for b in send {
                if stop.load(Ordering::SeqCst) || conn.write_all(&[*b]).is_err() {
                    return;
                }
                let _ = conn.flush();
                thread::sleep(pause);
            }
        }
        None => {
            let _ = conn.write_all(send);
        }
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Both);
}

fn read_head(conn: &mut TcpStream) -> Option<Request> {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if buf.len() > 64 * 1024 {
            return None;
        }
        match conn.read(&mut byte) {
            // Not HTTP (e.g. a TLS ClientHello): answer as a plain HTTP server
            // does, which a TLS client must reject.
            Ok(1) if buf.is_empty() && !byte[0].is_ascii_uppercase() => {
                let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
                let mut rest = [0u8; 4096];
                let _ = conn.read(&mut rest);
                let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
                let _ = conn.flush();
                return None;
            }
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request {
        method,
        target,
        headers,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// Standard base64 (for checking Basic auth headers).
pub fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
