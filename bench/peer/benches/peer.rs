//! Guichet against GoRules' zen-engine on the same decisions (issue 8):
//!
//! 1. `statut × temps plein × ancienneté → résultat`: 8 outcomes, as a
//!    Guichet topic of nested `match`/`if` and as a zen decision table
//!    (hit policy "first");
//! 2. a 200-row table `grade × échelon → indice`: 200 answers of nested
//!    `match` in Guichet, 200 rows in zen; looked up at row 100 and row 200
//!    (zen's "first" policy scans rows in order, Guichet's `match` on a choice
//!    is a table lookup, on a number a scan of the arm's intervals).
//!
//! Both sides start from the agent's data and end with the outcome:
//! zen evaluates a JSON context (built once, cloned into zen's `Variable` each
//! time); Guichet opens a session, takes the three values as raw text (as a
//! profile gives them: parsed and validated) and steps to the answer. A second
//! Guichet figure, "step", is the walk alone with the values already known.
//!
//! `cd bench/peer && cargo bench` (its own workspace and target directory).

use criterion::{criterion_group, criterion_main, Criterion};
use guichet::compile::compile;
use guichet::compile::program::{Program, TopicId};
use guichet::engine::{Provenance, Session, Step};
use guichet::span::Sources;
use serde_json::{json, Value};
use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, DecisionEngine};

const TODAY: time::Date = time::macros::date!(2026 - 11 - 25);

/// zen's `evaluate` is async but never waits on anything here: poll it to the end.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

const STATUT_RULES: &str = r#"
fact statut: choice "Quel est votre statut ?" {
  titulaire   "Fonctionnaire titulaire"
  contractuel "Agent contractuel"
  vacataire   "Vacataire"
}
fact temps_plein: yesno "Travaillez-vous à temps plein ?"
fact anciennete: integer "Depuis combien d'années travaillez-vous à la Ville ?" range 0..60
contact drh "la DRH" { phone "02 00 00 00 00" }
fallback drh "La DRH vous répondra."

topic prime "La prime d'ancienneté" {
  triggers "prime"
  match statut {
    titulaire => match temps_plein {
      oui => match anciennete {
        ..4   => answer "A" source "s"
        5..14 => answer "B" source "s"
        15..  => answer "C" source "s"
      }
      non => match anciennete {
        ..9 => answer "D" source "s"
        10.. => answer "E" source "s"
      }
    }
    contractuel => if temps_plein and anciennete >= 3 {
      answer "F" source "s"
    } else {
      answer "G" source "s"
    }
    vacataire => answer "H" source "s"
  }
}
"#;

fn statut_zen() -> Value {
    let row = |i: usize, s: &str, f: &str, a: &str, out: &str| json!({ "_id": format!("r{i}"), "s": s, "f": f, "a": a, "o": format!("\"{out}\"") });
    let rules = vec![
        row(0, "\"titulaire\"", "true", "< 5", "A"),
        row(1, "\"titulaire\"", "true", "[5..14]", "B"),
        row(2, "\"titulaire\"", "true", ">= 15", "C"),
        row(3, "\"titulaire\"", "false", "< 10", "D"),
        row(4, "\"titulaire\"", "false", ">= 10", "E"),
        row(5, "\"contractuel\"", "true", ">= 3", "F"),
        row(6, "\"contractuel\"", "", "", "G"),
        row(7, "\"vacataire\"", "", "", "H"),
    ];
    table(
        json!([
            { "id": "s", "name": "Statut", "field": "statut" },
            { "id": "f", "name": "Temps plein", "field": "temps_plein" },
            { "id": "a", "name": "Ancienneté", "field": "anciennete" }
        ]),
        json!([{ "id": "o", "name": "Résultat", "field": "resultat" }]),
        rules,
    )
}

fn grades_rules() -> String {
    let mut s = String::from("fact grade: choice \"Quel est votre grade ?\" {\n");
    for g in 0..10 {
        s.push_str(&format!("  g{g} \"Grade {g}\"\n"));
    }
    s.push_str("}\nfact echelon: integer \"Quel est votre échelon ?\" range 1..20\n");
    s.push_str("contact drh \"la DRH\" { phone \"02 00 00 00 00\" }\nfallback drh \"La DRH vous répondra.\"\n");
    s.push_str("topic indice \"Mon indice\" {\n  triggers \"indice\"\n  match grade {\n");
    for g in 0..10 {
        s.push_str(&format!("    g{g} => match echelon {{\n"));
        for e in 1..=20 {
            s.push_str(&format!(
                "      {e} => answer \"{}\" source \"grille\"\n",
                indice(g, e)
            ));
        }
        s.push_str("    }\n");
    }
    s.push_str("  }\n}\n");
    s
}

fn indice(grade: usize, echelon: usize) -> usize {
    350 + grade * 40 + echelon * 7
}

fn grades_zen() -> Value {
    let mut rules = Vec::new();
    for g in 0..10 {
        for e in 1..=20 {
            rules.push(json!({
                "_id": format!("r{}", rules.len()),
                "g": format!("\"g{g}\""),
                "e": e.to_string(),
                "o": indice(g, e).to_string()
            }));
        }
    }
    table(
        json!([
            { "id": "g", "name": "Grade", "field": "grade" },
            { "id": "e", "name": "Échelon", "field": "echelon" }
        ]),
        json!([{ "id": "o", "name": "Indice", "field": "indice" }]),
        rules,
    )
}

