//! Digital kinds of ImageNet-C: brightness, contrast, elastic_transform, pixelate,
//! jpeg_compression (REFERENCE.md §5.5–§5.10), with medmnistc's chest tables for pixelate and
//! jpeg_compression as second tables (§6.2–§6.3).
//!
//! The deterministic kinds (all but elastic_transform) reproduce the Python reference on 8-bit
//! input level for level: values are taken back to the exact `v / 255` the reference computes
//! with, arithmetic is `f64` like NumPy's, and results are truncated to levels here exactly as
//! `np.uint8` does. Pixelate uses Pillow's resampling bit-exactly (`ops::resize`), JPEG is
//! libjpeg(-turbo)'s integer pipeline without the (lossless) entropy coding.

use rayon::prelude::*;

use crate::error::PerturbError;
use crate::image::{Image, PixelType};
use crate::ops::filter::{gaussian_kernel_1d, separable_filter, Border};
use crate::ops::geometry::{remap, Boundary, PlaneView};
use crate::ops::resize::{
    from_levels, level_of, resize_f32, resize_nearest, resize_rgb8, resize_u8, to_levels, Filter,
    LEVEL_F32,
};
use crate::params::{Family, KindDef, ParamDef, Params, SeverityTable};
use crate::planes::Planes;
use crate::random::Seeds;

// ---------------------------------------------------------------------------------------------
// Value conversions shared by the deterministic kinds.

/// `level / 255` in `f64` for every 8-bit level: what `np.array(img) / 255.` holds.
const LEVEL_F64: [f64; 256] = {
    let mut table = [0.0; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = i as f64 / 255.0;
        i += 1;
    }
    table
};

/// The value the reference computes with for a plane value: for 8-bit sources exactly
/// `level / 255` in `f64` (what `np.array(img) / 255.` gives), otherwise the value itself.
#[inline]
fn exact(v: f32, eight_bit: bool) -> f64 {
    if eight_bit {
        LEVEL_F64[usize::from(level_of(v))]
    } else {
        f64::from(v)
    }
}

/// A result in [0, 1] stored back into a plane: clipped, and for 8-bit sources truncated to
/// a level like `np.uint8(clip(y, 0, 1) * 255)` so the core's conversion reproduces it exactly.
#[inline]
fn store(y: f64, eight_bit: bool) -> f32 {
    let y = if y.is_nan() { 0.0 } else { y.clamp(0.0, 1.0) };
    if eight_bit {
        // Truncation of a value in [0, 255] is the floor.
        LEVEL_F32[usize::from((y * 255.0) as u8)]
    } else {
        y as f32
    }
}

/// Applies `f` (a function of the exact value, see [`exact`]) to every value of `plane`, rows
/// in parallel. For 8-bit sources the result depends only on the level, so `f` is evaluated
/// once per level into a lookup table.
fn map_plane<F>(plane: &mut [f32], width: usize, eight_bit: bool, f: F)
where
    F: Fn(f64) -> f64 + Sync,
{
    if eight_bit {
        let table: [f32; 256] = std::array::from_fn(|level| store(f(LEVEL_F64[level]), true));
        plane.par_chunks_mut(width.max(1)).for_each(|row| {
            for v in row {
                *v = table[usize::from(level_of(*v))];
            }
        });
    } else {
        plane.par_chunks_mut(width.max(1)).for_each(|row| {
            for v in row {
                *v = store(f(f64::from(*v)), false);
            }
        });
    }
}

/// The mean of a plane's exact values (8-bit: the integer sum of levels over 255, without
/// accumulated rounding).
fn plane_mean(plane: &[f32], eight_bit: bool) -> f64 {
    let n = plane.len().max(1) as f64;
    if eight_bit {
        let sum: u64 = plane.iter().map(|&v| u64::from(level_of(v))).sum();
        sum as f64 / 255.0 / n
    } else {
        plane.iter().map(|&v| f64::from(v)).sum::<f64>() / n
    }
}

// ---------------------------------------------------------------------------------------------
// brightness

/// skimage `rgb2hsv` for one pixel (REFERENCE §1.7): hue assigned "R max", then "G max", then
/// "B max", later assignments winning ties; H = S = 0 for grey pixels.
fn rgb_to_hsv(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
    let v = r.max(g).max(b);
    let delta = v - r.min(g).min(b);
    if delta == 0.0 {
        return (0.0, 0.0, v);
    }
    let s = delta / v;
    let mut h = 0.0;
    if r == v {
        h = (g - b) / delta;
    }
    if g == v {
        h = 2.0 + (b - r) / delta;
    }
    if b == v {
        h = 4.0 + (r - g) / delta;
    }
    // Python's `% 1.`: h / 6 lies in [-1/6, 5/6], so only negatives move (by + 1).
    let h = h / 6.0;
    (if h < 0.0 { h + 1.0 } else { h }, s, v)
}

/// skimage `hsv2rgb` for one pixel (REFERENCE §1.7).
fn hsv_to_rgb(h: f64, s: f64, v: f64) -> (f64, f64, f64) {
    // h ∈ [0, 1): truncation is the floor.
    let hi = (h * 6.0) as i64;
    let f = h * 6.0 - hi as f64;
    let p = v * (1.0 - s);
    let q = v * (1.0 - f * s);
    let t = v * (1.0 - (1.0 - f) * s);
    match hi.rem_euclid(6) {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    }
}

