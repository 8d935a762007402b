//! Content hashes for the evidence manifest: a streamed SHA-256 of every input file (in
//! parallel, never a whole file in memory) and one fingerprint of a whole dataset.
//!
//! The dataset fingerprint is the SHA-256 of a canonical text: a version line, the table's
//! hash, then one line `id<TAB>sha256` per case sorted by id. It changes when any image, any
//! id or the table changes, and does not depend on row order or thread count — two runs on
//! the same data name the same fingerprint.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// Bytes read per call while hashing.
const BUFFER_BYTES: usize = 256 * 1024;

/// A file that could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash `{path}`: {source}")]
pub struct HashError {
    /// The file.
    pub path: PathBuf,
    /// The OS reason.
    pub source: std::io::Error,
}

/// A SHA-256 digest as lowercase hex.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, HashError> {
    let error = |source| HashError {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; BUFFER_BYTES];
    loop {
        let n = file.read(&mut buffer).map_err(error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of bytes in memory.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of many files, in parallel; results in input order. Every failure is returned,
/// not only the first.
pub fn sha256_files(paths: &[PathBuf]) -> Result<Vec<String>, Vec<HashError>> {
    let results: Vec<Result<String, HashError>> =
        paths.par_iter().map(|p| sha256_file(p)).collect();
    let mut hashes = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(h) => hashes.push(h),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(hashes)
    } else {
        Err(errors)
    }
}

/// The fingerprint of a dataset: its table's hash and each case's (id, content hash).
/// Independent of row order.
pub fn dataset_fingerprint(table_sha256: &str, cases: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = cases.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    hasher.update(b"attest-dataset-fingerprint v1\n");
    hasher.update(b"table\t");
    hasher.update(table_sha256.as_bytes());
    hasher.update(b"\n");
    for (id, sha) in sorted {
        hasher.update(id.as_bytes());
        hasher.update(b"\t");
        hasher.update(sha.as_bytes());
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}

/// Groups of cases whose files are byte-identical (same SHA-256), each group listing row
/// indices in table order; for the `duplicate_images` data check.
pub fn identical_groups(hashes: &[String]) -> Vec<Vec<usize>> {
    let mut by_hash: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, h) in hashes.iter().enumerate() {
        by_hash.entry(h.as_str()).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = by_hash.into_values().filter(|g| g.len() > 1).collect();
    groups.sort();
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // FIPS 180-2 test vectors.
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_bytes(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn streamed_file_hash_equals_in_memory_hash() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // Larger than the buffer, not a multiple of it.
        let bytes: Vec<u8> = (0..(BUFFER_BYTES * 2 + 12345))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sha256_file(&path).ok(), Some(sha256_bytes(&bytes)));
        let many = sha256_files(&[path.clone(), path.clone()]).unwrap_or_else(|_| panic!());
        assert_eq!(many.len(), 2);
        let missing = sha256_files(&[path, dir.path().join("nope"), dir.path().join("nope2")]);
        assert_eq!(missing.err().map(|e| e.len()), Some(2));
    }

    #[test]
    fn fingerprint_ignores_order_and_sees_every_change() {
        let cases = vec![
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "2".to_string()),
        ];
        let reversed: Vec<_> = cases.iter().rev().cloned().collect();
        let f = dataset_fingerprint("t", &cases);
        assert_eq!(f, dataset_fingerprint("t", &reversed));
        assert_ne!(f, dataset_fingerprint("u", &cases));
        let mut changed = cases.clone();
        changed[1].1 = "3".into();
        assert_ne!(f, dataset_fingerprint("t", &changed));
    }

    #[test]
    fn identical_files_are_grouped() {
        let h: Vec<String> = ["x", "y", "x", "z", "y", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(identical_groups(&h), vec![vec![0, 2, 5], vec![1, 4]]);
    }
}
