//! Malformed-line reporting on stderr, short however bad the log is.
//!
//! A log of a million broken lines must not bury the terminal, so the first
//! few are shown as `FILE:LINE: reason` and the rest are only counted.

use std::io::{self, Write};

use crate::parse::record::Malformed;

/// How many malformed lines are shown one by one.
pub const SHOWN_MALFORMED: u64 = 5;

/// Writes one line on stderr, prefixed with the tool's name: a note the
/// user asked for with `-v`.
pub fn note(tool: &str, text: &str) {
    let _ = writeln!(io::stderr().lock(), "{tool}: {text}");
}

/// Where a malformed line is and why it is malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedLine {
    pub file: String,
    /// 1-based line number within `file`.
    pub line: u64,
    pub why: Malformed,
}

/// `--strict` met a malformed line: the run stops with exit status 1.
#[derive(Debug)]
pub struct StrictError(pub MalformedLine);

impl std::fmt::Display for StrictError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = &self.0;
        write!(
            f,
            "{}:{}: malformed line ({}); stopping because of --strict",
            m.file, m.line, m.why
        )
    }
}

impl std::error::Error for StrictError {}

/// Counts malformed lines and shows the first few.
#[derive(Debug)]
pub struct MalformedReport {
    tool: &'static str,
    strict: bool,
    quiet: bool,
    total: u64,
}

impl MalformedReport {
    pub fn new(tool: &'static str, strict: bool, quiet: bool) -> MalformedReport {
        MalformedReport {
            tool,
            strict,
            quiet,
            total: 0,
        }
    }

    /// Records one malformed line, in input order. With `--strict` the
    /// first one is an error.
    pub fn record(&mut self, line: MalformedLine) -> Result<(), StrictError> {
        if self.strict {
            return Err(StrictError(line));
        }
        self.total += 1;
        if self.total <= SHOWN_MALFORMED && !self.quiet {
            let _ = writeln!(
                io::stderr().lock(),
                "{}: {}:{}: skipped malformed line: {}",
                self.tool,
                line.file,
                line.line,
                line.why
            );
        }
        Ok(())
    }

    /// Records malformed lines that were counted but not located (their
    /// positions are not needed once the first few are shown).
    pub fn add_unlocated(&mut self, count: u64) {
        self.total += count;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The closing count, when any line was skipped.
    pub fn finish(&self) {
        if self.total > 0 && !self.quiet {
            let _ = writeln!(
                io::stderr().lock(),
                "{}: {} malformed line(s) skipped in all",
                self.tool,
                self.total
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u64) -> MalformedLine {
        MalformedLine {
            file: "log".into(),
            line,
            why: Malformed::Blank,
        }
    }

    #[test]
    fn counts_every_line_and_strict_stops_at_the_first() {
        let mut report = MalformedReport::new("t", false, true);
        for n in 1..=1000 {
            report.record(at(n)).unwrap();
        }
        report.add_unlocated(5);
        assert_eq!(report.total(), 1005);
        let mut strict = MalformedReport::new("t", true, true);
        let err = strict.record(at(7)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "log:7: malformed line (blank line); stopping because of --strict"
        );
    }
}
