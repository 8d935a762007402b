//! Comparing two models or two groups: paired DeLong test of two AUCs, McNemar's test for
//! paired proportions, and one-sided non-inferiority tests with a margin.

use serde::Serialize;

use crate::ci::delong::{covariance, mean, placements};
use crate::ci::distributions::{
    binomial_half_cdf, binomial_half_pmf, normal_quantile, normal_sf, two_sided_z,
};
use crate::ci::interval::{Interval, IntervalMethod, Level};
use crate::ci::newcombe::newcombe;
use crate::error::{StatsError, Undefined};
use crate::sample::Sample;

/// Two AUCs on the same cases compared by DeLong's paired test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairedAucComparison {
    /// AUC of the first scores.
    pub auc_a: f64,
    /// AUC of the second scores.
    pub auc_b: f64,
    /// auc_a − auc_b.
    pub difference: f64,
    /// DeLong variance of the difference.
    pub variance: f64,
    /// difference / √variance.
    pub z: f64,
    /// Two-sided p-value of H₀: equal AUCs.
    pub p_value: f64,
    /// Interval of the difference (not clipped).
    pub interval: Interval,
}

impl PairedAucComparison {
    /// One-sided p-value of H₁: AUC a > AUC b.
    pub fn p_value_greater(&self) -> f64 {
        normal_sf(self.z)
    }

    /// One-sided p-value of H₁: AUC a < AUC b.
    pub fn p_value_less(&self) -> f64 {
        normal_sf(-self.z)
    }
}

/// DeLong's paired test (DeLong et al. 1988; pROC's `roc.test(method = "delong", paired =
/// TRUE)`): the covariance of the two AUCs comes from the covariance of their placement
/// values on the same cases.
pub fn paired_delong(
    labels: &[bool],
    scores_a: &[f64],
    scores_b: &[f64],
    level: Level,
) -> Result<Result<PairedAucComparison, Undefined>, StatsError> {
    let a = Sample::new(labels, scores_a)?;
    let b = Sample::new(labels, scores_b)?;
    let (pa, pb) = match (placements(&a.ranked()), placements(&b.ranked())) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(u), _) | (_, Err(u)) => return Ok(Err(u)),
    };
    let (m, n) = (pa.positive.len() as f64, pa.negative.len() as f64);
    if m < 2.0 || n < 2.0 {
        return Ok(Err(Undefined::new(
            "DeLong's test needs at least two positive and two negative cases",
        )));
    }
    let (auc_a, auc_b) = (mean(&pa.positive), mean(&pb.positive));
    let s10 = |x: &[f64], y: &[f64]| covariance(x, y) / m;
    let s01 = |x: &[f64], y: &[f64]| covariance(x, y) / n;
    let var_a = s10(&pa.positive, &pa.positive) + s01(&pa.negative, &pa.negative);
    let var_b = s10(&pb.positive, &pb.positive) + s01(&pb.negative, &pb.negative);
    let cov = s10(&pa.positive, &pb.positive) + s01(&pa.negative, &pb.negative);
    let variance = var_a + var_b - 2.0 * cov;
    let difference = auc_a - auc_b;
    if variance <= 0.0 {
        if difference == 0.0 {
            // Identical placements (e.g. the same scores twice): no evidence of a difference.
            // pROC reports Z = 0, p = 1 here too.
            return Ok(Ok(PairedAucComparison {
                auc_a,
                auc_b,
                difference,
                variance: 0.0,
                z: 0.0,
                p_value: 1.0,
                interval: Interval {
                    lower: 0.0,
                    upper: 0.0,
                    level,
                    method: IntervalMethod::Delong,
                    n: labels.len() as u64,
                },
            }));
        }
        return Ok(Err(Undefined::new(
            "the variance of the AUC difference is zero while the AUCs differ; the test is undefined",
        )));
    }
    let se = variance.sqrt();
    let z = difference / se;
    let half = two_sided_z(level.get()) * se;
    Ok(Ok(PairedAucComparison {
        auc_a,
        auc_b,
        difference,
        variance,
        z,
        p_value: (2.0 * normal_sf(z.abs())).min(1.0),
        interval: Interval {
            lower: difference - half,
            upper: difference + half,
            level,
            method: IntervalMethod::Delong,
            n: labels.len() as u64,
        },
    }))
}

/// McNemar's test on the discordant pairs of two paired binary outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McNemar {
    /// Pairs where only the first is a success.
    pub b: u64,
    /// Pairs where only the second is a success.
    pub c: u64,
    /// Exact two-sided p-value: 2·P(X ≤ min(b, c)), X ~ Binomial(b + c, ½), capped at 1.
    pub exact_p: f64,
    /// Mid-p: the exact p minus P(X = min(b, c)); closer to nominal size (Fagerland et al.
    /// 2013).
    pub mid_p: f64,
}

