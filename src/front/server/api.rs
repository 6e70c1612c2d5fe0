//! The JSON API, and the conversation logic it shares with the SMS webhook.
//!
//! Request and response bodies are wire types (serde structs here, step
//! objects from `front/wire.rs`), never engine types. Every error is
//! `{"error": {"code", "message"}}` with an HTTP status ([`ApiError`]); a
//! refused reply also carries the re-asked `step`. Bodies are read by
//! [`JsonBody`], which turns every way a body can be wrong into a 400 or a
//! 413, so bad input never reaches a 500. The store is synchronous: each
//! handler runs its work on the blocking pool ([`blocking`]), where a panic
//! becomes a 500 like anywhere else — except the two routes every
//! conversation takes, a new conversation on a topic and a reply: their engine
//! work (microseconds) runs on the server's own threads, and they await the
//! store's `*_later` futures, so no thread is held while a batch commits.
//!
//! A conversation starts on a topic ([`start`]) or from a free-text question
//! ([`route_question`], then [`choose`] after a choice of topics): the
//! question is routed by the [`crate::route::Router`] of the rules served now;
//! an unmatched one is recorded in the store and handed to the `fallback`
//! contact. Nothing is stored for a choice offered: the web page keeps it,
//! SMS keeps it in the store (`sms.rs`).

use super::store::{Conversation, Kept, Outcome, StoreError, Turn};
use super::{log, App, Served};
use crate::compile::program::{Program, TopicId};
use crate::engine::reply::MAX_TEXT;
use crate::engine::session::GatheredFact;
use crate::engine::{Command, Provenance, Session, SessionError, Step};
use crate::front::wire;
use crate::route::{self, Decision, Extracted};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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

    /// The database cannot be reached: nothing was written, retry later.
    fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Le service est momentanément indisponible. Réessayez dans un instant.",
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
        if e.is_unavailable() {
            ApiError::unavailable()
        } else {
            ApiError::internal()
        }
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
        super::security::require_json(request.headers())?;
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| body_error(rejection.status()))?;
        // One parse straight into `T` for a good body; only a bad one is parsed again, as a
        // `Value` first, to tell bad JSON (`bad_json`) from a wrong shape (`bad_request`).
        if let Ok(body) = serde_json::from_slice(&bytes) {
            return Ok(JsonBody(body));
        }
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
    #[serde(default)]
    topic: Option<String>,
    /// A free-text question: routed to a topic (without `topic`), or read for the facts it
    /// states once the agent chose `topic` among the topics offered for it.
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    profile: Map<String, Value>,
    /// The agent's previous conversation (its id): the facts it knows are
    /// not asked again (provenance `earlier`).
    #[serde(default)]
    after: Option<String>,
}

/// Who starts a conversation, and from where.
#[derive(Clone, Copy)]
pub struct Agent<'a> {
    /// `web` or `sms`.
    pub channel: &'a str,
    pub phone: Option<&'a str>,
    pub profile: &'a [(String, String)],
    /// The agent's previous conversation, whose facts are carried over.
    pub after: Option<&'a str>,
}

/// The profile of a request as fact names and raw values (texts, numbers, booleans).
pub fn profile_values(profile: Map<String, Value>) -> ApiResult<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(profile.len());
    for (fact, value) in profile {
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
        out.push((fact, text));
    }
    Ok(out)
}

