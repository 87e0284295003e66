//! Parsing a block of lines at once, into a form that owns its bytes and
//! can be handed to another thread; or handing the lines on unparsed,
//! with the format state they start in, for another thread to parse.

use crate::parse::filter::Unfilterable;
use crate::parse::format::{FormatState, Parsed, plain_error};
use crate::parse::lines::Lines;
use crate::parse::plain_lines::three_fields_in;
use crate::parse::record::{Malformed, parse_record};
use crate::parse::selection::Selection;
use crate::parse::timestamp::Timestamp;

/// A block of lines with every line parsed: the unit of work handed from
/// the reading thread to the aggregator. It owns a copy of the block's
/// bytes, which the parsed hosts point into by offset.
#[derive(Default)]
pub(crate) struct ParsedLines {
    pub(crate) bytes: Vec<u8>,
    pub(crate) items: Vec<Item>,
    /// Lines in the block.
    pub(crate) lines: u64,
    /// VPC `NODATA`/`SKIPDATA` records among them (skipped, counted).
    pub(crate) no_data: u64,
    /// With a [`Selection`] that weighs records: the weight of each item
    /// (0 for a filtered record or a malformed line), by index. Empty
    /// otherwise.
    pub(crate) weights: Vec<u64>,
    /// A filter or `--by` met a record it cannot be applied to (its input
    /// lacks a field): the parse ends before that line, and the run with it.
    pub(crate) unfilterable: Option<Unfilterable>,
}

/// One parsed line of a [`ParsedLines`]; `line` counts from 0 in the block.
pub(crate) enum Item {
    Record {
        ts: Timestamp,
        from: Span,
        to: Span,
        line: u32,
    },
    /// A record the filters leave out: it moves the clock (the newest
    /// time, which closes windows) and nothing else.
    Filtered {
        ts: Timestamp,
        line: u32,
    },
    Malformed {
        line: u32,
        why: Malformed,
    },
}

