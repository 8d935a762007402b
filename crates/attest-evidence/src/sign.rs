//! Signing a bundle: an ed25519 signature over an in-toto statement that names
//! `manifest.json` by its SHA-256, wrapped in a DSSE envelope (`manifest.dsse.json`). The
//! manifest names every other file by digest, so one signature covers the whole bundle.
//! Keys are PKCS#8 (private) and SPKI (public) PEM files, readable by OpenSSL.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::error::EvidenceError;
use crate::manifest::{Manifest, MANIFEST_FILE, SIGNATURE_FILE};

/// DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The in-toto statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// What the statement asserts: this manifest is the evidence bundle of a run.
pub const PREDICATE_TYPE: &str = "https://attest.dev/evidence-bundle/v1";

fn key_error(path: &Path, reason: impl std::fmt::Display) -> EvidenceError {
    EvidenceError::Key {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// A new signing key from the operating system's random source.
pub fn generate() -> Result<SigningKey, EvidenceError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| EvidenceError::Format {
        what: "a key",
        reason: format!("no randomness from the operating system: {e}"),
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The private key as PKCS#8 PEM.
pub fn private_pem(key: &SigningKey) -> Result<String, EvidenceError> {
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|e| EvidenceError::Format {
            what: "the private key",
            reason: e.to_string(),
        })
}

/// The public key as SPKI PEM.
pub fn public_pem(key: &VerifyingKey) -> Result<String, EvidenceError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| EvidenceError::Format {
            what: "the public key",
            reason: e.to_string(),
        })
}

/// Reads a PKCS#8 PEM private key.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, EvidenceError> {
    let text = std::fs::read_to_string(path).map_err(EvidenceError::io("read", path))?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| {
        key_error(
            path,
            format!("not an ed25519 private key in PKCS#8 PEM ({e})"),
        )
    })
}

/// Reads an SPKI PEM public key.
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, EvidenceError> {
    let text = std::fs::read_to_string(path).map_err(EvidenceError::io("read", path))?;
    VerifyingKey::from_public_key_pem(&text)
        .map_err(|e| key_error(path, format!("not an ed25519 public key in SPKI PEM ({e})")))
}

/// A key's id: the SHA-256 of its 32 raw bytes (hex).
pub fn key_id(key: &VerifyingKey) -> String {
    attest_data::hash::sha256_bytes(key.as_bytes())
}

/// One signature of a DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// The signing key's id.
    pub keyid: String,
    /// The signature (base64).
    pub sig: String,
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// What the payload is.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The payload (base64).
    pub payload: String,
    /// Its signatures.
    pub signatures: Vec<EnvelopeSignature>,
}

/// DSSE's pre-authentication encoding: what is actually signed.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Signs the manifest just written in `dir` and writes `manifest.dsse.json` beside it.
pub fn sign_bundle(dir: &Path, manifest: &Manifest, key: &SigningKey) -> Result<(), EvidenceError> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path).map_err(EvidenceError::io("read", &path))?;
    let statement = serde_json::json!({
        "_type": STATEMENT_TYPE,
        "subject": [{
            "name": MANIFEST_FILE,
            "digest": { "sha256": attest_data::hash::sha256_bytes(&bytes) },
        }],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "run_id": manifest.run_id,
            "spec_name": manifest.spec_name,
            "verdict": manifest.verdict,
            "tool_version": manifest.tool_version,
        },
    });
    let payload = serde_json::to_vec(&statement).map_err(|e| EvidenceError::Format {
        what: SIGNATURE_FILE,
        reason: e.to_string(),
    })?;
    let signature: Signature = key.sign(&pae(PAYLOAD_TYPE, &payload));
    let envelope = Envelope {
        payload_type: PAYLOAD_TYPE.into(),
        payload: BASE64.encode(&payload),
        signatures: vec![EnvelopeSignature {
            keyid: key_id(&key.verifying_key()),
            sig: BASE64.encode(signature.to_bytes()),
        }],
    };
    let json = serde_json::to_string_pretty(&envelope).map_err(|e| EvidenceError::Format {
        what: SIGNATURE_FILE,
        reason: e.to_string(),
    })?;
    let out = dir.join(SIGNATURE_FILE);
    std::fs::write(&out, json + "\n").map_err(EvidenceError::io("write", &out))
}

/// What a bundle's signature says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SignatureStatus {
    /// The bundle has no signature.
    #[default]
    Unsigned,
    /// Signed, but no key was given to check it with.
    Unchecked {
        /// The signing key's id.
        keyid: String,
    },
    /// Signed by the given key over the manifest as it is.
    Valid {
        /// The signing key's id.
        keyid: String,
    },
    /// The signature does not hold.
    Invalid {
        /// Why.
        reason: String,
    },
}

/// Checks `dir`'s signature with `key` (when given).
pub fn check_signature(dir: &Path, key: Option<&VerifyingKey>) -> SignatureStatus {
    let invalid = |reason: String| SignatureStatus::Invalid { reason };
    let Ok(text) = std::fs::read(dir.join(SIGNATURE_FILE)) else {
        return SignatureStatus::Unsigned;
    };
    let envelope: Envelope = match serde_json::from_slice(&text) {
        Ok(e) => e,
        Err(e) => return invalid(format!("{SIGNATURE_FILE} is not a DSSE envelope: {e}")),
    };
    let Some(first) = envelope.signatures.first() else {
        return invalid(format!("{SIGNATURE_FILE} holds no signature"));
    };
    let Some(key) = key else {
        return SignatureStatus::Unchecked {
            keyid: first.keyid.clone(),
        };
    };
    let keyid = key_id(key);
    let Some(entry) = envelope.signatures.iter().find(|s| s.keyid == keyid) else {
        return invalid(format!(
            "not signed by this key (key id {keyid}; the bundle was signed by {})",
            first.keyid
        ));
    };
    let (Ok(payload), Ok(sig)) = (BASE64.decode(&envelope.payload), BASE64.decode(&entry.sig))
    else {
        return invalid("the envelope's payload or signature is not base64".into());
    };
    let Ok(signature) = Signature::from_slice(&sig) else {
        return invalid("the signature is not an ed25519 signature".into());
    };
    if key
        .verify(&pae(&envelope.payload_type, &payload), &signature)
        .is_err()
    {
        return invalid("the signature does not match (forged or altered envelope)".into());
    }
    let statement: serde_json::Value = match serde_json::from_slice(&payload) {
        Ok(v) => v,
        Err(e) => return invalid(format!("the signed statement is not JSON: {e}")),
    };
    let signed_digest = statement["subject"]
        .as_array()
        .and_then(|s| s.iter().find(|x| x["name"] == MANIFEST_FILE))
        .and_then(|x| x["digest"]["sha256"].as_str())
        .map(str::to_string);
    let manifest = std::fs::read(dir.join(MANIFEST_FILE)).unwrap_or_default();
    match signed_digest {
        Some(d) if d == attest_data::hash::sha256_bytes(&manifest) => {
            SignatureStatus::Valid { keyid }
        }
        Some(_) => invalid(format!("{MANIFEST_FILE} changed after it was signed")),
        None => invalid(format!(
            "the signed statement does not name {MANIFEST_FILE}"
        )),
    }
}
