//! Archives: directories of rotated, compressed logs read as one stream,
//! of which a time range reads only the files it needs
//! (`docs/behaviour.md#archives`).
//!
//! A run's arguments, in the order given, are one stream; a directory
//! stands for the files below it (`walk`, less those the skip rule
//! passes over, `skip`), ordered by the time of their first record
//! (`head`, `order`). Files with no record take no part. Before any
//! is read further, `streams` refuses inputs that are several streams,
//! and [`prune`] says which files a time range needs.
//!
//! Owns: finding, ordering and selecting files.
//! May use: [`crate::parse`], [`crate::io`], [`crate::error`]; nothing of
//! the query, the stream, the command line or the tools.
//!
//! Memory: one [`ArchiveFile`] per file with a record (its path and a few
//! numbers) and one line per file passed over, for `-v`.

pub(crate) mod head;
pub(crate) mod order;
pub mod prune;
pub(crate) mod skip;
pub(crate) mod streams;
pub(crate) mod walk;

pub use prune::{Selection, select};
pub use skip::Skip;

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::io::compressed::Compression;
use crate::parse::format::InputFormat;
use crate::parse::horizon::{Horizon, wall_clock};
use crate::parse::timestamp::{Duration, Timestamp};

/// A file of the stream, with what its first record says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveFile {
    /// Where it is.
    pub path: PathBuf,
    /// The time of its first record.
    pub first: Timestamp,
    /// How it is compressed; `None` for plain text.
    pub compression: Option<Compression>,
    /// Its size on disk, in bytes.
    pub size: u64,
}

/// The stream a run's arguments make, before any file is read past its
/// first record.
#[derive(Debug, Default)]
pub struct Plan {
    /// The files with a record, in stream order.
    pub files: Vec<ArchiveFile>,
    /// The files passed over, and why (in the order found).
    pub skipped: Vec<(PathBuf, Skip)>,
    /// Files found: those of `files` and `skipped`.
    pub considered: u64,
    /// The directories named in which no file has a record.
    pub empty_directories: Vec<PathBuf>,
    /// Bytes decompressed to find the first records.
    pub head_bytes: u64,
}

/// How the inputs are to be read: the format option and the lateness
/// bound, and how to say, in a refusal, how to run several streams
/// apart (the tools' advice differs).
#[derive(Clone, Copy, Debug)]
pub struct Reading<'a> {
    /// `--input-format`.
    pub format: InputFormat,
    /// The lateness bound `L`.
    pub lateness: Duration,
    /// The end of the sentence refusing several streams: how to run them
    /// apart and merge the results.
    pub apart: &'a str,
}

/// The stream `inputs` (files and directories, in the order given) make.
///
/// A file named is read whatever it holds, like a file named without a
/// directory; a file found in a directory goes through the skip rule.
/// Errors: a file or directory that cannot be read, and inputs that are
/// several streams (a usage error, see `streams`).
pub fn plan(inputs: &[PathBuf], reading: Reading<'_>) -> Result<Plan> {
    let mut plan = Plan::default();
    let mut order: Vec<(PathBuf, bool)> = Vec::new();
    let mut groups = Vec::new();
    for input in inputs {
        let start = order.len();
        let is_dir = std::fs::metadata(input).is_ok_and(|meta| meta.is_dir());
        if is_dir {
            let walked = walk::walk(input)?;
            streams::check_names(input, &walked.files, reading.apart)?;
            plan.considered += (walked.files.len() + walked.skipped.len()) as u64;
            plan.skipped.extend(walked.skipped);
            order.extend(walked.files.into_iter().map(|path| (path, true)));
        } else {
            plan.considered += 1;
            order.push((input.clone(), false));
        }
        groups.push((start..order.len(), is_dir.then_some(input)));
    }
    let paths: Vec<(&Path, bool)> = order
        .iter()
        .map(|(p, found)| (p.as_path(), *found))
        .collect();
    // What the tools take for a record's time: none too far ahead.
    let believable = Horizon::new(reading.lateness).limit(wall_clock(), Timestamp::ZERO);
    let heads = head::read_heads(&paths, (reading.format, believable))?;
    for (range, dir) in groups {
        let mut files = Vec::new();
        for ((path, _), head) in order[range.clone()].iter().zip(&heads[range]) {
            plan.head_bytes += head.decompressed;
            match &head.first {
                Ok(first) => files.push(ArchiveFile {
                    path: path.clone(),
                    first: *first,
                    compression: head.compression,
                    size: head.size,
                }),
                Err(skip) => plan.skipped.push((path.clone(), skip.clone())),
            }
        }
        files.sort_by(|a, b| order::stream_order((&a.path, a.first), (&b.path, b.first)));
        if let Some(dir) = dir
            && files.is_empty()
        {
            plan.empty_directories.push(dir.clone());
        }
        plan.files.extend(files);
    }
    let firsts: Vec<(&Path, Timestamp)> = plan
        .files
        .iter()
        .map(|f| (f.path.as_path(), f.first))
        .collect();
    streams::check_order(&firsts, reading.lateness, reading.apart)?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(text: &str) -> Vec<u8> {
        crate::io::compressed::gzip_for_tests(text.as_bytes())
    }

    fn reading() -> Reading<'static> {
        Reading {
            format: InputFormat::Auto,
            lateness: Duration::from_secs(300),
            apart: "run them apart",
        }
    }

    #[test]
    fn a_directory_is_its_files_by_first_record_and_named_files_stay_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let logs = root.join("logs");
        std::fs::create_dir_all(logs.join("2019-08-13")).unwrap();
        std::fs::create_dir_all(logs.join("2019-08-12")).unwrap();
        std::fs::write(logs.join("2019-08-13/conn.log.gz"), gzip("3000 a b\n")).unwrap();
        std::fs::write(logs.join("2019-08-12/conn.log.gz"), gzip("1000 a b\n")).unwrap();
        std::fs::write(logs.join("2019-08-12/conn.log.1"), "1000 a b\n").unwrap();
        std::fs::write(logs.join("empty.log"), "").unwrap();
        std::fs::write(logs.join(".hidden"), "1 a b\n").unwrap();
        std::fs::write(root.join("live.log"), "4000 a b\n").unwrap();
        let plan = plan(&[logs.clone(), root.join("live.log")], reading()).unwrap();
        let names: Vec<String> = plan
            .files
            .iter()
            .map(|f| f.path.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "logs/2019-08-12/conn.log.1",
                "logs/2019-08-12/conn.log.gz",
                "logs/2019-08-13/conn.log.gz",
                "live.log"
            ]
        );
        assert_eq!(plan.considered, 6);
        assert_eq!(plan.files[1].compression, Some(Compression::Gzip));
        assert_eq!(plan.files[0].first, Timestamp::from_secs(1000));
        let mut skipped: Vec<_> = plan
            .skipped
            .iter()
            .map(|(p, s)| (p.file_name().unwrap().to_owned(), s.clone()))
            .collect();
        skipped.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            skipped,
            [
                (".hidden".into(), Skip::Hidden),
                ("empty.log".into(), Skip::NoRecord)
            ]
        );
        assert_eq!(plan.head_bytes, 2 * "1000 a b\n".len() as u64);
        // The live log first would put its records before the archive's.
        let err = super::plan(&[root.join("live.log"), logs], reading()).unwrap_err();
        assert!(err.to_string().contains("cannot follow"), "{err}");
    }
}
