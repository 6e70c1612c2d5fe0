//! `guichet serve`: the HTTP server (axum + tokio) for the web chat, the SMS
//! gateway and the HR dashboard.
//!
//! One process serves everything. Requests are stateless over the store
//! (`store.rs`): each loads its conversation, lets the engine do its work,
//! and commits before it answers, so a `kill -9` loses nothing that was
//! answered. [`Rules`] holds the program currently served with its free-text
//! [`Router`] (built once per rule version, when it is loaded), and every
//! older version a conversation in flight still needs (recompiled from the
//! sources kept in the store, also after a restart). Rules are reloaded on SIGHUP and
//! when a rule file changes (polled); a rule base with errors is refused and
//! the old one keeps serving.
//!
//! Files: `api.rs` (JSON routes, the conversation logic shared with SMS,
//! error objects), `sms.rs` (Twilio-style webhook), `stats.rs` (admin token,
//! statistics, export/delete/purge), `page.rs` (the embedded page and its
//! security headers), `store.rs` (storage trait, SQLite), `store/postgres.rs` (the same
//! on PostgreSQL, for several instances: a reload on one instance is followed by the others
//! through the store, [`Rules::follow`]), and the hardening of
//! docs/server.md « Sécurité »: `security.rs` (settings, SMS authentication,
//! cross-site checks, JSON errors, file modes), `limits.rs` (accept loop with
//! header timeout and connection cap, rate limits, caps), `health.rs`
//! (`/healthz`, `/readyz`), `crypto.rs` (personal data sealed at rest). Wire step objects
//! come from `front/wire.rs`; nothing here builds engine types by hand.
//! Logs hold one line per request (method, route template, status, time) and
//! never a fact value, a reply, a session id or a phone number.

mod api;
mod crypto;
mod health;
mod learning;
pub use learning::export_command as export_examples;
mod limits;
mod page;
pub mod requests;
mod security;
mod sms;
mod stats;
pub mod store;

use crate::compile::compile;
use crate::compile::program::Program;
use crate::front::load::{load, RULE_EXTENSION};
use crate::front::render;
use crate::route::{Learned, Router};
use crate::span::Sources;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use store::postgres::{self, PostgresStore};
use store::{SqliteStore, Store};
use time::{OffsetDateTime, UtcOffset};

/// Largest request body accepted (larger: 413).
pub const MAX_BODY: usize = 64 * 1024;

/// How `guichet serve` was invoked.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub paths: Vec<PathBuf>,
    pub addr: String,
    pub db: PathBuf,
    pub retention_days: u32,
    /// The web page clears a conversation left this many seconds without activity (0: never).
    pub idle_seconds: u32,
    /// How often rule files are checked for changes.
    pub watch_interval: Duration,
    /// `GUICHET_ADMIN_TOKEN`: without it, the admin routes are disabled.
    pub admin_token: Option<String>,
    /// `GUICHET_SMS_TOKEN`: when set, the SMS webhook requires `?token=` to match.
    pub sms_token: Option<String>,
    /// Requests to people: credentials, SMTP, outbound SMS, due dates.
    pub requests: requests::RequestOptions,
}

/// Everything a request handler reaches: shared, cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub rules: Arc<Rules>,
    pub admin_token: Option<Arc<str>>,
    pub sms_token: Option<Arc<str>>,
    pub retention_days: u32,
    pub idle_seconds: u32,
    /// Requests to people (`requests/`).
    pub requests: Arc<requests::Setup>,
    /// The local offset, read once at startup (reading it later is refused on multi-threaded Unix).
    pub offset: UtcOffset,
    /// Hardening settings and their runtime state (rate limits, caps, probes): `limits.rs`.
    pub limits: Arc<limits::Limits>,
}

impl App {
    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }

    /// The local date: the date of a new conversation.
    pub fn today(&self) -> time::Date {
        OffsetDateTime::now_utc().to_offset(self.offset).date()
    }
}

/// The program served now (with its router), and the older versions still needed.
pub struct Rules {
    paths: Vec<PathBuf>,
    current: RwLock<Served>,
    /// Every version compiled since startup, by version.
    versions: Mutex<HashMap<String, Arc<Program>>>,
    /// The files last seen on disk (also when they were refused), to notice changes.
    seen: Mutex<Vec<(String, String)>>,
    /// The version made current by another server that could not be followed (logged once).
    unfollowed: Mutex<Option<String>>,
    /// The questions HR assigned from the admin page (`None`: « hors sujet »): every router
    /// built learns from those whose topic its program has.
    learned: RwLock<Vec<(Option<String>, String)>>,
}

