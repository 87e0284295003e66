//! Where a JSON string's run of plain bytes ends: the one scan
//! [`zeek_json`](super::zeek_json) makes over every string of a record.

/// The offset of the first byte of `bytes` that ends a string's run of
/// plain bytes: `"`, `\\` or a control byte (below 0x20, not JSON).
/// Strings are short, where `memchr2` pays a call and a setup each: 16
/// bytes at a time with three SSE2 tests, the last few bytes one by one.
#[inline]
pub(super) fn string_stop(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(lane) = bytes.get(i..i + 16) {
        let stops = string_stops_16(lane.try_into().unwrap());
        if stops != 0 {
            return Some(i + stops.trailing_zeros() as usize);
        }
        i += 16;
    }
    let is_stop = |&b: &u8| b == b'"' || b == b'\\' || b < 0x20;
    bytes[i..].iter().position(is_stop).map(|j| i + j)
}

/// Bit `i` set when byte `i` of `lane` is `"`, `\\` or below 0x20.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn string_stops_16(lane: &[u8; 16]) -> u16 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is in every x86_64 CPU (the target's baseline), and
    // `lane` is 16 readable bytes, which is all loadu needs (no alignment).
    unsafe {
        let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
        let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
        // byte <= 0x1f (unsigned) exactly when max(byte, 0x1f) is 0x1f.
        let low = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, low), low);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u16
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn string_stops_16(lane: &[u8; 16]) -> u16 {
    lane.iter().enumerate().fold(0, |mask, (i, &b)| {
        mask | (u16::from(b == b'"' || b == b'\\' || b < 0x20) << i)
    })
}
