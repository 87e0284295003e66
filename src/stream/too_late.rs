//! Counting records that break the lateness bound.

use std::io::{self, Write};

use crate::parse::timestamp::Timestamp;
use crate::stream::aggregator::TOOL;

/// How many too-late records are shown one by one (then only counted).
pub const SHOWN_TOO_LATE: u64 = 5;

/// Counts too-late records and shows the first few, like
/// [`MalformedReport`] does for malformed lines.
#[derive(Debug)]
pub(crate) struct TooLateReport {
    quiet: bool,
    total: u64,
}

impl TooLateReport {
    pub(crate) fn new(quiet: bool) -> TooLateReport {
        TooLateReport { quiet, total: 0 }
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn record(&mut self, file: &str, line: u64, window: Timestamp, latest: Timestamp) {
        self.total += 1;
        if self.total <= SHOWN_TOO_LATE && !self.quiet {
            let _ = writeln!(
                io::stderr().lock(),
                "{TOOL}: {file}:{line}: skipped too-late record: its window {window}.0 \
                 was already closed (latest time seen: {latest})"
            );
        }
    }

    pub(crate) fn finish(&self) {
        if self.total > 0 && !self.quiet {
            let _ = writeln!(
                io::stderr().lock(),
                "{TOOL}: {} too-late record(s) skipped in all",
                self.total
            );
        }
    }
}
