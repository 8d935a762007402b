//! `traceability.csv`: requirement → risk control → test → verdict, one row per link, with
//! every requirement and risk control the spec declares but no test traces listed as
//! `NOT TESTED` — the matrix an IEC 62304 / ISO 14971 file asks for.

use attest_spec::results::Results;
use attest_spec::types::Spec;
use serde::Serialize;

use crate::error::EvidenceError;

/// The matrix's file name.
pub const TRACEABILITY_FILE: &str = "traceability.csv";

/// What a declared item that no test traces gets in the verdict column.
pub const NOT_TESTED: &str = "NOT TESTED";

/// One row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Requirement id (empty when the test traces only risk controls).
    pub requirement: String,
    /// Its text from the spec.
    pub requirement_text: String,
    /// Risk-control id (empty when the test traces only requirements).
    pub risk_control: String,
    /// Its text from the spec.
    pub risk_control_text: String,
    /// Test id (empty for an item no test traces).
    pub test: String,
    /// Test title.
    pub test_title: String,
    /// The test's verdict, or `NOT TESTED`.
    pub verdict: String,
}

/// The matrix of `spec` with the verdicts of `results`.
pub fn matrix(spec: &Spec, results: &Results) -> Vec<Row> {
    let mut rows = Vec::new();
    let verdict_of = |id: &str| {
        results
            .tests
            .iter()
            .find(|t| t.id == id)
            .map_or_else(|| "NOT RUN".to_string(), |t| t.verdict.as_str().to_string())
    };
    let text = |map: &indexmap::IndexMap<String, String>, id: &Option<String>| {
        id.as_ref()
            .and_then(|i| map.get(i))
            .cloned()
            .unwrap_or_default()
    };
    for test in &spec.tests {
        // A trace is a risk control when declared as one; anything else is a requirement.
        let (risks, requirements): (Vec<&String>, Vec<&String>) = test
            .traces
            .iter()
            .partition(|t| spec.risk_controls.contains_key(*t));
        let requirements: Vec<Option<String>> = if requirements.is_empty() {
            vec![None]
        } else {
            requirements.into_iter().cloned().map(Some).collect()
        };
        let risks: Vec<Option<String>> = if risks.is_empty() {
            vec![None]
        } else {
            risks.into_iter().cloned().map(Some).collect()
        };
        for requirement in &requirements {
            for risk in &risks {
                rows.push(Row {
                    requirement: requirement.clone().unwrap_or_default(),
                    requirement_text: text(&spec.requirements, requirement),
                    risk_control: risk.clone().unwrap_or_default(),
                    risk_control_text: text(&spec.risk_controls, risk),
                    test: test.id.clone(),
                    test_title: test.title.clone().unwrap_or_default(),
                    verdict: verdict_of(&test.id),
                });
            }
        }
    }
    let traced = |id: &str| spec.tests.iter().any(|t| t.traces.iter().any(|x| x == id));
    for (id, body) in &spec.requirements {
        if !traced(id) {
            rows.push(Row {
                requirement: id.clone(),
                requirement_text: body.clone(),
                risk_control: String::new(),
                risk_control_text: String::new(),
                test: String::new(),
                test_title: String::new(),
                verdict: NOT_TESTED.into(),
            });
        }
    }
    for (id, body) in &spec.risk_controls {
        if !traced(id) {
            rows.push(Row {
                requirement: String::new(),
                requirement_text: String::new(),
                risk_control: id.clone(),
                risk_control_text: body.clone(),
                test: String::new(),
                test_title: String::new(),
                verdict: NOT_TESTED.into(),
            });
        }
    }
    rows
}

/// The matrix as CSV (a header row, then one row per link).
pub fn traceability_csv(spec: &Spec, results: &Results) -> Result<String, EvidenceError> {
    let fail = |e: csv::Error| EvidenceError::Format {
        what: TRACEABILITY_FILE,
        reason: e.to_string(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in matrix(spec, results) {
        w.serialize(row).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| EvidenceError::Format {
        what: TRACEABILITY_FILE,
        reason: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| EvidenceError::Format {
        what: TRACEABILITY_FILE,
        reason: e.to_string(),
    })
}
