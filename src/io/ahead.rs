//! Opening the files of a list a few ahead of the one being read, so that
//! a compressed file's decompression (which starts when it is opened, see
//! [`crate::io::input::open_ahead`]) overlaps the reading of the files
//! before it, while the files open at once stay few.

use std::collections::VecDeque;

use crate::error::Result;
use crate::io::input::Opened;

/// The items of a list, each with its file opened: the next `depth` are
/// opened before the current one is handed out. An item whose opening
/// failed is handed out with its error in its turn, after the items
/// before it.
///
/// Memory: at most `depth + 1` opened files at once (those handed out and
/// still held by the caller aside).
pub(crate) struct OpenAhead<'a, T, F> {
    items: std::slice::Iter<'a, T>,
    open: F,
    pending: VecDeque<(&'a T, Result<Opened>)>,
    depth: usize,
}

impl<'a, T, F: FnMut(&T) -> Result<Opened>> OpenAhead<'a, T, F> {
    /// Opens `items` with `open`, `depth` of them ahead of the one handed
    /// out.
    pub(crate) fn new(items: &'a [T], depth: usize, open: F) -> OpenAhead<'a, T, F> {
        OpenAhead {
            items: items.iter(),
            open,
            pending: VecDeque::with_capacity(depth + 1),
            depth,
        }
    }
}

impl<'a, T, F: FnMut(&T) -> Result<Opened>> Iterator for OpenAhead<'a, T, F> {
    type Item = (&'a T, Result<Opened>);

    fn next(&mut self) -> Option<Self::Item> {
        while self.pending.len() <= self.depth
            && let Some(item) = self.items.next()
        {
            let opened = (self.open)(item);
            self.pending.push_back((item, opened));
        }
        self.pending.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::io::whole::Whole;

    #[test]
    fn files_are_opened_depth_ahead_and_handed_out_in_order() {
        let items = [1, 2, 3, 4];
        let mut opened = Vec::new();
        let mut ahead = OpenAhead::new(&items, 1, |&i: &i32| {
            opened.push(i);
            if i == 3 {
                Err(Error::Input("three".into()))
            } else {
                Ok(Opened::Whole(Whole::from_bytes(vec![i as u8])))
            }
        });
        let (first, file) = ahead.next().unwrap();
        assert!(matches!((first, file), (1, Ok(Opened::Whole(_)))));
        let (second, _) = ahead.next().unwrap();
        assert_eq!(*second, 2);
        let (third, file) = ahead.next().unwrap();
        assert!(matches!((third, file), (3, Err(Error::Input(_)))));
        drop(ahead);
        // Handing out 3 had opened 4, one ahead, and no more.
        assert_eq!(opened, [1, 2, 3, 4]);
        let mut none = OpenAhead::new(&items[..0], 1, |_: &i32| unreachable!());
        assert!(none.next().is_none());
    }
}
