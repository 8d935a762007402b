//! Resampling: zoom (scipy `zoom`, order 1), resize (PIL box/bilinear), bilinear sampling at
//! arbitrary coordinates (scipy `map_coordinates`, order 1), affine warps.
