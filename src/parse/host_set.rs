//! Insertion-ordered tables of host names, folded to ASCII lower case,
//! each host with a small value ([`HostTable`]; [`HostSet`] when the
//! values are not used).
//!
//! Both tools print hosts "in the order first seen", and both meet the same
//! host millions of times, so a table keeps its hosts in one dense array of
//! entries in insertion order, found through a [`HostIndex`] of their
//! hashes. The insertion index doubles as "who came first", which is the
//! tie rule of `MOST`.
//!
//! An entry is 24 bytes: a name of up to [`INLINE_BYTES`] itself (lower
//! case, zero-padded), and one word holding the name's length and the
//! host's value (a count and its flags, for `connspy-stream`). A lookup
//! folds and hashes the name in registers ([`Key`]), and compares only
//! the entry whose hash is its own, with three word compares: no copy of
//! the name, no walk to bytes stored elsewhere, and the value in the same
//! cache line. Longer names are kept in an arena of the table, compared
//! there. Another table takes a host from this one by its words
//! ([`HostTable::upsert_from`]), as `connspy` does when it merges the
//! hosts of its blocks and `connspy-stream` when it adds up the counts of
//! a chunk.
//!
//! Memory per distinct host: its entry (24 bytes; the array grows by half,
//! so at most 36) and its index slots (at most 21.4 bytes, see
//! [`HostIndex`]): under 58 bytes, plus a name longer than
//! [`INLINE_BYTES`] once more in the arena (at most twice its length,
//! arena growth).

use crate::parse::host_index::{HostIndex, Probe};
use crate::parse::host_key::{INLINE_BYTES, Key, Seeds, fold_case};

/// Distinct hosts, compared case-insensitively, in insertion order.
pub(crate) type HostSet = HostTable;

/// Bits of an entry's value: the top 56 of its word.
pub(crate) const VALUE_BITS: u32 = 56;

/// Distinct hosts, compared case-insensitively, in insertion order, each
/// with a value of [`VALUE_BITS`] bits.
pub(crate) struct HostTable {
    /// The hosts in insertion order.
    entries: Vec<Entry>,
    /// Positions in `entries`, by hash.
    index: HostIndex,
    /// Names longer than [`INLINE_BYTES`], lower-cased, back to back.
    long_names: Vec<u8>,
    seeds: Seeds,
    /// Reused buffer for lower-casing a long name that has upper case.
    scratch: Vec<u8>,
}

/// One host: its name (inline: the bytes; long: where it is in the arena
/// and its length, as two little-endian words) and a word with the
/// name's length (low 8 bits: up to [`INLINE_BYTES`], or [`LONG`]) and
/// the value (the rest).
#[repr(C, align(8))]
struct Entry {
    name: [u8; INLINE_BYTES],
    word: u64,
}

/// The length code of an entry whose name is in the arena.
const LONG: u64 = 0xff;
const LEN_MASK: u64 = 0xff;

impl Entry {
    fn new(name: [u64; 2], len_code: u64, value: u64) -> Entry {
        debug_assert!(
            value >> VALUE_BITS == 0,
            "a value fits in {VALUE_BITS} bits"
        );
        let mut bytes = [0; INLINE_BYTES];
        bytes[..8].copy_from_slice(&name[0].to_le_bytes());
        bytes[8..].copy_from_slice(&name[1].to_le_bytes());
        Entry {
            name: bytes,
            word: len_code | (value << (64 - VALUE_BITS)),
        }
    }

    #[inline(always)]
    fn words(&self) -> [u64; 2] {
        let word =
            |at: usize| u64::from_le_bytes(self.name[at..at + 8].try_into().unwrap_or_default());
        [word(0), word(8)]
    }

    #[inline(always)]
    fn len_code(&self) -> u64 {
        self.word & LEN_MASK
    }

    #[inline(always)]
    fn value(&self) -> u64 {
        self.word >> (64 - VALUE_BITS)
    }

    #[inline(always)]
    fn set_value(&mut self, value: u64) {
        debug_assert!(
            value >> VALUE_BITS == 0,
            "a value fits in {VALUE_BITS} bits"
        );
        self.word = (self.word & LEN_MASK) | (value << (64 - VALUE_BITS));
    }

    /// The name, lower case: inline, or in `arena`.
    #[inline(always)]
    fn name<'a>(&'a self, arena: &'a [u8]) -> &'a [u8] {
        match self.len_code() {
            LONG => {
                let [start, len] = self.words().map(|w| w as usize);
                &arena[start..start + len]
            }
            len => &self.name[..len as usize],
        }
    }
}

impl Default for HostTable {
    fn default() -> HostTable {
        HostTable::with_capacity(0)
    }
}

impl HostTable {
    pub(crate) fn new() -> HostTable {
        HostTable::default()
    }

