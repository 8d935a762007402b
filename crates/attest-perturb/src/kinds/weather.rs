//! Weather kinds of ImageNet-C: fog, snow, frost (synthesised texture), spatter
//! (REFERENCE.md §5.1–5.4, ported from `imagecorruptions` 1.1.2 `corruptions.py`).
//!
//! Every kind here is random. Draws come from per-row streams (`Seeds::row`) or from keyed
//! global streams (`Seeds::global`, one key per draw purpose and row), so a result is a pure
//! function of (image, parameters, seed) whatever the thread count. Grey input is processed on
//! its one plane; where the reference mixes colours (frost's texture, spatter's water and mud)
//! the grey path uses the luma (ITU-R 601) of the reference colour.

use std::sync::OnceLock;

use rayon::prelude::*;

use crate::error::PerturbError;
use crate::kinds::blur::motion_blur_plane;
use crate::ops::filter::{gaussian_filter, Border};
use crate::ops::zoom::clipped_zoom;
use crate::params::{Family, KindDef, ParamDef, Params, SeverityTable};
use crate::planes::Planes;
use crate::random::{Rng, Seeds};

// ---------------------------------------------------------------------------------------------
// Keys of global streams. Each purpose owns a block of 2^40 keys; the low bits carry a level,
// a draw number and a row, so no two draws of one kind share a stream.
// ---------------------------------------------------------------------------------------------

/// Fog's plasma-fractal draws.
const KEY_FOG: u64 = 1 << 40;

/// A global-stream key: `purpose` block, then `level` (bits 32..40), `draw` (bits 28..32) and
/// `row` (bits 0..28) — distinct for every (level, draw, row) a kind uses.
fn stream_key(purpose: u64, level: u64, draw: u64, row: usize) -> u64 {
    purpose | ((level & 0xff) << 32) | ((draw & 0xf) << 28) | (row as u64 & 0x0fff_ffff)
}

// ---------------------------------------------------------------------------------------------
// fog (REFERENCE.md §5.1)
// ---------------------------------------------------------------------------------------------

/// The smallest power of two ≥ `n` (imagecorruptions' `next_power_of_2`).
fn next_power_of_two(n: usize) -> usize {
    n.max(1).next_power_of_two()
}

/// Diamond-square plasma fractal on a `size × size` torus, normalised to [0, 1]
/// (imagecorruptions `plasma_fractal`). `size` must be a power of two. The noise added at
/// each level is `wibble · U(−wibble, wibble)`, `wibble` starting at 100 and divided by
/// `decay` per level.
///
/// The reference fills one array in place with strided slices; here each level works on the
/// compact grid of the points filled so far (`A[0::s, 0::s]`, n × n), computes its three new
/// n × n sets — centres `A[h::s, h::s]`, top edges `A[0::s, h::s]`, left edges `A[h::s, 0::s]`
/// — with the same sums in the same order, and interleaves them into the next grid (2n × 2n).
/// Each set's draws come from one stream per (level, set, row), rows in parallel.
fn plasma_fractal(size: usize, decay: f64, seeds: &Seeds) -> Vec<f64> {
    let mut grid = vec![0.0f64; 1];
    let mut n = 1;
    let mut wibble = 100.0f64;
    let mut level = 0u64;
    while n < size {
        let noise = Wibble {
            wibble,
            seeds,
            level,
        };
        // numpy: sq = c + roll(c, -1, 0); sq += roll(sq, -1, 1)
        let centres = noise.means(n, 0, |i, row| {
            let (c0, c1) = (grid_row(&grid, n, i), grid_row(&grid, n, wrap_next(i, n)));
            for (j, v) in row.iter_mut().enumerate() {
                let j1 = wrap_next(j, n);
                *v = (c0[j] + c1[j]) + (c0[j1] + c1[j1]);
            }
        });
        // numpy: ldrsum = dr + roll(dr, 1, 0); lulsum = ul + roll(ul, -1, 1)
        let tops = noise.means(n, 1, |i, row| {
            let (d0, d1) = (
                grid_row(&centres, n, i),
                grid_row(&centres, n, wrap_previous(i, n)),
            );
            let c0 = grid_row(&grid, n, i);
            for (j, v) in row.iter_mut().enumerate() {
                *v = (d0[j] + d1[j]) + (c0[j] + c0[wrap_next(j, n)]);
            }
        });
        // numpy: tdrsum = dr + roll(dr, 1, 1); tulsum = ul + roll(ul, -1, 0)
        let lefts = noise.means(n, 2, |i, row| {
            let d0 = grid_row(&centres, n, i);
            let (c0, c1) = (grid_row(&grid, n, i), grid_row(&grid, n, wrap_next(i, n)));
            for (j, v) in row.iter_mut().enumerate() {
                *v = (d0[j] + d0[wrap_previous(j, n)]) + (c0[j] + c1[j]);
            }
        });
        grid = interleave(n, [&grid, &tops, &lefts, &centres]);
        n *= 2;
        wibble /= decay;
        level += 1;
    }
    normalise_unit(&mut grid);
    grid
}

/// Row `i` of an n × n grid (empty if out of range, which the callers never ask for).
fn grid_row(grid: &[f64], n: usize, i: usize) -> &[f64] {
    grid.get(i * n..(i + 1) * n).unwrap_or(&[])
}

/// One level's noise of the plasma fractal.
struct Wibble<'a> {
    wibble: f64,
    seeds: &'a Seeds,
    level: u64,
}

impl Wibble<'_> {
    /// An n × n set: `base_row(i, row)` fills the sums of row `i`, then each value becomes
    /// `sum / 4 + wibble · U(−wibble, wibble)` from the stream of (level, `set`, row).
    fn means<F>(&self, n: usize, set: u64, base_row: F) -> Vec<f64>
    where
        F: Fn(usize, &mut [f64]) + Sync,
    {
        let mut out = vec![0.0f64; n * n];
        out.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            base_row(i, row);
            let mut rng = self.seeds.global(stream_key(KEY_FOG, self.level, set, i));
            for v in row.iter_mut() {
                *v = *v / 4.0 + self.wibble * rng.uniform_in(-self.wibble, self.wibble);
            }
        });
        out
    }
}

/// The 2n × 2n grid of the next level from this level's n × n corners, top edges, left edges
/// and centres: row 2i alternates corner/top, row 2i + 1 alternates left/centre.
fn interleave(n: usize, [corners, tops, lefts, centres]: [&[f64]; 4]) -> Vec<f64> {
    let mut next = vec![0.0f64; 4 * n * n];
    next.par_chunks_mut(2 * n).enumerate().for_each(|(r, row)| {
        let i = r / 2;
        let (even, odd) = if r % 2 == 0 {
            (corners, tops)
        } else {
            (lefts, centres)
        };
        let (even, odd) = (grid_row(even, n, i), grid_row(odd, n, i));
        for ((pair, &e), &o) in row.chunks_exact_mut(2).zip(even).zip(odd) {
            pair[0] = e;
            pair[1] = o;
        }
    });
    next
}

/// `i + 1` on a ring of `n` (i < n), without a division.
fn wrap_next(i: usize, n: usize) -> usize {
    if i + 1 >= n {
        0
    } else {
        i + 1
    }
}

/// `i − 1` on a ring of `n` (i < n), without a division.
fn wrap_previous(i: usize, n: usize) -> usize {
    if i == 0 {
        n - 1
    } else {
        i - 1
    }
}

/// Shifts and scales `values` to [0, 1] (`A -= A.min(); A /= A.max()`); a constant array
/// becomes all zeros.
fn normalise_unit(values: &mut [f64]) {
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (if v < lo { v } else { lo }, if v > hi { v } else { hi })
        });
    let range = max - min;
    for v in values.iter_mut() {
        *v = if range > 0.0 { (*v - min) / range } else { 0.0 };
    }
}

/// fog: `x + strength · plasma[:H, :W]`, rescaled by `max(x) / (max(x) + strength)`.
fn fog(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let strength = params.get("strength")?;
    let decay = params.get("wibble_decay")?;
    let (width, height) = (planes.width, planes.height);
    // imagecorruptions takes the max over the (H, W, 3) shape, hence the 3.
    let size = next_power_of_two(width.max(height).max(3));
    let map = plasma_fractal(size, decay, seeds);
    let max_val = planes
        .planes
        .iter()
        .flatten()
        .fold(0.0f32, |m, &v| if v > m { v } else { m });
    let denominator = f64::from(max_val) + strength;
    if denominator <= 0.0 {
        return Ok(()); // black image and no fog: nothing to add or rescale
    }
    // `(x + strength · fog) · max / (max + strength)`, in f32 with the fog layer and the ratio
    // computed once (a few f32 ulps from the reference's f64, far below a grey level).
    let scale = (f64::from(max_val) / denominator) as f32;
    let layer: Vec<f32> = map
        .chunks_exact(size)
        .take(height)
        .flat_map(|row| row[..width].iter().map(|&f| (strength * f) as f32))
        .collect();
    for plane in &mut planes.planes {
        plane
            .par_chunks_mut(width)
            .zip(layer.par_chunks(width))
            .for_each(|(row, fog)| {
                for (v, &f) in row.iter_mut().zip(fog) {
                    *v = ((*v + f) * scale).clamp(0.0, 1.0);
                }
            });
    }
    Ok(())
}

