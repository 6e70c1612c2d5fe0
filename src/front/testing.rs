//! `guichet test`: runs conversation tests (`*.gtest`) and measures coverage.
//!
//! A test plays a conversation: profile facts are pre-filled, each question
//! takes the next `reply` (a refused reply is re-asked, as with an agent),
//! and the outcome is compared with `expect`. Coverage counts the outcomes
//! (answer and hand-off nodes) and the branches (arms of `match`, both sides
//! of `if`) that at least one test reached, and lists those none did.

use crate::compile::program::{EdgeLabel, NodeKind, Program};
use crate::engine::session::Step;
use crate::engine::{Provenance, Session};
use crate::route::Decision;
use crate::span::Sources;
use crate::syntax::ast::{TestCase, TestStep, Text};
use crate::syntax::parse_tests;
use std::collections::BTreeSet;
use std::fmt::Write;
use time::Date;

/// One test's result: `None` when it passed, else a readable report.
pub struct TestResult {
    pub name: String,
    pub location: String,
    pub failure: Option<String>,
}

pub struct Report {
    pub results: Vec<TestResult>,
    /// Problems in the test files themselves (syntax), rendered by the caller.
    pub problems: Vec<crate::problem::Problem>,
    pub covered_outcomes: BTreeSet<u32>,
    pub covered_branches: BTreeSet<(u32, u32)>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| r.failure.is_some()).count()
    }
    pub fn passed(&self) -> usize {
        self.results.len() - self.failed()
    }
}

/// Runs every test of `tests` against `program`; `today` is the default date of conversations.
pub fn run(program: &Program, tests: &Sources, today: Date) -> Report {
    let mut report = Report {
        results: Vec::new(),
        problems: Vec::new(),
        covered_outcomes: BTreeSet::new(),
        covered_branches: BTreeSet::new(),
    };
    for (file, source) in tests.files() {
        let (cases, problems) = parse_tests(file, &source.text);
        report.problems.extend(problems);
        for case in &cases {
            let location = tests.location(case.span);
            let name = case.name.plain().unwrap_or_default();
            let failure = run_case(program, case, today, &mut report).err();
            report.results.push(TestResult {
                name,
                location,
                failure,
            });
        }
    }
    report
}

/// What a test asks of the conversation.
#[derive(Default)]
struct Expectation<'a> {
    topic: Option<&'a crate::syntax::ast::Name>,
    question: Option<String>,
    today: Option<&'a Text>,
    profile: Vec<(&'a str, String)>,
    replies: Vec<String>,
    asks: Option<Vec<String>>,
    outcome: Option<&'a TestStep>,
}

fn expectation(case: &TestCase) -> Result<Expectation<'_>, String> {
    let mut e = Expectation::default();
    for step in &case.steps {
        match step {
            TestStep::Topic(name) => e.topic = Some(name),
            TestStep::Question(text) => e.question = Some(text.plain().unwrap_or_default()),
            TestStep::Today(t) => e.today = Some(t),
            TestStep::Profile(fact, value) => e
                .profile
                .push((&fact.text, value.plain().unwrap_or_default())),
            TestStep::Reply(text) => e.replies.push(text.plain().unwrap_or_default()),
            TestStep::Asks(names) => e.asks = Some(names.iter().map(|n| n.text.clone()).collect()),
            TestStep::ExpectAnswer(..) | TestStep::ExpectHandoff(..) => e.outcome = Some(step),
        }
    }
    Ok(e)
}

