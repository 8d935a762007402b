//! MedMNIST-C chest X-ray kinds: brightness_up/down, contrast_up/down, gamma_up/down.

use crate::params::KindDef;

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[];
