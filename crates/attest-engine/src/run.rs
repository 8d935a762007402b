//! A whole run: hash the images, plan, load the model, execute with the cache, apply the
//! case-error policy, choose thresholds, evaluate every test, and assemble the results record.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use attest_data::cases::Cases;
use attest_data::check::CohortCases;
use attest_model::{LoadOptions, LoadedModel, Models, Scorer};
use attest_spec::results::{
    CohortSummary, DataIdentity, Environment, Exclusion, InferenceSummary, ModelIdentity, Results,
    TestResult, Tool, Verdict,
};
use attest_spec::types::{CaseErrorPolicy, Model, OnnxBackend, Spec};
use attest_spec::SpecSource;
use indexmap::IndexMap;
use rayon::prelude::*;

use crate::cache::Cache;
use crate::error::EngineError;
use crate::evaluate::{evaluate_all, thresholds, Evaluator};
use crate::execute::{execute, ExecuteOptions, Inputs, Predictions, Progress};
use crate::plan::{plan, test_cohorts, Plan};

/// A validated spec with its data, ready to run.
#[derive(Debug)]
pub struct Prepared {
    /// The spec.
    pub spec: Spec,
    /// Its source text (hashed into the results).
    pub source: Arc<SpecSource>,
    /// The spec's folder: relative paths start here.
    pub base_dir: PathBuf,
    /// The cases.
    pub cases: Cases,
    /// The cohorts (`all` first).
    pub cohorts: Vec<CohortCases>,
    /// Set by [`Prepared::retain_tests`] when only some of the spec's tests will run: the
    /// warning that the run's results and report carry first. A partial run's id also ends
    /// in [`crate::prepare::PARTIAL_SUFFIX`] ([`crate::prepare::new_run_id`]).
    pub partial: Option<String>,
}

/// How to run.
pub struct RunOptions<'a> {
    /// Threads for decoding, perturbing and the model.
    pub threads: usize,
    /// Cases per chunk, and images per forward pass.
    pub batch: usize,
    /// The prediction cache (`None` = `--no-cache`).
    pub cache: Option<Cache>,
    /// Overrides the spec's ONNX backend.
    pub backend: Option<OnnxBackend>,
    /// Rust models registered by a program.
    pub models: Option<&'a Models>,
    /// Set to stop the run between chunks (Ctrl-C).
    pub stop: Option<&'a AtomicBool>,
    /// Where progress goes.
    pub progress: &'a dyn Progress,
    /// The run id (the caller makes it: it names the output folder).
    pub run_id: String,
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("threads", &self.threads)
            .field("batch", &self.batch)
            .field("cache", &self.cache)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// The results record.
    pub results: Results,
    /// The plan it followed.
    pub plan: Plan,
    /// The model's predictions.
    pub predictions: Predictions,
    /// The SHA-256 of each row's image (`None` where unreadable or for a scores table).
    pub image_sha256: Vec<Option<String>>,
    /// The explored cases' embeddings, when the spec's `explore:` asks to store them.
    pub embeddings: Option<crate::explore::CaseEmbeddings>,
}

/// The SHA-256 of each row's image (`None` where unreadable or for a scores table).
pub fn hash_images(cases: &Cases, rows: &[usize]) -> Vec<Option<String>> {
    let mut hashes = vec![None; cases.len()];
    if let Some(paths) = &cases.images {
        let computed: Vec<(usize, Option<String>)> = rows
            .par_iter()
            .map(|&r| (r, attest_data::hash::sha256_file(&paths[r]).ok()))
            .collect();
        for (r, h) in computed {
            hashes[r] = h;
        }
    }
    hashes
}

/// What identifies a model's outputs in the cache: Attest's version, the backend, weights and
/// everything between the image and the outputs (preprocessing, activation). `None` when the weights have no
/// hash (a Rust model): such outputs are not cached.
pub fn model_identity(model: &Model, loaded: &LoadedModel) -> Option<String> {
    let info = loaded.info()?;
    let weights = info.weights_sha256?;
    let input = serde_json::to_string(&model.input).ok()?;
    let output = serde_json::to_string(&model.output).ok()?;
    // Attest's version too: decoding, perturbations and preprocessing are Attest's code, and a
    // release that changes any of their outputs must not reuse predictions of the old one.
    Some(format!(
        "attest={}\nbackend={}\nweights={weights}\ninput={input}\noutput={output}",
        env!("CARGO_PKG_VERSION"),
        info.backend
    ))
}

