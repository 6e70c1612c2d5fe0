//! Requests: an agent's question sent to a person from a hand-off, the
//! person's inbox, and the reply back to the agent (issue 13, docs/server.md).
//!
//! - `POST /api/sessions/{id}/request` sends the question of a conversation
//!   that ended in a hand-off to the contact it was handed to, with a copy of
//!   everything gathered ([`HrRequest::dossier`]); `GET /api/sessions/{id}`
//!   lists the conversation's requests and their replies ([`for_agent`]).
//! - `GET /inbox` is the page of the people who answer; it talks to
//!   `GET /api/requests`, `GET /api/requests/{rid}`, `POST …/reply`,
//!   `POST …/assign` and `GET …/draft` (the « answer-to-article » snippet,
//!   `draft.rs`). A contact authenticates with HTTP Basic (its id and the
//!   secret of the `--contacts` file, `credentials.rs`) and sees only its own
//!   requests (403 otherwise); the admin token sees them all.
//! - `notify.rs` sends the contact's notification (SMTP) and the reply to the
//!   agent (e-mail, SMS); `due.rs` computes due dates in French working days.
//!
//! Nothing here is logged but counts: no request id, no text, no address.

pub mod credentials;
mod draft;
pub mod due;
pub mod notify;

use super::api::{self, blocking, ApiError, ApiResult, JsonBody};
use super::store::HrRequest;
use super::App;
use crate::compile::program::{ContactResolution, Program};
use crate::engine::reply::MAX_TEXT;
use crate::engine::Step;
use crate::syntax::ast::ChannelKind;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use credentials::Credentials;
use notify::Notifier;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// Longest reply a person may write.
pub const MAX_REPLY: usize = 8000;

/// The `guichet serve` options of requests.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RequestOptions {
    /// The contacts' credentials (docs/server.md): who may answer requests in /inbox.
    #[arg(long, value_name = "FICHIER")]
    pub contacts: Option<PathBuf>,
    /// The SMTP relay that notifies contacts and mails replies (smtp://hôte:port, no TLS).
    #[arg(long, value_name = "smtp://HÔTE:PORT")]
    pub smtp: Option<String>,
    /// The sender of those e-mails.
    #[arg(long, default_value = "Guichet RH <guichet-rh@localhost>")]
    pub mail_from: String,
    /// The address of this server as people reach it (for the inbox link in e-mails).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// The SMS gateway's URL for outbound messages (form POST with To and Body).
    #[arg(long, value_name = "URL")]
    pub sms_send: Option<String>,
    /// Working days before a request is due, for contacts the credentials file gives no delay.
    #[arg(long, default_value_t = 5)]
    pub due_days: u32,
    /// How often unsent notifications and replies are retried, in milliseconds.
    #[arg(long, default_value_t = 60_000, hide = true)]
    pub outbox_interval_ms: u64,
}

/// What requests need at run time.
pub struct Setup {
    pub credentials: Credentials,
    pub due_days: u32,
    pub notifier: Arc<Notifier>,
}

impl Setup {
    /// Reads the credentials file and checks the options.
    pub fn new(options: &RequestOptions) -> Result<Setup, String> {
        let credentials = match &options.contacts {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("impossible de lire {} : {e}", path.display()))?;
                Credentials::parse(&text).map_err(|e| format!("{} : {e}", path.display()))?
            }
            None => Credentials::default(),
        };
        if !(1..=60).contains(&options.due_days) {
            return Err("--due-days : entre 1 et 60 jours ouvrés".into());
        }
        let notifier = Notifier::new(
            options.smtp.as_deref(),
            &options.mail_from,
            options.sms_send.as_deref(),
            options.public_url.as_deref(),
            std::time::Duration::from_millis(options.outbox_interval_ms.max(50)),
        )?;
        Ok(Setup {
            credentials,
            due_days: options.due_days,
            notifier: Arc::new(notifier),
        })
    }

    /// The contacts of the credentials file that the rules do not know (a typo, surely).
    pub fn unknown_contacts(&self, program: &Program) -> Vec<String> {
        self.credentials
            .contacts()
            .filter(|c| !program.contacts.iter().any(|k| k.name == *c))
            .map(String::from)
            .collect()
    }
}

/// `2026-12-04` as `04/12/2026`.
pub fn french_date(iso: &str) -> String {
    let mut parts = iso.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
        _ => iso.to_string(),
    }
}

