//! Evaluating checked expressions against what a session knows.
//!
//! Evaluation is lazy: reading an unknown fact stops it with
//! [`Stop::Need`], and the walk asks that fact's question. `and`/`or`
//! short-circuit, so a question is only asked when its answer matters.
//! Types were checked by the compiler; a value of an unexpected type can
//! only come from a bug, and stops evaluation with [`Stop::Fault`], which
//! the walk turns into a hand-off rather than a guess.

use super::value::Value;
use crate::compile::program::{
    BinaryOp, Expr, ExprKind, FactId, Function, Program, Template, TemplatePart,
};
use time::Date;

/// Why an expression has no value yet.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    Need(FactId),
    Fault(&'static str),
}

/// What an expression can read.
pub struct Env<'a> {
    pub facts: &'a [Option<Value>],
    pub locals: &'a [Option<Value>],
    pub today: Date,
}

pub fn eval(e: &Expr, env: &Env) -> Result<Value, Stop> {
    Ok(match &e.kind {
        ExprKind::Number(n) => Value::Number(*n),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Date(d) => Value::Date(*d),
        ExprKind::Text(t) => Value::Text(t.clone()),
        ExprKind::Choice(i) => Value::Choice(*i),
        ExprKind::Today => Value::Date(env.today),
        ExprKind::Fact(f) => match env.facts.get(f.index()) {
            Some(Some(v)) => v.clone(),
            _ => return Err(Stop::Need(*f)),
        },
        ExprKind::Local(l) => match env.locals.get(l.index()) {
            Some(Some(v)) => v.clone(),
            _ => return Err(Stop::Fault("variable lue avant d'être calculée")),
        },
        ExprKind::Not(inner) => Value::Bool(!boolean(inner, env)?),
        ExprKind::Neg(inner) => Value::Number(-num(inner, env)?),
        ExprKind::Binary(op, lhs, rhs) => binary(*op, lhs, rhs, env)?,
        ExprKind::InChoices(inner, set) => match eval(inner, env)? {
            Value::Choice(c) => Value::Bool(set.contains(&c)),
            _ => return Err(Stop::Fault("appartenance à un ensemble de choix")),
        },
        ExprKind::InNumbers(inner, set) => {
            let n = num(inner, env)?;
            Value::Bool(set.contains(&n))
        }
        ExprKind::Call(f, args) => call(*f, args, env)?,
    })
}

fn boolean(e: &Expr, env: &Env) -> Result<bool, Stop> {
    match eval(e, env)? {
        Value::Bool(b) => Ok(b),
        _ => Err(Stop::Fault("valeur oui/non attendue")),
    }
}

fn num(e: &Expr, env: &Env) -> Result<f64, Stop> {
    match eval(e, env)? {
        Value::Number(n) => Ok(n),
        _ => Err(Stop::Fault("nombre attendu")),
    }
}

fn day(e: &Expr, env: &Env) -> Result<Date, Stop> {
    match eval(e, env)? {
        Value::Date(d) => Ok(d),
        _ => Err(Stop::Fault("date attendue")),
    }
}

fn binary(op: BinaryOp, lhs: &Expr, rhs: &Expr, env: &Env) -> Result<Value, Stop> {
    use BinaryOp::*;
    Ok(match op {
        And => Value::Bool(boolean(lhs, env)? && boolean(rhs, env)?),
        Or => Value::Bool(boolean(lhs, env)? || boolean(rhs, env)?),
        Eq => Value::Bool(eval(lhs, env)? == eval(rhs, env)?),
        Ne => Value::Bool(eval(lhs, env)? != eval(rhs, env)?),
        Lt | Le | Gt | Ge => {
            let ordering = match (eval(lhs, env)?, eval(rhs, env)?) {
                (Value::Number(a), Value::Number(b)) => a.partial_cmp(&b),
                (Value::Date(a), Value::Date(b)) => Some(a.cmp(&b)),
                _ => None,
            }
            .ok_or(Stop::Fault("comparaison impossible"))?;
            Value::Bool(match op {
                Lt => ordering.is_lt(),
                Le => ordering.is_le(),
                Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        Add => Value::Number(num(lhs, env)? + num(rhs, env)?),
        Sub => Value::Number(num(lhs, env)? - num(rhs, env)?),
        Mul => Value::Number(num(lhs, env)? * num(rhs, env)?),
        Div => {
            let (a, b) = (num(lhs, env)?, num(rhs, env)?);
            if b == 0.0 {
                return Err(Stop::Fault("division par zéro"));
            }
            Value::Number(a / b)
        }
    })
}

fn call(f: Function, args: &[Expr], env: &Env) -> Result<Value, Stop> {
    let n = |i: usize| num(&args[i], env);
    let d = |i: usize| day(&args[i], env);
    let text = |i: usize| match eval(&args[i], env)? {
        Value::Text(t) => Ok(t),
        _ => Err(Stop::Fault("texte attendu")),
    };
    Ok(Value::Number(match f {
        Function::Money => return Ok(Value::Text(super::value::money(n(0)?))),
        Function::Plural => {
            let count = n(0)?;
            // French: 0 and 1 (and 1,5) take the singular.
            let word = if count.abs() < 2.0 {
                text(1)?
            } else {
                text(2)?
            };
            return Ok(Value::Text(format!(
                "{}\u{a0}{word}",
                super::value::number(count)
            )));
        }
        Function::Years => whole_months(d(0)?, d(1)?).div_euclid(12) as f64,
        Function::Months => whole_months(d(0)?, d(1)?) as f64,
        Function::Days => (d(1)? - d(0)?).whole_days() as f64,
        Function::Min => n(0)?.min(n(1)?),
        Function::Max => n(0)?.max(n(1)?),
        Function::Round => n(0)?.round(),
        Function::Floor => n(0)?.floor(),
        Function::Ceil => n(0)?.ceil(),
    }))
}

/// Whole months from `from` to `to` (negative when `to` is earlier).
fn whole_months(from: Date, to: Date) -> i64 {
    let months = |d: Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));
    let mut count = months(to) - months(from);
    if count > 0 && to.day() < from.day() {
        count -= 1;
    } else if count < 0 && to.day() > from.day() {
        count += 1;
    }
    count
}

/// Renders a template; values are written as an agent reads them.
pub fn render(t: &Template, env: &Env, program: &Program) -> Result<String, Stop> {
    let mut out = String::new();
    for part in &t.parts {
        match part {
            TemplatePart::Literal(s) => out.push_str(s),
            TemplatePart::Value { expr, choice } => {
                let value = eval(expr, env)?;
                let fact = choice.map(|f| program.fact(f));
                super::value::display_into(&mut out, &value, fact);
            }
        }
    }
    Ok(out)
}

/// Whether [`render`] would succeed, without writing the text: evaluates
/// each interpolated value, and stops where `render` would.
pub fn renders(t: &Template, env: &Env) -> Result<(), Stop> {
    for part in &t.parts {
        if let TemplatePart::Value { expr, .. } = part {
            eval(expr, env)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn seniority_counts_whole_years_and_months() {
        assert_eq!(
            whole_months(date!(2020 - 09 - 01), date!(2026 - 08 - 31)),
            71
        );
        assert_eq!(
            whole_months(date!(2020 - 09 - 01), date!(2026 - 09 - 01)),
            72
        );
        assert_eq!(
            whole_months(date!(2024 - 01 - 31), date!(2024 - 02 - 29)),
            0
        );
        assert_eq!(
            whole_months(date!(2026 - 09 - 01), date!(2020 - 09 - 02)),
            -71
        );
    }
}
