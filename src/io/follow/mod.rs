//! Following a log file by name, like `tail -F`: an endless source of
//! whole-line blocks for `connspy-stream --tail`.
//!
//! The file is read from its start. At its end the follower waits for a
//! file-system event (inotify, through the `notify` crate, on the file's
//! directory) or, with [`FollowOptions::poll`] or where no watch can be
//! set (some network or container file systems), for a poll interval; a
//! look is also made at least every [`EVENT_LOOK`] with events, in case
//! one is missed (a rotated file moved to another directory). Each wait
//! is cut into slices of [`STOP_CHECK`] that ask whether to stop.
//!
//! What a look checks:
//! - **Appended data** is read at once (measured pick-up: see
//!   `docs/robustness.md`).
//! - **Truncation** (copytruncate): before every read, the last bytes read
//!   (up to [`TAIL_BYTES`], just before the read offset) are read again
//!   and compared. A file that was emptied and then written past the old
//!   offset before the follower looked fails the comparison as surely as
//!   one that is shorter; the file is then read again from its start
//!   (complete lines already read are handed out first). An unfinished
//!   last line of the old content joins the first bytes read after the
//!   truncation, as `tail -F` shows them: a writer whose line logrotate's
//!   copytruncate cut in two writes its end into the emptied file. What
//!   the writer appended after the last read and before the truncation is
//!   lost: it went to the copy only. Reading at once on the write event
//!   keeps that window to about a millisecond.
//! - **Rotation**: the path names another regular file. The new file is
//!   followed from its start, and the old one stays open and is read too
//!   for [`FollowOptions::rotate_wait`] (or until it is deleted), so that
//!   a writer that reopens the path late loses nothing. The old file's
//!   unfinished last line is not handed out while it may still be
//!   finished; when the wait ends it is handed out as a line, as at the
//!   end of any input (and said in a notice).
//! - **Other files at the path**: only regular files are followed. A FIFO,
//!   a device, a directory or a socket at the path, or a file that cannot
//!   be opened, is said in one notice (said again at most once a minute
//!   while it lasts) and waited out; the file being read is kept. Nothing
//!   is opened before a `stat` says it is a regular file, and the open is
//!   non-blocking and checked again with `fstat`, so a FIFO that appears
//!   in between cannot hang it.
//! - **A stop**: an unfinished last line is never handed out while it may
//!   still be finished; when the run stops first, the follower tells of it
//!   ([`LineSource::left_unread`]), so that it is not dropped unsaid.
//!
//! The follower writes nothing on stderr: notices are handed out as
//! [`Event::Notice`], for the caller to report.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod file;
mod path;
mod wake;

use file::{Followed, OpenError, Tracked, open_regular};
use wake::Waker;

use crate::io::block_reader::BlockReader;
use crate::io::source::{Event, LineSource, Restart};

/// How long a polling follower waits at the end of data before looking
/// again (with `--poll`, or where no watch can be set): the one
/// definition of `--poll-interval`'s default.
pub(crate) const DEFAULT_POLL: Duration = Duration::from_millis(200);

/// How long a rotated-away file is still read: the one definition of
/// `--rotate-wait`'s default.
pub(crate) const DEFAULT_ROTATE_WAIT: Duration = Duration::from_secs(5);

/// With events, the longest a follower goes without looking anyway.
pub(crate) const EVENT_LOOK: Duration = Duration::from_secs(1);

/// The longest a wait goes without asking whether to stop.
pub(crate) const STOP_CHECK: Duration = Duration::from_millis(50);

/// How many bytes before the read offset are compared before each read.
pub(crate) const TAIL_BYTES: usize = 64;

/// The most bytes read between two questions whether to stop (a skip of
/// an overlong line reads on without handing anything out): about 10 ms
/// of reading from the page cache.
const READ_BUDGET: u64 = 16 << 20;

/// The most rotated-away files read at once; past it the oldest one's wait
/// ends.
const MAX_ROTATED: usize = 8;

/// How often a lasting problem with the path is said again.
const COMPLAIN_EVERY: Duration = Duration::from_secs(60);

/// How a follower waits and how long it reads a rotated file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FollowOptions {
    /// Poll every `poll_interval` instead of waiting for file-system
    /// events.
    pub poll: bool,
    /// The wait between looks when polling.
    pub poll_interval: Duration,
    /// How long a file rotated away (renamed; the path names a new file)
    /// is still read, unless it is deleted first.
    pub rotate_wait: Duration,
}

