//! Averaging a binary metric over classes (multiclass one-vs-rest, multilabel labels).

use serde::Serialize;

use crate::binary::ThresholdMetric;
use crate::counts::{Counts, WeightedCounts};
use crate::error::{Undefined, Value};

/// How per-class values become one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Average {
    /// Unweighted mean over the classes where the metric is defined (as scikit-learn with
    /// `zero_division=np.nan`); every class counts the same, so rare classes matter.
    Macro,
    /// The metric of the pooled counts; dominated by frequent classes.
    Micro,
    /// Mean weighted by each class's number of positive cases (support), over the classes
    /// where the metric is defined.
    Weighted,
}

/// The metric of each class from its one-vs-rest counts.
pub fn per_class(counts: &[Counts], metric: ThresholdMetric) -> Vec<Value> {
    counts
        .iter()
        .map(|c| metric.compute(&c.weighted()))
        .collect()
}

/// Averages `metric` over classes with one-vs-rest `counts`.
pub fn average(counts: &[Counts], metric: ThresholdMetric, how: Average) -> Value {
    if counts.is_empty() {
        return Err(Undefined::new("no classes"));
    }
    match how {
        Average::Micro => {
            let pooled = counts
                .iter()
                .fold(WeightedCounts::default(), |acc, c| WeightedCounts {
                    tp: acc.tp + c.tp as f64,
                    fp: acc.fp + c.fp as f64,
                    tn: acc.tn + c.tn as f64,
                    fn_: acc.fn_ + c.fn_ as f64,
                });
            metric.compute(&pooled)
        }
        Average::Macro | Average::Weighted => {
            let (mut sum, mut weight) = (0.0, 0.0);
            for c in counts {
                if let Ok(v) = metric.compute(&c.weighted()) {
                    let w = if how == Average::Macro {
                        1.0
                    } else {
                        c.positives() as f64
                    };
                    sum += w * v;
                    weight += w;
                }
            }
            if weight == 0.0 {
                Err(Undefined::new(format!(
                    "{} is undefined for every class",
                    metric.name()
                )))
            } else {
                Ok(sum / weight)
            }
        }
    }
}
