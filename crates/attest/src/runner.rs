//! Running a spec from Rust: [`Runner`] loads a spec, runs it with the models a program
//! registers, writes the evidence bundle, and hands back a [`Run`] to inspect and assert on.
//! It is what `attest run` does, minus the terminal.
//!
//! A spec over precomputed scores, run and checked in a `#[test]`-style function:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! // 200 cases: positives score higher than negatives, with some overlap.
//! let mut cases = String::from("case_id,finding\n");
//! let mut scores = String::from("case_id,score\n");
//! for i in 0..200 {
//!     let positive = i % 2 == 0;
//!     let score = if positive { 0.35 } else { 0.0 } + (i * 37 % 100) as f64 / 160.0;
//!     cases += &format!("c{i},{}\n", u8::from(positive));
//!     scores += &format!("c{i},{score}\n");
//! }
//! std::fs::write(dir.path().join("cases.csv"), cases)?;
//! std::fs::write(dir.path().join("scores.csv"), scores)?;
//! std::fs::write(dir.path().join("attest.yaml"), r#"
//! attest: 1
//! name: scores-demo
//! intended_use: A demonstration over synthetic scores.
//! seed: 1
//! model: { id: demo, scores: scores.csv, output: { task: binary, positive: "1" } }
//! data: { table: cases.csv, id: case_id, label: { column: finding, positive: "1" } }
//! tests:
//!   - id: PERF-001
//!     cohort: all
//!     metric: auc
//!     ci: { method: delong }
//!     require: { lower: ">= 0.75" }
//! "#)?;
//!
//! let run = attest::Runner::new(dir.path().join("attest.yaml"))
//!     .out_dir(dir.path().join("evidence"))
//!     .no_cache()
//!     .run()?;
//! let auc = &run.test("PERF-001").expect("the spec has PERF-001").estimates[0];
//! assert!(auc.value.is_some_and(|v| v > 0.8), "{}", run.summary());
//! run.assert_passed();
//! assert!(run.bundle.join("report.html").is_file());
//! # Ok(())
//! # }
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use attest_engine::{Cache, NoProgress, RunOptions};
use attest_spec::results::{Results, TestResult, Verdict};

use crate::Models;

/// Why a spec could not be run (a test that fails is not an error: it is a verdict in the
/// [`Run`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The spec or its data is invalid, or the spec cannot be read.
    #[error("{error}{}", render_diagnostics(.error))]
    Prepare {
        /// What is wrong, with the diagnostics.
        error: attest_engine::PrepareError,
    },
    /// The run itself failed (model, perturbation, interruption).
    #[error("{0}")]
    Engine(#[from] attest_engine::EngineError),
    /// The evidence bundle could not be written.
    #[error("{0}")]
    Evidence(#[from] attest_evidence::EvidenceError),
}

/// The diagnostics of a prepare error as `attest validate` prints them, without colour.
fn render_diagnostics(error: &attest_engine::PrepareError) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    let mut out = String::new();
    for d in error.diagnostics() {
        out.push('\n');
        let _ = handler.render_report(&mut out, d);
    }
    out
}

/// Runs one spec. Built with [`Runner::new`] and the setters; [`Runner::run`] does the work.
#[derive(Debug)]
pub struct Runner {
    spec: PathBuf,
    models: Models,
    out_dir: Option<PathBuf>,
    threads: usize,
    batch: usize,
    cache_dir: Option<PathBuf>,
    use_cache: bool,
    only: Option<Vec<String>>,
}

impl Runner {
    /// A runner for the spec file at `spec` (relative paths inside the spec are resolved
    /// against the spec's folder, as on the command line).
    pub fn new(spec: impl AsRef<Path>) -> Runner {
        Runner {
            spec: spec.as_ref().to_path_buf(),
            models: Models::new(),
            out_dir: None,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            batch: 32,
            cache_dir: None,
            use_cache: true,
            only: None,
        }
    }

    /// The Rust models the spec may name (`model: { rust: NAME }`).
    pub fn models(mut self, models: Models) -> Runner {
        self.models = models;
        self
    }

    /// Where the run folder goes: `DIR/RUN_ID`. Default: `evidence/SPEC_NAME/RUN_ID` beside
    /// the spec, as `attest run` writes it.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Runner {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Threads for decoding, perturbing and the model (default: every core).
    pub fn threads(mut self, threads: usize) -> Runner {
        self.threads = threads.max(1);
        self
    }

