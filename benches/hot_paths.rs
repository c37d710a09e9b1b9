//! Criterion benches of the per-operation hot paths: generators, key formatting, value
//! generation, histogram recording, and whole engine iterations on the memory store.
//! Run: `cargo bench --bench hot_paths` (figures in README, section Performance).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use geobench::generator::{
    AcknowledgedCounter, Exponential, Hotspot, Rng, ScrambledZipfian, SkewedLatest, Uniform,
    ZIPFIAN_CONSTANT, Zipfian,
};
use geobench::measure::Measurements;
use geobench::workload::Operation;
use geobench::workload::keys::{Compat, KeyFormat};
use geobench::workload::values;
use std::hint::black_box;
use std::sync::Arc;

fn generators(c: &mut Criterion) {
    let mut g = c.benchmark_group("generator");
    let mut rng = Rng::new(1, 0);
    let u = Uniform::new(0, 49_999_999);
    g.bench_function("uniform", |b| b.iter(|| black_box(u.next(&mut rng))));
    let mut z = Zipfian::new(0, 999_999, ZIPFIAN_CONSTANT);
    g.bench_function("zipfian_1m", |b| b.iter(|| black_box(z.next(&mut rng))));
    let mut s = ScrambledZipfian::new(0, 49_999_999);
    g.bench_function("scrambled_zipfian", |b| {
        b.iter(|| black_box(s.next(&mut rng)))
    });
    let h = Hotspot::new(0, 49_999_999, 0.2, 0.8);
    g.bench_function("hotspot", |b| b.iter(|| black_box(h.next(&mut rng))));
    let e = Exponential::new(95.0, 1e6);
    g.bench_function("exponential", |b| b.iter(|| black_box(e.next(&mut rng))));
    let mut l = SkewedLatest::new(Arc::new(AcknowledgedCounter::new(1_000_000)));
    g.bench_function("latest", |b| b.iter(|| black_box(l.next(&mut rng))));
    g.finish();
}

fn keys_and_values(c: &mut Criterion) {
    let mut g = c.benchmark_group("workload");
    let f = KeyFormat {
        prefix: "user".into(),
        zero_padding: 1,
        hashed: true,
        compat: Compat::Ycsb,
    };
    let mut buf = String::new();
    let mut n = 0u64;
    g.bench_function("key_hashed", |b| {
        b.iter(|| {
            n += 1;
            f.format_into(black_box(n), &mut buf);
        })
    });
    let mut rng = Rng::new(2, 0);
    let mut v = Vec::with_capacity(128);
    g.throughput(Throughput::Bytes(100));
    g.bench_function("value_random_100b", |b| {
        b.iter(|| values::fill_random(&mut rng, &mut v, 100))
    });
    g.bench_function("value_deterministic_100b", |b| {
        b.iter(|| values::fill_deterministic("user6284781860667377211", "field3", 100, &mut v))
    });
    g.finish();
}

fn histogram(c: &mut Criterion) {
    let mut m = Measurements::default();
    let mut rng = Rng::new(3, 0);
    // Latencies spread over 50 us .. 50 ms, as a database run records them.
    let samples: Vec<u64> = (0..4096).map(|_| 50_000 + rng.below(50_000_000)).collect();
    let mut i = 0;
    c.bench_function("record_latency", |b| {
        b.iter(|| {
            i = (i + 1) & 4095;
            m.record_ok(Operation::Read, black_box(samples[i]), None);
        })
    });
}

fn engine(c: &mut Criterion) {
    use clap::Parser;
    use geobench::cli::{Cli, Command};
    use geobench::config::Phase;
    use geobench::db::AnyDb;
    use geobench::runner::{
        execute_any,
        progress::{Progress, StatusMode},
    };
    let ops = 200_000u64;
    let argv = format!(
        "geobench run -P workloads/workloada -p recordcount=10000 -p operationcount={ops} -t 1 -p client.threads=1"
    );
    let Command::Run(a) = Cli::parse_from(argv.split_whitespace()).command else {
        unreachable!()
    };
    let sources = a.sources();
    let cfg = sources.resolve(Phase::Run).unwrap().run;
    let db = AnyDb::open(&cfg);
    let topo = db.topology();
    geobench::commands::phase::preload(&db, &sources, &cfg, &topo, StatusMode::Off).unwrap();
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(ops));
    g.sample_size(10);
    g.bench_function("workload_a_memory_1_thread", |b| {
        b.iter_batched(
            || Progress::new(StatusMode::Off, "bench"),
            |mut p| execute_any(&db, &cfg, &topo, &mut p).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, generators, keys_and_values, histogram, engine);
criterion_main!(benches);
