//! The too-late rule: a record is dropped only when its window was already
//! printed (`docs/behaviour.md#too-late`),
//! and counting the records it drops.
//!
//! A record may break the lateness bound for a window that never had a
//! record: that window was never printed, so the record opens it, and as
//! the data already proves it complete it is printed at once. To tell the
//! two apart the aggregator remembers which windows it printed, as runs of
//! consecutive windows ([`PrintedWindows`]).

use crate::diagnostics::Diagnostics;
use crate::parse::timestamp::Timestamp;

/// How many too-late records are shown one by one (then only counted).
pub(crate) const SHOWN_TOO_LATE: u64 = 5;

/// Runs of printed windows remembered: 32 bytes each, 128 KiB in all. A
/// log whose printed windows are interrupted by more gaps than this (at
/// least this many empty stretches) forgets its oldest runs, and a record
/// for an empty window before them counts as too late.
pub(crate) const MAX_PRINTED_RUNS: usize = 4096;

/// The windows printed so far, as sorted, disjoint, non-touching runs
/// `[start, end)` of time. Windows are printed oldest first, so a new one
/// almost always extends the last run.
///
/// **Bound**: at most [`MAX_PRINTED_RUNS`] runs; past it the oldest run is
/// forgotten and everything before the next one counts as printed.
#[derive(Debug, Default)]
pub(crate) struct PrintedWindows {
    runs: Vec<(Timestamp, Timestamp)>,
    /// Every window starting before this counts as printed (the start of
    /// the oldest run kept, once runs were forgotten).
    floor: Timestamp,
}

impl PrintedWindows {
    /// Remembers that the window `[start, end)` was printed.
    pub(crate) fn insert(&mut self, start: Timestamp, end: Timestamp) {
        // The runs that end at or after `start`: the insertion point.
        let i = self.runs.partition_point(|&(_, e)| e < start);
        match self.runs.get(i).copied() {
            // Touches or holds the run at `i`: extend it.
            Some((s, e)) if s <= end => {
                let merged = (s.min(start), e.max(end));
                self.runs[i] = merged;
                // It may now touch the next run.
                if let Some(&(ns, ne)) = self.runs.get(i + 1)
                    && ns <= merged.1
                {
                    self.runs[i].1 = ne.max(merged.1);
                    self.runs.remove(i + 1);
                }
            }
            _ => self.runs.insert(i, (start, end)),
        }
        if self.runs.len() > MAX_PRINTED_RUNS {
            self.runs.remove(0);
            self.floor = self.runs[0].0;
        }
    }

    /// Whether the window starting at `start` was printed.
    pub(crate) fn contains(&self, start: Timestamp) -> bool {
        if start < self.floor {
            return true;
        }
        let i = self.runs.partition_point(|&(_, e)| e <= start);
        self.runs.get(i).is_some_and(|&(s, _)| s <= start)
    }
}

/// Counts too-late records and shows the first few, like
/// [`MalformedReport`](crate::diagnostics::MalformedReport) does for
/// malformed lines.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> Timestamp {
        Timestamp::from_secs(secs)
    }

    #[test]
    fn printed_windows_merge_into_runs_and_answer_membership() {
        let mut p = PrintedWindows::default();
        for h in [0, 1, 2, 5, 7, 6, 4] {
            p.insert(t(h * 10), t(h * 10 + 10));
        }
        assert_eq!(p.runs, [(t(0), t(30)), (t(40), t(80))]);
        for h in 0..10 {
            assert_eq!(p.contains(t(h * 10)), h != 3 && h < 8, "{h}");
        }
        p.insert(t(30), t(40));
        assert_eq!(p.runs, [(t(0), t(80))]);
    }

    #[test]
    fn too_many_runs_forget_the_oldest_as_printed() {
        let mut p = PrintedWindows::default();
        for i in 0..MAX_PRINTED_RUNS as u64 + 2 {
            p.insert(t(i * 20), t(i * 20 + 10));
        }
        assert_eq!(p.runs.len(), MAX_PRINTED_RUNS);
        // The gaps before the first remembered run count as printed.
        assert!(p.contains(t(10)) && p.contains(t(30)));
        assert!(!p.contains(t(50)) && p.contains(t(40)));
    }

    proptest::proptest! {
        #[test]
        fn membership_is_that_of_the_windows_inserted(
            hours in proptest::collection::vec(0u64..40, 0..60),
        ) {
            let mut p = PrintedWindows::default();
            for &h in &hours {
                p.insert(t(h * 10), t(h * 10 + 10));
            }
            for h in 0..41 {
                proptest::prop_assert_eq!(p.contains(t(h * 10)), hours.contains(&h));
            }
            proptest::prop_assert!(p.runs.windows(2).all(|w| w[0].1 < w[1].0));
        }
    }
}
