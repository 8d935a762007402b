//! The worst-case gallery of a robustness test, on real images scored by a Rust model whose
//! score is the image's mean intensity: brightening hurts the negatives (their score rises),
//! so the gallery must list negatives only, the most hurt first, with thumbnails that are the
//! images the run scored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use attest_data::cases::ImageCheck;
use attest_engine::{NoProgress, Prepared, RunOptions};
use attest_evidence::report::gallery::{galleries, CASES_PER_TEST};
use attest_model::candle_core::{Module, Result as CandleResult, Tensor};
use attest_model::Models;
use base64::Engine as _;

const SPEC: &str = r#"attest: 1
name: gallery-example
intended_use: Testing the gallery.
seed: 11
model:
  id: mean
  rust: mean
  input: { size: [16, 16], channels: 1 }
  output: { task: binary, positive: "yes" }
data:
  table: cases.csv
  id: case_id
  image: file
  label: { column: finding, positive: "yes" }
perturbations:
  bright: { kind: brightness, severities: [1, 5] }
tests:
  - id: ROB-1
    perturbation: bright
    metric: auc
    require: { drop: "<= 0.05" }
"#;

/// Mean intensity of each image as its score.
struct MeanIntensity;

impl Module for MeanIntensity {
    fn forward(&self, x: &Tensor) -> CandleResult<Tensor> {
        x.flatten_from(1)?.mean_keepdim(1)
    }
}

fn write_inputs(dir: &Path) {
    std::fs::create_dir_all(dir.join("images")).unwrap();
    let mut table = String::from("case_id,file,finding\n");
    for i in 0..16u32 {
        // A gradient with a per-case level: positives brighter on average.
        let base = 20 + i * 12;
        let pixels: Vec<u8> = (0..256u32).map(|p| (base + p % 16) as u8).collect();
        let file = format!("images/c{i:02}.png");
        image::GrayImage::from_raw(16, 16, pixels)
            .unwrap()
            .save(dir.join(&file))
            .unwrap();
        let finding = if i % 2 == 1 { "yes" } else { "no" };
        table += &format!("c{i:02},{file},{finding}\n");
    }
    std::fs::write(dir.join("cases.csv"), table).unwrap();
    std::fs::write(dir.join("attest.yaml"), SPEC).unwrap();
}

#[test]
fn the_gallery_shows_the_cases_the_perturbation_hurt_most_as_the_run_scored_them() {
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path());
    let validation = attest_spec::validate_file(&dir.path().join("attest.yaml")).unwrap();
    let spec = validation.valid_spec().expect("valid").clone();
    let check =
        attest_data::check::check(&spec, &validation.source, dir.path(), ImageCheck::Exists);
    assert!(!check.has_errors());
    let prepared = Prepared {
        spec,
        source: validation.source.clone(),
        base_dir: dir.path().to_path_buf(),
        cases: check.cases.unwrap(),
        cohorts: check.cohorts.unwrap(),
        partial: None,
    };
    let mut models = Models::new();
    models.register_with_channels("mean", 1, MeanIntensity);
    let outcome = attest_engine::run(
        &prepared,
        &RunOptions {
            threads: 1,
            batch: 4,
            cache: None,
            backend: None,
            models: Some(&models),
            stop: None,
            progress: &NoProgress,
            run_id: "gallery-test".into(),
        },
    )
    .unwrap();

    let shown = galleries(&prepared, &outcome);
    assert_eq!(shown.len(), 1);
    let g = &shown[0];
    assert_eq!((g.test.as_str(), g.variant.as_str()), ("ROB-1", "bright@5"));
    assert_eq!(g.cases.len(), CASES_PER_TEST);
    // Brightening raises every score: only negatives are hurt, most hurt first.
    assert!(
        g.cases.iter().all(|c| c.label == "negative"),
        "{:?}",
        g.cases.iter().map(|c| &c.case).collect::<Vec<_>>()
    );
    let harm: Vec<f64> = g.cases.iter().map(|c| c.perturbed - c.original).collect();
    assert!(
        harm.windows(2).all(|w| w[0] >= w[1]) && harm[0] > 0.0,
        "{harm:?}"
    );
    // The scores are the run's, and the thumbnails are PNGs of the images it scored.
    let row = prepared
        .cases
        .ids
        .iter()
        .position(|id| *id == g.cases[0].case)
        .unwrap();
    let v = *outcome.plan.perturbations["bright"].last().unwrap();
    assert_eq!(
        Some(g.cases[0].perturbed),
        outcome.predictions.score(v, row)
    );
    let decode = |b64: &str| {
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        image::load_from_memory(&png).unwrap().to_luma8()
    };
    let (before, after) = (
        decode(&g.cases[0].original_png),
        decode(&g.cases[0].perturbed_png),
    );
    let mean = |im: &image::GrayImage| {
        im.pixels().map(|p| f64::from(p.0[0])).sum::<f64>() / f64::from(im.width() * im.height())
    };
    assert_eq!(before.dimensions(), (16, 16));
    assert!((mean(&before) / 255.0 - g.cases[0].original).abs() < 0.02);
    assert!((mean(&after) / 255.0 - g.cases[0].perturbed).abs() < 0.02);
    // Made again, the gallery is the same (the perturbation's seed is the run's).
    assert_eq!(galleries(&prepared, &outcome), shown);
}
