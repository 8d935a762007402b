//! Turning raw outputs into scores in [0, 1], as the spec's `model.output.activation` says.

pub use attest_spec::types::Activation;

/// Applies `activation` to one image's raw outputs, in place.
pub fn apply(activation: Activation, values: &mut [f32]) {
    match activation {
        Activation::None => {}
        Activation::Sigmoid => {
            for v in values.iter_mut() {
                *v = sigmoid(*v);
            }
        }
        Activation::Softmax => softmax(values),
    }
}

/// The logistic function, accurate for large |x| (no overflow to NaN).
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Softmax over `values`, shifted by the maximum so that large logits do not overflow.
pub fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return;
    }
    let mut sum = 0.0f64;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += f64::from(*v);
    }
    for v in values.iter_mut() {
        *v = (f64::from(*v) / sum) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sigmoid_is_symmetric_and_saturates_without_nan() {
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-7);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn softmax_is_a_distribution(values in proptest::collection::vec(-500f32..500.0, 1..8)) {
            let mut v = values.clone();
            softmax(&mut v);
            let sum: f32 = v.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-5);
            prop_assert!(v.iter().all(|p| (0.0..=1.0).contains(p)));
            // The largest logit keeps the largest probability.
            let argmax = |x: &[f32]| x.iter().enumerate().fold(0, |b, (i, &y)| if y > x[b] { i } else { b });
            prop_assert_eq!(argmax(&values), argmax(&v));
        }
    }
}
