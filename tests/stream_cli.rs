//! The real `connspy-stream` binary in batch mode: inputs (files, several
//! files, stdin, `-`), diagnostics, `--stats`, a closed stdout, Ctrl-C, and
//! every error path with its exit status and one-line message.

mod common;

use common::{H, rec, stderr, stdout, write_file};

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_connspy-stream");

fn out(hour: u64, kind: &str, host: &str) -> String {
    format!("{}.0\t{kind}\t{host}\n", H + hour * 3600)
}

/// Hour 0 has a TO and a FROM match; hour 1 (still open at the end with
/// the default lateness) has only its MOST.
fn log() -> String {
    [
        rec(1, "Alyson", "zyla"),
        rec(2, "zyla", "Kexin"),
        rec(3, "ramone", "zyla"),
        rec(3600 + 301, "b", "c"), // closes hour 0: 3901 > 3600 + 300
        rec(3600 + 302, "b", "d"),
    ]
    .concat()
}

fn expected_all() -> String {
    [
        out(0, "TO", "alyson"),
        out(0, "TO", "ramone"),
        out(0, "FROM", "kexin"),
        out(0, "MOST", "zyla"),
        out(1, "MOST", "b"),
    ]
    .concat()
}

fn stream(args: &[&str], stdin: &str) -> Output {
    common::run_with_stdin(BIN, args, stdin.as_bytes())
}

/// Exit status `status`, no stdout, and exactly one stderr line that starts
/// with the tool's name and contains every one of `words`.
fn assert_error(o: &Output, status: i32, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(status), "stderr: {err}");
    assert_eq!(stdout(o), "", "no output on an error");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("connspy-stream: "), "{err:?}");
    for w in words {
        assert!(err.contains(w), "{err:?} lacks {w:?}");
    }
}

const Q: [&str; 4] = ["--to", "zyla", "--from", "zyla"];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    Q.iter().copied().chain(extra.iter().copied()).collect()
}

#[test]
fn a_file_prints_closed_hours_then_the_open_ones() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_file(dir.path(), "a.log", log());
    let o = stream(&args(&[f.to_str().unwrap()]), "");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), expected_all());
    assert_eq!(stderr(&o), "");
}

#[test]
fn stdin_and_dash_behave_like_a_file_including_the_open_hours() {
    let o = stream(&Q, &log());
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), &*expected_all()));
    let o = stream(&args(&["-"]), &log());
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), &*expected_all()));
}

#[test]
fn several_files_are_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let text = log();
    let (first, rest) = text.split_at(text.find(&rec(3600 + 301, "b", "c")).unwrap());
    let a = write_file(dir.path(), "a.log", first);
    let b = write_file(dir.path(), "b.log", rest);
    let o = stream(&args(&[a.to_str().unwrap(), b.to_str().unwrap()]), "");
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), &*expected_all()));
    // A file and stdin between them, in the order given.
    let o = stream(&args(&[a.to_str().unwrap(), "-"]), rest);
    assert_eq!(stdout(&o), expected_all());
}

#[test]
fn only_complete_hours_leaves_out_the_open_ones() {
    let o = stream(&args(&["--only_complete_hours"]), &log());
    let hour0: String = expected_all()
        .lines()
        .take(4)
        .map(|l| l.to_string() + "\n")
        .collect();
    assert_eq!(stdout(&o), hour0);
    let o = stream(&args(&["--only-complete-hours"]), &log());
    assert_eq!(stdout(&o), hour0);
}

