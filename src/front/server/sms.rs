//! `POST /api/sms`: an SMS gateway webhook in Twilio's format.
//!
//! The gateway posts a form (`From`, `Body`, and fields we ignore) and
//! expects TwiML back: `<Response><Message>…</Message></Response>`, one
//! `<Message>` per SMS sent. The phone number keys the conversation: a
//! message continues the number's open conversation, answers the feedback
//! question after an outcome (OUI / NON), picks a topic from the numbered list
//! the number's last message showed (the topics offered for an ambiguous
//! question, or the menu: kept in the store until the next message, and read
//! by the chat's rule, `front/choice.rs`), or else is a free-text question,
//! routed as on the web (`api::route_question`): a topic starts, a numbered
//! choice is offered, or the question goes to the `fallback` contact and is
//! recorded as unmatched. A bare number with no list on the phone starts
//! nothing: it is asked again, with the menu; so does a number after a rules
//! reload took away a topic of the list (the list kept is then no list, and
//! the message says the topics changed). « SUPPRIMER » erases every
//! conversation of the number, and its kept questions.
//!
//! Nobody can write as someone else's number: the webhook needs the gateway's
//! secret (`security::check_sms`: URL token and/or Twilio signature) and is
//! disabled without one. A number's messages are handled one at a time
//! (`limits::Limits::sms_turn`), and once authenticated every answer is TwiML,
//! a refusal or a failure included.
//!
//! Texts are flattened for a phone (links as `texte (adresse)`, numbered
//! choices, typographic quotes and spaces replaced by their GSM-7 plain
//! forms) and cut into messages of at most [`MAX_SEGMENTS`] segments each,
//! at paragraph, line, sentence or word boundaries ([`split`]).

use super::api::{self, blocking, ApiError, ApiResult};
use super::security;
use super::store::{Offer, Outcome, Selector};
use super::App;
use crate::compile::program::{Program, TopicId};
use crate::engine::Command;
use crate::front::chat::plain_markdown;
use crate::front::choice::{self, Pick, Shown};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

/// Most segments one `<Message>` may take (a concatenated SMS).
pub const MAX_SEGMENTS: usize = 4;

/// How long topics offered for an ambiguous question wait for the agent's choice.
const OFFER_FOR: i64 = 24 * 3600;

/// How long after its last message a conversation lends its facts to the number's next topic.
const CONTINUE_FOR: i64 = 24 * 3600;

#[derive(Deserialize)]
pub struct Incoming {
    #[serde(rename = "From")]
    from: String,
    #[serde(rename = "Body", default)]
    body: String,
}

/// The webhook: authenticated (`security::check_sms`), then one message of a number at a time.
/// Past authentication every answer is TwiML, also a refusal or a failure (said to the phone).
pub async fn webhook(State(app): State<App>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/api/sms", |p| p.as_str())
        .to_string();
    let bytes = match axum::body::to_bytes(body, super::MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return api::body_error(StatusCode::PAYLOAD_TOO_LARGE).into_response(),
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Err(e) = security::check_sms(&app, &parts.headers, &path_and_query, &params) {
        return e.into_response();
    }
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let Some(from) = field("From").filter(|p| form && !p.is_empty()) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            "Formulaire attendu (application/x-www-form-urlencoded) avec From (numéro de l'expéditeur) et Body.",
        )
        .into_response();
    };
    let incoming = Incoming {
        from,
        body: field("Body").unwrap_or_default(),
    };
    let limits = app.limits.clone();
    let _turn = limits.sms_turn(&incoming.from).await;
    let text = match blocking(move || respond(&app, &incoming.from, &incoming.body)).await {
        Ok(text) => text,
        // Refused or failed: the phone is told, in TwiML, never with a JSON error.
        Err(e) => e.message,
    };
    twiml(&split(&gsm_friendly(&text), MAX_SEGMENTS))
}

