//! Resizing of one plane with Pillow's `Image.resize` semantics: `BOX` (area average),
//! `BILINEAR` (triangle filter, antialiased when shrinking) and `NEAREST`.
//!
//! Ported from Pillow's `libImaging/Resample.c` (`precompute_coeffs`,
//! `normalize_coeffs_8bpc`, `ImagingResampleHorizontal_8bpc`/`_32bpc`, the vertical passes)
//! and `libImaging/Geometry.c` (`ImagingScaleAffine`, used for `NEAREST`), as described in
//! REFERENCE.md §1.5. The 8-bit path is bit-exact with Pillow 13 (22-bit fixed-point weights,
//! an 8-bit intermediate between the two passes, Pillow's order of the passes; checked on
//! random images of many sizes, down- and up-sampling); the `f32` path follows Pillow's `F`
//! mode (f64 weights, f32 intermediate), which is what 16-bit planes use.
//!
//! Users: `pixelate` (BOX down, NEAREST or BOX up), resolution loss (area down, bilinear up).

use rayon::prelude::*;

use crate::error::PerturbError;

/// Pillow's fixed-point precision for 8-bit resampling (`PRECISION_BITS = 32 - 8 - 2`).
const PRECISION_BITS: u32 = 22;

/// Below this many output values a pass runs on one thread (rayon's start-up would cost more
/// than the work at thumbnail sizes).
const PARALLEL_MIN_VALUES: usize = 1 << 16;

/// A Pillow resampling filter with a finite support (`Image.BOX`, `Image.BILINEAR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Area average: each output pixel is the mean of the input pixels its footprint covers
    /// (support 0.5 × scale). Up-sampling with it picks the input pixel under the output
    /// pixel's centre.
    Box,
    /// Triangle filter (support 1 × scale): bilinear interpolation when enlarging, an
    /// antialiasing tent over the footprint when shrinking.
    Bilinear,
}

impl Filter {
    /// Half-width of the filter at scale 1 (Pillow's `filter->support`).
    fn support(self) -> f64 {
        match self {
            Filter::Box => 0.5,
            Filter::Bilinear => 1.0,
        }
    }

    /// The filter's weight at distance `x` (Pillow's `box_filter` / `bilinear_filter`).
    fn weight(self, x: f64) -> f64 {
        match self {
            Filter::Box => {
                if x > -0.5 && x <= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
            Filter::Bilinear => {
                let x = x.abs();
                if x < 1.0 {
                    1.0 - x
                } else {
                    0.0
                }
            }
        }
    }
}

/// The input window and normalised weights of every output sample along one axis.
struct Coeffs {
    /// Maximum window length (stride of `weights`).
    ksize: usize,
    /// For each output index: first input index and window length.
    bounds: Vec<(usize, usize)>,
    /// `ksize` weights per output index (unused tail zero).
    weights: Vec<f64>,
}

impl Coeffs {
    /// Pillow's `precompute_coeffs` for the whole axis (`box = (0, in_size)`).
    fn new(in_size: usize, out_size: usize, filter: Filter) -> Coeffs {
        let scale = in_size as f64 / out_size as f64;
        let filter_scale = scale.max(1.0);
        let support = filter.support() * filter_scale;
        let ksize = (support.ceil() as usize) * 2 + 1;
        let inv = 1.0 / filter_scale;
        let mut bounds = Vec::with_capacity(out_size);
        let mut weights = vec![0.0; out_size * ksize];
        for (xx, k) in weights.chunks_mut(ksize).enumerate() {
            let center = (xx as f64 + 0.5) * scale;
            // `(int)` casts truncate toward zero; negative starts clamp to 0 anyway.
            let xmin = trunc_nonneg(center - support + 0.5);
            let xmax = trunc_nonneg(center + support + 0.5).min(in_size);
            let count = xmax.saturating_sub(xmin).min(ksize);
            let mut total = 0.0;
            for (x, w) in k.iter_mut().take(count).enumerate() {
                *w = filter.weight(((x + xmin) as f64 - center + 0.5) * inv);
                total += *w;
            }
            if total != 0.0 {
                for w in k.iter_mut().take(count) {
                    *w /= total;
                }
            }
            bounds.push((xmin, count));
        }
        Coeffs {
            ksize,
            bounds,
            weights,
        }
    }

