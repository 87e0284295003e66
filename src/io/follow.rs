//! Following a log file by name, like `tail -F`: an endless source of
//! whole-line blocks for `connspy-stream --tail`.
//!
//! The file is read from its start; at its current end the follower waits
//! a poll interval and looks again: for more data, for another file at the
//! path (rotation: the old file is read to its end first, then the new one
//! from its start), for a file shorter than what was read (truncation:
//! read again from the start). A path that does not exist, at the start or
//! after a deletion, is waited for.
//!
//! It polls instead of asking for file-system notifications (`notify`,
//! inotify): a look is four system calls, so polling every 200 ms picks new
//! data up within 200 ms (about 100 ms on average) for about 0.05 s of CPU
//! per idle minute (measured); and notifications would not remove the
//! polling, which is still needed where they do not work (network file
//! systems, some containers) and for the races between rename, create and
//! open that `tail -F` itself handles by looking again.

use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::io::block_reader::BlockReader;
use crate::io::source::{Event, LineSource, Restart};

/// How long a follower waits at the end of data before looking again.
pub(crate) const DEFAULT_POLL: Duration = Duration::from_millis(200);

/// The longest a wait goes without asking whether to stop, so that a stop
/// signal is acted on well within half a second whatever the poll interval.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// Which file a path names: the same device and inode is the same file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    fn of(meta: &fs::Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// The file being read.
struct Current {
    reader: BlockReader<File>,
    id: FileId,
}

/// The file the path names after a rotation, opened when it was seen.
struct Next {
    file: File,
    id: FileId,
    /// The current file has been read to its end: switch at the next call.
    drained: bool,
}

/// What a look at the end of the current file found.
enum Change {
    None,
    Replaced,
    Truncated,
}

/// What the next call hands out, decided before anything is borrowed.
enum Ready {
    Stopped,
    Block,
    /// The unfinished last line of a file that was rotated away.
    Partial,
    Restarted(Restart),
}

/// Follows the file at a path; memory is bounded by one [`BlockReader`]
/// plus, during a rotation, one more open file.
pub(crate) struct Follower {
    path: PathBuf,
    poll: Duration,
    /// `None` until the path first names a file.
    current: Option<Current>,
    /// Set once the path names another file than the current one.
    next: Option<Next>,
}

impl Follower {
    /// Follows `path` from its first byte, looking for changes every
    /// `poll` once its end is reached. A missing path is waited for; any
    /// other reason not to open it (permissions, a directory) is an error
    /// now, where it can be reported, rather than a silent wait.
    pub(crate) fn new(path: &Path, poll: Duration) -> io::Result<Follower> {
        let current = match open(path) {
            Ok((file, id)) => Some(Current {
                reader: BlockReader::new(file),
                id,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        Ok(Follower {
            path: path.to_path_buf(),
            poll,
            current,
            next: None,
        })
    }

    /// The next block of whole lines or restart, waiting for one as long
    /// as it takes; `None` only once `stop` returns true, which is asked
    /// at least every 50 ms while waiting.
    pub(crate) fn next_block(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Option<Event<'_>>> {
        let ready = self.advance(stop)?;
        Ok(match (ready, self.current.as_mut()) {
            (Ready::Restarted(restart), _) => Some(Event::Restarted(restart)),
            (Ready::Block, Some(current)) => current.reader.next_block()?.map(Event::Block),
            (Ready::Partial, Some(current)) => current.reader.take_partial().map(Event::Block),
            _ => None,
        })
    }

    /// Reads, waits and looks until there is something to hand out; the
    /// blocks themselves are handed out by the caller, which may keep
    /// their borrow (deciding here first is what lets it).
    fn advance(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Ready> {
        loop {
            if stop() {
                return Ok(Ready::Stopped);
            }
            let Some(current) = self.current.as_mut() else {
                match open(&self.path) {
                    Ok((file, id)) => {
                        self.current = Some(Current {
                            reader: BlockReader::new(file),
                            id,
                        })
                    }
                    Err(_) => self.nap(stop),
                }
                continue;
            };
            let Some(next) = self.next.as_mut() else {
                if current.reader.has_block()? {
                    return Ok(Ready::Block);
                }
                match self.look()? {
                    Change::None => self.nap(stop),
                    // Drained from the next turn on.
                    Change::Replaced => {}
                    Change::Truncated => return Ok(Ready::Restarted(Restart::Truncated)),
                }
                continue;
            };
            if !next.drained {
                if current.reader.has_block()? {
                    return Ok(Ready::Block);
                }
                // Nobody will finish the old file's last line now: it is a
                // line like any other, as at the end of the input.
                next.drained = true;
                if current.reader.has_partial() {
                    return Ok(Ready::Partial);
                }
            }
            if let Some(Next { file, id, .. }) = self.next.take() {
                current.reader.replace(file);
                current.id = id;
                return Ok(Ready::Restarted(Restart::Replaced));
            }
        }
    }

    /// At the end of the current file: has the path moved on to another
    /// file (which is then opened, to be read once this one is drained), or
    /// has the file shrunk (it is then read again from its start)?
    fn look(&mut self) -> io::Result<Change> {
        let Some(current) = self.current.as_mut() else {
            return Ok(Change::None);
        };
        // A path that is missing or unreadable just now keeps the old
        // file, which may still be written through an open descriptor.
        // The new file is opened now, so that the one switched to is the
        // one seen here even if the path changes again; an open that fails
        // (a rotation half done) is tried again at the next look.
        if let Ok(meta) = fs::metadata(&self.path)
            && FileId::of(&meta) != current.id
            && let Ok((file, id)) = open(&self.path)
            && id != current.id
        {
            self.next = Some(Next {
                file,
                id,
                drained: false,
            });
            return Ok(Change::Replaced);
        }
        let file = current.reader.get_mut();
        let read_to = file.stream_position()?;
        if file.metadata()?.len() >= read_to {
            return Ok(Change::None);
        }
        file.seek(SeekFrom::Start(0))?;
        // The same open file, with the reader's buffer (and its unfinished
        // line of the old content) dropped.
        let again = file.try_clone()?;
        current.reader.replace(again);
        Ok(Change::Truncated)
    }

    /// Waits one poll interval, or less if `stop` turns true.
    fn nap(&self, stop: &dyn Fn() -> bool) {
        let until = Instant::now() + self.poll;
        while !stop() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            thread::sleep(left.min(STOP_CHECK));
        }
    }
}

/// Opens the file at `path` and tells which file it is; a directory is
/// refused here (reading one would fail later, less clearly).
fn open(path: &Path) -> io::Result<(File, FileId)> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::ErrorKind::IsADirectory.into());
    }
    Ok((file, FileId::of(&meta)))
}

