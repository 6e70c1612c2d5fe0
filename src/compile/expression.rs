//! Expressions: names resolved, types checked, turned into [`Expr`].
//!
//! A bare name is, in order: a `let` of an enclosing block, a fact, or —
//! where a value of a choice is expected (`statut == titulaire`,
//! `statut in {…}`) — that choice's value. Types are the [`Type`] below; the
//! `Error` type follows an expression already reported, so one mistake
//! gives one diagnostic, not a cascade.

use super::program::{
    BinaryOp, Expr, ExprKind, FactId, FactType, Function, LocalId, Template, TemplatePart,
};
use super::suggest;
use super::Context;
use crate::problem::{NameKind, ProblemKind};
use crate::span::Span;
use crate::syntax::ast::{self, SetItem, Text, TextPart, UnaryOp};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Type {
    Bool,
    Number { integer: bool },
    Date,
    Text,
    Choice(FactId),
    Error,
}

/// The `let` names visible at a point of a topic, innermost last.
#[derive(Clone, Default)]
pub(super) struct Scope {
    pub locals: Vec<(String, LocalId, Type, Span)>,
}

impl Scope {
    fn find(&self, name: &str) -> Option<&(String, LocalId, Type, Span)> {
        self.locals.iter().rev().find(|(n, ..)| n == name)
    }
}

impl Context {
    /// The type of a fact's values.
    pub(super) fn fact_type(&self, id: FactId) -> Type {
        match &self.facts[id.index()].ty {
            FactType::Choice(_) => Type::Choice(id),
            FactType::YesNo => Type::Bool,
            FactType::Integer { .. } => Type::Number { integer: true },
            FactType::Number { .. } => Type::Number { integer: false },
            FactType::Date => Type::Date,
            FactType::Text => Type::Text,
        }
    }

    pub(super) fn type_words(&self, ty: Type) -> String {
        match ty {
            Type::Bool => "une valeur oui/non".into(),
            Type::Number { .. } => "un nombre".into(),
            Type::Date => "une date".into(),
            Type::Text => "un texte".into(),
            Type::Choice(f) => format!("un choix (`{}`)", self.facts[f.index()].name),
            Type::Error => "une expression invalide".into(),
        }
    }

    /// Checks an expression that must have type `expected` in `context` ("la condition d'un `if`").
    pub(super) fn expect(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        expected: Type,
        context: &str,
    ) -> Expr {
        if let ast::ExprKind::Name(_) = e.kind {
            self.wanted = Some(expected);
        }
        let (expr, found) = self.expr(e, scope, None);
        self.wanted = None;
        if !compatible(found, expected) {
            self.report(
                ProblemKind::TypeMismatch {
                    context: context.to_string(),
                    expected: self.type_words(expected),
                    found: self.type_words(found),
                },
                e.span,
            );
        }
        expr
    }

