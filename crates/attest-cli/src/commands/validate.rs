//! `attest validate`: every diagnostic of every named spec, then a verdict per file.

use std::path::Path;

use attest_data::cases::ImageCheck;
use attest_data::check::CohortCases;
use attest_spec::{validate_source, SpecSource, ValidateOptions, Validation};

use crate::cli::{Format, ValidateArgs};
use crate::commands::model_check::{check_models, ModelSummary};
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// One file's outcome.
struct Checked {
    name: String,
    outcome: Result<Validation, attest_spec::LoadError>,
    /// The cohorts resolved on the real table, when the spec and its data are valid.
    cohorts: Option<Vec<CohortCases>>,
    /// The models loaded, when the spec and its data are valid.
    models: Vec<ModelSummary>,
}

/// Validates each spec; exit 0 when all are valid, 2 otherwise.
pub fn run(args: &ValidateArgs) -> Result<ExitStatus, CommandError> {
    let checked: Vec<Checked> = args
        .specs
        .iter()
        .map(|path| {
            let mut cohorts = None;
            let mut models = Vec::new();
            let outcome = attest_spec::read_spec_file(path).map(|text| {
                let base_dir = (!args.skip_files).then(|| {
                    path.parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .map_or_else(|| ".".into(), ToOwned::to_owned)
                });
                let source = SpecSource::new(path.display().to_string(), text);
                let mut validation = validate_source(
                    &source,
                    &ValidateOptions {
                        base_dir: base_dir.clone(),
                    },
                );
                if let Some(base_dir) = base_dir {
                    cohorts = check_data(&mut validation, &base_dir);
                    if validation.is_valid() {
                        models = check_models(&mut validation, &base_dir);
                    }
                }
                validation
            });
            Checked {
                name: path.display().to_string(),
                outcome,
                cohorts,
                models,
            }
        })
        .collect();
    let failed = |c: &Checked| match &c.outcome {
        Ok(v) => !v.is_valid() || (args.deny_warnings && v.diagnostics.warning_count() > 0),
        Err(_) => true,
    };
    let any_failed = checked.iter().any(failed);
    match args.format {
        Format::Human => print_human(&checked, &failed),
        Format::Json => print_json(&checked, &failed),
    }
    Ok(if any_failed {
        ExitStatus::Invalid
    } else {
        ExitStatus::Success
    })
}

/// The data layer: once the spec itself is valid, its table and cohorts are checked against
/// the real files; the diagnostics join the spec's.
fn check_data(validation: &mut Validation, base_dir: &Path) -> Option<Vec<CohortCases>> {
    let spec = validation.valid_spec()?.clone();
    let images = if spec.model.is_scores_only() {
        ImageCheck::Skip
    } else {
        ImageCheck::Exists
    };
    let data = attest_data::check::check(&spec, &validation.source, base_dir, images);
    for d in data.diagnostics {
        validation.diagnostics.push(d);
    }
    data.cohorts
}

fn cohort_line(c: &CohortCases) -> String {
    let classes = match (c.positives, c.negatives) {
        (Some(p), Some(n)) => format!(" ({p} positive, {n} negative)"),
        _ => String::new(),
    };
    let unlabelled = if c.unlabelled > 0 {
        format!(", {} without label", c.unlabelled)
    } else {
        String::new()
    };
    format!("  {:<16} {:>7} cases{classes}{unlabelled}", c.name, c.n())
}

fn model_line(m: &ModelSummary) -> String {
    let Some(info) = &m.info else {
        return format!("{}: precomputed scores table", m.name);
    };
    let dim = |d: Option<usize>| d.map_or_else(|| "any".to_string(), |v| v.to_string());
    let outputs = info.outputs.map_or_else(String::new, |k| {
        format!(", {} output{}", k, if k == 1 { "" } else { "s" })
    });
    let sha = info.weights_sha256.as_ref().map_or_else(String::new, |s| {
        format!(", weights sha256 {}…", &s[..12.min(s.len())])
    });
    format!(
        "{}: {}, input {}×{}×{}{outputs}{sha}",
        m.name,
        info.backend,
        dim(info.input[0]),
        dim(info.input[1]),
        dim(info.input[2])
    )
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn print_human(checked: &[Checked], failed: &dyn Fn(&Checked) -> bool) {
    let color = render::stdout_color();
    for c in checked {
        match &c.outcome {
            Ok(v) => {
                for d in v.diagnostics.iter() {
                    print!("{}", render::human(d, color));
                    println!();
                }
                let errors = v.diagnostics.error_count();
                let warnings = v.diagnostics.warning_count();
                if failed(c) {
                    println!(
                        "✗ {}: invalid ({}, {})",
                        c.name,
                        plural(errors, "error"),
                        plural(warnings, "warning")
                    );
                } else if warnings > 0 {
                    println!("✓ {}: valid ({})", c.name, plural(warnings, "warning"));
                } else {
                    println!("✓ {}: valid", c.name);
                }
                for m in &c.models {
                    println!("{}", model_line(m));
                }
                if let Some(cohorts) = &c.cohorts {
                    println!("cohorts:");
                    for cohort in cohorts {
                        println!("{}", cohort_line(cohort));
                    }
                }
            }
            Err(err) => println!("✗ {}: {err}", c.name),
        }
    }
}

fn print_json(checked: &[Checked], failed: &dyn Fn(&Checked) -> bool) {
    let files: Vec<serde_json::Value> = checked
        .iter()
        .map(|c| match &c.outcome {
            Ok(v) => serde_json::json!({
                "file": c.name,
                "valid": !failed(c),
                "errors": v.diagnostics.error_count(),
                "warnings": v.diagnostics.warning_count(),
                "diagnostics": v.diagnostics.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
                "models": c.models.iter().map(|m| serde_json::json!({
                    "name": m.name,
                    "backend": m.info.as_ref().map(|i| i.backend.clone()),
                    "input": m.info.as_ref().map(|i| i.input),
                    "outputs": m.info.as_ref().and_then(|i| i.outputs),
                    "weights_sha256": m.info.as_ref().and_then(|i| i.weights_sha256.clone()),
                })).collect::<Vec<_>>(),
                "cohorts": c.cohorts.as_ref().map(|list| list.iter().map(|k| serde_json::json!({
                    "name": k.name,
                    "where": k.predicate,
                    "n": k.n(),
                    "positives": k.positives,
                    "negatives": k.negatives,
                    "unlabelled": k.unlabelled,
                })).collect::<Vec<_>>()),
            }),
            Err(err) => serde_json::json!({
                "file": c.name,
                "valid": false,
                "errors": 1,
                "warnings": 0,
                "diagnostics": [{
                    "code": "attest::spec::io",
                    "severity": "error",
                    "message": err.to_string(),
                    "file": c.name,
                    "path": null, "line": null, "column": null, "labels": [], "help": null,
                }],
            }),
        })
        .collect();
    let doc = serde_json::json!({ "valid": !checked.iter().any(failed), "files": files });
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
}
