//! The gallery of each robustness and invariance test: the cases its perturbation hurt most
//! at the strongest level, as small thumbnails of the image before and after, with the
//! scores — what an auditor needs to judge whether a failure is the model's or an
//! implausible perturbation's.
//!
//! "Hurt most" is the score's move in the wrong direction: down for a positive case, up for
//! a negative one. The perturbed image is made again exactly as the run made it (the same
//! variant, run seed and case id, hence the same seed). Thumbnails are kept (base64 PNG) in
//! `curves.json`, so `attest report` renders the gallery again from the bundle alone.

use std::io::Cursor;

use attest_engine::{Outcome, Prepared};
use attest_spec::infer_kind;
use attest_spec::types::TestKind;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Cases shown per test.
pub const CASES_PER_TEST: usize = 6;
/// Longest side of a thumbnail, in pixels (shown at 96 CSS pixels: sharp on a print or a
/// high-density screen).
pub const THUMBNAIL: u32 = 128;

/// One case of a gallery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GalleryCase {
    /// Case id.
    pub case: String,
    /// Its label (`positive` or `negative`).
    pub label: String,
    /// Score on the original image.
    pub original: f64,
    /// Score on the perturbed image.
    pub perturbed: f64,
    /// Thumbnail of the original image (PNG, base64).
    pub original_png: String,
    /// Thumbnail of the perturbed image (PNG, base64).
    pub perturbed_png: String,
}

/// The gallery of one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gallery {
    /// Test id.
    pub test: String,
    /// Cohort the cases come from.
    pub cohort: String,
    /// The variant shown (the perturbation's strongest level).
    pub variant: String,
    /// The cases, most hurt first.
    pub cases: Vec<GalleryCase>,
}

/// A thumbnail PNG of `image` (16-bit images are shown as 8-bit gray).
fn thumbnail_png(image: &attest_perturb::Image) -> Option<String> {
    let dynamic = attest_perturb::io::to_dynamic(image).ok()?;
    let (w, h) = (dynamic.width(), dynamic.height());
    // Only ever made smaller.
    let small = if w > THUMBNAIL || h > THUMBNAIL {
        dynamic.resize(
            THUMBNAIL,
            THUMBNAIL,
            ::image::imageops::FilterType::Triangle,
        )
    } else {
        dynamic
    };
    let small = match small {
        ::image::DynamicImage::ImageRgb8(_) => small,
        other => ::image::DynamicImage::ImageLuma8(other.to_luma8()),
    };
    let mut png = Vec::new();
    small
        .write_to(&mut Cursor::new(&mut png), ::image::ImageFormat::Png)
        .ok()?;
    Some(BASE64.encode(png))
}

/// The galleries of a binary run's robustness and invariance tests (none for a scores table,
/// which has no images).
pub fn galleries(prepared: &Prepared, outcome: &Outcome) -> Vec<Gallery> {
    let Some(paths) = prepared.cases.images.as_ref() else {
        return Vec::new();
    };
    let spec = &prepared.spec;
    let mut out = Vec::new();
    for test in &spec.tests {
        if !matches!(
            infer_kind(test),
            TestKind::Robustness | TestKind::Invariance
        ) || test.class.is_some()
        {
            continue;
        }
        let Some(variants) = test
            .perturbation
            .as_ref()
            .and_then(|p| outcome.plan.perturbations.get(p))
        else {
            continue;
        };
        let Some(&v) = variants.last() else {
            continue;
        };
        let Some(cohort_name) = attest_engine::plan::test_cohorts(test).into_iter().next() else {
            continue;
        };
        let Ok(cohort) = attest_engine::plan::cohort(&prepared.cohorts, &cohort_name) else {
            continue;
        };
        let mut hurt: Vec<(f64, usize, bool, f64, f64)> = cohort
            .rows
            .iter()
            .filter_map(|&row| {
                let label = prepared.cases.labels.binary(row)?;
                let original = outcome.predictions.score(0, row)?;
                let perturbed = outcome.predictions.score(v, row)?;
                let harm = if label {
                    original - perturbed
                } else {
                    perturbed - original
                };
                (harm > 0.0).then_some((harm, row, label, original, perturbed))
            })
            .collect();
        // Most hurt first; ties in case-table order.
        hurt.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let variant = &outcome.plan.variants[v];
        let cases: Vec<GalleryCase> = hurt
            .into_iter()
            .take(CASES_PER_TEST)
            .filter_map(|(_, row, label, original, perturbed)| {
                let id = &prepared.cases.ids[row];
                let image = attest_data::images::read_image(
                    &paths[row],
                    &attest_data::images::ReadOptions::default(),
                )
                .ok()?
                .image;
                let after = variant.apply(image.clone(), spec.seed, id).ok()?;
                Some(GalleryCase {
                    case: id.clone(),
                    label: if label { "positive" } else { "negative" }.into(),
                    original,
                    perturbed,
                    original_png: thumbnail_png(&image)?,
                    perturbed_png: thumbnail_png(&after)?,
                })
            })
            .collect();
        if !cases.is_empty() {
            out.push(Gallery {
                test: test.id.clone(),
                cohort: cohort_name,
                variant: variant.label(),
                cases,
            });
        }
    }
    out
}
