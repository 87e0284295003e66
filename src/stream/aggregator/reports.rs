//! What the aggregator says and decides beside its windows: malformed
//! lines, a list past its Bloom capacity, which times it believes
//! (docs/behaviour.md#implausible-times) and how late the latest-arriving
//! records actually were (docs/behaviour.md#measured-lateness).

use std::io::Write;

use super::Aggregator;
use crate::diagnostics::MalformedLine;
use crate::error::Error;
use crate::parse::record::Malformed;
use crate::parse::timestamp::Timestamp;
use crate::stream::dedup::Dedup;
use crate::stream::host_counts::ListMark;

impl<W: Write> Aggregator<W> {
    /// Counts a malformed line, with its place while the report shows them.
    pub(super) fn malformed_line(&mut self, why: Malformed) -> Result<(), Error> {
        // Only the first few are shown, so only they need a location (and
        // the allocation of its file name).
        if self.malformed.wants_location() {
            self.malformed.record(MalformedLine {
                file: self.input.clone(),
                line: self.line,
                why,
            })?;
        } else {
            self.malformed.add_unlocated(1);
        }
        Ok(())
    }

    /// Warns, once a run, that a list has passed its Bloom filter's capacity.
    pub(super) fn warn_capacity(&mut self, window: Timestamp, which: ListMark) {
        if self.warned_capacity {
            return;
        }
        self.warned_capacity = true;
        let which = match which {
            ListMark::To => "TO",
            ListMark::From => "FROM",
        };
        if let Dedup::Bloom(size) = self.config.dedup {
            self.diagnostics.note(format_args!(
                "warning: the {which} list of window {window}.0 has more than {} \
                 distinct hosts, past its Bloom filter's capacity: some hosts may be \
                 missing from it (raise the Bloom capacity, or deduplicate exactly)",
                size.capacity()
            ));
        }
    }

    /// Whether `ts` is within the horizon, raising
    /// [`believable`](Self::believable) to its limit.
    pub(super) fn believes(&mut self, ts: Timestamp) -> bool {
        self.believable = self.horizon.limit(self.clock, self.latest);
        ts <= self.believable
    }

    /// A record at `ts` arrived after the newest time, or records counted
    /// apart arrived up to `within` nanoseconds behind the newest time of
    /// their own chunk: keeps the largest lateness.
    #[inline]
    pub(super) fn arrived_late(&mut self, ts: Timestamp, within: u128) {
        let behind = self.latest.as_nanos().saturating_sub(ts.as_nanos());
        self.latest_arrival = self.latest_arrival.max(behind).max(within);
    }

    /// Says, once at the end, when a record arrived later than the
    /// lateness bound allows: how late, and the bound that would cover it.
    pub(super) fn warn_lateness(&self) {
        if self.latest_arrival <= self.config.lateness.as_nanos() {
            return;
        }
        let secs = self.latest_arrival.div_ceil(1_000_000_000);
        self.diagnostics.note(format_args!(
            "warning: records arrived up to {} s behind the newest time before them, past \
             the lateness bound of {} s: windows may have closed before all their records \
             came (--max-log-late-seconds {secs} would cover it)",
            Seconds(self.latest_arrival),
            Seconds(self.config.lateness.as_nanos()),
        ));
    }
}

/// Nanoseconds shown as seconds, with the fraction only when there is one.
struct Seconds(u128);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (secs, nanos) = (self.0 / 1_000_000_000, self.0 % 1_000_000_000);
        if nanos == 0 {
            write!(f, "{secs}")
        } else {
            let fraction = format!("{nanos:09}");
            write!(f, "{secs}.{}", fraction.trim_end_matches('0'))
        }
    }
}
