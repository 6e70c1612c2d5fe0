//! The store's behaviour, one set of tests run against both backends: SQLite (a file, as the
//! server opens it) and PostgreSQL (a schema of its own on `GUICHET_TEST_POSTGRES`, required
//! in CI). Same calls, same answers: what `guichet serve` relies on.

mod support;

use guichet::front::server::store::postgres::PostgresStore;
use guichet::front::server::store::{
    Conversation, HrRequest, Kept, Offer, Outcome, Selector, SqliteStore, Store, Turn, Unmatched,
};
use std::sync::Arc;
use support::postgres::{self, Scratch};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Where a backend's data lives, to open a second store on it.
enum Place {
    Sqlite(tempfile_dir::Dir),
    Postgres(Scratch),
}

impl Place {
    fn open(&self) -> Result<Arc<dyn Store>> {
        Ok(match self {
            Place::Sqlite(dir) => Arc::new(SqliteStore::open(&dir.path.join("store.db"))?),
            Place::Postgres(scratch) => Arc::new(PostgresStore::connect(&scratch.url)?),
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Place::Sqlite(_) => "sqlite",
            Place::Postgres(_) => "postgres",
        }
    }
}

/// A fresh place per backend: SQLite always, PostgreSQL when configured.
fn places(test: &str) -> Result<Vec<Place>> {
    let mut places = vec![Place::Sqlite(tempfile_dir::Dir::new(test)?)];
    if let Some(url) = postgres::url()? {
        places.push(Place::Postgres(Scratch::new(&url)?));
    }
    Ok(places)
}

/// Runs `check` on a fresh store of each backend, naming the backend on failure.
fn each(test: &str, check: impl Fn(&dyn Store, &Place) -> Result) -> Result {
    for place in places(test)? {
        let store = place.open()?;
        check(store.as_ref(), &place).map_err(|e| format!("{} : {e}", place.name()))?;
    }
    Ok(())
}

/// A directory removed at the end (no crate needed for so little).
mod tempfile_dir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new(test: &str) -> std::io::Result<Dir> {
            let path = std::env::temp_dir().join(format!(
                "guichet-store-{test}-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0)
            ));
            std::fs::create_dir_all(&path)?;
            Ok(Dir { path })
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn conversation(id: &str, phone: Option<&str>, updated_at: i64) -> Conversation {
    Conversation {
        id: id.into(),
        channel: if phone.is_some() { "sms" } else { "web" }.into(),
        phone: phone.map(String::from),
        topic: "rtt".into(),
        program_version: "v1".into(),
        session: r#"{"state":"é"}"#.into(),
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
        content: serde_json::json!({ "text": text }),
    }
}

#[test]
fn a_conversation_reads_back_as_written() -> Result {
    each("roundtrip", |store, _| {
        let mut c = conversation("a", Some("+33600000001"), 10);
        c.helpful = Some(false);
        c.outcome = Outcome::HandedOff;
        store.create(&c, &[turn("guichet", "q1"), turn("agent", "r1")])?;
        assert_eq!(store.get("a")?, Some(c));
        assert_eq!(store.get("b")?, None);
        assert_eq!(
            store.transcript("a")?,
            [turn("guichet", "q1"), turn("agent", "r1")]
        );
        assert!(store.transcript("b")?.is_empty());
        assert!(
            store.create(&conversation("a", None, 11), &[]).is_err(),
            "one id, one conversation"
        );
        Ok(())
    })
}

#[test]
fn updates_are_refused_when_the_revision_moved() -> Result {
    each("revision", |store, _| {
        let mut c = conversation("a", None, 10);
        store.create(&c, &[turn("guichet", "q1")])?;
        c.revision = 1;
        c.updated_at = 20;
        c.outcome = Outcome::Answered;
        assert!(store.update(&c, 0, &[turn("agent", "r1"), turn("guichet", "a")])?);
        assert!(!store.update(&c, 0, &[turn("agent", "stale")])?);
        assert!(!store.update(&conversation("nobody", None, 1), 0, &[])?);
        assert_eq!(store.get("a")?, Some(c));
        let turns = store.transcript("a")?;
        assert_eq!(turns.len(), 3);
        assert_eq!(turns[1], turn("agent", "r1"));
        assert!(store.feedback("a", true, 30)?);
        assert!(!store.feedback("nobody", true, 30)?);
        let after = store.get("a")?.ok_or("lost")?;
        assert_eq!(
            (after.helpful, after.revision, after.updated_at),
            (Some(true), 2, 30)
        );
        Ok(())
    })
}

/// The calls the server's hot path awaits (`*_later`): the same answers as the waiting ones,
/// committed once answered (a new store on the same data finds them).
#[test]
fn awaited_calls_answer_as_the_waiting_ones() -> Result {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    each("later", |store, place| {
        let mut c = conversation("a", None, 10);
        runtime.block_on(async {
            store
                .create_later(c.clone(), &[turn("guichet", "q1")])
                .await?;
            assert_eq!(store.get_later("a").await?, Some(c.clone()));
            assert_eq!(store.get_later("b").await?, None);
            c.revision = 1;
            c.updated_at = 20;
            assert!(
                store
                    .update_later(c.clone(), 0, &[turn("agent", "r1")])
                    .await?
            );
            assert!(
                !store
                    .update_later(c.clone(), 0, &[turn("agent", "stale")])
                    .await?
            );
            assert!(
                store
                    .create_later(conversation("a", None, 11), &[])
                    .await
                    .is_err(),
                "one id, one conversation"
            );
            Result::Ok(())
        })?;
        let other = place.open()?;
        assert_eq!(other.get("a")?, Some(c));
        assert_eq!(
            other.transcript("a")?,
            [turn("guichet", "q1"), turn("agent", "r1")]
        );
        Ok(())
    })
}

/// Concurrent replies to one revision: exactly one wins per revision, every winner's turns are
/// kept, and what was answered is found again by a new store on the same data.
#[test]
fn concurrent_replies_keep_one_winner_per_revision() -> Result {
    each("race", |store, place| {
        let ids: Vec<String> = (0..4).map(|i| format!("c{i}")).collect();
        for id in &ids {
            store.create(&conversation(id, None, 10), &[turn("guichet", "q")])?;
        }
        // Each thread opens its own store: as two instances would.
        let wins: usize = std::thread::scope(|scope| -> Result<usize> {
            let threads: Vec<_> = (0..8)
                .map(|t| {
                    let id = ids[t % ids.len()].clone();
                    let store = place.open();
                    scope.spawn(move || -> std::result::Result<usize, String> {
                        let store = store.map_err(|e| e.to_string())?;
                        let mut wins = 0;
                        for _ in 0..15 {
                            let mut c = store.get(&id).map_err(|e| e.to_string())?.ok_or("lost")?;
                            let revision = c.revision;
                            c.revision += 1;
                            if store
                                .update(&c, revision, &[turn("agent", "r")])
                                .map_err(|e| e.to_string())?
                            {
                                wins += 1;
                            }
                        }
                        Ok(wins)
                    })
                })
                .collect();
            let mut wins = 0;
            for thread in threads {
                wins += thread.join().map_err(|_| "panic")??;
            }
            Ok(wins)
        })?;
        let again = place.open()?;
        let mut revisions = 0;
        for id in &ids {
            let c = again.get(id)?.ok_or("lost")?;
            assert_eq!(again.transcript(id)?.len() as i64, 1 + c.revision);
            revisions += c.revision;
        }
        assert_eq!(
            wins as i64, revisions,
            "one win per revision, no lost update"
        );
        assert!(wins >= ids.len());
        Ok(())
    })
}

#[test]
fn delete_export_and_purge_select_the_right_conversations() -> Result {
    each("select", |store, _| {
        let phone = "+33600000001";
        store.create(&conversation("a", Some(phone), 10), &[turn("agent", "x")])?;
        store.create(&conversation("b", Some(phone), 100), &[])?;
        store.create(&conversation("c", None, 5), &[turn("agent", "y")])?;
        let export = store.export(&Selector::Phone(phone.into()))?;
        assert_eq!(
            export
                .iter()
                .map(|(c, t)| (c.id.as_str(), t.len()))
                .collect::<Vec<_>>(),
            [("a", 1), ("b", 0)]
        );
        assert_eq!(store.export(&Selector::Session("c".into()))?.len(), 1);
        assert_eq!(
            store.latest_for_phone(phone)?.map(|c| c.id),
            Some("b".into())
        );
        assert_eq!(store.latest_for_phone("+33699999999")?, None);
        assert_eq!(store.purge(50)?, 2);
        assert!(store.get("c")?.is_none());
        assert!(store.transcript("a")?.is_empty());
        assert_eq!(store.delete(&Selector::Session("b".into()))?, 1);
        assert!(store.get("b")?.is_none());
        assert_eq!(store.delete(&Selector::Session("b".into()))?, 0);
        Ok(())
    })
}

#[test]
fn kept_questions_follow_the_phone_number_and_the_retention() -> Result {
    each("kept", |store, _| {
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
            kept.iter()
                .map(|q| (q.question.as_str(), q.kind, q.at))
                .collect::<Vec<_>>(),
            [
                ("chèques vacances", "unmatched", 10),
                ("nb de rtt par an", "offer", 20)
            ]
        );
        assert_eq!(store.take_offer(phone, 30)?, None, "too old");
        assert_eq!(store.take_offer(phone, 0)?, None, "taken once");
        store.save_offer(phone, &offer, 20)?;
        store.save_offer(phone, &offer, 25)?;
        assert_eq!(
            store.take_offer(phone, 21)?,
            Some(offer.clone()),
            "replaced"
        );
        // The menu sent to the number is kept the same way, but is no question of theirs.
        let menu = Offer {
            question: String::new(),
            topics: vec!["rtt".into(), "conges_annuels".into()],
            menu: true,
        };
        store.save_offer(phone, &menu, 22)?;
        let kinds: Vec<_> = store.questions(phone)?.iter().map(|q| q.kind).collect();
        assert_eq!(kinds, ["unmatched"]);
        assert_eq!(store.take_offer(phone, 0)?, Some(menu));
        store.save_offer(phone, &offer, 20)?;

        assert_eq!(store.delete(&Selector::Phone(phone.into()))?, 0);
        assert!(store.questions(phone)?.is_empty());
        assert_eq!(store.stats(0, 0)?.unmatched[0].count, 1);
        store.purge(50)?;
        let left = store.stats(0, 0)?.unmatched;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].question, "tickets resto");
        Ok(())
    })
}

