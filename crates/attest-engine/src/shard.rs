//! Sharding a run over many machines: `attest run --shard I/N` scores only the I-th of N
//! deterministic slices of the planned cases and writes a shard folder (`shard.json`,
//! `shard.parquet`, the frozen spec); `attest merge` reads the N shards of one spec, checks
//! that they fit together — same spec, data, model and variants, every slice exactly once,
//! every image unchanged — and evaluates them into the results a single run gives.
//!
//! Slices are contiguous blocks of the planned rows (ascending case-table order), so every
//! shard knows its cases from the spec and data alone, with no coordination.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use attest_spec::results::{Environment, ModelIdentity, ShardProvenance};
use indexmap::IndexMap;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::execute::{CaseFailure, Predictions};
use crate::output::{io, write_parquet, write_staged, SPEC_FILE};
use crate::plan::{plan, Plan};
use crate::run::{
    environment, evaluate_scored, hash_images, now_utc, reference_plans, score_plans, Outcome,
    Prepared, RunOptions, Scored, Stamp,
};

/// The shard's description.
pub const SHARD_FILE: &str = "shard.json";
/// The shard's predictions.
pub const SHARD_PREDICTIONS_FILE: &str = "shard.parquet";
/// The version of the shard format.
const SHARD_FORMAT: u32 = 1;

