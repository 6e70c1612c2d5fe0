//! HR's side: statistics (`GET /api/stats`, `GET /admin`, the CSV of
//! unmatched questions), export and deletion of one agent's conversations,
//! and the retention purge.
//!
//! Every route here needs `GUICHET_ADMIN_TOKEN`, given as
//! `Authorization: Bearer TOKEN`, as the password of HTTP Basic
//! authentication (any user name), or — for the admin pages in a browser —
//! typed once in the login page (`POST /admin/connexion`), which keeps it in
//! an `HttpOnly`, `SameSite=Strict` cookie until `POST /admin/deconnexion`.
//! Without the variable the routes answer 403 `admin_disabled`. Statistics hold no
//! personal data beyond the text of the questions no topic matched (grouped
//! by their folded form, the 20 most frequent of the period): counts per
//! topic, per day and per outcome, rates. An SMS agent's unmatched questions
//! are exported and deleted with their phone number.

use super::api::{blocking, ApiError, ApiResult};
use super::page::{escape_html, fill};
use super::store::{RequestStats, Selector, Stats};
use super::App;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// A conversation idle this long without an outcome counts as abandoned.
const ABANDONED_AFTER: i64 = 24 * 3600;

/// The cookie that keeps the token of the login page.
const COOKIE: &str = "guichet_admin";

/// The token kept in the login cookie, if any (hexadecimal, so any token fits a cookie).
fn cookie_token(headers: &HeaderMap) -> Option<Vec<u8>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .and_then(from_hex)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks the admin token; `basic` when a browser asks (the login cookie counts too).
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
        })
        .or_else(|| if basic { cookie_token(headers) } else { None });
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

/// `GET /admin`: the statistics, or the login page (401) without a valid token.
pub async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(period): Query<Period>,
) -> Response {
    match authorize(&app, &headers, true) {
        Ok(()) => {}
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return login_page(&app, StatusCode::UNAUTHORIZED, None)
        }
        Err(e) => return e.into_response(),
    }
    let titles = app.rules.current();
    let days = period.days.unwrap_or(app.retention_days).max(1);
    let today = app.today();
    let footer = super::page::footer(&app);
    let page = blocking(move || {
        let stats = compute(&app, Some(days))?;
        // The learning loop's section (learning.rs), kept apart from the statistics.
        let learning = super::learning::section(&app)?;
        Ok((stats, learning))
    });
    match page.await {
        Ok(((stats, requests), learning)) => {
            let title = |id: &str| super::api::topic_title(&titles, id);
            let requests = super::requests::stats_html(&stats, &requests, title);
            Html(
                render(&stats, &Shown { days, today }, title, &footer)
                    .replace("</main>", &format!("{requests}{learning}</main>")),
            )
            .into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct Login {
    jeton: String,
}

/// `POST /admin/connexion`: the token typed in the login page; right, it is kept in a cookie.
pub async fn login(State(app): State<App>, Form(login): Form<Login>) -> Response {
    let Some(expected) = &app.admin_token else {
        return authorize(&app, &HeaderMap::new(), true)
            .err()
            .map(IntoResponse::into_response)
            .unwrap_or_default();
    };
    let token = login.jeton.trim();
    if !super::security::same(token.as_bytes(), expected.as_bytes()) {
        return login_page(
            &app,
            StatusCode::UNAUTHORIZED,
            Some("Ce jeton n'est pas le bon. Vérifiez-le et réessayez."),
        );
    }
    let cookie = format!(
        "{COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict",
        to_hex(token.as_bytes())
    );
    redirect(&cookie)
}

/// `POST /admin/deconnexion`: the cookie is dropped.
pub async fn logout() -> Response {
    redirect(&format!(
        "{COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0"
    ))
}

fn redirect(cookie: &str) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/admin")]).into_response();
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

const LOGIN: &str = include_str!("assets/connexion.html");

fn login_page(app: &App, status: StatusCode, error: Option<&str>) -> Response {
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" id=\"erreur\" role=\"alert\">{}</p>",
                escape_html(e)
            )
        })
        .unwrap_or_default();
    let described = if error.is_empty() {
        ""
    } else {
        " aria-describedby=\"erreur\""
    };
    let html = fill(
        LOGIN,
        &[
            ("error", &error),
            ("described", described),
            ("footer", &super::page::footer(app)),
        ],
    );
    (status, Html(html)).into_response()
}

/// `GET /admin/questions.csv`: the unmatched questions of the period, for a spreadsheet
/// (semicolons and a byte order mark, as French spreadsheets expect).
pub async fn unmatched_csv(
    State(app): State<App>,
    headers: HeaderMap,
    Query(period): Query<Period>,
) -> Response {
    if let Err(e) = authorize(&app, &headers, true) {
        return e.into_response();
    }
    let (stats, _) = match blocking(move || compute(&app, period.days)).await {
        Ok(stats) => stats,
        Err(e) => return e.into_response(),
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xef\xbb\xbf".to_vec());
    let mut rows = vec![["question".to_string(), "fois".to_string()]];
    rows.extend(
        stats
            .unmatched
            .iter()
            .map(|u| [u.question.clone(), u.count.to_string()]),
    );
    for row in rows {
        if writer.write_record(&row).is_err() {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Export impossible.",
            )
            .into_response();
        }
    }
    match writer.into_inner() {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"questions-sans-sujet.csv\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Export impossible.",
        )
        .into_response(),
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("—".into(), |r| format!("{:.0} %", r * 100.0))
}

