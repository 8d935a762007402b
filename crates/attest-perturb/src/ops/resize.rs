//! Resizing: PIL box, bilinear and nearest resampling (pixelate, resolution loss).
