//! Lowering: a topic's statements become nodes of the decision graph.
//!
//! Statements are lowered front to back for scopes (a `let` is seen by what
//! follows it) and with an explicit continuation: `cont` is the node a block
//! goes to when it falls off its end. A block that falls off with no
//! continuation is a path without outcome (`E403`). `match` arms are turned
//! into a dispatch table here, which is also where coverage (`E401`) and
//! unreachable arms (`W001`) are found. Before each node that reads facts,
//! `Ask` nodes make sure the facts it always needs are known.

use super::coverage;
use super::expression::{Scope, Type};
use super::program::*;
use super::Context;
use crate::problem::{number, NameKind, ProblemKind};
use crate::span::Span;
use crate::syntax::ast::{self, CompareOp, Pattern, Stmt};
use crate::syntax::expression::Writer;
use crate::syntax::keywords::Language;

pub(super) fn lower_topic(cx: &mut Context, decl: &ast::TopicDecl, topic: TopicId) -> NodeId {
    let mut lowerer = Lowerer {
        cx,
        topic,
        path: Vec::new(),
    };
    lowerer.seq(&decl.body, decl.end, &Scope::default(), None)
}

struct Lowerer<'c> {
    cx: &'c mut Context,
    topic: TopicId,
    /// The conditions that lead to the statements being lowered, as code
    /// (« `ok` = non »), to name a path that ends without outcome.
    path: Vec<String>,
}

