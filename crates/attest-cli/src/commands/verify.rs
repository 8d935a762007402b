//! `attest verify DIR`: re-hash an evidence bundle against its manifest and the run's inputs
//! where still present; name every difference; exit 0 when intact, 1 on any mismatch, 2 when
//! the folder is not a bundle.

use std::fmt::Write as _;

use attest_evidence::sign::SignatureStatus;
use attest_evidence::verify::{verify, InputCheck};
use attest_evidence::EvidenceError;

use crate::cli::VerifyArgs;
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// Verifies the bundle.
pub fn run(args: &VerifyArgs) -> Result<ExitStatus, CommandError> {
    let inputs = match (&args.inputs, args.no_inputs) {
        (_, true) => InputCheck::Skip,
        (Some(dir), false) => InputCheck::At(dir.clone()),
        (None, false) => InputCheck::Recorded,
    };
    let key = match &args.key {
        None => None,
        Some(path) => match attest_evidence::sign::read_verifying_key(path) {
            Ok(k) => Some(k),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitStatus::Invalid);
            }
        },
    };
    let v = match verify(&args.dir, &inputs, key.as_ref()) {
        Ok(v) => v,
        Err(e @ EvidenceError::NotABundle { .. }) => {
            eprintln!("error: {e}\n  help: give the run folder that holds manifest.json");
            return Ok(ExitStatus::Invalid);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::RuntimeError);
        }
    };
    let mut text = String::new();
    for (what, files) in [
        ("changed", &v.changed),
        ("missing", &v.missing),
        ("extra", &v.extra),
        ("input changed", &v.inputs_changed),
    ] {
        for f in files {
            let _ = writeln!(text, "✗ {what}: {f}");
        }
    }
    // Absent inputs are not a failure (inputs may be archived elsewhere), but an auditor
    // should see which ones could not be checked.
    const SHOWN: usize = 10;
    for f in v.inputs_absent.iter().take(SHOWN) {
        let _ = writeln!(text, "· input not present (not checked): {f}");
    }
    if v.inputs_absent.len() > SHOWN {
        let _ = writeln!(
            text,
            "· … and {} more inputs not present",
            v.inputs_absent.len() - SHOWN
        );
    }
    let inputs_line = match &v.inputs_dir {
        None => "inputs not checked".to_string(),
        Some(dir) => format!(
            "inputs under {}: {} unchanged, {} changed, {} not present",
            dir.display(),
            v.inputs_unchanged,
            v.inputs_changed.len(),
            v.inputs_absent.len()
        ),
    };
    let _ = writeln!(
        text,
        "{}",
        match &v.signature {
            SignatureStatus::Unsigned if v.key_given =>
                "✗ not signed, but --key demands a signature".to_string(),
            SignatureStatus::Unsigned => "unsigned".to_string(),
            SignatureStatus::Unchecked { keyid } =>
                format!("signed by key {keyid} (not checked: give --key PUBKEY)"),
            SignatureStatus::Valid { keyid } => format!("✓ signature valid (key {keyid})"),
            SignatureStatus::Invalid { reason } => format!("✗ signature invalid: {reason}"),
        }
    );
    if v.is_intact() {
        let _ = writeln!(
            text,
            "✓ bundle {} intact: {} files match the manifest; {inputs_line}",
            v.run_id, v.checked
        );
    } else {
        let _ = writeln!(
            text,
            "✗ bundle {} NOT verified: {} changed, {} missing, {} extra; {inputs_line}",
            v.run_id,
            v.changed.len(),
            v.missing.len(),
            v.extra.len()
        );
    }
    render::emit(&text);
    Ok(if v.is_intact() {
        ExitStatus::Success
    } else {
        ExitStatus::TestFailed
    })
}
