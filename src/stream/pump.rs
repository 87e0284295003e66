//! Driving a line source into the aggregator: reading on a thread of its
//! own, and parsing and counting on as many cores as help.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use crate::error::{Error, IoContext};
use crate::io::block_reader::Block;
use crate::io::source::{Event, LineSource, Restart};
use crate::parse::batch::{Fill, ParsedLines, RawLines};
use crate::parse::format::FormatState;
use crate::stream::aggregator::Aggregator;
use crate::stream::chunk::{ChunkCounter, CountedChunk};

/// Blocks parsed ahead and waiting for the aggregator, with a bounded
/// summary: a few, so that the reading thread stays busy while memory
/// stays at a few blocks (each at most `MAX_LINE_BYTES` plus a read's
/// worth of bytes, and 48 bytes of parse per line).
const BLOCKS_AHEAD: usize = 4;

/// Bytes a chunk gathers before it is handed to a worker: large enough
/// that adding its tallies up costs little beside counting them (each
/// window of a chunk is added to the open one once, whatever the chunk's
/// length), small enough that the chunks in flight stay a few megabytes.
const CHUNK_BYTES: usize = 2 << 20;

/// Blocks that may exist at once per worker, plus one worker's worth for
/// the chunk being gathered, when workers count chunks: read, gathered,
/// being counted or waiting to be fed. The reader waits for a buffer to
/// come back before it reads the next block, which bounds the memory: a
/// block is a read's worth of lines (256 KiB from a file, plus the line
/// it cuts, at most `MAX_LINE_BYTES`), and a chunk of [`CHUNK_BYTES`] is
/// eight of them.
const BLOCKS_PER_WORKER: usize = 8;

/// A buffer that grew past this (for a line longer than a read) is freed
/// once fed, rather than kept for the next block.
const SPARE_BYTES_KEPT: usize = 1 << 20;

/// Most workers counting chunks: the one reading thread and the one
/// aggregating thread serve them all, and each worker holds a chunk in
/// memory; past a few, more would mostly wait.
const MAX_WORKERS: usize = 4;

