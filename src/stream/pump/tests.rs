//! Tests of the pump's parts: the reading thread's loop, the order chunks
//! are fed in, and both feeds against one pass in line.

use std::collections::VecDeque;
use std::io;
use std::sync::{Mutex, mpsc};

use super::chunk_order::{CHUNK_BYTES, ChunkOrder, SPARE_BYTES_KEPT};
use super::in_chunks::feed_in_chunks;
use super::read_ahead::{Reading, read_ahead};
use super::{Ahead, feed_in_order};
use crate::diagnostics::{Captured, Diagnostics};
use crate::error::{Error, IoContext};
use crate::io::block_reader::Block;
use crate::io::source::{Event, LineSource, Restart};
use crate::parse::batch::{Fill, ParsedLines, RawLines};
use crate::parse::format::{FormatState, InputFormat};
use crate::parse::selection::Selection;
use crate::stream::aggregator::{Aggregator, Summary};
use crate::stream::chunk::ChunkCounter;
use crate::stream::config::WindowConfig;

/// One step of a [`Script`].
#[derive(Clone)]
enum Step {
    Lines(String),
    Overlong,
    Restarted,
    Notice(&'static str),
    Fail,
}

/// A line source that hands out its steps in order, then ends; a stop
/// ends it too, as it does a real source.
struct Script {
    steps: VecDeque<Step>,
    current: Vec<u8>,
    /// How many times it was asked for an event.
    asked: usize,
}

impl Script {
    fn new(steps: &[Step]) -> Script {
        Script {
            steps: steps.iter().cloned().collect(),
            current: Vec::new(),
            asked: 0,
        }
    }
}

impl LineSource for Script {
    fn next_event(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Option<Event<'_>>> {
        self.asked += 1;
        if stop() {
            return Ok(None);
        }
        Ok(match self.steps.pop_front() {
            None => None,
            Some(Step::Lines(text)) => {
                self.current = text.into_bytes();
                Some(Event::Block(Block::Lines(&self.current)))
            }
            Some(Step::Overlong) => Some(Event::Block(Block::Overlong)),
            Some(Step::Restarted) => Some(Event::Restarted(Restart::Truncated)),
            Some(Step::Notice(text)) => Some(Event::Notice(text.to_string())),
            Some(Step::Fail) => return Err(io::Error::other("the disk is on fire")),
        })
    }
}

/// A line of hour `h` (after 1565647200), second `s`.
fn rec(h: u64, s: u64, from: &str, to: &str) -> String {
    format!("{} {from} {to}\n", 1_565_647_200 + h * 3600 + s)
}

/// What the reading thread hands on, in a form tests compare: for lines,
/// their bytes and the format state they start in.
#[derive(Debug, PartialEq)]
enum Seen {
    Lines(String, FormatState),
    Overlong,
    Restarted,
    Notice(String),
    Failed,
}

/// Runs [`read_ahead`] over `steps` with `buffers` spare buffers and a
/// taker that accepts `accepted` hand-overs: how it ended, what it handed
/// on, and how often it asked the source.
fn read(steps: &[Step], buffers: usize, accepted: usize) -> (Reading, Vec<Seen>, usize) {
    let mut source = Script::new(steps);
    let seen = Mutex::new(Vec::new());
    let mut spares = buffers;
    let reading = read_ahead(
        &mut source,
        FormatState::new(InputFormat::Auto),
        &Selection::default(),
        &|| false,
        || {
            spares = spares.checked_sub(1)?;
            Some(RawLines::default())
        },
        |ahead| {
            let mut seen = seen.lock().unwrap();
            if seen.len() == accepted {
                return false;
            }
            seen.push(match ahead {
                Ok(Ahead::Lines(lines)) => {
                    Seen::Lines(String::from_utf8(lines.bytes).unwrap(), lines.state)
                }
                Ok(Ahead::Overlong) => Seen::Overlong,
                Ok(Ahead::Restarted(_)) => Seen::Restarted,
                Ok(Ahead::Notice(text)) => Seen::Notice(text),
                Err(_) => Seen::Failed,
            });
            true
        },
    );
    (reading, seen.into_inner().unwrap(), source.asked)
}

#[test]
fn the_reader_hands_on_every_event_in_order_and_tells_the_format_anew_after_a_restart() {
    let steps = [
        Step::Lines(rec(0, 1, "a", "b")),
        Step::Overlong,
        Step::Lines(rec(0, 2, "c", "d")),
        Step::Restarted,
        Step::Notice("look"),
        Step::Lines(rec(0, 3, "e", "f")),
    ];
    let (reading, seen, _) = read(&steps, usize::MAX, usize::MAX);
    let undetected = FormatState::new(InputFormat::Auto);
    let mut plain = undetected.clone();
    plain.skim(rec(0, 1, "a", "b").as_bytes());
    assert_ne!(plain, undetected);
    assert!(reading == Reading::Ended);
    assert_eq!(
        seen,
        [
            Seen::Lines(rec(0, 1, "a", "b"), undetected.clone()),
            Seen::Overlong,
            Seen::Lines(rec(0, 2, "c", "d"), plain),
            Seen::Restarted,
            Seen::Notice("look".into()),
            Seen::Lines(rec(0, 3, "e", "f"), undetected),
        ]
    );
}

#[test]
fn the_reader_stops_reading_once_the_taker_hangs_up() {
    let steps = vec![Step::Lines(rec(0, 1, "a", "b")); 5];
    let (reading, seen, asked) = read(&steps, usize::MAX, 2);
    assert!(reading == Reading::Cut);
    assert_eq!(seen.len(), 2);
    // The third block was read, then refused: nothing more is read.
    assert_eq!(asked, 3);
}

#[test]
fn the_reader_reads_no_further_than_its_buffers() {
    let steps = vec![Step::Lines(rec(0, 1, "a", "b")); 5];
    let (reading, seen, asked) = read(&steps, 2, usize::MAX);
    assert!(reading == Reading::Cut);
    assert_eq!((seen.len(), asked), (2, 3));
}

#[test]
fn a_read_error_is_handed_on_and_ends_the_reading() {
    let steps = [Step::Lines(rec(0, 1, "a", "b")), Step::Fail, Step::Overlong];
    let (reading, seen, asked) = read(&steps, usize::MAX, usize::MAX);
    assert!(reading == Reading::Cut);
    assert_eq!(seen.last(), Some(&Seen::Failed));
    assert_eq!((seen.len(), asked), (2, 2));
}

/// Blocks of `text`'s lines, `per_block` lines each, as a reader fills
/// them.
fn blocks(text: &str, per_block: usize) -> Vec<RawLines> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut state = FormatState::new(InputFormat::Auto);
    lines
        .chunks(per_block)
        .map(|group| {
            let mut raw = RawLines::default();
            raw.fill(group.concat().as_bytes(), &mut state, &Selection::default());
            raw
        })
        .collect()
}

