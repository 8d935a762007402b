//! `manifest.json`: the SHA-256 and size of every file of the bundle and of every input the
//! run read (the spec, the model's weights or scores table, the reference models, the case
//! table and every image), so that `verify` can tell, years later, whether anything changed.

use std::path::{Path, PathBuf};

use attest_engine::{Outcome, Prepared};
use attest_spec::types::{Model, ModelSource};
use serde::{Deserialize, Serialize};

use crate::error::EvidenceError;

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The format version.
pub const MANIFEST_FORMAT: u32 = 1;

/// The signature over the manifest (`attest run --sign`), a DSSE envelope.
pub const SIGNATURE_FILE: &str = "manifest.dsse.json";

/// Files of a bundle that the manifest does not list: itself, and the signature over it.
pub fn is_unlisted(path: &str) -> bool {
    path == MANIFEST_FILE || path == SIGNATURE_FILE
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputFile {
    /// Path inside the bundle, `/`-separated.
    pub path: String,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// What an input file was to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRole {
    /// The spec file.
    Spec,
    /// The model under test (weights or scores table).
    Model,
    /// A reference model of a comparison test.
    Reference,
    /// The case table.
    Table,
    /// A case's image.
    Image,
}

/// One input of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputFile {
    /// Its role.
    pub role: InputRole,
    /// The case id (images) or reference name (reference models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Path relative to the spec's folder (`/`-separated), or absolute when outside it.
    pub path: String,
    /// SHA-256 of its bytes (hex); none when it could not be read during the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version (1).
    pub attest_manifest: u32,
    /// The run.
    pub run_id: String,
    /// The spec's name.
    pub spec_name: String,
    /// The Attest version that wrote the bundle.
    pub tool_version: String,
    /// The run's overall verdict (also in `results.json`).
    pub verdict: String,
    /// The spec's folder on the machine that ran; input paths are relative to it.
    pub spec_dir: String,
    /// Every file of the bundle but this one (and signatures over it), sorted by path.
    pub outputs: Vec<OutputFile>,
    /// Every input the run read.
    pub inputs: Vec<InputFile>,
}

/// `path` relative to `base` with `/` separators, or absolute when outside it.
pub fn relative(base: &Path, path: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}

fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

fn hashed(role: InputRole, name: Option<String>, base: &Path, path: &Path) -> InputFile {
    InputFile {
        role,
        name,
        path: relative(base, path),
        sha256: attest_data::hash::sha256_file(path).ok(),
        size: file_size(path),
    }
}

/// The files a model reads: its ONNX or safetensors weights, or its scores table.
fn model_files(model: &Model, base: &Path) -> Vec<PathBuf> {
    model
        .sources()
        .into_iter()
        .filter_map(|(_, source)| match source {
            ModelSource::Onnx(p) | ModelSource::Safetensors(p, _) => Some(base.join(p)),
            ModelSource::Scores(s) => Some(base.join(s.table())),
            ModelSource::Rust(_) => None,
        })
        .collect()
}

/// Every input of the run: the spec, the model and reference models, the case table and
/// every image (hashed during the run; not hashed again).
pub fn inputs(prepared: &Prepared, outcome: &Outcome) -> Vec<InputFile> {
    let base = &prepared.base_dir;
    let spec_path = PathBuf::from(&prepared.source.name);
    let mut out = vec![InputFile {
        role: InputRole::Spec,
        name: None,
        path: relative(base, &spec_path),
        sha256: Some(attest_data::hash::sha256_bytes(
            prepared.source.text.as_bytes(),
        )),
        size: Some(prepared.source.text.len() as u64),
    }];
    for path in model_files(&prepared.spec.model, base) {
        out.push(hashed(InputRole::Model, None, base, &path));
    }
    for (name, model) in &prepared.spec.references {
        for path in model_files(model, base) {
            out.push(hashed(
                InputRole::Reference,
                Some(name.clone()),
                base,
                &path,
            ));
        }
    }
    out.push(hashed(
        InputRole::Table,
        None,
        base,
        prepared.cases.table.path(),
    ));
    if let Some(images) = &prepared.cases.images {
        for (row, path) in images.iter().enumerate() {
            let sha256 = outcome.image_sha256.get(row).cloned().flatten();
            out.push(InputFile {
                role: InputRole::Image,
                name: prepared.cases.ids.get(row).cloned(),
                path: relative(base, path),
                size: sha256.as_ref().and_then(|_| file_size(path)),
                sha256,
            });
        }
    }
    out
}

/// Every file under `dir` (recursively) that the manifest lists, hashed, sorted by path.
pub fn outputs(dir: &Path) -> Result<Vec<OutputFile>, EvidenceError> {
    let mut out = Vec::new();
    for path in files_under(dir)? {
        let rel = relative(dir, &path);
        if is_unlisted(&rel) {
            continue;
        }
        let sha256 = attest_data::hash::sha256_file(&path).map_err(|e| EvidenceError::Io {
            action: "hash",
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        out.push(OutputFile {
            path: rel,
            sha256,
            size: file_size(&path).unwrap_or(0),
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Every regular file under `dir`, recursively (symbolic links are listed as files, not
/// followed into folders).
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, EvidenceError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let entries = std::fs::read_dir(&folder).map_err(EvidenceError::io("list", &folder))?;
        for entry in entries {
            let entry = entry.map_err(EvidenceError::io("list", &folder))?;
            let kind = entry
                .file_type()
                .map_err(EvidenceError::io("list", &folder))?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `path` made absolute (resolved when it exists), so that `verify` finds the inputs from any
/// working directory.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    })
}

/// The manifest of the bundle being written in `dir`, listing `inputs`.
pub fn build(
    dir: &Path,
    prepared: &Prepared,
    outcome: &Outcome,
    inputs: Vec<InputFile>,
) -> Result<Manifest, EvidenceError> {
    Ok(Manifest {
        attest_manifest: MANIFEST_FORMAT,
        run_id: outcome.results.run_id.clone(),
        spec_name: outcome.results.spec_name.clone(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        verdict: outcome.results.verdict.as_str().into(),
        spec_dir: absolute(&prepared.base_dir).display().to_string(),
        outputs: outputs(dir)?,
        inputs,
    })
}
