//! Image perturbations for robustness tests: a registry of named kinds (ImageNet-C,
//! MedMNIST-C, radiography-specific), each with a severity table and explicit parameters.
//!
//! Every output is a pure function of (image, kind, parameters, seed), for 8/16-bit grayscale
//! and RGB, so a robustness result reproduces on any machine and thread count.
//!
//! Status: the crate exists so the workspace has its final shape; the perturbation issue fills
//! it. The kind names a spec may use are already listed in `attest_spec::catalog`.
