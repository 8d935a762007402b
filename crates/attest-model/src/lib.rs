//! Model adapters behind one trait: ONNX (pure-Rust default backend tract, optional
//! onnxruntime), built-in architectures from safetensors (candle), precomputed scores, and
//! models written in Rust.
//!
//! "A batch of preprocessed images in, a batch of raw outputs out" ([`Network`]) is the only
//! contract the engine relies on, so every backend can be swapped without touching a test.
//! [`load`] reads the spec's `model:` block, picks the backend and checks the model's input
//! and output against the spec before any image is read.

pub mod activation;
pub mod candle;
pub mod content;
pub mod embed;
pub mod error;
pub mod load;
pub mod network;
#[cfg(feature = "onnxruntime")]
pub mod onnx_ort;
pub mod onnx_tract;
pub mod preprocess;
pub mod rust_model;
pub mod scores;
pub mod shape;
pub mod tensor;

pub use activation::Activation;
/// The candle version Attest is built with, for writing models to register in [`Models`].
pub use candle_core;
pub use error::ModelError;
pub use load::{load, LoadOptions, LoadedModel, Scorer};
pub use network::{Network, NetworkInfo};
pub use preprocess::Preprocess;
pub use rust_model::{Models, RustModel};
pub use tensor::{Batch, Outputs};

/// Whether this build has the onnxruntime backend.
pub const HAS_ONNXRUNTIME: bool = cfg!(feature = "onnxruntime");
