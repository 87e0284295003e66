//! Counting runs of parsed blocks on other threads, so that
//! `connspy-stream` aggregates on every core while its output stays that
//! of one sequential pass (docs/behaviour.md#stream).
//!
//! A worker parses a *chunk*, consecutive blocks of lines of one input
//! ([`RawLines`]), and counts runs of its records into one exact tally
//! per window they touch ([`CountedChunk`]), knowing nothing of what came
//! before. The aggregator takes the chunks in file order
//! ([`Aggregator::feed_chunk`](crate::stream::aggregator::Aggregator::feed_chunk)):
//! each tally is added to its open window, or opens it, and then the
//! windows that the run's newest time proves complete are printed.
//!
//! **Why that equals feeding the records one by one**, as long as no
//! record of the run breaks the lateness bound (its time is not past its
//! window's deadline by the newest time before it, counting the time
//! before the run): then no record is dropped and no window opens past
//! its deadline. A window that closes during the run gets no record
//! after it closes (that record would break the bound), and every window
//! opened after it starts later; so the windows close in order of start,
//! each with exactly the records it has at the run's end, which is what
//! printing them all at the end does. Tallies add up exactly: hosts
//! new to a window follow its own in first-seen order, counts add, and a
//! list gains the hosts it has not met in the chunk's order
//! ([`ExactTally::absorb`]), so the `MOST` tie rule and every list order
//! are kept.
//!
//! So the worker cuts the chunk into *segments* at the lines whose place
//! in the order matters: a record past its window's deadline by the
//! chunk's own newest time so far (it may be dropped, or open a window
//! that closes at once), and a malformed line (its diagnostic, and
//! `--strict`, come in their place). Those lines are fed one by one, the
//! counted runs between them are added up. The aggregator also feeds a
//! counted run line by line when its newest time is already past the
//! deadline of one of the run's windows (the run's records were late by
//! the time before the chunk). The worker hands over its parse of the
//! chunk with the counts, so nothing is parsed twice. Well-ordered logs
//! make one segment per chunk; past one cut per [`RECORDS_PER_CUT`] lines
//! the rest of the chunk is fed in line, so a log that breaks the bound
//! all the time runs at the speed of one aggregating thread.
//!
//! Only exact counting is counted this way: a bounded summary
//! (`--top-capacity`) does not add up.
//!
//! **Bound.** A chunk's counts are kept within a budget proportional to
//! its bytes, whatever the log's shape: [`COUNT_BYTES_PER_BYTE`](crate::stream::chunk_budget::COUNT_BYTES_PER_BYTE) bytes of
//! tables per byte of the chunk (at least [`MIN_COUNT_BYTES`](crate::stream::chunk_budget::MIN_COUNT_BYTES)), each
//! window charged
//! [`WINDOW_BYTES`](crate::stream::chunk_budget::WINDOW_BYTES) (its table's floor) and each host [`HOST_BYTES`](crate::stream::chunk_budget::HOST_BYTES)
//! ([`HostCounts`](crate::stream::host_counts)'s bound besides the name;
//! names take at most twice the chunk's bytes), and under `--by` each host
//! [`MEASURE_HOST_BYTES`](crate::stream::chunk_budget::MEASURE_HOST_BYTES) more and each distinct pair
//! [`PAIR_BYTES`](crate::stream::chunk_budget::PAIR_BYTES) (`--by peers|in|out`). A chunk of many tiny
//! windows reaches the budget long before its end: the rest of it is fed
//! in line, at the speed of one aggregating thread, in the memory of one.
//! The first few new windows' tables get room for the busiest window of
//! the chunk before (windows of one log are alike), but never more than
//! half the budget left, nor in all more than two hosts per record of the
//! chunk, so a busy window followed by many quiet ones costs no more
//! than the records hold. Lists
//! take 4 bytes per listed host, and the parse 48 bytes a line.

use std::ops::Range;

