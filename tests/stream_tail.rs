//! `connspy-stream --tail` end to end: the real binary follows a log in a
//! temporary directory while the test appends, rotates, truncates, deletes
//! and signals, and reads its stdout through a pipe as it comes.
//!
//! Every run uses `--to b --from a --max_log_late_seconds 0`, so an hour
//! `H` closes as soon as a record later than `H + 3600 s` is read. Output is
//! awaited with generous time-outs; "nothing yet" is checked by watching
//! for a while, which a slow machine can only make pass, never fail.

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// An hour start (1565658000 = 434905 * 3600): hour `k` of a test starts
/// `k * 3600` seconds later.
const H: u64 = 1_565_658_000;
/// How long to wait for output or an exit that should come.
const EXPECT_WITHIN: Duration = Duration::from_secs(10);
/// How long to watch for output that should not come: a few poll
/// intervals of the follower.
const QUIET_FOR: Duration = Duration::from_millis(600);

/// One log line: a record `offset` seconds after `H`.
fn rec(offset: u64, from: &str, to: &str) -> String {
    format!("{} {from} {to}\n", H + offset)
}

/// One output line of hour `k`.
fn out(k: u64, kind: &str, host: &str) -> String {
    format!("{}.0\t{kind}\t{host}", H + k * 3600)
}

/// Hour 0 of the logs that start with `rec(0, "a", "b")`.
fn hour0() -> Vec<String> {
    vec![out(0, "TO", "a"), out(0, "FROM", "b"), out(0, "MOST", "a")]
}

fn append(path: &Path, text: &str) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// A running `connspy-stream --tail`, its stdout read line by line.
struct Tail {
    child: Child,
    stdout: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
}

impl Tail {
    /// Follows `input` (a path, or stdin when `None`).
    fn start(input: Option<&Path>) -> Tail {
        Tail::spawn(&["--tail"], input)
    }

    /// Runs with `extra` options on `input` (a path, or stdin when `None`).
    fn spawn(extra: &[&str], input: Option<&Path>) -> Tail {
        // CONNSPY_STREAM_BIN runs these tests against another build (an
        // older one, to see which tests it fails).
        let bin = std::env::var_os("CONNSPY_STREAM_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_connspy-stream").into());
        let mut cmd = Command::new(bin);
        cmd.args(["--to", "b", "--from", "a", "--max_log_late_seconds", "0"])
            .args(extra);
        if let Some(path) = input {
            cmd.arg(path);
        }
        Tail::spawn_command(&mut cmd)
    }

    /// Runs `cmd` (a `connspy-stream` command line, perhaps through a
    /// shell), its output read as it comes.
    fn spawn_command(cmd: &mut Command) -> Tail {
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if lines.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Tail {
            child,
            stdout: received,
            stderr: Some(stderr),
        }
    }

    fn stdin(&mut self) -> &mut ChildStdin {
        self.child.stdin.as_mut().unwrap()
    }

    /// Waits for exactly these next lines of output, while the process
    /// keeps running.
    fn expect(&mut self, expected: &[String]) {
        let deadline = Instant::now() + EXPECT_WITHIN;
        let mut got = Vec::new();
        while got.len() < expected.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => got.push(line),
                Err(e) => panic!(
                    "{e:?} after {got:?}, expecting {expected:?}; stderr: {}",
                    self.kill_for_stderr()
                ),
            }
        }
        assert_eq!(got, expected);
        assert!(self.running(), "exited after printing {got:?}");
    }

    /// Checks that nothing is printed for a while and the process runs on.
    fn expect_quiet(&mut self) {
        match self.stdout.recv_timeout(QUIET_FOR) {
            Err(RecvTimeoutError::Timeout) => {}
            other => panic!("expected no output, got {other:?}"),
        }
        assert!(self.running());
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit; returns its status, the output not yet read and
    /// stderr.
    fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        let deadline = Instant::now() + EXPECT_WITHIN;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "still running; stderr: {}",
                self.kill_for_stderr()
            );
            thread::sleep(Duration::from_millis(20));
        };
        let rest = self.stdout.iter().collect();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, rest, stderr)
    }

    fn kill_for_stderr(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|h| h.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("conn.log")
}

