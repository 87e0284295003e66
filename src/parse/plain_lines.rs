//! The lines of a plain log with their fields found by bit masks.
//!
//! Splitting a line into its three fields is most of the cost of a plain
//! record after the hash tables, and a loop over bytes (or words) stops at
//! every field boundary. Here each 64-byte chunk of a block is compared
//! with vector instructions once, giving two masks: its line ends and its
//! separators. A line of at most 64 bytes then has its separators in one
//! word, the bits of the one or two chunks it lies in shifted into place,
//! and its fields are the runs of clear bits: a few bit operations per
//! line, whatever the field lengths. A longer line, and the last line of
//! a block when it has no `\n`, are split by [`parse_record`], as is a
//! line that is not exactly three fields (for its precise diagnostic), so
//! the result is always exactly `parse_record`'s.

use std::ops::Range;

use crate::parse::record::{Malformed, Record, parse_record};
use crate::parse::timestamp::Timestamp;

/// Every line of a block, in order, each with its separators when they
/// are known; the last line may lack its `\n`.
pub(crate) struct PlainLines<'a> {
    buf: &'a [u8],
    /// Offset of the current 64-byte chunk.
    chunk: usize,
    /// Line ends of the current chunk not yet yielded.
    newlines: u64,
    /// Separators of the chunk before the current one (low half) and of
    /// the current one (high half).
    seps: u128,
    /// Where the next line starts (past the end once the last is out).
    start: usize,
}

/// One line of a [`PlainLines`], without its `\n`.
pub(crate) struct PlainLine<'a> {
    /// The line's bytes.
    pub(crate) text: &'a [u8],
    /// Bit `i` set when byte `i` is a separator, for a line of at most 64
    /// bytes (bits past its end are garbage); `None` for a longer line.
    seps: Option<u64>,
}

impl<'a> PlainLines<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> PlainLines<'a> {
        let (newlines, seps) = chunk_masks(buf, 0);
        PlainLines {
            buf,
            chunk: 0,
            newlines,
            seps: u128::from(seps) << 64,
            start: 0,
        }
    }
}

impl<'a> Iterator for PlainLines<'a> {
    /// The line and the offset it starts at.
    type Item = (usize, PlainLine<'a>);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, PlainLine<'a>)> {
        let start = self.start;
        while self.newlines == 0 {
            if self.chunk + 64 >= self.buf.len() {
                // No line end left: a last line without `\n`, if any.
                self.start = self.buf.len();
                let text = self.buf.get(start..).filter(|t| !t.is_empty())?;
                return Some((start, PlainLine { text, seps: None }));
            }
            self.chunk += 64;
            let (newlines, seps) = chunk_masks(self.buf, self.chunk);
            self.newlines = newlines;
            self.seps = (self.seps >> 64) | (u128::from(seps) << 64);
        }
        let end = self.chunk + self.newlines.trailing_zeros() as usize;
        self.newlines &= self.newlines - 1;
        self.start = end + 1;
        // Known when the line starts in the previous chunk or this one
        // and spans at most 64 bytes.
        let seps = (start + 64 >= self.chunk && end - start <= 64)
            .then(|| (self.seps >> (start + 64 - self.chunk)) as u64);
        let text = &self.buf[start..end];
        Some((start, PlainLine { text, seps }))
    }
}

impl<'a> PlainLine<'a> {
    /// The line as a record: exactly [`parse_record`]'s answer.
    #[inline(always)]
    pub(crate) fn parse(&self) -> Result<Record<'a>, Malformed> {
        let text = self.text;
        if let Some(seps) = self.seps
            && let Some([ts, from, to]) = three_fields(seps, text.len())
        {
            let ts = Timestamp::parse(&text[ts]).map_err(Malformed::BadTimestamp)?;
            return Ok(Record {
                ts,
                from: &text[from],
                to: &text[to],
            });
        }
        parse_record(text)
    }
}

/// The three fields of a line of `len` bytes (1 to 64) whose separators
/// are `seps`, or `None` unless it has exactly three.
#[inline(always)]
fn three_fields(seps: u64, len: usize) -> Option<[Range<usize>; 3]> {
    let within = u64::MAX.checked_shr(64 - len as u32)?;
    let token = !seps & within;
    // The first byte of each field and the last, then the same without
    // the first field, and without the first two.
    let drop_lowest = |bits: u64| bits & bits.wrapping_sub(1);
    let (firsts, lasts) = (token & !(token << 1), token & !(token >> 1));
    let (firsts1, lasts1) = (drop_lowest(firsts), drop_lowest(lasts));
    let (firsts2, lasts2) = (drop_lowest(firsts1), drop_lowest(lasts1));
    if firsts2 == 0 || drop_lowest(firsts2) != 0 {
        return None;
    }
    let field =
        |first: u64, last: u64| first.trailing_zeros() as usize..last.trailing_zeros() as usize + 1;
    Some([
        field(firsts, lasts),
        field(firsts1, lasts1),
        field(firsts2, lasts2),
    ])
}

