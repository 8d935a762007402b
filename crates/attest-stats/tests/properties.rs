//! Invariants that must hold on any data (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use attest_stats::binary::ThresholdMetric;
use attest_stats::ci::bootstrap::{bootstrap, BootstrapConfig, BootstrapKind};
use attest_stats::ci::delong::delong;
use attest_stats::ci::newcombe::newcombe;
use attest_stats::ci::proportion::proportion_interval;
use attest_stats::ci::{IntervalMethod, Level};
use attest_stats::rank::Ranked;
use attest_stats::roc::{auc, weighted_auc};
use attest_stats::{Counts, Sample, Value};
use proptest::prelude::*;

const PROPORTION_METHODS: [IntervalMethod; 4] = [
    IntervalMethod::Wilson,
    IntervalMethod::ClopperPearson,
    IntervalMethod::Jeffreys,
    IntervalMethod::AgrestiCoull,
];

/// Cases with both classes; scores on a grid of 1/1000 so ties occur and monotone
/// transforms keep distinct scores distinct.
fn two_class_cases() -> impl Strategy<Value = (Vec<bool>, Vec<f64>)> {
    prop::collection::vec((any::<bool>(), 0u32..=1000), 2..200)
        .prop_filter("both classes", |v| {
            v.iter().any(|c| c.0) && v.iter().any(|c| !c.0)
        })
        .prop_map(|v| {
            let labels = v.iter().map(|c| c.0).collect();
            let scores = v.iter().map(|c| f64::from(c.1) / 1000.0).collect();
            (labels, scores)
        })
}

fn auc_of(labels: &[bool], scores: &[f64]) -> f64 {
    auc(&Sample::new(labels, scores).unwrap().ranked()).unwrap()
}

proptest! {
    #[test]
    fn auc_lies_in_the_unit_interval((labels, scores) in two_class_cases()) {
        let a = auc_of(&labels, &scores);
        prop_assert!((0.0..=1.0).contains(&a));
    }

    #[test]
    fn reversing_the_scores_reflects_the_auc((labels, scores) in two_class_cases()) {
        let reversed: Vec<f64> = scores.iter().map(|s| 1.0 - s).collect();
        let (a, b) = (auc_of(&labels, &scores), auc_of(&labels, &reversed));
        prop_assert!((a + b - 1.0).abs() < 1e-12, "{a} + {b} != 1");
    }

    #[test]
    fn auc_is_invariant_under_monotone_transforms((labels, scores) in two_class_cases()) {
        let transformed: Vec<f64> = scores.iter().map(|s| s * s * s + 2.0 * s - 7.0).collect();
        prop_assert_eq!(auc_of(&labels, &scores), auc_of(&labels, &transformed));
    }

    #[test]
    fn threshold_metrics_stay_in_their_ranges((labels, scores) in two_class_cases(), t in 0.0f64..1.0) {
        let sample = Sample::new(&labels, &scores).unwrap();
        let counts = Counts::at_threshold(&sample, t);
        prop_assert_eq!(counts.total() as usize, labels.len());
        for metric in ThresholdMetric::ALL {
            if let Ok(v) = metric.compute(&counts.weighted()) {
                prop_assert!(!v.is_nan(), "{} is NaN", metric.name());
                let (lo, hi) = match metric {
                    ThresholdMetric::Mcc | ThresholdMetric::YoudenJ => (-1.0, 1.0),
                    ThresholdMetric::LrPositive | ThresholdMetric::LrNegative => (0.0, f64::INFINITY),
                    _ => (0.0, 1.0),
                };
                prop_assert!(v >= lo - 1e-12 && v <= hi + 1e-12, "{} = {v}", metric.name());
            }
        }
    }

    #[test]
    fn proportion_intervals_contain_the_estimate(n in 1u64..5000, share in 0.0f64..=1.0, level in 0.5f64..0.999) {
        let x = ((n as f64) * share).round() as u64;
        let level = Level::new(level).unwrap();
        for method in PROPORTION_METHODS {
            let ci = proportion_interval(method, x, n, level).unwrap().unwrap();
            let p = x as f64 / n as f64;
            prop_assert!(ci.lower <= p + 1e-12 && p <= ci.upper + 1e-12, "{}: {p} outside [{}, {}]", method.name(), ci.lower, ci.upper);
            prop_assert!(0.0 <= ci.lower && ci.upper <= 1.0);
        }
    }

    #[test]
    fn proportion_intervals_narrow_as_n_grows(n in 5u64..500, share in 0.05f64..0.95) {
        let x = ((n as f64) * share).round() as u64;
        for method in PROPORTION_METHODS {
            let width = |k: u64| proportion_interval(method, x * k, n * k, Level::NINETY_FIVE).unwrap().unwrap().width();
            prop_assert!(width(4) < width(1), "{}: width does not shrink", method.name());
            prop_assert!(width(16) < width(4), "{}: width does not shrink", method.name());
        }
    }

    #[test]
    fn newcombe_contains_the_difference(n1 in 1u64..300, n2 in 1u64..300, s1 in 0.0f64..=1.0, s2 in 0.0f64..=1.0) {
        let (x1, x2) = (((n1 as f64) * s1).round() as u64, ((n2 as f64) * s2).round() as u64);
        let d = newcombe(x1, n1, x2, n2, Level::NINETY_FIVE).unwrap().unwrap();
        prop_assert!(d.interval.contains(d.difference));
        prop_assert!(d.interval.lower >= -1.0 - 1e-12 && d.interval.upper <= 1.0 + 1e-12);
    }

    #[test]
    fn delong_interval_contains_the_auc((labels, scores) in two_class_cases()) {
        let sample = Sample::new(&labels, &scores).unwrap();
        if sample.positives() >= 2 && sample.negatives() >= 2 {
            let d = delong(&sample.ranked(), Level::NINETY_FIVE).unwrap();
            prop_assert!(d.interval.contains(d.auc));
            prop_assert!(d.variance >= 0.0);
        }
    }

    #[test]
    fn sample_validation_never_panics(labels in prop::collection::vec(any::<bool>(), 0..50), scores in prop::collection::vec(any::<f64>(), 0..50)) {
        if let Ok(sample) = Sample::new(&labels, &scores) {
            let ranked = sample.ranked();
            let _ = auc(&ranked);
            let _ = delong(&ranked, Level::NINETY_FIVE);
        }
    }
}

