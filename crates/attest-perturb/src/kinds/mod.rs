//! The kinds, one module per group. Each module lists its kinds in `KINDS`; the registry
//! concatenates the lists in this order.

use crate::params::KindDef;

pub mod blur;
pub mod digital;
pub mod medmnist;
pub mod noise;
pub mod radiography;
pub mod weather;

/// Every group's kinds, in documentation order.
pub(crate) const ALL: &[&[KindDef]] = &[
    noise::KINDS,
    blur::KINDS,
    weather::KINDS,
    digital::KINDS,
    medmnist::KINDS,
    radiography::KINDS,
];
