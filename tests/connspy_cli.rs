//! The real `connspy` binary: answers, inputs, and every error path of
//! docs/behaviour.md (query, exit statuses) with its exit status and message.

mod common;

use common::{stderr, stdout, write_file};

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_connspy");

/// A small log: hour 22:00-23:00 UTC on 2019-08-12, mixed forms and case.
const LOG: &str = "\
1565647200 Alyson zyla
1565647201.500 ramone ZYLA
1565647202000 zyla zephyrus
1565647203 alyson zyla
1565647201 late-but-in-bound zyla
1565650800 after zyla
1565651200 way-after zyla
";

fn connspy(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Asserts a usage error: status 2, nothing on stdout, one stderr line
/// prefixed with the tool's name that contains `needle`.
fn assert_usage_error(args: &[&str], needle: &str) {
    let o = connspy(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "{args:?}");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.starts_with("connspy: ") && err.contains(needle),
        "{args:?}: {err}"
    );
}

#[test]
fn prints_distinct_sources_in_first_seen_order_lowercased() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", LOG);
    let log = log.to_str().unwrap();
    for extra in [&[][..], &["--nofastseek"]] {
        let mut args = vec![
            "--to=Zyla",
            "--time_init",
            "1565647200",
            "--time_end",
            "1565650800",
        ];
        args.extend_from_slice(extra);
        args.push(log);
        let o = connspy(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "alyson\nramone\nlate-but-in-bound\n",
            "{extra:?}"
        );
    }
}

#[test]
fn times_people_type_mean_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", LOG);
    let log = log.to_str().unwrap();
    let answer = |init: &str, end: &str| {
        let o = connspy(&["--to", "zyla", "--time-init", init, "--time-end", end, log]);
        assert!(o.status.success(), "{init} {end}: {}", stderr(&o));
        stdout(&o).to_string()
    };
    let hour = answer("1565647200", "1565650800");
    assert_eq!(hour, "alyson\nramone\nlate-but-in-bound\n");
    // A space for the T, as RFC 3339 allows (was "holds spaces").
    assert_eq!(answer("2019-08-12 22:00:00Z", "2019-08-12 23:00:00Z"), hour);
    // A date alone is midnight UTC (was "add Z").
    assert_eq!(
        answer("2019-08-12", "2019-08-13"),
        answer("1565568000", "1565654400")
    );
    // `now` is the clock's time: records written around it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let recent = write_file(
        dir.path(),
        "recent.log",
        format!(
            "{} old zyla\n{} recent zyla\n{} soon zyla\n",
            now - 7200,
            now - 1800,
            now + 1800
        ),
    );
    let recent = recent.to_str().unwrap();
    let o = connspy(&[
        "--to",
        "zyla",
        "--time-init",
        "now-1h",
        "--time-end",
        "now",
        recent,
    ]);
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), "recent\n"),
        "{}",
        stderr(&o)
    );
    let o = connspy(&[
        "--to",
        "zyla",
        "--time-init",
        "now-3h",
        "--time-end",
        "now+1h",
        recent,
    ]);
    assert_eq!(stdout(&o), "old\nrecent\nsoon\n");
}

#[test]
fn time_init_is_inclusive_and_time_end_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", LOG);
    let o = connspy(&[
        "--to",
        "zyla",
        "--time_init",
        "1565647201.5",
        "--time_end",
        "1565647203",
        log.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&o), "ramone\n");
}

#[test]
fn from_reports_the_hosts_it_connected_to() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", LOG);
    let o = connspy(&[
        "--from",
        "ZYLA",
        "--time_init",
        "0",
        "--time_end",
        "9999999999999",
        log.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "zephyrus\n");
}

#[test]
fn rfc3339_times_equal_their_unix_forms() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", LOG);
    let log = log.to_str().unwrap();
    let unix = connspy(&[
        "--to",
        "zyla",
        "--time_init",
        "1565647201.5",
        "--time_end",
        "1565650800",
        log,
    ]);
    let rfc = connspy(&[
        "--to",
        "zyla",
        "--time-init",
        "2019-08-12T23:00:01.5+01:00",
        "--time-end",
        "2019-08-12T23:00:00Z",
        log,
    ]);
    assert!(rfc.status.success(), "{}", stderr(&rfc));
    assert_eq!(stdout(&rfc), stdout(&unix));
    assert_eq!(stdout(&rfc), "ramone\nalyson\n");
}

