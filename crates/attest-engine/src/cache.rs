//! The prediction cache: one file per (model, image, variant, preprocessing) holding the
//! model's outputs for that image, named by the SHA-256 of everything that determines them.
//! Re-running after editing criteria, thresholds or cohorts, or after adding a test, does no
//! inference for what is known.
//!
//! Entries are written to a temporary file and renamed into place, so concurrent runs that
//! share a cache, or a run killed mid-write, never leave a partial entry under a final name;
//! each entry carries a checksum, so a corrupted one is detected, ignored and recomputed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::plan::Plan;

/// Format tag at the start of each entry; a new layout gets a new tag (and a new folder).
const MAGIC: &[u8; 8] = b"ATTESTC1";
/// Folder of this layout inside the cache directory.
const LAYOUT: &str = "v1";

/// The part of a cache key that says how an image is read: its limits and frame. A cached
/// output must only be reused where a cold run would read the image the same way — in
/// particular, where lowering `data.limits.max_image_pixels` would now refuse an image, the
/// cold run fails that case, so the cached score must not stand in for it.
pub fn read_identity(read: &attest_data::images::ReadOptions) -> String {
    format!(
        "max_file_bytes={} max_pixels={} frame={:?}",
        read.limits.max_file_bytes, read.limits.max_pixels, read.frame
    )
}

/// Everything that determines a model's outputs for one image.
#[derive(Debug, Clone)]
pub struct CacheKey(String);

impl CacheKey {
    /// `model` identifies the weights and the runtime (backend) that computes with them,
    /// `preprocess` how the image is read ([`read_identity`]), `image` the image file's SHA-256,
    /// `variant` the perturbation and its parameters, `seed` the perturbation's seed when its
    /// output depends on one.
    pub fn new(
        model: &str,
        preprocess: &str,
        image: &str,
        variant: &str,
        seed: Option<u64>,
    ) -> CacheKey {
        let mut hasher = Sha256::new();
        for (field, value) in [
            ("model", model),
            ("preprocess", preprocess),
            ("image", image),
            ("variant", variant),
        ] {
            hasher.update(field.as_bytes());
            hasher.update([0]);
            hasher.update(value.as_bytes());
            hasher.update([0]);
        }
        match seed {
            Some(seed) => hasher.update(seed.to_le_bytes()),
            None => hasher.update(b"no seed"),
        }
        CacheKey(attest_data::hash::hex(&hasher.finalize()))
    }

    /// The key as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The cache keys of one run: what every key of the run shares (model identity, how images
/// are read, each variant's key, the run seed) computed once, so that a lookup per case
/// only hashes. The engine and `attest run --dry-run` both key through it, so the dry run
/// counts exactly the entries the run would reuse.
#[derive(Debug)]
pub struct Keying<'a> {
    cache: &'a Cache,
    /// The model identity, including the backend, preprocessing and activation.
    model: &'a str,
    /// How images are read ([`read_identity`]).
    reading: String,
    /// The plan whose variants are keyed.
    plan: &'a Plan,
    /// [`Variant::key`](crate::plan::Variant::key) of each variant of the plan.
    variants: Vec<String>,
    /// The run seed, from which random variants' seeds derive.
    seed: u64,
}

impl<'a> Keying<'a> {
    /// The keying of `plan`'s cases in `cache` for the model identified by `model`, whose
    /// images are read with `read`, under the run seed `seed`.
    pub fn new(
        cache: &'a Cache,
        model: &'a str,
        plan: &'a Plan,
        read: &attest_data::images::ReadOptions,
        seed: u64,
    ) -> Keying<'a> {
        Keying {
            cache,
            model,
            reading: read_identity(read),
            plan,
            variants: plan.variants.iter().map(|v| v.key()).collect(),
            seed,
        }
    }

    /// The cache the keys are for.
    pub fn cache(&self) -> &'a Cache {
        self.cache
    }

    /// The key of variant number `variant` of the plan applied to the case `case_id`, whose
    /// image file has the SHA-256 `image_sha256`. A random variant's seed derives from the
    /// run seed and the case id, as the engine draws it.
    pub fn key(&self, variant: usize, case_id: &str, image_sha256: &str) -> CacheKey {
        let seed = self.plan.variants[variant]
            .is_random()
            .then(|| self.plan.variants[variant].seed(self.seed, case_id));
        CacheKey::new(
            self.model,
            &self.reading,
            image_sha256,
            &self.variants[variant],
            seed,
        )
    }
}

