//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES_HELP;

/// Declare how a medical-imaging model must be tested, run the tests, keep the evidence.
#[derive(Debug, Parser)]
#[command(name = "attest", version, about, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the spec's tests: score every case and variant the tests need (with a prediction
    /// cache), evaluate every test, write results.json, predictions.parquet and the frozen
    /// spec into the run folder, and print the verdicts.
    Run(RunArgs),
    /// Render the spec as a verification test plan (plan.html) to review and sign before the
    /// run, and print its hash for `attest run --plan-hash`.
    Plan(PlanArgs),
    /// Merge the shard folders of `attest run --shard I/N` (all N of them) into one run
    /// folder: the same results a single run of the spec gives.
    Merge(MergeArgs),
    /// Re-hash an evidence bundle against its manifest (and the run's inputs where they are
    /// still present); name every changed, missing or extra file; exit 1 on any mismatch.
    Verify(VerifyArgs),
    /// Re-render a bundle's report (report.html) from its files alone, into another folder:
    /// the bundle itself is never modified (its manifest and signature stay valid).
    Report(ReportArgs),
    /// Compare two runs (e.g. two model versions on the same spec) as a regression report:
    /// per test the verdict before and after, per estimate the change with an interval, and
    /// how the data changed — diff.html, diff.pdf and diff.json; exit 1 if a verdict got
    /// worse.
    Diff(DiffArgs),
    /// Find where the model does worst (exploratory): rank metadata segments of a run's
    /// cohort — each value of a column, quantile bins of numbers, and pairs of those — by how
    /// far their AUC falls below the rest, with DeLong intervals and p-values adjusted for
    /// every segment tried (Benjamini–Hochberg). Never changes a verdict or the bundle.
    Explore(ExploreArgs),
    /// Find the cases most like one case, as the model sees them: cosine similarity of the
    /// model's penultimate-layer features (or a named layer) — among the run's cohort, or in
    /// an unlabelled pool of images (`--pool`), the "find more cases like this failure" step.
    /// Exact search; ONNX models. Never changes the bundle.
    Similar(SimilarArgs),
    /// Make an ed25519 key pair for signing evidence bundles: PREFIX.key (private, PKCS#8
    /// PEM, readable only by you) and PREFIX.pub (public, SPKI PEM, for `verify --key`).
    Keygen(KeygenArgs),
    /// Check specs for errors without running them: the spec, its data and cohorts, and its
    /// model (loaded and checked against `model.input`/`model.output`; no image is scored).
    Validate(ValidateArgs),
    /// Print the JSON Schema of the spec (or of the results record).
    Schema(SchemaArgs),
    /// Write a commented starter `attest.yaml` (and its schema, for editor help).
    Init(InitArgs),
    /// Explain the spec language: metrics, CI methods, perturbation kinds, test kinds.
    Explain(ExplainArgs),
    /// Print every binary metric with its confidence interval for a table of labels and
    /// scores (CSV, CSV.GZ or Parquet) — the quick look before writing a spec.
    Metrics(MetricsArgs),
    /// Apply a perturbation kind to an image (or list the kinds, or draw a contact sheet of
    /// every severity) — to see what a robustness test does to a radiograph.
    Perturb(PerturbArgs),
    /// Score every case of a spec's data (or one cohort) with the spec's model and write one
    /// row per case: checks that the model runs on the data, and how fast, before a full run.
    Predict(PredictArgs),
    /// Print this command-line reference as Markdown (the book's CLI chapter is made with
    /// it: `attest cli-reference > book/src/cli.md`).
    #[command(hide = true)]
    CliReference,
}

