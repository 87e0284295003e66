//! `connspy`: the query, from command line to printed answer.

use std::fmt;
use std::io::{self, BufWriter};

use anyhow::Context;

use crate::cli::query::QueryArgs;
use crate::diagnostics::{Diagnostics, MalformedReport};
use crate::error::Error;
use crate::io::input::{self, InputName, MmapChoice, Opened, Stream};
use crate::output::{Format, LATEST_NANOS, rfc3339};
use crate::query::progress::Progress;
use crate::query::{self, Answer, Query, Side};

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
    Ok(Query::new(
        target,
        side,
        range,
        common.input_format,
        common.lateness,
        !args.no_fast_seek,
    ))
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
/// answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuerySummary {
    /// Distinct hosts printed.
    pub hosts: u64,
    /// Malformed lines met (with fast seek, among the lines parsed).
    pub malformed: u64,
}

impl fmt::Display for QuerySummary {
    /// One line: `hosts=… malformed=…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hosts={} malformed={}", self.hosts, self.malformed)
    }
}

/// Runs `connspy` as the command line asks: prints the answer on stdout
/// and the diagnostics on stderr, and returns what it found.
pub fn run(args: QueryArgs) -> anyhow::Result<QuerySummary> {
    let query = query_of(&args)?;
    // Before anything is mapped: a log truncated under its map becomes
    // one line on stderr and exit status 1, not a crash.
    let installed =
        crate::io::sigbus::install(TOOL).context("cannot install the SIGBUS handler")?;
    let inputs = args
        .files
        .iter()
        .map(|arg| {
            let name = InputName::from_arg(arg);
            input::open(&name, MmapChoice::Auto(installed)).map(|opened| (name, opened))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let common = &args.common;
    let diagnostics = Diagnostics::stderr(TOOL, common.quiet);
    if common.verbose {
        for (name, opened) in &inputs {
            if let Opened::Stream(Stream {
                compression: Some(format),
                ..
            }) = opened
            {
                let how = if query.fast_seek {
                    " and reading it from the start (fast seek does not apply to compressed input)"
                } else {
                    " and reading it from the start"
                };
                super::note_compressed(&diagnostics, name, *format, how);
            }
        }
    }
    if common.format != Format::Tsv {
        note_empty_time_columns(&diagnostics, &query);
    }
    let mut report = MalformedReport::new(diagnostics.clone(), common.strict);
    let progress = Progress::new(!common.quiet);
    let out = BufWriter::with_capacity(64 * 1024, progress.clear_of(io::stdout().lock()));
    let mut answer = Answer::new(out, common.format, &query, &mut report).with_progress(progress);
    query::run(&query, inputs, &mut answer)?;
    let printed = answer.finish()?;
    report.finish();
    if let Some(warning) = printed.lateness_warning(query.lateness) {
        diagnostics.note(warning);
    }
    if printed.skipped > 0 {
        diagnostics.note(format_args!(
            "skipped {} NODATA/SKIPDATA record(s) (no connection in them)",
            printed.skipped
        ));
    }
    Ok(QuerySummary {
        hosts: printed.hosts,
        malformed: report.total(),
    })
}
