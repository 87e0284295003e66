//! Everything the tools say on stderr besides their output, through one
//! sink that knows the tool's name and whether `-q` silenced it.
//!
//! Library code never writes to stderr itself: it is handed a
//! [`Diagnostics`] and speaks through it, so that every line carries the
//! tool's prefix, `-q` is honoured in one place, and tests can read what
//! was said. (Two things draw on the terminal directly, by nature: the
//! progress bar, see [`crate::query::progress`], and the SIGBUS handler,
//! which may only make async-signal-safe calls.)
//!
//! Malformed lines are reported short however bad the log is: the first
//! few as `FILE:LINE: reason`, the rest only counted.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Error;
/// The argument of [`MalformedReport::record`], kept with the errors
/// because strict mode returns it as one ([`Error::Strict`]).
pub use crate::error::MalformedLine;

/// How many malformed lines are shown one by one.
pub const SHOWN_MALFORMED: u64 = 5;

/// Where diagnostics go: stderr in the tools, a buffer in tests. Cloning
/// shares the same sink, so threads and parts of a run can each hold one.
#[derive(Clone)]
pub struct Diagnostics {
    tool: &'static str,
    quiet: bool,
    sink: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl std::fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Diagnostics")
            .field("tool", &self.tool)
            .field("quiet", &self.quiet)
            .finish_non_exhaustive()
    }
}

impl Diagnostics {
    /// Diagnostics of `tool` on stderr; `quiet` (`-q`) drops all but errors.
    pub fn stderr(tool: &'static str, quiet: bool) -> Diagnostics {
        Diagnostics::to_writer(tool, quiet, io::stderr())
    }

    /// Diagnostics of `tool` written to `sink` (a test's buffer).
    pub fn to_writer(
        tool: &'static str,
        quiet: bool,
        sink: impl Write + Send + 'static,
    ) -> Diagnostics {
        Diagnostics {
            tool,
            quiet,
            sink: Arc::new(Mutex::new(Box::new(sink))),
        }
    }

    /// The name every line is prefixed with.
    pub fn tool(&self) -> &'static str {
        self.tool
    }

    /// Whether notes and warnings are dropped (`-q`).
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A note or warning, unless quiet.
    pub fn note(&self, text: impl Display) {
        if !self.quiet {
            self.line(text);
        }
    }

    /// A line that is printed even when quiet: an error, or what the user
    /// asked for explicitly (`--stats`).
    pub fn error(&self, text: impl Display) {
        self.line(text);
    }

    /// One line, written whole, so that lines of threads never mix.
    fn line(&self, text: impl Display) {
        let line = format!("{}: {text}\n", self.tool);
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        // Nothing better can be done with a failing stderr.
        let _ = sink.write_all(line.as_bytes());
        let _ = sink.flush();
    }
}

/// Counts malformed lines and shows the first few.
#[derive(Debug)]
pub struct MalformedReport {
    diagnostics: Diagnostics,
    strict: bool,
    total: u64,
}

impl MalformedReport {
    /// A report through `diagnostics`; with `strict`, the first malformed
    /// line is an error instead.
    pub fn new(diagnostics: Diagnostics, strict: bool) -> MalformedReport {
        MalformedReport {
            diagnostics,
            strict,
            total: 0,
        }
    }

    /// Records one malformed line, in input order. In strict mode the
    /// first one is an error.
    pub fn record(&mut self, line: MalformedLine) -> Result<(), Error> {
        if self.strict {
            return Err(Error::Strict(line));
        }
        self.total += 1;
        if self.total <= SHOWN_MALFORMED {
            self.diagnostics.note(format_args!(
                "{}:{}: skipped malformed line: {}",
                line.file, line.line, line.why
            ));
        }
        Ok(())
    }

    /// Records malformed lines that were counted but not located (their
    /// positions are not needed once the first few are shown).
    pub fn add_unlocated(&mut self, count: u64) {
        self.total += count;
    }

    /// Malformed lines so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Whether the next malformed line would be shown (or stop the run),
    /// so needs its location; later ones are only counted.
    pub fn wants_location(&self) -> bool {
        self.strict || self.total < SHOWN_MALFORMED
    }

    /// The closing count, when any line was skipped.
    pub fn finish(&self) {
        if self.total > 0 {
            self.diagnostics.note(format_args!(
                "{} malformed line(s) skipped in all",
                self.total
            ));
        }
    }
}

/// A sink whose contents a test can read afterwards.
#[cfg(test)]
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

#[cfg(test)]
impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
impl Captured {
    /// What was written so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::record::Malformed;

    fn at(line: u64) -> MalformedLine {
        MalformedLine {
            file: "log".into(),
            line,
            why: Malformed::Blank,
        }
    }

    #[test]
    fn shows_the_first_few_counts_every_line_and_strict_stops_at_the_first() {
        let said = Captured::default();
        let mut report =
            MalformedReport::new(Diagnostics::to_writer("t", false, said.clone()), false);
        for n in 1..=1000 {
            report.record(at(n)).unwrap();
        }
        report.add_unlocated(5);
        report.finish();
        assert_eq!(report.total(), 1005);
        let text = said.text();
        assert_eq!(text.lines().count(), SHOWN_MALFORMED as usize + 1, "{text}");
        assert!(text.starts_with("t: log:1: skipped malformed line: blank line\n"));
        assert!(text.ends_with("t: 1005 malformed line(s) skipped in all\n"));
        let mut strict = MalformedReport::new(Diagnostics::to_writer("t", true, said), true);
        let err = strict.record(at(7)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "log:7: malformed line (blank line); stopping at the first one (strict mode)"
        );
    }

    #[test]
    fn quiet_drops_notes_but_not_errors() {
        let said = Captured::default();
        let diagnostics = Diagnostics::to_writer("t", true, said.clone());
        diagnostics.note("a note");
        diagnostics.error("an error");
        assert_eq!(said.text(), "t: an error\n");
    }
}
