//! `connspy-stream --tail` under real `logrotate -f`, in `create` and in
//! `copytruncate` mode (both with `compress` + `delaycompress`), while a
//! writer appends unique records: every record must be counted exactly
//! once, from the `--emit-counts` rows, against what the writer wrote.
//! And a line that `copytruncate` cuts in two must be read whole.
//!
//! Skipped, with a message, where `logrotate` is not installed (`.ci/run`
//! installs it in CI).

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const H: u64 = 1_565_658_000;
/// Records per second the writer aims at, in batches every 5 ms.
const RATE: usize = 2000;
const BATCH_EVERY: Duration = Duration::from_millis(5);
const WRITE_FOR: Duration = Duration::from_secs(4);
const ROTATE_EVERY: Duration = Duration::from_millis(900);

fn logrotate() -> Option<&'static str> {
    [
        "/usr/sbin/logrotate",
        "/sbin/logrotate",
        "/usr/bin/logrotate",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
}

/// A writer that reopens the path when it names another file (as a
/// daemon does on the signal of logrotate's `postrotate`, checked here
/// before each batch); in copytruncate mode it never needs to.
fn open_log(log: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap()
}

/// A log in a temporary directory, rotated by real logrotate with the
/// options given, and followed by `connspy-stream --tail`.
struct Rotated {
    _dir: tempfile::TempDir,
    log: PathBuf,
    conf: PathBuf,
    state: PathBuf,
    logrotate: &'static str,
    follower: Child,
}

impl Rotated {
    /// `None` (and a message) where logrotate is not installed.
    fn start(options: &str) -> Option<Rotated> {
        let Some(logrotate) = logrotate() else {
            println!("logrotate is not installed: test skipped");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("conn.log");
        let conf = dir.path().join("logrotate.conf");
        fs::write(
            &conf,
            format!(
                "{} {{\n  rotate 50\n  missingok\n  {options}\n}}\n",
                log.display()
            ),
        )
        .unwrap();
        File::create(&log).unwrap();
        let follower = Command::new(env!("CARGO_BIN_EXE_connspy-stream"))
            .args(["--to", "sink", "--from", "a", "--max_log_late_seconds", "0"])
            .args(["--tail", "--emit-counts", "--stats"])
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        thread::sleep(Duration::from_millis(300));
        Some(Rotated {
            state: dir.path().join("logrotate.state"),
            _dir: dir,
            log,
            conf,
            logrotate,
            follower,
        })
    }

    /// Rotates the log once (forced).
    fn rotate(&self) {
        let status = Command::new(self.logrotate)
            .arg("-f")
            .arg("-s")
            .arg(&self.state)
            .arg(&self.conf)
            .status()
            .unwrap();
        assert!(status.success(), "logrotate failed");
    }

    /// Closes hour 0 in the file at the path, stops the follower (which
    /// must exit 143) and returns how many times each of `written` records
    /// `w{n}` was counted, the rows of other hosts, and stderr.
    fn finish(mut self, written: usize) -> (Vec<u64>, Vec<String>, String) {
        writeln!(open_log(&self.log), "{} z z", H + 7300).unwrap();
        let stdout = self.follower.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().expect("output").unwrap();
        thread::sleep(Duration::from_millis(300));
        Command::new("kill")
            .arg(self.follower.id().to_string())
            .status()
            .unwrap();
        let mut seen = vec![0u64; written];
        let mut strays = Vec::new();
        for row in std::iter::once(first).chain(lines.map(Result::unwrap)) {
            let cols: Vec<&str> = row.split('\t').collect();
            if cols[1] != "COUNT" || ["z", "sink"].contains(&cols[2]) {
                continue;
            }
            match cols[2]
                .strip_prefix('w')
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) if n < written => seen[n] += cols[3].parse::<u64>().unwrap(),
                _ => strays.push(row.clone()),
            }
        }
        let status = self.follower.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut self.follower.stderr.take().unwrap(), &mut stderr)
            .unwrap();
        assert_eq!(status.code(), Some(143), "{stderr}");
        (seen, strays, stderr)
    }
}

