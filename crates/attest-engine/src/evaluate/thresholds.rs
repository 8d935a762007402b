//! Operating points: a fixed threshold, or one chosen on the `choose_on` cohort's unperturbed
//! scores to reach a target (or maximise Youden's J) — once, or once per value of a `per:`
//! column (a hospital with older patients gets its own threshold).

use std::collections::BTreeMap;

use attest_spec::results::{ChosenThreshold, OperatingPointResult};
use attest_spec::types::OperatingPoint;
use attest_stats::operating_point::{choose, choose_per_group, Rule};
use attest_stats::Sample;

use super::{BinaryData, Evaluator};
use crate::error::EngineError;
use crate::execute::Predictions;

/// An operating point with its threshold(s) chosen.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// What goes into the results record.
    pub record: OperatingPointResult,
    /// The single threshold (no `per:`); `Err` says why none could be chosen.
    single: Option<Result<f64, String>>,
    /// With `per:`: the groups and their thresholds.
    per: Option<PerGroup>,
}

/// The thresholds of a `per:` operating point.
#[derive(Debug, Clone)]
struct PerGroup {
    /// Each row's value of the `per:` column.
    groups: Vec<Option<String>>,
    /// Each group's threshold, or why none.
    thresholds: BTreeMap<String, Result<f64, String>>,
}

impl Resolved {
    /// The threshold that applies to `row`, or why there is none.
    pub fn threshold_for(&self, row: usize) -> Result<f64, String> {
        if let Some(single) = &self.single {
            return single.clone();
        }
        let Some(PerGroup { groups, thresholds }) = &self.per else {
            return Err("no threshold".into());
        };
        let column = self.record.per.as_deref().unwrap_or("?");
        let group = groups
            .get(row)
            .and_then(Option::as_ref)
            .ok_or_else(|| format!("no `{column}` value, so no per-{column} threshold"))?;
        thresholds.get(group).cloned().unwrap_or_else(|| {
            Err(format!(
                "no threshold for {column} = `{group}`: the choosing cohort `{}` has no such cases",
                self.record.chosen_on.as_deref().unwrap_or("?")
            ))
        })
    }

    /// How the results describe "at" for an estimate.
    pub fn describe(&self) -> String {
        match &self.single {
            Some(Ok(t)) => format!("{} (threshold {t:.6})", self.record.name),
            _ => format!("{} ({})", self.record.name, self.record.rule),
        }
    }
}

/// The rule of an operating point, and its description.
/// How an operating point's threshold is chosen, in words (e.g. `sensitivity >= 0.9 (highest
/// such threshold)`), for the test plan and the report.
pub fn describe_rule(point: &OperatingPoint) -> Result<String, EngineError> {
    rule(point).map(|(_, description)| description)
}

fn rule(point: &OperatingPoint) -> Result<(Rule, String), EngineError> {
    if let Some(t) = point.threshold {
        return Ok((Rule::Fixed(t), format!("fixed threshold {t}")));
    }
    if point.youden == Some(true) {
        return Ok((
            Rule::Youden,
            "maximum Youden's J (lowest such threshold)".into(),
        ));
    }
    let target = point
        .target
        .as_ref()
        .and_then(|t| t.set().first().copied())
        .ok_or_else(|| EngineError::Spec("an operating point without a rule".into()))?;
    Ok(match target {
        ("sensitivity", v) => (
            Rule::Sensitivity(v),
            format!("sensitivity >= {v} (highest such threshold)"),
        ),
        ("specificity", v) => (
            Rule::Specificity(v),
            format!("specificity >= {v} (lowest such threshold)"),
        ),
        ("fpr", v) => (Rule::Fpr(v), format!("fpr <= {v} (lowest such threshold)")),
        ("ppv", v) => (Rule::Ppv(v), format!("ppv >= {v} (lowest such threshold)")),
        (other, _) => return Err(EngineError::Spec(format!("unknown target `{other}`"))),
    })
}

