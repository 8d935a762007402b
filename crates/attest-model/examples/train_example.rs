//! Trains the bundled example's nodule model: a `small_cnn` (conv 1→8→16→32→32, each 3×3 +
//! ReLU + 2×2 max pool, global max pool, linear → 1 logit) with candle-nn, seeded. Training
//! puts a batch norm after each convolution (a plain CNN with a global max pool barely
//! learns without it); the saved weights have it folded into the convolutions, so the file
//! is a plain `small_cnn`.
//!
//! The training set is made by the same generator as the example's data but with its own
//! seed and split name, so no tune or test case is ever seen:
//!
//! ```text
//! cargo run -p attest-data --example make_chest_xray -- examples/chest-xray/source /tmp/cxr-train \
//!     --seed 7 --cases 2000 --split train
//! cargo run -p attest-model --example train_example -- /tmp/cxr-train \
//!     examples/chest-xray/models/nodule_cnn.safetensors
//! ```
//!
//! Stage 1 trains on 32-pixel patches (around the nodule for positive cases, anywhere for
//! negative ones: the generator's nodule position is used as a training annotation, never
//! by the model), stage 2 on 80-pixel patches so that the global max pool learns to stay
//! quiet on normal anatomy; the network is fully convolutional, so it then runs on whole
//! 224-pixel images. 10 % of the training cases are held out to report
//! progress; epochs are fixed in advance (no early stopping on anything). Preprocessing is the spec's (`Preprocess`), so training
//! and evaluation see the same tensors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use attest_data::images::{read_image, ReadOptions};
use attest_data::table::Table;
use attest_model::Preprocess;
use attest_spec::types::{InputSpec, Normalize, ResizeMode};
use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};

/// Channel widths of the convolution blocks.
const WIDTHS: [usize; 4] = [8, 16, 32, 32];
/// Epochs on small patches (stage 1), then on larger patches (stage 2). (Whole 224-pixel
/// images as a third stage would cost ~10 minutes per epoch on 2 cores with candle's CPU
/// training path, for little gain over 80-pixel patches.)
const PATCH_EPOCHS: usize = 12;
const LARGE_EPOCHS: usize = 6;
/// Side of the stage-1 patches: the nodule fills much of the patch, so the detector's
/// features are learnt quickly.
const PATCH: usize = 32;
/// Side of the stage-2 patches: more background around each nodule and in each negative,
/// so the global max pool learns not to fire on ribs and vessels.
const LARGE: usize = 80;
const BATCH: usize = 32;
const SEED: u64 = 20_261_127;
/// Input side: the example spec's `model.input.size` (the 224-pixel images are resized).
const SIDE: usize = 224;

/// splitmix64: enough for a seeded shuffle, flips and initial weights.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// The spec's preprocessing of the example (`examples/chest-xray/attest.yaml`).
fn preprocess() -> Result<Preprocess, Box<dyn std::error::Error>> {
    Ok(Preprocess::from_spec(&InputSpec {
        size: [SIDE as u32, SIDE as u32],
        channels: 1,
        resize: Some(ResizeMode::Stretch),
        normalize: Some(Normalize {
            mean: vec![0.5],
            std: vec![0.25],
        }),
    })?)
}

/// Kaiming-uniform weights (PyTorch's default for conv and linear) from the seeded stream.
fn init(rng: &mut Rng, shape: &[usize], fan_in: usize) -> candle_core::Result<Var> {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|_| ((rng.unit() * 2.0 - 1.0) * bound) as f32)
        .collect();
    Var::from_tensor(&Tensor::from_vec(values, shape, &Device::Cpu)?)
}

/// One convolution block's batch norm: trainable scale and shift, running statistics.
struct Norm {
    gamma: Var,
    beta: Var,
    mean: Vec<f32>,
    var: Vec<f32>,
}

struct Net {
    /// `conv{i}.weight` and `conv{i}.bias` per block, then `fc.weight`, `fc.bias`.
    params: Vec<(String, Var)>,
    norms: Vec<Norm>,
}

