//! Generates the bundled example dataset of `examples/chest-xray`: a **semi-synthetic**
//! nodule-detection set made from 16 real pediatric chest radiographs.
//!
//! ```sh
//! cargo run --release -p attest-data --example make_chest_xray -- \
//!     examples/chest-xray/source examples/chest-xray/data
//! # a training set for the example model (not committed), same generator, other seed:
//! cargo run --release -p attest-data --example make_chest_xray -- \
//!     examples/chest-xray/source /tmp/train --seed 7 --cases 2000 --split train
//! ```
//!
//! What is real: the anatomy (random square crops, 60–85% of the shorter side, of the real
//! radiographs in `source/`). What is simulated: everything else — a round "nodule" (a
//! smooth dome of a few pixels, added in an approximate lung field) in about half the cases,
//! which is the label; the metadata (patient, site, age, sex, split); and site-specific
//! acquisition, made with Attest's own perturbations:
//! - site A: clean (detector noise σ = 0.01);
//! - site B: over-exposed and softer (gamma 0.8, 2× resolution loss, σ = 0.015) — scores
//!   shift, so a threshold chosen on all sites does not hold here (per-site thresholds matter);
//! - site C: harder on purpose — low dose (quantum noise at 25% dose), flatter contrast and
//!   fainter nodules: the weak segment a failure analysis should find.
//!
//! Nodule contrast is 14–30% of full scale at sites A and B and 10–22% at site C, radius 4–9
//! pixels: at a quarter of these values (the first version) nodules were so faint that a
//! small CNN trained on 2,000 cases could barely find them, and at the second version's
//! 9–22% / 6–15% (radius 3.5–8) it reached a held-out AUC of only 0.78; the example needs a
//! good-but-imperfect model (AUC around 0.85–0.95).
//!
//! Every draw comes from a ChaCha8 stream seeded by (seed, case number), so the output is
//! identical on every machine and thread count; images are written as 8-bit PNG, 224×224.

use std::path::PathBuf;

use attest_data::images::{read_image, ReadOptions};
use attest_perturb::Image;
use attest_stats::rng::{below, derive_seed, generator, id_part, unit};

#[path = "common/mod.rs"]
mod common;
use common::{
    add_nodule, apply_site_effects, pick_by_share, place_nodule, random_crop, write_atomic, Effect,
    LungFields,
};

/// Side of the generated images, in pixels.
const SIDE: u32 = 224;

struct Args {
    source: PathBuf,
    out: PathBuf,
    seed: u64,
    cases: usize,
    split: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut seed = 20_261_126u64;
    let mut cases = 300usize;
    let mut split = None;
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
            "--split" => split = Some(args.next().ok_or("--split NAME")?),
            _ => positional.push(PathBuf::from(a)),
        }
    }
    let [source, out] = <[PathBuf; 2]>::try_from(positional).map_err(|_| {
        "usage: make_chest_xray SOURCE_DIR OUT_DIR [--seed N] [--cases N] [--split NAME]"
    })?;
    Ok(Args {
        source,
        out,
        seed,
        cases,
        split,
    })
}

/// One site's acquisition and the difficulty of its nodules.
struct Site {
    name: &'static str,
    share: f64,
    prevalence: f64,
    contrast: (f64, f64),
    effects: Vec<Effect>,
}

fn sites() -> Vec<Site> {
    vec![
        Site {
            name: "A",
            share: 0.40,
            prevalence: 0.50,
            contrast: (0.14, 0.30),
            effects: vec![("gaussian_noise", 1, vec![("sigma", 0.01)])],
        },
        Site {
            name: "B",
            share: 0.33,
            prevalence: 0.45,
            contrast: (0.14, 0.30),
            effects: vec![
                ("gamma_down", 2, vec![]),
                ("resolution_loss", 2, vec![]),
                ("gaussian_noise", 1, vec![("sigma", 0.015)]),
            ],
        },
        Site {
            name: "C",
            share: 0.27,
            prevalence: 0.50,
            contrast: (0.10, 0.22),
            effects: vec![
                ("contrast_down", 2, vec![]),
                ("poisson_dose", 1, vec![("dose_fraction", 0.25)]),
            ],
        },
    ]
}

/// Square crop of `side` pixels at (x0, y0) of a gray image, resized to SIDE×SIDE, as [0, 1].
fn crop_resize(image: &Image, x0: usize, y0: usize, side: usize) -> Result<Vec<f64>, String> {
    let dynamic = attest_perturb::io::to_dynamic(image).map_err(|e| e.to_string())?;
    let cropped = dynamic.crop_imm(x0 as u32, y0 as u32, side as u32, side as u32);
    let resized = cropped
        .resize_exact(SIDE, SIDE, image::imageops::FilterType::Lanczos3)
        .into_luma16();
    Ok(resized
        .into_raw()
        .iter()
        .map(|&v| f64::from(v) / 65535.0)
        .collect())
}

