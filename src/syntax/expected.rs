//! Words for pest's "expected" lists.
//!
//! pest reports the grammar rules (and literal tokens) it could have
//! accepted at the failure point. A rule writer knows neither `match_arm`
//! nor `fact_option`: each rule is described here in the words of
//! docs/language.md, and rules that mean the same thing to a writer share
//! one description, so the list stays short. Keywords are written in
//! English here and shown in the writer's language (`keywords::language_of`).

use super::keywords::{self, Language};
use super::parser::Rule;

/// French descriptions of what was expected, without duplicates, in a stable order,
/// with the keywords in `language`.
/// `literals` are pest's expected tokens as displayed; char ranges and built-in rules are skipped.
pub fn describe(rules: &[Rule], literals: &[String], language: Language) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in rules {
        if let Some(words) = rule_words(*rule) {
            push(&mut out, words.to_string());
        } else if let Some(keyword) = keywords::by_rule(&format!("{rule:?}")) {
            push(&mut out, format!("`{}`", keyword.english));
        }
    }
    for (tokens, words) in GROUPS {
        if literals.iter().any(|l| tokens.contains(&l.as_str())) {
            push(&mut out, words.to_string());
        }
    }
    let described = out.join(" ");
    let names_expected = out.iter().any(|d| d == "un nom");
    for token in literals {
        // Both languages' forms are tried: name the keyword once.
        let token = keywords::translate(token, Language::English);
        let quoted = format!("`{token}`");
        let keyword_already_named = named(&described, token);
        // The first word of a keyword of two words (`en` of `en vigueur`) says nothing
        // alone; `du` does, since a period reads `du … au …`.
        let part_of_a_keyword = keywords::by_form(token).is_none()
            && token != "du"
            && keywords::all()
                .iter()
                .any(|k| k.forms().any(|f| f.starts_with(&format!("{token} "))));
        // `_` starts a name too: when a name is expected, it says nothing more.
        let underscore_of_a_name = token == "_" && names_expected;
        if !is_layout(token)
            && !is_char_range(token)
            && token != "BUILTIN_RULE"
            && !keyword_already_named
            && !part_of_a_keyword
            && !underscore_of_a_name
        {
            push(&mut out, quoted);
        }
    }
    if out.iter().any(|d| d == "une expression") {
        out.retain(|d| !STARTS_AN_EXPRESSION.contains(&d.as_str()));
    }
    let mut translated = Vec::new();
    for description in out {
        push(
            &mut translated,
            keywords::in_backticks(&description, language),
        );
    }
    translated
}

/// What "une expression" already says: each can start one.
const STARTS_AN_EXPRESSION: &[&str] = &[
    "un nom",
    "un nombre",
    "une date (jj/mm/aaaa)",
    "un texte entre guillemets",
    "`\"`",
    "`(`",
    "`-`",
    "`non`",
    "`not`",
    "`oui`",
    "`today`",
];

/// Keywords of several words, or spelt in French, that pest lists piece by piece
/// (`à`, `partir`…): when one of the tokens is expected, the words say it once.
const GROUPS: &[(&[&str], &str)] = &[
    (&["from", "until"], PERIOD),
    (&["at"], "la date retenue (`at …`, `au …` ou `à …`)"),
];

const PERIOD: &str =
    "une période (`from JJ/MM/AAAA`, `until …`, `à partir du …`, `jusqu'au …` ou `du … au …`)";

/// Whether `described` already names `token`, alone or as the first word of a
/// keyword (`in` in `in force`, `jusqu` in `jusqu'au`); accents are optional.
fn named(described: &str, token: &str) -> bool {
    if !token.chars().all(char::is_alphabetic) {
        return described.contains(&format!("`{token}`"));
    }
    let fold = |s: &str| s.replace('à', "a");
    let (described, token) = (fold(described), fold(&format!("`{token}")));
    described.match_indices(&token).any(|(i, _)| {
        described[i + token.len()..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_alphanumeric() && c != '_')
    })
}

fn push(out: &mut Vec<String>, s: String) {
    if !out.contains(&s) {
        out.push(s);
    }
}

fn is_char_range(token: &str) -> bool {
    let chars: Vec<char> = token.chars().collect();
    chars.len() == 4 && chars[1] == '.' && chars[2] == '.'
}

fn is_layout(token: &str) -> bool {
    token.trim().is_empty() || token == "//" || token == "\u{feff}" || token == "\u{a0}"
}

