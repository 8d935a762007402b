//! The `verify` target: a small signed bundle (`fixtures/bundle`, made by `attest run --sign`
//! from `fixtures/inputs`) mutated one way per input, then verified with its public key.
//! Besides never panicking, `verify` must never call a changed bundle intact.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::OnceLock;

use attest_evidence::sign::read_verifying_key;
use attest_evidence::verify::{verify as verify_bundle, InputCheck};

const MANIFEST: &str = "manifest.json";
const SIGNATURE: &str = "manifest.dsse.json";

/// The fixture's files (name, bytes), sorted by name.
fn fixture() -> &'static [(String, Vec<u8>)] {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/bundle");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                std::fs::read(e.path()).ok().map(|bytes| (name, bytes))
            })
            .collect();
        files.sort();
        files
    })
}

thread_local! {
    /// This thread's pristine copy of the fixture.
    static BUNDLE: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// This thread's copy of the bundle, written on first use.
fn bundle_dir() -> Option<PathBuf> {
    BUNDLE.with(|cell| {
        if let Some(dir) = cell.borrow().as_ref() {
            return Some(dir.clone());
        }
        let dir = super::scratch().join(format!("{}-bundle", super::thread_tag()));
        std::fs::create_dir_all(&dir).ok()?;
        for (name, bytes) in fixture() {
            std::fs::write(dir.join(name), bytes).ok()?;
        }
        *cell.borrow_mut() = Some(dir.clone());
        Some(dir)
    })
}

/// A file name made from fuzz bytes: lowercase letters, digits and `_` only (never a path).
fn file_name(bytes: &[u8]) -> String {
    let name: String = bytes
        .iter()
        .take(16)
        .map(|b| match b % 38 {
            n @ 0..=25 => char::from(b'a' + n),
            n @ 26..=35 => char::from(b'0' + (n - 26)),
            _ => '_',
        })
        .collect();
    if name.is_empty() {
        "x".into()
    } else {
        name
    }
}

/// One mutation of the bundle, chosen by the first byte: patch bytes of a file, replace the
/// manifest, replace the signature, delete a file, or add a file. Then `verify` with the
/// signer's key; the bundle is restored afterwards.
pub fn verify(data: &[u8]) {
    super::production_panics();
    let Some((&op, rest)) = data.split_first() else {
        return;
    };
    let Some(dir) = bundle_dir() else {
        return;
    };
    let files = fixture();
    if files.is_empty() {
        return;
    }
    let pick = |i: u8| &files[usize::from(i) % files.len()];
    // Whether the mutation must make the bundle fail to verify.
    let mut must_fail = false;
    let mut restore: Vec<(String, Option<&[u8]>)> = Vec::new();
    match op % 5 {
        0 => {
            let [k, lo, hi, patch @ ..] = rest else {
                return;
            };
            let (name, original) = pick(*k);
            let mut bytes = original.clone();
            let at = usize::from(u16::from_le_bytes([*lo, *hi])) % (bytes.len() + 1);
            for (i, b) in patch.iter().enumerate() {
                match bytes.get_mut(at + i) {
                    Some(slot) => *slot = *b,
                    None => bytes.push(*b),
                }
            }
            // Every file but the signature is bound by the manifest's hashes or, for the
            // manifest itself, by the signature over its digest.
            must_fail = bytes != *original && name != SIGNATURE;
            let _ = std::fs::write(dir.join(name), &bytes);
            restore.push((name.clone(), Some(original)));
        }
        1 => {
            let original = files.iter().find(|(n, _)| n == MANIFEST).map(|(_, b)| b);
            must_fail = original.is_some_and(|o| o.as_slice() != rest);
            let _ = std::fs::write(dir.join(MANIFEST), rest);
            restore.push((MANIFEST.into(), original.map(Vec::as_slice)));
        }
        2 => {
            let original = files.iter().find(|(n, _)| n == SIGNATURE).map(|(_, b)| b);
            let _ = std::fs::write(dir.join(SIGNATURE), rest);
            restore.push((SIGNATURE.into(), original.map(Vec::as_slice)));
        }
        3 => {
            let Some(k) = rest.first() else { return };
            let (name, original) = pick(*k);
            // Without the signature the bundle is unsigned, which a key given refuses.
            must_fail = true;
            let _ = std::fs::remove_file(dir.join(name));
            restore.push((name.clone(), Some(original)));
        }
        _ => {
            let (name_bytes, content) = rest.split_at(rest.len().min(8));
            let name = file_name(name_bytes);
            let original = files.iter().find(|(n, _)| *n == name).map(|(_, b)| b);
            must_fail = original.is_none_or(|o| o.as_slice() != content);
            let _ = std::fs::write(dir.join(&name), content);
            restore.push((name, original.map(Vec::as_slice)));
        }
    }
    let key_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/bundle.pub");
    let key = read_verifying_key(&key_path).ok();
    let outcome = verify_bundle(&dir, &InputCheck::Skip, key.as_ref());
    for (name, original) in restore {
        let _ = match original {
            Some(bytes) => std::fs::write(dir.join(&name), bytes),
            None => std::fs::remove_file(dir.join(&name)),
        };
    }
    if must_fail && key.is_some() {
        if let Ok(v) = outcome {
            assert!(!v.is_intact(), "a changed bundle verified as intact: {v:?}");
        }
    }
}
