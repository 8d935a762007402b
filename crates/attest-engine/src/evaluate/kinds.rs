//! One evaluation per test kind: performance, calibration, subgroups, robustness, invariance,
//! comparison and data checks.

use std::collections::BTreeMap;

use attest_spec::catalog::{metric_info, MetricInfo};
use attest_spec::infer_kind;
use attest_spec::results::{CriterionResult, Estimate, Interval, TestResult, Verdict};
use attest_spec::types::{Correction, Criterion, Test, TestKind};
use attest_stats::ci::proportion::proportion_interval;
use attest_stats::ci::{IntervalMethod, Level};
use attest_stats::rng::{derive_seed, id_part};
use indexmap::IndexMap;

use super::criteria::{check_estimate, check_value, on, reason, worst};
use super::metric::{empty_estimate, estimate, MetricRequest};
use super::thresholds::Resolved;
use super::{BinaryData, Evaluator};
use crate::plan::test_cohorts;

/// A result with the verdict ERROR and `reason`.
pub fn error_result(test: &Test, why: String) -> TestResult {
    TestResult {
        id: test.id.clone(),
        title: test.title.clone(),
        kind: infer_kind(test),
        traces: test.traces.clone(),
        verdict: Verdict::Error,
        allow_inconclusive: test.allow_inconclusive.unwrap_or(false),
        reason: Some(why),
        estimates: Vec::new(),
        criteria: Vec::new(),
        breaking_level: None,
    }
}

/// Evaluates one test.
pub fn evaluate(
    ev: &Evaluator<'_>,
    test: &Test,
    thresholds: &IndexMap<String, Resolved>,
    image_sha256: &[Option<String>],
) -> TestResult {
    let kind = infer_kind(test);
    let outcome = match kind {
        TestKind::Data => data(ev, test, image_sha256),
        TestKind::Performance | TestKind::Calibration => performance(ev, test, thresholds),
        TestKind::Subgroups => subgroups(ev, test, thresholds),
        TestKind::Robustness => robustness(ev, test, thresholds),
        TestKind::Invariance => invariance(ev, test, thresholds),
        TestKind::Comparison => comparison(ev, test, thresholds),
    };
    match outcome {
        Ok(mut result) => {
            apply_minimums(test, &mut result);
            result
        }
        Err(why) => error_result(test, why),
    }
}

/// The metric of a test (canonical catalog entry).
pub(super) fn metric_of(test: &Test) -> Result<&'static MetricInfo, String> {
    let name = test.metric.as_deref().ok_or("the test names no metric")?;
    metric_info(name).ok_or_else(|| format!("unknown metric `{name}`"))
}

/// The operating point of a test, if any.
fn operating_point<'t>(
    ev: &Evaluator<'_>,
    test: &Test,
    thresholds: &'t IndexMap<String, Resolved>,
) -> Result<Option<&'t Resolved>, String> {
    match super::point_key(ev.spec, test) {
        None => Ok(None),
        Some(key) => thresholds
            .get(&key)
            .map(Some)
            .ok_or_else(|| format!("operating point `{key}` was not resolved")),
    }
}

/// Each case's threshold under `point`, or the first reason one is missing.
fn case_thresholds(
    point: Option<&Resolved>,
    data: &BinaryData,
) -> Result<Option<Vec<f64>>, String> {
    point
        .map(|p| {
            data.rows
                .iter()
                .map(|&r| p.threshold_for(r))
                .collect::<Result<Vec<f64>, String>>()
        })
        .transpose()
}

/// The bootstrap seed of a test on a cohort and variant.
pub(super) fn seed(ev: &Evaluator<'_>, test: &Test, cohort: &str, variant: &str) -> u64 {
    derive_seed(
        ev.spec.seed,
        &[id_part(&test.id), id_part(cohort), id_part(variant)],
    )
}

