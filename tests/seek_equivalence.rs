//! Fast seek must never change the answer for a log that keeps the lateness
//! bound: for random such logs and random windows, the fast-seek query, the
//! full scan (`--nofastseek`) and a plain streamed read all print the same
//! bytes, whatever the block size the parallel scan uses.

mod common;

use common::query_output;
use std::io::Write;

use connspy::io::input::MmapChoice;
use connspy::io::sigbus;
use connspy::parse::format::InputFormat;
use connspy::parse::target::Target;
use connspy::parse::timestamp::{Duration, Timestamp};
use connspy::query::{Query, Side};
use proptest::prelude::*;

/// One generated line: what kind, and the random choices that shape it.
#[derive(Clone, Debug)]
struct LineSpec {
    /// 0..=7 a record, 8 a malformed line.
    kind: u8,
    /// Seconds the newest time advances (0 keeps equal timestamps).
    advance: u16,
    /// Late records: how far (as a fraction of L, in 1/1000) behind the newest.
    late_permille: u16,
    from: u8,
    to: u8,
    /// Timestamp form: seconds, milliseconds, fractional seconds.
    ts_form: u8,
    /// Separator style.
    sep: u8,
}

fn line_spec() -> impl Strategy<Value = LineSpec> {
    (0u8..9, 0u16..40, 0u16..1001, 0u8..6, 0u8..6, 0u8..3, 0u8..5).prop_map(
        |(kind, advance, late_permille, from, to, ts_form, sep)| LineSpec {
            kind,
            advance,
            late_permille,
            from,
            to,
            ts_form,
            sep,
        },
    )
}

const HOSTS: [&str; 6] = ["zyla", "Zyla", "alyson", "ALYSON", "10.0.0.1", "q"];
const MALFORMED: [&str; 6] = [
    "",
    "   ",
    "garbage",
    "1565650712 a b c",
    "x1565649944 a b",
    "5. a b",
];

/// Renders a log that keeps the bound `late_ms`, with times in milliseconds
/// from `t0_ms`; returns the bytes and the (min, max) record time.
fn render(
    specs: &[LineSpec],
    t0_ms: u64,
    late_ms: u64,
    crlf: bool,
    final_newline: bool,
) -> (Vec<u8>, u64, u64) {
    let mut out = Vec::new();
    let mut newest = t0_ms;
    let mut oldest = t0_ms;
    for (i, s) in specs.iter().enumerate() {
        let line = if s.kind == 8 {
            MALFORMED[(s.advance as usize) % MALFORMED.len()].to_string()
        } else {
            // A late record is at most L behind the newest: the bound holds.
            let ts = if s.kind == 0 {
                newest - late_ms * s.late_permille as u64 / 1000
            } else {
                newest += s.advance as u64 * 1000 + s.late_permille as u64 % 7;
                newest
            };
            oldest = oldest.min(ts);
            let ts = match s.ts_form {
                0 => format!("{}", ts / 1000),
                1 => format!("{ts}"),
                _ => format!("{}.{:03}", ts / 1000, ts % 1000),
            };
            // Seconds truncate: record the truncated time as the true one.
            let sep = [" ", "\t", "  ", " \t ", "\x0b"][s.sep as usize];
            let edge = if s.sep == 3 { " " } else { "" };
            format!(
                "{edge}{ts}{sep}{}{sep}{}{edge}",
                HOSTS[s.from as usize], HOSTS[s.to as usize]
            )
        };
        out.extend_from_slice(line.as_bytes());
        if i + 1 < specs.len() || final_newline {
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
    }
    (out, oldest, newest)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fast_seek_prints_what_a_full_scan_prints(
        specs in prop::collection::vec(line_spec(), 0..400),
        late_s in 0u64..120,
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        window in (0u16..1000, 0u16..1000),
        host in 0usize..6,
        from_side in any::<bool>(),
        block_bytes in 1usize..3000,
        split_at in 0usize..400,
    ) {
        let t0_ms = 1_565_647_200_000;
        // Seconds-form timestamps truncate up to 999 ms: keep the bound by
        // giving the log one more second of slack than it uses.
        let (log, oldest, newest) = render(&specs, t0_ms, late_s * 1000, crlf, final_newline);
        let late = Duration::from_secs(late_s + 1);
        let span = newest - oldest + 20_000;
        let a = oldest - 10_000 + span * window.0.min(window.1) as u64 / 1000;
        let b = oldest - 10_000 + span * window.0.max(window.1) as u64 / 1000;
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.log");
        std::fs::write(&whole, &log).unwrap();
        // The same log split in two files at a line boundary.
        let cut = log.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i + 1)
            .nth(split_at).unwrap_or(log.len());
        let (p1, p2) = (dir.path().join("a.log"), dir.path().join("b.log"));
        std::fs::File::create(&p1).unwrap().write_all(&log[..cut]).unwrap();
        std::fs::File::create(&p2).unwrap().write_all(&log[cut..]).unwrap();

        let mut q = Query {
            target: Target::parse(HOSTS[host].as_bytes()).unwrap(),
            input_format: InputFormat::Auto,
            side: if from_side { Side::From } else { Side::To },
            source: None,
            filter: Default::default(),
            summary: false,
            time_init: Timestamp::from_nanos(a as u128 * 1_000_000),
            time_end: Timestamp::from_nanos(b as u128 * 1_000_000),
            lateness: late,
            fast_seek: false,
            block_bytes,
        };
        let full = query_output(&q, std::slice::from_ref(&whole), MmapChoice::Auto(sigbus::install("test").unwrap()));
        let streamed = query_output(&q, std::slice::from_ref(&whole), MmapChoice::Never);
        q.fast_seek = true;
        let fast = query_output(&q, std::slice::from_ref(&whole), MmapChoice::Auto(sigbus::install("test").unwrap()));
        let fast_split = query_output(&q, &[p1, p2], MmapChoice::Auto(sigbus::install("test").unwrap()));
        prop_assert_eq!(&fast, &full);
        prop_assert_eq!(&streamed, &full);
        prop_assert_eq!(&fast_split, &full);
    }
}
