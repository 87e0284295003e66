//! Directories as input (`docs/behaviour.md#archives`), through the real
//! binaries: a directory answers exactly as its files named one by one in
//! the order of their first records, reads only the files a range needs
//! (a pruned file is never decompressed past its first record), seeks in
//! the plain ones, passes over what is not a log, and refuses several
//! streams; `connspy-stream --time-init/--time-end` prints exactly the
//! windows of the full run that meet the range.

mod common;

use common::{H, rec, run, stderr, stdout, stdout_of, write_file};

use std::io::Write;
use std::path::{Path, PathBuf};

const CONNSPY: &str = env!("CARGO_BIN_EXE_connspy");
const STREAM: &str = env!("CARGO_BIN_EXE_connspy-stream");

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A stream keeping the bound of 300 s over `hours` hours from [`H`], one
/// record every 3 s, a tenth of them up to 300 s late, cut into one text
/// per hour of base time.
fn hourly_stream(hours: u64, seed: u64) -> Vec<String> {
    let hosts = [
        "zyla", "Kexin", "ramone", "alyson", "b", "tanya", "zeplin", "q",
    ];
    let mut state = seed;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut files = vec![String::new(); hours as usize];
    for base in (0..hours * 3600).step_by(3) {
        let late = if next(10) == 0 { next(301) } else { 0 };
        let ts = (H + base).saturating_sub(late);
        let (from, to) = (hosts[next(8) as usize], hosts[next(8) as usize]);
        files[(base / 3600) as usize].push_str(&format!("{ts} {from} {to}\n"));
    }
    files
}

/// An archive as logrotate leaves one, oldest file first in the result:
/// `conn.log.N.gz` (compressed), then `conn.log.1` and `conn.log` plain.
fn logrotate_archive(dir: &Path, hours: u64) -> Vec<PathBuf> {
    let texts = hourly_stream(hours, 11);
    let n = texts.len();
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| match n - 1 - i {
            0 => write_file(dir, "conn.log", text),
            1 => write_file(dir, "conn.log.1", text),
            age => write_file(dir, &format!("conn.log.{age}.gz"), gzip(text.as_bytes())),
        })
        .collect()
}

fn args<'a>(fixed: &[&'a str], paths: &'a [PathBuf]) -> Vec<&'a str> {
    let mut all = fixed.to_vec();
    all.extend(paths.iter().map(|p| p.to_str().unwrap()));
    all
}

/// The output of `bin` with the options `fixed` on the files `named`, after
/// checking that it prints the same on `archive`.
fn same_as_named(bin: &str, fixed: &[&str], named: &[PathBuf], archive: &[PathBuf]) -> Vec<u8> {
    let expected = stdout_of(bin, &args(fixed, named));
    assert_eq!(stdout_of(bin, &args(fixed, archive)), expected, "{fixed:?}");
    expected
}

/// Asserts that a run's stderr says `text`.
fn says(o: &std::process::Output, text: &str) {
    assert!(stderr(o).contains(text), "{}", stderr(o));
}

/// The field `key=` of a `--stats` line.
fn stat(err: &str, key: &str) -> u64 {
    let line = err
        .lines()
        .find(|l| l.contains("stats:"))
        .expect("a stats line");
    let value = line
        .split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {line}"));
    value.parse().unwrap()
}

#[test]
fn a_directory_answers_as_its_files_named_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let ordered = logrotate_archive(dir.path(), 12);
    let archive = [dir.path().to_path_buf()];
    let ranges = [
        (0, 3600),
        (5 * 3600 - 200, 5 * 3600 + 100),
        (0, 12 * 3600),
        (11 * 3600, 13 * 3600),
        (7000, 7000),
    ];
    for (start, end) in ranges {
        let (t1, t2) = ((H + start).to_string(), (H + end).to_string());
        for side in ["--to", "--from"] {
            for host in ["zyla", "b", "tanya"] {
                let fixed = [side, host, "--time-init", &t1, "--time-end", &t2];
                let named = same_as_named(CONNSPY, &fixed, &ordered, &archive);
                assert!(!named.is_empty() || start == end, "{fixed:?}");
                let mut no_seek = fixed.to_vec();
                no_seek.push("--no-fast-seek");
                assert_eq!(
                    stdout_of(CONNSPY, &args(&no_seek, &archive)),
                    named,
                    "{no_seek:?}"
                );
            }
        }
    }
}

