//! The hourly aggregator behind `connspy-stream` (docs/behaviour.md#stream), for windows of
//! any width that divides a day (`--window`, an hour by default).
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
//! any other the data proves complete (see [`too_late`](crate::stream::too_late)).
//!
//! Memory is the open windows only — with records in order, one or two
//! (more when `L` spans several windows) — and each holds its counts
//! (exact, bounded per distinct host, or a bounded summary) and its two
//! lists (their order, spooled; with a bounded summary also a Bloom filter
//! sized to what the list holds); see [`OpenWindow`]. A closed window is
//! dropped whole, so memory stays flat however many windows go by; only
//! the runs of printed windows are remembered (a bounded few, see
//! [`too_late`](crate::stream::too_late)).
//!
//! Input comes as blocks of whole lines ([`Block`]) through a [`LineSource`];
//! [`pump`] drives one source into the aggregator. Reading a file to its end
//! and following a growing one (`--tail`) are both just sources.

use std::collections::VecDeque;
use std::io::Write;

use crate::diagnostics::{Diagnostics, MalformedLine, MalformedReport};
use crate::error::{Error, IoContext};
use crate::io::block_reader::Block;
use crate::io::source::Restart;
use crate::output::Format;
use crate::parse::batch::{Item, ParsedLines, RawLines};
use crate::parse::format::{FormatState, InputFormat};
use crate::parse::record::{Malformed, Record};
use crate::parse::target::Target;
use crate::parse::timestamp::{Duration, Timestamp};
use crate::stream::chunk::{At, ChunkCounter, CountedChunk, Parse, Segment};
use crate::stream::dedup::{Dedup, ListMaker};
use crate::stream::host_counts::ListMark;
use crate::stream::rows::StreamWriter;
use crate::stream::too_late::{PrintedWindows, TooLateReport};
use crate::stream::window::{Counting, ExactTally, OpenWindow, Report, WindowSpan, WindowWidth};

/// What to aggregate and how.
#[derive(Clone, Debug)]
pub struct HourlyConfig {
    /// `--to`: the `TO` list holds the senders of records sent to this
    /// host (or to any host of this network or list).
    pub to_host: Target,
    /// `--from`: the `FROM` list holds the receivers of records it sent.
    pub from_host: Target,
    /// `--input-format`: how each input is read.
    pub input_format: InputFormat,
    /// The lateness bound `L`.
    pub lateness: Duration,
    /// `--window`: the width `W` of the windows (an hour by default).
    pub window: WindowWidth,
    /// How the TO and FROM lists are deduplicated.
    pub dedup: Dedup,
    /// How windows count activity: exactly, or bounded (`--top-capacity`).
    pub counting: Counting,
    /// What a window prints besides its lists (`--top`, `--emit-counts`).
    pub report: Report,
    /// `--format`.
    pub format: Format,
    /// Flush the output after every window (when following a log, so that
    /// a reader of a pipe sees each window as soon as it closes).
    pub flush_each_window: bool,
    /// `--strict`: the first malformed line is an error.
    pub strict: bool,
}

#[cfg(test)]
impl HourlyConfig {
    /// What most tests run: `--to to --from from`, hourly windows, the
    /// given lateness in seconds, and every other option at its default.
    pub(crate) fn for_test(to: &str, from: &str, lateness: u64) -> HourlyConfig {
        HourlyConfig {
            to_host: Target::parse(to.as_bytes()).unwrap(),
            from_host: Target::parse(from.as_bytes()).unwrap(),
            input_format: InputFormat::Auto,
            lateness: Duration::from_secs(lateness),
            window: WindowWidth::HOUR,
            dedup: Dedup::default(),
            counting: Counting::Exact,
            report: Report::default(),
            format: Format::Tsv,
            flush_each_window: false,
            strict: false,
        }
    }
}

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
/// it closes. Feed it with [`pump`] (or [`begin_input`](Self::begin_input) and
/// [`feed`](Self::feed)), then call [`finish`](Self::finish).
pub struct Aggregator<W: Write> {
    config: HourlyConfig,
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
}

impl<W: Write> Aggregator<W> {
    /// An aggregator of `config` that prints windows to `out` and speaks
    /// through `diagnostics`.
    pub fn new(config: HourlyConfig, out: W, diagnostics: Diagnostics) -> Aggregator<W> {
        Aggregator {
            parse_buffer: ParsedLines::default(),
            format: FormatState::new(config.input_format),
            malformed: MalformedReport::new(diagnostics.clone(), config.strict),
            too_late: TooLateReport::new(diagnostics.clone()),
            diagnostics,
            printed: PrintedWindows::default(),
            lists: ListMaker::new(config.dedup),
            out: StreamWriter::new(out, config.format, config.report.top),
            config,
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
        }
    }

    /// Starts a new input (a file, stdin, or a followed file after it was
    /// rotated): diagnostics name it and count its lines from 1. The
    /// aggregation itself carries on: all inputs are one stream.
    pub fn begin_input(&mut self, name: &str) {
        self.input.clear();
        self.input.push_str(name);
        self.line = 0;
        self.format = self.new_format_state();
    }

    /// The reading state an input starts in (each input's format is told
    /// by its own first line unless `--input-format` names it).
    pub fn new_format_state(&self) -> FormatState {
        FormatState::new(self.config.input_format)
    }