const FOG_PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "strength",
        description: "weight of the plasma-fractal fog added to [0, 1] intensities before rescaling (0 = none; 0 to 10)",
        min: 0.0,
        max: 10.0,
    },
    ParamDef {
        name: "wibble_decay",
        description: "factor dividing the fractal's noise amplitude per octave; lower = rougher, patchier fog (1 to 10)",
        min: 1.0,
        max: 10.0,
    },
];

// ---------------------------------------------------------------------------------------------
// frost (REFERENCE.md §5.2) — synthesised texture
// ---------------------------------------------------------------------------------------------

/// Frost's texture draws.
const KEY_FROST: u64 = 2 << 40;

/// One frost look, imitating one of the photographs `imagecorruptions` bundles (REFERENCE.md
/// §5.2 measures them). Lengths are in pixels of the photograph after the reference's 1.1×
/// resize; they grow with the image when it is larger than the photograph, as the reference's
/// up-scaling does.
#[derive(Debug, Clone, Copy)]
struct FrostStyle {
    /// Target luma mean and standard deviation of the texture (0–255).
    mean: f64,
    std: f64,
    /// Mean colour (R, G, B, 0–255); a texture value `F` becomes `F · rgb / luma(rgb)`.
    rgb: [f64; 3],
    /// Height and width of the imitated photograph (decides the up-scaling of big images).
    size: (f64, f64),
    /// Lattice spacing of the background's coarsest octave (px).
    background_length: f64,
    /// Lattice spacing of the background's finest octave (px).
    background_finest: f64,
    /// Radial power-spectrum slope of the background (octave amplitudes ∝ spacing^((β−2)/2)).
    background_slope: f64,
    /// Weight of ridged noise (thin bright wrinkles of crumpled ice), relative to the
    /// background's.
    ridges: f64,
    /// Crystals per 10 000 px² (0 = none).
    crystal_density: f64,
    /// Range of a crystal arm's length (px).
    arm_length: (f64, f64),
    /// Range of arms per crystal (1 = a feather, 4–6 = a star).
    arms: (u64, u64),
    /// Weight of the crystal layer relative to the background's.
    crystal_weight: f64,
    /// How strongly crystals gather where the background is bright (0 = uniformly spread).
    clustering: f64,
}

/// The five looks the reference draws uniformly (`frost1`–`frost5`; the second and third
/// photographs are pixel-identical, so the white look has probability 0.4).
const FROST_STYLES: [FrostStyle; 5] = [
    // frost1: blue-teal crumpled ice sheet, large soft blotches with fine bright wrinkles.
    FrostStyle {
        mean: 130.0,
        std: 18.0,
        rgb: [78.0, 149.0, 166.0],
        size: (600.0, 900.0),
        background_length: 256.0,
        background_finest: 8.0,
        background_slope: 2.6,
        ridges: 0.55,
        crystal_density: 0.0,
        arm_length: (0.0, 0.0),
        arms: (1, 1),
        crystal_weight: 0.0,
        clustering: 0.0,
    },
    // frost2 and frost3: white feathery crystals, dense overlapping needles.
    WHITE_FEATHERS,
    WHITE_FEATHERS,
    // frost4: grey window frost, fern/star crystals of 10–40 px on a smooth pane.
    FrostStyle {
        mean: 150.0,
        std: 28.0,
        rgb: [138.0, 153.0, 165.0],
        size: (350.0, 527.0),
        background_length: 64.0,
        background_finest: 6.0,
        background_slope: 2.6,
        ridges: 0.0,
        crystal_density: 45.0,
        arm_length: (5.0, 20.0),
        arms: (4, 6),
        crystal_weight: 1.3,
        clustering: 0.3,
    },
    // frost5: dark blue-grey fern frost, high-contrast bright branching needles in clusters.
    FrostStyle {
        mean: 121.0,
        std: 43.0,
        rgb: [112.0, 123.0, 135.0],
        size: (495.0, 660.0),
        background_length: 96.0,
        background_finest: 6.0,
        background_slope: 2.6,
        ridges: 0.0,
        crystal_density: 16.0,
        arm_length: (20.0, 70.0),
        arms: (1, 2),
        crystal_weight: 1.4,
        clustering: 0.8,
    },
];

/// frost2/frost3: white feathery crystals, dense overlapping needles, very bright.
const WHITE_FEATHERS: FrostStyle = FrostStyle {
    mean: 205.0,
    std: 22.0,
    rgb: [201.0, 205.0, 215.0],
    size: (315.0, 560.0),
    background_length: 64.0,
    background_finest: 6.0,
    background_slope: 2.6,
    ridges: 0.0,
    crystal_density: 60.0,
    arm_length: (15.0, 45.0),
    arms: (1, 3),
    crystal_weight: 1.0,
    clustering: 0.2,
};

/// How much bigger than the photograph's the texture's features are: the reference up-scales
/// a photograph smaller than the image to cover it (REFERENCE.md §5.2), else keeps its scale.
fn feature_scale(width: usize, height: usize, style: &FrostStyle) -> f64 {
    let (fh, fw) = style.size;
    (height as f64 / fh).max(width as f64 / fw).max(1.0)
}

/// A lattice of random values in [−1, 1] every `spacing` px, randomly offset, read with
/// smooth-step interpolation (value noise: one octave of a fractal).
struct Lattice {
    cols: usize,
    rows: usize,
    spacing: f64,
    offset: (f64, f64),
    values: Vec<f32>,
}

impl Lattice {
    /// A lattice covering `width × height` px; one stream per lattice row (`level` keys it).
    fn new(width: usize, height: usize, spacing: f64, seeds: &Seeds, level: u64) -> Lattice {
        let spacing = spacing.max(1.0);
        let cols = (width as f64 / spacing) as usize + 3;
        let rows = (height as f64 / spacing) as usize + 3;
        let mut rng = seeds.global(stream_key(KEY_FROST, level, 1, 0));
        let offset = (rng.uniform(), rng.uniform());
        let mut values = vec![0.0f32; cols * rows];
        values
            .par_chunks_mut(cols)
            .enumerate()
            .for_each(|(r, row)| {
                let mut rng = seeds.global(stream_key(KEY_FROST, level, 0, r));
                for v in row {
                    *v = rng.uniform_in(-1.0, 1.0) as f32;
                }
            });
        Lattice {
            cols,
            rows,
            spacing,
            offset,
            values,
        }
    }

    /// Interpolation cell and smooth-step weight along one axis.
    fn cell(&self, coordinate: usize, offset: f64, cells: usize) -> (usize, f32) {
        let u = coordinate as f64 / self.spacing + offset;
        let i = (u as usize).min(cells.saturating_sub(2));
        let f = (u - i as f64).clamp(0.0, 1.0) as f32;
        (i, f * f * (3.0 - 2.0 * f))
    }

    /// The interpolation cells of columns `0..width` (the same for every row).
    fn columns(&self, width: usize) -> Vec<(usize, f32)> {
        (0..width)
            .map(|x| self.cell(x, self.offset.0, self.cols))
            .collect()
    }

    /// Adds `amplitude · transform(noise)` to row `y` of a field; `columns` from
    /// [`Lattice::columns`].
    fn add_row(
        &self,
        y: usize,
        row: &mut [f32],
        columns: &[(usize, f32)],
        amplitude: f32,
        transform: impl Fn(f32) -> f32,
    ) {
        let (i, fy) = self.cell(y, self.offset.1, self.rows);
        let (top, bottom) = (
            &self.values[i * self.cols..],
            &self.values[(i + 1) * self.cols..],
        );
        for (v, &(j, fx)) in row.iter_mut().zip(columns) {
            let t = top[j] + (top[j + 1] - top[j]) * fx;
            let b = bottom[j] + (bottom[j + 1] - bottom[j]) * fx;
            *v += amplitude * transform(t + (b - t) * fy);
        }
    }
}

/// Fractal value noise: octaves of spacing `coarsest`, /2, … down to `finest`, amplitudes
/// ∝ spacing^((β − 2)/2) for a radial power spectrum ∝ f^−β; `transform` shapes each octave
/// (identity, or a ridge function for wrinkles). Standardised to mean 0, std 1.
fn fractal_noise(
    (width, height): (usize, usize),
    (coarsest, finest): (f64, f64),
    slope: f64,
    (seeds, first_level): (&Seeds, u64),
    transform: impl Fn(f32) -> f32 + Sync + Copy,
) -> Vec<f32> {
    let mut field = vec![0.0f32; width * height];
    let mut spacing = coarsest;
    let mut level = first_level;
    while spacing >= finest && level < first_level + 12 {
        let lattice = Lattice::new(width, height, spacing, seeds, level);
        let amplitude = libm::pow(spacing / coarsest, (slope - 2.0) / 2.0) as f32;
        let columns = lattice.columns(width);
        field
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(y, row)| {
                lattice.add_row(y, row, &columns, amplitude, transform);
            });
        spacing /= 2.0;
        level += 1;
    }
    standardise(&mut field);
    field
}

