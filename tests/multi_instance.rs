//! Two `guichet serve` processes on one PostgreSQL database (a schema of its own on
//! `GUICHET_TEST_POSTGRES`; required in CI): conversations alternate their requests between
//! the two instances, one instance is killed with `kill -9` under load and restarted, and
//! afterwards every reply that got a 2xx is in the store, in order, once, and every
//! conversation ends at the right answer. Two replies racing on one conversation from the two
//! instances: one wins, the other is refused (409 `conflict`) or re-asked, never both applied.
//! A reload on one instance is served by the other.

mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use support::postgres::{self, Scratch};
use support::server::{self, Result, Server};

impl Server {
    fn start(rules: &Path, db: &str) -> Result<Server> {
        let mut command = server::command();
        command
            .arg(rules)
            .args(["--db", db])
            .args(["--watch-interval-ms", "200"]);
        Server::spawn(command)
    }
}

/// One HTTP/1.1 request; `Err` when no complete response came (refused, reset, killed).
fn request(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
    exchange(TcpStream::connect(addr)?, addr, method, path, body)
}

fn exchange(
    mut stream: TcpStream,
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value)> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw)?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no complete response")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .ok_or("no status line")?
        .parse()?;
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body)?
    };
    Ok((status, json))
}

/// The two instances' addresses as a load balancer knows them (one changes at the restart).
type Instances = Arc<RwLock<Vec<String>>>;

/// Sends to instance `turn % 2`, or to the other when that one refuses the connection (as a
/// proxy does: a request that reached an instance is never sent again blindly).
fn balanced(
    instances: &Instances,
    turn: usize,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value)> {
    let addrs = instances.read().map_err(|_| "poisoned")?.clone();
    let first = &addrs[turn % addrs.len()];
    match TcpStream::connect(first) {
        Ok(stream) => exchange(stream, first, method, path, body),
        Err(_) => request(&addrs[(turn + 1) % addrs.len()], method, path, body),
    }
}

/// The replies of one conversation of `conges_annuels`: each is a durable update (`retour`
/// too), and the walk ends on the answer for 4 days a week: 20 days.
const SCRIPT: [&str; 6] = [
    "titulaire",
    "retour",
    "contractuel",
    "retour",
    "stagiaire",
    "4",
];

