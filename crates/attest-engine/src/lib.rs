//! The engine: plans a run (every case × variant needed by any test, computed once),
//! executes it — decode, perturb, preprocess, forward — streaming in bounded memory with a
//! content-addressed prediction cache, evaluates every test of the spec into verdicts, and
//! writes the run's results record and per-case predictions.
//!
//! ```text
//! Prepared (spec + cases + cohorts) ─ plan ─ execute (cache) ─ evaluate ─ Results ─ write_run
//! ```

pub mod cache;
pub mod error;
pub mod evaluate;
pub mod execute;
pub mod explore;
pub mod output;
pub mod plan;
pub mod prepare;
pub mod run;
pub mod shard;
pub mod staging;
pub mod variant;

pub use cache::Cache;
pub use error::EngineError;
pub use execute::{NoProgress, Progress};
pub use output::write_run;
pub use plan::Plan;
pub use prepare::{prepare, PrepareError};
pub use run::{run, Outcome, Prepared, RunOptions};
pub use shard::{merge, run_shard, write_shard, ShardId};
