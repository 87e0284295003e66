//! The time-range query of `connspy`: which hosts talked to (or were
//! talked to by) one host between two times.
//!
//! A mapped log is cut into line-aligned blocks that worker threads scan in
//! parallel; the results are merged strictly in file order, so the output
//! (first-seen order) and the early stop are exactly those of one
//! sequential pass.
//!
//! Two block kernels:
//! - **full** (`--nofastseek`, and inputs that cannot be mapped): every line
//!   is parsed, every malformed line is reported, and reading stops at the
//!   first record with `TS >= time_end + L` (the early stop, docs/behaviour.md#early-stop).
//! - **candidates** (fast seek): the seeker has already bounded the region
//!   by proving records, so only lines whose host field can match are
//!   parsed; the others cannot change the answer. Malformed lines are
//!   reported among those parsed.

mod answer;
mod ordered;
mod pair;
pub mod progress;
mod scan;
pub mod seek;
mod summary;

pub use answer::{Answer, COLUMNS, PAIR_COLUMNS, Printed};
pub use summary::{DPORTS_CAP, SUMMARY_COLUMNS, SUMMARY_PAIR_COLUMNS};

use std::io::{self, Read, Write};
use std::ops::Range;

use crate::error::Error;
use crate::io::block_reader::{Block, BlockReader};
use crate::io::input::{InputName, Opened, RawProgress};
use crate::io::whole::Whole;
use crate::parse::detail::{DetailField, Wanted};
use crate::parse::filter::RecordFilter;
use crate::parse::format::{FormatState, InputFormat};
use crate::parse::record::{Malformed, Record};
use crate::parse::target::Target;
use crate::parse::timestamp::{Duration, Timestamp};
use crate::query::answer::LineCounter;
use crate::query::ordered::{for_each_block_in_order, split_blocks};
use crate::query::progress::Work;
use crate::query::scan::{Kernel, scan_block, scan_whole_block};
use crate::query::seek::{Seek, seek_region_in};

/// Which field must equal the queried host; the other one is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `--to HOST`: report `FROM_HOST` of records whose `TO_HOST` is HOST.
    To,
    /// `--from HOST`: report `TO_HOST` of records whose `FROM_HOST` is HOST.
    From,
}

/// One query, as given on the command line.
#[derive(Clone, Debug)]
pub struct Query {
    /// The host, network or list the `side` field must match.
    pub target: Target,
    /// Whether the target is the destination (`--to`) or the source (`--from`).
    pub side: Side,
    /// `--from` given with `--to` (`side` is then [`Side::To`]): only
    /// records from a host this matches count, and each answer is the
    /// pair (`FROM_HOST`, `TO_HOST`) instead of one host.
    pub source: Option<Target>,
    /// `--dport`, `--sport`, `--proto`, `--action`: what else a record
    /// must match (nothing by default).
    pub filter: RecordFilter,
    /// `--summary`: one row per answer with its first and last time,
    /// records, bytes, packets and destination ports.
    pub summary: bool,
    /// `--input-format`: how each input is read.
    pub input_format: InputFormat,
    /// Start of the range, inclusive.
    pub time_init: Timestamp,
    /// End of the range, exclusive.
    pub time_end: Timestamp,
    /// The lateness bound `L` that fast seek and the early stop rely on.
    pub lateness: Duration,
    /// Seek to the range instead of reading from the start.
    pub fast_seek: bool,
    /// Bytes per block handed to a worker thread; [`DEFAULT_BLOCK_BYTES`]
    /// except in tests that want many blocks from a small log.
    pub block_bytes: usize,
}

/// Large enough that per-block costs vanish, small enough that two workers
/// stay balanced and an early stop wastes little.
pub const DEFAULT_BLOCK_BYTES: usize = 4 << 20;