/// The version served now: its program and the router of its topics, built together so that a
/// question is always routed to topics of the program it starts on.
#[derive(Clone)]
pub struct Served {
    pub program: Arc<Program>,
    pub router: Arc<Router>,
}

impl Served {
    fn new(program: Arc<Program>, learned: &[(Option<String>, String)]) -> Served {
        let learned: Vec<Learned> = learned
            .iter()
            .filter_map(|(topic, question)| {
                let topic = match topic {
                    Some(name) => Some(program.topic_named(name)?),
                    None => None,
                };
                Some(Learned {
                    topic,
                    question: question.clone(),
                })
            })
            .collect();
        let router = Arc::new(Router::with_learned(&program, &learned));
        Served { program, router }
    }
}

/// What a reload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reload {
    Unchanged,
    Loaded(String),
    /// The rules have errors (or cannot be read): the old version keeps serving.
    Refused(String),
}

/// The files of a [`Sources`], as kept in the store.
fn files_of(sources: &Sources) -> Vec<(String, String)> {
    sources
        .files()
        .map(|(_, f)| (f.name.clone(), f.text.clone()))
        .collect()
}

impl Rules {
    /// Loads and compiles the rules at `paths`; the diagnostics when they have errors.
    pub fn load(paths: &[PathBuf]) -> Result<Rules, String> {
        let (files, program) = Rules::compile_paths(paths)?;
        let program = Arc::new(program);
        let versions = HashMap::from([(program.version.clone(), program.clone())]);
        Ok(Rules {
            paths: paths.to_vec(),
            current: RwLock::new(Served::new(program, &[])),
            versions: Mutex::new(versions),
            seen: Mutex::new(files),
            unfollowed: Mutex::new(None),
            learned: RwLock::new(Vec::new()),
        })
    }

    fn compile_paths(paths: &[PathBuf]) -> Result<(Vec<(String, String)>, Program), String> {
        let sources = load(paths, RULE_EXTENSION).map_err(|e| e.to_string())?;
        if sources.is_empty() {
            return Err(format!("aucun fichier .{RULE_EXTENSION} trouvé"));
        }
        let files = files_of(&sources);
        let compiled = compile(sources);
        match compiled.program {
            Some(program) => Ok((files, program)),
            None => Err(format!(
                "{}{}",
                render::text(&compiled.sources, &compiled.diagnostics, false),
                render::summary(&compiled.diagnostics)
            )),
        }
    }

    pub fn current(&self) -> Arc<Program> {
        self.served().program
    }

