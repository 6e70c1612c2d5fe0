//! Requests to people (issue 13) from the outside: the real `guichet serve`
//! on loopback with a real SMTP sink (a few lines of SMTP over TCP, started
//! here) and a real SMS gateway sink (HTTP over TCP). A conversation is
//! walked to a hand-off, its question sent to the contact, the contact
//! notified by e-mail (the right address, no personal data), the request
//! listed and answered with the contact's own credential while another
//! contact gets 403, the reply seen by the agent on the conversation and by
//! e-mail; `kill -9` between the request and the reply loses nothing. By
//! SMS, `TRANSMETTRE` sends the question and the reply comes back as an
//! outbound SMS in the gateway's form format.

mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::server::{self, Response, Result, Server};

const ADMIN: &str = "jeton-admin-de-test";
const PASSWORD: &str = "mot de passe de l'encadrement";
const PAIE_TOKEN: &str = "jeton-de-la-paie-0123456789";
const SMS_TOKEN: &str = "jeton-du-webhook-sms-0123456789";

// ---------------------------------------------------------------- sinks

/// One mail as the SMTP sink received it.
#[derive(Clone, Debug, Default)]
struct Mail {
    to: Vec<String>,
    data: String,
}

/// A real SMTP server on loopback that keeps what it receives.
struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

fn smtp_sink() -> Result<SmtpSink> {
    smtp_sink_on(TcpListener::bind("127.0.0.1:0")?)
}

fn smtp_sink_on(listener: TcpListener) -> Result<SmtpSink> {
    let port = listener.local_addr()?.port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let kept = mails.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(|s| s.ok()) {
            let kept = kept.clone();
            std::thread::spawn(move || smtp_session(stream, &kept));
        }
    });
    Ok(SmtpSink { port, mails })
}

fn smtp_session(stream: TcpStream, mails: &Mutex<Vec<Mail>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut mail = Mail::default();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") {
            out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if command.starts_with("HELO") || command.starts_with("MAIL FROM") {
            out.write_all(b"250 OK\r\n")?;
        } else if command.starts_with("RCPT TO:") {
            let to = line.trim_end()["RCPT TO:".len()..].trim();
            mail.to.push(to.trim_matches(['<', '>']).to_string());
            out.write_all(b"250 OK\r\n")?;
        } else if command == "DATA" {
            out.write_all(b"354 end with .\r\n")?;
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                mail.data.push_str(&line);
            }
            if let Ok(mut mails) = mails.lock() {
                mails.push(std::mem::take(&mut mail));
            }
            out.write_all(b"250 OK queued\r\n")?;
        } else if command == "QUIT" {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"250 OK\r\n")?;
        }
    }
}

impl SmtpSink {
    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits (bounded) until `n` mails arrived.
    fn wait_for(&self, n: usize) -> Result<Vec<Mail>> {
        wait(&format!("{n} mail(s)"), || Ok(self.mails().len() >= n))?;
        Ok(self.mails())
    }
}

/// A form as posted: its fields in order.
type Form = Vec<(String, String)>;

/// A real HTTP server on loopback standing for the SMS gateway: keeps each form it is posted.
struct GatewaySink {
    url: String,
    forms: Arc<Mutex<Vec<Form>>>,
}

fn gateway_sink() -> Result<GatewaySink> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/messages", listener.local_addr()?);
    let forms = Arc::new(Mutex::new(Vec::new()));
    let kept = forms.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(|s| s.ok()) {
            let _ = gateway_request(stream, &kept);
        }
    });
    Ok(GatewaySink { url, forms })
}

fn gateway_request(stream: TcpStream, forms: &Mutex<Vec<Form>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let form: Form = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if let Ok(mut forms) = forms.lock() {
        forms.push(form);
    }
    let mut out = stream;
    out.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

// ---------------------------------------------------------------- server

fn wait(what: &str, mut condition: impl FnMut() -> Result<bool>) -> Result {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if condition()? {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("timed out waiting for {what}").into())
}

/// A fresh folder for one test.
fn scratch(name: &str) -> Result<PathBuf> {
    server::scratch("requests", name)
}

fn rules() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
}