impl Default for FollowOptions {
    fn default() -> FollowOptions {
        FollowOptions {
            poll: false,
            poll_interval: DEFAULT_POLL,
            rotate_wait: DEFAULT_ROTATE_WAIT,
        }
    }
}

impl FollowOptions {
    /// The options as given (`None`: not given, the default applies).
    pub(crate) fn new(
        poll: bool,
        poll_interval: Option<Duration>,
        rotate_wait: Option<Duration>,
    ) -> FollowOptions {
        FollowOptions {
            poll,
            poll_interval: poll_interval.unwrap_or(DEFAULT_POLL),
            rotate_wait: rotate_wait.unwrap_or(DEFAULT_ROTATE_WAIT),
        }
    }
}

/// A file rotated away, read until its wait ends or it is deleted.
struct Rotated {
    followed: Followed,
    until: Instant,
    /// Its last line has been handed out; it is dropped at the next turn.
    ended: bool,
}

/// Which file a block comes from.
#[derive(Clone, Copy)]
enum Which {
    Current,
    Rotated(usize),
}

/// What the next call hands out, decided before anything is borrowed.
enum Ready {
    Stopped,
    Notice(String),
    Restarted(Restart),
    Block(Which),
    /// The unfinished last line of a rotated file whose wait is over.
    Partial(Which),
}

/// Follows the file at a path; memory is bounded by one [`BlockReader`]
/// per file read: the current one and those still in their rotate wait
/// (at most [`MAX_ROTATED`]).
pub(crate) struct Follower {
    path: PathBuf,
    options: FollowOptions,
    /// `None` until the path first names a regular file.
    current: Option<Followed>,
    /// Said before the current file's first block.
    announce: Option<Restart>,
    /// Files rotated away, oldest first.
    rotated: Vec<Rotated>,
    waker: Waker,
    notices: VecDeque<String>,
    /// The last problem said about the path, and when.
    complaint: Option<(String, Instant)>,
}