#[test]
fn stats_count_outcomes_feedback_and_abandoned() -> Result {
    each("stats", |store, _| {
        let mut answered = conversation("a", None, 100);
        answered.outcome = Outcome::Answered;
        store.create(&answered, &[])?;
        store.feedback("a", true, 100)?;
        let mut handed = conversation("b", None, 100);
        handed.outcome = Outcome::HandedOff;
        handed.topic = "conges".into();
        store.create(&handed, &[])?;
        store.feedback("b", false, 100)?;
        store.create(&conversation("c", None, 10), &[])?;
        store.create(&conversation("d", None, 100_000), &[])?;
        store.record_question(Kept::Unmatched, "prime de noël", None, 100)?;
        store.record_question(
            Kept::Unmatched,
            "Prime de Noel ?",
            Some("+33600000001"),
            101,
        )?;
        store.record_question(Kept::Unmatched, "cantine", None, 102)?;
        let stats = store.stats(0, 50)?;
        assert_eq!(stats.conversations, 4);
        assert_eq!(stats.per_topic.get("rtt"), Some(&3));
        assert_eq!(stats.per_topic.get("conges"), Some(&1));
        assert_eq!(stats.outcomes.answered, 1);
        assert_eq!(stats.outcomes.handed_off, 1);
        assert_eq!(stats.outcomes.abandoned, 1);
        assert_eq!(stats.outcomes.in_progress, 1);
        assert_eq!(stats.answer_rate, Some(1.0 / 3.0));
        assert_eq!(stats.helpful_rate, Some(0.5));
        assert_eq!(stats.feedback, 2);
        let rtt = stats
            .feedback_per_topic
            .get("rtt")
            .ok_or("no rtt feedback")?;
        assert_eq!((rtt.given, rtt.helpful), (1, 1));
        let conges = stats.feedback_per_topic.get("conges").ok_or("no conges")?;
        assert_eq!((conges.given, conges.helpful), (1, 0));
        assert_eq!(
            stats.unmatched,
            [
                Unmatched {
                    question: "Prime de Noel ?".into(),
                    count: 2
                },
                Unmatched {
                    question: "cantine".into(),
                    count: 1
                }
            ],
            "spellings grouped, the latest shown, most asked first"
        );
        assert_eq!(stats.per_day.get("1970-01-01"), Some(&3));
        assert_eq!(stats.per_day.get("1970-01-02"), Some(&1));
        assert_eq!(store.stats(101, 50)?.conversations, 1, "since");
        Ok(())
    })
}

