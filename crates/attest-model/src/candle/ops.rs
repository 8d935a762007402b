//! Inference layers for the built-in architectures, on one image at a time.
//!
//! Written here rather than taken from candle-nn because inference can do what a training
//! framework's layers cannot: batch norm is folded into the convolution's weights at load
//! time, bias and activation are fused into the pass that writes the output, a convolution
//! with few input channels (the first layer of a grayscale network) runs as a direct
//! convolution instead of an im2col with a 9-wide inner dimension (candle's conv runs that
//! layer at ~2 GFLOP/s), and depthwise convolutions run per channel instead of as `groups`
//! separate convolutions. Large products go through candle's matmul (the `gemm` crate with
//! runtime AVX2/AVX-512 selection). Direct kernels run inside `pulp`'s dispatch so the
//! compiler vectorises them for the CPU found at run time, without `unsafe`.

use candle_core::{Storage, Tensor};
use rayon::prelude::*;

use super::weights::Weights;
use crate::error::ModelError;

/// A feature map of one image: `c × h × w` values, channel-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// Channels.
    pub c: usize,
    /// Rows.
    pub h: usize,
    /// Columns.
    pub w: usize,
    /// `c · h · w` values.
    pub data: Vec<f32>,
}

impl Map {
    /// One channel's plane.
    fn plane(&self, c: usize) -> &[f32] {
        let n = self.h * self.w;
        &self.data[c * n..(c + 1) * n]
    }
}

/// Activation fused into a layer's output pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Identity.
    None,
    /// max(0, x).
    Relu,
    /// min(max(0, x), 6) (MobileNet v2).
    Relu6,
    /// x · sigmoid(x) (EfficientNet).
    Silu,
}

impl Act {
    #[inline(always)]
    fn apply(self, x: f32) -> f32 {
        match self {
            Act::None => x,
            Act::Relu => x.max(0.0),
            Act::Relu6 => x.clamp(0.0, 6.0),
            Act::Silu => x / (1.0 + (-x).exp()),
        }
    }
}

fn candle_error(e: candle_core::Error) -> ModelError {
    ModelError::Forward {
        model: "candle".into(),
        message: e.to_string(),
    }
}

/// A 2-D convolution (square kernel, symmetric zero padding) with folded batch norm, bias and
/// a fused activation.
#[derive(Debug)]
pub struct Conv {
    cin: usize,
    cout: usize,
    k: usize,
    stride: usize,
    pad: usize,
    groups: usize,
    /// `[cout, cin / groups, k, k]`.
    weight: Vec<f32>,
    /// The same weights as a `[cout, cin·k·k]` matrix, for the im2col path.
    matrix: Option<Tensor>,
    bias: Vec<f32>,
    act: Act,
}

/// Where a convolution's parameters live in a weights file.
#[derive(Debug, Clone, Copy)]
pub struct ConvNames<'a> {
    /// Prefix of the convolution (`{conv}.weight`, optional `{conv}.bias`).
    pub conv: &'a str,
    /// Prefix of a following batch norm (`.weight`, `.bias`, `.running_mean`, `.running_var`).
    pub bn: Option<&'a str>,
    /// Batch norm epsilon.
    pub eps: f32,
}

/// A convolution's geometry.
#[derive(Debug, Clone, Copy)]
pub struct ConvShape {
    /// Input channels.
    pub cin: usize,
    /// Output channels.
    pub cout: usize,
    /// Kernel size.
    pub k: usize,
    /// Stride.
    pub stride: usize,
    /// Groups (1, or `cin` for depthwise).
    pub groups: usize,
}

impl ConvShape {
    /// A dense convolution with "same" padding `(k − 1) / 2`.
    pub fn dense(cin: usize, cout: usize, k: usize, stride: usize) -> ConvShape {
        ConvShape {
            cin,
            cout,
            k,
            stride,
            groups: 1,
        }
    }

    /// A depthwise convolution with "same" padding.
    pub fn depthwise(channels: usize, k: usize, stride: usize) -> ConvShape {
        ConvShape {
            cin: channels,
            cout: channels,
            k,
            stride,
            groups: channels,
        }
    }
}

