//! A log truncated while `connspy` has it mapped: a clean error (exit
//! status 1, one line naming the file), never a SIGBUS crash.
//!
//! Two defences, each tested on its own: the size check before each block
//! (in-process, deterministic), and the SIGBUS handler for a read that
//! loses the race (in a child process that faults on purpose); then the
//! real binary, truncated at varying moments while it reads.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use connspy::diagnostics::{Diagnostics, MalformedReport};
use connspy::io::input::{self, InputName, MmapChoice, Opened};
use connspy::io::sigbus;
use connspy::output::Format;
use connspy::parse::timestamp::{Duration as Lateness, Timestamp};
use connspy::query::{self, Answer, Query, Side};

/// Set in the child process of the SIGBUS tests: the log it maps.
const CHILD_LOG: &str = "CONNSPY_TEST_SIGBUS_LOG";
/// Set in the child process of the SIGBUS tests: what it does.
const CHILD_ACT: &str = "CONNSPY_TEST_SIGBUS_ACT";

fn write_log(path: &Path, lines: usize) {
    let mut text = String::with_capacity(lines * 24);
    for i in 0..lines {
        text.push_str(&format!("{} h{} zyla\n", 1_565_647_200 + i / 50, i % 997));
    }
    fs::write(path, text).unwrap();
}

fn shrink(path: &Path, len: u64) {
    OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

fn query(block_bytes: usize) -> Query {
    Query {
        target: connspy::parse::target::Target::parse(b"zyla").unwrap(),
        input_format: connspy::parse::format::InputFormat::Auto,
        side: Side::To,
        source: None,
        filter: Default::default(),
        summary: false,
        time_init: Timestamp::ZERO,
        time_end: Timestamp::from_secs(9_999_999_999),
        lateness: Lateness::from_secs(300),
        fast_seek: false,
        block_bytes,
    }
}

#[test]
fn a_file_shorter_than_its_map_is_an_error_naming_it_before_a_block_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("conn.log");
    write_log(&log, 20_000);
    let name = InputName::Path(log.clone());
    let opened = input::open(&name, MmapChoice::Auto(sigbus::install("test").unwrap())).unwrap();
    assert!(matches!(opened, Opened::Whole(_)));
    shrink(&log, 100);
    let mut out = Vec::new();
    let mut report =
        MalformedReport::new(Diagnostics::to_writer("t", true, std::io::sink()), false);
    let query = query(4096);
    let mut answer = Answer::new(&mut out, Format::Tsv, &query, &mut report);
    let err = query::run(&query, vec![(name, opened)], &mut answer).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("conn.log") && msg.contains("shrank") && msg.contains("to 100 bytes"),
        "{msg}"
    );
}

/// Runs one of the child acts below in a copy of this test binary.
fn run_child(act: &str, log: &Path) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "sigbus_child", "--test-threads=1"])
        .env(CHILD_LOG, log)
        .env(CHILD_ACT, act)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Not a test: the body of the child processes of the tests below, which
/// fault on purpose.
#[test]
#[ignore = "run by the SIGBUS tests in a child process"]
fn sigbus_child() {
    let log = std::env::var_os(CHILD_LOG).expect("run by the SIGBUS tests");
    connspy::io::sigbus::install("connspy").unwrap();
    let name = InputName::Path(log.clone().into());
    let Ok(Opened::Whole(whole)) =
        input::open(&name, MmapChoice::Auto(sigbus::install("test").unwrap()))
    else {
        panic!("not mapped");
    };
    match std::env::var(CHILD_ACT).unwrap().as_str() {
        "read-truncated" => {
            shrink(Path::new(&log), 0);
            let last = whole.bytes().len() - 1;
            // SAFETY: in bounds of the map; the read faults (its page is
            // past the file's new end), which is what is tested.
            let byte = unsafe { std::ptr::read_volatile(&whole.bytes()[last]) };
            println!("read {byte} without a fault");
        }
        "read-unguarded" => {
            // A map the handler does not know of.
            let file = File::open(&log).unwrap();
            // SAFETY: as above, the fault is the point.
            let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
            shrink(Path::new(&log), 0);
            // SAFETY: the reference is valid for the read; the read faults
            // (SIGBUS), which is what the parent test expects to see.
            let byte = unsafe { std::ptr::read_volatile(&map[map.len() - 1]) };
            println!("read {byte} without a fault");
        }
        act => panic!("unknown act {act}"),
    }
}

#[test]
fn a_read_that_loses_the_race_exits_1_with_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("conn.log");
    write_log(&log, 20_000);
    let o = run_child("read-truncated", &log);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{:?}: {stderr}", o.status);
    assert_eq!(
        stderr,
        format!(
            "connspy: {}: the file shrank while it was being read (truncated by another \
             process?); the answer would be incomplete\n",
            log.display()
        )
    );
}

#[test]
fn a_fault_outside_the_guarded_maps_still_kills_with_sigbus() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("conn.log");
    write_log(&log, 20_000);
    let o = run_child("read-unguarded", &log);
    assert_eq!(
        o.status.signal(),
        Some(libc::SIGBUS),
        "{:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout)
    );
}

/// The real binary, its log truncated at varying moments of its read: each
/// run either finishes with a complete answer (it read the file before or
/// after the truncation) or stops with the clean error; never a signal.
#[test]
fn connspy_survives_its_log_being_truncated_while_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("conn.log");
    let lines = 1_500_000;
    write_log(&log, lines);
    let pristine = fs::read(&log).unwrap();
    let keep = 4096;
    // Line `i` is sent by `h{i % 997}`: the answer to the first `n` lines
    // is `h0`, `h1`, ... up to the first 997.
    let answer = |n: usize| -> Vec<u8> {
        (0..n.min(997))
            .flat_map(|i| format!("h{i}\n").into_bytes())
            .collect()
    };
    let whole = answer(lines);
    let short = answer(pristine[..keep].iter().filter(|&&b| b == b'\n').count());
    let mut errors = 0;
    for (run, delay_ms) in [0u64, 2, 5, 10, 20, 40, 80, 160].into_iter().enumerate() {
        if run > 0 {
            let mut file = File::create(&log).unwrap();
            file.write_all(&pristine).unwrap();
        }
        let mode: &[&str] = if run % 2 == 0 { &["--nofastseek"] } else { &[] };
        let child = Command::new(env!("CARGO_BIN_EXE_connspy"))
            .args([
                "--to",
                "zyla",
                "--time_init",
                "0",
                "--time_end",
                "9999999999",
            ])
            .args(mode)
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        shrink(&log, keep as u64);
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        match o.status.code() {
            Some(0) => assert!(
                o.stdout == whole || o.stdout == short,
                "run {run}: exit 0 with a partial answer; stderr: {stderr}"
            ),
            Some(1) => {
                errors += 1;
                assert!(
                    stderr.starts_with("connspy: ")
                        && stderr.contains("conn.log")
                        && stderr.contains("shrank")
                        && stderr.lines().count() == 1,
                    "run {run}: {stderr}"
                );
                assert!(whole.starts_with(&o.stdout), "run {run}");
            }
            _ => panic!(
                "run {run} ({mode:?}, {delay_ms} ms): {:?}: {stderr}",
                o.status
            ),
        }
    }
    assert!(
        errors > 0,
        "no run was truncated while reading: make the log larger"
    );
}
