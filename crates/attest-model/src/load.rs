//! From the spec's `model:` block to something that gives scores: the right backend,
//! loaded, with its input and output checked against the spec before any image is read.

use std::path::Path;

use attest_perturb::Image;
use attest_spec::types::{Activation, Model, ModelSource, OnnxBackend, Task};

use crate::activation;
use crate::candle::CandleNetwork;
use crate::error::ModelError;
use crate::network::{Network, NetworkInfo};
use crate::onnx_tract::TractModel;
use crate::preprocess::Preprocess;
use crate::rust_model::Models;
use crate::scores::ScoreTable;
use crate::shape;
use crate::tensor::Outputs;

/// Choices that are not part of the spec (they do not change results).
#[derive(Debug, Clone)]
pub struct LoadOptions<'a> {
    /// Threads for the forward pass.
    pub threads: usize,
    /// Overrides the spec's ONNX `backend` (the CLI's `--backend`).
    pub backend: Option<OnnxBackend>,
    /// Rust models registered by the program.
    pub models: Option<&'a Models>,
}

impl Default for LoadOptions<'_> {
    fn default() -> Self {
        LoadOptions {
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            backend: None,
            models: None,
        }
    }
}

/// Where scores come from.
pub enum Scorer {
    /// A network that sees (possibly perturbed) images.
    Network {
        /// The backend.
        network: Box<dyn Network>,
        /// The spec's preprocessing.
        preprocess: Preprocess,
    },
    /// Scores read from a table; cannot see perturbed images.
    Table(ScoreTable),
}

/// A loaded model: its scorer and how raw outputs become scores.
pub struct LoadedModel {
    /// The scorer.
    pub scorer: Scorer,
    /// The spec's task.
    pub task: Task,
    /// The spec's activation.
    pub activation: Activation,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("task", &self.task)
            .field("activation", &self.activation)
            .finish()
    }
}

/// Loads the spec's model (paths relative to `base`, the spec's folder); `data_id` is the
/// data's id column (the scores table's default id column).
pub fn load(
    model: &Model,
    base: &Path,
    data_id: &str,
    options: &LoadOptions<'_>,
) -> Result<LoadedModel, ModelError> {
    let sources = model.sources();
    let (_, source) = match sources.as_slice() {
        [one] => one,
        _ => {
            return Err(ModelError::Spec(
                "model must have exactly one of `onnx`, `safetensors`, `scores`, `rust`".into(),
            ))
        }
    };
    let activation = model.output.activation.unwrap_or(Activation::None);
    let task = model.output.task;
    if let ModelSource::Scores(table) = source {
        let table = ScoreTable::load(table, &model.output, data_id, base)?;
        return Ok(LoadedModel {
            scorer: Scorer::Table(table),
            task,
            activation,
        });
    }
    let input = model
        .input
        .as_ref()
        .ok_or_else(|| ModelError::Spec("model.input is required for a runnable model".into()))?;
    let preprocess = Preprocess::from_spec(input)?;
    let threads = options.threads.max(1);
    let (network, name): (Box<dyn Network>, String) = match *source {
        ModelSource::Onnx(path) => {
            let path = base.join(path);
            crate::content::expect(&path, crate::content::ModelFormat::Onnx)?;
            let name = path.display().to_string();
            let backend = options
                .backend
                .or(model.backend)
                .unwrap_or(OnnxBackend::Tract);
            let network: Box<dyn Network> = match backend {
                OnnxBackend::Tract => Box::new(TractModel::load(&path, &preprocess, threads)?),
                OnnxBackend::Onnxruntime => onnxruntime(&path, &preprocess, threads)?,
            };
            (network, name)
        }
        ModelSource::Safetensors(path, architecture) => {
            let path = base.join(path);
            let architecture = architecture
                .ok_or_else(|| ModelError::Spec("`safetensors` needs `architecture`".into()))?;
            let network = CandleNetwork::load(&path, architecture, threads)?;
            (Box::new(network), path.display().to_string())
        }
        ModelSource::Rust(name) => {
            let models = options.models.ok_or_else(|| ModelError::NotRegistered {
                name: name.to_string(),
                known: Vec::new(),
            })?;
            (Box::new(models.get(name)?), format!("rust model `{name}`"))
        }
        // Returned early above; an error rather than a panic should that ever change.
        ModelSource::Scores(_) => {
            return Err(ModelError::Spec(
                "a scores table has no network to load".into(),
            ))
        }
    };
    let info = network.info();
    check_declared(&name, &info, &preprocess)?;
    if let Some(k) = info.outputs {
        shape::check_outputs(&name, k, &model.output)?;
    }
    Ok(LoadedModel {
        scorer: Scorer::Network {
            network,
            preprocess,
        },
        task,
        activation,
    })
}

