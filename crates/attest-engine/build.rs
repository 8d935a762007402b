//! Records the versions of the libraries that decode, compute and typeset a run — read from
//! the workspace's Cargo.lock at build time — so that every results record names them
//! (IEC 62304 asks for the tool's configuration with its evidence).

use std::fmt::Write as _;

/// The third-party libraries whose behaviour a run's numbers or documents depend on.
const LIBRARIES: &[&str] = &[
    "tract-onnx",
    "candle-core",
    "polars",
    "image",
    "dicom-object",
    "typst",
];

fn main() {
    // The manifest folder of *this* build (read at run time: a build script binary may be
    // reused from a checkout elsewhere).
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let lock = std::path::Path::new(&manifest_dir).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let mut found: Vec<(String, String)> = Vec::new();
    let mut name: Option<String> = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            if LIBRARIES.contains(&n.as_str()) {
                found.push((n, v.trim_matches('"').to_string()));
            }
        }
    }
    let mut versions = String::new();
    for library in LIBRARIES {
        for (n, v) in found.iter().filter(|(n, _)| n == library) {
            if !versions.is_empty() {
                versions.push_str(", ");
            }
            let _ = write!(versions, "{n} {v}");
        }
    }
    println!("cargo:rustc-env=ATTEST_LIBRARY_VERSIONS={versions}");
}
