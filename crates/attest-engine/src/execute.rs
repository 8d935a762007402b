//! Executing a plan: decode → perturb → preprocess → forward, streamed in chunks of cases so
//! memory stays bounded, with the CPU stages of the next chunk overlapping the model's forward
//! pass on the current one, and every (case, variant) looked up in the prediction cache first.
//!
//! Each image is decoded once per chunk, whatever the number of variants it needs. A case
//! that fails (unreadable image, perturbation or model error) is recorded with its reason;
//! the caller applies the spec's policy.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;

use attest_data::images::{read_image, ReadOptions};
use attest_model::{LoadedModel, Scorer};
use attest_perturb::Image;
use rayon::prelude::*;

use crate::cache::{Cache, CacheKey, Keying, Lookup};
use crate::error::EngineError;
use crate::plan::Plan;

/// Where a run reports progress: a terminal bar, log lines, or nothing.
pub trait Progress: Sync {
    /// The run will score `total` (case, variant) pairs.
    fn start(&self, total: u64);
    /// `n` more pairs are done (scored or found in the cache).
    fn advance(&self, n: u64);
    /// All done.
    fn finish(&self);
}

/// Progress that goes nowhere.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// The cases and images a run scores.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// Case ids, by row.
    pub ids: &'a [String],
    /// Image files, by row (`None` for a scores table).
    pub images: Option<&'a [PathBuf]>,
    /// SHA-256 of each image, by row (`None` where it could not be read); empty for a scores
    /// table.
    pub image_sha256: &'a [Option<String>],
    /// How images are read (the spec's `data.limits`).
    pub read: ReadOptions,
}

/// How to execute.
#[derive(Debug)]
pub struct ExecuteOptions<'a> {
    /// The run seed (perturbation seeds derive from it).
    pub seed: u64,
    /// Threads for decoding and perturbing.
    pub threads: usize,
    /// Cases per chunk, and images per forward pass.
    pub batch: usize,
    /// The prediction cache and the model's identity in it (`None`: no caching).
    pub cache: Option<(&'a Cache, String)>,
    /// Set from another thread (Ctrl-C) to stop between chunks.
    pub stop: Option<&'a AtomicBool>,
}

/// A (case, variant) pair that could not be scored.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFailure {
    /// The row.
    pub row: usize,
    /// The variant index in the plan.
    pub variant: usize,
    /// Why.
    pub reason: String,
}

/// The model's outputs for every planned pair.
#[derive(Debug, Clone)]
pub struct Predictions {
    /// Outputs per image.
    pub k: usize,
    /// `outputs[variant][row]`: the outputs, or `None` when not planned or failed.
    pub outputs: Vec<Vec<Option<Vec<f32>>>>,
    /// Pairs that failed.
    pub failures: Vec<CaseFailure>,
    /// Pairs scored by the model in this run.
    pub computed: u64,
    /// Pairs found in the cache.
    pub cached: u64,
    /// Cache entries that failed their checksum and were recomputed.
    pub corrupt_cache_entries: u64,
    /// Cache writes that failed (the run goes on; reported as a warning).
    pub cache_write_errors: Vec<String>,
    /// Wall-clock time of the whole scoring stage.
    pub scoring_time: std::time::Duration,
    /// Time spent in the model's forward passes (for a scores table: reading its rows).
    pub forward_time: std::time::Duration,
}

impl Predictions {
    /// No outputs yet for any pair of `plan` over `cases` rows; `k` outputs per image.
    pub fn empty(plan: &Plan, cases: usize, k: usize) -> Predictions {
        Predictions {
            k,
            outputs: plan.variants.iter().map(|_| vec![None; cases]).collect(),
            failures: Vec::new(),
            computed: 0,
            cached: 0,
            corrupt_cache_entries: 0,
            cache_write_errors: Vec::new(),
            scoring_time: std::time::Duration::ZERO,
            forward_time: std::time::Duration::ZERO,
        }
    }

    /// Output `k` of `row` under `variant`.
    pub fn output(&self, variant: usize, row: usize, k: usize) -> Option<f64> {
        self.outputs
            .get(variant)?
            .get(row)?
            .as_ref()
            .and_then(|o| o.get(k))
            .map(|&v| f64::from(v))
    }

    /// The first output (the positive class's score for a binary task) of `row` under
    /// `variant`.
    pub fn score(&self, variant: usize, row: usize) -> Option<f64> {
        self.outputs
            .get(variant)?
            .get(row)?
            .as_ref()
            .and_then(|o| o.first())
            .map(|&v| f64::from(v))
    }
}

