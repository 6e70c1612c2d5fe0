//! The parser: pest pairs to AST, with recovery between top-level items.
//!
//! pest stops at the first syntax error of an input. To report every broken
//! item of a file, [`parse_rules`] parses, records the error, and starts
//! again at the next line that begins (in column 1) with a top-level
//! keyword. Before pest runs, [`nesting_problem`] refuses inputs nested so
//! deeply that a recursive walk could exhaust the stack.
//!
//! pest's error detail (the tokens tried at the furthest position, which
//! make our "expected" lists) slows every parse down by a third, and is a
//! process-wide switch. So [`parse`] runs pest without it and, only when the
//! input has a syntax error, again with it: the successful parses, which
//! are nearly all of them, pay nothing for the diagnostics they do not need.
//!
//! Conventions: `build_*` functions take a pair of the rule they are named
//! after; `Builder` carries the file id and the byte offset of the current
//! slice, so every span is a span of the whole file.

use crate::problem::{Problem, ProblemKind};
use crate::span::{FileId, Span};
use crate::syntax::ast::*;
use crate::syntax::{expected, keywords};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser;
use std::cell::RefCell;
use std::sync::{LazyLock, RwLock};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/guichet.pest"]
pub(crate) struct GuichetParser;

/// Deepest nesting of brackets and of chained prefix operators accepted.
pub const MAX_NESTING: usize = 128;

/// Keywords that start a top-level item; recovery resumes at a line starting with one.
const ITEM_KEYWORDS: [&str; 9] = [
    "fact",
    "fait",
    "contact",
    "topic",
    "sujet",
    "fallback",
    "par défaut",
    "par defaut",
    "test",
];

/// Parses a rule file. Returns the items that parsed and one problem per broken item.
pub fn parse_rules(file: FileId, text: &str) -> (Vec<Item>, Vec<Problem>) {
    parse_with_recovery(file, text, Rule::program, Rule::item_prefix, |b, pair| {
        b.item(pair)
    })
}

/// Parses a conversation test file (`*.gtest`).
pub fn parse_tests(file: FileId, text: &str) -> (Vec<TestCase>, Vec<Problem>) {
    parse_with_recovery(file, text, Rule::test_file, Rule::test_prefix, |b, pair| {
        b.test_case(pair)
    })
}

/// Parses one expression that must be the whole of `text` (the REPL's `:eval`).
pub fn parse_expression(file: FileId, text: &str) -> Result<Expr, Vec<Problem>> {
    if let Some(problem) = nesting_problem(file, text) {
        return Err(vec![problem]);
    }
    let builder = Builder {
        file,
        offset: 0,
        problems: RefCell::new(Vec::new()),
    };
    match parse(Rule::expr_only, text) {
        Ok(pairs) => {
            let expr = top_level(pairs).next().map(|p| builder.expr(p));
            let problems = builder.problems.into_inner();
            match expr {
                Some(expr) if problems.is_empty() => Ok(expr),
                _ => Err(problems),
            }
        }
        Err(error) => Err(vec![syntax_problem(file, text, 0, &error).0]),
    }
}

fn parse_with_recovery<T>(
    file: FileId,
    text: &str,
    whole: Rule,
    prefix: Rule,
    build: impl Fn(&Builder, Pair<Rule>) -> Option<T>,
) -> (Vec<T>, Vec<Problem>) {
    if let Some(problem) = nesting_problem(file, text) {
        return (Vec::new(), vec![problem]);
    }
    let mut items = Vec::new();
    let mut problems = Vec::new();
    let mut offset = 0;
    loop {
        let rest = &text[offset..];
        let builder = Builder {
            file,
            offset,
            problems: RefCell::new(Vec::new()),
        };
        match parse(whole, rest) {
            Ok(pairs) => {
                items.extend(top_level(pairs).filter_map(|p| build(&builder, p)));
                problems.append(&mut builder.problems.borrow_mut());
                break;
            }
            Err(error) => {
                // Only the pairs matter here, not the error: no detail needed.
                if let Ok(pairs) = GuichetParser::parse(prefix, rest) {
                    items.extend(top_level(pairs).filter_map(|p| build(&builder, p)));
                    problems.append(&mut builder.problems.borrow_mut());
                }
                let (problem, at) = syntax_problem(file, text, offset, &error);
                problems.push(problem);
                match resume_point(text, at) {
                    Some(next) => offset = next,
                    None => break,
                }
            }
        }
    }
    (items, problems)
}