/// An aggregator over `out` whose diagnostics go to `said`.
fn aggregator<'a>(out: &'a mut Vec<u8>, said: &Captured) -> Aggregator<&'a mut Vec<u8>> {
    let diagnostics = Diagnostics::to_writer("t", false, said.clone());
    let mut agg = Aggregator::new(WindowConfig::for_test("x", "y", 0), out, diagnostics);
    agg.begin_input("in");
    agg
}

#[test]
fn a_chunk_is_handed_out_once_full_or_when_a_worker_is_free() {
    let (jobs, queue) = mpsc::channel();
    let mut order = ChunkOrder::new(jobs, 1);
    assert!(!order.may_hand_out(), "nothing gathered");
    order.gather(blocks(&rec(0, 1, "a", "b"), 1).remove(0));
    assert!(queue.try_recv().is_err(), "a small chunk waits");
    assert!(order.may_hand_out());
    order.hand_out();
    let (seq, chunk) = queue.try_recv().unwrap();
    assert_eq!((seq, chunk.len()), (0, 1));
    // The one worker is busy: a small chunk waits for it.
    order.gather(blocks(&rec(0, 2, "c", "d"), 1).remove(0));
    assert!(!order.may_hand_out());
    assert!(queue.try_recv().is_err());
    // A full one does not wait.
    let full = RawLines {
        bytes: rec(0, 3, "e", "f").repeat(CHUNK_BYTES / 10).into_bytes(),
        ..RawLines::default()
    };
    assert!(full.bytes.len() >= CHUNK_BYTES);
    order.gather(full);
    let (seq, chunk) = queue.try_recv().unwrap();
    assert_eq!((seq, chunk.len()), (1, 2));
    assert!(!order.all_fed());
}