/// Arguments of `attest run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The spec to run.
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// Write the run's files into exactly this folder [default: evidence/<spec name>/<run id>/
    /// beside the spec]. An existing folder is replaced only if it is empty or an earlier run.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Threads for decoding, perturbing and the forward pass [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Score everything again: neither read nor write the prediction cache.
    #[arg(long)]
    pub no_cache: bool,
    /// The prediction cache folder [default: $ATTEST_CACHE_DIR, $XDG_CACHE_HOME/attest or
    /// ~/.cache/attest].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print the plan (cases per cohort, variants, forward passes, cached vs to compute, an
    /// estimate of the time) and exit without scoring.
    #[arg(long)]
    pub dry_run: bool,
    /// ONNX runtime, overriding the spec's `model.backend`.
    #[arg(long, value_enum, value_name = "BACKEND")]
    pub backend: Option<Backend>,
    /// Cases per chunk, and images per forward pass (memory is bounded by this many cases'
    /// images and their perturbed variants).
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub batch: usize,
    /// Score only the I-th of N deterministic slices of the planned cases (1 ≤ I ≤ N) and
    /// write a shard folder [default: evidence/<spec name>/shards/<I>-of-<N>/ beside the
    /// spec]; combine the N folders with `attest merge`. For spreading a large test set over
    /// a cluster's job array.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<attest_engine::ShardId>,
    /// Refuse to run unless the spec's SHA-256 is this: the hash `attest plan` printed for
    /// the approved test plan. The report then states whether the run went as planned.
    #[arg(long, value_name = "SHA256")]
    pub plan_hash: Option<String>,
    /// Sign the bundle's manifest with this private key (from `attest keygen`): writes
    /// manifest.dsse.json, a DSSE envelope over an in-toto statement naming the manifest.
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// Run only this test (repeat for more): a quick check while editing a spec. The run is
    /// partial — its run id (and default folder) ends in `-partial`, and its report says
    /// which tests ran — and is not evidence for the whole spec.
    #[arg(long = "test", value_name = "ID", conflicts_with_all = ["shard", "plan_hash"])]
    pub tests: Vec<String>,
}

fn parse_shard(text: &str) -> Result<attest_engine::ShardId, String> {
    text.parse()
}

/// Arguments of `attest plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The spec.
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// The folder to write plan.html into [default: evidence/<spec name>/plan-<first 8 hex
    /// digits of the hash>/ beside the spec].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Arguments of `attest verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The bundle (a run folder written by `attest run` or `attest merge`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Where the run's inputs are (the spec's folder) [default: the folder the manifest
    /// recorded, when it exists].
    #[arg(long, value_name = "DIR", conflicts_with = "no_inputs")]
    pub inputs: Option<PathBuf>,
    /// Check the bundle alone, not the inputs.
    #[arg(long)]
    pub no_inputs: bool,
    /// The signer's public key (from `attest keygen`): the bundle must be validly signed by
    /// it.
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<PathBuf>,
}

/// Arguments of `attest report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The bundle (a run folder).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Where to write report.html [default: DIR.report/ beside the bundle].
    #[arg(long, short = 'o', value_name = "OUT")]
    pub out: Option<PathBuf>,
}

/// Arguments of `attest diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The first (baseline) bundle.
    #[arg(value_name = "DIR_A")]
    pub before: PathBuf,
    /// The second bundle, compared against the first.
    #[arg(value_name = "DIR_B")]
    pub after: PathBuf,
    /// Where to write diff.html, diff.pdf and diff.json [default: DIR_B.diff/ beside it].
    #[arg(long, short = 'o', value_name = "OUT")]
    pub out: Option<PathBuf>,
}

