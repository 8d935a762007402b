//! `attest explore RUN_DIR`: where does the model do worst? Weak-segment discovery
//! (`attest_explore::discover`) over the run's case metadata, on the unperturbed predictions
//! the bundle holds. Exploratory by design: it prints (or writes with `-o`) a ranked table,
//! never touches the bundle, and never changes a verdict.

use std::fmt::Write as _;
use std::path::PathBuf;

use attest_data::cases::ImageCheck;
use attest_data::table::Table;
use attest_engine::explore::Metadata;
use attest_engine::output::{PREDICTIONS_FILE, SPEC_FILE};
use attest_explore::{discover, Exploration, Options};
use attest_spec::{validate_source, SpecSource, ValidateOptions};

use crate::cli::ExploreArgs;
use crate::commands::output_file::write_atomically;
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// The cases explored: labels, scores, and the metadata columns by name.
struct Explored {
    labels: Vec<bool>,
    scores: Vec<f64>,
    metadata: Metadata,
    cohort: String,
}

/// Explores the run; exit 0 (exploration has no verdict), 2 when the folder is not a run or
/// an option names something that is not there.
pub fn run(args: &ExploreArgs) -> Result<ExitStatus, CommandError> {
    let cases = match load(args) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Invalid);
        }
    };
    let columns = cases.metadata.columns();
    let options = Options {
        min_cases: args.min_cases,
        fdr: args.fdr,
        pairs: !args.no_pairs,
        ..Options::default()
    };
    let found = match discover(&cases.labels, &cases.scores, &columns, &options) {
        Ok(f) => f,
        Err(message) => {
            eprintln!("error: cannot explore cohort `{}`: {message}", cases.cohort);
            return Ok(ExitStatus::Invalid);
        }
    };
    let text = if args.json {
        serde_json::to_string_pretty(&found)
            .map_err(|e| CommandError::Data(format!("cannot write JSON: {e}")))?
            + "\n"
    } else {
        table(&found, &cases.cohort, args.top)
    };
    match &args.out {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => render::emit(&text),
    }
    Ok(ExitStatus::Success)
}

/// Reads the bundle's frozen spec and predictions and the case table they came from.
fn load(args: &ExploreArgs) -> Result<Explored, String> {
    let dir = &args.dir;
    let manifest = attest_evidence::verify::read_manifest(dir).map_err(|e| e.to_string())?;
    let data_dir = args
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from(&manifest.spec_dir));
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
    let checked = attest_data::check::check(&spec, &validation.source, &data_dir, ImageCheck::Skip);
    let (Some(cases), Some(cohorts)) = (checked.cases, checked.cohorts) else {
        return Err(format!(
            "the case table `{}` cannot be read",
            table_path.display()
        ));
    };
    let cohort_name = args
        .cohort
        .clone()
        .unwrap_or_else(|| attest_engine::explore::most_tested_cohort(&spec));
    let cohort = cohorts
        .iter()
        .find(|c| c.name == cohort_name)
        .ok_or_else(|| {
            format!(
                "no cohort `{cohort_name}` in the spec; its cohorts are: {}",
                cohorts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    // The unperturbed scores of the run's own model.
    let predictions = Table::read(&dir.join(PREDICTIONS_FILE)).map_err(|e| e.to_string())?;
    let ids = predictions
        .string_column(&spec.data.id)
        .map_err(|e| e.to_string())?;
    let variants = predictions
        .string_column("variant")
        .map_err(|e| e.to_string())?;
    let scores = predictions
        .optional_f64_column("score")
        .map_err(|e| format!("{e} (explore needs a binary model's `score` column)"))?;
    let mut score_of: std::collections::HashMap<&str, f64> = Default::default();
    for ((id, variant), score) in ids.iter().zip(&variants).zip(&scores) {
        if let (true, Some(s)) = (variant == "original", score) {
            score_of.insert(id.as_str(), *s);
        }
    }
    let rows: Vec<usize> = cohort
        .rows
        .iter()
        .copied()
        .filter(|&r| {
            cases.labels.binary(r).is_some() && score_of.contains_key(cases.ids[r].as_str())
        })
        .collect();
    let metadata = Metadata::read(&cases.table, &rows, &spec, args.columns.as_deref())?;
    Ok(Explored {
        labels: rows
            .iter()
            .filter_map(|&r| cases.labels.binary(r))
            .collect(),
        scores: rows
            .iter()
            .map(|&r| score_of[cases.ids[r].as_str()])
            .collect(),
        metadata,
        cohort: cohort_name,
    })
}

/// The ranked table for people.
fn table(found: &Exploration, cohort: &str, top: usize) -> String {
    let mut out = String::new();
    let flagged = found.segments.iter().filter(|s| s.flagged).count();
    let _ = writeln!(
        out,
        "EXPLORATORY — not a pre-specified test; no verdict depends on it.\n\
         cohort `{cohort}`: {} cases, AUC {:.3}; {} segments tested ({}, \
         at least {} cases and {} of each class), {} too small; Benjamini–Hochberg FDR {}: {flagged} flagged",
        found.n,
        found.overall_auc,
        found.tried,
        if found.options.pairs {
            "single columns and pairs"
        } else {
            "single columns"
        },
        found.options.min_cases,
        found.options.min_per_class,
        found.too_small,
        found.options.fdr,
    );
    for (name, why) in &found.skipped_columns {
        let _ = writeln!(out, "  column `{name}` not used: {why}");
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<3} {:>6} {:>11} {:>22} {:>6} {:>8} {:>8}  {:<8} segment",
        "#", "n", "pos/neg", "AUC [95% CI]", "rest", "p", "adj. p", "flag"
    );
    for (i, s) in found.segments.iter().take(top).enumerate() {
        let (flag, within) = match (&s.within, s.flagged) {
            (Some(parent), true) => ("part", format!(" (within {parent})")),
            (None, true) => ("FLAGGED", String::new()),
            _ => ("", String::new()),
        };
        let _ = writeln!(
            out,
            "{:<3} {:>6} {:>11} {:>22} {:>6.3} {:>8.1e} {:>8.1e}  {flag:<8} {}{within}",
            i + 1,
            s.n,
            format!("{}/{}", s.positives, s.negatives),
            format!("{:.3} [{:.3}, {:.3}]", s.auc, s.interval.0, s.interval.1),
            s.rest_auc,
            s.p_value,
            s.adjusted_p,
            s.description,
        );
    }
    if found.segments.len() > top {
        let _ = writeln!(
            out,
            "… {} more (--top N, or --json for all)",
            found.segments.len() - top
        );
    }
    out
}