#[test]
fn a_range_reads_only_the_files_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let ordered = logrotate_archive(dir.path(), 12);
    let d = dir.path().to_str().unwrap();
    let (t1, t2) = ((H + 5 * 3600).to_string(), (H + 6 * 3600).to_string());
    let query = [
        "--to",
        "b",
        "--time-init",
        &t1,
        "--time-end",
        &t2,
        "--stats",
        d,
    ];
    let o = run(CONNSPY, &query);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(stat(err, "files"), 12);
    assert_eq!(stat(err, "files_opened"), 3, "{err}");
    assert_eq!(stat(err, "files_pruned"), 9, "{err}");
    let o = run(CONNSPY, &[&query[..], &["--no-fast-seek"]].concat());
    // Read from the first file up to the early stop, in the file after
    // the range, and the next one opened ahead of the reading.
    assert_eq!(stat(stderr(&o), "files_opened"), 8, "{}", stderr(&o));
    // Files named are all opened, as always.
    let o = run(CONNSPY, &args(&query[..7], &ordered));
    let err = stderr(&o);
    let said = ["files", "files_skipped", "files_pruned", "files_opened"].map(|k| stat(err, k));
    assert_eq!(said, [12, 0, 0, 12], "{err}");
    assert!(stat(err, "bytes_decompressed") > 0, "{err}");
}

#[test]
fn a_pruned_file_is_not_decompressed_past_its_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let files = logrotate_archive(dir.path(), 12);
    // The oldest file, cut short: its first record is there, the rest of
    // it is a read error for whoever decompresses that far.
    let oldest = &files[0];
    let gz = std::fs::read(oldest).unwrap();
    std::fs::write(oldest, &gz[..gz.len() / 2]).unwrap();
    let d = dir.path().to_str().unwrap();
    let (t1, t2) = ((H + 8 * 3600).to_string(), (H + 9 * 3600).to_string());
    let late = ["--to", "b", "--time-init", &t1, "--time-end", &t2, d];
    assert!(run(CONNSPY, &late).status.success());
    let mut all = late.to_vec();
    all.push("--no-fast-seek");
    let o = run(CONNSPY, &all);
    assert_eq!(o.status.code(), Some(1));
    says(&o, "conn.log.11.gz");
}

#[test]
fn fast_seek_applies_inside_each_plain_file_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("garbage line\n");
    for i in 0..7200u64 {
        text.push_str(&format!("{} a b\n", H + i));
    }
    write_file(dir.path(), "conn.log", &text);
    let d = dir.path().to_str().unwrap();
    let (t1, t2) = ((H + 5000).to_string(), (H + 5010).to_string());
    let o = run(
        CONNSPY,
        &["--from", "a", "--time-init", &t1, "--time-end", &t2, d],
    );
    assert_eq!((stdout(&o), stderr(&o)), ("b\n", ""));
    let o = run(
        CONNSPY,
        &[
            "--from",
            "a",
            "--time-init",
            &t1,
            "--time-end",
            &t2,
            "--no-fast-seek",
            d,
        ],
    );
    says(&o, "conn.log:1: skipped malformed line");
}

#[test]
fn ties_are_read_in_logrotate_age_order() {
    let dir = tempfile::tempdir().unwrap();
    // Every file starts at the same second; the later records tell the
    // order the hosts are printed in.
    write_file(
        dir.path(),
        "conn.log",
        format!("{H} x y\n{} x newest\n", H + 2),
    );
    write_file(
        dir.path(),
        "conn.log.1",
        format!("{H} x y\n{} x middle\n", H + 1),
    );
    write_file(
        dir.path(),
        "conn.log.2.gz",
        gzip(format!("{H} x y\n{H} x oldest\n").as_bytes()),
    );
    let d = dir.path().to_str().unwrap();
    let t2 = (H + 10).to_string();
    let o = run(
        CONNSPY,
        &[
            "--from",
            "x",
            "--time-init",
            &H.to_string(),
            "--time-end",
            &t2,
            d,
        ],
    );
    assert_eq!(stdout(&o), "y\noldest\nmiddle\nnewest\n", "{}", stderr(&o));
}

