//! A bundle written for a small scores-only spec: the JUnit report and traceability matrix
//! (snapshots), a manifest that verifies, and tampering — one changed byte, a deleted file,
//! an added file, a changed input — that `verify` names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use attest_data::cases::ImageCheck;
use attest_engine::{NoProgress, Outcome, Prepared, RunOptions};
use attest_evidence::verify::{verify, InputCheck};

const SPEC: &str = r#"attest: 1
name: bundle-example
intended_use: Synthetic scores for testing the evidence bundle.
seed: 5
model:
  id: scorer
  version: "2.1"
  scores: scores.csv
  output: { task: binary, positive: "yes" }
data:
  table: cases.csv
  id: case_id
  label: { column: finding, positive: "yes" }
cohorts:
  test: { where: "split = 'test'" }
requirements:
  REQ-1: The model separates findings from normal cases.
  REQ-2: The model is calibrated.
  REQ-3: Declared, but no test covers it yet.
risk_controls:
  RC-1: Missed findings are controlled by a high-sensitivity threshold.
signatories:
  prepared: { name: "A. Tester <QA>", function: Verification engineer }
  approved: { name: B. Approver }
operating_points:
  high_sens: { choose_on: test, target: { sensitivity: 0.9 } }
explore:
  columns: [scanner]
  min_cases: 20
  top: 3
tests:
  - id: PERF-1
    title: Discrimination
    traces: [REQ-1, RC-1]
    cohort: test
    metric: auc
    require: { lower: ">= 0.6" }
  - id: PERF-2
    title: Specificity at high sensitivity (a criterion this model misses)
    traces: [REQ-1]
    cohort: test
    metric: specificity
    at: high_sens
    require: { lower: ">= 0.99" }
  - id: CAL-1
    traces: [REQ-2]
    cohort: test
    metric: brier
    require: { estimate: "<= 0.5" }
"#;

fn write_inputs(dir: &Path) {
    let mut table = String::from("case_id,finding,split,scanner\n");
    let mut scores = String::from("case_id,score\n");
    // A fixed, easy pattern: score rises with the case number, positives mostly high.
    for i in 0..200u32 {
        let positive = (i * 7 + 3) % 10 < 4;
        let score = (f64::from((i * 37) % 100) / 100.0 + if positive { 0.35 } else { 0.0 }) / 1.35;
        table += &format!(
            "k{i:03},{},{},{}\n",
            if positive { "yes" } else { "no" },
            if i % 5 == 0 { "tune" } else { "test" },
            ["X", "Y", "Z"][i as usize % 3]
        );
        scores += &format!("k{i:03},{score:.6}\n");
    }
    std::fs::write(dir.join("cases.csv"), table).unwrap();
    std::fs::write(dir.join("scores.csv"), scores).unwrap();
    std::fs::write(dir.join("attest.yaml"), SPEC).unwrap();
}

fn run(dir: &Path) -> (Prepared, Outcome) {
    let validation = attest_spec::validate_file(&dir.join("attest.yaml")).unwrap();
    let spec = validation.valid_spec().expect("valid").clone();
    let check = attest_data::check::check(&spec, &validation.source, dir, ImageCheck::Exists);
    assert!(!check.has_errors());
    let prepared = Prepared {
        spec,
        source: validation.source.clone(),
        base_dir: dir.to_path_buf(),
        cases: check.cases.unwrap(),
        cohorts: check.cohorts.unwrap(),
        partial: None,
    };
    let outcome = attest_engine::run(
        &prepared,
        &RunOptions {
            threads: 1,
            batch: 32,
            cache: None,
            backend: None,
            models: None,
            stop: None,
            progress: &NoProgress,
            run_id: "bundle-test".into(),
        },
    )
    .unwrap();
    (prepared, outcome)
}

