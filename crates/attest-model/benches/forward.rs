//! Forward-pass throughput of every backend on the models of `bench/models/make_models.py`,
//! printed as JSON rows for `bench/models/report.py` (run everything with
//! `bench/models/run.sh`, which also times onnxruntime from Python in the same invocation).
//!
//! Protocol (identical in `peer.py`): a fixed random input, 3 warm-up runs, then runs until
//! both 20 runs and `--seconds` have passed; images/s from the total. Backends: tract (the
//! default), candle (Attest's architectures), onnxruntime through Attest (feature
//! `onnxruntime`, library from `ORT_DYLIB_PATH`), and stock candle `conv2d` for the plain CNNs
//! (what a candle user gets without Attest's kernels).
//!
//! Usage: cargo bench -p attest-model [--features onnxruntime] --bench forward -- MODELS_DIR
//!        [--threads 1 2] [--batches 1 8] [--seconds 3] [--models NAME..]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use attest_model::candle::CandleNetwork;
use attest_model::onnx_tract::TractModel;
use attest_model::{Batch, Network, Preprocess};
use attest_spec::types::{Architecture, InputSpec};
use candle_core::{Device, Tensor, D};
use serde_json::{json, Value};

struct Args {
    dir: PathBuf,
    threads: Vec<usize>,
    batches: Vec<usize>,
    seconds: f64,
    /// Only these models of `models.json` (all when empty).
    models: Vec<String>,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        dir: PathBuf::new(),
        threads: vec![1, 2],
        batches: vec![1, 8],
        seconds: 3.0,
        models: Vec::new(),
    };
    let mut list: Option<&str> = None;
    for a in std::env::args().skip(1).filter(|a| a != "--bench") {
        match a.as_str() {
            "--threads" | "--batches" | "--seconds" | "--models" => {
                list = Some(match a.as_str() {
                    "--threads" => "t",
                    "--batches" => "b",
                    "--models" => "m",
                    _ => "s",
                });
                if a == "--threads" {
                    args.threads.clear();
                } else if a == "--batches" {
                    args.batches.clear();
                }
            }
            value if list == Some("m") => args.models.push(value.to_string()),
            value => match (list, value.parse::<f64>()) {
                (Some("t"), Ok(v)) => args.threads.push(v as usize),
                (Some("b"), Ok(v)) => args.batches.push(v as usize),
                (Some("s"), Ok(v)) => args.seconds = v,
                _ => args.dir = PathBuf::from(value),
            },
        }
    }
    if args.dir.as_os_str().is_empty() {
        return Err(
            "usage: forward MODELS_DIR [--threads N..] [--batches N..] [--seconds S] [--models NAME..]"
                .into(),
        );
    }
    Ok(args)
}

fn input(batch: usize, channels: usize, size: usize) -> Result<Batch, attest_model::ModelError> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let data = (0..batch * channels * size * size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    Batch::new(batch, channels, size, size, data)
}

/// Images per second of `run` under the shared protocol.
fn measure<E>(
    batch: usize,
    seconds: f64,
    mut run: impl FnMut() -> Result<(), E>,
) -> Result<f64, E> {
    for _ in 0..3 {
        run()?;
    }
    let (mut runs, start) = (0usize, Instant::now());
    loop {
        run()?;
        runs += 1;
        let elapsed = start.elapsed().as_secs_f64();
        if runs >= 20 && elapsed >= seconds {
            return Ok((runs * batch) as f64 / elapsed);
        }
    }
}

/// Stock candle: `Tensor::conv2d` + bias + ReLU + 2×2 max pool per block, global average
/// pool, linear — what a candle user writes for the plain CNN.
fn stock_candle(t: &HashMap<String, Tensor>, x: &Tensor) -> candle_core::Result<Tensor> {
    let mut x = x.clone();
    let mut i = 1;
    while let Some(w) = t.get(&format!("conv{i}.weight")) {
        let b = t[&format!("conv{i}.bias")].reshape((1, (), 1, 1))?;
        x = x
            .conv2d(w, 1, 1, 1, 1)?
            .broadcast_add(&b)?
            .relu()?
            .max_pool2d(2)?;
        i += 1;
    }
    let pooled = x.mean(D::Minus1)?.mean(D::Minus1)?;
    pooled
        .matmul(&t["fc.weight"].t()?)?
        .broadcast_add(&t["fc.bias"])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
    let models: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(args.dir.join("models.json"))?)?;
    let mut rows = Vec::new();
    for m in &models {
        let name = m["name"].as_str().unwrap_or("?");
        if !args.models.is_empty() && !args.models.iter().any(|n| n == name) {
            continue;
        }
        let channels = m["channels"].as_u64().unwrap_or(1) as usize;
        let size = m["size"].as_u64().unwrap_or(224) as usize;
        let flops = m["flops"].as_f64().unwrap_or(0.0);
        let arch: Architecture = serde_json::from_value(m["architecture"].clone())?;
        let onnx = args.dir.join(m["onnx"].as_str().unwrap_or_default());
        let weights = args.dir.join(m["safetensors"].as_str().unwrap_or_default());
        let pre = Preprocess::from_spec(&InputSpec {
            size: [size as u32; 2],
            channels: channels as u8,
            resize: None,
            normalize: None,
        })?;
        for &threads in &args.threads {
            let mut backends: Vec<(&str, Box<dyn Network>)> = vec![
                (
                    "tract (attest default)",
                    Box::new(TractModel::load(&onnx, &pre, threads)?),
                ),
                (
                    "candle (attest)",
                    Box::new(CandleNetwork::load(&weights, arch, threads)?),
                ),
            ];
            #[cfg(feature = "onnxruntime")]
            backends.push((
                "onnxruntime (attest)",
                Box::new(attest_model::onnx_ort::OrtModel::load(
                    &onnx, &pre, threads,
                )?),
            ));
            for &batch in &args.batches {
                let x = input(batch, channels, size)?;
                let mut push = |backend: &str, ips: f64| {
                    let row = json!({"model": name, "backend": backend, "threads": threads, "batch": batch,
                                     "images_per_s": ips, "gflop_per_s": ips * flops / 1e9});
                    eprintln!("{row}");
                    rows.push(row);
                };
                for (backend, net) in &mut backends {
                    let ips = measure(batch, args.seconds, || net.forward(&x).map(drop))?;
                    push(backend, ips);
                }
                if arch == Architecture::SmallCnn {
                    let tensors = candle_core::safetensors::load(&weights, &Device::Cpu)?;
                    let tensor =
                        Tensor::from_slice(&x.data, (batch, channels, size, size), &Device::Cpu)?;
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()?;
                    let ips = pool.install(|| {
                        measure(batch, args.seconds, || {
                            stock_candle(&tensors, &tensor).map(drop)
                        })
                    })?;
                    push("candle 0.11 conv2d (stock)", ips);
                }
            }
        }
    }
    println!("{}", serde_json::to_string_pretty(&rows)?);
    Ok(())
}
