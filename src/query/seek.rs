//! Binary search of a time-ordered log for where a query must read.
//!
//! A log is only *roughly* in time order: each record is at most `L` older
//! than the newest one before it (the lateness bound). That is enough to
//! bound a query's reading by two records found by bisection, like BSD
//! `look`: probe at a byte offset, re-align to the next line start, skip
//! malformed lines, compare, halve.
//!
//! - **Start.** A record `k` with `TS_k < time_init - L` proves that every
//!   record before it has `TS < time_init` (else `k` would be more than `L`
//!   late), so reading may start right after it.
//! - **End.** A record `k` with `TS_k >= time_end + L` proves that every
//!   record after it has `TS >= time_end`, so reading may end right before
//!   it.
//!
//! Each search costs O(log(file size)) probes; the [`Seek::probes`] count
//! lets tests check that without timing anything.

use crate::parse::format::{FormatState, Parsed};
use crate::parse::horizon::{Horizon, wall_clock};
use crate::parse::lines::{LineStep, next_line_start};
use crate::parse::record::MAX_LINE_BYTES;
#[cfg(test)]
use crate::parse::record::parse_record;
use crate::parse::timestamp::{Duration, Timestamp};

/// The part of a log a query must read, and what finding it cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seek {
    /// Line start where reading begins.
    pub start: usize,
    /// Line start (or the buffer's end) where reading may stop.
    pub end: usize,
    /// Whether a record proved that nothing before `start` can match (so
    /// earlier files of the same stream need not be read either).
    pub start_proven: bool,
    /// Whether a record proved that nothing from `end` on can match (so
    /// later files need not be read either).
    pub end_proven: bool,
    /// Probes made by both searches together.
    pub probes: u32,
}

/// Finds the region of `buf`, a plain log, that can hold records with
/// `time_init <= TS < time_end`, assuming the lateness bound holds.
pub fn seek_region(
    buf: &[u8],
    time_init: Timestamp,
    time_end: Timestamp,
    lateness: Duration,
) -> Seek {
    seek_region_in(buf, &FormatState::Plain, time_init, time_end, lateness)
}

/// [`seek_region`] for a log of any format: probes read lines as `state`
/// (the input's state after its first header block) tells, and step over
/// header lines as over malformed ones.
pub fn seek_region_in(
    buf: &[u8],
    state: &FormatState,
    time_init: Timestamp,
    time_end: Timestamp,
    lateness: Duration,
) -> Seek {
    let mut probes = 0;
    let start_before = time_init.saturating_sub(lateness);
    let start = bisect(buf, state, 0, Bound::Start, &mut probes, |ts| {
        ts < start_before
    });
    let stop_at = time_end.saturating_add(lateness);
    // A time too far ahead to believe proves nothing: probes step on.
    let believable = Horizon::new(lateness).limit(wall_clock(), stop_at);
    let end = bisect(
        buf,
        state,
        start.unwrap_or(0),
        Bound::End,
        &mut probes,
        |ts| ts >= stop_at && ts <= believable,
    );
    Seek {
        start: start.unwrap_or(0),
        end: end.unwrap_or(buf.len()),
        start_proven: start.is_some(),
        end_proven: end.is_some(),
        probes,
    }
}

/// A well-formed record found by a probe.
struct Probe {
    ts: Timestamp,
    /// Where its line starts.
    start: usize,
    /// Where the next line starts.
    next: usize,
}

/// The first well-formed record whose line starts in `[from, limit)`.
///
/// Malformed lines are stepped over; the scan never passes `limit` by more
/// than [`MAX_LINE_BYTES`] (a line that starts before it and ends further
/// on is malformed anyway), so a run of malformed lines, or one endless
/// line, costs at most the bytes of the range being searched: the
/// bisection stays O(file size) in its worst case and O(log(file size))
/// probes always.
fn first_record(buf: &[u8], state: &FormatState, from: usize, limit: usize) -> Option<Probe> {
    let scan_end = limit.saturating_add(MAX_LINE_BYTES + 1).min(buf.len());
    let mut step = LineStep::new(from, scan_end);
    loop {
        let start = step.position();
        if start >= limit {
            return None;
        }
        let line = step.next_line(buf)?;
        if let Parsed::Record(rec) = state.peek(line) {
            return Some(Probe {
                ts: rec.ts,
                start,
                next: step.position(),
            });
        }
    }
}

