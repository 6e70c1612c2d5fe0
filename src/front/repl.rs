//! `guichet repl`: a read-eval-print loop for developers debugging rules.
//!
//! [`Repl`] is the command processor: it takes one input line and returns the
//! text to print ([`Repl::handle`]), so it is tested without a terminal. It
//! holds the compiled program (or none, while the files have errors), one
//! conversation ([`Session`]), the facts fixed with `:set`, the breakpoints
//! and the trace switch. The walk goes node by node ([`Session::step_node`])
//! so it can print each node (`:trace on`) and stop before a rule
//! (`:break`). [`command`] is the thin shell around it: rustyline (history
//! kept between runs, completion, multi-line input) when stdin is a
//! terminal, plain lines echoed after the prompt otherwise ([`run_script`]).
//!
//! Facts survive a change of rules: `:reload`, `:set` and `:unset` start the
//! topic again and re-give the previous replies when their questions come
//! back (« rejoué »), so the walk lands where it was, or where the new rules
//! lead. Everything printed is French, like the rest of the tool.

use crate::compile::program::{Fact, FactType, NodeId, NodeKind, Program, TopicId};
use crate::compile::{compile, Compiled};
use crate::engine::eval::{eval, Env, Stop};
use crate::engine::reply::parse_reply;
use crate::engine::session::{Handoff, Question, Step, TrailEntry};
use crate::engine::value::{self, display, Value};
use crate::engine::{Provenance, Session};
use crate::front::graph;
use crate::front::load::{load, RULE_EXTENSION};
use crate::front::render;
use crate::span::Sources;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use time::Date;

/// Most nodes one walk visits before it gives up (the engine's own bound then applies).
const MAX_VISITS: usize = 100_000;

/// Reads the rule files again: for `:reload` and `:check`.
pub type Loader = Box<dyn FnMut() -> Result<Sources, String>>;

/// What the shell does after an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Print this text (possibly empty) and read the next input.
    Print(String),
    /// The input is an unfinished statement: read one more line.
    More,
    /// End the REPL.
    Quit,
}

/// Where the walk stops before applying a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Breakpoint {
    /// The rules that start on this line of this file (file name as loaded).
    Line { file: String, line: usize },
    /// Entering this topic (at its start or through a `goto`).
    Topic(String),
}

impl Breakpoint {
    fn describe(&self) -> String {
        match self {
            Breakpoint::Line { file, line } => format!("{file}:{line}"),
            Breakpoint::Topic(t) => format!("sujet {t}"),
        }
    }
}

/// The command processor of `guichet repl`.
pub struct Repl {
    loader: Loader,
    program: Option<Program>,
    today: Date,
    session: Option<Session>,
    /// Facts fixed with `:set`, as value codes: given to every conversation.
    set: BTreeMap<String, String>,
    /// Earlier replies, given again when their question comes back.
    replay: BTreeMap<String, String>,
    trace: bool,
    breakpoints: Vec<Breakpoint>,
    /// The node the walk last stopped at: it does not stop there again until it moves on.
    broke_at: Option<NodeId>,
    /// The walk is stopped at a breakpoint (`:continue`, `:step`).
    paused: bool,
    /// The next node visited is a topic's first (for `:break TOPIC`).
    entering: bool,
    /// The input so far of an unfinished multi-line statement.
    pending: String,
}

const COMMANDS: &[(&str, &str)] = &[
    (":topics", "liste les sujets"),
    (":start SUJET", "commence un sujet (son identifiant ou son numéro)"),
    ("RÉPONSE", "toute ligne sans « : » répond à la question posée"),
    (":back", "revient à la question précédente"),
    (":restart", "recommence le sujet (les faits de :set restent)"),
    (
        ":set FAIT = VALEUR",
        "fixe un fait, puis rejoue le sujet avec les réponses déjà données",
    ),
    (":unset FAIT", "oublie un fait, puis rejoue le sujet"),
    (":facts", "les faits connus et leur provenance"),
    (
        ":why",
        "les règles appliquées jusqu'ici, avec leur fichier et leur ligne",
    ),
    (":trace on|off", "affiche chaque nœud visité"),
    (
        ":break FICHIER:LIGNE | SUJET",
        "s'arrête avant une règle, ou à l'entrée d'un sujet ; seul, liste les arrêts",
    ),
    (":unbreak [ARRÊT]", "retire un point d'arrêt, ou tous"),
    (":continue", "reprend la marche arrêtée"),
    (":step", "avance d'un nœud"),
    (
        ":reload",
        "relit les fichiers ; garde les faits et rejoue le sujet (en cas d'erreur, garde l'ancien programme)",
    ),
    (":check", "vérifie les fichiers sans les charger"),
    (
        ":graph [SUJET] [dot|mermaid|svg FICHIER]",
        "le graphe de décision d'un sujet (Mermaid par défaut)",
    ),
    (
        ":eval EXPR",
        "calcule une expression avec les faits connus",
    ),
    (":help", "cette aide"),
    (":quit", "quitte (ou Ctrl-D)"),
];

/// Command words, with the aliases accepted.
const WORDS: &[&str] = &[
    ":topics",
    ":start",
    ":back",
    ":restart",
    ":set",
    ":unset",
    ":facts",
    ":why",
    ":trace",
    ":break",
    ":unbreak",
    ":continue",
    ":step",
    ":reload",
    ":check",
    ":graph",
    ":eval",
    ":help",
    ":quit",
];

