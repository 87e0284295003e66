//! Counting records that break the lateness bound.

use crate::diagnostics::Diagnostics;
use crate::parse::timestamp::Timestamp;

/// How many too-late records are shown one by one (then only counted).
pub(crate) const SHOWN_TOO_LATE: u64 = 5;

/// Counts too-late records and shows the first few, like
/// [`MalformedReport`] does for malformed lines.
#[derive(Debug)]
pub(crate) struct TooLateReport {
    diagnostics: Diagnostics,
    total: u64,
}

impl TooLateReport {
    /// A count that shows the first few through `diagnostics`.
    pub(crate) fn new(diagnostics: Diagnostics) -> TooLateReport {
        TooLateReport {
            diagnostics,
            total: 0,
        }
    }

    /// Too-late records so far.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Counts one, at `line` of `file`, for `window`, past which the
    /// newest time seen, `latest`, had already moved.
    pub(crate) fn record(&mut self, file: &str, line: u64, window: Timestamp, latest: Timestamp) {
        self.total += 1;
        if self.total <= SHOWN_TOO_LATE {
            self.diagnostics.note(format_args!(
                "{file}:{line}: skipped too-late record: its window {window}.0 \
                 was already closed (latest time seen: {latest})"
            ));
        }
    }

    /// The closing count, when any record was skipped.
    pub(crate) fn finish(&self) {
        if self.total > 0 {
            self.diagnostics.note(format_args!(
                "{} too-late record(s) skipped in all",
                self.total
            ));
        }
    }
}
