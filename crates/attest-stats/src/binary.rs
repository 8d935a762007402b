//! Binary metrics at a threshold.
//!
//! Every metric is a function of the four confusion counts. Those that are binomial
//! proportions (sensitivity, specificity, FPR, FNR, PPV, NPV, accuracy) also say which
//! successes out of which trials they are, so proportion intervals can be put on them.

use serde::Serialize;

use crate::counts::{Counts, WeightedCounts};
use crate::error::{ratio, StatsError, Undefined, Value};

/// A metric computed from the confusion counts at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdMetric {
    /// TP / (TP + FN): the share of positive cases called positive (recall, TPR).
    Sensitivity,
    /// TN / (TN + FP): the share of negative cases called negative (TNR).
    Specificity,
    /// FP / (FP + TN) = 1 − specificity.
    Fpr,
    /// FN / (FN + TP) = 1 − sensitivity.
    Fnr,
    /// TP / (TP + FP): positive predictive value (precision).
    Ppv,
    /// TN / (TN + FN): negative predictive value.
    Npv,
    /// (TP + TN) / n.
    Accuracy,
    /// (sensitivity + specificity) / 2.
    BalancedAccuracy,
    /// 2 TP / (2 TP + FP + FN), the harmonic mean of PPV and sensitivity.
    F1,
    /// Matthews correlation coefficient.
    Mcc,
    /// Youden's J = sensitivity + specificity − 1.
    YoudenJ,
    /// Positive likelihood ratio, sensitivity / (1 − specificity).
    LrPositive,
    /// Negative likelihood ratio, (1 − sensitivity) / specificity.
    LrNegative,
}

impl ThresholdMetric {
    /// Every threshold metric, in report order.
    pub const ALL: [ThresholdMetric; 13] = [
        ThresholdMetric::Sensitivity,
        ThresholdMetric::Specificity,
        ThresholdMetric::Fpr,
        ThresholdMetric::Fnr,
        ThresholdMetric::Ppv,
        ThresholdMetric::Npv,
        ThresholdMetric::Accuracy,
        ThresholdMetric::BalancedAccuracy,
        ThresholdMetric::F1,
        ThresholdMetric::Mcc,
        ThresholdMetric::YoudenJ,
        ThresholdMetric::LrPositive,
        ThresholdMetric::LrNegative,
    ];

    /// The canonical name, as in the spec's metric catalog.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdMetric::Sensitivity => "sensitivity",
            ThresholdMetric::Specificity => "specificity",
            ThresholdMetric::Fpr => "fpr",
            ThresholdMetric::Fnr => "fnr",
            ThresholdMetric::Ppv => "ppv",
            ThresholdMetric::Npv => "npv",
            ThresholdMetric::Accuracy => "accuracy",
            ThresholdMetric::BalancedAccuracy => "balanced_accuracy",
            ThresholdMetric::F1 => "f1",
            ThresholdMetric::Mcc => "mcc",
            ThresholdMetric::YoudenJ => "youden_j",
            ThresholdMetric::LrPositive => "lr_positive",
            ThresholdMetric::LrNegative => "lr_negative",
        }
    }

    /// Looks a metric up by its canonical name.
    pub fn from_name(name: &str) -> Option<ThresholdMetric> {
        ThresholdMetric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The metric's value from (possibly weighted) counts.
    pub fn compute(self, c: &WeightedCounts) -> Value {
        let pos = c.tp + c.fn_;
        let neg = c.tn + c.fp;
        let sens = || ratio(c.tp, pos, "the number of positive cases");
        let spec = || ratio(c.tn, neg, "the number of negative cases");
        match self {
            ThresholdMetric::Sensitivity => sens(),
            ThresholdMetric::Specificity => spec(),
            ThresholdMetric::Fpr => ratio(c.fp, neg, "the number of negative cases"),
            ThresholdMetric::Fnr => ratio(c.fn_, pos, "the number of positive cases"),
            ThresholdMetric::Ppv => ratio(c.tp, c.tp + c.fp, "the number of cases called positive"),
            ThresholdMetric::Npv => {
                ratio(c.tn, c.tn + c.fn_, "the number of cases called negative")
            }
            ThresholdMetric::Accuracy => ratio(c.tp + c.tn, pos + neg, "the number of cases"),
            ThresholdMetric::BalancedAccuracy => Ok((sens()? + spec()?) / 2.0),
            ThresholdMetric::F1 => ratio(
                2.0 * c.tp,
                2.0 * c.tp + c.fp + c.fn_,
                "2·TP + FP + FN (no positive cases and none called positive)",
            ),
            ThresholdMetric::Mcc => {
                let called_pos = c.tp + c.fp;
                let called_neg = c.tn + c.fn_;
                let product = pos * neg * called_pos * called_neg;
                if product == 0.0 {
                    return Err(Undefined::new(
                        "a margin of the confusion matrix is zero (one class absent or never predicted)",
                    ));
                }
                Ok((c.tp * c.tn - c.fp * c.fn_) / product.sqrt())
            }
            ThresholdMetric::YoudenJ => Ok(sens()? + spec()? - 1.0),
            ThresholdMetric::LrPositive => {
                let fpr = 1.0 - spec()?;
                if c.fp == 0.0 {
                    return Err(Undefined::new("specificity is 1 (no false positives)"));
                }
                Ok(sens()? / fpr)
            }
            ThresholdMetric::LrNegative => {
                let s = spec()?;
                if c.tn == 0.0 {
                    return Err(Undefined::new("specificity is 0 (no true negatives)"));
                }
                Ok((1.0 - sens()?) / s)
            }
        }
    }

    /// For binomial proportions, (successes, trials); `None` for the other metrics.
    pub fn as_proportion(self, c: &Counts) -> Option<(u64, u64)> {
        match self {
            ThresholdMetric::Sensitivity => Some((c.tp, c.tp + c.fn_)),
            ThresholdMetric::Specificity => Some((c.tn, c.tn + c.fp)),
            ThresholdMetric::Fpr => Some((c.fp, c.tn + c.fp)),
            ThresholdMetric::Fnr => Some((c.fn_, c.tp + c.fn_)),
            ThresholdMetric::Ppv => Some((c.tp, c.tp + c.fp)),
            ThresholdMetric::Npv => Some((c.tn, c.tn + c.fn_)),
            ThresholdMetric::Accuracy => Some((c.tp + c.tn, c.total())),
            _ => None,
        }
    }

    /// The number of cases the metric is estimated on, as reports print it ("n").
    pub fn denominator(self, c: &Counts) -> u64 {
        self.as_proportion(c).map_or(c.total(), |(_, n)| n)
    }
}

