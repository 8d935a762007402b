//! ResNet-18/34/50 (He et al., 2016) with torchvision's tensor names (`conv1`, `bn1`,
//! `layer{1-4}.{i}.conv{1,2,3}`, `…downsample.{0,1}`, `fc`) and its v1.5 bottleneck (stride
//! on the 3×3 convolution). Batch norms are folded into the convolutions at load time.

use super::{chain, conv_bn, input_channels_of, ImageNet};
use crate::candle::ops::{add_into, global_avg_pool, max_pool, Act, Conv, ConvShape, Linear, Map};
use crate::candle::weights::Weights;
use crate::error::ModelError;

/// torchvision's batch norm epsilon.
const EPS: f32 = 1e-5;

/// The depth variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Basic blocks [2, 2, 2, 2].
    R18,
    /// Basic blocks [3, 4, 6, 3].
    R34,
    /// Bottleneck blocks [3, 4, 6, 3].
    R50,
}

#[derive(Debug)]
struct Block {
    convs: Vec<Conv>,
    downsample: Option<Conv>,
}

/// A loaded ResNet.
#[derive(Debug)]
pub struct ResNet {
    stem: Conv,
    blocks: Vec<Block>,
    fc: Linear,
    channels: usize,
}

fn conv(w: &Weights, conv: &str, bn: &str, shape: ConvShape, act: Act) -> Result<Conv, ModelError> {
    conv_bn(w, conv, Some(bn), shape, act, EPS)
}

impl ResNet {
    /// Loads a ResNet of `depth`. Stage widths are read from the weights (torchvision's are
    /// 64, 128, 256, 512), so slimmer variants of the same topology load too.
    pub fn load(weights: &Weights, depth: Depth) -> Result<ResNet, ModelError> {
        let channels = input_channels_of(weights, "conv1.weight")?;
        let base = weights.shape("conv1.weight")?[0];
        let stem = conv(
            weights,
            "conv1",
            "bn1",
            ConvShape::dense(channels, base, 7, 2),
            Act::Relu,
        )?;
        let (counts, bottleneck) = match depth {
            Depth::R18 => ([2, 2, 2, 2], false),
            Depth::R34 => ([3, 4, 6, 3], false),
            Depth::R50 => ([3, 4, 6, 3], true),
        };
        let expansion = if bottleneck { 4 } else { 1 };
        let mut blocks = Vec::new();
        let mut cin = base;
        for (stage, &count) in counts.iter().enumerate() {
            let width = base << stage;
            for i in 0..count {
                let stride = if stage > 0 && i == 0 { 2 } else { 1 };
                let p = format!("layer{}.{i}", stage + 1);
                let cout = width * expansion;
                // (in, out, kernel, stride, activation) of `conv{j}`/`bn{j}`, j = 1, 2, …
                let layers = if bottleneck {
                    vec![
                        (cin, width, 1, 1, Act::Relu),
                        (width, width, 3, stride, Act::Relu),
                        (width, cout, 1, 1, Act::None),
                    ]
                } else {
                    vec![
                        (cin, width, 3, stride, Act::Relu),
                        (width, cout, 3, 1, Act::None),
                    ]
                };
                let convs = layers
                    .into_iter()
                    .enumerate()
                    .map(|(j, (i, o, k, s, act))| {
                        conv(
                            weights,
                            &format!("{p}.conv{}", j + 1),
                            &format!("{p}.bn{}", j + 1),
                            ConvShape::dense(i, o, k, s),
                            act,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let downsample = if stride != 1 || cin != cout {
                    Some(conv(
                        weights,
                        &format!("{p}.downsample.0"),
                        &format!("{p}.downsample.1"),
                        ConvShape::dense(cin, cout, 1, stride),
                        Act::None,
                    )?)
                } else {
                    None
                };
                blocks.push(Block { convs, downsample });
                cin = cout;
            }
        }
        let fc = Linear::load(weights, "fc", cin)?;
        Ok(ResNet {
            stem,
            blocks,
            fc,
            channels,
        })
    }
}

impl ImageNet for ResNet {
    fn input_channels(&self) -> usize {
        self.channels
    }

    fn outputs(&self) -> usize {
        self.fc.outputs()
    }

    fn forward(&self, x: Map) -> Result<Vec<f32>, ModelError> {
        let mut x = max_pool(&self.stem.forward(&x)?, 3, 2, 1);
        for block in &self.blocks {
            let mut y = chain(&block.convs, &x)?;
            let identity = match &block.downsample {
                Some(d) => d.forward(&x)?,
                None => x,
            };
            add_into(&mut y, &identity, Act::Relu)?;
            x = y;
        }
        Ok(self.fc.forward(&global_avg_pool(&x)))
    }
}