/// Which slice: the `index`-th (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShardId {
    /// From 1 to `count`.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl FromStr for ShardId {
    type Err = String;

    /// Parses `I/N` with 1 ≤ I ≤ N.
    fn from_str(text: &str) -> Result<ShardId, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not I/N (e.g. 2/8)"))?;
        let parse = |s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{text}` is not I/N: `{s}` is not a whole number"))
        };
        let (index, count) = (parse(i)?, parse(n)?);
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "`{text}`: I must be between 1 and N, and N at least 1"
            ));
        }
        Ok(ShardId { index, count })
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The rows any model needs: the plan's and every reference plan's, ascending.
pub fn planned_rows(plan: &Plan, references: &IndexMap<String, Plan>) -> Vec<usize> {
    let mut rows = plan.all_rows();
    for p in references.values() {
        rows.extend(p.all_rows());
    }
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// The rows of `shard`: the `index`-th of `count` contiguous, near-equal blocks of `rows`.
pub fn shard_rows(rows: &[usize], shard: ShardId) -> &[usize] {
    let n = rows.len();
    let start = n * (shard.index - 1) / shard.count;
    let end = n * shard.index / shard.count;
    &rows[start..end]
}

/// A reference model's part of a shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardReference {
    /// Which model.
    pub model: ModelIdentity,
    /// Outputs per image.
    pub outputs: usize,
}

/// `shard.json`: what a shard is a slice of, and how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardManifest {
    /// The format version (1).
    pub attest_shard: u32,
    /// `I/N`.
    pub shard: String,
    /// The Attest version that computed it.
    pub tool_version: String,
    /// The spec's name.
    pub spec_name: String,
    /// SHA-256 of the spec file (hex).
    pub spec_sha256: String,
    /// SHA-256 of the case table (hex).
    pub table_sha256: String,
    /// The run seed.
    pub seed: u64,
    /// Cases in this slice.
    pub cases: usize,
    /// The model scored.
    pub model: ModelIdentity,
    /// Its outputs per image.
    pub outputs: usize,
    /// Reference models, by name.
    pub references: BTreeMap<String, ShardReference>,
    /// The plan's variants (their cache keys), in plan order.
    pub variants: Vec<String>,
    /// Forward passes computed.
    pub computed: u64,
    /// Forward passes found in the cache.
    pub cached: u64,
    /// Cache entries found corrupted and recomputed.
    pub corrupt_cache_entries: u64,
    /// Cache writes that failed.
    pub cache_write_errors: Vec<String>,
    /// When it started, UTC.
    pub started_at: String,
    /// When it finished, UTC.
    pub finished_at: String,
    /// Where it ran.
    pub environment: Environment,
}

/// A computed shard, ready to write.
#[derive(Debug)]
pub struct ShardOutcome {
    /// Which slice.
    pub shard: ShardId,
    /// The description.
    pub manifest: ShardManifest,
    /// The rows of the slice.
    pub rows: Vec<usize>,
    /// The scores.
    pub scored: Scored,
    /// The (shard-restricted) plans: the model's, then each reference's.
    pub plans: (Plan, IndexMap<String, Plan>),
    /// SHA-256 of each row's image (only the slice's rows are hashed).
    pub image_sha256: Vec<Option<String>>,
}

/// Scores the `shard`-th slice of `prepared`'s plan.
pub fn run_shard(
    prepared: &Prepared,
    shard: ShardId,
    options: &RunOptions<'_>,
) -> Result<ShardOutcome, EngineError> {
    let started_at = now_utc();
    let full = plan(&prepared.spec, &prepared.cohorts)?;
    let references = reference_plans(prepared)?;
    let all = planned_rows(&full, &references);
    let rows = shard_rows(&all, shard).to_vec();
    let plan = full.restricted_to(&rows);
    let references: IndexMap<String, Plan> = references
        .into_iter()
        .map(|(name, p)| (name, p.restricted_to(&rows)))
        .collect();
    let image_sha256 = hash_images(&prepared.cases, &rows);
    let scored = score_plans(prepared, &plan, &references, &image_sha256, options)?;
    let manifest = ShardManifest {
        attest_shard: SHARD_FORMAT,
        shard: shard.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        spec_name: prepared.spec.name.clone(),
        spec_sha256: attest_data::hash::sha256_bytes(prepared.source.text.as_bytes()),
        table_sha256: table_sha256(prepared)?,
        seed: prepared.spec.seed,
        cases: rows.len(),
        model: scored.model.clone(),
        outputs: scored.predictions.k,
        references: scored
            .references
            .iter()
            .map(|(name, (model, p))| {
                (
                    name.clone(),
                    ShardReference {
                        model: model.clone(),
                        outputs: p.k,
                    },
                )
            })
            .collect(),
        variants: plan.variants.iter().map(|v| v.key()).collect(),
        computed: scored.predictions.computed,
        cached: scored.predictions.cached,
        corrupt_cache_entries: scored.predictions.corrupt_cache_entries,
        cache_write_errors: scored.predictions.cache_write_errors.clone(),
        started_at,
        finished_at: now_utc(),
        environment: environment(options.threads),
    };
    Ok(ShardOutcome {
        shard,
        manifest,
        rows,
        scored,
        plans: (plan, references),
        image_sha256,
    })
}

fn table_sha256(prepared: &Prepared) -> Result<String, EngineError> {
    attest_data::hash::sha256_file(prepared.cases.table.path())
        .map_err(|e| EngineError::Spec(e.to_string()))
}

/// Name of the main model in the `model` column of `shard.parquet` (reference models go by
/// their spec names, which cannot be empty).
const MAIN_MODEL: &str = "";

/// Writes a shard folder into exactly `dir` (atomically, like a run folder).
pub fn write_shard(
    dir: &Path,
    prepared: &Prepared,
    outcome: &ShardOutcome,
) -> Result<(), EngineError> {
    write_staged(dir, (SHARD_FILE, "attest_shard"), |staging| {
        let manifest = staging.join(SHARD_FILE);
        let json = serde_json::to_string_pretty(&outcome.manifest)
            .map_err(|e| EngineError::Spec(format!("cannot serialise the shard: {e}")))?;
        std::fs::write(&manifest, json + "\n").map_err(io(&manifest))?;
        let spec = staging.join(SPEC_FILE);
        std::fs::write(&spec, prepared.source.text.as_bytes()).map_err(io(&spec))?;
        let mut frame = shard_frame(prepared, outcome)
            .map_err(|e| EngineError::Spec(format!("cannot build the shard table: {e}")))?;
        write_parquet(&staging.join(SHARD_PREDICTIONS_FILE), &mut frame)
    })
}

/// One row per scored (model, variant, case): the row, the image's hash, every output
/// (`output_0`…) and the error when the pair could not be scored.
fn shard_frame(prepared: &Prepared, outcome: &ShardOutcome) -> PolarsResult<DataFrame> {
    let (plan, reference_plans) = &outcome.plans;
    let mut models: Vec<(&str, &Plan, &Predictions)> =
        vec![(MAIN_MODEL, plan, &outcome.scored.predictions)];
    for (name, (_, p)) in &outcome.scored.references {
        if let Some(reference_plan) = reference_plans.get(name) {
            models.push((name.as_str(), reference_plan, p));
        }
    }
    let width = models.iter().map(|(_, _, p)| p.k).max().unwrap_or(0).max(1);
    let (mut model_col, mut variant_col, mut row_col, mut case_col, mut hash_col, mut error_col) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut outputs: Vec<Vec<Option<f32>>> = vec![Vec::new(); width];
    for (name, plan, predictions) in models {
        let failures: std::collections::HashMap<(usize, usize), &str> = predictions
            .failures
            .iter()
            .map(|f| ((f.variant, f.row), f.reason.as_str()))
            .collect();
        for (v, rows) in plan.rows.iter().enumerate() {
            for &row in rows {
                model_col.push(name.to_string());
                variant_col.push(v as u32);
                row_col.push(row as u64);
                case_col.push(prepared.cases.ids[row].clone());
                hash_col.push(outcome.image_sha256.get(row).cloned().flatten());
                let values = predictions.outputs[v][row].as_ref();
                for (j, column) in outputs.iter_mut().enumerate() {
                    column.push(values.and_then(|o| o.get(j).copied()));
                }
                error_col.push(failures.get(&(v, row)).map(|s| s.to_string()));
            }
        }
    }
    let height = model_col.len();
    let mut columns = vec![
        Column::new("model".into(), model_col),
        Column::new("variant".into(), variant_col),
        Column::new("row".into(), row_col),
        Column::new("case".into(), case_col),
        Column::new("image_sha256".into(), hash_col),
    ];
    for (j, values) in outputs.into_iter().enumerate() {
        columns.push(Column::new(format!("output_{j}").into(), values));
    }
    columns.push(Column::new("error".into(), error_col));
    DataFrame::new(height, columns)
}

/// A shard folder read back.
#[derive(Debug)]
struct ShardFolder {
    dir: PathBuf,
    manifest: ShardManifest,
    id: ShardId,
    frame: DataFrame,
}

fn shard_error(dir: &Path, message: impl fmt::Display) -> EngineError {
    EngineError::Shards(format!("shard `{}`: {message}", dir.display()))
}

fn read_folder(dir: &Path) -> Result<ShardFolder, EngineError> {
    let path = dir.join(SHARD_FILE);
    let bytes = std::fs::read(&path).map_err(|e| {
        shard_error(
            dir,
            format!(
                "cannot read {SHARD_FILE} ({e}); is this a folder written by `attest run --shard`?"
            ),
        )
    })?;
    let manifest: ShardManifest = serde_json::from_slice(&bytes)
        .map_err(|e| shard_error(dir, format!("{SHARD_FILE} is not a shard description: {e}")))?;
    if manifest.attest_shard != SHARD_FORMAT {
        return Err(shard_error(
            dir,
            format!(
                "shard format {} (this Attest reads {SHARD_FORMAT})",
                manifest.attest_shard
            ),
        ));
    }
    let id: ShardId = manifest
        .shard
        .parse()
        .map_err(|e: String| shard_error(dir, e))?;
    let parquet = dir.join(SHARD_PREDICTIONS_FILE);
    let file = std::fs::File::open(&parquet)
        .map_err(|e| shard_error(dir, format!("cannot open {SHARD_PREDICTIONS_FILE}: {e}")))?;
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(|e| shard_error(dir, format!("cannot read {SHARD_PREDICTIONS_FILE}: {e}")))?;
    Ok(ShardFolder {
        dir: dir.to_path_buf(),
        manifest,
        id,
        frame,
    })
}

/// Reads the shards in `dirs` and checks they are exactly the N slices of one sharded run
/// of `prepared` (same spec, table, images, model, variants); returns what they scored.
fn read_shards(
    prepared: &Prepared,
    plan: &Plan,
    reference_plans: &IndexMap<String, Plan>,
    image_sha256: &[Option<String>],
    dirs: &[PathBuf],
) -> Result<(Scored, Vec<ShardProvenance>), EngineError> {
    let mut folders: Vec<ShardFolder> = dirs
        .iter()
        .map(|d| read_folder(d))
        .collect::<Result<_, _>>()?;
    folders.sort_by_key(|f| f.id);
    let first = folders
        .first()
        .ok_or_else(|| EngineError::Shards("no shard folders given".into()))?;
    let count = first.id.count;
    let spec_sha256 = attest_data::hash::sha256_bytes(prepared.source.text.as_bytes());
    let table = table_sha256(prepared)?;
    let variants: Vec<String> = plan.variants.iter().map(|v| v.key()).collect();
    let reference = first.manifest.clone();
    for f in &folders {
        let m = &f.manifest;
        let mismatch = |what: &str| {
            shard_error(
                &f.dir,
                format!("was made with another {what} than the spec being merged"),
            )
        };
        if m.spec_sha256 != spec_sha256 {
            return Err(mismatch("spec (its SHA-256 differs)"));
        }
        if m.table_sha256 != table {
            return Err(mismatch("case table (its SHA-256 differs)"));
        }
        if m.variants != variants {
            return Err(mismatch("plan (its variants differ)"));
        }
        if f.id.count != count {
            return Err(shard_error(
                &f.dir,
                format!(
                    "is {} but `{}` is {}: all shards must come from one split",
                    m.shard,
                    first.dir.display(),
                    first.manifest.shard
                ),
            ));
        }
        if m.model != reference.model || m.tool_version != reference.tool_version {
            return Err(shard_error(
                &f.dir,
                format!(
                    "ran model {:?} with Attest {}, but `{}` ran {:?} with Attest {}: all shards must run the same model with the same Attest",
                    m.model, m.tool_version, first.dir.display(), reference.model, reference.tool_version
                ),
            ));
        }
        let references: Vec<&ModelIdentity> = m.references.values().map(|r| &r.model).collect();
        let expected: Vec<&ModelIdentity> =
            reference.references.values().map(|r| &r.model).collect();
        if references != expected {
            return Err(shard_error(
                &f.dir,
                "ran other reference models than the first shard",
            ));
        }
    }
    for pair in folders.windows(2) {
        if pair[0].id == pair[1].id {
            return Err(shard_error(
                &pair[1].dir,
                format!(
                    "shard {} is given twice (also `{}`)",
                    pair[1].manifest.shard,
                    pair[0].dir.display()
                ),
            ));
        }
    }
    if folders.len() != count {
        let present: std::collections::BTreeSet<usize> =
            folders.iter().map(|f| f.id.index).collect();
        let missing: Vec<String> = (1..=count)
            .filter(|i| !present.contains(i))
            .map(|i| format!("{i}/{count}"))
            .collect();
        let (noun, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        return Err(EngineError::Shards(format!(
            "{noun} {} {verb} missing: merge needs all {count} shards of the split",
            missing.join(", ")
        )));
    }
    let cases = prepared.cases.len();
    let all = planned_rows(plan, reference_plans);
    let mut main = Predictions::empty(plan, cases, reference.outputs);
    let mut references: IndexMap<String, (ModelIdentity, Predictions)> = IndexMap::new();
    for (name, p) in reference_plans {
        let r = reference
            .references
            .get(name)
            .ok_or_else(|| shard_error(&first.dir, format!("has no reference model `{name}`")))?;
        references.insert(
            name.clone(),
            (r.model.clone(), Predictions::empty(p, cases, r.outputs)),
        );
    }
    let mut filled: std::collections::HashSet<(String, usize, usize)> = Default::default();
    let mut provenance = Vec::new();
    for f in &folders {
        let expected: std::collections::HashSet<usize> =
            shard_rows(&all, f.id).iter().copied().collect();
        fill_from_frame(
            f,
            prepared,
            image_sha256,
            &expected,
            &mut main,
            &mut references,
            &mut filled,
        )?;
        let m = &f.manifest;
        main.computed += m.computed;
        main.cached += m.cached;
        main.corrupt_cache_entries += m.corrupt_cache_entries;
        main.cache_write_errors
            .extend(m.cache_write_errors.iter().cloned());
        provenance.push(ShardProvenance {
            shard: m.shard.clone(),
            cases: m.cases as u64,
            started_at: m.started_at.clone(),
            finished_at: m.finished_at.clone(),
            computed: m.computed,
            cached: m.cached,
            environment: Some(m.environment.clone()),
        });
    }
    // Every planned pair must have come from exactly one shard.
    let check = |name: &str, plan: &Plan| -> Result<(), EngineError> {
        for (v, rows) in plan.rows.iter().enumerate() {
            for &row in rows {
                if !filled.contains(&(name.to_string(), v, row)) {
                    return Err(EngineError::Shards(format!(
                        "no shard holds case `{}` ({}{}): the shards are incomplete",
                        prepared.cases.ids[row],
                        plan.variants[v].label(),
                        if name.is_empty() {
                            String::new()
                        } else {
                            format!(", reference {name}")
                        }
                    )));
                }
            }
        }
        Ok(())
    };
    check(MAIN_MODEL, plan)?;
    for (name, p) in reference_plans {
        check(name, p)?;
    }
    main.failures.sort_by_key(|f| (f.variant, f.row));
    for (_, p) in references.values_mut() {
        p.failures.sort_by_key(|f| (f.variant, f.row));
    }
    Ok((
        Scored {
            model: reference.model,
            predictions: main,
            references,
        },
        provenance,
    ))
}

/// Puts one shard's rows into the predictions, checking each against the data.
fn fill_from_frame(
    folder: &ShardFolder,
    prepared: &Prepared,
    image_sha256: &[Option<String>],
    expected_rows: &std::collections::HashSet<usize>,
    main: &mut Predictions,
    references: &mut IndexMap<String, (ModelIdentity, Predictions)>,
    filled: &mut std::collections::HashSet<(String, usize, usize)>,
) -> Result<(), EngineError> {
    let dir = &folder.dir;
    let bad = |e: PolarsError| shard_error(dir, format!("{SHARD_PREDICTIONS_FILE}: {e}"));
    let frame = &folder.frame;
    let model = frame.column("model").map_err(bad)?.str().map_err(bad)?;
    let variant = frame.column("variant").map_err(bad)?.u32().map_err(bad)?;
    let row = frame.column("row").map_err(bad)?.u64().map_err(bad)?;
    let case = frame.column("case").map_err(bad)?.str().map_err(bad)?;
    let hash = frame
        .column("image_sha256")
        .map_err(bad)?
        .str()
        .map_err(bad)?;
    let error = frame.column("error").map_err(bad)?.str().map_err(bad)?;
    let mut outputs = Vec::new();
    while let Ok(column) = frame.column(&format!("output_{}", outputs.len())) {
        outputs.push(column.f32().map_err(bad)?.clone());
    }
    let ids = &prepared.cases.ids;
    for i in 0..frame.height() {
        let name = model.get(i).unwrap_or_default();
        let (predictions, k) = if name == MAIN_MODEL {
            let k = folder.manifest.outputs;
            (&mut *main, k)
        } else {
            let k = folder
                .manifest
                .references
                .get(name)
                .map_or(0, |r| r.outputs);
            match references.get_mut(name) {
                Some((_, p)) => (p, k),
                None => {
                    return Err(shard_error(
                        dir,
                        format!("scored a reference model `{name}` the spec does not use"),
                    ))
                }
            }
        };
        let (Some(v), Some(r)) = (variant.get(i), row.get(i)) else {
            return Err(shard_error(dir, format!("row {i} has no variant or row")));
        };
        let (v, r) = (v as usize, r as usize);
        let case_id = case.get(i).unwrap_or_default();
        if r >= ids.len() || ids[r] != case_id || !expected_rows.contains(&r) {
            return Err(shard_error(
                dir,
                format!(
                    "case `{case_id}` does not belong to shard {} of this data",
                    folder.manifest.shard
                ),
            ));
        }
        if hash.get(i) != image_sha256.get(r).and_then(|h| h.as_deref()) {
            return Err(shard_error(
                dir,
                format!(
                    "the image of case `{case_id}` changed since the shard was scored (its SHA-256 differs)"
                ),
            ));
        }
        if v >= predictions.outputs.len() {
            return Err(shard_error(dir, format!("variant {v} is not in the plan")));
        }
        if !filled.insert((name.to_string(), v, r)) {
            return Err(shard_error(
                dir,
                format!("case `{case_id}` appears twice (variant {v})"),
            ));
        }
        if let Some(reason) = error.get(i) {
            predictions.failures.push(CaseFailure {
                row: r,
                variant: v,
                reason: reason.to_string(),
            });
            continue;
        }
        let values: Option<Vec<f32>> = outputs.iter().take(k).map(|c| c.get(i)).collect();
        match values {
            Some(values) if values.len() == k => predictions.outputs[v][r] = Some(values),
            _ => {
                return Err(shard_error(
                    dir,
                    format!("case `{case_id}` has neither {k} outputs nor an error"),
                ))
            }
        }
    }
    Ok(())
}

/// Merges the shard folders `dirs` into the outcome of a single run of `prepared`.
pub fn merge(
    prepared: &Prepared,
    dirs: &[PathBuf],
    run_id: String,
    threads: usize,
) -> Result<Outcome, EngineError> {
    let full = plan(&prepared.spec, &prepared.cohorts)?;
    let references = reference_plans(prepared)?;
    let all_rows: Vec<usize> = (0..prepared.cases.len()).collect();
    let image_sha256 = hash_images(&prepared.cases, &all_rows);
    let (scored, provenance) = read_shards(prepared, &full, &references, &image_sha256, dirs)?;
    let started_at = provenance
        .iter()
        .map(|p| p.started_at.clone())
        .min()
        .unwrap_or_else(now_utc);
    let mut outcome = evaluate_scored(
        prepared,
        full,
        scored,
        &image_sha256,
        &Stamp {
            run_id,
            started_at,
            threads,
        },
    )?;
    outcome.results.shards = provenance;
    if prepared
        .spec
        .explore
        .as_ref()
        .is_some_and(|e| e.embeddings == Some(true))
    {
        outcome.results.warnings.push(
            "embeddings not stored: a merged run has no model pass of its own (run `attest similar` on it: it computes them)".into(),
        );
    }
    // The shards' scoring ran elsewhere, overlapped or not: no single wall time describes it.
    if let Some(inference) = &mut outcome.results.inference {
        inference.scoring_seconds = None;
        inference.forward_seconds = None;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ids_parse_and_refuse_nonsense() {
        assert_eq!("2/8".parse::<ShardId>(), Ok(ShardId { index: 2, count: 8 }));
        assert_eq!(
            "1/1".parse::<ShardId>().map(|s| s.to_string()),
            Ok("1/1".into())
        );
        for bad in ["0/4", "5/4", "1/0", "2", "a/b", "-1/3", ""] {
            assert!(bad.parse::<ShardId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn slices_cover_every_row_exactly_once_in_order() {
        for n in [0usize, 1, 2, 7, 100, 101] {
            let rows: Vec<usize> = (0..n).map(|i| i * 3).collect();
            for count in 1..=9 {
                let mut joined = Vec::new();
                for index in 1..=count {
                    let slice = shard_rows(&rows, ShardId { index, count });
                    assert!(slice.len() <= n / count + 1);
                    joined.extend_from_slice(slice);
                }
                assert_eq!(joined, rows, "n={n} count={count}");
            }
        }
    }
}