impl Follower {
    /// Follows `path` from its first byte. A missing path is waited for;
    /// anything else that keeps it from being followed now (not a regular
    /// file, permissions) is an error now, where it can be reported,
    /// rather than a wait.
    pub(crate) fn new(path: &Path, options: FollowOptions) -> io::Result<Follower> {
        let current = match open_regular(path) {
            Ok((file, id)) => Some(Followed::new(file, id)),
            Err(OpenError::Missing) => None,
            Err(OpenError::NotRegular("a directory")) => {
                return Err(io::ErrorKind::IsADirectory.into());
            }
            Err(OpenError::NotRegular(what)) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("it is {what}: --tail follows regular files only"),
                ));
            }
            Err(OpenError::Failed(e)) => return Err(e),
        };
        let mut notices = VecDeque::new();
        let waker = if options.poll {
            Waker::polling()
        } else {
            Waker::watching(path).unwrap_or_else(|e| {
                notices.push_back(format!(
                    "cannot watch for changes ({e}); polling every {} ms instead",
                    options.poll_interval.as_millis()
                ));
                Waker::polling()
            })
        };
        Ok(Follower {
            path: path.to_path_buf(),
            options,
            current,
            announce: None,
            rotated: Vec::new(),
            waker,
            notices,
            complaint: None,
        })
    }

    /// Whether changes are waited for as events (not by polling).
    #[cfg(test)]
    fn is_watching(&self) -> bool {
        self.waker.is_watching()
    }

    /// The next block of whole lines, restart or notice, waiting for one
    /// as long as it takes; `None` only once `stop` returns true, which is
    /// asked at least every 50 ms while waiting or reading.
    pub(crate) fn next_block(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Option<Event<'_>>> {
        Ok(match self.advance(stop)? {
            Ready::Stopped => None,
            Ready::Notice(text) => Some(Event::Notice(text)),
            Ready::Restarted(why) => Some(Event::Restarted(why)),
            Ready::Block(which) => self.reader(which).next_block()?.map(Event::Block),
            Ready::Partial(which) => self.reader(which).take_partial().map(Event::Block),
        })
    }

    fn reader(&mut self, which: Which) -> &mut BlockReader<Tracked> {
        match which {
            Which::Current => &mut self.current.as_mut().expect("a current file").reader,
            Which::Rotated(i) => &mut self.rotated[i].followed.reader,
        }
    }

    /// Reads, waits and looks until there is something to hand out; the
    /// blocks themselves are handed out by the caller, which may keep
    /// their borrow (deciding here first is what lets it).
    fn advance(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Ready> {
        loop {
            if stop() {
                return Ok(Ready::Stopped);
            }
            if let Some(text) = self.notices.pop_front() {
                return Ok(Ready::Notice(text));
            }
            let mut busy = false;
            // Rotated files first: what is in them was written earlier.
            self.rotated.retain(|r| !r.ended);
            for (i, r) in self.rotated.iter_mut().enumerate() {
                r.followed.tracked().new_turn();
                if r.followed.reader.has_block()? {
                    return Ok(Ready::Block(Which::Rotated(i)));
                }
                // A deleted file is left at once, unless its last line is
                // unfinished: a writer that still holds it open (logrotate
                // `compress` deletes it at once) finishes the line there
                // within moments, and its end is read until the wait ends.
                let unfinished = r.followed.reader.has_partial();
                let tracked = r.followed.tracked();
                if tracked.exhausted {
                    busy = true;
                    continue;
                }
                let truncated = tracked.truncated;
                if truncated || Instant::now() >= r.until || !unfinished && tracked.deleted()? {
                    r.ended = true;
                    if truncated {
                        // Its unfinished line lost its end: nothing to hand out.
                        self.notices
                            .push_back("a rotated-away file was truncated; left".to_string());
                        return Ok(Ready::Notice(self.notices.pop_front().unwrap()));
                    }
                    if r.followed.reader.has_partial() {
                        self.notices.push_back(
                            "the rotated-away file ended with an unterminated line, \
                             taken as a line at the end of the rotate wait"
                                .to_string(),
                        );
                        return Ok(Ready::Partial(Which::Rotated(i)));
                    }
                }
            }
            match self.current.as_mut() {
                None => {
                    if let Some(followed) = self.look_at_path() {
                        self.current = Some(followed);
                        continue;
                    }
                }
                Some(current) => {
                    current.tracked().new_turn();
                    if current.reader.has_block()? {
                        if let Some(why) = self.announce.take() {
                            return Ok(Ready::Restarted(why));
                        }
                        return Ok(Ready::Block(Which::Current));
                    }
                    let tracked = current.tracked();
                    if tracked.exhausted {
                        busy = true;
                    } else if tracked.truncated {
                        // The same open file, from its start; an
                        // unfinished line read before joins its first bytes.
                        let again = tracked.file.try_clone()?;
                        current.reader.continue_with(Tracked::new(again));
                        self.announce = None;
                        return Ok(Ready::Restarted(Restart::Truncated));
                    } else if let Some(next) = self.look_at_path() {
                        self.rotate_to(next);
                        continue;
                    }
                }
            }
            if !self.notices.is_empty() {
                continue;
            }
            if !busy {
                let look = if self.waker.is_watching() {
                    EVENT_LOOK
                } else {
                    self.options.poll_interval
                };
                let mut until = Instant::now() + look;
                for r in &self.rotated {
                    until = until.min(r.until);
                }
                self.waker.wait(until, stop);
            }
        }
    }

    /// The new file `next` at the path is followed from now on; the
    /// current one (read to its end so far) is still read during the
    /// rotate wait.
    fn rotate_to(&mut self, next: Followed) {
        if let Some(old) = self.current.replace(next) {
            if self.rotated.len() >= MAX_ROTATED {
                self.rotated[0].until = Instant::now();
            }
            self.rotated.push(Rotated {
                followed: old,
                until: Instant::now() + self.options.rotate_wait,
                ended: false,
            });
        }
        self.announce = Some(Restart::Replaced);
    }
}

impl LineSource for Follower {
    /// Never ends by itself: only `stop` ends it.
    fn next_event(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Option<Event<'_>>> {
        self.next_block(stop)
    }

