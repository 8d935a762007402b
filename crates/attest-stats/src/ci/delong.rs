//! DeLong's variance of the AUC and its confidence interval (DeLong, DeLong & Clarke-Pearson
//! 1988), computed from placement values in O(n log n) as in Sun & Xu 2014.
//!
//! The placement value of a positive case is the share of negatives it outscores (ties one
//! half); of a negative case, the share of positives that outscore it. The AUC is the mean of
//! either; its variance is var(V₁₀)/m + var(V₀₁)/n with sample variances (ddof = 1), exactly
//! pROC's `var(method = "delong")`.

use serde::Serialize;

use crate::ci::distributions::two_sided_z;
use crate::ci::interval::{Interval, IntervalMethod, Level};
use crate::error::Undefined;
use crate::rank::Ranked;

/// Placement values, each list in the original order of its cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Placements {
    /// Original indices of the positive cases, ascending.
    pub positive_cases: Vec<usize>,
    /// V₁₀ of each positive case.
    pub positive: Vec<f64>,
    /// Original indices of the negative cases, ascending.
    pub negative_cases: Vec<usize>,
    /// V₀₁ of each negative case.
    pub negative: Vec<f64>,
}

/// Computes the placement values. Needs at least one case of each class.
pub fn placements(ranked: &Ranked) -> Result<Placements, Undefined> {
    let m = ranked.positives();
    let n = ranked.negatives();
    if m == 0 {
        return Err(Undefined::new("no positive cases"));
    }
    if n == 0 {
        return Err(Undefined::new("no negative cases"));
    }
    let counts = ranked.group_counts(None);
    let mut value = vec![0.0f64; ranked.len()]; // by original index
    let mut negatives_below = 0u64;
    let mut positives_above: u64 = m as u64;
    for (range, &(pos, neg)) in ranked.groups().zip(&counts) {
        positives_above -= pos;
        let v10 = (negatives_below as f64 + 0.5 * neg as f64) / n as f64;
        let v01 = (positives_above as f64 + 0.5 * pos as f64) / m as f64;
        for p in range {
            value[ranked.order()[p]] = if ranked.labels()[p] { v10 } else { v01 };
        }
        negatives_below += neg;
    }
    let mut out = Placements {
        positive_cases: Vec::with_capacity(m),
        positive: Vec::with_capacity(m),
        negative_cases: Vec::with_capacity(n),
        negative: Vec::with_capacity(n),
    };
    let mut label_of = vec![false; ranked.len()];
    for (p, &i) in ranked.order().iter().enumerate() {
        label_of[i] = ranked.labels()[p];
    }
    for (i, (&v, &label)) in value.iter().zip(&label_of).enumerate() {
        if label {
            out.positive_cases.push(i);
            out.positive.push(v);
        } else {
            out.negative_cases.push(i);
            out.negative.push(v);
        }
    }
    Ok(out)
}

/// AUC with its DeLong variance and interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DelongAuc {
    /// The AUC.
    pub auc: f64,
    /// DeLong's variance of the AUC.
    pub variance: f64,
    /// auc ± z·√variance, clipped to [0, 1]; `n` is the number of cases.
    pub interval: Interval,
    /// Number of positive cases.
    pub positives: u64,
    /// Number of negative cases.
    pub negatives: u64,
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample covariance (ddof = 1) of two equally long lists.
pub(crate) fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (a.len() as f64 - 1.0)
}

/// The AUC, its DeLong variance and a two-sided interval at `level`. Undefined with fewer than
/// two cases of either class (the sample variance needs two).
pub fn delong(ranked: &Ranked, level: Level) -> Result<DelongAuc, Undefined> {
    let pl = placements(ranked)?;
    let (m, n) = (pl.positive.len(), pl.negative.len());
    if m < 2 || n < 2 {
        return Err(Undefined::new(
            "DeLong's variance needs at least two positive and two negative cases",
        ));
    }
    let auc = mean(&pl.positive);
    let variance = covariance(&pl.positive, &pl.positive) / m as f64
        + covariance(&pl.negative, &pl.negative) / n as f64;
    let half = two_sided_z(level.get()) * variance.sqrt();
    Ok(DelongAuc {
        auc,
        variance,
        interval: Interval {
            lower: (auc - half).max(0.0),
            upper: (auc + half).min(1.0),
            level,
            method: IntervalMethod::Delong,
            n: (m + n) as u64,
        },
        positives: m as u64,
        negatives: n as u64,
    })
}
