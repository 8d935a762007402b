//! Runs over precomputed scores (no images, no network): comparison tests against a reference
//! model — paired DeLong for AUC, paired bootstrap for a threshold metric with each model's
//! own operating point, non-inferiority margins — checked against attest-stats called
//! directly; and the case-error policy when a score is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use attest_data::cases::ImageCheck;
use attest_engine::{EngineError, NoProgress, Prepared, RunOptions};
use attest_spec::results::{Estimate, Results, TestResult, Verdict};
use attest_spec::types::CiMethod;
use attest_stats::ci::Level;

/// splitmix64: a tiny deterministic stream for the synthetic data.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Case {
    id: String,
    positive: bool,
    split: &'static str,
    site: &'static str,
    new: f64,
    old: f64,
}

/// 600 cases: a third for tuning; the new model separates the classes better than the old.
fn cases() -> Vec<Case> {
    let mut s = Stream(20261127);
    (0..600)
        .map(|i| {
            let positive = s.next() < 0.4;
            let y = if positive { 1.0 } else { 0.0 };
            let noise = s.next() - 0.5;
            let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());
            Case {
                id: format!("c{i:04}"),
                positive,
                split: if i % 3 == 0 { "tune" } else { "test" },
                site: if s.next() < 0.5 { "A" } else { "B" },
                new: logistic(2.4 * y - 1.2 + 3.0 * noise + 0.8 * (s.next() - 0.5)),
                old: logistic(1.4 * y - 0.7 + 3.0 * noise + 1.6 * (s.next() - 0.5)),
            }
        })
        .collect()
}

const SPEC: &str = r#"attest: 1
name: scores-comparison
intended_use: Synthetic scores for testing comparisons.
seed: 7
ON_CASE_ERROR
model:
  id: new-model
  scores: new.csv
  output: { task: binary, positive: "1" }
references:
  old:
    id: old-model
    scores: old.csv
    output: { task: binary, positive: "1" }
data:
  table: cases.csv
  id: case_id
  label: { column: finding, positive: "1" }
cohorts:
  tune: { where: "split = 'tune'" }
  test: { where: "split = 'test'" }
operating_points:
  triage: { choose_on: tune, target: { sensitivity: 0.85 } }
tests:
  - id: COMP-AUC
    cohort: test
    reference: old
    metric: auc
    margin: 0.02
  - id: COMP-SENS
    cohort: test
    reference: old
    metric: specificity
    at: triage
    ci: { method: bootstrap_percentile, resamples: 500 }
    require: { estimate: ">= 0.0" }
  - id: COMP-WORSE
    cohort: test
    reference: old
    metric: auc
    require: { lower: ">= 0.2" }
"#;

/// Writes the spec (with `on_case_error` set to `policy`) and its tables into `dir`; drops
/// the new model's score of `missing`.
fn write(dir: &Path, policy: &str, missing: Option<&str>) -> Vec<Case> {
    let cases = cases();
    let mut table = String::from("case_id,finding,split,site\n");
    let mut new = String::from("case_id,score\n");
    let mut old = String::from("case_id,score\n");
    for c in &cases {
        table += &format!("{},{},{},{}\n", c.id, u8::from(c.positive), c.split, c.site);
        if Some(c.id.as_str()) != missing {
            new += &format!("{},{}\n", c.id, c.new);
        }
        old += &format!("{},{}\n", c.id, c.old);
    }
    std::fs::write(dir.join("cases.csv"), table).unwrap();
    std::fs::write(dir.join("new.csv"), new).unwrap();
    std::fs::write(dir.join("old.csv"), old).unwrap();
    std::fs::write(
        dir.join("attest.yaml"),
        SPEC.replace("ON_CASE_ERROR", &format!("on_case_error: {policy}")),
    )
    .unwrap();
    cases
}

