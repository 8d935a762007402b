//! `attest run`: the main job — plan, score (with the prediction cache), evaluate every test,
//! write `results.json`, `predictions.parquet` and the frozen spec into the run folder, and
//! print a verdict table. `--dry-run` prints the plan and an estimate of the time instead.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attest_engine::cache::{Keying, Lookup};
use attest_engine::run::{default_out_dir, hash_images, model_identity};
use attest_engine::{Cache, EngineError, Prepared, Progress, RunOptions};
use attest_model::LoadOptions;
use attest_spec::results::{Results, Verdict};
use attest_spec::types::OnnxBackend;

use crate::cli::{Backend, MergeArgs, RunArgs};
use crate::commands::prepare::{prepare, threads};
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// Runs the spec (or prints its plan).
pub fn run(args: &RunArgs) -> Result<ExitStatus, CommandError> {
    let mut prepared = match prepare(&args.spec)? {
        Ok(p) => p,
        Err(status) => return Ok(status),
    };
    let unknown: Vec<&str> = args
        .tests
        .iter()
        .filter(|id| !prepared.spec.tests.iter().any(|t| &t.id == *id))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let ids: Vec<&str> = prepared.spec.tests.iter().map(|t| t.id.as_str()).collect();
        eprintln!(
            "error: `{}` has no test {}\n  help: its tests are {}",
            args.spec.display(),
            unknown
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", "),
            ids.join(", ")
        );
        return Ok(ExitStatus::Invalid);
    }
    if !args.tests.is_empty() {
        prepared.retain_tests(&args.tests);
    }
    let signing_key = match load_signing_key(args.sign.as_deref()) {
        Ok(k) => k,
        Err(status) => return Ok(status),
    };
    let spec_sha256 = attest_data::hash::sha256_bytes(prepared.source.text.as_bytes());
    if let Some(expected) = &args.plan_hash {
        if !expected.trim().eq_ignore_ascii_case(&spec_sha256) {
            eprintln!(
                "error: `{}` is not the approved plan: its SHA-256 is {spec_sha256}, the plan's is {}\n  help: the spec changed since `attest plan`; restore the approved spec, or review and approve a new plan",
                args.spec.display(),
                expected.trim()
            );
            return Ok(ExitStatus::Invalid);
        }
    }
    let threads = threads(args.threads);
    let backend = args.backend.map(|b| match b {
        Backend::Tract => OnnxBackend::Tract,
        Backend::Onnxruntime => OnnxBackend::Onnxruntime,
    });
    let cache = (!args.no_cache)
        .then(|| Cache::new(args.cache_dir.clone().unwrap_or_else(Cache::default_dir)));
    if args.dry_run {
        return dry_run(&prepared, threads, backend, cache.as_ref(), args);
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // A second Ctrl-C ends the process at once (the default behaviour).
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\ninterrupted: stopping after the current batch (Ctrl-C again to abort)");
        });
    }
    let progress = TerminalProgress::new();
    let started = Instant::now();
    let run_id = attest_engine::prepare::new_run_id(&prepared);
    let options = RunOptions {
        threads,
        batch: args.batch,
        cache,
        backend,
        models: None,
        stop: Some(&stop),
        progress: &progress,
        run_id,
    };
    if let Some(shard) = args.shard {
        let out = args.out.clone().unwrap_or_else(|| {
            default_out_dir(&prepared.base_dir, &prepared.spec.name, "shards")
                .join(format!("{}-of-{}", shard.index, shard.count))
        });
        let outcome = match attest_engine::run_shard(&prepared, shard, &options) {
            Ok(o) => o,
            Err(e) => return engine_failure(e),
        };
        attest_engine::write_shard(&out, &prepared, &outcome).map_err(write_error)?;
        let failed = outcome.scored.predictions.failures.len()
            + outcome
                .scored
                .references
                .values()
                .map(|(_, p)| p.failures.len())
                .sum::<usize>();
        render::emit(&format!(
            "shard {shard}: {} cases, {} forward passes ({} computed, {} cached){} in {:.1} s · wrote {}\n\
             merge all {} shards with `attest merge {} SHARD_DIR...`\n",
            outcome.rows.len(),
            outcome.scored.predictions.computed + outcome.scored.predictions.cached,
            outcome.scored.predictions.computed,
            outcome.scored.predictions.cached,
            if failed > 0 {
                format!(", {failed} could not be scored (see the shard's `error` column)")
            } else {
                String::new()
            },
            started.elapsed().as_secs_f64(),
            out.display(),
            shard.count,
            args.spec.display(),
        ));
        return Ok(ExitStatus::Success);
    }
    let out = args.out.clone().unwrap_or_else(|| {
        default_out_dir(&prepared.base_dir, &prepared.spec.name, &options.run_id)
    });
    // Refuse a user's folder before scoring anything, not after.
    if let Err(e) =
        attest_engine::output::ensure_replaceable(&out, attest_engine::output::RUN_MARKER)
    {
        return engine_failure(e);
    }
    let mut outcome = match attest_engine::run(&prepared, &options) {
        Ok(o) => o,
        Err(e) => return engine_failure(e),
    };
    outcome.results.plan_sha256 = args.plan_hash.as_ref().map(|_| spec_sha256.clone());
    attest_evidence::write_bundle(&out, &prepared, &outcome, signing_key.as_ref())
        .map_err(bundle_error)?;
    Ok(report(&outcome.results, started, &out))
}

