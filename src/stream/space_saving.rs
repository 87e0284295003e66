//! A bounded count of the most active hosts of a window: the Space-Saving
//! summary (Metwally, Agrawal and El Abbadi, "Efficient computation of
//! frequent and top-k elements in data streams", 2005), for
//! `connspy-stream --top-capacity N`.
//!
//! Exact counts need one entry per distinct host of a window, which a flood
//! of one-off sources makes as large as the window. The summary keeps at
//! most `N` counters instead. While a window has at most `N` distinct hosts
//! nothing is ever evicted and every count is exact. Past that, a host not
//! in the summary takes over the counter with the smallest count `m` and
//! continues from `m + 1`; so the counts always add up to the window's
//! total activity `T` (one per host per record), the smallest is at most
//! `T / N`, and:
//!
//! - every counted host's count is at least its true count and at most its
//!   true count plus the count it took over (at most `T / N`);
//! - every host with a true count above `T / N` is in the summary;
//! - the `K` highest counts include every host with a true count above
//!   `T / min(N, K + 1)`: such a host is counted (above `T / N`), and `K`
//!   other counts at least as high as its own would add up, with it, to
//!   more than `T`.
//!
//! Order and ties follow the `MOST` rule (docs/behaviour.md#most): the higher count first, and on
//! equal counts the host that entered the counts first, where a host that
//! takes over a counter enters anew. The counter taken over is the lowest
//! in that order (smallest count; on equal counts, the newest), so while
//! nothing is evicted the order is exactly that of exact counts.
//!
//! **Bound.** At most `N` counters, each at most 156 bytes of slot,
//! counter and index (64 bytes, doubled by growth, and 12 of hash table)
//! and an allocation of at most 16 bytes of header and twice its name or
//! 64 bytes: under `N * (236 + 2 * longest name)` bytes however many hosts
//! the window has.

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::parse::host_key::{fold_case, hash_bytes};

/// The Space-Saving summary of one window. See the module docs.
pub(crate) struct SpaceSaving {
    capacity: usize,
    /// The hosts counted, by slot; a slot's host changes when its counter
    /// is taken over.
    slots: Vec<Slot>,
    /// The counters, one per slot: in slot order until the summary is
    /// full, from then on a binary heap whose root is the lowest in output
    /// order, the counter to take over next. Until the summary is full no
    /// counter is ever taken over, so no heap is kept up (and a window with
    /// at most `capacity` hosts never pays for one). Counts and entries live
    /// here rather than in the slots so that the heap's comparisons stay
    /// within one array.
    counters: Vec<Counter>,
    /// Slot indices, found by name.
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Reused buffer for lower-casing a host that has upper case.
    scratch: Vec<u8>,
    /// The entry number of the next host to enter.
    entries: u64,
}

struct Slot {
    /// Lower case.
    name: Vec<u8>,
    hash: u64,
    /// Where the slot's counter is in `counters`.
    counter: u32,
}

#[derive(Clone, Copy)]
struct Counter {
    count: u64,
    /// When the host entered the counts (see the module docs).
    entry: u64,
    slot: u32,
}

impl Counter {
    /// Whether `self` comes before `other` in output order.
    #[inline]
    fn ranks_above(&self, other: &Counter) -> bool {
        self.count > other.count || (self.count == other.count && self.entry < other.entry)
    }
}

/// A name buffer is replaced rather than reused when it holds more than
/// twice the new name and more than this many bytes, so that one long host
/// cannot leave its allocation behind for good.
const NAME_SLACK_BYTES: usize = 64;

impl SpaceSaving {
    /// An empty summary of at most `capacity` counters (at least one, at
    /// most `u32::MAX`).
    pub(crate) fn new(capacity: usize) -> SpaceSaving {
        SpaceSaving {
            capacity: capacity.clamp(1, u32::MAX as usize),
            slots: Vec::new(),
            counters: Vec::new(),
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            scratch: Vec::new(),
            entries: 0,
        }
    }

