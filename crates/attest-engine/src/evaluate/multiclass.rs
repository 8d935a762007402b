//! Multiclass tests without `class:`: `accuracy` (the highest-scoring class is the label) and
//! Cohen's kappas by performance tests, and the rate at which the highest-scoring class
//! changes by invariance tests. Anything else on a multiclass or multilabel task needs
//! `class:` (evaluated one-vs-rest by the binary kinds) and otherwise gets ERROR with the
//! reason.

use attest_spec::infer_kind;
use attest_spec::results::{Estimate, Interval, TestResult};
use attest_spec::types::{CiMethod, Task, Test, TestKind};
use attest_stats::ci::bootstrap::{bootstrap, BootstrapConfig, BootstrapKind};
use attest_stats::ci::proportion::proportion_interval;
use attest_stats::ci::{IntervalMethod, Level};
use attest_stats::multiclass::{ConfusionMatrix, KappaWeights};
use attest_stats::{Ranked, Sample, Undefined, Value};

use super::kinds::{
    apply_minimums, bound_criteria, error_result, finish, flip_estimate, level, metric_of,
    perturbation_levels, seed, Flips, Levels,
};
use super::metric::{bootstrap_record, default_method, interval_method};
use super::Evaluator;
use crate::plan::test_cohorts;

/// Evaluates a multiclass or multilabel test that names no class.
pub fn evaluate(ev: &Evaluator<'_>, test: &Test) -> TestResult {
    let task = ev.spec.model.output.task;
    let kind = infer_kind(test);
    let whole_task_metric =
        metric_of(test).is_ok_and(|m| m.name == "accuracy" || kappa_weights(m.name).is_some());
    let outcome = match (task, kind) {
        (Task::Multiclass, TestKind::Performance) if whole_task_metric => performance(ev, test),
        (Task::Multiclass, TestKind::Invariance) => invariance(ev, test),
        _ => Err(format!(
            "{} tests of a {} model are evaluated per class in this version: add `class:` (that class against the rest){}",
            kind.as_str(),
            task.as_str(),
            if test.average.is_some() {
                "; averaged (`average:`) metrics are not evaluated yet"
            } else {
                ""
            }
        )),
    };
    match outcome {
        Ok(mut result) => {
            apply_minimums(test, &mut result);
            result
        }
        Err(why) => error_result(test, why),
    }
}

/// Each case's true class and the model's highest-scoring class (ties: the first), for the
/// rows of `rows` that have both under variant `v`.
struct Classified {
    labels: Vec<usize>,
    predicted: Vec<usize>,
    clusters: Option<Vec<u64>>,
}

fn argmax(outputs: &[f32]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (k, &s) in outputs.iter().enumerate() {
        if best.is_none_or(|b| s > outputs[b]) {
            best = Some(k);
        }
    }
    best
}

fn predicted_class(ev: &Evaluator<'_>, v: usize, row: usize) -> Option<usize> {
    ev.predictions
        .outputs
        .get(v)?
        .get(row)?
        .as_deref()
        .and_then(argmax)
}

fn classify(ev: &Evaluator<'_>, rows: &[usize]) -> Classified {
    let mut out = Classified {
        labels: Vec::new(),
        predicted: Vec::new(),
        clusters: ev.cluster_ids.as_ref().map(|_| Vec::new()),
    };
    for &row in rows {
        let (Some(label), Some(predicted)) =
            (ev.cases.labels.class(row), predicted_class(ev, 0, row))
        else {
            continue;
        };
        out.labels.push(label);
        out.predicted.push(predicted);
        if let (Some(ids), Some(c)) = (&ev.cluster_ids, out.clusters.as_mut()) {
            c.push(ids[row]);
        }
    }
    out
}

fn kappa_weights(metric: &str) -> Option<KappaWeights> {
    match metric {
        "cohen_kappa" => Some(KappaWeights::Unweighted),
        "cohen_kappa_linear" => Some(KappaWeights::Linear),
        "cohen_kappa_quadratic" => Some(KappaWeights::Quadratic),
        _ => None,
    }
}

fn performance(ev: &Evaluator<'_>, test: &Test) -> Result<TestResult, String> {
    let metric = metric_of(test)?;
    let classes = ev.spec.model.output.classes.as_ref().map_or(0, Vec::len);
    let level = level(test);
    let mut estimates = Vec::new();
    for cohort in test_cohorts(test) {
        let rows = &ev.cohort(&cohort).map_err(|e| e.to_string())?.rows;
        let data = classify(ev, rows);
        let n = data.labels.len() as u64;
        let mut e = Estimate {
            metric: metric.name.to_string(),
            cohort: cohort.clone(),
            variant: Some("original".into()),
            value: None,
            n,
            positives: None,
            negatives: None,
            clusters: data
                .clusters
                .as_ref()
                .map(|c| c.iter().collect::<std::collections::HashSet<_>>().len() as u64),
            at: Some("highest-scoring class".into()),
            ci: None,
            adjusted_p: None,
            undefined: None,
        };
        let result: Result<(f64, Interval), String> = if metric.name == "accuracy" {
            accuracy(test, &data, level)
        } else if let Some(weights) = kappa_weights(metric.name) {
            kappa(
                test,
                &data,
                classes,
                weights,
                level,
                seed(ev, test, &cohort, "original"),
            )
        } else {
            Err(format!(
                "`{}` on a multiclass task needs `class:` (that class against the rest)",
                metric.name
            ))
        };
        match result {
            Ok((value, ci)) => {
                e.value = Some(value);
                e.ci = Some(ci);
            }
            Err(why) => e.undefined = Some(why),
        }
        estimates.push(e);
    }
    let criteria = bound_criteria(test, &estimates);
    Ok(finish(test, estimates, criteria))
}

