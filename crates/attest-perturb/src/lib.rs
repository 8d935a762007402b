//! Image perturbations for robustness tests: a registry of named kinds — the ImageNet-C
//! corruptions (severity tables of the `imagecorruptions` package), the MedMNIST-C chest X-ray
//! set (`medmnistc`), and radiography-specific faults — each with a severity table (1–5) and
//! named parameters a spec can override.
//!
//! An output is a pure function of (image, kind, parameters, seed): random draws come from a
//! generator seeded per (seed, plane, row), so the result does not depend on the number of
//! threads, and transcendental functions come from `libm` (not the platform's C library), so
//! it does not depend on the machine either. 8- and 16-bit grayscale are processed natively —
//! a radiograph is never forced through RGB — and RGB is supported; the output has the
//! input's pixel type, size and value range.
//!
//! Algorithms and severity tables follow `REFERENCE.md` (read from the published Python
//! packages; where a kind is a re-creation rather than a port, its description says so).
//!
//! ```
//! use attest_perturb::{perturb_at_severity, Image};
//! let image = Image::gray8(64, 64, vec![128; 64 * 64])?;
//! let noisy = perturb_at_severity(&image, "gaussian_noise", 3, 42)?;
//! assert_eq!((noisy.width(), noisy.height()), (64, 64));
//! assert_ne!(noisy, image);
//! # Ok::<(), attest_perturb::PerturbError>(())
//! ```

pub mod error;
pub mod font;
pub mod image;
pub mod io;
pub mod kinds;
pub mod ops;
pub mod params;
pub mod planes;
pub mod random;
pub mod registry;
pub mod sheet;

pub use error::PerturbError;
pub use image::{Image, PixelType};
pub use params::{Family, KindDef, ParamDef, Params};
pub use planes::Planes;
pub use registry::{kind, kinds, perturb, perturb_at_severity, severity_params};
