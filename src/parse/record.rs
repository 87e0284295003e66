//! One log line: `TS FROM_HOST TO_HOST`.
//!
//! The parser borrows the host fields from the line instead of copying them:
//! both tools look at every line of logs of hundreds of gigabytes, and most
//! lines are only compared, never kept.

use std::fmt;

use crate::parse::timestamp::{Timestamp, TimestampError};

/// Lines longer than this are malformed without being parsed, so that a log
/// with no newline in it never makes a reader buffer it whole.
pub const MAX_LINE_BYTES: usize = 1 << 22;

/// A well-formed record. Hosts keep their case as written; compare them with
/// [`host_eq`] and print them through [`write_lowercase`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record's time.
    pub ts: Timestamp,
    /// The host that connected (`FROM_HOST`), as written in the log.
    pub from: &'a [u8],
    /// The host connected to (`TO_HOST`), as written in the log.
    pub to: &'a [u8],
}

/// Why a line is not a record: shown as `FILE:LINE: reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// The line holds only whitespace.
    Blank,
    /// Not exactly three fields (the count is capped at 4: "4 or more").
    FieldCount(usize),
    /// The first field is not a time.
    BadTimestamp(TimestampError),
    /// The line is longer than the longest line read (`MAX_LINE_BYTES`).
    TooLong,
    /// A line of another format (Zeek, VPC) that is not a record, or a
    /// line of one format in the middle of another: names format and field.
    Format(FormatProblem),
    /// A time too far ahead of both the clock and the newest time (for
    /// `connspy`, the end of its early stop) to be believed (a cut or
    /// garbled line): taken as the newest time, it would make every later
    /// record too late
    /// (docs/behaviour.md#implausible-times).
    FarAhead,
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
            Malformed::Format(problem) => write!(f, "{problem}"),
            Malformed::FarAhead => f.write_str(
                "timestamp is more than a day (plus the lateness bound) ahead of \
                 both the clock and the newest time",
            ),
        }
    }
}

/// Why a line of a format other than plain is not a record: the format
/// and the field, as `zeek: ts is not a time`. Static text, so that a
/// [`Malformed`] stays `Copy` and costs nothing until it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatProblem {
    /// `zeek`, `zeek-json`, `vpc` or `plain`.
    pub format: &'static str,
    /// What is wrong, naming the field.
    pub what: &'static str,
}

impl fmt::Display for FormatProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.format, self.what)
    }
}

/// Field separators (docs/behaviour.md#parsing): space, tab, `\r`, `\v`, `\f` (and `\n`, which
/// only ever ends a line).
#[inline]
pub fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// Parses one line (with or without its `\n`).
///
/// This is the per-line cost of both tools, so fields are found a word
/// (8 bytes) at a time: a typical host or timestamp ends within one or two
/// words, which keeps the branches predictable where a byte loop would
/// mispredict at every field boundary.
#[inline]
pub fn parse_record(line: &[u8]) -> Result<Record<'_>, Malformed> {
    if line.len() > MAX_LINE_BYTES {
        return Err(Malformed::TooLong);
    }
    let ts_start = skip_separators(line, 0);
    let ts_end = token_end(line, ts_start);
    let from_start = skip_separators(line, ts_end);
    let from_end = token_end(line, from_start);
    let to_start = skip_separators(line, from_end);
    let to_end = token_end(line, to_start);
    if to_start == to_end || skip_separators(line, to_end) != line.len() {
        return Err(field_count_error(line));
    }
    let ts = Timestamp::parse(&line[ts_start..ts_end]).map_err(Malformed::BadTimestamp)?;
    Ok(Record {
        ts,
        from: &line[from_start..from_end],
        to: &line[to_start..to_end],
    })
}

#[cold]
fn field_count_error(line: &[u8]) -> Malformed {
    let mut count = 0;
    let mut i = skip_separators(line, 0);
    while i < line.len() && count < 4 {
        count += 1;
        i = skip_separators(line, token_end(line, i));
    }
    match count {
        0 => Malformed::Blank,
        n => Malformed::FieldCount(n),
    }
}

