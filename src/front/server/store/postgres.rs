//! The [`Store`] on PostgreSQL, for several `guichet serve` instances sharing one database
//! (`--db postgres://…`, docs/deploy.md).
//!
//! Driver: `tokio-postgres` with the `deadpool-postgres` pool, on a small tokio runtime of the
//! store's own: the trait is synchronous (requests call it from tokio's blocking pool, tests
//! from plain threads), so each call hands its future to that runtime and waits for the answer
//! on a channel, which works from any thread without nesting runtimes.
//!
//! Durability and conflicts: every method runs in its own transaction, committed
//! (`synchronous_commit` as the server sets it, `on` by default) before it returns; PostgreSQL
//! shares WAL flushes between concurrent commits itself. A reply is a conditional update
//! (`WHERE id = … AND revision = …`): of two replies to one revision, from any two instances,
//! the second waits for the first's row lock, sees the new revision and changes nothing, so the
//! server answers 409 `conflict` and no update is lost.
//!
//! Schema: versioned migrations (`migrations/NNNN_*.sql`, recorded in `schema_migrations`) run
//! at start under an advisory lock, so instances starting together migrate once. A database
//! migrated by a newer guichet is refused rather than misread.
//!
//! An unreachable database (refused, lost connection, time-out) is a
//! [`StoreError::unavailable`]: the server answers 503 and nothing was written; the pool opens
//! new connections once the database is back, without a restart.

use super::{
    answered, figures, question_key, Assignment, Conversation, HrRequest, Kept, KeptQuestion,
    Offer, Outcome, Pending, RequestRow, RequestStats, RequestStore, Selector, Stats, Store,
    StoreError, StoreResult, ToReview, Turn, Unmatched,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::{NoTls, Row};

/// The schema migrations, in order: (version, SQL).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("migrations/0001_initial.sql")),
    (2, include_str!("migrations/0002_requests.sql")),
    (3, include_str!("migrations/0003_learning.sql")),
];

/// Connections kept by one instance (two instances: twice as many on the server).
const POOL_SIZE: usize = 16;
/// Longest wait for a connection, for opening one, and for one store call: past it the
/// database counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Any key will do, as long as it is the same for every instance: migrations take this lock.
const MIGRATION_LOCK: i64 = 0x6775_6963_6865_7401;

/// Whether `db` names a PostgreSQL database rather than an SQLite file.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// `db` without its user name and password, for the log.
pub fn describe(db: &str) -> String {
    match tokio_postgres::Config::from_str(db) {
        Ok(config) => {
            let hosts: Vec<String> = config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect();
            format!(
                "PostgreSQL {}/{}",
                hosts.join(","),
                config.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "PostgreSQL".into(),
    }
}

/// The store of several instances: a pool of PostgreSQL connections.
pub struct PostgresStore {
    pool: Pool,
    /// `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/db`, or
    /// `postgres:///db?host=/run/postgresql` for a Unix socket) and migrates the schema.
    pub fn connect(url: &str) -> StoreResult<PostgresStore> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError(format!("adresse PostgreSQL invalide : {e}")))?;
        if config.get_application_name().is_none() {
            config.application_name("guichet");
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        // Set on every connection, so that the database itself ends what its client gave up
        // on: a statement running longer than a call may last, and a transaction left open by
        // a client that vanished (it would hold its row locks, and every reply to that
        // conversation would wait on them). Options in `url` come after, and win.
        let ms = CALL_TIMEOUT.as_millis();
        let mut options =
            format!("-c statement_timeout={ms} -c idle_in_transaction_session_timeout={ms}");
        if let Some(given) = config.get_options().filter(|o| !o.is_empty()) {
            options = format!("{options} {given}");
        }
        config.options(&options);
        config.keepalives(true);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("guichet-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError(format!("impossible de lancer le client PostgreSQL : {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection whose socket closed is dropped; a live one is reused as is.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = {
            // The pool's timers need the runtime it will run on.
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(POOL_SIZE)
                .runtime(Runtime::Tokio1)
                .wait_timeout(Some(CONNECT_TIMEOUT))
                .create_timeout(Some(CONNECT_TIMEOUT))
                .recycle_timeout(Some(CONNECT_TIMEOUT))
                .build()
                .map_err(|e| StoreError(format!("pool PostgreSQL : {e}")))?
        };
        let store = PostgresStore {
            pool,
            runtime: Some(runtime),
        };
        let pool = store.pool.clone();
        store.call(async move { migrate(&pool).await })?;
        Ok(store)
    }

    /// Runs `work` on the store's runtime and waits for its result (from any thread).
    fn call<T: Send + 'static>(
        &self,
        work: impl Future<Output = StoreResult<T>> + Send + 'static,
    ) -> StoreResult<T> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| StoreError("le client PostgreSQL est arrêté".into()))?;
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = answer.send(bounded(work).await);
        });
        answered.recv().map_err(|_| interrupted())?
    }

    /// Runs `work` on the store's runtime; a future of its result, for a task of another
    /// runtime (the server's) to await.
    fn later<T: Send + 'static>(
        &self,
        work: impl Future<Output = StoreResult<T>> + Send + 'static,
    ) -> Pending<T> {
        let Some(runtime) = self.runtime.as_ref() else {
            return answered(Err(StoreError("le client PostgreSQL est arrêté".into())));
        };
        let task = runtime.spawn(bounded(work));
        Box::pin(async move { task.await.map_err(|_| interrupted())? })
    }

    /// Runs `work` with a pooled connection.
    fn with<T, F, W>(&self, work: W) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Future<Output = StoreResult<T>> + Send,
        W: FnOnce(deadpool_postgres::Object) -> F + Send + 'static,
    {
        let pool = self.pool.clone();
        self.call(async move { work(connection(&pool).await?).await })
    }
}

