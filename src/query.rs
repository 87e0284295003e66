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
//!   first record with `TS >= time_end + L` (SPEC §2's early stop).
//! - **candidates** (fast seek): the seeker has already bounded the region
//!   by proving records, so only lines whose host field can match are
//!   parsed; the others cannot change the answer. Malformed lines are
//!   reported among those parsed.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::Context;

use crate::block_reader::{Block, BlockReader};
use crate::diagnostics::{MalformedLine, MalformedReport, SHOWN_MALFORMED};
use crate::host_set::HostSet;
use crate::input::{InputName, Opened, RawProgress};
use crate::lines::LineEnds;
use crate::output::{Field, Format, RowWriter};
use crate::progress::{Progress, Work};
use crate::record::{Malformed, Record, host_eq, is_separator, parse_record};
use crate::seek::{Seek, seek_region};
use crate::timestamp::{Duration, Timestamp};
use crate::whole::Whole;

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
    pub host: Vec<u8>,
    pub side: Side,
    pub time_init: Timestamp,
    pub time_end: Timestamp,
    pub lateness: Duration,
    pub fast_seek: bool,
    /// Bytes per block handed to a worker thread; [`DEFAULT_BLOCK_BYTES`]
    /// except in tests that want many blocks from a small log.
    pub block_bytes: usize,
}

/// Large enough that per-block costs vanish, small enough that two workers
/// stay balanced and an early stop wastes little.
pub const DEFAULT_BLOCK_BYTES: usize = 4 << 20;

/// How far (in blocks) workers may run ahead of the in-order merge; bounds
/// the results held in memory.
const MAX_BLOCKS_AHEAD: usize = 16;

impl Query {
    /// The host a matching record contributes, if it matches.
    #[inline]
    fn answer<'a>(&self, rec: &Record<'a>) -> Option<&'a [u8]> {
        if rec.ts < self.time_init || rec.ts >= self.time_end {
            return None;
        }
        let (key, reported) = match self.side {
            Side::To => (rec.to, rec.from),
            Side::From => (rec.from, rec.to),
        };
        host_eq(key, &self.host).then_some(reported)
    }

    fn stop_at(&self) -> Timestamp {
        self.time_end.saturating_add(self.lateness)
    }

    /// Whether `line` may match: for `--to`, its last field is the host (a
    /// suffix compare, no parsing); for `--from`, always (the middle field
    /// needs a parse anyway).
    #[inline]
    fn may_match(&self, line: &[u8]) -> bool {
        if self.side == Side::From {
            return true;
        }
        let mut end = line.len();
        while end > 0 && is_separator(line[end - 1]) {
            end -= 1;
        }
        let n = self.host.len();
        end > n && is_separator(line[end - n - 1]) && host_eq(&line[end - n..end], &self.host)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Full,
    Candidates,
}

/// What one block contributed.
#[derive(Default)]
struct BlockScan {
    /// Reported hosts, first occurrence within the block, in order.
    hosts: HostSet,
    /// The first few malformed lines: (offset of the line, why).
    malformed: Vec<(usize, Malformed)>,
    malformed_total: u64,
    /// The full kernel met the early-stop record.
    stopped: bool,
}

impl BlockScan {
    fn malformed(&mut self, offset: usize, why: Malformed) {
        self.malformed_total += 1;
        if self.malformed.len() < SHOWN_MALFORMED as usize {
            self.malformed.push((offset, why));
        }
    }
}

fn scan_block(query: &Query, kernel: Kernel, buf: &[u8], range: Range<usize>) -> BlockScan {
    let mut scan = BlockScan::default();
    let stop_at = query.stop_at();
    let block = &buf[range.clone()];
    let mut start = 0;
    let unterminated = (block.last() != Some(&b'\n')).then_some(block.len());
    for end in LineEnds::new(block).chain(unterminated) {
        let line = &block[start..end];
        let offset = range.start + start;
        start = end + 1;
        if kernel == Kernel::Candidates && !query.may_match(line) {
            continue;
        }
        match parse_record(line) {
            Ok(rec) if kernel == Kernel::Full && rec.ts >= stop_at => {
                scan.stopped = true;
                break;
            }
            Ok(rec) => {
                if let Some(host) = query.answer(&rec) {
                    scan.hosts.insert(host);
                }
            }
            Err(why) => scan.malformed(offset, why),
        }
    }
    scan
}

/// The CSV header and JSON keys of `connspy`'s rows (`--format csv` and
/// `jsonl`; TSV prints the host alone). Every row repeats its query, so
/// that the rows of many queries loaded into one table stay apart: the
/// range (unix seconds, exact, with a fraction when it has one), the kind
/// (`to`: the host connected to `target`; `from`: `target` connected to
/// the host), the queried host (lower case), and the host's 1-based
/// position in first-seen order.
pub const COLUMNS: &[&str] = &["time_init", "time_end", "kind", "target", "seq", "host"];

