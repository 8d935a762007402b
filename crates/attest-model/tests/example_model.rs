//! The bundled example's trained model gives the same scores in every backend (within 1e-5),
//! and is the good-but-imperfect model the example needs.
#![allow(clippy::unwrap_used)] // helpers outside #[test]: a panic is the failure report

use std::path::{Path, PathBuf};

use attest_data::images::{read_image, ReadOptions};
use attest_data::table::Table;
use attest_model::{load, LoadOptions, LoadedModel, Outputs};
use attest_perturb::Image;
use attest_spec::types::{
    Activation, Architecture, InputSpec, Model, Normalize, OnnxBackend, OutputSpec, Task,
};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/chest-xray")
}

/// The example spec's `model:` block with the given source.
fn model(onnx: Option<&str>, safetensors: Option<&str>, backend: Option<OnnxBackend>) -> Model {
    Model {
        id: "nodule-cnn".into(),
        version: None,
        onnx: onnx.map(String::from),
        backend,
        safetensors: safetensors.map(String::from),
        architecture: safetensors.map(|_| Architecture::SmallCnn),
        scores: None,
        rust: None,
        input: Some(InputSpec {
            size: [224, 224],
            channels: 1,
            resize: None,
            normalize: Some(Normalize {
                mean: vec![0.5],
                std: vec![0.25],
            }),
        }),
        output: OutputSpec {
            task: Task::Binary,
            positive: Some("nodule".into()),
            classes: None,
            activation: Some(Activation::Sigmoid),
        },
    }
}

struct Cases {
    images: Vec<Image>,
    positive: Vec<bool>,
    test: Vec<bool>,
}

fn cases() -> Cases {
    let dir = example().join("data");
    let table = Table::read(&dir.join("cases.csv")).unwrap();
    let files = table.string_column("file").unwrap();
    let images = files
        .iter()
        .map(|f| {
            read_image(&dir.join(f), &ReadOptions::default())
                .unwrap()
                .image
        })
        .collect();
    let positive = table
        .string_column("finding")
        .unwrap()
        .iter()
        .map(|f| f == "nodule")
        .collect();
    let test = table
        .string_column("split")
        .unwrap()
        .iter()
        .map(|s| s == "test")
        .collect();
    Cases {
        images,
        positive,
        test,
    }
}

fn scores(model: &LoadedModel, cases: &Cases) -> Outputs {
    let refs: Vec<&Image> = cases.images.iter().collect();
    model.score_images(&refs, 16).unwrap()
}

/// ROC AUC by attest-stats (the implementation checked against scikit-learn).
fn auc(scores: &[f32], positive: &[bool]) -> f64 {
    let scores: Vec<f64> = scores.iter().map(|&s| f64::from(s)).collect();
    let sample = attest_stats::Sample::new(positive, &scores).unwrap();
    attest_stats::roc::auc(&sample.ranked()).unwrap()
}

#[test]
fn every_backend_gives_the_same_scores_and_the_model_is_realistic() {
    let cases = cases();
    let options = LoadOptions {
        threads: 2,
        ..LoadOptions::default()
    };
    let base = example();
    let tract = load(
        &model(Some("models/nodule_cnn.onnx"), None, None),
        &base,
        "case_id",
        &options,
    )
    .unwrap();
    let candle = load(
        &model(None, Some("models/nodule_cnn.safetensors"), None),
        &base,
        "case_id",
        &options,
    )
    .unwrap();
    let from_tract = scores(&tract, &cases);
    let from_candle = scores(&candle, &cases);
    assert_eq!((from_tract.n, from_tract.k), (300, 1));
    let diff = from_tract.max_abs_diff(&from_candle).unwrap();
    println!("max |tract − candle| over 300 images: {diff:.2e}");
    assert!(diff < 1e-5, "{diff}");

    if attest_model::HAS_ONNXRUNTIME && std::env::var_os("ORT_DYLIB_PATH").is_some() {
        let ort = load(
            &model(
                Some("models/nodule_cnn.onnx"),
                None,
                Some(OnnxBackend::Onnxruntime),
            ),
            &base,
            "case_id",
            &options,
        )
        .unwrap();
        let from_ort = scores(&ort, &cases);
        let diff = from_ort.max_abs_diff(&from_candle).unwrap();
        println!("max |onnxruntime − candle| over 300 images: {diff:.2e}");
        assert!(diff < 1e-5, "{diff}");
    } else {
        println!(
            "onnxruntime not checked (build with --features onnxruntime and set ORT_DYLIB_PATH)"
        );
    }

    // Good but imperfect on the locked test split: tests pass, fail and come out
    // inconclusive for real reasons.
    let (test_scores, test_labels): (Vec<f32>, Vec<bool>) = from_candle
        .data
        .iter()
        .zip(&cases.positive)
        .zip(&cases.test)
        .filter(|(_, t)| **t)
        .map(|((s, p), _)| (*s, *p))
        .unzip();
    let auc = auc(&test_scores, &test_labels);
    println!("test-split AUC {auc:.3} (n = {})", test_scores.len());
    // Measured 0.923: good but imperfect, as the example needs (0.85–0.95).
    assert!((0.85..0.95).contains(&auc), "{auc}");
    assert!(from_candle.data.iter().all(|s| (0.0..=1.0).contains(s)));
}

#[test]
fn the_weights_hash_is_recorded() {
    let options = LoadOptions {
        threads: 1,
        ..LoadOptions::default()
    };
    let candle = load(
        &model(None, Some("models/nodule_cnn.safetensors"), None),
        &example(),
        "case_id",
        &options,
    )
    .unwrap();
    let info = candle.info().unwrap();
    let expected =
        attest_data::hash::sha256_file(&example().join("models/nodule_cnn.safetensors")).unwrap();
    assert_eq!(info.weights_sha256.as_deref(), Some(expected.as_str()));
    assert_eq!(info.input[0], Some(1));
}

#[test]
fn a_spec_size_the_onnx_graph_does_not_take_is_a_clear_error() {
    let mut m = model(Some("models/nodule_cnn.onnx"), None, None);
    m.input.as_mut().unwrap().size = [256, 256];
    let err = load(&m, &example(), "case_id", &LoadOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("expects input ?×1×224×224 but the spec's model.input gives N×1×256×256"),
        "{text}"
    );
    assert!(err.help().contains("size: [224, 224]"), "{}", err.help());
}
