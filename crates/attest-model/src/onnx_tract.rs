//! The default ONNX backend: tract, pure Rust, no system library.
//!
//! Each image runs at batch 1 (tract is fastest there on CPU; larger batches were slower per
//! image when measured) on tract's multithreaded matrix products, with a private thread
//! pool of the requested size.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_linalg::multithread::{multithread_tract_scope, Executor};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::unimpl::UnimplementedOp;
use tract_onnx::tract_hir::infer::Factoid;

use crate::error::ModelError;
use crate::network::{Network, NetworkInfo};
use crate::preprocess::Preprocess;
use crate::shape;
use crate::tensor::{Batch, Outputs};

/// An ONNX model prepared by tract for one input size.
pub struct TractModel {
    path: PathBuf,
    plan: Arc<TypedSimplePlan>,
    executor: Executor,
    input: [usize; 3],
    outputs: usize,
    sha256: String,
}

impl std::fmt::Debug for TractModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractModel")
            .field("path", &self.path)
            .field("input", &self.input)
            .field("outputs", &self.outputs)
            .finish()
    }
}

impl TractModel {
    /// Loads `path`, checks its input against `pre` (the spec's preprocessing), and
    /// optimises it for batch-1 images of that size, running on `threads` threads.
    pub fn load(path: &Path, pre: &Preprocess, threads: usize) -> Result<TractModel, ModelError> {
        Ok(TractModel::load_cut(path, pre, threads, None)?.0)
    }

    /// [`TractModel::load`] with the graph cut at an inner layer (`cut`): the outputs are that
    /// layer's activations. Returns the model and, when cut, the layer's name and its shape
    /// for one image.
    pub fn load_cut(
        path: &Path,
        pre: &Preprocess,
        threads: usize,
        cut: Option<Cut<'_>>,
    ) -> Result<(TractModel, Option<CutLayer>), ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let sha256 = attest_data::hash::sha256_bytes(&bytes);
        let onnx_error = |e: TractError| ModelError::Onnx {
            path: path.to_path_buf(),
            message: format!("{e:#}"),
        };
        let mut model = tract_onnx::onnx()
            .model_for_read(&mut bytes.as_slice())
            .map_err(onnx_error)?;
        if let Some(node) = model.nodes().iter().find(|n| n.op_is::<UnimplementedOp>()) {
            let op = node.op.name().to_string();
            let op = op
                .strip_prefix("Unimplemented(")
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or(&op)
                .to_string();
            return Err(ModelError::UnsupportedOperator {
                path: path.to_path_buf(),
                op,
                node: node.name.clone(),
                backend: "tract",
            });
        }
        if model.inputs.len() != 1 {
            return Err(ModelError::Onnx {
                path: path.to_path_buf(),
                message: format!(
                    "the graph has {} inputs; Attest feeds one image tensor",
                    model.inputs.len()
                ),
            });
        }
        let fact = model.input_fact(0).map_err(onnx_error)?;
        let declared: Vec<Option<usize>> = fact
            .shape
            .dims()
            .map(|d| {
                d.concretize()
                    .and_then(|d| d.as_i64())
                    .and_then(|v| usize::try_from(v).ok())
            })
            .collect();
        shape::check_input(&path.display().to_string(), &declared, pre)?;
        let input = [pre.channels, pre.height, pre.width];
        model
            .set_input_fact(0, f32::fact([1, input[0], input[1], input[2]]).into())
            .map_err(onnx_error)?;
        let cut_name = match cut {
            None => None,
            Some(cut) => Some(cut_at(&mut model, cut).map_err(|message| ModelError::Onnx {
                path: path.to_path_buf(),
                message,
            })?),
        };
        let typed = model.into_optimized().map_err(onnx_error)?;
        let out_fact = typed.output_fact(0).map_err(onnx_error)?;
        let outputs: usize = out_fact
            .shape
            .as_concrete()
            .map(|s| s.iter().product())
            .ok_or_else(|| ModelError::Onnx {
                path: path.to_path_buf(),
                message: format!(
                    "output shape {:?} is not fixed for one image",
                    out_fact.shape
                ),
            })?;
        let cut_layer = cut_name.map(|name| CutLayer {
            name,
            shape: out_fact
                .shape
                .as_concrete()
                .map(|s| s.iter().skip(1).copied().collect())
                .unwrap_or_default(),
        });
        let plan = typed.into_runnable().map_err(onnx_error)?;
        let executor = if threads > 1 {
            Executor::multithread(threads)
        } else {
            Executor::SingleThread
        };
        let model = TractModel {
            path: path.to_path_buf(),
            plan,
            executor,
            input,
            outputs,
            sha256,
        };
        Ok((model, cut_layer))
    }
}

