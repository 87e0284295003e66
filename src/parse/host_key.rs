//! A host name as the host tables store and compare it: folded to ASCII
//! lower case and hashed in registers, a word at a time, with no copy.
//!
//! Both tools look up both hosts of a record millions of times a second,
//! so the per-lookup work is what a host table costs. A name of at most
//! [`INLINE_BYTES`] bytes (every IPv4 address, most host names) becomes a
//! [`Key`] of two words holding its bytes, lower-cased and zero-padded,
//! with its length and hash: a table keeps those words in its entry, so
//! comparing two names is comparing three words, never a walk to bytes
//! stored elsewhere. Longer names are folded into a buffer only when they
//! have upper case, and hashed by the process's shared hasher.
//!
//! Every key of the process is hashed with the same seeds, drawn at random
//! once per run (a crafted log cannot aim at collisions), so that a host
//! has one hash in every table and on every thread.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use hashbrown::DefaultHashBuilder;

/// Names up to this many bytes live inside their table entry.
pub(crate) const INLINE_BYTES: usize = 16;

/// A name looked up in a host table: lower-cased and hashed. A name of at
/// most [`INLINE_BYTES`] is held in two words (zero-padded); a longer one
/// comes with its bytes, hashed by the shared hasher ([`Key::long`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    words: [u64; 2],
    len: u32,
    hash: u32,
}

/// The random seeds every key of the process is hashed with.
#[derive(Clone, Copy)]
pub(crate) struct Seeds([u64; 2]);

impl Seeds {
    /// The seeds of this run (the same for every table and thread).
    pub(crate) fn shared() -> Seeds {
        static SEEDS: OnceLock<Seeds> = OnceLock::new();
        *SEEDS.get_or_init(|| {
            let hasher = shared_hasher();
            // Odd, so that no multiplication by a seed loses bits.
            Seeds([1, 2].map(|i| hasher.hash_one(i as u64) | 1))
        })
    }
}

impl Key {
    /// The key of `host` (any case, at most [`INLINE_BYTES`] long).
    #[inline(always)]
    pub(crate) fn inline(host: &[u8], seeds: Seeds) -> Key {
        debug_assert!(host.len() <= INLINE_BYTES);
        let (lo, hi) = lower_case_words(host);
        Key::of_words([lo, hi], host.len() as u32, seeds)
    }

    /// The key of an inline name of `len` bytes already in lower case
    /// and in words (as a table keeps it).
    #[inline(always)]
    pub(crate) fn of_words(words: [u64; 2], len: u32, seeds: Seeds) -> Key {
        let hash = folded_multiply(
            words[0] ^ seeds.0[0].rotate_right(len),
            words[1] ^ seeds.0[1],
        );
        Key {
            words,
            len,
            hash: (hash >> 32) as u32,
        }
    }

    /// The key of a long name, in lower case already: its length and hash
    /// (the bytes go with it).
    pub(crate) fn long(name: &[u8]) -> Key {
        Key {
            words: [0, 0],
            len: u32::try_from(name.len()).expect("a host is shorter than a line"),
            hash: (hash_bytes(shared_hasher(), name) >> 32) as u32,
        }
    }

    /// The words of an inline name.
    #[inline(always)]
    pub(crate) fn words(&self) -> [u64; 2] {
        self.words
    }

    /// The name's length in bytes.
    #[inline(always)]
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// The name's hash.
    #[inline(always)]
    pub(crate) fn hash(&self) -> u32 {
        self.hash
    }
}

/// A name of at most [`INLINE_BYTES`], lower-cased into two words: a
/// host (any case) is this name when its own words are the same, which is
/// a compare of two words instead of a loop over bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ShortName {
    words: (u64, u64),
    len: usize,
}

impl ShortName {
    /// `name` as a short name; `None` when it is longer than [`INLINE_BYTES`].
    pub(crate) fn new(name: &[u8]) -> Option<ShortName> {
        (name.len() <= INLINE_BYTES).then(|| ShortName {
            words: lower_case_words(name),
            len: name.len(),
        })
    }

    /// The name's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether `host` (any case) is this name.
    #[inline(always)]
    pub(crate) fn is(&self, host: &[u8]) -> bool {
        host.len() == self.len && lower_case_words(host) == self.words
    }
}