/// `attest merge`: evaluates the shards of a sharded run into one run folder.
pub fn merge(args: &MergeArgs) -> Result<ExitStatus, CommandError> {
    let prepared = match prepare(&args.spec)? {
        Ok(p) => p,
        Err(status) => return Ok(status),
    };
    let signing_key = match load_signing_key(args.sign.as_deref()) {
        Ok(k) => k,
        Err(status) => return Ok(status),
    };
    let started = Instant::now();
    let run_id = attest_engine::prepare::new_run_id(&prepared);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&prepared.base_dir, &prepared.spec.name, &run_id));
    let threads = threads(args.threads);
    let outcome = match attest_engine::merge(&prepared, &args.shards, run_id, threads) {
        Ok(o) => o,
        Err(e) => return engine_failure(e),
    };
    attest_evidence::write_bundle(&out, &prepared, &outcome, signing_key.as_ref())
        .map_err(bundle_error)?;
    Ok(report(&outcome.results, started, &out))
}

/// Prints why the engine stopped and returns the exit status it means.
fn engine_failure(e: EngineError) -> Result<ExitStatus, CommandError> {
    match e {
        EngineError::Interrupted => {
            eprintln!("✗ interrupted: no results were written; what was scored is in the cache");
            Ok(ExitStatus::RuntimeError)
        }
        EngineError::Model(e) => Err(CommandError::Model(e)),
        e => {
            eprintln!("error: {e}\n  help: {}", e.help());
            Ok(ExitStatus::RuntimeError)
        }
    }
}

fn write_error(e: EngineError) -> CommandError {
    match e {
        EngineError::Io { path, source } => CommandError::Io {
            action: "write the run folder",
            path,
            source,
        },
        other => CommandError::Data(other.to_string()),
    }
}

/// The `--sign` key, read before any work so that a wrong path fails at once (exit 2).
fn load_signing_key(
    path: Option<&std::path::Path>,
) -> Result<Option<ed25519_dalek::SigningKey>, ExitStatus> {
    let Some(path) = path else {
        return Ok(None);
    };
    attest_evidence::sign::read_signing_key(path)
        .map(Some)
        .map_err(|e| {
            eprintln!("error: {e}\n  help: make a key pair with `attest keygen`");
            ExitStatus::Invalid
        })
}

fn bundle_error(e: attest_evidence::EvidenceError) -> CommandError {
    match e {
        attest_evidence::EvidenceError::Engine(e) => write_error(e),
        attest_evidence::EvidenceError::Io { path, source, .. } => CommandError::Io {
            action: "write the evidence bundle",
            path,
            source,
        },
        other => CommandError::Data(other.to_string()),
    }
}

