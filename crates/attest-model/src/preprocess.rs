//! The spec's `model.input`: how a decoded (and possibly perturbed) image becomes one
//! image of a [`Batch`].
//!
//! Steps, in order: pixel values scaled to [0, 1] by the image's bit depth (8 or 16 bits) →
//! channels (RGB → luma with ITU-R 601 weights as Pillow's `convert("L")`; gray replicated
//! for 3-channel models) → fit to `size` (stretch, letterbox or centre crop) with Pillow's
//! antialiased bilinear filter in floating point (torchvision's `Resize` on a PIL image,
//! without rounding to 8-bit levels) → `(x − mean) / std`.

use attest_perturb::ops::resize::{resize_f32, Filter};
use attest_perturb::{Image, Planes};
use attest_spec::types::{InputSpec, ResizeMode};
use rayon::prelude::*;

use crate::error::ModelError;
use crate::tensor::Batch;

/// The preprocessing of one spec, ready to apply to many images.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocess {
    /// Output channels (1 or 3).
    pub channels: usize,
    /// Output rows.
    pub height: usize,
    /// Output columns.
    pub width: usize,
    /// How the image is fitted.
    pub resize: ResizeMode,
    /// Per-channel mean subtracted (after scaling to [0, 1]).
    pub mean: [f32; 3],
    /// Per-channel standard deviation divided by.
    pub std: [f32; 3],
}

impl Preprocess {
    /// The preprocessing the spec's `model.input` describes. Validation has already checked
    /// the values; anything out of range here is refused rather than guessed.
    pub fn from_spec(input: &InputSpec) -> Result<Preprocess, ModelError> {
        let channels = usize::from(input.channels);
        if channels != 1 && channels != 3 {
            return Err(ModelError::Spec(format!(
                "model.input.channels is {channels}; it must be 1 or 3"
            )));
        }
        let [height, width] = input.size.map(|v| v as usize);
        if height == 0 || width == 0 {
            return Err(ModelError::Spec("model.input.size must be positive".into()));
        }
        let (mut mean, mut std) = ([0.0f32; 3], [1.0f32; 3]);
        if let Some(n) = &input.normalize {
            for c in 0..channels {
                let pick = |v: &[f64]| v.get(c).or(v.first()).copied();
                mean[c] = pick(&n.mean).unwrap_or(0.0) as f32;
                std[c] = pick(&n.std).unwrap_or(1.0) as f32;
            }
        }
        if std.iter().any(|s| *s <= 0.0 || !s.is_finite()) {
            return Err(ModelError::Spec(
                "model.input.normalize.std must be positive".into(),
            ));
        }
        Ok(Preprocess {
            channels,
            height,
            width,
            resize: input.resize.unwrap_or(ResizeMode::Stretch),
            mean,
            std,
        })
    }

    /// Values per preprocessed image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Preprocesses `image` into `out` (`image_len()` values, channel-major).
    pub fn apply_into(&self, image: &Image, out: &mut [f32]) -> Result<(), ModelError> {
        if out.len() != self.image_len() {
            return Err(ModelError::Batch(format!(
                "{} values for one {}×{}×{} image",
                out.len(),
                self.channels,
                self.height,
                self.width
            )));
        }
        let planes = Planes::from_image(image);
        let sources: Vec<Vec<f32>> = if self.channels == 1 && planes.planes.len() == 3 {
            vec![(0..planes.pixels()).map(|i| planes.luma(i)).collect()]
        } else {
            planes.planes.clone()
        };
        let plane_len = self.height * self.width;
        let mut fitted = Vec::with_capacity(sources.len());
        for plane in &sources {
            fitted.push(self.fit(plane, planes.width, planes.height)?);
        }
        for (c, chunk) in out.chunks_exact_mut(plane_len).enumerate() {
            // Gray replicated for a 3-channel model.
            let source = &fitted[c.min(fitted.len() - 1)];
            let (mean, inv_std) = (self.mean[c], 1.0 / self.std[c]);
            for (o, &v) in chunk.iter_mut().zip(source) {
                *o = (v - mean) * inv_std;
            }
        }
        Ok(())
    }

