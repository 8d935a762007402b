//! How much of an AUC change between two runs comes from the model and how much from the
//! data. Between two runs both can change: a new model version, and a test set with cases
//! added, removed or relabelled. With `A` the first run's AUC on its cohort, `D` the second
//! run's on its own, and `C` the first run's model evaluated on the second run's cohort —
//! from the first bundle's per-case scores, for every case whose image is byte-identical in
//! both runs (its prediction is cached there, nothing is recomputed) — the change splits
//! exactly as `D − A = (D − C) + (C − A)`: the model's effect on the same cases, and the
//! data's effect with the same model.
//!
//! The model's effect is measured on the cases both models scored, with DeLong's paired
//! interval (the same cases under two models); when the first model did not score every case
//! of the second cohort (new images), it is measured on the ones it did, said so, and the rest
//! of the change is attributed to the data. Both runs' per-case scores and the second run's
//! cohort membership come from `predictions.parquet`, so this needs only the two bundles.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use attest_data::table::Table;
use attest_spec::results::Results;
use attest_stats::ci::interval::Level;
use attest_stats::compare::paired_delong;
use serde::{Deserialize, Serialize};

use crate::diff::ChangeInterval;

/// One AUC change split into the model's and the data's parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decomposition {
    /// Test id.
    pub test: String,
    /// Cohort.
    pub cohort: String,
    /// AUC in the first run (`A`).
    pub before: f64,
    /// AUC in the second run (`D`).
    pub after: f64,
    /// Labelled, scored cases of the second run's cohort.
    pub n: u64,
    /// Of those, the cases the first run's model scored on the same image.
    pub covered: u64,
    /// On the covered cases: the first run's model's AUC (`C` when every case is covered).
    pub old_model: Option<f64>,
    /// On the covered cases: the second run's model's AUC.
    pub new_model: Option<f64>,
    /// `new_model − old_model`: the change the model makes on the same cases.
    pub model_effect: Option<f64>,
    /// DeLong's paired interval of `model_effect`.
    pub model_interval: Option<ChangeInterval>,
    /// `(after − before) − model_effect`: the change the data makes.
    pub data_effect: Option<f64>,
    /// What limits the split, when something does.
    pub note: Option<String>,
}

/// A bundle's unperturbed rows of `predictions.parquet`: per case id, label, score and the
/// cohorts it belongs to.
struct Scores {
    /// Case id → (label, score).
    cases: BTreeMap<String, (Option<bool>, Option<f64>)>,
    /// Cohort name → its member case ids (absent for bundles made before membership was
    /// recorded).
    cohorts: HashMap<String, Vec<String>>,
}

/// Reads a bundle's scores; `None` when it has no readable binary predictions table.
fn scores(dir: &Path) -> Option<Scores> {
    let table = Table::read(&dir.join(attest_engine::output::PREDICTIONS_FILE)).ok()?;
    let names = table.column_names();
    let id = names.first()?.clone();
    let ids = table.string_column(&id).ok()?;
    let variants = table.string_column("variant").ok()?;
    let labels = table.optional_text_column("label").ok()?;
    let values = table.optional_f64_column("score").ok()?;
    let original: Vec<usize> = (0..ids.len())
        .filter(|&i| variants[i] == "original")
        .collect();
    let cases = original
        .iter()
        .map(|&i| {
            let label = labels[i].as_deref().map(|l| l == "true");
            (ids[i].clone(), (label, values[i]))
        })
        .collect();
    let mut cohorts = HashMap::new();
    for name in &names {
        let Some(cohort) = name.strip_prefix("cohort:") else {
            continue;
        };
        let Ok(flags) = table.optional_text_column(name) else {
            continue;
        };
        let members = original
            .iter()
            .filter(|&&i| flags[i].as_deref() == Some("true"))
            .map(|&i| ids[i].clone())
            .collect();
        cohorts.insert(cohort.to_string(), members);
    }
    Some(Scores { cases, cohorts })
}

