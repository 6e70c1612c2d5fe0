//! The compiled program: immutable, shareable, laid out for walking.
//!
//! Facts, contacts and topics live in vectors indexed by small ids
//! ([`FactId`], [`ContactId`], [`TopicId`]); choice values are indices into
//! their fact's value list. Each topic's body is a set of nodes of one
//! petgraph graph ([`Program::graph`]). A node's payload ([`NodeKind`]) holds
//! the indices of its successors, so the walk never scans edges or compares
//! strings; the graph's edges mirror those successors, with labels, for
//! analysis and drawing. Invariant: every node has a span; the successors in
//! a payload are exactly the targets of the node's outgoing edges.

use crate::span::{Sources, Span};
use crate::syntax::ast::ChannelKind;
use crate::text::fold;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use time::Date;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// A fact of [`Program::facts`].
    FactId
);
id_type!(
    /// A contact of [`Program::contacts`].
    ContactId
);
id_type!(
    /// A topic of [`Program::topics`].
    TopicId
);
id_type!(
    /// A `let` slot; every `let` of the program has its own.
    LocalId
);

pub type NodeId = NodeIndex<u32>;

/// The lexicon's notion of what no topic answers (folded): its expressions
/// hand a question off, its `examples` train the router's off-topic class.
pub const OFF_TOPIC_NOTION: &str = "hors sujet";

/// A compiled rule base. Immutable once built; share it behind an `Arc`.
#[derive(Debug)]
pub struct Program {
    /// Hex digest of the source files (names and contents): the rule version a session is pinned to.
    pub version: String,
    pub sources: Sources,
    pub facts: Vec<Fact>,
    pub contacts: Vec<Contact>,
    pub topics: Vec<Topic>,
    pub fallback: Option<Fallback>,
    /// Situation words for the router (`lexicon`): each notion with its expressions.
    pub lexicon: Vec<(String, Vec<String>)>,
    /// Whole questions no topic answers (`lexicon "hors sujet" … examples …`),
    /// for the router's off-topic class.
    pub off_topic: Vec<String>,
    pub graph: DiGraph<Node, EdgeLabel, u32>,
    /// Number of `let` slots a session needs.
    pub locals: usize,
    /// Name of each `let` slot, for traces and `:facts`.
    pub local_names: Vec<String>,
}

impl Program {
    pub fn fact(&self, id: FactId) -> &Fact {
        &self.facts[id.index()]
    }
    pub fn contact(&self, id: ContactId) -> &Contact {
        &self.contacts[id.index()]
    }
    pub fn topic(&self, id: TopicId) -> &Topic {
        &self.topics[id.index()]
    }
    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[id]
    }
    pub fn fact_named(&self, name: &str) -> Option<FactId> {
        self.facts
            .iter()
            .position(|f| f.name == name)
            .map(|i| FactId(i as u32))
    }
    pub fn topic_named(&self, name: &str) -> Option<TopicId> {
        self.topics
            .iter()
            .position(|t| t.name == name)
            .map(|i| TopicId(i as u32))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub name: String,
    pub ty: FactType,
    pub question: String,
    pub help: Option<String>,
    pub unit: Option<String>,
    pub from_profile: bool,
    /// The `states` phrases: what a free-text question must say for the
    /// value to be taken as stated about the agent (`route::extract`).
    pub states: Vec<StatePhrase>,
    pub span: Span,
}

/// One `states` phrase, as written (not folded).
#[derive(Clone, Debug, PartialEq)]
pub struct StatePhrase {
    pub value: Stated,
    /// The words before `{}`, or the whole phrase when there is no `{}`.
    pub before: String,
    /// The words after `{}` (number facts only).
    pub after: Option<String>,
}

