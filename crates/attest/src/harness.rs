//! Specs as cargo tests. A model repository adds a test target with `harness = false` and
//! calls [`Harness::main`] (or the [`main`] shortcut): every test of every spec it names
//! becomes a cargo test called `SPEC_NAME::TEST_ID`, so `cargo test PERF-001` filters,
//! `cargo test -- --list` lists, and a FAIL fails `cargo test` with the estimate, its interval
//! and the criterion. INCONCLUSIVE fails too, unless the spec allows it for that test
//! (`allow_inconclusive: true`). The evidence bundle of each run is written to
//! `target/attest/SPEC_NAME/RUN_ID/`.
//!
//! ```toml
//! # Cargo.toml of the model repository
//! [[test]]
//! name = "attest"
//! harness = false
//! ```
//!
//! ```no_run
//! // tests/attest.rs: its `main` is this one call.
//! attest::harness::main(&["attest.yaml"], attest::Models::new());
//! ```
//!
//! Each spec runs once per test process, when its first selected test runs (listing runs
//! nothing); its tests then report from that run. When a filter selects only some of a
//! spec's tests (`cargo test PERF-001`), only those run — the forward passes and evaluation
//! of the others are skipped — and the bundle is marked partial
//! (`target/attest/SPEC_NAME/RUN_ID-partial/`, with a warning in its report): it is not
//! evidence for the whole spec. cargo-nextest runs every test in its own process with an
//! exact filter, so each process runs its one test; the prediction cache shares the
//! forward passes between them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};

use crate::runner::{accepted, describe, Run, Runner};
use crate::Models;

/// The specs of a test target and the models they may use.
#[derive(Debug, Default)]
pub struct Harness {
    specs: Vec<PathBuf>,
    models: Models,
    threads: Option<usize>,
}

impl Harness {
    /// A harness with no specs yet.
    pub fn new() -> Harness {
        Harness::default()
    }

    /// Adds a spec file; a relative path is taken from the package root
    /// (`CARGO_MANIFEST_DIR`), as cargo runs tests there.
    pub fn spec(mut self, path: impl AsRef<Path>) -> Harness {
        self.specs.push(path.as_ref().to_path_buf());
        self
    }

    /// The Rust models the specs may name (`model: { rust: NAME }`).
    pub fn models(mut self, models: Models) -> Harness {
        self.models = models;
        self
    }

    /// Threads for each run (default: every core).
    pub fn threads(mut self, threads: usize) -> Harness {
        self.threads = Some(threads);
        self
    }

    /// The cargo tests: one per spec test, named `SPEC_NAME::TEST_ID`, or one failing
    /// `SPEC_FILE::validate` test for a spec that cannot be read or is invalid. Each spec's
    /// run covers all of its tests.
    pub fn trials(self) -> Vec<Trial> {
        self.build(None)
    }

    /// The same trials, but a spec whose tests `args` (a filter, `--exact`, `--skip`) select
    /// only in part runs just those tests: `cargo test PERF-001` scores only what PERF-001
    /// needs. Such a run's bundle is marked partial (see [`Runner::only`]).
    pub fn trials_for(self, args: &Arguments) -> Vec<Trial> {
        self.build(Some(args))
    }

    fn build(self, args: Option<&Arguments>) -> Vec<Trial> {
        let root = package_root();
        let mut trials = Vec::new();
        for spec in &self.specs {
            let path = root.join(spec);
            let listing = match list_tests(&path) {
                Ok(listing) => listing,
                Err(message) => {
                    trials.push(Trial::test(
                        format!("{}::validate", spec.display()),
                        move || Err(Failed::from(message)),
                    ));
                    continue;
                }
            };
            let name = |id: &str| format!("{}::{id}", listing.name);
            let selected: Vec<String> = listing
                .tests
                .iter()
                .filter(|(id, kind)| {
                    args.is_none_or(|args| {
                        !args.is_filtered_out(
                            &Trial::test(name(id), || Ok(())).with_kind(kind.as_str()),
                        )
                    })
                })
                .map(|(id, _)| id.clone())
                .collect();
            let mut runner = Runner::new(&path)
                .models(self.models.clone())
                .out_dir(target_dir(&root).join("attest").join(&listing.name));
            if let Some(threads) = self.threads {
                runner = runner.threads(threads);
            }
            if !selected.is_empty() && selected.len() < listing.tests.len() {
                runner = runner.only(selected);
            }
            let shared = Arc::new(SpecRun {
                runner: Mutex::new(Some(runner)),
                run: OnceLock::new(),
            });
            for (id, kind) in &listing.tests {
                let shared = Arc::clone(&shared);
                let test_id = id.clone();
                trials.push(
                    Trial::test(name(id), move || shared.check(&test_id)).with_kind(kind.as_str()),
                );
            }
        }
        trials
    }