/// What the producer hands to the model for one chunk.
struct Prepared {
    /// (variant, row, image) to score.
    images: Vec<(usize, usize, Image)>,
    /// (variant, row, outputs) found in the cache.
    hits: Vec<(usize, usize, Vec<f32>)>,
    /// Pairs that failed before the model.
    failures: Vec<CaseFailure>,
    corrupt: u64,
}

/// Scores every pair of `plan` with `model`.
pub fn execute(
    plan: &Plan,
    model: &LoadedModel,
    inputs: &Inputs<'_>,
    options: &ExecuteOptions<'_>,
    progress: &dyn Progress,
) -> Result<Predictions, EngineError> {
    let started = std::time::Instant::now();
    let cases = inputs.ids.len();
    let mut predictions = Predictions::empty(plan, cases, 0);
    progress.start(plan.forward_passes() as u64);
    if let Scorer::Table(table) = &model.scorer {
        // Only the unperturbed variant exists for a scores table (validation refuses
        // perturbation tests on a scores-only model).
        for (v, rows) in plan.rows.iter().enumerate() {
            let (present, absent): (Vec<usize>, Vec<usize>) = rows
                .iter()
                .partition(|&&row| table.get(&inputs.ids[row]).is_some());
            let ids: Vec<&str> = present.iter().map(|&r| inputs.ids[r].as_str()).collect();
            let forward = std::time::Instant::now();
            let outputs = model.score_ids(&ids)?;
            predictions.forward_time += forward.elapsed();
            predictions.k = outputs.k;
            for (i, &row) in present.iter().enumerate() {
                predictions.outputs[v][row] = Some(outputs.row(i).to_vec());
            }
            predictions.computed += present.len() as u64;
            predictions
                .failures
                .extend(absent.into_iter().map(|row| CaseFailure {
                    row,
                    variant: v,
                    reason: format!(
                        "no row for case `{}` in the scores table `{}`",
                        inputs.ids[row],
                        table.path().display()
                    ),
                }));
            progress.advance(rows.len() as u64);
        }
        progress.finish();
        predictions.scoring_time = started.elapsed();
        return Ok(predictions);
    }
    let paths = inputs.images.ok_or_else(|| {
        EngineError::Spec("the model needs images, but the data names none".into())
    })?;
    // Which variants each row needs, row-major, so a chunk decodes each image once.
    let mut wanted: Vec<Vec<usize>> = vec![Vec::new(); cases];
    for (v, rows) in plan.rows.iter().enumerate() {
        for &row in rows {
            wanted[row].push(v);
        }
    }
    let rows = plan.all_rows();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .thread_name(|i| format!("attest-prepare-{i}"))
        .build()
        .map_err(|e| EngineError::Spec(format!("cannot start threads: {e}")))?;
    let chunk_size = options.batch.max(1);
    let stopped = || options.stop.is_some_and(|s| s.load(Ordering::Relaxed));
    let keying = options
        .cache
        .as_ref()
        .map(|(cache, model)| Keying::new(cache, model, plan, &inputs.read, options.seed));
    let keying = keying.as_ref();
    let (sender, receiver) = sync_channel::<Prepared>(1);
    std::thread::scope(|scope| -> Result<(), EngineError> {
        // Producer: cache lookups, decoding and perturbing, one chunk ahead of the model.
        scope.spawn(move || {
            for chunk in rows.chunks(chunk_size) {
                if stopped() {
                    break;
                }
                let prepared =
                    pool.install(|| prepare(chunk, &wanted, plan, inputs, paths, keying, options));
                if sender.send(prepared).is_err() {
                    break; // the consumer stopped
                }
            }
        });
        for prepared in receiver {
            predictions.corrupt_cache_entries += prepared.corrupt;
            let done =
                (prepared.hits.len() + prepared.images.len() + prepared.failures.len()) as u64;
            predictions.cached += prepared.hits.len() as u64;
            for (v, row, outputs) in prepared.hits {
                predictions.k = outputs.len();
                predictions.outputs[v][row] = Some(outputs);
            }
            predictions.failures.extend(prepared.failures);
            score_chunk(
                &mut predictions,
                model,
                prepared.images,
                inputs,
                keying,
                options,
            );
            progress.advance(done);
            if stopped() {
                return Err(EngineError::Interrupted);
            }
        }
        Ok(())
    })?;
    if stopped() {
        return Err(EngineError::Interrupted);
    }
    progress.finish();
    predictions.failures.sort_by_key(|f| (f.variant, f.row));
    predictions.scoring_time = started.elapsed();
    Ok(predictions)
}

