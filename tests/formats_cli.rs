//! Both tools on Zeek TSV, Zeek JSON and VPC flow logs made by
//! `examples/genlog.rs` from the same records as a plain log: every answer
//! is byte for byte the plain log's (fast seek and full scan, `--to` and
//! `--from` with hosts, networks and lists, `connspy-stream` with its
//! options, several files, stdin, gzip). Bad lines of each format are
//! reported with the format and field.
//!
//! The generator is the example binary `cargo test` builds beside the
//! tests (`cargo test --test formats_cli --examples` when run alone).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{run, run_with_stdin, stdout_of};

const QUERY: &str = env!("CARGO_BIN_EXE_connspy");
const STREAM: &str = env!("CARGO_BIN_EXE_connspy-stream");

fn genlog_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("genlog");
    assert!(
        bin.exists(),
        "{} is not built: run `cargo test` (or add --examples)",
        bin.display()
    );
    bin
}

/// Writes the genlog output for `args` to `path`.
fn genlog(path: &Path, args: &[&str]) {
    let out = Command::new(genlog_bin())
        .args(args)
        .arg("--out")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The records of both days, the formats they are written in.
const COMMON: &[&str] = &[
    "--lines",
    "5000",
    "--hosts",
    "1000",
    "--ip-fraction",
    "0.6",
    "--ts-format",
    "s",
    "--late",
    "200",
    "--malformed",
    "0.002",
    "--upper-fraction",
    "0.1",
];
const FORMATS: &[(&str, &[&str])] = &[
    ("plain", &[]),
    ("zeek", &["--rotate-lines", "1500"]),
    ("zeek-json", &[]),
    ("zeek-json", &["--iso-ts"]),
    ("vpc", &["--nodata-fraction", "0.01"]),
    ("vpc", &["--vpc-header", "--nodata-fraction", "0.01"]),
];

struct Logs {
    _dir: tempfile::TempDir,
    list: PathBuf,
    /// Per format: (name, day 1, day 2).
    files: Vec<(String, PathBuf, PathBuf)>,
}

fn logs() -> Logs {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, (format, extra)) in FORMATS.iter().enumerate() {
        let mut days = Vec::new();
        for (day, start, seed) in [(1, "1565647200", "1"), (2, "1565733600", "2")] {
            let path = dir.path().join(format!("{i}-{format}-{day}.log"));
            let mut args = COMMON.to_vec();
            args.extend(["--start", start, "--seed", seed, "--log-format", format]);
            args.extend(extra.iter());
            genlog(&path, &args);
            days.push(path);
        }
        let name = format!("{format}{}", extra.join(" "));
        files.push((name, days[0].clone(), days[1].clone()));
    }
    let list = dir.path().join("internal.txt");
    std::fs::write(&list, "# the lab\n10.16.0.0/12\nmomil   # a name\n\n").unwrap();
    Logs {
        _dir: dir,
        list,
        files,
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `base`, then `extra`, then the files.
fn with<'a>(base: &[&'a str], extra: &[&'a str], files: &[&'a Path]) -> Vec<&'a str> {
    let mut v = base.to_vec();
    v.extend(extra);
    v.extend(files.iter().map(|p| path(p)));
    v
}