impl Conv {
    /// Loads a convolution (and the batch norm after it, folded in) from `weights`.
    pub fn load(
        weights: &Weights,
        names: ConvNames<'_>,
        shape: ConvShape,
        act: Act,
    ) -> Result<Conv, ModelError> {
        let ConvShape {
            cin,
            cout,
            k,
            groups,
            ..
        } = shape;
        let per_group = cin / groups;
        let mut weight =
            weights.get(&format!("{}.weight", names.conv), &[cout, per_group, k, k])?;
        let bias_name = format!("{}.bias", names.conv);
        let mut bias = if weights.has(&bias_name) {
            weights.get(&bias_name, &[cout])?
        } else {
            vec![0.0; cout]
        };
        if let Some(bn) = names.bn {
            let gamma = weights.get(&format!("{bn}.weight"), &[cout])?;
            let beta = weights.get(&format!("{bn}.bias"), &[cout])?;
            let mean = weights.get(&format!("{bn}.running_mean"), &[cout])?;
            let var = weights.get(&format!("{bn}.running_var"), &[cout])?;
            let per_out = per_group * k * k;
            for o in 0..cout {
                // In f64: the folded weights should not add rounding of their own.
                let scale = f64::from(gamma[o]) / (f64::from(var[o]) + f64::from(names.eps)).sqrt();
                for w in &mut weight[o * per_out..(o + 1) * per_out] {
                    *w = (f64::from(*w) * scale) as f32;
                }
                bias[o] =
                    ((f64::from(bias[o]) - f64::from(mean[o])) * scale + f64::from(beta[o])) as f32;
            }
        }
        Conv::new(shape, weight, bias, act)
    }

    /// A convolution from explicit weights `[cout, cin / groups, k, k]` and bias.
    pub fn new(
        shape: ConvShape,
        weight: Vec<f32>,
        bias: Vec<f32>,
        act: Act,
    ) -> Result<Conv, ModelError> {
        let ConvShape {
            cin,
            cout,
            k,
            stride,
            groups,
        } = shape;
        let depthwise = groups == cin && cin == cout;
        if !(groups == 1 || depthwise) || stride == 0 || k == 0 || k % 2 == 0 {
            return Err(ModelError::Spec(format!(
                "unsupported convolution: {cin}→{cout}, kernel {k}, stride {stride}, groups {groups}"
            )));
        }
        let matrix = if groups == 1 && !Conv::direct(cin, k, stride) {
            Some(
                Tensor::from_vec(
                    weight.clone(),
                    (cout, cin * k * k),
                    &candle_core::Device::Cpu,
                )
                .map_err(candle_error)?,
            )
        } else {
            None
        };
        Ok(Conv {
            cin,
            cout,
            k,
            stride,
            pad: (k - 1) / 2,
            groups,
            weight,
            matrix,
            bias,
            act,
        })
    }

    /// Whether a dense convolution runs directly: stride 1 and at most 27 products per
    /// output (e.g. 3×3 over 1–3 channels), where an im2col matrix would be too thin for a
    /// matrix product to pay off.
    fn direct(cin: usize, k: usize, stride: usize) -> bool {
        stride == 1 && cin * k * k <= 27
    }

    /// Output channels.
    pub fn cout(&self) -> usize {
        self.cout
    }

    /// Runs the convolution on one image.
    pub fn forward(&self, x: &Map) -> Result<Map, ModelError> {
        if x.c != self.cin {
            return Err(ModelError::Batch(format!(
                "convolution expects {} channels, got {}",
                self.cin, x.c
            )));
        }
        let oh = (x.h + 2 * self.pad).saturating_sub(self.k) / self.stride + 1;
        let ow = (x.w + 2 * self.pad).saturating_sub(self.k) / self.stride + 1;
        let data = if self.groups > 1 {
            self.depthwise(x, oh, ow)
        } else if let Some(matrix) = &self.matrix {
            self.gemm(matrix, x, oh, ow)?
        } else {
            self.direct_small(x, oh, ow)
        };
        Ok(Map {
            c: self.cout,
            h: oh,
            w: ow,
            data,
        })
    }

