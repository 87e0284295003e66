//! Reading the fields a Zeek TSV record is asked for, by position, 8
//! bytes at a time: the one split [`zeek`](super::zeek) makes of a
//! record line.

/// The fields of `line` (split at `sep`) at the positions `slots` name,
/// `None` where a slot names none or the line is too short. Only the
/// line up to the last position named is read, 8 bytes at a time: Zeek
/// fields are short, and a search per field (`memchr`) would cost more
/// than the fields.
pub(super) fn fields_at<'a, const N: usize>(
    line: &'a [u8],
    sep: u8,
    slots: &[Option<usize>; N],
) -> [Option<&'a [u8]>; N] {
    let mut got = [None; N];
    // (position, slot) of each slot that names one, by position.
    let mut order = [(usize::MAX, 0); N];
    let mut wanted = 0;
    for (slot, at) in slots.iter().enumerate() {
        if let Some(at) = *at {
            order[wanted] = (at, slot);
            wanted += 1;
        }
    }
    let order = &mut order[..wanted];
    order.sort_unstable();
    let (mut next, mut field, mut start) = (0, 0, 0);
    // Takes field number `field`, `line[start..end]`; true once all are.
    let mut take = |field: usize, start: usize, end: usize| {
        while order.get(next).is_some_and(|&(at, _)| at == field) {
            got[order[next].1] = Some(&line[start..end]);
            next += 1;
        }
        next == order.len()
    };
    let mut at = 0;
    while at < line.len() {
        let mut seps = separators(line, at, sep);
        while seps != 0 {
            let end = at + (seps.trailing_zeros() / 8) as usize;
            if take(field, start, end) {
                return got;
            }
            (field, start) = (field + 1, end + 1);
            seps &= seps - 1;
        }
        at += 8;
    }
    take(field, start, line.len());
    got
}

/// The bytes equal to `sep` among the 8 of `line` from `at` (fewer at
/// its end), as the high bit of each byte of a word (byte `k` of the
/// line at bit `8 k + 7`); exact, whatever the other bytes are.
#[inline(always)]
fn separators(line: &[u8], at: usize, sep: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let bytes = match line.get(at..at + 8) {
        Some(whole) => whole.try_into().unwrap_or([!sep; 8]),
        None => {
            let mut bytes = [!sep; 8];
            let part = &line[at.min(line.len())..];
            bytes[..part.len()].copy_from_slice(part);
            bytes
        }
    };
    // Zero where the byte is `sep`; then the high bit of each zero byte.
    let word = u64::from_le_bytes(bytes) ^ (0x0101_0101_0101_0101 * u64::from(sep));
    !(((word & LOW7).wrapping_add(LOW7)) | word | LOW7)
}