    /// What worker threads need to count chunks for
    /// [`feed_chunk`](Self::feed_chunk); `None` when the windows do not
    /// count exactly.
    pub fn chunk_counter(&self) -> Option<ChunkCounter> {
        ChunkCounter::new(&self.config)
    }

    /// The input being fed starts over at its first line (a followed file
    /// was replaced or truncated): said as a note, and line numbers restart.
    pub fn restart_input(&mut self, why: Restart) {
        self.diagnostics.note(format_args!("{}: {why}", self.input));
        self.line = 0;
        self.format = self.new_format_state();
    }

    /// Something the input's source says (a followed file that is not a
    /// regular file, cannot be opened...): passed on to the diagnostics,
    /// naming the input.
    pub fn notice(&mut self, text: &str) {
        self.diagnostics
            .note(format_args!("{}: {text}", self.input));
    }

    /// Feeds one block: whole lines (the last may lack its `\n` only at the
    /// true end of the input) or one overlong line. Windows that close
    /// are written at once. [`pump`] does the same with the parsing on
    /// another thread.
    pub fn feed(&mut self, block: Block<'_>) -> Result<(), Error> {
        match block {
            Block::Lines(mut bytes) => {
                // The parse buffer is kept for the next block: allocating
                // one per block would cost page faults on every block.
                let mut parsed = std::mem::take(&mut self.parse_buffer);
                let mut fed = Ok(());
                while fed.is_ok() && !bytes.is_empty() {
                    bytes = &bytes[parsed.fill(bytes, &mut self.format)..];
                    fed = self.feed_parsed(&parsed);
                }
                self.parse_buffer = parsed;
                fed
            }
            Block::Overlong => self.feed_overlong(),
        }
    }

    /// Feeds a block parsed by [`ParsedLines::fill`].
    pub fn feed_parsed(&mut self, block: &ParsedLines) -> Result<(), Error> {
        self.bytes += block.bytes.len() as u64;
        self.skipped += block.no_data;
        let lines_before = self.line;
        for item in &block.items {
            self.feed_item(&block.bytes, item, lines_before)?;
        }
        self.line = lines_before + block.lines;
        Ok(())
    }

    /// Feeds one parsed line of a parse of `bytes` whose first line
    /// follows line `lines_before` of the input.
    #[inline(always)]
    fn feed_item(&mut self, bytes: &[u8], item: &Item, lines_before: u64) -> Result<(), Error> {
        match *item {
            Item::Record { ts, from, to, line } => {
                self.line = lines_before + line as u64 + 1;
                let (from, to) = (&bytes[from.range()], &bytes[to.range()]);
                self.add(Record { ts, from, to })
            }
            Item::Malformed { line, why } => {
                self.line = lines_before + line as u64 + 1;
                self.malformed_line(why)
            }
        }
    }

    /// Feeds `chunk`, consecutive blocks of the current input, which a
    /// worker has parsed and counted into `counted` (see
    /// [`crate::stream::chunk`]): each counted segment is added to the
    /// open windows when that equals feeding its records one by one, and
    /// fed line by line otherwise, as are the lines between segments.
    /// Either way the output is that of [`feed`](Self::feed) on each block.
    /// The segments are taken; the parses are left for reuse.
    pub fn feed_chunk(
        &mut self,
        chunk: &[RawLines],
        counted: &mut CountedChunk,
    ) -> Result<(), Error> {
        // Each parse's bytes and skipped records are counted when the feed
        // reaches it, and its lines are numbered from the lines before it.
        let mut reached = 0;
        let mut first_lines = Vec::with_capacity(counted.parses.len());
        let mut lines = self.line;
        for parse in &counted.parses {
            first_lines.push(lines);
            lines += parse.parsed.lines;
        }
        for segment in std::mem::take(&mut counted.segments) {
            let (from, to) = match segment {
                Segment::Counted {
                    windows,
                    latest,
                    records,
                    from: _,
                    to,
                } if self.adds_up(&windows) => {
                    self.reach(&counted.parses[..], &mut reached, to, chunk);
                    self.records += records;
                    self.absorb(windows)?;
                    if latest > self.latest {
                        self.latest = latest;
                        self.close_complete_windows()?;
                    }
                    continue;
                }
                Segment::Counted { from, to, .. } | Segment::InLine { from, to } => (from, to),
            };
            let end = if to.1 > 0 { to.0 + 1 } else { to.0 };
            for (p, parse) in counted.parses.iter().enumerate().take(end).skip(from.0) {
                self.reach(&counted.parses[..], &mut reached, (p, 1), chunk);
                let first = if p == from.0 { from.1 } else { 0 };
                let last = if p == to.0 {
                    to.1
                } else {
                    parse.parsed.items.len()
                };
                let bytes = parse.bytes(chunk);
                for item in &parse.parsed.items[first..last] {
                    self.feed_item(bytes, item, first_lines[p])?;
                }
            }
        }
        self.reach(
            &counted.parses[..],
            &mut reached,
            (counted.parses.len(), 0),
            chunk,
        );
        self.line = lines;
        Ok(())
    }

    /// Whether tallies of these windows, counted after everything fed so
    /// far, add up to feeding their records: no window's deadline is past
    /// the newest time yet (then no record of theirs was late).
    fn adds_up(&self, windows: &[(WindowSpan, ExactTally)]) -> bool {
        self.config.counting == Counting::Exact
            && windows.iter().all(|(span, _)| self.latest <= span.deadline)
    }