/// Rule versions live in the store: any server can recompile a version it never loaded, and
/// the version last saved is the one every server serves.
#[test]
fn rule_versions_and_the_current_one_are_shared() -> Result {
    each("rules", |store, place| {
        assert_eq!(store.current_rules()?, None);
        let v1 = vec![("a.guichet".to_string(), "topic a « é »".to_string())];
        let v2 = vec![
            ("a.guichet".to_string(), "topic a2".to_string()),
            ("b.guichet".to_string(), "topic b".to_string()),
        ];
        store.save_rules("v1", &v1, 10)?;
        store.save_rules("v2", &v2, 20)?;
        let other = place.open()?;
        assert_eq!(other.current_rules()?.as_deref(), Some("v2"));
        assert_eq!(other.rules("v1")?, Some(v1.clone()));
        assert_eq!(other.rules("v2")?, Some(v2));
        assert_eq!(other.rules("v3")?, None);
        other.save_rules("v1", &v1, 30)?;
        assert_eq!(store.current_rules()?.as_deref(), Some("v1"), "rolled back");
        Ok(())
    })
}

/// The schema is created once and opened again as it is (versioned migrations).
#[test]
fn reopening_keeps_everything() -> Result {
    each("reopen", |store, place| {
        store.create(&conversation("a", None, 10), &[turn("guichet", "q")])?;
        for _ in 0..2 {
            let again = place.open()?;
            assert_eq!(again.transcript("a")?.len(), 1);
        }
        Ok(())
    })
}

