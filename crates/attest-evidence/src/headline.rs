//! The one-line headline of a test, shared by the terminal's verdict table and the report:
//! for tests judged on a derived quantity (`drop`, `gap`, `flip_rate`) the worst one with
//! where it occurred; for comparisons the difference from the reference with its interval;
//! otherwise the first estimate with its interval and n.

use attest_spec::results::{TestResult, Verdict};
use attest_spec::types::TestKind;

/// The headline of `t`.
pub fn headline(t: &TestResult) -> String {
    worst_criterion(t)
        .or_else(|| comparison(t))
        .unwrap_or_else(|| first_estimate(t))
}

/// A comparison's headline: the difference (model − reference) with its interval, the
/// reference's name, n and the criterion — the quantity the verdict was judged on, not the
/// model's own estimate.
pub fn comparison(t: &TestResult) -> Option<String> {
    if t.kind != TestKind::Comparison {
        return None;
    }
    let difference = t
        .estimates
        .iter()
        .find(|e| e.metric.starts_with("difference:") && e.value.is_some())?;
    let metric = difference.metric.trim_start_matches("difference:");
    let reference = t
        .estimates
        .iter()
        .find_map(|e| e.metric.strip_prefix(metric)?.strip_prefix(':'))
        .unwrap_or("the reference");
    let ci = difference
        .ci
        .as_ref()
        .map(|c| format!(" [{:+.3}, {:+.3}]", c.lower, c.upper))
        .unwrap_or_default();
    let required = t
        .criteria
        .first()
        .map(|c| match c.quantity.as_str() {
            // Non-inferiority: the interval's lower bound is judged against −margin.
            "margin" => format!(", required lower bound {}", c.criterion),
            quantity => format!(", required {quantity} {}", c.criterion),
        })
        .unwrap_or_default();
    Some(format!(
        "{metric} difference {:+.3}{ci} vs {reference} n={}{required}",
        difference.value.unwrap_or(f64::NAN),
        difference.n
    ))
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
    // A drop carries its paired interval on the matching `drop:` estimate.
    let interval = t
        .estimates
        .iter()
        .filter(|e| e.metric.starts_with(&format!("{}:", worst.quantity)))
        .find(|e| {
            e.variant
                .as_ref()
                .is_some_and(|v| worst.on == format!("{} ({v})", e.cohort))
        })
        .and_then(|e| e.ci.as_ref())
        .map(|c| format!(" [{:.3}, {:.3}]", c.lower, c.upper))
        .unwrap_or_default();
    let on = where_it_is(t, worst);
    let breaking = t
        .breaking_level
        .as_ref()
        .map(|l| format!("; breaks at {l}"))
        .unwrap_or_default();
    Some(format!(
        "{} {value}{interval} {on}, required {}{breaking}",
        worst.quantity.replace('_', " "),
        worst.criterion
    ))
}

