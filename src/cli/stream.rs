//! The command line of `connspy-stream`.

use std::ffi::OsString;

use clap::Parser;

use crate::cli::common::CommonArgs;
use crate::cli::{
    DEDUP, DIAGNOSTICS, Example, INPUT, OnlyWith, SUMMARY, ToolDocs, WINDOWS, count_arg,
    measure_arg, poll_interval_arg, rate_arg, target_arg, time_arg, wait_arg,
};
use crate::parse::target::Target;
use crate::parse::timestamp::Timestamp;
use crate::stream::measure::Measure;
use crate::stream::window::WindowWidth;

const LONG_ABOUT: &str = "\
Hour-by-hour (or window-by-window) summaries of a connection log

For each hour (or --window) of a connection log, prints the hosts that
connected to --to (TO lines), the hosts --from connected to (FROM lines)
and the most active host (MOST line), tab-separated. The log may be plain
lines TS FROM_HOST TO_HOST, a Zeek conn.log (TSV or JSON lines) or AWS VPC
flow logs, each input told by its first line (--input-format). The first
example below prints, for the hour starting at 1565647200
(2019-08-12T22:00:00Z):

  1565647200.0	TO	nodrouk
  1565647200.0	FROM	kaikres
  1565647200.0	FROM	kigroul
  1565647200.0	FROM	potros
  1565647200.0	MOST	nodrouk

A window is printed once the log has moved more than its width plus
--max-log-late-seconds past its start; the windows still open at the end
of the input are printed then (unless --only-complete-hours).

Opt-in rows: --top K prints the K most active hosts with their counts (TOP
lines), --emit-counts every host's count (COUNT lines). --format csv or
jsonl prints the same rows with the columns window_start,
window_start_rfc3339, kind, seq, host, count (kind is to, from, top,
count, bytes, packets or pair; pair rows, with --emit-counts and --by
peers, in or out, add a column peer).";

/// Hour-by-hour (or window-by-window) summaries of a connection log
#[derive(Parser, Debug)]
#[command(name = "connspy-stream", version, long_about = LONG_ABOUT,
          override_usage = "connspy-stream --to HOST --from HOST [OPTIONS] [FILE]...")]
pub struct StreamArgs {
    /// List, per window, the hosts that connected to HOST
    ///
    /// The FROM_HOST of each record whose TO_HOST is HOST (compared
    /// case-insensitively), once per window, in first-seen order. HOST may
    /// also be a network (10.1.0.0/16, 2001:db8::/32) or @FILE, a list of
    /// hosts and networks: then every source that connected to any host
    /// in it.
    ///
    /// Example: --to jaibrain
    #[arg(long, value_name = "HOST", value_parser = target_arg(), help_heading = SUMMARY)]
    pub to: Target,

    /// List, per window, the hosts HOST connected to
    ///
    /// The TO_HOST of each record whose FROM_HOST is HOST (a host, a
    /// network or @FILE, as for --to).
    ///
    /// Example: --from eevous
    #[arg(long, value_name = "HOST", value_parser = target_arg(), help_heading = SUMMARY)]
    pub from: Target,

