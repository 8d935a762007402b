//! Writing the evidence bundle: the run's files (results, predictions, frozen spec), the JUnit
//! report, the traceability matrix and, last, the manifest hashing all of them and every
//! input — into a temporary sibling folder renamed into place when complete, so a bundle that
//! exists is whole.

use std::path::Path;

use attest_engine::output::{write_run_files, write_staged, RUN_MARKER};
use attest_engine::{Outcome, Prepared};

use ed25519_dalek::SigningKey;

use crate::error::EvidenceError;
use crate::junit::{junit_xml, JUNIT_FILE};
use crate::manifest::{self, MANIFEST_FILE};
use crate::report;
use crate::sign::sign_bundle;
use crate::traceability::{matrix, traceability_csv, TRACEABILITY_FILE};

/// The results record's file name.
pub const RESULTS_FILE: &str = attest_engine::output::RESULTS_FILE;

/// Reads a bundle's `results.json`; a missing or unreadable record means `dir` is not a
/// bundle.
pub fn read_results(dir: &Path) -> Result<attest_spec::results::Results, EvidenceError> {
    let text =
        std::fs::read_to_string(dir.join(RESULTS_FILE)).map_err(|e| EvidenceError::NotABundle {
            path: dir.to_path_buf(),
            reason: format!("cannot read {RESULTS_FILE}: {e}"),
        })?;
    serde_json::from_str(&text).map_err(|e| EvidenceError::NotABundle {
        path: dir.to_path_buf(),
        reason: format!("{RESULTS_FILE} is not a results record: {e}"),
    })
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), EvidenceError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(EvidenceError::io("write", &path))
}

/// Writes the evidence bundle of `outcome` into exactly `dir` (replacing only an earlier
/// run's folder; never a folder of other files).
/// With `sign`, the manifest is signed (`manifest.dsse.json`) before the folder is renamed into
/// place.
pub fn write_bundle(
    dir: &Path,
    prepared: &Prepared,
    outcome: &Outcome,
    sign: Option<&SigningKey>,
) -> Result<(), EvidenceError> {
    // Inputs are hashed before anything is written: the spec and model as they are now.
    let inputs = manifest::inputs(prepared, outcome);
    write_staged(dir, RUN_MARKER, |staging| -> Result<(), EvidenceError> {
        write_run_files(staging, prepared, outcome)?;
        write(staging, JUNIT_FILE, &junit_xml(&outcome.results)?)?;
        write(
            staging,
            TRACEABILITY_FILE,
            &traceability_csv(&prepared.spec, &outcome.results)?,
        )?;
        let curves = report::curves::curves(prepared, outcome);
        let curves_json = serde_json::to_string(&curves).map_err(|e| EvidenceError::Format {
            what: report::curves::CURVES_FILE,
            reason: e.to_string(),
        })?;
        write(staging, report::curves::CURVES_FILE, &(curves_json + "\n"))?;
        let rows = matrix(&prepared.spec, &outcome.results);
        let html = report::render_html(&report::ReportInput {
            results: &outcome.results,
            spec: &prepared.spec,
            spec_text: &prepared.source.text,
            curves: &curves,
            traceability: &rows,
        });
        write(staging, report::REPORT_FILE, &html)?;
        #[cfg(feature = "pdf")]
        {
            let identity = report::report_identity(&outcome.results);
            let pdf = report::typeset_pdf(&html, &identity, report::REPORT_PDF_FILE)?;
            let path = staging.join(report::REPORT_PDF_FILE);
            std::fs::write(&path, pdf).map_err(EvidenceError::io("write", &path))?;
        }
        let manifest = manifest::build(staging, prepared, outcome, inputs)?;
        let json = serde_json::to_string_pretty(&manifest).map_err(|e| EvidenceError::Format {
            what: MANIFEST_FILE,
            reason: e.to_string(),
        })?;
        write(staging, MANIFEST_FILE, &(json + "\n"))?;
        match sign {
            Some(key) => sign_bundle(staging, &manifest, key),
            None => Ok(()),
        }
    })
}