#[test]
fn a_record_past_the_bound_for_a_window_never_printed_is_kept() {
    // Hour 0 never had a record before `0 c d`: it opens, and as the data
    // proves it complete it is printed at once, before hour 2; only a
    // record for a window already printed is too late.
    let text = rec(7200, "a", "b") + &rec(0, "c", "d");
    let hour0 = out(0, "FROM", "d") + &out(0, "MOST", "c");
    let o = stream(&["--to", "b", "--from", "c"], &text);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        hour0.clone() + &out(2, "TO", "a") + &out(2, "MOST", "a")
    );
    // Kept, but past the bound: one warning at the end says by how much.
    let warned = stderr(&o);
    assert_eq!(warned.lines().count(), 1, "{warned}");
    assert!(
        warned.contains("up to 7200 s behind") && warned.contains("--max-log-late-seconds 7200"),
        "{warned}"
    );
    let o = stream(
        &["--to", "b", "--from", "c", "--only-complete-hours"],
        &text,
    );
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), &*hour0));
    let o = stream(&["--to", "b", "--from", "c"], &(text + &rec(1, "e", "f")));
    assert!(
        stderr(&o).contains("1 too-late record(s)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn lateness_and_its_kebab_alias_move_the_closing_point() {
    // With L = 302 nothing closes before the end (3902 - 3600 is not more
    // than 302); with 300.999 hour 0 closes as with the default.
    for opt in ["--max_log_late_seconds", "--max-log-late-seconds"] {
        let o = stream(&args(&[opt, "302", "--only_complete_hours"]), &log());
        assert_eq!((o.status.code(), stdout(&o)), (Some(0), ""));
    }
    let o = stream(&args(&["--max_log_late_seconds", "300.999"]), &log());
    assert_eq!(stdout(&o), expected_all());
    // A duration with a unit, under either name, is the same bound.
    for late in [
        ["--lateness", "302s"],
        ["--max-log-late-seconds", "5.0333333334m"],
    ] {
        let o = stream(&args(&[late[0], late[1], "--only_complete_hours"]), &log());
        assert_eq!((o.status.code(), stdout(&o)), (Some(0), ""), "{late:?}");
    }
    let o = stream(
        &args(&["--lateness", "5m", "--only_complete_hours"]),
        &log(),
    );
    assert!(!stdout(&o).is_empty());
}

#[test]
fn exact_and_bloom_options_give_the_same_small_output() {
    // With room for every host, bounded counting is exact, and so are
    // the lists, whichever way they deduplicate.
    for extra in [
        &["--top-capacity", "1000", "--exact"][..],
        &[
            "--top-capacity",
            "1000",
            "--bloom-capacity",
            "100",
            "--bloom-fp-rate",
            "0.001",
        ],
    ] {
        let o = stream(&args(extra), &log());
        assert_eq!((o.status.code(), stdout(&o)), (Some(0), &*expected_all()));
    }
}

#[test]
fn malformed_and_too_late_lines_are_reported_on_stderr_only() {
    let text = format!(
        "{}garbage\n{}{}",
        rec(1, "a", "zyla"),
        rec(7200, "b", "c"),
        rec(5, "late", "zyla") // hour 0 closed by the record before
    );
    let o = stream(&Q, &text);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        [out(0, "TO", "a"), out(0, "MOST", "a"), out(2, "MOST", "b")].concat()
    );
    let err = stderr(&o);
    assert!(
        err.contains("connspy-stream: <stdin>:2: skipped malformed line"),
        "{err}"
    );
    assert!(err.contains("<stdin>:4: skipped too-late record"), "{err}");
    assert!(err.contains("1 malformed line(s) skipped in all"), "{err}");
    assert!(err.contains("1 too-late record(s) skipped in all"), "{err}");
    let quiet = stream(&args(&["-q"]), &text);
    assert_eq!((stdout(&quiet), stderr(&quiet)), (stdout(&o), ""));
}

#[test]
fn stats_go_to_stderr_with_every_count() {
    let text = log() + "garbage\n";
    let o = stream(&args(&["--stats"]), &text);
    assert_eq!(stdout(&o), expected_all());
    let line = stderr(&o)
        .lines()
        .find(|l| l.starts_with("connspy-stream: stats: "))
        .expect("a stats line");
    for kv in [
        "records=5 ",
        "malformed=1 ",
        "too_late=0 ",
        "windows_printed=2 ",
        &format!("bytes={} ", text.len()),
        "elapsed_s=",
        "records_per_s=",
    ] {
        assert!(line.contains(kv), "{line} lacks {kv}");
    }
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    // One hour whose TO list is ~10 MB: far more than a pipe holds.
    let mut text = String::new();
    for i in 0..300_000 {
        text.push_str(&rec(i % 3000, &format!("sender{i}"), "zyla"));
    }
    let dir = tempfile::tempdir().unwrap();
    let f = write_file(dir.path(), "big.log", &text);
    let (first, o) = common::first_line_then_close(BIN, &args(&[f.to_str().unwrap()]));
    assert_eq!(first, out(0, "TO", "sender0"));
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), ""));
}

