//! The run of records a worker counts together within a chunk
//! ([`crate::stream::chunk`]): one exact tally per window it touches, cut
//! where a record's place in the order matters (a window's deadline
//! passed, the chunk's budget spent), and the times and lateness the
//! aggregator needs to add it up.

use crate::parse::lateness::Lateness;
use crate::parse::record::Record;
use crate::parse::target::Target;
use crate::parse::timestamp::{Duration, Timestamp};
use crate::stream::chunk_budget::Budget;
use crate::stream::dedup::ListMaker;
use crate::stream::measure::Measure;
use crate::stream::open_window::ExactTally;
use crate::stream::window::{WindowSpan, WindowWidth};

/// What a run counts records with: the lists' targets and the windows.
pub(crate) struct Windowing {
    pub(crate) to_host: Target,
    pub(crate) from_host: Target,
    pub(crate) window: WindowWidth,
    pub(crate) lateness: Duration,
    /// What the tallies measure beyond records (`--by`).
    pub(crate) measure: Measure,
}

/// Where an item of a [`CountedChunk`] is: its parse, and its index
/// among that parse's items.
pub(crate) type At = (usize, usize);

/// A run of a chunk's items, to be fed in order.
pub(crate) enum Segment {
    /// Records counted together, items `from` up to `to` (excluded).
    Counted {
        /// One tally per window the records fall in, by start.
        windows: Vec<(WindowSpan, ExactTally)>,
        /// The largest time of the records.
        latest: Timestamp,
        /// The smallest, and how far the latest-arriving record was
        /// behind the chunk's newest time before it.
        earliest: Timestamp,
        late_within: Lateness,
        records: u64,
        from: At,
        to: At,
    },
    /// Items `from` up to `to` (excluded) to feed one by one: a record
    /// past its window's deadline or a malformed line; or, when a list
    /// failed to grow, the rest of the chunk (the aggregator meets the
    /// failure in its place).
    InLine { from: At, to: At },
}

/// What became of a record offered to a [`Run`].
pub(crate) enum Added {
    Counted,
    /// Past its window's deadline: to be fed on its own.
    InLine,
    /// The chunk's counts have spent their budget: the record and the rest
    /// of the chunk are to be fed in line.
    OverBudget,
    /// A list failed to grow, after the record was partly counted: the
    /// run is void.
    Failed,
}

/// The segment a worker is counting.
pub(crate) struct Run {
    windows: Vec<(WindowSpan, ExactTally)>,
    latest: Timestamp,
    earliest: Timestamp,
    late_within: Lateness,
    records: u64,
    pub(crate) from: At,
    /// The window of the last record, and its place in `windows`.
    span: WindowSpan,
    at: usize,
    /// The room its table was given: hosts up to it are paid for.
    room: usize,
}

impl Run {
    pub(crate) fn new(from: At) -> Run {
        Run {
            windows: Vec::new(),
            latest: Timestamp::ZERO,
            earliest: Timestamp::from_nanos(u128::MAX),
            late_within: Lateness::default(),
            records: 0,
            from,
            span: WindowSpan::EMPTY,
            at: 0,
            room: 0,
        }
    }

    /// Counts `record` of `weight` unless its window's deadline is past `newest` (the
    /// chunk's newest time before it) or the chunk's `budget` is spent.
    #[inline]
    pub(crate) fn add(
        &mut self,
        record: &Record<'_>,
        weight: u64,
        newest: Timestamp,
        counter: &Windowing,
        lists: &mut ListMaker,
        budget: &mut Budget,
    ) -> Added {
        if budget.spent {
            return Added::OverBudget;
        }
        // Checked when the window changes only: while records stay in one
        // window, the newest time stays inside it, before its deadline.
        if !self.span.contains(record.ts) {
            self.span = WindowSpan::of(record.ts, counter.window, counter.lateness);
            if newest > self.span.deadline {
                return Added::InLine;
            }
            let start = self.span.start;
            self.at = self.windows.partition_point(|(s, _)| s.start < start);
            if self
                .windows
                .get(self.at)
                .is_none_or(|(s, _)| s.start != start)
            {
                let room = budget.room();
                if !budget.charge_window(room) {
                    return Added::OverBudget;
                }
                self.windows
                    .insert(self.at, (self.span, ExactTally::new(room, counter.measure)));
                self.room = room;
            } else {
                // A window met before in this run, whose room is unknown:
                // its hosts are charged from now on.
                self.room = 0;
            }
        }
        let tally = &mut self.windows[self.at].1;
        let hosts_before = tally.hosts();
        let pairs_before = tally.pairs();
        if tally
            .add(record, weight, &counter.to_host, &counter.from_host, lists)
            .is_err()
        {
            return Added::Failed;
        }
        let hosts = tally.hosts();
        // Counted already, whatever the charge says: a spent budget stops
        // the run at the next record.
        let unpaid = hosts.saturating_sub(self.room.max(hosts_before));
        budget.charge_growth(unpaid, tally.pairs() - pairs_before);
        self.took(record.ts, newest);
        Added::Counted
    }

    /// A record at `ts` is the run's, `newest` the chunk's newest time
    /// before it: its times, lateness and records.
    fn took(&mut self, ts: Timestamp, newest: Timestamp) {
        self.latest = self.latest.max(ts);
        self.earliest = self.earliest.min(ts);
        self.late_within.arrived(newest, ts);
        self.records += 1;
    }

    /// A record the filters leave out, `newest` the chunk's newest time
    /// before it: it counts toward nothing but the run's times and records
    /// (as [`Aggregator`](crate::stream::aggregator::Aggregator) feeding it
    /// would).
    pub(crate) fn pass_by(&mut self, ts: Timestamp, newest: Timestamp) {
        self.took(ts, newest);
        if ts > self.span.deadline {
            // The newest time has left the window of the last record
            // behind: the next record's window is checked again.
            self.span = WindowSpan::EMPTY;
        }
    }

    /// Ends the run before `to`, adding it to `segments` unless empty.
    pub(crate) fn end(self, to: At, segments: &mut Vec<Segment>) {
        if self.records > 0 {
            segments.push(Segment::Counted {
                windows: self.windows,
                latest: self.latest,
                earliest: self.earliest,
                late_within: self.late_within,
                records: self.records,
                from: self.from,
                to,
            });
        }
    }
}
