//! Curves the results record does not hold, computed from the run's predictions: the ROC
//! curve of each cohort a binary test evaluates (with the operating points marked) and the
//! reliability diagram of each calibration test.

use attest_engine::{Outcome, Prepared};
use attest_spec::infer_kind;
use attest_spec::types::{Task, TestKind};
use attest_stats::roc::roc_curve;
use attest_stats::Sample;
use serde::{Deserialize, Serialize};

/// The curves' file name in the bundle.
pub const CURVES_FILE: &str = "curves.json";

use super::svg::{Chart, SERIES};

/// One cohort's ROC curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocSeries {
    /// The cohort.
    pub cohort: String,
    /// Its AUC (trapezoidal, ties counted ½).
    pub auc: Option<f64>,
    /// (fpr, tpr) points from (0, 0) to (1, 1).
    pub points: Vec<(f64, f64)>,
    /// Operating points on this cohort: (name, fpr, tpr).
    pub marks: Vec<(String, f64, f64)>,
    /// Positives and negatives.
    pub counts: (u64, u64),
}

/// One calibration test's reliability diagram on one cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationSeries {
    /// The test.
    pub test: String,
    /// The cohort.
    pub cohort: String,
    /// (mean predicted, observed, n) per non-empty bin.
    pub bins: Vec<(f64, f64, u64)>,
}

/// The confusion matrix of a test at its operating point on one cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    /// The test.
    pub test: String,
    /// The cohort.
    pub cohort: String,
    /// The operating point.
    pub at: String,
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// True negatives.
    pub tn: u64,
    /// False negatives.
    pub fn_: u64,
    /// Labelled, scored cases without a threshold (no group value for a per-group point).
    pub no_threshold: u64,
}

/// Every curve of the report (kept in the bundle as `curves.json`, so that `attest report`
/// can re-render the report from the bundle alone).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// ROC curves, one per cohort.
    pub roc: Vec<RocSeries>,
    /// Reliability diagrams.
    pub calibration: Vec<CalibrationSeries>,
    /// Confusion matrices of the performance tests with an operating point.
    #[serde(default)]
    pub confusion: Vec<Confusion>,
    /// The cases each robustness and invariance test's perturbation hurt most, with
    /// thumbnails.
    #[serde(default)]
    pub gallery: Vec<super::gallery::Gallery>,
    /// The false positives and false negatives of each performance test with an operating
    /// point, with thumbnails (exploratory: what the errors look like).
    #[serde(default)]
    pub errors: Vec<super::gallery::ErrorGallery>,
}

/// Labels and unperturbed scores of a cohort's rows (binary tasks).
fn labelled(prepared: &Prepared, outcome: &Outcome, rows: &[usize]) -> (Vec<bool>, Vec<f64>) {
    let mut labels = Vec::new();
    let mut scores = Vec::new();
    for &row in rows {
        if let (Some(l), Some(s)) = (
            prepared.cases.labels.binary(row),
            outcome.predictions.score(0, row),
        ) {
            labels.push(l);
            scores.push(s);
        }
    }
    (labels, scores)
}

/// The curves of a binary run (none for other tasks: their tests are one-vs-rest and show
/// their estimates only).
pub fn curves(prepared: &Prepared, outcome: &Outcome) -> Curves {
    let mut out = Curves::default();
    let spec = &prepared.spec;
    if spec.model.output.task != Task::Binary {
        return out;
    }
    out.gallery = super::gallery::galleries(prepared, outcome);
    out.errors = super::gallery::error_galleries(prepared, outcome);
    let mut cohorts: Vec<String> = Vec::new();
    for test in &spec.tests {
        let kind = infer_kind(test);
        if let (TestKind::Performance, Some(at)) = (kind, &test.at) {
            for name in attest_engine::plan::test_cohorts(test) {
                if let Some(c) = confusion(prepared, outcome, &test.id, &name, at) {
                    out.confusion.push(c);
                }
            }
        }
        if !matches!(
            kind,
            TestKind::Performance | TestKind::Comparison | TestKind::Calibration
        ) {
            continue;
        }
        for name in attest_engine::plan::test_cohorts(test) {
            if kind == TestKind::Calibration {
                if let Some(series) = calibration(
                    prepared,
                    outcome,
                    &test.id,
                    &name,
                    test.bins.unwrap_or(10) as usize,
                ) {
                    out.calibration.push(series);
                }
            } else if !cohorts.contains(&name) {
                cohorts.push(name);
            }
        }
    }
    for name in cohorts {
        let Some(cohort) = prepared.cohorts.iter().find(|c| c.name == name) else {
            continue;
        };
        let (labels, scores) = labelled(prepared, outcome, &cohort.rows);
        let Ok(sample) = Sample::new(&labels, &scores) else {
            continue;
        };
        let ranked = sample.ranked();
        let Ok(points) = roc_curve(&ranked) else {
            continue;
        };
        let positives = labels.iter().filter(|&&l| l).count() as u64;
        let negatives = labels.len() as u64 - positives;
        // Operating points with one threshold, placed by the rates they give on this cohort.
        let mut marks = Vec::new();
        for point in &outcome.results.operating_points {
            if let [only] = point.thresholds.as_slice() {
                if let (Some(t), true) = (only.threshold, positives > 0 && negatives > 0) {
                    let tp = labels
                        .iter()
                        .zip(&scores)
                        .filter(|(l, s)| **l && **s >= t)
                        .count();
                    let fp = labels
                        .iter()
                        .zip(&scores)
                        .filter(|(l, s)| !**l && **s >= t)
                        .count();
                    marks.push((
                        point.name.clone(),
                        fp as f64 / negatives as f64,
                        tp as f64 / positives as f64,
                    ));
                }
            }
        }
        out.roc.push(RocSeries {
            cohort: name,
            auc: attest_stats::roc::auc(&ranked).ok(),
            points: points.iter().map(|p| (p.fpr, p.tpr)).collect(),
            marks,
            counts: (positives, negatives),
        });
    }
    out
}

