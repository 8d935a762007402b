//! PNG, JPEG and TIFF reading: bit depth kept, format recognised by content, limits enforced
//! before decoding.

use std::path::Path;

use attest_data::images::{read_image, ImageError, ImageFormat, ImageLimits, ReadOptions};
use attest_perturb::PixelType;

fn write_gray16(path: &Path, format: image::ImageFormat) {
    let buffer = image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::from_fn(40, 30, |x, y| {
        image::Luma([(x * 1000 + y * 7) as u16])
    });
    image::DynamicImage::ImageLuma16(buffer)
        .save_with_format(path, format)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn sixteen_bit_png_and_tiff_stay_sixteen_bit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, format, expected) in [
        ("a.png", image::ImageFormat::Png, ImageFormat::Png),
        ("a.tiff", image::ImageFormat::Tiff, ImageFormat::Tiff),
    ] {
        let path = dir.path().join(name);
        write_gray16(&path, format);
        let d = read_image(&path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.info.format, expected);
        assert_eq!(d.image.pixel_type(), PixelType::Gray16);
        assert_eq!(d.image.as_u16().map(|s| s[1]), Some(1000));
    }
}

#[test]
fn format_comes_from_content_not_extension() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("really-a-png.jpg");
    write_gray16(&path, image::ImageFormat::Png);
    let d = read_image(&path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.info.format, ImageFormat::Png);
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "not an image").unwrap_or_else(|e| panic!("{e}"));
    let e = read_image(&text, &ReadOptions::default()).err();
    assert!(matches!(e, Some(ImageError::UnknownFormat { .. })), "{e:?}");
}

#[test]
fn a_png_header_claiming_a_huge_image_is_refused_before_decoding() {
    // A valid PNG signature and IHDR for 100,000 × 100,000 pixels, almost no data: a bomb's
    // header. Decoding would need 10 GB; the pixel limit refuses it from the header.
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
        out
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    // A few bytes of image data (an empty zlib stream): the header is complete, the pixels
    // are not there.
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("{e}"));
    let e = read_image(&path, &ReadOptions::default()).err();
    assert!(
        matches!(
            e,
            Some(ImageError::TooLarge {
                what: "pixel count",
                ..
            })
        ),
        "{e:?}"
    );
}

#[test]
fn the_file_size_limit_applies_before_reading() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("a.png");
    write_gray16(&path, image::ImageFormat::Png);
    let options = ReadOptions {
        limits: ImageLimits {
            max_file_bytes: 10,
            ..ImageLimits::default()
        },
        frame: None,
    };
    let e = read_image(&path, &options).err();
    assert!(
        matches!(
            e,
            Some(ImageError::TooLarge {
                what: "file size in bytes",
                ..
            })
        ),
        "{e:?}"
    );
}

#[test]
fn real_jpeg_radiographs_decode_as_8_bit_gray() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/chest-xray/source/NORMAL2-IM-1427-0001.jpeg");
    let d = read_image(&source, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.info.format, ImageFormat::Jpeg);
    assert_eq!(d.image.pixel_type(), PixelType::Gray8);
    assert_eq!((d.image.width(), d.image.height()), (1776, 1416));
}
