//! The command line of `connspy-stream`.

use std::ffi::OsString;

use clap::Parser;

use crate::cli::common::CommonArgs;
use crate::cli::{seconds_arg, target_arg};
use crate::parse::target::Target;
use crate::stream::window::WindowWidth;

const ABOUT: &str = "\
For each hour (or --window) of a connection log (lines `TS FROM_HOST
TO_HOST`), prints the hosts that connected to --to (TO lines), the hosts
--from connected to (FROM lines) and the most active host (MOST line),
tab-separated:

  1565658000.0	TO	devonta
  1565658000.0	FROM	kexin
  1565658000.0	MOST	zeplin

A window is printed once the log has moved more than its width plus
--max-log-late-seconds past its start; the windows still open at the end of
the input are printed then (unless --only-complete-hours).

Opt-in rows: --top K prints the K most active hosts with their counts
(`TOP` lines, tab-separated count), --emit-counts every host's count
(`COUNT` lines). --format csv or jsonl prints the same rows with the columns
window_start, window_start_rfc3339, kind (to, from, top, count), seq, host,
count.";

const EXAMPLES: &str = "\
Examples:
  connspy-stream --to aselin --from tanya input-file-10000.txt
  connspy-stream --to aselin --from tanya --only-complete-hours day1.log day2.log
  zcat conn.log.gz | connspy-stream --to aselin --from tanya --stats
  connspy-stream --to aselin --from tanya --exact --max-log-late-seconds 600 conn.log
  connspy-stream --to aselin --from tanya --window 5m --top 10 --format jsonl conn.log
  connspy-stream --to aselin --from tanya --emit-counts --format csv shard1.log > shard1.csv

Exit status: 0 success (also when nothing matched, and when stdout is closed
early, as by `| head`), 1 unreadable input or I/O error (or a malformed line
with --strict), 2 bad command line, 130/143 stopped by SIGINT/SIGTERM (after
printing the windows already complete).";

/// Hour-by-hour (or window-by-window) summaries of a connection log.
#[derive(Parser, Debug)]
#[command(name = "connspy-stream", version, about, long_about = ABOUT, after_help = EXAMPLES)]
pub struct StreamArgs {
    /// List, per window, the hosts that connected to HOST (FROM_HOST of records
    /// whose TO_HOST is HOST; hosts compare case-insensitively). HOST may
    /// also be a network (10.1.0.0/16) or @FILE, a list of hosts and
    /// networks: the list is then every source of records to any of them.
    /// Example: --to aselin
    #[arg(long, value_name = "HOST", value_parser = target_arg())]
    pub to: Target,

    /// List, per window, the hosts HOST connected to (TO_HOST of records whose
    /// FROM_HOST is HOST). Example: --from tanya
    #[arg(long, value_name = "HOST", value_parser = target_arg())]
    pub from: Target,

    /// At the end of the input, do not print the windows still open: only
    /// windows proven complete by the data appear.
    #[arg(long = "only-complete-hours", aliases = ["only_complete_hours", "only-complete-windows"])]
    pub only_complete_hours: bool,

    /// The width of the windows: a whole number of seconds (s, or no
    /// unit), minutes (m), hours (h) or days (d) that divides a day
    /// [default: 1h]. Each record belongs to the window starting at
    /// floor(TS / W) * W (UTC). Example: --window 5m
    #[arg(long, value_name = "W", value_parser = WindowWidth::parse)]
    pub window: Option<WindowWidth>,

    /// Print the K most active hosts of each window with their counts
    /// (TOP lines; ties go to the host counted first), instead of the MOST
    /// line. --top 1 is the default MOST line (in CSV and JSON Lines, a
    /// `top` row with its count). Example: --top 10
    #[arg(long, value_name = "K", default_value = "1",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub top: u64,

    /// Bound each window's counts to N counters (a Space-Saving summary):
    /// exact while a window has at most N distinct hosts.
    ///
    /// Memory then stays under N x (236 bytes + twice the longest host
    /// name) per window, however many hosts it has. Past N distinct hosts
    /// the guarantee is: every host whose true count is more than
    /// 1/min(N,K+1) of the window's total activity (one per host per
    /// record) is printed among the top K, and each printed count is never
    /// below the host's true count and at most total/N above it. Ties go to
    /// the host that entered the counts first (a host that takes over a
    /// counter enters anew). N must be at least --top; not with
    /// --emit-counts. Example: --top 10 --top-capacity 100000
    #[arg(long = "top-capacity", value_name = "N", conflicts_with = "emit_counts",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub top_capacity: Option<u64>,

    /// Also print every host's activity count of each window (COUNT
    /// lines, or `count` rows), so that summaries of a log split across
    /// machines can be merged exactly: per window, the union of the TO and
    /// FROM rows and the sum of the counts (see the README for the SQL).
    #[arg(long = "emit-counts")]
    pub emit_counts: bool,

    /// Keep following the last file as it grows, like `tail -F` (with stdin:
    /// read until it closes); each window is flushed as soon as it closes.
    #[arg(long)]
    pub tail: bool,

    /// With --tail: after a rotation (the file renamed, a new one at its
    /// path), keep reading the old file too for this long, or until it is
    /// deleted, so that a writer that reopens late loses nothing; its
    /// unterminated last line is taken as a line only when the wait ends.
    /// Example: --rotate-wait 30
    #[arg(long = "rotate-wait", value_name = "SECONDS", default_value = "5",
          value_parser = seconds_arg, requires = "tail")]
    pub rotate_wait: std::time::Duration,

    /// With --tail: look for changes every --poll-interval instead of
    /// waiting for file-system events (for file systems that give none,
    /// such as some network ones; without a watch, polling is used anyway).
    #[arg(long, requires = "tail")]
    pub poll: bool,

    /// The wait between looks when polling. Example: --poll-interval 0.05
    #[arg(long = "poll-interval", value_name = "SECONDS", default_value = "0.2",
          value_parser = seconds_arg, requires = "tail")]
    pub poll_interval: std::time::Duration,

    /// With --top-capacity, deduplicate the TO and FROM lists exactly (each
    /// list keeps a set of its hosts) instead of through Bloom filters.
    /// Without --top-capacity the lists are exact already (the window's
    /// host counts are the dedup), so this changes nothing there.
    #[arg(long)]
    pub exact: bool,

    /// With --top-capacity: distinct hosts per TO or FROM list that its Bloom
    /// filter grows to, at the rate of --bloom-fp-rate [default: 1000000].
    /// Without --top-capacity no filter is used. Example: --bloom-capacity 10000000
    #[arg(long = "bloom-capacity", value_name = "N", conflicts_with = "exact")]
    pub bloom_capacity: Option<usize>,

    /// With --top-capacity: the Bloom filters' false-positive rate up to
    /// their capacity, 0 < P < 1 (a false positive leaves a host out of a
    /// list) [default: 1e-9]. Example: --bloom-fp-rate 1e-6
    #[arg(long = "bloom-fp-rate", value_name = "P", conflicts_with = "exact")]
    pub bloom_fp_rate: Option<f64>,

    /// At the end (also after Ctrl-C), print counts and speed on stderr.
    #[arg(long)]
    pub stats: bool,

    /// The options both tools share.
    #[command(flatten)]
    pub common: CommonArgs,

    /// Log files, read in order as one stream; none, or `-`, reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<OsString>,
}
