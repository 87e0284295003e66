//! The command line of `connspy`.

use std::ffi::OsString;

use clap::{ArgGroup, Parser};

use crate::cli::common::CommonArgs;
use crate::cli::{Example, INPUT, QUERY, ToolDocs, target_arg, time_arg};
use crate::parse::target::Target;
use crate::parse::timestamp::Timestamp;

const LONG_ABOUT: &str = "\
Which hosts connected to (or from) one host between two times

Prints each distinct host that connected to HOST (--to) or that HOST
connected to (--from) with time-init <= TS < time-end, one per line, in
the order of its first such record. The log may be plain lines TS
FROM_HOST TO_HOST, a Zeek conn.log (TSV or JSON lines) or AWS VPC flow
logs, each input told by its first line (--input-format). Hosts compare
case-insensitively (ASCII) and print in lower case. The log is binary-searched for the range instead of scanned,
relying on its lateness bound (--max-log-late-seconds).

In CSV or JSON Lines (--format), each host is a row with the columns
time_init_ns, time_init_rfc3339, time_end_ns, time_end_rfc3339, kind,
target, seq, host: the query's range (in nanoseconds since 1970, exact,
and in RFC 3339 UTC), to or from, the queried host, the host's place in
first-seen order, and the host.";

/// Which hosts connected to (or from) one host between two times
#[derive(Parser, Debug)]
#[command(
    name = "connspy",
    version,
    long_about = LONG_ABOUT,
    override_usage = "connspy (--to HOST | --from HOST) --time-init TS --time-end TS [OPTIONS] FILE..."
)]
// Not `required`: clap would then ask for a host even with the exclusive
// `--generate`; the tool reports a missing one.
#[command(group(ArgGroup::new("host").args(["to", "from"])))]
pub struct QueryArgs {
    /// Report the hosts that connected to HOST
    ///
    /// The FROM_HOST of each record whose TO_HOST is HOST (compared
    /// case-insensitively). HOST may also be a network (10.1.0.0/16,
    /// 2001:db8::/32) or @FILE, a list of hosts and networks one a line.
    /// Exactly one of --to and --from.
    ///
    /// Example: --to zeekraik
    #[arg(long, value_name = "HOST", value_parser = target_arg(), help_heading = QUERY)]
    pub to: Option<Target>,

    /// Report the hosts HOST connected to
    ///
    /// The TO_HOST of each record whose FROM_HOST is HOST (a host, a
    /// network or @FILE, as for --to).
    ///
    /// Example: --from zeekraik
    #[arg(long, value_name = "HOST", value_parser = target_arg(), help_heading = QUERY)]
    pub from: Option<Target>,

    /// Start of the range, inclusive: unix time or RFC 3339
    ///
    /// Unix seconds, milliseconds (more than 12 digits), fractional
    /// seconds, or RFC 3339 with an offset; exact to the nanosecond.
    ///
    /// Example: --time-init 1565647200000 or --time-init 2019-08-12T22:00:00Z
    #[arg(long = "time-init", alias = "time_init", value_name = "TS",
          value_parser = time_arg, allow_hyphen_values = true, help_heading = QUERY)]
    pub time_init: Timestamp,

    /// End of the range, exclusive
    ///
    /// The same forms as --time-init.
    ///
    /// Example: --time-end 2019-08-12T23:00:00Z
    #[arg(long = "time-end", alias = "time_end", value_name = "TS",
          value_parser = time_arg, allow_hyphen_values = true, help_heading = QUERY)]
    pub time_end: Timestamp,

    /// Log files, read in order as one stream; - is stdin
    ///
    /// Each may be plain, gzip or zstd. A regular file is memory-mapped
    /// and binary-searched; anything else is read from its start.
    #[arg(required = true, value_name = "FILE", help_heading = INPUT)]
    pub files: Vec<OsString>,

    /// Read from the start instead of seeking to the range
    ///
    /// Every line up to the early stop is then parsed, and reported when
    /// malformed.
    ///
    /// Example: --no-fast-seek
    #[arg(long = "no-fast-seek", alias = "nofastseek", help_heading = INPUT)]
    pub no_fast_seek: bool,

    /// The options both tools share.
    #[command(flatten)]
    pub common: CommonArgs,
}

impl ToolDocs for QueryArgs {
    const EXAMPLES: &'static [Example] = &[
        Example {
            about: "The 15 hosts that connected to zeekraik in the sample log's first hour:",
            command: "connspy --to zeekraik --time-init 2019-08-12T22:00:00Z --time-end 2019-08-12T23:00:00Z sample_data/input-file-10000.txt",
        },
        Example {
            about: "The 10 hosts zeekraik connected to in that hour, in milliseconds, as JSON Lines:",
            command: "connspy --from zeekraik --time-init 1565647200000 --time-end 1565650800000 --format jsonl sample_data/input-file-10000.txt",
        },
        Example {
            about: "Rotated logs, oldest first, read as one stream (compressed or not):",
            command: "connspy --to nodrouk --time-init 1565647200 --time-end 1565650800 conn.log.2.gz conn.log.1 conn.log",
        },
        Example {
            about: "Standard input:",
            command: "zcat conn.log.gz | connspy --to nodrouk --time-init 1565647200 --time-end 1565650800 -",
        },
    ];
    const OWN_EXIT_STATUS: &'static [(&'static str, &'static str)] = &[];
    const SEE_ALSO: &'static [&'static str] = &["connspy-stream"];
}