impl Repl {
    /// A REPL on the rules `loader` reads, for conversations dated `today`.
    /// Returns the REPL and what to print first (the diagnostics, if the rules have errors).
    pub fn new(mut loader: Loader, today: Date) -> Result<(Repl, String), String> {
        let compiled = compile(loader()?);
        let mut banner = String::new();
        if compiled.program.is_none() || !compiled.diagnostics.is_empty() {
            banner.push_str(&diagnostics_text(&compiled));
        }
        let program = compiled.program;
        match &program {
            Some(p) => {
                let _ = writeln!(
                    banner,
                    "{} sujet(s), {} fait(s), {} fichier(s) chargé(s). :help pour l'aide, :topics pour les sujets.",
                    p.topics.len(),
                    p.facts.len(),
                    p.sources.files().count()
                );
            }
            None => banner.push_str(
                "Les règles ont des erreurs : corrigez-les puis tapez :reload. :help pour l'aide.\n",
            ),
        }
        let repl = Repl {
            loader,
            program,
            today,
            session: None,
            set: BTreeMap::new(),
            replay: BTreeMap::new(),
            trace: false,
            breakpoints: Vec::new(),
            broke_at: None,
            paused: false,
            entering: false,
            pending: String::new(),
        };
        Ok((repl, banner))
    }

    /// The prompt for the next input.
    pub fn prompt(&self) -> String {
        if !self.pending.is_empty() {
            return "...> ".to_string();
        }
        match (&self.program, &self.session) {
            (Some(p), Some(s)) if self.paused => format!("{} (arrêt)> ", p.topic(s.topic).name),
            (Some(p), Some(s)) => format!("{}> ", p.topic(s.topic).name),
            _ => "guichet> ".to_string(),
        }
    }

    /// Handles one line of input (or several, when a terminal sends an unfinished statement whole).
    pub fn handle(&mut self, line: &str) -> Outcome {
        if !self.pending.is_empty() {
            self.pending.push('\n');
        }
        self.pending.push_str(line);
        if incomplete(&self.pending) {
            return Outcome::More;
        }
        let input = std::mem::take(&mut self.pending);
        let input = input.replace("\\\n", "\n");
        let mut out = String::new();
        match self.dispatch(input.trim(), &mut out) {
            Ok(true) => Outcome::Quit,
            Ok(false) => Outcome::Print(out),
            Err(message) => {
                let _ = writeln!(out, "erreur : {message}");
                Outcome::Print(out)
            }
        }
    }

    /// Forgets an unfinished multi-line statement (Ctrl-C).
    pub fn interrupt(&mut self) {
        self.pending.clear();
    }

    /// Runs one complete input; `Ok(true)` to quit.
    fn dispatch(&mut self, input: &str, out: &mut String) -> Result<bool, String> {
        if input.is_empty() {
            return Ok(false);
        }
        if !input.starts_with(':') {
            self.reply(input, out)?;
            return Ok(false);
        }
        let (word, rest) = match input.find(char::is_whitespace) {
            Some(i) => (&input[..i], input[i..].trim()),
            None => (input, ""),
        };
        match word {
            ":quit" | ":q" | ":exit" | ":quitter" => return Ok(true),
            ":help" | ":h" | ":?" | ":aide" => help(out),
            ":topics" => self.topics(out)?,
            ":start" => self.start_command(rest, out)?,
            ":back" => self.back(out)?,
            ":restart" => self.restart(out)?,
            ":set" => self.set(rest, out)?,
            ":unset" => self.unset(rest, out)?,
            ":facts" => self.facts(out)?,
            ":why" => self.why(out)?,
            ":trace" => self.trace(rest, out)?,
            ":break" => self.add_breakpoint(rest, out)?,
            ":unbreak" => self.remove_breakpoint(rest, out)?,
            ":continue" | ":c" => self.resume(None, out)?,
            ":step" | ":s" => self.resume(Some(1), out)?,
            ":reload" => self.reload(out)?,
            ":check" => self.check(out)?,
            ":graph" => self.graph(rest, out)?,
            ":eval" => self.eval(rest, out)?,
            other => {
                let hint = crate::compile::suggest(other, WORDS.iter().copied())
                    .map(|s| format!(" (vouliez-vous dire « {s} » ?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "commande inconnue « {other} »{hint} ; :help les liste"
                ));
            }
        }
        Ok(false)
    }

    fn program(&self) -> Result<&Program, String> {
        self.program.as_ref().ok_or_else(no_program)
    }

    fn session(&self) -> Result<&Session, String> {
        self.session.as_ref().ok_or_else(no_session)
    }

    // ------------------------------------------------------------ topics and walking

    fn topics(&self, out: &mut String) -> Result<(), String> {
        let program = self.program()?;
        let width = program
            .topics
            .iter()
            .map(|t| t.name.chars().count())
            .max()
            .unwrap_or(0);
        let current = self.session.as_ref().map(|s| s.topic);
        for (i, t) in program.topics.iter().enumerate() {
            let mark = if current == Some(TopicId(i as u32)) {
                '*'
            } else {
                ' '
            };
            let _ = writeln!(out, "{mark}{:>3}. {:<width$}  {}", i + 1, t.name, t.title);
        }
        Ok(())
    }

