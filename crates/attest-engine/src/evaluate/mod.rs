//! Evaluating every test of the spec on the run's predictions into verdicts.
//!
//! Binary tasks are evaluated directly. On multiclass and multilabel tasks, a test with
//! `class:` is evaluated one-vs-rest (that class against the rest, on its score) by every
//! kind, with operating points chosen for that class; multiclass `accuracy` and Cohen's
//! kappas are evaluated by performance tests. Anything else (`average:` metrics) gets the
//! verdict ERROR with that reason, never a number it did not compute.

pub mod compare;
pub mod criteria;
pub mod kinds;
pub mod metric;
pub mod multiclass;
pub mod thresholds;

use std::collections::{BTreeMap, HashSet};

use attest_data::cases::Cases;
use attest_data::check::CohortCases;
use attest_spec::results::TestResult;
use attest_spec::types::{Spec, Task, Test, TestKind};
use indexmap::IndexMap;

use crate::error::EngineError;
use crate::execute::Predictions;
use crate::plan::Plan;

/// The labelled, scored cases of one cohort under one variant, in row order.
#[derive(Debug, Clone, Default)]
pub struct BinaryData {
    /// The rows.
    pub rows: Vec<usize>,
    /// Their labels.
    pub labels: Vec<bool>,
    /// Their scores.
    pub scores: Vec<f64>,
    /// Their clusters as dense ids, when the spec names a cluster column.
    pub clusters: Option<Vec<u64>>,
    /// Rows of the cohort left out because they have no label.
    pub unlabelled: usize,
    /// Rows of the cohort left out because they could not be scored.
    pub unscored: usize,
}

impl BinaryData {
    /// The distinct clusters, when clustered.
    pub fn cluster_count(&self) -> Option<u64> {
        self.clusters
            .as_ref()
            .map(|c| c.iter().collect::<HashSet<_>>().len() as u64)
    }

    /// `a` and `b` restricted to the rows both have scores for (paired comparisons: the
    /// same cases unperturbed and perturbed, or under two models).
    pub fn paired(a: &BinaryData, b: &BinaryData) -> (BinaryData, BinaryData) {
        let in_b: HashSet<usize> = b.rows.iter().copied().collect();
        let both: HashSet<usize> = a
            .rows
            .iter()
            .copied()
            .filter(|r| in_b.contains(r))
            .collect();
        (a.restricted_to(&both), b.restricted_to(&both))
    }

    /// The cases of `self` whose rows are in `keep` (same order).
    pub fn restricted_to(&self, keep: &HashSet<usize>) -> BinaryData {
        let idx: Vec<usize> = (0..self.rows.len())
            .filter(|&i| keep.contains(&self.rows[i]))
            .collect();
        BinaryData {
            rows: idx.iter().map(|&i| self.rows[i]).collect(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            scores: idx.iter().map(|&i| self.scores[i]).collect(),
            clusters: self
                .clusters
                .as_ref()
                .map(|c| idx.iter().map(|&i| c[i]).collect()),
            unlabelled: self.unlabelled,
            unscored: self.unscored,
        }
    }
}

/// Everything a test's evaluation reads.
#[derive(Clone)]
pub struct Evaluator<'a> {
    /// The spec.
    pub spec: &'a Spec,
    /// The cases.
    pub cases: &'a Cases,
    /// The resolved cohorts (`all` first).
    pub cohorts: &'a [CohortCases],
    /// The plan the predictions follow.
    pub plan: &'a Plan,
    /// The model's predictions.
    pub predictions: &'a Predictions,
    /// The reference models' predictions (unperturbed only), by name.
    pub references: &'a IndexMap<String, Predictions>,
    /// Dense cluster ids by row.
    cluster_ids: Option<Vec<u64>>,
    /// On a multiclass or multilabel task, the class evaluated one-vs-rest.
    class: Option<usize>,
}

impl std::fmt::Debug for Evaluator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator").finish_non_exhaustive()
    }
}