#[test]
fn stdin_and_several_files_read_as_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let whole = write_file(dir.path(), "all.log", LOG);
    let (head, tail) = LOG.split_at(LOG.find("1565647203").unwrap());
    let a = write_file(dir.path(), "a.log", head);
    let b = write_file(dir.path(), "b.log", tail);
    let window = [
        "--to",
        "zyla",
        "--time_init",
        "1565647200",
        "--time_end",
        "1565650800",
    ];
    let expected = stdout(&connspy(
        &[&window[..], &[whole.to_str().unwrap()]].concat(),
    ))
    .to_string();
    assert_eq!(expected, "alyson\nramone\nlate-but-in-bound\n");

    let split = connspy(&[&window[..], &[a.to_str().unwrap(), b.to_str().unwrap()]].concat());
    assert_eq!(stdout(&split), expected);

    let o = common::run_with_stdin(BIN, &[&window[..], &["-"]].concat(), LOG.as_bytes());
    assert!(o.status.success());
    assert_eq!(stdout(&o), expected);
}

#[test]
fn the_early_stop_ends_reading_past_time_end_plus_lateness() {
    // A record that breaks the bound after the stop point is never read by
    // the full scan: the stop is the documented rule (docs/behaviour.md#early-stop), not an end-of-file artefact.
    let dir = tempfile::tempdir().unwrap();
    let text = "100 a x\n500 b x\n100 c x\n";
    let log = write_file(dir.path(), "conn.log", text);
    let args = [
        "--nofastseek",
        "--max_log_late_seconds",
        "60",
        "--to",
        "x",
        "--time_init",
        "0",
        "--time_end",
        "200",
    ];
    let o = connspy(&[&args[..], &[log.to_str().unwrap()]].concat());
    assert_eq!(stdout(&o), "a\n");
    let wider = connspy(&[
        "--nofastseek",
        "--max_log_late_seconds",
        "400",
        "--to",
        "x",
        "--time_init",
        "0",
        "--time_end",
        "200",
        log.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&wider), "a\nc\n");
}

#[test]
fn malformed_lines_are_skipped_reported_briefly_and_never_touch_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..50 {
        text.push_str(&format!("{} src{} zyla\n", 1565647200 + i, i % 3));
        text.push_str("1565647200 broken extra zyla\n");
        text.push_str("garbage\n");
    }
    let clean = write_file(
        dir.path(),
        "clean.log",
        text.replace("1565647200 broken extra zyla\n", "")
            .replace("garbage\n", ""),
    );
    let messy = write_file(dir.path(), "messy.log", &text);
    let args = [
        "--nofastseek",
        "--to",
        "zyla",
        "--time_init",
        "0",
        "--time_end",
        "9999999999",
    ];
    let want = connspy(&[&args[..], &[clean.to_str().unwrap()]].concat());
    let got = connspy(&[&args[..], &[messy.to_str().unwrap()]].concat());
    assert!(got.status.success());
    assert_eq!(got.stdout, want.stdout);
    let err = stderr(&got);
    // The first few with file and line, then one total.
    assert_eq!(err.lines().count(), 6, "{err}");
    assert!(
        err.lines().next().unwrap().contains("messy.log:2: "),
        "{err}"
    );
    assert!(
        err.contains("messy.log:3: ") && err.contains("1 field"),
        "{err}"
    );
    assert!(
        err.lines()
            .last()
            .unwrap()
            .contains("100 malformed line(s)"),
        "{err}"
    );

    // Fast seek parses only lines that could match: the broken line that
    // names zyla is reported, the garbage is not.
    let fast = connspy(&[
        "--to",
        "zyla",
        "--time_init",
        "0",
        "--time_end",
        "9999999999",
        messy.to_str().unwrap(),
    ]);
    assert_eq!(fast.stdout, want.stdout);
    assert!(
        stderr(&fast)
            .lines()
            .last()
            .unwrap()
            .contains("50 malformed line(s)"),
        "{}",
        stderr(&fast)
    );

    let quiet = connspy(&[&args[..], &["-q", messy.to_str().unwrap()]].concat());
    assert!(quiet.stderr.is_empty());

    let strict = connspy(&[&args[..], &["--strict", messy.to_str().unwrap()]].concat());
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        stderr(&strict).contains("messy.log:2: malformed line")
            && stderr(&strict).contains("(strict mode)")
    );
}

