//! The formatter: one canonical layout for rule files and test files.
//!
//! [`format_rules`] and [`format_tests`] parse a file and write it back from
//! its AST: two spaces of indentation a block, one item a paragraph (one
//! blank line between items), blank lines between statements kept (at most
//! one), choice names and contact channels aligned in columns, long lists
//! of phrases filled to [`WIDTH`] columns. Keywords are written in the
//! language asked for, or in the file's own (`keywords::language_of`).
//!
//! What the AST does not keep is taken from the source text: every leaf
//! (texts, numbers, names) is copied as written, so long texts stay as the
//! writer wrote them (only the indentation of their continuation lines
//! changes, and the language ignores it). The grammar skips comments, so
//! they are found by a scan of the text ([`comments`]) and written back
//! before the first node that follows them: a comment alone on its line
//! stays on its own line, a comment after code stays at the end of a line.
//!
//! The functions are pure, and the result is stable: formatting a formatted
//! text changes nothing (`tests/format.rs` checks it, and that the program
//! compiles to the same graph). AST nodes are destructured field by field:
//! a clause added to the language fails to compile here until it is
//! written back, rather than being silently dropped.

use super::ast::*;
use super::expression::Writer;
use super::keywords::{by_rule, Language};
use super::parser::{parse_rules, parse_tests};
use crate::problem::Problem;
use crate::span::{FileId, Span};

/// Lines are filled up to this many columns where the layout chooses.
pub const WIDTH: usize = 100;

/// The rule file `text` in the canonical layout, keywords in `language`
/// (the file's own when `None`); the syntax errors when it does not parse.
pub fn format_rules(text: &str, language: Option<Language>) -> Result<String, Vec<Problem>> {
    let (items, problems) = parse_rules(FileId(0), text);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut p = Printer::new(text, language);
    for item in &items {
        let span = item_span(item);
        p.item_start(span.start());
        match item {
            Item::Fact(f) => p.fact(f),
            Item::Contact(c) => p.contact(c),
            Item::Fallback(f) => p.fallback(f),
            Item::Topic(t) => p.topic(t),
            Item::Lexicon(l) => p.lexicon(l),
        }
        p.last_end = span.end();
    }
    Ok(p.finish())
}

/// The test file `text` in the canonical layout (see [`format_rules`]).
pub fn format_tests(text: &str, language: Option<Language>) -> Result<String, Vec<Problem>> {
    let (cases, problems) = parse_tests(FileId(0), text);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut p = Printer::new(text, language);
    for case in &cases {
        p.item_start(case.span.start());
        p.test_case(case);
        p.last_end = case.span.end();
    }
    Ok(p.finish())
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Fact(f) => f.span,
        Item::Contact(c) => c.span,
        Item::Fallback(f) => f.span,
        Item::Topic(t) => t.span,
        Item::Lexicon(l) => l.span,
    }
}

/// A `// comment` of the source.
struct Comment {
    start: usize,
    end: usize,
    /// Code precedes it on its line.
    trailing: bool,
}

/// Every comment of `text`, in order; strings are skipped.
fn comments(text: &str) -> Vec<Comment> {
    let mut found = Vec::new();
    let mut in_string = false;
    let mut code_on_line = false;
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
            '"' => {
                in_string = true;
                code_on_line = true;
            }
            '/' if chars.peek().is_some_and(|&(_, n)| n == '/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                found.push(Comment {
                    start: i,
                    end,
                    trailing: code_on_line,
                });
                while chars.next_if(|&(j, _)| j < end).is_some() {}
            }
            '\n' => code_on_line = false,
            c if c.is_whitespace() => {}
            _ => code_on_line = true,
        }
    }
    found
}

trait Offsets {
    fn start(&self) -> usize;
    fn end(&self) -> usize;
}

impl Offsets for Span {
    fn start(&self) -> usize {
        self.start as usize
    }
    fn end(&self) -> usize {
        self.end as usize
    }
}

struct Printer<'s> {
    src: &'s str,
    language: Language,
    out: String,
    comments: Vec<Comment>,
    /// The first comment not written yet.
    next_comment: usize,
    /// Where the last node written ends in the source.
    last_end: usize,
}

