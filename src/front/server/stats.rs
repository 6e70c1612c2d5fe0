//! HR's side: statistics (`GET /api/stats`, `GET /admin`), export and
//! deletion of one agent's conversations, and the retention purge.
//!
//! Every route here needs `GUICHET_ADMIN_TOKEN`, given as
//! `Authorization: Bearer TOKEN` or, so that a browser can open `/admin`,
//! as the password of HTTP Basic authentication (any user name). Without
//! the variable the routes answer 403 `admin_disabled`. Statistics hold no
//! personal data beyond the text of the questions no topic matched (grouped
//! by their folded form, the 20 most frequent of the period): counts per
//! topic, per day and per outcome, rates. An SMS agent's unmatched questions
//! are exported and deleted with their phone number.

use super::api::{blocking, ApiError, ApiResult};
use super::page::escape_html;
use super::store::{RequestStats, Selector, Stats};
use super::App;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// A conversation idle this long without an outcome counts as abandoned.
const ABANDONED_AFTER: i64 = 24 * 3600;

/// Checks the admin token; `basic` asks a browser for it on failure.
pub(super) fn authorize(app: &App, headers: &HeaderMap, basic: bool) -> ApiResult<()> {
    let Some(expected) = &app.admin_token else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "L'administration est désactivée : définissez GUICHET_ADMIN_TOKEN au démarrage.",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            if let Some(token) = v.strip_prefix("Bearer ") {
                Some(token.trim().as_bytes().to_vec())
            } else {
                let decoded = base64_decode(v.strip_prefix("Basic ")?.trim())?;
                let colon = decoded.iter().position(|&b| b == b':')?;
                Some(decoded[colon + 1..].to_vec())
            }
        });
    match given {
        Some(token) if super::security::same(&token, expected.as_bytes()) => Ok(()),
        _ => {
            let how = if basic {
                ""
            } else {
                " (en-tête Authorization: Bearer …)"
            };
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!("Jeton d'administration absent ou invalide{how}."),
            ))
        }
    }
}

/// The 401 with the header that makes a browser ask for the password.
fn challenge(error: ApiError) -> Response {
    let unauthorized = error.status == StatusCode::UNAUTHORIZED;
    let mut response = error.into_response();
    if unauthorized {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="guichet admin", charset="UTF-8""#),
        );
    }
    response
}

pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let produced = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..=produced]);
    }
    Some(out)
}

#[derive(Deserialize)]
pub struct Period {
    /// Figures over the last `days` days (default: the retention).
    days: Option<u32>,
}

fn compute(app: &App, days: Option<u32>) -> ApiResult<(Stats, RequestStats)> {
    let now = app.now();
    let days = i64::from(days.unwrap_or(app.retention_days).max(1));
    let since = now - days * 86_400;
    let stats = app.store.stats(since, now - ABANDONED_AFTER)?;
    let requests = super::requests::figures(app, since)?;
    Ok((stats, requests))
}

