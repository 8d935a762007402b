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

/// Every example's data passes the data layer: the table reads, no row has a problem, every
/// cohort evaluates and none is empty or tiny.
#[test]
fn every_example_dataset_is_clean() {
    let examples = workspace_root().join("examples");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let dir = entry.unwrap().path();
        let spec_path = dir.join("attest.yaml");
        if !spec_path.is_file() {
            continue;
        }
        let validation = validate_file(&spec_path).unwrap();
        let spec = validation.valid_spec().unwrap().clone();
        let images = if spec.model.is_scores_only() {
            attest_data::cases::ImageCheck::Skip
        } else {
            attest_data::cases::ImageCheck::Exists
        };
        let check = attest_data::check::check(&spec, &validation.source, &dir, images);
        let rendered: Vec<String> = check
            .diagnostics
            .iter()
            .map(attest_integration_tests::render)
            .collect();
        assert!(
            check.diagnostics.is_empty(),
            "{}:\n{}",
            spec_path.display(),
            rendered.join("\n")
        );
        assert!(check.cohorts.is_some());
    }
}

/// The NIH example's cohort counts equal DuckDB's for the same predicates
/// (`examples/nih-cohorts/check_cohorts.py` → `cohort_counts.json`).
#[test]
fn nih_cohort_counts_match_duckdb() {
    let dir = workspace_root().join("examples/nih-cohorts");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cohort_counts.json")).unwrap())
            .unwrap();
    let validation = validate_file(&dir.join("attest.yaml")).unwrap();
    let spec = validation.valid_spec().unwrap().clone();
    let check = attest_data::check::check(
        &spec,
        &validation.source,
        &dir,
        attest_data::cases::ImageCheck::Skip,
    );
    let cohorts = check.cohorts.unwrap();
    let expected = reference["cohorts"].as_object().unwrap();
    assert_eq!(cohorts.len(), expected.len());
    for c in &cohorts {
        let e = &expected[&c.name];
        assert_eq!(c.n() as u64, e["n"].as_u64().unwrap(), "{} n", c.name);
        assert_eq!(
            c.positives.map(|v| v as u64),
            e["positives"].as_u64(),
            "{} positives",
            c.name
        );
        assert_eq!(
            c.negatives.map(|v| v as u64),
            e["negatives"].as_u64(),
            "{} negatives",
            c.name
        );
    }
    assert_eq!(cohorts[0].n(), 112_120);
}

/// The bundled image examples stay small enough to clone comfortably (the data issue's
/// limit of 20 MB for the chest X-ray set; 8 MB for the DICOM set, which reuses its model).
/// `evidence/` is not counted: it is where running the example writes its bundles (ignored
/// by git), and a newcomer who runs README's first command a few times must not fail this.
#[test]
fn the_image_examples_stay_small() {
    fn size(path: &std::path::Path) -> u64 {
        if path.is_dir() {
            std::fs::read_dir(path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| !p.ends_with("evidence"))
                .map(|p| size(&p))
                .sum()
        } else {
            std::fs::metadata(path).unwrap().len()
        }
    }
    for (example, limit) in [("chest-xray", 20u64 << 20), ("dicom", 8 << 20)] {
        let bytes = size(&workspace_root().join("examples").join(example));
        assert!(bytes < limit, "examples/{example} is {bytes} bytes");
    }
}

/// The generated example files are exactly what the committed generators wrote
/// (`examples/*/data/SHA256SUMS`, `sha256sum -c` format).
#[test]
fn generated_example_data_matches_its_checksums() {
    for (example, at_least) in [("chest-xray", 300), ("dicom", 160)] {
        let data = workspace_root().join("examples").join(example).join("data");
        let sums = std::fs::read_to_string(data.join("SHA256SUMS")).unwrap();
        let mut checked = 0;
        for line in sums.lines().filter(|l| !l.trim().is_empty()) {
            let (hash, name) = line.split_once("  ").unwrap();
            let actual = attest_data::hash::sha256_file(&data.join(name)).unwrap();
            assert_eq!(actual, hash, "{example}: {name}");
            checked += 1;
        }
        assert!(checked > at_least, "{example}: {checked} files listed");
    }
}
