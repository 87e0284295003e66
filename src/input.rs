//! Naming and opening inputs: a memory map where one helps, plain reading
//! everywhere else.

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;
use memmap2::Mmap;

/// A FILE argument: a path, or `-` for standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputName {
    Stdin,
    Path(PathBuf),
}

impl InputName {
    pub fn from_arg(arg: &OsStr) -> InputName {
        if arg == "-" {
            InputName::Stdin
        } else {
            InputName::Path(PathBuf::from(arg))
        }
    }

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
/// because a mapped file that another process truncates faults on access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmapChoice {
    /// Map regular, non-empty files; read everything else.
    Auto,
    /// Always read (used when only a sequential pass is wanted).
    Never,
}

/// An opened input.
pub enum Opened {
    /// The whole file, mapped read-only.
    Mapped(Mmap),
    /// Anything read front to back: stdin, a pipe, a FIFO, a device, or a
    /// file that could not be mapped.
    Stream(Box<dyn Read + Send>),
}

/// Opens `name`; an error names the input and the OS reason.
pub fn open(name: &InputName, choice: MmapChoice) -> anyhow::Result<Opened> {
    let path = match name {
        InputName::Stdin => return Ok(Opened::Stream(Box::new(io::stdin()))),
        InputName::Path(p) => p,
    };
    let file = open_file(path)?;
    if choice == MmapChoice::Auto
        && let Some(map) = try_map(&file)
    {
        return Ok(Opened::Mapped(map));
    }
    Ok(Opened::Stream(Box::new(file)))
}

/// Opens `path` for reading, refusing a directory up front (reading one
/// fails later, with a less helpful message).
pub fn open_file(path: &Path) -> anyhow::Result<File> {
    let shown = path.display();
    let file = File::open(path).with_context(|| format!("cannot open {shown}"))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {shown}"))?;
    if meta.is_dir() {
        anyhow::bail!("cannot read {shown}: it is a directory");
    }
    Ok(file)
}

/// Maps a regular, non-empty file; `None` means "read it instead".
fn try_map(file: &File) -> Option<Mmap> {
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    // SAFETY: the map is read-only and private to this process, and no
    // reference into it outlives it. The remaining hazard is another
    // process truncating the file while it is mapped: pages past the new
    // end then fault (SIGBUS) on access. Logs are appended to or rotated
    // by rename, not truncated in place; `--nofastseek` still maps, so a
    // user expecting truncation should pipe the file through stdin.
    unsafe { Mmap::map(file) }.ok()
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert!(matches!(
            open(&name, MmapChoice::Auto),
            Ok(Opened::Stream(_))
        ));
        f.write_all(b"1 a b\n").unwrap();
        assert!(matches!(
            open(&name, MmapChoice::Auto),
            Ok(Opened::Mapped(_))
        ));
        assert!(matches!(
            open(&name, MmapChoice::Never),
            Ok(Opened::Stream(_))
        ));
    }

    #[test]
    fn errors_name_the_input_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = InputName::Path(dir.path().join("nope.log"));
        let err = open(&missing, MmapChoice::Auto).err().unwrap();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("nope.log") && msg.contains("No such file"),
            "{msg}"
        );
        let as_dir = InputName::Path(dir.path().to_path_buf());
        let msg = format!("{:#}", open(&as_dir, MmapChoice::Auto).err().unwrap());
        assert!(msg.contains("is a directory"), "{msg}");
    }
}