#[test]
fn chunks_are_fed_in_input_order_whatever_order_they_are_counted_in() {
    let text = [
        rec(0, 1, "a", "x"),
        rec(0, 2, "b", "x"),
        rec(1, 1, "y", "c"),
        "garbage\n".to_string(),
        rec(2, 1, "d", "x"),
        rec(3, 1, "y", "e"),
    ]
    .concat();
    let (mut expected, expected_said) = (Vec::new(), Captured::default());
    let mut one_pass = aggregator(&mut expected, &expected_said);
    let parts = blocks(&text, 2);
    one_pass
        .feed(Block::Lines(parts[0].bytes.as_slice()))
        .unwrap();
    one_pass.notice("look");
    for part in &parts[1..] {
        one_pass.feed(Block::Lines(part.bytes.as_slice())).unwrap();
    }
    let expected_summary = one_pass.finish(true).unwrap();

    let (mut out, said) = (Vec::new(), Captured::default());
    let mut agg = aggregator(&mut out, &said);
    let (jobs, queue) = mpsc::channel();
    let (spares, returned) = mpsc::channel();
    let parses = Mutex::new(Vec::new());
    let mut order = ChunkOrder::new(jobs, 3);
    let mut parts = parts.into_iter();
    order.gather(parts.next().unwrap());
    order.event(Ok(Ahead::Notice("look".into())));
    for part in parts {
        order.gather(part);
        order.hand_out();
    }
    let counter = ChunkCounter::new(&WindowConfig::for_test("x", "y", 0)).unwrap();
    let counted: Vec<_> = queue
        .try_iter()
        .map(|(seq, chunk)| {
            let count = counter.count(&chunk, ParsedLines::default, 0);
            (seq, chunk, count)
        })
        .collect();
    assert_eq!(counted.len(), 3);
    let mut counted: Vec<_> = counted.into_iter().map(Some).collect();
    let mut count = |order: &mut ChunkOrder, seq: usize| {
        let (seq, chunk, count) = counted[seq].take().unwrap();
        order.counted(seq, chunk, count);
    };
    // Chunk 2 first: nothing can be fed before chunk 0.
    count(&mut order, 2);
    order.feed_ready(&mut agg, "in", &spares, &parses).unwrap();
    assert_eq!(agg.summary(), Summary::default());
    // Chunk 0, then the notice, are fed; chunk 2 waits for chunk 1.
    count(&mut order, 0);
    order.feed_ready(&mut agg, "in", &spares, &parses).unwrap();
    assert_eq!(agg.summary().records, 2);
    assert_eq!(said.text(), "t: in: look\n");
    count(&mut order, 1);
    order.feed_ready(&mut agg, "in", &spares, &parses).unwrap();
    assert!(order.all_fed());
    // Every block's buffer came back for the reader.
    assert_eq!(returned.try_iter().count(), 3);
    let summary = agg.finish(true).unwrap();
    assert_eq!(
        (String::from_utf8(out).unwrap(), summary, said.text()),
        (
            String::from_utf8(expected).unwrap(),
            expected_summary,
            expected_said.text()
        )
    );
}

#[test]
fn a_buffer_grown_past_the_spare_size_is_not_kept() {
    let (mut out, said) = (Vec::new(), Captured::default());
    let mut agg = aggregator(&mut out, &said);
    let (jobs, queue) = mpsc::channel();
    let (spares, returned) = mpsc::channel();
    let parses = Mutex::new(Vec::new());
    let mut order = ChunkOrder::new(jobs, 1);
    let mut big = blocks(&rec(0, 1, "a", "b"), 1).remove(0);
    big.bytes.reserve(2 * SPARE_BYTES_KEPT);
    order.gather(big);
    order.hand_out();
    let (seq, chunk) = queue.try_recv().unwrap();
    let counter = ChunkCounter::new(&WindowConfig::for_test("x", "y", 0)).unwrap();
    let count = counter.count(&chunk, ParsedLines::default, 0);
    order.counted(seq, chunk, count);
    order.feed_ready(&mut agg, "in", &spares, &parses).unwrap();
    let spare = returned.try_recv().unwrap();
    assert!(spare.bytes.capacity() <= SPARE_BYTES_KEPT);
    assert_eq!(agg.summary().records, 1);
}

/// What a feed makes of `steps`: the output, the counts, the diagnostics
/// and the error, if any.
type Fed = (String, Summary, String, Option<String>);