/// Arguments of `attest explore`.
#[derive(Debug, clap::Args)]
pub struct ExploreArgs {
    /// The run folder (a bundle written by `attest run`).
    #[arg(value_name = "RUN_DIR")]
    pub dir: PathBuf,
    /// The cohort to search [default: the cohort the spec's tests name most often].
    #[arg(long, value_name = "NAME")]
    pub cohort: Option<String>,
    /// Only these metadata columns (comma-separated) [default: every column but the id,
    /// image, label and cluster columns].
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Smallest segment tried, in cases (its complement needs as many).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub min_cases: usize,
    /// False-discovery rate at which a segment is flagged.
    #[arg(long, value_name = "Q", default_value_t = 0.05)]
    pub fdr: f64,
    /// Single columns only (no intersections of two columns).
    #[arg(long)]
    pub no_pairs: bool,
    /// Rows of the table to print.
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub top: usize,
    /// Print every segment as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write the run's failure galleries as PNG thumbnail sheets into this folder: the
    /// false positives and negatives of each performance test at its operating point, and
    /// the cases whose decision flips (or that are hurt most) under each robustness or
    /// invariance test's perturbation.
    #[arg(long, value_name = "DIR")]
    pub gallery: Option<PathBuf>,
    /// The folder the spec was in (the case table is read from there) [default: where the
    /// run's manifest says it was].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// Arguments of `attest similar`.
#[derive(Debug, clap::Args)]
pub struct SimilarArgs {
    /// The run folder (a bundle written by `attest run`).
    #[arg(value_name = "RUN_DIR")]
    pub dir: PathBuf,
    /// The case to find neighbours of: its id in the run's case table.
    #[arg(value_name = "CASE_ID")]
    pub case: String,
    /// How many neighbours to list.
    #[arg(long, short = 'k', value_name = "N", default_value_t = 10)]
    pub k: usize,
    /// Search this table of images instead of the run's cases (CSV or Parquet with an image
    /// column; paths relative to the table): an unlabelled pool to collect more cases from.
    #[arg(long, value_name = "TABLE")]
    pub pool: Option<PathBuf>,
    /// The pool table's image column [default: the spec's image column, else `image`, `file`
    /// or `path`].
    #[arg(long, value_name = "NAME")]
    pub pool_image_column: Option<String>,
    /// The cohort searched when there is no pool [default: the cohort the spec's tests name
    /// most often].
    #[arg(long, value_name = "NAME")]
    pub cohort: Option<String>,
    /// The ONNX node whose output is the embedding [default: the input of the last
    /// Gemm/MatMul, the penultimate layer].
    #[arg(long, value_name = "NODE")]
    pub layer: Option<String>,
    /// Compute every embedding with the model, even where the bundle stores them
    /// (`embeddings.parquet`, from `explore: { embeddings: true }`).
    #[arg(long)]
    pub no_stored: bool,
    /// Print the neighbours as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The folder the spec was in (the case table, images and model are read from there)
    /// [default: where the run's manifest says it was].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// Arguments of `attest keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the pair: PREFIX.key and PREFIX.pub (existing files are never
    /// overwritten).
    #[arg(long, short = 'o', value_name = "PREFIX", default_value = "attest")]
    pub out: PathBuf,
}

/// Arguments of `attest merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The spec the shards ran (checked against the SHA-256 each shard recorded).
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// The shard folders, all N of them, in any order.
    #[arg(value_name = "SHARD_DIR", required = true)]
    pub shards: Vec<PathBuf>,
    /// Write the run's files into exactly this folder [default: evidence/<spec name>/<run id>/
    /// beside the spec].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Threads for hashing the images and the bootstrap.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Sign the bundle's manifest with this private key (from `attest keygen`): writes
    /// manifest.dsse.json, a DSSE envelope over an in-toto statement naming the manifest.
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
}

/// Arguments of `attest predict`.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// The spec whose model and data are used.
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// Output CSV: the data's id column, then `score` (binary) or one column per class.
    #[arg(short = 'o', long = "output", value_name = "CSV")]
    pub output: PathBuf,
    /// Score only this cohort's cases (default: every case).
    #[arg(long, value_name = "NAME")]
    pub cohort: Option<String>,
    /// ONNX runtime, overriding the spec's `model.backend`.
    #[arg(long, value_enum, value_name = "BACKEND")]
    pub backend: Option<Backend>,
    /// Threads for decoding, preprocessing and the forward pass [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Images per forward pass (memory is bounded by this many preprocessed images).
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub batch: usize,
}

/// ONNX runtimes selectable by flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// tract: embedded, pure Rust (the default).
    Tract,
    /// onnxruntime, loaded from ORT_DYLIB_PATH (needs a build with `--features onnxruntime`).
    Onnxruntime,
}