/// « à » before a contact's label, contracted as French wants: « au service paie »,
/// « aux gestionnaires », « à la direction », « à votre gestionnaire ».
pub fn to_label(label: &str) -> String {
    if let Some(rest) = label.strip_prefix("le ") {
        format!("au {rest}")
    } else if let Some(rest) = label.strip_prefix("les ") {
        format!("aux {rest}")
    } else {
        format!("à {label}")
    }
}

fn iso_date(date: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

// ---------------------------------------------------------------- who asks

/// Who is reading the inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Who {
    Admin,
    Contact(String),
}

impl Who {
    fn name(&self) -> &str {
        match self {
            Who::Admin => "admin",
            Who::Contact(c) => c,
        }
    }

    fn may_see(&self, request: &HrRequest) -> bool {
        match self {
            Who::Admin => true,
            Who::Contact(c) => *c == request.contact,
        }
    }
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Identifiant ou secret absent ou invalide (en-tête Authorization: Basic, ou Bearer pour l'administrateur).",
    )
}

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Cette demande est adressée à un autre contact.",
    )
}

/// Reads `Authorization`: `Bearer ADMIN_TOKEN`, or Basic `contact:secret` (or any user name with
/// the admin token as password). Runs on the blocking pool (Argon2 takes time on purpose).
fn who(app: &App, headers: &HeaderMap) -> ApiResult<Who> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorized)?;
    let admin = |secret: &[u8]| {
        app.admin_token
            .as_ref()
            .is_some_and(|t| super::security::same(secret, t.as_bytes()))
    };
    if let Some(token) = value.strip_prefix("Bearer ") {
        return if admin(token.trim().as_bytes()) {
            Ok(Who::Admin)
        } else {
            Err(unauthorized())
        };
    }
    let decoded = value
        .strip_prefix("Basic ")
        .and_then(|b| super::stats::base64_decode(b.trim()))
        .ok_or_else(unauthorized)?;
    let colon = decoded
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(unauthorized)?;
    let (user, secret) = (&decoded[..colon], &decoded[colon + 1..]);
    if admin(secret) {
        return Ok(Who::Admin);
    }
    let user = std::str::from_utf8(user).map_err(|_| unauthorized())?;
    if app.requests.credentials.verify(user, secret) {
        Ok(Who::Contact(user.to_string()))
    } else {
        Err(unauthorized())
    }
}

// ---------------------------------------------------------------- the agent's side

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    #[serde(default)]
    message: String,
    #[serde(default)]
    email: Option<String>,
}

/// `POST /api/sessions/{id}/request`.
pub async fn create(
    State(app): State<App>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SendRequest>,
) -> ApiResult<Response> {
    let request = blocking(move || {
        let email = body.email.filter(|e| !e.trim().is_empty());
        send(&app, &id, &body.message, email.as_deref())
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "request": agent_json(&request, None) })),
    )
        .into_response())
}