    /// Adds tallies to the open windows, opening those not open.
    fn absorb(&mut self, windows: Vec<(WindowSpan, ExactTally)>) -> Result<(), Error> {
        for (span, later) in windows {
            let at = self.open.partition_point(|w| w.span.start < span.start);
            match self.open.get_mut(at) {
                Some(window) if window.span.start == span.start => window
                    .exact_mut()
                    .expect("with exact counting every open window counts exactly")
                    .absorb(later, &mut self.lists)?,
                _ => self.open.insert(at, OpenWindow::from_exact(span, later)),
            }
        }
        Ok(())
    }

    /// Counts the bytes and skipped records of the parses before `to`
    /// (every parse up to `to`'s when it is inside one) not counted yet.
    fn reach(&mut self, parses: &[Parse], reached: &mut usize, to: At, chunk: &[RawLines]) {
        let end = if to.1 > 0 { to.0 + 1 } else { to.0 };
        for parse in parses.get(*reached..end).unwrap_or_default() {
            self.bytes += parse.bytes(chunk).len() as u64;
            self.skipped += parse.parsed.no_data;
        }
        *reached = (*reached).max(end);
    }

    /// Feeds a line the reader skipped whole for being too long.
    pub fn feed_overlong(&mut self) -> Result<(), Error> {
        self.line += 1;
        self.malformed_line(Malformed::TooLong)
    }

