//! One file the follower reads: which file it is (device and inode), a
//! reader that can check its last bytes are still there (truncation), and
//! opening only regular files, without blocking.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use super::{READ_BUDGET, TAIL_BYTES};
use crate::io::block_reader::BlockReader;

/// Which file a path names: the same device and inode is the same file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileId {
    pub(super) dev: u64,
    pub(super) ino: u64,
}

impl FileId {
    pub(super) fn of(meta: &fs::Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// A regular file read by offset (`pread`), which checks before each read
/// that the bytes just before the offset are still the ones it read, and
/// reads at most a budget per turn (so that a caller gets to ask whether
/// to stop).
pub(super) struct Tracked {
    pub(super) file: File,
    /// The offset of the next read.
    pub(super) pos: u64,
    /// The last `tail_len` bytes read, which end at `pos`.
    tail: [u8; TAIL_BYTES],
    tail_len: usize,
    /// Bytes this turn may still read.
    budget: u64,
    /// A read found the budget spent (not the end of the file).
    pub(super) exhausted: bool,
    /// A read found the bytes before `pos` changed or gone.
    pub(super) truncated: bool,
}

impl Tracked {
    pub(super) fn new(file: File) -> Tracked {
        Tracked {
            file,
            pos: 0,
            tail: [0; TAIL_BYTES],
            tail_len: 0,
            budget: READ_BUDGET,
            exhausted: false,
            truncated: false,
        }
    }

    /// A new turn: the budget is full again.
    pub(super) fn new_turn(&mut self) {
        self.budget = READ_BUDGET;
        self.exhausted = false;
    }

    /// Whether the bytes before `pos` are still those read.
    pub(super) fn still_there(&self) -> io::Result<bool> {
        let mut seen = [0; TAIL_BYTES];
        let seen = &mut seen[..self.tail_len];
        match self
            .file
            .read_exact_at(seen, self.pos - self.tail_len as u64)
        {
            Ok(()) => Ok(*seen == self.tail[..self.tail_len]),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(super) fn remember(&mut self, data: &[u8]) {
        let n = data.len();
        if n >= TAIL_BYTES {
            self.tail.copy_from_slice(&data[n - TAIL_BYTES..]);
            self.tail_len = TAIL_BYTES;
        } else {
            let keep = self.tail_len.min(TAIL_BYTES - n);
            self.tail
                .copy_within(self.tail_len - keep..self.tail_len, 0);
            self.tail[keep..keep + n].copy_from_slice(data);
            self.tail_len = keep + n;
        }
    }

    /// Whether the file has been deleted (no name left).
    pub(super) fn deleted(&self) -> io::Result<bool> {
        Ok(self.file.metadata()?.nlink() == 0)
    }
}

impl Read for Tracked {
    /// `Ok(0)` at the end of the file, and also once the budget is spent
    /// or a truncation is seen (see `exhausted` and `truncated`).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.truncated {
            return Ok(0);
        }
        if self.budget == 0 {
            self.exhausted = true;
            return Ok(0);
        }
        if self.tail_len > 0 && !self.still_there()? {
            self.truncated = true;
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.budget).unwrap_or(usize::MAX));
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.remember(&buf[..n]);
        self.pos += n as u64;
        self.budget -= n as u64;
        Ok(n)
    }
}

/// A file being read.
pub(super) struct Followed {
    pub(super) reader: BlockReader<Tracked>,
    pub(super) id: FileId,
}

impl Followed {
    pub(super) fn new(file: File, id: FileId) -> Followed {
        Followed {
            reader: BlockReader::new(Tracked::new(file)),
            id,
        }
    }

    pub(super) fn tracked(&mut self) -> &mut Tracked {
        self.reader.get_mut()
    }

    /// At a stop, the bytes after the last whole line handed out, in
    /// words (a last line still waiting for its newline is not a line, so
    /// it is left unread, and the user hears of it); `None` when the file
    /// ends with a whole line already handed out.
    pub(super) fn left_unread(&mut self) -> Option<String> {
        let partial = self.reader.partial_len() as u64;
        let tracked = self.tracked();
        let unread = tracked
            .file
            .metadata()
            .ok()?
            .len()
            .saturating_sub(tracked.pos);
        match (partial, unread) {
            (0, 0) => None,
            (partial, 0) => Some(format!(
                "its last line has no newline: {partial} bytes left unread at exit"
            )),
            (partial, unread) => Some(format!(
                "{} bytes after its last whole line left unread at exit \
                 ({unread} of them written since the last read)",
                partial + unread
            )),
        }
    }
}

/// Why the file at the path is not followed (yet).
pub(super) enum OpenError {
    Missing,
    /// Not a regular file: what it is.
    NotRegular(&'static str),
    Failed(io::Error),
}

/// What a file type is, in words, when it is not a regular file.
pub(super) fn kind_of(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    Some(if t.is_file() {
        return None;
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    })
}

/// Opens the regular file at `path` and tells which file it is. Nothing
/// but a regular file is opened (`stat` first), and the open does not
/// block (a FIFO swapped in after the `stat` would otherwise wait for a
/// writer); `fstat` then checks what was opened.
pub(super) fn open_regular(path: &Path) -> Result<(File, FileId), OpenError> {
    let failed = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => OpenError::Missing,
        _ => OpenError::Failed(e),
    };
    let meta = fs::metadata(path).map_err(failed)?;
    if let Some(what) = kind_of(&meta) {
        return Err(OpenError::NotRegular(what));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(failed)?;
    let meta = file.metadata().map_err(OpenError::Failed)?;
    if let Some(what) = kind_of(&meta) {
        return Err(OpenError::NotRegular(what));
    }
    Ok((file, FileId::of(&meta)))
}