/// Sends the question of conversation `id` (ended in a hand-off) to its contact, and commits it;
/// the notifier is woken. Shared by the web page and SMS (`TRANSMETTRE`).
pub fn send(app: &App, id: &str, message: &str, email: Option<&str>) -> ApiResult<HrRequest> {
    let (conversation, program, mut session) = api::open(app, id)?;
    let step = session
        .step(&program)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, e.code(), e.message()))?;
    let Step::Handoff(handoff) = &step else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_handed_off",
            "Une question se transmet quand la conversation vous oriente vers une personne.",
        ));
    };
    let message = message.trim();
    if message.chars().count() > MAX_TEXT {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
            format!(
                "Votre message est trop long : {MAX_TEXT} caractères au plus, s'il vous plaît."
            ),
        ));
    }
    let email = email.map(str::trim);
    if let Some(email) = email {
        if email.parse::<lettre::Address>().is_err() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_email",
                "Cette adresse électronique n'est pas valide.",
            ));
        }
    }
    let already_sent = || -> ApiResult<bool> {
        Ok(app
            .store
            .requests_of_conversation(id)?
            .iter()
            .any(|r| r.status == "open"))
    };
    let already = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "already_sent",
            "Votre question est déjà transmise : la réponse s'affichera ici.",
        )
    };
    if already_sent()? {
        return Err(already());
    }
    let transcript = app.store.transcript(id)?;
    // A conversation started from a free-text question has it as its first line.
    let question = transcript
        .first()
        .filter(|t| t.who == "agent")
        .and_then(|t| t.content.as_str().map(String::from));
    let contact = &handoff.contact;
    let delay = app
        .requests
        .credentials
        .delay(&contact.id)
        .unwrap_or(app.requests.due_days);
    let request = HrRequest {
        id: api::new_id()?,
        conversation: conversation.id.clone(),
        contact: contact.id.clone(),
        contact_email: email_of(&contact.channels),
        topic: conversation.topic.clone(),
        status: "open".into(),
        message: message.to_string(),
        reply_email: email.map(String::from),
        phone: conversation.phone.clone(),
        dossier: json!({
            "question": question,
            "facts": handoff.gathered,
            "handoff": crate::front::wire::step(&program, &step),
            "transcript": transcript,
        }),
        created_at: app.now(),
        due: iso_date(due::add_working_days(app.today(), delay)),
        reply: None,
        replied_at: None,
        replied_by: None,
        notified_at: None,
        delivered_at: None,
    };
    if let Err(e) = app.store.create_request(&request) {
        // Two sendings at once: the store keeps one open request per conversation.
        return Err(if already_sent()? { already() } else { e.into() });
    }
    app.requests.notifier.wake();
    super::log(&format!("demande transmise (délai {delay} jours ouvrés)"));
    Ok(request)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendQuestion {
    question: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    profile: serde_json::Map<String, Value>,
}

/// `POST /api/requests`: a free-text question no topic matched (handed to the `fallback`
/// contact without a conversation) sent to that contact. A conversation is made for it, so
/// that the reply has a page: `201 {"id", "request"}`.
pub async fn create_from_question(
    State(app): State<App>,
    JsonBody(body): JsonBody<SendQuestion>,
) -> ApiResult<Response> {
    let profile = api::profile_values(body.profile)?;
    let request = blocking(move || {
        let email = body.email.filter(|e| !e.trim().is_empty());
        send_question(
            &app,
            "web",
            None,
            &body.question,
            &profile,
            &body.message,
            email.as_deref(),
        )
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": request.conversation, "request": agent_json(&request, None) })),
    )
        .into_response())
}

/// Sends a question handed to the `fallback` contact without a conversation: a conversation
/// without topic is stored for it (the question, then the hand-off to the `fallback` contact,
/// with the profile's facts), then the question is sent as from any hand-off ([`send`]).
pub fn send_question(
    app: &App,
    channel: &str,
    phone: Option<&str>,
    question: &str,
    profile: &[(String, String)],
    message: &str,
    email: Option<&str>,
) -> ApiResult<HrRequest> {
    let question = api::clean_question(question)?;
    let program = app.rules.current();
    let no_fallback = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "no_fallback",
            "Les règles ne prévoient personne à qui transmettre une question sans sujet.",
        )
    };
    if program.topics.is_empty() || program.fallback.is_none() {
        return Err(no_fallback());
    }
    let mut session =
        api::with_profile(app, &program, crate::compile::program::TopicId(0), profile)?;
    session
        .ask_for_person(&program)
        .map_err(|_| no_fallback())?;
    let gathered = session.gathered(&program);
    let Some(handoff) = crate::route::no_match_handoff(&program, &question, gathered) else {
        return Err(no_fallback());
    };
    let now = app.now();
    let conversation = super::store::Conversation {
        id: api::new_id()?,
        channel: channel.into(),
        phone: phone.map(String::from),
        topic: String::new(),
        program_version: program.version.clone(),
        session: api::session_json(&session)?,
        outcome: super::store::Outcome::HandedOff,
        helpful: None,
        created_at: now,
        updated_at: now,
        revision: 0,
    };
    let turns = [
        super::store::Turn {
            at: now,
            who: "agent".into(),
            content: json!(question),
        },
        super::store::Turn {
            at: now,
            who: "guichet".into(),
            content: crate::front::wire::step(&program, &Step::Handoff(handoff)),
        },
    ];
    app.store.create(&conversation, &turns)?;
    send(app, &conversation.id, message, email)
}

fn email_of(channels: &[(ChannelKind, String)]) -> Option<String> {
    channels
        .iter()
        .find(|(kind, _)| *kind == ChannelKind::Email)
        .map(|(_, email)| email.clone())
}

