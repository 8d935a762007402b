//! The interval type every method returns.

use serde::Serialize;

use crate::error::StatsError;

/// A confidence level in [0.5, 0.9999], checked once at construction.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Level(f64);

impl Level {
    /// 95%, the default everywhere.
    pub const NINETY_FIVE: Level = Level(0.95);

    /// Checks that `level` is a confidence level the spec allows.
    pub fn new(level: f64) -> Result<Level, StatsError> {
        if (0.5..=0.9999).contains(&level) {
            Ok(Level(level))
        } else {
            Err(StatsError::invalid(
                "level",
                level,
                "a confidence level in [0.5, 0.9999]",
            ))
        }
    }

    /// The level as a number, e.g. 0.95.
    pub fn get(self) -> f64 {
        self.0
    }

    /// α = 1 − level.
    pub fn alpha(self) -> f64 {
        1.0 - self.0
    }
}

/// How an interval was computed; the names are the spec's (`ci.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Wilson score interval.
    Wilson,
    /// Clopper–Pearson exact interval.
    ClopperPearson,
    /// Jeffreys interval (Beta(½, ½) prior, equal tails).
    Jeffreys,
    /// Agresti–Coull adjusted Wald interval.
    AgrestiCoull,
    /// DeLong's asymptotic variance of the AUC.
    Delong,
    /// Bootstrap percentile interval.
    BootstrapPercentile,
    /// Bootstrap bias-corrected and accelerated interval.
    BootstrapBca,
    /// Newcombe's hybrid score interval for a difference of proportions.
    Newcombe,
}

impl IntervalMethod {
    /// The name used in specs and reports.
    pub fn name(self) -> &'static str {
        match self {
            IntervalMethod::Wilson => "wilson",
            IntervalMethod::ClopperPearson => "clopper_pearson",
            IntervalMethod::Jeffreys => "jeffreys",
            IntervalMethod::AgrestiCoull => "agresti_coull",
            IntervalMethod::Delong => "delong",
            IntervalMethod::BootstrapPercentile => "bootstrap_percentile",
            IntervalMethod::BootstrapBca => "bootstrap_bca",
            IntervalMethod::Newcombe => "newcombe",
        }
    }

    /// Looks a method up by name.
    pub fn from_name(name: &str) -> Option<IntervalMethod> {
        [
            IntervalMethod::Wilson,
            IntervalMethod::ClopperPearson,
            IntervalMethod::Jeffreys,
            IntervalMethod::AgrestiCoull,
            IntervalMethod::Delong,
            IntervalMethod::BootstrapPercentile,
            IntervalMethod::BootstrapBca,
            IntervalMethod::Newcombe,
        ]
        .into_iter()
        .find(|m| m.name() == name)
    }
}

/// A two-sided confidence interval with everything a report must say about it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Confidence level, e.g. 0.95.
    pub level: Level,
    /// How it was computed.
    pub method: IntervalMethod,
    /// The number of cases (or trials) it rests on.
    pub n: u64,
}

impl Interval {
    /// Whether `value` lies inside (bounds included).
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    /// upper − lower.
    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }
}
