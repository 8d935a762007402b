//! Exact coverage of the proportion intervals: the probability, under Binomial(n, p), that
//! the interval computed from the observed count contains p. No simulation error — the sum
//! runs over every possible count. Used by the coverage report (`examples/coverage.rs`) and
//! by tests that keep each method's coverage where the literature says it is.

use crate::ci::interval::{IntervalMethod, Level};
use crate::ci::proportion::proportion_interval;
use crate::error::StatsError;

/// P(X = x) for X ~ Binomial(n, p).
pub fn binomial_pmf(x: u64, n: u64, p: f64) -> f64 {
    if p <= 0.0 {
        return f64::from(u8::from(x == 0));
    }
    if p >= 1.0 {
        return f64::from(u8::from(x == n));
    }
    let ln = statrs::function::factorial::ln_binomial(n, x)
        + x as f64 * p.ln()
        + (n - x) as f64 * (1.0 - p).ln();
    ln.exp()
}

/// Exact coverage of `method` at (n, p) and `level`.
pub fn proportion_coverage(
    method: IntervalMethod,
    n: u64,
    p: f64,
    level: Level,
) -> Result<f64, StatsError> {
    let mut coverage = 0.0;
    for x in 0..=n {
        if let Ok(ci) = proportion_interval(method, x, n, level)? {
            if ci.contains(p) {
                coverage += binomial_pmf(x, n, p);
            }
        }
    }
    Ok(coverage)
}
