//! The progress bar of a long `connspy` scan, on stderr.
//!
//! Shown only where it helps and cannot get in the way: when stderr is a
//! terminal, the scan is expected to take more than [`SHOW_AFTER`], and not
//! with `-q`. It never writes to stdout. While it is shown, whatever else
//! reaches the terminal (results flushed to a terminal stdout, diagnostics)
//! is written with the bar taken away and then drawn again, so that neither
//! garbles the other; and it is cleared when the last handle to it goes,
//! before the tool prints an error or exits.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

use crate::io::compressed::Compression;

/// Scans expected to end sooner get no bar: it would flash and vanish.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Mapped bytes scanned per second, a low estimate: the 30M-line log
/// (895 MB) takes 0.6 s with two cores and a warm page cache.
const MAPPED_BYTES_PER_SEC: f64 = 1.0e9;

/// Compressed bytes decompressed and scanned per second, low estimates
/// from the same log (see docs/performance.md).
fn compressed_bytes_per_sec(format: Compression) -> f64 {
    match format {
        Compression::Gzip => 100.0e6,
        Compression::Zstd => 250.0e6,
    }
}

/// What a scan will read, in bytes (mapped, or compressed as stored), and
/// how long that should take.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Work {
    /// Bytes to scan.
    pub bytes: u64,
    /// The scan's expected duration in seconds, from the measured rates.
    pub seconds: f64,
}

impl std::ops::Add for Work {
    type Output = Work;

    fn add(self, other: Work) -> Work {
        Work {
            bytes: self.bytes + other.bytes,
            seconds: self.seconds + other.seconds,
        }
    }
}

impl Work {
    /// Adds `bytes` of a mapped file.
    pub fn add_mapped(&mut self, bytes: u64) {
        self.bytes += bytes;
        self.seconds += bytes as f64 / MAPPED_BYTES_PER_SEC;
    }

    /// Adds a compressed file of `bytes` bytes.
    pub fn add_compressed(&mut self, format: Compression, bytes: u64) {
        self.bytes += bytes;
        self.seconds += bytes as f64 / compressed_bytes_per_sec(format);
    }
}

/// Whether a bar is worth showing: allowed (no `-q`), somewhere to show it
/// (stderr is a terminal), and a scan long enough to watch.
pub fn worth_showing(allowed: bool, stderr_is_terminal: bool, work: Work) -> bool {
    allowed && stderr_is_terminal && work.seconds > SHOW_AFTER.as_secs_f64()
}

/// A handle to the bar; clones share it. Hidden until [`start`](Self::start)
/// decides to show it.
#[derive(Clone, Debug)]
pub struct Progress {
    bar: ProgressBar,
    allowed: bool,
}

impl Progress {
    /// A bar that `start` may show if `allowed` (`-q` forbids it).
    pub fn new(allowed: bool) -> Progress {
        let bar = ProgressBar::hidden().with_finish(ProgressFinish::AndClear);
        Progress { bar, allowed }
    }

    /// Shows the bar for `work` if [`worth_showing`] says so.
    pub fn start(&self, work: Work) {
        if !worth_showing(self.allowed, io::stderr().is_terminal(), work) {
            return;
        }
        let style = ProgressStyle::with_template(
            "connspy: {bar:40} {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        self.bar.set_style(style);
        self.bar.set_length(work.bytes);
        self.bar.set_draw_target(ProgressDrawTarget::stderr());
    }

    /// Moves the bar to `bytes` of the work done.
    pub fn set_position(&self, bytes: u64) {
        self.bar.set_position(bytes);
    }

    /// Runs `f` (which writes to the terminal) with the bar taken away.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Wraps `out` (stdout) so that, when it is a terminal, each write
    /// happens with the bar taken away.
    pub fn clear_of<W: Write + IsTerminal>(&self, out: W) -> ClearOf<W> {
        ClearOf {
            bar: out.is_terminal().then(|| self.clone()),
            out,
        }
    }

    /// Whether the bar is being drawn.
    pub fn is_shown(&self) -> bool {
        !self.bar.is_hidden()
    }
}

/// A writer that keeps clear of the bar (see [`Progress::clear_of`]).
pub struct ClearOf<W> {
    out: W,
    bar: Option<Progress>,
}

impl<W: Write> Write for ClearOf<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &self.bar {
            Some(bar) => bar.suspend(|| self.out.write(buf)),
            None => self.out.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &self.bar {
            Some(bar) => bar.suspend(|| self.out.flush()),
            None => self.out.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_only_on_a_terminal_without_q_for_a_long_scan() {
        let mut long = Work::default();
        long.add_mapped(3_000_000_000);
        assert!(worth_showing(true, true, long));
        assert!(!worth_showing(false, true, long), "-q");
        assert!(
            !worth_showing(true, false, long),
            "stderr is not a terminal"
        );
        let mut short = Work::default();
        short.add_mapped(100_000_000);
        short.add_compressed(Compression::Zstd, 10_000_000);
        assert!(!worth_showing(true, true, short), "{short:?}");
        short.add_compressed(Compression::Gzip, 200_000_000);
        assert!(worth_showing(true, true, short), "{short:?}");
        assert_eq!(short.bytes, 310_000_000);
    }

    #[test]
    fn a_bar_off_the_terminal_stays_hidden_and_writes_pass_through() {
        let progress = Progress::new(true);
        let mut long = Work::default();
        long.add_mapped(u64::MAX / 2);
        // Tests run with stderr captured (not a terminal) or not: either
        // way the bar follows the rule.
        progress.start(long);
        assert_eq!(progress.is_shown(), io::stderr().is_terminal());
        let quiet = Progress::new(false);
        quiet.start(long);
        assert!(!quiet.is_shown());
        let mut out = ClearOf {
            out: Vec::new(),
            bar: Some(quiet),
        };
        out.write_all(b"host\n").unwrap();
        out.flush().unwrap();
        assert_eq!(out.out, b"host\n");
    }
}
