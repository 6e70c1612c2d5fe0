//! Declarations: facts, contacts, the fallback and topic names.
//!
//! Runs first, over every item of every file, so later stages can resolve a
//! name declared anywhere in the program. Reports duplicates (pointing at
//! both definitions), options that do not fit a fact's kind, and contacts
//! `by` a fact that do not cover every value.

use super::program::*;
use super::suggest;
use super::Context;
use crate::problem::number;
use crate::problem::{NameKind, ProblemKind};
use crate::span::Span;
use crate::syntax::ast::{self, FactKind, FactOption, Item, Pattern, StateTag, Text, TextPart};

impl Context {
    /// Registers every declaration of `items`, in order.
    pub(super) fn declare(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::Fact(f) => self.declare_fact(f),
                Item::Topic(t) => self.declare_topic(t),
                _ => {}
            }
        }
        // Contacts and the fallback refer to facts and contacts: after all facts.
        for item in items {
            if let Item::Contact(c) = item {
                self.declare_contact(c);
            }
        }
        for item in items {
            if let Item::Fallback(f) = item {
                self.declare_fallback(f);
            }
        }
    }

    /// The text of a string that must not interpolate (questions, labels…).
    pub(super) fn plain_text(&mut self, text: &Text) -> String {
        if text.parts.contains(&TextPart::Placeholder) {
            self.report(ProblemKind::PlaceholderNotAllowed, text.span);
            return String::new();
        }
        match text.plain() {
            Some(s) => s,
            None => {
                self.report(ProblemKind::InterpolationNotAllowed, text.span);
                String::new()
            }
        }
    }

    fn declare_topic(&mut self, decl: &ast::TopicDecl) {
        let name = &decl.name;
        if let Some((_, first)) = self.topic_ids.get(&name.text) {
            let first = *first;
            self.report(duplicate(NameKind::Topic, &name.text, first), name.span);
            return;
        }
        let id = TopicId(self.topic_ids.len() as u32);
        self.topic_ids.insert(name.text.clone(), (id, name.span));
    }

    fn declare_fact(&mut self, decl: &ast::FactDecl) {
        if let Some(first) = self.fact_ids.get(&decl.name.text) {
            let first = self.facts[first.index()].span;
            self.report(
                duplicate(NameKind::Fact, &decl.name.text, first),
                decl.name.span,
            );
            return;
        }
        let fact = self.lower_fact(decl);
        self.fact_ids
            .insert(decl.name.text.clone(), FactId(self.facts.len() as u32));
        self.facts.push(fact);
        self.fact_used.push(false);
    }

    fn lower_fact(&mut self, decl: &ast::FactDecl) -> Fact {
        let question = self.plain_text(&decl.question);
        let mut fact = Fact {
            name: decl.name.text.clone(),
            ty: FactType::Text,
            question,
            help: None,
            unit: None,
            from_profile: false,
            states: Vec::new(),
            span: decl.name.span,
        };
        let mut states: Option<&ast::States> = None;
        let mut choices: Option<Vec<ChoiceValue>> = None;
        let mut range: Option<(Option<f64>, Option<f64>)> = None;
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for option in &decl.options {
            let name = option_name(option);
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                let first = *first;
                self.report(
                    ProblemKind::DuplicateOption {
                        option: name,
                        first,
                    },
                    option.span(),
                );
                continue;
            }
            seen.push((name, option.span()));
            if !option_fits(option, decl.kind) {
                let kind = kind_name(decl.kind);
                self.report(
                    ProblemKind::OptionNotForKind { option: name, kind },
                    option.span(),
                );
                continue;
            }
            match option {
                FactOption::Choices(values, _) => {
                    let (values, phrases) = self.lower_choices(values);
                    choices = Some(values);
                    fact.states.extend(phrases);
                }
                FactOption::States(s) => states = Some(s),
                FactOption::Help(text, _) => fact.help = Some(self.plain_text(text)),
                FactOption::Unit(text, _) => fact.unit = Some(self.plain_text(text)),
                FactOption::FromProfile(_) => fact.from_profile = true,
                FactOption::Range(low, high, span) => {
                    if let (Some(l), Some(h)) = (low, high) {
                        if l > h {
                            self.report(ProblemKind::InvalidRange { low: *l, high: *h }, *span);
                        }
                    }
                    range = Some((*low, *high));
                }
            }
        }
        let (min, max) = range.unwrap_or((None, None));
        fact.ty = match decl.kind {
            FactKind::Choice => match choices {
                Some(values) if !values.is_empty() => FactType::Choice(values),
                _ => {
                    self.report(ProblemKind::MissingChoices, decl.kind_span);
                    FactType::Choice(Vec::new())
                }
            },
            FactKind::YesNo => FactType::YesNo,
            FactKind::Integer => FactType::Integer { min, max },
            FactKind::Number => FactType::Number { min, max },
            FactKind::Date => FactType::Date,
            FactKind::Text => FactType::Text,
        };
        if let Some(states) = states {
            let of = match fact.ty {
                FactType::Integer { min, max } => StatesOf::Number {
                    min,
                    max,
                    integer: true,
                },
                FactType::Number { min, max } => StatesOf::Number {
                    min,
                    max,
                    integer: false,
                },
                _ => StatesOf::YesNo,
            };
            fact.states.extend(self.lower_states(states, of));
        }
        fact
    }

    /// The phrases of a `states` clause: of a choice value, of a number fact
    /// (one `{}` each, or a number before them) or of a yes/no fact (`oui`/`non`).
    fn lower_states(&mut self, states: &ast::States, of: StatesOf) -> Vec<StatePhrase> {
        let mut out = Vec::new();
        for (tag, text) in &states.phrases {
            let stated = match (tag, of) {
                (StateTag::Plain, StatesOf::Value(v)) => Stated::Choice(v),
                (StateTag::Plain, StatesOf::Number { .. }) => Stated::Number,
                (StateTag::Plain, StatesOf::YesNo) => {
                    self.report(
                        ProblemKind::StatesYesNoForm { yes_no_fact: true },
                        text.span,
                    );
                    continue;
                }
                (StateTag::Bool(b), StatesOf::YesNo) => Stated::Bool(*b),
                (StateTag::Bool(_), _) => {
                    self.report(
                        ProblemKind::StatesYesNoForm { yes_no_fact: false },
                        text.span,
                    );
                    continue;
                }
                (StateTag::Number(n), StatesOf::Number { min, max, integer }) => {
                    let outside = min.is_some_and(|m| *n < m) || max.is_some_and(|m| *n > m);
                    if outside || (integer && n.fract() != 0.0) {
                        let bounds = match (min, max) {
                            (Some(l), Some(h)) => format!("de {} à {}", number(l), number(h)),
                            (Some(l), None) => format!("à partir de {}", number(l)),
                            (None, Some(h)) => format!("jusqu'à {}", number(h)),
                            (None, None) => "tout nombre".into(),
                        };
                        let whole = if integer { ", nombres entiers" } else { "" };
                        let range = format!("{bounds}{whole}");
                        self.report(
                            ProblemKind::StatesValueOutOfRange { value: *n, range },
                            text.span,
                        );
                        continue;
                    }
                    Stated::Fixed(*n)
                }
                (StateTag::Number(_), _) => {
                    self.report(ProblemKind::StatesValueNotNumber, text.span);
                    continue;
                }
            };
            let mut pieces: Vec<String> = vec![String::new()];
            for part in &text.parts {
                match part {
                    TextPart::Literal(s) => {
                        if let Some(piece) = pieces.last_mut() {
                            piece.push_str(s);
                        }
                    }
                    TextPart::Placeholder => pieces.push(String::new()),
                    TextPart::Interpolation(_) => {
                        self.report(ProblemKind::InterpolationNotAllowed, text.span);
                        pieces.clear();
                        break;
                    }
                }
            }
            if pieces.is_empty() {
                continue;
            }
            let has_words = |s: &str| s.chars().any(char::is_alphanumeric);
            let phrase = match (stated, pieces.as_slice()) {
                (Stated::Number, [_]) => {
                    self.report(ProblemKind::StatesWithoutPlaceholder, text.span);
                    continue;
                }
                (Stated::Fixed(_), [whole]) if !has_words(whole) => {
                    self.report(ProblemKind::StatesTooVague { number: false }, text.span);
                    continue;
                }
                (Stated::Number, [before, after]) if has_words(before) || has_words(after) => {
                    StatePhrase {
                        value: stated,
                        before: before.trim().to_string(),
                        after: Some(after.trim().to_string()),
                    }
                }
                (Stated::Number, _) => {
                    self.report(ProblemKind::StatesTooVague { number: true }, text.span);
                    continue;
                }
                (_, [whole]) if has_words(whole) => StatePhrase {
                    value: stated,
                    before: whole.trim().to_string(),
                    after: None,
                },
                (_, [_]) => {
                    self.report(ProblemKind::StatesTooVague { number: false }, text.span);
                    continue;
                }
                _ => {
                    self.report(ProblemKind::PlaceholderNotAllowed, text.span);
                    continue;
                }
            };
            out.push(phrase);
        }
        out
    }

    /// The values of a choice fact, and their `states` phrases.
    fn lower_choices(&mut self, decls: &[ast::ChoiceDecl]) -> (Vec<ChoiceValue>, Vec<StatePhrase>) {
        let mut values: Vec<ChoiceValue> = Vec::new();
        let mut phrases = Vec::new();
        let mut spans: Vec<Span> = Vec::new();
        for decl in decls {
            if let Some(i) = values.iter().position(|v| v.name == decl.name.text) {
                self.report(
                    duplicate(NameKind::Value, &decl.name.text, spans[i]),
                    decl.name.span,
                );
                continue;
            }
            let label = self.plain_text(&decl.label);
            let also = decl.also.iter().map(|t| self.plain_text(t)).collect();
            if let Some(states) = &decl.states {
                let value = values.len() as u32;
                phrases.extend(self.lower_states(states, StatesOf::Value(value)));
            }
            values.push(ChoiceValue::new(decl.name.text.clone(), label, also));
            spans.push(decl.name.span);
        }
        (values, phrases)
    }

    fn declare_contact(&mut self, decl: &ast::ContactDecl) {
        if let Some(first) = self.contact_ids.get(&decl.name.text) {
            let first = self.contacts[first.index()].span;
            self.report(
                duplicate(NameKind::Contact, &decl.name.text, first),
                decl.name.span,
            );
            return;
        }
        let label = self.plain_text(&decl.label);
        let resolution = match &decl.body {
            ast::ContactBody::Fixed(channels) => ContactResolution::Fixed(self.channels(channels)),
            ast::ContactBody::By { fact, arms } => self.contact_by(decl, fact, arms),
        };
        self.contact_ids.insert(
            decl.name.text.clone(),
            ContactId(self.contacts.len() as u32),
        );
        self.contacts.push(Contact {
            name: decl.name.text.clone(),
            label,
            resolution,
            span: decl.name.span,
        });
        self.contact_used.push(false);
    }

    fn channels(&mut self, channels: &ast::Channels) -> Channels {
        channels
            .entries
            .iter()
            .map(|(kind, text)| (*kind, self.plain_text(text)))
            .collect()
    }

    fn contact_by(
        &mut self,
        decl: &ast::ContactDecl,
        fact_name: &ast::Name,
        arms: &[ast::ContactArm],
    ) -> ContactResolution {
        let lowered_arms: Vec<Channels> = arms.iter().map(|a| self.channels(&a.channels)).collect();
        let Some(fact) = self.resolve_fact(fact_name) else {
            return ContactResolution::Fixed(Vec::new());
        };
        let FactType::Choice(values) = &self.facts[fact.index()].ty else {
            let found = super::expression::fact_type_words(&self.facts[fact.index()].ty);
            self.report(
                ProblemKind::ContactByNotChoice {
                    fact: fact_name.text.clone(),
                    found,
                },
                fact_name.span,
            );
            return ContactResolution::Fixed(Vec::new());
        };
        let values = values.clone();
        let mut arm_of_value = vec![u32::MAX; values.len()];
        for (index, arm) in arms.iter().enumerate() {
            for pattern in &arm.patterns {
                let taken = self.choice_pattern(pattern, &fact_name.text, &values);
                for v in taken {
                    if arm_of_value[v] == u32::MAX {
                        arm_of_value[v] = index as u32;
                    }
                }
            }
        }
        let missing: Vec<String> = values
            .iter()
            .zip(&arm_of_value)
            .filter(|(_, arm)| **arm == u32::MAX)
            .map(|(v, _)| v.name.clone())
            .collect();
        if !missing.is_empty() {
            self.report(
                ProblemKind::ContactNotExhaustive {
                    fact: fact_name.text.clone(),
                    missing,
                },
                decl.name.span,
            );
        }
        ContactResolution::ByFact {
            fact,
            arm_of_value,
            arms: lowered_arms,
        }
    }

    /// The choice values a pattern takes (all of them for `_`); reports patterns that do not fit.
    pub(super) fn choice_pattern(
        &mut self,
        pattern: &Pattern,
        fact: &str,
        values: &[ChoiceValue],
    ) -> Vec<usize> {
        match pattern {
            Pattern::Wildcard(_) => (0..values.len()).collect(),
            Pattern::Value(name) => match values.iter().position(|v| v.name == name.text) {
                Some(i) => vec![i],
                None => {
                    self.report(unknown_value(fact, &name.text, values), name.span);
                    Vec::new()
                }
            },
            other => {
                self.report(
                    ProblemKind::PatternMismatch {
                        pattern: super::lower::pattern_words(other),
                        subject: format!("un choix (`{fact}`)"),
                        valid: format!(
                            "les valeurs de `{fact}` ({}) ou `_` (tous les cas)",
                            values
                                .iter()
                                .map(|v| format!("`{}`", v.name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                    other.span(),
                );
                Vec::new()
            }
        }
    }

    fn declare_fallback(&mut self, decl: &ast::FallbackDecl) {
        if let Some(first) = self.fallback_span {
            self.report(duplicate(NameKind::Fallback, "fallback", first), decl.span);
            return;
        }
        self.fallback_span = Some(decl.span);
        let Some(contact) = self.resolve_contact(&decl.contact) else {
            return;
        };
        let message = self.plain_text(&decl.message);
        self.fallback = Some(Fallback { contact, message });
    }

    pub(super) fn resolve_fact(&mut self, name: &ast::Name) -> Option<FactId> {
        match self.fact_ids.get(&name.text) {
            Some(id) => {
                self.fact_used[id.index()] = true;
                Some(*id)
            }
            None => {
                let suggestion = suggest(&name.text, self.fact_ids.keys().map(String::as_str));
                self.report(
                    ProblemKind::Undefined {
                        what: NameKind::Fact,
                        name: name.text.clone(),
                        suggestion,
                        declare: None,
                    },
                    name.span,
                );
                None
            }
        }
    }

    pub(super) fn resolve_contact(&mut self, name: &ast::Name) -> Option<ContactId> {
        match self.contact_ids.get(&name.text) {
            Some(id) => {
                self.contact_used[id.index()] = true;
                Some(*id)
            }
            None => {
                let suggestion = suggest(&name.text, self.contact_ids.keys().map(String::as_str));
                self.report(
                    ProblemKind::Undefined {
                        what: NameKind::Contact,
                        name: name.text.clone(),
                        suggestion,
                        declare: None,
                    },
                    name.span,
                );
                None
            }
        }
    }
}

pub(super) fn duplicate(what: NameKind, name: &str, first: Span) -> ProblemKind {
    ProblemKind::Duplicate {
        what,
        name: name.to_string(),
        first,
    }
}

pub(super) fn unknown_value(fact: &str, value: &str, values: &[ChoiceValue]) -> ProblemKind {
    ProblemKind::UnknownValue {
        fact: fact.to_string(),
        value: value.to_string(),
        suggestion: suggest(value, values.iter().map(|v| v.name.as_str())),
        values: values.iter().map(|v| v.name.clone()).collect(),
    }
}

/// What a `states` clause is attached to.
#[derive(Clone, Copy)]
enum StatesOf {
    /// The choice value of this index.
    Value(u32),
    Number {
        min: Option<f64>,
        max: Option<f64>,
        integer: bool,
    },
    YesNo,
}

fn option_name(option: &FactOption) -> &'static str {
    match option {
        FactOption::Choices(..) => "{ valeurs }",
        FactOption::Help(..) => "help",
        FactOption::FromProfile(..) => "from profile",
        FactOption::Range(..) => "range",
        FactOption::Unit(..) => "unit",
        FactOption::States(..) => "states",
    }
}

fn option_fits(option: &FactOption, kind: FactKind) -> bool {
    let number = matches!(kind, FactKind::Integer | FactKind::Number);
    match option {
        FactOption::Choices(..) => kind == FactKind::Choice,
        FactOption::Range(..) | FactOption::Unit(..) => number,
        FactOption::Help(..) | FactOption::FromProfile(..) => true,
        // A choice fact states each value after it: `contractuel "…" states "…"`.
        FactOption::States(..) => number || kind == FactKind::YesNo,
    }
}

fn kind_name(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Choice => "choice",
        FactKind::YesNo => "yesno",
        FactKind::Integer => "integer",
        FactKind::Number => "number",
        FactKind::Date => "date",
        FactKind::Text => "text",
    }
}
