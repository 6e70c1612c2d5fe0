//! Bounded resources: connections, request rates, stored conversations, SMS turns per number.
//!
//! - **Connections** ([`serve`]): our own accept loop over hyper, because `axum::serve` has no
//!   header timeout and no connection cap. A connection that has not sent a complete request
//!   head within `GUICHET_HEADER_TIMEOUT_S` (also while idle between requests) is closed by
//!   hyper; at most [`Limits::max_connections`] are open at once (further ones wait in the
//!   kernel's backlog), a number kept below the open-files limit ([`raise_open_files`]) so that
//!   the database, the rule files and `/healthz` always find a descriptor.
//! - **Rates** ([`rate_limit`]): per client address (the peer, or the last `X-Forwarded-For`
//!   hop when the peer is a trusted proxy), per kind of request (creation, reply, SMS, admin),
//!   GCRA from the `governor` crate; over the quota, 429 `rate_limited` with `Retry-After`.
//! - **Stored conversations** ([`Limits::check_room`]): past `GUICHET_MAX_CONVERSATIONS`, a new
//!   conversation is 503 `store_full` and the log gets an alert line (once a minute at most).
//! - **SMS**: messages of one phone number are handled one at a time ([`Limits::sms_turn`]).

use super::api::{ApiError, ApiResult};
use super::security::Settings;
use super::{log, App};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Keyed =
    RateLimiter<IpAddr, governor::state::keyed::DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// File descriptors kept for everything but client connections (database, rule files, logs).
const RESERVED_FILES: u64 = 64;
/// How long a count of stored conversations is trusted before it is read again.
const ROOM_CHECK_EVERY: Duration = Duration::from_secs(2);

/// The runtime side of the settings: rate limiters, locks, cached counts.
pub struct Limits {
    pub settings: Settings,
    /// Open connections at most: the setting, lowered to fit the open-files limit.
    pub max_connections: usize,
    create: Option<Keyed>,
    reply: Option<Keyed>,
    sms: Option<Keyed>,
    admin: Option<Keyed>,
    /// One lock per phone number with a message in flight.
    sms_numbers: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The last count of stored conversations, and when it was read.
    room: Mutex<Option<(Instant, u64)>>,
    /// When the last « base pleine » alert was logged.
    alerted: Mutex<Option<Instant>>,
    /// The database file (`None` in memory): `/healthz` probes its folder.
    pub db: Option<PathBuf>,
    pub probe: super::health::Probe,
}

