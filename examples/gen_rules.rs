//! Generates a synthetic rule base of a chosen size that passes `guichet check`,
//! for the benchmarks of issue 8 (see docs/performance.md).
//!
//! ```text
//! cargo run --release --example gen_rules -- --lines 100000 /tmp/rules-100k/
//! ```
//!
//! Options: `--lines N` (about how many lines in all, default 10000),
//! `--facts N` (facts declared, default one per 200 lines, 20 to 200), `--depth N` (nesting of
//! `match`/`if` in each topic, default 3), `--file-lines N` (lines per file,
//! default 2000), `--seed N` (default 8). The same options always write the
//! same files. The shape follows the bundled rules: a `commun.guichet` with
//! facts of every kind, contacts (one `by` a choice) and a `fallback`; then
//! files of topics whose bodies mix `match` on choices and numbers, `if` on
//! yes/no and comparisons, `let` with interpolated answers, hand-offs and
//! `goto` to earlier topics (so never a cycle). Every fact and contact is
//! used once there are enough topics, so a large base checks without warnings.
//!
//! The generator is part of the benchmark harness, not of the product: it
//! writes only where it is told to (use a directory under /tmp or `target/`,
//! never commit its output).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// What to generate (`out` is only used by `main`).
pub struct Options {
    pub lines: usize,
    pub facts: usize,
    pub depth: usize,
    pub file_lines: usize,
    pub seed: u64,
    pub out: PathBuf,
}

impl Options {
    /// The defaults of the command line for a base of about `lines` lines.
    pub fn with_lines(lines: usize) -> Options {
        Options {
            lines,
            facts: (lines / 200).clamp(20, 200),
            depth: 3,
            file_lines: 2_000,
            seed: 8,
            out: PathBuf::new(),
        }
    }
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options::with_lines(10_000);
    options.facts = 0;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .ok_or_else(|| format!("{name} attend un nombre"))
        };
        match arg.as_str() {
            "--lines" => options.lines = number("--lines")? as usize,
            "--facts" => options.facts = (number("--facts")? as usize).max(10),
            "--depth" => options.depth = (number("--depth")? as usize).min(12),
            "--file-lines" => options.file_lines = (number("--file-lines")? as usize).max(100),
            "--seed" => options.seed = number("--seed")?,
            "-h" | "--help" => return Err(String::new()),
            other if !other.starts_with('-') && out.is_none() => out = Some(PathBuf::from(other)),
            other => return Err(format!("argument inconnu : {other}")),
        }
    }
    options.out = out.ok_or("il manque le dossier de sortie")?;
    if options.facts == 0 {
        // About one fact per 200 lines, as in the bundled rules, within 20..=200.
        options.facts = (options.lines / 200).clamp(20, 200);
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("erreur : {e}");
            }
            eprintln!(
                "usage : gen_rules [--lines N] [--facts N] [--depth N] [--file-lines N] [--seed N] DOSSIER"
            );
            return ExitCode::from(2);
        }
    };
    let files = generate(&options);
    if let Err(e) = std::fs::create_dir_all(&options.out) {
        eprintln!("erreur : {} : {e}", options.out.display());
        return ExitCode::from(1);
    }
    let mut total = 0;
    for (name, text) in &files {
        total += text.lines().count();
        if let Err(e) = std::fs::write(options.out.join(name), text) {
            eprintln!("erreur : {name} : {e}");
            return ExitCode::from(1);
        }
    }
    println!(
        "{} lignes dans {} fichiers écrits dans {}",
        total,
        files.len(),
        options.out.display()
    );
    ExitCode::SUCCESS
}

/// SplitMix64: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Choice(usize),
    Integer,
    YesNo,
    Number,
    Date,
}

const WORDS: [&str; 24] = [
    "congé",
    "absence",
    "prime",
    "formation",
    "mutation",
    "temps partiel",
    "astreinte",
    "mutuelle",
    "retraite",
    "télétravail",
    "frais",
    "logement",
    "naissance",
    "maladie",
    "accident",
    "concours",
    "avancement",
    "heures",
    "indemnité",
    "carte",
    "badge",
    "cantine",
    "vélo",
    "transport",
];

