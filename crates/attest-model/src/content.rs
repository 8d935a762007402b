//! Checks that a model file holds what its spec key says (`onnx:` or `safetensors:`) before
//! any parser sees it, so a PyTorch checkpoint, a Git LFS pointer or a downloaded error page
//! is named for what it is instead of failing deep inside a protobuf or JSON parser.
//!
//! Written by hand: the formats are told apart by a few leading bytes, and no crate sniffs
//! model formats (the `infer` family knows archives and media, not ONNX or safetensors).
//! Nothing here ever unpickles: a pickle can run code, so it is refused by its first bytes.

use std::io::Read;
use std::path::Path;

use crate::error::ModelError;

/// The model formats Attest loads from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelFormat {
    /// An ONNX `ModelProto` (protocol buffers).
    Onnx,
    /// A safetensors file (8-byte header length, JSON header, raw tensors).
    Safetensors,
}

impl ModelFormat {
    /// The spec key that names this format.
    pub fn key(self) -> &'static str {
        match self {
            ModelFormat::Onnx => "onnx",
            ModelFormat::Safetensors => "safetensors",
        }
    }
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Plausibly ONNX: a protocol-buffers message whose first field is one ONNX writes.
    Onnx,
    /// A safetensors header.
    Safetensors,
    /// A zip archive: `torch.save` since PyTorch 1.6, TorchScript, or a Keras `.keras` file.
    Zip,
    /// A Python pickle: an older `torch.save`, a scikit-learn or joblib dump.
    Pickle,
    /// HDF5: a Keras `.h5` model.
    Hdf5,
    /// A Git LFS pointer: the real file was never fetched.
    LfsPointer,
    /// An HTML page: a download that returned an error or login page.
    Html,
    /// The file is empty.
    Empty,
    /// None of the above.
    Unknown,
}

impl Sniffed {
    /// What the file is, in words for an error message.
    pub fn describe(self) -> &'static str {
        match self {
            Sniffed::Onnx => "an ONNX model",
            Sniffed::Safetensors => "a safetensors file",
            Sniffed::Zip => "a zip archive (a PyTorch `torch.save` checkpoint, TorchScript or a Keras .keras file)",
            Sniffed::Pickle => "a Python pickle (an older PyTorch checkpoint or a joblib/scikit-learn dump)",
            Sniffed::Hdf5 => "an HDF5 file (a Keras .h5 model)",
            Sniffed::LfsPointer => "a Git LFS pointer, not the model itself",
            Sniffed::Html => "an HTML page (a failed download?)",
            Sniffed::Empty => "empty",
            Sniffed::Unknown => "not a format Attest recognises",
        }
    }

    /// How to get a file Attest can load from this one.
    pub fn fix(self, expected: ModelFormat) -> &'static str {
        match (self, expected) {
            (Sniffed::LfsPointer, _) => "fetch the real file with `git lfs pull`",
            (Sniffed::Html, _) | (Sniffed::Empty, _) => "download the model file again and check its SHA-256",
            (Sniffed::Zip | Sniffed::Pickle, ModelFormat::Onnx) => "export the network with `torch.onnx.export(model, example, \"model.onnx\", opset_version=17)`; Attest never loads pickled checkpoints, which can run code",
            (Sniffed::Zip | Sniffed::Pickle, ModelFormat::Safetensors) => "convert the state dict with `safetensors.torch.save_file(model.state_dict(), \"model.safetensors\")`; Attest never loads pickled checkpoints, which can run code",
            (Sniffed::Hdf5, _) => "convert the Keras model to ONNX with `tf2onnx.convert.from_keras`",
            (Sniffed::Safetensors, ModelFormat::Onnx) => "name it under `safetensors:` with its `architecture`, or export the network to ONNX",
            (Sniffed::Onnx, ModelFormat::Safetensors) => "name it under `onnx:` instead of `safetensors:`",
            _ => "check that the path names the exported model file",
        }
    }
}

