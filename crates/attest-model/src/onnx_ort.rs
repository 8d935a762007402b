//! The optional onnxruntime backend (build feature `onnxruntime`): the `ort` crate with
//! `load-dynamic`, so nothing is linked or downloaded at build time. The library is found at
//! run time from `ORT_DYLIB_PATH` (the `onnxruntime` pip wheel ships it as
//! `onnxruntime/capi/libonnxruntime.so.*`), else the system's `libonnxruntime.so`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;
use ort::value::TensorRef;

use crate::error::ModelError;
use crate::network::{Network, NetworkInfo};
use crate::preprocess::Preprocess;
use crate::shape;
use crate::tensor::{Batch, Outputs};

/// The process's one onnxruntime environment (onnxruntime allows one per process).
static ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();

/// Loads the onnxruntime library once; later calls return the same answer.
fn environment() -> Result<&'static Environment, ModelError> {
    let result = ENVIRONMENT.get_or_init(|| {
        let library = std::env::var_os("ORT_DYLIB_PATH")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("libonnxruntime.so"));
        let builder = ort::init_from(&library)
            .map_err(|e| format!("cannot load {} ({e})", library.display()))?;
        builder
            .with_name("attest")
            .build()
            .map_err(|e| format!("cannot start onnxruntime ({e})"))
    });
    result
        .as_ref()
        .map_err(|reason| ModelError::OnnxruntimeUnavailable {
            reason: reason.clone(),
        })
}

/// An ONNX model in an onnxruntime session.
pub struct OrtModel {
    path: PathBuf,
    session: Mutex<Session>,
    input: [usize; 3],
    /// Whether the graph takes any batch size (else images run one at a time).
    dynamic_batch: bool,
    outputs: Option<usize>,
    sha256: String,
}

impl std::fmt::Debug for OrtModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrtModel")
            .field("path", &self.path)
            .finish()
    }
}

impl OrtModel {
    /// Loads `path` into a session with `threads` intra-op threads and checks its input
    /// against `pre`.
    pub fn load(path: &Path, pre: &Preprocess, threads: usize) -> Result<OrtModel, ModelError> {
        let env = environment()?;
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let onnx_error = |message: String| ModelError::Onnx {
            path: path.to_path_buf(),
            message,
        };
        let builder = Session::builder(env)
            .map_err(|e| onnx_error(e.to_string()))?
            .with_intra_threads(threads.max(1))
            .map_err(|e| onnx_error(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| onnx_error(e.to_string()))?;
        let mut builder = builder;
        let session = builder
            .commit_from_memory(&bytes)
            .map_err(|e| onnx_error(e.to_string()))?;
        if session.inputs().len() != 1 {
            return Err(onnx_error(format!(
                "the graph has {} inputs; Attest feeds one image tensor",
                session.inputs().len()
            )));
        }
        let dims: Vec<i64> = session.inputs()[0]
            .dtype()
            .tensor_shape()
            .map(|s| s.to_vec())
            .unwrap_or_default();
        let declared: Vec<Option<usize>> = dims
            .iter()
            .map(|&d| usize::try_from(d).ok().filter(|d| *d > 0))
            .collect();
        shape::check_input(&path.display().to_string(), &declared, pre)?;
        let outputs = session
            .outputs()
            .first()
            .and_then(|o| o.dtype().tensor_shape())
            .and_then(|s| {
                s.iter()
                    .skip(1)
                    .map(|&d| usize::try_from(d).ok().filter(|d| *d > 0))
                    .product::<Option<usize>>()
            });
        Ok(OrtModel {
            path: path.to_path_buf(),
            session: Mutex::new(session),
            input: [pre.channels, pre.height, pre.width],
            dynamic_batch: declared.first().is_some_and(Option::is_none),
            outputs,
            sha256: attest_data::hash::sha256_bytes(&bytes),
        })
    }

    fn run(&self, session: &mut Session, n: usize, data: &[f32]) -> Result<Vec<f32>, ModelError> {
        let error = |e: ort::Error| ModelError::Forward {
            model: self.path.display().to_string(),
            message: e.to_string(),
        };
        let shape = [n, self.input[0], self.input[1], self.input[2]];
        let tensor = TensorRef::from_array_view((shape, data)).map_err(error)?;
        let outputs = session.run(ort::inputs![tensor]).map_err(error)?;
        let (_, values) = outputs[0].try_extract_tensor::<f32>().map_err(error)?;
        Ok(values.to_vec())
    }
}

impl Network for OrtModel {
    fn info(&self) -> NetworkInfo {
        NetworkInfo {
            backend: "onnxruntime (ONNX)".into(),
            input: self.input.map(Some),
            outputs: self.outputs,
            weights_sha256: Some(self.sha256.clone()),
        }
    }

    fn forward(&self, batch: &Batch) -> Result<Outputs, ModelError> {
        if [batch.channels, batch.height, batch.width] != self.input {
            return Err(ModelError::Batch(format!(
                "batch {} for a model prepared for N×{}×{}×{}",
                batch.shape_text(),
                self.input[0],
                self.input[1],
                self.input[2]
            )));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| ModelError::Batch("an earlier forward pass panicked".into()))?;
        let values = if self.dynamic_batch {
            self.run(&mut session, batch.n, &batch.data)?
        } else {
            let mut all = Vec::new();
            for i in 0..batch.n {
                all.extend(self.run(&mut session, 1, batch.image(i))?);
            }
            all
        };
        let k = values
            .len()
            .checked_div(batch.n)
            .unwrap_or_else(|| self.outputs.unwrap_or(0));
        Outputs::new(batch.n, k, values)
    }
}
