//! `attest similar RUN_DIR CASE_ID`: the cases most like one case, as the model sees them —
//! cosine similarity of its penultimate-layer features (`attest_model::embed`) — among the
//! run's cohort or in a pool of unlabelled images. The "find more cases like this failure"
//! step of improving a model; it reads the run and writes nothing into it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use attest_data::table::Table;
use attest_model::embed::{nearest, Embedder};
use serde::Serialize;

use crate::cli::SimilarArgs;
use crate::commands::run_dir::{original_scores, OpenedRun};
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// One image searched: its id, file, and (for the run's own cases) label and score.
#[derive(Debug, Clone, Serialize)]
struct Candidate {
    id: String,
    image: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    /// One of the run's own cases (whose embedding the bundle may store), not a pool image.
    #[serde(skip)]
    own: bool,
}

/// A neighbour found.
#[derive(Debug, Serialize)]
struct Neighbour {
    rank: usize,
    cosine: f64,
    #[serde(flatten)]
    case: Candidate,
}

/// What the search did and found (the JSON form).
#[derive(Debug, Serialize)]
struct Found {
    query: Candidate,
    layer: String,
    dimensions: usize,
    searched: String,
    candidates: usize,
    /// Embeddings read from the bundle's `embeddings.parquet` rather than computed.
    stored: usize,
    /// Images left out because they could not be read or embedded, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unreadable: Vec<String>,
    method: &'static str,
    neighbours: Vec<Neighbour>,
}

/// Finds the neighbours; exit 0, or 2 when the folder, case, pool or layer is not usable.
pub fn run(args: &SimilarArgs) -> Result<ExitStatus, CommandError> {
    match search(args) {
        Ok(found) => {
            let text = if args.json {
                serde_json::to_string_pretty(&found)
                    .map_err(|e| CommandError::Data(format!("cannot write JSON: {e}")))?
                    + "\n"
            } else {
                table(&found)
            };
            render::emit(&text);
            Ok(ExitStatus::Success)
        }
        Err(message) => {
            eprintln!("error: {message}");
            Ok(ExitStatus::Invalid)
        }
    }
}

fn search(args: &SimilarArgs) -> Result<Found, String> {
    let run = OpenedRun::open(&args.dir, args.data.as_deref())?;
    let cases = &run.cases;
    let images = cases
        .images
        .as_ref()
        .ok_or("the run's model scores a table, not images: there is nothing to embed")?;
    let score_of = original_scores(&args.dir, &run.spec).unwrap_or_default();
    let labels = cases
        .table
        .optional_text_column(&run.spec.data.label.column)
        .map_err(|e| e.to_string())?;
    let own = |row: usize| Candidate {
        id: cases.ids[row].clone(),
        image: images[row].clone(),
        label: labels[row].clone(),
        score: score_of.get(&cases.ids[row]).copied(),
        own: true,
    };
    let query_row = cases
        .ids
        .iter()
        .position(|id| id == &args.case)
        .ok_or_else(|| {
            let help = attest_spec::did_you_mean(&args.case, cases.ids.iter().map(String::as_str))
                .map(|m| format!("\n  help: did you mean `{m}`?"))
                .unwrap_or_default();
            format!("no case `{}` in the run's case table{help}", args.case)
        })?;
    let query = own(query_row);
    let (searched, candidates) = match &args.pool {
        Some(pool) => (
            format!("pool {}", pool.display()),
            pool_candidates(pool, args.pool_image_column.as_deref(), &run)?,
        ),
        None => {
            let cohort = run.cohort(args.cohort.as_deref())?;
            let rows = cohort.rows.iter().copied().filter(|&r| r != query_row);
            (
                format!("cohort `{}`", cohort.name),
                rows.map(own).collect::<Vec<_>>(),
            )
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let embedder = Embedder::load(
        &run.spec.model,
        &run.data_dir,
        args.layer.as_deref(),
        threads,
    )
    .map_err(|e| e.to_string())?;
    let read_options = attest_data::limits::image_options(&run.spec.data);
    let embed = |c: &Candidate| -> Result<Vec<f32>, String> {
        let decoded = attest_data::images::read_image(&c.image, &read_options)
            .map_err(|e| format!("case `{}`: {e}", c.id))?;
        let mut out = embedder
            .embed(&[&decoded.image])
            .map_err(|e| format!("case `{}`: {e}", c.id))?;
        out.pop()
            .ok_or_else(|| format!("case `{}`: no embedding", c.id))
    };
    let stored = if args.no_stored {
        HashMap::new()
    } else {
        stored_embeddings(&args.dir, &run, &embedder.layer().name)
    };
    let lookup = |c: &Candidate| -> Result<Vec<f32>, String> {
        match stored.get(&c.id).filter(|_| c.own) {
            Some(values) => Ok(values.clone()),
            None => embed(c),
        }
    };
    let query_embedding = lookup(&query)?;
    // An image that cannot be read or embedded is left out of the search and named, rather
    // than ending a search over thousands of pool images.
    let (candidates, embeddings, unreadable) = {
        use rayon::prelude::*;
        let results: Vec<Result<Vec<f32>, String>> = candidates.par_iter().map(lookup).collect();
        let mut kept = (Vec::new(), Vec::new(), Vec::new());
        for (candidate, result) in candidates.into_iter().zip(results) {
            match result {
                Ok(values) => {
                    kept.0.push(candidate);
                    kept.1.push(values);
                }
                Err(e) => kept.2.push(e),
            }
        }
        kept
    };
    let from_bundle = std::iter::once(&query)
        .chain(&candidates)
        .filter(|c| c.own && stored.contains_key(&c.id))
        .count();
    let neighbours = nearest(&query_embedding, &embeddings, args.k)
        .into_iter()
        .enumerate()
        .map(|(i, (index, cosine))| Neighbour {
            rank: i + 1,
            cosine,
            case: candidates[index].clone(),
        })
        .collect();
    let layer = embedder.layer();
    Ok(Found {
        query,
        layer: layer.name.clone(),
        dimensions: embedder.dim(),
        searched,
        candidates: candidates.len(),
        stored: from_bundle,
        unreadable,
        method: "cosine similarity of the layer's activations (averaged over spatial axes), exact search over every candidate",
        neighbours,
    })
}

/// The embeddings the bundle stores, by case id, when they come from `layer` (empty
/// otherwise: then every embedding is computed).
fn stored_embeddings(dir: &Path, run: &OpenedRun, layer: &str) -> HashMap<String, Vec<f32>> {
    let recorded = attest_evidence::bundle::read_results(dir)
        .ok()
        .and_then(|r| r.exploration)
        .and_then(|e| e.embeddings);
    let Some(record) = recorded.filter(|r| r.layer == layer) else {
        return HashMap::new();
    };
    let Ok(table) = Table::read(&dir.join(&record.file)) else {
        return HashMap::new();
    };
    let Ok(ids) = table.string_column(&run.spec.data.id) else {
        return HashMap::new();
    };
    let columns: Option<Vec<Vec<Option<f64>>>> = (0..record.dimensions)
        .map(|d| table.optional_f64_column(&format!("e{d}")).ok())
        .collect();
    let Some(columns) = columns else {
        return HashMap::new();
    };
    ids.into_iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let values: Option<Vec<f32>> = columns.iter().map(|c| c[i].map(|v| v as f32)).collect();
            Some((id, values?))
        })
        .collect()
}

