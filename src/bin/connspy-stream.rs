//! `connspy-stream`: hour-by-hour (or `--window`) summaries of a connection
//! log (SPEC §3).
//! The work is in [`connspy::hourly`]; this is the command line around it.

use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use connspy::block_reader::BlockReader;
use connspy::cli::{HostName, host_arg, lateness_arg, parse_args};
use connspy::dedup::{DEFAULT_BLOOM_CAPACITY, DEFAULT_BLOOM_FP_RATE, Dedup};
use connspy::diagnostics::note;
use connspy::exit::{UsageError, status_of};
use connspy::follow::{FollowOptions, Follower};
use connspy::hourly::{Aggregator, HourlyConfig, LineSource, Summary, TOOL, pump};
use connspy::input::{self, InputName};
use connspy::output::Format;
use connspy::signals::StopSignals;
use connspy::timestamp::Duration;
use connspy::window::{Counting, Report, WindowWidth};

const ABOUT: &str = "\
For each hour (or --window) of a connection log (lines `TS FROM_HOST
TO_HOST`), prints the hosts that connected to --to (TO lines), the hosts
--from connected to (FROM lines) and the most active host (MOST line),
tab-separated:

  1565658000.0	TO	devonta
  1565658000.0	FROM	kexin
  1565658000.0	MOST	zeplin

A window is printed once the log has moved more than its width plus
--max_log_late_seconds past its start; the windows still open at the end of
the input are printed then (unless --only_complete_hours).

Opt-in rows: --top K prints the K most active hosts with their counts
(`TOP` lines, tab-separated count), --emit-counts every host's count
(`COUNT` lines). --format csv or jsonl prints the same rows with the columns
window_start, window_start_rfc3339, kind (to, from, top, count), seq, host,
count.";

const EXAMPLES: &str = "\
Examples:
  connspy-stream --to aselin --from tanya input-file-10000.txt
  connspy-stream --to aselin --from tanya --only_complete_hours day1.log day2.log
  zcat conn.log.gz | connspy-stream --to aselin --from tanya --stats
  connspy-stream --to aselin --from tanya --exact --max_log_late_seconds 600 conn.log
  connspy-stream --to aselin --from tanya --window 5m --top 10 --format jsonl conn.log
  connspy-stream --to aselin --from tanya --emit-counts --format csv shard1.log > shard1.csv

Exit status: 0 success (also when nothing matched, and when stdout is closed
early, as by `| head`), 1 unreadable input or I/O error (or a malformed line
with --strict), 2 bad command line, 130/143 stopped by SIGINT/SIGTERM (after
printing the windows already complete).";

/// Hour-by-hour (or window-by-window) summaries of a connection log.
#[derive(Parser)]
#[command(name = "connspy-stream", version, about, long_about = ABOUT, after_help = EXAMPLES)]
struct Cli {
    /// List, per window, the hosts that connected to HOST (FROM_HOST of records
    /// whose TO_HOST is HOST; hosts compare case-insensitively).
    /// Example: --to aselin
    #[arg(long, value_name = "HOST", value_parser = host_arg())]
    to: HostName,

    /// List, per window, the hosts HOST connected to (TO_HOST of records whose
    /// FROM_HOST is HOST). Example: --from tanya
    #[arg(long, value_name = "HOST", value_parser = host_arg())]
    from: HostName,

    /// At the end of the input, do not print the windows still open: only
    /// windows proven complete by the data appear.
    #[arg(long = "only_complete_hours", visible_aliases = ["only-complete-hours", "only-complete-windows"])]
    only_complete_hours: bool,

    /// The width of the windows: a whole number of seconds (s, or no
    /// unit), minutes (m), hours (h) or days (d) that divides a day
    /// [default: 1h]. Each record belongs to the window starting at
    /// floor(TS / W) * W (UTC). Example: --window 5m
    #[arg(long, value_name = "W", value_parser = WindowWidth::parse)]
    window: Option<WindowWidth>,

    /// Print the K most active hosts of each window with their counts
    /// (TOP lines; ties go to the host counted first), instead of the MOST
    /// line. --top 1 is the default MOST line (in CSV and JSON Lines, a
    /// `top` row with its count). Example: --top 10
    #[arg(long, value_name = "K", default_value = "1",
          value_parser = clap::value_parser!(u64).range(1..))]
    top: u64,

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
    top_capacity: Option<u64>,

    /// Also print every host's activity count of each window (COUNT
    /// lines, or `count` rows), so that summaries of a log split across
    /// machines can be merged exactly: per window, the union of the TO and
    /// FROM rows and the sum of the counts (see the README for the SQL).
    #[arg(long = "emit-counts")]
    emit_counts: bool,

    /// Output format: tsv (the lines above), csv (with a header line) or
    /// jsonl (one JSON object per line); a host's bytes are kept exactly
    /// (in JSON as the code points U+0000..U+00FF).
    #[arg(long, value_name = "FORMAT", default_value = "tsv")]
    format: Format,

    /// Keep following the last file as it grows, like `tail -F` (with stdin:
    /// read until it closes); each window is flushed as soon as it closes.
    #[arg(long)]
    tail: bool,

    /// With --tail: after a rotation (the file renamed, a new one at its
    /// path), keep reading the old file too for this long, or until it is
    /// deleted, so that a writer that reopens late loses nothing; its
    /// unterminated last line is taken as a line only when the wait ends.
    /// Example: --rotate-wait 30
    #[arg(long = "rotate-wait", value_name = "SECONDS", default_value = "5",
          value_parser = seconds_arg, requires = "tail")]
    rotate_wait: std::time::Duration,

    /// With --tail: look for changes every --poll-interval instead of
    /// waiting for file-system events (for file systems that give none,
    /// such as some network ones; without a watch, polling is used anyway).
    #[arg(long, requires = "tail")]
    poll: bool,

    /// The wait between looks when polling. Example: --poll-interval 0.05
    #[arg(long = "poll-interval", value_name = "SECONDS", default_value = "0.2",
          value_parser = seconds_arg, requires = "tail")]
    poll_interval: std::time::Duration,

    /// The lateness bound L: no record is more than L seconds older than
    /// the newest record before it. A window closes once the log is more
    /// than its width + L seconds past its start; a record for a closed
    /// window is skipped and counted. Example: --max_log_late_seconds 600
    #[arg(long = "max_log_late_seconds", visible_alias = "max-log-late-seconds",
          value_name = "SECONDS", default_value = "300", value_parser = lateness_arg,
          allow_hyphen_values = true)]
    lateness: Duration,

    /// Deduplicate the TO and FROM lists exactly instead of through Bloom
    /// filters (no false positives; no bitmaps either, since the window's
    /// host counts already hold every host; with --top-capacity each list
    /// keeps a set of its hosts). Also spares clearing a Bloom bitmap per
    /// window, which small windows (--window 5m) notice.
    #[arg(long)]
    exact: bool,

    /// Distinct hosts per TO or FROM list that each Bloom filter is sized
    /// for [default: 1000000]. Example: --bloom-capacity 10000000
    #[arg(long = "bloom-capacity", value_name = "N", conflicts_with = "exact")]
    bloom_capacity: Option<usize>,

    /// The Bloom filters' false-positive rate at capacity, 0 < P < 1 (a
    /// false positive leaves a host out of a list) [default: 1e-9].
    /// Example: --bloom-fp-rate 1e-6
    #[arg(long = "bloom-fp-rate", value_name = "P", conflicts_with = "exact")]
    bloom_fp_rate: Option<f64>,

    /// At the end (also after Ctrl-C), print counts and speed on stderr.
    #[arg(long)]
    stats: bool,

    /// Stop with exit status 1 at the first malformed line.
    #[arg(long)]
    strict: bool,

    /// Print no diagnostics: no notes, warnings or reports of malformed or
    /// too-late lines (errors are still reported).
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,

    /// Say on stderr which inputs are compressed (gzip and zstd inputs are
    /// recognised by their first bytes and decompressed).
    #[arg(short, long)]
    verbose: bool,

    /// Log files, read in order as one stream; none, or `-`, reads stdin.
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
}

fn main() {
    std::process::exit(status_of(TOOL, run()));
}

fn run() -> anyhow::Result<()> {
    let Some(cli) = parse_args::<Cli>()? else {
        return Ok(());
    };
    let started = Instant::now();
    let dedup = if cli.exact {
        Dedup::Exact
    } else {
        Dedup::bloom(
            cli.bloom_capacity.unwrap_or(DEFAULT_BLOOM_CAPACITY),
            cli.bloom_fp_rate.unwrap_or(DEFAULT_BLOOM_FP_RATE),
        )
        .map_err(UsageError)?
    };
    let top = usize::try_from(cli.top).unwrap_or(usize::MAX);
    let counting = match cli.top_capacity {
        None => Counting::Exact,
        Some(n) if n < cli.top => {
            return Err(UsageError(format!(
                "--top-capacity ({n}) must be at least --top ({})",
                cli.top
            ))
            .into());
        }
        Some(n) => Counting::Bounded(usize::try_from(n).unwrap_or(usize::MAX)),
    };
    let mut inputs: Vec<InputName> = cli.files.iter().map(|f| InputName::from_arg(f)).collect();
    if inputs.is_empty() {
        inputs.push(InputName::Stdin);
    }
    // With --tail the last input is followed when it is a file (stdin is
    // read until it closes, as always).
    let followed = cli.tail.then(|| inputs.len() - 1);
    // A file that cannot be opened is reported before any output (except a
    // followed one that does not exist yet: it is waited for). Each is
    // opened again when its turn comes: following a file must see the file
    // the path names then, not the one it named at the start.
    for (i, name) in inputs.iter().enumerate() {
        if let Some(path) = name.path()
            && (followed != Some(i) || path.exists())
        {
            input::check_readable(path)?;
        }
    }
    // (A FIFO is read as a stream, decompressed if need be; reading its
    // first bytes here would take them from it.)
    if let Some(path) = followed.and_then(|i| inputs[i].path())
        && path.exists()
        && !input::is_fifo(path)
        && let Some(format) = input::compression_of(path)?
    {
        return Err(UsageError(format!(
            "--tail cannot follow {}: it is {format}-compressed (decompress it into \
             a pipe instead, or leave out --tail)",
            path.display()
        ))
        .into());
    }
    let signals = StopSignals::register()?;
    let stop = || signals.stop_requested();
    let config = HourlyConfig {
        to_host: cli.to.0,
        from_host: cli.from.0,
        lateness: cli.lateness,
        window: cli.window.unwrap_or_default(),
        dedup,
        counting,
        report: Report {
            top,
            emit_counts: cli.emit_counts,
        },
        format: cli.format,
        flush_each_window: cli.tail,
        strict: cli.strict,
        quiet: cli.quiet,
    };
    let out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut agg = Aggregator::new(config, out);
    for (i, name) in inputs.iter().enumerate() {
        let follow = (followed == Some(i)).then_some(FollowOptions {
            poll: cli.poll,
            poll_interval: cli.poll_interval,
            rotate_wait: cli.rotate_wait,
        });
        let mut source = open_source(name, follow, &signals, cli.verbose)?;
        let pumped = pump(&mut agg, &name.to_string(), source.as_mut(), &stop);
        if stop() {
            // A stop cuts reads short: a decompressor that then finds its
            // input truncated has not met an error of the input.
            break;
        }
        pumped?;
    }
    let summary = agg.finish(!cli.only_complete_hours && !stop())?;
    if cli.stats {
        print_stats(&summary, started);
    }
    signals.check()?;
    Ok(())
}

/// The lines of one input: read to its end (decompressed if need be, in
/// waits a stop signal ends however idle the input), or, when `follow`ed,
/// a file followed like `tail -F` until a stop signal. A followed FIFO is
/// read until its writer closes it, like stdin: it has no end to wait at,
/// nor a name that could be rotated.
fn open_source(
    name: &InputName,
    follow: Option<FollowOptions>,
    signals: &StopSignals,
    verbose: bool,
) -> anyhow::Result<Box<dyn LineSource + Send>> {
    if let Some(options) = follow
        && let Some(path) = name.path()
        && !input::is_fifo(path)
    {
        return Ok(Box::new(
            Follower::new(path, options)
                .with_context(|| format!("cannot open {}", path.display()))?,
        ));
    }
    let stream = input::open_interruptible(name, signals)?;
    if verbose && let Some(format) = stream.compression {
        note(
            TOOL,
            &format!("{name}: {format}-compressed: decompressing it"),
        );
    }
    Ok(Box::new(BlockReader::new(stream.reader)))
}

/// A duration in seconds, decimals allowed: `5`, `0.05`.
fn seconds_arg(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds (0 or more)"))
}

/// One line of counts on stderr.
fn print_stats(summary: &Summary, started: Instant) {
    let elapsed = started.elapsed().as_secs_f64();
    let rate = if elapsed > 0.0 {
        summary.records as f64 / elapsed
    } else {
        0.0
    };
    let _ = writeln!(
        io::stderr().lock(),
        "{TOOL}: stats: records={} malformed={} too_late={} windows_printed={} bytes={} \
         elapsed_s={elapsed:.3} records_per_s={rate:.0}",
        summary.records,
        summary.malformed,
        summary.too_late,
        summary.windows_printed,
        summary.bytes,
    );
}
