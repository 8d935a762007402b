//! attest-perturb against the published Python packages, on real radiographs.
//!
//! `tests/reference/` holds outputs of `imagecorruptions` 1.1.2 and `medmnistc` 0.1.0 (chest
//! tables) made by `tests/reference/generate.py` (see its README.md for the environment):
//!
//! * deterministic kinds: the reference output image at severities 1, 3, 5 — Attest's output
//!   must be within PSNR >= 40 dB of it (about ±2.5 grey levels RMS: only the last-level
//!   differences of float accumulation order or truncation are allowed, no algorithmic ones);
//! * random kinds: summary statistics of (output − input) over several seeds — Attest's must
//!   agree within the tolerances of [`TOLERANCES`] plus three standard errors of the seed-to-seed
//!   variation of both sides.
//!
//! A kind or table Attest does not define fails the test, listed by name. While developing,
//! `ATTEST_REFERENCE_FILTER=pixelate,imagecorruptions/fog` restricts the run to entries whose
//! `package/kind` or Attest kind name contains one of the comma-separated words. Each test
//! prints its table; see it with `cargo test -p attest-perturb --test reference -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use attest_perturb::{perturb, perturb_at_severity, Image};
use serde_json::Value;

/// Deterministic kinds must reproduce the reference to this PSNR (dB).
const MIN_PSNR: f64 = 40.0;

/// Statistics of a random kind, in `reference.json` order, with the allowed difference
/// `max(absolute, relative × |reference|)` (before the sampling term, see [`allowed`]).
///
/// Why these values:
/// * `mean_diff` (grey levels): 1 level absolute — both sides truncate to u8 (−0.5 on
///   average), so a matching algorithm agrees far better; a systematic shift of a whole level
///   is a real difference. 10 % relative for kinds that move the mean a lot (fog, snow, mud).
/// * `std_diff`, `mad` (grey levels): 10 % relative — the noise strength, the quantity a
///   severity table sets; 0.5 level absolute for near-identity cases.
/// * `frac_changed`, `frac_zero`, `frac_255`: 0.01 absolute — one pixel in a hundred. With
///   ~50,000 pixels per image the binomial sampling error is < 0.003, so only a different
///   algorithm (e.g. salt-and-pepper amount, clipping) moves them by this much.
/// * `psnr` (dB): 1 dB — the counterpart of 10 % on the RMS difference (20·log10(1.1) = 0.83).
/// * `grad_ratio` (gradient energy of output / input): 20 % relative — it scales with the
///   square of the noise amplitude (10 % on std → 21 %) and measures blur strength; 0.05
///   absolute for ratios near zero.
const TOLERANCES: &[(&str, f64, f64)] = &[
    // (name, absolute, relative)
    ("mean_diff", 1.0, 0.10),
    ("std_diff", 0.5, 0.10),
    ("mad", 0.5, 0.10),
    ("frac_changed", 0.01, 0.0),
    ("frac_zero", 0.01, 0.0),
    ("frac_255", 0.01, 0.0),
    ("psnr", 1.0, 0.0),
    ("grad_ratio", 0.05, 0.20),
];

/// Seed-to-seed variation (fog's fractal, motion blur's angle, spatter's splashes) is added
/// to the tolerance as this many standard errors of the difference of the two means.
const STANDARD_ERRORS: f64 = 3.0;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

