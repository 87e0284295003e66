//! Insertion-ordered tables of host names, folded to ASCII lower case,
//! each with a value ([`HostTable`]; [`HostSet`] when there is none).
//!
//! Both tools print hosts "in the order first seen", and both meet the same
//! host millions of times, so a table keeps its hosts in one dense array of
//! entries in insertion order, indexed by a compact hash table of `u32`
//! positions. The insertion index doubles as "who came first", which is
//! the tie rule of `MOST`.
//!
//! An entry holds its host's [`Key`]: for a name of up to
//! [`INLINE_BYTES`] the lower-cased bytes themselves, with the length and
//! the hash. A lookup folds and hashes the name in registers, and checks
//! the one entry whose hash tag matches by comparing three words: no copy
//! of the name, no walk to bytes stored elsewhere, and the value (a count)
//! in the same cache line. Longer names are kept in an arena of the table
//! and compared there, after their hash. Growing the table never hashes a
//! name again, and another table takes a host with its key
//! ([`HostTable::insert_from`]), as `connspy` does when it merges the
//! hosts of its blocks and `connspy-stream` when it adds up the counts
//! of a chunk.
//!
//! Memory per distinct host: its entry (24 bytes and the value; the
//! array grows by half, so at most 1.5 times that) and 5 bytes of table
//! slot (index and control byte, at most 16/7 slots per host after the
//! table's growth), plus a name longer than [`INLINE_BYTES`] once more
//! in the arena (at most twice its length, arena growth).

use crate::parse::host_index::{HostIndex, Probe};
use crate::parse::host_key::{INLINE_BYTES, Key, Seeds, fold_case, long_hash};

/// Distinct hosts, compared case-insensitively, in insertion order.
pub(crate) type HostSet = HostTable<()>;

/// Distinct hosts, compared case-insensitively, in insertion order, each
/// with a value of type `V`.
pub(crate) struct HostTable<V> {
    /// The hosts in insertion order.
    entries: Vec<Entry<V>>,
    /// Positions in `entries`, by hash.
    index: HostIndex,
    /// Names longer than [`INLINE_BYTES`], lower-cased, back to back.
    long_names: Vec<u8>,
    seeds: Seeds,
    /// Reused buffer for lower-casing a long name that has upper case.
    scratch: Vec<u8>,
}

struct Entry<V> {
    key: Key,
    value: V,
}

impl<V> Default for HostTable<V> {
    fn default() -> HostTable<V> {
        HostTable::with_capacity(0)
    }
}

impl<V> HostTable<V> {
    pub(crate) fn new() -> HostTable<V> {
        HostTable::default()
    }

    /// An empty table with room for `hosts` hosts before it grows: a caller
    /// that knows roughly how many will come spares the growth steps.
    pub(crate) fn with_capacity(hosts: usize) -> HostTable<V> {
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
        self.name(&self.entries[i].key)
    }

    /// The value of host `i`.
    #[inline]
    pub(crate) fn value(&self, i: usize) -> &V {
        &self.entries[i].value
    }

    /// The value of host `i`, to change.
    #[inline]
    pub(crate) fn value_mut(&mut self, i: usize) -> &mut V {
        &mut self.entries[i].value
    }

