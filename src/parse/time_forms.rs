//! Times and durations as people type them, and the RFC 3339 form logs
//! and people share: one rule each, wherever they are read
//! (`docs/behaviour.md#timestamps`).
//!
//! - A **time** on the command line (`--time-init`, `--time-end`): the
//!   log's `TS` syntax ([`Timestamp::parse`]), RFC 3339 with `T` or a space
//!   between date and time, a date alone (midnight UTC), or `now` with an
//!   optional offset (`now-1h`). `now` is a parameter, never read here, so
//!   that every form is testable.
//! - **RFC 3339** (`parse_rfc3339`): any number of fraction digits,
//!   exact to the nanosecond, finer digits ignored, as for `TS`; also what
//!   a Zeek JSON `ts` string is read with.
//! - A **duration** (`parse_duration`): seconds (`300`, `0.25`), or a
//!   number with a unit (`500ms`, `90s`, `5m`, `1h`, `1.5h`, `7d`); exact,
//!   never a float.

use crate::parse::timestamp::{Duration, NANOS_PER_SECOND, Timestamp, TimestampError, decimal};

/// The forms a command-line time takes, for error messages.
pub(crate) const TIME_FORMS: &str = "give unix seconds (1565647200), milliseconds \
     (1565647200000), RFC 3339 (2019-08-12T22:00:00Z or 2019-08-12 22:00:00Z), a date \
     (2019-08-12, midnight UTC), or now with an optional offset (now-1h, now-7d)";

/// The forms a duration takes, for error messages.
const DURATION_FORMS: &str =
    "give seconds (300, 0.25) or a number with a unit ms, s, m, h or d (90s, 5m, 1h, 1.5h, 7d)";

/// Why an RFC 3339 text is not a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rfc3339Error {
    /// Not RFC 3339 (nor a form jiff reads as one).
    Invalid,
    /// A date and time without `Z` or an offset: which instant is unknown.
    NoOffset,
    /// Before the epoch, which no log time can be.
    BeforeEpoch,
}

/// RFC 3339 (`2019-08-12T22:00:00Z`, `2019-08-12 22:00:00.351+02:00`)
/// through jiff, with fraction digits below a nanosecond cut first (jiff
/// takes at most nine): the `TS` fraction rule.
pub(crate) fn parse_rfc3339(text: &str) -> Result<Timestamp, Rfc3339Error> {
    // The fraction follows the seconds: the first '.' or ',' after the
    // date's end (a 'T' or a space).
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
            return Err(Rfc3339Error::NoOffset);
        }
        Err(_) => return Err(Rfc3339Error::Invalid),
    };
    u128::try_from(parsed.as_nanosecond())
        .map(Timestamp::from_nanos)
        .map_err(|_| Rfc3339Error::BeforeEpoch)
}

/// A command-line time (see the module doc); `now` is the wall clock's
/// time, which `now`, `now-1h` and `now+1h` are relative to.
///
/// It is taken as written: whitespace at either end, or anywhere but the
/// one space RFC 3339 allows between date and time, is an error (a
/// quoting slip is likelier than a time).
pub fn parse_cli_time(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let date_time_space = text.len() > 11 && is_date(&text[..10]) && text.as_bytes()[10] == b' ';
    let spaces = text.chars().filter(|c| c.is_whitespace()).count();
    if spaces > usize::from(date_time_space) {
        return Err(format!("'{text}' holds spaces: remove them"));
    }
    if let Some(offset) = text.strip_prefix("now") {
        return relative_to(now, text, offset);
    }
    if is_date(text) {
        return rfc3339_message(text, &format!("{text}T00:00:00Z"));
    }
    if text.contains(['-', ':', 'T', 't']) && !text.starts_with('-') {
        return rfc3339_message(text, text);
    }
    Timestamp::parse(text.as_bytes()).map_err(|e| match e {
        TimestampError::OutOfRange => format!("'{text}' is too large to be a time"),
        TimestampError::Empty => format!("the time is empty: {TIME_FORMS}"),
        _ => format!("'{text}' is not a time: {TIME_FORMS}"),
    })
}

