//! Command-line plumbing shared by both tools: argument parsing with
//! one-line errors, the value parsers of the options they share, and shell
//! completions and man pages generated from the same definitions.

pub mod common;
pub mod query;
pub mod stream;

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Arg, Parser, ValueEnum, value_parser};
use clap_complete::{Generator, Shell};

use crate::error::{Error, IoContext};
use crate::exit::clap_error_line;
use crate::parse::format::InputFormat;
use crate::parse::target::Target;
use crate::parse::timestamp::{self, Duration, Timestamp};

/// The option that writes documentation instead of running the tool; it
/// must come first and alone (see [`parse_args`]).
pub const GENERATE: &str = "--generate";

/// What `--generate` writes on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    /// A completion script for bash.
    Bash,
    /// A completion script for zsh.
    Zsh,
    /// A completion script for fish.
    Fish,
    /// A completion script for elvish.
    Elvish,
    /// A completion script for PowerShell.
    Powershell,
    /// The man page, in roff (`man -l -` shows it).
    Man,
}

/// Parses the command line; `Ok(None)` means `--help`, `--version` or
/// `--generate` output was printed and the tool should exit 0. Any other
/// clap error becomes a one-line [`Error::Usage`] (exit status 2).
///
/// `TOOL --generate WHAT` writes a shell completion script or the man page
/// built from the same definitions as the parser, so neither can drift
/// from the options. It is not one of the tool's options (those require
/// hosts and files), hence first and alone, and not in `--help`.
pub fn parse_args<C: Parser>() -> Result<Option<C>, Error> {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == GENERATE) {
        let what = generate_request(C::command().get_name(), args)?;
        let text = generate(C::command(), what).doing(|| "cannot write the output".into())?;
        io::stdout()
            .lock()
            .write_all(&text)
            .doing(|| "cannot write to stdout".into())?;
        return Ok(None);
    }
    match C::try_parse_from(args) {
        Ok(cli) => Ok(Some(cli)),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.print().doing(|| "cannot write to stdout".into())?;
            Ok(None)
        }
        Err(e) => Err(Error::Usage(clap_error_line(&e))),
    }
}

/// Parses `TOOL --generate WHAT`.
fn generate_request(tool: &str, args: Vec<OsString>) -> Result<Generated, Error> {
    let cmd = clap::Command::new("generate").bin_name(tool).arg(
        Arg::new("generate")
            .long(&GENERATE[2..])
            .value_name("WHAT")
            .required(true)
            .value_parser(value_parser!(Generated)),
    );
    match cmd.try_get_matches_from(args) {
        Ok(matches) => matches
            .get_one::<Generated>("generate")
            .copied()
            .ok_or_else(|| Error::Usage("--generate needs a value".into())),
        Err(e) => Err(Error::Usage(clap_error_line(&e))),
    }
}

/// A completion script for `cmd` or its man page.
pub fn generate(mut cmd: clap::Command, what: Generated) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let shell = match what {
        Generated::Man => {
            clap_mangen::Man::new(cmd).render(&mut out)?;
            return Ok(out);
        }
        Generated::Bash => Shell::Bash,
        Generated::Zsh => Shell::Zsh,
        Generated::Fish => Shell::Fish,
        Generated::Elvish => Shell::Elvish,
        Generated::Powershell => Shell::PowerShell,
    };
    let name = cmd.get_name().to_string();
    cmd.set_bin_name(name);
    cmd.build();
    shell
        .try_generate(&cmd, &mut out)
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok(out)
}

/// `--time-init` / `--time-end`: the log's `TS` syntax or RFC 3339.
pub fn time_arg(text: &str) -> Result<Timestamp, String> {
    timestamp::parse_cli_time(text)
}

/// `--input-format`.
pub fn input_format_arg(text: &str) -> Result<InputFormat, String> {
    text.parse()
}

/// `--max_log_late_seconds`: non-negative seconds, fractions allowed.
pub fn lateness_arg(text: &str) -> Result<Duration, String> {
    timestamp::parse_lateness(text)
}

/// A wait in seconds, decimals allowed (`5`, `0.05`).
pub fn seconds_arg(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds (0 or more)"))
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

    /// A stand-in for the tools' definitions.
    #[derive(Parser)]
    #[command(name = "tool", version, about = "Does a thing.")]
    struct Tool {
        /// The start time.
        #[arg(long = "time_init")]
        time_init: String,
    }

    use clap::CommandFactory;

    #[test]
    fn completions_and_man_pages_come_from_the_definitions() {
        for what in Generated::value_variants() {
            let text = String::from_utf8(generate(Tool::command(), *what).unwrap()).unwrap();
            assert!(text.contains("time_init"), "{what:?}: {text}");
        }
        let man = String::from_utf8(generate(Tool::command(), Generated::Man).unwrap()).unwrap();
        assert!(
            man.contains(".SH NAME") && man.contains("Does a thing."),
            "{man}"
        );
    }

    #[test]
    fn generate_takes_exactly_one_known_value() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            generate_request("tool", args(&["tool", "--generate", "zsh"])).unwrap(),
            Generated::Zsh
        );
        for bad in [
            &["tool", "--generate"][..],
            &["tool", "--generate", "tcsh"],
            &["tool", "--generate", "bash", "--time_init", "1"],
        ] {
            let err = generate_request("tool", args(bad)).unwrap_err();
            assert!(matches!(err, Error::Usage(_)), "{bad:?}: {err}");
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
