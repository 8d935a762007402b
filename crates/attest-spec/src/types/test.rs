//! The `tests:` list: one flat test type whose kind is written or inferred from its keys.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// One pre-specified test with its acceptance criteria.
///
/// The kind is written as `kind:` or inferred: `checks` → data, `reference` → comparison,
/// `perturbation` → invariance when `require.flip_rate` is set, else robustness; `across` or
/// `cohorts` → subgroups; a calibration metric → calibration; otherwise performance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Test {
    /// Unique test id, e.g. `PERF-001`; it names the cargo test and the report section.
    #[schemars(length(min = 1))]
    pub id: String,
    /// One-line title shown in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Test kind; inferred from the other keys when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TestKind>,
    /// Requirement and risk-control ids this test verifies (traceability matrix).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<String>,
    /// Why this test and these criteria, quoted in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    /// The cohort the test is evaluated on (default `all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort: Option<String>,
    /// Subgroup and data tests: the cohorts to evaluate, each separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub cohorts: Option<Vec<String>>,
    /// Subgroup tests: a column; one subgroup per value of it (within `cohort`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub across: Option<String>,
    /// The metric (see `attest explain metrics`), e.g. `sensitivity` or `auc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Multiclass and multilabel tasks: the class a one-vs-rest metric is computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Multiclass and multilabel tasks: how per-class values are averaged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<Average>,
    /// The operating point (threshold) for metrics that need one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Confidence interval: method and level (default: Wilson for proportions, DeLong for
    /// AUC, BCa bootstrap otherwise; level 0.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiSpec>,
    /// Robustness and invariance tests: the perturbation (a name under `perturbations:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perturbation: Option<String>,
    /// Comparison tests: the reference model (a name under `references:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Comparison tests: the non-inferiority margin δ > 0. The test passes when the lower
    /// confidence bound of (model − reference) is above −δ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub margin: Option<f64>,
    /// Subgroup tests: multiplicity correction across subgroups (default `holm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
    /// Fewest cases the evaluated cohort (or each subgroup) must have; below it the verdict
    /// is INCONCLUSIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_n: Option<u64>,
    /// Fewest positive cases needed; below it the verdict is INCONCLUSIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_positives: Option<u64>,
    /// Calibration tests: number of equal-width score bins for the expected calibration error
    /// (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 100))]
    pub bins: Option<u32>,
    /// Data tests: the checks to run on the case table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<DataChecks>,
    /// The acceptance criteria, fixed before the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require: Option<Require>,
    /// Whether an INCONCLUSIVE verdict is acceptable (does not fail the run). Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_inconclusive: Option<bool>,
}

/// Kinds of test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// A metric on a cohort, at an operating point where needed.
    Performance,
    /// A metric in each subgroup (values of a column, or a list of cohorts), with gap
    /// criteria and multiplicity correction.
    Subgroups,
    /// A metric along a perturbation's severity ladder, with a drop criterion.
    Robustness,
    /// How often the predicted class flips under a perturbation.
    Invariance,
    /// The model against a reference model, with a non-inferiority margin.
    Comparison,
    /// Agreement of scores with observed frequencies.
    Calibration,
    /// Checks of the test data itself: counts per cohort, duplicates, missing labels.
    Data,
}

impl TestKind {
    /// Every kind, in documentation order.
    pub const ALL: [TestKind; 7] = [
        TestKind::Performance,
        TestKind::Subgroups,
        TestKind::Robustness,
        TestKind::Invariance,
        TestKind::Comparison,
        TestKind::Calibration,
        TestKind::Data,
    ];

    /// The spec word for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Performance => "performance",
            TestKind::Subgroups => "subgroups",
            TestKind::Robustness => "robustness",
            TestKind::Invariance => "invariance",
            TestKind::Comparison => "comparison",
            TestKind::Calibration => "calibration",
            TestKind::Data => "data",
        }
    }

    /// The criterion keys this kind accepts.
    pub fn criteria(self) -> &'static [&'static str] {
        match self {
            TestKind::Performance | TestKind::Calibration => &["estimate", "lower", "upper"],
            TestKind::Subgroups => &["estimate", "lower", "upper", "gap"],
            TestKind::Robustness => &["estimate", "lower", "upper", "drop"],
            TestKind::Invariance => &["flip_rate"],
            TestKind::Comparison => &["estimate", "lower", "upper"],
            TestKind::Data => &[],
        }
    }
}

