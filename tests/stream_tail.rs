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
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_connspy-stream"));
        cmd.args(["--to", "b", "--from", "a", "--max_log_late_seconds", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::piped());
        if let Some(path) = input {
            cmd.arg(path);
        }
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
    let mut tail = Tail::start(Some(&log));
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
    tail.signal(signal);
    let signalled = Instant::now();
    let (exit, rest, stderr) = tail.finish();
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "took {:?} to stop",
        signalled.elapsed()
    );
    assert_eq!(exit.code(), Some(status), "{stderr}");
    rest
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
