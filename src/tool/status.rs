//! The one place an error becomes a message and an exit status: the end
//! of each binary's `main`. It takes `anyhow::Error`, what the tools'
//! `run` functions return, so it lives here with them.

use std::io;

use crate::diagnostics::Diagnostics;
use crate::error::Error;
use crate::exit::ExitCode;

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
}
