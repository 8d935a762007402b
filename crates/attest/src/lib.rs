//! Attest: declare how a medical-imaging model must be tested, in a YAML spec a regulatory
//! reader can sign, then run it and keep the evidence.
//!
//! This facade is the crate a model repository depends on. Today it re-exports the spec
//! language ([`spec`]): load a spec, validate it, and read its diagnostics. The `cargo test`
//! harness and the run API arrive with the engine and evidence issues.
//!
//! ```
//! let src = attest::spec::SpecSource::new("attest.yaml", "attest: 1\nname: demo\n");
//! let report = attest::spec::validate_source(&src, &attest::spec::ValidateOptions::default());
//! assert!(report.has_errors()); // intended_use, seed, model, data and tests are missing
//! ```

pub use attest_spec as spec;
