//! An insertion-ordered set of host names, folded to ASCII lower case.
//!
//! Both tools print hosts "in the order first seen", and both meet the same
//! host millions of times, so the set stores each name once in one byte
//! arena (no allocation per host) and indexes it with a compact hash table
//! of `u32` positions. The insertion index doubles as "who came first",
//! which is the tie rule of `MOST`.
//!
//! Memory per distinct host: its name bytes, 8 bytes of arena end offset and
//! 5 bytes of table slot (index + control byte), at most doubled by growth
//! and the table's load factor: under 40 bytes plus the name.

use std::hash::{BuildHasher, Hasher};

use hashbrown::DefaultHashBuilder;
use hashbrown::HashTable;

#[derive(Default)]
pub(crate) struct HostSet {
    /// All names, lower-cased, back to back.
    names: Vec<u8>,
    /// `ends[i]` is where name `i` ends in `names`.
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Reused buffer for lower-casing a probe key that has upper case.
    scratch: Vec<u8>,
}

impl HostSet {
    pub(crate) fn new() -> HostSet {
        HostSet::default()
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
        let key = fold_case(host, &mut self.scratch);
        let hash = hash_bytes(&self.hasher, key);
        if let Some(i) = find(&self.table, &self.names, &self.ends, key, hash) {
            return (i as usize, false);
        }
        let index = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct hosts");
        self.names.extend_from_slice(key);
        self.ends.push(self.names.len());
        let (names, ends, hasher) = (&self.names, &self.ends, &self.hasher);
        self.table.insert_unique(hash, index, |&i| {
            hash_bytes(hasher, name_at(names, ends, i as usize))
        });
        (index as usize, true)
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
        .find(hash, |&i| name_at(names, ends, i as usize) == key)
        .copied()
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
    fn memory_per_host_stays_small() {
        let mut set = HostSet::new();
        let n = 200_000;
        for i in 0..n {
            set.insert(format!("h{i:07}").as_bytes());
        }
        assert_eq!(set.len(), n);
        let per_host = set.heap_bytes() / n;
        assert!(per_host <= 8 + 48, "{per_host} bytes per 8-byte host");
    }
}