impl Query {
    /// The host a matching record contributes, if it matches its time
    /// and hosts (with a [`source`](Self::source), the answer is the pair
    /// the record makes; see [`pair`]).
    #[inline]
    fn answer<'a>(&self, rec: &Record<'a>) -> Option<&'a [u8]> {
        if rec.ts < self.time_init || rec.ts >= self.time_end {
            return None;
        }
        let (key, reported) = match self.side {
            Side::To => (rec.to, rec.from),
            Side::From => (rec.from, rec.to),
        };
        (self.target.matches(key) && self.source.as_ref().is_none_or(|s| s.matches(rec.from)))
            .then_some(reported)
    }

    /// Whether an answer is just its host: no pair, filter or summary to
    /// work out (the original's query, and the fast path).
    #[inline]
    fn answers_hosts_only(&self) -> bool {
        self.source.is_none() && !self.summary && self.filter.is_empty()
    }

    /// The record fields an answer needs beyond time and hosts.
    fn wanted(&self) -> Wanted {
        let wanted = self.filter.wanted();
        if self.summary {
            wanted
                .with(DetailField::Bytes)
                .with(DetailField::Packets)
                .with(DetailField::DstPort)
        } else {
            wanted
        }
    }

    /// Whether a plain `line` may match: for `--to`, its last field can
    /// match the target (a suffix compare, or for a network a prefix test,
    /// no parsing); for `--from`, always (the middle field needs a parse
    /// anyway).
    #[inline]
    pub(crate) fn may_match(&self, line: &[u8]) -> bool {
        self.side == Side::From || self.target.may_match_last_field(line)
    }

    /// [`may_match`](Self::may_match) for a line of another format: its
    /// key field, when the format finds it without a parse, can match.
    #[inline]
    pub(crate) fn may_match_in(&self, state: &FormatState, line: &[u8]) -> bool {
        state
            .key_field(line, self.side == Side::To)
            .is_none_or(|field| self.target.matches(field))
    }

    fn stop_at(&self) -> Timestamp {
        self.time_end.saturating_add(self.lateness)
    }
}

/// Runs `query` over `inputs` read in order as one stream.
pub fn run(
    query: &Query,
    inputs: Vec<(InputName, Opened)>,
    answer: &mut Answer<'_, impl Write>,
) -> Result<(), Error> {
    // Each mapped input's format and first header block, which block
    // scans and probes that start mid-file assume.
    let states: Vec<FormatState> = inputs
        .iter()
        .map(|(_, opened)| match opened {
            Opened::Whole(whole) => {
                whole.check_len(whole.bytes().len())?;
                Ok(FormatState::at_start(query.input_format, whole.bytes()))
            }
            Opened::Stream(_) => Ok(FormatState::new(query.input_format)),
        })
        .collect::<Result<_, Error>>()?;
    // A filter an input's first header (or `--input-format`) already
    // shows it cannot answer is refused before anything is printed.
    for ((name, _), state) in inputs.iter().zip(&states) {
        if let Some(unfilterable) = query.filter.lacking_in(state) {
            return Err(answer::unfilterable_input(name, unfilterable));
        }
    }
    let seeks = inputs
        .iter()
        .zip(&states)
        .map(|((_, opened), state)| match opened {
            Opened::Whole(whole) if query.fast_seek => {
                whole.check_len(whole.bytes().len())?;
                Ok(Some(seek_region_in(
                    whole.bytes(),
                    state,
                    query.time_init,
                    query.time_end,
                    query.lateness,
                )))
            }
            _ => Ok(None),
        })
        .collect::<Result<Vec<_>, Error>>()?;
    // A proving record in a later file makes every earlier file irrelevant.
    let first = seeks
        .iter()
        .rposition(|s| s.is_some_and(|s| s.start_proven))
        .unwrap_or(0);
    let works: Vec<Work> = (inputs.iter().zip(&seeks))
        .map(|((_, opened), seek)| work_of(opened, seek.as_ref()))
        .collect();
    answer
        .progress
        .start(works[first..].iter().fold(Work::default(), |a, &w| a + w));
    let mut done = 0;
    let inputs = inputs.into_iter().zip(states).zip(seeks).zip(works);
    for ((((name, opened), state), seek), work) in inputs.skip(first) {
        let stopped = match (opened, seek) {
            (Opened::Whole(whole), Some(seek)) => {
                scan_whole(
                    query,
                    Kernel::Candidates,
                    state,
                    &whole,
                    seek.start..seek.end,
                    (&name, done),
                    answer,
                )?;
                seek.end_proven
            }
            (Opened::Whole(whole), None) => scan_whole(
                query,
                Kernel::Full,
                state,
                &whole,
                0..whole.bytes().len(),
                (&name, done),
                answer,
            )?,
            (Opened::Stream(stream), _) => {
                let progress = stream.progress.map(|p| (p, done));
                scan_stream(query, state, stream.reader, &name, progress, answer)?
            }
        };
        if stopped {
            break;
        }
        done += work.bytes;
    }
    Ok(())
}

