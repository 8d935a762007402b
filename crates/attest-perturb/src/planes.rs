//! The working form of an image: one `f32` plane per channel, values in [0, 1].
//!
//! Every kind reads and writes planes, so it is written once for 8-bit, 16-bit and RGB input.
//! Conversion back truncates like `np.uint8(x * 255)` in `imagecorruptions` (so outputs match
//! the reference package level for level), with a small guard (1e-3 of a level at 8 bits, 0.01
//! at 16) so that an unchanged value never loses a level to `f32` rounding.

use std::cell::RefCell;

use crate::error::PerturbError;
use crate::image::{Image, PixelType};

// Spare plane buffers of this thread (see `Planes::recycle`).
thread_local! {
    static SPARES: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// At most this many values (64 MiB) are kept in one thread's spares: three 2048² planes.
const SPARE_VALUES: usize = 16 << 20;

/// An empty buffer with room for at least `len` values: the smallest large-enough spare of
/// this thread, else a new allocation. Return it with [`give_back`] when done.
pub fn take_buffer(len: usize) -> Vec<f32> {
    let spare = SPARES.with(|spares| {
        let mut spares = spares.borrow_mut();
        let best = spares
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i);
        best.map(|i| spares.swap_remove(i))
    });
    match spare {
        Some(mut v) => {
            v.clear();
            v
        }
        None => Vec::with_capacity(len),
    }
}

/// Keeps `buffer` as a spare of this thread for [`take_buffer`], unless the spares would
/// then exceed 64 MiB (the smallest spares are dropped first).
pub fn give_back(buffer: Vec<f32>) {
    if buffer.capacity() == 0 || buffer.capacity() > SPARE_VALUES {
        return;
    }
    SPARES.with(|spares| {
        let mut spares = spares.borrow_mut();
        spares.push(buffer);
        while spares.iter().map(Vec::capacity).sum::<usize>() > SPARE_VALUES {
            let smallest = spares
                .iter()
                .enumerate()
                .min_by_key(|(_, v)| v.capacity())
                .map(|(i, _)| i);
            match smallest {
                Some(i) => drop(spares.swap_remove(i)),
                None => break,
            }
        }
    });
}

/// `np.uint8(clip(v, 0, 1) * 255)` for a plane value, with a guard of 1e-3 of a level so that
/// an untouched value comes back unchanged (f32 holds v/max to a relative 6e-8, i.e. 0.004
/// of a level at 16 bits): `(v.max(0).min(1) · 255 + 1e-3) as u8` in `f32`, NaN → 0.
///
/// Written so that it vectorises: the saturating float-to-int cast compiles to scalar code
/// with NaN checks. Adding 2^23 rounds to the nearest integer into the low mantissa bits;
/// subtracting 1 where that rounded up gives the truncation. Identical to the cast for every
/// `f32` (checked exhaustively over all 2^32 bit patterns when written; a sample is tested).
#[inline]
pub fn truncate_level8(v: f32) -> u8 {
    // `max`/`min` (not `clamp`): NaN → 0, and the result is in [0, 255.001].
    #[allow(clippy::manual_clamp)]
    let x = v.max(0.0).min(1.0) * 255.0 + 1e-3;
    let shifted = x + 8_388_608.0;
    let rounded = shifted - 8_388_608.0;
    ((shifted.to_bits() & 0x1FF) - u32::from(rounded > x)) as u8
}

/// Pixels per block of the RGB conversions.
const BLOCK: usize = 16;

/// Splits `BLOCK` interleaved RGB pixels into normalised values.
#[inline]
fn split_block(
    px: &[u8; 3 * BLOCK],
    r: &mut [f32; BLOCK],
    g: &mut [f32; BLOCK],
    b: &mut [f32; BLOCK],
) {
    let [mut lr, mut lg, mut lb] = [[0u8; BLOCK]; 3];
    for (((px, r), g), b) in px.chunks_exact(3).zip(&mut lr).zip(&mut lg).zip(&mut lb) {
        (*r, *g, *b) = (px[0], px[1], px[2]);
    }
    for (out, levels) in [r, g, b].into_iter().zip([lr, lg, lb]) {
        for (o, l) in out.iter_mut().zip(levels) {
            *o = f32::from(l) / 255.0;
        }
    }
}

