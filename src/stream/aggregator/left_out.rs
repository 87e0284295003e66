//! The records the filters (`--dport`, `--sport`, `--proto`, `--action`)
//! leave out, on the aggregator's side (`docs/behaviour.md#filters`): a
//! record of the log all the same, which moves the clock; the selection
//! (filters and `--by` weights) handed to the threads that parse; and the
//! error of an input a filter or `--by` cannot be applied to.

use std::io::Write;

use super::Aggregator;
use crate::error::Error;
use crate::parse::batch::ParsedLines;
use crate::parse::record::Malformed;
use crate::parse::selection::Selection;
use crate::parse::timestamp::Timestamp;

impl<W: Write> Aggregator<W> {
    /// Which records are kept and how they are weighed, for a thread that
    /// parses for this aggregator.
    pub(crate) fn selection(&self) -> Selection {
        self.config.selection.clone()
    }

    /// The end of the run, as a usage error naming the input, if a filter
    /// met a record of `block` it cannot be applied to.
    pub(crate) fn check_filterable(&self, block: &ParsedLines) -> Result<(), Error> {
        match block.unfilterable {
            Some(why) => Err(Error::Usage(format!("{}: {why}", self.input))),
            None => Ok(()),
        }
    }

    /// A record the filters leave out: it moves the newest time (and
    /// closes the windows that proves complete, as without a filter), and
    /// counts among the records, but toward nothing else. The clock's
    /// rules are those of every record: a time too far ahead is malformed,
    /// and a late one is measured (docs/behaviour.md#implausible-times).
    pub(super) fn pass_by(&mut self, ts: Timestamp) -> Result<(), Error> {
        if ts > self.believable && !self.believes(ts) {
            return self.malformed_line(Malformed::FarAhead);
        }
        self.records += 1;
        if ts > self.latest {
            self.latest = ts;
            self.close_complete_windows()?;
        } else {
            self.latest_arrival.arrived(self.latest, ts);
        }
        Ok(())
    }
}
