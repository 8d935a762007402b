//! Multiplicity correction: adjusted p-values by Bonferroni, Holm (1979) and
//! Benjamini–Hochberg (1995), identical to statsmodels' `multipletests`.

use serde::Serialize;

use crate::error::StatsError;

/// A correction for testing several hypotheses at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// No correction.
    None,
    /// Bonferroni: p·m; controls the family-wise error rate.
    Bonferroni,
    /// Holm's step-down: uniformly more powerful than Bonferroni, same guarantee.
    Holm,
    /// Benjamini–Hochberg: controls the false discovery rate (independent or positively
    /// dependent tests).
    BenjaminiHochberg,
}

/// Adjusted p-values in the input's order; compare each to the unadjusted α.
pub fn adjust(p_values: &[f64], correction: Correction) -> Result<Vec<f64>, StatsError> {
    if let Some(&p) = p_values.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(StatsError::invalid("p-value", p, "a probability in [0, 1]"));
    }
    let m = p_values.len();
    let mf = m as f64;
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut adjusted = vec![0.0; m];
    match correction {
        Correction::None => adjusted.copy_from_slice(p_values),
        Correction::Bonferroni => {
            for (a, &p) in adjusted.iter_mut().zip(p_values) {
                *a = (p * mf).min(1.0);
            }
        }
        Correction::Holm => {
            let mut running = 0.0f64;
            for (rank, &i) in order.iter().enumerate() {
                running = running.max(((mf - rank as f64) * p_values[i]).min(1.0));
                adjusted[i] = running;
            }
        }
        Correction::BenjaminiHochberg => {
            let mut running = 1.0f64;
            for (rank, &i) in order.iter().enumerate().rev() {
                running = running.min(p_values[i] * mf / (rank as f64 + 1.0));
                adjusted[i] = running.min(1.0);
            }
        }
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_is_between_raw_and_bonferroni() {
        let p = [0.04, 0.001, 0.3, 0.02];
        let holm = adjust(&p, Correction::Holm).unwrap();
        let bonf = adjust(&p, Correction::Bonferroni).unwrap();
        for i in 0..p.len() {
            assert!(p[i] <= holm[i] && holm[i] <= bonf[i]);
        }
        assert!(adjust(&[1.2], Correction::Holm).is_err());
        assert!(adjust(&[], Correction::BenjaminiHochberg)
            .unwrap()
            .is_empty());
    }
}