/// The relief of a height field lit from the top left: the sum of its central differences
/// along x and y (borders clamped), as an emboss filter shades a surface.
fn relief(field: &[f32], width: usize, height: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; field.len()];
    out.par_chunks_mut(width).enumerate().for_each(|(y, row)| {
        let (up, down) = (y.saturating_sub(1), (y + 1).min(height - 1));
        for (x, v) in row.iter_mut().enumerate() {
            let (left, right) = (x.saturating_sub(1), (x + 1).min(width - 1));
            *v = field[y * width + right] - field[y * width + left] + field[down * width + x]
                - field[up * width + x];
        }
    });
    out
}

/// Shifts and scales `values` to mean 0 and standard deviation 1 (a constant field becomes 0).
fn standardise(values: &mut [f32]) {
    let (mean, std) = moments(values);
    let inverse = if std > 0.0 { 1.0 / std } else { 0.0 };
    values
        .par_iter_mut()
        .for_each(|v| *v = ((f64::from(*v) - mean) * inverse) as f32);
}

/// Mean and (population) standard deviation.
fn moments(values: &[f32]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = values
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}

/// A layer being drawn into: `width × height` values, strokes composited by maximum (so the
/// order of strokes does not matter).
struct Canvas {
    width: usize,
    height: usize,
    values: Vec<f32>,
}

impl Canvas {
    /// Draws an anti-aliased segment from `a` to `b` of half-width `half` px and brightness
    /// `level`: one pass along the major axis, covering across it the pixels within `half`
    /// (+ half a pixel of linear fall-off) of the line, so the cost is proportional to the
    /// length (a thick Xiaolin Wu line without end caps).
    fn segment(&mut self, a: (f64, f64), b: (f64, f64), half: f64, level: f64) {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length = (dx * dx + dy * dy).sqrt();
        if length < 1e-9 {
            return;
        }
        if dx.abs() >= dy.abs() {
            let cos = dx.abs() / length;
            self.sweep(a, b, dy / dx, (half, cos, level), false);
        } else {
            let cos = dy.abs() / length;
            self.sweep((a.1, a.0), (b.1, b.0), dx / dy, (half, cos, level), true);
        }
    }

    /// The pass of [`Canvas::segment`] along the major axis (`transposed`: the major axis is
    /// y); `slope` is d(minor)/d(major), `cos` the cosine between the segment and the axis.
    fn sweep(
        &mut self,
        a: (f64, f64),
        b: (f64, f64),
        slope: f64,
        (half, cos, level): (f64, f64, f64),
        transposed: bool,
    ) {
        let (major_len, minor_len) = if transposed {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        };
        let reach = (half + 0.5) / cos;
        for major in pixel_range(a.0.min(b.0), a.0.max(b.0), major_len) {
            let centre = a.1 + (major as f64 - a.0) * slope;
            for minor in pixel_range(centre - reach, centre + reach, minor_len) {
                let coverage = (half + 0.5 - (minor as f64 - centre).abs() * cos).clamp(0.0, 1.0);
                let i = if transposed {
                    major * self.width + minor
                } else {
                    minor * self.width + major
                };
                if let Some(v) = self.values.get_mut(i) {
                    *v = v.max((level * coverage) as f32);
                }
            }
        }
    }
}

/// The pixel indices `⌈lo⌉..=⌊hi⌋` within `0..n` (empty when the interval misses them),
/// without calling `floor`/`ceil` (library calls on baseline x86-64).
fn pixel_range(lo: f64, hi: f64, n: usize) -> std::ops::Range<usize> {
    if hi.is_nan() || lo.is_nan() || hi < 0.0 || n == 0 {
        return 0..0;
    }
    let (lo, hi) = (lo.max(0.0), hi.min(n as f64 - 1.0));
    let first = lo as usize;
    let first = if (first as f64) < lo {
        first + 1
    } else {
        first
    };
    let last = hi as usize; // truncation = floor for non-negative values
    if first > last {
        0..0
    } else {
        first..last + 1
    }
}

/// Draws one feather: a slightly bending stem of `length` px from `start` along `angle`,
/// with needles on both sides pointing forward, shorter toward the tip (a fern-like dendrite).
fn draw_feather(
    canvas: &mut Canvas,
    (start, angle, length): ((f64, f64), f64, f64),
    (k, level): (f64, f64),
    rng: &mut Rng,
) {
    const PIECES: usize = 4;
    let piece = length / PIECES as f64;
    let spacing = 2.5 * k;
    let needle_ratio = rng.uniform_in(0.25, 0.45);
    let (mut position, mut direction) = (start, angle);
    let mut travelled = 0.0;
    for _ in 0..PIECES {
        direction += rng.uniform_in(-0.15, 0.15);
        let (c, s) = (libm::cos(direction), libm::sin(direction));
        let end = (position.0 + piece * c, position.1 + piece * s);
        canvas.segment(position, end, 0.55 * k, level);
        let mut along = rng.uniform_in(0.0, spacing);
        while along < piece {
            let remaining = 1.0 - (travelled + along) / length;
            let root = (position.0 + along * c, position.1 + along * s);
            for side in [-1.0, 1.0] {
                let spread = side * rng.uniform_in(0.6, 1.0);
                let needle = length * needle_ratio * remaining * rng.uniform_in(0.5, 1.0);
                let (nc, ns) = (libm::cos(direction + spread), libm::sin(direction + spread));
                let tip = (root.0 + needle * nc, root.1 + needle * ns);
                canvas.segment(root, tip, 0.4 * k, level * rng.uniform_in(0.45, 0.95));
            }
            along += spacing * rng.uniform_in(0.7, 1.3);
        }
        position = end;
        travelled += piece;
    }
}

/// The crystal layer: feathers and stars scattered over (and just beyond) the image, each from
/// its own stream, gathering where `background` is bright by `style.clustering`.
fn crystal_layer(
    width: usize,
    height: usize,
    style: &FrostStyle,
    k: f64,
    background: &[f32],
    seeds: &Seeds,
) -> Vec<f32> {
    let mut canvas = Canvas {
        width,
        height,
        values: vec![0.0f32; width * height],
    };
    let margin = style.arm_length.1 * k;
    let (span_x, span_y) = (width as f64 + 2.0 * margin, height as f64 + 2.0 * margin);
    let candidates =
        (style.crystal_density * span_x * span_y / (k * k * 10_000.0)).round() as usize;
    for index in 0..candidates {
        let mut rng = seeds.global(stream_key(KEY_FROST, 0, 2, index));
        let centre = (
            rng.uniform_in(-margin, width as f64 + margin),
            rng.uniform_in(-margin, height as f64 + margin),
        );
        let cx = (centre.0.max(0.0) as usize).min(width - 1);
        let cy = (centre.1.max(0.0) as usize).min(height - 1);
        let brightness = f64::from(background[cy * width + cx]);
        if rng.uniform() > (0.5 + 0.5 * style.clustering * brightness).clamp(0.05, 1.0) {
            continue;
        }
        let arms = style.arms.0 + rng.below(style.arms.1 - style.arms.0 + 1);
        let base = rng.uniform_in(0.0, std::f64::consts::TAU);
        let level = rng.uniform_in(0.35, 1.0);
        for arm in 0..arms {
            let angle =
                base + std::f64::consts::TAU * arm as f64 / arms as f64 + rng.uniform_in(-0.3, 0.3);
            let length = rng.uniform_in(style.arm_length.0, style.arm_length.1) * k;
            draw_feather(&mut canvas, (centre, angle, length), (k, level), &mut rng);
        }
    }
    canvas.values
}

/// Seed of the master textures (fixed: like the reference's photographs, they are the same in
/// every run).
const FROST_MASTER_SEED: u64 = 0x6672_6f73_7431; // "frost1"

/// Which master texture each style uses (the second and third photographs are identical).
const FROST_MASTER_OF: [usize; 5] = [0, 1, 1, 3, 4];

/// The master textures, made on first use (deterministically, from [`FROST_MASTER_SEED`]).
static FROST_MASTERS: [OnceLock<Vec<f32>>; 5] = [const { OnceLock::new() }; 5];

/// Size (width, height) of a style's master texture: its photograph after the reference's
/// 1.1× resize.
fn master_size(style: &FrostStyle) -> (usize, usize) {
    let (fh, fw) = style.size;
    ((fw * 1.1).ceil() as usize, (fh * 1.1).ceil() as usize)
}

