//! The window aggregator behind `connspy-stream` (docs/behaviour.md#stream),
//! for windows of any width that divides a day (`--window`, an hour by
//! default).
//!
//! Records arrive roughly in time order. Each belongs to the window
//! `H = floor(TS / W) * W`; a window stays *open* until the data proves it
//! complete: with `latest` the largest `TS` seen, window `H` closes once
//! `latest - H > W + L` (strictly, in exact time). By the lateness bound no
//! later record can belong to it, so it is printed and freed, oldest
//! first. A record that arrives for a printed window anyway breaks the
//! promise: it is dropped and counted, and the window is never reopened.
//! A record past the bound for a window that was never printed (it had no
//! record before) opens it, and the window closes after that record like
//! any other the data proves complete (see `too_late.rs`).
//!
//! Memory is the open windows only — with records in order, one or two
//! (more when `L` spans several windows) — and each holds its counts
//! (exact, bounded per distinct host, or a bounded summary) and its two
//! lists (their order, spooled; with a bounded summary also a Bloom filter
//! sized to what the list holds); see `open_window.rs`. A closed window is
//! dropped whole, so memory stays flat however many windows go by; only
//! the runs of printed windows are remembered (a bounded few, see
//! `too_late.rs`).
//!
//! Input comes as blocks of whole lines ([`Block`]) through a
//! [`LineSource`](crate::io::source::LineSource);
//! [`pump`](crate::stream::pump::pump) drives one source into the
//! aggregator. Reading a file to its end and following a growing one
//! (`--tail`) are both just sources. Chunks counted on other threads are
//! added up in `add_up.rs`.

use std::collections::VecDeque;
use std::io::Write;
use std::ops::Range;

use crate::diagnostics::{Diagnostics, MalformedReport};
use crate::error::{Error, IoContext};
use crate::io::block_reader::Block;
use crate::parse::batch::{Item, ParsedLines};
use crate::parse::format::FormatState;
use crate::parse::horizon::{Horizon, wall_clock};
use crate::parse::lateness::Lateness;
use crate::parse::record::{Malformed, Record};
use crate::parse::timestamp::Timestamp;
use crate::stream::chunk::ChunkCounter;
use crate::stream::config::WindowConfig;
use crate::stream::dedup::ListMaker;
use crate::stream::open_window::OpenWindow;
use crate::stream::rows::StreamWriter;
use crate::stream::too_late::{PrintedWindows, TooLateReport};
use crate::stream::window::WindowSpan;

mod add_up;
mod inputs;
mod left_out;
mod reports;

/// Counts for `--stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Well-formed records, including the too-late ones.
    pub records: u64,
    /// Malformed lines skipped (or the one that stopped a strict run).
    pub malformed: u64,
    /// Records skipped because their window had already been printed.
    pub too_late: u64,
    /// Windows written to the output.
    pub windows_printed: u64,
    /// Bytes of the lines fed (an overlong line's bytes are not counted).
    pub bytes: u64,
    /// VPC `NODATA`/`SKIPDATA` records, skipped.
    pub skipped: u64,
}

/// Builds window summaries from records and writes each window to `out` as
/// it closes. Feed it with [`pump`](crate::stream::pump::pump) (or [`begin_input`](Self::begin_input) and
/// [`feed`](Self::feed)), then call [`finish`](Self::finish).
pub struct Aggregator<W: Write> {
    config: WindowConfig,
    /// Reused by [`feed`](Self::feed), which parses on this thread.
    parse_buffer: ParsedLines,
    /// The format of the input [`feed`](Self::feed) reads, told anew for
    /// each input.
    format: FormatState,
    out: StreamWriter<W>,
    lists: ListMaker,
    /// Sorted by start, oldest first; every one has at least one record.
    open: VecDeque<OpenWindow>,
    /// The largest `TS` of the records kept so far (0 before the first).
    latest: Timestamp,
    /// The window of the previous record: most records share it, and this
    /// spares the 128-bit division of `floor_to`.
    last_span: WindowSpan,
    /// Name of the input being fed and the number of its last line fed.
    input: String,
    line: u64,
    malformed: MalformedReport,
    too_late: TooLateReport,
    diagnostics: Diagnostics,
    /// The windows printed so far: only their records are too late.
    printed: PrintedWindows,
    records: u64,
    bytes: u64,
    skipped: u64,
    windows_printed: u64,
    warned_capacity: bool,
    /// Distinct hosts of the last window printed: the room a new window's
    /// table starts with.
    hosts_hint: usize,
    /// The starts of the windows printed (`--time-init`/`--time-end`);
    /// `None`: every window. The others are counted and closed alike,
    /// never printed.
    printed_range: Option<Range<Timestamp>>,
    /// How far ahead a believable record may be (see `stream/horizon.rs`).
    horizon: Horizon,
    /// The wall clock, read again for each parse and chunk fed.
    clock: Timestamp,
    /// A time no later than the horizon's limit: records up to it need
    /// no further check.
    believable: Timestamp,
    /// How late the latest-arriving record was, behind the newest time
    /// before it (docs/behaviour.md#measured-lateness).
    latest_arrival: Lateness,
}

