//! Zoom: scipy `ndimage.zoom(order=1)` semantics and imagecorruptions' `clipped_zoom`
//! (REFERENCE.md §1.3).
//!
//! scipy's linear zoom with `grid_mode=False` maps output sample `i` of an axis of output
//! length `m` to input coordinate `t = i · (n − 1)/(m − 1)` and interpolates linearly between
//! `⌊t⌋` and `⌊t⌋ + 1` (clamped to `n − 1`); the output length is `round(n · z)` with Python's
//! half-to-even rounding. It is separable: rows are interpolated first into a scratch plane,
//! then columns, in parallel over output rows (the result does not depend on the thread
//! count).

use rayon::prelude::*;

/// scipy's output length of a zoom by `z` along an axis of length `n`: `round(n · z)`,
/// half-to-even like Python's `round` (at least 1 for `n` ≥ 1).
pub fn zoom_length(n: usize, z: f64) -> usize {
    let m = (n as f64 * z).round_ties_even();
    if m.is_finite() && m >= 1.0 {
        m as usize
    } else {
        usize::from(n > 0)
    }
}

/// A rectangle of a source plane: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    x0: usize,
    y0: usize,
    width: usize,
    height: usize,
}

/// For each output index `i < out`, the input sample `⌊t⌋`, its clamped neighbour and the
/// weight of the neighbour, for an axis of input length `n` zoomed to full length `m`.
fn axis_taps(n: usize, m: usize, out: usize) -> Vec<(usize, usize, f32)> {
    let step = if m > 1 {
        (n as f64 - 1.0) / (m as f64 - 1.0)
    } else {
        0.0
    };
    let last = n.saturating_sub(1);
    (0..out)
        .map(|i| {
            let t = i as f64 * step;
            let i0 = (t.floor().max(0.0) as usize).min(last);
            let frac = (t - i0 as f64).clamp(0.0, 1.0) as f32;
            (i0, (i0 + 1).min(last), frac)
        })
        .collect()
}

/// Zooms `window` of `src` (row stride `stride`) to a full size of `full = (mw, mh)` and
/// hands the top-left `out_width × out_height` samples of the result to `store(dst, value)`,
/// row-major in `dst`. `scratch` holds the row-interpolated window.
#[allow(clippy::too_many_arguments)]
fn zoom_window<F>(
    src: &[f32],
    stride: usize,
    window: Window,
    full: (usize, usize),
    out_width: usize,
    dst: &mut [f32],
    scratch: &mut Vec<f32>,
    store: F,
) where
    F: Fn(&mut f32, f32) + Sync,
{
    if window.width == 0 || window.height == 0 || out_width == 0 {
        return;
    }
    let out_height = dst.len() / out_width;
    let cols = axis_taps(window.width, full.0, out_width);
    let rows = axis_taps(window.height, full.1, out_height);
    scratch.clear();
    scratch.resize(window.height * out_width, 0.0);
    scratch
        .par_chunks_mut(out_width)
        .enumerate()
        .for_each(|(r, out)| {
            let start = (window.y0 + r) * stride + window.x0;
            let row = &src[start..start + window.width];
            for (o, &(c0, c1, f)) in out.iter_mut().zip(&cols) {
                *o = (1.0 - f) * row[c0] + f * row[c1];
            }
        });
    let tmp: &[f32] = scratch;
    dst.par_chunks_mut(out_width)
        .zip(rows.par_iter())
        .for_each(|(out, &(r0, r1, f))| {
            let a = &tmp[r0 * out_width..(r0 + 1) * out_width];
            let b = &tmp[r1 * out_width..(r1 + 1) * out_width];
            for ((o, &va), &vb) in out.iter_mut().zip(a).zip(b) {
                store(o, (1.0 - f) * va + f * vb);
            }
        });
}

/// scipy `ndimage.zoom(plane, order=1)` to an explicit output size (use [`zoom_length`] for
/// scipy's size from a factor). Returns `out_width × out_height` samples; an empty or
/// mismatched input gives zeros.
pub fn zoom_linear(
    src: &[f32],
    width: usize,
    height: usize,
    out_width: usize,
    out_height: usize,
) -> Vec<f32> {
    let mut dst = vec![0.0f32; out_width * out_height];
    if src.len() != width * height {
        return dst;
    }
    let window = Window {
        x0: 0,
        y0: 0,
        width,
        height,
    };
    let mut scratch = Vec::new();
    zoom_window(
        src,
        width,
        window,
        (out_width, out_height),
        out_width,
        &mut dst,
        &mut scratch,
        |o, v| *o = v,
    );
    dst
}

/// The centred crop of imagecorruptions' `clipped_zoom` and the full zoomed size:
/// `ch = ⌈n / z⌉`, `top = (n − ch) // 2`, output length `round(ch · z)` per axis.
fn clipped_geometry(width: usize, height: usize, z: f64) -> (Window, (usize, usize)) {
    let z = if z.is_finite() { z.max(1.0) } else { 1.0 };
    let crop = |n: usize| -> usize { ((n as f64 / z).ceil() as usize).clamp(1, n.max(1)) };
    let (cw, ch) = (crop(width), crop(height));
    let window = Window {
        x0: (width - cw) / 2,
        y0: (height - ch) / 2,
        width: cw,
        height: ch,
    };
    (window, (zoom_length(cw, z), zoom_length(ch, z)))
}

