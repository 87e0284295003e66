//! Which files of a stream a time range needs, from their first records
//! alone (`docs/behaviour.md#archive-pruning`, where the rule is proved).
//!
//! Files `0..n` are one stream in order; `first[i]` is the time of file
//! `i`'s first record. Under the lateness bound `L`, every record of file
//! `i` lies in `[first[i] - L, first[i + 1] + L]`, so a reader that needs
//! the records with `from <= TS < until` and stops at the first record
//! with `TS >= until + L`:
//! - may start at the last file `k` with `first[k] < from - L`: that
//!   record proves every record before it older than `from`;
//! - may stop before the first file `j` with `first[j] >= until + L`:
//!   its first record is where the reader would stop.

use std::ops::Range;

use crate::parse::timestamp::{Duration, Timestamp};

/// The files a range needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The indices of the files to read, in stream order.
    pub files: Range<usize>,
    /// Whether a file after them starts with a record at or past
    /// `until + L`: the reading ends proved complete, not at the end of
    /// the stream.
    pub end_proven: bool,
}

/// The files of the stream whose first records are `first` (in stream
/// order) that hold every record with `from <= TS < until` a reader
/// stopping at `until + lateness` reads (see the module doc).
pub fn select(
    first: &[Timestamp],
    lateness: Duration,
    from: Timestamp,
    until: Timestamp,
) -> Selection {
    // `from - L` saturates at 0, and no record is older than 0: no proof.
    let proves_start = from.saturating_sub(lateness);
    let start = first.iter().rposition(|&t| t < proves_start).unwrap_or(0);
    let stop_at = until.saturating_add(lateness);
    let end = first
        .iter()
        .enumerate()
        .skip(start)
        .find(|&(_, &t)| t >= stop_at)
        .map(|(j, _)| j);
    Selection {
        files: start..end.unwrap_or(first.len()).max(start),
        end_proven: end.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::order::stream_order;
    use proptest::prelude::*;
    use std::path::PathBuf;

    fn secs(s: u64) -> Timestamp {
        Timestamp::from_secs(s)
    }

    #[test]
    fn hourly_files_and_a_one_hour_range_need_three_files() {
        // Files start on the hour; L = 300 s.
        let first: Vec<Timestamp> = (0..24).map(|h| secs(h * 3600)).collect();
        let l = Duration::from_secs(300);
        let s = select(&first, l, secs(10 * 3600), secs(11 * 3600));
        assert_eq!(
            s,
            Selection {
                files: 9..12,
                end_proven: true
            }
        );
        // The last hour: nothing after it proves the end.
        let s = select(&first, l, secs(23 * 3600), secs(24 * 3600));
        assert_eq!(
            s,
            Selection {
                files: 22..24,
                end_proven: false
            }
        );
        // Before the first record: the first file only starts the stream.
        let s = select(&first, l, secs(0), secs(60));
        assert_eq!(
            s,
            Selection {
                files: 0..1,
                end_proven: true
            }
        );
        // An empty stream needs nothing.
        assert_eq!(select(&[], l, secs(0), secs(1)).files, 0..0);
        // A range after every record: the last file may still hold some.
        let s = select(&first, l, secs(30 * 3600), secs(31 * 3600));
        assert_eq!(
            s,
            Selection {
                files: 23..24,
                end_proven: false
            }
        );
    }

    /// A stream keeping the bound, cut into files: each record's time is
    /// its base time (never falling) less a lateness in `[0, L]`, except
    /// that the first record of a file is never older than the first
    /// record of the file before; so the files' first records rise in
    /// stream order, and the order of their first records (ties by the
    /// names, given logrotate style oldest first) is the stream order. A
    /// file may end with records newer than the next file's first.
    fn archive() -> impl Strategy<Value = (u64, Vec<Vec<u64>>)> {
        (1u64..50).prop_flat_map(|late| {
            let record = (0u64..40, 0..=late, 0u32..4);
            let records = prop::collection::vec(record, 0..120);
            (Just(late), records).prop_map(|(late, records)| {
                let (mut base, mut last_first) = (0, 0);
                let mut files: Vec<Vec<u64>> = vec![Vec::new()];
                for (step, lateness, cut) in records {
                    base += step;
                    if cut == 0 {
                        files.push(Vec::new());
                    }
                    let file = files.last_mut().expect("one file at least");
                    let mut ts = base.saturating_sub(lateness);
                    if file.is_empty() {
                        ts = ts.max(last_first);
                        last_first = ts;
                    }
                    file.push(ts);
                }
                (late, files)
            })
        })
    }

    proptest! {
        /// Pruned = unpruned: the records in range read from the selected
        /// files, in order, are those read from every file, in order, for
        /// archives that keep the bound, whatever the range; files with no
        /// record take no part, as in a directory.
        #[test]
        fn pruned_equals_unpruned(
            (late, files) in archive(),
            from in 0u64..2000,
            width in 0u64..400,
            shuffle in any::<u64>(),
        ) {
            let l = Duration::from_secs(late);
            // Named as logrotate would: the oldest has the largest number.
            let n = files.len();
            let mut named: Vec<(PathBuf, Vec<u64>)> = files
                .into_iter()
                .enumerate()
                .filter(|(_, records)| !records.is_empty())
                .map(|(i, records)| (PathBuf::from(format!("conn.log.{}", n - 1 - i)), records))
                .collect();
            let in_order: Vec<Vec<u64>> = named.iter().map(|(_, r)| r.clone()).collect();
            // Listed in any order, then ordered as an archive is.
            let turn = (shuffle as usize) % named.len().max(1);
            named.rotate_left(turn);
            named.sort_by(|a, b| stream_order((&a.0, secs(a.1[0])), (&b.0, secs(b.1[0]))));
            let ordered: Vec<Vec<u64>> = named.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(&ordered, &in_order);
            let first: Vec<Timestamp> = ordered.iter().map(|r| secs(r[0])).collect();
            let (from, until) = (secs(from), secs(from + width));
            let in_range = |files: &[Vec<u64>]| -> Vec<u64> {
                files.iter().flatten().copied().filter(|&t| secs(t) >= from && secs(t) < until).collect()
            };
            let selection = select(&first, l, from, until);
            prop_assert_eq!(in_range(&ordered[selection.files.clone()]), in_range(&ordered));
            if selection.end_proven {
                // The file after the selection starts at or past the stop.
                prop_assert!(first[selection.files.end] >= until.saturating_add(l));
            }
        }
    }
}