    /// Pillow's `normalize_coeffs_8bpc`: weights as 22-bit fixed point, rounded half away
    /// from zero.
    fn fixed(&self) -> Vec<i64> {
        let one = f64::from(1u32 << PRECISION_BITS);
        self.weights
            .iter()
            .map(|&w| {
                if w < 0.0 {
                    (-0.5 + w * one) as i64
                } else {
                    (0.5 + w * one) as i64
                }
            })
            .collect()
    }

    /// The input rows (or columns) any output sample reads: `first..end`.
    fn span(&self) -> (usize, usize) {
        let first = self.bounds.first().map_or(0, |b| b.0);
        let end = self.bounds.last().map_or(0, |b| b.0 + b.1);
        (first, end.max(first))
    }
}

/// `(int)v` for a value that is clamped at 0 from below (Pillow clamps `xmin < 0` to 0).
fn trunc_nonneg(v: f64) -> usize {
    if v <= 0.0 {
        0
    } else {
        v as usize
    }
}

/// Checks that `src` holds `width × height` samples and that no size is zero.
fn check_sizes(
    len: usize,
    width: usize,
    height: usize,
    out_w: usize,
    out_h: usize,
) -> Result<(), PerturbError> {
    if width == 0 || height == 0 || len != width * height {
        return Err(PerturbError::ImageSize {
            width,
            height,
            channels: 1,
            expected: width * height,
            actual: len,
        });
    }
    if out_w == 0 || out_h == 0 {
        return Err(PerturbError::TooSmall {
            kind: "resize",
            min: 1,
            width: out_w,
            height: out_h,
        });
    }
    Ok(())
}

/// Fills `out` row by row (`row_len` values each) with `f(row_index, row)`, in parallel when
/// the output is large. Each row depends only on its index, so the result is the same on any
/// thread count.
fn fill_rows<T, F>(out: &mut [T], row_len: usize, f: F)
where
    T: Send,
    F: Fn(usize, &mut [T]) + Sync,
{
    if row_len == 0 {
        return;
    }
    if out.len() >= PARALLEL_MIN_VALUES {
        out.par_chunks_mut(row_len)
            .enumerate()
            .for_each(|(y, row)| f(y, row));
    } else {
        out.chunks_mut(row_len)
            .enumerate()
            .for_each(|(y, row)| f(y, row));
    }
}

/// Pillow's `clip8`: `ss >> 22` clamped to 0..=255 (arithmetic shift, so it floors).
#[inline(always)]
fn clip8(ss: i64) -> u8 {
    (ss >> PRECISION_BITS).clamp(0, 255) as u8
}

/// A sample type Pillow resamples, with its weight and accumulator representation.
trait Sample: Copy + Default + Send + Sync {
    /// Weight type (22-bit fixed point for 8-bit, f64 for float).
    type Weight: Copy + Send + Sync;
    /// Accumulator type (`int` for 8-bit, `double` for float, as in Pillow).
    type Acc: Copy + Send + Sync;
    /// The axis weights in this type's representation.
    fn weights(c: &Coeffs) -> Vec<Self::Weight>;
    /// The accumulator's start value (Pillow adds half of the last bit for rounding).
    fn start() -> Self::Acc;
    /// `acc + v · w`.
    fn mac(acc: Self::Acc, v: Self, w: Self::Weight) -> Self::Acc;
    /// The accumulator rounded and clamped as Pillow stores it.
    fn finish(acc: Self::Acc) -> Self;
    /// [`transpose`] of samples of this type (a type may have a faster way).
    fn transpose(src: &[Self], width: usize, height: usize, channels: usize) -> Vec<Self> {
        transpose(src, width, height, channels)
    }
}

impl Sample for u8 {
    type Weight = i32;
    type Acc = i32;
    fn weights(c: &Coeffs) -> Vec<i32> {
        // Box and triangle weights are in [0, 1]: fixed-point values ≤ 2^22, and a sum of at
        // most 255 · (2^22 + ksize) + 2^21 < 2^31, as in Pillow's `int` accumulator.
        c.fixed()
            .into_iter()
            .map(|k| k.clamp(0, 1 << PRECISION_BITS) as i32)
            .collect()
    }
    #[inline(always)]
    fn start() -> i32 {
        1 << (PRECISION_BITS - 1)
    }
    #[inline(always)]
    fn mac(acc: i32, v: u8, w: i32) -> i32 {
        acc + i32::from(v) * w
    }
    #[inline(always)]
    fn finish(acc: i32) -> u8 {
        clip8(i64::from(acc))
    }
    fn transpose(src: &[u8], width: usize, height: usize, channels: usize) -> Vec<u8> {
        if channels == 1 {
            transpose_bytes(src, width, height)
        } else {
            transpose(src, width, height, channels)
        }
    }
}

impl Sample for f32 {
    type Weight = f64;
    type Acc = f64;
    fn weights(c: &Coeffs) -> Vec<f64> {
        c.weights.clone()
    }
    #[inline(always)]
    fn start() -> f64 {
        0.0
    }
    #[inline(always)]
    fn mac(acc: f64, v: f32, w: f64) -> f64 {
        acc + f64::from(v) * w
    }
    #[inline(always)]
    fn finish(acc: f64) -> f32 {
        acc as f32
    }
}

/// Horizontal pass (Pillow `ImagingResampleHorizontal_*`) over input rows `first..end` of a
/// `width`-pixel-wide image of `channels` interleaved samples per pixel; the output has
/// `end - first` rows of `c.bounds.len()` pixels.
///
/// Transposed, the horizontal pass is a vertical one: whole rows accumulated tap by tap, which
/// vectorises, where gathering each output's taps from a row does not (measured: the gather
/// form was half of pixelate's time). Each output still sums the same taps in the same order
/// from the same start, so the result is identical.
fn horizontal<S: Sample>(
    src: &[S],
    (width, channels): (usize, usize),
    first: usize,
    end: usize,
    c: &Coeffs,
) -> Vec<S> {
    let rows = end.saturating_sub(first);
    let row_len = width * channels;
    let columns = S::transpose(&src[first * row_len..end * row_len], width, rows, channels);
    let resampled = vertical(&columns, rows * channels, 0, c);
    S::transpose(&resampled, rows, c.bounds.len(), channels)
}

/// The transpose of a `width × height` image of `channels` interleaved samples per pixel:
/// `height × width` pixels.
fn transpose<T: Copy + Default>(src: &[T], width: usize, height: usize, channels: usize) -> Vec<T> {
    match channels {
        1 => transpose_pixels::<T, 1>(src, width, height),
        3 => transpose_pixels::<T, 3>(src, width, height),
        _ => {
            let mut out = vec![T::default(); src.len()];
            for y in 0..height {
                for x in 0..width {
                    let (from, to) = ((y * width + x) * channels, (x * height + y) * channels);
                    if let (Some(d), Some(s)) = (
                        out.get_mut(to..to + channels),
                        src.get(from..from + channels),
                    ) {
                        d.copy_from_slice(s);
                    }
                }
            }
            out
        }
    }
}

/// [`transpose`] for `C` samples per pixel, moved as one `[T; C]` value (measured: moving a
/// pixel sample by sample through checked sub-slices cost three times as much, a third of
/// pixelate's RGB time). Done in square tiles so that reads and writes both stay within a few
/// cache lines; each output column of a tile is written as one contiguous run.
fn transpose_pixels<T: Copy + Default, const C: usize>(
    src: &[T],
    width: usize,
    height: usize,
) -> Vec<T> {
    const TILE: usize = 16;
    let (pixels, _) = src.as_chunks::<C>();
    let mut out = vec![[T::default(); C]; pixels.len()];
    if width == 0 || height == 0 || pixels.len() != width * height {
        return out.into_flattened();
    }
    for y0 in (0..height).step_by(TILE) {
        let y1 = (y0 + TILE).min(height);
        let rows = &pixels[y0 * width..y1 * width];
        for x0 in (0..width).step_by(TILE) {
            for x in x0..(x0 + TILE).min(width) {
                let column = &mut out[x * height + y0..x * height + y1];
                for (d, row) in column.iter_mut().zip(rows.chunks_exact(width)) {
                    *d = row[x];
                }
            }
        }
    }
    out.into_flattened()
}

/// [`transpose`] of an 8-bit plane: 8 × 8 blocks transposed inside eight `u64` words (three
/// rounds of masked shifts and exchanges, the SWAR form of the "recursive" transpose), the
/// edges that do not fill a block moved one byte at a time. Hand-written because no
/// maintained crate transposes byte matrices without `unsafe` in the caller; measured: the
/// byte-by-byte tiles were half of gray pixelate's time.
fn transpose_bytes(src: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut out = vec![0u8; src.len()];
    if width == 0 || height == 0 || src.len() != width * height {
        return out;
    }
    super::wide::run(TransposeBytes {
        src,
        out: &mut out,
        width,
        height,
    });
    out
}

/// [`transpose_bytes`]'s arguments, as a job [`super::wide::run`] compiles for wide registers.
struct TransposeBytes<'a> {
    src: &'a [u8],
    out: &'a mut [u8],
    width: usize,
    height: usize,
}

