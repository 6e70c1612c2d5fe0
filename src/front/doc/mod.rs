//! `guichet doc PATH… -o DIR`: a booklet a DRH can review without reading rules.
//!
//! One HTML page per topic plus an index, and each topic's decision graph
//! as SVG (`graph.rs`). A page lists the questions the topic may ask, then
//! every outcome (answer, hand-off, continuation in another topic) with the
//! cases that lead to it in plain French (`words.rs`), the periods during
//! which its text is in force, its sources, and where its rule is written.
//!
//! [`Booklet::of`] builds the model from a compiled program (no I/O);
//! `html.rs` renders it with `maud`, which escapes every text it is given;
//! [`command`] writes the files. Cases are the paths from the topic's entry
//! to an outcome, found depth first; a topic with more than
//! [`MAX_CASES`] paths to one outcome says so rather than listing them all.

mod html;
mod words;

use crate::compile::program::{
    day_words, Dispatch, ExprKind, FactId, FactType, Interval, NodeId, NodeKind, Program, Template,
    TemplatePart, TopicId,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use time::Date;

/// Most cases listed for one outcome.
pub const MAX_CASES: usize = 12;
/// Most nodes visited while listing one topic's cases.
const MAX_VISITS: usize = 20_000;

/// The whole booklet: one entry per topic, in the program's order.
pub struct Booklet {
    pub topics: Vec<TopicDoc>,
}

pub struct TopicDoc {
    pub name: String,
    pub title: String,
    /// `file:line:column` of the topic.
    pub location: String,
    /// The topic's last review, or `None` when it declares none.
    pub review: Option<ReviewDoc>,
    pub questions: Vec<QuestionDoc>,
    pub outcomes: Vec<OutcomeDoc>,
}

pub struct ReviewDoc {
    /// `jj/mm/aaaa`.
    pub date: String,
    pub by: String,
    /// The review's age in months when it is more than twelve months old on the booklet's date.
    pub expired: Option<i64>,
}

pub struct QuestionDoc {
    pub question: String,
    /// What kind of reply is expected, in words (« oui ou non », « une date »…).
    pub expects: String,
    pub options: Vec<String>,
    pub help: Option<String>,
    /// The agent's profile usually gives it.
    pub from_profile: bool,
}

pub enum Outcome {
    Answer {
        text: String,
        sources: Vec<String>,
    },
    Handoff {
        contact: String,
        message: Option<String>,
    },
    Goto {
        topic: String,
        title: String,
    },
}

pub struct OutcomeDoc {
    pub outcome: Outcome,
    /// The cases that lead here; a case with no condition is « dans tous les cas ».
    pub cases: Vec<Case>,
    /// More cases lead here than are listed.
    pub more_cases: bool,
    pub location: String,
}

#[derive(Clone, Default)]
pub struct Case {
    /// Clauses that all hold (« votre réponse à « … » est « … » »).
    pub conditions: Vec<String>,
    /// The periods of the texts in force on this path
    /// (« à partir du 01/03/2025 (date retenue : la date de la conversation) »).
    pub in_force: Vec<String>,
}

impl Booklet {
    /// The booklet of `program`; reviews are judged on `today`.
    pub fn of(program: &Program, today: Date) -> Booklet {
        Booklet {
            topics: (0..program.topics.len())
                .map(|i| TopicDoc::of(program, TopicId(i as u32), today))
                .collect(),
        }
    }
}

impl TopicDoc {
    pub fn of(program: &Program, id: TopicId, today: Date) -> TopicDoc {
        let topic = program.topic(id);
        let mut walk = Walk {
            program,
            cases: BTreeMap::new(),
            more: BTreeMap::new(),
            facts: Vec::new(),
            visits: 0,
        };
        walk.node(topic.entry, &mut Case::default());
        let questions = walk.facts.iter().map(|f| question(program, *f)).collect();
        let outcomes = walk
            .cases
            .into_iter()
            .filter_map(|(node, cases)| {
                Some(OutcomeDoc {
                    outcome: outcome(program, node)?,
                    more_cases: walk.more.get(&node).copied().unwrap_or(false),
                    cases,
                    location: program.sources.location(program.node(node).span),
                })
            })
            .collect();
        TopicDoc {
            name: topic.name.clone(),
            title: topic.title.clone(),
            location: program.sources.location(topic.span),
            review: topic.review.as_ref().map(|r| ReviewDoc {
                date: day_words(r.date),
                by: r.by.clone(),
                expired: crate::compile::review::expired(r.date, today),
            }),
            questions,
            outcomes,
        }
    }
}

/// The depth-first walk of a topic's graph that collects the cases of each outcome.
struct Walk<'p> {
    program: &'p Program,
    /// Outcomes by node id, so that they are listed in the order they are written.
    cases: BTreeMap<NodeId, Vec<Case>>,
    more: BTreeMap<NodeId, bool>,
    /// The facts the topic reads, in the order first met.
    facts: Vec<FactId>,
    visits: usize,
}

