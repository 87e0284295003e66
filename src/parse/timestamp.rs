//! Exact log time.
//!
//! A `TS` field may be whole seconds (`1565647204`), fractional seconds
//! (`1565647204.351`) or milliseconds (`1565647204351`). Comparing them as
//! floats loses exactness (and the original tool's bugs came from mixing the
//! units), so every form is converted to one integer count of nanoseconds.
//! `u128` holds any integer part up to 29 digits of milliseconds without
//! overflow; digits of a fraction finer than a nanosecond are checked and then
//! ignored, which is the only rounding this type ever does.

use std::fmt;

/// Nanoseconds since the unix epoch, exact for every accepted `TS` form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u128);

/// A value whose integer part is greater than this is in milliseconds.
pub const LARGEST_SECONDS_VALUE: u64 = 999_999_999_999;

const NANOS_PER_SECOND: u128 = 1_000_000_000;
const NANOS_PER_MILLI: u128 = 1_000_000;

/// Why a `TS` field is not a timestamp; shown to the user in diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampError {
    /// Nothing to parse.
    Empty,
    /// A character other than digits and one `.`.
    NotDigits,
    /// A `.` with no digits after it.
    EmptyFraction,
    /// Larger than the largest time accepted.
    OutOfRange,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimestampError::Empty => "empty timestamp",
            TimestampError::NotDigits => "timestamp is not digits[.digits]",
            TimestampError::EmptyFraction => "timestamp has a '.' with no digits after it",
            TimestampError::OutOfRange => "timestamp is too large",
        })
    }
}

impl std::error::Error for TimestampError {}

impl Timestamp {
    /// The Unix epoch, and the newest time seen before any record.
    pub const ZERO: Timestamp = Timestamp(0);

    /// The time `nanos` nanoseconds after the epoch.
    pub const fn from_nanos(nanos: u128) -> Timestamp {
        Timestamp(nanos)
    }

    /// The time `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Timestamp {
        Timestamp(secs as u128 * NANOS_PER_SECOND)
    }

    /// Nanoseconds since the epoch, exactly.
    pub const fn as_nanos(self) -> u128 {
        self.0
    }

    /// Whole seconds, rounded down (saturating at `u64::MAX`).
    pub fn as_secs(self) -> u64 {
        u64::try_from(self.0 / NANOS_PER_SECOND).unwrap_or(u64::MAX)
    }

    /// `self + other`, at most the largest time (never wraps).
    pub const fn saturating_add(self, other: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(other.0))
    }

    /// `self - other`, at least the epoch (never wraps).
    pub const fn saturating_sub(self, other: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(other.0))
    }

    /// Start of the window of `width` that holds this time (UTC-aligned).
    pub fn floor_to(self, width: Duration) -> Timestamp {
        Timestamp(self.0 - self.0 % width.0)
    }

    /// Parses the `TS` syntax of a log line or a command-line time.
    // Always inlined: the common case is a few instructions on every
    // record's path, which a call would double.
    #[inline(always)]
    pub fn parse(field: &[u8]) -> Result<Timestamp, TimestampError> {
        if let Some(int) = parse_8_to_16_digits(field) {
            // The common case: whole seconds or milliseconds, no fraction.
            let unit = if int > LARGEST_SECONDS_VALUE {
                NANOS_PER_MILLI
            } else {
                NANOS_PER_SECOND
            };
            return Ok(Timestamp(int as u128 * unit));
        }
        Timestamp::parse_decimal(field)
    }

    /// [`parse`](Self::parse) of any other field: a fraction, fewer than 8
    /// or more than 16 digits, or not a time.
    #[inline(never)]
    fn parse_decimal(field: &[u8]) -> Result<Timestamp, TimestampError> {
        let (int, frac) = split_decimal(field)?;
        let (unit, places) = if int > LARGEST_SECONDS_VALUE as u128 {
            (NANOS_PER_MILLI, 6)
        } else {
            (NANOS_PER_SECOND, 9)
        };
        scale_decimal(int, frac, unit, places).map(Timestamp)
    }
}

