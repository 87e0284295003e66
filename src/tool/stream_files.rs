//! `connspy-stream` over the files an archive planned
//! (`docs/behaviour.md#archives`): with a time range only the files it
//! needs, fast seek inside each plain one, and the next file opened
//! ahead, its decompression started, while the current one is counted.
//!
//! Memory: besides the file being counted, one file open ahead, holding
//! its decompressor and at most the few chunks its reading thread runs
//! ahead (1.5 MiB: `io::input::open_ahead`), or a map.

use std::io::Write;
use std::ops::Range;

use crate::archive::{ArchiveFile, Reading, select};
use crate::diagnostics::Diagnostics;
use crate::error::Error;
use crate::io::ahead::OpenAhead;
use crate::io::block_reader::BlockReader;
use crate::io::input::{InputName, MmapChoice, Opened};
use crate::io::whole::Whole;
use crate::parse::format::FormatState;
use crate::parse::timestamp::{Duration, Timestamp};
use crate::query::seek::seek_region_in;
use crate::stream::aggregator::Aggregator;
use crate::stream::pump::{pump, pump_from};
use crate::tool::archive::{self, FileCounts};

/// How to run several streams apart, ending the sentence that refuses
/// them.
const APART: &str = "summarise each apart with --emit-counts and merge the counts, \
                     as docs/guide.md#several-sensors-several-streams shows";

/// Files opened ahead of the one being counted (see
/// [`crate::query::FILES_AHEAD`]).
const FILES_AHEAD: usize = crate::query::FILES_AHEAD;

/// What the files of a run are read for.
pub(super) struct Job<'a> {
    /// The files named, one at least a directory or all regular files.
    pub(super) files: &'a [std::ffi::OsString],
    /// `--input-format`.
    pub(super) format: crate::parse::format::InputFormat,
    /// The lateness bound `L`.
    pub(super) lateness: Duration,
    /// The starts of the windows printed, when a time range is given.
    pub(super) windows: Option<Range<Timestamp>>,
    /// `-v`.
    pub(super) verbose: bool,
    /// How plain files are opened: mapped, for fast seek, only with a
    /// time range (mapping needs the SIGBUS handler installed).
    pub(super) mmap: MmapChoice,
}

/// Feeds the files `job` names, planned as an archive, to `agg`, until
/// they end, `stop` turns true or the range is complete; returns whether
/// a record past the range's last deadline was proved to follow (so that
/// every window of the range is complete). `counts` holds the file counts
/// once the files are planned.
pub(super) fn feed_files<W: Write>(
    job: &Job<'_>,
    agg: &mut Aggregator<W>,
    diagnostics: &Diagnostics,
    stop: &(dyn Fn() -> bool + Sync),
    counts: &mut FileCounts,
) -> Result<bool, Error> {
    let reading = Reading {
        format: job.format,
        lateness: job.lateness,
        apart: APART,
    };
    let plan;
    (plan, *counts) = archive::plan(job.files, reading, diagnostics, job.verbose)?;
    // Reading stops at the first record past the last window's deadline.
    let stop_after = |windows: &Range<Timestamp>| windows.end.saturating_add(Duration::NANOSECOND);
    let firsts: Vec<Timestamp> = plan.files.iter().map(|f| f.first).collect();
    let (needed, mut end_proven) = match &job.windows {
        Some(windows) => {
            let selection = select(&firsts, job.lateness, windows.start, stop_after(windows));
            (selection.files, selection.end_proven)
        }
        None => (0..plan.files.len(), false),
    };
    let read = &plan.files[needed];
    counts.prune(plan.files.len() - read.len());
    if job.verbose && job.windows.is_some() {
        archive::note_selection(diagnostics, &plan.files, read);
    }
    let open = |file: &ArchiveFile| {
        if job.verbose {
            archive::note_reading(diagnostics, file, job.windows.is_some());
        }
        counts.open(&InputName::Path(file.path.clone()), job.mmap, true)
    };
    for (file, opened) in OpenAhead::new(read, FILES_AHEAD, open) {
        let opened = opened?;
        let name = file.path.display().to_string();
        let seek_proved_end = match opened {
            Opened::Whole(whole) => {
                let windows = job.windows.as_ref().expect("files are mapped with a range");
                feed_region(agg, (&name, &whole), job, windows, stop)?
            }
            Opened::Stream(stream) => {
                pump(agg, &name, &mut BlockReader::new(stream.reader), stop)?;
                false
            }
        };
        end_proven |= seek_proved_end;
        if stop() || agg.range_complete() || seek_proved_end {
            break;
        }
    }
    Ok(end_proven)
}

/// Feeds the part of a mapped plain file that fast seek leaves for the
/// windows `windows` (`docs/behaviour.md#fast-seek`), its lines numbered
/// as in the whole file; returns whether the seek proved the range's end.
fn feed_region<W: Write>(
    agg: &mut Aggregator<W>,
    (name, whole): (&str, &Whole),
    job: &Job<'_>,
    windows: &Range<Timestamp>,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<bool, Error> {
    let bytes = whole.bytes();
    whole.check_len(bytes.len())?;
    let state = FormatState::at_start(job.format, bytes);
    let until = windows.end.saturating_add(Duration::NANOSECOND);
    let seek = seek_region_in(bytes, &state, windows.start, until, job.lateness);
    let region = &bytes[seek.start..seek.end];
    // Counting the lines skipped reads them, but parses none.
    let lines_before = bytes[..seek.start].iter().filter(|&&b| b == b'\n').count() as u64;
    pump_from(
        agg,
        (name, state, lines_before),
        &mut BlockReader::new(region),
        stop,
    )?;
    Ok(seek.end_proven)
}