pub async fn create(
    State(app): State<App>,
    JsonBody(request): JsonBody<CreateRequest>,
) -> ApiResult<Response> {
    let CreateRequest {
        topic,
        question,
        profile,
        after,
    } = request;
    let profile = profile_values(profile)?;
    if let (Some(name), None, None) = (&topic, &question, &after) {
        let agent = Agent {
            channel: "web",
            phone: None,
            profile: &profile,
            after: None,
        };
        let program = app.rules.current();
        let topic = find_topic(&program, name)?;
        let begun = prepare(&app, &program, agent, topic, None, || Ok(None))?;
        if app.limits.room_counted() {
            app.limits.check_room(&app)?;
        } else {
            let counting = app.clone();
            blocking(move || counting.limits.check_room(&counting)).await?;
        }
        let Begun {
            conversation,
            mut turns,
        } = begun;
        let (id, topic) = (conversation.id.clone(), conversation.topic.clone());
        // The store took its copy of the turns: the step goes on to the response (no clone).
        let stored = app.store.create_later(conversation, &turns);
        let step = first_step(&mut turns);
        stored.await?;
        let body = Created {
            id: &id,
            step: &step,
            topic: &topic,
        };
        return Ok(json_response(StatusCode::CREATED, &body));
    }
    let (status, body) = blocking(move || {
        let agent = Agent {
            channel: "web",
            phone: None,
            profile: &profile,
            after: after.as_deref(),
        };
        let (routed, outcome) = match (topic, question) {
            (Some(topic), None) => {
                let (conversation, step) = start(&app, agent, &topic)?;
                (None, Routed::Started { conversation, step })
            }
            (None, Some(question)) => {
                let (routed, outcome) = route_question(&app, agent, &question)?;
                (routed, outcome)
            }
            (Some(topic), Some(question)) => (None, choose(&app, agent, &topic, &question)?),
            (None, None) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "Donnez le sujet (`topic`) ou la question (`question`) de la conversation.",
                ))
            }
        };
        let mut body = match outcome {
            Routed::Started { conversation, step } => (
                StatusCode::CREATED,
                json!({ "id": conversation.id, "topic": conversation.topic, "step": step }),
            ),
            Routed::Offered { step, .. } | Routed::HandedOff { step } | Routed::Menu { step } => {
                (StatusCode::OK, json!({ "step": step }))
            }
        };
        if let Some(routed) = routed {
            body.1["routed"] = routed;
        }
        Ok(body)
    })
    .await?;
    Ok((status, Json(body)).into_response())
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
) -> ApiResult<Response> {
    let turned = converse_later(&app, &id, &request.text).await?;
    let body = Replied {
        done: turned.done,
        step: &turned.step,
    };
    Ok(json_response(StatusCode::OK, &body))
}

/// The body of a new conversation (fields in the order `json!` wrote them).
#[derive(Serialize)]
struct Created<'a> {
    id: &'a str,
    step: &'a Value,
    topic: &'a str,
}

/// The body of a reply.
#[derive(Serialize)]
struct Replied<'a> {
    done: bool,
    step: &'a Value,
}

/// A JSON response serialised straight from `body` (no `Value` tree built for it).
fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let mut bytes = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => (
            status,
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(_) => ApiError::internal().into_response(),
    }
}

/// `?from=N`: the transcript from its `N`th line (0 first); without it, its last lines.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptPage {
    from: Option<usize>,
}

