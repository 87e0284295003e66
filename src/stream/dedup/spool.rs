//! A list's order, in memory up to a bound and then in an unnamed
//! temporary file.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};

use super::SPILL_BYTES;
use crate::stream::host_counts::HostId;

/// Entries (host ids or names) in insertion order: in memory up to
/// `SPILL_BYTES`, then appended to an unnamed temporary file in batches of
/// that size.
#[derive(Default)]
pub(super) struct Spool {
    /// The newest entries' bytes.
    pub(super) pending: Vec<u8>,
    /// The older entries, if there were more than fit in `pending`.
    pub(super) file: Option<File>,
    /// Number of entries.
    pub(super) len: u64,
}

impl Spool {
    /// Appends one entry made of `parts`, back to back.
    fn push(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        if self.pending.len() >= SPILL_BYTES {
            self.spill().map_err(|e| spill_error("write", e))?;
        }
        for part in parts {
            self.pending.extend_from_slice(part);
        }
        self.len += 1;
        Ok(())
    }

    /// Moves the pending entries to the end of the temporary file.
    fn spill(&mut self) -> io::Result<()> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all(&self.pending)?;
        self.pending.clear();
        Ok(())
    }

    /// Calls `read_entry` once per entry, oldest first, with a reader at
    /// the entry's start; it must read exactly the entry.
    fn for_each(
        self,
        mut read_entry: impl FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut pending = &self.pending[..];
        match self.file {
            Some(mut file) => {
                file.rewind().map_err(|e| spill_error("read", e))?;
                let mut reader = BufReader::with_capacity(64 * 1024, file).chain(pending);
                for _ in 0..self.len {
                    read_entry(&mut reader)?;
                }
            }
            None => {
                for _ in 0..self.len {
                    read_entry(&mut pending)?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn push_id(&mut self, id: HostId) -> io::Result<()> {
        self.push(&[&id.to_raw().to_le_bytes()])
    }

    pub(super) fn for_each_id(self, mut f: impl FnMut(HostId) -> io::Result<()>) -> io::Result<()> {
        let mut raw = [0u8; 4];
        self.for_each(|r| {
            r.read_exact(&mut raw)?;
            f(HostId::from_raw(u32::from_le_bytes(raw)))
        })
    }

    /// A name, after its length (`u32`: a host is at most a line long).
    pub(super) fn push_name(&mut self, name: &[u8]) -> io::Result<()> {
        let len = u32::try_from(name.len()).map_err(io::Error::other)?;
        self.push(&[&len.to_le_bytes(), name])
    }

    pub(super) fn for_each_name(
        self,
        mut f: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut name = Vec::new();
        let mut len = [0u8; 4];
        self.for_each(|r| {
            r.read_exact(&mut len)?;
            name.resize(u32::from_le_bytes(len) as usize, 0);
            r.read_exact(&mut name)?;
            f(&name)
        })
    }
}

/// A spill file that cannot be written or read back: the run must stop
/// (a list would lose hosts), with a message saying where and what to do.
fn spill_error(doing: &str, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "cannot {doing} the spill file of a long host list in {} ({e}); \
             point TMPDIR at a writable directory with room",
            std::env::temp_dir().display()
        ),
    )
}
