//! Intervals for a binomial proportion x / n.
//!
//! Formulas as in statsmodels' `proportion_confint` (which the golden tests compare to):
//! Wilson 1927; Clopper & Pearson 1934 (beta quantiles, bounds 0 at x = 0 and 1 at x = n);
//! Jeffreys (equal-tailed Beta(x + ½, n − x + ½) quantiles, Brown, Cai & DasGupta 2001, with
//! their boundary modification: lower bound 0 at x = 0, upper bound 1 at x = n);
//! Agresti & Coull 1998 (clipped to [0, 1]). The plain Wald interval is deliberately absent:
//! it under-covers badly at small n and at proportions near 0 or 1 (see spec/v1.md §11).

use crate::ci::distributions::{beta_quantile, two_sided_z};
use crate::ci::interval::{Interval, IntervalMethod, Level};
use crate::error::{StatsError, Undefined};

/// A proportion interval for `successes` out of `trials`.
pub fn proportion_interval(
    method: IntervalMethod,
    successes: u64,
    trials: u64,
    level: Level,
) -> Result<Result<Interval, Undefined>, StatsError> {
    if successes > trials {
        return Err(StatsError::invalid(
            "successes",
            successes,
            "at most the number of trials",
        ));
    }
    if trials == 0 {
        return Ok(Err(Undefined::new(
            "no trials (the proportion's denominator is zero)",
        )));
    }
    let x = successes as f64;
    let n = trials as f64;
    let alpha = level.alpha();
    let (lower, upper) = match method {
        IntervalMethod::Wilson => wilson(x, n, level.get()),
        IntervalMethod::ClopperPearson => {
            let lower = if successes == 0 {
                0.0
            } else {
                beta_quantile(alpha / 2.0, x, n - x + 1.0)
            };
            let upper = if successes == trials {
                1.0
            } else {
                beta_quantile(1.0 - alpha / 2.0, x + 1.0, n - x)
            };
            (lower, upper)
        }
        // Brown, Cai & DasGupta's boundary modification: without it the interval at x = 0
        // excludes 0 (and at x = n excludes 1), i.e. its own estimate. statsmodels omits it;
        // that is the only place Attest's Jeffreys bounds differ from statsmodels'.
        IntervalMethod::Jeffreys => (
            if successes == 0 {
                0.0
            } else {
                beta_quantile(alpha / 2.0, x + 0.5, n - x + 0.5)
            },
            if successes == trials {
                1.0
            } else {
                beta_quantile(1.0 - alpha / 2.0, x + 0.5, n - x + 0.5)
            },
        ),
        IntervalMethod::AgrestiCoull => {
            let z = two_sided_z(level.get());
            let n_c = n + z * z;
            let p_c = (x + z * z / 2.0) / n_c;
            let half = z * (p_c * (1.0 - p_c) / n_c).sqrt();
            ((p_c - half).clamp(0.0, 1.0), (p_c + half).clamp(0.0, 1.0))
        }
        other => {
            return Err(StatsError::invalid(
                "method",
                other.name(),
                "a proportion method: wilson, clopper_pearson, jeffreys or agresti_coull",
            ))
        }
    };
    Ok(Ok(Interval {
        lower,
        upper,
        level,
        method,
        n: trials,
    }))
}

/// Wilson score bounds for x of n.
pub(crate) fn wilson(x: f64, n: f64, level: f64) -> (f64, f64) {
    let z = two_sided_z(level);
    let z2 = z * z;
    let p = x / n;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    ((center - half).max(0.0), (center + half).min(1.0))
}
