//! `connspy`: which hosts connected to (or from) one host between two
//! times, found by seeking into the log instead of scanning it.

use std::ffi::OsString;
use std::io::{self, BufWriter};

use anyhow::Context;
use clap::{ArgGroup, Parser};
use connspy::cli::{HostName, host_arg, lateness_arg, parse_args, time_arg};
use connspy::diagnostics::{MalformedReport, note};
use connspy::exit::{UsageError, status_of};
use connspy::input::{self, InputName, MmapChoice, Opened, Stream};
use connspy::output::Format;
use connspy::progress::Progress;
use connspy::query::{self, Answer, Query, Side};
use connspy::timestamp::{Duration, Timestamp};

const EXAMPLES: &str = "\
Examples:
  connspy --to zyla --time_init 1565647264445 --time_end 1565733587895 conn.log
  connspy --from zyla --time_init 2019-08-12T22:00:00Z --time_end 2019-08-12T23:00:00Z conn.log
  zcat old.log.gz | connspy --to zyla --time_init 1565647200 --time_end 1565650800 -
  connspy --to zyla --time_init 1565647200 --time_end 1565650800 --format jsonl conn.log

Exit status: 0 success (also when nothing matched), 1 unreadable input or
I/O error (or a malformed line with --strict), 2 bad command line.";

/// Which hosts connected to (or from) one host between two times.
///
/// Prints each distinct host that connected to HOST (--to) or that HOST
/// connected to (--from) with time_init <= TS < time_end, in the order of
/// its first such record. Log lines are `TS FROM_HOST TO_HOST`.
#[derive(Parser)]
#[command(name = "connspy", version, after_help = EXAMPLES)]
#[command(group(ArgGroup::new("host").required(true).args(["to", "from"])))]
struct Cli {
    /// Report the hosts that connected to HOST (FROM_HOST of records whose
    /// TO_HOST is HOST; case-insensitive). Example: --to zyla
    #[arg(long, value_name = "HOST", value_parser = host_arg())]
    to: Option<HostName>,

    /// Report the hosts HOST connected to (TO_HOST of records whose
    /// FROM_HOST is HOST). Example: --from zyla
    #[arg(long, value_name = "HOST", value_parser = host_arg())]
    from: Option<HostName>,

    /// Start of the range, inclusive: unix seconds, milliseconds (more than
    /// 12 digits), fractional seconds, or RFC 3339.
    /// Example: --time_init 1565647264445 or --time_init 2019-08-12T22:00:00Z
    #[arg(long = "time_init", visible_alias = "time-init", value_name = "TS",
          value_parser = time_arg, allow_hyphen_values = true)]
    time_init: Timestamp,

    /// End of the range, exclusive; same forms as --time_init.
    /// Example: --time_end 1565733587895
    #[arg(long = "time_end", visible_alias = "time-end", value_name = "TS",
          value_parser = time_arg, allow_hyphen_values = true)]
    time_end: Timestamp,

    /// Read from the start of the file instead of binary-searching for the
    /// range, and parse (and report) every line up to the early stop.
    #[arg(long = "nofastseek", visible_alias = "no-fast-seek")]
    nofastseek: bool,

    /// The lateness bound L: no record is more than L seconds older than
    /// the newest record before it. Fast seek and the early stop rely on
    /// it. Example: --max_log_late_seconds 600
    #[arg(long = "max_log_late_seconds", visible_alias = "max-log-late-seconds",
          value_name = "SECONDS", default_value = "300", value_parser = lateness_arg,
          allow_hyphen_values = true)]
    lateness: Duration,

    /// Stop with exit status 1 at the first malformed line read.
    #[arg(long)]
    strict: bool,

    /// Print no diagnostics: no notes, progress bar or reports of
    /// malformed lines (errors are still reported).
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,

    /// Say on stderr which inputs are compressed (gzip and zstd inputs are
    /// recognised by their first bytes, decompressed, and read from the
    /// start: fast seek does not apply to them).
    #[arg(short, long)]
    verbose: bool,

    /// Output format: tsv (one host per line), csv (with a header line) or
    /// jsonl (one JSON object per line). CSV and JSON rows have the columns
    /// time_init, time_end, kind (to or from), target (the queried host),
    /// seq (first-seen position) and host; a host's bytes are kept exactly
    /// (in JSON as the code points U+0000..U+00FF).
    #[arg(long, value_name = "FORMAT", default_value = "tsv")]
    format: Format,

    /// Log files, read in order as one stream; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<OsString>,
}

fn main() {
    std::process::exit(status_of("connspy", run()));
}

fn run() -> anyhow::Result<()> {
    let Some(cli) = parse_args::<Cli>()? else {
        return Ok(());
    };
    if cli.time_end < cli.time_init {
        return Err(UsageError(format!(
            "--time_end ({}) is before --time_init ({})",
            cli.time_end, cli.time_init
        ))
        .into());
    }
    let (side, host) = match (cli.to, cli.from) {
        (Some(HostName(host)), _) => (Side::To, host),
        (None, Some(HostName(host))) => (Side::From, host),
        (None, None) => unreachable!("clap requires --to or --from"),
    };
    let query = Query {
        host,
        side,
        time_init: cli.time_init,
        time_end: cli.time_end,
        lateness: cli.lateness,
        fast_seek: !cli.nofastseek,
        block_bytes: query::DEFAULT_BLOCK_BYTES,
    };
    // Before anything is mapped: a log truncated under its map becomes
    // one line on stderr and exit status 1, not a crash.
    connspy::sigbus::install("connspy").context("cannot install the SIGBUS handler")?;
    let inputs = cli
        .files
        .iter()
        .map(|arg| {
            let name = InputName::from_arg(arg);
            input::open(&name, MmapChoice::Auto).map(|opened| (name, opened))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if cli.verbose {
        note_compressed(&inputs, query.fast_seek);
    }
    let mut report = MalformedReport::new("connspy", cli.strict, cli.quiet);
    let progress = Progress::new(!cli.quiet);
    let out = BufWriter::with_capacity(64 * 1024, progress.clear_of(io::stdout().lock()));
    let mut answer = Answer::new(out, cli.format, &query, &mut report).with_progress(progress);
    query::run(&query, inputs, &mut answer)?;
    answer.finish()?;
    report.finish();
    Ok(())
}

/// `-v`: one note per compressed input.
fn note_compressed(inputs: &[(InputName, Opened)], fast_seek: bool) {
    for (name, opened) in inputs {
        if let Opened::Stream(Stream {
            compression: Some(format),
            ..
        }) = opened
        {
            let unseekable = if fast_seek {
                " (fast seek does not apply to compressed input)"
            } else {
                ""
            };
            note(
                "connspy",
                &format!(
                    "{name}: {format}-compressed: decompressing it and reading it from the start{unseekable}"
                ),
            );
        }
    }
}
