//! Reading a spec and its data for a command that runs the model (`run`, `predict`): the
//! spec is validated and its data checked; on errors the diagnostics go to stderr and the
//! command exits 2 without touching the model.

use std::path::Path;

use attest_data::cases::ImageCheck;
use attest_engine::Prepared;
use attest_spec::{validate_source, SpecSource, ValidateOptions};

use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// The prepared spec, or the exit status of a spec or data that cannot be run.
pub fn prepare(spec_path: &Path) -> Result<Result<Prepared, ExitStatus>, CommandError> {
    let text =
        attest_spec::read_spec_file(spec_path).map_err(|e| CommandError::Usage(e.to_string()))?;
    let base_dir = spec_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| ".".into(), ToOwned::to_owned);
    let source = SpecSource::new(spec_path.display().to_string(), text);
    let validation = validate_source(
        &source,
        &ValidateOptions {
            base_dir: Some(base_dir.clone()),
        },
    );
    let color = render::stderr_color();
    let Some(spec) = validation.valid_spec().cloned() else {
        for d in validation.diagnostics.iter() {
            eprint!("{}", render::human(d, color));
        }
        eprintln!(
            "✗ {}: invalid spec (run `attest validate`)",
            spec_path.display()
        );
        return Ok(Err(ExitStatus::Invalid));
    };
    let images = if spec.model.is_scores_only() {
        ImageCheck::Skip
    } else {
        ImageCheck::Exists
    };
    let data = attest_data::check::check(&spec, &validation.source, &base_dir, images);
    if data.has_errors() {
        for d in data
            .diagnostics
            .iter()
            .filter(|d| d.severity == attest_spec::Severity::Error)
        {
            eprint!("{}", render::human(d, color));
        }
        eprintln!(
            "✗ {}: the data has errors (run `attest validate`)",
            spec_path.display()
        );
        return Ok(Err(ExitStatus::Invalid));
    }
    let (Some(cases), Some(cohorts)) = (data.cases, data.cohorts) else {
        return Err(CommandError::Data(
            "the case table could not be read".into(),
        ));
    };
    Ok(Ok(Prepared {
        spec,
        source: validation.source.clone(),
        base_dir,
        cases,
        cohorts,
    }))
}

/// Threads to use: the flag, else every core.
pub fn threads(flag: Option<usize>) -> usize {
    flag.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}
