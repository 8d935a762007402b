//! The `attest` command-line tool.
//!
//! Thin by design: [`cli`] turns arguments into a validated command, each module of
//! [`commands`] runs one subcommand and returns an [`ExitStatus`], and `main` is the only place
//! that turns it into the process exit code.

mod cli;
mod commands;
mod exit;
mod render;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    let status = match commands::run(args) {
        Ok(status) => status,
        Err(err) => {
            eprintln!("error: {err}");
            err.status()
        }
    };
    std::process::ExitCode::from(status.code())
}
