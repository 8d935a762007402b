//! The spec's `explore:` block, run with the tests: weak-segment discovery
//! ([`attest_explore::discover`]) over the case metadata of one cohort, on the model's
//! unperturbed scores. Its findings go into the results as exploratory — outside every
//! verdict — and `attest explore RUN_DIR` runs the same search on a finished bundle.

use std::collections::BTreeMap;

use attest_data::table::Table;
use attest_explore::{discover, Column, Options};
use attest_spec::results::{EmbeddingsRecord, ExplorationResult, SegmentResult, SkippedColumn};
use attest_spec::types::{Explore, Spec, ALL_COHORT};

use crate::evaluate::Evaluator;
use crate::plan::test_cohorts;

/// Rows listed when the block does not say `top`.
pub const DEFAULT_TOP: usize = 10;

/// How each segment is compared with the rest, in words (for the results and the report).
pub const METHOD: &str = "AUC of the segment against the AUC of the rest of the cohort: \
     difference of two independent AUCs with DeLong variances, one-sided; DeLong interval \
     per segment; Benjamini–Hochberg adjustment over every segment tried";

/// The cohort explored: the block's, else the cohort the spec's tests name most often
/// (usually the locked test set; ties go to the name first in alphabetical order), else `all`.
pub fn explored_cohort(spec: &Spec, explore: &Explore) -> String {
    if let Some(name) = &explore.cohort {
        return name.clone();
    }
    most_tested_cohort(spec)
}

/// The cohort the spec's tests name most often; `all` when no test names one.
pub fn most_tested_cohort(spec: &Spec) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for test in &spec.tests {
        for c in test_cohorts(test) {
            *counts.entry(c).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(name, n)| (*n, std::cmp::Reverse(name.clone())))
        .map_or_else(|| ALL_COHORT.to_string(), |(name, _)| name)
}

/// The metadata of some cases, column by column: text columns and numeric ones.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    /// Text columns, by name, one value per case.
    pub text: Vec<(String, Vec<Option<String>>)>,
    /// Numeric columns, by name, one value per case.
    pub numbers: Vec<(String, Vec<Option<f64>>)>,
}

impl Metadata {
    /// The metadata columns of `table` for `rows`: every column except the spec's id, image,
    /// label and cluster columns, or only `wanted` (each of which must be there).
    pub fn read(
        table: &Table,
        rows: &[usize],
        spec: &Spec,
        wanted: Option<&[String]>,
    ) -> Result<Metadata, String> {
        let data = &spec.data;
        let mut excluded = vec![data.id.clone(), data.label.column.clone()];
        excluded.extend(data.image.clone());
        excluded.extend(data.cluster.clone());
        let mut out = Metadata::default();
        for name in table.column_names() {
            if excluded.contains(&name) || wanted.is_some_and(|w| !w.contains(&name)) {
                continue;
            }
            if table.is_numeric(&name).unwrap_or(false) {
                if let Ok(values) = table.optional_f64_column(&name) {
                    out.numbers
                        .push((name, rows.iter().map(|&r| values[r]).collect()));
                }
            } else if let Ok(values) = table.optional_text_column(&name) {
                out.text
                    .push((name, rows.iter().map(|&r| values[r].clone()).collect()));
            }
        }
        if let Some(missing) = wanted
            .into_iter()
            .flatten()
            .find(|w| !out.names().contains(&w.as_str()))
        {
            return Err(format!("the case table has no usable column `{missing}`"));
        }
        Ok(out)
    }

    /// Every column's name.
    pub fn names(&self) -> Vec<&str> {
        let text = self.text.iter().map(|(n, _)| n.as_str());
        text.chain(self.numbers.iter().map(|(n, _)| n.as_str()))
            .collect()
    }