#[test]
fn appended_records_close_hours_while_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &rec(0, "a", "b"));
    let mut tail = Tail::start(Some(&log));
    tail.expect_quiet();
    append(&log, &rec(3601, "c", "d"));
    tail.expect(&hour0());
    append(&log, &rec(7202, "e", "f"));
    tail.expect(&[out(1, "MOST", "c")]);
}

#[test]
fn a_partial_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    let closing = rec(3601, "c", "d");
    append(&log, &rec(0, "a", "b"));
    append(&log, closing.trim_end());
    let mut tail = Tail::start(Some(&log));
    tail.expect_quiet();
    append(&log, "\n");
    tail.expect(&hour0());
}

#[test]
fn rotation_reads_the_old_file_to_its_end_then_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &(rec(0, "a", "b") + &rec(3601, "a", "d")));
    // No rotate wait: the old file is read to its end at once, its
    // unterminated last line taken as a line (see the next tests for the
    // default wait).
    let mut tail = Tail::spawn(&["--tail", "--rotate-wait", "0"], Some(&log));
    tail.expect(&hour0());
    // Written before and after the rename, the last line unterminated.
    append(&log, &rec(3602, "a", "e"));
    let old = dir.path().join("conn.log.1");
    fs::rename(&log, &old).unwrap();
    append(&old, &rec(3603, "a", "f"));
    append(&old, rec(3604, "a", "g").trim_end());
    append(&log, &rec(7205, "x", "y"));
    let mut hour1: Vec<String> = ["d", "e", "f", "g"]
        .iter()
        .map(|h| out(1, "FROM", h))
        .collect();
    hour1.push(out(1, "MOST", "a"));
    tail.expect(&hour1);
    // The new file is followed.
    append(&log, &rec(10806, "z", "z"));
    tail.expect(&[out(2, "MOST", "x")]);
    tail.signal("TERM");
    let (_, rest, stderr) = tail.finish();
    assert_eq!(rest, Vec::<String>::new());
    assert!(
        !stderr.contains("too-late"),
        "a line was read twice: {stderr}"
    );
}

#[test]
fn truncation_reads_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &rec(0, "a", "b").repeat(10));
    append(&log, &rec(3601, "c", "d"));
    let mut tail = Tail::start(Some(&log));
    tail.expect(&hour0());
    // copytruncate: the same file emptied, then written to again (less
    // than was read before, or the shrinking could not be seen).
    fs::File::create(&log).unwrap();
    append(&log, &(rec(3602, "e", "e") + &rec(7202, "x", "y")));
    tail.expect(&[out(1, "MOST", "e")]);
}

#[test]
fn a_file_created_after_the_start_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    let mut tail = Tail::start(Some(&log));
    tail.expect_quiet();
    append(&log, &(rec(0, "a", "b") + &rec(3601, "c", "d")));
    tail.expect(&hour0());
}

#[test]
fn a_deleted_file_is_waited_for_until_a_new_one_appears() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &(rec(0, "a", "b") + &rec(3601, "c", "d")));
    let mut tail = Tail::start(Some(&log));
    tail.expect(&hour0());
    fs::remove_file(&log).unwrap();
    tail.expect_quiet();
    append(&log, &(rec(3602, "e", "e") + &rec(7202, "x", "y")));
    tail.expect(&[out(1, "MOST", "e")]);
}

/// A stop signal ends the run with its status; the hours already closed
/// were printed, the open one is not (it is not complete).
fn stops_on(signal: &str, status: i32) {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &(rec(0, "a", "b") + &rec(3601, "c", "d")));
    let mut tail = Tail::start(Some(&log));
    tail.expect(&hour0());
    tail.signal(signal);
    let (exit, rest, _) = tail.finish();
    assert_eq!(exit.code(), Some(status));
    assert_eq!(rest, Vec::<String>::new());
}

#[test]
fn sigterm_exits_143_without_the_open_hour() {
    stops_on("TERM", 143);
}

#[test]
fn sigint_exits_130_without_the_open_hour() {
    stops_on("INT", 130);
}

#[test]
fn with_stdin_it_reads_until_stdin_closes() {
    let mut tail = Tail::start(None);
    let records = rec(0, "a", "b") + &rec(3601, "c", "d");
    tail.stdin().write_all(records.as_bytes()).unwrap();
    tail.stdin().flush().unwrap();
    tail.expect(&hour0());
    drop(tail.child.stdin.take());
    let (exit, rest, _) = tail.finish();
    assert_eq!(exit.code(), Some(0));
    assert_eq!(rest, vec![out(1, "MOST", "c")]);
}