impl pulp::NullaryFnOnce for TransposeBytes<'_> {
    type Output = ();
    #[inline(always)]
    fn call(self) {
        let TransposeBytes {
            src,
            out,
            width,
            height,
        } = self;
        transpose_bytes_into(src, out, width, height);
    }
}

/// The body of [`transpose_bytes`]: `out` has `src`'s length.
#[inline(always)]
fn transpose_bytes_into(src: &[u8], out: &mut [u8], width: usize, height: usize) {
    let (full_w, full_h) = (width / 8 * 8, height / 8 * 8);
    let word = |bytes: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[..8]);
        u64::from_le_bytes(w)
    };
    for y0 in (0..full_h).step_by(8) {
        for x0 in (0..full_w).step_by(8) {
            let mut a = [0u64; 8];
            for (r, a) in a.iter_mut().enumerate() {
                *a = word(&src[(y0 + r) * width + x0..]);
            }
            for (j, a) in transpose_8x8(a).iter().enumerate() {
                let at = (x0 + j) * height + y0;
                out[at..at + 8].copy_from_slice(&a.to_le_bytes());
            }
        }
    }
    // Right edge (columns past the last full block), then bottom edge (rows past it).
    for y in 0..height {
        for x in full_w..width {
            out[x * height + y] = src[y * width + x];
        }
    }
    for y in full_h..height {
        for x in 0..full_w {
            out[x * height + y] = src[y * width + x];
        }
    }
}

