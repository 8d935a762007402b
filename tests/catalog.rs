//! Every name the spec language accepts is implemented: metrics by attest-stats, interval
//! methods by attest-stats' `IntervalMethod`, perturbation kinds by attest-perturb with the
//! severity range the validator allows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use attest_spec::catalog::{CI_METHODS, METRICS, PERTURBATION_KINDS};
use attest_spec::types::Task;
use attest_stats::ci::IntervalMethod;
use attest_stats::metric::{
    evaluate_binary, evaluate_multiclass, MetricOptions, BINARY_METRICS, MULTICLASS_METRICS,
};
use attest_stats::multiclass::Multiclass;
use attest_stats::Sample;

#[test]
fn every_catalog_metric_is_implemented() {
    let labels = [false, true, false, true, true, false];
    let scores = [0.1, 0.8, 0.6, 0.35, 0.9, 0.2];
    let sample = Sample::new(&labels, &scores).unwrap();
    let options = MetricOptions {
        threshold: Some(0.5),
        ..MetricOptions::default()
    };
    let classes = [0usize, 1, 2, 1];
    let class_scores = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.3, 0.3, 0.4];
    let multiclass = Multiclass::new(&classes, &class_scores, 3).unwrap();
    for info in METRICS {
        let binary = info.tasks.contains(&Task::Binary);
        if binary {
            assert!(
                BINARY_METRICS.contains(&info.name),
                "{} missing from BINARY_METRICS",
                info.name
            );
            let value = evaluate_binary(info.name, &sample, &options)
                .unwrap_or_else(|e| panic!("{}: {e}", info.name));
            assert!(value.is_ok(), "{}: {value:?}", info.name);
        } else {
            assert!(
                MULTICLASS_METRICS.contains(&info.name),
                "{} missing from MULTICLASS_METRICS",
                info.name
            );
            let value = evaluate_multiclass(info.name, &multiclass)
                .unwrap_or_else(|e| panic!("{}: {e}", info.name));
            assert!(value.is_ok(), "{}: {value:?}", info.name);
        }
    }
    for name in BINARY_METRICS.iter().chain(MULTICLASS_METRICS) {
        assert!(
            METRICS.iter().any(|m| m.name == *name),
            "{name} is implemented but not in the catalog"
        );
    }
}

#[test]
fn every_catalog_interval_method_is_implemented() {
    for info in CI_METHODS {
        assert!(
            IntervalMethod::from_name(info.name).is_some(),
            "{} has no implementation",
            info.name
        );
    }
}

#[test]
fn every_catalog_perturbation_kind_is_implemented_with_its_severities() {
    for info in PERTURBATION_KINDS {
        let kind = attest_perturb::kind(info.name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            kind.max_severity(),
            info.max_severity,
            "{}: severity table length",
            info.name
        );
        assert_eq!(
            kind.family.name(),
            info.family.split(' ').next().unwrap_or(""),
            "{}: family",
            info.name
        );
    }
    for kind in attest_perturb::kinds() {
        assert!(
            PERTURBATION_KINDS.iter().any(|k| k.name == kind.name),
            "{} is implemented but the spec cannot name it",
            kind.name
        );
    }
}