#[test]
fn every_format_answers_like_the_plain_log() {
    let logs = logs();
    let list = format!("@{}", path(&logs.list));
    let day1_hour = ["--time-init", "1565690400", "--time-end", "1565694000"];
    let both_days = ["--time-init", "1565647200", "--time-end", "1565820000"];
    let queries: Vec<Vec<&str>> = vec![
        [&["--to", "10.0.0.0/9"][..], &day1_hour].concat(),
        [&["--to", "momil"][..], &both_days].concat(),
        [&["--from", "10.64.0.0/10"][..], &both_days].concat(),
        [&["--to", list.as_str()][..], &day1_hour].concat(),
        [
            &["--from", list.as_str(), "--format", "jsonl"][..],
            &both_days,
        ]
        .concat(),
    ];
    let streams: Vec<Vec<&str>> = vec![
        vec!["--to", "momil", "--from", "10.0.0.0/8"],
        vec![
            "--to",
            "10.128.0.0/9",
            "--from",
            list.as_str(),
            "--top",
            "3",
        ],
        vec![
            "--to",
            list.as_str(),
            "--from",
            "momil",
            "--window",
            "15m",
            "--emit-counts",
            "--format",
            "csv",
        ],
        vec![
            "--to",
            "momil",
            "--from",
            "momil",
            "--exact",
            "--top-capacity",
            "50",
            "--top",
            "2",
            "--only-complete-hours",
        ],
    ];
    let (_, plain1, plain2) = &logs.files[0];
    for (name, day1, day2) in &logs.files {
        for q in &queries {
            for fast in [&[][..], &["--no-fast-seek"]] {
                let want = stdout_of(QUERY, &with(q, fast, &[plain1, plain2]));
                assert!(!want.is_empty(), "{q:?} answers nothing: a weak test");
                let got = stdout_of(QUERY, &with(q, fast, &[day1, day2]));
                assert_eq!(got, want, "connspy {name} {q:?} {fast:?}");
            }
            // Standard input.
            let mut args = q.clone();
            args.push("-");
            let want = stdout_of(QUERY, &[&args[..args.len() - 1], &[path(plain1)]].concat());
            let got = run_with_stdin(QUERY, &args, &std::fs::read(day1).unwrap());
            assert_eq!(got.stdout, want, "connspy {name} {q:?} on stdin");
        }
        for s in &streams {
            let want = stdout_of(STREAM, &with(s, &[], &[plain1, plain2]));
            assert!(!want.is_empty());
            let got = stdout_of(STREAM, &with(s, &[], &[day1, day2]));
            assert_eq!(got, want, "connspy-stream {name} {s:?}");
            let want = stdout_of(STREAM, &with(s, &[], &[plain1]));
            let got = run_with_stdin(STREAM, s, &std::fs::read(day1).unwrap());
            assert_eq!(got.stdout, want, "connspy-stream {name} {s:?} on stdin");
        }
    }
}

#[test]
fn gzip_inputs_of_every_format_answer_alike() {
    let logs = logs();
    let (_, plain1, _) = &logs.files[0];
    let q = [
        "--to",
        "10.0.0.0/9",
        "--time-init",
        "1565690400",
        "--time-end",
        "1565694000",
    ];
    let want = stdout_of(QUERY, &[&q[..], &[path(plain1)]].concat());
    let s = ["--to", "momil", "--from", "10.0.0.0/8"];
    let want_stream = stdout_of(STREAM, &[&s[..], &[path(plain1)]].concat());
    for (name, day1, _) in &logs.files {
        let gz = day1.with_extension("log.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(&std::fs::read(day1).unwrap()).unwrap();
        enc.finish().unwrap();
        assert_eq!(
            stdout_of(QUERY, &[&q[..], &[path(&gz)]].concat()),
            want,
            "{name}"
        );
        assert_eq!(
            stdout_of(STREAM, &[&s[..], &[path(&gz)]].concat()),
            want_stream,
            "{name}"
        );
    }
}

#[test]
fn nodata_records_are_skipped_and_counted_not_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vpc.log");
    std::fs::write(
        &log,
        "version start srcaddr dstaddr log-status\n\
         2 1565647200 10.0.0.1 10.1.0.1 OK\n\
         2 1565647201 - - NODATA\n\
         2 1565647202 - - SKIPDATA\n\
         2 1565647203 10.0.0.2 10.1.0.1 OK\n",
    )
    .unwrap();
    let out = run(
        STREAM,
        &["--to", "10.1.0.0/16", "--from", "x", "--stats", path(&log)],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("malformed=0 ") && err.contains("skipped=2"),
        "{err}"
    );
    // (Fast seek parses only the lines that can match: it counts those.)
    let out = run(
        QUERY,
        &[
            "--to",
            "10.1.0.1",
            "--time-init",
            "0",
            "--time-end",
            "1565650000",
            "--no-fast-seek",
            path(&log),
        ],
    );
    assert_eq!(out.stdout, b"10.0.0.1\n10.0.0.2\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("skipped 2 NODATA/SKIPDATA") && !err.contains("malformed"),
        "{err}"
    );
}

