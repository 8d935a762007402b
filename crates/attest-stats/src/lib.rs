//! Statistics for Attest: metrics, confidence intervals, operating-point selection,
//! hypothesis tests and the seeded bootstrap.
//!
//! Pure functions over slices of labels and scores, with no I/O, so every number in an
//! evidence bundle can be checked against a reference implementation (scikit-learn, scipy,
//! statsmodels, pROC). The golden tests in `tests/golden/` do exactly that; the formulas,
//! edge cases and references are in `spec/v1.md` §11.
//!
//! Conventions that hold everywhere:
//! - a case is called **positive iff its score ≥ the threshold**;
//! - a number that is mathematically undefined (a rate with a zero denominator, an AUC with
//!   one class absent) is an [`Undefined`] with its reason, never a NaN;
//! - invalid input (NaN or infinite scores, mismatched lengths) is a [`StatsError`];
//! - every random draw comes from [`rng::derive_seed`] of the caller's seed and stable ids, so
//!   results do not depend on the number of threads.
//!
//! ```
//! use attest_stats::{Sample, roc};
//! let labels = [false, false, true, true];
//! let scores = [0.1, 0.4, 0.35, 0.8];
//! let sample = Sample::new(&labels, &scores)?;
//! assert_eq!(roc::auc(&sample.ranked())?, 0.75);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod average;
pub mod binary;
pub mod calibration;
pub mod ci;
pub mod compare;
pub mod counts;
pub mod coverage;
pub mod error;
pub mod metric;
pub mod multiclass;
pub mod multilabel;
pub mod multiplicity;
pub mod operating_point;
pub mod rank;
pub mod rng;
pub mod roc;
pub mod sample;

pub use counts::{Counts, WeightedCounts};
pub use error::{StatsError, Undefined, Value};
pub use rank::Ranked;
pub use sample::Sample;
