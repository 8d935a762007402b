//! The one-line headline of a test, shared by the terminal's verdict table and the report:
//! for tests judged on a derived quantity (`drop`, `gap`, `flip_rate`) the worst one with
//! where it occurred; otherwise the first estimate with its interval and n.

use attest_spec::results::{TestResult, Verdict};
use attest_spec::types::TestKind;

/// The headline of `t`.
pub fn headline(t: &TestResult) -> String {
    worst_criterion(t).unwrap_or_else(|| first_estimate(t))
}

/// The first estimate with a value, its interval and n: the headline of a test judged on
/// estimates.
pub fn first_estimate(t: &TestResult) -> String {
    t.estimates
        .iter()
        .find(|e| e.value.is_some())
        .map(|e| {
            let ci =
                e.ci.as_ref()
                    .map(|c| format!(" [{:.3}, {:.3}]", c.lower, c.upper))
                    .unwrap_or_default();
            let value = e.value.unwrap_or(f64::NAN);
            if t.kind == TestKind::Data {
                // Counts and fractions of a data check, not estimates.
                return format!("{} {value} n={}", e.metric, e.n);
            }
            format!("{} {value:.3}{ci} n={}", e.metric, e.n)
        })
        .unwrap_or_default()
}

/// For tests judged on a derived quantity (`drop`, `gap`, `flip_rate`): the worst one — the
/// first failing, else the largest — with where it occurred and the breaking level.
pub fn worst_criterion(t: &TestResult) -> Option<String> {
    let rank = |v: Verdict| match v {
        Verdict::Fail => 3,
        Verdict::Error => 2,
        Verdict::Inconclusive => 1,
        Verdict::Pass => 0,
    };
    let worst = t
        .criteria
        .iter()
        .filter(|c| matches!(c.quantity.as_str(), "drop" | "gap" | "flip_rate"))
        .max_by(|a, b| {
            rank(a.verdict).cmp(&rank(b.verdict)).then(
                a.value
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&b.value.unwrap_or(f64::NEG_INFINITY)),
            )
        })?;
    let value = worst
        .value
        .map_or_else(|| "undefined".to_string(), |v| format!("{v:.3}"));
    let breaking = t
        .breaking_level
        .as_ref()
        .map(|l| format!("; breaks at {l}"))
        .unwrap_or_default();
    Some(format!(
        "{} {value} on {}, required {}{breaking}",
        worst.quantity.replace('_', " "),
        worst.on,
        worst.criterion
    ))
}