/// The synthetic frost texture: luma in [0, 255], `width × height` (both ≥ 1), imitating the
/// reference's crop of a bundled photograph. A style is drawn uniformly from
/// [`FROST_STYLES`]. An image that fits in the style's photograph gets a random crop of the
/// style's master texture — a fixed synthetic "photograph" made once per process, as the
/// reference crops its fixed files (and as fast). A larger image gets a texture synthesised
/// at its size with features scaled up as the reference scales the photograph up.
fn frost_texture(width: usize, height: usize, seeds: &Seeds) -> (Vec<f32>, &'static FrostStyle) {
    let index = seeds.global(stream_key(KEY_FROST, 0, 0, 0)).below(5) as usize;
    let style = &FROST_STYLES[index];
    let (mw, mh) = master_size(style);
    if width > mw || height > mh {
        let k = feature_scale(width, height, style);
        return (
            styled_frost_texture((width, height), style, k, seeds),
            style,
        );
    }
    let master = FROST_MASTERS[FROST_MASTER_OF[index]]
        .get_or_init(|| styled_frost_texture((mw, mh), style, 1.0, &Seeds::new(FROST_MASTER_SEED)));
    let mut rng = seeds.global(stream_key(KEY_FROST, 0, 3, 0));
    let y0 = rng.below((mh - height + 1) as u64) as usize;
    let x0 = rng.below((mw - width + 1) as u64) as usize;
    let mut crop = Vec::with_capacity(width * height);
    for row in master.chunks_exact(mw).skip(y0).take(height) {
        crop.extend_from_slice(&row[x0..x0 + width]);
    }
    (crop, style)
}

/// The frost texture of one style at feature scale `k` (see [`frost_texture`]).
fn styled_frost_texture(
    (width, height): (usize, usize),
    style: &FrostStyle,
    k: f64,
    seeds: &Seeds,
) -> Vec<f32> {
    let size = (width, height);
    let mut field = fractal_noise(
        size,
        (style.background_length * k, style.background_finest * k),
        style.background_slope,
        (seeds, 1),
        |v| v,
    );
    let mut layers: Vec<(f32, Vec<f32>)> = Vec::new();
    if style.ridges > 0.0 {
        // A rough height field lit from the top left: the crinkled relief of a crumpled ice
        // sheet.
        let height_field = fractal_noise(size, (32.0 * k, 2.0 * k), 2.6, (seeds, 16), |v| v);
        let mut ridged = relief(&height_field, width, height);
        standardise(&mut ridged);
        layers.push((style.ridges as f32, ridged));
    }
    if style.crystal_density > 0.0 {
        let mut crystals = crystal_layer(width, height, style, k, &field, seeds);
        standardise(&mut crystals);
        layers.push((style.crystal_weight as f32, crystals));
    }
    for (weight, layer) in &layers {
        field
            .par_iter_mut()
            .zip(layer)
            .for_each(|(v, &l)| *v += weight * l);
    }
    let (mean, std) = moments(&field);
    let gain = if std > 0.0 { style.std / std } else { 0.0 };
    field
        .par_iter_mut()
        .for_each(|v| *v = (style.mean + (f64::from(*v) - mean) * gain).clamp(0.0, 255.0) as f32);
    field
}

/// frost: `image_weight · x + frost_weight · texture` on [0, 1] intensities, the texture
/// synthesised (see [`frost_texture`]); RGB gets the style's colour, grey its luma.
fn frost(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let a = params.get("image_weight")?;
    let b = params.get("frost_weight")?;
    let (width, height) = (planes.width, planes.height);
    if width == 0 || height == 0 {
        return Ok(());
    }
    let (texture, style) = frost_texture(width, height, seeds);
    let [r, g, bl] = style.rgb;
    let luma = 0.299 * r + 0.587 * g + 0.114 * bl;
    let tints: Vec<f64> = if planes.planes.len() == 3 {
        style.rgb.iter().map(|c| c / luma).collect()
    } else {
        vec![1.0]
    };
    for (plane, tint) in planes.planes.iter_mut().zip(tints) {
        plane.par_iter_mut().zip(&texture).for_each(|(v, &f)| {
            let frost = (f64::from(f) * tint).min(255.0) / 255.0;
            *v = (a * f64::from(*v) + b * frost).clamp(0.0, 1.0) as f32;
        });
    }
    Ok(())
}

const FROST_PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "image_weight",
        description: "weight of the image in the blend (1 = unchanged; 0 to 2)",
        min: 0.0,
        max: 2.0,
    },
    ParamDef {
        name: "frost_weight",
        description: "weight of the synthetic frost texture added to the image (0 = none; 0 to 2)",
        min: 0.0,
        max: 2.0,
    },
];

// ---------------------------------------------------------------------------------------------
// Shared by snow and spatter
// ---------------------------------------------------------------------------------------------

/// A `width × height` field of `N(mean, std)` draws, one stream per row (`Seeds::row(0, r)`):
/// the reference's `np.random.normal(size=(H, W), loc, scale)`.
fn normal_field(width: usize, height: usize, mean: f64, std: f64, seeds: &Seeds) -> Vec<f32> {
    let mut field = vec![0.0f32; width * height];
    field
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(r, row)| {
            let mut rng = seeds.row(0, r);
            for v in row {
                *v = (mean + std * rng.normal()) as f32;
            }
        });
    field
}

/// `x` rounded to the nearest integer, ties to even (NumPy's `np.round`), for 0 ≤ x < 2²²:
/// adding and subtracting 2²³ rounds in the FPU's default mode, without the library call
/// `round_ties_even` makes on baseline x86-64.
fn round_half_even(x: f32) -> f32 {
    const SHIFT: f32 = 8_388_608.0; // 2^23
    (x + SHIFT) - SHIFT
}

/// The luma (ITU-R 601) of an RGB colour: what a grey image gets where the reference adds or
/// blends a colour (REFERENCE.md §1.1).
fn luma_of(rgb: [f32; 3]) -> f32 {
    0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
}

/// Per plane, the colour to use: the RGB components for RGB planes, their luma for grey.
fn colour_per_plane(planes: &Planes, rgb: [f32; 3]) -> Vec<f32> {
    if planes.planes.len() == 3 {
        rgb.to_vec()
    } else {
        vec![luma_of(rgb); planes.planes.len()]
    }
}

// ---------------------------------------------------------------------------------------------
// spatter (REFERENCE.md §5.4) and the OpenCV steps of its water mode
// ---------------------------------------------------------------------------------------------

/// Water colour of spatter's mode 0 (R, G, B on [0, 1]): OpenCV's "pale turquoise"
/// (175, 238, 238), added to the RGB array as written.
const WATER_RGB: [f32; 3] = [175.0 / 255.0, 238.0 / 255.0, 238.0 / 255.0];

/// Mud colour of spatter's mode 1 (R, G, B on [0, 1]).
const MUD_RGB: [f32; 3] = [63.0 / 255.0, 42.0 / 255.0, 20.0 / 255.0];

/// For each index of an axis of length `n`, the indices of its two neighbours (−1, +1) read
/// through `border`.
fn neighbour_indices(n: usize, border: Border) -> Vec<(usize, usize)> {
    (0..n)
        .map(|i| {
            (
                border.index(i as isize - 1, n),
                border.index(i as isize + 1, n),
            )
        })
        .collect()
}

/// Applies `f` to the 3×3 neighbourhood (rows top to bottom, columns left to right) of every
/// sample, reading outside the plane through `border`.
fn map_3x3<T: Copy + Sync, U: Copy + Default + Send>(
    src: &[T],
    (width, height): (usize, usize),
    border: Border,
    f: impl Fn([[T; 3]; 3]) -> U + Sync,
) -> Vec<U> {
    let columns = neighbour_indices(width, border);
    let rows = neighbour_indices(height, border);
    let mut out = vec![U::default(); width * height];
    out.par_chunks_mut(width).enumerate().for_each(|(y, row)| {
        let (up, down) = rows[y];
        let (a, b, c) = (&src[up * width..], &src[y * width..], &src[down * width..]);
        for (x, o) in row.iter_mut().enumerate() {
            let (l, r) = columns[x];
            *o = f([[a[l], a[x], a[r]], [b[l], b[x], b[r]], [c[l], c[x], c[r]]]);
        }
    });
    out
}

/// Sums over each sample's 3×3 neighbourhood (reflect-101 borders, OpenCV's default),
/// converted by `to`: rows first, then columns, as OpenCV's box filter.
fn box3_sums<T, A>(src: &[T], (width, height): (usize, usize), to: impl Fn(T) -> A + Sync) -> Vec<A>
where
    T: Copy + Sync,
    A: Copy + Default + Send + Sync + std::ops::Add<Output = A>,
{
    let columns = neighbour_indices(width, Border::Reflect101);
    let rows = neighbour_indices(height, Border::Reflect101);
    let mut across = vec![A::default(); width * height];
    across
        .par_chunks_mut(width)
        .zip(src.par_chunks(width))
        .for_each(|(out, row)| {
            for ((o, &(l, r)), &v) in out.iter_mut().zip(&columns).zip(row) {
                *o = to(row[l]) + to(v) + to(row[r]);
            }
        });
    let mut sums = vec![A::default(); width * height];
    sums.par_chunks_mut(width).enumerate().for_each(|(y, out)| {
        let (up, down) = rows[y];
        let (a, b, c) = (
            &across[up * width..],
            &across[y * width..],
            &across[down * width..],
        );
        for (x, o) in out.iter_mut().enumerate() {
            *o = a[x] + b[x] + c[x];
        }
    });
    sums
}

