//! DICOM decoding on real files (`tests/fixtures/dicom`, see its ATTRIBUTION.md), checked
//! against pydicom's rendering (`tests/fixtures/dicom/reference/generate.py`).

use std::path::{Path, PathBuf};

use attest_data::images::{read_image, ImageError, ImageFormat, ReadOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dicom")
        .join(name)
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("reference/reference.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

/// Pearson correlation of two equally long series.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Correlation and largest absolute difference (both on [0, 1]) between our rendering and
/// pydicom's, subsampled like the reference.
fn compare_with_pydicom(name: &str) -> (f64, f64, attest_data::images::DecodedImage) {
    let decoded =
        read_image(&fixture(name), &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let reference = reference();
    let entry = &reference["files"][name];
    let step = entry["step"].as_u64().unwrap_or(1) as usize;
    let (w, h) = (decoded.image.width(), decoded.image.height());
    assert_eq!(h as u64, entry["rows"].as_u64().unwrap_or(0), "{name} rows");
    assert_eq!(
        w as u64,
        entry["columns"].as_u64().unwrap_or(0),
        "{name} columns"
    );
    let max = decoded.image.pixel_type().max_value();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let rows = entry["subsampled"]
        .as_array()
        .unwrap_or_else(|| panic!("rows"));
    for (ri, row) in rows.iter().enumerate() {
        for (ci, v) in row
            .as_array()
            .unwrap_or_else(|| panic!("row"))
            .iter()
            .enumerate()
        {
            let (r, c) = (ri * step, ci * step);
            ours.push(decoded.image.sample(r * w + c) / max);
            theirs.push(v.as_f64().unwrap_or(f64::NAN));
        }
    }
    let max_diff = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    (correlation(&ours, &theirs), max_diff, decoded)
}

#[test]
fn monochrome1_chest_cr_renders_like_pydicom_with_dark_lungs() {
    let (r, diff, decoded) = compare_with_pydicom("RG1_UNCI.dcm");
    assert!(r > 0.9999, "correlation with pydicom {r}");
    assert!(diff < 0.002, "largest difference from pydicom {diff}");
    assert_eq!(decoded.info.format, ImageFormat::Dicom);
    assert_eq!(decoded.info.photometric.as_deref(), Some("MONOCHROME1"));
    assert!(decoded.info.inverted);
    assert_eq!(decoded.info.bits_stored, Some(15));
    assert_eq!(
        decoded.image.pixel_type(),
        attest_perturb::PixelType::Gray16
    );
    // Lungs dark, mediastinum bright: the middle band of the chest is brighter than the
    // bands a quarter of the way in from each side.
    let (w, h) = (decoded.image.width(), decoded.image.height());
    let band_mean = |x0: f64, x1: f64| {
        let mut sum = 0.0;
        let mut n = 0.0;
        for r in (h * 3 / 10)..(h * 6 / 10) {
            for c in ((w as f64 * x0) as usize)..((w as f64 * x1) as usize) {
                sum += decoded.image.sample(r * w + c);
                n += 1.0;
            }
        }
        sum / n
    };
    let (left, middle, right) = (
        band_mean(0.2, 0.35),
        band_mean(0.45, 0.55),
        band_mean(0.65, 0.8),
    );
    assert!(
        middle > left && middle > right,
        "left {left} middle {middle} right {right}"
    );
}

#[test]
fn jpeg2000_decodes_like_openjpeg() {
    let (r, diff, j2k) = compare_with_pydicom("RG1_J2KR.dcm");
    assert!(r > 0.9999, "correlation with pydicom + openjpeg {r}");
    assert!(
        diff < 0.002,
        "largest difference from pydicom + openjpeg {diff}"
    );
    assert!(j2k
        .info
        .transfer_syntax
        .as_deref()
        .unwrap_or("")
        .contains("2000"));
}

#[test]
fn small_ct_and_mr_match_pydicom() {
    for name in ["CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm"] {
        let (r, diff, _) = compare_with_pydicom(name);
        assert!(r > 0.9999, "{name}: correlation with pydicom {r}");
        assert!(
            diff < 0.002,
            "{name}: largest difference from pydicom {diff}"
        );
    }
    let jpeg_ll = read_image(&fixture("JPEG-LL.dcm"), &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(jpeg_ll.image.width() > 0);
}

#[test]
fn unreadable_files_give_errors_naming_the_file_and_the_reason() {
    let options = ReadOptions::default();
    let err = |name: &str| match read_image(&fixture(name), &options) {
        Ok(_) => panic!("{name} must not decode"),
        Err(e) => e,
    };
    let lossy = err("JPEG-lossy.dcm");
    let text = lossy.to_string();
    assert!(text.contains("JPEG-lossy.dcm"), "{text}");
    assert!(
        matches!(lossy, ImageError::UnsupportedTransferSyntax { .. }),
        "{text}"
    );
    assert!(text.contains("1.2.840.10008.1.2.4.51"), "{text}");

    let truncated = err("MR_truncated.dcm");
    let text = truncated.to_string();
    assert!(
        text.contains("MR_truncated.dcm") && text.contains("truncated"),
        "{text}"
    );

    let no_meta = err("no_meta.dcm");
    let text = no_meta.to_string();
    assert!(
        text.contains("no_meta.dcm") && text.contains("file meta"),
        "{text}"
    );
}

#[test]
fn pixel_limit_refuses_before_decoding() {
    let options = ReadOptions {
        limits: attest_data::images::ImageLimits {
            max_pixels: 1_000_000,
            ..Default::default()
        },
        frame: None,
    };
    let e = read_image(&fixture("RG1_UNCI.dcm"), &options).err();
    assert!(matches!(e, Some(ImageError::TooLarge { .. })), "{e:?}");
}

#[test]
fn multi_frame_objects_need_a_frame_and_give_the_one_asked_for() {
    let path = fixture("multiframe.dcm");
    let refused = read_image(&path, &ReadOptions::default()).err();
    assert!(
        matches!(refused, Some(ImageError::MultiFrame { frames: 3, .. })),
        "{refused:?}"
    );
    let mut means = Vec::new();
    for frame in 0..3 {
        let options = ReadOptions {
            frame: Some(frame),
            ..ReadOptions::default()
        };
        let d = read_image(&path, &options).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((d.image.width(), d.image.height()), (16, 16));
        assert_eq!(d.info.frames, 3);
        let n = d.image.len() as f64;
        means.push((0..d.image.len()).map(|i| d.image.sample(i)).sum::<f64>() / n);
    }
    assert!(means[0] < means[1] && means[1] < means[2], "{means:?}");
    let options = ReadOptions {
        frame: Some(3),
        ..ReadOptions::default()
    };
    let missing = read_image(&path, &options).err();
    assert!(
        matches!(missing, Some(ImageError::NoSuchFrame { .. })),
        "{missing:?}"
    );
}

/// Found by the `image` fuzz target: an RLE object whose segment decodes short made the
/// dicom-rs decoder index out of bounds. It is now this file's decode error, not a crash.
#[test]
fn an_rle_segment_that_decodes_short_is_an_error_not_a_crash() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions/image/rle-segment-decodes-short.dcm");
    let err = attest_data::images::read_image(&path, &ReadOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("cannot be decoded"), "{text}");
    assert!(text.contains("RLE"), "{text}");
}

/// Found by the `image` fuzz target: small DICOM files whose element declares a value of
/// almost 4 GB made dicom-rs reserve and zero-fill 4 GB before failing to read it (4.2 GB
/// peak, 4–6 s each) — the second after a stray item header that a hand-written walk of the
/// file would not follow as dicom-rs does. The declared lengths are now checked with
/// dicom-rs's own token reader before the object is built: the file is refused with the
/// element named, and nothing large is allocated.
#[test]
fn an_element_declaring_more_bytes_than_the_file_has_is_refused_before_decoding() {
    for name in [
        "element-declares-4-gb.dcm",
        "element-declares-4-gb-after-a-stray-item.dcm",
        // The basic offset table of encapsulated pixel data, filled at its declared length.
        "offset-table-declares-4-gb.dcm",
        // A meta group element declaring 3.7 GB behind an element of another group (a
        // TIFF/DICOM polyglot; 6.8 s and 3.8 GB before the meta group walk followed dicom-rs).
        "meta-group-off-group-element-then-4-gb.dcm",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/regressions/image")
            .join(name);
        assert!(std::fs::metadata(&path).unwrap().len() < 30_000);
        let err = attest_data::images::read_image(&path, &ReadOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("declares a value of"), "{name}: {text}");
        assert!(text.contains("damaged or truncated"), "{name}: {text}");
    }
}

/// Found by the `image` fuzz target: Bits Stored 3072 with Bits Allocated 16 made
/// dicom-pixeldata's lookup-table shift overflow (a panic with overflow checks, a garbage
/// image without). The pixel depth attributes are checked before decoding.
#[test]
fn bits_stored_above_bits_allocated_is_refused() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions/image/bits-stored-above-bits-allocated.dcm");
    // A three-frame object (the fuzz target asks for frame 0 on inputs of odd length).
    let options = ReadOptions {
        frame: Some(0),
        ..ReadOptions::default()
    };
    let err = attest_data::images::read_image(&path, &options).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Bits Stored (0028,0101) is 3072"), "{text}");
    assert!(text.contains("damaged"), "{text}");
}
