//! Where conversations live: the [`Store`] trait and its SQLite implementation.
//!
//! The server is stateless between requests: every request loads what it
//! needs from the store and commits what it changed before answering. The
//! trait is what a PostgreSQL store for several server instances would
//! implement; [`SqliteStore`] is the embedded default (WAL journal,
//! `synchronous=FULL`, so a committed reply survives `kill -9` and a power
//! cut).
//!
//! Tables: `rules` (the source files of every rule version a conversation
//! started on, so an old program can be recompiled after a restart),
//! `conversations` (one row per conversation: the engine's `Session` as
//! JSON, its channel, outcome, feedback), `turns` (the transcript, ordered by the start of its
//! conversation so that the lines of the conversations under way are written together at the
//! end of the table: [`migrate_turns`]),
//! `unmatched_questions` (one row each time a free-text question matched no
//! topic: the question as typed, its folded form to group spellings, the
//! phone number for SMS so that an agent's erasure reaches it, nothing
//! else), `offers` (the numbered list of topics last sent to a number by
//! SMS — the topics offered for an ambiguous question, or the menu — until
//! the number's next message: the web page keeps its offer itself),
//! `ambiguous_questions` (like `unmatched_questions`, for questions offered
//! a choice of topics), `routing_examples` (the questions HR assigned to a
//! topic, or marked « hors sujet », from the admin page: one row per folded
//! question, with the rule version it was assigned under; the router learns
//! from them, see docs/routing.md).
//! `current_rules` holds the version last loaded, which every server sharing the store serves
//! (`Rules::follow`). Times are Unix seconds (UTC).
//!
//! `postgres.rs` is the same trait on PostgreSQL, for several instances (docs/deploy.md).

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{mpsc, Arc, Mutex};

pub mod postgres;

/// A store error: always a server-side failure (500), never bad input.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

/// How an error of an unreachable database starts (the server answers 503 `unavailable`).
const UNAVAILABLE: &str = "base de données injoignable";

impl StoreError {
    /// The database cannot be reached now (connection lost or refused, time-out): nothing was
    /// written, the request can be retried.
    pub fn unavailable(detail: impl std::fmt::Display) -> StoreError {
        StoreError(format!("{UNAVAILABLE} : {detail}"))
    }

    pub fn is_unavailable(&self) -> bool {
        self.0.starts_with(UNAVAILABLE)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A store call under way, for the server's hot path: it resolves once the store answered (a
/// write: once it committed) without holding a thread while it waits.
pub type Pending<T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send>>;

/// A [`Pending`] that is already answered.
pub fn answered<T: Send + 'static>(result: StoreResult<T>) -> Pending<T> {
    Box::pin(std::future::ready(result))
}

/// How a conversation stands, for analytics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Still waiting for the agent (or abandoned, once idle long enough).
    Open,
    Answered,
    HandedOff,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Open => "open",
            Outcome::Answered => "answered",
            Outcome::HandedOff => "handed_off",
        }
    }

    fn parse(text: &str) -> Outcome {
        match text {
            "answered" => Outcome::Answered,
            "handed_off" => Outcome::HandedOff,
            _ => Outcome::Open,
        }
    }
}

/// One conversation as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    /// `web` or `sms`.
    pub channel: String,
    /// The phone number of an SMS conversation (personal data: never logged).
    pub phone: Option<String>,
    pub topic: String,
    pub program_version: String,
    /// The engine's `Session`, as JSON.
    pub session: String,
    pub outcome: Outcome,
    pub helpful: Option<bool>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every update: two concurrent replies cannot both win.
    pub revision: i64,
}

/// One line of a transcript: what the agent typed, or what Guichet answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub at: i64,
    /// `agent` or `guichet`.
    pub who: String,
    /// The agent's text, or the wire step (JSON) Guichet sent.
    pub content: serde_json::Value,
}

/// Which conversations an export or a deletion is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    Session(String),
    Phone(String),
}

/// The figures of `GET /api/stats`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub conversations: i64,
    pub per_topic: BTreeMap<String, i64>,
    pub per_day: BTreeMap<String, i64>,
    pub outcomes: OutcomeCounts,
    /// Answered / (answered + handed off + abandoned); `None` when nothing ended.
    pub answer_rate: Option<f64>,
    /// Helpful / feedback given; `None` without feedback.
    pub helpful_rate: Option<f64>,
    pub feedback: i64,
    /// Per topic: feedback given, and how much of it said « helpful ».
    pub feedback_per_topic: BTreeMap<String, TopicFeedback>,
    pub unmatched: Vec<Unmatched>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TopicFeedback {
    pub given: i64,
    pub helpful: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OutcomeCounts {
    pub answered: i64,
    pub handed_off: i64,
    pub abandoned: i64,
    pub in_progress: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unmatched {
    /// The latest spelling of the question (questions are grouped by their folded form).
    pub question: String,
    pub count: i64,
}

/// A free-text question kept for one phone number: unmatched, or waiting for a choice of topic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeptQuestion {
    pub question: String,
    /// `unmatched` or `offer`.
    pub kind: &'static str,
    pub at: i64,
}

/// Why a free-text question is kept for HR to assign (`learning.rs`): no topic matched it, or
/// several topics were offered. Each kind has its table, with the same columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    Unmatched,
    Ambiguous,
}

impl Kept {
    /// The table of the questions of this kind.
    pub fn table(self) -> &'static str {
        match self {
            Kept::Unmatched => "unmatched_questions",
            Kept::Ambiguous => "ambiguous_questions",
        }
    }
}

/// The numbered list of topics last sent to a phone number by SMS, waiting for the agent's
/// choice: the topics offered for an ambiguous question, or the menu of every topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// The question the topics are offered for; empty for the menu.
    pub question: String,
    /// Topic ids, in the order offered.
    pub topics: Vec<String>,
    /// The menu: no question, no « Autre chose », not a kept question.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub menu: bool,
}

/// A question for HR to assign: no topic matched it, or several were offered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToReview {
    /// The latest spelling (questions are grouped by their folded form).
    pub question: String,
    /// `unmatched` or `ambiguous`.
    pub kind: &'static str,
    pub count: i64,
}

/// A question HR assigned from the admin page.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assignment {
    pub question: String,
    /// The topic id, `None` for « hors sujet ».
    pub topic: Option<String>,
    /// The rule version served when it was assigned.
    pub rules: String,
    pub at: i64,
}

pub use crate::text::question_key;

