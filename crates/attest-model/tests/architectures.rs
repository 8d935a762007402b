//! The built-in architectures and the tract backend against torchvision itself: reference
//! logits from `fixtures/make_fixtures.py` (torch 2.15, torchvision 0.29) on slim variants of
//! torchvision's own modules with random weights and batch-norm statistics.
#![allow(clippy::unwrap_used)] // helpers outside #[test]: a panic is the failure report

use std::path::{Path, PathBuf};

use attest_model::candle::CandleNetwork;
use attest_model::onnx_tract::TractModel;
use attest_model::{Batch, ModelError, Network, Outputs, Preprocess};
use attest_spec::types::{Architecture, InputSpec};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn input() -> Batch {
    let bytes = std::fs::read(fixture("input.f32")).unwrap();
    let data = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Batch::new(2, 3, 64, 64, data).unwrap()
}

fn reference(name: &str) -> Outputs {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("reference.json")).unwrap()).unwrap();
    let rows = json["networks"][name].as_array().unwrap();
    let data: Vec<f32> = rows
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
        })
        .collect();
    Outputs::new(rows.len(), data.len() / rows.len(), data).unwrap()
}

fn preprocess(channels: u8, size: [u32; 2]) -> Preprocess {
    Preprocess::from_spec(&InputSpec {
        size,
        channels,
        resize: None,
        normalize: None,
    })
    .unwrap()
}

/// Largest |difference| allowed against torch (measured: ≤ 1.3e-7 on these logits; float32
/// reduction order differs between gemm kernels).
const TORCH_TOLERANCE: f32 = 1e-5;

fn check_against_torch(name: &str, architecture: Architecture) {
    let net =
        CandleNetwork::load(&fixture(&format!("{name}.safetensors")), architecture, 2).unwrap();
    let got = net.forward(&input()).unwrap();
    let want = reference(name);
    let diff = got.max_abs_diff(&want).unwrap();
    println!("{name}: max |candle − torch| = {diff:.2e}");
    assert!(
        diff < TORCH_TOLERANCE,
        "{name}: {diff} {:?} vs {:?}",
        got.data,
        want.data
    );
}

#[test]
fn resnet18_matches_torchvision() {
    check_against_torch("resnet18_slim", Architecture::Resnet18);
}

#[test]
fn resnet50_matches_torchvision() {
    check_against_torch("resnet50_slim", Architecture::Resnet50);
}

#[test]
fn mobilenet_v2_matches_torchvision() {
    check_against_torch("mobilenet_v2_slim", Architecture::MobilenetV2);
}

#[test]
fn efficientnet_b0_matches_torchvision() {
    check_against_torch("efficientnet_b0_slim", Architecture::EfficientnetB0);
}

#[test]
fn resnet18_onnx_runs_in_tract_and_agrees_with_candle() {
    let tract =
        TractModel::load(&fixture("resnet18_slim.onnx"), &preprocess(3, [64, 64]), 2).unwrap();
    let from_onnx = tract.forward(&input()).unwrap();
    let torch = reference("resnet18_slim");
    let candle = CandleNetwork::load(
        &fixture("resnet18_slim.safetensors"),
        Architecture::Resnet18,
        1,
    )
    .unwrap()
    .forward(&input())
    .unwrap();
    let (vs_torch, vs_candle) = (
        from_onnx.max_abs_diff(&torch).unwrap(),
        from_onnx.max_abs_diff(&candle).unwrap(),
    );
    println!("resnet18 ONNX in tract: vs torch {vs_torch:.2e}, vs candle {vs_candle:.2e}");
    assert!(vs_torch < TORCH_TOLERANCE && vs_candle < 1e-5);
    let info = tract.info();
    assert_eq!(info.outputs, Some(3));
    assert_eq!(info.weights_sha256.map(|s| s.len()), Some(64));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let one = CandleNetwork::load(
        &fixture("mobilenet_v2_slim.safetensors"),
        Architecture::MobilenetV2,
        1,
    )
    .unwrap()
    .forward(&input())
    .unwrap();
    let three = CandleNetwork::load(
        &fixture("mobilenet_v2_slim.safetensors"),
        Architecture::MobilenetV2,
        3,
    )
    .unwrap()
    .forward(&input())
    .unwrap();
    assert_eq!(one, three);
}

#[test]
fn an_unsupported_operator_is_named_with_its_node() {
    let err =
        TractModel::load(&fixture("unsupported_op.onnx"), &preprocess(1, [8, 8]), 1).unwrap_err();
    match &err {
        ModelError::UnsupportedOperator {
            op, node, backend, ..
        } => {
            assert_eq!(
                (op.as_str(), node.as_str(), *backend),
                ("DeformConv", "deform_1", "tract")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("uses operator `DeformConv` (node `deform_1`)"),
        "{err}"
    );
    assert!(err.help().contains("backend: onnxruntime"));
}

#[test]
fn an_input_shape_that_contradicts_the_spec_is_refused_before_running() {
    // The ONNX graph takes 3 channels; the spec says 1.
    let err =
        TractModel::load(&fixture("resnet18_slim.onnx"), &preprocess(1, [64, 64]), 1).unwrap_err();
    let ModelError::InputShape {
        expected,
        found,
        fix,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (expected.as_str(), found.as_str()),
        ("N×1×64×64", "?×3×?×?")
    );
    assert!(fix.contains("channels: 3"), "{fix}");
    // A graph with a fixed size names the size to write.
    let err =
        TractModel::load(&fixture("unsupported_op.onnx"), &preprocess(1, [16, 16]), 1).unwrap_err();
    assert!(
        matches!(err, ModelError::UnsupportedOperator { .. }),
        "operators are checked first"
    );
}

#[test]
fn weights_of_another_architecture_name_the_missing_tensor() {
    let err = CandleNetwork::load(
        &fixture("resnet18_slim.safetensors"),
        Architecture::MobilenetV2,
        1,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("no tensor `features.0.0.weight`"), "{text}");
    assert!(err.help().contains("architecture"));
    // ResNet-50 weights are not a ResNet-18: the first block's shapes differ.
    let err = CandleNetwork::load(
        &fixture("resnet50_slim.safetensors"),
        Architecture::Resnet18,
        1,
    )
    .unwrap_err();
    assert!(err.to_string().contains("layer1.0.conv1.weight"), "{err}");
}
