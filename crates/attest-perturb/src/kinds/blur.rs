//! Blur kinds of ImageNet-C: defocus_blur, glass_blur, motion_blur, zoom_blur, gaussian_blur.

use crate::params::KindDef;

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[];
