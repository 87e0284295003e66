//! The hash index of a host table: which entry holds the host of a hash.
//!
//! Open addressing with linear probing over one array of 8-byte slots,
//! each holding the 32-bit hash of its host and the position of its
//! entry. A lookup reads slots from the one its hash picks until it meets
//! its own hash (then, and only then, it compares the entry: a different
//! host has the same 32 bits once in four billion) or an empty slot. The
//! slots that follow one another share cache lines, so a lookup costs one
//! miss in the index and one in the entry it finds, and growing reads
//! the slots alone, never an entry. Entries are never removed, so the
//! first empty slot met is where a new host goes, and there are no
//! tombstones.
//!
//! It exists because the host tables are on every record's path: the
//! general-purpose table this replaces called the comparison through a
//! function pointer and kept its hashes apart from its slots, so a lookup
//! cost more than the rest of a record's counting together.
//!
//! **Bound.** 8 bytes per slot; the slots are a power of two and at most
//! 3/4 full, so at most 8/3 slots per entry just after growing: under
//! 21.4 bytes per entry, plus 64 bytes for an empty index.

/// Slots of an empty index.
const MIN_SLOTS: usize = 8;

/// Positions of entries, found by hash. See the module docs.
pub(crate) struct HostIndex {
    /// `hash << 32 | (position + 1)`, or 0 for an empty slot.
    slots: Vec<u64>,
    /// Slots that may still be filled before the index grows.
    room: usize,
}

/// Where a lookup ended: the entry found, or the slot a new one goes in.
pub(crate) enum Probe {
    Found(u32),
    Vacant(usize),
}

impl HostIndex {
    /// An empty index with room for `entries` entries before it grows.
    pub(crate) fn with_capacity(entries: usize) -> HostIndex {
        let slots = slots_for(entries);
        HostIndex {
            slots: vec![0; slots],
            room: slots / 4 * 3,
        }
    }

    /// Looks for an entry of `hash` for which `same` holds (asked only of
    /// entries whose hash is `hash`).
    #[inline(always)]
    pub(crate) fn find(&self, hash: u32, mut same: impl FnMut(u32) -> bool) -> Probe {
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return Probe::Vacant(at);
            }
            if (slot >> 32) as u32 == hash {
                let entry = (slot as u32).wrapping_sub(1);
                if same(entry) {
                    return Probe::Found(entry);
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// Puts `entry`, of `hash`, in `slot`, the vacant slot [`find`]
    /// returned for that hash (growing first when full).
    ///
    /// # Panics
    /// When `entry` is `u32::MAX`: no table holds four billion hosts.
    ///
    /// [`find`]: Self::find
    #[inline]
    pub(crate) fn insert(&mut self, slot: usize, hash: u32, entry: u32) {
        let slot = if self.room == 0 {
            self.grow();
            self.vacant_slot(hash)
        } else {
            slot
        };
        let position = entry.checked_add(1).expect("fewer than 2^32 - 1 hosts");
        self.slots[slot] = (u64::from(hash) << 32) | u64::from(position);
        self.room -= 1;
    }

    /// Bytes allocated.
    pub(crate) fn allocation_size(&self) -> usize {
        self.slots.capacity() * size_of::<u64>()
    }

    /// The first empty slot on the probe sequence of `hash`.
    fn vacant_slot(&self, hash: u32) -> usize {
        match self.find(hash, |_| false) {
            Probe::Vacant(slot) => slot,
            Probe::Found(_) => unreachable!("nothing is the same"),
        }
    }

    /// Doubles the slots and puts every entry back, by the hash its slot
    /// keeps.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let mut bigger = HostIndex::with_capacity(self.slots.len() / 4 * 3 * 2);
        let mask = bigger.slots.len() - 1;
        for &slot in self.slots.iter().filter(|&&slot| slot != 0) {
            let mut at = (slot >> 32) as usize & mask;
            while bigger.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            bigger.slots[at] = slot;
            bigger.room -= 1;
        }
        *self = bigger;
    }
}

/// The fewest slots (a power of two, at least [`MIN_SLOTS`]) that hold
/// `entries` entries at most 3/4 full.
fn slots_for(entries: usize) -> usize {
    (entries.saturating_mul(4).div_ceil(3))
        .next_power_of_two()
        .max(MIN_SLOTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set of numbers over the index, with a hash that can be made to
    /// collide: `bits` of the hash come from the number, the rest fixed.
    fn check(numbers: &[u32], bits: u32, capacity: usize) {
        let hash = |n: u32| {
            ((u64::from(n) & ((1 << bits) - 1)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32
        };
        let mut index = HostIndex::with_capacity(capacity);
        let mut entries: Vec<u32> = Vec::new();
        let mut expected = std::collections::HashMap::new();
        for &n in numbers {
            let found = index.find(hash(n), |e| entries[e as usize] == n);
            match found {
                Probe::Found(e) => assert_eq!(Some(&e), expected.get(&n)),
                Probe::Vacant(slot) => {
                    let at = entries.len() as u32;
                    assert_eq!(expected.insert(n, at), None);
                    entries.push(n);
                    index.insert(slot, hash(n), at);
                }
            }
        }
        for (i, &n) in entries.iter().enumerate() {
            assert!(matches!(
                index.find(hash(n), |e| e as usize == i),
                Probe::Found(_)
            ));
        }
        // At most 3/4 full, and no larger than that needs (doubling as it
        // grows).
        assert_eq!(index.slots.len(), slots_for(entries.len().max(capacity)));
    }

    proptest::proptest! {
        #[test]
        fn finds_exactly_what_was_put_in(
            numbers in proptest::collection::vec(0u32..800, 0..800),
            bits in proptest::sample::select(vec![0u32, 2, 6, 32]),
            capacity in 0usize..100,
        ) {
            check(&numbers, bits, capacity);
        }
    }

    #[test]
    fn grows_past_many_slots() {
        let numbers: Vec<u32> = (0..200_000).chain(0..1000).collect();
        check(&numbers, 32, 0);
    }
}
