//! The first record of each file of an archive: what orders the files and
//! what pruning reasons about (`docs/behaviour.md#archive-order`).
//!
//! A compressed file is decompressed only until its first record, on the
//! caller's thread and in small steps: a Zeek file's header block and
//! first record take a few kilobytes, so hundreds of files cost a few
//! milliseconds. A file with no record is read to its end to know it.
//! Files are read in parallel, one per core.
//!
//! Memory per reading thread: one [`BlockReader`] (its buffer grows by
//! [`HEAD_STEP`] at a time, up to the longest line it holds, at most
//! `MAX_LINE_BYTES`), and one decoder (zlib's 32 KiB window, or zstd's
//! window, at most 128 MiB as the decoder caps it).

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::archive::skip::{Skip, other_format};
use crate::error::{Error, IoContext, Result};
use crate::io::block_reader::{Block, BlockReader};
use crate::io::compressed::Compression;
use crate::io::input::open_file;
use crate::parse::format::{FormatState, InputFormat, Parsed};
use crate::parse::lines::Lines;
use crate::parse::timestamp::Timestamp;

/// Bytes decompressed (or read) per step while looking for the first
/// record, and compressed bytes read per step: a Zeek header block and a
/// first record fit in one.
const HEAD_STEP: usize = 4 * 1024;

/// Leading bytes looked at to tell a format the tools do not read.
const MAGIC_LEN: usize = 8;

/// What the start of one file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    /// The time of its first record, or why it is not read.
    pub first: Result<Timestamp, Skip>,
    /// How it is compressed; `None` for plain text.
    pub compression: Option<Compression>,
    /// Its size on disk, in bytes.
    pub size: u64,
    /// Bytes decompressed to find the first record (0 for plain text).
    pub decompressed: u64,
}

/// Reads the heads of `paths` on every core; the results are in the order
/// of `paths`. The first error met (in that order) is returned. A path
/// paired with `true` was found in a directory: the skip rule's content
/// tests apply to it (see [`read_head`]).
pub(crate) fn read_heads(
    paths: &[(&Path, bool)],
    (format, believable): (InputFormat, Timestamp),
) -> Result<Vec<Head>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len());
    let next = AtomicUsize::new(0);
    let heads: Vec<Mutex<Option<Result<Head>>>> = paths.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(path, found)) = paths.get(i) else {
                        break;
                    };
                    let head = read_head(path, (format, believable), found);
                    *heads[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(head);
                }
            });
        }
    });
    heads
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(Error::Input("a file's head was not read".into())))
        })
        .collect()
}

/// Reads the start of the file at `path` up to its first record: the
/// first whose time is no later than `believable` (a later one is
/// malformed to both tools, `docs/behaviour.md#implausible-times`). A
/// file `found` in a directory whose first bytes are another format's, or
/// that is a Zeek log other than `conn`, is passed over; a file named on
/// the command line is read whatever it holds.
pub(crate) fn read_head(
    path: &Path,
    (format, believable): (InputFormat, Timestamp),
    found: bool,
) -> Result<Head> {
    let cannot_read = || format!("cannot read {}", path.display());
    let file = open_file(path)?;
    let size = file.metadata().doing(cannot_read)?.len();
    let mut magic = [0; MAGIC_LEN];
    let n = read_prefix(&file, &mut magic).doing(cannot_read)?;
    let compression = Compression::sniff(&magic[..n]);
    let head = |first, decompressed| Head {
        first,
        compression,
        size,
        decompressed,
    };
    if found
        && compression.is_none()
        && let Some(other) = other_format(&magic[..n])
    {
        return Ok(head(Err(Skip::OtherFormat(other)), 0));
    }
    let reader: Box<dyn Read + Send> = match compression {
        Some(c) => c.decoder(file, HEAD_STEP).doing(cannot_read)?,
        None => Box::new(file),
    };
    let mut lines = BlockReader::with_read_size(reader, HEAD_STEP);
    let first = first_record(&mut lines, (format, believable), found).doing(cannot_read)?;
    let decompressed = if compression.is_some() {
        lines.bytes_read()
    } else {
        0
    };
    Ok(head(first, decompressed))
}