/// Runs connspy over `text` with `extra` options; returns its stderr.
fn complaints(text: &str, extra: &[&str]) -> (String, Option<i32>) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bad.log");
    std::fs::write(&log, text).unwrap();
    let mut args = vec![
        "--to",
        "b",
        "--time-init",
        "0",
        "--time-end",
        "1565650000",
        "--no-fast-seek",
    ];
    args.extend(extra);
    args.push(path(&log));
    let out = run(QUERY, &args);
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn bad_lines_name_the_format_and_the_field() {
    let zeek = "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n";
    let cases = [
        (
            format!("{zeek}x\ta\tb\n"),
            "bad.log:3: skipped malformed line: zeek: ts is not a time",
        ),
        (format!("{zeek}1\t-\tb\n"), "zeek: id.orig_h is unset"),
        (
            format!("{zeek}1\ta\n"),
            "zeek: fewer fields than #fields names",
        ),
        (
            "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_p\n1\ta\tb\n".to_string(),
            "bad.log:2: skipped malformed line: zeek: #fields lacks id.resp_h",
        ),
        (
            "{\"ts\":1,\"id.orig_h\":\"a\",\"id.resp_h\":\"b\"}\nnot json\n".to_string(),
            "bad.log:2: skipped malformed line: zeek-json: not a JSON object",
        ),
        (
            "{\"ts\":\"noon\",\"id.orig_h\":\"a\",\"id.resp_h\":\"b\"}\n".to_string(),
            "zeek-json: ts is not a time",
        ),
        (
            "version start srcaddr dstaddr\nx 5 a b\n2 x a b\n".to_string(),
            "bad.log:3: skipped malformed line: vpc: start is not a time",
        ),
        (
            format!("1 a b\n{zeek}2 a b\n"),
            "bad.log:2: skipped malformed line: plain: a Zeek header line in the middle of a plain log",
        ),
    ];
    for (text, want) in &cases {
        let (err, status) = complaints(text, &[]);
        assert!(err.contains(want), "{text:?}: {err}");
        assert_eq!(status, Some(0));
    }
    let (err, status) = complaints(&cases[0].0, &["--strict"]);
    assert_eq!(status, Some(1), "{err}");
    assert!(err.contains("zeek: ts is not a time"), "{err}");
}

#[test]
fn input_format_overrides_the_detection() {
    let zeek = "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n1\ta\tb\n";
    let (err, _) = complaints(zeek, &["--input-format", "plain"]);
    assert!(err.contains("plain: a Zeek header line"), "{err}");
    let (err, _) = complaints("1 a b\n", &["--input-format", "zeek"]);
    assert!(
        err.contains("zeek: no #fields header line before this record"),
        "{err}"
    );
    let (err, status) = complaints("1 a b\n", &["--input-format", "csv"]);
    assert_eq!(status, Some(2));
    assert!(err.contains("'csv' is not an input format"), "{err}");
}

#[test]
fn bad_targets_are_usage_errors() {
    for (target, want) in [
        (
            "10.1.2.3/16",
            "has host bits set (the network is 10.1.0.0/16)",
        ),
        ("10.0.0.0/40", "is not a network"),
        ("@/nonexistent/list.txt", "cannot read the host list"),
    ] {
        let out = run(
            QUERY,
            &["--to", target, "--time-init", "0", "--time-end", "1", "-"],
        );
        assert_eq!(out.status.code(), Some(2), "{target}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(want) && err.lines().count() == 1,
            "{target}: {err}"
        );
    }
}