/// `text` with the run's times and machine replaced.
fn redacted(text: &str, outcome: &Outcome) -> String {
    let mut text = text.replace(&outcome.results.started_at, "<started_at>");
    if let Some(env) = &outcome.results.environment {
        let machine = format!("{}, {} CPUs, {} threads", env.os, env.cpus, env.threads);
        text = text.replace(&machine, "<machine>");
        // The CPU model, or "—" where the system does not tell it.
        let cpu = env.cpu.clone().unwrap_or_else(|| "—".into());
        text = text.replace(
            &format!(
                "<th>CPU</th><td>{}</td>",
                attest_evidence::report::esc(&cpu)
            ),
            "<th>CPU</th><td><cpu></td>",
        );
    }
    // Who ran it (the USER variable, absent in some CI containers).
    let marker = "<tr><th>Run by</th><td>";
    if let Some(start) = text.find(marker) {
        let from = start + marker.len();
        if let Some(len) = text[from..].find("</td>") {
            text.replace_range(from..from + len, "<user>");
        }
    }
    text
}

/// The example's inputs, its run, and its bundle written to `out/run` (both folders kept
/// alive by the struct).
struct Written {
    inputs: tempfile::TempDir,
    prepared: Prepared,
    outcome: Outcome,
    out: tempfile::TempDir,
    bundle: std::path::PathBuf,
}

fn written() -> Written {
    let inputs = tempfile::tempdir().unwrap();
    write_inputs(inputs.path());
    let (prepared, outcome) = run(inputs.path());
    let out = tempfile::tempdir().unwrap();
    let bundle = out.path().join("run");
    attest_evidence::write_bundle(&bundle, &prepared, &outcome, None).unwrap();
    Written {
        inputs,
        prepared,
        outcome,
        out,
        bundle,
    }
}