    fn start_command(&mut self, name: &str, out: &mut String) -> Result<(), String> {
        let program = self.program()?;
        if name.is_empty() {
            return Err("quel sujet ? :start SUJET (voir :topics)".into());
        }
        let topic = match name.parse::<usize>() {
            Ok(n) if (1..=program.topics.len()).contains(&n) => TopicId(n as u32 - 1),
            _ => program
                .topic_named(name)
                .ok_or_else(|| unknown_topic(program, name))?,
        };
        self.replay.clear();
        self.start(topic, out);
        Ok(())
    }

    /// A new conversation on `topic`, with the `:set` facts, walked until it needs something.
    fn start(&mut self, topic: TopicId, out: &mut String) {
        let Some(program) = &self.program else {
            return;
        };
        let mut session = Session::new(program, topic, self.today);
        let mut dropped = Vec::new();
        for (fact, raw) in &self.set {
            if let Err(e) = session.prefill(program, fact, raw, Provenance::Profile) {
                let _ = writeln!(
                    out,
                    "attention : « {fact} = {raw} » ne vaut plus avec ces règles ({}) : oublié",
                    e.message()
                );
                dropped.push(fact.clone());
            }
        }
        for fact in dropped {
            self.set.remove(&fact);
        }
        let _ = writeln!(out, "— {} —", program.topic(topic).title);
        self.session = Some(session);
        self.broke_at = None;
        self.paused = false;
        self.entering = true;
        self.walk(None, out);
    }

    /// Walks until a question, an outcome, a breakpoint, or `budget` nodes.
    fn walk(&mut self, mut budget: Option<usize>, out: &mut String) {
        let (Some(program), Some(mut session)) = (self.program.as_ref(), self.session.take())
        else {
            return;
        };
        for _ in 0..MAX_VISITS {
            if let Some(at) = session.position() {
                if self.broke_at != Some(at) {
                    let stop = budget == Some(0) || self.breaks_at(program, at);
                    if stop {
                        self.broke_at = Some(at);
                        self.paused = true;
                        let what = if budget == Some(0) {
                            "Arrêt"
                        } else {
                            "Point d'arrêt"
                        };
                        let _ = writeln!(
                            out,
                            "{what} : {}  {}",
                            location(program, at),
                            graph::describe(program, at)
                        );
                        let _ = writeln!(out, "  (:continue pour reprendre, :step pour un nœud)");
                        self.session = Some(session);
                        return;
                    }
                }
                // An `Ask` whose fact is known only passes the walk on: not worth a line.
                let passing = matches!(program.node(at).kind,
                    NodeKind::Ask { fact, .. } if session.value_of(fact).is_some());
                if self.trace && !passing {
                    let _ = writeln!(
                        out,
                        "  · {}  {}",
                        location(program, at),
                        graph::describe(program, at)
                    );
                }
                let before = session.why().len();
                if let Err(e) = session.step_node(program) {
                    let _ = writeln!(out, "erreur : {}", e.message());
                    self.session = Some(session);
                    return;
                }
                if self.trace {
                    for e in &session.why()[before.min(session.why().len())..] {
                        let _ = writeln!(out, "      → {}", e.what);
                    }
                }
                self.entering = matches!(program.node(at).kind, NodeKind::Goto { .. });
                if session.position() != Some(at) {
                    self.broke_at = None;
                }
                budget = budget.map(|b| b.saturating_sub(1));
                continue;
            }
            self.paused = false;
            match session.step(program) {
                Ok(Step::Ask(q)) => {
                    if let Some(raw) = self.replay.remove(q.fact) {
                        match session.reply(program, &raw) {
                            Ok(()) => {
                                let _ = writeln!(out, "  (rejoué) {} = {raw}", q.fact);
                                continue;
                            }
                            Err(e) => {
                                let _ = writeln!(
                                    out,
                                    "  (non rejoué) {} = {raw} : {}",
                                    q.fact,
                                    e.message()
                                );
                            }
                        }
                    }
                    show_question(out, &q);
                }
                Ok(step) => show_outcome(out, program, &step),
                Err(e) => {
                    let _ = writeln!(out, "erreur : {}", e.message());
                }
            }
            self.session = Some(session);
            return;
        }
        // The walk did not end within the bound: the engine's step ends it (a hand-off).
        if let Ok(step) = session.step(program) {
            show_outcome(out, program, &step);
        }
        self.session = Some(session);
    }

    /// Whether a breakpoint stops the walk before node `at`.
    fn breaks_at(&self, program: &Program, at: NodeId) -> bool {
        let node = program.node(at);
        self.breakpoints.iter().any(|b| match b {
            Breakpoint::Topic(name) => {
                self.entering
                    && program
                        .topic_named(name)
                        .is_some_and(|t| program.topic(t).entry == at)
            }
            Breakpoint::Line { file, line } => {
                !matches!(node.kind, NodeKind::Ask { .. }) && {
                    let source = program.sources.get(node.span.file);
                    source.name == *file && source.line_col(node.span.start as usize).0 == *line
                }
            }
        })
    }

    fn reply(&mut self, text: &str, out: &mut String) -> Result<(), String> {
        let program = self.program.as_ref().ok_or_else(no_program)?;
        let session = self.session.as_mut().ok_or_else(no_session)?;
        if self.paused {
            return Err(
                "la marche est arrêtée sur un point d'arrêt : :continue ou :step d'abord".into(),
            );
        }
        if session.is_done() {
            return Err("la conversation est terminée : :restart, :back ou :start SUJET".into());
        }
        session.reply(program, text).map_err(|e| e.message())?;
        self.walk(None, out);
        Ok(())
    }

