//! Driving a line source into the aggregator, with reading and parsing on
//! a second thread.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::error::{Error, IoContext};
use crate::io::block_reader::Block;
use crate::io::source::{Event, LineSource, Restart};
use crate::parse::batch::ParsedLines;
use crate::parse::format::FormatState;
use crate::stream::aggregator::Aggregator;

/// Blocks parsed ahead and waiting for the aggregator: a few, so that the
/// reading thread stays busy while memory stays at a few blocks (each at
/// most `MAX_LINE_BYTES` plus a read's worth of bytes, and 48 bytes of
/// parse per line).
const BLOCKS_AHEAD: usize = 4;

/// Feeds `source` (named `name` in diagnostics) to `agg` until it ends or
/// `stop` (a signal flag) turns true.
///
/// Reading and parsing run on a second thread, ahead of the aggregation
/// (which must stay in order, on this one): parsing is about a third of
/// the work per line, so the two overlap on two cores. The reader stops at
/// its next check once this side returns, whether it ended or failed.
/// With a single core the two run in line instead.
pub fn pump<W: Write>(
    agg: &mut Aggregator<W>,
    name: &str,
    source: &mut (dyn LineSource + Send),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<(), Error> {
    agg.begin_input(name);
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        // One core (as CPU affinity may allow): a reading thread could only
        // add its hand-over to the same work, so read and parse in line.
        while let Some(event) = source
            .next_event(stop)
            .doing(|| format!("cannot read {name}"))?
        {
            match event {
                Event::Block(block) => agg.feed(block)?,
                Event::Restarted(why) => agg.restart_input(why),
                Event::Notice(text) => agg.notice(&text),
            }
        }
        return Ok(());
    }
    let done = AtomicBool::new(false);
    let reader_stop = || stop() || done.load(Ordering::Relaxed);
    std::thread::scope(|scope| {
        let (parsed_tx, parsed_rx) = mpsc::sync_channel(BLOCKS_AHEAD);
        let (spare_tx, spare_rx) = mpsc::channel();
        let state = agg.new_format_state();
        scope.spawn(move || read_ahead(source, state, &reader_stop, parsed_tx, spare_rx));
        let fed = (|| {
            for ahead in parsed_rx {
                match ahead.doing(|| format!("cannot read {name}"))? {
                    Ahead::Lines(parsed) => {
                        agg.feed_parsed(&parsed)?;
                        // The reader may be gone already; then so is the need.
                        let _ = spare_tx.send(parsed);
                    }
                    Ahead::Overlong => agg.feed_overlong()?,
                    Ahead::Restarted(why) => agg.restart_input(why),
                    Ahead::Notice(text) => agg.notice(&text),
                }
                if stop() {
                    break;
                }
            }
            Ok(())
        })();
        done.store(true, Ordering::Relaxed);
        fed
    })
}

/// What the reading thread hands to the aggregator, in input order.
enum Ahead {
    Lines(ParsedLines),
    Overlong,
    Restarted(Restart),
    Notice(String),
}

/// The reading thread: reads `source`, parses each block into a spare
/// [`ParsedLines`] (returned by the aggregator, so buffers are reused, not
/// reallocated) in the format `state` tells, and sends it on, until the source ends, `stop` turns true,
/// or the aggregator hangs up.
fn read_ahead(
    source: &mut (dyn LineSource + Send),
    mut state: FormatState,
    stop: &dyn Fn() -> bool,
    parsed: mpsc::SyncSender<io::Result<Ahead>>,
    spares: mpsc::Receiver<ParsedLines>,
) {
    let send = |ahead| parsed.send(ahead).is_ok();
    let initial = state.clone();
    loop {
        let sent = match source.next_event(stop) {
            Ok(None) => return,
            Err(e) => {
                let _ = send(Err(e));
                return;
            }
            Ok(Some(Event::Block(Block::Lines(mut bytes)))) => {
                let mut sent = true;
                while sent && !bytes.is_empty() {
                    let mut lines = spares.try_recv().unwrap_or_default();
                    bytes = &bytes[lines.fill(bytes, &mut state)..];
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
            return;
        }
    }
}
