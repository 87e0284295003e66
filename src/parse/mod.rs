//! Every rule of the input's syntax, in one place: what a line is
//! (`lines`), what a record is ([`record`]), what a time is
//! ([`timestamp`]), how late records arrive (`lateness`), when two hosts
//! are the same (`host_set`), the log
//! formats records come in ([`format`](mod@format)) and what a `--to`/`--from` target
//! matches ([`target`]).
//!
//! Owns: turning bytes into records and saying why a line is not one.
//! May use: nothing else of the crate, so that both tools, the seeker and
//! the fuzz targets apply exactly the same rules
//! (`docs/behaviour.md#parsing`).

pub(crate) mod batch;
pub mod detail;
pub mod filter;
pub mod format;
pub(crate) mod horizon;
pub(crate) mod host_index;
pub(crate) mod host_key;
pub(crate) mod host_set;
pub(crate) mod lateness;
pub(crate) mod lines;
pub(crate) mod plain_lines;
pub mod record;
pub mod selection;
pub mod target;
pub mod timestamp;
