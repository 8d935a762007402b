//! Newcombe's hybrid score interval for the difference of two independent proportions
//! (Newcombe 1998, method 10) — the interval for subgroup gaps such as "sensitivity at site A
//! minus sensitivity at site B".

use serde::Serialize;

use crate::ci::interval::{Interval, IntervalMethod, Level};
use crate::ci::proportion::wilson;
use crate::error::{StatsError, Undefined};

/// p₁ − p₂ with its Newcombe interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProportionDifference {
    /// x₁/n₁ − x₂/n₂.
    pub difference: f64,
    /// The interval; `n` is n₁ + n₂.
    pub interval: Interval,
}

/// The difference x₁/n₁ − x₂/n₂ and its Newcombe interval.
pub fn newcombe(
    x1: u64,
    n1: u64,
    x2: u64,
    n2: u64,
    level: Level,
) -> Result<Result<ProportionDifference, Undefined>, StatsError> {
    if x1 > n1 || x2 > n2 {
        return Err(StatsError::invalid(
            "successes",
            format!("{x1}/{n1}, {x2}/{n2}"),
            "at most the number of trials",
        ));
    }
    if n1 == 0 || n2 == 0 {
        return Ok(Err(Undefined::new("one of the two groups has no trials")));
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let (l1, u1) = wilson(x1 as f64, n1 as f64, level.get());
    let (l2, u2) = wilson(x2 as f64, n2 as f64, level.get());
    let d = p1 - p2;
    let lower = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let upper = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Ok(Ok(ProportionDifference {
        difference: d,
        interval: Interval {
            lower,
            upper,
            level,
            method: IntervalMethod::Newcombe,
            n: n1 + n2,
        },
    }))
}
