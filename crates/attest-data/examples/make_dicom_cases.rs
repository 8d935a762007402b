//! Generates the bundled example dataset of `examples/dicom`: labelled DICOM cases made from
//! one **real** chest radiograph (a computed radiography object, 1955×1841, 15 bits stored,
//! MONOCHROME1).
//!
//! ```sh
//! cargo run --release -p attest-data --example make_dicom_cases -- \
//!     examples/dicom/source/RG1_UNCI.dcm examples/dicom/data
//! ```
//!
//! What is real: the anatomy and the detector's pixel values (random square crops, 60–85% of
//! the shorter side near the centre, of the real radiograph, area-resampled to 128×128 in
//! its stored 15-bit values). What is simulated: a round "nodule" (a smooth dome, as in
//! `make_chest_xray`) in about half the cases, which is the label; the patients and their
//! metadata (id, age, sex, split); and three **acquisition sites that store pixels
//! differently**, so that a spec over these files exercises the DICOM path end to end:
//!
//! | site | modality | stored as | display transform the reader must apply |
//! |---|---|---|---|
//! | H1 | CR | MONOCHROME1, 15 of 16 bits, explicit VR little endian | VOI window 15000/30000, then inversion |
//! | H2 | DX | MONOCHROME2, 12 of 16 bits, implicit VR little endian | VOI window 2048/4096 |
//! | H3 | DX | MONOCHROME2, 14 of 16 bits, explicit VR little endian | rescale slope 2, intercept −1000 (modality LUT), then VOI window 15383/32768 — and a quarter of the dose: noisier, the harder site |
//!
//! A reader that ignores Photometric Interpretation shows H1 inverted; one that ignores the
//! window shows H2 and H3 nearly black: per-site performance then diverges, which the
//! example's subgroup test would catch.
//!
//! The source radiograph shows real round opacities in both lungs: they are in every crop,
//! positive or negative, so the simulated nodule is the only difference between the classes.
//! Every draw comes from a ChaCha8 stream seeded by (seed, case number); the output is
//! identical on every machine.

use std::path::{Path, PathBuf};

use attest_perturb::Image;
use attest_stats::rng::{below, derive_seed, generator, id_part, unit};
use dicom_core::value::{PrimitiveValue, C};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

#[path = "common/mod.rs"]
mod common;
use common::{
    add_nodule, apply_site_effects, pick_by_share, place_nodule, random_crop, write_atomic, Effect,
    LungFields,
};

/// Side of the generated images, in pixels.
const SIDE: usize = 128;

/// The source's VOI window (centre 15000, width 30000): stored value → display in [0, 1]
/// after MONOCHROME1 inversion is `1 − v / 30000`.
const SOURCE_WINDOW_WIDTH: f64 = 30000.0;

struct Args {
    source: PathBuf,
    out: PathBuf,
    seed: u64,
    cases: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut seed = 20_261_127u64;
    let mut cases = 160usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).ok_or("--seed N")?,
            "--cases" => {
                cases = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--cases N")?
            }
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [source, out] = <[PathBuf; 2]>::try_from(positional)
        .map_err(|_| "usage: make_dicom_cases SOURCE.dcm OUT_DIR [--seed N] [--cases N]")?;
    Ok(Args {
        source,
        out,
        seed,
        cases,
    })
}

/// How one site stores its pixels, and what its acquisition does to them.
struct Site {
    name: &'static str,
    share: f64,
    modality: &'static str,
    sop_class: &'static str,
    transfer_syntax: &'static str,
    monochrome1: bool,
    bits_stored: u16,
    rescale: Option<(f64, f64)>,
    window: (f64, f64),
    contrast: (f64, f64),
    effects: Vec<Effect>,
}

