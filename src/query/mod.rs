//! The time-range query of `connspy`: which hosts talked to (or were
//! talked to by) one host between two times.
//!
//! A mapped log is cut into line-aligned blocks that worker threads scan in
//! parallel (the two block kernels are in `scan.rs`); the results are
//! merged strictly in file order, so the output (first-seen order) and the
//! early stop are exactly those of one sequential pass. The query itself
//! is in `request.rs`, the bisection in [`seek`], the printed answer in
//! `answer.rs`, `--to` with `--from` in `pair.rs`, `--summary` in
//! `summary.rs`.

mod answer;
mod columns;
mod files;
mod ordered;
mod pair;
pub mod progress;
mod request;
mod scan;
pub mod seek;
mod summary;

pub use answer::{Answer, Printed};
pub use columns::{COLUMNS, PAIR_COLUMNS, SUMMARY_COLUMNS, SUMMARY_PAIR_COLUMNS};
pub use files::{FILES_AHEAD, run_files};
pub use request::{DEFAULT_BLOCK_BYTES, Query, Side, checked_range};
pub use summary::DPORTS_CAP;

use std::io::{self, Read, Write};
use std::ops::Range;

use crate::error::Error;
use crate::io::block_reader::{Block, BlockReader};
use crate::io::input::{InputName, Opened, RawProgress};
use crate::io::whole::Whole;
use crate::parse::format::FormatState;
use crate::parse::record::Malformed;
use crate::query::answer::LineCounter;
use crate::query::ordered::{for_each_block_in_order, split_blocks};
use crate::query::progress::Work;
use crate::query::scan::{Kernel, scan_block, scan_whole_block};
use crate::query::seek::{Seek, seek_region_in};

/// Runs `query` over `inputs` read in order as one stream.
pub fn run(
    query: &Query,
    inputs: Vec<(InputName, Opened)>,
    answer: &mut Answer<'_, impl Write>,
) -> Result<(), Error> {
    let (states, seeks): (Vec<FormatState>, Vec<Option<Seek>>) = inputs
        .iter()
        .map(|(_, opened)| where_to_read(query, opened))
        .collect::<Result<Vec<_>, Error>>()?
        .into_iter()
        .unzip();
    // A filter an input's first header (or `--input-format`) already
    // shows it cannot answer is refused before anything is printed.
    for ((name, _), state) in inputs.iter().zip(&states) {
        if let Some(unfilterable) = query.filter.lacking_in(state) {
            return Err(answer::unfilterable_input(name, unfilterable));
        }
    }
    answer.sought = seeks.iter().any(Option::is_some);
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
        if scan_input(
            query,
            (&name, opened),
            (state, seek),
            Kernel::Full,
            done,
            answer,
        )? {
            break;
        }
        done += work.bytes;
    }
    Ok(())
}

/// Scans one opened input: the region its seek left with the candidates
/// kernel, all of a whole input with the full kernel, a stream with
/// `stream_kernel` (the full one, unless the stream is known to hold no
/// early-stop record); returns whether the early stop was met (reading
/// ends there, later inputs included). `state` is the input's reading
/// state at its start (after its first header block for a whole input),
/// `done` the progress made before it.
fn scan_input(
    query: &Query,
    (name, opened): (&InputName, Opened),
    (state, seek): (FormatState, Option<Seek>),
    stream_kernel: Kernel,
    done: u64,
    answer: &mut Answer<'_, impl Write>,
) -> Result<bool, Error> {
    match (opened, seek) {
        (Opened::Whole(whole), Some(seek)) => {
            scan_whole(
                query,
                Kernel::Candidates,
                state,
                &whole,
                seek.start..seek.end,
                (name, done),
                answer,
            )?;
            Ok(seek.end_proven)
        }
        (Opened::Whole(whole), None) => scan_whole(
            query,
            Kernel::Full,
            state,
            &whole,
            0..whole.bytes().len(),
            (name, done),
            answer,
        ),
        (Opened::Stream(stream), _) => {
            let progress = stream.progress.map(|p| (p, done));
            scan_stream(
                query,
                (stream_kernel, state),
                stream.reader,
                name,
                progress,
                answer,
            )
        }
    }
}

/// An input's reading state at its start and, for a mapped input with
/// fast seek, the region the seek leaves: each mapped input's format and
/// first header block, which block scans and probes that start mid-file
/// assume.
fn where_to_read(query: &Query, opened: &Opened) -> Result<(FormatState, Option<Seek>), Error> {
    let Opened::Whole(whole) = opened else {
        return Ok((FormatState::new(query.input_format), None));
    };
    whole.check_len(whole.bytes().len())?;
    let state = FormatState::at_start(query.input_format, whole.bytes());
    let seek = query.fast_seek.then(|| {
        seek_region_in(
            whole.bytes(),
            &state,
            query.time_init,
            query.time_end,
            query.lateness,
        )
    });
    Ok((state, seek))
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

/// Scans a stream front to back with `kernel`; returns whether the early
/// stop was met. `progress`: how far through a compressed file the
/// reading is, and the progress made before it.
fn scan_stream(
    query: &Query,
    (kernel, mut state): (Kernel, FormatState),
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
                let scan = scan_block(query, kernel, &mut state, bytes, 0..bytes.len());
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