    /// Counts one appearance of `host` (any case) of `weight` (1 a record,
    /// or its bytes or packets with `--by`): the summary's bounds hold for
    /// weighted counts alike, with `T` the total weight.
    #[inline]
    pub(crate) fn add(&mut self, host: &[u8], weight: u64) {
        let key = fold_case(host, &mut self.scratch);
        let hash = hash_bytes(&self.hasher, key);
        let full = self.slots.len() == self.capacity;
        let slots = &self.slots;
        if let Some(&i) = self.table.find(hash, |&i| slots[i as usize].name == key) {
            let pos = self.slots[i as usize].counter as usize;
            self.counters[pos].count += weight;
            if full {
                self.sift_down(pos);
            }
            return;
        }
        let entry = self.entries;
        self.entries += 1;
        let i = if !full {
            // `capacity` counters are far fewer than `u32::MAX`: each costs
            // memory the caller has bounded.
            let i = self.slots.len() as u32;
            self.slots.push(Slot {
                name: key.to_vec(),
                hash,
                counter: i,
            });
            self.counters.push(Counter {
                count: weight,
                entry,
                slot: i,
            });
            if self.slots.len() == self.capacity {
                for pos in (0..self.counters.len() / 2).rev() {
                    self.sift_down(pos);
                }
            }
            i
        } else {
            let root = &mut self.counters[0];
            root.count += weight;
            root.entry = entry;
            let i = root.slot;
            let slot = &mut self.slots[i as usize];
            if let Ok(found) = self.table.find_entry(slot.hash, |&j| j == i) {
                found.remove();
            }
            if slot.name.capacity() > (2 * key.len()).max(NAME_SLACK_BYTES) {
                slot.name = key.to_vec();
            } else {
                slot.name.clear();
                slot.name.extend_from_slice(key);
            }
            slot.hash = hash;
            self.sift_down(0);
            i
        };
        let slots = &self.slots;
        self.table
            .insert_unique(hash, i, |&j| slots[j as usize].hash);
    }

    /// The `k` most active hosts with their counts, in output order. Sorts
    /// a copy of the counters (24 bytes each, while the window prints).
    pub(crate) fn top(&self, k: usize) -> Vec<(&[u8], u64)> {
        let mut order = self.counters.clone();
        order.sort_unstable_by(|a, b| b.count.cmp(&a.count).then(a.entry.cmp(&b.entry)));
        order
            .into_iter()
            .take(k)
            .map(|c| (&self.slots[c.slot as usize].name[..], c.count))
            .collect()
    }

