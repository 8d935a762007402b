//! Opening a finished run for the commands that look back at it (`explore`, `similar`): the
//! bundle's frozen spec, the case table and cohorts it was run on (read again from the folder
//! the spec was in), and the model's unperturbed scores from `predictions.parquet`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use attest_data::cases::{Cases, ImageCheck};
use attest_data::check::CohortCases;
use attest_data::table::Table;
use attest_engine::output::{PREDICTIONS_FILE, SPEC_FILE};
use attest_spec::{validate_source, Spec, SpecSource, ValidateOptions};

/// A run folder, opened.
pub struct OpenedRun {
    /// The spec as run.
    pub spec: Spec,
    /// The folder the spec was in: paths in the spec are relative to it.
    pub data_dir: PathBuf,
    /// The cases, read from the case table again.
    pub cases: Cases,
    /// The spec's cohorts over them (`all` first).
    pub cohorts: Vec<CohortCases>,
}

impl OpenedRun {
    /// Opens the bundle `dir`; `data` overrides the folder the manifest says the spec was in.
    pub fn open(dir: &Path, data: Option<&Path>) -> Result<OpenedRun, String> {
        let manifest = attest_evidence::verify::read_manifest(dir).map_err(|e| e.to_string())?;
        let data_dir = data.map_or_else(|| PathBuf::from(&manifest.spec_dir), Path::to_path_buf);
        let spec_text = std::fs::read_to_string(dir.join(SPEC_FILE))
            .map_err(|e| format!("cannot read {}: {e}", dir.join(SPEC_FILE).display()))?;
        let source = SpecSource::new(dir.join(SPEC_FILE).display().to_string(), spec_text);
        let validation = validate_source(
            &source,
            &ValidateOptions {
                base_dir: Some(data_dir.clone()),
            },
        );
        let spec = validation
            .spec
            .clone()
            .ok_or("the bundle's spec.yaml cannot be read as a spec")?;
        let table_path = data_dir.join(&spec.data.table);
        if !table_path.is_file() {
            return Err(format!(
                "the run's case table `{}` is not there any more\n  help: give the folder the spec was in with --data DIR",
                table_path.display()
            ));
        }
        let checked =
            attest_data::check::check(&spec, &validation.source, &data_dir, ImageCheck::Skip);
        let (Some(cases), Some(cohorts)) = (checked.cases, checked.cohorts) else {
            return Err(format!(
                "the case table `{}` cannot be read",
                table_path.display()
            ));
        };
        Ok(OpenedRun {
            spec,
            data_dir,
            cases,
            cohorts,
        })
    }

    /// The cohort `name`, or the one the spec's tests name most often.
    pub fn cohort(&self, name: Option<&str>) -> Result<&CohortCases, String> {
        let name = name.map_or_else(
            || attest_engine::explore::most_tested_cohort(&self.spec),
            str::to_string,
        );
        self.cohorts.iter().find(|c| c.name == name).ok_or_else(|| {
            format!(
                "no cohort `{name}` in the spec; its cohorts are: {}",
                self.cohorts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

/// The model's unperturbed score of each case the run scored, by case id (a binary model's
/// `score` column of `predictions.parquet`).
pub fn original_scores(dir: &Path, spec: &Spec) -> Result<HashMap<String, f64>, String> {
    let predictions = Table::read(&dir.join(PREDICTIONS_FILE)).map_err(|e| e.to_string())?;
    let ids = predictions
        .string_column(&spec.data.id)
        .map_err(|e| e.to_string())?;
    let variants = predictions
        .string_column("variant")
        .map_err(|e| e.to_string())?;
    let scores = predictions
        .optional_f64_column("score")
        .map_err(|e| format!("{e} (a binary model's `score` column is needed)"))?;
    let mut score_of = HashMap::new();
    for ((id, variant), score) in ids.into_iter().zip(&variants).zip(&scores) {
        if let (true, Some(s)) = (variant == "original", score) {
            score_of.insert(id, *s);
        }
    }
    Ok(score_of)
}
