//! Probability quality: Brier score, log loss, expected calibration error, and calibration
//! slope and intercept.
//!
//! All need scores that are probabilities in [0, 1]; anything else is undefined rather than
//! silently rescaled.

use serde::Serialize;

use crate::error::{StatsError, Undefined, Value};
use crate::sample::Sample;

fn need_probabilities(sample: &Sample<'_>) -> Result<(), Undefined> {
    if sample.is_empty() {
        return Err(Undefined::new("no cases"));
    }
    if !sample.scores_are_probabilities() {
        return Err(Undefined::new(
            "scores are not probabilities in [0, 1] (apply the model's sigmoid/softmax first)",
        ));
    }
    Ok(())
}

/// Brier score, the mean squared difference between probability and outcome (0 is perfect).
pub fn brier(sample: &Sample<'_>) -> Value {
    need_probabilities(sample)?;
    let sum: f64 = sample
        .labels()
        .iter()
        .zip(sample.scores())
        .map(|(&y, &p)| (p - f64::from(u8::from(y))).powi(2))
        .sum();
    Ok(sum / sample.len() as f64)
}

/// Log loss (binary cross-entropy, natural log). Probabilities are clipped to
/// [ε, 1 − ε] with ε = `f64::EPSILON`, as scikit-learn's `log_loss` does, so a confident
/// wrong answer of exactly 0 or 1 costs about 36 rather than infinity.
pub fn log_loss(sample: &Sample<'_>) -> Value {
    need_probabilities(sample)?;
    let eps = f64::EPSILON;
    let sum: f64 = sample
        .labels()
        .iter()
        .zip(sample.scores())
        .map(|(&y, &p)| {
            let p = p.clamp(eps, 1.0 - eps);
            if y {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    Ok(sum / sample.len() as f64)
}

/// One bin of a reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower edge of the bin.
    pub from: f64,
    /// Upper edge of the bin.
    pub to: f64,
    /// Cases in the bin.
    pub n: u64,
    /// Mean predicted probability in the bin (`None` when empty).
    pub mean_predicted: Option<f64>,
    /// Observed share of positives in the bin (`None` when empty).
    pub observed: Option<f64>,
}

/// Expected calibration error with its reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ece {
    /// Σ (n_b / n)·|observed_b − mean_predicted_b| over non-empty bins.
    pub value: f64,
    /// The bins, equal width over [0, 1].
    pub bins: Vec<CalibrationBin>,
}

/// Expected calibration error over `bins` equal-width bins; a probability p falls in bin
/// min(⌊p·bins⌋, bins − 1), so 1.0 belongs to the last bin.
pub fn ece(sample: &Sample<'_>, bins: usize) -> Result<Result<Ece, Undefined>, StatsError> {
    if bins == 0 || bins > 1000 {
        return Err(StatsError::invalid("bins", bins, "between 1 and 1000"));
    }
    if let Err(u) = need_probabilities(sample) {
        return Ok(Err(u));
    }
    let mut n = vec![0u64; bins];
    let mut sum_p = vec![0.0f64; bins];
    let mut sum_y = vec![0u64; bins];
    for (&y, &p) in sample.labels().iter().zip(sample.scores()) {
        let b = ((p * bins as f64).floor() as usize).min(bins - 1);
        n[b] += 1;
        sum_p[b] += p;
        sum_y[b] += u64::from(y);
    }
    let total = sample.len() as f64;
    let mut value = 0.0;
    let mut out = Vec::with_capacity(bins);
    for b in 0..bins {
        let (mean_predicted, observed) = if n[b] == 0 {
            (None, None)
        } else {
            let mp = sum_p[b] / n[b] as f64;
            let ob = sum_y[b] as f64 / n[b] as f64;
            value += (n[b] as f64 / total) * (ob - mp).abs();
            (Some(mp), Some(ob))
        };
        out.push(CalibrationBin {
            from: b as f64 / bins as f64,
            to: (b + 1) as f64 / bins as f64,
            n: n[b],
            mean_predicted,
            observed,
        });
    }
    Ok(Ok(Ece { value, bins: out }))
}

/// Logistic recalibration: the fit of logit P(y = 1) = intercept + slope·logit(p).
/// A perfectly calibrated model has slope 1; slope < 1 means predictions are too extreme
/// (overfitting), > 1 too timid (Cox 1958; Van Calster et al. 2019). The intercept of this
/// two-parameter fit is *not* the calibration intercept reports quote — that is
/// [`calibration_in_the_large`], with the slope fixed at 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationFit {
    /// The intercept of the two-parameter fit (Cox's intercept).
    pub intercept: f64,
    /// The fitted slope.
    pub slope: f64,
    /// Newton iterations used.
    pub iterations: u32,
}

