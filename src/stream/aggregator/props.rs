//! Property tests of the aggregator: against a plain model of the
//! closing rule, and across the ways the input can be cut and counted.

use proptest::prelude::*;

use super::tests::{H0, config, quiet, run_with, with};
use super::*;
use crate::diagnostics::Captured;
use crate::io::block_reader::{BlockReader, Trickle};
use crate::parse::batch::RawLines;
use crate::parse::target::Target;
use crate::parse::timestamp::Duration;
use crate::stream::config::{Counting, Report};
use crate::stream::dedup::Dedup;
use crate::stream::measure::Measure;
use crate::stream::pump::pump;

/// Logs over a few hours and a small host alphabet (in mixed case),
/// with some disorder, some far-too-late records and some garbage.
fn log_lines() -> impl Strategy<Value = Vec<String>> {
    let host = prop::sample::select(vec!["a", "B", "c", "x", "X", "y", "Zed", "zed"]);
    let line = prop_oneof![
        8 => (0u64..5 * 3600, host.clone(), host)
            .prop_map(|(t, f, to)| format!("{} {f} {to}", H0 + t)),
        1 => Just("not a record".to_string()),
        1 => (0u64..5 * 3_600_000).prop_map(|ms| format!("{} m x", H0 * 1000 + ms)),
    ];
    prop::collection::vec(line, 0..200)
}

/// Output to a disk with room for `room` bytes (unbounded when `None`):
/// a write past it fails, as on a full disk.
struct FullAfter {
    written: Vec<u8>,
    room: Option<usize>,
}

impl FullAfter {
    fn new(room: Option<usize>) -> FullAfter {
        FullAfter {
            written: Vec::new(),
            room,
        }
    }
}

impl std::io::Write for FullAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let take = self.room.map_or(buf.len(), |room| {
            room.saturating_sub(self.written.len()).min(buf.len())
        });
        if take == 0 && !buf.is_empty() {
            return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
        }
        self.written.extend_from_slice(&buf[..take]);
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn whole(cfg: WindowConfig, text: &str) -> (String, Summary) {
    run_with(cfg, &[text], true)
}

