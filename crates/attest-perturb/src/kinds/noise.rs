//! Noise kinds of ImageNet-C: gaussian_noise, shot_noise, impulse_noise, speckle_noise
//! (REFERENCE.md §2). Noise is drawn independently per channel and pixel, from one stream per
//! (plane, row), so rows run in parallel and the result does not depend on the thread count.
//!
//! Each kind has two severity tables: `imagecorruptions` (default, REFERENCE.md §0.2) and
//! `medmnistc` (the `chestmnist` config of medmnistc, REFERENCE.md §6.2; `pneumoniamnist` has
//! milder noise rows and is not included). The per-channel formulas of the two packages are
//! the same (§2, §6.3) and the table values keep their meaning (σ, photons, fraction). What
//! differs is how a gray image goes through them, and that is the second parameter of every
//! noise kind, `gray_as_rgb`:
//!
//! * 0 (`imagecorruptions` table): the gray plane is noised once — exactly the distribution of
//!   one channel of `imagecorruptions.corrupt()`'s output (§1.1).
//! * 1 (`medmnistc` table): medmnistc's chest pipeline (§6.1) — three RGB copies of the gray
//!   image are noised independently, each truncated to 8 bits (16-bit input: kept exact), and
//!   combined with PIL's luma weights (`convert('L')`). The result has ≈ 0.67 × the noise std of a single draw, and
//!   impulse hits become partial-intensity dots. This is what medmnistc's chest images are.
//!
//! RGB input is noised per channel in both modes (`gray_as_rgb` only concerns gray input).

use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::error::PerturbError;
use crate::image::Image;
use crate::ops::resize::LEVEL_F32;
use crate::params::{Family, KindDef, ParamDef, Params, SeverityTable};
use crate::planes::{truncate_level8, Planes};
use crate::random::{Rng, Seeds};

/// Applies `f(value, rng)` to every value, one random stream per (plane, row), and clips the
/// result to [0, 1] (as `np.clip(..., 0, 1)` in the reference).
pub(crate) fn per_pixel_random<F>(planes: &mut Planes, seeds: &Seeds, f: F)
where
    F: Fn(f32, &mut Rng) -> f32 + Sync,
{
    let width = planes.width;
    if width == 0 {
        return;
    }
    for (c, plane) in planes.planes.iter_mut().enumerate() {
        plane
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(row, values)| {
                let mut rng = seeds.row(c, row);
                for v in values {
                    *v = f(*v, &mut rng).clamp(0.0, 1.0);
                }
            });
    }
}

/// `f(row, rng)` for every row of every plane, with the row's stream (as
/// [`per_pixel_random`], which is this with a per-value closure): kinds whose per-value work
/// is a loop body written inline, rather than a closure called per value.
fn per_row_random<F>(planes: &mut Planes, seeds: &Seeds, f: F)
where
    F: Fn(&mut [f32], &mut Rng) + Sync,
{
    let width = planes.width;
    if width == 0 {
        return;
    }
    for (c, plane) in planes.planes.iter_mut().enumerate() {
        plane
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(row, values)| f(values, &mut seeds.row(c, row)));
    }
}

/// `*v = f(v, z).clamp(0, 1)` for every value, with `z` a standard normal deviate: the draws
/// and results of `per_pixel_random(planes, seeds, |x, rng| f(f64::from(x), rng.normal()))`,
/// but each row's deviates are drawn into a buffer first, so that the arithmetic runs as a
/// separate tight (vectorisable) loop.
pub(crate) fn per_pixel_normal<F>(planes: &mut Planes, seeds: &Seeds, f: F)
where
    F: Fn(f64, f64) -> f32 + Sync,
{
    let width = planes.width;
    if width == 0 {
        return;
    }
    for (c, plane) in planes.planes.iter_mut().enumerate() {
        plane.par_chunks_mut(width).enumerate().for_each_init(
            || vec![0.0f64; width],
            |normals, (row, values)| {
                let normals = &mut normals[..values.len()];
                seeds.row(c, row).fill_normal(normals);
                for (v, &z) in values.iter_mut().zip(normals.iter()) {
                    *v = f(f64::from(*v), z).clamp(0.0, 1.0);
                }
            },
        );
    }
}

/// medmnistc's chest pipeline for a gray plane (REFERENCE.md §6.1): `f` is applied three times
/// per pixel (R, G, B in that order from the row's stream, as NumPy fills channels), each
/// result clipped and truncated to a level of the input depth, and the three combined into
/// luma — PIL's `(19595 R + 38470 G + 7471 B + 0x8000) >> 16` on 8-bit input, the same
/// weights without rounding on 16-bit input.
fn gray_via_rgb_luma<F>(planes: &mut Planes, seeds: &Seeds, f: F)
where
    F: Fn(f32, &mut Rng) -> f32 + Sync,
{
    let eight_bit = planes.is_8bit();
    per_pixel_random(planes, seeds, |x, rng| {
        let mut channel = || f(x, rng).clamp(0.0, 1.0);
        let (r, g, b) = (channel(), channel(), channel());
        if eight_bit {
            pil_luma8(r, g, b)
        } else {
            luma_wide(r, g, b)
        }
    });
}

/// PIL's fixed-point luma weights for R, G, B (`libImaging/Convert.c`), summing to 2^16.
const LUMA_WEIGHTS: [u32; 3] = [19595, 38470, 7471];

/// `np.uint8(v * 255)` of a [0, 1] value, with the core's 1e-3 guard (`Planes::to_image`) so
/// that an exact level never loses one to `f32` rounding.
fn truncate8(v: f32) -> u32 {
    (f64::from(v) * 255.0 + 1e-3) as u32
}

