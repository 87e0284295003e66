//! Plain lines split into their fields by a bit mask.
//!
//! Splitting a line into its three fields is most of the cost of a plain
//! record after the hash tables, and a loop over bytes (or words) stops at
//! every field boundary. Here the (up to) 64 bytes from the line's start
//! are compared with vector instructions, 16 at a time, giving one word
//! whose bits mark the line's separators; its fields are the runs of clear
//! bits, found with a few bit operations whatever their lengths. A line
//! longer than 64 bytes, and one that is not exactly three fields (for its
//! precise diagnostic), is split by [`parse_record`], so the result is
//! always exactly `parse_record`'s.

use std::ops::Range;

use crate::parse::record::{Malformed, Record, parse_record};
use crate::parse::timestamp::Timestamp;

/// The line `block[start..end]` (without its `\n`) as a record: exactly
/// [`parse_record`]'s answer. The bytes after the line, up to 64 from its
/// start, are read too when `block` has them (and ignored).
#[inline(always)]
pub(crate) fn parse_line_in(
    block: &[u8],
    start: usize,
    end: usize,
) -> Result<Record<'_>, Malformed> {
    let text = &block[start..end];
    if let Some([ts, from, to]) = three_fields_in(block, start, text.len()) {
        let ts = Timestamp::parse(&block[ts]).map_err(Malformed::BadTimestamp)?;
        return Ok(Record {
            ts,
            from: &block[from],
            to: &block[to],
        });
    }
    parse_record(text)
}

/// The three fields of the line of `len` bytes at `start` in `block`, as
/// ranges of `block`, when its separators are found by mask (a line of at
/// most 64 bytes) and it has exactly three fields; `None` for any other
/// line, which [`parse_record`] then splits (or says why it cannot).
#[inline(always)]
pub(crate) fn three_fields_in(block: &[u8], start: usize, len: usize) -> Option<[Range<usize>; 3]> {
    let fields = three_fields(separators(block, start, len)?, len)?;
    Some(fields.map(|field| start + field.start..start + field.end))
}

/// Bit `i` set when byte `start + i` of `block` is a separator, for the
/// first `len` bytes (1 to 64; later bits are garbage); `None` for a
/// longer or empty line.
#[inline(always)]
fn separators(block: &[u8], start: usize, len: usize) -> Option<u64> {
    let bytes = block.get(start..).unwrap_or_default();
    Some(match len {
        0 => return None,
        1..=16 => lanes::<1>(bytes),
        17..=32 => lanes::<2>(bytes),
        33..=64 => lanes::<4>(bytes),
        _ => return None,
    })
}

/// The separators of the first `16 * N` bytes of `bytes`, which has them
/// but at the very end of a block.
#[inline(always)]
fn lanes<const N: usize>(bytes: &[u8]) -> u64 {
    match bytes.get(..16 * N) {
        Some(lanes) => lanes
            .chunks_exact(16)
            .enumerate()
            .fold(0, |mask, (i, lane)| {
                mask | (separator_bits(lane) << (16 * i))
            }),
        None => padded_lanes::<N>(bytes),
    }
}

/// [`lanes`] of the last bytes of a block, copied where the lanes fit and
/// padded with NULs (which are not separators).
#[cold]
fn padded_lanes<const N: usize>(bytes: &[u8]) -> u64 {
    let mut padded = [0u8; 64];
    let n = bytes.len().min(16 * N);
    padded[..n].copy_from_slice(&bytes[..n]);
    lanes::<N>(&padded)
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

/// The separators (docs/behaviour.md#parsing: space, tab, `\n`, `\v`,
/// `\f`, `\r`) of 16 bytes: compared for space and for the range
/// `\t`..=`\r` (shifted so that one signed compare finds it). SSE2 is part
/// of every x86_64.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn separator_bits(lane: &[u8]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    assert!(lane.len() >= 16, "a lane is 16 bytes");
    // SAFETY: SSE2 is in every x86_64 CPU (the target's baseline), and
    // `lane` has 16 readable bytes, which is all loadu needs (no alignment).
    let bits = unsafe {
        let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
        let space = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b' ' as i8));
        // `\t` (9) to `\r` (13) land on -128 to -124.
        let shifted = _mm_add_epi8(bytes, _mm_set1_epi8((0x80u8 - b'\t') as i8));
        let control = _mm_cmplt_epi8(shifted, _mm_set1_epi8((0x80u8 + 5) as i8));
        _mm_movemask_epi8(_mm_or_si128(space, control))
    };
    u64::from(bits as u16)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn separator_bits(lane: &[u8]) -> u64 {
    use crate::parse::record::is_separator;
    lane[..16]
        .iter()
        .enumerate()
        .fold(0, |mask, (i, &b)| mask | (u64::from(is_separator(b)) << i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lines::Lines;
    use crate::parse::record::is_separator;

    #[test]
    fn masks_mark_every_separator_and_only_those() {
        for first in 0..16u8 {
            let lane: [u8; 16] = std::array::from_fn(|i| first * 16 + i as u8);
            let bits = separator_bits(&lane);
            for (i, &b) in lane.iter().enumerate() {
                assert_eq!(bits >> i & 1 == 1, is_separator(b), "{b:#x}");
            }
        }
    }

    /// Every line of `buf` split by masks and by `parse_record`.
    fn both(buf: &[u8]) -> Vec<(Result<Record<'_>, Malformed>, Result<Record<'_>, Malformed>)> {
        Lines::new(buf)
            .map(|(start, text)| {
                (
                    parse_line_in(buf, start, start + text.len()),
                    parse_record(text),
                )
            })
            .collect()
    }

    #[test]
    fn lines_of_every_length_split_like_parse_record() {
        let mut buf = Vec::new();
        for len in 0..80 {
            let from = "f".repeat(len / 3);
            buf.extend_from_slice(
                format!("1565647200000 {from} T{}\n", "o".repeat(len % 7)).as_bytes(),
            );
        }
        buf.extend_from_slice(b"1 a b\n\n 2\tbb  c \r\nx y\n3 a b c\n1 last line");
        for end in [buf.len(), buf.len() - 1, buf.len() - 20] {
            for (masked, reference) in both(&buf[..end]) {
                assert_eq!(masked, reference);
            }
        }
    }

    proptest::proptest! {
        /// Lines of every length, with every kind of separator and other
        /// control bytes, up to the end of a block: the same records (or
        /// errors) as `parse_record`.
        #[test]
        fn splitting_by_masks_equals_parse_record(
            buf in proptest::collection::vec(
                proptest::sample::select(&b"  \t\r\n\n\x0b\x0c\x00\x1f.09aZ\xff"[..]), 0..400),
            lines in proptest::collection::vec(
                ("[0-9]{1,14}", "[a-z.]{0,40}", "[A-Z0-9]{1,30}", "[ \t]{1,2}"), 0..20),
        ) {
            for (masked, reference) in both(&buf) {
                proptest::prop_assert_eq!(masked, reference);
            }
            let text: String = lines
                .iter()
                .map(|(ts, from, to, sep)| format!("{ts}{sep}{from}{sep}{to}\n"))
                .collect();
            for (masked, reference) in both(text.as_bytes()) {
                proptest::prop_assert_eq!(masked, reference);
            }
        }
    }
}
