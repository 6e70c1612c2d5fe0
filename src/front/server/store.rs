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
//! JSON, its channel, outcome, feedback), `turns` (the transcript),
//! `unmatched_questions` (one row each time a free-text question matched no
//! topic: the question as typed, its folded form to group spellings, the
//! phone number for SMS so that an agent's erasure reaches it, nothing
//! else), `offers` (the topics offered by SMS for an ambiguous question,
//! until the agent picks one: the web page keeps its offer itself).
//! Times are Unix seconds (UTC).

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// A store error: always a server-side failure (500), never bad input.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

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
    pub unmatched: Vec<Unmatched>,
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

/// Topics offered by SMS for an ambiguous question, waiting for the agent's choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub question: String,
    /// Topic ids, in the order offered.
    pub topics: Vec<String>,
}

/// The key that groups spellings of one unmatched question: folded, punctuation and
/// repeated spaces removed (« Chèques vacances ? » and « cheques  vacances » are one).
pub fn question_key(question: &str) -> String {
    crate::text::fold(question)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything the server keeps. Implementations must commit durably before returning.
pub trait Store: Send + Sync {
    /// Keeps the sources of a rule version (a no-op when already kept).
    fn save_rules(&self, version: &str, files: &[(String, String)], now: i64) -> StoreResult<()>;
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
    /// Records feedback; `false` when the conversation does not exist.
    fn feedback(&self, id: &str, helpful: bool, now: i64) -> StoreResult<bool>;
    /// The latest conversation of a phone number.
    fn latest_for_phone(&self, phone: &str) -> StoreResult<Option<Conversation>>;
    /// Records a free-text question that no topic matched; `phone` for SMS (so that the
    /// number's erasure and export reach it), `None` on the web (nothing links it to anyone).
    fn record_unmatched(&self, question: &str, phone: Option<&str>, now: i64) -> StoreResult<()>;
    /// Keeps the topics offered to a phone number (replacing an earlier offer).
    fn save_offer(&self, phone: &str, offer: &Offer, now: i64) -> StoreResult<()>;
    /// Removes and returns the number's offer, if it was made at or after `since`.
    fn take_offer(&self, phone: &str, since: i64) -> StoreResult<Option<Offer>>;
    /// The free-text questions kept for a phone number (unmatched, offers), oldest first.
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
}

/// The embedded store: one SQLite file, one connection behind a mutex.
pub struct SqliteStore {
    connection: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS rules (
    version TEXT PRIMARY KEY,
    files TEXT NOT NULL,
    saved_at INTEGER NOT NULL
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
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    who TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (conversation, seq)
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

const COLUMNS: &str = "id, channel, phone, topic, program_version, session, outcome, helpful, \
                       created_at, updated_at, revision";

impl SqliteStore {
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        SqliteStore::with(Connection::open(path)?)
    }

    /// A store that forgets everything when dropped (for tests).
    pub fn in_memory() -> StoreResult<SqliteStore> {
        SqliteStore::with(Connection::open_in_memory()?)
    }

    fn with(mut connection: Connection) -> StoreResult<SqliteStore> {
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.execute_batch(SCHEMA)?;
        migrate_unmatched(&mut connection)?;
        Ok(SqliteStore {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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

fn insert_turns(tx: &rusqlite::Transaction<'_>, id: &str, turns: &[Turn]) -> StoreResult<()> {
    let next: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq) + 1, 0) FROM turns WHERE conversation = ?1",
        [id],
        |r| r.get(0),
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO turns (conversation, seq, at, who, content) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, turn) in turns.iter().enumerate() {
        insert.execute(params![
            id,
            next + i as i64,
            turn.at,
            turn.who,
            turn.content.to_string()
        ])?;
    }
    Ok(())
}

fn selection(selector: &Selector) -> (&'static str, &str) {
    match selector {
        Selector::Session(id) => ("id = ?1", id),
        Selector::Phone(phone) => ("phone = ?1", phone),
    }
}

impl Store for SqliteStore {
    fn save_rules(&self, version: &str, files: &[(String, String)], now: i64) -> StoreResult<()> {
        let json = serde_json::to_string(files).map_err(|e| StoreError(e.to_string()))?;
        self.lock().execute(
            "INSERT OR IGNORE INTO rules (version, files, saved_at) VALUES (?1, ?2, ?3)",
            params![version, json, now],
        )?;
        Ok(())
    }

    fn rules(&self, version: &str) -> StoreResult<Option<Vec<(String, String)>>> {
        let json: Option<String> = self
            .lock()
            .query_row(
                "SELECT files FROM rules WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| StoreError(e.to_string())))
            .transpose()
    }

    fn create(&self, c: &Conversation, turns: &[Turn]) -> StoreResult<()> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        tx.execute(
            &format!("INSERT INTO conversations ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
            params![
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
            ],
        )?;
        insert_turns(&tx, &c.id, turns)?;
        tx.commit()?;
        Ok(())
    }

    fn get(&self, id: &str) -> StoreResult<Option<Conversation>> {
        Ok(self
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM conversations WHERE id = ?1"),
                [id],
                row_to_conversation,
            )
            .optional()?)
    }

    fn transcript(&self, id: &str) -> StoreResult<Vec<Turn>> {
        let connection = self.lock();
        let mut query = connection.prepare_cached(
            "SELECT at, who, content FROM turns WHERE conversation = ?1 ORDER BY seq",
        )?;
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

    fn update(&self, c: &Conversation, revision: i64, turns: &[Turn]) -> StoreResult<bool> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let changed = tx.execute(
            "UPDATE conversations SET session = ?1, outcome = ?2, helpful = ?3, updated_at = ?4,
                 revision = ?5, topic = ?6, program_version = ?7
             WHERE id = ?8 AND revision = ?9",
            params![
                c.session,
                c.outcome.as_str(),
                c.helpful,
                c.updated_at,
                c.revision,
                c.topic,
                c.program_version,
                c.id,
                revision
            ],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        insert_turns(&tx, &c.id, turns)?;
        tx.commit()?;
        Ok(true)
    }

    fn feedback(&self, id: &str, helpful: bool, now: i64) -> StoreResult<bool> {
        let changed = self.lock().execute(
            "UPDATE conversations SET helpful = ?1, updated_at = ?2, revision = revision + 1
             WHERE id = ?3",
            params![helpful, now, id],
        )?;
        Ok(changed > 0)
    }

    fn latest_for_phone(&self, phone: &str) -> StoreResult<Option<Conversation>> {
        Ok(self
            .lock()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM conversations WHERE phone = ?1
                     ORDER BY created_at DESC, rowid DESC LIMIT 1"
                ),
                [phone],
                row_to_conversation,
            )
            .optional()?)
    }

    fn record_unmatched(&self, question: &str, phone: Option<&str>, now: i64) -> StoreResult<()> {
        self.lock().execute(
            "INSERT INTO unmatched_questions (question, folded, phone, at) VALUES (?1, ?2, ?3, ?4)",
            params![question, question_key(question), phone, now],
        )?;
        Ok(())
    }

    fn save_offer(&self, phone: &str, offer: &Offer, now: i64) -> StoreResult<()> {
        let json = serde_json::to_string(offer).map_err(|e| StoreError(e.to_string()))?;
        self.lock().execute(
            "INSERT INTO offers (phone, offer, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (phone) DO UPDATE SET offer = ?2, at = ?3",
            params![phone, json, now],
        )?;
        Ok(())
    }

    fn take_offer(&self, phone: &str, since: i64) -> StoreResult<Option<Offer>> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let found: Option<(String, i64)> = tx
            .query_row(
                "SELECT offer, at FROM offers WHERE phone = ?1",
                [phone],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        tx.execute("DELETE FROM offers WHERE phone = ?1", [phone])?;
        tx.commit()?;
        Ok(found
            .filter(|(_, at)| *at >= since)
            .and_then(|(json, _)| serde_json::from_str(&json).ok()))
    }

    fn questions(&self, phone: &str) -> StoreResult<Vec<KeptQuestion>> {
        let connection = self.lock();
        let mut out: Vec<KeptQuestion> = connection
            .prepare_cached(
                "SELECT question, at FROM unmatched_questions WHERE phone = ?1 ORDER BY at, rowid",
            )?
            .query_map([phone], |r| {
                Ok(KeptQuestion {
                    question: r.get(0)?,
                    kind: "unmatched",
                    at: r.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let offer: Option<(String, i64)> = connection
            .query_row(
                "SELECT offer, at FROM offers WHERE phone = ?1",
                [phone],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((json, at)) = offer {
            let offer: Offer =
                serde_json::from_str(&json).map_err(|e| StoreError(e.to_string()))?;
            out.push(KeptQuestion {
                question: offer.question,
                kind: "offer",
                at,
            });
            out.sort_by_key(|q| q.at);
        }
        Ok(out)
    }

    fn stats(&self, since: i64, idle_before: i64) -> StoreResult<Stats> {
        let connection = self.lock();
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

    fn export(&self, selector: &Selector) -> StoreResult<Vec<(Conversation, Vec<Turn>)>> {
        let (condition, value) = selection(selector);
        let conversations: Vec<Conversation> = {
            let connection = self.lock();
            let mut query = connection.prepare(&format!(
                "SELECT {COLUMNS} FROM conversations WHERE {condition} ORDER BY created_at, rowid"
            ))?;
            let rows = query.query_map([value], row_to_conversation)?;
            rows.collect::<Result<_, _>>()?
        };
        conversations
            .into_iter()
            .map(|c| {
                let turns = self.transcript(&c.id)?;
                Ok((c, turns))
            })
            .collect()
    }

    fn delete(&self, selector: &Selector) -> StoreResult<usize> {
        let (condition, value) = selection(selector);
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        tx.execute(
            &format!(
                "DELETE FROM turns WHERE conversation IN (SELECT id FROM conversations WHERE {condition})"
            ),
            [value],
        )?;
        let deleted = tx.execute(
            &format!("DELETE FROM conversations WHERE {condition}"),
            [value],
        )?;
        if let Selector::Phone(phone) = selector {
            tx.execute("DELETE FROM unmatched_questions WHERE phone = ?1", [phone])?;
            tx.execute("DELETE FROM offers WHERE phone = ?1", [phone])?;
        }
        tx.commit()?;
        Ok(deleted)
    }

    fn purge(&self, before: i64) -> StoreResult<usize> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        tx.execute(
            "DELETE FROM turns WHERE conversation IN (SELECT id FROM conversations WHERE updated_at < ?1)",
            [before],
        )?;
        let deleted = tx.execute("DELETE FROM conversations WHERE updated_at < ?1", [before])?;
        tx.execute("DELETE FROM unmatched_questions WHERE at < ?1", [before])?;
        tx.execute("DELETE FROM offers WHERE at < ?1", [before])?;
        tx.commit()?;
        Ok(deleted)
    }
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
        store.record_unmatched("chèques vacances", Some(phone), 10)?;
        store.record_unmatched("chèques vacances", None, 10)?;
        store.record_unmatched("tickets resto", None, 100)?;
        let offer = Offer {
            question: "nb de rtt par an".into(),
            topics: vec!["rtt".into(), "conges_annuels".into()],
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

    #[test]
    fn the_old_unmatched_table_is_migrated() -> StoreResult<()> {
        let connection = Connection::open_in_memory()?;
        connection.execute_batch(
            "CREATE TABLE unmatched (question TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at INTEGER NOT NULL);
             INSERT INTO unmatched VALUES ('prime de noël', 3, 100);",
        )?;
        let store = SqliteStore::with(connection)?;
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
        store.record_unmatched("prime de noël", None, 100)?;
        store.record_unmatched("Prime de Noel ?", Some("+33600000001"), 101)?;
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