/// Waits for the exit that one `signal` asks for, which must come within
/// a fraction of `EXPECT_WITHIN` (the reads look at the stop request every
/// 50 ms); returns the output not yet read.
fn stopped_by(tail: Tail, signal: &str, status: i32) -> Vec<String> {
    stopped_by_with_stderr(tail, signal, status).0
}

/// [`stopped_by`], with stderr too.
fn stopped_by_with_stderr(tail: Tail, signal: &str, status: i32) -> (Vec<String>, String) {
    tail.signal(signal);
    let signalled = Instant::now();
    let (exit, rest, stderr) = tail.finish();
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "took {:?} to stop",
        signalled.elapsed()
    );
    assert_eq!(exit.code(), Some(status), "{stderr}");
    (rest, stderr)
}

#[test]
fn an_idle_stdin_stops_on_one_signal_after_the_complete_hours() {
    let records = rec(0, "a", "b") + &rec(3601, "c", "d") + rec(3602, "e", "f").trim_end();
    // Followed: the closed hour is out at once; stdin stays open and idle.
    let mut tail = Tail::start(None);
    tail.stdin().write_all(records.as_bytes()).unwrap();
    tail.stdin().flush().unwrap();
    tail.expect(&hour0());
    assert_eq!(stopped_by(tail, "TERM", 143), Vec::<String>::new());
    // Batch: the closed hour is written when the signal ends the run; the
    // open hour and the unfinished last line are not.
    let mut batch = Tail::spawn(&[], None);
    batch.stdin().write_all(records.as_bytes()).unwrap();
    batch.stdin().flush().unwrap();
    batch.expect_quiet();
    assert_eq!(stopped_by(batch, "INT", 130), hour0());
}

#[test]
fn a_stop_in_the_middle_of_compressed_stdin_is_a_stop_not_an_error() {
    // The stop cuts the decompressor's input short; that is not a damaged
    // stream to report, only the end of the run.
    let records = rec(0, "a", "b") + &rec(3601, "c", "d");
    let zst = zstd::encode_all(records.repeat(100).as_bytes(), 1).unwrap();
    for extra in [&[][..], &["--tail"]] {
        let mut run = Tail::spawn(extra, None);
        run.stdin().write_all(&zst[..zst.len() / 2]).unwrap();
        run.stdin().flush().unwrap();
        run.expect_quiet();
        stopped_by(run, "TERM", 143);
    }
}

#[test]
fn waiting_for_a_fifo_writer_stops_on_one_signal() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("conn.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut tail = Tail::spawn(&[], Some(&fifo));
    tail.expect_quiet();
    assert_eq!(stopped_by(tail, "TERM", 143), Vec::<String>::new());
}

#[test]
fn a_followed_fifo_is_read_until_its_writer_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("conn.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut tail = Tail::start(Some(&fifo));
    let mut writer = OpenOptions::new().write(true).open(&fifo).unwrap();
    writer
        .write_all((rec(0, "a", "b") + &rec(3601, "c", "d")).as_bytes())
        .unwrap();
    tail.expect(&hour0());
    drop(writer);
    let (exit, rest, stderr) = tail.finish();
    assert_eq!(exit.code(), Some(0), "{stderr}");
    assert_eq!(rest, vec![out(1, "MOST", "c")]);
}

// The --tail robustness cases of docs/robustness.md, each with the default options.

/// A record of hour 0 from a host of its own, `w{n}`, to `sink`: counted
/// once each, every record shows in the `COUNT` rows as `w{n} 1`.
fn unique(n: usize) -> String {
    rec(1, &format!("w{n}"), "sink")
}

fn uniques(range: std::ops::Range<usize>) -> String {
    range.map(unique).collect()
}

