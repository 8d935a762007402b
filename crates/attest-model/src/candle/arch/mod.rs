//! The built-in architectures, loaded from safetensors with torchvision's tensor names.

pub mod efficientnet;
pub mod mobilenet_v2;
pub mod resnet;
pub mod small_cnn;

use super::ops::Map;
use crate::error::ModelError;

/// A loaded network of one of the built-in architectures.
pub trait ImageNet: Send + Sync + std::fmt::Debug {
    /// Input channels the first layer takes.
    fn input_channels(&self) -> usize;
    /// Output values per image.
    fn outputs(&self) -> usize;
    /// Raw outputs for one preprocessed image.
    fn forward(&self, x: Map) -> Result<Vec<f32>, ModelError>;
}

/// Input channels of the convolution `{name}.weight` (`[out, in, k, k]`).
pub(crate) fn input_channels_of(
    weights: &super::weights::Weights,
    name: &str,
) -> Result<usize, ModelError> {
    let shape = weights.shape(name)?;
    if shape.len() != 4 {
        return Err(ModelError::Weights {
            path: weights.path().to_path_buf(),
            message: format!("`{name}` has shape {shape:?}, not a convolution kernel"),
        });
    }
    Ok(shape[1])
}

/// torchvision's `Conv2dNormActivation` at `{prefix}`: the convolution `{prefix}.0` with the
/// batch norm `{prefix}.1` folded in, then `act`.
pub(crate) fn conv_norm(
    weights: &super::weights::Weights,
    prefix: &str,
    shape: super::ops::ConvShape,
    act: super::ops::Act,
    eps: f32,
) -> Result<super::ops::Conv, ModelError> {
    super::ops::Conv::load(
        weights,
        super::ops::ConvNames {
            conv: &format!("{prefix}.0"),
            bn: Some(&format!("{prefix}.1")),
            eps,
        },
        shape,
        act,
    )
}
