//! The bodies of Attest's fuzz targets, one function per untrusted input: a spec, an image
//! file, a case table and an evidence bundle. `fuzz/` (cargo-fuzz, nightly) calls them with
//! libFuzzer's inputs; `tests/corpus.rs` replays the committed corpus and every crash ever
//! found through them on stable, so a fixed crash stays fixed in CI.
//!
//! Each function must return normally for every input: a panic, an abort, a hang or an
//! allocation beyond libFuzzer's limit is a finding. Where a target can also check a
//! property (a changed bundle never verifies), it asserts it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use attest_spec::{validate_source, Diagnostic, SpecSource, ValidateOptions};

mod bundle;

pub use bundle::verify;

/// Makes panics behave as in production: libFuzzer's harness aborts on *any* panic, even
/// one Attest catches on purpose (it wraps two dependency decoders that can panic on damaged
/// files, turning the panic into that file's error). With the default-like hook set here, a
/// caught panic is just printed, and an uncaught one still aborts (libfuzzer-sys catches it
/// at the top of each input and aborts), so every crash the fuzzer reports is a crash a user
/// would see.
fn production_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| eprintln!("panic (caught or not): {info}")));
    });
}

/// A scratch folder for targets that must read from a file, kept for the process: in
/// `/dev/shm` where it exists (no disk writes per execution).
fn scratch() -> &'static Path {
    static DIR: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let builder = tempfile::Builder::new()
            .prefix("attest-fuzz-")
            .tempdir_in(shm);
        builder.or_else(|_| tempfile::tempdir()).ok()
    })
    .as_ref()
    .map_or(Path::new("."), |d| d.path())
}

/// A name for the calling thread, distinct per thread (libFuzzer may run jobs in threads).
fn thread_tag() -> String {
    format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_alphanumeric(), "")
}

/// A path in the scratch folder, distinct per thread.
fn scratch_file(name: &str) -> PathBuf {
    scratch().join(format!("{}-{name}", thread_tag()))
}

/// Renders a diagnostic as the CLI does, so that spans which do not fit the source are found
/// here rather than by a user.
fn render(diagnostic: &Diagnostic) {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(100)
            .with_links(false);
    let mut out = String::new();
    let _ = handler.render_report(&mut out, diagnostic);
}

/// The spec loader: YAML parsing, schema and semantic validation, and diagnostics rendering,
/// without touching the file system.
pub fn spec(data: &[u8]) {
    production_panics();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = SpecSource::new("fuzz.yaml".to_string(), text.to_string());
    let validation = validate_source(&source, &ValidateOptions { base_dir: None });
    for diagnostic in validation.diagnostics.iter() {
        render(diagnostic);
    }
}

/// The image path: content sniffing, PNG/JPEG/TIFF decoding and DICOM parsing, modality
/// and VOI transforms, frame selection, within size limits.
///
/// The pixel limit is 4 million here rather than the default 100 million: the code that
/// enforces it is the same, and inputs whose headers declare large images stay cheap to
/// decode, so the fuzzer spends its time on new inputs.
/// Inputs of odd length ask for frame 0 (the multi-frame path); even ones name no frame.
pub fn image(data: &[u8]) {
    production_panics();
    let path = scratch_file("image");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let options = attest_data::images::ReadOptions {
        limits: attest_data::images::ImageLimits {
            max_file_bytes: 64 << 20,
            max_pixels: 4_000_000,
        },
        frame: (data.len() % 2 == 1).then_some(0),
    };
    let _ = attest_data::images::read_image(&path, &options);
}

/// The spec a fuzzed case table is checked against: every column kind the data layer reads
/// (id, image, binary label, cluster, grouping) and a cohort predicate over two columns.
const TABLE_SPEC: &str = r#"
attest: 1
name: fuzz
intended_use: Fuzzing the case-table reader.
model: { id: m, scores: scores.csv }
data:
  table: cases.csv
  id: case_id
  image: file
  label: { column: finding, positive: nodule }
  cluster: patient_id
cohorts:
  older_a: { where: "site = 'A' AND age_years >= 5" }
tests:
  - id: PERF-001
    cohort: older_a
    metric: auc
    require: { estimate: ">= 0.5" }
"#;

/// The case-table reader: the first byte picks CSV, gzip CSV or Parquet; the rest is the
/// file. Read alone, then checked against a spec (labels, ids, clusters, cohorts, located
/// diagnostics rendered).
pub fn table(data: &[u8]) {
    production_panics();
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let name = match kind % 3 {
        0 => "cases.csv",
        1 => "cases.csv.gz",
        _ => "cases.parquet",
    };
    let dir = scratch_file("table");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let path = dir.join(name);
    if std::fs::write(&path, body).is_err() {
        return;
    }
    if let Ok(table) = attest_data::table::Table::read(&path) {
        for column in table.column_names() {
            let _ = table.f64_column(&column);
            let _ = table.string_column(&column);
            let _ = table.binary_labels(&column, "nodule");
        }
    }
    if kind % 3 != 0 {
        return;
    }
    let spec_text = TABLE_SPEC.to_string();
    let source = SpecSource::new("attest.yaml".to_string(), spec_text);
    let validation = validate_source(
        &source,
        &ValidateOptions {
            base_dir: Some(dir.clone()),
        },
    );
    let Some(spec) = validation.spec.as_ref() else {
        return;
    };
    let checked = attest_data::check::check(
        spec,
        &validation.source,
        &dir,
        attest_data::cases::ImageCheck::Skip,
    );
    for diagnostic in &checked.diagnostics {
        render(diagnostic);
    }
}
