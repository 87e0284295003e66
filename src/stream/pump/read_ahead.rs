//! The reading thread: reads a line source ahead of the aggregator into
//! buffers the aggregator hands back, so that reading overlaps counting
//! while the blocks in flight stay as few as the buffers.

use std::io;

use super::Ahead;
use crate::io::block_reader::Block;
use crate::io::source::{Event, LineSource};
use crate::parse::batch::Fill;
use crate::parse::format::FormatState;
use crate::parse::selection::Selection;

/// How a reading thread ended.
#[derive(PartialEq, Eq)]
pub(super) enum Reading {
    /// At the end of the input (or a stop).
    Ended,
    /// The aggregating thread hung up, or the source failed (the error was sent).
    Cut,
}

/// The reading thread: reads `source`, fills each block into a buffer
/// from `spare` (returned by the aggregator, so buffers are reused, not
/// reallocated; `None` when the aggregator is gone) in the format `state`
/// tells, keeping the records `select` keeps, and hands it to `send`, until the source ends, `stop` turns
/// true, or the aggregator hangs up (`send` returns false).
pub(super) fn read_ahead<T: Fill>(
    source: &mut (dyn LineSource + Send),
    mut state: FormatState,
    select: &Selection,
    stop: &dyn Fn() -> bool,
    mut spare: impl FnMut() -> Option<T>,
    send: impl Fn(io::Result<Ahead<T>>) -> bool,
) -> Reading {
    let initial = state.clone();
    loop {
        let sent = match source.next_event(stop) {
            Ok(None) => return Reading::Ended,
            Err(e) => {
                send(Err(e));
                return Reading::Cut;
            }
            Ok(Some(Event::Block(Block::Lines(mut bytes)))) => {
                let mut sent = true;
                while sent && !bytes.is_empty() {
                    let Some(mut lines) = spare() else {
                        return Reading::Cut;
                    };
                    bytes = &bytes[lines.fill(bytes, &mut state, select)..];
                    sent = send(Ok(Ahead::Lines(lines)));
                }
                sent
            }
            Ok(Some(Event::Block(Block::Overlong))) => send(Ok(Ahead::Overlong)),
            Ok(Some(Event::Restarted(why))) => {
                // The file starts over: its format is told anew.
                state = initial.clone();
                send(Ok(Ahead::Restarted(why)))
            }
            Ok(Some(Event::Notice(text))) => send(Ok(Ahead::Notice(text))),
        };
        if !sent {
            return Reading::Cut;
        }
    }
}
