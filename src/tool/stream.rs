//! `connspy-stream`: the summaries, from command line to printed windows,
//! reading files and stdin to their end or following the last file.

use std::fmt;
use std::io::{self, BufWriter, IsTerminal, Read};
use std::ops::Range;
use std::time::{Duration as Elapsed, Instant};

use anyhow::Context;

use crate::cli::stream::StreamArgs;
use crate::diagnostics::Diagnostics;
use crate::error::Error;
use crate::io::block_reader::BlockReader;
use crate::io::follow::{FollowOptions, Follower};
use crate::io::input::{self, InputName, MmapChoice};
use crate::io::signals::StopSignals;
use crate::io::source::LineSource;
use crate::parse::format::{FormatState, InputFormat};
use crate::parse::selection::Selection;
use crate::parse::timestamp::Timestamp;
use crate::query::checked_range;
use crate::stream::aggregator::{Aggregator, Summary};
use crate::stream::config::{CountingOptions, WindowConfig};
use crate::stream::pump::pump;
use crate::tool::archive::{FileCounts, FileStats, names_a_directory};
use crate::tool::stream_files::{Job, feed_files};

/// The name diagnostics are prefixed with.
pub const TOOL: &str = "connspy-stream";

/// What `--stats` reports: the run's counts and how long it took.
#[derive(Clone, Copy, Debug)]
pub struct RunSummary {
    /// The aggregator's counts.
    pub counts: Summary,
    /// The files considered, skipped, pruned and opened.
    pub files: FileStats,
    /// Wall time from the start of the run.
    pub elapsed: Elapsed,
}

impl fmt::Display for RunSummary {
    /// One line: `stats: records=… records_per_s=…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let elapsed = self.elapsed.as_secs_f64();
        let c = &self.counts;
        let rate = if elapsed > 0.0 {
            c.records as f64 / elapsed
        } else {
            0.0
        };
        write!(
            f,
            "stats: records={} malformed={} too_late={} windows_printed={} bytes={} \
             elapsed_s={elapsed:.3} records_per_s={rate:.0} skipped={} {}",
            c.records, c.malformed, c.too_late, c.windows_printed, c.bytes, c.skipped, self.files,
        )
    }
}

/// The aggregation a command line asks for; inconsistent values are
/// usage errors.
fn window_config(args: &StreamArgs) -> Result<WindowConfig, Error> {
    let options = CountingOptions {
        top: args.top,
        top_capacity: args.top_capacity,
        emit_counts: args.emit_counts,
        by: args.by.unwrap_or_default(),
        exact: args.exact,
        bloom_capacity: args.bloom_capacity,
        bloom_fp_rate: args.bloom_fp_rate,
    };
    Ok(WindowConfig {
        to_host: args.to.clone(),
        from_host: args.from.clone(),
        input_format: args.common.input_format,
        selection: WindowConfig::new_selection(
            args.common.record_filter(),
            args.by.unwrap_or_default(),
        ),
        lateness: args.common.lateness,
        window: args.window.unwrap_or_default(),
        dedup: options.dedup()?,
        counting: options.counting()?,
        report: options.report(),
        format: args.common.format,
        flush_each_window: args.tail,
        strict: args.common.strict,
    })
}

/// The inputs in reading order (stdin when none is named) and which of
/// them, with `--tail`, is followed: the last, when it is a file (stdin is
/// read until it closes, as always).
fn plan_inputs(args: &StreamArgs) -> (Vec<InputName>, Option<usize>) {
    let mut inputs: Vec<InputName> = args.files.iter().map(|f| InputName::from_arg(f)).collect();
    if inputs.is_empty() {
        inputs.push(InputName::Stdin);
    }
    let followed = args.tail.then(|| inputs.len() - 1);
    (inputs, followed)
}

/// Reports a file that cannot be opened before any output (except a
/// followed one that does not exist yet: it is waited for), and refuses
/// to follow a compressed file. Each input is opened again when its turn
/// comes: following a file must see the file the path names then.
fn check_inputs(inputs: &[InputName], followed: Option<usize>) -> anyhow::Result<()> {
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
        return Err(Error::Usage(format!(
            "--tail cannot follow {}: it is {format}-compressed (decompress it into \
             a pipe instead, or leave out --tail)",
            path.display()
        ))
        .into());
    }
    Ok(())
}

/// Bytes read from the start of a file to tell its format and header.
const HEAD_BYTES: u64 = 64 * 1024;