    /// The bytes after the last whole line of the followed file, and of
    /// each rotated-away file still in its wait.
    fn left_unread(&mut self) -> Vec<String> {
        let mut notes: Vec<String> = self
            .rotated
            .iter_mut()
            .filter(|r| !r.ended)
            .filter_map(|r| r.followed.left_unread())
            .map(|note| format!("a rotated-away file: {note}"))
            .collect();
        notes.extend(self.current.as_mut().and_then(Followed::left_unread));
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::block_reader::Block;
    use std::fs::{self, File, OpenOptions};
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;

    /// Short, so that tests run fast; the waits below are far longer.
    const POLL: Duration = Duration::from_millis(10);
    /// How long a test waits for something it expects: generous, as the
    /// machine may be busy; only a failing test waits that long.
    const EXPECT_WITHIN: Duration = Duration::from_secs(10);
    /// How long a test watches for something that must not come. A busy
    /// machine can only make such a check pass wrongly, never fail.
    const QUIET_FOR: Duration = Duration::from_millis(300);

    /// What a follower handed out, one entry per line.
    #[derive(Debug, PartialEq, Eq)]
    enum Item {
        Line(String),
        Restarted(Restart),
        Notice(String),
    }

    fn line(text: &str) -> Item {
        Item::Line(text.to_string())
    }

    /// Takes items until `count` have come or `within` has passed.
    fn take(f: &mut Follower, count: usize, within: Duration) -> Vec<Item> {
        let deadline = Instant::now() + within;
        let past_deadline = || Instant::now() >= deadline;
        let mut items = Vec::new();
        while items.len() < count {
            match f.next_block(&past_deadline).unwrap() {
                None => break,
                Some(Event::Restarted(r)) => items.push(Item::Restarted(r)),
                Some(Event::Notice(n)) => items.push(Item::Notice(n)),
                Some(Event::Block(Block::Lines(lines))) => {
                    let text = String::from_utf8(lines.to_vec()).unwrap();
                    items.extend(text.lines().map(line));
                }
                Some(Event::Block(Block::Overlong)) => panic!("no overlong lines here"),
            }
        }
        items
    }

    /// Like [`take`], without the notices.
    fn take_quietly(f: &mut Follower, count: usize, within: Duration) -> Vec<Item> {
        let deadline = Instant::now() + within;
        let mut items = Vec::new();
        while items.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            let more = take(f, 1, left);
            if more.is_empty() {
                break;
            }
            items.extend(more.into_iter().filter(|i| !matches!(i, Item::Notice(_))));
        }
        items
    }

    fn expect(f: &mut Follower, items: Vec<Item>) {
        assert_eq!(take_quietly(f, items.len(), EXPECT_WITHIN), items);
    }

    fn expect_nothing(f: &mut Follower) {
        assert_eq!(take_quietly(f, 1, QUIET_FOR), vec![]);
    }

    fn append(path: &Path, text: &str) {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    /// Empties the file in place (the truncation of copytruncate).
    fn empty(path: &Path) {
        OpenOptions::new()
            .write(true)
            .open(path)
            .unwrap()
            .set_len(0)
            .unwrap();
    }

    fn options(poll: bool, rotate_wait: Duration) -> FollowOptions {
        FollowOptions {
            poll,
            poll_interval: POLL,
            rotate_wait,
        }
    }

    fn setup_with(content: &str, options: FollowOptions) -> (tempfile::TempDir, PathBuf, Follower) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        append(&path, content);
        let follower = Follower::new(&path, options).unwrap();
        (dir, path, follower)
    }

    /// Polling, with no rotate wait: the old behaviour.
    fn setup(content: &str) -> (tempfile::TempDir, PathBuf, Follower) {
        setup_with(content, options(true, Duration::ZERO))
    }

    #[test]
    fn reads_from_the_start_then_picks_up_appended_lines() {
        for poll in [true, false] {
            let (_dir, path, mut f) = setup_with("1 a b\n2 c d\n", options(poll, Duration::ZERO));
            assert_eq!(f.is_watching(), !poll);
            expect(&mut f, vec![line("1 a b"), line("2 c d")]);
            expect_nothing(&mut f);
            append(&path, "3 e f\n");
            expect(&mut f, vec![line("3 e f")]);
            expect_nothing(&mut f);
        }
    }