struct Case {
    id: String,
    file: String,
    finding: &'static str,
    patient: String,
    site: &'static str,
    split: String,
    age: u32,
    sex: &'static str,
    source: String,
    source_index: usize,
    nodule: Option<(f64, f64, f64, f64)>,
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&args.source)
        .map_err(|e| format!("{}: {e}", args.source.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "jpeg" || x == "jpg" || x == "png")
        })
        .collect();
    sources.sort();
    if sources.is_empty() {
        return Err(format!("no images in {}", args.source.display()));
    }
    let images: Vec<Image> = sources
        .iter()
        .map(|p| {
            read_image(p, &ReadOptions::default())
                .map(|d| d.image)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let image_dir = args.out.join("images");
    std::fs::create_dir_all(&image_dir).map_err(|e| e.to_string())?;
    let sites = sites();

    // Patients: about one in five has a second image (a follow-up at the same site, another
    // crop and acquisition), so the cluster bootstrap has something to do.
    let mut cases: Vec<Case> = Vec::with_capacity(args.cases);
    let mut patient = 0usize;
    while cases.len() < args.cases {
        patient += 1;
        let mut rng = generator(derive_seed(
            args.seed,
            &[id_part("patient"), patient as u64],
        ));
        let shares: Vec<f64> = sites.iter().map(|s| s.share).collect();
        let site = &sites[pick_by_share(&shares, unit(&mut rng))];
        let age = 1 + below(&mut rng, 12);
        let sex = if below(&mut rng, 2) == 0 { "F" } else { "M" };
        let split = args.split.clone().unwrap_or_else(|| {
            if unit(&mut rng) < 0.4 {
                "tune".into()
            } else {
                "test".into()
            }
        });
        let images_of_patient = if unit(&mut rng) < 0.2 { 2 } else { 1 };
        // A patient's images are crops of one source radiograph: the same anatomy.
        let source_index = below(&mut rng, images.len() as u32) as usize;
        let positive = unit(&mut rng) < site.prevalence;
        for _ in 0..images_of_patient {
            if cases.len() == args.cases {
                break;
            }
            let n = cases.len() + 1;
            cases.push(Case {
                id: format!("case-{n:04}"),
                file: format!("images/case-{n:04}.png"),
                finding: if positive { "nodule" } else { "normal" },
                patient: format!("P{patient:04}"),
                site: site.name,
                split: split.clone(),
                age,
                sex,
                source: String::new(),
                source_index,
                nodule: None,
            });
        }
    }

    for (i, case) in cases.iter_mut().enumerate() {
        let mut rng = generator(derive_seed(args.seed, &[id_part("case"), i as u64]));
        let s = case.source_index;
        let source = &images[s];
        case.source = sources[s]
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (w, h) = (source.width() as f64, source.height() as f64);
        let (side, x0, y0) = random_crop(&mut rng, w, h);
        let mut pixels = crop_resize(source, x0 as usize, y0 as usize, side as usize)?;
        let site = sites.iter().find(|s| s.name == case.site).ok_or("site")?;
        if case.finding == "nodule" {
            // An approximate lung field of the source image (left or right), in its pixels,
            // intersected with the crop; then mapped to the 224×224 output.
            let fields = LungFields {
                left: (0.26, 0.44),
                right: (0.56, 0.74),
                vertical: (0.32, 0.64),
                radius: (4.0, 9.0),
            };
            let crop = (side, x0, y0);
            let nodule = place_nodule(
                &mut rng,
                &fields,
                (w, h),
                crop,
                f64::from(SIDE),
                site.contrast,
            );
            add_nodule(&mut pixels, SIDE as usize, nodule);
            case.nodule = Some(nodule);
        }
        let samples: Vec<u8> = pixels
            .iter()
            .map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect();
        let image =
            Image::gray8(SIDE as usize, SIDE as usize, samples).map_err(|e| e.to_string())?;
        let image = apply_site_effects(image, &site.effects, args.seed, i)?;
        let path = args.out.join(&case.file);
        attest_perturb::io::write_image(&image, &path).map_err(|e| e.to_string())?;
    }

    let mut csv = String::from(
        "case_id,file,finding,patient_id,site,split,age_years,sex,source_image,nodule_x,nodule_y,nodule_radius,nodule_contrast\n",
    );
    for c in &cases {
        let nodule = c.nodule.map_or(",,,".to_string(), |(x, y, r, k)| {
            format!("{x:.1},{y:.1},{r:.2},{k:.4}")
        });
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            c.id, c.file, c.finding, c.patient, c.site, c.split, c.age, c.sex, c.source, nodule
        ));
    }
    write_atomic(&args.out.join("cases.csv"), csv.as_bytes())?;
    let positives = cases.iter().filter(|c| c.finding == "nodule").count();
    eprintln!(
        "wrote {} cases ({positives} with a nodule, {} patients) to {}",
        cases.len(),
        patient,
        args.out.display()
    );
    Ok(())
}