/// 8-bit RGB values → PIL `convert('L')`, back on the [0, 1] scale.
fn pil_luma8(r: f32, g: f32, b: f32) -> f32 {
    let [wr, wg, wb] = LUMA_WEIGHTS;
    let sum = wr * truncate8(r) + wg * truncate8(g) + wb * truncate8(b) + 0x8000;
    (sum >> 16).min(255) as f32 / 255.0
}

/// [0, 1] RGB values → luma with PIL's weights, unrounded (16-bit input).
fn luma_wide(r: f32, g: f32, b: f32) -> f32 {
    let [wr, wg, wb] = LUMA_WEIGHTS.map(|w| f64::from(w) / 65536.0);
    (wr * f64::from(r) + wg * f64::from(g) + wb * f64::from(b)) as f32
}

/// Whether `gray_as_rgb` asks for medmnistc's gray-via-RGB pipeline and the input is gray.
fn via_rgb(planes: &Planes, params: &Params) -> Result<bool, PerturbError> {
    Ok(params.get("gray_as_rgb")? >= 0.5 && planes.planes.len() == 1)
}

/// Runs the noise function `f` in the mode `gray_as_rgb` asks for (module docs).
fn apply_noise<F>(
    planes: &mut Planes,
    params: &Params,
    seeds: &Seeds,
    f: F,
) -> Result<(), PerturbError>
where
    F: Fn(f32, &mut Rng) -> f32 + Sync,
{
    if via_rgb(planes, params)? {
        gray_via_rgb_luma(planes, seeds, f);
    } else {
        per_pixel_random(planes, seeds, f);
    }
    Ok(())
}

/// `gaussian_noise` (REFERENCE.md §2.1, medmnistc §6.3): `x + N(0, sigma²)`, clipped.
fn gaussian_noise(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let sigma = params.get("sigma")?;
    if !via_rgb(planes, params)? {
        per_pixel_normal(planes, seeds, move |x, z| (x + sigma * z) as f32);
        return Ok(());
    }
    apply_noise(planes, params, seeds, |x, rng| {
        (f64::from(x) + sigma * rng.normal()) as f32
    })
}

/// `shot_noise` (REFERENCE.md §2.2, medmnistc §6.3): `Poisson(x · photons) / photons`,
/// clipped — photon (quantum) noise of an exposure where full scale collects `photons` quanta,
/// so the variance at intensity x is x / photons.
///
/// 16-bit input: `photons` applies to the [0, 1] intensity exactly as for 8-bit (full scale =
/// `photons` quanta, whatever the bit depth), so the output only takes the values k / photons
/// and a table row means the same noise at every depth. For a physically scaled dose reduction
/// of a radiograph use the radiography kind `poisson_dose`.
fn shot_noise(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let photons = params.get("photons")?;
    let samplers = planes.is_8bit().then(|| LevelSamplers::shared(photons));
    if let (Some(table), false) = (&samplers, via_rgb(planes, params)?) {
        per_row_random(planes, seeds, |values, rng| {
            for v in values {
                *v = ((table.sample(*v, rng) / photons) as f32).clamp(0.0, 1.0);
            }
        });
        return Ok(());
    }
    apply_noise(planes, params, seeds, |x, rng| {
        let count = match &samplers {
            Some(table) => table.sample(x, rng),
            None => rng.poisson(f64::from(x) * photons),
        };
        (count / photons) as f32
    })
}

/// Poisson samplers for the 256 means `photons · v / 255` of 8-bit levels, so that shot noise
/// on 8-bit planes pays no `exp`/`log`/`sqrt` per pixel: an inverse-CDF table with a guide
/// table (one uniform, about two comparisons) for means up to [`TABLE_MAX_MEAN`], PTRS with
/// precomputed constants above. Same distribution as `Rng::poisson`, different draws.
///
/// The tables hold the CDF as integer thresholds on the 53 bits behind [`Rng::uniform`]
/// (`u = m / 2^53`): `thresholds[k] = ceil(cdf[k] · 2^53)`, so `cdf[k] ≤ u` exactly when
/// `thresholds[k] ≤ m` — the same draws as comparing floats, with no float work per pixel.
struct LevelSamplers {
    /// The sampler of each 8-bit level (256 entries).
    by_level: Vec<LevelSampler>,
    /// Concatenated CDFs of the tabled levels, as thresholds on `m` (above).
    thresholds: Vec<u64>,
    /// Concatenated guide tables, aligned with `thresholds`: a draw `m` falls in bucket
    /// `g = floor(m · len / 2^53)`, and `guide[g]` is the smallest k with
    /// `thresholds[k] > ceil(g · 2^53 / len)`, the smallest answer any draw of that bucket
    /// can have.
    guide: Vec<u32>,
    /// Quanta per full scale.
    photons: f64,
    /// The 8-bit output level of each count a table can draw (`shot_level8`), for the direct
    /// path.
    count_levels: Vec<u8>,
}

/// How many photon scales [`LevelSamplers::shared`] keeps (a spec's shot-noise tests use
/// one per severity and table: ten at most with the default tables).
const SHARED_SAMPLERS: usize = 16;

/// Means up to this are sampled from a table (at most ≈ 160 entries per level).
const TABLE_MAX_MEAN: f64 = 64.0;

/// 2^53: [`Rng::uniform`] is `m / 2^53` for the top 53 bits `m` of a draw.
const UNIFORM_SCALE: f64 = (1u64 << 53) as f64;

/// How one level is sampled.
#[derive(Debug, Clone, Copy)]
enum LevelSampler {
    /// Mean 0: always 0.
    Zero,
    /// Inverse CDF: `cdf[offset..offset + len]` and the guide table at the same place.
    Table { offset: usize, len: usize },
    /// Rejection sampling for large means.
    Ptrs(Ptrs),
}

