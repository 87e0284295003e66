//! The lists themselves: ids marked on an exact host table, or names
//! deduplicated by a filter or a set.

use std::io;

use super::spool::Spool;
use super::{Dedup, GrowingBloom, SPILL_BYTES};
use crate::parse::host_key::fold_case;
use crate::parse::host_set::HostSet;
use crate::stream::host_counts::{HostCounts, HostId, ListMark};

/// One `TO` or `FROM` list of a window with an exact host table: the
/// table's marks deduplicate, the list keeps the order.
pub(crate) struct HostList {
    mark: ListMark,
    spool: Spool,
}

/// What a list's `insert` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// The host was already on the list (or, rarely, a Bloom false positive).
    Seen,
    /// Not in the list before: it has just been added.
    New,
    /// New, and the list just passed its Bloom filter's capacity: from now
    /// on false positives grow past the configured rate.
    NewPastCapacity,
}

/// Makes the lists of every window, deduplicating as configured.
pub(crate) struct ListMaker {
    dedup: Dedup,
}

impl ListMaker {
    /// Lists deduplicated as `dedup` says.
    pub(crate) fn new(dedup: Dedup) -> ListMaker {
        ListMaker { dedup }
    }

    /// An empty list for a window with an exact host table.
    pub(crate) fn list(&mut self, mark: ListMark) -> HostList {
        HostList {
            mark,
            spool: Spool::default(),
        }
    }

    /// An empty list that keeps its hosts' names itself, for a window
    /// whose counts do not hold every host (see [`NamedList`]).
    pub(crate) fn named_list(&mut self) -> NamedList {
        NamedList {
            filter: match self.dedup {
                Dedup::Bloom(size) => Some(GrowingBloom::new(size)),
                Dedup::Exact => None,
            },
            spool: Spool::default(),
            known: HostSet::new(),
            scratch: Vec::new(),
        }
    }

    /// Calls `f` on every host of `list` in first-seen order, consuming
    /// the list (its temporary file, if any, is deleted).
    pub(crate) fn drain(
        &mut self,
        list: HostList,
        f: impl FnMut(HostId) -> io::Result<()>,
    ) -> io::Result<()> {
        list.spool.for_each_id(f)
    }

    /// [`drain`](Self::drain) for a [`NamedList`]: `f` gets each name.
    pub(crate) fn drain_named(
        &mut self,
        list: NamedList,
        f: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        if list.filter.is_none() {
            list.known.iter().try_for_each(f)
        } else {
            list.spool.for_each_name(f)
        }
    }
}

impl HostList {
    /// Whether `more` hosts can be added without the spool moving to its
    /// temporary file (which may fail: the caller then adds them one by
    /// one, so that the failure comes at the record it belongs to).
    pub(crate) fn takes_without_spilling(&self, more: u64) -> bool {
        self.spool.pending.len() as u64 + 4 * more <= SPILL_BYTES as u64
    }

    /// Hosts on the list.
    pub(crate) fn len(&self) -> u64 {
        self.spool.len
    }

    /// Adds `id` (a host of `counts`) unless it is already on the list:
    /// the host's mark in `counts` says whether this list has met it in
    /// this window.
    #[inline]
    pub(crate) fn insert(&mut self, id: HostId, counts: &mut HostCounts) -> io::Result<Inserted> {
        if !counts.mark(id, self.mark) {
            return Ok(Inserted::Seen);
        }
        self.spool.push_id(id)?;
        Ok(Inserted::New)
    }
}

/// A `TO` or `FROM` list of a window counted by a bounded summary
/// (`--top-capacity`), whose counts hold neither every host nor marks.
/// The list keeps the names itself: with a Bloom filter, in its spool
/// (so its memory stays bounded); with `--exact`, in a [`HostSet`] (which
/// costs memory per listed host, as `--exact` always does).
///
/// With a filter, the hosts asked about are also kept in a small exact
/// set, up to [`KNOWN_BYTES`]: a host met again is answered from it
/// instead of the filter (which would answer "present" too, so the output
/// is the same as asking the filter on every record).
pub(crate) struct NamedList {
    filter: Option<GrowingBloom>,
    /// The names in order, with a Bloom filter.
    spool: Spool,
    /// With exact membership, the names in order; with a Bloom filter,
    /// the hosts asked about while they fit in [`KNOWN_BYTES`].
    pub(super) known: HostSet,
    scratch: Vec<u8>,
}

/// Memory a [`NamedList`] with a Bloom filter spends on its set of hosts
/// already asked about: it stops growing once it holds this much (at most
/// twice this after its last growth).
pub(super) const KNOWN_BYTES: usize = 1 << 20;

impl NamedList {
    /// Adds `host` (any case) unless it is already on the list.
    pub(crate) fn insert(&mut self, host: &[u8]) -> io::Result<Inserted> {
        let Some(filter) = &mut self.filter else {
            let new = self.known.insert(host).1;
            return Ok(if new { Inserted::New } else { Inserted::Seen });
        };
        let known = if self.known.heap_bytes() < KNOWN_BYTES {
            !self.known.insert(host).1
        } else {
            self.known.contains(host)
        };
        if known {
            return Ok(Inserted::Seen);
        }
        let key = fold_case(host, &mut self.scratch);
        if filter.check_and_set(key) {
            return Ok(Inserted::Seen);
        }
        self.spool.push_name(key)?;
        Ok(if self.spool.len == filter.size.capacity as u64 + 1 {
            Inserted::NewPastCapacity
        } else {
            Inserted::New
        })
    }
}
