//! Counting runs of parsed blocks on other threads, so that
//! `connspy-stream` aggregates on every core while its output stays that
//! of one sequential pass (docs/behaviour.md#stream).
//!
//! A worker parses a *chunk*, consecutive blocks of lines of one input
//! ([`RawLines`]), and counts it into one exact tally per window it touches ([`ChunkTally`]), knowing
//! nothing of what came before. The aggregator takes the chunks in file
//! order ([`Aggregator::feed_chunk`](crate::stream::aggregator::Aggregator::feed_chunk)):
//! each tally is added to its open window, or opens it, and then the
//! windows that the chunk's newest time proves complete are printed.
//!
//! **Why that equals feeding the records one by one**, as long as no
//! record of the chunk breaks the lateness bound (its time is not past
//! its window's deadline by the newest time before it, counting the time
//! before the chunk): then no record is dropped and no window opens past
//! its deadline. A window that closes during the chunk gets no record
//! after it closes (that record would break the bound), and every window
//! opened after it starts later; so the windows close in order of start,
//! each with exactly the records it has at the chunk's end, which is
//! what printing them all at the end does. Tallies add up exactly: hosts
//! new to a window follow its own in first-seen order, counts add, and a
//! list gains the hosts it has not met in the chunk's order
//! ([`ExactTally::absorb`]), so the `MOST` tie rule and every list order
//! are kept.
//!
//! So a chunk is fed line by line instead when:
//! - the worker saw a malformed line (its diagnostic and `--strict` need
//!   its place among the windows printed), or a record past its window's
//!   deadline by the chunk's own newest time so far;
//! - the aggregator's newest time before the chunk is past the deadline
//!   of a window of the chunk.
//!
//! Well-ordered logs almost never do either. Only exact counting is
//! counted this way: a bounded summary (`--top-capacity`) does not add up.
//!
//! **Bound.** A tally holds at most the chunk's distinct hosts (two per
//! record), each within [`HostCounts`](crate::stream::host_counts)'s bound,
//! and lists of 4 bytes per listed host.

use crate::parse::batch::{Item, ParsedLines, RawLines};
use crate::parse::record::Record;
use crate::parse::target::Target;
use crate::parse::timestamp::{Duration, Timestamp};
use crate::stream::aggregator::HourlyConfig;
use crate::stream::dedup::{Dedup, ListMaker};
use crate::stream::window::{Counting, ExactTally, WindowSpan, WindowWidth};

/// What a worker needs of the configuration to count chunks.
pub struct ChunkCounter {
    to_host: Target,
    from_host: Target,
    window: WindowWidth,
    lateness: Duration,
    dedup: Dedup,
}

/// The counts of one chunk, per window.
pub struct ChunkTally {
    /// One tally per window the chunk's records fall in, by start; `None`
    /// when the chunk must be fed line by line (see the module docs).
    pub(crate) windows: Option<Vec<(WindowSpan, ExactTally)>>,
    /// The largest time of the chunk's records.
    pub(crate) latest: Timestamp,
    /// The chunk's records, lines, and VPC `NODATA`/`SKIPDATA` records.
    pub(crate) records: u64,
    pub(crate) lines: u64,
    pub(crate) no_data: u64,
}

impl ChunkCounter {
    /// A counter for `config`; `None` when its windows do not count
    /// exactly (a bounded summary cannot add up another).
    pub fn new(config: &HourlyConfig) -> Option<ChunkCounter> {
        (config.counting == Counting::Exact).then(|| ChunkCounter {
            to_host: config.to_host.clone(),
            from_host: config.from_host.clone(),
            window: config.window,
            lateness: config.lateness,
            dedup: config.dedup,
        })
    }

    /// Parses the lines of `chunk` (in `parsed`, a buffer kept between
    /// chunks) and counts their records; new window tables get room for
    /// `hosts_hint` hosts (see [`ChunkTally::hosts`]).
    pub fn count(
        &self,
        chunk: &[RawLines],
        parsed: &mut ParsedLines,
        hosts_hint: usize,
    ) -> ChunkTally {
        let mut tally = ChunkTally {
            windows: Some(Vec::new()),
            latest: Timestamp::ZERO,
            records: 0,
            lines: 0,
            no_data: 0,
        };
        for block in chunk {
            let mut state = block.state.clone();
            let mut bytes = &block.bytes[..];
            while !bytes.is_empty() {
                let took = parsed.parse(bytes, &mut state);
                tally.lines += parsed.lines;
                tally.no_data += parsed.no_data;
                if !self.count_parsed(bytes, parsed, &mut tally, hosts_hint) {
                    tally.windows = None;
                    return tally;
                }
                bytes = &bytes[took..];
            }
        }
        tally
    }

