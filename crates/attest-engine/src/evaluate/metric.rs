//! One binary metric on one set of cases, with its confidence interval: the method the test
//! asks for, or the spec's default (Wilson for proportions, DeLong for AUC, BCa bootstrap
//! otherwise), the bootstrap stratified by label, clustered by `data.cluster` and seeded from
//! the run seed and the test, cohort and variant.

use attest_spec::catalog::{MetricFamily, MetricInfo};
use attest_spec::results::{Estimate, Interval};
use attest_spec::types::CiMethod;
use attest_stats::binary::ThresholdMetric;
use attest_stats::ci::bootstrap::{bootstrap, BootstrapConfig, BootstrapKind};
use attest_stats::ci::delong::delong;
use attest_stats::ci::proportion::proportion_interval;
use attest_stats::ci::{IntervalMethod, Level};
use attest_stats::metric::{evaluate_binary, MetricOptions};
use attest_stats::roc::{weighted_auc, weighted_average_precision};
use attest_stats::{Counts, Ranked, Sample, WeightedCounts};

use super::BinaryData;

/// What to compute and how.
#[derive(Debug, Clone)]
pub struct MetricRequest<'a> {
    /// The metric (canonical entry).
    pub metric: &'static MetricInfo,
    /// The interval method (`None`: the default for the metric).
    pub method: Option<CiMethod>,
    /// Confidence level.
    pub level: f64,
    /// Bootstrap resamples.
    pub resamples: u32,
    /// Bootstrap seed, derived by the caller.
    pub seed: u64,
    /// ECE bins.
    pub bins: usize,
    /// Each case's threshold (same order as the data), for threshold metrics.
    pub thresholds: Option<&'a [f64]>,
    /// How the results describe the threshold(s).
    pub at: Option<String>,
}

/// The default interval method of a metric family.
pub fn default_method(metric: &MetricInfo) -> CiMethod {
    match metric.family {
        MetricFamily::Proportion => CiMethod::Wilson,
        MetricFamily::Auc => CiMethod::Delong,
        MetricFamily::Other | MetricFamily::Count => CiMethod::BootstrapBca,
    }
}

/// The statistics crate's name of a spec interval method.
pub fn interval_method(method: CiMethod) -> Option<IntervalMethod> {
    let name = serde_json::to_value(method).ok()?;
    IntervalMethod::from_name(name.as_str()?)
}

/// The spec's name of a statistics interval method.
pub fn spec_method(method: IntervalMethod) -> Option<CiMethod> {
    serde_json::from_value(serde_json::Value::String(method.name().to_string())).ok()
}

/// A bootstrap interval as the results record it: bounds, method, level, resamples, seed.
pub fn bootstrap_record(
    interval: &attest_stats::ci::bootstrap::BootstrapInterval,
    percentile: bool,
    level: f64,
) -> Interval {
    Interval {
        lower: interval.interval.lower,
        upper: interval.interval.upper,
        method: if percentile {
            CiMethod::BootstrapPercentile
        } else {
            CiMethod::BootstrapBca
        },
        level,
        resamples: Some(interval.resamples),
        seed: Some(interval.seed),
    }
}

/// An estimate with nothing computed yet.
pub fn empty_estimate(metric: &str, cohort: &str, variant: &str, data: &BinaryData) -> Estimate {
    Estimate {
        metric: metric.to_string(),
        cohort: cohort.to_string(),
        variant: Some(variant.to_string()),
        value: None,
        n: data.labels.len() as u64,
        positives: Some(data.labels.iter().filter(|&&l| l).count() as u64),
        negatives: Some(data.labels.iter().filter(|&&l| !l).count() as u64),
        clusters: data.cluster_count(),
        at: None,
        ci: None,
        adjusted_p: None,
        undefined: None,
    }
}

/// Computes `request` on `data` into an estimate for `cohort` / `variant`.
pub fn estimate(
    request: &MetricRequest<'_>,
    data: &BinaryData,
    cohort: &str,
    variant: &str,
) -> Estimate {
    let mut out = empty_estimate(request.metric.name, cohort, variant, data);
    out.at = request.at.clone();
    if let Err(reason) = compute(request, data, &mut out) {
        out.value = None;
        out.ci = None;
        out.undefined = Some(reason);
    }
    out
}

