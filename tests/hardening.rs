//! The hardening of `guichet serve` (issue 17), from the outside: the real binary on 127.0.0.1,
//! a fresh SQLite file per test, plain HTTP/1.1 over `TcpStream`. Each test reproduces one
//! finding of the audit: SMS impersonation, unbounded transcripts, idle connections, bursts,
//! cross-site admin writes, text errors, a lying `/healthz`, world-readable files, and personal
//! data in clear in the database. Bounded in count and time (a few hundred connections at most).

mod support;

use hmac::{Hmac, Mac};
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::server::{self, Response, Result, Server};

const ADMIN: &str = "jeton-admin-durci";

impl Server {
    /// Starts the server on `db` with the admin token and `env`; `prefix` runs it under another
    /// program (`prlimit …`).
    fn start_with(db: &Path, env: &[(&str, &str)], prefix: &[&str]) -> Result<Server> {
        let rules = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"));
        Server::launch(db, rules, 3_600_000, env, prefix)
    }

    /// Starts the server on `rules`, checked for changes every `watch_ms`.
    fn launch(
        db: &Path,
        rules: &Path,
        watch_ms: u64,
        env: &[(&str, &str)],
        prefix: &[&str],
    ) -> Result<Server> {
        let mut command = server::command_under(prefix);
        command
            .arg(rules)
            .arg("--db")
            .arg(db)
            .args(["--watch-interval-ms", &watch_ms.to_string()])
            .env("GUICHET_ADMIN_TOKEN", ADMIN)
            .envs(env.iter().copied());
        Server::spawn(command)
    }

    fn start(db: &Path, env: &[(&str, &str)]) -> Result<Server> {
        Server::start_with(db, env, &[])
    }

