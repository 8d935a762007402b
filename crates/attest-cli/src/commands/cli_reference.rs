//! `attest cli-reference`: the command-line reference as Markdown, made from the same clap
//! definitions that parse the arguments, so the book's CLI chapter cannot drift from the
//! binary (a test compares it with `book/src/cli.md`). Hand-written rather than through a
//! crate: the output is a few headings and a table per command, and owning it keeps the
//! chapter's shape stable across clap releases.

use std::fmt::Write as _;

use clap::{Arg, Command, CommandFactory};

use crate::cli::Cli;

/// The whole reference: the tool, then each visible subcommand with its usage, arguments and
/// options.
pub fn markdown() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = String::new();
    let _ = writeln!(out, "# CLI reference\n");
    let _ = writeln!(
        out,
        "Generated from the `attest` binary's own argument definitions (`attest cli-reference`);\n`attest help COMMAND` prints the same.\n"
    );
    if let Some(about) = cmd.get_about() {
        let _ = writeln!(out, "{about}\n");
    }
    let _ = writeln!(out, "```text\n{}\n```\n", usage(&mut cmd));
    if let Some(after) = cmd.get_after_help() {
        let _ = writeln!(out, "```text\n{}\n```\n", after.to_string().trim_end());
    }
    for sub in cmd.get_subcommands_mut() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        subcommand(&mut out, sub);
    }
    out
}

fn usage(cmd: &mut Command) -> String {
    cmd.render_usage()
        .to_string()
        .trim_start_matches("Usage: ")
        .to_string()
}

fn subcommand(out: &mut String, cmd: &mut Command) {
    let _ = writeln!(out, "## `attest {}`\n", cmd.get_name());
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        let _ = writeln!(out, "{about}\n");
    }
    let _ = writeln!(out, "```text\n{}\n```\n", usage(cmd));
    let args: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && a.get_id() != "help" && a.get_id() != "version")
        .collect();
    if args.is_empty() {
        return;
    }
    let _ = writeln!(out, "| argument | meaning |\n|---|---|");
    for arg in args {
        let _ = writeln!(out, "| {} | {} |", name(arg), help(arg));
    }
    let _ = writeln!(out);
}

/// `SPEC`, `--out <DIR>`, `-o, --out <DIR>`.
fn name(arg: &Arg) -> String {
    let value = arg
        .get_value_names()
        .map(|v| {
            v.iter()
                .map(|n| format!("<{n}>"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    if arg.is_positional() {
        return format!("`{}`", value.trim_start_matches('<').trim_end_matches('>'));
    }
    let mut flags = Vec::new();
    if let Some(short) = arg.get_short() {
        flags.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        flags.push(format!("--{long}"));
    }
    let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
    let value = if takes_value && !value.is_empty() {
        format!(" {value}")
    } else {
        String::new()
    };
    format!("`{}{value}`", flags.join(", "))
}

/// The help text on one table line, with the default and the choices where there are any.
fn help(arg: &Arg) -> String {
    let mut text = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // Sentences follow the help text; `<`/`>` are escaped so that mdBook does not read
    // `<spec name>` as an HTML tag.
    text = text.replace('<', "&lt;").replace('>', "&gt;");
    if !text.is_empty() && !text.ends_with('.') {
        text.push('.');
    }
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    if !choices.is_empty() {
        let _ = write!(text, " Choices: {}.", choices.join(", "));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
    if !defaults.is_empty() && !arg.is_positional() && takes_value {
        let _ = write!(text, " Default: `{}`.", defaults.join(" "));
    }
    text.replace('|', "\\|")
}
