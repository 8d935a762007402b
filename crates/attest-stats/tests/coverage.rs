//! Exact coverage of the proportion intervals stays where the literature puts it (Brown, Cai
//! & DasGupta 2001): Wilson, Jeffreys and Agresti–Coull near 95% on average, Clopper–Pearson
//! never below 95%. The full table is COVERAGE.md (`examples/coverage.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use attest_stats::ci::{IntervalMethod, Level};
use attest_stats::coverage::{binomial_pmf, proportion_coverage};

fn coverages(method: IntervalMethod, n: u64) -> Vec<f64> {
    (1..20)
        .map(|i| proportion_coverage(method, n, f64::from(i) / 20.0, Level::NINETY_FIVE).unwrap())
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn binomial_probabilities_sum_to_one() {
    for (n, p) in [(10u64, 0.3), (100, 0.01), (250, 0.5)] {
        let total: f64 = (0..=n).map(|x| binomial_pmf(x, n, p)).sum();
        assert!((total - 1.0).abs() < 1e-12, "{n} {p}: {total}");
    }
}

#[test]
fn score_type_intervals_cover_about_95_percent_on_average() {
    for n in [30u64, 100] {
        for method in [
            IntervalMethod::Wilson,
            IntervalMethod::Jeffreys,
            IntervalMethod::AgrestiCoull,
        ] {
            let m = mean(&coverages(method, n));
            assert!(
                (0.94..=0.965).contains(&m),
                "{} at n = {n}: mean coverage {m}",
                method.name()
            );
        }
    }
}

#[test]
fn clopper_pearson_never_covers_less_than_nominal() {
    for n in [10u64, 30, 100] {
        let c = coverages(IntervalMethod::ClopperPearson, n);
        let min = c.iter().copied().fold(1.0, f64::min);
        assert!(min >= 0.95 - 1e-12, "n = {n}: {min}");
    }
}