    /// The prediction cache's folder (default: `$ATTEST_CACHE_DIR`, else the user cache).
    pub fn cache_dir(mut self, dir: impl AsRef<Path>) -> Runner {
        self.cache_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Runs without the prediction cache: every forward pass is computed.
    pub fn no_cache(mut self) -> Runner {
        self.use_cache = false;
        self
    }

    /// Runs only the tests with these ids (unknown ids are ignored), for a quick check of
    /// one test. When that leaves out any test of the spec, the run is **partial**: its
    /// bundle folder is `RUN_ID-partial` and its results and report carry a warning naming
    /// what ran, so it cannot pass for evidence of the whole spec.
    pub fn only<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Runner {
        self.only = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Validates the spec and its data, runs its tests (all, or those of [`Runner::only`]),
    /// and writes the evidence bundle.
    pub fn run(self) -> Result<Run, RunError> {
        let mut prepared =
            attest_engine::prepare(&self.spec).map_err(|error| RunError::Prepare { error })?;
        if let Some(only) = &self.only {
            prepared.retain_tests(only);
        }
        let run_id = attest_engine::prepare::new_run_id(&prepared);
        let bundle = match &self.out_dir {
            Some(dir) => dir.join(&run_id),
            None => attest_engine::run::default_out_dir(
                &prepared.base_dir,
                &prepared.spec.name,
                &run_id,
            ),
        };
        let cache = self
            .use_cache
            .then(|| Cache::new(self.cache_dir.clone().unwrap_or_else(Cache::default_dir)));
        let options = RunOptions {
            threads: self.threads,
            batch: self.batch,
            cache,
            backend: None,
            models: Some(&self.models),
            stop: None,
            progress: &NoProgress,
            run_id,
        };
        let outcome = attest_engine::run(&prepared, &options)?;
        attest_evidence::write_bundle(&bundle, &prepared, &outcome, None)?;
        Ok(Run {
            results: outcome.results,
            bundle,
        })
    }
}

/// A finished run: its results record and where its evidence bundle is.
#[derive(Debug, Clone)]
pub struct Run {
    /// Every test's verdict, estimates and criteria, as in `results.json`.
    pub results: Results,
    /// The evidence bundle's folder.
    pub bundle: PathBuf,
}

impl Run {
    /// The overall verdict.
    pub fn verdict(&self) -> Verdict {
        self.results.verdict
    }

    /// The result of the test `id`.
    pub fn test(&self, id: &str) -> Option<&TestResult> {
        self.results.tests.iter().find(|t| t.id == id)
    }

    /// Whether the run is acceptable: every test passed, or is INCONCLUSIVE where the spec
    /// allows it.
    pub fn passed(&self) -> bool {
        self.results.tests.iter().all(accepted)
    }

    /// Panics with the verdict table unless [`Run::passed`]: for `#[test]` functions.
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.passed() {
            panic!("{}", self.summary());
        }
    }

    /// One line per test (id, verdict, estimate with interval and criterion, reason) and
    /// where the evidence is.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for t in &self.results.tests {
            let _ = writeln!(out, "{}", describe(t));
        }
        let _ = write!(
            out,
            "{} · evidence: {}",
            self.results.verdict.as_str(),
            self.bundle.display()
        );
        out
    }
}

/// Whether a test's verdict is acceptable: PASS, or INCONCLUSIVE where the spec allows it.
pub fn accepted(test: &TestResult) -> bool {
    match test.verdict {
        Verdict::Pass => true,
        Verdict::Inconclusive => test.allow_inconclusive,
        Verdict::Fail | Verdict::Error => false,
    }
}

/// `ID  VERDICT  headline` and, on its own line, the reason for anything but PASS.
pub fn describe(test: &TestResult) -> String {
    let mut line = format!(
        "{:<12} {:<13} {}",
        test.id,
        test.verdict.as_str(),
        attest_evidence::headline::headline(test)
    );
    if let Some(reason) = &test.reason {
        let _ = write!(line, "\n{:<12} {reason}", "");
    }
    line
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// A scores-only spec with two tests over 200 synthetic cases, in `dir`.
    fn two_test_spec(dir: &Path) -> PathBuf {
        let mut cases = String::from("case_id,finding\n");
        let mut scores = String::from("case_id,score\n");
        for i in 0..200u32 {
            let positive = i % 2 == 0;
            let score = if positive { 0.35 } else { 0.0 } + f64::from(i * 37 % 100) / 160.0;
            cases += &format!("c{i},{}\n", u8::from(positive));
            scores += &format!("c{i},{score}\n");
        }
        std::fs::write(dir.join("cases.csv"), cases).unwrap();
        std::fs::write(dir.join("scores.csv"), scores).unwrap();
        let spec = dir.join("attest.yaml");
        std::fs::write(
            &spec,
            r#"
attest: 1
name: two-tests
intended_use: A demonstration over synthetic scores.
seed: 1
model: { id: demo, scores: scores.csv, output: { task: binary, positive: "1" } }
data: { table: cases.csv, id: case_id, label: { column: finding, positive: "1" } }
cohorts:
  tune: { where: "case_id < 'c5'" }
  test: { where: "case_id >= 'c5'" }
operating_points:
  high_sensitivity: { choose_on: tune, target: { sensitivity: 0.9 } }
tests:
  - id: PERF-001
    cohort: test
    metric: auc
    require: { lower: ">= 0.75" }
  - id: PERF-002
    cohort: test
    metric: specificity
    at: high_sensitivity
    require: { estimate: ">= 0.01" }
"#,
        )
        .unwrap();
        spec
    }

    #[test]
    fn a_run_of_some_tests_is_marked_partial_in_its_results_and_folder() {
        let dir = tempfile::tempdir().unwrap();
        let spec = two_test_spec(dir.path());
        let run = Runner::new(&spec)
            .out_dir(dir.path().join("evidence"))
            .no_cache()
            .only(["PERF-001"])
            .run()
            .unwrap();
        assert_eq!(run.results.tests.len(), 1);
        assert_eq!(run.results.tests[0].id, "PERF-001");
        assert!(
            run.results.warnings[0]
                .starts_with("partial run: only 1 of the spec's 2 tests ran (PERF-001)"),
            "{:?}",
            run.results.warnings
        );
        assert!(run.bundle.to_string_lossy().ends_with("-partial"));
        let report = std::fs::read_to_string(run.bundle.join("report.html")).unwrap();
        assert!(report.contains("partial run: only 1 of the spec"));
    }

    #[test]
    fn selecting_every_test_is_a_whole_run() {
        let dir = tempfile::tempdir().unwrap();
        let spec = two_test_spec(dir.path());
        let run = Runner::new(&spec)
            .out_dir(dir.path().join("evidence"))
            .no_cache()
            .only(["PERF-002", "PERF-001", "NOT-A-TEST"])
            .run()
            .unwrap();
        assert_eq!(run.results.tests.len(), 2);
        assert!(!run.results.warnings.iter().any(|w| w.contains("partial")));
        assert!(!run.bundle.to_string_lossy().ends_with("-partial"));
    }
}