impl Lowerer<'_> {
    /// Lowers `stmts`; falling off the end goes to `cont`, or is reported at `end`.
    fn seq(&mut self, stmts: &[Stmt], end: Span, scope: &Scope, cont: Option<NodeId>) -> NodeId {
        let Some((first, rest)) = stmts.split_first() else {
            return match cont {
                Some(node) => node,
                None => self.missing_outcome(end, false),
            };
        };
        if let Stmt::Let(l) = first {
            return self.let_stmt(l, rest, end, scope, cont);
        }
        let after = if terminates(first) {
            if let Some(next) = rest.first() {
                self.cx.report(
                    ProblemKind::UnreachableStatement {
                        after: first.span(),
                    },
                    next.span(),
                );
            }
            None
        } else if rest.is_empty() {
            cont
        } else {
            Some(self.seq(rest, end, scope, cont))
        };
        match first {
            Stmt::If(i) => self.if_stmt(i, end, scope, after),
            Stmt::Match(m) => self.match_stmt(m, scope, after),
            Stmt::Answer(a) => self.answer(a, scope),
            Stmt::Handoff(h) => self.handoff(h, scope),
            Stmt::Goto(g) => self.goto(g),
            Stmt::InForce(f) => self.in_force(f, scope, after),
            Stmt::Let(_) => unreachable!("handled above"),
        }
    }

    /// Reports the current path as ending without outcome at `end`;
    /// `no_else` when it is the missing `else` of an `if`.
    fn missing_outcome(&mut self, end: Span, no_else: bool) -> NodeId {
        let name = self
            .cx
            .topic_ids
            .iter()
            .find(|(_, (id, _))| *id == self.topic)
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        // An outcome that compiles: a hand-off to the fallback's contact, or to any contact.
        let contact = self
            .cx
            .fallback
            .as_ref()
            .map(|f| f.contact)
            .or((!self.cx.contacts.is_empty()).then_some(ContactId(0)))
            .map(|c| self.cx.contacts[c.index()].name.clone());
        let outcome = match contact {
            Some(contact) => format!("handoff {contact}"),
            None => "answer \"…\" source \"…\"".to_string(),
        };
        let fix = if no_else {
            format!("else {{ {outcome} }}")
        } else {
            outcome
        };
        self.cx.report(
            ProblemKind::MissingOutcome {
                topic: name,
                path: self.path.clone(),
                fix,
                no_else,
            },
            end,
        );
        self.placeholder(end)
    }

    /// Lowers `stmts` with `condition` added to the path.
    fn seq_on(
        &mut self,
        condition: String,
        stmts: &[Stmt],
        end: Span,
        scope: &Scope,
        cont: Option<NodeId>,
    ) -> NodeId {
        self.path.push(condition);
        let node = self.seq(stmts, end, scope, cont);
        self.path.pop();
        node
    }

    /// `condition` as code, taken (`holds`) or not, for a path.
    fn condition_words(condition: &ast::Expr, holds: bool) -> String {
        let code = Writer {
            language: Language::English,
            source: None,
        }
        .expr(condition);
        let value = if holds { "oui" } else { "non" };
        match &condition.kind {
            ast::ExprKind::Name(_) => format!("`{code}` = {value}"),
            _ => format!("`{code}` vaut {value}"),
        }
    }

    fn let_stmt(
        &mut self,
        l: &ast::LetStmt,
        rest: &[Stmt],
        end: Span,
        scope: &Scope,
        cont: Option<NodeId>,
    ) -> NodeId {
        let (value, ty) = self.cx.expr(&l.value, scope, None);
        let name = &l.name.text;
        let first = scope
            .locals
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(.., s)| *s)
            .or_else(|| {
                self.cx
                    .fact_ids
                    .get(name)
                    .map(|f| self.cx.facts[f.index()].span)
            });
        if let Some(first) = first {
            self.cx.report(
                ProblemKind::Duplicate {
                    what: NameKind::Let,
                    name: name.clone(),
                    first,
                },
                l.name.span,
            );
        }
        let local = LocalId(self.cx.local_names.len() as u32);
        self.cx.local_names.push(name.clone());
        let mut inner = scope.clone();
        inner.locals.push((name.clone(), local, ty, l.name.span));
        let next = self.seq(rest, end, &inner, cont);
        let asks = strict_facts(&value);
        let node = self.add(
            NodeKind::Let { local, value, next },
            l.span,
            vec![EdgeLabel::Next],
        );
        self.with_asks(asks, node, l.span)
    }

    fn if_stmt(
        &mut self,
        i: &ast::IfStmt,
        end: Span,
        scope: &Scope,
        after: Option<NodeId>,
    ) -> NodeId {
        let conditions: Vec<Expr> = i
            .branches
            .iter()
            .map(|(c, _)| {
                self.cx
                    .expect(c, scope, Type::Bool, "la condition d'un `if`")
            })
            .collect();
        let all_false: Vec<String> = i
            .branches
            .iter()
            .map(|(c, _)| Self::condition_words(c, false))
            .collect();
        let depth = self.path.len();
        self.path.extend(all_false.iter().cloned());
        let mut otherwise = match &i.otherwise {
            Some(block) => self.seq(&block.stmts, block.end, scope, after),
            None => match after {
                Some(node) => node,
                // Pointed at the `}` after which the `else` is missing.
                None => {
                    let last = i.branches.last().map_or(end, |(_, b)| b.end);
                    self.missing_outcome(last, true)
                }
            },
        };
        self.path.truncate(depth);
        for (index, (condition, (c, block))) in
            conditions.into_iter().zip(&i.branches).enumerate().rev()
        {
            self.path.extend(all_false[..index].iter().cloned());
            let then = self.seq_on(
                Self::condition_words(c, true),
                &block.stmts,
                block.end,
                scope,
                after,
            );
            self.path.truncate(depth);
            let asks = strict_facts(&condition);
            let node = self.add(
                NodeKind::If {
                    condition,
                    then,
                    otherwise,
                },
                c.span,
                vec![EdgeLabel::Yes, EdgeLabel::No],
            );
            otherwise = self.with_asks(asks, node, c.span);
        }
        otherwise
    }

    fn match_stmt(&mut self, m: &ast::MatchStmt, scope: &Scope, after: Option<NodeId>) -> NodeId {
        let (subject, ty) = self.cx.expr(&m.subject, scope, None);
        let dispatch = match ty {
            Type::Choice(fact) => Some(self.choice_dispatch(m, fact)),
            Type::Bool => Some(self.yes_no_dispatch(m)),
            Type::Number { integer } => {
                let domain = self.number_domain(&subject);
                Some(self.number_dispatch(m, domain, integer))
            }
            Type::Error => None,
            Type::Date | Type::Text => {
                let found = self.cx.type_words(ty);
                self.cx
                    .report(ProblemKind::CannotMatch { found }, m.subject.span);
                None
            }
        };
        let subject_code = Writer {
            language: Language::English,
            source: None,
        }
        .expr(&m.subject);
        let arms: Vec<NodeId> = m
            .arms
            .iter()
            .map(|arm| {
                let patterns = arm
                    .patterns
                    .iter()
                    .map(pattern_text)
                    .collect::<Vec<_>>()
                    .join(" | ");
                let condition = format!("`{subject_code}` = `{patterns}`");
                self.seq_on(condition, &arm.body.stmts, arm.body.end, scope, after)
            })
            .collect();
        let labels = m
            .arms
            .iter()
            .map(|arm| {
                EdgeLabel::Arm(
                    arm.patterns
                        .iter()
                        .map(pattern_text)
                        .collect::<Vec<_>>()
                        .join(" | "),
                )
            })
            .collect();
        let asks = strict_facts(&subject);
        let dispatch = dispatch.unwrap_or(Dispatch::YesNo { yes: 0, no: 0 });
        let node = self.add(
            NodeKind::Match {
                subject,
                dispatch,
                arms,
            },
            m.subject.span,
            labels,
        );
        self.with_asks(asks, node, m.subject.span)
    }

    /// `in force`: a `match` on a date whose arms are periods, which must
    /// hold every date exactly once (no gap: `E405`, no overlap: `E406`).
    fn in_force(&mut self, f: &ast::InForceStmt, scope: &Scope, after: Option<NodeId>) -> NodeId {
        let subject = match &f.at {
            Some(at) => self
                .cx
                .expect(at, scope, Type::Date, "la date d'un `in force`"),
            None => Expr {
                kind: ExprKind::Today,
                span: f.keyword,
            },
        };
        let errors_before = self.errors();
        let periods: Vec<Period> = f.arms.iter().map(|arm| self.period(arm)).collect();
        if self.errors() == errors_before {
            self.check_periods(f, &periods);
        }
        let arms: Vec<NodeId> = f
            .arms
            .iter()
            .map(|arm| self.seq(&arm.body.stmts, arm.body.end, scope, after))
            .collect();
        let labels = periods.iter().map(|p| EdgeLabel::Arm(p.words())).collect();
        let asks = strict_facts(&subject);
        let span = f.at.as_ref().map_or(f.keyword, |at| f.keyword.to(at.span));
        let node = self.add(
            NodeKind::Match {
                subject,
                dispatch: Dispatch::Period { periods },
                arms,
            },
            span,
            labels,
        );
        self.with_asks(asks, node, span)
    }

    /// The dates of one period arm, reporting dates that do not exist and empty periods.
    fn period(&mut self, arm: &ast::PeriodArm) -> Period {
        let mut day = |lit: &Option<ast::DateLit>| {
            let lit = lit.as_ref()?;
            let date = super::expression::parse_date(&lit.text);
            if date.is_none() {
                self.cx.report(
                    ProblemKind::InvalidDate {
                        text: lit.text.clone(),
                    },
                    lit.span,
                );
            }
            date
        };
        let period = Period {
            from: day(&arm.from),
            until: day(&arm.until),
        };
        if let (Some(from), Some(until)) = (period.from, period.until) {
            if from > until {
                self.cx.report(
                    ProblemKind::EmptyPeriod {
                        from: day_words(from),
                        until: day_words(until),
                    },
                    arm.period_span,
                );
            }
        }
        period
    }

    /// Reports the dates no period holds and the periods that share dates.
    fn check_periods(&mut self, f: &ast::InForceStmt, periods: &[Period]) {
        let intervals: Vec<Interval> = periods.iter().map(Period::interval).collect();
        for (later, arm) in f.arms.iter().enumerate() {
            let overlap = (0..later).find_map(|earlier| {
                let shared = coverage::intersect(intervals[earlier], intervals[later])?;
                let shared = coverage::subtract(shared, &[], true);
                (!shared.is_empty()).then(|| (earlier, shared[0]))
            });
            if let Some((earlier, shared)) = overlap {
                self.cx.report(
                    ProblemKind::PeriodOverlap {
                        shared: Period::of_interval(shared).words(),
                        first: f.arms[earlier].period_span,
                    },
                    arm.period_span,
                );
            }
        }
        let missing: Vec<String> = coverage::subtract(Interval::ALL, &intervals, true)
            .into_iter()
            .map(|gap| Period::of_interval(gap).words())
            .collect();
        if !missing.is_empty() {
            self.cx
                .report(ProblemKind::PeriodGap { missing }, f.keyword);
        }
    }

    fn choice_dispatch(&mut self, m: &ast::MatchStmt, fact: FactId) -> Dispatch {
        let errors_before = self.errors();
        let values = self.cx.facts[fact.index()].ty.choices().to_vec();
        let fact_name = self.cx.facts[fact.index()].name.clone();
        let mut arm_of_value = vec![u32::MAX; values.len()];
        for (index, arm) in m.arms.iter().enumerate() {
            let mut new = false;
            for pattern in &arm.patterns {
                for v in self.cx.choice_pattern(pattern, &fact_name, &values) {
                    if arm_of_value[v] == u32::MAX {
                        arm_of_value[v] = index as u32;
                        new = true;
                    }
                }
            }
            self.warn_if_unreachable(new, arm);
        }
        let missing: Vec<String> = values
            .iter()
            .zip(&arm_of_value)
            .filter(|(_, a)| **a == u32::MAX)
            .map(|(v, _)| format!("`{}`", v.name))
            .collect();
        self.report_missing(missing, m.subject.span, errors_before);
        Dispatch::Choice { arm_of_value }
    }

    fn yes_no_dispatch(&mut self, m: &ast::MatchStmt) -> Dispatch {
        let errors_before = self.errors();
        let mut slots = [u32::MAX; 2];
        for (index, arm) in m.arms.iter().enumerate() {
            let mut new = false;
            for pattern in &arm.patterns {
                let taken: &[usize] = match pattern {
                    Pattern::Yes(_) => &[0],
                    Pattern::No(_) => &[1],
                    Pattern::Wildcard(_) => &[0, 1],
                    other => {
                        self.pattern_mismatch(
                            other,
                            "une valeur oui/non".into(),
                            "`oui`, `non` ou `_` (tous les cas)".into(),
                        );
                        &[]
                    }
                };
                for &slot in taken {
                    if slots[slot] == u32::MAX {
                        slots[slot] = index as u32;
                        new = true;
                    }
                }
            }
            self.warn_if_unreachable(new, arm);
        }
        let missing = ["`oui`", "`non`"]
            .iter()
            .zip(slots)
            .filter(|(_, s)| *s == u32::MAX)
            .map(|(n, _)| n.to_string())
            .collect();
        self.report_missing(missing, m.subject.span, errors_before);
        Dispatch::YesNo {
            yes: slots[0],
            no: slots[1],
        }
    }

    /// The declared range of a fact subject, or every number.
    fn number_domain(&self, subject: &Expr) -> Interval {
        match &subject.kind {
            ExprKind::Fact(f) => match &self.cx.facts[f.index()].ty {
                FactType::Integer { min, max } | FactType::Number { min, max } => {
                    coverage::domain(*min, *max)
                }
                _ => Interval::ALL,
            },
            _ => Interval::ALL,
        }
    }

    fn number_dispatch(&mut self, m: &ast::MatchStmt, domain: Interval, integer: bool) -> Dispatch {
        let errors_before = self.errors();
        let mut intervals: Vec<(Interval, u32)> = Vec::new();
        for (index, arm) in m.arms.iter().enumerate() {
            let mut new = false;
            for pattern in &arm.patterns {
                let Some(interval) = self.number_pattern(pattern) else {
                    continue;
                };
                let taken: Vec<Interval> = intervals.iter().map(|(i, _)| *i).collect();
                let in_domain = coverage::intersect(interval, domain);
                if in_domain.is_some_and(|i| !coverage::subtract(i, &taken, integer).is_empty()) {
                    new = true;
                }
                intervals.push((interval, index as u32));
            }
            self.warn_if_unreachable(new, arm);
        }
        let taken: Vec<Interval> = intervals.iter().map(|(i, _)| *i).collect();
        let missing = coverage::subtract(domain, &taken, integer)
            .into_iter()
            .map(coverage::describe)
            .collect();
        self.report_missing(missing, m.subject.span, errors_before);
        Dispatch::Number { intervals }
    }

    fn number_pattern(&mut self, pattern: &Pattern) -> Option<Interval> {
        let point = |n: f64| Interval {
            lo: n,
            lo_inclusive: true,
            hi: n,
            hi_inclusive: true,
        };
        Some(match pattern {
            Pattern::Wildcard(_) => Interval::ALL,
            Pattern::Number(n, _) => point(*n),
            Pattern::Range(lo, hi, span) => {
                if let (Some(l), Some(h)) = (lo, hi) {
                    if l > h {
                        self.cx
                            .report(ProblemKind::InvalidRange { low: *l, high: *h }, *span);
                        return None;
                    }
                }
                coverage::domain(*lo, *hi)
            }
            Pattern::Compare(op, n, _) => match op {
                CompareOp::Lt => Interval {
                    hi: *n,
                    hi_inclusive: false,
                    ..Interval::ALL
                },
                CompareOp::Le => Interval {
                    hi: *n,
                    hi_inclusive: true,
                    ..Interval::ALL
                },
                CompareOp::Gt => Interval {
                    lo: *n,
                    lo_inclusive: false,
                    ..Interval::ALL
                },
                CompareOp::Ge => Interval {
                    lo: *n,
                    lo_inclusive: true,
                    ..Interval::ALL
                },
            },
            other => {
                self.pattern_mismatch(
                    other,
                    "un nombre".into(),
                    "un nombre (`5`), un intervalle (`1..4`, `10..`, `..3`), une comparaison (`< 35`, `>= 35`) ou `_` (tous les cas)".into(),
                );
                return None;
            }
        })
    }

    fn pattern_mismatch(&mut self, pattern: &Pattern, subject: String, valid: String) {
        self.cx.report(
            ProblemKind::PatternMismatch {
                pattern: pattern_words(pattern),
                subject,
                valid,
            },
            pattern.span(),
        );
    }

    fn errors(&self) -> usize {
        self.cx.problems.iter().filter(|p| p.is_error()).count()
    }

    fn warn_if_unreachable(&mut self, takes_something: bool, arm: &ast::MatchArm) {
        if !takes_something {
            let span = arm
                .patterns
                .iter()
                .map(Pattern::span)
                .reduce(Span::to)
                .unwrap_or(arm.span);
            self.cx.report(ProblemKind::UnreachableArm, span);
        }
    }

    /// Reports uncovered cases, unless a pattern of this `match` was itself wrong
    /// (`errors_before` is the error count before its patterns were read).
    fn report_missing(&mut self, missing: Vec<String>, span: Span, errors_before: usize) {
        if !missing.is_empty() && self.errors() == errors_before {
            self.cx.report(ProblemKind::NonExhaustive { missing }, span);
        }
    }

    fn answer(&mut self, a: &ast::AnswerStmt, scope: &Scope) -> NodeId {
        let text = self.cx.template(&a.text, scope);
        let sources: Vec<String> = a.sources.iter().map(|s| self.cx.plain_text(s)).collect();
        if sources.is_empty() {
            self.cx.report(ProblemKind::NoSource, a.text.span);
        }
        let asks = template_facts(&text);
        let node = self.add(NodeKind::Answer { text, sources }, a.span, Vec::new());
        self.with_asks(asks, node, a.span)
    }

    fn handoff(&mut self, h: &ast::HandoffStmt, scope: &Scope) -> NodeId {
        let message = h.message.as_ref().map(|m| self.cx.template(m, scope));
        let Some(contact) = self.cx.resolve_contact(&h.contact) else {
            return self.placeholder(h.span);
        };
        let mut asks = Vec::new();
        if let ContactResolution::ByFact { fact, .. } =
            &self.cx.contacts[contact.index()].resolution
        {
            asks.push(*fact);
        }
        if let Some(m) = &message {
            for f in template_facts(m) {
                if !asks.contains(&f) {
                    asks.push(f);
                }
            }
        }
        let node = self.add(NodeKind::Handoff { contact, message }, h.span, Vec::new());
        self.with_asks(asks, node, h.span)
    }

    fn goto(&mut self, g: &ast::GotoStmt) -> NodeId {
        match self.cx.topic_ids.get(&g.topic.text) {
            Some((id, _)) => {
                let topic = *id;
                self.add(NodeKind::Goto { topic }, g.span, Vec::new())
            }
            None => {
                let suggestion =
                    super::suggest(&g.topic.text, self.cx.topic_ids.keys().map(String::as_str));
                self.cx.report(
                    ProblemKind::Undefined {
                        what: NameKind::Topic,
                        name: g.topic.text.clone(),
                        suggestion,
                        declare: None,
                    },
                    g.topic.span,
                );
                self.placeholder(g.span)
            }
        }
    }

    /// A node standing for a statement that could not be lowered; the program is refused anyway.
    fn placeholder(&mut self, span: Span) -> NodeId {
        self.add(
            NodeKind::Answer {
                text: Template { parts: Vec::new() },
                sources: Vec::new(),
            },
            span,
            Vec::new(),
        )
    }

    /// Adds a node and one edge per successor, labelled in order.
    fn add(&mut self, kind: NodeKind, span: Span, labels: Vec<EdgeLabel>) -> NodeId {
        let successors = kind.successors();
        let node = self.cx.graph.add_node(Node {
            kind,
            span,
            topic: self.topic,
        });
        for (target, label) in successors.into_iter().zip(labels) {
            self.cx.graph.add_edge(node, target, label);
        }
        node
    }

    /// Puts `Ask` nodes for `facts`, in order, in front of `node`.
    fn with_asks(&mut self, facts: Vec<FactId>, node: NodeId, span: Span) -> NodeId {
        facts.into_iter().rev().fold(node, |next, fact| {
            self.add(NodeKind::Ask { fact, next }, span, vec![EdgeLabel::Next])
        })
    }
}

