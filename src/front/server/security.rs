//! Who may do what: the hardening settings (read from the environment at startup), the SMS
//! gateway's authentication, constant-time secret comparison, the cross-site checks on admin
//! writes, and the layers that keep every answer JSON and admin pages out of caches.
//!
//! The threat model and every setting are in docs/server.md (« Sécurité »). Settings are
//! environment variables `GUICHET_*`, read once by [`Settings::from_env`]; a malformed value
//! stops the server at startup rather than running with a guess.

use super::api::ApiError;
use super::App;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// Every hardening setting, with its default. See docs/server.md « Sécurité ».
#[derive(Clone, Debug)]
pub struct Settings {
    /// `GUICHET_TWILIO_AUTH_TOKEN`: when set, `/api/sms` requires a valid `X-Twilio-Signature`.
    pub twilio_auth_token: Option<String>,
    /// `GUICHET_PUBLIC_URL`: the scheme and host the gateway posts to (`https://rh.ville.fr`),
    /// for the signed URL; default `http://` + the request's `Host`.
    pub public_url: Option<String>,
    /// `GUICHET_TRUSTED_PROXIES`: addresses whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// `GUICHET_MAX_REPLIES`: replies and commands one conversation takes.
    pub max_replies: i64,
    /// `GUICHET_TRANSCRIPT_PAGE`: transcript lines `GET /api/sessions/{id}` returns at most.
    pub transcript_page: usize,
    /// `GUICHET_HEADER_TIMEOUT_S`: a connection that sent no complete request head within this
    /// time (also between requests on a kept-alive connection) is closed.
    pub header_timeout: Duration,
    /// `GUICHET_REQUEST_TIMEOUT_S`: reading the body and handling a request.
    pub request_timeout: Duration,
    /// `GUICHET_MAX_CONNECTIONS`: open connections at once (also bounded by the open-files limit).
    pub max_connections: usize,
    /// `GUICHET_RATE_CREATE`, `_REPLY`, `_SMS`, `_ADMIN`: requests a minute per client address
    /// (bursts up to the same number); 0 turns a limit off.
    pub rate_create: u32,
    pub rate_reply: u32,
    pub rate_sms: u32,
    pub rate_admin: u32,
    /// `GUICHET_MAX_CONVERSATIONS`: conversations stored at once; past it, new ones are 503.
    pub max_conversations: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            twilio_auth_token: None,
            public_url: None,
            // A reverse proxy on the same machine (the documented deployment).
            trusted_proxies: vec![
                IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ],
            max_replies: 200,
            transcript_page: 100,
            header_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_connections: 4096,
            rate_create: 60,
            rate_reply: 300,
            rate_sms: 600,
            rate_admin: 30,
            max_conversations: 200_000,
        }
    }
}

