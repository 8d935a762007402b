//! Normal, beta and binomial functions the interval methods need, accurate to ~1e-12.
//!
//! statrs supplies the special functions; the beta quantile is polished with safeguarded
//! Newton steps on statrs' regularised incomplete beta, because its own inverse is only
//! accurate to about 1e-8 in the tails, short of the 1e-9 agreement with scipy we promise.

use statrs::function::{beta, erf};

/// Standard normal quantile Φ⁻¹(p) for p in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erf::erfc_inv(2.0 * p)
}

/// Standard normal CDF Φ(z).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erf::erfc(-z / std::f64::consts::SQRT_2)
}

/// Upper tail 1 − Φ(z), accurate far into the tail.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erf::erfc(z / std::f64::consts::SQRT_2)
}

/// The two-sided critical value z₁₋α/₂ for a confidence level.
pub fn two_sided_z(level: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - level) / 2.0)
}

/// Regularised incomplete beta I_x(a, b).
pub fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else {
        beta::beta_reg(a, b, x)
    }
}

/// Quantile of Beta(a, b) at probability p.
pub fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let mut x = beta::inv_beta_reg(a, b, p).clamp(0.0, 1.0);
    let ln_b = beta::ln_beta(a, b);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..60 {
        let f = beta_cdf(x, a, b) - p;
        if f == 0.0 {
            break;
        }
        if f > 0.0 {
            hi = hi.min(x);
        } else {
            lo = lo.max(x);
        }
        let ln_density = (a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_b;
        let density = ln_density.exp();
        let mut next = x - f / density;
        if !next.is_finite() || next <= lo || next >= hi {
            next = 0.5 * (lo + hi); // bisection keeps it safe where Newton would overshoot
        }
        if (next - x).abs() <= 1e-15 * x.max(1e-300) {
            x = next;
            break;
        }
        x = next;
    }
    x
}

/// P(X ≤ k) for X ~ Binomial(n, ½), summed exactly in log space.
pub fn binomial_half_cdf(k: u64, n: u64) -> f64 {
    (0..=k.min(n))
        .map(|i| binomial_half_pmf(i, n))
        .sum::<f64>()
        .min(1.0)
}

/// P(X = k) for X ~ Binomial(n, ½).
pub fn binomial_half_pmf(k: u64, n: u64) -> f64 {
    if k > n {
        return 0.0;
    }
    let ln_choose = statrs::function::factorial::ln_binomial(n, k);
    (ln_choose - n as f64 * std::f64::consts::LN_2).exp()
}
