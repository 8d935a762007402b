//! Image operations shared by several kinds (filters, resampling, codecs).

pub mod filter;
pub mod geometry;
