//! The results record (`results.json`): what a run found, test by test.
//!
//! Minimal in version 1 of the foundation: identification, per-test verdicts and estimates
//! with their intervals. The engine issue completes it; its schema is generated into
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
    /// Tool name and version.
    pub tool: Tool,
    /// When the run started, UTC, RFC 3339.
    pub started_at: String,
    /// The overall verdict: FAIL if any test failed, else ERROR if any errored, else
    /// INCONCLUSIVE if any was inconclusive (and not allowed to be), else PASS.
    pub verdict: Verdict,
    /// One entry per test of the spec, in spec order.
    pub tests: Vec<TestResult>,
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

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestResult {
    /// The test id from the spec.
    pub id: String,
    /// The test kind (as written or inferred).
    pub kind: TestKind,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one sentence, for every verdict other than PASS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every estimate the verdict rests on.
    pub estimates: Vec<Estimate>,
}

/// One number with its sample size and interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Estimate {
    /// The metric name.
    pub metric: String,
    /// The cohort or subgroup it was computed on.
    pub cohort: String,
    /// The point estimate.
    pub value: f64,
    /// Number of cases (or clusters) it was computed from.
    pub n: u64,
    /// The confidence interval, when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
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
}
