//! What `connspy` prints: block results merged in file order into one
//! answer, deduplicated, with malformed lines reported at their line
//! numbers.

use std::io::{self, Write};

use crate::error::{Error, IoContext};

use crate::diagnostics::{MalformedLine, MalformedReport};
use crate::io::input::InputName;
use crate::output::{Field, Format, RowWriter, nanos_text, rfc3339};
use crate::parse::filter::Unfilterable;
use crate::parse::host_set::HostSet;
use crate::parse::lateness::{Arrivals, Lateness};
use crate::parse::record::Malformed;
use crate::parse::timestamp::Duration;
use crate::query::columns::{
    COLUMNS, PAIR_COLUMNS, SUMMARY_COLUMNS, SUMMARY_PAIR_COLUMNS, tsv_header,
};
use crate::query::pair::split_pair;
use crate::query::progress::Progress;
use crate::query::request::{Query, Side};
use crate::query::scan::BlockScan;
use crate::query::summary::Peer;

/// What an answer printed: distinct hosts, and the records that carry no
/// connection (`NODATA`/`SKIPDATA`) it skipped; and how late the records
/// it read arrived.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Printed {
    /// Distinct hosts (or pairs) printed.
    pub hosts: u64,
    /// Records skipped for carrying no connection.
    pub skipped: u64,
    /// With `--summary`, rows whose bytes or packets leave out records
    /// that gave none.
    pub partial_sums: u64,
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
    /// The queried target, or with a pair the `--from` and `--to` ones.
    targets: Vec<Vec<u8>>,
}

/// Gathers block results in file order: dedups and prints hosts, reports
/// malformed lines with their line numbers, and moves the progress bar.
pub struct Answer<'r, W: Write> {
    out: RowWriter<W>,
    context: RowContext,
    /// Hosts, or pairs (keys of [`crate::query::pair`]), in first-seen order.
    seen: HostSet,
    pairs: bool,
    /// With `--summary`, what each of `seen` adds up to (same index);
    /// rows are printed at the end.
    peers: Option<Vec<Peer>>,
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
        let pairs = query.source.is_some();
        let columns = match (query.summary, pairs) {
            (false, false) => COLUMNS,
            (false, true) => PAIR_COLUMNS,
            (true, false) => SUMMARY_COLUMNS,
            (true, true) => SUMMARY_PAIR_COLUMNS,
        };
        let targets = match &query.source {
            Some(source) => vec![source.label().to_vec(), query.target.label().to_vec()],
            None => vec![query.target.label().to_vec()],
        };
        Answer {
            out: RowWriter::new(out, format, columns),
            context: RowContext {
                time_init_ns: nanos_text(query.time_init.as_nanos()),
                time_init_rfc3339: rfc3339(query.time_init.as_nanos()),
                time_end_ns: nanos_text(query.time_end.as_nanos()),
                time_end_rfc3339: rfc3339(query.time_end.as_nanos()),
                kind: match (query.side, pairs) {
                    (_, true) => "pair",
                    (Side::To, false) => "to",
                    (Side::From, false) => "from",
                },
                targets,
            },
            seen: HostSet::new(),
            pairs,
            peers: query.summary.then(Vec::new),
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

    /// Prints a host (or pair) met for the first time: the `seq`-th.
    fn print(&mut self, seq: usize, key: &[u8]) -> io::Result<()> {
        if !self.pairs && self.out.format() == Format::Tsv {
            return self.out.row(&[Field::Host(key)]);
        }
        let fields = lead(&self.context, self.out.format(), self.pairs, seq, key);
        self.out.row(&fields)
    }

    /// Whether a malformed line is an error (`--strict`): then every line
    /// of a region fast seek leaves is checked, whatever the target.
    pub(crate) fn checks_every_line(&self) -> bool {
        self.report.is_strict()
    }

    pub(crate) fn merge(
        &mut self,
        scan: &BlockScan,
        name: &InputName,
        lines: &mut LineCounter,
        buf: &[u8],
    ) -> Result<(), Error> {
        if let Some(unfilterable) = scan.unfilterable {
            return Err(unfilterable_input(name, unfilterable));
        }
        // Block hosts carry their key (lower case, hashed).
        for i in 0..scan.hosts.len() {
            let (at, new) = self.seen.insert_from(&scan.hosts, i);
            match &mut self.peers {
                Some(peers) if new => peers.push(scan.peers[i].clone()),
                Some(peers) => peers[at].merge(&scan.peers[i]),
                None if new => self
                    .print(self.seen.len(), scan.hosts.get(i))
                    .doing(|| "cannot write to stdout".into())?,
                None => {}
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
        let mut partial_sums = 0;
        if let Some(peers) = self.peers.take() {
            self.summary_rows(&peers)
                .doing(|| "cannot write to stdout".into())?;
            partial_sums = peers.iter().filter(|p| p.partial_sums()).count() as u64;
        }
        self.out.flush().doing(|| "cannot write to stdout".into())?;
        Ok(Printed {
            hosts: self.seen.len() as u64,
            skipped: self.skipped,
            partial_sums,
            lateness: self.arrivals.lateness(),
            sought: self.sought,
        })
    }

    /// Prints the `--summary` rows, after a header line in TSV.
    fn summary_rows(&mut self, peers: &[Peer]) -> io::Result<()> {
        let format = self.out.format();
        if format == Format::Tsv {
            let columns = if self.pairs {
                SUMMARY_PAIR_COLUMNS
            } else {
                SUMMARY_COLUMNS
            };
            self.out.row(&tsv_header(columns))?;
        }
        for (i, peer) in peers.iter().enumerate() {
            let lead = lead(&self.context, format, self.pairs, i + 1, self.seen.get(i));
            peer.write_row(&mut self.out, &lead)?;
        }
        Ok(())
    }
}

/// The fields of a row up to and with its host or pair: the query's own
/// (not in TSV) and the row's position `seq`, then the host, or the pair
/// a set's `key` holds (see [`crate::query::pair`]).
fn lead<'k>(
    context: &'k RowContext,
    format: Format,
    pairs: bool,
    seq: usize,
    key: &'k [u8],
) -> Vec<Field<'k>> {
    let mut fields = Vec::with_capacity(10);
    if format != Format::Tsv {
        fields.extend([
            Field::number_or_absent(context.time_init_ns.as_deref()),
            Field::text_or_absent(context.time_init_rfc3339.as_deref()),
            Field::number_or_absent(context.time_end_ns.as_deref()),
            Field::text_or_absent(context.time_end_rfc3339.as_deref()),
            Field::Str(context.kind),
        ]);
        fields.extend(context.targets.iter().map(|t| Field::Host(t)));
        fields.push(Field::Int(seq as u64));
    }
    if pairs {
        let (from, to) = split_pair(key);
        fields.extend([Field::Host(from), Field::Host(to)]);
    } else {
        fields.push(Field::Host(key));
    }
    fields
}

/// The error of an input a filter cannot be applied to: a usage error
/// (the command line asks what the input cannot answer), naming it.
pub(crate) fn unfilterable_input(name: &InputName, unfilterable: Unfilterable) -> Error {
    Error::Usage(format!("{name}: {unfilterable}"))
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
