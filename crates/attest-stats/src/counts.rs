//! Confusion counts at a threshold.

use serde::Serialize;

use crate::rank::Ranked;
use crate::sample::Sample;

/// The four cells of a binary confusion matrix at one threshold (positive iff score ≥
/// threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// True positives: positive cases called positive.
    pub tp: u64,
    /// False positives: negative cases called positive.
    pub fp: u64,
    /// True negatives: negative cases called negative.
    pub tn: u64,
    /// False negatives: positive cases called negative.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Counts {
    /// Counts the cases of `sample` at `threshold`.
    pub fn at_threshold(sample: &Sample<'_>, threshold: f64) -> Counts {
        let mut c = Counts::default();
        for (&label, &score) in sample.labels().iter().zip(sample.scores()) {
            match (label, score >= threshold) {
                (true, true) => c.tp += 1,
                (true, false) => c.fn_ += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
            }
        }
        c
    }

    /// Counts from predicted and true labels directly.
    pub fn from_predictions(labels: &[bool], predicted: &[bool]) -> Counts {
        let mut c = Counts::default();
        for (&label, &pred) in labels.iter().zip(predicted) {
            match (label, pred) {
                (true, true) => c.tp += 1,
                (true, false) => c.fn_ += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
            }
        }
        c
    }

    /// Number of cases.
    pub fn total(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    /// Number of positive cases.
    pub fn positives(&self) -> u64 {
        self.tp + self.fn_
    }

    /// Number of negative cases.
    pub fn negatives(&self) -> u64 {
        self.fp + self.tn
    }

    /// The same counts as floating-point weights, for the metric formulas.
    pub fn weighted(&self) -> WeightedCounts {
        WeightedCounts {
            tp: self.tp as f64,
            fp: self.fp as f64,
            tn: self.tn as f64,
            fn_: self.fn_ as f64,
        }
    }
}

/// Confusion counts where cases may count more than once (bootstrap replicates) — the form
/// every threshold metric is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WeightedCounts {
    /// True positives.
    pub tp: f64,
    /// False positives.
    pub fp: f64,
    /// True negatives.
    pub tn: f64,
    /// False negatives.
    pub fn_: f64,
}

impl WeightedCounts {
    /// Counts at `threshold` with each case (in sorted order) counted `weights[p]` times.
    pub fn at_threshold(ranked: &Ranked, weights: &[u32], threshold: f64) -> WeightedCounts {
        // Sorted ascending: everything from the first position with score >= threshold is
        // called positive.
        let split = ranked.scores().partition_point(|&s| s < threshold);
        let mut c = [0u64; 4];
        for (p, (&label, &w)) in ranked.labels().iter().zip(weights).enumerate() {
            let called = p >= split;
            c[usize::from(label) * 2 + usize::from(called)] += u64::from(w);
        }
        WeightedCounts {
            tn: c[0] as f64,
            fp: c[1] as f64,
            fn_: c[2] as f64,
            tp: c[3] as f64,
        }
    }
}
