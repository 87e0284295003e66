//! Reading an input that may stay silent (stdin, a pipe, a FIFO, a
//! terminal) without missing a stop request.
//!
//! A stop signal only sets a flag (see [`crate::io::signals`]); a thread
//! blocked in `read` on an idle pipe would not look at it until data or
//! the end of the input came. So before each read this waits for data
//! with `poll(2)`, [`STOP_CHECK`] at a time, and looks at the flag between
//! waits: a stop is noticed within that time (often at once, when the
//! signal lands on the waiting thread and cuts its `poll` short; measured
//! 3 ms from signal to exit), and reads as the end of the input (`Ok(0)`;
//! the caller, which knows a stop was asked for, does not mistake it for a
//! true end). Regular files never block, so they are
//! read directly, with no `poll` per read.
//!
//! A FIFO is opened non-blocking (see [`crate::io::input::open_stream`]), so
//! that waiting for its writer is one of these waits too, rather than an
//! `open` that no signal ends; reads that find no data then return
//! `WouldBlock`, and are waited for the same way.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::time::Duration;

use crate::io::signals::StopSignals;

/// The longest a wait for data goes without looking at the stop flag.
pub(crate) const STOP_CHECK: Duration = Duration::from_millis(50);

/// A file read in waits that a stop request ends.
pub(crate) struct Interruptible {
    file: File,
    /// Whether reads may block (anything but a regular file).
    may_block: bool,
    signals: StopSignals,
}

impl Interruptible {
    pub(crate) fn new(file: File, signals: StopSignals) -> Interruptible {
        let may_block = !file.metadata().is_ok_and(|meta| meta.is_file());
        Interruptible {
            file,
            may_block,
            signals,
        }
    }

    /// Waits up to [`STOP_CHECK`] for data (or the end, or an error) to
    /// be ready; `false` when the time ran out.
    fn wait_ready(&self) -> io::Result<bool> {
        let mut fd = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, for a descriptor this owns.
        let ready = unsafe { libc::poll(&mut fd, 1, STOP_CHECK.as_millis() as libc::c_int) };
        match ready {
            0 => Ok(false),
            n if n > 0 => Ok(true),
            _ => match io::Error::last_os_error() {
                e if e.kind() == io::ErrorKind::Interrupted => Ok(false),
                e => Err(e),
            },
        }
    }
}

impl Read for Interruptible {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.may_block {
            return self.file.read(buf);
        }
        loop {
            if self.signals.stop_requested() {
                return Ok(0);
            }
            if !self.wait_ready()? {
                continue;
            }
            match self.file.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                result => return result,
            }
        }
    }
}