fn contact_label(program: &Program, contact: &str) -> String {
    program
        .contacts
        .iter()
        .find(|c| c.name == contact)
        .map_or(contact.to_string(), |c| c.label.clone())
}

/// A request as the agent sees it.
fn agent_json(request: &HrRequest, program: Option<&Program>) -> Value {
    let mut object = json!({
        "id": request.id,
        "contact": request.contact,
        "status": request.status,
        "due": request.due,
    });
    if let Some(program) = program {
        object["contact_label"] = json!(contact_label(program, &request.contact));
    }
    if let Some(reply) = &request.reply {
        object["reply"] = json!(reply);
        object["replied_at"] = json!(request.replied_at);
    }
    object
}

/// The `requests` of `GET /api/sessions/{id}`.
pub fn for_agent(app: &App, conversation: &str) -> ApiResult<Value> {
    let program = app.rules.current();
    Ok(Value::Array(
        app.store
            .requests_of_conversation(conversation)?
            .iter()
            .map(|r| agent_json(r, Some(&program)))
            .collect(),
    ))
}

// ---------------------------------------------------------------- the inbox

/// The title of requests (and conversations) about a question no topic matched.
pub const NO_TOPIC: &str = "Question sans sujet correspondant";

/// A request as the person who answers sees it.
fn inbox_json(app: &App, program: &Program, request: &HrRequest) -> Value {
    let today = iso_date(app.today());
    let age_days = (app.now() - request.created_at).max(0) / 86_400;
    let mut object = json!({
        "id": request.id,
        "contact": request.contact,
        "contact_label": contact_label(program, &request.contact),
        "topic": request.topic,
        "topic_title": api::topic_title(program, &request.topic),
        "status": request.status,
        "created_at": request.created_at,
        "age_days": age_days,
        "due": request.due,
        "overdue": request.status == "open" && request.due < today,
        "message": request.message,
        "question": request.dossier["question"],
        "facts": request.dossier["facts"],
        "transcript": request.dossier["transcript"],
        "answer_by": answer_by(request),
    });
    if let Some(reply) = &request.reply {
        object["reply"] = json!(reply);
        object["replied_at"] = json!(request.replied_at);
        object["replied_by"] = json!(request.replied_by);
    }
    object
}

/// Where the agent reads the reply (never the address itself: the person does not need it).
fn answer_by(request: &HrRequest) -> Vec<&'static str> {
    let mut ways = vec!["page"];
    if request.reply_email.is_some() {
        ways.push("email");
    }
    if request.phone.is_some() {
        ways.push("sms");
    }
    ways
}

#[derive(Deserialize)]
pub struct Filter {
    /// `open` (default), `answered` or `all`.
    status: Option<String>,
}

/// `GET /api/requests`: the reader's requests (every contact's for the admin), oldest first.
pub async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let who = who(&app, &headers)?;
        let status = match filter.status.as_deref() {
            None | Some("open") => Some("open"),
            Some("answered") => Some("answered"),
            Some("all") => None,
            Some(_) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "status vaut open, answered ou all.",
                ))
            }
        };
        let contact = match &who {
            Who::Admin => None,
            Who::Contact(c) => Some(c.as_str()),
        };
        let program = app.rules.current();
        let requests: Vec<Value> = app
            .store
            .requests(contact, status)?
            .iter()
            .map(|r| inbox_json(&app, &program, r))
            .collect();
        let contacts: Vec<Value> = program
            .contacts
            .iter()
            .map(|c| json!({ "id": c.name, "label": c.label }))
            .collect();
        let topics: Vec<Value> = program
            .topics
            .iter()
            .map(|t| json!({ "id": t.name, "title": t.title }))
            .collect();
        Ok(Json(json!({
            "reader": who.name(),
            "admin": who == Who::Admin,
            "requests": requests,
            "contacts": contacts,
            "topics": topics,
        })))
    })
    .await
}

fn unknown_request() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_request",
        "Cette demande n'existe pas (ou plus).",
    )
}

/// The request `rid` if the reader may see it.
fn visible(app: &App, headers: &HeaderMap, rid: &str) -> ApiResult<(Who, HrRequest)> {
    let who = who(app, headers)?;
    if !api::valid_id(rid) {
        return Err(unknown_request());
    }
    let request = app.store.request(rid)?.ok_or_else(unknown_request)?;
    if !who.may_see(&request) {
        return Err(forbidden());
    }
    Ok((who, request))
}

