//! Reading a spec and its data for a command that runs the model (`run`, `predict`): the
//! spec is validated and its data checked; on errors the diagnostics go to stderr and the
//! command exits 2 without touching the model.

use std::path::Path;

use attest_engine::prepare::PrepareError;
use attest_engine::Prepared;

use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// The prepared spec, or the exit status of a spec or data that cannot be run.
pub fn prepare(spec_path: &Path) -> Result<Result<Prepared, ExitStatus>, CommandError> {
    match attest_engine::prepare::prepare(spec_path) {
        Ok(prepared) => Ok(Ok(prepared)),
        Err(PrepareError::Read(message)) => Err(CommandError::Usage(message)),
        Err(PrepareError::Table(path)) => Err(CommandError::Data(format!(
            "the case table `{}` could not be read",
            path.display()
        ))),
        Err(e) => {
            let color = render::stderr_color();
            for d in e.diagnostics() {
                eprint!("{}", render::human(d, color));
            }
            let what = match e {
                PrepareError::InvalidSpec { .. } => "invalid spec",
                _ => "the data has errors",
            };
            eprintln!("✗ {}: {what} (run `attest validate`)", spec_path.display());
            Ok(Err(ExitStatus::Invalid))
        }
    }
}

/// Threads to use: the flag, else every core.
pub fn threads(flag: Option<usize>) -> usize {
    flag.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}
