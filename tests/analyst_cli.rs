//! The analyst's options of `connspy` (`--dport`, `--sport`, `--proto`,
//! `--action`, `--to` with `--from`, `--summary`) against a model that
//! reads the Zeek and VPC lines itself: the obvious loops over split
//! fields, sharing nothing with the library's parsers. Random logs, random
//! queries, fast seek and full reads: the binary prints what the model
//! says, byte for byte.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use proptest::prelude::*;

mod common;
use common::H;
use common::flows::{
    Conn, HOSTS, ModelRecord, conns, read_vpc, read_zeek, read_zeek_json, vpc_log, zeek_json_log,
    zeek_log,
};

const QUERY: &str = env!("CARGO_BIN_EXE_connspy");
const STREAM: &str = env!("CARGO_BIN_EXE_connspy-stream");

fn run(args: &[&str]) -> Output {
    Command::new(QUERY).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A query's options, as the model applies them.
#[derive(Clone, Debug)]
struct Ask {
    to: Option<&'static str>,
    from: Option<&'static str>,
    init: u128,
    end: u128,
    dport: Option<(&'static str, Vec<(u16, u16)>)>,
    sport: Option<(&'static str, Vec<(u16, u16)>)>,
    proto: Option<(&'static str, Vec<u8>)>,
    action: Option<&'static str>,
    summary: bool,
}

fn asks() -> impl Strategy<Value = Ask> {
    let target = proptest::option::of(proptest::sample::select(HOSTS));
    let ports = proptest::option::of(proptest::sample::select(vec![
        ("22", vec![(22, 22)]),
        ("80,443", vec![(80, 80), (443, 443)]),
        ("6000-6100", vec![(6000, 6100)]),
        ("22,6000-6100", vec![(22, 22), (6000, 6100)]),
    ]));
    let sports = proptest::option::of(proptest::sample::select(vec![
        ("1024-1050", vec![(1024, 1050)]),
        ("1060", vec![(1060, 1060)]),
    ]));
    let protos = proptest::option::of(proptest::sample::select(vec![
        ("tcp", vec![6]),
        ("udp,tcp", vec![17, 6]),
        ("icmp", vec![1, 58]),
        ("58", vec![58]),
    ]));
    (
        target.clone(),
        target,
        0u128..4_000_000_000_000,
        0u128..4_000_000_000_000,
        ports,
        sports,
        protos,
        proptest::option::of(proptest::sample::select(&["accept", "reject"][..])),
        any::<bool>(),
    )
        .prop_map(
            |(to, from, a, b, dport, sport, proto, action, summary)| Ask {
                // One of them at least.
                to: to.or(if from.is_none() { Some(HOSTS[0]) } else { None }),
                from,
                init: H as u128 * 1_000_000_000 + a.min(b),
                end: H as u128 * 1_000_000_000 + a.max(b),
                dport,
                sport,
                proto,
                action,
                summary,
            },
        )
}

fn in_ranges(v: Option<u16>, ranges: &[(u16, u16)]) -> bool {
    v.is_some_and(|v| ranges.iter().any(|&(a, b)| (a..=b).contains(&v)))
}

/// Whether `r` passes the port, protocol and action filters of `ask`.
fn passes_filters(r: &ModelRecord, ask: &Ask) -> bool {
    ask.dport
        .as_ref()
        .is_none_or(|(_, p)| in_ranges(r.dport, p))
        && ask
            .sport
            .as_ref()
            .is_none_or(|(_, p)| in_ranges(r.sport, p))
        && ask
            .proto
            .as_ref()
            .is_none_or(|(_, p)| r.proto.is_some_and(|n| p.contains(&n)))
        && ask
            .action
            .is_none_or(|a| r.action.as_ref().is_some_and(|v| v.eq_ignore_ascii_case(a)))
}

/// What `connspy` must print for `ask` over `records`: the rows, in the
/// order of each key's first record.
fn model(records: &[ModelRecord], ask: &Ask) -> String {
    // Key (lower case), then the records that answer it.
    let mut order: Vec<String> = Vec::new();
    let mut answers: HashMap<String, Vec<&ModelRecord>> = HashMap::new();
    for r in records {
        let eq =
            |target: Option<&str>, host: &str| target.is_none_or(|t| t.eq_ignore_ascii_case(host));
        let passes = r.nanos >= ask.init
            && r.nanos < ask.end
            && eq(ask.to, &r.to)
            && eq(ask.from, &r.from)
            && passes_filters(r, ask);
        if !passes {
            continue;
        }
        let key = match (ask.to, ask.from) {
            (Some(_), Some(_)) => format!("{}\t{}", r.from, r.to),
            (Some(_), None) => r.from.clone(),
            _ => r.to.clone(),
        }
        .to_ascii_lowercase();
        if !answers.contains_key(&key) {
            order.push(key.clone());
        }
        answers.entry(key).or_default().push(r);
    }
    let mut out = String::new();
    if ask.summary {
        let hosts = if ask.to.is_some() && ask.from.is_some() {
            "from\tto"
        } else {
            "host"
        };
        out.push_str(&format!(
            "{hosts}\tfirst_seen\tlast_seen\trecords\tbytes\tpackets\tdports\tmore_dports\n"
        ));
    }
    for key in order {
        out.push_str(&key);
        if ask.summary {
            let rs = &answers[&key];
            // The earliest and latest record; a tie goes to the first met.
            let first = rs
                .iter()
                .fold(rs[0], |a, r| if r.nanos < a.nanos { r } else { a });
            let last = rs
                .iter()
                .fold(rs[0], |a, r| if r.nanos > a.nanos { r } else { a });
            let total = |f: fn(&ModelRecord) -> Option<u64>| {
                let given: Vec<u64> = rs.iter().filter_map(|r| f(r)).collect();
                if given.is_empty() {
                    "-".to_string()
                } else {
                    given.iter().sum::<u64>().to_string()
                }
            };
            let mut ports: Vec<u16> = Vec::new();
            for p in rs.iter().filter_map(|r| r.dport) {
                if !ports.contains(&p) {
                    ports.push(p);
                }
            }
            let (dports, more) = if ports.is_empty() {
                ("-".to_string(), "-")
            } else {
                let more = if ports.len() > 16 { "true" } else { "false" };
                let shown: Vec<String> = ports.iter().take(16).map(u16::to_string).collect();
                (shown.join(","), more)
            };
            out.push_str(&format!(
                "\t{}\t{}\t{}\t{}\t{}\t{dports}\t{more}",
                first.ts_text,
                last.ts_text,
                rs.len(),
                total(|r| r.bytes),
                total(|r| r.packets),
            ));
        }
        out.push('\n');
    }
    out
}

/// The formats of the model tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Zeek,
    ZeekJson,
    Vpc,
}

fn formats() -> impl Strategy<Value = Format> {
    proptest::sample::select(vec![Format::Zeek, Format::ZeekJson, Format::Vpc])
}

/// A written log: its directory (removed when dropped), file, text, and
/// records as the model reads them back.
type Written = (
    tempfile::TempDir,
    std::path::PathBuf,
    String,
    Vec<ModelRecord>,
);

/// `conns` written as a log of `format` in a new directory.
fn written(conns: &[Conn], format: Format) -> Written {
    let dir = tempfile::tempdir().unwrap();
    let (log, records) = match format {
        Format::Vpc => {
            let log = vpc_log(conns);
            let records = read_vpc(&log);
            (log, records)
        }
        Format::Zeek => {
            let log = zeek_log(conns);
            let records = read_zeek(&log);
            (log, records)
        }
        Format::ZeekJson => {
            let log = zeek_json_log(conns);
            let records = read_zeek_json(&log);
            (log, records)
        }
    };
    let file = dir.path().join("conn.log");
    std::fs::write(&file, &log).unwrap();
    (dir, file, log, records)
}

/// `ask` for a log of that format: Zeek has no action, so no `--action`
/// (a usage error there, tested on its own).
fn for_format(mut ask: Ask, format: Format) -> Ask {
    if format != Format::Vpc {
        ask.action = None;
    }
    ask
}

/// A nanosecond count as the command line takes it.
fn time_arg(nanos: u128) -> String {
    format!("{}.{:09}", nanos / 1_000_000_000, nanos % 1_000_000_000)
}

fn args_of(ask: &Ask, file: &Path, fast_seek: bool) -> Vec<String> {
    let mut args = vec![
        "--time-init".to_string(),
        time_arg(ask.init),
        "--time-end".to_string(),
        time_arg(ask.end),
    ];
    let mut option = |name: &str, value: Option<&str>| {
        if let Some(v) = value {
            args.extend([name.to_string(), v.to_string()]);
        }
    };
    option("--to", ask.to);
    option("--from", ask.from);
    option("--dport", ask.dport.as_ref().map(|d| d.0));
    option("--sport", ask.sport.as_ref().map(|d| d.0));
    option("--proto", ask.proto.as_ref().map(|d| d.0));
    option("--action", ask.action);
    if ask.summary {
        args.push("--summary".to_string());
    }
    if !fast_seek {
        args.push("--no-fast-seek".to_string());
    }
    args.push(file.display().to_string());
    args
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Zeek TSV, Zeek JSON and VPC logs, every option at random: the binary's stdout
    /// is the model's, with fast seek and with a full read.
    #[test]
    fn the_options_answer_as_the_model_reads_the_lines(
        conns in conns(),
        ask in asks(),
        format in formats(),
    ) {
        let (_dir, file, log, records) = written(&conns, format);
        let ask = for_format(ask, format);
        let expected = model(&records, &ask);
        for fast_seek in [true, false] {
            let args = args_of(&ask, &file, fast_seek);
            let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert!(o.status.success(), "{args:?}: {}", stderr(&o));
            prop_assert_eq!(stdout(&o), expected.clone(), "{:?}\n{}", args, log);
        }
    }
}

/// The window width and lateness bound of the stream tests, in ns: 5
/// minutes each, so that a test log spans a dozen windows.
const W: u128 = 300_000_000_000;

/// A window of the stream model: its TO list, FROM list, and each host's
/// count in the order hosts entered it.
type ModelWindow = (Vec<String>, Vec<String>, Vec<(String, u64)>);

/// What `connspy-stream --window 5m --max-log-late-seconds 300` must
/// print for the records that pass the filters of `ask`, `--to` and
/// `--from` being `to` and `from`. The logs keep their bound, so no
/// record is too late: each window with a record that passes is printed,
/// at the end if not before; with `only_complete`, only those the newest
/// time of all records (filtered out or not) proves complete.
fn stream_model(
    records: &[ModelRecord],
    ask: &Ask,
    to: &str,
    from: &str,
    only_complete: bool,
) -> String {
    let newest = records.iter().map(|r| r.nanos).max().unwrap_or(0);
    // Window start, then its TO list, FROM list and counts in entry order.
    let mut windows: std::collections::BTreeMap<u128, ModelWindow> = Default::default();
    for r in records.iter().filter(|r| passes_filters(r, ask)) {
        let (f, t) = (r.from.to_ascii_lowercase(), r.to.to_ascii_lowercase());
        let (tos, froms, counts) = windows.entry(r.nanos / W * W).or_default();
        if t == to && !tos.contains(&f) {
            tos.push(f.clone());
        }
        if f == from && !froms.contains(&t) {
            froms.push(t.clone());
        }
        for host in [f, t] {
            match counts.iter_mut().find(|(h, _)| *h == host) {
                Some((_, n)) => *n += 1,
                None => counts.push((host, 1)),
            }
        }
    }
    let mut out = String::new();
    for (start, (tos, froms, counts)) in windows {
        if only_complete && newest <= start + W + W {
            continue;
        }
        let label = format!("{}.0", start / 1_000_000_000);
        for host in tos {
            out.push_str(&format!("{label}\tTO\t{host}\n"));
        }
        for host in froms {
            out.push_str(&format!("{label}\tFROM\t{host}\n"));
        }
        // The highest count; a tie goes to the host that entered first.
        let most = counts
            .iter()
            .fold(&counts[0], |a, c| if c.1 > a.1 { c } else { a });
        out.push_str(&format!("{label}\tMOST\t{}\n", most.0));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// `connspy-stream` with filters prints the windows the model makes
    /// of the records that pass; records left out still move the clock
    /// that proves windows complete.
    #[test]
    fn the_stream_counts_and_lists_the_records_that_pass(
        conns in conns(),
        ask in asks(),
        format in formats(),
        to in proptest::sample::select(HOSTS),
        from in proptest::sample::select(HOSTS),
        only_complete in any::<bool>(),
    ) {
        let (_dir, file, log, records) = written(&conns, format);
        let ask = for_format(ask, format);
        let (to, from) = (to.to_ascii_lowercase(), from.to_ascii_lowercase());
        let expected = stream_model(&records, &ask, &to, &from, only_complete);
        let mut args = vec![
            "--to".to_string(), to.clone(), "--from".to_string(), from.clone(),
            "--window".to_string(), "5m".to_string(),
            "--max-log-late-seconds".to_string(), "300".to_string(),
        ];
        for (name, value) in [
            ("--dport", ask.dport.as_ref().map(|d| d.0)),
            ("--sport", ask.sport.as_ref().map(|d| d.0)),
            ("--proto", ask.proto.as_ref().map(|d| d.0)),
            ("--action", ask.action),
        ] {
            if let Some(value) = value {
                args.extend([name.to_string(), value.to_string()]);
            }
        }
        if only_complete {
            args.push("--only-complete-hours".to_string());
        }
        args.push(file.display().to_string());
        let o = Command::new(STREAM).args(&args).output().unwrap();
        prop_assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        prop_assert_eq!(stdout(&o), expected, "{:?}\n{}", args, log);
    }
}

#[test]
fn records_left_out_still_close_windows() {
    // The only record after the first window is left out by --dport, and
    // it alone proves that window complete.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vpc.log");
    std::fs::write(
        &log,
        "2 1 eni 10.0.0.1 10.0.0.9 5000 22 6 1 60 1565647200 1565647260 ACCEPT OK\n\
         2 1 eni 10.0.0.1 10.0.0.9 5000 80 6 1 60 1565654400 1565654460 ACCEPT OK\n",
    )
    .unwrap();
    let o = Command::new(STREAM)
        .args([
            "--to",
            "10.0.0.9",
            "--from",
            "x",
            "--dport",
            "22",
            "--only-complete-hours",
        ])
        .arg(&log)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "1565647200.0\tTO\t10.0.0.1\n1565647200.0\tMOST\t10.0.0.1\n"
    );
}

#[test]
fn a_stream_filter_on_a_field_the_input_lacks_is_a_usage_error_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let zeek = zeek_file(dir.path());
    let plain = dir.path().join("plain.log");
    std::fs::write(&plain, "1565647200 a b\n").unwrap();
    // The Zeek log would print a window first: the plain one after it is
    // refused before.
    let o = Command::new(STREAM)
        .args(["--to", "b", "--from", "a", "--dport", "22", &zeek])
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        format!(
            "connspy-stream: {}: --dport cannot be applied: plain logs have no destination port \
             (zeek, zeek-json and vpc logs have one)\n",
            plain.display()
        )
    );
}

/// A small Zeek log: unset fields, ICMP over IPv4 and IPv6.
const ZEEK: &str = "#separator \\x09\n\
#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\n\
1565647200.000001\t10.0.0.1\t5000\t10.0.0.9\t22\ttcp\t3\t180\t2\t120\n\
1565647201.5\t10.0.0.2\t-\t10.0.0.9\t-\ttcp\t1\t60\t0\t0\n\
1565647202.000000\t2001:db8::1\t128\t10.0.0.9\t0\ticmp\t1\t-\t-\t-\n\
1565647203.000000\t10.0.0.3\t8\t10.0.0.9\t0\ticmp\t1\t84\t1\t84\n";

fn zeek_file(dir: &Path) -> String {
    let file = dir.join("conn.log");
    std::fs::write(&file, ZEEK).unwrap();
    file.display().to_string()
}

fn answer(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

const RANGE: [&str; 4] = ["--time-init", "1565647200", "--time-end", "1565650800"];

#[test]
fn unset_fields_match_no_filter_and_icmp_is_told_by_address_family() {
    let dir = tempfile::tempdir().unwrap();
    let file = zeek_file(dir.path());
    let to = |extra: &[&str]| {
        let mut args = vec!["--to", "10.0.0.9"];
        args.extend(RANGE);
        args.extend(extra);
        args.push(&file);
        answer(&args)
    };
    assert_eq!(to(&[]), "10.0.0.1\n10.0.0.2\n2001:db8::1\n10.0.0.3\n");
    // `-` ports match no port filter, not even the full range.
    assert_eq!(to(&["--dport", "0-65535", "--proto", "tcp"]), "10.0.0.1\n");
    assert_eq!(to(&["--sport", "0-65535", "--proto", "tcp"]), "10.0.0.1\n");
    assert_eq!(to(&["--proto", "icmp"]), "2001:db8::1\n10.0.0.3\n");
    assert_eq!(to(&["--proto", "58"]), "2001:db8::1\n");
    assert_eq!(to(&["--proto", "1"]), "10.0.0.3\n");
    assert_eq!(to(&["--proto", "udp"]), "");
}

#[test]
fn summary_rows_keep_the_logs_precision_and_say_what_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let file = zeek_file(dir.path());
    let mut args = vec!["--to", "10.0.0.9", "--summary"];
    args.extend(RANGE);
    args.push(&file);
    let o = run(&args);
    assert_eq!(
        stdout(&o),
        "host\tfirst_seen\tlast_seen\trecords\tbytes\tpackets\tdports\tmore_dports\n\
         10.0.0.1\t1565647200.000001\t1565647200.000001\t1\t300\t5\t22\tfalse\n\
         10.0.0.2\t1565647201.5\t1565647201.5\t1\t60\t1\t-\t-\n\
         2001:db8::1\t1565647202.000000\t1565647202.000000\t1\t-\t1\t0\tfalse\n\
         10.0.0.3\t1565647203.000000\t1565647203.000000\t1\t168\t2\t0\tfalse\n"
    );
    let mut csv = args.clone();
    csv.extend(["--format", "csv"]);
    let rows = answer(&csv);
    let mut lines = rows.lines();
    assert_eq!(
        lines.next(),
        Some(
            "time_init_ns,time_init_rfc3339,time_end_ns,time_end_rfc3339,kind,target,seq,host,first_seen,last_seen,records,bytes,packets,dports,more_dports"
        )
    );
    assert_eq!(
        lines.nth(1),
        Some(
            "1565647200000000000,2019-08-12T22:00:00Z,1565650800000000000,2019-08-12T23:00:00Z,to,10.0.0.9,2,10.0.0.2,1565647201.5,1565647201.5,1,60,1,,"
        )
    );
    let mut jsonl = args.clone();
    jsonl.extend(["--format", "jsonl"]);
    let rows = answer(&jsonl);
    let third: serde_json::Value = serde_json::from_str(rows.lines().nth(2).unwrap()).unwrap();
    assert_eq!(third["host"], "2001:db8::1");
    assert_eq!(third["packets"], 1);
    assert!(third.get("bytes").is_none(), "{third}");
    assert_eq!(third["first_seen"].as_f64(), Some(1565647202.0));
}

#[test]
fn pairs_are_from_to_lines_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let file = zeek_file(dir.path());
    let mut args = vec!["--to", "10.0.0.0/24", "--from", "10.0.0.0/8"];
    args.extend(RANGE);
    args.push(&file);
    assert_eq!(
        answer(&args),
        "10.0.0.1\t10.0.0.9\n10.0.0.2\t10.0.0.9\n10.0.0.3\t10.0.0.9\n"
    );
    args.extend(["--format", "csv"]);
    assert_eq!(
        answer(&args).lines().take(2).collect::<Vec<_>>(),
        [
            "time_init_ns,time_init_rfc3339,time_end_ns,time_end_rfc3339,kind,from_target,to_target,seq,from,to",
            "1565647200000000000,2019-08-12T22:00:00Z,1565650800000000000,2019-08-12T23:00:00Z,pair,10.0.0.0/8,10.0.0.0/24,1,10.0.0.1,10.0.0.9"
        ]
    );
}