/// The closing rule (docs/behaviour.md#hour-closing) and the too-late
/// rule (docs/behaviour.md#too-late) written plainly (hourly windows,
/// exact lists): the output and the number of too-late records. A record
/// is dropped only when its hour was printed already.
fn model(text: &str, to: &str, from: &str, lateness: u64, print_open: bool) -> (String, u64) {
    use crate::parse::record::parse_record;
    use std::collections::{BTreeMap, BTreeSet};
    #[derive(Default)]
    struct Hour {
        to: Vec<String>,
        from: Vec<String>,
        counts: Vec<(String, u64)>,
    }
    fn count(hour: &mut Hour, host: &str) {
        match hour.counts.iter_mut().find(|(h, _)| h == host) {
            Some((_, n)) => *n += 1,
            None => hour.counts.push((host.to_string(), 1)),
        }
    }
    fn print(out: &mut String, start: Timestamp, hour: Hour) {
        for h in &hour.to {
            out.push_str(&format!("{start}.0\tTO\t{h}\n"));
        }
        for h in &hour.from {
            out.push_str(&format!("{start}.0\tFROM\t{h}\n"));
        }
        let mut most: Option<&(String, u64)> = None;
        for c in &hour.counts {
            if most.is_none_or(|m| c.1 > m.1) {
                most = Some(c);
            }
        }
        if let Some((h, _)) = most {
            out.push_str(&format!("{start}.0\tMOST\t{h}\n"));
        }
    }
    let deadline = |s: Timestamp| s.saturating_add(Duration::from_secs(3600 + lateness));
    let (mut open, mut printed) = (BTreeMap::<Timestamp, Hour>::new(), BTreeSet::new());
    let (mut latest, mut out, mut too_late) = (Timestamp::ZERO, String::new(), 0);
    for line in text.lines() {
        let Ok(r) = parse_record(line.as_bytes()) else {
            continue;
        };
        let start = r.ts.floor_to(Duration::HOUR);
        if latest > deadline(start) && printed.contains(&start) {
            too_late += 1;
            continue;
        }
        let lower = |h: &[u8]| String::from_utf8_lossy(h).to_lowercase();
        let (f, t) = (lower(r.from), lower(r.to));
        let hour = open.entry(start).or_default();
        count(hour, &f);
        count(hour, &t);
        if t == to && !hour.to.contains(&f) {
            hour.to.push(f.clone());
        }
        if f == from && !hour.from.contains(&t) {
            hour.from.push(t);
        }
        latest = latest.max(r.ts);
        let complete: Vec<Timestamp> = open
            .keys()
            .copied()
            .filter(|&s| latest > deadline(s))
            .collect();
        for s in complete {
            print(&mut out, s, open.remove(&s).unwrap());
            printed.insert(s);
        }
    }
    if print_open {
        for (s, hour) in open {
            print(&mut out, s, hour);
        }
    }
    (out, too_late)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The aggregator prints what the plain model prints and drops
    /// exactly the records the model drops: only those of a window
    /// printed already. Lines are shuffled a little so that many
    /// records break the bound, some for windows never printed.
    #[test]
    fn a_record_is_dropped_only_for_a_printed_window(
        mut lines in log_lines(),
        swaps in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..20),
        lateness in prop::sample::select(vec![0u64, 300, 5000]),
        print_open in any::<bool>(),
    ) {
        let n = lines.len();
        if n > 0 {
            for (a, b) in &swaps {
                lines.swap(a.index(n), b.index(n));
            }
        }
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let cfg = WindowConfig { dedup: Dedup::Exact, ..config("x", "zed", lateness) };
        let (out, summary) = run_with(cfg, &[&text], print_open);
        prop_assert_eq!((out, summary.too_late), model(&text, "x", "zed", lateness, print_open));
    }

    #[test]
    fn output_does_not_depend_on_how_the_input_is_split(
        lines in log_lines(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        step in 1usize..64,
        lateness in prop::sample::select(vec![0u64, 300, 5000]),
    ) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let expected = whole(config("x", "y", lateness), &text);
        // Split into files at line boundaries.
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(lines.len() + 1)).collect();
        at.sort();
        let mut files = Vec::new();
        let mut prev = 0;
        for cut in at.into_iter().chain([lines.len()]) {
            files.push(lines[prev..cut].iter().map(|l| format!("{l}\n")).collect::<String>());
            prev = cut;
        }
        let refs: Vec<&str> = files.iter().map(String::as_str).collect();
        prop_assert_eq!(&run_with(config("x", "y", lateness), &refs, true), &expected);
        // Feed through a reader that returns tiny reads.
        let mut out = Vec::new();
        let mut agg = Aggregator::new(config("x", "y", lateness), &mut out, quiet());
        let mut reader = BlockReader::new(Trickle { data: text.as_bytes(), step });
        pump(&mut agg, "t", &mut reader, &|| false).unwrap();
        let summary = agg.finish(true).unwrap();
        prop_assert_eq!((String::from_utf8(out).unwrap(), summary), expected);
    }


    /// Chunks counted apart and added up print what one pass
    /// prints, with the same counts, diagnostics and errors
    /// (`--strict`, a full disk), with windows down to a second
    /// (many tiny windows a chunk), however the
    /// input is cut into blocks and the blocks into chunks: with
    /// records out of order, records past the bound (for windows
    /// printed or not), malformed lines, and windows of any width.
    #[test]
    fn chunks_counted_apart_add_up_to_one_pass(
        mut lines in log_lines(),
        swaps in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..6),
        block_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        chunk_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
        lateness in prop::sample::select(vec![0u64, 300, 5000]),
        window in prop::sample::select(vec!["1s", "5m", "1h", "1d"]),
        top in 1usize..3,
        emit_counts in any::<bool>(),
        print_open in any::<bool>(),
        strict in any::<bool>(),
        by in prop::sample::select(vec![
            Measure::Records, Measure::Bytes, Measure::Peers, Measure::In, Measure::Out,
        ]),
        disk_room in prop::option::of(0usize..3000),
        filtered in any::<bool>(),
    ) {
        let n = lines.len();
        if n > 0 {
            for (a, b) in &swaps {
                lines.swap(a.index(n), b.index(n));
            }
        }
        let mut cfg = WindowConfig {
            lateness: Duration::from_secs(lateness),
            to_host: Target::parse(b"x").unwrap(),
            from_host: Target::parse(b"zed").unwrap(),
            strict,
            // Plain lines have no bytes: with `--by bytes` both feeds must
            // stop at the same usage error.
            selection: WindowConfig::new_selection(Default::default(), by),
            ..with(window, top, emit_counts, Counting::Exact)
        };
        cfg.report = Report { by, ..cfg.report };
        let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        if filtered {
            // The same lines as a VPC log with a destination port and
            // bytes, and `--dport 22`: the records left out only move the
            // clock.
            cfg.input_format = crate::parse::format::InputFormat::Vpc;
            cfg.selection.filter.dport = Some(crate::parse::filter::PortSet::parse("22").unwrap());
            text = std::iter::once("start srcaddr dstaddr dstport bytes log-status".to_string())
                .chain(lines.iter().enumerate().map(|(i, l)| {
                    format!("{l} {} {} OK", ["22", "80", "-"][i % 3], i * 37 % 1000)
                }))
                .map(|l| l + "\n")
                .collect();
        }
        type Feed<'a> = &'a dyn Fn(&mut Aggregator<&mut FullAfter>) -> Result<(), Error>;
        // Output to a disk that may fill up: both ways must stop at the
        // same record, with the same counts.
        let run = |feed: Feed<'_>| {
            let (mut out, said) = (FullAfter::new(disk_room), Captured::default());
            let diagnostics = Diagnostics::to_writer("t", false, said.clone());
            let mut agg = Aggregator::new(cfg.clone(), &mut out, diagnostics);
            agg.begin_input("in");
            let fed = feed(&mut agg).map_err(|e| e.to_string());
            let summary = match &fed {
                Ok(()) => agg.finish(print_open).map_err(|e| e.to_string()),
                Err(_) => Ok(agg.summary()),
            };
            (String::from_utf8(out.written).unwrap(), summary, said.text(), fed)
        };
        // Blocks cut at line starts, each with the state it starts in.
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut at: Vec<usize> = block_cuts.iter().map(|c| starts[c.index(starts.len())]).collect();
        at.extend([0, text.len()]);
        at.sort();
        at.dedup();
        let mut state = FormatState::new(cfg.input_format);
        let blocks: Vec<RawLines> = at.windows(2).map(|w| {
            let mut raw = RawLines::default();
            crate::parse::batch::Fill::fill(
                &mut raw,
                &text.as_bytes()[w[0]..w[1]],
                &mut state,
                &crate::parse::selection::Selection::default(),
            );
            raw
        }).collect();
        let mut groups: Vec<usize> = chunk_cuts.iter().map(|c| c.index(blocks.len() + 1)).collect();
        groups.extend([0, blocks.len()]);
        groups.sort();
        groups.dedup();
        // One pass over the same blocks (after an error, `--stats`
        // counts the bytes of the blocks parsed so far).
        let one_pass = run(&|agg| {
            blocks.iter().try_for_each(|block| agg.feed(Block::Lines(&block.bytes)))
        });
        let counter = ChunkCounter::new(&cfg).unwrap();
        let chunked = run(&|agg| {
            for g in groups.windows(2) {
                let chunk = &blocks[g[0]..g[1]];
                let mut counted = counter.count(chunk, ParsedLines::default, 0);
                agg.feed_chunk(chunk, &mut counted)?;
            }
            Ok(())
        });
        prop_assert_eq!(chunked, one_pass);
    }

    #[test]
    fn bloom_equals_exact_far_below_capacity(
        lines in log_lines(),
        lateness in prop::sample::select(vec![0u64, 300]),
    ) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let exact = WindowConfig { dedup: Dedup::Exact, ..config("x", "zed", lateness) };
        prop_assert_eq!(
            whole(config("x", "zed", lateness), &text),
            whole(exact, &text)
        );
    }
}

