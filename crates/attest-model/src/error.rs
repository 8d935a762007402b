//! Why a model could not be loaded or run. Every variant names the file or the model and
//! carries a fix in [`ModelError::help`].

use std::path::PathBuf;

/// A model that could not be loaded, checked against the spec, or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The model file could not be read.
    #[error("cannot read model file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The model file's content is not the format its spec key names (a PyTorch checkpoint
    /// under `onnx:`, a Git LFS pointer, an HTML page…); found before any parser runs.
    #[error("model file {} is named under `{key}:` but is {found}", path.display())]
    WrongContent {
        /// The file.
        path: PathBuf,
        /// The spec key that named it (`onnx` or `safetensors`).
        key: &'static str,
        /// What the file is, in words.
        found: &'static str,
        /// How to get a loadable file.
        fix: &'static str,
    },
    /// The ONNX file could not be parsed or prepared for running.
    #[error("cannot load ONNX model {}: {message}", path.display())]
    Onnx {
        /// The file.
        path: PathBuf,
        /// What the runtime said.
        message: String,
    },
    /// The ONNX graph uses an operator the chosen runtime does not implement.
    #[error(
        "ONNX model {} uses operator `{op}` (node `{node}`), which the {backend} backend does not implement",
        path.display()
    )]
    UnsupportedOperator {
        /// The file.
        path: PathBuf,
        /// The ONNX operator type, e.g. `GridSample`.
        op: String,
        /// The node's name in the graph.
        node: String,
        /// The backend that refused it.
        backend: &'static str,
    },
    /// The model's input does not accept the tensor the spec's `model.input` produces.
    #[error("{model} expects input {found} but the spec's model.input gives {expected}")]
    InputShape {
        /// The model (file or registered name).
        model: String,
        /// The shape the spec's preprocessing produces, written N×C×H×W.
        expected: String,
        /// The shape the model declares.
        found: String,
        /// The `model.input` keys that would match the model.
        fix: String,
    },
    /// The model's output does not have the number of values the spec's task needs.
    #[error("{model} gives {found} output value(s) per image but the spec's model.output needs {expected}")]
    OutputShape {
        /// The model.
        model: String,
        /// What the task needs (e.g. "1 (binary)").
        expected: String,
        /// What the model declares or returned.
        found: usize,
    },
    /// A safetensors file could not be read, or lacks a tensor the architecture needs.
    #[error("weights {}: {message}", path.display())]
    Weights {
        /// The safetensors file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The onnxruntime backend was asked for but cannot be used.
    #[error("the onnxruntime backend is not available: {reason}")]
    OnnxruntimeUnavailable {
        /// Why (not built in, library not found, version too old).
        reason: String,
    },
    /// A `rust:` model name that nothing registered.
    #[error("no Rust model named `{name}` is registered")]
    NotRegistered {
        /// The name in the spec.
        name: String,
        /// Names that are registered.
        known: Vec<String>,
    },
    /// The precomputed scores table is unusable.
    #[error("scores table {}: {message}", path.display())]
    Scores {
        /// The table.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The model was given input it cannot take (wrong batch layout); a programming error in
    /// the caller rather than bad user input.
    #[error("invalid batch: {0}")]
    Batch(String),
    /// A forward pass failed inside the runtime.
    #[error("forward pass of {model} failed: {message}")]
    Forward {
        /// The model.
        model: String,
        /// What the runtime said.
        message: String,
    },
    /// The spec's model block cannot be run as written (e.g. a scores-only model asked for
    /// images); validation normally catches this first.
    #[error("{0}")]
    Spec(String),
}

impl ModelError {
    /// How to fix it, in one or two sentences.
    pub fn help(&self) -> String {
        match self {
            ModelError::Io { .. } => {
                "check the path in the spec's `model` block (paths are relative to the spec file)".into()
            }
            ModelError::Onnx { .. } => {
                "re-export the model with `torch.onnx.export(..., opset_version=17)` and check it with `onnx.checker.check_model`".into()
            }
            ModelError::UnsupportedOperator { backend, .. } if *backend == "tract" => {
                "use `backend: onnxruntime` for this model, or export it without this operator (for example by replacing it with supported layers)".into()
            }
            ModelError::UnsupportedOperator { .. } => {
                "export the model without this operator".into()
            }
            ModelError::InputShape { fix, .. } => fix.clone(),
            ModelError::OutputShape { .. } => {
                "a binary model gives one score (or two softmax outputs, the second positive); a multiclass or multilabel model gives one value per entry of `model.output.classes`".into()
            }
            ModelError::WrongContent { fix, .. } => (*fix).into(),
            ModelError::Weights { .. } => {
                "check that `architecture` names the network these weights were saved from (tensor names follow torchvision's state_dict)".into()
            }
            ModelError::OnnxruntimeUnavailable { .. } => {
                "install the onnxruntime library (`pip install onnxruntime` ships libonnxruntime.so under onnxruntime/capi) and set ORT_DYLIB_PATH to it, or use `backend: tract`".into()
            }
            ModelError::NotRegistered { known, .. } if known.is_empty() => {
                "register the model with `attest::Models::register` before running the spec".into()
            }
            ModelError::NotRegistered { known, .. } => {
                format!("registered models: {}", known.join(", "))
            }
            ModelError::Scores { .. } => {
                "the scores table needs the data's id column and one score column per output (`score` for binary tasks)".into()
            }
            ModelError::Batch(_) | ModelError::Forward { .. } => {
                "this is a bug in Attest or the runtime if the model loaded; please report it with the model file".into()
            }
            ModelError::Spec(_) => "run `attest validate` on the spec".into(),
        }
    }
}
