//! The working form of an image: one `f32` plane per channel, values in [0, 1].
//!
//! Every kind reads and writes planes, so it is written once for 8-bit, 16-bit and RGB input.
//! Conversion back truncates like `np.uint8(x * 255)` in `imagecorruptions` (so outputs match
//! the reference package level for level), with a small guard (1e-3 of a level at 8 bits, 0.01
//! at 16) so that an unchanged value never loses a level to `f32` rounding.

use crate::error::PerturbError;
use crate::image::{Image, PixelType};

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
    /// Splits `image` into normalised planes.
    pub fn from_image(image: &Image) -> Planes {
        let (width, height) = (image.width(), image.height());
        let planes = match (image.as_u8(), image.as_u16()) {
            (Some(samples), _) => {
                // One table lookup per sample: the 256 possible values, normalised once.
                // A fixed-size table: indexing it with a u8 needs no bounds check.
                let table: [f32; 256] = std::array::from_fn(|v| (v as f64 / 255.0) as f32);
                let channels = image.pixel_type().channels();
                if channels == 1 {
                    vec![samples.iter().map(|&v| table[usize::from(v)]).collect()]
                } else {
                    // One pass over the interleaved samples (three strided passes cost twice
                    // as much).
                    let n = width * height;
                    let (mut r, mut g, mut b) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n]);
                    for (((px, r), g), b) in
                        samples.chunks_exact(3).zip(&mut r).zip(&mut g).zip(&mut b)
                    {
                        *r = table[usize::from(px[0])];
                        *g = table[usize::from(px[1])];
                        *b = table[usize::from(px[2])];
                    }
                    vec![r, g, b]
                }
            }
            (None, Some(samples)) => {
                vec![samples
                    .iter()
                    .map(|&v| (f64::from(v) / 65535.0) as f32)
                    .collect()]
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

    /// Joins the planes back into an image of the source's pixel type, clipping to [0, 1] and
    /// truncating to integer levels. Fails only if a kind changed the planes' shape
    /// inconsistently.
    pub fn to_image(&self) -> Result<Image, PerturbError> {
        // f32 holds v/max to a relative 6e-8, i.e. 0.004 of a level at 16 bits: the guard
        // must exceed that so an untouched value comes back unchanged. `as` truncates, which
        // is floor for these non-negative values (and far cheaper than a floor call); NaN
        // casts to 0.
        // `max`/`min` (not `clamp`) map NaN to 0 and let the loop vectorise.
        #[allow(clippy::manual_clamp)]
        let level8 = |v: f32| -> u8 { (v.max(0.0).min(1.0) * 255.0 + 1e-3) as u8 };
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
                self.planes[0].iter().map(|&v| level8(v)).collect(),
            ),
            PixelType::Rgb8 => {
                let (r, g, b) = (&self.planes[0], &self.planes[1], &self.planes[2]);
                let mut samples = vec![0u8; r.len() * 3];
                for (((px, &r), &g), &b) in samples.chunks_exact_mut(3).zip(r).zip(g).zip(b) {
                    px[0] = level8(r);
                    px[1] = level8(g);
                    px[2] = level8(b);
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
    }
}