impl LevelSamplers {
    /// The samplers for every 8-bit level at `photons` quanta per full scale.
    fn new(photons: f64) -> LevelSamplers {
        let mut table = LevelSamplers {
            by_level: Vec::with_capacity(256),
            thresholds: Vec::new(),
            guide: Vec::new(),
            photons,
            count_levels: Vec::new(),
        };
        for v in 0..=255u8 {
            let lambda = photons * f64::from(v) / 255.0;
            let sampler = if lambda <= 0.0 {
                LevelSampler::Zero
            } else if lambda <= TABLE_MAX_MEAN {
                table.push_cdf(lambda)
            } else {
                LevelSampler::Ptrs(Ptrs::new(lambda))
            };
            table.by_level.push(sampler);
        }
        let longest = table
            .by_level
            .iter()
            .map(|s| match s {
                LevelSampler::Table { len, .. } => *len,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        table.count_levels = (0..longest)
            .map(|k| shot_level8(k as f64, photons))
            .collect();
        table
    }

    /// The samplers for `photons`, built once per photon scale and shared: building them
    /// costs about a tenth of perturbing a 224² image.
    fn shared(photons: f64) -> Arc<LevelSamplers> {
        static SHARED: Mutex<Vec<(u64, Arc<LevelSamplers>)>> = Mutex::new(Vec::new());
        let key = photons.to_bits();
        // A poisoned lock only means another thread panicked while holding it; the list
        // itself is always whole, so it is used as it is.
        let mut shared = SHARED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, samplers)) = shared.iter().find(|(k, _)| *k == key) {
            return Arc::clone(samplers);
        }
        let samplers = Arc::new(LevelSamplers::new(photons));
        if shared.len() >= SHARED_SAMPLERS {
            shared.remove(0);
        }
        shared.push((key, Arc::clone(&samplers)));
        samplers
    }

    /// Appends the CDF of Poisson(`lambda`) (0 < λ ≤ [`TABLE_MAX_MEAN`]), cut where the
    /// remaining tail is below 1e-17 (its mass goes to the last entry), and its guide table.
    fn push_cdf(&mut self, lambda: f64) -> LevelSampler {
        let offset = self.thresholds.len();
        let mut cdf = Vec::new();
        let mut pmf = libm::exp(-lambda);
        let mut sum = 0.0;
        let mut k = 0.0;
        loop {
            sum += pmf;
            cdf.push(sum);
            k += 1.0;
            pmf *= lambda / k;
            if (k > lambda && pmf < 1e-17) || k > 1000.0 {
                break;
            }
        }
        // Rounding can carry the running sum a few ulps past 1 before the cut.
        for c in &mut cdf {
            *c = c.min(1.0);
        }
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        // `c · 2^53` is exact (a power-of-two scale of a normal f64 ≤ 1), so its ceiling is
        // the smallest `m` with `c ≤ m / 2^53`.
        self.thresholds
            .extend(cdf.iter().map(|&c| (c * UNIFORM_SCALE).ceil() as u64));
        let len = cdf.len();
        let thresholds = &self.thresholds[offset..];
        let mut k = 0;
        for g in 0..len as u64 {
            // The smallest draw of bucket g.
            let first = (g << 53).div_ceil(len as u64);
            while k + 1 < len && thresholds.get(k).is_some_and(|&t| t <= first) {
                k += 1;
            }
            self.guide.push(k as u32);
        }
        LevelSampler::Table { offset, len }
    }

    /// A Poisson count of mean `x · photons`; through the table when `x` is an exact 8-bit
    /// level (always, for planes made from 8-bit images), `Rng::poisson` otherwise.
    #[inline]
    fn sample(&self, x: f32, rng: &mut Rng) -> f64 {
        let level = (x.clamp(0.0, 1.0) * 255.0 + 0.5) as usize;
        match self.by_level.get(level) {
            // `LEVEL_F32[level]` is `level as f32 / 255`, without the division.
            Some(sampler) if LEVEL_F32.get(level) == Some(&x) => self.sample_level(*sampler, rng),
            _ => rng.poisson(f64::from(x) * self.photons),
        }
    }

    /// One draw from a level's sampler.
    #[inline]
    fn sample_level(&self, sampler: LevelSampler, rng: &mut Rng) -> f64 {
        match sampler {
            LevelSampler::Zero => 0.0,
            LevelSampler::Ptrs(p) => p.sample(rng),
            LevelSampler::Table { offset, len } => self.table_count(offset, len, rng) as f64,
        }
    }

    /// One draw from the tabled CDF at `offset..offset + len`: the smallest k with
    /// `cdf[k] > u` for `u` = [`Rng::uniform`] (0 if the range is not in the tables, which
    /// [`LevelSamplers::new`] never makes).
    #[inline(always)]
    fn table_count(&self, offset: usize, len: usize, rng: &mut Rng) -> usize {
        let Some(thresholds) = self.thresholds.get(offset..offset + len) else {
            return 0;
        };
        // The 53 bits `Rng::uniform` scales to [0, 1); `m · len` < 2^53 · 1002 < 2^64.
        let m = rng.next_u64() >> 11;
        let g = ((m * len as u64) >> 53) as usize;
        let mut k = self.guide.get(offset + g).map_or(0, |&k| k as usize);
        // Two branch-free steps (the guide leaves about one to go; a step at the answer does
        // not move, as `thresholds[k] > m` there), then the loop for the rest: the same k as
        // the plain loop, without its mispredicted exit.
        for _ in 0..2 {
            k += usize::from(thresholds.get(k).is_some_and(|&t| t <= m));
        }
        while thresholds.get(k).is_some_and(|&t| t <= m) {
            k += 1;
        }
        k
    }

