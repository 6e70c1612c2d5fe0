//! Sending what requests need sent: the contact's notification by e-mail
//! (SMTP through `lettre`), the reply to the agent by e-mail and by SMS (a
//! form POST to the gateway, `To` and `Body` as in Twilio's Messages API).
//!
//! The store is the outbox: a request not yet notified, or a reply not yet
//! delivered, is found again by [`run`], which wakes when a request is sent
//! or answered and otherwise every minute (so a failed sending is retried,
//! also after a restart). One task sends, in order, so nothing goes twice.
//! The notification holds a link to the inbox, the topic and the due date:
//! no personal data. Logs say what was sent to no one in particular.

use super::super::sms::{gsm_friendly, split, MAX_SEGMENTS};
use super::super::store::HrRequest;
use super::super::{log, App};
use axum::body::Bytes;
use axum::http::{header, Request, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// The ways out, as configured.
pub struct Notifier {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    sms: Option<(Uri, Client<HttpConnector, Full<Bytes>>)>,
    /// The address the inbox link starts with (`--public-url`, else the address listened on).
    public_url: std::sync::OnceLock<String>,
    wake: tokio::sync::Notify,
    /// How often the outbox is looked at without being woken (`--outbox-interval-ms`).
    every: Duration,
}

impl Notifier {
    /// `smtp`: `smtp://host:port`; `sms`: the gateway's `http://` URL for outbound messages.
    pub fn new(
        smtp: Option<&str>,
        from: &str,
        sms: Option<&str>,
        public_url: Option<&str>,
        every: Duration,
    ) -> Result<Notifier, String> {
        let smtp = smtp
            .map(|url| {
                let rest = url.strip_prefix("smtp://").ok_or_else(|| {
                    format!("--smtp attend smtp://hôte:port, pas « {url} » (pas de TLS : un relais local)")
                })?;
                let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
                    Some((host, port)) => (
                        host.to_string(),
                        port.parse::<u16>()
                            .map_err(|_| format!("--smtp : port invalide dans « {url} »"))?,
                    ),
                    None => (rest.trim_end_matches('/').to_string(), 25),
                };
                Ok::<_, String>(
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                        .port(port)
                        .timeout(Some(Duration::from_secs(20)))
                        .build(),
                )
            })
            .transpose()?;
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("--mail-from : adresse invalide « {from} » ({e})"))?;
        let sms = sms
            .map(|url| {
                let uri: Uri = url
                    .parse()
                    .map_err(|_| format!("--sms-send : adresse invalide « {url} »"))?;
                if uri.scheme_str() != Some("http") {
                    return Err(format!(
                        "--sms-send attend une adresse http:// (la passerelle locale), pas « {url} »"
                    ));
                }
                let client = Client::builder(TokioExecutor::new()).build_http();
                Ok((uri, client))
            })
            .transpose()?;
        Ok(Notifier {
            smtp,
            from,
            sms,
            public_url: public_url
                .map(|url| std::sync::OnceLock::from(url.trim_end_matches('/').to_string()))
                .unwrap_or_default(),
            wake: tokio::sync::Notify::new(),
            every,
        })
    }

    /// The address of the server once it listens, unless `--public-url` gave one.
    pub fn listening_on(&self, addr: &str) {
        let _ = self.public_url.set(format!("http://{addr}"));
    }

    /// A request was sent or answered: look at the outbox now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn mails(&self) -> bool {
        self.smtp.is_some()
    }

    pub fn texts(&self) -> bool {
        self.sms.is_some()
    }

    async fn mail(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let Some(smtp) = &self.smtp else {
            return Err("pas de serveur SMTP".into());
        };
        let to: Mailbox = to.parse().map_err(|_| "adresse invalide".to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(plain(body))
            .map_err(|_| "message impossible à construire".to_string())?;
        // The relay's own words may quote the address: only the kind of failure is logged.
        smtp.send(message)
            .await
            .map(|_| ())
            .map_err(|e| match e.status() {
                Some(code) => format!("le serveur SMTP a répondu {code}"),
                None if e.is_timeout() => "délai dépassé avec le serveur SMTP".to_string(),
                None => "serveur SMTP injoignable, ou refus".to_string(),
            })
    }

    async fn text(&self, to: &str, body: &str) -> Result<(), String> {
        let Some((uri, client)) = &self.sms else {
            return Err("pas de passerelle SMS".into());
        };
        for part in split(&gsm_friendly(body), MAX_SEGMENTS) {
            let form = serde_urlencoded::to_string([("To", to), ("Body", part.as_str())])
                .map_err(|e| e.to_string())?;
            let request = Request::post(uri.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(form)))
                .map_err(|e| e.to_string())?;
            let response = tokio::time::timeout(Duration::from_secs(20), client.request(request))
                .await
                .map_err(|_| "délai dépassé".to_string())?
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("la passerelle a répondu {}", response.status()));
            }
        }
        Ok(())
    }

    /// Tells the contact that a request waits (no personal data).
    async fn notify(&self, request: &HrRequest, topic_title: &str) -> Result<(), String> {
        let Some(to) = &request.contact_email else {
            return Ok(());
        };
        let body = format!(
            "Bonjour,\n\nUne question d'agent vous a été transmise par le guichet RH \
             (sujet : {topic_title}).\nRéponse attendue au plus tard le {due}.\n\n\
             Ouvrez votre boîte de réception pour la lire et y répondre :\n{url}/inbox\n\n\
             Ce message ne contient aucune donnée personnelle : tout est dans la boîte de réception.\n",
            due = super::french_date(&request.due),
            url = self.public_url.get().map_or("", String::as_str),
        );
        self.mail(to, "Guichet RH : une question vous attend", body)
            .await
    }

    /// Sends the reply to the agent, where the agent asked; `true` once every way out given
    /// and configured took it.
    async fn deliver(&self, request: &HrRequest, contact_label: &str) -> Result<bool, String> {
        let Some(reply) = &request.reply else {
            return Ok(false);
        };
        let mut sent = false;
        if let (Some(to), true) = (&request.reply_email, self.mails()) {
            let body = format!(
                "Bonjour,\n\nVoici la réponse à la question que vous avez transmise par le \
                 guichet RH ({contact_label}) :\n\n{reply}\n\n\
                 Vous la retrouvez aussi sur la page de votre conversation.\n"
            );
            self.mail(to, "Guichet RH : réponse à votre question", body)
                .await?;
            sent = true;
        }
        if let (Some(phone), true) = (&request.phone, self.texts()) {
            self.text(
                phone,
                &format!("Réponse de {contact_label} à votre question :\n{reply}"),
            )
            .await?;
            sent = true;
        }
        Ok(sent)
    }
}