/// The contacts file: `encadrement` with a password hash made by `guichet hash-password`
/// (3 working days), `paie` with a token.
fn contacts_file(dir: &Path) -> Result<PathBuf> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(format!("{PASSWORD}\n").as_bytes())?;
    let out = child.wait_with_output()?;
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout)?;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let path = dir.join("contacts.txt");
    std::fs::write(
        &path,
        format!(
            "# contact secret délai\nencadrement {} 3\npaie jeton:{PAIE_TOKEN}\n",
            hash.trim()
        ),
    )?;
    Ok(path)
}

impl Server {
    fn start(db: &Path, contacts: &Path, smtp: u16, sms: &str) -> Result<Server> {
        Server::start_with(db, contacts, smtp, sms, &[], &[])
    }

    fn start_with(
        db: &Path,
        contacts: &Path,
        smtp: u16,
        sms: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Server> {
        let mut command = server::command();
        command
            .envs(env.iter().copied())
            .arg(rules())
            .args(extra)
            .arg("--db")
            .arg(db)
            .arg("--contacts")
            .arg(contacts)
            .args(["--smtp", &format!("smtp://127.0.0.1:{smtp}")])
            .args(["--sms-send", sms])
            .env("GUICHET_ADMIN_TOKEN", ADMIN)
            .env("GUICHET_SMS_TOKEN", SMS_TOKEN);
        Server::spawn(command)
    }

    fn sms(&self, from: &str, body: &str) -> Result<String> {
        let form = serde_urlencoded::to_string([("From", from), ("Body", body)])?;
        let r = self.post_form(&format!("/api/sms?token={SMS_TOKEN}"), &[], &form)?;
        assert_eq!(r.status, 200, "{}", r.body);
        Ok(r.body)
    }
}

fn basic(user: &str, password: &str) -> String {
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{password}").into_bytes();
    let mut out = String::from("Basic ");
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(DIGITS[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn bearer() -> String {
    format!("Bearer {ADMIN}")
}

/// A conversation on `gestionnaire_carriere` for a category A agent: handed off to
/// `encadrement` at once (the category comes from the profile).
fn handed_off(server: &Server) -> Result<String> {
    let r = server.post(
        "/api/sessions",
        &json!({ "topic": "gestionnaire_carriere", "profile": { "categorie": "a" } }),
    )?;
    assert_eq!(r.status, 201, "{}", r.body);
    let json = r.json()?;
    assert_eq!(json["step"]["type"], "handoff", "{json}");
    assert_eq!(json["step"]["contact"]["id"], "encadrement");
    Ok(json["id"].as_str().ok_or("no id")?.to_string())
}

// ---------------------------------------------------------------- tests

#[test]
fn a_request_reaches_its_contact_survives_kill_9_and_the_reply_reaches_the_agent() -> Result {
    let dir = scratch("web")?;
    let contacts = contacts_file(&dir)?;
    let smtp = smtp_sink()?;
    let gateway = gateway_sink()?;
    let db = dir.join("guichet.db");
    let server = Server::start(&db, &contacts, smtp.port, &gateway.url)?;
    let id = handed_off(&server)?;

    // Not on a conversation still asking.
    let r = server.post(
        "/api/sessions",
        &json!({ "topic": "gestionnaire_carriere" }),
    )?;
    let asking = r.json()?["id"].as_str().ok_or("no id")?.to_string();
    let r = server.post(
        &format!("/api/sessions/{asking}/request"),
        &json!({ "message": "" }),
    )?;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.json()?["error"]["code"], "not_handed_off");
    let r = server.post(
        &format!("/api/sessions/{id}/request"),
        &json!({ "message": "x", "email": "pas une adresse" }),
    )?;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()?["error"]["code"], "bad_email");

    let message = "Je voudrais savoir si ma demande de mutation est arrivée.";
    let r = server.post(
        &format!("/api/sessions/{id}/request"),
        &json!({ "message": message, "email": "agent.dupont@example.org" }),
    )?;
    assert_eq!(r.status, 201, "{}", r.body);
    let request = r.json()?["request"].clone();
    let rid = request["id"].as_str().ok_or("no id")?.to_string();
    assert_eq!(request["contact"], "encadrement");
    assert_eq!(request["status"], "open");
    let due = request["due"].as_str().ok_or("no due")?.to_string();
    assert_eq!(due.len(), 10, "{due}");
    let r = server.post(
        &format!("/api/sessions/{id}/request"),
        &json!({ "message": "encore" }),
    )?;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()?["error"]["code"], "already_sent");

    // One mail, to the contact's address of the rules, with the inbox link and nothing personal.
    let mails = smtp.wait_for(1)?;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to, ["encadrement@ville-exemple.fr"]);
    let mail = &mails[0].data;
    assert!(
        mail.contains(&format!("http://{}/inbox", server.addr)),
        "{mail}"
    );
    for personal in [
        message,
        "agent.dupont@example.org",
        &id,
        &rid,
        "Catégorie A",
    ] {
        assert!(!mail.contains(personal), "{personal} in {mail}");
    }

