//! What `connspy` prints: block results merged in file order into one
//! answer, deduplicated, with malformed lines reported at their line
//! numbers.

use std::io::{self, Write};

use crate::error::{Error, IoContext};

use crate::diagnostics::{MalformedLine, MalformedReport};
use crate::io::input::InputName;
use crate::output::{Field, Format, RowWriter, nanos_text, rfc3339};
use crate::parse::host_set::HostSet;
use crate::parse::lateness::{Arrivals, Lateness};
use crate::parse::record::Malformed;
use crate::parse::timestamp::Duration;
use crate::query::progress::Progress;
use crate::query::request::{Query, Side};
use crate::query::scan::BlockScan;

/// The CSV header and JSON keys of `connspy`'s rows (`--format csv` and
/// `jsonl`; TSV prints the host alone). Every row repeats its query, so
/// that the rows of many queries loaded into one table stay apart: each
/// end of the range in integer nanoseconds (exact, and one type in every
/// run, where seconds with a fraction would load as a float cut to about
/// 7 of 9 digits; see [`nanos_text`]) and in RFC 3339, the kind (`to`:
/// the host connected to `target`; `from`: `target` connected to the
/// host), the queried host (lower case), and the host's 1-based position
/// in first-seen order.
pub const COLUMNS: &[&str] = &[
    "time_init_ns",
    "time_init_rfc3339",
    "time_end_ns",
    "time_end_rfc3339",
    "kind",
    "target",
    "seq",
    "host",
];

/// What an answer printed: distinct hosts, and the records that carry no
/// connection (`NODATA`/`SKIPDATA`) it skipped; and how late the records
/// it read arrived.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Printed {
    /// Distinct hosts printed.
    pub hosts: u64,
    /// Records skipped for carrying no connection.
    pub skipped: u64,
    /// How late the latest-arriving record read was.
    lateness: Lateness,
    /// Whether fast seek chose what was read, in at least one input.
    sought: bool,
}

impl Printed {
    /// The warning, when a record read arrived later than `bound` allows
    /// (docs/behaviour.md#measured-lateness): fast seek, or the early stop
    /// without it, relied on a bound the log breaks.
    pub(crate) fn lateness_warning(&self, bound: Duration) -> Option<String> {
        let past = self.lateness.past(bound)?;
        Some(if self.sought {
            past.warning(
                "fast seek may have missed records",
                "; --no-fast-seek reads every record up to the early stop",
            )
        } else {
            past.warning("the early stop may have missed records", "")
        })
    }
}

/// What every row of one query repeats (see [`COLUMNS`]).
struct RowContext {
    time_init_ns: Option<String>,
    time_init_rfc3339: Option<String>,
    time_end_ns: Option<String>,
    time_end_rfc3339: Option<String>,
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
    pub(crate) progress: Progress,
    /// VPC `NODATA`/`SKIPDATA` records met, skipped.
    skipped: u64,
    /// The times of the records read, in file order.
    arrivals: Arrivals,
    /// Set when fast seek chose the region of an input.
    pub(crate) sought: bool,
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
                time_init_ns: nanos_text(query.time_init.as_nanos()),
                time_init_rfc3339: rfc3339(query.time_init.as_nanos()),
                time_end_ns: nanos_text(query.time_end.as_nanos()),
                time_end_rfc3339: rfc3339(query.time_end.as_nanos()),
                kind: match query.side {
                    Side::To => "to",
                    Side::From => "from",
                },
                target: query.target.label().to_vec(),
            },
            seen: HostSet::new(),
            report,
            progress: Progress::new(false),
            skipped: 0,
            arrivals: Arrivals::default(),
            sought: false,
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
            Field::number_or_absent(c.time_init_ns.as_deref()),
            Field::text_or_absent(c.time_init_rfc3339.as_deref()),
            Field::number_or_absent(c.time_end_ns.as_deref()),
            Field::text_or_absent(c.time_end_rfc3339.as_deref()),
            Field::Str(c.kind),
            Field::Host(&c.target),
            Field::Int(self.seen.len() as u64),
            Field::Host(host),
        ])
    }

    pub(crate) fn merge(
        &mut self,
        scan: &BlockScan,
        name: &InputName,
        lines: &mut LineCounter,
        buf: &[u8],
    ) -> Result<(), Error> {
        // Block hosts carry their key (lower case, hashed).
        for i in 0..scan.hosts.len() {
            if self.seen.insert_from(&scan.hosts, i).1 {
                self.print(scan.hosts.get(i))
                    .doing(|| "cannot write to stdout".into())?;
            }
        }
        for &(offset, why) in &scan.malformed {
            self.malformed(name, lines.line_at(buf, offset), why)?;
        }
        self.report
            .add_unlocated(scan.malformed_total - scan.malformed.len() as u64);
        self.skipped += scan.no_data;
        self.arrivals.then(&scan.arrivals);
        Ok(())
    }

    pub(crate) fn malformed(
        &mut self,
        name: &InputName,
        line: u64,
        why: Malformed,
    ) -> Result<(), Error> {
        let file = name.to_string();
        let report = &mut *self.report;
        self.progress
            .suspend(|| report.record(MalformedLine { file, line, why }))
    }

    /// Flushes the answer (its last rows reach stdout only then) and
    /// returns what it printed and skipped.
    pub fn finish(mut self) -> Result<Printed, Error> {
        self.out.flush().doing(|| "cannot write to stdout".into())?;
        Ok(Printed {
            hosts: self.seen.len() as u64,
            skipped: self.skipped,
            lateness: self.arrivals.lateness(),
            sought: self.sought,
        })
    }
}

/// Line numbers of byte offsets, counted lazily: only up to the last
/// offset asked for, so a seek that skips most of a file does not pay for
/// counting its lines unless a diagnostic needs them.
#[derive(Default)]
pub(crate) struct LineCounter {
    newlines_before: u64,
    counted_to: usize,
}

impl LineCounter {
    /// The 1-based line number of the line starting at `offset` of `buf`;
    /// offsets must be asked for in increasing order.
    pub(crate) fn line_at(&mut self, buf: &[u8], offset: usize) -> u64 {
        self.newlines_before +=
            memchr::memchr_iter(b'\n', &buf[self.counted_to..offset]).count() as u64;
        self.counted_to = offset;
        self.newlines_before + 1
    }

    /// Counts a line the reader dropped whole (too long); returns its number.
    pub(crate) fn skipped_line(&mut self) -> u64 {
        self.newlines_before += 1;
        self.newlines_before
    }

    /// Moves past a streamed block whose bytes will not be seen again.
    pub(crate) fn end_block(&mut self, block: &[u8]) {
        self.line_at(block, block.len());
        self.counted_to = 0;
    }
}