/// brightness (imagecorruptions, REFERENCE §5.6): the HSV value channel is shifted by
/// `delta` and clipped to [0, 1]. RGB input does skimage's HSV round trip per pixel. Gray input
/// (8- or 16-bit) is its own value channel (V = the gray value, H = S = 0), so the kind is
/// `clip(v + delta, 0, 1)` — exactly what the reference gives on each channel of a gray image.
fn brightness(planes: &mut Planes, params: &Params, _seeds: &Seeds) -> Result<(), PerturbError> {
    let delta = params.get("delta")?;
    if delta == 0.0 {
        // The HSV round trip can land one ulp below a level; delta 0 is the exact identity.
        return Ok(());
    }
    if planes.planes.len() != 3 {
        let (width, eight_bit) = (planes.width, planes.is_8bit());
        for plane in &mut planes.planes {
            map_plane(plane, width, eight_bit, |v| v + delta);
        }
        return Ok(());
    }
    map_rgb(planes, |r, g, b| {
        let (h, s, v) = rgb_to_hsv(r, g, b);
        hsv_to_rgb(h, s, (v + delta).clamp(0.0, 1.0))
    });
    Ok(())
}

/// Applies `f` to every RGB pixel of a 3-plane image (rows in parallel), with the exact value
/// conversions of [`exact`] and [`store`].
fn map_rgb<F>(planes: &mut Planes, f: F)
where
    F: Fn(f64, f64, f64) -> (f64, f64, f64) + Sync,
{
    let width = planes.width.max(1);
    let eight_bit = planes.is_8bit();
    let [r, g, b] = planes.planes.as_mut_slice() else {
        return;
    };
    r.par_chunks_mut(width)
        .zip(g.par_chunks_mut(width))
        .zip(b.par_chunks_mut(width))
        .for_each(|((r, g), b)| {
            for ((r, g), b) in r.iter_mut().zip(g.iter_mut()).zip(b.iter_mut()) {
                let (x, y, z) = f(
                    exact(*r, eight_bit),
                    exact(*g, eight_bit),
                    exact(*b, eight_bit),
                );
                (*r, *g, *b) = (
                    store(x, eight_bit),
                    store(y, eight_bit),
                    store(z, eight_bit),
                );
            }
        });
}

// ---------------------------------------------------------------------------------------------
// contrast

/// contrast (imagecorruptions, REFERENCE §5.5): each channel is pulled toward its own mean,
/// `(x − mean) · factor + mean`, clipped. `factor` 1 is the identity, 0 a flat image.
fn contrast(planes: &mut Planes, params: &Params, _seeds: &Seeds) -> Result<(), PerturbError> {
    let factor = params.get("factor")?;
    if factor == 1.0 {
        // `(x − m) · 1 + m` can round one ulp below x, which truncation would turn into a lost
        // level; factor 1 is the exact identity instead.
        return Ok(());
    }
    let (width, eight_bit) = (planes.width, planes.is_8bit());
    for plane in &mut planes.planes {
        let mean = plane_mean(plane, eight_bit);
        map_plane(plane, width, eight_bit, |x| (x - mean) * factor + mean);
    }
    Ok(())
}

/// `contrast` on 8-bit images without the planes round trip: per channel, the exact mean from
/// the integer sum of levels (as [`plane_mean`]) and one 256-entry table built with the same
/// f64 expression and truncation as [`map_plane`] + [`store`] — so the output is identical to
/// the planes path (tested on every severity, gray and RGB). `None` for 16-bit images.
pub(crate) fn contrast_levels(
    image: &Image,
    params: &Params,
) -> Option<Result<Image, PerturbError>> {
    let samples = image.as_u8()?;
    let factor = match params.get("factor") {
        Ok(f) => f,
        Err(e) => return Some(Err(e)),
    };
    if factor == 1.0 {
        return Some(Ok(image.clone()));
    }
    let channels = image.pixel_type().channels();
    let n = (image.width() * image.height()).max(1) as f64;
    let mut sums = [0u64; 3];
    for pixel in samples.chunks_exact(channels) {
        for (sum, &v) in sums.iter_mut().zip(pixel) {
            *sum += u64::from(v);
        }
    }
    let tables: Vec<[u8; 256]> = (0..channels)
        .map(|c| {
            let mean = sums[c] as f64 / 255.0 / n;
            std::array::from_fn(|level| {
                let y = (LEVEL_F64[level] - mean) * factor + mean;
                let y = if y.is_nan() { 0.0 } else { y.clamp(0.0, 1.0) };
                (y * 255.0) as u8
            })
        })
        .collect();
    let mut out = samples.to_vec();
    if channels == 1 {
        let table = &tables[0];
        for v in &mut out {
            *v = table[usize::from(*v)];
        }
    } else {
        for pixel in out.chunks_exact_mut(channels) {
            for (v, table) in pixel.iter_mut().zip(&tables) {
                *v = table[usize::from(*v)];
            }
        }
    }
    Some(match image.pixel_type() {
        PixelType::Gray8 => Image::gray8(image.width(), image.height(), out),
        _ => Image::rgb8(image.width(), image.height(), out),
    })
}

// ---------------------------------------------------------------------------------------------
// pixelate