    // The contact's own credential lists it; others: 401 without, 403 for another contact.
    let encadrement = basic("encadrement", PASSWORD);
    let paie = basic("paie", PAIE_TOKEN);
    assert_eq!(server.get("/api/requests")?.status, 401);
    assert_eq!(
        server
            .get_as("/api/requests", &basic("encadrement", "faux"))?
            .status,
        401
    );
    assert_eq!(
        server
            .get_as("/api/requests", &basic("inconnu", PASSWORD))?
            .status,
        401
    );
    let list = server.get_as("/api/requests", &encadrement)?.json()?;
    assert_eq!(list["reader"], "encadrement");
    let listed = &list["requests"][0];
    assert_eq!(listed["id"], rid.as_str());
    assert_eq!(listed["message"], message);
    assert_eq!(listed["due"], due.as_str());
    assert_eq!(listed["answer_by"], json!(["page", "email"]));
    assert_eq!(listed["facts"][0]["fact"], "categorie");
    assert_eq!(listed["facts"][0]["provenance"], "profile");
    assert!(listed["transcript"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));
    let others = server.get_as("/api/requests", &paie)?.json()?;
    assert_eq!(others["requests"], json!([]));
    assert_eq!(
        server
            .get_as(&format!("/api/requests/{rid}"), &paie)?
            .status,
        403
    );
    let r = server.post_as(
        &format!("/api/requests/{rid}/reply"),
        &paie,
        &json!({ "text": "non" }),
    )?;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()?["error"]["code"], "forbidden");

    // kill -9 between the request and the reply: nothing lost.
    server.kill()?;
    let server = Server::start(&db, &contacts, smtp.port, &gateway.url)?;
    let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
    assert_eq!(shown["requests"][0]["status"], "open");
    let list = server.get_as("/api/requests", &encadrement)?.json()?;
    assert_eq!(list["requests"][0]["id"], rid.as_str());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(smtp.mails().len(), 1, "the notification is not sent twice");

    let reply =
        "Oui, votre demande est arrivée le 12 novembre ; la commission se réunit en janvier.";
    let r = server.post_as(
        &format!("/api/requests/{rid}/reply"),
        &encadrement,
        &json!({ "text": reply }),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server.post_as(
        &format!("/api/requests/{rid}/reply"),
        &encadrement,
        &json!({ "text": "2" }),
    )?;
    assert_eq!(r.status, 409);

    // The agent sees it on the conversation, and by e-mail.
    let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
    let seen = &shown["requests"][0];
    assert_eq!(seen["status"], "answered");
    assert_eq!(seen["reply"], reply);
    assert!(seen["replied_at"].as_i64().is_some());
    let mails = smtp.wait_for(2)?;
    assert_eq!(mails[1].to, ["agent.dupont@example.org"]);
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words(&mails[1].data).contains(reply), "{}", mails[1].data);

    // The administrator sees every contact's requests.
    let all = server
        .get_as("/api/requests?status=all", &bearer())?
        .json()?;
    assert_eq!(all["admin"], true);
    assert_eq!(all["requests"].as_array().map(Vec::len), Some(1));

    // Figures: one request, answered, its response time; the conversation ended by a person.
    let stats = server.get_as("/api/stats", &bearer())?.json()?;
    let requests = &stats["requests"];
    assert_eq!(requests["total"]["opened"], 1, "{stats}");
    assert_eq!(requests["total"]["answered"], 1);
    assert_eq!(requests["total"]["overdue"], 0);
    assert!(requests["per_contact"]["encadrement"]["median_hours"]
        .as_f64()
        .is_some());
    assert!(requests["per_topic"]["gestionnaire_carriere"]["p90_hours"]
        .as_f64()
        .is_some());
    assert!(requests["conversations_ended"]["request_answered"]
        .as_f64()
        .is_some_and(|s| s > 0.0));
    let admin = server.get_as("/admin", &bearer())?;
    assert!(
        admin.body.contains("Demandes par contact"),
        "{}",
        admin.body
    );

    // No typed question (the agent chose the topic): nothing to add as an example.
    let r = server.get_as(&format!("/api/requests/{rid}/example"), &encadrement)?;
    assert_eq!(r.status, 409, "{}", r.body);

    // Answer-to-article: a draft topic that checks clean next to the rules.
    let draft = server.get_as(&format!("/api/requests/{rid}/draft"), &encadrement)?;
    assert_eq!(draft.status, 200);
    assert!(draft.body.contains("// à vérifier"), "{}", draft.body);
    assert!(draft.body.contains("categorie == a"), "{}", draft.body);
    assert!(draft.body.contains(reply), "{}", draft.body);
    let with_draft = dir.join("rules");
    std::fs::create_dir_all(&with_draft)?;
    for entry in std::fs::read_dir(rules())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "guichet") {
            std::fs::copy(&path, with_draft.join(path.file_name().ok_or("name")?))?;
        }
    }
    std::fs::write(with_draft.join("brouillon.guichet"), &draft.body)?;
    let check = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("check")
        .arg(&with_draft)
        .output()?;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Export and erasure cover requests.
    let export = server
        .get_as(&format!("/api/admin/conversations?session={id}"), &bearer())?
        .json()?;
    assert_eq!(export["requests"][0]["reply"], reply);
    let r = server.request(
        "DELETE",
        &format!("/api/admin/conversations?session={id}"),
        &[("Authorization", &bearer())],
        b"",
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    let all = server
        .get_as("/api/requests?status=all", &bearer())?
        .json()?;
    assert_eq!(all["requests"], json!([]));

    // Nothing personal in the logs.
    let log = server.log();
    for personal in [
        message,
        reply,
        "agent.dupont@example.org",
        &id,
        &rid,
        PASSWORD,
        PAIE_TOKEN,
    ] {
        assert!(!log.contains(personal), "{personal} in the log");
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn transmettre_by_sms_and_the_reply_comes_back_as_an_outbound_sms() -> Result {
    let dir = scratch("sms")?;
    let contacts = contacts_file(&dir)?;
    let smtp = smtp_sink()?;
    let gateway = gateway_sink()?;
    let server = Server::start(&dir.join("guichet.db"), &contacts, smtp.port, &gateway.url)?;
    let phone = "+33611223344";

    let text = server.sms(phone, "TRANSMETTRE")?;
    assert!(text.contains("Rien à transmettre"), "{text}");
    server.sms(phone, "gestionnaire_carriere")?;
    let text = server.sms(phone, "A")?;
    assert!(text.contains("TRANSMETTRE"), "{text}");
    let text = server.sms(phone, "transmettre merci de me rappeler le matin")?;
    assert!(text.contains("Votre question est transmise"), "{text}");

    let encadrement = basic("encadrement", PASSWORD);
    let list = server.get_as("/api/requests", &encadrement)?.json()?;
    let request = &list["requests"][0];
    assert_eq!(request["message"], "merci de me rappeler le matin");
    assert_eq!(request["answer_by"], json!(["page", "sms"]));
    let rid = request["id"].as_str().ok_or("no id")?;
    let reply = "Bonjour, je vous appelle demain à 9 h.";
    let r = server.post_as(
        &format!("/api/requests/{rid}/reply"),
        &encadrement,
        &json!({ "text": reply }),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);

    wait("the outbound SMS", || {
        Ok(gateway.forms.lock().map(|f| !f.is_empty()).unwrap_or(false))
    })?;
    let forms = gateway.forms.lock().map(|f| f.clone()).unwrap_or_default();
    assert_eq!(forms.len(), 1, "{forms:?}");
    let field = |name: &str| {
        forms[0]
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("To").as_deref(), Some(phone));
    assert!(
        field("Body").is_some_and(|b| b.contains(reply)),
        "{forms:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn a_question_no_topic_matched_is_transmitted_to_the_fallback_contact() -> Result {
    let dir = scratch("unmatched")?;
    let contacts = contacts_file(&dir)?;
    let smtp = smtp_sink()?;
    let gateway = gateway_sink()?;
    let server = Server::start(&dir.join("guichet.db"), &contacts, smtp.port, &gateway.url)?;

    // Web: the hand-off has no conversation; transmitting makes one, for the reply.
    let question = "billetterie du zoo";
    let r = server.post("/api/sessions", &json!({ "question": question }))?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()?["step"]["type"], "handoff");
    let r = server.post(
        "/api/requests",
        &json!({ "question": question, "message": "Comment en bénéficier ?" }),
    )?;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json()?;
    assert_eq!(created["request"]["contact"], "drh");
    let id = created["id"].as_str().ok_or("no id")?.to_string();
    let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
    assert_eq!(shown["topic_title"], "Question sans sujet correspondant");
    assert_eq!(shown["transcript"][0]["text"], question);
    assert_eq!(shown["requests"][0]["status"], "open");
    let mails = smtp.wait_for(1)?;
    assert_eq!(mails[0].to, ["drh@ville-exemple.fr"]);
    let r = server.post("/api/requests", &json!({ "question": "  " }))?;
    assert_eq!(r.status, 422);

    // SMS: TRANSMETTRE after the hand-off of a question no topic matched.
    let phone = "+33655443322";
    let text = server.sms(phone, question)?;
    assert!(text.contains("TRANSMETTRE"), "{text}");
    let text = server.sms(phone, "Transmettre")?;
    assert!(
        text.contains("transmise à la direction des ressources humaines"),
        "{text}"
    );
    let text = server.sms(phone, "TRANSMETTRE")?;
    assert!(text.contains("déjà transmise"), "{text}");

    // Reassigned to the pay service: notified in turn, and in its inbox now.
    let all = server.get_as("/api/requests", &bearer())?.json()?;
    let first = all["requests"][0]["id"]
        .as_str()
        .ok_or("no id")?
        .to_string();
    let r = server.post_as(
        &format!("/api/requests/{first}/assign"),
        &bearer(),
        &json!({ "contact": "paie" }),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    let mails = smtp.wait_for(3)?;
    assert_eq!(mails[2].to, ["paie@ville-exemple.fr"], "{mails:?}");
    let paie = server
        .get_as("/api/requests", &basic("paie", PAIE_TOKEN))?
        .json()?;
    assert_eq!(paie["requests"][0]["id"], first.as_str());

    // The administrator (no drh credential in the file) answers both.
    let all = server.get_as("/api/requests", &bearer())?.json()?;
    let listed = all["requests"].as_array().ok_or("no list")?;
    assert_eq!(listed.len(), 2, "{all}");
    for request in listed {
        assert_eq!(request["question"], question);
        assert_eq!(request["topic_title"], "Question sans sujet correspondant");
        let rid = request["id"].as_str().ok_or("no id")?;
        let r = server.post_as(
            &format!("/api/requests/{rid}/reply"),
            &bearer(),
            &json!({ "text": "Voyez le CNAS : formulaire sur l'intranet." }),
        )?;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
    assert_eq!(
        shown["requests"][0]["reply"],
        "Voyez le CNAS : formulaire sur l'intranet."
    );
    // The question as an example of an existing topic: the line and where it goes.
    let rid = listed[0]["id"].as_str().ok_or("no id")?;
    let r = server.get_as(&format!("/api/requests/{rid}/example"), &bearer())?;
    assert_eq!(r.status, 422, "no topic of its own: {}", r.body);
    let r = server.get_as(
        &format!("/api/requests/{rid}/example?topic=gestionnaire_carriere"),
        &bearer(),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("carriere.guichet:"), "{}", r.body);
    assert!(r.body.contains(", \"billetterie du zoo\""), "{}", r.body);
    // Or at once, for the router: the same question then starts that topic.
    let r = server.post_as(
        &format!("/api/requests/{rid}/example"),
        &bearer(),
        &json!({ "topic": "gestionnaire_carriere" }),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = server.post("/api/sessions", &json!({ "question": question }))?;
    assert_eq!(r.json()?["topic"], "gestionnaire_carriere", "{}", r.body);
    let r = server.post_as(
        &format!("/api/requests/{rid}/example"),
        &bearer(),
        &json!({ "topic": "nulle_part" }),
    )?;
    assert_eq!(r.status, 400, "{}", r.body);
    wait("the outbound SMS", || {
        Ok(gateway.forms.lock().map(|f| !f.is_empty()).unwrap_or(false))
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Every error a request route can answer, as people read it (one snapshot).
#[test]
fn request_errors_are_json_with_their_status_code_and_french_message() -> Result {
    let dir = scratch("errors")?;
    let contacts = contacts_file(&dir)?;
    let smtp = smtp_sink()?;
    let gateway = gateway_sink()?;
    let server = Server::start(&dir.join("guichet.db"), &contacts, smtp.port, &gateway.url)?;
    let id = handed_off(&server)?;
    let r = server.post(
        "/api/sessions",
        &json!({ "topic": "gestionnaire_carriere" }),
    )?;
    let asking = r.json()?["id"].as_str().ok_or("no id")?.to_string();
    let paie = basic("paie", PAIE_TOKEN);
    let admin = bearer();
    let mut shown = Vec::new();
    let mut show = |what: &str, r: Response| -> Result {
        let error = r.json()?["error"].clone();
        shown.push(format!(
            "{what}\n  {} {} {}",
            r.status, error["code"], error["message"]
        ));
        Ok(())
    };
    let send = |id: &str, body: Value| server.post(&format!("/api/sessions/{id}/request"), &body);
    show("not handed off", send(&asking, json!({}))?)?;
    show("bad e-mail", send(&id, json!({ "email": "agent@" }))?)?;
    show(
        "message too long",
        send(&id, json!({ "message": "x".repeat(2001) }))?,
    )?;
    let r = send(&id, json!({ "message": "bonjour" }))?;
    let rid = r.json()?["request"]["id"]
        .as_str()
        .ok_or("no id")?
        .to_string();
    show("sent twice", send(&id, json!({}))?)?;
    show("no credential", server.get("/api/requests")?)?;
    show(
        "bad status",
        server.get_as("/api/requests?status=tout", &admin)?,
    )?;
    show(
        "another contact's",
        server.get_as(&format!("/api/requests/{rid}"), &paie)?,
    )?;
    show(
        "unknown request",
        server.get_as(&format!("/api/requests/{}", "0".repeat(32)), &admin)?,
    )?;
    let reply = |text: &str| {
        server.post_as(
            &format!("/api/requests/{rid}/reply"),
            &admin,
            &json!({ "text": text }),
        )
    };
    show(
        "not answered yet",
        server.get_as(&format!("/api/requests/{rid}/draft"), &admin)?,
    )?;
    show("empty reply", reply("  ")?)?;
    show("reply too long", reply(&"x".repeat(8001))?)?;
    show(
        "unknown contact",
        server.post_as(
            &format!("/api/requests/{rid}/assign"),
            &admin,
            &json!({ "contact": "paye" }),
        )?,
    )?;
    show(
        "unknown topic",
        server.get_as(&format!("/api/requests/{rid}/example?topic=x"), &admin)?,
    )?;
    show(
        "no typed question",
        server.get_as(&format!("/api/requests/{rid}/example?topic=rtt"), &admin)?,
    )?;
    assert_eq!(reply("oui")?.status, 200);
    show("answered twice", reply("non")?)?;
    show(
        "reassigned once answered",
        server.post_as(
            &format!("/api/requests/{rid}/assign"),
            &admin,
            &json!({ "contact": "paie" }),
        )?,
    )?;
    show(
        "empty question",
        server.post("/api/requests", &json!({ "question": "?" }))?,
    )?;
    insta::assert_snapshot!(shown.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The relay is down when the request is sent: the notification waits in the store and goes
/// once the relay is back, once.
#[test]
fn a_notification_is_retried_until_the_relay_takes_it() -> Result {
    let dir = scratch("retry")?;
    let contacts = contacts_file(&dir)?;
    let gateway = gateway_sink()?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let server = Server::start_with(
        &dir.join("guichet.db"),
        &contacts,
        port,
        &gateway.url,
        &["--outbox-interval-ms", "200"],
        &[],
    )?;
    let id = handed_off(&server)?;
    let r = server.post(&format!("/api/sessions/{id}/request"), &json!({}))?;
    assert_eq!(r.status, 201, "{}", r.body);
    wait("a failed sending in the log", || {
        Ok(server.log().contains("notification non envoyée"))
    })?;
    let smtp = smtp_sink_on(TcpListener::bind(("127.0.0.1", port))?)?;
    let mails = smtp.wait_for(1)?;
    assert_eq!(mails[0].to, ["encadrement@ville-exemple.fr"]);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(smtp.mails().len(), 1, "sent once");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// With a data key, what the agent and the person wrote is sealed in the database file: the
/// message, the reply, the e-mail address and the dossier are not in it in clear.
#[test]
fn requests_are_sealed_at_rest_with_a_data_key() -> Result {
    let dir = scratch("sealed")?;
    let contacts = contacts_file(&dir)?;
    let smtp = smtp_sink()?;
    let gateway = gateway_sink()?;
    let db = dir.join("guichet.db");
    let key = [("GUICHET_DATA_KEY", "4f".repeat(32))];
    let key: Vec<(&str, &str)> = key.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start_with(&db, &contacts, smtp.port, &gateway.url, &[], &key)?;
    let id = handed_off(&server)?;
    let message = "Message-tres-reconnaissable-de-l-agent";
    let email = "adresse.reconnaissable@example.org";
    let r = server.post(
        &format!("/api/sessions/{id}/request"),
        &json!({ "message": message, "email": email }),
    )?;
    assert_eq!(r.status, 201, "{}", r.body);
    let rid = r.json()?["request"]["id"]
        .as_str()
        .ok_or("no id")?
        .to_string();
    let reply = "Reponse-tres-reconnaissable-de-la-DRH";
    let encadrement = basic("encadrement", PASSWORD);
    let r = server.post_as(
        &format!("/api/requests/{rid}/reply"),
        &encadrement,
        &json!({ "text": reply }),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    let listed = server
        .get_as("/api/requests?status=all", &encadrement)?
        .json()?;
    assert_eq!(
        listed["requests"][0]["message"], message,
        "opened on the way back"
    );
    assert_eq!(listed["requests"][0]["facts"][0]["fact"], "categorie");
    server.kill()?;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.to_string_lossy().contains("guichet.db") {
            bytes.extend(std::fs::read(&path)?);
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    for clear in [message, reply, email] {
        assert!(!text.contains(clear), "{clear} in clear in the database");
    }
    let server = Server::start_with(&db, &contacts, smtp.port, &gateway.url, &[], &key)?;
    let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
    assert_eq!(shown["requests"][0]["reply"], reply);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
