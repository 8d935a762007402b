//! Zoom: scipy `ndimage.zoom(order=1)` semantics and imagecorruptions' `clipped_zoom`.