    /// Parses the test arguments cargo passes, runs the selected tests, prints the verdicts
    /// and exits with libtest's status (101 when a test failed).
    pub fn main(self) -> ! {
        let args = Arguments::from_args();
        let trials = self.trials_for(&args);
        libtest_mimic::run(&args, trials).exit()
    }
}

/// `Harness::new()` with `specs` and `models`, run as the test target's `main`.
pub fn main(specs: &[&str], models: Models) -> ! {
    specs
        .iter()
        .fold(Harness::new(), |h, s| h.spec(s))
        .models(models)
        .main()
}

/// One spec's run, made by the first of its tests to execute and read by the others.
struct SpecRun {
    runner: Mutex<Option<Runner>>,
    run: OnceLock<Result<Run, String>>,
}

impl SpecRun {
    /// The verdict of test `id`: Ok when acceptable, else the failure message.
    fn check(&self, id: &str) -> Result<(), Failed> {
        let run = self.run.get_or_init(|| {
            let runner = self
                .runner
                .lock()
                .map_err(|_| "a previous test panicked while running the spec".to_string())?
                .take()
                .ok_or_else(|| "the spec was already run".to_string())?;
            runner
                .run()
                .map_err(|e| format!("the spec could not be run: {e}"))
        });
        let run = run.as_ref().map_err(|e| Failed::from(e.as_str()))?;
        let test = run
            .test(id)
            .ok_or_else(|| Failed::from(format!("`{id}` is not in the run's results")))?;
        if accepted(test) {
            return Ok(());
        }
        let allow = if test.verdict == attest_spec::results::Verdict::Inconclusive {
            "\n(INCONCLUSIVE fails unless the spec sets `allow_inconclusive: true` for this test)"
        } else {
            ""
        };
        Err(Failed::from(format!(
            "{}{allow}\nevidence: {}",
            describe(test),
            run.bundle.display()
        )))
    }
}

/// A spec's name and its tests' ids and kinds, read without touching the data.
struct Listing {
    name: String,
    tests: Vec<(String, String)>,
}

/// Reads and validates the spec at `path` (the spec only: listing must be quick).
fn list_tests(path: &Path) -> Result<Listing, String> {
    let text = attest_spec::read_spec_file(path).map_err(|e| e.to_string())?;
    let source = attest_spec::SpecSource::new(path.display().to_string(), text);
    let base_dir = attest_engine::prepare::base_dir(path);
    let validation = attest_spec::validate_source(
        &source,
        &attest_spec::ValidateOptions {
            base_dir: Some(base_dir),
        },
    );
    let Some(spec) = validation.valid_spec() else {
        let error = attest_engine::PrepareError::InvalidSpec {
            path: path.to_path_buf(),
            diagnostics: validation.diagnostics.iter().cloned().collect(),
        };
        return Err(crate::runner::RunError::Prepare { error }.to_string());
    };
    Ok(Listing {
        name: spec.name.clone(),
        tests: spec
            .tests
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    attest_spec::infer_kind(t).as_str().to_string(),
                )
            })
            .collect(),
    })
}

/// The package being tested: `CARGO_MANIFEST_DIR` (set by cargo and cargo-nextest), else the
/// working directory.
fn package_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// Cargo's target folder: `CARGO_TARGET_DIR`, else the folder above the test executable
/// that holds cargo's `CACHEDIR.TAG`, else `target` in the package.
fn target_dir(root: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return root.join(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|d| d.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| root.join("target"))
}