/// McNemar's exact and mid-p tests from the discordant counts. With no discordant pairs
/// there is no evidence of a difference and both p-values are 1.
pub fn mcnemar(b: u64, c: u64) -> McNemar {
    let total = b + c;
    if total == 0 {
        return McNemar {
            b,
            c,
            exact_p: 1.0,
            mid_p: 1.0,
        };
    }
    let k = b.min(c);
    let exact = (2.0 * binomial_half_cdf(k, total)).min(1.0);
    let mid = (2.0 * binomial_half_cdf(k, total) - binomial_half_pmf(k, total)).min(1.0);
    McNemar {
        b,
        c,
        exact_p: exact,
        mid_p: mid,
    }
}

/// McNemar's test from per-case success of two classifiers on the same cases.
pub fn mcnemar_paired(success_a: &[bool], success_b: &[bool]) -> Result<McNemar, StatsError> {
    if success_a.len() != success_b.len() {
        return Err(StatsError::LengthMismatch {
            what: "paired outcomes",
            left: success_a.len(),
            right: success_b.len(),
        });
    }
    let b = success_a
        .iter()
        .zip(success_b)
        .filter(|(a, b)| **a && !**b)
        .count() as u64;
    let c = success_a
        .iter()
        .zip(success_b)
        .filter(|(a, b)| !**a && **b)
        .count() as u64;
    Ok(mcnemar(b, c))
}

/// The outcome of a one-sided non-inferiority test: is the new (first) measure worse than the
/// reference by less than `margin`?
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NonInferiority {
    /// new − reference.
    pub difference: f64,
    /// The margin (≥ 0): the largest loss still called non-inferior.
    pub margin: f64,
    /// One-sided lower confidence bound of the difference at `level`.
    pub lower_bound: f64,
    /// One-sided confidence level of the bound (e.g. 0.975).
    pub level: f64,
    /// One-sided p-value of H₀: difference ≤ −margin, where the method gives one.
    pub p_value: Option<f64>,
    /// lower_bound > −margin.
    pub non_inferior: bool,
    /// How the bound was computed.
    pub method: IntervalMethod,
}

fn check_margin(margin: f64) -> Result<(), StatsError> {
    if margin.is_finite() && margin >= 0.0 {
        Ok(())
    } else {
        Err(StatsError::invalid(
            "margin",
            margin,
            "a non-negative number",
        ))
    }
}

/// Non-inferiority of AUC(new) against AUC(reference) on the same cases, by DeLong's paired
/// variance. `level` is one-sided (0.975 corresponds to the lower end of a two-sided 95%
/// interval).
pub fn auc_noninferiority(
    labels: &[bool],
    scores_new: &[f64],
    scores_reference: &[f64],
    margin: f64,
    level: Level,
) -> Result<Result<NonInferiority, Undefined>, StatsError> {
    check_margin(margin)?;
    let cmp = match paired_delong(labels, scores_new, scores_reference, Level::NINETY_FIVE)? {
        Ok(c) => c,
        Err(u) => return Ok(Err(u)),
    };
    let se = cmp.variance.sqrt();
    let lower_bound = cmp.difference - normal_quantile(level.get()) * se;
    Ok(Ok(NonInferiority {
        difference: cmp.difference,
        margin,
        lower_bound,
        level: level.get(),
        p_value: Some(normal_sf((cmp.difference + margin) / se)),
        non_inferior: lower_bound > -margin,
        method: IntervalMethod::Delong,
    }))
}

/// Non-inferiority of a proportion x₁/n₁ (new) against x₂/n₂ (reference) from independent
/// groups, by the lower bound of Newcombe's interval. `level` is one-sided.
pub fn proportion_noninferiority(
    x_new: u64,
    n_new: u64,
    x_reference: u64,
    n_reference: u64,
    margin: f64,
    level: Level,
) -> Result<Result<NonInferiority, Undefined>, StatsError> {
    check_margin(margin)?;
    // A one-sided bound at level L is the lower end of the two-sided interval at 2L − 1.
    let two_sided = Level::new(2.0 * level.get() - 1.0)?;
    let diff = match newcombe(x_new, n_new, x_reference, n_reference, two_sided)? {
        Ok(d) => d,
        Err(u) => return Ok(Err(u)),
    };
    Ok(Ok(NonInferiority {
        difference: diff.difference,
        margin,
        lower_bound: diff.interval.lower,
        level: level.get(),
        p_value: None,
        non_inferior: diff.interval.lower > -margin,
        method: IntervalMethod::Newcombe,
    }))
}