/// Observed prevalence, positives / n.
pub fn prevalence(c: &Counts) -> Value {
    ratio(
        c.positives() as f64,
        c.total() as f64,
        "the number of cases",
    )
}

/// PPV and NPV recomputed for a stated prevalence with Bayes' theorem, for a population whose
/// prevalence differs from the test set's (e.g. an enriched test set, a screening population).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictiveValues {
    /// The prevalence assumed.
    pub prevalence: f64,
    /// sens·p / (sens·p + (1 − spec)·(1 − p)).
    pub ppv: Value,
    /// spec·(1 − p) / (spec·(1 − p) + (1 − sens)·p).
    pub npv: Value,
}

/// PPV and NPV at `prevalence` from the sensitivity and specificity of `counts`.
pub fn predictive_values_at(
    counts: &Counts,
    prevalence: f64,
) -> Result<PredictiveValues, StatsError> {
    if !(0.0..=1.0).contains(&prevalence) {
        return Err(StatsError::invalid(
            "prevalence",
            prevalence,
            "a proportion in [0, 1]",
        ));
    }
    let w = counts.weighted();
    let sens = ThresholdMetric::Sensitivity.compute(&w);
    let spec = ThresholdMetric::Specificity.compute(&w);
    let (ppv, npv) = match (sens, spec) {
        (Ok(se), Ok(sp)) => {
            let p = prevalence;
            (
                ratio(
                    se * p,
                    se * p + (1.0 - sp) * (1.0 - p),
                    "the share of cases called positive",
                ),
                ratio(
                    sp * (1.0 - p),
                    sp * (1.0 - p) + (1.0 - se) * p,
                    "the share of cases called negative",
                ),
            )
        }
        (Err(e), _) | (_, Err(e)) => (Err(e.clone()), Err(e)),
    };
    Ok(PredictiveValues {
        prevalence,
        ppv,
        npv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(tp: u64, fp: u64, tn: u64, fn_: u64) -> WeightedCounts {
        Counts { tp, fp, tn, fn_ }.weighted()
    }

    #[test]
    fn zero_denominators_are_undefined_with_a_reason() {
        let none_positive = counts(0, 3, 7, 0);
        let err = ThresholdMetric::Sensitivity
            .compute(&none_positive)
            .unwrap_err();
        assert!(err.reason.contains("positive cases"), "{}", err.reason);
        assert!(ThresholdMetric::Mcc.compute(&none_positive).is_err());
        assert!(ThresholdMetric::LrPositive
            .compute(&counts(5, 0, 5, 5))
            .is_err());
        assert!(ThresholdMetric::LrNegative
            .compute(&counts(5, 5, 0, 5))
            .is_err());
        assert_eq!(
            ThresholdMetric::Specificity.compute(&none_positive),
            Ok(0.7)
        );
    }

    #[test]
    fn names_round_trip() {
        for m in ThresholdMetric::ALL {
            assert_eq!(ThresholdMetric::from_name(m.name()), Some(m));
        }
    }

    #[test]
    fn predictive_values_follow_bayes() {
        let c = Counts {
            tp: 90,
            fn_: 10,
            tn: 80,
            fp: 20,
        };
        let pv = predictive_values_at(&c, 0.01).unwrap();
        // sens 0.9, spec 0.8: PPV = 0.009 / (0.009 + 0.198).
        assert!((pv.ppv.unwrap() - 0.009 / 0.207).abs() < 1e-15);
        assert!(predictive_values_at(&c, 1.5).is_err());
    }
}
