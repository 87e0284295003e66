//! Getting the bytes of a log: opening inputs (files, stdin, FIFOs),
//! mapping a whole file ([`whole`], guarded by [`sigbus`]), reading a
//! stream in whole-line blocks ([`block_reader`]), decompressing
//! ([`compressed`], on a thread of its own: `read_ahead`), opening the
//! files of a list ahead of their reading (`ahead`), following a growing file like
//! `tail -F` (`follow`), and stopping any of it on a signal or a closed
//! stdout (`signals`, `interruptible`, `closed_output`).
//!
//! Owns: file descriptors, maps, buffers and waits.
//! May use: [`crate::parse`] for line boundaries, [`crate::error`], and
//! [`crate::exit`] for the statuses of stop signals; nothing of the query
//! or the stream (the crate's layering: `docs/development.md#layering`).

pub(crate) mod ahead;
pub mod block_reader;
pub(crate) mod closed_output;
pub mod compressed;
pub(crate) mod follow;
pub mod input;
pub(crate) mod interruptible;
pub(crate) mod read_ahead;
pub mod sigbus;
pub(crate) mod signals;
pub mod source;
pub mod whole;