    fn admin(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Result<Response> {
        let bearer = format!("Bearer {ADMIN}");
        let mut all = vec![("Authorization", bearer.as_str())];
        all.extend_from_slice(headers);
        self.request(method, path, &all, b"")
    }

    fn sms(&self, path: &str, headers: &[(&str, &str)], form: &str) -> Result<Response> {
        self.post_form(path, headers, form)
    }

    fn create(&self, topic: &str) -> Result<String> {
        let r = self.post("/api/sessions", &json!({ "topic": topic }))?;
        assert_eq!(r.status, 201, "{}", r.body);
        Ok(r.json()?["id"].as_str().unwrap_or_default().to_string())
    }
}

/// A fresh folder for one test.
fn scratch(name: &str) -> Result<PathBuf> {
    server::scratch("hardening", name)
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Twilio's signature, computed independently of the server: HMAC-SHA1 over the URL and the
/// sorted parameters, base64.
fn twilio_signature(secret: &str, url: &str, params: &[(&str, &str)]) -> Result<String> {
    use base64::Engine;
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes())?;
    mac.update(data.as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

fn messages(r: &Response) -> String {
    r.body
        .split("<Message>")
        .skip(1)
        .filter_map(|m| m.split("</Message>").next())
        .collect::<Vec<_>>()
        .join("\n")
}

// ------------------------------------------------------------------ SMS

#[test]
fn sms_is_disabled_without_a_secret_and_says_why_at_startup() -> Result {
    let dir = scratch("sms-off")?;
    let server = Server::start(&dir.join("g.db"), &[])?;
    let r = server.sms("/api/sms", &[], "From=%2B33600000001&Body=SUPPRIMER")?;
    r.error(403, "sms_disabled")?;
    assert!(
        server.log().contains("webhook SMS désactivé"),
        "{}",
        server.log()
    );
    Ok(())
}

#[test]
fn a_twilio_signature_is_required_and_checked() -> Result {
    let dir = scratch("sms-signature")?;
    let secret = "jeton-twilio";
    let server = Server::start(
        &dir.join("g.db"),
        &[
            ("GUICHET_TWILIO_AUTH_TOKEN", secret),
            ("GUICHET_PUBLIC_URL", "https://rh.example.fr/"),
        ],
    )?;
    let params = [
        ("From", "+33600000007"),
        ("Body", "Bonjour"),
        ("MessageSid", "SM123"),
    ];
    let form = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let good = twilio_signature(secret, "https://rh.example.fr/api/sms", &params)?;
    let r = server.sms("/api/sms", &[("X-Twilio-Signature", &good)], &form)?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(messages(&r).contains("assistant RH"), "{}", r.body);

    // Another number with the same signature, a signature for another URL, none at all.
    let forged = form.replace("600000007", "600000008");
    server
        .sms("/api/sms", &[("X-Twilio-Signature", &good)], &forged)?
        .error(401, "unauthorized")?;
    let elsewhere = twilio_signature(secret, "https://autre.example.fr/api/sms", &params)?;
    server
        .sms("/api/sms", &[("X-Twilio-Signature", &elsewhere)], &form)?
        .error(401, "unauthorized")?;
    server
        .sms("/api/sms", &[], &form)?
        .error(401, "unauthorized")?;
    Ok(())
}

#[test]
fn simultaneous_sms_of_one_number_are_one_conversation_and_always_twiml() -> Result {
    let dir = scratch("sms-serial")?;
    let server = Arc::new(Server::start(
        &dir.join("g.db"),
        &[("GUICHET_SMS_TOKEN", "s3cret")],
    )?);
    let threads: Vec<_> = (0..20)
        .map(|_| {
            let server = server.clone();
            std::thread::spawn(move || {
                server
                    .sms("/api/sms?token=s3cret", &[], "From=%2B33600000009&Body=1")
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for thread in threads {
        let r = thread.join().map_err(|_| "thread panicked")??;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with("text/xml")),
            "{:?} {}",
            r.headers,
            r.body
        );
        assert!(!messages(&r).is_empty(), "{}", r.body);
    }
    // The same 20 messages sent one after the other by another number: as many conversations.
    for _ in 0..20 {
        server.sms("/api/sms?token=s3cret", &[], "From=%2B33600000010&Body=1")?;
    }
    let count = |phone: &str| -> Result<Option<usize>> {
        let export = server
            .admin(
                "GET",
                &format!("/api/admin/conversations?phone={phone}"),
                &[],
            )?
            .json()?;
        Ok(export["conversations"].as_array().map(Vec::len))
    };
    let sequential = count("%2B33600000010")?;
    assert!(sequential.is_some_and(|n| n < 20), "{sequential:?}");
    assert_eq!(
        count("%2B33600000009")?,
        sequential,
        "simultaneous messages of a number are handled one after the other"
    );
    // A repeated token is refused as JSON, not as text.
    server
        .sms("/api/sms?token=s3cret&token=s3cret", &[], "From=1&Body=1")?
        .error(401, "unauthorized")?;
    Ok(())
}

// ------------------------------------------------------------------ bounded memory

#[test]
fn a_conversation_has_a_bounded_number_of_turns_and_a_paged_transcript() -> Result {
    let dir = scratch("turns")?;
    let server = Server::start(
        &dir.join("g.db"),
        &[
            ("GUICHET_MAX_REPLIES", "6"),
            ("GUICHET_TRANSCRIPT_PAGE", "4"),
        ],
    )?;
    let id = server.create("rtt")?;
    let reply = |text: &str| {
        server.post(
            &format!("/api/sessions/{id}/replies"),
            &json!({ "text": text }),
        )
    };
    for _ in 0..6 {
        assert_eq!(reply("aide")?.status, 200);
    }
    let refused = reply("aide")?.error(409, "too_many_turns")?;
    assert_eq!(
        refused["step"]["type"], "ask",
        "the current step comes with it"
    );
    reply("pourquoi")?.error(409, "too_many_turns")?;

    let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
    assert_eq!(shown["transcript_total"], 13, "1 + 6 × 2 lines: {shown}");
    assert_eq!(shown["transcript"].as_array().map(Vec::len), Some(4));
    assert_eq!(shown["transcript_from"], 9, "the last lines by default");
    let first = server.get(&format!("/api/sessions/{id}?from=0"))?.json()?;
    assert_eq!(first["transcript_from"], 0);
    assert_eq!(first["transcript"][0]["who"], "guichet");
    assert_eq!(first["transcript"].as_array().map(Vec::len), Some(4));
    Ok(())
}

// ------------------------------------------------------------------ connections

#[test]
fn idle_connections_neither_starve_health_nor_stay_open() -> Result {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("skipped: prlimit (util-linux) is missing");
        return Ok(());
    }
    let dir = scratch("idle")?;
    // A soft limit of 256 open files, as with a small systemd default; 300 idle connections.
    let server = Server::start_with(
        &dir.join("g.db"),
        &[("GUICHET_HEADER_TIMEOUT_S", "3")],
        &["prlimit", "--nofile=256:4096", "--"],
    )?;
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(&server.addr))
        .collect::<std::io::Result<_>>()?;
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let mut stream = TcpStream::connect(&server.addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let r = Response::parse(&raw)?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );

    // After the header timeout, the idle connections are closed by the server.
    std::thread::sleep(Duration::from_secs(4));
    let mut closed = 0;
    for mut stream in idle.into_iter().take(20) {
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut buf = [0u8; 256];
        match stream.read(&mut buf) {
            Ok(_) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            Err(_) => {}
        }
    }
    assert_eq!(closed, 20, "idle connections closed after the timeout");
    Ok(())
}

#[test]
fn open_connections_are_capped() -> Result {
    let dir = scratch("cap")?;
    let server = Server::start(&dir.join("g.db"), &[("GUICHET_MAX_CONNECTIONS", "3")])?;
    let health = |timeout: u64| -> Result<Option<Response>> {
        let mut stream = TcpStream::connect(&server.addr)?;
        stream.set_read_timeout(Some(Duration::from_millis(timeout)))?;
        write!(
            stream,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )?;
        let mut raw = Vec::new();
        match stream.read_to_end(&mut raw) {
            Ok(_) => Ok(Some(Response::parse(&raw)?)),
            Err(_) => Ok(None),
        }
    };
    let mut idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(&server.addr))
        .collect::<std::io::Result<_>>()?;
    std::thread::sleep(Duration::from_millis(300));
    assert!(health(700)?.is_none(), "a fourth connection waits");
    idle.truncate(2);
    let r = health(5000)?.ok_or("no answer once a connection closed")?;
    assert_eq!(r.status, 200);
    assert!(
        server.log().contains("connexions simultanées : 3 au plus"),
        "{}",
        server.log()
    );
    Ok(())
}

#[test]
fn a_body_that_never_comes_is_timed_out() -> Result {
    let dir = scratch("slow-body")?;
    let server = Server::start(&dir.join("g.db"), &[("GUICHET_REQUEST_TIMEOUT_S", "1")])?;
    let mut stream = TcpStream::connect(&server.addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let start = Instant::now();
    write!(
        stream,
        "POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"topic\""
    )?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let r = Response::parse(&raw)?;
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    r.error(408, "timeout")?;
    Ok(())
}

#[test]
fn a_missing_rules_folder_is_logged_once() -> Result {
    let dir = scratch("watch")?;
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules)?;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "guichet") {
            std::fs::copy(&path, rules.join(path.file_name().ok_or("no name")?))?;
        }
    }
    let server = Server::launch(&dir.join("g.db"), &rules, 100, &[], &[])?;
    // Gone at once (a rename is atomic): deleting file by file could let the watcher see
    // a half-deleted folder first, a refusal of its own.
    std::fs::rename(&rules, dir.join("gone"))?;
    std::fs::remove_dir_all(dir.join("gone"))?;
    server.wait_for_log("règles refusées")?;
    // Ten more looks at the missing folder: none is logged again.
    std::thread::sleep(Duration::from_millis(1000));
    let refused = server.log().matches("règles refusées").count();
    assert_eq!(refused, 1, "{}", server.log());
    assert_eq!(
        server.get("/healthz")?.status,
        200,
        "the old rules keep serving"
    );
    Ok(())
}

