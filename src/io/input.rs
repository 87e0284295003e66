//! Naming and opening inputs: a memory map where one helps, plain reading
//! everywhere else, and decompression wherever the first bytes say so.

use std::ffi::OsStr;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Cursor, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, IoContext, Result};
use crate::io::compressed::{Compression, MAGIC_BYTES, read_head};
use crate::io::interruptible::Interruptible;
use crate::io::sigbus;
use crate::io::signals::StopSignals;
use crate::io::whole::Whole;

/// A FILE argument: a path, or `-` for standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputName {
    /// `-`: standard input.
    Stdin,
    /// A file (or FIFO, or device) by its path.
    Path(PathBuf),
}

impl InputName {
    /// The input a FILE argument names.
    pub fn from_arg(arg: &OsStr) -> InputName {
        if arg == "-" {
            InputName::Stdin
        } else {
            InputName::Path(PathBuf::from(arg))
        }
    }

    /// The path, unless the input is stdin.
    pub fn path(&self) -> Option<&Path> {
        match self {
            InputName::Stdin => None,
            InputName::Path(p) => Some(p),
        }
    }
}

impl fmt::Display for InputName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputName::Stdin => f.write_str("<stdin>"),
            InputName::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Whether a regular file may be memory-mapped.
///
/// Mapping is what lets `connspy` binary-search a log for its start and
/// hand disjoint parts of it to several threads without copying; it is an
/// explicit choice because it is only possible for regular files, and
/// because a mapped file that another process truncates faults on access
/// (see [`Whole::map`] for how that is met).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmapChoice {
    /// Map regular, non-empty files; read everything else. Mapping needs
    /// the SIGBUS handler in place: the token proves it is.
    Auto(sigbus::Installed),
    /// Always read (used when only a sequential pass is wanted).
    Never,
}

/// An opened input.
pub enum Opened {
    /// The whole file, mapped read-only (or, from tests, bytes in memory).
    Whole(Whole),
    /// Anything read front to back: stdin, a pipe, a FIFO, a device, a
    /// compressed file, or a file that could not be mapped.
    Stream(Stream),
}

/// An input read front to back.
pub struct Stream {
    /// The input's lines (decompressed, if it was compressed).
    pub reader: Box<dyn Read + Send>,
    /// How the input was compressed; `None` for plain text.
    pub compression: Option<Compression>,
    /// How far through a compressed file the decompressor is, for a
    /// progress bar; `None` where the size is unknown (stdin, pipes) or
    /// the input is plain.
    pub progress: Option<RawProgress>,
}

/// The size of a compressed file and how many of its bytes have been read
/// so far (by the decompressing thread, hence atomic).
#[derive(Clone, Debug)]
pub struct RawProgress {
    /// The compressed file's size in bytes.
    pub size: u64,
    read: Arc<AtomicU64>,
}

impl RawProgress {
    /// Compressed bytes read so far.
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

/// Counts the bytes read through it into a [`RawProgress`].
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `name`; an error names the input and the OS reason.
///
/// Whatever the input is called, its first bytes decide whether it is
/// decompressed (see [`Compression::sniff`]); a compressed input is always
/// a [`Stream`], whatever `choice` says.
pub fn open(name: &InputName, choice: MmapChoice) -> Result<Opened> {
    open_with(name, choice, Decompress::AtFirstRead)
}

/// [`open`], and a compressed file starts being decompressed at once (on
/// its thread, at most a few small chunks ahead, 1.5 MiB): how a reader
/// of many files decompresses the next while it scans the current one.
pub fn open_ahead(name: &InputName, choice: MmapChoice) -> Result<Opened> {
    open_with(name, choice, Decompress::Now)
}

/// When a compressed input's decompressing thread starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Decompress {
    /// At the first read: an input opened early costs nothing until then.
    AtFirstRead,
    /// At once.
    Now,
}

fn open_with(name: &InputName, choice: MmapChoice, start: Decompress) -> Result<Opened> {
    if let MmapChoice::Auto(installed) = choice
        && let InputName::Path(path) = name
    {
        let file = open_file(path)?;
        let mut head = [0; MAGIC_BYTES];
        let plain = file
            .read_at(&mut head, 0)
            .is_ok_and(|n| Compression::sniff(&head[..n]).is_none());
        let file = if plain {
            match Whole::map(file, &name.to_string(), installed) {
                Ok(whole) => return Ok(Opened::Whole(whole)),
                Err(file) => file,
            }
        } else {
            file
        };
        return file_stream(file, path, start).map(Opened::Stream);
    }
    match name {
        InputName::Path(path) => file_stream(open_file(path)?, path, start).map(Opened::Stream),
        InputName::Stdin => open_stream(name).map(Opened::Stream),
    }
}

