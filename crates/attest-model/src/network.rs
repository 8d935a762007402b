//! The one contract every runnable backend meets: a batch of preprocessed images in, a
//! batch of raw outputs out.

use crate::error::ModelError;
use crate::tensor::{Batch, Outputs};

/// What the evidence records about a loaded network.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkInfo {
    /// The runtime, e.g. `tract 0.23`, `onnxruntime`, `candle (resnet18)`, `rust`.
    pub backend: String,
    /// Input the network declares: channels, height, width (`None` where it accepts any).
    pub input: [Option<usize>; 3],
    /// Output values per image, when the network declares it.
    pub outputs: Option<usize>,
    /// SHA-256 of the weights file (ONNX or safetensors); `None` for models built in code.
    pub weights_sha256: Option<String>,
}

/// A runnable classifier. Implementations are deterministic (the same batch gives the same
/// outputs whatever the thread count) and safe to call from several threads.
pub trait Network: Send + Sync {
    /// Backend, declared shapes and weights hash.
    fn info(&self) -> NetworkInfo;

    /// Raw outputs (logits or probabilities, as the network gives them) for every image of
    /// `batch`.
    fn forward(&self, batch: &Batch) -> Result<Outputs, ModelError>;
}