/// Batch-norm epsilon and running-statistics momentum (PyTorch's defaults).
const EPS: f64 = 1e-5;
const MOMENTUM: f32 = 0.1;

impl Net {
    fn new(rng: &mut Rng) -> candle_core::Result<Net> {
        let mut params = Vec::new();
        let mut norms = Vec::new();
        let mut cin = 1;
        for (i, &c) in WIDTHS.iter().enumerate() {
            params.push((
                format!("conv{}.weight", i + 1),
                init(rng, &[c, cin, 3, 3], cin * 9)?,
            ));
            params.push((format!("conv{}.bias", i + 1), init(rng, &[c], cin * 9)?));
            norms.push(Norm {
                gamma: Var::from_tensor(&Tensor::ones(c, DType::F32, &Device::Cpu)?)?,
                beta: Var::from_tensor(&Tensor::zeros(c, DType::F32, &Device::Cpu)?)?,
                mean: vec![0.0; c],
                var: vec![1.0; c],
            });
            cin = c;
        }
        params.push(("fc.weight".into(), init(rng, &[1, cin], cin)?));
        params.push(("fc.bias".into(), init(rng, &[1], cin)?));
        Ok(Net { params, norms })
    }

    /// Every trainable variable.
    fn vars(&self) -> Vec<Var> {
        let mut vars: Vec<Var> = self.params.iter().map(|(_, v)| v.clone()).collect();
        for n in &self.norms {
            vars.push(n.gamma.clone());
            vars.push(n.beta.clone());
        }
        vars
    }

    /// Training forward (batch statistics, running statistics updated) or evaluation
    /// forward (running statistics).
    fn forward(&mut self, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let mut x = x.clone();
        for i in 0..WIDTHS.len() {
            let (w, b) = (
                self.params[2 * i].1.as_tensor(),
                self.params[2 * i + 1].1.as_tensor(),
            );
            let y = conv3x3(&x, w)?.broadcast_add(&b.reshape((1, (), 1, 1))?)?;
            let norm = &mut self.norms[i];
            let (mean, var) = if train {
                let mean = y.mean_keepdim(0)?.mean_keepdim(2)?.mean_keepdim(3)?;
                let var = y
                    .broadcast_sub(&mean)?
                    .sqr()?
                    .mean_keepdim(0)?
                    .mean_keepdim(2)?
                    .mean_keepdim(3)?;
                let (m, v) = (
                    mean.flatten_all()?.to_vec1::<f32>()?,
                    var.flatten_all()?.to_vec1::<f32>()?,
                );
                let n = (y.dims4()?.0 * y.dims4()?.2 * y.dims4()?.3) as f32;
                for c in 0..m.len() {
                    norm.mean[c] = (1.0 - MOMENTUM) * norm.mean[c] + MOMENTUM * m[c];
                    // Running variance is unbiased, as PyTorch's.
                    norm.var[c] = (1.0 - MOMENTUM) * norm.var[c] + MOMENTUM * v[c] * n / (n - 1.0);
                }
                (mean, var)
            } else {
                let c = norm.mean.len();
                (
                    Tensor::from_slice(&norm.mean, (1, c, 1, 1), &Device::Cpu)?,
                    Tensor::from_slice(&norm.var, (1, c, 1, 1), &Device::Cpu)?,
                )
            };
            let gamma = norm.gamma.as_tensor().reshape((1, (), 1, 1))?;
            let beta = norm.beta.as_tensor().reshape((1, (), 1, 1))?;
            x = y
                .broadcast_sub(&mean)?
                .broadcast_div(&(var + EPS)?.sqrt()?)?
                .broadcast_mul(&gamma)?
                .broadcast_add(&beta)?
                .relu()?
                .max_pool2d(2)?;
        }
        let pooled = x.max(D::Minus1)?.max(D::Minus1)?; // [B, C]
        let k = 2 * WIDTHS.len();
        let (w, b) = (
            self.params[k].1.as_tensor(),
            self.params[k + 1].1.as_tensor(),
        );
        pooled.matmul(&w.t()?)?.broadcast_add(b)?.squeeze(1)
    }