/// Refuses, before any output, a filter (or `--by` field) that an input cannot be applied
/// to, when `--input-format` or the first lines of a plain (uncompressed)
/// file tell its format. A compressed file, a FIFO or stdin is told as it
/// is read: its first record ends the run then, with the same message.
fn check_filterable(
    inputs: &[InputName],
    format: InputFormat,
    select: &Selection,
) -> anyhow::Result<()> {
    if select.is_everything() {
        return Ok(());
    }
    for name in inputs {
        let state = match name.path() {
            Some(path) if path.is_file() && input::compression_of(path)?.is_none() => {
                let mut head = Vec::new();
                input::open_file(path)?
                    .take(HEAD_BYTES)
                    .read_to_end(&mut head)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                FormatState::at_start(format, &head).0
            }
            _ => FormatState::new(format),
        };
        if let Some(why) = select.lacking_in(&state) {
            return Err(Error::Usage(format!("{name}: {why}")).into());
        }
    }
    Ok(())
}

/// Runs `connspy-stream` as the command line asks: prints the windows on
/// stdout and the diagnostics on stderr, and returns the counts.
///
/// Once the command line is accepted, `--stats` is printed however the run
/// ends: at the end of the input, on a closed stdout (`| head`; with
/// `--tail` seen within 50 ms even when nothing is written), on SIGINT,
/// SIGTERM or SIGHUP, or on an error (before the error's own line).
pub fn run(args: StreamArgs) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let config = window_config(&args)?;
    let windows = windows_of(&args, &config)?;
    let diagnostics = Diagnostics::stderr(TOOL, args.common.quiet);
    let mut counts = Summary::default();
    let mut files = FileCounts::named(args.files.len().max(1));
    let result = summarise(
        &args,
        (config, windows),
        &diagnostics,
        &mut counts,
        &mut files,
    );
    let summary = RunSummary {
        counts,
        files: files.stats(),
        elapsed: started.elapsed(),
    };
    if args.stats {
        diagnostics.error(summary);
    }
    result.map(|()| summary)
}

/// The starts of the windows `--time-init`/`--time-end` ask for (those
/// that meet the range), or `None` without them; a range that ends before
/// it starts is a usage error.
fn windows_of(args: &StreamArgs, config: &WindowConfig) -> Result<Option<Range<Timestamp>>, Error> {
    if args.time_init.is_none() && args.time_end.is_none() {
        return Ok(None);
    }
    let from = args.time_init.unwrap_or(Timestamp::ZERO);
    let until = args.time_end.unwrap_or(Timestamp::from_nanos(u128::MAX));
    let range = checked_range(from, until)?;
    Ok(Some(config.window.starts_meeting(range.start, range.end)))
}

/// Whether the inputs are read as an archive: when one is a directory, and
/// with a time range when all are files (whose first records then say
/// which are needed). `--tail` follows a file as it is given.
fn reads_as_archive(args: &StreamArgs, ranged: bool) -> Result<bool, Error> {
    let files_only = !args.files.is_empty()
        && args
            .files
            .iter()
            .all(|f| f != "-" && !input::is_fifo(std::path::Path::new(f)));
    let archive = names_a_directory(&args.files) || (ranged && files_only);
    if archive && args.tail {
        return Err(Error::Usage(
            "--tail follows one file as it grows: leave out --time-init, --time-end and \
             directories, or --tail"
                .into(),
        ));
    }
    Ok(archive)
}