fn sites() -> Vec<Site> {
    vec![
        Site {
            name: "H1",
            share: 0.40,
            modality: "CR",
            sop_class: uids::COMPUTED_RADIOGRAPHY_IMAGE_STORAGE,
            transfer_syntax: uids::EXPLICIT_VR_LITTLE_ENDIAN,
            monochrome1: true,
            bits_stored: 15,
            rescale: None,
            window: (15000.0, 30000.0),
            contrast: (0.14, 0.30),
            effects: vec![("gaussian_noise", 1, vec![("sigma", 0.01)])],
        },
        Site {
            name: "H2",
            share: 0.33,
            modality: "DX",
            sop_class: uids::DIGITAL_X_RAY_IMAGE_STORAGE_FOR_PRESENTATION,
            transfer_syntax: uids::IMPLICIT_VR_LITTLE_ENDIAN,
            monochrome1: false,
            bits_stored: 12,
            rescale: None,
            window: (2048.0, 4096.0),
            contrast: (0.14, 0.30),
            effects: vec![("gaussian_noise", 1, vec![("sigma", 0.01)])],
        },
        Site {
            name: "H3",
            share: 0.27,
            modality: "DX",
            sop_class: uids::DIGITAL_X_RAY_IMAGE_STORAGE_FOR_PRESENTATION,
            transfer_syntax: uids::EXPLICIT_VR_LITTLE_ENDIAN,
            monochrome1: false,
            bits_stored: 14,
            rescale: Some((2.0, -1000.0)),
            window: (15383.0, 32768.0),
            contrast: (0.12, 0.26),
            effects: vec![("poisson_dose", 1, vec![("dose_fraction", 0.25)])],
        },
    ]
}

/// The source radiograph as display values in [0, 1] (window applied, MONOCHROME1 inverted).
struct Source {
    width: usize,
    height: usize,
    display: Vec<f64>,
}

fn read_source(path: &Path) -> Result<Source, String> {
    let obj = dicom_object::open_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let number = |tag| -> Result<usize, String> {
        obj.element(tag)
            .map_err(|e| e.to_string())?
            .to_int::<u32>()
            .map(|v| v as usize)
            .map_err(|e| e.to_string())
    };
    let (width, height) = (number(tags::COLUMNS)?, number(tags::ROWS)?);
    let photometric = obj
        .element(tags::PHOTOMETRIC_INTERPRETATION)
        .map_err(|e| e.to_string())?
        .to_str()
        .map_err(|e| e.to_string())?
        .trim()
        .to_string();
    if photometric != "MONOCHROME1" || number(tags::BITS_ALLOCATED)? != 16 {
        return Err(format!(
            "{}: expected a 16-bit MONOCHROME1 radiograph (RG1_UNCI.dcm)",
            path.display()
        ));
    }
    let bytes = obj
        .element(tags::PIXEL_DATA)
        .map_err(|e| e.to_string())?
        .to_bytes()
        .map_err(|e| e.to_string())?;
    if bytes.len() < width * height * 2 {
        return Err(format!("{}: pixel data too short", path.display()));
    }
    let display = bytes
        .chunks_exact(2)
        .take(width * height)
        .map(|b| {
            (1.0 - f64::from(u16::from_le_bytes([b[0], b[1]])) / SOURCE_WINDOW_WIDTH)
                .clamp(0.0, 1.0)
        })
        .collect();
    Ok(Source {
        width,
        height,
        display,
    })
}

/// Area average of the square (x0, y0, side) of the source onto SIDE×SIDE.
fn crop_area(source: &Source, x0: f64, y0: f64, side: f64) -> Vec<f64> {
    let step = side / SIDE as f64;
    let mut out = vec![0.0; SIDE * SIDE];
    for (oy, row) in out.chunks_exact_mut(SIDE).enumerate() {
        let ya = (y0 + oy as f64 * step) as usize;
        let yb = ((y0 + (oy + 1) as f64 * step) as usize).clamp(ya + 1, source.height);
        for (ox, v) in row.iter_mut().enumerate() {
            let xa = (x0 + ox as f64 * step) as usize;
            let xb = ((x0 + (ox + 1) as f64 * step) as usize).clamp(xa + 1, source.width);
            let mut sum = 0.0;
            for y in ya..yb {
                sum += source.display[y * source.width + xa..y * source.width + xb]
                    .iter()
                    .sum::<f64>();
            }
            *v = sum / ((yb - ya) * (xb - xa)) as f64;
        }
    }
    out
}

/// A DICOM UID under the `2.25` (UUID-derived) root, from the seed and stable names.
fn uid(seed: u64, parts: &[u64]) -> String {
    let hi = derive_seed(seed, parts);
    let lo = derive_seed(hi, &[id_part("uid")]);
    format!("2.25.{}", (u128::from(hi) << 64 | u128::from(lo)) >> 2)
}

