//! AUC with DeLong's interval and the 2,000-resample bootstrap interval of the AUC at
//! n = 1k, 10k, 100k — the numbers BENCHMARKS.md compares with scikit-learn/scipy
//! (`bench/stats/run.sh` runs both in one invocation).

use attest_stats::ci::bootstrap::{bootstrap, BootstrapConfig, BootstrapKind};
use attest_stats::ci::delong::delong;
use attest_stats::ci::Level;
use attest_stats::rank::Ranked;
use attest_stats::rng::{below, generator};
use attest_stats::roc::weighted_auc;
use attest_stats::{Sample, Value};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

/// Seeded synthetic cases: 30% positives, scores = label + noise, rounded to 3 decimals so
/// there are ties (as real model outputs have).
fn cases(n: usize) -> (Vec<bool>, Vec<f64>) {
    let mut rng = generator(n as u64);
    let labels: Vec<bool> = (0..n).map(|_| below(&mut rng, 10) < 3).collect();
    let scores = labels
        .iter()
        .map(|&l| {
            let noise = f64::from(below(&mut rng, 1_000_000)) / 1_000_000.0;
            ((f64::from(u8::from(l)) * 0.6 + noise) * 1000.0).round() / 1000.0
        })
        .collect();
    (labels, scores)
}

fn auc_statistic(ranked: &Ranked, weights: &[u32]) -> Value {
    weighted_auc(ranked, Some(weights))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("auc");
    for n in [1_000usize, 10_000, 100_000] {
        let (labels, scores) = cases(n);
        group.bench_with_input(BenchmarkId::new("auc_delong", n), &n, |b, _| {
            b.iter(|| {
                let sample = Sample::new(&labels, &scores).ok()?;
                delong(&sample.ranked(), Level::NINETY_FIVE).ok()
            })
        });
        for kind in [BootstrapKind::Percentile, BootstrapKind::Bca] {
            let name = match kind {
                BootstrapKind::Percentile => "bootstrap_percentile_2000",
                BootstrapKind::Bca => "bootstrap_bca_2000",
            };
            group.sample_size(10);
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| {
                    let sample = Sample::new(&labels, &scores).ok()?;
                    let config = BootstrapConfig {
                        kind,
                        ..BootstrapConfig::new(7)
                    };
                    bootstrap(&sample.ranked(), None, &config, &auc_statistic).ok()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
