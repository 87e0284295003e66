//! `connspy --to A --from B`: each answer is a pair of hosts, kept in the
//! same set as single hosts are (deduplicated and ordered by first record)
//! under one key that holds both.
//!
//! The key is `LEN:FROMTO`, `LEN` the length of `FROM` in decimal: it
//! splits back unambiguously whatever bytes the hosts hold, and folding
//! it to lower case, as the set does, folds the hosts and leaves the
//! digits and the colon alone.

use std::io::Write;

/// Writes the key of the pair (`from`, `to`) into `key`, replacing its
/// contents, and returns it.
pub(crate) fn pair_key<'k>(from: &[u8], to: &[u8], key: &'k mut Vec<u8>) -> &'k [u8] {
    key.clear();
    // Writing to a Vec cannot fail.
    let _ = write!(key, "{}:", from.len());
    key.extend_from_slice(from);
    key.extend_from_slice(to);
    key
}

/// The (`from`, `to`) hosts of a key made by [`pair_key`].
pub(crate) fn split_pair(key: &[u8]) -> (&[u8], &[u8]) {
    let colon = key.iter().position(|&b| b == b':').unwrap_or(0);
    let len = std::str::from_utf8(&key[..colon])
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let hosts = &key[colon + 1..];
    hosts.split_at(len.min(hosts.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn a_pair_splits_back_whatever_its_hosts_hold(
            from in proptest::collection::vec(proptest::num::u8::ANY, 1..20),
            to in proptest::collection::vec(proptest::num::u8::ANY, 1..20),
        ) {
            let mut key = Vec::new();
            let key = pair_key(&from, &to, &mut key).to_ascii_lowercase();
            let (f, t) = split_pair(&key);
            proptest::prop_assert_eq!(f, &from.to_ascii_lowercase()[..]);
            proptest::prop_assert_eq!(t, &to.to_ascii_lowercase()[..]);
        }
    }
}