fn auc_statistic(ranked: &Ranked, weights: &[u32]) -> Value {
    weighted_auc(ranked, Some(weights))
}

#[test]
fn bootstrap_is_identical_for_any_thread_count() {
    let labels: Vec<bool> = (0..500).map(|i| i % 3 == 0).collect();
    let scores: Vec<f64> = (0..500)
        .map(|i| f64::from((i * 37 % 101) as u32) / 100.0 + if i % 3 == 0 { 0.3 } else { 0.0 })
        .collect();
    let clusters: Vec<u64> = (0..500).map(|i| i / 2).collect();
    let sample = Sample::new(&labels, &scores).unwrap();
    let ranked = sample.ranked();
    for kind in [BootstrapKind::Percentile, BootstrapKind::Bca] {
        for cluster in [None, Some(clusters.as_slice())] {
            let config = BootstrapConfig {
                kind,
                resamples: 500,
                ..BootstrapConfig::new(42)
            };
            let run = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| {
                        bootstrap(&ranked, cluster, &config, &auc_statistic)
                            .unwrap()
                            .unwrap()
                    })
            };
            let one = run(1);
            assert_eq!(one, run(3), "{kind:?} clustered={}", cluster.is_some());
            assert_eq!(one, run(8), "{kind:?} clustered={}", cluster.is_some());
            assert!(one.interval.lower < one.estimate && one.estimate < one.interval.upper);
        }
    }
}

#[test]
fn bootstrap_depends_on_the_seed_and_nothing_else() {
    let labels: Vec<bool> = (0..300).map(|i| i % 4 == 0).collect();
    let scores: Vec<f64> = (0..300)
        .map(|i| f64::from((i * 13 % 97) as u32) / 97.0)
        .collect();
    let ranked = Sample::new(&labels, &scores).unwrap().ranked();
    let config = |seed| BootstrapConfig {
        resamples: 300,
        ..BootstrapConfig::new(seed)
    };
    let a = bootstrap(&ranked, None, &config(1), &auc_statistic)
        .unwrap()
        .unwrap();
    let b = bootstrap(&ranked, None, &config(1), &auc_statistic)
        .unwrap()
        .unwrap();
    let c = bootstrap(&ranked, None, &config(2), &auc_statistic)
        .unwrap()
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a.interval, c.interval);
}

#[test]
fn clustered_bootstrap_is_wider_when_images_of_a_patient_agree() {
    // Four identical images per patient: resampling images pretends there are 4× as many
    // independent cases; resampling patients does not.
    let mut labels = Vec::new();
    let mut scores = Vec::new();
    let mut clusters = Vec::new();
    for patient in 0..100u64 {
        let label = patient % 3 == 0;
        let score =
            f64::from(((patient * 7919) % 1000) as u32) / 1000.0 + if label { 0.25 } else { 0.0 };
        for _ in 0..4 {
            labels.push(label);
            scores.push(score);
            clusters.push(patient);
        }
    }
    let ranked = Sample::new(&labels, &scores).unwrap().ranked();
    let config = BootstrapConfig {
        kind: BootstrapKind::Percentile,
        ..BootstrapConfig::new(3)
    };
    let by_image = bootstrap(&ranked, None, &config, &auc_statistic)
        .unwrap()
        .unwrap();
    let by_patient = bootstrap(&ranked, Some(&clusters), &config, &auc_statistic)
        .unwrap()
        .unwrap();
    assert_eq!(by_patient.units, 100);
    assert!(
        by_patient.interval.width() > 1.6 * by_image.interval.width(),
        "{} vs {}",
        by_patient.interval.width(),
        by_image.interval.width()
    );
}
