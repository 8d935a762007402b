//! Geometry: bilinear sampling at arbitrary coordinates (scipy `map_coordinates`, order 1)
//! and affine warps (rotation, translation, scaling) with a fill value.