/// The run itself; `counts` and `files` hold the counts so far whenever
/// it returns, an error included.
fn summarise(
    args: &StreamArgs,
    (config, windows): (WindowConfig, Option<Range<Timestamp>>),
    diagnostics: &Diagnostics,
    counts: &mut Summary,
    files: &mut FileCounts,
) -> anyhow::Result<()> {
    let archive = reads_as_archive(args, windows.is_some())?;
    let (inputs, followed) = plan_inputs(args);
    if !archive {
        check_inputs(&inputs, followed)?;
        check_filterable(&inputs, config.input_format, &config.selection)?;
    }
    let mut signals = StopSignals::register()?;
    if args.tail {
        // Following may leave nothing to write for hours: a reader that
        // has gone must be noticed without a write.
        signals = signals.watching_stdout();
    }
    let stop = || signals.stop_requested();
    let out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let mut agg = Aggregator::new(config, out, diagnostics.clone());
    if let Some(windows) = windows.clone() {
        agg = agg.printing_only(windows);
    }
    let fed = (|| {
        if archive {
            let mmap = match windows {
                Some(_) => MmapChoice::Auto(
                    crate::io::sigbus::install(TOOL)
                        .context("cannot install the SIGBUS handler")?,
                ),
                None => MmapChoice::Never,
            };
            let job = Job {
                files: &args.files,
                format: args.common.input_format,
                lateness: args.common.lateness,
                windows,
                verbose: args.common.verbose,
                mmap,
            };
            return Ok(feed_files(&job, &mut agg, diagnostics, &stop, files)?);
        }
        for (i, name) in inputs.iter().enumerate() {
            if *name == InputName::Stdin && io::stdin().is_terminal() {
                // Else a tool started without a FILE waits on a terminal
                // with no word of why.
                diagnostics.note(
                    "reading standard input (a terminal): type or paste log lines, \
                     and end with Ctrl-D",
                );
            }
            let verbose = args.common.verbose.then_some(diagnostics);
            let follow = (followed == Some(i))
                .then(|| FollowOptions::new(args.poll, args.poll_interval, args.rotate_wait));
            let mut source = open_source(name, follow, &signals, (verbose, files))?;
            let before = agg.summary();
            let pumped = pump(&mut agg, &name.to_string(), source.as_mut(), &stop);
            if stop() {
                // A stop cuts reads short: a decompressor that then finds
                // its input truncated has not met an error of the input.
                for note in source.left_unread() {
                    diagnostics.note(format_args!("{name}: {note}"));
                }
                break;
            }
            pumped?;
            let after = agg.summary();
            if after.records == before.records && after.malformed > before.malformed {
                let format = args.common.input_format;
                let chosen = (format != InputFormat::Auto).then(|| format.name());
                super::note_no_records(diagnostics, name, chosen);
            }
            if agg.range_complete() {
                break;
            }
        }
        anyhow::Ok(false)
    })();
    *counts = agg.summary();
    // A record past the range proved to follow: its windows are complete.
    let end_proven = fed?;
    let print_open = !stop() && (!args.only_complete_windows || end_proven);
    *counts = agg.finish(print_open)?;
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
    (verbose, files): (Option<&Diagnostics>, &FileCounts),
) -> anyhow::Result<Box<dyn LineSource + Send>> {
    if let Some(options) = follow
        && let Some(path) = name.path()
        && !input::is_fifo(path)
    {
        files.opened_one();
        return Ok(Box::new(
            Follower::new(path, options)
                .with_context(|| format!("cannot open {}", path.display()))?,
        ));
    }
    let stream = files.meter(input::open_interruptible(name, signals)?);
    files.opened_one();
    if let (Some(diagnostics), Some(format)) = (verbose, stream.compression) {
        super::note_compressed(diagnostics, name, format, "");
    }
    Ok(Box::new(BlockReader::new(stream.reader)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::cli::wait_arg;
    use crate::io::follow::{DEFAULT_POLL, DEFAULT_ROTATE_WAIT};

    /// The `[default: …]` the long help gives for `option`, in seconds.
    fn stated_default(option: &str) -> Duration {
        let help = StreamArgs::command().render_long_help().to_string();
        let at = help.find(&format!("--{option} <SECONDS>")).expect("listed");
        let summary = help[at..].lines().nth(1).expect("a summary line");
        let value = summary.split("[default: ").nth(1).expect("a default");
        wait_arg(value.trim_end_matches(']')).expect("seconds")
    }

    #[test]
    fn the_help_states_the_follower_defaults() {
        assert_eq!(stated_default("rotate-wait"), DEFAULT_ROTATE_WAIT);
        assert_eq!(stated_default("poll-interval"), DEFAULT_POLL);
    }

    #[test]
    fn follow_options_not_given_take_the_follower_defaults() {
        let follow = |extra: &[&str]| {
            let args = ["connspy-stream", "--to", "x", "--from", "y", "--tail"];
            let args = StreamArgs::parse_from(args.iter().chain(extra));
            FollowOptions::new(args.poll, args.poll_interval, args.rotate_wait)
        };
        assert_eq!(
            follow(&[]),
            FollowOptions {
                poll: false,
                poll_interval: DEFAULT_POLL,
                rotate_wait: DEFAULT_ROTATE_WAIT,
            }
        );
        let given = follow(&["--poll", "--poll-interval", "0.05", "--rotate-wait", "30"]);
        assert_eq!(
            given,
            FollowOptions {
                poll: true,
                poll_interval: Duration::from_millis(50),
                rotate_wait: Duration::from_secs(30),
            }
        );
    }
}
