//! Counting on every core: workers parse and count chunks of the input
//! ([`crate::stream::chunk`]) while a reading thread reads ahead, and this
//! thread adds the counts up in input order ([`ChunkOrder`]).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use super::Ahead;
use super::chunk_order::ChunkOrder;
use super::read_ahead::{Reading, read_ahead};
use crate::error::Error;
use crate::io::source::LineSource;
use crate::parse::batch::{ParsedLines, RawLines};
use crate::stream::aggregator::Aggregator;
use crate::stream::chunk::{ChunkCounter, CountedChunk};

/// Blocks that may exist at once per worker, plus one worker's worth for
/// the chunk being gathered, when workers count chunks: read, gathered,
/// being counted or waiting to be fed. The reader waits for a buffer to
/// come back before it reads the next block, which bounds the memory: a
/// block is a read's worth of lines (256 KiB from a file, plus the line
/// it cuts, at most `MAX_LINE_BYTES`), and a chunk (`CHUNK_BYTES` in
/// `chunk_order.rs`) is eight of them.
const BLOCKS_PER_WORKER: usize = 8;

/// Most workers counting chunks: the one reading thread and the one
/// aggregating thread serve them all, and each worker holds a chunk in
/// memory; past a few, more would mostly wait.
const MAX_WORKERS: usize = 4;

/// What the aggregating thread hears from the reader and the workers, on
/// one channel: so it waits for whichever comes first.
enum Message {
    /// The reader's next block or event, or its read error.
    Read(io::Result<Ahead<RawLines>>),
    /// The reader has reached the end of the input.
    End,
    /// A worker has counted chunk number `.0`.
    Counted(u64, Vec<RawLines>, CountedChunk),
}

/// Feeds the blocks of `source` to `agg` in chunks that workers parse and
/// count.
///
/// A reading thread reads blocks into buffers that come back once fed
/// ([`BLOCKS_PER_WORKER`] a worker and a chunk's worth more), skimming each
/// for its format state.
/// This thread gathers them into chunks: a chunk is handed out when it
/// holds `CHUNK_BYTES` (see [`ChunkOrder`]), or when a worker is free and
/// no block is waiting, so that a followed log's lines are never held
/// back for more.
/// Chunks and events are fed strictly in input order; an event other than
/// lines (a restart, a notice, an overlong line) cuts the chunk short.
pub(super) fn feed_in_chunks<W: Write>(
    agg: &mut Aggregator<W>,
    name: &str,
    source: &mut (dyn LineSource + Send),
    stop: &(dyn Fn() -> bool + Sync),
    counter: &ChunkCounter,
    cores: usize,
) -> Result<(), Error> {
    let done = AtomicBool::new(false);
    let reader_stop = || stop() || done.load(Ordering::Relaxed);
    let workers = cores.min(MAX_WORKERS);
    // Parses come back once fed, for the workers to fill again.
    let parses = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let (messages_tx, messages) = mpsc::channel();
        let (spares, spares_rx) = mpsc::channel();
        for _ in 0..(workers + 1) * BLOCKS_PER_WORKER {
            let _ = spares.send(RawLines::default());
        }
        let (jobs, queue) = mpsc::channel::<(u64, Vec<RawLines>)>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..workers {
            let (queue, counted) = (Arc::clone(&queue), messages_tx.clone());
            let parses = &parses;
            scope.spawn(move || count_chunks(counter, &queue, parses, &counted));
        }
        let state = agg.input_state();
        let select = agg.selection();
        let read = messages_tx;
        scope.spawn(move || {
            // The workers parse, and filter, the lines the reader hands on.
            let reading = read_ahead(
                source,
                state,
                &select,
                &reader_stop,
                || spares_rx.recv().ok(),
                |ahead| read.send(Message::Read(ahead)).is_ok(),
            );
            if reading == Reading::Ended {
                let _ = read.send(Message::End);
            }
        });
        let mut order = ChunkOrder::new(jobs, workers);
        let fed = (|| {
            let mut ended = false;
            loop {
                order.feed_ready(agg, name, &spares, &parses)?;
                if ended && order.all_fed() || stop() || agg.range_complete() {
                    return Ok(());
                }
                let message = match messages.try_recv() {
                    Ok(message) => message,
                    Err(mpsc::TryRecvError::Empty) if order.may_hand_out() => {
                        order.hand_out();
                        continue;
                    }
                    // Nothing to do but wait.
                    _ => match messages.recv() {
                        Ok(message) => message,
                        Err(mpsc::RecvError) => return Ok(()),
                    },
                };
                match message {
                    Message::Read(Ok(Ahead::Lines(lines))) => order.gather(lines),
                    Message::Read(other) => order.event(other),
                    Message::End => {
                        order.hand_out();
                        ended = true;
                    }
                    Message::Counted(seq, chunk, counted) => order.counted(seq, chunk, counted),
                }
            }
        })();
        done.store(true, Ordering::Relaxed);
        // Dropping the order closes the queue: the workers end.
        drop(order);
        fed
    })
}

/// A worker: counts the chunks of `queue` and sends them back, until the
/// queue closes or the aggregating thread hangs up.
fn count_chunks(
    counter: &ChunkCounter,
    queue: &Mutex<mpsc::Receiver<(u64, Vec<RawLines>)>>,
    parses: &Mutex<Vec<ParsedLines>>,
    counted: &mpsc::Sender<Message>,
) {
    let spare = || {
        parses
            .lock()
            .ok()
            .and_then(|mut spare| spare.pop())
            .unwrap_or_default()
    };
    let mut hosts_hint = 0;
    yield_to_the_aggregator();
    loop {
        // The lock is held only while waiting for a chunk.
        let job = queue.lock().map(|queue| queue.recv());
        let Ok(Ok((seq, chunk))) = job else {
            return;
        };
        let count = counter.count(&chunk, spare, hosts_hint);
        hosts_hint = count.hosts();
        if counted.send(Message::Counted(seq, chunk, count)).is_err() {
            return;
        }
    }
}

/// Lowers the calling worker's scheduling priority (nice 10). The
/// aggregating thread, which feeds chunks one after the other, is the
/// stage every chunk waits for: when it has work it should have a core,
/// and the workers the cores it leaves. Where the aggregator has most of
/// the work (a log that breaks the lateness bound all the time, whose
/// chunks are fed in line), equal shares would slow it by a third.
fn yield_to_the_aggregator() {
    // SAFETY: `gettid` takes nothing and `setpriority` changes only the
    // nice value of the calling thread (on Linux, `PRIO_PROCESS` with a
    // thread id names that thread alone); neither touches our memory. A
    // failure (no such permission is needed to lower a priority) would
    // leave the priority as it was, which is harmless.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
}
