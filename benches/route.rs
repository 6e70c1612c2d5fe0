//! Free-text routing latency per question over the bundled rules: the
//! questions of `tests/routing/questions.tsv`, each routed by
//! `guichet::route::Router` (built once per program).
//!
//! `cargo bench --bench route`; figures in docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use guichet::compile::compile;
use guichet::front::load::{load, RULE_EXTENSION};
use guichet::route::Router;
use std::hint::black_box;
use std::path::PathBuf;

fn bench_route(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sources = load(&[root.join("rules")], RULE_EXTENSION).expect("bundled rules");
    let program = compile(sources).program.expect("the bundled rules compile");
    let tsv = std::fs::read_to_string(root.join("tests/routing/questions.tsv"))
        .expect("tests/routing/questions.tsv");
    let questions: Vec<String> = guichet::route::parse_labelled(&program, &tsv)
        .expect("a valid evaluation file")
        .questions
        .into_iter()
        .map(|l| l.question)
        .collect();

    let mut group = c.benchmark_group("route");
    group.bench_function("router_new", |b| {
        b.iter(|| black_box(Router::new(&program)))
    });
    let router = Router::new(&program);
    group.throughput(Throughput::Elements(questions.len() as u64));
    group.bench_function(format!("all_{}_questions", questions.len()), |b| {
        b.iter(|| {
            for q in &questions {
                black_box(router.route(q));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    let typical = "combien de jours de congés j'ai à temps partiel";
    group.bench_function("one_question", |b| {
        b.iter(|| black_box(router.route(typical)))
    });
    group.bench_function("route+extract", |b| {
        b.iter(|| {
            let routing = router.route("je suis contractuelle, combien de congés ?");
            if let Some(topic) = routing.topic() {
                black_box(router.extract("je suis contractuelle, combien de congés ?", topic));
            }
            black_box(routing)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_route);
criterion_main!(benches);
