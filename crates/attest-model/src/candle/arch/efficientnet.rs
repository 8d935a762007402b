//! EfficientNet-B0 (Tan & Le, 2019) with torchvision's tensor names: `features.0` (3×3
//! stride-2 stem, SiLU), MBConv stages `features.1`–`features.7` (`block.{j}` with expansion,
//! depthwise, squeeze-and-excitation `fc1`/`fc2`, projection), `features.8` (1×1, SiLU),
//! `classifier.1`. Widths, kernel sizes and layer counts are read from the weights, so
//! width/depth-multiplied variants of B0's layout load too.

use super::{classify, conv_bn, conv_norm, input_channels_of, with_skip, ImageNet};
use crate::activation::sigmoid;
use crate::candle::ops::{global_avg_pool, Act, Conv, ConvShape, Linear, Map};
use crate::candle::weights::Weights;
use crate::error::ModelError;

/// torchvision's B0 uses `nn.BatchNorm2d`'s default epsilon (B5 and larger use 1e-3).
const EPS: f32 = 1e-5;

/// Stride of each stage's first layer, B0's table 1.
const STAGE_STRIDES: [usize; 7] = [1, 2, 2, 2, 1, 2, 1];

#[derive(Debug)]
struct Squeeze {
    fc1: Conv,
    fc2: Conv,
}

#[derive(Debug)]
struct MbConv {
    expand: Option<Conv>,
    depthwise: Conv,
    se: Squeeze,
    project: Conv,
    residual: bool,
}

/// A loaded EfficientNet-B0.
#[derive(Debug)]
pub struct EfficientNet {
    stem: Conv,
    blocks: Vec<MbConv>,
    head: Conv,
    classifier: Linear,
    channels: usize,
}

fn shape_of(w: &Weights, name: &str) -> Result<Vec<usize>, ModelError> {
    w.shape(&format!("{name}.weight"))
}

fn cbn(w: &Weights, p: &str, shape: ConvShape, act: Act) -> Result<Conv, ModelError> {
    conv_norm(w, p, shape, act, EPS)
}

impl EfficientNet {
    /// Loads the network from `weights`.
    pub fn load(weights: &Weights) -> Result<EfficientNet, ModelError> {
        let channels = input_channels_of(weights, "features.0.0.weight")?;
        let mut cin = shape_of(weights, "features.0.0")?[0];
        let stem = cbn(
            weights,
            "features.0",
            ConvShape::dense(channels, cin, 3, 2),
            Act::Silu,
        )?;
        let mut blocks = Vec::new();
        for (stage, &first_stride) in STAGE_STRIDES.iter().enumerate() {
            let mut i = 0;
            while weights.has(&format!("features.{}.{i}.block.0.0.weight", stage + 1)) {
                let p = format!("features.{}.{i}.block", stage + 1);
                let stride = if i == 0 { first_stride } else { 1 };
                let expanded = weights.has(&format!("{p}.3.0.weight"));
                let (expand, hidden, j) = if expanded {
                    let hidden = shape_of(weights, &format!("{p}.0.0"))?[0];
                    let conv = cbn(
                        weights,
                        &format!("{p}.0"),
                        ConvShape::dense(cin, hidden, 1, 1),
                        Act::Silu,
                    )?;
                    (Some(conv), hidden, 1)
                } else {
                    (None, cin, 0)
                };
                let k = shape_of(weights, &format!("{p}.{j}.0"))?[2];
                let depthwise = cbn(
                    weights,
                    &format!("{p}.{j}"),
                    ConvShape::depthwise(hidden, k, stride),
                    Act::Silu,
                )?;
                let se_prefix = format!("{p}.{}", j + 1);
                let squeeze = shape_of(weights, &format!("{se_prefix}.fc1"))?[0];
                let se = Squeeze {
                    fc1: conv_bn(
                        weights,
                        &format!("{se_prefix}.fc1"),
                        None,
                        ConvShape::dense(hidden, squeeze, 1, 1),
                        Act::Silu,
                        EPS,
                    )?,
                    fc2: conv_bn(
                        weights,
                        &format!("{se_prefix}.fc2"),
                        None,
                        ConvShape::dense(squeeze, hidden, 1, 1),
                        Act::None,
                        EPS,
                    )?,
                };
                let cout = shape_of(weights, &format!("{p}.{}.0", j + 2))?[0];
                let project = cbn(
                    weights,
                    &format!("{p}.{}", j + 2),
                    ConvShape::dense(hidden, cout, 1, 1),
                    Act::None,
                )?;
                blocks.push(MbConv {
                    expand,
                    depthwise,
                    se,
                    project,
                    residual: stride == 1 && cin == cout,
                });
                cin = cout;
                i += 1;
            }
            if i == 0 {
                return Err(ModelError::Weights {
                    path: weights.path().to_path_buf(),
                    message: format!("no layers in stage `features.{}` (expected `features.{}.0.block.0.0.weight`)", stage + 1, stage + 1),
                });
            }
        }
        let last = shape_of(weights, "features.8.0")?[0];
        let head = cbn(
            weights,
            "features.8",
            ConvShape::dense(cin, last, 1, 1),
            Act::Silu,
        )?;
        let classifier = Linear::load(weights, "classifier.1", last)?;
        Ok(EfficientNet {
            stem,
            blocks,
            head,
            classifier,
            channels,
        })
    }
}

impl Squeeze {
    /// Scales each channel of `x` by sigmoid(fc2(silu(fc1(mean(x))))).
    fn apply(&self, x: &mut Map) -> Result<(), ModelError> {
        let pooled = Map {
            c: x.c,
            h: 1,
            w: 1,
            data: global_avg_pool(x),
        };
        let gate = self.fc2.forward(&self.fc1.forward(&pooled)?)?;
        let n = x.h * x.w;
        for (plane, &g) in x.data.chunks_exact_mut(n).zip(&gate.data) {
            let g = sigmoid(g);
            for v in plane {
                *v *= g;
            }
        }
        Ok(())
    }
}

impl ImageNet for EfficientNet {
    fn input_channels(&self) -> usize {
        self.channels
    }

    fn outputs(&self) -> usize {
        self.classifier.outputs()
    }

    fn forward(&self, x: Map) -> Result<Vec<f32>, ModelError> {
        let mut x = self.stem.forward(&x)?;
        for b in &self.blocks {
            x = with_skip(x, b.residual, |x| {
                let mut y = match &b.expand {
                    Some(e) => b.depthwise.forward(&e.forward(x)?)?,
                    None => b.depthwise.forward(x)?,
                };
                b.se.apply(&mut y)?;
                b.project.forward(&y)
            })?;
        }
        classify(&self.head, &self.classifier, &x)
    }
}
