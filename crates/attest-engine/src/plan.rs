//! The plan: every (case, variant) pair any test needs, each scored once however many tests
//! use it — the unperturbed images for every cohort evaluated or used to choose a threshold,
//! and each perturbation level for the cohorts of the robustness and invariance tests.

use std::collections::BTreeSet;

use attest_data::check::CohortCases;
use attest_spec::types::{Spec, Test, TestKind};
use attest_spec::{infer_kind, types::ALL_COHORT};
use indexmap::IndexMap;

use crate::error::EngineError;
use crate::variant::{levels, Variant};

/// What a run will compute.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The variants; the first is always the unperturbed images.
    pub variants: Vec<Variant>,
    /// For each variant, the rows (case-table indices, ascending) it is needed for.
    pub rows: Vec<Vec<usize>>,
    /// For each perturbation of the spec that a test uses, its variants' indices in level
    /// order.
    pub perturbations: IndexMap<String, Vec<usize>>,
}

impl Plan {
    /// Forward passes the plan needs (before the cache is consulted).
    pub fn forward_passes(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// Every row needed by some variant, ascending.
    pub fn all_rows(&self) -> Vec<usize> {
        let set: BTreeSet<usize> = self.rows.iter().flatten().copied().collect();
        set.into_iter().collect()
    }

    /// The same plan over only the rows in `keep` (ascending): what one shard computes.
    pub fn restricted_to(&self, keep: &[usize]) -> Plan {
        let keep: std::collections::HashSet<usize> = keep.iter().copied().collect();
        Plan {
            variants: self.variants.clone(),
            rows: self
                .rows
                .iter()
                .map(|rows| rows.iter().copied().filter(|r| keep.contains(r)).collect())
                .collect(),
            perturbations: self.perturbations.clone(),
        }
    }
}

/// The cohorts a test evaluates (by name): `cohorts:` if given, else `cohort:` (default `all`).
pub fn test_cohorts(test: &Test) -> Vec<String> {
    match &test.cohorts {
        Some(list) => list.clone(),
        None => vec![test
            .cohort
            .clone()
            .unwrap_or_else(|| ALL_COHORT.to_string())],
    }
}

/// The cohort with `name`.
pub fn cohort<'a>(cohorts: &'a [CohortCases], name: &str) -> Result<&'a CohortCases, EngineError> {
    cohorts
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| EngineError::Spec(format!("no cohort `{name}`")))
}

/// Builds the plan of `spec` over its resolved `cohorts`.
pub fn plan(spec: &Spec, cohorts: &[CohortCases]) -> Result<Plan, EngineError> {
    let mut variants = vec![Variant::original()];
    let mut needed: Vec<BTreeSet<usize>> = vec![BTreeSet::new()];
    let mut perturbations: IndexMap<String, Vec<usize>> = IndexMap::new();
    for test in &spec.tests {
        let kind = infer_kind(test);
        if kind == TestKind::Data {
            continue;
        }
        let mut rows = BTreeSet::new();
        for name in test_cohorts(test) {
            rows.extend(cohort(cohorts, &name)?.rows.iter().copied());
        }
        needed[0].extend(rows.iter().copied());
        if let Some(at) = &test.at {
            let point = spec
                .operating_points
                .get(at)
                .ok_or_else(|| EngineError::Spec(format!("no operating point `{at}`")))?;
            if let Some(on) = &point.choose_on {
                needed[0].extend(cohort(cohorts, on)?.rows.iter().copied());
            }
        }
        if let (TestKind::Robustness | TestKind::Invariance, Some(name)) =
            (kind, &test.perturbation)
        {
            if !perturbations.contains_key(name) {
                let definition = spec
                    .perturbations
                    .get(name)
                    .ok_or_else(|| EngineError::Spec(format!("no perturbation `{name}`")))?;
                let mut indices = Vec::new();
                for variant in levels(name, definition)? {
                    indices.push(variants.len());
                    variants.push(variant);
                    needed.push(BTreeSet::new());
                }
                perturbations.insert(name.clone(), indices);
            }
            for &i in &perturbations[name] {
                needed[i].extend(rows.iter().copied());
            }
        }
    }
    if let Some(explore) = &spec.explore {
        let name = crate::explore::explored_cohort(spec, explore);
        needed[0].extend(cohort(cohorts, &name)?.rows.iter().copied());
    }
    Ok(Plan {
        variants,
        rows: needed
            .into_iter()
            .map(|s| s.into_iter().collect())
            .collect(),
        perturbations,
    })
}
