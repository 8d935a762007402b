//! Geometry: bilinear sampling at arbitrary coordinates (scipy `map_coordinates`, order 1)
//! and affine warps (rotation, translation, scaling) with a fill value.
//!
//! Coordinates are `(row, col)` in pixel units with pixel centres at integers, as in
//! `scipy.ndimage`. Sampling is done in `f64` with scipy's weights and summation order, so a
//! port of a scipy-based corruption (imagecorruptions' `elastic_transform`, REFERENCE.md
//! §5.10) reproduces it to within `f64` rounding before the final `f32` store.

use rayon::prelude::*;

/// How [`sample_bilinear`] treats neighbours and coordinates outside the plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Boundary {
    /// scipy `mode='reflect'`: the plane is extended half-sample symmetrically
    /// (`… 1 0 | 0 1 … n−1 | n−1 n−2 …`, period 2n) and interpolated everywhere. This is what
    /// imagecorruptions' `elastic_transform` uses (REFERENCE.md §5.10).
    Reflect,
    /// scipy `mode='nearest'`: the edge sample is repeated.
    Nearest,
    /// scipy `mode='constant'` with `cval` = the given value: a coordinate outside
    /// `[0, n−1]` on either axis gives the value; inside, plain bilinear interpolation of the
    /// plane (the fill never blends in). Used by the affine warps.
    Constant(f32),
}

/// A read-only view of one plane, checked once so that sampling never indexes out of bounds.
#[derive(Debug, Clone, Copy)]
pub struct PlaneView<'a> {
    data: &'a [f32],
    width: usize,
    height: usize,
}

