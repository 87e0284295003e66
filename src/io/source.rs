//! Where the stream's lines come from: anything that hands out blocks of
//! whole lines, read to its end or followed as it grows.

use std::io::{self, Read};

use crate::io::block_reader::{Block, BlockReader};

/// What a follower hands out.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// Whole lines of a file being read (or a skipped overlong line).
    Block(Block<'a>),
    /// Reading starts again at the start of a file: line numbers restart
    /// at 1 with the next block.
    Restarted(Restart),
    /// Something the user should hear about (one line, without the path):
    /// the path is not a regular file, cannot be opened, no watch could be
    /// set, a rotated file's unfinished last line was taken as a line.
    Notice(String),
}

/// Why reading started again at the start of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// The path names another file (the old one was rotated away or
    /// deleted); the old one is still read during the rotate wait.
    Replaced,
    /// The file was truncated (copytruncate); an unfinished last line read
    /// before joins the first bytes read after it, as `tail -F` shows them.
    Truncated,
}

impl std::fmt::Display for Restart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Restart::Replaced => "has been replaced; following the new file from its start",
            Restart::Truncated => "file truncated; reading it again from its start",
        })
    }
}

/// Where the stream's pump (`stream::pump`) gets its lines: a file or
/// stdin read to its end (a [`BlockReader`]), or a file followed like
/// `tail -F` (`io::follow::Follower`).
pub trait LineSource {
    /// The next block of whole lines (each ending in `\n`, except a last
    /// line at the true end of the input) or restart; `Ok(None)` when the
    /// source has ended or `stop` returned true.
    fn next_event(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Option<Event<'_>>>;

    /// After a stop: what the source leaves unread that the user should
    /// hear about (a followed file's last line still waiting for its
    /// newline), one notice each, without the input's name. Nothing by
    /// default.
    fn left_unread(&mut self) -> Vec<String> {
        Vec::new()
    }
}

impl<R: Read> LineSource for BlockReader<R> {
    /// Reads to the end of the data, then hands out the unterminated last
    /// line, if any; asks `stop` before each block, and again at the end of
    /// the data, which a stop also makes (see `io::interruptible`):
    /// a line cut short there is not a line.
    fn next_event(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Option<Event<'_>>> {
        if stop() {
            return Ok(None);
        }
        if self.has_block()? {
            return Ok(self.next_block()?.map(Event::Block));
        }
        if stop() {
            return Ok(None);
        }
        Ok(self.take_partial().map(Event::Block))
    }
}