/// Prints the verdict table and summary; returns the exit status the verdict means.
fn report(results: &Results, started: Instant, out: &std::path::Path) -> ExitStatus {
    render::emit(&verdict_table(results));
    if let Some(line) = exploration_line(results) {
        render::emit(&line);
    }
    let scoring = results
        .inference
        .as_ref()
        .and_then(|i| Some((i.scoring_seconds?, i.forward_seconds?)))
        .map(|(scoring, forward)| {
            format!(" (scoring {scoring:.1} s, of which forward passes {forward:.1} s)")
        })
        .unwrap_or_default();
    render::emit(&format!(
        "{} in {:.1} s{scoring} · wrote {}\n",
        summary_line(results),
        started.elapsed().as_secs_f64(),
        out.display()
    ));
    match results.verdict {
        Verdict::Pass => ExitStatus::Success,
        Verdict::Fail => ExitStatus::TestFailed,
        Verdict::Inconclusive => ExitStatus::Inconclusive,
        Verdict::Error => ExitStatus::RuntimeError,
    }
}

fn dry_run(
    prepared: &Prepared,
    threads: usize,
    backend: Option<OnnxBackend>,
    cache: Option<&Cache>,
    args: &RunArgs,
) -> Result<ExitStatus, CommandError> {
    let mut plan = attest_engine::plan::plan(&prepared.spec, &prepared.cohorts)
        .map_err(|e| CommandError::Data(e.to_string()))?;
    let mut text = String::new();
    if let Some(shard) = args.shard {
        let references = attest_engine::run::reference_plans(prepared)
            .map_err(|e| CommandError::Data(e.to_string()))?;
        let all = attest_engine::shard::planned_rows(&plan, &references);
        let rows = attest_engine::shard::shard_rows(&all, shard);
        let _ = writeln!(
            text,
            "shard {shard}: {} of the {} planned cases",
            rows.len(),
            all.len()
        );
        plan = plan.restricted_to(rows);
    }
    let _ = writeln!(
        text,
        "plan for {} (seed {})",
        args.spec.display(),
        prepared.spec.seed
    );
    let _ = writeln!(text, "cohorts:");
    for c in &prepared.cohorts {
        let classes = match (c.positives, c.negatives) {
            (Some(p), Some(n)) => format!(" ({p} positive, {n} negative)"),
            _ => String::new(),
        };
        let _ = writeln!(text, "  {:<20} {:>7} cases{classes}", c.name, c.rows.len());
    }
    let model = attest_model::load(
        &prepared.spec.model,
        &prepared.base_dir,
        &prepared.spec.data.id,
        &LoadOptions {
            threads,
            backend,
            models: None,
        },
    )
    .map_err(CommandError::Model)?;
    let identity = model_identity(&prepared.spec.model, &model);
    let rows = plan.all_rows();
    let hashes = hash_images(&prepared.cases, &rows);
    let read = attest_data::limits::image_options(&prepared.spec.data);
    let keying = cache
        .zip(identity.as_deref())
        .map(|(cache, model)| Keying::new(cache, model, &plan, &read, prepared.spec.seed));
    let _ = writeln!(text, "variants:");
    let mut to_compute = 0usize;
    let mut cached = 0usize;
    for (v, variant) in plan.variants.iter().enumerate() {
        let mut hits = 0usize;
        for &row in &plan.rows[v] {
            let hit = match (&keying, &hashes[row]) {
                (Some(keying), Some(image)) => {
                    let key = keying.key(v, &prepared.cases.ids[row], image);
                    matches!(keying.cache().get(&key), Lookup::Hit(_))
                }
                _ => false,
            };
            hits += usize::from(hit);
        }
        cached += hits;
        to_compute += plan.rows[v].len() - hits;
        let _ = writeln!(
            text,
            "  {:<24} {:>7} cases, {:>7} cached",
            variant.label(),
            plan.rows[v].len(),
            hits
        );
    }
    let _ = writeln!(
        text,
        "forward passes: {} needed, {cached} cached, {to_compute} to compute",
        plan.forward_passes()
    );
    // Time per image: decode + preprocess + forward of a few real cases, measured now.
    if to_compute > 0 {
        if let Some(per_image) = measure(prepared, &model, &rows) {
            let _ = writeln!(
                text,
                "estimate: {:.0} s ({:.1} ms per image, measured on {} cases, {threads} threads)",
                per_image.as_secs_f64() * to_compute as f64,
                per_image.as_secs_f64() * 1e3,
                rows.len().min(4)
            );
        }
    } else {
        let _ = writeln!(text, "estimate: no inference (everything is cached)");
    }
    render::emit(&text);
    Ok(ExitStatus::Success)
}

