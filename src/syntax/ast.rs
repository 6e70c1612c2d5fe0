//! The abstract syntax tree of rule files and conversation test files.
//!
//! Produced by `syntax::parser` and consumed by `compile::checker`. Names are
//! kept as written ([`Name`]: text and span); nothing is resolved here.
//! Every node that a diagnostic can point at carries its [`Span`].

use crate::span::Span;

/// An identifier as written, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A string literal: its pieces after escapes, and its span (quotes included).
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub parts: Vec<TextPart>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TextPart {
    Literal(String),
    Interpolation(Expr),
    /// `{}`: where the number goes in a `states` phrase of a number fact.
    Placeholder,
}

impl Text {
    /// The literal text, or `None` when the string holds an interpolation.
    pub fn plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TextPart::Literal(s) => out.push_str(s),
                TextPart::Interpolation(_) | TextPart::Placeholder => return None,
            }
        }
        Some(out)
    }
}

/// One top-level declaration of a rule file.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Fact(FactDecl),
    Contact(ContactDecl),
    Topic(TopicDecl),
    Fallback(FallbackDecl),
    Lexicon(LexiconDecl),
}

/// `lexicon "notion" "expression", … examples "…", …`: situation words for
/// the router, and (for the notion « hors sujet » only) whole questions.
#[derive(Clone, Debug, PartialEq)]
pub struct LexiconDecl {
    pub notion: Text,
    pub expressions: Vec<Text>,
    /// Whole questions of the notion (`examples`), allowed for « hors sujet » only.
    pub examples: Vec<Text>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactKind {
    Choice,
    YesNo,
    Integer,
    Number,
    Date,
    Text,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FactDecl {
    pub name: Name,
    pub kind: FactKind,
    pub kind_span: Span,
    pub question: Text,
    pub options: Vec<FactOption>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FactOption {
    Choices(Vec<ChoiceDecl>, Span),
    Help(Text, Span),
    FromProfile(Span),
    Range(Option<f64>, Option<f64>, Span),
    Unit(Text, Span),
    States(States),
}

impl FactOption {
    pub fn span(&self) -> Span {
        match self {
            FactOption::Choices(_, s)
            | FactOption::Help(_, s)
            | FactOption::FromProfile(s)
            | FactOption::Range(_, _, s)
            | FactOption::Unit(_, s) => *s,
            FactOption::States(states) => states.span,
        }
    }
}

/// `titulaire "Fonctionnaire titulaire" also "fonctionnaire", "stagiaire"`
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceDecl {
    pub name: Name,
    pub label: Text,
    pub also: Vec<Text>,
    pub states: Option<States>,
}

/// `states "…", "…"` (a choice value, a number fact, with `100 "…"` for a
/// fixed number) or `states oui "…" non "…"` (a yes/no fact): phrases that
/// state the value about the agent in a free-text question.
#[derive(Clone, Debug, PartialEq)]
pub struct States {
    /// Each phrase, with the value written before it, if any.
    pub phrases: Vec<(StateTag, Text)>,
    pub span: Span,
}

/// What is written before a `states` phrase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StateTag {
    /// Nothing: a choice value's phrase, or a number fact's phrase with `{}`.
    Plain,
    /// `oui` or `non` (a yes/no fact).
    Bool(bool),
    /// A number (a number fact's phrase that states it without `{}`).
    Number(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ContactDecl {
    pub name: Name,
    pub label: Text,
    pub body: ContactBody,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ContactBody {
    Fixed(Channels),
    By { fact: Name, arms: Vec<ContactArm> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct ContactArm {
    pub patterns: Vec<Pattern>,
    pub channels: Channels,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Channels {
    pub entries: Vec<(ChannelKind, Text)>,
    pub span: Span,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Name,
    Phone,
    Email,
    Hours,
    Office,
    Web,
}

impl ChannelKind {
    /// How the channel is named to an agent in text front ends.
    pub fn words(self) -> &'static str {
        match self {
            ChannelKind::Name => "Service",
            ChannelKind::Phone => "Téléphone",
            ChannelKind::Email => "Courriel",
            ChannelKind::Hours => "Horaires",
            ChannelKind::Office => "Bureau",
            ChannelKind::Web => "En ligne",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FallbackDecl {
    pub contact: Name,
    pub message: Text,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TopicDecl {
    pub name: Name,
    pub title: Text,
    pub triggers: Vec<Text>,
    pub synonyms: Vec<Text>,
    /// `reviewed DATE by "…"`: every one written (more than one is an error).
    pub reviews: Vec<Review>,
    /// Whole questions as agents write them (`examples`), for the router.
    pub examples: Vec<Text>,
    pub body: Vec<Stmt>,
    /// The span of the closing brace: where a body that ends without an outcome ends.
    pub end: Span,
    pub span: Span,
}

/// `reviewed 15/11/2026 by "Mme Durand, DRH"`: when and by whom a topic was last signed off.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    pub date: DateLit,
    pub by: Text,
    pub span: Span,
}

/// A date literal as written (`jj/mm/aaaa`), checked by the compiler.
#[derive(Clone, Debug, PartialEq)]
pub struct DateLit {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    Match(MatchStmt),
    If(IfStmt),
    Let(LetStmt),
    Answer(AnswerStmt),
    Handoff(HandoffStmt),
    Goto(GotoStmt),
    InForce(InForceStmt),
}

impl Stmt {
    pub fn span(&self) -> Span {
        match self {
            Stmt::Match(s) => s.span,
            Stmt::If(s) => s.span,
            Stmt::Let(s) => s.span,
            Stmt::Answer(s) => s.span,
            Stmt::Handoff(s) => s.span,
            Stmt::Goto(s) => s.span,
            Stmt::InForce(s) => s.span,
        }
    }
}

/// A sequence of statements and the span of its closing brace.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub end: Span,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchStmt {
    pub subject: Expr,
    pub arms: Vec<MatchArm>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    pub patterns: Vec<Pattern>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    Wildcard(Span),
    Yes(Span),
    No(Span),
    Value(Name),
    Number(f64, Span),
    Range(Option<f64>, Option<f64>, Span),
    Compare(CompareOp, f64, Span),
}

impl Pattern {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Wildcard(s)
            | Pattern::Yes(s)
            | Pattern::No(s)
            | Pattern::Number(_, s)
            | Pattern::Range(_, _, s)
            | Pattern::Compare(_, _, s) => *s,
            Pattern::Value(n) => n.span,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// `in force at EXPR { from D => … until D => … }`: the text in force at a date.
#[derive(Clone, Debug, PartialEq)]
pub struct InForceStmt {
    /// The date the law is judged at; `None` is the conversation's date.
    pub at: Option<Expr>,
    pub arms: Vec<PeriodArm>,
    /// The span of the keyword (`in force` / `en vigueur`), where coverage problems point.
    pub keyword: Span,
    pub span: Span,
}

/// One period and the statements in force during it.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodArm {
    /// First day, included; `None` is "since always".
    pub from: Option<DateLit>,
    /// Last day, included; `None` is "until further notice".
    pub until: Option<DateLit>,
    pub period_span: Span,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IfStmt {
    /// `if c1 { … } else if c2 { … }`: each condition with its block, in order.
    pub branches: Vec<(Expr, Block)>,
    pub otherwise: Option<Block>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LetStmt {
    pub name: Name,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AnswerStmt {
    pub text: Text,
    pub sources: Vec<Text>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HandoffStmt {
    pub contact: Name,
    pub message: Option<Text>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GotoStmt {
    pub topic: Name,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Date(String),
    Bool(bool),
    Today,
    Text(Text),
    Name(Name),
    Call(Name, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `expr in {a, b, 3}`: the items are names (choice values) or numbers.
    InSet(Box<Expr>, Vec<SetItem>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SetItem {
    Value(Name),
    Number(f64, Span),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

// ---------------------------------------------------------------- test files

/// One conversation test of a `*.gtest` file.
#[derive(Clone, Debug, PartialEq)]
pub struct TestCase {
    pub name: Text,
    pub steps: Vec<TestStep>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TestStep {
    Topic(Name),
    Question(Text),
    /// The date the conversation is held on, `jj/mm/aaaa`.
    Today(Text),
    Profile(Name, Text),
    Reply(Text),
    Asks(Vec<Name>),
    ExpectAnswer(Vec<Text>, Span),
    ExpectHandoff(Name, Vec<Text>, Span),
}
