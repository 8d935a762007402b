//! Radiography-specific acquisition and display faults.

use crate::params::KindDef;

/// The kinds of this module.
pub(crate) const KINDS: &[KindDef] = &[];
