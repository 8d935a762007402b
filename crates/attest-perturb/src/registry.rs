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