#[test]
fn files_that_are_not_logs_are_passed_over_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(d, "conn.log", format!("{H} a b\n"));
    write_file(d, ".conn.log.swp", "junk");
    write_file(d, "empty.log", "");
    write_file(d, "old.log.bz2", b"BZh91AY&SY\x00\x01");
    std::fs::create_dir(d.join("dns")).unwrap();
    write_file(
        &d.join("dns"),
        "dns.log",
        format!("#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tid.resp_h\n{H}\ta\tc\n"),
    );
    let t2 = (H + 10).to_string();
    let query = [
        "--from",
        "a",
        "--time-init",
        &H.to_string(),
        "--time-end",
        &t2,
    ];
    let o = run(CONNSPY, &args(&query, &[d.to_path_buf()]));
    assert_eq!(stdout(&o), "b\n");
    // Without -v only the file that might hold connections is named.
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("old.log.bz2: skipped: bzip2 data"), "{err}");
    let mut verbose = query.to_vec();
    verbose.push("-v");
    let o = run(CONNSPY, &args(&verbose, &[d.to_path_buf()]));
    let err = stderr(&o);
    for said in [
        ".conn.log.swp: skipped: a hidden file",
        "empty.log: skipped: no record in it",
        "dns.log: skipped: a Zeek dns log",
        "conn.log: reading it (plain, with fast seek)",
    ] {
        assert!(err.contains(said), "{said}: {err}");
    }
    // A directory with nothing to read is said so, and answers nothing.
    let empty = tempfile::tempdir().unwrap();
    let o = run(CONNSPY, &args(&query, &[empty.path().to_path_buf()]));
    assert!(o.status.success());
    assert!(
        stderr(&o).ends_with("no file with a record in it\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn several_streams_are_refused_with_how_to_run_them_apart() {
    let dir = tempfile::tempdir().unwrap();
    let texts = hourly_stream(4, 3);
    let mut sensors = Vec::new();
    for sensor in ["s1", "s2"] {
        let day = dir.path().join(sensor).join("2019-08-12");
        std::fs::create_dir_all(&day).unwrap();
        for (h, text) in texts.iter().enumerate() {
            write_file(&day, &format!("conn.{h}.log.gz"), gzip(text.as_bytes()));
        }
        sensors.push(dir.path().join(sensor));
    }
    let t2 = (H + 3600).to_string();
    let query = [
        "--to",
        "b",
        "--time-init",
        &H.to_string(),
        "--time-end",
        &t2,
    ];
    // Two directories, one after the other.
    let o = run(CONNSPY, &args(&query, &sensors));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(stdout(&o).is_empty());
    assert!(
        err.contains("cannot follow") && err.contains("query each apart"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // One directory holding both.
    let o = run(CONNSPY, &args(&query, &[dir.path().to_path_buf()]));
    assert_eq!(o.status.code(), Some(2));
    says(&o, "looks like several streams");
    // Each alone is fine.
    assert!(run(CONNSPY, &args(&query, &sensors[..1])).status.success());
    // So are one sensor's days given in order, and standard input is not.
    let o = run(
        CONNSPY,
        &args(&query, &[sensors[0].clone(), PathBuf::from("-")]),
    );
    assert_eq!(o.status.code(), Some(2));
    says(&o, "<stdin> cannot be read with a directory");
}

/// The lines of a `connspy-stream` output whose window starts in
/// `[from, until)`.
fn windows_in(output: &[u8], from: u64, until: u64) -> Vec<u8> {
    let text = std::str::from_utf8(output).unwrap();
    text.lines()
        .filter(|line| {
            let start: u64 = line.split('.').next().unwrap().parse().unwrap();
            (from..until).contains(&start)
        })
        .flat_map(|line| format!("{line}\n").into_bytes())
        .collect()
}

#[test]
fn connspy_stream_reads_a_directory_as_its_files_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let ordered = logrotate_archive(dir.path(), 12);
    let archive = [dir.path().to_path_buf()];
    for extra in [
        &[][..],
        &["--only-complete-hours"],
        &["--window", "15m", "--top", "3"],
    ] {
        let mut fixed = vec!["--to", "b", "--from", "zyla"];
        fixed.extend_from_slice(extra);
        let named = same_as_named(STREAM, &fixed, &ordered, &archive);
        assert!(named.len() > 1000, "{fixed:?}");
    }
}

#[test]
fn a_time_range_prints_the_windows_of_the_full_run_that_meet_it() {
    let dir = tempfile::tempdir().unwrap();
    let ordered = logrotate_archive(dir.path(), 12);
    let d = dir.path().to_str().unwrap();
    let ranges = [
        (3600, 7200),
        (5 * 3600 - 200, 6 * 3600 + 1),
        (0, 600),
        (11 * 3600 + 10, 30 * 3600),
        (7000, 7000),
    ];
    for extra in [&[][..], &["--only-complete-hours"], &["--window", "15m"]] {
        let mut fixed = vec!["--to", "b", "--from", "zyla"];
        fixed.extend_from_slice(extra);
        let full = stdout_of(STREAM, &args(&fixed, &ordered));
        let width = if extra.contains(&"15m") { 900 } else { 3600 };
        for (start, end) in ranges {
            let (t1, t2) = ((H + start).to_string(), (H + end).to_string());
            let mut ranged = fixed.clone();
            ranged.extend(["--time-init", &t1, "--time-end", &t2]);
            let first = (H + start) / width * width;
            let last = if end > start {
                (H + end).div_ceil(width) * width
            } else {
                first
            };
            let expected = windows_in(&full, first, last);
            // The directory, pruned; the files named, pruned in the order given.
            for inputs in [
                vec![d],
                ordered.iter().map(|p| p.to_str().unwrap()).collect(),
            ] {
                let mut all = ranged.clone();
                all.extend(inputs);
                let got = stdout_of(STREAM, &all);
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&expected),
                    "{all:?}"
                );
            }
        }
    }
    // Only the files the range needs are opened.
    let (t1, t2) = ((H + 5 * 3600).to_string(), (H + 6 * 3600).to_string());
    let o = run(
        STREAM,
        &[
            "--to",
            "b",
            "--from",
            "zyla",
            "--time-init",
            &t1,
            "--time-end",
            &t2,
            "--stats",
            d,
        ],
    );
    assert_eq!(stat(stderr(&o), "files_opened"), 3, "{}", stderr(&o));
    assert_eq!(stat(stderr(&o), "files_pruned"), 9, "{}", stderr(&o));
}