/// The line ends and the separators (docs/behaviour.md#parsing: space,
/// tab, `\n`, `\v`, `\f`, `\r`) of the 64 bytes at `at`, as bit masks;
/// bytes past the end of `buf` are neither.
#[inline(always)]
fn chunk_masks(buf: &[u8], at: usize) -> (u64, u64) {
    match buf.get(at..).and_then(<[u8]>::first_chunk::<64>) {
        Some(chunk) => masks_64(chunk),
        None => {
            // The block's last few bytes, padded with NULs.
            let mut chunk = [0u8; 64];
            let tail = buf.get(at..).unwrap_or_default();
            chunk[..tail.len()].copy_from_slice(tail);
            masks_64(&chunk)
        }
    }
}

/// Four 16-byte lanes, each compared for `\n`, for space and for the
/// range `\t`..=`\r` (shifted so that a signed compare finds it): SSE2
/// is part of every x86_64.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks_64(chunk: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    let (mut newlines, mut seps) = (0u64, 0u64);
    for (i, lane) in chunk.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is in every x86_64 CPU (the target's baseline), and
        // `lane` is 16 readable bytes, which is all loadu needs (no alignment).
        let (nl, sep) = unsafe {
            let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
            let nl = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8));
            let space = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b' ' as i8));
            // `\t` (9) to `\r` (13) land on -128 to -124.
            let shifted = _mm_add_epi8(bytes, _mm_set1_epi8((0x80u8 - b'\t') as i8));
            let control = _mm_cmplt_epi8(shifted, _mm_set1_epi8((0x80u8 + 5) as i8));
            (
                _mm_movemask_epi8(nl),
                _mm_movemask_epi8(_mm_or_si128(space, control)),
            )
        };
        newlines |= u64::from(nl as u16) << (16 * i);
        seps |= u64::from(sep as u16) << (16 * i);
    }
    (newlines, seps)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn masks_64(chunk: &[u8; 64]) -> (u64, u64) {
    use crate::parse::record::is_separator;
    chunk.iter().enumerate().fold((0, 0), |(nl, sep), (i, &b)| {
        (
            nl | (u64::from(b == b'\n') << i),
            sep | (u64::from(is_separator(b)) << i),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::record::is_separator;

    #[test]
    fn masks_mark_every_separator_and_only_those() {
        let chunk: [u8; 64] = std::array::from_fn(|i| (i * 4 + 1) as u8);
        for shift in 0..4u8 {
            let chunk = chunk.map(|b| b.wrapping_add(shift));
            let (nl, sep) = masks_64(&chunk);
            for (i, &b) in chunk.iter().enumerate() {
                assert_eq!(nl >> i & 1 == 1, b == b'\n', "{b:#x}");
                assert_eq!(sep >> i & 1 == 1, is_separator(b), "{b:#x}");
            }
        }
    }

    fn split(buf: &[u8]) -> Vec<(usize, &[u8], Result<Record<'_>, Malformed>, bool)> {
        PlainLines::new(buf)
            .map(|(start, line)| (start, line.text, line.parse(), line.seps.is_some()))
            .collect()
    }

    fn reference(buf: &[u8]) -> Vec<(usize, &[u8], Result<Record<'_>, Malformed>)> {
        crate::parse::lines::Lines::new(buf)
            .map(|(start, text)| (start, text, parse_record(text)))
            .collect()
    }

    #[test]
    fn short_lines_are_split_by_their_masks() {
        let buf = b"1 a b\n\n 2\tbb  c \r\nx y\n3 a b c\n1565647200000 stiavou 10.239.64.128";
        let lines = split(buf);
        let masked: Vec<bool> = lines.iter().map(|l| l.3).collect();
        assert_eq!(masked, [true, true, true, true, true, false]);
        let got: Vec<_> = lines.into_iter().map(|(s, t, r, _)| (s, t, r)).collect();
        assert_eq!(got, reference(buf));
    }

    proptest::proptest! {
        /// Lines of every length, across chunk boundaries, with every kind
        /// of separator and other control bytes: the same lines, starts and
        /// records (or errors) as the line stepper and `parse_record`.
        #[test]
        fn splitting_by_masks_equals_parse_record(
            buf in proptest::collection::vec(
                proptest::sample::select(&b"  \t\r\n\n\x0b\x0c\x00\x1f.09aZ\xff"[..]), 0..400),
            lines in proptest::collection::vec(
                ("[0-9]{1,14}", "[a-z.]{0,40}", "[A-Z0-9]{1,30}", "[ \t]{1,2}"), 0..20),
        ) {
            proptest::prop_assert_eq!(
                split(&buf).into_iter().map(|(s, t, r, _)| (s, t, r)).collect::<Vec<_>>(),
                reference(&buf)
            );
            let text: String = lines
                .iter()
                .map(|(ts, from, to, sep)| format!("{ts}{sep}{from}{sep}{to}\n"))
                .collect();
            let buf = text.as_bytes();
            proptest::prop_assert_eq!(
                split(buf).into_iter().map(|(s, t, r, _)| (s, t, r)).collect::<Vec<_>>(),
                reference(buf)
            );
        }
    }
}