pub async fn show(
    State(app): State<App>,
    Path(id): Path<String>,
    axum::extract::Query(page): axum::extract::Query<TranscriptPage>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let (conversation, program, mut session) = open(&app, &id)?;
        let step = session.step(&program).map_err(refusal)?;
        let limit = app.limits.settings.transcript_page;
        let (from, total, transcript) = app.store.transcript_page(&id, page.from, limit)?;
        Ok(Json(json!({
            "transcript_from": from,
            "transcript_total": total,
            "id": conversation.id,
            "topic": conversation.topic,
            "topic_title": topic_title(&program, &conversation.topic),
            "channel": conversation.channel,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
            "done": session.is_done(),
            "helpful": conversation.helpful,
            "step": wire::explained(&program, &session, &step),
            "transcript": transcript_json(&transcript),
            "requests": super::requests::for_agent(&app, &id)?,
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

/// The title of a topic of a program, by name; a conversation without topic (a question no
/// topic matched, transmitted to a person: `requests/`) says so.
pub fn topic_title(program: &Program, topic: &str) -> String {
    if topic.is_empty() {
        return super::requests::NO_TOPIC.to_string();
    }
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

/// The topic named `topic` in `program`, or 422 `unknown_topic` with the closest name.
fn find_topic(program: &Program, topic: &str) -> ApiResult<TopicId> {
    program.topic_named(topic).ok_or_else(|| {
        let names = program.topics.iter().map(|t| t.name.as_str());
        let hint = crate::compile::suggest(topic, names)
            .map(|s| format!(" Vouliez-vous dire « {s} » ?"))
            .unwrap_or_default();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_topic",
            format!("Sujet inconnu : « {topic} ».{hint} GET /api/topics les liste."),
        )
    })
}

/// A session on `topic` with the agent's profile (provenance `profile`), or 422 `bad_profile`.
pub fn with_profile(
    app: &App,
    program: &Program,
    topic: TopicId,
    profile: &[(String, String)],
) -> ApiResult<Session> {
    let mut session = Session::new(program, topic, app.today());
    for (fact, value) in profile {
        session
            .prefill(program, fact, value, Provenance::Profile)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "bad_profile",
                    format!("Profil refusé pour « {fact} » : {}", e.message()),
                )
            })?;
    }
    Ok(session)
}

/// Starts a conversation on `topic` and commits it with its first step.
pub fn start(app: &App, agent: Agent, topic: &str) -> ApiResult<(Conversation, Value)> {
    let program = app.rules.current();
    let topic = find_topic(&program, topic)?;
    begin(app, &program, agent, topic, None)
}

/// Starts a conversation on `topic` of `program` (the version served now) and commits it with
/// its first step. With a `question` (the agent's free-text first message, and the facts it
/// states about the agent, for the topic), the question is the first line of the transcript and its facts are
/// pre-filled with provenance `extracted` — after the profile, which wins. Then the facts of
/// the agent's previous conversation (`agent.after`, on the same rules) that this topic may
/// ask and does not know yet are carried over (provenance `earlier`). The first step carries
/// `understood` when facts were assumed so (docs/protocol.md).
fn begin(
    app: &App,
    program: &Program,
    agent: Agent,
    topic: TopicId,
    question: Option<(&str, &[Extracted])>,
) -> ApiResult<(Conversation, Value)> {
    let begun = prepare(app, program, agent, topic, question, || {
        earlier_session(app, program, agent)
    })?;
    app.limits.check_room(app)?;
    let Begun {
        conversation,
        mut turns,
    } = begun;
    app.store.create(&conversation, &turns)?;
    Ok((conversation, first_step(&mut turns)))
}

/// A new conversation, ready to be stored: what [`begin`] commits.
struct Begun {
    conversation: Conversation,
    /// The last one is Guichet's first step.
    turns: Vec<Turn>,
}

/// Guichet's first step, taken out of the turns of a new conversation once they are stored.
fn first_step(turns: &mut [Turn]) -> Value {
    turns
        .last_mut()
        .map(|t| std::mem::take(&mut t.content))
        .unwrap_or_default()
}

/// The engine's part of [`begin`] (nothing stored); `earlier` gives the session whose facts
/// carry over, read after the profile was checked.
fn prepare(
    app: &App,
    program: &Program,
    agent: Agent,
    topic: TopicId,
    question: Option<(&str, &[Extracted])>,
    earlier: impl FnOnce() -> ApiResult<Option<Session>>,
) -> ApiResult<Begun> {
    let mut session = with_profile(app, program, topic, agent.profile)?;
    let now = app.now();
    let mut turns = Vec::with_capacity(2);
    if let Some((question, extracted)) = question {
        if route::prefill(program, &mut session, extracted).is_err() {
            // A value the router read but the fact refuses: the question will ask it.
            log("fait tiré d'une question refusé par les règles");
        }
        turns.push(Turn {
            at: now,
            who: "agent".into(),
            content: json!(question),
        });
    }
    if let Some(earlier) = earlier()? {
        let facts = route::facts_of_topic(program, topic);
        session
            .carry_over(program, &earlier, &facts)
            .map_err(refusal)?;
    }
    let step = session.step(program).map_err(refusal)?;
    let mut wire_step = wire::explained(program, &session, &step);
    if let (Step::Ask(_), Some(understood)) = (&step, wire::understood(&session.assumed(program))) {
        wire_step["understood"] = understood;
    }
    let conversation = Conversation {
        id: new_id()?,
        channel: agent.channel.into(),
        phone: agent.phone.map(String::from),
        topic: program.topic(topic).name.clone(),
        program_version: program.version.clone(),
        session: session_json(&session)?,
        outcome: outcome(&step),
        helpful: None,
        created_at: now,
        updated_at: now,
        revision: 0,
    };
    turns.push(Turn {
        at: now,
        who: "guichet".into(),
        content: wire_step,
    });
    Ok(Begun {
        conversation,
        turns,
    })
}

/// The session of the agent's previous conversation (`agent.after`), when it is on the same
/// version of the rules (facts of other rules are not carried over). An unknown id is 404.
fn earlier_session(app: &App, program: &Program, agent: Agent) -> ApiResult<Option<Session>> {
    let Some(id) = agent.after else {
        return Ok(None);
    };
    if !valid_id(id) {
        return Err(ApiError::unknown_session());
    }
    let conversation = app.store.get(id)?.ok_or_else(ApiError::unknown_session)?;
    // A phone's conversations only: an SMS never continues another number's.
    if conversation.phone.as_deref() != agent.phone {
        return Err(ApiError::unknown_session());
    }
    // Facts of other rules are not carried over (their version may be gone).
    if conversation.program_version != program.version {
        return Ok(None);
    }
    let session = serde_json::from_str(&conversation.session).map_err(|_| {
        log("conversation illisible dans la base");
        ApiError::internal()
    })?;
    Ok(Some(session))
}

// ---------------------------------------------------------------- free-text questions

/// The value of the « Autre chose » option offered with ambiguous topics (as in `guichet chat`):
/// the agent's question then goes to the `fallback` contact.
pub const OTHER: &str = crate::front::choice::OTHER;
const OTHER_LABEL: &str = "Autre chose : transmettre ma question à une personne";

/// What a free-text first message led to.
pub enum Routed {
    /// A conversation started on the topic (confident routing, or the agent's choice).
    Started {
        conversation: Conversation,
        step: Value,
    },
    /// Topics offered (an `ask` of fact `topic`); nothing is stored.
    Offered { topics: Vec<String>, step: Value },
    /// Handed to the `fallback` contact; the question was recorded as unmatched.
    HandedOff { step: Value },
    /// Nothing to route (« bonjour », « merci ») : the menu of topics.
    Menu { step: Value },
}

/// A question as it is routed and kept: trimmed, spaces collapsed. 422 `empty` without a
/// letter or a digit, 422 `too_long` past the length of a text reply.
pub fn clean_question(question: &str) -> ApiResult<String> {
    let question = question.split_whitespace().collect::<Vec<_>>().join(" ");
    if !question.chars().any(char::is_alphanumeric) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty",
            "Votre question est vide : écrivez-la en quelques mots.",
        ));
    }
    if question.chars().count() > MAX_TEXT {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
            format!(
                "Votre question est trop longue : {MAX_TEXT} caractères au plus, s'il vous plaît."
            ),
        ));
    }
    Ok(question)
}

