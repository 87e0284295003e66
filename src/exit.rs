//! Exit statuses and the one place errors become messages.
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

use std::io;

use crate::diagnostics::Diagnostics;
use crate::error::Error;

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

/// The status an error calls for: the library's own kinds decide;
/// anything else is a runtime error, except a closed pipe on our output
/// anywhere in the chain, which is a quiet success.
fn exit_code_of(err: &anyhow::Error) -> ExitCode {
    let broken_pipe = err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::Success;
    }
    err.downcast_ref::<Error>()
        .map_or(ExitCode::Failure, Error::exit_code)
}

/// Turns the outcome of a tool's `run` into its exit status, printing an
/// error as one line prefixed with the tool's name (nothing for a closed
/// stdout or a stop signal, whose output is already complete).
pub fn status_of(tool: &'static str, result: anyhow::Result<()>) -> ExitCode {
    let Err(err) = result else {
        return ExitCode::Success;
    };
    let code = exit_code_of(&err);
    if matches!(code, ExitCode::Failure | ExitCode::Usage) {
        Diagnostics::stderr(tool, false).error(one_line(&format!("{err:#}")));
    }
    code
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_error_kind() {
        assert_eq!(status_of("t", Ok(())), ExitCode::Success);
        assert_eq!(
            status_of("t", Err(Error::Usage("bad".into()).into())),
            ExitCode::Usage
        );
        assert_eq!(
            status_of("t", Err(anyhow::anyhow!("io"))),
            ExitCode::Failure
        );
        assert_eq!(
            status_of("t", Err(Error::Stopped(ExitCode::Terminated).into())),
            ExitCode::Terminated
        );
    }

    #[test]
    fn a_closed_pipe_anywhere_in_the_chain_is_success() {
        let pipe = io::Error::new(io::ErrorKind::BrokenPipe, "closed");
        let err = anyhow::Error::new(pipe).context("writing stdout");
        assert_eq!(status_of("t", Err(err)), ExitCode::Success);
        let err = Error::io(
            "cannot write to stdout",
            io::Error::from(io::ErrorKind::BrokenPipe),
        );
        assert_eq!(status_of("t", Err(err.into())), ExitCode::Success);
    }

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
