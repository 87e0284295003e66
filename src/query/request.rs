//! One query as asked: the host and side, the time range, how the inputs
//! are read, and the tests of a record against it that every kernel
//! shares.

use std::ops::Range;

use crate::error::Error;
use crate::parse::detail::{DetailField, Wanted};
use crate::parse::filter::RecordFilter;
use crate::parse::format::{FormatState, InputFormat};
use crate::parse::horizon::{Horizon, wall_clock};
use crate::parse::record::Record;
use crate::parse::target::Target;
use crate::parse::timestamp::{Duration, Timestamp};

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

/// `time_init..time_end` as the range of a query; one that ends before it
/// starts is a usage error (named by the options that give it).
pub fn checked_range(time_init: Timestamp, time_end: Timestamp) -> Result<Range<Timestamp>, Error> {
    if time_end < time_init {
        return Err(Error::Usage(format!(
            "--time-end ({time_end}) is before --time-init ({time_init})"
        )));
    }
    Ok(time_init..time_end)
}

impl Query {
    /// The query for the hosts on the other `side` of `target` in `range`
    /// (see [`checked_range`]), read as `input_format` under the lateness
    /// bound, seeking to the range when `fast_seek`, in blocks of
    /// [`DEFAULT_BLOCK_BYTES`]; no pair, filter or summary (set those
    /// fields to ask for them).
    pub fn new(
        target: Target,
        side: Side,
        range: Range<Timestamp>,
        input_format: InputFormat,
        lateness: Duration,
        fast_seek: bool,
    ) -> Query {
        Query {
            target,
            side,
            source: None,
            filter: RecordFilter::default(),
            summary: false,
            input_format,
            time_init: range.start,
            time_end: range.end,
            lateness,
            fast_seek,
            block_bytes: DEFAULT_BLOCK_BYTES,
        }
    }

    /// The host a matching record contributes, if it matches its time
    /// and target (a [`source`](Self::source), a filter, are tested after,
    /// by the kernels' refined path: this test is every candidate's).
    #[inline]
    pub(crate) fn answer<'a>(&self, rec: &Record<'a>) -> Option<&'a [u8]> {
        if rec.ts < self.time_init || rec.ts >= self.time_end {
            return None;
        }
        let (key, reported) = match self.side {
            Side::To => (rec.to, rec.from),
            Side::From => (rec.from, rec.to),
        };
        self.target.matches(key).then_some(reported)
    }

    /// Whether an answer is just its host: no pair, filter or summary to
    /// work out (the original's query, and the fast path).
    #[inline]
    pub(crate) fn answers_hosts_only(&self) -> bool {
        self.source.is_none() && !self.summary && self.filter.is_empty()
    }

    /// The record fields a summary row needs beyond time and hosts (the
    /// filters add their own).
    pub(crate) fn wanted(&self) -> Wanted {
        if self.summary {
            Wanted::NONE
                .with(DetailField::Bytes)
                .with(DetailField::Packets)
                .with(DetailField::DstPort)
        } else {
            Wanted::NONE
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
    // Always inlined: it is every line's test in a candidates scan.
    #[inline(always)]
    pub(crate) fn may_match_in(&self, state: &FormatState, line: &[u8]) -> bool {
        state
            .key_field(line, self.side == Side::To)
            .is_none_or(|field| self.target.matches(field))
    }

    /// Where the early stop falls: no record at or after it can match
    /// (`docs/behaviour.md#early-stop`).
    pub(crate) fn stop_at(&self) -> Timestamp {
        self.time_end.saturating_add(self.lateness)
    }

    /// The latest time a record may have to be believed: one past it is
    /// malformed, and never stops the read
    /// (docs/behaviour.md#implausible-times).
    pub(crate) fn believable_until(&self) -> Timestamp {
        Horizon::new(self.lateness).limit(wall_clock(), self.stop_at())
    }
}