    /// The program served now and its router.
    pub fn served(&self) -> Served {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The program of `version` if it is compiled already (never reads the store).
    pub fn loaded(&self, version: &str) -> Option<Arc<Program>> {
        self.lock_versions().get(version).cloned()
    }

    /// The program of `version`: the current one, one compiled earlier, or one recompiled
    /// from the sources kept in the store. `None` if the store does not have it.
    pub fn version(
        &self,
        store: &dyn Store,
        version: &str,
    ) -> Result<Option<Arc<Program>>, store::StoreError> {
        if let Some(p) = self.lock_versions().get(version) {
            return Ok(Some(p.clone()));
        }
        let Some(files) = store.rules(version)? else {
            return Ok(None);
        };
        let mut sources = Sources::new();
        for (name, text) in files {
            sources.add(name, text);
        }
        let Some(program) = compile(sources).program.filter(|p| p.version == version) else {
            return Ok(None);
        };
        let program = Arc::new(program);
        self.lock_versions()
            .insert(version.to_string(), program.clone());
        Ok(Some(program))
    }

    /// The questions HR assigned, as every router learns from them.
    fn learned(&self) -> Vec<(Option<String>, String)> {
        self.learned
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Learns the questions HR assigned (every assignment, from the store): the router of the
    /// rules served now is rebuilt with them, so that later questions are routed by them at once.
    pub fn learn(&self, assignments: Vec<(Option<String>, String)>) {
        *self
            .learned
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = assignments;
        let program = self.current();
        let served = Served::new(program.clone(), &self.learned());
        let mut current = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A reload in between wins: it already learned from the new list.
        if current.program.version == program.version {
            *current = served;
        }
    }

    fn lock_versions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Program>>> {
        self.versions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reloads from disk when the files changed (or always, when `force`).
    pub fn reload(&self, store: &dyn Store, now: i64, force: bool) -> Reload {
        let files = match load(&self.paths, RULE_EXTENSION) {
            Ok(sources) => files_of(&sources),
            Err(e) => return Reload::Refused(e.to_string()),
        };
        {
            let mut seen = self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if *seen == files && !force {
                return Reload::Unchanged;
            }
            *seen = files;
        }
        let (files, program) = match Rules::compile_paths(&self.paths) {
            Ok(compiled) => compiled,
            Err(diagnostics) => return Reload::Refused(diagnostics),
        };
        if program.version == self.current().version {
            return Reload::Unchanged;
        }
        if let Err(e) = store.save_rules(&program.version, &files, now) {
            return Reload::Refused(format!("impossible d'enregistrer les règles : {e}"));
        }
        let program = Arc::new(program);
        let version = program.version.clone();
        // Built before the lock is taken: requests keep being served meanwhile.
        let served = Served::new(program.clone(), &self.learned());
        self.lock_versions().insert(version.clone(), program);
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = served;
        Reload::Loaded(version)
    }
}

impl Rules {
    /// Serves the version made current in the store by another server sharing it (a reload
    /// there), recompiled from the sources kept in the store.
    pub fn follow(&self, store: &dyn Store) -> Reload {
        let version = match store.current_rules() {
            Ok(Some(version)) => version,
            // Unreachable database: requests report it; the next tick tries again.
            Ok(None) | Err(_) => return Reload::Unchanged,
        };
        if version == self.current().version {
            return Reload::Unchanged;
        }
        let program = match self.version(store, &version) {
            Ok(Some(program)) => program,
            Ok(None) => {
                let mut unfollowed = self
                    .unfollowed
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if unfollowed.as_deref() == Some(version.as_str()) {
                    return Reload::Unchanged;
                }
                *unfollowed = Some(version.clone());
                return Reload::Refused(format!(
                    "la version {version} chargée par une autre instance ne se compile pas ici"
                ));
            }
            Err(_) => return Reload::Unchanged,
        };
        let served = Served::new(program, &self.learned());
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = served;
        Reload::Loaded(version)
    }
}

/// Whether `--db` names a PostgreSQL database (`postgres://`, `postgresql://`).
fn is_postgres(db: &std::path::Path) -> bool {
    db.to_str().is_some_and(postgres::is_url)
}

/// Opens the store `db` names: a PostgreSQL URL, else an SQLite file; sealed when a data key
/// is set.
fn open_store(
    db: &std::path::Path,
    keys: Option<crypto::Keys>,
) -> Result<Arc<dyn Store>, store::StoreError> {
    fn sealed<S: Store + 'static>(store: S, keys: Option<crypto::Keys>) -> Arc<dyn Store> {
        match keys {
            Some(keys) => Arc::new(crypto::EncryptedStore::new(store, keys)),
            None => Arc::new(store),
        }
    }
    match db.to_str().filter(|db| postgres::is_url(db)) {
        Some(url) => Ok(sealed(PostgresStore::connect(url)?, keys)),
        None => Ok(sealed(SqliteStore::open(db)?, keys)),
    }
}

/// The database as the log shows it (never a password).
fn describe_db(db: &std::path::Path) -> String {
    match db.to_str().filter(|db| postgres::is_url(db)) {
        Some(url) => postgres::describe(url),
        None => db.display().to_string(),
    }
}

/// A log line on stderr, with the UTC time. Never give it personal data.
///
/// Written whole, in one call: stderr is unbuffered, and `eprintln!` writes each piece of
/// its format separately (a system call each, on every request).
pub fn log(line: &str) {
    log_parts(&[line]);
}

/// [`log`] of a line given in pieces, written as one (no `format!` on every request).
fn log_parts(parts: &[&str]) {
    use std::io::Write;
    let t = OffsetDateTime::now_utc();
    let mut text = Vec::with_capacity(64 + parts.iter().map(|p| p.len()).sum::<usize>());
    let year = t.year().unsigned_abs();
    push_two(&mut text, year / 100);
    push_two(&mut text, year);
    for (separator, n) in [
        (b'-', u8::from(t.month())),
        (b'-', t.day()),
        (b'T', t.hour()),
        (b':', t.minute()),
        (b':', t.second()),
    ] {
        text.push(separator);
        push_two(&mut text, u32::from(n));
    }
    text.extend_from_slice(b"Z ");
    for part in parts {
        text.extend_from_slice(part.as_bytes());
    }
    text.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&text);
}

/// The last two decimal digits of `n`.
fn push_two(text: &mut Vec<u8>, n: u32) {
    text.push(b'0' + (n / 10 % 10) as u8);
    text.push(b'0' + (n % 10) as u8);
}

/// `n` in decimal, written into `buffer`.
fn decimal(mut n: u128, buffer: &mut [u8; 40]) -> &str {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[at..]).unwrap_or_default()
}

