//! The skip rule: which files found in a directory are not read
//! (`docs/behaviour.md#archive-files`). Every regular file is a
//! candidate whatever its name; passed over are hidden files and folders,
//! editors' leftovers, files whose first bytes are another format's, Zeek
//! logs other than `conn`, and files with no record.

use std::fmt;

/// Why a file found in a directory is not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Its name, or a folder's on its path, starts with `.`.
    Hidden,
    /// An editor's backup or swap file (`name~`, `.swp`, `.swo`).
    Backup,
    /// A FIFO, socket or device: not a file that can be read twice.
    NotRegular,
    /// A symbolic link to a directory, which is not followed (it could
    /// lead back up the tree, or to another archive).
    LinkedDirectory,
    /// Its first bytes are those of a format the tools do not read (the
    /// name of the format): another compression, an archive, an image.
    OtherFormat(&'static str),
    /// A Zeek log other than `conn` (its `#path` header, as `dns`).
    OtherZeekLog(String),
    /// It holds no record (empty, or only headers and malformed lines):
    /// nothing in it can change an answer, and it has no time to be
    /// ordered by.
    NoRecord,
}

impl Skip {
    /// Whether the file might hold connections the tools cannot read,
    /// so that passing over it deserves a note even without `-v`.
    pub fn may_hide_records(&self) -> bool {
        matches!(self, Skip::OtherFormat(_))
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Hidden => f.write_str("a hidden file"),
            Skip::Backup => f.write_str("an editor's backup or swap file"),
            Skip::NotRegular => f.write_str("not a regular file"),
            Skip::LinkedDirectory => f.write_str("a link to a directory, not followed"),
            Skip::OtherFormat(format) => write!(
                f,
                "{format} data, which is not read (only plain, gzip and zstd logs are)"
            ),
            Skip::OtherZeekLog(path) => write!(f, "a Zeek {path} log, not a conn log"),
            Skip::NoRecord => f.write_str("no record in it"),
        }
    }
}

/// The skip rule by name: hidden files and folders, editors' leftovers.
pub(crate) fn skip_by_name(name: &[u8]) -> Option<Skip> {
    if name.starts_with(b".") {
        Some(Skip::Hidden)
    } else if name.ends_with(b"~") || name.ends_with(b".swp") || name.ends_with(b".swo") {
        Some(Skip::Backup)
    } else {
        None
    }
}

/// The format whose magic bytes `head` starts with, among those that are
/// clearly not logs the tools read (gzip and zstd are told apart before).
pub(crate) fn other_format(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"BZh", "bzip2"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"\x04\x22\x4d\x18", "lz4"),
        (b"PK\x03\x04", "zip"),
        (b"7z\xbc\xaf\x27\x1c", "7-zip"),
        (b"\x7fELF", "ELF"),
        (b"%PDF", "PDF"),
        (b"\x89PNG", "PNG"),
        (b"\xff\xd8\xff", "JPEG"),
        (b"GIF8", "GIF"),
        (b"SQLite f", "SQLite"),
    ];
    MAGIC
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|&(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_magic_bytes_tell_what_is_not_a_log() {
        assert_eq!(skip_by_name(b".conn.log"), Some(Skip::Hidden));
        assert_eq!(skip_by_name(b"conn.log~"), Some(Skip::Backup));
        assert_eq!(skip_by_name(b"conn.log.swp"), Some(Skip::Backup));
        assert_eq!(skip_by_name(b"conn.log.2.gz"), None);
        assert_eq!(skip_by_name(b"conn.22:00:00-23:00:00.log.gz"), None);
        assert_eq!(other_format(b"\xfd7zXZ\x00\x00"), Some("xz"));
        assert_eq!(other_format(b"PK\x03\x04"), Some("zip"));
        for log in [
            &b"1565647200 a b"[..],
            b"#separator",
            b"{\"ts\"",
            b"version",
            b"",
        ] {
            assert_eq!(other_format(log), None);
        }
        assert!(Skip::OtherFormat("xz").may_hide_records());
        assert!(!Skip::NoRecord.may_hide_records());
    }
}
