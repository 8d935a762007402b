//! `attest perturb`: apply a kind to an image, draw a contact sheet, or list the kinds.

use std::fmt::Write as _;

use attest_data::images::{read_image, ReadOptions};
use attest_perturb::io::write_image;
use attest_perturb::sheet::contact_sheet;
use attest_perturb::{kind, kinds, perturb, KindDef, Params, PerturbError};

use crate::cli::PerturbArgs;
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render::emit;

fn usage(e: PerturbError) -> CommandError {
    match e {
        PerturbError::Codec(message) => CommandError::Data(message),
        other => CommandError::Usage(other.to_string()),
    }
}

/// Runs the command.
pub fn run(args: &PerturbArgs) -> Result<ExitStatus, CommandError> {
    if args.list {
        emit(&list());
        return Ok(ExitStatus::Success);
    }
    let (Some(input), Some(name), Some(output)) = (&args.input, &args.kind, &args.output) else {
        return Err(CommandError::Usage(
            "INPUT, --kind and -o OUTPUT are required".into(),
        ));
    };
    let def = kind(name).map_err(usage)?;
    let options = ReadOptions {
        frame: args.frame,
        ..ReadOptions::default()
    };
    let image = read_image(input, &options)
        .map_err(|e| match e.help() {
            Some(help) => CommandError::Data(format!("{e}\n  help: {help}")),
            None => CommandError::Data(e.to_string()),
        })?
        .image;
    if args.sheet {
        let overrides = parse_overrides(&args.params)?;
        let sheet = contact_sheet(
            &image,
            def,
            args.table.as_deref(),
            &overrides,
            args.seed,
            args.tile_height,
        )
        .map_err(usage)?;
        write_image(&sheet, output).map_err(usage)?;
        eprintln!(
            "wrote {} ({} severities of {})",
            output.display(),
            def.max_severity(),
            def.name
        );
        return Ok(ExitStatus::Success);
    }
    let severity = args.severity.unwrap_or(0);
    let result = if severity == 0 {
        image
    } else {
        let params = resolve(
            def,
            severity,
            args.table.as_deref(),
            &parse_overrides(&args.params)?,
        )?;
        perturb(&image, &params, args.seed).map_err(usage)?
    };
    write_image(&result, output).map_err(usage)?;
    eprintln!(
        "wrote {} ({}, severity {severity}, seed {}, {})",
        output.display(),
        def.name,
        args.seed,
        result.pixel_type().name()
    );
    Ok(ExitStatus::Success)
}

/// `NAME=VALUE` pairs.
fn parse_overrides(pairs: &[String]) -> Result<Vec<(String, f64)>, CommandError> {
    pairs
        .iter()
        .map(|pair| {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                CommandError::Usage(format!(
                    "--param `{pair}`: write NAME=VALUE, e.g. sigma=0.1"
                ))
            })?;
            let value: f64 = value.trim().parse().map_err(|_| {
                CommandError::Usage(format!("--param `{pair}`: `{value}` is not a number"))
            })?;
            Ok((name.trim().to_string(), value))
        })
        .collect()
}

/// The parameters of a severity row with overrides applied.
fn resolve(
    def: &'static KindDef,
    severity: u8,
    table: Option<&str>,
    overrides: &[(String, f64)],
) -> Result<Params, CommandError> {
    let mut params = def.severity(severity, table).map_err(usage)?;
    for (name, value) in overrides {
        params = params.with(name, *value).map_err(usage)?;
    }
    Ok(params)
}

fn list() -> String {
    let mut out = String::new();
    let mut family = "";
    for k in kinds() {
        if k.family.name() != family {
            family = k.family.name();
            let _ = writeln!(out, "\n{family}");
        }
        let _ = writeln!(
            out,
            "  {:<22} {}{}",
            k.name,
            k.summary,
            if k.random { " [seeded]" } else { "" }
        );
        let names: Vec<&str> = k.params.iter().map(|p| p.name).collect();
        for table in k.tables {
            let rows: Vec<String> = table
                .rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|v| format!("{v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            let _ = writeln!(
                out,
                "  {:<22} {} ({}): {}",
                "",
                names.join(", "),
                table.source,
                rows.iter()
                    .map(|r| format!("[{r}]"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    out
}