/// Everything the server keeps. Implementations must commit durably before returning.
pub trait Store: RequestStore + Send + Sync {
    /// Keeps the sources of a rule version (a no-op when already kept) and makes it the version
    /// served by every server sharing the store.
    fn save_rules(&self, version: &str, files: &[(String, String)], now: i64) -> StoreResult<()>;
    /// The version last given to [`Store::save_rules`].
    fn current_rules(&self) -> StoreResult<Option<String>>;
    /// The sources of a rule version, in order.
    fn rules(&self, version: &str) -> StoreResult<Option<Vec<(String, String)>>>;
    /// Creates a conversation with its first turns.
    fn create(&self, conversation: &Conversation, turns: &[Turn]) -> StoreResult<()>;
    fn get(&self, id: &str) -> StoreResult<Option<Conversation>>;
    fn transcript(&self, id: &str) -> StoreResult<Vec<Turn>>;
    /// Saves a conversation changed from `revision`, with new turns; `false` if someone else
    /// changed it since (nothing is written then).
    fn update(
        &self,
        conversation: &Conversation,
        revision: i64,
        turns: &[Turn],
    ) -> StoreResult<bool>;
    /// [`Store::get`], [`Store::create`] and [`Store::update`] awaited on the server's own
    /// threads (the web routes of a conversation): no blocking thread is held while the store
    /// works or the batch commits.
    fn get_later(&self, id: &str) -> Pending<Option<Conversation>>;
    fn create_later(&self, conversation: Conversation, turns: &[Turn]) -> Pending<()>;
    fn update_later(
        &self,
        conversation: Conversation,
        revision: i64,
        turns: &[Turn],
    ) -> Pending<bool>;
    /// Records feedback; `false` when the conversation does not exist.
    fn feedback(&self, id: &str, helpful: bool, now: i64) -> StoreResult<bool>;
    /// The latest conversation of a phone number.
    fn latest_for_phone(&self, phone: &str) -> StoreResult<Option<Conversation>>;
    /// Records a free-text question kept for HR: no topic matched it, or several were offered
    /// (`kind`); `phone` for SMS (so that the number's erasure and export reach it), `None` on
    /// the web (nothing links it to anyone).
    fn record_question(
        &self,
        kind: Kept,
        question: &str,
        phone: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;
    /// The same, with the key that groups spellings given (an encrypted store gives a keyed
    /// hash of [`question_key`], so that the clear key is not stored either).
    fn record_question_grouped(
        &self,
        kind: Kept,
        question: &str,
        folded: &str,
        phone: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;
    /// Keeps the topics offered to a phone number (replacing an earlier offer).
    fn save_offer(&self, phone: &str, offer: &Offer, now: i64) -> StoreResult<()>;
    /// Removes and returns the number's offer, if it was made at or after `since`.
    fn take_offer(&self, phone: &str, since: i64) -> StoreResult<Option<Offer>>;
    /// The free-text questions kept for a phone number (unmatched, ambiguous, offers), oldest first.
    fn questions(&self, phone: &str) -> StoreResult<Vec<KeptQuestion>>;
    /// Figures since `since`; conversations idle since before `idle_before` count as abandoned.
    fn stats(&self, since: i64, idle_before: i64) -> StoreResult<Stats>;
    /// The conversations selected, with their transcripts.
    fn export(&self, selector: &Selector) -> StoreResult<Vec<(Conversation, Vec<Turn>)>>;
    /// Deletes the conversations selected (for a phone number, also its kept questions);
    /// how many conversations.
    fn delete(&self, selector: &Selector) -> StoreResult<usize>;
    /// Deletes conversations, unmatched questions and offers not touched since `before`;
    /// how many conversations.
    fn purge(&self, before: i64) -> StoreResult<usize>;
    /// The unmatched and ambiguous questions since `since` that HR has not assigned yet,
    /// most frequent first (at most `limit`).
    fn to_review(&self, since: i64, limit: usize) -> StoreResult<Vec<ToReview>>;
    /// Assigns a question to a topic (`None`: « hors sujet »), replacing an earlier assignment
    /// of the same folded question.
    fn assign(&self, question: &str, topic: Option<&str>, rules: &str, now: i64)
        -> StoreResult<()>;
    /// The same, with the key that groups spellings given (as [`Store::record_question_grouped`]).
    fn assign_grouped(
        &self,
        question: &str,
        folded: &str,
        topic: Option<&str>,
        rules: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Every assignment, oldest first.
    fn assignments(&self) -> StoreResult<Vec<Assignment>>;
    /// How many conversations are stored (the global cap, `limits.rs`).
    fn count_conversations(&self) -> StoreResult<u64>;
    /// At most `limit` lines of a transcript from line `from` (default: its last lines); the
    /// index of the first line given, the number of lines, and the lines.
    fn transcript_page(
        &self,
        id: &str,
        from: Option<usize>,
        limit: usize,
    ) -> StoreResult<(usize, usize, Vec<Turn>)>;
}

/// The embedded store: one SQLite file, one writer thread that commits in groups, and a pool of
/// read connections.
///
/// **Group commit.** Every write (a reply, a new conversation, feedback…) is sent, with a
/// channel for its answer, to the writer thread, which owns the only write connection. The
/// writer takes everything queued, runs it in order in ONE transaction (each write in its own
/// savepoint, so that a failing write leaves the others alone), commits — one fsync with
/// `synchronous=FULL` — and only then answers every waiter. So a method still returns only once
/// its change is durable, but concurrent requests share one fsync instead of queueing behind
/// one each. Conflicts stay exact: a write's checks (the conversation's `revision`) run inside
/// the batch, after the writes queued before it, so of two replies to the same revision the
/// second sees the first and is refused.
///
/// Reads use their own connections (WAL: readers never block the writer nor wait for it) and
/// see only committed data. An in-memory store (tests) has no file to share: its reads go
/// through the writer too.
pub struct SqliteStore {
    /// `None` only while dropping (closing it stops the writer).
    writer: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Copies the WAL back into the file beside the writer (`None` in memory).
    checkpointer: Option<Checkpointer>,
    /// `None` for an in-memory store.
    readers: Option<Arc<Readers>>,
    /// The conversations this store committed last, so that a reply finds its conversation
    /// without reading the file.
    recent: Arc<Recent>,
}

/// What the writer answers a write with, once its transaction committed (or failed).
type Done = Box<dyn FnOnce(&StoreResult<()>) + Send>;

/// Where a write's result goes: a thread waiting for it, or a task awaiting it.
enum Answer<T> {
    Wait(mpsc::SyncSender<StoreResult<T>>),
    Later(tokio::sync::oneshot::Sender<StoreResult<T>>),
}

impl<T> Answer<T> {
    fn send(self, result: StoreResult<T>) {
        let _ = match self {
            Answer::Wait(tx) => tx.send(result).map_err(|_| ()),
            Answer::Later(tx) => tx.send(result).map_err(|_| ()),
        };
    }
}

/// Conversations as this store last committed them, by id: a reply reads its conversation
/// here rather than from the file (whose pages a read connection must fetch again after every
/// commit). Filled only after a commit, in commit order, so it never holds what the file does
/// not; a write that finds another revision in the file, feedback, deletion and purge take
/// conversations out. Only valid because one process writes the file (`guichet serve`; the
/// other commands only read it). Bounded: two generations of at most [`RECENT`] / 2 each, the
/// older dropped when the newer is full.
#[derive(Default)]
struct Recent {
    generations: Mutex<[HashMap<String, Arc<Conversation>>; 2]>,
}

/// Conversations kept in [`Recent`] (about 2 KB each).
const RECENT: usize = 8192;

impl Recent {
    fn lock(&self) -> std::sync::MutexGuard<'_, [HashMap<String, Arc<Conversation>>; 2]> {
        self.generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, id: &str) -> Option<Conversation> {
        let generations = self.lock();
        generations[0]
            .get(id)
            .or_else(|| generations[1].get(id))
            .map(|c| Conversation::clone(c))
    }

    /// Keeps a conversation as written (the writer shares it: no copy).
    fn keep(&self, conversation: Arc<Conversation>) {
        let mut generations = self.lock();
        generations[1].remove(&conversation.id);
        if generations[0].len() >= RECENT / 2 {
            generations[1] = std::mem::take(&mut generations[0]);
        }
        generations[0].insert(conversation.id.clone(), conversation);
    }

    fn forget(&self, id: &str) {
        let mut generations = self.lock();
        generations[0].remove(id);
        generations[1].remove(id);
    }

    fn clear(&self) {
        let mut generations = self.lock();
        generations[0].clear();
        generations[1].clear();
    }
}
/// A write: runs inside the batch's transaction; `true` when it succeeded (else its savepoint
/// is rolled back).
type Job = Box<dyn FnOnce(&Connection) -> (bool, Done) + Send>;

/// At most this many writes share a transaction (bounds the work a failed commit undoes).
const MAX_BATCH: usize = 1024;
/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 64;

struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    fn open(&self) -> StoreResult<Connection> {
        let connection = Connection::open(&self.path)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.pragma_update(None, "query_only", "ON")?;
        connection.set_prepared_statement_cache_capacity(32);
        Ok(connection)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The vector is consistent whatever panicked while it was locked.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rules (
    version TEXT PRIMARY KEY,
    files TEXT NOT NULL,
    saved_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS current_rules (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    phone TEXT,
    topic TEXT NOT NULL,
    program_version TEXT NOT NULL,
    session TEXT NOT NULL,
    outcome TEXT NOT NULL,
    helpful INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    revision INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_phone ON conversations (phone, created_at);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (updated_at);
CREATE TABLE IF NOT EXISTS turns (
    started INTEGER NOT NULL,
    conversation TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    who TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS unmatched_questions (
    question TEXT NOT NULL,
    folded TEXT NOT NULL,
    phone TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS unmatched_questions_at ON unmatched_questions (at);
CREATE INDEX IF NOT EXISTS unmatched_questions_phone ON unmatched_questions (phone);
CREATE TABLE IF NOT EXISTS offers (
    phone TEXT PRIMARY KEY,
    offer TEXT NOT NULL,
    at INTEGER NOT NULL
);
";

/// The tables of the learning loop (issue 11): kept apart so that other tables can be added
/// next to them without touching these.
const LEARNING_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ambiguous_questions (
    question TEXT NOT NULL,
    folded TEXT NOT NULL,
    phone TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ambiguous_questions_at ON ambiguous_questions (at);
CREATE INDEX IF NOT EXISTS ambiguous_questions_phone ON ambiguous_questions (phone);
CREATE TABLE IF NOT EXISTS routing_examples (
    folded TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    topic TEXT,
    rules_version TEXT NOT NULL,
    at INTEGER NOT NULL
);
";

/// The columns of `conversations`, in the order [`row_to_conversation`] reads them.
macro_rules! columns {
    () => {
        "id, channel, phone, topic, program_version, session, outcome, helpful, \
         created_at, updated_at, revision"
    };
}

impl SqliteStore {
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let readers = Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        };
        SqliteStore::with(Connection::open(path)?, Some(Arc::new(readers)))
    }

    /// A store that forgets everything when dropped (for tests).
    pub fn in_memory() -> StoreResult<SqliteStore> {
        SqliteStore::with(Connection::open_in_memory()?, None)
    }

    fn with(mut connection: Connection, readers: Option<Arc<Readers>>) -> StoreResult<SqliteStore> {
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.pragma_update(None, "wal_autocheckpoint", WAL_PAGES)?;
        connection.pragma_update(None, "journal_size_limit", WAL_PAGES * 4096)?;
        connection.set_prepared_statement_cache_capacity(64);
        connection.execute_batch(SCHEMA)?;
        connection.execute_batch(LEARNING_SCHEMA)?;
        connection.execute_batch(REQUESTS_SCHEMA)?;
        migrate_unmatched(&mut connection)?;
        migrate_turns(&mut connection)?;
        let checkpointer = match &readers {
            Some(readers) => Some(Checkpointer::start(&readers.path)?),
            None => None,
        };
        let (writer, jobs) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("guichet-store".into())
            .spawn(move || write_loop(&connection, &jobs))
            .map_err(|e| StoreError(format!("impossible de lancer l'écriture : {e}")))?;
        Ok(SqliteStore {
            writer: Some(writer),
            thread: Some(thread),
            checkpointer,
            readers,
            recent: Arc::default(),
        })
    }

    /// Queues `work` for the writer's next transaction; `answer` hears its result once that
    /// transaction committed, after `committed` ran with it (on the writer thread, in commit
    /// order: where [`Recent`] is kept).
    fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        committed: impl FnOnce(&T) + Send + 'static,
        answer: Answer<T>,
    ) {
        let job: Job = Box::new(move |connection| {
            let result = work(connection);
            let ok = result.is_ok();
            let done: Done = Box::new(move |commit| {
                answer.send(match (commit, result) {
                    (Ok(()), Ok(value)) => {
                        committed(&value);
                        Ok(value)
                    }
                    (Ok(()), Err(e)) => Err(e),
                    (Err(e), _) => Err(StoreError(e.0.clone())),
                });
            });
            (ok, done)
        });
        if let Some(writer) = &self.writer {
            // A refused job is dropped with its answer: the waiter hears of the interruption.
            let _ = writer.send(job);
        }
    }

    /// Runs `work` in the writer's next transaction; returns once that transaction committed.
    fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        self.write_then(work, |_| {})
    }

    /// [`SqliteStore::write`], with `committed` run on its result once committed.
    fn write_then<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        committed: impl FnOnce(&T) + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = mpsc::sync_channel(1);
        self.submit(work, committed, Answer::Wait(answer));
        answered.recv().map_err(|_| stopped())?
    }

    /// [`SqliteStore::write_then`] awaited instead of waited for.
    fn write_later<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        committed: impl FnOnce(&T) + Send + 'static,
    ) -> Pending<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.submit(work, committed, Answer::Later(answer));
        Box::pin(async move { answered.await.map_err(|_| stopped())? })
    }

    /// Runs `work` on a read connection (committed data only); through the writer in memory.
    fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        match &self.readers {
            Some(readers) => readers.read(work),
            None => self.write(work),
        }
    }
}