    /// The inference weights: each batch norm folded into its convolution (so the file is a
    /// plain `small_cnn`: conv + bias + ReLU + pool per block).
    fn folded(&self) -> candle_core::Result<Vec<(String, Tensor)>> {
        let mut out = Vec::new();
        for (i, norm) in self.norms.iter().enumerate() {
            let w = self.params[2 * i].1.as_tensor().to_vec1_flat()?;
            let b = self.params[2 * i + 1].1.as_tensor().to_vec1::<f32>()?;
            let gamma = norm.gamma.as_tensor().to_vec1::<f32>()?;
            let beta = norm.beta.as_tensor().to_vec1::<f32>()?;
            let shape = self.params[2 * i].1.as_tensor().dims().to_vec();
            let per = w.len() / b.len();
            let mut fw = w.clone();
            let mut fb = b.clone();
            for c in 0..b.len() {
                let scale = f64::from(gamma[c]) / (f64::from(norm.var[c]) + EPS).sqrt();
                for v in &mut fw[c * per..(c + 1) * per] {
                    *v = (f64::from(*v) * scale) as f32;
                }
                fb[c] = ((f64::from(b[c]) - f64::from(norm.mean[c])) * scale + f64::from(beta[c]))
                    as f32;
            }
            out.push((
                format!("conv{}.weight", i + 1),
                Tensor::from_vec(fw, shape, &Device::Cpu)?,
            ));
            out.push((
                format!("conv{}.bias", i + 1),
                Tensor::from_vec(fb, b.len(), &Device::Cpu)?,
            ));
        }
        let k = 2 * WIDTHS.len();
        for (name, var) in &self.params[k..] {
            out.push((name.clone(), var.as_tensor().clone()));
        }
        Ok(out)
    }
}

/// Flattened values of a tensor.
trait Flat {
    fn to_vec1_flat(&self) -> candle_core::Result<Vec<f32>>;
}

impl Flat for Tensor {
    fn to_vec1_flat(&self) -> candle_core::Result<Vec<f32>> {
        self.flatten_all()?.to_vec1::<f32>()
    }
}

/// A 3×3 convolution (padding 1) as an explicit im2col and one matrix product, so that its
/// backward pass is matrix products too (candle's CPU `conv_transpose2d`, which the backward
/// of `conv2d` uses, is a direct loop and made one epoch take many minutes).
fn conv3x3(x: &Tensor, w: &Tensor) -> candle_core::Result<Tensor> {
    let (b, c, h, wd) = x.dims4()?;
    let cout = w.dim(0)?;
    let padded = x.pad_with_zeros(2, 1, 1)?.pad_with_zeros(3, 1, 1)?;
    let mut taps = Vec::with_capacity(9);
    for ky in 0..3 {
        for kx in 0..3 {
            taps.push(
                padded
                    .narrow(2, ky, h)?
                    .narrow(3, kx, wd)?
                    .reshape((b, c, 1, h * wd))?,
            );
        }
    }
    let cols = Tensor::cat(&taps, 2)?.reshape((b, c * 9, h * wd))?;
    let kernel = w
        .reshape((1, cout, c * 9))?
        .broadcast_as((b, cout, c * 9))?;
    kernel.matmul(&cols)?.reshape((b, cout, h, wd))
}

/// Binary cross-entropy on logits, in the stable form max(x, 0) − x·y + log(1 + e^−|x|).
fn bce_with_logits(logits: &Tensor, targets: &Tensor) -> candle_core::Result<Tensor> {
    let relu = logits.relu()?;
    let soft = logits.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?;
    (relu - (logits * targets)?)?.add(&soft)?.mean_all()
}