/// Guards pest's process-wide error-detail switch: parses without detail
/// share the read side (the switch stays off), a parse with detail holds
/// the write side while the switch is on. pest reads the switch when a parse
/// starts, so no parse ever runs in the other mode than the one it asked for.
static ERROR_DETAIL: RwLock<()> = RwLock::new(());

/// Parses `input` as `rule`: fast, without error detail; on a syntax error,
/// again with detail, for the furthest position and the tokens tried there
/// (`syntax_problem`). Both runs accept the same inputs and build the same pairs.
fn parse(rule: Rule, input: &str) -> Result<Pairs<'_, Rule>, pest::error::Error<Rule>> {
    let fast = {
        let _shared = ERROR_DETAIL.read().unwrap_or_else(|e| e.into_inner());
        GuichetParser::parse(rule, input)
    };
    match fast {
        Ok(pairs) => Ok(pairs),
        Err(_) => {
            let _exclusive = ERROR_DETAIL.write().unwrap_or_else(|e| e.into_inner());
            pest::set_error_detail(true);
            let detailed = GuichetParser::parse(rule, input);
            pest::set_error_detail(false);
            detailed
        }
    }
}

/// The items of a `program`/`test_file` pair (skipping SOI and EOI).
fn top_level(mut pairs: Pairs<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    let root = pairs.next();
    root.into_iter()
        .flat_map(|r| r.children())
        .filter(|p| !matches!(p.as_rule(), Rule::EOI))
}

fn syntax_problem(
    file: FileId,
    text: &str,
    offset: usize,
    error: &pest::error::Error<Rule>,
) -> (Problem, usize) {
    let reported = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    // With error detail on, pest records the furthest position it reached:
    // that is where the writer's mistake is, not where the item started.
    let furthest = error.parse_attempts().map_or(0, |a| a.max_position);
    // pest may stop before the blanks it was about to skip: point at what follows them.
    let at = offset + reported.max(furthest);
    let at = at + text[at..].len() - text[at..].trim_start().len();
    // A keyword tried inside a longer word (`si` in `sinon`) stops mid-word: name the whole word.
    let at = word_start(text, at);
    let found = expected::found_at(text, at);
    let span = Span::new(file, at, at + found.len().max(1));
    let kind = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let attempts = error.parse_attempts();
            let literals: Vec<String> = attempts
                .as_ref()
                .map(|a| {
                    a.expected_tokens()
                        .iter()
                        .map(ToString::to_string)
                        .collect()
                })
                .unwrap_or_default();
            // The positives are those of pest's reported position; past it, only
            // the tokens tried at the furthest position say what was expected.
            let rules: &[Rule] = if furthest > reported && !literals.is_empty() {
                &[]
            } else {
                positives
            };
            let opened = if found.is_empty() {
                unclosed_string_start(text)
            } else {
                string_closed_too_late(text, offset, at)
            };
            if let Some(opened) = opened {
                // The mistake is on the line where the string opened: point there.
                let line_end = text[opened..].find('\n').map_or(text.len(), |n| opened + n);
                let end_of_text = opened + text[opened..line_end].trim_end().len();
                let kind = ProblemKind::UnclosedString {
                    opened: Span::new(file, opened, opened + 1),
                    stopped: span,
                    found: expected::describe_found(found),
                };
                return (
                    Problem::new(kind, Span::new(file, end_of_text, end_of_text)),
                    at,
                );
            }
            let language = keywords::language_of(text);
            ProblemKind::Syntax {
                expected: expected::describe(rules, &literals, language),
                found: expected::describe_found(found),
                suggestion: expected::misspelt_keyword(text, at),
                keyword_place: keywords::by_form(found).and_then(|k| k.place),
            }
        }
        pest::error::ErrorVariant::CustomError { .. } => ProblemKind::TooDeep,
    };
    (Problem::new(kind, span), at)
}

/// The start of the word `at` is in (`at` itself when it starts one).
fn word_start(text: &str, at: usize) -> usize {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    if !text[at..].starts_with(is_word) {
        return at;
    }
    text[..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word(c))
        .last()
        .map_or(at, |(i, _)| i)
}

