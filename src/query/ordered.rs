//! An ordered parallel map over the blocks of a mapped input: workers take
//! blocks in turn, and results are handed on strictly in block order, so
//! that what the caller sees is exactly one sequential pass.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// How far (in blocks) workers may run ahead of the in-order merge; bounds
/// the results held in memory.
const MAX_BLOCKS_AHEAD: usize = 16;

/// Cuts `range` into blocks of about `size` bytes that end at line ends.
pub(crate) fn split_blocks(buf: &[u8], range: Range<usize>, size: usize) -> Vec<Range<usize>> {
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

/// Runs `work` on each of `blocks` on worker threads and hands each result
/// to `merge` in block order; `merge` returns `true` to stop early (the
/// workers then stop taking blocks). A block whose work fails ends the run
/// with its error, in block order too.
pub(crate) fn for_each_block_in_order<T: Send, E: Send>(
    blocks: &[Range<usize>],
    work: impl Fn(&Range<usize>) -> Result<T, E> + Sync,
    mut merge: impl FnMut(usize, T) -> Result<bool, E>,
) -> Result<(), E> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(blocks.len());
    if workers <= 1 {
        for (i, block) in blocks.iter().enumerate() {
            if merge(i, work(block)?)? {
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
            let (next, merged, limit, work) = (&next, &merged, &limit, &work);
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
                    let scan = work(&blocks[i]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_at_line_ends_and_cover_the_range() {
        let buf = b"aaaa\nbb\ncccccc\nd\ne";
        let blocks = split_blocks(buf, 2..buf.len(), 3);
        assert_eq!(blocks, [2..8, 8..15, 15..18]);
        assert_eq!(split_blocks(buf, 5..5, 3), []);
    }

    #[test]
    fn results_arrive_in_block_order_whatever_the_finishing_order() {
        let blocks: Vec<Range<usize>> = (0..200).map(|i| i..i + 1).collect();
        let mut seen = Vec::new();
        for_each_block_in_order(
            &blocks,
            |block| {
                // Early blocks take longest, so workers finish out of order.
                if block.start % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                Ok::<_, ()>(block.start)
            },
            |i, start| {
                assert_eq!(i, start);
                seen.push(start);
                Ok(false)
            },
        )
        .unwrap();
        assert_eq!(seen, (0..200).collect::<Vec<_>>());
    }

    #[test]
    fn a_stop_or_an_error_ends_the_run_at_its_block() {
        let blocks: Vec<Range<usize>> = (0..100).map(|i| i..i + 1).collect();
        let mut seen = Vec::new();
        for_each_block_in_order(
            &blocks,
            |b| Ok::<_, ()>(b.start),
            |i, _| {
                seen.push(i);
                Ok(i == 41)
            },
        )
        .unwrap();
        assert_eq!(seen, (0..=41).collect::<Vec<_>>());
        let mut merged = 0;
        let err = for_each_block_in_order(
            &blocks,
            |b| {
                if b.start == 30 {
                    Err(b.start)
                } else {
                    Ok(b.start)
                }
            },
            |_, _| {
                merged += 1;
                Ok(false)
            },
        );
        assert_eq!(err, Err(30));
        assert_eq!(merged, 30);
    }
}
