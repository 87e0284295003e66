//! What the followed path names now: the same file, another regular file
//! to follow (rotation), nothing yet, or something that cannot be
//! followed, said in a notice at most once a minute while it lasts.

use std::fs;
use std::time::Instant;

use super::file::{FileId, Followed, OpenError, open_regular};
use super::{COMPLAIN_EVERY, Follower};

impl Follower {
    /// At the end of the current file (or with none yet): does the path
    /// name another regular file, to be followed now? Problems with the
    /// path become notices; a missing path is quietly waited for, and in
    /// every case the file being read is kept (a writer may still be
    /// writing it through an open descriptor).
    pub(super) fn look_at_path(&mut self) -> Option<Followed> {
        let known = |id: FileId| {
            self.current.as_ref().is_some_and(|c| c.id == id)
                || self.rotated.iter().any(|r| r.followed.id == id)
        };
        // A cheap first look: the usual answer is "the same file".
        if let Ok(meta) = fs::metadata(&self.path)
            && known(FileId::of(&meta))
        {
            self.complaint = None;
            return None;
        }
        match open_regular(&self.path) {
            Ok((file, id)) if !known(id) => {
                self.complaint = None;
                Some(Followed::new(file, id))
            }
            Ok(_) | Err(OpenError::Missing) => None,
            Err(OpenError::NotRegular(what)) => {
                self.complain(format!(
                    "is {what}, not a regular file: waiting for a regular file \
                     (--tail follows regular files only)"
                ));
                None
            }
            Err(OpenError::Failed(e)) => {
                self.complain(format!("cannot open it: {e}; waiting until it can be"));
                None
            }
        }
    }

    /// Says `text` unless it was the last thing said, less than a minute
    /// ago.
    fn complain(&mut self, text: String) {
        if let Some((said, at)) = &self.complaint
            && *said == text
            && at.elapsed() < COMPLAIN_EVERY
        {
            return;
        }
        self.notices.push_back(text.clone());
        self.complaint = Some((text, Instant::now()));
    }
}
