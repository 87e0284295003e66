//! SIGINT and SIGTERM as a request to stop, checked by the work loop.
//!
//! Dying at once on a signal could cut an output line in half and would
//! lose output still buffered; instead the first signal is only recorded,
//! the loop notices it at its next check, finishes and flushes what is
//! complete, and the tool exits with 130 (SIGINT) or 143 (SIGTERM), the
//! statuses a shell gives a process killed by those signals. Reads from
//! inputs that may stay idle wait in slices that look at the flag (see
//! [`crate::io::interruptible`]). A second signal exits at once with its
//! status, for a run stuck where it cannot check (a write to a stdout that
//! nobody reads).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

use crate::error::Error;
use crate::exit::ExitCode;

/// Which stop signal arrived, if any. Cloning shares the same flags.
#[derive(Clone, Debug)]
pub struct StopSignals {
    /// The exit status the first signal asks for; 0 until one arrives.
    status: Arc<AtomicUsize>,
    /// Set by the first signal; arms the immediate exit on the second.
    received: Arc<AtomicBool>,
}

impl StopSignals {
    /// Catches SIGINT and SIGTERM from now on, for the rest of the process.
    pub fn register() -> io::Result<StopSignals> {
        let signals = StopSignals {
            status: Arc::new(AtomicUsize::new(0)),
            received: Arc::new(AtomicBool::new(false)),
        };
        for (signal, code) in [
            (SIGINT, ExitCode::Interrupted),
            (SIGTERM, ExitCode::Terminated),
        ] {
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

    /// Whether a stop signal has arrived.
    pub fn stop_requested(&self) -> bool {
        self.status.load(Ordering::SeqCst) != 0
    }

    /// `Err(Error::Stopped(..))` once a stop signal has arrived, for `?`
    /// in a work loop; the exit status is that of the first signal.
    pub fn check(&self) -> Result<(), Error> {
        match self.status.load(Ordering::SeqCst) {
            0 => Ok(()),
            status if status == ExitCode::Interrupted as usize => {
                Err(Error::Stopped(ExitCode::Interrupted))
            }
            _ => Err(Error::Stopped(ExitCode::Terminated)),
        }
    }
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
}
