//! `guichet graph`: pictures of a topic's decision graph, as DOT, Mermaid or SVG.
//!
//! [`TopicGraph::of`] collects the nodes a topic's entry reaches (a `goto`
//! is drawn as a leaf naming the next topic, not followed) and labels each
//! in French: questions (`Ask`), computed values (`Let`), conditions (`If`,
//! whose edges are « oui »/« non »), `match` (whose edges carry the arm's
//! patterns as written), answers, hand-offs and `goto`. Nodes are numbered
//! `n0`, `n1`… in depth-first order from the entry, following successors in
//! order, so the output is the same on every run. [`dot`], [`mermaid`] and
//! [`svg`] only render that model; SVG is laid out by the `layout-rs` crate,
//! with no external program.

use crate::compile::program::{
    Dispatch, EdgeLabel, ExprKind, FactId, NodeId, NodeKind, Program, Template, TemplatePart,
    TopicId,
};
use clap::ValueEnum;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The output formats of `guichet graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
    Svg,
}

impl Format {
    /// The file extension used by `--all`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Dot => "dot",
            Format::Mermaid => "mmd",
            Format::Svg => "svg",
        }
    }
}

/// What a node is, which decides its shape and colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Question,
    Value,
    Condition,
    Answer,
    Handoff,
    Goto,
}

/// A node as drawn: its label lines, in French, and where its rule is written.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnNode {
    pub shape: Shape,
    pub lines: Vec<String>,
    /// `file:line:column` of the rule.
    pub location: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DrawnEdge {
    pub from: usize,
    pub to: usize,
    pub label: Option<String>,
}

/// A topic's graph, ready to be rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicGraph {
    pub name: String,
    pub title: String,
    pub nodes: Vec<DrawnNode>,
    pub edges: Vec<DrawnEdge>,
}

/// Longest label line, in characters, before wrapping.
const WRAP: usize = 42;
/// Longest excerpt of an answer or hand-off message, in characters.
const EXCERPT: usize = 120;
/// Longest excerpt of a question, in characters.
const QUESTION: usize = 90;

impl TopicGraph {
    pub fn of(program: &Program, topic: TopicId) -> TopicGraph {
        let t = program.topic(topic);
        let skip = known_asks(program, t.entry);
        // An `Ask` whose fact every path has already asked only passes the walk on: drawn through.
        let resolve = |mut node: NodeId| {
            while skip.contains(&node) {
                match program.node(node).kind {
                    NodeKind::Ask { next, .. } => node = next,
                    _ => break,
                }
            }
            node
        };
        let mut order: Vec<NodeId> = Vec::new();
        let mut index_of = HashMap::new();
        let mut stack = vec![resolve(t.entry)];
        while let Some(node) = stack.pop() {
            if index_of.contains_key(&node) {
                continue;
            }
            index_of.insert(node, order.len());
            order.push(node);
            let successors = program.node(node).kind.successors();
            stack.extend(successors.into_iter().rev().map(resolve));
        }
        let nodes = order.iter().map(|&n| drawn(program, n)).collect();
        let mut edges = Vec::new();
        for (from, &node) in order.iter().enumerate() {
            let successors = program.node(node).kind.successors();
            for target in successors {
                let label = program
                    .graph
                    .edges_connecting(node, target)
                    .map(|e| e.weight().clone())
                    .next();
                let label = match label {
                    Some(EdgeLabel::Yes) => Some("oui".to_string()),
                    Some(EdgeLabel::No) => Some("non".to_string()),
                    Some(EdgeLabel::Arm(text)) if text == "_" => Some("autre cas".to_string()),
                    Some(EdgeLabel::Arm(text)) => Some(text),
                    _ => None,
                };
                edges.push(DrawnEdge {
                    from,
                    to: index_of[&resolve(target)],
                    label,
                });
            }
        }
        TopicGraph {
            name: t.name.clone(),
            title: t.title.clone(),
            nodes,
            edges,
        }
    }
}

/// The `Ask` nodes below `entry` whose fact is asked on every path that reaches them.
fn known_asks(program: &Program, entry: NodeId) -> HashSet<NodeId> {
    // Depth-first post-order, reversed: a topological order (a topic's graph has no cycle).
    let mut post = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![(entry, false)];
    while let Some((node, done)) = stack.pop() {
        if done {
            post.push(node);
            continue;
        }
        if !seen.insert(node) {
            continue;
        }
        stack.push((node, true));
        for next in program.node(node).kind.successors() {
            if !seen.contains(&next) {
                stack.push((next, false));
            }
        }
    }
    post.reverse();
    // Facts known on entering each node: the intersection over the nodes before it.
    let mut known_in: HashMap<NodeId, BTreeSet<FactId>> = HashMap::new();
    known_in.insert(entry, BTreeSet::new());
    let mut skip = HashSet::new();
    for &node in &post {
        let mut known = known_in.get(&node).cloned().unwrap_or_default();
        if let NodeKind::Ask { fact, .. } = program.node(node).kind {
            if !known.insert(fact) {
                skip.insert(node);
            }
        }
        for next in program.node(node).kind.successors() {
            known_in
                .entry(next)
                .and_modify(|k| k.retain(|f| known.contains(f)))
                .or_insert_with(|| known.clone());
        }
    }
    skip
}

fn drawn(program: &Program, id: NodeId) -> DrawnNode {
    let node = program.node(id);
    let source = |span| one_line(program.sources.text(span));
    let (shape, mut lines) = match &node.kind {
        NodeKind::Ask { fact, .. } => {
            let f = program.fact(*fact);
            let mut lines = vec![format!("Question « {} »", f.name)];
            lines.extend(wrap(&excerpt(&f.question, QUESTION), WRAP));
            (Shape::Question, lines)
        }
        NodeKind::Let { local, value, .. } => (
            Shape::Value,
            wrap(
                &format!(
                    "Calcul : {} = {}",
                    program.local_names[local.index()],
                    source(value.span)
                ),
                WRAP,
            ),
        ),
        NodeKind::If { condition, .. } => (
            Shape::Condition,
            wrap(&format!("Si {} ?", source(condition.span)), WRAP),
        ),
        NodeKind::Match {
            subject,
            dispatch: Dispatch::Period { .. },
            ..
        } => {
            let at = match subject.kind {
                ExprKind::Today => "à la date de la conversation".to_string(),
                _ => format!("au {}", source(subject.span)),
            };
            (
                Shape::Condition,
                wrap(&format!("Texte en vigueur {at}"), WRAP),
            )
        }
        NodeKind::Match { subject, .. } => (
            Shape::Condition,
            wrap(&format!("Selon {}", source(subject.span)), WRAP),
        ),
        NodeKind::Answer { text, sources } => {
            let mut lines = vec!["Réponse".to_string()];
            lines.extend(wrap(&excerpt(&template_text(program, text), EXCERPT), WRAP));
            if !sources.is_empty() {
                let plural = if sources.len() > 1 { "s" } else { "" };
                lines.push(format!("({} source{plural})", sources.len()));
            }
            (Shape::Answer, lines)
        }
        NodeKind::Handoff { contact, message } => {
            let c = program.contact(*contact);
            let mut lines = wrap(&format!("Transfert : {}", c.label), WRAP);
            if let Some(m) = message {
                lines.extend(wrap(&excerpt(&template_text(program, m), EXCERPT), WRAP));
            }
            (Shape::Handoff, lines)
        }
        NodeKind::Goto { topic } => {
            let t = program.topic(*topic);
            let mut lines = wrap(&format!("Suite dans « {} »", t.title), WRAP);
            lines.push(format!("(sujet {})", t.name));
            (Shape::Goto, lines)
        }
    };
    lines.retain(|l| !l.is_empty());
    DrawnNode {
        shape,
        lines,
        location: program.sources.location(node.span),
    }
}

/// A template as written: literal text, `{expression}` for values.
fn template_text(program: &Program, t: &Template) -> String {
    t.parts
        .iter()
        .map(|part| match part {
            TemplatePart::Literal(s) => s.clone(),
            TemplatePart::Value { expr, .. } => format!("{{{}}}", program.sources.text(expr.span)),
        })
        .collect()
}

/// Whitespace runs (line breaks included) as single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `max` characters of a text on one line, cut after a word, with « … » when cut.
fn excerpt(text: &str, max: usize) -> String {
    let text = one_line(text);
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Words of `text` in lines of at most `width` characters (a longer word has a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

// ---------------------------------------------------------------- DOT

/// The graph in Graphviz's DOT language.
pub fn dot(graph: &TopicGraph) -> String {
    let mut out = String::new();
    out.push_str(&format!("digraph {} {{\n", dot_string(&graph.name)));
    out.push_str(&format!(
        "  label={};\n  labelloc=t;\n  fontname=\"Helvetica\";\n",
        dot_string(&graph.title)
    ));
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (i, n) in graph.nodes.iter().enumerate() {
        let (shape, style, color) = match n.shape {
            Shape::Question => ("parallelogram", "filled", "#dbeafe"),
            Shape::Value => ("box", "filled", "#f3f4f6"),
            Shape::Condition => ("diamond", "filled", "#fef9c3"),
            Shape::Answer => ("box", "rounded,filled", "#dcfce7"),
            Shape::Handoff => ("hexagon", "filled", "#ffedd5"),
            Shape::Goto => ("cds", "filled", "#e5e7eb"),
        };
        out.push_str(&format!(
            "  n{i} [shape={shape}, style=\"{style}\", fillcolor=\"{color}\", label={}, tooltip={}];\n",
            dot_string(&n.lines.join("\n")),
            dot_string(&n.location)
        ));
    }
    for e in &graph.edges {
        match &e.label {
            Some(label) => out.push_str(&format!(
                "  n{} -> n{} [label={}];\n",
                e.from,
                e.to,
                dot_string(label)
            )),
            None => out.push_str(&format!("  n{} -> n{};\n", e.from, e.to)),
        }
    }
    out.push_str("}\n");
    out
}

/// A DOT string literal: quotes and backslashes escaped, line breaks as `\n`.
fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------- Mermaid

/// The graph as a Mermaid flowchart (Markdown renderers, GitLab, GitHub…).
pub fn mermaid(graph: &TopicGraph) -> String {
    let mut out = String::new();
    out.push_str("---\n");
    // YAML front matter: a double-quoted string, since titles hold « : ».
    let title = graph.title.replace('\\', "\\\\").replace('"', "\\\"");
    out.push_str(&format!("title: \"{title}\"\n"));
    out.push_str("---\n");
    out.push_str("flowchart TD\n");
    for (i, n) in graph.nodes.iter().enumerate() {
        let (open, close) = match n.shape {
            Shape::Question => ("[/", "/]"),
            Shape::Value => ("[", "]"),
            Shape::Condition => ("{", "}"),
            Shape::Answer => ("([", "])"),
            Shape::Handoff => ("{{", "}}"),
            Shape::Goto => ("[[", "]]"),
        };
        let label: Vec<String> = n.lines.iter().map(|l| mermaid_text(l)).collect();
        out.push_str(&format!("  n{i}{open}\"{}\"{close}\n", label.join("<br/>")));
    }
    for e in &graph.edges {
        match &e.label {
            Some(label) => out.push_str(&format!(
                "  n{} -->|\"{}\"| n{}\n",
                e.from,
                mermaid_text(label),
                e.to
            )),
            None => out.push_str(&format!("  n{} --> n{}\n", e.from, e.to)),
        }
    }
    let classes = [
        (Shape::Question, "question", "fill:#dbeafe,stroke:#1d4ed8"),
        (Shape::Value, "calcul", "fill:#f3f4f6,stroke:#4b5563"),
        (Shape::Condition, "condition", "fill:#fef9c3,stroke:#a16207"),
        (Shape::Answer, "reponse", "fill:#dcfce7,stroke:#15803d"),
        (Shape::Handoff, "transfert", "fill:#ffedd5,stroke:#c2410c"),
        (Shape::Goto, "suite", "fill:#e5e7eb,stroke:#374151"),
    ];
    for (shape, class, style) in classes {
        let members: Vec<String> = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.shape == shape)
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !members.is_empty() {
            out.push_str(&format!("  classDef {class} {style}\n"));
            out.push_str(&format!("  class {} {class}\n", members.join(",")));
        }
    }
    out
}

/// Text inside a quoted Mermaid label: characters Mermaid reads as syntax or HTML as entity codes.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------- SVG

/// The graph laid out and drawn as SVG (by `layout-rs`: no external program).
pub fn svg(graph: &TopicGraph) -> String {
    use layout::backends::svg::SVGWriter;
    use layout::core::base::Orientation;
    use layout::core::color::Color;
    use layout::core::style::StyleAttr;
    use layout::std_shapes::render::get_shape_size;
    use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
    use layout::topo::layout::VisualGraph;

    let orientation = Orientation::TopToBottom;
    let mut vg = VisualGraph::new(orientation);
    let font = 14;
    let handles: Vec<_> = graph
        .nodes
        .iter()
        .map(|n| {
            let (fill, rounded) = match n.shape {
                Shape::Question => ("#dbeafe", 0),
                Shape::Value => ("#f3f4f6", 0),
                Shape::Condition => ("#fef9c3", 0),
                Shape::Answer => ("#dcfce7", 14),
                Shape::Handoff => ("#ffedd5", 14),
                Shape::Goto => ("#e5e7eb", 0),
            };
            let look = StyleAttr::new(
                Color::fast("black"),
                1,
                Some(Color::fast(fill)),
                rounded,
                font,
            );
            let shape = ShapeKind::new_box(&n.lines.join("\n"));
            let size = get_shape_size(orientation, &shape, font, false);
            vg.add_node(Element::create(shape, look, orientation, size))
        })
        .collect();
    for e in &graph.edges {
        let arrow = Arrow::simple(e.label.as_deref().unwrap_or(""));
        vg.add_edge(arrow, handles[e.from], handles[e.to]);
    }
    let mut writer = SVGWriter::new();
    vg.do_it(false, false, false, &mut writer);
    // layout-rs sizes the picture from the length of its texts, not their
    // width: it is far too tall. The laid-out boxes give the real size.
    let (mut width, mut height) = (0.0f64, 0.0f64);
    for node in vg.iter_nodes() {
        let (_, bottom_right) = vg.pos(node).bbox(false);
        width = width.max(bottom_right.x);
        height = height.max(bottom_right.y);
    }
    let svg = writer.finalize().replace(
        "font-family: Times, serif",
        "font-family: Helvetica, Arial, sans-serif",
    );
    resize_svg(&svg, width.ceil() + 20.0, height.ceil() + 20.0)
}

/// Gives the root `<svg>` element of `svg` this width and height (and view box).
fn resize_svg(svg: &str, width: f64, height: f64) -> String {
    let (Some(start), Some(end)) = (svg.find("<svg "), svg.find(" xmlns=")) else {
        return svg.to_string();
    };
    if end < start || width <= 20.0 || height <= 20.0 {
        return svg.to_string();
    }
    format!(
        "{}<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"{}",
        &svg[..start],
        &svg[end..]
    )
}

/// The graph of `topic` in `format`.
pub fn render(program: &Program, topic: TopicId, format: Format) -> String {
    let graph = TopicGraph::of(program, topic);
    match format {
        Format::Dot => dot(&graph),
        Format::Mermaid => mermaid(&graph),
        Format::Svg => svg(&graph),
    }
}

// ---------------------------------------------------------------- command

/// `guichet graph PATH… (--topic ID | --all DIR) [--format F] [--output FILE]`.
pub fn command(
    paths: &[PathBuf],
    topic: Option<&str>,
    all: Option<&Path>,
    format: Format,
    output: Option<&Path>,
) -> ExitCode {
    let program = match crate::front::load::program_or_report(paths) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match (topic, all) {
        (Some(name), None) => {
            let Some(id) = topic_or_report(&program, name) else {
                return ExitCode::from(2);
            };
            let text = render(&program, id, format);
            match output {
                Some(path) => write_or_report(path, &text),
                None => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
            }
        }
        (None, Some(dir)) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("erreur : impossible de créer {} : {e}", dir.display());
                return ExitCode::from(2);
            }
            for (i, t) in program.topics.iter().enumerate() {
                let path = dir.join(format!("{}.{}", t.name, format.extension()));
                let text = render(&program, TopicId(i as u32), format);
                let code = write_or_report(&path, &text);
                if code != ExitCode::SUCCESS {
                    return code;
                }
            }
            eprintln!(
                "{} graphe(s) écrit(s) dans {}",
                program.topics.len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("erreur : donnez --topic SUJET ou --all DOSSIER (l'un des deux)");
            ExitCode::from(2)
        }
    }
}

/// The topic named `name`, or a message naming the closest one.
pub fn topic_or_report(program: &Program, name: &str) -> Option<TopicId> {
    let found = program.topic_named(name);
    if found.is_none() {
        eprintln!("erreur : {}", unknown_topic(program, name));
    }
    found
}

/// « sujet inconnu « x » (vouliez-vous dire « y » ?) », shared with the REPL.
pub fn unknown_topic(program: &Program, name: &str) -> String {
    let names = program.topics.iter().map(|t| t.name.as_str());
    let hint = crate::compile::suggest(name, names)
        .map(|s| format!(" (vouliez-vous dire « {s} » ?)"))
        .unwrap_or_default();
    format!("sujet inconnu « {name} »{hint} ; `guichet topics` les liste")
}

fn write_or_report(path: &Path, text: &str) -> ExitCode {
    match std::fs::write(path, text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erreur : impossible d'écrire {} : {e}", path.display());
            ExitCode::from(2)
        }
    }
}

/// A node on one line, as `:trace` and breakpoints show it.
pub fn describe(program: &Program, node: NodeId) -> String {
    let text = drawn(program, node).lines.join(" ");
    if text.chars().count() <= 90 {
        return text;
    }
    let cut: String = text.chars().take(89).collect();
    format!("{}…", cut.trim_end())
}
