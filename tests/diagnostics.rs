//! Every class of spec error, one fixture each, rendered as the user sees it.
//!
//! Each fixture in `tests/fixtures/invalid/` is named after the diagnostic code it must
//! produce (`unknown_metric.yaml` → `attest::spec::unknown_metric`; a `__suffix` marks a
//! variant). The test checks that code is present, then snapshots the full rendering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use attest_integration_tests::{fixtures, render_all, workspace_root};
use attest_spec::{validate_source, SpecSource, ValidateOptions};

fn validate_fixture(name: &str) -> attest_spec::Validation {
    let path = fixtures().join("invalid").join(format!("{name}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let source = SpecSource::new(format!("invalid/{name}.yaml"), text);
    let options = ValidateOptions {
        base_dir: Some(workspace_root().join("examples").join("chest-xray")),
    };
    validate_source(&source, &options)
}

fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("invalid"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

#[test]
fn there_is_a_fixture_for_at_least_25_error_classes() {
    let classes: std::collections::BTreeSet<String> = fixture_names()
        .into_iter()
        .map(|n| n.split("__").next().unwrap_or_default().to_string())
        .collect();
    assert!(
        classes.len() >= 25,
        "only {} classes: {classes:?}",
        classes.len()
    );
}

#[test]
fn each_fixture_reports_its_code_and_renders_as_snapshotted() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for name in fixture_names() {
            let validation = validate_fixture(&name);
            let class = name.split("__").next().unwrap_or_default();
            if class == "multiple_at_once" {
                assert!(
                    validation.diagnostics.error_count() >= 4,
                    "{name}: every layer should report in one pass"
                );
            } else {
                let code = format!("attest::spec::{class}");
                assert!(
                    validation
                        .diagnostics
                        .iter()
                        .any(|d| d.code.as_str() == code),
                    "{name}: expected {code}, got {:?}",
                    validation
                        .diagnostics
                        .iter()
                        .map(|d| d.code.as_str())
                        .collect::<Vec<_>>()
                );
            }
            let warnings_only = matches!(class, "threshold_leakage" | "ignored" | "untested");
            assert_eq!(validation.is_valid(), warnings_only, "{name}");
            insta::assert_snapshot!(name.clone(), render_all(&validation));
        }
    });
}

#[test]
fn a_misspelt_metric_names_line_column_and_suggestion() {
    let validation = validate_fixture("unknown_metric");
    let d = validation
        .diagnostics
        .iter()
        .find(|d| d.code == attest_spec::Code::UnknownMetric)
        .unwrap();
    assert_eq!(d.line_column(), Some((25, 13)));
    assert_eq!(d.help.as_deref(), Some("did you mean `sensitivity`?"));
    assert_eq!(d.path.as_ref().unwrap().to_string(), "tests[0].metric");
}

#[test]
fn json_diagnostics_carry_file_line_column_and_code() {
    let validation = validate_fixture("unknown_cohort");
    let json: Vec<serde_json::Value> = validation.diagnostics.iter().map(|d| d.to_json()).collect();
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["code"], "attest::spec::unknown_cohort");
    assert_eq!(json[0]["file"], "invalid/unknown_cohort.yaml");
    assert_eq!(json[0]["line"], 24);
    assert_eq!(json[0]["column"], 13);
    assert_eq!(json[0]["path"], "tests[0].cohort");
    assert_eq!(json[0]["help"], "did you mean `test`?");
}