#[test]
fn a_database_from_a_newer_guichet_is_refused() -> Result {
    let Some(url) = postgres::url()? else {
        return Ok(());
    };
    let scratch = Scratch::new(&url)?;
    drop(PostgresStore::connect(&scratch.url)?);
    scratch.query("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)")?;
    let refused = PostgresStore::connect(&scratch.url)
        .err()
        .ok_or("a newer schema was accepted")?;
    insta::assert_snapshot!(refused.to_string());
    Ok(())
}

#[test]
fn an_unreachable_database_is_unavailable_at_start() -> Result {
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let e = PostgresStore::connect(&format!("postgres://guichet@127.0.0.1:{port}/guichet"))
        .err()
        .ok_or("connected to nothing")?;
    assert!(e.is_unavailable(), "{e}");
    Ok(())
}

fn hr_request(id: &str, conversation: &str, created_at: i64) -> HrRequest {
    HrRequest {
        id: id.into(),
        conversation: conversation.into(),
        contact: "gestionnaire".into(),
        contact_email: Some("gestion@ville-exemple.fr".into()),
        topic: "rtt".into(),
        status: "open".into(),
        message: "Combien de RTT ?".into(),
        reply_email: None,
        phone: Some("+33600000001".into()),
        dossier: serde_json::json!({ "question": "rtt", "facts": [] }),
        created_at,
        due: "1970-01-08".into(),
        reply: None,
        replied_at: None,
        replied_by: None,
        notified_at: None,
        delivered_at: None,
    }
}

