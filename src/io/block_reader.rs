//! Reading a byte stream as blocks of whole lines, in bounded memory.
//!
//! Used where a file cannot be memory-mapped (pipes, stdin, compressed
//! data) and by `connspy-stream`, which must also keep reading a file that
//! grows. Blocks end at a line end, so a caller parses each block without
//! ever seeing half a line; a line that would not fit in
//! [`MAX_LINE_BYTES`] is reported once and its bytes are dropped instead
//! of buffered.

use std::io::{self, Read};

use crate::parse::record::MAX_LINE_BYTES;

/// How much is read per `read` call: large enough that syscalls are a small
/// part of the cost, small enough to stay in cache.
const READ_SIZE: usize = 256 * 1024;

/// What the reader hands out next.
#[derive(Debug, PartialEq, Eq)]
pub enum Block<'a> {
    /// One or more whole lines, each ending in `\n`.
    Lines(&'a [u8]),
    /// A line longer than `MAX_LINE_BYTES` was skipped; it counts as one line.
    Overlong,
}

/// Memory: at most `MAX_LINE_BYTES + READ_SIZE` bytes of buffer.
pub struct BlockReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Bytes asked for per read (the buffer grows by as much when full).
    read_size: usize,
    /// `buf[start..end]` is data not yet handed out.
    start: usize,
    end: usize,
    /// Dropping the rest of an overlong line up to its `\n`.
    skipping: bool,
    /// Bytes consumed from `inner` so far.
    bytes_read: u64,
}

impl<R: Read> BlockReader<R> {
    /// Reads `inner` in whole-line blocks, from its current position.
    pub fn new(inner: R) -> BlockReader<R> {
        BlockReader::with_read_size(inner, READ_SIZE)
    }

    /// A reader that asks `inner` for about `read_size` bytes at a time
    /// (at most 256 KiB, what [`new`](Self::new) asks): for a caller that
    /// wants only the first lines, so that neither the buffer nor what a
    /// decompressor produces for it is much larger than they are.
    pub fn with_read_size(inner: R, read_size: usize) -> BlockReader<R> {
        let read_size = read_size.clamp(1, READ_SIZE);
        BlockReader {
            inner,
            buf: vec![0; read_size],
            read_size,
            start: 0,
            end: 0,
            skipping: false,
            bytes_read: 0,
        }
    }

    /// Bytes read from `inner` so far (handed out or still buffered).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The reader underneath, to look at or adjust between blocks.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Swaps in a new source that carries on the same byte stream (a file
    /// read again from its start after a truncation); returns the old
    /// source. The bytes not handed out yet, an unfinished line, are kept:
    /// they join the first bytes of the new source, as `tail -F` shows
    /// them (`docs/behaviour.md#tail`).
    pub fn continue_with(&mut self, inner: R) -> R {
        std::mem::replace(&mut self.inner, inner)
    }

    /// The next block of whole lines, or `None` when the source has no more
    /// data for now (end of file). An unfinished last line stays buffered:
    /// call [`take_partial`](Self::take_partial) at the true end of input.
    pub fn next_block(&mut self) -> io::Result<Option<Block<'_>>> {
        if !self.has_block()? {
            return Ok(None);
        }
        let pending = &self.buf[self.start..self.end];
        if let Some(i) = memchr::memrchr(b'\n', pending) {
            let block = self.start..self.start + i + 1;
            self.start = block.end;
            return Ok(Some(Block::Lines(&self.buf[block])));
        }
        self.start = self.end;
        self.skipping = true;
        Ok(Some(Block::Overlong))
    }

    /// Reads until [`next_block`](Self::next_block) has a block to hand out,
    /// without handing it out; `false` at the current end of data.
    ///
    /// A caller that must decide between reading on and doing something
    /// else at the end of data (a file follower checking for rotation)
    /// asks this first, so that the borrow `next_block` returns is only
    /// taken once a block is certain.
    pub fn has_block(&mut self) -> io::Result<bool> {
        loop {
            let pending = &self.buf[self.start..self.end];
            if self.skipping {
                if let Some(i) = memchr::memchr(b'\n', pending) {
                    self.start += i + 1;
                    self.skipping = false;
                    continue;
                }
                self.start = self.end;
            } else if memchr::memrchr(b'\n', pending).is_some() || pending.len() > MAX_LINE_BYTES {
                return Ok(true);
            }
            if self.fill()? == 0 {
                return Ok(false);
            }
        }
    }

    /// Whether [`take_partial`](Self::take_partial) would return a line.
    pub fn has_partial(&self) -> bool {
        self.partial_len() > 0
    }

    /// How many bytes [`take_partial`](Self::take_partial) would return.
    pub fn partial_len(&self) -> usize {
        if self.skipping {
            0
        } else {
            self.end - self.start
        }
    }

    /// The unfinished last line (no `\n`), which at the true end of input is
    /// a line like any other; `None` when there is none.
    pub fn take_partial(&mut self) -> Option<Block<'_>> {
        if !self.has_partial() {
            self.skipping = false;
            self.start = self.end;
            return None;
        }
        let block = self.start..self.end;
        self.start = self.end;
        Some(Block::Lines(&self.buf[block]))
    }

    /// Reads more data after the pending bytes; returns how many bytes came.
    fn fill(&mut self) -> io::Result<usize> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < self.read_size {
            self.buf.resize(self.end + self.read_size, 0);
        }
        let n = loop {
            let room = self.end..self.buf.len().min(self.end + self.read_size);
            match self.inner.read(&mut self.buf[room]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.end += n;
        self.bytes_read += n as u64;
        Ok(n)
    }
}

