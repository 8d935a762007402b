//! Variants: the unperturbed images, or one level of one of the spec's perturbations, with
//! its parameters resolved and a canonical key that names it in the cache and seeds it.

use attest_perturb::{Image, Params};
use attest_spec::types::Perturbation;
use attest_stats::rng::{derive_seed, id_part};

use crate::error::EngineError;

/// One way of presenting the cases to the model.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The perturbation's name in the spec (`None` for the unperturbed images).
    pub perturbation: Option<String>,
    /// 1-based position among the perturbation's levels (0 for the unperturbed images).
    pub level: usize,
    /// The severity, when the level is a severity of the kind's table.
    pub severity: Option<u8>,
    /// The parameters (none for the unperturbed images).
    pub params: Option<Params>,
}

impl Variant {
    /// The unperturbed images.
    pub fn original() -> Variant {
        Variant {
            perturbation: None,
            level: 0,
            severity: None,
            params: None,
        }
    }

    /// `original`, `NAME@SEVERITY` or `NAME@levelN`: how reports and results name it.
    pub fn label(&self) -> String {
        match (&self.perturbation, self.severity) {
            (None, _) => "original".into(),
            (Some(name), Some(s)) => format!("{name}@{s}"),
            (Some(name), None) => format!("{name}@level{}", self.level),
        }
    }

    /// What the images go through, independent of the perturbation's name in the spec: the
    /// kind and every parameter value. Renaming a perturbation keeps its cache entries;
    /// changing a parameter does not.
    pub fn key(&self) -> String {
        match &self.params {
            None => "original".into(),
            Some(params) => {
                let mut key = params.kind().name.to_string();
                for (name, value) in params.pairs() {
                    // `{:?}` of an f64 round-trips exactly.
                    key.push_str(&format!(";{name}={value:?}"));
                }
                key
            }
        }
    }

    /// Whether the output depends on the seed.
    pub fn is_random(&self) -> bool {
        self.params.as_ref().is_some_and(|p| p.kind().random)
    }

    /// The seed of this variant of one case: from the run seed, the case id and the variant's
    /// key, so it does not depend on thread count, batch or the order of cases.
    pub fn seed(&self, run_seed: u64, case_id: &str) -> u64 {
        derive_seed(run_seed, &[id_part(case_id), id_part(&self.key())])
    }

    /// The image as this variant presents it.
    pub fn apply(&self, image: Image, run_seed: u64, case_id: &str) -> Result<Image, EngineError> {
        match &self.params {
            None => Ok(image),
            Some(params) => attest_perturb::perturb(&image, params, self.seed(run_seed, case_id))
                .map_err(|e| EngineError::Perturbation {
                    variant: self.label(),
                    message: e.to_string(),
                }),
        }
    }
}

/// Every level of the spec's perturbation `name`, in the spec's order.
pub fn levels(name: &str, perturbation: &Perturbation) -> Result<Vec<Variant>, EngineError> {
    let error = |message: String| EngineError::Perturbation {
        variant: name.to_string(),
        message,
    };
    let kind = attest_perturb::kind(&perturbation.kind).map_err(|e| error(e.to_string()))?;
    if let Some(levels) = &perturbation.levels {
        return levels
            .iter()
            .enumerate()
            .map(|(i, values)| {
                // Unset parameters take severity 1's values.
                let mut params = kind.severity(1, None).map_err(|e| error(e.to_string()))?;
                for (param, value) in values {
                    let number = value.as_f64().ok_or_else(|| {
                        error(format!(
                            "level {}: `{param}` must be a number, not {value}",
                            i + 1
                        ))
                    })?;
                    params = params
                        .with(param, number)
                        .map_err(|e| error(format!("level {}: {e}", i + 1)))?;
                }
                Ok(Variant {
                    perturbation: Some(name.to_string()),
                    level: i + 1,
                    severity: None,
                    params: Some(params),
                })
            })
            .collect();
    }
    let severities: Vec<u8> = match &perturbation.severities {
        Some(s) => s.clone(),
        None => (1..=kind.max_severity()).collect(),
    };
    severities
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            Ok(Variant {
                perturbation: Some(name.to_string()),
                level: i + 1,
                severity: Some(s),
                params: Some(kind.severity(s, None).map_err(|e| error(e.to_string()))?),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn perturbation(kind: &str, severities: Option<Vec<u8>>) -> Perturbation {
        Perturbation {
            kind: kind.into(),
            severities,
            levels: None,
            description: None,
        }
    }

    #[test]
    fn severities_default_to_the_whole_table_and_keys_name_parameters() {
        let all = levels("noise", &perturbation("gaussian_noise", None)).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[1].label(), "noise@2");
        assert!(
            all[1].key().starts_with("gaussian_noise;"),
            "{}",
            all[1].key()
        );
        assert_ne!(all[0].key(), all[1].key());
        assert!(all[0].is_random());
        let renamed = levels("detector", &perturbation("gaussian_noise", Some(vec![2]))).unwrap();
        assert_eq!(
            renamed[0].key(),
            all[1].key(),
            "keys ignore the spec's name"
        );
        assert_eq!(Variant::original().key(), "original");
    }

    #[test]
    fn seeds_depend_on_case_and_parameters_only() {
        let v = &levels("noise", &perturbation("gaussian_noise", Some(vec![1, 2]))).unwrap();
        assert_eq!(v[0].seed(7, "case-1"), v[0].seed(7, "case-1"));
        assert_ne!(v[0].seed(7, "case-1"), v[0].seed(7, "case-2"));
        assert_ne!(v[0].seed(7, "case-1"), v[1].seed(7, "case-1"));
        assert_ne!(v[0].seed(7, "case-1"), v[0].seed(8, "case-1"));
    }

    #[test]
    fn explicit_levels_override_parameters_and_unknown_names_are_errors() {
        let mut p = perturbation("gaussian_noise", None);
        let mut level = indexmap::IndexMap::new();
        let name = attest_perturb::kind("gaussian_noise").unwrap().params[0].name;
        level.insert(name.to_string(), serde_json::json!(0.05));
        p.levels = Some(vec![level]);
        let v = levels("noise", &p).unwrap();
        assert_eq!(v[0].label(), "noise@level1");
        assert_eq!(v[0].params.as_ref().unwrap().get(name).unwrap(), 0.05);
        let mut bad = indexmap::IndexMap::new();
        bad.insert("sigmaa".to_string(), serde_json::json!(0.05));
        p.levels = Some(vec![bad]);
        assert!(levels("noise", &p).is_err());
    }
}
