//! The options both tools share, declared once and flattened into each.

use clap::Args;

use crate::cli::{DIAGNOSTICS, FILTERS, INPUT, OUTPUT, input_format_arg, lateness_arg};
use crate::output::Format;
use crate::parse::detail::Action;
use crate::parse::filter::{PortSet, ProtoSet, RecordFilter, parse_action_arg};
use crate::parse::format::InputFormat;
use crate::parse::timestamp::Duration;

/// Options with the same meaning in `connspy` and `connspy-stream`.
///
/// Each doc comment's first paragraph is the `-h` line (keep it to one
/// short line); the rest is added by `--help` and the man page.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Lateness bound L (5m, 1h...)
    ///
    /// No record is more than L older than the newest record before it.
    /// Fast seek, the early stop and the closing of windows rely on it.
    /// Whole or fractional seconds (300, 0.25), or a number with a unit
    /// ms, s, m, h or d (90s, 5m, 1h, 1.5h). A run that reads a record
    /// later than L allows ends with a warning naming the bound that would
    /// cover it. Zeek conn.log records come when their connection ends:
    /// use hours (7200, or 2h, is recommended; the formats' bounds:
    /// --input-format).
    ///
    /// Example: --max-log-late-seconds 600 or --lateness 1h
    #[arg(long = "max-log-late-seconds", alias = "max_log_late_seconds",
          visible_alias = "lateness", value_name = "L", default_value = "300",
          value_parser = lateness_arg, allow_hyphen_values = true, help_heading = INPUT)]
    pub lateness: Duration,

    /// Stop with exit status 1 at the first malformed line
    ///
    /// Without it, a malformed line is skipped and reported on stderr (the
    /// first five one by one, then a total).
    ///
    /// Example: --strict
    #[arg(long, help_heading = INPUT)]
    pub strict: bool,

    /// Log format: auto, plain, zeek, zeek-json or vpc
    ///
    /// auto (the default) tells each input by its first line: plain (TS FROM_HOST
    /// TO_HOST), zeek (Zeek TSV conn.log), zeek-json (Zeek JSON lines) or
    /// vpc (AWS VPC flow logs). Zeek writes a connection when it ends, so
    /// a Zeek log needs a lateness bound of hours (--max-log-late-seconds
    /// 7200 is recommended); a VPC log, its aggregation interval plus the
    /// delivery delay (1200 for the 10-minute default). More on each
    /// format: <https://github.com/connspy/connspy>
    ///
    /// Example: --input-format zeek
    #[arg(long = "input-format", value_name = "FORMAT", default_value = "auto",
          value_parser = input_format_arg(), hide_possible_values = true,
          hide_default_value = true, help_heading = INPUT)]
    pub input_format: InputFormat,

    /// Only records to these ports (also --sport, --proto, --action)
    ///
    /// One port, a list, ranges, or a mix: 22, 80,443, 6000-6100,
    /// 22,6000-6100. Zeek (id.resp_p)
    /// and VPC (dstport) logs have the field; for ICMP, Zeek writes the
    /// code there and VPC 0 (add --proto tcp to leave ICMP out). A record
    /// whose port is unset (-) does not match. Every filter given must
    /// match, and --to/--from as well.
    ///
    /// Example: --dport 22
    #[arg(long, value_name = "PORTS", value_parser = PortSet::parse, help_heading = FILTERS)]
    pub dport: Option<PortSet>,

    /// Only records from these source ports (as --dport)
    ///
    /// Zeek (id.orig_p) and VPC (srcport) logs have the field.
    ///
    /// Example: --sport 1024-65535
    #[arg(long, value_name = "PORTS", value_parser = PortSet::parse,
          help_heading = FILTERS)]
    pub sport: Option<PortSet>,

    /// Only records of this protocol: tcp, udp, icmp or a number
    ///
    /// Several may be given with commas (tcp,udp). icmp is ICMP and
    /// ICMPv6 (1 and 58). Zeek (proto) and VPC (protocol) logs have the
    /// field.
    ///
    /// Example: --proto udp
    #[arg(long, value_name = "PROTO", value_parser = ProtoSet::parse,
          help_heading = FILTERS)]
    pub proto: Option<ProtoSet>,

    /// Only VPC records with this action: accept or reject
    ///
    /// Only VPC flow logs have the field (action).
    ///
    /// Example: --action reject
    #[arg(long, value_name = "ACTION", value_parser = parse_action_arg,
          help_heading = FILTERS)]
    pub action: Option<Action>,

    /// Output format: tsv, csv or jsonl
    ///
    /// tsv is the original tool's lines; csv has a header line; jsonl is
    /// one JSON object per line. A host is kept exactly: in CSV as its
    /// bytes, in JSON as its text when it is valid UTF-8, else with an
    /// extra host_bytes field holding its bytes in hex.
    ///
    /// Example: --format jsonl
    #[arg(long, value_name = "FORMAT", default_value = "tsv",
          hide_possible_values = true, help_heading = OUTPUT)]
    pub format: Format,

    /// No notes, warnings, progress bar or malformed-line reports
    ///
    /// Errors are still reported, as one line on stderr.
    ///
    /// Example: -q
    #[arg(short, long, conflicts_with = "verbose", help_heading = DIAGNOSTICS)]
    pub quiet: bool,

    /// Say which inputs are compressed, and which files are read
    ///
    /// gzip and zstd inputs are recognised by their first bytes, whatever
    /// their name, and decompressed. Of a directory's files, each file
    /// passed over is named with the reason, and each file read.
    ///
    /// Example: -v
    #[arg(short, long, help_heading = DIAGNOSTICS)]
    pub verbose: bool,
}

impl CommonArgs {
    /// The record filters given.
    pub fn record_filter(&self) -> RecordFilter {
        RecordFilter {
            sport: self.sport.clone(),
            dport: self.dport.clone(),
            proto: self.proto.clone(),
            action: self.action,
        }
    }
}
