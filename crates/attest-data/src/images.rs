//! Decoding a case's image as the model sees it: PNG, JPEG and TIFF (8 and 16 bits) through
//! the `image` crate, DICOM through dicom-rs with the display pipeline a radiologist's viewer
//! applies (modality rescale, VOI window or LUT, MONOCHROME1 inversion).
//!
//! Every read is bounded ([`ImageLimits`]): the file size is checked before reading, and the
//! pixel count before any pixel is decoded, so a decompression bomb or a forged header is
//! refused instead of exhausting memory. The format is recognised from the file's content, not
//! its extension.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use attest_perturb::Image;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_pixeldata::{ConvertOptions, PixelDecoder};

/// Upper bounds on what one image may cost to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Largest number of pixels (width × height × frames × samples) decoded.
    pub max_pixels: u64,
}

impl Default for ImageLimits {
    /// 1 GiB files and 100 million pixels: a 43 × 43 cm detector at 0.1 mm is 18.5 million
    /// pixels; a full-field mammogram about 30 million.
    fn default() -> Self {
        ImageLimits {
            max_file_bytes: 1 << 30,
            max_pixels: 100_000_000,
        }
    }
}

/// How to read an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadOptions {
    /// Bounds against hostile or broken files.
    pub limits: ImageLimits,
    /// The frame of a multi-frame DICOM object to read (from 0); multi-frame objects are
    /// refused without it.
    pub frame: Option<u32>,
}

/// The container an image came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Portable Network Graphics.
    Png,
    /// JPEG (JFIF).
    Jpeg,
    /// TIFF.
    Tiff,
    /// DICOM Part 10 file.
    Dicom,
}

impl ImageFormat {
    /// Lowercase name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Tiff => "tiff",
            ImageFormat::Dicom => "dicom",
        }
    }
}

/// What was read besides the pixels: enough to explain in a report how the image was
/// rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInfo {
    /// The container format.
    pub format: ImageFormat,
    /// DICOM: Bits Stored (e.g. 12 for a 12-bit detector in 16-bit words).
    pub bits_stored: Option<u16>,
    /// DICOM: Photometric Interpretation as stored (e.g. `MONOCHROME1`).
    pub photometric: Option<String>,
    /// DICOM: the transfer syntax's name.
    pub transfer_syntax: Option<String>,
    /// DICOM: number of frames in the object.
    pub frames: u32,
    /// DICOM: whether the stored values were inverted for display (MONOCHROME1).
    pub inverted: bool,
}

/// A decoded image with what was learned while decoding it.
#[derive(Debug, Clone)]
pub struct DecodedImage {
    /// The pixels, 8- or 16-bit gray or 8-bit RGB.
    pub image: Image,
    /// Format details.
    pub info: ImageInfo,
}

/// Why an image could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be opened or read.
    #[error("cannot read image `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS reason.
        source: std::io::Error,
    },
    /// The file or its pixel count exceeds a limit.
    #[error("image `{path}` is too large: {what} is {value}, the limit is {limit}")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What was measured ("file size in bytes", "pixel count").
        what: &'static str,
        /// The measured value.
        value: u64,
        /// The limit.
        limit: u64,
    },
    /// The content is not an image format Attest reads.
    #[error("`{path}` is not a PNG, JPEG, TIFF or DICOM file{hint}")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Extra explanation, or empty.
        hint: String,
    },
    /// A PNG, JPEG or TIFF decoder refused the file.
    #[error("cannot decode {format} image `{path}`: {reason}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// The format it claimed to be.
        format: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// A DICOM object could not be read or rendered.
    #[error("cannot read DICOM `{path}`: {reason}")]
    Dicom {
        /// The file.
        path: PathBuf,
        /// What went wrong, in words.
        reason: String,
    },
    /// The DICOM pixel data is compressed with a transfer syntax that Attest cannot decode.
    #[error("cannot decode DICOM `{path}`: transfer syntax {name} ({uid}) {reason}")]
    UnsupportedTransferSyntax {
        /// The file.
        path: PathBuf,
        /// The transfer syntax UID.
        uid: String,
        /// Its name.
        name: String,
        /// Why it cannot be decoded.
        reason: String,
    },
    /// A multi-frame DICOM object was given without choosing a frame.
    #[error("DICOM `{path}` has {frames} frames; choose one (frames count from 0)")]
    MultiFrame {
        /// The file.
        path: PathBuf,
        /// How many frames it has.
        frames: u32,
    },
    /// The chosen frame does not exist.
    #[error("DICOM `{path}` has {frames} frame(s); frame {frame} does not exist")]
    NoSuchFrame {
        /// The file.
        path: PathBuf,
        /// How many frames it has.
        frames: u32,
        /// The frame asked for.
        frame: u32,
    },
}