/// A zen graph: input → decision table (hit policy first) → output.
fn table(inputs: Value, outputs: Value, rules: Vec<Value>) -> Value {
    json!({
        "nodes": [
            { "id": "in", "name": "request", "type": "inputNode", "content": {} },
            { "id": "dt", "name": "table", "type": "decisionTableNode", "content": {
                "hitPolicy": "first", "inputs": inputs, "outputs": outputs,
                "rules": rules, "passThrough": false
            } },
            { "id": "out", "name": "response", "type": "outputNode", "content": {} }
        ],
        "edges": [
            { "id": "e1", "sourceId": "in", "targetId": "dt" },
            { "id": "e2", "sourceId": "dt", "targetId": "out" }
        ]
    })
}

fn zen_decision(graph: Value) -> Decision {
    let content: DecisionContent = serde_json::from_value(graph).expect("a zen decision");
    let mut decision = DecisionEngine::default()
        .create_decision(Arc::new(content))
        .expect("a graph decision");
    decision.compile();
    decision
}

fn zen_eval(decision: &Decision, context: &Value) -> Value {
    let response = block_on(decision.evaluate(context.clone().into())).expect("evaluated");
    response.result.to_value()
}

fn guichet_program(text: &str) -> Program {
    let mut sources = Sources::new();
    sources.add("peer.guichet", text);
    let compiled = compile(sources);
    compiled
        .program
        .unwrap_or_else(|| panic!("{:?}", compiled.diagnostics))
}

/// Opens a session, takes the values as a profile gives them, steps to the outcome.
fn guichet_eval<'p>(program: &'p Program, values: &[(&str, &str)]) -> Step<'p> {
    let mut session = Session::new(program, TopicId(0), TODAY);
    for (fact, raw) in values {
        session
            .prefill(program, fact, raw, Provenance::Profile)
            .expect("a valid value");
    }
    session.step(program).expect("step")
}

fn answer_text<'s>(step: &'s Step) -> &'s str {
    match step {
        Step::Answer(a) => &a.text,
        other => panic!("not an answer: {other:?}"),
    }
}

fn bench_peer(c: &mut Criterion) {
    // 1. statut × temps plein × ancienneté.
    let program = guichet_program(STATUT_RULES);
    let zen = zen_decision(statut_zen());
    let cases = [
        ("titulaire", "oui", "12", true, 12, "B"),
        ("contractuel", "non", "7", false, 7, "G"),
    ];
    for (s, f, a, fb, an, expected) in cases {
        let context = json!({ "statut": s, "temps_plein": fb, "anciennete": an });
        assert_eq!(zen_eval(&zen, &context)["resultat"], json!(expected));
        let step = guichet_eval(
            &program,
            &[("statut", s), ("temps_plein", f), ("anciennete", a)],
        );
        assert_eq!(answer_text(&step), expected);
    }
    let mut group = c.benchmark_group("statut_x_temps_plein_x_anciennete");
    let context = json!({ "statut": "titulaire", "temps_plein": true, "anciennete": 12 });
    group.bench_function("zen-engine", |b| {
        b.iter(|| black_box(zen_eval(&zen, black_box(&context))))
    });
    let values = [
        ("statut", "titulaire"),
        ("temps_plein", "oui"),
        ("anciennete", "12"),
    ];
    group.bench_function("guichet", |b| {
        b.iter(|| black_box(guichet_eval(&program, black_box(&values))))
    });
    let mut known = Session::new(&program, TopicId(0), TODAY);
    for (fact, raw) in values {
        known
            .prefill(&program, fact, raw, Provenance::Profile)
            .expect("valid");
    }
    group.bench_function("guichet_step_only", |b| {
        b.iter_batched_ref(
            || known.clone(),
            |s| black_box(s.step(&program).expect("step")),
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();

    // 2. The 200-row table.
    let program = guichet_program(&grades_rules());
    let zen = zen_decision(grades_zen());
    let mut group = c.benchmark_group("table_200_rows");
    for (row, grade, echelon) in [(100, 4, 20), (200, 9, 20)] {
        let context = json!({ "grade": format!("g{grade}"), "echelon": echelon });
        let expected = indice(grade, echelon);
        assert_eq!(zen_eval(&zen, &context)["indice"], json!(expected));
        let g = format!("g{grade}");
        let e = echelon.to_string();
        let values = [("grade", g.as_str()), ("echelon", e.as_str())];
        assert_eq!(
            answer_text(&guichet_eval(&program, &values)),
            expected.to_string()
        );
        group.bench_function(format!("zen-engine/row_{row}"), |b| {
            b.iter(|| black_box(zen_eval(&zen, black_box(&context))))
        });
        group.bench_function(format!("guichet/row_{row}"), |b| {
            b.iter(|| black_box(guichet_eval(&program, black_box(&values))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_peer);
criterion_main!(benches);
