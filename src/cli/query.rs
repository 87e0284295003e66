//! The command line of `connspy`.

use std::ffi::OsString;

use clap::{ArgGroup, Parser};

use crate::cli::common::CommonArgs;
use crate::cli::{DIAGNOSTICS, Example, INPUT, OUTPUT, QUERY, ToolDocs, target_arg, time_arg};
use crate::parse::target::Target;
use crate::parse::timestamp::Timestamp;

const LONG_ABOUT: &str = "\
Which hosts connected to (or from) one host between two times

Prints each distinct host that connected to HOST (--to) or that HOST
connected to (--from), or with both, each distinct pair of hosts from the
one to the other, with time-init <= TS < time-end, one per line, in the
order of its first such record. The log may be plain lines TS FROM_HOST
TO_HOST, a Zeek conn.log (TSV or JSON lines) or AWS VPC flow logs, each
input told by its first line (--input-format). Hosts compare
case-insensitively (ASCII) and print in lower case. The log is
binary-searched for the range instead of scanned, relying on its lateness
bound (--max-log-late-seconds).

In CSV or JSON Lines (--format), each host is a row with the columns
time_init_ns, time_init_rfc3339, time_end_ns, time_end_rfc3339, kind,
target, seq, host: the query's range (in nanoseconds since 1970, exact,
and in RFC 3339 UTC), to or from, the queried host, the host's place in
first-seen order, and the host. A pair's row (kind pair) has from_target
and to_target for target, and from and to for host. --summary adds
first_seen, last_seen, records, bytes, packets, dports and more_dports.";

/// Which hosts connected to (or from) one host between two times
#[derive(Parser, Debug)]
#[command(
    name = "connspy",
    version,
    long_about = LONG_ABOUT,
    override_usage = "connspy (--to HOST | --from HOST | both) --time-init TS --time-end TS [OPTIONS] FILE..."
)]
// Not `required`: clap would then ask for a host even with the exclusive
// `--generate`; the tool reports a missing one. Both may be given: the
// pairs from one to the other.
#[command(group(ArgGroup::new("host").args(["to", "from"]).multiple(true)))]
pub struct QueryArgs {
    /// Report the hosts that connected to HOST
    ///
    /// The FROM_HOST of each record whose TO_HOST is HOST (compared
    /// case-insensitively). HOST may also be a network (10.1.0.0/16,
    /// 2001:db8::/32) or @FILE, a list of hosts and networks one a line.
    /// With --from as well: the pairs FROM_HOST TO_HOST of the records
    /// from --from to --to.
    ///
    /// Example: --to zeekraik
    #[arg(long, value_name = "HOST", value_parser = target_arg(), help_heading = QUERY)]
    pub to: Option<Target>,

    /// Report the hosts HOST connected to
    ///
    /// The TO_HOST of each record whose FROM_HOST is HOST (a host, a
    /// network or @FILE, as for --to). With --to as well: the pairs of
    /// the records from HOST to --to.
    ///
    /// Example: --from zeekraik
    #[arg(long, value_name = "HOST", value_parser = target_arg(), help_heading = QUERY)]
    pub from: Option<Target>,

    /// Start of the range, inclusive: unix time, RFC 3339, a date, now-1h
    ///
    /// Unix seconds, milliseconds (more than 12 digits), fractional
    /// seconds, RFC 3339 with an offset (T or a space between date and
    /// time), a date alone (midnight UTC), or now with an optional offset
    /// (now-1h, now-7d, from the clock); exact to the nanosecond.
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

    /// Files or directories, read as one stream; - is stdin
    ///
    /// Each file may be plain, gzip or zstd. A regular file is
    /// memory-mapped and binary-searched; anything else is read from its
    /// start. A directory stands for the files below it, ordered by their
    /// first records; of those, only the files the range needs are read.
    #[arg(required = true, value_name = "FILE", help_heading = INPUT)]
    pub files: Vec<OsString>,

    /// Read from the start instead of seeking to the range
    ///
    /// Every line up to the early stop is then parsed, and reported when
    /// malformed; in a directory, every file is read from the first.
    ///
    /// Example: --no-fast-seek
    #[arg(long = "no-fast-seek", alias = "nofastseek", help_heading = INPUT)]
    pub no_fast_seek: bool,

    /// One row per host, with first and last time, records, bytes, ports
    ///
    /// Instead of the host alone: first_seen, last_seen (in the log's own
    /// time precision), records, bytes and packets (where the format has
    /// them), and the distinct destination ports (the first 16, then
    /// more_dports says whether there were more). TSV starts with a header
    /// line naming the columns after the host.
    ///
    /// Example: --summary --format csv
    #[arg(long, help_heading = OUTPUT)]
    pub summary: bool,

    /// Print counts on stderr when the run ends
    ///
    /// Hosts printed, malformed lines, files found, skipped, left out by
    /// the time range and opened, bytes decompressed and elapsed time, as
    /// one line.
    ///
    /// Example: --stats
    #[arg(long, help_heading = DIAGNOSTICS)]
    pub stats: bool,

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
            about: "The 12 hosts that reached 10.6.177.146 on SSH or HTTPS in the Zeek sample's first hour:",
            command: "connspy --to 10.6.177.146 --dport 22,443 --time-init 2019-08-12T22:00:00Z --time-end 2019-08-12T23:00:00Z --max-log-late-seconds 3600 sample_data/conn.log",
        },
        Example {
            about: "Per host: first and last time, records, bytes, packets and ports, after a header (18 lines):",
            command: "connspy --to 10.6.177.146 --summary --time-init 2019-08-12T22:00:00Z --time-end 2019-08-12T22:20:00Z --max-log-late-seconds 3600 sample_data/conn.log",
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