    #[test]
    fn with_events_appended_lines_come_within_milliseconds() {
        let (_dir, path, mut f) = setup_with("", FollowOptions::default());
        assert!(f.is_watching());
        let mut slowest = Duration::ZERO;
        for i in 0..20 {
            expect_nothing_for(&mut f, Duration::from_millis(5));
            let written = Instant::now();
            append(&path, &format!("{i} a b\n"));
            expect(&mut f, vec![line(&format!("{i} a b"))]);
            slowest = slowest.max(written.elapsed());
        }
        // Polling would take up to the 1 s safety look; events, about 1 ms.
        assert!(slowest < Duration::from_millis(500), "{slowest:?}");
    }

    fn expect_nothing_for(f: &mut Follower, quiet: Duration) {
        assert_eq!(take_quietly(f, 1, quiet), vec![]);
    }

    #[test]
    fn a_partial_line_waits_for_its_newline() {
        let (_dir, path, mut f) = setup("1 a b\n2 c");
        expect(&mut f, vec![line("1 a b")]);
        expect_nothing(&mut f);
        append(&path, " d\n");
        expect(&mut f, vec![line("2 c d")]);
    }

    #[test]
    fn what_is_left_after_the_last_whole_line_is_told() {
        let (dir, path, mut f) = setup_with("1 a b\n2 c", options(true, Duration::from_secs(60)));
        expect(&mut f, vec![line("1 a b")]);
        expect_nothing(&mut f);
        assert_eq!(
            f.left_unread(),
            ["its last line has no newline: 3 bytes left unread at exit"]
        );
        // Rotated away with its line still unfinished, and written to
        // since the last read; a new file at the path ends whole.
        fs::rename(&path, dir.path().join("log.1")).unwrap();
        append(&path, "3 e f\n");
        expect(
            &mut f,
            vec![Item::Restarted(Restart::Replaced), line("3 e f")],
        );
        append(&dir.path().join("log.1"), " d\n4 g");
        assert_eq!(
            f.left_unread(),
            [
                "a rotated-away file: 9 bytes after its last whole line left unread at exit \
              (6 of them written since the last read)"
            ]
        );
        append(&path, "5 i j\n");
        expect(&mut f, vec![line("2 c d"), line("5 i j")]);
        assert_eq!(
            f.left_unread(),
            ["a rotated-away file: its last line has no newline: 3 bytes left unread at exit"]
        );
    }

    #[test]
    fn rotation_drains_the_old_file_then_reads_the_new_one() {
        let (dir, path, mut f) = setup("1 a b\n");
        expect(&mut f, vec![line("1 a b")]);
        // All of this happens before the follower looks again: lines still
        // written to the old file after the rename, ending unterminated.
        append(&path, "2 c d\n");
        let old = dir.path().join("log.1");
        fs::rename(&path, &old).unwrap();
        append(&old, "3 e f\n4 g");
        append(&path, "5 i j\n6 k");
        expect(
            &mut f,
            vec![
                line("2 c d"),
                line("3 e f"),
                line("4 g"),
                Item::Restarted(Restart::Replaced),
                line("5 i j"),
            ],
        );
        expect_nothing(&mut f);
        // The old file is done with (no rotate wait); the new one is followed.
        append(&old, "7 x y\n");
        append(&path, " l\n");
        expect(&mut f, vec![line("6 k l")]);
        expect_nothing(&mut f);
    }

    #[test]
    fn during_the_rotate_wait_both_files_are_read() {
        for poll in [true, false] {
            let (dir, path, mut f) =
                setup_with("1 a b\n", options(poll, Duration::from_millis(700)));
            expect(&mut f, vec![line("1 a b")]);
            let old = dir.path().join("log.1");
            let mut writer = OpenOptions::new().append(true).open(&path).unwrap();
            fs::rename(&path, &old).unwrap();
            writer.write_all(b"2 c").unwrap();
            append(&path, "3 e f\n");
            expect(
                &mut f,
                vec![Item::Restarted(Restart::Replaced), line("3 e f")],
            );
            // The old file's unfinished line is not a line while it may grow.
            expect_nothing_for(&mut f, Duration::from_millis(200));
            // The late writer finishes it, and writes more, then reopens.
            writer.write_all(b" d\n4 g h\n5 i").unwrap();
            expect(&mut f, vec![line("2 c d"), line("4 g h")]);
            // At the end of the wait, the unterminated line is a line.
            assert_eq!(
                take(&mut f, 2, EXPECT_WITHIN),
                vec![
                    Item::Notice(
                        "the rotated-away file ended with an unterminated line, taken as \
                         a line at the end of the rotate wait"
                            .to_string()
                    ),
                    line("5 i")
                ]
                .into_iter()
                .rev()
                .collect::<Vec<_>>(),
                "poll {poll}"
            );
            // The wait is over: the old file is no longer read.
            writer.write_all(b"6 k l\n").unwrap();
            append(&path, "7 m n\n");
            expect(&mut f, vec![line("7 m n")]);
        }
    }

