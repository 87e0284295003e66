//! The window aggregator on arbitrary byte streams: never a panic, every
//! line is either a record or a malformed line, and the output does not
//! depend on how the stream is cut into reads, nor on whether it is parsed
//! and counted in chunks on worker threads ([`pump`], with exact counting
//! on more than one core) or in line ([`Aggregator::feed`]).
//! Memory is held to the limits libFuzzer is run with (`-rss_limit_mb`,
//! `-malloc_limit_mb`; see README.md).
//!
//! The first bytes choose the lateness bound, the read size, the queried
//! hosts, and the window, output format, `--top`, bounded counting and
//! `--emit-counts`; the rest is the stream.

#![no_main]

use connspy::io::block_reader::{BlockReader, Trickle};
use connspy::diagnostics::Diagnostics;
use connspy::output::Format;
use connspy::parse::format::InputFormat;
use connspy::parse::target::Target;
use connspy::parse::timestamp::Duration;
use connspy::stream::aggregator::{Aggregator, Summary};
use connspy::stream::config::{Counting, Report, WindowConfig};
use connspy::stream::dedup::Dedup;
use connspy::stream::pump::pump;
use connspy::stream::window::WindowWidth;
use libfuzzer_sys::fuzz_target;

/// Bounds in seconds the fuzzer picks from: none, usual, and ones that
/// keep many hours open or overflow when added to a time.
const LATENESS: [u64; 6] = [0, 1, 300, 7200, 86_400 * 365, u64::MAX];
/// Hosts the fuzzer picks `--to` and `--from` from (seeds use them).
const HOSTS: [&[u8]; 4] = [b"a", b"b", b"X", b"zyla"];
/// Windows the fuzzer picks from (`--window`).
const WINDOWS: [&str; 4] = ["1h", "5m", "1s", "1d"];
const FORMATS: [Format; 3] = [Format::Tsv, Format::Csv, Format::Jsonl];

/// Runs the aggregator over `log` read `step` bytes at a time, through
/// [`pump`] when `pumped`, else block by block through `feed`.
fn run(
    config: &WindowConfig,
    log: &[u8],
    step: usize,
    pumped: bool,
    print_open: bool,
) -> (Vec<u8>, Summary) {
    let mut out = Vec::new();
    let mut agg = Aggregator::new(
        config.clone(),
        &mut out,
        Diagnostics::to_writer("fuzz", true, std::io::sink()),
    );
    let mut reader = BlockReader::new(Trickle { data: log, step });
    if pumped {
        pump(&mut agg, "fuzz", &mut reader, &|| false).expect("only --strict fails");
    } else {
        agg.begin_input("fuzz");
        while let Some(block) = reader.next_block().expect("reading memory") {
            agg.feed(block).expect("only --strict fails");
        }
        if let Some(block) = reader.take_partial() {
            agg.feed(block).expect("only --strict fails");
        }
    }
    let summary = agg.finish(print_open).expect("writing to memory");
    (out, summary)
}

fuzz_target!(|data: &[u8]| {
    let [lateness, step, to, from, shape, log @ ..] = data else {
        return;
    };
    let pick = |byte: u8, shift: u32, n: usize| usize::from(byte >> shift) % n;
    let top = 1 + pick(*shape, 4, 3);
    // Bounded counting (at least --top counters) excludes --emit-counts.
    let (counting, emit_counts) = match shape & 0xc0 {
        0x40 => (Counting::Bounded(top + pick(*to, 4, 4)), false),
        0x80 => (Counting::Exact, true),
        _ => (Counting::Exact, false),
    };
    let config = WindowConfig {
        to_host: Target::parse(HOSTS[pick(*to, 0, HOSTS.len())]).expect("a plain name"),
        from_host: Target::parse(HOSTS[pick(*from, 0, HOSTS.len())]).expect("a plain name"),
        input_format: InputFormat::Auto,
        lateness: Duration::from_secs(LATENESS[pick(*lateness, 0, LATENESS.len())]),
        window: WindowWidth::parse(WINDOWS[pick(*shape, 0, WINDOWS.len())]).expect("valid"),
        dedup: Dedup::Exact,
        counting,
        report: Report { top, emit_counts },
        format: FORMATS[pick(*shape, 2, FORMATS.len())],
        flush_each_window: false,
        strict: false,
    };
    let print_open = step & 1 == 0;
    let step = usize::from(step >> 1) + 1;
    let whole = run(&config, log, usize::MAX, true, print_open);
    let trickled = run(&config, log, step, false, print_open);
    assert_eq!(whole, trickled);
    let (_, summary) = whole;
    let lines = memchr_count(log) + usize::from(log.last().is_some_and(|&b| b != b'\n'));
    assert_eq!(summary.records + summary.malformed, lines as u64);
    assert!(summary.too_late <= summary.records);
    // Bloom filters (small, so that a run stays fast) must not panic either.
    let bloom = WindowConfig {
        dedup: Dedup::bloom(64, 0.01).expect("valid sizing"),
        ..config
    };
    run(&bloom, log, step, false, print_open);
});

fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}
