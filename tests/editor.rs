//! The VS Code extension's TextMate grammars (editors/vscode/syntaxes/)
//! colour every keyword of the language table (data/syntax/keywords.tsv),
//! in both languages and in their accent-free forms. The grammars' own
//! behaviour is tested by `npm test` in editors/vscode (CI step).

use guichet::syntax::keywords;
use serde_json::Value;

/// Every `match` and `begin` regex of a grammar, concatenated.
fn regexes(path: &str) -> String {
    let text = std::fs::read_to_string(path).expect("grammar is readable");
    let json: Value = serde_json::from_str(&text).expect("grammar is JSON");
    let mut out = String::new();
    collect(&json, &mut out);
    out
}

fn collect(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("match" | "begin", Value::String(s)) => {
                        out.push_str(s);
                        out.push('\n');
                    }
                    _ => collect(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[test]
fn the_grammars_colour_every_keyword_in_both_languages() {
    let all = format!(
        "{}{}",
        regexes("editors/vscode/syntaxes/guichet.tmLanguage.json"),
        regexes("editors/vscode/syntaxes/gtest.tmLanguage.json")
    );
    let mut missing = Vec::new();
    for keyword in keywords::all() {
        for form in keyword.forms() {
            // How the grammars write spaces, apostrophes and the optional accent.
            let written = form
                .replace(' ', "\\s+")
                .replace(['\'', '’'], "['’]?")
                .replace("défaut", "d[ée]faut")
                .replace("defaut", "d[ée]faut")
                .replace("aujourdhui", "aujourd['’]?hui");
            // As one alternative of a regex: `(?:…|form|…)`, not inside a longer word.
            let alone = all.match_indices(&written).any(|(at, _)| {
                let before = all[..at].chars().next_back();
                let after = all[at + written.len()..].chars().next();
                matches!(before, Some('|' | ':' | '(')) && matches!(after, Some('|' | ')'))
            });
            if !alone {
                missing.push(form);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keywords the grammars do not colour: {missing:?}"
    );
}
