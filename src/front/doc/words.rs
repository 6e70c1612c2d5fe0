//! Conditions in plain French, built from the facts' questions and the
//! choices' labels, never from identifiers where a writer gave words.
//!
//! A condition is a clause that follows « si » : « votre réponse à « Quel
//! est votre statut ? » est « Agent contractuel de droit public » ». Each
//! function takes a polarity (`yes`): the `non` branch of an `if` is the
//! same clause negated, with `not`, `and` and `or` pushed inwards (De
//! Morgan), so that no clause reads « il est faux que ».

use crate::compile::coverage;
use crate::compile::program::{
    day_words, BinaryOp, Expr, ExprKind, FactId, FactType, Interval, Program,
};
use crate::problem::number;

/// What an expression is, for a DRH reader: « votre réponse à « … » », « la date de la conversation »…
pub fn subject(program: &Program, e: &Expr) -> String {
    match &e.kind {
        ExprKind::Fact(f) => format!("votre réponse à « {} »", program.fact(*f).question),
        ExprKind::Today => "la date de la conversation".to_string(),
        ExprKind::Local(l) => format!(
            "la valeur calculée « {} »",
            program.local_names[l.index()].replace('_', " ")
        ),
        _ => format!("« {} »", program.sources.text(e.span).trim()),
    }
}

/// A value as the reader sees it; `choice` is the fact whose labels name a choice value.
fn value(program: &Program, e: &Expr, choice: Option<FactId>) -> String {
    match (&e.kind, choice) {
        (ExprKind::Choice(i), Some(f)) => choice_label(program, f, *i),
        (ExprKind::Number(n), _) => number(*n),
        (ExprKind::Date(d), _) => day_words(*d),
        (ExprKind::Bool(b), _) => yes_no(*b).to_string(),
        (ExprKind::Text(t), _) => format!("« {t} »"),
        _ => subject(program, e),
    }
}

pub fn choice_label(program: &Program, fact: FactId, index: u32) -> String {
    program
        .fact(fact)
        .ty
        .choices()
        .get(index as usize)
        .map_or_else(String::new, |v| format!("« {} »", v.label))
}

pub fn yes_no(b: bool) -> &'static str {
    if b {
        "« oui »"
    } else {
        "« non »"
    }
}

/// The choice fact an expression's values belong to, if any.
fn choice_fact(program: &Program, e: &Expr) -> Option<FactId> {
    match &e.kind {
        ExprKind::Fact(f) if matches!(program.fact(*f).ty, FactType::Choice(_)) => Some(*f),
        _ => None,
    }
}

/// The unit written after numbers of this subject (« jours »), with its leading space.
fn unit(program: &Program, e: &Expr) -> String {
    match &e.kind {
        ExprKind::Fact(f) => program
            .fact(*f)
            .unit
            .as_ref()
            .map(|u| format!(" {u}"))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The condition of an `if`, true (`yes`) or false, as a clause.
pub fn condition(program: &Program, e: &Expr, yes: bool) -> String {
    match &e.kind {
        ExprKind::Not(inner) => condition(program, inner, !yes),
        ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), lhs, rhs) => {
            // De Morgan: « non (a et b) » is « non a ou non b ».
            let joiner = if (*op == BinaryOp::And) == yes {
                "et"
            } else {
                "ou"
            };
            format!(
                "{} {joiner} {}",
                condition(program, lhs, yes),
                condition(program, rhs, yes)
            )
        }
        ExprKind::Binary(op, lhs, rhs) => comparison(program, *op, lhs, rhs, yes),
        ExprKind::InChoices(inner, set) => {
            let labels: Vec<String> = match choice_fact(program, inner) {
                Some(f) => set.iter().map(|i| choice_label(program, f, *i)).collect(),
                None => set.iter().map(|i| i.to_string()).collect(),
            };
            one_of(&subject(program, inner), &labels, yes)
        }
        ExprKind::InNumbers(inner, set) => {
            let u = unit(program, inner);
            let numbers: Vec<String> = set.iter().map(|n| format!("{}{u}", number(*n))).collect();
            one_of(&subject(program, inner), &numbers, yes)
        }
        ExprKind::Bool(b) => if *b == yes { "toujours" } else { "jamais" }.to_string(),
        ExprKind::Fact(_) | ExprKind::Local(_) => {
            format!("{} est {}", subject(program, e), yes_no(yes))
        }
        _ => format!(
            "« {} » est {}",
            program.sources.text(e.span).trim(),
            if yes { "vrai" } else { "faux" }
        ),
    }
}