fn rule_words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "la fin du fichier",
        Rule::ident => "un nom",
        Rule::string | Rule::text_chunk | Rule::escape => "un texte entre guillemets",
        Rule::interpolation => "une interpolation `{…}`",
        Rule::string_list => "un ou plusieurs textes entre guillemets, séparés par des virgules",
        Rule::number | Rule::signed_number | Rule::number_pattern => "un nombre",
        Rule::date_lit => "une date (jj/mm/aaaa)",
        Rule::fact | Rule::contact | Rule::topic | Rule::fallback | Rule::lexicon => {
            "une déclaration (`fact`, `contact`, `topic`, `fallback` ou `lexicon`)"
        }
        Rule::fact_kind => {
            "un type de fait (`choice`, `yesno`, `integer`, `number`, `date` ou `text`)"
        }
        Rule::choices | Rule::help | Rule::from_profile | Rule::range | Rule::unit | Rule::states => {
            "une option du fait (`{ valeurs }`, `help`, `from profile`, `range`, `unit` ou `states`)"
        }
        Rule::choice => "une valeur de choix (`nom \"libellé\"`)",
        Rule::also => "`also`",
        Rule::states_kw => "`states`",
        Rule::states_valued => "`oui`, `non` ou un nombre suivi de phrases entre guillemets",
        Rule::contact_by => "`by`",
        Rule::channels => "`{`",
        Rule::contact_arm | Rule::match_arm => "une branche (`valeur => …`)",
        Rule::channel | Rule::channel_kind => {
            "un moyen de contact (`name`, `phone`, `email`, `hours`, `office` ou `web`)"
        }
        Rule::triggers
        | Rule::synonyms
        | Rule::examples
        | Rule::review
        | Rule::review_kw
        | Rule::triggers_kw
        | Rule::synonyms_kw
        | Rule::examples_kw => "`triggers`, `synonyms`, `examples` ou `reviewed`",
        Rule::review_by_kw => "`by`",
        Rule::match_stmt
        | Rule::if_stmt
        | Rule::let_stmt
        | Rule::answer_stmt
        | Rule::handoff_stmt
        | Rule::goto_stmt
        | Rule::in_force
        | Rule::in_force_kw
        | Rule::match_kw
        | Rule::if_kw
        | Rule::let_kw
        | Rule::answer_kw
        | Rule::handoff_kw
        | Rule::goto_kw => {
            "une instruction (`match`, `if`, `let`, `answer`, `handoff`, `goto` ou `in force`)"
        }
        Rule::in_force_at | Rule::at_kw => "la date retenue (`at …`, `au …` ou `à …`)",
        Rule::period_arm
        | Rule::period
        | Rule::period_from
        | Rule::period_until
        | Rule::period_between
        | Rule::from_kw
        | Rule::until_kw => PERIOD,
        Rule::block => "un bloc `{ … }`",
        Rule::else_if | Rule::else_clause => "`else`",
        Rule::source => "`source`",
        Rule::expr | Rule::paren | Rule::call | Rule::today | Rule::yes_lit | Rule::no_lit => {
            "une expression"
        }
        Rule::patterns
        | Rule::wildcard
        | Rule::range_pattern
        | Rule::compare_pattern => "un motif (une valeur, `oui`, `non`, un nombre, un intervalle `a..b` ou `_`)",
        Rule::compare_op => "un comparateur (`<`, `<=`, `>`, `>=`)",
        Rule::or_op
        | Rule::and_op
        | Rule::eq_op
        | Rule::ne_op
        | Rule::le_op
        | Rule::ge_op
        | Rule::lt_op
        | Rule::gt_op
        | Rule::add_op
        | Rule::sub_op
        | Rule::mul_op
        | Rule::div_op => "un opérateur",
        Rule::not_op | Rule::neg_op => "une expression",
        Rule::in_set => "`in { … }`",
        Rule::test_case => "un test (`test \"nom\" { … }`)",
        Rule::test_topic
        | Rule::test_question
        | Rule::test_today
        | Rule::test_profile
        | Rule::test_reply
        | Rule::test_asks
        | Rule::test_expect => {
            "une étape de test (`topic`, `question`, `today`, `profile`, `reply`, `asks` ou `expect`)"
        }
        Rule::expect_answer | Rule::expect_handoff => "`answer` ou `handoff`",
        _ => return None,
    })
}

/// The token found where the parse failed: a word, one character, or "" at the end.
pub fn found_at(text: &str, at: usize) -> &str {
    let rest = text.get(at..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return "";
    };
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    if is_word(first) {
        let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        &rest[..end]
    } else {
        &rest[..first.len_utf8()]
    }
}

/// How the found token is named in a message.
pub fn describe_found(found: &str) -> String {
    match found {
        "" => "la fin du fichier".to_string(),
        "\n" | "\r" => "un saut de ligne".to_string(),
        s if s.chars().all(char::is_control) => format!("le caractère de contrôle {s:?}"),
        s => format!("`{s}`"),
    }
}

/// A keyword close to the word at `at` or to the word just before it, in
/// the language of the form it is close to (`anwser` → `answer`,
/// `reponce` → `réponse`). Swapped letters count as one edit.
pub fn misspelt_keyword(text: &str, at: usize) -> Option<String> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let here = found_at(text, at);
    let before = text.get(..at).unwrap_or("").trim_end();
    let start = before.rfind(|c: char| !is_word(c)).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let previous = &before[start..];
    [here, previous]
        .into_iter()
        .filter(|w| w.chars().count() >= 4 && keywords::by_form(w).is_none())
        .find_map(|w| {
            keywords::all().iter().find_map(|k| {
                let near = |form: &str| {
                    let length = form.chars().count();
                    length >= 4 && strsim::osa_distance(w, form) <= 1 + usize::from(length > 6)
                };
                if near(k.english) {
                    Some(k.english.to_string())
                } else {
                    k.forms().skip(1).any(near).then(|| k.french.to_string())
                }
            })
        })
}
