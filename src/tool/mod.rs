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

/// Says that no line of an input was a record, though some were read:
/// a log of another format than it was read as (`format`, when known), or
/// no log at all. Without it a `--to` query over such an input could print
/// nothing and say nothing (`docs/behaviour.md#diagnostics`).
fn note_no_records(diagnostics: &Diagnostics, name: &InputName, format: Option<&str>) {
    let read_as = format
        .map(|f| format!(" (read as {f})"))
        .unwrap_or_default();
    diagnostics.note(format_args!(
        "{name}: no line of it is a record{read_as}: is it a log of another format? \
         (see --input-format)"
    ));
}