/// An `ask` of fact `topic` whose options are `topics`, plus « Autre chose » when `other`.
fn topic_ask(program: &Program, prompt: &str, topics: &[TopicId], other: bool) -> Value {
    let mut options: Vec<Value> = topics
        .iter()
        .map(|t| {
            let t = program.topic(*t);
            json!({ "value": t.name, "label": t.title })
        })
        .collect();
    if other {
        options.push(json!({ "value": OTHER, "label": OTHER_LABEL }));
    }
    json!({ "type": "ask", "fact": "topic", "prompt": prompt, "kind": "choice", "options": options })
}

/// The menu: every topic.
pub fn menu_step(program: &Program) -> Value {
    let all: Vec<TopicId> = (0..program.topics.len())
        .map(|i| TopicId(i as u32))
        .collect();
    topic_ask(
        program,
        "Quel est le sujet de votre question ?",
        &all,
        false,
    )
}

/// The topics offered for an ambiguous question, then « Autre chose ».
pub fn offer_step(program: &Program, topics: &[TopicId]) -> Value {
    topic_ask(
        program,
        "Votre question peut concerner plusieurs sujets. Lequel ?",
        topics,
        true,
    )
}

/// Routes the agent's free-text first message (docs/routing.md) on the rules served now:
/// confident, the topic starts with the facts the question states; ambiguous, the likely topics
/// are offered; no match, the question goes to the `fallback` contact and is recorded as
/// unmatched (with `phone` for SMS). Also gives the `routed` object of docs/protocol.md.
pub fn route_question(
    app: &App,
    agent: Agent,
    question: &str,
) -> ApiResult<(Option<Value>, Routed)> {
    let Agent { phone, profile, .. } = agent;
    let question = clean_question(question)?;
    let Served { program, router } = app.rules.served();
    if router.analyse(&question).iter().all(|t| t.stop) {
        profile_facts(app, &program, profile)?;
        return Ok((
            None,
            Routed::Menu {
                step: menu_step(&program),
            },
        ));
    }
    let routing = router.route(&question);
    let mut routed = crate::front::ask::routing_json(&program, &routing);
    routed["type"] = json!("routed");
    routed["question"] = json!(question);
    let outcome = match &routing.decision {
        Decision::Confident { topic } => {
            let (conversation, step) = begin(
                app,
                &program,
                agent,
                *topic,
                Some((&question, &routing.extracted)),
            )?;
            Routed::Started { conversation, step }
        }
        Decision::Ambiguous { topics } => {
            profile_facts(app, &program, profile)?;
            // Listed on the admin page for HR to assign (the learning loop, docs/routing.md).
            app.store
                .record_question(Kept::Ambiguous, &question, phone, app.now())?;
            Routed::Offered {
                topics: topics
                    .iter()
                    .map(|t| program.topic(*t).name.clone())
                    .collect(),
                step: offer_step(&program, topics),
            }
        }
        Decision::NoMatch { .. } => Routed::HandedOff {
            step: unmatched(app, &program, phone, &question, profile)?,
        },
    };
    Ok((Some(routed), outcome))
}