impl ImageError {
    /// A sentence saying how to fix the problem, for diagnostics.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            ImageError::Io { .. } => Some("check the path in the case table and that the file is readable"),
            ImageError::TooLarge { .. } => Some("check that the file is what it claims to be; for images known to be this large, raise `data.limits.max_image_pixels` or `max_image_bytes` in the spec"),
            ImageError::UnknownFormat { .. } => Some("convert the image to PNG (16-bit for radiographs) or DICOM"),
            ImageError::Decode { .. } => Some("the file may be truncated or damaged; re-export it"),
            ImageError::Dicom { .. } => Some("check the file with a DICOM validator (e.g. `dciodvfy`) and re-export it"),
            ImageError::UnsupportedTransferSyntax { .. } => Some("transcode the file to an uncompressed transfer syntax, e.g. `dcmdjpeg in.dcm out.dcm` or `gdcmconv --raw in.dcm out.dcm`"),
            ImageError::MultiFrame { .. } | ImageError::NoSuchFrame { .. } => Some("name the frame to read, or split the object into single-frame files"),
        }
    }
}

/// Reads an image file as the model would see it.
///
/// PNG, JPEG and TIFF keep their bit depth (16-bit gray stays 16-bit). DICOM goes through
/// the modality LUT (rescale slope/intercept), the first VOI window or VOI LUT in the object
/// (min–max normalisation when it has none), and MONOCHROME1 inversion, into 8 or 16 bits as
/// stored — the rendering a radiologist's viewer shows.
pub fn read_image(path: &Path, options: &ReadOptions) -> Result<DecodedImage, ImageError> {
    let io = |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    within(
        path,
        "file size in bytes",
        size,
        options.limits.max_file_bytes,
    )?;
    let mut head = [0u8; 132];
    let read = read_prefix(path, &mut head).map_err(io)?;
    let head = &head[..read];
    match sniff(head) {
        Some(Sniffed::Dicom) => read_dicom(path, options),
        Some(Sniffed::Raster(format)) => read_raster(path, format, &options.limits),
        None => {
            let dcm = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("dcm") || e.eq_ignore_ascii_case("dicom"));
            let hint = if dcm || looks_like_raw_dataset(head) {
                ": it has no DICOM file meta information (no `DICM` marker), so its transfer \
                 syntax is unknown — a raw data set, not a DICOM Part 10 file; re-save it as \
                 Part 10 (e.g. `dcmconv +F in.dcm out.dcm`)"
                    .to_string()
            } else {
                String::new()
            };
            Err(ImageError::UnknownFormat {
                path: path.to_path_buf(),
                hint,
            })
        }
    }
}

/// `Err(TooLarge)` when `value` exceeds `limit`.
fn within(path: &Path, what: &'static str, value: u64, limit: u64) -> Result<(), ImageError> {
    if value > limit {
        return Err(ImageError::TooLarge {
            path: path.to_path_buf(),
            what,
            value,
            limit,
        });
    }
    Ok(())
}

/// Reads up to `buf.len()` bytes from the start of the file.
fn read_prefix(path: &Path, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut file = File::open(path)?;
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

enum Sniffed {
    Dicom,
    Raster(ImageFormat),
}

/// The format named by the first bytes of a file.
fn sniff(head: &[u8]) -> Option<Sniffed> {
    if head.get(128..132) == Some(b"DICM") || head.starts_with(b"DICM") {
        return Some(Sniffed::Dicom);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Sniffed::Raster(ImageFormat::Png));
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Sniffed::Raster(ImageFormat::Jpeg));
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some(Sniffed::Raster(ImageFormat::Tiff));
    }
    None
}

/// Whether the bytes look like a DICOM data set without file meta: an even group number
/// (0x0008 is the usual first group) in little-endian at the start, possibly after a stray
/// byte.
fn looks_like_raw_dataset(head: &[u8]) -> bool {
    let group_at = |i: usize| head.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    [0usize, 1]
        .iter()
        .any(|&i| matches!(group_at(i), Some(0x0002 | 0x0008)))
}

