//! Exit statuses: the numbers the tools end with.
//!
//! Scripts and cron jobs act on the status, so it is part of the interface
//! (`docs/behaviour.md#exit-statuses`):
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success, also when nothing matched; also a closed stdout (`\| head`) |
//! | 1 | runtime error: a file that cannot be read, an I/O error, strict mode |
//! | 2 | usage error: a bad option or value; nothing was read |
//! | 129 | hung up by SIGHUP (after flushing what was complete) |
//! | 130 | interrupted by SIGINT (after flushing what was complete) |
//! | 143 | terminated by SIGTERM (after flushing what was complete) |

/// The statuses the tools exit with, as in the table above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// The run did what was asked (or stdout was closed early).
    Success = 0,
    /// Something could not be read or written, or strict mode stopped.
    Failure = 1,
    /// The command line was wrong; nothing was read.
    Usage = 2,
    /// Stopped by SIGHUP (the terminal or session has gone).
    HungUp = 129,
    /// Stopped by SIGINT.
    Interrupted = 130,
    /// Stopped by SIGTERM.
    Terminated = 143,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_codes_are_the_documented_numbers() {
        let codes = [
            ExitCode::Success,
            ExitCode::Failure,
            ExitCode::Usage,
            ExitCode::HungUp,
            ExitCode::Interrupted,
            ExitCode::Terminated,
        ];
        assert_eq!(codes.map(|c| c as u8), [0, 1, 2, 129, 130, 143]);
    }
}
