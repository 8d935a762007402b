//! Checking `require` criteria against estimates, and combining them into a verdict
//! (spec/v1.md §8.2):
//!
//! - `estimate OP b`: FAIL when the point estimate misses; INCONCLUSIVE when it meets the
//!   criterion but its interval reaches past the bound; PASS otherwise.
//! - `lower OP b` / `upper OP b`: PASS when that bound of the interval meets the criterion;
//!   INCONCLUSIVE when it does not but the point estimate does (the interval straddles the
//!   bound); FAIL otherwise.
//! - `drop`, `gap`, `flip_rate`: the value meets the criterion (PASS) or not (FAIL).
//! - An undefined value is an ERROR. A test's verdict is the worst of its criteria: FAIL,
//!   then ERROR, then INCONCLUSIVE, then PASS.

use attest_spec::results::{CriterionResult, Estimate, Verdict};
use attest_spec::types::{Criterion, CriterionOp};

/// How bad a verdict is, for combining.
fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Pass => 0,
        Verdict::Inconclusive => 1,
        Verdict::Error => 2,
        Verdict::Fail => 3,
    }
}

/// The worst of `verdicts` (PASS when empty).
pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    verdicts
        .into_iter()
        .max_by_key(|&v| rank(v))
        .unwrap_or(Verdict::Pass)
}

/// Whether the interval bound on the passing side of `op` also meets the criterion.
fn interval_clears(op: CriterionOp, bound: f64, estimate: &Estimate) -> bool {
    match &estimate.ci {
        None => true,
        Some(ci) => match op {
            CriterionOp::Ge | CriterionOp::Gt => op.holds(ci.lower, bound),
            CriterionOp::Le | CriterionOp::Lt => op.holds(ci.upper, bound),
        },
    }
}

/// Where an estimate was computed, for the results' `on` field.
pub fn on(estimate: &Estimate) -> String {
    match estimate.variant.as_deref() {
        None | Some("original") => estimate.cohort.clone(),
        Some(v) => format!("{} ({v})", estimate.cohort),
    }
}

fn result(
    quantity: &str,
    criterion: &Criterion,
    on: String,
    value: Option<f64>,
    verdict: Verdict,
) -> CriterionResult {
    CriterionResult {
        quantity: quantity.to_string(),
        criterion: criterion.0.clone(),
        on,
        value,
        verdict,
    }
}

/// Checks `estimate`, `lower` or `upper` against one estimate.
pub fn check_estimate(
    quantity: &str,
    criterion: &Criterion,
    estimate: &Estimate,
) -> CriterionResult {
    let on = on(estimate);
    let Some((op, bound)) = criterion.parse() else {
        return result(quantity, criterion, on, None, Verdict::Error);
    };
    let Some(value) = estimate.value else {
        return result(quantity, criterion, on, None, Verdict::Error);
    };
    match quantity {
        "estimate" => {
            let verdict = if !op.holds(value, bound) {
                Verdict::Fail
            } else if interval_clears(op, bound, estimate) {
                Verdict::Pass
            } else {
                Verdict::Inconclusive
            };
            result(quantity, criterion, on, Some(value), verdict)
        }
        "lower" | "upper" => {
            let Some(ci) = &estimate.ci else {
                return result(quantity, criterion, on, None, Verdict::Error);
            };
            let compared = if quantity == "lower" {
                ci.lower
            } else {
                ci.upper
            };
            let verdict = if op.holds(compared, bound) {
                Verdict::Pass
            } else if op.holds(value, bound) {
                Verdict::Inconclusive
            } else {
                Verdict::Fail
            };
            result(quantity, criterion, on, Some(compared), verdict)
        }
        _ => check_value(quantity, criterion, on, Some(value)),
    }
}

/// Checks a plain value (`drop`, `gap`, `flip_rate`, data checks).
pub fn check_value(
    quantity: &str,
    criterion: &Criterion,
    on: String,
    value: Option<f64>,
) -> CriterionResult {
    let verdict = match (criterion.parse(), value) {
        (Some((op, bound)), Some(v)) if op.holds(v, bound) => Verdict::Pass,
        (Some(_), Some(_)) => Verdict::Fail,
        _ => Verdict::Error,
    };
    result(quantity, criterion, on, value, verdict)
}

