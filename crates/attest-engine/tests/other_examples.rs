//! `examples/dicom` and `examples/nih-cohorts` end to end: every test comes out with the
//! verdict and the estimate their READMEs state, so the documented outcome cannot drift from
//! what the example does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use attest_engine::{NoProgress, RunOptions};
use attest_spec::results::{Results, Verdict};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .join("attest.yaml")
}

fn run(name: &str) -> Results {
    let prepared = attest_engine::prepare(&example(name)).unwrap();
    let options = RunOptions {
        threads: 2,
        batch: 16,
        cache: None,
        backend: None,
        models: None,
        stop: None,
        progress: &NoProgress,
        run_id: "test-run".into(),
    };
    attest_engine::run(&prepared, &options).unwrap().results
}

/// Checks each test's verdict and one estimate — by quantity and image variant — to the
/// 3 decimals the READMEs print.
fn assert_outcome(results: &Results, expected: &[(&str, Verdict, &str, Option<&str>, f64)]) {
    assert_eq!(results.tests.len(), expected.len());
    for (id, verdict, metric, variant, value) in expected {
        let test = results.tests.iter().find(|t| t.id == *id).unwrap();
        assert_eq!(test.verdict, *verdict, "{id}: {:?}", test.reason);
        let estimate = test
            .estimates
            .iter()
            .find(|e| {
                e.metric == *metric
                    && e.variant.as_deref().unwrap_or("original") == variant.unwrap_or("original")
            })
            .unwrap_or_else(|| panic!("{id}: no {metric} estimate on {variant:?}"));
        let shown = (estimate.value.unwrap() * 1000.0).round() / 1000.0;
        assert!(
            (shown - value).abs() < 1e-9,
            "{id}: {metric} = {:?} (README: {value})",
            estimate.value
        );
    }
}

#[test]
fn the_dicom_example_reads_every_encoding_and_comes_out_as_documented() {
    let results = run("dicom");
    assert!(results.exclusions.is_empty(), "{:?}", results.exclusions);
    assert_outcome(
        &results,
        &[
            ("DATA-001", Verdict::Pass, "positives", None, 45.0),
            ("PERF-001", Verdict::Pass, "auc", None, 0.920),
            ("FAIR-001", Verdict::Pass, "gap:auc", None, 0.080),
            (
                "ROB-001",
                Verdict::Fail,
                "drop:auc",
                Some("window@3"),
                0.064,
            ),
            ("ROB-002", Verdict::Pass, "drop:auc", Some("bits@3"), 0.007),
            ("ROB-003", Verdict::Pass, "drop:auc", Some("dose@3"), 0.029),
        ],
    );
}

#[test]
fn the_nih_example_comes_out_as_documented() {
    let results = run("nih-cohorts");
    assert_outcome(
        &results,
        &[
            ("DATA-001", Verdict::Pass, "positives", None, 41679.0),
            ("PERF-001", Verdict::Pass, "auc", None, 0.827),
            ("FAIR-001", Verdict::Fail, "gap:specificity", None, 0.178),
            ("FAIR-002", Verdict::Pass, "gap:specificity", None, 0.006),
            ("FAIR-003", Verdict::Pass, "gap:auc", None, 0.007),
            ("FAIR-004", Verdict::Fail, "gap:specificity", None, 0.223),
        ],
    );
    // The spec's `explore:` block: the planted weakness of portable (AP) films comes first,
    // flagged with a corrected p-value, on the test cohort the tests name most; the search
    // is recorded with its denominator, and no verdict depends on it.
    let explored = results
        .exploration
        .as_ref()
        .expect("the spec has `explore:`");
    assert_eq!(explored.error, None);
    assert_eq!((explored.cohort.as_str(), explored.n), ("test", 89754));
    assert_eq!(explored.tried, 11, "single columns only: {explored:?}");
    let top = &explored.segments[0];
    assert_eq!(top.segment, "View Position = 'AP'");
    assert!(top.flagged && top.adjusted_p < 1e-6 && top.adjusted_p >= top.p_value);
    assert!(top.ci_upper < top.rest_auc, "{top:?}");
    assert!(explored.segments.len() <= 10);
    assert_eq!(
        explored.flagged as usize,
        explored.segments.iter().filter(|s| s.flagged).count()
    );
}
