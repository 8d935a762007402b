//! `attest schema`: prints a generated JSON Schema.

use attest_spec::schema;

use crate::cli::SchemaArgs;
use crate::commands::CommandError;
use crate::exit::ExitStatus;

/// Prints the spec schema, or the results schema with `--results`.
pub fn run(args: &SchemaArgs) -> Result<ExitStatus, CommandError> {
    let value = if args.results {
        schema::results_schema()
    } else {
        schema::spec_schema()
    };
    print!("{}", schema::to_pretty(&value));
    Ok(ExitStatus::Success)
}