struct Case {
    id: String,
    file: String,
    finding: &'static str,
    patient: String,
    site_index: usize,
    split: &'static str,
    age: u32,
    sex: &'static str,
    nodule: Option<(f64, f64, f64, f64)>,
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    let source = read_source(&args.source)?;
    let sites = sites();
    let image_dir = args.out.join("images");
    std::fs::create_dir_all(&image_dir).map_err(|e| e.to_string())?;

    let mut cases: Vec<Case> = Vec::with_capacity(args.cases);
    let mut patient = 0usize;
    while cases.len() < args.cases {
        patient += 1;
        let mut rng = generator(derive_seed(
            args.seed,
            &[id_part("patient"), patient as u64],
        ));
        let u = unit(&mut rng);
        let shares: Vec<f64> = sites.iter().map(|s| s.share).collect();
        let site_index = pick_by_share(&shares, u);
        let age = 35 + below(&mut rng, 50);
        let sex = if below(&mut rng, 2) == 0 { "F" } else { "M" };
        let split = if unit(&mut rng) < 0.4 { "tune" } else { "test" };
        let images_of_patient = if unit(&mut rng) < 0.2 { 2 } else { 1 };
        let positive = unit(&mut rng) < 0.5;
        for _ in 0..images_of_patient {
            if cases.len() == args.cases {
                break;
            }
            let n = cases.len() + 1;
            cases.push(Case {
                id: format!("dcm-{n:04}"),
                file: format!("images/dcm-{n:04}.dcm"),
                finding: if positive { "nodule" } else { "normal" },
                patient: format!("Q{patient:04}"),
                site_index,
                split,
                age,
                sex,
                nodule: None,
            });
        }
    }

    let (w, h) = (source.width as f64, source.height as f64);
    for (i, case) in cases.iter_mut().enumerate() {
        let mut rng = generator(derive_seed(args.seed, &[id_part("case"), i as u64]));
        let site = &sites[case.site_index];
        let (side, x0, y0) = random_crop(&mut rng, w, h);
        let (x0, y0) = (x0.floor(), y0.floor());
        let mut pixels = crop_area(&source, x0, y0, side);
        if case.finding == "nodule" {
            // An approximate lung field of the source (left or right), intersected with the
            // crop, mapped to the output grid.
            let fields = LungFields {
                left: (0.18, 0.40),
                right: (0.60, 0.82),
                vertical: (0.18, 0.60),
                radius: (2.5, 5.0),
            };
            let crop = (side, x0, y0);
            let nodule = place_nodule(&mut rng, &fields, (w, h), crop, SIDE as f64, site.contrast);
            add_nodule(&mut pixels, SIDE, nodule);
            case.nodule = Some(nodule);
        }
        // Site acquisition, applied to the display image at 16 bits.
        let samples: Vec<u16> = pixels
            .iter()
            .map(|&v| (v * 65535.0).round().clamp(0.0, 65535.0) as u16)
            .collect();
        let image = Image::gray16(SIDE, SIDE, samples).map_err(|e| e.to_string())?;
        let image = apply_site_effects(image, &site.effects, args.seed, i)?;
        let display: Vec<f64> = match image.as_u16() {
            Some(v) => v.iter().map(|&s| f64::from(s) / 65535.0).collect(),
            None => return Err("the site effects changed the pixel type".into()),
        };
        let stored = encode(site, &display);
        let path = args.out.join(&case.file);
        write_dicom(&path, args.seed, i, case, site, stored)?;
    }

    let mut csv = String::from(
        "case_id,file,finding,patient_id,site,split,age_years,sex,nodule_x,nodule_y,nodule_radius,nodule_contrast\n",
    );
    for c in &cases {
        let nodule = c.nodule.map_or(",,,".to_string(), |(x, y, r, k)| {
            format!("{x:.1},{y:.1},{r:.2},{k:.4}")
        });
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            c.id,
            c.file,
            c.finding,
            c.patient,
            sites[c.site_index].name,
            c.split,
            c.age,
            c.sex,
            nodule
        ));
    }
    write_atomic(&args.out.join("cases.csv"), csv.as_bytes())?;
    let positives = cases.iter().filter(|c| c.finding == "nodule").count();
    eprintln!(
        "wrote {} DICOM cases ({positives} with a nodule, {patient} patients) to {}",
        cases.len(),
        args.out.display()
    );
    Ok(())
}