/// The text to send back to `phone` for `body`.
fn respond(app: &App, phone: &str, body: &str) -> ApiResult<String> {
    let latest = app.store.latest_for_phone(phone)?;
    // A new topic continues the number's last conversation of the day: its facts are not
    // asked again.
    let agent = api::Agent {
        channel: "sms",
        phone: Some(phone),
        profile: &[],
        after: latest
            .as_ref()
            .filter(|c| c.updated_at >= app.now() - CONTINUE_FOR)
            .map(|c| c.id.as_str()),
    };
    let is_open = latest.as_ref().is_some_and(|c| c.outcome == Outcome::Open);
    // The numbered list of topics the number's last message showed (only sent with no
    // conversation open): taken, since whatever is sent now replaces it on the phone.
    let list = match is_open {
        true => None,
        false => app.store.take_offer(phone, app.now() - OFFER_FOR)?,
    };
    let folded = crate::text::fold(body);
    if folded.trim() == "supprimer" {
        let n = app.store.delete(&Selector::Phone(phone.to_string()))?;
        return Ok(format!(
            "{n} conversation(s) supprimée(s). Envoyez un message pour recommencer."
        ));
    }
    if let Some(message) = transmit_word(body) {
        return transmit(app, phone, latest.as_ref(), message);
    }
    let program = app.rules.current();
    if !is_open {
        if let Some(text) = picked(app, agent, &program, list, body)? {
            return Ok(text);
        }
    }
    if let Some(conversation) = &latest {
        let command = Command::parse(body);
        if is_open || command.is_some() {
            return match api::converse(app, &conversation.id, body) {
                // « pourquoi »: the plain explanation, then the question again if one is pending.
                Ok(turned) if command == Some(Command::Why) => {
                    let why = turned.step["why"]["text"].as_str().unwrap_or_default();
                    Ok(match turned.step["type"].as_str() {
                        Some("ask") => format!("{why}\n\n{}", step_text(&turned.step)),
                        _ => why.to_string(),
                    })
                }
                Ok(turned) => Ok(step_text(&turned.step)),
                Err(ApiError {
                    message,
                    step: Some(step),
                    ..
                }) => Ok(format!("{message}\n\n{}", step_text(&step))),
                Err(e) => Err(e),
            };
        }
        if conversation.helpful.is_none() {
            let yes_no = match folded.trim().trim_end_matches(['.', '!']) {
                "oui" | "o" | "yes" => Some(true),
                "non" | "n" | "no" => Some(false),
                _ => None,
            };
            if let Some(helpful) = yes_no {
                api::give_feedback(app, &conversation.id, helpful)?;
                return with_menu(
                    app,
                    phone,
                    &program,
                    "Merci pour votre avis. Pour une autre question, écrivez-la ou ",
                );
            }
        }
    }
    let greeting =
        "Bonjour, ici l'assistant RH de la Ville. Posez votre question en quelques mots, ou ";
    if !body.chars().any(char::is_alphanumeric) {
        return with_menu(app, phone, &program, greeting);
    }
    let routed = api::route_question(app, agent, body).map(|(_, r)| r);
    if let Ok(api::Routed::Menu { .. }) = routed {
        return with_menu(app, phone, &program, greeting);
    }
    routed_text(app, phone, body, routed)
}