fn run_case(
    program: &Program,
    case: &TestCase,
    default_today: Date,
    report: &mut Report,
) -> Result<(), String> {
    let e = expectation(case)?;
    let named = match e.topic {
        Some(name) => Some(
            program
                .topic_named(&name.text)
                .ok_or_else(|| format!("sujet inconnu : `{}`", name.text))?,
        ),
        None => None,
    };
    // A free-text question is routed first; its facts count as known.
    let (topic, extracted) = match &e.question {
        None => (
            named.ok_or("le test ne dit pas quel sujet (`topic …` ou `question …`) il parcourt")?,
            Vec::new(),
        ),
        Some(question) => {
            let routing = crate::route::Router::new(program).route(question);
            match (&routing.decision, named) {
                (Decision::Confident { topic }, Some(wanted)) if *topic != wanted => {
                    return Err(format!(
                        "la question « {question} » mène au sujet `{}`, pas à `{}`",
                        program.topic(*topic).name,
                        program.topic(wanted).name
                    ))
                }
                (Decision::Confident { topic }, _) => (*topic, routing.extracted.clone()),
                (Decision::Ambiguous { topics }, _) => {
                    let names: Vec<&str> = topics
                        .iter()
                        .map(|t| program.topic(*t).name.as_str())
                        .collect();
                    return Err(format!(
                        "la question « {question} » est ambiguë : sujets proposés {}",
                        names.join(", ")
                    ));
                }
                (Decision::NoMatch { .. }, _) => {
                    let outcome = crate::route::no_match_handoff(program, question, Vec::new())
                        .map(Step::Handoff)
                        .ok_or("aucun sujet ne correspond et les règles n'ont pas de `fallback`")?;
                    return match e.outcome.and_then(|x| compare_outcome(x, &outcome)) {
                        None if e.outcome.is_some() => Ok(()),
                        None => Err("le test n'a pas de `expect`".into()),
                        Some(problem) => Err(problem),
                    };
                }
            }
        }
    };
    let today = match e.today {
        Some(t) => {
            let text = t.plain().unwrap_or_default();
            crate::engine::reply::parse_date(&text)
                .ok_or_else(|| format!("date invalide pour `today` : « {text} »"))?
        }
        None => default_today,
    };
    let mut session = Session::new(program, topic, today);
    for (fact, value) in &e.profile {
        session
            .prefill(program, fact, value, Provenance::Profile)
            .map_err(|err| format!("profil `{fact} = \"{value}\"` refusé : {}", err.message()))?;
    }
    crate::route::prefill(program, &mut session, &extracted)
        .map_err(|err| format!("fait tiré de la question refusé : {}", err.message()))?;
    let mut transcript = String::new();
    let mut asked: Vec<String> = Vec::new();
    let mut replies = e.replies.iter();
    let outcome = loop {
        let step = session.step(program).map_err(|err| err.message())?;
        let Step::Ask(question) = step else {
            break step;
        };
        if asked.last().map(String::as_str) != Some(question.fact) {
            asked.push(question.fact.to_string());
        }
        let _ = writeln!(transcript, "    ? {} [{}]", question.prompt, question.fact);
        let Some(reply) = replies.next() else {
            return Err(format!("la conversation pose une question de plus que les réponses prévues :\n{transcript}    (plus de `reply`)"));
        };
        let _ = writeln!(transcript, "    > {reply}");
        if let Err(err) = session.reply(program, reply) {
            let _ = writeln!(transcript, "    ! {}", err.message());
        }
    };
    record_coverage(&session, report);
    let left = replies.count();
    let mut problems = Vec::new();
    if left > 0 {
        problems.push(format!(
            "{left} réponse(s) non utilisée(s) : la conversation s'est terminée avant"
        ));
    }
    if let Some(expected) = &e.asks {
        if *expected != asked {
            problems.push(format!(
                "questions attendues : {}\n      questions posées  : {}",
                expected.join(", "),
                asked.join(", ")
            ));
        }
    }
    if let Some(expected) = e.outcome {
        if let Some(problem) = compare_outcome(expected, &outcome) {
            problems.push(problem);
        }
    } else {
        problems.push("le test n'a pas de `expect`".into());
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut out = problems.join("\n  ");
    let _ = write!(
        out,
        "\n  conversation :\n{transcript}    = {}",
        describe(&outcome)
    );
    Err(out)
}

fn compare_outcome(expected: &TestStep, actual: &Step) -> Option<String> {
    let (wanted, texts, actual_text) = match (expected, actual) {
        (TestStep::ExpectAnswer(texts, _), Step::Answer(a)) => {
            ("une réponse".to_string(), texts, a.text.clone())
        }
        (TestStep::ExpectHandoff(contact, texts, _), Step::Handoff(h)) => {
            if h.contact.id != contact.text {
                return Some(format!(
                    "attendu : un transfert à `{}`\n      obtenu  : {}",
                    contact.text,
                    describe(actual)
                ));
            }
            (
                format!("un transfert à `{}`", contact.text),
                texts,
                h.message.clone().unwrap_or_default(),
            )
        }
        (TestStep::ExpectAnswer(..), _) => {
            return Some(format!(
                "attendu : une réponse\n      obtenu  : {}",
                describe(actual)
            ))
        }
        (_, _) => {
            let TestStep::ExpectHandoff(contact, ..) = expected else {
                return None;
            };
            return Some(format!(
                "attendu : un transfert à `{}`\n      obtenu  : {}",
                contact.text,
                describe(actual)
            ));
        }
    };
    // Answers use no-break spaces (« 1 607 », « 100,80 € »); a test writes plain ones.
    let spaces = |t: &str| t.replace(['\u{a0}', '\u{202f}'], " ");
    let actual_spaced = spaces(&actual_text);
    let missing: Vec<String> = texts
        .iter()
        .map(|t| t.plain().unwrap_or_default())
        .filter(|t| !actual_spaced.contains(&spaces(t)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(format!(
        "attendu : {wanted} contenant {}\n      obtenu  : {}",
        missing
            .iter()
            .map(|m| format!("« {m} »"))
            .collect::<Vec<_>>()
            .join(", "),
        describe(actual)
    ))
}

fn describe(step: &Step) -> String {
    match step {
        Step::Ask(q) => format!("la question « {} »", q.prompt),
        Step::Answer(a) => format!("la réponse « {} »", first_line(&a.text)),
        Step::Handoff(h) => format!(
            "un transfert à `{}`{}",
            h.contact.id,
            h.message
                .as_ref()
                .map(|m| format!(" « {} »", first_line(m)))
                .unwrap_or_default()
        ),
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 100 {
        format!("{}…", line.chars().take(100).collect::<String>())
    } else {
        line.to_string()
    }
}

fn record_coverage(session: &Session, report: &mut Report) {
    for entry in session.why() {
        if let Some(branch) = entry.branch {
            report.covered_branches.insert((entry.node, branch));
        }
    }
    if let crate::engine::session::State::Done { at } = session.state() {
        report.covered_outcomes.insert(at);
    }
}

/// The coverage summary: figures, then every outcome and branch no test reached.
pub fn coverage(program: &Program, report: &Report) -> String {
    let mut outcomes = Vec::new();
    let mut branches = Vec::new();
    for node in program.graph.node_indices() {
        let n = &program.graph[node];
        let id = node.index() as u32;
        match &n.kind {
            NodeKind::Answer { .. } | NodeKind::Handoff { .. } => {
                outcomes.push((id, n.span, String::new()))
            }
            NodeKind::If { .. } => {
                branches.push((id, 0, n.span, "si vrai".to_string()));
                branches.push((id, 1, n.span, "si faux".to_string()));
            }
            NodeKind::Match { arms, .. } => {
                for (i, target) in arms.iter().enumerate() {
                    let label = program
                        .graph
                        .edges_connecting(node, *target)
                        .find_map(|e| match e.weight() {
                            EdgeLabel::Arm(t) => Some(t.clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    branches.push((id, i as u32, n.span, format!("branche « {label} »")));
                }
            }
            _ => {}
        }
    }
    let covered_outcomes = outcomes
        .iter()
        .filter(|(id, ..)| report.covered_outcomes.contains(id))
        .count();
    let covered_branches = branches
        .iter()
        .filter(|(id, arm, ..)| report.covered_branches.contains(&(*id, *arm)))
        .count();
    let percent = |a: usize, b: usize| (a * 100).checked_div(b).unwrap_or(100);
    let mut out = format!(
        "Couverture : {covered_outcomes}/{} issues ({} %), {covered_branches}/{} branches ({} %)\n",
        outcomes.len(),
        percent(covered_outcomes, outcomes.len()),
        branches.len(),
        percent(covered_branches, branches.len()),
    );
    let mut uncovered_outcomes: Vec<_> = outcomes
        .iter()
        .filter(|(id, ..)| !report.covered_outcomes.contains(id))
        .collect();
    uncovered_outcomes.sort_by_key(|(_, span, _)| *span);
    if !uncovered_outcomes.is_empty() {
        out.push_str("Issues jamais atteintes :\n");
        for (_, span, _) in uncovered_outcomes {
            let _ = writeln!(
                out,
                "  {}  {}",
                program.sources.location(*span),
                snippet(&program.sources, *span)
            );
        }
    }
    let mut uncovered_branches: Vec<_> = branches
        .iter()
        .filter(|(id, arm, ..)| !report.covered_branches.contains(&(*id, *arm)))
        .collect();
    uncovered_branches.sort_by_key(|(_, arm, span, _)| (*span, *arm));
    if !uncovered_branches.is_empty() {
        out.push_str("Branches jamais prises :\n");
        for (_, _, span, label) in uncovered_branches {
            let _ = writeln!(out, "  {}  {label}", program.sources.location(*span));
        }
    }
    out
}

/// The first line of a span's text, shortened.
fn snippet(sources: &Sources, span: crate::span::Span) -> String {
    first_line(sources.text(span).trim())
}