    #[test]
    fn a_rotated_file_that_is_deleted_is_left_at_once() {
        let (dir, path, mut f) = setup_with("1 a b\n", options(false, Duration::from_secs(60)));
        expect(&mut f, vec![line("1 a b")]);
        let old = dir.path().join("log.1");
        fs::rename(&path, &old).unwrap();
        append(&old, "2 c d\n");
        append(&path, "3 e f\n");
        expect(
            &mut f,
            vec![
                line("2 c d"),
                Item::Restarted(Restart::Replaced),
                line("3 e f"),
            ],
        );
        append(&old, "4 g h\n");
        fs::remove_file(&old).unwrap();
        // Well before the 60 s wait.
        expect(&mut f, vec![line("4 g h")]);
    }

    #[test]
    fn a_rotated_file_deleted_in_the_middle_of_a_line_is_read_until_the_line_ends() {
        let (dir, path, mut f) = setup_with("1 a b\n", options(false, Duration::from_secs(60)));
        expect(&mut f, vec![line("1 a b")]);
        let old = dir.path().join("log.1");
        let mut writer = OpenOptions::new().append(true).open(&path).unwrap();
        fs::rename(&path, &old).unwrap();
        append(&path, "3 e f\n");
        writer.write_all(b"2 c").unwrap();
        expect(
            &mut f,
            vec![Item::Restarted(Restart::Replaced), line("3 e f")],
        );
        // logrotate's `compress` deletes the file while the writer is in
        // the middle of a line; the writer finishes it in the deleted file.
        fs::remove_file(&old).unwrap();
        expect_nothing(&mut f);
        writer.write_all(b" d\n").unwrap();
        expect(&mut f, vec![line("2 c d")]);
    }

    #[test]
    fn truncation_reads_again_from_the_start() {
        let (_dir, path, mut f) = setup("1 a b\n2 c d\n");
        expect(&mut f, vec![line("1 a b"), line("2 c d")]);
        // copytruncate: the same file, emptied, then written again.
        empty(&path);
        append(&path, "4 g h\n");
        expect(
            &mut f,
            vec![Item::Restarted(Restart::Truncated), line("4 g h")],
        );
        expect_nothing(&mut f);
        append(&path, "5 i j\n");
        expect(&mut f, vec![line("5 i j")]);
    }

    #[test]
    fn after_a_truncation_an_unfinished_line_joins_the_first_bytes_written() {
        for poll in [true, false] {
            let (_dir, path, mut f) =
                setup_with("1 a b\n2 c d\n3 e", options(poll, Duration::ZERO));
            expect(&mut f, vec![line("1 a b"), line("2 c d")]);
            // copytruncate cuts the writer's line: its start was copied
            // away and read, its end lands in the emptied file.
            empty(&path);
            append(&path, " f\n4 g h\n");
            // As `tail -F` shows it: the bytes before and after join up.
            expect(
                &mut f,
                vec![
                    Item::Restarted(Restart::Truncated),
                    line("3 e f"),
                    line("4 g h"),
                ],
            );
        }
    }

    #[test]
    fn truncation_is_seen_when_the_file_grew_past_the_old_offset() {
        // Polling every 300 ms: the truncation and the rewrite both happen
        // before the follower looks again.
        let mut opts = options(true, Duration::ZERO);
        opts.poll_interval = Duration::from_millis(300);
        let (_dir, path, mut f) = setup_with("1 a b\n", opts);
        expect(&mut f, vec![line("1 a b")]);
        empty(&path);
        append(&path, "20 longer x\n21 longer y\n");
        expect(
            &mut f,
            vec![
                Item::Restarted(Restart::Truncated),
                line("20 longer x"),
                line("21 longer y"),
            ],
        );
    }

