//! The contacts' credentials: the file given to `guichet serve --contacts`.
//!
//! One line per contact who answers requests in the inbox, `#` starts a
//! comment:
//!
//! ```text
//! # contact   secret                                  délai (jours ouvrés, facultatif)
//! drh         $argon2id$v=19$m=19456,t=2,p=1$…        5
//! paie        $argon2id$v=19$m=19456,t=2,p=1$…        3
//! formation   jeton:c2VjcmV0LWxvbmctZXQtYWxlYXRvaXJl
//! ```
//!
//! The secret is an Argon2 password hash in PHC form (`guichet hash-password`
//! makes one), or `jeton:` (or `token:`) followed by a long random token kept
//! in clear — a hash is preferred: the file then holds nothing that opens the
//! inbox. The third column is the contact's delay, in working days, before a
//! request is due (default: `--due-days`, 5). A contact of the rules absent
//! from the file cannot open the inbox; the administrator (`GUICHET_ADMIN_TOKEN`)
//! sees every contact's requests.
//!
//! Checks take the same time whether the contact exists or not, and compare
//! secrets in constant time (Argon2's own verification, or
//! [`super::super::security::same`] for tokens).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::collections::BTreeMap;

/// One contact's secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    /// An Argon2 hash in PHC form.
    Hash(String),
    /// A token kept in clear.
    Token(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub secret: Secret,
    /// Working days before a request is due; `None`: the server's default.
    pub delay: Option<u32>,
}

/// Every contact's credential, by contact id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    by_contact: BTreeMap<String, Credential>,
}

/// A hash verified when the contact is unknown, so that an unknown name takes as long as a
/// wrong password (made once at startup).
fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("guichet").unwrap_or_default())
}

impl Credentials {
    /// Reads the file's text; the first problem as `ligne N : …`.
    pub fn parse(text: &str) -> Result<Credentials, String> {
        let mut by_contact = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line
                .split_once('#')
                .map_or(line, |(before, _)| before)
                .trim();
            if line.is_empty() {
                continue;
            }
            let at = |what: &str| format!("ligne {} : {what}", i + 1);
            let mut words = line.split_whitespace();
            let (Some(contact), Some(secret)) = (words.next(), words.next()) else {
                return Err(at("attendu « contact secret [délai] »"));
            };
            let secret = if let Some(token) = secret
                .strip_prefix("jeton:")
                .or_else(|| secret.strip_prefix("token:"))
            {
                if token.len() < 16 {
                    return Err(at("jeton trop court (16 caractères au moins)"));
                }
                Secret::Token(token.to_string())
            } else if PasswordHash::new(secret).is_ok() {
                Secret::Hash(secret.to_string())
            } else {
                return Err(at(
                    "le secret n'est ni un hachage Argon2 (guichet hash-password) ni « jeton:… »",
                ));
            };
            let delay = match words.next() {
                None => None,
                Some(days) => match days.parse::<u32>() {
                    Ok(days) if (1..=60).contains(&days) => Some(days),
                    _ => return Err(at("le délai est un nombre de jours ouvrés entre 1 et 60")),
                },
            };
            if words.next().is_some() {
                return Err(at("trop de colonnes (contact, secret, délai)"));
            }
            if by_contact
                .insert(contact.to_string(), Credential { secret, delay })
                .is_some()
            {
                return Err(at(&format!("le contact « {contact} » est déjà donné")));
            }
        }
        Ok(Credentials { by_contact })
    }

    /// The contacts of the file.
    pub fn contacts(&self) -> impl Iterator<Item = &str> {
        self.by_contact.keys().map(String::as_str)
    }

    /// The delay of `contact`, if the file sets one.
    pub fn delay(&self, contact: &str) -> Option<u32> {
        self.by_contact.get(contact).and_then(|c| c.delay)
    }

    /// Whether `secret` opens `contact`'s inbox.
    pub fn verify(&self, contact: &str, secret: &[u8]) -> bool {
        match self.by_contact.get(contact).map(|c| &c.secret) {
            Some(Secret::Token(token)) => super::super::security::same(secret, token.as_bytes()),
            Some(Secret::Hash(hash)) => verify_hash(hash, secret),
            None => {
                let _ = verify_hash(decoy(), secret);
                false
            }
        }
    }
}

fn verify_hash(hash: &str, secret: &[u8]) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(secret, &parsed).is_ok())
        .unwrap_or(false)
}

/// An Argon2id hash of `password` in PHC form, with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_tokens_open_their_own_contact_only() -> Result<(), String> {
        let hash = hash_password("mot de passe de la paie")?;
        let file = format!(
            "# contacts\npaie {hash} 3\nformation jeton:0123456789abcdef-formation # commentaire\n\n"
        );
        let credentials = Credentials::parse(&file)?;
        assert!(credentials.verify("paie", b"mot de passe de la paie"));
        assert!(!credentials.verify("paie", b"mot de passe de la paiE"));
        assert!(!credentials.verify("formation", b"mot de passe de la paie"));
        assert!(credentials.verify("formation", b"0123456789abcdef-formation"));
        assert!(!credentials.verify("formation", b"0123456789abcdef"));
        assert!(!credentials.verify("drh", b"0123456789abcdef-formation"));
        assert_eq!(credentials.delay("paie"), Some(3));
        assert_eq!(credentials.delay("formation"), None);
        assert_eq!(
            credentials.contacts().collect::<Vec<_>>(),
            ["formation", "paie"]
        );
        Ok(())
    }

    #[test]
    fn bad_lines_are_refused_with_their_number() {
        let cases = [
            "paie",
            "paie secret",
            "\npaie jeton:court",
            "paie jeton:0123456789abcdef 0",
            "paie jeton:0123456789abcdef 5 x",
            "paie jeton:0123456789abcdef\npaie jeton:0123456789abcdef",
        ];
        let shown: Vec<String> = cases
            .iter()
            .map(|text| match Credentials::parse(text) {
                Ok(_) => format!("{text:?}\n  accepted"),
                Err(e) => format!("{text:?}\n  {e}"),
            })
            .collect();
        insta::assert_snapshot!(shown.join("\n"));
    }
}