/// `GET /api/requests/{rid}`.
pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    Path(rid): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let (_, request) = visible(&app, &headers, &rid)?;
        Ok(Json(json!({
            "request": inbox_json(&app, &app.rules.current(), &request)
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    text: String,
}

/// `POST /api/requests/{rid}/reply`.
pub async fn reply(
    State(app): State<App>,
    headers: HeaderMap,
    Path(rid): Path<String>,
    JsonBody(body): JsonBody<ReplyBody>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let (who, _) = visible(&app, &headers, &rid)?;
        let text = body.text.trim();
        if text.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "empty",
                "La réponse est vide.",
            ));
        }
        if text.chars().count() > MAX_REPLY {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_long",
                format!("La réponse dépasse {MAX_REPLY} caractères."),
            ));
        }
        if !app.store.reply_request(&rid, text, who.name(), app.now())? {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_answered",
                "Cette demande a déjà reçu une réponse.",
            ));
        }
        app.requests.notifier.wake();
        super::log("demande : réponse enregistrée");
        let request = app.store.request(&rid)?.ok_or_else(unknown_request)?;
        Ok(Json(json!({
            "request": inbox_json(&app, &app.rules.current(), &request)
        })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    contact: String,
}

/// `POST /api/requests/{rid}/assign`: to another contact of the rules (notified in turn).
pub async fn assign(
    State(app): State<App>,
    headers: HeaderMap,
    Path(rid): Path<String>,
    JsonBody(body): JsonBody<AssignBody>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        visible(&app, &headers, &rid)?;
        let program = app.rules.current();
        let Some(contact) = program.contacts.iter().find(|c| c.name == body.contact) else {
            let names = program.contacts.iter().map(|c| c.name.as_str());
            let hint = crate::compile::suggest(&body.contact, names)
                .map(|s| format!(" Vouliez-vous dire « {s} » ?"))
                .unwrap_or_default();
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_contact",
                format!("Contact inconnu : « {} ».{hint}", body.contact),
            ));
        };
        // A contact resolved by a fact has one address per arm: the inbox alone tells it then.
        let email = match &contact.resolution {
            ContactResolution::Fixed(channels) => email_of(channels),
            ContactResolution::ByFact { .. } => None,
        };
        if !app
            .store
            .assign_request(&rid, &contact.name, email.as_deref())?
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "already_answered",
                "Cette demande a déjà reçu une réponse : elle ne se réaffecte plus.",
            ));
        }
        app.requests.notifier.wake();
        let request = app.store.request(&rid)?.ok_or_else(unknown_request)?;
        Ok(Json(
            json!({ "request": inbox_json(&app, &program, &request) }),
        ))
    })
    .await
}

/// `GET /api/requests/{rid}/draft`: a `.guichet` topic drafted from an answered request.
pub async fn draft(
    State(app): State<App>,
    headers: HeaderMap,
    Path(rid): Path<String>,
) -> ApiResult<Response> {
    let text = blocking(move || {
        let (_, request) = visible(&app, &headers, &rid)?;
        if request.reply.is_none() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "not_answered",
                "Un brouillon de sujet se tire d'une demande qui a reçu sa réponse.",
            ));
        }
        Ok(draft::snippet(&app.rules.current(), &request))
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"brouillon.guichet\"",
            ),
        ],
        text,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ExampleOf {
    /// The topic the question belongs to (default: the request's own).
    topic: Option<String>,
}

/// `GET /api/requests/{rid}/example[?topic=ID]`: the agent's question as an `examples` line
/// of an existing topic, and where it goes (text).
pub async fn example(
    State(app): State<App>,
    headers: HeaderMap,
    Path(rid): Path<String>,
    Query(of): Query<ExampleOf>,
) -> ApiResult<Response> {
    let text = blocking(move || {
        let (_, request) = visible(&app, &headers, &rid)?;
        let program = app.rules.current();
        let name = of.topic.unwrap_or_else(|| request.topic.clone());
        let Some(topic) = program.topic_named(&name) else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_topic",
                "Choisissez le sujet auquel la question appartient (?topic=ID).",
            ));
        };
        draft::example(&program, &request, topic).ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "no_question",
                "L'agent n'a pas tapé sa question (il a choisi un sujet) : rien à ajouter comme exemple.",
            )
        })
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