fn log_reload(result: &Reload, why: &str, rules: &Rules) {
    match result {
        Reload::Unchanged => {}
        Reload::Loaded(version) => log(&format!(
            "règles rechargées ({why}) : version {version}, {} sujets",
            rules.current().topics.len()
        )),
        Reload::Refused(diagnostics) => log(&format!(
            "règles refusées ({why}), la version {} continue de servir :\n{diagnostics}",
            rules.current().version
        )),
    }
}

/// The router with every route and layer; `app` is its state.
pub fn router(app: App) -> axum::Router {
    use axum::routing::{get, post};
    let routes = axum::Router::new()
        .route("/", get(page::index))
        .route("/assets/app.js", get(page::script))
        .route("/assets/style.css", get(page::style))
        .route("/accessibilite", get(page::accessibility))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/topics", get(api::topics))
        .route("/api/sessions", post(api::create))
        .route("/api/sessions/{id}", get(api::show).delete(api::forget))
        .route("/api/sessions/{id}/replies", post(api::reply))
        .route("/api/sessions/{id}/feedback", post(api::feedback))
        .route("/api/sms", post(sms::webhook))
        .route("/api/sessions/{id}/request", post(requests::create))
        .route("/inbox", get(requests::page))
        .route("/assets/inbox.js", get(requests::script))
        .route("/assets/inbox.css", get(requests::style))
        .route(
            "/api/requests",
            get(requests::list).post(requests::create_from_question),
        )
        .route("/api/requests/{rid}", get(requests::show))
        .route("/api/requests/{rid}/reply", post(requests::reply))
        .route("/api/requests/{rid}/assign", post(requests::assign))
        .route("/api/requests/{rid}/draft", get(requests::draft))
        .route(
            "/api/requests/{rid}/example",
            get(requests::example).post(requests::learn),
        )
        .route("/admin", get(stats::page))
        .route("/admin/connexion", post(stats::login))
        .route("/admin/deconnexion", post(stats::logout))
        .route("/admin/questions.csv", get(stats::unmatched_csv))
        .route("/api/stats", get(stats::json))
        .route(
            "/api/admin/conversations",
            get(stats::export).delete(stats::delete),
        )
        .route("/api/admin/purge", post(stats::purge))
        .route("/api/admin/review", get(learning::review))
        .route("/api/admin/assign", post(learning::assign))
        .route("/admin/assign", post(learning::assign_form))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .with_state(app.clone());
    // Hardening (issue 17): rate limits, admin cross-site checks and no-store, time limits.
    let routes = routes
        .layer(axum::middleware::from_fn(security::admin_guard))
        .layer(axum::middleware::from_fn_with_state(
            app.limits.clone(),
            limits::rate_limit,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            app.limits.settings.request_timeout,
        ))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            app.limits.settings.request_timeout,
        ));
    with_layers(routes)
}

/// The layers every route gets: body limit, panics as 500, security headers, a log line.
fn with_layers(routes: axum::Router) -> axum::Router {
    routes
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(security::json_errors))
        .layer(axum::middleware::from_fn(page::security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            api::panic_response,
        ))
        .layer(axum::middleware::from_fn(log_request))
}

/// One line per request: method, route template (never the session id), status, duration.
async fn log_request(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let status = response.status();
    let mut millis = [0u8; 40];
    log_parts(&[
        method.as_str(),
        " ",
        route.as_ref().map_or("(aucune route)", |m| m.as_str()),
        " ",
        status.as_str(),
        " ",
        decimal(start.elapsed().as_millis(), &mut millis),
        "ms",
    ]);
    response
}