    fn resume(&mut self, budget: Option<usize>, out: &mut String) -> Result<(), String> {
        self.program()?;
        let session = self.session()?;
        if !self.paused && session.position().is_none() {
            return Err(match budget {
                None => "la marche n'est pas arrêtée".into(),
                Some(_) => "la marche attend une réponse ou est terminée : rien à avancer".into(),
            });
        }
        self.paused = false;
        self.walk(budget, out);
        Ok(())
    }

    fn back(&mut self, out: &mut String) -> Result<(), String> {
        let program = self.program.as_ref().ok_or_else(no_program)?;
        let session = self.session.as_mut().ok_or_else(no_session)?;
        session.back(program).map_err(|e| e.message())?;
        self.broke_at = None;
        self.paused = false;
        self.walk(None, out);
        Ok(())
    }

    fn restart(&mut self, out: &mut String) -> Result<(), String> {
        self.program()?;
        let topic = self.session()?.topic;
        self.replay.clear();
        self.start(topic, out);
        Ok(())
    }

    /// Starts the current topic again, re-giving the replies known so far (except `forget`).
    fn replay_topic(&mut self, topic: &str, forget: Option<&str>, out: &mut String) {
        self.session = None;
        let Some(program) = &self.program else {
            return;
        };
        match program.topic_named(topic) {
            Some(id) => {
                if let Some(f) = forget {
                    self.replay.remove(f);
                }
                self.start(id, out);
            }
            None => {
                let _ = writeln!(
                    out,
                    "Le sujet « {topic} » n'existe plus : :start SUJET (voir :topics)."
                );
            }
        }
    }

    /// Keeps the replies of the current conversation for [`Repl::replay_topic`].
    fn keep_replies(&mut self) {
        let (Some(program), Some(session)) = (&self.program, &self.session) else {
            return;
        };
        for (id, known) in session.known() {
            let fact = program.fact(id);
            if !self.set.contains_key(&fact.name) {
                self.replay
                    .insert(fact.name.clone(), code(&known.value, fact));
            }
        }
    }

    // ------------------------------------------------------------ facts

    fn set(&mut self, rest: &str, out: &mut String) -> Result<(), String> {
        let program = self.program()?;
        let Some((name, raw)) = rest.split_once('=') else {
            return Err("écrivez :set FAIT = VALEUR".into());
        };
        let (name, raw) = (name.trim(), raw.trim());
        let fact = program
            .fact_named(name)
            .map(|id| program.fact(id))
            .ok_or_else(|| unknown_fact(program, name))?;
        let raw = raw
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(raw);
        let value = parse_reply(fact, raw)
            .map_err(|e| format!("valeur refusée pour « {name} » : {}", e.message))?;
        let shown = shown_value(&value, fact);
        let code = code(&value, fact);
        let _ = writeln!(out, "{name} = {shown}");
        self.keep_replies();
        self.replay.remove(name);
        self.set.insert(name.to_string(), code);
        self.replay_current(None, out);
        Ok(())
    }

    fn unset(&mut self, name: &str, out: &mut String) -> Result<(), String> {
        let program = self.program()?;
        if name.is_empty() {
            return Err("écrivez :unset FAIT".into());
        }
        if program.fact_named(name).is_none() {
            return Err(unknown_fact(program, name));
        }
        let known_in_session = self.session.as_ref().is_some_and(|s| {
            program
                .fact_named(name)
                .and_then(|id| s.value_of(id))
                .is_some()
        });
        if self.set.remove(name).is_none() && !known_in_session {
            return Err(format!("« {name} » n'est pas connu"));
        }
        let _ = writeln!(out, "{name} oublié");
        self.keep_replies();
        self.replay_current(Some(name), out);
        Ok(())
    }

    fn replay_current(&mut self, forget: Option<&str>, out: &mut String) {
        let topic = match (&self.program, &self.session) {
            (Some(p), Some(s)) => p.topic(s.topic).name.clone(),
            _ => {
                if let Some(f) = forget {
                    self.replay.remove(f);
                }
                return;
            }
        };
        self.replay_topic(&topic, forget, out);
    }

    fn facts(&self, out: &mut String) -> Result<(), String> {
        let program = self.program()?;
        let mut any = false;
        if let Some(session) = &self.session {
            for (id, known) in session.known() {
                let fact = program.fact(id);
                let provenance = if self.set.contains_key(&fact.name) {
                    ":set"
                } else {
                    known.provenance.words()
                };
                let _ = writeln!(
                    out,
                    "  {} = {}  [{provenance}]",
                    fact.name,
                    shown_value(&known.value, fact)
                );
                any = true;
            }
        } else {
            for (name, raw) in &self.set {
                let _ = writeln!(out, "  {name} = {raw}  [:set]");
                any = true;
            }
        }
        if !self.replay.is_empty() {
            let _ = writeln!(out, "  en réserve (redonnés si la question revient) :");
            for (name, raw) in &self.replay {
                let _ = writeln!(out, "    {name} = {raw}");
            }
            any = true;
        }
        if !any {
            let _ = writeln!(out, "  aucun fait connu");
        }
        Ok(())
    }

    fn why(&self, out: &mut String) -> Result<(), String> {
        let program = self.program()?;
        let session = self.session()?;
        let title = if session.is_done() {
            "Pourquoi ce résultat :"
        } else {
            "Règles appliquées jusqu'ici :"
        };
        let _ = writeln!(out, "{title}");
        if session.why().is_empty() {
            let _ = writeln!(out, "  aucune règle appliquée");
        }
        for e in session.why() {
            let _ = writeln!(out, "  {}  {}", trail_location(program, e), e.what);
        }
        Ok(())
    }

