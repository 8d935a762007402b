//! Weather kinds of ImageNet-C: fog, snow, frost (synthesised texture), spatter.

use crate::params::KindDef;

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[];
