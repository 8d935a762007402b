//! The results record (`results.json`): what a run found, test by test, with everything an
//! auditor needs to re-derive each verdict — the model and data identities, cohort sizes, the
//! thresholds chosen and where, every estimate with its n, interval method and level, the
//! criteria checked, and the cases excluded with their reasons. Its schema is generated into
//! `schemas/results.v1.json` like the spec's.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::types::{CiMethod, TestKind};

/// The outcome of one run of a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Attest results record, version 1")]
pub struct Results {
    /// Version of the results format; this is version 1.
    #[schemars(range(min = 1, max = 1))]
    pub attest_results: u32,
    /// Unique id of the run.
    pub run_id: String,
    /// The spec's `name`.
    pub spec_name: String,
    /// SHA-256 of the spec file as run (hex).
    pub spec_sha256: String,
    /// The run seed.
    pub seed: u64,
    /// The approved test plan the run was held to (`attest run --plan-hash`): the SHA-256 of
    /// the spec file `attest plan` rendered. Absent when no plan was referenced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_sha256: Option<String>,
    /// Tool name and version.
    pub tool: Tool,
    /// When the run started, UTC, RFC 3339.
    pub started_at: String,
    /// When the run finished, UTC, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Where it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// The model under test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelIdentity>,
    /// The test data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataIdentity>,
    /// Every cohort of the spec (`all` first) with its size.
    #[serde(default)]
    pub cohorts: Vec<CohortSummary>,
    /// The operating points used by the tests, with the thresholds chosen.
    #[serde(default)]
    pub operating_points: Vec<OperatingPointResult>,
    /// Forward passes: how many were needed, computed and taken from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<InferenceSummary>,
    /// When the predictions were computed in shards (`attest run --shard I/N`) and merged
    /// (`attest merge`): where and when each shard ran. Empty for a single run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardProvenance>,
    /// Cases left out of some computation, with the reason (never dropped silently).
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    /// Warnings about the data or the design found during the run (e.g. threshold leakage).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The overall verdict: FAIL if any test failed, else ERROR if any errored, else
    /// INCONCLUSIVE if any was inconclusive (and not allowed to be), else PASS.
    pub verdict: Verdict,
    /// One entry per test of the spec, in spec order.
    pub tests: Vec<TestResult>,
    /// The spec's `explore:` search for weak segments: exploratory findings, outside every
    /// verdict. Absent when the spec has no `explore:` block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploration: Option<ExplorationResult>,
}

/// What the spec's `explore:` block found: segments of the case metadata where the model's
/// AUC is lower than on the rest of the cohort, with intervals and p-values adjusted over
/// every segment tried. Not pre-specified; no verdict depends on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplorationResult {
    /// The cohort searched.
    pub cohort: String,
    /// On a multiclass or multilabel task, the class evaluated one-vs-rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Labelled, scored cases searched.
    pub n: u64,
    /// AUC of all of them (absent when the search could not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall_auc: Option<f64>,
    /// Segments tested: the denominator of the multiplicity correction.
    pub tried: u64,
    /// Candidate segments not tested because they or their complement were too small.
    pub too_small: u64,
    /// Smallest segment tested, in cases.
    pub min_cases: u64,
    /// Fewest positives and fewest negatives a segment (and its complement) needed.
    pub min_per_class: u64,
    /// Whether pairs of conditions from two columns were searched.
    pub pairs: bool,
    /// Confidence level of the intervals.
    pub level: f64,
    /// False-discovery rate controlled (Benjamini–Hochberg) over every segment tried.
    pub fdr: f64,
    /// How each segment was compared with the rest, in words.
    pub method: String,
    /// Columns that segments were made from.
    pub columns: Vec<String>,
    /// Columns left out, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_columns: Vec<SkippedColumn>,
    /// Segments flagged at the false-discovery rate (in all).
    pub flagged: u64,
    /// The first segments of the ranking (flagged findings first, clearly worst first),
    /// as many as the block's `top`.
    pub segments: Vec<SegmentResult>,
    /// Why the search could not run, when it could not (then `segments` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The embeddings stored with the predictions (`explore.embeddings: true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings: Option<EmbeddingsRecord>,
}

