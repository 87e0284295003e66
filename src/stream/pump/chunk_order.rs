//! The order chunks are fed in: blocks are gathered into chunks, handed
//! out to the workers, and fed to the aggregator strictly in input order
//! (with the reader's other events in their places), whatever order the
//! workers finish them in.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::sync::{Mutex, mpsc};

use super::{Ahead, feed_event};
use crate::error::{Error, IoContext};
use crate::parse::batch::{ParsedLines, RawLines};
use crate::stream::aggregator::Aggregator;
use crate::stream::chunk::CountedChunk;

/// Bytes a chunk gathers before it is handed to a worker: large enough
/// that adding its tallies up costs little beside counting them (each
/// window of a chunk is added to the open one once, whatever the chunk's
/// length), small enough that the chunks in flight stay a few megabytes.
pub(super) const CHUNK_BYTES: usize = 2 << 20;

/// A buffer that grew past this (for a line longer than a read) is freed
/// once fed, rather than kept for the next block.
pub(super) const SPARE_BYTES_KEPT: usize = 1 << 20;

/// What is to be fed next, in input order.
enum Slot {
    /// A chunk handed out, fed once counted.
    Chunk(u64),
    /// An event other than lines, or a read error.
    Event(io::Result<Ahead<RawLines>>),
}

/// The chunks of [`feed_in_chunks`](super::in_chunks::feed_in_chunks):
/// the one gathering, those handed out, and the order to feed them in.
pub(super) struct ChunkOrder {
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
    /// The blocks of the chunk not handed out yet.
    gathering: Vec<RawLines>,
    /// Their bytes.
    gathered: usize,
}

impl ChunkOrder {
    /// Nothing gathered yet; chunks go to `jobs`, for `workers` workers.
    pub(super) fn new(jobs: mpsc::Sender<(u64, Vec<RawLines>)>, workers: usize) -> ChunkOrder {
        ChunkOrder {
            jobs,
            workers,
            slots: VecDeque::new(),
            counted: BTreeMap::new(),
            handed_out: 0,
            in_flight: 0,
            gathering: Vec::new(),
            gathered: 0,
        }
    }

    /// Whether everything handed out or met has been fed.
    pub(super) fn all_fed(&self) -> bool {
        self.slots.is_empty()
    }

    /// A worker has counted chunk `seq`: it is fed once the slots before
    /// it are.
    pub(super) fn counted(&mut self, seq: u64, chunk: Vec<RawLines>, counted: CountedChunk) {
        self.in_flight -= 1;
        self.counted.insert(seq, (chunk, counted));
    }

    /// Adds a block to the chunk being gathered, handing it out once it
    /// holds [`CHUNK_BYTES`].
    pub(super) fn gather(&mut self, lines: RawLines) {
        self.gathered += lines.bytes.len();
        self.gathering.push(lines);
        if self.gathered >= CHUNK_BYTES {
            self.hand_out();
        }
    }

    /// Whether to hand out a chunk that is not full: a worker is free.
    pub(super) fn may_hand_out(&self) -> bool {
        !self.gathering.is_empty() && self.in_flight < self.workers
    }

    /// Hands out the chunk gathered so far, if any.
    pub(super) fn hand_out(&mut self) {
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
    pub(super) fn event(&mut self, event: io::Result<Ahead<RawLines>>) {
        self.hand_out();
        self.slots.push_back(Slot::Event(event));
    }

    /// Feeds the slots at the front that are ready, returning each chunk's
    /// buffers to the reader.
    pub(super) fn feed_ready<W: Write>(
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
