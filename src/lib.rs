//! connspy: who talked to whom, and when, from connection logs.
//!
//! The library behind two tools: `connspy` answers a time-range query by
//! seeking into a memory-mapped log, `connspy-stream` summarises a log
//! window by window in bounded memory, in batch or while following a
//! growing file. Both read the same records (`TS FROM_HOST TO_HOST`, see
//! [`parse`]) and rely on the same promise, the lateness bound `L`
//! (`docs/behaviour.md#lateness-bound`). Linux only: it uses `gettid`,
//! inotify and the SIGBUS of a shrunk map.
//!
//! The modules, lowest first. Each uses only the modules its entry names
//! (the same table is in `docs/development.md#layering`, and
//! `tests/layering.rs` holds the code to it and to an import graph without
//! cycles):
//! - [`parse`]: lines, records, timestamps and host identity: every rule
//!   of the input's syntax. Uses nothing else of the crate.
//! - [`exit`]: the exit statuses. Uses nothing.
//! - [`output`]: the row formats (TSV, CSV, JSON Lines). Uses nothing.
//! - [`error`]: the library's typed errors. Uses `parse`, `exit`.
//! - [`diagnostics`]: the one sink for messages on stderr, and the report
//!   of malformed lines. Uses `parse`, `error`.
//! - [`io`]: getting bytes: opening inputs, mapping, streaming,
//!   decompressing, following a file, stop signals. Uses `parse`, `error`,
//!   `exit`.
//! - [`archive`]: file sets: walking directories, classifying files,
//!   ordering a set by first record time, pruning it by a time range under
//!   the lateness bound. Uses `parse`, `io`, `error`, `diagnostics`.
//! - [`query`]: the `connspy` query: seek, scan, merge, answer. Uses
//!   `parse`, `io`, `archive`, `output`, `diagnostics`, `error`, `exit`.
//! - [`stream`]: the `connspy-stream` aggregation: windows, lists, counts.
//!   Uses `parse`, `io`, `archive`, `output`, `diagnostics`, `error`,
//!   `exit`.
//! - [`cli`]: the command lines, their help and their value parsers. Uses
//!   `parse`, `output`, `error`, `query`, `stream` (value types only).
//! - [`tool`]: each tool's `run`, from parsed command line to exit status;
//!   the only module (with the binaries) that uses `anyhow`. Uses all of
//!   the above.

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