/// What `body` picks from `list`, the numbered list of topics the number's last message
/// showed, by the rule of the terminal chat (`front/choice.rs`): the text to send, or `None`
/// when it picks nothing (a question, a command, OUI or NON). A bare number that no list shown
/// has is asked again, with the list; one sent to a list that a rules reload broke (a topic of
/// it gone), with the new menu and a word on why.
fn picked(
    app: &App,
    agent: api::Agent,
    program: &Program,
    list: Option<Offer>,
    body: &str,
) -> ApiResult<Option<String>> {
    let phone = agent.phone.unwrap_or_default();
    let sent = list.is_some();
    // A list whose topics the rules reloaded since no longer all hold is no list.
    let list = list.and_then(|list| {
        let topics: Option<Vec<TopicId>> =
            list.topics.iter().map(|t| program.topic_named(t)).collect();
        topics.map(|topics| (list, topics))
    });
    let shown = list.as_ref().map(|(list, topics)| Shown {
        topics,
        other: !list.menu,
    });
    let name = |topic: TopicId| program.topic(topic).name.clone();
    let offer = list.as_ref().filter(|(list, _)| !list.menu);
    let text = match (choice::pick(program, shown, body), offer) {
        (Pick::Listed(topic), Some((offer, _))) => {
            let chosen = api::choose(app, agent, &name(topic), &offer.question);
            routed_text(app, phone, &offer.question, chosen)?
        }
        (Pick::Other, Some((offer, _))) => {
            let chosen = api::choose(app, agent, api::OTHER, &offer.question);
            routed_text(app, phone, &offer.question, chosen)?
        }
        (Pick::Listed(topic) | Pick::Named(topic), _) => {
            step_text(&api::start(app, agent, &name(topic))?.1)
        }
        (Pick::Unlisted, Some((offer, topics))) => {
            app.store.save_offer(phone, offer, app.now())?;
            format!(
                "Il n'y a pas de choix « {} » : répondez par un numéro de 1 à {}.\n\n{}",
                body.trim(),
                topics.len() + 1,
                step_text(&api::offer_step(program, topics))
            )
        }
        (Pick::Unlisted, None) if shown.is_some() => with_menu(
            app,
            phone,
            program,
            &format!("Il n'y a pas de choix « {} » : ", body.trim()),
        )?,
        (Pick::Unlisted, None) if sent => with_menu(
            app,
            phone,
            program,
            "Les sujets ont été mis à jour depuis la liste envoyée. Posez votre question en quelques mots, ou ",
        )?,
        (Pick::Unlisted, None) => with_menu(
            app,
            phone,
            program,
            "Ce numéro ne correspond à aucune liste envoyée. Posez votre question en quelques mots, ou ",
        )?,
        (Pick::Other | Pick::Text, _) => return Ok(None),
    };
    Ok(Some(text))
}

/// The word that sends the question of a hand-off to its contact (`requests/`), then the
/// agent's message: `TRANSMETTRE` or `TRANSMETTRE merci de me rappeler`.
const TRANSMIT: &str = "transmettre";

/// The agent's message after [`TRANSMIT`], when the SMS starts with that word.
fn transmit_word(body: &str) -> Option<&str> {
    let (word, rest) = body
        .trim()
        .split_once(char::is_whitespace)
        .unwrap_or((body.trim(), ""));
    (crate::text::fold(word).trim_end_matches(['.', '!', ':']) == TRANSMIT).then(|| rest.trim())
}

/// `TRANSMETTRE`: the latest hand-off of the number within a day goes to its contact — a
/// conversation's, or a question no topic matched (sent to the `fallback` contact); the reply
/// will come by SMS.
fn transmit(
    app: &App,
    phone: &str,
    latest: Option<&super::store::Conversation>,
    message: &str,
) -> ApiResult<String> {
    let since = app.now() - OFFER_FOR;
    let handed_off = latest.filter(|c| c.outcome == Outcome::HandedOff && c.updated_at >= since);
    let unmatched = app.store.questions(phone)?.into_iter().rfind(|q| {
        q.kind == "unmatched" && q.at >= since && !latest.is_some_and(|c| q.at <= c.updated_at)
    });
    let sent = match (unmatched, handed_off) {
        (Some(question), _) => super::requests::send_question(
            app,
            "sms",
            Some(phone),
            &question.question,
            &[],
            message,
            None,
        ),
        (None, Some(conversation)) => super::requests::send(app, &conversation.id, message, None),
        (None, None) => return Ok(NOTHING_TO_TRANSMIT.to_string()),
    };
    match sent {
        Ok(request) => {
            let label = app
                .rules
                .current()
                .contacts
                .iter()
                .find(|c| c.name == request.contact)
                .map_or(request.contact.clone(), |c| c.label.clone());
            Ok(format!(
                "Votre question est transmise {}, avec ce que vous m'avez dit. \
                 Réponse attendue au plus tard le {} : elle vous parviendra par SMS.",
                super::requests::to_label(&label),
                super::requests::french_date(&request.due)
            ))
        }
        Err(e) if e.status == StatusCode::CONFLICT => Ok(e.message),
        Err(e) => Err(e),
    }
}

