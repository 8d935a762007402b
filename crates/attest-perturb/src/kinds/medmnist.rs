//! MedMNIST-C chest X-ray intensity kinds (REFERENCE.md §6.2, §6.3): brightness_up/down and
//! contrast_up/down (Pillow `ImageEnhance.Brightness` / `Contrast`), gamma_up/down
//! (torchvision `adjust_gamma`), with the severity tables of medmnistc's `chestmnist` config
//! (identical in `pneumoniamnist`). medmnistc calls the gamma kinds `gamma_corr_up/down`.
//!
//! All six are deterministic point maps. On 8-bit input (gray or RGB) each one reproduces the
//! package's integer arithmetic level for level, through a 256-entry table: Pillow's blend in
//! `f32` with truncation, torchvision's truncated gamma table. medmnistc's RGB → gray round
//! trip (REFERENCE.md §6.1) is the identity for these kinds, so one gray plane gives its
//! chest images exactly. On 16-bit input the same map is applied to the continuous [0, 1]
//! intensity (no 8-bit rounding): `factor · x`, `mean + factor · (x − mean)`, `x^gamma`.

use rayon::prelude::*;

use crate::error::PerturbError;
use crate::params::{Family, KindDef, ParamDef, Params, SeverityTable};
use crate::planes::Planes;
use crate::random::Seeds;

/// Applies a point map to every value: on 8-bit planes `levels(v)` on the integer level v
/// (via a 256-entry table), otherwise `continuous(x)` on the [0, 1] value, clipped.
fn map_intensities<L, C>(planes: &mut Planes, levels: L, continuous: C)
where
    L: Fn(u8) -> u8,
    C: Fn(f64) -> f64 + Sync,
{
    let width = planes.width;
    if width == 0 {
        return;
    }
    if planes.is_8bit() {
        let mut table = [0.0f32; 256];
        for (v, slot) in (0..=u8::MAX).zip(table.iter_mut()) {
            *slot = f32::from(levels(v)) / 255.0;
        }
        for plane in &mut planes.planes {
            plane.par_chunks_mut(width).for_each(|row| {
                for x in row {
                    *x = table[usize::from(level8(*x))];
                }
            });
        }
    } else {
        for plane in &mut planes.planes {
            plane.par_chunks_mut(width).for_each(|row| {
                for x in row {
                    *x = continuous(f64::from(*x)).clamp(0.0, 1.0) as f32;
                }
            });
        }
    }
}

