//! The fields of a line with many of them, found 64 bytes at a time:
//! whitespace-separated ([`for_each_field`], VPC flow logs) or split by
//! one byte ([`ByteSplit`], Zeek TSV).
//!
//! A VPC flow log record has 14 or more fields, and every one is needed
//! (to count them, and for `action` and `log-status` at the end): finding
//! each field's end byte by byte costs more than the rest of the parse.
//! Here each 64 bytes become a bit mask of separators (SSE2 compares, as
//! [`crate::parse::lines`] finds newlines), and the fields are read off
//! the bits where the mask changes, a few instructions each. The separators are
//! those of a plain line ([`is_separator`]).

use crate::parse::record::is_separator;

/// Calls `each(i, field)` for the first `limit` fields of `line` in order,
/// and returns how many fields the line has, counted up to `limit + 1`
/// (enough to tell "exactly `limit`" from "more").
///
/// The state between chunks is one flag, whether a field is open; within
/// a chunk the fields' edges are the bits where the separator mask
/// changes from one byte to the next.
#[inline(always)]
pub(crate) fn for_each_field<'a>(
    line: &'a [u8],
    limit: usize,
    mut each: impl FnMut(usize, &'a [u8]),
) -> usize {
    let mut count = 0;
    let mut start = 0;
    let mut open = false;
    let mut base = 0;
    while base < line.len() {
        let seps = separator_mask(&line[base..]);
        // Bit i: byte i - 1 was a separator (or nothing, at the start).
        let before = (seps << 1) | u64::from(!open);
        let mut edges = seps ^ before;
        while edges != 0 {
            let at = base + edges.trailing_zeros() as usize;
            edges &= edges - 1;
            if open {
                if count < limit {
                    each(count, &line[start..at.min(line.len())]);
                }
                count += 1;
                if count > limit {
                    return count;
                }
            } else {
                start = at;
            }
            open = !open;
        }
        base += 64;
    }
    if open {
        // The line ended at a chunk's end, inside a field.
        if count < limit {
            each(count, &line[start..]);
        }
        count += 1;
    }
    count
}

/// The ends of the fields of a line split by one byte (a Zeek TSV line),
/// found 64 bytes at a time like [`for_each_field`]'s: the few fields a
/// record needs are usually all in the first 64 bytes, one mask.
pub(crate) struct ByteSplit<'a> {
    line: &'a [u8],
    sep: u8,
    /// Start of the 64-byte chunk `seps` describes.
    base: usize,
    /// Bit `i` set when byte `base + i` is `sep` and not yet handed out.
    seps: u64,
    /// Whether the last field's end (the line's end) was handed out.
    done: bool,
}

