//! `connspy-stream` on one core (pinned with `sched_setaffinity`) and on
//! every core: the same stdout and the same `--stats` however the run
//! ends, and memory on the all-cores path that stays near one core's
//! whatever the log's shape (docs/behaviour.md#stream).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_connspy-stream");

/// How a run ended: its stdout, its `--stats` line without the timings,
/// its exit status and its peak RSS in KiB.
#[derive(Debug)]
struct Ran {
    stdout: Vec<u8>,
    stats: String,
    status: i32,
    peak_kib: i64,
}

/// Runs `connspy-stream --stats` with `args`, on CPU 0 alone when
/// `one_core`, with stdout to `stdout` (a pipe when `None`) and `env` set.
fn run(args: &[&str], one_core: bool, stdout: Option<File>, env: &[(&str, &str)]) -> Ran {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--stats").envs(env.iter().copied());
    cmd.stdout(stdout.map_or_else(Stdio::piped, Stdio::from));
    spawn_with(cmd, one_core).wait()
}

/// A run under way, its stdout (when a pipe) read on a thread of its own.
struct Spawned {
    child: std::process::Child,
    stdout: std::thread::JoinHandle<Vec<u8>>,
}

/// Spawns `cmd` (stderr piped), on CPU 0 alone when `one_core`.
fn spawn_with(mut cmd: Command, one_core: bool) -> Spawned {
    cmd.stderr(Stdio::piped());
    if one_core {
        // SAFETY: `sched_setaffinity` on the child's own pid (0) with a
        // set built on the stack is async-signal-safe and touches no
        // memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(0, &mut set);
                if libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    // Waited for with `wait4` in `Spawned::wait`, for its rusage.
    #[allow(clippy::zombie_processes)]
    let mut child = cmd.spawn().unwrap();
    let mut out = child.stdout.take();
    let stdout = std::thread::spawn(move || {
        let mut stdout = Vec::new();
        if let Some(out) = &mut out {
            std::io::Read::read_to_end(out, &mut stdout).unwrap();
        }
        stdout
    });
    Spawned { child, stdout }
}

impl Spawned {
    /// Closes its stdin, if piped, and waits for the end of the run.
    fn wait(mut self) -> Ran {
        drop(self.child.stdin.take());
        let mut stderr = String::new();
        let mut err = self.child.stderr.take().unwrap();
        std::io::Read::read_to_string(&mut err, &mut stderr).unwrap();
        let stdout = self.stdout.join().unwrap();
        // `wait4` gives this child's own peak RSS.
        // SAFETY: `rusage` is plain integers, for which all zeros is valid.
        let mut usage = unsafe { std::mem::zeroed::<libc::rusage>() };
        let mut status = 0;
        let pid = self.child.id() as i32;
        // SAFETY: waits for our own child, writing only into the two locals.
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        assert_eq!(waited, pid);
        let stats = stderr
            .lines()
            .find(|l| l.contains("stats: "))
            .unwrap_or_else(|| panic!("no --stats in {stderr}"))
            .split(' ')
            .filter(|field| {
                !field.starts_with("elapsed_s=") && !field.starts_with("records_per_s=")
            })
            .collect::<Vec<_>>()
            .join(" ");
        Ran {
            stdout,
            stats,
            status: libc::WEXITSTATUS(status),
            peak_kib: usage.ru_maxrss,
        }
    }
}

/// Writes `lines` to `path`.
fn write_log(path: &Path, lines: impl Iterator<Item = String>) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    for line in lines {
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
}

/// The first shape that once took gigabytes on every core: one 1-second
/// window of 2,000 hosts, then 300,000 seconds of one record each.
fn tiny_windows(path: &Path) {
    let t = 1_600_000_000u64;
    let busy = (0..2000).map(move |i| format!("{t} h{i} x"));
    let quiet = (1..=300_000u64).map(move |i| format!("{} h{} x", t + i, i % 5000));
    write_log(path, busy.chain(quiet));
}

#[test]
fn every_core_counts_many_tiny_windows_in_about_one_cores_memory() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tiny.txt");
    tiny_windows(&log);
    let args = [
        "--to",
        "x",
        "--from",
        "h1",
        "--window",
        "1s",
        "--max-log-late-seconds",
        "0",
        log.to_str().unwrap(),
    ];
    let one = run(&args, true, None, &[]);
    let all = run(&args, false, None, &[]);
    assert_eq!((one.status, all.status), (0, 0));
    assert_eq!(all.stdout, one.stdout);
    assert_eq!(all.stats, one.stats);
    // The bound the docs state: twice one core's peak, plus 64 MiB for the
    // chunks in flight (the tables once took gigabytes here).
    assert!(
        all.peak_kib <= 2 * one.peak_kib + 64 * 1024,
        "all cores {} KiB, one core {} KiB",
        all.peak_kib,
        one.peak_kib
    );
}

/// A log whose hour-long windows print a few rows each, over two days.
fn busy_hours(path: &Path) {
    let t = 1_600_000_000u64;
    write_log(
        path,
        (0..400_000u64)
            .map(move |i| format!("{} h{} h{}", t + i * 43 / 100, i % 7919, i % 104_729)),
    );
}

#[test]
fn a_write_error_stops_every_core_where_it_stops_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("busy.txt");
    busy_hours(&log);
    let args = ["--to", "h1", "--from", "h2", "--window", "1m", "--top", "3"];
    let args: Vec<&str> = args.into_iter().chain([log.to_str().unwrap()]).collect();
    let full = || Some(File::options().write(true).open("/dev/full").unwrap());
    let one = run(&args, true, full(), &[]);
    assert_eq!(one.status, 1);
    assert!(!one.stats.contains("records=400000"), "{}", one.stats);
    // The chunks are cut where the workers happen to be free: run again.
    for _ in 0..3 {
        let all = run(&args, false, full(), &[]);
        assert_eq!((all.status, &all.stats), (1, &one.stats));
    }
}