/// pixelate (imagecorruptions REFERENCE §5.9; medmnistc §6.3): shrink to
/// `(int(W·factor), int(H·factor))` with Pillow's BOX filter, then enlarge back with Pillow's
/// NEAREST (`upsample` 0, imagecorruptions) or BOX (`upsample` 1, medmnistc and the original
/// ImageNet-C code). 8-bit planes are resampled bit-exactly as Pillow's `L` mode, 16-bit planes
/// as Pillow's `F` mode. A side that would shrink to 0 pixels is kept at 1 (Pillow refuses 0).
fn pixelate(planes: &mut Planes, params: &Params, _seeds: &Seeds) -> Result<(), PerturbError> {
    let (w, h) = (planes.width, planes.height);
    let (small, box_up) = pixelate_size(params, w, h)?;
    let (sw, sh) = small;
    if (sw, sh) == (w, h) {
        return Ok(());
    }
    let eight_bit = planes.is_8bit();
    for plane in &mut planes.planes {
        *plane = if eight_bit {
            from_levels(&pixelate_u8(&to_levels(plane), w, h, (sw, sh), box_up)?)
        } else {
            let small = resize_f32(plane, w, h, sw, sh, Filter::Box)?;
            if box_up {
                resize_f32(&small, sw, sh, w, h, Filter::Box)?
            } else {
                resize_nearest(&small, sw, sh, w, h)?
            }
        };
    }
    Ok(())
}

/// The size pixelate shrinks a `w × h` image to — Python `int(W · factor)`: f64 product,
/// truncated, at least 1 — and whether it enlarges back with BOX (else NEAREST).
fn pixelate_size(
    params: &Params,
    w: usize,
    h: usize,
) -> Result<((usize, usize), bool), PerturbError> {
    let factor = params.get("factor")?;
    let box_up = params.get("upsample")? >= 0.5;
    let sw = ((w as f64 * factor) as usize).clamp(1, w.max(1));
    let sh = ((h as f64 * factor) as usize).clamp(1, h.max(1));
    Ok(((sw, sh), box_up))
}

/// Pixelate of one 8-bit plane: BOX down to `small`, then BOX or NEAREST back up.
fn pixelate_u8(
    plane: &[u8],
    w: usize,
    h: usize,
    (sw, sh): (usize, usize),
    box_up: bool,
) -> Result<Vec<u8>, PerturbError> {
    let small = resize_u8(plane, w, h, sw, sh, Filter::Box)?;
    if box_up {
        resize_u8(&small, sw, sh, w, h, Filter::Box)
    } else {
        resize_nearest(&small, sw, sh, w, h)
    }
}

/// pixelate on 8-bit input without the f32 planes (which it would only convert to levels and
/// back): each channel resampled as [`pixelate`] does. Gives exactly what [`pixelate`] gives
/// (`registry::tests`).
pub(crate) fn pixelate_levels(
    image: &Image,
    params: &Params,
) -> Option<Result<Image, PerturbError>> {
    let samples = image.as_u8()?;
    let (w, h) = (image.width(), image.height());
    let run = || -> Result<Image, PerturbError> {
        let (small, box_up) = pixelate_size(params, w, h)?;
        if small == (w, h) || w == 0 || h == 0 {
            return Ok(image.clone());
        }
        if image.pixel_type() != PixelType::Rgb8 {
            return Image::gray8(w, h, pixelate_u8(samples, w, h, small, box_up)?);
        }
        // Interleaved, as Pillow resamples RGB: no splitting into planes and back.
        let (sw, sh) = small;
        let shrunk = resize_rgb8(samples, w, h, sw, sh, Filter::Box)?;
        let out = if box_up {
            resize_rgb8(&shrunk, sw, sh, w, h, Filter::Box)?
        } else {
            let (pixels, _) = shrunk.as_chunks::<3>();
            resize_nearest(pixels, sw, sh, w, h)?.into_flattened()
        };
        Image::rgb8(w, h, out)
    };
    Some(run())
}

// ---------------------------------------------------------------------------------------------
// jpeg_compression

/// jpeg_compression (REFERENCE §1.6, §5.8): a JPEG save/load round trip as Pillow does it with
/// libjpeg-turbo at `quality` (rounded to an integer): baseline, IJG quality scaling of the
/// Annex K tables, integer DCT (`islow`), 4:2:0 chroma subsampling for RGB (Pillow's default)
/// with libjpeg's downsampling, "fancy" upsampling and fixed-point colour conversion.
/// Entropy coding is lossless and skipped.
///
/// 16-bit gray: baseline JPEG cannot hold 16 bits, so the image is scaled to 8 bits
/// (`round(p · 255)`), round-tripped, and only the JPEG error `(jpeg − v8) / 255` is added to
/// the original 16-bit value — the sub-8-bit detail is kept and the block artefacts added.
fn jpeg_compression(
    planes: &mut Planes,
    params: &Params,
    _seeds: &Seeds,
) -> Result<(), PerturbError> {
    let quality = params.get("quality")?.round().clamp(1.0, 100.0) as u8;
    let (w, h) = (planes.width, planes.height);
    if w == 0 || h == 0 {
        return Ok(());
    }
    match planes.planes.as_mut_slice() {
        [r, g, b] => {
            let (r8, g8, b8) = (to_levels(r), to_levels(g), to_levels(b));
            let interleaved: Vec<u8> = r8
                .iter()
                .zip(&g8)
                .zip(&b8)
                .flat_map(|((&r, &g), &b)| [r, g, b])
                .collect();
            let out = jpeg::round_trip_rgb(&interleaved, w, h, quality);
            for (plane, c) in [r, g, b].into_iter().zip(0..) {
                for (v, px) in plane.iter_mut().zip(out.chunks_exact(3)) {
                    *v = LEVEL_F32[usize::from(px[c])];
                }
            }
        }
        [gray] => {
            let levels = to_levels(gray);
            let table = jpeg::Quantizer::for_quality(&jpeg::LUMA, quality);
            let out = jpeg::round_trip_plane(&levels, w, h, &table);
            if planes.pixel_type == crate::image::PixelType::Gray16 {
                for ((v, &before), &after) in gray.iter_mut().zip(&levels).zip(&out) {
                    *v = (f64::from(*v) + (f64::from(after) - f64::from(before)) / 255.0) as f32;
                }
            } else {
                *gray = from_levels(&out);
            }
        }
        _ => {}
    }
    Ok(())
}