/// The period shown on the admin page.
pub struct Shown {
    pub days: u32,
    pub today: time::Date,
}

/// The periods offered on the admin page, in days.
const PERIODS: [u32; 5] = [7, 30, 90, 180, 365];

fn french_date(date: time::Date) -> String {
    format!(
        "{:02}/{:02}/{}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// An HTML table: caption, column heads, rows whose first cell heads the row.
fn table(caption: &str, heads: &[&str], lines: Vec<Vec<String>>) -> String {
    // The wrapper scrolls sideways on a narrow screen: it takes the focus to be scrolled by keys.
    let mut html = format!(
        "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"{0}\"><table><caption>{0}</caption><thead><tr>",
        escape_html(caption)
    );
    for head in heads {
        html.push_str(&format!("<th scope=\"col\">{}</th>", escape_html(head)));
    }
    html.push_str("</tr></thead><tbody>");
    if lines.is_empty() {
        html.push_str(&format!(
            "<tr><td colspan=\"{}\">Aucune donnée.</td></tr>",
            heads.len()
        ));
    }
    for line in lines {
        html.push_str("<tr>");
        for (i, cell) in line.iter().enumerate() {
            let cell = escape_html(cell);
            if i == 0 {
                html.push_str(&format!("<th scope=\"row\">{cell}</th>"));
            } else {
                html.push_str(&format!("<td>{cell}</td>"));
            }
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    html
}

/// Conversations per day as an SVG bar chart, described by the table that follows it.
fn chart(per_day: &std::collections::BTreeMap<String, i64>, shown: &Shown) -> String {
    let days = shown.days.min(366) as i64;
    let max = per_day.values().copied().max().unwrap_or(0).max(1);
    let (width, height, left, bottom) = (720.0, 200.0, 40.0, 24.0);
    let bar = (width - left) / days as f64;
    let mut bars = String::new();
    for i in 0..days {
        let date = shown.today - time::Duration::days(days - 1 - i);
        let key = format!(
            "{}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        );
        let n = per_day.get(&key).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let h = (height - bottom - 10.0) * n as f64 / max as f64;
        bars.push_str(&format!(
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"/>",
            left + i as f64 * bar + bar * 0.1,
            height - bottom - h,
            (bar * 0.8).max(1.0),
        ));
    }
    let first = french_date(shown.today - time::Duration::days(days - 1));
    let last = french_date(shown.today);
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"graphique-titre\" aria-describedby=\"par-jour\">\
<title id=\"graphique-titre\">Conversations par jour du {first} au {last} (maximum {max} par jour) ; les chiffres sont dans le tableau « Conversations par jour ».</title>\
<line class=\"axis\" x1=\"{left}\" y1=\"{y}\" x2=\"{width}\" y2=\"{y}\"/>\
<text x=\"0\" y=\"14\">{max}</text><text x=\"0\" y=\"{y}\">0</text>\
<text x=\"{left}\" y=\"{height}\">{first}</text><text x=\"{width}\" y=\"{height}\" text-anchor=\"end\">{last}</text>{bars}</svg>",
        y = height - bottom,
    )
}

fn render(stats: &Stats, shown: &Shown, title: impl Fn(&str) -> String, footer: &str) -> String {
    let name = |id: &str| {
        let t = title(id);
        if t.is_empty() {
            id.to_string()
        } else {
            t
        }
    };
    let mut rows = String::new();
    let o = &stats.outcomes;
    rows.push_str(&table(
        "Issues des conversations",
        &["Issue", "Conversations"],
        vec![
            vec!["Réponse donnée".into(), o.answered.to_string()],
            vec!["Transmise à une personne".into(), o.handed_off.to_string()],
            vec!["Abandonnée".into(), o.abandoned.to_string()],
            vec!["En cours".into(), o.in_progress.to_string()],
        ],
    ));
    let mut per_topic: Vec<_> = stats.per_topic.iter().collect();
    per_topic.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    rows.push_str(&table(
        "Conversations et avis par sujet",
        &["Sujet", "Conversations", "Avis donnés", "Avis utiles"],
        per_topic
            .into_iter()
            .map(|(id, n)| {
                let feedback = stats
                    .feedback_per_topic
                    .get(id)
                    .cloned()
                    .unwrap_or_default();
                let rate =
                    (feedback.given > 0).then(|| feedback.helpful as f64 / feedback.given as f64);
                vec![
                    name(id),
                    n.to_string(),
                    feedback.given.to_string(),
                    percent(rate),
                ]
            })
            .collect(),
    ));
    rows.push_str("<h2>Conversations par jour</h2>");
    rows.push_str(&chart(&stats.per_day, shown));
    rows.push_str(
        &table(
            "Conversations par jour",
            &["Jour", "Conversations"],
            stats
                .per_day
                .iter()
                .rev()
                .map(|(d, n)| {
                    // SQLite's date(): AAAA-MM-JJ, shown JJ/MM/AAAA.
                    let day = match d.split('-').collect::<Vec<_>>()[..] {
                        [y, m, j] => format!("{j}/{m}/{y}"),
                        _ => d.clone(),
                    };
                    vec![day, n.to_string()]
                })
                .collect(),
        )
        .replacen("<table>", "<table id=\"par-jour\">", 1),
    );
    rows.push_str(&table(
        "Questions sans sujet correspondant (les 20 plus fréquentes)",
        &["Question", "Fois"],
        stats
            .unmatched
            .iter()
            .map(|u| vec![u.question.clone(), u.count.to_string()])
            .collect(),
    ));
    let options: String = PERIODS
        .iter()
        .chain((!PERIODS.contains(&shown.days)).then_some(&shown.days))
        .map(|d| {
            let selected = if *d == shown.days { " selected" } else { "" };
            format!("<option value=\"{d}\"{selected}>les {d} derniers jours</option>")
        })
        .collect();
    let first = french_date(shown.today - time::Duration::days(i64::from(shown.days) - 1));
    format!(
        r##"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statistiques ({days} derniers jours) — Guichet RH</title><link rel="stylesheet" href="/assets/style.css"></head>
<body class="admin"><a class="skip" href="#principal">Aller au contenu</a>
<header class="banner"><p class="banner-title"><a href="/">Guichet RH</a></p></header>
<main id="principal" tabindex="-1"><h1>Statistiques du guichet RH</h1>
<form class="period" method="get" action="/admin"><div><label for="jours">Période</label>
<select id="jours" name="days">{options}</select></div><button type="submit">Afficher</button></form>
<p>Période affichée : les {days} derniers jours, du {first} au {last}.</p>
<dl class="figures"><div><dt>Conversations</dt><dd>{}</dd></div><div><dt>Taux de réponse</dt><dd>{}</dd></div>
<div><dt>Avis utiles</dt><dd>{} <small>({} avis)</small></dd></div></dl>
{rows}
<p><a href="/admin/questions.csv?days={days}" download>Télécharger les questions sans sujet (CSV, tableur)</a></p>
<p class="note">Les questions sans sujet sont celles qu'aucun sujet n'a reconnues (ou pour lesquelles l'agent a choisi « Autre chose ») : ajoutez leurs mots aux <code>synonyms</code> ou <code>triggers</code> du bon sujet (docs/routing.md).</p>
<p class="note">Le taux de réponse rapporte les réponses données aux conversations terminées (réponse, transfert ou abandon après 24 h sans réponse).</p>
<form method="post" action="/admin/deconnexion"><button type="submit">Se déconnecter</button></form>
</main>
{footer}
</body></html>"##,
        stats.conversations,
        percent(stats.answer_rate),
        percent(stats.helpful_rate),
        stats.feedback,
        days = shown.days,
        last = french_date(shown.today),
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
    fn the_chart_has_a_bar_a_day_with_conversations_and_is_well_formed() {
        let mut stats = Stats::default();
        stats.per_day.insert("2026-11-29".into(), 4);
        stats.per_day.insert("2026-11-20".into(), 2);
        stats.per_day.insert("2026-01-01".into(), 9); // before the period: not drawn
        let shown = Shown {
            days: 30,
            today: time::macros::date!(2026 - 11 - 29),
        };
        let svg = chart(&stats.per_day, &shown);
        let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let bars: Vec<_> = document
            .descendants()
            .filter(|n| n.attribute("class") == Some("bar"))
            .collect();
        assert_eq!(bars.len(), 2);
        let height =
            |n: &roxmltree::Node| n.attribute("height").and_then(|h| h.parse::<f64>().ok());
        assert_eq!(
            height(&bars[0]).map(|h| h * 2.0),
            height(&bars[1]),
            "2 then 4"
        );
        assert!(svg.contains("du 31/10/2026 au 29/11/2026"), "{svg}");
        let html = render(&stats, &shown, |_| String::new(), "");
        assert!(
            html.contains("aria-describedby=\"par-jour\"")
                && html.contains("<table id=\"par-jour\">")
        );
        assert!(
            html.contains("Période affichée : les 30 derniers jours, du 31/10/2026 au 29/11/2026.")
        );
    }

    #[test]
    fn the_admin_page_escapes_what_it_shows() {
        let mut stats = Stats::default();
        stats.unmatched.push(super::super::store::Unmatched {
            question: "<script>alert(1)</script>".into(),
            count: 2,
        });
        let shown = Shown {
            days: 30,
            today: time::macros::date!(2026 - 11 - 29),
        };
        let html = render(&stats, &shown, |_| String::new(), "");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
