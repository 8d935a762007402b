//! Why a run could not be carried out (as opposed to a test that failed: that is a verdict).

/// A run-level failure.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The model could not be loaded or run.
    #[error(transparent)]
    Model(#[from] attest_model::ModelError),
    /// A perturbation of the spec cannot be applied as written.
    #[error("perturbation `{variant}`: {message}")]
    Perturbation {
        /// The variant or perturbation name.
        variant: String,
        /// What is wrong.
        message: String,
    },
    /// The spec or its data cannot be used (the CLI validates first, so this is rare).
    #[error("{0}")]
    Spec(String),
    /// Cases failed and the spec's policy is to fail the run.
    #[error("{failed} case(s) could not be scored, e.g. `{first_case}` ({first_variant}): {first_reason}")]
    CaseFailures {
        /// How many (case, variant) pairs failed.
        failed: usize,
        /// The first failing case.
        first_case: String,
        /// Its variant.
        first_variant: String,
        /// Why.
        first_reason: String,
    },
    /// Shards cannot be merged (missing, duplicated, or made from another spec, data or
    /// model), or one cannot be read.
    #[error("{0}")]
    Shards(String),
    /// The run was interrupted (Ctrl-C); nothing was written as complete.
    #[error("interrupted")]
    Interrupted,
    /// Writing an output failed.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The reason.
        source: std::io::Error,
    },
}

impl EngineError {
    /// How to fix it, in one sentence.
    pub fn help(&self) -> String {
        match self {
            EngineError::Model(e) => e.help(),
            EngineError::Perturbation { .. } => {
                "check the perturbation's kind and parameter names with `attest perturb --list`"
                    .into()
            }
            EngineError::Spec(_) => "run `attest validate` on the spec".into(),
            EngineError::CaseFailures { .. } => {
                "fix or remove the failing cases, or set `on_case_error: exclude` in the spec to exclude them and report why".into()
            }
            EngineError::Shards(_) => {
                "merge all N shards of one `attest run --shard I/N` of this spec, over the same data and model".into()
            }
            EngineError::Interrupted => "run again: what was computed is in the cache".into(),
            EngineError::Io { .. } => "check the folder exists and is writable".into(),
        }
    }
}
