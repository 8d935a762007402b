//! The working form of an image: one `f32` plane per channel, values in [0, 1].
//!
//! Every kind reads and writes planes, so it is written once for 8-bit, 16-bit and RGB input.
//! Conversion back truncates like `np.uint8(x * 255)` in `imagecorruptions` (so outputs match
//! the reference package level for level), with a 1e-3 guard so that an unchanged value never
//! loses a level to `f32` rounding.

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
        let channels = image.pixel_type().channels();
        let scale = 1.0 / image.pixel_type().max_value();
        let n = image.width() * image.height();
        let mut planes = vec![Vec::with_capacity(n); channels];
        for i in 0..n {
            for (c, plane) in planes.iter_mut().enumerate() {
                plane.push((image.sample(i * channels + c) * scale) as f32);
            }
        }
        Planes {
            width: image.width(),
            height: image.height(),
            planes,
            pixel_type: image.pixel_type(),
        }
    }

    /// Joins the planes back into an image of the source's pixel type, clipping to [0, 1] and
    /// truncating to integer levels. Fails only if a kind changed the planes' shape
    /// inconsistently.
    pub fn to_image(&self) -> Result<Image, PerturbError> {
        let max = self.pixel_type.max_value();
        let n = self.width * self.height;
        let channels = self.planes.len();
        let level = |v: f32| -> f64 {
            let v = if v.is_nan() { 0.0 } else { f64::from(v).clamp(0.0, 1.0) };
            (v * max + 1e-3).floor().min(max)
        };
        match self.pixel_type {
            PixelType::Gray16 => {
                Image::gray16(self.width, self.height, self.planes[0].iter().map(|&v| level(v) as u16).collect())
            }
            PixelType::Gray8 => {
                Image::gray8(self.width, self.height, self.planes[0].iter().map(|&v| level(v) as u8).collect())
            }
            PixelType::Rgb8 => {
                let mut samples = Vec::with_capacity(n * channels);
                for i in 0..n {
                    for plane in &self.planes {
                        samples.push(level(plane[i]) as u8);
                    }
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
