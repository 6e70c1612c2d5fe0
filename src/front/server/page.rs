//! The web chat page and the accessibility statement, embedded in the
//! binary, and the security headers of every response.
//!
//! `assets/` holds the pages as written (HTML, CSS, JS; no build step, no
//! CDN). The script is served as its own file so the Content-Security-Policy
//! can forbid inline scripts and styles: the page only talks to this server.
//! The HTML files hold `{{name}}` slots filled when served: the footer every
//! page shares (`footer.html`), the HR contact of the rules' `fallback` (so
//! the page shows a number to call even when the API fails), the retention
//! and the inactivity delay of `guichet serve`.

use super::App;
use crate::compile::program::{ContactResolution, Program};
use crate::syntax::ast::ChannelKind;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("assets/index.html");
const ACCESSIBILITY: &str = include_str!("assets/accessibilite.html");
const FOOTER: &str = include_str!("assets/footer.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

/// The chat page, its slots filled for the rules served now.
pub async fn index(State(app): State<App>) -> Response {
    let program = app.rules.current();
    let contact = hr_contact(&program);
    let html = fill(
        INDEX,
        &[
            ("footer", &footer(&app)),
            ("contact", &contact),
            ("idle", &app.idle_seconds.to_string()),
            ("idle_words", &duration_words(app.idle_seconds)),
        ],
    );
    page(html)
}

/// The accessibility statement (`/accessibilite`).
pub async fn accessibility(State(app): State<App>) -> Response {
    page(fill(ACCESSIBILITY, &[("footer", &footer(&app))]))
}

/// The footer of every page: accessibility, personal data, the HR contact.
pub fn footer(app: &App) -> String {
    let contact = hr_contact(&app.rules.current());
    let idle = match app.idle_seconds {
        0 => String::new(),
        n => format!(
            " Sur un poste partagé, la conversation s'efface d'elle-même après {} sans activité.",
            duration_words(n)
        ),
    };
    fill(
        FOOTER,
        &[
            ("contact", &contact),
            ("retention", &app.retention_days.to_string()),
            ("idle", &idle),
        ],
    )
}

/// The contact of the rules' `fallback` as an HTML description list (empty without one).
fn hr_contact(program: &Program) -> String {
    let Some(contact) = program
        .fallback
        .as_ref()
        .and_then(|f| program.contacts.get(f.contact.index()))
    else {
        return String::new();
    };
    let ContactResolution::Fixed(channels) = &contact.resolution else {
        return String::new();
    };
    let mut html = format!(
        "<p class=\"contact-label\">{}</p><dl>",
        escape_html(&capitalised(&contact.label))
    );
    for (kind, text) in channels {
        let value = escape_html(text);
        let shown = match kind {
            ChannelKind::Phone => {
                let digits: String = text
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                format!("<a href=\"tel:{digits}\">{value}</a>")
            }
            ChannelKind::Email if !text.contains(char::is_whitespace) => {
                format!("<a href=\"mailto:{value}\">{value}</a>")
            }
            _ => value,
        };
        html.push_str(&format!("<dt>{}</dt><dd>{shown}</dd>", kind.words()));
    }
    html.push_str("</dl>");
    html
}

/// « 10 minutes », « 1 minute », « 30 secondes ».
pub fn duration_words(seconds: u32) -> String {
    match seconds {
        s if s % 60 == 0 && s >= 120 => format!("{} minutes", s / 60),
        60 => "1 minute".into(),
        s if s > 60 => format!("{} min {} s", s / 60, s % 60),
        1 => "1 seconde".into(),
        s => format!("{s} secondes"),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `template` with each `{{name}}` replaced by its value (values are HTML already), in one
/// pass: a value is never read for slots. An unknown slot stays as written.
pub fn fill(template: &str, slots: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let slot = after.find("}}").and_then(|close| {
            let name = &after[..close];
            let value = slots.iter().find(|(n, _)| *n == name)?.1;
            Some((value, close))
        });
        match slot {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn page(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

/// No inline script or style, nothing from elsewhere, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       connect-src 'self'; img-src 'self'; base-uri 'none'; \
                       form-action 'self'; frame-ancestors 'none'";

pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// Adds the security headers to every response (API ones included).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Text made safe for HTML content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_filled_once_and_values_are_not_read_again() {
        assert_eq!(
            fill("<p>{{a}} {{b}} {{c}}</p>", &[("a", "{{b}}"), ("b", "2")]),
            "<p>{{b}} 2 {{c}}</p>"
        );
        assert_eq!(duration_words(600), "10 minutes");
        assert_eq!(duration_words(3), "3 secondes");
        assert_eq!(duration_words(90), "1 min 30 s");
    }
}
