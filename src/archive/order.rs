//! The order of a directory's files: by the time of their first record,
//! ties oldest first by their names as logrotate gives them
//! (`docs/behaviour.md#archive-order`).
//!
//! logrotate renames `conn.log` to `conn.log.1`, `conn.log.1` to
//! `conn.log.2` (compressed, `conn.log.2.gz`), and so on: the larger the
//! number, the older the file. With `dateext` it appends the date instead
//! (`conn.log-20190812.gz`): the earlier, the older. Either is older than
//! the name with neither, the file being written.

use std::cmp::{Ordering, Reverse};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::parse::timestamp::Timestamp;

/// How old a file's name says it is, among files whose first records tie;
/// smaller is older.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Age {
    /// `NAME.N`: rotated `N` times (the larger, the older).
    Numbered(Reverse<u64>),
    /// `NAME-STAMP`: rotated with `dateext` (the stamp, digits with `-`
    /// or `_`, compares as text: the earlier, the older).
    Dated(Vec<u8>),
    /// Neither: the file being written, or a name of another scheme.
    Current,
}

/// The suffixes of compressed rotated files, left out before the age is
/// read from a name.
const COMPRESSED_SUFFIXES: &[&[u8]] = &[b".gz", b".zst", b".zstd"];

/// Digits of a rotation number past which a suffix is not one.
const MAX_ROTATION_DIGITS: usize = 9;

/// The age a file name tells (see [`Age`]).
pub(crate) fn age(name: &[u8]) -> Age {
    let name = COMPRESSED_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(*suffix))
        .unwrap_or(name);
    let digits = name.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let (stem, number) = name.split_at(name.len() - digits);
    if (1..=MAX_ROTATION_DIGITS).contains(&digits) && stem.len() > 1 && stem.ends_with(b".") {
        let n = std::str::from_utf8(number)
            .ok()
            .and_then(|n| n.parse().ok());
        if let Some(n) = n {
            return Age::Numbered(Reverse(n));
        }
    }
    let stamp = name
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'-' | b'_'))
        .count();
    let stamped = &name[name.len() - stamp..];
    // The stamp starts right after the `-` dateext adds, and has digits.
    if let Some(stamp) = stamped
        .iter()
        .position(|&b| b == b'-')
        .map(|i| &stamped[i + 1..])
        && stamp.first().is_some_and(u8::is_ascii_digit)
        && name.len() > stamped.len()
    {
        return Age::Dated(stamp.to_vec());
    }
    Age::Current
}

/// Orders two files of one directory: by first record, then by the age
/// their names tell, then by path (bytes), so that the order never
/// depends on how the directory was listed.
pub(crate) fn stream_order(a: (&Path, Timestamp), b: (&Path, Timestamp)) -> Ordering {
    let age_of = |path: &Path| age(path.file_name().map_or(&b""[..], |n| n.as_bytes()));
    a.1.cmp(&b.1)
        .then_with(|| age_of(a.0).cmp(&age_of(b.0)))
        .then_with(|| a.0.as_os_str().as_bytes().cmp(b.0.as_os_str().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_their_rotation_age() {
        assert_eq!(age(b"conn.log.2.gz"), Age::Numbered(Reverse(2)));
        assert_eq!(age(b"conn.log.12"), Age::Numbered(Reverse(12)));
        assert_eq!(age(b"conn.log"), Age::Current);
        assert_eq!(
            age(b"conn.log-20190812.gz"),
            Age::Dated(b"20190812".to_vec())
        );
        assert_eq!(
            age(b"conn.log-2019-08-12.zst"),
            Age::Dated(b"2019-08-12".to_vec())
        );
        assert_eq!(age(b"conn.22:00:00-23:00:00.log.gz"), Age::Current);
        assert_eq!(age(b"a_20190812T2205Z_0f1e2d3c.log.gz"), Age::Current);
        assert_eq!(age(b"1234"), Age::Current);
        assert_eq!(age(b".5"), Age::Current);
    }

    #[test]
    fn ties_are_broken_oldest_first() {
        let t = Timestamp::from_secs(1);
        let mut files = [
            "d/conn.log",
            "d/conn.log.1",
            "d/conn.log.10.gz",
            "d/conn.log.2.gz",
            "d/conn.log-20190813.gz",
            "d/conn.log-20190812.gz",
        ];
        files.sort_by(|a, b| stream_order((Path::new(a), t), (Path::new(b), t)));
        assert_eq!(
            files,
            [
                "d/conn.log.10.gz",
                "d/conn.log.2.gz",
                "d/conn.log.1",
                "d/conn.log-20190812.gz",
                "d/conn.log-20190813.gz",
                "d/conn.log",
            ]
        );
        // The first record comes before any name.
        let older = (Path::new("d/conn.log"), t);
        let newer = (Path::new("d/conn.log.9"), Timestamp::from_secs(2));
        assert_eq!(stream_order(older, newer), Ordering::Less);
    }
}