fn run(dir: &Path) -> Result<Results, EngineError> {
    let path = dir.join("attest.yaml");
    let validation = attest_spec::validate_file(&path).unwrap();
    let spec = validation
        .valid_spec()
        .unwrap_or_else(|| {
            panic!(
                "{:#?}",
                validation
                    .diagnostics
                    .iter()
                    .map(|d| &d.message)
                    .collect::<Vec<_>>()
            )
        })
        .clone();
    let check = attest_data::check::check(&spec, &validation.source, dir, ImageCheck::Exists);
    assert!(
        !check.has_errors(),
        "{:#?}",
        check
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    let prepared = Prepared {
        spec,
        source: validation.source.clone(),
        base_dir: dir.to_path_buf(),
        cases: check.cases.unwrap(),
        cohorts: check.cohorts.unwrap(),
        partial: None,
    };
    attest_engine::run(
        &prepared,
        &RunOptions {
            threads: 2,
            batch: 64,
            cache: None,
            backend: None,
            models: None,
            stop: None,
            progress: &NoProgress,
            run_id: "scores".into(),
        },
    )
    .map(|o| o.results)
}

fn test<'a>(results: &'a Results, id: &str) -> &'a TestResult {
    results.tests.iter().find(|t| t.id == id).unwrap()
}

fn estimate<'a>(t: &'a TestResult, metric: &str) -> &'a Estimate {
    t.estimates
        .iter()
        .find(|e| e.metric == metric)
        .unwrap_or_else(|| panic!("{} has no {metric}: {:#?}", t.id, t.estimates))
}

#[test]
fn comparisons_match_paired_delong_and_the_paired_bootstrap_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let cases = write(dir.path(), "fail", None);
    let results = run(dir.path()).unwrap();

    // Paired DeLong on the test cohort, computed here straight from attest-stats.
    let test_cases: Vec<&Case> = cases.iter().filter(|c| c.split == "test").collect();
    let labels: Vec<bool> = test_cases.iter().map(|c| c.positive).collect();
    // The engine reads scores through f32 (the model output type).
    let new: Vec<f64> = test_cases.iter().map(|c| f64::from(c.new as f32)).collect();
    let old: Vec<f64> = test_cases.iter().map(|c| f64::from(c.old as f32)).collect();
    let expected =
        attest_stats::compare::paired_delong(&labels, &new, &old, Level::new(0.95).unwrap())
            .unwrap()
            .unwrap();
    let auc = test(&results, "COMP-AUC");
    let difference = estimate(auc, "difference:auc");
    assert_eq!(difference.n, test_cases.len() as u64);
    assert!((difference.value.unwrap() - expected.difference).abs() < 1e-12);
    let ci = difference.ci.as_ref().unwrap();
    assert_eq!(ci.method, CiMethod::Delong);
    assert!((ci.lower - expected.interval.lower).abs() < 1e-12);
    assert!((ci.upper - expected.interval.upper).abs() < 1e-12);
    assert!(expected.difference > 0.05, "the new model is better");
    // Non-inferiority by 0.02: the lower bound clears −0.02.
    assert_eq!(auc.verdict, Verdict::Pass, "{:?}", auc.reason);
    let a = estimate(auc, "auc").value.unwrap();
    let b = estimate(auc, "auc:old").value.unwrap();
    assert!((a - b - difference.value.unwrap()).abs() < 1e-12);

    // A superiority criterion the data cannot support fails, with the reason.
    let worse = test(&results, "COMP-WORSE");
    assert_eq!(worse.verdict, Verdict::Fail);
    assert!(worse.reason.is_some());

    // Specificity at each model's own threshold (chosen on `tune`): a paired bootstrap.
    let spec_test = test(&results, "COMP-SENS");
    let d = estimate(spec_test, "difference:specificity");
    let a = estimate(spec_test, "specificity").value.unwrap();
    let b = estimate(spec_test, "specificity:old").value.unwrap();
    assert!((a - b - d.value.unwrap()).abs() < 1e-12);
    let ci = d.ci.as_ref().unwrap();
    assert_eq!(ci.method, CiMethod::BootstrapPercentile);
    assert_eq!(ci.resamples, Some(500));
    assert!(ci.seed.is_some());
    assert!(ci.lower <= d.value.unwrap() && d.value.unwrap() <= ci.upper);
    assert!(
        d.at.as_deref().unwrap().contains("reference:"),
        "{:?}",
        d.at
    );
    // The same spec gives the same record (the bootstrap is seeded).
    let again = run(dir.path()).unwrap();
    assert_eq!(again.tests, results.tests);
}

