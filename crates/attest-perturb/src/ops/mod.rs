//! Image operations shared by several kinds (filters, resampling, codecs). Each file has one
//! job; kinds call them rather than re-implementing.

pub mod filter;
pub mod geometry;
pub mod resize;
pub(crate) mod wide;
pub mod zoom;
