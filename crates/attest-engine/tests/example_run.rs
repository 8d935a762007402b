//! The bundled example end to end: every test kind evaluated, results snapshotted (volatile
//! fields redacted), identical across thread counts, with and without the cache, and with a
//! corrupted cache entry, and when computed in shards and merged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use attest_data::cases::ImageCheck;
use attest_engine::cache::Cache;
use attest_engine::{NoProgress, Prepared, RunOptions, ShardId};
use attest_spec::results::{Results, Verdict};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/chest-xray")
}

fn prepare() -> Prepared {
    let path = example().join("attest.yaml");
    let validation = attest_spec::validate_file(&path).unwrap();
    let spec = validation
        .valid_spec()
        .expect("the example is valid")
        .clone();
    let check =
        attest_data::check::check(&spec, &validation.source, &example(), ImageCheck::Exists);
    assert!(!check.has_errors());
    Prepared {
        spec,
        source: validation.source.clone(),
        base_dir: example(),
        cases: check.cases.unwrap(),
        cohorts: check.cohorts.unwrap(),
        partial: None,
    }
}

fn options(threads: usize, cache: Option<&Path>) -> RunOptions<'static> {
    RunOptions {
        threads,
        batch: 16,
        cache: cache.map(Cache::new),
        backend: None,
        models: None,
        stop: None,
        progress: &NoProgress,
        run_id: "test-run".into(),
    }
}

fn run(prepared: &Prepared, threads: usize, cache: Option<&Path>) -> attest_engine::Outcome {
    attest_engine::run(prepared, &options(threads, cache)).unwrap()
}

/// The record without what differs between runs of the same spec on the same data: times,
/// machine, and how much came from the cache.
fn stable(results: &Results) -> Results {
    let mut r = results.clone();
    r.started_at = "<time>".into();
    r.finished_at = None;
    r.environment = None;
    r.inference = None;
    r.shards.clear();
    r.warnings.retain(|w| !w.contains("cache"));
    r
}

#[test]
fn the_example_runs_every_test_kind_deterministically_and_caches_its_predictions() {
    let prepared = prepare();
    let cache = tempfile::tempdir().unwrap();
    let cold = run(&prepared, 1, Some(cache.path()));
    let inference = cold.results.inference.clone().unwrap();
    assert_eq!(inference.cached, 0);
    assert_eq!(inference.computed, inference.needed);
    // 300 unperturbed + 10 perturbation levels × 183 test cases.
    assert_eq!(inference.needed, 300 + 10 * 183);
    assert!(cold.results.exclusions.is_empty());
    for t in &cold.results.tests {
        assert_ne!(t.verdict, Verdict::Error, "{}: {:?}", t.id, t.reason);
        assert!(!t.estimates.is_empty(), "{}", t.id);
    }

    // Warm: nothing recomputed, same results, on another thread count.
    let warm = run(&prepared, 2, Some(cache.path()));
    let inference = warm.results.inference.clone().unwrap();
    assert_eq!(inference.computed, 0);
    assert_eq!(inference.cached, inference.needed);
    assert_eq!(stable(&warm.results), stable(&cold.results));

    // Three shards written to folders and merged (given in another order): the same results
    // and the same per-case predictions as the single run.
    let shards = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for index in [3, 1, 2] {
        let shard = ShardId { index, count: 3 };
        let outcome =
            attest_engine::run_shard(&prepared, shard, &options(2, Some(cache.path()))).unwrap();
        let dir = shards.path().join(format!("{index}-of-3"));
        attest_engine::write_shard(&dir, &prepared, &outcome).unwrap();
        dirs.push(dir);
    }
    let merged = attest_engine::merge(&prepared, &dirs, "test-run".into(), 2).unwrap();
    assert_eq!(stable(&merged.results), stable(&cold.results));
    assert_eq!(merged.results.shards.len(), 3);
    assert_eq!(
        merged.results.shards.iter().map(|s| s.cases).sum::<u64>(),
        300
    );
    let frame = |o: &attest_engine::Outcome| {
        attest_engine::output::predictions_frame(&prepared, o).unwrap()
    };
    assert!(frame(&merged).equals_missing(&frame(&cold)));
    // Two of three shards are refused, naming the missing one.
    let error = attest_engine::merge(&prepared, &dirs[..2], "x".into(), 2)
        .unwrap_err()
        .to_string();
    assert!(error.contains("2/3"), "{error}");
    // The same shard twice is refused.
    let twice = [dirs[0].clone(), dirs[1].clone(), dirs[1].clone()];
    let error = attest_engine::merge(&prepared, &twice, "x".into(), 2)
        .unwrap_err()
        .to_string();
    assert!(error.contains("twice"), "{error}");

    // No cache at all, two threads: same numbers.
    let uncached = run(&prepared, 2, None);
    assert_eq!(stable(&uncached.results), stable(&cold.results));

    // A corrupted entry is detected, recomputed and reported; results unchanged.
    let entry = walk(cache.path()).into_iter().next().unwrap();
    let mut bytes = std::fs::read(&entry).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&entry, bytes).unwrap();
    let repaired = run(&prepared, 2, Some(cache.path()));
    assert_eq!(repaired.results.inference.clone().unwrap().computed, 1);
    assert!(repaired
        .results
        .warnings
        .iter()
        .any(|w| w.contains("corrupted")));
    assert_eq!(stable(&repaired.results), stable(&cold.results));

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!(
            "chest_xray_results",
            serde_json::to_string_pretty(&rounded(
                serde_json::to_value(stable(&cold.results)).unwrap()
            ))
            .unwrap()
        );
    });
}

#[test]
fn the_run_folder_holds_results_predictions_and_the_spec_and_is_replaced_whole() {
    let prepared = prepare();
    let cache = tempfile::tempdir().unwrap();
    let outcome = run(&prepared, 2, Some(cache.path()));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    attest_engine::write_run(&out, &prepared, &outcome).unwrap();
    let results: Results =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results, outcome.results);
    assert_eq!(
        std::fs::read_to_string(out.join("spec.yaml")).unwrap(),
        prepared.source.text
    );
    let frame = attest_data::table::Table::read(&out.join("predictions.parquet")).unwrap();
    assert_eq!(frame.len(), 300 + 10 * 183);
    // An earlier run is replaced; nothing else is left beside it.
    attest_engine::write_run(&out, &prepared, &outcome).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["run"]);
    // A folder of someone else's files is never replaced.
    let other = dir.path().join("mine");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "keep me").unwrap();
    assert!(attest_engine::write_run(&other, &prepared, &outcome).is_err());
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "keep me"
    );
}

/// Every float to 6 decimals, so that the snapshot does not depend on the last bits of the
/// forward pass (which vary with the CPU's vector instructions); exact equality across runs
/// on one machine is checked above.
fn rounded(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let v = n.as_f64().unwrap();
            serde_json::json!((v * 1e6).round() / 1e6)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(rounded).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, rounded(v))).collect())
        }
        other => other,
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