/// OpenCV `Canny(image, low, high)` (aperture 3, L1 gradient; `imgproc/src/canny.cpp`):
/// Sobel derivatives with replicated borders, magnitude |dx| + |dy|, non-maximum suppression
/// along the gradient direction quantised to 0°/45°/90°/135° (tan 22.5° in Q15), then
/// hysteresis: pixels above `high` seed edges that grow through 8-connected pixels above
/// `low`. Returns `true` on edge pixels.
fn canny(src: &[u8], (width, height): (usize, usize), low: i32, high: i32) -> Vec<bool> {
    let gradients = map_3x3(src, (width, height), Border::Nearest, |p| {
        let v = |r: usize, c: usize| i32::from(p[r][c]);
        let dx = (v(0, 2) + 2 * v(1, 2) + v(2, 2)) - (v(0, 0) + 2 * v(1, 0) + v(2, 0));
        let dy = (v(2, 0) + 2 * v(2, 1) + v(2, 2)) - (v(0, 0) + 2 * v(0, 1) + v(0, 2));
        (dx, dy)
    });
    // Magnitudes in a frame of zeros (outside the image counts as 0, as OpenCV's buffers).
    let stride = width + 2;
    let mut magnitude = vec![0i32; stride * (height + 2)];
    for (row, grads) in magnitude
        .chunks_exact_mut(stride)
        .skip(1)
        .zip(gradients.chunks_exact(width))
    {
        for (m, &(dx, dy)) in row[1..].iter_mut().zip(grads) {
            *m = dx.abs() + dy.abs();
        }
    }
    const TG22: i64 = 13_573; // round(tan(22.5°) · 2^15)
                              // 0: candidate (weak), 1: not an edge, 2: edge.
    let mut state = vec![1u8; width * height];
    let mut stack = Vec::new();
    for (y, grads) in gradients.chunks_exact(width).enumerate() {
        for (x, &(xs, ys)) in grads.iter().enumerate() {
            let (i, at) = (y * width + x, (y + 1) * stride + x + 1);
            let m = magnitude[at];
            if m <= low {
                continue;
            }
            let ax = i64::from(xs.abs());
            let ay = i64::from(ys.abs()) << 15;
            let tg22x = ax * TG22;
            let is_max = if ay < tg22x {
                m > magnitude[at - 1] && m >= magnitude[at + 1]
            } else if ay > tg22x + (ax << 16) {
                m > magnitude[at - stride] && m >= magnitude[at + stride]
            } else if (xs ^ ys) < 0 {
                m > magnitude[at - stride + 1] && m > magnitude[at + stride - 1]
            } else {
                m > magnitude[at - stride - 1] && m > magnitude[at + stride + 1]
            };
            if is_max {
                if m > high {
                    state[i] = 2;
                    stack.push(i);
                } else {
                    state[i] = 0;
                }
            }
        }
    }
    while let Some(i) = stack.pop() {
        let (y, x) = ((i / width) as isize, (i % width) as isize);
        for (dy, dx) in [
            (-1, -1),
            (-1, 0),
            (-1, 1),
            (0, -1),
            (0, 1),
            (1, -1),
            (1, 0),
            (1, 1),
        ] {
            let (ny, nx) = (y + dy, x + dx);
            if ny < 0 || nx < 0 || ny >= height as isize || nx >= width as isize {
                continue;
            }
            let j = ny as usize * width + nx as usize;
            if state[j] == 0 {
                state[j] = 2;
                stack.push(j);
            }
        }
    }
    state.iter().map(|&s| s == 2).collect()
}

/// Steps of OpenCV's 5×5 chamfer mask for `DIST_L2` (horizontal/vertical, diagonal, knight).
const HV: f32 = 1.0;
const DIAG: f32 = 1.4;
const LONG: f32 = 2.1969;

/// OpenCV `distanceTransform(src, DIST_L2, 5)` where `src` is zero exactly on `sources`: the
/// 5×5 chamfer distance (steps 1, 1.4, 2.1969, `distanceTransform_5x5` in
/// `imgproc/src/distransform.cpp`) to the nearest source, in two raster passes with `f32`
/// sums (as OpenCV 5; OpenCV 4 used Q16 fixed point, ≤ 1e-4 px apart). Outside the image
/// counts as infinitely far; without any source every distance is huge.
fn chamfer_distance(sources: &[bool], (width, height): (usize, usize)) -> Vec<f32> {
    const BORDER: usize = 2;
    const FAR: f32 = 1e30;
    let step = width + 2 * BORDER;
    let mut t = vec![FAR; step * (height + 2 * BORDER)];
    // The 2-sample frame of FAR around the image keeps every neighbour in range. Each pass
    // takes a row's seven candidates from the two rows already done (independent, so the loop
    // vectorises), then scans along the row for the neighbour in the same row — the same
    // minima as OpenCV's pixel-by-pixel raster order.
    for y in 0..height {
        let at = (y + BORDER) * step;
        let (done, rest) = t.split_at_mut(at);
        let row = &mut rest[..step];
        let far = &done[at - 2 * step..at - step];
        let near = &done[at - step..at];
        let sources = &sources[y * width..(y + 1) * width];
        relax_from_rows(&mut row[BORDER..BORDER + width], far, near, sources);
        for x in BORDER..BORDER + width {
            row[x] = min_f32(row[x], row[x - 1] + HV);
        }
    }
    let mut out = vec![0.0f32; width * height];
    for y in (0..height).rev() {
        let at = (y + BORDER) * step;
        let (head, done) = t.split_at_mut(at + step);
        let row = &mut head[at..];
        let (near, far) = (&done[..step], &done[step..2 * step]);
        relax_from_rows(&mut row[BORDER..BORDER + width], far, near, &[]);
        for x in (BORDER..BORDER + width).rev() {
            row[x] = min_f32(row[x], row[x + 1] + HV);
        }
        out[y * width..(y + 1) * width].copy_from_slice(&row[BORDER..BORDER + width]);
    }
    out
}

/// One row of [`chamfer_distance`]: `row[x]` (image column x, padded column x + 2) becomes 0
/// on a source, else the minimum of its current value and the seven mask candidates in the
/// padded rows `far` (two away: columns ±1, step 2.1969) and `near` (one away: ±2 at 2.1969,
/// ±1 at 1.4, 0 at 1). `sources` empty means none (the backward pass).
fn relax_from_rows(row: &mut [f32], far: &[f32], near: &[f32], sources: &[bool]) {
    let w = row.len();
    if far.len() < w + 4 || near.len() < w + 4 {
        return;
    }
    let (f0, f2) = (&far[1..w + 1], &far[3..w + 3]);
    let (n0, n1, n2, n3, n4) = (
        &near[..w],
        &near[1..w + 1],
        &near[2..w + 2],
        &near[3..w + 3],
        &near[4..w + 4],
    );
    for x in 0..w {
        let best = min_f32(
            min_f32(
                min_f32(f0[x] + LONG, f2[x] + LONG),
                min_f32(n0[x] + LONG, n4[x] + LONG),
            ),
            min_f32(min_f32(n1[x] + DIAG, n3[x] + DIAG), n2[x] + HV),
        );
        row[x] = min_f32(row[x], best);
    }
    for (v, _) in row.iter_mut().zip(sources).filter(|(_, &s)| s) {
        *v = 0.0;
    }
}

