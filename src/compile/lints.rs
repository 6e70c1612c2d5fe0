//! Whole-program checks that need every topic lowered: unused facts and
//! contacts, topics without triggers, triggers shared by two topics,
//! off-topic examples that are a topic's, and `goto` cycles.
//!
//! A `goto` cycle is an error even when conditions might avoid it at run
//! time: facts never change during a conversation, so a cycle that is
//! entered once is entered forever.

use super::program::{NodeKind, Topic, TopicId, OFF_TOPIC_NOTION};
use super::Context;
use crate::problem::ProblemKind;
use crate::span::Span;
use crate::syntax::ast::{LexiconDecl, TopicDecl};
use crate::text::{fold, question_key};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashMap;

pub(super) fn check(cx: &mut Context, topics: &[Topic], decls: &[&TopicDecl]) {
    unused(cx);
    for (topic, decl) in topics.iter().zip(decls) {
        if topic.triggers.is_empty() {
            cx.report(
                ProblemKind::NoTriggers {
                    topic: topic.name.clone(),
                },
                decl.name.span,
            );
        }
    }
    shared_triggers(cx, topics, decls);
    goto_cycles(cx, topics);
}

/// Warns when a trigger or an example of a topic is also one of an earlier
/// topic (compared folded: case and accents aside), since the router cannot
/// tell them apart.
fn shared_triggers(cx: &mut Context, topics: &[Topic], decls: &[&TopicDecl]) {
    let mut seen: HashMap<String, (String, Span)> = HashMap::new();
    for (topic, decl) in topics.iter().zip(decls) {
        let triggers = topic
            .triggers
            .iter()
            .zip(&decl.triggers)
            .map(|t| (t, false));
        let examples = topic.examples.iter().zip(&decl.examples).map(|t| (t, true));
        for ((text, written), example) in triggers.chain(examples) {
            let key = fold(text.trim());
            match seen.get(&key) {
                Some((first_topic, first)) if *first_topic != topic.name => {
                    let kind = ProblemKind::SharedTrigger {
                        trigger: text.clone(),
                        example,
                        topic: first_topic.clone(),
                        first: *first,
                    };
                    cx.report(kind, written.span);
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (topic.name.clone(), written.span));
                }
            }
        }
    }
}

/// The `examples` of the « hors sujet » notion (whole questions no topic
/// answers), duplicates left out. Examples are refused on any other
/// notion (a topic's examples go in the topic), and an off-topic example
/// that is also a topic's trigger or example is an error: the rules would
/// say both that no topic answers it and that one does. Both compared by
/// [`question_key`]: case, accents, punctuation and spaces aside.
pub(super) fn off_topic_examples(
    cx: &mut Context,
    topics: &[Topic],
    decls: &[&TopicDecl],
    lexicon: &[&LexiconDecl],
) -> Vec<String> {
    let mut of_topics: HashMap<String, (String, Span)> = HashMap::new();
    for (topic, decl) in topics.iter().zip(decls) {
        let triggers = topic.triggers.iter().zip(&decl.triggers);
        let examples = topic.examples.iter().zip(&decl.examples);
        for (text, written) in triggers.chain(examples) {
            of_topics
                .entry(question_key(text))
                .or_insert_with(|| (topic.name.clone(), written.span));
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for l in lexicon.iter().filter(|l| !l.examples.is_empty()) {
        let notion = cx.plain_text(&l.notion);
        if fold(notion.trim()) != OFF_TOPIC_NOTION {
            cx.report(
                ProblemKind::ExamplesOutsideOffTopic { notion },
                l.notion.span,
            );
            continue;
        }
        for written in &l.examples {
            let text = cx.plain_text(written);
            let key = question_key(&text);
            if let Some((topic, first)) = of_topics.get(&key) {
                let kind = ProblemKind::OffTopicExampleOfTopic {
                    example: text,
                    topic: topic.clone(),
                    first: *first,
                };
                cx.report(kind, written.span);
            } else if !seen.contains(&key) {
                seen.push(key);
                out.push(text);
            }
        }
    }
    out
}

fn unused(cx: &mut Context) {
    for i in 0..cx.facts.len() {
        if !cx.fact_used[i] {
            let (name, span) = (cx.facts[i].name.clone(), cx.facts[i].span);
            cx.report(ProblemKind::UnusedFact { name }, span);
        }
    }
    for i in 0..cx.contacts.len() {
        if !cx.contact_used[i] {
            let (name, span) = (cx.contacts[i].name.clone(), cx.contacts[i].span);
            cx.report(ProblemKind::UnusedContact { name }, span);
        }
    }
}

/// Reports each `goto` that belongs to a cycle of topics.
fn goto_cycles(cx: &mut Context, topics: &[Topic]) {
    let mut calls: DiGraph<(), Span, u32> = DiGraph::with_capacity(topics.len(), 0);
    for _ in topics {
        calls.add_node(());
    }
    for node in cx.graph.node_weights() {
        if let NodeKind::Goto { topic } = node.kind {
            calls.add_edge(
                NodeIndex::new(node.topic.index()),
                NodeIndex::new(topic.index()),
                node.span,
            );
        }
    }
    for component in tarjan_scc(&calls) {
        let cyclic = component.len() > 1 || calls.contains_edge(component[0], component[0]);
        if !cyclic {
            continue;
        }
        let mut members: Vec<TopicId> = component
            .iter()
            .map(|n| TopicId(n.index() as u32))
            .collect();
        members.sort();
        let cycle: Vec<String> = members
            .iter()
            .map(|t| topics[t.index()].name.clone())
            .collect();
        let first_goto = calls
            .edge_indices()
            .filter(|e| {
                calls
                    .edge_endpoints(*e)
                    .is_some_and(|(a, b)| component.contains(&a) && component.contains(&b))
            })
            .filter_map(|e| calls.edge_weight(e).copied())
            .min();
        if let Some(span) = first_goto {
            cx.report(ProblemKind::GotoCycle { cycle }, span);
        }
    }
}