/// Each row's threshold under the operating point `at` as the run chose it (one threshold,
/// or one per value of its `per:` column).
pub(super) fn thresholds_by_row(
    prepared: &Prepared,
    outcome: &Outcome,
    at: &str,
) -> Option<Vec<Option<f64>>> {
    let record = outcome
        .results
        .operating_points
        .iter()
        .find(|p| p.name == at)?;
    let n = prepared.cases.len();
    match &record.per {
        None => {
            let t = record.thresholds.first()?.threshold?;
            Some(vec![Some(t); n])
        }
        Some(column) => {
            let groups = prepared.cases.table.optional_text_column(column).ok()?;
            Some(
                groups
                    .iter()
                    .map(|g| {
                        let g = g.as_ref()?;
                        record
                            .thresholds
                            .iter()
                            .find(|t| t.group.as_ref() == Some(g))
                            .and_then(|t| t.threshold)
                    })
                    .collect(),
            )
        }
    }
}

fn confusion(
    prepared: &Prepared,
    outcome: &Outcome,
    test: &str,
    cohort: &str,
    at: &str,
) -> Option<Confusion> {
    let rows = &prepared.cohorts.iter().find(|c| c.name == cohort)?.rows;
    let thresholds = thresholds_by_row(prepared, outcome, at)?;
    let mut m = Confusion {
        test: test.to_string(),
        cohort: cohort.to_string(),
        at: at.to_string(),
        tp: 0,
        fp: 0,
        tn: 0,
        fn_: 0,
        no_threshold: 0,
    };
    for &row in rows {
        let (Some(label), Some(score)) = (
            prepared.cases.labels.binary(row),
            outcome.predictions.score(0, row),
        ) else {
            continue;
        };
        let Some(t) = thresholds[row] else {
            m.no_threshold += 1;
            continue;
        };
        match (label, score >= t) {
            (true, true) => m.tp += 1,
            (true, false) => m.fn_ += 1,
            (false, true) => m.fp += 1,
            (false, false) => m.tn += 1,
        }
    }
    Some(m)
}

fn calibration(
    prepared: &Prepared,
    outcome: &Outcome,
    test: &str,
    cohort: &str,
    bins: usize,
) -> Option<CalibrationSeries> {
    let rows = &prepared.cohorts.iter().find(|c| c.name == cohort)?.rows;
    let (labels, scores) = labelled(prepared, outcome, rows);
    let sample = Sample::new(&labels, &scores).ok()?;
    let ece = attest_stats::calibration::ece(&sample, bins).ok()?.ok()?;
    Some(CalibrationSeries {
        test: test.to_string(),
        cohort: cohort.to_string(),
        bins: ece
            .bins
            .iter()
            .filter_map(|b| Some((b.mean_predicted?, b.observed?, b.n)))
            .collect(),
    })
}

/// The ROC curve as SVG, with the chance diagonal and operating points.
pub fn roc_plot(roc: &RocSeries) -> String {
    let mut chart = Chart::new(340.0, 320.0, (0.0, 1.0), (0.0, 1.0));
    chart.axes("1 − specificity (FPR)", "sensitivity (TPR)", 5);
    chart.line(&[(0.0, 0.0), (1.0, 1.0)], "#bbb", true);
    chart.line(&roc.points, SERIES[0], false);
    chart.legend(
        0,
        &format!(
            "AUC {} ({} pos., {} neg.)",
            roc.auc.map_or("—".into(), |a| format!("{a:.3}")),
            roc.counts.0,
            roc.counts.1
        ),
        SERIES[0],
    );
    for (i, (name, fpr, tpr)) in roc.marks.iter().enumerate() {
        chart.marker(*fpr, *tpr, name, SERIES[(i + 1) % SERIES.len()]);
    }
    chart.finish(&format!("ROC on {}", roc.cohort))
}

/// The reliability diagram as SVG: observed share of positives against mean predicted
/// probability per bin, with the diagonal of perfect calibration.
pub fn calibration_plot(c: &CalibrationSeries) -> String {
    let mut chart = Chart::new(340.0, 320.0, (0.0, 1.0), (0.0, 1.0));
    chart.axes("mean predicted probability", "observed share positive", 5);
    chart.line(&[(0.0, 0.0), (1.0, 1.0)], "#bbb", true);
    let points: Vec<(f64, f64)> = c.bins.iter().map(|&(p, o, _)| (p, o)).collect();
    chart.line(&points, SERIES[0], false);
    for &(p, o, n) in &c.bins {
        chart.point_with_interval(p, o, None, None, SERIES[0]);
        chart.label(p, o, 6.0, &format!("n={n}"));
    }
    chart.finish(&format!("{}: reliability on {}", c.test, c.cohort))
}
