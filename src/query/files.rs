//! The query over the files an archive selected (`docs/behaviour.md#archives`):
//! each opened when its turn comes, not all at once (an archive may hold
//! thousands), and the next ones opened ahead, their decompression started,
//! so that decompressing them overlaps the scan of the current one.
//!
//! The files are scanned one after another, in order, as named files are
//! ([`super::run`]): fast seek in each plain file, the early stop across
//! them; the output is that of one sequential pass. A compressed file
//! whose next file starts before the range ends cannot hold the early
//! stop, so only its lines that may match are parsed, as in a region fast
//! seek bounded.
//!
//! Memory: besides the file being scanned, at most [`FILES_AHEAD`] files
//! open ahead, each holding its decompressor and at most the few chunks
//! its reading thread runs ahead (1.5 MiB, in chunks of 256 KiB: files
//! are opened with `io::input::open_ahead`), or a map.

use std::io::Write;

use crate::archive::ArchiveFile;
use crate::error::Error;
use crate::io::ahead::OpenAhead;
use crate::io::input::{InputName, Opened};
use crate::parse::timestamp::Timestamp;
use crate::query::progress::Work;
use crate::query::scan::Kernel;
use crate::query::{Answer, Query, scan_input, where_to_read};

/// Files opened ahead of the one being scanned. On two cores one is
/// enough to keep both busy: the scan of one file on one, the
/// decompression of it and of the next on the other, each ahead by its
/// reading thread's chunks.
pub const FILES_AHEAD: usize = 1;

/// Runs `query` over `files`, in order, as one stream; `open` opens a file
/// (decompression started, see [`crate::io::input::open_ahead`]) when it
/// is at most [`FILES_AHEAD`] files ahead of the one being scanned. A file
/// that cannot be opened is an error when its turn comes (after the
/// output of the files before it), or never if the early stop comes first.
pub fn run_files(
    query: &Query,
    files: &[ArchiveFile],
    open: impl FnMut(&ArchiveFile) -> Result<Opened, Error>,
    answer: &mut Answer<'_, impl Write>,
) -> Result<(), Error> {
    let work_of = |file: &ArchiveFile| {
        let mut work = Work::default();
        match file.compression {
            Some(format) => work.add_compressed(format, file.size),
            None => work.add_mapped(file.size),
        }
        work
    };
    answer.progress.start(
        files
            .iter()
            .fold(Work::default(), |all, f| all + work_of(f)),
    );
    // With fast seek the files were chosen as a seek chooses lines: a log
    // that breaks the bound may have lost records to it.
    answer.sought = query.fast_seek;
    let mut done = 0;
    let mut next_firsts = files.iter().skip(1).map(|f| f.first);
    for (file, opened) in OpenAhead::new(files, FILES_AHEAD, open) {
        let opened = opened?;
        let start = where_to_read(query, &opened)?;
        let name = InputName::Path(file.path.clone());
        let kernel = stream_kernel(query, next_firsts.next());
        if scan_input(query, (&name, opened), start, kernel, done, answer)? {
            break;
        }
        done += work_of(file).bytes;
    }
    Ok(())
}

/// The kernel a compressed file is scanned with, given the first record
/// of the file after it: the candidates kernel when that record is before
/// `time_end`, for then (under the bound, `docs/behaviour.md#archive-pruning`)
/// every record of this file is before `time_end + L` and no early stop can
/// fall in it; else the full one. Without fast seek, always the full one.
fn stream_kernel(query: &Query, next_first: Option<Timestamp>) -> Kernel {
    match next_first {
        Some(first) if query.fast_seek && first < query.time_end => Kernel::Candidates,
        _ => Kernel::Full,
    }
}
