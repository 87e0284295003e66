//! Requests to stop, checked by the work loop: SIGINT, SIGTERM and SIGHUP,
//! and, when asked, the reader of stdout gone.
//!
//! Dying at once on a signal could cut an output line in half and would
//! lose output still buffered; instead the first signal is only recorded,
//! the loop notices it at its next check, finishes and flushes what is
//! complete, and the tool exits with 130 (SIGINT), 143 (SIGTERM) or 129
//! (SIGHUP), the statuses a shell gives a process killed by those signals.
//! Reads from inputs that may stay idle wait in slices that look at the
//! flag (see [`crate::io::interruptible`]). A second signal exits at once
//! with its status, for a run stuck where it cannot check (a write to a
//! stdout that nobody reads).
//!
//! SIGHUP is a stop like SIGTERM (the terminal or the ssh session that
//! started the run has gone), except where it was ignored when the process
//! started: `nohup` ignores it so that the run outlives its terminal, and
//! that is kept.
//!
//! A run that follows a log may wait for hours without writing; a reader
//! of its stdout that has gone (`| head -1`) would go unnoticed until the
//! next write. [`StopSignals::watching_stdout`] makes that a stop request
//! too, seen at the same checks as the signals (see
//! [`crate::io::closed_output`]); it ends the run as a write to the closed
//! pipe would (exit status 0, `docs/behaviour.md#exit-statuses`).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::flag;

use crate::error::Error;
use crate::exit::ExitCode;
use crate::io::closed_output;

/// The signals that ask for a stop, and the status each ends the run with.
const STOP_SIGNALS: [(libc::c_int, ExitCode); 3] = [
    (SIGINT, ExitCode::Interrupted),
    (SIGTERM, ExitCode::Terminated),
    (SIGHUP, ExitCode::HungUp),
];

/// Which stop request came, if any. Cloning shares the same flags.
#[derive(Clone, Debug)]
pub struct StopSignals {
    /// The exit status the first signal asks for; 0 until one arrives.
    status: Arc<AtomicUsize>,
    /// Set by the first signal; arms the immediate exit on the second.
    received: Arc<AtomicBool>,
    /// With the stdout watch: set once the reader of stdout is seen gone
    /// (it never comes back).
    stdout_gone: Option<Arc<AtomicBool>>,
}

impl StopSignals {
    /// Catches SIGINT, SIGTERM and SIGHUP (unless ignored, as under
    /// `nohup`) from now on, for the rest of the process.
    pub fn register() -> io::Result<StopSignals> {
        let signals = StopSignals {
            status: Arc::new(AtomicUsize::new(0)),
            received: Arc::new(AtomicBool::new(false)),
            stdout_gone: None,
        };
        for (signal, code) in STOP_SIGNALS {
            if signal == SIGHUP && ignored(SIGHUP)? {
                continue;
            }
            let status = code as u8;
            // Actions run in this order: the shutdown tests the flag before
            // this same signal sets it, so only a second signal exits at once.
            flag::register_conditional_shutdown(
                signal,
                i32::from(status),
                Arc::clone(&signals.received),
            )?;
            flag::register_usize(signal, Arc::clone(&signals.status), status as usize)?;
            flag::register(signal, Arc::clone(&signals.received))?;
        }
        Ok(signals)
    }

    /// The same, and a closed stdout (its reader gone) is a stop request
    /// too.
    pub fn watching_stdout(mut self) -> StopSignals {
        self.stdout_gone = Some(Arc::new(AtomicBool::new(false)));
        self
    }

    /// Whether a stop signal has arrived, or the reader of a watched
    /// stdout has gone.
    pub fn stop_requested(&self) -> bool {
        self.status.load(Ordering::SeqCst) != 0 || self.stdout_is_gone()
    }

    /// Whether the reader of a watched stdout has gone (asked of the
    /// system until it has; remembered after).
    fn stdout_is_gone(&self) -> bool {
        let Some(gone) = &self.stdout_gone else {
            return false;
        };
        if gone.load(Ordering::Relaxed) {
            return true;
        }
        let now = closed_output::reader_gone(io::stdout());
        if now {
            gone.store(true, Ordering::Relaxed);
        }
        now
    }

    /// `Err(Error::Stopped(..))` once a stop signal has arrived, for `?`
    /// in a work loop; the exit status is that of the first signal. A
    /// closed stdout is the error a write to it would have met (a broken
    /// pipe: exit status 0, nothing said).
    pub fn check(&self) -> Result<(), Error> {
        let status = self.status.load(Ordering::SeqCst);
        if let Some(&(_, code)) = STOP_SIGNALS
            .iter()
            .find(|(_, code)| *code as usize == status)
        {
            return Err(Error::Stopped(code));
        }
        if self.stdout_is_gone() {
            return Err(Error::io(
                "cannot write to stdout",
                io::Error::new(io::ErrorKind::BrokenPipe, "its reader has gone"),
            ));
        }
        Ok(())
    }
}

/// Whether `signal` is ignored (as `nohup` leaves SIGHUP for the process
/// it starts).
fn ignored(signal: libc::c_int) -> io::Result<bool> {
    // SAFETY: a zeroed `sigaction` is a valid value to be overwritten;
    // with a null new action, `sigaction` only reads the current one into
    // it and changes nothing.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: as above; `current` is a valid, writable `sigaction`.
    if unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(current.sa_sigaction == libc::SIG_IGN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The only test that raises a signal: a second one anywhere in this
    /// test process would end it, by design.
    #[test]
    fn a_signal_is_recorded_with_its_exit_status() {
        let signals = StopSignals::register().unwrap();
        assert!(!signals.stop_requested());
        assert!(signals.check().is_ok());
        signal_hook::low_level::raise(SIGTERM).unwrap();
        assert!(signals.stop_requested());
        assert_eq!(
            signals.check().unwrap_err().exit_code(),
            ExitCode::Terminated
        );
    }

    #[test]
    fn an_ignored_signal_is_told_from_a_handled_one() {
        // SIGPIPE: ignored by the Rust runtime in every test process.
        assert!(ignored(libc::SIGPIPE).unwrap());
        assert!(!ignored(libc::SIGUSR2).unwrap());
    }
}
