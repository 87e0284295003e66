//! connspy: who talked to whom, and when, from connection logs.
//!
//! The library behind two tools: `connspy` answers a time-range query by
//! seeking into a memory-mapped log, `connspy-stream` summarises a log hour
//! by hour in bounded memory, in batch or while following a growing file.
//! Both read the same line format (`TS FROM_HOST TO_HOST`, see [`record`])
//! and rely on the same promise: the lateness bound `L`.

pub mod block_reader;
pub mod cli;
pub mod compressed;
pub mod dedup;
pub mod diagnostics;
pub mod exit;
pub mod follow;
pub mod host_counts;
pub mod host_set;
pub mod hourly;
pub mod input;
pub mod interruptible;
pub mod lines;
pub mod output;
pub mod progress;
pub mod query;
pub mod read_ahead;
pub mod record;
pub mod seek;
pub mod sigbus;
pub mod signals;
pub mod space_saving;
pub mod timestamp;
pub mod whole;
pub mod window;
pub mod window_rows;