impl<W: Write> Aggregator<W> {
    /// An aggregator of `config` that prints windows to `out` and speaks
    /// through `diagnostics`.
    pub fn new(config: WindowConfig, out: W, diagnostics: Diagnostics) -> Aggregator<W> {
        Aggregator {
            parse_buffer: ParsedLines::default(),
            format: FormatState::new(config.input_format),
            malformed: MalformedReport::new(diagnostics.clone(), config.strict),
            too_late: TooLateReport::new(diagnostics.clone()),
            diagnostics,
            printed: PrintedWindows::default(),
            lists: ListMaker::new(config.dedup),
            out: StreamWriter::new(
                out,
                config.format,
                config.report.top,
                config.report.emit_counts && config.report.by.is_distinct(),
            ),
            open: VecDeque::new(),
            latest: Timestamp::ZERO,
            last_span: WindowSpan::EMPTY,
            input: String::new(),
            line: 0,
            records: 0,
            bytes: 0,
            skipped: 0,
            windows_printed: 0,
            warned_capacity: false,
            hosts_hint: 0,
            printed_range: None,
            horizon: Horizon::new(config.lateness),
            clock: wall_clock(),
            believable: Timestamp::ZERO,
            latest_arrival: Lateness::default(),
            config,
        }
    }

    /// What worker threads need to count chunks for
    /// [`feed_chunk`](Self::feed_chunk); `None` when the windows do not
    /// count exactly.
    pub(crate) fn chunk_counter(&self) -> Option<ChunkCounter> {
        ChunkCounter::new(&self.config)
    }

    /// Feeds one block: whole lines (the last may lack its `\n` only at the
    /// true end of the input) or one overlong line. Windows that close
    /// are written at once. [`pump`](crate::stream::pump::pump) does the same with the parsing on
    /// another thread.
    pub fn feed(&mut self, block: Block<'_>) -> Result<(), Error> {
        match block {
            Block::Lines(mut bytes) => {
                // The parse buffer is kept for the next block: allocating
                // one per block would cost page faults on every block.
                let mut parsed = std::mem::take(&mut self.parse_buffer);
                let mut fed = Ok(());
                while fed.is_ok() && !bytes.is_empty() {
                    bytes = &bytes[parsed.fill(bytes, &mut self.format, &self.config.selection)..];
                    fed = self.feed_parsed(&parsed);
                }
                self.parse_buffer = parsed;
                fed
            }
            Block::Overlong => self.feed_overlong(),
        }
    }

    /// Feeds a block parsed by [`ParsedLines::fill`].
    pub(crate) fn feed_parsed(&mut self, block: &ParsedLines) -> Result<(), Error> {
        self.clock = wall_clock();
        self.bytes += block.bytes.len() as u64;
        self.skipped += block.no_data;
        let lines_before = self.line;
        for (i, item) in block.items.iter().enumerate() {
            self.feed_item(&block.bytes, item, block.weight(i), lines_before)?;
        }
        self.line = lines_before + block.lines;
        self.check_filterable(block)
    }

    /// Feeds one parsed line of a parse of `bytes` whose first line
    /// follows line `lines_before` of the input; `weight` is a record's
    /// (see [`ParsedLines::weight`]).
    #[inline(always)]
    fn feed_item(
        &mut self,
        bytes: &[u8],
        item: &Item,
        weight: u64,
        lines_before: u64,
    ) -> Result<(), Error> {
        match *item {
            Item::Record { ts, from, to, line } => {
                self.line = lines_before + line as u64 + 1;
                let (from, to) = (&bytes[from.range()], &bytes[to.range()]);
                self.add(Record { ts, from, to }, weight)
            }
            Item::Filtered { ts, line } => {
                self.line = lines_before + line as u64 + 1;
                self.pass_by(ts)
            }
            Item::Malformed { line, why } => {
                self.line = lines_before + line as u64 + 1;
                self.malformed_line(why)
            }
        }
    }

