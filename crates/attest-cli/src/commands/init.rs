//! `attest init`: a starter spec that validates once its files exist, and the schema beside it
//! so editors offer completion and hover help offline.

use attest_spec::schema;

use crate::cli::InitArgs;
use crate::commands::output_file::write_atomically;
use crate::commands::CommandError;
use crate::exit::ExitStatus;

/// The starter spec; its first line points editors at the schema written beside it.
pub const TEMPLATE: &str = include_str!("init_template.yaml");

/// Where the schema goes, relative to the spec's folder (the template's modeline says so).
pub const SCHEMA_FILE: &str = ".attest/spec.v1.json";

/// Writes `DIR/attest.yaml` and `DIR/.attest/spec.v1.json`; refuses to overwrite the spec
/// without `--force`.
pub fn run(args: &InitArgs) -> Result<ExitStatus, CommandError> {
    let spec_path = args.dir.join("attest.yaml");
    if spec_path.exists() && !args.force {
        return Err(CommandError::Usage(format!(
            "`{}` already exists; pass --force to overwrite it",
            spec_path.display()
        )));
    }
    let schema_path = args.dir.join(SCHEMA_FILE);
    write_atomically(&spec_path, TEMPLATE.as_bytes())?;
    write_atomically(
        &schema_path,
        schema::to_pretty(&schema::spec_schema()).as_bytes(),
    )?;
    println!("wrote {}", spec_path.display());
    println!(
        "wrote {} (editor help: the spec's first line points to it)",
        schema_path.display()
    );
    println!(
        "next: point `model` and `data` at your files, then `attest validate {}`",
        spec_path.display()
    );
    Ok(ExitStatus::Success)
}