struct Generator {
    rng: Rng,
    kinds: Vec<Kind>,
    /// Round-robin cursors, so every fact of a kind gets used.
    next_of_kind: [usize; 5],
    by_kind: [Vec<usize>; 5],
    topics: usize,
    depth: usize,
    locals: usize,
    contacts: usize,
    next_contact: usize,
}

fn kind_slot(kind: Kind) -> usize {
    match kind {
        Kind::Choice(_) => 0,
        Kind::Integer => 1,
        Kind::YesNo => 2,
        Kind::Number => 3,
        Kind::Date => 4,
    }
}

fn fact_name(i: usize) -> String {
    format!("fait_{i:04}")
}

/// The files of the rule base, `(name, text)`, `commun.guichet` first.
/// (The benchmarks include this file as a module and call it directly.)
pub fn generate(options: &Options) -> Vec<(String, String)> {
    let mut rng = Rng(options.seed);
    // Fact 0 is `direction`, the choice the `by` contact depends on.
    let kinds: Vec<Kind> = (0..options.facts)
        .map(|i| match i % 5 {
            0 => Kind::Choice(3 + rng.below(4)),
            1 => Kind::Integer,
            2 => Kind::YesNo,
            3 => Kind::Choice(2 + rng.below(3)),
            _ => {
                if i % 10 == 4 {
                    Kind::Number
                } else {
                    Kind::Date
                }
            }
        })
        .collect();
    let mut by_kind: [Vec<usize>; 5] = Default::default();
    for (i, k) in kinds.iter().enumerate() {
        by_kind[kind_slot(*k)].push(i);
    }
    let mut g = Generator {
        rng,
        kinds,
        next_of_kind: [0; 5],
        by_kind,
        topics: 0,
        depth: options.depth,
        locals: 0,
        contacts: 12,
        next_contact: 0,
    };
    let mut files = vec![("commun.guichet".to_string(), g.commun())];
    let mut lines = files[0].1.lines().count();
    let mut file = String::new();
    let mut file_count = 0;
    while lines < options.lines {
        let topic = g.topic();
        let topic_lines = topic.lines().count() + 1;
        file.push_str(&topic);
        file.push('\n');
        lines += topic_lines;
        if file.lines().count() >= options.file_lines {
            file_count += 1;
            files.push((
                format!("sujets_{file_count:04}.guichet"),
                std::mem::take(&mut file),
            ));
        }
    }
    if !file.is_empty() {
        file_count += 1;
        files.push((format!("sujets_{file_count:04}.guichet"), file));
    }
    files
}