    /// At the end, leave out the windows still open
    ///
    /// Only windows the data proves complete are printed.
    ///
    /// Example: --only-complete-hours
    #[arg(long = "only-complete-hours", aliases = ["only_complete_hours", "only-complete-windows"],
          help_heading = SUMMARY)]
    pub only_complete_windows: bool,

    /// Print only the windows that meet this time and later
    ///
    /// Whole windows: the one holding this time is printed as without the
    /// option. Unix time or RFC 3339, as connspy's. Of the files, only
    /// those the range needs are read.
    ///
    /// Example: --time-init 2019-08-12T00:00:00Z
    #[arg(long = "time-init", alias = "time_init", value_name = "TS",
          value_parser = time_arg, allow_hyphen_values = true, help_heading = SUMMARY)]
    pub time_init: Option<Timestamp>,

    /// Print only the windows that meet times before this one
    ///
    /// Exclusive; the same forms as --time-init. Reading stops once the
    /// data proves the last window of the range complete.
    ///
    /// Example: --time-end 2019-08-13T00:00:00Z
    #[arg(long = "time-end", alias = "time_end", value_name = "TS",
          value_parser = time_arg, allow_hyphen_values = true, help_heading = SUMMARY)]
    pub time_end: Option<Timestamp>,

    /// Files or directories, read as one stream; none or - is stdin
    ///
    /// Each file may be plain, gzip or zstd. A directory stands for the
    /// files below it, ordered by their first records.
    #[arg(value_name = "FILE", help_heading = INPUT)]
    pub files: Vec<OsString>,

    /// Keep following the last file as it grows, like tail -F
    ///
    /// Each window is printed and flushed as soon as it closes. With stdin
    /// or a FIFO: read until it closes. A compressed last file cannot be
    /// followed.
    ///
    /// Example: --tail /var/log/conn.log
    #[arg(long, help_heading = INPUT)]
    pub tail: bool,

    /// Keep reading a rotated-away file this long [default: 5]
    ///
    /// After a rotation (the file renamed, a new one at its path), the old
    /// file is still read, beside the new one, for this many seconds or
    /// until it is deleted, so that a writer that reopens late loses
    /// nothing; its unterminated last line is taken as a line only when
    /// the wait ends. Seconds, 0 or more, fractions allowed.
    ///
    /// Example: --rotate-wait 30
    #[arg(long = "rotate-wait", value_name = "SECONDS", value_parser = wait_arg,
          allow_hyphen_values = true, help_heading = INPUT)]
    pub rotate_wait: Option<std::time::Duration>,

    /// With --tail, poll for changes instead of waiting for events
    ///
    /// For file systems that give no file-system events (some network
    /// ones). Without a watch, polling is used anyway, with a notice.
    ///
    /// Example: --poll
    #[arg(long, help_heading = INPUT)]
    pub poll: bool,

    /// The wait between looks when polling [default: 0.2]
    ///
    /// Seconds, fractions allowed; at least 0.01.
    ///
    /// Example: --poll-interval 0.05
    #[arg(long = "poll-interval", value_name = "SECONDS", value_parser = poll_interval_arg,
          allow_hyphen_values = true, help_heading = INPUT)]
    pub poll_interval: Option<std::time::Duration>,

    /// Window width: s, m, h or d dividing a day [default: 1h]
    ///
    /// A whole number of seconds (s, or no unit), minutes (m), hours (h)
    /// or days (d) that divides a day, so that windows start at UTC
    /// midnight and nest. Each record belongs to the window starting at
    /// floor(TS / W) * W.
    ///
    /// Example: --window 5m
    #[arg(long, value_name = "W", value_parser = WindowWidth::parse,
          allow_hyphen_values = true, help_heading = WINDOWS)]
    pub window: Option<WindowWidth>,

    /// Print the K most active hosts with counts instead of MOST
    ///
    /// TOP lines, highest count first; ties go to the host counted first.
    /// --top 1 is the default MOST line (in CSV and JSON Lines, a top row
    /// with its count).
    ///
    /// Example: --top 10
    #[arg(long, value_name = "K", default_value = "1", value_parser = count_arg,
          allow_hyphen_values = true, help_heading = WINDOWS)]
    pub top: u64,

    /// Rank hosts by records, bytes, packets, peers, in or out
    ///
    /// What MOST and TOP rank by [default: records, the original's MOST].
    /// records: the records a host is in, either side; bytes, packets:
    /// theirs, both directions (Zeek: orig_ip_bytes + resp_ip_bytes,
    /// orig_pkts + resp_pkts; VPC: bytes, packets); peers: the distinct
    /// hosts it exchanged records with, either way; in: that connected to
    /// it (fan-in); out: it connected to (fan-out). Counted exactly; bytes
    /// and packets may be bounded by --top-capacity, distinct peers not.
    /// With --emit-counts, bytes and packets add BYTES or PACKETS lines,
    /// and peers, in and out the PAIR lines (each distinct FROM, TO pair
    /// once), so that machines' summaries merge exactly.
    ///
    /// Example: --top 10 --by bytes
    #[arg(long, value_name = "MEASURE", value_parser = measure_arg,
          hide_possible_values = true, help_heading = WINDOWS)]
    pub by: Option<Measure>,

    /// Count each window in at most N counters (bounded memory)
    ///
    /// A Space-Saving summary: exact while a window has at most N distinct
    /// hosts. Memory then stays under N x (236 bytes + twice the longest
    /// host name) per window, however many hosts it has. Past N distinct
    /// hosts the guarantee is: every host whose true count is more than
    /// 1/min(N,K+1) of the window's total activity (one per host per
    /// record) is printed among the top K, and each printed count is never
    /// below the host's true count and at most total/N above it. N must be
    /// at least --top; not with --emit-counts.
    ///
    /// Example: --top 10 --top-capacity 100000
    #[arg(long = "top-capacity", value_name = "N", conflicts_with = "emit_counts",
          value_parser = count_arg, allow_hyphen_values = true, help_heading = WINDOWS)]
    pub top_capacity: Option<u64>,

    /// Also print every host's count, for merging across machines
    ///
    /// COUNT lines, or count rows, so that summaries of a log split across
    /// machines can be merged exactly: per window, the union of the to and
    /// from rows, and the sum of each host's counts (in SQL, SELECT
    /// window_start, host, SUM(count) FROM rows WHERE kind = 'count' GROUP
    /// BY window_start, host), which gives the MOST and top hosts.
    ///
    /// Example: --emit-counts --format csv
    #[arg(long = "emit-counts", help_heading = WINDOWS)]
    pub emit_counts: bool,

    /// With --top-capacity, deduplicate the lists exactly, not by Bloom
    ///
    /// Each list then keeps a set of its hosts: no false positives.
    ///
    /// Example: --exact
    #[arg(long, help_heading = DEDUP)]
    pub exact: bool,

    /// Hosts per list a Bloom filter may grow to [default: 1000000]
    ///
    /// A filter starts small and grows with the hosts its list meets;
    /// past this many, the false-positive rate rises and the tool warns
    /// once.
    ///
    /// Example: --bloom-capacity 10000000
    #[arg(long = "bloom-capacity", value_name = "N", conflicts_with = "exact",
          value_parser = count_arg, allow_hyphen_values = true,
          help_heading = DEDUP)]
    pub bloom_capacity: Option<u64>,

    /// The Bloom filters' false-positive rate [default: 1e-9]
    ///
    /// The total rate at capacity, 0 < P < 1; a false positive leaves a
    /// host out of a list.
    ///
    /// Example: --bloom-fp-rate 1e-6
    #[arg(long = "bloom-fp-rate", value_name = "P", conflicts_with = "exact",
          value_parser = rate_arg, allow_hyphen_values = true,
          help_heading = DEDUP)]
    pub bloom_fp_rate: Option<f64>,

    /// The options both tools share.
    #[command(flatten)]
    pub common: CommonArgs,

    /// Print counts and speed on stderr when the run ends
    ///
    /// Records, malformed and too-late lines, windows printed, bytes,
    /// elapsed time and records per second, as one line, whenever the run
    /// ends: at the end of the input, on a closed stdout, on SIGINT,
    /// SIGTERM or SIGHUP, or on an error.
    ///
    /// Example: --stats
    #[arg(long, help_heading = DIAGNOSTICS)]
    pub stats: bool,
}