/// Whether `text` is a date alone, `YYYY-MM-DD` (checked by jiff later).
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, &c)| {
            if i == 4 || i == 7 {
                c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// `written` parsed as RFC 3339 (`text` is what the user wrote), with
/// errors in the tool's words.
fn rfc3339_message(text: &str, written: &str) -> Result<Timestamp, String> {
    parse_rfc3339(written).map_err(|e| match e {
        Rfc3339Error::NoOffset => format!(
            "'{text}' has no UTC offset: add Z for UTC, or an offset such as +02:00 \
             (a date alone, 2019-08-12, is midnight UTC)"
        ),
        Rfc3339Error::BeforeEpoch => {
            format!("'{text}' is before 1970-01-01T00:00:00Z, the earliest time a log holds")
        }
        Rfc3339Error::Invalid => format!("'{text}' is not a time: {TIME_FORMS}"),
    })
}

/// `now`, `now-D` or `now+D` for a duration `D`.
fn relative_to(now: Timestamp, text: &str, offset: &str) -> Result<Timestamp, String> {
    let bad = || format!("'{text}' is not a time: {TIME_FORMS}");
    let (later, amount) = match offset.as_bytes().first() {
        None => return Ok(now),
        Some(b'-') => (false, &offset[1..]),
        Some(b'+') => (true, &offset[1..]),
        Some(_) => return Err(bad()),
    };
    let span = parse_duration(amount).map_err(|_| bad())?;
    if later {
        return Ok(now.saturating_add(span));
    }
    if span.as_nanos() > now.as_nanos() {
        return Err(format!(
            "'{text}' is before 1970-01-01T00:00:00Z, the earliest time a log holds"
        ));
    }
    Ok(now.saturating_sub(span))
}

/// Why a text is not a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DurationError {
    /// Starts with `-`.
    Negative,
    /// More nanoseconds than 128 bits hold.
    TooLarge,
    /// Not a number with an optional unit.
    Invalid,
}

/// A duration: `digits[.digits]` with an optional unit `ms`, `s`, `m`,
/// `h` or `d` (none is seconds), exact to the nanosecond like `TS`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    if text.starts_with('-') {
        return Err(DurationError::Negative);
    }
    const UNITS: [(&str, u128); 5] = [
        ("ms", NANOS_PER_SECOND / 1000),
        ("s", NANOS_PER_SECOND),
        ("m", 60 * NANOS_PER_SECOND),
        ("h", 3600 * NANOS_PER_SECOND),
        ("d", 86_400 * NANOS_PER_SECOND),
    ];
    let (number, unit) = UNITS
        .iter()
        .find_map(|&(name, unit)| text.strip_suffix(name).map(|n| (n, unit)))
        .unwrap_or((text, NANOS_PER_SECOND));
    decimal(number.as_bytes(), unit)
        .map(Duration::from_nanos)
        .map_err(|e| match e {
            TimestampError::OutOfRange => DurationError::TooLarge,
            _ => DurationError::Invalid,
        })
}