    /// Zero-padded copy of one plane.
    fn padded(&self, plane: &[f32], h: usize, w: usize) -> (Vec<f32>, usize) {
        let p = self.pad;
        let pw = w + 2 * p;
        let mut out = vec![0.0f32; (h + 2 * p) * pw];
        for (y, row) in plane.chunks_exact(w).enumerate() {
            let start = (y + p) * pw + p;
            out[start..start + w].copy_from_slice(row);
        }
        (out, pw)
    }

    /// Stride-1 dense convolution over few input channels, one output plane per task.
    fn direct_small(&self, x: &Map, oh: usize, ow: usize) -> Vec<f32> {
        let k = self.k;
        let padded: Vec<(Vec<f32>, usize)> = (0..x.c)
            .map(|c| self.padded(x.plane(c), x.h, x.w))
            .collect();
        let mut out = vec![0.0f32; self.cout * oh * ow];
        out.par_chunks_mut(oh * ow)
            .enumerate()
            .for_each(|(o, plane)| {
                let taps = &self.weight[o * self.cin * k * k..(o + 1) * self.cin * k * k];
                let (bias, act) = (self.bias[o], self.act);
                pulp::Arch::new().dispatch(|| {
                    for (oy, row) in plane.chunks_exact_mut(ow).enumerate() {
                        row.fill(bias);
                        for (ci, (src, pw)) in padded.iter().enumerate() {
                            for ky in 0..k {
                                let line = &src[(oy + ky) * pw..(oy + ky + 1) * pw];
                                for kx in 0..k {
                                    let t = taps[(ci * k + ky) * k + kx];
                                    for (r, &v) in row.iter_mut().zip(&line[kx..kx + ow]) {
                                        *r += t * v;
                                    }
                                }
                            }
                        }
                        for r in row.iter_mut() {
                            *r = act.apply(*r);
                        }
                    }
                });
            });
        out
    }

    /// Depthwise convolution: each channel with its own k×k kernel.
    fn depthwise(&self, x: &Map, oh: usize, ow: usize) -> Vec<f32> {
        let (k, s) = (self.k, self.stride);
        let mut out = vec![0.0f32; self.cout * oh * ow];
        out.par_chunks_mut(oh * ow)
            .enumerate()
            .for_each(|(c, plane)| {
                let (src, pw) = self.padded(x.plane(c), x.h, x.w);
                let taps = &self.weight[c * k * k..(c + 1) * k * k];
                let (bias, act) = (self.bias[c], self.act);
                pulp::Arch::new().dispatch(|| {
                    for (oy, row) in plane.chunks_exact_mut(ow).enumerate() {
                        row.fill(bias);
                        for ky in 0..k {
                            let line = &src[(oy * s + ky) * pw..(oy * s + ky + 1) * pw];
                            for kx in 0..k {
                                let t = taps[ky * k + kx];
                                if s == 1 {
                                    for (r, &v) in row.iter_mut().zip(&line[kx..kx + ow]) {
                                        *r += t * v;
                                    }
                                } else {
                                    for (ox, r) in row.iter_mut().enumerate() {
                                        *r += t * line[ox * s + kx];
                                    }
                                }
                            }
                        }
                        for r in row.iter_mut() {
                            *r = act.apply(*r);
                        }
                    }
                });
            });
        out
    }

