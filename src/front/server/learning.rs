//! The learning loop of routing (issue 11 §3): HR sees the questions no
//! topic matched and those offered a choice, assigns each to a topic or
//! marks it « hors sujet » in one click, and the router of the rules served
//! now learns it at once (as one more example of that topic, or of no
//! topic). `guichet examples export` writes the assignments as `examples`
//! lines for the rule files.
//!
//! Routes (admin token as for `stats.rs`): `GET /api/admin/review` (the
//! questions to assign, with the router's suggestions), `POST
//! /api/admin/assign` (JSON `{"question": …, "topic": "rtt" | null}`), and
//! `POST /admin/assign`, the same from the admin page's form (answered with
//! a redirection to `/admin`; refused from another site's page by
//! `security::admin_guard`). The admin page shows [`section`].

use super::api::{blocking, ApiError, ApiResult};
use super::page::escape_html;
use super::stats::authorize;
use super::store::{Assignment, ToReview};
use super::App;
use crate::compile::program::Program;
use crate::route::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::{json, Value};

/// The value of the « hors sujet » button of the admin page's form.
const OFF_TOPIC: &str = "-";
/// Questions listed for review: the most frequent of the last 30 days.
const REVIEW_DAYS: i64 = 30;
const REVIEW_LIMIT: usize = 30;

/// The assignments as routers learn them: (topic, question).
pub fn learned(assignments: Vec<Assignment>) -> Vec<(Option<String>, String)> {
    assignments
        .into_iter()
        .map(|a| (a.topic, a.question))
        .collect()
}

/// The questions to assign, each with the topics the router would suggest now.
fn to_review(app: &App) -> ApiResult<Vec<ToReview>> {
    let since = app.now() - REVIEW_DAYS * 24 * 3600;
    Ok(app.store.to_review(since, REVIEW_LIMIT)?)
}

/// The ids of the (at most 3) topics the router ranks first for `question`.
fn suggestions(program: &Program, router: &Router, question: &str) -> Vec<String> {
    router
        .route(question)
        .ranking
        .iter()
        .take(3)
        .map(|c| program.topic(c.topic).name.clone())
        .collect()
}

/// `GET /api/admin/review`.
pub async fn review(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    authorize(&app, &headers, false)?;
    blocking(move || {
        let served = app.rules.served();
        let questions: Vec<Value> = to_review(&app)?
            .into_iter()
            .map(|q| {
                let suggested = suggestions(&served.program, &served.router, &q.question);
                json!({ "question": q.question, "kind": q.kind, "count": q.count, "suggested": suggested })
            })
            .collect();
        Ok(Json(json!({ "rules": served.program.version, "questions": questions })))
    })
    .await
}

#[derive(Deserialize)]
pub struct Assign {
    question: String,
    /// A topic id; `None` (JSON `null`) for « hors sujet ».
    topic: Option<String>,
}

/// Stores an assignment and has the router learn it; the topic's id, `None` for « hors sujet ».
pub(super) fn store_assignment(app: &App, question: &str, topic: Option<&str>) -> ApiResult<()> {
    let question = question.trim();
    if question.is_empty() || question.chars().count() > 500 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "La question doit faire entre 1 et 500 caractères.",
        ));
    }
    let program = app.rules.current();
    if let Some(topic) = topic {
        if program.topic_named(topic).is_none() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "unknown_topic",
                format!("Sujet inconnu : « {topic} »."),
            ));
        }
    }
    app.store
        .assign(question, topic, &program.version, app.now())?;
    app.rules.learn(learned(app.store.assignments()?));
    Ok(())
}

