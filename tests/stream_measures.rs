//! `connspy-stream --by` and the filters against a model that reads the
//! Zeek and VPC lines itself (`tests/common/flows.rs`): random logs,
//! random filters, every measure, `--top` and `--emit-counts`; the binary
//! prints what the model says, byte for byte. Then the measures' usage
//! errors, and the bounded mode's stated error bound for weighted counts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use proptest::prelude::*;

mod common;
use common::flows::{HOSTS, ModelRecord, conns, read_vpc, read_zeek, vpc_log, zeek_log};
use common::{run, stderr, stdout};

const BIN: &str = env!("CARGO_BIN_EXE_connspy-stream");

/// Window width of the random runs, in seconds (the logs span 66 min).
const WINDOW: u128 = 600;

/// What a run asks, as the model applies it.
#[derive(Clone, Debug)]
struct Ask {
    to: &'static str,
    from: &'static str,
    by: &'static str,
    top: usize,
    emit_counts: bool,
    dport: Option<(&'static str, Vec<u16>)>,
    proto: Option<(&'static str, Vec<u8>)>,
}

fn asks() -> impl Strategy<Value = Ask> {
    (
        proptest::sample::select(HOSTS),
        proptest::sample::select(HOSTS),
        proptest::sample::select(vec!["records", "bytes", "packets", "peers", "in", "out"]),
        1usize..4,
        any::<bool>(),
        proptest::option::of(proptest::sample::select(vec![
            ("22", vec![22]),
            ("80,443", vec![80, 443]),
        ])),
        proptest::option::of(proptest::sample::select(vec![
            ("tcp", vec![6]),
            ("udp,icmp", vec![17, 1, 58]),
        ])),
    )
        .prop_map(|(to, from, by, top, emit_counts, dport, proto)| Ask {
            to,
            from,
            by,
            top,
            emit_counts,
            dport,
            proto,
        })
}

/// One window as the model builds it: its records in file order.
fn model_window(records: &[&ModelRecord], ask: &Ask) -> String {
    let start = records[0].nanos / 1_000_000_000 / WINDOW * WINDOW;
    let label = format!("{start}.0");
    let lower = |h: &str| h.to_ascii_lowercase();
    // Hosts in first-seen order, FROM before TO in each record.
    let mut hosts: Vec<String> = Vec::new();
    let mut records_of: HashMap<String, u64> = HashMap::new();
    let mut sum_of: HashMap<String, u64> = HashMap::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut to_list: Vec<String> = Vec::new();
    let mut from_list: Vec<String> = Vec::new();
    for r in records {
        let (from, to) = (lower(&r.from), lower(&r.to));
        let weight = match ask.by {
            "bytes" => r.bytes.unwrap_or(0),
            "packets" => r.packets.unwrap_or(0),
            _ => 0,
        };
        for h in [&from, &to] {
            if !hosts.contains(h) {
                hosts.push(h.clone());
            }
            *records_of.entry(h.clone()).or_default() += 1;
            *sum_of.entry(h.clone()).or_default() += weight;
        }
        if !pairs.contains(&(from.clone(), to.clone())) {
            pairs.push((from.clone(), to.clone()));
        }
        if to == lower(ask.to) && !to_list.contains(&from) {
            to_list.push(from.clone());
        }
        if from == lower(ask.from) && !from_list.contains(&to) {
            from_list.push(to.clone());
        }
    }
    let distinct = |h: &str, out: bool, inn: bool| -> u64 {
        let peers: HashSet<&str> = pairs
            .iter()
            .filter_map(|(f, t)| {
                if out && f == h {
                    Some(t.as_str())
                } else if inn && t == h {
                    Some(f.as_str())
                } else {
                    None
                }
            })
            .collect();
        peers.len() as u64
    };
    let value = |h: &str| match ask.by {
        "records" => records_of[h],
        "bytes" | "packets" => sum_of[h],
        "peers" => distinct(h, true, true),
        "in" => distinct(h, false, true),
        _ => distinct(h, true, false),
    };
    let mut out = String::new();
    for h in &to_list {
        out += &format!("{label}\tTO\t{h}\n");
    }
    for h in &from_list {
        out += &format!("{label}\tFROM\t{h}\n");
    }
    // Highest first; a stable sort keeps first-seen order on ties.
    let mut ranked = hosts.clone();
    ranked.sort_by_key(|h| std::cmp::Reverse(value(h)));
    for h in ranked.iter().take(ask.top) {
        if ask.top == 1 {
            out += &format!("{label}\tMOST\t{h}\n");
        } else {
            out += &format!("{label}\tTOP\t{h}\t{}\n", value(h));
        }
    }
    if ask.emit_counts {
        for h in &hosts {
            out += &format!("{label}\tCOUNT\t{h}\t{}\n", records_of[h]);
        }
        match ask.by {
            "bytes" | "packets" => {
                for h in &hosts {
                    out += &format!("{label}\t{}\t{h}\t{}\n", ask.by.to_uppercase(), sum_of[h]);
                }
            }
            "peers" | "in" | "out" => {
                for (f, t) in &pairs {
                    out += &format!("{label}\tPAIR\t{f}\t{t}\n");
                }
            }
            _ => {}
        }
    }
    out
}

/// What `connspy-stream` must print for `ask` over `records` (a log whose
/// lateness stays within the default bound, so that no record is dropped
/// and every window is printed in order).
fn model(records: &[ModelRecord], ask: &Ask) -> String {
    let kept = records.iter().filter(|r| {
        ask.dport
            .as_ref()
            .is_none_or(|(_, ports)| r.dport.is_some_and(|p| ports.contains(&p)))
            && ask
                .proto
                .as_ref()
                .is_none_or(|(_, protos)| r.proto.is_some_and(|p| protos.contains(&p)))
    });
    let mut windows: BTreeMap<u128, Vec<&ModelRecord>> = BTreeMap::new();
    for r in kept {
        windows
            .entry(r.nanos / 1_000_000_000 / WINDOW)
            .or_default()
            .push(r);
    }
    windows.values().map(|w| model_window(w, ask)).collect()
}

fn args_of(ask: &Ask, file: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "--to", ask.to, "--from", ask.from, "--window", "10m", "--by", ask.by,
    ]
    .map(String::from)
    .to_vec();
    args.extend(["--top".into(), ask.top.to_string()]);
    if ask.emit_counts {
        args.push("--emit-counts".into());
    }
    if let Some((text, _)) = &ask.dport {
        args.extend(["--dport".into(), text.to_string()]);
    }
    if let Some((text, _)) = &ask.proto {
        args.extend(["--proto".into(), text.to_string()]);
    }
    args.push(file.to_str().unwrap().into());
    args
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every measure, filter, `--top` and `--emit-counts`, on Zeek TSV and
    /// on VPC logs, is what the model computes from the lines.
    #[test]
    fn measures_and_filters_are_what_the_model_reads(conns in conns(), ask in asks()) {
        let dir = tempfile::tempdir().unwrap();
        for (name, log, records) in [
            ("conn.log", zeek_log(&conns), read_zeek as fn(&str) -> Vec<ModelRecord>),
            ("flows.log", vpc_log(&conns), read_vpc),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, &log).unwrap();
            let args = args_of(&ask, &path);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = run(BIN, &args);
            prop_assert!(o.status.success(), "{name}: {}", stderr(&o));
            prop_assert_eq!(stdout(&o), model(&records(&log), &ask), "{} {:?}", name, args);
        }
    }
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample_data")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_measure_or_filter_the_input_lacks_is_a_usage_error_naming_it() {
    let plain = sample("input-file-10000.txt");
    for (extra, says) in [
        (
            &["--by", "bytes"][..],
            "--by bytes cannot be applied: plain logs have no byte count \
             (zeek, zeek-json and vpc logs have one)",
        ),
        (
            &["--dport", "22"][..],
            "--dport cannot be applied: plain logs have no destination port",
        ),
    ] {
        let mut args = vec!["--to", "a", "--from", "b"];
        args.extend_from_slice(extra);
        args.push(&plain);
        let o = run(BIN, &args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(stdout(&o).is_empty());
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!("connspy-stream: {plain}: {says}")),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let o = run(
        BIN,
        &[
            "--to",
            "a",
            "--from",
            "b",
            "--by",
            "peers",
            "--top-capacity",
            "9",
            &plain,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--by peers counts distinct peers exactly"),
        "{}",
        stderr(&o)
    );
    let o = run(BIN, &["--to", "a", "--from", "b", "--by", "flows", &plain]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("'flows' is not a measure"),
        "{}",
        stderr(&o)
    );
    // Peers need no field beyond the hosts: plain logs have them.
    let o = run(BIN, &["--to", "a", "--from", "b", "--by", "peers", &plain]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `(window, host) -> value` of the TOP lines of a run.
fn tops(text: &str) -> Vec<(String, String, u64)> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            (f[1] == "TOP").then(|| (f[0].to_string(), f[2].to_string(), f[3].parse().unwrap()))
        })
        .collect()
}

#[test]
fn bounded_byte_counts_keep_space_savings_stated_bound() {
    // The sample Zeek log has ~50 hosts an hour: 8 counters evict often.
    let log = sample("conn.log");
    let (capacity, top) = (8u64, 3usize);
    let base = [
        "--to",
        "a",
        "--from",
        "b",
        "--max-log-late-seconds",
        "3600",
        "--by",
        "bytes",
    ];
    let exact = stdout(&run(BIN, &[&base[..], &["--emit-counts", &log]].concat())).to_string();
    let bounded = stdout(&run(
        BIN,
        &[&base[..], &["--top", "3", "--top-capacity", "8", &log]].concat(),
    ))
    .to_string();
    let mut truth: HashMap<(String, String), u64> = HashMap::new();
    let mut total: HashMap<String, u64> = HashMap::new();
    for line in exact.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f[1] == "BYTES" {
            let n: u64 = f[3].parse().unwrap();
            truth.insert((f[0].into(), f[2].into()), n);
            *total.entry(f[0].into()).or_default() += n;
        }
    }
    let printed = tops(&bounded);
    assert!(printed.len() >= 6, "{bounded}");
    for (window, host, count) in printed {
        let t = truth[&(window.clone(), host.clone())];
        let slack = total[&window] / capacity;
        assert!(
            t <= count && count <= t + slack,
            "{window} {host}: {t} <= {count} <= {t} + {slack}"
        );
    }
    // A host above T / min(N, K + 1) is always among the top K.
    for ((window, host), t) in &truth {
        if *t > total[window] / capacity.min(top as u64 + 1) {
            assert!(
                bounded.contains(&format!("{window}\tTOP\t{host}\t")),
                "{window} {host}"
            );
        }
    }
}