/// Opens `name` to be read front to back, never mapped.
pub fn open_stream(name: &InputName) -> Result<Stream> {
    match name {
        InputName::Stdin => sniffed(Box::new(io::stdin()), None, Decompress::AtFirstRead)
            .doing(|| "cannot read <stdin>".into()),
        InputName::Path(path) => file_stream(open_file(path)?, path, Decompress::AtFirstRead),
    }
}

/// Opens `name` to be read front to back in waits that a stop signal ends
/// (see `io::interruptible`), however idle the input: stdin through a
/// descriptor of its own, a FIFO without blocking in `open`.
pub fn open_interruptible(name: &InputName, signals: &StopSignals) -> Result<Stream> {
    let file = match name {
        InputName::Stdin => stdin_file()?,
        InputName::Path(path) => open_nonblocking(path)?,
    };
    let size = file
        .metadata()
        .ok()
        .filter(|meta| meta.is_file())
        .map(|meta| meta.len());
    let reader = Interruptible::new(file, signals.clone());
    sniffed(Box::new(reader), size, Decompress::AtFirstRead).doing(|| format!("cannot read {name}"))
}

fn file_stream(file: File, path: &Path, start: Decompress) -> Result<Stream> {
    let cannot_read = || format!("cannot read {}", path.display());
    let meta = file.metadata().doing(cannot_read)?;
    sniffed(Box::new(file), meta.is_file().then_some(meta.len()), start).doing(cannot_read)
}

/// Reads the first bytes of `source` (of `size` bytes, when known), and
/// puts them back in front of the rest or starts decompressing it.
///
/// Fewer than [`MAGIC_BYTES`] means `source` has ended, and it is not read
/// again: a terminal ends its input with one Ctrl-D, which one read sees,
/// and a second read would wait for more typing.
fn sniffed(
    mut source: Box<dyn Read + Send>,
    size: Option<u64>,
    start: Decompress,
) -> io::Result<Stream> {
    let head = read_head(&mut source)?;
    let compression = Compression::sniff(&head);
    if head.len() < MAGIC_BYTES {
        source = Box::new(io::empty());
    }
    let whole = Cursor::new(head).chain(source);
    let Some(format) = compression else {
        return Ok(Stream {
            reader: Box::new(whole),
            compression,
            progress: None,
        });
    };
    let read = Arc::new(AtomicU64::new(0));
    let counted = Counted {
        inner: whole,
        read: Arc::clone(&read),
    };
    let reader = match start {
        Decompress::AtFirstRead => format.decompress(counted)?,
        Decompress::Now => format.decompress_now(counted)?,
    };
    Ok(Stream {
        reader: Box::new(reader),
        compression,
        progress: size.map(|size| RawProgress { size, read }),
    })
}

impl Stream {
    /// The same stream, adding the bytes read from it (decompressed, for
    /// a compressed input) to `total`: what `--stats` reports.
    pub fn metered(self, total: &Arc<AtomicU64>) -> Stream {
        Stream {
            reader: Box::new(Counted {
                inner: self.reader,
                read: Arc::clone(total),
            }),
            ..self
        }
    }
}

/// The compression of the file at `path`, from its first bytes.
pub fn compression_of(path: &Path) -> Result<Option<Compression>> {
    let mut file = open_file(path)?;
    let head = read_head(&mut file).doing(|| format!("cannot read {}", path.display()))?;
    Ok(Compression::sniff(&head))
}

/// Opens `path` for reading, refusing a directory up front (reading one
/// fails later, with a less helpful message).
pub fn open_file(path: &Path) -> Result<File> {
    checked(path, File::open(path))
}

/// Opens `path` to be read by a reader that waits for data itself
/// ([`Interruptible`]): a FIFO opens at once, with no writer yet, instead
/// of blocking in `open`.
fn open_nonblocking(path: &Path) -> Result<File> {
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
    checked(path, opened)
}

/// Standard input as a file of its own (a duplicate descriptor), read
/// directly rather than through the buffer of [`io::stdin`], whose
/// contents a wait for data on the descriptor would not see.
fn stdin_file() -> Result<File> {
    let fd = io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .doing(|| "cannot read <stdin>".into())?;
    Ok(File::from(fd))
}