#[test]
fn a_network_target_lists_every_peer_of_any_host_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("net.log");
    std::fs::write(
        &log,
        "1565647200 a 10.1.0.1\n\
         1565647201 b 10.1.255.9\n\
         1565647202 c 10.2.0.1\n\
         1565647203 a 10.1.7.7\n\
         1565647204 2001:DB8:0:0::1 d\n\
         1565647205 2001:db8::1 e\n\
         1565647206 2001:db8::2 f\n",
    )
    .unwrap();
    let out = stdout_of(
        STREAM,
        &["--to", "10.1.0.0/16", "--from", "2001:0db8::1", path(&log)],
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "1565647200.0\tTO\ta\n1565647200.0\tTO\tb\n\
         1565647200.0\tFROM\td\n1565647200.0\tFROM\te\n1565647200.0\tMOST\ta\n"
    );
    let q = |target: &str| {
        stdout_of(
            QUERY,
            &[
                "--from",
                target,
                "--time-init",
                "0",
                "--time-end",
                "1565650000",
                path(&log),
            ],
        )
    };
    // By value, and printed as found (lower-cased).
    assert_eq!(q("2001:db8::1"), b"d\ne\n");
    assert_eq!(q("2001:db8::/32"), b"d\ne\nf\n");
    let out = stdout_of(
        QUERY,
        &[
            "--to",
            "10.1.0.0/16",
            "--time-init",
            "0",
            "--time-end",
            "1565650000",
            "--format",
            "csv",
            path(&log),
        ],
    );
    let csv = String::from_utf8(out).unwrap();
    assert!(
        csv.contains(",to,10.1.0.0/16,1,a\n") && csv.contains(",to,10.1.0.0/16,2,b\n"),
        "{csv}"
    );
}

/// The outputs of every way a log is read: `connspy --to HOST` with fast
/// seek, with `--no-fast-seek`, on a gzip copy and on stdin, and
/// `connspy-stream --to HOST --from x`, each with `extra` options.
fn every_path(text: &[u8], host: &str, extra: &[&str]) -> Vec<(&'static str, Output)> {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("edge.log");
    std::fs::write(&log, text).unwrap();
    let gz = dir.path().join("edge.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(text).unwrap();
    enc.finish().unwrap();
    let q = ["--to", host, "--time-init", "0", "--time-end", "1565650000"];
    let q = [&q[..], extra].concat();
    let s = [&["--to", host, "--from", "x"][..], extra].concat();
    vec![
        ("fast seek", run(QUERY, &[&q[..], &[path(&log)]].concat())),
        (
            "no fast seek",
            run(QUERY, &[&q[..], &["--no-fast-seek", path(&log)]].concat()),
        ),
        ("gzip", run(QUERY, &[&q[..], &[path(&gz)]].concat())),
        (
            "stdin",
            run_with_stdin(QUERY, &[&q[..], &["-"]].concat(), text),
        ),
        ("stream", run(STREAM, &[&s[..], &[path(&log)]].concat())),
    ]
}

/// Asserts that every path of [`every_path`] prints `from` (connspy) or
/// lists it (connspy-stream) and reports `reason` on stderr.
fn assert_every_path(text: &[u8], host: &str, from: &str, reason: &str) {
    for (how, out) in every_path(text, host, &[]) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{how}: {err}");
        let want = if how == "stream" {
            format!("1565647200.0\tTO\t{from}\n")
        } else {
            format!("{from}\n")
        };
        assert!(stdout.starts_with(&want), "{how}: {stdout}");
        assert!(err.contains(reason), "{how}: {err}");
    }
}

