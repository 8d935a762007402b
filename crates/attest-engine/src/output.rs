//! Writing a run's files — `results.json`, `predictions.parquet` and a frozen copy of the spec
//! as `spec.yaml` — into exactly the output folder, all at once: they are written into a
//! temporary sibling folder that is renamed into place when complete, so an interrupted run
//! never leaves a folder that looks finished. An existing folder is replaced only when it is
//! empty or holds an earlier Attest run; any other folder is left alone (never overwrite a
//! user's files).

use std::path::{Path, PathBuf};

use attest_spec::types::ALL_COHORT;
use polars::prelude::*;

use crate::error::EngineError;
use crate::run::{Outcome, Prepared};

/// File names inside a run folder.
pub const RESULTS_FILE: &str = "results.json";
/// Per-case predictions.
pub const PREDICTIONS_FILE: &str = "predictions.parquet";
/// The spec as run.
pub const SPEC_FILE: &str = "spec.yaml";

/// Turns an I/O error on `path` into an engine error naming the file.
pub fn io(path: &Path) -> impl Fn(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `dir` may be replaced: missing, empty, or written by Attest earlier (its `marker`
/// file is JSON with the `marker` key, e.g. `results.json` with `attest_results`).
fn replaceable(dir: &Path, (file, key): (&str, &str)) -> Result<bool, EngineError> {
    if !dir.exists() {
        return Ok(true);
    }
    let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
    if entries.next().is_none() {
        return Ok(true);
    }
    Ok(std::fs::read(dir.join(file))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get(key).is_some()))
}

/// `Ok` when `dir` may be written as a run folder: it does not exist, is empty, or is one
/// Attest wrote (its `marker` file says so). Otherwise an error naming the folder — checked
/// before a run starts scoring, and again when the folder is written, so a user's folder is
/// never replaced.
pub fn ensure_replaceable(dir: &Path, marker: (&str, &str)) -> Result<(), EngineError> {
    if replaceable(dir, marker)? {
        return Ok(());
    }
    Err(EngineError::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "the folder exists and is not one Attest wrote; choose another --out",
        ),
    })
}

/// The column of `predictions.parquet` that says whether a case belongs to cohort `name`.
pub fn cohort_column(name: &str) -> String {
    format!("cohort:{name}")
}

/// The per-case predictions as a table: one row per planned (case, variant), with the
/// label, every output, the reason when the pair could not be scored, and one `cohort:NAME`
/// column per cohort of the spec (but `all`) saying whether the case belongs to it — so that
/// a later run can be compared cohort by cohort from the bundles alone (`attest diff`).
pub fn predictions_frame(prepared: &Prepared, outcome: &Outcome) -> PolarsResult<DataFrame> {
    let cases = &prepared.cases;
    let plan = &outcome.plan;
    let predictions = &outcome.predictions;
    let k = predictions.k.max(1);
    let mut failure: std::collections::HashMap<(usize, usize), &str> = Default::default();
    for f in &predictions.failures {
        failure.insert((f.variant, f.row), f.reason.as_str());
    }
    let (mut ids, mut variants, mut labels, mut errors) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut outputs: Vec<Vec<Option<f32>>> = vec![Vec::new(); k];
    for (v, rows) in plan.rows.iter().enumerate() {
        let label = plan.variants[v].label();
        for &row in rows {
            ids.push(cases.ids[row].clone());
            variants.push(label.clone());
            labels.push(cases.labels.binary(row));
            let values = predictions.outputs[v][row].as_ref();
            for (j, column) in outputs.iter_mut().enumerate() {
                column.push(values.and_then(|o| o.get(j).copied()));
            }
            errors.push(failure.get(&(v, row)).map(|s| s.to_string()));
        }
    }
    let names: Vec<String> = match (&prepared.spec.model.output.classes, k) {
        (_, 1) => vec!["score".into()],
        (Some(classes), _) if classes.len() == k => {
            classes.iter().map(|c| format!("score_{c}")).collect()
        }
        _ => (0..k).map(|j| format!("score_{j}")).collect(),
    };
    let height = ids.len();
    let mut columns = vec![
        Column::new(prepared.spec.data.id.as_str().into(), ids),
        Column::new("variant".into(), variants),
        Column::new("label".into(), labels),
    ];
    for (name, values) in names.iter().zip(outputs) {
        columns.push(Column::new(name.as_str().into(), values));
    }
    columns.push(Column::new("error".into(), errors));
    for cohort in prepared.cohorts.iter().filter(|c| c.name != ALL_COHORT) {
        let members: std::collections::HashSet<usize> = cohort.rows.iter().copied().collect();
        let flags: Vec<bool> = plan
            .rows
            .iter()
            .flat_map(|rows| rows.iter().map(|row| members.contains(row)))
            .collect();
        columns.push(Column::new(cohort_column(&cohort.name).into(), flags));
    }
    DataFrame::new(height, columns)
}

