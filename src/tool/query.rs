//! `connspy`: the query, from command line to printed answer.

use std::io::{self, BufWriter};

use anyhow::Context;

use crate::cli::HostName;
use crate::cli::query::QueryArgs;
use crate::diagnostics::MalformedReport;
use crate::exit::UsageError;
use crate::io::input::{self, InputName, MmapChoice, Opened, Stream};
use crate::query::progress::Progress;
use crate::query::{self, Answer, Query, Side};

/// The name diagnostics are prefixed with.
pub const TOOL: &str = "connspy";

impl Query {
    /// The query a command line asks for; a range that ends before it
    /// starts is a usage error.
    pub fn from_args(args: &QueryArgs) -> Result<Query, UsageError> {
        if args.time_end < args.time_init {
            return Err(UsageError(format!(
                "--time-end ({}) is before --time-init ({})",
                args.time_end, args.time_init
            )));
        }
        let (side, HostName(host)) = match (&args.to, &args.from) {
            (Some(host), _) => (Side::To, host.clone()),
            (None, Some(host)) => (Side::From, host.clone()),
            (None, None) => {
                return Err(UsageError(
                    "missing --to HOST or --from HOST (see --help)".into(),
                ));
            }
        };
        Ok(Query {
            host,
            side,
            time_init: args.time_init,
            time_end: args.time_end,
            lateness: args.common.lateness,
            fast_seek: !args.no_fast_seek,
            block_bytes: query::DEFAULT_BLOCK_BYTES,
        })
    }
}

/// Runs `connspy` as the command line asks: prints the answer on stdout
/// and the diagnostics on stderr.
pub fn run(args: QueryArgs) -> anyhow::Result<()> {
    let query = Query::from_args(&args)?;
    // Before anything is mapped: a log truncated under its map becomes
    // one line on stderr and exit status 1, not a crash.
    crate::io::sigbus::install(TOOL).context("cannot install the SIGBUS handler")?;
    let inputs = args
        .files
        .iter()
        .map(|arg| {
            let name = InputName::from_arg(arg);
            input::open(&name, MmapChoice::Auto).map(|opened| (name, opened))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.common.verbose {
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
                super::note_compressed(TOOL, name, *format, how);
            }
        }
    }
    let common = &args.common;
    let mut report = MalformedReport::new(TOOL, common.strict, common.quiet);
    let progress = Progress::new(!common.quiet);
    let out = BufWriter::with_capacity(64 * 1024, progress.clear_of(io::stdout().lock()));
    let mut answer = Answer::new(out, common.format, &query, &mut report).with_progress(progress);
    query::run(&query, inputs, &mut answer)?;
    answer.finish()?;
    report.finish();
    Ok(())
}
