//! Process exit codes: a public contract that CI pipelines rely on.

/// What a command's outcome means to CI. The numeric codes never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success; every test passed, or the spec is valid.
    Success,
    /// 1: a test failed (`run`).
    TestFailed,
    /// 2: invalid spec or invalid usage.
    Invalid,
    /// 3: inconclusive: nothing failed, but some test could not decide (`run`).
    Inconclusive,
    /// 4: a runtime error (I/O, model, data) stopped the command.
    RuntimeError,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::TestFailed => 1,
            ExitStatus::Invalid => 2,
            ExitStatus::Inconclusive => 3,
            ExitStatus::RuntimeError => 4,
        }
    }
}

/// The exit-code table printed by `attest --help` and `attest explain exit-codes`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success: the spec is valid; every test passed
  1  a test failed
  2  invalid spec or invalid usage
  3  inconclusive: nothing failed, but a test could not decide (too few cases)
  4  runtime error (I/O, model, data), or a test could not be evaluated";