const NOTHING_TO_TRANSMIT: &str = "Rien à transmettre : TRANSMETTRE envoie la question d'une \
     conversation qui vient de vous orienter vers une personne. Posez votre question en quelques mots.";

/// The text for what a free-text question led to; topics offered are kept until the next message.
fn routed_text(
    app: &App,
    phone: &str,
    question: &str,
    routed: ApiResult<api::Routed>,
) -> ApiResult<String> {
    match routed {
        Ok(api::Routed::Started { conversation, step }) => {
            let title = api::topic_title(&app.rules.current(), &conversation.topic);
            Ok(format!("Sujet : {title}\n\n{}", step_text(&step)))
        }
        Ok(api::Routed::Offered { topics, step }) => {
            let question = api::clean_question(question)?;
            app.store.save_offer(
                phone,
                &Offer {
                    question,
                    topics,
                    menu: false,
                },
                app.now(),
            )?;
            Ok(step_text(&step))
        }
        // No conversation to give feedback on: the hand-off alone.
        Ok(api::Routed::HandedOff { step }) => Ok(handoff_text(&step)),
        Ok(api::Routed::Menu { step }) => {
            save_menu(app, phone, &app.rules.current())?;
            Ok(step_text(&step))
        }
        // A question refused (too long) or without a topic: say why, with the menu.
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            with_menu(app, phone, &app.rules.current(), &format!("{} ", e.message))
        }
        Err(e) => Err(e),
    }
}

/// `lead`, then the menu of every topic, which the number's next message may pick from.
fn with_menu(app: &App, phone: &str, program: &Program, lead: &str) -> ApiResult<String> {
    save_menu(app, phone, program)?;
    Ok(format!("{lead}{}", menu(program)))
}

/// Keeps the menu as the numbered list last sent to `phone` (see [`picked`]).
fn save_menu(app: &App, phone: &str, program: &Program) -> ApiResult<()> {
    let menu = Offer {
        question: String::new(),
        topics: program.topics.iter().map(|t| t.name.clone()).collect(),
        menu: true,
    };
    Ok(app.store.save_offer(phone, &menu, app.now())?)
}

/// The menu of every topic, numbered.
fn menu(program: &Program) -> String {
    let mut text = String::from("répondez par le numéro du sujet :");
    for (i, t) in program.topics.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", i + 1, t.title));
    }
    text
}

