//! Driving a line source into the aggregator: reading on a thread of its
//! own, and parsing and counting on as many cores as help.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::error::{Error, IoContext};
use crate::io::source::{Event, LineSource, Restart};
use crate::parse::batch::ParsedLines;
use crate::parse::format::FormatState;
use crate::stream::aggregator::Aggregator;

mod chunk_order;
mod in_chunks;
mod read_ahead;

use in_chunks::feed_in_chunks;
use read_ahead::read_ahead;

/// Blocks parsed ahead and waiting for the aggregator, with a bounded
/// summary: a few, so that the reading thread stays busy while memory
/// stays at a few blocks (each at most `MAX_LINE_BYTES` plus a read's
/// worth of bytes, and 48 bytes of parse per line).
const BLOCKS_AHEAD: usize = 4;

/// Feeds `source` (named `name` in diagnostics) to `agg` until it ends or
/// `stop` (a signal flag) turns true.
///
/// Reading runs on a thread of its own. With exact counting (the default)
/// worker threads parse and count the lines in chunks, which this thread
/// adds up in file order (see `stream/chunk.rs`): every core
/// aggregates. With a bounded summary the reading thread parses, and this
/// thread aggregates the parsed lines in order. Either way the reader and
/// the workers stop at their next check once this side returns, whether it
/// ended or failed. With a single core everything runs in line instead.
pub fn pump<W: Write>(
    agg: &mut Aggregator<W>,
    name: &str,
    source: &mut (dyn LineSource + Send),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(), Error> {
    agg.begin_input(name);
    feed(agg, name, source, stop)
}

/// [`pump`] for a source that starts in the middle of the input `name`:
/// in the reading `state` given, after `lines_before` lines (see
/// [`Aggregator::begin_input_at`]).
pub fn pump_from<W: Write>(
    agg: &mut Aggregator<W>,
    (name, state, lines_before): (&str, FormatState, u64),
    source: &mut (dyn LineSource + Send),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(), Error> {
    agg.begin_input_at(name, state, lines_before);
    feed(agg, name, source, stop)
}

/// Feeds `source` to `agg`, the input begun: until it ends, `stop` turns
/// true, or the aggregator's time range is complete.
fn feed<W: Write>(
    agg: &mut Aggregator<W>,
    name: &str,
    source: &mut (dyn LineSource + Send),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(), Error> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        // One core (as CPU affinity may allow): other threads could only
        // add their hand-overs to the same work, so read and parse in line.
        while let Some(event) = source
            .next_event(stop)
            .doing(|| format!("cannot read {name}"))?
        {
            match event {
                Event::Block(block) => agg.feed(block)?,
                Event::Restarted(why) => agg.restart_input(why),
                Event::Notice(text) => agg.notice(&text),
            }
            if agg.range_complete() {
                break;
            }
        }
        return Ok(());
    }
    match agg.chunk_counter() {
        Some(counter) => feed_in_chunks(agg, name, source, stop, &counter, cores),
        None => feed_in_order(agg, name, source, stop),
    }
}

/// What the reading thread hands on, in input order.
enum Ahead<T> {
    Lines(T),
    Overlong,
    Restarted(Restart),
    Notice(String),
}

/// Feeds the blocks to `agg` one by one, parsed by a reading thread.
fn feed_in_order<W: Write>(
    agg: &mut Aggregator<W>,
    name: &str,
    source: &mut (dyn LineSource + Send),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(), Error> {
    let done = AtomicBool::new(false);
    let reader_stop = || stop() || done.load(Ordering::Relaxed);
    std::thread::scope(|scope| {
        let (blocks_tx, blocks) = mpsc::sync_channel(BLOCKS_AHEAD);
        let (spares, spares_rx) = mpsc::channel::<ParsedLines>();
        let state = agg.input_state();
        let select = agg.selection();
        scope.spawn(move || {
            read_ahead(
                source,
                state,
                &select,
                &reader_stop,
                || Some(spares_rx.try_recv().unwrap_or_default()),
                |ahead| blocks_tx.send(ahead).is_ok(),
            )
        });
        let fed = (|| {
            for ahead in blocks {
                match ahead.doing(|| format!("cannot read {name}"))? {
                    Ahead::Lines(parsed) => {
                        agg.feed_parsed(&parsed)?;
                        // The reader may be gone already; then so is the need.
                        let _ = spares.send(parsed);
                    }
                    other => feed_event(agg, other)?,
                }
                if stop() || agg.range_complete() {
                    break;
                }
            }
            Ok(())
        })();
        done.store(true, Ordering::Relaxed);
        fed
    })
}

/// Feeds an event of the reader other than lines.
fn feed_event<W: Write, T>(agg: &mut Aggregator<W>, ahead: Ahead<T>) -> Result<(), Error> {
    match ahead {
        Ahead::Lines(_) => {}
        Ahead::Overlong => agg.feed_overlong()?,
        Ahead::Restarted(why) => agg.restart_input(why),
        Ahead::Notice(text) => agg.notice(&text),
    }
    Ok(())
}

#[cfg(test)]
mod tests;