#[test]
fn a_filter_on_a_field_the_input_lacks_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let zeek = zeek_file(dir.path());
    let plain = dir.path().join("plain.log");
    std::fs::write(&plain, "1565647200 a b\n").unwrap();
    let plain = plain.display().to_string();
    let vpc = dir.path().join("vpc.log");
    std::fs::write(
        &vpc,
        "start srcaddr dstaddr log-status\n1565647200 a b OK\n",
    )
    .unwrap();
    let vpc = vpc.display().to_string();
    let cases: [(&[&str], String); 4] = [
        (
            &["--action", "reject", &zeek],
            format!("connspy: {zeek}: --action cannot be applied: zeek logs have no action (vpc logs have one)\n"),
        ),
        (
            &["--dport", "22", &plain],
            format!("connspy: {plain}: --dport cannot be applied: plain logs have no destination port (zeek, zeek-json and vpc logs have one)\n"),
        ),
        (
            &["--proto", "tcp", &vpc],
            format!("connspy: {vpc}: --proto cannot be applied: this vpc log's header names no protocol column (the protocol)\n"),
        ),
        (
            &["--sport", "1", "--input-format", "plain", "-"],
            "connspy: <stdin>: --sport cannot be applied: plain logs have no source port (zeek, zeek-json and vpc logs have one)\n".to_string(),
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["--to", "b"];
        args.extend(RANGE);
        args.extend(extra);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}");
        assert_eq!(stderr(&o), message, "{args:?}");
    }
    // Without a filter, --summary reads a plain log: no bytes to give.
    let mut args = vec!["--to", "b", "--summary"];
    args.extend(RANGE);
    args.push(&plain);
    assert_eq!(
        answer(&args).lines().nth(1),
        Some("a\t1565647200\t1565647200\t1\t-\t-\t-\t-")
    );
}

#[test]
fn a_stream_filter_on_stdin_ends_the_run_at_its_first_record() {
    use std::io::Write;
    let mut child = Command::new(STREAM)
        .args(["--to", "b", "--from", "a", "--sport", "1", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The input may be refused before it is all written.
    let _ = child
        .stdin
        .take()
        .unwrap()
        .write_all(b"1565647200 a b\n1565647201 a b\n");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "connspy-stream: <stdin>: --sport cannot be applied: plain logs have no source port \
         (zeek, zeek-json and vpc logs have one)\n"
    );
}
