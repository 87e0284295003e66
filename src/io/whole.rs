//! An input held whole in the address space, so that it can be searched
//! and split among threads: a file mapped read-only, or bytes already in
//! memory (how tests and the fuzz targets hand `connspy`'s query a log
//! without writing a file).
//!
//! A mapped file can be truncated by another process while it is read.
//! Two defences keep that from crashing the tool (see `# Safety` on
//! [`Whole::map`]): [`Whole::check_len`] compares the file's size with
//! the part about to be read, which turns the common case into an
//! ordinary error, and [`crate::io::sigbus`] turns the fault of a read that
//! loses the race into one line on stderr and exit status 1.

use std::fs::File;

use memmap2::Mmap;

use crate::error::{Error, IoContext};
use crate::io::sigbus;

/// The bytes of a whole input.
pub struct Whole {
    backing: Backing,
}

enum Backing {
    /// Declared before `map`, so that the range is unregistered before it
    /// is unmapped.
    Mapped {
        _guard: sigbus::Guard,
        map: Mmap,
        file: File,
        name: String,
    },
    Memory(Vec<u8>),
}

impl Whole {
    /// Maps a regular, non-empty file (shown as `name` in errors); gives
    /// the file back when it is to be read as a stream instead.
    ///
    /// Reading a map whose file another process truncates faults; taking
    /// [`sigbus::Installed`] makes sure that fault is caught (see the
    /// SAFETY note inside), so this can be a safe function.
    pub fn map(file: File, name: &str, _installed: sigbus::Installed) -> Result<Whole, File> {
        if !file
            .metadata()
            .is_ok_and(|meta| meta.is_file() && meta.len() > 0)
        {
            return Err(file);
        }
        // SAFETY: the map is read-only, and no reference into it outlives
        // it (it lives in `Whole`, which hands out borrows of itself only).
        // memmap2 maps the file shared (MAP_SHARED), so what other
        // processes write to the file shows through the map: bytes
        // rewritten in place are read as they are found, as with any
        // reader (`&[u8]` over them is then not strictly immutable; the
        // scanners only compare bytes, so a change yields a wrong answer
        // about changed data, never undefined control flow on our side).
        // The hazard that matters is another process truncating the file:
        // pages past the new end then fault (SIGBUS) on access. It is met
        // twice: readers call `check_len` before each block, so a
        // truncation that happened before is an ordinary error; one that
        // happens during the read of a block is caught by the SIGBUS
        // handler, whose installation `_installed` proves, which names the
        // file and exits with status 1 instead of crashing. Either way no
        // wrong answer is printed as if complete.
        let map = match unsafe { Mmap::map(&file) } {
            Ok(map) => map,
            Err(_) => return Err(file),
        };
        let range = map.as_ptr() as usize..map.as_ptr() as usize + map.len();
        Ok(Whole {
            backing: Backing::Mapped {
                _guard: sigbus::Guard::new(range, name),
                map,
                file,
                name: name.to_string(),
            },
        })
    }

    /// Bytes in memory, read like a mapped file.
    pub fn from_bytes(bytes: Vec<u8>) -> Whole {
        Whole {
            backing: Backing::Memory(bytes),
        }
    }

    /// All the bytes of the input.
    pub fn bytes(&self) -> &[u8] {
        match &self.backing {
            Backing::Mapped { map, .. } => map,
            Backing::Memory(bytes) => bytes,
        }
    }

    /// Errs when the file no longer reaches `end`: reading that part of
    /// the map would fault. One `fstat`, cheap next to a block's scan.
    pub fn check_len(&self, end: usize) -> Result<(), Error> {
        let Backing::Mapped { file, name, .. } = &self.backing else {
            return Ok(());
        };
        let len = file
            .metadata()
            .doing(|| format!("cannot read {name}"))?
            .len();
        if len < end as u64 {
            return Err(Error::Input(format!(
                "{name}: the file shrank while it was being read (to {len} bytes, \
                 truncated by another process?); the answer would be incomplete"
            )));
        }
        Ok(())
    }

    /// Asks the kernel to read `range` in with one call: one `madvise`
    /// costs far less than the page faults of touching it (a no-op for
    /// bytes in memory, and where `MADV_POPULATE_READ` is not supported).
    pub fn prefault(&self, range: std::ops::Range<usize>) {
        #[cfg(target_os = "linux")]
        if let Backing::Mapped { map, .. } = &self.backing {
            let _ = map.advise_range(memmap2::Advice::PopulateRead, range.start, range.len());
        }
        #[cfg(not(target_os = "linux"))]
        let _ = range;
    }
}
