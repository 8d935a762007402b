//! The case table: metadata from CSV/Parquet, labels, cohorts as SQL predicates, image
//! decoding (PNG, JPEG, TIFF, DICOM) and content hashes.
//!
//! It turns the `data:` and `cohorts:` blocks of a validated spec into concrete cases, and
//! reports every problem in the table (duplicate ids, missing labels, missing files) before
//! any inference starts.
//!
//! Status: [`table`] reads tables and typed columns (used by `attest metrics`); cohorts,
//! images and hashing come with the data issue.

pub mod cases;
pub mod check;
pub mod cohort;
pub mod hash;
pub mod images;
pub mod table;