/// Where a string opens that most likely lacks its closing quote, for a
/// syntax error at `at` in the item starting at `from`: the first string
/// of the item that runs over a line break and whose closing quote follows
/// a blank (`"Titulaire⏎  contractuel "`), since that quote was meant to
/// open the next text. A text that really spans lines ends on its words.
fn string_closed_too_late(text: &str, from: usize, at: usize) -> Option<usize> {
    let mut chars = text[from..at].char_indices().map(|(i, c)| (from + i, c));
    let mut open: Option<usize> = None;
    while let Some((i, c)) = chars.next() {
        match (open, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(start), '"') => {
                let inside = &text[start + 1..i];
                if inside.contains('\n') && inside.ends_with([' ', '\t']) {
                    return Some(start);
                }
                open = None;
            }
            (None, '"') => open = Some(i),
            (None, '/') if text[i..].starts_with("//") => {
                for (_, n) in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the last string of `text` opens, if it is never closed.
fn unclosed_string_start(text: &str) -> Option<usize> {
    let mut open = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match (open, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(_), '"') => open = None,
            (None, '"') => open = Some(i),
            (None, '/') if text[i..].starts_with("//") => {
                for (_, n) in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    open
}

/// The start of the first line after `at` that begins with a top-level keyword.
fn resume_point(text: &str, at: usize) -> Option<usize> {
    let mut line_start = text[at..].find('\n')? + at + 1;
    loop {
        let line = &text[line_start..];
        let starts_item = ITEM_KEYWORDS.iter().any(|k| {
            line.starts_with(k)
                && line[k.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_whitespace())
        });
        if starts_item {
            return Some(line_start);
        }
        line_start += line.find('\n')? + 1;
    }
}

/// Refuses a text whose brackets or prefix operators nest deeper than [`MAX_NESTING`].
/// Strings and comments are skipped; the check is linear and allocation-free.
fn nesting_problem(file: FileId, text: &str) -> Option<Problem> {
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut in_string = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek().is_some_and(|&(_, n)| n == '/') => {
                while chars.next_if(|&(_, n)| n != '\n').is_some() {}
            }
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            '-' | '!' => prefix_run += 1,
            c if c.is_alphanumeric() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some((j, d)) = chars.next_if(|&(_, d)| d.is_alphanumeric() || d == '_') {
                    end = j + d.len_utf8();
                }
                if &text[i..end] == "not" {
                    prefix_run += 1;
                } else {
                    prefix_run = 0;
                }
            }
            c if c.is_whitespace() => {}
            _ => prefix_run = 0,
        }
        if depth > MAX_NESTING || prefix_run > MAX_NESTING {
            return Some(Problem::new(
                ProblemKind::TooDeep,
                Span::new(file, i, i + c.len_utf8()),
            ));
        }
    }
    None
}

/// Most operators one expression may chain (`a + b + …`): its tree is as deep.
pub const MAX_OPERATORS: usize = 256;

/// Builds AST nodes from pairs of one slice of a file.
struct Builder {
    file: FileId,
    offset: usize,
    /// Problems found while building (over-long expressions).
    problems: RefCell<Vec<Problem>>,
}

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or_op, Assoc::Left))
        .op(Op::infix(Rule::and_op, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::eq_op, Assoc::Left)
            | Op::infix(Rule::ne_op, Assoc::Left)
            | Op::infix(Rule::lt_op, Assoc::Left)
            | Op::infix(Rule::le_op, Assoc::Left)
            | Op::infix(Rule::gt_op, Assoc::Left)
            | Op::infix(Rule::ge_op, Assoc::Left))
        .op(Op::postfix(Rule::in_set))
        .op(Op::infix(Rule::add_op, Assoc::Left) | Op::infix(Rule::sub_op, Assoc::Left))
        .op(Op::infix(Rule::mul_op, Assoc::Left) | Op::infix(Rule::div_op, Assoc::Left))
        .op(Op::prefix(Rule::neg_op))
});