    /// Dense convolution as im2col + one matrix product `[cout, cin·k·k] × [cin·k·k, oh·ow]`,
    /// which lands directly in channel-major order.
    fn gemm(&self, matrix: &Tensor, x: &Map, oh: usize, ow: usize) -> Result<Vec<f32>, ModelError> {
        let (k, s, p) = (self.k, self.stride, self.pad);
        let n = oh * ow;
        let cols = if k == 1 && s == 1 {
            x.data.clone()
        } else {
            let mut cols = vec![0.0f32; self.cin * k * k * n];
            cols.par_chunks_mut(n).enumerate().for_each(|(r, col)| {
                let (ci, ky, kx) = (r / (k * k), (r / k) % k, r % k);
                let plane = x.plane(ci);
                for (oy, out_row) in col.chunks_exact_mut(ow).enumerate() {
                    let iy = (oy * s + ky) as isize - p as isize;
                    if iy < 0 || iy >= x.h as isize {
                        continue; // stays zero
                    }
                    let line = &plane[iy as usize * x.w..(iy as usize + 1) * x.w];
                    for (ox, o) in out_row.iter_mut().enumerate() {
                        let ix = (ox * s + kx) as isize - p as isize;
                        if ix >= 0 && ix < x.w as isize {
                            *o = line[ix as usize];
                        }
                    }
                }
            });
            cols
        };
        let cols = Tensor::from_vec(cols, (self.cin * k * k, n), &candle_core::Device::Cpu)
            .map_err(candle_error)?;
        let product = matrix.matmul(&cols).map_err(candle_error)?;
        let (storage, layout) = product.storage_and_layout();
        let Storage::Cpu(cpu) = &*storage else {
            return Err(ModelError::Batch("matrix product left the CPU".into()));
        };
        let values = cpu.as_slice::<f32>().map_err(candle_error)?;
        let values = &values[layout.start_offset()..layout.start_offset() + self.cout * n];
        let mut out = vec![0.0f32; self.cout * n];
        out.par_chunks_mut(n)
            .zip(values.par_chunks(n))
            .enumerate()
            .for_each(|(o, (dst, src))| {
                let (bias, act) = (self.bias[o], self.act);
                pulp::Arch::new().dispatch(|| {
                    for (d, &v) in dst.iter_mut().zip(src) {
                        *d = act.apply(v + bias);
                    }
                });
            });
        Ok(out)
    }
}

/// Max pooling with a `k`×`k` window, stride `s`, padding `p` (padding never wins; floor
/// mode, as PyTorch's default).
pub fn max_pool(x: &Map, k: usize, s: usize, p: usize) -> Map {
    let oh = (x.h + 2 * p - k) / s + 1;
    let ow = (x.w + 2 * p - k) / s + 1;
    let mut data = vec![0.0f32; x.c * oh * ow];
    data.par_chunks_mut(oh * ow)
        .enumerate()
        .for_each(|(c, plane)| {
            let src = x.plane(c);
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut m = f32::NEG_INFINITY;
                    for ky in 0..k {
                        let iy = (oy * s + ky) as isize - p as isize;
                        if iy < 0 || iy >= x.h as isize {
                            continue;
                        }
                        for kx in 0..k {
                            let ix = (ox * s + kx) as isize - p as isize;
                            if ix >= 0 && ix < x.w as isize {
                                m = m.max(src[iy as usize * x.w + ix as usize]);
                            }
                        }
                    }
                    plane[oy * ow + ox] = m;
                }
            }
        });
    Map {
        c: x.c,
        h: oh,
        w: ow,
        data,
    }
}

/// The mean of each channel (accumulated in f64).
pub fn global_avg_pool(x: &Map) -> Vec<f32> {
    (0..x.c)
        .map(|c| {
            let plane = x.plane(c);
            (plane.iter().map(|&v| f64::from(v)).sum::<f64>() / plane.len() as f64) as f32
        })
        .collect()
}

/// The maximum of each channel.
pub fn global_max_pool(x: &Map) -> Vec<f32> {
    (0..x.c)
        .map(|c| x.plane(c).iter().copied().fold(f32::NEG_INFINITY, f32::max))
        .collect()
}

/// `y = act(x + other)`, in place (residual connections).
pub fn add_into(x: &mut Map, other: &Map, act: Act) -> Result<(), ModelError> {
    if (x.c, x.h, x.w) != (other.c, other.h, other.w) {
        return Err(ModelError::Batch(format!(
            "residual of {}×{}×{} onto {}×{}×{}",
            other.c, other.h, other.w, x.c, x.h, x.w
        )));
    }
    for (a, &b) in x.data.iter_mut().zip(&other.data) {
        *a = act.apply(*a + b);
    }
    Ok(())
}

/// A fully connected layer `[out, in]` with bias.
#[derive(Debug)]
pub struct Linear {
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
}

