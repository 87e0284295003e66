//! The two tools as functions: each `run` takes the parsed command line,
//! does the whole job and returns what `--stats` reports; [`status_of`]
//! turns its outcome into the exit status. The binaries are only `main`
//! around these.
//!
//! This is the one layer that knows both the command line and every part
//! of the library (it chooses between reading and following a file, for
//! instance), and the only one, with the binaries, that uses `anyhow`.

mod archive;
pub mod query;
mod status;
pub mod stream;
mod stream_files;

pub use status::status_of;

use crate::diagnostics::Diagnostics;
use crate::io::compressed::Compression;
use crate::io::input::InputName;

/// `-v`: says that an input is compressed and how it is read.
fn note_compressed(diagnostics: &Diagnostics, name: &InputName, format: Compression, how: &str) {
    diagnostics.note(format_args!(
        "{name}: {format}-compressed: decompressing it{how}"
    ));
}