/// The value a `states` phrase states.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stated {
    /// The choice value of this index.
    Choice(u32),
    Bool(bool),
    /// The number written where the phrase has `{}`.
    Number,
    /// This number (`states 100 "je suis à temps plein"`).
    Fixed(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum FactType {
    Choice(Vec<ChoiceValue>),
    YesNo,
    Integer { min: Option<f64>, max: Option<f64> },
    Number { min: Option<f64>, max: Option<f64> },
    Date,
    Text,
}

impl FactType {
    /// The word used for this kind in the JSON protocol and the docs.
    pub fn kind_name(&self) -> &'static str {
        match self {
            FactType::Choice(_) => "choice",
            FactType::YesNo => "yesno",
            FactType::Integer { .. } | FactType::Number { .. } => "number",
            FactType::Date => "date",
            FactType::Text => "text",
        }
    }

    pub fn choices(&self) -> &[ChoiceValue] {
        match self {
            FactType::Choice(values) => values,
            _ => &[],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceValue {
    pub name: String,
    pub label: String,
    /// Other words agents use for this value.
    pub also: Vec<String>,
    /// The phrases a reply may name it by, folded once here rather than at
    /// every reply: the name (`_` read as a space), the label, then `also`.
    pub phrases: Vec<String>,
}

impl ChoiceValue {
    /// A value with its [`ChoiceValue::phrases`] folded from the others.
    pub fn new(name: String, label: String, also: Vec<String>) -> ChoiceValue {
        let phrases = std::iter::once(fold(&name.replace('_', " ")))
            .chain(std::iter::once(fold(&label)))
            .chain(also.iter().map(|a| fold(a)))
            .collect();
        ChoiceValue {
            name,
            label,
            also,
            phrases,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Contact {
    pub name: String,
    pub label: String,
    pub resolution: ContactResolution,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ContactResolution {
    Fixed(Channels),
    /// `by fact`: `arm_of_value[v]` is the index in `arms` of the arm for choice value `v`.
    ByFact {
        fact: FactId,
        arm_of_value: Vec<u32>,
        arms: Vec<Channels>,
    },
}

/// Ways to reach a contact, in the order written.
pub type Channels = Vec<(ChannelKind, String)>;

#[derive(Clone, Debug, PartialEq)]
pub struct Fallback {
    pub contact: ContactId,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub name: String,
    pub title: String,
    pub triggers: Vec<String>,
    pub synonyms: Vec<String>,
    /// When and by whom the topic was last signed off, if it says so.
    pub review: Option<Review>,
    /// Whole questions as agents write them: the router learns from them.
    pub examples: Vec<String>,
    pub entry: NodeId,
    pub span: Span,
}

/// `reviewed 15/11/2026 by "Mme Durand, DRH"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    pub date: Date,
    pub by: String,
    pub span: Span,
}

/// A node of a topic's decision graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    pub topic: TopicId,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// Makes sure `fact` is known (asks it if not), then goes on.
    Ask {
        fact: FactId,
        next: NodeId,
    },
    Let {
        local: LocalId,
        value: Expr,
        next: NodeId,
    },
    If {
        condition: Expr,
        then: NodeId,
        otherwise: NodeId,
    },
    Match {
        subject: Expr,
        dispatch: Dispatch,
        /// The first node of each arm's body, in arm order.
        arms: Vec<NodeId>,
    },
    Answer {
        text: Template,
        sources: Vec<String>,
    },
    Handoff {
        contact: ContactId,
        message: Option<Template>,
    },
    Goto {
        topic: TopicId,
    },
}

impl NodeKind {
    /// The successors of this node, as its edges hold them.
    pub fn successors(&self) -> Vec<NodeId> {
        match self {
            NodeKind::Ask { next, .. } | NodeKind::Let { next, .. } => vec![*next],
            NodeKind::If {
                then, otherwise, ..
            } => vec![*then, *otherwise],
            NodeKind::Match { arms, .. } => arms.clone(),
            NodeKind::Answer { .. } | NodeKind::Handoff { .. } | NodeKind::Goto { .. } => {
                Vec::new()
            }
        }
    }
}

/// How a `match` finds its arm from the subject's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Dispatch {
    /// `arm_of_value[v]` is the arm taken for choice value `v`.
    Choice {
        arm_of_value: Vec<u32>,
    },
    YesNo {
        yes: u32,
        no: u32,
    },
    /// The first interval holding the number gives the arm.
    Number {
        intervals: Vec<(Interval, u32)>,
    },
    /// `in force`: arm `i` is in force during `periods[i]`. The checker
    /// proved that exactly one period holds each date.
    Period {
        periods: Vec<Period>,
    },
}

/// The days a text is in force, both bounds included; `None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Option<Date>,
    pub until: Option<Date>,
}

impl Period {
    pub fn contains(&self, day: Date) -> bool {
        !matches!(self.from, Some(f) if f > day) && !matches!(self.until, Some(u) if day > u)
    }

    /// The period in French: « du 01/01/2020 au 28/02/2025 », « à partir du 01/03/2025 »…
    pub fn words(&self) -> String {
        match (self.from, self.until) {
            (Some(f), Some(u)) if f == u => format!("le {}", day_words(f)),
            (Some(f), Some(u)) => format!("du {} au {}", day_words(f), day_words(u)),
            (Some(f), None) => format!("à partir du {}", day_words(f)),
            (None, Some(u)) => format!("jusqu'au {}", day_words(u)),
            (None, None) => "à toute date".to_string(),
        }
    }

    /// The set of days as an interval of Julian day numbers, for coverage.
    pub fn interval(&self) -> Interval {
        Interval {
            lo: self
                .from
                .map_or(f64::NEG_INFINITY, |d| f64::from(d.to_julian_day())),
            lo_inclusive: self.from.is_some(),
            hi: self
                .until
                .map_or(f64::INFINITY, |d| f64::from(d.to_julian_day())),
            hi_inclusive: self.until.is_some(),
        }
    }

    /// The period of an interval of Julian day numbers (bounds outside the calendar are unbounded).
    pub fn of_interval(i: Interval) -> Period {
        let day = |x: f64| {
            (x.is_finite() && x.abs() < f64::from(i32::MAX))
                .then(|| Date::from_julian_day(x as i32).ok())
                .flatten()
        };
        Period {
            from: day(i.lo),
            until: day(i.hi),
        }
    }
}

/// A date as `jj/mm/aaaa`.
pub fn day_words(d: Date) -> String {
    let mut out = String::with_capacity(10);
    write_day(&mut out, d);
    out
}

/// [`day_words`], written at the end of `out` (digit by digit: this runs at
/// every date a conversation shows).
pub fn write_day(out: &mut String, d: Date) {
    let two = |out: &mut String, n: u8| {
        out.push(char::from(b'0' + n / 10));
        out.push(char::from(b'0' + n % 10));
    };
    two(out, d.day());
    out.push('/');
    two(out, u8::from(d.month()));
    out.push('/');
    match u16::try_from(d.year()) {
        Ok(year) if year <= 9999 => {
            two(out, (year / 100) as u8);
            two(out, (year % 100) as u8);
        }
        _ => out.push_str(&format!("{:04}", d.year())),
    }
}

/// A set of numbers `lo..hi`, each bound inclusive or not, possibly infinite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub lo_inclusive: bool,
    pub hi: f64,
    pub hi_inclusive: bool,
}

impl Interval {
    pub const ALL: Interval = Interval {
        lo: f64::NEG_INFINITY,
        lo_inclusive: false,
        hi: f64::INFINITY,
        hi_inclusive: false,
    };

    pub fn contains(&self, x: f64) -> bool {
        let above = x > self.lo || (self.lo_inclusive && x == self.lo);
        let below = x < self.hi || (self.hi_inclusive && x == self.hi);
        above && below
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeLabel {
    Next,
    Yes,
    No,
    /// An arm of a `match`, with its patterns as written.
    Arm(String),
}

/// Text with interpolated expressions.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TemplatePart {
    Literal(String),
    /// An interpolated value; `choice` is the fact whose labels name it, for a choice.
    Value {
        expr: Expr,
        choice: Option<FactId>,
    },
}

/// A checked expression: names resolved to ids, types known to be right.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Bool(bool),
    Date(Date),
    Text(String),
    /// A value of a choice fact, by index.
    Choice(u32),
    Today,
    Fact(FactId),
    Local(LocalId),
    Call(Function, Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// Membership: choice indices or numbers.
    InChoices(Box<Expr>, Vec<u32>),
    InNumbers(Box<Expr>, Vec<f64>),
}

pub use crate::syntax::ast::BinaryOp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Years,
    Months,
    Days,
    Min,
    Max,
    Round,
    Floor,
    Ceil,
    /// `money(x)` / `euros(x)`: « 100,80 € ».
    Money,
    /// `plural(n, "jour", "jours")` / `pluriel(…)`: « 1 jour », « 2 jours ».
    Plural,
}

impl Function {
    /// Every function by name; the text helpers have an English and a French name.
    pub const ALL: [(&'static str, Function); 12] = [
        ("years", Function::Years),
        ("months", Function::Months),
        ("days", Function::Days),
        ("min", Function::Min),
        ("max", Function::Max),
        ("round", Function::Round),
        ("floor", Function::Floor),
        ("ceil", Function::Ceil),
        ("money", Function::Money),
        ("euros", Function::Money),
        ("plural", Function::Plural),
        ("pluriel", Function::Plural),
    ];

    pub fn arity(self) -> usize {
        match self {
            Function::Round | Function::Floor | Function::Ceil | Function::Money => 1,
            Function::Plural => 3,
            _ => 2,
        }
    }
}
