//! MobileNet v2 (Sandler et al., 2018) with torchvision's tensor names: `features.0` (3×3
//! stride-2 stem), inverted residual blocks `features.1`–`features.17`
//! (`conv.{0,1,2,3}`), `features.18` (1×1 to the last width), `classifier.1`. Widths are read
//! from the weights, so `width_mult` variants load too.

use super::{chain, classify, conv_bn, conv_norm, input_channels_of, with_skip, ImageNet};
use crate::candle::ops::{Act, Conv, ConvShape, Linear, Map};
use crate::candle::weights::Weights;
use crate::error::ModelError;

const EPS: f32 = 1e-5;

/// Blocks whose depthwise convolution has stride 2 (first block of groups 2, 3, 4 and 6 of
/// the paper's table 2).
const STRIDE_TWO: [usize; 4] = [2, 4, 7, 14];

#[derive(Debug)]
struct Block {
    convs: Vec<Conv>,
    residual: bool,
}

/// A loaded MobileNet v2.
#[derive(Debug)]
pub struct MobileNetV2 {
    stem: Conv,
    blocks: Vec<Block>,
    head: Conv,
    classifier: Linear,
    channels: usize,
}

fn out_channels(w: &Weights, name: &str) -> Result<usize, ModelError> {
    Ok(w.shape(&format!("{name}.weight"))?[0])
}

fn cbr(w: &Weights, p: &str, shape: ConvShape, act: Act) -> Result<Conv, ModelError> {
    conv_norm(w, p, shape, act, EPS)
}

impl MobileNetV2 {
    /// Loads the network from `weights`.
    pub fn load(weights: &Weights) -> Result<MobileNetV2, ModelError> {
        let channels = input_channels_of(weights, "features.0.0.weight")?;
        let mut cin = out_channels(weights, "features.0.0")?;
        let stem = cbr(
            weights,
            "features.0",
            ConvShape::dense(channels, cin, 3, 2),
            Act::Relu6,
        )?;
        let mut blocks = Vec::new();
        for b in 1..=17 {
            let p = format!("features.{b}.conv");
            let stride = if STRIDE_TWO.contains(&b) { 2 } else { 1 };
            let expanded = weights.has(&format!("{p}.3.running_mean"));
            let (convs, cout) = if expanded {
                let hidden = out_channels(weights, &format!("{p}.0.0"))?;
                let cout = out_channels(weights, &format!("{p}.2"))?;
                let convs = vec![
                    cbr(
                        weights,
                        &format!("{p}.0"),
                        ConvShape::dense(cin, hidden, 1, 1),
                        Act::Relu6,
                    )?,
                    cbr(
                        weights,
                        &format!("{p}.1"),
                        ConvShape::depthwise(hidden, 3, stride),
                        Act::Relu6,
                    )?,
                    conv_bn(
                        weights,
                        &format!("{p}.2"),
                        Some(&format!("{p}.3")),
                        ConvShape::dense(hidden, cout, 1, 1),
                        Act::None,
                        EPS,
                    )?,
                ];
                (convs, cout)
            } else {
                let cout = out_channels(weights, &format!("{p}.1"))?;
                let convs = vec![
                    cbr(
                        weights,
                        &format!("{p}.0"),
                        ConvShape::depthwise(cin, 3, stride),
                        Act::Relu6,
                    )?,
                    conv_bn(
                        weights,
                        &format!("{p}.1"),
                        Some(&format!("{p}.2")),
                        ConvShape::dense(cin, cout, 1, 1),
                        Act::None,
                        EPS,
                    )?,
                ];
                (convs, cout)
            };
            blocks.push(Block {
                convs,
                residual: stride == 1 && cin == cout,
            });
            cin = cout;
        }
        let last = out_channels(weights, "features.18.0")?;
        let head = cbr(
            weights,
            "features.18",
            ConvShape::dense(cin, last, 1, 1),
            Act::Relu6,
        )?;
        let classifier = Linear::load(weights, "classifier.1", last)?;
        Ok(MobileNetV2 {
            stem,
            blocks,
            head,
            classifier,
            channels,
        })
    }
}

impl ImageNet for MobileNetV2 {
    fn input_channels(&self) -> usize {
        self.channels
    }

    fn outputs(&self) -> usize {
        self.classifier.outputs()
    }

    fn forward(&self, x: Map) -> Result<Vec<f32>, ModelError> {
        let mut x = self.stem.forward(&x)?;
        for block in &self.blocks {
            x = with_skip(x, block.residual, |x| chain(&block.convs, x))?;
        }
        classify(&self.head, &self.classifier, &x)
    }
}