/// A metric request for `test` on `data`.
fn request<'a>(
    test: &Test,
    metric: &'static MetricInfo,
    thresholds: Option<&'a [f64]>,
    point: Option<&Resolved>,
    level: f64,
    seed: u64,
) -> MetricRequest<'a> {
    let ci = test.ci.as_ref();
    MetricRequest {
        metric,
        method: ci.and_then(|c| c.method),
        level,
        resamples: ci.and_then(|c| c.resamples).unwrap_or(2000),
        seed,
        bins: test.bins.unwrap_or(10) as usize,
        thresholds,
        at: point.map(Resolved::describe),
    }
}

/// The test's confidence level.
pub(super) fn level(test: &Test) -> f64 {
    test.ci.as_ref().and_then(|c| c.level).unwrap_or(0.95)
}

/// Which cases an estimate is computed on, and how the results name them.
#[derive(Debug, Clone, Copy)]
struct On<'a> {
    data: &'a BinaryData,
    cohort: &'a str,
    variant: &'a str,
}

/// The metric on `on.data` at the test's operating point, as one estimate.
fn metric_estimate(
    ev: &Evaluator<'_>,
    test: &Test,
    metric: &'static MetricInfo,
    point: Option<&Resolved>,
    on: On<'_>,
    level: f64,
) -> Estimate {
    let On {
        data,
        cohort,
        variant,
    } = on;
    let thresholds = if metric.needs_threshold {
        match case_thresholds(point, data) {
            Ok(t) => t,
            Err(why) => {
                let mut e = empty_estimate(metric.name, cohort, variant, data);
                e.undefined = Some(why);
                return e;
            }
        }
    } else {
        None
    };
    let req = request(
        test,
        metric,
        thresholds.as_deref(),
        point.filter(|_| metric.needs_threshold),
        level,
        seed(ev, test, cohort, variant),
    );
    estimate(&req, data, cohort, variant)
}

/// The `estimate` / `lower` / `upper` criteria of the test on each estimate.
pub(super) fn bound_criteria(test: &Test, estimates: &[Estimate]) -> Vec<CriterionResult> {
    let Some(require) = &test.require else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in estimates {
        for (quantity, criterion) in require.set() {
            if matches!(quantity, "estimate" | "lower" | "upper") {
                out.push(check_estimate(quantity, criterion, e));
            }
        }
    }
    out
}

pub(super) fn finish(
    test: &Test,
    estimates: Vec<Estimate>,
    criteria: Vec<CriterionResult>,
) -> TestResult {
    let verdict = worst(criteria.iter().map(|c| c.verdict));
    TestResult {
        id: test.id.clone(),
        title: test.title.clone(),
        kind: infer_kind(test),
        traces: test.traces.clone(),
        verdict,
        allow_inconclusive: test.allow_inconclusive.unwrap_or(false),
        reason: reason(verdict, &criteria, &estimates),
        estimates,
        criteria,
        breaking_level: None,
    }
}

/// `min_n` / `min_positives`: below them a PASS or FAIL becomes INCONCLUSIVE.
pub(super) fn apply_minimums(test: &Test, result: &mut TestResult) {
    if result.verdict == Verdict::Error {
        return;
    }
    let short = result.estimates.iter().find_map(|e| {
        if let Some(min) = test.min_n.filter(|&m| e.n < m) {
            return Some(format!("n = {} on {} is below min_n = {min}", e.n, on(e)));
        }
        match (test.min_positives, e.positives) {
            (Some(min), Some(p)) if p < min => Some(format!(
                "{p} positive cases on {} is below min_positives = {min}",
                on(e)
            )),
            _ => None,
        }
    });
    if let Some(why) = short {
        result.verdict = Verdict::Inconclusive;
        result.reason = Some(why);
    }
}