    /// Counts the records of `parsed`, a parse of `bytes`, into `tally`;
    /// false when the chunk must be fed line by line instead (see the
    /// module docs).
    fn count_parsed(
        &self,
        bytes: &[u8],
        parsed: &ParsedLines,
        tally: &mut ChunkTally,
        hosts_hint: usize,
    ) -> bool {
        let Some(windows) = &mut tally.windows else {
            return false;
        };
        let mut lists = ListMaker::new(self.dedup);
        let mut span = WindowSpan::EMPTY;
        let mut at = 0;
        for item in &parsed.items {
            let Item::Record { ts, from, to, .. } = *item else {
                return false;
            };
            if !span.contains(ts) {
                span = WindowSpan::of(ts, self.window, self.lateness);
                at = windows.partition_point(|(s, _)| s.start < span.start);
                if windows.get(at).is_none_or(|(s, _)| s.start != span.start) {
                    windows.insert(at, (span, ExactTally::new(hosts_hint)));
                }
            }
            if tally.latest > span.deadline {
                return false;
            }
            let record = Record {
                ts,
                from: &bytes[from.range()],
                to: &bytes[to.range()],
            };
            let added = windows[at]
                .1
                .add(&record, &self.to_host, &self.from_host, &mut lists);
            if added.is_err() {
                // The aggregator meets the same failure in its place.
                return false;
            }
            tally.latest = tally.latest.max(ts);
            tally.records += 1;
        }
        true
    }
}

impl ChunkTally {
    /// The most distinct hosts of one of its windows: a good size for the
    /// tables of the next chunk.
    pub fn hosts(&self) -> usize {
        self.windows
            .iter()
            .flatten()
            .map(|(_, tally)| tally.hosts())
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::batch::Fill;
    use crate::parse::format::{FormatState, InputFormat};
    use crate::stream::aggregator::HourlyConfig;
    use crate::stream::window::Report;

    fn counted(text: &str, lateness: u64) -> ChunkTally {
        let config = HourlyConfig {
            to_host: Target::parse(b"x").unwrap(),
            from_host: Target::parse(b"y").unwrap(),
            input_format: InputFormat::Auto,
            lateness: Duration::from_secs(lateness),
            window: WindowWidth::HOUR,
            dedup: Dedup::default(),
            counting: Counting::Exact,
            report: Report::default(),
            format: crate::output::Format::Tsv,
            flush_each_window: false,
            strict: false,
        };
        let mut block = RawLines::default();
        block.fill(text.as_bytes(), &mut FormatState::new(InputFormat::Auto));
        let counter = ChunkCounter::new(&config).unwrap();
        counter.count(&[block], &mut ParsedLines::default(), 0)
    }

    #[test]
    fn a_chunk_in_order_is_counted_per_window() {
        // Two hours, one record late within the bound of 300 s.
        let tally = counted("3500 a x\n3700 b x\n3590 c y\n7300 d e\n", 300);
        let windows = tally.windows.as_ref().unwrap();
        let starts: Vec<Timestamp> = windows.iter().map(|(s, _)| s.start).collect();
        assert_eq!(starts, [0, 3600, 7200].map(Timestamp::from_secs));
        let hosts: Vec<usize> = windows.iter().map(|(_, t)| t.hosts()).collect();
        assert_eq!(hosts, [4, 2, 2]);
        assert_eq!((tally.records, tally.lines), (4, 4));
        assert_eq!(tally.latest, Timestamp::from_secs(7300));
    }

    #[test]
    fn a_record_past_the_bound_or_a_malformed_line_leaves_the_chunk_to_one_pass() {
        // 0 is past the deadline of its hour (3600 + 300) once 3901 is seen.
        assert!(counted("0 a b\n3901 c d\n0 e f\n", 300).windows.is_none());
        assert!(counted("0 a b\n3900 c d\n0 e f\n", 300).windows.is_some());
        assert!(
            counted("0 a b\nnot a record\n1 c d\n", 300)
                .windows
                .is_none()
        );
    }
}