    /// Preprocesses several images into one batch, in parallel; image order is kept.
    pub fn batch(&self, images: &[&Image]) -> Result<Batch, ModelError> {
        let len = self.image_len();
        let mut data = vec![0.0f32; images.len() * len];
        data.par_chunks_mut(len.max(1))
            .zip(images.par_iter())
            .try_for_each(|(out, image)| self.apply_into(image, out))?;
        Batch::new(images.len(), self.channels, self.height, self.width, data)
    }

    /// One plane fitted to the output size (values still in [0, 1]).
    fn fit(&self, plane: &[f32], w: usize, h: usize) -> Result<Vec<f32>, ModelError> {
        let (oh, ow) = (self.height, self.width);
        let resize = |src: &[f32], sw, sh, tw, th| {
            if (sw, sh) == (tw, th) {
                Ok(src.to_vec())
            } else {
                resize_f32(src, sw, sh, tw, th, Filter::Bilinear)
                    .map_err(|e| ModelError::Batch(e.to_string()))
            }
        };
        match self.resize {
            ResizeMode::Stretch => resize(plane, w, h, ow, oh),
            ResizeMode::Letterbox => {
                let scale = f64::min(ow as f64 / w as f64, oh as f64 / h as f64);
                let (tw, th) = scaled(w, h, scale, ow, oh);
                let inner = resize(plane, w, h, tw, th)?;
                // Black (0) padding, centred like torchvision's `Pad` + `Resize` recipe.
                let (x0, y0) = ((ow - tw) / 2, (oh - th) / 2);
                let mut out = vec![0.0f32; ow * oh];
                for (row, src) in inner.chunks_exact(tw).enumerate() {
                    let start = (y0 + row) * ow + x0;
                    out[start..start + tw].copy_from_slice(src);
                }
                Ok(out)
            }
            ResizeMode::CenterCrop => {
                let scale = f64::max(ow as f64 / w as f64, oh as f64 / h as f64);
                let (tw, th) = scaled(w, h, scale, ow, oh);
                let (tw, th) = (tw.max(ow), th.max(oh));
                let inner = resize(plane, w, h, tw, th)?;
                // torchvision's CenterCrop: offset round((size − crop) / 2).
                let x0 = ((tw - ow) as f64 / 2.0).round() as usize;
                let y0 = ((th - oh) as f64 / 2.0).round() as usize;
                let mut out = Vec::with_capacity(ow * oh);
                for row in 0..oh {
                    let start = (y0 + row) * tw + x0;
                    out.extend_from_slice(&inner[start..start + ow]);
                }
                Ok(out)
            }
        }
    }
}

