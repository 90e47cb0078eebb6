//! Exit codes, decided in one place and documented in README.md.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | primary healthy, or a fallback is available (with `--strict`: only primary healthy) |
//! | 1 | complete failure: neither the primary nor any fallback is healthy |
//! | 2 | bad input or usage: nothing was assessed |
//! | 3 | assessment failed: the index or an interpreter could not answer, so no verdict |

use std::process::ExitCode;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: healthy (or fallback available without `--strict`).
    Success,
    /// 1: the check ran and found the project unhealthy everywhere it may run.
    Unhealthy,
    /// 2: bad input or usage.
    BadInput,
    /// 3: the assessment could not be completed.
    AssessmentFailed,
}

impl ExitStatus {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Unhealthy => 1,
            Self::BadInput => 2,
            Self::AssessmentFailed => 3,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

/// Marks an error as "the assessment could not be completed" (exit 3) rather than bad input
/// (exit 2). Commands wrap index and interpreter failures in it.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
pub struct AssessmentError(pub anyhow::Error);

/// The exit status an error maps to.
pub fn status_for_error(err: &anyhow::Error) -> ExitStatus {
    if err
        .chain()
        .any(<dyn std::error::Error + 'static>::is::<AssessmentError>)
    {
        ExitStatus::AssessmentFailed
    } else {
        ExitStatus::BadInput
    }
}
