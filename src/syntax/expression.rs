//! Expressions written back as code: the formatter's layout of an
//! expression and the code shown in messages (« quand `ok` = non »).
//!
//! Parentheses are put back only where precedence needs them (the parser
//! drops them); keywords (`and`, `not`, `in`, `today`) are written in the
//! language asked for. Leaves (numbers, dates, names, texts) are written
//! from the source text when it is given, so they stay exactly as written.

use super::ast::{BinaryOp, Expr, ExprKind, SetItem, UnaryOp};
use super::keywords::{by_form, Language};

/// Writes expressions; `source` is the text of the file the spans point into.
pub struct Writer<'s> {
    pub language: Language,
    pub source: Option<&'s str>,
}

impl Writer<'_> {
    /// `expr` as code.
    pub fn expr(&self, expr: &Expr) -> String {
        let mut out = String::new();
        self.write(expr, 0, &mut out);
        out
    }

    fn write(&self, expr: &Expr, outer: u8, out: &mut String) {
        let own = precedence(expr);
        let parens = own < outer;
        if parens {
            out.push('(');
        }
        match &expr.kind {
            ExprKind::Number(n) => out.push_str(&self.leaf(expr, || number(*n))),
            ExprKind::Date(d) => out.push_str(d),
            ExprKind::Bool(b) => out.push_str(if *b { "oui" } else { "non" }),
            ExprKind::Today => out.push_str(self.keyword("today")),
            ExprKind::Text(t) => out.push_str(&self.leaf(expr, || {
                let plain = t.plain().unwrap_or_default();
                format!("\"{}\"", plain.replace('\\', "\\\\").replace('"', "\\\""))
            })),
            ExprKind::Name(n) => out.push_str(&n.text),
            ExprKind::Call(name, args) => {
                out.push_str(&name.text);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write(a, 0, out);
                }
                out.push(')');
            }
            ExprKind::Unary(UnaryOp::Not, e) => {
                out.push_str(self.keyword("not"));
                out.push(' ');
                // `not (a == b)` reads better than the equal `not a == b`.
                self.write(e, 9, out);
            }
            ExprKind::Unary(UnaryOp::Neg, e) => {
                out.push('-');
                self.write(e, own, out);
            }
            ExprKind::Binary(op, l, r) => {
                self.write(l, own, out);
                out.push(' ');
                out.push_str(self.keyword(op.symbol()));
                out.push(' ');
                // Operators are left-associative: an equal right operand needs parentheses.
                self.write(r, own + 1, out);
            }
            ExprKind::InSet(e, items) => {
                self.write(e, own + 1, out);
                out.push(' ');
                out.push_str(self.keyword("in"));
                out.push_str(" {");
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i > 0 { ", " } else { "" });
                    match item {
                        SetItem::Value(n) => out.push_str(&n.text),
                        SetItem::Number(n, span) => out.push_str(
                            &self
                                .source
                                .and_then(|s| s.get(span.range()))
                                .map_or_else(|| number(*n), str::to_string),
                        ),
                    }
                }
                out.push('}');
            }
        }
        if parens {
            out.push(')');
        }
    }

    fn keyword(&self, english: &'static str) -> &'static str {
        by_form(english).map_or(english, |k| k.word(self.language))
    }

    /// The leaf as written in the source, or as `fallback` makes it.
    fn leaf(&self, expr: &Expr, fallback: impl FnOnce() -> String) -> String {
        self.source
            .and_then(|s| s.get(expr.span.range()))
            .map_or_else(fallback, str::to_string)
    }
}

/// Binding strength, loosest first (see docs/language.md).
fn precedence(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary(op, ..) => match op {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div => 7,
        },
        ExprKind::Unary(UnaryOp::Not, _) => 3,
        ExprKind::InSet(..) => 5,
        ExprKind::Unary(UnaryOp::Neg, _) => 8,
        _ => 9,
    }
}

/// A number as code: a point for decimals, no trailing zeros.
fn number(n: f64) -> String {
    format!("{n}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;
    use crate::syntax::parser::parse_expression;

    fn rewrite(code: &str, language: Language) -> String {
        let expr = parse_expression(FileId(0), code).expect("parses");
        Writer {
            language,
            source: Some(code),
        }
        .expr(&expr)
    }

    #[test]
    fn parentheses_are_kept_only_where_needed() {
        let cases = [
            ("(a + b) * c", "(a + b) * c"),
            ("a + (b * c)", "a + b * c"),
            ("a - (b - c)", "a - (b - c)"),
            ("(a - b) - c", "a - b - c"),
            ("not (a and b)", "not (a and b)"),
            ("-(x)", "-x"),
            ("x in {a,b}  ", "x in {a, b}"),
            ("years(d,today)>=2", "years(d, today) >= 2"),
            ("17.50 + 1", "17.50 + 1"),
        ];
        for (code, expected) in cases {
            assert_eq!(rewrite(code, Language::English), expected, "{code}");
        }
    }

    #[test]
    fn keywords_are_written_in_the_language_asked_for() {
        assert_eq!(
            rewrite("not a and b or x in {c} or today > d", Language::French),
            "non a et b ou x dans {c} ou aujourd'hui > d"
        );
        assert_eq!(rewrite("non a et b", Language::English), "not a and b");
    }
}
