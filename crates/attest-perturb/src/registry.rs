//! Looking kinds up by name and applying them.

use crate::error::PerturbError;
use crate::image::Image;
use crate::kinds::ALL;
use crate::params::{KindDef, Params};
use crate::planes::Planes;
use crate::random::Seeds;

/// Every kind, in documentation order (ImageNet-C, MedMNIST-C, radiography).
pub fn kinds() -> impl Iterator<Item = &'static KindDef> {
    ALL.iter().flat_map(|list| list.iter())
}

/// The kind called `name`, or an error suggesting the closest name.
pub fn kind(name: &str) -> Result<&'static KindDef, PerturbError> {
    kinds().find(|k| k.name == name).ok_or_else(|| {
        let best = kinds()
            .map(|k| (strsim::jaro_winkler(k.name, name), k.name))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        PerturbError::UnknownKind {
            name: name.to_string(),
            hint: best
                .map(|(_, n)| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default(),
        }
    })
}

/// The parameters of `name` at `severity` (1-based) from its default table.
pub fn severity_params(name: &str, severity: u8) -> Result<Params, PerturbError> {
    kind(name)?.severity(severity, None)
}

/// Applies the kind of `params` to `image` with `seed`. The output has the input's size and
/// pixel type.
pub fn perturb(image: &Image, params: &Params, seed: u64) -> Result<Image, PerturbError> {
    if let Some(out) = direct_path(image, params, seed) {
        return out;
    }
    perturb_planes(image, params, seed)
}

/// Kinds that can skip the f32 planes on 8-bit input because they only work on levels
/// (a per-channel lookup table, a codec, a resampling, a per-level sampler); each is tested
/// to equal [`perturb_planes`] exactly. (Dispatch by name keeps the fast paths in one place
/// rather than adding a field to all 38 kind definitions.)
fn direct_path(image: &Image, params: &Params, seed: u64) -> Option<Result<Image, PerturbError>> {
    match params.kind().name {
        "shot_noise" => crate::kinds::noise::shot_noise_levels(image, params, seed),
        "contrast" => crate::kinds::digital::contrast_levels(image, params),
        "jpeg_compression" => crate::kinds::digital::jpeg_levels(image, params),
        "pixelate" => crate::kinds::digital::pixelate_levels(image, params),
        _ => None,
    }
}

/// The general path: the image as f32 planes, the kind's apply function, back to the input's
/// pixel type.
fn perturb_planes(image: &Image, params: &Params, seed: u64) -> Result<Image, PerturbError> {
    let mut planes = Planes::from_image(image);
    (params.kind().apply)(&mut planes, params, &Seeds::new(seed))?;
    if planes.width != image.width() || planes.height != image.height() {
        return Err(PerturbError::Codec(format!(
            "`{}` changed the image size from {}×{} to {}×{}",
            params.kind().name,
            image.width(),
            image.height(),
            planes.width,
            planes.height
        )));
    }
    let image = planes.to_image();
    planes.recycle();
    image
}

/// Applies `name` at `severity`; severity 0 returns the image unchanged.
pub fn perturb_at_severity(
    image: &Image,
    name: &str,
    severity: u8,
    seed: u64,
) -> Result<Image, PerturbError> {
    let def = kind(name)?;
    if severity == 0 {
        return Ok(image.clone());
    }
    perturb(image, &def.severity(severity, None)?, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic 8-bit image with every level present and an uneven histogram.
    fn levels(channels: usize) -> Image {
        let (w, h) = (37, 23);
        let samples: Vec<u8> = (0..w * h * channels)
            .map(|i| ((i * 97 + i / 7 * 31) % 256) as u8)
            .collect();
        match channels {
            1 => Image::gray8(w, h, samples),
            _ => Image::rgb8(w, h, samples),
        }
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn direct_paths_equal_the_planes_path() {
        for channels in [1, 3] {
            let image = levels(channels);
            for name in ["contrast", "jpeg_compression", "pixelate", "shot_noise"] {
                let def = kind(name).unwrap_or_else(|e| panic!("{e}"));
                // Every severity of every table (medmnistc's pixelate enlarges with BOX).
                let mut all: Vec<Params> = def
                    .tables
                    .iter()
                    .flat_map(|t| (1..=def.max_severity()).map(|s| (s, t.source)))
                    .filter_map(|(s, source)| def.severity(s, Some(source)).ok())
                    .collect();
                if name == "contrast" {
                    for extra in [1.0, 1.7, 0.0] {
                        let p = def.severity(1, None).unwrap_or_else(|e| panic!("{e}"));
                        all.push(p.with("factor", extra).unwrap_or_else(|e| panic!("{e}")));
                    }
                }
                if name == "shot_noise" {
                    // Means above the tables' 64 (rejection sampling), and counts past 1.
                    for photons in [1000.0, 300.0, 1.0] {
                        let p = def.severity(1, None).unwrap_or_else(|e| panic!("{e}"));
                        all.push(p.with("photons", photons).unwrap_or_else(|e| panic!("{e}")));
                    }
                }
                for params in all {
                    // medmnistc's gray-via-RGB noise on gray input takes the planes.
                    let via_rgb = params.get("gray_as_rgb").is_ok_and(|g| g >= 0.5);
                    for seed in [0, 7, 1 << 40] {
                        let Some(direct) = direct_path(&image, &params, seed) else {
                            assert!(via_rgb && channels == 1, "{name} has a direct path");
                            continue;
                        };
                        let direct = direct.unwrap_or_else(|e| panic!("{e}"));
                        let planes =
                            perturb_planes(&image, &params, seed).unwrap_or_else(|e| panic!("{e}"));
                        assert_eq!(
                            direct,
                            planes,
                            "{name} {:?} channels {channels} seed {seed}",
                            params.pairs()
                        );
                    }
                }
            }
        }
        // 16-bit images take the planes path.
        let wide = Image::gray16(4, 4, (0..16).map(|v| v * 4000).collect())
            .unwrap_or_else(|e| panic!("{e}"));
        let params = severity_params("contrast", 3).unwrap_or_else(|e| panic!("{e}"));
        assert!(direct_path(&wide, &params, 0).is_none());
        let params = severity_params("shot_noise", 3).unwrap_or_else(|e| panic!("{e}"));
        assert!(direct_path(&wide, &params, 0).is_none());
    }
}