// ------------------------------------------------------------------ rates

#[test]
fn bursts_get_429_with_retry_after_per_client_address() -> Result {
    let dir = scratch("rates")?;
    let server = Server::start(
        &dir.join("g.db"),
        &[("GUICHET_RATE_CREATE", "3"), ("GUICHET_RATE_ADMIN", "2")],
    )?;
    for _ in 0..3 {
        server.create("rtt")?;
    }
    let r = server.post("/api/sessions", &json!({ "topic": "rtt" }))?;
    r.error(429, "rate_limited")?;
    let wait: u64 = r.header("retry-after").ok_or("no Retry-After")?.parse()?;
    assert!((1..=60).contains(&wait), "{wait}");
    // Behind the (trusted, loopback) proxy, another client has its own quota.
    let other = server.request(
        "POST",
        "/api/sessions",
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", "203.0.113.9"),
        ],
        br#"{"topic": "rtt"}"#,
    )?;
    assert_eq!(other.status, 201, "{}", other.body);

    // Wrong admin tokens: a few 401, then 429.
    let wrong = |_| {
        server.request(
            "GET",
            "/api/stats",
            &[("Authorization", "Bearer faux")],
            b"",
        )
    };
    assert_eq!(wrong(0)?.status, 401);
    assert_eq!(wrong(1)?.status, 401);
    wrong(2)?.error(429, "rate_limited")?;
    Ok(())
}

// ------------------------------------------------------------------ admin, errors

