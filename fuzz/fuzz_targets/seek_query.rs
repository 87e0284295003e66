//! The seeker and the query on arbitrary file contents and windows: never
//! a panic; a full scan prints the same whether the log is mapped, read as
//! a stream or split into two files; and whenever the log keeps the
//! lateness bound, fast seek prints exactly what the full scan prints.
//!
//! The first bytes choose the window, the bound, the side, the host, the
//! block size and where the log is split; the rest is the log. Times and
//! hosts are picked among the log's own records, so that windows and
//! matches are meaningful.

#![no_main]

use std::io::Cursor;
use std::path::PathBuf;

use connspy::diagnostics::{Diagnostics, MalformedReport};
use connspy::io::input::{InputName, Opened, Stream};
use connspy::io::whole::Whole;
use connspy::output::Format;
use connspy::parse::format::InputFormat;
use connspy::parse::record::parse_record;
use connspy::parse::target::Target;
use connspy::parse::timestamp::{Duration, Timestamp};
use connspy::query::{self, Answer, Query, Side};
use libfuzzer_sys::fuzz_target;

/// Bounds in seconds the fuzzer picks from.
const LATENESS: [u64; 6] = [0, 1, 10, 300, 3600, u64::MAX];

/// How the log is handed to the query.
#[derive(Clone, Copy)]
enum Form {
    /// Whole, in memory, as a mapped file is.
    Whole,
    /// As two whole inputs, cut at a line start.
    Split(usize),
    /// Read front to back as a stream.
    Stream,
}

fn answer(query: &Query, log: &[u8], form: Form) -> Vec<u8> {
    let name = |n: &str| InputName::Path(PathBuf::from(n));
    let inputs = match form {
        Form::Whole => vec![(name("log"), Opened::Whole(Whole::from_bytes(log.to_vec())))],
        Form::Split(at) => vec![
            (
                name("a"),
                Opened::Whole(Whole::from_bytes(log[..at].to_vec())),
            ),
            (
                name("b"),
                Opened::Whole(Whole::from_bytes(log[at..].to_vec())),
            ),
        ],
        Form::Stream => {
            let stream = Stream {
                reader: Box::new(Cursor::new(log.to_vec())),
                compression: None,
                progress: None,
            };
            vec![(name("log"), Opened::Stream(stream))]
        }
    };
    let mut out = Vec::new();
    let mut report = MalformedReport::new(Diagnostics::to_writer("fuzz", true, std::io::sink()), false);
    let mut answer = Answer::new(&mut out, Format::Tsv, query, &mut report);
    query::run(query, inputs, &mut answer).expect("in-memory inputs cannot fail");
    answer.finish().expect("writing to memory");
    out
}

/// Whether every record is at least the largest time before it minus `L`.
fn keeps_bound(times: &[Timestamp], lateness: Duration) -> bool {
    let mut latest = Timestamp::ZERO;
    times.iter().all(|&ts| {
        let kept = ts >= latest.saturating_sub(lateness);
        latest = latest.max(ts);
        kept
    })
}

/// A time near the `pick`-th record's (`delta` seconds off, either way).
fn time_near(times: &[Timestamp], pick: u8, delta: u8) -> Timestamp {
    let base = match times {
        [] => Timestamp::from_secs(u64::from(pick) * 1000),
        _ => times[usize::from(pick) % times.len()],
    };
    let off = Duration::from_secs(u64::from(delta & 0x7f));
    if delta & 0x80 == 0 {
        base.saturating_add(off)
    } else {
        base.saturating_sub(off)
    }
}

fuzz_target!(|data: &[u8]| {
    let [init, init_off, end, end_off, late, how, host, cut, log @ ..] = data else {
        return;
    };
    let records: Vec<_> = log
        .split(|&b| b == b'\n')
        .filter_map(|line| parse_record(line).ok())
        .collect();
    let times: Vec<Timestamp> = records.iter().map(|r| r.ts).collect();
    let (a, b) = (
        time_near(&times, *init, *init_off),
        time_near(&times, *end, *end_off),
    );
    let side = if how & 1 == 0 { Side::To } else { Side::From };
    let host = match records.get(usize::from(*host) % records.len().max(1)) {
        Some(r) if side == Side::To => r.to.to_vec(),
        Some(r) => r.from.to_vec(),
        None => b"x".to_vec(),
    };
    let lateness = Duration::from_secs(LATENESS[usize::from(*late) % LATENESS.len()]);
    // A log token such as `10.1.2.3/16` is not a target a command line
    // accepts: query a name instead.
    let target = Target::parse(&host).unwrap_or_else(|_| Target::parse(b"x").expect("a name"));
    let mut query = Query {
        target,
        side,
        source: None,
        filter: Default::default(),
        summary: false,
        input_format: InputFormat::Plain,
        time_init: a.min(b),
        time_end: a.max(b),
        lateness,
        fast_seek: false,
        block_bytes: 1 + usize::from(how >> 1) * 16,
    };
    let full = answer(&query, log, Form::Whole);
    assert_eq!(
        answer(&query, log, Form::Stream),
        full,
        "mapped and streamed full scans differ"
    );
    let at = usize::from(*cut) * log.len() / 255;
    let at = log[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    assert_eq!(
        answer(&query, log, Form::Split(at)),
        full,
        "a split log reads differently"
    );
    query.fast_seek = true;
    let fast = answer(&query, log, Form::Whole);
    let fast_split = answer(&query, log, Form::Split(at));
    if keeps_bound(&times, lateness) {
        assert_eq!(fast, full, "fast seek differs from the full scan");
        assert_eq!(
            fast_split, full,
            "fast seek over two files differs from the full scan"
        );
    }
});