/// Where a host lies in its block's bytes.
#[derive(Clone, Copy)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The position of `part`, a subslice of `whole`. Blocks are under
    /// 4 GiB (at most `MAX_LINE_BYTES` plus one read).
    fn within(whole: &[u8], part: &[u8]) -> Span {
        let start = part.as_ptr() as usize - whole.as_ptr() as usize;
        Span {
            start: start as u32,
            end: (start + part.len()) as u32,
        }
    }

    /// The span of `range` (of a block under 4 GiB).
    fn of(range: std::ops::Range<usize>) -> Span {
        Span {
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Lines parsed into one [`ParsedLines`] at most: bounds its parse (48
/// bytes a line) however short the lines of a block are.
pub(crate) const LINES_PER_PARSE: usize = 16 * 1024;

impl ParsedLines {
    /// Replaces the contents with the first lines of `bytes` (whole lines;
    /// at most [`LINES_PER_PARSE`] of them) and their parse in the format
    /// `state` tells (which header lines update), the records the filters
    /// of `select` leave out marked [`Item::Filtered`] and the others
    /// weighed as it asks; returns how many bytes of
    /// `bytes` it took.
    pub(crate) fn fill(
        &mut self,
        bytes: &[u8],
        state: &mut FormatState,
        select: &Selection,
    ) -> usize {
        let take = self.parse(bytes, state, select);
        self.bytes.clear();
        self.bytes.extend_from_slice(&bytes[..take]);
        take
    }

    /// [`fill`](Self::fill) without the copy: the parse refers to `bytes`
    /// by offset (and `self.bytes` is left empty), for a parser that keeps
    /// `bytes` at hand.
    pub(crate) fn parse(
        &mut self,
        bytes: &[u8],
        state: &mut FormatState,
        select: &Selection,
    ) -> usize {
        self.bytes.clear();
        self.weights.clear();
        self.unfilterable = None;
        if !select.is_everything() {
            return self.fill_selected(bytes, state, select);
        }
        // The plain format keeps its own loop, its lines split by masks
        // straight into items.
        if state.is_plain() {
            self.fill_with(bytes, |start, text, line| {
                Step::Item(plain_item(bytes, start, text, line))
            })
        } else {
            self.fill_with(bytes, |_, text, line| match state.parse_line(text) {
                Parsed::Record(rec) => Step::Item(Item::Record {
                    ts: rec.ts,
                    from: Span::within(bytes, rec.from),
                    to: Span::within(bytes, rec.to),
                    line,
                }),
                Parsed::Malformed(why) => Step::Item(Item::Malformed { line, why }),
                Parsed::Header => Step::Header,
                Parsed::NoData => Step::NoData,
            })
        }
    }

    /// Parses the lines of `bytes` with `parse`, which gets each line's
    /// offset, bytes and number.
    #[inline(always)]
    fn fill_with(
        &mut self,
        bytes: &[u8],
        mut parse: impl FnMut(usize, &[u8], u32) -> Step,
    ) -> usize {
        self.items.clear();
        self.no_data = 0;
        let mut line = 0u32;
        let mut take = bytes.len();
        for (start, text) in Lines::new(bytes) {
            if line as usize == LINES_PER_PARSE {
                take = start;
                break;
            }
            match parse(start, text, line) {
                Step::Item(item) => self.items.push(item),
                Step::Header => {}
                Step::NoData => self.no_data += 1,
                Step::Unfilterable(why) => {
                    // The run ends here: the rest of the block is not read.
                    self.unfilterable = Some(why);
                    take = bytes.len();
                    break;
                }
            }
            line += 1;
        }
        self.lines = line as u64;
        take
    }

    /// [`parse`](Self::parse) through `select`: each record's fields are
    /// read once, for the filters and the weight alike; a record the
    /// filters leave out is [`Item::Filtered`] (it still moves the clock).
    /// Whether `select` applies to the input is checked at the first
    /// record and after each header line (which may change the layout).
    fn fill_selected(
        &mut self,
        bytes: &[u8],
        state: &mut FormatState,
        select: &Selection,
    ) -> usize {
        let wanted = select.wanted();
        let mut weights = std::mem::take(&mut self.weights);
        let mut checked = false;
        let take = self.fill_with(bytes, |_, text, line| match state.parse_line(text) {
            Parsed::Header => {
                checked = false;
                Step::Header
            }
            Parsed::Record(rec) => {
                if !checked {
                    if let Some(why) = select.lacking_in(state) {
                        return Step::Unfilterable(why);
                    }
                    checked = true;
                }
                let (weight, item) = match state.detail(text, wanted) {
                    Ok(detail) => match select.weigh(&detail) {
                        Some(weight) => (
                            weight,
                            Item::Record {
                                ts: rec.ts,
                                from: Span::within(bytes, rec.from),
                                to: Span::within(bytes, rec.to),
                                line,
                            },
                        ),
                        None => (0, Item::Filtered { ts: rec.ts, line }),
                    },
                    Err(why) => (0, Item::Malformed { line, why }),
                };
                weights.push(weight);
                Step::Item(item)
            }
            Parsed::Malformed(why) => {
                weights.push(0);
                Step::Item(Item::Malformed { line, why })
            }
            Parsed::NoData => Step::NoData,
        });
        self.weights = weights;
        take
    }

    /// The weight of item `i` (1 when records are not weighed).
    #[inline(always)]
    pub(crate) fn weight(&self, i: usize) -> u64 {
        self.weights.get(i).copied().unwrap_or(1)
    }
}

/// What one line adds to a parse.
enum Step {
    Item(Item),
    /// A header line: nothing.
    Header,
    /// A VPC `NODATA`/`SKIPDATA` record: counted.
    NoData,
    /// A record a filter or `--by` cannot be applied to (its input lacks
    /// the field): the parse ends before it.
    Unfilterable(Unfilterable),
}

/// The item of plain line number `line`, `text`, at `start` in `bytes`:
/// its fields' offsets taken from the separator mask when it has one
/// (no record and no slices built), else from `parse_record`.
#[inline(always)]
fn plain_item(bytes: &[u8], start: usize, text: &[u8], line: u32) -> Item {
    let why = match three_fields_in(bytes, start, text.len()) {
        Some([ts, from, to]) => match Timestamp::parse(&bytes[ts]) {
            Ok(ts) => {
                return Item::Record {
                    ts,
                    from: Span::of(from),
                    to: Span::of(to),
                    line,
                };
            }
            Err(e) => Malformed::BadTimestamp(e),
        },
        None => match parse_record(text) {
            Ok(rec) => {
                return Item::Record {
                    ts: rec.ts,
                    from: Span::within(bytes, rec.from),
                    to: Span::within(bytes, rec.to),
                    line,
                };
            }
            Err(why) => why,
        },
    };
    Item::Malformed {
        line,
        why: plain_error(text, why),
    }
}

/// A block of whole lines, unparsed, with the reading state its first
/// line is read in: the unit of work a reader hands to threads that parse
/// and count it themselves.
#[derive(Default)]
pub(crate) struct RawLines {
    pub(crate) bytes: Vec<u8>,
    pub(crate) state: FormatState,
}

/// What a reading thread fills from each block it reads and hands on:
/// [`ParsedLines`] or [`RawLines`].
pub(crate) trait Fill: Default + Send {
    /// Replaces the contents with the first whole lines of `bytes`, read
    /// in the format `state` tells (which their header lines update), with
    /// `select` applied; returns how many bytes of `bytes` it took (at
    /// least one line).
    fn fill(&mut self, bytes: &[u8], state: &mut FormatState, select: &Selection) -> usize;
}

impl Fill for ParsedLines {
    fn fill(&mut self, bytes: &[u8], state: &mut FormatState, select: &Selection) -> usize {
        ParsedLines::fill(self, bytes, state, select)
    }
}

impl Fill for RawLines {
    /// Takes every line: the parsing (and filtering), bounded per parse,
    /// is the taker's.
    fn fill(&mut self, bytes: &[u8], state: &mut FormatState, _: &Selection) -> usize {
        self.bytes.clear();
        self.bytes.extend_from_slice(bytes);
        self.state.clone_from(state);
        state.skim(bytes);
        bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_holds_a_bounded_number_of_lines_and_takes_whole_lines() {
        let mut parsed = ParsedLines::default();
        let text = "1 a b\n".repeat(LINES_PER_PARSE + 10);
        assert_eq!(
            parsed.fill(
                text.as_bytes(),
                &mut FormatState::Plain,
                &Selection::default()
            ),
            6 * LINES_PER_PARSE
        );
        assert_eq!(parsed.lines, LINES_PER_PARSE as u64);
        // Exactly the limit, the last line without its `\n`.
        let text = "1 a b\n".repeat(LINES_PER_PARSE - 1) + "2 c d";
        assert_eq!(
            parsed.fill(
                text.as_bytes(),
                &mut FormatState::Plain,
                &Selection::default()
            ),
            text.len()
        );
        assert_eq!(parsed.lines, LINES_PER_PARSE as u64);
        assert_eq!(
            parsed.fill(b"", &mut FormatState::Plain, &Selection::default()),
            0
        );
        assert_eq!(parsed.lines, 0);
    }
}
