//! Helpers shared by the workspace integration tests: paths, and the one redaction step that
//! keeps snapshots stable across versions and machines.

use std::path::{Path, PathBuf};

use attest_spec::{Diagnostic, Validation};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The folder of test fixtures.
pub fn fixtures() -> PathBuf {
    workspace_root().join("tests").join("fixtures")
}

/// Hides what changes between machines and releases: the tool version and the workspace path.
pub fn redact(text: &str) -> String {
    let root = workspace_root().display().to_string();
    text.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
        .replace(&root, "[ROOT]")
}

/// Renders one diagnostic exactly as `attest validate` does, without colour.
pub fn render(diagnostic: &Diagnostic) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = format!("{}: {}", diagnostic.code, diagnostic.message);
    }
    out
}

/// Renders every diagnostic of a validation, redacted.
pub fn render_all(validation: &Validation) -> String {
    let mut out = String::new();
    for d in validation.diagnostics.iter() {
        out.push_str(&render(d));
        out.push('\n');
    }
    redact(&out)
}
