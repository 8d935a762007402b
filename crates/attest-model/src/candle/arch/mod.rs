//! The built-in architectures, loaded from safetensors with torchvision's tensor names.

pub mod efficientnet;
pub mod mobilenet_v2;
pub mod resnet;
pub mod small_cnn;

use super::ops::{add_into, global_avg_pool, Act, Conv, ConvNames, ConvShape, Linear, Map};
use super::weights::Weights;
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
pub(crate) fn input_channels_of(weights: &Weights, name: &str) -> Result<usize, ModelError> {
    let shape = weights.shape(name)?;
    if shape.len() != 4 {
        return Err(ModelError::Weights {
            path: weights.path().to_path_buf(),
            message: format!("`{name}` has shape {shape:?}, not a convolution kernel"),
        });
    }
    Ok(shape[1])
}

/// The convolution `{conv}` with the batch norm `{bn}` (if any) folded in, then `act`.
pub(crate) fn conv_bn(
    weights: &Weights,
    conv: &str,
    bn: Option<&str>,
    shape: ConvShape,
    act: Act,
    eps: f32,
) -> Result<Conv, ModelError> {
    Conv::load(weights, ConvNames { conv, bn, eps }, shape, act)
}

/// torchvision's `Conv2dNormActivation` at `{prefix}`: the convolution `{prefix}.0` with the
/// batch norm `{prefix}.1` folded in, then `act`.
pub(crate) fn conv_norm(
    weights: &Weights,
    prefix: &str,
    shape: ConvShape,
    act: Act,
    eps: f32,
) -> Result<Conv, ModelError> {
    conv_bn(
        weights,
        &format!("{prefix}.0"),
        Some(&format!("{prefix}.1")),
        shape,
        act,
        eps,
    )
}

/// `layers` applied one after another to `x`.
pub(crate) fn chain(layers: &[Conv], x: &Map) -> Result<Map, ModelError> {
    let Some((first, rest)) = layers.split_first() else {
        return Err(ModelError::Batch("a block without layers".into()));
    };
    rest.iter()
        .try_fold(first.forward(x)?, |y, layer| layer.forward(&y))
}

/// `block(x)`, plus `x` when the block keeps the shape (`skip`): the inverted-residual
/// connection of MobileNet v2 and EfficientNet (no activation after the sum).
pub(crate) fn with_skip(
    x: Map,
    skip: bool,
    block: impl FnOnce(&Map) -> Result<Map, ModelError>,
) -> Result<Map, ModelError> {
    let mut y = block(&x)?;
    if skip {
        add_into(&mut y, &x, Act::None)?;
    }
    Ok(y)
}

/// The end of MobileNet v2 and EfficientNet: the last 1×1 convolution, global average
/// pooling, the linear classifier.
pub(crate) fn classify(head: &Conv, classifier: &Linear, x: &Map) -> Result<Vec<f32>, ModelError> {
    Ok(classifier.forward(&global_avg_pool(&head.forward(x)?)))
}