/// The agent's choice among the topics offered for `question`: a topic starts with the facts
/// the question states for it; [`OTHER`] hands the question off (recorded as unmatched).
pub fn choose(app: &App, agent: Agent, topic: &str, question: &str) -> ApiResult<Routed> {
    let Agent { phone, profile, .. } = agent;
    let question = clean_question(question)?;
    let Served { program, router } = app.rules.served();
    if topic == OTHER && program.topic_named(topic).is_none() {
        return Ok(Routed::HandedOff {
            step: unmatched(app, &program, phone, &question, profile)?,
        });
    }
    let topic = find_topic(&program, topic)?;
    let extracted = router.extract(&question, topic);
    let (conversation, step) = begin(app, &program, agent, topic, Some((&question, &extracted)))?;
    Ok(Routed::Started { conversation, step })
}

/// The profile's facts as a person taking over reads them (checked as for a conversation).
fn profile_facts(
    app: &App,
    program: &Program,
    profile: &[(String, String)],
) -> ApiResult<Vec<GatheredFact>> {
    if program.topics.is_empty() {
        return Ok(Vec::new());
    }
    Ok(with_profile(app, program, TopicId(0), profile)?.gathered(program))
}

/// A question no topic matched: recorded, then the hand-off to the `fallback` contact (with the
/// question and the profile). Without `fallback` in the rules, 422 `unknown_topic` with the menu.
fn unmatched(
    app: &App,
    program: &Program,
    phone: Option<&str>,
    question: &str,
    profile: &[(String, String)],
) -> ApiResult<Value> {
    let gathered = profile_facts(app, program, profile)?;
    app.store
        .record_question(Kept::Unmatched, question, phone, app.now())?;
    match route::no_match_handoff(program, question, gathered) {
        Some(handoff) => Ok(wire::step(program, &Step::Handoff(handoff))),
        None => {
            let mut error = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_topic",
                "Je n'ai pas trouvé de sujet pour votre question : choisissez-en un dans la liste.",
            );
            error.step = Some(menu_step(program));
            Err(error)
        }
    }
}

pub fn session_json(session: &Session) -> ApiResult<String> {
    serde_json::to_string(session).map_err(|_| ApiError::internal())
}

/// Loads a conversation, its program (the version it started on) and its session.
pub fn open(app: &App, id: &str) -> ApiResult<(Conversation, Arc<Program>, Session)> {
    if !valid_id(id) {
        return Err(ApiError::unknown_session());
    }
    let conversation = app.store.get(id)?.ok_or_else(ApiError::unknown_session)?;
    let program = program_of(app, &conversation.program_version)?;
    let session = session_of(&conversation)?;
    Ok((conversation, program, session))
}