fn read_raster(
    path: &Path,
    format: ImageFormat,
    limits: &ImageLimits,
) -> Result<DecodedImage, ImageError> {
    let decode_error = |reason: String| ImageError::Decode {
        path: path.to_path_buf(),
        format: format.name(),
        reason,
    };
    let codec_format = match format {
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        _ => image::ImageFormat::Tiff,
    };
    let file = File::open(path).map_err(|source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = image::ImageReader::with_format(std::io::BufReader::new(file), codec_format);
    // The pixel limit as the decoder's own bounds: dimensions checked from the header, and
    // allocation capped at 16-bit RGBA of that many pixels.
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(decoder_limits);
    // One open: the header gives the size, checked before any pixel is decoded.
    let decoder = reader
        .into_decoder()
        .map_err(|e| decode_error(e.to_string()))?;
    let (width, height) = image::ImageDecoder::dimensions(&decoder);
    within(
        path,
        "pixel count",
        u64::from(width) * u64::from(height),
        limits.max_pixels,
    )?;
    let decoded =
        image::DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e.to_string()))?;
    let image =
        attest_perturb::io::from_dynamic(decoded).map_err(|e| decode_error(e.to_string()))?;
    Ok(DecodedImage {
        image,
        info: ImageInfo {
            format,
            bits_stored: None,
            photometric: None,
            transfer_syntax: None,
            frames: 1,
            inverted: false,
        },
    })
}

fn read_dicom(path: &Path, options: &ReadOptions) -> Result<DecodedImage, ImageError> {
    let dicom_error = |reason: String| ImageError::Dicom {
        path: path.to_path_buf(),
        reason,
    };
    // Before dicom-rs, which allocates a value's declared length before reading it.
    crate::dicom_lengths::check(path).map_err(dicom_error)?;
    let object = OpenFileOptions::new()
        .open_file(path)
        .map_err(|e| dicom_error(describe_open_error(&e)))?;
    let uid = object
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    let syntax = syntax_name_support(&uid);
    let syntax_name = syntax
        .clone()
        .map_or_else(|| "unknown".to_string(), |(name, _)| name);
    if let Some((name, false)) = syntax {
        return Err(ImageError::UnsupportedTransferSyntax {
            path: path.to_path_buf(),
            uid,
            name,
            reason: "has no pure-Rust decoder in this build".to_string(),
        });
    }
    let rows = u64::from(int_attribute(&object, tags::ROWS).ok_or_else(|| {
        dicom_error("it has no Rows attribute; it may not hold an image".to_string())
    })?);
    let columns = u64::from(
        int_attribute(&object, tags::COLUMNS)
            .ok_or_else(|| dicom_error("it has no Columns attribute".to_string()))?,
    );
    let samples = u64::from(int_attribute(&object, tags::SAMPLES_PER_PIXEL).unwrap_or(1));
    let frames = int_attribute(&object, tags::NUMBER_OF_FRAMES)
        .unwrap_or(1)
        .max(1);
    let pixels = rows
        .saturating_mul(columns)
        .saturating_mul(samples)
        .saturating_mul(u64::from(frames));
    within(path, "pixel count", pixels, options.limits.max_pixels)?;
    let frame = match (frames, options.frame) {
        (1, None) => 0,
        (_, None) => {
            return Err(ImageError::MultiFrame {
                path: path.to_path_buf(),
                frames,
            })
        }
        (_, Some(f)) if f >= frames => {
            return Err(ImageError::NoSuchFrame {
                path: path.to_path_buf(),
                frames,
                frame: f,
            })
        }
        (_, Some(f)) => f,
    };
    if object.element(tags::PIXEL_DATA).is_err() {
        return Err(dicom_error("it has no Pixel Data element".to_string()));
    }
    check_pixel_depth(&object).map_err(dicom_error)?;
    // dicom-rs 0.10's RLE decoder indexes past a segment that decodes short (found by the
    // `image` fuzz target, fuzz/regressions/image/); its panic must not take a whole run
    // down with it, so it becomes this file's decode error.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        object.decode_pixel_data_frame(frame)
    }))
    .map_err(|panic| {
        let what = crate::panic_message(panic.as_ref());
        dicom_error(format!(
            "its pixel data cannot be decoded: the {syntax_name} decoder failed on it ({what}); the file is probably damaged"
        ))
    })?
    .map_err(|e| {
        let reason = error_chain(&e);
        if is_codec_failure(&reason) {
            ImageError::UnsupportedTransferSyntax {
                path: path.to_path_buf(),
                uid: uid.clone(),
                name: syntax_name.clone(),
                reason: format!("could not be decoded: {reason}"),
            }
        } else {
            dicom_error(format!("its pixel data cannot be decoded: {reason}"))
        }
    })?;
    let photometric = decoded.photometric_interpretation().as_str().to_string();
    let bits_stored = decoded.bits_stored();
    // The rendering (modality and VOI lookup tables) is dependency code too: a panic there on
    // a damaged file is that file's error, as for the decoders above.
    let dynamic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decoded.to_dynamic_image_with_options(0, &ConvertOptions::new())
    }))
    .map_err(|panic| {
        let what = crate::panic_message(panic.as_ref());
        dicom_error(format!(
            "its pixel data cannot be rendered ({what}); the file is probably damaged"
        ))
    })?
    .map_err(|e| dicom_error(format!("its pixel data cannot be rendered: {e}")))?;
    let image = attest_perturb::io::from_dynamic(dynamic)
        .map_err(|e| dicom_error(format!("its pixel data cannot be rendered: {e}")))?;
    Ok(DecodedImage {
        image,
        info: ImageInfo {
            format: ImageFormat::Dicom,
            bits_stored: Some(bits_stored),
            inverted: photometric == "MONOCHROME1",
            photometric: Some(photometric),
            transfer_syntax: Some(syntax_name),
            frames,
        },
    })
}