fn performance(
    ev: &Evaluator<'_>,
    test: &Test,
    thresholds: &IndexMap<String, Resolved>,
) -> Result<TestResult, String> {
    let metric = metric_of(test)?;
    let point = operating_point(ev, test, thresholds)?;
    let mut estimates = Vec::new();
    for name in test_cohorts(test) {
        let cohort = ev.cohort(&name).map_err(|e| e.to_string())?;
        let data = ev.binary(&cohort.rows, 0);
        estimates.push(metric_estimate(
            ev,
            test,
            metric,
            point,
            On {
                data: &data,
                cohort: &name,
                variant: "original",
            },
            level(test),
        ));
    }
    let criteria = bound_criteria(test, &estimates);
    Ok(finish(test, estimates, criteria))
}

/// The confidence level of each of `m` subgroup intervals under the test's correction:
/// Bonferroni's 1 − α/m for `bonferroni` and `holm` (Holm's procedure has no compatible
/// simultaneous intervals; Bonferroni's are its conservative counterpart) and for
/// `benjamini_hochberg` (likewise); the nominal level for `none`.
fn corrected_level(test: &Test, m: usize) -> f64 {
    let nominal = level(test);
    match test.correction.unwrap_or(Correction::Holm) {
        Correction::None => nominal,
        _ if m <= 1 => nominal,
        _ => 1.0 - (1.0 - nominal) / m as f64,
    }
}

