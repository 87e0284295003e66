//! Compressed logs through the real binaries: gzip and zstd files (named
//! anything) and stdin print exactly what the plain log prints, `-v` says
//! once per file that fast seek does not apply, broken data is a read
//! error, and `connspy-stream --tail` refuses to follow a compressed file.

mod common;

use common::{H, stderr, write_file};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

const CONNSPY: &str = env!("CARGO_BIN_EXE_connspy");
const STREAM: &str = env!("CARGO_BIN_EXE_connspy-stream");

/// A log of about 1.1 MB (more than one read-ahead chunk and many reader
/// blocks) over seven hours: mixed host case, records up to 100 s late,
/// and a malformed line now and then.
fn log() -> String {
    let hosts = ["zyla", "Kexin", "ramone", "ALYSON", "b", "tanya", "zeplin"];
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut text = String::new();
    for i in 0..40_000u64 {
        let ts = H + i / 2 + 100 - next(100);
        let from = hosts[next(7) as usize];
        let to = hosts[next(7) as usize];
        if i % 997 == 5 {
            text.push_str("not a record\n");
        }
        text.push_str(&format!(
            "{ts}.{:03} {from}-{} {to}\n",
            next(1000),
            next(50)
        ));
    }
    text
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Two gzip members, as `cat a.gz b.gz` makes.
fn gzip_members(data: &[u8]) -> Vec<u8> {
    let half = data.len() / 2;
    [gzip(&data[..half]), gzip(&data[half..])].concat()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

fn run(bin: &str, args: &[&str], stdin: &[u8]) -> Output {
    common::run_with_stdin(bin, args, stdin)
}

/// The plain log and its compressed copies, some under misleading names.
struct Logs {
    _dir: tempfile::TempDir,
    plain: PathBuf,
    compressed: Vec<PathBuf>,
    gz_bytes: Vec<u8>,
    zst_bytes: Vec<u8>,
}

fn logs() -> Logs {
    let dir = tempfile::tempdir().unwrap();
    let text = log();
    let gz_bytes = gzip_members(text.as_bytes());
    let zst_bytes = zstd(text.as_bytes());
    let compressed = vec![
        write_file(dir.path(), "conn.log.gz", &gz_bytes),
        write_file(dir.path(), "conn.log.zst", &zst_bytes),
        // Told by their first bytes, not their names.
        write_file(dir.path(), "conn.log.1", &zst_bytes),
        write_file(dir.path(), "conn.zst", &gz_bytes),
    ];
    Logs {
        plain: write_file(dir.path(), "conn.log", text.as_bytes()),
        _dir: dir,
        compressed,
        gz_bytes,
        zst_bytes,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Malformed-line reports name the file: compare them with the name
/// replaced.
fn same_report(got: &Output, got_name: &Path, want: &Output, want_name: &Path) {
    assert_eq!(
        stderr(got).replace(s(got_name), "LOG"),
        stderr(want).replace(s(want_name), "LOG")
    );
}

/// Every record to zyla, in seconds (so the early stop never comes).
const ALL_TO_ZYLA: [&str; 3] = ["--to=zyla", "--time_init=0", "--time_end=9999999999"];

const WINDOWS: [[&str; 4]; 2] = [
    ["--time_init", "1565650000", "--time_end", "1565660000"],
    ["--time_init", "0", "--time_end", "9999999999999"],
];

#[test]
fn connspy_prints_for_a_compressed_log_what_it_prints_for_the_plain_one() {
    let logs = logs();
    let queries = [
        (["--to", "zyla"], WINDOWS[0]),
        (["--from", "Zyla-3"], WINDOWS[1]),
    ];
    for (side, window) in queries {
        let query = [&side[..], &window].concat();
        // Fast seek does not apply to compressed input: it is read like
        // the plain log with --nofastseek, diagnostics included.
        let plain = run(
            CONNSPY,
            &[&query[..], &["--nofastseek", s(&logs.plain)]].concat(),
            b"",
        );
        assert!(plain.status.success() && !plain.stdout.is_empty());
        let fast = run(CONNSPY, &[&query[..], &[s(&logs.plain)]].concat(), b"");
        assert_eq!(fast.stdout, plain.stdout, "fast seek agrees");
        for path in &logs.compressed {
            for extra in [&[][..], &["--nofastseek"]] {
                let args = [&query[..], extra, &[s(path)]].concat();
                let o = run(CONNSPY, &args, b"");
                assert!(o.status.success(), "{args:?}: {}", stderr(&o));
                assert!(o.stdout == plain.stdout, "{args:?}");
                same_report(&o, path, &plain, &logs.plain);
            }
        }
        for data in [&logs.gz_bytes, &logs.zst_bytes] {
            let o = run(CONNSPY, &[&query[..], &["-"]].concat(), data);
            assert!(o.stdout == plain.stdout, "stdin {query:?}");
            same_report(&o, Path::new("<stdin>"), &plain, &logs.plain);
        }
    }
}

#[test]
fn connspy_reads_plain_and_compressed_files_as_one_stream() {
    let logs = logs();
    let text = log();
    let (first, second) = text.split_at(text.find("\n1565660").unwrap() + 1);
    let dir = tempfile::tempdir().unwrap();
    let a = write_file(dir.path(), "a.log", first.as_bytes());
    let b = write_file(dir.path(), "b.log", zstd(second.as_bytes()));
    let query = [&ALL_TO_ZYLA[..], &["-q"]].concat();
    let whole = run(CONNSPY, &[&query[..], &[s(&logs.plain)]].concat(), b"");
    let split = run(CONNSPY, &[&query[..], &[s(&a), s(&b)]].concat(), b"");
    assert!(split.status.success());
    assert_eq!(split.stdout, whole.stdout);
}

#[test]
fn verbose_notes_each_compressed_file_once_and_quiet_says_nothing() {
    let logs = logs();
    let gz = &logs.compressed[0];
    let query = ALL_TO_ZYLA;
    let o = run(
        CONNSPY,
        &[&query[..], &["-v", s(&logs.plain), s(gz)]].concat(),
        b"",
    );
    assert!(o.status.success());
    // The same records twice in one run: the second copy arrives hours
    // behind the first, which the measured lateness rightly says.
    let notes: Vec<_> = stderr(&o)
        .lines()
        .filter(|l| !l.contains("malformed") && !l.contains("warning: records arrived"))
        .collect();
    assert_eq!(
        notes,
        [format!(
            "connspy: {}: gzip-compressed: decompressing it and reading it from the start \
             (fast seek does not apply to compressed input)",
            s(gz)
        )]
    );
    let o = run(CONNSPY, &[&query[..], &[s(gz)]].concat(), b"");
    assert!(!stderr(&o).contains("compressed"), "no note without -v");
    let o = run(CONNSPY, &[&query[..], &["-q", s(gz)]].concat(), b"");
    assert_eq!(stderr(&o), "", "-q: no diagnostics at all");
    let o = run(CONNSPY, &[&query[..], &["-q", "-v", s(gz)]].concat(), b"");
    assert_eq!(o.status.code(), Some(2), "-q and -v contradict each other");

    let o = run(STREAM, &["--to", "a", "--from", "b", "-v", s(gz)], b"");
    let notes: Vec<_> = stderr(&o)
        .lines()
        .filter(|l| l.contains("compressed"))
        .collect();
    assert_eq!(
        notes,
        [format!(
            "connspy-stream: {}: gzip-compressed: decompressing it",
            s(gz)
        )]
    );
    let o = run(STREAM, &["--to", "a", "--from", "b", "-q", s(gz)], b"");
    assert_eq!(stderr(&o), "");
}

#[test]
fn broken_compressed_data_is_a_read_error_naming_the_file() {
    let logs = logs();
    let dir = tempfile::tempdir().unwrap();
    let n = logs.gz_bytes.len();
    // The first deflate block header (after the 10-byte gzip header) with
    // the reserved block type; and a last member whose checksum is wrong
    // (found only after all its data).
    let mut bad_block = logs.gz_bytes.clone();
    bad_block[10] = 0b111;
    let mut bad_crc = logs.gz_bytes.clone();
    bad_crc[n - 8] ^= 1;
    let broken = [
        write_file(dir.path(), "cut.gz", &logs.gz_bytes[..n / 2]),
        write_file(dir.path(), "bad-block.gz", &bad_block),
        write_file(dir.path(), "bad-crc.gz", &bad_crc),
        write_file(
            dir.path(),
            "cut.zst",
            &logs.zst_bytes[..logs.zst_bytes.len() / 2],
        ),
        write_file(dir.path(), "magic-only.zst", [0x28, 0xb5, 0x2f, 0xfd]),
    ];
    for path in &broken {
        let query = ALL_TO_ZYLA;
        let o = run(CONNSPY, &[&query[..], &["-q", s(path)]].concat(), b"");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{path:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("connspy: cannot read {}: ", s(path))),
            "{err}"
        );
        let o = run(STREAM, &["--to", "a", "--from", "b", "-q", s(path)], b"");
        assert_eq!(o.status.code(), Some(1), "{path:?}");
        assert!(
            stderr(&o).starts_with(&format!("connspy-stream: cannot read {}: ", s(path))),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn connspy_stream_prints_for_a_compressed_log_what_it_prints_for_the_plain_one() {
    let logs = logs();
    let q = ["--to", "zyla", "--from", "kexin-7"];
    let plain = run(STREAM, &[&q[..], &[s(&logs.plain)]].concat(), b"");
    assert!(plain.status.success() && plain.stdout.len() > 100);
    for path in &logs.compressed {
        let o = run(STREAM, &[&q[..], &[s(path)]].concat(), b"");
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(o.stdout == plain.stdout, "{path:?}");
        same_report(&o, path, &plain, &logs.plain);
    }
    for data in [&logs.gz_bytes, &logs.zst_bytes] {
        let o = run(STREAM, &q, data);
        assert!(o.stdout == plain.stdout, "stdin");
        // With --tail, stdin is read until it closes, compressed or not.
        let o = run(STREAM, &[&q[..], &["--tail", "-"]].concat(), data);
        assert!(o.stdout == plain.stdout, "stdin --tail");
    }
    // Files of one run are one stream, compressed or not: the plain log
    // after its compressed copy is all too late.
    let o = run(
        STREAM,
        &[&q[..], &[s(&logs.compressed[1]), s(&logs.plain)]].concat(),
        b"",
    );
    assert!(o.stdout == plain.stdout);
    assert!(
        stderr(&o).contains("too-late record(s) skipped"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn tail_refuses_to_follow_a_compressed_file() {
    let logs = logs();
    for path in &logs.compressed {
        let o = run(
            STREAM,
            &[
                "--to",
                "a",
                "--from",
                "b",
                "--tail",
                s(&logs.plain),
                s(path),
            ],
            b"",
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(o.stdout.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("connspy-stream: --tail cannot follow ")
                && err.contains(s(path))
                && err.contains("-compressed"),
            "{err}"
        );
    }
}