/// Clip applied to probabilities before taking logits, so 0 and 1 stay finite.
pub const LOGIT_CLIP: f64 = 1e-12;

/// Logits of the probabilities, clipped to [`LOGIT_CLIP`, 1 − `LOGIT_CLIP`].
fn logits(sample: &Sample<'_>) -> Vec<f64> {
    sample
        .scores()
        .iter()
        .map(|&p| {
            let p = p.clamp(LOGIT_CLIP, 1.0 - LOGIT_CLIP);
            (p / (1.0 - p)).ln()
        })
        .collect()
}

/// Calibration intercept ("calibration-in-the-large"): a in logit P(y = 1) = a + logit(p),
/// the slope fixed at 1 — 0 is ideal, negative means the model over-predicts risk on average
/// (Van Calster et al. 2019). Fitted by maximum likelihood (a binomial GLM with offset
/// logit(p), as statsmodels). Undefined with one class absent.
pub fn calibration_in_the_large(sample: &Sample<'_>) -> Value {
    need_probabilities(sample)?;
    if sample.positives() == 0 {
        return Err(Undefined::new("no positive cases"));
    }
    if sample.negatives() == 0 {
        return Err(Undefined::new("no negative cases"));
    }
    let offset = logits(sample);
    let mut a = 0.0f64;
    for _ in 0..200 {
        let (mut gradient, mut hessian) = (0.0, 0.0);
        for (&x, &y) in offset.iter().zip(sample.labels()) {
            let mu = 1.0 / (1.0 + (-(a + x)).exp());
            gradient += f64::from(u8::from(y)) - mu;
            hessian += mu * (1.0 - mu);
        }
        if hessian <= 0.0 || !hessian.is_finite() {
            break;
        }
        let step = (gradient / hessian).clamp(-5.0, 5.0);
        a += step;
        if step.abs() < 1e-14 * (1.0 + a.abs()) {
            return Ok(a);
        }
    }
    Err(Undefined::new("the calibration intercept did not converge"))
}

/// Fits calibration intercept and slope by maximum likelihood (Newton–Raphson, the same fit
/// as statsmodels' `Logit`). Undefined with one class absent, with constant predictions, or
/// when the outcome is perfectly separated by the predictions (the slope is then infinite).
pub fn calibration_fit(sample: &Sample<'_>) -> Result<CalibrationFit, Undefined> {
    need_probabilities(sample)?;
    if sample.positives() == 0 {
        return Err(Undefined::new("no positive cases"));
    }
    if sample.negatives() == 0 {
        return Err(Undefined::new("no negative cases"));
    }
    let x = logits(sample);
    let first = x[0];
    if x.iter().all(|&v| v == first) {
        return Err(Undefined::new(
            "every prediction is the same; the slope is not identifiable",
        ));
    }
    let y: Vec<f64> = sample
        .labels()
        .iter()
        .map(|&l| f64::from(u8::from(l)))
        .collect();
    let (mut b0, mut b1) = (0.0f64, 1.0f64);
    // Start from the identity recalibration; fall back to the null model if it diverges.
    for start in [(0.0, 1.0), (0.0, 0.0)] {
        (b0, b1) = start;
        if let Some(iterations) = newton(&x, &y, &mut b0, &mut b1) {
            return Ok(CalibrationFit {
                intercept: b0,
                slope: b1,
                iterations,
            });
        }
    }
    let _ = (b0, b1);
    Err(Undefined::new(
        "the outcome is perfectly separated by the predictions; the calibration slope is unbounded",
    ))
}

/// Newton–Raphson for two-parameter logistic regression. Returns the iterations used, or
/// `None` if it did not converge (separation).
fn newton(x: &[f64], y: &[f64], b0: &mut f64, b1: &mut f64) -> Option<u32> {
    for iteration in 1..=100u32 {
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&xi, &yi) in x.iter().zip(y) {
            let eta = *b0 + *b1 * xi;
            let mu = 1.0 / (1.0 + (-eta).exp());
            let w = mu * (1.0 - mu);
            g0 += yi - mu;
            g1 += (yi - mu) * xi;
            h00 += w;
            h01 += w * xi;
            h11 += w * xi * xi;
        }
        let det = h00 * h11 - h01 * h01;
        if !det.is_finite() || det <= 0.0 {
            return None;
        }
        let d0 = (h11 * g0 - h01 * g1) / det;
        let d1 = (h00 * g1 - h01 * g0) / det;
        *b0 += d0;
        *b1 += d1;
        if !b0.is_finite() || !b1.is_finite() || b1.abs() > 1e6 || b0.abs() > 1e6 {
            return None;
        }
        if d0.abs() < 1e-13 * (1.0 + b0.abs()) && d1.abs() < 1e-13 * (1.0 + b1.abs()) {
            return Some(iteration);
        }
    }
    None
}
