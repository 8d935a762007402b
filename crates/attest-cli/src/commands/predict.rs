//! `attest predict`: the spec's model over the spec's cases, one CSV row per case.

use std::fmt::Write as _;
use std::time::Instant;

use attest_data::images::read_image;
use attest_model::{LoadOptions, Outputs};
use attest_perturb::Image;
use attest_spec::types::{OnnxBackend, Task};
use rayon::prelude::*;

use crate::cli::{Backend, PredictArgs};
use attest_engine::Prepared;

use crate::commands::output_file::write_atomically;
use crate::commands::prepare::{prepare, threads};
use crate::commands::CommandError;
use crate::exit::ExitStatus;

/// Validates the spec and its data, loads the model, scores the cases, writes the CSV.
pub fn run(args: &PredictArgs) -> Result<ExitStatus, CommandError> {
    let prepared = match prepare(&args.spec)? {
        Ok(p) => p,
        Err(status) => return Ok(status),
    };
    let Prepared {
        spec,
        base_dir,
        cases,
        cohorts,
        ..
    } = prepared;
    let wanted = args.cohort.as_deref().unwrap_or("all");
    let cohort = cohorts.iter().find(|c| c.name == wanted).ok_or_else(|| {
        let names: Vec<&str> = cohorts.iter().map(|c| c.name.as_str()).collect();
        CommandError::Usage(format!(
            "no cohort `{wanted}`; the spec's cohorts are: {}",
            names.join(", ")
        ))
    })?;
    let threads = threads(args.threads);
    let options = LoadOptions {
        threads,
        backend: args.backend.map(|b| match b {
            Backend::Tract => OnnxBackend::Tract,
            Backend::Onnxruntime => OnnxBackend::Onnxruntime,
        }),
        models: None,
    };
    let model = attest_model::load(&spec.model, &base_dir, &spec.data.id, &options)
        .map_err(CommandError::Model)?;
    let rows = &cohort.rows;
    let started = Instant::now();
    let scores = match &cases.images {
        Some(paths) if !spec.model.is_scores_only() => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| CommandError::Usage(e.to_string()))?;
            let mut all = Outputs::new(0, 0, Vec::new()).map_err(CommandError::Model)?;
            // Bounded memory: decode, preprocess and score one batch of cases at a time.
            for chunk in rows.chunks(args.batch.max(1)) {
                let decoded: Result<Vec<Image>, CommandError> = pool.install(|| {
                    chunk
                        .par_iter()
                        .map(|&r| {
                            read_image(&paths[r], &attest_data::limits::image_options(&spec.data))
                                .map(|d| d.image)
                                .map_err(|e| CommandError::Data(format!("{e}")))
                        })
                        .collect()
                });
                let decoded = decoded?;
                let refs: Vec<&Image> = decoded.iter().collect();
                all.extend(
                    model
                        .score_images(&refs, args.batch)
                        .map_err(CommandError::Model)?,
                )
                .map_err(CommandError::Model)?;
            }
            all
        }
        _ => {
            let ids: Vec<&str> = rows.iter().map(|&r| cases.ids[r].as_str()).collect();
            model.score_ids(&ids).map_err(CommandError::Model)?
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let columns: Vec<String> = match spec.model.output.task {
        Task::Binary => vec!["score".into()],
        _ => spec.model.output.classes.clone().unwrap_or_default(),
    };
    let mut csv = String::new();
    let _ = writeln!(csv, "{},{}", spec.data.id, columns.join(","));
    for (i, &r) in rows.iter().enumerate() {
        let values: Vec<String> = scores.row(i).iter().map(|v| format!("{v:.9}")).collect();
        let _ = writeln!(csv, "{},{}", quote(&cases.ids[r]), values.join(","));
    }
    write_atomically(&args.output, csv.as_bytes())?;
    let backend = model
        .info()
        .map_or_else(|| "precomputed scores table".to_string(), |i| i.backend);
    eprintln!(
        "✓ {} cases of cohort `{wanted}` scored by {backend} in {seconds:.2} s ({:.1} cases/s, {threads} thread{}) → {}",
        rows.len(),
        rows.len() as f64 / seconds.max(1e-9),
        if threads == 1 { "" } else { "s" },
        args.output.display()
    );
    Ok(ExitStatus::Success)
}

/// A CSV field, quoted when it needs to be.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}
