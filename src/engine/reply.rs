//! Reading an agent's reply to a question, in French.
//!
//! [`parse_reply`] turns raw text into a [`Value`] of the fact's type, or a
//! [`ReplyError`] whose message is a polite re-ask. Accepted forms:
//! - choice: the option's number, its name, its label or one of its `also`
//!   phrases (case, accents and elisions ignored), or words of them
//!   ("contractuelle" finds `contractuel`). A reply that negates what it
//!   names (« pas titulaire », « je ne suis pas titulaire ») or names an
//!   option only by a word shared with other phrases (« non », « agent »,
//!   « contrat ») is re-asked, never guessed: a wrong fact gives a confident
//!   wrong answer.
//! - yes/no: oui/non and their usual variants (not 1/2: the question does
//!   not show them numbered, and « 1 » is often a count: « 1 enfant »);
//! - numbers: decimal comma or point, spaces between thousands, a unit after,
//!   small numbers in words ("cinq");
//! - dates: `12/03/2024`, `12-03-2024`, `12 mars 2024`, `1er mars 2024`.

use super::value::Value;
use crate::compile::program::{ChoiceValue, Fact, FactType};
use crate::text::{fold_cow, words};
use std::borrow::Cow;
use time::{Date, Month};

/// Why a reply was refused; `message()` is the re-ask shown to the agent.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReplyError {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: String) -> ReplyError {
    ReplyError { code, message }
}

/// Longest reply accepted for a text fact.
pub const MAX_TEXT: usize = 2000;

pub fn parse_reply(fact: &Fact, raw: &str) -> Result<Value, ReplyError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(refuse(
            "empty",
            "Je n'ai rien reçu : pouvez-vous répondre à la question ?".into(),
        ));
    }
    parse_trimmed(fact, raw).map_err(|mut e| {
        // A long reply is not echoed in full: its start is enough to recognise it.
        if raw.chars().count() > QUOTED {
            let start: String = raw.chars().take(QUOTED).collect();
            // At a word boundary when there is one.
            let start = match start.rfind(char::is_whitespace) {
                Some(at) if raw[start.len()..].starts_with(|c: char| !c.is_whitespace()) => {
                    &start[..at]
                }
                _ => start.as_str(),
            };
            e.message = e.message.replace(raw, &format!("{}…", start.trim_end()));
        }
        e
    })
}

/// How much of a refused reply its message quotes.
const QUOTED: usize = 60;

fn parse_trimmed(fact: &Fact, raw: &str) -> Result<Value, ReplyError> {
    match &fact.ty {
        FactType::Choice(values) => choice(values, raw).map(|i| Value::Choice(i as u32)),
        FactType::YesNo => yes_no(raw).map(Value::Bool),
        FactType::Integer { min, max } => bounded(fact, raw, *min, *max, true),
        FactType::Number { min, max } => bounded(fact, raw, *min, *max, false),
        FactType::Date => date(raw).map(Value::Date),
        FactType::Text if raw.chars().count() > MAX_TEXT => Err(refuse(
            "too_long",
            format!(
                "Votre réponse est trop longue : {MAX_TEXT} caractères au plus, s'il vous plaît."
            ),
        )),
        FactType::Text => Ok(Value::Text(raw.to_string())),
    }
}

/// Words that negate what follows or precedes them in a reply.
const NEGATIONS: &[&str] = &[
    "non", "pas", "ne", "n", "jamais", "plus", "ni", "sans", "aucun", "aucune",
];

/// Words that say nothing about which option is meant.
const STOP_WORDS: &[&str] = &[
    "je", "j", "suis", "il", "elle", "est", "un", "une", "des", "de", "du", "le", "la", "les", "l",
    "d", "en", "et", "ou", "a", "au", "aux", "mon", "ma", "mes", "c", "ce", "cest", "par", "pour",
    "sur", "dans", "the", "suis",
];