/// ROC AUC by attest-stats (labels above one half are positive).
fn auc(scores: &[f32], labels: &[f32]) -> f64 {
    let positive: Vec<bool> = labels.iter().map(|&l| l > 0.5).collect();
    let scores: Vec<f64> = scores.iter().map(|&s| f64::from(s)).collect();
    match attest_stats::Sample::new(&positive, &scores) {
        Ok(sample) => attest_stats::roc::auc(&sample.ranked()).unwrap_or(f64::NAN),
        Err(_) => f64::NAN,
    }
}

/// The training cases, preprocessed.
struct Cases {
    images: Vec<Vec<f32>>,
    /// 1 = nodule.
    labels: Vec<f32>,
    /// The nodule's centre in model-input pixels (the generator's annotation; used only to
    /// cut training patches, never by the model).
    nodules: Vec<Option<(f64, f64)>>,
}

fn load_cases(dir: &Path) -> Result<Cases, Box<dyn std::error::Error>> {
    let table = Table::read(&dir.join("cases.csv"))?;
    let files = table.string_column("file")?;
    let findings = table.string_column("finding")?;
    let xs = table.optional_text_column("nodule_x")?;
    let ys = table.optional_text_column("nodule_y")?;
    let pre = preprocess()?;
    let mut images = Vec::with_capacity(files.len());
    for f in &files {
        let decoded = read_image(&dir.join(f), &ReadOptions::default())?;
        let mut out = vec![0.0; pre.image_len()];
        pre.apply_into(&decoded.image, &mut out)?;
        images.push(out);
    }
    let scale = SIDE as f64 / 224.0;
    let nodules = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| {
            match (
                x.as_deref().map(str::parse::<f64>),
                y.as_deref().map(str::parse::<f64>),
            ) {
                (Some(Ok(x)), Some(Ok(y))) => Some((x * scale, y * scale)),
                _ => None,
            }
        })
        .collect();
    let labels = findings
        .iter()
        .map(|f| if f == "nodule" { 1.0 } else { 0.0 })
        .collect();
    Ok(Cases {
        images,
        labels,
        nodules,
    })
}

/// A `PATCH`-pixel square of `image`: around the nodule (at a random place inside the
/// patch's central half) for a positive case, anywhere for a negative one.
fn patch(image: &[f32], side: usize, nodule: Option<(f64, f64)>, rng: &mut Rng) -> Vec<f32> {
    let max = (SIDE - side) as f64;
    let (x0, y0) = match nodule {
        Some((x, y)) => {
            let q = side as f64 / 4.0;
            let place = |c: f64, rng: &mut Rng| (c - q - rng.unit() * 2.0 * q).clamp(0.0, max);
            (place(x, rng), place(y, rng))
        }
        None => (rng.unit() * max, rng.unit() * max),
    };
    let (x0, y0) = (x0 as usize, y0 as usize);
    (y0..y0 + side)
        .flat_map(|y| image[y * SIDE + x0..y * SIDE + x0 + side].iter().copied())
        .collect()
}