/// Display values in [0, 1] → the site's stored values: the inverse of its window, its
/// modality LUT and (for MONOCHROME1) its inversion.
fn encode(site: &Site, display: &[f64]) -> Vec<u16> {
    let max_stored = f64::from((1u32 << site.bits_stored) - 1);
    let (centre, width) = site.window;
    display
        .iter()
        .map(|&d| {
            let d = if site.monochrome1 { 1.0 - d } else { d };
            // Linear window (PS3.3 C.11.2.1.2): display = (x − (c − 0.5)) / (w − 1) + 0.5.
            let output = (d - 0.5) * (width - 1.0) + centre - 0.5;
            let stored = match site.rescale {
                Some((slope, intercept)) => (output - intercept) / slope,
                None => output,
            };
            stored.round().clamp(0.0, max_stored) as u16
        })
        .collect()
}

fn write_dicom(
    path: &Path,
    seed: u64,
    index: usize,
    case: &Case,
    site: &Site,
    stored: Vec<u16>,
) -> Result<(), String> {
    let patient_number = case
        .patient
        .trim_start_matches('Q')
        .parse::<u64>()
        .unwrap_or(0);
    let instance = uid(seed, &[id_part("instance"), index as u64]);
    let mut obj = InMemDicomObject::from_element_iter([
        DataElement::new(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100"),
        DataElement::new(tags::IMAGE_TYPE, VR::CS, "DERIVED\\SECONDARY"),
        DataElement::new(tags::SOP_CLASS_UID, VR::UI, site.sop_class),
        DataElement::new(tags::SOP_INSTANCE_UID, VR::UI, instance.as_str()),
        DataElement::new(tags::MODALITY, VR::CS, site.modality),
        DataElement::new(tags::MANUFACTURER, VR::LO, "Attest example generator"),
        DataElement::new(tags::INSTITUTION_NAME, VR::LO, format!("Simulated site {}", site.name)),
        DataElement::new(
            tags::DERIVATION_DESCRIPTION,
            VR::ST,
            "Semi-synthetic: crop of the real radiograph RG1_UNCI (pydicom-data, MIT) with simulated nodule and acquisition",
        ),
        DataElement::new(tags::PATIENT_NAME, VR::PN, format!("Example^{}", case.patient)),
        DataElement::new(tags::PATIENT_ID, VR::LO, case.patient.as_str()),
        DataElement::new(tags::PATIENT_SEX, VR::CS, case.sex),
        DataElement::new(tags::PATIENT_AGE, VR::AS, format!("{:03}Y", case.age)),
        DataElement::new(tags::BODY_PART_EXAMINED, VR::CS, "CHEST"),
        DataElement::new(tags::VIEW_POSITION, VR::CS, "PA"),
        DataElement::new(
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            uid(seed, &[id_part("study"), index as u64]).as_str(),
        ),
        DataElement::new(
            tags::SERIES_INSTANCE_UID,
            VR::UI,
            uid(seed, &[id_part("series"), patient_number]).as_str(),
        ),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16)),
        DataElement::new(
            tags::PHOTOMETRIC_INTERPRETATION,
            VR::CS,
            if site.monochrome1 { "MONOCHROME1" } else { "MONOCHROME2" },
        ),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(SIDE as u16)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(SIDE as u16)),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(site.bits_stored)),
        DataElement::new(tags::HIGH_BIT, VR::US, PrimitiveValue::from(site.bits_stored - 1)),
        DataElement::new(tags::PIXEL_REPRESENTATION, VR::US, PrimitiveValue::from(0u16)),
        DataElement::new(tags::WINDOW_CENTER, VR::DS, format!("{}", site.window.0)),
        DataElement::new(tags::WINDOW_WIDTH, VR::DS, format!("{}", site.window.1)),
        DataElement::new(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(C::from_vec(stored))),
    ]);
    if let Some((slope, intercept)) = site.rescale {
        obj.put(DataElement::new(
            tags::RESCALE_INTERCEPT,
            VR::DS,
            format!("{intercept}"),
        ));
        obj.put(DataElement::new(
            tags::RESCALE_SLOPE,
            VR::DS,
            format!("{slope}"),
        ));
        obj.put(DataElement::new(tags::RESCALE_TYPE, VR::LO, "US"));
    }
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(site.transfer_syntax)
                .implementation_class_uid("2.25.1126202611272026")
                .implementation_version_name("ATTEST_EXAMPLE"),
        )
        .map_err(|e| e.to_string())?;
    let tmp = path.with_extension("tmp");
    file.write_to_file(&tmp).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}