/// What looking up an entry found.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The outputs.
    Hit(Vec<f32>),
    /// No entry.
    Miss,
    /// An entry exists but fails its checksum or format check; it will be overwritten.
    Corrupt,
}

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The default directory: `$ATTEST_CACHE_DIR`, else `$XDG_CACHE_HOME/attest`, else
    /// `$HOME/.cache/attest`, else `.attest-cache` in the working directory.
    pub fn default_dir() -> PathBuf {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = var("ATTEST_CACHE_DIR") {
            return dir.into();
        }
        if let Some(dir) = var("XDG_CACHE_HOME") {
            return PathBuf::from(dir).join("attest");
        }
        if let Some(home) = var("HOME") {
            return PathBuf::from(home).join(".cache").join("attest");
        }
        PathBuf::from(".attest-cache")
    }

    fn path(&self, key: &CacheKey) -> PathBuf {
        let hex = key.as_str();
        self.dir.join(LAYOUT).join(&hex[..2]).join(&hex[2..])
    }

    /// Reads the entry of `key`.
    pub fn get(&self, key: &CacheKey) -> Lookup {
        match std::fs::read(self.path(key)) {
            Ok(bytes) => decode(&bytes).map_or(Lookup::Corrupt, Lookup::Hit),
            Err(_) => Lookup::Miss,
        }
    }

    /// Stores `outputs` under `key`, atomically. Failing to write the cache never fails a run:
    /// the error is returned for the caller to report as a warning.
    pub fn put(&self, key: &CacheKey, outputs: &[f32]) -> std::io::Result<()> {
        let path = self.path(key);
        let dir = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(&encode(outputs))?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// MAGIC, count (u32 LE), values (f32 LE), SHA-256 of everything before it.
fn encode(outputs: &[f32]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 + 4 + 4 * outputs.len() + 32);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(outputs.len() as u32).to_le_bytes());
    for v in outputs {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    bytes
}

fn decode(bytes: &[u8]) -> Option<Vec<f32>> {
    let body_len = bytes.len().checked_sub(32)?;
    let (body, digest) = bytes.split_at(body_len);
    if Sha256::digest(body).as_slice() != digest || !body.starts_with(MAGIC) {
        return None;
    }
    let count = u32::from_le_bytes(body.get(8..12)?.try_into().ok()?) as usize;
    let values = body.get(12..)?;
    if values.len() != 4 * count {
        return None;
    }
    Some(
        values
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    fn key(image: &str) -> CacheKey {
        CacheKey::new("model", "pre", image, "original", None)
    }

    #[test]
    fn stores_and_finds_outputs_and_detects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let k = key("abc");
        assert_eq!(cache.get(&k), Lookup::Miss);
        cache.put(&k, &[0.25, -1.5]).unwrap();
        assert_eq!(cache.get(&k), Lookup::Hit(vec![0.25, -1.5]));
        let path = cache.path(&k);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[13] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.get(&k), Lookup::Corrupt);
        std::fs::write(&path, b"short").unwrap();
        assert_eq!(cache.get(&k), Lookup::Corrupt);
        cache.put(&k, &[0.5]).unwrap();
        assert_eq!(cache.get(&k), Lookup::Hit(vec![0.5]));
    }

    #[test]
    fn every_field_of_the_key_matters() {
        let base = CacheKey::new("m", "p", "i", "v", None).0;
        for other in [
            CacheKey::new("m2", "p", "i", "v", None),
            CacheKey::new("m", "p2", "i", "v", None),
            CacheKey::new("m", "p", "i2", "v", None),
            CacheKey::new("m", "p", "i", "v2", None),
            CacheKey::new("m", "p", "i", "v", Some(1)),
            // Field boundaries are marked: moving a character between fields changes the key.
            CacheKey::new("mp", "", "i", "v", None),
        ] {
            assert_ne!(other.0, base);
        }
    }

    proptest! {
        #[test]
        fn decoding_never_panics_and_round_trips(values in proptest::collection::vec(any::<f32>(), 0..8), noise in proptest::collection::vec(any::<u8>(), 0..64)) {
            let encoded = encode(&values);
            let decoded = decode(&encoded).unwrap();
            prop_assert_eq!(decoded.len(), values.len());
            for (a, b) in decoded.iter().zip(&values) {
                prop_assert_eq!(a.to_bits(), b.to_bits());
            }
            let _ = decode(&noise);
        }
    }
}
