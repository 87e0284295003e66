//! The hash index of a host table: which entry holds the host of a hash.
//!
//! An open-addressing table in the manner of SwissTable: one control byte
//! per slot (empty, or seven bits of the hash of the entry in the slot) and
//! the entry's position, 4 bytes, in a parallel array. A lookup reads the
//! eight control bytes of a group as one word, and only the slots whose
//! seven bits match the hash (one in 128 of the others) lead to an entry
//! to compare. Entries are never removed, so the first empty slot met is
//! where a new host goes, and there are no tombstones.
//!
//! It exists because the host tables are on every record's path: the
//! general-purpose table this replaces called the comparison through a
//! function pointer and re-checked its own invariants on every lookup,
//! which cost more than the rest of a lookup together. This one compares
//! inline and does nothing a lookup of this program does not need.
//!
//! **Bound.** 5 bytes per slot; the slots are a power of two and at most
//! 7/8 full, so at most 16/7 slots per entry just after growing: under
//! 11.5 bytes per entry, plus one group (40 bytes) for an empty index.

/// Control byte of an empty slot: its top bit set, which no tag has.
const EMPTY: u8 = 0x80;
const ONES: u64 = 0x0101_0101_0101_0101;
const TOPS: u64 = 0x8080_8080_8080_8080;
/// Slots per group: the bytes of a word.
const GROUP: usize = 8;

/// Positions of entries, found by hash. See the module docs.
pub(crate) struct HostIndex {
    /// Control bytes, a group of eight per word (slot `8g + i` is byte `i`
    /// of word `g`).
    groups: Vec<u64>,
    /// The position of the entry in each slot (meaningless when empty).
    slots: Vec<u32>,
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
            groups: vec![u64::from_ne_bytes([EMPTY; GROUP]); slots / GROUP],
            slots: vec![0; slots],
            room: slots / 8 * 7,
        }
    }

    /// Looks for an entry of `hash` for which `same` holds.
    #[inline(always)]
    pub(crate) fn find(&self, hash: u64, mut same: impl FnMut(u32) -> bool) -> Probe {
        let mask = self.groups.len() - 1;
        let tag = ONES * (hash >> 57);
        let mut group = hash as usize & mask;
        let mut stride = 0;
        loop {
            let word = self.groups[group];
            // Bytes equal to the tag are zero in `diff`; the test may also
            // mark a byte above a true match, which `same` then turns down.
            let diff = word ^ tag;
            let mut matches = diff.wrapping_sub(ONES) & !diff & TOPS;
            while matches != 0 {
                let slot = group * GROUP + matches.trailing_zeros() as usize / 8;
                let entry = self.slots[slot];
                if same(entry) {
                    return Probe::Found(entry);
                }
                matches &= matches - 1;
            }
            let empty = word & TOPS;
            if empty != 0 {
                return Probe::Vacant(group * GROUP + empty.trailing_zeros() as usize / 8);
            }
            // Triangular steps visit every group of a power-of-two count.
            stride += 1;
            group = (group + stride) & mask;
        }
    }

    /// Puts `entry`, of `hash`, in `slot`, the vacant slot [`find`]
    /// returned for that hash (growing first when full: `hash_of` gives
    /// the hash of every entry already in).
    ///
    /// [`find`]: Self::find
    #[inline]
    pub(crate) fn insert(
        &mut self,
        slot: usize,
        hash: u64,
        entry: u32,
        hash_of: impl Fn(u32) -> u64,
    ) {
        let slot = if self.room == 0 {
            self.grow(hash_of);
            self.vacant_slot(hash)
        } else {
            slot
        };
        self.fill(slot, hash, entry);
    }

    /// Bytes allocated.
    pub(crate) fn allocation_size(&self) -> usize {
        self.groups.capacity() * size_of::<u64>() + self.slots.capacity() * size_of::<u32>()
    }

    fn fill(&mut self, slot: usize, hash: u64, entry: u32) {
        let shift = 8 * (slot % GROUP);
        let word = &mut self.groups[slot / GROUP];
        *word = (*word & !(0xff << shift)) | ((hash >> 57) << shift);
        self.slots[slot] = entry;
        self.room -= 1;
    }

    /// The first empty slot on the probe sequence of `hash`.
    fn vacant_slot(&self, hash: u64) -> usize {
        match self.find(hash, |_| false) {
            Probe::Vacant(slot) => slot,
            Probe::Found(_) => unreachable!("nothing is the same"),
        }
    }

    /// Doubles the slots and puts every entry back.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, hash_of: impl Fn(u32) -> u64) {
        let mut bigger = HostIndex::with_capacity(self.slots.len() / 8 * 7 * 2);
        for (g, &word) in self.groups.iter().enumerate() {
            let mut full = !word & TOPS;
            while full != 0 {
                let entry = self.slots[g * GROUP + full.trailing_zeros() as usize / 8];
                let hash = hash_of(entry);
                bigger.fill(bigger.vacant_slot(hash), hash, entry);
                full &= full - 1;
            }
        }
        *self = bigger;
    }
}

/// The fewest slots (a power of two, at least a group) that hold
/// `entries` entries at most 7/8 full.
fn slots_for(entries: usize) -> usize {
    (entries.saturating_mul(8).div_ceil(7))
        .next_power_of_two()
        .max(GROUP)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set of numbers over the index, with a hash that can be made to
    /// collide: `bits` of the hash come from the number, the rest fixed.
    fn check(numbers: &[u32], bits: u32, capacity: usize) {
        let hash = |n: u32| (u64::from(n) & ((1 << bits) - 1)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
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
                    index.insert(slot, hash(n), at, |e| hash(entries[e as usize]));
                }
            }
        }
        for (i, &n) in entries.iter().enumerate() {
            assert!(matches!(
                index.find(hash(n), |e| e as usize == i),
                Probe::Found(_)
            ));
        }
        // At most 7/8 full, and no larger than that needs (doubling as it
        // grows).
        assert_eq!(index.slots.len(), slots_for(entries.len().max(capacity)));
    }

    proptest::proptest! {
        #[test]
        fn finds_exactly_what_was_put_in(
            numbers in proptest::collection::vec(0u32..3000, 0..3000),
            bits in proptest::sample::select(vec![0u32, 2, 6, 32]),
            capacity in 0usize..100,
        ) {
            check(&numbers, bits, capacity);
        }
    }

    #[test]
    fn grows_past_many_groups() {
        let numbers: Vec<u32> = (0..200_000).chain(0..1000).collect();
        check(&numbers, 32, 0);
    }
}
