//! Personal data encrypted at rest: a [`Store`] wrapper that seals what an agent said before it
//! reaches the database and opens it on the way back, so that a copy of the file (a backup, a
//! stolen disk) shows no transcript, no fact and no question.
//!
//! Sealed: the engine's session (the facts gathered), every transcript line (the agent's text
//! and the steps, which quote facts), the unmatched questions and the SMS offers (the question
//! typed). The grouping key of unmatched questions becomes a keyed hash (HMAC-SHA-256 of the
//! folded question), so the statistics still group spellings without the clear text. Not
//! sealed: ids, times, topics, outcomes, the phone number (the key to find a number's
//! conversations), the rule sources.
//!
//! A sealed value is the text `gch1:KEYID:BASE64`, the base64 of a 24-byte random nonce followed
//! by the XChaCha20-Poly1305 ciphertext of the value, authenticated with what it is (`session`,
//! `turn`, `question`, `offer`) and, for a conversation's data, its id — a value copied into
//! another row does not open. `KEYID` names the key (8 hex digits of a hash of it): rows sealed
//! under an older key open with the keys of `GUICHET_DATA_KEYS_OLD`, and a value that is not
//! sealed (written before a key was set) is read as it is. A sealed value no key opens is an
//! error (500), never a guess.
//!
//! Keys are 32 bytes given as 64 hexadecimal digits or in base64: `GUICHET_DATA_KEY`, or
//! `GUICHET_DATA_KEY_FILE` (a file holding it). Rotation is in docs/server.md.

use super::store::{
    answered, question_key, Assignment, Conversation, HrRequest, Kept, KeptQuestion, Offer,
    Pending, RequestStats, RequestStore, Selector, Stats, Store, StoreError, StoreResult, ToReview,
    Turn,
};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::sync::Arc;

const PREFIX: &str = "gch1:";

/// One data key.
struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
    /// For the keyed hash of unmatched questions.
    secret: [u8; 32],
}

impl Key {
    fn parse(text: &str) -> Result<Key, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| "clé illisible".to_string())?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| {
                    "clé illisible : 64 chiffres hexadécimaux ou base64 attendus".to_string()
                })?
        };
        let secret: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "la clé doit faire 32 octets (256 bits)".to_string())?;
        let digest = Sha256::digest([b"guichet-key-id:".as_slice(), &secret].concat());
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Key {
            id,
            cipher: XChaCha20Poly1305::new(&secret.into()),
            secret,
        })
    }
}

/// The key that seals, and the older ones that still open.
pub struct Keys {
    current: Key,
    older: Vec<Key>,
}