impl Walk<'_> {
    fn node(&mut self, at: NodeId, case: &mut Case) {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            self.more.insert(at, true);
            return;
        }
        let program = self.program;
        let node = program.node(at);
        match &node.kind {
            NodeKind::Ask { fact, next } => {
                self.read(*fact);
                self.node(*next, case);
            }
            NodeKind::Let { value, next, .. } => {
                self.read_expr(value);
                self.node(*next, case);
            }
            NodeKind::If {
                condition,
                then,
                otherwise,
            } => {
                self.read_expr(condition);
                for (yes, next) in [(true, *then), (false, *otherwise)] {
                    case.conditions
                        .push(words::condition(program, condition, yes));
                    self.node(next, case);
                    case.conditions.pop();
                }
            }
            NodeKind::Match {
                subject,
                dispatch,
                arms,
            } => {
                self.read_expr(subject);
                for (i, next) in arms.iter().enumerate() {
                    let (clause, period) = match dispatch {
                        Dispatch::Period { periods } => (
                            None,
                            Some(format!(
                                "{} (date retenue : {})",
                                periods[i].words(),
                                words::subject(program, subject)
                            )),
                        ),
                        _ => (arm_clause(program, subject, dispatch, i as u32), None),
                    };
                    let pushed_clause = clause.map(|c| case.conditions.push(c)).is_some();
                    let pushed_period = period.map(|p| case.in_force.push(p)).is_some();
                    self.node(*next, case);
                    if pushed_clause {
                        case.conditions.pop();
                    }
                    if pushed_period {
                        case.in_force.pop();
                    }
                }
            }
            NodeKind::Answer { text, .. } => {
                self.read_template(text);
                self.record(at, case);
            }
            NodeKind::Handoff { contact, message } => {
                if let crate::compile::program::ContactResolution::ByFact { fact, .. } =
                    &program.contact(*contact).resolution
                {
                    self.read(*fact);
                }
                if let Some(m) = message {
                    self.read_template(m);
                }
                self.record(at, case);
            }
            NodeKind::Goto { .. } => self.record(at, case),
        }
    }

    fn record(&mut self, at: NodeId, case: &Case) {
        let cases = self.cases.entry(at).or_default();
        if cases.len() < MAX_CASES {
            cases.push(case.clone());
        } else {
            self.more.insert(at, true);
        }
    }

    fn read(&mut self, fact: FactId) {
        if !self.facts.contains(&fact) {
            self.facts.push(fact);
        }
    }

    fn read_expr(&mut self, e: &crate::compile::program::Expr) {
        use crate::compile::program::ExprKind::*;
        match &e.kind {
            Fact(f) => self.read(*f),
            Not(inner) | Neg(inner) | InChoices(inner, _) | InNumbers(inner, _) => {
                self.read_expr(inner)
            }
            Binary(_, lhs, rhs) => {
                self.read_expr(lhs);
                self.read_expr(rhs);
            }
            Call(_, args) => args.iter().for_each(|a| self.read_expr(a)),
            _ => {}
        }
    }

    fn read_template(&mut self, t: &Template) {
        for part in &t.parts {
            if let TemplatePart::Value { expr, .. } = part {
                self.read_expr(expr);
            }
        }
    }
}