/// Closes hour 0 (appended to `log`, the file at the path), stops the run
/// and checks, from the `COUNT` rows of hour 0, that each of records
/// `0..written` was counted exactly once; returns stderr.
fn expect_each_once(mut tail: Tail, log: &Path, written: usize) -> String {
    append(log, &rec(7300, "z", "z"));
    // The hour's rows come together, flushed as it closes.
    let first = tail.stdout.recv_timeout(EXPECT_WITHIN);
    assert!(first.is_ok(), "no output: {}", tail.kill_for_stderr());
    thread::sleep(Duration::from_millis(300));
    tail.signal("TERM");
    let (exit, rest, stderr) = tail.finish();
    assert_eq!(exit.code(), Some(143), "{stderr}");
    let mut seen = vec![0u64; written];
    let mut strays = Vec::new();
    for row in std::iter::once(first.unwrap()).chain(rest) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols[1] != "COUNT" || !cols[2].starts_with('w') {
            continue;
        }
        match cols[2][1..].parse::<usize>() {
            Ok(n) if n < written => seen[n] += cols[3].parse::<u64>().unwrap(),
            _ => strays.push(row.clone()),
        }
    }
    let lost = seen.iter().filter(|&&c| c == 0).count();
    let twice = seen.iter().filter(|&&c| c > 1).count();
    assert_eq!(
        (lost, twice, strays.len()),
        (0, 0, 0),
        "lost, read twice, wrong hosts {strays:?}; stderr: {stderr}"
    );
    stderr
}

impl Tail {
    /// Follows `log` with `--emit-counts`, for [`expect_each_once`].
    fn counting(log: &Path) -> Tail {
        Tail::spawn(&["--tail", "--emit-counts"], Some(log))
    }
}

/// copytruncate as logrotate does it: copy the file, then empty it.
fn copy_truncate(log: &Path, copy: &Path) {
    fs::copy(log, copy).unwrap();
    OpenOptions::new()
        .write(true)
        .open(log)
        .unwrap()
        .set_len(0)
        .unwrap();
}

#[test]
fn copytruncate_20_ms_after_the_last_append_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, "");
    let tail = Tail::counting(&log);
    thread::sleep(Duration::from_millis(300));
    for round in 0..20 {
        append(&log, &uniques(round * 100..round * 100 + 100));
        thread::sleep(Duration::from_millis(20));
        copy_truncate(&log, &dir.path().join("conn.log.1"));
    }
    expect_each_once(tail, &log, 2000);
}

#[test]
fn a_truncation_overtaken_by_more_bytes_than_were_read_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, "");
    let tail = Tail::counting(&log);
    thread::sleep(Duration::from_millis(300));
    let mut n = 0;
    for _ in 0..10 {
        append(&log, &uniques(n..n + 1000));
        n += 1000;
        thread::sleep(Duration::from_millis(100));
        // Emptied, then at once longer than before: the offset read to is
        // inside new data, which must be read from its start.
        let file = OpenOptions::new().write(true).open(&log).unwrap();
        file.set_len(0).unwrap();
        drop(file);
        append(&log, &uniques(n..n + 1500));
        n += 1500;
        thread::sleep(Duration::from_millis(100));
    }
    let stderr = expect_each_once(tail, &log, n);
    assert!(!stderr.contains("malformed"), "{stderr}");
}

#[test]
fn a_line_finished_in_the_old_file_after_a_rename_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &uniques(0..10));
    let tail = Tail::counting(&log);
    thread::sleep(Duration::from_millis(300));
    let mut writer = OpenOptions::new().append(true).open(&log).unwrap();
    let line = unique(10);
    let (head, rest) = line.split_at(line.len() - 4);
    writer.write_all(head.as_bytes()).unwrap();
    fs::rename(&log, dir.path().join("conn.log.1")).unwrap();
    append(&log, &uniques(11..20));
    thread::sleep(Duration::from_secs(1));
    // The writer finishes its line, and writes on, in the old file.
    writer.write_all(rest.as_bytes()).unwrap();
    writer.write_all(uniques(20..30).as_bytes()).unwrap();
    thread::sleep(Duration::from_millis(300));
    expect_each_once(tail, &log, 30);
}

#[test]
fn a_writer_that_reopens_a_second_after_rotation_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &uniques(0..1000));
    let tail = Tail::counting(&log);
    thread::sleep(Duration::from_millis(300));
    let mut writer = OpenOptions::new().append(true).open(&log).unwrap();
    // logrotate's `create`: renamed, and a new empty file at the path.
    fs::rename(&log, dir.path().join("conn.log.1")).unwrap();
    append(&log, "");
    let started = Instant::now();
    let mut n = 1000;
    while started.elapsed() < Duration::from_secs(1) {
        writer.write_all(uniques(n..n + 100).as_bytes()).unwrap();
        n += 100;
        thread::sleep(Duration::from_millis(50));
    }
    // It reopens the path at last.
    append(&log, &uniques(n..n + 100));
    n += 100;
    thread::sleep(Duration::from_millis(300));
    expect_each_once(tail, &log, n);
}