/// What `embeddings.parquet` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingsRecord {
    /// The bundle's file.
    pub file: String,
    /// The ONNX node the embeddings were taken from.
    pub layer: String,
    /// Values per embedding.
    pub dimensions: u64,
    /// Cases embedded (the explored cohort's cases with an image).
    pub cases: u64,
    /// Cases whose image could not be embedded, with the first reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// A metadata column left out of the search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkippedColumn {
    /// Column name.
    pub column: String,
    /// Why it was left out.
    pub reason: String,
}

/// One segment of the exploration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentResult {
    /// The segment in words, e.g. `site = 'B' and age_years >= 65`.
    pub segment: String,
    /// Cases in it.
    pub n: u64,
    /// Positives in it.
    pub positives: u64,
    /// Negatives in it.
    pub negatives: u64,
    /// The segment's AUC.
    pub auc: f64,
    /// Lower end of its DeLong interval.
    pub ci_lower: f64,
    /// Upper end of its DeLong interval.
    pub ci_upper: f64,
    /// AUC of every other case of the cohort.
    pub rest_auc: f64,
    /// One-sided p-value that the segment is worse than the rest.
    pub p_value: f64,
    /// The p-value adjusted over every segment tried (Benjamini–Hochberg).
    pub adjusted_p: f64,
    /// Whether the adjusted p-value is at most the false-discovery rate.
    pub flagged: bool,
    /// For a pair of conditions, the flagged single-condition segment it lies in: a part of
    /// that finding rather than a finding of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

/// One shard of a merged run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShardProvenance {
    /// `I/N`: the I-th of N slices of the planned cases.
    pub shard: String,
    /// Cases it scored.
    pub cases: u64,
    /// When it started and finished, UTC, RFC 3339.
    pub started_at: String,
    /// When it finished.
    pub finished_at: String,
    /// Forward passes it computed.
    pub computed: u64,
    /// Forward passes it took from its prediction cache.
    pub cached: u64,
    /// Where it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
}

/// The tool that produced a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// Always `attest`.
    pub name: String,
    /// Semantic version.
    pub version: String,
}

/// The machine and settings of a run (volatile: differs between machines, not results).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Operating system and architecture, e.g. `linux x86_64`.
    pub os: String,
    /// Logical CPUs available.
    pub cpus: u64,
    /// The CPU model, where the system tells it (Linux: `/proc/cpuinfo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Versions of the libraries that decode, compute and typeset (e.g. `tract-onnx 0.23.0`),
    /// as built into this Attest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<String>,
    /// Threads the run used.
    pub threads: u64,
    /// Who ran it (the `USER` environment variable), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// Which model was tested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelIdentity {
    /// The spec's `model.id`.
    pub id: String,
    /// The spec's `model.version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What ran it, e.g. `tract 0.23 (ONNX)`, or `scores table`.
    pub backend: String,
    /// SHA-256 of the weights file or scores table (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_sha256: Option<String>,
}

/// Which data was used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataIdentity {
    /// The case table, as the spec names it.
    pub table: String,
    /// SHA-256 of the case table (hex).
    pub table_sha256: String,
    /// Rows of the case table.
    pub cases: u64,
    /// Images hashed (0 for a scores-only model).
    pub images: u64,
    /// SHA-256 over the table hash and every (case id, image hash) pair: changes when any
    /// image or the table changes.
    pub fingerprint: String,
}

/// A cohort's size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortSummary {
    /// The cohort's name.
    pub name: String,
    /// Its `where` predicate (none for `all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Cases.
    pub n: u64,
    /// Positive cases (binary tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positives: Option<u64>,
    /// Negative cases (binary tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negatives: Option<u64>,
    /// Cases without a label.
    pub unlabelled: u64,
}

/// How an operating point's threshold(s) were chosen, and what they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatingPointResult {
    /// The operating point's name.
    pub name: String,
    /// The rule, e.g. `sensitivity >= 0.9 (highest such threshold)` or `fixed 0.5`.
    pub rule: String,
    /// The cohort the threshold was chosen on (none for a fixed threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_on: Option<String>,
    /// The column with one threshold per value, for `per:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    /// One threshold, or one per group.
    pub thresholds: Vec<ChosenThreshold>,
}