/// Cache lookups, then decoding and perturbing what is missing, for one chunk of rows.
fn prepare(
    chunk: &[usize],
    wanted: &[Vec<usize>],
    plan: &Plan,
    inputs: &Inputs<'_>,
    paths: &[PathBuf],
    keying: Option<&Keying<'_>>,
    options: &ExecuteOptions<'_>,
) -> Prepared {
    let per_row: Vec<Prepared> = chunk
        .par_iter()
        .map(|&row| {
            let mut out = Prepared {
                images: Vec::new(),
                hits: Vec::new(),
                failures: Vec::new(),
                corrupt: 0,
            };
            let fail = |v: usize, reason: String| CaseFailure {
                row,
                variant: v,
                reason,
            };
            let mut missing = Vec::new();
            for &v in &wanted[row] {
                match case_key(keying, v, row, inputs) {
                    Some((cache, key)) => match cache.get(&key) {
                        Lookup::Hit(outputs) => out.hits.push((v, row, outputs)),
                        Lookup::Miss => missing.push(v),
                        Lookup::Corrupt => {
                            out.corrupt += 1;
                            missing.push(v);
                        }
                    },
                    None => missing.push(v),
                }
            }
            if missing.is_empty() {
                return out;
            }
            let image = match read_image(&paths[row], &inputs.read) {
                Ok(decoded) => decoded.image,
                Err(e) => {
                    let reason = format!("cannot read `{}`: {e}", paths[row].display());
                    out.failures
                        .extend(missing.iter().map(|&v| fail(v, reason.clone())));
                    return out;
                }
            };
            for v in missing {
                match plan.variants[v].apply(image.clone(), options.seed, &inputs.ids[row]) {
                    Ok(perturbed) => out.images.push((v, row, perturbed)),
                    Err(e) => out.failures.push(fail(v, e.to_string())),
                }
            }
            out
        })
        .collect();
    let mut merged = Prepared {
        images: Vec::new(),
        hits: Vec::new(),
        failures: Vec::new(),
        corrupt: 0,
    };
    for p in per_row {
        merged.images.extend(p.images);
        merged.hits.extend(p.hits);
        merged.failures.extend(p.failures);
        merged.corrupt += p.corrupt;
    }
    merged
}

/// The cache and key of (variant, row), when there is a cache and the image's hash is
/// known.
fn case_key<'a>(
    keying: Option<&Keying<'a>>,
    v: usize,
    row: usize,
    inputs: &Inputs<'_>,
) -> Option<(&'a Cache, CacheKey)> {
    let keying = keying?;
    let image = inputs.image_sha256.get(row)?.as_ref()?;
    Some((keying.cache(), keying.key(v, &inputs.ids[row], image)))
}

/// Scores one chunk's images; on a batch error, scores them one by one so that only the
/// failing cases are recorded as failed.
fn score_chunk(
    predictions: &mut Predictions,
    model: &LoadedModel,
    images: Vec<(usize, usize, Image)>,
    inputs: &Inputs<'_>,
    keying: Option<&Keying<'_>>,
    options: &ExecuteOptions<'_>,
) {
    if images.is_empty() {
        return;
    }
    let refs: Vec<&Image> = images.iter().map(|(_, _, image)| image).collect();
    let forward = std::time::Instant::now();
    // Forward batches of `options.batch` images, not the whole chunk: a chunk holds every
    // variant of its cases (a dozen per case in a robustness spec), and one forward pass over
    // all of them made onnxruntime's arena grow to 3 GB on the example (measured).
    let scored = model.score_images(&refs, options.batch.max(1));
    predictions.forward_time += forward.elapsed();
    let results: Vec<Result<Vec<f32>, String>> = match scored {
        Ok(outputs) => (0..outputs.n)
            .map(|i| Ok(outputs.row(i).to_vec()))
            .collect(),
        Err(_) => {
            let forward = std::time::Instant::now();
            let one_by_one = refs
                .iter()
                .map(|image| {
                    model
                        .score_images(&[image], 1)
                        .map(|o| o.row(0).to_vec())
                        .map_err(|e| format!("model error: {e}"))
                })
                .collect();
            predictions.forward_time += forward.elapsed();
            one_by_one
        }
    };
    for ((v, row, _), result) in images.iter().zip(results) {
        match result {
            Ok(outputs) => {
                predictions.computed += 1;
                predictions.k = outputs.len();
                if let Some((cache, key)) = case_key(keying, *v, *row, inputs) {
                    if let Err(e) = cache.put(&key, &outputs) {
                        predictions
                            .cache_write_errors
                            .push(format!("{}: {e}", cache.dir().display()));
                    }
                }
                predictions.outputs[*v][*row] = Some(outputs);
            }
            Err(reason) => predictions.failures.push(CaseFailure {
                row: *row,
                variant: *v,
                reason,
            }),
        }
    }
}