/// Checks, before any output, that `path` can be opened for reading.
/// A FIFO is only looked at: opening it would release a writer waiting in
/// its own `open`, and closing it again would break that writer's pipe.
pub fn check_readable(path: &Path) -> Result<()> {
    let shown = path.display();
    std::fs::metadata(path).doing(|| format!("cannot open {shown}"))?;
    if !is_fifo(path) {
        open_file(path)?;
    }
    Ok(())
}

/// Whether `path` names a FIFO (also `/dev/stdin` when stdin is a pipe).
pub fn is_fifo(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.file_type().is_fifo())
}

fn checked(path: &Path, opened: io::Result<File>) -> Result<File> {
    let shown = path.display();
    let file = opened.doing(|| format!("cannot open {shown}"))?;
    let meta = file.metadata().doing(|| format!("cannot read {shown}"))?;
    if meta.is_dir() {
        return Err(Error::Input(format!(
            "cannot read {shown}: it is a directory"
        )));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto() -> MmapChoice {
        MmapChoice::Auto(sigbus::install("test").unwrap())
    }
    use std::io::Write;

    #[test]
    fn dash_is_stdin() {
        assert_eq!(InputName::from_arg(OsStr::new("-")), InputName::Stdin);
        assert_eq!(InputName::Stdin.to_string(), "<stdin>");
        assert_eq!(
            InputName::from_arg(OsStr::new("a.log")).path(),
            Some(Path::new("a.log"))
        );
    }

    #[test]
    fn regular_files_map_and_empty_ones_are_read() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let name = InputName::Path(f.path().to_path_buf());
        assert!(matches!(open(&name, auto()), Ok(Opened::Stream(_))));
        f.write_all(b"1 a b\n").unwrap();
        assert!(matches!(open(&name, auto()), Ok(Opened::Whole(_))));
        assert!(matches!(
            open(&name, MmapChoice::Never),
            Ok(Opened::Stream(_))
        ));
    }

    fn compression(opened: Result<Opened>) -> Option<Compression> {
        match opened.unwrap() {
            Opened::Stream(stream) => stream.compression,
            Opened::Whole(_) => panic!("a compressed file was mapped"),
        }
    }

    #[test]
    fn compressed_files_are_streams_whatever_their_name() {
        let text = b"1565647200 a b\n1565647201 c d\n";
        let dir = tempfile::tempdir().unwrap();
        let zst = dir.path().join("conn.log");
        std::fs::write(&zst, zstd::encode_all(&text[..], 3).unwrap()).unwrap();
        let name = InputName::Path(zst.clone());
        for choice in [auto(), MmapChoice::Never] {
            assert_eq!(compression(open(&name, choice)), Some(Compression::Zstd));
        }
        assert_eq!(compression_of(&zst).unwrap(), Some(Compression::Zstd));
        let Ok(Opened::Stream(mut stream)) = open(&name, auto()) else {
            panic!("not a stream");
        };
        let mut out = Vec::new();
        stream.reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
        let progress = stream.progress.expect("a file has a size");
        assert_eq!(progress.read(), progress.size);
    }

    #[test]
    fn plain_streams_keep_their_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain.log");
        std::fs::write(&path, b"1565647200 a b\n").unwrap();
        let Ok(Opened::Stream(mut stream)) =
            open(&InputName::Path(path.clone()), MmapChoice::Never)
        else {
            panic!("not a stream");
        };
        assert_eq!(
            (stream.compression.is_none(), stream.progress.is_none()),
            (true, true)
        );
        let mut out = Vec::new();
        stream.reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"1565647200 a b\n");
        assert_eq!(compression_of(&path).unwrap(), None);
    }

    #[test]
    fn errors_name_the_input_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = InputName::Path(dir.path().join("nope.log"));
        // As the tools show it: the error, then its source.
        let err = anyhow::Error::from(open(&missing, auto()).err().unwrap());
        let msg = format!("{err:#}");
        assert!(
            msg.contains("nope.log") && msg.contains("No such file"),
            "{msg}"
        );
        let as_dir = InputName::Path(dir.path().to_path_buf());
        let msg = format!("{:#}", open(&as_dir, auto()).err().unwrap());
        assert!(msg.contains("is a directory"), "{msg}");
    }
}