/// One chosen threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChosenThreshold {
    /// The group's value of the `per:` column (none without `per:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Cases positive iff score ≥ threshold. None when it could not be chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The targeted quantity reached on the choosing cohort.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achieved: Option<f64>,
    /// Cases it was chosen from.
    pub n: u64,
    /// Why no threshold could be chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undefined: Option<String>,
}

/// Forward passes of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InferenceSummary {
    /// (case, variant) pairs the tests need, each scored once.
    pub needed: u64,
    /// Scored by the model in this run.
    pub computed: u64,
    /// Taken from the prediction cache.
    pub cached: u64,
    /// Variants (the unperturbed images count as one).
    pub variants: u64,
    /// Wall-clock seconds of the scoring stage (cache lookups, decoding, perturbing,
    /// preprocessing and forward passes, overlapped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoring_seconds: Option<f64>,
    /// Seconds spent inside the model's forward passes (preprocessing included): the rest of
    /// the scoring stage is the engine's overhead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_seconds: Option<f64>,
}

/// A case left out of a computation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// The case id.
    pub case: String,
    /// The variant (`original`, or `PERTURBATION@LEVEL`).
    pub variant: String,
    /// Why.
    pub reason: String,
}

/// A test's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Every criterion holds.
    Pass,
    /// A criterion does not hold.
    Fail,
    /// Too few cases to decide: the interval straddles a bound, or n is below the stated minimum.
    Inconclusive,
    /// The test could not be evaluated (e.g. a cohort turned out empty).
    Error,
}

impl Verdict {
    /// The upper-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::Error => "ERROR",
        }
    }
}

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestResult {
    /// The test id from the spec.
    pub id: String,
    /// The test's title from the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The test kind (as written or inferred).
    pub kind: TestKind,
    /// Requirement and risk-control ids the test verifies.
    #[serde(default)]
    pub traces: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// Whether an INCONCLUSIVE verdict is allowed not to fail the run.
    #[serde(default)]
    pub allow_inconclusive: bool,
    /// Why, in one sentence, for every verdict other than PASS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every estimate the verdict rests on.
    pub estimates: Vec<Estimate>,
    /// Each criterion of `require` (or data check), checked.
    #[serde(default)]
    pub criteria: Vec<CriterionResult>,
    /// For robustness tests: the lowest level at which a criterion fails, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaking_level: Option<String>,
}

/// One number with its sample size and interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Estimate {
    /// The quantity: a metric name, or `drop:METRIC`, `gap:METRIC`, `difference:METRIC`,
    /// `flip_rate`, or a data check.
    pub metric: String,
    /// The cohort or subgroup it was computed on.
    pub cohort: String,
    /// The variant of the images (`original`, or `PERTURBATION@LEVEL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The point estimate; none when undefined (see `undefined`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Number of cases it was computed from.
    pub n: u64,
    /// Positive cases among them (binary tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positives: Option<u64>,
    /// Negative cases among them (binary tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negatives: Option<u64>,
    /// Independent units resampled (clusters), when a bootstrap was clustered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters: Option<u64>,
    /// The threshold it was computed at (threshold metrics), or a description of the
    /// per-group thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The confidence interval, when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
    /// A p-value adjusted for multiplicity, when the test corrects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjusted_p: Option<f64>,
    /// Why the estimate is undefined (e.g. no positive cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undefined: Option<String>,
}

/// A confidence interval with its method and level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// The method.
    pub method: CiMethod,
    /// The confidence level, e.g. 0.95.
    pub level: f64,
    /// Bootstrap resamples (bootstrap methods only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resamples: Option<u32>,
    /// The bootstrap seed (bootstrap methods only), derived from the run seed and the test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// One criterion checked against one estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionResult {
    /// The `require` key (`estimate`, `lower`, `upper`, `drop`, `gap`, `flip_rate`) or data
    /// check (`min_cases`, …).
    pub quantity: String,
    /// The criterion as written, e.g. `>= 0.80`.
    pub criterion: String,
    /// Which estimate it was checked on (cohort and variant).
    pub on: String,
    /// The value compared; none when undefined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The outcome for this criterion alone.
    pub verdict: Verdict,
}