    /// Checks an expression; `choice` is the choice whose values a bare name may be.
    pub(super) fn expr(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        choice: Option<FactId>,
    ) -> (Expr, Type) {
        let (kind, ty) = match &e.kind {
            ast::ExprKind::Number(n) => (
                ExprKind::Number(*n),
                Type::Number {
                    integer: n.fract() == 0.0,
                },
            ),
            ast::ExprKind::Bool(b) => (ExprKind::Bool(*b), Type::Bool),
            ast::ExprKind::Today => (ExprKind::Today, Type::Date),
            ast::ExprKind::Date(text) => match parse_date(text) {
                Some(d) => (ExprKind::Date(d), Type::Date),
                None => {
                    self.report(ProblemKind::InvalidDate { text: text.clone() }, e.span);
                    (ExprKind::Bool(false), Type::Error)
                }
            },
            ast::ExprKind::Text(t) => (ExprKind::Text(self.plain_text(t)), Type::Text),
            ast::ExprKind::Name(name) => self.name(name, scope, choice),
            ast::ExprKind::Call(name, args) => self.call(name, args, scope, e.span),
            ast::ExprKind::Unary(UnaryOp::Not, inner) => {
                let inner = self.expect(inner, scope, Type::Bool, "`not`");
                (ExprKind::Not(Box::new(inner)), Type::Bool)
            }
            ast::ExprKind::Unary(UnaryOp::Neg, inner) => {
                let (inner, ty) = self.expr(inner, scope, None);
                let ty = self.number_operand(ty, "-", e.span);
                (ExprKind::Neg(Box::new(inner)), ty)
            }
            ast::ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, scope, e.span),
            ast::ExprKind::InSet(subject, items) => self.in_set(subject, items, scope, e.span),
        };
        (Expr { kind, span: e.span }, ty)
    }

    fn name(
        &mut self,
        name: &ast::Name,
        scope: &Scope,
        choice: Option<FactId>,
    ) -> (ExprKind, Type) {
        if let Some((_, local, ty, _)) = scope.find(&name.text) {
            return (ExprKind::Local(*local), *ty);
        }
        if let Some(&fact) = self.fact_ids.get(&name.text) {
            self.fact_used[fact.index()] = true;
            return (ExprKind::Fact(fact), self.fact_type(fact));
        }
        if let Some(fact) = choice {
            let values = self.facts[fact.index()].ty.choices();
            if let Some(i) = values.iter().position(|v| v.name == name.text) {
                return (ExprKind::Choice(i as u32), Type::Choice(fact));
            }
            let kind = super::declarations::unknown_value(
                &self.facts[fact.index()].name,
                &name.text,
                values,
            );
            self.report(kind, name.span);
            return (ExprKind::Bool(false), Type::Error);
        }
        // Only names of a type that fits where this one is used are suggested.
        let wanted = self.wanted.take();
        let fits = |ty: Type| wanted.map_or(true, |w| compatible(ty, w));
        let locals = scope
            .locals
            .iter()
            .filter(|(_, _, ty, _)| fits(*ty))
            .map(|(n, ..)| n.as_str());
        let facts = self
            .fact_ids
            .iter()
            .filter(|(_, id)| fits(self.fact_type(**id)))
            .map(|(n, _)| n.as_str());
        let suggestion = suggest(&name.text, locals.chain(facts));
        self.report(
            ProblemKind::Undefined {
                what: NameKind::Variable,
                name: name.text.clone(),
                suggestion,
                declare: Some(fact_line(&name.text, wanted)),
            },
            name.span,
        );
        (ExprKind::Bool(false), Type::Error)
    }

    /// Whether `e` is a bare name that only makes sense as a choice value.
    fn is_value_name(&self, e: &ast::Expr, scope: &Scope) -> bool {
        matches!(&e.kind, ast::ExprKind::Name(n)
            if scope.find(&n.text).is_none() && !self.fact_ids.contains_key(&n.text))
    }

    fn call(
        &mut self,
        name: &ast::Name,
        args: &[ast::Expr],
        scope: &Scope,
        span: Span,
    ) -> (ExprKind, Type) {
        let Some(function) = Function::ALL
            .iter()
            .find(|(n, _)| *n == name.text)
            .map(|(_, f)| *f)
        else {
            let suggestion = suggest(&name.text, Function::ALL.iter().map(|(n, _)| *n));
            self.report(
                ProblemKind::Undefined {
                    what: NameKind::Function,
                    name: name.text.clone(),
                    suggestion,
                    declare: None,
                },
                name.span,
            );
            return (ExprKind::Bool(false), Type::Error);
        };
        if args.len() != function.arity() {
            self.report(
                ProblemKind::WrongArity {
                    function: name.text.clone(),
                    expected: function.arity(),
                    found: args.len(),
                },
                span,
            );
            return (ExprKind::Bool(false), Type::Error);
        }
        let context = format!("`{}`", name.text);
        let (checked, ty) = match function {
            Function::Years | Function::Months | Function::Days => (
                args.iter()
                    .map(|a| self.expect(a, scope, Type::Date, &context))
                    .collect(),
                Type::Number { integer: true },
            ),
            Function::Round | Function::Floor | Function::Ceil => (
                args.iter()
                    .map(|a| self.expect(a, scope, Type::Number { integer: false }, &context))
                    .collect(),
                Type::Number { integer: true },
            ),
            Function::Money => (
                vec![self.expect(&args[0], scope, Type::Number { integer: false }, &context)],
                Type::Text,
            ),
            Function::Plural => (
                vec![
                    self.expect(&args[0], scope, Type::Number { integer: false }, &context),
                    self.expect(&args[1], scope, Type::Text, &context),
                    self.expect(&args[2], scope, Type::Text, &context),
                ],
                Type::Text,
            ),
            Function::Min | Function::Max => {
                let mut integer = true;
                let checked = args
                    .iter()
                    .map(|a| {
                        let (e, ty) = self.expr(a, scope, None);
                        let ty = self.number_operand(ty, &name.text, a.span);
                        integer &= ty == Type::Number { integer: true };
                        e
                    })
                    .collect();
                (checked, Type::Number { integer })
            }
        };
        (ExprKind::Call(function, checked), ty)
    }

    /// Checks that an operand is a number; returns the operation's type.
    fn number_operand(&mut self, ty: Type, op: &str, span: Span) -> Type {
        match ty {
            Type::Number { .. } | Type::Error => ty,
            other => {
                self.report(
                    ProblemKind::TypeMismatch {
                        context: format!("`{op}`"),
                        expected: "un nombre".into(),
                        found: self.type_words(other),
                    },
                    span,
                );
                Type::Error
            }
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        scope: &Scope,
        span: Span,
    ) -> (ExprKind, Type) {
        use BinaryOp::*;
        // A bare unknown name next to `and`/`or` is yes/no, next to `<` or `+` a number.
        let wanted = match op {
            And | Or => Some(Type::Bool),
            Lt | Le | Gt | Ge | Add | Sub | Mul | Div => Some(Type::Number { integer: true }),
            Eq | Ne => None,
        };
        let operand = |this: &mut Self, e: &ast::Expr, choice| {
            if let ast::ExprKind::Name(_) = e.kind {
                this.wanted = wanted;
            }
            let checked = this.expr(e, scope, choice);
            this.wanted = None;
            checked
        };
        let (l, lt, r, rt) = if matches!(op, Eq | Ne) && self.is_value_name(lhs, scope) {
            let (r, rt) = operand(self, rhs, None);
            let (l, lt) = operand(self, lhs, choice_of(rt));
            (l, lt, r, rt)
        } else {
            let (l, lt) = operand(self, lhs, None);
            let (r, rt) = operand(self, rhs, choice_of(lt));
            (l, lt, r, rt)
        };
        let ty = match (op, lt, rt) {
            (_, Type::Error, _) | (_, _, Type::Error) => Type::Error,
            (And | Or, Type::Bool, Type::Bool) => Type::Bool,
            (Eq | Ne, a, b) if compatible(a, b) => Type::Bool,
            (Lt | Le | Gt | Ge, Type::Number { .. }, Type::Number { .. }) => Type::Bool,
            (Lt | Le | Gt | Ge, Type::Date, Type::Date) => Type::Bool,
            (Add | Sub | Mul, Type::Number { integer: a }, Type::Number { integer: b }) => {
                Type::Number { integer: a && b }
            }
            (Div, Type::Number { .. }, Type::Number { .. }) => Type::Number { integer: false },
            (_, a, b) => {
                self.report(
                    ProblemKind::OperandMismatch {
                        op: op.symbol(),
                        left: self.type_words(a),
                        right: self.type_words(b),
                    },
                    span,
                );
                Type::Error
            }
        };
        (ExprKind::Binary(op, Box::new(l), Box::new(r)), ty)
    }

    fn in_set(
        &mut self,
        subject: &ast::Expr,
        items: &[SetItem],
        scope: &Scope,
        span: Span,
    ) -> (ExprKind, Type) {
        let (checked, ty) = self.expr(subject, scope, None);
        match ty {
            Type::Choice(fact) => {
                let values = self.facts[fact.index()].ty.choices().to_vec();
                let fact_name = self.facts[fact.index()].name.clone();
                let mut indices = Vec::new();
                for item in items {
                    match item {
                        SetItem::Value(name) => {
                            match values.iter().position(|v| v.name == name.text) {
                                Some(i) => indices.push(i as u32),
                                None => {
                                    let kind = super::declarations::unknown_value(
                                        &fact_name, &name.text, &values,
                                    );
                                    self.report(kind, name.span);
                                }
                            }
                        }
                        SetItem::Number(_, s) => self.set_item_mismatch(ty, "un nombre", *s),
                    }
                }
                (ExprKind::InChoices(Box::new(checked), indices), Type::Bool)
            }
            Type::Number { .. } => {
                let mut numbers = Vec::new();
                for item in items {
                    match item {
                        SetItem::Number(n, _) => numbers.push(*n),
                        SetItem::Value(name) => self.set_item_mismatch(ty, "un nom", name.span),
                    }
                }
                (ExprKind::InNumbers(Box::new(checked), numbers), Type::Bool)
            }
            Type::Error => (ExprKind::Bool(false), Type::Error),
            other => {
                self.report(
                    ProblemKind::TypeMismatch {
                        context: "`in { … }`".into(),
                        expected: "un choix ou un nombre".into(),
                        found: self.type_words(other),
                    },
                    span,
                );
                (ExprKind::Bool(false), Type::Error)
            }
        }
    }

    fn set_item_mismatch(&mut self, ty: Type, found: &str, span: Span) {
        self.report(
            ProblemKind::TypeMismatch {
                context: "cet ensemble".into(),
                expected: self.type_words(ty),
                found: found.into(),
            },
            span,
        );
    }

    /// Text with `{…}` interpolations (answers and hand-off messages).
    pub(super) fn template(&mut self, text: &Text, scope: &Scope) -> Template {
        let parts = text
            .parts
            .iter()
            .map(|part| match part {
                TextPart::Literal(s) => TemplatePart::Literal(s.clone()),
                TextPart::Placeholder => {
                    self.report(ProblemKind::PlaceholderNotAllowed, text.span);
                    TemplatePart::Literal("{}".into())
                }
                TextPart::Interpolation(e) => {
                    let (expr, ty) = self.expr(e, scope, None);
                    TemplatePart::Value {
                        expr,
                        choice: choice_of(ty),
                    }
                }
            })
            .collect();
        Template { parts }
    }
}

