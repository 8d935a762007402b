//! `attest diff DIR_A DIR_B`: two runs compared as a regression report, written beside the
//! second bundle (never into either bundle).

use attest_evidence::diff::{
    default_out, diff, diff_identity, render_diff_html, VerdictChange, DIFF_FILE, DIFF_JSON_FILE,
    DIFF_PDF_FILE,
};
use attest_evidence::EvidenceError;

use crate::cli::DiffArgs;
use crate::commands::output_file::{write_atomically, write_pdf};
use crate::commands::CommandError;
use crate::exit::ExitStatus;
use crate::render;

/// Compares the two bundles; exit 0 when no verdict got worse, 1 when one did.
pub fn run(args: &DiffArgs) -> Result<ExitStatus, CommandError> {
    let compared = match diff(&args.before, &args.after) {
        Ok(d) => d,
        Err(e @ EvidenceError::NotABundle { .. }) => {
            eprintln!("error: {e}\n  help: give two run folders (each holds results.json and manifest.json)");
            return Ok(ExitStatus::Invalid);
        }
        Err(e) => return Err(CommandError::Data(e.to_string())),
    };
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.after));
    std::fs::create_dir_all(&out).map_err(|source| CommandError::Io {
        action: "create the diff folder",
        path: out.clone(),
        source,
    })?;
    let html = render_diff_html(&compared);
    write_atomically(&out.join(DIFF_FILE), html.as_bytes())?;
    let json = serde_json::to_string_pretty(&compared)
        .map_err(|e| CommandError::Data(format!("cannot write {DIFF_JSON_FILE}: {e}")))?;
    write_atomically(&out.join(DIFF_JSON_FILE), (json + "\n").as_bytes())?;
    write_pdf(&out.join(DIFF_PDF_FILE), &html, &diff_identity(&compared))?;

    let mut text = format!(
        "run {} → run {}\n",
        compared.before.run_id, compared.after.run_id
    );
    for t in &compared.tests {
        let verdict = |v: Option<attest_spec::results::Verdict>| v.map_or("—", |v| v.as_str());
        let headline = t
            .estimates
            .iter()
            .find(|e| e.change.is_some())
            .map(|e| {
                let interval = e.interval.as_ref().map_or_else(String::new, |i| {
                    format!(" [{:+.4}, {:+.4}]", i.lower, i.upper)
                });
                format!(
                    "{} on {} ({}): {:+.4}{interval}",
                    e.metric,
                    e.cohort,
                    e.variant,
                    e.change.unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let mark = match t.change {
            VerdictChange::Regressed => "  REGRESSED",
            VerdictChange::Improved => "  improved",
            VerdictChange::Added => "  added",
            VerdictChange::Removed => "  removed",
            VerdictChange::Same => "",
        };
        text += &format!(
            "  {:<12} {:>12} → {:<12} {headline}{mark}\n",
            t.id,
            verdict(t.before),
            verdict(t.after)
        );
    }
    for d in &compared.decomposition {
        if let (Some(model), Some(data)) = (d.model_effect, d.data_effect) {
            text += &format!(
                "  {:<12} auc on {}: {:+.4} = model {model:+.4}{} + data {data:+.4} ({} of {} cases scored by both models)\n",
                d.test,
                d.cohort,
                d.after - d.before,
                d.model_interval
                    .as_ref()
                    .map_or_else(String::new, |i| format!(" [{:+.4}, {:+.4}]", i.lower, i.upper)),
                d.covered,
                d.n
            );
        }
    }
    if !compared.data.unchanged() {
        text += &format!(
            "the data changed: {} images added, {} removed, {} altered, {} relabelled, {} cohorts resized\n",
            compared.data.images_added.len(),
            compared.data.images_removed.len(),
            compared.data.images_changed.len(),
            compared.data.labels_changed.len(),
            compared.data.cohorts.len()
        );
    }
    let regressions = compared.regressions().count();
    text += &format!(
        "{regressions} regression(s); wrote {}\n",
        out.join(DIFF_FILE).display()
    );
    render::emit(&text);
    Ok(if regressions == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::TestFailed
    })
}