/// Channels declared by candle or Rust models (ONNX backends check the full shape on load).
fn check_declared(name: &str, info: &NetworkInfo, pre: &Preprocess) -> Result<(), ModelError> {
    let declared = [None, info.input[0], info.input[1], info.input[2]];
    shape::check_input(name, &declared, pre)
}

#[cfg(feature = "onnxruntime")]
fn onnxruntime(
    path: &Path,
    pre: &Preprocess,
    threads: usize,
) -> Result<Box<dyn Network>, ModelError> {
    Ok(Box::new(crate::onnx_ort::OrtModel::load(
        path, pre, threads,
    )?))
}

#[cfg(not(feature = "onnxruntime"))]
fn onnxruntime(_: &Path, _: &Preprocess, _: usize) -> Result<Box<dyn Network>, ModelError> {
    Err(ModelError::OnnxruntimeUnavailable {
        reason: "this build of Attest was made without the `onnxruntime` feature (rebuild with `--features onnxruntime`)".into(),
    })
}

impl LoadedModel {
    /// Scores for images (one row per image, activation applied, the binary score as one
    /// value), running the network in batches of `batch_size`.
    pub fn score_images(
        &self,
        images: &[&Image],
        batch_size: usize,
    ) -> Result<Outputs, ModelError> {
        let Scorer::Network {
            network,
            preprocess,
        } = &self.scorer
        else {
            return Err(ModelError::Spec(
                "a scores-only model cannot score images (robustness and invariance tests need a runnable model)".into(),
            ));
        };
        let mut all = Outputs::new(0, 0, Vec::new())?;
        for chunk in images.chunks(batch_size.max(1)) {
            let batch = preprocess.batch(chunk)?;
            all.extend(network.forward(&batch)?)?;
        }
        self.finish(all)
    }

    /// Scores for case ids from a scores table (activation applied).
    pub fn score_ids(&self, ids: &[&str]) -> Result<Outputs, ModelError> {
        let Scorer::Table(table) = &self.scorer else {
            return Err(ModelError::Spec(
                "this model scores images, not case ids".into(),
            ));
        };
        let mut data = Vec::with_capacity(ids.len() * table.columns.len());
        for id in ids {
            let row = table.get(id).ok_or_else(|| ModelError::Scores {
                path: table.path().to_path_buf(),
                message: format!("no row for case `{id}`"),
            })?;
            data.extend_from_slice(row);
        }
        self.finish(Outputs::new(ids.len(), table.columns.len(), data)?)
    }

    /// Applies the activation; a binary model's two outputs become the second's score.
    fn finish(&self, raw: Outputs) -> Result<Outputs, ModelError> {
        let mut out = raw;
        for i in 0..out.n {
            let k = out.k;
            activation::apply(self.activation, &mut out.data[i * k..(i + 1) * k]);
        }
        if self.task == Task::Binary && out.k == 2 {
            let positive = (0..out.n).map(|i| out.data[i * 2 + 1]).collect();
            out = Outputs::new(out.n, 1, positive)?;
        }
        Ok(out)
    }

    /// The network's description (`None` for a scores table).
    pub fn info(&self) -> Option<NetworkInfo> {
        match &self.scorer {
            Scorer::Network { network, .. } => Some(network.info()),
            Scorer::Table(_) => None,
        }
    }
}