fn chosen(
    group: Option<String>,
    n: usize,
    result: &Result<attest_stats::operating_point::ChosenThreshold, attest_stats::Undefined>,
) -> (ChosenThreshold, Result<f64, String>) {
    match result {
        Ok(c) => (
            ChosenThreshold {
                group,
                threshold: Some(c.threshold),
                achieved: c.achieved,
                n: n as u64,
                undefined: None,
            },
            Ok(c.threshold),
        ),
        Err(u) => (
            ChosenThreshold {
                group,
                threshold: None,
                achieved: None,
                n: n as u64,
                undefined: Some(u.reason.clone()),
            },
            Err(u.reason.clone()),
        ),
    }
}

/// Chooses the threshold(s) of the operating point `name` on the unperturbed scores of
/// `predictions`.
pub fn resolve(
    evaluator: &Evaluator<'_>,
    predictions: &Predictions,
    name: &str,
    point: &OperatingPoint,
) -> Result<Resolved, EngineError> {
    let (rule, description) = rule(point)?;
    let mut record = OperatingPointResult {
        name: name.to_string(),
        rule: description,
        chosen_on: point.choose_on.clone(),
        per: point.per.clone(),
        thresholds: Vec::new(),
    };
    if let Rule::Fixed(t) = rule {
        record.thresholds.push(ChosenThreshold {
            group: None,
            threshold: Some(t),
            achieved: None,
            n: 0,
            undefined: None,
        });
        return Ok(Resolved {
            record,
            single: Some(Ok(t)),
            per: None,
        });
    }
    let on = point
        .choose_on
        .as_deref()
        .ok_or_else(|| EngineError::Spec(format!("operating point `{name}` needs `choose_on`")))?;
    let rows = &evaluator.cohort(on)?.rows;
    let data: BinaryData = evaluator.binary_from(predictions, rows, 0);
    let sample = Sample::new(&data.labels, &data.scores)
        .map_err(|e| EngineError::Spec(format!("operating point `{name}`: {e}")))?;
    match &point.per {
        None => {
            let result = choose(&sample, rule)
                .map_err(|e| EngineError::Spec(format!("operating point `{name}`: {e}")))?;
            let (entry, threshold) = chosen(None, data.rows.len(), &result);
            record.thresholds.push(entry);
            Ok(Resolved {
                record,
                single: Some(threshold),
                per: None,
            })
        }
        Some(column) => {
            let groups = evaluator
                .cases
                .table
                .optional_text_column(column)
                .map_err(|e| EngineError::Spec(format!("operating point `{name}`: {e}")))?;
            // Cases without a group value cannot have a group threshold: leave them out of
            // the choice (they get no threshold and are reported where used).
            let keep: Vec<usize> = (0..data.rows.len())
                .filter(|&i| groups[data.rows[i]].is_some())
                .collect();
            let labels: Vec<bool> = keep.iter().map(|&i| data.labels[i]).collect();
            let scores: Vec<f64> = keep.iter().map(|&i| data.scores[i]).collect();
            let keys: Vec<String> = keep
                .iter()
                .map(|&i| groups[data.rows[i]].clone().unwrap_or_default())
                .collect();
            let sample = Sample::new(&labels, &scores)
                .map_err(|e| EngineError::Spec(format!("operating point `{name}`: {e}")))?;
            let per_group = choose_per_group(&sample, &keys, rule)
                .map_err(|e| EngineError::Spec(format!("operating point `{name}`: {e}")))?;
            let mut thresholds = BTreeMap::new();
            for (group, result) in &per_group {
                let n = keys.iter().filter(|k| *k == group).count();
                let (entry, threshold) = chosen(Some(group.clone()), n, result);
                record.thresholds.push(entry);
                thresholds.insert(group.clone(), threshold);
            }
            Ok(Resolved {
                record,
                single: None,
                per: Some(PerGroup { groups, thresholds }),
            })
        }
    }
}
