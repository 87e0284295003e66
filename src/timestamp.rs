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
    Empty,
    NotDigits,
    EmptyFraction,
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
    pub const ZERO: Timestamp = Timestamp(0);

    pub const fn from_nanos(nanos: u128) -> Timestamp {
        Timestamp(nanos)
    }

    pub const fn from_secs(secs: u64) -> Timestamp {
        Timestamp(secs as u128 * NANOS_PER_SECOND)
    }

    pub const fn as_nanos(self) -> u128 {
        self.0
    }

    /// Whole seconds, rounded down (saturating at `u64::MAX`).
    pub fn as_secs(self) -> u64 {
        u64::try_from(self.0 / NANOS_PER_SECOND).unwrap_or(u64::MAX)
    }

    pub const fn saturating_add(self, other: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(other.0))
    }

    pub const fn saturating_sub(self, other: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(other.0))
    }

    /// Start of the window of `width` that holds this time (UTC-aligned).
    pub fn floor_to(self, width: Duration) -> Timestamp {
        Timestamp(self.0 - self.0 % width.0)
    }

    /// Parses the `TS` syntax of a log line or a command-line time.
    #[inline]
    pub fn parse(field: &[u8]) -> Result<Timestamp, TimestampError> {
        let (int, frac) = split_decimal(field)?;
        let (unit, places) = if int > LARGEST_SECONDS_VALUE as u128 {
            (NANOS_PER_MILLI, 6)
        } else {
            (NANOS_PER_SECOND, 9)
        };
        scale_decimal(int, frac, unit, places).map(Timestamp)
    }
}

/// `digits[.digits]` into its integer value and its fraction digits
/// (empty when there is no fraction).
#[inline]
fn split_decimal(field: &[u8]) -> Result<(u128, &[u8]), TimestampError> {
    let (int_digits, frac_digits) = match field.iter().position(|&b| b == b'.') {
        Some(dot) if dot + 1 == field.len() => return Err(TimestampError::EmptyFraction),
        Some(dot) => (&field[..dot], &field[dot + 1..]),
        None => (field, &field[field.len()..]),
    };
    if int_digits.is_empty() {
        return Err(if field.is_empty() {
            TimestampError::Empty
        } else {
            TimestampError::NotDigits
        });
    }
    if !frac_digits.iter().all(u8::is_ascii_digit) {
        return Err(TimestampError::NotDigits);
    }
    Ok((parse_digits(int_digits)?, frac_digits))
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
    let mut frac_nanos: u128 = 0;
    for i in 0..places {
        frac_nanos = frac_nanos * 10 + frac.get(i).map_or(0, |b| (b - b'0') as u128);
    }
    int.checked_mul(unit)
        .and_then(|n| n.checked_add(frac_nanos))
        .ok_or(TimestampError::OutOfRange)
}

/// Digits to an integer; at most 19 digits take the `u64` fast path.
#[inline]
fn parse_digits(digits: &[u8]) -> Result<u128, TimestampError> {
    if digits.len() <= 19 {
        let mut value: u64 = 0;
        for &b in digits {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return Err(TimestampError::NotDigits);
            }
            value = value * 10 + d as u64;
        }
        return Ok(value as u128);
    }
    let mut value: u128 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(TimestampError::NotDigits);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(d as u128))
            .ok_or(TimestampError::OutOfRange)?;
    }
    Ok(value)
}

/// A non-negative span of exact time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(u128);

impl Duration {
    pub const HOUR: Duration = Duration::from_secs(3600);

    pub const fn from_secs(secs: u64) -> Duration {
        Duration(secs as u128 * NANOS_PER_SECOND)
    }

    pub const fn as_nanos(self) -> u128 {
        self.0
    }

    pub const fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }
}

/// The lateness bound `L`, parsed from `--max_log_late_seconds`.
///
/// Whole or fractional seconds (never the millisecond rule of log
/// timestamps), so a bound can be given to the millisecond (`0.250`)
/// without ever being a float.
pub fn parse_lateness(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!("must not be negative: '{text}'"));
    }
    split_decimal(t.as_bytes())
        .and_then(|(int, frac)| scale_decimal(int, frac, NANOS_PER_SECOND, 9))
        .map(Duration)
        .map_err(|e| format!("'{text}' is not a number of seconds: {e}"))
}

/// A command-line time: the log's `TS` syntax or RFC 3339
/// (`2019-08-12T22:00:00Z`, `2019-08-12T22:00:00.351+02:00`).
pub fn parse_cli_time(text: &str) -> Result<Timestamp, String> {
    let t = text.trim();
    if t.contains(['-', ':', 'T', 't']) && !t.starts_with('-') {
        let parsed: jiff::Timestamp = t
            .parse()
            .map_err(|e| format!("'{text}' is not an RFC 3339 time: {e}"))?;
        let nanos = parsed.as_nanosecond();
        return u128::try_from(nanos)
            .map(Timestamp)
            .map_err(|_| format!("'{text}' is before 1970-01-01T00:00:00Z"));
    }
    Timestamp::parse(t.as_bytes()).map_err(|e| format!("'{text}': {e}"))
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
    fn display_trims_the_fraction() {
        assert_eq!(ts("12.500").unwrap().to_string(), "12.5");
        assert_eq!(ts("12").unwrap().to_string(), "12");
    }
}