/// Transposes the 8 × 8 byte matrix whose row `i` is word `a[i]` (byte `j` = column `j`,
/// little-endian): 2 × 2 blocks of bytes, then of byte pairs, then of 4-byte halves. Written
/// out pair by pair so that the words stay in registers (as a loop they went through memory).
#[inline(always)]
fn transpose_8x8(a: [u64; 8]) -> [u64; 8] {
    const BYTES: u64 = 0x00FF_00FF_00FF_00FF;
    const PAIRS: u64 = 0x0000_FFFF_0000_FFFF;
    const HALVES: u64 = 0x0000_0000_FFFF_FFFF;
    let [mut a0, mut a1, mut a2, mut a3, mut a4, mut a5, mut a6, mut a7] = a;
    macro_rules! exchange {
        ($x:ident, $y:ident, $shift:expr, $mask:expr) => {
            let t = (($x >> $shift) ^ $y) & $mask;
            $y ^= t;
            $x ^= t << $shift;
        };
    }
    exchange!(a0, a1, 8, BYTES);
    exchange!(a2, a3, 8, BYTES);
    exchange!(a4, a5, 8, BYTES);
    exchange!(a6, a7, 8, BYTES);
    exchange!(a0, a2, 16, PAIRS);
    exchange!(a1, a3, 16, PAIRS);
    exchange!(a4, a6, 16, PAIRS);
    exchange!(a5, a7, 16, PAIRS);
    exchange!(a0, a4, 32, HALVES);
    exchange!(a1, a5, 32, HALVES);
    exchange!(a2, a6, 32, HALVES);
    exchange!(a3, a7, 32, HALVES);
    [a0, a1, a2, a3, a4, a5, a6, a7]
}

