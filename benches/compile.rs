//! Parse + check + compile throughput on generated rule bases of 1k, 10k and
//! 100k lines (`examples/gen_rules.rs`, included as a module so the bench
//! needs no files), plus the parser alone to split the cost.
//!
//! `cargo bench --bench compile`; figures in docs/performance.md.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use guichet::compile::compile;
use guichet::span::Sources;
use guichet::syntax::parse_rules;
use std::hint::black_box;
use std::time::Duration;

#[path = "../examples/gen_rules.rs"]
#[allow(dead_code)]
mod gen_rules;

/// A generated rule base of about `lines` lines, as `Sources`, with its real line count.
pub fn generated(lines: usize) -> (Sources, u64) {
    let mut sources = Sources::new();
    let mut count = 0;
    for (name, text) in gen_rules::generate(&gen_rules::Options::with_lines(lines)) {
        count += text.lines().count() as u64;
        sources.add(name, text);
    }
    (sources, count)
}

fn sizes() -> Vec<usize> {
    // GUICHET_BENCH_SIZES=1000,10000 limits the sizes (CI smoke runs).
    std::env::var("GUICHET_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000])
}

fn bench_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for size in sizes() {
        let (sources, lines) = generated(size);
        let compiled = compile(sources.clone());
        assert!(
            !compiled.has_errors(),
            "the generated base must compile: {:?}",
            compiled.diagnostics.first()
        );
        group.throughput(Throughput::Elements(lines));
        group.bench_function(format!("check+compile/{size}"), |b| {
            b.iter_batched(
                || sources.clone(),
                |s| black_box(compile(s)),
                BatchSize::LargeInput,
            )
        });
        group.bench_function(format!("parse/{size}"), |b| {
            b.iter(|| {
                for (file, source) in sources.files() {
                    black_box(parse_rules(file, &source.text));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_compile);
criterion_main!(benches);