/// What scanning one input costs, for the progress bar: the region a seek
/// left, the whole of a mapped file, or a compressed file of known size
/// (a plain stream's size is unknown).
fn work_of(opened: &Opened, seek: Option<&Seek>) -> Work {
    let mut work = Work::default();
    match (opened, seek) {
        (Opened::Whole(_), Some(seek)) => work.add_mapped((seek.end - seek.start) as u64),
        (Opened::Whole(whole), None) => work.add_mapped(whole.bytes().len() as u64),
        (Opened::Stream(stream), _) => {
            if let (Some(format), Some(raw)) = (stream.compression, &stream.progress) {
                work.add_compressed(format, raw.size);
            }
        }
    }
    work
}

/// Scans `range` of a whole input with all cores; returns whether the
/// early stop was met. `done` is the progress made before this input.
///
/// Every block is scanned in `state` (the input's state after its first
/// header block). A block after one whose header lines changed the state
/// (a later header block with other `#fields`) is scanned again, in
/// order, in the state it really starts in: one sequential pass's answer,
/// at no cost when, as usual, every header block is alike.
fn scan_whole(
    query: &Query,
    kernel: Kernel,
    state: FormatState,
    whole: &Whole,
    range: Range<usize>,
    (name, done): (&InputName, u64),
    answer: &mut Answer<'_, impl Write>,
) -> Result<bool, Error> {
    let buf = whole.bytes();
    // Finding the block ends reads a little of every block.
    whole.check_len(range.end)?;
    let blocks = split_blocks(buf, range.clone(), query.block_bytes.max(1));
    let mut lines = LineCounter::default();
    let mut stopped = false;
    let mut current = state.clone();
    for_each_block_in_order(
        &blocks,
        |block| scan_whole_block(query, kernel, &state, whole, block),
        |i, mut scan| {
            if current != state {
                scan = scan_whole_block(query, kernel, &current, whole, &blocks[i])?;
            }
            if let Some(end) = scan.end_state.take() {
                current = end;
            }
            answer.merge(&scan, name, &mut lines, buf)?;
            answer
                .progress
                .set_position(done + (blocks[i].end - range.start) as u64);
            stopped = scan.stopped;
            Ok(stopped)
        },
    )?;
    Ok(stopped)
}

/// Scans a stream front to back with the full kernel; returns whether the
/// early stop was met. `progress`: how far through a compressed file the
/// reading is, and the progress made before it.
fn scan_stream(
    query: &Query,
    mut state: FormatState,
    reader: Box<dyn Read + Send>,
    name: &InputName,
    progress: Option<(RawProgress, u64)>,
    answer: &mut Answer<'_, impl Write>,
) -> Result<bool, Error> {
    let mut reader = BlockReader::new(reader);
    let mut lines = LineCounter::default();
    loop {
        let block = match reader.next_block() {
            Ok(Some(block)) => block,
            Ok(None) => match reader.take_partial() {
                Some(block) => block,
                None => return Ok(false),
            },
            Err(e) => return Err(read_error(name, e)),
        };
        match block {
            Block::Lines(bytes) => {
                let scan = scan_block(query, Kernel::Full, &mut state, bytes, 0..bytes.len());
                answer.merge(&scan, name, &mut lines, bytes)?;
                if let Some((raw, done)) = &progress {
                    answer.progress.set_position(done + raw.read());
                }
                if scan.stopped {
                    return Ok(true);
                }
                lines.end_block(bytes);
            }
            Block::Overlong => answer.malformed(name, lines.skipped_line(), Malformed::TooLong)?,
        }
    }
}

fn read_error(name: &InputName, e: io::Error) -> Error {
    Error::io(format!("cannot read {name}"), e)
}