/// Vertical pass (Pillow `ImagingResampleVertical_*`) of a `width`-wide plane whose row 0 is
/// input row `first`; the output has `c.bounds.len()` rows. Whole rows are accumulated tap by
/// tap (same per-pixel order of operations as Pillow, but contiguous and vectorisable).
fn vertical<S: Sample>(src: &[S], width: usize, first: usize, c: &Coeffs) -> Vec<S> {
    let k = S::weights(c);
    let mut out = vec![S::default(); width * c.bounds.len()];
    fill_rows(&mut out, width, |yy, row| {
        let (ymin, count) = c.bounds[yy];
        let top = ymin - first;
        super::wide::run(VerticalRow {
            row,
            lines: &src[top * width..(top + count) * width],
            weights: &k[yy * c.ksize..yy * c.ksize + count],
        });
    });
    out
}

/// One output row of [`vertical`], as a job [`super::wide::run`] compiles for wide registers
/// (measured: the 8-bit pass's 32-bit multiplies have no SSE2 instruction, and the pass was
/// half of pixelate's RGB time).
struct VerticalRow<'a, S: Sample> {
    /// The output row.
    row: &'a mut [S],
    /// The input rows it reads, one after the other, each `row.len()` long.
    lines: &'a [S],
    /// One weight per input row.
    weights: &'a [S::Weight],
}

impl<S: Sample> pulp::NullaryFnOnce for VerticalRow<'_, S> {
    type Output = ();
    /// Accumulates the whole row tap by tap (each tap one streaming pass over the row), then
    /// rounds it out: same per-sample order of operations as Pillow.
    #[inline(always)]
    fn call(self) {
        let width = self.row.len();
        let mut acc = vec![S::start(); width];
        for (line, &w) in self.lines.chunks_exact(width.max(1)).zip(self.weights) {
            for (a, &v) in acc.iter_mut().zip(line) {
                *a = S::mac(*a, v, w);
            }
        }
        for (o, &a) in self.row.iter_mut().zip(&acc) {
            *o = S::finish(a);
        }
    }
}

/// Pillow's two-pass resize. Pillow 13 (the version REFERENCE.md was verified with) runs the
/// vertical pass first when the width grows and the height shrinks, the horizontal pass
/// first otherwise (measured: the other order differs by one level on some pixels); the
/// horizontal-first pass only covers the input rows the vertical pass reads.
fn resize_two_pass<S: Sample>(
    src: &[S],
    (width, channels): (usize, usize),
    height: usize,
    out_w: usize,
    out_h: usize,
    filter: Filter,
) -> Vec<S> {
    let horiz = (out_w != width).then(|| Coeffs::new(width, out_w, filter));
    let vert = (out_h != height).then(|| Coeffs::new(height, out_h, filter));
    match (horiz, vert) {
        (None, None) => src.to_vec(),
        (Some(h), None) => horizontal(src, (width, channels), 0, height, &h),
        (None, Some(v)) => vertical(src, width * channels, 0, &v),
        (Some(h), Some(v)) if out_w > width && out_h < height => {
            let temp = vertical(src, width * channels, 0, &v);
            horizontal(&temp, (width, channels), 0, out_h, &h)
        }
        (Some(h), Some(v)) => {
            let (first, end) = v.span();
            let temp = horizontal(src, (width, channels), first, end, &h);
            vertical(&temp, out_w * channels, first, &v)
        }
    }
}

