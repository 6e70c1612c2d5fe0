//! Wire objects: steps as JSON, shared by `chat --json` and the HTTP API.
//!
//! Every object has a `type`: `ask`, `answer`, `handoff` or `error`. The
//! format is documented in docs/protocol.md; change both together. Trails
//! name rule locations as `file:line:column` (for developers); `why` is the
//! plain explanation agents read (`engine/explain.rs`).

use crate::compile::program::Program;
use crate::engine::session::{ChoiceOption, GatheredFact, Handoff, Question, Step, TrailEntry};
use crate::engine::understood;
use crate::engine::{Session, SessionError};
use serde_json::{json, Map, Value};

pub fn step(program: &Program, step: &Step) -> Value {
    match step {
        Step::Ask(q) => ask(q),
        Step::Answer(a) => {
            let mut answer = json!({
                "type": "answer",
                "text": a.text,
                "sources": a.sources,
                "trail": trail(program, &a.trail),
            });
            if let Some(note) = understood::depends_on(&a.assumed) {
                answer["assumed"] = json!(a.assumed);
                answer["note"] = json!(note);
            }
            answer
        }
        Step::Handoff(h) => handoff(program, h),
    }
}

/// A step with its plain explanation (`why`) when it ends the conversation.
pub fn explained(program: &Program, session: &Session, s: &Step) -> Value {
    let mut object = step(program, s);
    if !matches!(s, Step::Ask(_)) {
        object["why"] = why(program, session);
    }
    object
}

/// The plain explanation of a session: `text` (one paragraph a line), `facts`, `rule`, `sources`.
pub fn why(program: &Program, session: &Session) -> Value {
    let explanation = session.explain(program);
    json!({
        "text": explanation.text(),
        "facts": explanation.facts.iter().map(|f| json!({
            "question": f.question, "value": f.value, "provenance": f.provenance,
        })).collect::<Vec<_>>(),
        "rule": explanation.rule,
        "sources": explanation.sources,
    })
}

/// The `understood` member of a conversation's first step: the facts taken
/// from the question or an earlier topic, and the sentence that shows them
/// with the reply that corrects them (« corriger »); `None` when there are none.
pub fn understood(assumed: &[GatheredFact]) -> Option<Value> {
    understood::understood(assumed).map(|message| json!({ "message": message, "facts": assumed }))
}

pub fn ask(q: &Question) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), json!("ask"));
    object.insert("fact".into(), json!(q.fact));
    object.insert("prompt".into(), json!(q.prompt));
    object.insert("kind".into(), json!(q.kind));
    let options: Vec<ChoiceOption> = q.options().collect();
    if !options.is_empty() {
        object.insert("options".into(), json!(options));
    }
    if let Some(min) = q.min {
        object.insert("min".into(), json!(min));
    }
    if let Some(max) = q.max {
        object.insert("max".into(), json!(max));
    }
    if let Some(unit) = &q.unit {
        object.insert("unit".into(), json!(unit));
    }
    if let Some(help) = &q.help {
        object.insert("help".into(), json!(help));
    }
    Value::Object(object)
}

fn handoff(program: &Program, h: &Handoff) -> Value {
    let channels: Map<String, Value> = h
        .contact
        .channels
        .iter()
        .map(|(kind, text)| {
            (
                serde_json::to_value(kind)
                    .ok()
                    .and_then(|k| k.as_str().map(String::from))
                    .unwrap_or_default(),
                json!(text),
            )
        })
        .collect();
    let mut object = json!({
        "type": "handoff",
        "contact": { "id": h.contact.id, "label": h.contact.label, "channels": channels },
        "message": h.message,
        "facts": h.gathered,
        "trail": trail(program, &h.trail),
    });
    let assumed: Vec<GatheredFact> = h
        .gathered
        .iter()
        .filter(|g| g.provenance.is_assumed())
        .cloned()
        .collect();
    if let Some(note) = understood::depends_on(&assumed) {
        object["note"] = json!(note);
    }
    object
}

pub fn trail(program: &Program, entries: &[TrailEntry]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|e| {
                json!({
                    "location": location(program, e),
                    "what": e.what,
                })
            })
            .collect(),
    )
}

/// `file:line:column` of a trail entry, or "" for an entry with no place in the rules.
pub fn location(program: &Program, e: &TrailEntry) -> String {
    if e.span.file.0 as usize >= program.sources.files().count() {
        return String::new();
    }
    program.sources.location(e.span)
}

pub fn error(code: &str, message: &str) -> Value {
    json!({ "type": "error", "code": code, "message": message })
}

pub fn session_error(e: &SessionError) -> Value {
    error(e.code(), &e.message())
}