fn identity(model: &Model, loaded: &LoadedModel) -> ModelIdentity {
    let (backend, weights) = match &loaded.scorer {
        Scorer::Table(t) => ("scores table".to_string(), Some(t.sha256().to_string())),
        Scorer::Network { network, .. } => {
            let info = network.info();
            (info.backend, info.weights_sha256)
        }
    };
    ModelIdentity {
        id: model.id.clone(),
        version: model.version.clone(),
        backend,
        weights_sha256: weights,
    }
}

/// Loads `model` and scores what `plan` needs.
fn score(
    prepared: &Prepared,
    model: &Model,
    plan: &Plan,
    image_sha256: &[Option<String>],
    options: &RunOptions<'_>,
) -> Result<(LoadedModel, Predictions), EngineError> {
    let loaded = attest_model::load(
        model,
        &prepared.base_dir,
        &prepared.spec.data.id,
        &LoadOptions {
            threads: options.threads,
            backend: options.backend,
            models: options.models,
        },
    )?;
    let key = model_identity(model, &loaded);
    let cache = match (&options.cache, key) {
        (Some(cache), Some(key)) => Some((cache, key)),
        _ => None,
    };
    let inputs = Inputs {
        ids: &prepared.cases.ids,
        images: prepared.cases.images.as_deref(),
        image_sha256,
        read: attest_data::limits::image_options(&prepared.spec.data),
    };
    let predictions = execute(
        plan,
        &loaded,
        &inputs,
        &ExecuteOptions {
            seed: prepared.spec.seed,
            threads: options.threads,
            batch: options.batch,
            cache,
            stop: options.stop,
        },
        options.progress,
    )?;
    Ok((loaded, predictions))
}

/// Now, UTC, RFC 3339 with seconds.
pub fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Everything a run scored: the model's identity and predictions, and each reference
/// model's (for comparison tests). A single run makes it in one go; `attest merge` assembles
/// it from shards.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Which model was scored.
    pub model: ModelIdentity,
    /// Its predictions over the plan.
    pub predictions: Predictions,
    /// Each reference model's identity and unperturbed predictions, by name.
    pub references: IndexMap<String, (ModelIdentity, Predictions)>,
}

/// The unperturbed plan of each reference model of a comparison test: the cohorts of its
/// tests and of their operating points' `choose_on`.
pub fn reference_plans(prepared: &Prepared) -> Result<IndexMap<String, Plan>, EngineError> {
    let spec = &prepared.spec;
    let mut plans: IndexMap<String, Plan> = IndexMap::new();
    for test in &spec.tests {
        let Some(name) = &test.reference else {
            continue;
        };
        if plans.contains_key(name) {
            continue;
        }
        if !spec.references.contains_key(name) {
            return Err(EngineError::Spec(format!("no reference model `{name}`")));
        }
        let mut rows: Vec<usize> = Vec::new();
        for t in spec
            .tests
            .iter()
            .filter(|t| t.reference.as_ref() == Some(name))
        {
            for c in test_cohorts(t) {
                rows.extend(&crate::plan::cohort(&prepared.cohorts, &c)?.rows);
            }
            if let Some(on) =
                t.at.as_ref()
                    .and_then(|at| spec.operating_points.get(at))
                    .and_then(|p| p.choose_on.as_ref())
            {
                rows.extend(&crate::plan::cohort(&prepared.cohorts, on)?.rows);
            }
        }
        rows.sort_unstable();
        rows.dedup();
        plans.insert(
            name.clone(),
            Plan {
                variants: vec![crate::variant::Variant::original()],
                rows: vec![rows],
                perturbations: IndexMap::new(),
            },
        );
    }
    Ok(plans)
}

/// Scores `plan` with the spec's model and each reference plan with its reference model.
pub fn score_plans(
    prepared: &Prepared,
    plan: &Plan,
    reference_plans: &IndexMap<String, Plan>,
    image_sha256: &[Option<String>],
    options: &RunOptions<'_>,
) -> Result<Scored, EngineError> {
    let spec = &prepared.spec;
    let (loaded, predictions) = score(prepared, &spec.model, plan, image_sha256, options)?;
    let mut references = IndexMap::new();
    for (name, reference_plan) in reference_plans {
        let model = spec
            .references
            .get(name)
            .ok_or_else(|| EngineError::Spec(format!("no reference model `{name}`")))?;
        let (loaded, p) = score(prepared, model, reference_plan, image_sha256, options)?;
        references.insert(name.clone(), (identity(model, &loaded), p));
    }
    Ok(Scored {
        model: identity(&spec.model, &loaded),
        predictions,
        references,
    })
}