/// The 8-bit level of a normalised value (exact for planes made from 8-bit images).
fn level8(x: f32) -> u8 {
    (x.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// Pillow `ImagingBlend` (`libImaging/Blend.c`) for one 8-bit sample:
/// `in1 + alpha · (in2 − in1)` computed in `f32` and truncated; when alpha is outside [0, 1]
/// the result is first clipped to [0, 255].
fn pillow_blend(in1: u8, in2: u8, alpha: f32) -> u8 {
    let temp = f32::from(in1) + alpha * f32::from(i16::from(in2) - i16::from(in1));
    if (0.0..=1.0).contains(&alpha) {
        temp as u8
    } else if temp <= 0.0 {
        0
    } else if temp >= 255.0 {
        255
    } else {
        temp as u8
    }
}

/// `brightness_up` / `brightness_down` (medmnistc `Brightness`, REFERENCE.md §6.3):
/// `ImageEnhance.Brightness(img).enhance(factor)` = blend of black and the image, i.e. every
/// intensity is multiplied by `factor` (clipped at white): a gain, not an additive offset.
fn brightness(planes: &mut Planes, params: &Params, _seeds: &Seeds) -> Result<(), PerturbError> {
    let factor = params.get("factor")?;
    // Pillow receives `factor` as a C float.
    let alpha = factor as f32;
    map_intensities(planes, |v| pillow_blend(0, v, alpha), |x| factor * x);
    Ok(())
}

/// `contrast_up` / `contrast_down` (medmnistc `Contrast`, REFERENCE.md §6.3):
/// `ImageEnhance.Contrast(img).enhance(factor)` = blend of a flat image at the mean gray level
/// and the image: `mean + factor · (x − mean)`, clipped. The mean is that of the luma image
/// (PIL `convert('L')`; the gray value itself for gray input), rounded half up to a level of
/// the input depth (Pillow: `int(mean + 0.5)` on 8-bit levels).
fn contrast(planes: &mut Planes, params: &Params, _seeds: &Seeds) -> Result<(), PerturbError> {
    let factor = params.get("factor")?;
    let alpha = factor as f32;
    let mean = mean_level(planes);
    let mean8 = u8::try_from(mean).unwrap_or(u8::MAX);
    let mean_x = mean as f64 / planes.pixel_type.max_value();
    map_intensities(
        planes,
        |v| pillow_blend(mean8, v, alpha),
        |x| mean_x + factor * (x - mean_x),
    );
    Ok(())
}

/// The mean luma of `planes` in levels of the input depth, rounded half up (Pillow
/// `ImageStat.Stat(image.convert('L')).mean` then `int(mean + 0.5)`). Level sums are
/// integers, so the parallel sum is exact and independent of the thread count.
fn mean_level(planes: &Planes) -> u64 {
    let max = planes.pixel_type.max_value() as f32;
    let n = planes.pixels();
    let width = planes.width;
    if n == 0 || width == 0 {
        return 0;
    }
    let level = move |x: f32| (x.clamp(0.0, 1.0) * max + 0.5) as u64;
    let sum: u64 = match planes.planes.as_slice() {
        [r, g, b] => r
            .par_chunks(width)
            .zip(g.par_chunks(width))
            .zip(b.par_chunks(width))
            .map(|((r, g), b)| {
                r.iter()
                    .zip(g)
                    .zip(b)
                    .map(|((&r, &g), &b)| pil_luma(level(r), level(g), level(b)))
                    .sum::<u64>()
            })
            .sum(),
        [gray, ..] => gray
            .par_chunks(width)
            .map(|row| row.iter().map(|&x| level(x)).sum::<u64>())
            .sum(),
        [] => 0,
    };
    (sum as f64 / n as f64 + 0.5) as u64
}

/// PIL's RGB → L conversion of one pixel (ITU-R 601 weights in 16-bit fixed point,
/// `libImaging/Convert.c`): `(19595 R + 38470 G + 7471 B + 0x8000) >> 16`.
fn pil_luma(r: u64, g: u64, b: u64) -> u64 {
    (19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16
}

/// `gamma_up` / `gamma_down` (medmnistc `GammaCorrection`, REFERENCE.md §6.3):
/// torchvision `adjust_gamma(img, gamma, gain=1)` on a PIL image, the lookup table
/// `T[v] = int((255 + 1 − 1e-3) · (v / 255)^gamma)`. gamma > 1 darkens mid-tones, gamma < 1
/// brightens them; black and white stay fixed. 16-bit input: `x^gamma`.
fn gamma(planes: &mut Planes, params: &Params, _seeds: &Seeds) -> Result<(), PerturbError> {
    let gamma = params.get("gamma")?;
    map_intensities(
        planes,
        |v| ((255.0 + 1.0 - 1e-3) * libm::pow(f64::from(v) / 255.0, gamma)) as u8,
        |x| libm::pow(x, gamma),
    );
    Ok(())
}

const BRIGHTNESS_UP: &[ParamDef] = &[ParamDef {
    name: "factor",
    description: "intensity multiplier, 1 = unchanged, values above 1 brighten (1 to 10)",
    min: 1.0,
    max: 10.0,
}];

const BRIGHTNESS_DOWN: &[ParamDef] = &[ParamDef {
    name: "factor",
    description: "intensity multiplier, 1 = unchanged, values below 1 darken (0 to 1)",
    min: 0.0,
    max: 1.0,
}];

const CONTRAST_UP: &[ParamDef] = &[ParamDef {
    name: "factor",
    description: "gain of the deviation from the mean gray level, 1 = unchanged (1 to 10)",
    min: 1.0,
    max: 10.0,
}];

const CONTRAST_DOWN: &[ParamDef] = &[ParamDef {
    name: "factor",
    description: "gain of the deviation from the mean gray level, 1 = unchanged, 0 = flat \
                  (0 to 1)",
    min: 0.0,
    max: 1.0,
}];

const GAMMA_UP: &[ParamDef] = &[ParamDef {
    name: "gamma",
    description: "exponent applied to [0, 1] intensities, 1 = unchanged, above 1 darkens \
                  mid-tones (1 to 10)",
    min: 1.0,
    max: 10.0,
}];

const GAMMA_DOWN: &[ParamDef] = &[ParamDef {
    name: "gamma",
    description: "exponent applied to [0, 1] intensities, 1 = unchanged, below 1 brightens \
                  mid-tones (0.01 to 1)",
    min: 0.01,
    max: 1.0,
}];

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[
    KindDef {
        name: "brightness_up",
        family: Family::MedMnistC,
        summary: "multiplies intensities by factor > 1 (PIL ImageEnhance.Brightness), clipping \
                  at white: a gain, not an added constant",
        random: false,
        params: BRIGHTNESS_UP,
        tables: &[SeverityTable {
            source: "medmnistc",
            rows: &[&[1.1], &[1.2], &[1.3], &[1.4], &[1.5]],
        }],
        apply: brightness,
    },
    KindDef {
        name: "brightness_down",
        family: Family::MedMnistC,
        summary: "multiplies intensities by factor < 1 (PIL ImageEnhance.Brightness): darker, \
                  black stays black",
        random: false,
        params: BRIGHTNESS_DOWN,
        tables: &[SeverityTable {
            source: "medmnistc",
            rows: &[&[0.9], &[0.8], &[0.7], &[0.6], &[0.5]],
        }],
        apply: brightness,
    },
    KindDef {
        name: "contrast_up",
        family: Family::MedMnistC,
        summary: "stretches intensities away from the image's mean gray by factor > 1 (PIL \
                  ImageEnhance.Contrast), clipping at black and white",
        random: false,
        params: CONTRAST_UP,
        tables: &[SeverityTable {
            source: "medmnistc",
            rows: &[&[1.1], &[1.2], &[1.3], &[1.4], &[1.6]],
        }],
        apply: contrast,
    },
    KindDef {
        name: "contrast_down",
        family: Family::MedMnistC,
        summary: "pulls intensities toward the image's mean gray by factor < 1 (PIL \
                  ImageEnhance.Contrast): flatter image",
        random: false,
        params: CONTRAST_DOWN,
        tables: &[SeverityTable {
            source: "medmnistc",
            rows: &[&[0.9], &[0.8], &[0.7], &[0.6], &[0.4]],
        }],
        apply: contrast,
    },
    KindDef {
        name: "gamma_up",
        family: Family::MedMnistC,
        summary: "gamma correction x^gamma with gamma > 1 (torchvision adjust_gamma): darkens \
                  mid-tones, black and white fixed",
        random: false,
        params: GAMMA_UP,
        tables: &[SeverityTable {
            source: "medmnistc",
            rows: &[&[1.1], &[1.2], &[1.3], &[1.4], &[1.6]],
        }],
        apply: gamma,
    },
    KindDef {
        name: "gamma_down",
        family: Family::MedMnistC,
        summary: "gamma correction x^gamma with gamma < 1 (torchvision adjust_gamma): brightens \
                  mid-tones, black and white fixed",
        random: false,
        params: GAMMA_DOWN,
        tables: &[SeverityTable {
            source: "medmnistc",
            rows: &[&[0.9], &[0.8], &[0.7], &[0.6], &[0.4]],
        }],
        apply: gamma,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::Image;
    use crate::registry::perturb;

    const NAMES: [&str; 6] = [
        "brightness_up",
        "brightness_down",
        "contrast_up",
        "contrast_down",
        "gamma_up",
        "gamma_down",
    ];

    fn def(name: &str) -> &'static KindDef {
        KINDS.iter().find(|k| k.name == name).unwrap()
    }

    fn at(name: &str, severity: u8) -> Params {
        def(name).severity(severity, None).unwrap()
    }

    /// The REFERENCE.md §8 test pattern, at any size (48 × 40 is the golden input).
    fn textured(width: usize, height: usize) -> Image {
        let samples = (0..height)
            .flat_map(|y| {
                (0..width).map(move |x| ((3 * x + 5 * y + (x * x + 2 * y * y) % 23) % 256) as u8)
            })
            .collect();
        Image::gray8(width, height, samples).unwrap()
    }

    /// REFERENCE.md §8 medmnistc rows: kind, severity, sum, then [0,0], [10,7], [24,20], [47,39].
    const GOLDEN: &[(&str, u8, u64, [u8; 4])] = &[
        ("brightness_up", 1, 274806, [0, 99, 210, 111]),
        ("brightness_up", 2, 293879, [0, 108, 229, 121]),
        ("brightness_up", 3, 309769, [0, 116, 248, 131]),
        ("brightness_up", 4, 323401, [0, 126, 255, 141]),
        ("brightness_up", 5, 335169, [0, 135, 255, 151]),
        ("brightness_down", 1, 226595, [0, 81, 171, 90]),
        ("brightness_down", 2, 201437, [0, 72, 152, 80]),
        ("brightness_down", 3, 176060, [0, 63, 133, 70]),
        ("brightness_down", 4, 150885, [0, 54, 114, 60]),
        ("brightness_down", 5, 125896, [0, 45, 95, 50]),
        ("contrast_up", 1, 251860, [0, 85, 196, 97]),
        ("contrast_up", 2, 252020, [0, 81, 202, 94]),
        ("contrast_up", 3, 252076, [0, 77, 208, 91]),
        ("contrast_up", 4, 252183, [0, 73, 214, 88]),
        ("contrast_up", 5, 252243, [0, 64, 226, 82]),
        ("contrast_down", 1, 251960, [13, 94, 185, 104]),
        ("contrast_down", 2, 252120, [26, 98, 179, 107]),
        ("contrast_down", 3, 252118, [39, 102, 173, 110]),
        ("contrast_down", 4, 252252, [52, 106, 167, 113]),
        ("contrast_down", 5, 252420, [79, 115, 155, 119]),
        ("gamma_up", 1, 241219, [0, 81, 186, 92]),
        ("gamma_up", 2, 230778, [0, 73, 180, 84]),
        ("gamma_up", 3, 221071, [0, 66, 175, 76]),
        ("gamma_up", 4, 212219, [0, 59, 170, 70]),
        ("gamma_up", 5, 196532, [0, 48, 161, 58]),
        ("gamma_down", 1, 265545, [0, 100, 197, 111]),
        ("gamma_down", 2, 279577, [0, 111, 203, 122]),
        ("gamma_down", 3, 295184, [0, 123, 209, 133]),
        ("gamma_down", 4, 312683, [0, 137, 215, 146]),
        ("gamma_down", 5, 355067, [0, 168, 228, 176]),
    ];

    #[test]
    fn matches_the_medmnistc_golden_values() {
        let image = textured(40, 48);
        assert_eq!(
            image
                .as_u8()
                .unwrap()
                .iter()
                .map(|&v| u64::from(v))
                .sum::<u64>(),
            252752
        );
        for &(name, sev, sum, pixels) in GOLDEN {
            let out = perturb(&image, &at(name, sev), 0).unwrap();
            let v = out.as_u8().unwrap();
            let got = [v[0], v[10 * 40 + 7], v[24 * 40 + 20], v[47 * 40 + 39]];
            assert_eq!(
                v.iter().map(|&v| u64::from(v)).sum::<u64>(),
                sum,
                "{name} {sev}"
            );
            assert_eq!(got, pixels, "{name} {sev}");
        }
    }

    #[test]
    fn gamma_tables_match_torchvision_at_mid_gray() {
        // REFERENCE.md §6.3: T[128] for the up and down tables.
        let image = Image::gray8(1, 1, vec![128]).unwrap();
        let level =
            |name: &str, sev| perturb(&image, &at(name, sev), 0).unwrap().as_u8().unwrap()[0];
        let up: Vec<u8> = (1..=5).map(|s| level("gamma_up", s)).collect();
        let down: Vec<u8> = (1..=5).map(|s| level("gamma_down", s)).collect();
        assert_eq!(up, [119, 111, 104, 97, 84]);
        assert_eq!(down, [137, 147, 158, 169, 194]);
    }

    #[test]
    fn kinds_are_deterministic_medmnistc_kinds_with_5_severities() {
        for name in NAMES {
            let kind = def(name);
            assert!(!kind.random, "{name}");
            assert_eq!(kind.family, Family::MedMnistC);
            assert_eq!(kind.max_severity(), 5);
            assert_eq!(kind.tables[0].source, "medmnistc");
        }
    }

    #[test]
    fn size_and_pixel_type_are_preserved() {
        let gray = textured(37, 33);
        let gray16 = Image::gray16(5, 4, (0..20).map(|i| i * 3000).collect()).unwrap();
        let rgb = Image::rgb8(7, 3, (0..63).map(|i| (i * 4) as u8).collect()).unwrap();
        let tiny = Image::gray8(1, 1, vec![77]).unwrap();
        for name in NAMES {
            for image in [&gray, &gray16, &rgb, &tiny] {
                let out = perturb(image, &at(name, 3), 1).unwrap();
                assert_eq!(out.width(), image.width());
                assert_eq!(out.height(), image.height());
                assert_eq!(out.pixel_type(), image.pixel_type());
            }
        }
    }

    #[test]
    fn output_does_not_depend_on_the_seed_or_thread_count() {
        let image = textured(64, 48);
        for name in NAMES {
            let p = at(name, 4);
            let a = perturb(&image, &p, 1).unwrap();
            assert_eq!(a, perturb(&image, &p, 2).unwrap(), "{name}");
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            assert_eq!(
                a,
                pool.install(|| perturb(&image, &p, 1).unwrap()),
                "{name}"
            );
        }
    }

    #[test]
    fn higher_severity_lowers_psnr() {
        let image = textured(96, 96);
        let gray16 = Image::gray16(
            96,
            96,
            image
                .as_u8()
                .unwrap()
                .iter()
                .map(|&v| u16::from(v) * 257)
                .collect(),
        )
        .unwrap();
        for name in NAMES {
            for input in [&image, &gray16] {
                let psnr: Vec<f64> = (1..=5)
                    .map(|sev| {
                        perturb(input, &at(name, sev), 0)
                            .unwrap()
                            .psnr(input)
                            .unwrap()
                    })
                    .collect();
                assert!(psnr.windows(2).all(|w| w[1] < w[0]), "{name}: {psnr:?}");
            }
        }
    }

    #[test]
    fn factor_or_gamma_1_is_the_identity() {
        let image = textured(40, 48);
        let gray16 =
            Image::gray16(4, 2, vec![0, 1, 1000, 30000, 40000, 65534, 65535, 12345]).unwrap();
        let rgb = Image::rgb8(7, 3, (0..63).map(|i| (i * 4) as u8).collect()).unwrap();
        for name in NAMES {
            let param = def(name).params[0].name;
            let p = at(name, 1).with(param, 1.0).unwrap();
            for input in [&image, &gray16, &rgb] {
                assert_eq!(&perturb(input, &p, 0).unwrap(), input, "{name}");
            }
        }
    }

    #[test]
    fn directions_are_as_named() {
        let image = textured(64, 64);
        let mean = |img: &Image| {
            img.as_u8()
                .unwrap()
                .iter()
                .map(|&v| f64::from(v))
                .sum::<f64>()
                / 4096.0
        };
        let spread = |img: &Image| {
            let m = mean(img);
            img.as_u8()
                .unwrap()
                .iter()
                .map(|&v| (f64::from(v) - m).abs())
                .sum::<f64>()
                / 4096.0
        };
        let out = |name: &str| perturb(&image, &at(name, 3), 0).unwrap();
        assert!(mean(&out("brightness_up")) > mean(&image));
        assert!(mean(&out("brightness_down")) < mean(&image));
        assert!(spread(&out("contrast_up")) > spread(&image));
        assert!(spread(&out("contrast_down")) < spread(&image));
        assert!(mean(&out("gamma_up")) < mean(&image), "gamma_up darkens");
        assert!(
            mean(&out("gamma_down")) > mean(&image),
            "gamma_down brightens"
        );
    }

    #[test]
    fn sixteen_bit_follows_the_8_bit_map_within_a_level() {
        // The 8-bit path truncates to a level and rounds the contrast mean to an 8-bit level;
        // the 16-bit path does neither, so the two differ by at most one level plus
        // 0.5 · |1 − factor| (0.3) of the mean's rounding.
        let image = textured(40, 48);
        let wide = Image::gray16(
            40,
            48,
            image
                .as_u8()
                .unwrap()
                .iter()
                .map(|&v| u16::from(v) * 257)
                .collect(),
        )
        .unwrap();
        for name in NAMES {
            for sev in 1..=5 {
                let narrow = perturb(&image, &at(name, sev), 0).unwrap();
                let wide_out = perturb(&wide, &at(name, sev), 0).unwrap();
                let worst = narrow
                    .as_u8()
                    .unwrap()
                    .iter()
                    .zip(wide_out.as_u16().unwrap())
                    .map(|(&a, &b)| (f64::from(a) - f64::from(b) / 257.0).abs())
                    .fold(0.0, f64::max);
                assert!(worst < 1.31, "{name} {sev}: {worst}");
            }
        }
    }

    #[test]
    fn rgb_contrast_uses_the_pil_luma_mean() {
        // A red/blue image: PIL luma of (200, 0, 0) is 60 and of (0, 0, 200) is 23; mean 41.5
        // rounds to 42. Factor 0 gives the flat mean level in every channel.
        let image = Image::rgb8(2, 1, vec![200, 0, 0, 0, 0, 200]).unwrap();
        let p = at("contrast_down", 1).with("factor", 0.0).unwrap();
        assert_eq!(perturb(&image, &p, 0).unwrap().as_u8().unwrap(), &[42; 6]);
    }
}