    /// One draw for the 8-bit level `level`, returned as the output level the planes path
    /// makes of it (`shot_level8`): the same draws from `rng` as [`LevelSamplers::sample`]
    /// on `level / 255`.
    #[inline(always)]
    fn sample_level8(&self, level: u8, rng: &mut Rng) -> u8 {
        let count = match self.by_level.get(usize::from(level)) {
            None | Some(LevelSampler::Zero) => 0,
            Some(&LevelSampler::Table { offset, len }) => self.table_count(offset, len, rng),
            Some(LevelSampler::Ptrs(p)) => return shot_level8(p.sample(rng), self.photons),
        };
        self.count_levels
            .get(count)
            .copied()
            .unwrap_or_else(|| shot_level8(count as f64, self.photons))
    }
}

/// The 8-bit output level of `count` photons: what [`shot_noise`] writes into the plane
/// (`(count / photons) as f32`, clipped), truncated as [`Planes::to_image`] does.
fn shot_level8(count: f64, photons: f64) -> u8 {
    truncate_level8(((count / photons) as f32).clamp(0.0, 1.0))
}

/// shot_noise on 8-bit input without the f32 planes: each level's draw turned straight into
/// an output level, with the same streams, in the same order, as [`shot_noise`] (plane `c`,
/// row `y`: `seeds.row(c, y)`, left to right). Gives exactly what [`shot_noise`] gives
/// (`registry::tests`); `None` for medmnistc's gray-via-RGB mode, which takes the planes.
pub(crate) fn shot_noise_levels(
    image: &Image,
    params: &Params,
    seed: u64,
) -> Option<Result<Image, PerturbError>> {
    let samples = image.as_u8()?;
    let channels = image.pixel_type().channels();
    let (photons, gray_as_rgb) = match (params.get("photons"), params.get("gray_as_rgb")) {
        (Ok(p), Ok(g)) => (p, g),
        (Err(e), _) | (_, Err(e)) => return Some(Err(e)),
    };
    let (w, h) = (image.width(), image.height());
    if (gray_as_rgb >= 0.5 && channels == 1) || w == 0 || h == 0 {
        return None;
    }
    let samplers = LevelSamplers::shared(photons);
    let seeds = Seeds::new(seed);
    let mut out = vec![0u8; samples.len()];
    out.par_chunks_mut(w * channels)
        .zip(samples.par_chunks(w * channels))
        .enumerate()
        .for_each(|(y, (dst, src))| {
            for c in 0..channels {
                let mut rng = seeds.row(c, y);
                let pixels = dst
                    .chunks_exact_mut(channels)
                    .zip(src.chunks_exact(channels));
                for (d, s) in pixels {
                    d[c] = samplers.sample_level8(s[c], &mut rng);
                }
            }
        });
    Some(if channels == 1 {
        Image::gray8(w, h, out)
    } else {
        Image::rgb8(w, h, out)
    })
}

/// Hörmann's PTRS (1993) for one mean λ ≥ 10 with its constants precomputed — the algorithm
/// and arithmetic of `Rng::poisson` (`random.rs`) and NumPy's legacy `random_poisson_ptrs`.
#[derive(Debug, Clone, Copy)]
struct Ptrs {
    lambda: f64,
    loglam: f64,
    a: f64,
    b: f64,
    log_invalpha: f64,
    vr: f64,
}

impl Ptrs {
    /// The constants for mean `lambda` (≥ 10).
    fn new(lambda: f64) -> Ptrs {
        let slam = lambda.sqrt();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        Ptrs {
            lambda,
            loglam: libm::log(lambda),
            a,
            b,
            log_invalpha: libm::log(invalpha),
            vr: 0.9277 - 3.6224 / (b - 2.0),
        }
    }

    /// One deviate.
    fn sample(&self, rng: &mut Rng) -> f64 {
        let Ptrs {
            lambda,
            loglam,
            a,
            b,
            log_invalpha,
            vr,
        } = *self;
        loop {
            let u = rng.uniform() - 0.5;
            let v = rng.uniform();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if libm::log(v) + log_invalpha - libm::log(a / (us * us) + b)
                <= -lambda + k * loglam - libm::lgamma(k + 1.0)
            {
                return k;
            }
        }
    }
}

/// `impulse_noise` (REFERENCE.md §2.3, skimage `random_noise(mode='s&p', amount,
/// salt_vs_pepper = 0.5)`; medmnistc §6.3): each value is hit with probability `amount`; a hit
/// becomes 1 (salt) or 0 (pepper) with equal probability. skimage draws a "salted" uniform for
/// every value; drawing it only for hits gives the same distribution. A hit is `u < amount`
/// (skimage: `u <= amount`, which differs with probability 2⁻⁵³) so that amount 0 is exactly
/// the identity. With `gray_as_rgb` = 1 a gray pixel is hit with probability
/// 1 − (1 − amount)³ and moves only part of the way to black or white.
fn impulse_noise(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let amount = params.get("amount")?;
    if !via_rgb(planes, params)? {
        // `uniform() < p` ⇔ `(bits >> 11) · 2⁻⁵³ < p` ⇔ `bits >> 11 < ⌈p · 2⁵³⌉` (both
        // products are exact): integer comparisons, the same draws and decisions.
        let threshold = |p: f64| (p.clamp(0.0, 1.0) * TWO_53).ceil() as u64;
        let (hit, salt) = (threshold(amount), threshold(SALT_VS_PEPPER));
        per_row_random(planes, seeds, |values, rng| {
            for v in values {
                if rng.next_u64() >> 11 < hit {
                    *v = if rng.next_u64() >> 11 < salt {
                        1.0
                    } else {
                        0.0
                    };
                }
            }
        });
        return Ok(());
    }
    apply_noise(planes, params, seeds, |x, rng| {
        if rng.uniform() < amount {
            if rng.uniform() < SALT_VS_PEPPER {
                1.0
            } else {
                0.0
            }
        } else {
            x
        }
    })
}

