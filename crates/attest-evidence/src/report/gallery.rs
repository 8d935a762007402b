//! The gallery of each robustness and invariance test: the cases its perturbation hurt most
//! at the strongest level, as small thumbnails of the image before and after, with the
//! scores — what an auditor needs to judge whether a failure is the model's or an
//! implausible perturbation's. And the error gallery of each performance test with an
//! operating point: its most confident false positives and false negatives, with the
//! case's metadata — the first step of finding similar cases to add.
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
    /// With an operating point: whether the decision at the case's threshold changes
    /// between the original and the perturbed image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flipped: Option<bool>,
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
    /// The test's operating point, when it has one: then the cases shown are those whose
    /// decision flips, most hurt first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// With an operating point: how many labelled cases of the cohort flip, of how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flips: Option<(usize, usize)>,
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
        // With an operating point, the decisions that flip (either way) are what the test
        // judges: those are shown, most hurt first. Without one, the cases hurt most.
        let thresholds = test
            .at
            .as_ref()
            .and_then(|at| super::curves::thresholds_by_row(prepared, outcome, at));
        let mut scored = 0;
        let mut shown: Vec<(f64, usize, bool, f64, f64, Option<bool>)> = cohort
            .rows
            .iter()
            .filter_map(|&row| {
                let label = prepared.cases.labels.binary(row)?;
                let original = outcome.predictions.score(0, row)?;
                let perturbed = outcome.predictions.score(v, row)?;
                scored += 1;
                let harm = if label {
                    original - perturbed
                } else {
                    perturbed - original
                };
                match &thresholds {
                    Some(t) => {
                        let t = (*t.get(row)?)?;
                        let flipped = (original >= t) != (perturbed >= t);
                        flipped.then_some((harm, row, label, original, perturbed, Some(true)))
                    }
                    None => (harm > 0.0).then_some((harm, row, label, original, perturbed, None)),
                }
            })
            .collect();
        // Most hurt first; ties in case-table order.
        shown.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let flips = thresholds.as_ref().map(|_| (shown.len(), scored));
        let variant = &outcome.plan.variants[v];
        let cases: Vec<GalleryCase> = shown
            .into_iter()
            .take(CASES_PER_TEST)
            .filter_map(|(_, row, label, original, perturbed, flipped)| {
                let id = &prepared.cases.ids[row];
                let image = attest_data::images::read_image(
                    &paths[row],
                    &attest_data::limits::image_options(&prepared.spec.data),
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
                    flipped,
                })
            })
            .collect();
        if !cases.is_empty() || flips.is_some() {
            out.push(Gallery {
                test: test.id.clone(),
                cohort: cohort_name,
                variant: variant.label(),
                at: test.at.clone(),
                flips,
                cases,
            });
        }
    }
    out
}

/// Errors shown per kind (false positives, false negatives) and test.
pub const ERRORS_PER_KIND: usize = 6;

/// One misclassified case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorCase {
    /// Case id.
    pub case: String,
    /// Its score.
    pub score: f64,
    /// The threshold it was compared with.
    pub threshold: f64,
    /// A few metadata values, `column=value`, for context.
    pub metadata: String,
    /// Thumbnail (PNG, base64).
    pub png: String,
}

/// The most confident errors of one performance test at its operating point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorGallery {
    /// Test id.
    pub test: String,
    /// Cohort.
    pub cohort: String,
    /// The operating point.
    pub at: String,
    /// Negatives at or above the threshold, highest score first.
    pub false_positives: Vec<ErrorCase>,
    /// Positives below the threshold, lowest score first.
    pub false_negatives: Vec<ErrorCase>,
    /// How many of each there were in all.
    pub counts: (usize, usize),
}

/// Metadata columns shown beside an error: the table's columns other than the id, image,
/// label and cluster columns, at most four.
fn metadata_columns(prepared: &Prepared) -> Vec<(String, Vec<Option<String>>)> {
    let data = &prepared.spec.data;
    let skip = [
        Some(data.id.as_str()),
        data.image.as_deref(),
        Some(data.label.column.as_str()),
        data.cluster.as_deref(),
    ];
    let table = &prepared.cases.table;
    table
        .column_names()
        .into_iter()
        .filter(|name| !skip.contains(&Some(name.as_str())))
        .take(4)
        .filter_map(|name| {
            let values = table.optional_text_column(&name).ok()?;
            Some((name, values))
        })
        .collect()
}

