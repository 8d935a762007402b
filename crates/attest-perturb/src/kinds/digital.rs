//! Digital kinds of ImageNet-C: brightness, contrast, elastic_transform, pixelate, jpeg_compression.

use crate::params::KindDef;

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[];