/// `guichet serve`: runs until SIGTERM or Ctrl-C.
pub fn run(options: ServeOptions) -> ExitCode {
    // Read before any thread exists: later, the time crate refuses on Unix.
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let rules = match Rules::load(&options.paths) {
        Ok(rules) => rules,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            eprintln!("erreur : les règles ont des erreurs, le serveur ne démarre pas");
            return ExitCode::from(1);
        }
    };
    let settings = match security::Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("erreur : {e}");
            return ExitCode::from(2);
        }
    };
    // A PostgreSQL URL names no file here: the database server keeps its own.
    let file = (!is_postgres(&options.db)).then(|| options.db.clone());
    if let Err(e) = file.as_deref().map_or(Ok(()), security::private_files) {
        eprintln!(
            "erreur : impossible de créer la base {} en mode 0600 : {e}",
            options.db.display()
        );
        return ExitCode::from(2);
    }
    let keys = match crypto::Keys::from_env() {
        Ok(keys) => keys,
        Err(e) => {
            eprintln!("erreur : {e}");
            return ExitCode::from(2);
        }
    };
    let open_files = limits::raise_open_files();
    let limits = limits::Limits::new(settings, open_files, file);
    match open_files {
        Some(n) if (n as usize) < limits.settings.max_connections + 64 => log(&format!(
            "attention : limite de fichiers ouverts {n} (RLIMIT_NOFILE) ; connexions simultanées ramenées à {} (relevez LimitNOFILE)",
            limits.max_connections
        )),
        Some(n) => log(&format!(
            "limite de fichiers ouverts {n} ; connexions simultanées : {} au plus",
            limits.max_connections
        )),
        None => {}
    }
    match &keys {
        Some(keys) => log(&format!(
            "données personnelles chiffrées dans la base (clé {})",
            keys.id()
        )),
        None => log("attention : données personnelles NON chiffrées dans la base (ni GUICHET_DATA_KEY ni GUICHET_DATA_KEY_FILE)"),
    }
    let store = match open_store(&options.db, keys) {
        Ok(store) => store,
        Err(e) => {
            eprintln!(
                "erreur : impossible d'ouvrir la base {} : {e}",
                describe_db(&options.db)
            );
            return ExitCode::from(2);
        }
    };
    let setup = match requests::Setup::new(&options.requests) {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("erreur : {e}");
            return ExitCode::from(2);
        }
    };
    for contact in setup.unknown_contacts(&rules.current()) {
        eprintln!("attention : le contact « {contact} » du fichier des contacts n'existe pas dans les règles");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("erreur : {e}");
            return ExitCode::from(2);
        }
    };
    let app = App {
        store,
        rules: Arc::new(rules),
        admin_token: options
            .admin_token
            .clone()
            .filter(|t| !t.is_empty())
            .map(Arc::from),
        sms_token: options
            .sms_token
            .clone()
            .filter(|t| !t.is_empty())
            .map(Arc::from),
        retention_days: options.retention_days,
        idle_seconds: options.idle_seconds,
        requests: Arc::new(setup),
        offset,
        limits: Arc::new(limits),
    };
    match app.store.assignments() {
        Ok(assignments) => app.rules.learn(learning::learned(assignments)),
        Err(e) => {
            eprintln!("erreur : impossible de lire les questions affectées : {e}");
            return ExitCode::from(2);
        }
    }
    runtime.block_on(serve(app, options))
}

async fn serve(app: App, options: ServeOptions) -> ExitCode {
    let current = app.rules.current();
    let files = files_of(&current.sources);
    if let Err(e) = app.store.save_rules(&current.version, &files, app.now()) {
        eprintln!("erreur : impossible d'enregistrer les règles : {e}");
        return ExitCode::from(2);
    }
    let listener = match tokio::net::TcpListener::bind(&options.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("erreur : impossible d'écouter sur {} : {e}", options.addr);
            return ExitCode::from(2);
        }
    };
    let addr: SocketAddr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("erreur : {e}");
            return ExitCode::from(2);
        }
    };
    log(&format!(
        "guichet écoute sur http://{addr} (règles {}, {} sujets, base {}, conservation {} jours{})",
        current.version,
        current.topics.len(),
        describe_db(&options.db),
        options.retention_days,
        if app.admin_token.is_some() {
            ""
        } else {
            ", administration désactivée : GUICHET_ADMIN_TOKEN absent"
        }
    ));
    if let Some(reason) = security::sms_disabled_reason(&app) {
        log(reason);
    }
    tokio::spawn(watch_signal(app.clone()));
    tokio::spawn(forget_idle_clients(app.limits.clone()));
    tokio::spawn(watch_files(app.clone(), options.watch_interval));
    tokio::spawn(purge_daily(app.clone()));
    app.requests.notifier.listening_on(&addr.to_string());
    tokio::spawn(requests::notify::run(app.clone()));
    let limits = app.limits.clone();
    match limits::serve(listener, router(app), limits, shutdown()).await {
        Ok(()) => {
            log("arrêt du serveur");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("erreur : {e}");
            ExitCode::from(2)
        }
    }
}