#[test]
fn ctrl_c_prints_the_complete_hours_and_stats_then_exits_130() {
    let mut child = common::spawn_piped(BIN, &args(&["--stats"]));
    let mut input = child.stdin.take().unwrap();
    input.write_all(log().as_bytes()).unwrap();
    input.flush().unwrap();
    // Give it time to install its handlers and read what was written.
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The read it is blocked in returns at the end of stdin; it then sees
    // the request and prints no open hour.
    drop(input);
    let started = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let hour0: String = expected_all()
        .lines()
        .take(4)
        .map(|l| l.to_string() + "\n")
        .collect();
    assert_eq!(stdout(&o), hour0);
    assert!(
        stderr(&o).contains("connspy-stream: stats: records=5 "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn help_and_version_print_and_succeed() {
    let o = stream(&["--help"], "");
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for w in [
        "--to <HOST>",
        "--only-complete-hours",
        "--max-log-late-seconds",
        "--bloom-fp-rate",
        "--window <W>",
        "--top <K>",
        "--top-capacity <N>",
        "1/min(N,K+1)",
        "--emit-counts",
        "--format <FORMAT>",
        "Examples:",
        "connspy-stream --to jaibrain --from eevous",
    ] {
        assert!(help.contains(w), "help lacks {w}");
    }
    let o = stream(&["--version"], "");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("connspy-stream "));
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--from", "a"], &["--to"]),
        (&["--to", "a"], &["--from"]),
        (&["--to", "", "--from", "a"], &["empty"]),
        (&["--to", "a b", "--from", "a"], &["whitespace"]),
        (&["--max_log_late_seconds", "-5"], &["negative"]),
        (&["--max_log_late_seconds", "soon"], &["soon"]),
        (&["--bloom-fp-rate", "0"], &["false-positive rate"]),
        (&["--bloom-fp-rate", "1"], &["false-positive rate"]),
        (&["--bloom-fp-rate", "NaN"], &["false-positive rate"]),
        (&["--bloom-fp-rate", "often"], &["often"]),
        (&["--bloom-capacity", "0"], &["capacity"]),
        (&["--bloom-capacity", "-3"], &["-3"]),
        (
            &["--top-capacity", "10", "--bloom-capacity", "1000000000000"],
            &["limit"],
        ),
        (&["--exact", "--bloom-capacity", "5"], &["--exact"]),
        (&["--no-such-option"], &["--no-such-option"]),
        (&["--window", "7m"], &["7m", "does not divide a day"]),
        (&["--window", "0"], &["does not divide a day"]),
        (&["--window", "1.5h"], &["1.5h", "not a window"]),
        (&["--window", "2d"], &["2d"]),
        (&["--top", "0"], &["--top"]),
        (&["--top", "many"], &["many"]),
        (&["--top-capacity", "0"], &["--top-capacity"]),
        (
            &["--top", "5", "--top-capacity", "4"],
            &["must be at least --top"],
        ),
        (
            &["--top-capacity", "9", "--emit-counts"],
            &["--emit-counts"],
        ),
        (&["--format", "xml"], &["xml"]),
    ];
    for (extra, words) in cases {
        // Host errors carry their own --to/--from; the rest add to Q.
        let argv: Vec<&str> = if extra
            .first()
            .is_some_and(|a| *a == "--to" || *a == "--from")
        {
            extra.to_vec()
        } else {
            args(extra)
        };
        let o = stream(&argv, &log());
        assert_error(&o, 2, words);
    }
}

#[test]
fn unreadable_files_exit_1_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_file(dir.path(), "good.log", log());
    let missing = dir.path().join("missing.log");
    let o = stream(
        &args(&[good.to_str().unwrap(), missing.to_str().unwrap()]),
        "",
    );
    assert_error(&o, 1, &["missing.log", "No such file"]);
    // A directory is an archive (tests/archive_cli.rs): one that holds a
    // missing file's name is read like the file named.
    let o = stream(
        &args(&[dir.path().to_str().unwrap(), missing.to_str().unwrap()]),
        "",
    );
    assert_error(&o, 1, &["missing.log", "No such file"]);
}

