//! Replays the committed seed corpus and every reproducer of a fixed crash through the fuzz
//! targets' bodies on stable Rust, so a crash found once stays fixed.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for folder in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        files.extend(
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep")),
        );
    }
    files.sort();
    files
}

fn replay(target: &str, body: fn(&[u8]), at_least: usize) {
    let files = inputs(target);
    assert!(
        files.len() >= at_least,
        "{target}: {} inputs, expected at least {at_least}",
        files.len()
    );
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(outcome.is_ok(), "{target} panicked on {}", file.display());
    }
}

#[test]
fn the_spec_target_survives_its_corpus() {
    replay("spec", attest_fuzz::spec, 40);
}

#[test]
fn the_image_target_survives_its_corpus() {
    replay("image", attest_fuzz::image, 15);
}

#[test]
fn the_table_target_survives_its_corpus() {
    replay("table", attest_fuzz::table, 5);
}

#[test]
fn the_verify_target_survives_its_corpus() {
    replay("verify", attest_fuzz::verify, 6);
}

#[test]
fn the_verify_fixture_is_intact_and_a_patched_copy_is_not() {
    // The verify target's property rests on these two facts about its fixture.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let key = attest_evidence::sign::read_verifying_key(&fixture.join("bundle.pub")).unwrap();
    let check = |dir: &Path| {
        attest_evidence::verify::verify(dir, &attest_evidence::verify::InputCheck::Skip, Some(&key))
            .unwrap()
    };
    let pristine = check(&fixture.join("bundle"));
    assert!(pristine.is_intact(), "{pristine:?}");
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture.join("bundle")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
    }
    let results = copy.path().join("results.json");
    let text = std::fs::read_to_string(&results).unwrap();
    std::fs::write(&results, text.replacen("PASS", "FAIL", 1)).unwrap();
    let patched = check(copy.path());
    assert!(!patched.is_intact());
    assert_eq!(patched.changed, vec!["results.json".to_string()]);
}
