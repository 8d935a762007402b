//! `attest explore RUN_DIR`: where does the model do worst? Weak-segment discovery
//! (`attest_explore::discover`) over the run's case metadata, on the unperturbed predictions
//! the bundle holds. Exploratory by design: it prints (or writes with `-o`) a ranked table,
//! never touches the bundle, and never changes a verdict.

use std::fmt::Write as _;

use attest_engine::explore::Metadata;
use attest_explore::{discover, Exploration, Options};

use crate::cli::ExploreArgs;
use crate::commands::output_file::write_atomically;
use crate::commands::run_dir::{original_scores, OpenedRun};
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
    if let Some(folder) = &args.gallery {
        if let Err(message) = write_galleries(args, folder) {
            eprintln!("error: {message}");
            return Ok(ExitStatus::Invalid);
        }
    }
    Ok(ExitStatus::Success)
}

/// Writes the bundle's galleries as PNG sheets into `folder` (made if missing) and says
/// which files it wrote.
fn write_galleries(args: &ExploreArgs, folder: &std::path::Path) -> Result<(), String> {
    use attest_evidence::report::curves::{Curves, CURVES_FILE};
    let path = args.dir.join(CURVES_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let curves: Curves = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a curves record: {e}", path.display()))?;
    let sheets = attest_evidence::report::gallery::sheets(&curves);
    if sheets.is_empty() {
        eprintln!("no gallery: the run has no image cases in a performance test with an operating point, a robustness or an invariance test");
        return Ok(());
    }
    std::fs::create_dir_all(folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    for (name, png) in sheets {
        let file = folder.join(&name);
        write_atomically(&file, &png).map_err(|e| e.to_string())?;
        eprintln!("wrote {}", file.display());
    }
    Ok(())
}

/// Reads the bundle's frozen spec and predictions and the case table they came from.
fn load(args: &ExploreArgs) -> Result<Explored, String> {
    let run = OpenedRun::open(&args.dir, args.data.as_deref())?;
    let cohort = run.cohort(args.cohort.as_deref())?;
    let score_of = original_scores(&args.dir, &run.spec)?;
    let cases = &run.cases;
    let rows: Vec<usize> = cohort
        .rows
        .iter()
        .copied()
        .filter(|&r| cases.labels.binary(r).is_some() && score_of.contains_key(&cases.ids[r]))
        .collect();
    let metadata = Metadata::read(&cases.table, &rows, &run.spec, args.columns.as_deref())?;
    Ok(Explored {
        labels: rows
            .iter()
            .filter_map(|&r| cases.labels.binary(r))
            .collect(),
        scores: rows.iter().map(|&r| score_of[&cases.ids[r]]).collect(),
        metadata,
        cohort: cohort.name.clone(),
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