impl Generator {
    fn commun(&mut self) -> String {
        let mut s = String::from(
            "// Base de règles synthétique (examples/gen_rules.rs) : faits, contacts, repli.\n\n",
        );
        for (i, kind) in self.kinds.clone().into_iter().enumerate() {
            let name = fact_name(i);
            let word = WORDS[i % WORDS.len()];
            match kind {
                Kind::Choice(n) => {
                    let _ = writeln!(
                        s,
                        "fact {name}: choice \"Quelle est votre situation pour « {word} » (question {i}) ?\" {{"
                    );
                    for v in 0..n {
                        let _ = writeln!(
                            s,
                            "  v{v} \"Situation {v} pour {word}\" also \"cas {v} {word}\", \"réponse {v}\""
                        );
                    }
                    s.push_str("}\n");
                    if i % 2 == 0 {
                        s.push_str("  from profile\n");
                    }
                }
                Kind::Integer => {
                    let _ = writeln!(
                        s,
                        "fact {name}: integer \"Combien de jours de {word} (question {i}) ?\" range 0..100 unit \"jours\""
                    );
                }
                Kind::YesNo => {
                    let _ = writeln!(s, "fact {name}: yesno \"Êtes-vous concerné(e) par « {word} » (question {i}) ?\"");
                }
                Kind::Number => {
                    let _ = writeln!(
                        s,
                        "fact {name}: number \"Combien d'heures de {word} par semaine (question {i}) ?\" range 0..48 unit \"heures\""
                    );
                }
                Kind::Date => {
                    let _ = writeln!(
                        s,
                        "fact {name}: date \"À quelle date a commencé votre {word} (question {i}) ?\""
                    );
                }
            }
            let _ = writeln!(
                s,
                "  help \"Cette information figure dans votre dossier ; en cas de doute, répondez « personne ».\"\n"
            );
        }
        s.push_str(
            "contact drh \"la direction des ressources humaines\" {\n  phone \"02 00 00 00 00\"\n  email \"drh@ville-exemple.fr\"\n  hours \"du lundi au vendredi, 8 h 30 – 17 h\"\n}\n\n",
        );
        let Kind::Choice(values) = self.kinds[0] else {
            unreachable!("fact 0 is a choice")
        };
        for c in 0..self.contacts {
            let _ = writeln!(
                s,
                "contact service_{c:02} \"le service n° {c}\" by fait_0000 {{"
            );
            for v in 0..values {
                let _ = writeln!(
                    s,
                    "  v{v} => {{ name \"Pôle {c}-{v}\" phone \"02 00 00 {c:02} {v:02}\" email \"pole-{c}-{v}@ville-exemple.fr\" }}"
                );
            }
            s.push_str("}\n\n");
        }
        s.push_str("fallback drh \"Je n'ai pas trouvé de réponse sûre : la DRH vous répondra.\"\n");
        s
    }

    fn pick(&mut self, slot: usize) -> usize {
        let list = &self.by_kind[slot];
        let fact = list[self.next_of_kind[slot] % list.len()];
        self.next_of_kind[slot] += 1;
        fact
    }

    fn topic(&mut self) -> String {
        let t = self.topics;
        self.topics += 1;
        let word = WORDS[t % WORDS.len()];
        let other = WORDS[(t / WORDS.len() + 7) % WORDS.len()];
        let mut s = String::new();
        let _ = writeln!(
            s,
            "topic sujet_{t:05} \"{word} et {other} : cas n° {t}\" {{"
        );
        let _ = writeln!(
            s,
            "  triggers \"{word} {other} {t}\", \"question sur {word} numéro {t}\", \"demande {t}\""
        );
        let _ = writeln!(s, "  synonyms \"{word}\", \"{other}\", \"mot{t}\"");
        self.body(&mut s, self.depth, 1, t);
        s.push_str("}\n");
        s
    }

    fn indent(s: &mut String, level: usize) {
        for _ in 0..level {
            s.push_str("  ");
        }
    }

    /// A statement that ends every path, nested `depth` more levels.
    fn body(&mut self, s: &mut String, depth: usize, level: usize, t: usize) {
        if depth == 0 {
            return self.leaf(s, level, t);
        }
        match self.rng.below(6) {
            0..=2 => self.match_choice(s, depth, level, t),
            3 => self.match_integer(s, depth, level, t),
            4 => self.if_else(s, depth, level, t),
            _ => self.let_then(s, depth, level, t),
        }
    }

    fn match_choice(&mut self, s: &mut String, depth: usize, level: usize, t: usize) {
        let fact = self.pick(0);
        let Kind::Choice(n) = self.kinds[fact] else {
            unreachable!("slot 0 holds choices")
        };
        Self::indent(s, level);
        let _ = writeln!(s, "match {} {{", fact_name(fact));
        Self::indent(s, level + 1);
        s.push_str("v0 => {\n");
        self.body(s, depth - 1, level + 2, t);
        Self::indent(s, level + 1);
        s.push_str("}\n");
        Self::indent(s, level + 1);
        if n > 2 {
            s.push_str("v1 | v2 => {\n");
        } else {
            s.push_str("v1 => {\n");
        }
        self.body(s, depth - 1, level + 2, t);
        Self::indent(s, level + 1);
        s.push_str("}\n");
        if n > 3 {
            Self::indent(s, level + 1);
            s.push_str("_ => ");
            self.leaf_inline(s, level + 2, t);
        }
        Self::indent(s, level);
        s.push_str("}\n");
    }

