//! The command line of `connspy`.

use std::ffi::OsString;

use clap::{ArgGroup, Parser};

use crate::cli::common::CommonArgs;
use crate::cli::{target_arg, time_arg};
use crate::parse::target::Target;
use crate::parse::timestamp::Timestamp;

const EXAMPLES: &str = "\
Examples:
  connspy --to zyla --time-init 1565647264445 --time-end 1565733587895 conn.log
  connspy --from zyla --time-init 2019-08-12T22:00:00Z --time-end 2019-08-12T23:00:00Z conn.log
  zcat old.log.gz | connspy --to zyla --time-init 1565647200 --time-end 1565650800 -
  connspy --to zyla --time-init 1565647200 --time-end 1565650800 --format jsonl conn.log

Exit status: 0 success (also when nothing matched), 1 unreadable input or
I/O error (or a malformed line with --strict), 2 bad command line.";

/// Which hosts connected to (or from) one host between two times.
///
/// Prints each distinct host that connected to HOST (--to) or that HOST
/// connected to (--from) with time-init <= TS < time-end, in the order of
/// its first such record. Log lines are `TS FROM_HOST TO_HOST`.
#[derive(Parser, Debug)]
#[command(name = "connspy", version, after_help = EXAMPLES)]
#[command(group(ArgGroup::new("host").required(true).args(["to", "from"])))]
pub struct QueryArgs {
    /// Report the hosts that connected to HOST (FROM_HOST of records whose
    /// TO_HOST is HOST; case-insensitive). HOST may also be a network
    /// (10.1.0.0/16, 2001:db8::/32) or @FILE, a list of hosts and networks
    /// one a line. Example: --to zyla
    #[arg(long, value_name = "HOST", value_parser = target_arg())]
    pub to: Option<Target>,

    /// Report the hosts HOST connected to (TO_HOST of records whose
    /// FROM_HOST is HOST). Example: --from zyla
    #[arg(long, value_name = "HOST", value_parser = target_arg())]
    pub from: Option<Target>,

    /// Start of the range, inclusive: unix seconds, milliseconds (more than
    /// 12 digits), fractional seconds, or RFC 3339.
    /// Example: --time-init 1565647264445 or --time-init 2019-08-12T22:00:00Z
    #[arg(long = "time-init", alias = "time_init", value_name = "TS",
          value_parser = time_arg, allow_hyphen_values = true)]
    pub time_init: Timestamp,

    /// End of the range, exclusive; same forms as --time-init.
    /// Example: --time-end 1565733587895
    #[arg(long = "time-end", alias = "time_end", value_name = "TS",
          value_parser = time_arg, allow_hyphen_values = true)]
    pub time_end: Timestamp,

    /// Read from the start of the file instead of binary-searching for the
    /// range, and parse (and report) every line up to the early stop.
    #[arg(long = "no-fast-seek", alias = "nofastseek")]
    pub no_fast_seek: bool,

    /// The options both tools share.
    #[command(flatten)]
    pub common: CommonArgs,

    /// Log files, read in order as one stream; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<OsString>,
}