fn flipped(image: &[f32], side: usize) -> Vec<f32> {
    image
        .chunks_exact(side)
        .flat_map(|row| row.iter().rev().copied())
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let [data, out] = <[PathBuf; 2]>::try_from(args)
        .map_err(|_| "usage: train_example TRAIN_DIR OUT.safetensors")?;
    // The explicit im2col convolution must equal candle's own.
    let probe = Tensor::randn(0f32, 1.0, (2, 3, 9, 7), &Device::Cpu)?;
    let kernel = Tensor::randn(0f32, 1.0, (4, 3, 3, 3), &Device::Cpu)?;
    let diff = (conv3x3(&probe, &kernel)? - probe.conv2d(&kernel, 1, 1, 1, 1)?)?
        .abs()?
        .max_all()?
        .to_scalar::<f32>()?;
    println!("im2col convolution vs candle conv2d: max |diff| {diff:.1e}");
    if diff > 1e-4 {
        return Err("the training convolution is wrong".into());
    }
    let cases = load_cases(&data)?;
    let mut rng = Rng(SEED);
    let mut order: Vec<usize> = (0..cases.images.len()).collect();
    rng.shuffle(&mut order);
    let held = order.len() / 10;
    let (held_out, train) = order.split_at(held);
    println!(
        "{} training cases, {} held out",
        train.len(),
        held_out.len()
    );

    let mut net = Net::new(&mut rng)?;
    let vars = net.vars();
    let mut opt = AdamW::new(
        vars,
        ParamsAdamW {
            lr: 2e-3,
            weight_decay: 1e-4,
            ..Default::default()
        },
    )?;
    // A batch: whole images, or patches cut around nodules (stage 1); flipped at random.
    let stack =
        |idx: &[usize], side: usize, rng: &mut Rng| -> candle_core::Result<(Tensor, Tensor)> {
            let mut data = Vec::with_capacity(idx.len() * side * side);
            for &i in idx {
                let image = patch(&cases.images[i], side, cases.nodules[i], rng);
                if rng.unit() < 0.5 {
                    data.extend(flipped(&image, side));
                } else {
                    data.extend(image);
                }
            }
            let y: Vec<f32> = idx.iter().map(|&i| cases.labels[i]).collect();
            Ok((
                Tensor::from_vec(data, (idx.len(), 1, side, side), &Device::Cpu)?,
                Tensor::from_vec(y, idx.len(), &Device::Cpu)?,
            ))
        };
    let held_labels: Vec<f32> = held_out.iter().map(|&i| cases.labels[i]).collect();
    let mut train = train.to_vec();
    for epoch in 0..PATCH_EPOCHS + LARGE_EPOCHS {
        let (side, lr) = match epoch {
            e if e + 4 < PATCH_EPOCHS => (PATCH, 3e-3),
            e if e < PATCH_EPOCHS => (PATCH, 1e-3),
            e if e + 2 < PATCH_EPOCHS + LARGE_EPOCHS => (LARGE, 1e-3),
            _ => (LARGE, 3e-4),
        };
        opt.set_learning_rate(lr);
        let started = std::time::Instant::now();
        rng.shuffle(&mut train);
        let (mut total, mut seen) = (0.0, 0usize);
        for chunk in train.chunks(BATCH) {
            let (x, y) = stack(chunk, side, &mut rng)?;
            let loss = bce_with_logits(&net.forward(&x, true)?, &y)?;
            opt.backward_step(&loss)?;
            total += loss.to_scalar::<f32>()? as f64 * chunk.len() as f64;
            seen += chunk.len();
        }
        let mut scores = Vec::new();
        for chunk in held_out.chunks(50) {
            let mut data = Vec::with_capacity(chunk.len() * SIDE * SIDE);
            for &i in chunk {
                data.extend_from_slice(&cases.images[i]);
            }
            let x = Tensor::from_vec(data, (chunk.len(), 1, SIDE, SIDE), &Device::Cpu)?;
            scores.extend(net.forward(&x, false)?.to_vec1::<f32>()?);
        }
        println!(
            "epoch {:2} ({side}-pixel patches, lr {lr}): train loss {:.4}, held-out AUC on whole images {:.3} ({:.0} s)",
            epoch + 1,
            total / seen as f64,
            auc(&scores, &held_labels),
            started.elapsed().as_secs_f64()
        );
    }
    let tensors: HashMap<String, Tensor> = net.folded()?.into_iter().collect();
    let metadata: HashMap<String, String> = [
        ("architecture", "small_cnn"),
        ("pool", "max"),
        (
            "trained_by",
            "crates/attest-model/examples/train_example.rs",
        ),
        (
            "training_data",
            "make_chest_xray --seed 7 --cases 2000 --split train",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut sorted: Vec<(&String, &Tensor)> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    safetensors::serialize_to_file(sorted, Some(metadata), &out)?;
    println!("wrote {}", out.display());
    Ok(())
}
