//! Every format gives the answers of the plain log with the same records,
//! and fast seek = full scan on every format: for random logs that keep
//! the lateness bound, rendered as plain lines, Zeek TSV (with header
//! blocks in the middle, as rotated files concatenated), Zeek JSON (number
//! and ISO 8601 times) and VPC flow logs (default and header-given field
//! order, with NODATA records), the fast-seek query, the full scan and a
//! streamed read all print the bytes the plain log's full scan prints.

mod common;

use common::query_output;

use connspy::io::input::MmapChoice;
use connspy::io::sigbus;
use connspy::parse::format::InputFormat;
use connspy::parse::target::Target;
use connspy::parse::timestamp::{Duration, Timestamp};
use connspy::query::{Query, Side};
use proptest::prelude::*;

const HOSTS: [&str; 7] = [
    "zyla",
    "Zyla",
    "10.1.0.7",
    "10.1.200.3",
    "10.2.0.1",
    "2001:db8::1",
    "2001:0DB8:0:0::1",
];
const TARGETS: [&str; 6] = [
    "zyla",
    "10.1.0.0/16",
    "10.1.0.7",
    "2001:db8::1",
    "2001:db8::/32",
    "10.0.0.0/8",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fmt {
    Plain,
    Zeek,
    Json,
    JsonIso,
    Vpc,
    VpcHeader,
}

const FORMATS: [Fmt; 6] = [
    Fmt::Plain,
    Fmt::Zeek,
    Fmt::Json,
    Fmt::JsonIso,
    Fmt::Vpc,
    Fmt::VpcHeader,
];

/// (time in ms, from, to, a header block before it, a NODATA line before it)
type Rec = (u64, usize, usize, bool, bool);

fn zeek_header() -> String {
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
     #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n\
     #types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
        .to_string()
}

fn render(recs: &[Rec], fmt: Fmt) -> Vec<u8> {
    let mut out = String::new();
    match fmt {
        Fmt::Zeek => out.push_str(&zeek_header()),
        Fmt::VpcHeader => out.push_str("version start srcaddr dstaddr log-status\n"),
        _ => {}
    }
    for &(ms, f, t, header, nodata) in recs {
        let (from, to) = (HOSTS[f], HOSTS[t]);
        let (s, m) = (ms / 1000, ms % 1000);
        match fmt {
            Fmt::Plain => out.push_str(&format!("{s}.{m:03} {from} {to}\n")),
            Fmt::Zeek => {
                if header {
                    out.push_str("#close\t2019-08-12-23-00-00\n");
                    out.push_str(&zeek_header());
                }
                out.push_str(&format!("{s}.{m:03}000\tC1\t{from}\t1\t{to}\t2\ttcp\n"));
            }
            Fmt::Json => out.push_str(&format!(
                "{{\"id.resp_h\":\"{to}\",\"ts\":{s}.{m:03},\"x\":[1,{{}}],\"id.orig_h\":\"{from}\"}}\n"
            )),
            Fmt::JsonIso => {
                let t0 = jiff::Timestamp::from_millisecond(ms as i64).unwrap();
                out.push_str(&format!(
                    "{{\"ts\":\"{}\",\"id.orig_h\":\"{from}\",\"id.resp_h\":\"{to}\"}}\n",
                    t0.strftime("%Y-%m-%dT%H:%M:%S.%3fZ")
                ));
            }
            Fmt::Vpc => {
                if nodata {
                    out.push_str(&format!(
                        "2 1 eni-1 - - - - - - - {s} {s} - NODATA\n"
                    ));
                }
                out.push_str(&format!(
                    "2 1 eni-1 {from} {to} 1 2 6 1 1 {s} {s} ACCEPT OK\n"
                ));
            }
            Fmt::VpcHeader => {
                if nodata {
                    out.push_str(&format!("2 {s} - - SKIPDATA\n"));
                }
                out.push_str(&format!("2 {s} {from} {to} OK\n"));
            }
        }
    }
    if fmt == Fmt::Zeek {
        out.push_str("#close\t2019-08-12-23-00-00\n");
    }
    out.into_bytes()
}

fn records() -> impl Strategy<Value = Vec<Rec>> {
    prop::collection::vec(
        (
            0u16..40,
            0u16..1001,
            any::<bool>(),
            0usize..7,
            0usize..7,
            prop::bool::weighted(0.03),
            prop::bool::weighted(0.05),
        ),
        0..300,
    )
    .prop_map(|specs| {
        // Times in whole seconds (VPC has no fraction); late records keep
        // the bound of 60 s.
        let mut newest = 1_565_647_200_000u64;
        specs
            .into_iter()
            .map(|(advance, late, is_late, f, t, header, nodata)| {
                let ms = if is_late {
                    newest - 60_000 * late as u64 / 1000 / 1000 * 1000
                } else {
                    newest += advance as u64 * 1000;
                    newest
                };
                (ms, f, t, header, nodata)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn every_format_answers_like_the_plain_log(
        recs in records(),
        window in (0u16..1000, 0u16..1000),
        target in 0usize..6,
        from_side in any::<bool>(),
        block_bytes in 1usize..3000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (lo, hi) = recs.iter().fold((u64::MAX, 0), |(lo, hi), r| (lo.min(r.0), hi.max(r.0)));
        let (lo, hi) = if recs.is_empty() { (1_565_647_200_000, 1_565_647_200_001) } else { (lo, hi) };
        let span = hi - lo + 20_000;
        let at = |w: u16| lo - 10_000 + span * w as u64 / 1000;
        let mut q = Query {
            target: Target::parse(TARGETS[target].as_bytes()).unwrap(),
            side: if from_side { Side::From } else { Side::To },
            source: None,
            filter: Default::default(),
            summary: false,
            input_format: InputFormat::Auto,
            time_init: Timestamp::from_nanos(at(window.0.min(window.1)) as u128 * 1_000_000),
            time_end: Timestamp::from_nanos(at(window.0.max(window.1)) as u128 * 1_000_000),
            lateness: Duration::from_secs(61),
            fast_seek: false,
            block_bytes,
        };
        let mut want = None;
        for fmt in FORMATS {
            let path = dir.path().join(format!("{fmt:?}.log"));
            std::fs::write(&path, render(&recs, fmt)).unwrap();
            let paths = [path];
            q.fast_seek = false;
            let full = query_output(&q, &paths, MmapChoice::Auto(sigbus::install("test").unwrap()));
            let streamed = query_output(&q, &paths, MmapChoice::Never);
            q.fast_seek = true;
            let fast = query_output(&q, &paths, MmapChoice::Auto(sigbus::install("test").unwrap()));
            let want: &Vec<u8> = want.get_or_insert_with(|| full.clone());
            prop_assert_eq!(&full, want, "{:?} full scan", fmt);
            prop_assert_eq!(&streamed, want, "{:?} streamed", fmt);
            prop_assert_eq!(&fast, want, "{:?} fast seek", fmt);
        }
    }
}

/// Header blocks with different `#fields` orders in one file: every block
/// scan starts in the right layout, however the file is cut into blocks
/// (the window starts at the file's start, so fast seek reads from there:
/// a region that starts after a header block with other `#fields` is the
/// documented limit of fast seek, `docs/formats.md`).
#[test]
fn header_blocks_with_other_field_orders_are_read_in_order() {
    let mut log = String::new();
    let mut plain = String::new();
    for part in 0..6u64 {
        if part % 2 == 0 {
            log.push_str("#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n");
        } else {
            log.push_str("#separator \\x09\n#fields\tid.resp_h\tid.orig_h\tx\tts\n");
        }
        for i in 0..50u64 {
            let ts = 1_565_647_200 + part * 100 + i;
            let (from, to) = (format!("h{}", i % 7), format!("t{}", i % 3));
            if part % 2 == 0 {
                log.push_str(&format!("{ts}\t{from}\t{to}\n"));
            } else {
                log.push_str(&format!("{to}\t{from}\t-\t{ts}\n"));
            }
            plain.push_str(&format!("{ts} {from} {to}\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (z, p) = (dir.path().join("z.log"), dir.path().join("p.log"));
    std::fs::write(&z, log).unwrap();
    std::fs::write(&p, plain).unwrap();
    for block_bytes in [1, 7, 100, 1000, 1 << 20] {
        for fast_seek in [false, true] {
            let q = Query {
                target: Target::parse(b"t1").unwrap(),
                side: Side::To,
                source: None,
                filter: Default::default(),
                summary: false,
                input_format: InputFormat::Auto,
                time_init: Timestamp::from_secs(1_565_647_200),
                time_end: Timestamp::from_secs(1_565_648_000),
                lateness: Duration::from_secs(0),
                fast_seek,
                block_bytes,
            };
            let want = query_output(
                &q,
                std::slice::from_ref(&p),
                MmapChoice::Auto(sigbus::install("test").unwrap()),
            );
            assert_eq!(
                want.split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .count(),
                7
            );
            assert_eq!(
                query_output(
                    &q,
                    std::slice::from_ref(&z),
                    MmapChoice::Auto(sigbus::install("test").unwrap())
                ),
                want,
                "{block_bytes} {fast_seek}"
            );
        }
    }
}
