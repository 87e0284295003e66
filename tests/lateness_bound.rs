//! What each tool does with records that break the lateness bound: one
//! test per statement of docs/guide.md's "Records that break the lateness
//! bound", on the real binaries.
//!
//! The `connspy` logs hold one record a second from 1000 to 10000 (`h{TS}`
//! to `x`), queried for `[5000, 6000)` with `L = 10`, plus one record that
//! breaks the bound.

mod common;

use common::{H, rec, write_file};

use std::process::{Command, Output};

/// The ordered log, with `extra` inserted right after the record of `after`.
fn log_with(after: u64, extra: &str) -> String {
    let mut text = String::new();
    for ts in 1000..=10_000 {
        text.push_str(&format!("{ts} h{ts} x\n"));
        if ts == after {
            text.push_str(extra);
        }
    }
    text
}

/// The query's run in `mode` (options, `L` among them) over `file` (`-`:
/// `stdin`).
fn connspy_run(mode: &[&str], file: &str, stdin: Option<&str>) -> Output {
    let query = ["--to", "x", "--time_init", "5000", "--time_end", "6000"];
    let args = [&query[..], mode, &[file]].concat();
    let stdin = stdin.unwrap_or_default().as_bytes();
    let o = common::run_with_stdin(env!("CARGO_BIN_EXE_connspy"), &args, stdin);
    assert!(o.status.success());
    o
}

/// The hosts `connspy` prints, with `L = 10`.
fn connspy(mode: &[&str], file: &str, stdin: Option<&str>) -> Vec<String> {
    let mode = [&["--max_log_late_seconds", "10"], mode].concat();
    let o = connspy_run(&mode, file, stdin);
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// What `connspy` says on stderr over the log `text` with `L` = `lateness`,
/// with fast seek, without it, and on stdin.
fn connspy_stderr(text: &str, lateness: &str) -> [String; 3] {
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "conn.log", text);
    let file = file.to_str().unwrap();
    let bound = ["--max-log-late-seconds", lateness];
    let runs = [
        connspy_run(&bound, file, None),
        connspy_run(&[&bound[..], &["--no-fast-seek"]].concat(), file, None),
        connspy_run(&bound, "-", Some(text)),
    ];
    runs.map(|o| String::from_utf8(o.stderr).unwrap())
}

#[test]
fn connspy_warns_once_of_a_record_read_later_than_the_bound_allows() {
    // `late` arrives 800 s behind the record before it (L = 10), and both
    // name the host, so fast seek parses both.
    let text = log_with(5900, "5100 late x\n");
    let [seek, full, stdin] = connspy_stderr(&text, "10");
    let said = "connspy: warning: records arrived up to 800 s behind the newest time \
                before them, past the lateness bound of 10 s: ";
    assert_eq!(
        seek,
        format!(
            "{said}fast seek may have missed records (--max-log-late-seconds 800 would \
             cover it; --no-fast-seek reads every record up to the early stop)\n"
        )
    );
    let full_read = format!(
        "{said}the early stop may have missed records (--max-log-late-seconds 800 would \
         cover it)\n"
    );
    assert_eq!(full, full_read);
    assert_eq!(stdin, full_read, "stdin");
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "conn.log", &text);
    let quiet = connspy_run(&["-q"], file.to_str().unwrap(), None);
    assert_eq!(String::from_utf8(quiet.stderr).unwrap(), "", "-q");
}

#[test]
fn connspy_says_nothing_of_lateness_while_the_log_keeps_the_bound() {
    // 10 s behind, with L = 10: late, but within the bound.
    let text = log_with(5900, "5890 late x\n");
    assert_eq!(connspy_stderr(&text, "10"), ["", "", ""].map(String::from));
    // The bound the warning names covers the log that broke 10 s.
    let text = log_with(5900, "5100 late x\n");
    assert_eq!(connspy_stderr(&text, "800"), ["", "", ""].map(String::from));
}

/// `h{from}` .. `h{to}` inclusive.
fn hosts(from: u64, to: u64) -> Vec<String> {
    (from..=to).map(|ts| format!("h{ts}")).collect()
}

