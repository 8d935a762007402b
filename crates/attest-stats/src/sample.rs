//! A validated binary sample: labels and scores of the same cases.

use crate::error::StatsError;
use crate::rank::Ranked;

/// Labels (`true` = positive) and scores of the same cases, checked once so every metric can
/// trust them: equal lengths and finite scores. Empty samples are allowed; metrics that need
/// cases say so with an [`Undefined`](crate::Undefined).
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    labels: &'a [bool],
    scores: &'a [f64],
    positives: usize,
}

impl<'a> Sample<'a> {
    /// Checks the inputs and counts the positives.
    pub fn new(labels: &'a [bool], scores: &'a [f64]) -> Result<Self, StatsError> {
        if labels.len() != scores.len() {
            return Err(StatsError::LengthMismatch {
                what: "labels and scores",
                left: labels.len(),
                right: scores.len(),
            });
        }
        if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
            return Err(StatsError::NonFiniteScore { index, value });
        }
        let positives = labels.iter().filter(|&&l| l).count();
        Ok(Sample {
            labels,
            scores,
            positives,
        })
    }

    /// The labels, `true` for a positive case.
    pub fn labels(&self) -> &'a [bool] {
        self.labels
    }

    /// The scores, higher meaning more likely positive.
    pub fn scores(&self) -> &'a [f64] {
        self.scores
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no cases.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of positive cases.
    pub fn positives(&self) -> usize {
        self.positives
    }

    /// Number of negative cases.
    pub fn negatives(&self) -> usize {
        self.labels.len() - self.positives
    }

    /// Whether every score is a probability in [0, 1] (needed by Brier, log loss, ECE and
    /// calibration slope).
    pub fn scores_are_probabilities(&self) -> bool {
        self.scores.iter().all(|s| (0.0..=1.0).contains(s))
    }

    /// The cases sorted by score, the basis of every threshold-free metric.
    pub fn ranked(&self) -> Ranked {
        Ranked::new(self.labels, self.scores)
    }
}