    /// The columns as the search takes them, by name.
    pub fn columns(&self) -> Vec<(String, Column<'_>)> {
        let mut columns: Vec<(String, Column<'_>)> = Vec::new();
        for (name, values) in &self.text {
            columns.push((name.clone(), Column::Text(values)));
        }
        for (name, values) in &self.numbers {
            columns.push((name.clone(), Column::Number(values)));
        }
        columns.sort_by(|a, b| a.0.cmp(&b.0));
        columns
    }
}

/// The block's search options.
pub fn options(explore: &Explore) -> Options {
    let defaults = Options::default();
    Options {
        min_cases: explore.min_cases.map_or(defaults.min_cases, |n| n as usize),
        fdr: explore.fdr.unwrap_or(defaults.fdr),
        pairs: explore.pairs.unwrap_or(defaults.pairs),
        ..defaults
    }
}

/// Runs the block on the run's unperturbed predictions. A search that cannot run (too few
/// cases of a class, a column that is not there) is recorded with its reason in `error`:
/// exploration never stops a run or changes a verdict.
pub fn explore(evaluator: &Evaluator<'_>, explore: &Explore) -> ExplorationResult {
    let spec = evaluator.spec;
    let cohort = explored_cohort(spec, explore);
    let options = options(explore);
    let mut result = ExplorationResult {
        cohort: cohort.clone(),
        class: explore.class.clone(),
        n: 0,
        overall_auc: None,
        tried: 0,
        too_small: 0,
        min_cases: options.min_cases as u64,
        min_per_class: options.min_per_class as u64,
        pairs: options.pairs,
        level: options.level,
        fdr: options.fdr,
        method: METHOD.to_string(),
        columns: Vec::new(),
        skipped_columns: Vec::new(),
        flagged: 0,
        segments: Vec::new(),
        error: None,
        embeddings: None,
    };
    if let Err(e) = search(evaluator, explore, &cohort, &options, &mut result) {
        result.error = Some(e);
    }
    result
}

/// The search itself, filling `result`.
fn search(
    evaluator: &Evaluator<'_>,
    explore: &Explore,
    cohort: &str,
    options: &Options,
    result: &mut ExplorationResult,
) -> Result<(), String> {
    let focused = evaluator.for_class(explore.class.as_deref())?;
    let rows = &focused.cohort(cohort).map_err(|e| e.to_string())?.rows;
    // Variant 0 is the unperturbed images (`plan::plan` puts it first).
    let data = focused.binary(rows, 0);
    let metadata = Metadata::read(
        &evaluator.cases.table,
        &data.rows,
        evaluator.spec,
        explore.columns.as_deref(),
    )?;
    let columns = metadata.columns();
    let found = discover(&data.labels, &data.scores, &columns, options)?;
    result.n = found.n as u64;
    result.overall_auc = Some(found.overall_auc);
    result.tried = found.tried as u64;
    result.too_small = found.too_small as u64;
    result.columns = columns.iter().map(|(n, _)| n.clone()).collect();
    result.skipped_columns = found
        .skipped_columns
        .iter()
        .map(|(column, reason)| SkippedColumn {
            column: column.clone(),
            reason: reason.clone(),
        })
        .collect();
    result.flagged = found.segments.iter().filter(|s| s.flagged).count() as u64;
    let top = explore.top.map_or(DEFAULT_TOP, |t| t as usize);
    result.segments = found
        .segments
        .iter()
        .take(top)
        .map(|s| SegmentResult {
            segment: s.description.clone(),
            n: s.n as u64,
            positives: s.positives as u64,
            negatives: s.negatives as u64,
            auc: s.auc,
            ci_lower: s.interval.0,
            ci_upper: s.interval.1,
            rest_auc: s.rest_auc,
            p_value: s.p_value,
            adjusted_p: s.adjusted_p,
            flagged: s.flagged,
            within: s.within.clone(),
        })
        .collect();
    Ok(())
}

/// The bundle's file of embeddings.
pub const EMBEDDINGS_FILE: &str = "embeddings.parquet";

/// The explored cases' embeddings: case ids and one vector each, from `layer`.
#[derive(Debug, Clone, Default)]
pub struct CaseEmbeddings {
    /// The ONNX node they were taken from.
    pub layer: String,
    /// Case ids.
    pub ids: Vec<String>,
    /// One embedding per id, all of one length.
    pub values: Vec<Vec<f32>>,
}

/// Embeds every case of the explored cohort that has an image, with the model cut at the
/// block's `layer` (default: the penultimate layer). A case whose image cannot be read is
/// left out and counted; a model that cannot be cut is the error.
pub fn embed_cohort(
    prepared: &crate::run::Prepared,
    explore: &Explore,
    threads: usize,
) -> Result<(CaseEmbeddings, EmbeddingsRecord), String> {
    use rayon::prelude::*;
    let spec = &prepared.spec;
    let paths = prepared
        .cases
        .images
        .as_ref()
        .ok_or("the model scores a table, not images")?;
    let cohort = crate::plan::cohort(&prepared.cohorts, &explored_cohort(spec, explore))
        .map_err(|e| e.to_string())?;
    let embedder = attest_model::embed::Embedder::load(
        &spec.model,
        &prepared.base_dir,
        explore.layer.as_deref(),
        threads,
    )
    .map_err(|e| e.to_string())?;
    let read = attest_data::limits::image_options(&spec.data);
    let embedded: Vec<(usize, Result<Vec<f32>, String>)> = cohort
        .rows
        .par_iter()
        .map(|&row| {
            let one = attest_data::images::read_image(&paths[row], &read)
                .map_err(|e| e.to_string())
                .and_then(|d| embedder.embed(&[&d.image]).map_err(|e| e.to_string()))
                .and_then(|mut v| v.pop().ok_or_else(|| "no embedding".to_string()));
            (row, one)
        })
        .collect();
    let mut out = CaseEmbeddings {
        layer: embedder.layer().name.clone(),
        ..CaseEmbeddings::default()
    };
    let (mut failed, mut first) = (0usize, None);
    for (row, one) in embedded {
        match one {
            Ok(values) => {
                out.ids.push(prepared.cases.ids[row].clone());
                out.values.push(values);
            }
            Err(e) => {
                failed += 1;
                first.get_or_insert(format!("{}: {e}", prepared.cases.ids[row]));
            }
        }
    }
    let record = EmbeddingsRecord {
        file: EMBEDDINGS_FILE.to_string(),
        layer: out.layer.clone(),
        dimensions: embedder.dim() as u64,
        cases: out.ids.len() as u64,
        failed: first.map(|f| format!("{failed} case(s), e.g. {f}")),
    };
    Ok((out, record))
}