#[test]
fn a_spill_file_that_cannot_be_made_stops_every_core_where_it_stops_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("spill.txt");
    // An hour, then one whose TO list passes the 512 Ki hosts that fit in
    // memory, then a record that closes it.
    let t = 1_599_998_400u64;
    let first = (0..3000u64).map(move |i| format!("{} a{i} b", t + i % 3600));
    let long = (0..600_000u64).map(move |i| format!("{} s{i} x", t + 3600 + i * 3600 / 600_000));
    write_log(&log, first.chain(long));
    let args = ["--to", "x", "--from", "y", log.to_str().unwrap()];
    let env = [("TMPDIR", "/nonexistent")];
    let one = run(&args, true, None, &env);
    assert_eq!(one.status, 1);
    assert!(
        one.stdout.ends_with(b"MOST\tb\n"),
        "the first hour is printed"
    );
    for _ in 0..3 {
        let all = run(&args, false, None, &env);
        assert_eq!((all.status, &all.stats), (1, &one.stats));
        assert_eq!(all.stdout, one.stdout);
    }
}

#[test]
fn one_far_future_time_costs_one_record_on_every_core() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("poisoned.txt");
    // A cut line's time, read as 12-digit seconds (year 24,000), in the
    // middle of two days of records.
    let t = 1_565_647_200u64;
    let lines = (0..200_000u64).flat_map(move |i| {
        let cut = (i == 50_000).then(|| "700469170800 source u4691708".to_string());
        cut.into_iter().chain([format!("{} h{} x", t + i, i % 300)])
    });
    write_log(&log, lines);
    let args = ["--to", "x", "--from", "y", log.to_str().unwrap()];
    let one = run(&args, true, None, &[]);
    let all = run(&args, false, None, &[]);
    assert_eq!(one.status, 0);
    assert!(
        one.stats.contains("records=200000 malformed=1 too_late=0"),
        "{}",
        one.stats
    );
    let hours = String::from_utf8(one.stdout.clone()).unwrap();
    assert_eq!(hours.matches("MOST").count(), 56, "every hour printed");
    assert_eq!((all.stdout, all.stats), (one.stdout, one.stats));
}

/// Runs `connspy-stream --stats` with `args` over stdin, on CPU 0 alone
/// when `one_core`: writes `part` of the log, sends SIGTERM `after` that,
/// while stdin is still open (so the run cannot have ended by itself),
/// then closes stdin.
fn stopped_run(args: &[&str], one_core: bool, part: &[u8], after: std::time::Duration) -> Ran {
    let mut cmd = Command::new(BIN);
    cmd.args(args).args(["--stats", "-"]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let spawned = spawn_with(cmd, one_core);
    let mut stdin = spawned.child.stdin.as_ref().unwrap();
    stdin.write_all(part).unwrap();
    std::thread::sleep(after);
    let pid = spawned.child.id() as i32;
    // SAFETY: sends a signal to our own child, which has not been waited
    // for, so its pid is still its own.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0);
    spawned.wait()
}

/// The field `name=` of a `--stats` line.
fn stat(stats: &str, name: &str) -> u64 {
    let field = stats.split(' ').find_map(|f| f.strip_prefix(name));
    field
        .and_then(|v| v.strip_prefix('='))
        .unwrap()
        .parse()
        .unwrap()
}

/// A stop signal lands wherever the reading happens to be, so two runs,
/// or one core and every core, stop at different records. What both
/// promise (docs/behaviour.md#exit-statuses): the run stops after a whole
/// number of lines, and prints exactly what a run over those lines alone
/// prints with `--only-complete-hours` (whole windows, never the open
/// ones), with the same `--stats`.
#[test]
fn a_stop_signal_prints_what_a_run_over_the_lines_read_prints_on_every_core() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("busy.txt");
    busy_hours(&log);
    let text = std::fs::read(&log).unwrap();
    // Stdin stays open after this part, so the run is stopped before its
    // end, however fast it reads.
    let part = &text[..text.len() * 3 / 5];
    let args = ["--to", "h1", "--from", "h2", "--window", "1m", "--top", "3"];
    let mut stopped_at = Vec::new();
    for one_core in [true, false] {
        for after_ms in [0, 300] {
            let after = std::time::Duration::from_millis(after_ms);
            let stopped = stopped_run(&args, one_core, part, after);
            let what = format!("one core: {one_core}, signal after {after_ms} ms");
            assert_eq!(stopped.status, 143, "{what}");
            let read = stat(&stopped.stats, "bytes") as usize;
            assert!(read <= part.len(), "{what}: {read}");
            assert!(read == 0 || part[read - 1] == b'\n', "{what}: {read}");
            let prefix = dir.path().join("read.txt");
            std::fs::write(&prefix, &part[..read]).unwrap();
            let prefix = prefix.to_str().unwrap();
            let whole = [&args[..], &["--only-complete-hours", prefix]].concat();
            let over_read = run(&whole, true, None, &[]);
            assert_eq!(over_read.status, 0);
            assert_eq!(stopped.stats, over_read.stats, "{what}");
            assert!(stopped.stdout == over_read.stdout, "{what}: stdout differs");
            stopped_at.push(read);
        }
    }
    // Not vacuous: some run printed windows before the signal.
    assert!(stopped_at.iter().any(|&read| read > 0), "{stopped_at:?}");
}
