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
        let plan = typed.into_runnable().map_err(onnx_error)?;
        let executor = if threads > 1 {
            Executor::multithread(threads)
        } else {
            Executor::SingleThread
        };
        Ok(TractModel {
            path: path.to_path_buf(),
            plan,
            executor,
            input,
            outputs,
            sha256,
        })
    }
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
