//! The evidence bundle: report (HTML and PDF), results JSON, per-case predictions, JUnit XML,
//! traceability matrix and a SHA-256 manifest, written atomically; and `verify`, which re-hashes
//! a bundle and names what changed.
//!
//! Status: the crate exists so the workspace has its final shape; the evidence issue fills it.