    /// An empty table with room for `hosts` hosts before it grows: a caller
    /// that knows roughly how many will come spares the growth steps.
    pub(crate) fn with_capacity(hosts: usize) -> HostTable {
        HostTable {
            entries: Vec::with_capacity(hosts),
            index: HostIndex::with_capacity(hosts),
            long_names: Vec::new(),
            seeds: Seeds::shared(),
            scratch: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Host `i`, in lower case.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        self.entries[i].name(&self.long_names)
    }

    /// The value of host `i`.
    #[inline]
    pub(crate) fn value(&self, i: usize) -> u64 {
        self.entries[i].value()
    }

    /// Sets the value of host `i` (at most [`VALUE_BITS`] bits).
    #[inline]
    pub(crate) fn set_value(&mut self, i: usize, value: u64) {
        self.entries[i].set_value(value);
    }

    /// Every value, in insertion order.
    pub(crate) fn values(&self) -> impl Iterator<Item = u64> {
        self.entries.iter().map(Entry::value)
    }

    /// Finds `host` (any case): when it is there, its value becomes
    /// `seen(value)`; else it is added, with the value `new(name)` (`name`
    /// in lower case). Returns its insertion index, whether it was new,
    /// and its value now.
    ///
    /// # Panics
    /// Never in practice: more than `u32::MAX - 1` distinct hosts would be
    /// needed, far beyond any memory this program may use.
    #[inline(always)]
    pub(crate) fn upsert(
        &mut self,
        host: &[u8],
        new: impl FnOnce(&[u8]) -> u64,
        seen: impl FnOnce(u64) -> u64,
    ) -> (usize, bool, u64) {
        if host.len() <= INLINE_BYTES {
            self.upsert_key(Key::inline(host, self.seeds), None, new, seen)
        } else {
            self.upsert_long(host, new, seen)
        }
    }

    /// [`upsert`](Self::upsert) for a host longer than [`INLINE_BYTES`].
    #[inline(never)]
    fn upsert_long(
        &mut self,
        host: &[u8],
        new: impl FnOnce(&[u8]) -> u64,
        seen: impl FnOnce(u64) -> u64,
    ) -> (usize, bool, u64) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let name = fold_case(host, &mut scratch);
        let upserted = self.upsert_key(Key::long(name), Some(name), new, seen);
        self.scratch = scratch;
        upserted
    }

    /// Finds or adds the host of `key`; a long key comes with its `name`
    /// (lower case), which is copied into the arena when it is new.
    #[inline(always)]
    fn upsert_key(
        &mut self,
        key: Key,
        name: Option<&[u8]>,
        new: impl FnOnce(&[u8]) -> u64,
        seen: impl FnOnce(u64) -> u64,
    ) -> (usize, bool, u64) {
        let slot = match self.find(&key, name) {
            Probe::Found(index) => {
                let entry = &mut self.entries[index as usize];
                let value = seen(entry.value());
                entry.set_value(value);
                return (index as usize, false, value);
            }
            Probe::Vacant(slot) => slot,
        };
        let index = self.entries.len();
        self.index.insert(
            slot,
            key.hash(),
            u32::try_from(index).expect("fewer than 2^32 distinct hosts"),
        );
        let entry = match name {
            None => {
                let mut bytes = [0; INLINE_BYTES];
                bytes[..8].copy_from_slice(&key.words()[0].to_le_bytes());
                bytes[8..].copy_from_slice(&key.words()[1].to_le_bytes());
                let value = new(&bytes[..key.len() as usize]);
                Entry::new(key.words(), u64::from(key.len()), value)
            }
            Some(name) => {
                let start = self.long_names.len();
                self.long_names.extend_from_slice(name);
                let value = new(name);
                Entry::new([start as u64, name.len() as u64], LONG, value)
            }
        };
        let value = entry.value();
        grow_by_half(&mut self.entries);
        self.entries.push(entry);
        (index, true, value)
    }

    /// Looks for the host of `key`; a long key comes with its `name`
    /// (lower case).
    #[inline(always)]
    fn find(&self, key: &Key, name: Option<&[u8]>) -> Probe {
        let entries = &self.entries;
        self.index.find(key.hash(), |i| {
            let stored = &entries[i as usize];
            match name {
                None => stored.len_code() == u64::from(key.len()) && stored.words() == key.words(),
                Some(name) => stored.len_code() == LONG && stored.name(&self.long_names) == name,
            }
        })
    }

    /// Finds or adds host `i` of `other`, as [`upsert`](Self::upsert)
    /// does (`new` gets no name: the caller has `other`'s).
    #[inline]
    pub(crate) fn upsert_from(
        &mut self,
        other: &HostTable,
        i: usize,
        new: impl FnOnce() -> u64,
        seen: impl FnOnce(u64) -> u64,
    ) -> (usize, bool, u64) {
        let entry = &other.entries[i];
        match entry.len_code() {
            LONG => {
                let name = entry.name(&other.long_names);
                self.upsert_key(Key::long(name), Some(name), |_| new(), seen)
            }
            len => {
                let key = Key::of_words(entry.words(), len as u32, self.seeds);
                self.upsert_key(key, None, |_| new(), seen)
            }
        }
    }

