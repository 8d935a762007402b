//! Attest: declare how a medical-imaging model must be tested, in a YAML spec a regulatory
//! reader can sign, then run it and keep the evidence.
//!
//! This facade is the crate a model repository depends on. It re-exports the spec language
//! ([`spec`]: load a spec, validate it, read its diagnostics) and the model layer ([`model`]:
//! load the spec's model, score images). A model written in Rust is made available to
//! specs (`model: { rust: NAME }`) by registering it in [`Models`]. [`Runner`] runs a spec
//! and writes its evidence bundle; [`harness`] turns every test of a spec into a cargo test.
//!
//! ```
//! let src = attest::spec::SpecSource::new("attest.yaml", "attest: 1\nname: demo\n");
//! let report = attest::spec::validate_source(&src, &attest::spec::ValidateOptions::default());
//! assert!(report.has_errors()); // intended_use, seed, model, data and tests are missing
//! ```
//!
//! Registering a candle module as a Rust model:
//!
//! ```
//! use attest::model::candle_core::{Module, Result, Tensor};
//!
//! /// Scores an image by its mean intensity.
//! struct MeanIntensity;
//!
//! impl Module for MeanIntensity {
//!     fn forward(&self, x: &Tensor) -> Result<Tensor> {
//!         x.flatten_from(1)?.mean_keepdim(1) // [n, c, h, w] -> [n, 1]
//!     }
//! }
//!
//! let mut models = attest::Models::new();
//! models.register_with_channels("mean-intensity", 1, MeanIntensity);
//! assert_eq!(models.names(), ["mean-intensity"]);
//! ```

pub mod harness;
pub mod runner;

pub use attest_model as model;
pub use attest_model::Models;
pub use attest_spec as spec;
pub use attest_spec::results::{Results, TestResult, Verdict};
pub use runner::{Run, RunError, Runner};
