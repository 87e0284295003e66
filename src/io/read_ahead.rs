//! Running a slow reader (a decompressor) on a thread of its own, ahead of
//! its consumer, so that producing bytes and parsing them overlap.
//!
//! The thread starts at the first read, so an input opened early (`connspy`
//! opens all its inputs before reading the first) costs no thread and no
//! buffer until its turn. It fills chunks of [`CHUNK_BYTES`] and hands them
//! over through a bounded channel; emptied chunks go back to it for reuse,
//! so a long input costs no allocation per chunk. Memory: at most
//! `CHUNKS_AHEAD + 2` chunks (those queued, the one being filled, the one
//! being read), 6 MiB.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

/// Bytes per chunk: large enough that the channel costs nothing per byte.
const CHUNK_BYTES: usize = 1 << 20;

/// Bytes per chunk of a reader started ahead of its turn
/// ([`ReadAhead::started`]): smaller, so that a file waiting for its turn
/// holds little, and still large enough that the channel costs nothing
/// per byte.
const AHEAD_CHUNK_BYTES: usize = 256 * 1024;

/// Chunks the thread may have ready before it waits for the consumer.
const CHUNKS_AHEAD: usize = 4;

/// A chunk and how many of its bytes are data; the buffer keeps its full
/// length so that reusing it never zeroes it again.
type Chunk = (Vec<u8>, usize);

/// What the thread sends: a chunk, the end of the source (`None`), or the
/// error that ended it.
type Message = io::Result<Option<Chunk>>;

/// The consumer's end: reads what the thread produced, in order. Dropping
/// it stops the thread after at most one more chunk.
pub struct ReadAhead {
    /// The source, until the first read hands it to the thread.
    pending: Option<Box<dyn Read + Send>>,
    channel: Option<Channel>,
    current: Option<Chunk>,
    pos: usize,
    done: bool,
    /// The size of the chunks the thread fills.
    chunk_bytes: usize,
}

/// The consumer's ends of the two channels: chunks in, spares back.
struct Channel {
    chunks: Receiver<Message>,
    spare: SyncSender<Vec<u8>>,
}

impl ReadAhead {
    /// Reads `source` on a thread of its own from the first read on.
    pub fn new(source: impl Read + Send + 'static) -> ReadAhead {
        ReadAhead {
            pending: Some(Box::new(source)),
            channel: None,
            current: None,
            pos: 0,
            done: false,
            chunk_bytes: CHUNK_BYTES,
        }
    }

    /// Reads `source` on a thread of its own started now, in chunks of
    /// [`AHEAD_CHUNK_BYTES`]: a file opened ahead of its turn, which then
    /// holds at most `CHUNKS_AHEAD + 2` of them (1.5 MiB) while it waits.
    pub(crate) fn started(source: impl Read + Send + 'static) -> io::Result<ReadAhead> {
        let mut reader = ReadAhead {
            chunk_bytes: AHEAD_CHUNK_BYTES,
            ..ReadAhead::new(source)
        };
        reader.channel()?;
        Ok(reader)
    }

    /// Starts the thread (the first time) and returns the channel.
    fn channel(&mut self) -> io::Result<&Channel> {
        if let Some(source) = self.pending.take() {
            let (chunk_tx, chunks) = mpsc::sync_channel(CHUNKS_AHEAD);
            let (spare, spare_rx) = mpsc::sync_channel(CHUNKS_AHEAD + 2);
            let chunk_bytes = self.chunk_bytes;
            thread::Builder::new()
                .name("read-ahead".into())
                .spawn(move || produce(source, chunk_bytes, &chunk_tx, &spare_rx))?;
            self.channel = Some(Channel { chunks, spare });
        }
        self.channel
            .as_ref()
            .ok_or_else(|| io::Error::other("the reading thread could not be started"))
    }
}

/// The thread's loop: fill a chunk, send it, until the end of `source` or
/// an error (either is sent on after the data before it), or until the
/// consumer has gone away.
fn produce(
    mut source: impl Read,
    chunk_bytes: usize,
    chunks: &SyncSender<Message>,
    spare: &Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = spare.try_recv().unwrap_or_else(|_| vec![0; chunk_bytes]);
        let (n, error) = fill(&mut source, &mut buf);
        if n > 0 && chunks.send(Ok(Some((buf, n)))).is_err() {
            return;
        }
        let last = match error {
            Some(e) => Err(e),
            None if n < chunk_bytes => Ok(None),
            None => continue,
        };
        let _ = chunks.send(last);
        return;
    }
}