/// The fraction of cases classified correctly: a binomial proportion, with the test's
/// proportion interval (Wilson by default).
fn accuracy(test: &Test, data: &Classified, level: f64) -> Result<(f64, Interval), String> {
    let n = data.labels.len() as u64;
    if n == 0 {
        return Err("no labelled, scored cases".into());
    }
    let correct = data
        .labels
        .iter()
        .zip(&data.predicted)
        .filter(|(a, b)| a == b)
        .count() as u64;
    let metric = metric_of(test)?;
    let method = test
        .ci
        .as_ref()
        .and_then(|c| c.method)
        .unwrap_or_else(|| default_method(metric));
    let stats_method = interval_method(method)
        .filter(|m| {
            matches!(
                m,
                IntervalMethod::Wilson
                    | IntervalMethod::ClopperPearson
                    | IntervalMethod::Jeffreys
                    | IntervalMethod::AgrestiCoull
            )
        })
        .ok_or_else(|| {
            format!("multiclass accuracy takes a proportion interval (wilson, clopper_pearson, jeffreys, agresti_coull), not {method:?}")
        })?;
    let lvl = Level::new(level).map_err(|e| e.to_string())?;
    let interval = proportion_interval(stats_method, correct, n, lvl)
        .map_err(|e| e.to_string())?
        .map_err(|u| u.reason)?;
    Ok((
        correct as f64 / n as f64,
        Interval {
            lower: interval.lower,
            upper: interval.upper,
            method,
            level,
            resamples: None,
            seed: None,
        },
    ))
}

/// Cohen's kappa with a case (or cluster) bootstrap interval, BCa unless the test asks for
/// percentile.
fn kappa(
    test: &Test,
    data: &Classified,
    classes: usize,
    weights: KappaWeights,
    level: f64,
    seed: u64,
) -> Result<(f64, Interval), String> {
    if data.labels.is_empty() {
        return Err("no labelled, scored cases".into());
    }
    let classes = classes.max(
        data.labels
            .iter()
            .chain(&data.predicted)
            .max()
            .map_or(0, |m| m + 1),
    );
    let value_on = |labels: &[usize], predicted: &[usize]| -> Value {
        ConfusionMatrix::new(labels, predicted, classes).cohen_kappa(weights)
    };
    let estimate = value_on(&data.labels, &data.predicted).map_err(|u| u.reason)?;
    let method = test.ci.as_ref().and_then(|c| c.method);
    let percentile = matches!(method, Some(CiMethod::BootstrapPercentile));
    if !matches!(
        method,
        None | Some(CiMethod::BootstrapBca | CiMethod::BootstrapPercentile)
    ) {
        return Err(format!(
            "Cohen's kappa takes a bootstrap interval (bootstrap_bca or bootstrap_percentile), not {method:?}"
        ));
    }
    // The bootstrap resamples cases through a ranked binary sample; only its case order is
    // used here (positions map back to cases), so its labels are placeholders: correct or
    // not, and the resampling is not stratified.
    let correct: Vec<bool> = data
        .labels
        .iter()
        .zip(&data.predicted)
        .map(|(a, b)| a == b)
        .collect();
    let index: Vec<f64> = (0..correct.len()).map(|i| i as f64).collect();
    let sample = Sample::new(&correct, &index).map_err(|e| e.to_string())?;
    let statistic = |r: &Ranked, w: &[u32]| -> Value {
        let (mut labels, mut predicted) = (Vec::new(), Vec::new());
        for (position, &weight) in w.iter().enumerate() {
            let i = r.order()[position];
            for _ in 0..weight {
                labels.push(data.labels[i]);
                predicted.push(data.predicted[i]);
            }
        }
        if labels.is_empty() {
            return Err(Undefined::new("empty resample"));
        }
        value_on(&labels, &predicted)
    };
    let config = BootstrapConfig {
        resamples: test.ci.as_ref().and_then(|c| c.resamples).unwrap_or(2000),
        level: Level::new(level).map_err(|e| e.to_string())?,
        seed,
        kind: if percentile {
            BootstrapKind::Percentile
        } else {
            BootstrapKind::Bca
        },
        stratified: false,
    };
    let interval = bootstrap(
        &sample.ranked(),
        data.clusters.as_deref(),
        &config,
        &statistic,
    )
    .map_err(|e| e.to_string())?
    .map_err(|u| u.reason)?;
    Ok((estimate, bootstrap_record(&interval, percentile, level)))
}

/// The fraction of cases whose highest-scoring class changes under each level of the
/// perturbation.
fn invariance(ev: &Evaluator<'_>, test: &Test) -> Result<TestResult, String> {
    let Levels {
        variants,
        cohort,
        rows,
    } = perturbation_levels(ev, test)?;
    let mut estimates = Vec::new();
    let mut criteria = Vec::new();
    for &v in variants {
        let label = ev.plan.variants[v].label();
        let (mut flips, mut n) = (0u64, 0u64);
        for &row in rows {
            if let (Some(a), Some(b)) = (predicted_class(ev, 0, row), predicted_class(ev, v, row)) {
                n += 1;
                flips += u64::from(a != b);
            }
        }
        let (e, criterion) = flip_estimate(
            test,
            Flips {
                cohort: &cohort,
                variant: &label,
                flips,
                n,
                missing: None,
                at: Some("highest-scoring class".into()),
            },
        );
        criteria.extend(criterion);
        estimates.push(e);
    }
    Ok(finish(test, estimates, criteria))
}