    // ------------------------------------------------------------ debugging

    fn trace(&mut self, rest: &str, out: &mut String) -> Result<(), String> {
        self.trace = match rest {
            "on" | "oui" => true,
            "off" | "non" => false,
            "" => !self.trace,
            other => return Err(format!("écrivez :trace on ou :trace off, pas « {other} »")),
        };
        let _ = writeln!(
            out,
            "trace {}",
            if self.trace {
                "activée"
            } else {
                "désactivée"
            }
        );
        Ok(())
    }

    fn add_breakpoint(&mut self, rest: &str, out: &mut String) -> Result<(), String> {
        if rest.is_empty() {
            if self.breakpoints.is_empty() {
                let _ = writeln!(out, "aucun point d'arrêt");
            }
            for (i, b) in self.breakpoints.iter().enumerate() {
                let _ = writeln!(out, "  {}. {}", i + 1, b.describe());
            }
            return Ok(());
        }
        let program = self.program()?;
        let breakpoint = match rest.rsplit_once(':') {
            Some((file, line)) if line.chars().all(|c| c.is_ascii_digit()) && !line.is_empty() => {
                let line: usize = line
                    .parse()
                    .map_err(|_| format!("ligne invalide « {line} »"))?;
                let file = source_named(program, file)?;
                let lines = rule_lines(program, &file);
                if !lines.contains(&line) {
                    let near: Vec<String> = nearest(&lines, line)
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    return Err(format!(
                        "aucune règle ne commence à la ligne {line} de {file}{}",
                        if near.is_empty() {
                            String::new()
                        } else {
                            format!(" ; lignes proches : {}", near.join(", "))
                        }
                    ));
                }
                Breakpoint::Line { file, line }
            }
            _ => {
                program
                    .topic_named(rest)
                    .ok_or_else(|| unknown_topic(program, rest))?;
                Breakpoint::Topic(rest.to_string())
            }
        };
        if !self.breakpoints.contains(&breakpoint) {
            self.breakpoints.push(breakpoint.clone());
        }
        let _ = writeln!(out, "point d'arrêt : {}", breakpoint.describe());
        Ok(())
    }

    fn remove_breakpoint(&mut self, rest: &str, out: &mut String) -> Result<(), String> {
        if rest.is_empty() || rest == "tout" || rest == "all" {
            let n = self.breakpoints.len();
            self.breakpoints.clear();
            let _ = writeln!(out, "{n} point(s) d'arrêt retiré(s)");
            return Ok(());
        }
        let before = self.breakpoints.len();
        let index = rest.parse::<usize>().ok();
        let mut position = 0;
        self.breakpoints.retain(|b| {
            position += 1;
            let described = b.describe();
            let matches = index == Some(position)
                || described == rest
                || described.ends_with(&format!("/{rest}"))
                || matches!(b, Breakpoint::Topic(t) if t == rest);
            !matches
        });
        if self.breakpoints.len() == before {
            return Err(format!("aucun point d'arrêt « {rest} » (:break les liste)"));
        }
        let _ = writeln!(out, "point d'arrêt retiré");
        Ok(())
    }

    // ------------------------------------------------------------ files

    fn reload(&mut self, out: &mut String) -> Result<(), String> {
        let compiled = compile((self.loader)()?);
        let text = diagnostics_text(&compiled);
        out.push_str(&text);
        let Some(program) = compiled.program else {
            let _ = writeln!(
                out,
                "Rechargement refusé : {}. Le programme précédent est gardé.",
                render::summary(&compiled.diagnostics)
            );
            return Ok(());
        };
        let _ = writeln!(
            out,
            "Rechargé : {} fichier(s), {} sujet(s) ({}).",
            program.sources.files().count(),
            program.topics.len(),
            render::summary(&compiled.diagnostics)
        );
        self.keep_replies();
        let topic = match (&self.program, &self.session) {
            (Some(p), Some(s)) => Some(p.topic(s.topic).name.clone()),
            _ => None,
        };
        self.program = Some(program);
        self.paused = false;
        self.broke_at = None;
        if let Some(topic) = topic {
            self.replay_topic(&topic, None, out);
        } else {
            self.session = None;
        }
        Ok(())
    }

    fn check(&mut self, out: &mut String) -> Result<(), String> {
        let compiled = compile((self.loader)()?);
        out.push_str(&diagnostics_text(&compiled));
        let _ = writeln!(
            out,
            "{} : {} fichier(s) vérifié(s)",
            render::summary(&compiled.diagnostics),
            compiled.sources.files().count()
        );
        Ok(())
    }

    fn graph(&mut self, rest: &str, out: &mut String) -> Result<(), String> {
        let program = self.program()?;
        let mut words = rest.split_whitespace();
        let mut topic = None;
        let mut format = graph::Format::Mermaid;
        let mut file = None;
        while let Some(word) = words.next() {
            match word {
                "dot" => format = graph::Format::Dot,
                "mermaid" => format = graph::Format::Mermaid,
                "svg" => {
                    format = graph::Format::Svg;
                    file = Some(words.next().ok_or("écrivez :graph SUJET svg FICHIER.svg")?);
                }
                name if topic.is_none() => {
                    topic = Some(
                        program
                            .topic_named(name)
                            .ok_or_else(|| unknown_topic(program, name))?,
                    );
                }
                other => return Err(format!("« {other} » : attendu dot, mermaid ou svg FICHIER")),
            }
        }
        let topic = match (topic, &self.session) {
            (Some(t), _) => t,
            (None, Some(s)) => s.topic,
            (None, None) => return Err("quel sujet ? :graph SUJET".into()),
        };
        let text = graph::render(program, topic, format);
        match file {
            Some(path) => {
                std::fs::write(path, text)
                    .map_err(|e| format!("impossible d'écrire {path} : {e}"))?;
                let _ = writeln!(out, "graphe écrit dans {path}");
            }
            None => out.push_str(&text),
        }
        Ok(())
    }

