//! One log line: `TS FROM_HOST TO_HOST`.
//!
//! The parser borrows the host fields from the line instead of copying them:
//! both tools look at every line of logs of hundreds of gigabytes, and most
//! lines are only compared, never kept.

use std::fmt;

use crate::timestamp::{Timestamp, TimestampError};

/// Lines longer than this are malformed without being parsed, so that a log
/// with no newline in it never makes a reader buffer it whole.
pub const MAX_LINE_BYTES: usize = 1 << 22;

/// A well-formed record. Hosts keep their case as written; compare them with
/// [`host_eq`] and print them through [`write_lowercase`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub ts: Timestamp,
    pub from: &'a [u8],
    pub to: &'a [u8],
}

/// Why a line is not a record: shown as `FILE:LINE: reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// The line holds only whitespace.
    Blank,
    /// Not exactly three fields (the count is capped at 4: "4 or more").
    FieldCount(usize),
    BadTimestamp(TimestampError),
    TooLong,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::Blank => f.write_str("blank line"),
            Malformed::FieldCount(n) if *n > 3 => {
                f.write_str("more than 3 fields (expected TS FROM_HOST TO_HOST)")
            }
            Malformed::FieldCount(n) => {
                write!(f, "{n} field(s) (expected TS FROM_HOST TO_HOST)")
            }
            Malformed::BadTimestamp(e) => write!(f, "{e}"),
            Malformed::TooLong => write!(f, "line longer than {MAX_LINE_BYTES} bytes"),
        }
    }
}

/// Field separators of SPEC §1: space, tab, `\r`, `\v`, `\f` (and `\n`, which
/// only ever ends a line).
#[inline]
pub fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// Parses one line (with or without its `\n`).
#[inline]
pub fn parse_record(line: &[u8]) -> Result<Record<'_>, Malformed> {
    if line.len() > MAX_LINE_BYTES {
        return Err(Malformed::TooLong);
    }
    let mut fields = Fields { line, pos: 0 };
    let (Some(ts), Some(from), Some(to)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(field_count_error(line));
    };
    if fields.next().is_some() {
        return Err(Malformed::FieldCount(4));
    }
    let ts = Timestamp::parse(ts).map_err(Malformed::BadTimestamp)?;
    Ok(Record { ts, from, to })
}

#[cold]
fn field_count_error(line: &[u8]) -> Malformed {
    match (Fields { line, pos: 0 }).count() {
        0 => Malformed::Blank,
        n => Malformed::FieldCount(n),
    }
}

/// Whitespace-separated fields of a line, stepped by position.
struct Fields<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let line = self.line;
        let mut i = self.pos;
        while i < line.len() && is_separator(line[i]) {
            i += 1;
        }
        if i == line.len() {
            self.pos = i;
            return None;
        }
        let start = i;
        while i < line.len() && !is_separator(line[i]) {
            i += 1;
        }
        self.pos = i;
        Some(&line[start..i])
    }
}

/// Host equality of SPEC §1: ASCII case-insensitive.
#[inline]
pub fn host_eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Appends `host` in ASCII lower case, the only form hosts are printed in.
#[inline]
pub fn write_lowercase(out: &mut Vec<u8>, host: &[u8]) {
    out.extend(host.iter().map(u8::to_ascii_lowercase));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Record<'_> {
        parse_record(line.as_bytes()).unwrap()
    }

    fn err(line: &str) -> Malformed {
        parse_record(line.as_bytes()).unwrap_err()
    }

    #[test]
    fn three_fields_make_a_record() {
        let r = ok("1565647204351 Aadvik Matina");
        assert_eq!(r.ts, Timestamp::from_nanos(1_565_647_204_351_000_000));
        assert_eq!(r.from, b"Aadvik");
        assert_eq!(r.to, b"Matina");
    }

    #[test]
    fn any_whitespace_run_separates_and_edges_are_ignored() {
        let r = ok(" \t1565647204\t\x0b zyro \x0c beroshne \r\n");
        assert_eq!(r.from, b"zyro");
        assert_eq!(r.to, b"beroshne");
        assert_eq!(ok("1 a b\r").to, b"b");
    }

    #[test]
    fn any_token_is_a_host() {
        let r = parse_record(b"1 _x.y:z-1 \xff\xfe").unwrap();
        assert_eq!(r.from, b"_x.y:z-1");
        assert_eq!(r.to, b"\xff\xfe");
        // NUL is not a separator.
        assert_eq!(ok("1 a\0b c").from, b"a\0b");
    }

    #[test]
    fn wrong_field_counts_are_malformed_with_the_count() {
        assert_eq!(err(""), Malformed::Blank);
        assert_eq!(err("   \r"), Malformed::Blank);
        assert_eq!(err("garbage"), Malformed::FieldCount(1));
        assert_eq!(err("1565657770\ta"), Malformed::FieldCount(2));
        assert_eq!(err("1565647356 a b c"), Malformed::FieldCount(4));
    }

    #[test]
    fn bad_timestamps_are_malformed_with_the_reason() {
        assert_eq!(
            err("x1565649944 a b"),
            Malformed::BadTimestamp(TimestampError::NotDigits)
        );
        assert_eq!(
            err("# comment line"),
            Malformed::BadTimestamp(TimestampError::NotDigits)
        );
        assert_eq!(
            err("-1 a b"),
            Malformed::BadTimestamp(TimestampError::NotDigits)
        );
        assert_eq!(
            err("1. a b"),
            Malformed::BadTimestamp(TimestampError::EmptyFraction)
        );
    }

    #[test]
    fn overlong_lines_are_rejected_before_parsing() {
        let line = vec![b'a'; MAX_LINE_BYTES + 1];
        assert_eq!(parse_record(&line), Err(Malformed::TooLong));
    }

    #[test]
    fn hosts_compare_and_print_case_insensitively() {
        assert!(host_eq(b"ZyLa", b"zyla"));
        assert!(!host_eq(b"zyla", b"zyl"));
        let mut out = Vec::new();
        write_lowercase(&mut out, b"ANTIVI-10.A");
        assert_eq!(out, b"antivi-10.a");
    }
}