/// The lateness bound `L` (`--lateness`, `--max-log-late-seconds`): a
/// duration, taken as written (spaces around it are an error).
pub fn parse_lateness(text: &str) -> Result<Duration, String> {
    if text.chars().any(char::is_whitespace) {
        return Err(format!("'{text}' holds spaces: remove them"));
    }
    parse_duration(text).map_err(|e| match e {
        DurationError::Negative => {
            format!("'{text}' is negative: the lateness bound is 0 or more seconds")
        }
        DurationError::TooLarge => format!("'{text}' is too large a duration"),
        DurationError::Invalid => format!("'{text}' is not a duration: {DURATION_FORMS}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed "now" for the relative forms: 2019-08-12T22:00:00Z.
    const NOW: Timestamp = Timestamp::from_secs(1_565_647_200);

    fn cli(text: &str) -> Result<Timestamp, String> {
        parse_cli_time(text, NOW)
    }

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn the_log_forms_parse_as_in_a_log() {
        for text in [
            "1565647200",
            "1565647200000",
            "1565647200.5",
            "0",
            "1565648288.6400000001",
        ] {
            assert_eq!(cli(text), Ok(ts(text)), "{text}");
        }
    }

    #[test]
    fn rfc3339_with_t_or_a_space() {
        let want = Timestamp::from_secs(1_565_647_200);
        for text in [
            "2019-08-12T22:00:00Z",
            "2019-08-12t22:00:00z",
            "2019-08-12 22:00:00Z",
            "2019-08-13T00:00:00+02:00",
            "2019-08-13 00:00:00+02:00",
        ] {
            assert_eq!(cli(text), Ok(want), "{text}");
        }
        assert_eq!(
            cli("2019-08-12T22:00:00.351+02:00"),
            Ok(ts("1565640000.351"))
        );
    }

    #[test]
    fn a_date_alone_is_midnight_utc() {
        assert_eq!(cli("2019-08-12"), Ok(Timestamp::from_secs(1_565_568_000)));
        assert_eq!(cli("1970-01-01"), Ok(Timestamp::ZERO));
        assert!(cli("2019-02-30").unwrap_err().contains("is not a time"));
    }

    #[test]
    fn now_and_offsets_from_it() {
        assert_eq!(cli("now"), Ok(NOW));
        assert_eq!(cli("now-1h"), Ok(Timestamp::from_secs(1_565_643_600)));
        assert_eq!(
            cli("now-7d"),
            Ok(Timestamp::from_secs(1_565_647_200 - 7 * 86_400))
        );
        assert_eq!(cli("now+90s"), Ok(Timestamp::from_secs(1_565_647_290)));
        assert_eq!(cli("now-300"), Ok(Timestamp::from_secs(1_565_646_900)));
        assert_eq!(
            cli("now-0.5s").unwrap().as_nanos(),
            NOW.as_nanos() - 500_000_000
        );
        for bad in ["now-", "now-1x", "nowish", "now -1h", "now-1h "] {
            assert!(cli(bad).is_err(), "{bad}");
        }
        assert!(cli("now-100000d").unwrap_err().contains("before 1970"));
    }

    #[test]
    fn rfc3339_fractions_follow_the_numeric_rule() {
        let numeric = cli("1565648288.6400000001").unwrap();
        assert_eq!(numeric.as_nanos(), 1_565_648_288_640_000_000);
        for text in [
            "2019-08-12T22:18:08.64Z",
            "2019-08-12T22:18:08.640000000Z",
            "2019-08-12T22:18:08.6400000000Z",
            "2019-08-12 22:18:08.64000000019999999999999Z",
            "2019-08-13T00:18:08.6400000009+02:00",
        ] {
            assert_eq!(cli(text), Ok(numeric), "{text}");
            assert_eq!(parse_rfc3339(text), Ok(numeric), "{text}");
        }
    }

    #[test]
    fn near_misses_name_the_accepted_forms() {
        let err = |t: &str| cli(t).unwrap_err();
        assert_eq!(
            err("2019-08-12T22:00:00"),
            "'2019-08-12T22:00:00' has no UTC offset: add Z for UTC, or an offset such as \
             +02:00 (a date alone, 2019-08-12, is midnight UTC)"
        );
        for text in ["2019-08-12Z", "2019-13-12T22:00:00Z", "yesterday", "1e9"] {
            assert_eq!(err(text), format!("'{text}' is not a time: {TIME_FORMS}"));
        }
        assert_eq!(err(" 5"), "' 5' holds spaces: remove them");
        assert_eq!(err("5\t"), "'5\t' holds spaces: remove them");
        assert_eq!(
            err("2019-08-12  22:00:00Z"),
            "'2019-08-12  22:00:00Z' holds spaces: remove them"
        );
        assert_eq!(
            err(" 2019-08-12 22:00:00Z"),
            "' 2019-08-12 22:00:00Z' holds spaces: remove them"
        );
        assert_eq!(
            err("1969-12-31T23:59:59Z"),
            "'1969-12-31T23:59:59Z' is before 1970-01-01T00:00:00Z, the earliest time a log holds"
        );
        assert_eq!(
            err(&"9".repeat(40)),
            format!("'{}' is too large to be a time", "9".repeat(40))
        );
        assert_eq!(err(""), format!("the time is empty: {TIME_FORMS}"));
        assert!(err("-5").contains("is not a time"));
    }

    #[test]
    fn durations_take_units_and_bare_numbers_are_seconds() {
        let secs = |s: u64| Ok(Duration::from_secs(s));
        assert_eq!(parse_duration("300"), secs(300));
        assert_eq!(parse_duration("300s"), secs(300));
        assert_eq!(parse_duration("5m"), secs(300));
        assert_eq!(parse_duration("1h"), secs(3600));
        assert_eq!(parse_duration("1.5h"), secs(5400));
        assert_eq!(parse_duration("7d"), secs(604_800));
        assert_eq!(
            parse_duration("250ms").map(Duration::as_nanos),
            Ok(250_000_000)
        );
        assert_eq!(
            parse_duration("0.25").map(Duration::as_nanos),
            Ok(250_000_000)
        );
        // Seconds, never the millisecond rule of log times.
        assert_eq!(parse_duration("1000000000000"), secs(1_000_000_000_000));
        assert_eq!(parse_duration("-1"), Err(DurationError::Negative));
        for bad in ["", "h", "1x", "1 h", "1hh", "1.h", ".5h", "1e3", "1H"] {
            assert_eq!(parse_duration(bad), Err(DurationError::Invalid), "{bad}");
        }
        assert_eq!(
            parse_duration(&format!("{}d", "9".repeat(30))),
            Err(DurationError::TooLarge)
        );
    }

    #[test]
    fn lateness_is_a_duration_in_the_tools_words() {
        assert_eq!(parse_lateness("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_lateness("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(
            parse_lateness("-1").unwrap_err(),
            "'-1' is negative: the lateness bound is 0 or more seconds"
        );
        assert_eq!(
            parse_lateness("abc").unwrap_err(),
            format!("'abc' is not a duration: {DURATION_FORMS}")
        );
        assert_eq!(
            parse_lateness(" 300").unwrap_err(),
            "' 300' holds spaces: remove them"
        );
    }
}