impl SqliteStore {
    /// The write of a new conversation, and what to do once it committed (keep it).
    fn creation(
        &self,
        c: Conversation,
        turns: &[Turn],
    ) -> (
        impl FnOnce(&Connection) -> StoreResult<()> + Send + 'static,
        impl FnOnce(&()) + Send + 'static,
    ) {
        let turns = stored_turns(turns);
        let recent = self.recent.clone();
        let c = Arc::new(c);
        let kept = c.clone();
        let work = move |connection: &Connection| {
            connection
                .prepare_cached(concat!(
                    "INSERT INTO conversations (",
                    columns!(),
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                ))?
                .execute(params![
                    c.id,
                    c.channel,
                    c.phone,
                    c.topic,
                    c.program_version,
                    c.session,
                    c.outcome.as_str(),
                    c.helpful,
                    c.created_at,
                    c.updated_at,
                    c.revision
                ])?;
            insert_turns(connection, c.created_at, &c.id, &turns, true)
        };
        (work, move |_: &()| recent.keep(kept))
    }

    /// The write of a conversation changed from `revision`, and what to do once it committed:
    /// keep the new state, or forget a conversation someone else changed.
    fn change(
        &self,
        c: Conversation,
        revision: i64,
        turns: &[Turn],
    ) -> (
        impl FnOnce(&Connection) -> StoreResult<bool> + Send + 'static,
        impl FnOnce(&bool) + Send + 'static,
    ) {
        let turns = stored_turns(turns);
        let recent = self.recent.clone();
        let c = Arc::new(c);
        let kept = c.clone();
        // Checked inside the batch, after the writes queued before: exact under group commit.
        let work = move |connection: &Connection| {
            let changed = connection
                .prepare_cached(
                    "UPDATE conversations SET session = ?1, outcome = ?2, helpful = ?3,
                         updated_at = ?4, revision = ?5, topic = ?6, program_version = ?7
                     WHERE id = ?8 AND revision = ?9",
                )?
                .execute(params![
                    c.session,
                    c.outcome.as_str(),
                    c.helpful,
                    c.updated_at,
                    c.revision,
                    c.topic,
                    c.program_version,
                    c.id,
                    revision
                ])?;
            if changed == 0 {
                return Ok(false);
            }
            insert_turns(connection, c.created_at, &c.id, &turns, false)?;
            Ok(true)
        };
        let committed = move |changed: &bool| {
            if *changed {
                recent.keep(kept);
            } else {
                recent.forget(&kept.id);
            }
        };
        (work, committed)
    }
}

fn select_conversation(connection: &Connection, id: &str) -> StoreResult<Option<Conversation>> {
    Ok(connection
        .prepare_cached(concat!(
            "SELECT ",
            columns!(),
            " FROM conversations WHERE id = ?1"
        ))?
        .query_row([id], row_to_conversation)
        .optional()?)
}

fn stopped() -> StoreError {
    StoreError("l'écriture dans la base a été interrompue".into())
}

impl Readers {
    fn read<T>(&self, work: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let idle = self.lock().pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = work(&connection);
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE_READERS {
            idle.push(connection);
        }
        result
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish what is queued, then stop.
        self.writer = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.checkpointer = None;
    }
}

/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(50);
/// WAL pages after which the writer checkpoints itself, should the checkpointer lag behind;
/// then the WAL starts over from its beginning.
const WAL_PAGES: i64 = 4096;

/// A thread with its own connection that checkpoints the WAL (`PASSIVE`: it never blocks the
/// writer nor a reader), so that the writer, the one serial stage of every write, does not
/// copy pages into the file between two batches. The writer still checkpoints past
/// [`WAL_PAGES`] (by then most pages were copied already), which is also when the WAL file
/// starts over; `journal_size_limit` truncates it then.
struct Checkpointer {
    /// Dropped to stop the thread.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> StoreResult<Checkpointer> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("guichet-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    // A failure (the file busy, gone) is retried at the next tick; the
                    // writer's own checkpoints keep the WAL bounded meanwhile.
                    let _ = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|e| StoreError(format!("impossible de lancer le point de contrôle : {e}")))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: waits for a write, takes every write queued behind it, commits them
/// together, then answers them all.
fn write_loop(connection: &Connection, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut done = Vec::with_capacity(batch.len());
        let outcome = run_batch(connection, batch, &mut done);
        if outcome.is_err() && !connection.is_autocommit() {
            let _ = connection.execute_batch("ROLLBACK");
        }
        for answer in done {
            answer(&outcome);
        }
    }
}

/// Runs a batch in one transaction and commits. On an error, the writes not run yet are dropped
/// (their waiters hear that the write was interrupted).
///
/// No savepoint per write (each cost two statements and a copy of every page the write
/// touched): a write that fails at its first change leaves nothing behind (SQLite undoes a
/// failed statement), which is how writes fail in practice (a taken id, the one open request
/// of a conversation, a revision check that finds nothing to change is no failure). A write
/// that fails after it changed rows cannot be undone alone: the whole batch is rolled back
/// and every waiter hears of the failure — nothing answered as done was left out.
fn run_batch(
    connection: &Connection,
    mut batch: Vec<Job>,
    done: &mut Vec<Done>,
) -> StoreResult<()> {
    connection.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    if batch.len() == 1 {
        // Alone in its transaction: a failed write rolls it back, whatever it changed, and its
        // waiter hears its own error.
        let ok = batch
            .pop()
            .is_some_and(|job| run_job(connection, job, done));
        let end = if ok { "COMMIT" } else { "ROLLBACK" };
        connection.prepare_cached(end)?.execute([])?;
        return Ok(());
    }
    for job in batch {
        let before = connection.total_changes();
        if !run_job(connection, job, done)
            && (connection.total_changes() != before || connection.is_autocommit())
        {
            return Err(StoreError(
                "écriture échouée à mi-chemin : le lot est annulé".into(),
            ));
        }
    }
    connection.prepare_cached("COMMIT")?.execute([])?;
    Ok(())
}

/// Runs one write of a batch; `true` when it succeeded. Its answer joins `done`.
fn run_job(connection: &Connection, job: Job, done: &mut Vec<Done>) -> bool {
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(connection)));
    match ran {
        Ok((ok, answer)) => {
            done.push(answer);
            ok
        }
        // The job's channel went with the panic: its waiter hears of an interruption.
        Err(_) => false,
    }
}

/// Schema version 1 (`PRAGMA user_version`): `turns` is ordered by the start of its
/// conversation (`started`, its `created_at`) before its id, so that the lines of the
/// conversations under way, the recent ones, are written at the end of the table and of its
/// index — not at a random page of an index by id, one page per line. A file of version 0
/// (turns keyed by conversation id) gets its lines copied into the new table, in one
/// transaction. Lines of no conversation (none: they were deleted with it) are left out.
/// The schema this build writes; a file of a later one is refused (written by a newer Guichet).
const SCHEMA_VERSION: i64 = 1;

fn migrate_turns(connection: &mut Connection) -> StoreResult<()> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError(format!(
            "la base est au schéma {version}, plus récent que celui de ce Guichet \
             ({SCHEMA_VERSION}) : mettez Guichet à jour"
        )));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let started: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('turns') WHERE name = 'started')",
        [],
        |r| r.get(0),
    )?;
    if !started {
        tx.execute_batch(
            "CREATE TABLE turns_v1 (
                 started INTEGER NOT NULL,
                 conversation TEXT NOT NULL,
                 seq INTEGER NOT NULL,
                 at INTEGER NOT NULL,
                 who TEXT NOT NULL,
                 content TEXT NOT NULL
             );
             INSERT INTO turns_v1 (started, conversation, seq, at, who, content)
                 SELECT c.created_at, t.conversation, t.seq, t.at, t.who, t.content
                 FROM turns t JOIN conversations c ON c.id = t.conversation
                 ORDER BY c.created_at, t.conversation, t.seq;
             DROP TABLE turns;
             ALTER TABLE turns_v1 RENAME TO turns;",
        )?;
    }
    tx.execute_batch(
        "CREATE UNIQUE INDEX IF NOT EXISTS turns_order ON turns (started, conversation, seq);",
    )?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Before routing filled it, `unmatched` held one counted row per question (never filled in
/// practice): its rows move to `unmatched_questions`, one occurrence each.
fn migrate_unmatched(connection: &mut Connection) -> StoreResult<()> {
    let tx = connection.transaction()?;
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'unmatched')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(());
    }
    let rows: Vec<(String, i64)> = tx
        .prepare("SELECT question, last_at FROM unmatched")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (question, at) in rows {
        tx.execute(
            "INSERT INTO unmatched_questions (question, folded, phone, at) VALUES (?1, ?2, NULL, ?3)",
            params![question, question_key(&question), at],
        )?;
    }
    tx.execute_batch("DROP TABLE unmatched")?;
    tx.commit()?;
    Ok(())
}