/// imagecorruptions' `clipped_zoom(img, z)` of one plane, untrimmed: crops the centred
/// `⌈H/z⌉ × ⌈W/z⌉` window and zooms it by `z` (scipy, order 1). Returns
/// `(samples, out_width, out_height)`; the output is at least `width × height` and may be a
/// pixel or two larger (snow motion-blurs this full layer before trimming it). `z` < 1 is
/// treated as 1 (the Python slices with negative offsets there; no table uses it).
pub fn clipped_zoom(src: &[f32], width: usize, height: usize, z: f64) -> (Vec<f32>, usize, usize) {
    if width == 0 || height == 0 || src.len() != width * height {
        return (Vec::new(), 0, 0);
    }
    let (window, full) = clipped_geometry(width, height, z);
    let mut dst = vec![0.0f32; full.0 * full.1];
    let mut scratch = Vec::new();
    zoom_window(
        src,
        width,
        window,
        full,
        full.0,
        &mut dst,
        &mut scratch,
        |o, v| *o = v,
    );
    (dst, full.0, full.1)
}

/// `clipped_zoom(img, z)[:H, :W]` of one plane (trimmed from the top-left, as
/// imagecorruptions' zoom_blur does), written into `dst` (`width × height`). Only the kept
/// samples are computed. `scratch` is reused working memory. Mismatched lengths leave `dst`
/// unchanged.
pub fn clipped_zoom_into(
    src: &[f32],
    width: usize,
    height: usize,
    z: f64,
    dst: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    clipped_zoom_trimmed(src, width, height, z, dst, scratch, |o, v| *o = v);
}

/// `acc += clipped_zoom(img, z)[:H, :W]` (f32 addition, as zoom_blur's float32
/// accumulator), without materialising the zoomed plane.
pub fn clipped_zoom_add(
    src: &[f32],
    width: usize,
    height: usize,
    z: f64,
    acc: &mut [f32],
    scratch: &mut Vec<f32>,
) {
    clipped_zoom_trimmed(src, width, height, z, acc, scratch, |o, v| *o += v);
}

/// Shared body of [`clipped_zoom_into`] and [`clipped_zoom_add`].
fn clipped_zoom_trimmed<F>(
    src: &[f32],
    width: usize,
    height: usize,
    z: f64,
    dst: &mut [f32],
    scratch: &mut Vec<f32>,
    store: F,
) where
    F: Fn(&mut f32, f32) + Sync,
{
    let n = width * height;
    if n == 0 || src.len() != n || dst.len() != n {
        return;
    }
    let (window, full) = clipped_geometry(width, height, z);
    zoom_window(src, width, window, full, width, dst, scratch, store);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_half_to_even() {
        assert_eq!(zoom_length(10, 1.25), 12); // 12.5 → 12
        assert_eq!(zoom_length(10, 1.35), 14); // 13.5 → 14
        assert_eq!(zoom_length(224, 1.0), 224);
        assert_eq!(zoom_length(1, 0.1), 1);
    }

    #[test]
    fn linear_zoom_matches_scipy_grid() {
        // scipy.ndimage.zoom([0, 1, 2, 3], 1.5, order=1) → 6 samples at t = i·3/5
        let out = zoom_linear(&[0.0, 1.0, 2.0, 3.0], 4, 1, 6, 1);
        let expected = [0.0, 0.6, 1.2, 1.8, 2.4, 3.0];
        for (o, e) in out.iter().zip(expected) {
            assert!((o - e).abs() < 1e-6, "{out:?}");
        }
        // same size: identity
        let src: Vec<f32> = (0..12).map(|i| i as f32 * 0.1).collect();
        assert_eq!(zoom_linear(&src, 4, 3, 4, 3), src);
    }

    #[test]
    fn clipped_zoom_crops_centre_and_trims_top_left() {
        // 10 wide, z = 2: crop ceil(5) = 5 from (10 − 5)//2 = 2 → columns 2..7,
        // zoomed to 10 samples at t = i·4/9.
        let src: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let (full, w, h) = clipped_zoom(&src, 10, 1, 2.0);
        assert_eq!((w, h), (10, 2)); // one row zooms to round(1 · 2) = 2 rows
        for (i, v) in full[..10].iter().enumerate() {
            let t = 2.0 + i as f32 * 4.0 / 9.0;
            assert!((v - t).abs() < 1e-5, "{i}: {v} vs {t}");
        }
        // 11 wide, z = 1.5: crop ceil(7.33) = 8 from 1, full length round(12.0) = 12 > 11
        let src: Vec<f32> = (0..11).map(|i| i as f32).collect();
        let (full, w, _) = clipped_zoom(&src, 11, 1, 1.5);
        assert_eq!(w, 12);
        let mut trimmed = vec![0.0; 11];
        let mut scratch = Vec::new();
        clipped_zoom_into(&src, 11, 1, 1.5, &mut trimmed, &mut scratch);
        assert_eq!(&full[..11], &trimmed[..]);
        let mut acc = vec![1.0; 11];
        clipped_zoom_add(&src, 11, 1, 1.5, &mut acc, &mut scratch);
        for (a, t) in acc.iter().zip(&trimmed) {
            assert!((a - 1.0 - t).abs() < 1e-6);
        }
    }

    #[test]
    fn zoom_one_is_identity_and_tiny_planes_work() {
        let src: Vec<f32> = (0..20).map(|i| (i as f32 * 0.37).fract()).collect();
        let mut dst = vec![0.0; 20];
        let mut scratch = Vec::new();
        clipped_zoom_into(&src, 5, 4, 1.0, &mut dst, &mut scratch);
        assert_eq!(dst, src);
        let mut one = vec![0.0];
        clipped_zoom_into(&[0.5], 1, 1, 3.0, &mut one, &mut scratch);
        assert_eq!(one, [0.5]);
    }
}