#[test]
fn cross_site_admin_writes_are_refused_and_admin_pages_not_cached() -> Result {
    let dir = scratch("cross-site")?;
    let server = Server::start(&dir.join("g.db"), &[])?;
    server
        .admin(
            "POST",
            "/api/admin/purge",
            &[("Sec-Fetch-Site", "same-site")],
        )?
        .error(403, "cross_site")?;
    server
        .admin(
            "POST",
            "/api/admin/purge",
            &[("Origin", "https://ailleurs.example")],
        )?
        .error(403, "cross_site")?;
    server
        .admin(
            "DELETE",
            "/api/admin/conversations?phone=1",
            &[("Sec-Fetch-Site", "cross-site")],
        )?
        .error(403, "cross_site")?;
    let origin = format!("http://{}", server.addr);
    let own = server.admin(
        "POST",
        "/api/admin/purge",
        &[("Sec-Fetch-Site", "same-origin"), ("Origin", &origin)],
    )?;
    assert_eq!(own.status, 200, "{}", own.body);
    let page = server.admin("GET", "/admin", &[])?;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(
        server
            .admin("GET", "/api/stats", &[])?
            .header("cache-control"),
        Some("no-store")
    );
    Ok(())
}

#[test]
fn every_rejection_is_a_json_error() -> Result {
    let dir = scratch("json-errors")?;
    let server = Server::start(&dir.join("g.db"), &[])?;
    server
        .admin("GET", "/api/stats?days=abc", &[])?
        .error(400, "bad_request")?;
    server
        .admin("GET", "/api/stats?days=1&days=2", &[])?
        .error(400, "bad_request")?;
    let r = server.get("/api/sessions/%FF")?;
    assert!(r.status == 400 || r.status == 404, "{}", r.body);
    r.error(
        r.status,
        if r.status == 400 {
            "bad_request"
        } else {
            "unknown_session"
        },
    )?;
    server
        .get("/api/sessions/0123456789abcdef0123456789abcdef?from=x")?
        .error(400, "bad_request")?;
    server
        .request(
            "POST",
            "/api/sessions",
            &[("Content-Type", "text/plain")],
            br#"{"topic": "rtt"}"#,
        )?
        .error(415, "unsupported_media_type")?;
    server
        .request("POST", "/api/sessions", &[], br#"{"topic": "rtt"}"#)?
        .error(415, "unsupported_media_type")?;
    Ok(())
}

// ------------------------------------------------------------------ health, files

#[test]
fn healthz_is_not_ok_on_a_full_disk() -> Result {
    let dir = scratch("full-disk")?;
    let mount = dir.join("tmpfs");
    std::fs::create_dir_all(&mount)?;
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mount)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
        return Ok(());
    }
    let result = (|| -> Result {
        let server = Server::start(&mount.join("g.db"), &[])?;
        let health = server.get("/healthz")?;
        assert_eq!(health.status, 200, "{}", health.body);
        assert_eq!(health.json()?["status"], "ok");
        assert_eq!(server.get("/readyz")?.status, 200);
        // Fill the disk.
        let mut filler = std::fs::File::create(mount.join("filler"))?;
        let block = vec![0u8; 64 * 1024];
        while filler.write_all(&block).is_ok() {}
        drop(filler);
        std::thread::sleep(Duration::from_millis(1100));
        let health = server.get("/healthz")?;
        assert_eq!(health.status, 503, "{}", health.body);
        let json = health.json()?;
        assert_eq!(json["status"], "degraded");
        assert_eq!(json["failing"], json!(["disk"]));
        assert_eq!(server.get("/readyz")?.status, 503);
        std::fs::remove_file(mount.join("filler"))?;
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(server.get("/healthz")?.status, 200);
        Ok(())
    })();
    let _ = Command::new("umount").arg(&mount).status();
    result
}

#[cfg(unix)]
#[test]
fn the_database_and_its_journals_are_private() -> Result {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("modes")?;
    let db = dir.join("g.db");
    let server = Server::start(&db, &[])?;
    server.create("rtt")?;
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}: {mode:o}", path.display());
    }
    drop(server);
    Ok(())
}

// ------------------------------------------------------------------ encryption at rest

const KEY_1: &str = "8f1c2a9b7e3d4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c";
const KEY_2: &str = "3c2b1a0908f7e6d5c4b3a2918070f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9";

