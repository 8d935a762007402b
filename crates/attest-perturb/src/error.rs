//! Errors of the perturbation crate.

/// Why a perturbation could not be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PerturbError {
    /// No kind has this name.
    #[error("unknown perturbation kind `{name}`{hint}")]
    UnknownKind {
        /// The name given.
        name: String,
        /// A " (did you mean …?)" suffix or empty.
        hint: String,
    },
    /// The severity is outside the kind's table.
    #[error("severity {severity} is outside 0..={max} for `{kind}`")]
    Severity {
        /// The kind.
        kind: &'static str,
        /// The severity asked for.
        severity: u8,
        /// The kind's highest severity.
        max: u8,
    },
    /// A parameter name the kind does not have.
    #[error("`{kind}` has no parameter `{name}`; its parameters are: {available}")]
    UnknownParameter {
        /// The kind.
        kind: &'static str,
        /// The parameter asked for.
        name: String,
        /// The kind's parameters.
        available: String,
    },
    /// A parameter value outside its domain.
    #[error("`{kind}`: parameter `{name}` = {value} is invalid: {expected}")]
    InvalidParameter {
        /// The kind.
        kind: &'static str,
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What is allowed.
        expected: &'static str,
    },
    /// Pixel data that does not match the stated size or type.
    #[error("image data has {actual} samples but {width}×{height}×{channels} needs {expected}")]
    ImageSize {
        /// Width.
        width: usize,
        /// Height.
        height: usize,
        /// Channels.
        channels: usize,
        /// Samples needed.
        expected: usize,
        /// Samples given.
        actual: usize,
    },
    /// The image is too small or too large for the kind.
    #[error("`{kind}` needs an image of at least {min}×{min} pixels (got {width}×{height})")]
    TooSmall {
        /// The kind.
        kind: &'static str,
        /// Minimum side.
        min: usize,
        /// Width.
        width: usize,
        /// Height.
        height: usize,
    },
    /// Encoding or decoding failed (JPEG round trip, file I/O).
    #[error("{0}")]
    Codec(String),
}
