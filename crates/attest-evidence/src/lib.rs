//! The evidence bundle: one folder per run holding the results record, per-case predictions,
//! the frozen spec, a JUnit report, the traceability matrix and a SHA-256 manifest of every
//! input and output — written into a temporary folder and renamed into place when complete —
//! and `verify`, which re-hashes a bundle and names every changed, missing or extra file.
//!
//! ```text
//! Outcome ─ write_bundle ─ results.json, predictions.parquet, spec.yaml,
//!                          junit.xml, traceability.csv, manifest.json (last)
//! bundle folder ─ verify ─ Verification { changed, missing, extra, inputs… }
//! ```

pub mod bundle;
pub mod decompose;
pub mod diff;
pub mod error;
pub mod headline;
pub mod junit;
pub mod manifest;
pub mod plan;
pub mod report;
pub mod sign;
pub mod traceability;
pub mod verify;

pub use bundle::write_bundle;
pub use error::EvidenceError;
pub use manifest::Manifest;
pub use verify::{verify, Verification};