fn load_index() -> Value {
    let path = reference_dir().join("reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Decodes a gray or RGB 8-bit PNG into an [`Image`].
fn load_png(relative: &str) -> Image {
    let path = reference_dir().join(relative);
    let decoded = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match decoded.color() {
        image::ColorType::L8 => {
            let gray = decoded.into_luma8();
            Image::gray8(
                gray.width() as usize,
                gray.height() as usize,
                gray.into_raw(),
            )
            .unwrap()
        }
        image::ColorType::Rgb8 => {
            let rgb = decoded.into_rgb8();
            Image::rgb8(rgb.width() as usize, rgb.height() as usize, rgb.into_raw()).unwrap()
        }
        other => panic!("{}: unexpected colour type {other:?}", path.display()),
    }
}

/// One entry of `reference.json`, the fields the test needs.
struct Entry<'a> {
    package: &'a str,
    kind: &'a str,
    attest_kind: &'a str,
    table: &'a str,
    severity: u8,
    input: &'a str,
}

impl<'a> Entry<'a> {
    fn from_json(json: &'a Value) -> Entry<'a> {
        let text = |key: &str| {
            json[key]
                .as_str()
                .unwrap_or_else(|| panic!("entry without `{key}`: {json}"))
        };
        Entry {
            package: text("package"),
            kind: text("kind"),
            attest_kind: text("attest_kind"),
            table: text("table"),
            severity: json["severity"]
                .as_u64()
                .and_then(|s| u8::try_from(s).ok())
                .unwrap(),
            input: text("input"),
        }
    }

    /// `package/kind`, the name used in reports and by the filter.
    fn label(&self) -> String {
        format!("{}/{}", self.package, self.kind)
    }

    fn input_name(&self) -> &str {
        Path::new(self.input)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(self.input)
    }

    /// Attest's kind and table for this entry, e.g. `gaussian_blur[medmnistc]`.
    fn attest_label(&self) -> String {
        match self.table {
            "default" => self.attest_kind.to_string(),
            table => format!("{}[{table}]", self.attest_kind),
        }
    }

    fn selected(&self, filter: &Option<Vec<String>>) -> bool {
        filter.as_ref().is_none_or(|words| {
            words
                .iter()
                .any(|w| self.label().contains(w.as_str()) || self.attest_kind.contains(w.as_str()))
        })
    }

    /// Runs Attest's kind at this entry's severity and table.
    fn run(&self, image: &Image, seed: u64) -> Result<Image, Outcome> {
        let def = attest_perturb::kind(self.attest_kind).map_err(|_| Outcome::Missing)?;
        let result = if self.table == "default" {
            perturb_at_severity(image, self.attest_kind, self.severity, seed)
        } else {
            if !def.tables.iter().any(|t| t.source == self.table) {
                return Err(Outcome::MissingTable);
            }
            def.severity(self.severity, Some(self.table))
                .and_then(|params| perturb(image, &params, seed))
        };
        result.map_err(|e| Outcome::Error(e.to_string()))
    }
}

/// Why an entry could not be compared.
enum Outcome {
    /// Attest has no kind of that name.
    Missing,
    /// The kind exists but has no table from that source.
    MissingTable,
    /// Attest returned an error.
    Error(String),
}

fn filter_from_env() -> Option<Vec<String>> {
    std::env::var("ATTEST_REFERENCE_FILTER")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect()
        })
}

