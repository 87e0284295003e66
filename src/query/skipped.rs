//! What fast seek must know of the part of a file it skips: whether a
//! header line there changes the layout its probes read every line in.
//!
//! The probes read each line in the layout of the file's first header
//! block. Where a later block (rotated Zeek logs of two versions joined
//! into one file, say) orders the fields otherwise, a probe there reads
//! another field as the time or swaps the hosts, and the region it proves
//! can leave out what a full read finds; a region read in the first
//! layout from a start past such a block reads its hosts swapped. So the
//! part before the region is searched for header lines (one `memmem` pass
//! over it, on every core), and a change of layout there means reading
//! the file in order instead (`docs/behaviour.md#fast-seek`). A change
//! inside the region is met by the region's own in-order reading.

use std::ops::Range;

use crate::error::Error;
use crate::io::whole::Whole;
use crate::parse::format::FormatState;
use crate::query::ordered::{for_each_block_in_order, split_blocks};
use crate::query::request::Query;
use crate::query::seek::{Seek, seek_region_in};

/// The region of a mapped input a query must read, or `None` to read it
/// all, in order. `start`: the input's state after its first header
/// block, and where the lines after that block start.
pub(crate) fn seek_whole(
    query: &Query,
    whole: &Whole,
    (state, records_start): &(FormatState, usize),
) -> Result<Option<Seek>, Error> {
    let buf = whole.bytes();
    let seek = seek_region_in(buf, state, query.time_init, query.time_end, query.lateness);
    let skipped = (*records_start).min(seek.start)..seek.start;
    Ok(reads_alike(query, whole, state, skipped)?.then_some(seek))
}

/// Whether every record line of `range` of a whole input is read in
/// `state`, its state after the first header block; checked in blocks on
/// every core, each block from the state the one before it left (checked
/// again in order after a block that ends in another state, as where a
/// header block straddles two).
fn reads_alike(
    query: &Query,
    whole: &Whole,
    state: &FormatState,
    range: Range<usize>,
) -> Result<bool, Error> {
    if state.reads_without_headers() || range.is_empty() {
        return Ok(true);
    }
    let buf = whole.bytes();
    whole.check_len(range.end)?;
    let blocks = split_blocks(buf, range, query.block_bytes.max(1));
    let check = |from: &FormatState, block: &Range<usize>| -> Result<_, Error> {
        whole.check_len(block.end)?;
        whole.prefault(block.clone());
        Ok(from.records_read_as(state, &buf[block.clone()]))
    };
    let mut current = state.clone();
    let mut alike = true;
    for_each_block_in_order(
        &blocks,
        |block| check(state, block),
        |i, mut checked| {
            if current != *state {
                checked = check(&current, &blocks[i])?;
            }
            (alike, current) = (alike && checked.0, checked.1);
            Ok(!alike)
        },
    )?;
    Ok(alike)
}