#[test]
fn the_full_scan_reads_every_record_up_to_the_early_stop_however_late() {
    // `late` is 800 s older than the record before it, and in range.
    let text = log_with(5900, "5100 late x\n");
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "conn.log", &text);
    let mut want = hosts(5000, 5900);
    want.push("late".into());
    want.extend(hosts(5901, 5999));
    assert_eq!(
        connspy(&["--nofastseek"], file.to_str().unwrap(), None),
        want
    );
    assert_eq!(connspy(&[], "-", Some(&text)), want, "stdin");
}

#[test]
fn the_full_scan_never_reads_past_the_early_stop_even_records_in_range() {
    // `spike` (TS >= time_end + L) stops the scan; the records after it
    // are more than L older than it, in range, and never read.
    let text = log_with(5500, "6500 spike y\n");
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "conn.log", &text);
    let stopped = hosts(5000, 5500);
    assert_eq!(
        connspy(&["--nofastseek"], file.to_str().unwrap(), None),
        stopped
    );
    assert_eq!(connspy(&[], "-", Some(&text)), stopped, "stdin");
    // Fast seek ends before the end-proving record its bisection meets,
    // which here is not the spike: it reads, and reports, all of them.
    assert_eq!(
        connspy(&[], file.to_str().unwrap(), None),
        hosts(5000, 5999)
    );
}

#[test]
fn fast_seek_misses_an_in_range_record_before_its_start_record() {
    // `early` is in range, and the records after it are more than L older
    // than it: the start record fast seek finds (TS < 4990) follows it.
    let text = log_with(1100, "5500 early x\n");
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "conn.log", &text);
    let file = file.to_str().unwrap();
    let mut full = vec!["early".to_string()];
    full.extend(hosts(5000, 5999));
    assert_eq!(connspy(&["--nofastseek"], file, None), full);
    assert_eq!(connspy(&[], file, None), hosts(5000, 5999));
}

/// The stream tool's run on a log with `L = 300`, with `--stats`.
fn stream(text: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "conn.log", text);
    Command::new(env!("CARGO_BIN_EXE_connspy-stream"))
        .args(["--to", "x", "--from", "nobody", "--stats"])
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn the_stream_counts_a_late_record_normally_while_its_hour_is_open() {
    // `late` is 2900 s older than the newest record (L = 300), but hour 0
    // is open until the log passes H + 3900 s.
    let text = [
        rec(3000, "a", "x"),
        rec(100, "late", "x"),
        rec(3001, "b", "x"),
    ]
    .concat();
    let o = stream(&text);
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!("{H}.0\tTO\ta\n{H}.0\tTO\tlate\n{H}.0\tTO\tb\n{H}.0\tMOST\tx\n")
    );
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains(" too_late=0 "), "{err}");
}

#[test]
fn the_stream_drops_and_counts_a_record_of_a_printed_hour_which_is_never_printed_again() {
    // `c` closes hour 0 (3901 > 3600 + 300): `late` comes after that.
    let text = [
        rec(10, "a", "x"),
        rec(3901, "c", "x"),
        rec(20, "late", "x"),
        rec(3902, "d", "x"),
    ]
    .concat();
    let o = stream(&text);
    assert!(o.status.success());
    let h1 = H + 3600;
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!(
            "{H}.0\tTO\ta\n{H}.0\tMOST\ta\n\
             {h1}.0\tTO\tc\n{h1}.0\tTO\td\n{h1}.0\tMOST\tx\n"
        )
    );
    let err = String::from_utf8(o.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[0].starts_with("connspy-stream: ")
            && lines[0].contains(
                "conn.log:3: skipped too-late record: its window 1565647200.0 was already closed"
            ),
        "{err}"
    );
    assert_eq!(
        lines[1],
        "connspy-stream: 1 too-late record(s) skipped in all"
    );
    // The measured lateness: `late` came 3881 s behind `c`.
    assert!(
        lines[2].starts_with("connspy-stream: warning: records arrived up to 3881 s behind")
            && lines[2].ends_with("(--max-log-late-seconds 3881 would cover it)"),
        "{err}"
    );
    assert!(
        lines[3].contains(" too_late=1 ") && lines[3].contains(" records=4 "),
        "{err}"
    );
}