#[test]
fn strict_makes_the_first_malformed_line_an_error() {
    let text = rec(1, "a", "zyla") + "1565647202 lonely\n";
    let o = stream(&args(&["--strict"]), &text);
    assert_error(&o, 1, &["<stdin>:2", "(strict mode)"]);
}

#[test]
fn the_default_window_top_and_format_spelled_out_change_nothing() {
    for extra in [
        &["--window", "1h"][..],
        &["--window", "3600"],
        &["--window", "60m"],
        &["--top", "1"],
        &["--format", "tsv"],
        &["--top-capacity", "1000"],
        &["--only-complete-windows", "--max_log_late_seconds", "1e9"][..0],
    ] {
        let o = stream(&args(extra), &log());
        assert_eq!(stdout(&o), expected_all(), "{extra:?}");
    }
    let o = stream(&args(&["--only-complete-windows"]), &log());
    assert_eq!(
        stdout(&o),
        stdout(&stream(&args(&["--only_complete_hours"]), &log()))
    );
}

#[test]
fn five_minute_windows_close_by_their_own_width() {
    // Window 0 (H .. H+300) closes once the log is past H + 300 + L.
    let text = [
        rec(1, "a", "zyla"),
        rec(299, "zyla", "b"),
        rec(301, "c", "zyla"),
        rec(300 + 30 + 1, "d", "e"),
    ]
    .concat();
    let o = stream(
        &args(&[
            "--window",
            "5m",
            "--max_log_late_seconds",
            "30",
            "--only_complete_hours",
        ]),
        &text,
    );
    let w0 = format!("{}.0", H);
    assert_eq!(
        stdout(&o),
        format!("{w0}\tTO\ta\n{w0}\tFROM\tb\n{w0}\tMOST\tzyla\n")
    );
}

#[test]
fn top_prints_k_hosts_with_counts_and_emit_counts_every_host() {
    let text = [
        rec(1, "a", "zyla"),
        rec(2, "b", "zyla"),
        rec(3, "b", "c"),
        rec(4, "c", "a"),
    ]
    .concat();
    let o = stream(&args(&["--top", "3", "--emit-counts"]), &text);
    let h = format!("{}.0", H);
    assert_eq!(
        stdout(&o),
        [
            format!("{h}\tTO\ta\n{h}\tTO\tb\n"),
            format!("{h}\tTOP\ta\t2\n{h}\tTOP\tzyla\t2\n{h}\tTOP\tb\t2\n"),
            format!("{h}\tCOUNT\ta\t2\n{h}\tCOUNT\tzyla\t2\n"),
            format!("{h}\tCOUNT\tb\t2\n{h}\tCOUNT\tc\t2\n"),
        ]
        .concat()
    );
}

/// One host that is in half the records among a flood of one-off hosts:
/// a summary of 8 counters still names it, and its count is within the
/// stated bound (never below the truth, at most total / N above).
#[test]
fn a_bounded_summary_keeps_a_heavy_host_among_a_flood() {
    let mut text = String::new();
    for i in 0..2000u64 {
        text.push_str(&rec(i % 3600, &format!("once{i}"), "heavy"));
        text.push_str(&rec(i % 3600, &format!("src{i}"), &format!("dst{i}")));
    }
    let o = stream(
        &args(&["--top", "1", "--top-capacity", "8", "--format", "csv"]),
        &text,
    );
    let rows: Vec<&str> = stdout(&o).lines().collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let f: Vec<&str> = rows[1].split(',').collect();
    assert_eq!((f[2], f[4]), ("top", "heavy"));
    // heavy: 2000 of a total of 8000 (2 per record): over 8000 / min(8, 2).
    let count: u64 = f[5].parse().unwrap();
    assert!((2000..=2000 + 8000 / 8).contains(&count), "{count}");
}

#[test]
fn a_full_stdout_is_an_error_naming_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_file(dir.path(), "conn.log", log());
    for extra in [&[][..], &["--tail"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        // With --tail each hour is flushed as it closes, so the error comes
        // from the first hour and ends the run before any waiting.
        let o = Command::new(BIN)
            .args(args(&[f.to_str().unwrap()]))
            .args(extra)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("connspy-stream: cannot write ")
                && err.contains("stdout")
                && err.contains("No space left on device"),
            "{err}"
        );
    }
}

