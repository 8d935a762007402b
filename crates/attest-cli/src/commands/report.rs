//! `attest report DIR`: the report of a bundle (HTML and, with the `pdf` feature, PDF)
//! rendered again from the bundle's own files, written beside it (never into it: that would break its manifest and signature).

use attest_evidence::report::{rerender, REPORT_FILE};
use attest_evidence::EvidenceError;

use crate::cli::ReportArgs;
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// Re-renders the report.
pub fn run(args: &ReportArgs) -> Result<ExitStatus, CommandError> {
    let rendered = match rerender(&args.dir) {
        Ok(r) => r,
        Err(e @ EvidenceError::NotABundle { .. }) => {
            eprintln!(
                "error: {e}\n  help: give the run folder that holds results.json and spec.yaml"
            );
            return Ok(ExitStatus::Invalid);
        }
        Err(e) => return Err(CommandError::Data(e.to_string())),
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let mut name = args
            .dir
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "bundle".into());
        name.push(".report");
        args.dir.with_file_name(name)
    });
    std::fs::create_dir_all(&out).map_err(|source| CommandError::Io {
        action: "create the report folder",
        path: out.clone(),
        source,
    })?;
    let path = out.join(REPORT_FILE);
    crate::commands::output_file::write_atomically(&path, rendered.html.as_bytes())?;
    render::emit(&format!("wrote {}\n", path.display()));
    let pdf_path = out.join(attest_evidence::report::REPORT_PDF_FILE);
    if crate::commands::output_file::write_pdf(&pdf_path, &rendered.html, &rendered.identity)? {
        render::emit(&format!("wrote {}\n", pdf_path.display()));
    }
    Ok(ExitStatus::Success)
}