#[test]
fn validation_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", LOG);
    let log = log.to_str().unwrap();
    assert_usage_error(&["--to", "a", "--time_end", "5", log], "--time-init");
    assert_usage_error(&["--to", "a", "--time_init", "5", log], "--time-end");
    assert_usage_error(
        &["--to", "a", "--time_init", "x", "--time_end", "5", log],
        "'x'",
    );
    assert_usage_error(
        &["--to", "a", "--time_init", "1e9", "--time_end", "5", log],
        "1e9",
    );
    assert_usage_error(
        &[
            "--to",
            "a",
            "--time_init",
            "5",
            "--time_end",
            "2019-13-01T00:00:00Z",
            log,
        ],
        "RFC 3339",
    );
    assert_usage_error(
        &["--to", "a", "--time_init", "6", "--time_end", "5", log],
        "before --time-init",
    );
    assert_usage_error(
        &[
            "--to",
            "a",
            "--time_init",
            "1",
            "--time_end",
            "5",
            "--max_log_late_seconds",
            "-1",
            log,
        ],
        "negative",
    );
    assert_usage_error(&["--time_init", "1", "--time_end", "5", log], "--to");
    assert_usage_error(
        &["--to", "", "--time_init", "1", "--time_end", "5", log],
        "empty",
    );
    assert_usage_error(
        &[
            "--to",
            "a",
            "--dport",
            "10-5",
            "--time_init",
            "1",
            "--time_end",
            "5",
            log,
        ],
        "ends before it starts",
    );
    assert_usage_error(
        &["--to", "a", "--time_init", "1", "--time_end", "5"],
        "FILE",
    );
    assert_usage_error(
        &[
            "--to",
            "a",
            "--bogus",
            "--time_init",
            "1",
            "--time_end",
            "5",
            log,
        ],
        "--bogus",
    );
}