/// The smaller of two values that are never NaN (one `minss`, where `f32::min` also handles
/// NaN).
#[inline]
fn min_f32(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

/// OpenCV `equalizeHist` of an 8-bit plane: levels mapped through the cumulative histogram,
/// the lowest occupied level to 0, `lut[i] = round(cum(i) · 255 / (N − count(lowest)))` with
/// `f32` arithmetic and round-half-even (`saturate_cast<uchar>`); a constant plane keeps its
/// level.
fn equalize_hist(src: &mut [u8]) {
    let mut histogram = [0usize; 256];
    for &v in src.iter() {
        histogram[usize::from(v)] += 1;
    }
    let Some(lowest) = histogram.iter().position(|&c| c > 0) else {
        return;
    };
    let total = src.len();
    if histogram[lowest] == total {
        return;
    }
    let scale = 255.0f32 / (total - histogram[lowest]) as f32;
    let mut lut = [0u8; 256];
    let mut sum = 0usize;
    for level in lowest + 1..256 {
        sum += histogram[level];
        lut[level] = (sum as f32 * scale).round_ties_even().clamp(0.0, 255.0) as u8;
    }
    for v in src.iter_mut() {
        *v = lut[usize::from(*v)];
    }
}

/// The relief map of spatter's water mode (REFERENCE.md §5.4, mode 0), normalised to a
/// maximum of 1 (all zeros when the liquid layer is empty):
/// `lq · blur(emboss(equalize(trunc(blur(min(dist_to_canny_edges(lq), 20))))))` with
/// `lq = trunc(255 · liquid)`, as the reference's OpenCV pipeline.
fn water_relief(liquid: &[f32], size: (usize, usize)) -> Vec<f32> {
    let lq: Vec<u8> = liquid
        .iter()
        .map(|&v| (v * 255.0).clamp(0.0, 255.0) as u8)
        .collect();
    let edges = canny(&lq, size, 50, 150);
    let distance: Vec<f32> = chamfer_distance(&edges, size)
        .into_iter()
        .map(|d| d.min(20.0))
        .collect();
    // cv2.blur on float32 (sums in f64), then .astype(uint8): truncation.
    let levels: Vec<u8> = box3_sums(&distance, size, f64::from)
        .into_iter()
        .map(|sum| ((sum * (1.0 / 9.0)) as f32) as u8)
        .collect();
    let mut levels = levels;
    equalize_hist(&mut levels);
    // filter2D(CV_8U) with the emboss kernel [[-2,-1,0],[-1,1,1],[0,1,2]], saturated.
    let embossed = map_3x3(&levels, size, Border::Reflect101, |p| {
        let v = |r: usize, c: usize| i32::from(p[r][c]);
        let e = -2 * v(0, 0) - v(0, 1) - v(1, 0) + v(1, 1) + v(1, 2) + v(2, 1) + 2 * v(2, 2);
        e.clamp(0, 255) as u8
    });
    // cv2.blur on uint8: the rounded mean.
    let soft: Vec<u8> = box3_sums(&embossed, size, u32::from)
        .into_iter()
        .map(|sum| ((sum + 4) / 9) as u8)
        .collect();
    let mut relief: Vec<f32> = lq
        .iter()
        .zip(&soft)
        .map(|(&a, &b)| f32::from(a) * f32::from(b))
        .collect();
    let max = relief.iter().copied().fold(0.0f32, f32::max);
    if max > 0.0 {
        relief.iter_mut().for_each(|v| *v /= max);
    }
    relief
}

/// spatter: a blurred, thresholded Gaussian "liquid" layer, shown as water drops (mode 0:
/// pale turquoise added along an embossed relief) or mud (mode 1: brown blobs blended over the
/// image).
fn spatter(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let threshold = params.get("threshold")? as f32;
    let amount = params.get("amount")?;
    let size = (planes.width, planes.height);
    let mut liquid = normal_field(
        size.0,
        size.1,
        params.get("liquid_mean")?,
        params.get("liquid_std")?,
        seeds,
    );
    let mut scratch = Vec::new();
    gaussian_filter(
        &mut liquid,
        size.0,
        size.1,
        params.get("liquid_sigma")?,
        &mut scratch,
    );
    liquid
        .iter_mut()
        .filter(|v| **v < threshold)
        .for_each(|v| *v = 0.0);
    if params.get("mode")? < 0.5 {
        let mut relief = water_relief(&liquid, size);
        relief.iter_mut().for_each(|v| *v *= amount as f32);
        let colours = colour_per_plane(planes, WATER_RGB);
        for (plane, colour) in planes.planes.iter_mut().zip(colours) {
            plane
                .par_iter_mut()
                .zip(&relief)
                .for_each(|(v, &m)| *v = (*v + m * colour).clamp(0.0, 1.0));
        }
    } else {
        let mut mud: Vec<f32> = liquid
            .iter()
            .map(|&v| if v > threshold { 1.0 } else { 0.0 })
            .collect();
        gaussian_filter(&mut mud, size.0, size.1, amount, &mut scratch);
        mud.iter_mut().filter(|v| **v < 0.8).for_each(|v| *v = 0.0);
        let colours = colour_per_plane(planes, MUD_RGB);
        for (plane, colour) in planes.planes.iter_mut().zip(colours) {
            plane
                .par_iter_mut()
                .zip(&mud)
                .for_each(|(v, &m)| *v = (*v * (1.0 - m) + m * colour).clamp(0.0, 1.0));
        }
    }
    Ok(())
}

const SPATTER_PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "liquid_mean",
        description: "mean of the Gaussian liquid layer, on [0, 1] (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
    ParamDef {
        name: "liquid_std",
        description: "standard deviation of the liquid layer before blurring (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
    ParamDef {
        name: "liquid_sigma",
        description: "Gaussian blur of the liquid layer in pixels; larger = bigger, fewer drops (0 to 20)",
        min: 0.0,
        max: 20.0,
    },
    ParamDef {
        name: "threshold",
        description: "liquid level below which there is no liquid (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
    ParamDef {
        name: "amount",
        description: "mode 0 (water): peak intensity added along the drops' relief (0 = unchanged);                       mode 1 (mud): Gaussian sigma of the mud mask in pixels (0 to 10)",
        min: 0.0,
        max: 10.0,
    },
    ParamDef {
        name: "mode",
        description: "0 = water drops (pale turquoise; luma on grey), 1 = mud (brown; luma on grey);                       values below 0.5 mean water (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
];

// ---------------------------------------------------------------------------------------------
// snow (REFERENCE.md §5.3)
// ---------------------------------------------------------------------------------------------

/// Snow's streak-angle draw.
const KEY_SNOW: u64 = 3 << 40;

/// The snow layer, `width × height` on [0, 1]: Gaussian flakes, zoomed up by `zoom`
/// (`clipped_zoom`, possibly a pixel larger than the image), thresholded, clipped,
/// motion-blurred into streaks at an angle uniform in [−135°, −45°] (roughly vertical),
/// quantised to 8 bits with half-to-even rounding, then trimmed from the top left.
fn snow_layer(
    width: usize,
    height: usize,
    params: &Params,
    seeds: &Seeds,
) -> Result<Vec<f32>, PerturbError> {
    let flakes = normal_field(
        width,
        height,
        params.get("flake_mean")?,
        params.get("flake_std")?,
        seeds,
    );
    let angle = seeds
        .global(stream_key(KEY_SNOW, 0, 0, 0))
        .uniform_in(-135.0, -45.0);
    streak_layer(&flakes, (width, height), angle, params)
}

/// The deterministic part of [`snow_layer`]: from the drawn flakes and streak angle to the
/// quantised, trimmed layer.
fn streak_layer(
    flakes: &[f32],
    (width, height): (usize, usize),
    angle: f64,
    params: &Params,
) -> Result<Vec<f32>, PerturbError> {
    let (mut zoomed, zw, zh) = clipped_zoom(flakes, width, height, params.get("flake_zoom")?);
    if zw < width || zh < height {
        return Err(PerturbError::TooSmall {
            kind: "snow",
            min: 1,
            width,
            height,
        });
    }
    let threshold = params.get("flake_threshold")? as f32;
    zoomed.par_iter_mut().for_each(|v| {
        *v = if *v < threshold {
            0.0
        } else {
            v.clamp(0.0, 1.0)
        }
    });
    let mut streaks = vec![0.0f32; zw * zh];
    let (radius, sigma) = (params.get("blur_radius")?, params.get("blur_sigma")?);
    motion_blur_plane(&zoomed, &mut streaks, zw, zh, radius, sigma, angle);
    let mut layer = vec![0.0f32; width * height];
    layer
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(r, row)| {
            for (v, &s) in row.iter_mut().zip(&streaks[r * zw..r * zw + width]) {
                *v = round_half_even(s.clamp(0.0, 1.0) * 255.0) / 255.0;
            }
        });
    Ok(layer)
}

/// snow: the image brightened toward `max(x, 1.5·luma + 0.5)` by `1 − image_blend`, plus the
/// snow layer and the layer turned by 180°.
fn snow(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let (width, height) = (planes.width, planes.height);
    let n = width * height;
    if n == 0 {
        return Ok(());
    }
    let layer = snow_layer(width, height, params, seeds)?;
    let blend = params.get("image_blend")? as f32;
    // cv2 RGB2GRAY of the float32 image; grey input is its own luma.
    let luma: Option<Vec<f32>> =
        (planes.planes.len() == 3).then(|| (0..n).map(|i| planes.luma(i)).collect());
    for plane in &mut planes.planes {
        plane
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(r, row)| {
                for (c, v) in row.iter_mut().enumerate() {
                    let i = r * width + c;
                    let gray = luma.as_ref().map_or(*v, |l| l[i]);
                    let x = blend * *v + (1.0 - blend) * v.max(gray * 1.5 + 0.5);
                    *v = (x + layer[i] + layer[n - 1 - i]).clamp(0.0, 1.0);
                }
            });
    }
    Ok(())
}

const SNOW_PARAMS: &[ParamDef] = &[
    ParamDef {
        name: "flake_mean",
        description: "mean of the Gaussian flake layer on [0, 1]; higher = more flakes (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
    ParamDef {
        name: "flake_std",
        description: "standard deviation of the flake layer (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
    ParamDef {
        name: "flake_zoom",
        description: "zoom factor of the flake layer (clipped_zoom); larger = bigger flakes (1 to 10)",
        min: 1.0,
        max: 10.0,
    },
    ParamDef {
        name: "flake_threshold",
        description: "flake-layer level below which there is no snow (0 to 1)",
        min: 0.0,
        max: 1.0,
    },
    ParamDef {
        name: "blur_radius",
        description: "motion-blur radius of the flakes: 2·radius + 1 taps along a ray (pixels, 0 to 50)",
        min: 0.0,
        max: 50.0,
    },
    ParamDef {
        name: "blur_sigma",
        description: "standard deviation of the motion blur's one-sided Gaussian (pixels, 0 to 50)",
        min: 0.0,
        max: 50.0,
    },
    ParamDef {
        name: "image_blend",
        description: "weight of the original image against its brightened version max(x, 1.5·luma + 0.5) (1 = not brightened; 0 to 1)",
        min: 0.0,
        max: 1.0,
    },
];

// ---------------------------------------------------------------------------------------------
// The kinds
// ---------------------------------------------------------------------------------------------

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[
KindDef {
    name: "fog",
    family: Family::ImageNetC,
    summary: "plasma-fractal (diamond-square) fog added with weight strength, then rescaled by max/(max+strength)",
    random: true,
    params: FOG_PARAMS,
    tables: &[SeverityTable {
        source: "imagecorruptions",
        rows: &[&[1.5, 2.0], &[2.0, 2.0], &[2.5, 1.7], &[2.5, 1.5], &[3.0, 1.4]],
    }],
    apply: fog,
},
KindDef {
    name: "frost",
    family: Family::ImageNetC,
    summary: "image_weight·x + frost_weight·frost, the frost texture SYNTHESISED (ice crystals and fractal noise in five looks imitating ImageNet-C's photographs, which are not bundled): comparable across Attest runs, not pixel-comparable to ImageNet-C",
    random: true,
    params: FROST_PARAMS,
    tables: &[SeverityTable {
        source: "imagecorruptions",
        rows: &[&[1.0, 0.4], &[0.8, 0.6], &[0.7, 0.7], &[0.65, 0.7], &[0.6, 0.75]],
    }],
    apply: frost,
},
KindDef {
    name: "spatter",
    family: Family::ImageNetC,
    summary: "liquid splashes from a blurred, thresholded Gaussian layer: water drops (pale turquoise along an embossed relief, severities 1-3) or mud (brown blobs, 4-5); luma colours on grey",
    random: true,
    params: SPATTER_PARAMS,
    tables: &[SeverityTable {
        source: "imagecorruptions",
        rows: &[
            &[0.65, 0.3, 4.0, 0.69, 0.6, 0.0],
            &[0.65, 0.3, 3.0, 0.68, 0.6, 0.0],
            &[0.65, 0.3, 2.0, 0.68, 0.5, 0.0],
            &[0.65, 0.3, 1.0, 0.65, 1.5, 1.0],
            &[0.67, 0.4, 1.0, 0.65, 1.5, 1.0],
        ],
    }],
    apply: spatter,
},
KindDef {
    name: "snow",
    family: Family::ImageNetC,
    summary: "snow: thresholded, zoomed Gaussian flakes motion-blurred into near-vertical streaks (and turned 180°), added to a brightened image",
    random: true,
    params: SNOW_PARAMS,
    tables: &[SeverityTable {
        source: "imagecorruptions",
        rows: &[
            &[0.1, 0.3, 3.0, 0.5, 10.0, 4.0, 0.8],
            &[0.2, 0.3, 2.0, 0.5, 12.0, 4.0, 0.7],
            &[0.55, 0.3, 4.0, 0.9, 12.0, 8.0, 0.7],
            &[0.55, 0.3, 4.5, 0.85, 12.0, 8.0, 0.65],
            &[0.55, 0.3, 2.5, 0.85, 12.0, 12.0, 0.55],
        ],
    }],
    apply: snow,
},
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Image;
    use crate::registry::{kind, perturb, perturb_at_severity};

    /// REFERENCE.md §8's textured test pattern, `w × h` grey.
    fn pattern(w: usize, h: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                v.push(((3 * x + 5 * y + ((x * x + 2 * y * y) % 23)) % 256) as u8);
            }
        }
        v
    }

    fn gray(w: usize, h: usize) -> Image {
        Image::gray8(w, h, pattern(w, h)).unwrap()
    }

    fn gray16(w: usize, h: usize) -> Image {
        Image::gray16(
            w,
            h,
            pattern(w, h)
                .into_iter()
                .map(|v| u16::from(v) * 257)
                .collect(),
        )
        .unwrap()
    }

    fn rgb(w: usize, h: usize) -> Image {
        let g = pattern(w, h);
        let mut v = Vec::with_capacity(w * h * 3);
        for (i, &p) in g.iter().enumerate() {
            v.extend_from_slice(&[p, p.wrapping_add((i % 37) as u8), 255 - p]);
        }
        Image::rgb8(w, h, v).unwrap()
    }

    /// PSNR of `b` against `a` on the normalised scale.
    fn psnr(a: &Image, b: &Image) -> f64 {
        let (pa, pb) = (Planes::from_image(a), Planes::from_image(b));
        let mut se = 0.0;
        let mut n = 0.0;
        for (x, y) in pa.planes.iter().zip(&pb.planes) {
            for (u, v) in x.iter().zip(y) {
                se += f64::from(u - v).powi(2);
                n += 1.0;
            }
        }
        if se == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (n / se).log10()
        }
    }

    /// Size/type preserved on grey, 16-bit and RGB; deterministic; seed-dependent.
    fn check_basics(name: &str) {
        for image in [gray(64, 48), gray16(40, 56), rgb(48, 40)] {
            let a = perturb_at_severity(&image, name, 3, 7).unwrap();
            assert_eq!(
                (a.width(), a.height(), a.pixel_type()),
                (image.width(), image.height(), image.pixel_type())
            );
            assert_eq!(
                a,
                perturb_at_severity(&image, name, 3, 7).unwrap(),
                "{name} not deterministic"
            );
            assert_ne!(
                a,
                perturb_at_severity(&image, name, 3, 8).unwrap(),
                "{name} ignores the seed"
            );
        }
    }

    /// PSNR falls with severity (mean over a few seeds, to smooth out random draws).
    fn check_monotone(name: &str) {
        let image = gray(96, 80);
        let mean_psnr = |sev: u8| -> f64 {
            (0..4)
                .map(|s| psnr(&image, &perturb_at_severity(&image, name, sev, s).unwrap()))
                .sum::<f64>()
                / 4.0
        };
        let values: Vec<f64> = (1..=5).map(mean_psnr).collect();
        for w in values.windows(2) {
            assert!(w[1] < w[0], "{name}: PSNR by severity {values:?}");
        }
    }

    /// Minimum over runs of the time of `f`, in ms (robust to a loaded machine).
    fn min_ms(mut f: impl FnMut(u64)) -> f64 {
        (0..40)
            .map(|s| {
                let t = std::time::Instant::now();
                f(s);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .fold(f64::INFINITY, f64::min)
    }

    #[test]
    #[ignore]
    fn profile_one() {
        let name = std::env::var("WEATHER_KIND").unwrap();
        let sev: u8 = std::env::var("WEATHER_SEV").unwrap().parse().unwrap();
        let def = kind(&name).unwrap();
        let planes = Planes::from_image(&rgb(224, 224));
        let params = def.severity(sev, None).unwrap();
        for s in 0..5 {
            let mut p = planes.clone();
            (def.apply)(&mut p, &params, &Seeds::new(s)).unwrap();
        }
    }

    #[test]
    #[ignore]
    fn profile_parts() {
        let part = std::env::var("WEATHER_PART").unwrap();
        let size = (224usize, 224usize);
        let seeds = Seeds::new(1);
        let mut liquid = normal_field(224, 224, 0.65, 0.3, &seeds);
        let mut scratch = Vec::new();
        gaussian_filter(&mut liquid, 224, 224, 4.0, &mut scratch);
        liquid
            .iter_mut()
            .filter(|v| **v < 0.69)
            .for_each(|v| *v = 0.0);
        let lq: Vec<u8> = liquid.iter().map(|&v| (v * 255.0) as u8).collect();
        let edges = canny(&lq, size, 50, 150);
        for s in 0..10 {
            match part.as_str() {
                "canny" => drop(canny(&lq, size, 50, 150)),
                "chamfer" => drop(chamfer_distance(&edges, size)),
                "relief" => drop(water_relief(&liquid, size)),
                "plasma" => drop(plasma_fractal(256, 2.0, &Seeds::new(s))),
                "normal" => drop(normal_field(224, 224, 0.65, 0.3, &Seeds::new(s))),
                _ => {}
            }
        }
    }

    #[test]
    #[ignore]
    fn time_kinds() {
        println!(
            "plasma {:.3} ms",
            min_ms(|s| drop(plasma_fractal(256, 2.0, &Seeds::new(s))))
        );
        for (i, style) in FROST_STYLES.iter().enumerate() {
            println!(
                "frost texture {i} {:.3} ms",
                min_ms(|s| drop(styled_frost_texture((224, 224), style, 1.0, &Seeds::new(s))))
            );
            let bg = vec![0.0f32; 224 * 224];
            println!(
                "  crystals {:.3} ms",
                min_ms(|s| drop(crystal_layer(224, 224, style, 1.0, &bg, &Seeds::new(s))))
            );
        }
        let size = (224usize, 224usize);
        let seeds = Seeds::new(1);
        let mut liquid = normal_field(224, 224, 0.65, 0.3, &seeds);
        println!(
            "  normal field {:.3} ms",
            min_ms(|s| drop(normal_field(224, 224, 0.65, 0.3, &Seeds::new(s))))
        );
        let mut scratch = Vec::new();
        println!(
            "  gaussian4 {:.3} ms",
            min_ms(|_| gaussian_filter(&mut liquid.clone(), 224, 224, 4.0, &mut scratch))
        );
        gaussian_filter(&mut liquid, 224, 224, 4.0, &mut scratch);
        liquid
            .iter_mut()
            .filter(|v| **v < 0.69)
            .for_each(|v| *v = 0.0);
        let lq: Vec<u8> = liquid.iter().map(|&v| (v * 255.0) as u8).collect();
        println!(
            "  canny {:.3} ms",
            min_ms(|_| drop(canny(&lq, size, 50, 150)))
        );
        let edges = canny(&lq, size, 50, 150);
        println!(
            "  chamfer {:.3} ms",
            min_ms(|_| drop(chamfer_distance(&edges, size)))
        );
        println!(
            "  relief {:.3} ms",
            min_ms(|_| drop(water_relief(&liquid, size)))
        );
        for name in KINDS.iter().map(|k| k.name) {
            let def = kind(name).unwrap();
            for sev in [1u8, 5] {
                for im in [rgb(224, 224), gray(224, 224)] {
                    let planes = Planes::from_image(&im);
                    let params = def.severity(sev, None).unwrap();
                    let ms = min_ms(|s| {
                        let mut p = planes.clone();
                        (def.apply)(&mut p, &params, &Seeds::new(s)).unwrap();
                    });
                    println!("{name} {sev} {:?}: {ms:.3} ms", im.pixel_type());
                }
            }
        }
    }

    #[test]
    #[ignore]
    fn dump_water_stages() {
        for (w, h, sev) in [(224usize, 224usize, 1), (61, 47, 3), (224, 224, 3)] {
            let bytes = std::fs::read(format!("/tmp/liquid_{w}x{h}_{sev}.bin")).unwrap();
            let liquid: Vec<f32> = bytes
                .chunks(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let size = (w, h);
            let lq: Vec<u8> = liquid
                .iter()
                .map(|&v| (v * 255.0).clamp(0.0, 255.0) as u8)
                .collect();
            let edges = canny(&lq, size, 50, 150);
            let distance = chamfer_distance(&edges, size);
            let relief = water_relief(&liquid, size);
            let mut out = Vec::new();
            out.extend(edges.iter().map(|&e| if e { 255u8 } else { 0 }));
            std::fs::write(format!("/tmp/rs_edges_{w}x{h}_{sev}.bin"), out).unwrap();
            let f = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
            std::fs::write(format!("/tmp/rs_dist_{w}x{h}_{sev}.bin"), f(&distance)).unwrap();
            std::fs::write(format!("/tmp/rs_relief_{w}x{h}_{sev}.bin"), f(&relief)).unwrap();
        }
    }

    #[test]
    #[ignore]
    fn dump_snow_layers() {
        let def = kind("snow").unwrap();
        for (w, h, sev) in [(224usize, 224usize, 1u8), (61, 47, 3), (224, 224, 5)] {
            let bytes = std::fs::read(format!("/tmp/flakes_{w}x{h}_{sev}.bin")).unwrap();
            let flakes: Vec<f32> = bytes
                .chunks(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let params = def.severity(sev, None).unwrap();
            let layer = streak_layer(&flakes, (w, h), -100.0, &params).unwrap();
            let f = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
            std::fs::write(format!("/tmp/rs_snow_{w}x{h}_{sev}.bin"), f(&layer)).unwrap();
        }
    }

    #[test]
    #[ignore]
    fn print_stats() {
        let g = gray(224, 224);
        let c = {
            let p = pattern(224, 224);
            Image::rgb8(224, 224, p.iter().flat_map(|&v| [v, v, v]).collect()).unwrap()
        };
        for name in ["frost", "fog", "spatter"] {
            for sev in 1..=5u8 {
                for (label, im) in [("gray", &g), ("rgb", &c)] {
                    let mut ps = 0.0;
                    let mut mean = 0.0;
                    for s in 0..40 {
                        let out = perturb_at_severity(im, name, sev, s).unwrap();
                        ps += psnr(im, &out) / 40.0;
                        let p = Planes::from_image(&out);
                        mean += p
                            .planes
                            .iter()
                            .flatten()
                            .map(|&v| f64::from(v))
                            .sum::<f64>()
                            / (p.pixels() * p.planes.len()) as f64
                            * 255.0
                            / 40.0;
                    }
                    println!("STAT {name} {sev} {label} psnr {ps:.2} mean {mean:.1}");
                }
            }
        }
    }

    #[test]
    #[ignore]
    fn dump_plasma() {
        let (size, decay, seeds) = (64usize, 1.7, Seeds::new(11));
        let map = plasma_fractal(size, decay, &seeds);
        let mut draws = Vec::new();
        let (mut n, mut wibble, mut level) = (1usize, 100.0f64, 0u64);
        while n < size {
            for set in 0..3 {
                for i in 0..n {
                    let mut rng = seeds.global(stream_key(KEY_FOG, level, set, i));
                    for _ in 0..n {
                        draws.push(rng.uniform_in(-wibble, wibble));
                    }
                }
            }
            n *= 2;
            wibble /= decay;
            level += 1;
        }
        let f = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        std::fs::write("/tmp/rs_plasma.bin", f(&map)).unwrap();
        std::fs::write("/tmp/rs_plasma_draws.bin", f(&draws)).unwrap();
    }

    #[test]
    #[ignore]
    fn dump_frost_textures() {
        for (i, style) in FROST_STYLES.iter().enumerate() {
            for (w, h) in [(300usize, 300usize), (1024, 1024)] {
                let t =
                    styled_frost_texture((w, h), style, feature_scale(w, h, style), &Seeds::new(5));
                let mut out = format!("P5 {w} {h} 255\n").into_bytes();
                out.extend(t.iter().map(|&v| v as u8));
                std::fs::write(format!("/tmp/frost_style{i}_{w}.pgm"), out).unwrap();
            }
        }
    }

    #[test]
    fn fog_basics() {
        check_basics("fog");
    }

    #[test]
    fn fog_psnr_falls_with_severity() {
        check_monotone("fog");
    }

    #[test]
    fn fog_strength_zero_is_identity() {
        let def = kind("fog").unwrap();
        for image in [gray(50, 37), rgb(33, 45), gray16(20, 20)] {
            let params = def
                .severity(5, None)
                .unwrap()
                .with("strength", 0.0)
                .unwrap();
            assert_eq!(perturb(&image, &params, 3).unwrap(), image);
        }
    }

    #[test]
    fn plasma_is_in_unit_range_and_spans_it() {
        let map = plasma_fractal(64, 2.0, &Seeds::new(1));
        let min = map.iter().copied().fold(f64::INFINITY, f64::min);
        let max = map.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((min, max), (0.0, 1.0));
        // Smooth: neighbours are far closer than random pairs.
        let step: f64 = map.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / map.len() as f64;
        assert!(step < 0.1, "{step}");
    }

    #[test]
    fn fog_keeps_grey_grey_and_handles_tiny_images() {
        let image = gray(1, 1);
        let out = perturb_at_severity(&image, "fog", 5, 1).unwrap();
        assert_eq!((out.width(), out.height()), (1, 1));
        let g = Image::rgb8(3, 2, [10u8, 10, 10, 200, 200, 200].repeat(3)).unwrap();
        let out = perturb_at_severity(&g, "fog", 2, 1).unwrap();
        let p = Planes::from_image(&out);
        assert_eq!(p.planes[0], p.planes[1]);
        assert_eq!(p.planes[1], p.planes[2]);
    }
}
