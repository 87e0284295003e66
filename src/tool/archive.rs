//! Directories as input, for both tools: the arguments turned into one
//! stream of files ([`crate::archive`]), what is said about it on stderr,
//! and the file counts `--stats` reports (`docs/behaviour.md#archives`).

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::archive::{self, ArchiveFile, Plan, Reading};
use crate::diagnostics::Diagnostics;
use crate::error::Error;
use crate::io::input::{self, InputName, MmapChoice, Opened, Stream};

/// What `--stats` says of the files: found, passed over, left out by the
/// time range, opened, and bytes decompressed (each compressed file's
/// output, first records included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Files named, or found in the directories named.
    pub considered: u64,
    /// Files passed over by the skip rule, or for holding no record.
    pub skipped: u64,
    /// Files with a record that the time range does not need.
    pub pruned: u64,
    /// Files opened for reading (an archive's first-record reads aside;
    /// one opened ahead of the reading included).
    pub opened: u64,
    /// Bytes decompressed.
    pub decompressed: u64,
}

impl fmt::Display for FileStats {
    /// `files=… files_skipped=… files_pruned=… files_opened=…
    /// bytes_decompressed=…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "files={} files_skipped={} files_pruned={} files_opened={} bytes_decompressed={}",
            self.considered, self.skipped, self.pruned, self.opened, self.decompressed,
        )
    }
}

/// The [`FileStats`] of a run while it reads: the files opened and the
/// bytes decompressed are counted as it goes.
#[derive(Debug, Default)]
pub(super) struct FileCounts {
    considered: u64,
    skipped: u64,
    pruned: u64,
    opened: AtomicU64,
    decompressed: Arc<AtomicU64>,
}

impl FileCounts {
    /// Counts for files named one by one: each considered, none skipped
    /// or pruned (a run without a directory reads what it is given).
    pub(super) fn named(files: usize) -> FileCounts {
        FileCounts {
            considered: files as u64,
            ..FileCounts::default()
        }
    }

    /// Counts the files the time range leaves out.
    pub(super) fn prune(&mut self, files: usize) {
        self.pruned = files as u64;
    }

    /// Opens `name` (a compressed file's decompression started at once
    /// when `ahead`), counting it, and its decompressed bytes once read.
    pub(super) fn open(
        &self,
        name: &InputName,
        choice: MmapChoice,
        ahead: bool,
    ) -> Result<Opened, Error> {
        let opened = if ahead {
            input::open_ahead(name, choice)?
        } else {
            input::open(name, choice)?
        };
        self.opened.fetch_add(1, Ordering::Relaxed);
        Ok(match opened {
            Opened::Stream(stream) => Opened::Stream(self.meter(stream)),
            whole => whole,
        })
    }

    /// Counts a stream opened elsewhere, and its decompressed bytes once
    /// read (a plain stream's bytes are not counted).
    pub(super) fn meter(&self, stream: Stream) -> Stream {
        if stream.compression.is_none() {
            return stream;
        }
        stream.metered(&self.decompressed)
    }

    /// Counts a file opened elsewhere.
    pub(super) fn opened_one(&self) {
        self.opened.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    pub(super) fn stats(&self) -> FileStats {
        FileStats {
            considered: self.considered,
            skipped: self.skipped,
            pruned: self.pruned,
            opened: self.opened.load(Ordering::Relaxed),
            decompressed: self.decompressed.load(Ordering::Relaxed),
        }
    }
}

/// Whether any argument names a directory: the run then reads an archive.
pub(super) fn names_a_directory(args: &[OsString]) -> bool {
    args.iter()
        .any(|arg| arg != "-" && std::fs::metadata(arg).is_ok_and(|meta| meta.is_dir()))
}

/// The stream the arguments make, one of them at least a directory: the
/// files in order, with notes on stderr for those passed over (under
/// `-v`, or always for a file that may hide records), and its counts.
///
/// Standard input and FIFOs cannot be ordered by a first record without
/// reading them away, so with a directory they are a usage error; so are
/// inputs that are several streams, refused with a sentence ending in
/// `apart`, how to run them apart.
pub(super) fn plan(
    args: &[OsString],
    reading: Reading<'_>,
    diagnostics: &Diagnostics,
    verbose: bool,
) -> Result<(Plan, FileCounts), Error> {
    let mut paths = Vec::with_capacity(args.len());
    for arg in args {
        let name = InputName::from_arg(arg);
        match name.path() {
            Some(path) if !input::is_fifo(path) => paths.push(PathBuf::from(path)),
            _ => {
                return Err(Error::Usage(format!(
                    "{name} cannot be read with a directory: its files are ordered by their \
                     first records, which a pipe or standard input would give up only once; \
                     name files and directories only"
                )));
            }
        }
    }
    let plan = archive::plan(&paths, reading)?;
    for (path, skip) in &plan.skipped {
        if verbose || skip.may_hide_records() {
            diagnostics.note(format_args!("{}: skipped: {skip}", path.display()));
        }
    }
    for dir in &plan.empty_directories {
        diagnostics.note(format_args!(
            "{}: no file with a record in it",
            dir.display()
        ));
    }
    let counts = FileCounts {
        considered: plan.considered,
        skipped: plan.skipped.len() as u64,
        decompressed: Arc::new(AtomicU64::new(plan.head_bytes)),
        ..FileCounts::default()
    };
    Ok((plan, counts))
}

/// `-v`: how many of the stream's files a time range needs, and which.
pub(super) fn note_selection(
    diagnostics: &Diagnostics,
    files: &[ArchiveFile],
    read: &[ArchiveFile],
) {
    let (Some(first), Some(last)) = (read.first(), read.last()) else {
        diagnostics.note(format_args!(
            "{} file(s) with records, none needed by the time range",
            files.len()
        ));
        return;
    };
    diagnostics.note(format_args!(
        "{} file(s) with records, {} left out by the time range: reading {} to {}",
        files.len(),
        files.len() - read.len(),
        first.path.display(),
        last.path.display(),
    ));
}

/// `-v`: says that a file of an archive is being opened, and how it is
/// read.
pub(super) fn note_reading(diagnostics: &Diagnostics, file: &ArchiveFile, fast_seek: bool) {
    let how = match (file.compression, fast_seek) {
        (Some(format), _) => format!("{format}-compressed, from its start"),
        (None, true) => "plain, with fast seek".into(),
        (None, false) => "plain, from its start".into(),
    };
    diagnostics.note(format_args!("{}: reading it ({how})", file.path.display()));
}
