//! `small_cnn`: a configurable plain CNN, the architecture of the bundled example model.
//!
//! Blocks `conv{i}` (3×3, padding 1, bias) → ReLU → 2×2 max pool, for i = 1, 2, … while the
//! file has `conv{i}.weight`; then a global pool over each channel and `fc` (linear). The
//! configuration is read from the weights themselves: the number of blocks and their widths
//! from the tensors' shapes, the global pool from the file's metadata key `pool` (`avg`,
//! the default, or `max`).

use super::{input_channels_of, ImageNet};
use crate::candle::ops::{
    global_avg_pool, global_max_pool, max_pool, Act, Conv, ConvNames, ConvShape, Linear, Map,
};
use crate::candle::weights::Weights;
use crate::error::ModelError;

/// The global pooling before the linear layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Channel means.
    Avg,
    /// Channel maxima (a detector of small findings anywhere in the image).
    Max,
}

/// A loaded `small_cnn`.
#[derive(Debug)]
pub struct SmallCnn {
    convs: Vec<Conv>,
    pool: Pool,
    fc: Linear,
    channels: usize,
}

impl SmallCnn {
    /// Loads the blocks present in `weights`.
    pub fn load(weights: &Weights) -> Result<SmallCnn, ModelError> {
        let channels = input_channels_of(weights, "conv1.weight")?;
        let mut convs = Vec::new();
        let mut cin = channels;
        let mut i = 1;
        while weights.has(&format!("conv{i}.weight")) {
            let name = format!("conv{i}");
            let cout = weights.shape(&format!("{name}.weight"))?[0];
            convs.push(Conv::load(
                weights,
                ConvNames {
                    conv: &name,
                    bn: None,
                    eps: 0.0,
                },
                ConvShape::dense(cin, cout, 3, 1),
                Act::Relu,
            )?);
            cin = cout;
            i += 1;
        }
        let pool = match weights.meta("pool") {
            None | Some("avg") => Pool::Avg,
            Some("max") => Pool::Max,
            Some(other) => {
                return Err(ModelError::Weights {
                    path: weights.path().to_path_buf(),
                    message: format!(
                        "metadata `pool` is `{other}`; small_cnn knows `avg` and `max`"
                    ),
                })
            }
        };
        let fc = Linear::load(weights, "fc", cin)?;
        Ok(SmallCnn {
            convs,
            pool,
            fc,
            channels,
        })
    }
}

impl ImageNet for SmallCnn {
    fn input_channels(&self) -> usize {
        self.channels
    }

    fn outputs(&self) -> usize {
        self.fc.outputs()
    }

    fn forward(&self, mut x: Map) -> Result<Vec<f32>, ModelError> {
        for conv in &self.convs {
            x = max_pool(&conv.forward(&x)?, 2, 2, 0);
        }
        let pooled = match self.pool {
            Pool::Avg => global_avg_pool(&x),
            Pool::Max => global_max_pool(&x),
        };
        Ok(self.fc.forward(&pooled))
    }
}