    /// Whether `host` (any case) is in the table.
    pub(crate) fn contains(&mut self, host: &[u8]) -> bool {
        let found = if host.len() <= INLINE_BYTES {
            self.find(&Key::inline(host, self.seeds), None)
        } else {
            let mut scratch = std::mem::take(&mut self.scratch);
            let name = fold_case(host, &mut scratch);
            let found = self.find(&Key::long(name), Some(name));
            self.scratch = scratch;
            found
        };
        matches!(found, Probe::Found(_))
    }

    /// Adds `host` (any case) unless present; returns its insertion index
    /// and whether it was new.
    #[inline]
    pub(crate) fn insert(&mut self, host: &[u8]) -> (usize, bool) {
        let (index, new, _) = self.upsert(host, |_| 0, |value| value);
        (index, new)
    }

    /// Adds host `i` of `other` unless present; returns its insertion
    /// index here and whether it was new.
    #[inline]
    pub(crate) fn insert_from(&mut self, other: &HostTable, i: usize) -> (usize, bool) {
        let (index, new, _) = self.upsert_from(other, i, || 0, |value| value);
        (index, new)
    }

    /// Names in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.iter().map(|e| e.name(&self.long_names))
    }

    /// Bytes held, for memory accounting in tests and `--stats`.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<Entry>()
            + self.index.allocation_size()
            + self.long_names.capacity()
            + self.scratch.capacity()
    }
}

/// Makes room for one more entry, growing by half rather than doubling
/// when full, so that a table's entries take at most 1.5 times their size.
#[inline(always)]
fn grow_by_half<T>(entries: &mut Vec<T>) {
    if entries.len() == entries.capacity() {
        entries.reserve_exact((entries.len() / 2).max(16));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_seen_order_and_folds_case() {
        let mut set = HostSet::new();
        assert_eq!(set.insert(b"Zyla"), (0, true));
        assert_eq!(set.insert(b"alyson"), (1, true));
        assert_eq!(set.insert(b"ZYLA"), (0, false));
        assert_eq!(set.insert(b""), (2, true));
        let names: Vec<&[u8]> = set.iter().collect();
        assert_eq!(names, vec![&b"zyla"[..], b"alyson", b""]);
    }

    #[test]
    fn short_and_long_names_compare_whole() {
        let names: Vec<Vec<u8>> = (0..40)
            .flat_map(|n| {
                let base: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
                (0..n.max(1)).map(move |flip| {
                    let mut v = base.clone();
                    if let Some(b) = v.get_mut(flip) {
                        *b = b'#';
                    }
                    v
                })
            })
            .collect();
        let mut set = HostSet::new();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(set.insert(name), (i, true), "{name:?}");
        }
        for (i, name) in names.iter().enumerate() {
            assert_eq!(set.insert(&name.to_ascii_uppercase()), (i, false));
            assert!(set.contains(name));
            assert_eq!(set.get(i), &name[..]);
        }
        assert!(!set.contains(b"not there at all, and long"));
        assert!(!set.contains(b"nor this"));
    }

    #[test]
    fn values_count_and_move_between_tables_with_their_hosts() {
        let count = |table: &mut HostTable, host: &[u8]| table.upsert(host, |_| 1, |n| n + 1);
        let mut block = HostSet::with_capacity(4);
        count(&mut block, b"Alpha");
        count(&mut block, b"beta");
        count(&mut block, b"A-Name-Longer-Than-Sixteen-Bytes");
        count(&mut block, b"ALPHA");
        let mut all = HostTable::new();
        assert_eq!(
            all.upsert(b"beta", |name| name.len() as u64, |n| n),
            (0, true, 4)
        );
        for i in 0..block.len() {
            let theirs = block.value(i);
            all.upsert_from(&block, i, || theirs, |mine| mine + theirs);
        }
        let names: Vec<&[u8]> = all.iter().collect();
        assert_eq!(
            names,
            vec![&b"beta"[..], b"alpha", b"a-name-longer-than-sixteen-bytes"]
        );
        assert_eq!(
            count(&mut all, b"a-name-longer-than-sixteen-BYTES"),
            (2, false, 2)
        );
        all.set_value(1, (1 << VALUE_BITS) - 1);
        assert_eq!(all.get(1), b"alpha");
        assert_eq!(
            all.values().collect::<Vec<_>>(),
            [5, (1 << VALUE_BITS) - 1, 2]
        );
    }

    #[test]
    fn memory_per_host_stays_small() {
        let mut set = HostSet::new();
        let n = 200_000;
        for i in 0..n {
            set.insert(format!("h{i:07}").as_bytes());
        }
        assert_eq!(set.len(), n);
        let per_host = set.heap_bytes() / n;
        assert!(per_host <= 58, "{per_host} bytes per 8-byte host");
    }
}
