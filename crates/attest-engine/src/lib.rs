//! The engine: plans a run (every image x variant needed by any test, computed once),
//! executes it batched and in parallel with a content-addressed prediction cache, and evaluates
//! every test of the spec into a results record.
//!
//! Status: the crate exists so the workspace has its final shape; the engine issue fills it.