#[test]
fn a_spill_file_that_cannot_be_written_stops_the_run_with_exit_1() {
    // Hour 0 is complete before hour 1's TO list outgrows memory (512 Ki
    // hosts) and must spill into a TMPDIR that does not exist.
    let mut text = rec(1, "a", "zyla");
    for i in 0..530_000 {
        text.push_str(&rec(3601 + i % 1000, &format!("s{i}"), "zyla"));
    }
    let dir = tempfile::tempdir().unwrap();
    let tmpdir = dir.path().join("missing");
    let o = common::run_command_with_stdin(
        Command::new(BIN)
            .args(args(&["--max_log_late_seconds", "0"]))
            .env("TMPDIR", &tmpdir),
        text.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), out(0, "TO", "a") + &out(0, "MOST", "a"));
    assert_eq!(
        stderr(&o),
        format!(
            "connspy-stream: cannot write the spill file of a long host list in {} (No such \
             file or directory (os error 2)); point TMPDIR at a writable directory with room\n",
            tmpdir.display()
        )
    );
}

#[test]
fn one_core_reads_in_line_and_prints_the_same() {
    // With one CPU allowed, the reading thread is not used (see `pump`);
    // the answer must not change. `taskset` comes with util-linux.
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", log());
    let path = log.to_str().unwrap();
    let pinned = Command::new("taskset")
        .args(["-c", "0", BIN])
        .args(args(&[path]))
        .output()
        .expect("taskset (util-linux) runs");
    assert!(pinned.status.success(), "{}", stderr(&pinned));
    assert_eq!(stdout(&pinned), expected_all());
}

/// A log of many chunks (about 15 MB, 21 hours) with what makes a chunk be fed line
/// by line: records out of order within the bound, records past it (for
/// hours printed and hours never opened), malformed lines, and an hour
/// boundary in every chunk.
fn many_chunks_log() -> String {
    let mut text = String::new();
    let mut seed = 12u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    for i in 0..600_000u64 {
        let base = 1_565_647_200 + i / 8;
        // A few of each rare kind, so that some chunks are clean and some not.
        let (r, from, to) = (next() % 10, next() % 20_000, next() % 3000);
        let ts = match i {
            _ if i % 100_003 == 50_000 => base - 20_000, // past the bound
            _ if i % 150_001 == 70_000 => base - base % 3600 - 7200 * 24, // never opened
            _ if r == 0 => base - next() % 300,          // late within 300 s
            _ => base,
        };
        if i % 120_007 == 60_000 {
            text.push_str("not a record\n");
        }
        let to = if to < 300 {
            "zyla".to_string()
        } else {
            format!("d{to}")
        };
        text.push_str(&format!("{ts} S{from} {to}\n"));
    }
    text
}

#[test]
fn chunks_counted_on_every_core_print_what_one_core_prints() {
    // One core reads and counts in line (see `pump`); with more, workers
    // count chunks of the log and the aggregator adds them up.
    let dir = tempfile::tempdir().unwrap();
    let log = write_file(dir.path(), "conn.log", many_chunks_log());
    let path = log.to_str().unwrap();
    let flags = [
        "--to",
        "zyla",
        "--from",
        "s7",
        "--emit-counts",
        "--top",
        "3",
        path,
    ];
    let pinned = Command::new("taskset")
        .args(["-c", "0", BIN])
        .args(flags)
        .output()
        .expect("taskset (util-linux) runs");
    let free = Command::new(BIN).args(flags).output().unwrap();
    assert!(pinned.status.success(), "{}", stderr(&pinned));
    assert_eq!(free.status.code(), pinned.status.code());
    assert_eq!(stdout(&free), stdout(&pinned));
    assert_eq!(stderr(&free), stderr(&pinned));
    // The log does have records dropped as too late, and malformed lines.
    let said = stderr(&pinned);
    assert!(
        said.contains("already closed") && said.contains("malformed"),
        "{said}"
    );
    assert!(stdout(&pinned).lines().count() > 100_000);
}

