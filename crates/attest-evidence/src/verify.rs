//! `verify`: re-hash a bundle against its manifest — every listed file must exist with its
//! SHA-256 and size, and no other file may be there — and, where the inputs are still
//! present, re-hash them too. Every difference is named.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use crate::error::EvidenceError;
use crate::manifest::{self, Manifest, MANIFEST_FILE};
use crate::sign::{check_signature, SignatureStatus};

/// Which inputs to re-hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputCheck {
    /// None: the bundle alone.
    Skip,
    /// Those under the spec folder the manifest recorded, where still present.
    Recorded,
    /// Those under this folder (the spec's folder, moved or on another machine).
    At(PathBuf),
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// The manifest.
    pub run_id: String,
    /// Bundle files checked.
    pub checked: usize,
    /// Bundle files whose content differs from the manifest.
    pub changed: Vec<String>,
    /// Bundle files the manifest lists that are gone.
    pub missing: Vec<String>,
    /// Files in the bundle the manifest does not list.
    pub extra: Vec<String>,
    /// Where inputs were looked for (none when skipped).
    pub inputs_dir: Option<PathBuf>,
    /// Inputs re-hashed and found unchanged.
    pub inputs_unchanged: usize,
    /// Inputs whose content differs from the manifest.
    pub inputs_changed: Vec<String>,
    /// Inputs not present any more (not an error: inputs may live elsewhere).
    pub inputs_absent: Vec<String>,
    /// The signature's status.
    pub signature: SignatureStatus,
    /// Whether a key was given (then the bundle must be validly signed by it).
    pub key_given: bool,
}

impl Verification {
    /// Whether the bundle (and every input still present) is exactly as written.
    pub fn is_intact(&self) -> bool {
        let signature_holds = match &self.signature {
            SignatureStatus::Valid { .. } => true,
            SignatureStatus::Invalid { .. } => false,
            SignatureStatus::Unsigned | SignatureStatus::Unchecked { .. } => !self.key_given,
        };
        self.changed.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.inputs_changed.is_empty()
            && signature_holds
    }
}

/// Reads `dir/manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, EvidenceError> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).map_err(|e| EvidenceError::NotABundle {
        path: dir.to_path_buf(),
        reason: format!("cannot read {MANIFEST_FILE}: {e}"),
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| EvidenceError::NotABundle {
            path: dir.to_path_buf(),
            reason: format!("{MANIFEST_FILE} is not a manifest: {e}"),
        })?;
    if manifest.attest_manifest != manifest::MANIFEST_FORMAT {
        return Err(EvidenceError::NotABundle {
            path: dir.to_path_buf(),
            reason: format!(
                "manifest format {} (this Attest reads {})",
                manifest.attest_manifest,
                manifest::MANIFEST_FORMAT
            ),
        });
    }
    Ok(manifest)
}

/// Verifies the bundle in `dir`; with `key`, it must also be validly signed by that key.
pub fn verify(
    dir: &Path,
    inputs: &InputCheck,
    key: Option<&VerifyingKey>,
) -> Result<Verification, EvidenceError> {
    let manifest = read_manifest(dir)?;
    let mut out = Verification {
        run_id: manifest.run_id.clone(),
        signature: check_signature(dir, key),
        key_given: key.is_some(),
        ..Verification::default()
    };
    let present = manifest::outputs(dir)?;
    for listed in &manifest.outputs {
        match present.iter().find(|p| p.path == listed.path) {
            None => out.missing.push(listed.path.clone()),
            Some(p) if p.sha256 != listed.sha256 || p.size != listed.size => {
                out.changed.push(listed.path.clone());
            }
            Some(_) => out.checked += 1,
        }
    }
    for p in &present {
        if !manifest.outputs.iter().any(|l| l.path == p.path) {
            out.extra.push(p.path.clone());
        }
    }
    let base = match inputs {
        InputCheck::Skip => None,
        InputCheck::Recorded => Some(PathBuf::from(&manifest.spec_dir)),
        InputCheck::At(dir) => Some(dir.clone()),
    };
    if let Some(base) = base.filter(|b| b.is_dir()) {
        for input in &manifest.inputs {
            let path = base.join(&input.path);
            let label = match &input.name {
                Some(name) => format!("{} ({name})", input.path),
                None => input.path.clone(),
            };
            match attest_data::hash::sha256_file(&path) {
                Err(_) => out.inputs_absent.push(label),
                Ok(h) if input.sha256.as_deref() == Some(h.as_str()) => {
                    out.inputs_unchanged += 1;
                }
                Ok(_) => out.inputs_changed.push(label),
            }
        }
        out.inputs_dir = Some(base);
    }
    Ok(out)
}
