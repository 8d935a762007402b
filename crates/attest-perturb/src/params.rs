//! Kinds, their parameters and severity tables.

use crate::error::PerturbError;
use crate::planes::Planes;
use crate::random::Seeds;

/// The published family a kind comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// ImageNet-C (Hendrycks & Dietterich 2019), tables of the `imagecorruptions` package.
    ImageNetC,
    /// MedMNIST-C (Di Salvo et al. 2024), the `medmnistc` chest X-ray tables.
    MedMnistC,
    /// Radiography-specific acquisition and display faults (Attest's own ladders; rationale in
    /// each kind's description and REFERENCE.md §7).
    Radiography,
}

impl Family {
    /// Display name, as in the spec catalog.
    pub fn name(self) -> &'static str {
        match self {
            Family::ImageNetC => "ImageNet-C",
            Family::MedMnistC => "MedMNIST-C",
            Family::Radiography => "radiography",
        }
    }
}

/// One named parameter of a kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamDef {
    /// Name used in specs (`levels: [{sigma: 2.5}]`).
    pub name: &'static str,
    /// What it controls, with its unit.
    pub description: &'static str,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
}

/// The function that applies a kind to planes with resolved parameters.
pub type ApplyFn = fn(&mut Planes, &Params, &Seeds) -> Result<(), PerturbError>;

/// A perturbation kind: what it is, its parameters, its severity tables and its function.
#[derive(Debug, Clone, Copy)]
pub struct KindDef {
    /// The spec name (`gaussian_noise`).
    pub name: &'static str,
    /// Published family.
    pub family: Family,
    /// One line for `attest perturb --list`.
    pub summary: &'static str,
    /// Whether the output depends on the seed (false: a pure function of the image).
    pub random: bool,
    /// Parameters, in table column order.
    pub params: &'static [ParamDef],
    /// Severity tables: the first is the default; others are alternatives named by source
    /// (e.g. `medmnistc` for a chest-specific table of an ImageNet-C kind). Each row is one
    /// severity (row 0 = severity 1) with one value per parameter.
    pub tables: &'static [SeverityTable],
    /// The apply function.
    pub apply: ApplyFn,
}

/// A named severity table.
#[derive(Debug, Clone, Copy)]
pub struct SeverityTable {
    /// Where the numbers come from (`imagecorruptions`, `medmnistc`, `attest`).
    pub source: &'static str,
    /// Rows of parameter values, severity 1 first.
    pub rows: &'static [&'static [f64]],
}

impl KindDef {
    /// The highest severity of the default table.
    pub fn max_severity(&self) -> u8 {
        self.tables.first().map_or(0, |t| t.rows.len() as u8)
    }

    /// Parameters of `severity` (1-based) from the table named `source` (`None` = default).
    pub fn severity(
        &'static self,
        severity: u8,
        source: Option<&str>,
    ) -> Result<Params, PerturbError> {
        let table = match source {
            None => self.tables.first(),
            Some(name) => self.tables.iter().find(|t| t.source == name),
        }
        .ok_or_else(|| PerturbError::UnknownParameter {
            kind: self.name,
            name: format!("table {}", source.unwrap_or("default")),
            available: self
                .tables
                .iter()
                .map(|t| t.source)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        let max = table.rows.len() as u8;
        if severity == 0 || severity > max {
            return Err(PerturbError::Severity {
                kind: self.name,
                severity,
                max,
            });
        }
        Params::new(self, table.rows[usize::from(severity) - 1].to_vec())
    }
}

/// Resolved parameter values of one kind.
#[derive(Debug, Clone)]
pub struct Params {
    kind: &'static KindDef,
    values: Vec<f64>,
}

impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        self.kind.name == other.kind.name && self.values == other.values
    }
}

impl Params {
    /// Checks `values` (one per parameter, in order) against the kind's ranges.
    pub fn new(kind: &'static KindDef, values: Vec<f64>) -> Result<Params, PerturbError> {
        if values.len() != kind.params.len() {
            return Err(PerturbError::InvalidParameter {
                kind: kind.name,
                name: "parameters",
                value: values.len() as f64,
                expected: "one value per parameter of the kind",
            });
        }
        for (def, &v) in kind.params.iter().zip(&values) {
            if !v.is_finite() || v < def.min || v > def.max {
                return Err(PerturbError::InvalidParameter {
                    kind: kind.name,
                    name: def.name,
                    value: v,
                    expected: def.description,
                });
            }
        }
        Ok(Params { kind, values })
    }

    /// The kind these parameters belong to.
    pub fn kind(&self) -> &'static KindDef {
        self.kind
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Result<f64, PerturbError> {
        self.kind
            .params
            .iter()
            .position(|p| p.name == name)
            .map(|i| self.values[i])
            .ok_or_else(|| self.unknown(name))
    }

    /// Replaces the value of `name` (a spec's `levels:` override), re-checking its range.
    pub fn with(mut self, name: &str, value: f64) -> Result<Params, PerturbError> {
        let i = self
            .kind
            .params
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| self.unknown(name))?;
        self.values[i] = value;
        Params::new(self.kind, self.values)
    }

    /// (name, value) pairs, for reports and file metadata.
    pub fn pairs(&self) -> Vec<(&'static str, f64)> {
        self.kind
            .params
            .iter()
            .map(|p| p.name)
            .zip(self.values.iter().copied())
            .collect()
    }

    fn unknown(&self, name: &str) -> PerturbError {
        PerturbError::UnknownParameter {
            kind: self.kind.name,
            name: name.to_string(),
            available: self
                .kind
                .params
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}
