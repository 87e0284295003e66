//! The aggregation of `connspy-stream`: records into windows
//! ([`aggregator`], [`window`]), each window's TO and FROM lists
//! ([`dedup`]) and activity counts ([`host_counts`], [`space_saving`]),
//! counted in chunks on several threads where that adds up exactly
//! ([`chunk`]),
//! and the rows it prints ([`rows`]).
//!
//! Owns: open windows and everything they hold, and the rule that closes
//! them (`docs/behaviour.md#stream`).
//! May use: [`crate::parse`], [`crate::io`] (blocks and line sources, never
//! the follower itself), [`crate::output`] and [`crate::diagnostics`].

pub mod aggregator;
pub mod chunk;
pub mod dedup;
pub(crate) mod host_counts;
pub mod pump;
pub mod rows;
pub(crate) mod space_saving;
pub(crate) mod too_late;
pub mod window;