impl<'a> PlaneView<'a> {
    /// A view of `data` as `height` rows of `width` values; `None` unless both sides are at
    /// least 1 and `data` holds exactly `width × height` values.
    pub fn new(data: &'a [f32], width: usize, height: usize) -> Option<PlaneView<'a>> {
        let valid = width > 0 && height > 0 && width.checked_mul(height) == Some(data.len());
        valid.then_some(PlaneView {
            data,
            width,
            height,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    #[inline]
    fn at(&self, row: usize, col: usize) -> f64 {
        f64::from(self.data[row * self.width + col])
    }
}

/// Index `i` of the half-sample-symmetric extension of an axis of length `n` (period 2n):
/// −1 → 0, −2 → 1, n → n−1, n+1 → n−2 (scipy `reflect`, REFERENCE.md §1.2).
#[inline]
fn reflect_index(i: i64, n: usize) -> usize {
    let n = n as i64;
    if n <= 1 {
        return 0;
    }
    let period = 2 * n;
    let m = i.rem_euclid(period);
    (if m >= n { period - 1 - m } else { m }) as usize
}

/// Index `i` clamped to `[0, n−1]` (scipy `nearest`).
#[inline]
fn clamp_index(i: i64, n: usize) -> usize {
    i.clamp(0, n as i64 - 1) as usize
}

/// scipy's order-1 spline weights for fractional part `t`: `w0 = 1 − t`, `w1 = 1 − w0`
/// (`get_spline_interpolation_weights`, which makes the weights sum to exactly 1).
#[inline]
fn weights(t: f64) -> (f64, f64) {
    let w0 = 1.0 - t;
    (w0, 1.0 - w0)
}

/// `floor(x)` as an integer without a libm call (the truncating cast saturates for huge or
/// infinite `x` and gives 0 for NaN), and the fractional part `x − floor(x)`.
#[inline]
fn split(x: f64) -> (i64, f64) {
    let t = x as i64;
    let i = if (t as f64) > x { t - 1 } else { t };
    (i, x - i as f64)
}

/// Bilinear interpolation of the four samples at `rows` × `cols` with fractional offsets
/// `fr`, `fc`; summed in scipy's order (`((v · w_row) · w_col)`, row-major neighbours).
#[inline]
fn blend(view: &PlaneView, rows: (usize, usize), cols: (usize, usize), fr: f64, fc: f64) -> f32 {
    let (wr0, wr1) = weights(fr);
    let (wc0, wc1) = weights(fc);
    let acc = view.at(rows.0, cols.0) * wr0 * wc0
        + view.at(rows.0, cols.1) * wr0 * wc1
        + view.at(rows.1, cols.0) * wr1 * wc0
        + view.at(rows.1, cols.1) * wr1 * wc1;
    acc as f32
}

/// The value of the plane at the fractional position `(row, col)` by bilinear
/// interpolation, with scipy `map_coordinates(order=1, mode=…)` semantics for `boundary`.
/// Non-finite coordinates never panic; they give NaN or the fill value (the core maps NaN
/// to 0 when it converts back to pixels).
#[inline(always)]
pub fn sample_bilinear(view: &PlaneView, row: f64, col: f64, boundary: Boundary) -> f32 {
    let (r0, fr) = split(row);
    let (c0, fc) = split(col);
    // Fast path, inlined: all four neighbours inside (most pixels of a warp).
    if r0 >= 0 && c0 >= 0 && (r0 as usize) + 1 < view.height && (c0 as usize) + 1 < view.width {
        let top = r0 as usize * view.width + c0 as usize;
        let bottom = top + view.width;
        if let (Some(&[a, b]), Some(&[c, d])) = (
            view.data.get(top..top + 2),
            view.data.get(bottom..bottom + 2),
        ) {
            let (wr0, wr1) = weights(fr);
            let (wc0, wc1) = weights(fc);
            let acc = f64::from(a) * wr0 * wc0
                + f64::from(b) * wr0 * wc1
                + f64::from(c) * wr1 * wc0
                + f64::from(d) * wr1 * wc1;
            return acc as f32;
        }
    }
    sample_at_border(view, (row, r0, fr), (col, c0, fc), boundary)
}

/// The slow path of [`sample_bilinear`]: a neighbour lies outside the plane, so the boundary
/// mode decides. `row` and `col` are (coordinate, floor, fraction).
#[inline(never)]
fn sample_at_border(
    view: &PlaneView,
    row: (f64, i64, f64),
    col: (f64, i64, f64),
    boundary: Boundary,
) -> f32 {
    let (h, w) = (view.height, view.width);
    let (r0, c0) = (row.1, col.1);
    let (r1, c1) = (r0.saturating_add(1), c0.saturating_add(1));
    match boundary {
        Boundary::Reflect => blend(
            view,
            (reflect_index(r0, h), reflect_index(r1, h)),
            (reflect_index(c0, w), reflect_index(c1, w)),
            row.2,
            col.2,
        ),
        Boundary::Nearest => blend(
            view,
            (clamp_index(r0, h), clamp_index(r1, h)),
            (clamp_index(c0, w), clamp_index(c1, w)),
            row.2,
            col.2,
        ),
        Boundary::Constant(fill) => {
            let inside =
                (0.0..=(h - 1) as f64).contains(&row.0) && (0.0..=(w - 1) as f64).contains(&col.0);
            if !inside {
                return fill;
            }
            // On the last row/column the second neighbour has weight 0: clamp its index.
            blend(
                view,
                (clamp_index(r0, h), clamp_index(r1, h)),
                (clamp_index(c0, w), clamp_index(c1, w)),
                row.2,
                col.2,
            )
        }
    }
}

/// Fills `dst` (same size as `src`, row-major) with `src` sampled at `coord(row, col)` — the
/// input position `(row, col)` that output pixel `(row, col)` reads — as scipy
/// `map_coordinates(src, coords, order=1, mode=…)` does. Rows run in parallel; `coord` must
/// be a pure function. If `dst` is shorter than the plane, only its rows are written.
pub fn remap<F>(src: &PlaneView, dst: &mut [f32], boundary: Boundary, coord: F)
where
    F: Fn(usize, usize) -> (f64, f64) + Sync,
{
    dst.par_chunks_mut(src.width)
        .enumerate()
        .for_each(|(r, out)| {
            for (c, v) in out.iter_mut().enumerate() {
                let (sr, sc) = coord(r, c);
                *v = sample_bilinear(src, sr, sc, boundary);
            }
        });
}

/// An affine map from output `(row, col)` to input `(row, col)` — the inverse of the motion
/// applied to the image content, which is what a resampling warp needs:
/// `in_row = m[0]·row + m[1]·col + m[2]`, `in_col = m[3]·row + m[4]·col + m[5]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// Coefficients, row-major 2×3.
    pub m: [f64; 6],
}

impl Affine {
    /// The identity map.
    pub fn identity() -> Affine {
        Affine {
            m: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        }
    }

    /// Moves the content by `rows` down and `cols` right (output reads input at
    /// `(row − rows, col − cols)`).
    pub fn translation(rows: f64, cols: f64) -> Affine {
        Affine {
            m: [1.0, 0.0, -rows, 0.0, 1.0, -cols],
        }
    }

    /// Rotates the content by `degrees` counter-clockwise as displayed (rows pointing down,
    /// like PIL's `rotate`) about `(center_row, center_col)`.
    pub fn rotation(degrees: f64, center_row: f64, center_col: f64) -> Affine {
        let theta = degrees * std::f64::consts::PI / 180.0;
        let (s, c) = (libm::sin(theta), libm::cos(theta));
        // Content at offset (x, y) moves to (x cos + y sin, −x sin + y cos) (y down); the
        // inverse reads input offset (x' cos − y' sin, x' sin + y' cos).
        Affine {
            m: [
                c,
                s,
                center_row - c * center_row - s * center_col,
                -s,
                c,
                center_col + s * center_row - c * center_col,
            ],
        }
    }

    /// Magnifies the content by `zoom` (> 1 zooms in, < 1 shrinks) about
    /// `(center_row, center_col)`.
    pub fn scale(zoom: f64, center_row: f64, center_col: f64) -> Affine {
        let k = 1.0 / zoom;
        Affine {
            m: [
                k,
                0.0,
                center_row * (1.0 - k),
                0.0,
                k,
                center_col * (1.0 - k),
            ],
        }
    }

    /// The input position read by output pixel `(row, col)`.
    #[inline]
    pub fn apply(&self, row: f64, col: f64) -> (f64, f64) {
        let m = &self.m;
        (
            m[0] * row + m[1] * col + m[2],
            m[3] * row + m[4] * col + m[5],
        )
    }
}

/// The centre of a `width × height` plane in `(row, col)` pixel coordinates
/// (`((height − 1) / 2, (width − 1) / 2)`), about which rotations and zooms are made.
pub fn center(width: usize, height: usize) -> (f64, f64) {
    ((height as f64 - 1.0) / 2.0, (width as f64 - 1.0) / 2.0)
}

/// Warps `src` into `dst` (same size) by the inverse map `inverse`: bilinear interpolation,
/// positions outside the plane take `fill` ([`Boundary::Constant`]). An integer translation
/// copies values exactly.
pub fn warp_affine(src: &PlaneView, dst: &mut [f32], inverse: &Affine, fill: f32) {
    let m = inverse.m;
    let boundary = Boundary::Constant(fill);
    dst.par_chunks_mut(src.width)
        .enumerate()
        .for_each(|(r, out)| {
            // Walk the row incrementally: one step right adds (m[1], m[4]).
            let (mut sr, mut sc) = inverse.apply(r as f64, 0.0);
            for v in out.iter_mut() {
                *v = sample_bilinear(src, sr, sc, boundary);
                sr += m[1];
                sc += m[4];
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(width: usize, height: usize) -> Vec<f32> {
        (0..width * height)
            .map(|i| ((i * 37) % 101) as f32 / 100.0)
            .collect()
    }

    #[test]
    fn reflect_index_is_half_sample_symmetric() {
        let got: Vec<usize> = (-6..9).map(|i| reflect_index(i, 4)).collect();
        assert_eq!(got, vec![2, 3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0]);
        assert_eq!(reflect_index(-3, 1), 0);
    }

    #[test]
    fn bilinear_matches_scipy_map_coordinates() {
        // scipy 1.17.1: map_coordinates([[0,1,4,9,16]], [[0]*k, cols], order=1, mode=…, cval=-1).
        let data = [0.0f32, 1.0, 4.0, 9.0, 16.0];
        let view = PlaneView::new(&data, 5, 1).unwrap();
        let cases = [
            (-1.7, 0.7, -1.0, 0.0),
            (-1.2, 0.2, -1.0, 0.0),
            (-0.3, 0.0, -1.0, 0.0),
            (0.3, 0.3, 0.3, 0.3),
            (3.6, 13.2, 13.2, 13.2),
            (4.0, 16.0, 16.0, 16.0),
            (4.3, 16.0, -1.0, 16.0),
            (5.2, 14.6, -1.0, 16.0),
            (6.4, 7.0, -1.0, 16.0),
            (9.6, 0.0, -1.0, 16.0),
            (10.3, 0.3, -1.0, 16.0),
            (-5.5, 16.0, -1.0, 0.0),
            (-9.2, 0.8, -1.0, 0.0),
        ];
        for (col, reflect, constant, nearest) in cases {
            let got = |b| sample_bilinear(&view, 0.0, col, b);
            assert!(
                (got(Boundary::Reflect) - reflect).abs() < 1e-5,
                "{col} reflect"
            );
            assert!(
                (got(Boundary::Constant(-1.0)) - constant).abs() < 1e-5,
                "{col} const"
            );
            assert!(
                (got(Boundary::Nearest) - nearest).abs() < 1e-5,
                "{col} nearest"
            );
        }
    }

    #[test]
    fn bilinear_2d_matches_scipy() {
        // x = [[0,1,4,9,16],[1,2,3,4,5]]; scipy: (0.5, 2.5) → 5.0, (0.25, 4.0) → 13.25,
        // reflect (1.6, -0.4) → 1.0 (rows 1,1 and cols 0,0).
        let data = [0.0f32, 1.0, 4.0, 9.0, 16.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let view = PlaneView::new(&data, 5, 2).unwrap();
        assert!((sample_bilinear(&view, 0.5, 2.5, Boundary::Reflect) - 5.0).abs() < 1e-6);
        assert!((sample_bilinear(&view, 0.25, 4.0, Boundary::Constant(0.0)) - 13.25).abs() < 1e-6);
        assert!((sample_bilinear(&view, 1.6, -0.4, Boundary::Reflect) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn identity_and_integer_translation_are_exact() {
        let (w, h) = (13, 9);
        let src = ramp(w, h);
        let view = PlaneView::new(&src, w, h).unwrap();
        let mut dst = vec![0.0; w * h];
        warp_affine(&view, &mut dst, &Affine::identity(), 0.0);
        assert_eq!(dst, src);
        warp_affine(&view, &mut dst, &Affine::translation(2.0, -3.0), 0.5);
        for r in 0..h {
            for c in 0..w {
                let expected = if r >= 2 && c + 3 < w {
                    src[(r - 2) * w + c + 3]
                } else {
                    0.5
                };
                assert_eq!(dst[r * w + c], expected, "({r}, {c})");
            }
        }
    }

    #[test]
    fn rotation_by_90_degrees_turns_a_square_counter_clockwise() {
        let n = 7;
        let src = ramp(n, n);
        let view = PlaneView::new(&src, n, n).unwrap();
        let (cr, cc) = center(n, n);
        let mut dst = vec![0.0; n * n];
        warp_affine(&view, &mut dst, &Affine::rotation(90.0, cr, cc), 0.0);
        // Counter-clockwise: the right column becomes the top row.
        for c in 0..n {
            assert!((dst[c] - src[c * n + n - 1]).abs() < 1e-5, "{c}");
        }
        warp_affine(&view, &mut dst, &Affine::rotation(0.0, cr, cc), 0.0);
        assert_eq!(dst, src);
    }

    #[test]
    fn zoom_out_pads_with_fill_and_zoom_in_stays_inside() {
        let n = 20;
        let src = vec![1.0f32; n * n];
        let view = PlaneView::new(&src, n, n).unwrap();
        let (cr, cc) = center(n, n);
        let mut dst = vec![0.0; n * n];
        warp_affine(&view, &mut dst, &Affine::scale(0.5, cr, cc), 0.0);
        assert_eq!(dst[0], 0.0);
        assert_eq!(dst[10 * n + 10], 1.0);
        warp_affine(&view, &mut dst, &Affine::scale(1.5, cr, cc), 0.0);
        assert!(dst.iter().all(|&v| v == 1.0));
    }

    #[test]
    fn plane_view_rejects_inconsistent_sizes() {
        assert!(PlaneView::new(&[0.0; 6], 3, 2).is_some());
        assert!(PlaneView::new(&[0.0; 6], 4, 2).is_none());
        assert!(PlaneView::new(&[], 0, 0).is_none());
    }
}