impl Settings {
    /// The settings from `GUICHET_*` variables; the message for the first malformed one.
    pub fn from_env() -> Result<Settings, String> {
        Settings::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let mut s = Settings::default();
        fn number<T: std::str::FromStr>(
            name: &str,
            value: Option<String>,
            into: &mut T,
        ) -> Result<(), String> {
            if let Some(v) = value {
                *into = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name} : « {v} » n'est pas un nombre entier positif"))?;
            }
            Ok(())
        }
        s.twilio_auth_token = get("GUICHET_TWILIO_AUTH_TOKEN");
        s.public_url =
            get("GUICHET_PUBLIC_URL").map(|u| u.trim().trim_end_matches('/').to_string());
        if let Some(list) = get("GUICHET_TRUSTED_PROXIES") {
            s.trusted_proxies.clear();
            for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                s.trusted_proxies.push(item.parse().map_err(|_| {
                    format!("GUICHET_TRUSTED_PROXIES : « {item} » n'est pas une adresse IP")
                })?);
            }
        }
        number(
            "GUICHET_MAX_REPLIES",
            get("GUICHET_MAX_REPLIES"),
            &mut s.max_replies,
        )?;
        number(
            "GUICHET_TRANSCRIPT_PAGE",
            get("GUICHET_TRANSCRIPT_PAGE"),
            &mut s.transcript_page,
        )?;
        let mut secs = s.header_timeout.as_secs();
        number(
            "GUICHET_HEADER_TIMEOUT_S",
            get("GUICHET_HEADER_TIMEOUT_S"),
            &mut secs,
        )?;
        s.header_timeout = Duration::from_secs(secs.max(1));
        let mut secs = s.request_timeout.as_secs();
        number(
            "GUICHET_REQUEST_TIMEOUT_S",
            get("GUICHET_REQUEST_TIMEOUT_S"),
            &mut secs,
        )?;
        s.request_timeout = Duration::from_secs(secs.max(1));
        number(
            "GUICHET_MAX_CONNECTIONS",
            get("GUICHET_MAX_CONNECTIONS"),
            &mut s.max_connections,
        )?;
        number(
            "GUICHET_RATE_CREATE",
            get("GUICHET_RATE_CREATE"),
            &mut s.rate_create,
        )?;
        number(
            "GUICHET_RATE_REPLY",
            get("GUICHET_RATE_REPLY"),
            &mut s.rate_reply,
        )?;
        number("GUICHET_RATE_SMS", get("GUICHET_RATE_SMS"), &mut s.rate_sms)?;
        number(
            "GUICHET_RATE_ADMIN",
            get("GUICHET_RATE_ADMIN"),
            &mut s.rate_admin,
        )?;
        number(
            "GUICHET_MAX_CONVERSATIONS",
            get("GUICHET_MAX_CONVERSATIONS"),
            &mut s.max_conversations,
        )?;
        s.max_replies = s.max_replies.max(1);
        s.transcript_page = s.transcript_page.max(1);
        s.max_connections = s.max_connections.max(1);
        Ok(s)
    }
}

/// Compares secrets in constant time, their lengths included: both are hashed to 32 bytes first.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

/// JSON routes take `Content-Type: application/json` only (else 415 `unsupported_media_type`):
/// a browser cannot send that type across sites without asking first (CORS preflight).
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if json {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Le corps de la requête doit être du JSON, envoyé avec l'en-tête Content-Type: application/json.",
    ))
}

// ---------------------------------------------------------------- SMS gateway

/// Why `/api/sms` is off, for the startup log; `None` when a secret protects it.
pub fn sms_disabled_reason(app: &App) -> Option<&'static str> {
    (app.sms_token.is_none() && app.limits.settings.twilio_auth_token.is_none()).then_some(
        "webhook SMS désactivé : ni GUICHET_SMS_TOKEN ni GUICHET_TWILIO_AUTH_TOKEN ne sont définis",
    )
}

/// Checks a webhook request against every secret configured: the `?token=` of the URL
/// (`GUICHET_SMS_TOKEN`, exactly one `token` parameter) and Twilio's `X-Twilio-Signature`
/// (`GUICHET_TWILIO_AUTH_TOKEN`). Without any secret the webhook is disabled (403).
pub fn check_sms(
    app: &App,
    headers: &HeaderMap,
    path_and_query: &str,
    params: &[(String, String)],
) -> Result<(), ApiError> {
    if sms_disabled_reason(app).is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "sms_disabled",
            "Le webhook SMS est désactivé : aucun secret (GUICHET_SMS_TOKEN ou GUICHET_TWILIO_AUTH_TOKEN) n'est configuré sur le serveur.",
        ));
    }
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Requête du webhook SMS non authentifiée (jeton ou signature absent ou invalide).",
        )
    };
    if let Some(expected) = &app.sms_token {
        let query = path_and_query.split_once('?').map_or("", |(_, q)| q);
        let tokens: Vec<_> = form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k == "token")
            .collect();
        match tokens.as_slice() {
            [(_, given)] if same(given.as_bytes(), expected.as_bytes()) => {}
            _ => return Err(refused()),
        }
    }
    if let Some(secret) = &app.limits.settings.twilio_auth_token {
        let base = match &app.limits.settings.public_url {
            Some(url) => url.clone(),
            None => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default();
                format!("http://{host}")
            }
        };
        let url = format!("{base}{path_and_query}");
        let given = headers
            .get("x-twilio-signature")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if !same(
            given.trim().as_bytes(),
            twilio_signature(secret, &url, params).as_bytes(),
        ) {
            return Err(refused());
        }
    }
    Ok(())
}