    /// Every value, in insertion order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|e| &e.value)
    }

    /// Finds `host` (any case), or adds it with `value`: returns its
    /// insertion index, whether it was new, and its value.
    ///
    /// # Panics
    /// Never in practice: more than `u32::MAX` distinct hosts would be
    /// needed, far beyond any memory this program may use.
    #[inline(always)]
    pub(crate) fn upsert(&mut self, host: &[u8], value: V) -> (usize, bool, &mut V) {
        if host.len() <= INLINE_BYTES {
            self.upsert_key(Key::inline(host, self.seeds), None, value)
        } else {
            self.upsert_long(host, value)
        }
    }

    /// [`upsert`](Self::upsert) for a host longer than [`INLINE_BYTES`].
    #[inline(never)]
    fn upsert_long(&mut self, host: &[u8], value: V) -> (usize, bool, &mut V) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let name = fold_case(host, &mut scratch);
        let key = Key::long(name.len(), long_hash(name), 0);
        let upserted = self.upsert_key(key, Some(name), value);
        let index = upserted.0;
        let new = upserted.1;
        self.scratch = scratch;
        (index, new, &mut self.entries[index].value)
    }

    /// Finds or adds the host of `key`; a long key comes with its `name`
    /// (lower case), which is copied into the arena when it is new.
    #[inline(always)]
    fn upsert_key(&mut self, key: Key, name: Option<&[u8]>, value: V) -> (usize, bool, &mut V) {
        let slot = match self.find(&key, name) {
            Probe::Found(index) => {
                let index = index as usize;
                return (index, false, &mut self.entries[index].value);
            }
            Probe::Vacant(slot) => slot,
        };
        let index = self.entries.len();
        let key = match name {
            None => key,
            Some(name) => {
                let start = self.long_names.len();
                self.long_names.extend_from_slice(name);
                Key::long(name.len(), key.hash32(), start)
            }
        };
        let entries = &self.entries;
        self.index.insert(
            slot,
            key.table_hash(),
            u32::try_from(index).expect("fewer than 2^32 distinct hosts"),
            |i| entries[i as usize].key.table_hash(),
        );
        grow_by_half(&mut self.entries);
        self.entries.push(Entry { key, value });
        (index, true, &mut self.entries[index].value)
    }

    /// Looks for the host of `key`; a long key comes with its `name`
    /// (lower case), compared after the hash.
    #[inline(always)]
    fn find(&self, key: &Key, name: Option<&[u8]>) -> Probe {
        let entries = &self.entries;
        self.index.find(key.table_hash(), |i| {
            let stored = &entries[i as usize].key;
            match name {
                None => stored == key,
                Some(name) => {
                    stored.len() == key.len()
                        && stored.hash32() == key.hash32()
                        && long_name(&self.long_names, stored) == name
                }
            }
        })
    }

    /// Finds or adds host `i` of `other` (its key, hash included, is
    /// reused) with `value`: returns its index here and whether it was new.
    #[inline]
    pub(crate) fn insert_from<W>(
        &mut self,
        other: &HostTable<W>,
        i: usize,
        value: V,
    ) -> (usize, bool, &mut V) {
        let key = other.entries[i].key;
        if key.is_inline() {
            self.upsert_key(key, None, value)
        } else {
            self.upsert_key(key, Some(long_name(&other.long_names, &key)), value)
        }
    }

    /// Whether `host` (any case) is in the table.
    pub(crate) fn contains(&mut self, host: &[u8]) -> bool {
        let found = if host.len() <= INLINE_BYTES {
            self.find(&Key::inline(host, self.seeds), None)
        } else {
            let mut scratch = std::mem::take(&mut self.scratch);
            let name = fold_case(host, &mut scratch);
            let found = self.find(&Key::long(name.len(), long_hash(name), 0), Some(name));
            self.scratch = scratch;
            found
        };
        matches!(found, Probe::Found(_))
    }

    /// Names in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.iter().map(|e| self.name(&e.key))
    }

    /// Bytes held, for memory accounting in tests and `--stats`.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<Entry<V>>()
            + self.index.allocation_size()
            + self.long_names.capacity()
            + self.scratch.capacity()
    }

    fn name<'t>(&'t self, key: &'t Key) -> &'t [u8] {
        if key.is_inline() {
            key.inline_name()
        } else {
            long_name(&self.long_names, key)
        }
    }
}

impl HostSet {
    /// Adds `host` (any case) unless present; returns its insertion index
    /// and whether it was new.
    #[inline]
    pub(crate) fn insert(&mut self, host: &[u8]) -> (usize, bool) {
        let (index, new, _) = self.upsert(host, ());
        (index, new)
    }
}

/// The name of long key `key` in `arena`.
#[inline]
fn long_name<'a>(arena: &'a [u8], key: &Key) -> &'a [u8] {
    let start = key.long_start();
    &arena[start..start + key.len()]
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
    fn a_name_moves_between_tables_with_its_key() {
        let mut block = HostSet::with_capacity(4);
        block.insert(b"Alpha");
        block.insert(b"beta");
        block.insert(b"A-Name-Longer-Than-Sixteen-Bytes");
        let mut all: HostTable<u64> = HostTable::new();
        assert_eq!(all.upsert(b"beta", 7).0, 0);
        for i in 0..block.len() {
            *all.insert_from(&block, i, 0).2 += 1;
        }
        let names: Vec<&[u8]> = all.iter().collect();
        assert_eq!(
            names,
            vec![&b"beta"[..], b"alpha", b"a-name-longer-than-sixteen-bytes"]
        );
        assert_eq!(all.upsert(b"ALPHA", 0).0, 1);
        assert_eq!(all.upsert(b"a-name-longer-than-sixteen-BYTES", 0).0, 2);
        assert_eq!(all.values().copied().collect::<Vec<_>>(), [8, 1, 1]);
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
        assert!(per_host <= 8 + 56, "{per_host} bytes per 8-byte host");
    }
}