/// Resizes an 8-bit plane exactly as Pillow's `Image.resize(size, filter)` on an `L` image:
/// bit-exact, including the 22-bit weight rounding, the 8-bit intermediate between the two
/// passes and their order. An axis whose size does not change is not resampled.
pub fn resize_u8(
    src: &[u8],
    width: usize,
    height: usize,
    out_w: usize,
    out_h: usize,
    filter: Filter,
) -> Result<Vec<u8>, PerturbError> {
    check_sizes(src.len(), width, height, out_w, out_h)?;
    Ok(resize_two_pass(
        src,
        (width, 1),
        height,
        out_w,
        out_h,
        filter,
    ))
}

/// Resizes an interleaved 8-bit RGB image exactly as Pillow's `Image.resize` on an `RGB`
/// image: each channel as [`resize_u8`] resizes it (Pillow's 8-bit kernels treat the channels
/// of a pixel independently with the same weights).
pub fn resize_rgb8(
    src: &[u8],
    width: usize,
    height: usize,
    out_w: usize,
    out_h: usize,
    filter: Filter,
) -> Result<Vec<u8>, PerturbError> {
    check_sizes(src.len() / 3, width, height, out_w, out_h)?;
    if !src.len().is_multiple_of(3) {
        return Err(PerturbError::ImageSize {
            width,
            height,
            channels: 3,
            expected: width * height * 3,
            actual: src.len(),
        });
    }
    Ok(resize_two_pass(
        src,
        (width, 3),
        height,
        out_w,
        out_h,
        filter,
    ))
}

/// Resizes a floating-point plane as Pillow does for an `F` (32-bit float) image: f64
/// weights, f64 accumulation, f32 intermediate and output, no rounding to levels. Used for
/// 16-bit planes, where the 8-bit fixed-point path would lose precision.
pub fn resize_f32(
    src: &[f32],
    width: usize,
    height: usize,
    out_w: usize,
    out_h: usize,
    filter: Filter,
) -> Result<Vec<f32>, PerturbError> {
    check_sizes(src.len(), width, height, out_w, out_h)?;
    Ok(resize_two_pass(
        src,
        (width, 1),
        height,
        out_w,
        out_h,
        filter,
    ))
}

/// The input index each output index reads under Pillow's `NEAREST` (`ImagingScaleAffine`):
/// the source coordinate starts at `a / 2` and is **accumulated** by `a = in / out` per step,
/// then truncated — not `floor((i + 0.5) · a)`, which differs on some sizes (REFERENCE §1.5).
pub fn nearest_indices(in_size: usize, out_size: usize) -> Vec<usize> {
    if in_size == 0 || out_size == 0 {
        return Vec::new();
    }
    let a = in_size as f64 / out_size as f64;
    let mut xo = a * 0.5;
    let mut indices = Vec::with_capacity(out_size);
    for _ in 0..out_size {
        indices.push((trunc_nonneg(xo)).min(in_size - 1));
        xo += a;
    }
    indices
}

/// Resizes a plane of any sample type with Pillow's `NEAREST` (see [`nearest_indices`]).
pub fn resize_nearest<T: Copy + Default + Send + Sync>(
    src: &[T],
    width: usize,
    height: usize,
    out_w: usize,
    out_h: usize,
) -> Result<Vec<T>, PerturbError> {
    check_sizes(src.len(), width, height, out_w, out_h)?;
    let cols = nearest_indices(width, out_w);
    let rows = nearest_indices(height, out_h);
    let mut out = vec![T::default(); out_w * out_h];
    // Output rows that read the same input row are filled once and copied.
    let mut groups: Vec<(usize, &mut [T])> = Vec::new();
    let mut rest: &mut [T] = &mut out;
    let mut yy = 0;
    while yy < out_h {
        let src_row = rows[yy];
        let repeats = rows[yy..].iter().take_while(|&&r| r == src_row).count();
        let (group, tail) = rest.split_at_mut(repeats * out_w);
        groups.push((src_row, group));
        rest = tail;
        yy += repeats;
    }
    let fill = |(src_row, group): (usize, &mut [T])| {
        let line = &src[src_row * width..(src_row + 1) * width];
        let (first, copies) = group.split_at_mut(out_w);
        for (out, &x) in first.iter_mut().zip(&cols) {
            *out = line[x];
        }
        for copy in copies.chunks_exact_mut(out_w) {
            copy.copy_from_slice(first);
        }
    };
    if out_w * out_h >= PARALLEL_MIN_VALUES {
        groups.into_par_iter().for_each(fill);
    } else {
        groups.into_iter().for_each(fill);
    }
    Ok(out)
}