/// jpeg_compression on 8-bit input without the f32 planes: the codec works on levels anyway,
/// so the planes' conversions would be all the cost they add (a third of the time, measured).
/// Gives exactly what [`jpeg_compression`] gives (`registry::tests`).
pub(crate) fn jpeg_levels(image: &Image, params: &Params) -> Option<Result<Image, PerturbError>> {
    let samples = image.as_u8()?;
    let quality = match params.get("quality") {
        Ok(q) => q.round().clamp(1.0, 100.0) as u8,
        Err(e) => return Some(Err(e)),
    };
    let (w, h) = (image.width(), image.height());
    if w == 0 || h == 0 {
        return Some(Ok(image.clone()));
    }
    Some(match image.pixel_type() {
        PixelType::Rgb8 => Image::rgb8(w, h, jpeg::round_trip_rgb(samples, w, h, quality)),
        _ => {
            let table = jpeg::Quantizer::for_quality(&jpeg::LUMA, quality);
            Image::gray8(w, h, jpeg::round_trip_plane(samples, w, h, &table))
        }
    })
}

mod jpeg;

// ---------------------------------------------------------------------------------------------
// elastic_transform

/// Stream ids (the `plane` argument of `Seeds::row`) of the two displacement fields.
const FIELD_DX: usize = 0;
const FIELD_DY: usize = 1;

/// A smoothed random displacement field: uniform in `[-max_shift, max_shift)` per pixel (one
/// stream per field row), Gaussian-filtered with per-axis sigmas (scipy `reflect`, truncate
/// 3), times `alpha`.
fn displacement_field(
    seeds: &Seeds,
    stream: usize,
    (width, height): (usize, usize),
    max_shift: f64,
    (sigma_rows, sigma_cols): (f64, f64),
    alpha: f64,
    scratch: &mut Vec<f32>,
) -> Vec<f32> {
    let mut field = vec![0f32; width * height];
    field
        .par_chunks_mut(width)
        .enumerate()
        .for_each(|(row, values)| {
            let mut rng = seeds.row(stream, row);
            for v in values {
                *v = rng.uniform_in(-max_shift, max_shift) as f32;
            }
        });
    let kernel_x = gaussian_kernel_1d(sigma_cols, 3.0);
    let kernel_y = gaussian_kernel_1d(sigma_rows, 3.0);
    separable_filter(
        &mut field,
        width,
        height,
        &kernel_x,
        &kernel_y,
        Border::Reflect,
        scratch,
    );
    for v in &mut field {
        *v = (f64::from(*v) * alpha) as f32;
    }
    field
}