impl<'s> Printer<'s> {
    fn new(src: &'s str, language: Option<Language>) -> Printer<'s> {
        Printer {
            src,
            language: language.unwrap_or_else(|| super::keywords::language_of(src)),
            out: String::with_capacity(src.len()),
            comments: comments(src),
            next_comment: 0,
            last_end: 0,
        }
    }

    /// The keyword of grammar rule `rule` in the output language.
    fn kw(&self, rule: &str) -> &'static str {
        by_rule(rule).map_or("", |k| k.word(self.language))
    }

    fn raw(&self, span: Span) -> &'s str {
        self.src.get(span.range()).unwrap_or("")
    }

    /// A text as written, its continuation lines indented to `indent + 2`.
    fn text(&self, text: &Text, indent: usize) -> String {
        let raw = self.raw(text.span);
        let mut lines = raw.split('\n');
        let mut out = lines
            .next()
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string();
        for line in lines {
            let line = line.trim_end_matches('\r').trim_start_matches([' ', '\t']);
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&" ".repeat(indent + 2));
                out.push_str(line);
            }
        }
        out
    }

    fn expr(&self, e: &Expr) -> String {
        Writer {
            language: self.language,
            source: Some(self.src),
        }
        .expr(e)
    }

    fn line(&mut self, indent: usize, text: &str) {
        self.out.push_str(&" ".repeat(indent));
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") && !self.out.ends_with("{\n") {
            self.out.push('\n');
        }
    }

    /// Whether the source has a blank line between `from` and `to`.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        let gap = self.src.get(from..to).unwrap_or("");
        gap.split('\n')
            .skip(1)
            .take(gap.matches('\n').count().saturating_sub(1))
            .any(|l| l.trim().is_empty())
    }

    /// Writes the comments that come before `pos`, at `indent`; blank lines
    /// between them are kept where `keep_blanks` (not right after a `{`).
    fn comments_before(&mut self, pos: usize, indent: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.start >= pos {
                break;
            }
            let (start, end, trailing) = (c.start, c.end, c.trailing);
            let text = self.src[start..end].trim_end().to_string();
            self.next_comment += 1;
            if trailing && self.out.ends_with('\n') && !self.out.ends_with("\n\n") {
                self.out.pop();
                self.out.push_str("  ");
                self.out.push_str(&text);
                self.out.push('\n');
            } else {
                if self.blank_between(self.last_end, start) {
                    self.blank();
                }
                self.line(indent, &text);
            }
            self.last_end = end;
        }
    }

    /// Before an item: one blank line, its comments, and a blank line after
    /// them if the source has one.
    fn item_start(&mut self, start: usize) {
        if !self.out.is_empty() {
            self.blank();
        }
        self.comments_before(start, 0);
        if self.blank_between(self.last_end, start) {
            self.blank();
        }
    }

    /// Before a statement, an arm or a step: its comments and, between two
    /// of them, the blank line of the source.
    fn node_start(&mut self, start: usize, indent: usize) {
        self.comments_before(start, indent);
        if self.blank_between(self.last_end, start) {
            self.blank();
        }
    }

    fn finish(mut self) -> String {
        let end = self.src.len() + 1;
        self.comments_before(end, 0);
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        self.out
    }

    /// `phrases` after `head`, filled to [`WIDTH`], continuation lines under the first phrase.
    fn list(&mut self, indent: usize, head: &str, phrases: &[Text]) {
        let column = indent + head.chars().count() + 1;
        let mut current = format!("{head} ");
        let mut current_width = column;
        for (i, phrase) in phrases.iter().enumerate() {
            let text = self.text(phrase, indent);
            let comma = if i + 1 < phrases.len() { "," } else { "" };
            let width = text.chars().count() + comma.len();
            let starts_line = current_width == column;
            if !starts_line && current_width + 1 + width > WIDTH {
                self.line(indent, current.trim_end());
                current = " ".repeat(column - indent);
                current_width = column;
            } else if !starts_line {
                current.push(' ');
                current_width += 1;
            }
            current.push_str(&text);
            current.push_str(comma);
            current_width += width;
        }
        self.line(indent, current.trim_end());
    }

    // ---------------------------------------------------------------- declarations

    fn fact(&mut self, f: &FactDecl) {
        let FactDecl {
            name,
            kind,
            kind_span: _,
            question,
            options,
            span: _,
        } = f;
        let kind_rule = match kind {
            FactKind::Choice => "choice_kw",
            FactKind::YesNo => "yesno_kw",
            FactKind::Integer => "integer_kw",
            FactKind::Number => "number_kw",
            FactKind::Date => "date_kw",
            FactKind::Text => "text_kw",
        };
        let head = format!(
            "{} {}: {} {}",
            self.kw("fact_kw"),
            name.text,
            self.kw(kind_rule),
            self.text(question, 0)
        );
        // The values come first, on the question's line; other options follow, one a line.
        let choices = options.iter().find_map(|o| match o {
            FactOption::Choices(c, _) => Some(c),
            _ => None,
        });
        self.last_end = question.span.end();
        match choices {
            Some(choices) => {
                self.line(0, &format!("{head} {{"));
                self.choices(choices);
                self.line(0, "}");
            }
            None => self.line(0, &head),
        }
        for option in options {
            if let FactOption::Choices(..) = option {
                continue;
            }
            self.node_start(option.span().start(), 2);
            let text = match option {
                FactOption::Choices(..) => continue,
                FactOption::Help(t, _) => format!("{} {}", self.kw("help_kw"), self.text(t, 2)),
                FactOption::FromProfile(_) => self.kw("from_profile_kw").to_string(),
                FactOption::Range(_, _, span) => {
                    let raw = self.raw(*span);
                    let bounds = raw
                        .find(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
                        .map_or("", |at| &raw[at..]);
                    format!("{} {}", self.kw("range_kw"), without_blanks(bounds))
                }
                FactOption::Unit(t, _) => format!("{} {}", self.kw("unit_kw"), self.text(t, 2)),
                FactOption::States(states) => self.states(states, 2),
            };
            self.line(2, &text);
            self.last_end = option.span().end();
        }
    }

    fn choices(&mut self, choices: &[ChoiceDecl]) {
        let name_width = choices
            .iter()
            .map(|c| c.name.text.chars().count())
            .max()
            .unwrap_or(0);
        let labels: Vec<String> = choices.iter().map(|c| self.text(&c.label, 2)).collect();
        let label_width = choices
            .iter()
            .zip(&labels)
            .filter(|(c, l)| !c.also.is_empty() && !l.contains('\n'))
            .map(|(_, l)| l.chars().count())
            .max()
            .unwrap_or(0);
        for (choice, label) in choices.iter().zip(labels) {
            let ChoiceDecl {
                name,
                label: _,
                also,
                states,
            } = choice;
            self.node_start(name.span.start(), 2);
            let mut text = format!("{:name_width$} {label}", name.text);
            if !also.is_empty() {
                let pad = label_width.saturating_sub(label.chars().count());
                text.push_str(&" ".repeat(pad));
                text.push(' ');
                text.push_str(self.kw("also_kw"));
                let phrases: Vec<String> = also.iter().map(|a| self.text(a, 2)).collect();
                text.push(' ');
                text.push_str(&phrases.join(", "));
            }
            self.line(2, text.trim_end());
            self.last_end = also.last().map_or(choice.label.span, |a| a.span).end();
            if let Some(states) = states {
                // Under the value's label.
                let column = 2 + name_width + 1;
                let line = self.states(states, column);
                self.line(column, &line);
                self.last_end = states.span.end();
            }
        }
    }

    fn channel_word(&self, kind: ChannelKind) -> &'static str {
        self.kw(match kind {
            ChannelKind::Name => "name_kw",
            ChannelKind::Phone => "phone_kw",
            ChannelKind::Email => "email_kw",
            ChannelKind::Hours => "hours_kw",
            ChannelKind::Office => "office_kw",
            ChannelKind::Web => "web_kw",
        })
    }

    fn contact(&mut self, c: &ContactDecl) {
        let ContactDecl {
            name,
            label,
            body,
            span: _,
        } = c;
        let head = format!(
            "{} {} {}",
            self.kw("contact_kw"),
            name.text,
            self.text(label, 0)
        );
        match body {
            ContactBody::Fixed(channels) => {
                self.line(0, &format!("{head} {{"));
                self.channel_lines(channels, 2);
                self.comments_before(channels.span.end().saturating_sub(1), 2);
                self.line(0, "}");
            }
            ContactBody::By { fact, arms } => {
                self.line(0, &format!("{head} {} {} {{", self.kw("by_kw"), fact.text));
                let patterns: Vec<String> =
                    arms.iter().map(|a| self.patterns(&a.patterns)).collect();
                let width = patterns
                    .iter()
                    .map(|p| p.chars().count())
                    .max()
                    .unwrap_or(0);
                for (arm, patterns) in arms.iter().zip(patterns) {
                    self.node_start(arm.span.start(), 2);
                    let channels = &arm.channels;
                    let written_as_name = !self.raw(channels.span).starts_with('{');
                    let one_line = !self.raw(channels.span).contains('\n');
                    let lead = format!("{patterns:width$} =>");
                    if written_as_name {
                        let text = channels
                            .entries
                            .first()
                            .map(|(_, t)| self.text(t, 2))
                            .unwrap_or_default();
                        self.line(2, &format!("{lead} {text}"));
                    } else if one_line {
                        let inner: Vec<String> = channels
                            .entries
                            .iter()
                            .map(|(k, t)| format!("{} {}", self.channel_word(*k), self.text(t, 2)))
                            .collect();
                        self.line(2, &format!("{lead} {{ {} }}", inner.join(" ")));
                    } else {
                        self.line(2, &format!("{lead} {{"));
                        self.channel_lines(channels, 4);
                        self.comments_before(channels.span.end().saturating_sub(1), 4);
                        self.line(2, "}");
                    }
                    self.last_end = arm.span.end();
                }
                self.comments_before(c.span.end().saturating_sub(1), 2);
                self.line(0, "}");
            }
        }
    }

    /// Channels one a line, their values aligned.
    fn channel_lines(&mut self, channels: &Channels, indent: usize) {
        let width = channels
            .entries
            .iter()
            .map(|(k, _)| self.channel_word(*k).chars().count())
            .max()
            .unwrap_or(0);
        for (kind, text) in &channels.entries {
            self.node_start(text.span.start(), indent);
            let line = format!(
                "{:width$} {}",
                self.channel_word(*kind),
                self.text(text, indent)
            );
            self.line(indent, &line);
            self.last_end = text.span.end();
        }
    }

    fn fallback(&mut self, f: &FallbackDecl) {
        let FallbackDecl {
            contact,
            message,
            span: _,
        } = f;
        let line = format!(
            "{} {} {}",
            self.kw("fallback_kw"),
            contact.text,
            self.text(message, 0)
        );
        self.line(0, &line);
    }

    fn topic(&mut self, t: &TopicDecl) {
        let TopicDecl {
            name,
            title,
            triggers,
            synonyms,
            reviews,
            examples,
            body,
            end,
            span: _,
        } = t;
        self.line(
            0,
            &format!(
                "{} {} {} {{",
                self.kw("topic_kw"),
                name.text,
                self.text(title, 0)
            ),
        );
        self.last_end = title.span.end();
        if let Some(first) = triggers.first() {
            self.node_start(first.span.start(), 2);
            self.list(2, self.kw("triggers_kw"), triggers);
            self.last_end = triggers.last().map_or(0, |t| t.span.end());
        }
        if let Some(first) = synonyms.first() {
            self.node_start(first.span.start(), 2);
            self.list(2, self.kw("synonyms_kw"), synonyms);
            self.last_end = synonyms.last().map_or(0, |t| t.span.end());
        }
        if let Some(first) = examples.first() {
            self.node_start(first.span.start(), 2);
            self.list(2, self.kw("examples_kw"), examples);
            self.last_end = examples.last().map_or(0, |t| t.span.end());
        }
        for review in reviews {
            let Review { date, by, span } = review;
            self.node_start(span.start(), 2);
            let line = format!(
                "{} {} {} {}",
                self.kw("review_kw"),
                date.text,
                self.kw("review_by_kw"),
                self.text(by, 2)
            );
            self.line(2, &line);
            self.last_end = span.end();
        }
        self.statements(body, 2);
        self.comments_before(end.start(), 2);
        self.line(0, "}");
    }

    // ---------------------------------------------------------------- statements

    fn statements(&mut self, stmts: &[Stmt], indent: usize) {
        for stmt in stmts {
            self.node_start(stmt.span().start(), indent);
            let text = self.statement(stmt, indent);
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(&text);
            self.out.push('\n');
            self.last_end = stmt.span().end();
        }
    }

    /// A statement whose first line starts at column `indent`, without that
    /// indentation and without its last line break. Blocks inside write their
    /// lines into `self.out` through a nested printer pass.
    fn statement(&mut self, stmt: &Stmt, indent: usize) -> String {
        match stmt {
            Stmt::Answer(a) => {
                let AnswerStmt {
                    text,
                    sources,
                    span: _,
                } = a;
                let mut out = format!("{} {}", self.kw("answer_kw"), self.text(text, indent));
                let sources: Vec<String> = sources
                    .iter()
                    .map(|s| format!("{} {}", self.kw("source_kw"), self.text(s, indent)))
                    .collect();
                let one_line = format!("{out} {}", sources.join(" "));
                if sources.is_empty() {
                    out
                } else if !one_line.contains('\n') && indent + one_line.chars().count() <= WIDTH {
                    one_line
                } else {
                    for source in sources {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent + 2));
                        out.push_str(&source);
                    }
                    out
                }
            }
            Stmt::Handoff(h) => {
                let HandoffStmt {
                    contact,
                    message,
                    span: _,
                } = h;
                let head = format!("{} {}", self.kw("handoff_kw"), contact.text);
                match message {
                    None => head,
                    Some(m) => {
                        let first_line = self.raw(m.span).split('\n').next().unwrap_or("");
                        if indent + head.chars().count() + 1 + first_line.chars().count() <= WIDTH {
                            format!("{head} {}", self.text(m, indent))
                        } else {
                            format!(
                                "{head}\n{}{}",
                                " ".repeat(indent + 2),
                                self.text(m, indent + 2)
                            )
                        }
                    }
                }
            }
            Stmt::Goto(GotoStmt { topic, span: _ }) => {
                format!("{} {}", self.kw("goto_kw"), topic.text)
            }
            Stmt::Let(LetStmt {
                name,
                value,
                span: _,
            }) => format!("{} {} = {}", self.kw("let_kw"), name.text, self.expr(value)),
            Stmt::If(i) => self.if_stmt(i, indent),
            Stmt::Match(m) => self.match_stmt(m, indent),
            Stmt::InForce(f) => self.in_force(f, indent),
        }
    }

    /// `in force [at DATE] { PERIOD => … }`: periods written in the output language.
    fn in_force(&mut self, f: &InForceStmt, indent: usize) -> String {
        let InForceStmt {
            at,
            arms,
            keyword: _,
            span,
        } = f;
        let saved = std::mem::take(&mut self.out);
        let mut head = self.kw("in_force_kw").to_string();
        if let Some(at) = at {
            head.push_str(&format!(" {} {}", self.kw("at_kw"), self.expr(at)));
            self.last_end = at.span.end();
        }
        self.out.push_str(&format!("{head} {{\n"));
        for arm in arms {
            let PeriodArm {
                from,
                until,
                period_span,
                body,
                span: arm_span,
            } = arm;
            self.node_start(arm_span.start(), indent + 2);
            let period = match (from, until, self.language) {
                (Some(a), Some(b), Language::French) => format!("du {} au {}", a.text, b.text),
                (Some(a), Some(b), Language::English) => {
                    format!(
                        "{} {} {} {}",
                        self.kw("from_kw"),
                        a.text,
                        self.kw("until_kw"),
                        b.text
                    )
                }
                (Some(a), None, _) => format!("{} {}", self.kw("from_kw"), a.text),
                (None, Some(b), _) => format!("{} {}", self.kw("until_kw"), b.text),
                (None, None, _) => self.raw(*period_span).to_string(),
            };
            let braced = body.stmts.first().map_or(true, |s| s.span() != body.span);
            let text = if braced {
                self.last_end = period_span.end();
                self.block(body, indent + 2)
            } else {
                self.last_end = body.span.start();
                self.statement(&body.stmts[0], indent + 2)
            };
            self.out.push_str(&" ".repeat(indent + 2));
            self.out.push_str(&format!("{period} => {text}\n"));
            self.last_end = arm_span.end();
        }
        self.comments_before(span.end().saturating_sub(1), indent + 2);
        self.out.push_str(&" ".repeat(indent));
        self.out.push('}');
        std::mem::replace(&mut self.out, saved)
    }

    /// `states "…", "…"` or `states oui "…" non "…"`, continuation lines at `indent`.
    fn states(&self, states: &States, indent: usize) -> String {
        // Every field, so that one added to the AST cannot be dropped unnoticed.
        let States { phrases, span: _ } = states;
        let mut out = self.kw("states_kw").to_string();
        let mut current: Option<StateTag> = None;
        for (tag, text) in phrases {
            if current == Some(*tag) {
                out.push(',');
            } else {
                match tag {
                    StateTag::Plain => {}
                    StateTag::Bool(yes) => out.push_str(if *yes { " oui" } else { " non" }),
                    StateTag::Number(n) => out.push_str(&format!(" {n}")),
                }
                current = Some(*tag);
            }
            out.push(' ');
            out.push_str(&self.text(text, indent));
        }
        out
    }

    fn lexicon(&mut self, l: &LexiconDecl) {
        let LexiconDecl {
            notion,
            expressions,
            examples,
            span: _,
        } = l;
        let head = format!("{} {}", self.kw("lexicon_kw"), self.text(notion, 0));
        self.list(0, &head, expressions);
        if !examples.is_empty() {
            self.list(2, self.kw("examples_kw"), examples);
        }
    }

    /// A block's statements and closing brace, as text after its `{`.
    fn block(&mut self, block: &Block, indent: usize) -> String {
        let saved = std::mem::take(&mut self.out);
        self.out.push('{');
        self.out.push('\n');
        self.statements(&block.stmts, indent + 2);
        self.comments_before(block.end.start(), indent + 2);
        self.out.push_str(&" ".repeat(indent));
        self.out.push('}');
        self.last_end = block.span.end();
        std::mem::replace(&mut self.out, saved)
    }

    fn if_stmt(&mut self, i: &IfStmt, indent: usize) -> String {
        let IfStmt {
            branches,
            otherwise,
            span: _,
        } = i;
        let mut out = String::new();
        for (n, (condition, block)) in branches.iter().enumerate() {
            if n > 0 {
                out.push(' ');
                out.push_str(self.kw("else_kw"));
                out.push(' ');
            }
            out.push_str(self.kw("if_kw"));
            out.push(' ');
            out.push_str(&self.expr(condition));
            out.push(' ');
            self.last_end = condition.span.end();
            out.push_str(&self.block(block, indent));
        }
        if let Some(block) = otherwise {
            out.push(' ');
            out.push_str(self.kw("else_kw"));
            out.push(' ');
            out.push_str(&self.block(block, indent));
        }
        out
    }

    fn match_stmt(&mut self, m: &MatchStmt, indent: usize) -> String {
        let MatchStmt {
            subject,
            arms,
            span,
        } = m;
        let saved = std::mem::take(&mut self.out);
        self.out.push_str(&format!(
            "{} {} {{\n",
            self.kw("match_kw"),
            self.expr(subject)
        ));
        self.last_end = subject.span.end();
        for arm in arms {
            let MatchArm {
                patterns,
                body,
                span: arm_span,
            } = arm;
            self.node_start(arm_span.start(), indent + 2);
            let lead = format!("{} => ", self.patterns(patterns));
            // An arm written without braces holds one statement whose span is the block's.
            let braced = body.stmts.first().map_or(true, |s| s.span() != body.span);
            let text = if braced {
                self.last_end = patterns.last().map_or(arm_span.start(), |p| p.span().end());
                self.block(body, indent + 2)
            } else {
                self.last_end = body.span.start();
                let stmt = &body.stmts[0];
                self.statement(stmt, indent + 2)
            };
            self.out.push_str(&" ".repeat(indent + 2));
            self.out.push_str(&lead);
            self.out.push_str(&text);
            self.out.push('\n');
            self.last_end = arm_span.end();
        }
        self.comments_before(span.end().saturating_sub(1), indent + 2);
        self.out.push_str(&" ".repeat(indent));
        self.out.push('}');
        std::mem::replace(&mut self.out, saved)
    }

    fn patterns(&self, patterns: &[Pattern]) -> String {
        patterns
            .iter()
            .map(|p| match p {
                Pattern::Wildcard(_) => "_".to_string(),
                Pattern::Yes(_) => "oui".to_string(),
                Pattern::No(_) => "non".to_string(),
                Pattern::Value(n) => n.text.clone(),
                Pattern::Number(_, s) | Pattern::Range(_, _, s) => without_blanks(self.raw(*s)),
                Pattern::Compare(_, _, s) => {
                    let compact = without_blanks(self.raw(*s));
                    let at = compact.find(|c: char| c != '<' && c != '>' && c != '=');
                    let (op, number) = compact.split_at(at.unwrap_or(compact.len()));
                    format!("{op} {number}")
                }
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    // ---------------------------------------------------------------- tests

    fn test_case(&mut self, case: &TestCase) {
        let TestCase { name, steps, span } = case;
        self.line(
            0,
            &format!("{} {} {{", self.kw("test_kw"), self.text(name, 0)),
        );
        self.last_end = name.span.end();
        for step in steps {
            let start = step_start(step);
            self.node_start(start, 2);
            let text = match step {
                TestStep::Topic(n) => format!("{} {}", self.kw("topic_kw"), n.text),
                TestStep::Question(t) => format!("{} {}", self.kw("question_kw"), self.text(t, 2)),
                TestStep::Today(t) => format!("{} {}", self.kw("today"), self.text(t, 2)),
                TestStep::Profile(n, t) => {
                    format!("{} {} = {}", self.kw("profile_kw"), n.text, self.text(t, 2))
                }
                TestStep::Reply(t) => format!("{} {}", self.kw("reply_kw"), self.text(t, 2)),
                TestStep::Asks(names) => format!(
                    "{} {}",
                    self.kw("asks_kw"),
                    names
                        .iter()
                        .map(|n| n.text.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                TestStep::ExpectAnswer(texts, _) => {
                    let mut s = format!("{} {}", self.kw("expect_kw"), self.kw("answer_kw"));
                    if !texts.is_empty() {
                        let list: Vec<String> = texts.iter().map(|t| self.text(t, 2)).collect();
                        s.push(' ');
                        s.push_str(&list.join(", "));
                    }
                    s
                }
                TestStep::ExpectHandoff(contact, texts, _) => {
                    let mut s = format!(
                        "{} {} {}",
                        self.kw("expect_kw"),
                        self.kw("handoff_kw"),
                        contact.text
                    );
                    if !texts.is_empty() {
                        let list: Vec<String> = texts.iter().map(|t| self.text(t, 2)).collect();
                        s.push(' ');
                        s.push_str(&list.join(", "));
                    }
                    s
                }
            };
            self.line(2, &text);
            self.last_end = step_end(step);
        }
        self.comments_before(span.end().saturating_sub(1), 2);
        self.line(0, "}");
    }
}

fn without_blanks(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn step_start(step: &TestStep) -> usize {
    match step {
        TestStep::Topic(n) | TestStep::Profile(n, _) => n.span.start(),
        TestStep::Question(t) | TestStep::Today(t) | TestStep::Reply(t) => t.span.start(),
        TestStep::Asks(names) => names.first().map_or(0, |n| n.span.start()),
        TestStep::ExpectAnswer(_, s) | TestStep::ExpectHandoff(_, _, s) => s.start(),
    }
}

fn step_end(step: &TestStep) -> usize {
    match step {
        TestStep::Topic(n) => n.span.end(),
        TestStep::Profile(_, t)
        | TestStep::Question(t)
        | TestStep::Today(t)
        | TestStep::Reply(t) => t.span.end(),
        TestStep::Asks(names) => names.last().map_or(0, |n| n.span.end()),
        TestStep::ExpectAnswer(_, s) | TestStep::ExpectHandoff(_, _, s) => s.end(),
    }
}