impl LineSource for Follower {
    /// Never ends by itself: only `stop` ends it.
    fn next_event(&mut self, stop: &dyn Fn() -> bool) -> io::Result<Option<Event<'_>>> {
        self.next_block(stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::block_reader::Block;
    use std::fs::OpenOptions;
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

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
                Some(Event::Block(Block::Lines(lines))) => {
                    let text = String::from_utf8(lines.to_vec()).unwrap();
                    items.extend(text.lines().map(line));
                }
                Some(Event::Block(Block::Overlong)) => panic!("no overlong lines here"),
            }
        }
        items
    }

    fn expect(f: &mut Follower, items: Vec<Item>) {
        assert_eq!(take(f, items.len(), EXPECT_WITHIN), items);
    }

    fn expect_nothing(f: &mut Follower) {
        assert_eq!(take(f, 1, QUIET_FOR), vec![]);
    }

    fn append(path: &Path, text: &str) {
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    fn setup(content: &str) -> (tempfile::TempDir, PathBuf, Follower) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        append(&path, content);
        let follower = Follower::new(&path, POLL).unwrap();
        (dir, path, follower)
    }

    #[test]
    fn reads_from_the_start_then_picks_up_appended_lines() {
        let (_dir, path, mut f) = setup("1 a b\n2 c d\n");
        expect(&mut f, vec![line("1 a b"), line("2 c d")]);
        expect_nothing(&mut f);
        append(&path, "3 e f\n");
        expect(&mut f, vec![line("3 e f")]);
        expect_nothing(&mut f);
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
        // The old file is done with; the new one is followed.
        append(&old, "7 x y\n");
        append(&path, " l\n");
        expect(&mut f, vec![line("6 k l")]);
        expect_nothing(&mut f);
    }

    #[test]
    fn truncation_reads_again_from_the_start() {
        let (_dir, path, mut f) = setup("1 a b\n2 c d\n3 e");
        expect(&mut f, vec![line("1 a b"), line("2 c d")]);
        // copytruncate: the same file, emptied, then written again (less
        // than was read, or the shrinking could not be seen).
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
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
    fn a_missing_path_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.log");
        let mut f = Follower::new(&path, POLL).unwrap();
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
    fn a_stop_ends_a_wait_long_before_the_poll_interval() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = Follower::new(&dir.path().join("never"), Duration::from_secs(60)).unwrap();
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

    #[test]
    fn an_unreadable_path_is_an_error_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let err = Follower::new(dir.path(), POLL).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::IsADirectory);
    }
}