/// Runs `prepared`.
pub fn run(prepared: &Prepared, options: &RunOptions<'_>) -> Result<Outcome, EngineError> {
    let started_at = now_utc();
    let plan = plan(&prepared.spec, &prepared.cohorts)?;
    let all_rows: Vec<usize> = (0..prepared.cases.len()).collect();
    let image_sha256 = hash_images(&prepared.cases, &all_rows);
    let references = reference_plans(prepared)?;
    let scored = score_plans(prepared, &plan, &references, &image_sha256, options)?;
    let mut outcome = evaluate_scored(
        prepared,
        plan,
        scored,
        &image_sha256,
        &Stamp {
            run_id: options.run_id.clone(),
            started_at,
            threads: options.threads,
        },
    )?;
    if let Some(explore) = prepared
        .spec
        .explore
        .as_ref()
        .filter(|e| e.embeddings == Some(true))
    {
        match crate::explore::embed_cohort(prepared, explore, options.threads) {
            Ok((embeddings, record)) => {
                if let Some(e) = outcome.results.exploration.as_mut() {
                    e.embeddings = Some(record);
                }
                outcome.embeddings = Some(embeddings);
            }
            Err(e) => outcome
                .results
                .warnings
                .push(format!("embeddings not stored: {e}")),
        }
    }
    Ok(outcome)
}

/// This machine, and the threads a run used.
pub fn environment(threads: usize) -> Environment {
    Environment {
        os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
        cpu: cpu_model(),
        libraries: env!("ATTEST_LIBRARY_VERSIONS")
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        threads: threads as u64,
        user: std::env::var("USER").ok().filter(|u| !u.is_empty()),
    }
}

/// The CPU's model name from `/proc/cpuinfo` (Linux); `None` elsewhere or when unreadable.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, name)| name.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|name| !name.is_empty())
}

/// What identifies a run in its record: its id, when it started, how many threads it used.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// The run id.
    pub run_id: String,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// Threads used.
    pub threads: usize,
}