/// `work`, or unavailable past [`CALL_TIMEOUT`].
async fn bounded<T>(work: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
    match tokio::time::timeout(CALL_TIMEOUT, work).await {
        Ok(result) => result,
        Err(_) => Err(StoreError::unavailable("délai dépassé")),
    }
}

fn interrupted() -> StoreError {
    StoreError("l'appel à PostgreSQL a été interrompu".into())
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Never blocks (the store may be dropped inside another runtime): open connections
        // are closed with the runtime's tasks.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn connection(pool: &Pool) -> StoreResult<deadpool_postgres::Object> {
    pool.get().await.map_err(|e| match e {
        PoolError::Backend(e) => pg(e),
        e => StoreError::unavailable(e),
    })
}

/// A driver error: unavailable when the connection is the problem (no answer from the server,
/// or a connection exception / shutdown / too many connections from it), else a plain store
/// error. Only the SQL state and message are kept: a message's DETAIL may quote values (a
/// session id), which the log must not hold.
fn pg(e: tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    let Some(db) = e.as_db_error() else {
        let cause = std::error::Error::source(&e).map(|s| format!(" ({s})"));
        return StoreError::unavailable(format!("{e}{}", cause.unwrap_or_default()));
    };
    let code = db.code();
    let unreachable = code.code().starts_with("08")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            // `statement_timeout`, and a transaction ended by `idle_in_transaction_session_timeout`.
            SqlState::QUERY_CANCELED,
            SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
        ]
        .contains(code);
    let message = format!("PostgreSQL {} : {}", code.code(), db.message());
    if unreachable {
        StoreError::unavailable(message)
    } else {
        StoreError(message)
    }
}

fn json_error(e: serde_json::Error) -> StoreError {
    StoreError(e.to_string())
}

async fn migrate(pool: &Pool) -> StoreResult<()> {
    let mut client = connection(pool).await?;
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )
    .await
    .map_err(pg)?;
    let applied: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(pg)?
        .get(0);
    let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if applied > known {
        return Err(StoreError(format!(
            "la base est au schéma {applied}, cette version de guichet ne connaît que le \
             schéma {known} : mettez guichet à jour"
        )));
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &now],
        )
        .await
        .map_err(pg)?;
    }
    tx.commit().await.map_err(pg)
}

/// The columns of `conversations`, in the order [`row_to_conversation`] reads them.
macro_rules! columns {
    () => {
        "id, channel, phone, topic, program_version, session, outcome, helpful, \
         created_at, updated_at, revision"
    };
}

fn row_to_conversation(row: &Row) -> StoreResult<Conversation> {
    Ok(Conversation {
        id: row.try_get(0).map_err(pg)?,
        channel: row.try_get(1).map_err(pg)?,
        phone: row.try_get(2).map_err(pg)?,
        topic: row.try_get(3).map_err(pg)?,
        program_version: row.try_get(4).map_err(pg)?,
        session: row.try_get(5).map_err(pg)?,
        outcome: Outcome::parse(row.try_get(6).map_err(pg)?),
        helpful: row.try_get(7).map_err(pg)?,
        created_at: row.try_get(8).map_err(pg)?,
        updated_at: row.try_get(9).map_err(pg)?,
        revision: row.try_get(10).map_err(pg)?,
    })
}

fn row_to_turn(row: &Row) -> StoreResult<Turn> {
    let content: String = row.try_get(2).map_err(pg)?;
    Ok(Turn {
        at: row.try_get(0).map_err(pg)?,
        who: row.try_get(1).map_err(pg)?,
        content: serde_json::from_str(&content).unwrap_or(serde_json::Value::Null),
    })
}

/// Turns as written: their content serialised before the call.
fn stored_turns(turns: &[Turn]) -> Vec<(i64, String, String)> {
    turns
        .iter()
        .map(|t| (t.at, t.who.clone(), t.content.to_string()))
        .collect()
}

async fn read_transcript(client: &deadpool_postgres::Object, id: &str) -> StoreResult<Vec<Turn>> {
    let query = client
        .prepare_cached("SELECT at, who, content FROM turns WHERE conversation = $1 ORDER BY seq")
        .await
        .map_err(pg)?;
    client
        .query(&query, &[&id])
        .await
        .map_err(pg)?
        .iter()
        .map(row_to_turn)
        .collect()
}

fn selection(selector: &Selector) -> (&'static str, String) {
    match selector {
        Selector::Session(id) => ("id = $1", id.clone()),
        Selector::Phone(phone) => ("phone = $1", phone.clone()),
    }
}

