//! Exit statuses and the one place errors become messages.
//!
//! Scripts and cron jobs act on the status, so it is part of the interface:
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success, also when nothing matched; also a closed stdout (`\| head`) |
//! | 1 | runtime error: a file that cannot be read, an I/O error, `--strict` |
//! | 2 | usage error: a bad option or value; nothing was read |
//! | 130 | interrupted by SIGINT (after flushing what was complete) |
//! | 143 | terminated by SIGTERM (after flushing what was complete) |

use std::fmt;
use std::io::{self, Write};

pub const SUCCESS: i32 = 0;
pub const RUNTIME_ERROR: i32 = 1;
pub const USAGE_ERROR: i32 = 2;
pub const INTERRUPTED: i32 = 130;
pub const TERMINATED: i32 = 143;

/// A bad command line: reported with exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The run was stopped by a signal after finishing its output: exit with
/// the status of that signal, printing nothing more.
#[derive(Debug)]
pub struct Interrupted(pub i32);

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interrupted (exit status {})", self.0)
    }
}

impl std::error::Error for Interrupted {}

/// Whether an error chain ends in a closed pipe on our output.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Turns the outcome of a tool's `run` into its exit status, printing an
/// error as one line prefixed with the tool's name.
pub fn status_of(tool: &str, result: anyhow::Result<()>) -> i32 {
    let err = match result {
        Ok(()) => return SUCCESS,
        Err(err) => err,
    };
    if is_broken_pipe(&err) {
        return SUCCESS;
    }
    if let Some(Interrupted(status)) = err.downcast_ref::<Interrupted>() {
        return *status;
    }
    let status = if err.downcast_ref::<UsageError>().is_some() {
        USAGE_ERROR
    } else {
        RUNTIME_ERROR
    };
    let _ = writeln!(
        io::stderr().lock(),
        "{tool}: {}",
        one_line(&format!("{err:#}"))
    );
    status
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_error_kind() {
        assert_eq!(status_of("t", Ok(())), SUCCESS);
        assert_eq!(
            status_of("t", Err(UsageError("bad".into()).into())),
            USAGE_ERROR
        );
        assert_eq!(status_of("t", Err(anyhow::anyhow!("io"))), RUNTIME_ERROR);
        assert_eq!(
            status_of("t", Err(Interrupted(TERMINATED).into())),
            TERMINATED
        );
    }

    #[test]
    fn a_closed_pipe_anywhere_in_the_chain_is_success() {
        let pipe = io::Error::new(io::ErrorKind::BrokenPipe, "closed");
        let err = anyhow::Error::new(pipe).context("writing stdout");
        assert_eq!(status_of("t", Err(err)), SUCCESS);
    }
}