/// One sentence on why a set of criteria gives `verdict` (none for PASS).
pub fn reason(
    verdict: Verdict,
    criteria: &[CriterionResult],
    estimates: &[Estimate],
) -> Option<String> {
    let first = criteria.iter().find(|c| c.verdict == verdict);
    let value = |c: &CriterionResult| {
        c.value
            .map_or("undefined".to_string(), |v| format!("{v:.4}"))
    };
    match verdict {
        Verdict::Pass => None,
        Verdict::Fail => first.map(|c| {
            format!("{} = {} on {} does not meet `{}`", c.quantity, value(c), c.on, c.criterion)
        }),
        Verdict::Inconclusive => first.map(|c| {
            format!(
                "{} = {} on {}: the point estimate meets `{}` but the confidence interval does not clear it (too few cases to decide)",
                c.quantity, value(c), c.on, c.criterion
            )
        }),
        Verdict::Error => Some(
            estimates
                .iter()
                .find_map(|e| e.undefined.as_ref().map(|u| format!("{} on {} is undefined: {u}", e.metric, on(e))))
                .unwrap_or_else(|| {
                    first.map_or("the test could not be evaluated".into(), |c| {
                        format!("{} on {} could not be computed for `{}`", c.quantity, c.on, c.criterion)
                    })
                }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_spec::results::Interval;
    use attest_spec::types::CiMethod;

    fn estimate(value: f64, lower: f64, upper: f64) -> Estimate {
        Estimate {
            metric: "sensitivity".into(),
            cohort: "test".into(),
            variant: None,
            value: Some(value),
            n: 100,
            positives: None,
            negatives: None,
            clusters: None,
            at: None,
            ci: Some(Interval {
                lower,
                upper,
                method: CiMethod::Wilson,
                level: 0.95,
                resamples: None,
                seed: None,
            }),
            adjusted_p: None,
            undefined: None,
        }
    }

    fn c(text: &str) -> Criterion {
        Criterion(text.into())
    }

    #[test]
    fn lower_bound_criteria_pass_straddle_or_fail() {
        let v = |e: &Estimate| check_estimate("lower", &c(">= 0.80"), e).verdict;
        assert_eq!(v(&estimate(0.9, 0.82, 0.95)), Verdict::Pass);
        assert_eq!(v(&estimate(0.85, 0.75, 0.92)), Verdict::Inconclusive);
        assert_eq!(v(&estimate(0.7, 0.6, 0.79)), Verdict::Fail);
        let upper = |e: &Estimate| check_estimate("upper", &c("<= 0.10"), e).verdict;
        assert_eq!(upper(&estimate(0.05, 0.02, 0.09)), Verdict::Pass);
        assert_eq!(upper(&estimate(0.08, 0.03, 0.14)), Verdict::Inconclusive);
        assert_eq!(upper(&estimate(0.2, 0.15, 0.3)), Verdict::Fail);
    }

    #[test]
    fn estimate_criteria_are_inconclusive_when_the_interval_crosses_the_bound() {
        let v = |e: &Estimate| check_estimate("estimate", &c("<= 0.15"), e).verdict;
        assert_eq!(v(&estimate(0.05, 0.02, 0.10)), Verdict::Pass);
        assert_eq!(v(&estimate(0.10, 0.05, 0.20)), Verdict::Inconclusive);
        assert_eq!(v(&estimate(0.20, 0.12, 0.30)), Verdict::Fail);
    }

    #[test]
    fn undefined_values_are_errors_and_fail_outranks_error() {
        let mut e = estimate(0.9, 0.8, 0.95);
        e.value = None;
        e.undefined = Some("no positive cases".into());
        let r = check_estimate("lower", &c(">= 0.8"), &e);
        assert_eq!(r.verdict, Verdict::Error);
        assert_eq!(
            worst([Verdict::Pass, Verdict::Error, Verdict::Inconclusive]),
            Verdict::Error
        );
        assert_eq!(worst([Verdict::Error, Verdict::Fail]), Verdict::Fail);
        assert_eq!(worst([]), Verdict::Pass);
        let why = reason(Verdict::Error, &[r], &[e]).unwrap();
        assert!(why.contains("no positive cases"), "{why}");
    }
}