/// Creates a conversation with its first turns (serialised).
async fn create_conversation(
    pool: Pool,
    c: Conversation,
    turns: Vec<(i64, String, String)>,
) -> StoreResult<()> {
    let client = connection(&pool).await?;
    // One statement, so one round trip (its own transaction): the conversation, then its
    // turns from three arrays, numbered from 0.
    let insert = client
        .prepare_cached(concat!(
            "WITH created AS (INSERT INTO conversations (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id)
             INSERT INTO turns (conversation, seq, at, who, content)
             SELECT created.id, (t.n - 1)::integer, t.at, t.who, t.content
             FROM created, unnest($12::bigint[], $13::text[], $14::text[])
                 WITH ORDINALITY AS t(at, who, content, n)"
        ))
        .await
        .map_err(pg)?;
    let (at, who, content) = turn_columns(turns);
    client
        .execute(
            &insert,
            &[
                &c.id,
                &c.channel,
                &c.phone,
                &c.topic,
                &c.program_version,
                &c.session,
                &c.outcome.as_str(),
                &c.helpful,
                &c.created_at,
                &c.updated_at,
                &c.revision,
                &at,
                &who,
                &content,
            ],
        )
        .await
        .map_err(pg)?;
    Ok(())
}

/// The turns as three arrays (`unnest` in one statement).
fn turn_columns(turns: Vec<(i64, String, String)>) -> (Vec<i64>, Vec<String>, Vec<String>) {
    let mut columns = (
        Vec::with_capacity(turns.len()),
        Vec::with_capacity(turns.len()),
        Vec::with_capacity(turns.len()),
    );
    for (at, who, content) in turns {
        columns.0.push(at);
        columns.1.push(who);
        columns.2.push(content);
    }
    columns
}

async fn select_conversation(pool: Pool, id: String) -> StoreResult<Option<Conversation>> {
    let client = connection(&pool).await?;
    let query = client
        .prepare_cached(concat!(
            "SELECT ",
            columns!(),
            " FROM conversations WHERE id = $1"
        ))
        .await
        .map_err(pg)?;
    let row = client.query_opt(&query, &[&id]).await.map_err(pg)?;
    row.as_ref().map(row_to_conversation).transpose()
}

/// Saves a conversation changed from `revision`; `false` when someone else changed it.
async fn update_conversation(
    pool: Pool,
    c: Conversation,
    revision: i64,
    turns: Vec<(i64, String, String)>,
) -> StoreResult<bool> {
    let client = connection(&pool).await?;
    // One statement, so one round trip (its own transaction). The UPDATE waits for a
    // concurrent writer's row lock, then checks the revision it left: of two replies to one
    // revision the second changes nothing, so it inserts no turn either (the INSERT reads
    // `updated`). The next line number is read in the statement's snapshot, which holds every
    // turn of the revision it updates (a turn is written with its revision).
    let update = client
        .prepare_cached(
            "WITH updated AS (
                 UPDATE conversations SET session = $1, outcome = $2, helpful = $3,
                     updated_at = $4, revision = $5, topic = $6, program_version = $7
                 WHERE id = $8 AND revision = $9
                 RETURNING id
             ), inserted AS (
                 INSERT INTO turns (conversation, seq, at, who, content)
                 SELECT updated.id,
                     (SELECT COALESCE(MAX(seq) + 1, 0) FROM turns WHERE conversation = $8)
                         + (t.n - 1)::integer,
                     t.at, t.who, t.content
                 FROM updated, unnest($10::bigint[], $11::text[], $12::text[])
                     WITH ORDINALITY AS t(at, who, content, n)
             )
             SELECT COUNT(*) FROM updated",
        )
        .await
        .map_err(pg)?;
    let (at, who, content) = turn_columns(turns);
    let changed: i64 = client
        .query_one(
            &update,
            &[
                &c.session,
                &c.outcome.as_str(),
                &c.helpful,
                &c.updated_at,
                &c.revision,
                &c.topic,
                &c.program_version,
                &c.id,
                &revision,
                &at,
                &who,
                &content,
            ],
        )
        .await
        .map_err(pg)?
        .get(0);
    Ok(changed > 0)
}

impl Store for PostgresStore {
    fn save_rules(&self, version: &str, files: &[(String, String)], now: i64) -> StoreResult<()> {
        let json = serde_json::to_string(files).map_err(json_error)?;
        let version = version.to_string();
        self.with(move |mut client| async move {
            let tx = client.transaction().await.map_err(pg)?;
            tx.execute(
                "INSERT INTO rules (version, files, saved_at) VALUES ($1, $2, $3)
                 ON CONFLICT (version) DO NOTHING",
                &[&version, &json, &now],
            )
            .await
            .map_err(pg)?;
            tx.execute(
                "INSERT INTO current_rules (id, version, at) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET version = $1, at = $2",
                &[&version, &now],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)
        })
    }