/// Feeds `source` (named `name` in diagnostics) to `agg` until it ends or
/// `stop` (a signal flag) turns true.
///
/// Reading runs on a thread of its own. With exact counting (the default)
/// worker threads parse and count the lines in chunks, which this thread
/// adds up in file order (see [`crate::stream::chunk`]): every core
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
        let state = agg.new_format_state();
        scope.spawn(move || {
            read_ahead(
                source,
                state,
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

/// What is to be fed next, in input order.
enum Slot {
    /// A chunk handed out, fed once counted.
    Chunk(u64),
    /// An event other than lines, or a read error.
    Event(io::Result<Ahead<RawLines>>),
}

/// Feeds the blocks of `source` to `agg` in chunks that workers parse and
/// count.
///
/// A reading thread reads blocks into buffers that come back once fed
/// ([`BLOCKS_PER_WORKER`] a worker and a chunk's worth more), skimming each
/// for its format state.
/// This thread gathers them into chunks: a chunk is handed out when it
/// holds [`CHUNK_BYTES`], or when a worker is free and no block is
/// waiting, so that a followed log's lines are never held back for more.
/// Chunks and events are fed strictly in input order; an event other than
/// lines (a restart, a notice, an overlong line) cuts the chunk short.
fn feed_in_chunks<W: Write>(
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
        let state = agg.new_format_state();
        let read = messages_tx;
        scope.spawn(move || {
            let reading = read_ahead(
                source,
                state,
                &reader_stop,
                || spares_rx.recv().ok(),
                |ahead| read.send(Message::Read(ahead)).is_ok(),
            );
            if reading == Reading::Ended {
                let _ = read.send(Message::End);
            }
        });
        let mut order = ChunkOrder {
            jobs,
            workers,
            slots: VecDeque::new(),
            counted: BTreeMap::new(),
            handed_out: 0,
            in_flight: 0,
            gathering: Vec::new(),
            gathered: 0,
        };
        let fed = (|| {
            let mut ended = false;
            loop {
                order.feed_ready(agg, name, &spares, &parses)?;
                if ended && order.slots.is_empty() || stop() {
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
                    Message::Counted(seq, chunk, counted) => {
                        order.in_flight -= 1;
                        order.counted.insert(seq, (chunk, counted));
                    }
                }
            }
        })();
        done.store(true, Ordering::Relaxed);
        // Dropping the order closes the queue: the workers end.
        drop(order);
        fed
    })
}

/// The chunks of [`feed_in_chunks`]: the one gathering, those handed out,
/// and the order to feed them in.
struct ChunkOrder {
    jobs: mpsc::Sender<(u64, Vec<RawLines>)>,
    workers: usize,
    /// What to feed, oldest first.
    slots: VecDeque<Slot>,
    /// Chunks counted but not yet fed, by number.
    counted: BTreeMap<u64, (Vec<RawLines>, CountedChunk)>,
    /// Chunks handed out so far (the next one's number).
    handed_out: u64,
    /// Chunks handed out and not yet counted.
    in_flight: usize,
    gathering: Vec<RawLines>,
    gathered: usize,
}

impl ChunkOrder {
    fn gather(&mut self, lines: RawLines) {
        self.gathered += lines.bytes.len();
        self.gathering.push(lines);
        if self.gathered >= CHUNK_BYTES {
            self.hand_out();
        }
    }

    /// Whether to hand out a chunk that is not full: a worker is free.
    fn may_hand_out(&self) -> bool {
        !self.gathering.is_empty() && self.in_flight < self.workers
    }

    /// Hands out the chunk gathered so far, if any.
    fn hand_out(&mut self) {
        if self.gathering.is_empty() {
            return;
        }
        let seq = self.handed_out;
        self.handed_out += 1;
        self.gathered = 0;
        // The workers live as long as `jobs`.
        let _ = self.jobs.send((seq, std::mem::take(&mut self.gathering)));
        self.in_flight += 1;
        self.slots.push_back(Slot::Chunk(seq));
    }

    /// An event other than lines: after the lines before it.
    fn event(&mut self, event: io::Result<Ahead<RawLines>>) {
        self.hand_out();
        self.slots.push_back(Slot::Event(event));
    }

    /// Feeds the slots at the front that are ready, returning each chunk's
    /// buffers to the reader.
    fn feed_ready<W: Write>(
        &mut self,
        agg: &mut Aggregator<W>,
        name: &str,
        spares: &mpsc::Sender<RawLines>,
        parses: &Mutex<Vec<ParsedLines>>,
    ) -> Result<(), Error> {
        while let Some(slot) = self.slots.front() {
            match slot {
                Slot::Chunk(seq) => {
                    let Some((chunk, mut counted)) = self.counted.remove(seq) else {
                        return Ok(());
                    };
                    self.slots.pop_front();
                    agg.feed_chunk(&chunk, &mut counted)?;
                    if let Ok(mut spare) = parses.lock() {
                        spare.extend(counted.parses.into_iter().map(|parse| parse.parsed));
                    }
                    for lines in chunk {
                        let spare = if lines.bytes.capacity() > SPARE_BYTES_KEPT {
                            RawLines::default()
                        } else {
                            lines
                        };
                        // The reader may be gone already; then so is the need.
                        let _ = spares.send(spare);
                    }
                }
                Slot::Event(_) => {
                    if let Some(Slot::Event(event)) = self.slots.pop_front() {
                        feed_event(agg, event.doing(|| format!("cannot read {name}"))?)?;
                    }
                }
            }
        }
        Ok(())
    }
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

/// How a reading thread ended.
#[derive(PartialEq, Eq)]
enum Reading {
    /// At the end of the input (or a stop).
    Ended,
    /// The aggregating thread hung up, or the source failed (the error was sent).
    Cut,
}

/// The reading thread: reads `source`, fills each block into a buffer
/// from `spare` (returned by the aggregator, so buffers are reused, not
/// reallocated; `None` when the aggregator is gone) in the format `state`
/// tells, and hands it to `send`, until the source ends, `stop` turns
/// true, or the aggregator hangs up (`send` returns false).
fn read_ahead<T: Fill>(
    source: &mut (dyn LineSource + Send),
    mut state: FormatState,
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
            return Reading::Cut;
        }
    }
}