/// A field of 8 to 16 ASCII digits, parsed 8 digits at a time; `None` for
/// anything else (which the general path then parses or rejects).
#[inline(always)]
fn parse_8_to_16_digits(field: &[u8]) -> Option<u64> {
    let len = field.len();
    if !(8..=16).contains(&len) {
        return None;
    }
    let last8 = u64::from_le_bytes(field[len - 8..].try_into().unwrap());
    // The leading `len - 8` digits, moved to the top of a word whose low
    // bytes are filled with '0' so that it reads as 8 digits.
    let head = u64::from_le_bytes(field[..8].try_into().unwrap());
    let lead = (len - 8) as u32;
    let head = match lead {
        0 => ASCII_ZEROS,
        8 => head,
        _ => (head << (8 * (8 - lead))) | (ASCII_ZEROS >> (8 * lead)),
    };
    // One test for both words: no branch per word.
    if not_digits(head) | not_digits(last8) != 0 {
        return None;
    }
    Some(eight_digits(head) * 100_000_000 + eight_digits(last8))
}

const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// Zero when all 8 bytes are ASCII digits: high nibble 3, and still 3
/// after adding 6 (which carries for 0x3a..0x3f).
#[inline(always)]
fn not_digits(word: u64) -> u64 {
    let high = word & 0xf0f0_f0f0_f0f0_f0f0;
    let carried = word.wrapping_add(0x0606_0606_0606_0606) & 0xf0f0_f0f0_f0f0_f0f0;
    (high ^ ASCII_ZEROS) | (carried ^ ASCII_ZEROS)
}

/// 8 ASCII digits (first digit in the lowest byte) to their value, by
/// combining neighbours pairwise (SWAR).
#[inline(always)]
fn eight_digits(word: u64) -> u64 {
    let d = word - ASCII_ZEROS;
    let pairs = (d * 10 + (d >> 8)) & 0x00ff_00ff_00ff_00ff;
    let quads = (pairs * 100 + (pairs >> 16)) & 0x0000_ffff_0000_ffff;
    (quads * 10_000 + (quads >> 32)) & 0xffff_ffff
}

/// `digits[.digits]` into its integer value and its fraction digits
/// (empty when there is no fraction), in one pass over the field.
#[inline]
fn split_decimal(field: &[u8]) -> Result<(u128, &[u8]), TimestampError> {
    let int_len = field
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(field.len());
    let int = parse_digits(&field[..int_len])?;
    match &field[int_len..] {
        [] if int_len == 0 => Err(TimestampError::Empty),
        [] => Ok((int, &[])),
        _ if int_len == 0 => Err(TimestampError::NotDigits),
        [b'.'] => Err(TimestampError::EmptyFraction),
        [b'.', frac @ ..] if frac.iter().all(u8::is_ascii_digit) => Ok((int, frac)),
        _ => Err(TimestampError::NotDigits),
    }
}

/// `int.frac` in units of `unit` nanoseconds, where a fraction digit
/// `places` deep is one nanosecond; deeper digits are ignored.
#[inline]
fn scale_decimal(
    int: u128,
    frac: &[u8],
    unit: u128,
    places: usize,
) -> Result<u128, TimestampError> {
    let frac_nanos = if frac.is_empty() {
        0
    } else {
        let kept = &frac[..frac.len().min(places)];
        let value = kept.iter().fold(0u64, |v, &b| v * 10 + (b - b'0') as u64);
        value as u128 * 10u128.pow((places - kept.len()) as u32)
    };
    int.checked_mul(unit)
        .and_then(|n| n.checked_add(frac_nanos))
        .ok_or(TimestampError::OutOfRange)
}

/// ASCII digits (already checked) to an integer; up to 19 digits take the
/// `u64` fast path.
#[inline]
fn parse_digits(digits: &[u8]) -> Result<u128, TimestampError> {
    if digits.len() <= 19 {
        let value = digits.iter().fold(0u64, |v, &b| v * 10 + (b - b'0') as u64);
        return Ok(value as u128);
    }
    digits
        .iter()
        .try_fold(0u128, |v, &b| {
            v.checked_mul(10)?.checked_add((b - b'0') as u128)
        })
        .ok_or(TimestampError::OutOfRange)
}

/// A non-negative span of exact time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(u128);

impl Duration {
    /// The default window width.
    pub const HOUR: Duration = Duration::from_secs(3600);

