//! Who is named where: every declaration and use of a fact, a value of a
//! choice, a contact, a topic or a `let`, across the rule and test files of
//! a workspace. Go to definition, references, rename, hover and the outline
//! all read this index, built from the ASTs (no compilation needed, so it
//! works while other files have errors).
//!
//! A `let` is known by its topic and name; a bare name in an expression is a
//! `let` of its topic if one has that name, else a fact, else a value of a
//! choice (of the fact it is compared with, or of any fact that has it).

use crate::span::Span;
use crate::syntax::ast::*;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    Fact(String),
    /// A value of a choice fact: (fact, value).
    Value(String, String),
    Contact(String),
    Topic(String),
    /// A `let`: (topic, name).
    Let(String, String),
}

#[derive(Clone, Debug)]
pub struct Occurrence {
    pub symbol: Symbol,
    pub span: Span,
    pub declaration: bool,
}

/// The index of a workspace's files.
#[derive(Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
    pub facts: HashMap<String, FactDecl>,
    pub contacts: HashMap<String, ContactDecl>,
    pub topics: HashMap<String, TopicDecl>,
}

impl Index {
    pub fn new(rules: &[Item], tests: &[TestCase]) -> Index {
        let mut index = Index::default();
        for item in rules {
            match item {
                Item::Fact(f) => {
                    index.facts.insert(f.name.text.clone(), f.clone());
                }
                Item::Contact(c) => {
                    index.contacts.insert(c.name.text.clone(), c.clone());
                }
                Item::Topic(t) => {
                    index.topics.insert(t.name.text.clone(), t.clone());
                }
                Item::Fallback(_) | Item::Lexicon(_) => {}
            }
        }
        for item in rules {
            index.item(item);
        }
        for case in tests {
            for step in &case.steps {
                match step {
                    TestStep::Topic(n) => index.add(Symbol::Topic(n.text.clone()), n.span, false),
                    TestStep::Profile(n, _) => {
                        index.add(Symbol::Fact(n.text.clone()), n.span, false)
                    }
                    TestStep::Asks(names) => {
                        for n in names {
                            index.add(Symbol::Fact(n.text.clone()), n.span, false);
                        }
                    }
                    TestStep::ExpectHandoff(n, ..) => {
                        index.add(Symbol::Contact(n.text.clone()), n.span, false)
                    }
                    _ => {}
                }
            }
        }
        index
    }