/// 2^53, the resolution of [`Rng::uniform`].
const TWO_53: f64 = 9_007_199_254_740_992.0;

/// Probability that an impulse hit is salt (white) rather than pepper (black); skimage's
/// default, used by imagecorruptions and medmnistc.
const SALT_VS_PEPPER: f64 = 0.5;

/// `speckle_noise` (REFERENCE.md §2.4, medmnistc §6.3): `x + x · N(0, sigma²)`, clipped —
/// multiplicative noise whose std at intensity x is x · sigma (black stays black).
fn speckle_noise(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let sigma = params.get("sigma")?;
    if !via_rgb(planes, params)? {
        per_pixel_normal(planes, seeds, move |x, z| (x + x * sigma * z) as f32);
        return Ok(());
    }
    apply_noise(planes, params, seeds, |x, rng| {
        let x = f64::from(x);
        (x + x * sigma * rng.normal()) as f32
    })
}

/// The `gray_as_rgb` parameter shared by the four kinds (module docs).
const GRAY_AS_RGB: ParamDef = ParamDef {
    name: "gray_as_rgb",
    description: "gray input only: 0 = noise the gray plane once (imagecorruptions); 1 = noise \
                  three RGB copies and return their PIL luma, as medmnistc's chest pipeline \
                  (≈ 0.67 × the noise std) (0 or 1)",
    min: 0.0,
    max: 1.0,
};