impl Keys {
    /// The keys from `GUICHET_DATA_KEY` (or `GUICHET_DATA_KEY_FILE`) and `GUICHET_DATA_KEYS_OLD`
    /// (comma-separated); `None` without a key; the message for a malformed one.
    pub fn from_env() -> Result<Option<Keys>, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let current = match (var("GUICHET_DATA_KEY"), var("GUICHET_DATA_KEY_FILE")) {
            (Some(key), _) => key,
            (None, Some(file)) => std::fs::read_to_string(&file)
                .map_err(|e| format!("GUICHET_DATA_KEY_FILE : impossible de lire {file} : {e}"))?,
            (None, None) => return Ok(None),
        };
        let current = Key::parse(&current).map_err(|e| format!("GUICHET_DATA_KEY : {e}"))?;
        let older = var("GUICHET_DATA_KEYS_OLD")
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(|k| Key::parse(k).map_err(|e| format!("GUICHET_DATA_KEYS_OLD : {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Some(Keys { current, older }))
    }

    /// The name of the key that seals (for the startup log; not secret).
    pub fn id(&self) -> &str {
        &self.current.id
    }

    fn seal(&self, what: &str, text: &str) -> StoreResult<String> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| StoreError("pas de source d'aléa".into()))?;
        let sealed = self
            .current
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: text.as_bytes(),
                    aad: what.as_bytes(),
                },
            )
            .map_err(|_| StoreError("chiffrement impossible".into()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{}:{}",
            self.current.id,
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    fn open(&self, what: &str, text: &str) -> StoreResult<String> {
        let Some(rest) = text.strip_prefix(PREFIX) else {
            return Ok(text.to_string());
        };
        let unreadable = || {
            StoreError("donnée chiffrée illisible : clé absente (GUICHET_DATA_KEYS_OLD ?) ou donnée altérée".into())
        };
        let (id, data) = rest.split_once(':').ok_or_else(unreadable)?;
        let key = std::iter::once(&self.current)
            .chain(&self.older)
            .find(|k| k.id == id)
            .ok_or_else(unreadable)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| unreadable())?;
        if bytes.len() < 24 {
            return Err(unreadable());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let clear = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: what.as_bytes(),
                },
            )
            .map_err(|_| unreadable())?;
        String::from_utf8(clear).map_err(|_| unreadable())
    }

    /// The grouping key of an unmatched question: a keyed hash of its folded form.
    fn group(&self, question: &str) -> String {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.current.secret) else {
            return question_key(question);
        };
        mac.update(question_key(question).as_bytes());
        let hash = mac.finalize().into_bytes();
        let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("h:{hex}")
    }

    fn seal_turns(&self, id: &str, turns: &[Turn]) -> StoreResult<Vec<Turn>> {
        turns
            .iter()
            .map(|t| {
                Ok(Turn {
                    at: t.at,
                    who: t.who.clone(),
                    content: serde_json::Value::String(
                        self.seal(&format!("turn:{id}"), &t.content.to_string())?,
                    ),
                })
            })
            .collect()
    }

    fn open_turns(&self, id: &str, turns: Vec<Turn>) -> StoreResult<Vec<Turn>> {
        turns
            .into_iter()
            .map(|mut t| {
                if let Some(sealed) = t.content.as_str().filter(|s| s.starts_with(PREFIX)) {
                    let clear = self.open(&format!("turn:{id}"), sealed)?;
                    t.content = serde_json::from_str(&clear).map_err(|e| {
                        StoreError(format!("ligne de conversation illisible : {e}"))
                    })?;
                }
                Ok(t)
            })
            .collect()
    }

    fn seal_conversation(&self, c: &Conversation) -> StoreResult<Conversation> {
        let mut c = c.clone();
        c.session = self.seal(&format!("session:{}", c.id), &c.session)?;
        Ok(c)
    }

    fn open_conversation(&self, mut c: Conversation) -> StoreResult<Conversation> {
        c.session = self.open(&format!("session:{}", c.id), &c.session)?;
        Ok(c)
    }
}

/// A store whose personal data is sealed with [`Keys`] before it reaches `inner`.
pub struct EncryptedStore<S> {
    inner: S,
    /// Shared with the futures of [`Store::get_later`], which open what they read.
    keys: Arc<Keys>,
}

impl<S: Store> EncryptedStore<S> {
    pub fn new(inner: S, keys: Keys) -> EncryptedStore<S> {
        EncryptedStore {
            inner,
            keys: Arc::new(keys),
        }
    }
}

impl<S: Store> Store for EncryptedStore<S> {
    fn save_rules(&self, version: &str, files: &[(String, String)], now: i64) -> StoreResult<()> {
        self.inner.save_rules(version, files, now)
    }

    fn rules(&self, version: &str) -> StoreResult<Option<Vec<(String, String)>>> {
        self.inner.rules(version)
    }

    fn current_rules(&self) -> StoreResult<Option<String>> {
        self.inner.current_rules()
    }

    fn create(&self, conversation: &Conversation, turns: &[Turn]) -> StoreResult<()> {
        let sealed = self.keys.seal_conversation(conversation)?;
        let turns = self.keys.seal_turns(&conversation.id, turns)?;
        self.inner.create(&sealed, &turns)
    }

    fn get(&self, id: &str) -> StoreResult<Option<Conversation>> {
        self.inner
            .get(id)?
            .map(|c| self.keys.open_conversation(c))
            .transpose()
    }

    fn transcript(&self, id: &str) -> StoreResult<Vec<Turn>> {
        self.keys.open_turns(id, self.inner.transcript(id)?)
    }

    fn update(
        &self,
        conversation: &Conversation,
        revision: i64,
        turns: &[Turn],
    ) -> StoreResult<bool> {
        let sealed = self.keys.seal_conversation(conversation)?;
        let turns = self.keys.seal_turns(&conversation.id, turns)?;
        self.inner.update(&sealed, revision, &turns)
    }

    fn get_later(&self, id: &str) -> Pending<Option<Conversation>> {
        let read = self.inner.get_later(id);
        let keys = self.keys.clone();
        Box::pin(async move { read.await?.map(|c| keys.open_conversation(c)).transpose() })
    }