use crate::parse::batch::{Item, ParsedLines, RawLines};
use crate::parse::horizon::{Horizon, wall_clock};
use crate::parse::record::Record;
use crate::parse::selection::Selection;
use crate::parse::timestamp::Timestamp;
use crate::stream::chunk_budget::Budget;
use crate::stream::chunk_run::{Added, Run, Windowing};
pub(crate) use crate::stream::chunk_run::{At, Segment};
use crate::stream::config::{Counting, WindowConfig};
use crate::stream::dedup::{Dedup, ListMaker};

/// What a worker needs of the configuration to count chunks.
pub(crate) struct ChunkCounter {
    windowing: Windowing,
    dedup: Dedup,
    horizon: Horizon,
    selection: Selection,
}

/// A chunk counted by a worker: its parse and its segments, in order.
#[derive(Default)]
pub(crate) struct CountedChunk {
    /// The chunk's lines, parsed, in order.
    pub(crate) parses: Vec<Parse>,
    pub(crate) segments: Vec<Segment>,
}

/// Lines of a chunk parsed at once.
pub(crate) struct Parse {
    /// The chunk's block the lines are in, and where in it: the parse's
    /// spans are relative to `range.start`.
    pub(crate) block: usize,
    pub(crate) range: Range<usize>,
    pub(crate) parsed: ParsedLines,
}

impl Parse {
    /// The bytes the parse's spans refer to.
    pub(crate) fn bytes<'c>(&self, chunk: &'c [RawLines]) -> &'c [u8] {
        &chunk[self.block].bytes[self.range.clone()]
    }
}

impl ChunkCounter {
    /// A counter for `config`; `None` when its windows do not count
    /// exactly (a bounded summary cannot add up another).
    pub(crate) fn new(config: &WindowConfig) -> Option<ChunkCounter> {
        (config.counting == Counting::Exact).then(|| ChunkCounter {
            windowing: Windowing {
                to_host: config.to_host.clone(),
                from_host: config.from_host.clone(),
                window: config.window,
                lateness: config.lateness,
                measure: config.report.by,
            },
            dedup: config.dedup,
            horizon: Horizon::new(config.lateness),
            selection: config.selection.clone(),
        })
    }

