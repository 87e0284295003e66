//! Telling when the inputs of a run are several streams (two sensors'
//! logs), which reading them as one would answer wrongly
//! (`docs/behaviour.md#archive-streams`).
//!
//! Two checks, both before anything is read past the files' first
//! records:
//! - **Order.** In one stream, a file's first record comes after the
//!   first records of the files before it, so it is at most `L` older
//!   than any of them. A file whose first record is older than that
//!   proves the inputs are not one stream in the order given (two
//!   sensors' folders given one after the other, or one sensor's days
//!   given newest first). This check is sound: it never refuses a stream
//!   that keeps the bound.
//! - **Names.** Within one directory, the same file name in two folders
//!   that differ by more than a date (`s1/2019-08-12/conn.log.gz` and
//!   `s2/2019-08-12/conn.log.gz`) is two sensors' layout, whose files the
//!   order of first records would interleave. This check is a heuristic:
//!   it catches the layouts of Zeek, logrotate and S3, not two streams
//!   whose files are named apart.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::parse::timestamp::{Duration, Timestamp};

/// Checks that files in stream order, with their first records, could be
/// one stream: no first record is more than `lateness` older than an
/// earlier file's. `apart` says how to run several streams apart.
pub(crate) fn check_order(
    files: &[(&Path, Timestamp)],
    lateness: Duration,
    apart: &str,
) -> Result<()> {
    let mut newest: Option<(&Path, Timestamp)> = None;
    for &(path, first) in files {
        if let Some((earlier, latest)) = newest
            && first < latest.saturating_sub(lateness)
        {
            return Err(Error::Usage(format!(
                "{} cannot follow {} in one stream: its first record ({first}) is more \
                     than --max-log-late-seconds older than that file's ({latest}); give the \
                     inputs oldest first, or, if they are several sensors' logs, {apart}",
                path.display(),
                earlier.display(),
            )));
        }
        if newest.is_none_or(|(_, latest)| first > latest) {
            newest = Some((path, first));
        }
    }
    Ok(())
}

/// Checks that the files found in the directory `dir` do not repeat a
/// name in folders that differ by more than a date (see the module doc).
pub(crate) fn check_names(dir: &Path, files: &[PathBuf], apart: &str) -> Result<()> {
    let mut seen: HashMap<OsString, &Path> = HashMap::new();
    for path in files {
        let Some(name) = path.file_name() else {
            continue;
        };
        let Some(earlier) = seen.insert(name.to_os_string(), path) else {
            continue;
        };
        if !differ_by_dates(earlier, path) {
            return Err(Error::Usage(format!(
                "{} looks like several streams: {} and {} have the same name in different \
                 folders (two sensors' logs?); {apart}",
                dir.display(),
                earlier.display(),
                path.display(),
            )));
        }
    }
    Ok(())
}

/// Whether two paths have as many parts, and every part where they
/// differ is a date or time (digits with `-`, `_`, `.` or `:`).
fn differ_by_dates(a: &Path, b: &Path) -> bool {
    let (a, b): (Vec<Component>, Vec<Component>) =
        (a.components().collect(), b.components().collect());
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x == y
                || (is_date_like(x.as_os_str().as_encoded_bytes())
                    && is_date_like(y.as_os_str().as_encoded_bytes()))
        })
}

/// A folder name made of a date or time: `2019-08-12`, `20190812`, `08`.
fn is_date_like(part: &[u8]) -> bool {
    part.iter().any(u8::is_ascii_digit)
        && part
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const APART: &str = "run them apart";

    fn secs(s: u64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    #[test]
    fn files_out_of_order_by_more_than_the_bound_are_refused() {
        let l = Duration::from_secs(300);
        let (a, b, c) = (Path::new("s1/a"), Path::new("s1/b"), Path::new("s2/a"));
        // Late by up to L: one stream.
        assert!(check_order(&[(a, secs(1000)), (b, secs(700))], l, APART).is_ok());
        assert!(
            check_order(
                &[(a, secs(1000)), (b, secs(5000)), (c, secs(4700))],
                l,
                APART
            )
            .is_ok()
        );
        // A second sensor's files after the first's.
        let err = check_order(
            &[(a, secs(1000)), (b, secs(5000)), (c, secs(1001))],
            l,
            APART,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Usage(_)));
        assert!(
            msg.starts_with("s2/a cannot follow s1/b in one stream: its first record (1001)")
                && msg.ends_with(APART),
            "{msg}"
        );
    }

    #[test]
    fn a_name_repeated_outside_date_folders_is_two_sensors() {
        let dir = Path::new("logs");
        let one = [
            "logs/2019-08-12/conn.log.gz",
            "logs/2019-08-13/conn.log.gz",
            "logs/2019/08/13/x.gz",
            "logs/2019/08/14/x.gz",
        ];
        let one: Vec<PathBuf> = one.iter().map(PathBuf::from).collect();
        assert!(check_names(dir, &one, APART).is_ok());
        for two in [
            [
                "logs/s1/2019-08-12/conn.log.gz",
                "logs/s2/2019-08-12/conn.log.gz",
            ],
            ["logs/host1/conn.log.1", "logs/host2/conn.log.1"],
            ["logs/conn.log.1", "logs/old/conn.log.1"],
        ] {
            let two: Vec<PathBuf> = two.iter().map(PathBuf::from).collect();
            let msg = check_names(dir, &two, APART).unwrap_err().to_string();
            assert!(msg.starts_with("logs looks like several streams"), "{msg}");
        }
    }
}