proptest! {
    // Several runs per case: fewer cases, small Bloom filters.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A summary with room for every host of a window prints what
    /// exact counts print; one with less room changes only the top
    /// rows (the lists keep their own names, deduplicated by a Bloom
    /// filter that far below its capacity makes no false positive).
    #[test]
    fn bounded_counting_changes_nothing_but_the_top_rows(
        lines in log_lines(),
        top in 1usize..4,
        lateness in prop::sample::select(vec![0u64, 300]),
    ) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let cfg = |counting| WindowConfig {
            lateness: Duration::from_secs(lateness),
            dedup: Dedup::default(),
            ..with("1h", top, false, counting)
        };
        let exact = whole(cfg(Counting::Exact), &text);
        prop_assert_eq!(&whole(cfg(Counting::Bounded(16)), &text), &exact);
        let lists = |out: &str| -> String {
            out.lines()
                .filter(|l| l.contains("\tTO\t") || l.contains("\tFROM\t"))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        let small = whole(cfg(Counting::Bounded(top)), &text);
        prop_assert_eq!(lists(&small.0), lists(&exact.0));
        prop_assert_eq!(small.1, exact.1);
    }

    /// Windows nest: with nothing closed before the end, the counts
    /// of the 5-minute windows of an hour add up to the hour's.
    #[test]
    fn counts_of_nested_windows_add_up(lines in log_lines()) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let counts = |window| {
            let cfg = WindowConfig {
                lateness: Duration::from_secs(1 << 40),
                dedup: Dedup::Exact,
                ..with(window, 1, true, Counting::Exact)
            };
            let mut sums = std::collections::BTreeMap::new();
            for line in whole(cfg, &text).0.lines() {
                let f: Vec<&str> = line.split('\t').collect();
                if f[1] == "COUNT" {
                    let start: u64 = f[0].trim_end_matches(".0").parse().unwrap();
                    let n: u64 = f[3].parse().unwrap();
                    *sums.entry((start / 3600 * 3600, f[2].to_string())).or_insert(0) += n;
                }
            }
            sums
        };
        prop_assert_eq!(counts("5m"), counts("1h"));
    }

}
