//! Whether the reader of an output has gone, found without writing to it.
//!
//! A write to a pipe whose reader has exited fails (`EPIPE`), but a run
//! that follows an idle log may have nothing to write for hours. Linux
//! reports the closed read end of a pipe as `POLLERR` on the write end,
//! and a hung-up socket or terminal as `POLLHUP`; `poll(2)` with no events
//! asked and no timeout returns those at once, without blocking or writing
//! (GNU `tail -F` watches its stdout the same way). A regular file or a
//! device such as `/dev/null` reports neither, so it is never taken for a
//! closed one.

use std::os::fd::{AsFd, AsRawFd};

/// Whether the reader at the other end of `output` has gone; `false`
/// whenever that cannot be told.
pub(crate) fn reader_gone(output: impl AsFd) -> bool {
    let mut fd = libc::pollfd {
        fd: output.as_fd().as_raw_fd(),
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for a descriptor borrowed for the call; a
    // zero timeout returns at once.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_whose_reader_closed_is_seen_without_a_write() {
        let (reader, writer) = std::io::pipe().unwrap();
        assert!(!reader_gone(&writer));
        drop(reader);
        assert!(reader_gone(&writer));
    }

    #[test]
    fn a_regular_file_or_dev_null_is_never_gone() {
        let file = tempfile::tempfile().unwrap();
        assert!(!reader_gone(&file));
        let null = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        assert!(!reader_gone(&null));
    }
}
