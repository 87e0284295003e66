//! The library's errors: what went wrong, worded for the user, and kept
//! apart by kind so that the exit status can follow from it
//! (`docs/behaviour.md#exit-statuses`).
//!
//! Library code returns [`Error`]; only the tools' top-level `run`
//! functions and the binaries gather errors into `anyhow`.

use std::io;

use crate::exit::ExitCode;
use crate::parse::record::Malformed;

/// A failure of the library, with the context a user needs to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something impossible: exit status 2,
    /// before anything is read.
    #[error("{0}")]
    Usage(String),
    /// An operation on a file or stream failed; `what` says which
    /// ("cannot read conn.log"), the source says why.
    #[error("{what}")]
    Io {
        /// What was being done, naming the file or stream.
        what: String,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// An I/O error whose message already says what failed and where
    /// (the spill file of a long host list, for one).
    #[error(transparent)]
    Described(#[from] io::Error),
    /// An input changed or was not what it must be, such that the answer
    /// would be wrong or incomplete (a mapped file that shrank, a
    /// directory given as a log).
    #[error("{0}")]
    Input(String),
    /// Strict mode met a malformed line.
    #[error("{}:{}: malformed line ({}); stopping at the first one (strict mode)", .0.file, .0.line, .0.why)]
    Strict(MalformedLine),
    /// A stop signal arrived; the run ended after flushing what was
    /// complete, and exits with the signal's status.
    #[error("stopped by a signal")]
    Stopped(ExitCode),
}

impl Error {
    /// An I/O failure while doing `what`.
    pub fn io(what: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// The exit status this error calls for.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) => ExitCode::Usage,
            Error::Io { source, .. } | Error::Described(source)
                if source.kind() == io::ErrorKind::BrokenPipe =>
            {
                ExitCode::Success
            }
            Error::Stopped(code) => *code,
            Error::Io { .. } | Error::Described(_) | Error::Input(_) | Error::Strict(_) => {
                ExitCode::Failure
            }
        }
    }
}

/// Where a malformed line is and why it is malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedLine {
    /// The input's name, as diagnostics show it.
    pub file: String,
    /// 1-based line number within `file`.
    pub line: u64,
    /// What is wrong with it.
    pub why: Malformed,
}

/// `Result` with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what was being done to an I/O error, as `anyhow`'s `context` does.
pub trait IoContext<T> {
    /// Wraps the error with `what`, computed only on failure.
    fn doing(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::io(what(), source))
    }
}
