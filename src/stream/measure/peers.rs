//! Distinct counts: how many distinct hosts each host exchanged records
//! with (`--by peers`), connected to it (`--by in`, fan-in) or it
//! connected to (`--by out`, fan-out): `rwuniq --values=distinct:dip`.
//!
//! The tally keeps every distinct (FROM, TO) pair of the window once, in
//! first-seen order, and three counts per host, kept up as pairs arrive:
//! a new pair `a → b` adds one to `out(a)` and `in(b)`, and to `peers(a)`
//! and `peers(b)` unless `b → a` was met before (then they were peers
//! already). A host that sent a record to itself is its own peer once.
//! The pairs are also what `--emit-counts` prints: a union of pairs
//! merges exactly where sums of distinct counts would not.
//!
//! **Bound.** Per distinct pair, 8 bytes in the order (16 after growth)
//! and a hash set entry of 8 bytes and a control byte (at most 21 bytes
//! at 7/8 load just after growth): under 40 bytes. Per host, three `u32`
//! counts (24 bytes after growth). A window of `P` distinct pairs and `H`
//! hosts holds under `40 P + 24 H` bytes here, besides its host table.

use hashbrown::HashSet;

use crate::stream::host_counts::HostId;
use crate::stream::measure::Measure;

/// Distinct peers per host, and the distinct pairs (see the module docs).
pub(crate) struct Peers {
    /// Which count [`value`](Self::value) gives: 0 peers, 1 in, 2 out.
    which: usize,
    /// Every distinct pair met, as `from << 32 | to`.
    seen: HashSet<u64>,
    /// The same pairs in first-seen order.
    order: Vec<(HostId, HostId)>,
    /// Per host: peers, in, out.
    counts: Vec<[u32; 3]>,
}

const PEERS: usize = 0;
const IN: usize = 1;
const OUT: usize = 2;

fn key(from: HostId, to: HostId) -> u64 {
    u64::from(from.to_raw()) << 32 | u64::from(to.to_raw())
}

impl Peers {
    /// An empty tally whose [`value`](Self::value) is `measure` (`Peers`,
    /// `In` or `Out`).
    pub(crate) fn new(measure: Measure) -> Peers {
        Peers {
            which: match measure {
                Measure::In => IN,
                Measure::Out => OUT,
                _ => PEERS,
            },
            seen: HashSet::new(),
            order: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// Adds a record from `from` to `to`.
    #[inline]
    pub(crate) fn add(&mut self, from: HostId, to: HostId) {
        if !self.seen.insert(key(from, to)) {
            return;
        }
        self.order.push((from, to));
        let top = from.to_raw().max(to.to_raw()) as usize;
        if top >= self.counts.len() {
            self.counts.resize(top + 1, [0; 3]);
        }
        let (f, t) = (from.to_raw() as usize, to.to_raw() as usize);
        self.counts[f][OUT] += 1;
        self.counts[t][IN] += 1;
        if f == t {
            self.counts[f][PEERS] += 1;
        } else if !self.seen.contains(&key(to, from)) {
            self.counts[f][PEERS] += 1;
            self.counts[t][PEERS] += 1;
        }
    }

    /// Adds a later tally, its host `i` being `ids[i]` here: its pairs in
    /// its order, so that the order stays first-seen.
    pub(crate) fn absorb(&mut self, later: &Peers, ids: &[HostId]) {
        for &(from, to) in &later.order {
            self.add(ids[from.to_raw() as usize], ids[to.to_raw() as usize]);
        }
    }

    /// Host `id`'s count of the measure asked.
    pub(crate) fn value(&self, id: HostId) -> u64 {
        self.counts
            .get(id.to_raw() as usize)
            .map_or(0, |counts| u64::from(counts[self.which]))
    }

    /// The distinct pairs, in first-seen order.
    pub(crate) fn pairs(&self) -> &[(HostId, HostId)] {
        &self.order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u32) -> HostId {
        HostId::from_raw(i)
    }

    fn all(p: &Peers, hosts: u32) -> Vec<[u32; 3]> {
        (0..hosts)
            .map(|i| p.counts.get(i as usize).copied().unwrap_or([0; 3]))
            .collect()
    }

    #[test]
    fn peers_count_each_host_once_whichever_way_and_self_once() {
        let mut p = Peers::new(Measure::Peers);
        for (f, t) in [(0, 1), (0, 1), (1, 0), (0, 2), (3, 3), (2, 3)] {
            p.add(id(f), id(t));
        }
        // [peers, in, out]
        assert_eq!(all(&p, 4), [[2, 1, 2], [1, 1, 1], [2, 1, 1], [2, 2, 1]]);
        assert_eq!(p.pairs().len(), 5);
        assert_eq!(p.value(id(0)), 2);
        let mut out = Peers::new(Measure::Out);
        out.add(id(0), id(1));
        assert_eq!((out.value(id(0)), out.value(id(1))), (1, 0));
    }

    #[test]
    fn absorbing_a_later_tally_equals_adding_its_pairs_here() {
        let first = [(0, 1), (2, 0)];
        let later = [(0, 1), (1, 2), (0, 1)];
        // The later tally's hosts 0, 1, 2 are hosts 1, 0, 3 here.
        let ids = [id(1), id(0), id(3)];
        let mut one = Peers::new(Measure::Peers);
        for (f, t) in first {
            one.add(id(f), id(t));
        }
        for (f, t) in later {
            one.add(ids[f as usize], ids[t as usize]);
        }
        let mut two = Peers::new(Measure::Peers);
        for (f, t) in first {
            two.add(id(f), id(t));
        }
        let mut rest = Peers::new(Measure::Peers);
        for (f, t) in later {
            rest.add(id(f), id(t));
        }
        two.absorb(&rest, &ids);
        assert_eq!(all(&two, 4), all(&one, 4));
        assert_eq!(two.pairs(), one.pairs());
    }
}
