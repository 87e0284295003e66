//! The two block kernels of the query and what a block contributes.
//!
//! - **full** (`--no-fast-seek`, and inputs that cannot be mapped): every
//!   line is parsed, every malformed line is reported, and reading stops at
//!   the first record with `TS >= time_end + L` (the early stop,
//!   `docs/behaviour.md#connspy-the-query`).
//! - **candidates** (fast seek): the seeker has already bounded the region
//!   by proving records, so only lines whose host field can match are
//!   parsed; the others cannot change the answer. Malformed lines are
//!   reported among those parsed.

use std::ops::Range;

use crate::diagnostics::SHOWN_MALFORMED;
use crate::io::whole::Whole;
use crate::parse::format::{FormatState, Parsed, plain_error};
use crate::parse::host_set::HostSet;
use crate::parse::lines::LineEnds;
use crate::parse::record::{Malformed, parse_record};
use crate::query::Query;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    Full,
    Candidates,
}

/// What one block contributed.
#[derive(Default)]
pub(crate) struct BlockScan {
    /// Reported hosts, first occurrence within the block, in order.
    pub(crate) hosts: HostSet,
    /// The first few malformed lines: (offset of the line, why).
    pub(crate) malformed: Vec<(usize, Malformed)>,
    pub(crate) malformed_total: u64,
    /// The full kernel met the early-stop record.
    pub(crate) stopped: bool,
    /// VPC `NODATA`/`SKIPDATA` records met (skipped, counted).
    pub(crate) no_data: u64,
    /// The reading state after the block, when a header line in it
    /// changed the one it started with.
    pub(crate) end_state: Option<FormatState>,
}

impl BlockScan {
    fn malformed(&mut self, offset: usize, why: Malformed) {
        self.malformed_total += 1;
        if self.malformed.len() < SHOWN_MALFORMED as usize {
            self.malformed.push((offset, why));
        }
    }
}

/// Scans `buf[range]` with `kernel`, reading lines in the format `state`
/// tells; header lines met update `state`.
pub(crate) fn scan_block(
    query: &Query,
    kernel: Kernel,
    state: &mut FormatState,
    buf: &[u8],
    range: Range<usize>,
) -> BlockScan {
    let candidates = kernel == Kernel::Candidates;
    if state.is_plain() {
        return scan_plain(query, kernel, buf, range);
    }
    let before = state.clone();
    let mut scan = scan_lines(query, kernel, buf, range, |line| {
        (!candidates || query.may_match_in(state, line)).then(|| state.parse_line(line))
    });
    if *state != before {
        scan.end_state = Some(state.clone());
    }
    scan
}

/// The plain format's own loop, exactly as before there were formats:
/// the per-line cost of most logs.
fn scan_plain(query: &Query, kernel: Kernel, buf: &[u8], range: Range<usize>) -> BlockScan {
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
            Err(why) => scan.malformed(offset, plain_error(line, why)),
        }
    }
    scan
}

#[inline(always)]
fn scan_lines<'b>(
    query: &Query,
    kernel: Kernel,
    buf: &'b [u8],
    range: Range<usize>,
    mut read: impl FnMut(&'b [u8]) -> Option<Parsed<'b>>,
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
        match read(line) {
            None | Some(Parsed::Header) => {}
            Some(Parsed::Record(rec)) if kernel == Kernel::Full && rec.ts >= stop_at => {
                scan.stopped = true;
                break;
            }
            Some(Parsed::Record(rec)) => {
                if let Some(host) = query.answer(&rec) {
                    scan.hosts.insert(host);
                }
            }
            Some(Parsed::Malformed(why)) => scan.malformed(offset, why),
            Some(Parsed::NoData) => scan.no_data += 1,
        }
    }
    scan
}

/// Scans one block of a whole input, once the file is known to still
/// hold it, and with its pages asked for in one call.
pub(crate) fn scan_whole_block(
    query: &Query,
    kernel: Kernel,
    state: &FormatState,
    whole: &Whole,
    block: &Range<usize>,
) -> anyhow::Result<BlockScan> {
    whole.check_len(block.end)?;
    whole.prefault(block.clone());
    let mut state = state.clone();
    Ok(scan_block(
        query,
        kernel,
        &mut state,
        whole.bytes(),
        block.clone(),
    ))
}