impl fmt::Display for TestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Acceptance criteria. Each is a comparison written as text, e.g. `">= 0.85"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Require {
    /// On the point estimate of the metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Criterion>,
    /// On the lower confidence bound (the usual choice: the claim must hold with confidence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<Criterion>,
    /// On the upper confidence bound (for metrics where lower is better, e.g. FPR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<Criterion>,
    /// Robustness: on the drop of the metric from the unperturbed value, at every severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<Criterion>,
    /// Subgroups: on the largest difference of the metric between subgroups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap: Option<Criterion>,
    /// Invariance: on the fraction of cases whose predicted class changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flip_rate: Option<Criterion>,
}

impl Require {
    /// The criteria that are set, as (key, criterion), in declaration order.
    pub fn set(&self) -> Vec<(&'static str, &Criterion)> {
        [
            ("estimate", &self.estimate),
            ("lower", &self.lower),
            ("upper", &self.upper),
            ("drop", &self.drop),
            ("gap", &self.gap),
            ("flip_rate", &self.flip_rate),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect()
    }
}

/// The regular expression a criterion must match (also in the JSON Schema).
pub const CRITERION_PATTERN: &str =
    r"^\s*(>=|<=|>|<)\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$";

/// A comparison such as `>= 0.85`: an operator and a bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Criterion(pub String);

/// Comparison operators of a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriterionOp {
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `<`
    Lt,
}

impl CriterionOp {
    /// Whether `value op bound` holds.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            CriterionOp::Ge => value >= bound,
            CriterionOp::Le => value <= bound,
            CriterionOp::Gt => value > bound,
            CriterionOp::Lt => value < bound,
        }
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CriterionOp::Ge => ">=",
            CriterionOp::Le => "<=",
            CriterionOp::Gt => ">",
            CriterionOp::Lt => "<",
        }
    }
}

impl Criterion {
    /// Splits the text into operator and bound; `None` when it is not of the form
    /// `OP NUMBER` with OP one of `>=`, `<=`, `>`, `<`.
    pub fn parse(&self) -> Option<(CriterionOp, f64)> {
        let text = self.0.trim();
        let (op, rest) = if let Some(r) = text.strip_prefix(">=") {
            (CriterionOp::Ge, r)
        } else if let Some(r) = text.strip_prefix("<=") {
            (CriterionOp::Le, r)
        } else if let Some(r) = text.strip_prefix('>') {
            (CriterionOp::Gt, r)
        } else if let Some(r) = text.strip_prefix('<') {
            (CriterionOp::Lt, r)
        } else {
            return None;
        };
        let rest = rest.trim();
        let plausible = rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
        if !plausible || rest.is_empty() {
            return None;
        }
        rest.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| (op, v))
    }
}

impl JsonSchema for Criterion {
    fn schema_name() -> Cow<'static, str> {
        "Criterion".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": CRITERION_PATTERN,
            "description": "A comparison: one of >=, <=, >, < followed by a number, e.g. \">= 0.85\". Metrics are fractions in [0, 1], not percentages.",
            "examples": [">= 0.85", "<= 0.02"]
        })
    }
}

/// A confidence interval request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiSpec {
    /// Interval method (see `attest explain ci`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<CiMethod>,
    /// Confidence level, e.g. 0.95 (default 0.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.5, max = 0.9999))]
    pub level: Option<f64>,
    /// Bootstrap methods: number of resamples (default 2000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 1_000_000))]
    pub resamples: Option<u32>,
}

/// Confidence-interval methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CiMethod {
    /// Wilson score interval for a proportion (Wilson 1927).
    Wilson,
    /// Exact binomial interval (Clopper and Pearson 1934).
    ClopperPearson,
    /// Jeffreys interval, Beta(1/2, 1/2) prior (Brown, Cai and DasGupta 2001).
    Jeffreys,
    /// Agresti–Coull interval (Agresti and Coull 1998).
    AgrestiCoull,
    /// DeLong's variance of the AUC (DeLong, DeLong and Clarke-Pearson 1988).
    Delong,
    /// Percentile bootstrap, stratified by label and clustered when `data.cluster` is set.
    BootstrapPercentile,
    /// Bias-corrected and accelerated bootstrap (Efron 1987).
    BootstrapBca,
    /// Newcombe's hybrid score interval for a difference of two proportions (Newcombe 1998).
    Newcombe,
}

/// Multiplicity corrections across subgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// No correction: every subgroup at the nominal level.
    None,
    /// Bonferroni: level 1 − α/m for each of m subgroups.
    Bonferroni,
    /// Holm's step-down procedure (Holm 1979); the default.
    Holm,
    /// Benjamini–Hochberg false discovery rate control (1995).
    BenjaminiHochberg,
}

/// How per-class values are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Average {
    /// Unweighted mean over classes.
    Macro,
    /// Pooled counts over classes.
    Micro,
    /// Mean weighted by each class's support.
    Weighted,
}

/// Checks of the test data itself. Each that is set must hold in every cohort the test names
/// (`cohort` or `cohorts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DataChecks {
    /// Fewest cases each cohort must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cases: Option<u64>,
    /// Fewest positive cases each cohort must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_positives: Option<u64>,
    /// Fewest negative cases each cohort must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_negatives: Option<u64>,
    /// When true, two cases with byte-identical images fail the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_images: Option<bool>,
    /// Criterion on the fraction of rows with a missing label, e.g. `"<= 0.01"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_missingness: Option<Criterion>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_parse_and_refuse_prose() {
        let c = |s: &str| Criterion(s.to_owned()).parse();
        assert_eq!(c(">= 0.85"), Some((CriterionOp::Ge, 0.85)));
        assert_eq!(c("<=0.02"), Some((CriterionOp::Le, 0.02)));
        assert_eq!(c(" > -0.05 "), Some((CriterionOp::Gt, -0.05)));
        assert_eq!(c("< 1e-3"), Some((CriterionOp::Lt, 0.001)));
        assert_eq!(c("at least 0.85"), None);
        assert_eq!(c(">= 85%"), None);
        assert_eq!(c("=> 0.85"), None);
        assert_eq!(c(">= inf"), None);
        assert_eq!(c(">="), None);
    }

    #[test]
    fn the_schema_pattern_agrees_with_the_parser() {
        let re =
            jsonschema::validator_for(&serde_json::json!({"pattern": CRITERION_PATTERN})).unwrap();
        for text in [
            ">= 0.85",
            "<=0.02",
            " > -0.05 ",
            "< 1e-3",
            "at least",
            ">= 85%",
            "=> 1",
            ">= .5",
        ] {
            let by_schema = re.is_valid(&serde_json::json!(text));
            let by_parser = Criterion(text.to_owned()).parse().is_some();
            assert_eq!(by_schema, by_parser, "{text}");
        }
    }
}