fn compute(
    request: &MetricRequest<'_>,
    data: &BinaryData,
    out: &mut Estimate,
) -> Result<(), String> {
    let name = request.metric.name;
    let sample = Sample::new(&data.labels, &data.scores).map_err(|e| e.to_string())?;
    let level = Level::new(request.level).map_err(|e| e.to_string())?;
    let method = request
        .method
        .unwrap_or_else(|| default_method(request.metric));
    let stats_method =
        interval_method(method).ok_or_else(|| format!("unknown interval method {method:?}"))?;
    let threshold_metric = ThresholdMetric::from_name(name);
    // Point estimate.
    let predicted: Option<Vec<bool>> = match (threshold_metric, request.thresholds) {
        (Some(_), Some(t)) => Some(data.scores.iter().zip(t).map(|(s, t)| s >= t).collect()),
        (Some(_), None) => return Err(format!("`{name}` needs an operating point (`at:`)")),
        _ => None,
    };
    let counts = predicted
        .as_ref()
        .map(|p| Counts::from_predictions(&data.labels, p));
    let value = match (threshold_metric, &counts) {
        (Some(m), Some(c)) => m.compute(&c.weighted()),
        _ => {
            let options = MetricOptions {
                threshold: None,
                bins: request.bins,
                ..MetricOptions::default()
            };
            evaluate_binary(name, &sample, &options).map_err(|e| e.to_string())?
        }
    };
    let value = value.map_err(|u| u.reason)?;
    out.value = Some(value);
    // Interval.
    let interval = match stats_method {
        IntervalMethod::Wilson
        | IntervalMethod::ClopperPearson
        | IntervalMethod::Jeffreys
        | IntervalMethod::AgrestiCoull => {
            let (x, n) = match (threshold_metric, &counts) {
                (Some(m), Some(c)) => m.as_proportion(c).ok_or_else(|| {
                    format!("`{name}` is not a proportion; use a bootstrap interval")
                })?,
                _ if name == "prevalence" => (
                    data.labels.iter().filter(|&&l| l).count() as u64,
                    data.labels.len() as u64,
                ),
                _ => {
                    return Err(format!(
                        "`{name}` is not a proportion; use a bootstrap interval"
                    ))
                }
            };
            let i = proportion_interval(stats_method, x, n, level)
                .map_err(|e| e.to_string())?
                .map_err(|u| u.reason)?;
            out.n = n;
            Interval {
                lower: i.lower,
                upper: i.upper,
                method,
                level: request.level,
                resamples: None,
                seed: None,
            }
        }
        IntervalMethod::Delong => {
            let d = delong(&sample.ranked(), level).map_err(|u| u.reason)?;
            Interval {
                lower: d.interval.lower,
                upper: d.interval.upper,
                method,
                level: request.level,
                resamples: None,
                seed: None,
            }
        }
        IntervalMethod::BootstrapPercentile | IntervalMethod::BootstrapBca => {
            let config = BootstrapConfig {
                resamples: request.resamples,
                level,
                seed: request.seed,
                kind: if stats_method == IntervalMethod::BootstrapBca {
                    BootstrapKind::Bca
                } else {
                    BootstrapKind::Percentile
                },
                stratified: true,
            };
            let ranked = sample.ranked();
            let options = MetricOptions {
                threshold: None,
                bins: request.bins,
                ..MetricOptions::default()
            };
            let statistic = |r: &Ranked, w: &[u32]| -> attest_stats::Value {
                match (threshold_metric, &predicted) {
                    (Some(m), Some(p)) => m.compute(&weighted_counts(r, w, p)),
                    _ => match name {
                        "auc" => weighted_auc(r, Some(w)),
                        "average_precision" => weighted_average_precision(r, Some(w)),
                        _ => expanded(r, w, |s| {
                            evaluate_binary(name, s, &options).unwrap_or_else(|e| {
                                Err(attest_stats::Undefined::new(e.to_string()))
                            })
                        }),
                    },
                }
            };
            let b = bootstrap(&ranked, data.clusters.as_deref(), &config, &statistic)
                .map_err(|e| e.to_string())?
                .map_err(|u| u.reason)?;
            Interval {
                lower: b.interval.lower,
                upper: b.interval.upper,
                method,
                level: request.level,
                resamples: Some(b.resamples),
                seed: Some(b.seed),
            }
        }
        IntervalMethod::Newcombe => {
            return Err(
                "`newcombe` applies to differences of proportions, not to one estimate".into(),
            )
        }
    };
    out.ci = Some(interval);
    Ok(())
}

/// Weighted confusion counts of fixed per-case predictions (`predicted` in original order;
/// `weights` in the ranked order).
fn weighted_counts(ranked: &Ranked, weights: &[u32], predicted: &[bool]) -> WeightedCounts {
    let mut c = WeightedCounts {
        tp: 0.0,
        fp: 0.0,
        tn: 0.0,
        fn_: 0.0,
    };
    for (position, &w) in weights.iter().enumerate() {
        if w == 0 {
            continue;
        }
        let w = f64::from(w);
        let original = ranked.order()[position];
        match (ranked.labels()[position], predicted[original]) {
            (true, true) => c.tp += w,
            (true, false) => c.fn_ += w,
            (false, true) => c.fp += w,
            (false, false) => c.tn += w,
        }
    }
    c
}

/// A statistic without a weighted form, computed on the replicate written out case by case.
fn expanded(
    ranked: &Ranked,
    weights: &[u32],
    statistic: impl Fn(&Sample<'_>) -> attest_stats::Value,
) -> attest_stats::Value {
    let total: usize = weights.iter().map(|&w| w as usize).sum();
    let mut labels = Vec::with_capacity(total);
    let mut scores = Vec::with_capacity(total);
    for (position, &w) in weights.iter().enumerate() {
        for _ in 0..w {
            labels.push(ranked.labels()[position]);
            scores.push(ranked.scores()[position]);
        }
    }
    match Sample::new(&labels, &scores) {
        Ok(s) => statistic(&s),
        Err(e) => Err(attest_stats::Undefined::new(e.to_string())),
    }
}