/// Requests to people: one open per conversation, reply, reassignment, the outbox, figures,
/// and they leave with their conversation (erasure, retention).
#[test]
fn requests_follow_their_conversation() -> Result {
    each("requests", |store, _| {
        let phone = "+33600000001";
        store.create(&conversation("a", Some(phone), 10), &[])?;
        store.create(&conversation("b", None, 10), &[])?;
        let first = hr_request("r1", "a", 10);
        store.create_request(&first)?;
        assert!(
            store.create_request(&hr_request("r2", "a", 11)).is_err(),
            "one open request per conversation"
        );
        store.create_request(&hr_request("r3", "b", 12))?;
        assert_eq!(store.request("r1")?, Some(first.clone()));
        assert_eq!(store.request("nope")?, None);
        assert_eq!(store.requests_of_conversation("a")?.len(), 1);
        assert_eq!(store.requests(Some("gestionnaire"), Some("open"))?.len(), 2);
        assert_eq!(store.requests(None, None)?.len(), 2);
        assert_eq!(store.undelivered(true, false)?.len(), 2, "to notify");
        store.request_notified("r1", 20)?;
        assert_eq!(store.undelivered(true, false)?.len(), 1);
        assert!(store.assign_request("r3", "paie", None)?);
        assert!(store.reply_request("r1", "Vous avez 25 RTT.", "gestionnaire", 3610)?);
        assert!(
            !store.reply_request("r1", "encore", "gestionnaire", 3620)?,
            "not open"
        );
        assert!(!store.assign_request("r1", "paie", None)?, "not open");
        assert_eq!(
            store.undelivered(false, true)?.len(),
            1,
            "reply to send by SMS"
        );
        store.request_delivered("r1", 3700)?;
        assert!(store.undelivered(false, true)?.is_empty());
        let answered = store.request("r1")?.ok_or("lost")?;
        assert_eq!(
            (
                answered.status.as_str(),
                answered.reply.as_deref(),
                answered.replied_at
            ),
            ("answered", Some("Vous avez 25 RTT."), Some(3610))
        );
        let stats = store.request_stats(0, "1970-01-09")?;
        assert_eq!(
            (
                stats.total.opened,
                stats.total.answered,
                stats.total.overdue
            ),
            (2, 1, 1)
        );
        assert_eq!(stats.total.median_hours, Some(1.0));
        assert_eq!(stats.per_contact.get("paie").map(|f| f.opened), Some(1));
        assert_eq!(stats.conversations_answered_by_a_person, 1);
        assert_eq!(
            store
                .requests_selected(&Selector::Phone(phone.into()))?
                .len(),
            1
        );
        store.delete(&Selector::Phone(phone.into()))?;
        assert_eq!(store.request("r1")?, None, "erased with the conversation");
        store.purge(50)?;
        assert_eq!(store.request("r3")?, None, "purged with the conversation");
        Ok(())
    })
}

/// The learning loop: questions offered a choice are kept like unmatched ones; HR's
/// assignments take a question out of the review list; a phone number's erasure and the
/// retention reach them.
#[test]
fn questions_to_review_and_assignments() -> Result {
    each("learning", |store, _| {
        let phone = "+33600000001";
        store.record_question(Kept::Unmatched, "prime de noël", None, 10)?;
        store.record_question(Kept::Unmatched, "Prime de Noel ?", None, 11)?;
        store.record_question(Kept::Ambiguous, "nb de rtt", Some(phone), 12)?;
        let review = store.to_review(0, 10)?;
        assert_eq!(
            review
                .iter()
                .map(|r| (r.question.as_str(), r.kind, r.count))
                .collect::<Vec<_>>(),
            [
                ("Prime de Noel ?", "unmatched", 2),
                ("nb de rtt", "ambiguous", 1)
            ]
        );
        assert_eq!(
            store
                .questions(phone)?
                .iter()
                .map(|q| q.kind)
                .collect::<Vec<_>>(),
            ["ambiguous"]
        );
        store.assign("prime de noel", Some("primes"), "v1", 20)?;
        store.assign("Prime de Noël", None, "v2", 21)?;
        let assigned = store.assignments()?;
        assert_eq!(assigned.len(), 1, "one row per folded question");
        assert_eq!(
            (assigned[0].topic.as_deref(), assigned[0].rules.as_str()),
            (None, "v2")
        );
        assert_eq!(
            store.to_review(0, 10)?.len(),
            1,
            "assigned: no longer to review"
        );
        store.delete(&Selector::Phone(phone.into()))?;
        assert!(store.to_review(0, 10)?.is_empty(), "erased with the number");
        store.record_question(Kept::Ambiguous, "cantine", None, 5)?;
        store.purge(8)?;
        assert!(store.to_review(0, 10)?.is_empty(), "purged");
        Ok(())
    })
}
