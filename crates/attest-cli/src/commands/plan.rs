//! `attest plan SPEC`: the verification test plan, to approve before the run.

use attest_evidence::plan::{render_plan, PLAN_FILE};

use crate::cli::PlanArgs;
use crate::commands::prepare::prepare;
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// Validates the spec and writes its plan.
pub fn run(args: &PlanArgs) -> Result<ExitStatus, CommandError> {
    let prepared = match prepare(&args.spec)? {
        Ok(p) => p,
        Err(status) => return Ok(status),
    };
    let sha = attest_data::hash::sha256_bytes(prepared.source.text.as_bytes());
    let out = args.out.clone().unwrap_or_else(|| {
        prepared
            .base_dir
            .join("evidence")
            .join(&prepared.spec.name)
            .join(format!("plan-{}", &sha[..8]))
    });
    std::fs::create_dir_all(&out).map_err(|source| CommandError::Io {
        action: "create the plan folder",
        path: out.clone(),
        source,
    })?;
    let path = out.join(PLAN_FILE);
    let html = render_plan(&prepared.spec, &prepared.source.text, &sha);
    crate::commands::output_file::write_atomically(&path, html.as_bytes())?;
    let pdf_path = out.join(attest_evidence::plan::PLAN_PDF_FILE);
    let identity = attest_evidence::plan::plan_identity(&prepared.spec.name, &sha);
    if crate::commands::output_file::write_pdf(&pdf_path, &html, &identity)? {
        render::emit(&format!("wrote {}\n", pdf_path.display()));
    }
    render::emit(&format!(
        "wrote {}\nplan hash (the spec's SHA-256): {sha}\nafter approval, run it with: attest run {} --plan-hash {sha}\n",
        path.display(),
        args.spec.display()
    ));
    Ok(ExitStatus::Success)
}