/// Joins `BLOCK` values of each plane into interleaved 8-bit RGB pixels.
#[inline]
fn join_block(r: &[f32; BLOCK], g: &[f32; BLOCK], b: &[f32; BLOCK], px: &mut [u8; 3 * BLOCK]) {
    let mut levels = [[0u8; BLOCK]; 3];
    for (out, plane) in levels.iter_mut().zip([r, g, b]) {
        for (l, &v) in out.iter_mut().zip(plane) {
            *l = truncate_level8(v);
        }
    }
    let [lr, lg, lb] = levels;
    for (((px, r), g), b) in px.chunks_exact_mut(3).zip(lr).zip(lg).zip(lb) {
        px.copy_from_slice(&[r, g, b]);
    }
}

/// Planes of `width × height` values in [0, 1], row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Planes {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// One plane per channel (1 for grayscale, 3 for RGB).
    pub planes: Vec<Vec<f32>>,
    /// Pixel type of the source image (its full-scale value is 1.0 here).
    pub pixel_type: PixelType,
}

impl Planes {
    /// Splits `image` into normalised planes. The plane buffers come from this thread's spare
    /// buffers when there are some (see [`Planes::recycle`]).
    pub fn from_image(image: &Image) -> Planes {
        let (width, height) = (image.width(), image.height());
        let n = width * height;
        let planes = match (image.as_u8(), image.as_u16()) {
            (Some(samples), _) => {
                // `v as f32 / 255` in f32 equals `(v as f64 / 255) as f32` for every level
                // (tested), and unlike a table lookup it vectorises.
                let channels = image.pixel_type().channels();
                if channels == 1 {
                    let mut plane = take_buffer(n);
                    plane.extend(samples.iter().map(|&v| f32::from(v) / 255.0));
                    vec![plane]
                } else {
                    // One pass over the interleaved samples (three strided passes cost more),
                    // 16 pixels at a time so that the conversions vectorise.
                    let (mut r, mut g, mut b) = (take_buffer(n), take_buffer(n), take_buffer(n));
                    for plane in [&mut r, &mut g, &mut b] {
                        plane.resize(n, 0.0);
                    }
                    let blocks = samples
                        .chunks_exact(3 * BLOCK)
                        .zip(r.chunks_exact_mut(BLOCK))
                        .zip(g.chunks_exact_mut(BLOCK))
                        .zip(b.chunks_exact_mut(BLOCK));
                    for (((px, r), g), b) in blocks {
                        // Always `Ok` for exact chunks; fixed sizes let the loop unroll.
                        if let (Ok(px), Ok(r), Ok(g), Ok(b)) =
                            (px.try_into(), r.try_into(), g.try_into(), b.try_into())
                        {
                            split_block(px, r, g, b);
                        }
                    }
                    let done = n / BLOCK * BLOCK;
                    let rest = samples[3 * done..].chunks_exact(3);
                    for (((px, r), g), b) in rest
                        .zip(&mut r[done..])
                        .zip(&mut g[done..])
                        .zip(&mut b[done..])
                    {
                        *r = f32::from(px[0]) / 255.0;
                        *g = f32::from(px[1]) / 255.0;
                        *b = f32::from(px[2]) / 255.0;
                    }
                    vec![r, g, b]
                }
            }
            (None, Some(samples)) => {
                let mut plane = take_buffer(n);
                plane.extend(samples.iter().map(|&v| f32::from(v) / 65535.0));
                vec![plane]
            }
            (None, None) => Vec::new(),
        };
        Planes {
            width,
            height,
            planes,
            pixel_type: image.pixel_type(),
        }
    }

    /// Hands the plane buffers to this thread's spares, for the next [`Planes::from_image`]
    /// (or [`take_buffer`]) on this thread: a perturbation then reuses memory that is already
    /// mapped instead of faulting fresh pages in (the allocator returns large freed blocks to
    /// the system).
    pub fn recycle(self) {
        for plane in self.planes {
            give_back(plane);
        }
    }