    /// Parses the lines of `chunk` into parses taken from `spare` (or new
    /// ones) and counts their records; new window tables get room for
    /// `hosts_hint` hosts (see [`CountedChunk::hosts`]).
    pub(crate) fn count(
        &self,
        chunk: &[RawLines],
        mut spare: impl FnMut() -> ParsedLines,
        hosts_hint: usize,
    ) -> CountedChunk {
        let mut counted = CountedChunk::default();
        'blocks: for (b, block) in chunk.iter().enumerate() {
            let mut state = block.state.clone();
            let mut offset = 0;
            while offset < block.bytes.len() {
                let mut parsed = spare();
                let end =
                    offset + parsed.parse(&block.bytes[offset..], &mut state, &self.selection);
                let unfilterable = parsed.unfilterable.is_some();
                counted.parses.push(Parse {
                    block: b,
                    range: offset..end,
                    parsed,
                });
                if unfilterable {
                    // The run ends at that record; nothing after it counts.
                    break 'blocks;
                }
                offset = end;
            }
        }
        // Runs cut short cost their windows' lookups again when added up:
        // past one cut per `RECORDS_PER_CUT` lines, the rest is fed in line.
        let items: usize = counted.parses.iter().map(|p| p.parsed.items.len()).sum();
        let mut cuts_left = items / RECORDS_PER_CUT + 1;
        let bytes: usize = chunk.iter().map(|block| block.bytes.len()).sum();
        let mut budget = Budget::new(bytes, items, hosts_hint, self.windowing.measure);
        let mut run = Run::new((0, 0));
        let mut lists = ListMaker::new(self.dedup);
        let mut newest = Timestamp::ZERO;
        // A time past it may be implausible: the aggregator, which knows
        // the newest time before the chunk, decides in line. Never moved
        // by such a time.
        let clock = wall_clock();
        let mut believable = self.horizon.limit(clock, newest);
        let end = (counted.parses.len(), 0);
        for (p, parse) in counted.parses.iter().enumerate() {
            let bytes = parse.bytes(chunk);
            for (i, item) in parse.parsed.items.iter().enumerate() {
                let added = match *item {
                    Item::Record { ts, .. } if ts > believable => Added::InLine,
                    Item::Record { ts, from, to, .. } => {
                        let record = Record {
                            ts,
                            from: &bytes[from.range()],
                            to: &bytes[to.range()],
                        };
                        let added = run.add(
                            &record,
                            parse.parsed.weight(i),
                            newest,
                            &self.windowing,
                            &mut lists,
                            &mut budget,
                        );
                        if ts > newest {
                            newest = ts;
                            believable = self.horizon.limit(clock, newest);
                        }
                        added
                    }
                    Item::Filtered { ts, .. } if ts > believable => Added::InLine,
                    Item::Filtered { ts, .. } => {
                        run.pass_by(ts, newest);
                        if ts > newest {
                            newest = ts;
                            believable = self.horizon.limit(clock, newest);
                        }
                        Added::Counted
                    }
                    Item::Malformed { .. } => Added::InLine,
                };
                match added {
                    Added::Counted => {}
                    Added::InLine if cuts_left > 0 => {
                        cuts_left -= 1;
                        run.end((p, i), &mut counted.segments);
                        let next = (p, i + 1);
                        counted.segments.push(Segment::InLine {
                            from: (p, i),
                            to: next,
                        });
                        // Tables sized for a whole window would be wasted
                        // on what is left of a chunk.
                        budget.hosts_hint = 0;
                        run = Run::new(next);
                    }
                    Added::InLine | Added::OverBudget => {
                        run.end((p, i), &mut counted.segments);
                        counted.segments.push(Segment::InLine {
                            from: (p, i),
                            to: end,
                        });
                        return counted;
                    }
                    Added::Failed => {
                        let from = run.from;
                        counted.segments.push(Segment::InLine { from, to: end });
                        return counted;
                    }
                }
            }
        }
        run.end(end, &mut counted.segments);
        counted
    }
}

/// Lines of a chunk per run cut short by a record past the bound: a log
/// that breaks the bound more often has the rest of each chunk fed in line.
const RECORDS_PER_CUT: usize = 4096;