/// Reads up to `out.len()` bytes from the start of `file`.
fn read_prefix(file: &File, out: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < out.len() {
        match file.read_at(&mut out[n..], n as u64) {
            Ok(0) => break,
            Ok(got) => n += got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The time of the first record read from `lines`, or why there is none
/// to order the file by.
fn first_record<R: Read>(
    lines: &mut BlockReader<R>,
    (format, believable): (InputFormat, Timestamp),
    found: bool,
) -> io::Result<Result<Timestamp, Skip>> {
    let mut state = FormatState::new(format);
    loop {
        let block = match lines.next_block()? {
            Some(block) => block,
            None => match lines.take_partial() {
                Some(block) => block,
                None => return Ok(Err(Skip::NoRecord)),
            },
        };
        let Block::Lines(bytes) = block else {
            continue;
        };
        for (_, line) in Lines::new(bytes) {
            if let Some(path) = state.zeek_log_path(line)
                && found
                && path != b"conn"
            {
                let path = String::from_utf8_lossy(path).into_owned();
                return Ok(Err(Skip::OtherZeekLog(path)));
            }
            if let Parsed::Record(record) = state.parse_line(line)
                && record.ts <= believable
            {
                return Ok(Ok(record.ts));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::compressed::gzip_for_tests as gzip;

    /// A believable limit far past every time of the tests.
    const NOW: Timestamp = Timestamp::from_secs(2_000_000_000);

    fn head_of(bytes: &[u8]) -> Head {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        read_head(&path, (InputFormat::Auto, NOW), true).unwrap()
    }

    #[test]
    fn the_first_record_is_found_past_headers_and_malformed_lines() {
        let text = b"\n# comment\n1565647201 a b\n1565647200 c d\n";
        let plain = head_of(text);
        assert_eq!(plain.first, Ok(Timestamp::from_secs(1_565_647_201)));
        assert_eq!((plain.compression, plain.decompressed), (None, 0));
        let zeek = "#separator \\x09\n#path\tconn\n#fields\tts\tid.orig_h\tid.resp_h\n\
                    1565647202.5\ta\tb\n";
        let gz = head_of(&gzip(zeek.as_bytes()));
        assert_eq!(
            gz.first,
            Ok(Timestamp::from_nanos(1_565_647_202_500_000_000))
        );
        assert_eq!(gz.compression, Some(Compression::Gzip));
        let zst = head_of(&zstd::encode_all(&text[..], 3).unwrap());
        assert_eq!(zst.first, Ok(Timestamp::from_secs(1_565_647_201)));
        assert_eq!(zst.decompressed, text.len() as u64);
    }

    #[test]
    fn a_time_too_far_ahead_is_not_a_first_record() {
        // A lost digit's year 24,000 before the real first record.
        let head = head_of(b"700469170800 a b\n1565647200 c d\n");
        assert_eq!(head.first, Ok(Timestamp::from_secs(1_565_647_200)));
    }

    #[test]
    fn a_large_compressed_file_is_decompressed_only_to_its_first_record() {
        let text = b"1565647200 alpha beta\n".repeat(200_000);
        let head = head_of(&gzip(&text));
        assert_eq!(head.first, Ok(Timestamp::from_secs(1_565_647_200)));
        assert!(
            head.decompressed <= 2 * HEAD_STEP as u64,
            "{} bytes decompressed",
            head.decompressed
        );
    }

    #[test]
    fn files_without_records_and_other_formats_are_told() {
        assert_eq!(head_of(b"").first, Err(Skip::NoRecord));
        assert_eq!(head_of(b"not a record\n\n").first, Err(Skip::NoRecord));
        assert_eq!(head_of(&gzip(b"")).first, Err(Skip::NoRecord));
        assert_eq!(
            head_of(b"BZh91AY&SY...").first,
            Err(Skip::OtherFormat("bzip2"))
        );
        let dns = "#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tid.resp_h\n1\ta\tb\n";
        assert_eq!(
            head_of(dns.as_bytes()).first,
            Err(Skip::OtherZeekLog("dns".into()))
        );
        // Named on the command line, a file is read whatever it holds.
        let dir = tempfile::tempdir().unwrap();
        let named = dir.path().join("dns.log");
        std::fs::write(&named, dns).unwrap();
        let head = read_head(&named, (InputFormat::Auto, NOW), false).unwrap();
        assert_eq!(head.first, Ok(Timestamp::from_secs(1)));
    }

    #[test]
    fn heads_are_read_in_parallel_in_the_order_asked() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<std::path::PathBuf> = (0..40)
            .map(|i| {
                let path = dir.path().join(format!("f{i}"));
                std::fs::write(&path, gzip(format!("{} a b\n", 1000 + i).as_bytes())).unwrap();
                path
            })
            .collect();
        let found: Vec<(&Path, bool)> = paths.iter().map(|p| (p.as_path(), true)).collect();
        let heads = read_heads(&found, (InputFormat::Auto, NOW)).unwrap();
        let firsts: Vec<_> = heads.iter().map(|h| h.first.clone().unwrap()).collect();
        let expected: Vec<_> = (0..40).map(|i| Timestamp::from_secs(1000 + i)).collect();
        assert_eq!(firsts, expected);
        std::fs::write(&paths[7], b"\x1f\x8b\x08\x00garbage").unwrap();
        let err = read_heads(&found, (InputFormat::Auto, NOW)).unwrap_err();
        assert!(format!("{err}").contains("f7"), "{err}");
    }
}
