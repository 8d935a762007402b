//! Model adapters behind one trait: ONNX (pure-Rust default backend, optional onnxruntime),
//! safetensors + architecture (candle), precomputed scores, and models written in Rust.
//!
//! "A batch of preprocessed images in, a batch of scores out" is the only contract the engine
//! relies on, so every backend can be swapped without touching a test.
//!
//! Status: the crate exists so the workspace has its final shape; the models issue fills it.