/// One way of feeding a source to an aggregator.
type Feed<'a> = &'a dyn Fn(
    &mut Aggregator<&mut Vec<u8>>,
    &mut Script,
    &(dyn Fn() -> bool + Sync),
) -> Result<(), Error>;

/// Runs `feed` over `steps` with `config`, then ends the run.
fn feed_with(config: &WindowConfig, steps: &[Step], stop: bool, feed: Feed<'_>) -> Fed {
    let (mut out, said) = (Vec::new(), Captured::default());
    let diagnostics = Diagnostics::to_writer("t", false, said.clone());
    let mut agg = Aggregator::new(config.clone(), &mut out, diagnostics);
    agg.begin_input("in");
    let mut source = Script::new(steps);
    let fed = feed(&mut agg, &mut source, &|| stop)
        .err()
        .map(|e| e.to_string());
    let summary = agg.finish(true).unwrap();
    (String::from_utf8(out).unwrap(), summary, said.text(), fed)
}

/// The three ways of feeding `steps`: in line on this thread, parsed by a
/// reading thread, and counted in chunks by two workers.
fn three_feeds(config: &WindowConfig, steps: &[Step], stop: bool) -> [Fed; 3] {
    let in_line = feed_with(config, steps, stop, &|agg, source, stop| {
        while let Some(event) = source.next_event(stop).doing(|| "cannot read in".into())? {
            match event {
                Event::Block(block) => agg.feed(block)?,
                Event::Restarted(why) => agg.restart_input(why),
                Event::Notice(text) => agg.notice(&text),
            }
        }
        Ok(())
    });
    let in_order = feed_with(config, steps, stop, &|agg, source, stop| {
        feed_in_order(agg, "in", source, stop)
    });
    let counter = ChunkCounter::new(config).unwrap();
    let in_chunks = feed_with(config, steps, stop, &|agg, source, stop| {
        feed_in_chunks(agg, "in", source, stop, &counter, 2)
    });
    [in_line, in_order, in_chunks]
}

/// A log over a few hours in several blocks, with a malformed line, a
/// record too late, an overlong line, a restart and a notice.
fn eventful() -> Vec<Step> {
    vec![
        Step::Lines(rec(0, 1, "a", "x") + &rec(0, 2, "y", "b")),
        Step::Lines("garbage\n".to_string() + &rec(1, 5, "c", "x")),
        Step::Overlong,
        Step::Lines(rec(2, 1, "y", "d") + &rec(0, 3, "late", "x")),
        Step::Restarted,
        Step::Notice("look"),
        Step::Lines(rec(3, 1, "e", "x") + &rec(3, 2, "y", "f")),
    ]
}

#[test]
fn both_feeds_print_what_one_pass_in_line_prints() {
    let config = WindowConfig::for_test("x", "y", 0);
    let [in_line, in_order, in_chunks] = three_feeds(&config, &eventful(), false);
    assert!(in_line.0.contains("MOST"), "{}", in_line.0);
    assert_eq!(in_line.1.too_late, 1);
    assert_eq!(in_order, in_line);
    assert_eq!(in_chunks, in_line);
}

#[test]
fn a_stop_ends_both_feeds_before_anything_is_fed() {
    let config = WindowConfig::for_test("x", "y", 0);
    for fed in three_feeds(&config, &eventful(), true) {
        assert_eq!(
            fed,
            (String::new(), Summary::default(), String::new(), None)
        );
    }
}

#[test]
fn both_feeds_end_at_the_first_error_with_it() {
    // `--strict`: the malformed line is an error; a read error after it
    // is never met, and the reading thread and the workers end.
    let strict = WindowConfig {
        strict: true,
        ..WindowConfig::for_test("x", "y", 0)
    };
    let mut steps = eventful();
    steps.push(Step::Fail);
    let [in_line, in_order, in_chunks] = three_feeds(&strict, &steps, false);
    assert!(
        in_line.3.as_deref().unwrap().contains("strict"),
        "{in_line:?}"
    );
    assert_eq!(in_order, in_line);
    assert_eq!(in_chunks, in_line);
    // Without it, the read error ends the run, after the lines before it.
    let config = WindowConfig::for_test("x", "y", 0);
    let [in_line, in_order, in_chunks] = three_feeds(&config, &steps, false);
    assert_eq!(in_line.3.as_deref(), Some("cannot read in"));
    assert_eq!(in_order, in_line);
    assert_eq!(in_chunks, in_line);
}
