//! Weather kinds of ImageNet-C: fog, snow, frost (synthesised texture), spatter
//! (REFERENCE.md §5.1–5.4, ported from `imagecorruptions` 1.1.2 `corruptions.py`).
//!
//! Every kind here is random. Draws come from per-row streams (`Seeds::row`) or from keyed
//! global streams (`Seeds::global`, one key per draw purpose and row), so a result is a pure
//! function of (image, parameters, seed) whatever the thread count. Grey input is processed on
//! its one plane; where the reference mixes colours (frost's texture, spatter's water and mud)
//! the grey path uses the luma (ITU-R 601) of the reference colour.

use rayon::prelude::*;

use crate::error::PerturbError;
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
/// `decay` per level; the three n×n draws of a level come from one stream per (level, draw,
/// row), so rows are computed in parallel.
fn plasma_fractal(size: usize, decay: f64, seeds: &Seeds) -> Vec<f64> {
    let mut map = vec![0.0f64; size * size];
    let mut step = size;
    let mut wibble = 100.0f64;
    let mut level = 0u64;
    while step >= 2 {
        fill_squares(&mut map, size, step, wibble, seeds, level);
        fill_diamonds(&mut map, size, step, wibble, seeds, level);
        step /= 2;
        wibble /= decay;
        level += 1;
    }
    normalise_unit(&mut map);
    map
}

/// Draws one n×n array of `wibble · U(−wibble, wibble)` added to `base(i, j) / 4`, one stream
/// per row `i`.
fn wibbled_means<F>(
    n: usize,
    wibble: f64,
    seeds: &Seeds,
    level: u64,
    draw: u64,
    base: F,
) -> Vec<f64>
where
    F: Fn(usize, usize) -> f64 + Sync,
{
    let mut out = vec![0.0f64; n * n];
    out.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        let mut rng = seeds.global(stream_key(KEY_FOG, level, draw, i));
        for (j, v) in row.iter_mut().enumerate() {
            *v = base(i, j) / 4.0 + wibble * rng.uniform_in(-wibble, wibble);
        }
    });
    out
}

/// Writes an n×n array into `map` at rows `r0 + i·step`, columns `c0 + j·step`.
fn scatter(map: &mut [f64], size: usize, step: usize, (r0, c0): (usize, usize), values: &[f64]) {
    let n = size / step;
    for (i, row) in values.chunks(n).enumerate() {
        let base = (r0 + i * step) * size + c0;
        for (j, &v) in row.iter().enumerate() {
            map[base + j * step] = v;
        }
    }
}

/// The square step: the centre of each `step`-cell is the mean of its four corners plus noise.
fn fill_squares(map: &mut [f64], size: usize, step: usize, wibble: f64, seeds: &Seeds, level: u64) {
    let n = size / step;
    let half = step / 2;
    let grid: &[f64] = map;
    let corner = |i: usize, j: usize| grid[(i % n) * step * size + (j % n) * step];
    // numpy: sq = c + roll(c, -1, 0); sq += roll(sq, -1, 1)
    let values = wibbled_means(n, wibble, seeds, level, 0, |i, j| {
        (corner(i, j) + corner(i + 1, j)) + (corner(i, j + 1) + corner(i + 1, j + 1))
    });
    scatter(map, size, step, (half, half), &values);
}

/// The diamond step: the edge midpoints of each cell from the two neighbouring centres and the
/// two corners on that edge, plus noise (left/top edges, wrapping around the torus).
fn fill_diamonds(
    map: &mut [f64],
    size: usize,
    step: usize,
    wibble: f64,
    seeds: &Seeds,
    level: u64,
) {
    let n = size / step;
    let half = step / 2;
    let grid: &[f64] = map;
    let centre = |i: usize, j: usize| grid[(half + (i % n) * step) * size + half + (j % n) * step];
    let corner = |i: usize, j: usize| grid[(i % n) * step * size + (j % n) * step];
    // numpy: ldrsum = dr + roll(dr, 1, 0); lulsum = ul + roll(ul, -1, 1)
    let top = wibbled_means(n, wibble, seeds, level, 1, |i, j| {
        (centre(i, j) + centre(i + n - 1, j)) + (corner(i, j) + corner(i, j + 1))
    });
    // numpy: tdrsum = dr + roll(dr, 1, 1); tulsum = ul + roll(ul, -1, 0)
    let left = wibbled_means(n, wibble, seeds, level, 2, |i, j| {
        (centre(i, j) + centre(i, j + n - 1)) + (corner(i, j) + corner(i + 1, j))
    });
    scatter(map, size, step, (0, half), &top);
    scatter(map, size, step, (half, 0), &left);
}