/// The clause that holds when a `match` takes arm `arm`, or `None` when it takes every value.
fn arm_clause(
    program: &Program,
    subject: &crate::compile::program::Expr,
    dispatch: &Dispatch,
    arm: u32,
) -> Option<String> {
    match dispatch {
        Dispatch::Choice { arm_of_value } => {
            if arm_of_value.iter().all(|a| *a == arm) {
                return None;
            }
            let fact = match subject.kind {
                ExprKind::Fact(f) => Some(f),
                _ => None,
            };
            let labels: Vec<String> = arm_of_value
                .iter()
                .enumerate()
                .filter(|(_, a)| **a == arm)
                .map(|(v, _)| match fact {
                    Some(f) => words::choice_label(program, f, v as u32),
                    None => v.to_string(),
                })
                .collect();
            Some(format!(
                "{} est {}",
                words::subject(program, subject),
                if labels.is_empty() {
                    "jamais atteint".to_string()
                } else {
                    labels.join(" ou ")
                }
            ))
        }
        Dispatch::YesNo { yes, no } => match (*yes == arm, *no == arm) {
            (true, true) => None,
            (true, false) => Some(format!(
                "{} est {}",
                words::subject(program, subject),
                words::yes_no(true)
            )),
            (false, true) => Some(format!(
                "{} est {}",
                words::subject(program, subject),
                words::yes_no(false)
            )),
            (false, false) => Some(format!(
                "{} : jamais atteint",
                words::subject(program, subject)
            )),
        },
        Dispatch::Number { intervals } => {
            let taken: Vec<Interval> = intervals
                .iter()
                .filter(|(_, a)| *a == arm)
                .map(|(i, _)| *i)
                .collect();
            let earlier: Vec<Interval> = intervals
                .iter()
                .filter(|(_, a)| *a < arm)
                .map(|(i, _)| *i)
                .collect();
            let (domain, integer) = match &subject.kind {
                ExprKind::Fact(f) => match &program.fact(*f).ty {
                    FactType::Integer { min, max } => {
                        (crate::compile::coverage::domain(*min, *max), true)
                    }
                    FactType::Number { min, max } => {
                        (crate::compile::coverage::domain(*min, *max), false)
                    }
                    _ => (Interval::ALL, false),
                },
                _ => (Interval::ALL, false),
            };
            words::number_arm(program, subject, &taken, &earlier, domain, integer)
        }
        Dispatch::Period { .. } => None,
    }
}

fn question(program: &Program, id: FactId) -> QuestionDoc {
    let f = program.fact(id);
    let unit = f
        .unit
        .as_ref()
        .map(|u| format!(" ({u})"))
        .unwrap_or_default();
    let expects = match &f.ty {
        FactType::Choice(_) => "un choix parmi :".to_string(),
        FactType::YesNo => "oui ou non".to_string(),
        FactType::Integer { .. } => format!("un nombre entier{unit}"),
        FactType::Number { .. } => format!("un nombre{unit}"),
        FactType::Date => "une date".to_string(),
        FactType::Text => "un texte libre".to_string(),
    };
    QuestionDoc {
        question: f.question.clone(),
        expects,
        from_profile: f.from_profile,
        options: f.ty.choices().iter().map(|v| v.label.clone()).collect(),
        help: f.help.clone(),
    }
}

