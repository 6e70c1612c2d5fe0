//! « Answer-to-article »: a draft `.guichet` topic from an answered request,
//! so that a question people keep answering by hand becomes a topic.
//!
//! The draft is a topic skeleton: the agent's question as its title and
//! trigger, the facts gathered as the condition of an `if` (choice facts as
//! `fact == valeur`, yes/no facts as `fact` or `not fact`, numbers and dates
//! compared with `==`; text facts only as comments), the person's reply as
//! the answer, and a hand-off to the same contact otherwise. Every line to
//! review carries `// à vérifier`: a writer completes the sources and the
//! conditions before it joins the rules (docs/guide-reponse.md).

use super::super::store::HrRequest;
use crate::compile::program::{FactType, Program, TopicId};

/// A rule text string: quotes and backslashes escaped.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The condition a gathered fact gives, or `None` when it cannot be written as one.
fn condition(program: &Program, fact: &str, value: &str) -> Option<String> {
    let fact = program.facts.iter().find(|f| f.name == fact)?;
    match &fact.ty {
        FactType::Choice(values) => values
            .iter()
            .find(|v| v.label == value)
            .map(|v| format!("{} == {}", fact.name, v.name)),
        FactType::YesNo => match value {
            "oui" => Some(fact.name.clone()),
            "non" => Some(format!("not {}", fact.name)),
            _ => None,
        },
        FactType::Integer { .. } | FactType::Number { .. } => value
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .map(|n| format!("{} == {n}", fact.name)),
        FactType::Date => {
            let ok = value.len() == 10 && value.chars().filter(|c| *c == '/').count() == 2;
            ok.then(|| format!("{} == {value}", fact.name))
        }
        FactType::Text => None,
    }
}

/// The draft snippet for an answered request.
pub fn snippet(program: &Program, request: &HrRequest) -> String {
    let question = request.dossier["question"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| {
            format!(
                "{} (question transmise)",
                super::api::topic_title(program, &request.topic)
            )
        });
    let reply = request.reply.clone().unwrap_or_default();
    let suffix: String = request.id.chars().take(6).collect();
    let mut conditions = Vec::new();
    let mut comments = Vec::new();
    for fact in request.dossier["facts"].as_array().into_iter().flatten() {
        let name = fact["fact"].as_str().unwrap_or_default();
        let value = fact["value"].as_str().unwrap_or_default();
        match condition(program, name, value) {
            Some(c) => conditions.push(c),
            None => comments.push(format!("  // {name} : {value} (à vérifier)\n")),
        }
    }
    let mut out = format!(
        "// Brouillon tiré d'une demande répondue par {contact}.\n\
         // à vérifier : titre, déclencheurs, conditions, texte et sources avant de l'ajouter aux règles.\n\
         topic demande_{suffix} {title} {{ // à vérifier\n  triggers {trigger} // à vérifier\n  \
         examples {example}\n",
        contact = request.contact,
        title = quoted(&question),
        trigger = quoted(&question.to_lowercase()),
        example = quoted(&question),
    );
    out.push_str(&comments.concat());
    let answer = format!(
        "answer {} // à vérifier\n      source \"à compléter\" // à vérifier\n",
        quoted(&reply)
    );
    if conditions.is_empty() {
        out.push_str(&format!("  {answer}"));
    } else {
        out.push_str(&format!(
            "  if {} {{ // à vérifier : les faits recueillis\n    {answer}  }} else {{\n    handoff {}\n  }}\n",
            conditions.join(" and "),
            request.contact
        ));
    }
    out.push_str("}\n");
    out
}

/// The agent's question as an example of an existing topic (the router learns from a topic's
/// `examples`, docs/routing.md): where to add it, and the line. `None` without a typed
/// question.
pub fn example(program: &Program, request: &HrRequest, topic: TopicId) -> Option<String> {
    let question = request.dossier["question"].as_str()?;
    let t = program.topic(topic);
    let place = program.sources.location(t.span);
    Some(match t.examples.last() {
        Some(last) => format!(
            "// À ajouter au sujet {} ({place}), à la fin de sa liste `examples`, après {} :\n\
             , {}\n",
            t.name,
            quoted(last),
            quoted(question)
        ),
        None => format!(
            "// À ajouter au sujet {} ({place}), après ses `triggers` :\n  examples {}\n",
            t.name,
            quoted(question)
        ),
    })
}