/// Checks the pixel depth attributes against PS3.3 C.7.6.3.1 before anything decodes with
/// them: Bits Allocated is 1 or a multiple of 8 up to 64, Bits Stored is 1 to Bits
/// Allocated, and High Bit lies within the allocated bits. dicom-pixeldata builds its lookup
/// tables from Bits Stored with a shift, so a damaged value (3072, found by the `image` fuzz
/// target) made it overflow — a panic with overflow checks, a wrong image without.
fn check_pixel_depth(object: &DefaultDicomObject) -> Result<(), String> {
    let allocated = int_attribute(object, tags::BITS_ALLOCATED)
        .ok_or("it has no readable Bits Allocated (0028,0100)")?;
    if allocated != 1 && (allocated % 8 != 0 || allocated > 64) {
        return Err(format!(
            "its Bits Allocated (0028,0100) is {allocated}; DICOM allows 1 or a multiple of 8 (up to 64) — the file is damaged"
        ));
    }
    let stored = int_attribute(object, tags::BITS_STORED).unwrap_or(allocated);
    if stored == 0 || stored > allocated {
        return Err(format!(
            "its Bits Stored (0028,0101) is {stored} with Bits Allocated {allocated}; it must be 1 to {allocated} — the file is damaged"
        ));
    }
    if let Some(high) = int_attribute(object, tags::HIGH_BIT) {
        if high >= allocated {
            return Err(format!(
                "its High Bit (0028,0102) is {high} with Bits Allocated {allocated}; it must be below {allocated} — the file is damaged"
            ));
        }
    }
    Ok(())
}

/// An integer attribute (US or IS) of the object, if present and readable.
fn int_attribute(object: &DefaultDicomObject, tag: dicom_object::Tag) -> Option<u32> {
    let element = object.element(tag).ok()?;
    element
        .to_int::<u32>()
        .ok()
        .or_else(|| element.to_str().ok()?.trim().parse().ok())
}

/// The registry's name for a transfer syntax UID and whether its pixel data can be decoded.
fn syntax_name_support(uid: &str) -> Option<(String, bool)> {
    use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
    use dicom_transfer_syntax_registry::TransferSyntaxRegistry;
    let syntax = TransferSyntaxRegistry.get(uid)?;
    Some((syntax.name().to_string(), syntax.can_decode_all()))
}

/// Whether a pixel decoding error came from the image codec (as opposed to a malformed
/// object).
fn is_codec_failure(reason: &str) -> bool {
    let lower = reason.to_ascii_lowercase();
    [
        "unsupported",
        "not supported",
        "decod",
        "codec",
        "jpeg",
        "precision",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// An error and its causes as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Turns dicom-object's open error into a sentence, recognising truncation.
fn describe_open_error(e: &dicom_object::ReadError) -> String {
    let text = error_chain(e);
    let lower = text.to_ascii_lowercase();
    if lower.contains("unexpected end")
        || lower.contains("eof")
        || lower.contains("fill whole buffer")
    {
        format!("the file is truncated ({text})")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_recognises_magic_numbers() {
        let mut dicom = vec![0u8; 132];
        dicom[128..132].copy_from_slice(b"DICM");
        assert!(matches!(sniff(&dicom), Some(Sniffed::Dicom)));
        assert!(matches!(
            sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(Sniffed::Raster(ImageFormat::Png))
        ));
        assert!(matches!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(Sniffed::Raster(ImageFormat::Jpeg))
        ));
        assert!(matches!(
            sniff(b"II*\0rest"),
            Some(Sniffed::Raster(ImageFormat::Tiff))
        ));
        assert!(sniff(b"hello world").is_none());
    }

    #[test]
    fn raw_dataset_detection_allows_one_stray_byte() {
        assert!(looks_like_raw_dataset(&[0x08, 0x00, 0x05, 0x00]));
        assert!(looks_like_raw_dataset(&[0x00, 0x08, 0x00, 0x05, 0x00]));
        assert!(!looks_like_raw_dataset(b"plain text"));
    }
}
