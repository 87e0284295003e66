//! Adding up chunks that workers counted apart
//! ([`chunk`](crate::stream::chunk)): the aggregator's side, which feeds
//! each counted run whole when that equals feeding its records one by one,
//! and line by line otherwise.

use std::io::Write;

use super::Aggregator;
use crate::error::Error;
use crate::parse::batch::RawLines;
use crate::stream::chunk::{At, CountedChunk, Parse, Segment};
use crate::stream::config::Counting;
use crate::stream::open_window::{ExactTally, OpenWindow};
use crate::stream::window::WindowSpan;

impl<W: Write> Aggregator<W> {
    /// Feeds `chunk`, consecutive blocks of the current input, which a
    /// worker has parsed and counted into `counted` (see
    /// [`crate::stream::chunk`]): each counted segment is added to the
    /// open windows when that equals feeding its records one by one, and
    /// fed line by line otherwise, as are the lines between segments.
    /// Either way the output is that of [`feed`](Self::feed) on each block.
    /// The segments are taken; the parses are left for reuse.
    pub(crate) fn feed_chunk(
        &mut self,
        chunk: &[RawLines],
        counted: &mut CountedChunk,
    ) -> Result<(), Error> {
        // Each parse's bytes and skipped records are counted when the feed
        // reaches it, and its lines are numbered from the lines before it.
        let mut reached = 0;
        let mut first_lines = Vec::with_capacity(counted.parses.len());
        let mut lines = self.line;
        for parse in &counted.parses {
            first_lines.push(lines);
            lines += parse.parsed.lines;
        }
        for segment in std::mem::take(&mut counted.segments) {
            let (from, to) = match segment {
                Segment::Counted {
                    windows,
                    latest,
                    records,
                    from: _,
                    to,
                } if self.adds_up(&windows) => {
                    self.reach(&counted.parses[..], &mut reached, to, chunk);
                    self.records += records;
                    self.absorb(windows)?;
                    if latest > self.latest {
                        self.latest = latest;
                        self.close_complete_windows()?;
                    }
                    continue;
                }
                Segment::Counted { from, to, .. } | Segment::InLine { from, to } => (from, to),
            };
            let end = if to.1 > 0 { to.0 + 1 } else { to.0 };
            for (p, parse) in counted.parses.iter().enumerate().take(end).skip(from.0) {
                self.reach(&counted.parses[..], &mut reached, (p, 1), chunk);
                let first = if p == from.0 { from.1 } else { 0 };
                let last = if p == to.0 {
                    to.1
                } else {
                    parse.parsed.items.len()
                };
                let bytes = parse.bytes(chunk);
                for item in &parse.parsed.items[first..last] {
                    self.feed_item(bytes, item, first_lines[p])?;
                }
            }
        }
        self.reach(
            &counted.parses[..],
            &mut reached,
            (counted.parses.len(), 0),
            chunk,
        );
        self.line = lines;
        Ok(())
    }

    /// Whether tallies of these windows, counted after everything fed so
    /// far, add up to feeding their records: no window's deadline is past
    /// the newest time yet (then no record of theirs was late).
    fn adds_up(&self, windows: &[(WindowSpan, ExactTally)]) -> bool {
        self.config.counting == Counting::Exact
            && windows.iter().all(|(span, _)| self.latest <= span.deadline)
    }

    /// Adds tallies to the open windows, opening those not open.
    fn absorb(&mut self, windows: Vec<(WindowSpan, ExactTally)>) -> Result<(), Error> {
        for (span, later) in windows {
            let at = self.open.partition_point(|w| w.span.start < span.start);
            match self.open.get_mut(at) {
                Some(window) if window.span.start == span.start => window
                    .exact_mut()
                    .expect("with exact counting every open window counts exactly")
                    .absorb(later, &mut self.lists)?,
                _ => self.open.insert(at, OpenWindow::from_exact(span, later)),
            }
        }
        Ok(())
    }

    /// Counts the bytes and skipped records of the parses before `to`
    /// (every parse up to `to`'s when it is inside one) not counted yet.
    fn reach(&mut self, parses: &[Parse], reached: &mut usize, to: At, chunk: &[RawLines]) {
        let end = if to.1 > 0 { to.0 + 1 } else { to.0 };
        for parse in parses.get(*reached..end).unwrap_or_default() {
            self.bytes += parse.bytes(chunk).len() as u64;
            self.skipped += parse.parsed.no_data;
        }
        *reached = (*reached).max(end);
    }
}
