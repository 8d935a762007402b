//! Why evidence could not be written or read.

use std::path::PathBuf;

/// An evidence failure.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Writing the run's own files failed.
    #[error(transparent)]
    Engine(#[from] attest_engine::EngineError),
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The folder is not a bundle (no readable `manifest.json`).
    #[error("`{path}` is not an Attest evidence bundle: {reason}")]
    NotABundle {
        /// The folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A key file cannot be used.
    #[error("key `{path}`: {reason}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Producing a file's content failed.
    #[error("cannot write {what}: {reason}")]
    Format {
        /// Which file.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

impl EvidenceError {
    /// An I/O error while doing `action` on `path`.
    pub fn io<'a>(
        action: &'static str,
        path: &'a std::path::Path,
    ) -> impl Fn(std::io::Error) -> Self + 'a {
        move |source| EvidenceError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
