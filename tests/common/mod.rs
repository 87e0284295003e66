//! Helpers shared by the integration tests that drive the real binaries.
//! Each test crate compiles this module and uses only some of it.
#![allow(dead_code)]

pub(crate) mod flows;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::thread::JoinHandle;

/// Starts `cmd` with all three standard streams piped.
pub(crate) fn spawn_command_piped(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts `bin` with `args` and all three standard streams piped.
pub(crate) fn spawn_piped(bin: &str, args: &[&str]) -> Child {
    spawn_command_piped(Command::new(bin).args(args))
}

/// Writes `child`'s stdin through `feed` on a thread of its own, so that a
/// large input cannot deadlock against its output; the pipe closes when
/// `feed` returns.
pub(crate) fn feed_stdin(
    child: &mut Child,
    feed: impl FnOnce(&mut dyn Write) + Send + 'static,
) -> JoinHandle<()> {
    let mut input = child.stdin.take().unwrap();
    std::thread::spawn(move || feed(&mut input))
}

/// Runs `cmd` (its streams piped here), feeding it `stdin`, and collects
/// its output. A program that exits before reading all of stdin (an
/// error) is fine.
pub(crate) fn run_command_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = spawn_command_piped(cmd);
    let data = stdin.to_vec();
    let writer = feed_stdin(&mut child, move |input| drop(input.write_all(&data)));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

/// Runs `bin` with `args` (stdin empty) and collects its output.
pub(crate) fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().unwrap()
}

/// The stdout of `bin` with `args`, which must succeed.
pub(crate) fn stdout_of(bin: &str, args: &[&str]) -> Vec<u8> {
    let out = run(bin, args);
    assert!(
        out.status.success(),
        "{bin} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// [`run_command_with_stdin`] for `bin` with `args`.
pub(crate) fn run_with_stdin(bin: &str, args: &[&str], stdin: &[u8]) -> Output {
    run_command_with_stdin(Command::new(bin).args(args), stdin)
}

/// Runs `bin` with `args`, reads the first line of its stdout, then closes
/// the pipe (as `| head -1` does) and waits; returns that line and how the
/// run ended (its status and stderr).
pub(crate) fn first_line_then_close(bin: &str, args: &[&str]) -> (String, Output) {
    let mut child = spawn_piped(bin, args);
    drop(child.stdin.take());
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: the pipe is closed.
    (first, child.wait_with_output().unwrap())
}

/// An hour start (2019-08-12T22:00:00Z) the tests' logs are built around.
pub(crate) const H: u64 = 1_565_647_200;

/// A log line `TS FROM TO`, `offset` seconds after [`H`].
pub(crate) fn rec(offset: u64, from: &str, to: &str) -> String {
    format!("{} {from} {to}\n", H + offset)
}

/// Writes `data` to the file `name` in `dir` and returns its path.
pub(crate) fn write_file(
    dir: &std::path::Path,
    name: &str,
    data: impl AsRef<[u8]>,
) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// A run's stdout as text.
pub(crate) fn stdout(o: &Output) -> &str {
    std::str::from_utf8(&o.stdout).unwrap()
}

/// A run's stderr as text.
pub(crate) fn stderr(o: &Output) -> &str {
    std::str::from_utf8(&o.stderr).unwrap()
}

/// The TSV answer of the library's query `q` over `paths` read in order,
/// each opened as `choice` says (diagnostics dropped): what the `connspy`
/// binary would print, without a process.
pub(crate) fn query_output(
    q: &connspy::query::Query,
    paths: &[std::path::PathBuf],
    choice: connspy::io::input::MmapChoice,
) -> Vec<u8> {
    use connspy::diagnostics::{Diagnostics, MalformedReport};
    use connspy::io::input::{self, InputName};
    let inputs = paths
        .iter()
        .map(|p| {
            let name = InputName::Path(p.clone());
            let opened = input::open(&name, choice).unwrap();
            (name, opened)
        })
        .collect();
    let mut report =
        MalformedReport::new(Diagnostics::to_writer("test", true, std::io::sink()), false);
    let mut out = Vec::new();
    let mut answer =
        connspy::query::Answer::new(&mut out, connspy::output::Format::Tsv, q, &mut report);
    connspy::query::run(q, inputs, &mut answer).unwrap();
    answer.finish().unwrap();
    out
}
