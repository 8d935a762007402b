//! A safetensors file, read once: every tensor as `f32`, the file's metadata, and its SHA-256.
//! Lookups name the file, the tensor and the shape expected, so a wrong `architecture` gives
//! an error a user can act on.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use crate::error::ModelError;

/// The tensors of one safetensors file.
pub struct Weights {
    path: PathBuf,
    tensors: HashMap<String, Tensor>,
    metadata: BTreeMap<String, String>,
    sha256: String,
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Weights")
            .field("path", &self.path)
            .field("tensors", &self.tensors.len())
            .finish()
    }
}

impl Weights {
    /// Reads `path` (any float dtype; converted to `f32`).
    pub fn read(path: &Path) -> Result<Weights, ModelError> {
        crate::content::expect(path, crate::content::ModelFormat::Safetensors)?;
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Weights::from_bytes(path, &bytes)
    }

    /// Parses safetensors `bytes`; `path` is only used in messages.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Weights, ModelError> {
        let bad = |message: String| ModelError::Weights {
            path: path.to_path_buf(),
            message,
        };
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
            .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
        let metadata = header
            .metadata()
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let raw = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)
            .map_err(|e| bad(format!("cannot read tensors ({e})")))?;
        let mut tensors = HashMap::with_capacity(raw.len());
        for (name, tensor) in raw {
            let tensor = tensor
                .to_dtype(DType::F32)
                .map_err(|e| bad(format!("tensor `{name}` is not numeric ({e})")))?;
            tensors.insert(name, tensor);
        }
        Ok(Weights {
            path: path.to_path_buf(),
            tensors,
            metadata,
            sha256: attest_data::hash::sha256_bytes(bytes),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 of the file's bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// A `__metadata__` entry of the file.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// Whether the file has a tensor called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// The shape of tensor `name`.
    pub fn shape(&self, name: &str) -> Result<Vec<usize>, ModelError> {
        Ok(self.tensor(name)?.dims().to_vec())
    }

    /// The values of tensor `name`, which must have `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
        let tensor = self.tensor(name)?;
        if tensor.dims() != shape {
            return Err(ModelError::Weights {
                path: self.path.clone(),
                message: format!(
                    "tensor `{name}` has shape {:?}; the architecture needs {shape:?}",
                    tensor.dims()
                ),
            });
        }
        tensor
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| ModelError::Weights {
                path: self.path.clone(),
                message: format!("tensor `{name}`: {e}"),
            })
    }

    fn tensor(&self, name: &str) -> Result<&Tensor, ModelError> {
        self.tensors.get(name).ok_or_else(|| {
            let mut near: Vec<&String> = self
                .tensors
                .keys()
                .filter(|k| strsim::levenshtein(k, name) <= 3)
                .collect();
            near.sort();
            let hint = if near.is_empty() {
                let mut some: Vec<&String> = self.tensors.keys().collect();
                some.sort();
                some.truncate(4);
                format!(
                    "; the file's tensors start {}",
                    some.iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!("; did you mean `{}`?", near[0])
            };
            ModelError::Weights {
                path: self.path.clone(),
                message: format!("no tensor `{name}`{hint}"),
            }
        })
    }
}