    /// Feeds a line the reader skipped whole for being too long.
    pub(crate) fn feed_overlong(&mut self) -> Result<(), Error> {
        self.line += 1;
        self.malformed_line(Malformed::TooLong)
    }

    // Always inlined: on one core it is the whole per-record path, and it
    // has two callers (a parse fed whole, a chunk's lines fed in line).
    #[inline(always)]
    fn add(&mut self, record: Record<'_>, weight: u64) -> Result<(), Error> {
        if record.ts > self.believable && !self.believes(record.ts) {
            return self.malformed_line(Malformed::FarAhead);
        }
        self.records += 1;
        if !self.last_span.contains(record.ts) {
            self.last_span = WindowSpan::of(record.ts, self.config.window, self.config.lateness);
        }
        let span = self.last_span;
        let past_deadline = self.latest > span.deadline;
        if past_deadline && self.printed.contains(span.start) {
            self.latest_arrival.arrived(self.latest, record.ts);
            self.too_late
                .record(&self.input, self.line, span.start, self.latest);
            return Ok(());
        }
        let window = open_window(&mut self.open, span, &self.config, self.hosts_hint);
        let past_capacity = window.add(
            &record,
            weight,
            &self.config.to_host,
            &self.config.from_host,
            &mut self.lists,
        )?;
        if let Some(which) = past_capacity {
            self.warn_capacity(span.start, which);
        }
        if record.ts > self.latest {
            self.latest = record.ts;
            self.close_complete_windows()?;
        } else {
            self.latest_arrival.arrived(self.latest, record.ts);
            if past_deadline {
                // A window never printed, opened past its deadline:
                // complete already, it closes now (it is the oldest open
                // window, as every other open one is still within its
                // deadline).
                self.close_complete_windows()?;
            }
        }
        Ok(())
    }

    /// Closes every open window the data has proven complete, oldest
    /// first. Open windows are sorted and the condition is monotone in
    /// `H`, so only the front needs checking.
    fn close_complete_windows(&mut self) -> Result<(), Error> {
        while let Some(front) = self.open.front()
            && self.latest > front.span.deadline
        {
            if let Some(window) = self.open.pop_front() {
                self.print_window(window)?;
            }
        }
        Ok(())
    }

    /// Writes a window and frees it (only frees one outside the range).
    fn print_window(&mut self, window: OpenWindow) -> Result<(), Error> {
        let start = window.span.start;
        self.printed.insert(start, window.span.end);
        self.hosts_hint = window.hosts();
        if self
            .printed_range
            .as_ref()
            .is_some_and(|starts| !starts.contains(&start))
        {
            return Ok(());
        }
        let mut rows = self.out.window(start);
        window
            .write(&mut rows, &mut self.lists, self.config.report)
            .and_then(|()| {
                if self.config.flush_each_window {
                    self.out.flush()
                } else {
                    Ok(())
                }
            })
            .doing(|| format!("cannot write window {start}.0 to stdout"))?;
        self.windows_printed += 1;
        Ok(())
    }

    /// Counts so far.
    pub(crate) fn summary(&self) -> Summary {
        Summary {
            records: self.records,
            malformed: self.malformed.total(),
            too_late: self.too_late.total(),
            windows_printed: self.windows_printed,
            bytes: self.bytes,
            skipped: self.skipped,
        }
    }

    /// Ends the run: prints the windows still open, oldest first, when
    /// `print_open_windows` (false for `--only-complete-hours` and after
    /// an interrupt), flushes the output and closes the diagnostics.
    pub fn finish(mut self, print_open_windows: bool) -> Result<Summary, Error> {
        if print_open_windows {
            while let Some(window) = self.open.pop_front() {
                self.print_window(window)?;
            }
        }
        self.out.flush().doing(|| "cannot write to stdout".into())?;
        self.malformed.finish();
        self.too_late.finish();
        self.warn_lateness();
        Ok(self.summary())
    }
}

/// The open window of `span`, opened if needed (usually it is the newest).
// Always inlined, like `add`: it is on every record's path.
#[inline(always)]
fn open_window<'o>(
    open: &'o mut VecDeque<OpenWindow>,
    span: WindowSpan,
    config: &WindowConfig,
    hosts_hint: usize,
) -> &'o mut OpenWindow {
    let i = match open.back() {
        Some(newest) if newest.span.start == span.start => open.len() - 1,
        _ => {
            let i = open.partition_point(|w| w.span.start < span.start);
            if open.get(i).is_none_or(|w| w.span.start != span.start) {
                let window = OpenWindow::new(span, config.counting, config.report.by, hosts_hint);
                open.insert(i, window);
            }
            i
        }
    };
    &mut open[i]
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
