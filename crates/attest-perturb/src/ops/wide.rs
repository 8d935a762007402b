//! Running a plain loop with the CPU's wide vector registers where it has them.
//!
//! The crate is built for the baseline x86-64 target (SSE2, four `f32` lanes): release
//! binaries must run on any x86-64 machine, so there is no `target-cpu`. Most filters here are
//! plain loops that the compiler vectorises; compiled again with AVX2 enabled they use eight
//! lanes. `pulp` checks the CPU once and runs a job compiled with those features — safely,
//! as the workspace forbids `unsafe`. Multiplications and additions are not fused (Rust
//! never contracts `a * b + c` into an FMA on its own), so the wide form computes exactly the
//! same numbers as the narrow one.

/// Runs `job` compiled with AVX2 where the CPU has it, and as built otherwise. The job's
/// `call` and everything it calls must be `#[inline(always)]` to benefit: functions the
/// compiler keeps out of line are compiled for the baseline target.
#[inline(always)]
pub(crate) fn run<J: pulp::NullaryFnOnce>(job: J) -> J::Output {
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = pulp::x86::V3::try_new() {
        return simd.vectorize(job);
    }
    job.call()
}