/// What every row of one query repeats (see [`COLUMNS`]).
struct RowContext {
    time_init: String,
    time_end: String,
    kind: &'static str,
    target: Vec<u8>,
}

/// Gathers block results in file order: dedups and prints hosts, reports
/// malformed lines with their line numbers, and moves the progress bar.
pub struct Answer<'r, W: Write> {
    out: RowWriter<W>,
    context: RowContext,
    seen: HostSet,
    report: &'r mut MalformedReport,
    progress: Progress,
}

impl<'r, W: Write> Answer<'r, W> {
    /// The answer to `query`, printed to `out` in `format`.
    pub fn new(
        out: W,
        format: Format,
        query: &Query,
        report: &'r mut MalformedReport,
    ) -> Answer<'r, W> {
        Answer {
            out: RowWriter::new(out, format, COLUMNS),
            context: RowContext {
                time_init: query.time_init.to_string(),
                time_end: query.time_end.to_string(),
                kind: match query.side {
                    Side::To => "to",
                    Side::From => "from",
                },
                target: query.host.to_ascii_lowercase(),
            },
            seen: HostSet::new(),
            report,
            progress: Progress::new(false),
        }
    }

    /// Shows `progress` during a long scan; diagnostics are then written
    /// clear of it (`out` should be wrapped by [`Progress::clear_of`]).
    pub fn with_progress(self, progress: Progress) -> Answer<'r, W> {
        Answer { progress, ..self }
    }

    /// Prints a host met for the first time.
    fn print(&mut self, host: &[u8]) -> io::Result<()> {
        if self.out.format() == Format::Tsv {
            return self.out.row(&[Field::Host(host)]);
        }
        let c = &self.context;
        self.out.row(&[
            Field::Number(&c.time_init),
            Field::Number(&c.time_end),
            Field::Str(c.kind),
            Field::Host(&c.target),
            Field::Int(self.seen.len() as u64),
            Field::Host(host),
        ])
    }

    fn merge(
        &mut self,
        scan: &BlockScan,
        name: &InputName,
        lines: &mut LineCounter,
        buf: &[u8],
    ) -> anyhow::Result<()> {
        for host in scan.hosts.iter() {
            if self.seen.insert(host).1 {
                self.print(host).context("cannot write to stdout")?;
            }
        }
        for &(offset, why) in &scan.malformed {
            self.malformed(name, lines.line_at(buf, offset), why)?;
        }
        self.report
            .add_unlocated(scan.malformed_total - scan.malformed.len() as u64);
        Ok(())
    }

    fn malformed(&mut self, name: &InputName, line: u64, why: Malformed) -> anyhow::Result<()> {
        let file = name.to_string();
        let report = &mut *self.report;
        Ok(self
            .progress
            .suspend(|| report.record(MalformedLine { file, line, why }))?)
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.out.flush().context("cannot write to stdout")
    }
}

/// Line numbers of byte offsets, counted lazily: only up to the last
/// offset asked for, so a seek that skips most of a file does not pay for
/// counting its lines unless a diagnostic needs them.
#[derive(Default)]
struct LineCounter {
    newlines_before: u64,
    counted_to: usize,
}

impl LineCounter {
    /// The 1-based line number of the line starting at `offset` of `buf`;
    /// offsets must be asked for in increasing order.
    fn line_at(&mut self, buf: &[u8], offset: usize) -> u64 {
        self.newlines_before +=
            memchr::memchr_iter(b'\n', &buf[self.counted_to..offset]).count() as u64;
        self.counted_to = offset;
        self.newlines_before + 1
    }

    /// Counts a line the reader dropped whole (too long); returns its number.
    fn skipped_line(&mut self) -> u64 {
        self.newlines_before += 1;
        self.newlines_before
    }

    /// Moves past a streamed block whose bytes will not be seen again.
    fn end_block(&mut self, block: &[u8]) {
        self.line_at(block, block.len());
        self.counted_to = 0;
    }
}

