//! Activity counts of one hour: every distinct host once, in first-seen
//! order, with its count.
//!
//! `connspy-stream` counts both hosts of every record, so this table is on
//! the hot path of every line and is the one structure whose size grows
//! with the data (one entry per distinct host of an open hour). The hosts
//! and their counts live in one [`HostTable`]: a lookup finds the host's
//! entry, with its name (a short one inline) and its count side by side,
//! and counts there. Insertion order is what the `MOST` tie rule needs, so
//! no sequence number is kept.
//!
//! **Bound.** Per distinct host, an entry of 24 bytes (a short name,
//! its length and the value holding count, matches and marks), at most
//! 1.5 times that while its array has room to grow (36), and at most
//! 21.4 bytes of index just after it grows (see
//! [`HostIndex`](crate::parse::host_index::HostIndex)): under 58 bytes,
//! within the 64 the design allows, besides a name longer than 16 bytes
//! (kept once more, at most twice its length, arena growth). Reserved but
//! unwritten growth is not resident, so the resident cost is lower still.
//! A table with few hosts has a fixed floor instead (its first
//! allocations), under `SMALL_TABLE_BYTES` (which its test checks).
//!
//! Each count also carries two marks, "the TO / FROM list has met this
//! host this hour", which make set membership free: the table that counts a
//! host already is an exact set of the hour's hosts (see [`crate::stream::dedup`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::parse::host_set::HostTable;

/// A host of one hour's table, by position in first-seen order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HostId(u32);

impl HostId {
    /// The position as stored in a spool of ids (see [`crate::stream::dedup`]).
    pub(crate) fn to_raw(self) -> u32 {
        self.0
    }

    pub(crate) fn from_raw(raw: u32) -> HostId {
        HostId(raw)
    }

    fn index(self) -> usize {
        self.0 as usize
    }
}

/// Which list of an hour has met a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListMark {
    To,
    From,
}

impl ListMark {
    const fn bit(self) -> u64 {
        match self {
            ListMark::To => 1 << 55,
            ListMark::From => 1 << 54,
        }
    }
}

/// Which of the two targets (`--to`, `--from`) a host is, worked out once
/// per table, when the host is first counted, and kept beside its count:
/// a record then tests two bits instead of comparing its hosts with the
/// targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Matches(u64);

const IS_TO: u64 = 1 << 52;
const IS_FROM: u64 = 1 << 53;

impl Matches {
    /// A host that is the `--to` target when `to`, the `--from` one when
    /// `from`.
    pub(crate) fn new(to: bool, from: bool) -> Matches {
        Matches(if to { IS_TO } else { 0 } | if from { IS_FROM } else { 0 })
    }

    /// Whether the host is the `--to` target.
    #[inline(always)]
    pub(crate) fn to(self) -> bool {
        self.0 & IS_TO != 0
    }

    /// Whether the host is the `--from` target.
    #[inline(always)]
    pub(crate) fn from(self) -> bool {
        self.0 & IS_FROM != 0
    }
}

/// Bits of a host's value that hold its count; above them its
/// [`Matches`] and its marks. 2^52 records would take 52 days at a billion
/// records a second, and a window is at most a day.
const COUNT_MASK: u64 = (1 << 52) - 1;

/// Allocation floor of a table with few hosts, on top of 58 bytes per host.
#[cfg(test)]
pub(crate) const SMALL_TABLE_BYTES: usize = 1024;

/// The activity counts of one hour. See the module docs for its bounds.
#[derive(Default)]
pub(crate) struct HostCounts {
    /// Each host with its count, matches and marks.
    hosts: HostTable,
}

impl HostCounts {
    /// An empty table with room for `hosts` hosts, so that a window like
    /// the one before it does not grow its table step by step.
    pub(crate) fn with_capacity(hosts: usize) -> HostCounts {
        HostCounts {
            hosts: HostTable::with_capacity(hosts),
        }
    }

    /// Number of distinct hosts counted.
    pub(crate) fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Counts one appearance of `host` (any case); returns its id and what
    /// it matches (`matches` says, for the host's name in lower case, the
    /// first time the table counts it).
    #[inline(always)]
    pub(crate) fn add(
        &mut self,
        host: &[u8],
        matches: impl FnOnce(&[u8]) -> Matches,
    ) -> (HostId, Matches) {
        let (i, _, value) = self
            .hosts
            .upsert(host, |name| 1 | matches(name).0, |value| value + 1);
        // `HostTable` numbers its hosts with `u32`s.
        (HostId(i as u32), Matches(value & (IS_TO | IS_FROM)))
    }