/// Classifies a file by its first bytes and its length.
pub fn sniff(head: &[u8], file_len: u64) -> Sniffed {
    if head.is_empty() {
        return Sniffed::Empty;
    }
    // First: a safetensors header length may begin with any byte, 0x80 included.
    if head.len() >= 9 {
        let mut length = [0u8; 8];
        length.copy_from_slice(&head[..8]);
        let header = u64::from_le_bytes(length);
        if head[8] == b'{' && header >= 2 && header.saturating_add(8) <= file_len {
            return Sniffed::Safetensors;
        }
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    if head.len() >= 2 && head[0] == 0x80 && (2..=5).contains(&head[1]) {
        return Sniffed::Pickle;
    }
    if head.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Sniffed::Hdf5;
    }
    if head.starts_with(b"version https://git-lfs.github.com/spec/") {
        return Sniffed::LfsPointer;
    }
    let text = String::from_utf8_lossy(&head[..head.len().min(64)]).to_ascii_lowercase();
    let trimmed = text.trim_start();
    if trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") {
        return Sniffed::Html;
    }
    if onnx_like(head) {
        return Sniffed::Onnx;
    }
    Sniffed::Unknown
}

/// Whether the bytes start with a field of ONNX's `ModelProto` in protobuf's wire format.
/// Exporters write `ir_version` (field 1, varint) first; other writers may start with
/// `producer_name` (2), `graph` (7) or `opset_import` (8), all length-delimited.
fn onnx_like(head: &[u8]) -> bool {
    let Some(&tag) = head.first() else {
        return false;
    };
    let (field, wire) = (tag >> 3, tag & 7);
    matches!(
        (field, wire),
        (1 | 5 | 6, 0) | (2..=4 | 7 | 8 | 10 | 14 | 20 | 25, 2)
    )
}

/// Refuses `path` when its content is not `expected`, naming what it is and how to fix it.
/// A file that cannot be read is left to the loader, which reports the I/O error.
pub fn expect(path: &Path, expected: ModelFormat) -> Result<(), ModelError> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let file_len = file.metadata().map_or(0, |m| m.len());
    let mut head = [0u8; 64];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    let found = sniff(&head[..filled], file_len);
    let matches = matches!(
        (found, expected),
        (Sniffed::Onnx, ModelFormat::Onnx) | (Sniffed::Safetensors, ModelFormat::Safetensors)
    );
    // An unrecognised start is left to the format's own parser, which says more.
    if matches || found == Sniffed::Unknown {
        return Ok(());
    }
    Err(ModelError::WrongContent {
        path: path.to_path_buf(),
        key: expected.key(),
        found: found.describe(),
        fix: found.fix(expected),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn formats_are_told_apart_by_their_first_bytes() {
        let mut safetensors = 20u64.to_le_bytes().to_vec();
        safetensors.extend_from_slice(b"{\"a\":{}}            ");
        assert_eq!(sniff(&safetensors, 28), Sniffed::Safetensors);
        // A header longer than the file is not safetensors.
        assert_eq!(sniff(&safetensors, 10), Sniffed::Unknown);
        assert_eq!(sniff(b"\x08\x07\x12\x07pytorch", 100), Sniffed::Onnx);
        assert_eq!(sniff(b"PK\x03\x04archive/data.pkl", 100), Sniffed::Zip);
        assert_eq!(sniff(b"\x80\x02}q\x00(X", 100), Sniffed::Pickle);
        assert_eq!(sniff(b"\x89HDF\r\n\x1a\n\0\0", 100), Sniffed::Hdf5);
        assert_eq!(
            sniff(
                b"version https://git-lfs.github.com/spec/v1\noid sha256:ab",
                100
            ),
            Sniffed::LfsPointer
        );
        assert_eq!(sniff(b"\n <!DOCTYPE html><html>", 100), Sniffed::Html);
        assert_eq!(sniff(b"", 0), Sniffed::Empty);
        assert_eq!(sniff(b"\xff\xfe garbage", 100), Sniffed::Unknown);
    }

    #[test]
    fn a_checkpoint_named_onnx_is_refused_with_the_export_command() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.onnx");
        std::fs::write(&path, b"PK\x03\x04archive/data.pkl....").unwrap();
        let err = expect(&path, ModelFormat::Onnx).unwrap_err();
        let text = format!("{err} — {}", err.help());
        assert!(text.contains("model.onnx"), "{text}");
        assert!(text.contains("zip archive"), "{text}");
        assert!(text.contains("torch.onnx.export"), "{text}");
        // The same bytes are fine for neither key, and an ONNX file passes as ONNX.
        assert!(expect(&path, ModelFormat::Safetensors).is_err());
        std::fs::write(&path, b"\x08\x07\x12\x07pytorch").unwrap();
        assert!(expect(&path, ModelFormat::Onnx).is_ok());
    }
}
