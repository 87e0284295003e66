//! Compressed logs: gzip and zstd, recognised by their first bytes whatever
//! the file is called (rotated logs are often `conn.log.1` whether or not
//! they were compressed), and decompressed on a thread of their own.
//!
//! A compressed log is read front to back like a pipe: it cannot be
//! memory-mapped or seeked into, so `connspy`'s fast seek does not apply
//! to it and `connspy-stream --tail` cannot follow it.

use std::fmt;
use std::io::{self, BufReader, Read};

use crate::io::read_ahead::ReadAhead;

/// How many leading bytes [`Compression::sniff`] needs to decide.
pub const MAGIC_BYTES: usize = 4;

/// Bytes of compressed input read per call into the decoder.
const RAW_READ_BYTES: usize = 256 * 1024;

/// A compression format the tools decompress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), one member or several concatenated (as `cat a.gz
    /// b.gz`, `pigz` and some log rotators write).
    Gzip,
    /// Zstandard, one frame or several, skippable frames included.
    Zstd,
}

impl Compression {
    /// The format whose magic bytes `head` (the first [`MAGIC_BYTES`] of
    /// an input, or all of it if shorter) starts with; `None` for plain
    /// text. A log line starts with a digit or whitespace, so no log is
    /// mistaken for either format.
    pub fn sniff(head: &[u8]) -> Option<Compression> {
        match head {
            [0x1f, 0x8b, ..] => Some(Compression::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
            // A skippable frame (magic 0x184D2A50..=0x184D2A5F, little
            // endian) opens files written by pzstd and seekable-zstd tools.
            [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// Decompresses `raw` on a thread of its own (see `io::read_ahead`), so
    /// that decompression overlaps with the parsing of what it produced;
    /// the thread starts at the first read.
    pub fn decompress(self, raw: impl Read + Send + 'static) -> io::Result<ReadAhead> {
        Ok(ReadAhead::new(self.decoder(raw, RAW_READ_BYTES)?))
    }

    /// [`decompress`](Self::decompress), the thread started now, in
    /// smaller chunks: a file opened ahead of its turn, decompressed while
    /// the files before it are read, holding at most 1.5 MiB meanwhile.
    pub fn decompress_now(self, raw: impl Read + Send + 'static) -> io::Result<ReadAhead> {
        ReadAhead::started(self.decoder(raw, RAW_READ_BYTES)?)
    }

    /// Decompresses `raw` on the caller's thread, reading it `raw_bytes`
    /// at a time: for a reader that wants only the first few lines (the
    /// first record of each file of an archive), where a thread and large
    /// reads would cost more than the little that is decompressed.
    pub fn decoder<R: Read + Send + 'static>(
        self,
        raw: R,
        raw_bytes: usize,
    ) -> io::Result<Box<dyn Read + Send>> {
        let raw = BufReader::with_capacity(raw_bytes, raw);
        Ok(match self {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
            // Frames follow one another until the end of the input; the
            // window is capped at zstd's default (128 MiB), which bounds
            // the decoder's memory whatever a frame header asks for.
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(raw)?),
        })
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        })
    }
}

/// Reads up to [`MAGIC_BYTES`] from the start of `reader`: fewer only at
/// its end.
pub fn read_head(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(MAGIC_BYTES);
    reader
        .by_ref()
        .take(MAGIC_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// `text` gzipped at the fastest level: how unit tests compress logs.
#[cfg(test)]
pub(crate) fn gzip_for_tests(text: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text).unwrap();
    enc.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(text: &[u8]) -> Vec<u8> {
        gzip_for_tests(text)
    }

    fn unpack(format: Compression, data: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        format
            .decompress(io::Cursor::new(data))?
            .read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn formats_are_told_by_their_magic_bytes() {
        assert_eq!(
            Compression::sniff(&gzip(b"1 a b\n")),
            Some(Compression::Gzip)
        );
        let zst = zstd::encode_all(&b"1 a b\n"[..], 3).unwrap();
        assert_eq!(Compression::sniff(&zst), Some(Compression::Zstd));
        assert_eq!(
            Compression::sniff(&[0x5a, 0x2a, 0x4d, 0x18]),
            Some(Compression::Zstd)
        );
        for plain in [
            &b"1565647200 a b\n"[..],
            b"",
            b"\x1f",
            b" \t1 a b",
            b"\x28\xb5",
        ] {
            assert_eq!(Compression::sniff(plain), None, "{plain:?}");
        }
    }

    #[test]
    fn read_head_stops_at_the_magic_or_the_end() {
        let mut r = &b"1565647200 a b\n"[..];
        assert_eq!(read_head(&mut r).unwrap(), b"1565");
        assert_eq!(r, b"647200 a b\n", "only the head was consumed");
        assert_eq!(read_head(&mut &b"ab"[..]).unwrap(), b"ab");
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let mut data = gzip(b"1 a b\n");
        data.extend(gzip(b"2 c d\n"));
        assert_eq!(unpack(Compression::Gzip, data).unwrap(), b"1 a b\n2 c d\n");
    }

    #[test]
    fn zstd_frames_and_skippable_frames_are_all_read() {
        // A skippable frame: magic, 4-byte little-endian length, payload.
        let mut data = vec![0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9];
        data.extend(zstd::encode_all(&b"1 a b\n"[..], 3).unwrap());
        data.extend(zstd::encode_all(&b"2 c d\n"[..], 19).unwrap());
        assert_eq!(Compression::sniff(&data), Some(Compression::Zstd));
        assert_eq!(unpack(Compression::Zstd, data).unwrap(), b"1 a b\n2 c d\n");
    }

    #[test]
    fn corrupt_or_truncated_data_is_a_read_error() {
        let text = b"1565647200 alpha beta\n".repeat(1000);
        let gz = gzip(&text);
        let zst = zstd::encode_all(&text[..], 3).unwrap();
        for (format, data) in [(Compression::Gzip, gz), (Compression::Zstd, zst)] {
            let cut = data[..data.len() / 2].to_vec();
            assert!(unpack(format, cut).is_err(), "{format} truncated");
            let mut bad = data.clone();
            let n = bad.len();
            bad[n / 2..n / 2 + 16].fill(0xff);
            assert!(unpack(format, bad).is_err(), "{format} corrupt");
        }
    }
}
