//! The aggregation of `connspy-stream`: records into windows
//! ([`aggregator`], with its configuration in [`config`]; window geometry
//! in [`window`], what an open window holds in `open_window`), each
//! window's TO and FROM lists ([`dedup`]) and activity counts
//! (`host_counts`, `space_saving`), counted in chunks on several threads
//! where that adds up exactly (`chunk`), driven from a line source
//! ([`pump`]), and the rows it prints ([`rows`]).
//!
//! Owns: open windows and everything they hold, and the rule that closes
//! them (`docs/behaviour.md#stream`).
//! May use: [`crate::error`], [`crate::parse`], [`crate::io`] (blocks and
//! line sources, never the follower itself), [`crate::output`] and
//! [`crate::diagnostics`]; never [`crate::cli`] or [`crate::tool`] (its
//! configuration is built from plain values).

pub mod aggregator;
pub(crate) mod chunk;
pub(crate) mod chunk_budget;
pub(crate) mod chunk_run;
pub mod config;
pub mod dedup;
pub(crate) mod host_counts;
pub mod measure;
pub(crate) mod open_window;
pub mod pump;
pub mod rows;
pub(crate) mod space_saving;
pub(crate) mod too_late;
pub mod window;