fn choice(values: &[ChoiceValue], raw: &str) -> Result<usize, ReplyError> {
    let folded = fold_cow(raw);
    let trimmed = folded.trim_matches(|c: char| !c.is_alphanumeric());
    if let Some(index) = option_number(trimmed, values.len()) {
        return Ok(index);
    }
    // 1. The reply is exactly a name, label or `also`.
    if let Some(i) = values
        .iter()
        .position(|v| v.phrases.iter().any(|p| p == trimmed))
    {
        return Ok(i);
    }
    let reply_words = words(raw);
    // A negation outside the phrase that matched: the agent may be saying
    // what they are not. Ask again rather than guess.
    let unsure = || {
        refuse(
            "unsure",
            format!(
                "Je ne suis pas sûr d'avoir compris « {raw} ». Répondez par le numéro d'une option ({}), s'il vous plaît.",
                option_names(values)
            ),
        )
    };
    // 2. The reply contains a name, label or `also` as whole words: the longest wins.
    let longest: Vec<usize> = values
        .iter()
        .map(|v| {
            v.phrases
                .iter()
                .filter(|p| contains_words(&reply_words, &words(p)))
                .map(|p| p.len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    if let Some(i) = unique_best(&longest) {
        let matched: Vec<String> = values[i]
            .phrases
            .iter()
            .filter(|p| contains_words(&reply_words, &words(p)))
            .flat_map(|p| words(p))
            .collect();
        if reply_words
            .iter()
            .any(|w| NEGATIONS.contains(&w.as_str()) && !matched.contains(w))
        {
            return Err(unsure());
        }
        return Ok(i);
    }
    if reply_words.iter().any(|w| NEGATIONS.contains(&w.as_str())) {
        return Err(unsure());
    }
    if let Ok(n) = trimmed.parse::<usize>() {
        return Err(refuse(
            "unknown_option",
            format!(
                "Il n'y a pas d'option {n} : répondez par un numéro {}.",
                option_names(values)
            ),
        ));
    }
    // 3. Words of the reply close to words of the options. A word close to
    // an option's name or to one of its one-word phrases (« contractuelle »)
    // chooses it; a word of a longer phrase only (« agent » of « Agent
    // contractuel… », « maladie » of two labels) suggests, and is asked back.
    let content: Vec<&String> = reply_words
        .iter()
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect();
    let score = |whole_only: bool| -> Vec<usize> {
        values
            .iter()
            .map(|v| {
                let option_words: Vec<String> = v
                    .phrases
                    .iter()
                    .map(|p| words(p))
                    .enumerate()
                    .filter(|(i, w)| !whole_only || *i == 0 || w.len() == 1)
                    .flat_map(|(_, w)| w)
                    .collect();
                content
                    .iter()
                    .filter(|w| option_words.iter().any(|o| close(w, o)))
                    .count()
            })
            .collect()
    };
    if let Some(i) = unique_best(&score(true)) {
        return Ok(i);
    }
    let scores = score(false);
    let top = scores.iter().copied().max().unwrap_or(0);
    let winners: Vec<usize> = (0..values.len()).filter(|i| scores[*i] == top).collect();
    let listed = |options: &[usize]| {
        options
            .iter()
            .map(|i| format!("{}. {}", i + 1, values[*i].label))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (top, winners.as_slice()) {
        (0, _) => Err(refuse(
            "unknown_option",
            format!("Je n'ai pas compris « {raw} ». Répondez par le numéro ou le nom d'une option ({}).", option_names(values)),
        )),
        (_, [one]) => Err(refuse(
            "unsure",
            format!(
                "Voulez-vous dire « {} » ? Répondez par son numéro ({}) ou par le numéro d'une autre option.",
                listed(&[*one]),
                one + 1
            ),
        )),
        (_, several) => Err(refuse(
            "ambiguous",
            format!(
                "« {raw} » peut correspondre à plusieurs options : {}. Laquelle ?",
                listed(several)
            ),
        )),
    }
}

/// The index of the only maximal non-zero score.
fn unique_best(scores: &[usize]) -> Option<usize> {
    let top = scores.iter().copied().max().filter(|t| *t > 0)?;
    let mut winners = (0..scores.len()).filter(|i| scores[*i] == top);
    let first = winners.next()?;
    winners.next().is_none().then_some(first)
}

/// "1 à 3", the numbers an agent may type.
fn option_names(values: &[ChoiceValue]) -> String {
    match values.len() {
        0 | 1 => "1".to_string(),
        n => format!("de 1 à {n}"),
    }
}

/// `2`, `2.`, `n°2`, `choix 2`: a 1-based option number within `count`.
fn option_number(text: &str, count: usize) -> Option<usize> {
    // Most replies are words: no digit, no number (and no prefix to strip).
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = text;
    for prefix in ["choix", "option", "n°", "no"] {
        while let Some(rest) = digits.strip_prefix(prefix) {
            digits = rest;
        }
    }
    let n: usize = digits.trim().trim_end_matches('.').parse().ok()?;
    (1..=count).contains(&n).then(|| n - 1)
}

/// Whether `needle` occurs in `haystack` as consecutive words.
fn contains_words(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Two words that are the same word for our purpose: equal, one a long prefix
/// of the other (gender and plural: contractuel/contractuelle), or one typo apart.
fn close(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() >= 4 && long.starts_with(short) && long.len() - short.len() <= 3 {
        return true;
    }
    let allowed = match short.chars().count() {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    };
    crate::text::distance(a, b) <= allowed
}

const YES: &[&str] = &[
    "oui",
    "o",
    "yes",
    "y",
    "ouais",
    "ouai",
    "si",
    "bien sur",
    "exact",
    "exactement",
    "d'accord",
    "daccord",
    "ok",
    "okay",
    "affirmatif",
    "tout a fait",
    "oui oui",
    "c'est ca",
    "vrai",
    "evidemment",
    "absolument",
    "certainement",
];
const NO: &[&str] = &[
    "non",
    "n",
    "no",
    "nan",
    "nope",
    "pas du tout",
    "jamais",
    "negatif",
    "faux",
    "pas vraiment",
    "non non",
    "aucun",
    "aucune",
    "absolument pas",
];

fn yes_no(raw: &str) -> Result<bool, ReplyError> {
    let folded = fold_cow(raw);
    let text = folded.trim_matches(|c: char| !c.is_alphanumeric()).trim();
    let first_word = text
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    if YES.contains(&text) || (first_word == "oui" && !text.contains("non")) {
        return Ok(true);
    }
    if NO.contains(&text) || first_word == "non" || first_word == "pas" {
        return Ok(false);
    }
    Err(refuse(
        "not_yes_no",
        format!("Je n'ai pas compris « {raw} ». Répondez par oui ou par non, s'il vous plaît."),
    ))
}

/// Units an agent may write after a number whatever the fact's declared unit.
const UNIT_WORDS: &[&str] = &[
    "jour", "jours", "heure", "heures", "h", "an", "ans", "mois", "euros", "€", "%",
];

const NUMBER_WORDS: &[(&str, f64)] = &[
    ("zero", 0.0),
    ("un", 1.0),
    ("une", 1.0),
    ("deux", 2.0),
    ("trois", 3.0),
    ("quatre", 4.0),
    ("cinq", 5.0),
    ("six", 6.0),
    ("sept", 7.0),
    ("huit", 8.0),
    ("neuf", 9.0),
    ("dix", 10.0),
    ("onze", 11.0),
    ("douze", 12.0),
];

fn bounded(
    fact: &Fact,
    raw: &str,
    min: Option<f64>,
    max: Option<f64>,
    integer: bool,
) -> Result<Value, ReplyError> {
    let n = parse_number(raw, fact.unit.as_deref()).ok_or_else(|| {
        refuse(
            "not_a_number",
            format!(
                "Je n'ai pas compris « {raw} » : répondez par un nombre{}, par exemple {}.",
                unit_hint(fact),
                example(min, integer)
            ),
        )
    })?;
    if integer && n.fract() != 0.0 {
        return Err(refuse(
            "not_whole",
            format!(
                "« {raw} » n'est pas un nombre entier : répondez par un nombre entier{}.",
                unit_hint(fact)
            ),
        ));
    }
    let below = min.is_some_and(|m| n < m);
    let above = max.is_some_and(|m| n > m);
    if below || above {
        return Err(refuse(
            "out_of_range",
            format!(
                "{} n'est pas possible ici : répondez par un nombre {}{}.",
                super::value::number(n),
                bounds_words(min, max),
                unit_hint(fact)
            ),
        ));
    }
    Ok(Value::Number(n))
}

fn unit_hint(fact: &Fact) -> String {
    fact.unit
        .as_ref()
        .map(|u| format!(" (en {u})"))
        .unwrap_or_default()
}

fn example(min: Option<f64>, integer: bool) -> String {
    let base = min.unwrap_or(0.0).max(0.0) + 1.0;
    if integer {
        super::value::number(base.trunc())
    } else {
        format!("{},5", super::value::number(base.trunc()))
    }
}

/// "entre 1 et 6", "d'au moins 0", "d'au plus 48" — for re-asks and question hints.
pub fn bounds_words(min: Option<f64>, max: Option<f64>) -> String {
    use super::value::number;
    match (min, max) {
        (Some(a), Some(b)) => format!("entre {} et {}", number(a), number(b)),
        (Some(a), None) => format!("d'au moins {}", number(a)),
        (None, Some(b)) => format!("d'au plus {}", number(b)),
        (None, None) => String::new(),
    }
}

/// A number written by an agent: `17,5`, `1 607`, `35 h`, `cinq jours`, `-2`.
pub fn parse_number(raw: &str, unit: Option<&str>) -> Option<f64> {
    let folded = fold_cow(raw);
    let mut text = folded.trim();
    if let Some(unit) = unit {
        if let Some(stripped) = text.strip_suffix(fold_cow(unit).as_ref()) {
            text = stripped.trim();
        }
    }
    let without_unit = match text.rsplit_once(' ') {
        Some((number, unit)) if UNIT_WORDS.contains(&unit) => number.trim(),
        _ => text,
    };
    if let Some((_, n)) = NUMBER_WORDS.iter().find(|(w, _)| *w == without_unit) {
        return Some(*n);
    }
    let text = text
        .trim_end_matches(|c: char| c.is_alphabetic() || c == '%' || c == '.' || c.is_whitespace())
        .trim();
    // Spaces between thousands dropped, decimal comma made a point; most
    // replies have neither and are read as they are.
    let compact: Cow<str> =
        if text.contains(|c: char| c.is_whitespace() || c == '\u{202f}' || c == ',') {
            Cow::Owned(
                text.chars()
                    .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
                    .map(|c| if c == ',' { '.' } else { c })
                    .collect(),
            )
        } else {
            Cow::Borrowed(text)
        };
    let valid = !compact.is_empty()
        && compact
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && compact.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    compact.parse::<f64>().ok().filter(|n| n.is_finite())
}

const MONTHS: &[(&str, Month)] = &[
    ("janvier", Month::January),
    ("janv", Month::January),
    ("fevrier", Month::February),
    ("fevr", Month::February),
    ("fev", Month::February),
    ("mars", Month::March),
    ("avril", Month::April),
    ("avr", Month::April),
    ("mai", Month::May),
    ("juin", Month::June),
    ("juillet", Month::July),
    ("juil", Month::July),
    ("aout", Month::August),
    ("septembre", Month::September),
    ("sept", Month::September),
    ("octobre", Month::October),
    ("oct", Month::October),
    ("novembre", Month::November),
    ("nov", Month::November),
    ("decembre", Month::December),
    ("dec", Month::December),
];

fn date(raw: &str) -> Result<Date, ReplyError> {
    if let Some(day) = parse_date(raw) {
        return Ok(day);
    }
    if looks_like_a_date(raw) {
        return Err(refuse(
            "not_a_date",
            format!(
                "La date « {raw} » n'existe pas dans le calendrier : vérifiez le jour et le mois."
            ),
        ));
    }
    Err(refuse("not_a_date", format!("Je n'ai pas compris la date « {raw} ». Écrivez-la jj/mm/aaaa, par exemple 01/09/2021, ou « 1er septembre 2021 ».")))
}

/// Three groups of digits separated like a date: a date that may not exist.
fn looks_like_a_date(raw: &str) -> bool {
    let groups: Vec<&str> = raw.trim().split(['/', '-', '.']).collect();
    groups.len() == 3
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()))
}

/// `12/03/2024`, `12-03-2024`, `12.03.24`, `12 mars 2024`, `1er mars 2024`.
pub fn parse_date(raw: &str) -> Option<Date> {
    let text = fold_cow(raw);
    let mut parts = text
        .split(|c: char| c == '/' || c == '-' || c == '.' || c.is_whitespace())
        .filter(|p| !p.is_empty());
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut day = day;
    while let Some(digits) = day.strip_suffix("er") {
        day = digits;
    }
    let day: u8 = day.parse().ok()?;
    let month = match month.parse::<u8>() {
        Ok(m) => Month::try_from(m).ok()?,
        Err(_) => MONTHS.iter().find(|(name, _)| *name == month)?.1,
    };
    let year: i32 = match year.parse::<i32>().ok()? {
        y @ 0..=49 => 2000 + y,
        y @ 50..=99 => 1900 + y,
        y @ 1900..=2200 => y,
        _ => return None,
    };
    Date::from_calendar_date(year, month, day).ok()
}