impl<'a> ByteSplit<'a> {
    pub(crate) fn new(line: &'a [u8], sep: u8) -> ByteSplit<'a> {
        ByteSplit {
            line,
            sep,
            base: 0,
            seps: byte_mask(line, sep),
            done: false,
        }
    }

    /// The end of the next field: the next `sep`, or the line's end for
    /// the last field; `None` once that was handed out.
    #[inline(always)]
    pub(crate) fn next_end(&mut self) -> Option<usize> {
        while self.seps == 0 {
            self.base += 64;
            if self.base >= self.line.len() {
                if self.done {
                    return None;
                }
                self.done = true;
                return Some(self.line.len());
            }
            self.seps = byte_mask(&self.line[self.base..], self.sep);
        }
        let at = self.base + self.seps.trailing_zeros() as usize;
        self.seps &= self.seps - 1;
        Some(at)
    }
}

/// The bits of the first 64 bytes of `chunk` that equal `byte`.
#[inline(always)]
fn byte_mask(chunk: &[u8], byte: u8) -> u64 {
    let mut mask = 0;
    let mut lanes = chunk.chunks_exact(16);
    for (i, lane) in (&mut lanes).take(4).enumerate() {
        mask |= u64::from(byte_mask_16(lane.try_into().unwrap(), byte)) << (16 * i);
    }
    let done = 16 * (chunk.len() / 16).min(4);
    if done == 64 {
        return mask;
    }
    let rest = lanes.remainder();
    let bits = rest
        .iter()
        .enumerate()
        .fold(0u64, |bits, (i, &b)| bits | (u64::from(b == byte) << i));
    mask | (bits << done)
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn byte_mask_16(lane: &[u8; 16], byte: u8) -> u16 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is in every x86_64 CPU (the target's baseline), and
    // `lane` is 16 readable bytes, which is all loadu needs (no alignment).
    unsafe {
        let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
        _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(byte as i8))) as u16
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn byte_mask_16(lane: &[u8; 16], byte: u8) -> u16 {
    lane.iter()
        .enumerate()
        .fold(0u16, |mask, (i, &b)| mask | (u16::from(b == byte) << i))
}

/// The separator bits of the first 64 bytes of `chunk`; bits past its end
/// are set (the line ends there). 16 bytes at a time while 16 are left,
/// then byte by byte.
#[inline(always)]
fn separator_mask(chunk: &[u8]) -> u64 {
    let mut mask = 0;
    let mut lanes = chunk.chunks_exact(16);
    for (i, lane) in (&mut lanes).take(4).enumerate() {
        mask |= u64::from(separator_mask_16(lane.try_into().unwrap())) << (16 * i);
    }
    let done = 16 * (chunk.len() / 16).min(4);
    if done == 64 {
        return mask;
    }
    let rest = lanes.remainder();
    let bits = rest.iter().enumerate().fold(0u64, |bits, (i, &b)| {
        bits | (u64::from(is_separator(b)) << i)
    });
    mask | ((bits | (!0u64 << rest.len())) << done)
}

/// Space is 0x20, and tab, `\n`, `\v`, `\f` and `\r` are 0x09 to 0x0d: one
/// compare with a space, and `byte - 9 <= 4` unsigned as a minimum and a
/// compare. SSE2 is part of every x86_64.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn separator_mask_16(lane: &[u8; 16]) -> u16 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_sub_epi8,
    };
    // SAFETY: SSE2 is in every x86_64 CPU (the target's baseline), and
    // `lane` is 16 readable bytes, which is all loadu needs (no alignment).
    unsafe {
        let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
        let space = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b' ' as i8));
        let from_tab = _mm_sub_epi8(bytes, _mm_set1_epi8(b'\t' as i8));
        let control = _mm_cmpeq_epi8(_mm_min_epu8(from_tab, _mm_set1_epi8(4)), from_tab);
        _mm_movemask_epi8(_mm_or_si128(space, control)) as u16
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn separator_mask_16(lane: &[u8; 16]) -> u16 {
    lane.iter().enumerate().fold(0u16, |mask, (i, &b)| {
        mask | (u16::from(is_separator(b)) << i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious splitter.
    fn reference(line: &[u8]) -> Vec<&[u8]> {
        line.split(|&b| is_separator(b))
            .filter(|f| !f.is_empty())
            .collect()
    }

    /// Every field of `line`, through [`for_each_field`].
    fn all(line: &[u8]) -> Vec<&[u8]> {
        let mut fields = Vec::new();
        let count = for_each_field(line, usize::MAX - 1, |i, f| {
            assert_eq!(i, fields.len());
            fields.push(f)
        });
        assert_eq!(count, fields.len());
        fields
    }

    #[test]
    fn fields_of_a_vpc_record() {
        let line = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
        assert_eq!(all(line), reference(line));
        assert_eq!(all(line).len(), 14);
        assert!(all(b"").is_empty());
        assert!(all(b" \t ").is_empty());
        // Counted up to one past the limit, fields past it not visited.
        let mut seen = 0;
        assert_eq!(for_each_field(line, 3, |_, _| seen += 1), 4);
        assert_eq!(seen, 3);
        assert_eq!(for_each_field(b"a b", 3, |_, _| ()), 2);
    }

    proptest::proptest! {
        /// The field ends of a one-byte split are the separators, then the
        /// line's end, across chunk edges and with empty fields.
        #[test]
        fn byte_split_ends_are_the_separators_then_the_end(
            line in proptest::collection::vec(
                proptest::sample::select(&b"\t\t,a\x00\xff"[..]), 0..200),
        ) {
            let mut split = ByteSplit::new(&line, b'\t');
            let ends: Vec<usize> = std::iter::from_fn(|| split.next_end()).collect();
            let mut want: Vec<usize> = memchr::memchr_iter(b'\t', &line).collect();
            want.push(line.len());
            proptest::prop_assert_eq!(ends, want);
        }

        /// Equal to the obvious splitter, across chunk edges and with
        /// control bytes that are not separators.
        #[test]
        fn fields_are_the_runs_of_non_separators(
            line in proptest::collection::vec(
                proptest::sample::select(&b" \t\r\n\x0b\x0c\x00\x08\x0e\x1f!.09aZ\x7f\x80\xff"[..]),
                0..300),
        ) {
            proptest::prop_assert_eq!(all(&line), reference(&line));
        }

        #[test]
        fn long_fields_span_chunks(lengths in proptest::collection::vec(1usize..150, 1..8)) {
            let line: Vec<u8> = lengths
                .iter()
                .enumerate()
                .flat_map(|(i, &n)| std::iter::repeat_n(b'a' + i as u8, n).chain([b' ']))
                .collect();
            proptest::prop_assert_eq!(all(&line), reference(&line));
        }
    }
}
