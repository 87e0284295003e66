//! Adding up chunks that workers counted apart
//! ([`chunk`](crate::stream::chunk)): the aggregator's side, which feeds
//! each counted run whole when that equals feeding its records one by one,
//! and line by line otherwise.

use std::io::Write;

use super::Aggregator;
use crate::error::Error;
use crate::parse::batch::Item;
use crate::parse::batch::RawLines;
use crate::parse::horizon::wall_clock;
use crate::parse::timestamp::Timestamp;
use crate::stream::chunk::{At, CountedChunk, Parse, Segment};
use crate::stream::config::Counting;
use crate::stream::open_window::{ExactTally, OpenWindow};
use crate::stream::window::WindowSpan;

/// Where, in a counted segment, one pass would have closed a window.
struct Closing {
    /// The segment's first item.
    from: At,
    /// The window's deadline: the first record past it closed the window.
    deadline: Timestamp,
}

impl Closing {
    /// The first record of the segment from `from` past the deadline (one
    /// the filters leave out included), and
    /// how many records come before it in the segment. `None` if none is
    /// (then the segment did not close the window).
    fn find(&self, parses: &[Parse]) -> Option<(At, u64)> {
        let mut nth = 0;
        for (p, parse) in parses.iter().enumerate().skip(self.from.0) {
            let first = if p == self.from.0 { self.from.1 } else { 0 };
            for (i, item) in parse.parsed.items.iter().enumerate().skip(first) {
                // A record the filters leave out moves the clock too, and
                // counts among the records.
                if let Item::Record { ts, .. } | Item::Filtered { ts, .. } = *item {
                    if ts > self.deadline {
                        return Some(((p, i), nth));
                    }
                    nth += 1;
                }
            }
        }
        None
    }
}

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
        self.clock = wall_clock();
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
                    earliest,
                    late_within,
                    records,
                    from,
                    to,
                } if self.adds_up(&windows, latest) => {
                    self.latest_arrival
                        .after(self.latest, earliest, late_within);
                    let before = (self.records, self.bytes, self.skipped, reached);
                    self.reach(&counted.parses[..], &mut reached, to, chunk);
                    self.records += records;
                    self.absorb(windows)?;
                    if let Err((e, deadline)) = self.close_up_to(latest) {
                        // One pass met the error at the record that closed
                        // that window: the counts stop there too.
                        (self.records, self.bytes, self.skipped, reached) = before;
                        let closing = Closing { from, deadline };
                        if let Some((at, nth)) = closing.find(&counted.parses[..]) {
                            self.reach(&counted.parses[..], &mut reached, (at.0, at.1 + 1), chunk);
                            self.records += nth + 1;
                        }
                        return Err(e);
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
                for (i, item) in parse.parsed.items.iter().enumerate().take(last).skip(first) {
                    self.feed_item(bytes, item, parse.parsed.weight(i), first_lines[p])?;
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
        // A parse that met an unfilterable record is the chunk's last.
        counted
            .parses
            .last()
            .map_or(Ok(()), |parse| self.check_filterable(&parse.parsed))
    }

    /// Whether tallies of these windows, counted after everything fed so
    /// far, add up to feeding their records: no window's deadline is past
    /// the newest time yet (then no record of theirs was late), and adding
    /// them to the open windows writes no spill file (which could fail
    /// halfway: fed one by one, the failure comes at its own record); and
    /// their newest time, `latest`, is believable (then so is every one).
    fn adds_up(&mut self, windows: &[(WindowSpan, ExactTally)], latest: Timestamp) -> bool {
        self.config.counting == Counting::Exact
            && (latest <= self.believable || self.believes(latest))
            && windows.iter().all(|(span, later)| {
                self.latest <= span.deadline
                    && self
                        .open_exact(span)
                        .is_none_or(|mine| mine.absorbs_in_memory(later))
            })
    }

    /// The exact tally of the open window of `span`, if it is open.
    fn open_exact(&self, span: &WindowSpan) -> Option<&ExactTally> {
        let at = self.open.partition_point(|w| w.span.start < span.start);
        self.open
            .get(at)
            .filter(|w| w.span.start == span.start)
            .and_then(OpenWindow::exact)
    }

    /// Moves the newest time to `latest`, if later, and closes the windows
    /// that proves complete; on a failure, the error and the deadline of
    /// the window it failed to print.
    fn close_up_to(&mut self, latest: Timestamp) -> Result<(), (Error, Timestamp)> {
        self.latest = self.latest.max(latest);
        while let Some(front) = self.open.front()
            && self.latest > front.span.deadline
        {
            let deadline = front.span.deadline;
            if let Some(window) = self.open.pop_front() {
                self.print_window(window).map_err(|e| (e, deadline))?;
            }
        }
        Ok(())
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
