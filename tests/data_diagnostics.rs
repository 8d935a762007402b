//! Snapshots of the data layer's diagnostics: every table and cohort problem of
//! `fixtures/data-problems`, rendered as `attest validate` shows them.

use std::sync::Arc;

use attest_data::cases::ImageCheck;
use attest_integration_tests::{fixtures, redact, render};
use attest_spec::{validate_file, SpecSource};

#[test]
fn data_problems_are_reported_at_their_place() {
    // Relative (the tests run in `tests/`), so paths in messages are machine-independent.
    let dir = std::path::Path::new("fixtures/data-problems");
    assert!(dir.is_dir(), "run from the tests crate's folder");
    let validation = validate_file(&dir.join("attest.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let spec = validation
        .valid_spec()
        .unwrap_or_else(|| panic!("the spec itself must be valid"))
        .clone();
    let source: Arc<SpecSource> = validation.source.clone();
    let check = attest_data::check::check(&spec, &source, dir, ImageCheck::Exists);
    let mut out = String::new();
    for d in &check.diagnostics {
        out.push_str(&render(d));
        out.push('\n');
    }
    insta::assert_snapshot!(redact(&out));
    assert!(check.has_errors());
    assert!(check.cases.is_none());
}

#[test]
fn cohort_counts_on_a_valid_table() {
    let dir = fixtures().join("design-example");
    let validation = validate_file(&dir.join("attest.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let spec = validation
        .valid_spec()
        .unwrap_or_else(|| panic!("valid"))
        .clone();
    let check = attest_data::check::check(&spec, &validation.source, &dir, ImageCheck::Exists);
    assert!(!check.has_errors(), "{:?}", check.diagnostics);
    let counts: Vec<String> = check
        .cohorts
        .unwrap_or_default()
        .iter()
        .map(|c| {
            format!(
                "{} n={} pos={:?} neg={:?}",
                c.name,
                c.n(),
                c.positives,
                c.negatives
            )
        })
        .collect();
    insta::assert_snapshot!(counts.join("\n"));
}