#[test]
fn the_bundle_holds_every_file_verifies_and_names_any_tampering() {
    let Written {
        inputs,
        prepared,
        outcome,
        out,
        bundle,
    } = written();
    let mut names: Vec<String> = std::fs::read_dir(&bundle)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected = vec![
        "curves.json",
        "junit.xml",
        "manifest.json",
        "predictions.parquet",
        "report.html",
        "results.json",
        "spec.yaml",
        "traceability.csv",
    ];
    if attest_evidence::report::PDF_ENABLED {
        expected.insert(5, "report.pdf");
    }
    assert_eq!(names, expected);

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!(
            "junit",
            redacted(
                &std::fs::read_to_string(bundle.join("junit.xml")).unwrap(),
                &outcome
            )
        );
        let html = std::fs::read_to_string(bundle.join("report.html")).unwrap();
        let finished = outcome.results.finished_at.clone().unwrap();
        // Both times read `<started_at>`, whether or not they fall in the same second.
        insta::assert_snapshot!(
            "report_html",
            redacted(
                &html.replace(&finished, &outcome.results.started_at),
                &outcome
            )
            .replace(&inputs.path().display().to_string(), "<dir>")
        );
        insta::assert_snapshot!(
            "plan_html",
            attest_evidence::plan::render_plan(
                &prepared.spec,
                &prepared.source.text,
                &outcome.results.spec_sha256
            )
        );
        insta::assert_snapshot!(
            "traceability",
            std::fs::read_to_string(bundle.join("traceability.csv")).unwrap()
        );
        // results.json with what differs run to run (times, machine, durations) redacted.
        let mut results: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bundle.join("results.json")).unwrap()).unwrap();
        for key in ["started_at", "finished_at", "environment"] {
            results[key] = serde_json::Value::String(format!("<{key}>"));
        }
        if let Some(inference) = results["inference"].as_object_mut() {
            for (key, value) in inference.iter_mut() {
                if key.ends_with("seconds") {
                    *value = serde_json::Value::String("<seconds>".into());
                }
            }
        }
        insta::assert_snapshot!(
            "results_json",
            serde_json::to_string_pretty(&results).unwrap()
        );
    });

    // The confusion matrix agrees with the test's own estimate at its operating point.
    let curves: attest_evidence::report::Curves =
        serde_json::from_slice(&std::fs::read(bundle.join("curves.json")).unwrap()).unwrap();
    let m = curves
        .confusion
        .iter()
        .find(|m| m.test == "PERF-2")
        .unwrap();
    let specificity = outcome
        .results
        .tests
        .iter()
        .find(|t| t.id == "PERF-2")
        .unwrap()
        .estimates[0]
        .clone();
    assert_eq!(m.tn + m.fp, specificity.negatives.unwrap());
    assert!((m.tn as f64 / (m.tn + m.fp) as f64 - specificity.value.unwrap()).abs() < 1e-12);
    let cohort = outcome
        .results
        .cohorts
        .iter()
        .find(|c| c.name == "test")
        .unwrap();
    assert_eq!(m.tp + m.fn_ + m.tn + m.fp, cohort.n);
    assert_eq!(m.tp + m.fn_, cohort.positives.unwrap());

    // The report renders again from the bundle alone, identically.
    let rerendered = attest_evidence::report::rerender(&bundle).unwrap();
    assert_eq!(
        rerendered.html,
        std::fs::read_to_string(bundle.join("report.html")).unwrap()
    );
    // So does its PDF, byte for byte (no clock, no machine fonts in it).
    #[cfg(feature = "pdf")]
    assert!(
        attest_evidence::report::typeset_pdf(&rerendered.html, &rerendered.identity, "report.pdf")
            .unwrap()
            == std::fs::read(bundle.join("report.pdf")).unwrap(),
        "the PDF typeset again differs"
    );

    // results.json validates against the committed schema.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/results.v1.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("results.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&results)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // Intact: every output and every input (spec, scores table, case table) checks out.
    let v = verify(&bundle, &InputCheck::Recorded, None).unwrap();
    assert!(v.is_intact(), "{v:?}");
    // Every file but the manifest itself.
    assert_eq!(v.checked, expected.len() - 1);
    assert_eq!(v.inputs_unchanged, 3);

    // One changed byte in any output is named.
    for name in ["results.json", "predictions.parquet", "junit.xml"] {
        let path = bundle.join(name);
        let original = std::fs::read(&path).unwrap();
        let mut bytes = original.clone();
        bytes[original.len() / 2] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let v = verify(&bundle, &InputCheck::Skip, None).unwrap();
        assert!(!v.is_intact());
        assert_eq!(v.changed, [name]);
        std::fs::write(&path, original).unwrap();
    }
    // A deleted file and an added one are named.
    let trace = std::fs::read(bundle.join("traceability.csv")).unwrap();
    std::fs::remove_file(bundle.join("traceability.csv")).unwrap();
    std::fs::write(bundle.join("notes.txt"), "added later").unwrap();
    let v = verify(&bundle, &InputCheck::Skip, None).unwrap();
    assert_eq!(v.missing, ["traceability.csv"]);
    assert_eq!(v.extra, ["notes.txt"]);
    std::fs::write(bundle.join("traceability.csv"), trace).unwrap();
    std::fs::remove_file(bundle.join("notes.txt")).unwrap();
    assert!(verify(&bundle, &InputCheck::Skip, None)
        .unwrap()
        .is_intact());

    // A changed input (the scores table) is named; an input gone is reported, not failed.
    std::fs::write(inputs.path().join("scores.csv"), "case_id,score\n").unwrap();
    let v = verify(&bundle, &InputCheck::Recorded, None).unwrap();
    assert_eq!(v.inputs_changed, ["scores.csv"]);
    std::fs::remove_file(inputs.path().join("scores.csv")).unwrap();
    let v = verify(&bundle, &InputCheck::Recorded, None).unwrap();
    assert!(v.is_intact());
    assert_eq!(v.inputs_absent, ["scores.csv"]);

    // Not a bundle: named as such.
    assert!(matches!(
        verify(out.path(), &InputCheck::Skip, None),
        Err(attest_evidence::EvidenceError::NotABundle { .. })
    ));
}