fn subgroups(
    ev: &Evaluator<'_>,
    test: &Test,
    thresholds: &IndexMap<String, Resolved>,
) -> Result<TestResult, String> {
    let metric = metric_of(test)?;
    let point = operating_point(ev, test, thresholds)?;
    // (label, rows) of each subgroup.
    let groups: Vec<(String, Vec<usize>)> = match &test.across {
        Some(column) => {
            let within = test.cohort.clone().unwrap_or_else(|| "all".into());
            let rows = &ev.cohort(&within).map_err(|e| e.to_string())?.rows;
            let values = ev
                .cases
                .table
                .optional_text_column(column)
                .map_err(|e| e.to_string())?;
            let mut by_value: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for &r in rows {
                if let Some(v) = &values[r] {
                    by_value.entry(v.clone()).or_default().push(r);
                }
            }
            by_value
                .into_iter()
                .map(|(v, rows)| (format!("{within} / {column} = {v}"), rows))
                .collect()
        }
        None => test_cohorts(test)
            .into_iter()
            .map(|name| {
                let rows = ev
                    .cohort(&name)
                    .map(|c| c.rows.clone())
                    .map_err(|e| e.to_string())?;
                Ok((name, rows))
            })
            .collect::<Result<_, String>>()?,
    };
    let level = corrected_level(test, groups.len());
    let mut estimates: Vec<Estimate> = groups
        .iter()
        .map(|(label, rows)| {
            let data = ev.binary(rows, 0);
            metric_estimate(
                ev,
                test,
                metric,
                point,
                On {
                    data: &data,
                    cohort: label,
                    variant: "original",
                },
                level,
            )
        })
        .collect();
    let mut criteria = bound_criteria(test, &estimates);
    if let Some(gap_criterion) = test.require.as_ref().and_then(|r| r.gap.as_ref()) {
        let values: Vec<(f64, &str)> = estimates
            .iter()
            .filter_map(|e| e.value.map(|v| (v, e.cohort.as_str())))
            .collect();
        let undefined = values.len() < estimates.len();
        let gap = if undefined || values.len() < 2 {
            None
        } else {
            let max = values.iter().map(|v| v.0).fold(f64::NEG_INFINITY, f64::max);
            let min = values.iter().map(|v| v.0).fold(f64::INFINITY, f64::min);
            Some(max - min)
        };
        let mut gap_estimate = Estimate {
            metric: format!("gap:{}", metric.name),
            cohort: groups
                .iter()
                .map(|g| g.0.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            variant: Some("original".into()),
            value: gap,
            n: estimates.iter().map(|e| e.n).sum(),
            positives: None,
            negatives: None,
            clusters: None,
            at: point.map(Resolved::describe),
            ci: None,
            adjusted_p: None,
            undefined: None,
        };
        if gap.is_none() {
            gap_estimate.undefined = Some(if values.len() < 2 && !undefined {
                "fewer than two subgroups".into()
            } else {
                "a subgroup's estimate is undefined".into()
            });
        }
        criteria.push(check_value(
            "gap",
            gap_criterion,
            groups
                .iter()
                .map(|g| g.0.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            gap,
        ));
        estimates.push(gap_estimate);
    }
    Ok(finish(test, estimates, criteria))
}

/// The worsening from `original` to `perturbed`: positive when the perturbed value is worse.
fn worsening(metric: &MetricInfo, original: f64, perturbed: f64) -> f64 {
    if metric.higher_is_better {
        original - perturbed
    } else {
        perturbed - original
    }
}

/// The interval of a robustness drop (worsening from the unperturbed to the perturbed
/// images of the same cases): the paired difference of `compare::difference` (DeLong for
/// AUC, a paired bootstrap otherwise), turned so that a positive drop is a worsening.
/// `None` where the interval is undefined; the drop itself is still reported.
fn drop_interval(
    ev: &Evaluator<'_>,
    test: &Test,
    metric: &'static MetricInfo,
    point: Option<&Resolved>,
    (original, perturbed): (&BinaryData, &BinaryData),
    cohort: &str,
    label: &str,
) -> Option<Interval> {
    let difference = super::compare::difference(
        test,
        metric,
        super::compare::Pair {
            ours: (original, point),
            theirs: (perturbed, point),
        },
        cohort,
        level(test),
        seed(ev, test, cohort, &format!("drop {label}")),
    );
    let ci = difference.ci?;
    Some(if metric.higher_is_better {
        ci
    } else {
        Interval {
            lower: -ci.upper,
            upper: -ci.lower,
            ..ci
        }
    })
}

fn robustness(
    ev: &Evaluator<'_>,
    test: &Test,
    thresholds: &IndexMap<String, Resolved>,
) -> Result<TestResult, String> {
    let metric = metric_of(test)?;
    let point = operating_point(ev, test, thresholds)?;
    let Levels {
        variants,
        cohort: cohort_name,
        rows,
    } = perturbation_levels(ev, test)?;
    let mut estimates = Vec::new();
    let mut criteria = Vec::new();
    let mut breaking = None;
    let original_all = ev.binary(rows, 0);
    for &v in variants {
        let label = ev.plan.variants[v].label();
        // Compare on the same cases: those scored both unperturbed and perturbed.
        let (original, perturbed) = BinaryData::paired(&original_all, &ev.binary(rows, v));
        let base = metric_estimate(
            ev,
            test,
            metric,
            point,
            On {
                data: &original,
                cohort: &cohort_name,
                variant: "original",
            },
            level(test),
        );
        let shifted = metric_estimate(
            ev,
            test,
            metric,
            point,
            On {
                data: &perturbed,
                cohort: &cohort_name,
                variant: &label,
            },
            level(test),
        );
        let mut level_criteria = bound_criteria(test, std::slice::from_ref(&shifted));
        if let Some(drop_criterion) = test.require.as_ref().and_then(|r| r.drop.as_ref()) {
            let drop = match (base.value, shifted.value) {
                (Some(a), Some(b)) => Some(worsening(metric, a, b)),
                _ => None,
            };
            level_criteria.push(check_value(
                "drop",
                drop_criterion,
                format!("{cohort_name} ({label})"),
                drop,
            ));
            let ci = drop.and_then(|_| {
                drop_interval(
                    ev,
                    test,
                    metric,
                    point,
                    (&original, &perturbed),
                    &cohort_name,
                    &label,
                )
            });
            estimates.push(Estimate {
                metric: format!("drop:{}", metric.name),
                cohort: cohort_name.clone(),
                variant: Some(label.clone()),
                value: drop,
                n: shifted.n,
                positives: shifted.positives,
                negatives: shifted.negatives,
                clusters: None,
                at: shifted.at.clone(),
                ci,
                adjusted_p: None,
                undefined: drop.is_none().then(|| "an estimate is undefined".into()),
            });
        }
        if breaking.is_none() && level_criteria.iter().any(|c| c.verdict == Verdict::Fail) {
            breaking = Some(label.clone());
        }
        if estimates
            .iter()
            .all(|e: &Estimate| e.metric != metric.name || e.variant.as_deref() != Some("original"))
        {
            estimates.insert(0, base);
        }
        estimates.push(shifted);
        criteria.extend(level_criteria);
    }
    let mut result = finish(test, estimates, criteria);
    result.breaking_level = breaking;
    Ok(result)
}

fn invariance(
    ev: &Evaluator<'_>,
    test: &Test,
    thresholds: &IndexMap<String, Resolved>,
) -> Result<TestResult, String> {
    let point = operating_point(ev, test, thresholds)?.ok_or("an invariance test of a binary model needs `at:` (the operating point whose decisions must not flip)")?;
    let Levels {
        variants,
        cohort: cohort_name,
        rows,
    } = perturbation_levels(ev, test)?;
    let mut estimates = Vec::new();
    let mut criteria = Vec::new();
    for &v in variants {
        let label = ev.plan.variants[v].label();
        // Labels do not matter for flips; every scored case counts.
        let mut flips = 0u64;
        let mut n = 0u64;
        let mut missing = None;
        for &row in rows {
            let (Some(a), Some(b)) = (
                ev.score_of(ev.predictions, 0, row),
                ev.score_of(ev.predictions, v, row),
            ) else {
                continue;
            };
            match point.threshold_for(row) {
                Ok(t) => {
                    n += 1;
                    if (a >= t) != (b >= t) {
                        flips += 1;
                    }
                }
                Err(why) => missing = missing.or(Some(why)),
            }
        }
        let (e, criterion) = flip_estimate(
            test,
            Flips {
                cohort: &cohort_name,
                variant: &label,
                flips,
                n,
                missing,
                at: Some(point.describe()),
            },
        );
        criteria.extend(criterion);
        estimates.push(e);
    }
    Ok(finish(test, estimates, criteria))
}

fn comparison(
    ev: &Evaluator<'_>,
    test: &Test,
    thresholds: &IndexMap<String, Resolved>,
) -> Result<TestResult, String> {
    let metric = metric_of(test)?;
    let reference = test
        .reference
        .as_deref()
        .ok_or("the test names no reference")?;
    let reference_predictions = ev
        .references
        .get(reference)
        .ok_or_else(|| format!("reference `{reference}` was not scored"))?;
    let point = operating_point(ev, test, thresholds)?;
    let reference_point = match (&test.at, point) {
        (Some(at), Some(_)) => {
            let definition = ev
                .spec
                .operating_points
                .get(at)
                .ok_or_else(|| format!("no operating point `{at}`"))?;
            Some(
                super::thresholds::resolve(ev, reference_predictions, at, definition)
                    .map_err(|e| e.to_string())?,
            )
        }
        _ => None,
    };
    let level = level(test);
    let mut estimates = Vec::new();
    let mut criteria = Vec::new();
    for name in test_cohorts(test) {
        let rows = &ev.cohort(&name).map_err(|e| e.to_string())?.rows;
        let (ours, theirs) = BinaryData::paired(
            &ev.binary(rows, 0),
            &ev.binary_from(reference_predictions, rows, 0),
        );
        let a = metric_estimate(
            ev,
            test,
            metric,
            point,
            On {
                data: &ours,
                cohort: &name,
                variant: "original",
            },
            level,
        );
        let mut b = metric_estimate(
            ev,
            test,
            metric,
            reference_point.as_ref(),
            On {
                data: &theirs,
                cohort: &name,
                variant: "original",
            },
            level,
        );
        b.metric = format!("{}:{reference}", metric.name);
        let difference = super::compare::difference(
            test,
            metric,
            super::compare::Pair {
                ours: (&ours, point),
                theirs: (&theirs, reference_point.as_ref()),
            },
            &name,
            level,
            seed(ev, test, &name, reference),
        );
        for (quantity, criterion) in test.require.as_ref().map(|r| r.set()).unwrap_or_default() {
            if matches!(quantity, "estimate" | "lower" | "upper") {
                criteria.push(check_estimate(quantity, criterion, &difference));
            }
        }
        if let Some(margin) = test.margin {
            let criterion = Criterion(format!("> {}", -margin));
            let mut c = check_estimate("lower", &criterion, &difference);
            c.quantity = "margin".into();
            criteria.push(c);
        }
        estimates.extend([a, b, difference]);
    }
    Ok(finish(test, estimates, criteria))
}

fn data(
    ev: &Evaluator<'_>,
    test: &Test,
    image_sha256: &[Option<String>],
) -> Result<TestResult, String> {
    let checks = test.checks.as_ref().ok_or("a data test needs `checks`")?;
    let mut estimates = Vec::new();
    let mut criteria = Vec::new();
    for name in test_cohorts(test) {
        let cohort = ev.cohort(&name).map_err(|e| e.to_string())?;
        let n = cohort.rows.len() as u64;
        let count = |metric: &str, value: u64| Estimate {
            metric: metric.into(),
            cohort: name.clone(),
            variant: None,
            value: Some(value as f64),
            n,
            positives: cohort.positives.map(|p| p as u64),
            negatives: cohort.negatives.map(|p| p as u64),
            clusters: None,
            at: None,
            ci: None,
            adjusted_p: None,
            undefined: None,
        };
        let minimum = |quantity: &str, min: u64, value: Option<u64>| {
            check_value(
                quantity,
                &Criterion(format!(">= {min}")),
                name.clone(),
                value.map(|v| v as f64),
            )
        };
        if let Some(min) = checks.min_cases {
            criteria.push(minimum("min_cases", min, Some(n)));
            estimates.push(count("cases", n));
        }
        if let Some(min) = checks.min_positives {
            criteria.push(minimum(
                "min_positives",
                min,
                cohort.positives.map(|p| p as u64),
            ));
            estimates.push(count("positives", cohort.positives.unwrap_or(0) as u64));
        }
        if let Some(min) = checks.min_negatives {
            criteria.push(minimum(
                "min_negatives",
                min,
                cohort.negatives.map(|p| p as u64),
            ));
            estimates.push(count("negatives", cohort.negatives.unwrap_or(0) as u64));
        }
        if checks.duplicate_images == Some(true) {
            let mut seen: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            let mut unhashed = 0u64;
            for &r in &cohort.rows {
                match image_sha256.get(r).and_then(Option::as_ref) {
                    Some(h) => seen.entry(h.as_str()).or_default().push(r),
                    None => unhashed += 1,
                }
            }
            let duplicates: u64 = seen
                .values()
                .filter(|g| g.len() > 1)
                .map(|g| g.len() as u64 - 1)
                .sum();
            let value = (unhashed == 0).then_some(duplicates as f64);
            let mut c = check_value(
                "duplicate_images",
                &Criterion("<= 0".into()),
                name.clone(),
                value,
            );
            if unhashed > 0 {
                c.verdict = Verdict::Error;
            }
            criteria.push(c);
            let mut e = count("duplicate_images", duplicates);
            if unhashed > 0 {
                e.value = None;
                e.undefined = Some(format!("{unhashed} image(s) could not be read to hash"));
            } else if duplicates > 0 {
                let example: Vec<&str> = seen
                    .values()
                    .find(|g| g.len() > 1)
                    .map(|g| g.iter().map(|&r| ev.cases.ids[r].as_str()).collect())
                    .unwrap_or_default();
                e.at = Some(format!("e.g. identical images: {}", example.join(", ")));
            }
            estimates.push(e);
        }
        if let Some(criterion) = &checks.label_missingness {
            let fraction = if n == 0 {
                None
            } else {
                Some(cohort.unlabelled as f64 / n as f64)
            };
            criteria.push(check_value(
                "label_missingness",
                criterion,
                name.clone(),
                fraction,
            ));
            let mut e = count("label_missingness", 0);
            e.value = fraction;
            if fraction.is_none() {
                e.undefined = Some("empty cohort".into());
            }
            estimates.push(e);
        }
    }
    Ok(finish(test, estimates, criteria))
}

/// What a robustness or invariance test compares: the variants of its perturbation (in
/// level order) on the rows of its cohort.
pub(super) struct Levels<'e> {
    /// The perturbation's variants, by plan index.
    pub variants: &'e [usize],
    /// The cohort's name.
    pub cohort: String,
    /// The cohort's rows.
    pub rows: &'e [usize],
}

/// The perturbation levels and cohort of a robustness or invariance test.
pub(super) fn perturbation_levels<'e>(
    ev: &Evaluator<'e>,
    test: &Test,
) -> Result<Levels<'e>, String> {
    let name = test
        .perturbation
        .as_deref()
        .ok_or("the test names no perturbation")?;
    let variants = ev
        .plan
        .perturbations
        .get(name)
        .ok_or_else(|| format!("perturbation `{name}` was not planned"))?;
    let cohort = test_cohorts(test)
        .into_iter()
        .next()
        .unwrap_or_else(|| "all".into());
    let rows = &ev.cohort(&cohort).map_err(|e| e.to_string())?.rows;
    Ok(Levels {
        variants,
        cohort,
        rows,
    })
}

