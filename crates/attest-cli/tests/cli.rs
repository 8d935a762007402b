//! The `attest` binary end to end: exit codes, output formats, init, explain, schema.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn attest(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attest"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_bundled_example_is_valid_and_exits_0() {
    let out = attest(&["validate", "examples/chest-xray/attest.yaml"], &root());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("✓ examples/chest-xray/attest.yaml: valid"));
}

#[test]
fn a_misspelt_metric_exits_2_with_line_column_and_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/chest-xray/attest.yaml"))
        .unwrap()
        .replacen("metric: sensitivity", "metric: sensitivty", 1)
        .replace("models/nodule_cnn.onnx", "../m.onnx");
    let line = 1 + text
        .lines()
        .position(|l| l.contains("metric: sensitivty"))
        .unwrap();
    let column = 1 + text
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("sensitivty")
        .unwrap();
    std::fs::write(dir.path().join("attest.yaml"), text).unwrap();
    let out = attest(&["validate", "--skip-files", "attest.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("unknown metric `sensitivty`"), "{text}");
    assert!(
        text.contains(&format!("[attest.yaml:{line}:{column}]")),
        "{text}"
    );
    assert!(text.contains("did you mean `sensitivity`?"), "{text}");
    assert!(
        text.contains("✗ attest.yaml: invalid (1 error, 0 warnings)"),
        "{text}"
    );
}

#[test]
fn json_format_is_one_parsable_document() {
    let fixture = root().join("tests/fixtures/invalid/unknown_metric.yaml");
    let out = attest(
        &[
            "validate",
            "--format",
            "json",
            "--skip-files",
            fixture.to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    let d = &doc["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "attest::spec::unknown_metric");
    assert_eq!(d["line"], 25);
    assert_eq!(d["column"], 13);
}

#[test]
fn warnings_pass_unless_denied() {
    let spec = root().join("tests/fixtures/design-example/attest.yaml");
    let spec = spec.to_str().unwrap();
    assert_eq!(attest(&["validate", spec], &root()).status.code(), Some(0));
    let denied = attest(&["validate", "--deny-warnings", spec], &root());
    assert_eq!(denied.status.code(), Some(2));
}

#[test]
fn a_missing_spec_file_is_reported_and_exits_2() {
    let out = attest(&["validate", "no-such.yaml"], &root());
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("cannot read spec file `no-such.yaml`"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(attest(&["validate"], &root()).status.code(), Some(2));
    assert_eq!(attest(&["no-such-command"], &root()).status.code(), Some(2));
}

#[test]
fn init_writes_a_spec_with_a_schema_modeline_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("proj");
    let out = attest(&["init", target.to_str().unwrap()], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec = std::fs::read_to_string(target.join("attest.yaml")).unwrap();
    assert_eq!(
        spec.lines().next(),
        Some("# yaml-language-server: $schema=.attest/spec.v1.json")
    );
    let schema = std::fs::read_to_string(target.join(".attest/spec.v1.json")).unwrap();
    assert_eq!(
        schema,
        std::fs::read_to_string(root().join("schemas/spec.v1.json")).unwrap()
    );
    // Valid as written once its placeholder files exist.
    let offline = attest(
        &["validate", "--skip-files", "proj/attest.yaml"],
        dir.path(),
    );
    assert_eq!(offline.status.code(), Some(0), "{}", stdout(&offline));
    let again = attest(&["init", target.to_str().unwrap()], dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[test]
fn schema_prints_the_committed_schemas() {
    let spec = attest(&["schema"], &root());
    assert_eq!(
        stdout(&spec),
        std::fs::read_to_string(root().join("schemas/spec.v1.json")).unwrap()
    );
    let results = attest(&["schema", "--results"], &root());
    assert_eq!(
        stdout(&results),
        std::fs::read_to_string(root().join("schemas/results.v1.json")).unwrap()
    );
}

#[test]
fn explain_lists_topics_and_defines_names() {
    let topics = stdout(&attest(&["explain"], &root()));
    for topic in ["tests", "metrics", "ci", "perturbations", "exit-codes"] {
        assert!(topics.contains(topic), "{topics}");
    }
    let metric = stdout(&attest(&["explain", "sensitivity"], &root()));
    assert!(metric.contains("TP / (TP + FN)"), "{metric}");
    assert!(metric.contains("wilson"), "{metric}");
    let alias = stdout(&attest(&["explain", "recall"], &root()));
    assert!(alias.starts_with("sensitivity (metric)"), "{alias}");
    let kinds = stdout(&attest(&["explain", "perturbations"], &root()));
    assert!(
        kinds.contains("gamma_down") && kinds.contains("poisson_dose"),
        "{kinds}"
    );
    let codes = stdout(&attest(&["explain", "exit-codes"], &root()));
    assert!(codes.contains("3  inconclusive"), "{codes}");
    let unknown = attest(&["explain", "sensitivty"], &root());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean `sensitivity`?"));
}

/// The golden case `random_balanced_n200` of attest-stats as a CSV, with a string label and a
/// patient column (two images per patient).
fn golden_csv(dir: &Path) -> PathBuf {
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("crates/attest-stats/tests/golden/binary.json"))
            .unwrap(),
    )
    .unwrap();
    let case = &golden["cases"][0];
    assert_eq!(case["name"], "random_balanced_n200");
    let mut text = String::from("case,finding,score,patient\n");
    for (i, (l, s)) in case["labels"]
        .as_array()
        .unwrap()
        .iter()
        .zip(case["scores"].as_array().unwrap())
        .enumerate()
    {
        let finding = if l.as_i64() == Some(1) {
            "pneumonia"
        } else {
            "normal"
        };
        text.push_str(&format!(
            "c{i},{finding},{},p{}\n",
            s.as_f64().unwrap(),
            i / 2
        ));
    }
    let path = dir.join("cases.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn metrics_json_matches_the_reference_values() {
    let dir = tempfile::tempdir().unwrap();
    golden_csv(dir.path());
    let out = attest(
        &[
            "metrics",
            "cases.csv",
            "--label",
            "finding",
            "--positive",
            "pneumonia",
            "--score",
            "score",
            "--json",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["n"], 200);
    assert_eq!(report["counts"]["tp"], 68);
    let m = &report["metrics"];
    // scikit-learn / statsmodels values from binary.json.
    assert_eq!(m["auc"]["value"], 0.7503);
    assert_eq!(m["auc"]["ci"]["method"], "delong");
    assert!((m["auc"]["ci"]["lower"].as_f64().unwrap() - 0.6834583689825836).abs() < 1e-12);
    assert_eq!(m["sensitivity"]["value"], 0.68);
    assert_eq!(m["sensitivity"]["ci"]["method"], "wilson");
    assert_eq!(m["sensitivity"]["ci"]["n"], 100);
    assert!((m["sensitivity"]["ci"]["upper"].as_f64().unwrap() - 0.7633085267500092).abs() < 1e-12);
    assert!((m["mcc"]["value"].as_f64().unwrap() - 0.4003203845127178).abs() < 1e-12);
    assert!(m["mcc"]["ci"].is_null());
}

#[test]
fn metrics_bootstrap_is_seeded_and_clustered_on_request() {
    let dir = tempfile::tempdir().unwrap();
    golden_csv(dir.path());
    let run = |seed: &str| {
        let out = attest(
            &[
                "metrics",
                "cases.csv",
                "--label",
                "finding",
                "--positive",
                "pneumonia",
                "--score",
                "score",
                "--bootstrap",
                "500",
                "--seed",
                seed,
                "--cluster",
                "patient",
                "--json",
            ],
            dir.path(),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()
    };
    let (a, b, c) = (run("1"), run("1"), run("2"));
    assert_eq!(a["metrics"]["auc"]["ci"]["method"], "bootstrap_bca");
    assert_eq!(a["metrics"]["auc"], b["metrics"]["auc"]);
    assert_ne!(a["metrics"]["auc"]["ci"], c["metrics"]["auc"]["ci"]);
    assert!(a["intervals"].as_str().unwrap().contains("500 resamples"));
}

#[test]
fn metrics_names_a_misspelt_column_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    golden_csv(dir.path());
    let out = attest(
        &[
            "metrics",
            "cases.csv",
            "--label",
            "Finding",
            "--positive",
            "1",
            "--score",
            "score",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no column `Finding` (did you mean `finding`?)"),
        "{err}"
    );
    let out = attest(
        &[
            "metrics",
            "missing.csv",
            "--label",
            "a",
            "--positive",
            "1",
            "--score",
            "s",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(4));
    let out = attest(
        &[
            "metrics",
            "cases.csv",
            "--label",
            "finding",
            "--positive",
            "x",
            "--score",
            "score",
            "--ci",
            "wald",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown --ci method `wald`"));
}

#[test]
fn metrics_reports_a_missing_score_with_its_row() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "y,s\n1,0.9\n0,\n1,0.4\n0,0.2\n").unwrap();
    let out = attest(
        &[
            "metrics",
            "t.csv",
            "--label",
            "y",
            "--positive",
            "1",
            "--score",
            "s",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("column `s`: missing value in 1 row(s), first at row(s) 2"),
        "{err}"
    );
}

#[test]
fn perturb_keeps_16_bit_images_16_bit_and_is_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let samples: Vec<u16> = (0..64 * 64).map(|i| (i * 13 % 4096) as u16 * 16).collect();
    let image = attest_perturb::Image::gray16(64, 64, samples).unwrap();
    attest_perturb::io::write_image(&image, &dir.path().join("in.png")).unwrap();
    for (seed, name) in [("1", "a.png"), ("1", "b.png"), ("2", "c.png")] {
        let out = attest(
            &[
                "perturb",
                "in.png",
                "--kind",
                "gaussian_noise",
                "--severity",
                "3",
                "--seed",
                seed,
                "-o",
                name,
            ],
            dir.path(),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let read = |n: &str| attest_perturb::io::read_image(&dir.path().join(n)).unwrap();
    let (a, b, c) = (read("a.png"), read("b.png"), read("c.png"));
    assert_eq!(a.pixel_type(), attest_perturb::PixelType::Gray16);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, image);
}

#[test]
fn perturb_lists_kinds_and_rejects_unknown_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = attest(&["perturb", "--list"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("gaussian_noise"));
    let image = attest_perturb::Image::gray8(40, 40, vec![100; 1600]).unwrap();
    attest_perturb::io::write_image(&image, &dir.path().join("in.png")).unwrap();
    let out = attest(
        &[
            "perturb",
            "in.png",
            "--kind",
            "gausian_noise",
            "--severity",
            "1",
            "-o",
            "o.png",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `gaussian_noise`"));
    let out = attest(
        &[
            "perturb",
            "in.png",
            "--kind",
            "gaussian_noise",
            "--severity",
            "9",
            "-o",
            "o.png",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = attest(
        &[
            "perturb",
            "in.png",
            "--kind",
            "gaussian_noise",
            "--sheet",
            "-o",
            "sheet.png",
            "--param",
            "sigma=0.05",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sheet = attest_perturb::io::read_image(&dir.path().join("sheet.png")).unwrap();
    assert!(sheet.width() > 6 * 40);
}

#[test]
fn perturb_reads_dicom_as_rendered_and_names_undecodable_files() {
    let dir = tempfile::tempdir().unwrap();
    let dicom = root().join("crates/attest-data/tests/fixtures/dicom");
    let out_path = dir.path().join("ct.png");
    let out = attest(
        &[
            "perturb",
            dicom.join("CT_small.dcm").to_str().unwrap(),
            "--kind",
            "gaussian_blur",
            "--severity",
            "2",
            "-o",
            out_path.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = image::open(&out_path).unwrap();
    assert_eq!((written.width(), written.height()), (128, 128));
    assert!(matches!(written, image::DynamicImage::ImageLuma16(_)));

    let lossy = attest(
        &[
            "perturb",
            dicom.join("JPEG-lossy.dcm").to_str().unwrap(),
            "--kind",
            "gaussian_blur",
            "--severity",
            "2",
            "-o",
            dir.path().join("x.png").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(lossy.status.code(), Some(2));
    let err = String::from_utf8_lossy(&lossy.stderr);
    assert!(
        err.contains("JPEG-lossy.dcm") && err.contains("1.2.840.10008.1.2.4.51"),
        "{err}"
    );
    assert!(err.contains("help:"), "{err}");
}

#[test]
fn validate_reports_table_and_cohort_problems_at_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("cases.csv"),
        "case_id,file,finding,site\na,x.png,pos,A\nb,x.png,neg,A\na,x.png,Pos,B\nc,missing.png,neg,B\n",
    )
    .unwrap();
    std::fs::copy(
        root().join("tests/fixtures/design-example/data/images/a.png"),
        data.join("x.png"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("attest.yaml"),
        "attest: 1\nname: t\nintended_use: Testing.\nseed: 1\nmodel:\n  id: m\n  scores: s.csv\n  output: { task: binary }\n\
         data:\n  table: data/cases.csv\n  id: case_id\n  image: file\n  label: { column: finding, positive: pos }\n\
         cohorts:\n  a: { where: \"site = 'A' AND sitee = 'B'\" }\n\
         tests:\n  - id: P\n    cohort: a\n    metric: auc\n    require: { estimate: \">= 0.5\" }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("s.csv"), "case_id,score\na,0.1\n").unwrap();
    let out = attest(&["validate", "--format", "json", "attest.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diagnostics = doc["files"][0]["diagnostics"].as_array().unwrap();
    let find = |code: &str| {
        diagnostics
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {diagnostics:#?}"))
    };
    let dup = find("attest::data::duplicate_id");
    assert_eq!(dup["line"], 2, "{dup}");
    assert!(dup["file"].as_str().unwrap().ends_with("cases.csv"));
    let variant = find("attest::data::unknown_label");
    assert!(
        variant["message"].as_str().unwrap().contains("`Pos`"),
        "{variant}"
    );
    let column = find("attest::spec::unknown_column");
    assert_eq!(column["line"], 15);
    assert_eq!(column["column"], 31, "{column}");
    assert!(column["help"].as_str().unwrap().contains("`site`"));
}

/// A copy of the bundled example (spec, data, models) in a temporary folder, with the
/// spec's text changed by `edit`.
fn example_copy(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let example = root().join("examples/chest-xray");
    let text = std::fs::read_to_string(example.join("attest.yaml")).unwrap();
    std::fs::write(dir.path().join("attest.yaml"), edit(text)).unwrap();
    for sub in ["data", "models"] {
        symlink_dir(&example.join(sub), &dir.path().join(sub));
    }
    dir
}

#[cfg(unix)]
fn symlink_dir(from: &Path, to: &Path) {
    std::os::unix::fs::symlink(from.canonicalize().unwrap(), to).unwrap();
}

#[test]
fn validate_loads_the_model_and_names_its_backend_and_weights() {
    let out = attest(&["validate", "examples/chest-xray/attest.yaml"], &root());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("model: tract 0.23 (ONNX), input 1×224×224, 1 output, weights sha256 "),
        "{text}"
    );
}

#[test]
fn a_model_input_that_contradicts_the_spec_is_an_error_at_model_input() {
    let dir = example_copy(|t| t.replace("size: [224, 224]", "size: [256, 256]"));
    let out = attest(&["validate", "attest.yaml"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("attest::model::input_shape"), "{text}");
    assert!(
        text.contains("expects input ?×1×224×224") && text.contains("N×1×256×256"),
        "{text}"
    );
    assert!(
        text.contains("size: [224, 224]"),
        "the help names the fix: {text}"
    );
}

#[test]
fn a_model_file_that_is_not_what_its_key_says_is_named_for_what_it_is() {
    let dir = example_copy(|t| t.replace("onnx: models/nodule_cnn.onnx", "onnx: checkpoint.onnx"));
    // A PyTorch checkpoint (zip) saved under an .onnx name, and a Git LFS pointer.
    std::fs::write(
        dir.path().join("checkpoint.onnx"),
        b"PK\x03\x04archive/data.pkl",
    )
    .unwrap();
    let out = attest(&["validate", "attest.yaml"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("attest::model::load"), "{text}");
    assert!(
        text.contains("is named under `onnx:` but is a zip archive"),
        "{text}"
    );
    assert!(text.contains("torch.onnx.export"), "{text}");
    std::fs::write(
        dir.path().join("checkpoint.onnx"),
        b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n",
    )
    .unwrap();
    let text = stdout(&attest(&["validate", "attest.yaml"], dir.path()));
    assert!(
        text.contains("a Git LFS pointer") && text.contains("git lfs pull"),
        "{text}"
    );
}

#[test]
fn predict_scores_every_case_of_a_cohort_and_writes_a_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("scores.csv");
    let out = attest(
        &[
            "predict",
            "examples/chest-xray/attest.yaml",
            "--cohort",
            "test",
            "--threads",
            "2",
            "-o",
            csv.to_str().unwrap(),
        ],
        &root(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("183 cases of cohort `test` scored by tract"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("case_id,score"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 183);
    for row in rows {
        let score: f64 = row.split(',').nth(1).unwrap().parse().unwrap();
        assert!((0.0..=1.0).contains(&score), "{row}");
    }
    // onnxruntime in a build without the feature: a runtime error (exit 4) that says how to fix it.
    if !cfg!(feature = "onnxruntime") {
        let out = attest(
            &[
                "predict",
                "examples/chest-xray/attest.yaml",
                "--backend",
                "onnxruntime",
                "-o",
                csv.to_str().unwrap(),
            ],
            &root(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{stderr}");
        assert!(stderr.contains("--features onnxruntime"), "{stderr}");
    }
}

/// The example without its perturbation tests: a run of 300 forward passes.
fn example_without_perturbations() -> tempfile::TempDir {
    example_copy(|t| {
        let start = t.find("  - id: ROB-001").unwrap();
        let end = t.find("  - id: CAL-001").unwrap();
        format!("{}{}", &t[..start], &t[end..])
    })
}

#[test]
fn run_writes_the_run_folder_prints_verdicts_and_exits_by_the_overall_verdict() {
    let dir = example_without_perturbations();
    let spec = dir.path().join("attest.yaml");
    let original = std::fs::read_to_string(&spec).unwrap();
    // A criterion the example's model cannot meet: PERF-002 fails.
    let strict = original.replace(
        "metric: auc\n    ci: { method: delong }\n    require: { lower: \">= 0.85\" }",
        "metric: auc\n    ci: { method: delong }\n    require: { lower: \">= 0.99\" }",
    );
    assert_ne!(strict, original);
    std::fs::write(&spec, &strict).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_attest"))
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("ATTEST_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    let plan = run(&["run", "attest.yaml", "--dry-run"]);
    let text = stdout(&plan);
    assert_eq!(plan.status.code(), Some(0), "{text}");
    assert!(
        text.contains("forward passes: 300 needed, 0 cached, 300 to compute"),
        "{text}"
    );
    assert!(text.contains("estimate: "), "{text}");

    let out = run(&["run", "attest.yaml", "--out", "run-1", "--threads", "2"]);
    let text = stdout(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}\n{stderr}");
    for id in ["DATA-001", "PERF-001", "PERF-002", "FAIR-001", "CAL-001"] {
        assert!(text.contains(id), "{id} missing: {text}");
    }
    assert!(text.contains("FAIL: "), "{text}");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.path().join(name).join("results.json")).unwrap())
            .unwrap()
    };
    let results = read("run-1");
    assert_eq!(results["verdict"], "FAIL");
    assert_eq!(results["inference"]["computed"], 300);
    assert!(dir.path().join("run-1/predictions.parquet").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("run-1/spec.yaml")).unwrap(),
        strict
    );

    // Everything is cached now: the plan says so, and after editing the criteria back a run
    // scores nothing. PERF-001 is then the only non-passing test; without
    // `allow_inconclusive` the run is INCONCLUSIVE (exit 3).
    let plan = run(&["run", "attest.yaml", "--dry-run"]);
    assert!(
        stdout(&plan).contains("300 needed, 300 cached, 0 to compute"),
        "{}",
        stdout(&plan)
    );
    std::fs::write(
        &spec,
        original.replace("    allow_inconclusive: true\n", ""),
    )
    .unwrap();
    let again = run(&["run", "attest.yaml", "--out", "run-1"]);
    assert_eq!(again.status.code(), Some(3), "{}", stdout(&again));
    let second = read("run-1");
    assert_eq!(second["verdict"], "INCONCLUSIVE");
    assert_eq!(second["inference"]["computed"], 0);
    assert_eq!(second["inference"]["cached"], 300);
    assert_eq!(
        second["tests"][0], results["tests"][0],
        "DATA-001 unchanged"
    );

    // A folder that is not a run is never overwritten.
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/notes.txt"), "keep").unwrap();
    let refused = run(&["run", "attest.yaml", "--out", "mine"]);
    assert_eq!(refused.status.code(), Some(4));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine/notes.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn run_on_an_invalid_spec_exits_2_without_scoring() {
    let dir = example_copy(|t| t.replace("metric: auc", "metric: aucc"));
    let out = attest(&["run", "attest.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown_metric"));
    assert!(!dir.path().join("evidence").exists());
}

/// Cache entries (temporary files of an interrupted write excluded).
/// The text of a PDF through poppler's `pdftotext` (layout order, hyphen line breaks
/// joined), and its page count from `pdfinfo`; `None` where poppler-utils is missing, unless
/// `ATTEST_REQUIRE_POPPLER` is set (CI sets it).
fn pdf_text(path: &Path) -> Option<(String, usize)> {
    let run = |program: &str, args: &[&std::ffi::OsStr]| match Command::new(program)
        .args(args)
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "{program}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            Some(String::from_utf8_lossy(&o.stdout).into_owned())
        }
        Err(_) if std::env::var_os("ATTEST_REQUIRE_POPPLER").is_some() => {
            panic!("{program} is required (apt-get install poppler-utils)")
        }
        Err(_) => {
            eprintln!("{program} not installed: the PDF's text is not checked");
            None
        }
    };
    let text = run("pdftotext", &[path.as_os_str(), "-".as_ref()])?;
    let info = run("pdfinfo", &[path.as_os_str()])?;
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0);
    Some((text.replace("-\n", "-"), pages))
}

fn cache_entries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                cache_entries(&p)
            } else {
                usize::from(!p.file_name().unwrap().to_string_lossy().starts_with('.'))
            }
        })
        .sum()
}

/// `results.json` without what differs between runs of one spec on one machine.
fn stable_results(dir: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    let map = v.as_object_mut().unwrap();
    for volatile in [
        "run_id",
        "started_at",
        "finished_at",
        "environment",
        "inference",
        "shards",
    ] {
        map.remove(volatile);
    }
    v
}

#[test]
fn a_killed_run_leaves_nothing_finished_and_shards_merge_into_the_single_run() {
    let dir = example_without_perturbations();
    let cache = tempfile::tempdir().unwrap();
    let command = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_attest"));
        c.args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("ATTEST_CACHE_DIR", cache.path());
        c
    };
    // kill -9 once some cases are scored.
    let mut child = command(&[
        "run",
        "attest.yaml",
        "--out",
        "killed",
        "--threads",
        "1",
        "--batch",
        "4",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    while cache_entries(cache.path()) < 24 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(std::time::Instant::now() < deadline, "no progress");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let scored = cache_entries(cache.path());
    assert!(scored < 300, "killed too late to prove anything: {scored}");
    assert!(
        !dir.path().join("killed").exists(),
        "a killed run must not leave a run folder"
    );

    // A run killed while writing its bundle leaves a hidden staging folder (and its lock
    // file, unlocked once the process is dead): the next run for that folder removes it.
    let stale = dir.path().join(".killed.partial-dead01");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("predictions.parquet"), b"half").unwrap();
    std::fs::write(dir.path().join(".killed.partial-dead01.lock"), b"").unwrap();

    // The re-run takes the finished part from the cache and scores the rest.
    let rerun = command(&["run", "attest.yaml", "--out", "killed", "--threads", "2"])
        .output()
        .unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial-"))
        .collect();
    assert!(leftovers.is_empty(), "stale staging left: {leftovers:?}");
    let code = rerun.status.code();
    assert!(matches!(code, Some(0 | 1 | 3)), "{}", stdout(&rerun));
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("killed/results.json")).unwrap())
            .unwrap();
    let cached = results["inference"]["cached"].as_u64().unwrap() as usize;
    let computed = results["inference"]["computed"].as_u64().unwrap() as usize;
    assert_eq!(cached, scored, "every finished case comes from the cache");
    assert_eq!(cached + computed, 300);

    // The run folder is an evidence bundle that verifies, and names a tampered file.
    for name in ["junit.xml", "traceability.csv", "manifest.json"] {
        assert!(dir.path().join("killed").join(name).is_file(), "{name}");
    }
    let verified = command(&["verify", "killed"]).output().unwrap();
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    assert!(
        stdout(&verified).contains("intact"),
        "{}",
        stdout(&verified)
    );
    let junit = dir.path().join("killed/junit.xml");
    let original = std::fs::read_to_string(&junit).unwrap();
    std::fs::write(&junit, original.replace("PASS", "PASX")).unwrap();
    let tampered = command(&["verify", "killed", "--no-inputs"])
        .output()
        .unwrap();
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        stdout(&tampered).contains("changed: junit.xml"),
        "{}",
        stdout(&tampered)
    );
    std::fs::write(&junit, original).unwrap();
    let not_a_bundle = command(&["verify", "."]).output().unwrap();
    assert_eq!(not_a_bundle.status.code(), Some(2));
    // The report renders again from the bundle alone, beside it (the bundle stays intact).
    let rerendered = command(&["report", "killed"]).output().unwrap();
    assert_eq!(rerendered.status.code(), Some(0), "{}", stdout(&rerendered));
    for name in ["report.html", "report.pdf"] {
        assert!(
            std::fs::read(dir.path().join("killed.report").join(name)).unwrap()
                == std::fs::read(dir.path().join("killed").join(name)).unwrap(),
            "{name} rendered again differs"
        );
    }
    // The PDF is searchable text: every test id with its verdict, the run id and the spec's
    // hash (every page's footer) can be found in it.
    if let Some((text, pages)) = pdf_text(&dir.path().join("killed/report.pdf")) {
        let results: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("killed/results.json")).unwrap())
                .unwrap();
        for test in results["tests"].as_array().unwrap() {
            let (id, verdict) = (
                test["id"].as_str().unwrap(),
                test["verdict"].as_str().unwrap(),
            );
            assert!(
                text.lines().any(|l| l.contains(id) && l.contains(verdict)),
                "{id} {verdict} not on one line of the PDF's text"
            );
        }
        let run_id = results["run_id"].as_str().unwrap();
        let footers = text.matches(&format!("run {run_id}")).count();
        assert_eq!(footers, pages, "a footer with the run id on every page");
        assert!(text.contains(results["spec_sha256"].as_str().unwrap()));
        assert!((3..=80).contains(&pages), "{pages} pages");
    }
    assert_eq!(
        command(&["verify", "killed"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );

    // The test plan: its hash gates the run, and the report says the run went as planned.
    let plan = command(&["plan", "attest.yaml", "-o", "plan"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
    let plan_html = std::fs::read_to_string(dir.path().join("plan/plan.html")).unwrap();
    assert!(std::fs::read(dir.path().join("plan/plan.pdf"))
        .unwrap()
        .starts_with(b"%PDF-"));
    for id in [
        "DATA-001",
        "PERF-001",
        "PERF-002",
        "FAIR-001",
        "CAL-001",
        "Signatures",
    ] {
        assert!(plan_html.contains(id), "{id}");
    }
    let hash = stdout(&plan)
        .lines()
        .find_map(|l| l.strip_prefix("plan hash (the spec's SHA-256): "))
        .unwrap()
        .to_string();
    let refused = command(&["run", "attest.yaml", "--plan-hash", &"0".repeat(64)])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not the approved plan"));
    let planned = command(&[
        "run",
        "attest.yaml",
        "--out",
        "planned",
        "--plan-hash",
        &hash,
    ])
    .output()
    .unwrap();
    assert_eq!(planned.status.code(), code);
    let report = std::fs::read_to_string(dir.path().join("planned/report.html")).unwrap();
    assert!(report.contains("Executed as planned"), "no plan statement");

    // Two runs of the same spec, model and data compared: nothing regressed, nothing changed.
    let compared = command(&["diff", "killed", "planned"]).output().unwrap();
    assert_eq!(compared.status.code(), Some(0), "{}", stdout(&compared));
    assert!(
        stdout(&compared).contains("0 regression(s)"),
        "{}",
        stdout(&compared)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("planned.diff/diff.json")).unwrap())
            .unwrap();
    for test in json["tests"].as_array().unwrap() {
        assert_eq!(test["change"], "same", "{test}");
    }
    if let Some((text, _)) = pdf_text(&dir.path().join("planned.diff/diff.pdf")) {
        assert!(text.contains("Run comparison"), "{text}");
    }
    let not_bundles = command(&["diff", "killed", "."]).output().unwrap();
    assert_eq!(not_bundles.status.code(), Some(2));

    // Signed with a fresh key (everything cached now): verifies with that key only.
    let keygen = command(&["keygen", "-o", "signer"]).output().unwrap();
    assert_eq!(keygen.status.code(), Some(0), "{}", stdout(&keygen));
    assert_eq!(
        command(&["keygen", "-o", "signer"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let signed = command(&[
        "run",
        "attest.yaml",
        "--out",
        "signed",
        "--sign",
        "signer.key",
    ])
    .output()
    .unwrap();
    assert_eq!(signed.status.code(), code);
    let ok = command(&["verify", "signed", "--key", "signer.pub"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("signature valid"), "{}", stdout(&ok));
    command(&["keygen", "-o", "other"]).output().unwrap();
    let wrong = command(&["verify", "signed", "--key", "other.pub"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1), "{}", stdout(&wrong));
    assert!(
        stdout(&wrong).contains("signature invalid"),
        "{}",
        stdout(&wrong)
    );

    // An uninterrupted run without the cache gives the same record.
    let fresh = command(&["run", "attest.yaml", "--out", "fresh", "--no-cache"])
        .output()
        .unwrap();
    assert_eq!(fresh.status.code(), code);
    assert_eq!(
        stable_results(&dir.path().join("killed")),
        stable_results(&dir.path().join("fresh"))
    );

    // Two shards (the second computed first), merged: the same record again.
    for (shard, out) in [("2/2", "shard-2"), ("1/2", "shard-1")] {
        let o = command(&["run", "attest.yaml", "--shard", shard, "--out", out])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
        assert!(
            stdout(&o).contains(&format!("shard {shard}: 150 cases")),
            "{}",
            stdout(&o)
        );
        assert!(dir.path().join(out).join("shard.json").is_file());
    }
    let merged = command(&[
        "merge",
        "attest.yaml",
        "shard-1",
        "shard-2",
        "--out",
        "merged",
    ])
    .output()
    .unwrap();
    assert_eq!(merged.status.code(), code, "{}", stdout(&merged));
    assert_eq!(
        stable_results(&dir.path().join("merged")),
        stable_results(&dir.path().join("fresh"))
    );
    // One shard alone is refused with the missing one named (a runtime error, exit 4).
    let partial = command(&["merge", "attest.yaml", "shard-1", "--out", "partial"])
        .output()
        .unwrap();
    assert_eq!(partial.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&partial.stderr);
    assert!(stderr.contains("shard 2/2 is missing"), "{stderr}");
    assert!(!dir.path().join("partial").exists());
    // A shard of an edited spec is refused.
    let spec = dir.path().join("attest.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("bins: 10", "bins: 5")).unwrap();
    let edited = command(&["merge", "attest.yaml", "shard-1", "shard-2"])
        .output()
        .unwrap();
    assert_eq!(edited.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&edited.stderr).contains("another spec"));
}

/// `attest run --test ID` runs only that test, says the run is partial, and refuses an id
/// the spec does not have (naming the ones it has).
#[test]
fn run_test_runs_only_the_named_tests_and_marks_the_run_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("run");
    let out = attest(
        &[
            "run",
            "examples/nih-cohorts/attest.yaml",
            "--test",
            "FAIR-002",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        &root(),
    );
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("FAIR-002") && !text.contains("FAIR-001"),
        "{text}"
    );
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["tests"].as_array().unwrap().len(), 1);
    assert_eq!(
        results["warnings"][0],
        "partial run: only 1 of the spec's 6 tests ran (FAIR-002); this bundle is not evidence for the whole spec"
    );
    assert!(results["run_id"].as_str().unwrap().ends_with("-partial"));

    let unknown = attest(
        &[
            "run",
            "examples/nih-cohorts/attest.yaml",
            "--test",
            "FAIR-9",
        ],
        &root(),
    );
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("has no test `FAIR-9`"), "{stderr}");
    assert!(stderr.contains("DATA-001, PERF-001, FAIR-001"), "{stderr}");
}

/// `attest` in `dir` with its own prediction cache.
fn attest_with_cache(dir: &Path, cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_attest"));
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("ATTEST_CACHE_DIR", cache);
    c
}

/// Files and folders in `dir` whose names start with `prefix` (e.g. staging folders).
fn entries_starting(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[test]
fn concurrent_runs_sharing_a_cache_agree_and_leave_it_whole() {
    let dir = example_without_perturbations();
    let cache = tempfile::tempdir().unwrap();
    let start = |out: &str| {
        attest_with_cache(dir.path(), cache.path())
            .args(["run", "attest.yaml", "--out", out, "--threads", "1"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start("a"), start("b"));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(matches!(a.status.code(), Some(0 | 1 | 3)), "{}", stdout(&a));
    assert_eq!(a.status.code(), b.status.code(), "{}", stdout(&b));
    assert_eq!(
        stable_results(&dir.path().join("a")),
        stable_results(&dir.path().join("b")),
        "two runs of one spec sharing a cache give the same results"
    );
    // Every case is in the cache once, readable: a third run scores nothing.
    assert_eq!(cache_entries(cache.path()), 300);
    let third = attest_with_cache(dir.path(), cache.path())
        .args(["run", "attest.yaml", "--out", "c"])
        .output()
        .unwrap();
    assert_eq!(third.status.code(), a.status.code(), "{}", stdout(&third));
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("c/results.json")).unwrap()).unwrap();
    assert_eq!(
        results["inference"]["cached"], 300,
        "{}",
        results["inference"]
    );
    assert_eq!(results["inference"]["computed"], 0);
    assert_eq!(
        stable_results(&dir.path().join("a")),
        stable_results(&dir.path().join("c"))
    );
    for out in ["a", "b", "c"] {
        let verified = attest_with_cache(dir.path(), cache.path())
            .args(["verify", out])
            .output()
            .unwrap();
        assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    }
}

/// A full disk while the bundle is written (simulated with a file-size limit: writes past
/// it fail with EFBIG, as they fail with ENOSPC on a full disk) leaves no new bundle, no
/// staging folder, and the earlier bundle in the same place untouched.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_while_writing_the_bundle_leaves_the_earlier_bundle_and_no_other() {
    let dir = example_without_perturbations();
    let cache = tempfile::tempdir().unwrap();
    let first = attest_with_cache(dir.path(), cache.path())
        .args(["run", "attest.yaml", "--out", "run"])
        .output()
        .unwrap();
    let code = first.status.code();
    assert!(matches!(code, Some(0 | 1 | 3)), "{}", stdout(&first));
    let before = std::fs::read(dir.path().join("run/manifest.json")).unwrap();

    // The same run again (every prediction from the cache), with files limited to 100 KB:
    // the report cannot be written. `trap '' XFSZ` makes the write fail instead of the
    // signal killing the process; the ignored signal survives `exec`.
    let limited = Command::new("sh")
        .args([
            "-c",
            "ulimit -f 200; trap '' XFSZ; exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_attest"),
            "run",
            "attest.yaml",
            "--out",
            "run",
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("ATTEST_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&limited.stderr);
    assert_eq!(
        limited.status.code(),
        Some(4),
        "{}\n{stderr}",
        stdout(&limited)
    );
    assert!(
        stderr.contains("File too large"),
        "the OS's reason is shown: {stderr}"
    );
    assert!(
        entries_starting(dir.path(), ".run.").is_empty(),
        "no staging folder is left behind: {:?}",
        entries_starting(dir.path(), ".run.")
    );
    assert_eq!(
        std::fs::read(dir.path().join("run/manifest.json")).unwrap(),
        before,
        "the earlier bundle is untouched"
    );
    let verified = attest_with_cache(dir.path(), cache.path())
        .args(["verify", "run"])
        .output()
        .unwrap();
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
}

/// An image deleted while the run is scoring: by default the run stops, names the case and
/// the reason, and writes no bundle; with `on_case_error: exclude` it finishes with a
/// complete bundle that lists the case as excluded, and `verify` names the missing input.
#[test]
fn an_image_deleted_mid_run_stops_the_run_or_is_an_excluded_case_in_a_complete_bundle() {
    let dir = example_without_perturbations();
    // A real copy of the data (the example's is linked): this test deletes an image.
    std::fs::remove_file(dir.path().join("data")).unwrap();
    let source = root().join("examples/chest-xray/data");
    std::fs::create_dir_all(dir.path().join("data/images")).unwrap();
    std::fs::copy(source.join("cases.csv"), dir.path().join("data/cases.csv")).unwrap();
    for entry in std::fs::read_dir(source.join("images")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.path()
                .join("data/images")
                .join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    // The last case of the table is scored last.
    let table = std::fs::read_to_string(dir.path().join("data/cases.csv")).unwrap();
    let header: Vec<&str> = table.lines().next().unwrap().split(',').collect();
    let image_column = header.iter().position(|c| *c == "file").unwrap();
    let last = table.lines().last().unwrap();
    let last_case = last.split(',').next().unwrap().to_string();
    let relative = last.split(',').nth(image_column).unwrap();
    let victim = dir.path().join("data").join(relative);
    // Runs the spec, deleting the victim once 24 cases are scored.
    let run_deleting = |out: &str| {
        std::fs::copy(source.join(relative), &victim).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let child = attest_with_cache(dir.path(), cache.path())
            .args([
                "run",
                "attest.yaml",
                "--out",
                out,
                "--threads",
                "1",
                "--batch",
                "4",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        while cache_entries(cache.path()) < 24 {
            assert!(std::time::Instant::now() < deadline, "no progress");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::fs::remove_file(&victim).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            cache_entries(cache.path()) < 300,
            "deleted too late to prove anything"
        );
        let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
        (out.status.code(), text)
    };

    let (code, text) = run_deleting("stopped");
    assert_eq!(code, Some(4), "{text}");
    assert!(
        text.contains(&format!("`{last_case}`")) && text.contains("No such file"),
        "the case and the reason are named: {text}"
    );
    assert!(
        text.contains("on_case_error: exclude"),
        "and the fix: {text}"
    );
    assert!(!dir.path().join("stopped").exists(), "no bundle");
    assert!(entries_starting(dir.path(), ".stopped.").is_empty());

    let spec = dir.path().join("attest.yaml");
    let original = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, format!("on_case_error: exclude\n{original}")).unwrap();
    let (code, text) = run_deleting("excluded");
    assert!(matches!(code, Some(0 | 1 | 3)), "{text}");
    let results = std::fs::read_to_string(dir.path().join("excluded/results.json")).unwrap();
    assert!(
        results.contains(&last_case) && results.contains("No such file"),
        "results.json lists the excluded case with the reason"
    );
    // The bundle is whole; against the inputs, verify names the deleted image as not present
    // (inputs may be archived elsewhere, so that alone is no failure).
    let cache = tempfile::tempdir().unwrap();
    let bundle_only = attest_with_cache(dir.path(), cache.path())
        .args(["verify", "excluded", "--no-inputs"])
        .output()
        .unwrap();
    assert_eq!(
        bundle_only.status.code(),
        Some(0),
        "{}",
        stdout(&bundle_only)
    );
    let with_inputs = attest_with_cache(dir.path(), cache.path())
        .args(["verify", "excluded"])
        .output()
        .unwrap();
    assert_eq!(
        with_inputs.status.code(),
        Some(0),
        "{}",
        stdout(&with_inputs)
    );
    let listed = stdout(&with_inputs);
    assert!(
        listed.contains("input not present (not checked)")
            && listed.contains(relative.rsplit('/').next().unwrap())
            && listed.contains("1 not present"),
        "{listed}"
    );
}

/// `attest explore` on the NIH example, whose simulated reader is planted to be noisier on
/// portable (AP) films: the AP segment comes first, flagged with a corrected p-value, and the
/// bundle is left as it was.
#[test]
fn explore_ranks_the_planted_weak_segment_first_and_leaves_the_bundle_intact() {
    let out = tempfile::tempdir().unwrap();
    let bundle = out.path().join("nih");
    let run = attest(
        &[
            "run",
            "examples/nih-cohorts/attest.yaml",
            "--out",
            bundle.to_str().unwrap(),
        ],
        &root(),
    );
    assert!(matches!(run.status.code(), Some(0 | 1)), "{}", stdout(&run));
    // Single columns only: pairs over 90k cases take a minute in a debug build.
    let explored = attest(
        &["explore", bundle.to_str().unwrap(), "--json", "--no-pairs"],
        &root(),
    );
    assert_eq!(
        explored.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&explored.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&explored.stdout).unwrap();
    let top = &found["segments"][0];
    assert_eq!(top["description"], "View Position = 'AP'", "{top}");
    assert_eq!(top["flagged"], true);
    assert!(top["adjusted_p"].as_f64().unwrap() < 1e-6);
    assert!(top["adjusted_p"].as_f64().unwrap() >= top["p_value"].as_f64().unwrap());
    assert_eq!(
        found["n"], 89754,
        "the test cohort, which the spec's tests name most"
    );
    // The human table says what it is, and the bundle is untouched.
    let table = stdout(&attest(
        &[
            "explore",
            bundle.to_str().unwrap(),
            "--no-pairs",
            "--top",
            "6",
        ],
        &root(),
    ));
    assert!(table.starts_with("EXPLORATORY"), "{table}");
    assert!(table.contains("FLAGGED  View Position = 'AP'"), "{table}");
    insta::assert_snapshot!("explore_nih_single_columns", table);
    let verified = attest(&["verify", bundle.to_str().unwrap()], &root());
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    // Not a bundle, or an unknown cohort: exit 2 with the reason.
    let not_a_bundle = attest(&["explore", out.path().to_str().unwrap()], &root());
    assert_eq!(not_a_bundle.status.code(), Some(2));
    let unknown = attest(
        &["explore", bundle.to_str().unwrap(), "--cohort", "tset"],
        &root(),
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no cohort `tset`"));
}

/// `--out` naming a folder of the user's is refused before anything is scored, and the
/// folder is left exactly as it was; an empty folder, or one Attest wrote, is fine.
#[test]
fn run_never_overwrites_a_folder_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = root().join("crates/attest-fuzz/fixtures/inputs");
    for name in ["attest.yaml", "cases.csv", "scores.csv"] {
        std::fs::copy(inputs.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::create_dir(dir.path().join("thesis")).unwrap();
    std::fs::write(dir.path().join("thesis/chapter1.tex"), "my work").unwrap();
    let refused = attest(&["run", "attest.yaml", "--out", "thesis"], dir.path());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("not one Attest wrote") && stderr.contains("thesis"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("scoring"),
        "refused before scoring: {stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("thesis"))
        .unwrap()
        .collect();
    assert_eq!(left.len(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("thesis/chapter1.tex")).unwrap(),
        "my work"
    );
    // An empty folder is used, and a folder Attest wrote is replaced.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    for _ in 0..2 {
        let ran = attest(&["run", "attest.yaml", "--out", "empty"], dir.path());
        assert_eq!(ran.status.code(), Some(0), "{}", stdout(&ran));
    }
}

/// A run of the example's model on site A's test cases (71), with an operating point, a
/// performance test at it and an invariance test (mirroring) at it: in `run/`.
fn small_image_run() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let example = root().join("examples/chest-xray");
    for sub in ["data", "models"] {
        symlink_dir(&example.join(sub), &dir.path().join(sub));
    }
    let spec = r#"attest: 1
name: small-image-run
intended_use: Tests of the commands that look back at a run.
seed: 7
model:
  id: nodule-cnn
  onnx: models/nodule_cnn.onnx
  input: { size: [224, 224], channels: 1, normalize: { mean: [0.5], std: [0.25] } }
  output: { task: binary, positive: nodule, activation: sigmoid }
data:
  table: data/cases.csv
  id: case_id
  image: file
  label: { column: finding, positive: nodule }
cohorts:
  small: { where: "split = 'test' AND site = 'A'" }
operating_points:
  fixed: { threshold: 0.5 }
perturbations:
  mirror: { kind: horizontal_flip, severities: [1] }
explore:
  embeddings: true
tests:
  - id: PERF-1
    cohort: small
    metric: auc
    require: { lower: ">= 0.5" }
  - id: PERF-2
    cohort: small
    metric: sensitivity
    at: fixed
    require: { estimate: ">= 0.5" }
  - id: INV-1
    cohort: small
    perturbation: mirror
    at: fixed
    require: { flip_rate: "<= 0.5" }
"#;
    std::fs::write(dir.path().join("attest.yaml"), spec).unwrap();
    let run = attest(&["run", "attest.yaml", "--out", "run"], dir.path());
    assert!(
        matches!(run.status.code(), Some(0 | 1)),
        "{}{}",
        stdout(&run),
        String::from_utf8_lossy(&run.stderr)
    );
    dir
}

/// `attest explore --gallery`: PNG sheets of the false positives and negatives at the
/// operating point and of the decisions that flip under the perturbation — as many flips as
/// the invariance test counted, each shown with its scores either side of the threshold.
#[test]
fn explore_gallery_writes_the_error_and_flip_sheets() {
    let dir = small_image_run();
    let out = attest(
        &["explore", "run", "--no-pairs", "--gallery", "sheets"],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let written: Vec<String> = std::fs::read_dir(dir.path().join("sheets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        written.contains(&"INV-1-flips.png".to_string()),
        "{written:?}"
    );
    for name in &written {
        let image = image::open(dir.path().join("sheets").join(name)).unwrap();
        assert!(image.width() > 128 && image.height() > 128, "{name}");
        assert!(stderr.contains(name.as_str()), "{stderr}");
    }
    // The report's gallery of INV-1 holds the flips the test counted, each a real flip.
    let curves: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run/curves.json")).unwrap())
            .unwrap();
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run/results.json")).unwrap())
            .unwrap();
    let gallery = curves["gallery"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["test"] == "INV-1")
        .unwrap();
    let (flips, of) = (
        gallery["flips"][0].as_u64().unwrap(),
        gallery["flips"][1].as_u64().unwrap(),
    );
    let inv = results["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "INV-1")
        .unwrap();
    let rate = inv["estimates"][0]["value"].as_f64().unwrap();
    assert!(
        (rate - flips as f64 / of as f64).abs() < 1e-9,
        "{rate} vs {flips}/{of}"
    );
    for case in gallery["cases"].as_array().unwrap() {
        assert_eq!(case["flipped"], true);
        let (a, b) = (
            case["original"].as_f64().unwrap(),
            case["perturbed"].as_f64().unwrap(),
        );
        assert!((a >= 0.5) != (b >= 0.5), "{case}");
    }
    let html = std::fs::read_to_string(dir.path().join("run/report.html")).unwrap();
    assert!(
        html.contains(&format!(
            "Decisions that flip at operating point fixed under mirror@1 on small: {flips} of {of} cases"
        )),
        "the report names the flips"
    );
}

/// `attest similar`: among augmented copies (brighter, noisier, slightly blurred) of several
/// test cases, each case's nearest neighbour is a copy of itself; in the run's own cohort the
/// case itself is never listed; an unknown case, layer or non-ONNX model is exit 2.
#[test]
fn similar_finds_a_cases_own_augmented_copies_first() {
    let dir = small_image_run();
    let example = root().join("examples/chest-xray");
    // The pool: two augmented copies of each of six cases, under names that hide the case.
    let queries = [
        "case-0001",
        "case-0005",
        "case-0009",
        "case-0013",
        "case-0017",
        "case-0021",
    ];
    let pool = dir.path().join("pool");
    std::fs::create_dir(&pool).unwrap();
    let mut table = String::from("image\n");
    let mut owner = std::collections::HashMap::new();
    for (q, id) in queries.iter().enumerate() {
        let source = example.join(format!("data/images/{id}.png"));
        let image = attest_perturb::io::read_image(&source).unwrap();
        for (a, (kind, severity)) in [
            ("brightness_up", 1),
            ("gaussian_noise", 1),
            ("gaussian_blur", 1),
        ]
        .into_iter()
        .enumerate()
        {
            let copy = attest_perturb::perturb_at_severity(&image, kind, severity, 11).unwrap();
            let name = format!("p{}.png", q * 3 + a);
            attest_perturb::io::write_image(&copy, &pool.join(&name)).unwrap();
            table += &format!("{name}\n");
            owner.insert(name, *id);
        }
    }
    // One file in the pool is not an image: it is left out and named, not fatal.
    std::fs::write(pool.join("broken.png"), "not an image").unwrap();
    table += "broken.png\n";
    std::fs::write(pool.join("pool.csv"), table).unwrap();
    for id in queries {
        let out = attest(
            &[
                "similar",
                "run",
                id,
                "--pool",
                "pool/pool.csv",
                "-k",
                "3",
                "--json",
            ],
            dir.path(),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(found["candidates"], 18);
        assert_eq!(found["unreadable"].as_array().unwrap().len(), 1, "{found}");
        let first = found["neighbours"][0]["id"].as_str().unwrap();
        assert_eq!(owner[first], id, "{id}: {found:#}");
    }
    // The bundle stores the cohort's embeddings (`explore: { embeddings: true }`); searching
    // with them gives exactly what computing them again gives.
    assert!(dir.path().join("run/embeddings.parquet").is_file());
    let with_stored = attest(
        &["similar", "run", "case-0005", "-k", "8", "--json"],
        dir.path(),
    );
    let recomputed = attest(
        &[
            "similar",
            "run",
            "case-0005",
            "-k",
            "8",
            "--json",
            "--no-stored",
        ],
        dir.path(),
    );
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&with_stored.stdout).unwrap(),
        serde_json::from_slice(&recomputed.stdout).unwrap(),
    );
    // case-0005 is outside the explored cohort (site A's test cases): its embedding is
    // computed, every candidate's comes from the bundle.
    assert_eq!(a["stored"], a["candidates"], "{a}");
    assert_eq!(b["stored"], 0);
    assert_eq!(a["neighbours"], b["neighbours"]);
    // In the run's cohort: neighbours with labels and scores, the case itself left out.
    let out = attest(&["similar", "run", "case-0001", "-k", "5"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("layer `flat` (32 values"), "{text}");
    assert_eq!(text.matches("data/images/case-").count(), 5, "{text}");
    assert!(!text.contains("case-0001.png"), "{text}");
    // Mistakes are exit 2 with the reason.
    let unknown = attest(&["similar", "run", "case-001"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no case `case-001`"));
    let layer = attest(
        &["similar", "run", "case-0001", "--layer", "nope"],
        dir.path(),
    );
    assert_eq!(layer.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&layer.stderr).contains("no node named `nope`"));
}

/// `data.limits` replaces the read limits: a table over `max_rows` is refused at validation
/// with the limit named and the key to raise it; an image over `max_image_pixels` stops the
/// run naming the case; the same spec without the block runs.
#[test]
fn data_limits_in_the_spec_bound_the_table_and_the_images() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = root().join("crates/attest-fuzz/fixtures/inputs");
    for name in ["cases.csv", "scores.csv"] {
        std::fs::copy(inputs.join(name), dir.path().join(name)).unwrap();
    }
    let spec = std::fs::read_to_string(inputs.join("attest.yaml")).unwrap();
    let limited = spec.replace(
        "  label: { column: finding, positive: \"yes\" }\n",
        "  label: { column: finding, positive: \"yes\" }\n  limits: { max_rows: 10 }\n",
    );
    assert_ne!(limited, spec);
    std::fs::write(dir.path().join("attest.yaml"), &limited).unwrap();
    let out = attest(&["validate", "attest.yaml"], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("over the limit of 10"), "{text}");
    assert!(text.contains("data.limits"), "{text}");
    std::fs::write(dir.path().join("attest.yaml"), &spec).unwrap();
    let out = attest(&["validate", "attest.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Images: the example's 224×224 radiographs against a limit of 10,000 pixels — also when
    // a run without the limit has cached every prediction: a cached score must not stand in
    // for an image the spec now refuses (the read limits are part of the cache key).
    let example = example_without_perturbations();
    let cache = tempfile::tempdir().unwrap();
    let with_cache = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_attest"))
            .args(args)
            .current_dir(example.path())
            .env("NO_COLOR", "1")
            .env("ATTEST_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    let unlimited = with_cache(&["run", "attest.yaml", "--out", "unlimited"]);
    assert!(
        matches!(unlimited.status.code(), Some(0 | 1)),
        "{}",
        stdout(&unlimited)
    );
    let cached = with_cache(&["run", "attest.yaml", "--dry-run"]);
    assert!(
        stdout(&cached).contains("cached, 0 to compute"),
        "{}",
        stdout(&cached)
    );
    let spec = std::fs::read_to_string(example.path().join("attest.yaml")).unwrap();
    let limited = spec.replace(
        "  cluster: patient_id",
        "  limits: { max_image_pixels: 10000 }\n  cluster: patient_id",
    );
    assert_ne!(limited, spec);
    std::fs::write(example.path().join("attest.yaml"), limited).unwrap();
    let plan = with_cache(&["run", "attest.yaml", "--dry-run"]);
    assert!(
        stdout(&plan).contains("needed, 0 cached"),
        "{}",
        stdout(&plan)
    );
    for extra in [&[][..], &["--no-cache"][..]] {
        let mut args = vec!["run", "attest.yaml", "--out", "run"];
        args.extend_from_slice(extra);
        let run = with_cache(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(4), "{}{stderr}", stdout(&run));
        assert!(
            stderr.contains("pixel count is 50176, the limit is 10000"),
            "{stderr}"
        );
        assert!(!example.path().join("run").exists());
    }
}