impl Builder {
    /// The pair's span, without the trailing blanks pest may include.
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let start = self.offset + pair.as_span().start();
        Span::new(self.file, start, start + pair.as_str().trim_end().len())
    }

    fn name(&self, pair: Pair<Rule>) -> Name {
        Name {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn item(&self, pair: Pair<Rule>) -> Option<Item> {
        Some(match pair.as_rule() {
            Rule::fact => Item::Fact(self.fact(pair)),
            Rule::contact => Item::Contact(self.contact(pair)),
            Rule::topic => Item::Topic(self.topic(pair)),
            Rule::fallback => Item::Fallback(self.fallback(pair)),
            Rule::lexicon => Item::Lexicon(self.lexicon(pair)),
            _ => return None,
        })
    }

    fn fact(&self, pair: Pair<Rule>) -> FactDecl {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let name = self.name(next(&mut inner));
        let kind_pair = next(&mut inner);
        let kind_span = self.span(&kind_pair);
        let kind = match first_rule(kind_pair.clone()) {
            Rule::choice_kw => FactKind::Choice,
            Rule::yesno_kw => FactKind::YesNo,
            Rule::integer_kw => FactKind::Integer,
            Rule::number_kw => FactKind::Number,
            Rule::date_kw => FactKind::Date,
            _ => FactKind::Text,
        };
        let question = self.text(next(&mut inner));
        let options = inner.map(|p| self.fact_option(p)).collect();
        FactDecl {
            name,
            kind,
            kind_span,
            question,
            options,
            span,
        }
    }

    fn fact_option(&self, pair: Pair<Rule>) -> FactOption {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::choices => {
                FactOption::Choices(pair.children().map(|c| self.choice(c)).collect(), span)
            }
            Rule::help => FactOption::Help(self.text(first(pair)), span),
            Rule::unit => FactOption::Unit(self.text(first(pair)), span),
            Rule::states => FactOption::States(self.states(pair)),
            Rule::range => {
                let keyword = pair
                    .clone()
                    .into_inner()
                    .next()
                    .map_or(0, |k| k.as_str().len());
                let (low, high) = bounds(&pair.as_str()[keyword..]);
                FactOption::Range(low, high, span)
            }
            _ => FactOption::FromProfile(span),
        }
    }

    fn choice(&self, pair: Pair<Rule>) -> ChoiceDecl {
        let mut inner = pair.children();
        let name = self.name(next(&mut inner));
        let label = self.text(next(&mut inner));
        let mut also = Vec::new();
        let mut states = None;
        for clause in inner {
            match clause.as_rule() {
                Rule::states => states = Some(self.states(clause)),
                _ => also = self.string_list(first(clause)),
            }
        }
        ChoiceDecl {
            name,
            label,
            also,
            states,
        }
    }

    /// `states "…", "…"` or `states oui "…" non "…"`.
    fn states(&self, pair: Pair<Rule>) -> States {
        let span = self.span(&pair);
        let mut phrases = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::states_valued => {
                    let mut inner = part.into_inner();
                    let value = next(&mut inner);
                    let tag = match value.as_rule() {
                        Rule::yes_lit => StateTag::Bool(true),
                        Rule::no_lit => StateTag::Bool(false),
                        _ => StateTag::Number(number_value(value.as_str())),
                    };
                    for list in inner {
                        phrases.extend(self.string_list(list).into_iter().map(|t| (tag, t)));
                    }
                }
                Rule::string_list => {
                    phrases.extend(
                        self.string_list(part)
                            .into_iter()
                            .map(|t| (StateTag::Plain, t)),
                    );
                }
                _ => {}
            }
        }
        States { phrases, span }
    }

    fn string_list(&self, pair: Pair<Rule>) -> Vec<Text> {
        pair.children().map(|s| self.text(s)).collect()
    }

    fn contact(&self, pair: Pair<Rule>) -> ContactDecl {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let name = self.name(next(&mut inner));
        let label = self.text(next(&mut inner));
        let body_pair = next(&mut inner);
        let body = match body_pair.as_rule() {
            Rule::contact_by => {
                let mut by = body_pair.children();
                let fact = self.name(next(&mut by));
                let arms = by.map(|arm| self.contact_arm(arm)).collect();
                ContactBody::By { fact, arms }
            }
            _ => ContactBody::Fixed(self.channels(body_pair)),
        };
        ContactDecl {
            name,
            label,
            body,
            span,
        }
    }

    fn contact_arm(&self, pair: Pair<Rule>) -> ContactArm {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let patterns = self.patterns(next(&mut inner));
        let body = next(&mut inner);
        let channels = match body.as_rule() {
            Rule::string => Channels {
                span: self.span(&body),
                entries: vec![(ChannelKind::Name, self.text(body))],
            },
            _ => self.channels(body),
        };
        ContactArm {
            patterns,
            channels,
            span,
        }
    }

    fn channels(&self, pair: Pair<Rule>) -> Channels {
        let span = self.span(&pair);
        let entries = pair
            .children()
            .map(|channel| {
                let mut inner = channel.children();
                let kind = match first_rule(next(&mut inner)) {
                    Rule::name_kw => ChannelKind::Name,
                    Rule::phone_kw => ChannelKind::Phone,
                    Rule::email_kw => ChannelKind::Email,
                    Rule::hours_kw => ChannelKind::Hours,
                    Rule::office_kw => ChannelKind::Office,
                    _ => ChannelKind::Web,
                };
                (kind, self.text(next(&mut inner)))
            })
            .collect();
        Channels { entries, span }
    }

    fn fallback(&self, pair: Pair<Rule>) -> FallbackDecl {
        let span = self.span(&pair);
        let mut inner = pair.children();
        FallbackDecl {
            contact: self.name(next(&mut inner)),
            message: self.text(next(&mut inner)),
            span,
        }
    }

    fn lexicon(&self, pair: Pair<Rule>) -> LexiconDecl {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let notion = self.text(next(&mut inner));
        let mut expressions = Vec::new();
        let mut examples = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::examples => examples.extend(self.string_list(first(p))),
                _ => expressions.extend(self.string_list(p)),
            }
        }
        LexiconDecl {
            notion,
            expressions,
            examples,
            span,
        }
    }

    fn topic(&self, pair: Pair<Rule>) -> TopicDecl {
        let span = self.span(&pair);
        let end = Span::new(self.file, span.end as usize - 1, span.end as usize);
        let mut inner = pair.children();
        let name = self.name(next(&mut inner));
        let title = self.text(next(&mut inner));
        let mut triggers = Vec::new();
        let mut synonyms = Vec::new();
        let mut reviews = Vec::new();
        let mut examples = Vec::new();
        let mut body = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::triggers => triggers.extend(self.string_list(first(p))),
                Rule::synonyms => synonyms.extend(self.string_list(first(p))),
                Rule::review => reviews.push(self.review(p)),
                Rule::examples => examples.extend(self.string_list(first(p))),
                _ => body.push(self.statement(p)),
            }
        }
        TopicDecl {
            name,
            title,
            triggers,
            synonyms,
            reviews,
            examples,
            body,
            end,
            span,
        }
    }

    fn review(&self, pair: Pair<Rule>) -> Review {
        let span = self.span(&pair);
        let mut inner = pair
            .into_inner()
            .filter(|p| matches!(p.as_rule(), Rule::date_lit | Rule::string));
        let date = self.date_lit(next(&mut inner));
        let by = self.text(next(&mut inner));
        Review { date, by, span }
    }

    fn date_lit(&self, pair: Pair<Rule>) -> DateLit {
        DateLit {
            text: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn in_force(&self, pair: Pair<Rule>) -> InForceStmt {
        let span = self.span(&pair);
        let mut at = None;
        let mut arms = Vec::new();
        let mut keyword = span;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::in_force_kw => keyword = self.span(&p),
                Rule::in_force_at => {
                    at = p
                        .into_inner()
                        .find(|e| e.as_rule() == Rule::expr)
                        .map(|e| self.expr(e))
                }
                _ => arms.push(self.period_arm(p)),
            }
        }
        InForceStmt {
            at,
            arms,
            keyword,
            span,
        }
    }

    fn period_arm(&self, pair: Pair<Rule>) -> PeriodArm {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let period = next(&mut inner);
        let period_span = self.span(&period);
        let (mut from, mut until) = (None, None);
        for bound in period.into_inner() {
            let rule = bound.as_rule();
            let dates: Vec<DateLit> = bound
                .into_inner()
                .filter(|p| p.as_rule() == Rule::date_lit)
                .map(|p| self.date_lit(p))
                .collect();
            let mut dates = dates.into_iter();
            match rule {
                Rule::period_from => from = dates.next(),
                Rule::period_until => until = dates.next(),
                _ => {
                    from = dates.next();
                    until = dates.next();
                }
            }
        }
        let body_pair = next(&mut inner);
        let body = match body_pair.as_rule() {
            Rule::block => self.block(body_pair),
            _ => self.block_of_one(body_pair),
        };
        PeriodArm {
            from,
            until,
            period_span,
            body,
            span,
        }
    }

    fn block(&self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let end = Span::new(self.file, span.end as usize - 1, span.end as usize);
        Block {
            stmts: pair.children().map(|p| self.statement(p)).collect(),
            end,
            span,
        }
    }

    /// A single statement used where a block is expected (`arm => answer "…"`).
    fn block_of_one(&self, pair: Pair<Rule>) -> Block {
        let stmt = self.statement(pair);
        let span = stmt.span();
        let end = Span::new(self.file, span.end as usize, span.end as usize);
        Block {
            stmts: vec![stmt],
            end,
            span,
        }
    }

    fn statement(&self, pair: Pair<Rule>) -> Stmt {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::match_stmt => {
                let mut inner = pair.children();
                let subject = self.expr(next(&mut inner));
                let arms = inner.map(|arm| self.match_arm(arm)).collect();
                Stmt::Match(MatchStmt {
                    subject,
                    arms,
                    span,
                })
            }
            Rule::if_stmt => Stmt::If(self.if_stmt(pair)),
            Rule::in_force => Stmt::InForce(self.in_force(pair)),
            Rule::let_stmt => {
                let mut inner = pair.children();
                Stmt::Let(LetStmt {
                    name: self.name(next(&mut inner)),
                    value: self.expr(next(&mut inner)),
                    span,
                })
            }
            Rule::answer_stmt => {
                let mut inner = pair.children();
                let text = self.text(next(&mut inner));
                let sources = inner.map(|s| self.text(first(s))).collect();
                Stmt::Answer(AnswerStmt {
                    text,
                    sources,
                    span,
                })
            }
            Rule::handoff_stmt => {
                let mut inner = pair.children();
                Stmt::Handoff(HandoffStmt {
                    contact: self.name(next(&mut inner)),
                    message: inner.next().map(|m| self.text(m)),
                    span,
                })
            }
            _ => Stmt::Goto(GotoStmt {
                topic: self.name(first(pair)),
                span,
            }),
        }
    }

    fn if_stmt(&self, pair: Pair<Rule>) -> IfStmt {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let condition = self.expr(next(&mut inner));
        let mut branches = vec![(condition, self.block(next(&mut inner)))];
        let mut otherwise = None;
        for clause in inner {
            match clause.as_rule() {
                Rule::else_if => {
                    let mut parts = clause.children();
                    let condition = self.expr(next(&mut parts));
                    branches.push((condition, self.block(next(&mut parts))));
                }
                _ => otherwise = Some(self.block(first(clause))),
            }
        }
        IfStmt {
            branches,
            otherwise,
            span,
        }
    }

    fn match_arm(&self, pair: Pair<Rule>) -> MatchArm {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let patterns = self.patterns(next(&mut inner));
        let body_pair = next(&mut inner);
        let body = match body_pair.as_rule() {
            Rule::block => self.block(body_pair),
            _ => self.block_of_one(body_pair),
        };
        MatchArm {
            patterns,
            body,
            span,
        }
    }

    fn patterns(&self, pair: Pair<Rule>) -> Vec<Pattern> {
        pair.children().map(|p| self.pattern(p)).collect()
    }

    fn pattern(&self, pair: Pair<Rule>) -> Pattern {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::wildcard => Pattern::Wildcard(span),
            Rule::yes_lit => Pattern::Yes(span),
            Rule::no_lit => Pattern::No(span),
            Rule::number_pattern => Pattern::Number(number_value(pair.as_str()), span),
            Rule::range_pattern => {
                let (low, high) = bounds(pair.as_str());
                Pattern::Range(low, high, span)
            }
            Rule::compare_pattern => {
                let mut inner = pair.children();
                let op = match next(&mut inner).as_str() {
                    "<" => CompareOp::Lt,
                    "<=" => CompareOp::Le,
                    ">" => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                Pattern::Compare(op, number_value(next(&mut inner).as_str()), span)
            }
            _ => Pattern::Value(self.name(pair)),
        }
    }

    fn expr(&self, pair: Pair<Rule>) -> Expr {
        let terms = pair.clone().into_inner().count();
        if terms > 2 * MAX_OPERATORS {
            let span = self.span(&pair);
            self.problems
                .borrow_mut()
                .push(Problem::new(ProblemKind::ExpressionTooLong, span));
            return Expr {
                kind: ExprKind::Number(0.0),
                span,
            };
        }
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let span = self.span(&op).to(rhs.span);
                let op = match op.as_rule() {
                    Rule::not_op => UnaryOp::Not,
                    _ => UnaryOp::Neg,
                };
                Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    span,
                }
            })
            .map_postfix(|lhs, op| {
                let span = lhs.span.to(self.span(&op));
                let items = op.children().map(|i| self.set_item(i)).collect();
                Expr {
                    kind: ExprKind::InSet(Box::new(lhs), items),
                    span,
                }
            })
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.to(rhs.span);
                Expr {
                    kind: ExprKind::Binary(binary_op(op.as_rule()), Box::new(lhs), Box::new(rhs)),
                    span,
                }
            })
            .parse(pair.into_inner())
    }

    fn set_item(&self, pair: Pair<Rule>) -> SetItem {
        match pair.as_rule() {
            Rule::number => SetItem::Number(number_value(pair.as_str()), self.span(&pair)),
            _ => SetItem::Value(self.name(pair)),
        }
    }

    fn primary(&self, pair: Pair<Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => return self.expr(first(pair)),
            Rule::call => {
                let mut inner = pair.children();
                let name = self.name(next(&mut inner));
                ExprKind::Call(name, inner.map(|a| self.expr(a)).collect())
            }
            Rule::date_lit => ExprKind::Date(pair.as_str().to_string()),
            Rule::number => ExprKind::Number(number_value(pair.as_str())),
            Rule::yes_lit => ExprKind::Bool(true),
            Rule::no_lit => ExprKind::Bool(false),
            Rule::today => ExprKind::Today,
            Rule::string => ExprKind::Text(self.text(pair)),
            _ => ExprKind::Name(self.name(pair)),
        };
        Expr { kind, span }
    }

    /// A string literal: escapes resolved, the indentation after each line break removed.
    fn text(&self, pair: Pair<Rule>) -> Text {
        let span = self.span(&pair);
        let mut parts: Vec<TextPart> = Vec::new();
        for part in pair.children() {
            match part.as_rule() {
                Rule::interpolation => match part.into_inner().next() {
                    Some(expr) => parts.push(TextPart::Interpolation(self.expr(expr))),
                    None => parts.push(TextPart::Placeholder),
                },
                rule => {
                    let piece = match rule {
                        Rule::escape => unescape(part.as_str()),
                        _ => dedent(part.as_str()),
                    };
                    match parts.last_mut() {
                        Some(TextPart::Literal(s)) => s.push_str(&piece),
                        _ => parts.push(TextPart::Literal(piece)),
                    }
                }
            }
        }
        Text { parts, span }
    }

    fn test_case(&self, pair: Pair<Rule>) -> Option<TestCase> {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let name = self.text(next(&mut inner));
        let steps = inner.map(|s| self.test_step(s)).collect();
        Some(TestCase { name, steps, span })
    }

    fn test_step(&self, pair: Pair<Rule>) -> TestStep {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::test_topic => TestStep::Topic(self.name(first(pair))),
            Rule::test_question => TestStep::Question(self.text(first(pair))),
            // `today` is an expression's rule too, so it is not skipped as a keyword.
            Rule::test_today => TestStep::Today(self.text(next(&mut pair.children().skip(1)))),
            Rule::test_profile => {
                let mut inner = pair.children();
                TestStep::Profile(self.name(next(&mut inner)), self.text(next(&mut inner)))
            }
            Rule::test_reply => TestStep::Reply(self.text(first(pair))),
            Rule::test_asks => TestStep::Asks(pair.children().map(|n| self.name(n)).collect()),
            _ => {
                let expect = first(pair);
                match expect.as_rule() {
                    Rule::expect_answer => TestStep::ExpectAnswer(
                        expect
                            .children()
                            .next()
                            .map(|l| self.string_list(l))
                            .unwrap_or_default(),
                        span,
                    ),
                    _ => {
                        let mut inner = expect.children();
                        let contact = self.name(next(&mut inner));
                        let texts = inner
                            .next()
                            .map(|l| self.string_list(l))
                            .unwrap_or_default();
                        TestStep::ExpectHandoff(contact, texts, span)
                    }
                }
            }
        }
    }
}

