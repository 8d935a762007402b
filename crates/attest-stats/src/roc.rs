//! Threshold-free discrimination: ROC AUC, the ROC curve, partial AUC, average precision.
//!
//! AUC is the Mann–Whitney probability that a random positive scores above a random negative,
//! ties counting one half — which equals the trapezoidal area under the empirical ROC curve
//! (scikit-learn's `roc_auc_score`, pROC's `auc`) exactly, ties included.

use serde::Serialize;

use crate::error::{StatsError, Undefined, Value};
use crate::rank::Ranked;

fn need_both_classes(positives: u64, negatives: u64) -> Result<(), Undefined> {
    match (positives, negatives) {
        (0, 0) => Err(Undefined::new("no cases")),
        (0, _) => Err(Undefined::new("no positive cases")),
        (_, 0) => Err(Undefined::new("no negative cases")),
        _ => Ok(()),
    }
}

/// ROC AUC of the ranked sample.
pub fn auc(ranked: &Ranked) -> Value {
    weighted_auc(ranked, None)
}

/// ROC AUC with each case counted `weights[p]` times (`weights` in sorted order; `None` =
/// once each). Exact integer arithmetic up to the final division.
pub fn weighted_auc(ranked: &Ranked, weights: Option<&[u32]>) -> Value {
    // Twice the Mann–Whitney U: each (positive, negative) pair scores 2 if ordered, 1 if tied.
    let mut twice_u: u128 = 0;
    let mut negatives_below: u64 = 0;
    let mut positives: u64 = 0;
    for (pos, neg) in ranked.group_counts(weights) {
        twice_u += u128::from(pos) * u128::from(2 * negatives_below + neg);
        negatives_below += neg;
        positives += pos;
    }
    need_both_classes(positives, negatives_below)?;
    Ok(twice_u as f64 / (2.0 * positives as f64 * negatives_below as f64))
}

/// One point of the empirical ROC curve: calling positive every case with score ≥
/// `threshold` gives these rates. The first point has `threshold = None` (nothing called
/// positive, "above every score").
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RocPoint {
    /// The threshold, or `None` for the point above every score.
    pub threshold: Option<f64>,
    /// False-positive rate, 1 − specificity.
    pub fpr: f64,
    /// True-positive rate, sensitivity.
    pub tpr: f64,
}

/// The empirical ROC curve: one point per distinct score, descending threshold, from (0, 0)
/// to (1, 1) — scikit-learn's `roc_curve(drop_intermediate=False)`.
pub fn roc_curve(ranked: &Ranked) -> Result<Vec<RocPoint>, Undefined> {
    let counts = ranked.group_counts(None);
    let total_pos: u64 = counts.iter().map(|c| c.0).sum();
    let total_neg: u64 = counts.iter().map(|c| c.1).sum();
    need_both_classes(total_pos, total_neg)?;
    let mut points = Vec::with_capacity(counts.len() + 1);
    points.push(RocPoint {
        threshold: None,
        fpr: 0.0,
        tpr: 0.0,
    });
    let (mut tp, mut fp) = (0u64, 0u64);
    for (range, (pos, neg)) in ranked.groups().rev().zip(counts.iter().rev()) {
        tp += pos;
        fp += neg;
        points.push(RocPoint {
            threshold: Some(ranked.scores()[range.start]),
            fpr: fp as f64 / total_neg as f64,
            tpr: tp as f64 / total_pos as f64,
        });
    }
    Ok(points)
}

/// Partial AUC over a specificity range, raw and standardised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartialAuc {
    /// Lower end of the specificity range.
    pub specificity_from: f64,
    /// Upper end of the specificity range.
    pub specificity_to: f64,
    /// Area under the ROC curve for FPR in [1 − to, 1 − from]; at most `to − from`.
    pub raw: f64,
    /// McClish's standardisation, 0.5·(1 + (raw − min)/(max − min)) with min the diagonal's
    /// area and max the range's width: 0.5 for a useless test, 1 for a perfect one, as
    /// scikit-learn's `roc_auc_score(max_fpr=…)` and pROC's `correct = TRUE`. Undefined, as
    /// in pROC, when the curve lies below the diagonal over the range (raw < min), where the
    /// standardisation has no meaning.
    pub mcclish: Value,
}

/// Partial AUC for specificity in [`specificity_from`, `specificity_to`], integrating the
/// linearly interpolated empirical ROC curve.
pub fn partial_auc(
    ranked: &Ranked,
    specificity_from: f64,
    specificity_to: f64,
) -> Result<Result<PartialAuc, Undefined>, StatsError> {
    if !(0.0..=1.0).contains(&specificity_from)
        || !(0.0..=1.0).contains(&specificity_to)
        || specificity_from >= specificity_to
    {
        return Err(StatsError::invalid(
            "specificity range",
            format!("[{specificity_from}, {specificity_to}]"),
            "0 ≤ from < to ≤ 1",
        ));
    }
    let points = match roc_curve(ranked) {
        Ok(p) => p,
        Err(u) => return Ok(Err(u)),
    };
    let (lo, hi) = (1.0 - specificity_to, 1.0 - specificity_from);
    let mut raw = 0.0;
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b.fpr <= a.fpr {
            continue; // vertical step: no area
        }
        let x0 = a.fpr.max(lo);
        let x1 = b.fpr.min(hi);
        if x1 <= x0 {
            continue;
        }
        let slope = (b.tpr - a.tpr) / (b.fpr - a.fpr);
        let y0 = a.tpr + slope * (x0 - a.fpr);
        let y1 = a.tpr + slope * (x1 - a.fpr);
        raw += (x1 - x0) * (y0 + y1) / 2.0;
    }
    let min_area = (hi * hi - lo * lo) / 2.0;
    let max_area = hi - lo;
    Ok(Ok(PartialAuc {
        specificity_from,
        specificity_to,
        raw,
        mcclish: if raw < min_area {
            Err(Undefined::new(
                "the ROC curve lies below the diagonal over this range; McClish's standardisation is undefined",
            ))
        } else {
            Ok(0.5 * (1.0 + (raw - min_area) / (max_area - min_area)))
        },
    }))
}

/// Average precision, Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct thresholds in descending order —
/// scikit-learn's `average_precision_score` (a step sum, not the trapezoidal PR area, which
/// is optimistic).
pub fn average_precision(ranked: &Ranked) -> Value {
    weighted_average_precision(ranked, None)
}

/// Average precision with each case counted `weights[p]` times (sorted order; `None` = once
/// each), for the bootstrap.
pub fn weighted_average_precision(ranked: &Ranked, weights: Option<&[u32]>) -> Value {
    let counts = ranked.group_counts(weights);
    let total_pos: u64 = counts.iter().map(|c| c.0).sum();
    let total_neg: u64 = counts.iter().map(|c| c.1).sum();
    need_both_classes(total_pos, total_neg)?;
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut ap = 0.0;
    for &(pos, neg) in counts.iter().rev() {
        tp += pos;
        fp += neg;
        if pos > 0 {
            let precision = tp as f64 / (tp + fp) as f64;
            ap += (pos as f64 / total_pos as f64) * precision;
        }
    }
    Ok(ap)
}