/// Where a derived quantity was found, for a one-line headline: the cohorts it was taken
/// over, or, for a gap over more than three cohorts, the two that set it (the best and the
/// worst, with their values) and how many there were — a list of 48 names helps nobody.
fn where_it_is(t: &TestResult, c: &attest_spec::results::CriterionResult) -> String {
    let cohorts = c.on.split(", ").count();
    if c.quantity != "gap" || cohorts <= 3 {
        return format!("on {}", c.on);
    }
    let groups: Vec<(&str, f64)> = t
        .estimates
        .iter()
        .filter(|e| !e.metric.contains(':'))
        .filter_map(|e| e.value.map(|v| (e.cohort.as_str(), v)))
        .collect();
    let highest = groups.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let lowest = groups.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    match (highest, lowest) {
        (Some((high, hv)), Some((low, lv))) => {
            format!("between {high} ({hv:.3}) and {low} ({lv:.3}) of {cohorts} cohorts")
        }
        _ => format!("over {cohorts} cohorts"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_comparison_is_headed_by_its_difference_not_the_models_estimate() {
        let estimate = |metric: &str, value: f64, lower: f64, upper: f64| {
            serde_json::json!({
                "metric": metric, "cohort": "test", "variant": "original", "value": value,
                "n": 183, "positives": 90, "negatives": 93,
                "ci": { "lower": lower, "upper": upper, "method": "delong", "level": 0.95 }
            })
        };
        let test: TestResult = serde_json::from_value(serde_json::json!({
            "id": "COMP-001", "kind": "comparison", "traces": [], "verdict": "PASS",
            "allow_inconclusive": false,
            "estimates": [
                estimate("auc", 0.92, 0.88, 0.96),
                estimate("auc:trained", 0.90, 0.86, 0.94),
                estimate("difference:auc", 0.02, -0.005, 0.045),
            ],
            "criteria": [{ "quantity": "margin", "criterion": "> -0.01", "on": "test",
                           "value": -0.005, "verdict": "PASS" }]
        }))
        .unwrap();
        assert_eq!(
            headline(&test),
            "auc difference +0.020 [-0.005, +0.045] vs trained n=183, required lower bound > -0.01"
        );
    }

    #[test]
    fn a_robustness_headline_gives_the_worst_drop_with_its_interval_and_breaking_level() {
        let estimate = |metric: &str, variant: &str, value: f64, ci: Option<(f64, f64)>| {
            serde_json::json!({
                "metric": metric, "cohort": "test", "variant": variant, "value": value,
                "n": 183, "positives": 90, "negatives": 93,
                "ci": ci.map(|(lower, upper)| serde_json::json!({
                    "lower": lower, "upper": upper, "method": "delong", "level": 0.95 }))
            })
        };
        let criterion = |on: &str, value: f64, verdict: &str| {
            serde_json::json!({ "quantity": "drop", "criterion": "<= 0.05", "on": on,
                                "value": value, "verdict": verdict })
        };
        let test: TestResult = serde_json::from_value(serde_json::json!({
            "id": "ROB-001", "kind": "robustness", "traces": [], "verdict": "FAIL",
            "allow_inconclusive": false, "breaking_level": "noise@3",
            "estimates": [
                estimate("auc", "original", 0.92, Some((0.88, 0.96))),
                estimate("drop:auc", "noise@1", 0.01, Some((-0.01, 0.03))),
                estimate("auc", "noise@1", 0.91, Some((0.87, 0.95))),
                estimate("drop:auc", "noise@3", 0.08, Some((0.05, 0.11))),
                estimate("auc", "noise@3", 0.84, Some((0.79, 0.89))),
            ],
            "criteria": [criterion("test (noise@1)", 0.01, "PASS"),
                         criterion("test (noise@3)", 0.08, "FAIL")]
        }))
        .unwrap();
        assert_eq!(
            headline(&test),
            "drop 0.080 [0.050, 0.110] on test (noise@3), required <= 0.05; breaks at noise@3"
        );
    }

    #[test]
    fn a_gap_over_many_cohorts_names_the_two_that_set_it() {
        let names: Vec<String> = (0..6).map(|i| format!("site_{i}")).collect();
        let estimates: Vec<serde_json::Value> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                serde_json::json!({ "metric": "auc", "cohort": name, "variant": "original",
                                    "value": 0.80 + 0.01 * i as f64, "n": 100 })
            })
            .chain([
                serde_json::json!({ "metric": "gap:auc", "cohort": names.join(", "),
                                        "value": 0.05, "n": 600 }),
            ])
            .collect();
        let test: TestResult = serde_json::from_value(serde_json::json!({
            "id": "FAIR-001", "kind": "subgroups", "traces": [], "verdict": "PASS",
            "allow_inconclusive": false, "estimates": estimates,
            "criteria": [{ "quantity": "gap", "criterion": "<= 0.10", "on": names.join(", "),
                           "value": 0.05, "verdict": "PASS" }]
        }))
        .unwrap();
        assert_eq!(
            headline(&test),
            "gap 0.050 between site_5 (0.850) and site_0 (0.800) of 6 cohorts, required <= 0.10"
        );
    }
}
