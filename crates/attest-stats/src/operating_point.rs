//! Choosing a threshold: fixed, to reach a target rate, or by Youden's J — overall or per
//! value of a column (per site, per scanner).
//!
//! Candidate thresholds are the distinct observed scores; a case is positive iff its score ≥
//! the threshold, so cases with equal scores always fall on the same side (ties cannot be
//! split). Among the candidates that reach a target, the rule picks the one that costs least
//! on the other side:
//!
//! | rule | chosen threshold |
//! |---|---|
//! | sensitivity ≥ v | the **highest** with sensitivity ≥ v (most specific) |
//! | specificity ≥ v | the **lowest** with specificity ≥ v (most sensitive) |
//! | FPR ≤ v | the **lowest** with FPR ≤ v |
//! | PPV ≥ v | the **lowest** with PPV ≥ v (PPV is not monotone; every candidate is checked) |
//! | Youden | the maximiser of sensitivity + specificity − 1; among equal J, the lowest |
//!
//! Rates are compared exactly (integer cross-multiplication for J). A target no observed
//! score reaches is undefined, with the best rate that was reachable.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::counts::Counts;
use crate::error::{StatsError, Undefined};
use crate::sample::Sample;

/// How a threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "value")]
pub enum Rule {
    /// A fixed threshold.
    Fixed(f64),
    /// Reach at least this sensitivity.
    Sensitivity(f64),
    /// Reach at least this specificity.
    Specificity(f64),
    /// Keep the false-positive rate at most this.
    Fpr(f64),
    /// Reach at least this positive predictive value.
    Ppv(f64),
    /// Maximise Youden's J.
    Youden,
}

impl Rule {
    fn target(self) -> Option<f64> {
        match self {
            Rule::Sensitivity(v) | Rule::Specificity(v) | Rule::Fpr(v) | Rule::Ppv(v) => Some(v),
            Rule::Fixed(_) | Rule::Youden => None,
        }
    }
}

/// A chosen threshold and what it achieves on the cases it was chosen on — what a report
/// shows next to every operating point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChosenThreshold {
    /// The rule.
    pub rule: Rule,
    /// The threshold (positive iff score ≥ it).
    pub threshold: f64,
    /// The targeted rate achieved (sensitivity, specificity, FPR, PPV), or J for Youden;
    /// `None` for a fixed threshold.
    pub achieved: Option<f64>,
    /// Confusion counts at the threshold on the choosing cases.
    pub counts: Counts,
}

/// Counts at each distinct score taken as threshold, descending.
fn counts_by_threshold(sample: &Sample<'_>) -> Vec<(f64, Counts)> {
    let ranked = sample.ranked();
    let (p, n) = (ranked.positives() as u64, ranked.negatives() as u64);
    let mut out = Vec::with_capacity(ranked.distinct_scores());
    let (mut tp, mut fp) = (0u64, 0u64);
    for range in ranked.groups().rev() {
        for pos in range.clone() {
            if ranked.labels()[pos] {
                tp += 1;
            } else {
                fp += 1;
            }
        }
        let counts = Counts {
            tp,
            fp,
            tn: n - fp,
            fn_: p - tp,
        };
        out.push((ranked.scores()[range.start], counts));
    }
    out
}

/// Chooses a threshold on `sample` by `rule`.
pub fn choose(
    sample: &Sample<'_>,
    rule: Rule,
) -> Result<Result<ChosenThreshold, Undefined>, StatsError> {
    if let Some(v) = rule.target() {
        if !(0.0..=1.0).contains(&v) {
            return Err(StatsError::invalid("target", v, "a rate in [0, 1]"));
        }
    }
    if let Rule::Fixed(t) = rule {
        if !t.is_finite() {
            return Err(StatsError::invalid("threshold", t, "a finite number"));
        }
        return Ok(Ok(ChosenThreshold {
            rule,
            threshold: t,
            achieved: None,
            counts: Counts::at_threshold(sample, t),
        }));
    }
    if sample.is_empty() {
        return Ok(Err(Undefined::new("no cases to choose a threshold on")));
    }
    let needs_pos = matches!(rule, Rule::Sensitivity(_) | Rule::Youden);
    let needs_neg = matches!(rule, Rule::Specificity(_) | Rule::Fpr(_) | Rule::Youden);
    if needs_pos && sample.positives() == 0 {
        return Ok(Err(Undefined::new(
            "no positive cases to choose a threshold on",
        )));
    }
    if needs_neg && sample.negatives() == 0 {
        return Ok(Err(Undefined::new(
            "no negative cases to choose a threshold on",
        )));
    }
    let table = counts_by_threshold(sample);
    let (p, n) = (sample.positives() as f64, sample.negatives() as f64);
    let mut chosen: Option<(f64, Counts, f64)> = None;
    let mut best_rate: Option<f64> = None;
    match rule {
        Rule::Sensitivity(v) => {
            for &(t, c) in &table {
                let rate = c.tp as f64 / p;
                best_rate = Some(best_rate.map_or(rate, |b: f64| b.max(rate)));
                if rate >= v {
                    chosen = Some((t, c, rate));
                    break; // descending: the first hit is the highest threshold
                }
            }
        }
        Rule::Specificity(v) | Rule::Fpr(v) => {
            for &(t, c) in &table {
                let (rate, ok) = match rule {
                    Rule::Specificity(_) => {
                        let r = c.tn as f64 / n;
                        (r, r >= v)
                    }
                    _ => {
                        let r = c.fp as f64 / n;
                        (r, r <= v)
                    }
                };
                best_rate = Some(match (best_rate, rule) {
                    (None, _) => rate,
                    (Some(b), Rule::Specificity(_)) => b.max(rate),
                    (Some(b), _) => b.min(rate),
                });
                if ok {
                    chosen = Some((t, c, rate)); // keep going: the last hit is the lowest
                } else {
                    break; // monotone: no lower threshold reaches it again
                }
            }
        }
        Rule::Ppv(v) => {
            for &(t, c) in &table {
                if c.tp + c.fp == 0 {
                    continue;
                }
                let rate = c.tp as f64 / (c.tp + c.fp) as f64;
                best_rate = Some(best_rate.map_or(rate, |b: f64| b.max(rate)));
                if rate >= v {
                    chosen = Some((t, c, rate));
                }
            }
        }
        Rule::Youden => {
            let (pi, ni) = (sample.positives() as i128, sample.negatives() as i128);
            let mut best: Option<i128> = None;
            for &(t, c) in &table {
                // J·P·N, exact.
                let scaled = c.tp as i128 * ni - c.fp as i128 * pi;
                if best.is_none_or(|b| scaled >= b) {
                    best = Some(scaled);
                    chosen = Some((t, c, c.tp as f64 / p - c.fp as f64 / n));
                }
            }
        }
        Rule::Fixed(_) => {} // returned above
    }
    Ok(match chosen {
        Some((threshold, counts, achieved)) => Ok(ChosenThreshold {
            rule,
            threshold,
            achieved: Some(achieved),
            counts,
        }),
        None => Err(Undefined::new(match best_rate {
            Some(b) => format!("no observed score reaches the target; the best reachable is {b}"),
            None => "no observed score reaches the target".to_string(),
        })),
    })
}