    /// [`add`](Self::add) of a host that matches no target.
    #[cfg(test)]
    pub(crate) fn add_host(&mut self, host: &[u8]) -> HostId {
        self.add(host, |_| Matches::default()).0
    }

    /// Adds the counts of `later`, a table of the records that came right
    /// after this one's: its hosts new here are appended in its first-seen
    /// order, and their counts add up (`later`'s marks are not taken: the
    /// lists set their own). Returns, for each host of `later` by id, its
    /// id here. One lookup per host of `later`.
    pub(crate) fn absorb(&mut self, later: &HostCounts) -> Vec<HostId> {
        let mut ids = Vec::with_capacity(later.len());
        for (i, theirs) in later.hosts.values().enumerate() {
            let count = theirs & COUNT_MASK;
            let new = || theirs & (COUNT_MASK | IS_TO | IS_FROM);
            let (j, _, _) = self
                .hosts
                .upsert_from(&later.hosts, i, new, |mine| mine + count);
            ids.push(HostId(j as u32));
        }
        ids
    }

    /// The host's name, lower-cased.
    pub(crate) fn name(&self, id: HostId) -> &[u8] {
        self.hosts.get(id.index())
    }

    /// Puts the mark on `id`; true when it was not there before.
    pub(crate) fn mark(&mut self, id: HostId, mark: ListMark) -> bool {
        let value = self.hosts.value(id.index());
        self.hosts.set_value(id.index(), value | mark.bit());
        value & mark.bit() == 0
    }

    /// The host's activity count.
    pub(crate) fn count(&self, id: HostId) -> u64 {
        self.hosts.value(id.index()) & COUNT_MASK
    }

    /// Every host, in first-seen order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = HostId> + use<> {
        (0..self.hosts.len() as u32).map(HostId)
    }

    /// The `k` hosts with the highest counts, highest first; on a tie the
    /// one counted first comes first (the `MOST` rule of docs/behaviour.md#most; `top(1)` is the
    /// `MOST` host). Empty only for an empty table or `k == 0`.
    pub(crate) fn top(&self, k: usize) -> Vec<HostId> {
        top_of(self.hosts.values().map(|word| word & COUNT_MASK), k)
    }
}

