//! Embeddings for similar-case retrieval: the model's own features of an image — by default
//! its penultimate layer, the input of the final `Gemm`/`MatMul` — so that "cases like this
//! one" means "cases this model sees alike", the question to ask when a failure is to be
//! understood or more cases like it are to be collected.
//!
//! Search is exact (cosine similarity against every candidate, O(n·d) per query): at the
//! sizes of a test set or a curation pool (10⁵ images of 10²–10³ dimensions, a few ms to
//! 0.1 s per query and 4·n·d bytes of memory) nothing approximate is needed. Past about 10⁶–10⁷
//! candidates, or many queries at once, an approximate index (HNSW, or IVF with product
//! quantisation as in FAISS) would replace it, at the price of sometimes missing a neighbour.

use std::path::Path;

use attest_perturb::Image;
use attest_spec::types::{Model, ModelSource};

use crate::error::ModelError;
use crate::network::Network;
use crate::onnx_tract::{Cut, CutLayer, TractModel};
use crate::preprocess::Preprocess;

/// A model cut at an inner layer, giving one embedding per image.
pub struct Embedder {
    network: TractModel,
    preprocess: Preprocess,
    layer: CutLayer,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// The spec's model (an ONNX file, run by tract) cut at `layer`, or at its penultimate
    /// layer. Other model kinds are refused with what to do instead.
    pub fn load(
        model: &Model,
        base: &Path,
        layer: Option<&str>,
        threads: usize,
    ) -> Result<Embedder, ModelError> {
        let sources = model.sources();
        let Some((_, ModelSource::Onnx(path))) = sources.first() else {
            return Err(ModelError::Spec(
                "similar-case retrieval reads embeddings from an ONNX model (`onnx:` in the spec's model block); export the network to ONNX, or use a model that has one".into(),
            ));
        };
        let input = model.input.as_ref().ok_or_else(|| {
            ModelError::Spec("model.input is required for a runnable model".into())
        })?;
        let preprocess = Preprocess::from_spec(input)?;
        let path = base.join(path);
        crate::content::expect(&path, crate::content::ModelFormat::Onnx)?;
        let cut = layer.map_or(Cut::Penultimate, Cut::Layer);
        let (network, layer) = TractModel::load_cut(&path, &preprocess, threads.max(1), Some(cut))?;
        let layer = layer.ok_or_else(|| ModelError::Spec("the graph could not be cut".into()))?;
        Ok(Embedder {
            network,
            preprocess,
            layer,
        })
    }

    /// The layer the embeddings come from.
    pub fn layer(&self) -> &CutLayer {
        &self.layer
    }

    /// Values per embedding: the layer's channels (a layer with spatial axes is averaged over
    /// them, as global average pooling would).
    pub fn dim(&self) -> usize {
        self.layer.shape.first().copied().unwrap_or(0)
    }

    /// One embedding per image.
    pub fn embed(&self, images: &[&Image]) -> Result<Vec<Vec<f32>>, ModelError> {
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(16) {
            let batch = self.preprocess.batch(chunk)?;
            let raw = self.network.forward(&batch)?;
            for i in 0..raw.n {
                let values = &raw.data[i * raw.k..(i + 1) * raw.k];
                out.push(pooled(values, self.dim()));
            }
        }
        Ok(out)
    }
}

/// `values` (a layer's activations for one image, channels first) averaged over any spatial
/// axes into `channels` values.
fn pooled(values: &[f32], channels: usize) -> Vec<f32> {
    if channels == 0 || values.len() == channels || !values.len().is_multiple_of(channels) {
        return values.to_vec();
    }
    let per = values.len() / channels;
    values
        .chunks_exact(per)
        .map(|c| (c.iter().map(|&v| f64::from(v)).sum::<f64>() / per as f64) as f32)
        .collect()
}

/// Cosine similarity of two embeddings (0 when either is all zeros), in f64.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    dot / (aa.sqrt() * bb.sqrt())
}

/// The `k` candidates most similar to `query` (exact search), most similar first, ties by
/// index: `(index, cosine)`.
pub fn nearest(query: &[f32], candidates: &[Vec<f32>], k: usize) -> Vec<(usize, f64)> {
    let mut scored: Vec<(usize, f64)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (i, cosine(query, c)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_is_one_for_parallel_and_zero_for_orthogonal_vectors() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-12);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-12);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
    }

    #[test]
    fn nearest_ranks_by_cosine_and_breaks_ties_by_index() {
        let candidates = vec![
            vec![0.0, 1.0],
            vec![1.0, 0.1],
            vec![1.0, 0.0],
            vec![2.0, 0.0],
        ];
        let found = nearest(&[1.0, 0.0], &candidates, 3);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [2, 3, 1]);
    }

    #[test]
    fn spatial_layers_are_averaged_per_channel() {
        assert_eq!(pooled(&[1.0, 3.0, 10.0, 20.0], 2), [2.0, 15.0]);
        assert_eq!(pooled(&[1.0, 2.0], 2), [1.0, 2.0]);
    }
}