/// Reads until `buf` is full, `source` ends or fails; returns the bytes
/// read and the failure.
fn fill(source: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match source.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(got) => n += got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some((buf, len)) = &self.current
                && self.pos < *len
            {
                let n = out.len().min(len - self.pos);
                out[..n].copy_from_slice(&buf[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            let spent = self.current.take();
            let channel = match self.channel() {
                Ok(channel) => channel,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            };
            if let Some((buf, _)) = spent {
                let _ = channel.spare.try_send(buf);
            }
            let message = channel.chunks.recv().unwrap_or_else(|mpsc::RecvError| {
                // Only a panic ends the thread without a last message.
                Err(io::Error::other("the reading thread stopped unexpectedly"))
            });
            match message {
                Ok(Some(chunk)) => {
                    self.current = Some(chunk);
                    self.pos = 0;
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out `data` a few bytes per call, then fails if `fail`.
    struct Source {
        data: Vec<u8>,
        pos: usize,
        fail: bool,
    }

    impl Read for Source {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.data.len() && self.fail {
                return Err(io::Error::other("disk on fire"));
            }
            let n = out.len().min(self.data.len() - self.pos).min(7_777);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn source(len: usize, fail: bool) -> (Vec<u8>, Source) {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        let pos = 0;
        (data.clone(), Source { data, pos, fail })
    }

    #[test]
    fn hands_over_every_byte_in_order_across_many_chunks() {
        for len in [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, 9 * CHUNK_BYTES + 12_345] {
            let (data, src) = source(len, false);
            let mut out = Vec::new();
            ReadAhead::new(src).read_to_end(&mut out).unwrap();
            assert!(out == data, "length {len}");
        }
    }

    #[test]
    fn a_reader_started_ahead_reads_at_once_in_small_chunks() {
        let (data, src) = source(3 * CHUNK_BYTES + 5, false);
        let mut reader = ReadAhead::started(src).unwrap();
        // The thread fills chunks before anyone reads: wait for one.
        let channel = reader.channel.as_ref().unwrap();
        let first = channel.chunks.recv().unwrap().unwrap().unwrap();
        assert_eq!(
            (first.0.len(), first.1),
            (AHEAD_CHUNK_BYTES, AHEAD_CHUNK_BYTES)
        );
        reader.current = Some(first);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert!(out == data);
    }

    #[test]
    fn nothing_is_read_before_the_first_read() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        struct Watched(Arc<AtomicBool>);
        impl Read for Watched {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                self.0.store(true, Ordering::SeqCst);
                Ok(0)
            }
        }
        let touched = Arc::new(AtomicBool::new(false));
        let mut reader = ReadAhead::new(Watched(Arc::clone(&touched)));
        // A started thread would have read by now.
        thread::sleep(std::time::Duration::from_millis(50));
        assert!(!touched.load(Ordering::SeqCst));
        assert_eq!(reader.read(&mut [0; 8]).unwrap(), 0);
        assert!(touched.load(Ordering::SeqCst));
    }

    #[test]
    fn an_error_comes_after_the_data_read_before_it() {
        let (data, src) = source(3 * CHUNK_BYTES + 5, true);
        let mut reader = ReadAhead::new(src);
        let mut out = vec![0; data.len()];
        reader.read_exact(&mut out).unwrap();
        assert!(out == data);
        let err = reader.read(&mut [0; 10]).unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
        assert_eq!(reader.read(&mut [0; 10]).unwrap(), 0, "then the end");
    }

    #[test]
    fn a_panicking_source_is_an_error_not_an_end() {
        struct Panics;
        impl Read for Panics {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                panic!("decoder bug")
            }
        }
        let err = ReadAhead::new(Panics).read(&mut [0; 1]).unwrap_err();
        assert!(err.to_string().contains("stopped unexpectedly"), "{err}");
    }
}