/// A reader that hands out at most `step` bytes per call: tests and the
/// fuzz targets use it to check that results do not depend on where reads
/// split the data.
pub struct Trickle<'a> {
    /// The bytes handed out, a few at a time.
    pub data: &'a [u8],
    /// At most this many bytes per read.
    pub step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<R: Read>(r: &mut BlockReader<R>) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        let mut overlong = 0;
        while let Some(b) = r.next_block().unwrap() {
            match b {
                Block::Lines(l) => {
                    assert_eq!(l.last(), Some(&b'\n'));
                    out.extend_from_slice(l)
                }
                Block::Overlong => overlong += 1,
            }
        }
        if let Some(Block::Lines(l)) = r.take_partial() {
            out.extend_from_slice(l);
        }
        (out, overlong)
    }

    #[test]
    fn blocks_hold_whole_lines_whatever_the_read_sizes() {
        let data = b"1 a b\n22 cc dd\n333 e f";
        for step in 1..data.len() + 1 {
            let mut r = BlockReader::new(Trickle { data, step });
            assert_eq!(drain(&mut r), (data.to_vec(), 0), "step {step}");
            assert_eq!(r.bytes_read(), data.len() as u64);
        }
    }

    #[test]
    fn a_small_read_size_reads_little_and_still_gives_whole_lines() {
        let data = b"1 a b\n22 cc dd\n333 e f\n".repeat(100);
        let mut r = BlockReader::with_read_size(&data[..], 10);
        assert_eq!(r.next_block().unwrap(), Some(Block::Lines(&b"1 a b\n"[..])));
        assert!(r.bytes_read() <= 10, "{}", r.bytes_read());
        let mut rest = BlockReader::with_read_size(&data[..], 10);
        assert_eq!(drain(&mut rest), (data.clone(), 0));
    }

    #[test]
    fn overlong_lines_are_skipped_in_bounded_memory() {
        let mut data = b"1 a b\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES * 2 + 5));
        data.extend_from_slice(b"\n2 c d\n");
        let mut r = BlockReader::new(Trickle {
            data: &data,
            step: 100_000,
        });
        assert_eq!(drain(&mut r), (b"1 a b\n2 c d\n".to_vec(), 1));
        assert!(r.buf.len() <= MAX_LINE_BYTES + 2 * READ_SIZE);
    }

    #[test]
    fn an_overlong_unterminated_tail_is_not_a_line() {
        let mut data = b"1 a b\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 1));
        let mut r = BlockReader::new(&data[..]);
        assert_eq!(drain(&mut r), (b"1 a b\n".to_vec(), 1));
    }

    #[test]
    fn a_partial_line_waits_until_more_data_arrives() {
        let mut r = BlockReader::new(io::Cursor::new(b"1 a b\n2 c".to_vec()));
        assert_eq!(r.next_block().unwrap(), Some(Block::Lines(b"1 a b\n")));
        assert_eq!(r.next_block().unwrap(), None);
        // The writer finishes the line; the same reader picks it up.
        let cursor = r.get_mut();
        let pos = cursor.position();
        cursor.get_mut().extend_from_slice(b" d\n");
        cursor.set_position(pos);
        assert_eq!(r.next_block().unwrap(), Some(Block::Lines(b"2 c d\n")));
    }

    #[test]
    fn a_source_that_carries_on_the_stream_finishes_the_unfinished_line() {
        let mut r = BlockReader::new(&b"1 a b\n2 c"[..]);
        assert_eq!(r.next_block().unwrap(), Some(Block::Lines(b"1 a b\n")));
        assert_eq!(r.next_block().unwrap(), None);
        r.continue_with(&b" d\n3 e f\n"[..]);
        assert_eq!(
            r.next_block().unwrap(),
            Some(Block::Lines(b"2 c d\n3 e f\n"))
        );
    }

    #[test]
    fn has_block_and_has_partial_look_ahead_without_handing_out() {
        let mut r = BlockReader::new(&b"1 a b\n2 c"[..]);
        assert!(!r.has_partial());
        assert!(r.has_block().unwrap());
        assert!(r.has_block().unwrap(), "asking twice hands nothing out");
        assert_eq!(r.next_block().unwrap(), Some(Block::Lines(b"1 a b\n")));
        assert!(!r.has_block().unwrap());
        assert!(r.has_partial());
        assert_eq!(r.take_partial(), Some(Block::Lines(b"2 c")));
        assert!(!r.has_partial());
    }
}