/// Decisions that changed under one perturbation level.
#[derive(Debug, Clone)]
pub(super) struct Flips<'a> {
    /// The cohort.
    pub cohort: &'a str,
    /// The variant's label.
    pub variant: &'a str,
    /// Cases whose decision changed.
    pub flips: u64,
    /// Cases compared.
    pub n: u64,
    /// Why some case had no decision (then the rate is undefined).
    pub missing: Option<String>,
    /// How the decision was made.
    pub at: Option<String>,
}

/// The flip rate with its Wilson interval, and the test's `flip_rate` criterion on it.
pub(super) fn flip_estimate(test: &Test, flips: Flips<'_>) -> (Estimate, Option<CriterionResult>) {
    let level = level(test);
    let Flips {
        cohort,
        variant,
        flips,
        n,
        missing,
        at,
    } = flips;
    let mut e = Estimate {
        metric: "flip_rate".into(),
        cohort: cohort.to_string(),
        variant: Some(variant.to_string()),
        value: None,
        n,
        positives: None,
        negatives: None,
        clusters: None,
        at,
        ci: None,
        adjusted_p: None,
        undefined: None,
    };
    if let Some(why) = missing {
        e.undefined = Some(why);
    } else if n == 0 {
        e.undefined = Some("no scored cases".into());
    } else {
        e.value = Some(flips as f64 / n as f64);
        let interval = Level::new(level)
            .ok()
            .and_then(|l| proportion_interval(IntervalMethod::Wilson, flips, n, l).ok())
            .and_then(Result::ok);
        e.ci = interval.map(|i| attest_spec::results::Interval {
            lower: i.lower,
            upper: i.upper,
            method: attest_spec::types::CiMethod::Wilson,
            level,
            resamples: None,
            seed: None,
        });
    }
    let criterion = test
        .require
        .as_ref()
        .and_then(|r| r.flip_rate.as_ref())
        .map(|c| check_value("flip_rate", c, format!("{cohort} ({variant})"), e.value));
    (e, criterion)
}
