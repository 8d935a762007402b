//! Image paths may not lead outside the image folder unless the spec allows it: absolute
//! paths, `..` above the folder and symbolic links out are refused, row by row.

use std::path::Path;
use std::sync::Arc;

use attest_data::cases::ImageCheck;
use attest_spec::{validate_source, Code, SpecSource, ValidateOptions};

/// A one-pixel PNG.
fn png(path: &Path) {
    let image = image::GrayImage::from_pixel(1, 1, image::Luma([128u8]));
    image.save(path).unwrap_or_else(|e| panic!("{e}"));
}

/// Checks a spec whose table lists `names` (all labelled), with or without the opt-in;
/// returns the rows (1-based) reported as outside the image folder.
fn outside_rows(dir: &Path, names: &[&str], allow: bool) -> Vec<String> {
    let mut table = String::from("case_id,file,finding\n");
    for (i, name) in names.iter().enumerate() {
        table += &format!("c{i},{name},{}\n", if i % 2 == 0 { "pos" } else { "neg" });
    }
    std::fs::write(dir.join("data/cases.csv"), table).unwrap_or_else(|e| panic!("{e}"));
    let allow = if allow {
        "  allow_images_outside: true\n"
    } else {
        ""
    };
    let text = format!(
        "attest: 1\nname: t\nintended_use: Testing.\nseed: 1\n\
         model:\n  id: m\n  onnx: model.onnx\n  input: {{ size: [8, 8], channels: 1 }}\n  output: {{ task: binary }}\n\
         data:\n  table: data/cases.csv\n  id: case_id\n  image: file\n{allow}  label: {{ column: finding, positive: pos }}\n\
         tests:\n  - id: P\n    cohort: all\n    metric: auc\n    require: {{ estimate: \">= 0.5\" }}\n"
    );
    let source = Arc::new(SpecSource::new("attest.yaml", text));
    let validation = validate_source(&source, &ValidateOptions { base_dir: None });
    let spec = validation
        .valid_spec()
        .unwrap_or_else(|| panic!("{:?}", validation.diagnostics))
        .clone();
    let check = attest_data::check::check(&spec, &validation.source, dir, ImageCheck::Exists);
    check
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::ImageOutsideRoot)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn paths_out_of_the_image_folder_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    std::fs::create_dir_all(root.join("data/images")).unwrap_or_else(|e| panic!("{e}"));
    png(&root.join("data/images/a.png"));
    png(&root.join("secret.png"));
    let absolute = root.join("secret.png").display().to_string();
    let names = [
        "images/a.png",           // inside
        "images/../images/a.png", // inside, spelled with `..`
        "../secret.png",          // `..` above the folder
        absolute.as_str(),        // absolute
    ];
    let rows = outside_rows(root, &names, false);
    assert_eq!(
        rows,
        [
            "image `../secret.png` (row 3) is outside the image folder".to_string(),
            format!("image `{absolute}` (row 4) is outside the image folder"),
        ]
    );
    assert!(outside_rows(root, &names, true).is_empty());
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_image_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    std::fs::create_dir_all(root.join("data/images")).unwrap_or_else(|e| panic!("{e}"));
    png(&root.join("data/images/a.png"));
    png(&root.join("secret.png"));
    std::os::unix::fs::symlink(root.join("secret.png"), root.join("data/images/link.png"))
        .unwrap_or_else(|e| panic!("{e}"));
    // A link that stays inside is fine.
    std::os::unix::fs::symlink(
        root.join("data/images/a.png"),
        root.join("data/images/in.png"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rows = outside_rows(
        root,
        &["images/a.png", "images/link.png", "images/in.png"],
        false,
    );
    assert_eq!(
        rows,
        ["image `images/link.png` (row 2) is outside the image folder"]
    );
}
