//! An insertion-ordered set of host names, folded to ASCII lower case.
//!
//! Both tools print hosts "in the order first seen", and both meet the same
//! host millions of times, so the set stores each name once in one byte
//! arena (no allocation per host) and indexes it with a compact hash table
//! of `u32` positions. The insertion index doubles as "who came first",
//! which is the tie rule of `MOST`.
//!
//! Each name's hash is computed once, when it is first inserted, and kept:
//! growing the table never hashes a name again, and another set can take
//! a name with its hash ([`HostSet::insert_hashed`]), as `connspy` does
//! when it merges the hosts of its blocks.
//!
//! Memory per distinct host: its name bytes, 8 bytes of arena end offset,
//! 8 bytes of hash and 5 bytes of table slot (index + control byte), at
//! most doubled by growth and the table's load factor: under 56 bytes plus
//! the name.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use hashbrown::DefaultHashBuilder;
use hashbrown::HashTable;

/// The hasher every set of the process shares: seeded at random once per
/// run (a crafted log cannot aim at collisions), and the same for all sets,
/// so a hash computed by one set is valid in another.
fn shared_hasher() -> &'static DefaultHashBuilder {
    static HASHER: OnceLock<DefaultHashBuilder> = OnceLock::new();
    HASHER.get_or_init(DefaultHashBuilder::default)
}

/// Distinct hosts, compared case-insensitively, in insertion order.
pub(crate) struct HostSet {
    /// All names, lower-cased, back to back.
    names: Vec<u8>,
    /// `ends[i]` is where name `i` ends in `names`.
    ends: Vec<usize>,
    /// `hashes[i]` is the hash of name `i`.
    hashes: Vec<u64>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Reused buffer for lower-casing a probe key that has upper case.
    scratch: Vec<u8>,
}

impl Default for HostSet {
    fn default() -> HostSet {
        HostSet {
            names: Vec::new(),
            ends: Vec::new(),
            hashes: Vec::new(),
            table: HashTable::new(),
            hasher: shared_hasher().clone(),
            scratch: Vec::new(),
        }
    }
}

impl HostSet {
    pub(crate) fn new() -> HostSet {
        HostSet::default()
    }

    /// An empty set with room for `hosts` hosts before it grows: a caller
    /// that knows roughly how many will come spares the growth steps.
    pub(crate) fn with_capacity(hosts: usize) -> HostSet {
        HostSet {
            ends: Vec::with_capacity(hosts),
            hashes: Vec::with_capacity(hosts),
            table: HashTable::with_capacity(hosts),
            ..HostSet::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Name `i`, in lower case.
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        name_at(&self.names, &self.ends, i)
    }

    /// Adds `host` (any case) unless present; returns its insertion index
    /// and whether it was new.
    ///
    /// # Panics
    /// Never in practice: more than `u32::MAX` distinct hosts would be
    /// needed, far beyond any memory this program may use.
    #[inline]
    pub(crate) fn insert(&mut self, host: &[u8]) -> (usize, bool) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let key = fold_case(host, &mut scratch);
        let hash = hash_bytes(&self.hasher, key);
        let inserted = self.insert_hashed(key, hash);
        self.scratch = scratch;
        inserted
    }

    /// [`insert`](Self::insert) for a name already in lower case whose
    /// hash is known: `hash` must be [`hash_at`](Self::hash_at) of the same
    /// name in another set (every set of the process hashes alike).
    // Always inlined: `insert`, on every record's path, must not call it.
    #[inline(always)]
    pub(crate) fn insert_hashed(&mut self, key: &[u8], hash: u64) -> (usize, bool) {
        if let Some(i) = find(&self.table, &self.names, &self.ends, key, hash) {
            return (i as usize, false);
        }
        let index = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct hosts");
        self.names.extend_from_slice(key);
        self.ends.push(self.names.len());
        self.hashes.push(hash);
        let hashes = &self.hashes;
        self.table
            .insert_unique(hash, index, |&i| hashes[i as usize]);
        (index as usize, true)
    }

    /// The hash of name `i`, for [`insert_hashed`](Self::insert_hashed).
    #[inline]
    pub(crate) fn hash_at(&self, i: usize) -> u64 {
        self.hashes[i]
    }

    /// Whether `host` (any case) is in the set.
    pub(crate) fn contains(&mut self, host: &[u8]) -> bool {
        let key = fold_case(host, &mut self.scratch);
        let hash = hash_bytes(&self.hasher, key);
        find(&self.table, &self.names, &self.ends, key, hash).is_some()
    }

    /// Names in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Bytes held, for memory accounting in tests and `--stats`.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.names.capacity()
            + self.ends.capacity() * size_of::<usize>()
            + self.hashes.capacity() * size_of::<u64>()
            + self.table.capacity() * (size_of::<u32>() + 1)
            + self.scratch.capacity()
    }
}

/// The index of `key` (folded, hashed to `hash`) in a set's parts.
#[inline]
fn find(
    table: &HashTable<u32>,
    names: &[u8],
    ends: &[usize],
    key: &[u8],
    hash: u64,
) -> Option<u32> {
    table
        .find(hash, |&i| same_bytes(name_at(names, ends, i as usize), key))
        .copied()
}

/// `a == b`, without a call to `memcmp` for the short names hosts have:
/// two overlapping loads per side for up to 16 bytes.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap());
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap());
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

fn name_at<'a>(names: &'a [u8], ends: &[usize], i: usize) -> &'a [u8] {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &names[start..ends[i]]
}

/// `host` in ASCII lower case: itself when it has no upper case (most
/// hosts are written in lower case already, and the copy is a fifth of a
/// lookup's cost on a typical log), else folded into `scratch`.
#[inline]
pub(crate) fn fold_case<'a>(host: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if host.iter().any(u8::is_ascii_uppercase) {
        scratch.clear();
        scratch.extend(host.iter().map(u8::to_ascii_lowercase));
        scratch
    } else {
        host
    }
}

pub(crate) fn hash_bytes(hasher: &DefaultHashBuilder, key: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write(key);
    h.finish()
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
        for a in &names {
            for b in &names {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn a_name_moves_between_sets_with_its_hash() {
        let mut block = HostSet::with_capacity(4);
        block.insert(b"Alpha");
        block.insert(b"beta");
        let mut all = HostSet::new();
        assert_eq!(all.insert(b"beta"), (0, true));
        for i in 0..block.len() {
            all.insert_hashed(block.get(i), block.hash_at(i));
        }
        let names: Vec<&[u8]> = all.iter().collect();
        assert_eq!(names, vec![&b"beta"[..], b"alpha"]);
        assert_eq!(all.insert(b"ALPHA"), (1, false));
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