/// Arguments of `attest perturb`.
#[derive(Debug, clap::Args)]
pub struct PerturbArgs {
    /// Input image: PNG, TIFF, JPEG or DICOM (16-bit grayscale is kept 16-bit; DICOM is
    /// rendered as a viewer shows it: rescale, VOI window, MONOCHROME1 inverted).
    #[arg(value_name = "INPUT", required_unless_present = "list")]
    pub input: Option<PathBuf>,
    /// The frame of a multi-frame DICOM input to read (from 0).
    #[arg(long, value_name = "N")]
    pub frame: Option<u32>,
    /// The perturbation kind (`attest perturb --list` lists them).
    #[arg(long, value_name = "K", required_unless_present = "list")]
    pub kind: Option<String>,
    /// Severity, from 1 to the kind's maximum (0 = unchanged). Not needed with --sheet.
    #[arg(long, value_name = "S", required_unless_present_any = ["list", "sheet"])]
    pub severity: Option<u8>,
    /// Seed of the random draws (the output is a pure function of image, kind, parameters
    /// and seed).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Output file (.png or .tiff).
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUTPUT",
        required_unless_present = "list"
    )]
    pub output: Option<PathBuf>,
    /// Write one contact sheet: the clean image and every severity side by side, labelled.
    #[arg(long)]
    pub sheet: bool,
    /// Height of each contact-sheet tile in pixels (taller inputs are scaled down).
    #[arg(long, value_name = "PX", default_value_t = 320)]
    pub tile_height: usize,
    /// List the kinds with a one-line description, their parameters and severity tables.
    #[arg(long)]
    pub list: bool,
    /// Use a kind's alternative severity table (e.g. `medmnistc`).
    #[arg(long, value_name = "SOURCE")]
    pub table: Option<String>,
    /// Override a parameter of the severity's row, e.g. `--param sigma=0.1` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

/// Arguments of `attest metrics`.
#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// The table of cases: .csv, .csv.gz or .parquet with a header row.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Column holding the true label.
    #[arg(long, value_name = "COL")]
    pub label: String,
    /// Label value meaning "positive" (every other value is negative). Numeric columns
    /// compare numerically, so `1` matches `1.0`.
    #[arg(long, value_name = "VALUE")]
    pub positive: String,
    /// Column holding the model's score (higher = more likely positive).
    #[arg(long, value_name = "COL")]
    pub score: String,
    /// Threshold for the threshold metrics: a case is positive iff score >= T.
    #[arg(long, value_name = "T", default_value_t = 0.5)]
    pub threshold: f64,
    /// Interval method for proportions (wilson, clopper_pearson, jeffreys, agresti_coull) or
    /// a bootstrap for every metric (bootstrap_bca, bootstrap_percentile). AUC uses DeLong
    /// unless a bootstrap is chosen.
    /// [default: wilson, or bootstrap_bca with --bootstrap]
    #[arg(long, value_name = "METHOD")]
    pub ci: Option<String>,
    /// Confidence level.
    #[arg(long, value_name = "L", default_value_t = 0.95)]
    pub level: f64,
    /// Bootstrap resamples (used when --ci is a bootstrap method; giving it without --ci
    /// selects bootstrap_bca).
    #[arg(long, value_name = "N")]
    pub bootstrap: Option<u32>,
    /// Seed of the bootstrap.
    #[arg(long, value_name = "S", default_value_t = 20_261_126)]
    pub seed: u64,
    /// Column of cluster ids (e.g. patient): the bootstrap resamples clusters, not rows.
    #[arg(long, value_name = "COL")]
    pub cluster: Option<String>,
    /// Also give PPV and NPV at this prevalence (e.g. the intended population's).
    #[arg(long, value_name = "P")]
    pub prevalence: Option<f64>,
    /// Print one JSON object instead of the table (numbers at full precision).
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `attest validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Spec files to check.
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Skip checks that read other files (referenced files exist, table columns, cohorts,
    /// the model).
    #[arg(long)]
    pub skip_files: bool,
    /// Treat warnings (e.g. threshold leakage) as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source excerpts, for people.
    Human,
    /// One JSON document, for machines.
    Json,
}

/// Arguments of `attest schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Print the results-record schema instead of the spec schema.
    #[arg(long)]
    pub results: bool,
}

/// Arguments of `attest init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder to write `attest.yaml` into (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite an existing `attest.yaml`.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `attest explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A topic (`metrics`, `ci`, `perturbations`, `tests`, `exit-codes`) or a name
    /// (`sensitivity`, `wilson`, `gaussian_noise`, `robustness`…). Without it, lists topics.
    pub name: Option<String>,
}
