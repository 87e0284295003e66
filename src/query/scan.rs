//! The two block kernels of the query and what a block contributes.
//!
//! - **full** (`--no-fast-seek`, and inputs that cannot be mapped): every
//!   line is parsed, every malformed line is reported, and reading stops at
//!   the first record with `TS >= time_end + L` (the early stop,
//!   `docs/behaviour.md#query`).
//! - **candidates** (fast seek): the seeker has already bounded the region
//!   by proving records, so only lines whose host field can match are
//!   parsed; the others cannot change the answer. Malformed lines are
//!   reported among those parsed.

use std::ops::Range;

use crate::diagnostics::SHOWN_MALFORMED;
use crate::error::Error;
use crate::io::whole::Whole;
use crate::parse::host_set::HostSet;
use crate::parse::lines::LineEnds;
use crate::parse::record::{Malformed, parse_record};
use crate::query::Query;

/// How a block is scanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// Every line parsed and reported; stops at the early-stop record.
    Full,
    /// Only lines that may match are parsed (inside a region fast seek
    /// has already bounded).
    Candidates,
}

/// What one block contributed.
#[derive(Default)]
pub(crate) struct BlockScan {
    /// Reported hosts, first occurrence within the block, in order.
    pub(crate) hosts: HostSet,
    /// The first few malformed lines: (offset of the line, why).
    pub(crate) malformed: Vec<(usize, Malformed)>,
    /// Every malformed line met, shown or not.
    pub(crate) malformed_total: u64,
    /// The full kernel met the early-stop record.
    pub(crate) stopped: bool,
}

impl BlockScan {
    fn malformed(&mut self, offset: usize, why: Malformed) {
        self.malformed_total += 1;
        if self.malformed.len() < SHOWN_MALFORMED as usize {
            self.malformed.push((offset, why));
        }
    }
}

/// Scans `range` of `buf` (whole lines) for `query` with `kernel`.
pub(crate) fn scan_block(
    query: &Query,
    kernel: Kernel,
    buf: &[u8],
    range: Range<usize>,
) -> BlockScan {
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

/// Scans one block of a whole input, once the file is known to still
/// hold it, and with its pages asked for in one call.
pub(crate) fn scan_whole_block(
    query: &Query,
    kernel: Kernel,
    whole: &Whole,
    block: &Range<usize>,
) -> Result<BlockScan, Error> {
    whole.check_len(block.end)?;
    whole.prefault(block.clone());
    Ok(scan_block(query, kernel, whole.bytes(), block.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::timestamp::{Duration, Timestamp};
    use crate::query::Side;

    fn query(side: Side, host: &str) -> Query {
        Query {
            host: host.as_bytes().to_vec(),
            side,
            time_init: Timestamp::from_secs(10),
            time_end: Timestamp::from_secs(20),
            lateness: Duration::from_secs(5),
            fast_seek: false,
            block_bytes: 64,
        }
    }

    fn hosts(scan: &BlockScan) -> Vec<&[u8]> {
        scan.hosts.iter().collect()
    }

    #[test]
    fn the_full_kernel_stops_inside_a_block_at_time_end_plus_lateness() {
        let log = b"10 a x\n24 b x\n25 c x\n11 d x\n";
        let scan = scan_block(&query(Side::To, "X"), Kernel::Full, log, 0..log.len());
        // 24 is past the range but before the stop; 25 = 20 + 5 stops.
        assert!(scan.stopped);
        assert_eq!(hosts(&scan), [&b"a"[..]]);
    }

    #[test]
    fn the_candidates_kernel_parses_only_lines_ending_in_the_host() {
        let log = b"12 a x\nnot a record at all\n13 b y\n14 c X\n99 d x\n";
        let scan = scan_block(&query(Side::To, "x"), Kernel::Candidates, log, 0..log.len());
        // Reads on past the stop (the seek bounded the region), and never
        // parses the garbage line, whose last field is not the host.
        assert!(!scan.stopped);
        assert_eq!(scan.malformed_total, 0);
        assert_eq!(hosts(&scan), [&b"a"[..], b"c"]);
        let full = scan_block(&query(Side::To, "x"), Kernel::Full, log, 0..log.len());
        assert_eq!(full.malformed_total, 1);
        assert_eq!(full.malformed, [(7, Malformed::FieldCount(4))]);
    }

    #[test]
    fn from_reports_the_destinations_once_each_in_first_seen_order() {
        let log = b"10 h b\n11 H a\n12 h b\n13 x h\n14 h c";
        let scan = scan_block(&query(Side::From, "h"), Kernel::Full, log, 0..log.len());
        assert_eq!(hosts(&scan), [&b"b"[..], b"a", b"c"]);
    }
}
