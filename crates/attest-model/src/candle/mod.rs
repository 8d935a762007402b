//! The candle backend: the built-in architectures from safetensors weights.

pub mod arch;
pub mod ops;
pub mod weights;

use std::path::Path;

use attest_spec::types::Architecture;

use self::arch::ImageNet;
use self::ops::Map;
use self::weights::Weights;
use crate::error::ModelError;
use crate::network::{Network, NetworkInfo};
use crate::tensor::{Batch, Outputs};

/// A built-in architecture with its weights, run on a private thread pool.
#[derive(Debug)]
pub struct CandleNetwork {
    net: Box<dyn ImageNet>,
    architecture: Architecture,
    sha256: String,
    pool: rayon::ThreadPool,
}

/// The spec's name of an architecture.
pub fn architecture_name(a: Architecture) -> &'static str {
    match a {
        Architecture::Resnet18 => "resnet18",
        Architecture::Resnet34 => "resnet34",
        Architecture::Resnet50 => "resnet50",
        Architecture::EfficientnetB0 => "efficientnet_b0",
        Architecture::MobilenetV2 => "mobilenet_v2",
        Architecture::SmallCnn => "small_cnn",
    }
}

impl CandleNetwork {
    /// Loads `path` as `architecture`, to run on `threads` threads.
    pub fn load(
        path: &Path,
        architecture: Architecture,
        threads: usize,
    ) -> Result<CandleNetwork, ModelError> {
        let weights = Weights::read(path)?;
        CandleNetwork::from_weights(&weights, architecture, threads)
    }

    /// Builds `architecture` from weights already read.
    pub fn from_weights(
        weights: &Weights,
        architecture: Architecture,
        threads: usize,
    ) -> Result<CandleNetwork, ModelError> {
        use self::arch::resnet::{Depth, ResNet};
        let net: Box<dyn ImageNet> = match architecture {
            Architecture::SmallCnn => Box::new(arch::small_cnn::SmallCnn::load(weights)?),
            Architecture::Resnet18 => Box::new(ResNet::load(weights, Depth::R18)?),
            Architecture::Resnet34 => Box::new(ResNet::load(weights, Depth::R34)?),
            Architecture::Resnet50 => Box::new(ResNet::load(weights, Depth::R50)?),
            Architecture::MobilenetV2 => Box::new(arch::mobilenet_v2::MobileNetV2::load(weights)?),
            Architecture::EfficientnetB0 => {
                Box::new(arch::efficientnet::EfficientNet::load(weights)?)
            }
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("attest-candle-{i}"))
            .build()
            .map_err(|e| ModelError::Forward {
                model: weights.path().display().to_string(),
                message: format!("cannot start {threads} threads: {e}"),
            })?;
        Ok(CandleNetwork {
            net,
            architecture,
            sha256: weights.sha256().to_string(),
            pool,
        })
    }
}

impl Network for CandleNetwork {
    fn info(&self) -> NetworkInfo {
        NetworkInfo {
            backend: format!("candle 0.11 ({})", architecture_name(self.architecture)),
            input: [Some(self.net.input_channels()), None, None],
            outputs: Some(self.net.outputs()),
            weights_sha256: Some(self.sha256.clone()),
        }
    }

    fn forward(&self, batch: &Batch) -> Result<Outputs, ModelError> {
        if batch.channels != self.net.input_channels() {
            return Err(ModelError::Batch(format!(
                "batch {} for a network taking {} channels",
                batch.shape_text(),
                self.net.input_channels()
            )));
        }
        let k = self.net.outputs();
        self.pool.install(|| {
            let mut data = Vec::with_capacity(batch.n * k);
            for i in 0..batch.n {
                let map = Map {
                    c: batch.channels,
                    h: batch.height,
                    w: batch.width,
                    data: batch.image(i).to_vec(),
                };
                data.extend(self.net.forward(map)?);
            }
            Outputs::new(batch.n, k, data)
        })
    }
}