#[test]
fn a_signed_bundle_verifies_with_its_key_and_not_with_another_or_after_tampering() {
    use attest_evidence::sign::{self, SignatureStatus};
    let inputs = tempfile::tempdir().unwrap();
    write_inputs(inputs.path());
    let (prepared, outcome) = run(inputs.path());
    let out = tempfile::tempdir().unwrap();
    let bundle = out.path().join("run");
    let key = sign::generate().unwrap();
    // Keys round-trip through their PEM files.
    let private = out.path().join("k.key");
    let public = out.path().join("k.pub");
    std::fs::write(&private, sign::private_pem(&key).unwrap()).unwrap();
    std::fs::write(&public, sign::public_pem(&key.verifying_key()).unwrap()).unwrap();
    let key = sign::read_signing_key(&private).unwrap();
    let public = sign::read_verifying_key(&public).unwrap();
    attest_evidence::write_bundle(&bundle, &prepared, &outcome, Some(&key)).unwrap();
    assert!(bundle.join("manifest.dsse.json").is_file());

    let v = verify(&bundle, &InputCheck::Skip, Some(&public)).unwrap();
    assert!(v.is_intact(), "{v:?}");
    assert!(matches!(v.signature, SignatureStatus::Valid { .. }));
    // Without a key the signature is reported but not checked.
    let v = verify(&bundle, &InputCheck::Skip, None).unwrap();
    assert!(matches!(v.signature, SignatureStatus::Unchecked { .. }));
    assert!(v.is_intact());

    // Another key: refused.
    let other = sign::generate().unwrap().verifying_key();
    let v = verify(&bundle, &InputCheck::Skip, Some(&other)).unwrap();
    assert!(!v.is_intact());
    assert!(matches!(v.signature, SignatureStatus::Invalid { .. }));

    // A re-written manifest (someone "fixing" it after editing a file): refused.
    let manifest_path = bundle.join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    std::fs::write(&manifest_path, manifest.replace("\"FAIL\"", "\"PASS\"")).unwrap();
    let v = verify(&bundle, &InputCheck::Skip, Some(&public)).unwrap();
    match &v.signature {
        SignatureStatus::Invalid { reason } => {
            assert!(reason.contains("changed after"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    std::fs::write(&manifest_path, manifest).unwrap();

    // A forged signature: refused.
    let envelope_path = bundle.join("manifest.dsse.json");
    let envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&envelope_path).unwrap()).unwrap();
    let mut forged = envelope.clone();
    let sig = forged["signatures"][0]["sig"].as_str().unwrap().to_string();
    let flipped = if sig.starts_with('A') {
        sig.replacen('A', "B", 1)
    } else {
        format!("A{}", &sig[1..])
    };
    forged["signatures"][0]["sig"] = serde_json::Value::String(flipped);
    std::fs::write(&envelope_path, forged.to_string()).unwrap();
    let v = verify(&bundle, &InputCheck::Skip, Some(&public)).unwrap();
    assert!(
        matches!(v.signature, SignatureStatus::Invalid { .. }),
        "{:?}",
        v.signature
    );
    // A key demands a signature: an unsigned bundle fails.
    std::fs::remove_file(&envelope_path).unwrap();
    let v = verify(&bundle, &InputCheck::Skip, Some(&public)).unwrap();
    assert_eq!(v.signature, SignatureStatus::Unsigned);
    assert!(!v.is_intact());
}

/// Debian's `chromium` (or another Chromium/Chrome on PATH); `None` where none is installed,
/// unless `ATTEST_REQUIRE_CHROMIUM` is set (CI sets it and installs chromium).
fn browser() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("ATTEST_REQUIRE_CHROMIUM").is_none(),
            "chromium is required (apt-get install chromium)"
        );
        eprintln!("no chromium on PATH: the report is not opened in a browser");
    }
    found
}

/// Count of pixels within a small distance of `hex` (`#RRGGBB`).
fn pixels_of(image: &image::RgbImage, hex: &str) -> usize {
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
    let target = [channel(1), channel(3), channel(5)];
    image
        .pixels()
        .filter(|p| p.0.iter().zip(target).all(|(&a, b)| a.abs_diff(b) <= 6))
        .count()
}