    // ------------------------------------------------------------ expressions

    fn eval(&mut self, text: &str, out: &mut String) -> Result<(), String> {
        let program = self.program()?;
        if text.is_empty() {
            return Err("écrivez :eval EXPRESSION, par exemple :eval 5 * jours_par_semaine".into());
        }
        let mut sources = Sources::new();
        let file = sources.add("<eval>", text);
        let checked = match crate::compile::standalone::check_expression(program, file, text) {
            Ok(c) => c,
            Err(diagnostics) => {
                out.push_str(&render::text(&sources, &diagnostics, false));
                return Ok(());
            }
        };
        let mut facts: Vec<Option<Value>> = vec![None; program.facts.len()];
        match &self.session {
            Some(session) => {
                for (id, known) in session.known() {
                    facts[id.index()] = Some(known.value);
                }
            }
            None => {
                for (name, raw) in &self.set {
                    if let Some(id) = program.fact_named(name) {
                        facts[id.index()] = parse_reply(program.fact(id), raw).ok();
                    }
                }
            }
        }
        let env = Env {
            facts: &facts,
            locals: &[],
            today: self.today,
        };
        match eval(&checked.expr, &env) {
            Ok(v) => {
                let fact = checked.choice.map(|f| program.fact(f));
                let shown = match fact {
                    Some(f) => shown_value(&v, f),
                    None => display(&v, None),
                };
                let _ = writeln!(out, "= {shown}");
                Ok(())
            }
            Err(Stop::Need(id)) => {
                let f = program.fact(id);
                Err(format!(
                    "il faut connaître « {} » ({}) : :set {} = …",
                    f.name, f.question, f.name
                ))
            }
            Err(Stop::Fault(why)) => Err(format!("calcul impossible : {why}")),
        }
    }

    // ------------------------------------------------------------ completion

    /// Completions of `line` at byte `pos`: where the completed word starts, and the candidates.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let pos = crate::span::clamp_to_char_boundary(line, pos);
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| c.is_whitespace() || "=(,{".contains(c))
            .map_or(0, |i| {
                i + before[i..].chars().next().map_or(1, char::len_utf8)
            });
        let word = &before[start..];
        let Some(program) = &self.program else {
            return (start, matching(word, WORDS.iter().map(|w| w.to_string())));
        };
        let facts = || program.facts.iter().map(|f| f.name.clone());
        let topics = || program.topics.iter().map(|t| t.name.clone());
        if !before.starts_with(':') {
            let options = match (&self.session, self.paused) {
                (Some(s), false) => match s.state() {
                    crate::engine::session::State::Asking { fact, .. } => {
                        values_of(program.fact(fact))
                    }
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            return (start, matching(word, options.into_iter()));
        }
        let command = before.split_whitespace().next().unwrap_or("");
        if start == 0 {
            return (0, matching(word, WORDS.iter().map(|w| w.to_string())));
        }
        let args_before =
            before[command.len()..].split_whitespace().count() - usize::from(!word.is_empty());
        let candidates: Vec<String> = match command {
            ":start" | ":graph" if args_before == 0 => topics().collect(),
            ":graph" => ["dot", "mermaid", "svg"].map(String::from).to_vec(),
            ":break" | ":unbreak" => topics()
                .chain(program.sources.files().flat_map(|(_, f)| {
                    let base = Path::new(&f.name)
                        .file_name()
                        .map(|b| format!("{}:", b.to_string_lossy()));
                    std::iter::once(format!("{}:", f.name)).chain(base)
                }))
                .collect(),
            ":trace" => ["on", "off"].map(String::from).to_vec(),
            ":unset" => facts().collect(),
            ":set" => match before.split_once('=') {
                None => facts().collect(),
                Some((name, _)) => {
                    let name = name.trim_start_matches(":set").trim();
                    program
                        .fact_named(name)
                        .map(|id| values_of(program.fact(id)))
                        .unwrap_or_default()
                }
            },
            ":eval" => facts()
                .chain(
                    program
                        .facts
                        .iter()
                        .flat_map(|f| f.ty.choices().iter().map(|v| v.name.clone())),
                )
                .chain(
                    crate::compile::program::Function::ALL
                        .iter()
                        .map(|(n, _)| n.to_string()),
                )
                .chain(["today", "oui", "non", "and", "or", "not", "in"].map(String::from))
                .collect(),
            _ => Vec::new(),
        };
        (start, matching(word, candidates.into_iter()))
    }
}

// ---------------------------------------------------------------- helpers

fn no_program() -> String {
    "aucun programme chargé : corrigez les erreurs puis :reload".to_string()
}

fn no_session() -> String {
    "aucun sujet en cours : :start SUJET (voir :topics)".to_string()
}