/// Which end of the region a bisection looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    /// The last proving record it can find; reading starts after it.
    Start,
    /// The first proving record it can find; reading ends before it.
    End,
}

/// Bisects `buf[from..]` for a record satisfying `proves`: for
/// [`Bound::Start`] returns the line start just after the last one met,
/// for [`Bound::End`] the line start of the first one met; `None` when no
/// probe found one.
fn bisect(
    buf: &[u8],
    state: &FormatState,
    from: usize,
    bound: Bound,
    probes: &mut u32,
    proves: impl Fn(Timestamp) -> bool,
) -> Option<usize> {
    let (mut lo, mut hi) = (from, buf.len());
    let mut found = None;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        *probes += 1;
        match (
            bound,
            first_record(buf, state, next_line_start(&buf[..hi], mid).max(from), hi),
        ) {
            (Bound::Start, Some(p)) if proves(p.ts) => {
                found = Some(p.next);
                lo = p.next;
            }
            (Bound::End, Some(p)) if proves(p.ts) => {
                found = Some(p.start);
                hi = mid;
            }
            (Bound::End, Some(p)) => lo = p.next,
            _ => hi = mid,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One record per second from `t0`, `n` lines.
    fn log(t0: u64, n: u64) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{} h{} x\n", t0 + i, i % 7).into_bytes())
            .collect()
    }

    fn secs(s: u64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    /// Every record as (line start, TS).
    fn records(buf: &[u8]) -> Vec<(usize, Timestamp)> {
        let mut step = LineStep::new(0, buf.len());
        let mut out = Vec::new();
        while let Some((s, e)) = step.next_range(buf) {
            out.push((s, parse_record(&buf[s..e]).unwrap().ts));
        }
        out
    }

    #[test]
    fn region_is_bounded_by_proving_records_and_stays_tight() {
        let buf = log(1000, 10_000);
        let s = seek_region(&buf, secs(5000), secs(6000), Duration::from_secs(10));
        assert!(s.start_proven && s.end_proven);
        let recs = records(&buf);
        let read: Vec<_> = recs
            .iter()
            .filter(|(o, _)| (s.start..s.end).contains(o))
            .collect();
        // Nothing in the window is left out ...
        for (o, ts) in &recs {
            if (secs(5000)..secs(6000)).contains(ts) {
                assert!((s.start..s.end).contains(o), "record at {ts:?} skipped");
            }
        }
        // ... and little outside it is read: at most L either side.
        assert!(read.first().unwrap().1 >= secs(4980));
        assert!(read.last().unwrap().1 <= secs(6010));
    }

    #[test]
    fn a_window_before_or_after_the_log_reads_nothing_or_everything_safely() {
        let buf = log(1000, 1000);
        let late = Duration::from_secs(300);
        let before = seek_region(&buf, secs(0), secs(10), late);
        assert_eq!((before.start, before.start_proven), (0, false));
        let after = seek_region(&buf, secs(90_000), secs(99_999), late);
        assert_eq!(after.end, buf.len());
        assert!(after.start_proven && !after.end_proven);
    }

    #[test]
    fn malformed_probe_lines_are_stepped_over() {
        let mut buf = Vec::new();
        for i in 0..2000u64 {
            buf.extend_from_slice(if i % 3 == 0 { b"garbage\n" } else { b"" });
            buf.extend_from_slice(format!("{} a b\n", 1000 + i).as_bytes());
        }
        let s = seek_region(&buf, secs(2500), secs(2600), Duration::from_secs(0));
        assert!(s.start_proven && s.end_proven);
        assert!(s.start <= s.end);
    }

    #[test]
    fn empty_and_all_malformed_buffers_read_from_zero_to_end() {
        for buf in [&b""[..], b"no\nrecords\nhere"] {
            let s = seek_region(buf, secs(5), secs(10), Duration::from_secs(1));
            assert_eq!((s.start, s.end), (0, buf.len()));
        }
    }
}