/// A real browser opens `report.html` headless from disk: no console message and no failed
/// request (the page needs no script and no network), and the screenshot shows the verdict
/// badges (PASS green and FAIL red pixels) and the plots (the chart series colour).
/// `ATTEST_SCREENSHOT_OUT=FILE` keeps the screenshot.
#[test]
fn the_report_opens_in_a_real_browser_without_errors_and_shows_verdicts_and_plots() {
    let Some(chromium) = browser() else {
        return;
    };
    let Written { out, bundle, .. } = written();
    let shot = out.path().join("report.png");
    let profile = out.path().join("profile");
    let url = format!("file://{}", bundle.join("report.html").display());
    let output = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            // Containers: a small /dev/shm, and no reason for the browser's own traffic.
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,6000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    // A page resource that fails to load is reported as a console message too.
    for problem in ["CONSOLE", "Failed to load resource"] {
        assert!(
            !log.contains(problem),
            "{problem} in the browser's log:\n{log}"
        );
    }
    let image = image::open(&shot).unwrap().to_rgb8();
    assert_eq!(image.dimensions(), (1280, 6000));
    assert!(pixels_of(&image, "#1E8449") > 200, "no PASS badge in view");
    assert!(pixels_of(&image, "#C0392B") > 200, "no FAIL badge in view");
    assert!(pixels_of(&image, "#0072B2") > 100, "no plot series in view");
    if let Some(keep) = std::env::var_os("ATTEST_SCREENSHOT_OUT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

/// Two runs of the spec, the second with a worse model (scores of half the cases replaced by
/// noise): the diff names PERF-1's regression, its AUC drop with an interval below zero, and
/// no data change; a run compared with itself changes nothing.
#[test]
fn diff_names_a_regression_with_the_change_and_its_interval() {
    use attest_evidence::diff::{diff, render_diff_html, VerdictChange};
    let inputs = tempfile::tempdir().unwrap();
    write_inputs(inputs.path());
    let out = tempfile::tempdir().unwrap();
    let (prepared, outcome) = run(inputs.path());
    let before = out.path().join("before");
    attest_evidence::write_bundle(&before, &prepared, &outcome, None).unwrap();

    let scores = std::fs::read_to_string(inputs.path().join("scores.csv")).unwrap();
    let worse: String = scores
        .lines()
        .enumerate()
        .map(|(i, line)| match (i, line.split_once(',')) {
            (i, Some((id, _))) if i > 0 && i % 2 == 0 => {
                format!("{id},{:.6}\n", f64::from((i as u32 * 53) % 97) / 97.0)
            }
            _ => format!("{line}\n"),
        })
        .collect();
    std::fs::write(inputs.path().join("scores.csv"), worse).unwrap();
    let (prepared, outcome) = run(inputs.path());
    let after = out.path().join("after");
    attest_evidence::write_bundle(&after, &prepared, &outcome, None).unwrap();

    let d = diff(&before, &after).unwrap();
    assert!(d.data.unchanged(), "{:?}", d.data);
    let perf = d.tests.iter().find(|t| t.id == "PERF-1").unwrap();
    let auc = perf
        .estimates
        .iter()
        .find(|e| e.metric == "auc" && e.cohort == "test")
        .unwrap();
    let change = auc.change.unwrap();
    assert!(change < -0.1, "{change}");
    let (a, b) = (auc.before.unwrap().0, auc.after.unwrap().0);
    assert!((change - (b - a)).abs() < 1e-15);
    let interval = auc.interval.as_ref().unwrap();
    assert!(interval.lower < change && change < interval.upper && interval.upper < 0.0);
    let html = render_diff_html(&d);
    for needle in ["PERF-1", "CAL-1", "MOVER", "clear change"] {
        assert!(html.contains(needle), "{needle}");
    }
    // Same data, another model: the whole change is the model's, with a paired interval
    // that is narrower than the independent-samples (MOVER) one.
    let split = d
        .decomposition
        .iter()
        .find(|s| s.test == "PERF-1" && s.cohort == "test")
        .unwrap();
    assert_eq!((split.covered, split.n), (160, 160), "{split:?}");
    assert!(
        (split.model_effect.unwrap() - change).abs() < 1e-12,
        "{split:?}"
    );
    assert!(split.data_effect.unwrap().abs() < 1e-12, "{split:?}");
    let paired = split.model_interval.as_ref().unwrap();
    assert!(paired.upper - paired.lower < interval.upper - interval.lower);
    assert!(html.contains("Model or data?"));
    let regressed: Vec<&str> = d.regressions().map(|t| t.id.as_str()).collect();
    let expected_regression = perf.before != perf.after;
    assert_eq!(regressed.contains(&"PERF-1"), expected_regression);

    let same = diff(&before, &before).unwrap();
    assert!(same.tests.iter().all(|t| t.change == VerdictChange::Same));
    assert!(same
        .tests
        .iter()
        .flat_map(|t| &t.estimates)
        .all(|e| e.change.is_none_or(|c| c == 0.0)));
    assert!(diff(&before, out.path()).is_err());
}

#[test]
fn diff_names_relabelled_cases_and_resized_cohorts() {
    let Written {
        inputs,
        out,
        bundle,
        ..
    } = written();
    // Relabel one case (k002: "no" → "yes") and move another to tuning, then run again.
    let table = std::fs::read_to_string(inputs.path().join("cases.csv")).unwrap();
    assert!(table.contains("k002,no,test,Z\n") && table.contains("k003,no,test,X\n"));
    let edited = table
        .replace("k002,no,test,Z\n", "k002,yes,test,Z\n")
        .replace("k003,no,test,X\n", "k003,no,tune,X\n");
    std::fs::write(inputs.path().join("cases.csv"), edited).unwrap();
    let (prepared, outcome) = run(inputs.path());
    let second = out.path().join("second");
    attest_evidence::write_bundle(&second, &prepared, &outcome, None).unwrap();
    let compared = attest_evidence::diff::diff(&bundle, &second).unwrap();
    assert_eq!(compared.data.labels_changed, vec!["k002".to_string()]);
    // The same model on changed data: the whole AUC change is the data's, the model's part
    // on the 159 cases both runs scored is exactly nothing.
    let split = compared
        .decomposition
        .iter()
        .find(|s| s.test == "PERF-1" && s.cohort == "test")
        .unwrap();
    assert_eq!((split.covered, split.n), (159, 159), "{split:?}");
    assert_eq!(split.model_effect, Some(0.0), "{split:?}");
    assert!(
        (split.data_effect.unwrap() - (split.after - split.before)).abs() < 1e-15,
        "{split:?}"
    );
    assert!(split.after != split.before);
    assert!(compared.data.images_added.is_empty());
    assert!(compared
        .data
        .cohorts
        .iter()
        .any(|c| c.name == "test" && c.before == Some(160) && c.after == Some(159)));
    assert!(!compared.data.unchanged());
    let html = attest_evidence::diff::render_diff_html(&compared);
    assert!(html.contains("labels changed (same case id, other label)"));
    assert!(html.contains("k002"));
}

/// Cases added *and* a new model: the model's part is measured on the cases both runs
/// scored (and says so), the data's part is the rest, and the two add up to the change.
#[test]
fn diff_splits_a_change_when_both_the_model_and_the_data_moved() {
    let Written {
        inputs,
        out,
        bundle,
        ..
    } = written();
    let mut table = std::fs::read_to_string(inputs.path().join("cases.csv")).unwrap();
    let mut scores = String::from("case_id,score\n");
    for line in std::fs::read_to_string(inputs.path().join("scores.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let (id, score) = line.split_once(',').unwrap();
        let score: f64 = score.parse().unwrap();
        scores += &format!("{id},{:.6}\n", (score * 0.8 + 0.1).min(1.0));
    }
    for i in 200..240u32 {
        let positive = i % 3 == 0;
        table += &format!("k{i:03},{},test,X\n", if positive { "yes" } else { "no" });
        scores += &format!("k{i:03},{:.6}\n", f64::from((i * 29) % 100) / 100.0);
    }
    std::fs::write(inputs.path().join("cases.csv"), table).unwrap();
    std::fs::write(inputs.path().join("scores.csv"), scores).unwrap();
    let (prepared, outcome) = run(inputs.path());
    let second = out.path().join("second");
    attest_evidence::write_bundle(&second, &prepared, &outcome, None).unwrap();
    let compared = attest_evidence::diff::diff(&bundle, &second).unwrap();
    let split = compared
        .decomposition
        .iter()
        .find(|s| s.test == "PERF-1" && s.cohort == "test")
        .unwrap();
    assert_eq!((split.covered, split.n), (160, 200), "{split:?}");
    assert!(
        split.note.as_ref().unwrap().contains("160 of 200"),
        "{split:?}"
    );
    let (model, data) = (split.model_effect.unwrap(), split.data_effect.unwrap());
    assert!(((model + data) - (split.after - split.before)).abs() < 1e-12);
    // A monotone rescaling of the old scores keeps their ranking: the model's AUC on the
    // old cases is unchanged, so the whole change is the 40 new cases'.
    assert!(model.abs() < 1e-12, "{split:?}");
    assert!(data.abs() > 1e-3, "{split:?}");
}