/// `POST /api/admin/assign`.
pub async fn assign(
    State(app): State<App>,
    headers: HeaderMap,
    Json(body): Json<Assign>,
) -> ApiResult<Json<Value>> {
    authorize(&app, &headers, false)?;
    blocking(move || {
        store_assignment(&app, &body.question, body.topic.as_deref())?;
        Ok(Json(
            json!({ "question": body.question.trim(), "topic": body.topic }),
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct AssignForm {
    question: String,
    /// A topic id, or [`OFF_TOPIC`].
    topic: String,
}

/// `POST /admin/assign`: the admin page's buttons. A post from another site's page (the
/// browser would send the remembered password with it) is refused before it gets here
/// (`security::admin_guard`).
pub async fn assign_form(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<AssignForm>,
) -> Response {
    if let Err(e) = authorize(&app, &headers, true) {
        return e.into_response();
    }
    let topic = (form.topic != OFF_TOPIC).then_some(form.topic);
    match blocking(move || store_assignment(&app, &form.question, topic.as_deref())).await {
        Ok(()) => Redirect::to("/admin#a-affecter").into_response(),
        Err(e) => e.into_response(),
    }
}

/// The admin page's section: the questions to assign, one form each.
pub fn section(app: &App) -> ApiResult<String> {
    let served = app.rules.served();
    let program = &served.program;
    let questions = to_review(app)?;
    let mut out = String::from(
        r#"<section id="a-affecter" class="learning"><h2>Questions à affecter</h2>
<p class="note">Questions des 30 derniers jours qu'aucun sujet n'a reconnues (« sans sujet ») ou pour lesquelles plusieurs sujets ont été proposés (« hésitation »). Un clic sur un sujet l'affecte : le routage s'en sert aussitôt pour les questions semblables. « Hors sujet » apprend au routage à transmettre ces questions. <code>guichet examples export</code> écrit les questions affectées en lignes <code>examples</code> à coller dans les règles.</p>
"#,
    );
    if questions.is_empty() {
        out.push_str("<p>Aucune question à affecter.</p></section>");
        return Ok(out);
    }
    out.push_str("<ul class=\"review\">");
    for q in questions {
        let kind = if q.kind == "ambiguous" {
            "hésitation"
        } else {
            "sans sujet"
        };
        let question = escape_html(&q.question);
        out.push_str(&format!(
            "<li><form method=\"post\" action=\"/admin/assign\"><p><q>{question}</q> <small>({kind}, {} fois)</small></p>\
             <input type=\"hidden\" name=\"question\" value=\"{question}\">",
            q.count
        ));
        for id in suggestions(program, &served.router, &q.question) {
            let title = super::api::topic_title(program, &id);
            out.push_str(&format!(
                "<button type=\"submit\" name=\"topic\" value=\"{}\">{}</button> ",
                escape_html(&id),
                escape_html(&title)
            ));
        }
        out.push_str(&format!(
            "<button type=\"submit\" name=\"topic\" value=\"{OFF_TOPIC}\">Hors sujet</button></form>"
        ));
        // Any other topic: chosen in a list, then one click.
        out.push_str(&format!(
            "<form method=\"post\" action=\"/admin/assign\" class=\"other\"><input type=\"hidden\" name=\"question\" value=\"{question}\">\
             <label>Autre sujet : <select name=\"topic\">"
        ));
        for topic in &program.topics {
            out.push_str(&format!(
                "<option value=\"{}\">{}</option>",
                escape_html(&topic.name),
                escape_html(&topic.title)
            ));
        }
        out.push_str("</select></label> <button type=\"submit\">Affecter</button></form></li>");
    }
    out.push_str("</ul></section>");
    Ok(out)
}

/// `guichet examples export`: the assignments of the store at `db` as `examples` lines (opened
/// with the data key of `guichet serve`, `GUICHET_DATA_KEY`, when the base is encrypted).
pub fn export_command(db: &std::path::Path) -> std::process::ExitCode {
    use super::store::Store;
    if !db.exists() {
        eprintln!("erreur : {} : base introuvable", db.display());
        return std::process::ExitCode::from(2);
    }
    let keys = match super::crypto::Keys::from_env() {
        Ok(keys) => keys,
        Err(e) => {
            eprintln!("erreur : {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let assignments = super::store::SqliteStore::open(db).and_then(|store| match keys {
        Some(keys) => super::crypto::EncryptedStore::new(store, keys).assignments(),
        None => store.assignments(),
    });
    match assignments {
        Ok(assignments) => {
            print!("{}", examples_text(&assignments));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("erreur : {} : {e}", db.display());
            std::process::ExitCode::from(2)
        }
    }
}

/// The assignments as rule text: one `examples` clause per topic (by topic id), then the
/// questions marked « hors sujet » as one `lexicon "hors sujet"` item with their `examples`,
/// to paste beside the others (rules/commun.guichet in the bundled rules).
pub fn examples_text(assignments: &[Assignment]) -> String {
    let mut by_topic: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    let mut off_topic = Vec::new();
    for a in assignments {
        match &a.topic {
            Some(topic) => by_topic.entry(topic).or_default().push(&a.question),
            None => off_topic.push(a.question.as_str()),
        }
    }
    let mut out = String::from(
        "// Questions affectées depuis la page d'administration (guichet examples export).\n\
         // À coller dans chaque sujet, après `synonyms`.\n",
    );
    for (topic, questions) in by_topic {
        out.push_str(&format!("\n// topic {topic}\nexamples "));
        let quoted: Vec<String> = questions.iter().map(|q| quote(q)).collect();
        out.push_str(&quoted.join(",\n         "));
        out.push('\n');
    }
    if !off_topic.is_empty() {
        out.push_str(
            "\n// Hors sujet : aucun sujet ne traite ces questions (le routage les transmet).\n\
             // À coller à côté des autres questions hors sujet.\n\
             lexicon \"hors sujet\"\n  examples ",
        );
        let quoted: Vec<String> = off_topic.iter().map(|q| quote(q)).collect();
        out.push_str(&quoted.join(",\n           "));
        out.push('\n');
    }
    out
}

/// A rule-language string: quotes, backslashes and braces escaped, on one line.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exported text is rule text: pasted into a topic, it compiles and the topic has the
    /// questions as examples, quotes and braces included.
    #[test]
    fn exported_examples_compile_back() {
        let assignment = |question: &str, topic: Option<&str>| Assignment {
            question: question.into(),
            topic: topic.map(String::from),
            rules: "v1".into(),
            at: 0,
        };
        let text = examples_text(&[
            assignment("jai pas eu mes \"rtt\" {ce mois}", Some("rtt")),
            assignment("cheques vacances", None),
            assignment("rtt en moins", Some("rtt")),
        ]);
        let clause: String = text
            .lines()
            .skip_while(|l| !l.starts_with("examples"))
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let rules = format!(
            "fallback drh \"\"\ncontact drh \"DRH\" {{ phone \"1\" }}\ntopic rtt \"RTT\" {{\n  triggers \"rtt\"\n  {clause}\n  handoff drh\n}}\n"
        );
        let mut sources = crate::span::Sources::new();
        sources.add("t.guichet", rules.clone());
        let program = crate::compile::compile(sources)
            .program
            .expect("the exported clause compiles");
        assert_eq!(
            program.topics[0].examples,
            ["jai pas eu mes \"rtt\" {ce mois}", "rtt en moins"]
        );
        // The « hors sujet » item, pasted beside the topic, compiles too.
        let off_topic: String = text
            .lines()
            .skip_while(|l| !l.starts_with("lexicon"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut sources = crate::span::Sources::new();
        sources.add("t.guichet", format!("{rules}{off_topic}\n"));
        let program = crate::compile::compile(sources)
            .program
            .expect("the exported « hors sujet » item compiles");
        assert_eq!(program.off_topic, ["cheques vacances"]);
    }
}