#[test]
fn connspy_stream_refuses_several_streams_and_tail_over_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let texts = hourly_stream(2, 5);
    let mut sensors = Vec::new();
    for sensor in ["s1", "s2"] {
        let path = dir.path().join(sensor);
        std::fs::create_dir(&path).unwrap();
        for (h, text) in texts.iter().enumerate() {
            write_file(&path, &format!("conn.{h}.log"), text);
        }
        sensors.push(path);
    }
    let o = run(STREAM, &args(&["--to", "b", "--from", "q"], &sensors));
    assert_eq!(o.status.code(), Some(2));
    says(&o, "summarise each apart with --emit-counts");
    let o = run(
        STREAM,
        &args(&["--to", "b", "--from", "q", "--tail"], &sensors[..1]),
    );
    assert_eq!(o.status.code(), Some(2));
    says(&o, "--tail follows one file");
}

#[test]
fn a_window_proved_complete_by_a_record_not_read_is_complete() {
    // The range's window is closed in a full run by a record the ranged
    // run never reads: the next file's first (pruned), or, in one plain
    // file, the record fast seek stops before.
    let dir = tempfile::tempdir().unwrap();
    let early: String = (0..100).map(|i| format!("{} a b\n", H + i * 10)).collect();
    let gz = write_file(dir.path(), "conn.log.1.gz", gzip(early.as_bytes()));
    let late = write_file(dir.path(), "conn.log", format!("{} a c\n", H + 5000));
    let one = tempfile::tempdir().unwrap();
    write_file(one.path(), "conn.log", format!("{early}{} a c\n", H + 5000));
    let (t1, t2) = (H.to_string(), (H + 600).to_string());
    let query = ["--to", "b", "--from", "a", "--only-complete-hours"];
    let full = stdout_of(STREAM, &args(&query, &[gz, late]));
    assert_eq!(
        std::str::from_utf8(&full).unwrap(),
        format!("{H}.0\tTO\ta\n{H}.0\tFROM\tb\n{H}.0\tMOST\ta\n")
    );
    let mut ranged = query.to_vec();
    ranged.extend(["--time-init", &t1, "--time-end", &t2]);
    for archive in [dir.path(), one.path()] {
        let o = run(
            STREAM,
            &args(
                &[&ranged[..], &["--stats"]].concat(),
                &[archive.to_path_buf()],
            ),
        );
        assert_eq!(o.stdout, full, "{archive:?}: {}", stderr(&o));
        assert_eq!(stat(stderr(&o), "records"), 100, "{}", stderr(&o));
    }
}