/// Whether no path through `stmt` goes on to the next statement.
fn terminates(stmt: &Stmt) -> bool {
    let block = |stmts: &[Stmt]| stmts.iter().any(terminates);
    match stmt {
        Stmt::Answer(_) | Stmt::Handoff(_) | Stmt::Goto(_) => true,
        Stmt::Let(_) => false,
        Stmt::If(i) => {
            i.otherwise.as_ref().is_some_and(|b| block(&b.stmts))
                && i.branches.iter().all(|(_, b)| block(&b.stmts))
        }
        Stmt::Match(m) => !m.arms.is_empty() && m.arms.iter().all(|a| block(&a.body.stmts)),
        Stmt::InForce(f) => !f.arms.is_empty() && f.arms.iter().all(|a| block(&a.body.stmts)),
    }
}

/// The facts an expression reads whatever their values: those worth asking up front.
/// The right side of `and`/`or` is read only when needed, so it is left to the walk.
fn strict_facts(e: &Expr) -> Vec<FactId> {
    let mut out = Vec::new();
    collect_strict(e, &mut out);
    out
}

fn collect_strict(e: &Expr, out: &mut Vec<FactId>) {
    match &e.kind {
        ExprKind::Fact(f) if !out.contains(f) => out.push(*f),
        ExprKind::Not(inner)
        | ExprKind::Neg(inner)
        | ExprKind::InChoices(inner, _)
        | ExprKind::InNumbers(inner, _) => collect_strict(inner, out),
        ExprKind::Binary(BinaryOp::And | BinaryOp::Or, lhs, _) => collect_strict(lhs, out),
        ExprKind::Binary(_, lhs, rhs) => {
            collect_strict(lhs, out);
            collect_strict(rhs, out);
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| collect_strict(a, out)),
        _ => {}
    }
}