fn row_to_conversation(row: &rusqlite::Row<'_>) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: row.get(0)?,
        channel: row.get(1)?,
        phone: row.get(2)?,
        topic: row.get(3)?,
        program_version: row.get(4)?,
        session: row.get(5)?,
        outcome: Outcome::parse(&row.get::<_, String>(6)?),
        helpful: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        revision: row.get(10)?,
    })
}

/// Appends lines to the transcript of conversation `id`, started at `started`; `first`: the
/// conversation is new (its lines start at 0, nothing to look up).
fn insert_turns(
    connection: &Connection,
    started: i64,
    id: &str,
    turns: &[StoredTurn],
    first: bool,
) -> StoreResult<()> {
    if turns.is_empty() {
        return Ok(());
    }
    let next: i64 = if first {
        0
    } else {
        connection
            .prepare_cached(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM turns WHERE started = ?1 AND conversation = ?2",
            )?
            .query_row(params![started, id], |r| r.get(0))?
    };
    let mut insert = connection.prepare_cached(
        "INSERT INTO turns (started, conversation, seq, at, who, content)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, turn) in turns.iter().enumerate() {
        insert.execute(params![
            started,
            id,
            next + i as i64,
            turn.at,
            turn.who,
            turn.content
        ])?;
    }
    Ok(())
}

