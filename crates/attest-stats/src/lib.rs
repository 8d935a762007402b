//! Statistics for Attest: metrics, confidence intervals, operating-point selection,
//! hypothesis tests and the seeded bootstrap.
//!
//! Pure functions over slices of labels and scores, with no I/O, so every number in an
//! evidence bundle can be checked against a reference implementation (scikit-learn, scipy,
//! statsmodels, pROC). The engine calls these; the spec crate names them.
//!
//! Status: the crate exists so the workspace has its final shape; the statistics issue fills it.