fn limiter(per_minute: u32) -> Option<Keyed> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl Limits {
    pub fn new(settings: Settings, open_files: Option<u64>, db: Option<PathBuf>) -> Limits {
        let fit = open_files.map_or(usize::MAX, |n| {
            usize::try_from(n.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX)
        });
        Limits {
            max_connections: settings.max_connections.min(fit),
            create: limiter(settings.rate_create),
            reply: limiter(settings.rate_reply),
            sms: limiter(settings.rate_sms),
            admin: limiter(settings.rate_admin),
            sms_numbers: Mutex::new(HashMap::new()),
            room: Mutex::new(None),
            alerted: Mutex::new(None),
            db,
            probe: super::health::Probe::default(),
            settings,
        }
    }

    /// Forgets the rate state of addresses that are back within their quota (bounds memory).
    pub fn forget_idle_clients(&self) {
        for l in [&self.create, &self.reply, &self.sms, &self.admin]
            .into_iter()
            .flatten()
        {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Waits until no other message of `phone` is being handled; the turn lasts while the
    /// returned guard lives.
    pub async fn sms_turn(self: &Arc<Limits>, phone: &str) -> SmsTurn {
        let lock = {
            let mut numbers = lock(&self.sms_numbers);
            numbers.entry(phone.to_string()).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        SmsTurn {
            limits: self.clone(),
            phone: phone.to_string(),
            lock,
            _guard: Some(guard),
        }
    }

    /// 503 `store_full` when the store holds `GUICHET_MAX_CONVERSATIONS` conversations.
    /// Whether [`Limits::check_room`] would answer without counting in the store now.
    pub fn room_counted(&self) -> bool {
        matches!(*lock(&self.room), Some((at, _)) if at.elapsed() < ROOM_CHECK_EVERY)
    }

    pub fn check_room(&self, app: &App) -> ApiResult<()> {
        // Counted again every few seconds; in between, every conversation let in is added, so
        // a burst cannot overshoot the cap.
        let count = {
            let mut room = lock(&self.room);
            let (at, count) = match *room {
                Some((at, count)) if at.elapsed() < ROOM_CHECK_EVERY => (at, count),
                _ => (Instant::now(), app.store.count_conversations()?),
            };
            *room = Some((
                at,
                count + u64::from(count < self.settings.max_conversations),
            ));
            count
        };
        if count < self.settings.max_conversations {
            return Ok(());
        }
        let mut alerted = lock(&self.alerted);
        if alerted.map_or(true, |at| at.elapsed() >= Duration::from_secs(60)) {
            *alerted = Some(Instant::now());
            log(&format!(
                "ALERTE administration : {count} conversations enregistrées, limite GUICHET_MAX_CONVERSATIONS = {} atteinte ; les nouvelles conversations sont refusées (503)",
                self.settings.max_conversations
            ));
        }
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_full",
            "Le service ne peut pas ouvrir de nouvelle conversation pour le moment. Réessayez plus tard ou contactez le service RH.",
        ))
    }
}

/// A conversation takes at most `GUICHET_MAX_REPLIES` replies and commands (its revision counts
/// them): past it, 409 `too_many_turns` with the current step, and nothing is stored.
pub fn check_turns(
    app: &App,
    conversation: &super::store::Conversation,
    program: &crate::compile::program::Program,
    session: &mut crate::engine::Session,
) -> ApiResult<()> {
    let max = app.limits.settings.max_replies;
    if conversation.revision < max {
        return Ok(());
    }
    let mut error = ApiError::new(
        StatusCode::CONFLICT,
        "too_many_turns",
        format!(
            "Cette conversation a atteint sa longueur maximale ({max} réponses). Commencez-en une nouvelle : « Nouveau sujet » sur la page, ou SUPPRIMER par SMS."
        ),
    );
    error.step = session
        .step(program)
        .ok()
        .map(|s| crate::front::wire::step(program, &s));
    Err(error)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The turn of one phone number's message (see [`Limits::sms_turn`]).
pub struct SmsTurn {
    limits: Arc<Limits>,
    phone: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for SmsTurn {
    fn drop(&mut self) {
        self._guard = None;
        let mut numbers = lock(&self.limits.sms_numbers);
        // Ours and the map's: nobody else waits for this number, its lock can go.
        if Arc::strong_count(&self.lock) == 2 {
            numbers.remove(&self.phone);
        }
    }
}

// ---------------------------------------------------------------- rates

/// The client's address: the peer, or — when the peer is a trusted proxy — the last address
/// of `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(request: &Request, trusted: &[IpAddr]) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

/// Rate limits per client address and kind of request; 429 `rate_limited` with `Retry-After`.
pub async fn rate_limit(
    axum::extract::State(limits): axum::extract::State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let post = request.method() == axum::http::Method::POST;
    // `/admin/…`: the login page's form (token guessing), the CSV.
    let admin = path == "/admin"
        || path.starts_with("/admin/")
        || path == "/api/stats"
        || path.starts_with("/api/admin/");
    let limiter = if admin {
        &limits.admin
    } else if post && path == "/api/sessions" {
        &limits.create
    } else if post && path.starts_with("/api/sessions/") {
        &limits.reply
    } else if post && path == "/api/sms" {
        &limits.sms
    } else {
        &None
    };
    if let Some(limiter) = limiter {
        let address = client_address(&request, &limits.settings.trusted_proxies);
        if let Err(not_until) = limiter.check_key(&address) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let seconds = seconds.max(1);
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("Trop de requêtes depuis votre adresse : réessayez dans {seconds} s."),
            )
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
            return response;
        }
    }
    next.run(request).await
}

// ---------------------------------------------------------------- connections

/// Raises the soft open-files limit to the hard one; the limit now in force (`None` where it
/// cannot be read). Logged at startup with the connection cap it allows.
pub fn raise_open_files() -> Option<u64> {
    #[cfg(unix)]
    {
        let raised = rlimit::increase_nofile_limit(u64::MAX).ok();
        raised.or_else(|| rlimit::Resource::NOFILE.get().ok().map(|(soft, _)| soft))
    }
    #[cfg(not(unix))]
    None
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the requests in flight
/// finish: HTTP/1.1 by hyper with a header timeout, at most `max_connections` at once.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: Arc<Limits>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.settings.header_timeout)
        .max_buf_size(64 * 1024);
    let mut accept_failing = false;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    accept_failing = false;
                    accepted
                }
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted: wait a
                    // little rather than spin; said once per episode.
                    if !accept_failing {
                        log(&format!("connexion refusée : {e}"));
                        accept_failing = true;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn({
            let router = router.clone();
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                let mut router = router.clone();
                async move {
                    use tower::Service;
                    router.call(request.map(axum::body::Body::new)).await
                }
            }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out is no error of ours.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> Request {
        let mut builder = axum::http::Request::builder().uri("/api/sessions");
        for f in forwarded {
            builder = builder.header("x-forwarded-for", *f);
        }
        let mut request = builder.body(axum::body::Body::empty()).unwrap_or_default();
        if let Ok(peer) = peer.parse::<SocketAddr>() {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        request
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let trusted = [proxy];
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        // An untrusted peer's header is ignored.
        let spoofed = request("192.0.2.7:5000", &["203.0.113.9"]);
        assert_eq!(Some(client_address(&spoofed, &trusted)), ip("192.0.2.7"));
        // Behind the proxy: the last hop the proxy saw, not what the client claimed before it.
        let proxied = request("10.0.0.1:5000", &["198.51.100.1, 203.0.113.9"]);
        assert_eq!(Some(client_address(&proxied, &trusted)), ip("203.0.113.9"));
        let chained = request("10.0.0.1:5000", &["203.0.113.9", "10.0.0.1"]);
        assert_eq!(Some(client_address(&chained, &trusted)), ip("203.0.113.9"));
        // A proxy that sent no header: the proxy itself.
        assert_eq!(
            Some(client_address(&request("10.0.0.1:5000", &[]), &trusted)),
            ip("10.0.0.1")
        );
    }
}