/// The lines of the conversations `condition` selects (on `conversations`), deleted one
/// conversation at a time through the index.
fn delete_turns(
    connection: &Connection,
    condition: &str,
    value: &dyn rusqlite::ToSql,
) -> StoreResult<()> {
    let selected: Vec<(i64, String)> = connection
        .prepare(&format!(
            "SELECT created_at, id FROM conversations WHERE {condition}"
        ))?
        .query_map([value], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut delete =
        connection.prepare_cached("DELETE FROM turns WHERE started = ?1 AND conversation = ?2")?;
    for (started, id) in selected {
        delete.execute(params![started, id])?;
    }
    Ok(())
}

/// Selects the lines of conversation `?1` in `turns` (its start is read from `conversations`).
macro_rules! turns_of {
    () => {
        "started = (SELECT created_at FROM conversations WHERE id = ?1) AND conversation = ?1"
    };
}

/// A turn as written: its content already serialised (before it reaches the writer thread).
struct StoredTurn {
    at: i64,
    who: String,
    content: String,
}

fn stored_turns(turns: &[Turn]) -> Vec<StoredTurn> {
    turns
        .iter()
        .map(|t| StoredTurn {
            at: t.at,
            who: t.who.clone(),
            content: t.content.to_string(),
        })
        .collect()
}

fn selection(selector: &Selector) -> (&'static str, String) {
    match selector {
        Selector::Session(id) => ("id = ?1", id.clone()),
        Selector::Phone(phone) => ("phone = ?1", phone.clone()),
    }
}

fn read_transcript(connection: &Connection, id: &str) -> StoreResult<Vec<Turn>> {
    let mut query = connection.prepare_cached(concat!(
        "SELECT at, who, content FROM turns WHERE ",
        turns_of!(),
        " ORDER BY seq"
    ))?;
    let rows = query.query_map([id], |r| {
        let content: String = r.get(2)?;
        Ok(Turn {
            at: r.get(0)?,
            who: r.get(1)?,
            content: serde_json::from_str(&content).unwrap_or(serde_json::Value::Null),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Store for SqliteStore {
    fn save_rules(&self, version: &str, files: &[(String, String)], now: i64) -> StoreResult<()> {
        let json = serde_json::to_string(files).map_err(|e| StoreError(e.to_string()))?;
        let version = version.to_string();
        self.write(move |connection| {
            connection
                .prepare_cached(
                    "INSERT OR IGNORE INTO rules (version, files, saved_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![version, json, now])?;
            connection
                .prepare_cached(
                    "INSERT INTO current_rules (id, version, at) VALUES (1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET version = ?1, at = ?2",
                )?
                .execute(params![version, now])?;
            Ok(())
        })
    }

    fn current_rules(&self) -> StoreResult<Option<String>> {
        self.read(|connection| {
            Ok(connection
                .prepare_cached("SELECT version FROM current_rules WHERE id = 1")?
                .query_row([], |r| r.get(0))
                .optional()?)
        })
    }

    fn rules(&self, version: &str) -> StoreResult<Option<Vec<(String, String)>>> {
        let version = version.to_string();
        let json: Option<String> = self.read(move |connection| {
            Ok(connection
                .prepare_cached("SELECT files FROM rules WHERE version = ?1")?
                .query_row([version], |r| r.get(0))
                .optional()?)
        })?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| StoreError(e.to_string())))
            .transpose()
    }

    fn create(&self, c: &Conversation, turns: &[Turn]) -> StoreResult<()> {
        let (work, committed) = self.creation(c.clone(), turns);
        self.write_then(work, committed)
    }

    fn get(&self, id: &str) -> StoreResult<Option<Conversation>> {
        if let Some(c) = self.recent.get(id) {
            return Ok(Some(c));
        }
        let id = id.to_string();
        self.read(move |connection| select_conversation(connection, &id))
    }

    fn get_later(&self, id: &str) -> Pending<Option<Conversation>> {
        if let Some(c) = self.recent.get(id) {
            return answered(Ok(Some(c)));
        }
        let id = id.to_string();
        let Some(readers) = self.readers.clone() else {
            return self.write_later(move |c| select_conversation(c, &id), |_| {});
        };
        // Not kept (after a restart, or long idle): read on the blocking pool.
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                readers.read(|connection| select_conversation(connection, &id))
            })
            .await
            .map_err(|_| StoreError("lecture de la base interrompue".into()))?
        })
    }

    fn create_later(&self, c: Conversation, turns: &[Turn]) -> Pending<()> {
        let (work, committed) = self.creation(c, turns);
        self.write_later(work, committed)
    }

    fn update_later(&self, c: Conversation, revision: i64, turns: &[Turn]) -> Pending<bool> {
        let (work, committed) = self.change(c, revision, turns);
        self.write_later(work, committed)
    }

    fn transcript(&self, id: &str) -> StoreResult<Vec<Turn>> {
        let id = id.to_string();
        self.read(move |connection| read_transcript(connection, &id))
    }

    fn update(&self, c: &Conversation, revision: i64, turns: &[Turn]) -> StoreResult<bool> {
        let (work, committed) = self.change(c.clone(), revision, turns);
        self.write_then(work, committed)
    }

    fn feedback(&self, id: &str, helpful: bool, now: i64) -> StoreResult<bool> {
        let id = id.to_string();
        let (recent, forgotten) = (self.recent.clone(), id.clone());
        self.write_then(
            move |connection| {
                let changed = connection
                    .prepare_cached(
                        "UPDATE conversations SET helpful = ?1, updated_at = ?2,
                             revision = revision + 1
                         WHERE id = ?3",
                    )?
                    .execute(params![helpful, now, id])?;
                Ok(changed > 0)
            },
            move |_| recent.forget(&forgotten),
        )
    }

    fn latest_for_phone(&self, phone: &str) -> StoreResult<Option<Conversation>> {
        let phone = phone.to_string();
        self.read(move |connection| {
            Ok(connection
                .prepare_cached(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM conversations WHERE phone = ?1
                     ORDER BY created_at DESC, rowid DESC LIMIT 1"
                ))?
                .query_row([phone], row_to_conversation)
                .optional()?)
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
        let folded = folded.to_string();
        let question = question.to_string();
        let phone = phone.map(String::from);
        self.write(move |connection| {
            connection
                .prepare_cached(&format!(
                    "INSERT INTO {} (question, folded, phone, at) VALUES (?1, ?2, ?3, ?4)",
                    kind.table()
                ))?
                .execute(params![question, folded, phone, now])?;
            Ok(())
        })
    }

    fn save_offer(&self, phone: &str, offer: &Offer, now: i64) -> StoreResult<()> {
        let json = serde_json::to_string(offer).map_err(|e| StoreError(e.to_string()))?;
        let phone = phone.to_string();
        self.write(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO offers (phone, offer, at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (phone) DO UPDATE SET offer = ?2, at = ?3",
                )?
                .execute(params![phone, json, now])?;
            Ok(())
        })
    }

    fn take_offer(&self, phone: &str, since: i64) -> StoreResult<Option<Offer>> {
        let phone = phone.to_string();
        let found: Option<(String, i64)> = self.write(move |connection| {
            let found = connection
                .prepare_cached("SELECT offer, at FROM offers WHERE phone = ?1")?
                .query_row([&phone], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            connection
                .prepare_cached("DELETE FROM offers WHERE phone = ?1")?
                .execute([&phone])?;
            Ok(found)
        })?;
        Ok(found
            .filter(|(_, at)| *at >= since)
            .and_then(|(json, _)| serde_json::from_str(&json).ok()))
    }

    fn questions(&self, phone: &str) -> StoreResult<Vec<KeptQuestion>> {
        let phone = phone.to_string();
        let (mut out, offer) = self.read(move |connection| {
            let out: Vec<KeptQuestion> = connection
                .prepare_cached(
                    "SELECT question, at FROM unmatched_questions WHERE phone = ?1
                     ORDER BY at, rowid",
                )?
                .query_map([&phone], |r| {
                    Ok(KeptQuestion {
                        question: r.get(0)?,
                        kind: "unmatched",
                        at: r.get(1)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let mut out = out;
            out.extend(
                connection
                    .prepare_cached(
                        "SELECT question, at FROM ambiguous_questions WHERE phone = ?1
                         ORDER BY at, rowid",
                    )?
                    .query_map([&phone], |r| {
                        Ok(KeptQuestion {
                            question: r.get(0)?,
                            kind: "ambiguous",
                            at: r.get(1)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?,
            );
            let offer: Option<(String, i64)> = connection
                .prepare_cached("SELECT offer, at FROM offers WHERE phone = ?1")?
                .query_row([&phone], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            Ok((out, offer))
        })?;
        if let Some((json, at)) = offer {
            let offer: Offer =
                serde_json::from_str(&json).map_err(|e| StoreError(e.to_string()))?;
            // The menu is no question of the agent's.
            if !offer.menu {
                out.push(KeptQuestion {
                    question: offer.question,
                    kind: "offer",
                    at,
                });
            }
        }
        out.sort_by_key(|q| q.at);
        Ok(out)
    }

    fn stats(&self, since: i64, idle_before: i64) -> StoreResult<Stats> {
        self.read(move |connection| read_stats(connection, since, idle_before))
    }

    fn export(&self, selector: &Selector) -> StoreResult<Vec<(Conversation, Vec<Turn>)>> {
        let (condition, value) = selection(selector);
        self.read(move |connection| {
            let conversations: Vec<Conversation> = connection
                .prepare(&format!(
                    "SELECT {} FROM conversations WHERE {condition} ORDER BY created_at, rowid",
                    columns!()
                ))?
                .query_map([value], row_to_conversation)?
                .collect::<Result<_, _>>()?;
            conversations
                .into_iter()
                .map(|c| {
                    let turns = read_transcript(connection, &c.id)?;
                    Ok((c, turns))
                })
                .collect()
        })
    }

    fn delete(&self, selector: &Selector) -> StoreResult<usize> {
        let (condition, value) = selection(selector);
        let phone = match selector {
            Selector::Phone(phone) => Some(phone.clone()),
            Selector::Session(_) => None,
        };
        let recent = self.recent.clone();
        self.write_then(
            move |connection| {
                delete_requests(connection, condition, &value)?;
                delete_turns(connection, condition, &value)?;
                let deleted = connection.execute(
                    &format!("DELETE FROM conversations WHERE {condition}"),
                    [&value],
                )?;
                if let Some(phone) = phone {
                    connection
                        .execute("DELETE FROM unmatched_questions WHERE phone = ?1", [&phone])?;
                    connection.execute("DELETE FROM offers WHERE phone = ?1", [&phone])?;
                    connection
                        .execute("DELETE FROM ambiguous_questions WHERE phone = ?1", [&phone])?;
                }
                Ok(deleted)
            },
            move |_| recent.clear(),
        )
    }

    fn purge(&self, before: i64) -> StoreResult<usize> {
        let recent = self.recent.clone();
        self.write_then(
            move |connection| {
                delete_requests(connection, "updated_at < ?1", &before)?;
                delete_turns(connection, "updated_at < ?1", &before)?;
                let deleted = connection
                    .execute("DELETE FROM conversations WHERE updated_at < ?1", [before])?;
                connection.execute("DELETE FROM unmatched_questions WHERE at < ?1", [before])?;
                connection.execute("DELETE FROM offers WHERE at < ?1", [before])?;
                connection.execute("DELETE FROM ambiguous_questions WHERE at < ?1", [before])?;
                Ok(deleted)
            },
            move |_| recent.clear(),
        )
    }

    fn to_review(&self, since: i64, limit: usize) -> StoreResult<Vec<ToReview>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |connection| {
            // SQLite: with MAX(), the bare column `question` comes from the latest row of the group.
            let mut query = connection.prepare_cached(
                "SELECT question, kind, COUNT(*), MAX(at) FROM (
                     SELECT question, folded, at, 'unmatched' AS kind FROM unmatched_questions
                     UNION ALL
                     SELECT question, folded, at, 'ambiguous' AS kind FROM ambiguous_questions
                 ) WHERE at >= ?1 AND folded NOT IN (SELECT folded FROM routing_examples)
                 GROUP BY folded, kind ORDER BY 3 DESC, 4 DESC, 1 LIMIT ?2",
            )?;
            let rows = query
                .query_map(params![since, limit], |r| {
                    let kind: String = r.get(1)?;
                    Ok(ToReview {
                        question: r.get(0)?,
                        kind: if kind == "ambiguous" {
                            "ambiguous"
                        } else {
                            "unmatched"
                        },
                        count: r.get(2)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
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
        let folded = folded.to_string();
        let question = question.to_string();
        let topic = topic.map(String::from);
        let rules = rules.to_string();
        self.write(move |connection| {
            connection
                .prepare_cached(
                    "INSERT INTO routing_examples (folded, question, topic, rules_version, at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (folded) DO UPDATE
                     SET question = ?2, topic = ?3, rules_version = ?4, at = ?5",
                )?
                .execute(params![folded, question, topic, rules, now])?;
            Ok(())
        })
    }

    fn assignments(&self) -> StoreResult<Vec<Assignment>> {
        self.read(move |connection| {
            let rows = connection
                .prepare_cached(
                    "SELECT question, topic, rules_version, at FROM routing_examples
                     ORDER BY at, rowid",
                )?
                .query_map([], |r| {
                    Ok(Assignment {
                        question: r.get(0)?,
                        topic: r.get(1)?,
                        rules: r.get(2)?,
                        at: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    fn count_conversations(&self) -> StoreResult<u64> {
        self.count()
    }

    fn transcript_page(
        &self,
        id: &str,
        from: Option<usize>,
        limit: usize,
    ) -> StoreResult<(usize, usize, Vec<Turn>)> {
        self.page(id, from, limit)
    }
}

impl SqliteStore {
    fn count(&self) -> StoreResult<u64> {
        self.read(|connection| {
            let n: i64 = connection
                .prepare_cached("SELECT COUNT(*) FROM conversations")?
                .query_row([], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn page(
        &self,
        id: &str,
        from: Option<usize>,
        limit: usize,
    ) -> StoreResult<(usize, usize, Vec<Turn>)> {
        let id = id.to_string();
        self.read(move |connection| {
            let total: i64 = connection
                .prepare_cached(concat!("SELECT COUNT(*) FROM turns WHERE ", turns_of!()))?
                .query_row([&id], |r| r.get(0))?;
            let total = usize::try_from(total).unwrap_or(0);
            let from = from.unwrap_or(total.saturating_sub(limit)).min(total);
            let mut query = connection.prepare_cached(concat!(
                "SELECT at, who, content FROM turns WHERE ",
                turns_of!(),
                " ORDER BY seq LIMIT ?2 OFFSET ?3"
            ))?;
            let rows = query.query_map(params![id, limit as i64, from as i64], |r| {
                let content: String = r.get(2)?;
                Ok(Turn {
                    at: r.get(0)?,
                    who: r.get(1)?,
                    content: serde_json::from_str(&content).unwrap_or(serde_json::Value::Null),
                })
            })?;
            Ok((from, total, rows.collect::<Result<_, _>>()?))
        })
    }
}

fn read_stats(connection: &Connection, since: i64, idle_before: i64) -> StoreResult<Stats> {
    let mut stats = Stats::default();
    let mut query = connection.prepare_cached(
        "SELECT topic, date(created_at, 'unixepoch'), outcome, helpful, updated_at
         FROM conversations WHERE created_at >= ?1",
    )?;
    let mut rows = query.query([since])?;
    let mut helpful = 0;
    while let Some(row) = rows.next()? {
        let topic: String = row.get(0)?;
        let day: String = row.get(1)?;
        let outcome = Outcome::parse(&row.get::<_, String>(2)?);
        let feedback: Option<bool> = row.get(3)?;
        let updated_at: i64 = row.get(4)?;
        stats.conversations += 1;
        if let Some(h) = feedback {
            let per_topic = stats.feedback_per_topic.entry(topic.clone()).or_default();
            per_topic.given += 1;
            per_topic.helpful += i64::from(h);
        }
        *stats.per_topic.entry(topic).or_default() += 1;
        *stats.per_day.entry(day).or_default() += 1;
        match outcome {
            Outcome::Answered => stats.outcomes.answered += 1,
            Outcome::HandedOff => stats.outcomes.handed_off += 1,
            Outcome::Open if updated_at < idle_before => stats.outcomes.abandoned += 1,
            Outcome::Open => stats.outcomes.in_progress += 1,
        }
        if let Some(h) = feedback {
            stats.feedback += 1;
            helpful += i64::from(h);
        }
    }
    let o = &stats.outcomes;
    let ended = o.answered + o.handed_off + o.abandoned;
    stats.answer_rate = (ended > 0).then(|| o.answered as f64 / ended as f64);
    stats.helpful_rate = (stats.feedback > 0).then(|| helpful as f64 / stats.feedback as f64);
    // SQLite: with MAX(), the bare column `question` comes from the latest row of the group.
    let mut query = connection.prepare_cached(
        "SELECT question, COUNT(*), MAX(at) FROM unmatched_questions WHERE at >= ?1
         GROUP BY folded ORDER BY 2 DESC, 3 DESC, 1 LIMIT 20",
    )?;
    stats.unmatched = query
        .query_map([since], |r| {
            Ok(Unmatched {
                question: r.get(0)?,
                count: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(id: &str, phone: Option<&str>, updated_at: i64) -> Conversation {
        Conversation {
            id: id.into(),
            channel: if phone.is_some() { "sms" } else { "web" }.into(),
            phone: phone.map(String::from),
            topic: "rtt".into(),
            program_version: "v1".into(),
            session: "{}".into(),
            outcome: Outcome::Open,
            helpful: None,
            created_at: updated_at,
            updated_at,
            revision: 0,
        }
    }

    fn turn(who: &str, text: &str) -> Turn {
        Turn {
            at: 1,
            who: who.into(),
            content: serde_json::json!(text),
        }
    }

    #[test]
    fn updates_are_refused_when_the_revision_moved() -> StoreResult<()> {
        let store = SqliteStore::in_memory()?;
        let mut c = conversation("a", None, 10);
        store.create(&c, &[turn("guichet", "q1")])?;
        c.revision = 1;
        assert!(store.update(&c, 0, &[turn("agent", "r1")])?);
        assert!(!store.update(&c, 0, &[turn("agent", "stale")])?);
        let turns = store.transcript("a")?;
        assert_eq!(turns.len(), 2);
        assert_eq!(turns[1].content, serde_json::json!("r1"));
        Ok(())
    }

    /// Concurrent replies to one revision, committed in shared batches: exactly one wins per
    /// revision, every winner's turns are kept, and a reader sees only committed state.
    #[test]
    fn group_commit_keeps_one_winner_per_revision() -> StoreResult<()> {
        let dir = std::env::temp_dir().join(format!("guichet-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| StoreError(e.to_string()))?;
        let path = dir.join("group.db");
        let _ = std::fs::remove_file(&path);
        {
            let store = std::sync::Arc::new(SqliteStore::open(&path)?);
            let ids: Vec<String> = (0..4).map(|i| format!("c{i}")).collect();
            for id in &ids {
                store.create(&conversation(id, None, 10), &[turn("guichet", "q")])?;
            }
            let threads: Vec<_> = (0..16)
                .map(|t| {
                    let store = store.clone();
                    let id = ids[t % ids.len()].clone();
                    std::thread::spawn(move || -> StoreResult<usize> {
                        let mut wins = 0;
                        for _ in 0..20 {
                            let mut c = store.get(&id)?.ok_or(StoreError("lost".into()))?;
                            let revision = c.revision;
                            c.revision += 1;
                            if store.update(&c, revision, &[turn("agent", "r")])? {
                                wins += 1;
                            }
                        }
                        Ok(wins)
                    })
                })
                .collect();
            let mut wins = 0;
            for thread in threads {
                wins += thread.join().map_err(|_| StoreError("panic".into()))??;
            }
            let mut revisions = 0;
            for id in &ids {
                let c = store.get(id)?.ok_or(StoreError("lost".into()))?;
                assert_eq!(store.transcript(id)?.len() as i64, 1 + c.revision);
                revisions += c.revision;
            }
            assert_eq!(
                wins as i64, revisions,
                "one win per revision, no lost update"
            );
            assert!(wins > 0);
        }
        // Everything answered was committed: a new store on the file finds it.
        let store = SqliteStore::open(&path)?;
        assert_eq!(store.stats(0, 0)?.conversations, 4);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    /// The conversations kept in memory follow every write: feedback, a refused update,
    /// deletion and purge are seen by the next read exactly as the file has them.
    #[test]
    fn conversations_kept_in_memory_follow_every_write() -> StoreResult<()> {
        let store = SqliteStore::in_memory()?;
        let c = conversation("a", Some("+33600000001"), 10);
        store.create(&c, &[])?;
        assert_eq!(store.get("a")?, Some(c.clone()));
        assert!(store.feedback("a", true, 20)?);
        let after = store.get("a")?.ok_or(StoreError("lost".into()))?;
        assert_eq!((after.revision, after.helpful), (1, Some(true)));
        let mut next = after.clone();
        next.revision = 2;
        next.session = "{\"next\":1}".into();
        assert!(store.update(&next, 1, &[])?);
        let mut stale = next.clone();
        stale.session = "{\"stale\":1}".into();
        assert!(!store.update(&stale, 1, &[])?);
        assert_eq!(store.get("a")?, Some(next));
        store.delete(&Selector::Phone("+33600000001".into()))?;
        assert_eq!(store.get("a")?, None);
        store.create(&conversation("b", None, 10), &[])?;
        assert_eq!(store.purge(50)?, 1);
        assert_eq!(store.get("b")?, None);
        Ok(())
    }

    #[test]
    fn conversations_kept_in_memory_are_bounded() {
        let recent = Recent::default();
        for i in 0..RECENT + 10 {
            recent.keep(Arc::new(conversation(&format!("c{i}"), None, 1)));
        }
        let kept: usize = recent.lock().iter().map(HashMap::len).sum();
        assert!(kept <= RECENT, "{kept}");
        assert!(recent.get(&format!("c{}", RECENT + 9)).is_some());
    }

    /// A write that fails in a batch is undone alone: the writes batched with it commit.
    #[test]
    fn a_failed_write_leaves_its_batch_alone() -> StoreResult<()> {
        let store = std::sync::Arc::new(SqliteStore::in_memory()?);
        store.create(&conversation("a", None, 10), &[])?;
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    // Odd ones collide with "a" (primary key): refused, others kept.
                    let id = if i % 2 == 1 {
                        "a".to_string()
                    } else {
                        format!("n{i}")
                    };
                    store.create(&conversation(&id, None, 10), &[turn("guichet", "q")])
                })
            })
            .collect();
        let results: Vec<bool> = threads
            .into_iter()
            .map(|t| t.join().map(|r| r.is_ok()).unwrap_or(false))
            .collect();
        assert_eq!(
            results,
            [true, false, true, false, true, false, true, false]
        );
        assert_eq!(store.stats(0, 0)?.conversations, 5);
        assert!(
            store.transcript("a")?.is_empty(),
            "the refused turns are undone"
        );
        Ok(())
    }

    #[test]
    fn delete_export_and_purge_select_the_right_conversations() -> StoreResult<()> {
        let store = SqliteStore::in_memory()?;
        store.create(&conversation("a", Some("+33600000001"), 10), &[])?;
        store.create(&conversation("b", Some("+33600000001"), 100), &[])?;
        store.create(&conversation("c", None, 5), &[turn("agent", "x")])?;
        assert_eq!(
            store.export(&Selector::Phone("+33600000001".into()))?.len(),
            2
        );
        assert_eq!(
            store.latest_for_phone("+33600000001")?.map(|c| c.id),
            Some("b".into())
        );
        assert_eq!(store.purge(50)?, 2);
        assert!(store.get("c")?.is_none());
        assert!(store.transcript("c")?.is_empty());
        assert_eq!(store.delete(&Selector::Session("b".into()))?, 1);
        assert!(store.get("b")?.is_none());
        Ok(())
    }

    #[test]
    fn kept_questions_follow_the_phone_number_and_the_retention() -> StoreResult<()> {
        let store = SqliteStore::in_memory()?;
        let phone = "+33600000001";
        store.record_question(Kept::Unmatched, "chèques vacances", Some(phone), 10)?;
        store.record_question(Kept::Unmatched, "chèques vacances", None, 10)?;
        store.record_question(Kept::Unmatched, "tickets resto", None, 100)?;
        let offer = Offer {
            question: "nb de rtt par an".into(),
            topics: vec!["rtt".into(), "conges_annuels".into()],
            menu: false,
        };
        store.save_offer(phone, &offer, 20)?;
        let kept = store.questions(phone)?;
        assert_eq!(
            kept.iter().map(|q| (q.kind, q.at)).collect::<Vec<_>>(),
            [("unmatched", 10), ("offer", 20)]
        );
        assert_eq!(store.take_offer(phone, 30)?, None, "too old");
        assert_eq!(store.take_offer(phone, 0)?, None, "taken once");
        store.save_offer(phone, &offer, 20)?;
        assert_eq!(store.take_offer(phone, 0)?, Some(offer.clone()));
        store.save_offer(phone, &offer, 20)?;

        assert_eq!(store.delete(&Selector::Phone(phone.into()))?, 0);
        assert!(store.questions(phone)?.is_empty());
        assert_eq!(store.stats(0, 0)?.unmatched[0].count, 1);
        store.purge(50)?;
        let left = store.stats(0, 0)?.unmatched;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].question, "tickets resto");
        Ok(())
    }

    /// A file of schema version 0 (transcript lines keyed by conversation id, with a foreign
    /// key) opens: its lines are moved to the new table in order, the next reply's lines follow
    /// them, and deletion still reaches them.
    #[test]
    fn a_file_of_schema_version_0_is_migrated() -> StoreResult<()> {
        let dir = std::env::temp_dir().join(format!("guichet-store-v0-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| StoreError(e.to_string()))?;
        let path = dir.join("v0.db");
        let _ = std::fs::remove_file(&path);
        {
            let old = Connection::open(&path)?;
            old.execute_batch(
                "CREATE TABLE conversations (
                     id TEXT PRIMARY KEY, channel TEXT NOT NULL, phone TEXT, topic TEXT NOT NULL,
                     program_version TEXT NOT NULL, session TEXT NOT NULL, outcome TEXT NOT NULL,
                     helpful INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                     revision INTEGER NOT NULL);
                 CREATE TABLE turns (
                     conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
                     seq INTEGER NOT NULL, at INTEGER NOT NULL, who TEXT NOT NULL,
                     content TEXT NOT NULL, PRIMARY KEY (conversation, seq));
                 INSERT INTO conversations VALUES
                     ('a', 'web', NULL, 'rtt', 'v1', '{}', 'open', NULL, 10, 11, 1),
                     ('b', 'web', NULL, 'rtt', 'v1', '{}', 'open', NULL, 5, 5, 0);
                 INSERT INTO turns VALUES ('a', 1, 11, 'agent', '\"r1\"'),
                     ('a', 0, 10, 'guichet', '\"q1\"'), ('b', 0, 5, 'guichet', '\"q\"');",
            )?;
        }
        let store = SqliteStore::open(&path)?;
        let texts = |id: &str| -> StoreResult<Vec<serde_json::Value>> {
            Ok(store
                .transcript(id)?
                .into_iter()
                .map(|t| t.content)
                .collect())
        };
        assert_eq!(
            texts("a")?,
            [serde_json::json!("q1"), serde_json::json!("r1")]
        );
        let mut a = store.get("a")?.ok_or(StoreError("lost".into()))?;
        a.revision = 2;
        assert!(store.update(&a, 1, &[turn("agent", "r2")])?);
        assert_eq!(texts("a")?.len(), 3);
        assert_eq!(store.transcript_page("a", Some(2), 10)?.2[0].content, "r2");
        assert_eq!(store.delete(&Selector::Session("b".into()))?, 1);
        assert!(texts("b")?.is_empty());
        drop(store);
        // Opened again: already migrated, nothing changes.
        let store = SqliteStore::open(&path)?;
        assert_eq!(store.transcript("a")?.len(), 3);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    #[test]
    fn a_file_of_a_newer_schema_is_refused() -> StoreResult<()> {
        let connection = Connection::open_in_memory()?;
        connection.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?;
        let refused = SqliteStore::with(connection, None).err();
        let Some(refused) = refused else {
            panic!("a newer schema was accepted");
        };
        assert!(refused.0.contains("plus récent"), "{}", refused.0);
        // What the operator reads when `guichet serve` refuses the file.
        insta::assert_snapshot!(refused.0);
        Ok(())
    }

    #[test]
    fn the_old_unmatched_table_is_migrated() -> StoreResult<()> {
        let connection = Connection::open_in_memory()?;
        connection.execute_batch(
            "CREATE TABLE unmatched (question TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at INTEGER NOT NULL);
             INSERT INTO unmatched VALUES ('prime de noël', 3, 100);",
        )?;
        let store = SqliteStore::with(connection, None)?;
        assert_eq!(store.stats(0, 0)?.unmatched[0].question, "prime de noël");
        Ok(())
    }

    #[test]
    fn stats_count_outcomes_feedback_and_abandoned() -> StoreResult<()> {
        let store = SqliteStore::in_memory()?;
        let mut answered = conversation("a", None, 100);
        answered.outcome = Outcome::Answered;
        store.create(&answered, &[])?;
        store.feedback("a", true, 100)?;
        let mut handed = conversation("b", None, 100);
        handed.outcome = Outcome::HandedOff;
        store.create(&handed, &[])?;
        store.feedback("b", false, 100)?;
        store.create(&conversation("c", None, 10), &[])?;
        store.create(&conversation("d", None, 100), &[])?;
        store.record_question(Kept::Unmatched, "prime de noël", None, 100)?;
        store.record_question(
            Kept::Unmatched,
            "Prime de Noel ?",
            Some("+33600000001"),
            101,
        )?;
        let stats = store.stats(0, 50)?;
        assert_eq!(stats.conversations, 4);
        assert_eq!(stats.outcomes.answered, 1);
        assert_eq!(stats.outcomes.handed_off, 1);
        assert_eq!(stats.outcomes.abandoned, 1);
        assert_eq!(stats.outcomes.in_progress, 1);
        assert_eq!(stats.answer_rate, Some(1.0 / 3.0));
        assert_eq!(stats.helpful_rate, Some(0.5));
        assert_eq!(
            stats.unmatched,
            [Unmatched {
                question: "Prime de Noel ?".into(),
                count: 2
            }],
            "spellings grouped, the latest shown"
        );
        assert_eq!(stats.per_day.get("1970-01-01"), Some(&4));
        Ok(())
    }
}

// ---------------------------------------------------------------- requests to people (issue 13)
//
// Table `requests`: one row per question an agent sent to a contact from a hand-off
// (`requests/`). It keeps a copy of what the person needs (the agent's message, the facts
// gathered with their provenance, the transcript: `dossier`, JSON), so that nothing is retold
// even if the conversation changes; the agent's e-mail address and the SMS number when the
// agent asked to be answered there (personal data: exported and erased with the conversation
// and with the phone number, purged with the retention). `notified_at` and `delivered_at`
// are the outbox: a notification or a reply not yet sent is retried after a restart.

const REQUESTS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    contact TEXT NOT NULL,
    contact_email TEXT,
    topic TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    reply_email TEXT,
    phone TEXT,
    dossier TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    due TEXT NOT NULL,
    reply TEXT,
    replied_at INTEGER,
    replied_by TEXT,
    notified_at INTEGER,
    delivered_at INTEGER
);
CREATE INDEX IF NOT EXISTS requests_conversation ON requests (conversation);
CREATE INDEX IF NOT EXISTS requests_contact ON requests (contact, status, created_at);
CREATE INDEX IF NOT EXISTS requests_phone ON requests (phone);
CREATE UNIQUE INDEX IF NOT EXISTS requests_one_open ON requests (conversation) WHERE status = 'open';
";

/// A question sent to a person, and its reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HrRequest {
    /// 128 random bits, as 32 hexadecimal digits.
    pub id: String,
    /// The conversation it came from.
    pub conversation: String,
    /// The contact id of the rules that answers it (changes when reassigned).
    pub contact: String,
    /// Where the contact is notified (the `email` channel resolved at the hand-off).
    pub contact_email: Option<String>,
    pub topic: String,
    /// `open` or `answered`.
    pub status: String,
    /// The agent's own words for the person.
    pub message: String,
    /// The agent's address for the reply, if given.
    pub reply_email: Option<String>,
    /// The SMS number the reply goes to (SMS conversations).
    pub phone: Option<String>,
    /// What the person reads: `question`, `facts` (with provenance), `transcript`, `handoff`.
    pub dossier: serde_json::Value,
    pub created_at: i64,
    /// The due date, `YYYY-MM-DD`.
    pub due: String,
    pub reply: Option<String>,
    pub replied_at: Option<i64>,
    /// The contact (or `admin`) who replied.
    pub replied_by: Option<String>,
    pub notified_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

/// Response times and counts of requests, per contact or per topic.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RequestFigures {
    pub opened: i64,
    pub answered: i64,
    /// Open past their due date.
    pub overdue: i64,
    /// Median time from request to reply, in hours; `None` without replies.
    pub median_hours: Option<f64>,
    /// 90th percentile (nearest rank), in hours.
    pub p90_hours: Option<f64>,
}

/// The figures of requests for `GET /api/stats`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RequestStats {
    pub total: RequestFigures,
    pub per_contact: BTreeMap<String, RequestFigures>,
    pub per_topic: BTreeMap<String, RequestFigures>,
    /// Conversations of the period that ended in a request a person answered.
    pub conversations_answered_by_a_person: i64,
}

/// One request, for the figures: contact, topic, status, due, response time.
struct RequestRow {
    contact: String,
    topic: String,
    answered: bool,
    overdue: bool,
    hours: Option<f64>,
}

fn figures<'a>(rows: impl Iterator<Item = &'a RequestRow>) -> RequestFigures {
    let mut f = RequestFigures::default();
    let mut times = Vec::new();
    for row in rows {
        f.opened += 1;
        f.answered += i64::from(row.answered);
        f.overdue += i64::from(row.overdue);
        times.extend(row.hours);
    }
    times.sort_by(f64::total_cmp);
    let rank = |p: f64| -> Option<f64> {
        let n = times.len();
        (n > 0).then(|| times[((p * n as f64).ceil() as usize).clamp(1, n) - 1])
    };
    f.median_hours = rank(0.5);
    f.p90_hours = rank(0.9);
    f
}

/// The requests side of the store.
pub trait RequestStore {
    /// Keeps a new request (refused while the conversation has another one open).
    fn create_request(&self, request: &HrRequest) -> StoreResult<()>;
    fn request(&self, id: &str) -> StoreResult<Option<HrRequest>>;
    /// The requests of a conversation, oldest first.
    fn requests_of_conversation(&self, conversation: &str) -> StoreResult<Vec<HrRequest>>;
    /// Requests of `contact` (every contact's with `None`), with `status` if given, oldest first.
    fn requests(&self, contact: Option<&str>, status: Option<&str>) -> StoreResult<Vec<HrRequest>>;
    /// Records the reply to an open request; `false` if it is not open (any more).
    fn reply_request(&self, id: &str, reply: &str, by: &str, now: i64) -> StoreResult<bool>;
    /// Gives an open request to another contact (to be notified again); `false` if not open.
    fn assign_request(&self, id: &str, contact: &str, email: Option<&str>) -> StoreResult<bool>;
    /// Notes that the contact was notified.
    fn request_notified(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Notes that the reply was sent to the agent (e-mail or SMS).
    fn request_delivered(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Requests whose notification (`notify`) or reply delivery (`deliver`) is still to send.
    fn undelivered(&self, notify: bool, deliver: bool) -> StoreResult<Vec<HrRequest>>;
    /// The requests of the conversations selected (export).
    fn requests_selected(&self, selector: &Selector) -> StoreResult<Vec<HrRequest>>;
    /// Figures of the requests sent since `since`; `today` (`YYYY-MM-DD`) tells the overdue.
    fn request_stats(&self, since: i64, today: &str) -> StoreResult<RequestStats>;
}

/// The columns of `requests`, in the order [`row_to_request`] reads them.
macro_rules! request_columns {
    () => {
        "id, conversation, contact, contact_email, topic, status, message, reply_email, phone, \
         dossier, created_at, due, reply, replied_at, replied_by, notified_at, delivered_at"
    };
}

fn row_to_request(row: &rusqlite::Row<'_>) -> rusqlite::Result<HrRequest> {
    let dossier: String = row.get(9)?;
    Ok(HrRequest {
        id: row.get(0)?,
        conversation: row.get(1)?,
        contact: row.get(2)?,
        contact_email: row.get(3)?,
        topic: row.get(4)?,
        status: row.get(5)?,
        message: row.get(6)?,
        reply_email: row.get(7)?,
        phone: row.get(8)?,
        dossier: serde_json::from_str(&dossier).unwrap_or(serde_json::Value::Null),
        created_at: row.get(10)?,
        due: row.get(11)?,
        reply: row.get(12)?,
        replied_at: row.get(13)?,
        replied_by: row.get(14)?,
        notified_at: row.get(15)?,
        delivered_at: row.get(16)?,
    })
}

fn query_requests(
    connection: &Connection,
    condition: &str,
    values: &[&dyn rusqlite::ToSql],
) -> StoreResult<Vec<HrRequest>> {
    Ok(connection
        .prepare_cached(&format!(
            "SELECT {} FROM requests WHERE {condition} ORDER BY created_at, rowid",
            request_columns!()
        ))?
        .query_map(values, row_to_request)?
        .collect::<Result<_, _>>()?)
}

/// Deletes the requests of the conversations selected (and, for a phone number, its requests).
fn delete_requests(
    connection: &Connection,
    condition: &str,
    value: &dyn rusqlite::ToSql,
) -> StoreResult<()> {
    connection.execute(
        &format!(
            "DELETE FROM requests WHERE conversation IN
             (SELECT id FROM conversations WHERE {condition})"
        ),
        [value],
    )?;
    Ok(())
}

impl RequestStore for SqliteStore {
    fn create_request(&self, r: &HrRequest) -> StoreResult<()> {
        let r = r.clone();
        let dossier = r.dossier.to_string();
        self.write(move |connection| {
            connection
                .prepare_cached(concat!(
                    "INSERT INTO requests (",
                    request_columns!(),
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
                ))?
                .execute(params![
                    r.id,
                    r.conversation,
                    r.contact,
                    r.contact_email,
                    r.topic,
                    r.status,
                    r.message,
                    r.reply_email,
                    r.phone,
                    dossier,
                    r.created_at,
                    r.due,
                    r.reply,
                    r.replied_at,
                    r.replied_by,
                    r.notified_at,
                    r.delivered_at
                ])?;
            Ok(())
        })
    }

    fn request(&self, id: &str) -> StoreResult<Option<HrRequest>> {
        let id = id.to_string();
        self.read(move |connection| Ok(query_requests(connection, "id = ?1", &[&id])?.pop()))
    }

    fn requests_of_conversation(&self, conversation: &str) -> StoreResult<Vec<HrRequest>> {
        let id = conversation.to_string();
        self.read(move |connection| query_requests(connection, "conversation = ?1", &[&id]))
    }

    fn requests(&self, contact: Option<&str>, status: Option<&str>) -> StoreResult<Vec<HrRequest>> {
        let contact = contact.map(String::from);
        let status = status.map(String::from);
        self.read(move |connection| {
            query_requests(
                connection,
                "(?1 IS NULL OR contact = ?1) AND (?2 IS NULL OR status = ?2)",
                &[&contact, &status],
            )
        })
    }

    fn reply_request(&self, id: &str, reply: &str, by: &str, now: i64) -> StoreResult<bool> {
        let (id, reply, by) = (id.to_string(), reply.to_string(), by.to_string());
        self.write(move |connection| {
            let changed = connection
                .prepare_cached(
                    "UPDATE requests SET status = 'answered', reply = ?1, replied_by = ?2,
                         replied_at = ?3
                     WHERE id = ?4 AND status = 'open'",
                )?
                .execute(params![reply, by, now, id])?;
            Ok(changed > 0)
        })
    }

    fn assign_request(&self, id: &str, contact: &str, email: Option<&str>) -> StoreResult<bool> {
        let (id, contact, email) = (id.to_string(), contact.to_string(), email.map(String::from));
        self.write(move |connection| {
            let changed = connection
                .prepare_cached(
                    "UPDATE requests SET contact = ?1, contact_email = ?2, notified_at = NULL
                     WHERE id = ?3 AND status = 'open'",
                )?
                .execute(params![contact, email, id])?;
            Ok(changed > 0)
        })
    }

    fn request_notified(&self, id: &str, now: i64) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |connection| {
            connection
                .prepare_cached("UPDATE requests SET notified_at = ?1 WHERE id = ?2")?
                .execute(params![now, id])?;
            Ok(())
        })
    }

    fn request_delivered(&self, id: &str, now: i64) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |connection| {
            connection
                .prepare_cached("UPDATE requests SET delivered_at = ?1 WHERE id = ?2")?
                .execute(params![now, id])?;
            Ok(())
        })
    }

    fn undelivered(&self, notify: bool, deliver: bool) -> StoreResult<Vec<HrRequest>> {
        self.read(move |connection| {
            query_requests(
                connection,
                "(?1 AND notified_at IS NULL AND contact_email IS NOT NULL AND status = 'open')
                 OR (?2 AND status = 'answered' AND delivered_at IS NULL
                     AND (reply_email IS NOT NULL OR phone IS NOT NULL))",
                &[&notify, &deliver],
            )
        })
    }

    fn requests_selected(&self, selector: &Selector) -> StoreResult<Vec<HrRequest>> {
        let (condition, value) = selection(selector);
        self.read(move |connection| {
            query_requests(
                connection,
                &format!("conversation IN (SELECT id FROM conversations WHERE {condition})"),
                &[&value],
            )
        })
    }

    fn request_stats(&self, since: i64, today: &str) -> StoreResult<RequestStats> {
        let today = today.to_string();
        self.read(move |connection| {
            let rows: Vec<RequestRow> = connection
                .prepare_cached(
                    "SELECT contact, topic, status, due, created_at, replied_at
                     FROM requests WHERE created_at >= ?1",
                )?
                .query_map([since], |r| {
                    let status: String = r.get(2)?;
                    let due: String = r.get(3)?;
                    let created_at: i64 = r.get(4)?;
                    let replied_at: Option<i64> = r.get(5)?;
                    Ok(RequestRow {
                        contact: r.get(0)?,
                        topic: r.get(1)?,
                        answered: status == "answered",
                        overdue: status == "open" && due.as_str() < today.as_str(),
                        hours: replied_at.map(|at| (at - created_at) as f64 / 3600.0),
                    })
                })?
                .collect::<Result<_, _>>()?;
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
            stats.conversations_answered_by_a_person = connection
                .prepare_cached(
                    "SELECT COUNT(DISTINCT conversation) FROM requests r
                     JOIN conversations c ON c.id = r.conversation
                     WHERE r.status = 'answered' AND c.created_at >= ?1",
                )?
                .query_row([since], |r| r.get(0))?;
            Ok(stats)
        })
    }
}

#[cfg(test)]
mod request_tests {
    use super::*;

    fn request(id: &str, conversation: &str, contact: &str, created_at: i64) -> HrRequest {
        HrRequest {
            id: id.into(),
            conversation: conversation.into(),
            contact: contact.into(),
            contact_email: Some(format!("{contact}@ville-exemple.fr")),
            topic: "rtt".into(),
            status: "open".into(),
            message: "merci".into(),
            reply_email: None,
            phone: None,
            dossier: serde_json::json!({ "facts": [] }),
            created_at,
            due: "2026-12-04".into(),
            reply: None,
            replied_at: None,
            replied_by: None,
            notified_at: None,
            delivered_at: None,
        }
    }

    fn conversation(id: &str, phone: Option<&str>) -> Conversation {
        Conversation {
            id: id.into(),
            channel: "web".into(),
            phone: phone.map(String::from),
            topic: "rtt".into(),
            program_version: "v1".into(),
            session: "{}".into(),
            outcome: Outcome::HandedOff,
            helpful: None,
            created_at: 0,
            updated_at: 0,
            revision: 0,
        }
    }

    #[test]
    fn a_request_is_answered_once_and_figures_follow() -> StoreResult<()> {
        let store = SqliteStore::in_memory()?;
        store.create(&conversation("c1", None), &[])?;
        store.create(&conversation("c2", Some("+33600000001")), &[])?;
        store.create(&conversation("c3", None), &[])?;
        store.create_request(&request("r1", "c1", "paie", 0))?;
        assert!(
            store
                .create_request(&request("r1b", "c1", "paie", 0))
                .is_err(),
            "one open request per conversation"
        );
        store.create_request(&request("r2", "c3", "paie", 0))?;
        store.create_request(&request("r3", "c2", "drh", 0))?;
        assert_eq!(store.requests(Some("paie"), Some("open"))?.len(), 2);
        assert_eq!(store.undelivered(true, true)?.len(), 3);
        store.request_notified("r1", 1)?;
        assert_eq!(store.undelivered(true, false)?.len(), 2);
        assert!(store.reply_request("r1", "oui", "paie", 2 * 3600)?);
        assert!(
            !store.reply_request("r1", "encore", "paie", 3 * 3600)?,
            "once"
        );
        assert!(store.reply_request("r2", "non", "paie", 10 * 3600)?);
        assert!(store.assign_request("r3", "paie", None)?);
        let stats = store.request_stats(0, "2026-12-05")?;
        assert_eq!(stats.total.opened, 3);
        assert_eq!(stats.total.answered, 2);
        assert_eq!(stats.total.overdue, 1);
        assert_eq!(stats.total.median_hours, Some(2.0));
        assert_eq!(stats.total.p90_hours, Some(10.0));
        assert_eq!(stats.per_contact["paie"].opened, 3);
        assert_eq!(stats.conversations_answered_by_a_person, 2);
        assert_eq!(store.request_stats(0, "2026-12-04")?.total.overdue, 0);

        assert_eq!(
            store
                .requests_selected(&Selector::Phone("+33600000001".into()))?
                .len(),
            1
        );
        store.delete(&Selector::Phone("+33600000001".into()))?;
        assert!(store.request("r3")?.is_none(), "erased with the number");
        store.purge(1)?;
        assert!(
            store.requests(None, None)?.is_empty(),
            "purged with its conversation"
        );
        Ok(())
    }
}