fn choice_of(ty: Type) -> Option<FactId> {
    match ty {
        Type::Choice(f) => Some(f),
        _ => None,
    }
}

/// Whether a value of type `found` may stand where `expected` is wanted.
pub(super) fn compatible(found: Type, expected: Type) -> bool {
    match (found, expected) {
        (Type::Error, _) | (_, Type::Error) => true,
        (Type::Number { .. }, Type::Number { .. }) => true,
        (a, b) => a == b,
    }
}

/// The type of a fact's values, in words, for messages about contacts.
pub(super) fn fact_type_words(ty: &FactType) -> String {
    match ty {
        FactType::Choice(_) => "un choix".into(),
        FactType::YesNo => "une valeur oui/non".into(),
        FactType::Integer { .. } | FactType::Number { .. } => "un nombre".into(),
        FactType::Date => "une date".into(),
        FactType::Text => "un texte".into(),
    }
}

/// A `jj/mm/aaaa` date, if it exists.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let mut parts = text.split('/');
    let day: u8 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let year: i32 = parts.next()?.parse().ok()?;
    let month = time::Month::try_from(month).ok()?;
    time::Date::from_calendar_date(year, month, day).ok()
}

/// The `fact` line that declares `name` with a type that fits `wanted`
/// (a choice when nothing says which); it compiles as written.
fn fact_line(name: &str, wanted: Option<Type>) -> String {
    let question = "\"Question posée à l'agent ?\"";
    match wanted {
        Some(Type::Bool) => format!("fact {name}: yesno {question}"),
        Some(Type::Number { integer: true }) => format!("fact {name}: integer {question}"),
        Some(Type::Number { integer: false }) => format!("fact {name}: number {question}"),
        Some(Type::Date) => format!("fact {name}: date {question}"),
        Some(Type::Text) => format!("fact {name}: text {question}"),
        _ => format!("fact {name}: choice {question} {{ valeur \"Libellé\" }}"),
    }
}
