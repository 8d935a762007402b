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
    /// Check specs for errors without running them (no model or image is loaded).
    Validate(ValidateArgs),
    /// Print the JSON Schema of the spec (or of the results record).
    Schema(SchemaArgs),
    /// Write a commented starter `attest.yaml` (and its schema, for editor help).
    Init(InitArgs),
    /// Explain the spec language: metrics, CI methods, perturbation kinds, test kinds.
    Explain(ExplainArgs),
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
    /// Skip checks that read other files (referenced files exist, table columns).
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