/// The agent's replies the store holds for a conversation, in order.
fn stored_replies(scratch: &Scratch, id: &str) -> Result<Vec<String>> {
    let rows = scratch.query(&format!(
        "SELECT content FROM turns WHERE conversation = '{id}' AND who = 'agent' ORDER BY seq"
    ))?;
    rows.into_iter()
        .map(|row| {
            let content = row.into_iter().next().flatten().ok_or("no content")?;
            let value: Value = serde_json::from_str(&content)?;
            Ok(value.as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// Talks one conversation through, alternating instances; a request that got no response
/// (its instance was killed) is resolved by reading the conversation back before going on.
/// Returns the conversation id and the replies acknowledged with a 2xx.
fn converse(instances: &Instances, scratch: &Scratch, n: usize) -> Result<(String, Vec<String>)> {
    let start = Instant::now();
    let mut turn = n;
    let id = loop {
        let created = balanced(
            instances,
            turn,
            "POST",
            "/api/sessions",
            Some(&json!({ "topic": "conges_annuels" })),
        );
        turn += 1;
        if let Ok((201, body)) = created {
            break body["id"].as_str().ok_or("no id")?.to_string();
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err("could not create a conversation".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut acknowledged = Vec::new();
    loop {
        // Where the conversation stands is what the store holds.
        let done = stored_replies(scratch, &id)?.len();
        if done == SCRIPT.len() {
            return Ok((id, acknowledged));
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err(format!("conversation stuck after {done} replies").into());
        }
        let text = SCRIPT[done];
        let answer = balanced(
            instances,
            turn,
            "POST",
            &format!("/api/sessions/{id}/replies"),
            Some(&json!({ "text": text })),
        );
        turn += 1;
        match answer {
            Ok((200, body)) => {
                acknowledged.push(text.to_string());
                let expected = if done + 1 == SCRIPT.len() {
                    "answer"
                } else {
                    "ask"
                };
                if body["step"]["type"] != expected {
                    return Err(format!("after {text:?}: {body}").into());
                }
            }
            // Raced by the same reply committed by the killed instance just before it died
            // (its commit reached the database, its response never left): read it back.
            Ok((409, body)) if body["error"]["code"] == "conflict" => {}
            // The database unreachable for a moment: read it back.
            Ok((status, body)) if status >= 500 => {
                if status != 503 {
                    return Err(format!("{status}: {body}").into());
                }
            }
            Ok((status, body)) => return Err(format!("{status}: {body}").into()),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Every agent reply stored so far.
fn agent_turns(scratch: &Scratch) -> Result<usize> {
    let rows = scratch.query("SELECT COUNT(*) FROM turns WHERE who = 'agent'")?;
    let count = rows.first().and_then(|r| r.first()).cloned().flatten();
    Ok(count.ok_or("no count")?.parse()?)
}

fn copy_rules(dir: &Path) -> Result<PathBuf> {
    let source = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"));
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(source)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "guichet") {
            std::fs::copy(&path, dir.join(path.file_name().ok_or("no name")?))?;
        }
    }
    Ok(dir.to_path_buf())
}

fn version(addr: &str) -> Result<String> {
    let (_, body) = request(addr, "GET", "/healthz", None)?;
    Ok(body["rules"].as_str().unwrap_or_default().to_string())
}

#[test]
fn two_instances_share_conversations_survive_kill_9_and_follow_reloads() -> Result {
    let Some(url) = postgres::url().map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let scratch = Scratch::new(&url).map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("guichet-multi-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let rules_a = copy_rules(&dir.join("a"))?;
    let rules_b = copy_rules(&dir.join("b"))?;
    let a = Server::start(&rules_a, &scratch.url)?;
    let b = Server::start(&rules_b, &scratch.url)?;
    let instances: Instances = Arc::new(RwLock::new(vec![a.addr.clone(), b.addr.clone()]));

    // Load: 8 clients, 3 conversations each, every request to the other instance than the
    // previous one; instance A is killed with kill -9 in the middle and restarted.
    let scratch = Arc::new(scratch);
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let instances = instances.clone();
            let scratch = scratch.clone();
            std::thread::spawn(move || -> Result<Vec<(String, Vec<String>)>> {
                (0..3)
                    .map(|k| converse(&instances, &scratch, c * 3 + k))
                    .collect()
            })
        })
        .collect();
    // Under load: A is killed once a fifth of the replies are stored, many still to come.
    let start = Instant::now();
    let mut before_kill = 0;
    while before_kill < 24 * SCRIPT.len() / 5 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
        before_kill = agent_turns(&scratch)?;
    }
    assert!(
        before_kill > 0 && before_kill < 24 * SCRIPT.len(),
        "{before_kill} replies stored when A is killed"
    );
    a.kill()?;
    let a = Server::start(&rules_a, &scratch.url)?;
    instances.write().map_err(|_| "poisoned")?[0] = a.addr.clone();
    let mut conversations = Vec::new();
    for client in clients {
        conversations.extend(client.join().map_err(|_| "client panicked")??);
    }
    assert_eq!(conversations.len(), 24);
    for (id, acknowledged) in &conversations {
        // Every acknowledged reply is stored, once, in order: the script exactly.
        assert_eq!(stored_replies(&scratch, id)?, SCRIPT, "{id}");
        assert!(acknowledged.iter().all(|r| SCRIPT.contains(&r.as_str())));
        // And the conversation resumes where it is, on either instance: at its answer.
        for addr in [&a.addr, &b.addr] {
            let (status, body) = request(addr, "GET", &format!("/api/sessions/{id}"), None)?;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["step"]["type"], "answer", "{body}");
            assert!(
                body["step"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("20 jours"),
                "{body}"
            );
        }
    }

    // Races: the same reply sent at once to both instances, on 10 conversations.
    let mut conflicts = 0;
    for _ in 0..10 {
        let (status, body) = request(
            &a.addr,
            "POST",
            "/api/sessions",
            Some(&json!({ "topic": "conges_annuels" })),
        )?;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().ok_or("no id")?.to_string();
        let path = format!("/api/sessions/{id}/replies");
        let racers: Vec<_> = [a.addr.clone(), b.addr.clone()]
            .into_iter()
            .map(|addr| {
                let path = path.clone();
                std::thread::spawn(move || {
                    request(&addr, "POST", &path, Some(&json!({ "text": "titulaire" })))
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for racer in racers {
            let (status, body) = racer.join().map_err(|_| "racer panicked")??;
            if status == 409 {
                assert_eq!(body["error"]["code"], "conflict", "{body}");
                conflicts += 1;
            }
            statuses.push(status);
        }
        // One applied: the other lost the race (409) or came after it (« titulaire » is no
        // number of days: re-asked, nothing stored).
        assert_eq!(
            stored_replies(&scratch, &id)?,
            ["titulaire"],
            "{statuses:?}"
        );
    }
    eprintln!("races: {conflicts} conflict(s) out of 10; {before_kill} replies stored at the kill");

    // A reload on A (its files changed) is served by B, which never saw the new files.
    let before = version(&b.addr)?;
    let file = rules_a.join("conges.guichet");
    let text = std::fs::read_to_string(&file)?;
    std::fs::write(
        &file,
        text.replacen("par année civile", "par année civile (version 2)", 1),
    )?;
    let start = Instant::now();
    while version(&b.addr)? == before {
        if start.elapsed() > Duration::from_secs(20) {
            return Err(format!("B did not follow A's reload; B's log:\n{}", b.log()).into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(version(&a.addr)?, version(&b.addr)?);
    assert!(b.log().contains("règles rechargées (autre instance)"));
    let (_, created) = request(
        &b.addr,
        "POST",
        "/api/sessions",
        Some(&json!({ "topic": "conges_annuels" })),
    )?;
    let id = created["id"].as_str().ok_or("no id")?;
    let path = format!("/api/sessions/{id}/replies");
    request(
        &b.addr,
        "POST",
        &path,
        Some(&json!({ "text": "titulaire" })),
    )?;
    let (_, answer) = request(&a.addr, "POST", &path, Some(&json!({ "text": "5" })))?;
    assert!(
        answer["step"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("(version 2)"),
        "{answer}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The database becomes unreachable (a proxy between the server and PostgreSQL is cut): a
/// reply is answered 503 `unavailable` and not stored; once the database is back, the same
/// server answers it, without a restart.
#[test]
fn an_unreachable_database_is_a_503_and_the_server_recovers_without_restart() -> Result {
    let Some(url) = postgres::url()? else {
        return Ok(());
    };
    let scratch = Scratch::new(&url)?;
    let (proxy, through) = support::postgres::Proxy::start(&url, &scratch)?;
    let rules = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"));
    let server = Server::start(rules, &through)?;
    let (status, created) = request(
        &server.addr,
        "POST",
        "/api/sessions",
        Some(&json!({ "topic": "conges_annuels" })),
    )?;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().ok_or("no id")?;
    let path = format!("/api/sessions/{id}/replies");
    let (status, _) = request(
        &server.addr,
        "POST",
        &path,
        Some(&json!({ "text": "titulaire" })),
    )?;
    assert_eq!(status, 200);

    proxy.cut();
    let (status, refused) = request(&server.addr, "POST", &path, Some(&json!({ "text": "4" })))?;
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["error"]["code"], "unavailable", "{refused}");
    let (status, _) = request(&server.addr, "GET", &format!("/api/sessions/{id}"), None)?;
    assert_eq!(status, 503);
    assert_eq!(
        stored_replies(&scratch, id)?,
        ["titulaire"],
        "nothing written"
    );
    assert!(!server.log().contains(id), "no session id in the log");

    proxy.restore();
    let start = Instant::now();
    let answer = loop {
        let (status, body) = request(&server.addr, "POST", &path, Some(&json!({ "text": "4" })))?;
        if status == 200 {
            break body;
        }
        assert_eq!(status, 503, "{body}");
        if start.elapsed() > Duration::from_secs(10) {
            return Err("the server did not recover".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        answer["step"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("20 jours"),
        "{answer}"
    );
    assert_eq!(stored_replies(&scratch, id)?, ["titulaire", "4"]);
    Ok(())
}