/// `(w, h) · scale`, rounded and at least 1; the axis whose ratio decided the scale maps
/// exactly onto its target (no rounding drift).
fn scaled(w: usize, h: usize, scale: f64, ow: usize, oh: usize) -> (usize, usize) {
    let along = |v: usize, target: usize| {
        if (target as f64 / v as f64 - scale).abs() < 1e-12 {
            target
        } else {
            ((v as f64 * scale).round() as usize).max(1)
        }
    };
    (along(w, ow), along(h, oh))
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_spec::types::Normalize;

    fn spec(size: [u32; 2], channels: u8, resize: ResizeMode) -> InputSpec {
        InputSpec {
            size,
            channels,
            resize: Some(resize),
            normalize: Some(Normalize {
                mean: vec![0.5],
                std: vec![0.25],
            }),
        }
    }

    fn gradient(w: usize, h: usize) -> Image {
        let samples = (0..w * h)
            .map(|i| ((i % w) * 255 / (w - 1)) as u8)
            .collect();
        Image::gray8(w, h, samples).unwrap()
    }

    #[test]
    fn stretch_normalises_by_bit_depth() {
        let p = Preprocess::from_spec(&spec([4, 4], 1, ResizeMode::Stretch)).unwrap();
        let white = Image::gray16(4, 4, vec![65535; 16]).unwrap();
        let mut out = vec![0.0; 16];
        p.apply_into(&white, &mut out).unwrap();
        assert!(
            out.iter().all(|v| (v - 2.0).abs() < 1e-6),
            "(1 − 0.5) / 0.25 = 2"
        );
    }

    #[test]
    fn letterbox_pads_the_short_side_with_black() {
        let p = Preprocess::from_spec(&spec([8, 8], 1, ResizeMode::Letterbox)).unwrap();
        let wide = Image::gray8(16, 8, vec![255; 128]).unwrap();
        let mut out = vec![0.0; 64];
        p.apply_into(&wide, &mut out).unwrap();
        // 16×8 → 8×4, rows 2..6 image (white → 2.0), the rest black (0 → −2.0).
        for (row, values) in out.chunks(8).enumerate() {
            let expect = if (2..6).contains(&row) { 2.0 } else { -2.0 };
            assert!(
                values.iter().all(|v| (v - expect).abs() < 1e-5),
                "row {row}: {values:?}"
            );
        }
    }

    #[test]
    fn center_crop_keeps_the_middle() {
        let p = Preprocess::from_spec(&spec([4, 4], 1, ResizeMode::CenterCrop)).unwrap();
        // 8 wide × 4 high: scale 1 → crop columns 2..6.
        let img = gradient(8, 4);
        let mut out = vec![0.0; 16];
        p.apply_into(&img, &mut out).unwrap();
        let levels: Vec<u32> = out[..4]
            .iter()
            .map(|v| ((v * 0.25 + 0.5) * 255.0).round() as u32)
            .collect();
        assert_eq!(levels, vec![72, 109, 145, 182]);
    }

    #[test]
    fn gray_is_replicated_for_rgb_models_and_rgb_becomes_luma() {
        let p3 = Preprocess::from_spec(&spec([2, 2], 3, ResizeMode::Stretch)).unwrap();
        let gray = Image::gray8(2, 2, vec![0, 64, 128, 255]).unwrap();
        let mut out = vec![0.0; 12];
        p3.apply_into(&gray, &mut out).unwrap();
        assert_eq!(out[0..4], out[4..8]);
        assert_eq!(out[0..4], out[8..12]);

        let p1 = Preprocess::from_spec(&spec([1, 1], 1, ResizeMode::Stretch)).unwrap();
        let red = Image::rgb8(1, 1, vec![255, 0, 0]).unwrap();
        let mut one = vec![0.0; 1];
        p1.apply_into(&red, &mut one).unwrap();
        assert!((one[0] - (0.299 - 0.5) / 0.25).abs() < 1e-3, "{one:?}");
    }

    proptest::proptest! {
        /// Any image size, target size and mode gives a full tensor of finite values within
        /// the normalised range (antialiased bilinear never overshoots).
        #[test]
        fn every_fit_fills_the_tensor_in_range(
            w in 1usize..40, h in 1usize..40, ow in 1u32..24, oh in 1u32..24,
            mode in 0usize..3, level in 0u8..=255,
        ) {
            let resize = [ResizeMode::Stretch, ResizeMode::Letterbox, ResizeMode::CenterCrop][mode];
            let p = Preprocess::from_spec(&spec([oh, ow], 1, resize)).unwrap();
            let image = Image::gray8(w, h, (0..w * h).map(|i| level.wrapping_add(i as u8)).collect()).unwrap();
            let mut out = vec![f32::NAN; p.image_len()];
            p.apply_into(&image, &mut out).unwrap();
            proptest::prop_assert!(out.iter().all(|v| v.is_finite() && (-2.0001..=2.0001).contains(v)));
        }
    }

    #[test]
    fn batch_keeps_image_order() {
        let p = Preprocess::from_spec(&spec([2, 2], 1, ResizeMode::Stretch)).unwrap();
        let a = Image::gray8(2, 2, vec![0; 4]).unwrap();
        let b = Image::gray8(2, 2, vec![255; 4]).unwrap();
        let batch = p.batch(&[&a, &b, &a]).unwrap();
        assert_eq!(batch.n, 3);
        assert!(batch.image(0)[0] < 0.0 && batch.image(1)[0] > 0.0 && batch.image(2)[0] < 0.0);
    }
}
