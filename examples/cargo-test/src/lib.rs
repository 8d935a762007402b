//! A model crate gated on its spec: the nodule CNN of `examples/chest-xray`, written as a
//! candle [`Module`] in Rust and loaded from the example's safetensors weights. Its
//! `tests/attest.rs` turns every test of `attest.yaml` into a cargo test.

use std::path::Path;

use candle_core::{Device, Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear};

/// The `small_cnn` architecture: blocks of 3×3 convolution (padding 1), ReLU and 2×2 max
/// pooling, then global max pooling and one linear layer to a logit.
pub struct NoduleCnn {
    blocks: Vec<Conv2d>,
    fc: Linear,
}

impl NoduleCnn {
    /// The network with the weights in the safetensors file at `path` (`conv1.weight`,
    /// `conv1.bias`, …, `fc.weight`, `fc.bias`).
    pub fn load(path: &Path) -> Result<NoduleCnn> {
        let tensors = candle_core::safetensors::load(path, &Device::Cpu)?;
        let get = |name: &str| {
            tensors
                .get(name)
                .cloned()
                .ok_or_else(|| candle_core::Error::Msg(format!("`{name}` is not in the weights")))
        };
        let config = Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        let mut blocks = Vec::new();
        while tensors.contains_key(&format!("conv{}.weight", blocks.len() + 1)) {
            let i = blocks.len() + 1;
            let weight = get(&format!("conv{i}.weight"))?;
            let bias = get(&format!("conv{i}.bias"))?;
            blocks.push(Conv2d::new(weight, Some(bias), config));
        }
        let fc = Linear::new(get("fc.weight")?, Some(get("fc.bias")?));
        Ok(NoduleCnn { blocks, fc })
    }
}

impl Module for NoduleCnn {
    /// `[n, 1, h, w]` images to `[n, 1]` logits.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.clone();
        for conv in &self.blocks {
            x = conv.forward(&x)?.relu()?.max_pool2d(2)?;
        }
        // Global max pooling over height and width.
        let pooled = x.max_keepdim(3)?.max_keepdim(2)?.flatten_from(1)?;
        self.fc.forward(&pooled)
    }
}

/// The models this crate's specs may name: `nodule-cnn` (one input channel).
pub fn models() -> Result<attest::Models> {
    let weights =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../chest-xray/models/nodule_cnn.safetensors");
    let mut models = attest::Models::new();
    // Registered with its weights file: the evidence names the weights by SHA-256, and the
    // predictions are cached (a re-run, or each cargo-nextest process, reuses them).
    models
        .register_with_weights("nodule-cnn", 1, &weights, NoduleCnn::load(&weights)?)
        .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
    Ok(models)
}