    // Always inlined: on one core it is the whole per-record path, and it
    // has two callers (a parse fed whole, a chunk's lines fed in line).
    #[inline(always)]
    fn add(&mut self, record: Record<'_>) -> Result<(), Error> {
        self.records += 1;
        if !self.last_span.contains(record.ts) {
            self.last_span = WindowSpan::of(record.ts, self.config.window, self.config.lateness);
        }
        let span = self.last_span;
        let past_deadline = self.latest > span.deadline;
        if past_deadline && self.printed.contains(span.start) {
            self.too_late
                .record(&self.input, self.line, span.start, self.latest);
            return Ok(());
        }
        let window = open_window(&mut self.open, span, self.config.counting, self.hosts_hint);
        let past_capacity = window.add(
            &record,
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
        } else if past_deadline {
            // A window never printed, opened past its deadline: complete
            // already, it closes now (it is the oldest open window, as
            // every other open one is still within its deadline).
            self.close_complete_windows()?;
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

    /// Writes a window and frees it.
    fn print_window(&mut self, window: OpenWindow) -> Result<(), Error> {
        let start = window.span.start;
        self.printed.insert(start, window.span.end);
        self.hosts_hint = window.hosts();
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

    fn malformed_line(&mut self, why: Malformed) -> Result<(), Error> {
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

    fn warn_capacity(&mut self, window: Timestamp, which: ListMark) {
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

    /// Counts so far.
    pub fn summary(&self) -> Summary {
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
    /// `print_open_windows` (false for `--only_complete_hours` and after
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
        Ok(self.summary())
    }
}

/// The open window of `span`, opened if needed (usually it is the newest).
// Always inlined, like `add`: it is on every record's path.
#[inline(always)]
fn open_window(
    open: &mut VecDeque<OpenWindow>,
    span: WindowSpan,
    counting: Counting,
    hosts_hint: usize,
) -> &mut OpenWindow {
    let i = match open.back() {
        Some(newest) if newest.span.start == span.start => open.len() - 1,
        _ => {
            let i = open.partition_point(|w| w.span.start < span.start);
            if open.get(i).is_none_or(|w| w.span.start != span.start) {
                open.insert(i, OpenWindow::new(span, counting, hosts_hint));
            }
            i
        }
    };
    &mut open[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Diagnostics the tests do not look at.
    fn quiet() -> Diagnostics {
        Diagnostics::to_writer("t", true, std::io::sink())
    }
    use crate::io::block_reader::BlockReader;
    use crate::parse::batch::LINES_PER_PARSE;
    use crate::stream::pump::pump;

    fn config(to: &str, from: &str, lateness: u64) -> HourlyConfig {
        HourlyConfig::for_test(to, from, lateness)
    }

    /// Runs `inputs` (each fed as one input) and returns stdout and counts.
    fn run_with(config: HourlyConfig, inputs: &[&str], print_open: bool) -> (String, Summary) {
        let mut out = Vec::new();
        let mut agg = Aggregator::new(config, &mut out, quiet());
        for (i, text) in inputs.iter().enumerate() {
            let mut reader = BlockReader::new(text.as_bytes());
            pump(&mut agg, &format!("in{i}"), &mut reader, &|| false).unwrap();
        }
        let summary = agg.finish(print_open).unwrap();
        (String::from_utf8(out).unwrap(), summary)
    }

    fn run(text: &str, to: &str, from: &str, lateness: u64) -> String {
        run_with(config(to, from, lateness), &[text], true).0
    }

    /// Hour starts used below: 1565647200 = H0, then H1, H2, ...
    const H0: u64 = 1_565_647_200;

    fn rec(secs_after_h0: u64, from: &str, to: &str) -> String {
        format!("{} {from} {to}\n", H0 + secs_after_h0)
    }

    #[test]
    fn one_hour_prints_to_then_from_then_most() {
        let log = [
            rec(1, "Kexin", "X"),
            rec(2, "y", "zeplin"),
            rec(3, "devonta", "x"),
            rec(4, "kexin", "x"),
            rec(5, "Y", "Zeplin"),
            rec(6, "y", "abe"),
        ]
        .concat();
        // x and y both count 3; x was counted first.
        assert_eq!(
            run(&log, "x", "y", 300),
            "1565647200.0\tTO\tkexin\n\
             1565647200.0\tTO\tdevonta\n\
             1565647200.0\tFROM\tzeplin\n\
             1565647200.0\tFROM\tabe\n\
             1565647200.0\tMOST\tx\n"
        );
    }

    #[test]
    fn an_hour_without_matches_prints_only_most() {
        let log = rec(10, "a", "b") + &rec(20, "c", "b");
        assert_eq!(run(&log, "x", "y", 300), "1565647200.0\tMOST\tb\n");
    }

    #[test]
    fn most_ties_go_to_the_host_counted_first_from_before_to() {
        // b and a both 1: FROM (b) entered first.
        assert_eq!(
            run(&rec(1, "b", "a"), "x", "y", 0),
            "1565647200.0\tMOST\tb\n"
        );
        // c: 2, a: 2 (`a a` counts twice), c entered first.
        let log = rec(1, "c", "d") + &rec(2, "a", "a") + &rec(3, "c", "e");
        assert_eq!(run(&log, "x", "y", 0), "1565647200.0\tMOST\tc\n");
        // `a a` alone beats a single appearance that came earlier.
        let log = rec(1, "b", "c") + &rec(2, "A", "a");
        assert_eq!(run(&log, "x", "y", 0), "1565647200.0\tMOST\ta\n");
    }

    #[test]
    fn a_record_to_and_from_itself_matches_both_lists() {
        assert_eq!(
            run(&rec(1, "q", "Q"), "q", "q", 0),
            "1565647200.0\tTO\tq\n1565647200.0\tFROM\tq\n1565647200.0\tMOST\tq\n"
        );
    }

    /// Output lines with the hour label, in order, and the lines printed
    /// before `finish` (that is, by the closing rule).
    fn closed_before_end(log: &str, lateness: u64) -> String {
        run_with(config("x", "y", lateness), &[log], false).0
    }

    #[test]
    fn an_hour_closes_only_strictly_past_hour_plus_lateness() {
        // H0 closes when latest - H0 > 3600 + 300 = 3900 s.
        let at_boundary = rec(0, "a", "b") + &rec(3900, "c", "d");
        assert_eq!(closed_before_end(&at_boundary, 300), "");
        let past = rec(0, "a", "b") + &rec(3900, "c", "d") + "1565651100.000000001 e f\n";
        assert_eq!(closed_before_end(&past, 300), "1565647200.0\tMOST\ta\n");
        // Fractional lateness is exact too.
        let cfg = |l| HourlyConfig {
            lateness: crate::parse::time_forms::parse_lateness(l).unwrap(),
            ..config("x", "y", 0)
        };
        let log = rec(0, "a", "b") + "1565650800.25 c d\n";
        assert_eq!(run_with(cfg("0.25"), &[&log], false).0, "");
        assert_eq!(
            run_with(cfg("0.249"), &[&log], false).0,
            "1565647200.0\tMOST\ta\n"
        );
    }

    #[test]
    fn a_record_of_a_closed_hour_is_dropped_and_counted() {
        let log = [
            rec(10, "a", "x"),
            rec(3600 + 301, "b", "c"), // closes H0
            rec(20, "z", "x"),         // too late: H0 is closed
            rec(3600 + 302, "d", "e"),
        ]
        .concat();
        let (out, summary) = run_with(config("x", "y", 300), &[&log], true);
        assert_eq!(
            out,
            "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n1565650800.0\tMOST\tb\n"
        );
        assert_eq!(summary.too_late, 1);
        assert_eq!(summary.records, 4);
        assert_eq!(summary.windows_printed, 2);
    }

    #[test]
    fn a_late_record_within_the_bound_still_counts() {
        let log = [
            rec(3600 + 250, "b", "c"),
            rec(3599, "a", "x"), // H0 still open: latest - H0 = 3850 <= 3900
            rec(3600 + 260, "b", "d"),
        ]
        .concat();
        let (out, summary) = run_with(config("x", "y", 300), &[&log], true);
        assert_eq!(
            out,
            "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n1565650800.0\tMOST\tb\n"
        );
        assert_eq!(summary.too_late, 0);
    }

    #[test]
    fn a_record_past_the_bound_for_a_window_never_printed_opens_and_prints_it() {
        // H0 never had a record: the late record is not dropped; H0 is
        // complete already, so it is printed at once, before H2, with or
        // without the open windows printed at the end.
        let log = rec(3600 * 2, "a", "b") + &rec(0, "c", "d");
        for print_open in [true, false] {
            let (out, summary) = run_with(config("b", "c", 300), &[&log], print_open);
            let h0 = "1565647200.0\tFROM\td\n1565647200.0\tMOST\tc\n";
            let h2 = if print_open {
                "1565654400.0\tTO\ta\n1565654400.0\tMOST\ta\n"
            } else {
                ""
            };
            assert_eq!(out, format!("{h0}{h2}"));
            assert_eq!(
                (summary.too_late, summary.windows_printed),
                (0, 1 + print_open as u64)
            );
        }
        // A second record for H0 after it was printed is too late.
        let log = log + &rec(1, "e", "f");
        let (out, summary) = run_with(config("b", "c", 300), &[&log], false);
        assert_eq!(out, "1565647200.0\tFROM\td\n1565647200.0\tMOST\tc\n");
        assert_eq!(summary.too_late, 1);
    }

    #[test]
    fn a_dropped_record_leaves_no_trace_in_counts_or_lists() {
        // `1 x x` is too late for the printed H0; had it counted, x would
        // be listed in both lists of H0 and H0 printed again.
        let log =
            rec(0, "a", "b") + &rec(7200, "a", "b") + &rec(1, "x", "x") + &rec(7201, "b", "c");
        let (out, summary) = run_with(config("x", "x", 300), &[&log], true);
        assert_eq!(out, "1565647200.0\tMOST\ta\n1565654400.0\tMOST\tb\n");
        assert_eq!(summary.too_late, 1);
    }

    #[test]
    fn gaps_of_empty_hours_print_nothing_for_them() {
        let log = rec(5, "a", "b") + &rec(3600 * 5 + 1, "c", "d") + &rec(3600 * 9, "e", "f");
        let (out, summary) = run_with(config("x", "y", 300), &[&log], true);
        assert_eq!(
            out,
            "1565647200.0\tMOST\ta\n1565665200.0\tMOST\tc\n1565679600.0\tMOST\te\n"
        );
        assert_eq!(summary.windows_printed, 3);
    }

    #[test]
    fn several_hours_close_at_once_oldest_first() {
        // Lateness lets H0..H2 stay open until one record jumps far ahead.
        let log = rec(1, "a", "b") + &rec(3601, "c", "d") + &rec(7201, "e", "f");
        let jump = rec(3600 * 20, "g", "h");
        let (out, _) = run_with(config("x", "y", 36_000), &[&(log + &jump)], false);
        assert_eq!(
            out,
            "1565647200.0\tMOST\ta\n1565650800.0\tMOST\tc\n1565654400.0\tMOST\te\n"
        );
    }

    #[test]
    fn out_of_order_records_within_the_bound_land_in_their_hours() {
        let log = [
            rec(3600 + 5, "b", "x"),
            rec(3590, "a", "x"),
            rec(3600 + 6, "c", "x"),
            rec(3595, "a", "z"),
        ]
        .concat();
        assert_eq!(
            run(&log, "x", "y", 300),
            "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n\
             1565650800.0\tTO\tb\n1565650800.0\tTO\tc\n1565650800.0\tMOST\tx\n"
        );
    }

    #[test]
    fn only_complete_hours_prints_just_the_closed_ones() {
        let log = rec(1, "a", "b") + &rec(3600 + 301, "c", "d") + &rec(3600 * 2, "e", "f");
        let (all, _) = run_with(config("x", "y", 300), &[&log], true);
        let (complete, summary) = run_with(config("x", "y", 300), &[&log], false);
        assert_eq!(
            all,
            "1565647200.0\tMOST\ta\n1565650800.0\tMOST\tc\n1565654400.0\tMOST\te\n"
        );
        assert_eq!(complete, "1565647200.0\tMOST\ta\n");
        assert_eq!(summary.windows_printed, 1);
    }

    #[test]
    fn state_carries_across_inputs_and_malformed_lines_are_counted() {
        let a = rec(1, "a", "x") + "garbage\n" + &rec(2, "b", "x");
        let b = "\n".to_string() + &rec(3, "a", "x") + "1565647204 c"; // no final \n
        let (out, summary) = run_with(config("x", "y", 300), &[&a, &b], true);
        assert_eq!(
            out,
            "1565647200.0\tTO\ta\n1565647200.0\tTO\tb\n1565647200.0\tMOST\tx\n"
        );
        assert_eq!(summary.malformed, 3);
        assert_eq!(summary.records, 3);
    }

    #[test]
    fn strict_stops_at_the_first_malformed_line() {
        let cfg = HourlyConfig {
            strict: true,
            ..config("x", "y", 300)
        };
        let mut out = Vec::new();
        let mut agg = Aggregator::new(cfg, &mut out, quiet());
        let mut reader = BlockReader::new(&b"1 a b\n2 c\n"[..]);
        let err = pump(&mut agg, "log", &mut reader, &|| false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "log:2: malformed line (2 field(s) (expected TS FROM_HOST TO_HOST)); \
             stopping at the first one (strict mode)"
        );
    }

    #[test]
    fn pump_stops_between_blocks_when_asked() {
        let mut out = Vec::new();
        let mut agg = Aggregator::new(config("x", "y", 300), &mut out, quiet());
        let mut reader = BlockReader::new(&b"1 a b\n"[..]);
        pump(&mut agg, "log", &mut reader, &|| true).unwrap();
        assert_eq!(agg.summary().records, 0);
    }

    #[test]
    fn millisecond_and_fractional_times_share_hours() {
        let log = "1565647200000 a x\n1565647201.5 b x\n1565650799999 c x\n";
        assert_eq!(
            run(log, "x", "y", 300),
            "1565647200.0\tTO\ta\n1565647200.0\tTO\tb\n\
             1565647200.0\tTO\tc\n1565647200.0\tMOST\tx\n"
        );
    }

    #[test]
    fn line_numbers_run_on_across_parses_of_one_block() {
        let line = 2 * LINES_PER_PARSE + 7;
        let mut text = "1565647200 a b\n".repeat(line - 1);
        text.push_str("garbage\n1565647201 c d\n");
        let cfg = HourlyConfig {
            strict: true,
            ..config("x", "y", 300)
        };
        for pumped in [false, true] {
            let mut out = Vec::new();
            let mut agg = Aggregator::new(cfg.clone(), &mut out, quiet());
            let err = if pumped {
                let mut reader = BlockReader::new(text.as_bytes());
                pump(&mut agg, "log", &mut reader, &|| false).unwrap_err()
            } else {
                agg.begin_input("log");
                agg.feed(Block::Lines(text.as_bytes())).unwrap_err()
            };
            assert!(
                err.to_string().starts_with(&format!("log:{line}: ")),
                "{err}"
            );
            assert_eq!(agg.summary().records, line as u64 - 1);
        }
    }

    #[test]
    fn overlong_lines_are_malformed() {
        let mut out = Vec::new();
        let mut agg = Aggregator::new(config("x", "y", 300), &mut out, quiet());
        agg.begin_input("log");
        agg.feed(Block::Overlong).unwrap();
        agg.feed(Block::Lines(b"1 a b\n")).unwrap();
        let summary = agg.finish(true).unwrap();
        assert_eq!((summary.malformed, summary.records), (1, 1));
    }

    fn with(window: &str, top: usize, emit_counts: bool, counting: Counting) -> HourlyConfig {
        HourlyConfig {
            window: WindowWidth::parse(window).unwrap(),
            counting,
            report: Report { top, emit_counts },
            ..config("x", "y", 0)
        }
    }

    #[test]
    fn a_window_closes_strictly_past_its_width_plus_lateness() {
        // 5-minute windows, L = 0: window 0 closes once latest > 300 s.
        let cfg = || with("5m", 1, false, Counting::Exact);
        let log = rec(0, "a", "x") + &rec(299, "b", "c") + &rec(300, "d", "e");
        assert_eq!(run_with(cfg(), &[&log], false).0, "");
        let log = log + "1565647500.000000001 f g\n";
        assert_eq!(
            run_with(cfg(), &[&log], false).0,
            "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n"
        );
        // A record for window 0 after that is too late; window 1 is open.
        let (out, summary) = run_with(cfg(), &[&(log + &rec(10, "z", "x"))], true);
        assert_eq!(
            out,
            "1565647200.0\tTO\ta\n1565647200.0\tMOST\ta\n1565647500.0\tMOST\td\n"
        );
        assert_eq!((summary.too_late, summary.windows_printed), (1, 2));
    }

    #[test]
    fn a_day_window_starts_at_utc_midnight() {
        // 1565647200 is 2019-08-12T22:00:00Z; that day began 79200 s earlier.
        let out = run_with(
            with("1d", 1, false, Counting::Exact),
            &[&rec(5, "a", "b")],
            true,
        )
        .0;
        assert_eq!(out, "1565568000.0\tMOST\ta\n");
    }

    #[test]
    fn top_and_counts_rows_follow_the_lists() {
        let log = [
            rec(1, "b", "x"),
            rec(2, "a", "x"),
            rec(3, "y", "a"),
            rec(4, "c", "c"),
        ]
        .concat();
        let out = run_with(with("1h", 3, true, Counting::Exact), &[&log], true).0;
        assert_eq!(
            out,
            "1565647200.0\tTO\tb\n1565647200.0\tTO\ta\n1565647200.0\tFROM\ta\n\
             1565647200.0\tTOP\tx\t2\n1565647200.0\tTOP\ta\t2\n1565647200.0\tTOP\tc\t2\n\
             1565647200.0\tCOUNT\tb\t1\n1565647200.0\tCOUNT\tx\t2\n\
             1565647200.0\tCOUNT\ta\t2\n1565647200.0\tCOUNT\ty\t1\n\
             1565647200.0\tCOUNT\tc\t2\n"
        );
        // --top 1 is the MOST line, with or without a bounded summary.
        for counting in [Counting::Exact, Counting::Bounded(5)] {
            let out = run_with(with("1h", 1, false, counting), &[&log], true).0;
            assert!(out.ends_with("1565647200.0\tMOST\tx\n"), "{out}");
        }
    }

    mod props {
        use super::*;
        use crate::diagnostics::Captured;
        use crate::io::block_reader::Trickle;
        use proptest::prelude::*;

        /// Logs over a few hours and a small host alphabet (in mixed case),
        /// with some disorder, some far-too-late records and some garbage.
        fn log_lines() -> impl Strategy<Value = Vec<String>> {
            let host = prop::sample::select(vec!["a", "B", "c", "x", "X", "y", "Zed", "zed"]);
            let line = prop_oneof![
                8 => (0u64..5 * 3600, host.clone(), host)
                    .prop_map(|(t, f, to)| format!("{} {f} {to}", H0 + t)),
                1 => Just("not a record".to_string()),
                1 => (0u64..5 * 3_600_000).prop_map(|ms| format!("{} m x", H0 * 1000 + ms)),
            ];
            prop::collection::vec(line, 0..200)
        }

        fn whole(cfg: HourlyConfig, text: &str) -> (String, Summary) {
            run_with(cfg, &[text], true)
        }

        /// SPEC §3 written plainly (hourly windows, exact lists): the
        /// output and the number of too-late records. A record is dropped
        /// only when its hour was printed already.
        fn model(
            text: &str,
            to: &str,
            from: &str,
            lateness: u64,
            print_open: bool,
        ) -> (String, u64) {
            use crate::parse::record::parse_record;
            use std::collections::{BTreeMap, BTreeSet};
            #[derive(Default)]
            struct Hour {
                to: Vec<String>,
                from: Vec<String>,
                counts: Vec<(String, u64)>,
            }
            fn count(hour: &mut Hour, host: &str) {
                match hour.counts.iter_mut().find(|(h, _)| h == host) {
                    Some((_, n)) => *n += 1,
                    None => hour.counts.push((host.to_string(), 1)),
                }
            }
            fn print(out: &mut String, start: Timestamp, hour: Hour) {
                for h in &hour.to {
                    out.push_str(&format!("{start}.0\tTO\t{h}\n"));
                }
                for h in &hour.from {
                    out.push_str(&format!("{start}.0\tFROM\t{h}\n"));
                }
                let mut most: Option<&(String, u64)> = None;
                for c in &hour.counts {
                    if most.is_none_or(|m| c.1 > m.1) {
                        most = Some(c);
                    }
                }
                if let Some((h, _)) = most {
                    out.push_str(&format!("{start}.0\tMOST\t{h}\n"));
                }
            }
            let deadline = |s: Timestamp| s.saturating_add(Duration::from_secs(3600 + lateness));
            let (mut open, mut printed) = (BTreeMap::<Timestamp, Hour>::new(), BTreeSet::new());
            let (mut latest, mut out, mut too_late) = (Timestamp::ZERO, String::new(), 0);
            for line in text.lines() {
                let Ok(r) = parse_record(line.as_bytes()) else {
                    continue;
                };
                let start = r.ts.floor_to(Duration::HOUR);
                if latest > deadline(start) && printed.contains(&start) {
                    too_late += 1;
                    continue;
                }
                let lower = |h: &[u8]| String::from_utf8_lossy(h).to_lowercase();
                let (f, t) = (lower(r.from), lower(r.to));
                let hour = open.entry(start).or_default();
                count(hour, &f);
                count(hour, &t);
                if t == to && !hour.to.contains(&f) {
                    hour.to.push(f.clone());
                }
                if f == from && !hour.from.contains(&t) {
                    hour.from.push(t);
                }
                latest = latest.max(r.ts);
                let complete: Vec<Timestamp> = open
                    .keys()
                    .copied()
                    .filter(|&s| latest > deadline(s))
                    .collect();
                for s in complete {
                    print(&mut out, s, open.remove(&s).unwrap());
                    printed.insert(s);
                }
            }
            if print_open {
                for (s, hour) in open {
                    print(&mut out, s, hour);
                }
            }
            (out, too_late)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            /// The aggregator prints what the plain model prints and drops
            /// exactly the records the model drops: only those of a window
            /// printed already. Lines are shuffled a little so that many
            /// records break the bound, some for windows never printed.
            #[test]
            fn a_record_is_dropped_only_for_a_printed_window(
                mut lines in log_lines(),
                swaps in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..20),
                lateness in prop::sample::select(vec![0u64, 300, 5000]),
                print_open in any::<bool>(),
            ) {
                let n = lines.len();
                if n > 0 {
                    for (a, b) in &swaps {
                        lines.swap(a.index(n), b.index(n));
                    }
                }
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                let cfg = HourlyConfig { dedup: Dedup::Exact, ..config("x", "zed", lateness) };
                let (out, summary) = run_with(cfg, &[&text], print_open);
                prop_assert_eq!((out, summary.too_late), model(&text, "x", "zed", lateness, print_open));
            }

            #[test]
            fn output_does_not_depend_on_how_the_input_is_split(
                lines in log_lines(),
                cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
                step in 1usize..64,
                lateness in prop::sample::select(vec![0u64, 300, 5000]),
            ) {
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                let expected = whole(config("x", "y", lateness), &text);
                // Split into files at line boundaries.
                let mut at: Vec<usize> = cuts.iter().map(|c| c.index(lines.len() + 1)).collect();
                at.sort();
                let mut files = Vec::new();
                let mut prev = 0;
                for cut in at.into_iter().chain([lines.len()]) {
                    files.push(lines[prev..cut].iter().map(|l| format!("{l}\n")).collect::<String>());
                    prev = cut;
                }
                let refs: Vec<&str> = files.iter().map(String::as_str).collect();
                prop_assert_eq!(&run_with(config("x", "y", lateness), &refs, true), &expected);
                // Feed through a reader that returns tiny reads.
                let mut out = Vec::new();
                let mut agg = Aggregator::new(config("x", "y", lateness), &mut out, quiet());
                let mut reader = BlockReader::new(Trickle { data: text.as_bytes(), step });
                pump(&mut agg, "t", &mut reader, &|| false).unwrap();
                let summary = agg.finish(true).unwrap();
                prop_assert_eq!((String::from_utf8(out).unwrap(), summary), expected);
            }


            /// Chunks counted apart and added up print what one pass
            /// prints, with the same counts, diagnostics and errors
            /// (`--strict`), however the
            /// input is cut into blocks and the blocks into chunks: with
            /// records out of order, records past the bound (for windows
            /// printed or not), malformed lines, and windows of any width.
            #[test]
            fn chunks_counted_apart_add_up_to_one_pass(
                mut lines in log_lines(),
                swaps in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..6),
                block_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
                chunk_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
                lateness in prop::sample::select(vec![0u64, 300, 5000]),
                window in prop::sample::select(vec!["5m", "1h", "1d"]),
                top in 1usize..3,
                emit_counts in any::<bool>(),
                print_open in any::<bool>(),
                strict in any::<bool>(),
            ) {
                let n = lines.len();
                if n > 0 {
                    for (a, b) in &swaps {
                        lines.swap(a.index(n), b.index(n));
                    }
                }
                let cfg = HourlyConfig {
                    lateness: Duration::from_secs(lateness),
                    to_host: Target::parse(b"x").unwrap(),
                    from_host: Target::parse(b"zed").unwrap(),
                    strict,
                    ..with(window, top, emit_counts, Counting::Exact)
                };
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                type Feed<'a> = &'a dyn Fn(&mut Aggregator<&mut Vec<u8>>) -> Result<(), Error>;
                let run = |feed: Feed<'_>| {
                    let (mut out, said) = (Vec::new(), Captured::default());
                    let diagnostics = Diagnostics::to_writer("t", false, said.clone());
                    let mut agg = Aggregator::new(cfg.clone(), &mut out, diagnostics);
                    agg.begin_input("in");
                    let fed = feed(&mut agg).map_err(|e| e.to_string());
                    let summary = agg.finish(print_open).unwrap();
                    (String::from_utf8(out).unwrap(), summary, said.text(), fed)
                };
                // Blocks cut at line starts, each with the state it starts in.
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect();
                let mut at: Vec<usize> = block_cuts.iter().map(|c| starts[c.index(starts.len())]).collect();
                at.extend([0, text.len()]);
                at.sort();
                at.dedup();
                let mut state = FormatState::new(cfg.input_format);
                let blocks: Vec<RawLines> = at.windows(2).map(|w| {
                    let mut raw = RawLines::default();
                    crate::parse::batch::Fill::fill(&mut raw, &text.as_bytes()[w[0]..w[1]], &mut state);
                    raw
                }).collect();
                let mut groups: Vec<usize> = chunk_cuts.iter().map(|c| c.index(blocks.len() + 1)).collect();
                groups.extend([0, blocks.len()]);
                groups.sort();
                groups.dedup();
                // One pass over the same blocks (after an error, `--stats`
                // counts the bytes of the blocks parsed so far).
                let one_pass = run(&|agg| {
                    blocks.iter().try_for_each(|block| agg.feed(Block::Lines(&block.bytes)))
                });
                let counter = ChunkCounter::new(&cfg).unwrap();
                let chunked = run(&|agg| {
                    for g in groups.windows(2) {
                        let chunk = &blocks[g[0]..g[1]];
                        let mut counted = counter.count(chunk, ParsedLines::default, 0);
                        agg.feed_chunk(chunk, &mut counted)?;
                    }
                    Ok(())
                });
                prop_assert_eq!(chunked, one_pass);
            }

            #[test]
            fn bloom_equals_exact_far_below_capacity(
                lines in log_lines(),
                lateness in prop::sample::select(vec![0u64, 300]),
            ) {
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                let exact = HourlyConfig { dedup: Dedup::Exact, ..config("x", "zed", lateness) };
                prop_assert_eq!(
                    whole(config("x", "zed", lateness), &text),
                    whole(exact, &text)
                );
            }
        }

        proptest! {
            // Several runs per case: fewer cases, small Bloom filters.
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// A summary with room for every host of a window prints what
            /// exact counts print; one with less room changes only the top
            /// rows (the lists keep their own names, deduplicated by a Bloom
            /// filter that far below its capacity makes no false positive).
            #[test]
            fn bounded_counting_changes_nothing_but_the_top_rows(
                lines in log_lines(),
                top in 1usize..4,
                lateness in prop::sample::select(vec![0u64, 300]),
            ) {
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                let cfg = |counting| HourlyConfig {
                    lateness: Duration::from_secs(lateness),
                    dedup: Dedup::default(),
                    ..with("1h", top, false, counting)
                };
                let exact = whole(cfg(Counting::Exact), &text);
                prop_assert_eq!(&whole(cfg(Counting::Bounded(16)), &text), &exact);
                let lists = |out: &str| -> String {
                    out.lines()
                        .filter(|l| l.contains("\tTO\t") || l.contains("\tFROM\t"))
                        .map(|l| format!("{l}\n"))
                        .collect()
                };
                let small = whole(cfg(Counting::Bounded(top)), &text);
                prop_assert_eq!(lists(&small.0), lists(&exact.0));
                prop_assert_eq!(small.1, exact.1);
            }

            /// Windows nest: with nothing closed before the end, the counts
            /// of the 5-minute windows of an hour add up to the hour's.
            #[test]
            fn counts_of_nested_windows_add_up(lines in log_lines()) {
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                let counts = |window| {
                    let cfg = HourlyConfig {
                        lateness: Duration::from_secs(1 << 40),
                        dedup: Dedup::Exact,
                        ..with(window, 1, true, Counting::Exact)
                    };
                    let mut sums = std::collections::BTreeMap::new();
                    for line in whole(cfg, &text).0.lines() {
                        let f: Vec<&str> = line.split('\t').collect();
                        if f[1] == "COUNT" {
                            let start: u64 = f[0].trim_end_matches(".0").parse().unwrap();
                            let n: u64 = f[3].parse().unwrap();
                            *sums.entry((start / 3600 * 3600, f[2].to_string())).or_insert(0) += n;
                        }
                    }
                    sums
                };
                prop_assert_eq!(counts("5m"), counts("1h"));
            }

        }
    }
}