/// The split of every AUC estimate (unperturbed) that both runs give for the same test and
/// cohort. `same_image(id)` says whether a case's image is byte-identical in both runs.
pub fn decompose(
    (dir_a, a): (&Path, &Results),
    (dir_b, b): (&Path, &Results),
    same_image: &dyn Fn(&str) -> bool,
) -> Vec<Decomposition> {
    let (Some(old), Some(new)) = (scores(dir_a), scores(dir_b)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for test in &b.tests {
        let Some(before_test) = a.tests.iter().find(|t| t.id == test.id) else {
            continue;
        };
        for estimate in test
            .estimates
            .iter()
            .filter(|e| e.metric == "auc" && e.variant.as_deref().is_none_or(|v| v == "original"))
        {
            let before = before_test.estimates.iter().find(|e| {
                e.metric == "auc"
                    && e.cohort == estimate.cohort
                    && e.variant.as_deref().is_none_or(|v| v == "original")
            });
            let (Some(before), Some(after)) = (before.and_then(|e| e.value), estimate.value) else {
                continue;
            };
            out.push(split(
                &test.id,
                &estimate.cohort,
                (before, after),
                &old,
                &new,
                same_image,
            ));
        }
    }
    out
}

/// One estimate's split.
fn split(
    test: &str,
    cohort: &str,
    (before, after): (f64, f64),
    old: &Scores,
    new: &Scores,
    same_image: &dyn Fn(&str) -> bool,
) -> Decomposition {
    let mut d = Decomposition {
        test: test.to_string(),
        cohort: cohort.to_string(),
        before,
        after,
        n: 0,
        covered: 0,
        old_model: None,
        new_model: None,
        model_effect: None,
        model_interval: None,
        data_effect: None,
        note: None,
    };
    let members: Vec<&String> = if cohort == attest_spec::types::ALL_COHORT {
        new.cases.keys().collect()
    } else {
        match new.cohorts.get(cohort) {
            Some(m) => m.iter().collect(),
            None => {
                d.note = Some("the second bundle does not record cohort membership (its predictions.parquet has no `cohort:` columns): the change cannot be split".into());
                return d;
            }
        }
    };
    let (mut labels, mut new_scores, mut old_scores) = (Vec::new(), Vec::new(), Vec::new());
    for id in members {
        let Some(&(Some(label), Some(score))) = new.cases.get(id) else {
            continue;
        };
        d.n += 1;
        // The first model's score of the same image (the label is the second run's: the
        // data's side of the split includes relabelling).
        let Some(&(_, Some(old_score))) = old.cases.get(id).filter(|_| same_image(id)) else {
            continue;
        };
        labels.push(label);
        new_scores.push(score);
        old_scores.push(old_score);
    }
    d.covered = labels.len() as u64;
    if d.covered == 0 {
        d.note = Some("the first run's model scored none of these cases on the same image: the change cannot be split".into());
        return d;
    }
    match paired_delong(&labels, &new_scores, &old_scores, Level::NINETY_FIVE) {
        Ok(Ok(c)) => {
            d.new_model = Some(c.auc_a);
            d.old_model = Some(c.auc_b);
            d.model_effect = Some(c.difference);
            d.model_interval = Some(ChangeInterval {
                lower: c.interval.lower,
                upper: c.interval.upper,
                level: 0.95,
                method: "DeLong's paired test on the cases both models scored".into(),
            });
            d.data_effect = Some((after - before) - c.difference);
            if d.covered < d.n {
                d.note = Some(format!(
                    "the model's effect is measured on the {} of {} cases the first run's model scored on the same image; the rest of the change is attributed to the data",
                    d.covered, d.n
                ));
            }
        }
        Ok(Err(undefined)) => d.note = Some(undefined.to_string()),
        Err(e) => d.note = Some(e.to_string()),
    }
    d
}