/// Applies the case-error policy to what was scored, chooses the operating points, evaluates
/// every test and assembles the results record.
pub fn evaluate_scored(
    prepared: &Prepared,
    plan: Plan,
    scored: Scored,
    image_sha256: &[Option<String>],
    stamp: &Stamp,
) -> Result<Outcome, EngineError> {
    let spec = &prepared.spec;
    let predictions = scored.predictions;
    let references: IndexMap<String, Predictions> = scored
        .references
        .into_iter()
        .map(|(name, (_, p))| (name, p))
        .collect();
    let mut failures: Vec<(String, String, String)> = predictions
        .failures
        .iter()
        .map(|f| {
            (
                prepared.cases.ids[f.row].clone(),
                plan.variants[f.variant].label(),
                f.reason.clone(),
            )
        })
        .collect();
    for (name, p) in &references {
        failures.extend(p.failures.iter().map(|f| {
            (
                prepared.cases.ids[f.row].clone(),
                format!("reference {name}"),
                f.reason.clone(),
            )
        }));
    }
    if let (Some(first), CaseErrorPolicy::Fail) = (
        failures.first(),
        spec.on_case_error.unwrap_or(CaseErrorPolicy::Fail),
    ) {
        return Err(EngineError::CaseFailures {
            failed: failures.len(),
            first_case: first.0.clone(),
            first_variant: first.1.clone(),
            first_reason: first.2.clone(),
        });
    }
    let evaluator = Evaluator::new(
        spec,
        &prepared.cases,
        &prepared.cohorts,
        &plan,
        &predictions,
        &references,
    );
    let mut resolved = IndexMap::new();
    for test in &spec.tests {
        let (Some(at), Some(key)) = (&test.at, crate::evaluate::point_key(spec, test)) else {
            continue;
        };
        if resolved.contains_key(&key) {
            continue;
        }
        // A test naming an unknown class is an ERROR of its own; nothing to choose here.
        let Ok(focused) = evaluator.for_test(test) else {
            continue;
        };
        if let Some(point) = spec.operating_points.get(at) {
            resolved.insert(
                key.clone(),
                thresholds::resolve(&focused, &predictions, &key, point)?,
            );
        }
    }
    let tests = evaluate_all(&evaluator, &resolved, image_sha256);
    let exploration = spec
        .explore
        .as_ref()
        .map(|e| crate::explore::explore(&evaluator, e));
    let mut warnings: Vec<String> = prepared.partial.iter().cloned().collect();
    warnings.extend(leakage_warnings(prepared));
    if predictions.corrupt_cache_entries > 0 {
        warnings.push(format!(
            "{} corrupted prediction cache entr{} detected and recomputed",
            predictions.corrupt_cache_entries,
            if predictions.corrupt_cache_entries == 1 {
                "y was"
            } else {
                "ies were"
            }
        ));
    }
    if let Some(e) = predictions.cache_write_errors.first() {
        warnings.push(format!(
            "{} prediction cache write(s) failed (the run is unaffected), e.g. {e}",
            predictions.cache_write_errors.len()
        ));
    }
    let table_sha256 = attest_data::hash::sha256_file(prepared.cases.table.path())
        .map_err(|e| EngineError::Spec(e.to_string()))?;
    let pairs: Vec<(String, String)> = prepared
        .cases
        .ids
        .iter()
        .zip(image_sha256)
        .filter_map(|(id, h)| h.as_ref().map(|h| (id.clone(), h.clone())))
        .collect();
    let results = Results {
        attest_results: 1,
        run_id: stamp.run_id.clone(),
        spec_name: spec.name.clone(),
        spec_sha256: attest_data::hash::sha256_bytes(prepared.source.text.as_bytes()),
        seed: spec.seed,
        plan_sha256: None,
        tool: Tool {
            name: "attest".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        started_at: stamp.started_at.clone(),
        finished_at: Some(now_utc()),
        environment: Some(environment(stamp.threads)),
        model: Some(scored.model),
        data: Some(DataIdentity {
            table: spec.data.table.clone(),
            table_sha256: table_sha256.clone(),
            cases: prepared.cases.len() as u64,
            images: pairs.len() as u64,
            fingerprint: attest_data::hash::dataset_fingerprint(&table_sha256, &pairs),
        }),
        cohorts: prepared
            .cohorts
            .iter()
            .map(|c| CohortSummary {
                name: c.name.clone(),
                predicate: c.predicate.clone(),
                n: c.rows.len() as u64,
                positives: c.positives.map(|p| p as u64),
                negatives: c.negatives.map(|p| p as u64),
                unlabelled: c.unlabelled as u64,
            })
            .collect(),
        operating_points: resolved.values().map(|r| r.record.clone()).collect(),
        inference: Some(InferenceSummary {
            needed: plan.forward_passes() as u64,
            computed: predictions.computed,
            cached: predictions.cached,
            variants: plan.variants.len() as u64,
            scoring_seconds: Some(predictions.scoring_time.as_secs_f64()),
            forward_seconds: Some(predictions.forward_time.as_secs_f64()),
        }),
        shards: Vec::new(),
        exclusions: failures
            .into_iter()
            .map(|(case, variant, reason)| Exclusion {
                case,
                variant,
                reason,
            })
            .collect(),
        warnings,
        verdict: overall(&tests),
        tests,
        exploration,
    };
    Ok(Outcome {
        results,
        plan,
        predictions,
        image_sha256: image_sha256.to_vec(),
        embeddings: None,
    })
}

/// FAIL if any test failed, else ERROR if any errored, else INCONCLUSIVE if any was
/// inconclusive without being allowed to be, else PASS.
pub fn overall(tests: &[TestResult]) -> Verdict {
    let any = |v: Verdict| tests.iter().any(|t| t.verdict == v);
    if any(Verdict::Fail) {
        Verdict::Fail
    } else if any(Verdict::Error) {
        Verdict::Error
    } else if tests
        .iter()
        .any(|t| t.verdict == Verdict::Inconclusive && !t.allow_inconclusive)
    {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}

/// A test evaluated on cases that also chose its threshold: its estimates are optimistic.
fn leakage_warnings(prepared: &Prepared) -> Vec<String> {
    let spec = &prepared.spec;
    let mut out = Vec::new();
    for test in &spec.tests {
        let Some(at) = &test.at else { continue };
        let Some(on) = spec
            .operating_points
            .get(at)
            .and_then(|p| p.choose_on.as_ref())
        else {
            continue;
        };
        let Ok(chooser) = crate::plan::cohort(&prepared.cohorts, on) else {
            continue;
        };
        let chosen: std::collections::HashSet<usize> = chooser.rows.iter().copied().collect();
        for name in test_cohorts(test) {
            let Ok(cohort) = crate::plan::cohort(&prepared.cohorts, &name) else {
                continue;
            };
            let shared = cohort.rows.iter().filter(|r| chosen.contains(r)).count();
            if shared > 0 {
                out.push(format!(
                    "threshold leakage in `{}`: {shared} of the {} cases of `{name}` are also in `{on}`, where operating point `{at}` chose its threshold; estimates there are optimistic",
                    test.id,
                    cohort.rows.len()
                ));
            }
        }
    }
    out
}

/// Where a run writes by default: `evidence/<spec name>/<run id>/` beside the spec.
pub fn default_out_dir(base_dir: &Path, spec_name: &str, run_id: &str) -> PathBuf {
    base_dir.join("evidence").join(spec_name).join(run_id)
}
