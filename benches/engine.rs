//! The engine in-process: one conversation step (reply parsed, graph walked
//! to the next question), a whole conversation over a bundled topic, and a
//! session's save + load as JSON (the form the server stores). The same step
//! on a generated 100k-line base shows that a step does not grow with the
//! rule base.
//!
//! `cargo bench --bench engine`; figures in docs/performance.md.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use guichet::compile::compile;
use guichet::compile::program::{Program, TopicId};
use guichet::engine::session::Question;
use guichet::engine::{Session, Step};
use guichet::front::load::{load, RULE_EXTENSION};
use guichet::span::Sources;
use std::hint::black_box;
use std::path::PathBuf;
use time::macros::date;

#[path = "../examples/gen_rules.rs"]
#[allow(dead_code)]
mod gen_rules;

const TODAY: time::Date = date!(2026 - 11 - 25);

fn bundled() -> Program {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sources = load(&[root.join("rules")], RULE_EXTENSION).expect("bundled rules");
    compile(sources).program.expect("the bundled rules compile")
}

fn generated(lines: usize) -> Program {
    let mut sources = Sources::new();
    for (name, text) in gen_rules::generate(&gen_rules::Options::with_lines(lines)) {
        sources.add(name, text);
    }
    compile(sources)
        .program
        .expect("the generated base compiles")
}

/// A reply every question of a generated base accepts.
fn any_reply(q: &Question) -> String {
    match q.kind {
        "choice" | "yesno" => q.options().next().expect("an option").value.to_string(),
        "date" => "01/01/2010".into(),
        "number" => "3".into(),
        _ => "texte".into(),
    }
}

/// Steps and replies `replies` in turn; the step reached at the end.
fn converse<'p>(program: &'p Program, topic: TopicId, replies: &[&str]) -> (Session, Step<'p>) {
    let mut session = Session::new(program, topic, TODAY);
    let mut step = session.step(program).expect("step");
    for reply in replies {
        session.reply(program, reply).expect("reply accepted");
        step = session.step(program).expect("step");
    }
    (session, step)
}

/// A session of `topic` waiting for its first reply, and the reply that answers it.
fn asking(program: &Program, topic: TopicId) -> (Session, String) {
    let mut session = Session::new(program, topic, TODAY);
    match session.step(program).expect("step") {
        Step::Ask(q) => {
            let reply = any_reply(&q);
            (session, reply)
        }
        other => panic!("the topic asks nothing: {other:?}"),
    }
}

fn report_topic(program: &Program) -> TopicId {
    program
        .topic_named("report_conges")
        .expect("topic report_conges")
}

fn bench_engine(c: &mut Criterion) {
    let program = bundled();
    let conges = program
        .topic_named("conges_annuels")
        .expect("topic conges_annuels");

    let mut group = c.benchmark_group("step");
    // One conversation step: the reply "titulaire" parsed, then the walk to
    // the next question (jours_par_semaine).
    let (waiting, _) = converse(&program, conges, &[]);
    group.bench_function("reply+walk/bundled", |b| {
        b.iter_batched_ref(
            || waiting.clone(),
            |s| {
                s.reply(&program, black_box("titulaire")).expect("accepted");
                black_box(s.step(&program).expect("step"))
            },
            BatchSize::SmallInput,
        )
    });
    let mut replied = waiting.clone();
    replied.reply(&program, "titulaire").expect("accepted");
    group.bench_function("walk_only/bundled", |b| {
        b.iter_batched_ref(
            || replied.clone(),
            |s| black_box(s.step(&program).expect("step")),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("reply_only/bundled", |b| {
        b.iter_batched_ref(
            || waiting.clone(),
            |s| black_box(s.reply(&program, black_box("titulaire"))),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("new+first_question/bundled", |b| {
        b.iter(|| {
            let mut s = Session::new(&program, conges, TODAY);
            black_box(s.step(&program).expect("step"))
        })
    });

    // The same step on a generated 100k-line base: its cost must not grow.
    let lines = std::env::var("GUICHET_BENCH_STEP_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let big = generated(lines);
    let topic = TopicId(big.topics.len() as u32 / 2);
    let (waiting_big, reply_big) = asking(&big, topic);
    group.bench_function(format!("reply+walk/generated_{lines}"), |b| {
        b.iter_batched_ref(
            || waiting_big.clone(),
            |s| {
                s.reply(&big, black_box(&reply_big)).expect("accepted");
                black_box(s.step(&big).expect("step"))
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    for (topic, replies) in [
        (conges, &["titulaire", "5"][..]),
        (
            report_topic(&program),
            &["titulaire", "sante", "5", "15", "oui", "02/06/2026"][..],
        ),
    ] {
        let (_, end) = converse(&program, topic, replies);
        assert!(matches!(end, Step::Answer(_)), "{end:?}");
    }
    let mut group = c.benchmark_group("conversation");
    group.bench_function("conges_annuels/2_replies", |b| {
        b.iter(|| black_box(converse(&program, conges, &["titulaire", "5"])))
    });
    let report = report_topic(&program);
    group.bench_function("report_conges/6_replies", |b| {
        b.iter(|| {
            black_box(converse(
                &program,
                report,
                &["titulaire", "sante", "5", "15", "oui", "02/06/2026"],
            ))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("session");
    let (done, step) = converse(&program, conges, &["titulaire", "5"]);
    assert!(matches!(step, Step::Answer(_)), "{step:?}");
    let json = serde_json::to_vec(&done).expect("serialize");
    println!(
        "session JSON at the end of conges_annuels: {} bytes; waiting for the first reply: {} bytes",
        json.len(),
        serde_json::to_vec(&waiting).expect("serialize").len()
    );
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("save/json", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&done)).expect("serialize")))
    });
    group.bench_function("load/json", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Session>(black_box(&json)).expect("load")))
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
