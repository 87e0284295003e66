//! Hostile input, thrown at both real binaries: each case checks the exit
//! status, stdout and stderr (and, for the endless line, peak memory).
//!
//! Peak memory is the child's `ru_maxrss`, which Linux also raises to the
//! peak of the process that spawned it (the child starts as a copy of it):
//! so these tests never hold large inputs in memory themselves, but write
//! them out piece by piece.

mod common;

use common::H;

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::thread;

const CONNSPY: &str = env!("CARGO_BIN_EXE_connspy");
const STREAM: &str = env!("CARGO_BIN_EXE_connspy-stream");

/// Both tools, asked about host `zyla` over all time.
fn tools() -> [(&'static str, &'static str, Vec<&'static str>); 2] {
    [
        (
            "connspy",
            CONNSPY,
            vec![
                "--to",
                "zyla",
                "--time_init",
                "0",
                "--time_end",
                "99999999999999",
            ],
        ),
        (
            "connspy-stream",
            STREAM,
            vec!["--to", "zyla", "--from", "zyla"],
        ),
    ]
}

struct Run {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
    /// Peak resident memory of the process, in KiB.
    max_rss_kib: i64,
}

impl Run {
    fn stdout(&self) -> &str {
        std::str::from_utf8(&self.stdout).unwrap()
    }
}

/// Runs `cmd`, feeding its stdin through `feed`, and measures its peak
/// memory. The child is reaped by `wait4`, which also gives that peak.
fn run_with(mut cmd: Command, feed: impl FnOnce(&mut dyn Write) + Send + 'static) -> Run {
    let mut child = common::spawn_command_piped(&mut cmd);
    let writer = common::feed_stdin(&mut child, feed);
    let mut out = child.stdout.take().unwrap();
    let stdout = thread::spawn(move || {
        let mut bytes = Vec::new();
        out.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let mut err = child.stderr.take().unwrap();
    let mut stderr = String::new();
    err.read_to_string(&mut stderr).unwrap();
    let mut status = 0;
    // SAFETY: plain out-parameters; `child` is ours and not waited for
    // elsewhere (std's `Child` does not wait on drop).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above: valid out-pointers to locals, and our own child.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    writer.join().unwrap();
    Run {
        status: ExitStatus::from_raw(status),
        stdout: stdout.join().unwrap(),
        stderr,
        max_rss_kib: usage.ru_maxrss,
    }
}

fn run(bin: &str, args: &[&str], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    let stdin = stdin.to_vec();
    // The program may stop reading early (errors); that is its right.
    run_with(cmd, move |input| drop(input.write_all(&stdin)))
}

/// A record, then a line of `len` bytes with no newline, written to `out`
/// a MiB at a time.
fn endless_line(out: &mut dyn Write, len: usize) -> std::io::Result<()> {
    out.write_all(format!("{H} Alyson zyla\n").as_bytes())?;
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..len / chunk.len() {
        out.write_all(&chunk)?;
    }
    Ok(())
}

/// Asserts the closing count of malformed lines, after `shown` located ones.
fn assert_malformed(tool: &str, r: &Run, shown: usize, total: u64, reason: &str) {
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), shown + 1, "{tool}: {}", r.stderr);
    for line in &lines[..shown] {
        assert!(
            line.starts_with(&format!("{tool}: ")) && line.contains(reason),
            "{tool}: {line}"
        );
    }
    assert_eq!(
        lines[shown],
        format!("{tool}: {total} malformed line(s) skipped in all")
    );
}

#[test]
fn a_200_mb_line_without_a_newline_is_malformed_and_never_buffered() {
    let len = 200 << 20;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("endless.log");
    // Mapped, a line is never copied whatever its size: 16 MiB is as good
    // a test as 200 (and faster).
    endless_line(&mut std::fs::File::create(&file).unwrap(), 16 << 20).unwrap();
    let file = file.to_str().unwrap();
    let want = [
        "alyson\n".to_string(),
        format!("{H}.0\tTO\talyson\n{H}.0\tMOST\talyson\n"),
    ];
    let too_long = "skipped malformed line: line longer than 4194304 bytes";
    for ((tool, bin, args), want) in tools().into_iter().zip(want) {
        // Through a pipe the line is dropped as it streams by: peak memory
        // stays near the 4 MiB line limit, far below the line's size.
        let mut cmd = Command::new(bin);
        cmd.args(&args).arg("-");
        let piped = run_with(cmd, move |input| drop(endless_line(input, len)));
        assert_eq!(piped.status.code(), Some(0), "{tool}: {}", piped.stderr);
        assert_eq!(piped.stdout(), want, "{tool}");
        assert_malformed(tool, &piped, 1, 1, &format!("<stdin>:2: {too_long}"));
        assert!(
            piped.max_rss_kib < 32 * 1024,
            "{tool}: peak RSS {} KiB",
            piped.max_rss_kib
        );
        // A mapped file is never copied; with every line parsed, the same
        // report. (Fast seek parses only lines that can match; see the
        // docs/guide.md, "Malformed lines": this one cannot, so it is not reported.)
        let full = if tool == "connspy" {
            &["--nofastseek"][..]
        } else {
            &[]
        };
        let mapped = run(bin, &[&args[..], full, &[file]].concat(), b"");
        assert_eq!(mapped.status.code(), Some(0), "{tool}: {}", mapped.stderr);
        assert_eq!(mapped.stdout(), want, "{tool}");
        assert_malformed(tool, &mapped, 1, 1, &format!("endless.log:2: {too_long}"));
    }
    let fast = run(CONNSPY, &[&tools()[0].2[..], &[file]].concat(), b"");
    assert_eq!(
        (fast.status.code(), fast.stdout(), fast.stderr.as_str()),
        (Some(0), "alyson\n", "")
    );
}

/// Runs each tool on `log` given as stdin (`-`), with `extra` options.
fn both_on_stdin(log: &[u8], extra: &[&str]) -> [Run; 2] {
    tools().map(|(_, bin, args)| run(bin, &[&args[..], extra, &["-"]].concat(), log))
}

#[test]
fn nul_bytes_and_invalid_utf8_are_bytes_like_any_other() {
    let log = b"1565647200 Al\0yson zyla\n1565647201 \xff\xfeB zyla\n15656\x0047202 c zyla\n";
    let [query, stream] = both_on_stdin(log, &[]);
    assert_eq!(query.status.code(), Some(0), "{}", query.stderr);
    assert_eq!(query.stdout, b"al\0yson\n\xff\xfeb\n");
    let mut hour = Vec::new();
    for host in [&b"al\0yson"[..], b"\xff\xfeb"] {
        hour.extend_from_slice(format!("{H}.0\tTO\t").as_bytes());
        hour.extend_from_slice(host);
        hour.push(b'\n');
    }
    hour.extend_from_slice(format!("{H}.0\tMOST\tzyla\n").as_bytes());
    assert_eq!(stream.status.code(), Some(0), "{}", stream.stderr);
    assert_eq!(stream.stdout, hour);
    for ((tool, ..), r) in tools().iter().zip([&query, &stream]) {
        assert_malformed(
            tool,
            r,
            1,
            1,
            "<stdin>:3: skipped malformed line: timestamp is not digits",
        );
    }
}

#[test]
fn a_million_malformed_lines_show_five_then_a_count() {
    let mut log = b"garbage\n".repeat(1_000_000);
    log.extend_from_slice(format!("{H} a zyla\n").as_bytes());
    let [query, stream] = both_on_stdin(&log, &[]);
    assert_eq!((query.status.code(), query.stdout()), (Some(0), "a\n"));
    assert_eq!(
        (stream.status.code(), stream.stdout()),
        (Some(0), format!("{H}.0\tTO\ta\n{H}.0\tMOST\ta\n").as_str())
    );
    for ((tool, ..), r) in tools().iter().zip([&query, &stream]) {
        assert_malformed(tool, r, 5, 1_000_000, "skipped malformed line: 1 field(s)");
    }
}

#[test]
fn timestamps_at_the_edges_never_overflow() {
    let fraction = "1".repeat(40);
    let log = format!(
        "0 a zyla\n999999999999 b zyla\n1000000000000 c zyla\n{} d zyla\n\
         1565647200.{fraction} e zyla\n{} f zyla\n",
        "9".repeat(25),
        "9".repeat(41),
    );
    let too_large = "<stdin>:6: skipped malformed line: timestamp is too large";
    // connspy: everything up to 26 digits, in file order, with and
    // without fast seek; the 41-digit time is malformed.
    let all = ["--time_init", "0", "--time_end", &"9".repeat(26)];
    for mode in [&[][..], &["--nofastseek"]] {
        let args = [&["--to", "zyla"][..], &all, mode, &["-"]].concat();
        let mut r = run(CONNSPY, &args, log.as_bytes());
        assert_eq!((r.status.code(), r.stdout()), (Some(0), "a\nb\nc\nd\ne\n"));
        // e arrives after d, exactly this far behind it, measured without
        // overflow.
        let (rest, warning) = r.stderr.trim_end().rsplit_once('\n').unwrap();
        assert!(
            warning.starts_with(
                "connspy: warning: records arrived up to \
                 9999999999998434352799.887888889 s behind the newest time before them"
            ),
            "{warning}"
        );
        r.stderr = format!("{rest}\n");
        assert_malformed("connspy", &r, 1, 1, too_large);
    }
    // Digits below a nanosecond are ignored: e is at 1565647200.111111111
    // (and, read in file order, after records that would stop an ordinary
    // bound's scan).
    let huge = "9".repeat(26);
    let ns = [
        "--to",
        "zyla",
        "--time_init",
        "1565647200.111111111",
        "--time_end",
        "1565647200.111111112",
        "--max_log_late_seconds",
        &huge,
        "-q",
        "-",
    ];
    assert_eq!(run(CONNSPY, &ns, log.as_bytes()).stdout(), "e\n");
    // connspy-stream, with a bound so large that every hour stays open
    // to the end: each hour, oldest first (1000000000000 is in ms).
    let args = [
        "--to",
        "zyla",
        "--from",
        "zyla",
        "--max_log_late_seconds",
        &huge,
    ];
    let r = run(STREAM, &args, log.as_bytes());
    let hours: String = [
        ("0", "a"),
        ("999997200", "c"),
        ("1565647200", "e"),
        ("999999997200", "b"),
        ("9999999999999999997200", "d"),
    ]
    .iter()
    .map(|(h, x)| format!("{h}.0\tTO\t{x}\n{h}.0\tMOST\t{x}\n"))
    .collect();
    assert_eq!((r.status.code(), r.stdout()), (Some(0), hours.as_str()));
    assert_malformed("connspy-stream", &r, 1, 1, too_large);
    // Times and bounds too large for the command line are usage errors.
    for (tool, bin, mut args) in tools() {
        let forty = "9".repeat(40);
        args.extend(["--max_log_late_seconds", &forty, "-"]);
        let r = run(bin, &args, b"");
        assert_eq!(r.status.code(), Some(2), "{tool}: {}", r.stderr);
        assert!(
            r.stdout.is_empty() && r.stderr.lines().count() == 1,
            "{tool}"
        );
        assert!(r.stderr.contains("is too large"), "{tool}: {}", r.stderr);
    }
    let args = [
        "--to",
        "zyla",
        "--time_init",
        "0",
        "--time_end",
        &"9".repeat(40),
        "-",
    ];
    let r = run(CONNSPY, &args, b"");
    assert_eq!(r.status.code(), Some(2));
    assert!(
        r.stderr.contains("is too large to be a time"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_one_mb_host_name_is_an_ordinary_host() {
    let big = "H".repeat(1 << 20);
    let log = format!("{H} {big} zyla\n{} b zyla\n", H + 1);
    let [query, stream] = both_on_stdin(log.as_bytes(), &[]);
    let small = big.to_lowercase();
    assert_eq!(
        (query.status.code(), query.stdout(), query.stderr.as_str()),
        (Some(0), format!("{small}\nb\n").as_str(), "")
    );
    let want = format!("{H}.0\tTO\t{small}\n{H}.0\tTO\tb\n{H}.0\tMOST\tzyla\n");
    assert_eq!(
        (
            stream.status.code(),
            stream.stdout(),
            stream.stderr.as_str()
        ),
        (Some(0), want.as_str(), "")
    );
}

/// A small log and what each tool answers for it.
fn small_log() -> (String, [String; 2]) {
    let log = format!(
        "{H} Alyson zyla\n{} zyla kexin\n{} ramone ZYLA\n",
        H + 1,
        H + 2
    );
    let stream =
        format!("{H}.0\tTO\talyson\n{H}.0\tTO\tramone\n{H}.0\tFROM\tkexin\n{H}.0\tMOST\tzyla\n");
    (log, ["alyson\nramone\n".to_string(), stream])
}

#[test]
fn a_fifo_and_dev_stdin_read_like_a_file() {
    let (log, answers) = small_log();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("conn.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for ((tool, bin, args), want) in tools().into_iter().zip(answers) {
        // The writer's open waits for the reader's, as a FIFO's does.
        let (path, text) = (fifo.clone(), log.clone());
        let writer = thread::spawn(move || std::fs::write(path, text).unwrap());
        let r = run(bin, &[&args[..], &[fifo.to_str().unwrap()]].concat(), b"");
        writer.join().unwrap();
        assert_eq!(
            (r.status.code(), r.stdout(), r.stderr.as_str()),
            (Some(0), want.as_str(), ""),
            "{tool} on a FIFO"
        );
        let r = run(bin, &[&args[..], &["/dev/stdin"]].concat(), log.as_bytes());
        assert_eq!(
            (r.status.code(), r.stdout(), r.stderr.as_str()),
            (Some(0), want.as_str(), ""),
            "{tool} on /dev/stdin"
        );
    }
}

#[test]
fn unreadable_inputs_exit_1_with_one_line_naming_them() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // Readable by all but the file: a user other than root meets the
    // file's own permissions. (Root reads anything, so as root the tools
    // run as `nobody`.)
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = dir.path().join("secret.log");
    std::fs::write(&secret, small_log().0).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    // A directory is an archive: one that cannot be listed fails alike.
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let cases = [
        (secret.to_str().unwrap(), "Permission denied"),
        (locked.to_str().unwrap(), "Permission denied"),
    ];
    for (tool, bin, args) in tools() {
        for (path, reason) in cases {
            let mut cmd = Command::new(bin);
            cmd.args(&args).arg(path);
            // SAFETY: getuid has no preconditions.
            if unsafe { libc::getuid() } == 0 {
                cmd.uid(65534).gid(65534);
            }
            let r = run_with(cmd, |_| ());
            assert_eq!(r.status.code(), Some(1), "{tool} {path}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{tool} {path}");
            assert_eq!(r.stderr.lines().count(), 1, "{tool}: {}", r.stderr);
            assert!(
                r.stderr.starts_with(&format!("{tool}: cannot "))
                    && r.stderr.contains(path)
                    && r.stderr.contains(reason),
                "{tool}: {}",
                r.stderr
            );
        }
    }
    // So that the temporary directory can be removed.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}