/// CPU time (user + system) the process has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// A follower of a log in `dir` holding one record of hour 0, whose file
/// is then replaced by a FIFO; returns it, quiet so far, and the path.
fn tail_meeting_a_fifo(dir: &tempfile::TempDir) -> (Tail, PathBuf) {
    let log = log_in(dir);
    append(&log, &rec(0, "a", "b"));
    let mut tail = Tail::start(Some(&log));
    tail.expect_quiet();
    fs::remove_file(&log).unwrap();
    let made = Command::new("mkfifo").arg(&log).status().unwrap();
    assert!(made.success());
    tail.expect_quiet();
    (tail, log)
}

#[test]
fn a_fifo_at_the_path_is_said_and_waited_out_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let (mut tail, log) = tail_meeting_a_fifo(&dir);
    // A regular file again: followed.
    fs::remove_file(&log).unwrap();
    append(&log, &rec(3601, "c", "d"));
    tail.expect(&hour0());
    let rest = stopped_by(tail, "TERM", 143);
    assert_eq!(rest, Vec::<String>::new());
}

#[test]
fn a_fifo_notice_is_on_stderr_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut tail, _log) = tail_meeting_a_fifo(&dir);
    tail.expect_quiet();
    tail.signal("TERM");
    let (exit, _, stderr) = tail.finish();
    assert_eq!(exit.code(), Some(143), "{stderr}");
    assert_eq!(
        stderr.matches("is a FIFO, not a regular file").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_link_to_dev_zero_is_refused_without_spinning() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &(rec(0, "a", "b") + &rec(3601, "c", "d")));
    let mut tail = Tail::start(Some(&log));
    tail.expect(&hour0());
    fs::remove_file(&log).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &log).unwrap();
    thread::sleep(Duration::from_millis(300));
    let before = cpu_time(tail.child.id());
    thread::sleep(Duration::from_secs(1));
    let used = cpu_time(tail.child.id()) - before;
    assert!(used < Duration::from_millis(100), "{used:?} of CPU in 1 s");
    tail.signal("INT");
    let signalled = Instant::now();
    let (exit, rest, stderr) = tail.finish();
    assert!(signalled.elapsed() < Duration::from_secs(3));
    assert_eq!(exit.code(), Some(130), "{stderr}");
    assert_eq!(rest, Vec::<String>::new());
    assert_eq!(
        stderr.matches("is a character device").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn an_unopenable_file_at_the_path_is_said_once_and_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &rec(0, "a", "b"));
    let mut tail = Tail::start(Some(&log));
    tail.expect_quiet();
    fs::rename(&log, dir.path().join("conn.log.1")).unwrap();
    // Mode 000 stops anyone but root; a symbolic link to itself stops
    // root too.
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        std::os::unix::fs::symlink("conn.log", &log).unwrap();
    } else {
        append(&log, &rec(3601, "c", "d"));
        fs::set_permissions(&log, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    }
    tail.expect_quiet();
    tail.expect_quiet();
    if root {
        fs::remove_file(&log).unwrap();
        append(&log, &rec(3601, "c", "d"));
    } else {
        fs::set_permissions(&log, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    }
    tail.expect(&hour0());
    tail.signal("TERM");
    let (_, _, stderr) = tail.finish();
    assert_eq!(stderr.matches("cannot open it").count(), 1, "{stderr}");
}

#[test]
fn a_write_closes_the_hour_on_stdout_within_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &rec(0, "a", "b"));
    let mut tail = Tail::spawn(&["--tail"], Some(&log));
    tail.expect_quiet();
    let mut latencies = Vec::new();
    for k in 1..22 {
        let written = Instant::now();
        append(&log, &rec(k * 3600 + 1, "a", "b"));
        let line = tail.stdout.recv_timeout(EXPECT_WITHIN);
        latencies.push(written.elapsed());
        assert!(line.is_ok(), "{}", tail.kill_for_stderr());
        // TO, FROM and MOST rows of the hour closed.
        for _ in 0..2 {
            tail.stdout.recv_timeout(EXPECT_WITHIN).unwrap();
        }
        thread::sleep(Duration::from_millis(20));
    }
    latencies.sort();
    // Measured about 1 ms (docs/robustness.md); polling took ~100 ms.
    let median = latencies[latencies.len() / 2];
    assert!(median < Duration::from_millis(40), "{latencies:?}");
}

