//! `connspy`: the query, from command line to printed answer.

use std::fmt;
use std::io::{self, BufWriter};
use std::time::{Duration as Elapsed, Instant};

use anyhow::Context;

use crate::archive::{Reading, select};
use crate::cli::query::QueryArgs;
use crate::diagnostics::{Diagnostics, MalformedReport};
use crate::error::Error;
use crate::io::input::{InputName, MmapChoice, Opened, Stream};
use crate::output::{Format, LATEST_NANOS, rfc3339};
use crate::query::progress::Progress;
use crate::query::{self, Answer, Query, Side};
use crate::tool::archive::{self, FileCounts, FileStats, names_a_directory};

/// The name diagnostics are prefixed with.
pub const TOOL: &str = "connspy";

/// The query a command line asks for: the range checked first, then
/// `--to` or `--from` (one is required) picks the side.
fn query_of(args: &QueryArgs) -> Result<Query, Error> {
    let range = query::checked_range(args.time_init, args.time_end)?;
    let (side, target) = match (&args.to, &args.from) {
        (Some(target), _) => (Side::To, target.clone()),
        (None, Some(target)) => (Side::From, target.clone()),
        (None, None) => {
            return Err(Error::Usage(
                "missing --to HOST or --from HOST (see --help)".into(),
            ));
        }
    };
    let common = &args.common;
    let mut query = Query::new(
        target,
        side,
        range,
        common.input_format,
        common.lateness,
        !args.no_fast_seek,
    );
    // With `--to`, `--from` narrows the sources: the answers are pairs.
    query.source = args.to.as_ref().and(args.from.clone());
    query.filter = common.record_filter();
    query.summary = args.summary;
    Ok(query)
}

/// Says, once per time, which of its CSV/JSON columns are left empty:
/// `_ns` past what 64 bits of nanoseconds hold, `_rfc3339` past the year
/// 9999 (docs/guide.md#formats-csv-and-json-lines).
fn note_empty_time_columns(diagnostics: &Diagnostics, query: &Query) {
    for (column, time) in [("time_init", query.time_init), ("time_end", query.time_end)] {
        if time.as_nanos() <= LATEST_NANOS {
            continue;
        }
        let also = if rfc3339(time.as_nanos()).is_none() {
            format!(", and {column}_rfc3339 too, past the year 9999")
        } else {
            String::new()
        };
        let latest = rfc3339(LATEST_NANOS).unwrap_or_default();
        diagnostics.note(format_args!(
            "{column}_ns is left empty: --{} ({time}) is after {latest}, the latest \
             time 64 bits of nanoseconds hold{also}",
            column.replace('_', "-"),
        ));
    }
}

/// What a query found, for a caller that wants more than the printed
/// answer, and what `--stats` prints.
#[derive(Clone, Copy, Debug)]
pub struct QuerySummary {
    /// Distinct hosts printed.
    pub hosts: u64,
    /// Malformed lines met (with fast seek, among the lines parsed).
    pub malformed: u64,
    /// The files considered, skipped, pruned and opened.
    pub files: FileStats,
    /// Wall time from the start of the run.
    pub elapsed: Elapsed,
}

impl fmt::Display for QuerySummary {
    /// One line: `stats: hosts=… malformed=… files=… … elapsed_s=…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stats: hosts={} malformed={} {} elapsed_s={:.3}",
            self.hosts,
            self.malformed,
            self.files,
            self.elapsed.as_secs_f64()
        )
    }
}

/// How to run several streams apart, ending the sentence that refuses
/// them.
const APART: &str = "query each apart and merge the answers, \
                     as docs/guide.md#several-sensors-several-streams shows";

