//! Errors of this crate that are not diagnostics about a spec's content.

use std::path::PathBuf;

/// A spec file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read spec file `{path}`: {source}")]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("spec file `{path}` is not UTF-8 text")]
    NotUtf8 {
        /// The path as given.
        path: PathBuf,
    },
    /// The file is larger than the spec size limit.
    #[error("spec file `{path}` is {size} bytes; specs are limited to {limit} bytes")]
    TooLarge {
        /// The path as given.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: usize,
    },
}
