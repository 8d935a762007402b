//! The two values that cross the model boundary: a batch of preprocessed images and the
//! model's raw outputs for it.

use crate::error::ModelError;

/// Images ready for a network: `n × channels × height × width` values, row-major (NCHW).
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Images in the batch.
    pub n: usize,
    /// Channels per image.
    pub channels: usize,
    /// Rows per image.
    pub height: usize,
    /// Columns per image.
    pub width: usize,
    /// `n · channels · height · width` values.
    pub data: Vec<f32>,
}

impl Batch {
    /// A batch from its values; the length must match the shape.
    pub fn new(
        n: usize,
        channels: usize,
        height: usize,
        width: usize,
        data: Vec<f32>,
    ) -> Result<Batch, ModelError> {
        if data.len() != n * channels * height * width {
            return Err(ModelError::Batch(format!(
                "{} values for a {n}×{channels}×{height}×{width} batch",
                data.len()
            )));
        }
        Ok(Batch {
            n,
            channels,
            height,
            width,
            data,
        })
    }

    /// Values of one image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The values of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let len = self.image_len();
        &self.data[i * len..(i + 1) * len]
    }

    /// The shape written N×C×H×W, as in error messages.
    pub fn shape_text(&self) -> String {
        format!(
            "{}×{}×{}×{}",
            self.n, self.channels, self.height, self.width
        )
    }
}

/// A model's raw outputs for a batch: `n × k` values (logits or probabilities, as the model
/// gives them; [`crate::Activation`] turns them into scores).
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs {
    /// Images.
    pub n: usize,
    /// Values per image.
    pub k: usize,
    /// `n · k` values, image-major.
    pub data: Vec<f32>,
}

impl Outputs {
    /// Outputs from their values; the length must be `n · k`.
    pub fn new(n: usize, k: usize, data: Vec<f32>) -> Result<Outputs, ModelError> {
        if data.len() != n * k {
            return Err(ModelError::Batch(format!(
                "{} output values for {n} images × {k}",
                data.len()
            )));
        }
        Ok(Outputs { n, k, data })
    }

    /// The values of image `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.k..(i + 1) * self.k]
    }

    /// Appends another batch's outputs (same `k`).
    pub fn extend(&mut self, other: Outputs) -> Result<(), ModelError> {
        if self.n > 0 && other.n > 0 && other.k != self.k {
            return Err(ModelError::Batch(format!(
                "batches with {} and {} outputs per image",
                self.k, other.k
            )));
        }
        if self.n == 0 {
            self.k = other.k;
        }
        self.n += other.n;
        self.data.extend(other.data);
        Ok(())
    }

    /// The largest absolute difference from `other` (for backend agreement checks);
    /// `None` when shapes differ.
    pub fn max_abs_diff(&self, other: &Outputs) -> Option<f32> {
        if self.n != other.n || self.k != other.k {
            return None;
        }
        Some(
            self.data
                .iter()
                .zip(&other.data)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max),
        )
    }
}