#[test]
fn a_missing_score_fails_the_run_or_is_excluded_and_reported_by_policy() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "fail", Some("c0004"));
    match run(dir.path()) {
        Err(EngineError::CaseFailures {
            failed, first_case, ..
        }) => {
            assert_eq!(failed, 1);
            assert_eq!(first_case, "c0004");
        }
        other => panic!("expected a case failure, got {other:?}"),
    }
    write(dir.path(), "exclude", Some("c0004"));
    let results = run(dir.path()).unwrap();
    assert_eq!(results.exclusions.len(), 1);
    assert_eq!(results.exclusions[0].case, "c0004");
    assert!(results.exclusions[0].reason.contains("scores table"));
    // The excluded case is in no estimate of the model: 399 of the 400 test cases remain.
    let auc = test(&results, "COMP-AUC");
    assert_eq!(estimate(auc, "difference:auc").n, 399);
}

const MULTICLASS_SPEC: &str = r#"attest: 1
name: three-findings
intended_use: Synthetic multiclass scores for testing the engine.
seed: 11
model:
  id: triage-3
  scores: scores.csv
  output: { task: multiclass, classes: [normal, pneumonia, effusion] }
data:
  table: cases.csv
  id: case_id
  label: { column: finding }
cohorts:
  tune: { where: "split = 'tune'" }
  test: { where: "split = 'test'" }
operating_points:
  triage: { choose_on: tune, target: { sensitivity: 0.8 } }
tests:
  - id: ACC
    cohort: test
    metric: accuracy
    require: { lower: ">= 0.3" }
  - id: KAPPA
    cohort: test
    metric: kappa
    ci: { resamples: 400 }
    require: { estimate: ">= 0.1" }
  - id: OVR-AUC
    cohort: test
    metric: auc
    class: pneumonia
    require: { lower: ">= 0.6" }
  - id: OVR-SENS
    cohort: test
    metric: sensitivity
    class: pneumonia
    at: triage
    require: { estimate: ">= 0.5" }
  - id: MACRO
    cohort: test
    metric: auc
    average: macro
    require: { lower: ">= 0.6" }
"#;

