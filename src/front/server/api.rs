//! The JSON API, and the conversation logic it shares with the SMS webhook.
//!
//! Request and response bodies are wire types (serde structs here, step
//! objects from `front/wire.rs`), never engine types. Every error is
//! `{"error": {"code", "message"}}` with an HTTP status ([`ApiError`]); a
//! refused reply also carries the re-asked `step`. Bodies are read by
//! [`JsonBody`], which turns every way a body can be wrong into a 400 or a
//! 413, so bad input never reaches a 500. The store is synchronous: each
//! handler runs its work on the blocking pool ([`blocking`]), where a panic
//! becomes a 500 like anywhere else.

use super::store::{Conversation, Outcome, StoreError, Turn};
use super::{log, App};
use crate::compile::program::Program;
use crate::engine::{Command, Provenance, Session, SessionError, Step};
use crate::front::wire;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// An error as the API sends it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The current step, for a refused reply (the conversation goes on from there).
    pub step: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            step: None,
        }
    }

    pub fn unknown_session() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "Cette conversation n'existe pas (ou plus).",
        )
    }

    fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Erreur interne du serveur. Réessayez dans un instant.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        log(&format!("erreur de la base : {e}"));
        ApiError::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if let Some(step) = self.step {
            body["step"] = step;
        }
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The response of a panic anywhere below the router: a JSON 500 and a log line.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The panic payload may quote input: it is not logged.
    log("erreur interne : panique dans un gestionnaire de requête");
    ApiError::internal().into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "Aucune ressource à cette adresse.",
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Cette méthode n'est pas permise à cette adresse.",
    )
}

/// Runs store and engine work on the blocking pool; a panic there is a 500.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(_) => {
            log("erreur interne : panique pendant le traitement d'une requête");
            Err(ApiError::internal())
        }
    }
}

/// A JSON body: 413 when over the limit, 400 when not JSON or not the expected shape.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| body_error(rejection.status()))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!("Le corps de la requête n'est pas du JSON valide : {e}."),
            )
        })?;
        serde_json::from_value(value).map(JsonBody).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("Le corps de la requête n'a pas la forme attendue : {e}."),
            )
        })
    }
}

/// The error for a body that could not be read.
pub fn body_error(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "Le corps de la requête dépasse {} Kio.",
                super::MAX_BODY / 1024
            ),
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "Le corps de la requête n'a pas pu être lu.",
        )
    }
}

/// Session ids: 128 random bits, as 32 hexadecimal digits.
pub fn new_id() -> ApiResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| {
        log("erreur interne : pas de source d'aléa");
        ApiError::internal()
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A session id as the server makes them; anything else is unknown without asking the store.
pub fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---------------------------------------------------------------- routes

pub async fn health(State(app): State<App>) -> Json<Value> {
    let program = app.rules.current();
    Json(json!({ "status": "ok", "rules": program.version, "topics": program.topics.len() }))
}

pub async fn topics(State(app): State<App>) -> Json<Value> {
    let program = app.rules.current();
    Json(json!({ "rules": program.version, "topics": topic_list(&program) }))
}

fn topic_list(program: &Program) -> Vec<Value> {
    program
        .topics
        .iter()
        .map(|t| json!({ "id": t.name, "title": t.title }))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    topic: String,
    #[serde(default)]
    profile: Map<String, Value>,
}

pub async fn create(
    State(app): State<App>,
    JsonBody(request): JsonBody<CreateRequest>,
) -> ApiResult<Response> {
    let mut profile = Vec::with_capacity(request.profile.len());
    for (fact, value) in request.profile {
        let text = match value {
            Value::String(s) => s,
            Value::Bool(b) => if b { "oui" } else { "non" }.to_string(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "bad_profile",
                    format!("Le profil donne pour « {fact} » une valeur qui n'est ni un texte, ni un nombre, ni un booléen."),
                ))
            }
        };
        profile.push((fact, text));
    }
    let (conversation, step) =
        blocking(move || start(&app, "web", None, &request.topic, &profile)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": conversation.id,
            "topic": conversation.topic,
            "step": step,
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    text: String,
}

pub async fn reply(
    State(app): State<App>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ReplyRequest>,
) -> ApiResult<Json<Value>> {
    let step = blocking(move || converse(&app, &id, &request.text)).await?;
    Ok(Json(json!({ "step": step.step, "done": step.done })))
}

pub async fn show(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let (conversation, program, mut session) = open(&app, &id)?;
        let step = session.step(&program).map_err(refusal)?;
        let transcript = app.store.transcript(&id)?;
        Ok(Json(json!({
            "id": conversation.id,
            "topic": conversation.topic,
            "topic_title": topic_title(&program, &conversation.topic),
            "channel": conversation.channel,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
            "done": session.is_done(),
            "helpful": conversation.helpful,
            "step": wire::step(&program, &step),
            "transcript": transcript_json(&transcript),
        })))
    })
    .await
}

