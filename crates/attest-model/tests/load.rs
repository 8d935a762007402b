//! `load`: every source of the spec's `model:` block, and the errors a user can meet.
#![allow(clippy::unwrap_used)] // helpers outside #[test]: a panic is the failure report

use std::path::Path;

use attest_model::candle_core::{Module, Result as CandleResult, Tensor};
use attest_model::{load, LoadOptions, ModelError, Models};
use attest_perturb::Image;
use attest_spec::types::{
    Activation, InputSpec, Model, OnnxBackend, OutputSpec, ScoresSource, ScoresTable, Task,
};

fn model() -> Model {
    Model {
        id: "m".into(),
        version: None,
        onnx: None,
        backend: None,
        safetensors: None,
        architecture: None,
        scores: None,
        rust: None,
        input: Some(InputSpec {
            size: [8, 8],
            channels: 1,
            resize: None,
            normalize: None,
        }),
        output: OutputSpec {
            task: Task::Binary,
            positive: None,
            classes: None,
            activation: None,
        },
    }
}

/// Mean intensity of each image as its score: a model written in Rust.
struct MeanIntensity;

impl Module for MeanIntensity {
    fn forward(&self, x: &Tensor) -> CandleResult<Tensor> {
        x.flatten_from(1)?.mean_keepdim(1)
    }
}

#[test]
fn a_registered_rust_model_scores_images() {
    let mut models = Models::new();
    models.register_with_channels("mean", 1, MeanIntensity);
    let mut m = model();
    m.rust = Some("mean".into());
    let options = LoadOptions {
        threads: 1,
        backend: None,
        models: Some(&models),
    };
    let loaded = load(&m, Path::new("."), "id", &options).unwrap();
    let dark = Image::gray8(8, 8, vec![0; 64]).unwrap();
    let bright = Image::gray8(8, 8, vec![255; 64]).unwrap();
    let scores = loaded.score_images(&[&dark, &bright, &dark], 2).unwrap();
    assert_eq!((scores.n, scores.k), (3, 1));
    assert_eq!(scores.data, vec![0.0, 1.0, 0.0]);
    assert!(loaded.info().unwrap().backend.contains("mean"));

    // A 3-channel spec is refused for a model registered as 1-channel.
    m.input.as_mut().unwrap().channels = 3;
    let err = load(&m, Path::new("."), "id", &options).unwrap_err();
    assert!(matches!(err, ModelError::InputShape { .. }), "{err:?}");

    // An unknown name lists the registered ones.
    m.rust = Some("mean_intensity".into());
    let err = load(&m, Path::new("."), "id", &options).unwrap_err();
    assert_eq!(err.help(), "registered models: mean");
}

#[test]
fn a_scores_table_gives_scores_by_case_id_with_the_activation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scores.csv"), "case,logit\nb,0\na,2\n").unwrap();
    let mut m = model();
    m.input = None;
    m.scores = Some(ScoresSource::Table(ScoresTable {
        table: "scores.csv".into(),
        id: Some("case".into()),
        score: Some("logit".into()),
    }));
    m.output.activation = Some(Activation::Sigmoid);
    let loaded = load(&m, dir.path(), "id", &LoadOptions::default()).unwrap();
    let scores = loaded.score_ids(&["a", "b"]).unwrap();
    assert!(
        (scores.data[0] - 0.880_797).abs() < 1e-6 && scores.data[1] == 0.5,
        "{:?}",
        scores.data
    );
    let err = loaded.score_ids(&["c"]).unwrap_err();
    assert!(err.to_string().contains("no row for case `c`"));
    // A scores-only model cannot see perturbed images.
    let image = Image::gray8(8, 8, vec![0; 64]).unwrap();
    assert!(loaded
        .score_images(&[&image], 1)
        .unwrap_err()
        .to_string()
        .contains("scores-only"));
}

#[test]
fn duplicate_ids_in_a_scores_table_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.csv"), "id,score\na,0.1\na,0.2\n").unwrap();
    let mut m = model();
    m.scores = Some(ScoresSource::Path("s.csv".into()));
    let err = load(&m, dir.path(), "id", &LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("`a` appears twice"), "{err}");
}

#[test]
fn the_onnxruntime_backend_fails_clearly_when_unavailable() {
    if attest_model::HAS_ONNXRUNTIME && std::env::var_os("ORT_DYLIB_PATH").is_some() {
        return; // available here: covered by example_model.rs
    }
    let mut m = model();
    m.onnx = Some("../../examples/chest-xray/models/nodule_cnn.onnx".into());
    m.input = Some(InputSpec {
        size: [224, 224],
        channels: 1,
        resize: None,
        normalize: None,
    });
    let options = LoadOptions {
        backend: Some(OnnxBackend::Onnxruntime),
        ..LoadOptions::default()
    };
    let err = load(&m, Path::new(env!("CARGO_MANIFEST_DIR")), "id", &options).unwrap_err();
    assert!(
        matches!(err, ModelError::OnnxruntimeUnavailable { .. }),
        "{err:?}"
    );
    assert!(err.help().contains("ORT_DYLIB_PATH"));
}

#[test]
fn a_missing_model_file_names_the_path() {
    let mut m = model();
    m.onnx = Some("models/nope.onnx".into());
    let err = load(&m, Path::new("/tmp"), "id", &LoadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("/tmp/models/nope.onnx"), "{err}");
}
