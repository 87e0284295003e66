//! The seeker's cost is O(log n) probes: counted on generated layouts of
//! growing size, never timed.

use connspy::parse::timestamp::{Duration, Timestamp};
use connspy::query::seek::seek_region;

/// `n` records one second apart with some records up to `late` seconds
/// behind and a malformed line every 97 lines.
fn layout(n: u64, late: u64) -> Vec<u8> {
    let t0 = 1_565_647_200u64;
    let mut out = Vec::with_capacity(n as usize * 32);
    for i in 0..n {
        let ts = if i % 10 == 3 {
            (t0 + i).saturating_sub(late)
        } else {
            t0 + i
        };
        out.extend_from_slice(format!("{}123 host{} peer{}\n", ts, i % 13, i % 7).as_bytes());
        if i % 97 == 0 {
            out.extend_from_slice(b"garbage line\n");
        }
    }
    out
}

#[test]
fn probes_grow_with_the_logarithm_of_the_size() {
    let late = 300;
    let mut last = 0;
    for n in [1_000u64, 10_000, 100_000, 1_000_000] {
        let log = layout(n, late);
        let mid = 1_565_647_200 + n / 2;
        let s = seek_region(
            &log,
            Timestamp::from_secs(mid),
            Timestamp::from_secs(mid + 60),
            Duration::from_secs(late),
        );
        assert!(s.start_proven && s.end_proven, "n={n}: {s:?}");
        // Two bisections over the bytes: at most about 2 * log2(size) probes.
        let bound = 2 * (usize::BITS - log.len().leading_zeros()) + 4;
        assert!(s.probes <= bound, "n={n}: {} probes > {bound}", s.probes);
        eprintln!("n={n} bytes={} probes={}", log.len(), s.probes);
        // Ten times the data adds about 2 * log2(10) probes, never ten
        // times as many.
        if last > 0 {
            assert!(
                s.probes <= last + 2 * 4 + 6,
                "n={n}: {} probes after {last}",
                s.probes
            );
        }
        last = s.probes;
        // And the region read is about the window plus L either side.
        let region_lines = log[s.start..s.end].iter().filter(|&&b| b == b'\n').count() as u64;
        assert!(
            region_lines <= 60 + 2 * late + 20,
            "n={n}: read {region_lines} lines"
        );
    }
}