/// Deletes one conversation (the agent's own right to erasure: the id is the key to it).
pub async fn forget(State(app): State<App>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    blocking(move || {
        if !valid_id(&id) {
            return Err(ApiError::unknown_session());
        }
        match app
            .store
            .delete(&super::store::Selector::Session(id.clone()))?
        {
            0 => Err(ApiError::unknown_session()),
            _ => Ok(StatusCode::NO_CONTENT),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    helpful: bool,
}

pub async fn feedback(
    State(app): State<App>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<FeedbackRequest>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        give_feedback(&app, &id, request.helpful)?;
        Ok(Json(json!({ "helpful": request.helpful })))
    })
    .await
}

// ---------------------------------------------------------------- conversation logic

/// What a turn of the conversation produced.
pub struct Turned {
    /// The wire step to show now.
    pub step: Value,
    pub done: bool,
}

/// The title of a topic of a program, by name.
pub fn topic_title(program: &Program, topic: &str) -> String {
    program
        .topic_named(topic)
        .map(|t| program.topic(t).title.clone())
        .unwrap_or_default()
}

fn transcript_json(turns: &[Turn]) -> Vec<Value> {
    turns
        .iter()
        .map(|t| match t.who.as_str() {
            "agent" => json!({ "at": t.at, "who": "agent", "text": t.content }),
            _ => json!({ "at": t.at, "who": "guichet", "step": t.content }),
        })
        .collect()
}

/// The outcome of a step, for analytics.
fn outcome(step: &Step) -> Outcome {
    match step {
        Step::Ask(_) => Outcome::Open,
        Step::Answer(_) => Outcome::Answered,
        Step::Handoff(_) => Outcome::HandedOff,
    }
}

fn refusal(e: SessionError) -> ApiError {
    let status = match e {
        SessionError::Reply(_) | SessionError::UnknownFact(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CONFLICT,
    };
    ApiError::new(status, e.code(), e.message())
}

/// Starts a conversation on `topic` and commits it with its first step.
pub fn start(
    app: &App,
    channel: &str,
    phone: Option<&str>,
    topic: &str,
    profile: &[(String, String)],
) -> ApiResult<(Conversation, Value)> {
    let program = app.rules.current();
    let Some(topic_id) = program.topic_named(topic) else {
        let names = program.topics.iter().map(|t| t.name.as_str());
        let hint = crate::compile::suggest(topic, names)
            .map(|s| format!(" Vouliez-vous dire « {s} » ?"))
            .unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_topic",
            format!("Sujet inconnu : « {topic} ».{hint} GET /api/topics les liste."),
        ));
    };
    let mut session = Session::new(&program, topic_id, app.today());
    for (fact, value) in profile {
        session
            .prefill(&program, fact, value, Provenance::Profile)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "bad_profile",
                    format!("Profil refusé pour « {fact} » : {}", e.message()),
                )
            })?;
    }
    let step = session.step(&program).map_err(refusal)?;
    let now = app.now();
    let wire_step = wire::step(&program, &step);
    let conversation = Conversation {
        id: new_id()?,
        channel: channel.into(),
        phone: phone.map(String::from),
        topic: topic.into(),
        program_version: program.version.clone(),
        session: session_json(&session)?,
        outcome: outcome(&step),
        helpful: None,
        created_at: now,
        updated_at: now,
        revision: 0,
    };
    let turn = Turn {
        at: now,
        who: "guichet".into(),
        content: wire_step.clone(),
    };
    app.store.create(&conversation, &[turn])?;
    Ok((conversation, wire_step))
}

fn session_json(session: &Session) -> ApiResult<String> {
    serde_json::to_string(session).map_err(|_| ApiError::internal())
}

/// Loads a conversation, its program (the version it started on) and its session.
pub fn open(app: &App, id: &str) -> ApiResult<(Conversation, Arc<Program>, Session)> {
    if !valid_id(id) {
        return Err(ApiError::unknown_session());
    }
    let conversation = app.store.get(id)?.ok_or_else(ApiError::unknown_session)?;
    let program = app
        .rules
        .version(app.store.as_ref(), &conversation.program_version)?
        .ok_or_else(|| {
            log("conversation sur une version de règles introuvable dans la base");
            refusal(SessionError::WrongProgram {
                expected: conversation.program_version.clone(),
            })
        })?;
    let session: Session = serde_json::from_str(&conversation.session).map_err(|_| {
        log("conversation illisible dans la base");
        ApiError::internal()
    })?;
    Ok((conversation, program, session))
}

/// One turn: the agent's text (a reply or a command) applied to conversation `id`, committed.
/// A refused reply changes nothing and is an error carrying the current step.
pub fn converse(app: &App, id: &str, text: &str) -> ApiResult<Turned> {
    let (mut conversation, program, mut session) = open(app, id)?;
    let text = text.trim();
    let done = match Command::parse(text) {
        Some(Command::Back) => session.back(&program),
        Some(Command::Restart) => session.restart(&program),
        Some(Command::Person) => session.ask_for_person(&program),
        Some(Command::Why | Command::Help) => Ok(()),
        None => session.reply(&program, text),
    };
    if let Err(e) = done {
        let mut error = refusal(e);
        error.step = session
            .step(&program)
            .ok()
            .map(|s| wire::step(&program, &s));
        return Err(error);
    }
    let step = session.step(&program).map_err(refusal)?;
    let mut wire_step = wire::step(&program, &step);
    if Command::parse(text) == Some(Command::Why) {
        wire_step["trail"] = wire::trail(&program, session.why());
    }
    let now = app.now();
    let revision = conversation.revision;
    conversation.session = session_json(&session)?;
    conversation.outcome = outcome(&step);
    conversation.updated_at = now;
    conversation.revision += 1;
    let turns = [
        Turn {
            at: now,
            who: "agent".into(),
            content: json!(text),
        },
        Turn {
            at: now,
            who: "guichet".into(),
            content: wire_step.clone(),
        },
    ];
    if !app.store.update(&conversation, revision, &turns)? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "La conversation a changé pendant le traitement de votre réponse : renvoyez-la.",
        ));
    }
    Ok(Turned {
        step: wire_step,
        done: session.is_done(),
    })
}

/// Records feedback on a finished conversation.
pub fn give_feedback(app: &App, id: &str, helpful: bool) -> ApiResult<()> {
    let (_, _, session) = open(app, id)?;
    if !session.is_done() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_finished",
            "L'avis se donne une fois la conversation terminée.",
        ));
    }
    if !app.store.feedback(id, helpful, app.now())? {
        return Err(ApiError::unknown_session());
    }
    Ok(())
}