/// The images of a pool table, by the given image column or the first of the spec's image
/// column, `image`, `file`, `path` that it has; paths relative to the table's folder.
fn pool_candidates(
    pool: &Path,
    column: Option<&str>,
    run: &OpenedRun,
) -> Result<Vec<Candidate>, String> {
    let table = Table::read(pool).map_err(|e| e.to_string())?;
    let names = table.column_names();
    let wanted: Vec<String> = match column {
        Some(c) => vec![c.to_string()],
        None => run
            .spec
            .data
            .image
            .iter()
            .cloned()
            .chain(["image", "file", "path"].map(String::from))
            .collect(),
    };
    let column = wanted
        .iter()
        .find(|w| names.contains(w))
        .ok_or_else(|| {
            format!(
                "the pool table {} has no image column (looked for {}); name it with --pool-image-column",
                pool.display(),
                wanted.join(", ")
            )
        })?;
    let files = table
        .optional_text_column(column)
        .map_err(|e| e.to_string())?;
    let ids = table
        .optional_text_column(&run.spec.data.id)
        .unwrap_or_else(|_| vec![None; files.len()]);
    let base = pool.parent().unwrap_or(Path::new("."));
    Ok(files
        .into_iter()
        .zip(ids)
        .filter_map(|(file, id)| {
            let file = file?;
            Some(Candidate {
                id: id.unwrap_or_else(|| file.clone()),
                image: base.join(&file),
                label: None,
                score: None,
                own: false,
            })
        })
        .collect())
}

/// The neighbours for people.
fn table(found: &Found) -> String {
    let mut out = String::new();
    let q = &found.query;
    let _ = writeln!(
        out,
        "Cases most like `{}`{}{} among {} images of the {}, by the cosine similarity of layer `{}` ({} values; exact search).",
        q.id,
        q.label
            .as_ref()
            .map(|l| format!(" (label {l}"))
            .unwrap_or_default(),
        match (&q.label, q.score) {
            (Some(_), Some(s)) => format!(", score {s:.3})"),
            (Some(_), None) => ")".into(),
            _ => String::new(),
        },
        found.candidates,
        found.searched,
        found.layer,
        found.dimensions,
    );
    let _ = writeln!(
        out,
        "\n{:<4} {:>7}  {:<24} {:<12} {:>7}  image",
        "#", "cosine", "case", "label", "score"
    );
    for n in &found.neighbours {
        let _ = writeln!(
            out,
            "{:<4} {:>7.4}  {:<24} {:<12} {:>7}  {}",
            n.rank,
            n.cosine,
            n.case.id,
            n.case.label.as_deref().unwrap_or("—"),
            n.case
                .score
                .map_or_else(|| "—".to_string(), |s| format!("{s:.3}")),
            n.case.image.display()
        );
    }
    for reason in found.unreadable.iter().take(3) {
        let _ = writeln!(out, "left out: {reason}");
    }
    if found.unreadable.len() > 3 {
        let _ = writeln!(out, "left out: {} more", found.unreadable.len() - 3);
    }
    out
}