/// Whether the input so far is a command that continues on the next line:
/// a bracket or a string left open, a final `\`, or a final operator.
pub fn incomplete(text: &str) -> bool {
    let trimmed = text.trim_end();
    if !trimmed.trim_start().starts_with(':') {
        return false;
    }
    if trimmed.ends_with('\\') {
        return true;
    }
    let mut depth = 0i32;
    let mut in_string = false;
    let mut chars = trimmed.chars();
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => in_string = false,
            (false, '"') => in_string = true,
            (false, '(' | '{' | '[') => depth += 1,
            (false, ')' | '}' | ']') => depth -= 1,
            _ => {}
        }
    }
    if in_string || depth > 0 {
        return true;
    }
    let is_eval = trimmed.trim_start().starts_with(":eval ");
    let last = trimmed.split_whitespace().last().unwrap_or("");
    is_eval
        && [
            "and", "or", "not", "+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "in",
        ]
        .contains(&last)
}

fn matching(word: &str, candidates: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = candidates.filter(|c| c.starts_with(word)).collect();
    out.sort();
    out.dedup();
    out
}

/// What may be typed for a fact: its choice values, or oui/non.
fn values_of(fact: &Fact) -> Vec<String> {
    match &fact.ty {
        FactType::Choice(values) => values.iter().map(|v| v.name.clone()).collect(),
        FactType::YesNo => vec!["oui".into(), "non".into()],
        _ => Vec::new(),
    }
}

/// A value as typed back: a choice's name, numbers with a point, dates jj/mm/aaaa.
fn code(v: &Value, fact: &Fact) -> String {
    match v {
        Value::Choice(_) => value::code(v, fact),
        Value::Bool(b) => if *b { "oui" } else { "non" }.to_string(),
        Value::Number(n) => format!("{n}"),
        Value::Date(d) => value::date(*d),
        Value::Text(t) => t.clone(),
    }
}

/// A value for developers: a choice as `name (label)`.
fn shown_value(v: &Value, fact: &Fact) -> String {
    match v {
        Value::Choice(_) => format!("{} ({})", value::code(v, fact), display(v, Some(fact))),
        _ => display(v, Some(fact)),
    }
}

fn location(program: &Program, node: NodeId) -> String {
    program.sources.location(program.node(node).span)
}

fn trail_location(program: &Program, e: &TrailEntry) -> String {
    let location = crate::front::wire::location(program, e);
    if location.is_empty() {
        "—".to_string()
    } else {
        location
    }
}

fn unknown_topic(program: &Program, name: &str) -> String {
    let hint = crate::compile::suggest(name, program.topics.iter().map(|t| t.name.as_str()))
        .map(|s| format!(" (vouliez-vous dire « {s} » ?)"))
        .unwrap_or_default();
    format!("sujet inconnu « {name} »{hint} ; :topics les liste")
}

fn unknown_fact(program: &Program, name: &str) -> String {
    let hint = crate::compile::suggest(name, program.facts.iter().map(|f| f.name.as_str()))
        .map(|s| format!(" (vouliez-vous dire « {s} » ?)"))
        .unwrap_or_default();
    format!("fait inconnu « {name} »{hint}")
}

/// The loaded file a user names, by its whole name or its end (`conges.guichet`).
fn source_named(program: &Program, given: &str) -> Result<String, String> {
    let names: Vec<&str> = program
        .sources
        .files()
        .map(|(_, f)| f.name.as_str())
        .filter(|name| *name == given || Path::new(name).ends_with(given))
        .collect();
    match names.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(format!("aucun fichier chargé ne s'appelle « {given} »")),
        many => Err(format!(
            "« {given} » désigne plusieurs fichiers : {}",
            many.join(", ")
        )),
    }
}