    fn create_later(&self, conversation: Conversation, turns: &[Turn]) -> Pending<()> {
        let sealed = match self.keys.seal_conversation(&conversation) {
            Ok(sealed) => sealed,
            Err(e) => return answered(Err(e)),
        };
        match self.keys.seal_turns(&conversation.id, turns) {
            Ok(turns) => self.inner.create_later(sealed, &turns),
            Err(e) => answered(Err(e)),
        }
    }

    fn update_later(
        &self,
        conversation: Conversation,
        revision: i64,
        turns: &[Turn],
    ) -> Pending<bool> {
        let sealed = match self.keys.seal_conversation(&conversation) {
            Ok(sealed) => sealed,
            Err(e) => return answered(Err(e)),
        };
        match self.keys.seal_turns(&conversation.id, turns) {
            Ok(turns) => self.inner.update_later(sealed, revision, &turns),
            Err(e) => answered(Err(e)),
        }
    }

    fn feedback(&self, id: &str, helpful: bool, now: i64) -> StoreResult<bool> {
        self.inner.feedback(id, helpful, now)
    }

    fn latest_for_phone(&self, phone: &str) -> StoreResult<Option<Conversation>> {
        self.inner
            .latest_for_phone(phone)?
            .map(|c| self.keys.open_conversation(c))
            .transpose()
    }

    // Unmatched questions, and (the learning loop, learning.rs) questions offered a choice: sealed,
    // grouped by a keyed hash.
    fn record_question(
        &self,
        kind: Kept,
        question: &str,
        phone: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        self.record_question_grouped(kind, question, &self.keys.group(question), phone, now)
    }

    fn record_question_grouped(
        &self,
        kind: Kept,
        question: &str,
        folded: &str,
        phone: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        let sealed = self.keys.seal("question", question)?;
        self.inner
            .record_question_grouped(kind, &sealed, folded, phone, now)
    }

    fn to_review(&self, since: i64, limit: usize) -> StoreResult<Vec<ToReview>> {
        self.inner
            .to_review(since, limit)?
            .into_iter()
            .map(|mut q| {
                q.question = self.keys.open("question", &q.question)?;
                Ok(q)
            })
            .collect()
    }

    // The learning loop (learning.rs): questions HR assigned are sealed like the questions kept,
    // grouped by the same keyed hash.
    fn assign(
        &self,
        question: &str,
        topic: Option<&str>,
        rules: &str,
        now: i64,
    ) -> StoreResult<()> {
        self.assign_grouped(question, &self.keys.group(question), topic, rules, now)
    }

    fn assign_grouped(
        &self,
        question: &str,
        folded: &str,
        topic: Option<&str>,
        rules: &str,
        now: i64,
    ) -> StoreResult<()> {
        let sealed = self.keys.seal("question", question)?;
        self.inner
            .assign_grouped(&sealed, folded, topic, rules, now)
    }

    fn assignments(&self) -> StoreResult<Vec<Assignment>> {
        self.inner
            .assignments()?
            .into_iter()
            .map(|mut a| {
                a.question = self.keys.open("question", &a.question)?;
                Ok(a)
            })
            .collect()
    }

    fn save_offer(&self, phone: &str, offer: &Offer, now: i64) -> StoreResult<()> {
        let sealed = Offer {
            question: self.keys.seal("offer", &offer.question)?,
            topics: offer.topics.clone(),
            menu: offer.menu,
        };
        self.inner.save_offer(phone, &sealed, now)
    }

    fn take_offer(&self, phone: &str, since: i64) -> StoreResult<Option<Offer>> {
        self.inner
            .take_offer(phone, since)?
            .map(|mut offer| {
                offer.question = self.keys.open("offer", &offer.question)?;
                Ok(offer)
            })
            .transpose()
    }

    fn questions(&self, phone: &str) -> StoreResult<Vec<KeptQuestion>> {
        self.inner
            .questions(phone)?
            .into_iter()
            .map(|mut q| {
                let what = if q.kind == "offer" {
                    "offer"
                } else {
                    "question"
                };
                q.question = self.keys.open(what, &q.question)?;
                Ok(q)
            })
            .collect()
    }

    fn stats(&self, since: i64, idle_before: i64) -> StoreResult<Stats> {
        let mut stats = self.inner.stats(since, idle_before)?;
        for unmatched in &mut stats.unmatched {
            unmatched.question = self.keys.open("question", &unmatched.question)?;
        }
        Ok(stats)
    }