fn one_of(subject: &str, values: &[String], yes: bool) -> String {
    match (values, yes) {
        ([one], true) => format!("{subject} est {one}"),
        ([one], false) => format!("{subject} n'est pas {one}"),
        (_, true) => format!("{subject} est {}", values.join(" ou ")),
        (_, false) => format!("{subject} n'est ni {}", values.join(" ni ")),
    }
}

fn comparison(program: &Program, op: BinaryOp, lhs: &Expr, rhs: &Expr, yes: bool) -> String {
    use BinaryOp::*;
    let op = if yes {
        op
    } else {
        match op {
            Eq => Ne,
            Ne => Eq,
            Lt => Ge,
            Le => Gt,
            Gt => Le,
            Ge => Lt,
            other => other,
        }
    };
    let choice = choice_fact(program, lhs).or_else(|| choice_fact(program, rhs));
    let is_date = |e: &Expr| {
        matches!(e.kind, ExprKind::Date(_) | ExprKind::Today)
            || matches!(&e.kind, ExprKind::Fact(f) if program.fact(*f).ty == FactType::Date)
    };
    let dates = is_date(lhs) || is_date(rhs);
    let left = subject(program, lhs);
    let right = format!(
        "{}{}",
        value(program, rhs, choice),
        if dates {
            String::new()
        } else {
            unit(program, lhs)
        }
    );
    let words = match (op, dates) {
        (Eq, _)
            if choice.is_some() || matches!(rhs.kind, ExprKind::Bool(_) | ExprKind::Text(_)) =>
        {
            "est"
        }
        (Ne, _)
            if choice.is_some() || matches!(rhs.kind, ExprKind::Bool(_) | ExprKind::Text(_)) =>
        {
            "n'est pas"
        }
        (Eq, true) => "est le",
        (Ne, true) => "n'est pas le",
        (Lt, true) => "est avant le",
        (Le, true) => "est au plus tard le",
        (Gt, true) => "est après le",
        (Ge, true) => "est au plus tôt le",
        (Eq, false) => "vaut",
        (Ne, false) => "ne vaut pas",
        (Lt, false) => "vaut moins de",
        (Le, false) => "vaut au plus",
        (Gt, false) => "vaut plus de",
        (Ge, false) => "vaut au moins",
        _ => {
            return format!(
                "« {} » est {}",
                program.sources.text(lhs.span.to(rhs.span)).trim(),
                if yes { "vrai" } else { "faux" }
            )
        }
    };
    format!("{left} {words} {right}")
}

/// The numbers an arm takes, once earlier arms took theirs, as a clause on
/// `subject_expr`; `None` when it takes the whole domain (no condition).
pub fn number_arm(
    program: &Program,
    subject_expr: &Expr,
    taken: &[Interval],
    earlier: &[Interval],
    domain: Interval,
    integer: bool,
) -> Option<String> {
    let mut mine: Vec<Interval> = Vec::new();
    for i in taken {
        let Some(inside) = coverage::intersect(*i, domain) else {
            continue;
        };
        let seen: Vec<Interval> = earlier.iter().chain(&mine).copied().collect();
        mine.extend(coverage::subtract(inside, &seen, integer));
    }
    if coverage::subtract(domain, &mine, integer).is_empty() {
        return None;
    }
    let u = unit(program, subject_expr);
    let pieces: Vec<String> = mine.iter().map(|i| interval_words(*i, &u)).collect();
    let pieces = if pieces.is_empty() {
        "ne prend jamais cette branche".to_string()
    } else {
        format!("vaut {}", pieces.join(" ou "))
    };
    Some(format!("{} {pieces}", subject(program, subject_expr)))
}