#[test]
fn every_path_takes_a_line_over_4_mib_as_malformed_in_every_format() {
    let long = "x".repeat(4 << 20);
    let reason = "skipped malformed line: line longer than 4194304 bytes";
    let zeek = format!(
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.resp_h\n\
         1565647201\t{long}\tlonghost\tb\n1565647202\tC\tok\tb\n"
    );
    let json = format!(
        "{{\"ts\":1565647201,\"id.orig_h\":\"longhost\",\"id.resp_h\":\"b\",\"x\":\"{long}\"}}\n\
         {{\"ts\":1565647202,\"id.orig_h\":\"ok\",\"id.resp_h\":\"b\"}}\n"
    );
    let vpc = format!(
        "version srcaddr dstaddr start log-status x\n\
         2 longhost b 1565647201 OK {long}\n2 ok b 1565647202 OK y\n"
    );
    for log in [zeek, json, vpc] {
        assert_every_path(log.as_bytes(), "b", "ok", reason);
    }
}

#[test]
fn a_host_holding_whitespace_is_malformed_not_printed() {
    let cases = [
        (
            "#separator \\x2c\n#fields,ts,id.orig_h,id.resp_h\n1565647201,in\tside,b\n1565647202,ok,b\n",
            "zeek: id.orig_h holds whitespace",
        ),
        (
            "{\"ts\":1565647201,\"id.orig_h\":\"in\tside\",\"id.resp_h\":\"b\"}\n\
             {\"ts\":1565647202,\"id.orig_h\":\"ok\",\"id.resp_h\":\"b\"}\n",
            "zeek-json: a raw control character in a string (not JSON)",
        ),
        (
            "{\"ts\":1565647201,\"id.orig_h\":\"in side\",\"id.resp_h\":\"b\"}\n\
             {\"ts\":1565647202,\"id.orig_h\":\"ok\",\"id.resp_h\":\"b\"}\n",
            "zeek-json: id.orig_h holds whitespace",
        ),
    ];
    for (log, reason) in cases {
        assert_every_path(log.as_bytes(), "b", "ok", reason);
    }
}

#[test]
fn a_truncated_vpc_row_is_malformed() {
    let log = "2 123456789010 eni-1 10.0.0.9 10.1.0.1 20641 22 6 20 4249 1565647201\n\
               2 123456789010 eni-1 10.0.0.1 10.1.0.1 20641 22 6 20 4249 1565647202 1565647260 ACCEPT OK\n";
    let (err, status) = complaints(log, &["--input-format", "vpc"]);
    assert!(
        err.contains("bad.log:1: skipped malformed line: vpc: fewer fields than the format has"),
        "{err}"
    );
    assert_eq!(status, Some(0));
    for (how, out) in every_path(log.as_bytes(), "10.1.0.1", &["--input-format", "vpc"]) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("10.0.0.9"), "{how}: {stdout}");
        assert!(stdout.contains("10.0.0.1"), "{how}: {stdout}");
    }
}

#[test]
fn a_wrong_input_format_gives_malformed_lines_not_junk_records() {
    let dir = tempfile::tempdir().unwrap();
    let zeek = dir.path().join("zeek.log");
    genlog(
        &zeek,
        &[
            "--lines",
            "2000",
            "--ip-fraction",
            "1",
            "--log-format",
            "zeek",
        ],
    );
    let out = run(
        STREAM,
        &[
            "--to",
            "10.6.177.146",
            "--from",
            "x",
            "--input-format",
            "vpc",
            "--stats",
            path(&zeek),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    // Was: windows in 1970, a port as the busiest host.
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains("skipped malformed line: vpc: "), "{err}");
    assert!(err.contains("records=0 "), "{err}");
    // Every line of it is malformed (the header lines have too few fields).
    let text = std::fs::read_to_string(&zeek).unwrap();
    let (err, _) = complaints(&text, &["--input-format", "vpc"]);
    let all = format!("{} malformed line(s) skipped in all", text.lines().count());
    assert!(err.contains(&all), "{err}");
}

#[test]
fn a_crlf_zeek_log_reads_like_its_lf_copy() {
    let lf = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.resp_h\n#types\ttime\tstring\taddr\taddr\n\
              1565647201\tC1\t10.0.0.1\t10.1.0.1\n1565647202\tC2\t10.0.0.2\t10.1.0.1\n#close\t2019\n";
    let crlf = lf.replace('\n', "\r\n");
    for (how, out) in every_path(crlf.as_bytes(), "10.1.0.1", &[]) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        // Was: "#separator is not one byte", every record lost.
        assert!(err.is_empty(), "{how}: {err}");
        assert!(
            stdout.contains("10.0.0.1") && stdout.contains("10.0.0.2"),
            "{how}: {stdout}"
        );
        assert!(!stdout.contains('\r'), "{how}");
    }
}