    fn current_rules(&self) -> StoreResult<Option<String>> {
        self.with(|client| async move {
            let query = client
                .prepare_cached("SELECT version FROM current_rules WHERE id = 1")
                .await
                .map_err(pg)?;
            let row = client.query_opt(&query, &[]).await.map_err(pg)?;
            row.map(|r| r.try_get(0).map_err(pg)).transpose()
        })
    }

    fn rules(&self, version: &str) -> StoreResult<Option<Vec<(String, String)>>> {
        let version = version.to_string();
        let json: Option<String> = self.with(move |client| async move {
            let row = client
                .query_opt("SELECT files FROM rules WHERE version = $1", &[&version])
                .await
                .map_err(pg)?;
            row.map(|r| r.try_get(0).map_err(pg)).transpose()
        })?;
        json.map(|j| serde_json::from_str(&j).map_err(json_error))
            .transpose()
    }

    fn create(&self, c: &Conversation, turns: &[Turn]) -> StoreResult<()> {
        self.call(create_conversation(
            self.pool.clone(),
            c.clone(),
            stored_turns(turns),
        ))
    }

    fn get(&self, id: &str) -> StoreResult<Option<Conversation>> {
        self.call(select_conversation(self.pool.clone(), id.to_string()))
    }

    fn get_later(&self, id: &str) -> Pending<Option<Conversation>> {
        self.later(select_conversation(self.pool.clone(), id.to_string()))
    }

    fn create_later(&self, c: Conversation, turns: &[Turn]) -> Pending<()> {
        self.later(create_conversation(
            self.pool.clone(),
            c,
            stored_turns(turns),
        ))
    }

    fn update_later(&self, c: Conversation, revision: i64, turns: &[Turn]) -> Pending<bool> {
        self.later(update_conversation(
            self.pool.clone(),
            c,
            revision,
            stored_turns(turns),
        ))
    }

    fn transcript(&self, id: &str) -> StoreResult<Vec<Turn>> {
        let id = id.to_string();
        self.with(move |client| async move { read_transcript(&client, &id).await })
    }

    fn update(&self, c: &Conversation, revision: i64, turns: &[Turn]) -> StoreResult<bool> {
        self.call(update_conversation(
            self.pool.clone(),
            c.clone(),
            revision,
            stored_turns(turns),
        ))
    }

    fn feedback(&self, id: &str, helpful: bool, now: i64) -> StoreResult<bool> {
        let id = id.to_string();
        self.with(move |client| async move {
            let changed = client
                .execute(
                    "UPDATE conversations SET helpful = $1, updated_at = $2, revision = revision + 1
                     WHERE id = $3",
                    &[&helpful, &now, &id],
                )
                .await
                .map_err(pg)?;
            Ok(changed > 0)
        })
    }

