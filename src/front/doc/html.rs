//! The booklet's HTML, written with `maud`: every text from the rules is
//! escaped by the template engine, nothing is pasted in raw. Answer texts
//! are the light markdown of docs/language.md (paragraphs, `- ` lists,
//! `[texte](https://…)` links); values are shown as ⟨what they are⟩.

use super::{Booklet, Case, Outcome, OutcomeDoc, TopicDoc};
use maud::{html, Markup, DOCTYPE};

/// The style sheet written next to the pages.
pub const STYLE: &str = include_str!("style.css");

/// The file name of a topic's page.
pub fn page_file(topic: &TopicDoc) -> String {
    format!("{}.html", topic.name)
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            link rel="stylesheet" href="style.css";
        }
    }
}

pub fn index(booklet: &Booklet) -> String {
    let outcomes: usize = booklet.topics.iter().map(|t| t.outcomes.len()).sum();
    let unreviewed = booklet.topics.iter().filter(|t| t.review.is_none()).count();
    let expired = booklet
        .topics
        .iter()
        .filter(|t| t.review.as_ref().is_some_and(|r| r.expired.is_some()))
        .count();
    html! {
        (DOCTYPE)
        html lang="fr" {
            (head("Livret des règles de Guichet"))
            body {
                header {
                    h1 { "Livret des règles de Guichet" }
                    p.meta {
                        (booklet.topics.len()) " sujets, " (outcomes) " réponses, transferts et renvois. "
                        @if unreviewed > 0 {
                            span.review-missing { (unreviewed) " sujet(s) sans relecture déclarée. " }
                        }
                        @if expired > 0 {
                            span.review-missing { (expired) " sujet(s) relu(s) il y a plus de 12 mois." }
                        }
                    }
                }
                p {
                    "Chaque page présente un sujet tel que Guichet le traite : les questions posées à l'agent, "
                    "puis chaque réponse ou transfert à une personne, avec les cas qui y mènent, "
                    "les dates pendant lesquelles le texte s'applique et ses sources. "
                    "Le graphe de décision figure en fin de page."
                }
                table {
                    thead { tr { th { "Sujet" } th { "Dernière relecture" } th { "Réponses et transferts" } } }
                    tbody {
                        @for topic in &booklet.topics {
                            tr {
                                td { a href=(page_file(topic)) { (topic.title) } br; code { (topic.name) } }
                                td { (review(topic)) }
                                td { (topic.outcomes.len()) }
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

fn review(topic: &TopicDoc) -> Markup {
    html! {
        @match &topic.review {
            Some(r) => {
                "Relu le " (r.date) " par " (r.by)
                @if let Some(months) = r.expired {
                    " " span.review-missing { "— il y a " (months) " mois : à relire" }
                }
            }
            None => span.review-missing { "Relecture non déclarée" },
        }
    }
}

/// A topic's page; `graph` says whether its SVG could be drawn.
pub fn page(topic: &TopicDoc, graph: bool) -> String {
    html! {
        (DOCTYPE)
        html lang="fr" {
            (head(&format!("{} — livret des règles de Guichet", topic.title)))
            body {
                nav { a href="index.html" { "← Tous les sujets" } }
                header {
                    h1 { (topic.title) }
                    p.meta { "Sujet " code { (topic.name) } " · " (topic.location) }
                    p { (review(topic)) }
                }
                section {
                    h2 { "Questions posées" }
                    @if topic.questions.is_empty() {
                        p { "Ce sujet ne pose aucune question." }
                    } @else {
                        p.meta { "Guichet ne pose une question que lorsque la réponse est nécessaire et encore inconnue." }
                        ol {
                            @for q in &topic.questions {
                                li {
                                    strong { (q.question) } " — " (q.expects)
                                    @if !q.options.is_empty() {
                                        ul { @for o in &q.options { li { (o) } } }
                                    }
                                    @if q.from_profile {
                                        p.help { "Connu par le profil de l'agent quand il le donne : la question n'est alors pas posée." }
                                    }
                                    @if let Some(help) = &q.help {
                                        p.help { "Aide proposée : " (help) }
                                    }
                                }
                            }
                        }
                    }
                }
                section {
                    h2 { "Réponses et transferts" }
                    @for (i, o) in topic.outcomes.iter().enumerate() {
                        (outcome(i + 1, o))
                    }
                }
                section.graph {
                    h2 { "Graphe de décision" }
                    @if graph {
                        figure {
                            img src=(format!("graphes/{}.svg", topic.name))
                                alt=(format!("Graphe de décision du sujet « {} »", topic.title));
                            figcaption.meta { "Questions en bleu, conditions en jaune, réponses en vert, transferts en orange." }
                        }
                    } @else {
                        p.review-missing {
                            "Le graphe de ce sujet n'a pas pu être dessiné ; "
                            code { "guichet graph --format dot --topic " (topic.name) }
                            " le donne au format DOT."
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

fn outcome(number: usize, o: &OutcomeDoc) -> Markup {
    let (class, heading) = match &o.outcome {
        Outcome::Answer { .. } => ("outcome answer", format!("Réponse {number}")),
        Outcome::Handoff { contact, .. } => {
            ("outcome handoff", format!("Transfert {number} : {contact}"))
        }
        Outcome::Goto { title, .. } => ("outcome goto", format!("Suite {number} : « {title} »")),
    };
    html! {
        article class=(class) data-location=(o.location) {
            h3 { (heading) }
            (cases(&o.cases, o.more_cases))
            @match &o.outcome {
                Outcome::Answer { text, sources } => {
                    div.text { (rich(text)) }
                    @if sources.is_empty() {
                        p.review-missing { "Aucune source citée." }
                    } @else {
                        p { "Sources :" }
                        ul.sources { @for s in sources { li { (s) } } }
                    }
                }
                Outcome::Handoff { message, .. } => {
                    @if let Some(m) = message { div.text { (rich(m)) } }
                    p.meta { "L'agent est confié à cette personne avec les réponses déjà données." }
                }
                Outcome::Goto { topic, .. } => {
                    p { "La conversation continue dans " a href=(format!("{topic}.html")) { "ce sujet" } ", sans reposer les questions déjà répondues." }
                }
            }
            p.where { "Règle : " (o.location) }
        }
    }
}

fn cases(cases: &[Case], more: bool) -> Markup {
    let clause = |case: &Case| -> Markup {
        html! {
            @if case.conditions.is_empty() {
                p { "Dans tous les cas." }
            } @else {
                ul { @for c in &case.conditions { li { "si " (c) } } }
            }
            @for p in &case.in_force {
                p.in-force { "Texte en vigueur " (p) "." }
            }
        }
    };
    html! {
        div.cases {
            @match cases {
                [one] => { (clause(one)) }
                many => {
                    p { "Dans chacun de ces cas :" }
                    ol { @for case in many { li { (clause(case)) } } }
                }
            }
            @if more {
                p.review-missing { "D'autres cas mènent aussi ici : voir le graphe de décision." }
            }
        }
    }
}

/// Light markdown: paragraphs, `- ` list items, links, ⟨values⟩.
fn rich(text: &str) -> Markup {
    html! {
        @for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            @let lines: Vec<&str> = paragraph.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            @if lines.iter().all(|l| l.starts_with("- ")) {
                ul { @for l in &lines { li { (inline(&l[2..])) } } }
            } @else {
                p { (inline(&lines.join(" "))) }
            }
        }
    }
}

/// Text with `[texte](https://…)` links and ⟨values⟩.
fn inline(text: &str) -> Markup {
    let mut pieces: Vec<Markup> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let link = link_at(rest);
        let value = rest
            .find('⟨')
            .and_then(|s| rest[s..].find('⟩').map(|e| (s, s + e + '⟩'.len_utf8())));
        match (link, value) {
            (Some((start, end, label, url)), v) if !matches!(v, Some((vs, _)) if vs < start) => {
                pieces.push(html! { (&rest[..start]) a href=(url) { (label) } });
                rest = &rest[end..];
            }
            (_, Some((start, end))) => {
                pieces.push(html! { (&rest[..start]) span.value { (&rest[start..end]) } });
                rest = &rest[end..];
            }
            _ => {
                pieces.push(html! { (rest) });
                rest = "";
            }
        }
    }
    html! { @for p in pieces { (p) } }
}

/// The first `[label](http…)` link of `text`: its start, end, label and address.
fn link_at(text: &str) -> Option<(usize, usize, &str, &str)> {
    let mut from = 0;
    while let Some(open) = text[from..].find('[').map(|i| i + from) {
        if let Some(close) = text[open..].find("](").map(|i| i + open) {
            if let Some(end) = text[close..].find(')').map(|i| i + close) {
                let url = &text[close + 2..end];
                if url.starts_with("https://") || url.starts_with("http://") {
                    return Some((open, end + 1, &text[open + 1..close], url));
                }
            }
        }
        from = open + 1;
    }
    None
}