    /// The symbol named at byte `offset` of `file`, and the span of that name.
    pub fn at(&self, file: crate::span::FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| {
            o.span.file == file
                && (o.span.start as usize) <= offset
                && offset <= o.span.end as usize
        })
    }

    pub fn declaration(&self, symbol: &Symbol) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.declaration && &o.symbol == symbol)
    }

    pub fn references<'s>(&'s self, symbol: &'s Symbol) -> impl Iterator<Item = &'s Occurrence> {
        self.occurrences.iter().filter(move |o| &o.symbol == symbol)
    }

    fn add(&mut self, symbol: Symbol, span: Span, declaration: bool) {
        self.occurrences.push(Occurrence {
            symbol,
            span,
            declaration,
        });
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Fact(f) => {
                self.add(Symbol::Fact(f.name.text.clone()), f.name.span, true);
                for option in &f.options {
                    if let FactOption::Choices(choices, _) = option {
                        for c in choices {
                            let value = Symbol::Value(f.name.text.clone(), c.name.text.clone());
                            self.add(value, c.name.span, true);
                        }
                    }
                }
            }
            Item::Contact(c) => {
                self.add(Symbol::Contact(c.name.text.clone()), c.name.span, true);
                if let ContactBody::By { fact, arms } = &c.body {
                    self.add(Symbol::Fact(fact.text.clone()), fact.span, false);
                    for arm in arms {
                        self.patterns(&arm.patterns, Some(&fact.text));
                    }
                }
            }
            Item::Lexicon(_) => {}
            Item::Fallback(f) => self.add(
                Symbol::Contact(f.contact.text.clone()),
                f.contact.span,
                false,
            ),
            Item::Topic(t) => {
                self.add(Symbol::Topic(t.name.text.clone()), t.name.span, true);
                let topic = t.name.text.clone();
                self.statements(&t.body, &topic);
            }
        }
    }

    fn statements(&mut self, stmts: &[Stmt], topic: &str) {
        for stmt in stmts {
            match stmt {
                Stmt::Match(m) => {
                    self.expr(&m.subject, topic, None);
                    let fact = self.fact_of(&m.subject, topic);
                    for arm in &m.arms {
                        self.patterns(&arm.patterns, fact.as_deref());
                        self.statements(&arm.body.stmts, topic);
                    }
                }
                Stmt::If(i) => {
                    for (condition, block) in &i.branches {
                        self.expr(condition, topic, None);
                        self.statements(&block.stmts, topic);
                    }
                    if let Some(block) = &i.otherwise {
                        self.statements(&block.stmts, topic);
                    }
                }
                Stmt::Let(l) => {
                    self.expr(&l.value, topic, None);
                    let symbol = Symbol::Let(topic.to_string(), l.name.text.clone());
                    self.add(symbol, l.name.span, true);
                }
                Stmt::Answer(a) => {
                    self.text(&a.text, topic);
                }
                Stmt::Handoff(h) => {
                    self.add(
                        Symbol::Contact(h.contact.text.clone()),
                        h.contact.span,
                        false,
                    );
                    if let Some(m) = &h.message {
                        self.text(m, topic);
                    }
                }
                Stmt::Goto(g) => self.add(Symbol::Topic(g.topic.text.clone()), g.topic.span, false),
                Stmt::InForce(f) => {
                    if let Some(at) = &f.at {
                        self.expr(at, topic, None);
                    }
                    for arm in &f.arms {
                        self.statements(&arm.body.stmts, topic);
                    }
                }
            }
        }
    }

    fn text(&mut self, text: &Text, topic: &str) {
        for part in &text.parts {
            if let TextPart::Interpolation(e) = part {
                self.expr(e, topic, None);
            }
        }
    }

    fn patterns(&mut self, patterns: &[Pattern], fact: Option<&str>) {
        for p in patterns {
            if let Pattern::Value(n) = p {
                if let Some(fact) = fact
                    .map(str::to_string)
                    .or_else(|| self.fact_with_value(&n.text))
                {
                    self.add(Symbol::Value(fact, n.text.clone()), n.span, false);
                }
            }
        }
    }

    /// The choice fact an expression is, when it is a bare fact name.
    fn fact_of(&self, e: &Expr, topic: &str) -> Option<String> {
        match &e.kind {
            ExprKind::Name(n)
                if !self.is_let(topic, &n.text) && self.facts.contains_key(&n.text) =>
            {
                Some(n.text.clone())
            }
            _ => None,
        }
    }

    fn is_let(&self, topic: &str, name: &str) -> bool {
        self.occurrences
            .iter()
            .any(|o| o.symbol == Symbol::Let(topic.to_string(), name.to_string()))
    }

    fn fact_with_value(&self, value: &str) -> Option<String> {
        let mut names: Vec<&String> = self
            .facts
            .iter()
            .filter(|(_, f)| {
                f.options.iter().any(|o| {
                    matches!(o, FactOption::Choices(c, _) if c.iter().any(|c| c.name.text == value))
                })
            })
            .map(|(n, _)| n)
            .collect();
        names.sort();
        names.first().map(|n| n.to_string())
    }

    /// `compared`: the choice fact this expression is compared with, for its values.
    fn expr(&mut self, e: &Expr, topic: &str, compared: Option<&str>) {
        match &e.kind {
            ExprKind::Name(n) => {
                let symbol = if self.is_let(topic, &n.text) {
                    Symbol::Let(topic.to_string(), n.text.clone())
                } else if self.facts.contains_key(&n.text) {
                    Symbol::Fact(n.text.clone())
                } else if let Some(fact) = compared
                    .map(str::to_string)
                    .or_else(|| self.fact_with_value(&n.text))
                {
                    Symbol::Value(fact, n.text.clone())
                } else {
                    return;
                };
                self.add(symbol, n.span, false);
            }
            ExprKind::Call(_, args) => {
                for a in args {
                    self.expr(a, topic, None);
                }
            }
            ExprKind::Unary(_, inner) => self.expr(inner, topic, None),
            ExprKind::Binary(_, l, r) => {
                let left = self.fact_of(l, topic);
                let right = self.fact_of(r, topic);
                self.expr(l, topic, right.as_deref());
                self.expr(r, topic, left.as_deref());
            }
            ExprKind::InSet(subject, items) => {
                self.expr(subject, topic, None);
                let fact = self.fact_of(subject, topic);
                for item in items {
                    if let SetItem::Value(n) = item {
                        if let Some(fact) = fact.clone().or_else(|| self.fact_with_value(&n.text)) {
                            self.add(Symbol::Value(fact, n.text.clone()), n.span, false);
                        }
                    }
                }
            }
            ExprKind::Text(t) => self.text(t, topic),
            ExprKind::Number(_) | ExprKind::Date(_) | ExprKind::Bool(_) | ExprKind::Today => {}
        }
    }
}
