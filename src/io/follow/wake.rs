//! Waiting for a followed file to change: file-system events where a
//! watch can be set, plain sleeps otherwise, in slices a stop can cut.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Instant;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::STOP_CHECK;

/// Wakes a waiting follower when something changes in the followed
/// file's directory; without a watch, waits are plain sleeps.
pub(super) struct Waker {
    /// One pending wake-up at most: events that come while one is pending
    /// are all answered by the same look.
    woken: Option<Receiver<()>>,
    _watcher: Option<RecommendedWatcher>,
}

impl Waker {
    pub(super) fn polling() -> Waker {
        Waker {
            woken: None,
            _watcher: None,
        }
    }

    /// Watches the directory of `path` (the file itself comes and goes
    /// with rotation; the directory sees it all: writes, creations,
    /// renames, deletions).
    pub(super) fn watching(path: &Path) -> Result<Waker, notify::Error> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let dir = dir.canonicalize().map_err(notify::Error::io)?;
        let (wake, woken) = mpsc::sync_channel(1);
        let mut watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
            let _ = wake.try_send(());
        })?;
        watcher.watch(&dir, RecursiveMode::NonRecursive)?;
        Ok(Waker {
            woken: Some(woken),
            _watcher: Some(watcher),
        })
    }

    pub(super) fn is_watching(&self) -> bool {
        self.woken.is_some()
    }

    /// Waits until `until`, an event, or `stop`.
    pub(super) fn wait(&mut self, until: Instant, stop: &dyn Fn() -> bool) {
        while !stop() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let slice = left.min(STOP_CHECK);
            match &self.woken {
                Some(woken) => match woken.recv_timeout(slice) {
                    Ok(()) => return,
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => self.woken = None,
                },
                None => thread::sleep(slice),
            }
        }
    }
}
