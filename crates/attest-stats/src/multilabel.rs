//! Multilabel metrics: each label is its own binary problem (a finding present or not);
//! averages combine them as in [`crate::average`].

use crate::counts::Counts;
use crate::error::StatsError;

/// One-vs-rest counts per label. `labels` and `scores` are row-major n × `labels_per_case`;
/// label j is called present iff its score ≥ `thresholds[j]`.
pub fn counts_per_label(
    labels: &[bool],
    scores: &[f64],
    thresholds: &[f64],
) -> Result<Vec<Counts>, StatsError> {
    let k = thresholds.len();
    if k == 0 {
        return Err(StatsError::invalid(
            "thresholds",
            0,
            "one threshold per label",
        ));
    }
    if labels.len() != scores.len() || !labels.len().is_multiple_of(k) {
        return Err(StatsError::LengthMismatch {
            what: "multilabel labels and scores (n × labels each)",
            left: labels.len(),
            right: scores.len(),
        });
    }
    if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(StatsError::NonFiniteScore { index, value });
    }
    let mut counts = vec![Counts::default(); k];
    for (row_labels, row_scores) in labels.chunks(k).zip(scores.chunks(k)) {
        for j in 0..k {
            let c = &mut counts[j];
            match (row_labels[j], row_scores[j] >= thresholds[j]) {
                (true, true) => c.tp += 1,
                (true, false) => c.fn_ += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
            }
        }
    }
    Ok(counts)
}

/// The labels and scores of label `j` as a binary problem, for threshold-free metrics.
pub fn column(
    labels: &[bool],
    scores: &[f64],
    labels_per_case: usize,
    j: usize,
) -> (Vec<bool>, Vec<f64>) {
    let l = labels
        .iter()
        .skip(j)
        .step_by(labels_per_case)
        .copied()
        .collect();
    let s = scores
        .iter()
        .skip(j)
        .step_by(labels_per_case)
        .copied()
        .collect();
    (l, s)
}
