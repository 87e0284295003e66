//! The value parsers of the options: each turns one argument into a
//! value of the library's types, or into the sentence a usage error shows.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use clap::builder::{PossibleValue, TypedValueParser};

use crate::parse::format::{INPUT_FORMAT_NAMES, InputFormat};
use crate::parse::target::Target;
use crate::parse::time_forms;
use crate::parse::timestamp::{Duration, Timestamp};
use crate::stream::measure::Measure;

/// `--time-init` / `--time-end`: the log's `TS` syntax, RFC 3339, a date,
/// or `now` (the wall clock, read here) with an optional offset.
pub fn time_arg(text: &str) -> Result<Timestamp, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    time_forms::parse_cli_time(text, Timestamp::from_nanos(now))
}

/// `--lateness` (`--max-log-late-seconds`): a duration, bare numbers in
/// seconds.
pub fn lateness_arg(text: &str) -> Result<Duration, String> {
    time_forms::parse_lateness(text)
}

/// `--top`, `--top-capacity`, `--bloom-capacity`: a whole number, at
/// least 1, written as digits only (no sign, no spaces).
pub(crate) fn count_arg(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a whole number of at least 1"));
    }
    match text.parse::<u64>() {
        Ok(0) => Err(format!("'{text}' is not a whole number of at least 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{text}' is too large")),
    }
}

/// `--bloom-fp-rate`: a probability strictly between 0 and 1, in decimal
/// or exponent form (`0.001`, `1e-9`).
pub(crate) fn rate_arg(text: &str) -> Result<f64, String> {
    let bad = || {
        format!(
            "'{text}' is not a false-positive rate: give a number between 0 and 1, such as 1e-9"
        )
    };
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if !plain {
        return Err(bad());
    }
    match text.parse::<f64>() {
        Ok(p) if p > 0.0 && p < 1.0 => Ok(p),
        _ => Err(bad()),
    }
}

/// The value parser of `--input-format`, for
/// `#[arg(value_parser = input_format_arg())]`: the names the log formats
/// give themselves, offered to shell completion (not listed by `--help`,
/// whose line names them already).
pub fn input_format_arg() -> impl TypedValueParser<Value = InputFormat> {
    InputFormatParser
}

/// [`input_format_arg`]: parses as [`InputFormat`] does, with its words,
/// and tells completion the names.
#[derive(Clone, Copy, Debug)]
struct InputFormatParser;

impl TypedValueParser for InputFormatParser {
    type Value = InputFormat;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<InputFormat, clap::Error> {
        let parse = |text: &str| text.parse::<InputFormat>();
        parse.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            INPUT_FORMAT_NAMES.iter().copied().map(PossibleValue::new),
        ))
    }
}

/// The longest wait an option takes, in seconds (about 31 years): far
/// past any real use, and far from where adding it to the clock
/// overflows.
const LONGEST_WAIT_SECONDS: u64 = 1_000_000_000;

/// The shortest `--poll-interval`: polling more often than this finds
/// nothing sooner worth the CPU (at 0 the follower looks in a busy loop).
pub(crate) const SHORTEST_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// `--rotate-wait`: seconds, 0 or more, as digits with an optional
/// fraction (`5`, `0.05`); no sign or exponent, so that every accepted
/// form is exact.
pub(crate) fn wait_arg(text: &str) -> Result<std::time::Duration, String> {
    let forms = "give digits with an optional fraction, such as 5 or 0.5";
    if text.starts_with('-') {
        return Err(format!(
            "'{text}' is negative: give 0 or more seconds, such as 5 or 0.5"
        ));
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return Err(format!("'{text}' is not a number of seconds: {forms}"));
    }
    let too_long =
        || format!("'{text}' is more than {LONGEST_WAIT_SECONDS} seconds, the longest wait");
    let secs: u64 = whole.parse().map_err(|_| too_long())?;
    // Digits below a nanosecond are checked above and then ignored.
    let nanos = format!("{:0<9.9}", fraction).parse::<u32>().unwrap_or(0);
    let wait = std::time::Duration::new(secs, nanos);
    if wait > std::time::Duration::from_secs(LONGEST_WAIT_SECONDS) {
        return Err(too_long());
    }
    Ok(wait)
}