impl<'a> Evaluator<'a> {
    /// An evaluator over a run's outputs.
    pub fn new(
        spec: &'a Spec,
        cases: &'a Cases,
        cohorts: &'a [CohortCases],
        plan: &'a Plan,
        predictions: &'a Predictions,
        references: &'a IndexMap<String, Predictions>,
    ) -> Evaluator<'a> {
        let cluster_ids = cases.clusters.as_ref().map(|names| {
            let mut ids: BTreeMap<&str, u64> = BTreeMap::new();
            names
                .iter()
                .map(|n| {
                    let next = ids.len() as u64;
                    *ids.entry(n.as_str()).or_insert(next)
                })
                .collect()
        });
        Evaluator {
            spec,
            cases,
            cohorts,
            plan,
            predictions,
            references,
            cluster_ids,
            class: None,
        }
    }

    /// The evaluator for `test`: on a multiclass or multilabel task with `class:`, the
    /// cases' labels become "is that class" and their scores that class's output.
    pub fn for_test(&self, test: &Test) -> Result<Evaluator<'a>, String> {
        if self.spec.model.output.task == Task::Binary {
            return Ok(self.clone());
        }
        self.for_class(test.class.as_deref())
    }

    /// The evaluator for one class of a multiclass or multilabel task (its labels become
    /// "is that class", its scores that class's output); `None`, or a binary task, gives
    /// this evaluator.
    pub fn for_class(&self, class: Option<&str>) -> Result<Evaluator<'a>, String> {
        let Some(class) = class.filter(|_| self.spec.model.output.task != Task::Binary) else {
            return Ok(self.clone());
        };
        let classes = self
            .spec
            .model
            .output
            .classes
            .as_ref()
            .ok_or("the model's output names no classes")?;
        let k = classes
            .iter()
            .position(|c| c == class)
            .ok_or_else(|| format!("`{class}` is not one of the model's classes"))?;
        Ok(Evaluator {
            class: Some(k),
            ..self.clone()
        })
    }

    /// The cohort `name`.
    pub fn cohort(&self, name: &str) -> Result<&'a CohortCases, EngineError> {
        crate::plan::cohort(self.cohorts, name)
    }

    /// The score of `row` under variant `v` of `predictions`: the positive class's, or on a
    /// multiclass or multilabel task the focused class's.
    pub fn score_of(&self, predictions: &Predictions, v: usize, row: usize) -> Option<f64> {
        match self.class {
            None => predictions.score(v, row),
            Some(k) => predictions.output(v, row, k),
        }
    }

    /// The labelled cases of `rows` with a score under variant `v` of the model.
    pub fn binary(&self, rows: &[usize], v: usize) -> BinaryData {
        self.binary_from(self.predictions, rows, v)
    }

    /// The labelled cases of `rows` with a score under variant `v` of `predictions`.
    pub fn binary_from(&self, predictions: &Predictions, rows: &[usize], v: usize) -> BinaryData {
        let mut data = BinaryData {
            clusters: self.cluster_ids.as_ref().map(|_| Vec::new()),
            ..BinaryData::default()
        };
        for &row in rows {
            let label = match self.class {
                None => self.cases.labels.binary(row),
                Some(k) => self.cases.labels.one_vs_rest(row, k),
            };
            let Some(label) = label else {
                data.unlabelled += 1;
                continue;
            };
            let Some(score) = self.score_of(predictions, v, row) else {
                data.unscored += 1;
                continue;
            };
            data.rows.push(row);
            data.labels.push(label);
            data.scores.push(score);
            if let (Some(ids), Some(out)) = (&self.cluster_ids, data.clusters.as_mut()) {
                out.push(ids[row]);
            }
        }
        data
    }
}

/// The key of a test's operating point among the resolved ones: its `at`, and on a
/// multiclass or multilabel task its class (each class has its own thresholds).
pub fn point_key(spec: &Spec, test: &Test) -> Option<String> {
    let at = test.at.as_ref()?;
    Some(match (&test.class, spec.model.output.task) {
        (Some(class), Task::Multiclass | Task::Multilabel) => format!("{at} (class {class})"),
        _ => at.clone(),
    })
}

/// Evaluates every test, in spec order.
pub fn evaluate_all(
    evaluator: &Evaluator<'_>,
    thresholds: &IndexMap<String, thresholds::Resolved>,
    image_sha256: &[Option<String>],
) -> Vec<TestResult> {
    evaluator
        .spec
        .tests
        .iter()
        .map(|test| {
            let task = evaluator.spec.model.output.task;
            let kind = attest_spec::infer_kind(test);
            if task == Task::Binary || kind == TestKind::Data || test.class.is_some() {
                return match evaluator.for_test(test) {
                    Ok(ev) => kinds::evaluate(&ev, test, thresholds, image_sha256),
                    Err(why) => kinds::error_result(test, why),
                };
            }
            multiclass::evaluate(evaluator, test)
        })
        .collect()
}
