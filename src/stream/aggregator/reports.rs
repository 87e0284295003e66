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

    /// Says, once at the end, when a record arrived later than the
    /// lateness bound allows: how late, and the bound that would cover it.
    pub(super) fn warn_lateness(&self) {
        if let Some(past) = self.latest_arrival.past(self.config.lateness) {
            self.diagnostics
                .note(past.warning("windows may have closed before all their records came", ""));
        }
    }
}