async fn reload(app: &App, why: &'static str, force: bool) {
    if let Some(result) = reload_quietly(app, force).await {
        log_reload(&result, why, &app.rules);
    }
}

/// Reloads on the blocking pool; `None` (logged) if that panicked.
async fn reload_quietly(app: &App, force: bool) -> Option<Reload> {
    let worker = app.clone();
    let result = tokio::task::spawn_blocking(move || {
        worker
            .rules
            .reload(worker.store.as_ref(), worker.now(), force)
    })
    .await;
    if result.is_err() {
        log("erreur interne pendant le rechargement des règles");
    }
    result.ok()
}

/// Serves the version another instance loaded (polled with the rule files).
async fn follow(app: &App) {
    let worker = app.clone();
    let result = tokio::task::spawn_blocking(move || {
        let result = worker.rules.follow(worker.store.as_ref());
        log_reload(&result, "autre instance", &worker.rules);
    })
    .await;
    if result.is_err() {
        log("erreur interne pendant le suivi des règles");
    }
}

#[cfg(unix)]
async fn watch_signal(app: App) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangup) = signal(SignalKind::hangup()) else {
        log("SIGHUP indisponible : rechargement sur modification des fichiers seulement");
        return;
    };
    while hangup.recv().await.is_some() {
        reload(&app, "SIGHUP", true).await;
    }
}

#[cfg(not(unix))]
async fn watch_signal(_app: App) {}

async fn watch_files(app: App, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A refusal that repeats (a rules folder gone) is logged once, until something changes.
    let mut last_refusal: Option<String> = None;
    loop {
        tick.tick().await;
        follow(&app).await;
        let Some(result) = reload_quietly(&app, false).await else {
            continue;
        };
        match &result {
            Reload::Unchanged => continue,
            Reload::Refused(why) if last_refusal.as_ref() == Some(why) => continue,
            Reload::Refused(why) => last_refusal = Some(why.clone()),
            Reload::Loaded(_) => last_refusal = None,
        }
        log_reload(&result, "fichiers modifiés", &app.rules);
    }
}

/// Every minute, forgets the rate-limit state of clients back within their quotas.
async fn forget_idle_clients(limits: Arc<limits::Limits>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        limits.forget_idle_clients();
    }
}

/// Deletes conversations older than the retention, at startup and then every hour.
async fn purge_daily(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let worker = app.clone();
        let result = tokio::task::spawn_blocking(move || stats::purge_now(&worker)).await;
        match result {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => log(&format!("conservation : {n} conversation(s) supprimée(s)")),
            Ok(Err(e)) => log(&format!("conservation : échec de la purge : {e}")),
            Err(_) => log("conservation : erreur interne pendant la purge"),
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A panic in a handler becomes a JSON 500 and the server keeps serving.
    #[test]
    fn a_panicking_handler_is_a_500_not_a_dead_server() -> Result<(), Box<dyn std::error::Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let routes = axum::Router::new()
                .route(
                    "/boom",
                    axum::routing::get(|| async {
                        if std::hint::black_box(true) {
                            panic!("boom");
                        }
                        "unreachable"
                    }),
                )
                .route("/ok", axum::routing::get(|| async { "ok" }));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            tokio::spawn(async move {
                let _ = axum::serve(listener, with_layers(routes)).await;
            });
            let get = move |path: &'static str| {
                tokio::task::spawn_blocking(move || -> std::io::Result<String> {
                    let mut s = std::net::TcpStream::connect(addr)?;
                    write!(
                        s,
                        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    )?;
                    let mut out = String::new();
                    s.read_to_string(&mut out)?;
                    Ok(out)
                })
            };
            let boom = get("/boom").await??;
            assert!(boom.starts_with("HTTP/1.1 500"), "{boom}");
            assert!(boom.contains(r#""code":"internal""#), "{boom}");
            let ok = get("/ok").await??;
            assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
            Ok(())
        })
    }
}