/// A wire step as an SMS.
fn step_text(step: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut text = String::new();
    match step["type"].as_str() {
        Some("ask") => {
            if let Some(message) = step["understood"]["message"].as_str() {
                text.push_str(&format!("{message}\n\n"));
            }
            text.push_str(&s(&step["prompt"]));
            match step["kind"].as_str() {
                Some("yesno") => text.push_str(" (OUI ou NON)"),
                Some("date") => text.push_str(" (jj/mm/aaaa)"),
                Some("number") => {
                    let unit = step["unit"]
                        .as_str()
                        .map(|u| format!(" {u}"))
                        .unwrap_or_default();
                    match (step["min"].as_f64(), step["max"].as_f64()) {
                        (Some(min), Some(max)) => {
                            text.push_str(&format!(" (nombre entre {min} et {max}{unit})"))
                        }
                        _ => text.push_str(&format!(" (nombre{unit})")),
                    }
                }
                Some("choice") => {
                    for (i, o) in step["options"].as_array().into_iter().flatten().enumerate() {
                        text.push_str(&format!("\n{}. {}", i + 1, s(&o["label"])));
                    }
                    text.push_str("\nRépondez par le numéro.");
                }
                _ => {}
            }
        }
        Some("answer") => {
            text.push_str(&plain_markdown(&s(&step["text"])));
            let sources: Vec<String> = step["sources"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            if !sources.is_empty() {
                text.push_str(&format!("\n\nSources : {}", sources.join(" ; ")));
            }
            if let Some(note) = step["note"].as_str() {
                text.push_str(&format!("\n\n{note}"));
            }
            text.push_str("\n\nCette réponse vous a-t-elle aidé ? Répondez OUI ou NON.");
        }
        Some("handoff") => {
            text.push_str(&format!(
                "Je vous oriente vers {}.",
                s(&step["contact"]["label"])
            ));
            if let Some(message) = step["message"].as_str() {
                text.push_str(&format!("\n{}", plain_markdown(message)));
            }
            let channels = &step["contact"]["channels"];
            for (key, words) in [
                ("name", "Service"),
                ("phone", "Tél"),
                ("email", "Courriel"),
                ("hours", "Horaires"),
                ("office", "Bureau"),
                ("web", "En ligne"),
            ] {
                if let Some(v) = channels[key].as_str() {
                    text.push_str(&format!("\n{words} : {v}"));
                }
            }
            if let Some(note) = step["note"].as_str() {
                text.push_str(&format!("\n\n{note}"));
            }
            text.push_str(TRANSMIT_HINT);
            text.push_str("\n\nCette réponse vous a-t-elle aidé ? Répondez OUI ou NON.");
        }
        _ => {}
    }
    text
}

/// After a hand-off: how to send the question to the contact (see [`transmit`]).
const TRANSMIT_HINT: &str = "\n\nPour lui transmettre votre question avec ce que vous m'avez dit, \
     répondez TRANSMETTRE (suivi d'un message si vous voulez) : la réponse arrivera par SMS.";

/// A hand-off without a conversation behind it: no feedback question.
fn handoff_text(step: &Value) -> String {
    let text = step_text(step);
    match text.rsplit_once("\n\nCette réponse vous a-t-elle aidé ?") {
        Some((handoff, _)) => handoff.to_string(),
        None => text,
    }
}

fn twiml(messages: &[String]) -> Response {
    let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#);
    for m in messages {
        xml.push_str("<Message>");
        xml.push_str(&escape_xml(m));
        xml.push_str("</Message>");
    }
    xml.push_str("</Response>");
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Typographic characters replaced by plain ones that fit the GSM-7 alphabet
/// (French quotes lose the spaces inside them: `« oui »` becomes `"oui"`).
pub fn gsm_friendly(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut after_open_quote = false;
    for c in text.chars() {
        let space = matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}');
        if after_open_quote && space {
            continue;
        }
        after_open_quote = false;
        match c {
            '«' | '“' => {
                out.push('"');
                after_open_quote = true;
            }
            '»' | '”' => {
                out.truncate(out.trim_end_matches(' ').len());
                out.push('"');
            }
            '’' | '‘' => out.push('\''),
            '–' | '—' => out.push('-'),
            '…' => out.push_str("..."),
            _ if space => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The GSM 03.38 basic alphabet (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The GSM 03.38 extension table (two septets each).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// How many characters a text takes in its encoding, and how many fit in one segment of a
/// concatenated SMS: GSM-7 (153) when every character is in the GSM alphabet, else UCS-2 (67).
fn cost(text: &str) -> (usize, usize) {
    let gsm = text
        .chars()
        .all(|c| GSM_BASIC.contains(c) || GSM_EXTENDED.contains(c));
    if gsm {
        let septets = text
            .chars()
            .map(|c| if GSM_EXTENDED.contains(c) { 2 } else { 1 })
            .sum();
        (septets, 153)
    } else {
        (text.encode_utf16().count(), 67)
    }
}

/// How many SMS segments a text takes.
pub fn segments(text: &str) -> usize {
    let (units, per_segment) = cost(text);
    // A single segment holds a little more than a part of a concatenated one.
    let single = if per_segment == 153 { 160 } else { 70 };
    if units <= single {
        1
    } else {
        units.div_ceil(per_segment)
    }
}

/// Cuts `text` into messages of at most `max_segments` segments each, at the largest
/// boundary that fits: line, sentence, word, and characters as a last resort.
pub fn split(text: &str, max_segments: usize) -> Vec<String> {
    let fits = |t: &str| segments(t) <= max_segments;
    let mut messages: Vec<String> = Vec::new();
    for (piece, separator) in pieces(text.trim(), &fits) {
        match messages.last_mut() {
            Some(last) if fits(&format!("{last}{separator}{piece}")) => {
                last.push_str(separator);
                last.push_str(&piece);
            }
            _ => messages.push(piece),
        }
    }
    let mut messages: Vec<String> = messages
        .into_iter()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    if messages.is_empty() {
        messages.push(String::new());
    }
    messages
}

/// The smallest pieces needed, each with the separator that joins it to the previous one:
/// lines that fit, else their sentences, else their words, else characters.
fn pieces(text: &str, fits: &dyn Fn(&str) -> bool) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for line in text.split('\n') {
        if fits(line) {
            out.push((line.to_string(), "\n"));
            continue;
        }
        let mut separator = "\n";
        for sentence in sentences(line) {
            if fits(sentence) {
                out.push((sentence.to_string(), separator));
                separator = " ";
                continue;
            }
            for word in sentence.split(' ').filter(|w| !w.is_empty()) {
                if fits(word) {
                    out.push((word.to_string(), separator));
                } else {
                    let mut current = String::new();
                    for c in word.chars() {
                        if !fits(&format!("{current}{c}")) {
                            out.push((std::mem::take(&mut current), separator));
                            separator = "";
                        }
                        current.push(c);
                    }
                    out.push((current, separator));
                }
                separator = " ";
            }
        }
    }
    out
}

/// A line cut after each `. `, `; `, `: `, `? ` or `! ` (the space dropped).
fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b' ' && matches!(bytes[i - 1], b'.' | b';' | b':' | b'?' | b'!') {
            out.push(&line[start..i]);
            start = i + 1;
        }
    }
    out.push(&line[start..]);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_the_encoding() {
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"é".repeat(160)), 1, "é is in the GSM alphabet");
        assert_eq!(segments(&"ê".repeat(70)), 1);
        assert_eq!(segments(&"ê".repeat(71)), 2);
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
    }

    #[test]
    fn long_texts_are_cut_at_lines_then_words_and_every_message_fits() {
        let paragraph = "Vous avez droit à vingt-cinq jours de congés annuels par an. ".repeat(12);
        let text = format!("Première ligne.\n{paragraph}\nDernière ligne.");
        let messages = split(&text, 2);
        assert!(messages.len() > 2, "{messages:?}");
        for m in &messages {
            assert!(segments(m) <= 2, "{m}");
            assert!(!m.starts_with(' ') && !m.ends_with(' '), "{m:?}");
        }
        let rejoined: String = messages
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let original: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(rejoined, original, "nothing is lost or duplicated");
        assert!(messages[0].starts_with("Première ligne.\nVous avez"));
        assert!(
            messages.iter().all(|m| m.ends_with('.')),
            "cut at sentences: {messages:?}"
        );
    }

    #[test]
    fn a_word_longer_than_a_message_is_cut() {
        let messages = split(&"x".repeat(500), 1);
        assert_eq!(messages.len(), 4);
        assert!(messages.iter().all(|m| segments(m) == 1));
    }

    #[test]
    fn typography_is_made_gsm_friendly_and_xml_escaped() {
        assert_eq!(gsm_friendly("« oui » – l’agent…"), "\"oui\" - l'agent...");
        assert_eq!(escape_xml("<a & b>"), "&lt;a &amp; b&gt;");
    }
}
