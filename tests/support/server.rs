//! A real `guichet serve` for the tests that talk to it from the outside (`server.rs`,
//! `hardening.rs`, `requests.rs`, `multi_instance.rs`), and the plain HTTP/1.1 client they
//! talk to it with: one request a `TcpStream`, written by hand, so that malformed and oversized
//! requests can be sent as they are.
//!
//! Each test crate builds its own `guichet serve` command (rules, database, environment) with
//! [`command`] and starts it with [`Server::spawn`], which keeps the server's log and waits for
//! the address it listens on; it adds the requests of its own (admin token, SMS form) as methods
//! of [`Server`] in its own file.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What the server logs once it listens, before its address.
const LISTENING: &str = "écoute sur http://";

/// A `guichet serve` command: the binary under test with `serve`, no `GUICHET_*` variable of
/// the environment the tests run in, and an ephemeral port on 127.0.0.1. The caller adds the
/// rules, the database and the rest.
pub fn command() -> Command {
    command_under(&[])
}

/// [`command`] run by another program and its arguments (`prlimit --nofile=…`).
pub fn command_under(prefix: &[&str]) -> Command {
    let binary = env!("CARGO_BIN_EXE_guichet");
    let mut command = match prefix.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(binary);
            c
        }
        None => Command::new(binary),
    };
    command.arg("serve").args(["--addr", "127.0.0.1:0"]);
    for (name, _) in std::env::vars() {
        if name.starts_with("GUICHET_") {
            command.env_remove(name);
        }
    }
    command
}

/// A fresh folder for one test of `suite`: `guichet-SUITE-tests/NAME-PID` in the temporary
/// folder, emptied if an earlier run left it.
pub fn scratch(suite: &str, name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir()
        .join(format!("guichet-{suite}-tests"))
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A running `guichet serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `command` (from [`command`]), keeps every line it logs, and waits (60 s at most)
    /// for the address it listens on.
    pub fn spawn(mut command: Command) -> Result<Server> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                let addr = line.find(LISTENING).map(|at| {
                    line[at + LISTENING.len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string()
                });
                // Kept before the address is told: what was logged until then is in `log()`.
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line);
                }
                if let Some(addr) = addr {
                    let _ = tx.send(addr);
                }
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the server did not start: {:?}", log.lock()).into());
        };
        Ok(Server { child, addr, log })
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// Waits (20 s at most) until the server logged a line containing `needle`: a line logged
    /// while a request is answered may reach the log after the response.
    pub fn wait_for_log(&self, needle: &str) -> Result {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if self.log().contains(needle) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("« {needle} » never logged; log:\n{}", self.log()).into())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`.
    pub fn kill(mut self) -> Result {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// One request on a connection of its own (`Connection: close`), the response read to the
    /// end. A server may answer (413) before reading a large body: a failed write is fine then.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response> {
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        Response::parse(&raw)
    }

    pub fn get(&self, path: &str) -> Result<Response> {
        self.request("GET", path, &[], b"")
    }

    /// `GET` with an `Authorization` header.
    pub fn get_as(&self, path: &str, authorization: &str) -> Result<Response> {
        self.request("GET", path, &[("Authorization", authorization)], b"")
    }

    /// `POST` of a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Response> {
        self.post_with(path, &[], body)
    }

    /// `POST` of a JSON body with an `Authorization` header.
    pub fn post_as(&self, path: &str, authorization: &str, body: &Value) -> Result<Response> {
        self.post_with(path, &[("Authorization", authorization)], body)
    }

    fn post_with(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> Result<Response> {
        let mut all = vec![("Content-Type", "application/json")];
        all.extend_from_slice(headers);
        self.request("POST", path, &all, body.to_string().as_bytes())
    }

    /// `POST` of a form (`application/x-www-form-urlencoded`), as an SMS gateway posts.
    pub fn post_form(&self, path: &str, headers: &[(&str, &str)], form: &str) -> Result<Response> {
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.request("POST", path, &all, form.as_bytes())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers (names in lower case) and body (de-chunked).
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn parse(raw: &[u8]) -> Result<Response> {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").ok_or("no header end")?;
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .ok_or("no status line")?
            .parse()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_string()
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Result<Value> {
        Ok(serde_json::from_str(&self.body)
            .map_err(|e| format!("not JSON ({e}): {}", self.body))?)
    }

    /// Asserts a JSON error: status, content type and code, and a message; the error object.
    pub fn error(&self, status: u16, code: &str) -> Result<Value> {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{:?}",
            self.headers
        );
        let json = self.json()?;
        assert_eq!(json["error"]["code"], code, "{}", self.body);
        assert!(json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        Ok(json)
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}