    fn export(&self, selector: &Selector) -> StoreResult<Vec<(Conversation, Vec<Turn>)>> {
        self.inner
            .export(selector)?
            .into_iter()
            .map(|(c, turns)| {
                let turns = self.keys.open_turns(&c.id, turns)?;
                Ok((self.keys.open_conversation(c)?, turns))
            })
            .collect()
    }

    fn delete(&self, selector: &Selector) -> StoreResult<usize> {
        self.inner.delete(selector)
    }

    fn purge(&self, before: i64) -> StoreResult<usize> {
        self.inner.purge(before)
    }

    fn count_conversations(&self) -> StoreResult<u64> {
        self.inner.count_conversations()
    }

    fn transcript_page(
        &self,
        id: &str,
        from: Option<usize>,
        limit: usize,
    ) -> StoreResult<(usize, usize, Vec<Turn>)> {
        let (from, total, turns) = self.inner.transcript_page(id, from, limit)?;
        Ok((from, total, self.keys.open_turns(id, turns)?))
    }
}

// ---------------------------------------------------------------- requests to people (issue 13)
//
// Sealed: the agent's message, the reply, the agent's e-mail address and the dossier (question,
// facts, transcript), each under its own name and the request's id. Not sealed: ids, the
// contact and its address (the rules'), topic, status, dates, the phone number (as for
// conversations: the key to a number's data).

impl Keys {
    fn seal_text(&self, what: &str, id: &str, text: Option<&str>) -> StoreResult<Option<String>> {
        text.map(|t| self.seal(&format!("request-{what}:{id}"), t))
            .transpose()
    }

    fn open_text(&self, what: &str, id: &str, text: Option<String>) -> StoreResult<Option<String>> {
        text.map(|t| self.open(&format!("request-{what}:{id}"), &t))
            .transpose()
    }

    fn seal_request(&self, r: &HrRequest) -> StoreResult<HrRequest> {
        let mut r = r.clone();
        let id = r.id.clone();
        r.message = self.seal(&format!("request-message:{id}"), &r.message)?;
        r.reply = self.seal_text("reply", &id, r.reply.as_deref())?;
        r.reply_email = self.seal_text("email", &id, r.reply_email.as_deref())?;
        r.dossier = serde_json::Value::String(
            self.seal(&format!("request-dossier:{id}"), &r.dossier.to_string())?,
        );
        Ok(r)
    }

    fn open_request(&self, mut r: HrRequest) -> StoreResult<HrRequest> {
        let id = r.id.clone();
        r.message = self.open(&format!("request-message:{id}"), &r.message)?;
        r.reply = self.open_text("reply", &id, r.reply)?;
        r.reply_email = self.open_text("email", &id, r.reply_email)?;
        // A dossier written before a key was set is JSON as it is.
        if let serde_json::Value::String(sealed) = &r.dossier {
            let text = self.open(&format!("request-dossier:{id}"), sealed)?;
            r.dossier = serde_json::from_str(&text).map_err(|e| StoreError(e.to_string()))?;
        }
        Ok(r)
    }

    fn open_requests(&self, requests: Vec<HrRequest>) -> StoreResult<Vec<HrRequest>> {
        requests.into_iter().map(|r| self.open_request(r)).collect()
    }
}

impl<S: Store> RequestStore for EncryptedStore<S> {
    fn create_request(&self, request: &HrRequest) -> StoreResult<()> {
        self.inner.create_request(&self.keys.seal_request(request)?)
    }

    fn request(&self, id: &str) -> StoreResult<Option<HrRequest>> {
        self.inner
            .request(id)?
            .map(|r| self.keys.open_request(r))
            .transpose()
    }

    fn requests_of_conversation(&self, conversation: &str) -> StoreResult<Vec<HrRequest>> {
        self.keys
            .open_requests(self.inner.requests_of_conversation(conversation)?)
    }

    fn requests(&self, contact: Option<&str>, status: Option<&str>) -> StoreResult<Vec<HrRequest>> {
        self.keys
            .open_requests(self.inner.requests(contact, status)?)
    }

    fn reply_request(&self, id: &str, reply: &str, by: &str, now: i64) -> StoreResult<bool> {
        let sealed = self.keys.seal(&format!("request-reply:{id}"), reply)?;
        self.inner.reply_request(id, &sealed, by, now)
    }