#[test]
fn personal_data_is_unreadable_in_the_file_and_readable_by_the_server() -> Result {
    let dir = scratch("encrypted")?;
    let db = dir.join("g.db");
    let question = "zanzibar quetzal xylophone";
    let (id, stats_before) = {
        let server = Server::start(&db, &[("GUICHET_DATA_KEY", KEY_1)])?;
        assert!(server.log().contains("chiffrées"), "{}", server.log());
        let id = server.create("rtt")?;
        let r = server.post(
            &format!("/api/sessions/{id}/replies"),
            &json!({ "text": "texte-personnel-unique" }),
        )?;
        assert!(r.status == 200 || r.status == 422, "{}", r.body);
        server.post(
            &format!("/api/sessions/{id}/replies"),
            &json!({ "text": "1" }),
        )?;
        let routed = server.post("/api/sessions", &json!({ "question": question }))?;
        assert_eq!(routed.status, 200, "{}", routed.body);
        let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
        assert!(shown.to_string().contains("\"text\":\"1\""), "{shown}");
        let stats = server.admin("GET", "/api/stats", &[])?.json()?;
        (id, stats["unmatched"].clone())
    };
    assert_eq!(stats_before[0]["question"], question, "{stats_before}");

    // Read with SQLite directly: nothing an agent said, in any column.
    let connection = rusqlite::Connection::open(&db)?;
    let mut dump = String::new();
    for sql in [
        "SELECT session FROM conversations",
        "SELECT content FROM turns",
        "SELECT question || ' ' || folded FROM unmatched_questions",
    ] {
        let mut query = connection.prepare(sql)?;
        let rows = query.query_map([], |r| r.get::<_, String>(0))?;
        for row in rows {
            let row = row?;
            assert!(
                row.starts_with("gch1:") || row.contains("gch1:"),
                "in clear: {row}"
            );
            dump.push_str(&row);
        }
    }
    drop(connection);
    for clear in ["zanzibar", "texte-personnel", "prompt", "statut"] {
        assert!(!dump.contains(clear), "{clear} readable in the file");
    }

    // Rotation: a new key, the old one kept to open what it sealed.
    let server = Server::start(
        &db,
        &[
            ("GUICHET_DATA_KEY", KEY_2),
            ("GUICHET_DATA_KEYS_OLD", KEY_1),
        ],
    )?;
    let shown = server.get(&format!("/api/sessions/{id}"))?;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("\"text\":\"1\""), "{}", shown.body);
    drop(server);
    // Without the key that sealed it, the server refuses rather than guesses.
    let server = Server::start(&db, &[("GUICHET_DATA_KEY", KEY_2)])?;
    assert_eq!(server.get(&format!("/api/sessions/{id}"))?.status, 500);
    Ok(())
}

// ------------------------------------------------------------------ messages

/// Every refusal added by the hardening, as a person or a program reads it (seconds redacted).
#[test]
fn hardening_refusals_are_clear() -> Result {
    let dir = scratch("messages")?;
    let server = Server::start(
        &dir.join("g.db"),
        &[
            ("GUICHET_MAX_REPLIES", "1"),
            ("GUICHET_MAX_CONVERSATIONS", "1"),
            ("GUICHET_RATE_REPLY", "2"),
        ],
    )?;
    let mut seen = Vec::new();
    let mut note = |r: Response, status: u16, code: &str| -> Result {
        let json = r.error(status, code)?;
        let message = json["error"]["message"].as_str().unwrap_or_default();
        let mut redacted = String::new();
        for c in message.chars() {
            if !c.is_ascii_digit() {
                redacted.push(c);
            } else if !redacted.ends_with('N') {
                redacted.push('N');
            }
        }
        let message = redacted;
        seen.push(format!("{status} {code}: {message}"));
        Ok(())
    };
    let id = server.create("rtt")?;
    let store_full = server.post("/api/sessions", &json!({ "topic": "rtt" }))?;
    // Logged while the refusal is answered: it may reach the log after the response.
    server.wait_for_log("ALERTE administration")?;
    note(store_full, 503, "store_full")?;
    let reply = |text: &str| {
        server.post(
            &format!("/api/sessions/{id}/replies"),
            &json!({ "text": text }),
        )
    };
    assert_eq!(reply("aide")?.status, 200);
    note(reply("aide")?, 409, "too_many_turns")?;
    note(reply("aide")?, 429, "rate_limited")?;
    note(
        server.sms("/api/sms", &[], "From=1&Body=1")?,
        403,
        "sms_disabled",
    )?;
    note(
        server.admin(
            "POST",
            "/api/admin/purge",
            &[("Sec-Fetch-Site", "cross-site")],
        )?,
        403,
        "cross_site",
    )?;
    note(
        server.request(
            "POST",
            "/api/sessions",
            &[("Content-Type", "text/plain")],
            b"{}",
        )?,
        415,
        "unsupported_media_type",
    )?;
    note(
        server.admin("GET", "/api/stats?days=abc", &[])?,
        400,
        "bad_request",
    )?;
    insta::assert_snapshot!(seen.join("\n"));
    Ok(())
}