/// The outcome of an answer, hand-off or `goto` node.
fn outcome(program: &Program, node: NodeId) -> Option<Outcome> {
    Some(match &program.node(node).kind {
        NodeKind::Answer { text, sources } => Outcome::Answer {
            text: template(program, text),
            sources: sources.clone(),
        },
        NodeKind::Handoff { contact, message } => Outcome::Handoff {
            contact: program.contact(*contact).label.clone(),
            message: message.as_ref().map(|m| template(program, m)),
        },
        NodeKind::Goto { topic } => {
            let t = program.topic(*topic);
            Outcome::Goto {
                topic: t.name.clone(),
                title: t.title.clone(),
            }
        }
        _ => return None,
    })
}

/// A template with each value shown as ⟨what it is⟩.
fn template(program: &Program, t: &Template) -> String {
    t.parts
        .iter()
        .map(|part| match part {
            TemplatePart::Literal(s) => s.clone(),
            TemplatePart::Value { expr, .. } => match &expr.kind {
                ExprKind::Fact(f) => format!("⟨{}⟩", program.fact(*f).name.replace('_', " ")),
                _ => format!("⟨{}⟩", program.sources.text(expr.span).trim()),
            },
        })
        .collect()
}

// ---------------------------------------------------------------- command

/// `guichet doc PATH… -o DIR`: writes `index.html`, `style.css`, one page per topic and `graphes/*.svg`.
pub fn command(paths: &[PathBuf], out: &Path, today: Date) -> ExitCode {
    let program = match crate::front::load::program_or_report(paths) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match write(&program, out, today) {
        Ok(written) => {
            eprintln!(
                "livret écrit dans {} : {} page(s)",
                out.display(),
                written.pages
            );
            if !written.undrawn.is_empty() {
                eprintln!(
                    "attention : graphe impossible à dessiner pour {} (les pages le signalent)",
                    written.undrawn.join(", ")
                );
            }
            ExitCode::SUCCESS
        }
        Err((path, e)) => {
            eprintln!("erreur : impossible d'écrire {} : {e}", path.display());
            ExitCode::from(2)
        }
    }
}

/// The SVG of a topic's graph, or `None` when the layout crate fails on it:
/// `layout-rs` asserts on some graphs, and a booklet without one picture is
/// better than no booklet (the page then says so).
/// Its panic message is silenced; the command names the topics without a graph.
fn svg(program: &Program, topic: TopicId) -> Option<String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let svg = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::front::graph::render(program, topic, crate::front::graph::Format::Svg)
    }));
    std::panic::set_hook(hook);
    svg.ok()
}

/// What [`write`] wrote.
pub struct Written {
    /// HTML pages, index included.
    pub pages: usize,
    /// Topics whose graph could not be drawn.
    pub undrawn: Vec<String>,
}

/// Writes the booklet of `program` into `out`; reviews are judged on `today`.
pub fn write(
    program: &Program,
    out: &Path,
    today: Date,
) -> Result<Written, (PathBuf, std::io::Error)> {
    let graphs = out.join("graphes");
    std::fs::create_dir_all(&graphs).map_err(|e| (graphs.clone(), e))?;
    let booklet = Booklet::of(program, today);
    let put = |path: PathBuf, text: &str| std::fs::write(&path, text).map_err(|e| (path, e));
    put(out.join("style.css"), html::STYLE)?;
    put(out.join("index.html"), &html::index(&booklet))?;
    let mut undrawn = Vec::new();
    for (i, topic) in booklet.topics.iter().enumerate() {
        let svg = svg(program, TopicId(i as u32));
        match &svg {
            Some(svg) => put(graphs.join(format!("{}.svg", topic.name)), svg)?,
            None => undrawn.push(topic.name.clone()),
        }
        put(
            out.join(html::page_file(topic)),
            &html::page(topic, svg.is_some()),
        )?;
    }
    Ok(Written {
        pages: booklet.topics.len() + 1,
        undrawn,
    })
}