    fn assign_request(&self, id: &str, contact: &str, email: Option<&str>) -> StoreResult<bool> {
        self.inner.assign_request(id, contact, email)
    }

    fn request_notified(&self, id: &str, now: i64) -> StoreResult<()> {
        self.inner.request_notified(id, now)
    }

    fn request_delivered(&self, id: &str, now: i64) -> StoreResult<()> {
        self.inner.request_delivered(id, now)
    }

    fn undelivered(&self, notify: bool, deliver: bool) -> StoreResult<Vec<HrRequest>> {
        self.keys
            .open_requests(self.inner.undelivered(notify, deliver)?)
    }

    fn requests_selected(&self, selector: &Selector) -> StoreResult<Vec<HrRequest>> {
        self.keys
            .open_requests(self.inner.requests_selected(selector)?)
    }

    fn request_stats(&self, since: i64, today: &str) -> StoreResult<RequestStats> {
        self.inner.request_stats(since, today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front::server::store::SqliteStore;

    fn keys(hex: &str, older: &[&str]) -> Keys {
        let parse = |k: &str| Key::parse(k).unwrap_or_else(|e| panic!("{e}"));
        Keys {
            current: parse(hex),
            older: older.iter().map(|k| parse(k)).collect(),
        }
    }

    const K1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const K2: &str = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

    #[test]
    fn sealed_values_open_only_with_their_key_and_their_place() -> StoreResult<()> {
        let k1 = keys(K1, &[]);
        let sealed = k1.seal("session:a", "{\"facts\":1}")?;
        assert!(sealed.starts_with("gch1:") && !sealed.contains("facts"));
        assert_eq!(k1.open("session:a", &sealed)?, "{\"facts\":1}");
        assert!(
            k1.open("session:b", &sealed).is_err(),
            "moved to another row"
        );
        assert!(
            keys(K2, &[]).open("session:a", &sealed).is_err(),
            "another key"
        );
        assert_eq!(keys(K2, &[K1]).open("session:a", &sealed)?, "{\"facts\":1}");
        assert_eq!(
            k1.open("session:a", "clair")?,
            "clair",
            "written before the key"
        );
        assert!(Key::parse("abcd").is_err());
        Ok(())
    }

    #[test]
    fn unmatched_questions_group_by_keyed_hash() -> StoreResult<()> {
        let store = EncryptedStore::new(SqliteStore::in_memory()?, keys(K1, &[]));
        store.record_question(Kept::Unmatched, "Prime de Noël ?", None, 10)?;
        store.record_question(Kept::Unmatched, "prime de noel", Some("+33600000001"), 11)?;
        let stats = store.stats(0, 0)?;
        assert_eq!(stats.unmatched.len(), 1);
        assert_eq!(stats.unmatched[0].count, 2);
        assert_eq!(stats.unmatched[0].question, "prime de noel");
        assert_eq!(
            store.questions("+33600000001")?[0].question,
            "prime de noel"
        );
        Ok(())
    }

    /// The learning loop through an encrypted store: questions offered a choice and
    /// assignments are sealed at rest, grouped by the keyed hash (an assigned question leaves
    /// the list to review), and read back in clear.
    #[test]
    fn questions_to_review_and_assignments_are_sealed() -> StoreResult<()> {
        let store = EncryptedStore::new(SqliteStore::in_memory()?, keys(K1, &[]));
        let inner = &store.inner;
        store.record_question(
            Kept::Ambiguous,
            "Congés à temps partiel ?",
            Some("+33600000001"),
            10,
        )?;
        store.record_question(Kept::Unmatched, "prime de noel", None, 11)?;
        let review = store.to_review(0, 10)?;
        assert_eq!(review.len(), 2);
        assert!(review
            .iter()
            .any(|q| q.question == "Congés à temps partiel ?" && q.kind == "ambiguous"));
        assert!(inner
            .to_review(0, 10)?
            .iter()
            .all(|q| q.question.starts_with("gch1:")));
        store.assign("Prime de Noël", Some("fiche_paie"), "v1", 12)?;
        let review = store.to_review(0, 10)?;
        assert_eq!(review.len(), 1, "{review:?}");
        assert_eq!(store.assignments()?[0].question, "Prime de Noël");
        assert!(inner.assignments()?[0].question.starts_with("gch1:"));
        assert_eq!(store.questions("+33600000001")?[0].kind, "ambiguous");
        Ok(())
    }
}