#[test]
fn multiclass_accuracy_kappa_and_one_vs_rest_match_the_statistics_crate() {
    let dir = tempfile::tempdir().unwrap();
    let classes = ["normal", "pneumonia", "effusion"];
    let mut s = Stream(99);
    let mut table = String::from("case_id,finding,split\n");
    let mut scores = String::from("case_id,normal,pneumonia,effusion\n");
    // (split, label, scores) of every case.
    let mut cases: Vec<(bool, usize, [f64; 3])> = Vec::new();
    for i in 0..450 {
        let label = (s.next() * 3.0) as usize % 3;
        let mut logits = [0.0f64; 3];
        for (k, l) in logits.iter_mut().enumerate() {
            *l = 2.0 * (s.next() - 0.5) + if k == label { 1.2 } else { 0.0 };
        }
        let total: f64 = logits.iter().map(|l| l.exp()).sum();
        let p = logits.map(|l| l.exp() / total);
        let test = i % 3 != 0;
        table += &format!(
            "m{i:03},{},{}\n",
            classes[label],
            if test { "test" } else { "tune" }
        );
        scores += &format!("m{i:03},{},{},{}\n", p[0], p[1], p[2]);
        cases.push((test, label, p.map(|x| f64::from(x as f32))));
    }
    std::fs::write(dir.path().join("cases.csv"), table).unwrap();
    std::fs::write(dir.path().join("scores.csv"), scores).unwrap();
    std::fs::write(dir.path().join("attest.yaml"), MULTICLASS_SPEC).unwrap();
    let results = run(dir.path()).unwrap();
    let test_cases: Vec<&(bool, usize, [f64; 3])> = cases.iter().filter(|c| c.0).collect();
    let labels: Vec<usize> = test_cases.iter().map(|c| c.1).collect();
    let predicted: Vec<usize> = test_cases
        .iter()
        .map(|c| (0..3).fold(0, |best, k| if c.2[k] > c.2[best] { k } else { best }))
        .collect();

    // Accuracy: correct / n with a Wilson interval.
    let correct = labels
        .iter()
        .zip(&predicted)
        .filter(|(a, b)| a == b)
        .count() as u64;
    let n = labels.len() as u64;
    let acc = estimate(test(&results, "ACC"), "accuracy");
    assert_eq!(acc.n, n);
    assert!((acc.value.unwrap() - correct as f64 / n as f64).abs() < 1e-12);
    let wilson = attest_stats::ci::proportion::proportion_interval(
        attest_stats::ci::IntervalMethod::Wilson,
        correct,
        n,
        Level::new(0.95).unwrap(),
    )
    .unwrap()
    .unwrap();
    let ci = acc.ci.as_ref().unwrap();
    assert_eq!(ci.method, CiMethod::Wilson);
    assert!((ci.lower - wilson.lower).abs() < 1e-12 && (ci.upper - wilson.upper).abs() < 1e-12);
    assert_eq!(test(&results, "ACC").verdict, Verdict::Pass);

    // Kappa: the confusion matrix's, with a seeded BCa bootstrap interval around it.
    let kappa = estimate(test(&results, "KAPPA"), "cohen_kappa");
    let expected = attest_stats::multiclass::ConfusionMatrix::new(&labels, &predicted, 3)
        .cohen_kappa(attest_stats::multiclass::KappaWeights::Unweighted)
        .unwrap();
    assert!((kappa.value.unwrap() - expected).abs() < 1e-12);
    let ci = kappa.ci.as_ref().unwrap();
    assert_eq!(ci.method, CiMethod::BootstrapBca);
    assert_eq!(ci.resamples, Some(400));
    assert!(ci.lower < expected && expected < ci.upper, "{ci:?}");

    // One-vs-rest AUC of pneumonia: that class against the rest, on its own score.
    let ovr_labels: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
    let ovr_scores: Vec<f64> = test_cases.iter().map(|c| c.2[1]).collect();
    let sample = attest_stats::Sample::new(&ovr_labels, &ovr_scores).unwrap();
    let expected = attest_stats::roc::auc(&sample.ranked()).unwrap();
    let auc = estimate(test(&results, "OVR-AUC"), "auc");
    assert!((auc.value.unwrap() - expected).abs() < 1e-12);
    assert_eq!(
        auc.positives,
        Some(ovr_labels.iter().filter(|&&l| l).count() as u64)
    );

    // The operating point is chosen for pneumonia, on the tuning cases, and named so.
    let point = results
        .operating_points
        .iter()
        .find(|p| p.name == "triage (class pneumonia)")
        .unwrap_or_else(|| panic!("{:#?}", results.operating_points));
    assert!(point.thresholds[0].achieved.unwrap() >= 0.8);
    let sens = test(&results, "OVR-SENS");
    assert_ne!(sens.verdict, Verdict::Error, "{:?}", sens.reason);

    // Averaged metrics are refused with the reason, not computed wrongly.
    let macro_test = test(&results, "MACRO");
    assert_eq!(macro_test.verdict, Verdict::Error);
    assert!(macro_test.reason.as_deref().unwrap().contains("average"));
}
