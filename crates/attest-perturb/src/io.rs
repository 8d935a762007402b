//! Reading and writing images for `attest perturb`: PNG, TIFF and JPEG in, PNG or TIFF out,
//! keeping 16-bit grayscale as 16-bit (a radiograph must not be squeezed into 8 bits on the
//! way through). DICOM comes with the data crate.

use std::path::Path;

use image::{DynamicImage, ImageBuffer, Luma, Rgb};

use crate::error::PerturbError;
use crate::image::{Image, PixelType};

fn codec(path: &Path, action: &str, e: impl std::fmt::Display) -> PerturbError {
    PerturbError::Codec(format!("cannot {action} `{}`: {e}", path.display()))
}

/// Reads an image file. 16-bit grayscale stays 16-bit; 8-bit grayscale stays gray; colour
/// becomes 8-bit RGB (alpha is dropped); other 16-bit colour becomes 8-bit RGB.
pub fn read_image(path: &Path) -> Result<Image, PerturbError> {
    let decoded = image::ImageReader::open(path)
        .map_err(|e| codec(path, "open", e))?
        .with_guessed_format()
        .map_err(|e| codec(path, "read", e))?
        .decode()
        .map_err(|e| codec(path, "decode", e))?;
    from_dynamic(decoded)
}

/// Converts a decoded image to [`Image`].
pub fn from_dynamic(decoded: DynamicImage) -> Result<Image, PerturbError> {
    let (w, h) = (decoded.width() as usize, decoded.height() as usize);
    match decoded {
        DynamicImage::ImageLuma8(buffer) => Image::gray8(w, h, buffer.into_raw()),
        DynamicImage::ImageLuma16(buffer) => Image::gray16(w, h, buffer.into_raw()),
        DynamicImage::ImageLumaA8(_) => Image::gray8(w, h, decoded.into_luma8().into_raw()),
        DynamicImage::ImageLumaA16(_) => Image::gray16(w, h, decoded.into_luma16().into_raw()),
        other => Image::rgb8(w, h, other.into_rgb8().into_raw()),
    }
}

/// Converts an [`Image`] to the `image` crate's type (for encoding).
pub fn to_dynamic(image: &Image) -> Result<DynamicImage, PerturbError> {
    let (w, h) = (image.width() as u32, image.height() as u32);
    let size_error = || PerturbError::Codec("image buffer does not match its size".into());
    Ok(match image.pixel_type() {
        PixelType::Gray8 => DynamicImage::ImageLuma8(
            ImageBuffer::<Luma<u8>, _>::from_raw(
                w,
                h,
                image.as_u8().ok_or_else(size_error)?.to_vec(),
            )
            .ok_or_else(size_error)?,
        ),
        PixelType::Gray16 => DynamicImage::ImageLuma16(
            ImageBuffer::<Luma<u16>, _>::from_raw(
                w,
                h,
                image.as_u16().ok_or_else(size_error)?.to_vec(),
            )
            .ok_or_else(size_error)?,
        ),
        PixelType::Rgb8 => DynamicImage::ImageRgb8(
            ImageBuffer::<Rgb<u8>, _>::from_raw(
                w,
                h,
                image.as_u8().ok_or_else(size_error)?.to_vec(),
            )
            .ok_or_else(size_error)?,
        ),
    })
}

/// Writes `image` as PNG or TIFF (by the extension), atomically: to a temporary file in the
/// same folder, renamed into place when complete, so a crash never leaves a half-written
/// image under the final name.
pub fn write_image(image: &Image, path: &Path) -> Result<(), PerturbError> {
    let format = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => image::ImageFormat::Png,
        Some("tif") | Some("tiff") => image::ImageFormat::Tiff,
        _ => {
            return Err(PerturbError::Codec(format!(
                "`{}`: write .png or .tiff (lossless, 16-bit capable)",
                path.display()
            )))
        }
    };
    let dynamic = to_dynamic(image)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("image");
    let temporary = dir.join(format!(".{file_name}.partial-{}", std::process::id()));
    dynamic
        .save_with_format(&temporary, format)
        .map_err(|e| codec(path, "write", e))?;
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        codec(path, "write", e)
    })
}
