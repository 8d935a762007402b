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
mod dicom_lengths;
pub mod hash;
pub mod images;
pub mod limits;
mod parquet_footer;
mod parquet_pages;
pub mod table;

/// The message of a caught panic (a dependency's decoder that panicked on a damaged file),
/// for the error that replaces it; empty when the payload is not text.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_default()
}
