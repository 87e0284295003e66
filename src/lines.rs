//! Stepping through lines of a byte buffer.
//!
//! Lines are found with `memchr` (SIMD) rather than byte by byte: finding
//! line ends is most of the cost of reading a log. The stepper holds
//! positions, not borrows, so a caller can keep one across refills of a
//! buffer or across probes of a memory map.

/// Iterates the lines of `buf[pos..end]`, yielding each line without its
/// `\n`; a last line with no `\n` is yielded too.
#[derive(Clone, Debug)]
pub struct LineStep {
    pos: usize,
    end: usize,
}

impl LineStep {
    pub fn new(pos: usize, end: usize) -> LineStep {
        LineStep { pos, end }
    }

    /// The byte offset of the next line to be yielded.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next line as `(start, end)` offsets (`end` excludes the `\n`).
    #[inline]
    pub fn next_range(&mut self, buf: &[u8]) -> Option<(usize, usize)> {
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
    pub fn next_line<'b>(&mut self, buf: &'b [u8]) -> Option<&'b [u8]> {
        self.next_range(buf).map(|(s, e)| &buf[s..e])
    }
}

/// The start of the first line that begins at or after `offset`: `offset`
/// itself when it is 0 or follows a `\n`, else just past the next `\n`
/// (or `buf.len()` when there is none).
pub fn next_line_start(buf: &[u8], offset: usize) -> usize {
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
