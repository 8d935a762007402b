//! The image type perturbations take and return: 8-bit grayscale, 16-bit grayscale or 8-bit
//! RGB, row-major, channels interleaved.

use crate::error::PerturbError;

/// The pixel type of an [`Image`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelType {
    /// One 8-bit channel (0–255).
    Gray8,
    /// One 16-bit channel (0–65535; radiographs store 10–16 significant bits).
    Gray16,
    /// Three 8-bit channels, interleaved R, G, B.
    Rgb8,
}

impl PixelType {
    /// Channels per pixel.
    pub fn channels(self) -> usize {
        match self {
            PixelType::Gray8 | PixelType::Gray16 => 1,
            PixelType::Rgb8 => 3,
        }
    }

    /// The largest sample value.
    pub fn max_value(self) -> f64 {
        match self {
            PixelType::Gray8 | PixelType::Rgb8 => 255.0,
            PixelType::Gray16 => 65535.0,
        }
    }

    /// Name for messages and file metadata.
    pub fn name(self) -> &'static str {
        match self {
            PixelType::Gray8 => "8-bit grayscale",
            PixelType::Gray16 => "16-bit grayscale",
            PixelType::Rgb8 => "8-bit RGB",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Samples {
    U8(Vec<u8>),
    U16(Vec<u16>),
}

/// An image in memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Image {
    width: usize,
    height: usize,
    pixel_type: PixelType,
    samples: Samples,
}

fn check(width: usize, height: usize, channels: usize, actual: usize) -> Result<(), PerturbError> {
    let expected = width * height * channels;
    if width == 0 || height == 0 || expected != actual {
        return Err(PerturbError::ImageSize {
            width,
            height,
            channels,
            expected,
            actual,
        });
    }
    Ok(())
}

impl Image {
    /// An 8-bit grayscale image.
    pub fn gray8(width: usize, height: usize, samples: Vec<u8>) -> Result<Image, PerturbError> {
        check(width, height, 1, samples.len())?;
        Ok(Image {
            width,
            height,
            pixel_type: PixelType::Gray8,
            samples: Samples::U8(samples),
        })
    }

    /// A 16-bit grayscale image.
    pub fn gray16(width: usize, height: usize, samples: Vec<u16>) -> Result<Image, PerturbError> {
        check(width, height, 1, samples.len())?;
        Ok(Image {
            width,
            height,
            pixel_type: PixelType::Gray16,
            samples: Samples::U16(samples),
        })
    }

    /// An 8-bit RGB image, samples interleaved R, G, B.
    pub fn rgb8(width: usize, height: usize, samples: Vec<u8>) -> Result<Image, PerturbError> {
        check(width, height, 3, samples.len())?;
        Ok(Image {
            width,
            height,
            pixel_type: PixelType::Rgb8,
            samples: Samples::U8(samples),
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

    /// The pixel type.
    pub fn pixel_type(&self) -> PixelType {
        self.pixel_type
    }

    /// 8-bit samples (gray or interleaved RGB), if the image is 8-bit.
    pub fn as_u8(&self) -> Option<&[u8]> {
        match &self.samples {
            Samples::U8(v) => Some(v),
            Samples::U16(_) => None,
        }
    }

    /// 16-bit samples, if the image is 16-bit.
    pub fn as_u16(&self) -> Option<&[u16]> {
        match &self.samples {
            Samples::U16(v) => Some(v),
            Samples::U8(_) => None,
        }
    }

    /// Sample `i` (interleaved index) as a number in [0, max].
    pub fn sample(&self, i: usize) -> f64 {
        match &self.samples {
            Samples::U8(v) => f64::from(v[i]),
            Samples::U16(v) => f64::from(v[i]),
        }
    }

    /// Number of samples (width × height × channels).
    pub fn len(&self) -> usize {
        self.width * self.height * self.pixel_type.channels()
    }

    /// Whether the image has no samples (never true for a constructed image).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Peak signal-to-noise ratio against `other` in dB (∞ when identical), on the
    /// full-scale range of the pixel type.
    pub fn psnr(&self, other: &Image) -> Option<f64> {
        if self.width != other.width
            || self.height != other.height
            || self.pixel_type != other.pixel_type
        {
            return None;
        }
        let n = self.len();
        let mse = (0..n)
            .map(|i| (self.sample(i) - other.sample(i)).powi(2))
            .sum::<f64>()
            / n as f64;
        if mse == 0.0 {
            return Some(f64::INFINITY);
        }
        let max = self.pixel_type.max_value();
        Some(10.0 * (max * max / mse).log10())
    }
}