/// A French text body sent as it is (8BITMIME, which every current relay offers), so that
/// links are never cut by an encoding's line breaks: lines are wrapped at words below the
/// 76 characters under which lettre keeps 8 bits (else it falls back to an encoding).
fn plain(text: String) -> lettre::message::Body {
    use lettre::message::header::ContentTransferEncoding;
    lettre::message::Body::new_with_encoding(wrap(&text, 72), ContentTransferEncoding::EightBit)
        .unwrap_or_else(lettre::message::Body::new)
}

/// `text` with every line longer than `width` bytes cut at spaces (lettre counts bytes).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / width);
    for line in text.split('\n') {
        let mut length = 0;
        for (i, word) in line.split(' ').enumerate() {
            let n = word.len();
            if i > 0 && length + 1 + n > width {
                out.push('\n');
                length = 0;
            } else if i > 0 {
                out.push(' ');
                length += 1;
            }
            out.push_str(word);
            length += n;
        }
        out.push('\n');
    }
    out.pop();
    out
}

/// The outbox task: runs until the server stops.
pub async fn run(app: App) {
    let notifier = app.requests.notifier.clone();
    if !notifier.mails() && !notifier.texts() {
        return;
    }
    loop {
        let worker = app.clone();
        let pending = tokio::task::spawn_blocking(move || {
            worker
                .store
                .undelivered(worker.requests.notifier.mails(), true)
        })
        .await;
        match pending {
            Ok(Ok(pending)) => send_all(&app, pending).await,
            Ok(Err(e)) => log(&format!("demandes : lecture de la base impossible : {e}")),
            Err(_) => log("demandes : erreur interne"),
        }
        let _ = tokio::time::timeout(notifier.every, notifier.wake.notified()).await;
    }
}

async fn send_all(app: &App, pending: Vec<HrRequest>) {
    let notifier = &app.requests.notifier;
    for request in pending {
        let program = app.rules.current();
        let now = app.now();
        if request.status == "open" {
            let title = super::super::api::topic_title(&program, &request.topic);
            match notifier.notify(&request, &title).await {
                Ok(()) => mark(app, &request.id, now, false).await,
                Err(e) => log(&format!("demandes : notification non envoyée ({e})")),
            }
        } else {
            let label = program
                .contacts
                .iter()
                .find(|c| c.name == request.contact)
                .map_or(request.contact.clone(), |c| c.label.clone());
            match notifier.deliver(&request, &label).await {
                Ok(true) => mark(app, &request.id, now, true).await,
                Ok(false) => {}
                Err(e) => log(&format!("demandes : réponse non transmise à l'agent ({e})")),
            }
        }
    }
}

async fn mark(app: &App, id: &str, now: i64, delivered: bool) {
    let (worker, id) = (app.clone(), id.to_string());
    let done = tokio::task::spawn_blocking(move || {
        if delivered {
            worker.store.request_delivered(&id, now)
        } else {
            worker.store.request_notified(&id, now)
        }
    })
    .await;
    if !matches!(done, Ok(Ok(()))) {
        log("demandes : envoi fait mais non noté dans la base (il sera refait)");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_lines_are_wrapped_at_words() {
        let text = "Bonjour,\n\nVoici la réponse de la direction des ressources humaines à votre question transmise.";
        let wrapped = super::wrap(text, 30);
        assert!(wrapped.lines().all(|l| l.len() <= 30), "{wrapped}");
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
        assert!(wrapped.starts_with("Bonjour,\n\nVoici"));
    }
}