/// The next child of a pair whose grammar guarantees it.
///
/// The grammar fixes the shape of every rule used here, so a missing child
/// would be a bug in this file, caught by the parser tests.
fn next<'i>(inner: &mut impl Iterator<Item = Pair<'i, Rule>>) -> Pair<'i, Rule> {
    inner
        .next()
        .expect("the grammar guarantees this child; see grammar/guichet.pest")
}

fn first(pair: Pair<Rule>) -> Pair<Rule> {
    next(&mut pair.children())
}

/// The rule of the first child (a keyword alternative such as `fact_kind`).
fn first_rule(pair: Pair<Rule>) -> Rule {
    pair.into_inner().next().map_or(Rule::EOI, |p| p.as_rule())
}

/// The children of a pair, without its keywords.
trait Children<'i> {
    fn children(self) -> impl Iterator<Item = Pair<'i, Rule>> + Clone;
}

impl<'i> Children<'i> for Pair<'i, Rule> {
    fn children(self) -> impl Iterator<Item = Pair<'i, Rule>> + Clone {
        self.into_inner().filter(|p| !is_keyword(p.as_rule()))
    }
}

/// Keyword pairs: their words are in data/syntax/keywords.tsv, their meaning in their parent.
fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::fact_kw
            | Rule::contact_kw
            | Rule::topic_kw
            | Rule::fallback_kw
            | Rule::also_kw
            | Rule::help_kw
            | Rule::from_profile_kw
            | Rule::range_kw
            | Rule::unit_kw
            | Rule::by_kw
            | Rule::triggers_kw
            | Rule::synonyms_kw
            | Rule::examples_kw
            | Rule::lexicon_kw
            | Rule::match_kw
            | Rule::if_kw
            | Rule::else_kw
            | Rule::let_kw
            | Rule::answer_kw
            | Rule::source_kw
            | Rule::handoff_kw
            | Rule::goto_kw
            | Rule::in_kw
            | Rule::test_kw
            | Rule::question_kw
            | Rule::profile_kw
            | Rule::reply_kw
            | Rule::asks_kw
            | Rule::expect_kw
    )
}