fn template_facts(t: &Template) -> Vec<FactId> {
    let mut out = Vec::new();
    for part in &t.parts {
        if let TemplatePart::Value { expr, .. } = part {
            collect_strict(expr, &mut out);
        }
    }
    out
}

/// A pattern as it would be written, for edge labels.
fn pattern_text(p: &Pattern) -> String {
    match p {
        Pattern::Wildcard(_) => "_".into(),
        Pattern::Yes(_) => "oui".into(),
        Pattern::No(_) => "non".into(),
        Pattern::Value(n) => n.text.clone(),
        Pattern::Number(n, _) => number(*n),
        Pattern::Range(lo, hi, _) => format!(
            "{}..{}",
            lo.map(number).unwrap_or_default(),
            hi.map(number).unwrap_or_default()
        ),
        Pattern::Compare(op, n, _) => {
            let op = match op {
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            format!("{op} {}", number(*n))
        }
    }
}

/// A pattern described in words, for messages.
pub(super) fn pattern_words(p: &Pattern) -> String {
    match p {
        Pattern::Wildcard(_) => "`_`".into(),
        Pattern::Yes(_) | Pattern::No(_) => format!("`{}`, une valeur oui/non", pattern_text(p)),
        Pattern::Value(n) => format!("`{}`, une valeur de choix", n.text),
        Pattern::Number(..) | Pattern::Range(..) | Pattern::Compare(..) => {
            format!("`{}`, un nombre", pattern_text(p))
        }
    }
}
