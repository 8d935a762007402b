//! Every shipped spec validates, and the DESIGN.md sketch is accepted and round-trips.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use attest_integration_tests::{fixtures, render_all, workspace_root};
use attest_spec::{validate_file, Code, Spec};

#[test]
fn every_example_spec_is_valid_without_warnings() {
    let examples = workspace_root().join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let spec = entry.unwrap().path().join("attest.yaml");
        if !spec.is_file() {
            continue;
        }
        seen += 1;
        let validation = validate_file(&spec).unwrap();
        assert!(
            validation.is_valid(),
            "{}:\n{}",
            spec.display(),
            render_all(&validation)
        );
        assert!(
            validation.diagnostics.is_empty(),
            "{}:\n{}",
            spec.display(),
            render_all(&validation)
        );
    }
    assert!(seen >= 1, "no example spec found under examples/");
}

#[test]
fn the_design_sketch_validates_with_its_leakage_warning() {
    let path = fixtures().join("design-example").join("attest.yaml");
    let validation = validate_file(&path).unwrap();
    assert!(validation.is_valid(), "{}", render_all(&validation));
    let codes: Vec<Code> = validation.diagnostics.iter().map(|d| d.code).collect();
    // FAIR-001 is evaluated on `all`, which contains `tune`, where `per_site` is chosen.
    assert_eq!(codes, vec![Code::ThresholdLeakage]);
}

#[test]
fn the_design_sketch_round_trips_through_the_types() {
    let path = fixtures().join("design-example").join("attest.yaml");
    let spec: Spec = validate_file(&path).unwrap().spec.unwrap();
    assert_eq!(spec.tests.len(), 3);
    assert_eq!(spec.cohorts.len(), 4);
    let json = serde_json::to_value(&spec).unwrap();
    let again: Spec = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(again, spec);
    // What the types write back is itself a valid spec document.
    assert!(jsonschema::is_valid(
        &attest_spec::schema::spec_schema(),
        &json
    ));
}

#[test]
fn the_init_template_is_valid_but_for_its_placeholder_files() {
    let text = std::fs::read_to_string(
        workspace_root().join("crates/attest-cli/src/commands/init_template.yaml"),
    )
    .unwrap();
    let source = attest_spec::SpecSource::new("attest.yaml", text);
    let offline = attest_spec::validate_source(&source, &attest_spec::ValidateOptions::default());
    assert!(offline.is_valid(), "{}", render_all(&offline));
    assert!(offline.diagnostics.is_empty(), "{}", render_all(&offline));
}