/// The bytes of `host` (at most 16) in two little-endian words, zero past
/// its end and in lower case: two overlapping loads per side instead of a
/// loop, and no folding of a word that holds no byte.
#[inline(always)]
fn lower_case_words(host: &[u8]) -> (u64, u64) {
    let n = host.len();
    let word = |at: usize| u64::from_le_bytes(host[at..at + 8].try_into().unwrap_or_default());
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            host[at..at + 4].try_into().unwrap_or_default(),
        ))
    };
    let lo = if n >= 8 {
        // The last 8 bytes, shifted down past those the first word holds.
        let hi = word(n - 8).checked_shr(8 * (16 - n) as u32).unwrap_or(0);
        return (lower_case(word(0)), lower_case(hi));
    } else if n >= 4 {
        half(0) | (half(n - 4) << (8 * (n - 4)))
    } else if n > 0 {
        let at = |i: usize| u64::from(host[i]) << (8 * i);
        at(0) | at(n / 2) | at(n - 1)
    } else {
        0
    };
    (lower_case(lo), 0)
}

/// `word` with its ASCII upper-case bytes made lower case, all eight at
/// once: a byte is upper case when its low seven bits are at least `A`
/// and below `[` and its top bit is clear.
#[inline(always)]
fn lower_case(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const TOP: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low = word & LOW7;
    let from_a = low + ONES * (0x80 - b'A' as u64);
    let past_z = low + ONES * (0x80 - b'[' as u64);
    let upper = from_a & !past_z & !word & TOP;
    word | (upper >> 2)
}

/// The high and low halves of the full product, folded together: every
/// output bit depends on every input bit.
#[inline(always)]
fn folded_multiply(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The hasher every long name and every other hashed set of the process
/// uses: seeded at random once per run.
pub(crate) fn shared_hasher() -> &'static DefaultHashBuilder {
    static HASHER: OnceLock<DefaultHashBuilder> = OnceLock::new();
    HASHER.get_or_init(DefaultHashBuilder::default)
}

/// `host` in ASCII lower case: itself when it has no upper case (most
/// hosts are written in lower case already), else folded into `scratch`.
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

/// The hash of `key` by `hasher`.
pub(crate) fn hash_bytes(hasher: &DefaultHashBuilder, key: &[u8]) -> u64 {
    let mut h = hasher.build_hasher();
    h.write(key);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_hold_the_bytes_lower_cased_and_zero_padded_for_every_length() {
        let name = b"AbCdEfGhIjKlMnOp";
        for n in 0..=16 {
            let (lo, hi) = lower_case_words(&name[..n]);
            let mut expect = [0u8; 16];
            expect[..n].copy_from_slice(&name[..n].to_ascii_lowercase());
            assert_eq!(lo.to_le_bytes(), expect[..8], "{n}");
            assert_eq!(hi.to_le_bytes(), expect[8..], "{n}");
        }
    }

    #[test]
    fn lower_case_folds_ascii_letters_only() {
        for b in 0..=255u8 {
            let word = u64::from_le_bytes([b, b'Q', 0xc1, b'@', b'[', b'z', b'Z', b]);
            let want = [b, b'Q', 0xc1, b'@', b'[', b'z', b'Z', b].map(|c| c.to_ascii_lowercase());
            assert_eq!(lower_case(word).to_le_bytes(), want, "{b:#x}");
        }
    }

    proptest::proptest! {
        /// A short name is the hosts that equal it, in any case.
        #[test]
        fn a_short_name_is_the_same_host_in_any_case(
            a in proptest::collection::vec(proptest::sample::select(&b"aAbB\0\x80\xc1.1"[..]), 0..=16),
            b in proptest::collection::vec(proptest::sample::select(&b"aAbB\0\x80\xc1.1"[..]), 0..=20),
        ) {
            let name = ShortName::new(&a).unwrap();
            proptest::prop_assert_eq!(name.is(&b), a.eq_ignore_ascii_case(&b));
        }

        /// Two names have equal keys exactly when they are the same host.
        #[test]
        fn keys_are_equal_exactly_for_the_same_host(
            a in proptest::collection::vec(proptest::sample::select(&b"aAbB\0\x80\xc1.1"[..]), 0..=16),
            b in proptest::collection::vec(proptest::sample::select(&b"aAbB\0\x80\xc1.1"[..]), 0..=16),
        ) {
            let seeds = Seeds::shared();
            let (ka, kb) = (Key::inline(&a, seeds), Key::inline(&b, seeds));
            proptest::prop_assert_eq!(ka == kb, a.eq_ignore_ascii_case(&b));
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&ka.words()[0].to_le_bytes());
            bytes[8..].copy_from_slice(&ka.words()[1].to_le_bytes());
            proptest::prop_assert_eq!(&bytes[..a.len()], a.to_ascii_lowercase());
        }
    }
}