/// Mean wall time to read and score one image, over up to four cases.
fn measure(
    prepared: &Prepared,
    model: &attest_model::LoadedModel,
    rows: &[usize],
) -> Option<Duration> {
    let paths = prepared.cases.images.as_ref()?;
    let sample: Vec<usize> = rows.iter().copied().take(4).collect();
    let started = Instant::now();
    for &row in &sample {
        let options = attest_data::limits::image_options(&prepared.spec.data);
        let image = attest_data::images::read_image(&paths[row], &options).ok()?;
        model.score_images(&[&image.image], 1).ok()?;
    }
    Some(started.elapsed() / sample.len().max(1) as u32)
}

/// One line per test: id, kind, verdict, the headline estimate, the reason.
pub fn verdict_table(results: &Results) -> String {
    let mut out = String::new();
    for t in &results.tests {
        let headline = attest_evidence::headline::headline(t);
        let _ = writeln!(
            out,
            "{:<12} {:<12} {:<13} {headline}",
            t.id,
            t.kind.as_str(),
            t.verdict.as_str()
        );
        if let Some(reason) = &t.reason {
            let _ = writeln!(out, "{:<12} {reason}", "");
        }
    }
    out
}

/// The spec's `explore:` outcome in one line, set apart from the verdicts: how many segments
/// were flagged of how many tried, and the first of them.
fn exploration_line(results: &Results) -> Option<String> {
    let e = results.exploration.as_ref()?;
    let found = match (&e.error, e.segments.first().filter(|s| s.flagged)) {
        (Some(error), _) => format!("could not run: {error}"),
        (None, Some(first)) => format!(
            "{} of {} segments flagged on {}; first: {} (AUC {:.3} [{:.3}, {:.3}], n={}, adjusted p {:.1e})",
            e.flagged, e.tried, e.cohort, first.segment, first.auc, first.ci_lower, first.ci_upper, first.n, first.adjusted_p
        ),
        (None, None) => format!(
            "0 of {} segments flagged on {} (FDR {})",
            e.tried, e.cohort, e.fdr
        ),
    };
    Some(format!(
        "{:<12} {found} — not a verdict; see the report's appendix\n",
        "EXPLORATORY"
    ))
}

fn summary_line(results: &Results) -> String {
    let count = |v: Verdict| results.tests.iter().filter(|t| t.verdict == v).count();
    format!(
        "{}: {} passed, {} failed, {} inconclusive, {} errors",
        results.verdict.as_str(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Inconclusive),
        count(Verdict::Error)
    )
}

/// A bar with rate and ETA on a terminal; a log line every 10 seconds otherwise (CI).
struct TerminalProgress {
    bar: Option<indicatif::ProgressBar>,
    log: Mutex<(u64, u64, Instant)>,
}

impl TerminalProgress {
    fn new() -> TerminalProgress {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} scoring {bar:30} {pos}/{len} images · {per_sec} · ETA {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        TerminalProgress {
            bar,
            log: Mutex::new((0, 0, Instant::now())),
        }
    }
}

impl Progress for TerminalProgress {
    fn start(&self, total: u64) {
        match &self.bar {
            Some(bar) => bar.set_length(total),
            None => {
                if let Ok(mut log) = self.log.lock() {
                    *log = (0, total, Instant::now());
                }
                eprintln!("scoring {total} (case, variant) pairs");
            }
        }
    }

    fn advance(&self, n: u64) {
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => {
                if let Ok(mut log) = self.log.lock() {
                    log.0 += n;
                    if log.2.elapsed() >= Duration::from_secs(10) {
                        eprintln!("scored {}/{}", log.0, log.1);
                        log.2 = Instant::now();
                    }
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