fn run(mode: &str) {
    let Some(rotated) = Rotated::start(&format!("compress\n  delaycompress\n  {mode}")) else {
        return;
    };
    let log = rotated.log.clone();

    // The writer: unique records `w{n}`, each with the time it was written.
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let log = log.clone();
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let started = Instant::now();
            let mut file = open_log(&log);
            let mut id = file.metadata().unwrap().ino();
            let mut written_at = Vec::new();
            let per_batch = RATE * BATCH_EVERY.as_millis() as usize / 1000;
            while started.elapsed() < WRITE_FOR {
                if fs::metadata(&log).map(|m| m.ino()).ok() != Some(id) {
                    file = open_log(&log);
                    id = file.metadata().unwrap().ino();
                }
                let n = written_at.len();
                let batch: String = (n..n + per_batch)
                    .map(|i| format!("{} w{i} sink\n", H + 1))
                    .collect();
                file.write_all(batch.as_bytes()).unwrap();
                written_at.extend(std::iter::repeat_n(Instant::now(), per_batch));
                thread::sleep(BATCH_EVERY);
            }
            done.store(true, Ordering::SeqCst);
            written_at
        })
    };
    // Rotations, each with the time logrotate ran.
    let mut rotations = Vec::new();
    while !done.load(Ordering::SeqCst) {
        thread::sleep(ROTATE_EVERY);
        let started = Instant::now();
        rotated.rotate();
        rotations.push((started, Instant::now()));
    }
    let written_at = writer.join().unwrap();
    thread::sleep(Duration::from_millis(500));
    let (seen, strays, stderr) = rotated.finish(written_at.len());
    assert_eq!(strays, Vec::<String>::new(), "{stderr}");
    let lost: Vec<usize> = (0..seen.len()).filter(|&i| seen[i] == 0).collect();
    let twice = seen.iter().filter(|&&c| c > 1).count();
    println!(
        "{mode}: {} records written, {} rotations, {} lost, {twice} counted twice",
        seen.len(),
        rotations.len(),
        lost.len()
    );
    assert_eq!(twice, 0, "{stderr}");
    if mode == "create" {
        assert_eq!(lost, Vec::<usize>::new(), "{stderr}");
    } else {
        // copytruncate's own race: what is written between logrotate's
        // copy and its truncation is in neither file, and what was written
        // just before the copy may not have been read yet. Nothing else may
        // be lost.
        let slack = Duration::from_millis(50);
        let outside: Vec<usize> = lost
            .iter()
            .copied()
            .filter(|&i| {
                !rotations
                    .iter()
                    .any(|&(from, to)| written_at[i] + slack >= from && written_at[i] <= to)
            })
            .collect();
        assert_eq!(
            outside,
            Vec::<usize>::new(),
            "lost outside a rotation; {stderr}"
        );
    }
}

#[test]
fn logrotate_create_compress_delaycompress_loses_nothing() {
    run("create");
}

#[test]
fn logrotate_copytruncate_loses_nothing_outside_its_own_race() {
    run("copytruncate");
}

#[test]
fn logrotate_copytruncate_in_the_middle_of_a_line_loses_nothing() {
    let Some(rotated) = Rotated::start("copytruncate") else {
        return;
    };
    let mut writer = open_log(&rotated.log);
    // Each round: whole lines, then a line cut in two by the rotation: its
    // start is read and copied away, its end written to the emptied file
    // (the writer's descriptor is never reopened under copytruncate).
    let rounds = 5;
    let per_round = 20;
    for round in 0..rounds {
        let lines: String = (round * per_round..(round + 1) * per_round)
            .map(|i| format!("{} w{i} sink\n", H + 1))
            .collect();
        let cut = lines.len() - 7;
        writer.write_all(&lines.as_bytes()[..cut]).unwrap();
        thread::sleep(Duration::from_millis(300));
        rotated.rotate();
        writer.write_all(&lines.as_bytes()[cut..]).unwrap();
        thread::sleep(Duration::from_millis(100));
    }
    let (seen, strays, stderr) = rotated.finish(rounds * per_round);
    let not_once: Vec<usize> = (0..seen.len()).filter(|&i| seen[i] != 1).collect();
    assert_eq!(
        (not_once, strays),
        (vec![], vec![]),
        "records not counted once, wrong hosts; stderr: {stderr}"
    );
    assert!(stderr.contains(" malformed=0 "), "{stderr}");
    assert_eq!(stderr.matches("file truncated").count(), rounds, "{stderr}");
}