/// Writes the run's files into exactly `dir`.
pub fn write_run(dir: &Path, prepared: &Prepared, outcome: &Outcome) -> Result<(), EngineError> {
    write_staged(dir, RUN_MARKER, |staging| {
        write_run_files(staging, prepared, outcome)
    })
}

/// What marks a folder as a run folder Attest may replace: `results.json` with an
/// `attest_results` version.
pub const RUN_MARKER: (&str, &str) = (RESULTS_FILE, "attest_results");

/// Writes `results.json`, `spec.yaml` and `predictions.parquet` into `dir` (a staging folder:
/// see [`write_staged`]).
pub fn write_run_files(
    dir: &Path,
    prepared: &Prepared,
    outcome: &Outcome,
) -> Result<(), EngineError> {
    let results = dir.join(RESULTS_FILE);
    let json = serde_json::to_string_pretty(&outcome.results)
        .map_err(|e| EngineError::Spec(format!("cannot serialise the results: {e}")))?;
    std::fs::write(&results, json + "\n").map_err(io(&results))?;
    let spec = dir.join(SPEC_FILE);
    std::fs::write(&spec, prepared.source.text.as_bytes()).map_err(io(&spec))?;
    let mut frame = predictions_frame(prepared, outcome)
        .map_err(|e| EngineError::Spec(format!("cannot build the predictions table: {e}")))?;
    write_parquet(&dir.join(PREDICTIONS_FILE), &mut frame)?;
    if let Some(embeddings) = &outcome.embeddings {
        let mut frame = embeddings_frame(&prepared.spec.data.id, embeddings)
            .map_err(|e| EngineError::Spec(format!("cannot build the embeddings table: {e}")))?;
        write_parquet(&dir.join(crate::explore::EMBEDDINGS_FILE), &mut frame)?;
    }
    Ok(())
}

/// The embeddings as a table: the case id, then one `f32` column per dimension (`e0`, `e1`,
/// …), one row per case.
pub fn embeddings_frame(
    id_column: &str,
    embeddings: &crate::explore::CaseEmbeddings,
) -> PolarsResult<DataFrame> {
    let dims = embeddings.values.first().map_or(0, Vec::len);
    let mut columns = vec![Column::new(id_column.into(), embeddings.ids.clone())];
    for d in 0..dims {
        let values: Vec<Option<f32>> = embeddings
            .values
            .iter()
            .map(|v| v.get(d).copied())
            .collect();
        columns.push(Column::new(format!("e{d}").into(), values));
    }
    DataFrame::new(embeddings.ids.len(), columns)
}

/// Writes `frame` to `path` as Parquet.
pub(crate) fn write_parquet(path: &Path, frame: &mut DataFrame) -> Result<(), EngineError> {
    let file = std::fs::File::create(path).map_err(io(path))?;
    ParquetWriter::new(file)
        .finish(frame)
        .map_err(|e| EngineError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
    Ok(())
}

/// Makes `dir` hold exactly what `fill` writes, all at once: `fill` writes into a temporary
/// sibling folder that is renamed into place when it succeeded. `dir` is replaced only when
/// [`replaceable`] by `marker`; on any error nothing is left behind, and staging folders that
/// an earlier, killed run left for `dir` are deleted ([`crate::staging`]).
pub fn write_staged<E: From<EngineError>>(
    dir: &Path,
    marker: (&str, &str),
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    ensure_replaceable(dir, marker).map_err(E::from)?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = dir
        .file_name()
        .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    // What a killed run left behind for this folder goes first (never a live run's).
    crate::staging::remove_stale(&parent, &name);
    let staging = crate::staging::Staging::create(&parent, &name).map_err(io(&parent))?;
    fill(staging.path())?;
    // Replace an earlier one: move it aside, move the new one in, then delete the old one.
    // `staging` stays claimed until the end; once renamed, dropping it removes only its lock.
    let staged = staging.path().to_path_buf();
    let old = if dir.exists() {
        let aside = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(dir, &aside).map_err(io(dir))?;
        Some(aside)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(&staged, dir) {
        if let Some(aside) = &old {
            let _ = std::fs::rename(aside, dir);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(E::from(io(dir)(e)));
    }
    if let Some(aside) = old {
        let _ = std::fs::remove_dir_all(aside);
    }
    Ok(())
}