/// Resizes a normalised plane (values in [0, 1]) the way Pillow would resize the image it came
/// from: for 8-bit sources (`eight_bit`) the values are taken as levels `round(v · 255)`, resized
/// bit-exactly with [`resize_u8`] and returned as `level / 255`; otherwise (16-bit) with
/// [`resize_f32`].
pub fn resize_plane(
    plane: &[f32],
    width: usize,
    height: usize,
    out_w: usize,
    out_h: usize,
    filter: Filter,
    eight_bit: bool,
) -> Result<Vec<f32>, PerturbError> {
    if eight_bit {
        let levels = to_levels(plane);
        let out = resize_u8(&levels, width, height, out_w, out_h, filter)?;
        Ok(from_levels(&out))
    } else {
        resize_f32(plane, width, height, out_w, out_h, filter)
    }
}

/// `level / 255` in `f32` for every 8-bit level: the plane value of a level.
pub const LEVEL_F32: [f32; 256] = {
    let mut table = [0.0; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = i as f32 / 255.0;
        i += 1;
    }
    table
};

/// The 8-bit level nearest to `v · 255`, clamped to 0..=255 (NaN gives 0). Values of an
/// 8-bit source are exact levels up to f32 rounding, so this recovers them.
#[inline]
pub fn level_of(v: f32) -> u8 {
    // Adding 2^23 puts round-to-nearest(x) in the low mantissa bits for x in [0, 2^23):
    // branch-free and vectorisable, unlike a saturating float-to-int cast.
    let x = (v * 255.0).clamp(0.0, 255.0);
    let x = if x.is_nan() { 0.0 } else { x };
    ((x + 8_388_608.0).to_bits() & 0xFF) as u8
}

/// 8-bit levels of a normalised plane (see [`level_of`]).
pub fn to_levels(plane: &[f32]) -> Vec<u8> {
    plane.iter().map(|&v| level_of(v)).collect()
}