impl Linear {
    /// Loads `{name}.weight` (`[out, in]`) and `{name}.bias`; `out` is read from the file.
    pub fn load(weights: &Weights, name: &str, inputs: usize) -> Result<Linear, ModelError> {
        let wname = format!("{name}.weight");
        let shape = weights.shape(&wname)?;
        let outputs = shape.first().copied().unwrap_or(0);
        let weight = weights.get(&wname, &[outputs, inputs])?;
        let bias_name = format!("{name}.bias");
        let bias = if weights.has(&bias_name) {
            weights.get(&bias_name, &[outputs])?
        } else {
            vec![0.0; outputs]
        };
        Ok(Linear {
            weight,
            bias,
            inputs,
        })
    }

    /// Output values.
    pub fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// `W x + b`, accumulated in f64.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        self.weight
            .chunks_exact(self.inputs)
            .zip(&self.bias)
            .map(|(row, &b)| {
                (row.iter()
                    .zip(x)
                    .map(|(&w, &v)| f64::from(w) * f64::from(v))
                    .sum::<f64>()
                    + f64::from(b)) as f32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive convolution, the definition.
    fn reference(x: &Map, w: &[f32], b: &[f32], s: ConvShape) -> Map {
        let p = (s.k - 1) / 2;
        let oh = (x.h + 2 * p - s.k) / s.stride + 1;
        let ow = (x.w + 2 * p - s.k) / s.stride + 1;
        let per = s.cin / s.groups;
        let mut data = vec![0.0; s.cout * oh * ow];
        for o in 0..s.cout {
            let g = o / (s.cout / s.groups);
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = f64::from(b[o]);
                    for i in 0..per {
                        let ci = g * per + i;
                        for ky in 0..s.k {
                            for kx in 0..s.k {
                                let iy = (oy * s.stride + ky) as isize - p as isize;
                                let ix = (ox * s.stride + kx) as isize - p as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < x.h && (ix as usize) < x.w
                                {
                                    acc += f64::from(w[((o * per + i) * s.k + ky) * s.k + kx])
                                        * f64::from(
                                            x.data[(ci * x.h + iy as usize) * x.w + ix as usize],
                                        );
                                }
                            }
                        }
                    }
                    data[(o * oh + oy) * ow + ox] = acc as f32;
                }
            }
        }
        Map {
            c: s.cout,
            h: oh,
            w: ow,
            data,
        }
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000) as f32 / 500.0
                    - 1.0
            })
            .collect()
    }

    #[test]
    fn every_path_matches_the_definition() {
        let cases = [
            ConvShape::dense(1, 4, 3, 1),  // direct
            ConvShape::dense(3, 5, 3, 1),  // direct (27 taps)
            ConvShape::dense(3, 4, 7, 2),  // im2col, stride 2
            ConvShape::dense(6, 7, 3, 1),  // im2col
            ConvShape::dense(6, 7, 1, 1),  // 1×1
            ConvShape::dense(6, 7, 1, 2),  // 1×1 stride 2
            ConvShape::depthwise(5, 3, 1), // depthwise
            ConvShape::depthwise(5, 5, 2), // depthwise stride 2
        ];
        for (n, shape) in cases.into_iter().enumerate() {
            let x = Map {
                c: shape.cin,
                h: 11,
                w: 9,
                data: values(shape.cin * 99, n as u32),
            };
            let w = values(
                shape.cout * shape.cin / shape.groups * shape.k * shape.k,
                7 + n as u32,
            );
            let b = values(shape.cout, 3);
            let conv = Conv::new(shape, w.clone(), b.clone(), Act::None).unwrap();
            let got = conv.forward(&x).unwrap();
            let want = reference(&x, &w, &b, shape);
            assert_eq!((got.c, got.h, got.w), (want.c, want.h, want.w), "{shape:?}");
            let diff = got
                .data
                .iter()
                .zip(&want.data)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(diff < 1e-4, "{shape:?}: max diff {diff}");
        }
    }

    #[test]
    fn max_pool_ignores_padding() {
        let x = Map {
            c: 1,
            h: 2,
            w: 2,
            data: vec![-4.0, -3.0, -2.0, -1.0],
        };
        let y = max_pool(&x, 3, 2, 1);
        assert_eq!(y.data, vec![-1.0]);
    }
}