/// The program of a rule version (compiled again from the store if need be).
fn program_of(app: &App, version: &str) -> ApiResult<Arc<Program>> {
    app.rules
        .version(app.store.as_ref(), version)?
        .ok_or_else(|| {
            log("conversation sur une version de règles introuvable dans la base");
            refusal(SessionError::WrongProgram {
                expected: version.to_string(),
            })
        })
}

fn session_of(conversation: &Conversation) -> ApiResult<Session> {
    serde_json::from_str(&conversation.session).map_err(|_| {
        log("conversation illisible dans la base");
        ApiError::internal()
    })
}

/// One turn: the agent's text (a reply or a command) applied to conversation `id`, committed.
/// A refused reply changes nothing and is an error carrying the current step.
pub fn converse(app: &App, id: &str, text: &str) -> ApiResult<Turned> {
    let (conversation, program, session) = open(app, id)?;
    let mut change = apply(app, conversation, &program, session, text)?;
    if !app
        .store
        .update(&change.conversation, change.revision, &change.turns)?
    {
        return Err(conflict());
    }
    Ok(change.turned())
}

/// [`converse`] for the web route: the conversation is awaited from the store, and so is the
/// commit; only a rule version not compiled yet is loaded on the blocking pool.
pub async fn converse_later(app: &App, id: &str, text: &str) -> ApiResult<Turned> {
    if !valid_id(id) {
        return Err(ApiError::unknown_session());
    }
    let conversation = app
        .store
        .get_later(id)
        .await?
        .ok_or_else(ApiError::unknown_session)?;
    let program = match app.rules.loaded(&conversation.program_version) {
        Some(program) => program,
        None => {
            let (loading, version) = (app.clone(), conversation.program_version.clone());
            blocking(move || program_of(&loading, &version)).await?
        }
    };
    let session = session_of(&conversation)?;
    let Change {
        conversation,
        revision,
        mut turns,
        done,
    } = apply(app, conversation, &program, session, text)?;
    // The store takes its copy of the turns when called: the step goes on to the response.
    let stored = app.store.update_later(conversation, revision, &turns);
    let step = std::mem::take(&mut turns[1].content);
    if !stored.await? {
        return Err(conflict());
    }
    Ok(Turned { step, done })
}

/// A turn applied to a conversation, ready to be committed.
struct Change {
    /// The conversation as it becomes.
    conversation: Conversation,
    /// The revision it was read at: the commit is refused if it moved since.
    revision: i64,
    /// The agent's text, then Guichet's step.
    turns: [Turn; 2],
    /// The conversation is over.
    done: bool,
}

impl Change {
    /// What the turn produced, once stored (the step is taken out of the turns).
    fn turned(&mut self) -> Turned {
        Turned {
            step: std::mem::take(&mut self.turns[1].content),
            done: self.done,
        }
    }
}

fn conflict() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        "La conversation a changé pendant le traitement de votre réponse : renvoyez-la.",
    )
}

/// The engine's part of a turn (nothing stored): the agent's text applied to the session.
fn apply(
    app: &App,
    mut conversation: Conversation,
    program: &Program,
    mut session: Session,
    text: &str,
) -> ApiResult<Change> {
    super::limits::check_turns(app, &conversation, program, &mut session)?;
    let text = text.trim();
    let done = match Command::parse(text) {
        Some(Command::Back) => session.back(program),
        Some(Command::Restart) => session.restart(program),
        Some(Command::Person) => session.ask_for_person(program),
        Some(Command::Correct) => session.correct(program),
        Some(Command::Why | Command::Help) => Ok(()),
        None => session.reply(program, text),
    };
    if let Err(e) = done {
        let mut error = refusal(e);
        error.step = session.step(program).ok().map(|s| wire::step(program, &s));
        return Err(error);
    }
    let step = session.step(program).map_err(refusal)?;
    let mut wire_step = wire::explained(program, &session, &step);
    if Command::parse(text) == Some(Command::Why) {
        wire_step["trail"] = wire::trail(program, session.why());
        wire_step["why"] = wire::why(program, &session);
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
            content: wire_step,
        },
    ];
    Ok(Change {
        conversation,
        revision,
        turns,
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