/// The error galleries of a binary run's performance tests with an operating point (none for
/// a scores table, which has no images).
pub fn error_galleries(prepared: &Prepared, outcome: &Outcome) -> Vec<ErrorGallery> {
    let Some(paths) = prepared.cases.images.as_ref() else {
        return Vec::new();
    };
    let metadata = metadata_columns(prepared);
    let mut out = Vec::new();
    for test in &prepared.spec.tests {
        let (TestKind::Performance, Some(at), None) = (infer_kind(test), &test.at, &test.class)
        else {
            continue;
        };
        let Some(thresholds) = super::curves::thresholds_by_row(prepared, outcome, at) else {
            continue;
        };
        let Some(cohort_name) = attest_engine::plan::test_cohorts(test).into_iter().next() else {
            continue;
        };
        let Ok(cohort) = attest_engine::plan::cohort(&prepared.cohorts, &cohort_name) else {
            continue;
        };
        let (mut fp, mut fn_) = (Vec::new(), Vec::new());
        for &row in &cohort.rows {
            let (Some(label), Some(score), Some(Some(t))) = (
                prepared.cases.labels.binary(row),
                outcome.predictions.score(0, row),
                thresholds.get(row),
            ) else {
                continue;
            };
            match (label, score >= *t) {
                (false, true) => fp.push((score, row, *t)),
                (true, false) => fn_.push((score, row, *t)),
                _ => {}
            }
        }
        // Most confident first; ties in case-table order.
        fp.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        fn_.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let show = |list: &[(f64, usize, f64)]| -> Vec<ErrorCase> {
            list.iter()
                .take(ERRORS_PER_KIND)
                .filter_map(|&(score, row, threshold)| {
                    let image = attest_data::images::read_image(
                        &paths[row],
                        &attest_data::limits::image_options(&prepared.spec.data),
                    )
                    .ok()?
                    .image;
                    Some(ErrorCase {
                        case: prepared.cases.ids[row].clone(),
                        score,
                        threshold,
                        metadata: metadata
                            .iter()
                            .filter_map(|(name, values)| {
                                values[row].as_ref().map(|v| format!("{name}={v}"))
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                        png: thumbnail_png(&image)?,
                    })
                })
                .collect()
        };
        out.push(ErrorGallery {
            test: test.id.clone(),
            cohort: cohort_name,
            at: at.clone(),
            false_positives: show(&fp),
            false_negatives: show(&fn_),
            counts: (fp.len(), fn_.len()),
        });
    }
    out
}

/// Tile height of the PNG sheets [`sheets`] makes (the thumbnails' own size).
const SHEET_TILE: usize = THUMBNAIL as usize;

/// A thumbnail of the bundle as an image.
fn decode_png(png: &str) -> Option<attest_perturb::Image> {
    let bytes = BASE64.decode(png).ok()?;
    let dynamic = ::image::load_from_memory(&bytes).ok()?;
    attest_perturb::io::from_dynamic(dynamic).ok()
}

/// One labelled sheet as PNG bytes.
fn sheet_png(tiles: &[(attest_perturb::Image, Vec<String>)], columns: usize) -> Option<Vec<u8>> {
    let sheet = attest_perturb::sheet::labelled_grid(tiles, columns, SHEET_TILE).ok()?;
    let dynamic = attest_perturb::io::to_dynamic(&sheet).ok()?;
    let mut png = Vec::new();
    dynamic
        .write_to(&mut Cursor::new(&mut png), ::image::ImageFormat::Png)
        .ok()?;
    Some(png)
}

/// The galleries of a bundle (its `curves.json`) as PNG thumbnail sheets to look through:
/// per performance test with an operating point, `TEST-false-positives.png` and
/// `TEST-false-negatives.png` (case id, score and threshold, metadata above each image); per
/// robustness or invariance test, `TEST-flips.png` (decisions that flip at its operating
/// point) or `TEST-hurt-most.png`, each case as its original and perturbed image side by
/// side. Returns file names and PNG bytes; lists without a case give no sheet.
pub fn sheets(curves: &super::Curves) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in &curves.errors {
        for (suffix, cases) in [
            ("false-positives", &e.false_positives),
            ("false-negatives", &e.false_negatives),
        ] {
            let tiles: Vec<(attest_perturb::Image, Vec<String>)> = cases
                .iter()
                .filter_map(|c| {
                    let image = decode_png(&c.png)?;
                    let mut lines = vec![
                        c.case.clone(),
                        format!("SCORE {:.3} T {:.3}", c.score, c.threshold),
                    ];
                    lines.extend(c.metadata.split(", ").take(2).map(str::to_string));
                    Some((image, lines))
                })
                .collect();
            if let Some(png) = (!tiles.is_empty()).then(|| sheet_png(&tiles, 3)).flatten() {
                out.push((format!("{}-{suffix}.png", e.test), png));
            }
        }
    }
    for g in &curves.gallery {
        let tiles: Vec<(attest_perturb::Image, Vec<String>)> = g
            .cases
            .iter()
            .flat_map(|c| {
                let before = decode_png(&c.original_png).map(|image| {
                    (
                        image,
                        vec![
                            c.case.clone(),
                            c.label.clone(),
                            format!("ORIGINAL {:.3}", c.original),
                        ],
                    )
                });
                let after = decode_png(&c.perturbed_png).map(|image| {
                    (
                        image,
                        vec![
                            g.variant.replace('@', " "),
                            if c.flipped == Some(true) {
                                "FLIPS".to_string()
                            } else {
                                String::new()
                            },
                            format!("PERTURBED {:.3}", c.perturbed),
                        ],
                    )
                });
                before.into_iter().chain(after)
            })
            .collect();
        let name = if g.flips.is_some() {
            "flips"
        } else {
            "hurt-most"
        };
        if let Some(png) = (!tiles.is_empty()).then(|| sheet_png(&tiles, 4)).flatten() {
            out.push((format!("{}-{name}.png", g.test), png));
        }
    }
    out
}