    fn match_integer(&mut self, s: &mut String, depth: usize, level: usize, t: usize) {
        let fact = self.pick(1);
        let cut = 5 + self.rng.below(40);
        Self::indent(s, level);
        let _ = writeln!(s, "match {} {{", fact_name(fact));
        Self::indent(s, level + 1);
        let _ = writeln!(s, "..{} => {{", cut - 1);
        self.body(s, depth - 1, level + 2, t);
        Self::indent(s, level + 1);
        s.push_str("}\n");
        Self::indent(s, level + 1);
        let _ = write!(s, "{cut}..{} => ", cut + 20);
        self.leaf_inline(s, level + 2, t);
        Self::indent(s, level + 1);
        s.push_str("_ => {\n");
        self.body(s, depth - 1, level + 2, t);
        Self::indent(s, level + 1);
        s.push_str("}\n");
        Self::indent(s, level);
        s.push_str("}\n");
    }

    fn if_else(&mut self, s: &mut String, depth: usize, level: usize, t: usize) {
        let yes_no = self.pick(2);
        Self::indent(s, level);
        if self.rng.below(2) == 0 {
            let _ = writeln!(s, "if {} {{", fact_name(yes_no));
        } else {
            let number = self.pick(3);
            let _ = writeln!(
                s,
                "if {} and {} >= 17.5 {{",
                fact_name(yes_no),
                fact_name(number)
            );
        }
        self.body(s, depth - 1, level + 1, t);
        Self::indent(s, level);
        s.push_str("} else {\n");
        self.body(s, depth - 1, level + 1, t);
        Self::indent(s, level);
        s.push_str("}\n");
    }

    fn let_then(&mut self, s: &mut String, depth: usize, level: usize, t: usize) {
        let date = self.pick(4);
        let local = self.locals;
        self.locals += 1;
        Self::indent(s, level);
        let _ = writeln!(
            s,
            "let anciennete_{local} = years({}, today)",
            fact_name(date)
        );
        Self::indent(s, level);
        let _ = writeln!(s, "if anciennete_{local} >= 5 {{");
        Self::indent(s, level + 1);
        let _ = writeln!(
            s,
            "answer \"Avec {{anciennete_{local}}} ans d'ancienneté, vous avez droit à la mesure {t}.\" source \"Délibération n° {t} du conseil municipal\""
        );
        Self::indent(s, level);
        s.push_str("} else {\n");
        self.body(s, depth - 1, level + 1, t);
        Self::indent(s, level);
        s.push_str("}\n");
    }

    fn leaf_inline(&mut self, s: &mut String, level: usize, t: usize) {
        let mut leaf = String::new();
        self.leaf(&mut leaf, level, t);
        s.push_str(leaf.trim_start());
    }

    /// An answer (mostly), a hand-off, or a `goto` to an earlier topic.
    fn leaf(&mut self, s: &mut String, level: usize, t: usize) {
        Self::indent(s, level);
        match self.rng.below(20) {
            0 if t > 0 => {
                let _ = writeln!(s, "goto sujet_{:05}", self.rng.below(t));
            }
            1..=3 => {
                let c = self.next_contact % self.contacts;
                self.next_contact += 1;
                let _ = writeln!(
                    s,
                    "handoff service_{c:02} \"Votre situation demande un examen de votre dossier (cas {t}).\""
                );
            }
            _ => {
                let n = self.rng.below(1000);
                let _ = writeln!(
                    s,
                    "answer \"Dans votre situation (cas {t}), vous avez droit à {n} jours. La demande se fait dans [Mon espace RH](https://intranet.ville-exemple.fr/rh).\""
                );
                Self::indent(s, level + 1);
                let _ = writeln!(s, "source \"Décret n° 85-{n}, art. {}\"", t % 30 + 1);
            }
        }
    }
}
