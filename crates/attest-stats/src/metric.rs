//! Metrics by name: the spec's catalog names (`attest_spec::catalog::METRICS`) mapped to the
//! functions of this crate, so the engine evaluates a test's `metric:` without its own table
//! and a test can prove that every catalog name is implemented.

use crate::binary::{prevalence, ThresholdMetric};
use crate::calibration::{brier, calibration_fit, calibration_in_the_large, ece, log_loss};
use crate::counts::Counts;
use crate::error::{StatsError, Value};
use crate::multiclass::{KappaWeights, Multiclass};
use crate::roc::{auc, average_precision, partial_auc};
use crate::sample::Sample;

/// Settings some metrics need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricOptions {
    /// Threshold for threshold metrics (positive iff score ≥ it).
    pub threshold: Option<f64>,
    /// Equal-width bins of `ece` (default 10).
    pub bins: usize,
    /// Specificity range of `partial_auc` (default 0.8–1.0, the high-specificity region a
    /// screening device operates in).
    pub specificity_range: (f64, f64),
}

impl Default for MetricOptions {
    fn default() -> Self {
        MetricOptions {
            threshold: None,
            bins: 10,
            specificity_range: (0.8, 1.0),
        }
    }
}

/// Metric names this module evaluates on binary samples.
pub const BINARY_METRICS: &[&str] = &[
    "sensitivity",
    "specificity",
    "fpr",
    "fnr",
    "ppv",
    "npv",
    "accuracy",
    "balanced_accuracy",
    "f1",
    "mcc",
    "youden_j",
    "lr_positive",
    "lr_negative",
    "auc",
    "partial_auc",
    "average_precision",
    "prevalence",
    "brier",
    "log_loss",
    "ece",
    "calibration_slope",
    "calibration_intercept",
];

/// Metric names this module evaluates on multiclass samples (besides one-vs-rest binary
/// metrics).
pub const MULTICLASS_METRICS: &[&str] = &[
    "accuracy",
    "cohen_kappa",
    "cohen_kappa_linear",
    "cohen_kappa_quadratic",
];

/// Evaluates the binary metric with canonical `name` on `sample`.
pub fn evaluate_binary(
    name: &str,
    sample: &Sample<'_>,
    options: &MetricOptions,
) -> Result<Value, StatsError> {
    if let Some(metric) = ThresholdMetric::from_name(name) {
        let threshold = options.threshold.ok_or_else(|| {
            StatsError::invalid("threshold", "none", "a threshold for a threshold metric")
        })?;
        return Ok(metric.compute(&Counts::at_threshold(sample, threshold).weighted()));
    }
    Ok(match name {
        "auc" => auc(&sample.ranked()),
        "partial_auc" => {
            let (from, to) = options.specificity_range;
            partial_auc(&sample.ranked(), from, to)?.and_then(|p| p.mcclish)
        }
        "average_precision" => average_precision(&sample.ranked()),
        "prevalence" => prevalence(&Counts::at_threshold(sample, f64::INFINITY)),
        "brier" => brier(sample),
        "log_loss" => log_loss(sample),
        "ece" => ece(sample, options.bins)?.map(|e| e.value),
        "calibration_slope" => calibration_fit(sample).map(|f| f.slope),
        "calibration_intercept" => calibration_in_the_large(sample),
        _ => {
            return Err(StatsError::invalid(
                "metric",
                name,
                "a binary metric of the catalog",
            ))
        }
    })
}

/// Evaluates the multiclass metric with canonical `name`.
pub fn evaluate_multiclass(name: &str, sample: &Multiclass<'_>) -> Result<Value, StatsError> {
    let cm = sample.confusion();
    Ok(match name {
        "accuracy" => cm.accuracy(),
        "cohen_kappa" => cm.cohen_kappa(KappaWeights::Unweighted),
        "cohen_kappa_linear" => cm.cohen_kappa(KappaWeights::Linear),
        "cohen_kappa_quadratic" => cm.cohen_kappa(KappaWeights::Quadratic),
        _ => {
            return Err(StatsError::invalid(
                "metric",
                name,
                "a multiclass metric (accuracy, cohen_kappa…) or a binary metric with `class:`/`average:`",
            ))
        }
    })
}