/// Twilio's request signature: base64 of HMAC-SHA1, keyed by the account's auth token, over the
/// full URL followed by every POST parameter, sorted by name (then value), as name then value.
pub fn twilio_signature(secret: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = String::from(url);
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

// ---------------------------------------------------------------- layers

/// Admin writes (`POST`/`DELETE` under `/api/admin/`) from another site are refused (403
/// `cross_site`): a browser says where a request comes from (`Sec-Fetch-Site`, `Origin`), and a
/// form posted from another page must not ride on its cached Basic credentials. Tools that send
/// neither header (curl, scripts) are not browsers and pass. Admin pages and JSON are `no-store`.
pub async fn admin_guard(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // The inbox of requests (issue 13) carries credentials too; `/admin/…` is the login form
    // and the CSV.
    let admin = path == "/admin"
        || path.starts_with("/admin/")
        || path == "/api/stats"
        || path.starts_with("/api/admin/")
        || path == "/inbox"
        || path.starts_with("/api/requests");
    if !admin {
        return next.run(request).await;
    }
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if writes && cross_site(request.headers()) {
        return no_store(
            ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site",
                "Requête d'administration refusée : elle vient d'un autre site.",
            )
            .into_response(),
        );
    }
    no_store(next.run(request).await)
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether the browser says the request comes from another origin.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        _ => true,
    }
}

/// Every error is JSON: a rejection axum answers as text (a bad query string, a path that is not
/// UTF-8, a timeout…) becomes `{"error": {"code", "message"}}` with the same status. Our own HTML
/// pages (the admin login page, a 401) stay as they are.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if ours {
        return response;
    }
    let (parts, body) = response.into_parts();
    let detail = match axum::body::to_bytes(body, 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let (code, message) = match status {
        StatusCode::BAD_REQUEST => (
            "bad_request",
            "Requête invalide : paramètres ou chemin mal formés",
        ),
        StatusCode::NOT_FOUND => ("not_found", "Aucune ressource à cette adresse"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Méthode non permise"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "La requête a pris trop de temps"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "Le corps de la requête est trop grand"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Type de contenu non pris en charge",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("bad_request", "Requête invalide"),
        s if s.is_server_error() => ("internal", "Erreur interne du serveur"),
        _ => ("bad_request", "Requête refusée"),
    };
    let message = if detail.is_empty() {
        format!("{message}.")
    } else {
        format!("{message} (détail technique : {detail}).")
    };
    let mut response = ApiError::new(status, code, message).into_response();
    for (name, value) in parts.headers {
        if let Some(name) = name {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
}

// ---------------------------------------------------------------- files

/// The database and its journals readable by the server's user only (0600): created so before
/// SQLite opens it (SQLite gives `-wal` and `-shm` the mode of the database), tightened if they
/// exist.
pub fn private_files(db: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if db.as_os_str().is_empty() || db.to_str() == Some(":memory:") {
            return Ok(());
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(db)?;
        let mut names = vec![db.to_path_buf()];
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            names.push(name.into());
        }
        for name in names {
            if name.exists() {
                std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = db;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_compares_whole_secrets() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
    }

    /// The example of Twilio's documentation (« Validating requests »).
    #[test]
    fn twilio_signature_matches_the_documented_example() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            twilio_signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
    }

    #[test]
    fn settings_are_read_and_checked() {
        let s = Settings::from_lookup(|name| match name {
            "GUICHET_RATE_CREATE" => Some("5".into()),
            "GUICHET_TRUSTED_PROXIES" => Some("10.0.0.1, ::1".into()),
            _ => None,
        });
        let s = s.expect("valid");
        assert_eq!(s.rate_create, 5);
        assert_eq!(s.trusted_proxies.len(), 2);
        let bad = Settings::from_lookup(|name| {
            (name == "GUICHET_MAX_REPLIES").then(|| "beaucoup".to_string())
        });
        assert!(bad.is_err_and(|e| e.contains("GUICHET_MAX_REPLIES")));
    }
}