/// The optional bounds of a range written `a..b`, `a..` or `..b`.
fn bounds(text: &str) -> (Option<f64>, Option<f64>) {
    let (low, high) = text.split_once("..").unwrap_or((text, ""));
    let bound = |t: &str| Some(t.trim()).filter(|t| !t.is_empty()).map(number_value);
    (bound(low), bound(high))
}

fn number_value(text: &str) -> f64 {
    text.parse().unwrap_or(0.0)
}

fn binary_op(rule: Rule) -> BinaryOp {
    match rule {
        Rule::or_op => BinaryOp::Or,
        Rule::and_op => BinaryOp::And,
        Rule::eq_op => BinaryOp::Eq,
        Rule::ne_op => BinaryOp::Ne,
        Rule::lt_op => BinaryOp::Lt,
        Rule::le_op => BinaryOp::Le,
        Rule::gt_op => BinaryOp::Gt,
        Rule::ge_op => BinaryOp::Ge,
        Rule::add_op => BinaryOp::Add,
        Rule::sub_op => BinaryOp::Sub,
        Rule::mul_op => BinaryOp::Mul,
        _ => BinaryOp::Div,
    }
}

fn unescape(escape: &str) -> String {
    match escape {
        "\\n" => "\n".to_string(),
        other => other[1..].to_string(),
    }
}

/// Removes the spaces and tabs that follow each line break.
fn dedent(chunk: &str) -> String {
    let mut out = String::with_capacity(chunk.len());
    let mut at_line_start = false;
    for c in chunk.chars() {
        if at_line_start && (c == ' ' || c == '\t') {
            continue;
        }
        at_line_start = c == '\n';
        if c != '\r' {
            out.push(c);
        }
    }
    out
}