/// `ATTEST_REFERENCE_SEEDS=N` runs Attest's random kinds with N seeds instead of the
/// reference's count (more seeds shrink Attest's share of the sampling term when a
/// statistic is borderline).
fn attest_seeds() -> Option<u64> {
    std::env::var("ATTEST_REFERENCE_SEEDS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|&n| n >= 2)
}

/// Collected problems of one test, reported together at the end.
#[derive(Default)]
struct Problems {
    missing: BTreeMap<String, Vec<String>>,
    failures: Vec<String>,
}

impl Problems {
    fn record(&mut self, entry: &Entry, outcome: Outcome) {
        let what = match outcome {
            Outcome::Missing => format!("{} (no such kind)", entry.attest_kind),
            Outcome::MissingTable => {
                format!("{} (no `{}` table)", entry.attest_label(), entry.table)
            }
            Outcome::Error(e) => {
                self.failures.push(format!(
                    "{} s{} {}: error: {e}",
                    entry.label(),
                    entry.severity,
                    entry.input_name()
                ));
                return;
            }
        };
        self.missing.entry(what).or_default().push(entry.label());
    }

    fn finish(self, test: &str, compared: usize) {
        let mut message = String::new();
        if !self.missing.is_empty() {
            message.push_str("not implemented in attest-perturb (reference entries exist):\n");
            for (what, labels) in &self.missing {
                let mut labels = labels.clone();
                labels.dedup();
                message.push_str(&format!("  - {what}: {}\n", labels.join(", ")));
            }
        }
        if !self.failures.is_empty() {
            message.push_str(&format!(
                "{} comparison(s) outside tolerance:\n",
                self.failures.len()
            ));
            for f in &self.failures {
                message.push_str(&format!("  - {f}\n"));
            }
        }
        assert!(
            compared > 0 || !message.is_empty(),
            "{test}: no entry selected (check ATTEST_REFERENCE_FILTER)"
        );
        assert!(
            message.is_empty(),
            "{test}: {compared} entries compared\n{message}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Deterministic kinds: PSNR against the reference image
// ---------------------------------------------------------------------------------------

fn check_deterministic(package: &str) {
    let index = load_index();
    let filter = filter_from_env();
    let mut problems = Problems::default();
    let mut inputs: BTreeMap<String, Image> = BTreeMap::new();
    let mut compared = 0;
    println!(
        "{:<34} {:<26} {:>3} {:<16} {:>8} {:>6}",
        "reference", "attest", "sev", "input", "PSNR dB", "max|Δ|"
    );
    for json in index["deterministic"].as_array().unwrap() {
        let entry = Entry::from_json(json);
        if entry.package != package || !entry.selected(&filter) {
            continue;
        }
        let input = inputs
            .entry(entry.input.to_string())
            .or_insert_with(|| load_png(entry.input));
        let expected = load_png(json["output"].as_str().unwrap());
        let actual = match entry.run(input, 0) {
            Ok(image) => image,
            Err(outcome) => {
                problems.record(&entry, outcome);
                continue;
            }
        };
        compared += 1;
        let Some(psnr) = actual.psnr(&expected) else {
            problems.failures.push(format!(
                "{} s{} {}: output is {:?} {}×{}, reference {:?} {}×{}",
                entry.label(),
                entry.severity,
                entry.input_name(),
                actual.pixel_type(),
                actual.width(),
                actual.height(),
                expected.pixel_type(),
                expected.width(),
                expected.height()
            ));
            continue;
        };
        let max_diff = (0..actual.len())
            .map(|i| (actual.sample(i) - expected.sample(i)).abs())
            .fold(0.0, f64::max);
        let ok = psnr >= MIN_PSNR;
        println!(
            "{:<34} {:<26} {:>3} {:<16} {:>8.2} {:>6} {}",
            entry.label(),
            entry.attest_label(),
            entry.severity,
            entry.input_name(),
            psnr,
            max_diff,
            if ok { "" } else { "FAIL" }
        );
        if !ok {
            problems.failures.push(format!(
                "{} s{} {}: PSNR {psnr:.2} dB < {MIN_PSNR} dB (max |Δ| {max_diff})",
                entry.label(),
                entry.severity,
                entry.input_name()
            ));
        }
    }
    problems.finish(package, compared);
}

/// ImageNet-C kinds without randomness: gaussian_blur, defocus_blur, zoom_blur, contrast,
/// brightness, jpeg_compression, pixelate — on two radiographs (gray) and one tinted RGB image.
#[test]
fn imagecorruptions_deterministic_kinds_match_reference_images() {
    check_deterministic("imagecorruptions");
}

/// MedMNIST-C chest kinds without randomness: brightness/contrast/gamma up and down, and the
/// medmnistc tables of pixelate, jpeg_compression and gaussian_blur.
#[test]
fn medmnistc_deterministic_kinds_match_reference_images() {
    check_deterministic("medmnistc");
}

// ---------------------------------------------------------------------------------------
// Random kinds: statistics over seeds
// ---------------------------------------------------------------------------------------

/// The statistics of `generate.py`'s `image_stats`, computed the same way.
fn image_stats(input: &Image, output: &Image) -> BTreeMap<&'static str, f64> {
    let n = input.len();
    let nf = n as f64;
    let (mut sum, mut sum_sq, mut abs, mut changed, mut zero, mut full) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        let (a, b) = (input.sample(i), output.sample(i));
        let d = b - a;
        sum += d;
        sum_sq += d * d;
        abs += d.abs();
        changed += f64::from(u8::from(d != 0.0));
        zero += f64::from(u8::from(b == 0.0));
        full += f64::from(u8::from(b == 255.0));
    }
    let mean = sum / nf;
    let mse = sum_sq / nf;
    let psnr = if mse == 0.0 {
        100.0
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    };
    BTreeMap::from([
        ("mean_diff", mean),
        ("std_diff", (mse - mean * mean).max(0.0).sqrt()),
        ("mad", abs / nf),
        ("frac_changed", changed / nf),
        ("frac_zero", zero / nf),
        ("frac_255", full / nf),
        ("psnr", psnr),
        (
            "grad_ratio",
            gradient_energy(output) / gradient_energy(input),
        ),
    ])
}

/// Mean squared difference of vertical neighbours plus that of horizontal neighbours, over
/// all channels (`generate.py`'s `gradient_energy`).
fn gradient_energy(image: &Image) -> f64 {
    let (w, h, c) = (image.width(), image.height(), image.pixel_type().channels());
    let at = |x: usize, y: usize, k: usize| image.sample((y * w + x) * c + k);
    let (mut vertical, mut horizontal) = (0.0, 0.0);
    for y in 0..h {
        for x in 0..w {
            for k in 0..c {
                if y + 1 < h {
                    vertical += (at(x, y + 1, k) - at(x, y, k)).powi(2);
                }
                if x + 1 < w {
                    horizontal += (at(x + 1, y, k) - at(x, y, k)).powi(2);
                }
            }
        }
    }
    vertical / ((h - 1) * w * c) as f64 + horizontal / (h * (w - 1) * c) as f64
}

/// Mean and sample standard deviation of each statistic across seeds.
fn aggregate(per_seed: &[BTreeMap<&'static str, f64>]) -> BTreeMap<&'static str, (f64, f64)> {
    let n = per_seed.len() as f64;
    TOLERANCES
        .iter()
        .map(|&(name, _, _)| {
            let values: Vec<f64> = per_seed.iter().map(|s| s[name]).collect();
            let mean = values.iter().sum::<f64>() / n;
            let var = if values.len() > 1 {
                values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
            } else {
                0.0
            };
            (name, (mean, var.sqrt()))
        })
        .collect()
}

/// The allowed |Attest − reference| for statistic `name`: the fixed tolerance of
/// [`TOLERANCES`] plus [`STANDARD_ERRORS`] standard errors of the difference of two means of
/// `n_ref` and `n_attest` seeds.
fn allowed(
    name: &str,
    reference: (f64, f64),
    n_ref: f64,
    attest: (f64, f64),
    n_attest: f64,
) -> f64 {
    let &(_, absolute, relative) = TOLERANCES.iter().find(|t| t.0 == name).unwrap();
    let sampling = (reference.1.powi(2) / n_ref + attest.1.powi(2) / n_attest).sqrt();
    absolute.max(relative * reference.0.abs()) + STANDARD_ERRORS * sampling
}

fn check_random(package: &str) {
    let index = load_index();
    let filter = filter_from_env();
    let mut problems = Problems::default();
    let mut inputs: BTreeMap<String, Image> = BTreeMap::new();
    let mut compared = 0;
    println!(
        "{:<34} {:<24} {:>3} {:<15} {:>17} {:>17} {:>15} {:>17}  worst",
        "reference",
        "attest",
        "sev",
        "input",
        "std_diff ref/att",
        "mean_diff r/a",
        "frac_chg r/a",
        "psnr r/a"
    );
    for json in index["random"].as_array().unwrap() {
        let entry = Entry::from_json(json);
        if entry.package != package || !entry.selected(&filter) {
            continue;
        }
        let input = inputs
            .entry(entry.input.to_string())
            .or_insert_with(|| load_png(entry.input));
        let n_seeds = attest_seeds().unwrap_or(json["seeds"].as_u64().unwrap());
        let mut per_seed = Vec::new();
        let mut error = None;
        for seed in 0..n_seeds {
            match entry.run(input, 1000 + seed) {
                Ok(output) if output.pixel_type() == input.pixel_type() => {
                    per_seed.push(image_stats(input, &output))
                }
                Ok(output) => {
                    error = Some(Outcome::Error(format!(
                        "output pixel type {:?}",
                        output.pixel_type()
                    )));
                    break;
                }
                Err(outcome) => {
                    error = Some(outcome);
                    break;
                }
            }
        }
        if let Some(outcome) = error {
            problems.record(&entry, outcome);
            continue;
        }
        compared += 1;
        let attest = aggregate(&per_seed);
        let n_ref = json["seeds"].as_f64().unwrap();
        let mut outside = Vec::new();
        let mut worst = ("", 0.0_f64);
        for &(name, _, _) in TOLERANCES {
            let reference = (
                json["mean"][name].as_f64().unwrap(),
                json["sd"][name].as_f64().unwrap(),
            );
            let ours = attest[name];
            let limit = allowed(name, reference, n_ref, ours, per_seed.len() as f64);
            let ratio = (ours.0 - reference.0).abs() / limit;
            if ratio > worst.1 {
                worst = (name, ratio);
            }
            if ratio > 1.0 {
                outside.push(format!(
                    "{name} {:.4} vs reference {:.4} (allowed ±{limit:.4})",
                    ours.0, reference.0
                ));
            }
        }
        let pair = |name: &str| {
            format!(
                "{:.3}/{:.3}",
                json["mean"][name].as_f64().unwrap(),
                attest[name].0
            )
        };
        println!(
            "{:<34} {:<24} {:>3} {:<15} {:>17} {:>17} {:>15} {:>17}  {} {:.2}{}",
            entry.label(),
            entry.attest_label(),
            entry.severity,
            entry.input_name(),
            pair("std_diff"),
            pair("mean_diff"),
            pair("frac_changed"),
            pair("psnr"),
            worst.0,
            worst.1,
            if outside.is_empty() { "" } else { " FAIL" }
        );
        if !outside.is_empty() {
            problems.failures.push(format!(
                "{} s{} {}: {}",
                entry.label(),
                entry.severity,
                entry.input_name(),
                outside.join("; ")
            ));
        }
    }
    problems.finish(package, compared);
}

/// ImageNet-C random kinds: the four noises, glass/motion blur, fog, snow, spatter,
/// elastic_transform — matching in distribution.
#[test]
fn imagecorruptions_random_kinds_match_reference_statistics() {
    check_random("imagecorruptions");
}

/// medmnistc chest noise tables (gaussian, speckle, impulse, shot) through the chestmnist
/// pipeline (grey → RGB → noise per channel → luma), matching in distribution.
#[test]
fn medmnistc_random_kinds_match_reference_statistics() {
    check_random("medmnistc");
}
