//! Reading a spec file and its data into a [`Prepared`] run: the spec is validated and its
//! data checked, and nothing runs unless both are free of errors. The CLI (`attest run`,
//! `attest predict`) and the library API (`attest::Runner`, the `cargo test` harness) share
//! this step, so a spec that `attest validate` rejects is rejected everywhere alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use attest_data::cases::ImageCheck;
use attest_spec::{validate_source, Diagnostic, Severity, SpecSource, ValidateOptions};

use crate::run::Prepared;

/// Why a spec cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The spec file cannot be read.
    #[error("{0}")]
    Read(String),
    /// The spec has errors; `diagnostics` say where and how to fix them.
    #[error("{}: invalid spec ({} error(s); run `attest validate`)", path.display(), errors(diagnostics))]
    InvalidSpec {
        /// The spec file.
        path: PathBuf,
        /// Every diagnostic of the validation, errors and warnings.
        diagnostics: Vec<Diagnostic>,
    },
    /// The spec is valid but its data has errors.
    #[error("{}: the data has errors ({} error(s); run `attest validate`)", path.display(), errors(diagnostics))]
    InvalidData {
        /// The spec file.
        path: PathBuf,
        /// The data's error diagnostics.
        diagnostics: Vec<Diagnostic>,
    },
    /// The case table could not be read although no diagnostic says why (a defect).
    #[error("the case table of `{}` could not be read", .0.display())]
    Table(PathBuf),
}

fn errors(diagnostics: &[Diagnostic]) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

impl PrepareError {
    /// The diagnostics to show, if the error has any.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            PrepareError::InvalidSpec { diagnostics, .. }
            | PrepareError::InvalidData { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }
}

/// The folder a spec's relative paths are resolved against: the spec file's folder.
pub fn base_dir(spec_path: &Path) -> PathBuf {
    spec_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| ".".into(), ToOwned::to_owned)
}

/// Reads, validates and checks the spec at `spec_path` and its data: the [`Prepared`] run,
/// or why it cannot run.
pub fn prepare(spec_path: &Path) -> Result<Prepared, PrepareError> {
    let text =
        attest_spec::read_spec_file(spec_path).map_err(|e| PrepareError::Read(e.to_string()))?;
    let base_dir = base_dir(spec_path);
    let source = SpecSource::new(spec_path.display().to_string(), text);
    let validation = validate_source(
        &source,
        &ValidateOptions {
            base_dir: Some(base_dir.clone()),
        },
    );
    let Some(spec) = validation.valid_spec().cloned() else {
        return Err(PrepareError::InvalidSpec {
            path: spec_path.to_path_buf(),
            diagnostics: validation.diagnostics.iter().cloned().collect(),
        });
    };
    let images = if spec.model.is_scores_only() {
        ImageCheck::Skip
    } else {
        ImageCheck::Exists
    };
    let source: Arc<SpecSource> = validation.source.clone();
    let data = attest_data::check::check(&spec, &source, &base_dir, images);
    if data.has_errors() {
        return Err(PrepareError::InvalidData {
            path: spec_path.to_path_buf(),
            diagnostics: data
                .diagnostics
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                .collect(),
        });
    }
    let (Some(cases), Some(cohorts)) = (data.cases, data.cohorts) else {
        return Err(PrepareError::Table(base_dir.join(&spec.data.table)));
    };
    Ok(Prepared {
        spec,
        source,
        base_dir,
        cases,
        cohorts,
        partial: None,
    })
}

/// A new run id: `YYYYMMDDTHHMMSSZ-` and 8 hex digits of a hash of the spec, the time and
/// the process — sortable, unique in practice, and naming which spec it ran.
pub fn new_run_id(prepared: &Prepared) -> String {
    let now: String = crate::run::now_utc()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let digest = attest_data::hash::sha256_bytes(
        format!("{}{now}{}", prepared.source.text, std::process::id()).as_bytes(),
    );
    let suffix = if prepared.partial.is_some() {
        PARTIAL_SUFFIX
    } else {
        ""
    };
    format!("{now}-{}{suffix}", &digest[..8])
}

/// What a partial run's id ends with, so its folder says so at a glance.
pub const PARTIAL_SUFFIX: &str = "-partial";

impl Prepared {
    /// Keeps only the tests whose ids are in `ids` (unknown ids are ignored), for a quick
    /// check of some tests: the others' variants are then neither scored nor evaluated.
    /// When any test was left out the run is **partial**: [`Prepared::partial`] holds the
    /// warning its results and report carry first (naming what ran, and saying that its
    /// bundle is not evidence for the whole spec), its run id ends in [`PARTIAL_SUFFIX`],
    /// and that warning is returned; `None` when every test stays.
    pub fn retain_tests(&mut self, ids: &[String]) -> Option<String> {
        let all = self.spec.tests.len();
        self.spec.tests.retain(|t| ids.contains(&t.id));
        let ran: Vec<&str> = self.spec.tests.iter().map(|t| t.id.as_str()).collect();
        if ran.len() < all {
            // A partial run is a developer's check of some tests, not the spec's run: the
            // exploration (and the forward passes it may need) is left to the full run.
            self.spec.explore = None;
        }
        self.partial = (ran.len() < all).then(|| {
            format!(
                "partial run: only {} of the spec's {all} tests ran ({}); this bundle is not evidence for the whole spec",
                ran.len(),
                ran.join(", ")
            )
        });
        self.partial.clone()
    }
}
