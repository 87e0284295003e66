//! Command-line plumbing shared by both tools: argument parsing with
//! one-line errors, and the value parsers of the options they share.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use clap::Parser;
use clap::builder::TypedValueParser;
use clap::error::ErrorKind;

use crate::exit::{UsageError, clap_error_line};
use crate::record::is_separator;
use crate::timestamp::{self, Duration, Timestamp};

/// Parses the command line; `Ok(None)` means `--help` or `--version` was
/// printed and the tool should exit 0. Any other clap error becomes a
/// one-line [`UsageError`] (exit status 2).
pub fn parse_args<C: Parser>() -> anyhow::Result<Option<C>> {
    match C::try_parse() {
        Ok(cli) => Ok(Some(cli)),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.print()?;
            Ok(None)
        }
        Err(e) => Err(UsageError(clap_error_line(&e)).into()),
    }
}

/// `--time_init` / `--time_end`: the log's `TS` syntax or RFC 3339.
pub fn time_arg(text: &str) -> Result<Timestamp, String> {
    timestamp::parse_cli_time(text)
}

/// `--max_log_late_seconds`: non-negative seconds, fractions allowed.
pub fn lateness_arg(text: &str) -> Result<Duration, String> {
    timestamp::parse_lateness(text)
}

/// A host given on the command line, as bytes since logs need not be UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostName(pub Vec<u8>);

/// The value parser of host options, for `#[arg(value_parser = host_arg())]`.
pub fn host_arg() -> impl TypedValueParser<Value = HostName> {
    clap::builder::OsStringValueParser::new()
        .try_map(|s: std::ffi::OsString| parse_host(&s).map(HostName))
}

/// A host name: one non-empty token with no whitespace (a log field can
/// never equal anything else).
fn parse_host(text: &OsStr) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err("a host name must not be empty".into());
    }
    if bytes.iter().any(|&b| is_separator(b)) {
        return Err(format!(
            "'{}' contains whitespace, so no log field can equal it",
            text.to_string_lossy()
        ));
    }
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_single_tokens() {
        assert_eq!(parse_host(OsStr::new("Zyla")).unwrap(), b"Zyla");
        assert!(parse_host(OsStr::new("")).is_err());
        assert!(parse_host(OsStr::new("a b")).is_err());
    }
}
