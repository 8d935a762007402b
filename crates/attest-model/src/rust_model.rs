//! Models written in Rust: a candle [`Module`] registered under the name a spec's
//! `model.rust:` refers to.

use std::collections::BTreeMap;
use std::sync::Arc;

use candle_core::{Device, Module, Tensor};

use crate::error::ModelError;
use crate::network::{Network, NetworkInfo};
use crate::tensor::{Batch, Outputs};

/// A user's module as a [`Network`]: it receives the batch as an `[n, c, h, w]` `f32`
/// tensor on the CPU and must return `[n, k]` (or `[n]`, read as k = 1).
#[derive(Clone)]
pub struct RustModel {
    name: String,
    module: Arc<dyn Module + Send + Sync>,
    channels: Option<usize>,
    /// The SHA-256 of the weights the module was built from, where the program declared them:
    /// it names the model in the evidence and keys its predictions in the cache.
    weights_sha256: Option<String>,
}

impl std::fmt::Debug for RustModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustModel")
            .field("name", &self.name)
            .finish()
    }
}

impl Network for RustModel {
    fn info(&self) -> NetworkInfo {
        NetworkInfo {
            backend: format!("rust (candle Module `{}`)", self.name),
            input: [self.channels, None, None],
            outputs: None,
            weights_sha256: self.weights_sha256.clone(),
        }
    }

    fn forward(&self, batch: &Batch) -> Result<Outputs, ModelError> {
        let error = |e: candle_core::Error| ModelError::Forward {
            model: format!("rust model `{}`", self.name),
            message: e.to_string(),
        };
        let input = Tensor::from_slice(
            &batch.data,
            (batch.n, batch.channels, batch.height, batch.width),
            &Device::Cpu,
        )
        .map_err(error)?;
        let output = self.module.forward(&input).map_err(error)?;
        let dims = output.dims().to_vec();
        let k = match dims.as_slice() {
            [n] if *n == batch.n => 1,
            [n, k] if *n == batch.n => *k,
            _ => {
                return Err(ModelError::Forward {
                    model: format!("rust model `{}`", self.name),
                    message: format!(
                        "returned a tensor of shape {dims:?} for a batch of {}; expected [{}, k]",
                        batch.n, batch.n
                    ),
                })
            }
        };
        let values = output
            .to_dtype(candle_core::DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(error)?;
        Outputs::new(batch.n, k, values)
    }
}

/// The Rust models a program makes available to its specs, by name.
#[derive(Clone, Default)]
pub struct Models {
    models: BTreeMap<String, RustModel>,
}

impl std::fmt::Debug for Models {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.models.keys()).finish()
    }
}

impl Models {
    /// No models.
    pub fn new() -> Models {
        Models::default()
    }

    /// Registers `module` as `name` (replacing an earlier one of that name).
    pub fn register(
        &mut self,
        name: &str,
        module: impl Module + Send + Sync + 'static,
    ) -> &mut Models {
        self.insert(name, None, Arc::new(module))
    }

    /// Registers `module` as `name`, declaring the input channels it takes so that a spec
    /// asking for others is refused before any image is read.
    pub fn register_with_channels(
        &mut self,
        name: &str,
        channels: usize,
        module: impl Module + Send + Sync + 'static,
    ) -> &mut Models {
        self.insert(name, Some(channels), Arc::new(module))
    }

    /// Registers `module` as `name` with its input channels and the weights file it was built
    /// from. The file's SHA-256 then identifies the model in the evidence, and its predictions
    /// are cached like those of an ONNX or safetensors model (a module registered without
    /// weights is never cached: nothing would tell two versions of it apart).
    pub fn register_with_weights(
        &mut self,
        name: &str,
        channels: usize,
        weights: &std::path::Path,
        module: impl Module + Send + Sync + 'static,
    ) -> Result<&mut Models, ModelError> {
        let sha256 = attest_data::hash::sha256_file(weights).map_err(|e| ModelError::Io {
            path: e.path,
            source: e.source,
        })?;
        self.insert(name, Some(channels), Arc::new(module));
        if let Some(model) = self.models.get_mut(name) {
            model.weights_sha256 = Some(sha256);
        }
        Ok(self)
    }

    fn insert(
        &mut self,
        name: &str,
        channels: Option<usize>,
        module: Arc<dyn Module + Send + Sync>,
    ) -> &mut Models {
        let model = RustModel {
            name: name.to_string(),
            module,
            channels,
            weights_sha256: None,
        };
        self.models.insert(name.to_string(), model);
        self
    }

    /// Registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.models.keys().cloned().collect()
    }

    /// The model registered as `name`.
    pub fn get(&self, name: &str) -> Result<RustModel, ModelError> {
        self.models
            .get(name)
            .cloned()
            .ok_or_else(|| ModelError::NotRegistered {
                name: name.to_string(),
                known: self.names(),
            })
    }
}