#[test]
fn unreadable_inputs_exit_1_naming_the_file_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.log");
    let args = ["--to", "a", "--time_init", "1", "--time_end", "5"];
    let o = connspy(&[&args[..], &[missing.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert!(
        err.starts_with("connspy: ") && err.contains("missing.log") && err.contains("No such file"),
        "{err}"
    );

    // A directory is an archive (tests/archive_cli.rs): an empty one
    // answers nothing, and says so.
    let o = connspy(&[&args[..], &[dir.path().to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("no file with a record in it"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn help_and_version_exit_0() {
    let help = connspy(&["--help"]);
    assert!(help.status.success());
    for option in [
        "--to",
        "--from",
        "--time-init",
        "--time-end",
        "--no-fast-seek",
        "--max-log-late-seconds",
        "Example",
    ] {
        assert!(stdout(&help).contains(option), "help lacks {option}");
    }
    let version = connspy(&["--version"]);
    assert!(version.status.success() && stdout(&version).starts_with("connspy "));
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // Enough distinct answers to overflow the pipe and the output buffer.
    let text: String = (0..200_000)
        .map(|i| format!("{} source-{i} zyla\n", 1565647200 + i / 100))
        .collect();
    let log = write_file(dir.path(), "big.log", &text);
    for extra in [&[][..], &["--nofastseek"]] {
        let mut args = vec![
            "--to",
            "zyla",
            "--time_init",
            "0",
            "--time_end",
            "9999999999",
        ];
        args.extend_from_slice(extra);
        args.push(log.to_str().unwrap());
        let (first, o) = common::first_line_then_close(BIN, &args);
        assert_eq!(first, "source-0\n");
        assert_eq!(o.status.code(), Some(0), "{extra:?}");
        assert!(o.stderr.is_empty(), "{extra:?}: {}", stderr(&o));
    }
}

#[test]
fn a_full_stdout_is_an_error_naming_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", LOG);
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = Command::new(BIN)
        .args([
            "--to",
            "zyla",
            "--time_init",
            "0",
            "--time_end",
            "9999999999",
            log.to_str().unwrap(),
        ])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("stdout"), "{}", stderr(&o));
}

#[test]
fn csv_and_jsonl_rows_carry_the_query_and_any_host_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Hosts with a comma, a quote, and invalid UTF-8.
    let log = write_file(
        dir.path(),
        "conn.log",
        "1565647200 A,b zyla\n1565647201 \"q\" zyla\n1565647202 caf\u{e9} zyla\n",
    );
    let mut raw = std::fs::read(&log).unwrap();
    raw.extend_from_slice(b"1565647203 x\xffY zyla\n");
    std::fs::write(&log, &raw).unwrap();
    let args = |format| {
        connspy(&[
            "--to",
            "ZYLA",
            "--time_init",
            "1565647200",
            "--time_end",
            "1565647204.5",
            "--format",
            format,
            log.to_str().unwrap(),
        ])
    };
    let tsv = args("tsv");
    assert_eq!(tsv.stdout, b"a,b\n\"q\"\ncaf\xc3\xa9\nx\xffy\n");
    let csv = args("csv");
    assert_eq!(
        csv.stdout,
        b"time_init_ns,time_init_rfc3339,time_end_ns,time_end_rfc3339,kind,target,seq,host\n\
          1565647200000000000,2019-08-12T22:00:00Z,1565647204500000000,2019-08-12T22:00:04.5Z,to,zyla,1,\"a,b\"\n\
          1565647200000000000,2019-08-12T22:00:00Z,1565647204500000000,2019-08-12T22:00:04.5Z,to,zyla,2,\"\"\"q\"\"\"\n\
          1565647200000000000,2019-08-12T22:00:00Z,1565647204500000000,2019-08-12T22:00:04.5Z,to,zyla,3,caf\xc3\xa9\n\
          1565647200000000000,2019-08-12T22:00:00Z,1565647204500000000,2019-08-12T22:00:04.5Z,to,zyla,4,x\xffy\n"
    );
    let jsonl = args("jsonl");
    assert_eq!(
        stdout(&jsonl),
        "{\"time_init_ns\":1565647200000000000,\"time_init_rfc3339\":\"2019-08-12T22:00:00Z\",\"time_end_ns\":1565647204500000000,\"time_end_rfc3339\":\"2019-08-12T22:00:04.5Z\",\"kind\":\"to\",\"target\":\"zyla\",\"seq\":1,\"host\":\"a,b\"}\n\
         {\"time_init_ns\":1565647200000000000,\"time_init_rfc3339\":\"2019-08-12T22:00:00Z\",\"time_end_ns\":1565647204500000000,\"time_end_rfc3339\":\"2019-08-12T22:00:04.5Z\",\"kind\":\"to\",\"target\":\"zyla\",\"seq\":2,\"host\":\"\\\"q\\\"\"}\n\
         {\"time_init_ns\":1565647200000000000,\"time_init_rfc3339\":\"2019-08-12T22:00:00Z\",\"time_end_ns\":1565647204500000000,\"time_end_rfc3339\":\"2019-08-12T22:00:04.5Z\",\"kind\":\"to\",\"target\":\"zyla\",\"seq\":3,\"host\":\"café\"}\n\
         {\"time_init_ns\":1565647200000000000,\"time_init_rfc3339\":\"2019-08-12T22:00:00Z\",\"time_end_ns\":1565647204500000000,\"time_end_rfc3339\":\"2019-08-12T22:00:04.5Z\",\"kind\":\"to\",\"target\":\"zyla\",\"seq\":4,\"host\":\"x\u{fffd}y\",\"host_bytes\":\"78ff79\"}\n"
    );
    // Every line is a JSON object a strict parser accepts.
    for line in stdout(&jsonl).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.is_object());
    }
    // An empty answer in CSV is still a table: its header.
    let o = connspy(&[
        "--from",
        "nobody",
        "--time_init",
        "0",
        "--time_end",
        "1",
        "--format",
        "csv",
        log.to_str().unwrap(),
    ]);
    assert_eq!(
        stdout(&o),
        "time_init_ns,time_init_rfc3339,time_end_ns,time_end_rfc3339,kind,target,seq,host\n"
    );
    assert_usage_error(
        &[
            "--to",
            "a",
            "--time_init",
            "0",
            "--time_end",
            "1",
            "--format",
            "xml",
            "f",
        ],
        "xml",
    );
}

#[test]
fn a_far_future_time_neither_stops_the_read_nor_ends_the_seek() {
    // A cut line's time (12-digit seconds: year 24,000) among records of
    // two days, before the range asked about.
    let t = 1_565_647_200u64;
    let mut log = String::new();
    for i in 0..20_000u64 {
        if i == 5_000 {
            log.push_str("700469170800 source zyla\n");
        }
        log.push_str(&format!("{} h{} zyla\n", t + 8 * i, i % 50));
    }
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "cut.log", log);
    let range = ["--time_init", "1565727200", "--time_end", "1565727600"];
    for extra in [&[][..], &["--nofastseek"]] {
        let args = [
            &["--to", "zyla"][..],
            &range,
            extra,
            &[log.to_str().unwrap()],
        ]
        .concat();
        let o = connspy(&args);
        assert_eq!(stdout(&o).lines().count(), 50, "{extra:?}: {}", stderr(&o));
    }
}

/// A file where no line is a record, for `connspy --to`: said in one note,
/// on every path, where it printed nothing and said nothing (the `--to`
/// pre-filter parses no line whose last field is not the host).
#[test]
fn an_input_without_a_record_is_said_so_in_one_note() {
    let dir = tempfile::tempdir().unwrap();
    // Binary junk, lines of it.
    let junk: Vec<u8> = (0..20_000u32)
        .map(|i| match (i * 7919) % 251 {
            10 if i % 40 != 0 => b'x',
            b => b as u8,
        })
        .collect();
    let binary = write_file(dir.path(), "blob.bin", &junk);
    // A custom VPC layout without its header line.
    let custom: String = (0..50)
        .map(|i| {
            format!(
                "2 10.0.0.{i} 10.1.0.7 {} {} 123456789010 eni-1 26100 53 17 29 15938 ACCEPT OK\n",
                1_565_647_200 + i,
                1_565_647_260 + i
            )
        })
        .collect();
    let vpc = write_file(dir.path(), "vpc.log", custom);
    let cases = [
        (binary.to_str().unwrap(), &[][..], " (read as plain)"),
        (
            vpc.to_str().unwrap(),
            &["--input-format", "vpc"][..],
            " (read as vpc)",
        ),
    ];
    for (file, extra, read_as) in cases {
        for mode in [&[][..], &["--no-fast-seek"]] {
            let mut args = vec![
                "--to",
                "10.1.0.7",
                "--time-init",
                "0",
                "--time-end",
                "1565650000",
            ];
            args.extend_from_slice(extra);
            args.extend_from_slice(mode);
            args.push(file);
            let o = connspy(&args);
            assert_eq!((o.status.code(), stdout(&o)), (Some(0), ""), "{args:?}");
            let note = format!(
                "connspy: {file}: no line of it is a record{read_as}: is it a log of another \
                 format? (see --input-format)\n"
            );
            let err = stderr(&o);
            assert_eq!(err.matches(&note).count(), 1, "{args:?}: {err}");
        }
    }
    // Not for a log with records, nor for one with only a header.
    let header_only = write_file(
        dir.path(),
        "empty.log",
        "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n#close\tx\n",
    );
    let log = write_file(dir.path(), "conn.log", LOG);
    for file in [&header_only, &log] {
        let o = connspy(&[
            "--to",
            "zyla",
            "--time-init",
            "0",
            "--time-end",
            "1565650000",
            file.to_str().unwrap(),
        ]);
        assert!(!stderr(&o).contains("no line of it"), "{}", stderr(&o));
    }
}

/// `--strict` checks the same lines whatever the target: every line of
/// the region read. Was: `--strict --to b` exited 0 (the pre-filter never
/// parsed the bad line) where `--strict --from a` exited 1.
#[test]
fn strict_checks_every_line_read_whatever_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let text = "1565647200 alyson zyla\n1565647201 ramone zyla\n1565647202 junk\n\
                1565647203 alyson zyla\n1565650800 after zyla\n";
    let log = write_file(dir.path(), "conn.log", text);
    let log = log.to_str().unwrap();
    for target in [["--to", "zyla"], ["--from", "alyson"], ["--to", "nobody"]] {
        for mode in [&[][..], &["--no-fast-seek"]] {
            let mut args = vec![target[0], target[1], "--time-init", "1565647200"];
            args.extend(["--time-end", "1565647300", "--strict"]);
            args.extend_from_slice(mode);
            args.push(log);
            let o = connspy(&args);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
            assert!(
                stderr(&o).contains("conn.log:3: malformed line (2 field(s)"),
                "{args:?}: {}",
                stderr(&o)
            );
        }
    }
}
