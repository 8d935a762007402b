//! Multiclass metrics: confusion matrix, accuracy, one-vs-rest metrics and their averages,
//! one-vs-rest AUC, and Cohen's kappa (unweighted, linear, quadratic).

use serde::Serialize;

use crate::average::Average;
use crate::counts::Counts;
use crate::error::{StatsError, Undefined, Value};
use crate::roc;
use crate::sample::Sample;

/// True classes and per-class scores of the same cases, checked once.
#[derive(Debug, Clone, Copy)]
pub struct Multiclass<'a> {
    labels: &'a [usize],
    scores: &'a [f64],
    classes: usize,
}

impl<'a> Multiclass<'a> {
    /// `scores` is row-major, one row of `classes` scores per case.
    pub fn new(labels: &'a [usize], scores: &'a [f64], classes: usize) -> Result<Self, StatsError> {
        if classes < 2 {
            return Err(StatsError::invalid("classes", classes, "at least 2"));
        }
        if scores.len() != labels.len() * classes {
            return Err(StatsError::LengthMismatch {
                what: "score rows × classes and labels",
                left: scores.len(),
                right: labels.len() * classes,
            });
        }
        if let Some(&l) = labels.iter().find(|&&l| l >= classes) {
            return Err(StatsError::invalid(
                "label",
                l,
                "a class index below the number of classes",
            ));
        }
        if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
            return Err(StatsError::NonFiniteScore { index, value });
        }
        Ok(Multiclass {
            labels,
            scores,
            classes,
        })
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The predicted class of each case: the highest score, the lowest index on ties.
    pub fn predicted(&self) -> Vec<usize> {
        self.scores
            .chunks(self.classes)
            .map(|row| {
                let mut best = 0;
                for (k, &s) in row.iter().enumerate() {
                    if s > row[best] {
                        best = k;
                    }
                }
                best
            })
            .collect()
    }

    /// The confusion matrix of the predicted classes.
    pub fn confusion(&self) -> ConfusionMatrix {
        ConfusionMatrix::new(self.labels, &self.predicted(), self.classes)
    }

    /// One-vs-rest AUC of class `k` (class k positive, its score column as the score).
    pub fn auc_one_vs_rest(&self, k: usize) -> Value {
        let labels: Vec<bool> = self.labels.iter().map(|&l| l == k).collect();
        let scores: Vec<f64> = self.scores.chunks(self.classes).map(|row| row[k]).collect();
        match Sample::new(&labels, &scores) {
            Ok(s) => roc::auc(&s.ranked()),
            Err(e) => Err(Undefined::new(e.to_string())),
        }
    }

    /// One-vs-rest AUC averaged over classes: macro (unweighted) or weighted by prevalence,
    /// as scikit-learn's `roc_auc_score(multi_class="ovr")`. Undefined when any class has
    /// no cases (a macro average over the rest would silently change its meaning).
    pub fn auc_one_vs_rest_average(&self, how: Average) -> Value {
        let mut support = vec![0u64; self.classes];
        for &l in self.labels {
            support[l] += 1;
        }
        let (mut sum, mut weight) = (0.0, 0.0);
        for (k, &class_support) in support.iter().enumerate() {
            let auc = self
                .auc_one_vs_rest(k)
                .map_err(|u| Undefined::new(format!("class {k}: {}", u.reason)))?;
            let w = match how {
                Average::Macro => 1.0,
                Average::Weighted => class_support as f64,
                Average::Micro => {
                    return Err(Undefined::new(
                        "micro-averaged multiclass AUC is not supported; use macro or weighted",
                    ))
                }
            };
            sum += w * auc;
            weight += w;
        }
        Ok(sum / weight)
    }
}

/// A k×k confusion matrix: rows are true classes, columns predicted classes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfusionMatrix {
    /// cells[true][predicted].
    pub cells: Vec<Vec<u64>>,
}

/// Weights for Cohen's kappa.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KappaWeights {
    /// Every disagreement counts the same.
    Unweighted,
    /// Disagreements weighted by |i − j| (ordinal classes).
    Linear,
    /// Disagreements weighted by (i − j)² (ordinal classes; close to the ICC).
    Quadratic,
}

impl ConfusionMatrix {
    /// Tallies true against predicted classes (both below `classes`).
    pub fn new(labels: &[usize], predicted: &[usize], classes: usize) -> Self {
        let mut cells = vec![vec![0u64; classes]; classes];
        for (&t, &p) in labels.iter().zip(predicted) {
            if t < classes && p < classes {
                cells[t][p] += 1;
            }
        }
        ConfusionMatrix { cells }
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.cells.len()
    }

    /// Number of cases.
    pub fn total(&self) -> u64 {
        self.cells.iter().flatten().sum()
    }

    /// Share of cases on the diagonal.
    pub fn accuracy(&self) -> Value {
        let total = self.total();
        if total == 0 {
            return Err(Undefined::new("no cases"));
        }
        let correct: u64 = (0..self.classes()).map(|k| self.cells[k][k]).sum();
        Ok(correct as f64 / total as f64)
    }

    /// Binary counts of class `k` against the rest.
    pub fn one_vs_rest(&self, k: usize) -> Counts {
        let total = self.total();
        let tp = self.cells[k][k];
        let actual: u64 = self.cells[k].iter().sum();
        let called: u64 = self.cells.iter().map(|row| row[k]).sum();
        Counts {
            tp,
            fn_: actual - tp,
            fp: called - tp,
            tn: total + tp - actual - called,
        }
    }

    /// One-vs-rest counts of every class.
    pub fn all_one_vs_rest(&self) -> Vec<Counts> {
        (0..self.classes()).map(|k| self.one_vs_rest(k)).collect()
    }

    /// Cohen's kappa, 1 − Σ w·O / Σ w·E with E the product of the margins (scikit-learn's
    /// `cohen_kappa_score`).
    pub fn cohen_kappa(&self, weights: KappaWeights) -> Value {
        let k = self.classes();
        let total = self.total() as f64;
        if total == 0.0 {
            return Err(Undefined::new("no cases"));
        }
        let rows: Vec<f64> = self
            .cells
            .iter()
            .map(|r| r.iter().sum::<u64>() as f64)
            .collect();
        let cols: Vec<f64> = (0..k)
            .map(|j| self.cells.iter().map(|r| r[j]).sum::<u64>() as f64)
            .collect();
        let (mut observed, mut expected) = (0.0, 0.0);
        for (i, (row, &row_total)) in self.cells.iter().zip(&rows).enumerate() {
            for (j, (&cell, &col_total)) in row.iter().zip(&cols).enumerate() {
                let d = i.abs_diff(j) as f64;
                let w = match weights {
                    KappaWeights::Unweighted => f64::from(u8::from(i != j)),
                    KappaWeights::Linear => d,
                    KappaWeights::Quadratic => d * d,
                };
                observed += w * cell as f64;
                expected += w * row_total * col_total / total;
            }
        }
        if expected == 0.0 {
            return Err(Undefined::new(
                "chance disagreement is zero (a single class in both ratings); kappa is undefined",
            ));
        }
        Ok(1.0 - observed / expected)
    }
}