fn interval_words(i: Interval, unit: &str) -> String {
    let (lo, hi) = (number(i.lo), number(i.hi));
    let low = if i.lo_inclusive {
        "au moins"
    } else {
        "plus de"
    };
    let high = if i.hi_inclusive {
        "au plus"
    } else {
        "moins de"
    };
    match (i.lo.is_finite(), i.hi.is_finite()) {
        (false, false) => "n'importe quel nombre".to_string(),
        (true, false) => format!("{low} {lo}{unit}"),
        (false, true) => format!("{high} {hi}{unit}"),
        (true, true) if i.lo == i.hi => format!("{lo}{unit}"),
        (true, true) if i.lo_inclusive && i.hi_inclusive => format!("de {lo} à {hi}{unit}"),
        (true, true) => format!("{low} {lo} et {high} {hi}{unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::compile::program::NodeKind;
    use crate::span::Sources;

    /// The clauses of `if COND` when it holds and when it does not.
    fn clauses(cond: &str) -> (String, String) {
        let mut sources = Sources::new();
        sources.add(
            "t.guichet",
            format!(
                r#"fact statut: choice "Quel est votre statut ?" {{ titulaire "Titulaire" contractuel "Contractuel" vacataire "Vacataire" }}
fact temps_partiel: yesno "Travaillez-vous à temps partiel ?"
fact heures: number "Combien d'heures ?" unit "heures"
fact entree: date "Date d'arrivée ?"
topic t "T" {{
  triggers "t"
  let h = heures
  if {cond} {{ answer "a" source "s" }} else {{ answer "b" source "s" }}
}}
"#
            ),
        );
        let program = compile(sources).program.expect("compiles");
        let condition_of = program
            .graph
            .node_weights()
            .find_map(|n| match &n.kind {
                NodeKind::If { condition, .. } => Some(condition.clone()),
                _ => None,
            })
            .expect("an if");
        (
            condition(&program, &condition_of, true),
            condition(&program, &condition_of, false),
        )
    }

    #[test]
    fn conditions_read_as_french_clauses_both_ways() {
        let tp = "votre réponse à « Travaillez-vous à temps partiel ? »";
        let h = "votre réponse à « Combien d'heures ? »";
        let s = "votre réponse à « Quel est votre statut ? »";
        let e = "votre réponse à « Date d'arrivée ? »";
        for (cond, yes, no) in [
            (
                "temps_partiel and heures < 20",
                format!("{tp} est « oui » et {h} vaut moins de 20 heures"),
                format!("{tp} est « non » ou {h} vaut au moins 20 heures"),
            ),
            (
                "not (statut == titulaire or temps_partiel)",
                format!("{s} n'est pas « Titulaire » et {tp} est « non »"),
                format!("{s} est « Titulaire » ou {tp} est « oui »"),
            ),
            (
                "statut in {titulaire, contractuel}",
                format!("{s} est « Titulaire » ou « Contractuel »"),
                format!("{s} n'est ni « Titulaire » ni « Contractuel »"),
            ),
            (
                "entree < 01/01/2020",
                format!("{e} est avant le 01/01/2020"),
                format!("{e} est au plus tôt le 01/01/2020"),
            ),
            (
                "h >= 35",
                "la valeur calculée « h » vaut au moins 35".to_string(),
                "la valeur calculée « h » vaut moins de 35".to_string(),
            ),
        ] {
            assert_eq!(clauses(cond), (yes, no), "{cond}");
        }
    }
}