const INBOX: &str = include_str!("../assets/inbox.html");
const INBOX_SCRIPT: &str = include_str!("../assets/inbox.js");
const INBOX_STYLE: &str = include_str!("../assets/inbox.css");

/// `GET /inbox`: the page (it asks for the credential itself, and keeps it in memory only).
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INBOX,
    )
        .into_response()
}

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INBOX_SCRIPT,
    )
        .into_response()
}

pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INBOX_STYLE,
    )
        .into_response()
}

// ---------------------------------------------------------------- figures

/// The requests' figures of `GET /api/stats` and `/admin`, over the same period as the rest.
pub fn figures(app: &App, since: i64) -> ApiResult<super::store::RequestStats> {
    Ok(app.store.request_stats(since, &iso_date(app.today()))?)
}

/// How the conversations of the period ended: an answer from the rules, a request a person
/// answered, or nothing (handed off without an answered request, or abandoned); shares of the
/// conversations that ended. `None` when none ended.
pub fn endings(
    stats: &super::store::Stats,
    requests: &super::store::RequestStats,
) -> Option<(f64, f64, f64)> {
    let o = &stats.outcomes;
    let ended = o.answered + o.handed_off + o.abandoned;
    if ended == 0 {
        return None;
    }
    let by_person = requests
        .conversations_answered_by_a_person
        .min(o.handed_off);
    let share = |n: i64| n as f64 / ended as f64;
    Some((
        share(o.answered),
        share(by_person),
        share(ended - o.answered - by_person),
    ))
}

/// The `requests` object of `GET /api/stats`.
pub fn stats_json(stats: &super::store::Stats, requests: &super::store::RequestStats) -> Value {
    let endings = endings(stats, requests);
    json!({
        "total": requests.total,
        "per_contact": requests.per_contact,
        "per_topic": requests.per_topic,
        "conversations_ended": {
            "answer": endings.map(|e| e.0),
            "request_answered": endings.map(|e| e.1),
            "nothing": endings.map(|e| e.2),
        },
    })
}

/// The requests' section of `/admin` (escaped HTML).
pub fn stats_html(
    stats: &super::store::Stats,
    requests: &super::store::RequestStats,
    topic_title: impl Fn(&str) -> String,
) -> String {
    use super::page::escape_html;
    let hours = |h: Option<f64>| h.map_or("—".to_string(), |h| format!("{h:.1} h"));
    let percent = |p: Option<f64>| p.map_or("—".to_string(), |p| format!("{:.0} %", p * 100.0));
    let table = |caption: &str, head: &str, rows: Vec<(String, &super::store::RequestFigures)>| {
        let mut html = format!(
            "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th>\
             <th scope=\"col\">Ouvertes</th><th scope=\"col\">Répondues</th>\
             <th scope=\"col\">En retard</th><th scope=\"col\">Délai médian</th>\
             <th scope=\"col\">Délai à 90 %</th></tr></thead><tbody>",
            escape_html(caption),
            escape_html(head)
        );
        if rows.is_empty() {
            html.push_str("<tr><td colspan=\"6\">Aucune demande.</td></tr>");
        }
        for (label, f) in rows {
            html.push_str(&format!(
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape_html(&label),
                f.opened,
                f.answered,
                f.overdue,
                hours(f.median_hours),
                hours(f.p90_hours)
            ));
        }
        html.push_str("</tbody></table>");
        html
    };
    let endings = endings(stats, requests);
    let mut rows = vec![("Toutes".to_string(), &requests.total)];
    rows.extend(requests.per_contact.iter().map(|(c, f)| (c.clone(), f)));
    let topics = requests
        .per_topic
        .iter()
        .map(|(t, f)| {
            let title = topic_title(t);
            (if title.is_empty() { t.clone() } else { title }, f)
        })
        .collect();
    format!(
        "<h2>Demandes transmises à une personne</h2>\
         <dl class=\"figures\"><div><dt>Conversations finies par une réponse</dt><dd>{}</dd></div>\
         <div><dt>… par une demande répondue</dt><dd>{}</dd></div>\
         <div><dt>… sans rien</dt><dd>{}</dd></div></dl>{}{}",
        percent(endings.map(|e| e.0)),
        percent(endings.map(|e| e.1)),
        percent(endings.map(|e| e.2)),
        table("Demandes par contact", "Contact", rows),
        table("Demandes par sujet", "Sujet", topics),
    )
}
