//! The typed spec: what `attest.yaml` says, as Rust types.
//!
//! These types are the single source of truth: the JSON Schema in `schemas/spec.v1.json` is
//! generated from them (doc comments become the descriptions editors show on hover), and
//! `spec/v1.md` documents the same keys for a regulatory reader. Tests are one flat type
//! whose kind is written or inferred, so a misplaced key gets a precise message rather than
//! an "did not match any variant".

mod blocks;
mod model;
mod test;

pub use blocks::{
    Cohort, Data, DataLimits, LabelSpec, LabelValue, OperatingPoint, Perturbation,
    PerturbationLevel, TargetSpec,
};
pub use model::{
    Activation, Architecture, InputSpec, Model, ModelSource, Normalize, OnnxBackend, OutputSpec,
    ResizeMode, ScoresSource, ScoresTable, Task,
};
pub use test::{
    Average, CiMethod, CiSpec, Correction, Criterion, CriterionOp, DataChecks, Require, Test,
    TestKind, CRITERION_PATTERN,
};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The name of the built-in cohort that holds every case of the table.
pub const ALL_COHORT: &str = "all";

/// An Attest test specification (`attest.yaml`): what model is tested, on which data, by
/// which pre-specified tests and acceptance criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Attest test specification, version 1")]
pub struct Spec {
    /// Version of the spec language. This reference describes version 1.
    #[schemars(range(min = 1, max = 1))]
    pub attest: u32,
    /// Short machine-friendly name of this spec (used for cargo test names and file names).
    #[schemars(length(min = 1))]
    pub name: String,
    /// Free-text description of what this spec verifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The intended use of the device function under test, quoted in the report.
    #[schemars(length(min = 1))]
    pub intended_use: String,
    /// The intended patient population, quoted in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
    /// The intended users (e.g. radiologists, triage nurses), quoted in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended_users: Option<String>,
    /// Run seed. Every random draw (bootstrap, perturbation noise) derives from it and stable
    /// ids, so a run reproduces exactly on any machine and thread count.
    pub seed: u64,
    /// The model under test.
    pub model: Model,
    /// Other models, by name, that comparison tests measure the model under test against
    /// (e.g. the predicate device or the previous release).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub references: IndexMap<String, Model>,
    /// The test data: case table, id, image, label and cluster columns.
    pub data: Data,
    /// What a run does when a single case cannot be scored (an unreadable image, a
    /// perturbation or model error): `fail` the run (the default), or `exclude` the case
    /// from every estimate that needs it and list it with the reason in the results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_case_error: Option<CaseErrorPolicy>,
    /// Named subsets of cases, each an SQL WHERE predicate over the table's columns. The
    /// cohort `all` is built in and holds every case.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub cohorts: IndexMap<String, Cohort>,
    /// Named decision thresholds: fixed, or chosen on a cohort to reach a target.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub operating_points: IndexMap<String, OperatingPoint>,
    /// Named image perturbations with their severity ladders, used by robustness and
    /// invariance tests.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub perturbations: IndexMap<String, Perturbation>,
    /// Requirements (e.g. SRS ids) that tests trace to, with their text. When this block or
    /// `risk_controls` is present, every trace id must be declared in one of them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub requirements: IndexMap<String, String>,
    /// Risk controls (ISO 14971) that tests verify, with their text.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub risk_controls: IndexMap<String, String>,
    /// Who prepares, reviews and approves the test plan and the report: their names fill the
    /// signature blocks of both documents (a role not named here is left blank to fill in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatories: Option<Signatories>,
    /// Exploratory weak-segment discovery run with the tests: where the model does worst,
    /// searched over the case metadata with intervals and false-discovery-rate control, and
    /// written into the report as exploratory findings — never a verdict, never a criterion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explore: Option<Explore>,
    /// The tests, each with its pre-specified acceptance criteria.
    #[schemars(length(min = 1))]
    pub tests: Vec<Test>,
}

/// The `explore:` block: which cases to search for weak segments, and how (the same search
/// as `attest explore RUN_DIR`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Explore {
    /// The cohort searched; default: the cohort the tests name most often (usually the
    /// locked test set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort: Option<String>,
    /// The metadata columns segments are made from; default: every column of the case table
    /// except the id, image, label and cluster columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// On a multiclass or multilabel task, the class evaluated one-vs-rest (required there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The smallest segment considered, in cases (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 10))]
    pub min_cases: Option<u64>,
    /// The false-discovery rate controlled across every segment tried (Benjamini–Hochberg;
    /// default 0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0001, max = 0.5))]
    pub fdr: Option<f64>,
    /// Whether pairs of conditions from two columns are searched too (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<bool>,
    /// How many segments the report lists, worst first (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub top: Option<u64>,
    /// Whether to store each explored case's embedding — the model's penultimate-layer
    /// features — in the bundle (`embeddings.parquet`), for `attest similar`. ONNX models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings: Option<bool>,
    /// The ONNX node whose output is the embedding (default: the input of the last
    /// Gemm/MatMul, the penultimate layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

/// The people who sign the plan and the report, by the meaning of their signature.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signatories {
    /// Who prepared the verification (executed it and compiled the evidence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepared: Option<Signatory>,
    /// Who reviewed the results against the pre-specified criteria.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<Signatory>,
    /// Who approves the evidence for the technical documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<Signatory>,
}

/// One signatory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    /// Full name, as it will be signed.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Job function (e.g. "Head of Quality Assurance").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
}

/// What a run does with a case that cannot be scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseErrorPolicy {
    /// Stop the run with an error naming the case (nothing is evaluated).
    Fail,
    /// Leave the case out of the estimates that need it and report it as excluded.
    Exclude,
}
