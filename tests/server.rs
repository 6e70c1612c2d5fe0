//! `guichet serve` from the outside: the real binary on 127.0.0.1 with an
//! ephemeral port, a fresh SQLite file per test, and plain HTTP/1.1 over a
//! `TcpStream` (so malformed and oversized requests can be sent as they are).
//! Every route, every error code, `kill -9` and resume, rule reloads during a
//! conversation, SMS, admin, privacy of the logs.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::server::{self, Response, Result, Server};

const ADMIN: &str = "jeton-de-test";
/// The SMS webhook's secret (without one, `/api/sms` is disabled).
const SMS_TOKEN: &str = "secret-sms-de-test";

struct Options<'a> {
    rules: &'a Path,
    db: &'a Path,
    admin: bool,
    retention_days: u32,
    watch_ms: u64,
}

impl Options<'_> {
    fn new<'a>(rules: &'a Path, db: &'a Path) -> Options<'a> {
        Options {
            rules,
            db,
            admin: true,
            retention_days: 90,
            watch_ms: 3_600_000,
        }
    }
}

impl Server {
    fn start(o: &Options<'_>) -> Result<Server> {
        let mut command = server::command();
        command
            .arg(o.rules)
            .arg("--db")
            .arg(o.db)
            .args(["--retention-days", &o.retention_days.to_string()])
            .args(["--watch-interval-ms", &o.watch_ms.to_string()])
            .env("GUICHET_SMS_TOKEN", SMS_TOKEN);
        if o.admin {
            command.env("GUICHET_ADMIN_TOKEN", ADMIN);
        }
        Server::spawn(command)
    }

    fn admin(&self, method: &str, path: &str) -> Result<Response> {
        let bearer = format!("Bearer {ADMIN}");
        self.request(method, path, &[("Authorization", &bearer)], b"")
    }

    fn sms(&self, from: &str, body: &str) -> Result<Response> {
        let form = format!("From={}&Body={}", encode(from), encode(body));
        self.post_form(&format!("/api/sms?token={SMS_TOKEN}"), &[], &form)
    }

    /// How many conversations the store has for phone number `phone` (admin export).
    fn sms_conversations(&self, phone: &str) -> Result<Option<usize>> {
        let path = format!("/api/admin/conversations?phone={}", encode(phone));
        let export = self.admin("GET", &path)?.json()?;
        Ok(export["conversations"].as_array().map(Vec::len))
    }

    /// Creates a conversation on `topic`; its id and first step.
    fn create(&self, topic: &str) -> Result<(String, Value)> {
        let r = self.post("/api/sessions", &json!({ "topic": topic }))?;
        assert_eq!(r.status, 201, "{}", r.body);
        let json = r.json()?;
        Ok((str_of(&json["id"]), json["step"].clone()))
    }

    fn reply(&self, id: &str, text: &str) -> Result<Response> {
        self.post(
            &format!("/api/sessions/{id}/replies"),
            &json!({ "text": text }),
        )
    }

    /// The step after an accepted reply.
    fn step(&self, id: &str, text: &str) -> Result<Value> {
        let r = self.reply(id, text)?;
        assert_eq!(r.status, 200, "reply {text:?}: {}", r.body);
        Ok(r.json()?["step"].clone())
    }

    /// Waits (bounded) until `condition` holds.
    fn wait_for(&self, what: &str, mut condition: impl FnMut(&Server) -> Result<bool>) -> Result {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if condition(self)? {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("timed out waiting for {what}; log:\n{}", self.log()).into())
    }

    fn version(&self) -> Result<String> {
        Ok(str_of(&self.get("/healthz")?.json()?["rules"]))
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// A fresh folder for one test.
fn scratch(name: &str) -> Result<PathBuf> {
    server::scratch("server", name)
}

fn rules() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
}

/// A copy of the bundled rule files (not their tests) that a test may edit.
fn copy_rules(dir: &Path) -> Result<PathBuf> {
    let target = dir.join("rules");
    std::fs::create_dir_all(&target)?;
    for entry in std::fs::read_dir(rules())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "guichet") {
            std::fs::copy(&path, target.join(path.file_name().ok_or("no name")?))?;
        }
    }
    Ok(target)
}

// ------------------------------------------------------------------ tests