pub async fn json(
    State(app): State<App>,
    headers: HeaderMap,
    Query(period): Query<Period>,
) -> Response {
    if let Err(e) = authorize(&app, &headers, false) {
        return e.into_response();
    }
    match blocking(move || compute(&app, period.days)).await {
        Ok((stats, requests)) => {
            let mut json = serde_json::to_value(&stats).unwrap_or(Value::Null);
            json["requests"] = super::requests::stats_json(&stats, &requests);
            Json(json).into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(period): Query<Period>,
) -> Response {
    if let Err(e) = authorize(&app, &headers, true) {
        return challenge(e);
    }
    let titles = app.rules.current();
    let page = blocking(move || {
        let stats = compute(&app, period.days)?;
        // The learning loop's section (learning.rs), kept apart from the statistics.
        let learning = super::learning::section(&app)?;
        Ok((stats, learning))
    });
    match page.await {
        Ok(((stats, requests), learning)) => {
            let title = |id: &str| super::api::topic_title(&titles, id);
            let requests = super::requests::stats_html(&stats, &requests, title);
            Html(render(&stats, title).replace("</main>", &format!("{requests}{learning}</main>")))
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("—".into(), |r| format!("{:.0} %", r * 100.0))
}

fn render(stats: &Stats, title: impl Fn(&str) -> String) -> String {
    let mut rows = String::new();
    let mut table = |caption: &str, head: &str, count: &str, lines: Vec<(String, String)>| {
        rows.push_str(&format!(
            "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            escape_html(caption),
            escape_html(head),
            escape_html(count)
        ));
        if lines.is_empty() {
            rows.push_str("<tr><td colspan=\"2\">Aucune donnée.</td></tr>");
        }
        for (label, n) in lines {
            rows.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                escape_html(&label),
                escape_html(&n)
            ));
        }
        rows.push_str("</tbody></table>");
    };
    let o = &stats.outcomes;
    table(
        "Issues des conversations",
        "Issue",
        "Conversations",
        vec![
            ("Réponse donnée".into(), o.answered.to_string()),
            ("Transmise à une personne".into(), o.handed_off.to_string()),
            ("Abandonnée".into(), o.abandoned.to_string()),
            ("En cours".into(), o.in_progress.to_string()),
        ],
    );
    let mut per_topic: Vec<_> = stats.per_topic.iter().collect();
    per_topic.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    table(
        "Conversations par sujet",
        "Sujet",
        "Conversations",
        per_topic
            .into_iter()
            .map(|(id, n)| {
                let t = title(id);
                (if t.is_empty() { id.clone() } else { t }, n.to_string())
            })
            .collect(),
    );
    table(
        "Conversations par jour",
        "Jour",
        "Conversations",
        stats
            .per_day
            .iter()
            .rev()
            .map(|(d, n)| (d.clone(), n.to_string()))
            .collect(),
    );
    table(
        "Questions sans sujet correspondant (les plus fréquentes)",
        "Question",
        "Fois",
        stats
            .unmatched
            .iter()
            .map(|u| (u.question.clone(), u.count.to_string()))
            .collect(),
    );
    format!(
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Guichet RH — statistiques</title><link rel="stylesheet" href="/assets/style.css"></head>
<body class="admin"><main><h1>Statistiques du guichet RH</h1>
<dl class="figures"><div><dt>Conversations</dt><dd>{}</dd></div><div><dt>Taux de réponse</dt><dd>{}</dd></div>
<div><dt>Avis utiles</dt><dd>{} <small>({} avis)</small></dd></div></dl>
{rows}
<p class="note">Les questions sans sujet sont celles qu'aucun sujet n'a reconnues (ou pour lesquelles l'agent a choisi « Autre chose ») : ajoutez leurs mots aux <code>synonyms</code> ou <code>triggers</code> du bon sujet (docs/routing.md).</p>
<p class="note">Le taux de réponse rapporte les réponses données aux conversations terminées (réponse, transfert ou abandon après 24 h sans réponse).</p>
</main></body></html>"#,
        stats.conversations,
        percent(stats.answer_rate),
        percent(stats.helpful_rate),
        stats.feedback
    )
}

#[derive(Deserialize)]
pub struct Which {
    session: Option<String>,
    phone: Option<String>,
}

fn selector(which: Which) -> ApiResult<Selector> {
    match (which.session, which.phone) {
        (Some(id), None) => Ok(Selector::Session(id)),
        (None, Some(phone)) => Ok(Selector::Phone(phone.trim().to_string())),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Donnez exactement un de ?session=ID ou ?phone=NUMÉRO.",
        )),
    }
}

/// Every conversation of one agent, with transcripts (right of access).
pub async fn export(
    State(app): State<App>,
    headers: HeaderMap,
    Query(which): Query<Which>,
) -> ApiResult<Json<Value>> {
    authorize(&app, &headers, false)?;
    let selector = selector(which)?;
    blocking(move || {
        let questions = match &selector {
            Selector::Phone(phone) => app.store.questions(phone)?,
            Selector::Session(_) => Vec::new(),
        };
        let conversations = app.store.export(&selector)?;
        let conversations: Vec<Value> = conversations
            .into_iter()
            .map(|(c, turns)| {
                let session: Value = serde_json::from_str(&c.session).unwrap_or(Value::Null);
                json!({
                    "id": c.id, "channel": c.channel, "phone": c.phone, "topic": c.topic,
                    "rules": c.program_version, "outcome": c.outcome, "helpful": c.helpful,
                    "created_at": c.created_at, "updated_at": c.updated_at,
                    "session": session, "transcript": turns,
                })
            })
            .collect();
        let requests = app.store.requests_selected(&selector)?;
        Ok(Json(
            json!({ "conversations": conversations, "questions": questions, "requests": requests }),
        ))
    })
    .await
}

/// Deletes every conversation of one agent (right to erasure).
pub async fn delete(
    State(app): State<App>,
    headers: HeaderMap,
    Query(which): Query<Which>,
) -> ApiResult<Json<Value>> {
    authorize(&app, &headers, false)?;
    let selector = selector(which)?;
    blocking(move || {
        let deleted = app.store.delete(&selector)?;
        super::log(&format!(
            "suppression sur demande : {deleted} conversation(s)"
        ));
        Ok(Json(json!({ "deleted": deleted })))
    })
    .await
}

/// Deletes the conversations older than the retention now.
pub fn purge_now(app: &App) -> Result<usize, super::store::StoreError> {
    let before = app.now() - i64::from(app.retention_days) * 86_400;
    app.store.purge(before)
}

pub async fn purge(State(app): State<App>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    authorize(&app, &headers, false)?;
    blocking(move || {
        let purged = purge_now(&app)?;
        Ok(Json(
            json!({ "purged": purged, "retention_days": app.retention_days }),
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_decode() {
        assert_eq!(
            base64_decode("YWRtaW46czNjcmV0"),
            Some(b"admin:s3cret".to_vec())
        );
        assert_eq!(base64_decode("OnQ="), Some(b":t".to_vec()));
        assert_eq!(base64_decode("a"), None);
        assert_eq!(base64_decode("!!!!"), None);
    }

    #[test]
    fn the_admin_page_escapes_what_it_shows() {
        let mut stats = Stats::default();
        stats.unmatched.push(super::super::store::Unmatched {
            question: "<script>alert(1)</script>".into(),
            count: 2,
        });
        let html = render(&stats, |_| String::new());
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