/// A log whose `--emit-counts` output (about a megabyte) is far more than a
/// pipe and the tool's output buffer hold.
fn big_log(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("big.log");
    let mut text = String::new();
    for i in 0..200_000u64 {
        text.push_str(&format!("{} h{} zyla\n", 1_565_647_200 + i / 10, i % 5000));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn stats_are_printed_when_stdout_closes_early() {
    let dir = tempfile::tempdir().unwrap();
    let log = big_log(dir.path());
    let log = log.to_str().unwrap();
    // Before the fix the stats line came out in 1 of 8 runs of `| head -1`:
    // only when the whole output fitted in the buffers before the close.
    for _ in 0..4 {
        let (first, o) =
            common::first_line_then_close(BIN, &args(&["--emit-counts", "--stats", log]));
        assert_eq!(first, "1565647200.0\tTO\th0\n");
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("connspy-stream: stats: records="), "{err}");
    }
}

#[test]
fn stats_are_printed_before_an_error_ends_the_run() {
    let o = stream(
        &args(&["--stats", "--strict"]),
        "1565647200 a zyla\nnot a record at all\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let err: Vec<&str> = stderr(&o).lines().collect();
    assert_eq!(err.len(), 2, "{err:?}");
    assert!(
        err[0].starts_with("connspy-stream: stats: records=1 "),
        "{err:?}"
    );
    assert!(err[1].contains("(strict mode)"), "{err:?}");
}

/// An input none of whose lines is a record is said so, once, naming the
/// format when `--input-format` gave one; an input with records is not.
#[test]
fn an_input_without_a_record_is_said_so_in_one_note() {
    let dir = tempfile::tempdir().unwrap();
    let junk = write_file(dir.path(), "junk.txt", "not a log\nat all\n");
    let good = write_file(dir.path(), "good.log", log());
    let (junk, good) = (junk.to_str().unwrap(), good.to_str().unwrap());
    let o = Command::new(BIN)
        .args(Q)
        .args([junk, good])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), expected_all());
    let note = format!(
        "connspy-stream: {junk}: no line of it is a record: is it a log of another format? \
         (see --input-format)\n"
    );
    assert_eq!(stderr(&o).matches(&note).count(), 1, "{}", stderr(&o));
    assert!(!stderr(&o).contains(&format!("{good}: no line")));
    let o = Command::new(BIN)
        .args(Q)
        .args(["--input-format", "zeek-json", good])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains(&format!(
            "{good}: no line of it is a record (read as zeek-json)"
        )),
        "{}",
        stderr(&o)
    );
}

/// A pseudo-terminal: its master side, to type into, and its slave side,
/// a terminal to give a child as its stdin.
fn pty() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the two integers it is
    // given; the name, termios and window size may be null.
    let status = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(status, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and belong to no one else.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    }
}

/// Runs the tool with `args` and a terminal as stdin, types `typed` into
/// it, and collects the run; a run that outlasts 20 s (waiting for more
/// typing) is killed and fails the test.
fn on_terminal(args: &[&str], typed: &[u8]) -> Output {
    let (mut master, slave) = pty();
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(slave)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    master.write_all(typed).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{args:?} still waits for input after {typed:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn stdin_from_a_terminal_is_said_once_on_stderr() {
    let note = "connspy-stream: reading standard input (a terminal): type or paste \
                log lines, and end with Ctrl-D\n";
    // A line, then Ctrl-D at the start of the next: the end of input.
    let typed = [rec(1, "a", "zyla").as_bytes(), b"\x04"].concat();
    for files in [&[][..], &["-"]] {
        let o = on_terminal(&[&Q[..], files].concat(), &typed);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), out(0, "TO", "a") + &out(0, "MOST", "a"));
        // Was: nothing, while the tool waited for a terminal to type.
        assert_eq!(stderr(&o), note, "{files:?}");
    }
    // Not for a pipe, nor with -q.
    let o = stream(&Q, &rec(1, "a", "zyla"));
    assert_eq!(stderr(&o), "");
    let o = on_terminal(&[&Q[..], &["-q"]].concat(), &typed);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), ""));
}

#[test]
fn one_ctrl_d_ends_an_empty_terminal_input() {
    // Was: the first bytes were read to see whether the input is
    // compressed, which took the Ctrl-D, and the next read waited for a
    // second one.
    let o = on_terminal(&Q, b"\x04");
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), ""));
    // So does one after a line of fewer bytes than that look takes.
    let o = on_terminal(&Q, b"12\n\x04");
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("1 malformed line(s)"), "{}", stderr(&o));
}