#[test]
fn json_ts_takes_every_form_of_one_time() {
    let nanos = [
        "1565647201.1234567891",
        "\"2019-08-12T22:00:01.1234567891Z\"",
        "\"2019-08-12 22:00:01.123456789Z\"",
        "1.5656472011234567891e9",
        "15656472011234567891E-10",
    ];
    let mut log = String::new();
    for (i, ts) in nanos.iter().enumerate() {
        log.push_str(&format!(
            "{{\"ts\":{ts},\"id.orig_h\":\"h{i}\",\"id.resp_h\":\"b\"}}\n"
        ));
    }
    // Was "ts is not a time" for all but the first two.
    let q = |init: &str, end: &str| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ts.log");
        std::fs::write(&file, &log).unwrap();
        let out = run(
            QUERY,
            &[
                "--to",
                "b",
                "--time-init",
                init,
                "--time-end",
                end,
                path(&file),
            ],
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // Every line is the same instant, to the nanosecond.
    assert_eq!(
        q("1565647201.123456789", "1565647201.12345679"),
        "h0\nh1\nh2\nh3\nh4\n"
    );
    assert_eq!(q("1565647201.12345679", "1565650000"), "");
    let (err, _) = complaints(
        "{\"ts\":1e9,\"id.orig_h\":\"a\",\"id.resp_h\":\"b\"}\n",
        &[],
    );
    assert!(!err.contains("malformed"), "{err}");
}

#[test]
fn a_key_a_json_record_needs_twice_is_malformed() {
    let (err, _) = complaints(
        "{\"ts\":1565647201,\"id.orig_h\":\"a\",\"id.resp_h\":\"b\",\"id.orig_h\":\"c\"}\n",
        &[],
    );
    // Was read as a record from the first value, silently.
    assert!(
        err.contains("bad.log:1: skipped malformed line: zeek-json: id.orig_h appears twice"),
        "{err}"
    );
}

/// The Zeek and VPC samples are what `sample_data/README.md` says
/// genlog makes, byte for byte: the guide's outputs can be remade.
#[test]
fn the_zeek_and_vpc_samples_are_what_genlog_makes() {
    let dir = tempfile::tempdir().unwrap();
    let samples: [(&str, &[&str]); 2] = [
        (
            "conn.log",
            &[
                "--lines",
                "1000",
                "--hosts",
                "200",
                "--span",
                "7200",
                "--ip-fraction",
                "0.8",
                "--log-format",
                "zeek",
                "--rotate-lines",
                "500",
            ],
        ),
        (
            "vpc.log",
            &[
                "--lines",
                "500",
                "--hosts",
                "60",
                "--span",
                "3600",
                "--ip-fraction",
                "1.0",
                "--log-format",
                "vpc",
            ],
        ),
    ];
    for (name, args) in samples {
        let made = dir.path().join(name);
        genlog(&made, args);
        let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample_data")
            .join(name);
        assert!(
            std::fs::read(&made).unwrap() == std::fs::read(&sample).unwrap(),
            "sample_data/{name} is not what genlog {args:?} makes"
        );
    }
}

/// A Zeek `conn.log` as Zeek writes it: a record when its connection
/// ends, with `ts` its start. Short connections every 10 s for three
/// hours, and an SSH session started at +600 s that lasted 3000 s and was
/// ended by the hour-long SSH inactivity timeout: written at +7200 s,
/// 6600 s behind the newest time before it (docs/formats.md, "Lateness").
fn zeek_with_a_long_connection() -> String {
    let h = 1_565_647_200u64;
    let mut text = "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\tduration\n".to_string();
    for s in (0..3 * 3600).step_by(10) {
        text.push_str(&format!(
            "{}.000000\t10.1.0.{}\t10.0.0.1\t0.5\n",
            h + s,
            s % 200
        ));
        if s == 7200 {
            text.push_str(&format!("{}.000000\t10.9.9.9\t10.0.0.1\t3000.0\n", h + 600));
        }
    }
    text
}

#[test]
fn a_zeek_log_of_long_connections_is_told_the_bound_that_covers_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("conn.log");
    std::fs::write(&log, zeek_with_a_long_connection()).unwrap();
    let query = [
        "--to",
        "10.0.0.1",
        "--time-init",
        "1565650800",
        "--time-end",
        "1565656200",
    ];
    let stream = ["--to", "10.0.0.1", "--from", "10.9.9.9"];
    let covers = "(--max-log-late-seconds 6600 would cover it";
    for (bin, args) in [(QUERY, &query[..]), (STREAM, &stream[..])] {
        for extra in [&[][..], &["--no-fast-seek"]] {
            if bin == STREAM && !extra.is_empty() {
                continue;
            }
            let said = run(bin, &with(args, extra, &[&log]));
            let err = String::from_utf8(said.stderr).unwrap();
            assert!(
                err.contains("records arrived up to 6600 s behind") && err.contains(covers),
                "{bin} {extra:?}: {err}"
            );
            // The bound formats.md recommends for Zeek covers it.
            let bound = [extra, &["--max-log-late-seconds", "7200"]].concat();
            let quiet = run(bin, &with(args, &bound, &[&log]));
            assert_eq!(
                String::from_utf8(quiet.stderr).unwrap(),
                "",
                "{bin} {extra:?}"
            );
        }
    }
}