    #[test]
    fn a_missing_path_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.log");
        let mut f = Follower::new(&path, options(false, Duration::ZERO)).unwrap();
        expect_nothing(&mut f);
        append(&path, "1 a b\n");
        expect(&mut f, vec![line("1 a b")]);
    }

    #[test]
    fn a_deleted_file_is_read_while_written_and_its_successor_followed() {
        let (_dir, path, mut f) = setup("1 a b\n");
        expect(&mut f, vec![line("1 a b")]);
        let mut writer = OpenOptions::new().append(true).open(&path).unwrap();
        fs::remove_file(&path).unwrap();
        expect_nothing(&mut f);
        // A writer that still holds the deleted file open is still heard.
        writer.write_all(b"2 c d\n").unwrap();
        expect(&mut f, vec![line("2 c d")]);
        append(&path, "3 e f\n");
        expect(
            &mut f,
            vec![Item::Restarted(Restart::Replaced), line("3 e f")],
        );
    }

    #[test]
    fn a_fifo_at_the_path_is_said_once_and_waited_out() {
        let (_dir, path, mut f) = setup_with("1 a b\n", options(false, Duration::ZERO));
        expect(&mut f, vec![line("1 a b")]);
        fs::remove_file(&path).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        let said = take(&mut f, 1, EXPECT_WITHIN);
        assert!(
            matches!(&said[..], [Item::Notice(n)] if n.starts_with("is a FIFO")),
            "{said:?}"
        );
        // Said once, not at every look.
        assert_eq!(take(&mut f, 1, QUIET_FOR), vec![]);
        fs::remove_file(&path).unwrap();
        append(&path, "2 c d\n");
        expect(
            &mut f,
            vec![Item::Restarted(Restart::Replaced), line("2 c d")],
        );
    }

    #[test]
    fn a_character_device_at_the_path_is_not_read() {
        let (_dir, path, mut f) = setup_with("1 a b\n", options(true, Duration::ZERO));
        expect(&mut f, vec![line("1 a b")]);
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let said = take(&mut f, 2, Duration::from_millis(500));
        assert!(
            matches!(&said[..], [Item::Notice(n)] if n.starts_with("is a character device")),
            "{said:?}"
        );
    }

    #[test]
    fn a_path_that_cannot_be_opened_is_said_and_waited_for() {
        let (_dir, path, mut f) = setup_with("1 a b\n", options(true, Duration::ZERO));
        expect(&mut f, vec![line("1 a b")]);
        fs::remove_file(&path).unwrap();
        // A symbolic link to itself: there, but never openable (even by
        // root, whom permissions do not stop).
        std::os::unix::fs::symlink("log", &path).unwrap();
        let said = take(&mut f, 2, Duration::from_millis(500));
        assert!(
            matches!(&said[..], [Item::Notice(n)] if n.starts_with("cannot open it")),
            "{said:?}"
        );
        fs::remove_file(&path).unwrap();
        append(&path, "2 c d\n");
        expect(
            &mut f,
            vec![Item::Restarted(Restart::Replaced), line("2 c d")],
        );
    }

    #[test]
    fn a_stop_ends_a_wait_long_before_the_poll_interval() {
        for poll in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let mut opts = options(poll, Duration::ZERO);
            opts.poll_interval = Duration::from_secs(60);
            let mut f = Follower::new(&dir.path().join("never"), opts).unwrap();
            let stop = Arc::new(AtomicBool::new(false));
            let setter = Arc::clone(&stop);
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(100));
                setter.store(true, Ordering::SeqCst);
            });
            let started = Instant::now();
            assert_eq!(f.next_block(&|| stop.load(Ordering::SeqCst)).unwrap(), None);
            assert!(started.elapsed() < Duration::from_secs(30));
        }
    }

    #[test]
    fn a_stop_ends_the_skip_of_an_endless_line() {
        // 4 GB of one line (sparse): skipping it reads on without handing
        // anything out, for seconds.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        File::create(&path).unwrap().set_len(4 << 30).unwrap();
        let mut f = Follower::new(&path, options(true, Duration::ZERO)).unwrap();
        let started = Instant::now();
        let stop = || started.elapsed() > Duration::from_millis(50);
        while f.next_block(&stop).unwrap().is_some() {}
        assert!(
            started.elapsed() < Duration::from_millis(1000),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn an_unreadable_path_is_an_error_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let err = Follower::new(dir.path(), FollowOptions::default())
            .err()
            .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::IsADirectory);
    }
}