#[test]
fn with_poll_it_polls_at_the_interval_asked() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &rec(0, "a", "b"));
    let mut tail = Tail::spawn(&["--tail", "--poll", "--poll-interval", "0.05"], Some(&log));
    tail.expect_quiet();
    append(&log, &rec(3601, "c", "d"));
    tail.expect(&hour0());
}

#[test]
fn sighup_exits_129_with_the_stats_and_without_the_open_hour() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &(rec(0, "a", "b") + &rec(3601, "c", "d")));
    let mut tail = Tail::spawn(&["--tail", "--stats"], Some(&log));
    tail.expect(&hour0());
    tail.signal("HUP");
    let (exit, rest, stderr) = tail.finish();
    assert_eq!(exit.code(), Some(129), "{stderr}");
    assert_eq!(rest, Vec::<String>::new());
    assert!(
        stderr.contains("stats: records=2 malformed=0 too_late=0 windows_printed=1 "),
        "{stderr}"
    );
}

#[test]
fn under_nohup_sighup_stays_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &(rec(0, "a", "b") + &rec(3601, "c", "d")));
    // As `nohup` starts it: SIGHUP ignored (`exec` keeps it ignored).
    let bin = env!("CARGO_BIN_EXE_connspy-stream");
    let mut tail = Tail::spawn_command(
        Command::new("sh")
            .args(["-c", "trap '' HUP; exec \"$0\" \"$@\"", bin])
            .args(["--to", "b", "--from", "a", "--max_log_late_seconds", "0"])
            .arg("--tail")
            .arg(&log),
    );
    tail.expect(&hour0());
    tail.signal("HUP");
    tail.expect_quiet();
    append(&log, &rec(7202, "e", "f"));
    tail.expect(&[out(1, "MOST", "c")]);
    assert_eq!(stopped_by(tail, "TERM", 143), Vec::<String>::new());
}

#[test]
fn a_reader_of_stdout_that_has_gone_ends_the_run_without_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    append(&log, &(rec(0, "a", "b") + &rec(3601, "c", "d")));
    let mut tail = Command::new(env!("CARGO_BIN_EXE_connspy-stream"))
        .args(["--to", "b", "--from", "a", "--max_log_late_seconds", "0"])
        .args(["--tail", "--stats"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: the real head reads the closed hour's first line and
    // exits; nothing more is due to be written, and the log stays idle.
    let head = Command::new("head")
        .arg("-1")
        .stdin(Stdio::from(tail.stdout.take().unwrap()))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(head.stdout).unwrap(),
        hour0()[0].clone() + "\n"
    );
    let head_gone = Instant::now();
    let status = loop {
        if let Some(status) = tail.try_wait().unwrap() {
            break status;
        }
        if head_gone.elapsed() > EXPECT_WITHIN {
            let _ = tail.kill();
            let _ = tail.wait();
            panic!("still running {EXPECT_WITHIN:?} after its reader has gone");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let took = head_gone.elapsed();
    let mut stderr = String::new();
    tail.stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    // Seen at the next stop check (every 50 ms): well within 3 s even on a
    // loaded machine.
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // A closed stdout is a quiet success, as it always was at a write.
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with("connspy-stream: stats: records=2 "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_last_line_without_its_newline_at_exit_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let log = log_in(&dir);
    let unfinished = rec(3602, "e", "f");
    let unfinished = unfinished.trim_end();
    append(
        &log,
        &(rec(0, "a", "b") + &rec(3601, "c", "d") + unfinished),
    );
    let mut tail = Tail::start(Some(&log));
    tail.expect(&hour0());
    let (rest, stderr) = stopped_by_with_stderr(tail, "TERM", 143);
    assert_eq!(rest, Vec::<String>::new());
    let note = format!(
        "connspy-stream: {}: its last line has no newline: {} bytes left unread at exit\n",
        log.display(),
        unfinished.len()
    );
    assert_eq!(stderr, note);
}