/// Runs `query` over `inputs` read in order as one stream.
pub fn run(
    query: &Query,
    inputs: Vec<(InputName, Opened)>,
    answer: &mut Answer<'_, impl Write>,
) -> anyhow::Result<()> {
    let seeks = inputs
        .iter()
        .map(|(_, opened)| match opened {
            Opened::Whole(whole) if query.fast_seek => {
                whole.check_len(whole.bytes().len())?;
                Ok(Some(seek_region(
                    whole.bytes(),
                    query.time_init,
                    query.time_end,
                    query.lateness,
                )))
            }
            _ => Ok(None),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
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
    for (((name, opened), seek), work) in inputs.into_iter().zip(seeks).zip(works).skip(first) {
        let stopped = match (opened, seek) {
            (Opened::Whole(whole), Some(seek)) => {
                scan_whole(
                    query,
                    Kernel::Candidates,
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
                &whole,
                0..whole.bytes().len(),
                (&name, done),
                answer,
            )?,
            (Opened::Stream(stream), _) => {
                let progress = stream.progress.map(|p| (p, done));
                scan_stream(query, stream.reader, &name, progress, answer)?
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
fn scan_whole(
    query: &Query,
    kernel: Kernel,
    whole: &Whole,
    range: Range<usize>,
    (name, done): (&InputName, u64),
    answer: &mut Answer<'_, impl Write>,
) -> anyhow::Result<bool> {
    let buf = whole.bytes();
    // Finding the block ends reads a little of every block.
    whole.check_len(range.end)?;
    let blocks = split_blocks(buf, range.clone(), query.block_bytes.max(1));
    let mut lines = LineCounter::default();
    let mut stopped = false;
    for_each_block_in_order(query, kernel, whole, &blocks, |i, scan| {
        answer.merge(&scan, name, &mut lines, buf)?;
        answer
            .progress
            .set_position(done + (blocks[i].end - range.start) as u64);
        stopped = scan.stopped;
        Ok(stopped)
    })?;
    Ok(stopped)
}

/// Cuts `range` into blocks of about `size` bytes that end at line ends.
fn split_blocks(buf: &[u8], range: Range<usize>, size: usize) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    let mut start = range.start;
    while start < range.end {
        let guess = start.saturating_add(size).min(range.end);
        let end = match memchr::memchr(b'\n', &buf[guess..range.end]) {
            Some(i) => guess + i + 1,
            None => range.end,
        };
        blocks.push(start..end);
        start = end;
    }
    blocks
}

/// Scans `blocks` on worker threads and hands each result to `merge` in
/// block order; `merge` returns `true` to stop early (the workers then
/// stop taking blocks). A block that cannot be read ends the run with its
/// error, in block order too.
fn for_each_block_in_order(
    query: &Query,
    kernel: Kernel,
    whole: &Whole,
    blocks: &[Range<usize>],
    mut merge: impl FnMut(usize, BlockScan) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(blocks.len());
    if workers <= 1 {
        for (i, block) in blocks.iter().enumerate() {
            if merge(i, scan_whole_block(query, kernel, whole, block)?)? {
                break;
            }
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let merged = AtomicUsize::new(0);
    let limit = AtomicUsize::new(blocks.len());
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, merged, limit) = (&next, &merged, &limit);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    while i >= merged.load(Ordering::Acquire) + MAX_BLOCKS_AHEAD
                        && i < limit.load(Ordering::Acquire)
                    {
                        std::thread::yield_now();
                    }
                    if i >= limit.load(Ordering::Acquire) {
                        break;
                    }
                    let scan = scan_whole_block(query, kernel, whole, &blocks[i]);
                    if tx.send((i, scan)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let outcome = (|| {
            for (i, scan) in rx.iter() {
                pending.insert(i, scan);
                while let Some(scan) = pending.remove(&merged.load(Ordering::Relaxed)) {
                    let i = merged.fetch_add(1, Ordering::Release);
                    if merge(i, scan?)? {
                        return Ok(());
                    }
                }
            }
            Ok(())
        })();
        limit.store(0, Ordering::Release);
        outcome
    })
}

/// Scans one block of a whole input, once the file is known to still
/// hold it, and with its pages asked for in one call.
fn scan_whole_block(
    query: &Query,
    kernel: Kernel,
    whole: &Whole,
    block: &Range<usize>,
) -> anyhow::Result<BlockScan> {
    whole.check_len(block.end)?;
    whole.prefault(block.clone());
    Ok(scan_block(query, kernel, whole.bytes(), block.clone()))
}

/// Scans a stream front to back with the full kernel; returns whether the
/// early stop was met. `progress`: how far through a compressed file the
/// reading is, and the progress made before it.
fn scan_stream(
    query: &Query,
    reader: Box<dyn Read + Send>,
    name: &InputName,
    progress: Option<(RawProgress, u64)>,
    answer: &mut Answer<'_, impl Write>,
) -> anyhow::Result<bool> {
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
                let scan = scan_block(query, Kernel::Full, bytes, 0..bytes.len());
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

fn read_error(name: &InputName, e: io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context(format!("cannot read {name}"))
}
