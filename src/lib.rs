//! connspy: who talked to whom, and when, from connection logs.
//!
//! The library behind two tools: `connspy` answers a time-range query by
//! seeking into a memory-mapped log, `connspy-stream` summarises a log
//! window by window in bounded memory, in batch or while following a
//! growing file. Both read the same records (`TS FROM_HOST TO_HOST`, see
//! [`parse`]) and rely on the same promise, the lateness bound `L`
//! (`docs/behaviour.md#lateness-bound`).
//!
//! The modules, by what they serve; each may use only those above it:
//! - [`parse`]: lines, records, timestamps and host identity: every rule
//!   of the input's syntax. Uses nothing else of the crate.
//! - [`io`]: getting bytes: opening inputs, mapping, streaming, decompressing,
//!   following a file, stop signals. Uses `parse` (line boundaries only).
//! - [`archive`]: directories of rotated logs as one stream: finding,
//!   ordering and selecting files by their first records. Uses `parse`
//!   and `io`.
//! - [`query`]: the `connspy` query: seek, scan, merge, answer.
//! - [`stream`]: the `connspy-stream` aggregation: windows, lists, counts.
//! - [`output`], [`diagnostics`], [`exit`], [`cli`]: what both tools share
//!   toward the user: row formats, messages on stderr, exit statuses and
//!   the command line.

pub mod archive;
pub mod cli;
pub mod diagnostics;
pub mod error;
pub mod exit;
pub mod io;
pub mod output;
pub mod parse;
pub mod query;
pub mod stream;
pub mod tool;