/// Runs `connspy` as the command line asks: prints the answer on stdout
/// and the diagnostics on stderr, and returns what it found.
pub fn run(args: QueryArgs) -> anyhow::Result<QuerySummary> {
    let started = Instant::now();
    let query = query_of(&args)?;
    let common = &args.common;
    let diagnostics = Diagnostics::stderr(TOOL, common.quiet);
    // Before anything is mapped: a log truncated under its map becomes
    // one line on stderr and exit status 1, not a crash.
    let installed =
        crate::io::sigbus::install(TOOL).context("cannot install the SIGBUS handler")?;
    let choice = MmapChoice::Auto(installed);
    if common.format != Format::Tsv {
        note_empty_time_columns(&diagnostics, &query);
    }
    let mut report = MalformedReport::new(diagnostics.clone(), common.strict);
    let progress = Progress::new(!common.quiet);
    let out = BufWriter::with_capacity(64 * 1024, progress.clear_of(io::stdout().lock()));
    let mut answer = Answer::new(out, common.format, &query, &mut report).with_progress(progress);
    let (files, without_records) = if names_a_directory(&args.files) {
        let reading = Reading {
            format: common.input_format,
            lateness: common.lateness,
            apart: APART,
        };
        let (plan, mut counts) = archive::plan(&args.files, reading, &diagnostics, common.verbose)?;
        // Without fast seek every file is read from the first, as named
        // files would be; with it, only those the range needs.
        let firsts: Vec<_> = plan.files.iter().map(|f| f.first).collect();
        let needed = if query.fast_seek {
            select(&firsts, query.lateness, query.time_init, query.time_end).files
        } else {
            0..plan.files.len()
        };
        let read = &plan.files[needed];
        counts.prune(plan.files.len() - read.len());
        if common.verbose {
            archive::note_selection(&diagnostics, &plan.files, read);
        }
        let without_records = query::run_files(
            &query,
            read,
            |file| {
                if common.verbose {
                    archive::note_reading(&diagnostics, file, query.fast_seek);
                }
                counts.open(&InputName::Path(file.path.clone()), choice, true)
            },
            &mut answer,
        )?;
        (counts, without_records)
    } else {
        let counts = FileCounts::named(args.files.len());
        let inputs = args
            .files
            .iter()
            .map(|arg| {
                let name = InputName::from_arg(arg);
                counts
                    .open(&name, choice, false)
                    .map(|opened| (name, opened))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        if common.verbose {
            note_compressed_inputs(&diagnostics, &inputs, query.fast_seek);
        }
        let without_records = query::run(&query, inputs, &mut answer)?;
        (counts, without_records)
    };
    let printed = answer.finish()?;
    report.finish();
    for input in without_records {
        super::note_no_records(&diagnostics, &input.name, Some(input.format));
    }
    if printed.partial_sums > 0 {
        diagnostics.note(format_args!(
            "the bytes or packets of {} row(s) leave out records that give none \
             (unset fields, or inputs of a format without them)",
            printed.partial_sums
        ));
    }
    if let Some(warning) = printed.lateness_warning(query.lateness) {
        diagnostics.note(warning);
    }
    if printed.skipped > 0 {
        diagnostics.note(format_args!(
            "skipped {} NODATA/SKIPDATA record(s) (no connection in them)",
            printed.skipped
        ));
    }
    let summary = QuerySummary {
        hosts: printed.hosts,
        malformed: report.total(),
        files: files.stats(),
        elapsed: started.elapsed(),
    };
    if args.stats {
        diagnostics.error(summary);
    }
    Ok(summary)
}

/// `-v`: says which named inputs are compressed, and that they are read
/// from their start.
fn note_compressed_inputs(
    diagnostics: &Diagnostics,
    inputs: &[(InputName, Opened)],
    fast_seek: bool,
) {
    for (name, opened) in inputs {
        if let Opened::Stream(Stream {
            compression: Some(format),
            ..
        }) = opened
        {
            let how = if fast_seek {
                " and reading it from the start (fast seek does not apply to compressed input)"
            } else {
                " and reading it from the start"
            };
            super::note_compressed(diagnostics, name, *format, how);
        }
    }
}