/// Normalised plane of 8-bit levels (`level / 255`).
pub fn from_levels(levels: &[u8]) -> Vec<f32> {
    levels.iter().map(|&v| LEVEL_F32[usize::from(v)]).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_transpose_equals_the_plain_one() {
        for (w, h) in [
            (1, 1),
            (8, 8),
            (16, 8),
            (9, 17),
            (224, 224),
            (89, 224),
            (31, 5),
        ] {
            let src: Vec<u8> = (0..w * h).map(|i| (i * 131 % 251) as u8).collect();
            assert_eq!(
                transpose_bytes(&src, w, h),
                transpose(&src, w, h, 1),
                "{w}×{h}"
            );
        }
    }

    use super::*;

    fn ramp(width: usize, height: usize) -> Vec<u8> {
        (0..width * height)
            .map(|i| {
                let (x, y) = (i % width, i / width);
                ((3 * x + 5 * y + (x * x + 2 * y * y) % 23) % 256) as u8
            })
            .collect()
    }

    #[test]
    fn same_size_is_the_identity() {
        let src = ramp(37, 33);
        for filter in [Filter::Box, Filter::Bilinear] {
            assert_eq!(resize_u8(&src, 37, 33, 37, 33, filter).unwrap(), src);
        }
        assert_eq!(resize_nearest(&src, 37, 33, 37, 33).unwrap(), src);
    }

    #[test]
    fn box_halving_averages_2x2_blocks() {
        let src = vec![
            0u8, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150,
        ];
        let out = resize_u8(&src, 4, 4, 2, 2, Filter::Box).unwrap();
        // (0+10+40+50)/4 = 25 etc., rounded by the fixed-point passes.
        assert_eq!(out, vec![25, 45, 105, 125]);
        let f: Vec<f32> = src.iter().map(|&v| f32::from(v)).collect();
        assert_eq!(
            resize_f32(&f, 4, 4, 2, 2, Filter::Box).unwrap(),
            vec![25.0, 45.0, 105.0, 125.0]
        );
    }

    #[test]
    fn box_counts_whole_pixels_like_pillow() {
        // 3 → 2: Pillow's box takes whole pixels whose offset lies in (-0.5, 0.5], not
        // fractional coverage: output 0 averages inputs 0 and 1, output 1 is input 2 alone.
        let c = Coeffs::new(3, 2, Filter::Box);
        assert_eq!(c.bounds, vec![(0, 2), (2, 1)]);
        assert_eq!(c.fixed()[..2], [2_097_152, 2_097_152]);
        assert_eq!(
            resize_u8(&[0, 100, 200], 3, 1, 2, 1, Filter::Box).unwrap(),
            vec![50, 200]
        );
    }

    #[test]
    fn nearest_accumulates_the_step() {
        // REFERENCE §1.5: in 34, out 57, index 28 reads 16 (floor(28.5·34/57) would be 17).
        assert_eq!(nearest_indices(34, 57)[28], 16);
        assert_eq!(nearest_indices(4, 8), vec![0, 0, 1, 1, 2, 2, 3, 3]);
    }

    #[test]
    fn bilinear_upsampling_interpolates() {
        let out = resize_u8(&[0, 100], 2, 1, 4, 1, Filter::Bilinear).unwrap();
        // Centres at 0.25, 0.75, 1.25, 1.75 input pixels → 0, 25, 75, 100.
        assert_eq!(out, vec![0, 25, 75, 100]);
    }

    #[test]
    fn widening_while_shortening_runs_the_vertical_pass_first() {
        // Pillow 13.0.0 output; the horizontal-first order gives 130 instead of 131 at index 6.
        let src = [
            95, 173, 31, 222, 87, 58, 139, 229, 226, 223, 78, 4, 199, 181, 197, 0, 9, 128,
        ];
        let expected = [
            122, 143, 111, 37, 192, 158, 131, 118, 181, 164, 139, 115, 208, 168, 138, 128, 43, 45,
            82, 143,
        ];
        assert_eq!(
            resize_u8(&src, 3, 6, 4, 5, Filter::Bilinear).unwrap(),
            expected
        );
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(resize_u8(&[1, 2, 3], 2, 2, 1, 1, Filter::Box).is_err());
        assert!(resize_u8(&[1, 2, 3, 4], 2, 2, 0, 1, Filter::Box).is_err());
        assert!(resize_nearest(&[1u8], 1, 1, 1, 0).is_err());
    }

    #[test]
    fn level_of_rounds_and_clamps() {
        for level in 0..=255u8 {
            assert_eq!(level_of(LEVEL_F32[usize::from(level)]), level);
            assert_eq!(level_of(f32::from(level) / 255.0), level);
        }
        assert_eq!(level_of(0.4 / 255.0), 0);
        assert_eq!(level_of(0.6 / 255.0), 1);
        assert_eq!(level_of(-3.0), 0);
        assert_eq!(level_of(7.0), 255);
        assert_eq!(level_of(f32::NAN), 0);
    }

    #[test]
    fn plane_round_trip_keeps_levels() {
        let src = ramp(20, 10);
        let plane = from_levels(&src);
        let out = resize_plane(&plane, 20, 10, 20, 10, Filter::Box, true).unwrap();
        assert_eq!(to_levels(&out), src);
    }
}
