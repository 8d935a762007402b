//! The `model:` block: where scores come from, how images are prepared, what the output means.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A model: exactly one source (`onnx`, `safetensors` + `architecture`, `scores`, or `rust`),
/// its input preprocessing and its output task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Model identifier as registered in the manufacturer's configuration management.
    #[schemars(length(min = 1))]
    pub id: String,
    /// Model version, quoted in the report next to the weights' SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Path to an ONNX file, relative to the spec file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onnx: Option<String>,
    /// Runtime for an ONNX model: `tract` (embedded, pure Rust; the default) or `onnxruntime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<OnnxBackend>,
    /// Path to a safetensors weights file, relative to the spec file; needs `architecture`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safetensors: Option<String>,
    /// The network that the safetensors weights belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Architecture>,
    /// Precomputed scores instead of a runnable model: a table path, or a table with its
    /// id and score columns. A scores-only model cannot be used by robustness or invariance
    /// tests, which must feed perturbed images to the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<ScoresSource>,
    /// Name of a model registered from Rust through the `attest` crate's API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<String>,
    /// How images are turned into the model's input tensor. Required unless `scores` is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<InputSpec>,
    /// What the model's output means.
    pub output: OutputSpec,
}

/// Where a model's scores come from, once the spec is validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModelSource<'a> {
    /// An ONNX file.
    Onnx(&'a str),
    /// A safetensors file for a known architecture.
    Safetensors(&'a str, Option<Architecture>),
    /// A table of precomputed scores.
    Scores(&'a ScoresSource),
    /// A model registered from Rust.
    Rust(&'a str),
}

impl Model {
    /// Every source key that is set, with its key name, in declaration order.
    pub fn sources(&self) -> Vec<(&'static str, ModelSource<'_>)> {
        let mut out = Vec::new();
        if let Some(p) = &self.onnx {
            out.push(("onnx", ModelSource::Onnx(p)));
        }
        if let Some(p) = &self.safetensors {
            out.push((
                "safetensors",
                ModelSource::Safetensors(p, self.architecture),
            ));
        }
        if let Some(s) = &self.scores {
            out.push(("scores", ModelSource::Scores(s)));
        }
        if let Some(r) = &self.rust {
            out.push(("rust", ModelSource::Rust(r)));
        }
        out
    }

    /// Whether the model is only a table of scores (cannot see perturbed images).
    pub fn is_scores_only(&self) -> bool {
        self.scores.is_some()
            && self.onnx.is_none()
            && self.safetensors.is_none()
            && self.rust.is_none()
    }
}

/// ONNX runtimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnnxBackend {
    /// tract: embedded, pure Rust, no system library (the default).
    Tract,
    /// onnxruntime through its C library (optional build feature).
    Onnxruntime,
}

/// Network architectures that safetensors weights can be loaded into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// ResNet-18 (He et al., 2016).
    Resnet18,
    /// ResNet-34 (He et al., 2016).
    Resnet34,
    /// ResNet-50 (He et al., 2016).
    Resnet50,
    /// EfficientNet-B0 (Tan and Le, 2019).
    EfficientnetB0,
    /// MobileNet v2 (Sandler et al., 2018).
    MobilenetV2,
    /// A small configurable convolutional network (see the models chapter of spec/v1.md).
    SmallCnn,
}

/// A table of precomputed scores: a path, or a path with column names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ScoresSource {
    /// Path to a CSV or Parquet table (relative to the spec) with the data's id column and
    /// a `score` column (binary) or one column per class.
    Path(String),
    /// A table with explicit column names.
    Table(ScoresTable),
}

impl ScoresSource {
    /// The table path.
    pub fn table(&self) -> &str {
        match self {
            ScoresSource::Path(p) => p,
            ScoresSource::Table(t) => &t.table,
        }
    }
}

/// A scores table with explicit columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresTable {
    /// Path to a CSV or Parquet table, relative to the spec file.
    pub table: String,
    /// Column with the case id (default: the data's id column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Column with the score of the positive class (binary tasks; default `score`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
}

/// Input preprocessing: how a decoded image becomes the model's input tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Input size as [height, width] in pixels.
    pub size: [u32; 2],
    /// Number of input channels: 1 (grayscale) or 3 (grayscale replicated, or RGB).
    #[schemars(range(min = 1, max = 3))]
    pub channels: u8,
    /// How the image is fitted to `size`: `stretch` (default), `letterbox` or `center_crop`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resize: Option<ResizeMode>,
    /// Per-channel normalisation applied after pixel values are scaled to [0, 1] by the
    /// image's bit depth: (x - mean) / std.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<Normalize>,
}

/// How an image is fitted to the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    /// Resample to the size, ignoring aspect ratio.
    Stretch,
    /// Keep aspect ratio, pad the short side with zeros.
    Letterbox,
    /// Keep aspect ratio, resize the short side and crop the centre.
    CenterCrop,
}

/// Per-channel normalisation constants; one value, or one per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Normalize {
    /// Means subtracted, one per channel (or one for all).
    #[schemars(length(min = 1, max = 3))]
    pub mean: Vec<f64>,
    /// Standard deviations divided by, one per channel (or one for all); each > 0.
    #[schemars(length(min = 1, max = 3))]
    pub std: Vec<f64>,
}

/// What the model's output means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// `binary` (one score per case: the positive class), `multiclass` (one class per case)
    /// or `multilabel` (any number of findings per case).
    pub task: Task,
    /// Binary task: the name of the positive class, as written in the label column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive: Option<String>,
    /// Multiclass and multilabel tasks: the class names, in the order of the model's outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<String>>,
    /// What turns raw outputs into scores in [0, 1]: `none` (outputs are already
    /// probabilities; the default), `sigmoid` or `softmax`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<Activation>,
}

/// Model output tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// One score per case for the positive class.
    Binary,
    /// Exactly one class per case.
    Multiclass,
    /// Any subset of classes per case.
    Multilabel,
}

impl Task {
    /// The spec word for the task.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Binary => "binary",
            Task::Multiclass => "multiclass",
            Task::Multilabel => "multilabel",
        }
    }
}

/// Output activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// Outputs are already probabilities.
    None,
    /// Logistic function per output.
    Sigmoid,
    /// Softmax across outputs.
    Softmax,
}