/// The `k` highest of `values` (host `i`'s value the `i`th), as hosts,
/// highest first; on a tie the host counted first comes first (the `MOST`
/// rule). Shared by the record counts and the other measures
/// (`stream/measure/`).
///
/// One pass with a heap of the best `k` so far: O(hosts × log k) time,
/// O(min(k, hosts)) memory.
pub(crate) fn top_of(values: impl Iterator<Item = u64>, k: usize) -> Vec<HostId> {
    // Ordered so that the heap's greatest is the worst kept: lowest
    // value, then the latest counted.
    let mut best: BinaryHeap<(Reverse<u64>, u32)> =
        BinaryHeap::with_capacity(k.min(values.size_hint().0));
    for (i, value) in values.enumerate() {
        let entry = (Reverse(value), i as u32);
        if best.len() < k {
            best.push(entry);
        } else if let Some(mut worst) = best.peek_mut()
            && entry < *worst
        {
            *worst = entry;
        }
    }
    best.into_sorted_vec()
        .into_iter()
        .map(|(_, i)| HostId(i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    impl HostCounts {
        fn most_active(&self) -> Option<HostId> {
            self.top(1).first().copied()
        }
    }

    #[test]
    fn counts_are_case_insensitive_and_names_lowercase() {
        let mut c = HostCounts::default();
        let a = c.add_host(b"Zyla");
        let b = c.add_host(b"kexin");
        assert_eq!(c.add_host(b"ZYLA"), a);
        assert_eq!(c.add_host(b"zyla"), a);
        assert_eq!(c.count(a), 3);
        assert_eq!(c.count(b), 1);
        assert_eq!(c.name(a), b"zyla");
        assert_eq!(c.name(b), b"kexin");
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn absorbing_a_later_table_equals_counting_on() {
        let (first, later) = (["b", "A", "b"], ["c", "a", "C", "d", "b"]);
        let mut one = HostCounts::default();
        for h in first.iter().chain(&later) {
            one.add_host(h.as_bytes());
        }
        let (mut two, mut rest) = (HostCounts::default(), HostCounts::default());
        for h in first {
            two.add_host(h.as_bytes());
        }
        for h in later {
            rest.add_host(h.as_bytes());
        }
        rest.mark(HostId(0), ListMark::To);
        let ids = two.absorb(&rest);
        let table = |c: &HostCounts| -> Vec<(Vec<u8>, u64)> {
            c.iter()
                .map(|id| (c.name(id).to_vec(), c.count(id)))
                .collect()
        };
        assert_eq!(table(&two), table(&one));
        // Ids map `rest`'s hosts (c, a, d, b) to the merged table's.
        assert_eq!(ids, [HostId(2), HostId(1), HostId(3), HostId(0)]);
        // Marks are not carried over.
        assert!(two.mark(HostId(2), ListMark::To));
    }

    #[test]
    fn matches_are_worked_out_once_per_table_and_carried_by_absorb() {
        let asked = std::cell::Cell::new(0);
        let is_x = |name: &[u8]| {
            asked.set(asked.get() + 1);
            Matches::new(name == b"x", name == b"y")
        };
        let mut c = HostCounts::default();
        let (x, on_x) = c.add(b"X", is_x);
        assert!(on_x.to() && !on_x.from());
        assert_eq!(c.add(b"x", is_x), (x, on_x));
        assert_eq!(c.add(b"y", is_x).1, Matches::new(false, true));
        assert_eq!(asked.get(), 2);
        let mut window = HostCounts::default();
        window.add_host(b"z");
        let ids = window.absorb(&c);
        assert_eq!(window.add(b"x", is_x), (ids[0], on_x));
        assert_eq!(window.add(b"z", is_x).1, Matches::default());
        assert_eq!(asked.get(), 2);
        assert_eq!(window.count(ids[0]), 3);
    }

    #[test]
    fn most_active_breaks_ties_by_first_seen() {
        let mut c = HostCounts::default();
        assert_eq!(c.most_active(), None);
        for h in ["b", "a", "c", "a", "b", "c"] {
            c.add_host(h.as_bytes());
        }
        assert_eq!(c.name(c.most_active().unwrap()), b"b");
        c.add_host(b"C");
        assert_eq!(c.name(c.most_active().unwrap()), b"c");
    }

    #[test]
    fn top_orders_by_count_then_first_seen() {
        let mut c = HostCounts::default();
        for h in ["d", "b", "a", "c", "a", "b", "c", "e", "e", "e"] {
            c.add_host(h.as_bytes());
        }
        let names = |ids: Vec<HostId>| -> Vec<String> {
            ids.into_iter()
                .map(|id| String::from_utf8_lossy(c.name(id)).into_owned())
                .collect()
        };
        assert_eq!(names(c.top(3)), ["e", "b", "a"]);
        assert_eq!(names(c.top(100)), ["e", "b", "a", "c", "d"]);
        assert!(c.top(0).is_empty());
    }

    proptest::proptest! {
        /// `top(k)` is the first `k` of a full sort by (count desc, first
        /// seen asc).
        #[test]
        fn top_is_a_prefix_of_the_full_order(
            hosts in proptest::collection::vec(0u8..12, 0..80),
            k in 0usize..15,
        ) {
            let mut c = HostCounts::default();
            for h in &hosts {
                c.add_host(&[b'a' + h]);
            }
            let mut all: Vec<HostId> = c.iter().collect();
            all.sort_by_key(|&id| (Reverse(c.count(id)), id.0));
            all.truncate(k);
            proptest::prop_assert_eq!(c.top(k), all);
        }
    }

    #[test]
    fn marks_are_per_list_and_leave_counts_alone() {
        let mut c = HostCounts::default();
        let a = c.add_host(b"a");
        let b = c.add_host(b"bb");
        assert!(c.mark(a, ListMark::To));
        assert!(!c.mark(a, ListMark::To));
        assert!(c.mark(a, ListMark::From));
        assert!(c.mark(b, ListMark::From));
        assert_eq!(c.add_host(b"bb"), b);
        assert_eq!((c.count(a), c.count(b)), (1, 2));
        // A marked host with a lower count does not win MOST.
        assert_eq!(c.most_active(), Some(b));
    }

    #[test]
    fn a_distinct_host_costs_under_58_bytes_and_a_long_name_twice_its_length() {
        for long in [false, true] {
            let mut c = HostCounts::default();
            let mut long_names = 0;
            for i in 0..300_000u32 {
                let name = if long {
                    format!("host-{i:08}.example.org")
                } else {
                    format!("h{i}")
                };
                if name.len() > 16 {
                    long_names += name.len();
                }
                c.add_host(name.as_bytes());
                let n = c.len();
                // Every growth step of the index lands next to a power of
                // two; check those and a spread of sizes in between.
                if n.is_power_of_two() || (n - 1).is_power_of_two() || n.is_multiple_of(977) {
                    let used = c.hosts.heap_bytes();
                    assert!(
                        used <= 58 * n + 2 * long_names + SMALL_TABLE_BYTES,
                        "{used} bytes for {n} hosts, {long_names} bytes of long names"
                    );
                }
            }
        }
    }
}
