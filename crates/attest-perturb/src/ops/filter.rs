//! Filters: separable Gaussian (scipy `gaussian_filter` semantics), 2-D convolution
//! (OpenCV `filter2D` semantics).