#[test]
fn the_guide_s_query_on_the_sample_archive_reads_two_of_its_four_files() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_data/archive/");
    let o = run(
        CONNSPY,
        &[
            "--to",
            "nodrouk",
            "--time-init",
            "2019-08-12T20:00:00Z",
            "--time-end",
            "2019-08-12T20:05:00Z",
            "--stats",
            sample,
        ],
    );
    let err = stderr(&o);
    let said = ["files", "files_skipped", "files_pruned", "files_opened"].map(|k| stat(err, k));
    assert_eq!(said, [4, 0, 2, 2], "{err}");
}

#[test]
fn one_core_prints_what_all_cores_print() {
    let dir = tempfile::tempdir().unwrap();
    logrotate_archive(dir.path(), 12);
    let d = dir.path().to_str().unwrap();
    let (t1, t2) = ((H + 3 * 3600).to_string(), (H + 8 * 3600).to_string());
    let runs: [(&str, Vec<&str>); 3] = [
        (
            CONNSPY,
            vec!["--from", "zyla", "--time-init", &t1, "--time-end", &t2, d],
        ),
        (STREAM, vec!["--to", "b", "--from", "zyla", d]),
        (
            STREAM,
            vec![
                "--to",
                "b",
                "--from",
                "zyla",
                "--time-init",
                &t1,
                "--time-end",
                &t2,
                d,
            ],
        ),
    ];
    for (bin, args) in runs {
        let all = stdout_of(bin, &args);
        let pinned = std::process::Command::new("taskset")
            .args(["-c", "0", bin])
            .args(&args)
            .output()
            .expect("taskset (util-linux) runs");
        assert!(pinned.status.success(), "{}", stderr(&pinned));
        assert_eq!(pinned.stdout, all, "{args:?}");
    }
}

#[test]
fn a_compressed_file_that_cannot_hold_the_early_stop_parses_only_candidates() {
    let dir = tempfile::tempdir().unwrap();
    // Past the first block read (256 KiB), where the format is known.
    let first: String = (0..20_000)
        .map(|i| format!("{} a b\n", H + i / 200))
        .collect();
    let first = format!("{first}garbage\n{}", rec(150, "c", "b"));
    write_file(dir.path(), "conn.log.1.gz", gzip(first.as_bytes()));
    write_file(
        dir.path(),
        "conn.log.gz",
        gzip(rec(200, "d", "b").as_bytes()),
    );
    let t2 = (H + 1000).to_string();
    let query = [
        "--to",
        "b",
        "--time-init",
        &H.to_string(),
        "--time-end",
        &t2,
    ];
    let archive = [dir.path().to_path_buf()];
    // The first file's next starts before the range ends: no early stop
    // can fall in it, and only its lines ending in the host are parsed.
    let o = run(CONNSPY, &args(&query, &archive));
    assert_eq!((stdout(&o), stderr(&o)), ("a\nc\nd\n", ""));
    let o = run(
        CONNSPY,
        &args(&[&query[..], &["--no-fast-seek"]].concat(), &archive),
    );
    assert_eq!(stdout(&o), "a\nc\nd\n");
    says(&o, "conn.log.1.gz:20001: skipped malformed line");
}

#[test]
fn an_archive_that_breaks_the_bound_is_said_to_with_fast_seek() {
    // The second file holds a record 700 s behind the first's newest.
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "conn.log.1.gz",
        gzip([rec(0, "a", "b"), rec(1000, "c", "b")].concat().as_bytes()),
    );
    write_file(
        dir.path(),
        "conn.log",
        [rec(1100, "d", "b"), rec(300, "e", "b")].concat(),
    );
    let t2 = (H + 2000).to_string();
    let query = [
        "--to",
        "b",
        "--time-init",
        &H.to_string(),
        "--time-end",
        &t2,
    ];
    let o = run(CONNSPY, &args(&query, &[dir.path().to_path_buf()]));
    assert_eq!(stdout(&o), "a\nc\nd\ne\n");
    let err = stderr(&o);
    assert!(
        err.contains("records arrived up to 800 s behind")
            && err.contains("fast seek may have missed records"),
        "{err}"
    );
}
