//! Noise kinds of ImageNet-C: gaussian_noise, shot_noise, impulse_noise, speckle_noise
//! (REFERENCE.md §2). Noise is drawn independently per channel and pixel, from one stream per
//! (plane, row), so rows run in parallel and the result does not depend on the thread count.

use rayon::prelude::*;

use crate::error::PerturbError;
use crate::params::{Family, KindDef, ParamDef, Params, SeverityTable};
use crate::planes::Planes;
use crate::random::{Rng, Seeds};

/// Applies `f(value, rng)` to every value, one random stream per (plane, row).
pub(crate) fn per_pixel_random<F>(planes: &mut Planes, seeds: &Seeds, f: F)
where
    F: Fn(f32, &mut Rng) -> f32 + Sync,
{
    let width = planes.width;
    for (c, plane) in planes.planes.iter_mut().enumerate() {
        plane.par_chunks_mut(width).enumerate().for_each(|(row, values)| {
            let mut rng = seeds.row(c, row);
            for v in values {
                *v = f(*v, &mut rng).clamp(0.0, 1.0);
            }
        });
    }
}

fn gaussian_noise(planes: &mut Planes, params: &Params, seeds: &Seeds) -> Result<(), PerturbError> {
    let sigma = params.get("sigma")?;
    per_pixel_random(planes, seeds, |x, rng| (f64::from(x) + sigma * rng.normal()) as f32);
    Ok(())
}

const SIGMA: &[ParamDef] = &[ParamDef {
    name: "sigma",
    description: "standard deviation of the added noise, on [0, 1] intensities (0 to 1)",
    min: 0.0,
    max: 1.0,
}];

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[KindDef {
    name: "gaussian_noise",
    family: Family::ImageNetC,
    summary: "additive Gaussian noise of standard deviation sigma on [0, 1] intensities",
    random: true,
    params: SIGMA,
    tables: &[
        SeverityTable {
            source: "imagecorruptions",
            rows: &[&[0.08], &[0.12], &[0.18], &[0.26], &[0.38]],
        },
    ],
    apply: gaussian_noise,
}];