/// Shifts and scales `values` to [0, 1] (`A -= A.min(); A /= A.max()`); a constant array
/// becomes all zeros.
fn normalise_unit(values: &mut [f64]) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
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
        .flat_map(|p| p.iter())
        .fold(0.0f64, |m, &v| m.max(f64::from(v)));
    let denominator = max_val + strength;
    if denominator <= 0.0 {
        return Ok(()); // black image and no fog: nothing to add or rescale
    }
    for plane in &mut planes.planes {
        plane
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(r, row)| {
                let fog_row = &map[r * size..r * size + width];
                for (v, &f) in row.iter_mut().zip(fog_row) {
                    *v = ((f64::from(*v) + strength * f) * max_val / denominator).clamp(0.0, 1.0)
                        as f32;
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

    /// Adds `amplitude · transform(noise)` to one row of a field.
    fn add_row(&self, y: usize, row: &mut [f32], amplitude: f32, transform: impl Fn(f32) -> f32) {
        let (i, fy) = self.cell(y, self.offset.1, self.rows);
        let (top, bottom) = (
            &self.values[i * self.cols..],
            &self.values[(i + 1) * self.cols..],
        );
        for (x, v) in row.iter_mut().enumerate() {
            let (j, fx) = self.cell(x, self.offset.0, self.cols);
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
        field
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(y, row)| {
                lattice.add_row(y, row, amplitude, transform);
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
        let first = a.0.min(b.0).ceil().max(0.0);
        let last = a.0.max(b.0).floor().min(major_len as f64 - 1.0);
        let reach = (half + 0.5) / cos;
        let mut major = first;
        while major <= last {
            let centre = a.1 + (major - a.0) * slope;
            let lo = (centre - reach).ceil().max(0.0);
            let hi = (centre + reach).floor().min(minor_len as f64 - 1.0);
            let mut minor = lo;
            while minor <= hi {
                let coverage = (half + 0.5 - (minor - centre).abs() * cos).clamp(0.0, 1.0);
                let (x, y) = if transposed {
                    (minor, major)
                } else {
                    (major, minor)
                };
                if let Some(v) = self.values.get_mut(y as usize * self.width + x as usize) {
                    *v = v.max((level * coverage) as f32);
                }
                minor += 1.0;
            }
            major += 1.0;
        }
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

/// The synthetic frost texture: luma in [0, 255], `width × height` (both ≥ 1). A style is drawn
/// uniformly from [`FROST_STYLES`]; a fractal background, optional ridged wrinkles and a
/// crystal layer are mixed and matched to the style's luma mean and standard deviation.
fn frost_texture(width: usize, height: usize, seeds: &Seeds) -> (Vec<f32>, &'static FrostStyle) {
    let style = &FROST_STYLES[seeds.global(stream_key(KEY_FROST, 0, 0, 0)).below(5) as usize];
    (styled_frost_texture(width, height, style, seeds), style)
}

/// The frost texture of one style (see [`frost_texture`]).
fn styled_frost_texture(
    width: usize,
    height: usize,
    style: &FrostStyle,
    seeds: &Seeds,
) -> Vec<f32> {
    let k = feature_scale(width, height, style);
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
}];

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

    #[test]
    #[ignore]
    fn time_kinds() {
        let image = rgb(224, 224);
        let g = gray(224, 224);
        let t = std::time::Instant::now();
        for s in 0..50 {
            plasma_fractal(256, 2.0, &Seeds::new(s));
        }
        println!("plasma {:.3} ms", t.elapsed().as_secs_f64() * 1000.0 / 50.0);
        let t = std::time::Instant::now();
        for _ in 0..50 {
            Planes::from_image(&image).to_image().unwrap();
        }
        println!("planes roundtrip {:.3} ms", t.elapsed().as_secs_f64() * 1000.0 / 50.0);
        let t = std::time::Instant::now();
        for s in 0..50 {
            styled_frost_texture(224, 224, &WHITE_FEATHERS, &Seeds::new(s));
        }
        println!("white frost texture {:.3} ms", t.elapsed().as_secs_f64() * 1000.0 / 50.0);
        for name in KINDS.iter().map(|k| k.name) {
            for sev in [1u8, 5] {
                for im in [&image, &g] {
                    let t = std::time::Instant::now();
                    let n = 50;
                    for s in 0..n {
                        perturb_at_severity(im, name, sev, s).unwrap();
                    }
                    println!(
                        "{name} {sev} {:?}: {:.3} ms",
                        im.pixel_type(),
                        t.elapsed().as_secs_f64() * 1000.0 / n as f64
                    );
                }
            }
        }
    }

    #[test]
    #[ignore]
    fn dump_frost_textures() {
        for (i, style) in FROST_STYLES.iter().enumerate() {
            for (w, h) in [(300usize, 300usize), (1024, 1024)] {
                let t = styled_frost_texture(w, h, style, &Seeds::new(5));
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
