//! What the example-data generators (`make_chest_xray`, `make_dicom_cases`) share: how a
//! site is drawn, how a crop and a nodule are placed, how a site's acquisition is applied,
//! and how files are written. Both include it with `#[path = "common/mod.rs"] mod common;`
//! (cargo takes only `examples/*.rs` and `examples/*/main.rs` as examples, so this folder is
//! not one). The random draws are made in the order the committed data was made with: any
//! change here changes both datasets' bytes (their `SHA256SUMS` tests would say so).

use std::path::Path;

use attest_perturb::{kind, perturb, Image, Params};
use attest_stats::rng::{below, derive_seed, id_part, unit};
use rand_chacha::ChaCha8Rng;

/// A perturbation kind, its severity and parameter overrides: one step of a site's
/// simulated acquisition.
pub type Effect = (&'static str, u8, Vec<(&'static str, f64)>);

/// A uniform draw in [lo, hi).
pub fn between(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(rng)
}

/// The index of the item whose cumulative share first exceeds `u` (the last one when the
/// shares sum to less than `u`).
pub fn pick_by_share(shares: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, share) in shares.iter().enumerate() {
        acc += share;
        if u < acc {
            return i;
        }
    }
    shares.len().saturating_sub(1)
}

/// A square crop of a `w`×`h` source: its side (60–85 % of the shorter side) and its
/// top-left corner, near the centre (±6 %), inside the image; not rounded.
pub fn random_crop(rng: &mut ChaCha8Rng, w: f64, h: f64) -> (f64, f64, f64) {
    let side = (w.min(h) * between(rng, 0.60, 0.85)).floor();
    let cx = w / 2.0 + between(rng, -0.06, 0.06) * w;
    let cy = h / 2.0 + between(rng, -0.06, 0.06) * h;
    let x0 = (cx - side / 2.0).clamp(0.0, w - side);
    let y0 = (cy - side / 2.0).clamp(0.0, h - side);
    (side, x0, y0)
}

/// Where nodules may go, as fractions of the source image: the left and right lung fields'
/// horizontal extents and their common vertical extent, and the nodule radius range in
/// output pixels.
pub struct LungFields {
    /// Horizontal extent of the patient's right lung (the image's left), as fractions.
    pub left: (f64, f64),
    /// Horizontal extent of the other lung.
    pub right: (f64, f64),
    /// Vertical extent of both.
    pub vertical: (f64, f64),
    /// Radius range in output pixels.
    pub radius: (f64, f64),
}

/// A simulated nodule: centre (x, y) and radius in output pixels, and its contrast.
pub type Nodule = (f64, f64, f64, f64);

/// Places a nodule in a lung field of the source intersected with the crop
/// (`crop` = side, x0, y0 in source pixels), mapped to an `out_side`-pixel output; its
/// contrast is drawn from `contrast`.
pub fn place_nodule(
    rng: &mut ChaCha8Rng,
    fields: &LungFields,
    (w, h): (f64, f64),
    (side, x0, y0): (f64, f64, f64),
    out_side: f64,
    contrast: (f64, f64),
) -> Nodule {
    let right = below(rng, 2) == 1;
    let (lx0, lx1) = if right { fields.right } else { fields.left };
    let scale = out_side / side;
    let radius = between(rng, fields.radius.0, fields.radius.1);
    let margin = radius / scale + 2.0;
    let fx0 = (lx0 * w).max(x0 + margin);
    let fx1 = (lx1 * w).min(x0 + side - margin);
    let fy0 = (fields.vertical.0 * h).max(y0 + margin);
    let fy1 = (fields.vertical.1 * h).min(y0 + side - margin);
    let nx = (between(rng, fx0, fx1.max(fx0)) - x0) * scale;
    let ny = (between(rng, fy0, fy1.max(fy0)) - y0) * scale;
    let c = between(rng, contrast.0, contrast.1);
    (nx, ny, radius, c)
}

/// Adds a smooth dome (1 − (d/r)²)^1.5 of height `contrast` at (cx, cy) to a square
/// `side`×`side` image of values in [0, 1].
pub fn add_nodule(pixels: &mut [f64], side: usize, (cx, cy, radius, contrast): Nodule) {
    for (y, row) in pixels.chunks_exact_mut(side).enumerate() {
        for (x, v) in row.iter_mut().enumerate() {
            let d2 =
                ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)) / (radius * radius);
            if d2 < 1.0 {
                *v = (*v + contrast * (1.0 - d2).powf(1.5)).min(1.0);
            }
        }
    }
}

/// Applies a site's acquisition effects in order, each seeded from the run seed, the case
/// index and the effect's position.
pub fn apply_site_effects(
    mut image: Image,
    effects: &[Effect],
    seed: u64,
    case_index: usize,
) -> Result<Image, String> {
    for (k, (name, severity, overrides)) in effects.iter().enumerate() {
        let def = kind(name).map_err(|e| e.to_string())?;
        let mut params: Params = def.severity(*severity, None).map_err(|e| e.to_string())?;
        for (p, v) in overrides {
            params = params.with(p, *v).map_err(|e| e.to_string())?;
        }
        let effect_seed = derive_seed(seed, &[id_part("site-effect"), case_index as u64, k as u64]);
        image = perturb(&image, &params, effect_seed).map_err(|e| e.to_string())?;
    }
    Ok(image)
}

/// Writes `bytes` to a temporary sibling and renames it into place, so an interrupted run
/// never leaves a half-written file under the final name.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}