    /// Joins the planes back into an image of the source's pixel type, clipping to [0, 1] and
    /// truncating to integer levels. Fails only if a kind changed the planes' shape
    /// inconsistently.
    pub fn to_image(&self) -> Result<Image, PerturbError> {
        let expected = self.pixel_type.channels();
        if self.planes.len() != expected
            || self
                .planes
                .iter()
                .any(|p| p.len() != self.width * self.height)
        {
            return Err(PerturbError::ImageSize {
                width: self.width,
                height: self.height,
                channels: expected,
                expected: self.width * self.height * expected,
                actual: self.planes.iter().map(Vec::len).sum(),
            });
        }
        match self.pixel_type {
            PixelType::Gray16 => Image::gray16(
                self.width,
                self.height,
                self.planes[0]
                    .iter()
                    .map(|&v| (f64::from(v.clamp(0.0, 1.0)) * 65535.0 + 0.01).min(65535.0) as u16)
                    .collect(),
            ),
            PixelType::Gray8 => Image::gray8(
                self.width,
                self.height,
                self.planes[0].iter().map(|&v| truncate_level8(v)).collect(),
            ),
            PixelType::Rgb8 => {
                let (r, g, b) = (&self.planes[0], &self.planes[1], &self.planes[2]);
                let mut samples = vec![0u8; r.len() * 3];
                // 16 pixels at a time: the three conversions vectorise, then interleave.
                let blocks = samples
                    .chunks_exact_mut(3 * BLOCK)
                    .zip(r.chunks_exact(BLOCK))
                    .zip(g.chunks_exact(BLOCK))
                    .zip(b.chunks_exact(BLOCK));
                for (((px, r), g), b) in blocks {
                    // Always `Ok` for exact chunks; fixed sizes let the loop unroll.
                    if let (Ok(px), Ok(r), Ok(g), Ok(b)) =
                        (px.try_into(), r.try_into(), g.try_into(), b.try_into())
                    {
                        join_block(r, g, b, px);
                    }
                }
                let done = r.len() / BLOCK * BLOCK;
                let rest = samples[3 * done..].chunks_exact_mut(3);
                for (((px, &r), &g), &b) in rest.zip(&r[done..]).zip(&g[done..]).zip(&b[done..]) {
                    px.copy_from_slice(&[
                        truncate_level8(r),
                        truncate_level8(g),
                        truncate_level8(b),
                    ]);
                }
                Image::rgb8(self.width, self.height, samples)
            }
        }
    }

    /// Number of pixels per plane.
    pub fn pixels(&self) -> usize {
        self.width * self.height
    }

    /// Whether the source is 8-bit (kinds that quantise, like JPEG, behave per depth).
    pub fn is_8bit(&self) -> bool {
        self.pixel_type != PixelType::Gray16
    }

    /// Luma of an RGB pixel (ITU-R 601, as PIL's `convert('L')`), or the gray value.
    pub fn luma(&self, i: usize) -> f32 {
        if self.planes.len() == 3 {
            0.299 * self.planes[0][i] + 0.587 * self.planes[1][i] + 0.114 * self.planes[2][i]
        } else {
            self.planes[0][i]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_survives_the_round_trip() {
        let all16: Vec<u16> = (0..=u16::MAX).collect();
        let image = Image::gray16(256, 256, all16).unwrap();
        assert_eq!(Planes::from_image(&image).to_image().unwrap(), image);
        let all8: Vec<u8> = (0..=255).collect();
        let image = Image::gray8(16, 16, all8).unwrap();
        assert_eq!(Planes::from_image(&image).to_image().unwrap(), image);
        let rgb: Vec<u8> = (0..3 * 256).map(|i| (i * 7 % 256) as u8).collect();
        let image = Image::rgb8(16, 16, rgb).unwrap();
        assert_eq!(Planes::from_image(&image).to_image().unwrap(), image);
    }

    #[test]
    fn truncate_level8_equals_the_saturating_cast() {
        #[allow(clippy::manual_clamp)]
        let cast = |v: f32| (v.max(0.0).min(1.0) * 255.0 + 1e-3) as u8;
        // Every 251st bit pattern (all signs, exponents, NaNs, infinities), and every value
        // within 64 ulps of each level and half-level.
        for bits in (0..=u32::MAX).step_by(251) {
            let v = f32::from_bits(bits);
            assert_eq!(truncate_level8(v), cast(v), "{v:e} ({bits:#x})");
        }
        for half_levels in 0..=512u32 {
            let centre = (half_levels as f32 / 510.0).to_bits();
            for bits in centre.saturating_sub(64)..=centre + 64 {
                let v = f32::from_bits(bits);
                assert_eq!(truncate_level8(v), cast(v), "{v:e}");
            }
        }
    }

    #[test]
    fn f32_division_gives_the_f64_levels() {
        // `from_image` divides in f32; the reference value is `v / max` in f64, rounded once.
        for v in 0..=u16::MAX {
            assert_eq!(f32::from(v) / 65535.0, (f64::from(v) / 65535.0) as f32);
        }
        for v in 0..=u8::MAX {
            assert_eq!(f32::from(v) / 255.0, (f64::from(v) / 255.0) as f32);
        }
    }

    #[test]
    fn spare_buffers_are_reused_and_bounded() {
        give_back(Vec::with_capacity(1000));
        let v = take_buffer(500);
        assert!(v.is_empty() && v.capacity() >= 500);
        give_back(v);
        give_back(vec![0.0; SPARE_VALUES]);
        let total: usize = SPARES.with(|s| s.borrow().iter().map(Vec::capacity).sum());
        assert!(total <= SPARE_VALUES);
    }
}