    fn latest_for_phone(&self, phone: &str) -> StoreResult<Option<Conversation>> {
        let phone = phone.to_string();
        self.with(move |client| async move {
            let query = client
                .prepare_cached(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM conversations WHERE phone = $1
                     ORDER BY created_at DESC, n DESC LIMIT 1"
                ))
                .await
                .map_err(pg)?;
            let row = client.query_opt(&query, &[&phone]).await.map_err(pg)?;
            row.as_ref().map(row_to_conversation).transpose()
        })
    }

    fn record_question(
        &self,
        kind: Kept,
        question: &str,
        phone: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        self.record_question_grouped(kind, question, &question_key(question), phone, now)
    }

    fn record_question_grouped(
        &self,
        kind: Kept,
        question: &str,
        folded: &str,
        phone: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        let (question, folded) = (question.to_string(), folded.to_string());
        let phone = phone.map(String::from);
        let sql = format!(
            "INSERT INTO {} (question, folded, phone, at) VALUES ($1, $2, $3, $4)",
            kind.table()
        );
        self.with(move |client| async move {
            client
                .execute(&sql, &[&question, &folded, &phone, &now])
                .await
                .map_err(pg)?;
            Ok(())
        })
    }

    fn save_offer(&self, phone: &str, offer: &Offer, now: i64) -> StoreResult<()> {
        let json = serde_json::to_string(offer).map_err(json_error)?;
        let phone = phone.to_string();
        self.with(move |client| async move {
            client
                .execute(
                    "INSERT INTO offers (phone, offer, at) VALUES ($1, $2, $3)
                     ON CONFLICT (phone) DO UPDATE SET offer = $2, at = $3",
                    &[&phone, &json, &now],
                )
                .await
                .map_err(pg)?;
            Ok(())
        })
    }

    fn take_offer(&self, phone: &str, since: i64) -> StoreResult<Option<Offer>> {
        let phone = phone.to_string();
        let found: Option<(String, i64)> = self.with(move |client| async move {
            let row = client
                .query_opt(
                    "DELETE FROM offers WHERE phone = $1 RETURNING offer, at",
                    &[&phone],
                )
                .await
                .map_err(pg)?;
            row.map(|r| StoreResult::Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
                .transpose()
        })?;
        Ok(found
            .filter(|(_, at)| *at >= since)
            .and_then(|(json, _)| serde_json::from_str(&json).ok()))
    }

    fn questions(&self, phone: &str) -> StoreResult<Vec<KeptQuestion>> {
        let phone = phone.to_string();
        let (mut out, offer) = self.with(move |client| async move {
            let out = client
                .query(
                    "SELECT question, at FROM unmatched_questions WHERE phone = $1
                     ORDER BY at, n",
                    &[&phone],
                )
                .await
                .map_err(pg)?
                .iter()
                .map(|r| {
                    Ok(KeptQuestion {
                        question: r.try_get(0).map_err(pg)?,
                        kind: "unmatched",
                        at: r.try_get(1).map_err(pg)?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let mut out = out;
            for row in client
                .query(
                    "SELECT question, at FROM ambiguous_questions WHERE phone = $1
                     ORDER BY at, n",
                    &[&phone],
                )
                .await
                .map_err(pg)?
            {
                out.push(KeptQuestion {
                    question: row.try_get(0).map_err(pg)?,
                    kind: "ambiguous",
                    at: row.try_get(1).map_err(pg)?,
                });
            }
            let offer: Option<(String, i64)> = client
                .query_opt("SELECT offer, at FROM offers WHERE phone = $1", &[&phone])
                .await
                .map_err(pg)?
                .map(|r| StoreResult::Ok((r.try_get(0).map_err(pg)?, r.try_get(1).map_err(pg)?)))
                .transpose()?;
            Ok((out, offer))
        })?;
        out.sort_by_key(|q| q.at);
        if let Some((json, at)) = offer {
            let offer: Offer = serde_json::from_str(&json).map_err(json_error)?;
            // The menu is no question of the agent's.
            if !offer.menu {
                out.push(KeptQuestion {
                    question: offer.question,
                    kind: "offer",
                    at,
                });
            }
            out.sort_by_key(|q| q.at);
        }
        Ok(out)
    }

    fn stats(&self, since: i64, idle_before: i64) -> StoreResult<Stats> {
        self.with(move |client| async move {
            let mut stats = Stats::default();
            let mut helpful = 0;
            // Counted in groups by the database rather than row by row here.
            let rows = client
                .query(
                    "SELECT topic, to_char(to_timestamp(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                            outcome, helpful, updated_at < $2, COUNT(*)
                     FROM conversations WHERE created_at >= $1
                     GROUP BY 1, 2, 3, 4, 5",
                    &[&since, &idle_before],
                )
                .await
                .map_err(pg)?;
            for row in &rows {
                let topic: String = row.try_get(0).map_err(pg)?;
                let day: String = row.try_get(1).map_err(pg)?;
                let outcome = Outcome::parse(row.try_get(2).map_err(pg)?);
                let feedback: Option<bool> = row.try_get(3).map_err(pg)?;
                let idle: bool = row.try_get(4).map_err(pg)?;
                let n: i64 = row.try_get(5).map_err(pg)?;
                stats.conversations += n;
                *stats.per_topic.entry(topic.clone()).or_default() += n;
                *stats.per_day.entry(day).or_default() += n;
                match outcome {
                    Outcome::Answered => stats.outcomes.answered += n,
                    Outcome::HandedOff => stats.outcomes.handed_off += n,
                    Outcome::Open if idle => stats.outcomes.abandoned += n,
                    Outcome::Open => stats.outcomes.in_progress += n,
                }
                if let Some(h) = feedback {
                    stats.feedback += n;
                    helpful += n * i64::from(h);
                    let per_topic = stats.feedback_per_topic.entry(topic.clone()).or_default();
                    per_topic.given += n;
                    per_topic.helpful += n * i64::from(h);
                }
            }
            let o = &stats.outcomes;
            let ended = o.answered + o.handed_off + o.abandoned;
            stats.answer_rate = (ended > 0).then(|| o.answered as f64 / ended as f64);
            stats.helpful_rate =
                (stats.feedback > 0).then(|| helpful as f64 / stats.feedback as f64);
            // The latest spelling of each group, as the SQLite store shows it.
            stats.unmatched = client
                .query(
                    "SELECT (array_agg(question ORDER BY at DESC, n DESC))[1], COUNT(*), MAX(at)
                     FROM unmatched_questions WHERE at >= $1
                     GROUP BY folded ORDER BY 2 DESC, 3 DESC, 1 LIMIT 20",
                    &[&since],
                )
                .await
                .map_err(pg)?
                .iter()
                .map(|r| {
                    Ok(Unmatched {
                        question: r.try_get(0).map_err(pg)?,
                        count: r.try_get(1).map_err(pg)?,
                    })
                })
                .collect::<StoreResult<_>>()?;
            Ok(stats)
        })
    }

    fn export(&self, selector: &Selector) -> StoreResult<Vec<(Conversation, Vec<Turn>)>> {
        let (condition, value) = selection(selector);
        self.with(move |client| async move {
            let rows = client
                .query(
                    &format!(
                        "SELECT {} FROM conversations WHERE {condition} ORDER BY created_at, n",
                        columns!()
                    ),
                    &[&value],
                )
                .await
                .map_err(pg)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let c = row_to_conversation(row)?;
                let turns = read_transcript(&client, &c.id).await?;
                out.push((c, turns));
            }
            Ok(out)
        })
    }

    fn delete(&self, selector: &Selector) -> StoreResult<usize> {
        let (condition, value) = selection(selector);
        let phone = match selector {
            Selector::Phone(phone) => Some(phone.clone()),
            Selector::Session(_) => None,
        };
        self.with(move |mut client| async move {
            let tx = client.transaction().await.map_err(pg)?;
            tx.execute(
                &format!(
                    "DELETE FROM requests WHERE conversation IN
                     (SELECT id FROM conversations WHERE {condition})"
                ),
                &[&value],
            )
            .await
            .map_err(pg)?;
            // Turns go with their conversation (ON DELETE CASCADE).
            let deleted = tx
                .execute(
                    &format!("DELETE FROM conversations WHERE {condition}"),
                    &[&value],
                )
                .await
                .map_err(pg)?;
            if let Some(phone) = phone {
                tx.execute(
                    "DELETE FROM unmatched_questions WHERE phone = $1",
                    &[&phone],
                )
                .await
                .map_err(pg)?;
                tx.execute("DELETE FROM offers WHERE phone = $1", &[&phone])
                    .await
                    .map_err(pg)?;
                tx.execute(
                    "DELETE FROM ambiguous_questions WHERE phone = $1",
                    &[&phone],
                )
                .await
                .map_err(pg)?;
            }
            tx.commit().await.map_err(pg)?;
            usize::try_from(deleted).map_err(|e| StoreError(e.to_string()))
        })
    }

    fn purge(&self, before: i64) -> StoreResult<usize> {
        self.with(move |mut client| async move {
            let tx = client.transaction().await.map_err(pg)?;
            tx.execute(
                "DELETE FROM requests WHERE conversation IN
                 (SELECT id FROM conversations WHERE updated_at < $1)",
                &[&before],
            )
            .await
            .map_err(pg)?;
            let deleted = tx
                .execute(
                    "DELETE FROM conversations WHERE updated_at < $1",
                    &[&before],
                )
                .await
                .map_err(pg)?;
            tx.execute("DELETE FROM unmatched_questions WHERE at < $1", &[&before])
                .await
                .map_err(pg)?;
            tx.execute("DELETE FROM offers WHERE at < $1", &[&before])
                .await
                .map_err(pg)?;
            tx.execute("DELETE FROM ambiguous_questions WHERE at < $1", &[&before])
                .await
                .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            usize::try_from(deleted).map_err(|e| StoreError(e.to_string()))
        })
    }

    fn to_review(&self, since: i64, limit: usize) -> StoreResult<Vec<ToReview>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |client| async move {
            // The latest spelling of each group, as the SQLite store shows it.
            client
                .query(
                    "SELECT (array_agg(question ORDER BY at DESC, n DESC))[1], kind, COUNT(*),
                            MAX(at)
                     FROM (
                         SELECT question, folded, at, n, 'unmatched' AS kind
                         FROM unmatched_questions
                         UNION ALL
                         SELECT question, folded, at, n, 'ambiguous' AS kind
                         FROM ambiguous_questions
                     ) q
                     WHERE at >= $1 AND folded NOT IN (SELECT folded FROM routing_examples)
                     GROUP BY folded, kind ORDER BY 3 DESC, 4 DESC, 1 LIMIT $2",
                    &[&since, &limit],
                )
                .await
                .map_err(pg)?
                .iter()
                .map(|r| {
                    let kind: String = r.try_get(1).map_err(pg)?;
                    Ok(ToReview {
                        question: r.try_get(0).map_err(pg)?,
                        kind: if kind == "ambiguous" {
                            "ambiguous"
                        } else {
                            "unmatched"
                        },
                        count: r.try_get(2).map_err(pg)?,
                    })
                })
                .collect()
        })
    }

    fn assign(
        &self,
        question: &str,
        topic: Option<&str>,
        rules: &str,
        now: i64,
    ) -> StoreResult<()> {
        self.assign_grouped(question, &question_key(question), topic, rules, now)
    }

    fn assign_grouped(
        &self,
        question: &str,
        folded: &str,
        topic: Option<&str>,
        rules: &str,
        now: i64,
    ) -> StoreResult<()> {
        let (question, folded, rules) =
            (question.to_string(), folded.to_string(), rules.to_string());
        let topic = topic.map(String::from);
        self.with(move |client| async move {
            client
                .execute(
                    "INSERT INTO routing_examples (folded, question, topic, rules_version, at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (folded) DO UPDATE
                     SET question = $2, topic = $3, rules_version = $4, at = $5",
                    &[&folded, &question, &topic, &rules, &now],
                )
                .await
                .map_err(pg)?;
            Ok(())
        })
    }

    fn assignments(&self) -> StoreResult<Vec<Assignment>> {
        self.with(|client| async move {
            client
                .query(
                    "SELECT question, topic, rules_version, at FROM routing_examples
                     ORDER BY at, n",
                    &[],
                )
                .await
                .map_err(pg)?
                .iter()
                .map(|r| {
                    Ok(Assignment {
                        question: r.try_get(0).map_err(pg)?,
                        topic: r.try_get(1).map_err(pg)?,
                        rules: r.try_get(2).map_err(pg)?,
                        at: r.try_get(3).map_err(pg)?,
                    })
                })
                .collect()
        })
    }

    fn count_conversations(&self) -> StoreResult<u64> {
        self.with(|client| async move {
            let n: i64 = client
                .query_one("SELECT COUNT(*) FROM conversations", &[])
                .await
                .map_err(pg)?
                .try_get(0)
                .map_err(pg)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn transcript_page(
        &self,
        id: &str,
        from: Option<usize>,
        limit: usize,
    ) -> StoreResult<(usize, usize, Vec<Turn>)> {
        let id = id.to_string();
        self.with(move |client| async move {
            let total: i64 = client
                .query_one("SELECT COUNT(*) FROM turns WHERE conversation = $1", &[&id])
                .await
                .map_err(pg)?
                .try_get(0)
                .map_err(pg)?;
            let total = usize::try_from(total).unwrap_or(0);
            let from = from.unwrap_or(total.saturating_sub(limit)).min(total);
            let (limit_sql, from_sql) = (
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(from).unwrap_or(i64::MAX),
            );
            let turns = client
                .query(
                    "SELECT at, who, content FROM turns WHERE conversation = $1
                     ORDER BY seq LIMIT $2 OFFSET $3",
                    &[&id, &limit_sql, &from_sql],
                )
                .await
                .map_err(pg)?
                .iter()
                .map(row_to_turn)
                .collect::<StoreResult<_>>()?;
            Ok((from, total, turns))
        })
    }
}

// ---------------------------------------------------------------- requests to people (issue 13)

/// The columns of `requests`, in the order [`row_to_request`] reads them.
macro_rules! request_columns {
    () => {
        "id, conversation, contact, contact_email, topic, status, message, reply_email, phone, \
         dossier, created_at, due, reply, replied_at, replied_by, notified_at, delivered_at"
    };
}

fn row_to_request(row: &Row) -> StoreResult<HrRequest> {
    let dossier: String = row.try_get(9).map_err(pg)?;
    Ok(HrRequest {
        id: row.try_get(0).map_err(pg)?,
        conversation: row.try_get(1).map_err(pg)?,
        contact: row.try_get(2).map_err(pg)?,
        contact_email: row.try_get(3).map_err(pg)?,
        topic: row.try_get(4).map_err(pg)?,
        status: row.try_get(5).map_err(pg)?,
        message: row.try_get(6).map_err(pg)?,
        reply_email: row.try_get(7).map_err(pg)?,
        phone: row.try_get(8).map_err(pg)?,
        dossier: serde_json::from_str(&dossier).unwrap_or(serde_json::Value::Null),
        created_at: row.try_get(10).map_err(pg)?,
        due: row.try_get(11).map_err(pg)?,
        reply: row.try_get(12).map_err(pg)?,
        replied_at: row.try_get(13).map_err(pg)?,
        replied_by: row.try_get(14).map_err(pg)?,
        notified_at: row.try_get(15).map_err(pg)?,
        delivered_at: row.try_get(16).map_err(pg)?,
    })
}

/// The requests where `condition` holds (`$1`… bound to `values`), oldest first.
async fn query_requests(
    client: &deadpool_postgres::Object,
    condition: &str,
    values: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> StoreResult<Vec<HrRequest>> {
    client
        .query(
            &format!(
                "SELECT {} FROM requests WHERE {condition} ORDER BY created_at, n",
                request_columns!()
            ),
            values,
        )
        .await
        .map_err(pg)?
        .iter()
        .map(row_to_request)
        .collect()
}

/// A request's one-line updates: `true` when a row changed.
async fn update_request(
    client: &deadpool_postgres::Object,
    sql: &str,
    values: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> StoreResult<bool> {
    Ok(client.execute(sql, values).await.map_err(pg)? > 0)
}

impl RequestStore for PostgresStore {
    fn create_request(&self, r: &HrRequest) -> StoreResult<()> {
        let r = r.clone();
        let dossier = r.dossier.to_string();
        self.with(move |client| async move {
            // The partial unique index refuses a second open request of one conversation.
            client
                .execute(
                    concat!(
                        "INSERT INTO requests (",
                        request_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                         $15, $16, $17)"
                    ),
                    &[
                        &r.id,
                        &r.conversation,
                        &r.contact,
                        &r.contact_email,
                        &r.topic,
                        &r.status,
                        &r.message,
                        &r.reply_email,
                        &r.phone,
                        &dossier,
                        &r.created_at,
                        &r.due,
                        &r.reply,
                        &r.replied_at,
                        &r.replied_by,
                        &r.notified_at,
                        &r.delivered_at,
                    ],
                )
                .await
                .map_err(pg)?;
            Ok(())
        })
    }

    fn request(&self, id: &str) -> StoreResult<Option<HrRequest>> {
        let id = id.to_string();
        self.with(move |client| async move {
            Ok(query_requests(&client, "id = $1", &[&id]).await?.pop())
        })
    }

    fn requests_of_conversation(&self, conversation: &str) -> StoreResult<Vec<HrRequest>> {
        let id = conversation.to_string();
        self.with(move |client| async move {
            query_requests(&client, "conversation = $1", &[&id]).await
        })
    }

    fn requests(&self, contact: Option<&str>, status: Option<&str>) -> StoreResult<Vec<HrRequest>> {
        let contact = contact.map(String::from);
        let status = status.map(String::from);
        self.with(move |client| async move {
            query_requests(
                &client,
                "($1::TEXT IS NULL OR contact = $1) AND ($2::TEXT IS NULL OR status = $2)",
                &[&contact, &status],
            )
            .await
        })
    }

    fn reply_request(&self, id: &str, reply: &str, by: &str, now: i64) -> StoreResult<bool> {
        let (id, reply, by) = (id.to_string(), reply.to_string(), by.to_string());
        self.with(move |client| async move {
            update_request(
                &client,
                "UPDATE requests SET status = 'answered', reply = $1, replied_by = $2,
                     replied_at = $3
                 WHERE id = $4 AND status = 'open'",
                &[&reply, &by, &now, &id],
            )
            .await
        })
    }

    fn assign_request(&self, id: &str, contact: &str, email: Option<&str>) -> StoreResult<bool> {
        let (id, contact, email) = (id.to_string(), contact.to_string(), email.map(String::from));
        self.with(move |client| async move {
            update_request(
                &client,
                "UPDATE requests SET contact = $1, contact_email = $2, notified_at = NULL
                 WHERE id = $3 AND status = 'open'",
                &[&contact, &email, &id],
            )
            .await
        })
    }

    fn request_notified(&self, id: &str, now: i64) -> StoreResult<()> {
        let id = id.to_string();
        self.with(move |client| async move {
            update_request(
                &client,
                "UPDATE requests SET notified_at = $1 WHERE id = $2",
                &[&now, &id],
            )
            .await
            .map(|_| ())
        })
    }

    fn request_delivered(&self, id: &str, now: i64) -> StoreResult<()> {
        let id = id.to_string();
        self.with(move |client| async move {
            update_request(
                &client,
                "UPDATE requests SET delivered_at = $1 WHERE id = $2",
                &[&now, &id],
            )
            .await
            .map(|_| ())
        })
    }

    fn undelivered(&self, notify: bool, deliver: bool) -> StoreResult<Vec<HrRequest>> {
        self.with(move |client| async move {
            query_requests(
                &client,
                "($1 AND notified_at IS NULL AND contact_email IS NOT NULL AND status = 'open')
                 OR ($2 AND status = 'answered' AND delivered_at IS NULL
                     AND (reply_email IS NOT NULL OR phone IS NOT NULL))",
                &[&notify, &deliver],
            )
            .await
        })
    }

    fn requests_selected(&self, selector: &Selector) -> StoreResult<Vec<HrRequest>> {
        let (condition, value) = selection(selector);
        self.with(move |client| async move {
            query_requests(
                &client,
                &format!("conversation IN (SELECT id FROM conversations WHERE {condition})"),
                &[&value],
            )
            .await
        })
    }

    fn request_stats(&self, since: i64, today: &str) -> StoreResult<RequestStats> {
        let today = today.to_string();
        self.with(move |client| async move {
            let rows: Vec<RequestRow> = client
                .query(
                    "SELECT contact, topic, status, due, created_at, replied_at
                     FROM requests WHERE created_at >= $1",
                    &[&since],
                )
                .await
                .map_err(pg)?
                .iter()
                .map(|r| {
                    let status: String = r.try_get(2).map_err(pg)?;
                    let due: String = r.try_get(3).map_err(pg)?;
                    let created_at: i64 = r.try_get(4).map_err(pg)?;
                    let replied_at: Option<i64> = r.try_get(5).map_err(pg)?;
                    Ok(RequestRow {
                        contact: r.try_get(0).map_err(pg)?,
                        topic: r.try_get(1).map_err(pg)?,
                        answered: status == "answered",
                        overdue: status == "open" && due.as_str() < today.as_str(),
                        hours: replied_at.map(|at| (at - created_at) as f64 / 3600.0),
                    })
                })
                .collect::<StoreResult<_>>()?;
            let mut stats = RequestStats {
                total: figures(rows.iter()),
                ..RequestStats::default()
            };
            let contacts: std::collections::BTreeSet<&str> =
                rows.iter().map(|r| r.contact.as_str()).collect();
            for contact in contacts {
                stats.per_contact.insert(
                    contact.to_string(),
                    figures(rows.iter().filter(|r| r.contact == contact)),
                );
            }
            let topics: std::collections::BTreeSet<&str> =
                rows.iter().map(|r| r.topic.as_str()).collect();
            for topic in topics {
                stats.per_topic.insert(
                    topic.to_string(),
                    figures(rows.iter().filter(|r| r.topic == topic)),
                );
            }
            stats.conversations_answered_by_a_person = client
                .query_one(
                    "SELECT COUNT(DISTINCT conversation) FROM requests r
                     JOIN conversations c ON c.id = r.conversation
                     WHERE r.status = 'answered' AND c.created_at >= $1",
                    &[&since],
                )
                .await
                .map_err(pg)?
                .try_get(0)
                .map_err(pg)?;
            Ok(stats)
        })
    }
}