    /// `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration(secs as u128 * NANOS_PER_SECOND)
    }

    /// The smallest step between two times: "after `t`" is "at or after
    /// `t` plus this".
    pub const NANOSECOND: Duration = Duration(1);

    /// `nanos` nanoseconds.
    pub(crate) const fn from_nanos(nanos: u128) -> Duration {
        Duration(nanos)
    }

    /// The length in nanoseconds, exactly.
    pub const fn as_nanos(self) -> u128 {
        self.0
    }

    /// `self + other`, saturating at the largest duration.
    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }
}

/// The lateness bound `L`, parsed from `--max-log-late-seconds`.
///
/// Whole or fractional seconds (never the millisecond rule of log
/// timestamps), so a bound can be given to the millisecond (`0.250`)
/// without ever being a float. Like a command-line time, it is taken as
/// written: spaces around it are an error, not trimmed.
pub fn parse_lateness(text: &str) -> Result<Duration, String> {
    check_no_spaces(text)?;
    if text.starts_with('-') {
        return Err(format!(
            "'{text}' is negative: the lateness bound is 0 or more seconds"
        ));
    }
    split_decimal(text.as_bytes())
        .and_then(|(int, frac)| scale_decimal(int, frac, NANOS_PER_SECOND, 9))
        .map(Duration)
        .map_err(|e| match e {
            TimestampError::OutOfRange => format!("'{text}' is too large a number of seconds"),
            _ => format!("'{text}' is not a number of seconds, such as 300 or 0.25"),
        })
}

/// A command-line value is taken as written: `' 5'` is more likely a
/// quoting slip than a time, and the log's own fields never hold spaces.
fn check_no_spaces(text: &str) -> Result<(), String> {
    if text.chars().any(char::is_whitespace) {
        return Err(format!("'{text}' holds spaces: remove them"));
    }
    Ok(())
}

/// The forms a command-line time takes, for error messages.
const TIME_FORMS: &str = "give unix seconds (1565647200), milliseconds (1565647200000) or RFC 3339 (2019-08-12T22:00:00Z)";

/// A command-line time: the log's `TS` syntax or RFC 3339
/// (`2019-08-12T22:00:00Z`, `2019-08-12T22:00:00.351+02:00`).
///
/// One rule for both: exact to the nanosecond, any number of fraction
/// digits, the digits below a nanosecond checked and ignored.
pub fn parse_cli_time(text: &str) -> Result<Timestamp, String> {
    check_no_spaces(text)?;
    if text.contains(['-', ':', 'T', 't']) && !text.starts_with('-') {
        return parse_rfc3339(text);
    }
    Timestamp::parse(text.as_bytes()).map_err(|e| match e {
        TimestampError::OutOfRange => format!("'{text}' is too large to be a time"),
        TimestampError::Empty => format!("the time is empty: {TIME_FORMS}"),
        _ => format!("'{text}' is not a time: {TIME_FORMS}"),
    })
}

/// RFC 3339 through jiff, with fraction digits below a nanosecond cut
/// first (jiff takes at most nine), and errors in this tool's words.
fn parse_rfc3339(text: &str) -> Result<Timestamp, String> {
    let bad = || format!("'{text}' is not a time: {TIME_FORMS}");
    // The fraction follows the seconds: the first '.' or ',' after a 'T'.
    let cut = text
        .find(['T', 't', ' '])
        .and_then(|t| text[t..].find(['.', ',']).map(|dot| t + dot + 1))
        .map(|start| {
            let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
            (start, digits)
        });
    let kept = match cut {
        Some((start, digits)) if digits > 9 => {
            format!("{}{}", &text[..start + 9], &text[start + digits..])
        }
        _ => text.to_string(),
    };
    let parsed: jiff::Timestamp = match kept.parse() {
        Ok(parsed) => parsed,
        Err(_) if kept.parse::<jiff::civil::DateTime>().is_ok() => {
            return Err(format!(
                "'{text}' has no UTC offset: add Z for UTC, or an offset such as +02:00"
            ));
        }
        Err(_) => return Err(bad()),
    };
    u128::try_from(parsed.as_nanosecond())
        .map(Timestamp)
        .map_err(|_| {
            format!("'{text}' is before 1970-01-01T00:00:00Z, the earliest time a log holds")
        })
}