#[test]
fn health_topics_page_and_assets() -> Result {
    let dir = scratch("health")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let health = server.get("/healthz")?;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()?["status"], "ok");

    let topics = server.get("/api/topics")?.json()?;
    let list = topics["topics"].as_array().ok_or("no topics")?;
    assert_eq!(list.len(), 30);
    assert!(list
        .iter()
        .any(|t| t["id"] == "conges_annuels"
            && t["title"] == "Mes congés annuels : combien de jours ?"));

    let page = server.get("/")?;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    let csp = page.header("content-security-policy").ok_or("no CSP")?;
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert!(page.body.contains(r#"<html lang="fr">"#));
    assert!(page
        .body
        .contains(r#"<script src="/assets/app.js" defer></script>"#));
    assert!(!page.body.contains("<script>"), "no inline script");
    assert!(page.body.contains(r#"aria-live="polite""#));
    assert!(page.body.contains("Parler à une personne") && page.body.contains("Pourquoi ?"));

    let script = server.get("/assets/app.js")?;
    assert_eq!(script.status, 200);
    assert!(script
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/javascript")));
    assert!(
        !script.body.contains("innerHTML"),
        "text is never parsed as HTML"
    );
    let style = server.get("/assets/style.css")?;
    assert!(style
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/css")));
    Ok(())
}

#[test]
fn a_topic_is_talked_through_to_its_answer_then_feedback() -> Result {
    let dir = scratch("talk")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let (id, first) = server.create("conges_annuels")?;
    assert_eq!(id.len(), 32);
    assert_eq!(first["type"], "ask");
    assert_eq!(first["fact"], "statut");
    assert_eq!(first["options"][0]["value"], "titulaire");

    // Feedback only once there is an outcome.
    server
        .post(
            &format!("/api/sessions/{id}/feedback"),
            &json!({ "helpful": true }),
        )?
        .error(409, "not_finished")?;

    // A refused reply: an error plus the same question; nothing changes.
    let refused = server.reply(&id, "bof")?.error(422, "unknown_option")?;
    assert_eq!(refused["step"], first);
    assert_eq!(
        server.get(&format!("/api/sessions/{id}"))?.json()?["step"],
        first
    );

    let second = server.step(&id, "titulaire")?;
    assert_eq!(second["fact"], "jours_par_semaine");
    assert_eq!(second["kind"], "number");
    server.reply(&id, "12")?.error(422, "out_of_range")?;

    // Commands: why (the trail comes with the question), back, then forward again.
    let why = server.step(&id, "pourquoi")?;
    assert_eq!(why["fact"], "jours_par_semaine");
    assert!(why["trail"].as_array().is_some_and(|t| !t.is_empty()));
    // …and the plain explanation agents read.
    assert_eq!(
        why["why"]["facts"],
        json!([{ "question": "Quel est votre statut ?", "value": "Fonctionnaire titulaire", "provenance": "asked" }])
    );
    assert!(str_of(&why["why"]["text"])
        .starts_with("Vous avez indiqué : Quel est votre statut ? Fonctionnaire titulaire."));
    assert_eq!(server.step(&id, "retour")?["fact"], "statut");
    server.step(&id, "1")?;
    let answer = server.step(&id, "5")?;
    assert_eq!(answer["type"], "answer");
    assert!(str_of(&answer["text"]).contains("25 jours de congés annuels"));
    assert!(answer["sources"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(
        str_of(&answer["why"]["rule"]).contains("Mes congés annuels"),
        "{answer}"
    );

    server.reply(&id, "5")?.error(409, "not_asking")?;
    let r = server.post(
        &format!("/api/sessions/{id}/feedback"),
        &json!({ "helpful": true }),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);

    let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
    assert_eq!(shown["done"], true);
    assert_eq!(shown["helpful"], true);
    assert_eq!(shown["topic"], "conges_annuels");
    assert_eq!(shown["step"]["type"], "answer");
    let transcript = shown["transcript"].as_array().ok_or("no transcript")?;
    let said: Vec<String> = transcript
        .iter()
        .filter(|t| t["who"] == "agent")
        .map(|t| str_of(&t["text"]))
        .collect();
    assert_eq!(
        said,
        ["titulaire", "pourquoi", "retour", "1", "5"],
        "refused replies are not kept"
    );
    assert_eq!(transcript.len(), 11);
    assert_eq!(transcript[0]["step"], first);

    // Restart, and hand-off on request.
    assert_eq!(server.step(&id, "recommencer")?["fact"], "statut");
    let handoff = server.step(&id, "parler à une personne")?;
    assert_eq!(handoff["type"], "handoff");
    assert!(handoff["contact"]["label"]
        .as_str()
        .is_some_and(|l| !l.is_empty()));

    // The agent deletes the conversation.
    let deleted = server.request("DELETE", &format!("/api/sessions/{id}"), &[], b"")?;
    assert_eq!(deleted.status, 204);
    server
        .get(&format!("/api/sessions/{id}"))?
        .error(404, "unknown_session")?;
    Ok(())
}

#[test]
fn a_profile_prefills_facts_and_bad_profiles_are_refused() -> Result {
    let dir = scratch("profile")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let r = server.post(
        "/api/sessions",
        &json!({ "topic": "conges_annuels", "profile": { "statut": "titulaire" } }),
    )?;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()?["step"]["fact"], "jours_par_semaine");
    let r = server.post(
        "/api/sessions",
        &json!({ "topic": "conges_annuels", "profile": { "statut": "titulaire", "jours_par_semaine": 4 } }),
    )?;
    assert_eq!(r.json()?["step"]["type"], "answer");

    for profile in [
        json!({ "pointure": "42" }),
        json!({ "statut": "astronaute" }),
        json!({ "statut": ["titulaire"] }),
    ] {
        server
            .post(
                "/api/sessions",
                &json!({ "topic": "conges_annuels", "profile": profile }),
            )?
            .error(422, "bad_profile")?;
    }
    Ok(())
}

#[test]
fn every_error_is_json_with_its_status_and_code() -> Result {
    let dir = scratch("errors")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let json_header = [("Content-Type", "application/json")];
    server
        .request("POST", "/api/sessions", &json_header, b"{\"topic\": ")?
        .error(400, "bad_json")?;
    server
        .request("POST", "/api/sessions", &json_header, b"")?
        .error(400, "bad_json")?;
    server
        .post("/api/sessions", &json!({ "sujet": "rtt" }))?
        .error(400, "bad_request")?;
    server
        .post("/api/sessions", &json!({ "topic": 3 }))?
        .error(400, "bad_request")?;
    let unknown = server
        .post("/api/sessions", &json!({ "topic": "conges_anuels" }))?
        .error(422, "unknown_topic")?;
    assert!(
        str_of(&unknown["error"]["message"]).contains("conges_annuels"),
        "did you mean"
    );

    let big = format!("{{\"topic\": \"{}\"}}", "x".repeat(70 * 1024));
    let r = server.request("POST", "/api/sessions", &json_header, big.as_bytes())?;
    r.error(413, "too_large")?;

    let (id, _) = server.create("rtt")?;
    let big = format!("{{\"text\": \"{}\"}}", "x".repeat(65 * 1024));
    server
        .request(
            "POST",
            &format!("/api/sessions/{id}/replies"),
            &json_header,
            big.as_bytes(),
        )?
        .error(413, "too_large")?;
    server
        .request(
            "POST",
            &format!("/api/sessions/{id}/replies"),
            &json_header,
            b"[1,2",
        )?
        .error(400, "bad_json")?;
    server
        .post(
            &format!("/api/sessions/{id}/feedback"),
            &json!({ "helpful": "oui" }),
        )?
        .error(400, "bad_request")?;

    let missing = "0123456789abcdef0123456789abcdef";
    server
        .get(&format!("/api/sessions/{missing}"))?
        .error(404, "unknown_session")?;
    server
        .get("/api/sessions/pas-un-identifiant")?
        .error(404, "unknown_session")?;
    server
        .post(
            &format!("/api/sessions/{missing}/replies"),
            &json!({ "text": "oui" }),
        )?
        .error(404, "unknown_session")?;
    server
        .post(
            &format!("/api/sessions/{missing}/feedback"),
            &json!({ "helpful": true }),
        )?
        .error(404, "unknown_session")?;
    server
        .request("DELETE", &format!("/api/sessions/{missing}"), &[], b"")?
        .error(404, "unknown_session")?;
    server.get("/api/nulle-part")?.error(404, "not_found")?;
    server
        .request("PUT", "/api/topics", &[], b"")?
        .error(405, "method_not_allowed")?;
    server
        .get("/api/sessions/%ZZ")?
        .error(404, "unknown_session")?;

    // Refused replies, whatever the text, are 422 with the question again: never a 500.
    for text in ["", "\u{0}", "🙂", &"9".repeat(500), "-1", "NaN", "1e400"] {
        let r = server.reply(&id, text)?;
        assert!(
            r.status == 200 || r.status == 422,
            "{text:?}: {} {}",
            r.status,
            r.body
        );
    }
    assert!(!server.log().contains(" 500 "), "{}", server.log());
    Ok(())
}

#[test]
fn session_ids_are_random_and_128_bits() -> Result {
    let dir = scratch("ids")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let (id, _) = server.create("rtt")?;
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        ids.insert(id);
    }
    assert_eq!(ids.len(), 20);
    // No two share a long prefix (a counter or a clock would).
    let ids: Vec<_> = ids.into_iter().collect();
    assert!(ids.windows(2).all(|w| w[0][..8] != w[1][..8]));
    Ok(())
}

#[test]
fn a_conversation_survives_kill_9_and_resumes_exactly() -> Result {
    let dir = scratch("kill9")?;
    let db = dir.join("g.db");
    let options = Options::new(rules(), &db);
    let server = Server::start(&options)?;
    let (id, _) = server.create("conges_annuels")?;
    let (other, _) = server.create("rtt")?;
    let asked = server.step(&id, "contractuel")?;
    let before = server.get(&format!("/api/sessions/{id}"))?.json()?;
    let other_before = server.get(&format!("/api/sessions/{other}"))?.json()?;
    server.kill()?;

    let server = Server::start(&options)?;
    let after = server.get(&format!("/api/sessions/{id}"))?.json()?;
    assert_eq!(after, before, "same step, same transcript");
    assert_eq!(after["step"], asked);
    assert_eq!(
        server.get(&format!("/api/sessions/{other}"))?.json()?,
        other_before
    );
    let answer = server.step(&id, "4,5")?;
    assert_eq!(answer["type"], "answer");
    assert!(str_of(&answer["text"]).contains("22,5 jours"));
    Ok(())
}

/// Edits the answer of `conges_annuels` in a copy of the rules.
fn edit_rules(rules: &Path, from: &str, to: &str) -> Result {
    let file = rules.join("conges.guichet");
    let text = std::fs::read_to_string(&file)?;
    assert!(text.contains(from));
    std::fs::write(&file, text.replacen(from, to, 1))?;
    Ok(())
}

#[test]
fn sighup_reloads_and_conversations_in_flight_finish_on_their_version() -> Result {
    let dir = scratch("sighup")?;
    let rules = copy_rules(&dir)?;
    let db = dir.join("g.db");
    let options = Options::new(&rules, &db);
    let server = Server::start(&options)?;
    let old_version = server.version()?;
    let (old, _) = server.create("conges_annuels")?;
    let (old_after_restart, _) = server.create("conges_annuels")?;
    server.step(&old, "titulaire")?;

    edit_rules(&rules, "par année civile", "par année civile (version 2)")?;
    assert_eq!(
        server.version()?,
        old_version,
        "no reload without SIGHUP here"
    );
    let status = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()?;
    assert!(status.success());
    server.wait_for("the new version", |s| Ok(s.version()? != old_version))?;
    server.wait_for_log("règles rechargées (SIGHUP)")?;

    let (new, _) = server.create("conges_annuels")?;
    server.step(&new, "titulaire")?;
    assert!(str_of(&server.step(&new, "5")?["text"]).contains("(version 2)"));
    // A topic started after a conversation on the old rules carries nothing over.
    let r = server.post("/api/sessions", &json!({ "topic": "rtt", "after": old }))?;
    assert_eq!(r.status, 201, "{}", r.body);
    let step = r.json()?["step"].clone();
    assert_eq!(step["fact"], "statut", "{step}");
    assert!(step["understood"].is_null(), "{step}");
    let answer = server.step(&old, "5")?;
    assert!(
        !str_of(&answer["text"]).contains("(version 2)"),
        "in flight: old version"
    );
    assert!(str_of(&answer["text"]).contains("par année civile"));

    // Also across a restart: the old program is recompiled from the sources in the store.
    server.kill()?;
    let server = Server::start(&options)?;
    assert_ne!(server.version()?, old_version);
    server.step(&old_after_restart, "titulaire")?;
    let answer = server.step(&old_after_restart, "5")?;
    assert!(!str_of(&answer["text"]).contains("(version 2)"));
    assert!(str_of(&answer["text"]).contains("25 jours"));
    Ok(())
}

#[test]
fn file_changes_reload_and_rules_with_errors_are_refused() -> Result {
    let dir = scratch("watch")?;
    let rules = copy_rules(&dir)?;
    let db = dir.join("g.db");
    let mut options = Options::new(&rules, &db);
    options.watch_ms = 100;
    let server = Server::start(&options)?;
    let first = server.version()?;

    edit_rules(&rules, "par année civile", "par année civile (modifié)")?;
    server.wait_for("the changed files", |s| Ok(s.version()? != first))?;
    let second = server.version()?;

    std::fs::write(rules.join("casse.guichet"), "topic cassé {\n  answer \n")?;
    server.wait_for("the refusal", |s| Ok(s.log().contains("règles refusées")))?;
    assert_eq!(server.version()?, second, "the old rules keep serving");
    assert!(
        server.log().contains("casse.guichet"),
        "diagnostics are logged"
    );
    let (id, _) = server.create("conges_annuels")?;
    server.step(&id, "titulaire")?;
    assert!(str_of(&server.step(&id, "5")?["text"]).contains("(modifié)"));

    std::fs::remove_file(rules.join("casse.guichet"))?;
    edit_rules(&rules, "(modifié)", "(corrigé)")?;
    server.wait_for("the fixed rules", |s| {
        Ok(s.version()? != second && s.log().contains("règles rechargées (fichiers modifiés)"))
    })?;
    Ok(())
}

/// The `<Message>` texts of a TwiML response.
fn messages(r: &Response) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/xml")));
    assert!(r
        .body
        .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#));
    r.body
        .split("<Message>")
        .skip(1)
        .filter_map(|m| m.split_once("</Message>").map(|(m, _)| m.to_string()))
        .map(|m| {
            m.replace("&apos;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn sms_conversations_are_keyed_by_phone_number() -> Result {
    let dir = scratch("sms")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let phone = "+33600000042";
    let menu = messages(&server.sms(phone, "Bonjour")?).join("\n");
    assert!(
        menu.contains("12. Mes congés annuels : combien de jours ?"),
        "{menu}"
    );

    let question = messages(&server.sms(phone, "12")?).join("\n");
    assert!(
        question.contains("Quel est votre statut ?\n1. Fonctionnaire titulaire"),
        "{question}"
    );
    // Another number has its own conversation (and its own menu).
    messages(&server.sms("+33600000043", "Bonjour")?);
    assert!(messages(&server.sms("+33600000043", "7")?)
        .join("\n")
        .contains("catégorie"));

    let refused = messages(&server.sms(phone, "bof")?).join("\n");
    assert!(
        refused.contains("Je n'ai pas compris") && refused.contains("1. Fonctionnaire titulaire")
    );
    let number = messages(&server.sms(phone, "1")?).join("\n");
    assert!(
        number.contains("par semaine ? (nombre entre 1 et 6 jours)"),
        "{number}"
    );
    let answer = messages(&server.sms(phone, "5")?);
    let whole = answer.join("\n");
    assert!(whole.contains("25 jours de congés annuels"), "{whole}");
    assert!(whole.contains("Sources :") && whole.contains("Répondez OUI ou NON"));
    assert!(
        !whole.contains('«') && !whole.contains('\u{a0}'),
        "GSM-friendly typography"
    );
    for m in &answer {
        // French letters outside the GSM-7 alphabet force UCS-2 (67 characters a segment).
        let ucs2 = m.chars().any(|c| "âêîôûçëïüÿœÂÊÎÔÛÇŒ’«»".contains(c));
        let limit = if ucs2 { 4 * 67 } else { 4 * 153 };
        assert!(
            m.encode_utf16().count() <= limit,
            "at most 4 segments: {m:?}"
        );
    }
    assert!(answer.len() > 1, "a long answer is split");

    // « pourquoi » by SMS: the plain explanation, no rule location.
    let why = messages(&server.sms(phone, "pourquoi")?).join("\n");
    assert!(
        why.contains("Vous avez indiqué : Quel est votre statut ? Fonctionnaire titulaire"),
        "{why}"
    );
    assert!(why.contains("Source"), "{why}");
    assert!(!why.contains(".guichet:"), "{why}");

    let thanks = messages(&server.sms(phone, "oui")?).join("\n");
    assert!(thanks.contains("Merci"));
    let stats = server.admin("GET", "/api/stats")?.json()?;
    assert_eq!(stats["feedback"], 1);
    assert_eq!(stats["helpful_rate"], 1.0);

    // After the outcome, a new message chooses a new topic.
    assert!(messages(&server.sms(phone, "16")?)
        .join("\n")
        .contains("statut"));
    let exported = server
        .admin("GET", "/api/admin/conversations?phone=%2B33600000042")?
        .json()?;
    assert_eq!(exported["conversations"].as_array().map(Vec::len), Some(2));

    // The agent erases their data.
    let erased = messages(&server.sms(phone, "SUPPRIMER")?).join("\n");
    assert!(
        erased.starts_with("2 conversation(s) supprimée(s)"),
        "{erased}"
    );
    let exported = server
        .admin("GET", "/api/admin/conversations?phone=%2B33600000042")?
        .json()?;
    assert_eq!(exported["conversations"], json!([]));

    let r = server.request(
        "POST",
        &format!("/api/sms?token={SMS_TOKEN}"),
        &[],
        b"Body=sans+numero",
    )?;
    r.error(400, "bad_form")?;
    assert!(
        !server.log().contains("33600000042"),
        "no phone number in the logs"
    );
    Ok(())
}

#[test]
fn admin_routes_need_the_token_and_show_stats_export_delete_purge() -> Result {
    let dir = scratch("admin")?;
    let db = dir.join("g.db");
    let mut options = Options::new(rules(), &db);
    options.admin = false;
    let server = Server::start(&options)?;
    server.get("/api/stats")?.error(403, "admin_disabled")?;
    server.get("/admin")?.error(403, "admin_disabled")?;
    drop(server);

    let server = Server::start(&Options::new(rules(), &db))?;
    let r = server.get("/api/stats")?;
    r.error(401, "unauthorized")?;
    // A browser without the token gets the login page (not the browser's password prompt).
    let r = server.get("/admin")?;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").is_none());
    assert!(r
        .body
        .contains("<form class=\"login\" method=\"post\" action=\"/admin/connexion\">"));
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let wrong = server.request("POST", "/admin/connexion", &form, b"jeton=faux")?;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("Ce jeton n&#39;est pas le bon"),
        "{}",
        wrong.body
    );
    assert!(wrong.header("set-cookie").is_none());
    // A login posted from another site is refused (a third-party page cannot log the browser in).
    let cross = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    server
        .request("POST", "/admin/connexion", &cross, b"jeton=jeton-de-test")?
        .error(403, "cross_site")?;
    server
        .request(
            "GET",
            "/api/stats",
            &[("Authorization", "Bearer faux")],
            b"",
        )?
        .error(401, "unauthorized")?;

    let (answered, _) = server.create("conges_annuels")?;
    server.step(&answered, "titulaire")?;
    server.step(&answered, "5")?;
    server.post(
        &format!("/api/sessions/{answered}/feedback"),
        &json!({ "helpful": false }),
    )?;
    let (handed, _) = server.create("rtt")?;
    server.step(&handed, "personne")?;
    server.create("rtt")?;

    let stats = server.admin("GET", "/api/stats")?.json()?;
    assert_eq!(stats["conversations"], 3);
    assert_eq!(stats["per_topic"], json!({ "conges_annuels": 1, "rtt": 2 }));
    assert_eq!(stats["per_day"].as_object().map(|d| d.len()), Some(1));
    assert_eq!(
        stats["outcomes"],
        json!({ "answered": 1, "handed_off": 1, "abandoned": 0, "in_progress": 1 })
    );
    assert_eq!(stats["answer_rate"], 0.5);
    assert_eq!(stats["helpful_rate"], 0.0);
    assert_eq!(stats["unmatched"], json!([]));

    // A browser gives the token as the Basic password.
    let page = server.request(
        "GET",
        "/admin",
        &[("Authorization", "Basic YWRtaW46amV0b24tZGUtdGVzdA==")],
        b"",
    )?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .body
        .contains("Mes congés annuels : combien de jours ?"));
    assert!(page.body.contains("50 %"));

    let exported = server
        .admin(
            "GET",
            &format!("/api/admin/conversations?session={answered}"),
        )?
        .json()?;
    let conversation = &exported["conversations"][0];
    assert_eq!(conversation["id"], answered.as_str());
    assert_eq!(conversation["transcript"].as_array().map(Vec::len), Some(5));
    server
        .admin("GET", "/api/admin/conversations")?
        .error(400, "bad_request")?;
    let deleted = server
        .admin(
            "DELETE",
            &format!("/api/admin/conversations?session={answered}"),
        )?
        .json()?;
    assert_eq!(deleted["deleted"], 1);
    server
        .get(&format!("/api/sessions/{answered}"))?
        .error(404, "unknown_session")?;
    drop(server);

    // Retention: with 0 days, everything not touched in this second goes.
    let mut options = Options::new(rules(), &db);
    options.retention_days = 0;
    let server = Server::start(&options)?;
    std::thread::sleep(Duration::from_millis(1100));
    let purged = server.admin("POST", "/api/admin/purge")?.json()?;
    assert_eq!(purged["retention_days"], 0);
    server
        .get(&format!("/api/sessions/{handed}"))?
        .error(404, "unknown_session")?;
    assert_eq!(
        server.admin("GET", "/api/stats")?.json()?["conversations"],
        0
    );
    Ok(())
}

#[test]
fn logs_hold_one_line_per_request_and_no_personal_data() -> Result {
    let dir = scratch("logs")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let r = server.post(
        "/api/sessions",
        &json!({ "topic": "conges_annuels", "profile": { "statut": "contractuel" } }),
    )?;
    let id = str_of(&r.json()?["id"]);
    server.reply(&id, "valeur-secrète-4242")?;
    server.step(&id, "4")?;
    // The log is collected by a background thread: wait until the last request's line is in.
    server.wait_for("the log line of the last reply", |s| {
        Ok(s.log().contains("POST /api/sessions/{id}/replies 200"))
    })?;
    let log = server.log();
    for secret in [
        id.as_str(),
        "contractuel",
        "valeur-secrète-4242",
        "20 jours",
    ] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
    assert!(log.contains("POST /api/sessions 201"), "{log}");
    assert!(log.contains("POST /api/sessions/{id}/replies 422"), "{log}");
    assert!(log.contains("POST /api/sessions/{id}/replies 200"), "{log}");
    Ok(())
}

#[test]
fn a_free_text_question_starts_a_topic_offers_a_choice_or_is_handed_off() -> Result {
    let dir = scratch("question")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let question = "je suis contractuelle, combien de congés ?";

    // Confident: the topic starts, the fact the question names is not asked.
    let r = server.post("/api/sessions", &json!({ "question": question }))?;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json()?;
    let id = str_of(&created["id"]);
    assert_eq!(id.len(), 32);
    assert_eq!(created["topic"], "conges_annuels");
    let routed = &created["routed"];
    assert_eq!(routed["type"], "routed");
    assert_eq!(routed["question"], question);
    assert_eq!(routed["outcome"], "confident");
    assert!(routed["score"].as_f64().is_some_and(|s| s >= 0.5));
    assert_eq!(routed["topics"][0]["id"], "conges_annuels");
    assert_eq!(routed["extracted"][0]["fact"], "statut");
    assert_eq!(routed["extracted"][0]["value"], "contractuel");
    assert_eq!(created["step"]["fact"], "jours_par_semaine");
    let handoff = server.step(&id, "personne")?;
    assert_eq!(
        handoff["facts"],
        json!([{ "fact": "statut", "question": "Quel est votre statut ?",
                 "value": "Agent contractuel de droit public (CDD ou CDI)", "provenance": "extracted" }])
    );
    let shown = server.get(&format!("/api/sessions/{id}"))?.json()?;
    assert_eq!(
        shown["transcript"][0],
        json!({ "at": shown["created_at"], "who": "agent", "text": question }),
        "the question opens the transcript"
    );

    // The profile wins over the question.
    let r = server.post(
        "/api/sessions",
        &json!({ "question": question, "profile": { "statut": "titulaire" } }),
    )?;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = str_of(&r.json()?["id"]);
    let handoff = server.step(&id, "personne")?;
    assert_eq!(handoff["facts"][0]["provenance"], "profile");
    assert_eq!(handoff["facts"][0]["value"], "Fonctionnaire titulaire");

    // Ambiguous: the likely topics and « autre », no conversation created.
    let ambiguous = "nb de rtt et de ca par an";
    let r = server.post("/api/sessions", &json!({ "question": ambiguous }))?;
    assert_eq!(r.status, 200, "{}", r.body);
    let offered = r.json()?;
    assert!(offered.get("id").is_none());
    assert_eq!(offered["routed"]["outcome"], "ambiguous");
    let step = &offered["step"];
    assert_eq!(step["type"], "ask");
    assert_eq!(step["fact"], "topic");
    let values: Vec<String> = step["options"]
        .as_array()
        .ok_or("no options")?
        .iter()
        .map(|o| str_of(&o["value"]))
        .collect();
    assert_eq!(values, ["conges_annuels", "rtt", "autre"]);
    // The agent picks a topic: it starts.
    let r = server.post(
        "/api/sessions",
        &json!({ "topic": "rtt", "question": ambiguous }),
    )?;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()?["topic"], "rtt");

    // No match: hand-off to the fallback contact, the question recorded (also after « autre »).
    let unmatched = "chèques vacances";
    for body in [
        json!({ "question": unmatched }),
        json!({ "question": "  Chèques   vacances ?" }),
        json!({ "topic": "autre", "question": ambiguous }),
    ] {
        let r = server.post("/api/sessions", &body)?;
        assert_eq!(r.status, 200, "{}", r.body);
        let handed = r.json()?;
        assert!(handed.get("id").is_none());
        assert_eq!(handed["step"]["type"], "handoff");
        assert_eq!(handed["step"]["contact"]["id"], "drh");
        assert!(str_of(&handed["step"]["message"]).contains("Votre question :"));
    }
    let r = server.post("/api/sessions", &json!({ "question": unmatched }))?;
    assert_eq!(r.json()?["routed"]["outcome"], "none");
    assert_eq!(r.json()?["routed"]["fallback"], "drh");

    // Nothing to route: the menu, nothing recorded.
    let r = server.post("/api/sessions", &json!({ "question": "Bonjour !" }))?;
    assert_eq!(r.status, 200, "{}", r.body);
    let menu = r.json()?;
    assert_eq!(menu["step"]["fact"], "topic");
    assert_eq!(menu["step"]["options"].as_array().map(Vec::len), Some(30));

    let stats = server.admin("GET", "/api/stats")?.json()?;
    assert_eq!(
        stats["unmatched"],
        json!([{ "question": "chèques vacances", "count": 3 },
               { "question": "nb de rtt et de ca par an", "count": 1 }])
    );
    let admin = server.request(
        "GET",
        "/admin",
        &[("Authorization", "Basic YWRtaW46amV0b24tZGUtdGVzdA==")],
        b"",
    )?;
    assert!(admin
        .body
        .contains("<th scope=\"row\">chèques vacances</th><td>3</td>"));

    // The login page's token, kept in a cookie, opens the page and the CSV of unmatched questions.
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let login = server.request("POST", "/admin/connexion", &form, b"jeton=jeton-de-test")?;
    assert_eq!(login.status, 303);
    assert_eq!(login.header("location"), Some("/admin"));
    let cookie = login.header("set-cookie").ok_or("no cookie")?.to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap_or_default().to_string();
    let page = server.request("GET", "/admin?days=7", &[("Cookie", &cookie)], b"")?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .body
        .contains("Période affichée : les 7 derniers jours"));
    assert!(page.body.contains("<svg class=\"chart\""));
    let csv = server.request("GET", "/admin/questions.csv", &[("Cookie", &cookie)], b"")?;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.body.trim_start_matches('\u{feff}'),
        "question;fois\nchèques vacances;3\nnb de rtt et de ca par an;1\n"
    );
    let out = server.request("POST", "/admin/deconnexion", &[("Cookie", &cookie)], b"")?;
    assert!(out
        .header("set-cookie")
        .is_some_and(|c| c.contains("Max-Age=0")));

    // Refused questions: the usual error objects, never a 500.
    let json_header = [("Content-Type", "application/json")];
    for (body, status, code) in [
        (json!({ "question": "" }), 422, "empty"),
        (json!({ "question": " ?! " }), 422, "empty"),
        (json!({ "question": "x".repeat(2001) }), 422, "too_long"),
        (json!({ "question": 42 }), 400, "bad_request"),
        (json!({}), 400, "bad_request"),
        (
            json!({ "question": "congés", "profile": { "statut": "astronaute" } }),
            422,
            "bad_profile",
        ),
        (
            json!({ "topic": "rtx", "question": "congés" }),
            422,
            "unknown_topic",
        ),
    ] {
        server.post("/api/sessions", &body)?.error(status, code)?;
    }
    let big = format!("{{\"question\": \"{}\"}}", "x ".repeat(40 * 1024));
    server
        .request("POST", "/api/sessions", &json_header, big.as_bytes())?
        .error(413, "too_large")?;
    let log = server.log();
    assert!(!log.contains(" 500 "), "{log}");
    for secret in ["contractuelle", "chèques", "rtt par an"] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
    Ok(())
}

#[test]
fn a_first_sms_that_is_not_a_topic_number_is_routed() -> Result {
    let dir = scratch("sms-question")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;

    // Confident: the topic starts without asking what the question said.
    let started =
        messages(&server.sms("+33600000051", "je suis contractuelle, combien de congés ?")?)
            .join("\n");
    assert!(
        started.starts_with("Sujet : Mes congés annuels : combien de jours ?"),
        "{started}"
    );
    assert!(started.contains("par semaine"), "{started}");
    // What the question stated is shown, with the one reply that corrects it; it is not asked.
    assert!(
        started.contains("J'ai compris : Quel est votre statut ? Agent contractuel de droit public (CDD ou CDI) (tiré de votre question). Si ce n'est pas le cas, répondez \"corriger\"."),
        "{started}"
    );
    assert!(!started.contains("Fonctionnaire titulaire"), "{started}");
    // « corriger » forgets it and replays the walk: the statut is asked.
    let corrected = messages(&server.sms("+33600000051", "corriger")?).join("\n");
    assert!(
        corrected.starts_with("Quel est votre statut ?\n1. Fonctionnaire titulaire"),
        "{corrected}"
    );

    // Ambiguous: a numbered choice; the number picks among the offer, not the menu.
    let phone = "+33600000052";
    let offer = messages(&server.sms(phone, "nb de rtt et de ca par an")?).join("\n");
    assert!(
        offer.contains(
            "1. Mes congés annuels : combien de jours ?\n2. Mes jours de RTT\n3. Autre chose"
        ),
        "{offer}"
    );
    let chosen = messages(&server.sms(phone, "2")?).join("\n");
    assert!(chosen.starts_with("Sujet : Mes jours de RTT"), "{chosen}");
    // « Autre chose » hands the question off.
    let other = "+33600000053";
    messages(&server.sms(other, "nb de rtt et de ca par an")?);
    let handed = messages(&server.sms(other, "3")?).join("\n");
    assert!(handed.contains("Je vous oriente vers la direction des ressources humaines"));

    // No match: the hand-off (no feedback question: there is no conversation), recorded.
    let phone = "+33600000054";
    let handed = messages(&server.sms(phone, "chèques vacances")?).join("\n");
    assert!(
        handed.starts_with("Je vous oriente vers la direction des ressources humaines"),
        "{handed}"
    );
    assert!(handed.contains("chèques vacances") && handed.contains("02 00 00 40 00"));
    assert!(!handed.contains("Répondez OUI ou NON"), "{handed}");
    // A greeting still gets the menu.
    let menu = messages(&server.sms(phone, "Bonjour")?).join("\n");
    assert!(menu.contains("12. Mes congés annuels"), "{menu}");

    let stats = server.admin("GET", "/api/stats")?.json()?;
    assert_eq!(
        stats["unmatched"],
        json!([{ "question": "chèques vacances", "count": 1 },
               { "question": "nb de rtt et de ca par an", "count": 1 }])
    );
    // The number's questions are exported and erased with its conversations.
    let exported = server
        .admin("GET", "/api/admin/conversations?phone=%2B33600000054")?
        .json()?;
    assert_eq!(exported["questions"][0]["question"], "chèques vacances");
    messages(&server.sms(phone, "SUPPRIMER")?);
    let stats = server.admin("GET", "/api/stats")?.json()?;
    assert_eq!(
        stats["unmatched"],
        json!([{ "question": "nb de rtt et de ca par an", "count": 1 }])
    );
    assert!(!server.log().contains("chèques"));
    Ok(())
}

/// The outcome and first topic of routing `question` as a web first message.
fn routed(server: &Server, question: &str) -> Result<(String, String)> {
    let r = server.post("/api/sessions", &json!({ "question": question }))?;
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    let routed = r.json()?["routed"].clone();
    Ok((
        str_of(&routed["outcome"]),
        str_of(&routed["topics"][0]["id"]),
    ))
}

#[test]
fn hr_assigns_unmatched_and_ambiguous_questions_and_routing_learns_at_once() -> Result {
    let dir = scratch("learning")?;
    let db = dir.join("g.db");
    let server = Server::start(&Options::new(rules(), &db))?;
    let unmatched = "le chèque cadeau de noël arrive quand ?";
    let ambiguous = "droit a conges a temps partiel";
    assert_eq!(routed(&server, unmatched)?.0, "none");
    assert_eq!(routed(&server, ambiguous)?.0, "ambiguous");

    // Both are listed for HR, with the router's suggestions.
    let review = server.admin("GET", "/api/admin/review")?.json()?;
    let listed: Vec<(String, String)> = review["questions"]
        .as_array()
        .ok_or("questions")?
        .iter()
        .map(|q| (str_of(&q["question"]), str_of(&q["kind"])))
        .collect();
    assert!(
        listed.contains(&(unmatched.into(), "unmatched".into())),
        "{listed:?}"
    );
    assert!(
        listed.contains(&(ambiguous.into(), "ambiguous".into())),
        "{listed:?}"
    );
    let page = server.request(
        "GET",
        "/admin",
        &[("Authorization", &format!("Basic {}", basic("rh", ADMIN)))],
        b"",
    )?;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Questions à affecter"), "{}", page.body);
    assert!(
        page.body.contains("cadeau de noël arrive quand ?"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"-\">Hors sujet</button>"));

    // One click on the page: a form post. From another site it is refused.
    let form = |topic: &str, question: &str, site: &str| -> Result<Response> {
        let body = format!("question={}&topic={}", encode(question), encode(topic));
        server.request(
            "POST",
            "/admin/assign",
            &[
                ("Authorization", &format!("Basic {}", basic("rh", ADMIN))),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Sec-Fetch-Site", site),
            ],
            body.as_bytes(),
        )
    };
    form("fiche_paie", unmatched, "cross-site")?.error(403, "cross_site")?;
    let r = form("fiche_paie", unmatched, "same-origin")?;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/admin#a-affecter"));
    // « Hors sujet » through the JSON route; an unknown topic is refused.
    let assign = |body: &Value| {
        let bearer = format!("Bearer {ADMIN}");
        server.request(
            "POST",
            "/api/admin/assign",
            &[
                ("Authorization", &bearer),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    };
    assign(&json!({ "question": ambiguous, "topic": "nope" }))?.error(400, "unknown_topic")?;
    assert_eq!(
        assign(&json!({ "question": ambiguous, "topic": null }))?.status,
        200
    );

    // Routing learned at once: the same question, and another spelling of it.
    assert_eq!(
        routed(&server, unmatched)?,
        ("confident".into(), "fiche_paie".into())
    );
    assert_eq!(
        routed(&server, "cheque cadeau de noel il arrive quand")?,
        ("confident".into(), "fiche_paie".into())
    );
    assert_eq!(routed(&server, ambiguous)?.0, "none");
    // Assigned questions leave the list.
    let review = server.admin("GET", "/api/admin/review")?.json()?;
    assert!(!review.to_string().contains("cadeau"), "{review}");

    // After a restart, the router still knows them.
    server.kill()?;
    let server = Server::start(&Options::new(rules(), &db))?;
    assert_eq!(
        routed(&server, unmatched)?,
        ("confident".into(), "fiche_paie".into())
    );
    drop(server);

    // `guichet examples export` writes them as rule text.
    let out = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["examples", "export", "--db"])
        .arg(&db)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    assert!(
        text.contains(&format!("// topic fiche_paie\nexamples \"{unmatched}\"")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "lexicon \"hors sujet\"\n  examples \"{ambiguous}\""
        )),
        "{text}"
    );
    Ok(())
}

/// HTTP Basic credentials.
fn basic(user: &str, password: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Issue 11 over HTTP: the first step shows what the question stated
/// (`understood`), « corriger » forgets it and replays the walk, an answer
/// says which facts it assumed (`note`), and a conversation started `after`
/// another takes its facts (provenance `earlier`). The transcript keeps what
/// each step says about assumed facts (answers' texts are the fixture's).
#[test]
fn facts_from_the_question_are_shown_corrected_and_carried_to_the_next_topic() -> Result {
    let dir = scratch("understood")?;
    let rules = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/extraction"
    ));
    let server = Server::start(&Options::new(rules, &dir.join("g.db")))?;
    let mut transcript = Vec::new();
    let mut keep = |sent: &str, step: &Value| {
        let mut kept = json!({ "sent": sent, "type": step["type"] });
        for key in ["fact", "understood", "text", "note", "assumed"] {
            if !step[key].is_null() {
                kept[key] = step[key].clone();
            }
        }
        transcript.push(kept);
    };

    let question = "je suis contractuelle, combien de congés ?";
    let r = server.post("/api/sessions", &json!({ "question": question }))?;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json()?;
    let first = str_of(&created["id"]);
    keep(question, &created["step"]);
    for text in ["corriger", "titulaire", "4"] {
        keep(text, &server.step(&first, text)?);
    }
    // « corriger » with nothing assumed any more: refused, nothing changes.
    server
        .reply(&first, "corriger")?
        .error(409, "nothing_to_correct")?;

    // The next topic, after the first: statut is not asked again.
    let question = "combien de jours de RTT ?";
    let r = server.post(
        "/api/sessions",
        &json!({ "question": question, "after": first }),
    )?;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json()?;
    let second = str_of(&created["id"]);
    keep(question, &created["step"]);
    keep("corriger", &server.step(&second, "corriger")?);
    keep("contractuel", &server.step(&second, "contractuel")?);

    // An unknown conversation to continue is an error, not a fresh start.
    server
        .post(
            "/api/sessions",
            &json!({ "question": question, "after": "0".repeat(32) }),
        )?
        .error(404, "unknown_session")?;
    insta::assert_snapshot!(serde_json::to_string_pretty(&transcript)?);
    Ok(())
}

/// By SMS, the number's next topic takes what the previous one knows, shown
/// with « corriger » before its first question (or with its answer).
#[test]
fn an_sms_topic_takes_the_facts_of_the_numbers_previous_one() -> Result {
    let dir = scratch("sms-continuity")?;
    let rules = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/extraction"
    ));
    let server = Server::start(&Options::new(rules, &dir.join("g.db")))?;
    let phone = "+33600000077";
    let first = messages(&server.sms(phone, "je suis en CDD, combien de congés ?")?).join("\n");
    assert!(
        first.contains(
            "J'ai compris : Quel est votre statut ? Agent contractuel (tiré de votre question)"
        ),
        "{first}"
    );
    let answer = messages(&server.sms(phone, "5")?).join("\n");
    assert!(answer.contains("Contractuel : 25 jours"), "{answer}");
    let next = messages(&server.sms(phone, "et mes jours de RTT ?")?).join("\n");
    assert!(next.contains("Contractuel : vos RTT"), "{next}");
    assert!(
        next.contains(
            "Quel est votre statut ? Agent contractuel (répondu plus tôt dans la conversation)"
        ),
        "{next}"
    );
    // Another number starts afresh.
    let other = messages(&server.sms("+33600000078", "combien de jours de RTT ?")?).join("\n");
    assert!(
        other.contains("Quel est votre statut ?\n1. Fonctionnaire titulaire"),
        "{other}"
    );
    Ok(())
}

/// A bare number by SMS picks from the numbered list the number's last message showed, never
/// from a menu no longer on the phone's screen (found in the trial, docs/trials/2026-11-29.md).
#[test]
fn an_sms_number_is_a_menu_choice_only_right_after_the_menu() -> Result {
    let dir = scratch("sms-number")?;
    let server = Server::start(&Options::new(rules(), &dir.join("g.db")))?;
    let phone = "+33600000090";
    let conversations = || server.sms_conversations(phone);
    let mut exchange = Vec::new();
    let mut send = |body: &str| -> Result<String> {
        let received = messages(&server.sms(phone, body)?).join("\n");
        exchange.push(format!(">>> {body}\n{received}"));
        Ok(received)
    };

    // A first message « 7 »: no list was sent, so it is asked again, with the menu.
    let asked = send("7")?;
    assert!(
        asked.starts_with("Ce numéro ne correspond à aucune liste envoyée")
            && asked.contains("12. Mes congés annuels : combien de jours ?"),
        "{asked}"
    );
    assert_eq!(conversations()?, Some(0));
    // Now the menu is on the phone: « 12 » is its topic.
    let question = send("12")?;
    assert!(question.contains("Quel est votre statut ?"), "{question}");
    send("1")?;
    let answer = send("5")?;
    assert!(answer.contains("25 jours de congés annuels"), "{answer}");

    // After the answer, « 2 » is not the second topic of the menu sent three messages ago.
    let asked = send("2")?;
    assert!(
        asked.starts_with("Ce numéro ne correspond à aucune liste envoyée"),
        "{asked}"
    );
    assert_eq!(conversations()?, Some(1));
    // The menu sent with that message makes the next number a choice.
    let question = send("16")?;
    assert!(question.contains("statut"), "{question}");
    assert_eq!(conversations()?, Some(2));

    // A number out of the menu shown: asked again, with the menu.
    send("SUPPRIMER")?;
    send("Bonjour")?;
    let asked = send("99")?;
    assert!(
        asked.starts_with("Il n'y a pas de choix \"99\"") && asked.contains("12. Mes congés"),
        "{asked}"
    );
    assert!(send("12")?.contains("Quel est votre statut ?"));

    // A number out of the topics offered: the offer again, still waiting.
    send("SUPPRIMER")?;
    send("nb de rtt et de ca par an")?;
    let asked = send("7")?;
    assert!(
        asked.starts_with("Il n'y a pas de choix \"7\"")
            && asked.contains(
                "1. Mes congés annuels : combien de jours ?\n2. Mes jours de RTT\n3. Autre chose"
            ),
        "{asked}"
    );
    let chosen = send("2")?;
    assert!(chosen.starts_with("Sujet : Mes jours de RTT"), "{chosen}");

    // After a hand-off (no list on the phone), a number starts nothing.
    send("SUPPRIMER")?;
    send("Bonjour")?;
    let handed = send("chèques vacances")?;
    assert!(handed.starts_with("Je vous oriente"), "{handed}");
    let asked = send("3")?;
    assert!(
        asked.starts_with("Ce numéro ne correspond à aucune liste envoyée"),
        "{asked}"
    );
    assert_eq!(conversations()?, Some(0));
    // A topic's exact title needs no list.
    let question = send("Mes congés annuels : combien de jours ?")?;
    assert!(question.contains("Quel est votre statut ?"), "{question}");
    insta::assert_snapshot!(exchange.join("\n\n"));
    Ok(())
}

/// A numbered list on the phone outlives a rules reload while every topic of
/// it still exists: the number picks what the agent saw. Once a reload took
/// one away, the number picks nothing and the new menu is sent, saying why.
/// The exchange is kept as a snapshot (re-asks included).
#[test]
fn an_sms_list_outlives_a_reload_only_while_its_topics_exist() -> Result {
    let dir = scratch("sms-reload")?;
    let rules = copy_rules(&dir)?;
    let db = dir.join("g.db");
    let mut options = Options::new(&rules, &db);
    options.watch_ms = 100;
    let server = Server::start(&options)?;
    let phone = "+33600000091";
    let mut exchange = Vec::new();
    let mut send = |body: &str| -> Result<String> {
        let received = messages(&server.sms(phone, body)?).join("\n---\n");
        exchange.push(format!(">>> {body}\n{received}"));
        Ok(received)
    };

    // Two topics offered, then a reload that changes texts only: « 2 » is still RTT.
    let offered = send("nb de rtt et de ca par an")?;
    assert!(offered.contains("2. Mes jours de RTT"), "{offered}");
    let first = server.version()?;
    edit_rules(&rules, "par année civile", "par année civile (modifié)")?;
    server.wait_for("the changed texts", |s| Ok(s.version()? != first))?;
    let chosen = send("2")?;
    assert!(chosen.starts_with("Sujet : Mes jours de RTT"), "{chosen}");

    // The menu on the phone, then a reload without the retirement topic: the menu's
    // numbers no longer hold, so « 12 » picks nothing and the new menu is sent.
    send("SUPPRIMER")?;
    let menu = send("Bonjour")?;
    assert!(menu.contains("retraite"), "{menu}");
    let second = server.version()?;
    std::fs::remove_file(rules.join("retraite.guichet"))?;
    server.wait_for("the topic removed", |s| Ok(s.version()? != second))?;
    let asked = send("12")?;
    assert!(
        asked.starts_with("Les sujets ont été mis à jour depuis la liste envoyée"),
        "{asked}"
    );
    assert!(!asked.contains("retraite"), "{asked}");
    assert_eq!(server.sms_conversations(phone)?, Some(0));
    // The new menu is on the phone now: its numbers pick.
    let question = send("12")?;
    assert!(!question.contains("mis à jour"), "{question}");
    assert_eq!(server.sms_conversations(phone)?, Some(1));
    insta::assert_snapshot!(exchange.join("\n\n"));
    Ok(())
}