impl CountedChunk {
    /// The most distinct hosts of one of its windows: a good size for the
    /// tables of the next chunk.
    pub(crate) fn hosts(&self) -> usize {
        self.segments
            .iter()
            .filter_map(|segment| match segment {
                Segment::Counted { windows, .. } => {
                    windows.iter().map(|(_, tally)| tally.hosts()).max()
                }
                Segment::InLine { .. } => None,
            })
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::batch::Fill;
    use crate::parse::format::{FormatState, InputFormat};
    use crate::stream::chunk_budget::{COUNT_BYTES_PER_BYTE, MIN_COUNT_BYTES, WINDOW_BYTES};
    use crate::stream::window::WindowWidth;

    fn counted(text: &str, lateness: u64) -> CountedChunk {
        counted_with(WindowConfig::for_test("x", "y", lateness), text)
    }

    fn counted_with(config: WindowConfig, text: &str) -> CountedChunk {
        let mut block = RawLines::default();
        block.fill(
            text.as_bytes(),
            &mut FormatState::new(config.input_format),
            &Default::default(),
        );
        let counter = ChunkCounter::new(&config).unwrap();
        counter.count(&[block], ParsedLines::default, 0)
    }

    /// Each segment as (items from, items to, records counted or `None`
    /// for items fed on their own); every test chunk is one parse.
    fn shape(chunk: &CountedChunk) -> Vec<(usize, usize, Option<u64>)> {
        let at = |(p, i): At| {
            if p == chunk.parses.len() {
                chunk.parses[p - 1].parsed.items.len()
            } else {
                i
            }
        };
        chunk
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Counted {
                    from, to, records, ..
                } => (at(*from), at(*to), Some(*records)),
                Segment::InLine { from, to } => (at(*from), at(*to), None),
            })
            .collect()
    }

    #[test]
    fn a_chunk_in_order_is_one_segment_with_a_tally_per_window() {
        // Three hours, one record late within the bound of 300 s.
        let chunk = counted("3500 a x\n3700 b x\n3590 c y\n7300 d e\n", 300);
        assert_eq!(shape(&chunk), [(0, 4, Some(4))]);
        let Segment::Counted {
            windows, latest, ..
        } = &chunk.segments[0]
        else {
            panic!("one counted segment");
        };
        let starts: Vec<Timestamp> = windows.iter().map(|(s, _)| s.start).collect();
        assert_eq!(starts, [0, 3600, 7200].map(Timestamp::from_secs));
        let hosts: Vec<usize> = windows.iter().map(|(_, t)| t.hosts()).collect();
        assert_eq!(hosts, [4, 2, 2]);
        assert_eq!(*latest, Timestamp::from_secs(7300));
    }

    #[test]
    fn many_tiny_windows_count_within_the_budget_and_the_rest_is_fed_in_line() {
        let config = WindowConfig {
            window: WindowWidth::parse("1s").unwrap(),
            ..WindowConfig::for_test("x", "y", 0)
        };
        let text: String = (0..10_000)
            .map(|i| format!("{} a{i} x\n", 1000 + i))
            .collect();
        let mut block = RawLines::default();
        block.fill(
            text.as_bytes(),
            &mut FormatState::new(InputFormat::Auto),
            &Default::default(),
        );
        let counter = ChunkCounter::new(&config).unwrap();
        // Room asked for as if the chunk before had a window of a million
        // hosts: a chunk gives out no more than two hosts a record.
        let chunk = counter.count(&[block], ParsedLines::default, 1_000_000);
        let budget = (text.len() * COUNT_BYTES_PER_BYTE).max(MIN_COUNT_BYTES);
        let shapes = shape(&chunk);
        let [(0, counted, Some(records)), (from, 10_000, None)] = shapes[..] else {
            panic!("one counted run, then the rest in line: {shapes:?}");
        };
        assert_eq!((from, records), (counted, counted as u64));
        assert!(counted * WINDOW_BYTES <= budget, "{counted} windows");
        // The first windows' room left most of the budget to the records.
        assert!(counted >= 20, "{counted} windows");
    }

    #[test]
    fn a_record_past_the_bound_or_a_malformed_line_is_fed_on_its_own() {
        // 0 is past the deadline of its hour (3600 + 300) once 3901 is seen.
        let late = counted("0 a b\n3901 c d\n0 e f\n7000 g h\n", 300);
        assert_eq!(
            shape(&late),
            [(0, 2, Some(2)), (2, 3, None), (3, 4, Some(1))]
        );
        let in_time = counted("0 a b\n3900 c d\n0 e f\n", 300);
        assert_eq!(shape(&in_time), [(0, 3, Some(3))]);
        let malformed = counted("not a record\n0 a b\nnot one either\n", 300);
        assert_eq!(
            shape(&malformed),
            [(0, 1, None), (1, 2, Some(1)), (2, 3, None)]
        );
    }

    #[test]
    fn a_record_left_out_moves_the_clock_past_the_next_ones_deadline() {
        // `--dport 22`: the record at 3901 is left out, yet it puts the
        // record at 0 after it past its hour's deadline (3600 + 300).
        let mut config = WindowConfig::for_test("x", "y", 300);
        config.input_format = InputFormat::Vpc;
        config.selection.filter.dport = Some(crate::parse::filter::PortSet::parse("22").unwrap());
        let chunk = counted_with(
            config,
            "start srcaddr dstaddr dstport log-status\n0 a b 22 OK\n3901 c d 80 OK\n0 e f 22 OK\n",
        );
        assert!(matches!(
            chunk.parses[0].parsed.items[1],
            Item::Filtered { .. }
        ));
        assert_eq!(shape(&chunk), [(0, 2, Some(2)), (2, 3, None)]);
    }
}