/// Where [`TractModel::load_cut`] cuts the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut<'a> {
    /// The input of the last `Gemm` or `MatMul`: a classifier's penultimate features.
    Penultimate,
    /// The first output of the node with this name.
    Layer(&'a str),
}

/// The layer a graph was cut at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutLayer {
    /// The node's name (for the penultimate cut, the name of the tensor fed to the last
    /// `Gemm`/`MatMul`).
    pub name: String,
    /// Its shape for one image, without the batch axis (e.g. `[64]` or `[64, 7, 7]`).
    pub shape: Vec<usize>,
}

/// Makes the graph's only output the outlet `cut` names; returns a name for it.
fn cut_at(model: &mut InferenceModel, cut: Cut<'_>) -> Result<String, String> {
    let (outlet, name) = match cut {
        Cut::Layer(layer) => {
            let node = model
                .nodes()
                .iter()
                .find(|n| n.name == layer)
                .ok_or_else(|| {
                    let mut names: Vec<&str> =
                        model.nodes().iter().map(|n| n.name.as_str()).collect();
                    names.truncate(40);
                    format!(
                        "no node named `{layer}`; the graph's nodes include: {}",
                        names.join(", ")
                    )
                })?;
            (OutletId::new(node.id, 0), layer.to_string())
        }
        Cut::Penultimate => {
            let order = model.eval_order().map_err(|e| format!("{e:#}"))?;
            let last = order
                .iter()
                .rev()
                .map(|&id| model.node(id))
                .find(|n| matches!(n.op.name().as_ref(), "Gemm" | "MatMul" | "MatMulInference"))
                .ok_or("the graph has no Gemm or MatMul to take the penultimate layer from; name a layer")?;
            let input = *last
                .inputs
                .first()
                .ok_or("the last Gemm/MatMul has no input")?;
            let source = model.node(input.node);
            let name = model
                .outlet_label(input)
                .map_or_else(|| source.name.clone(), str::to_string);
            (input, name)
        }
    };
    model
        .select_output_outlets(&[outlet])
        .map_err(|e| format!("{e:#}"))?;
    Ok(name)
}

impl Network for TractModel {
    fn info(&self) -> NetworkInfo {
        NetworkInfo {
            backend: "tract 0.23 (ONNX)".into(),
            input: self.input.map(Some),
            outputs: Some(self.outputs),
            weights_sha256: Some(self.sha256.clone()),
        }
    }

    fn forward(&self, batch: &Batch) -> Result<Outputs, ModelError> {
        if [batch.channels, batch.height, batch.width] != self.input {
            return Err(ModelError::Batch(format!(
                "batch {} for a model prepared for 1×{}×{}×{}",
                batch.shape_text(),
                self.input[0],
                self.input[1],
                self.input[2]
            )));
        }
        let forward_error = |e: TractError| ModelError::Forward {
            model: self.path.display().to_string(),
            message: format!("{e:#}"),
        };
        let mut data = Vec::with_capacity(batch.n * self.outputs);
        for i in 0..batch.n {
            let tensor = Tensor::from_shape(
                &[1, self.input[0], self.input[1], self.input[2]],
                batch.image(i),
            )
            .map_err(forward_error)?;
            let result = multithread_tract_scope(self.executor.clone(), || {
                self.plan.run(tvec!(tensor.into()))
            })
            .map_err(forward_error)?;
            let view = result[0]
                .to_plain_array_view::<f32>()
                .map_err(forward_error)?;
            data.extend(view.iter().copied());
        }
        Outputs::new(batch.n, self.outputs, data)
    }
}