/// One threshold per value of `keys` (e.g. the site of each case), each chosen on that
/// group's cases by `rule`.
pub fn choose_per_group<K: Ord + Clone>(
    sample: &Sample<'_>,
    keys: &[K],
    rule: Rule,
) -> Result<BTreeMap<K, Result<ChosenThreshold, Undefined>>, StatsError> {
    if keys.len() != sample.len() {
        return Err(StatsError::LengthMismatch {
            what: "group keys and cases",
            left: keys.len(),
            right: sample.len(),
        });
    }
    let mut groups: BTreeMap<K, (Vec<bool>, Vec<f64>)> = BTreeMap::new();
    for ((key, &label), &score) in keys.iter().zip(sample.labels()).zip(sample.scores()) {
        let entry = groups.entry(key.clone()).or_default();
        entry.0.push(label);
        entry.1.push(score);
    }
    let mut out = BTreeMap::new();
    for (key, (labels, scores)) in groups {
        let group = Sample::new(&labels, &scores)?;
        out.insert(key, choose(&group, rule)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(labels: &'a [bool], scores: &'a [f64]) -> Sample<'a> {
        Sample::new(labels, scores).unwrap()
    }

    #[test]
    fn ties_are_never_split() {
        // Two cases share 0.5: a threshold either takes both or neither.
        let labels = [false, true, false, true];
        let scores = [0.2, 0.5, 0.5, 0.9];
        let chosen = choose(&sample(&labels, &scores), Rule::Sensitivity(1.0))
            .unwrap()
            .unwrap();
        assert_eq!(chosen.threshold, 0.5);
        assert_eq!(
            chosen.counts,
            Counts {
                tp: 2,
                fp: 1,
                tn: 1,
                fn_: 0
            }
        );
    }

    #[test]
    fn an_unreachable_target_is_undefined_with_the_best_rate() {
        let labels = [false, true, false];
        let scores = [0.9, 0.5, 0.1];
        let err = choose(&sample(&labels, &scores), Rule::Ppv(1.0))
            .unwrap()
            .unwrap_err();
        assert!(err.reason.contains("0.5"), "{}", err.reason);
    }

    #[test]
    fn per_group_thresholds_are_chosen_within_each_group() {
        let labels = [true, false, true, false, true, false];
        let scores = [0.9, 0.1, 0.6, 0.5, 0.3, 0.2];
        let sites = ["a", "a", "b", "b", "c", "c"];
        let chosen = choose_per_group(&sample(&labels, &scores), &sites, Rule::Youden).unwrap();
        let t: Vec<f64> = chosen
            .values()
            .map(|c| c.as_ref().unwrap().threshold)
            .collect();
        assert_eq!(t, vec![0.9, 0.6, 0.3]);
    }

    #[test]
    fn fixed_thresholds_need_no_classes() {
        let chosen = choose(&sample(&[false], &[0.4]), Rule::Fixed(0.5))
            .unwrap()
            .unwrap();
        assert_eq!(chosen.counts.tn, 1);
        assert!(choose(&sample(&[false], &[0.4]), Rule::Sensitivity(0.9))
            .unwrap()
            .is_err());
        assert!(choose(&sample(&[], &[]), Rule::Sensitivity(2.0)).is_err());
    }
}
