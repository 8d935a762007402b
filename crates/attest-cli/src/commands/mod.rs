//! One module per subcommand; each returns the [`ExitStatus`] its outcome means.

mod cli_reference;
mod diff;
mod explain;
mod explore;
mod init;
mod keygen;
mod metrics;
mod model_check;
mod output_file;
mod perturb;
mod plan;
mod predict;
mod prepare;
mod report;
mod run;
mod run_dir;
mod schema;
mod similar;
mod validate;
mod verify;

use std::path::PathBuf;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;

/// A command could not do its job for a reason outside the spec's content.
#[derive(Debug)]
pub enum CommandError {
    /// Reading or writing a file failed.
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The user asked for something that cannot be done as asked.
    Usage(String),
    /// An input file's content cannot be used (a missing column, missing values).
    Data(String),
    /// The model could not be loaded or run.
    Model(attest_model::ModelError),
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} `{}`: {source}", path.display()),
            CommandError::Usage(message) | CommandError::Data(message) => f.write_str(message),
            CommandError::Model(e) => write!(f, "{e}\n  help: {}", e.help()),
        }
    }
}

impl CommandError {
    /// The exit status this error means.
    pub fn status(&self) -> ExitStatus {
        match self {
            CommandError::Io { .. } | CommandError::Model(_) => ExitStatus::RuntimeError,
            CommandError::Usage(_) | CommandError::Data(_) => ExitStatus::Invalid,
        }
    }
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> Result<ExitStatus, CommandError> {
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Schema(args) => schema::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Metrics(args) => metrics::run(&args),
        Command::Perturb(args) => perturb::run(&args),
        Command::Predict(args) => predict::run(&args),
        Command::CliReference => {
            crate::render::emit(&cli_reference::markdown());
            Ok(ExitStatus::Success)
        }
        Command::Run(args) => run::run(&args),
        Command::Merge(args) => run::merge(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Keygen(args) => keygen::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Explore(args) => explore::run(&args),
        Command::Similar(args) => similar::run(&args),
    }
}