/// `--poll-interval`: a wait as [`wait_arg`] takes, of at least
/// [`SHORTEST_POLL`].
pub(crate) fn poll_interval_arg(text: &str) -> Result<std::time::Duration, String> {
    let wait = wait_arg(text)?;
    if wait < SHORTEST_POLL {
        return Err(format!(
            "'{text}' is less than {} seconds, the shortest poll interval",
            SHORTEST_POLL.as_secs_f64()
        ));
    }
    Ok(wait)
}

/// `--by`.
pub(crate) fn measure_arg(text: &str) -> Result<Measure, String> {
    text.parse()
}

/// The value parser of `--to` and `--from`, for
/// `#[arg(value_parser = target_arg())]`: a host, an address, a network
/// (`10.1.0.0/16`), or `@FILE`, a list of them one a line.
pub fn target_arg() -> impl TypedValueParser<Value = Target> {
    clap::builder::OsStringValueParser::new().try_map(|s: OsString| parse_target(&s))
}

/// A target: one token with no whitespace, or `@FILE` (read here, so that
/// a list that cannot be read or parsed is a usage error like any other
/// bad value).
fn parse_target(text: &OsStr) -> Result<Target, String> {
    let bytes = text.as_bytes();
    match bytes.strip_prefix(b"@") {
        Some(path) if !path.is_empty() => {
            let path = std::path::Path::new(OsStr::from_bytes(path));
            let list = std::fs::read(path)
                .map_err(|e| format!("cannot read the host list {}: {e}", path.display()))?;
            Target::parse_list(bytes, &list).map_err(|e| format!("{}: {e}", path.display()))
        }
        _ => Target::parse(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_and_rate_values() {
        assert_eq!(count_arg("10"), Ok(10));
        for bad in ["0", "-1", " 5", "5 ", "", "1e3", "99999999999999999999"] {
            assert!(count_arg(bad).is_err(), "{bad:?}");
        }
        assert_eq!(rate_arg("1e-9"), Ok(1e-9));
        assert_eq!(rate_arg("0.5"), Ok(0.5));
        for bad in ["0", "1", "-0.1", "nan", "inf", " 0.1", "", "1e9"] {
            assert!(rate_arg(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn waits_are_exact_seconds_within_bounds() {
        use std::time::Duration;
        assert_eq!(wait_arg("0"), Ok(Duration::ZERO));
        assert_eq!(wait_arg("5"), Ok(Duration::from_secs(5)));
        assert_eq!(wait_arg("0.05"), Ok(Duration::from_millis(50)));
        assert_eq!(wait_arg("1.0000000019"), Ok(Duration::new(1, 1)));
        assert_eq!(
            wait_arg("1000000000"),
            Ok(Duration::from_secs(LONGEST_WAIT_SECONDS))
        );
        for bad in [
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e3",
            "1e300",
            "inf",
            "NaN",
            " 5",
            "1000000000.1",
            "99999999999999999999",
        ] {
            assert!(wait_arg(bad).is_err(), "{bad:?}");
        }
        assert_eq!(poll_interval_arg("0.01"), Ok(SHORTEST_POLL));
        for bad in ["0", "0.009", "0.0099999999"] {
            assert!(poll_interval_arg(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn targets_are_single_tokens_or_lists() {
        assert!(parse_target(OsStr::new("Zyla")).unwrap().matches(b"zyla"));
        assert!(parse_target(OsStr::new("")).is_err());
        assert!(parse_target(OsStr::new("a b")).is_err());
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("internal.txt");
        std::fs::write(&list, "# mine\n10.1.0.0/16\nzyla\n").unwrap();
        let arg = format!("@{}", list.display());
        let target = parse_target(OsStr::new(&arg)).unwrap();
        assert!(target.matches(b"10.1.9.9") && target.matches(b"ZYLA"));
        let missing = format!("@{}", dir.path().join("nope").display());
        assert!(
            parse_target(OsStr::new(&missing))
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