const SIGMA: &[ParamDef] = &[
    ParamDef {
        name: "sigma",
        description: "standard deviation of the added noise, on [0, 1] intensities (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
    GRAY_AS_RGB,
];

const PHOTONS: &[ParamDef] = &[
    ParamDef {
        name: "photons",
        description: "quanta collected at full-scale intensity; the noise variance at intensity \
                      x is x / photons, so fewer photons means more noise (0.01 to 1e7)",
        min: 0.01,
        max: 1e7,
    },
    GRAY_AS_RGB,
];

const AMOUNT: &[ParamDef] = &[
    ParamDef {
        name: "amount",
        description: "fraction of values replaced, half by white (salt), half by black \
                      (pepper) (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
    GRAY_AS_RGB,
];

const SPECKLE_SIGMA: &[ParamDef] = &[
    ParamDef {
        name: "sigma",
        description: "standard deviation of the multiplicative noise: the noise std at \
                      intensity x is x · sigma (0 to 2)",
        min: 0.0,
        max: 2.0,
    },
    GRAY_AS_RGB,
];

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[
    KindDef {
        name: "gaussian_noise",
        family: Family::ImageNetC,
        summary: "additive Gaussian noise of standard deviation sigma on [0, 1] intensities",
        random: true,
        params: SIGMA,
        tables: &[
            SeverityTable {
                source: "imagecorruptions",
                rows: &[
                    &[0.08, 0.0],
                    &[0.12, 0.0],
                    &[0.18, 0.0],
                    &[0.26, 0.0],
                    &[0.38, 0.0],
                ],
            },
            SeverityTable {
                source: "medmnistc",
                rows: &[
                    &[0.04, 1.0],
                    &[0.08, 1.0],
                    &[0.12, 1.0],
                    &[0.18, 1.0],
                    &[0.26, 1.0],
                ],
            },
        ],
        apply: gaussian_noise,
    },
    KindDef {
        name: "shot_noise",
        family: Family::ImageNetC,
        summary: "Poisson (photon) noise: Poisson(x·photons)/photons on [0, 1] intensities, \
                  variance x/photons",
        random: true,
        params: PHOTONS,
        tables: &[
            SeverityTable {
                source: "imagecorruptions",
                rows: &[
                    &[60.0, 0.0],
                    &[25.0, 0.0],
                    &[12.0, 0.0],
                    &[5.0, 0.0],
                    &[3.0, 0.0],
                ],
            },
            SeverityTable {
                source: "medmnistc",
                rows: &[
                    &[60.0, 1.0],
                    &[25.0, 1.0],
                    &[18.0, 1.0],
                    &[10.0, 1.0],
                    &[5.0, 1.0],
                ],
            },
        ],
        apply: shot_noise,
    },
    KindDef {
        name: "impulse_noise",
        family: Family::ImageNetC,
        summary: "salt-and-pepper noise: a fraction amount of values set to white or black \
                  (even odds)",
        random: true,
        params: AMOUNT,
        tables: &[
            SeverityTable {
                source: "imagecorruptions",
                rows: &[
                    &[0.03, 0.0],
                    &[0.06, 0.0],
                    &[0.09, 0.0],
                    &[0.17, 0.0],
                    &[0.27, 0.0],
                ],
            },
            SeverityTable {
                source: "medmnistc",
                rows: &[
                    &[0.01, 1.0],
                    &[0.03, 1.0],
                    &[0.06, 1.0],
                    &[0.09, 1.0],
                    &[0.17, 1.0],
                ],
            },
        ],
        apply: impulse_noise,
    },
    KindDef {
        name: "speckle_noise",
        family: Family::ImageNetC,
        summary: "multiplicative Gaussian noise x + x·N(0, sigma²) on [0, 1] intensities",
        random: true,
        params: SPECKLE_SIGMA,
        tables: &[
            SeverityTable {
                source: "imagecorruptions",
                rows: &[
                    &[0.15, 0.0],
                    &[0.2, 0.0],
                    &[0.35, 0.0],
                    &[0.45, 0.0],
                    &[0.6, 0.0],
                ],
            },
            SeverityTable {
                source: "medmnistc",
                rows: &[
                    &[0.05, 1.0],
                    &[0.15, 1.0],
                    &[0.2, 1.0],
                    &[0.35, 1.0],
                    &[0.45, 1.0],
                ],
            },
        ],
        apply: speckle_noise,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Image, PixelType};
    use crate::registry::perturb;

    const NAMES: [&str; 4] = [
        "gaussian_noise",
        "shot_noise",
        "impulse_noise",
        "speckle_noise",
    ];

    fn def(name: &str) -> &'static KindDef {
        KINDS.iter().find(|k| k.name == name).unwrap()
    }

    fn params(name: &str, value: f64) -> Params {
        Params::new(def(name), vec![value, 0.0]).unwrap()
    }

    /// The REFERENCE.md §8 test pattern, at any size: a ramp with a quadratic texture.
    fn textured(width: usize, height: usize) -> Image {
        let samples = (0..height)
            .flat_map(|y| {
                (0..width).map(move |x| ((3 * x + 5 * y + (x * x + 2 * y * y) % 23) % 256) as u8)
            })
            .collect();
        Image::gray8(width, height, samples).unwrap()
    }

    fn flat(value: f32, width: usize, height: usize) -> Planes {
        Planes {
            width,
            height,
            planes: vec![vec![value; width * height]],
            pixel_type: PixelType::Gray16,
        }
    }

    /// Mean and variance of a plane.
    fn moments(values: &[f32]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var)
    }

    fn apply(name: &str, value: f64, planes: &mut Planes, seed: u64) {
        (def(name).apply)(planes, &params(name, value), &Seeds::new(seed)).unwrap();
    }

    #[test]
    fn every_kind_has_a_default_and_a_medmnistc_table_of_5_rows() {
        for name in NAMES {
            let kind = def(name);
            assert!(kind.random);
            assert_eq!(kind.tables.len(), 2, "{name}");
            assert_eq!(kind.tables[0].source, "imagecorruptions");
            assert_eq!(kind.tables[1].source, "medmnistc");
            for table in kind.tables {
                assert_eq!(table.rows.len(), 5);
                let gray_as_rgb = if table.source == "medmnistc" {
                    1.0
                } else {
                    0.0
                };
                assert!(table
                    .rows
                    .iter()
                    .all(|row| row.len() == 2 && row[1] == gray_as_rgb));
                for sev in 1..=5 {
                    kind.severity(sev, Some(table.source)).unwrap();
                }
            }
        }
    }

    #[test]
    fn size_and_pixel_type_are_preserved() {
        let gray = textured(37, 33);
        let gray16 = Image::gray16(5, 4, (0..20).map(|i| i * 3000).collect()).unwrap();
        let rgb = Image::rgb8(7, 3, (0..63).map(|i| (i * 4) as u8).collect()).unwrap();
        let tiny = Image::gray8(1, 1, vec![77]).unwrap();
        for name in NAMES {
            for image in [&gray, &gray16, &rgb, &tiny] {
                let out = perturb(image, &def(name).severity(3, None).unwrap(), 1).unwrap();
                assert_eq!(out.width(), image.width());
                assert_eq!(out.height(), image.height());
                assert_eq!(out.pixel_type(), image.pixel_type());
            }
        }
    }

    #[test]
    fn output_is_a_function_of_the_seed() {
        let image = textured(64, 48);
        for name in NAMES {
            let p = def(name).severity(2, None).unwrap();
            let a = perturb(&image, &p, 7).unwrap();
            assert_eq!(a, perturb(&image, &p, 7).unwrap(), "{name}");
            assert_ne!(a, perturb(&image, &p, 8).unwrap(), "{name}");
        }
    }

    #[test]
    fn output_does_not_depend_on_the_thread_count() {
        let image = textured(64, 48);
        for name in NAMES {
            let p = def(name).severity(4, None).unwrap();
            let run = |threads| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| perturb(&image, &p, 3).unwrap())
            };
            assert_eq!(run(1), run(4), "{name}");
        }
    }

    #[test]
    fn higher_severity_lowers_psnr_in_both_tables() {
        let image = textured(96, 96);
        for name in NAMES {
            for table in def(name).tables {
                let psnr: Vec<f64> = (1..=5)
                    .map(|sev| {
                        let p = def(name).severity(sev, Some(table.source)).unwrap();
                        perturb(&image, &p, 11).unwrap().psnr(&image).unwrap()
                    })
                    .collect();
                assert!(
                    psnr.windows(2).all(|w| w[1] < w[0]),
                    "{name} {}: {psnr:?}",
                    table.source
                );
            }
        }
    }

    #[test]
    fn zero_noise_is_the_identity() {
        let image = textured(40, 48);
        for (name, value) in [
            ("gaussian_noise", 0.0),
            ("impulse_noise", 0.0),
            ("speckle_noise", 0.0),
        ] {
            assert_eq!(
                perturb(&image, &params(name, value), 5).unwrap(),
                image,
                "{name}"
            );
        }
        let gray16 =
            Image::gray16(4, 2, vec![0, 1, 1000, 30000, 40000, 65534, 65535, 12345]).unwrap();
        assert_eq!(
            perturb(&gray16, &params("gaussian_noise", 0.0), 5).unwrap(),
            gray16
        );
    }

    #[test]
    fn gaussian_noise_std_is_sigma_away_from_clipping() {
        let mut planes = flat(0.5, 256, 256);
        apply("gaussian_noise", 0.05, &mut planes, 1);
        let (mean, var) = moments(&planes.planes[0]);
        assert!((mean - 0.5).abs() < 0.001, "{mean}");
        assert!((var.sqrt() / 0.05 - 1.0).abs() < 0.02, "{}", var.sqrt());
    }

    #[test]
    fn speckle_noise_std_is_x_times_sigma() {
        let mut planes = flat(0.4, 256, 256);
        apply("speckle_noise", 0.2, &mut planes, 2);
        let (mean, var) = moments(&planes.planes[0]);
        assert!((mean - 0.4).abs() < 0.001, "{mean}");
        assert!(
            (var.sqrt() / (0.4 * 0.2) - 1.0).abs() < 0.02,
            "{}",
            var.sqrt()
        );
        let mut black = flat(0.0, 16, 16);
        apply("speckle_noise", 0.6, &mut black, 2);
        assert!(black.planes[0].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn shot_noise_variance_is_x_over_photons() {
        // λ = x·photons = 30 (PTRS branch) and 5 (Knuth branch); clipping is negligible.
        for (x, photons) in [(0.5f32, 60.0), (0.2, 25.0)] {
            let mut planes = flat(x, 256, 256);
            apply("shot_noise", photons, &mut planes, 3);
            let (mean, var) = moments(&planes.planes[0]);
            let expected = f64::from(x) / photons;
            assert!((mean - f64::from(x)).abs() < 0.002, "{x}: mean {mean}");
            assert!(
                (var / expected - 1.0).abs() < 0.03,
                "{x}: var {var} vs {expected}"
            );
            // Values are whole photon counts divided by `photons`.
            assert!(planes.planes[0].iter().all(|&v| {
                let k = f64::from(v) * photons;
                (k - k.round()).abs() < 1e-4
            }));
        }
    }

    #[test]
    fn shot_noise_on_16_bit_uses_the_same_photon_scale() {
        let image = Image::gray16(64, 64, vec![32768; 64 * 64]).unwrap();
        let out = perturb(&image, &params("shot_noise", 10.0), 4).unwrap();
        let values = out.as_u16().unwrap();
        // Every output is a level of k / 10 (k photons), as on 8-bit input.
        assert!(values
            .iter()
            .all(|&v| (0..=10).any(|k| v == (f64::from(k) / 10.0 * 65535.0 + 1e-3) as u16)));
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| f64::from(v) / 65535.0).sum::<f64>() / n;
        let var = values
            .iter()
            .map(|&v| (f64::from(v) / 65535.0 - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!((var / (0.5 / 10.0) - 1.0).abs() < 0.08, "{var}");
    }

    #[test]
    fn impulse_noise_changes_amount_of_mid_gray_and_half_as_many_black_pixels() {
        let amount = 0.17;
        let mut gray = flat(0.5, 256, 256);
        apply("impulse_noise", amount, &mut gray, 5);
        let n = gray.pixels() as f64;
        let salt = gray.planes[0].iter().filter(|&&v| v == 1.0).count() as f64 / n;
        let pepper = gray.planes[0].iter().filter(|&&v| v == 0.0).count() as f64 / n;
        assert!(gray.planes[0]
            .iter()
            .all(|&v| v == 0.0 || v == 0.5 || v == 1.0));
        assert!(
            ((salt + pepper) / amount - 1.0).abs() < 0.03,
            "{salt} + {pepper}"
        );
        assert!(
            (salt / (salt + pepper) - 0.5).abs() < 0.02,
            "{salt} vs {pepper}"
        );
        // On black, only salt changes a pixel: amount · 0.5.
        let mut black = flat(0.0, 256, 256);
        apply("impulse_noise", amount, &mut black, 6);
        let changed = black.planes[0].iter().filter(|&&v| v != 0.0).count() as f64 / n;
        assert!((changed / (amount * 0.5) - 1.0).abs() < 0.04, "{changed}");
    }
    fn apply_rgb(name: &str, value: f64, planes: &mut Planes, seed: u64) {
        let p = Params::new(def(name), vec![value, 1.0]).unwrap();
        (def(name).apply)(planes, &p, &Seeds::new(seed)).unwrap();
    }

    /// sqrt(Σ w²) of PIL's luma weights: the noise std of the luma of three independent draws.
    fn luma_std_factor() -> f64 {
        LUMA_WEIGHTS
            .iter()
            .map(|&w| (f64::from(w) / 65536.0).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    #[test]
    fn gray_as_rgb_shrinks_gaussian_noise_to_the_luma_of_three_draws() {
        let mut planes = flat(0.5, 256, 256);
        apply_rgb("gaussian_noise", 0.05, &mut planes, 8);
        let (mean, var) = moments(&planes.planes[0]);
        assert!((mean - 0.5).abs() < 0.001, "{mean}");
        let expected = 0.05 * luma_std_factor();
        assert!(
            (var.sqrt() / expected - 1.0).abs() < 0.02,
            "{} vs {expected}",
            var.sqrt()
        );
    }

    #[test]
    fn gray_as_rgb_impulse_hits_any_of_three_channels_and_rarely_reaches_black() {
        let amount = 0.17;
        let mut planes = flat(128.0 / 255.0, 256, 256);
        planes.pixel_type = PixelType::Gray8;
        apply_rgb("impulse_noise", amount, &mut planes, 9);
        let n = planes.pixels() as f64;
        let changed = planes.planes[0]
            .iter()
            .filter(|&&v| v != 128.0 / 255.0)
            .count() as f64
            / n;
        let black = planes.planes[0].iter().filter(|&&v| v == 0.0).count() as f64 / n;
        let expected = 1.0 - (1.0f64 - amount).powi(3);
        assert!(
            (changed / expected - 1.0).abs() < 0.03,
            "{changed} vs {expected}"
        );
        // Black needs pepper in all three channels: (amount / 2)³ ≈ 0.06 %.
        assert!(black < 0.002, "{black}");
        // Every output is an 8-bit level (PIL's integer luma).
        assert!(planes.planes[0]
            .iter()
            .all(|&v| (v * 255.0 - (v * 255.0).round()).abs() < 1e-4));
    }

    #[test]
    fn gray_as_rgb_leaves_rgb_input_and_zero_noise_unchanged() {
        let rgb = Image::rgb8(7, 3, (0..63).map(|i| (i * 4) as u8).collect()).unwrap();
        let gray = textured(40, 48);
        for name in NAMES {
            let medmnistc = def(name).severity(3, Some("medmnistc")).unwrap();
            let plain = medmnistc.clone().with("gray_as_rgb", 0.0).unwrap();
            assert_eq!(
                perturb(&rgb, &medmnistc, 4).unwrap(),
                perturb(&rgb, &plain, 4).unwrap(),
                "{name}"
            );
        }
        for name in ["gaussian_noise", "impulse_noise", "speckle_noise"] {
            let p = Params::new(def(name), vec![0.0, 1.0]).unwrap();
            assert_eq!(perturb(&gray, &p, 4).unwrap(), gray, "{name}");
        }
    }

    /// The Poisson probability of k at mean λ.
    fn poisson_pmf(lambda: f64, k: u64) -> f64 {
        libm::exp(-lambda + k as f64 * libm::log(lambda) - libm::lgamma(k as f64 + 1.0))
    }

    #[test]
    fn level_samplers_follow_the_poisson_distribution() {
        // Table means (small, Knuth-range and up to 64) and PTRS means (above 64).
        for (photons, levels) in [(60.0, [1u8, 30, 128, 255]), (300.0, [10, 50, 200, 255])] {
            let samplers = LevelSamplers::new(photons);
            let mut rng = Rng::new(photons as u64);
            for v in levels {
                let x = f32::from(v) / 255.0;
                let lambda = photons * f64::from(v) / 255.0;
                let n = 40_000;
                let mut counts = std::collections::BTreeMap::<u64, f64>::new();
                for _ in 0..n {
                    *counts
                        .entry(samplers.sample(x, &mut rng) as u64)
                        .or_default() += 1.0;
                }
                let tv: f64 = (0..(lambda * 3.0 + 30.0) as u64)
                    .map(|k| {
                        (counts.get(&k).copied().unwrap_or(0.0) / n as f64 - poisson_pmf(lambda, k))
                            .abs()
                    })
                    .sum::<f64>()
                    / 2.0;
                assert!(
                    tv < 0.03,
                    "photons {photons} level {v}: total variation {tv}"
                );
                let mean = counts.iter().map(|(&k, &c)| k as f64 * c).sum::<f64>() / n as f64;
                assert!(
                    (mean - lambda).abs() < 0.03 * lambda.max(1.0),
                    "photons {photons} level {v}: mean {mean}"
                );
            }
        }
    }

    #[test]
    fn level_sampler_tables_are_proper_cdfs() {
        let samplers = LevelSamplers::new(TABLE_MAX_MEAN);
        for sampler in &samplers.by_level {
            if let LevelSampler::Table { offset, len } = *sampler {
                let thresholds = &samplers.thresholds[offset..offset + len];
                assert!(thresholds.windows(2).all(|w| w[0] <= w[1]));
                assert_eq!(thresholds[len - 1], 1 << 53);
                let guide = &samplers.guide[offset..offset + len];
                for (g, &k) in guide.iter().enumerate() {
                    let first = ((g as u64) << 53).div_ceil(len as u64);
                    let k = k as usize;
                    assert!(thresholds[k] > first && (k == 0 || thresholds[k - 1] <= first));
                    // `first` is in bucket g, and its predecessor is not.
                    assert_eq!(((first * len as u64) >> 53) as usize, g);
                    assert!(first == 0 || (((first - 1) * len as u64) >> 53) < g as u64);
                }
            }
        }
    }

    #[test]
    fn table_draws_are_the_inverse_cdf_of_the_uniform_draw() {
        let samplers = LevelSamplers::new(TABLE_MAX_MEAN);
        let mut rng = Rng::new(11);
        for sampler in &samplers.by_level {
            let LevelSampler::Table { offset, len } = *sampler else {
                continue;
            };
            let thresholds = &samplers.thresholds[offset..offset + len];
            for _ in 0..200 {
                let m = rng.clone().next_u64() >> 11;
                let k = samplers.table_count(offset, len, &mut rng);
                assert!(thresholds[k] > m && (k == 0 || thresholds[k - 1] <= m));
            }
        }
    }

    proptest::proptest! {
        /// The integer thresholds compare with a draw exactly as the float CDF values do
        /// with `Rng::uniform`.
        #[test]
        fn thresholds_compare_as_the_float_cdf(c in 1e-30f64..=1.0, m in 0u64..(1 << 53)) {
            let threshold = (c * UNIFORM_SCALE).ceil() as u64;
            let u = m as f64 * (1.0 / UNIFORM_SCALE);
            proptest::prop_assert_eq!(threshold <= m, c <= u);
            // And at the edges, where a draw lands on or next to the threshold.
            for m in [threshold.saturating_sub(1), threshold, threshold + 1] {
                let u = m as f64 * (1.0 / UNIFORM_SCALE);
                proptest::prop_assert_eq!(threshold <= m, c <= u);
            }
        }
    }

    #[test]
    fn planes_of_8_bit_images_hit_the_level_tables() {
        // `LevelSamplers::sample` takes the table path only for exact levels `v as f32 / 255`;
        // `Planes::from_image` must produce exactly those values.
        let image = Image::gray8(256, 1, (0..=255u8).collect()).unwrap();
        let planes = Planes::from_image(&image);
        for (v, &x) in planes.planes[0].iter().enumerate() {
            assert_eq!(x, v as f32 / 255.0, "level {v}");
        }
    }
}
