//! Values of facts and expressions, and how an agent reads them.
//!
//! [`Value`] is what a fact holds once known and what expressions compute.
//! [`display`] writes a value the French way: decimal comma, dates as
//! jj/mm/aaaa, choices by their label, yes/no as « oui »/« non ».

use crate::compile::program::{Fact, FactType};
use serde::{Deserialize, Serialize};
use time::Date;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Value {
    Bool(bool),
    Number(f64),
    #[serde(with = "iso_date")]
    Date(Date),
    Text(String),
    /// Index of the value in its choice fact's list.
    Choice(u32),
}

/// A value as an agent reads it. `fact` gives the labels of a choice.
pub fn display(value: &Value, fact: Option<&Fact>) -> String {
    let mut out = String::new();
    display_into(&mut out, value, fact);
    out
}

/// [`display`], written at the end of `out` (the trail's lines, without a
/// string of their own for the value).
pub fn display_into(out: &mut String, value: &Value, fact: Option<&Fact>) {
    match value {
        Value::Bool(true) => out.push_str("oui"),
        Value::Bool(false) => out.push_str("non"),
        Value::Number(n) => number_into(out, *n),
        Value::Date(d) => crate::compile::program::write_day(out, *d),
        Value::Text(t) => out.push_str(t),
        Value::Choice(i) => match fact.map(|f| &f.ty) {
            Some(FactType::Choice(values)) => {
                if let Some(v) = values.get(*i as usize) {
                    out.push_str(&v.label);
                }
            }
            _ => out.push_str(&i.to_string()),
        },
    }
}

/// The name of a choice value, or the display of any other value (for profiles and tests).
pub fn code(value: &Value, fact: &Fact) -> String {
    match (value, &fact.ty) {
        (Value::Choice(i), FactType::Choice(values)) => values
            .get(*i as usize)
            .map(|v| v.name.clone())
            .unwrap_or_default(),
        _ => display(value, Some(fact)),
    }
}

/// A number in French: `25`, `12,5`, `1 607`, at most two decimals.
pub fn number(n: f64) -> String {
    let mut out = String::new();
    number_into(&mut out, n);
    out
}

/// [`number`], written at the end of `out`.
fn number_into(out: &mut String, n: f64) {
    if !n.is_finite() {
        out.push('—');
        return;
    }
    let rounded = (n * 100.0).round() / 100.0;
    let negative = rounded < 0.0;
    let whole = rounded.abs().trunc() as u64;
    let cents = ((rounded.abs() - rounded.abs().trunc()) * 100.0).round() as u64;
    if negative {
        out.push('-');
    }
    // The digits of `whole`, most significant last, then written in order
    // with a narrow no-break space between thousands.
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = whole;
    loop {
        digits[len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        out.push(char::from(digits[i]));
        if i > 0 && i % 3 == 0 {
            out.push('\u{202f}');
        }
    }
    if cents > 0 {
        let decimals = format!("{cents:02}");
        out.push(',');
        out.push_str(decimals.trim_end_matches('0'));
    }
}

/// An amount in euros, with its cents: `100,80 €`, `1 607,00 €`.
pub fn money(n: f64) -> String {
    if !n.is_finite() {
        return "—".to_string();
    }
    let cents = (n.abs() * 100.0).round();
    let whole = number((cents / 100.0).trunc());
    let sign = if n < 0.0 && cents > 0.0 { "-" } else { "" };
    format!("{sign}{whole},{:02}\u{a0}€", (cents % 100.0) as u64)
}

pub fn date(d: Date) -> String {
    crate::compile::program::day_words(d)
}

/// Dates as `2024-03-12` in stored sessions.
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!(
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_iso(&text).ok_or_else(|| serde::de::Error::custom("date invalide"))
    }
}

/// `2024-03-12`, as stored, if the date exists.
pub fn parse_iso(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(number(25.0), "25");
        assert_eq!(number(12.5), "12,5");
        assert_eq!(number(0.333), "0,33");
        assert_eq!(number(1607.0), "1\u{202f}607");
        assert_eq!(number(-3.25), "-3,25");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(999.0), "999");
        assert_eq!(number(1000.0), "1\u{202f}000");
        assert_eq!(number(1234567.5), "1\u{202f}234\u{202f}567,5");
        assert_eq!(number(0.05), "0,05");
    }

    #[test]
    fn amounts_are_written_in_euros_with_their_cents() {
        assert_eq!(money(100.8), "100,80\u{a0}€");
        assert_eq!(money(1607.0), "1\u{202f}607,00\u{a0}€");
        assert_eq!(money(0.005), "0,01\u{a0}€");
        assert_eq!(money(-12.5), "-12,50\u{a0}€");
    }

    #[test]
    fn dates_round_trip_through_storage() {
        let d = parse_iso("2024-02-29").expect("a leap day exists");
        assert_eq!(date(d), "29/02/2024");
        assert_eq!(parse_iso("2023-02-29"), None);
    }
}
