//! Stepping through lines of a byte buffer.
//!
//! Finding line ends is most of the cost of reading a log, so it is never
//! done byte by byte. [`LineStep`] asks `memchr` for the next `\n` (one
//! line at a time; it holds positions, not borrows, so a caller can keep
//! one across refills of a buffer or across probes of a memory map).
//! [`LineEnds`] finds every `\n` of a block through a 64-byte bit mask
//! (hand-written SSE2 compares on x86_64, a loop the compiler vectorises
//! elsewhere), which is several times cheaper for short lines.

/// Iterates the lines of `buf[pos..end]`, yielding each line without its
/// `\n`; a last line with no `\n` is yielded too.
#[derive(Clone, Debug)]
pub(crate) struct LineStep {
    pos: usize,
    end: usize,
}

impl LineStep {
    pub(crate) fn new(pos: usize, end: usize) -> LineStep {
        LineStep { pos, end }
    }

    /// The byte offset of the next line to be yielded.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The next line as `(start, end)` offsets (`end` excludes the `\n`).
    #[inline]
    pub(crate) fn next_range(&mut self, buf: &[u8]) -> Option<(usize, usize)> {
        if self.pos >= self.end {
            return None;
        }
        let start = self.pos;
        match memchr::memchr(b'\n', &buf[start..self.end]) {
            Some(i) => {
                self.pos = start + i + 1;
                Some((start, start + i))
            }
            None => {
                self.pos = self.end;
                Some((start, self.end))
            }
        }
    }

    /// The next line's bytes (without `\n`).
    #[inline]
    pub(crate) fn next_line<'b>(&mut self, buf: &'b [u8]) -> Option<&'b [u8]> {
        self.next_range(buf).map(|(s, e)| &buf[s..e])
    }
}

/// The positions of every `\n` in a buffer, in order.
///
/// Built 64 bytes at a time into a bit mask (SSE2 compares on x86_64, a
/// compare loop the compiler vectorises elsewhere), then read off bit by bit: for the
/// short lines of a connection log this is several times cheaper than one
/// `memchr` call per line.
pub(crate) struct LineEnds<'a> {
    buf: &'a [u8],
    /// Offset of the 64-byte chunk `mask` describes.
    chunk: usize,
    /// Newlines of the current chunk not yet yielded.
    mask: u64,
}

impl<'a> LineEnds<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> LineEnds<'a> {
        LineEnds {
            buf,
            chunk: 0,
            mask: newline_mask(buf),
        }
    }
}

impl Iterator for LineEnds<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.chunk += 64;
            if self.chunk >= self.buf.len() {
                return None;
            }
            self.mask = newline_mask(&self.buf[self.chunk..]);
        }
        let bit = self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(self.chunk + bit)
    }
}

/// Every line of a block, with the offset it starts at; the last line may
/// lack its `\n`. [`LineEnds`] with the bookkeeping every scan of a block
/// needs.
pub(crate) struct Lines<'a> {
    ends: LineEnds<'a>,
    /// Where the next line starts (past the end once the last is out).
    start: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Lines<'a> {
        Lines {
            ends: LineEnds::new(buf),
            start: 0,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        let buf = self.ends.buf;
        let start = self.start;
        let end = match self.ends.next() {
            Some(end) => end,
            None if start < buf.len() => buf.len(),
            None => return None,
        };
        self.start = end + 1;
        Some((start, &buf[start..end]))
    }
}

/// Bit `i` set when byte `i` of the first 64 bytes of `chunk` is `\n`.
#[inline(always)]
fn newline_mask(chunk: &[u8]) -> u64 {
    match chunk.first_chunk::<64>() {
        Some(block) => newline_mask_64(block),
        None => newline_bits(chunk),
    }
}

/// Four 16-byte compares and byte masks: SSE2 is part of every x86_64.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn newline_mask_64(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut mask = 0;
    for (i, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is in every x86_64 CPU (the target's baseline), and
        // `lane` is 16 readable bytes, which is all loadu needs (no alignment).
        let hits = unsafe {
            let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8)))
        };
        mask |= (hits as u16 as u64) << (16 * i);
    }
    mask
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn newline_mask_64(block: &[u8; 64]) -> u64 {
    newline_bits(block)
}

#[inline(always)]
fn newline_bits(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .enumerate()
        .fold(0, |mask, (i, &b)| mask | (((b == b'\n') as u64) << i))
}

/// The start of the first line that begins at or after `offset`: `offset`
/// itself when it is 0 or follows a `\n`, else just past the next `\n`
/// (or `buf.len()` when there is none).
pub(crate) fn next_line_start(buf: &[u8], offset: usize) -> usize {
    if offset == 0 {
        return 0;
    }
    if offset > buf.len() {
        return buf.len();
    }
    if buf[offset - 1] == b'\n' {
        return offset;
    }
    memchr::memchr(b'\n', &buf[offset..]).map_or(buf.len(), |i| offset + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(buf: &[u8]) -> Vec<&[u8]> {
        let mut step = LineStep::new(0, buf.len());
        std::iter::from_fn(|| step.next_line(buf)).collect()
    }

    #[test]
    fn yields_lines_with_and_without_final_newline() {
        assert_eq!(all(b"a\nb\n"), vec![&b"a"[..], b"b"]);
        assert_eq!(all(b"a\nb"), vec![&b"a"[..], b"b"]);
        assert_eq!(all(b"\n\n"), vec![&b""[..], b""]);
        assert!(all(b"").is_empty());
    }

    #[test]
    fn line_ends_are_every_newline_in_order() {
        let mut buf = Vec::new();
        for i in 0..300 {
            buf.extend(std::iter::repeat_n(b'x', i % 70));
            buf.push(b'\n');
        }
        buf.extend_from_slice(b"tail");
        for len in [0, 1, 63, 64, 65, 500, buf.len()] {
            let part = &buf[..len];
            let want: Vec<usize> = memchr::memchr_iter(b'\n', part).collect();
            assert_eq!(LineEnds::new(part).collect::<Vec<_>>(), want, "len {len}");
        }
    }

    #[test]
    fn realigns_to_the_next_line_start() {
        let buf = b"ab\ncd\nef";
        assert_eq!(next_line_start(buf, 0), 0);
        assert_eq!(next_line_start(buf, 1), 3);
        assert_eq!(next_line_start(buf, 3), 3);
        assert_eq!(next_line_start(buf, 4), 6);
        assert_eq!(next_line_start(buf, 7), 8);
        assert_eq!(next_line_start(buf, 99), 8);
    }
}
