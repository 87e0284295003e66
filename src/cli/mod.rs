//! Command-line plumbing shared by both tools: argument parsing with
//! one-line errors in the tools' words (`usage`), the value parsers of
//! the options (`values`), the words of `--help` that are not options
//! (`help`), the full command (`command`), the shell completions and man
//! pages generated from it (`generate`), and the one rule for options
//! that apply only beside another (`only_with`).

mod command;
pub mod common;
mod generate;
mod help;
mod only_with;
pub mod query;
pub mod stream;
mod usage;
mod values;

pub use command::{GENERATE, Generated, command};
pub use generate::generate;
pub(crate) use help::{DEDUP, DIAGNOSTICS, FILTERS, INPUT, OUTPUT, QUERY, SUMMARY, WINDOWS};
pub use help::{Example, OnlyWith, ToolDocs};
pub(crate) use values::{count_arg, measure_arg, poll_interval_arg, rate_arg, wait_arg};
pub use values::{input_format_arg, lateness_arg, target_arg, time_arg};

use std::ffi::OsString;
use std::io::{self, Write};

use clap::error::ErrorKind;

use crate::error::{Error, IoContext};

/// Parses the command line; `Ok(None)` means `--help`, `--version` or
/// `--generate` output was printed and the tool should exit 0. Any other
/// parse error becomes a one-sentence [`Error::Usage`] in the tool's own
/// words (exit status 2).
///
/// `TOOL --generate WHAT` writes a shell completion script or the man page
/// built from the same definitions as the parser, so neither can drift
/// from the options. It takes no other option (those require hosts and
/// files), which clap's `exclusive` enforces.
pub fn parse_args<C: ToolDocs>() -> Result<Option<C>, Error> {
    parse_from::<C>(std::env::args_os())
}

/// [`parse_args`] over given arguments (the first is the program name).
pub(crate) fn parse_from<C: ToolDocs>(
    args: impl IntoIterator<Item = OsString>,
) -> Result<Option<C>, Error> {
    let cmd = command::<C>();
    let matches = match cmd.clone().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.print().doing(|| "cannot write to stdout".into())?;
            return Ok(None);
        }
        Err(e) => return Err(Error::Usage(usage::sentence(&e))),
    };
    if let Some(what) = matches.get_one::<Generated>("generate") {
        let text = generate::<C>(*what).doing(|| "cannot write the output".into())?;
        io::stdout()
            .lock()
            .write_all(&text)
            .doing(|| "cannot write to stdout".into())?;
        return Ok(None);
    }
    only_with::check(&cmd, &matches, C::ONLY_WITH).map_err(Error::Usage)?;
    C::from_arg_matches(&matches)
        .map(Some)
        .map_err(|e| Error::Usage(usage::sentence(&e)))
}