impl ToolDocs for StreamArgs {
    const EXAMPLES: &'static [Example] = &[
        Example {
            about: "Who connected to jaibrain, and whom eevous connected to, by the hour (53 lines):",
            command: "connspy-stream --to jaibrain --from eevous sample_data/input-file-10000.txt",
        },
        Example {
            about: "The 3 most active hosts of each 6-hour window, with counts (42 lines):",
            command: "connspy-stream --to jaibrain --from eevous --window 6h --top 3 sample_data/input-file-10000.txt",
        },
        Example {
            about: "The same over SSH alone, on the Zeek sample (33 lines):",
            command: "connspy-stream --to 10.6.177.146 --from 10.113.125.2 --dport 22 --max-log-late-seconds 3600 sample_data/conn.log",
        },
        Example {
            about: "Only the hours proven complete, over two days' logs:",
            command: "connspy-stream --to jaibrain --from eevous --only-complete-hours day1.log day2.log",
        },
        Example {
            about: "Follow a live log, each hour printed as soon as it closes:",
            command: "connspy-stream --to jaibrain --from eevous --tail /var/log/conn.log",
        },
        Example {
            about: "Per-machine rows to merge in SQL (see --emit-counts):",
            command: "connspy-stream --to jaibrain --from eevous --emit-counts --format csv conn.log > \"$(hostname).csv\"",
        },
        Example {
            about: "Standard input, with counts and speed on stderr:",
            command: "zcat conn.log.gz | connspy-stream --to jaibrain --from eevous --stats",
        },
    ];
    const ONLY_WITH: &'static [OnlyWith] = &[
        OnlyWith {
            option: "rotate_wait",
            needs: "tail",
            why: "only a followed file is rotated",
        },
        OnlyWith {
            option: "poll",
            needs: "tail",
            why: "only a followed file is polled",
        },
        OnlyWith {
            option: "poll_interval",
            needs: "tail",
            why: "only a followed file is polled",
        },
        OnlyWith {
            option: "exact",
            needs: "top_capacity",
            why: "without it the lists are exact already, with no Bloom filter",
        },
        OnlyWith {
            option: "bloom_capacity",
            needs: "top_capacity",
            why: "without it the lists are exact, with no Bloom filter",
        },
        OnlyWith {
            option: "bloom_fp_rate",
            needs: "top_capacity",
            why: "without it the lists are exact, with no Bloom filter",
        },
    ];
    const SEE_ALSO: &'static [&'static str] = &["connspy"];
    const OWN_EXIT_STATUS: &'static [(&'static str, &'static str)] = &[
        (
            "129",
            "stopped by SIGHUP (unless started under nohup), after printing the windows already complete",
        ),
        (
            "130",
            "stopped by SIGINT, after printing the windows already complete",
        ),
        (
            "143",
            "stopped by SIGTERM, after printing the windows already complete",
        ),
    ];
}