/// elastic_transform (imagecorruptions 1.1.2, REFERENCE §5.10): two random fields, uniform in
/// `±max_shift_fraction · H`, smoothed by Gaussians of `sigma_fraction · (H, W)` and scaled by
/// `alpha`, displace columns (first field) and rows (second); every plane is resampled
/// bilinearly at the displaced positions with half-sample reflection at the borders. Both
/// amplitudes scale with H, as in the reference. `alpha` 0 is the identity.
fn elastic_transform(
    planes: &mut Planes,
    params: &Params,
    seeds: &Seeds,
) -> Result<(), PerturbError> {
    let alpha = params.get("alpha")?;
    let sigma_fraction = params.get("sigma_fraction")?;
    let max_shift = params.get("max_shift_fraction")? * planes.height as f64;
    let (w, h) = (planes.width, planes.height);
    if alpha == 0.0 || max_shift == 0.0 || w == 0 || h == 0 {
        return Ok(());
    }
    let sigmas = (sigma_fraction * h as f64, sigma_fraction * w as f64);
    let mut scratch = Vec::new();
    let dx = displacement_field(
        seeds,
        FIELD_DX,
        (w, h),
        max_shift,
        sigmas,
        alpha,
        &mut scratch,
    );
    let dy = displacement_field(
        seeds,
        FIELD_DY,
        (w, h),
        max_shift,
        sigmas,
        alpha,
        &mut scratch,
    );
    for plane in &mut planes.planes {
        let source = plane.clone();
        let view = PlaneView::new(&source, w, h).ok_or(PerturbError::TooSmall {
            kind: "elastic_transform",
            min: 1,
            width: w,
            height: h,
        })?;
        remap(&view, plane, Boundary::Reflect, |r, c| {
            let i = r * w + c;
            (r as f64 + f64::from(dy[i]), c as f64 + f64::from(dx[i]))
        });
        for v in plane.iter_mut() {
            *v = v.clamp(0.0, 1.0);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Definitions

const BRIGHTNESS: &[ParamDef] = &[ParamDef {
    name: "delta",
    description: "shift of the HSV value channel on [0, 1] intensities; on gray input the gray value itself (-1 to 1)",
    min: -1.0,
    max: 1.0,
}];

const CONTRAST: &[ParamDef] = &[ParamDef {
    name: "factor",
    description:
        "multiplier of each channel's deviation from its mean (1 = unchanged, 0 = flat; 0 to 10)",
    min: 0.0,
    max: 10.0,
}];

const PIXELATE: &[ParamDef] = &[
    ParamDef {
        name: "factor",
        description:
            "side of the shrunken image as a fraction of the original (0 to 1; 1 = unchanged)",
        min: 0.0,
        max: 1.0,
    },
    ParamDef {
        name: "upsample",
        description:
            "filter enlarging it back: 0 = nearest (imagecorruptions), 1 = box (medmnistc)",
        min: 0.0,
        max: 1.0,
    },
];

const JPEG: &[ParamDef] = &[ParamDef {
    name: "quality",
    description: "JPEG quality as in Pillow/libjpeg (integer 1 to 100; lower = stronger artefacts)",
    min: 1.0,
    max: 100.0,
}];

const ELASTIC: &[ParamDef] = &[
    ParamDef {
        name: "alpha",
        description: "gain applied to the smoothed random displacement field (0 = unchanged; 0 to 500)",
        min: 0.0,
        max: 500.0,
    },
    ParamDef {
        name: "sigma_fraction",
        description: "standard deviation of the field's Gaussian smoothing, as a fraction of the height (rows) and width (columns) (0 to 0.5)",
        min: 0.0,
        max: 0.5,
    },
    ParamDef {
        name: "max_shift_fraction",
        description: "half-range of the uniform field before smoothing, as a fraction of the height (0 to 0.5)",
        min: 0.0,
        max: 0.5,
    },
];

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[
    KindDef {
        name: "brightness",
        family: Family::ImageNetC,
        summary:
            "raises (or lowers) the HSV value channel by delta; on gray input the gray value itself",
        random: false,
        params: BRIGHTNESS,
        tables: &[SeverityTable {
            source: "imagecorruptions",
            rows: &[&[0.1], &[0.2], &[0.3], &[0.4], &[0.5]],
        }],
        apply: brightness,
    },
    KindDef {
        name: "contrast",
        family: Family::ImageNetC,
        summary: "pulls every channel toward its mean by factor (lower = flatter)",
        random: false,
        params: CONTRAST,
        tables: &[SeverityTable {
            source: "imagecorruptions",
            rows: &[&[0.4], &[0.3], &[0.2], &[0.1], &[0.05]],
        }],
        apply: contrast,
    },
    KindDef {
        name: "elastic_transform",
        family: Family::ImageNetC,
        summary: "smooth random local displacements (≈1–2 px) resampled bilinearly",
        random: true,
        params: ELASTIC,
        tables: &[SeverityTable {
            source: "imagecorruptions",
            rows: &[
                &[12.5, 0.01, 0.005],
                &[16.25, 0.01, 0.005],
                &[21.25, 0.01, 0.005],
                &[25.0, 0.01, 0.005],
                &[30.0, 0.01, 0.005],
            ],
        }],
        apply: elastic_transform,
    },
    KindDef {
        name: "pixelate",
        family: Family::ImageNetC,
        summary: "shrinks the image by factor with a box filter and enlarges it back to blocks",
        random: false,
        params: PIXELATE,
        tables: &[
            SeverityTable {
                source: "imagecorruptions",
                rows: &[
                    &[0.6, 0.0],
                    &[0.5, 0.0],
                    &[0.4, 0.0],
                    &[0.3, 0.0],
                    &[0.25, 0.0],
                ],
            },
            SeverityTable {
                source: "medmnistc",
                rows: &[
                    &[0.3, 1.0],
                    &[0.25, 1.0],
                    &[0.2, 1.0],
                    &[0.15, 1.0],
                    &[0.1, 1.0],
                ],
            },
        ],
        apply: pixelate,
    },
    KindDef {
        name: "jpeg_compression",
        family: Family::ImageNetC,
        summary: "JPEG save and reload at quality (Pillow/libjpeg, 4:2:0 chroma for RGB)",
        random: false,
        params: JPEG,
        tables: &[
            SeverityTable {
                source: "imagecorruptions",
                rows: &[&[25.0], &[18.0], &[15.0], &[10.0], &[7.0]],
            },
            SeverityTable {
                source: "medmnistc",
                rows: &[&[50.0], &[30.0], &[15.0], &[10.0], &[7.0]],
            },
        ],
        apply: jpeg_compression,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Image, PixelType};
    use crate::ops::resize::nearest_indices;
    use crate::registry::{kind, perturb, perturb_at_severity};

    /// REFERENCE.md §8 input: `g[y][x] = (3x + 5y + ((x² + 2y²) mod 23)) mod 256`, 40 × 48.
    fn golden_input() -> Image {
        let (w, h) = (40usize, 48usize);
        let samples = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                ((3 * x + 5 * y + (x * x + 2 * y * y) % 23) % 256) as u8
            })
            .collect();
        Image::gray8(w, h, samples).unwrap()
    }

    /// A textured 96 × 80 gray image: gradients, oscillations and hashed fine detail.
    fn textured() -> Image {
        let (w, h) = (96usize, 80usize);
        let samples = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                let hash = ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as f64;
                let v = 120.0
                    + 50.0 * (x * 0.31).sin() * (y * 0.23).cos()
                    + 30.0 * ((x + 2.0 * y) * 0.07).sin()
                    + hash;
                v.clamp(0.0, 255.0) as u8
            })
            .collect();
        Image::gray8(w, h, samples).unwrap()
    }

    fn rgb_of(gray: &Image) -> Image {
        let samples = (0..gray.len())
            .flat_map(|i| {
                let v = gray.sample(i) as u8;
                [v, v / 2 + 40, 255 - v]
            })
            .collect();
        Image::rgb8(gray.width(), gray.height(), samples).unwrap()
    }

    fn gray16_of(gray: &Image) -> Image {
        let samples = (0..gray.len())
            .map(|i| ((gray.sample(i) * 257.0) as u32 + (i % 7) as u32).min(65535) as u16)
            .collect();
        Image::gray16(gray.width(), gray.height(), samples).unwrap()
    }

    fn apply(img: &Image, name: &str, values: &[f64], seed: u64) -> Image {
        let params = Params::new(kind(name).unwrap(), values.to_vec()).unwrap();
        perturb(img, &params, seed).unwrap()
    }

    fn psnr(a: &Image, b: &Image) -> f64 {
        a.psnr(b).unwrap()
    }

    /// PSNR of each severity of `source`'s table against the clean image.
    fn severity_psnrs(name: &str, source: Option<&str>, img: &Image) -> Vec<f64> {
        let def = kind(name).unwrap();
        (1..=def.max_severity())
            .map(|s| {
                psnr(
                    img,
                    &perturb(img, &def.severity(s, source).unwrap(), 3).unwrap(),
                )
            })
            .collect()
    }

    fn assert_decreasing(values: &[f64], what: &str) {
        assert!(values.windows(2).all(|w| w[1] < w[0]), "{what}: {values:?}");
    }

    /// §8 golden rows: severity, sum, then the values at [0,0], [10,7], [24,20], [47,39].
    fn check_golden(name: &str, source: Option<&str>, rows: &[[u32; 6]]) {
        let img = golden_input();
        for row in rows {
            let params = kind(name).unwrap().severity(row[0] as u8, source).unwrap();
            let out = perturb(&img, &params, 0).unwrap();
            let sum: f64 = (0..out.len()).map(|i| out.sample(i)).sum();
            let at = |r: usize, c: usize| out.sample(r * 40 + c) as u32;
            let got = [
                row[0],
                sum as u32,
                at(0, 0),
                at(10, 7),
                at(24, 20),
                at(47, 39),
            ];
            assert_eq!(&got, row, "{name} ({source:?})");
        }
    }

    #[test]
    fn every_kind_keeps_size_and_type() {
        let gray = textured();
        for img in [gray.clone(), rgb_of(&gray), gray16_of(&gray)] {
            for def in KINDS {
                let out = perturb_at_severity(&img, def.name, 3, 5).unwrap();
                assert_eq!(
                    (out.width(), out.height(), out.pixel_type()),
                    (img.width(), img.height(), img.pixel_type()),
                    "{}",
                    def.name
                );
            }
        }
    }

    #[test]
    fn kinds_are_deterministic_and_only_elastic_uses_the_seed() {
        let img = textured();
        for def in KINDS {
            let a = perturb_at_severity(&img, def.name, 4, 11).unwrap();
            assert_eq!(
                a,
                perturb_at_severity(&img, def.name, 4, 11).unwrap(),
                "{}",
                def.name
            );
            let other = perturb_at_severity(&img, def.name, 4, 12).unwrap();
            assert_eq!(a != other, def.random, "{}", def.name);
        }
    }

    #[test]
    fn higher_severity_lowers_psnr() {
        let img = textured();
        for def in KINDS {
            for table in def.tables {
                assert_decreasing(
                    &severity_psnrs(def.name, Some(table.source), &img),
                    def.name,
                );
            }
        }
    }

    #[test]
    fn identity_parameters_return_the_input() {
        for img in [textured(), rgb_of(&textured()), gray16_of(&textured())] {
            // Compared with the core's own plane round trip, so only the kind is tested.
            let clean = Planes::from_image(&img).to_image().unwrap();
            assert!(apply(&img, "brightness", &[0.0], 1) == clean, "brightness");
            assert!(apply(&img, "contrast", &[1.0], 1) == clean, "contrast");
            assert!(apply(&img, "pixelate", &[1.0, 0.0], 1) == clean, "pixelate");
            let elastic = apply(&img, "elastic_transform", &[0.0, 0.01, 0.005], 1);
            assert!(elastic == clean, "elastic_transform");
        }
    }

    #[test]
    fn golden_values_of_the_reference() {
        check_golden(
            "contrast",
            None,
            &[
                [1, 251627, 78, 114, 155, 119],
                [2, 251825, 92, 119, 149, 122],
                [3, 251745, 105, 123, 143, 125],
                [4, 251718, 118, 127, 137, 128],
                [5, 251826, 125, 129, 134, 130],
            ],
        );
        check_golden(
            "brightness",
            None,
            &[
                [1, 298162, 25, 115, 216, 126],
                [2, 340050, 51, 141, 242, 152],
                [3, 375406, 76, 166, 255, 177],
                [4, 406818, 102, 192, 255, 203],
                [5, 431788, 127, 217, 255, 228],
            ],
        );
        check_golden(
            "jpeg_compression",
            None,
            &[
                [1, 253312, 0, 83, 189, 104],
                [2, 252255, 7, 79, 184, 106],
                [3, 252634, 9, 80, 188, 108],
                [4, 253580, 8, 76, 189, 98],
                [5, 253672, 14, 91, 201, 114],
            ],
        );
        check_golden(
            "jpeg_compression",
            Some("medmnistc"),
            &[
                [1, 253116, 0, 83, 191, 108],
                [2, 252486, 0, 84, 193, 104],
                [3, 252634, 9, 80, 188, 108],
                [4, 253580, 8, 76, 189, 98],
                [5, 253672, 14, 91, 201, 114],
            ],
        );
        check_golden(
            "pixelate",
            None,
            &[
                [1, 253553, 6, 91, 196, 104],
                [2, 253760, 6, 83, 196, 104],
                [3, 253036, 13, 84, 187, 101],
                [4, 253160, 13, 92, 200, 100],
                [5, 253296, 21, 75, 203, 96],
            ],
        );
        check_golden(
            "pixelate",
            Some("medmnistc"),
            &[
                [1, 253160, 13, 92, 200, 100],
                [2, 253296, 21, 75, 203, 96],
                [3, 252865, 26, 70, 192, 91],
                [4, 252725, 34, 91, 196, 83],
                [5, 252960, 52, 52, 192, 67],
            ],
        );
    }

    #[test]
    fn brightness_is_monotone_in_delta_and_matches_gray_on_gray_rgb() {
        let img = textured();
        let means: Vec<f64> = [-0.3, -0.1, 0.0, 0.1, 0.3]
            .iter()
            .map(|&d| {
                let out = apply(&img, "brightness", &[d], 0);
                (0..out.len()).map(|i| out.sample(i)).sum::<f64>()
            })
            .collect();
        assert!(means.windows(2).all(|w| w[1] > w[0]), "{means:?}");
        // A gray image given as RGB goes through HSV and gives the gray result on every channel.
        let gray_rgb = Image::rgb8(
            img.width(),
            img.height(),
            (0..img.len())
                .flat_map(|i| [img.sample(i) as u8; 3])
                .collect(),
        )
        .unwrap();
        let (a, b) = (
            apply(&img, "brightness", &[0.2], 0),
            apply(&gray_rgb, "brightness", &[0.2], 0),
        );
        assert!((0..a.len()).all(|i| (0..3).all(|c| b.sample(3 * i + c) == a.sample(i))));
    }

    #[test]
    fn hsv_round_trip_is_exact_enough() {
        for (r, g, b) in [
            (0.2, 0.5, 0.9),
            (0.9, 0.1, 0.1),
            (0.3, 0.3, 0.8),
            (1.0, 1.0, 0.0),
            (0.4, 0.4, 0.4),
        ] {
            let (h, s, v) = rgb_to_hsv(r, g, b);
            let (r2, g2, b2) = hsv_to_rgb(h, s, v);
            assert!((r - r2).abs() < 1e-12 && (g - g2).abs() < 1e-12 && (b - b2).abs() < 1e-12);
        }
    }

    #[test]
    fn contrast_spread_is_monotone_in_factor() {
        let img = textured();
        let spreads: Vec<f64> = [0.05, 0.2, 0.5, 1.0, 1.5]
            .iter()
            .map(|&f| {
                let out = apply(&img, "contrast", &[f], 0);
                let n = out.len() as f64;
                let mean = (0..out.len()).map(|i| out.sample(i)).sum::<f64>() / n;
                (0..out.len())
                    .map(|i| (out.sample(i) - mean).powi(2))
                    .sum::<f64>()
                    / n
            })
            .collect();
        assert!(spreads.windows(2).all(|w| w[1] > w[0]), "{spreads:?}");
    }

    #[test]
    fn pixelate_output_is_piecewise_constant_blocks() {
        let img = textured();
        let (w, h) = (img.width(), img.height());
        let out = apply(&img, "pixelate", &[0.25, 0.0], 0);
        let (cols, rows) = (
            nearest_indices((w as f64 * 0.25) as usize, w),
            nearest_indices((h as f64 * 0.25) as usize, h),
        );
        let at = |r: usize, c: usize| out.sample(r * w + c);
        for r in 0..h {
            for c in 0..w {
                if c + 1 < w && cols[c] == cols[c + 1] {
                    assert_eq!(at(r, c), at(r, c + 1));
                }
                if r + 1 < h && rows[r] == rows[r + 1] {
                    assert_eq!(at(r, c), at(r + 1, c));
                }
            }
        }
        // Only (W/4) × (H/4) distinct blocks: far fewer distinct rows than the input.
        let distinct_rows = (1..h)
            .filter(|&r| (0..w).any(|c| at(r, c) != at(r - 1, c)))
            .count();
        assert_eq!(distinct_rows, h / 4 - 1);
    }

    #[test]
    fn pixelate_handles_tiny_images() {
        let img = Image::gray8(2, 3, vec![0, 50, 100, 150, 200, 250]).unwrap();
        let out = apply(&img, "pixelate", &[0.1, 1.0], 0);
        assert!((0..6).all(|i| out.sample(i) == out.sample(0)));
    }

    #[test]
    fn jpeg_quality_tables_follow_ijg_scaling() {
        assert_eq!(
            jpeg::quant_table(&jpeg::LUMA, 25)[..8],
            [32, 22, 20, 32, 48, 80, 102, 122]
        );
        assert_eq!(
            jpeg::quant_table(&jpeg::LUMA, 7)[..8],
            [114, 79, 71, 114, 171, 255, 255, 255]
        );
        assert!(jpeg::quant_table(&jpeg::CHROMA, 100)
            .iter()
            .all(|&q| q == 1));
    }

    #[test]
    fn jpeg_quantisation_by_reciprocal_is_exact_division() {
        for q in 1..=255 {
            let step = jpeg::Quantizer::new(&[q; 64]).steps[0];
            let d = u64::from(q.unsigned_abs()) << 3;
            for a in (0..1u64 << 17).step_by(3).chain([(1 << 17) - 1]) {
                assert_eq!(step.quantize(a), ((a + d / 2) / d) as i64, "q {q}, a {a}");
            }
        }
    }

    #[test]
    fn jpeg_integer_pipeline_does_not_overflow_on_extreme_blocks() {
        // Debug builds check i32 overflow: checkerboards, stripes and steps of 0/255 at the
        // extreme qualities give the largest coefficients.
        let patterns: [fn(usize, usize) -> u8; 5] = [
            |x, y| if (x + y) % 2 == 0 { 0 } else { 255 },
            |x, _| if x % 2 == 0 { 0 } else { 255 },
            |_, y| if y < 4 { 255 } else { 0 },
            |x, y| if x < 4 && y < 4 { 255 } else { 0 },
            |x, y| ((x * 97 + y * 31) % 2) as u8 * 255,
        ];
        for pattern in patterns {
            let samples: Vec<u8> = (0..16 * 16).map(|i| pattern(i % 16, i / 16)).collect();
            for quality in [1, 7, 50, 100] {
                let table = jpeg::Quantizer::for_quality(&jpeg::LUMA, quality);
                let out = jpeg::round_trip_plane(&samples, 16, 16, &table);
                assert_eq!(out.len(), samples.len());
            }
        }
    }

    #[test]
    fn jpeg_quality_100_is_close_and_quality_7_is_not() {
        let img = textured();
        let high = psnr(&img, &apply(&img, "jpeg_compression", &[100.0], 0));
        let low = psnr(&img, &apply(&img, "jpeg_compression", &[7.0], 0));
        assert!(high > 45.0, "{high}");
        assert!(low < high - 20.0, "{low} vs {high}");
        // RGB: 4:2:0 chroma subsampling caps the PSNR of colour detail even at quality 100.
        let rgb = rgb_of(&img);
        let high = psnr(&rgb, &apply(&rgb, "jpeg_compression", &[100.0], 0));
        let low = psnr(&rgb, &apply(&rgb, "jpeg_compression", &[7.0], 0));
        assert!(low < high - 3.0, "{low} vs {high}");
    }

    #[test]
    fn jpeg_of_gray_rgb_equals_gray_jpeg() {
        let img = textured();
        let gray_rgb = Image::rgb8(
            img.width(),
            img.height(),
            (0..img.len())
                .flat_map(|i| [img.sample(i) as u8; 3])
                .collect(),
        )
        .unwrap();
        let (a, b) = (
            apply(&img, "jpeg_compression", &[15.0], 0),
            apply(&gray_rgb, "jpeg_compression", &[15.0], 0),
        );
        assert!((0..a.len()).all(|i| (0..3).all(|c| b.sample(3 * i + c) == a.sample(i))));
    }

    #[test]
    fn jpeg_on_16_bit_adds_only_the_8_bit_error() {
        let img = textured();
        let wide = Image::gray16(
            img.width(),
            img.height(),
            (0..img.len()).map(|i| img.sample(i) as u16 * 257).collect(),
        )
        .unwrap();
        let (a, b) = (
            apply(&img, "jpeg_compression", &[10.0], 0),
            apply(&wide, "jpeg_compression", &[10.0], 0),
        );
        assert_eq!(b.pixel_type(), PixelType::Gray16);
        // On the 8-bit grid, up to the core's f32 → u16 conversion (which may drop a level).
        assert!((0..a.len()).all(|i| (b.sample(i) - a.sample(i) * 257.0).abs() <= 1.0));
        // Off-grid detail survives: only whole 8-bit steps (257 levels) are added.
        let fine = gray16_of(&img);
        let out = apply(&fine, "jpeg_compression", &[10.0], 0);
        assert!((0..fine.len()).all(|i| {
            let step = (out.sample(i) - fine.sample(i)).rem_euclid(257.0);
            step <= 1.0 || step >= 256.0
        }));
        assert!(psnr(&fine, &out) < 40.0);
    }

    #[test]
    fn jpeg_handles_odd_and_tiny_sizes() {
        for (w, h) in [(1, 1), (3, 2), (9, 17), (17, 9)] {
            let img =
                Image::rgb8(w, h, (0..w * h * 3).map(|i| (i * 37 % 256) as u8).collect()).unwrap();
            let out = apply(&img, "jpeg_compression", &[30.0], 0);
            assert_eq!((out.width(), out.height()), (w, h));
        }
    }

    #[test]
    fn elastic_displacements_have_the_reference_spread() {
        // REFERENCE §5.10 / scipy with numpy's generator: displacement std ≈ 1.04, 1.35, 1.76,
        // 2.07, 2.49 px at 224² (mean over 20 seeds, measured here against imagecorruptions).
        let mut scratch = Vec::new();
        for (alpha, expected) in [(12.5, 1.036), (21.25, 1.760), (30.0, 2.485)] {
            let mut total = 0.0;
            for seed in 0..4 {
                let f = displacement_field(
                    &Seeds::new(seed),
                    FIELD_DX,
                    (224, 224),
                    1.12,
                    (2.24, 2.24),
                    alpha,
                    &mut scratch,
                );
                let n = f.len() as f64;
                let mean = f.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
                total += (f
                    .iter()
                    .map(|&v| (f64::from(v) - mean).powi(2))
                    .sum::<f64>()
                    / n)
                    .sqrt();
            }
            let std = total / 4.0;
            assert!(
                (std - expected).abs() < 0.05 * expected,
                "alpha {alpha}: {std} vs {expected}"
            );
        }
    }

    #[test]
    fn elastic_keeps_gray_rgb_gray() {
        let img = textured();
        let gray_rgb = Image::rgb8(
            img.width(),
            img.height(),
            (0..img.len())
                .flat_map(|i| [img.sample(i) as u8; 3])
                .collect(),
        )
        .unwrap();
        let (a, b) = (
            perturb_at_severity(&img, "elastic_transform", 5, 9).unwrap(),
            perturb_at_severity(&gray_rgb, "elastic_transform", 5, 9).unwrap(),
        );
        assert!((0..a.len()).all(|i| (0..3).all(|c| b.sample(3 * i + c) == a.sample(i))));
    }
}