/// `connspy-stream --time-init/--time-end` seeks in a mapped file as
/// `connspy` does: where a later `#fields` block swaps the hosts, the
/// windows of the range are those a read of the whole file prints.
#[test]
fn a_ranged_summary_over_a_later_header_block_is_that_of_a_whole_read() {
    let h = 1_565_647_200u64;
    let mut log = "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.resp_h\n".to_string();
    for i in (0..7200).step_by(10) {
        log.push_str(&format!("{}\tC{i}\to{}\tr{}\n", h + i, i % 50, i % 7));
    }
    log.push_str("#close\tx\n#separator \\x09\n#fields\tts\tuid\tid.resp_h\tid.orig_h\n");
    for i in (7200..14400).step_by(10) {
        log.push_str(&format!("{}\tC{i}\tr{}\to{}\n", h + i, i % 7, i % 50));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("swap.log");
    std::fs::write(&file, log).unwrap();
    let s = ["--to", "r3", "--from", "o10"];
    let whole = String::from_utf8(stdout_of(STREAM, &with(&s, &[], &[&file]))).unwrap();
    let third = format!("{}.0\t", h + 3 * 3600);
    let want: String = whole
        .lines()
        .filter(|l| l.starts_with(&third))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(want.contains("\tTO\to10\n"), "a weak test: {whole}");
    let range = ["--time-init", "1565658000", "--time-end", "1565661600"];
    let got = stdout_of(STREAM, &with(&s, &range, &[&file]));
    assert_eq!(String::from_utf8(got).unwrap(), want);
}