impl fmt::Display for Timestamp {
    /// Whole seconds, then the fraction with trailing zeros trimmed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0 / NANOS_PER_SECOND;
        let frac = self.0 % NANOS_PER_SECOND;
        if frac == 0 {
            write!(f, "{secs}")
        } else {
            let digits = format!("{frac:09}");
            write!(f, "{secs}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl fmt::Display for Duration {
    /// Seconds, as a time is shown: the fraction only when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Timestamp(self.0).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(s.as_bytes())
    }

    #[test]
    fn seconds_milliseconds_and_fractions_agree() {
        let secs = ts("1565647204").unwrap();
        assert_eq!(secs, Timestamp::from_secs(1_565_647_204));
        assert_eq!(ts("1565647204000").unwrap(), secs);
        assert_eq!(ts("1565647204.351").unwrap(), ts("1565647204351").unwrap());
        assert_eq!(ts("1565647204.000").unwrap(), secs);
    }

    #[test]
    fn millisecond_rule_is_at_twelve_nines() {
        assert_eq!(
            ts("999999999999").unwrap(),
            Timestamp::from_secs(999_999_999_999)
        );
        assert_eq!(
            ts("1000000000000").unwrap(),
            Timestamp::from_secs(1_000_000_000)
        );
        assert_eq!(ts("0").unwrap(), Timestamp::ZERO);
    }

    #[test]
    fn fraction_of_milliseconds_is_kept_to_the_nanosecond() {
        assert_eq!(
            ts("1565647204351.5").unwrap().as_nanos(),
            1_565_647_204_351_500_000
        );
        assert_eq!(ts("0.000000001").unwrap().as_nanos(), 1);
    }

    #[test]
    fn digits_beyond_a_nanosecond_are_ignored_but_checked() {
        let long = format!("1.{}", "1".repeat(40));
        assert_eq!(ts(&long).unwrap().as_nanos(), 1_111_111_111);
        assert_eq!(ts("1.0000000001x"), Err(TimestampError::NotDigits));
    }

    #[test]
    fn rejected_forms_say_why() {
        assert_eq!(ts(""), Err(TimestampError::Empty));
        assert_eq!(ts("-5"), Err(TimestampError::NotDigits));
        assert_eq!(ts("+5"), Err(TimestampError::NotDigits));
        assert_eq!(ts("1e9"), Err(TimestampError::NotDigits));
        assert_eq!(ts("nan"), Err(TimestampError::NotDigits));
        assert_eq!(ts("inf"), Err(TimestampError::NotDigits));
        assert_eq!(ts("1_000"), Err(TimestampError::NotDigits));
        assert_eq!(ts(".5"), Err(TimestampError::NotDigits));
        assert_eq!(ts("5."), Err(TimestampError::EmptyFraction));
        assert_eq!(ts("1.2.3"), Err(TimestampError::NotDigits));
    }

    #[test]
    fn the_eight_digit_fast_path_agrees_with_the_general_one() {
        for text in [
            "12345678",
            "123456789",
            "1565647204",
            "999999999999",
            "1000000000000",
            "1565647204351",
            "9999999999999999",
            "00000000",
            "0000000000001",
        ] {
            let (int, frac) = split_decimal(text.as_bytes()).unwrap();
            assert!(frac.is_empty());
            assert_eq!(
                parse_8_to_16_digits(text.as_bytes()),
                Some(int as u64),
                "{text}"
            );
        }
        for text in [
            "1234567",
            "12345678901234567",
            "1234567a",
            "a2345678",
            "123456789/",
            "12345678:",
            "1234.5678",
        ] {
            assert_eq!(parse_8_to_16_digits(text.as_bytes()), None, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_form_parses_like_the_general_path(text in "[0-9]{1,25}(\\.[0-9]{1,12})?") {
            let (int, frac) = split_decimal(text.as_bytes()).unwrap();
            let (unit, places) = if int > LARGEST_SECONDS_VALUE as u128 {
                (NANOS_PER_MILLI, 6)
            } else {
                (NANOS_PER_SECOND, 9)
            };
            let general = scale_decimal(int, frac, unit, places).map(Timestamp);
            proptest::prop_assert_eq!(Timestamp::parse(text.as_bytes()), general);
        }
    }

    #[test]
    fn huge_integer_parts_never_overflow() {
        assert!(ts(&"9".repeat(25)).is_ok());
        assert_eq!(ts(&"9".repeat(40)), Err(TimestampError::OutOfRange));
    }

    #[test]
    fn hour_floor_is_exact() {
        let t = ts("1565658000.5").unwrap();
        assert_eq!(
            t.floor_to(Duration::HOUR),
            Timestamp::from_secs(1_565_658_000)
        );
        let t = ts("1565657999999").unwrap();
        assert_eq!(
            t.floor_to(Duration::HOUR),
            Timestamp::from_secs(1_565_654_400)
        );
    }

    #[test]
    fn lateness_accepts_fractions_and_rejects_negatives() {
        assert_eq!(parse_lateness("300").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_lateness("0.25").unwrap().as_nanos(), 250_000_000);
        assert!(parse_lateness("-1").is_err());
        assert!(parse_lateness("abc").is_err());
        assert!(parse_lateness("").is_err());
        // Lateness is always seconds, never the millisecond rule.
        assert_eq!(
            parse_lateness("1000000000000").unwrap(),
            Duration::from_secs(1_000_000_000_000)
        );
    }

    #[test]
    fn cli_times_accept_rfc3339() {
        assert_eq!(
            parse_cli_time("2019-08-12T22:00:00Z").unwrap(),
            Timestamp::from_secs(1_565_647_200)
        );
        assert_eq!(
            parse_cli_time("2019-08-12T22:00:00.351+02:00").unwrap(),
            ts("1565640000.351").unwrap()
        );
        assert_eq!(
            parse_cli_time("1565647200").unwrap(),
            Timestamp::from_secs(1_565_647_200)
        );
        assert!(parse_cli_time("1969-12-31T23:59:59Z").is_err());
        assert!(parse_cli_time("-5").is_err());
        assert!(parse_cli_time("yesterday").is_err());
    }

    #[test]
    fn rfc3339_fractions_follow_the_numeric_rule() {
        let numeric = parse_cli_time("1565648288.6400000001").unwrap();
        assert_eq!(numeric.as_nanos(), 1_565_648_288_640_000_000);
        for text in [
            "2019-08-12T22:18:08.64Z",
            "2019-08-12T22:18:08.640000000Z",
            "2019-08-12T22:18:08.6400000000Z",
            "2019-08-12T22:18:08.64000000019999999999999Z",
            "2019-08-13T00:18:08.6400000009+02:00",
        ] {
            assert_eq!(parse_cli_time(text), Ok(numeric), "{text}");
        }
        assert_eq!(
            parse_cli_time("2019-08-12T22:18:08.000000001999Z")
                .unwrap()
                .as_nanos()
                % 1_000_000_000,
            1
        );
    }

    #[test]
    fn cli_time_errors_are_the_tools_sentences() {
        let err = |t: &str| parse_cli_time(t).unwrap_err();
        assert_eq!(
            err("2019-08-12T22:00:00"),
            "'2019-08-12T22:00:00' has no UTC offset: add Z for UTC, or an offset such as +02:00"
        );
        assert_eq!(
            err("2019-13-12T22:00:00Z"),
            format!("'2019-13-12T22:00:00Z' is not a time: {TIME_FORMS}")
        );
        assert_eq!(
            err("yesterday"),
            format!("'yesterday' is not a time: {TIME_FORMS}")
        );
        assert_eq!(err(" 5"), "' 5' holds spaces: remove them");
        assert_eq!(err("5\t"), "'5\t' holds spaces: remove them");
        assert_eq!(
            err("1969-12-31T23:59:59Z"),
            "'1969-12-31T23:59:59Z' is before 1970-01-01T00:00:00Z, the earliest time a log holds"
        );
        assert_eq!(
            err(&"9".repeat(40)),
            format!("'{}' is too large to be a time", "9".repeat(40))
        );
        assert!(parse_lateness(" 300").is_err());
    }

    #[test]
    fn display_trims_the_fraction() {
        assert_eq!(ts("12.500").unwrap().to_string(), "12.5");
        assert_eq!(ts("12").unwrap().to_string(), "12");
    }
}