#[inline(always)]
fn skip_separators(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && is_separator(line[i]) {
        i += 1;
    }
    i
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Marks (bit 7) the bytes of `word` below 0x21 (every separator is);
/// exact for the lowest marked byte, which is the only one used.
#[inline(always)]
fn low_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES * 0x21) & !word & HIGH_BITS
}

/// The first separator at or after `i`, or `line.len()`.
#[inline(always)]
fn token_end(line: &[u8], mut i: usize) -> usize {
    while i + 8 <= line.len() {
        let word = u64::from_le_bytes(line[i..i + 8].try_into().unwrap());
        let marks = low_bytes(word);
        if marks == 0 {
            i += 8;
            continue;
        }
        let j = i + (marks.trailing_zeros() / 8) as usize;
        if is_separator(line[j]) {
            return j;
        }
        // A control byte that is not a separator belongs to the token.
        i = j + 1;
    }
    if i < line.len() && line.len() >= 8 {
        // The last few bytes: the line's final word, with the bytes before
        // `i` shifted out and the vacated top filled with 0xff (never marked).
        let word = u64::from_le_bytes(line[line.len() - 8..].try_into().unwrap());
        let skip = 8 * (i + 8 - line.len()) as u32;
        let fill = (!0u64).checked_shl(64 - skip).unwrap_or(0);
        let marks = low_bytes((word >> skip) | fill);
        if marks == 0 {
            return line.len();
        }
        let j = i + (marks.trailing_zeros() / 8) as usize;
        if is_separator(line[j]) {
            return j;
        }
        i = j + 1;
    }
    while i < line.len() && !is_separator(line[i]) {
        i += 1;
    }
    i
}

/// Host equality (docs/behaviour.md#parsing): ASCII case-insensitive.
#[inline]
pub fn host_eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Appends `host` in ASCII lower case, the only form hosts are printed in.
#[inline]
pub fn write_lowercase(out: &mut Vec<u8>, host: &[u8]) {
    out.extend(host.iter().map(u8::to_ascii_lowercase));
}

/// Whether the last field of `line` is `host` (compared as hosts are),
/// without parsing the line: the cheap test a scan makes before parsing a
/// line that can only matter if it is.
#[inline]
pub fn last_field_is(line: &[u8], host: &[u8]) -> bool {
    let mut end = line.len();
    while end > 0 && is_separator(line[end - 1]) {
        end -= 1;
    }
    let n = host.len();
    end > n && is_separator(line[end - n - 1]) && host_eq(&line[end - n..end], host)
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

    /// The obvious splitter, to check the word-at-a-time one against.
    fn reference(line: &[u8]) -> Result<Record<'_>, Malformed> {
        let fields: Vec<&[u8]> = line
            .split(|&b| is_separator(b))
            .filter(|f| !f.is_empty())
            .collect();
        match fields[..] {
            [] => Err(Malformed::Blank),
            [ts, from, to] => Ok(Record {
                ts: Timestamp::parse(ts).map_err(Malformed::BadTimestamp)?,
                from,
                to,
            }),
            _ => Err(Malformed::FieldCount(fields.len().min(4))),
        }
    }

    proptest::proptest! {
        #[test]
        fn word_at_a_time_splitting_equals_the_obvious_one(
            line in proptest::collection::vec(
                proptest::sample::select(&b" \t\r\x0b\x0c\x00\x01\x1f!.09aZ\x7f\x80\xff"[..]), 0..40)
        ) {
            proptest::prop_assert_eq!(parse_record(&line), reference(&line));
        }

        #[test]
        fn realistic_lines_split_like_the_obvious_one(
            ts in "[0-9]{1,14}(\\.[0-9]{0,4})?",
            from in "[a-zA-Z0-9.\x01]{1,20}",
            to in "[a-zA-Z0-9.\x01]{1,20}",
            seps in proptest::collection::vec("[ \t]{0,3}", 4),
        ) {
            let line = format!("{}{ts}{} {from}{}{to}{}", seps[0], seps[1], seps[2], seps[3]);
            proptest::prop_assert_eq!(parse_record(line.as_bytes()), reference(line.as_bytes()));
        }
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
