//! Errors (invalid input) and undefined outcomes (valid input, no number exists).
//!
//! The two are different on purpose: a NaN score is a defect in the caller's data and stops
//! the computation; a sensitivity with no positive cases is a fact about the data that a
//! report must show as "undefined" with the reason, next to the other numbers.

use serde::Serialize;

/// Input that no statistic can be computed from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Two inputs that must describe the same cases have different lengths.
    #[error("{what}: {left} values against {right}; both must describe the same cases")]
    LengthMismatch {
        /// Which pair of inputs.
        what: &'static str,
        /// Length of the first.
        left: usize,
        /// Length of the second.
        right: usize,
    },
    /// A score is NaN or infinite.
    #[error("score at index {index} is {value}; scores must be finite numbers")]
    NonFiniteScore {
        /// Position of the case in the input.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// An argument is outside its domain (a level of 1.2, zero bins, a negative margin...).
    #[error("{name} = {value}: {expected}")]
    InvalidArgument {
        /// Parameter name as the caller knows it.
        name: &'static str,
        /// The value given, as text.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
}

impl StatsError {
    /// Shorthand for [`StatsError::InvalidArgument`].
    pub fn invalid(name: &'static str, value: impl ToString, expected: &'static str) -> Self {
        StatsError::InvalidArgument {
            name,
            value: value.to_string(),
            expected,
        }
    }
}

/// Why a statistic has no value on this data. Reports print the reason where the number
/// would be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("undefined: {reason}")]
pub struct Undefined {
    /// One sentence a reader of the report understands, e.g. "no positive cases".
    pub reason: String,
}

impl Undefined {
    /// An undefined outcome with the given reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Undefined {
            reason: reason.into(),
        }
    }
}

/// A statistic's value, or why it has none.
pub type Value = Result<f64, Undefined>;

/// `numerator / denominator`, undefined when the denominator is zero.
pub(crate) fn ratio(numerator: f64, denominator: f64, what: &str) -> Value {
    if denominator == 0.0 {
        Err(Undefined::new(format!("{what} is zero")))
    } else {
        Ok(numerator / denominator)
    }
}