    /// Moves counter `pos` away from the root while a child ranks below it
    /// (after its count grew).
    #[inline]
    fn sift_down(&mut self, mut pos: usize) {
        let c = &mut self.counters;
        loop {
            let left = 2 * pos + 1;
            if left >= c.len() {
                break;
            }
            let right = left + 1;
            let child = if right < c.len() && c[left].ranks_above(&c[right]) {
                right
            } else {
                left
            };
            if !c[pos].ranks_above(&c[child]) {
                break;
            }
            c.swap(pos, child);
            self.slots[c[pos].slot as usize].counter = pos as u32;
            self.slots[c[child].slot as usize].counter = child as u32;
            pos = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::host_counts::HostCounts;
    use proptest::prelude::*;

    impl SpaceSaving {
        fn total(&self) -> u64 {
            self.counters.iter().map(|c| c.count).sum()
        }

        fn min_count(&self) -> u64 {
            self.counters.iter().map(|c| c.count).min().unwrap_or(0)
        }
    }

    fn summary(capacity: usize, hosts: &[String]) -> SpaceSaving {
        let mut s = SpaceSaving::new(capacity);
        for h in hosts {
            s.add(h.as_bytes(), 1);
        }
        s
    }

    fn exact(hosts: &[String]) -> HostCounts {
        let mut c = HostCounts::default();
        for h in hosts {
            c.add_host(h.as_bytes());
        }
        c
    }

    fn names(top: Vec<(&[u8], u64)>) -> Vec<(String, u64)> {
        top.into_iter()
            .map(|(n, c)| (String::from_utf8_lossy(n).into_owned(), c))
            .collect()
    }

    #[test]
    fn ties_go_to_the_host_that_entered_first_and_case_folds() {
        let hosts: Vec<String> = ["b", "A", "c", "a", "B", "C", "d"]
            .map(String::from)
            .to_vec();
        let s = summary(10, &hosts);
        assert_eq!(
            names(s.top(3)),
            [("b".into(), 2), ("a".into(), 2), ("c".into(), 2)]
        );
    }

    #[test]
    fn a_full_summary_hands_the_lowest_counter_to_the_newcomer() {
        // a:3 b:1 c:1 with room for 3; d takes over c (count 1, the newest
        // of the lowest), so d counts 2 with at most 1 too many.
        let hosts: Vec<String> = ["a", "b", "c", "a", "a", "d"].map(String::from).to_vec();
        let s = summary(3, &hosts);
        assert_eq!(
            names(s.top(5)),
            [("a".into(), 3), ("d".into(), 2), ("b".into(), 1)]
        );
        assert_eq!(s.total(), 6);
    }

    #[test]
    fn memory_stays_within_the_bound_however_many_hosts_come() {
        let capacity = 5000;
        let mut s = SpaceSaving::new(capacity);
        let mut longest = 0;
        for i in 0..60_000u64 {
            let name = format!("h{i}{}", "x".repeat((i % 50) as usize));
            longest = longest.max(name.len());
            s.add(name.as_bytes(), 1);
            s.add(b"popular", 1);
        }
        let used = s.slots.capacity() * size_of::<Slot>()
            + s.counters.capacity() * size_of::<Counter>()
            + s.table.capacity() * (size_of::<u32>() + 1)
            + s.slots
                .iter()
                .map(|x| x.name.capacity() + 16)
                .sum::<usize>();
        assert!(
            used <= capacity * (236 + 2 * longest),
            "{used} bytes for {capacity} counters"
        );
        assert_eq!(s.top(1)[0], (&b"popular"[..], 60_000));
    }

    #[test]
    fn a_long_name_does_not_keep_its_buffer_after_eviction() {
        let mut s = SpaceSaving::new(1);
        s.add(&[b'x'; 10_000], 1);
        s.add(b"y", 1);
        assert!(s.slots[0].name.capacity() <= NAME_SLACK_BYTES);
    }

    /// Streams over a few popular hosts and many rare ones, so that small
    /// capacities evict a lot.
    fn stream() -> impl Strategy<Value = Vec<String>> {
        let host = prop_oneof![
            3 => (0u8..4).prop_map(|i| format!("pop{i}")),
            2 => (0u16..300).prop_map(|i| format!("Rare{i}")),
        ];
        prop::collection::vec(host, 0..600)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// At or under capacity, the top list is exactly that of exact
        /// counts (names, counts and tie order), for every `k`.
        #[test]
        fn exact_while_distinct_hosts_fit(hosts in stream(), k in 1usize..8) {
            let exact = exact(&hosts);
            let distinct = exact.iter().count();
            let s = summary(distinct.max(1), &hosts);
            let want: Vec<(String, u64)> = exact
                .top(k)
                .into_iter()
                .map(|id| (String::from_utf8_lossy(exact.name(id)).into_owned(), exact.count(id)))
                .collect();
            prop_assert_eq!(names(s.top(k)), want);
        }

        /// The Space-Saving guarantees, checked against exact counts.
        #[test]
        fn guarantees_hold_past_capacity(
            hosts in stream(),
            capacity in 1usize..40,
            k in 1usize..6,
        ) {
            let exact = exact(&hosts);
            let truth = |name: &[u8]| {
                exact.iter().find(|&id| exact.name(id) == name).map_or(0, |id| exact.count(id))
            };
            let s = summary(capacity, &hosts);
            let total = hosts.len() as u64;
            prop_assert_eq!(s.total(), total);
            if s.slots.len() == capacity {
                prop_assert!(s.min_count() * capacity as u64 <= total);
            }
            // Counts never under-count and over-count by at most the
            // smallest counter.
            for (name, count) in s.top(usize::MAX) {
                let t = truth(name);
                prop_assert!(t <= count && count <= t + s.min_count(), "{t} vs {count}");
            }
            // Every host above T / N is counted; every host above
            // T / min(N, K + 1) is in the top K.
            let top = s.top(k);
            let all = s.top(usize::MAX);
            let share = capacity.min(k + 1) as u64;
            for id in exact.iter() {
                let (name, c) = (exact.name(id), exact.count(id));
                if c * capacity as u64 > total {
                    prop_assert!(all.iter().any(|(n, _)| *n == name));
                }
                if c * share > total {
                    prop_assert!(top.iter().any(|(n, _)| *n == name), "{c} of {total}");
                }
            }
        }
    }
}