/// The lines of `file` where a rule (a node other than a question) starts, sorted.
fn rule_lines(program: &Program, file: &str) -> Vec<usize> {
    let Some((id, source)) = program.sources.files().find(|(_, f)| f.name == file) else {
        return Vec::new();
    };
    let mut lines: Vec<usize> = program
        .graph
        .node_weights()
        .filter(|n| n.span.file == id && !matches!(n.kind, NodeKind::Ask { .. }))
        .map(|n| source.line_col(n.span.start as usize).0)
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// The rule lines just before and just after `line`.
fn nearest(lines: &[usize], line: usize) -> Vec<usize> {
    let after = lines.partition_point(|&l| l < line);
    let mut out = Vec::new();
    if after > 0 {
        out.push(lines[after - 1]);
    }
    if let Some(&l) = lines.get(after) {
        out.push(l);
    }
    out
}

fn diagnostics_text(compiled: &Compiled) -> String {
    render::text(&compiled.sources, &compiled.diagnostics, false)
}

fn help(out: &mut String) {
    let width = COMMANDS
        .iter()
        .map(|(c, _)| c.chars().count())
        .max()
        .unwrap_or(0);
    for (command, what) in COMMANDS {
        let _ = writeln!(out, "  {command:<width$}  {what}");
    }
    let _ = writeln!(
        out,
        "  Une commande qui continue sur la ligne suivante (parenthèse ouverte, « \\ » final) attend la suite."
    );
}

fn show_question(out: &mut String, q: &Question) {
    let hint = q.reply_hint();
    let _ = writeln!(out, "? {} — {}{hint}", q.fact, q.prompt);
    if q.kind == "choice" {
        for (i, o) in q.options().enumerate() {
            let _ = writeln!(out, "  {}. {} — {}", i + 1, o.value, o.label);
        }
    }
}

fn show_outcome(out: &mut String, program: &Program, step: &Step) {
    match step {
        Step::Ask(q) => show_question(out, q),
        Step::Answer(a) => {
            let at = a
                .trail
                .last()
                .map(|e| trail_location(program, e))
                .unwrap_or_default();
            let _ = writeln!(out, "Réponse ({at}) :");
            for line in crate::front::chat::plain_markdown(&a.text).lines() {
                let _ = writeln!(out, "  {line}");
            }
            for s in &a.sources {
                let _ = writeln!(out, "  Source : {s}");
            }
            let _ = writeln!(out, "(:why pour les règles appliquées)");
        }
        Step::Handoff(h) => show_handoff(out, program, h),
    }
}

fn show_handoff(out: &mut String, program: &Program, h: &Handoff) {
    let at = h
        .trail
        .last()
        .map(|e| trail_location(program, e))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Transfert à {} [{}] ({at}) :",
        h.contact.label, h.contact.id
    );
    if let Some(m) = &h.message {
        for line in crate::front::chat::plain_markdown(m).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    for (kind, text) in &h.contact.channels {
        let _ = writeln!(out, "  {} : {text}", kind.words());
    }
    let _ = writeln!(out, "(:why pour les règles appliquées)");
}

// ---------------------------------------------------------------- shells

/// Feeds `input` line by line to the REPL, echoing each line after its prompt:
/// the non-terminal shell, and transcripts for tests.
pub fn run_script(
    repl: &mut Repl,
    banner: &str,
    input: impl BufRead,
    mut out: impl Write,
) -> io::Result<()> {
    out.write_all(banner.as_bytes())?;
    for line in input.lines() {
        let line = line?;
        writeln!(out, "{}{line}", repl.prompt())?;
        match repl.handle(&line) {
            Outcome::Print(text) => out.write_all(text.as_bytes())?,
            Outcome::More => {}
            Outcome::Quit => break,
        }
    }
    out.flush()
}

/// `guichet repl PATH…`: rustyline on a terminal, plain lines otherwise.
pub fn command(paths: &[PathBuf], today: Date) -> ExitCode {
    let paths = paths.to_vec();
    let loader: Loader = Box::new(move || match load(&paths, RULE_EXTENSION) {
        Ok(sources) if sources.is_empty() => Err(format!("aucun fichier .{RULE_EXTENSION} trouvé")),
        Ok(sources) => Ok(sources),
        Err(e) => Err(e.to_string()),
    });
    let (repl, banner) = match Repl::new(loader, today) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erreur : {e}");
            return ExitCode::from(2);
        }
    };
    let mut repl = repl;
    let result = if std::io::stdin().is_terminal() {
        interactive(repl, &banner)
    } else {
        run_script(
            &mut repl,
            &banner,
            std::io::stdin().lock(),
            std::io::stdout().lock(),
        )
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erreur : {e}");
            ExitCode::from(2)
        }
    }
}

/// Where the history is kept between runs: `$XDG_STATE_HOME/guichet/history`, else `~/.guichet_history`.
pub fn history_path() -> Option<PathBuf> {
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|s| !s.is_empty()) {
        return Some(PathBuf::from(state).join("guichet").join("history"));
    }
    std::env::var_os("HOME")
        .filter(|s| !s.is_empty())
        .map(|home| PathBuf::from(home).join(".guichet_history"))
}

fn interactive(repl: Repl, banner: &str) -> io::Result<()> {
    use rustyline::error::ReadlineError;
    let repl = Rc::new(RefCell::new(repl));
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .completion_type(rustyline::CompletionType::List)
        .build();
    let mut editor: rustyline::Editor<Helper, rustyline::history::DefaultHistory> =
        rustyline::Editor::with_config(config).map_err(io::Error::other)?;
    editor.set_helper(Some(Helper { repl: repl.clone() }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let mut stdout = io::stdout();
    stdout.write_all(banner.as_bytes())?;
    loop {
        let prompt = repl.borrow().prompt();
        match editor.readline(&prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    if let Some(path) = &history {
                        if let Some(dir) = path.parent() {
                            let _ = std::fs::create_dir_all(dir);
                        }
                        let _ = editor.save_history(path);
                    }
                }
                let outcome = repl.borrow_mut().handle(&line);
                match outcome {
                    Outcome::Print(text) => {
                        stdout.write_all(text.as_bytes())?;
                        stdout.flush()?;
                    }
                    Outcome::More => {}
                    Outcome::Quit => break,
                }
            }
            Err(ReadlineError::Interrupted) => repl.borrow_mut().interrupt(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(io::Error::other(e)),
        }
    }
    Ok(())
}

/// rustyline's view of the REPL: completion and multi-line input.
struct Helper {
    repl: Rc<RefCell<Repl>>,
}

impl rustyline::completion::Completer for Helper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(self.repl.borrow().complete(line, pos))
    }
}

impl rustyline::hint::Hinter for Helper {
    type Hint = String;
}

impl rustyline::highlight::Highlighter for Helper {}

impl rustyline::validate::Validator for Helper {
    fn validate(
        &self,
        ctx: &mut rustyline::validate::ValidationContext,
    ) -> rustyline::Result<rustyline::validate::ValidationResult> {
        Ok(if incomplete(ctx.input()) {
            rustyline::validate::ValidationResult::Incomplete
        } else {
            rustyline::validate::ValidationResult::Valid(None)
        })
    }
}

impl rustyline::Helper for Helper {}
